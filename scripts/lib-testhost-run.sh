# SPDX-License-Identifier: BSD-3-Clause
#
# testhost run: boot the L1 under QEMU TCG and run one command in it.
# Sourced by scripts/testhost.
#
# The run directory (mktemp under $TMPDIR or /tmp) is shared writable with
# the L1 and mounted there at the same path. It holds cmd.sh (written here),
# stdout and stderr (appended by the L1, streamed here with tail), rc
# (written by the L1 init when the command ends) and console.log (the L1's
# serial console). No rc file after QEMU exits means the L1 failed.

TH_RUN_PIDS=()

th_run_cleanup() {
	local p

	for p in "${TH_RUN_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}

th_check_uint() {
	[[ "$2" =~ ^[0-9]+$ ]] || die_usage "run: $1 needs a number, not '$2'"
}

th_check_path() {
	[[ "$2" =~ ^/[^[:space:]]*$ ]] ||
		die_usage "run: $1 must be an absolute path without spaces: '$2'"
}

th_write_cmd() {
	local file=$1 out=$2
	shift 2
	local e

	{
		echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		echo "export HOME=/root LANG=C.UTF-8 TERM=dumb TESTHOST=1"
		printf 'export TESTHOST_OUT=%q\n' "$out"
		for e in "${TH_RUN_ENV[@]}"; do
			printf 'export %q\n' "$e"
		done
		printf 'cd %q || { echo "testhost: cannot cd to %q in the L1" >&2; exit 125; }\n' \
			"$PWD" "$PWD"
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	} >"$file"
}

# Prints where the results are, or removes a default out directory (and the
# run directory holding it) that the command left empty.
th_report_out() {
	local out=$1 default=$2

	if [ "$out" = "$default" ] && [ -z "$(ls -A "$out" 2>/dev/null)" ]; then
		rm -rf "$(dirname "$out")"
		return 0
	fi
	th_log "out=$out"
}

th_console_tail() {
	echo "testhost: last lines of the L1 console ($1):" >&2
	tail -n 25 "$1" >&2 || true
}

# Parses run options into TH_MEM, TH_SMP, TH_TIMEOUT, TH_HP, TH_OUT,
# TH_RUN_ENV and TH_CMD.
th_run_parse() {
	TH_MEM=3072
	TH_SMP=2
	TH_TIMEOUT=600
	TH_HP=256
	TH_OUT=""
	TH_RUN_ENV=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--mem|--smp|--timeout|--hugepages|--out|--env)
			[ $# -ge 2 ] || die_usage "run: $1 needs a value"
			case "$1" in
			--mem) th_check_uint "$1" "$2"; TH_MEM=$2 ;;
			--smp) th_check_uint "$1" "$2"; TH_SMP=$2 ;;
			--timeout) th_check_uint "$1" "$2"; TH_TIMEOUT=$2 ;;
			--hugepages) th_check_uint "$1" "$2"; TH_HP=$2 ;;
			--out) TH_OUT=$2 ;;
			--env)
				[[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
					die_usage "run: --env needs NAME=VALUE, not '$2'"
				TH_RUN_ENV+=("$2")
				;;
			esac
			shift 2
			;;
		--)
			shift
			break
			;;
		*) die_usage "run: unknown option '$1' (the command goes after --)" ;;
		esac
	done
	[ $# -gt 0 ] || die_usage "run: no command after --"
	[ "$TH_SMP" -ge 1 ] || die_usage "run: --smp must be at least 1"
	[ "$TH_MEM" -ge 512 ] || die_usage "run: --mem must be at least 512 (MB)"
	[ "$TH_TIMEOUT" -ge 1 ] || die_usage "run: --timeout must be at least 1"
	TH_CMD=("$@")
}

# Runs the parsed command on the host itself (wrap, when the host's KVM is
# good): the caller's environment plus --env and TESTHOST_OUT, with the same
# timeout and exit code conventions as in the L1.
th_run_direct() {
	local out=$TH_OUT rc=0 e default=""

	if [ -z "$out" ]; then
		out=$(mktemp -d "${TMPDIR:-/tmp}/testhost.XXXXXX")/out
		default=$out
	fi
	mkdir -p "$out"
	out=$(cd "$out" && pwd -P)
	(
		for e in "${TH_RUN_ENV[@]}"; do
			export "${e?}"
		done
		export TESTHOST_OUT="$out"
		exec timeout -k 10 "$TH_TIMEOUT" "${TH_CMD[@]}" </dev/null
	) || rc=$?
	if [ "$rc" -eq 124 ]; then
		th_log "timeout: the command did not finish within ${TH_TIMEOUT}s (--timeout)"
	fi
	th_report_out "$out" "$default"
	return "$rc"
}

cmd_run() {
	local mem smp timeout hp out run l1 qpid qrc=0
	local t0 rc

	th_run_parse "$@"
	if [ -n "${TESTHOST:-}" ] && [ -c /dev/kvm ]; then
		th_run_direct
		return
	fi
	mem=$TH_MEM
	smp=$TH_SMP
	timeout=$TH_TIMEOUT
	hp=$TH_HP
	out=$TH_OUT
	set -- "${TH_CMD[@]}"

	l1=$(th_build_l1)
	run=$(mktemp -d "${TMPDIR:-/tmp}/testhost.XXXXXX")
	if [ -z "$out" ]; then
		out="$run/out"
	fi
	mkdir -p "$out"
	out=$(cd "$out" && pwd -P)
	th_check_path "--out" "$out"
	th_check_path "the run directory" "$run"
	th_write_cmd "$run/cmd.sh" "$out" "$@"
	: >"$run/stdout"
	: >"$run/stderr"

	trap th_run_cleanup EXIT
	trap 'th_run_cleanup; exit 130' INT
	trap 'th_run_cleanup; exit 143' TERM
	t0=$(date +%s.%N)
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-M q35 -cpu max -smp "$smp" -m "$mem" \
		-accel tcg,thread=multi,tb-size=512 \
		-nodefaults -no-user-config -no-reboot -display none -net none \
		-serial "file:$run/console.log" \
		-kernel "$l1/vmlinux" -initrd "$l1/initrd.cpio" \
		-append "console=ttyS0 ${TESTHOST_KERNEL_LOG:-quiet} panic=-1 softlockup_panic=1 mitigations=off init_on_alloc=0 testhost.run=$run testhost.out=$out testhost.hugepages=$hp" \
		-fsdev local,id=hr,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hr,mount_tag=hostroot \
		-fsdev "local,id=rr,path=$run,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=rr,mount_tag=testhostrun \
		-fsdev "local,id=oo,path=$out,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=oo,mount_tag=testhostout \
		</dev/null &
	qpid=$!
	TH_RUN_PIDS+=("$qpid")
	tail -q -n +1 -s 0.2 -F --pid="$qpid" "$run/stdout" 2>/dev/null &
	TH_RUN_PIDS+=("$!")
	tail -q -n +1 -s 0.2 -F --pid="$qpid" "$run/stderr" >&2 2>/dev/null &
	TH_RUN_PIDS+=("$!")
	wait "$qpid" || qrc=$?
	wait "${TH_RUN_PIDS[1]}" "${TH_RUN_PIDS[2]}" 2>/dev/null || true
	TH_RUN_PIDS=()
	trap - EXIT INT TERM
	if [ -n "${TESTHOST_VERBOSE:-}" ]; then
		th_log "L1 ran for $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
	fi

	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		th_log "timeout: the L1 did not finish within ${timeout}s (--timeout)"
		th_console_tail "$run/console.log"
		th_log "run directory $run, out=$out"
		return 124
	fi
	if [ ! -f "$run/rc" ]; then
		if grep -q 'soft lockup' "$run/console.log" 2>/dev/null; then
			th_log "the L1 kernel panicked: a CPU soft-locked (a rare hang of nested SVM under QEMU TCG, seen once in about 60 L2 boots here; rerunning usually passes)"
		elif grep -q 'Kernel panic' "$run/console.log" 2>/dev/null; then
			th_log "the L1 kernel panicked"
		elif [ "$qrc" -ne 0 ]; then
			th_log "QEMU failed (exit $qrc)"
		else
			th_log "the L1 stopped before the command finished"
		fi
		th_console_tail "$run/console.log"
		th_log "run directory $run, out=$out"
		return 125
	fi
	rc=$(cat "$run/rc")
	rm -f "$run/cmd.sh" "$run/stdout" "$run/stderr" "$run/rc" "$run/console.log"
	if [ "$out" != "$run/out" ]; then
		rm -rf "$run"
	fi
	th_report_out "$out" "$run/out"
	return "$rc"
}

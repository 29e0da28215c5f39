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

# Parses run options into TH_MEM, TH_SMP, TH_TIMEOUT, TH_HP, TH_RETRIES, TH_STALL, TH_OUT,
# TH_RUN_ENV and TH_CMD.
th_run_parse() {
	TH_MEM=3072
	TH_SMP=2
	TH_TIMEOUT=600
	TH_HP=256
	TH_OUT=""
	TH_RUN_ENV=()
	TH_RETRIES=${TESTHOST_RETRIES:-1}
	th_check_uint "TESTHOST_RETRIES" "$TH_RETRIES"
	TH_STALL=${TESTHOST_STALL:-120}
	th_check_uint "TESTHOST_STALL" "$TH_STALL"
	while [ $# -gt 0 ]; do
		case "$1" in
		--mem|--smp|--timeout|--hugepages|--retries|--out|--env)
			[ $# -ge 2 ] || die_usage "run: $1 needs a value"
			case "$1" in
			--mem) th_check_uint "$1" "$2"; TH_MEM=$2 ;;
			--smp) th_check_uint "$1" "$2"; TH_SMP=$2 ;;
			--timeout) th_check_uint "$1" "$2"; TH_TIMEOUT=$2 ;;
			--hugepages) th_check_uint "$1" "$2"; TH_HP=$2 ;;
			--retries) th_check_uint "$1" "$2"; TH_RETRIES=$2 ;;
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

# th_l1_died RUNDIR QEMU-EXIT: names what ended the L1 before the command did, from its console.
th_l1_died() {
	local log=$1/console.log line

	line=$(grep -m1 -E 'soft lockup|Kernel panic|BUG:|general protection' "$log" 2>/dev/null |
		tr -d '\r' | sed 's/^\[ *[0-9.]*\] //') || true
	if grep -q 'soft lockup' "$log" 2>/dev/null; then
		echo "the L1 kernel panicked: a CPU soft-locked ($line)"
	elif [ -n "$line" ]; then
		echo "the L1 kernel panicked ($line)"
	elif [ "${2:-0}" -ne 0 ]; then
		echo "QEMU failed (exit $2)"
	else
		echo "the L1 stopped before the command finished"
	fi
}

# th_heartbeat_age RUNDIR T0: seconds since the L1 last touched RUNDIR/heartbeat (its init
# does every 5 s while the command runs), or since T0 (the start) before the first one.
th_heartbeat_age() {
	local now last

	now=$(date +%s)
	last=$(stat -c %Y "$1/heartbeat" 2>/dev/null) || last=$2
	echo $((now - last))
}

# th_l1_machine_args: the L1's machine (TH_L1_MACHINE), console device (TH_L1_CONSOLE), extra
# kernel parameters (TH_L1_APPEND) and 9p transport (TH_L1_VIRTIO); lib-testhost-arm64.sh
# has the arm64 ones.
th_l1_machine_args() {
	TH_L1_MACHINE=(-M q35 -cpu max)
	TH_L1_CONSOLE=ttyS0
	TH_L1_APPEND=""
	TH_L1_VIRTIO=virtio-9p-pci
}

# th_run_attempt RUNDIR OUT L1DIR TIMEOUT: boots the L1 once and runs cmd.sh; sets
# TH_ATTEMPT to "rc" (the command ended: its code in RUNDIR/rc), "timeout", "died" or
# "stalled" (no heartbeat for TESTHOST_STALL seconds, default 120: the L1 stopped running
# its tasks, a hang of nested SVM under TCG that --timeout alone would wait out).
th_run_attempt() {
	local run=$1 out=$2 l1=$3 timeout=$4 qpid qrc=0 t0 stall=$TH_STALL

	rm -f "$run/rc" "$run/heartbeat"
	: >"$run/stdout"
	: >"$run/stderr"
	: >"$run/console.log"
	t0=$(date +%s)
	th_l1_machine_args
	# shellcheck disable=SC2086 # TH_QEMU_ARGS: words
	timeout -k 10 "$timeout" "$TH_QEMU" $TH_QEMU_ARGS \
		"${TH_L1_MACHINE[@]}" -smp "$TH_SMP" -m "$TH_MEM" \
		-accel tcg,thread=multi,tb-size=512 \
		-nodefaults -no-user-config -no-reboot -display none -net none \
		-serial "file:$run/console.log" \
		-kernel "$l1/vmlinux" -initrd "$l1/initrd.cpio" \
		-append "console=$TH_L1_CONSOLE ${TESTHOST_KERNEL_LOG:-quiet} panic=-1 softlockup_panic=1 no_timer_check nohz=off mitigations=off init_on_alloc=0 testhost.run=$run testhost.out=$out testhost.hugepages=$TH_HP $TH_L1_APPEND" \
		-fsdev local,id=hr,path=/,security_model=none,readonly=on,multidevs=remap \
		-device "$TH_L1_VIRTIO,fsdev=hr,mount_tag=hostroot" \
		-fsdev "local,id=rr,path=$run,security_model=none,multidevs=remap" \
		-device "$TH_L1_VIRTIO,fsdev=rr,mount_tag=testhostrun" \
		-fsdev "local,id=oo,path=$out,security_model=none,multidevs=remap" \
		-device "$TH_L1_VIRTIO,fsdev=oo,mount_tag=testhostout" \
		</dev/null &
	qpid=$!
	TH_RUN_PIDS=("$qpid")
	tail -q -n +1 -s 0.2 -F --pid="$qpid" "$run/stdout" 2>/dev/null &
	TH_RUN_PIDS+=("$!")
	tail -q -n +1 -s 0.2 -F --pid="$qpid" "$run/stderr" >&2 2>/dev/null &
	TH_RUN_PIDS+=("$!")
	TH_ATTEMPT=""
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		if [ ! -f "$run/rc" ] && [ "$(th_heartbeat_age "$run" "$t0")" -gt "$stall" ]; then
			TH_ATTEMPT=stalled
			pkill -KILL -P "$qpid" 2>/dev/null || true
			break
		fi
	done
	wait "$qpid" || qrc=$?
	wait "${TH_RUN_PIDS[1]}" "${TH_RUN_PIDS[2]}" 2>/dev/null || true
	TH_RUN_PIDS=()
	if [ -n "${TESTHOST_VERBOSE:-}" ]; then
		th_log "L1 ran for $(($(date +%s) - t0))s on $("$TH_QEMU" --version | head -1)"
	fi
	if [ -n "$TH_ATTEMPT" ]; then
		TH_DIED="the L1 stopped running its tasks: no heartbeat for ${stall}s (TESTHOST_STALL)"
	elif [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		TH_ATTEMPT=timeout
	elif [ -f "$run/rc" ]; then
		TH_ATTEMPT=rc
	else
		TH_ATTEMPT=died
		TH_DIED=$(th_l1_died "$run" "$qrc")
	fi
}

# Boots the L1 and runs the command; an L1 that dies or stalls under it (not the command's
# own failure, nor a timeout) is booted again, up to --retries times (default 1), within what
# is left of --timeout.
cmd_run() {
	local run l1 out rc attempt=0 t0 left

	th_run_parse "$@"
	if [ -n "${TESTHOST:-}" ] && [ -c /dev/kvm ]; then
		th_run_direct
		return
	fi
	out=$TH_OUT
	th_qemu_select

	l1=$(th_build_l1)
	run=$(mktemp -d "${TMPDIR:-/tmp}/testhost.XXXXXX")
	if [ -z "$out" ]; then
		out="$run/out"
	fi
	mkdir -p "$out"
	out=$(cd "$out" && pwd -P)
	th_check_path "--out" "$out"
	th_check_path "the run directory" "$run"
	th_write_cmd "$run/cmd.sh" "$out" "${TH_CMD[@]}"

	trap th_run_cleanup EXIT
	trap 'th_run_cleanup; exit 130' INT
	trap 'th_run_cleanup; exit 143' TERM
	t0=$(date +%s)
	left=$TH_TIMEOUT
	while :; do
		attempt=$((attempt + 1))
		th_run_attempt "$run" "$out" "$l1" "$left"
		case "$TH_ATTEMPT" in
		rc|timeout) break ;;
		esac
		th_log "$TH_DIED"
		th_console_tail "$run/console.log"
		left=$((TH_TIMEOUT - ($(date +%s) - t0)))
		if [ "$attempt" -gt "$TH_RETRIES" ] || [ "$left" -lt 30 ]; then
			break
		fi
		cp "$run/console.log" "$run/console-$attempt.log"
		th_log "attempt $attempt failed in the L1, not in the command: running it again in a" \
			"fresh L1 (attempt $((attempt + 1)) of $((TH_RETRIES + 1)), ${left}s left;" \
			"the first console is kept in $run/console-$attempt.log)"
	done
	trap - EXIT INT TERM

	case "$TH_ATTEMPT" in
	timeout)
		th_log "timeout: the L1 did not finish within ${TH_TIMEOUT}s (--timeout)"
		th_console_tail "$run/console.log"
		th_log "run directory $run, out=$out"
		return 124
		;;
	died|stalled)
		th_log "run directory $run, out=$out"
		return 125
		;;
	esac
	rc=$(cat "$run/rc")
	rm -f "$run/cmd.sh" "$run/stdout" "$run/stderr" "$run/rc" "$run/console.log" "$run/heartbeat"
	if [ "$attempt" -gt 1 ]; then
		th_log "the failed attempts' consoles are kept in $run, out=$out"
	else
		if [ "$out" != "$run/out" ]; then
			rm -rf "$run"
		fi
		th_report_out "$out" "$run/out"
	fi
	return "$rc"
}

# SPDX-License-Identifier: BSD-3-Clause
#
# testhost helpers: the QEMU that emulates the L1. Sourced by scripts/testhost.
#
# Debian 12's QEMU 7.2 emulates nested SVM under multi-threaded TCG with races that kill or
# freeze the L1 every few dozen guest boots (its page-table walker updates accessed/dirty bits
# without atomic operations, fixed in QEMU 8.0, among other nested-SVM fixes since). The L1
# therefore runs on the QEMU of bookworm-backports, fetched once with apt-get download into
# the cache and run from there with its own firmware (-L): the system's QEMU, the one the
# tests use as a reference VMM inside the L1, stays Debian 12's. TESTHOST_QEMU=PATH (with
# TESTHOST_QEMU_ARGS) picks another binary; TESTHOST_QEMU=system the system's.

TH_QEMU_SUITE=bookworm-backports
TH_QEMU_PKGS="qemu-system-x86 qemu-system-common qemu-system-data seabios"

# A private apt configuration that knows bookworm-backports, without touching the system's.
th_qemu_apt() {
	local d=$CACHE/apt-backports

	mkdir -p "$d/sources" "$d/lists/partial" "$d/archives/partial"
	: >"$d/empty.list"
	cat >"$d/sources/backports.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $TH_QEMU_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt-get -qq -o Dir::Etc::sourcelist="$d/empty.list" -o Dir::Etc::sourceparts="$d/sources" \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache::Archives="$d/archives" \
		-o APT::Sandbox::User=root "$@"
}

th_fetch_qemu_locked() {
	local dir=$1 tmp

	[ -f "$dir/.complete" ] && return 0
	th_log "downloading the L1's QEMU from $TH_QEMU_SUITE ($TH_QEMU_PKGS)"
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	# shellcheck disable=SC2086 # the package list: words
	if ! th_qemu_apt update >/dev/null 2>&1 ||
	   ! (cd "$tmp" && th_qemu_apt download $TH_QEMU_PKGS >/dev/null 2>&1); then
		rm -rf "$tmp"
		return 1
	fi
	th_debs_unpack "$tmp" "$dir" || return 1
	if ! "$dir/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1; then
		th_log "the $TH_QEMU_SUITE QEMU does not run here: $(ldd "$dir/usr/bin/qemu-system-x86_64" |
			grep 'not found' | tr -s ' \t' ' ' | tr '\n' ';')"
		rm -rf "$dir"
		return 1
	fi
	"$dir/usr/bin/qemu-system-x86_64" --version | head -1 >"$dir/.version"
}

# Sets TH_QEMU and TH_QEMU_ARGS for the L1: the cached backports QEMU (fetched on first use),
# or the system's with a warning when it cannot be had (no network to Debian's mirror).
th_qemu_select() {
	local dir=$CACHE/qemu-$TH_QEMU_SUITE

	TH_QEMU_ARGS=${TESTHOST_QEMU_ARGS:-}
	case "${TESTHOST_QEMU:-}" in
	system) TH_QEMU=qemu-system-x86_64; return 0 ;;
	?*) TH_QEMU=$TESTHOST_QEMU; return 0 ;;
	esac
	if [ ! -f "$dir/.complete" ] && ! th_locked th_fetch_qemu_locked "$dir"; then
		th_log "warning: no QEMU from $TH_QEMU_SUITE; the L1 runs on the system's" \
			"$(qemu-system-x86_64 --version | head -1), whose nested SVM is less stable"
		TH_QEMU=qemu-system-x86_64
		return 0
	fi
	TH_QEMU=$dir/usr/bin/qemu-system-x86_64
	TH_QEMU_ARGS="-L $dir/usr/share/qemu -L $dir/usr/share/seabios $TH_QEMU_ARGS"
}

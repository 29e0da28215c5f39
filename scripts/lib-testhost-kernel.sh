# SPDX-License-Identifier: BSD-3-Clause
#
# testhost helpers: messages, the cache lock, apt dependencies and Debian
# kernels (downloaded and extracted into the cache, never installed into
# /boot). Sourced by scripts/testhost.

th_log() {
	echo "testhost: $*" >&2
}

th_die() {
	echo "testhost: $*" >&2
	exit 125
}

die_usage() {
	echo "testhost: $*" >&2
	usage >&2
	exit 2
}

th_locked() {
	mkdir -p "$CACHE"
	(
		flock 9
		"$@"
	) 9>"$CACHE/.lock"
}

th_ensure_deps() {
	local missing=()

	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	[ -f /usr/share/qemu/qboot.rom ] || missing+=(qemu-system-data)
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
		grep -q 'ok installed' || missing+=(busybox-static)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v modinfo >/dev/null || missing+=(kmod)
	command -v flock >/dev/null || missing+=(util-linux)
	command -v xz >/dev/null || missing+=(xz-utils)
	[ ${#missing[@]} -eq 0 ] && return 0
	th_log "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		"${missing[@]}" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			"${missing[@]}" >/dev/null ||
			th_die "apt-get install ${missing[*]} failed"
	fi
}

# Debian kernel ABI (e.g. 6.1.0-56) of linux-image-amd64, or $TESTHOST_KVER.
# apt-cache is slow (0.7 s), so the answer is kept until apt's lists change.
th_kabi() {
	local abi

	if [ -n "${TESTHOST_KVER:-}" ]; then
		echo "$TESTHOST_KVER"
		return
	fi
	if [ -s "$CACHE/kabi" ] && [ "$CACHE/kabi" -nt /var/lib/apt/lists ]; then
		cat "$CACHE/kabi"
		return
	fi
	abi=$(th_kabi_apt)
	if [ -z "$abi" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		abi=$(th_kabi_apt)
	fi
	if [ -n "$abi" ]; then
		mkdir -p "$CACHE"
		echo "$abi" >"$CACHE/kabi.tmp.$$" && mv "$CACHE/kabi.tmp.$$" "$CACHE/kabi"
	fi
	if [ -z "$abi" ]; then
		abi=$(ls -1 "$CACHE/kernel" 2>/dev/null | sed -n 's/-amd64$//p' |
			grep -v cloud | sort -V | tail -1 || true)
	fi
	[ -n "$abi" ] || th_die "cannot find the version of linux-image-amd64 (apt-cache depends)"
	echo "$abi"
}

th_kabi_apt() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: linux-image-\([0-9].*\)-amd64$/\1/p' |
		head -1
}

th_flavour_suffix() {
	case "$1" in
	cloud) echo cloud-amd64 ;;
	standard) echo amd64 ;;
	*) die_usage "unknown kernel flavour '$1' (cloud or standard)" ;;
	esac
}

th_fetch_kernel_locked() {
	local dir=$1 pkg=$2 tmp

	[ -f "$dir/.complete" ] && return 0
	th_log "downloading $pkg"
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	if ! (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
			{ rm -rf "$tmp"; th_die "apt-get download $pkg failed"; }
	fi
	th_debs_unpack "$tmp" "$dir" || th_die "dpkg-deb -x $pkg failed"
}

# th_debs_unpack TMP DIR: extracts every .deb downloaded into TMP into DIR (replacing it,
# marked .complete once whole), then removes TMP; returns 1 when a package cannot be extracted.
th_debs_unpack() {
	local tmp=$1 dir=$2 deb

	mkdir "$tmp/x"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; return 1; }
	done
	touch "$tmp/x/.complete"
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	mv "$tmp/x" "$dir"
	rm -rf "$tmp"
}

# Extracted kernel tree of a flavour; prints its directory.
th_kernel_dir() {
	local suf abi dir

	suf=$(th_flavour_suffix "$1")
	abi=$(th_kabi)
	dir="$CACHE/kernel/$abi-$suf"
	if [ ! -f "$dir/.complete" ]; then
		th_locked th_fetch_kernel_locked "$dir" \
			"linux-image-$abi-$suf-unsigned"
	fi
	[ -f "$dir/.complete" ] || th_die "kernel $abi-$suf missing in $dir"
	echo "$dir"
}

th_kernel_image() {
	local dir=$1
	local img

	img=$(ls -1 "$dir"/boot/vmlinuz-* 2>/dev/null | head -1)
	[ -n "$img" ] || th_die "no vmlinuz in $dir/boot"
	echo "$img"
}

th_moddir() {
	local d

	d=$(ls -1d "$1"/lib/modules/* 2>/dev/null | head -1)
	[ -n "$d" ] || th_die "no module tree in $1/lib/modules"
	echo "$d"
}

# Decompresses an xz bzImage's payload to its ELF vmlinux. QEMU boots the ELF
# through its PVH entry point, which skips the decompressor: under TCG that
# halves the L1 boot (3.7 s instead of 7 s here).
th_extract_vmlinux() {
	local img=$1 out=$2 off

	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | head -1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	{ tail -c +$((off + 1)) "$img" || true; } |
		xz -dc --single-stream >"$out.tmp" 2>/dev/null ||
		{ rm -f "$out.tmp"; return 1; }
	if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
		rm -f "$out.tmp"
		return 1
	fi
	mv "$out.tmp" "$out"
}

th_file_hash() {
	sha256sum "$@" | cut -d' ' -f1
}

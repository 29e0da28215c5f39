# SPDX-License-Identifier: BSD-3-Clause
#
# testhost helpers: apt dependencies, Debian kernels (downloaded and
# extracted into the cache, never installed), module dependency order and
# the busybox initramfs images. Sourced by scripts/testhost.

TH_BUSYBOX=/bin/busybox
TH_L1_MODULES="virtio_pci 9p 9pnet_virtio overlay kvm kvm_amd tun veth vhost_net bridge"

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
	mkdir "$tmp/x"
	dpkg-deb -x "$tmp"/*.deb "$tmp/x" ||
		{ rm -rf "$tmp"; th_die "dpkg-deb -x $pkg failed"; }
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

declare -A TH_MODPATH TH_BUILTIN TH_SEEN

th_mod_index() {
	local moddir=$1 f n

	TH_MODPATH=()
	TH_BUILTIN=()
	TH_SEEN=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		TH_MODPATH[${n//-/_}]=$f
	done < <(find "$moddir/kernel" -name '*.ko*')
	if [ -f "$moddir/modules.builtin" ]; then
		while IFS= read -r f; do
			n=${f##*/}
			n=${n%%.ko*}
			TH_BUILTIN[${n//-/_}]=1
		done <"$moddir/modules.builtin"
	fi
}

# Prints "name path" for a module and its dependencies, dependencies first.
th_mod_visit() {
	local n=${1//-/_} d deps

	[ -n "${TH_SEEN[$n]:-}" ] && return 0
	TH_SEEN[$n]=1
	if [ -z "${TH_MODPATH[$n]:-}" ]; then
		[ -n "${TH_BUILTIN[$n]:-}" ] && return 0
		th_die "module '$n' not found in the kernel's module tree"
	fi
	deps=$(modinfo -F depends "${TH_MODPATH[$n]}")
	for d in ${deps//,/ }; do
		th_mod_visit "$d"
	done
	echo "$n ${TH_MODPATH[$n]}"
}

th_mod_resolve() {
	local moddir=$1 m
	shift

	th_mod_index "$moddir"
	for m in "$@"; do
		th_mod_visit "$m"
	done
}

# Copies a module into the staging tree as lib/modules/NAME.ko.
th_mod_copy() {
	local src=$1 dst=$2

	case "$src" in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
}

th_module_params() {
	case "$1" in
	kvm) echo report_ignored_msrs=0 ;;
	kvm_amd) echo nested=1 ;;
	esac
}

# Populates a staging dir with busybox, its applet links and /dev/console.
th_stage_busybox() {
	local st=$1 a

	mkdir -p "$st"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$TH_BUSYBOX" "$st/bin/busybox"
	for a in $("$TH_BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -s busybox "$st/bin/$a"
	done
	mknod -m 600 "$st/dev/console" c 5 1
	mknod -m 666 "$st/dev/null" c 1 3
}

th_write_cpio() {
	local st=$1 out=$2

	(cd "$st" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
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

th_build_l1_locked() {
	local dir=$1 kdir=$2 st name path mods

	[ -f "$dir/.complete" ] && return 0
	th_log "building the L1 image in $dir"
	mods=$(th_mod_resolve "$(th_moddir "$kdir")" $TH_L1_MODULES)
	st=$(mktemp -d "$CACHE/tmp.XXXXXX")
	th_stage_busybox "$st"
	: >"$st/modules.order"
	while read -r name path; do
		th_mod_copy "$path" "$st/lib/modules/$name.ko"
		echo "$name $(th_module_params "$name")" >>"$st/modules.order"
	done <<<"$mods"
	cp "$SELF_DIR/lib-testhost-l1-init" "$st/init"
	chmod 755 "$st/init"
	rm -rf "$dir"
	mkdir -p "$dir"
	th_write_cpio "$st" "$dir/initrd.cpio"
	th_extract_vmlinux "$(th_kernel_image "$kdir")" "$dir/vmlinux" ||
		cp "$(th_kernel_image "$kdir")" "$dir/vmlinux"
	rm -rf "$st"
	touch "$dir/.complete"
}

# Removes L1 images other than 'keep' (a running QEMU has its copy in memory)
# and staging directories left by interrupted builds.
th_prune_l1() {
	local d

	for d in "$CACHE"/l1-*; do
		[ "$d" = "$1" ] || rm -rf "$d"
	done
	find "$CACHE" -maxdepth 1 -name 'tmp.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
}

# Builds (once per set of inputs) the L1 kernel and initramfs; prints the dir.
th_build_l1() {
	local kdir key dir

	th_ensure_deps
	kdir=$(th_kernel_dir standard)
	key=$( {
		echo "l1 $kdir $TH_L1_MODULES"
		th_file_hash "$TH_BUSYBOX" "$SELF_DIR/lib-testhost-l1-init" \
			"$SELF_DIR/lib-testhost-kernel.sh"
	} | sha256sum | cut -c1-16)
	dir="$CACHE/l1-$key"
	if [ ! -f "$dir/.complete" ]; then
		th_locked th_build_l1_locked "$dir" "$kdir"
		th_locked th_prune_l1 "$dir"
	fi
	echo "$dir"
}

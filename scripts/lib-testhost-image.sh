# SPDX-License-Identifier: BSD-3-Clause
#
# testhost helpers: busybox initramfs images (module dependency order, the
# staging tree, newc cpio) and the L1 image. Sourced by scripts/testhost.

TH_BUSYBOX=/bin/busybox
TH_L1_MODULES="virtio_pci 9p 9pnet_virtio overlay kvm kvm_amd tun veth vhost_net bridge bonding geneve"

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
	bonding) echo max_bonds=0 ;;
	esac
}

# Populates a staging dir with busybox, its applet links and /dev/console.
th_stage_busybox() {
	local st=$1 a

	mkdir -p "$st"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$TH_BUSYBOX" "$st/bin/busybox"
	# TH_BUSYBOX_LIST: a busybox of the same version that runs here, when TH_BUSYBOX is
	# another architecture's.
	for a in $("${TH_BUSYBOX_LIST:-$TH_BUSYBOX}" --list); do
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

# th_build_l1_locked DIR KDIR [MODULES [ARCH]]: the L1 image (busybox, the modules, our
# init; the kernel's vmlinux, or its image as it is for ARCH arm64) in DIR.
th_build_l1_locked() {
	local dir=$1 kdir=$2 modules=${3:-$TH_L1_MODULES} arch=${4:-x86_64} st name path mods

	[ -f "$dir/.complete" ] && return 0
	th_log "building the $arch L1 image in $dir"
	mods=$(th_mod_resolve "$(th_moddir "$kdir")" $modules)
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
	if [ "$arch" = arm64 ] ||
	   ! th_extract_vmlinux "$(th_kernel_image "$kdir")" "$dir/vmlinux"; then
		cp "$(th_kernel_image "$kdir")" "$dir/vmlinux"
	fi
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
			"$SELF_DIR/lib-testhost-kernel.sh" \
			"$SELF_DIR/lib-testhost-image.sh"
	} | sha256sum | cut -c1-16)
	dir="$CACHE/l1-$key"
	if [ ! -f "$dir/.complete" ]; then
		th_locked th_build_l1_locked "$dir" "$kdir"
		th_locked th_prune_l1 "$dir"
	fi
	echo "$dir"
}

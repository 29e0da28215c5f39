# SPDX-License-Identifier: BSD-3-Clause
#
# testhost --arch arm64: the L1 is an arm64 VM (qemu-system-aarch64 -M virt with
# virtualization=on, TCG) running Debian's arm64 kernel at EL2, whose KVM (VHE) gives a
# /dev/kvm for arm64 L2 guests.  Sourced by scripts/testhost after the x86 helpers, whose
# functions it replaces where the two differ.
#
# The L1 cannot run the host's amd64 programs, so its root is an arm64 userland (bash,
# coreutils, busybox, ... from Debian's arm64 packages, unpacked into the cache) layered over
# the arm64 sysroot of scripts/build --arch arm64 (the libraries build-arm64/ binaries link
# against); the host's own directories (/work, /tmp, /home, /root, /var/cache, ...) are
# grafted over it at their host paths, read-only with a tmpfs overlay as on x86.  The
# packages come through scripts/lib-sysroot-arm64.sh's private apt configuration: the
# system's packages and apt state are not touched.

# shellcheck source=scripts/lib-sysroot-arm64.sh
. "$SELF_DIR/lib-sysroot-arm64.sh"

# The last line: what vireo-dp's integration tests run beside it in the L1 (ping, Open
# vSwitch's ovsdb-server, ovs-vsctl and ovs-appctl, dpdk-testpmd, python3).
TH_ARM64_USERLAND_PKGS="bash coreutils busybox-static util-linux procps grep sed gawk findutils
diffutils kmod iproute2 gzip
iputils-ping openvswitch-common openvswitch-switch dpdk-dev python3"
# KVM is built into Debian's arm64 kernel.
TH_L1_MODULES_ARM64="virtio_pci 9p 9pnet_virtio overlay tun veth vhost_net bridge"
TH_QEMU_ARM64=${TESTHOST_QEMU_ARM64:-qemu-system-aarch64}

th_arm64_ensure_deps() {
	local missing=()

	command -v "$TH_QEMU_ARM64" >/dev/null || missing+=(qemu-system-arm)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v modinfo >/dev/null || missing+=(kmod)
	command -v busybox >/dev/null || missing+=(busybox-static)
	[ ${#missing[@]} -eq 0 ] && return 0
	th_log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
		th_die "apt-get install ${missing[*]} failed"
}

# th_arm64_fetch DIR PKGS...: the packages and their arm64 dependency closure, unpacked
# into DIR (replaced whole, marked .complete).
th_arm64_fetch_locked() {
	local dir=$1 tmp deb
	shift

	[ -f "$dir/.complete" ] && return 0
	th_log "downloading arm64 packages for $(basename "$dir"): $*"
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	mkdir -p "$tmp/debs/partial"
	if ! { sysroot_arm64_apt update >/dev/null 2>&1 &&
	       sysroot_arm64_apt -o Dir::Cache::Archives="$tmp/debs" install -y \
			--download-only --no-install-recommends "$@" >/dev/null; }; then
		rm -rf "$tmp"
		th_die "resolving the arm64 packages $* failed"
	fi
	mkdir "$tmp/x"
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; th_die "dpkg-deb -x $deb failed"; }
	done
	sysroot_arm64_relink "$tmp/x"
	touch "$tmp/x/.complete"
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	mv "$tmp/x" "$dir"
	rm -rf "$tmp"
}

# th_arm64_userland_locked DIR PKGS...: the packages unpacked into DIR, busybox's applets
# filling in the commands they do not have (sh, ...); marked .linked once whole.  Userlands
# of other package lists are removed.
th_arm64_userland_locked() {
	local dir=$1 a d
	shift

	[ -f "$dir/.linked" ] && return 0
	th_arm64_fetch_locked "$dir" "$@" || return 1
	# The applet list of the host's busybox (same Debian version as the arm64 one, which
	# cannot run here).
	for a in $(busybox --list); do
		[ -e "$dir/bin/$a" ] || [ -e "$dir/usr/bin/$a" ] ||
		[ -e "$dir/sbin/$a" ] || [ -e "$dir/usr/sbin/$a" ] ||
			ln -s /bin/busybox "$dir/bin/$a" || return 1
	done
	mkdir -p "$dir/proc" "$dir/sys" "$dir/dev" "$dir/run" "$dir/tmp" || return 1
	touch "$dir/.linked"
	for d in "$CACHE/arm64/userland" "$CACHE"/arm64/userland-*; do
		[ "$d" = "$dir" ] || rm -rf "$d"
	done
}

# The L1's userland (its root, over the arm64 sysroot); prints its directory.
th_arm64_userland() {
	local dir

	# Named by its package list: a longer list makes a new userland (and L1).
	# shellcheck disable=SC2086 # the package list: words, whitespace folded
	dir=$CACHE/arm64/userland-$(echo $TH_ARM64_USERLAND_PKGS | sha256sum | cut -c1-12)
	if [ ! -f "$dir/.linked" ]; then
		# shellcheck disable=SC2086 # the package list: words
		th_locked th_arm64_userland_locked "$dir" $TH_ARM64_USERLAND_PKGS
	fi
	[ -f "$dir/.linked" ] || th_die "the arm64 userland in $dir could not be made"
	echo "$dir"
}

th_flavour_suffix() {
	case "$1" in
	cloud) echo cloud-arm64 ;;
	standard) echo arm64 ;;
	*) die_usage "unknown kernel flavour '$1' (cloud or standard)" ;;
	esac
}

# Debian's arm64 kernel of the same ABI as the amd64 one (th_kabi), extracted into the cache.
th_kernel_dir() {
	local suf abi dir

	suf=$(th_flavour_suffix "$1")
	abi=$(th_kabi)
	# Not in $CACHE/kernel, where the x86 tests look for bzImages.
	dir="$CACHE/arm64/kernel/$abi-$suf"
	if [ ! -f "$dir/.complete" ]; then
		th_locked th_arm64_fetch_locked "$dir" "linux-image-$abi-$suf-unsigned"
	fi
	[ -f "$dir/.complete" ] || th_die "kernel $abi-$suf missing in $dir"
	echo "$dir"
}

# testhost --arch arm64 guest-qemu: Debian's arm64 QEMU (qemu-system-arm:arm64 and its
# libraries) unpacked into the cache, for a reference VMM inside the arm64 L1 (perf/boot
# --arch arm64); prints the directory.  Run it there as
# LD_LIBRARY_PATH=DIR/usr/lib/aarch64-linux-gnu:DIR/lib/aarch64-linux-gnu
# DIR/usr/bin/qemu-system-aarch64 -L DIR/usr/share/qemu ...
cmd_guest_qemu() {
	local dir=$CACHE/arm64/qemu

	[ $# -eq 0 ] || die_usage "guest-qemu takes no arguments"
	th_arm64_ensure_deps
	sysroot_arm64_ensure >&2 || th_die "the arm64 sysroot cannot be built"
	[ -f "$dir/.complete" ] ||
		th_locked th_arm64_fetch_locked "$dir" qemu-system-arm qemu-system-data
	[ -x "$dir/usr/bin/qemu-system-aarch64" ] || th_die "no qemu-system-aarch64 in $dir"
	echo "$dir"
}

th_ensure_deps() {
	local root

	th_arm64_ensure_deps
	root=$(th_arm64_userland) || exit 1
	TH_BUSYBOX=$root/bin/busybox
	TH_BUSYBOX_LIST=busybox
}

th_prune_l1_arm64() {
	local d

	for d in "$CACHE"/arm64/l1-*; do
		[ "$d" = "$1" ] || rm -rf "$d"
	done
}

th_build_l1() {
	local kdir key dir

	th_ensure_deps
	sysroot_arm64_ensure >&2 || th_die "the arm64 sysroot cannot be built"
	kdir=$(th_kernel_dir standard)
	key=$( {
		echo "l1-arm64 $kdir $TH_L1_MODULES_ARM64 $TH_ARM64_USERLAND_PKGS"
		th_file_hash "$TH_BUSYBOX" "$SELF_DIR/lib-testhost-l1-init" \
			"$SELF_DIR/lib-testhost-arm64.sh" \
			"$SELF_DIR/lib-testhost-image.sh"
	} | sha256sum | cut -c1-16)
	dir="$CACHE/arm64/l1-$key"
	if [ ! -f "$dir/.complete" ]; then
		th_locked th_build_l1_locked "$dir" "$kdir" "$TH_L1_MODULES_ARM64" arm64
		th_locked th_prune_l1_arm64 "$dir"
	fi
	echo "$dir"
}

th_qemu_select() {
	TH_QEMU=$TH_QEMU_ARM64
	TH_QEMU_ARGS=${TESTHOST_QEMU_ARGS:-}
}

# The L1's machine: GICv3 and EL2 (virtualization=on) so that its KVM runs guests; the
# arch timer and PSCI come with -M virt.  pauth-impdef: QEMU's own pointer-authentication
# hash, much cheaper under TCG than the architected QARMA.
th_l1_machine_args() {
	local root

	root=$(th_arm64_userland) || exit 1
	TH_L1_MACHINE=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on)
	TH_L1_CONSOLE=ttyAMA0
	TH_L1_APPEND="testhost.root=$root testhost.sysroot=$SYSROOT_ARM64"
	TH_L1_VIRTIO=virtio-9p-pci
}

cmd_need_arm64() {
	case "${TESTHOST_NEED:-}" in
	1) return 0 ;;
	0) return 1 ;;
	esac
	[ "$(uname -m)" = aarch64 ] || return 0
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 0
	return 1
}

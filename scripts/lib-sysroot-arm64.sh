# SPDX-License-Identifier: BSD-3-Clause
#
# The arm64 sysroot for cross builds (scripts/deps --arch arm64, scripts/build --arch arm64).
#
# Debian's arm64 -dev packages cannot be co-installed beside the amd64 ones (multiarch:
# libdpdk-dev:arm64 and libfdt-dev:arm64 would remove their amd64 twins), so they are
# resolved by a private apt configuration that sees only arm64 and an empty dpkg status
# (the whole dependency closure, libc included), downloaded, and unpacked with dpkg-deb -x
# into VIREO_SYSROOT_ARM64.  The system's packages and apt state are not touched.

SYSROOT_ARM64_CACHE=${VIREO_ARM64_CACHE:-/var/cache/vireo-arm64}
SYSROOT_ARM64=${VIREO_SYSROOT_ARM64:-$SYSROOT_ARM64_CACHE/sysroot}
# What the project builds against; the sysroot is rebuilt when this list changes.
SYSROOT_ARM64_PKGS="libc6-dev linux-libc-dev libdpdk-dev libyaml-dev libjansson-dev libnuma-dev
liblzma-dev liblz4-dev zlib1g-dev libzstd-dev libfdt-dev"

sysroot_arm64_apt() {
	local d=$SYSROOT_ARM64_CACHE/apt

	mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/cache"
	[ -f "$d/status" ] || : >"$d/status"
	apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o Dir::State::status="$d/status" -o Dir::State::Lists="$d/lists" \
		-o Dir::State::extended_states="$d/extended_states" \
		-o Dir::Cache="$d/cache" -o Dir::Cache::Archives="$d/archives" \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}

# sysroot_arm64_relink DIR: absolute symlinks (libz.so -> /lib/...) made relative, so that
# they point into DIR instead of at the host's amd64 files.
sysroot_arm64_relink() {
	local dir=$1 l

	find "$dir" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir$(readlink "$l")")" "$l"
	done
}

# sysroot_arm64_ensure: builds the sysroot once (about 300 packages, 60 MB, a minute);
# quiet when it is there and its package list is unchanged.
sysroot_arm64_ensure() {
	local stamp tmp deb

	stamp=$(echo "$SYSROOT_ARM64_PKGS" | tr -s ' \n' ' ')
	if [ -f "$SYSROOT_ARM64/.complete" ] &&
	   [ "$(cat "$SYSROOT_ARM64/.complete")" = "$stamp" ]; then
		return 0
	fi
	echo "deps: building the arm64 sysroot in $SYSROOT_ARM64"
	mkdir -p "$SYSROOT_ARM64_CACHE"
	# shellcheck disable=SC2086 # the package list: words
	sysroot_arm64_apt clean &&
	sysroot_arm64_apt update >/dev/null &&
	sysroot_arm64_apt install -y --download-only --no-install-recommends \
		$SYSROOT_ARM64_PKGS >/dev/null ||
		{ echo "deps: resolving the arm64 packages failed" >&2; return 1; }
	tmp=$(mktemp -d "$SYSROOT_ARM64_CACHE/sysroot.XXXXXX")
	for deb in "$SYSROOT_ARM64_CACHE"/apt/archives/*.deb; do
		dpkg-deb -x "$deb" "$tmp" ||
			{ echo "deps: dpkg-deb -x $deb failed" >&2; rm -rf "$tmp"; return 1; }
	done
	sysroot_arm64_relink "$tmp"
	echo "$stamp" >"$tmp/.complete"
	rm -rf "$SYSROOT_ARM64"
	mv "$tmp" "$SYSROOT_ARM64"
}

# cross_file_arm64 SYSROOT: a meson cross file for Debian's aarch64-linux-gnu toolchain
# against SYSROOT (pkg-config reads only the sysroot's .pc files, prefixed with it).
cross_file_arm64() {
	local sr=$1

	cat <<EOT
[constants]
sysroot = '$sr'

[binaries]
c = 'aarch64-linux-gnu-gcc'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkgconfig = 'pkg-config'

[built-in options]
c_args = ['--sysroot=' + sysroot]
c_link_args = ['--sysroot=' + sysroot]

[properties]
sys_root = sysroot
pkg_config_libdir = [sysroot + '/usr/lib/aarch64-linux-gnu/pkgconfig', sysroot + '/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'armv8-a'
endian = 'little'
EOT
}

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by scripts/demo and scripts/test: dependencies, hugepages, the build.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VIREO_BUILD:-$ROOT/build}

# hugepages_ensure N: at least N free 2 MiB pages and hugetlbfs on /dev/hugepages.
hugepages_ensure() {
	local want=$1 free total
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
	if [ "$free" -lt "$want" ]; then
		echo "hugepages: reserving $((total + want - free)) x 2 MiB pages (free: $free, want: $want)"
		echo $((total + want - free)) >/proc/sys/vm/nr_hugepages
		free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
		if [ "$free" -lt "$want" ]; then
			echo "hugepages: only $free free 2 MiB pages could be reserved" >&2
			return 1
		fi
	fi
	mkdir -p /dev/hugepages
	if ! mount | grep -q "on /dev/hugepages type hugetlbfs"; then
		mount -t hugetlbfs nodev /dev/hugepages
	fi
}

# build_dir DIR [meson options]: configure (once) and build.
build_dir() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$ROOT" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log"; return 1; }
}

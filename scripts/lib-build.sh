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

# build_dir DIR [meson options]: configure (once; an existing DIR takes the -D options
# given now, the rest, such as a cross file, only at set-up) and build.
build_dir() {
	local dir=$1 a opts=()
	shift
	for a in "$@"; do
		case $a in -D*) opts+=("$a") ;; esac
	done
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$ROOT" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	elif [ ${#opts[@]} -gt 0 ]; then
		meson configure "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log"; return 1; }
}

# build_tsan DIR: configure a ThreadSanitizer build (once) and build the tests of the suite
# "tsan" only.  -Wno-tsan: DPDK's inline fences (rte_atomic_thread_fence) are not
# instrumented; rcu/rcu.h tells TSan about grace periods instead (see there).
build_tsan() {
	local dir=$1 targets
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$ROOT" -Dwerror=true -Db_sanitize=thread -Db_lundef=false \
			-Dbuildtype=debug -Dc_args=-Wno-tsan >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	targets=$(cd "$dir" && meson introspect --tests | python3 -c 'import json, os, sys
for t in json.load(sys.stdin):
    if "vireo:tsan" in t["suite"]:
        print(os.path.relpath(t["cmd"][0]))')
	[ -n "$targets" ] || { echo "build_tsan: no test in the suite tsan" >&2; return 1; }
	# shellcheck disable=SC2086 # one target a word
	ninja -C "$dir" $targets >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log"; return 1; }
}

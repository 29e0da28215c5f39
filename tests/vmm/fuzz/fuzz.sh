#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build vireo-vmm's libFuzzer harnesses with clang and run one for a while, from its seed
# corpus (tests/vmm/fuzz/corpus/NAME, regression inputs included).
#
# Usage: tests/vmm/fuzz/fuzz.sh NAME [SECONDS [RUNS [CORPUS-DIR]]]
#   NAME: devices (MMIO, port I/O and PCI configuration accesses to every device),
#         virtq (split virtqueues on guest RAM the input fills), boot (the kernel file:
#         bzImage header, payload decompressors, ELF loader).
#   Stops after SECONDS (default 20) or RUNS executions (default: no limit), whichever
#   comes first.  New inputs go to CORPUS-DIR (default: a temporary directory; the seeds
#   are only read).  $VMM_FUZZ_ARGS adds libFuzzer options.
# Prints libFuzzer's final statistics, then one line "PASS vmm-fuzz-NAME ...",
# "FAIL vmm-fuzz-NAME ..." or "SKIP vmm-fuzz-NAME ..."; exits non-zero on a finding.
set -eu
name=${1:?usage: fuzz.sh devices|virtq|boot [SECONDS [RUNS [CORPUS-DIR]]]}
secs=${2:-20}
runs=${3:--1}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../../vmm
case $name in
devices|virtq|boot) ;;
*) echo "fuzz.sh: unknown harness '$name' (devices, virtq or boot)" >&2; exit 2 ;;
esac
if ! command -v clang >/dev/null; then
	echo "SKIP vmm-fuzz-$name: clang not installed"
	exit 0
fi
work=$(mktemp -d /tmp/vmm-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
corpus=${4:-$work/corpus}
mkdir -p "$corpus"

# The VMM's sources, less the process entry (main.c, vmm.c), the API socket (api.c: the
# control library) and virtio-net (virtio_net.c: the vhost-user library; the harness
# drives its PCI transport directly).
# The architecture's part (arch/<arch>/) is chosen by this machine, as vmm/meson.build does.
# arm64's device tree is written with libfdt.
arch_libs=
case $(uname -m) in
x86_64) arch=x86 ;;
aarch64) arch=arm64; arch_libs=-lfdt ;;
*) echo "SKIP vmm-fuzz-$name: no vireo-vmm for $(uname -m)"; exit 0 ;;
esac
# payload.c decompresses into the ELF loader of x86's vmlinux (arch/x86/elf_load.c,
# arch-neutral C), which arm64's vireo-vmm does not link: the harnesses take it everywhere.
srcs=
[ "$arch" = x86 ] || srcs=$src/arch/x86/elf_load.c
for f in "$src"/*.c "$src/arch/$arch"/*.c; do
	case ${f##*/} in
	main.c|vmm.c|api.c|virtio_net.c) ;;
	*) srcs="$srcs $f" ;;
	esac
done
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DVIREO_VERSION='"fuzz"' -I"$src" -I"$src/arch/$arch" -I"$here/.." $(pkg-config --cflags jansson) \
	"$here/fuzz_$name.c" $srcs -o "$work/fuzz_$name" \
	$(pkg-config --libs jansson) $arch_libs -llzma -llz4 -lz -lzstd -lnuma -lpthread \
	>"$work/build.log" 2>&1 || {
	cat "$work/build.log"
	echo "FAIL vmm-fuzz-$name: the harness does not build"
	exit 1
}
# boot: one malloc() over 200 MiB is a finding (the decoders' limit is 128 MiB, plus
# their state); an unbounded xz dictionary used to take up to 4 GiB.
extra=
case $name in
devices) maxlen=4096 ;;
virtq) maxlen=4096 ;;
boot) maxlen=65536; extra=-malloc_limit_mb=200 ;;
esac
# -close_fd_mask=2: the devices' messages (failed KVM ioctls, console) stay quiet;
# libFuzzer and the sanitizers report on their own copy of stderr.
# shellcheck disable=SC2086
"$work/fuzz_$name" -max_total_time="$secs" -runs="$runs" -max_len=$maxlen \
	-close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$work/" $extra \
	${VMM_FUZZ_ARGS:-} "$corpus" "$here/corpus/$name" >"$work/log" 2>&1 || {
	tail -60 "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		if [ -e "$f" ]; then
			cp "$f" "/tmp/vmm-fuzz-$name-${f##*/}"
			echo "fuzz: the input that failed, kept as /tmp/vmm-fuzz-$name-${f##*/}:"
			od -A x -t x1z "$f" | head -20
		fi
	done
	echo "FAIL vmm-fuzz-$name: a finding (input above)"
	exit 1
}
grep -E '^stat::|[[:space:]]DONE[[:space:]]' "$work/log" || true
done_line=$(grep -E '#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
echo "PASS vmm-fuzz-$name: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, no finding"

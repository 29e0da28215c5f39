#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm on bad input: each case must exit with status 2 and a message on stderr that
# says what is wrong.  Runs on the host; needs no /dev/kvm (every check happens before KVM
# is opened, or points VIREO_KVM_DEV at a missing device).
#
# usage: badinput.sh [PATH/TO/vireo-vmm]

. "$(dirname "$0")/../lib.sh"
VMM=${1:-${VIREO_VMM:-$BUILD/vmm/vireo-vmm}}
T=$(mktemp -d /tmp/vmm-badinput.XXXXXX)
at_exit 'rm -rf "$T"'

# A minimal, well-formed bzImage header (boot protocol 2.15, 64-bit, init_size 64 MiB), so
# that the checks after the kernel's can be reached without a real kernel.
python3 "$(dirname "$0")/mkbzimage.py" "$T/fake-bzImage" --init-size $((64 << 20)) --size 65536
# The same with a payload, for the decompressed boot path: a small ELF kernel (one PT_LOAD
# at 16 MiB, or one at 4 GiB, outside low RAM) compressed with xz or gzip, a corrupt xz
# stream, a payload that claims to run past the end of the file, and a bzip2 one.
python3 - "$T" <<'PY'
import gzip, lzma, struct, sys
def elf(paddr):
    e = bytearray(0x2000)
    e[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", e, 16, 2, 62, 1, paddr, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    struct.pack_into("<IIQQQQQQ", e, 64, 1, 5, 0x1000, 0xffffffff81000000, paddr, 0x1000,
                     0x1000, 0x1000)
    e[0x1000:0x2000] = b"\xf4" * 0x1000
    return bytes(e)
def bzimage(path, payload, length=None):
    b = bytearray(0x1400)
    b[0x1f1] = 4
    b[0x201] = 0x66
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, 0x020f)
    b[0x211] = 1
    struct.pack_into("<I", b, 0x22c, 0x7fffffff)
    struct.pack_into("<I", b, 0x230, 0x200000)
    struct.pack_into("<H", b, 0x236, 3)
    struct.pack_into("<I", b, 0x238, 2047)
    struct.pack_into("<II", b, 0x248, 0xa00, length or len(payload))
    struct.pack_into("<I", b, 0x260, 64 << 20)
    b += payload
    open(path, "wb").write(b)
def sized(c, n):
    return c + struct.pack("<I", n)
xz = lzma.compress(elf(0x1000000), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
bad = bytearray(xz)
bad[len(bad) // 2] ^= 0x55
d = sys.argv[1]
bzimage(d + "/corrupt-xz", sized(bytes(bad), 0x2000))
bzimage(d + "/past-end", sized(xz, 0x2000), length=1 << 20)
bzimage(d + "/segment-4g", sized(gzip.compress(elf(1 << 32)), 0x2000))
bzimage(d + "/short-size", sized(xz, 0x1000))
bzimage(d + "/bzip2", sized(b"BZh91AY&SY" + bytes(64), 0x2000))
# xz whose block header asks for a 1 GiB dictionary (LZMA2 property byte 36, header CRC32
# redone): more decoder memory than vireo-vmm allows.
import zlib
big = bytearray(xz)
hsize = (big[12] + 1) * 4
at = big.index(b"\x21\x01", 13, 12 + hsize - 4)
big[at + 2] = 36
struct.pack_into("<I", big, 12 + hsize - 4, zlib.crc32(bytes(big[12:12 + hsize - 4])))
bzimage(d + "/xz-1g-dict", sized(bytes(big), 0x2000))
PY
head -c 4194304 /dev/urandom >"$T/random.bin"
echo "not a kernel" >"$T/text"
mkdir "$T/dir"
KERNEL="$T/fake-bzImage"

# expect NAME PATTERN [ENV=VALUE] -- ARGS...
expect() {
	name=$1
	pattern=$2
	shift 2
	envs=""
	while [ "$1" != "--" ]; do
		envs="$envs $1"
		shift
	done
	shift
	env $envs timeout 30 "$VMM" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$T/err"; then
		pass "$name: $(head -n 1 "$T/err")"
	else
		fail "$name: exit $rc (expected 2), stderr:"
		sed 's/^/    /' "$T/err"
	fi
}

expect "kernel is not a bzImage" "not a bzImage" -- --kernel "$T/random.bin"
expect "kernel is a text file" "not a bzImage" -- --kernel "$T/text"
expect "kernel is missing" "No such file" -- --kernel "$T/nonexistent"
expect "kernel is a directory" "directory" -- --kernel "$T/dir"
expect "initramfs is missing" "initramfs" -- --kernel "$KERNEL" --initramfs "$T/nonexistent"
expect "initramfs is a directory" "initramfs" -- --kernel "$KERNEL" --initramfs "$T/dir"
expect "memory too small" "too small" -- --kernel "$KERNEL" --memory 8M
expect "memory too small for the kernel" "too small for the kernel" -- \
	--kernel "$KERNEL" --memory 64M
expect "memory too small for the initramfs" "too small for the kernel .* and the initramfs" -- \
	--kernel "$KERNEL" --memory 82M --initramfs "$T/random.bin"
expect "memory larger than the host" "more than this host has" -- --kernel "$KERNEL" --memory 64T
expect "memory size unparsable" "bad size" -- --kernel "$KERNEL" --memory lots

# Hugepages: ask for more 2 MiB pages than are free (reserved or not).
pool=/sys/kernel/mm/hugepages/hugepages-2048kB
free2m=$(cat "$pool/free_hugepages" 2>/dev/null || echo 0)
want=$(( (free2m + 1024) * 2 ))
expect "2M hugepages not reserved" "echo .* > $pool/nr_hugepages" -- \
	--kernel "$KERNEL" --memory "${want}M,hugepages=2M"
if [ -d /sys/kernel/mm/hugepages/hugepages-1048576kB ]; then
	free1g=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages)
	expect "1G hugepages not reserved" "nr_hugepages" -- \
		--kernel "$KERNEL" --memory "$((free1g + 1))G,hugepages=1G"
else
	expect "1G hugepage pool missing" "hugepagesz=1G" -- \
		--kernel "$KERNEL" --memory 1G,hugepages=1G
fi
expect "hugepages of an unknown size" "hugepages=" -- --kernel "$KERNEL" --memory 1G,hugepages=4M
expect "memory not a multiple of the hugepage size" "multiple" -- \
	--kernel "$KERNEL" --memory 1025M,hugepages=2M
expect "NUMA node that does not exist" "numa=" -- --kernel "$KERNEL" --memory 64M,numa=77

expect "too many vCPUs" "at most" -- --kernel "$KERNEL" --cpus 4096
expect "zero vCPUs" "--cpus" -- --kernel "$KERNEL" --cpus 0
expect "missing /dev/kvm" "KVM device /nonexistent/kvm is missing" \
	VIREO_KVM_DEV=/nonexistent/kvm -- --kernel "$KERNEL"
expect "no --kernel" "--kernel is required" --
expect "unknown option" "bad option '--frobnicate'" -- --kernel "$KERNEL" --frobnicate
expect "pin of a vCPU that does not exist" "vCPU 5 does not exist" -- \
	--kernel "$KERNEL" --cpus 2 --cpu-pin 5:0
expect "bad serial" "--serial" -- --kernel "$KERNEL" --serial telnet
expect "bad serial file size" "max-size 'big'" -- --kernel "$KERNEL" \
	--serial "file=$T/console,max-size=big"
expect "bad emulator pin" "--emulator-pin" -- --kernel "$KERNEL" --emulator-pin x
expect "emulator pin on a CPU this process cannot use" \
	"--emulator-pin: none of those CPUs is available" -- --kernel "$KERNEL" --emulator-pin 1023
expect "vCPU pin on a CPU this process cannot use" \
	"--cpu-pin 1:1000: CPU 1000 is not available to this process" -- --kernel "$KERNEL" \
	--cpus 2 --cpu-pin 1:1000
# A vCPU may go to a CPU the VMM was not started on (isolated CPUs are pinned that way): with
# the VMM on CPU 0 only, a pin to CPU 1 passes, and the run stops later, at the missing KVM.
if [ "$(nproc)" -ge 2 ]; then
	VIREO_KVM_DEV=/nonexistent/kvm taskset -c 0 "$VMM" --kernel "$KERNEL" --cpus 2 \
		--cpu-pin 1:1 </dev/null >"$T/out" 2>"$T/err"
	if grep -q "KVM device /nonexistent/kvm is missing" "$T/err" && ! grep -q -- "--cpu-pin" "$T/err"; then
		pass "vCPU pin outside the CPUs the VMM inherited (taskset -c 0, --cpu-pin 1:1) is taken"
	else
		fail "vCPU pin outside the inherited CPUs: $(head -n 2 "$T/err")"
	fi
fi
# The decompressed boot path (vmm/payload.c): bad payloads name the kernel file.
expect "payload: corrupt xz data" "corrupt-xz: xz payload: corrupt data" -- \
	--kernel "$T/corrupt-xz"
expect "payload: xz dictionary over the memory limit" \
	"xz-1g-dict: xz payload: its dictionary needs 1024 MiB of decoder memory, over vireo-vmm's limit" \
	-- --kernel "$T/xz-1g-dict" --kernel-boot decompressed
expect "payload past the end of the file" "past-end: payload .* lies outside" -- \
	--kernel "$T/past-end"
expect "payload: ELF segment at 4 GiB" "segment-4g: ELF segment 0 .* lies outside the guest RAM" \
	-- --kernel "$T/segment-4g"
expect "payload: recorded size too small" "short-size: .*beyond the end of the decompressed kernel" -- \
	--kernel "$T/short-size"
expect "payload format not decompressed, forced" "compressed with bzip2.*--kernel-boot decompressed" -- \
	--kernel "$T/bzip2" --kernel-boot decompressed
expect "payload missing, forced" "gives no payload" -- --kernel "$KERNEL" \
	--kernel-boot decompressed
expect "bad --kernel-boot" "--kernel-boot: 'fast'" -- --kernel "$KERNEL" --kernel-boot fast
expect "command line too long" "--cmdline" -- --kernel "$KERNEL" \
	--cmdline "$(head -c 3000 /dev/zero | tr '\0' x)"

finish

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness: the kernel file, from the bzImage header to the ELF segments — what
 * --kernel hands vireo-vmm (vmm/boot.c, payload.c with liblzma, liblz4, zlib and libzstd,
 * elf_load.c).  The first byte picks the path:
 *   0 (mod 3): the whole file through vmm_boot_load() into 128 MiB of guest RAM (bit 2:
 *              --kernel-boot decompressed, bit 3: bzimage, else auto);
 *   1: the rest is a compressed payload (its size appended, as in a bzImage), decompressed
 *      into the ELF loader over a small fake RAM (segments in [64 KiB, 2 MiB + 64 KiB));
 *   2: the rest is an ELF file, fed to the loader in pieces of the sizes the second byte
 *      gives.
 * Besides ASan and UBSan, the loader must leave the fake RAM outside [lo, hi) untouched
 * and a failure must come with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "arch.h"
#include "memory.h"
#include "payload.h"
#include "vm.h"
#include "vmm.h"

/* The loader's room is [LO, HI); the 64 KiB either side must stay untouched. */
#define FAKE_SIZE 0x220000U
#define LO 0x10000ULL
#define HI 0x210000ULL
#define FILL 0xcc

static struct vmm_vm vm;
static struct vmm_config cfg;
static char kernel_path[64];
static int kernel_fd;
static uint8_t *fake;
static uint8_t discard[4096];
/* The decompressors' scratch, faulted in once: page faults would dominate each input. */
#define SCRATCH_SIZE (24U << 20)
static uint8_t *scratch;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmm_mem_opts o = { .size = 128ULL << 20, .shared = true, .numa_node = -1 };
	char *err = NULL;

	(void)argc;
	(void)argv;
	kernel_fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
	fake = malloc(FAKE_SIZE);
	scratch = malloc(SCRATCH_SIZE);
	if (kernel_fd < 0 || fake == NULL || scratch == NULL ||
	    vmm_memory_create(&vm.mem, &o, &err) < 0) {
		fprintf(stderr, "fuzz_boot: set-up: %s\n", err != NULL ? err : "failed");
		exit(1);
	}
	snprintf(kernel_path, sizeof(kernel_path), "/proc/self/fd/%d", kernel_fd);
	cfg.kernel = kernel_path;
	cfg.cmdline = "console=ttyS0 panic=-1";
	vm.cfg = &cfg;
	vm.nr_vcpus = 1;
	memset(fake, FILL, FAKE_SIZE);
	memset(scratch, 0, SCRATCH_SIZE);
	return 0;
}

static void
boot_load(const uint8_t *buf, size_t size, uint8_t mode)
{
	char *err = NULL;
	int ret;

	if (ftruncate(kernel_fd, 0) < 0 || pwrite(kernel_fd, buf, size, 0) != (ssize_t)size)
		abort();
	cfg.kernel_boot = mode & 4 ? VMM_KERNEL_BOOT_DECOMPRESSED :
		mode & 8 ? VMM_KERNEL_BOOT_BZIMAGE : VMM_KERNEL_BOOT_AUTO;
	memset(&vm.boot, 0, sizeof(vm.boot));
	ret = vmm_boot_load(&vm, &err);
	if (ret < 0 && err == NULL)
		abort();	/* every failure is reported */
	free(err);
}

/* Is the fake RAM outside the loader's room as it was (FILL)? */
static void
check_outside(void)
{
	static uint8_t ref[LO];

	if (ref[0] != FILL)
		memset(ref, FILL, sizeof(ref));
	if (memcmp(fake, ref, LO) != 0 || memcmp(fake + HI, ref, FAKE_SIZE - HI) != 0) {
		fprintf(stderr, "fuzz_boot: the loader wrote outside its room\n");
		abort();
	}
}

static void
payload(const uint8_t *buf, size_t size)
{
	struct vmm_elf_load *l = malloc(sizeof(*l));
	struct vmm_scratch s = { .base = scratch, .size = SCRATCH_SIZE };
	enum vmm_payload_format f;
	char *err = NULL;
	int ret;

	if (l == NULL || size < 8) {
		free(l);
		return;
	}
	f = vmm_payload_detect(buf, size);
	vmm_elf_load_init(l, fake, LO, HI, vmm_payload_size(buf, size), discard,
		sizeof(discard), "fuzz");
	ret = vmm_payload_decompress(f, buf, size, l, &s, &err);
	if (ret < 0 && err == NULL)
		abort();
	free(err);
	free(l);
	check_outside();
}

static void
raw_elf(const uint8_t *buf, size_t size, uint8_t piece)
{
	struct vmm_elf_load *l = malloc(sizeof(*l));
	size_t step = piece == 0 ? size : piece, off;
	char *err = NULL;
	int ret = 0;

	if (l == NULL)
		return;
	vmm_elf_load_init(l, fake, LO, HI, size, discard, sizeof(discard), "fuzz");
	for (off = 0; off < size && ret == 0; off += step)
		ret = vmm_elf_load_write(l, buf + off, size - off < step ? size - off : step, &err);
	if (ret == 0)
		ret = vmm_elf_load_finish(l, &err);
	if (ret < 0 && err == NULL)
		abort();
	free(err);
	free(l);
	check_outside();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	if (size < 2)
		return 0;
	switch (buf[0] % 3) {
	case 0:
		boot_load(buf + 1, size - 1, buf[0]);
		break;
	case 1:
		payload(buf + 1, size - 1);
		break;
	default:
		raw_elf(buf + 2, size - 2, buf[1]);
		break;
	}
	return 0;
}

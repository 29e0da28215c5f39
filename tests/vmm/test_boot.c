/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bzImage header check, the e820 map and the boot page tables.  A real Debian kernel is
 * parsed too when the test host's cache has one (TESTHOST_CACHE or /var/cache/vireo-testhost).
 */
#include <asm/bootparam.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fake_bzimage.h"
#include "memory.h"
#include "util.h"
#include "vmm.h"
#include "x86.h"

#define IMG_SIZE 65536

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static uint8_t *
fake_bzimage(void)
{
	uint8_t *b = calloc(1, IMG_SIZE);

	fake_bzimage_header(b);
	return b;
}

static int
parse(const uint8_t *b, size_t len, struct vmm_bzimage *bz, char **msg)
{
	free(*msg);
	*msg = NULL;
	return vmm_bzimage_parse(b, len < X86_SETUP_MAX ? len : X86_SETUP_MAX, len, "IMG", bz, msg);
}

static void
test_header(void)
{
	struct vmm_bzimage bz;
	uint8_t *b = fake_bzimage();
	char *msg = NULL;

	CHECK(parse(b, IMG_SIZE, &bz, &msg) == 0);
	CHECK(bz.version == 0x20f);
	CHECK(bz.setup_size == 5 * 512);
	CHECK(bz.setup_size == 2560 && bz.kernel_size == IMG_SIZE - 2560);
	CHECK(bz.init_size == 0x800000);
	CHECK(bz.cmdline_max == 2047);
	CHECK(bz.initrd_max == 0x7fffffff);
	CHECK(bz.setup_header == b + 0x1f1 && bz.setup_header_len == 0x268 - 0x1f1);

	/* setup_sects 0 means 4. */
	b[0x1f1] = 0;
	CHECK(parse(b, IMG_SIZE, &bz, &msg) == 0 && bz.setup_size == 2560);

	/* Bad inputs: each refused with -VMM_EINPUT and a message naming the file. */
	memcpy(b + 0x202, "HdrX", 4);
	CHECK(parse(b, IMG_SIZE, &bz, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "IMG") != NULL && strstr(msg, "HdrS") != NULL);
	memcpy(b + 0x202, "HdrS", 4);
	CHECK(parse(b, 0x100, &bz, &msg) == -VMM_EINPUT);
	put16(b + 0x206, 0x0204);
	CHECK(parse(b, IMG_SIZE, &bz, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "2.04") != NULL);
	put16(b + 0x206, 0x020f);
	put16(b + 0x236, 0);
	CHECK(parse(b, IMG_SIZE, &bz, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "64-bit") != NULL);
	put16(b + 0x236, XLF_KERNEL_64);
	b[0x211] = 0;
	CHECK(parse(b, IMG_SIZE, &bz, &msg) == -VMM_EINPUT);
	b[0x211] = LOADED_HIGH;
	b[0x1f1] = 200;
	CHECK(parse(b, 0x8000, &bz, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "truncated") != NULL);
	free(msg);
	free(b);
}

static void
test_real_kernel(void)
{
	const char *cache = getenv("TESTHOST_CACHE");
	char dir[512], path[1200];
	struct vmm_bzimage bz;
	struct dirent *d;
	uint8_t *buf;
	size_t len;
	char *msg = NULL;
	DIR *dp;
	bool found = false;

	snprintf(dir, sizeof(dir), "%s/kernel", cache != NULL ? cache : "/var/cache/vireo-testhost");
	dp = opendir(dir);
	while (dp != NULL && (d = readdir(dp)) != NULL && !found) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/boot/vmlinuz-%s", dir, d->d_name, d->d_name);
		if (vmm_read_file(path, &buf, &len) < 0)
			continue;
		found = true;
		CHECK(vmm_bzimage_parse(buf, len < X86_SETUP_MAX ? len : X86_SETUP_MAX, len, path, &bz,
			&msg) == 0);
		CHECK(bz.version >= 0x20c && (bz.xloadflags & XLF_KERNEL_64));
		CHECK(bz.init_size > bz.kernel_size && bz.cmdline_max >= 255);
		printf("test_boot: %s: protocol %u.%02u, init_size %llu KiB\n", path, bz.version >> 8,
			bz.version & 0xff, (unsigned long long)bz.init_size >> 10);
		free(buf);
	}
	if (dp != NULL)
		closedir(dp);
	if (!found)
		printf("test_boot: SKIP real kernel (none in %s)\n", dir);
	free(msg);
}

static void
test_e820(void)
{
	struct vmm_e820 e[8];
	unsigned int n;

	n = vmm_e820_build(256ULL << 20, 0, e, 8);
	CHECK(n == 3);
	CHECK(e[0].addr == 0 && e[0].size == X86_EBDA_START && e[0].type == 1);
	CHECK(e[1].addr == X86_EBDA_START && e[1].addr + e[1].size == 0x100000 && e[1].type == 2);
	CHECK(e[2].addr == 0x100000 && e[2].addr + e[2].size == 256ULL << 20 && e[2].type == 1);
	/* The ACPI and MP tables live in the reserved hole. */
	CHECK(X86_ACPI_ADDR >= e[1].addr && X86_MPTABLE_ADDR + X86_MPTABLE_SIZE <= 0x100000);

	n = vmm_e820_build(VMM_MEM_HOLE_START, 1ULL << 30, e, 8);
	CHECK(n == 4);
	CHECK(e[2].addr + e[2].size == VMM_MEM_HOLE_START);
	CHECK(e[3].addr == VMM_MEM_HIGH_START && e[3].size == 1ULL << 30 && e[3].type == 1);
	CHECK(vmm_e820_build(256ULL << 20, 0, e, 2) == 2);
}

static void
test_page_tables(void)
{
	uint8_t *mem = calloc(1, 0x10000);
	uint64_t pml4, pdpt3, pd, gdt2;

	vmm_x86_page_tables(mem);
	memcpy(&pml4, mem + X86_PML4_ADDR, 8);
	CHECK(pml4 == (X86_PDPT_ADDR | 3));
	memcpy(&pdpt3, mem + X86_PDPT_ADDR + 3 * 8, 8);
	CHECK(pdpt3 == ((X86_PD_ADDR + 3 * 4096) | 3));
	/* The last 2 MiB page of the 4 GiB identity map. */
	memcpy(&pd, mem + X86_PD_ADDR + (4 * 512 - 1) * 8, 8);
	CHECK(pd == ((0xffe00000ULL) | 0x83));
	memcpy(&gdt2, mem + X86_GDT_ADDR + X86_BOOT_CS, 8);
	CHECK(((gdt2 >> 53) & 1) == 1);		/* L: 64-bit code */
	CHECK(((gdt2 >> 47) & 1) == 1);		/* present */
	free(mem);
}

int
main(void)
{
	test_header();
	test_real_kernel();
	test_e820();
	test_page_tables();
	return check_report("test_boot");
}

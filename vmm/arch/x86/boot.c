/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Linux x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst): check the
 * bzImage header, load the initramfs at the top of low RAM, then the kernel: decompressed
 * here, its ELF segments at their physical addresses and entered at e_entry (payload.h), or
 * as is, the protected-mode kernel at 16 MiB entered at its 64-bit entry (+0x200).  Fill
 * boot_params (setup header, command line, e820 map, RSDP address) and write the identity
 * page tables and the GDT that both entry points expect.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "payload.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

#define HDR_SETUP_SECTS 0x1f1
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_LOADFLAGS 0x211
#define HDR_INITRD_MAX 0x22c
#define HDR_KERNEL_ALIGN 0x230
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_LEN 0x270

/* Bytes of the decompressed kernel that belong to no segment go through this buffer. */
#define DISCARD_LEN (1U << 20)

#define E820_RAM 1
#define E820_RESERVED 2

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
		((uint32_t)p[3] << 24);
}

int
vmm_bzimage_parse(const uint8_t *buf, size_t len, size_t file_size, const char *path,
		struct vmm_bzimage *bz, char **err)
{
	unsigned int sects;
	size_t hdr_end;

	memset(bz, 0, sizeof(*bz));
	if (len < HDR_MIN_LEN || memcmp(buf + HDR_MAGIC, "HdrS", 4) != 0)
		return vmm_err(err, -VMM_EINPUT,
			"--kernel %s: not a bzImage (no \"HdrS\" boot header at offset 0x202)", path);
	bz->version = le16(buf + HDR_VERSION);
	if (bz->version < 0x20c)
		return vmm_err(err, -VMM_EINPUT,
			"--kernel %s: boot protocol %u.%02u is too old (2.12 or later needed for the "
			"64-bit entry)", path, bz->version >> 8, bz->version & 0xff);
	bz->xloadflags = le16(buf + HDR_XLOADFLAGS);
	if (!(bz->xloadflags & XLF_KERNEL_64))
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: not a 64-bit kernel (no XLF_KERNEL_64)",
			path);
	if (!(buf[HDR_LOADFLAGS] & LOADED_HIGH))
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: a zImage, not a bzImage", path);
	sects = buf[HDR_SETUP_SECTS] != 0 ? buf[HDR_SETUP_SECTS] : 4;
	bz->setup_size = (sects + 1) * 512;
	if (bz->setup_size >= file_size)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: truncated (setup is %u bytes, file %zu)",
			path, bz->setup_size, file_size);
	bz->kernel_size = file_size - bz->setup_size;
	bz->initrd_max = le32(buf + HDR_INITRD_MAX);
	bz->kernel_align = le32(buf + HDR_KERNEL_ALIGN);
	bz->cmdline_max = le32(buf + HDR_CMDLINE_SIZE);
	bz->init_size = le32(buf + HDR_INIT_SIZE);
	bz->payload_offset = le32(buf + HDR_PAYLOAD_OFFSET);
	bz->payload_length = le32(buf + HDR_PAYLOAD_LENGTH);
	if (bz->init_size < bz->kernel_size)
		bz->init_size = bz->kernel_size;
	hdr_end = HDR_JUMP + 2 + buf[HDR_JUMP + 1];
	if (hdr_end > HDR_SETUP_SECTS + sizeof(struct setup_header))
		hdr_end = HDR_SETUP_SECTS + sizeof(struct setup_header);
	if (hdr_end > len)
		hdr_end = len;
	bz->setup_header = buf + HDR_SETUP_SECTS;
	bz->setup_header_len = hdr_end - HDR_SETUP_SECTS;
	return 0;
}

static unsigned int
e820_add(struct vmm_e820 *e, unsigned int n, unsigned int max, uint64_t addr, uint64_t size,
		uint32_t type)
{
	if (n < max && size > 0)
		e[n++] = (struct vmm_e820){ .addr = addr, .size = size, .type = type };
	return n;
}

unsigned int
vmm_e820_build(uint64_t low, uint64_t high, struct vmm_e820 *e, unsigned int max)
{
	unsigned int n = 0;

	n = e820_add(e, n, max, 0, X86_EBDA_START, E820_RAM);
	n = e820_add(e, n, max, X86_EBDA_START, X86_HIGH_MEM - X86_EBDA_START, E820_RESERVED);
	if (low > X86_HIGH_MEM)
		n = e820_add(e, n, max, X86_HIGH_MEM, low - X86_HIGH_MEM, E820_RAM);
	if (high > 0)
		n = e820_add(e, n, max, VMM_MEM_HIGH_START, high, E820_RAM);
	return n;
}

void
vmm_x86_page_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + X86_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(mem + X86_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(mem + X86_PD_ADDR);
	uint64_t *gdt = (uint64_t *)(mem + X86_GDT_ADDR);
	unsigned int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = X86_PDPT_ADDR | 0x3;				/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_ADDR + i * 4096ULL) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;		/* present, writable, 2 MiB */

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;	/* 0x10: 64-bit code, DPL 0 */
	gdt[3] = 0x00cf93000000ffffULL;	/* 0x18: flat data */
	gdt[4] = 0x00008b0000000067ULL;	/* 0x20: TSS (busy), for TR */
}

static int
load_initramfs(struct vmm_vm *vm, const char *path, uint64_t kernel_end,
		const struct vmm_bzimage *bz, uint64_t *addr, uint64_t *size, char **err)
{
	uint64_t low = vmm_memory_low_size(&vm->mem), top, off = 0;
	struct stat st;
	uint8_t *dst;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_err(err, -VMM_EINPUT, "--initramfs %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = vmm_err(err, -VMM_EINPUT, "--initramfs %s: not a regular file", path);
		goto out;
	}
	top = low;
	if ((uint64_t)bz->initrd_max + 1 < top)
		top = (uint64_t)bz->initrd_max + 1;
	*size = (uint64_t)st.st_size;
	if (*size + kernel_end > top) {
		ret = vmm_err(err, -VMM_EINPUT,
			"--memory: too small for the kernel (%" PRIu64 " MiB from 16 MiB) and the "
			"initramfs (%" PRIu64 " MiB)", (uint64_t)((kernel_end - X86_KERNEL_ADDR) >> 20), *size >> 20);
		goto out;
	}
	*addr = (top - *size) & ~0xfffULL;
	dst = vmm_memory_ptr(&vm->mem, *addr, *size);
	while (off < *size) {
		ssize_t n = read(fd, dst + off, *size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = vmm_err(err, -VMM_EINPUT, "--initramfs %s: %s", path,
				n < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		off += (uint64_t)n;
	}
out:
	close(fd);
	return ret;
}

static void
fill_boot_params(struct vmm_vm *vm, const struct vmm_bzimage *bz, uint64_t initrd,
		uint64_t initrd_size, uint64_t rsdp)
{
	struct boot_params *bp = vmm_memory_ptr(&vm->mem, X86_BOOT_PARAMS_ADDR, sizeof(*bp));
	struct vmm_e820 map[8];
	unsigned int i, n;

	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, bz->setup_header, bz->setup_header_len);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;
	bp->hdr.code32_start = (uint32_t)X86_KERNEL_ADDR;
	bp->hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
	bp->hdr.ramdisk_image = (uint32_t)initrd;
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	if (bz->version >= 0x20e)
		bp->acpi_rsdp_addr = rsdp;
	n = vmm_e820_build(vmm_memory_low_size(&vm->mem),
		vm->mem.nr_regions > 1 ? vm->mem.regions[1].size : 0, map, 8);
	for (i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
}

/* Read 'len' bytes at 'off' of 'fd' into 'dst'.  Returns 0 or -errno (-EIO if short). */
static int
read_full(int fd, uint8_t *dst, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int
open_kernel(const char *path, size_t *size, char **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path,
			S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
	}
	*size = (size_t)st.st_size;
	return fd;
}

/* Give back the pages of guest RAM ['gpa', 'gpa' + 'len') that the decompressors used. */
static void
release_scratch(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t pg = vm->mem.page_size, start = (gpa + pg - 1) & ~(pg - 1);
	uint64_t end = (gpa + len) & ~(pg - 1);

	if (vm->cfg->prealloc || end <= start)
		return;
	if (vm->mem.fd >= 0)
		(void)fallocate(vm->mem.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)(vm->mem.regions[0].fd_offset + start), (off_t)(end - start));
	else
		(void)madvise(vm->mem.base + start, end - start, MADV_DONTNEED);
}

/*
 * The decompressed path (payload.h): decompress the payload of the kernel file 'fd' with
 * the memory between 'kernel_end' and 'top' as scratch, and load the ELF segments in
 * [1 MiB, 'kernel_end').  -ENOTSUP (or another -errno) means "use the bzImage path",
 * -VMM_EINPUT a bad kernel file.
 */
static int
load_decompressed(struct vmm_vm *vm, int fd, const struct vmm_bzimage *bz,
		uint64_t kernel_end, uint64_t top, char **err)
{
	const char *path = vm->cfg->kernel;
	uint64_t pg = vm->mem.page_size, lo = (kernel_end + pg - 1) & ~(pg - 1);
	uint64_t t0 = vmm_now_ns();
	struct vmm_scratch scratch = { 0 };
	enum vmm_payload_format f;
	struct vmm_elf_load *l = NULL;
	uint8_t *mem, *payload = NULL, *discard = NULL;
	size_t len = bz->payload_length;
	int ret;

	if (len == 0)
		return vmm_err(err, -ENOTSUP, "--kernel %s: the header gives no payload", path);
	if (bz->payload_offset > bz->kernel_size || len > bz->kernel_size - bz->payload_offset)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: payload 0x%x+0x%zx lies outside the "
			"protected-mode kernel (%zu bytes)", path, bz->payload_offset, len,
			bz->kernel_size);
	if (len < 8)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: payload of %zu bytes: truncated",
			path, len);
	mem = vmm_memory_ptr(&vm->mem, 0, top);
	top &= ~(pg - 1);
	if (top > lo) {
		scratch.base = mem + lo;
		scratch.size = top - lo;
	}
	l = malloc(sizeof(*l));
	payload = vmm_scratch_alloc(&scratch, len);
	discard = vmm_scratch_alloc(&scratch, DISCARD_LEN);
	if (l == NULL || payload == NULL || discard == NULL) {
		ret = vmm_err(err, -ENOMEM, "--kernel %s: out of memory for the payload", path);
		goto out;
	}
	ret = read_full(fd, payload, len, (off_t)bz->setup_size + bz->payload_offset);
	vm->boot.read_ns = vmm_now_ns() - t0;
	if (ret < 0) {
		ret = vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path, strerror(-ret));
		goto out;
	}
	f = vmm_payload_detect(payload, len);
	vm->boot.payload_format = vmm_payload_format_name(f);
	if (!vmm_payload_supported(f)) {
		ret = vmm_err(err, -ENOTSUP, "--kernel %s: payload compressed with %s (magic "
			"%02x %02x %02x %02x), which vireo-vmm does not decompress", path,
			vmm_payload_format_name(f), payload[0], payload[1], payload[2], payload[3]);
		goto out;
	}
	vmm_elf_load_init(l, mem, X86_HIGH_MEM, kernel_end, vmm_payload_size(payload, len),
		discard, DISCARD_LEN, path);
	ret = vmm_payload_decompress(f, payload, len, l, &scratch, err);
	if (ret < 0)
		goto out;
	vm->boot.entry = l->entry;
	vm->boot.kernel_size = l->total;
	vm->boot.decompressed = true;
	vm->boot.decompress_ns = vmm_now_ns() - t0;
out:
	vmm_scratch_free(&scratch, discard);
	vmm_scratch_free(&scratch, payload);
	free(l);
	release_scratch(vm, lo, scratch.used);
	return ret;
}

/* The classic path: the protected-mode kernel at 16 MiB, its decompressor runs in the guest. */
static int
load_bzimage(struct vmm_vm *vm, int fd, const struct vmm_bzimage *bz, char **err)
{
	uint8_t *mem = vmm_memory_ptr(&vm->mem, X86_KERNEL_ADDR, bz->kernel_size);
	int ret;

	ret = read_full(fd, mem, bz->kernel_size, bz->setup_size);
	if (ret < 0)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", vm->cfg->kernel, strerror(-ret));
	vm->boot.entry = X86_KERNEL_ADDR + 0x200;
	vm->boot.kernel_size = bz->kernel_size;
	return 0;
}

static int
load_kernel(struct vmm_vm *vm, int fd, const struct vmm_bzimage *bz, uint64_t kernel_end,
		uint64_t top, char **err)
{
	enum vmm_kernel_boot mode = vm->cfg->kernel_boot;
	char *why = NULL;
	int ret;

	if (mode == VMM_KERNEL_BOOT_BZIMAGE) {
		snprintf(vm->boot.boot_note, sizeof(vm->boot.boot_note), "--kernel-boot bzimage");
		return load_bzimage(vm, fd, bz, err);
	}
	ret = load_decompressed(vm, fd, bz, kernel_end, top, &why);
	if (ret == 0 || ret == -VMM_EINPUT || mode == VMM_KERNEL_BOOT_DECOMPRESSED) {
		if (ret == -ENOTSUP)
			ret = -VMM_EINPUT;
		if (ret < 0)
			vmm_err(err, ret, "%s%s", why != NULL ? why : strerror(-ret),
				mode == VMM_KERNEL_BOOT_DECOMPRESSED ?
				" (--kernel-boot decompressed)" : "");
		free(why);
		return ret;
	}
	/* Fall back to the guest's own decompressor, and say why. */
	snprintf(vm->boot.boot_note, sizeof(vm->boot.boot_note), "%s",
		why != NULL ? why : strerror(-ret));
	if (bz->payload_length != 0)
		fprintf(stderr, "vireo-vmm: %s; the guest decompresses the kernel itself\n",
			vm->boot.boot_note);
	free(why);
	return load_bzimage(vm, fd, bz, err);
}

int
vmm_boot_load(struct vmm_vm *vm, char **err)
{
	const struct vmm_config *cfg = vm->cfg;
	uint64_t low = vmm_memory_low_size(&vm->mem);
	uint64_t kernel_end, initrd = 0, initrd_size = 0;
	struct vmm_bzimage bz;
	size_t cmdlen = strlen(cfg->cmdline), size = 0, hlen;
	uint8_t *hdr = NULL, *mem;
	int fd, ret;

	fd = open_kernel(cfg->kernel, &size, err);
	if (fd < 0)
		return fd;
	hlen = size < X86_SETUP_MAX ? size : X86_SETUP_MAX;
	hdr = malloc(hlen > 0 ? hlen : 1);
	if (hdr == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_full(fd, hdr, hlen, 0);
	if (ret < 0) {
		ret = vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", cfg->kernel, strerror(-ret));
		goto out;
	}
	ret = vmm_bzimage_parse(hdr, hlen, size, cfg->kernel, &bz, err);
	if (ret < 0)
		goto out;
	kernel_end = X86_KERNEL_ADDR + ((bz.init_size + 0xfff) & ~0xfffULL);
	if (kernel_end > low) {
		ret = vmm_err(err, -VMM_EINPUT,
			"--memory: %" PRIu64 " MiB is too small for the kernel %s (it needs %" PRIu64
			" MiB from 16 MiB)", vm->mem.size >> 20, cfg->kernel, bz.init_size >> 20);
		goto out;
	}
	if (cmdlen > bz.cmdline_max || cmdlen >= X86_CMDLINE_MAX) {
		ret = vmm_err(err, -VMM_EINPUT, "--cmdline: %zu bytes, the kernel takes at most %u",
			cmdlen, bz.cmdline_max);
		goto out;
	}
	mem = vmm_memory_ptr(&vm->mem, 0, X86_KERNEL_ADDR);
	memcpy(mem + X86_CMDLINE_ADDR, cfg->cmdline, cmdlen + 1);
	if (cfg->initramfs != NULL) {
		ret = load_initramfs(vm, cfg->initramfs, kernel_end, &bz, &initrd, &initrd_size, err);
		if (ret < 0)
			goto out;
	}
	/* The kernel after the initramfs: the RAM between them is the decompressors' scratch. */
	ret = load_kernel(vm, fd, &bz, kernel_end, initrd_size != 0 ? initrd : low, err);
	if (ret < 0)
		goto out;
	vmm_x86_page_tables(mem);
	ret = vmm_acpi_build(mem + X86_ACPI_ADDR, X86_ACPI_ADDR, X86_ACPI_SIZE, vm->nr_vcpus);
	if (ret < 0) {
		ret = vmm_err(err, ret, "ACPI tables do not fit for %u vCPUs", vm->nr_vcpus);
		goto out;
	}
	ret = vmm_mptable_build(mem + X86_MPTABLE_ADDR, X86_MPTABLE_ADDR, X86_MPTABLE_SIZE,
		vm->nr_vcpus);
	if (ret < 0) {
		ret = vmm_err(err, ret, "MP table does not fit for %u vCPUs", vm->nr_vcpus);
		goto out;
	}
	fill_boot_params(vm, &bz, initrd, initrd_size, X86_ACPI_ADDR);
	vm->boot.boot_params = X86_BOOT_PARAMS_ADDR;
	vm->boot.initramfs_size = initrd_size;
	ret = 0;
out:
	free(hdr);
	close(fd);
	return ret;
}

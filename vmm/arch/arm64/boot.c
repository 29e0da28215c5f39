/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64 boot (Linux's Documentation/arch/arm64/booting.rst): the kernel Image, or Debian's
 * gzip-compressed vmlinuz inflated by the VMM with zlib, is placed text_offset bytes above
 * the 2 MiB-aligned start of RAM; the initramfs goes high in RAM below the device tree,
 * which sits in the top 2 MiB (the tree itself is written by arm64_fdt_build() once the
 * vCPUs exist).  The boot vCPU enters at the Image's first byte with x0 = the tree's
 * address, MMU off, at EL1h (vcpu.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "arch.h"
#include "arm64.h"
#include "util.h"
#include "vm.h"

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int
arm64_image_parse(const uint8_t *hdr, size_t len, uint64_t file_size, const char *path,
		struct arm64_image *img, char **err)
{
	if (len < ARM64_IMAGE_HDR_SIZE || (uint32_t)le64(hdr + 0x38) != ARM64_IMAGE_MAGIC)
		return vmm_err(err, -VMM_EINPUT,
			"--kernel %s: not an arm64 Linux Image (no \"ARM\\x64\" magic at 0x38) nor a "
			"gzip-compressed one", path);
	img->text_offset = le64(hdr + 0x08);
	img->image_size = le64(hdr + 0x10);
	img->file_size = file_size;
	/* Kernels before 3.17 leave image_size 0 and expect text_offset 0x80000. */
	if (img->image_size == 0) {
		img->text_offset = 0x80000;
		img->image_size = file_size;
	}
	if (img->text_offset >= ARM64_KERNEL_ALIGN || img->image_size < file_size)
		return vmm_err(err, -VMM_EINPUT,
			"--kernel %s: bad Image header (text_offset 0x%" PRIx64 ", image_size %" PRIu64
			" for %" PRIu64 " bytes)", path, img->text_offset, img->image_size,
			file_size);
	return 0;
}

/* Reads the file into guest RAM at 'dst' (at most 'room' bytes); gzip is inflated.
 * Returns the bytes written or a negative error with '*err' set. */
static int64_t
read_kernel(const char *path, uint8_t *dst, uint64_t room, char **err)
{
	gzFile gz;
	int64_t done = 0;
	int fd, n, zerr = Z_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path, strerror(errno));
	/* gzdopen reads plain files unchanged and inflates gzip ones. */
	gz = gzdopen(fd, "rb");
	if (gz == NULL) {
		close(fd);
		return vmm_err(err, -ENOMEM, "--kernel %s: gzdopen failed", path);
	}
	gzbuffer(gz, 1 << 20);
	for (;;) {
		unsigned int chunk = room - (uint64_t)done > (1u << 30) ? 1u << 30 :
			(unsigned int)(room - (uint64_t)done);

		if (chunk == 0) {
			char extra;

			if (gzread(gz, &extra, 1) != 0) {
				gzclose(gz);
				return vmm_err(err, -VMM_EINPUT,
					"--memory: too small for the kernel %s (more than %" PRIu64
					" MiB)", path, room >> 20);
			}
			break;
		}
		n = gzread(gz, dst + done, chunk);
		if (n < 0) {
			const char *msg = gzerror(gz, &zerr);
			int ret;

			/* The message lives in 'gz' (reported before gzclose()) and starts with
			 * zlib's name for the file, "<fd:N>: ". */
			if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": ") != NULL)
				msg = strstr(msg, ": ") + 2;
			ret = vmm_err(err, -VMM_EINPUT, "--kernel %s: %s", path,
				zerr == Z_ERRNO ? strerror(errno) : msg);
			gzclose(gz);
			return ret;
		}
		if (n == 0)
			break;
		done += n;
	}
	/* zlib reports a gzip stream cut short only as Z_BUF_ERROR after the last read. */
	gzerror(gz, &zerr);
	if (zerr == Z_BUF_ERROR || (!gzeof(gz) && done < (int64_t)room)) {
		gzclose(gz);
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: truncated (the gzip stream ends early)",
			path);
	}
	gzclose(gz);
	return done;
}

static int
load_initramfs(struct vmm_vm *vm, const char *path, uint64_t lo, uint64_t top, char **err)
{
	struct stat st;
	uint64_t size, addr, off = 0;
	uint8_t *dst;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_err(err, -VMM_EINPUT, "--initramfs %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = vmm_err(err, -VMM_EINPUT, "--initramfs %s: not a regular file", path);
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size + lo > top) {
		ret = vmm_err(err, -VMM_EINPUT,
			"--memory: too small for the kernel (%" PRIu64 " MiB), the initramfs (%"
			PRIu64 " MiB) and the device tree", (uint64_t)((lo - ARM64_RAM_BASE) >> 20),
			size >> 20);
		goto out;
	}
	addr = (top - size) & ~0xfffULL;
	dst = vmm_memory_ptr(&vm->mem, addr, size);
	if (dst == NULL) {
		ret = vmm_err(err, -VMM_EINPUT, "--initramfs %s: no room for it in guest RAM",
			path);
		goto out;
	}
	while (off < size) {
		ssize_t n = read(fd, dst + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = vmm_err(err, -VMM_EINPUT, "--initramfs %s: %s", path,
				n < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		off += (uint64_t)n;
	}
	vm->boot.initramfs_gpa = addr;
	vm->boot.initramfs_size = size;
out:
	close(fd);
	return ret;
}

int
vmm_boot_load(struct vmm_vm *vm, char **err)
{
	const struct vmm_config *cfg = vm->cfg;
	uint64_t ram_end = ARM64_RAM_BASE + vm->mem.size, fdt, kernel_end;
	struct arm64_image img;
	uint8_t *base;
	int64_t n;
	int ret;

	if (vm->mem.size < 2 * ARM64_FDT_MAX + ARM64_KERNEL_ALIGN)
		return vmm_err(err, -VMM_EINPUT, "--memory: at least 8 MiB on arm64");
	fdt = ram_end - ARM64_FDT_MAX;
	base = vmm_memory_ptr(&vm->mem, ARM64_RAM_BASE, fdt - ARM64_RAM_BASE);
	/* Read at the base, then move up by text_offset (0 for kernels since 5.8). */
	n = read_kernel(cfg->kernel, base, fdt - ARM64_RAM_BASE - ARM64_KERNEL_ALIGN, err);
	if (n < 0)
		return (int)n;
	ret = arm64_image_parse(base, (size_t)n, (uint64_t)n, cfg->kernel, &img, err);
	if (ret < 0)
		return ret;
	/* Both fields are the file's: compared without a sum that could wrap. */
	if (img.text_offset > fdt - ARM64_RAM_BASE ||
	    img.image_size > fdt - ARM64_RAM_BASE - img.text_offset)
		return vmm_err(err, -VMM_EINPUT,
			"--memory: too small for the kernel %s (%" PRIu64 " MiB with its image_size)",
			cfg->kernel, img.image_size >> 20);
	kernel_end = ARM64_RAM_BASE + img.text_offset + img.image_size;
	if (img.text_offset != 0)
		memmove(base + img.text_offset, base, (size_t)n);
	vm->boot.entry = ARM64_RAM_BASE + img.text_offset;
	vm->boot.kernel_size = (uint64_t)n;
	vm->boot.fdt_gpa = fdt;
	if (cfg->initramfs != NULL)
		return load_initramfs(vm, cfg->initramfs, kernel_end, fdt, err);
	return 0;
}

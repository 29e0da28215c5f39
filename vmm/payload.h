/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_PAYLOAD_H
#define VIREO_VMM_PAYLOAD_H

/*
 * Booting a bzImage without its decompressor: boot.c's "decompressed" path.
 *
 * What?
 * =====
 * A bzImage's protected-mode part is a small decompressor followed by the payload: the
 * kernel proper ("vmlinux.bin", a stripped ELF64 file, then relocation data) compressed with
 * gzip, xz, lz4 (legacy frames), zstd, ..., and then its uncompressed size as 4 bytes,
 * little-endian.  The header gives the payload's place (boot protocol 2.08: payload_offset
 * and payload_length, from the start of the protected-mode part).  Booted classically, the
 * guest does the work: it copies the compressed image out of the way, decompresses it,
 * moves each PT_LOAD segment to its physical address, applies relocations when KASLR moved
 * it, and jumps to the ELF entry (phys_startup_64) in 64-bit mode with RSI = boot_params.
 * Under nested virtualisation every instruction and every page the guest touches is
 * expensive.  Here the VMM does the same on the host side: it decompresses and places the
 * segments at their link-time physical addresses (so no relocation is needed, and there is
 * no KASLR), and the boot vCPU enters e_entry as Firecracker enters an ELF vmlinux.
 *
 * Pieces
 * ======
 * - struct vmm_elf_load (elf_load.c): a streaming ELF loader.  A decompressor asks it where
 *   the next output bytes go (vmm_elf_load_window()): straight into guest memory when they
 *   belong to a PT_LOAD segment, into a small header buffer while the ELF and program
 *   headers arrive, into a throw-away buffer otherwise (gaps, section headers, relocation
 *   data).  Every header value is checked before anything is written to guest memory.
 * - struct vmm_scratch: memory for the decompressors (the compressed payload, the xz
 *   dictionary, lz4 blocks, the zstd window), carved from guest RAM that nothing uses yet so
 *   that the VMM's own memory stays small; malloc() once that area is full.
 * - vmm_payload_*() (payload.c): format detection and the decompressors.
 *
 * Errors: 0, -VMM_EINPUT with a message naming the kernel file when the payload is bad
 * (truncated, corrupt, segments outside the room given), -ENOTSUP when the format cannot be
 * decompressed here, -ENOMEM.
 *
 * Thread-safety: set-up code for the main thread, before vCPUs run.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The largest xz dictionary or zstd window accepted.  Linux builds its xz kernels with a
 * 32 MiB dictionary and zstd ones at level 22 (a window of at most 128 MiB); a payload that
 * asks for more is refused as bad input before the decoder allocates anything for it.
 */
#define VMM_PAYLOAD_WINDOW_MAX (128ULL << 20)

/**
 * How much longer than the room for its segments a decompressed kernel may be (ELF
 * headers, gaps, the relocation table: a few MiB), so that a small payload cannot make the
 * VMM decode gigabytes into the discard buffer.
 */
#define VMM_PAYLOAD_EXTRA_MAX (64ULL << 20)

/** Most PT_LOAD segments accepted (vmlinux has 4 or 5). */
#define VMM_ELF_MAX_SEGS 16
/** The ELF header and program headers must lie in the first this many bytes. */
#define VMM_ELF_HDR_MAX 4096

/** One PT_LOAD segment. */
struct vmm_elf_seg {
	uint64_t offset;	/**< in the file */
	uint64_t filesz;
	uint64_t paddr;		/**< guest-physical destination */
	uint64_t memsz;		/**< filesz, then zeros up to memsz */
};

/** A streaming ELF64 loader into guest memory (see above). */
struct vmm_elf_load {
	uint8_t *mem;		/**< guest RAM, from guest-physical 0 */
	uint64_t lo, hi;	/**< segments must lie in [lo, hi) */
	uint64_t total;		/**< bytes the stream must have */
	uint64_t pos;		/**< bytes received */
	uint8_t *discard;	/**< for bytes that go nowhere */
	size_t discard_len;
	const char *path;	/**< the kernel file, for messages */
	bool parsed;		/**< program headers read and checked */
	size_t hdr_need;	/**< header bytes wanted before parsing */
	unsigned int nr_segs;
	unsigned int cur;	/**< first segment not yet complete */
	uint64_t entry;		/**< e_entry */
	uint64_t end;		/**< highest paddr + memsz */
	struct vmm_elf_seg segs[VMM_ELF_MAX_SEGS];	/**< sorted by offset */
	uint8_t hdr[VMM_ELF_HDR_MAX];
};

/**
 * Prepare 'l' to load a 'total'-byte ELF file into guest memory 'mem' (guest-physical 0
 * onwards), with every segment inside ['lo', 'hi').  'discard' ('discard_len' bytes, not
 * 0) receives the bytes that belong to no segment.  'path' names the kernel in messages.
 */
void vmm_elf_load_init(struct vmm_elf_load *l, uint8_t *mem, uint64_t lo, uint64_t hi,
		uint64_t total, uint8_t *discard, size_t discard_len, const char *path);

/**
 * Where the next bytes of the stream go: returns a buffer and its room in '*len' (0 once
 * 'total' bytes have arrived).  The caller writes up to '*len' bytes there, then calls
 * vmm_elf_load_advance().
 */
uint8_t *vmm_elf_load_window(struct vmm_elf_load *l, size_t *len);

/** 'n' bytes (at most the last window's room) were written to the window. */
int vmm_elf_load_advance(struct vmm_elf_load *l, size_t n, char **err);

/** Feed 'n' bytes from 'buf' (windows and copies). */
int vmm_elf_load_write(struct vmm_elf_load *l, const uint8_t *buf, size_t n, char **err);

/** The stream ended: check it was complete and zero each segment from filesz to memsz. */
int vmm_elf_load_finish(struct vmm_elf_load *l, char **err);

/** Memory for the decompressors: an area of guest RAM, then malloc(). */
struct vmm_scratch {
	uint8_t *base;
	size_t size;
	size_t used;
	size_t heap;		/**< bytes that had to come from malloc() */
};

/** 'n' bytes, 64-byte aligned, from the area or else malloc(); NULL when out of memory. */
void *vmm_scratch_alloc(struct vmm_scratch *s, size_t n);

/** Free what vmm_scratch_alloc() returned (a no-op inside the area). */
void vmm_scratch_free(struct vmm_scratch *s, void *p);

enum vmm_payload_format {
	VMM_PAYLOAD_UNKNOWN,
	VMM_PAYLOAD_GZIP,
	VMM_PAYLOAD_XZ,
	VMM_PAYLOAD_LZ4,	/**< lz4 legacy frames, as Linux's build writes them */
	VMM_PAYLOAD_ZSTD,
	VMM_PAYLOAD_BZIP2,	/**< recognised, not decompressed here */
	VMM_PAYLOAD_LZMA,	/**< recognised, not decompressed here */
	VMM_PAYLOAD_LZO,	/**< recognised, not decompressed here */
};

/** The format of a payload from its first bytes. */
enum vmm_payload_format vmm_payload_detect(const uint8_t *p, size_t len);

/** "gzip", "xz", "lz4", ... or "unknown". */
const char *vmm_payload_format_name(enum vmm_payload_format f);

/** Whether vmm_payload_decompress() handles 'f'. */
bool vmm_payload_supported(enum vmm_payload_format f);

/** The uncompressed size recorded in the last 4 bytes of a payload ('len' >= 4). */
uint32_t vmm_payload_size(const uint8_t *p, size_t len);

/**
 * Decompress the 'len'-byte payload 'p' (format 'f', trailing size included) into 'l',
 * whose 'total' is vmm_payload_size(), and finish 'l'.  Decompressor memory comes from 's'.
 */
int vmm_payload_decompress(enum vmm_payload_format f, const uint8_t *p, size_t len,
		struct vmm_elf_load *l, struct vmm_scratch *s, char **err);

#endif /* VIREO_VMM_PAYLOAD_H */

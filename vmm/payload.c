/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bzImage payload (payload.h): format detection and the decompressors, each feeding
 * a struct vmm_elf_load.  xz through liblzma, lz4 legacy frames through liblz4, gzip
 * through zlib, zstd through libzstd; their memory comes from a struct vmm_scratch.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_createDCtx_advanced(): our allocator */
#include <zstd.h>
#include <zstd_errors.h>

#include "payload.h"
#include "util.h"
#include "vmm.h"

/* liblzma's limit: the largest dictionary plus the decoder's own state (well under 1 MiB). */
#define XZ_MEMLIMIT (VMM_PAYLOAD_WINDOW_MAX + (1ULL << 20))
/* log2(VMM_PAYLOAD_WINDOW_MAX), for libzstd. */
#define ZSTD_WINDOW_LOG_MAX 27
_Static_assert(1ULL << ZSTD_WINDOW_LOG_MAX == VMM_PAYLOAD_WINDOW_MAX, "zstd window limit");

#define LZ4_LEGACY_MAGIC 0x184c2102U
#define LZ4_LEGACY_BLOCK (8U << 20)	/* uncompressed size of every block but the last */

void *
vmm_scratch_alloc(struct vmm_scratch *s, size_t n)
{
	size_t need;
	void *p;

	if (n > SIZE_MAX - 64)
		return NULL;
	need = (n + 63) & ~(size_t)63;
	if (need == 0)
		need = 64;
	if (s->base != NULL && need <= s->size - s->used) {
		p = s->base + s->used;
		s->used += need;
		return p;
	}
	p = malloc(need);
	if (p != NULL)
		s->heap += need;
	return p;
}

void
vmm_scratch_free(struct vmm_scratch *s, void *p)
{
	uint8_t *b = p;

	if (p == NULL || (s->base != NULL && b >= s->base && b < s->base + s->size))
		return;
	free(p);
}

enum vmm_payload_format
vmm_payload_detect(const uint8_t *p, size_t len)
{
	static const struct {
		enum vmm_payload_format f;
		size_t len;
		const char *magic;
	} magics[] = {
		{ VMM_PAYLOAD_GZIP, 2, "\x1f\x8b" },
		{ VMM_PAYLOAD_GZIP, 2, "\x1f\x9e" },
		{ VMM_PAYLOAD_XZ, 6, "\xfd" "7zXZ\x00" },
		{ VMM_PAYLOAD_LZ4, 4, "\x02\x21\x4c\x18" },
		{ VMM_PAYLOAD_ZSTD, 4, "\x28\xb5\x2f\xfd" },
		{ VMM_PAYLOAD_BZIP2, 3, "BZh" },
		{ VMM_PAYLOAD_LZMA, 3, "\x5d\x00\x00" },
		{ VMM_PAYLOAD_LZO, 4, "\x89LZO" },
	};
	size_t i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len && memcmp(p, magics[i].magic, magics[i].len) == 0)
			return magics[i].f;
	return VMM_PAYLOAD_UNKNOWN;
}

const char *
vmm_payload_format_name(enum vmm_payload_format f)
{
	switch (f) {
	case VMM_PAYLOAD_GZIP: return "gzip";
	case VMM_PAYLOAD_XZ: return "xz";
	case VMM_PAYLOAD_LZ4: return "lz4";
	case VMM_PAYLOAD_ZSTD: return "zstd";
	case VMM_PAYLOAD_BZIP2: return "bzip2";
	case VMM_PAYLOAD_LZMA: return "lzma";
	case VMM_PAYLOAD_LZO: return "lzo";
	default: return "unknown";
	}
}

bool
vmm_payload_supported(enum vmm_payload_format f)
{
	return f == VMM_PAYLOAD_GZIP || f == VMM_PAYLOAD_XZ || f == VMM_PAYLOAD_LZ4 ||
		f == VMM_PAYLOAD_ZSTD;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
		((uint32_t)p[3] << 24);
}

uint32_t
vmm_payload_size(const uint8_t *p, size_t len)
{
	return le32(p + len - 4);
}

/* Report a decompressor's failure: bad data is the user's input, the rest is ours. */
static int
fail(const struct vmm_elf_load *l, char **err, int ret, const char *fmt, const char *what)
{
	if (ret == -ENOMEM)
		return vmm_err(err, ret, "--kernel %s: %s payload: out of memory", l->path, fmt);
	return vmm_err(err, ret, "--kernel %s: %s payload: %s", l->path, fmt, what);
}

/*
 * The decompressor's output goes to the loader's windows; once the loader has its 'total'
 * bytes, to 'spill' so that any further byte is reported as too many.
 */
static uint8_t *
out_window(struct vmm_elf_load *l, uint8_t *spill, size_t spill_len, size_t *room)
{
	uint8_t *out = vmm_elf_load_window(l, room);

	if (*room == 0) {
		*room = spill_len;
		return spill;
	}
	return out;
}

static void *
xz_alloc(void *opaque, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return vmm_scratch_alloc(opaque, nmemb * size);
}

static void
xz_free(void *opaque, void *p)
{
	vmm_scratch_free(opaque, p);
}

static int
unxz(const uint8_t *in, size_t len, struct vmm_elf_load *l, struct vmm_scratch *s, char **err)
{
	lzma_allocator a = { .alloc = xz_alloc, .free = xz_free, .opaque = s };
	lzma_stream z = LZMA_STREAM_INIT;
	uint8_t spill[64];
	lzma_ret r;
	int ret = 0;

	z.allocator = &a;
	r = lzma_stream_decoder(&z, XZ_MEMLIMIT, 0);
	if (r != LZMA_OK)
		return fail(l, err, r == LZMA_MEM_ERROR ? -ENOMEM : -VMM_EINPUT, "xz",
			"cannot start the decoder");
	z.next_in = in;
	z.avail_in = len;
	for (;;) {
		size_t room;
		uint8_t *out = out_window(l, spill, sizeof(spill), &room);

		z.next_out = out;
		z.avail_out = room;
		r = lzma_code(&z, LZMA_FINISH);
		ret = vmm_elf_load_advance(l, room - z.avail_out, err);
		if (ret < 0 || r == LZMA_STREAM_END)
			break;
		if (r == LZMA_MEMLIMIT_ERROR) {
			ret = vmm_err(err, -VMM_EINPUT, "--kernel %s: xz payload: its dictionary "
				"needs %" PRIu64 " MiB of decoder memory, over vireo-vmm's limit of "
				"%llu MiB", l->path, lzma_memusage(&z) >> 20,
				VMM_PAYLOAD_WINDOW_MAX >> 20);
			break;
		}
		if (r != LZMA_OK) {
			ret = fail(l, err, r == LZMA_MEM_ERROR ? -ENOMEM : -VMM_EINPUT, "xz",
				r == LZMA_BUF_ERROR ? "truncated" :
				r == LZMA_DATA_ERROR ? "corrupt data" :
				r == LZMA_OPTIONS_ERROR ? "unsupported options" :
				r == LZMA_FORMAT_ERROR ? "not xz data" : "decoder error");
			break;
		}
	}
	lzma_end(&z);
	return ret;
}

static int
unlz4(const uint8_t *in, size_t len, struct vmm_elf_load *l, struct vmm_scratch *s, char **err)
{
	uint8_t *block = NULL;
	size_t off = 4;
	int ret = 0;

	while (off < len && ret == 0) {
		uint32_t csize;
		size_t room;
		uint8_t *dst;
		int n;

		if (len - off < 4) {
			ret = fail(l, err, -VMM_EINPUT, "lz4", "truncated block header");
			break;
		}
		csize = le32(in + off);
		off += 4;
		if (csize == LZ4_LEGACY_MAGIC)
			continue;
		if (csize == 0 || csize > LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK)) {
			ret = fail(l, err, -VMM_EINPUT, "lz4", "corrupt block size");
			break;
		}
		if (csize > len - off) {
			ret = fail(l, err, -VMM_EINPUT, "lz4", "truncated");
			break;
		}
		dst = vmm_elf_load_window(l, &room);
		if (room >= LZ4_LEGACY_BLOCK) {
			/* The block lands inside one segment whatever its size: decode in place. */
			n = LZ4_decompress_safe((const char *)in + off, (char *)dst, (int)csize,
				(int)LZ4_LEGACY_BLOCK);
			if (n >= 0)
				ret = vmm_elf_load_advance(l, (size_t)n, err);
		} else {
			if (block == NULL)
				block = vmm_scratch_alloc(s, LZ4_LEGACY_BLOCK);
			if (block == NULL) {
				ret = fail(l, err, -ENOMEM, "lz4", "");
				break;
			}
			n = LZ4_decompress_safe((const char *)in + off, (char *)block, (int)csize,
				(int)LZ4_LEGACY_BLOCK);
			if (n >= 0)
				ret = vmm_elf_load_write(l, block, (size_t)n, err);
		}
		if (n < 0)
			ret = fail(l, err, -VMM_EINPUT, "lz4", "corrupt data");
		off += csize;
	}
	vmm_scratch_free(s, block);
	return ret;
}

static int
gunzip(const uint8_t *in, size_t len, struct vmm_elf_load *l, char **err)
{
	z_stream z;
	uint8_t spill[64];
	int r, ret = 0;

	memset(&z, 0, sizeof(z));
	if (len > UINT_MAX)
		return fail(l, err, -VMM_EINPUT, "gzip", "too large");
	r = inflateInit2(&z, 16 + MAX_WBITS);
	if (r != Z_OK)
		return fail(l, err, r == Z_MEM_ERROR ? -ENOMEM : -VMM_EINPUT, "gzip",
			"cannot start the decoder");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	for (;;) {
		size_t room;
		uint8_t *out = out_window(l, spill, sizeof(spill), &room);

		if (room > UINT_MAX)
			room = UINT_MAX;
		z.next_out = out;
		z.avail_out = (uInt)room;
		r = inflate(&z, Z_NO_FLUSH);
		ret = vmm_elf_load_advance(l, room - z.avail_out, err);
		if (ret < 0 || r == Z_STREAM_END)
			break;
		if (r != Z_OK) {
			ret = fail(l, err, r == Z_MEM_ERROR ? -ENOMEM : -VMM_EINPUT, "gzip",
				r == Z_BUF_ERROR ? "truncated" : "corrupt data");
			break;
		}
	}
	inflateEnd(&z);
	return ret;
}

static void *
zstd_alloc(void *opaque, size_t size)
{
	return vmm_scratch_alloc(opaque, size);
}

static void
zstd_free(void *opaque, void *p)
{
	vmm_scratch_free(opaque, p);
}

static int
unzstd(const uint8_t *in, size_t len, struct vmm_elf_load *l, struct vmm_scratch *s,
		char **err)
{
	ZSTD_customMem cm = { .customAlloc = zstd_alloc, .customFree = zstd_free, .opaque = s };
	ZSTD_inBuffer zin = { .src = in, .size = len, .pos = 0 };
	ZSTD_DCtx *d = ZSTD_createDCtx_advanced(cm);
	uint8_t spill[64];
	int ret = 0;

	if (d == NULL)
		return fail(l, err, -ENOMEM, "zstd", "");
	/* libzstd's default limit, made ours: a window is allocated whole. */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	for (;;) {
		size_t room, r, in_before = zin.pos;
		uint8_t *out = out_window(l, spill, sizeof(spill), &room);
		ZSTD_outBuffer zout = { .dst = out, .size = room, .pos = 0 };

		r = ZSTD_decompressStream(d, &zout, &zin);
		if (ZSTD_isError(r) &&
		    ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge) {
			ret = vmm_err(err, -VMM_EINPUT, "--kernel %s: zstd payload: its window is "
				"over vireo-vmm's limit of %llu MiB", l->path,
				VMM_PAYLOAD_WINDOW_MAX >> 20);
			break;
		}
		if (ZSTD_isError(r)) {
			ret = fail(l, err, ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ?
				-ENOMEM : -VMM_EINPUT, "zstd", ZSTD_getErrorName(r));
			break;
		}
		ret = vmm_elf_load_advance(l, zout.pos, err);
		if (ret < 0 || (r == 0 && zin.pos == zin.size))
			break;
		if (zin.pos == zin.size && zout.pos < zout.size) {
			ret = fail(l, err, -VMM_EINPUT, "zstd", "truncated");
			break;
		}
		if (zin.pos == in_before && zout.pos == 0) {
			ret = fail(l, err, -VMM_EINPUT, "zstd", "no progress");
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return ret;
}

int
vmm_payload_decompress(enum vmm_payload_format f, const uint8_t *p, size_t len,
		struct vmm_elf_load *l, struct vmm_scratch *s, char **err)
{
	int ret;

	if (len < 8)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: payload of %zu bytes: truncated",
			l->path, len);
	len -= 4;	/* the recorded size */
	/* Bytes outside the segments are decoded and thrown away: bound that work too. */
	if (l->total > l->hi - l->lo + VMM_PAYLOAD_EXTRA_MAX)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: the payload records a kernel of "
			"%" PRIu64 " bytes, more than the guest RAM for it (%" PRIu64 " bytes) and "
			"%llu MiB of headers and relocations", l->path, l->total, l->hi - l->lo,
			VMM_PAYLOAD_EXTRA_MAX >> 20);
	switch (f) {
	case VMM_PAYLOAD_XZ:
		ret = unxz(p, len, l, s, err);
		break;
	case VMM_PAYLOAD_LZ4:
		ret = unlz4(p, len, l, s, err);
		break;
	case VMM_PAYLOAD_GZIP:
		ret = gunzip(p, len, l, err);
		break;
	case VMM_PAYLOAD_ZSTD:
		ret = unzstd(p, len, l, s, err);
		break;
	default:
		return vmm_err(err, -ENOTSUP, "--kernel %s: %s payload: not supported by vireo-vmm",
			l->path, vmm_payload_format_name(f));
	}
	if (ret == 0)
		ret = vmm_elf_load_finish(l, err);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decompressed boot path (vmm/payload.h): a small vmlinux-like ELF is compressed here
 * with each library (xz, lz4 legacy frames, gzip, zstd) and loaded into a fake guest RAM;
 * then corrupted, truncated and lying inputs, at the ELF level and at the compressed
 * level, must be refused with -VMM_EINPUT and a message naming the file, and nothing may be
 * written outside the room given to the loader.  The test host's real Debian kernels are
 * decompressed too when its cache has them (TESTHOST_CACHE or /var/cache/vireo-testhost).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "payload.h"
#include "util.h"
#include "vmm.h"
#include "x86.h"

#define MEM_SIZE (24U << 20)
#define LO 0x100000ULL
#define HI 0x1400000ULL
#define FILL 0xcc

/* The test kernel: two PT_LOAD segments (one with a .bss tail, one bigger than an lz4
 * block), a PT_NOTE, a gap, and trailing "relocations". */
#define SEG_A_OFF 0x1000
#define SEG_A_FILESZ 0x3000
#define SEG_A_MEMSZ 0x5000
#define SEG_A_PADDR 0x100000
#define SEG_B_OFF 0x5000
#define SEG_B_FILESZ ((8U << 20) + 0x10000)
#define SEG_B_PADDR 0x400000
#define TAIL 0x800
#define ELF_SIZE (SEG_B_OFF + SEG_B_FILESZ + TAIL)

static uint8_t *mem;
static uint8_t discard[4096];

static uint8_t
pattern(uint64_t off)
{
	/* Compressible but not trivial. */
	return (uint8_t)((off * 7) ^ (off >> 9));
}

static uint8_t *
make_elf(void)
{
	uint8_t *e = calloc(1, ELF_SIZE);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	uint64_t i;

	for (i = SEG_A_OFF; i < ELF_SIZE; i++)
		e[i] = pattern(i);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = SEG_A_PADDR;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	/* In vmlinux order: the big segment's header first. */
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_B_OFF,
		.p_vaddr = 0xffffffff81000000ULL + SEG_B_PADDR, .p_paddr = SEG_B_PADDR,
		.p_filesz = SEG_B_FILESZ, .p_memsz = SEG_B_FILESZ, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_A_OFF,
		.p_vaddr = 0xffffffff81000000ULL + SEG_A_PADDR, .p_paddr = SEG_A_PADDR,
		.p_filesz = SEG_A_FILESZ, .p_memsz = SEG_A_MEMSZ, .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = SEG_A_OFF, .p_paddr = 0,
		.p_filesz = 0x10, .p_memsz = 0x10 };
	memcpy(e, &eh, sizeof(eh));
	memcpy(e + sizeof(eh), ph, sizeof(ph));
	return e;
}

/* Append the 4-byte size as Linux's build does. */
static size_t
append_size(uint8_t *out, size_t n, uint32_t size)
{
	out[n] = (uint8_t)size;
	out[n + 1] = (uint8_t)(size >> 8);
	out[n + 2] = (uint8_t)(size >> 16);
	out[n + 3] = (uint8_t)(size >> 24);
	return n + 4;
}

static uint8_t *
compress_elf(enum vmm_payload_format f, const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = len + len / 2 + (1U << 20), n = 0, off;
	uint8_t *out = malloc(cap);
	z_stream z;

	switch (f) {
	case VMM_PAYLOAD_XZ: {
		lzma_filter filters[3];
		lzma_options_lzma opt;

		lzma_lzma_preset(&opt, 1);
		filters[0] = (lzma_filter){ .id = LZMA_FILTER_X86, .options = NULL };
		filters[1] = (lzma_filter){ .id = LZMA_FILTER_LZMA2, .options = &opt };
		filters[2] = (lzma_filter){ .id = LZMA_VLI_UNKNOWN, .options = NULL };
		if (lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, len, out, &n,
		    cap) != LZMA_OK)
			n = 0;
		break;
	}
	case VMM_PAYLOAD_LZ4:
		memcpy(out, "\x02\x21\x4c\x18", 4);
		n = 4;
		for (off = 0; off < len; off += 8U << 20) {
			size_t chunk = len - off < (8U << 20) ? len - off : (8U << 20);
			int c = LZ4_compress_default((const char *)in + off, (char *)out + n + 4,
				(int)chunk, (int)(cap - n - 4));

			append_size(out, n, (uint32_t)c);
			n += 4 + (size_t)c;
		}
		break;
	case VMM_PAYLOAD_GZIP:
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		deflate(&z, Z_FINISH);
		n = cap - z.avail_out;
		deflateEnd(&z);
		break;
	case VMM_PAYLOAD_ZSTD: {
		ZSTD_CCtx *c = ZSTD_createCCtx();

		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		n = ZSTD_compress2(c, out, cap, in, len);
		ZSTD_freeCCtx(c);
		if (ZSTD_isError(n))
			n = 0;
		break;
	}
	default:
		break;
	}
	CHECK(n > 0);
	*out_len = append_size(out, n, (uint32_t)len);
	return out;
}

static bool
outside_untouched(void)
{
	size_t i;

	for (i = 0; i < LO; i++)
		if (mem[i] != FILL)
			return false;
	for (i = HI; i < MEM_SIZE; i++)
		if (mem[i] != FILL)
			return false;
	return true;
}

/* Decompress 'p' into the fake guest RAM; scratch from an area or (arena false) malloc. */
static int
load(enum vmm_payload_format f, const uint8_t *p, size_t len, bool arena,
		struct vmm_elf_load *l, char **msg)
{
	struct vmm_scratch s = { 0 };
	uint8_t *area = arena ? malloc(64U << 20) : NULL;
	int ret;

	free(*msg);
	*msg = NULL;
	memset(mem, FILL, MEM_SIZE);
	s.base = area;
	s.size = arena ? 64U << 20 : 0;
	vmm_elf_load_init(l, mem, LO, HI, vmm_payload_size(p, len), discard, sizeof(discard),
		"IMG");
	ret = vmm_payload_decompress(f, p, len, l, &s, msg);
	CHECK(!arena || s.heap == 0);
	free(area);
	return ret;
}

static bool
loaded_right(const struct vmm_elf_load *l)
{
	uint64_t i;

	if (l->entry != SEG_A_PADDR || l->nr_segs != 2 || l->end != SEG_B_PADDR + SEG_B_FILESZ)
		return false;
	for (i = 0; i < SEG_A_FILESZ; i++)
		if (mem[SEG_A_PADDR + i] != pattern(SEG_A_OFF + i))
			return false;
	for (i = SEG_A_FILESZ; i < SEG_A_MEMSZ; i++)
		if (mem[SEG_A_PADDR + i] != 0)
			return false;
	if (mem[SEG_A_PADDR + SEG_A_MEMSZ] != FILL || mem[SEG_B_PADDR - 1] != FILL)
		return false;
	for (i = 0; i < SEG_B_FILESZ; i++)
		if (mem[SEG_B_PADDR + i] != pattern(SEG_B_OFF + i))
			return false;
	return outside_untouched();
}

static bool
refused(int ret, char *const *msgp)
{
	const char *msg = *msgp;

	if (getenv("TEST_PAYLOAD_VERBOSE") != NULL)
		printf("test_payload: %d %s\n", ret, msg != NULL ? msg : "(no message)");
	return ret == -VMM_EINPUT && msg != NULL && strstr(msg, "--kernel IMG") != NULL;
}

static void
test_formats(const uint8_t *elf)
{
	static const enum vmm_payload_format fmts[] = {
		VMM_PAYLOAD_XZ, VMM_PAYLOAD_LZ4, VMM_PAYLOAD_GZIP, VMM_PAYLOAD_ZSTD,
	};
	struct vmm_elf_load *l = malloc(sizeof(*l));
	char *msg = NULL;
	size_t i, k;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		enum vmm_payload_format f = fmts[i];
		const char *name = vmm_payload_format_name(f);
		size_t len, clen;
		uint8_t *p = compress_elf(f, elf, ELF_SIZE, &len), *bad = malloc(len + 64);
		int ret;

		CHECK(vmm_payload_detect(p, len) == f && vmm_payload_supported(f));
		CHECK(vmm_payload_size(p, len) == ELF_SIZE);
		ret = load(f, p, len, true, l, &msg);
		CHECK(ret == 0);
		CHECK(loaded_right(l));
		if (ret != 0)
			printf("test_payload: %s: %s\n", name, msg);
		ret = load(f, p, len, false, l, &msg);
		CHECK(ret == 0 && loaded_right(l));

		/* Truncated: cut anywhere, the size still appended. */
		clen = len - 4;
		for (k = 1; k <= 4; k++) {
			size_t cut = clen * k / 5;

			memcpy(bad, p, cut);
			append_size(bad, cut, ELF_SIZE);
			ret = load(f, bad, cut + 4, k % 2 == 0, l, &msg);
			CHECK(refused(ret, &msg));
			CHECK(outside_untouched());
		}
		/* The recorded size lies, one byte either way, or is zero. */
		memcpy(bad, p, len);
		append_size(bad, clen, ELF_SIZE - 1);
		CHECK(refused(load(f, bad, len, true, l, &msg), &msg));
		CHECK(msg != NULL && strstr(msg, "more than") != NULL);
		append_size(bad, clen, ELF_SIZE + 1);
		CHECK(refused(load(f, bad, len, true, l, &msg), &msg));
		CHECK(msg != NULL && strstr(msg, "recorded") != NULL);
		append_size(bad, clen, 0);
		CHECK(refused(load(f, bad, len, true, l, &msg), &msg));
		append_size(bad, clen, UINT32_MAX);	/* refused before decoding 4 GiB */
		CHECK(refused(load(f, bad, len, true, l, &msg), &msg));
		CHECK(msg != NULL && strstr(msg, "more than the guest RAM for it") != NULL);
		CHECK(outside_untouched());
		/* Flipped bytes: refused (xz, gzip and zstd carry checksums; lz4 legacy does
		 * not, so there only "no crash, nothing outside the room"). */
		for (k = 1; k < 5; k++) {
			size_t at = 4 + (clen - 8) * k / 5;

			memcpy(bad, p, len);
			bad[at] ^= (uint8_t)(0x5a + k);
			ret = load(f, bad, len, true, l, &msg);
			if (f == VMM_PAYLOAD_LZ4)
				CHECK(ret == 0 || refused(ret, &msg));
			else
				CHECK(refused(ret, &msg));
			CHECK(outside_untouched());
		}
		/* Garbage after the magic. */
		memcpy(bad, p, 8);
		for (k = 8; k < 64; k++)
			bad[k] = (uint8_t)(k * 37);
		append_size(bad, 64, ELF_SIZE);
		CHECK(refused(load(f, bad, 68, true, l, &msg), &msg));
		CHECK(outside_untouched());
		free(bad);
		free(p);
	}
	/* lz4: a block size larger than the input, and a block that decodes past 8 MiB. */
	{
		uint8_t hdr[16] = { 0x02, 0x21, 0x4c, 0x18, 0xff, 0xff, 0x00, 0x00 };

		append_size(hdr, 8, ELF_SIZE);
		CHECK(refused(load(VMM_PAYLOAD_LZ4, hdr, 12, true, l, &msg), &msg));
		hdr[4] = 0xff;
		hdr[5] = 0xff;
		hdr[6] = 0xff;
		hdr[7] = 0x7f;
		CHECK(refused(load(VMM_PAYLOAD_LZ4, hdr, 12, true, l, &msg), &msg));
	}
	free(msg);
	free(l);
}

/*
 * Decoder memory is bounded: an xz stream whose block header asks for a 512 MiB dictionary,
 * or a zstd frame for a 256 MiB window, is refused as bad input before the decoder
 * allocates it (with malloc() scratch, as when guest RAM has no room to lend).
 */
static void
test_memory_limits(const uint8_t *elf)
{
	struct vmm_elf_load *l = malloc(sizeof(*l));
	struct vmm_scratch s = { 0 };
	char *msg = NULL;
	size_t len, hsize, i;
	uint8_t *p = compress_elf(VMM_PAYLOAD_XZ, elf, ELF_SIZE, &len);
	uint32_t crc;
	int ret;

	/* Stream header (12 bytes), then the block header: its LZMA2 filter (ID 0x21, one
	 * property byte: the dictionary size) and CRC32 at its end. */
	hsize = (p[12] + 1U) * 4;
	for (i = 14; i + 2 < 12 + hsize - 4 && !(p[i] == 0x21 && p[i + 1] == 1); i++)
		;
	CHECK(i + 2 < 12 + hsize - 4);
	p[i + 2] = 34;		/* (2 | 0) << (34 / 2 + 11): 512 MiB */
	crc = lzma_crc32(p + 12, hsize - 4, 0);
	for (i = 0; i < 4; i++)
		p[12 + hsize - 4 + i] = (uint8_t)(crc >> (8 * i));
	memset(mem, FILL, MEM_SIZE);
	vmm_elf_load_init(l, mem, LO, HI, ELF_SIZE, discard, sizeof(discard), "IMG");
	ret = vmm_payload_decompress(VMM_PAYLOAD_XZ, p, len, l, &s, &msg);
	CHECK(refused(ret, &msg));
	CHECK(msg != NULL && strstr(msg, "512 MiB") != NULL && strstr(msg, "limit") != NULL);
	CHECK(s.heap < VMM_PAYLOAD_WINDOW_MAX);
	if (ret == 0 || s.heap >= VMM_PAYLOAD_WINDOW_MAX)
		printf("test_payload: xz with a 512 MiB dictionary: %s, %zu MiB allocated\n",
			ret == 0 ? "decoded" : msg, s.heap >> 20);
	CHECK(outside_untouched());
	free(p);

	/* zstd: window descriptor (after the frame header byte) exponent 18: 2^28 bytes. */
	p = compress_elf(VMM_PAYLOAD_ZSTD, elf, ELF_SIZE, &len);
	CHECK((p[4] & 0x20) == 0);	/* not single-segment: a window descriptor follows */
	p[5] = 18 << 3;
	s = (struct vmm_scratch){ 0 };
	free(msg);
	msg = NULL;
	vmm_elf_load_init(l, mem, LO, HI, ELF_SIZE, discard, sizeof(discard), "IMG");
	ret = vmm_payload_decompress(VMM_PAYLOAD_ZSTD, p, len, l, &s, &msg);
	CHECK(refused(ret, &msg));
	CHECK(msg != NULL && strstr(msg, "window") != NULL && strstr(msg, "limit") != NULL);
	CHECK(s.heap < VMM_PAYLOAD_WINDOW_MAX);
	CHECK(outside_untouched());
	free(p);
	free(msg);
	free(l);
}

/* Feed a raw (uncompressed) ELF to the loader. */
static int
feed(const uint8_t *e, size_t len, uint64_t total, struct vmm_elf_load *l, char **msg)
{
	int ret;

	free(*msg);
	*msg = NULL;
	memset(mem, FILL, MEM_SIZE);
	vmm_elf_load_init(l, mem, LO, HI, total, discard, sizeof(discard), "IMG");
	ret = vmm_elf_load_write(l, e, len, msg);
	if (ret == 0)
		ret = vmm_elf_load_finish(l, msg);
	return ret;
}

static void
set_ph(uint8_t *e, unsigned int i, size_t field, uint64_t v)
{
	memcpy(e + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr) + field, &v, 8);
}

static void
test_elf(const uint8_t *elf)
{
	struct vmm_elf_load *l = malloc(sizeof(*l));
	uint8_t *e = malloc(ELF_SIZE);
	char *msg = NULL;
	uint16_t v16;
	uint64_t v;

#define RESET() memcpy(e, elf, ELF_SIZE)
#define REFUSED(what) \
	do { \
		CHECK(refused(feed(e, ELF_SIZE, ELF_SIZE, l, &msg), &msg)); \
		CHECK(msg != NULL && strstr(msg, what) != NULL); \
		CHECK(outside_untouched()); \
	} while (0)

	RESET();
	CHECK(feed(e, ELF_SIZE, ELF_SIZE, l, &msg) == 0 && loaded_right(l));

	e[0] = 'X';
	REFUSED("magic");
	RESET();
	e[EI_CLASS] = ELFCLASS32;
	REFUSED("ELF64");
	RESET();
	v16 = EM_386;
	memcpy(e + offsetof(Elf64_Ehdr, e_machine), &v16, 2);
	REFUSED("x86-64");
	RESET();
	v16 = ET_DYN;
	memcpy(e + offsetof(Elf64_Ehdr, e_type), &v16, 2);
	REFUSED("ET_EXEC");
	RESET();
	v16 = 32;
	memcpy(e + offsetof(Elf64_Ehdr, e_phentsize), &v16, 2);
	REFUSED("program header");
	RESET();
	v16 = 0;
	memcpy(e + offsetof(Elf64_Ehdr, e_phnum), &v16, 2);
	REFUSED("program header");
	RESET();
	v = 8192;
	memcpy(e + offsetof(Elf64_Ehdr, e_phoff), &v, 8);
	REFUSED("4 KiB");
	RESET();
	v = 0xffffffffffffff00ULL;
	memcpy(e + offsetof(Elf64_Ehdr, e_phoff), &v, 8);
	REFUSED("4 KiB");

	/* Segments outside the room, with overflows. */
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_paddr), LO - 0x1000);
	REFUSED("outside the guest RAM");
	RESET();
	set_ph(e, 0, offsetof(Elf64_Phdr, p_paddr), HI - 0x1000);
	REFUSED("outside the guest RAM");
	RESET();
	set_ph(e, 0, offsetof(Elf64_Phdr, p_paddr), 0xfffffffffffff000ULL);
	REFUSED("outside the guest RAM");
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_memsz), 0xffffffffffffff00ULL);
	REFUSED("outside the guest RAM");
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_filesz), SEG_A_MEMSZ + 1);
	REFUSED("larger than its memory size");
	RESET();
	set_ph(e, 0, offsetof(Elf64_Phdr, p_offset), 0xfffffffffffff000ULL);
	REFUSED("beyond the end");
	RESET();
	set_ph(e, 0, offsetof(Elf64_Phdr, p_filesz), SEG_B_FILESZ + TAIL + 1);
	set_ph(e, 0, offsetof(Elf64_Phdr, p_memsz), SEG_B_FILESZ + TAIL + 1);
	REFUSED("beyond the end");
	/* Overlaps, in the file and in memory; the entry point; no PT_LOAD. */
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_offset), SEG_B_OFF - 0x100);
	REFUSED("overlap in the file");
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_paddr), SEG_B_PADDR + 0x1000);
	REFUSED("overlap in memory");
	RESET();
	v = HI + 0x1000;
	memcpy(e + offsetof(Elf64_Ehdr, e_entry), &v, 8);
	REFUSED("entry point");
	RESET();
	set_ph(e, 0, offsetof(Elf64_Phdr, p_type), PT_NOTE);
	set_ph(e, 1, offsetof(Elf64_Phdr, p_type), PT_NULL);
	REFUSED("no PT_LOAD");

	/* The stream shorter or longer than its recorded size, or empty. */
	RESET();
	CHECK(refused(feed(e, ELF_SIZE - 1, ELF_SIZE, l, &msg), &msg));
	CHECK(refused(feed(e, ELF_SIZE, ELF_SIZE - 1, l, &msg), &msg));
	CHECK(refused(feed(e, 0, 0, l, &msg), &msg));
	CHECK(refused(feed(e, 40, 40, l, &msg), &msg));
	CHECK(outside_untouched());

	/* A segment that starts inside the headers (offset 0) gets its header bytes. */
	RESET();
	set_ph(e, 1, offsetof(Elf64_Phdr, p_offset), 0);
	set_ph(e, 1, offsetof(Elf64_Phdr, p_filesz), SEG_A_OFF + SEG_A_FILESZ);
	set_ph(e, 1, offsetof(Elf64_Phdr, p_memsz), SEG_A_OFF + SEG_A_MEMSZ);
	CHECK(feed(e, ELF_SIZE, ELF_SIZE, l, &msg) == 0);
	CHECK(memcmp(mem + SEG_A_PADDR, e, SEG_A_OFF + SEG_A_FILESZ) == 0);
	CHECK(outside_untouched());
#undef RESET
#undef REFUSED
	free(msg);
	free(e);
	free(l);
}

static void
test_detect(void)
{
	struct vmm_elf_load *l = malloc(sizeof(*l));
	struct vmm_scratch s = { 0 };
	uint8_t bz2[16] = "BZh91AY&SY";
	char *msg = NULL;

	CHECK(vmm_payload_detect((const uint8_t *)"\x1f\x8b\x08", 3) == VMM_PAYLOAD_GZIP);
	CHECK(vmm_payload_detect((const uint8_t *)"\xfd" "7zXZ\0", 6) == VMM_PAYLOAD_XZ);
	CHECK(vmm_payload_detect((const uint8_t *)"\xfd" "7zX", 4) == VMM_PAYLOAD_UNKNOWN);
	CHECK(vmm_payload_detect((const uint8_t *)"\x02\x21\x4c\x18", 4) == VMM_PAYLOAD_LZ4);
	CHECK(vmm_payload_detect((const uint8_t *)"\x28\xb5\x2f\xfd", 4) == VMM_PAYLOAD_ZSTD);
	CHECK(vmm_payload_detect((const uint8_t *)"\x5d\x00\x00\x80", 4) == VMM_PAYLOAD_LZMA);
	CHECK(vmm_payload_detect((const uint8_t *)"\x89LZO", 4) == VMM_PAYLOAD_LZO);
	CHECK(vmm_payload_detect(bz2, sizeof(bz2)) == VMM_PAYLOAD_BZIP2);
	CHECK(!vmm_payload_supported(VMM_PAYLOAD_BZIP2) && !vmm_payload_supported(VMM_PAYLOAD_LZMA));
	CHECK(strcmp(vmm_payload_format_name(VMM_PAYLOAD_LZ4), "lz4") == 0);
	vmm_elf_load_init(l, mem, LO, HI, 100, discard, sizeof(discard), "IMG");
	CHECK(vmm_payload_decompress(VMM_PAYLOAD_BZIP2, bz2, sizeof(bz2), l, &s, &msg) ==
		-ENOTSUP);
	CHECK(msg != NULL && strstr(msg, "bzip2") != NULL);
	free(msg);
	msg = NULL;
	CHECK(vmm_payload_decompress(VMM_PAYLOAD_XZ, bz2, 5, l, &s, &msg) == -VMM_EINPUT);
	free(msg);
	free(l);
}

static void
test_scratch(void)
{
	uint8_t area[1024];
	struct vmm_scratch s = { .base = area, .size = sizeof(area) };
	uint8_t *a = vmm_scratch_alloc(&s, 100), *b = vmm_scratch_alloc(&s, 1000);

	CHECK(a == area && s.used == 128);
	CHECK(b != NULL && (b < area || b >= area + sizeof(area)) && s.heap >= 1000);
	CHECK(vmm_scratch_alloc(&s, SIZE_MAX - 10) == NULL);
	vmm_scratch_free(&s, a);
	vmm_scratch_free(&s, b);
	vmm_scratch_free(&s, NULL);
}

/* The test host's Debian kernels: decompressed, entry and segments as Linux links them. */
static void
test_real_kernels(void)
{
	const char *cache = getenv("TESTHOST_CACHE");
	char dir[512], path[1200];
	struct vmm_elf_load *l = malloc(sizeof(*l));
	struct dirent *d;
	size_t big = 160U << 20;
	uint8_t *ram = malloc(big);
	char *msg = NULL;
	DIR *dp;
	int found = 0;

	snprintf(dir, sizeof(dir), "%s/kernel", cache != NULL ? cache : "/var/cache/vireo-testhost");
	dp = opendir(dir);
	while (dp != NULL && ram != NULL && (d = readdir(dp)) != NULL) {
		struct vmm_bzimage bz;
		struct vmm_scratch s = { .base = ram + (96U << 20), .size = 64U << 20 };
		enum vmm_payload_format f;
		const uint8_t *p;
		uint8_t *buf;
		uint64_t t0;
		size_t len;
		int ret;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/boot/vmlinuz-%s", dir, d->d_name, d->d_name);
		if (vmm_read_file(path, &buf, &len) < 0)
			continue;
		if (len < 0x206 || memcmp(buf + 0x202, "HdrS", 4) != 0) {
			/* Another architecture's kernel in the same cache (arm64 Image). */
			printf("test_payload: %s: not an x86 bzImage, skipped\n", path);
			free(buf);
			continue;
		}
		found++;
		ret = vmm_bzimage_parse(buf, len < X86_SETUP_MAX ? len : X86_SETUP_MAX, len, path,
			&bz, &msg);
		CHECK(ret == 0 && bz.payload_length > 8 &&
			bz.payload_offset + (size_t)bz.payload_length <= bz.kernel_size);
		if (ret != 0) {
			free(buf);
			continue;
		}
		p = buf + bz.setup_size + bz.payload_offset;
		f = vmm_payload_detect(p, bz.payload_length);
		CHECK(vmm_payload_supported(f));
		vmm_elf_load_init(l, ram, X86_HIGH_MEM, X86_KERNEL_ADDR + bz.init_size,
			vmm_payload_size(p, bz.payload_length), discard, sizeof(discard), path);
		t0 = vmm_now_ns();
		ret = vmm_payload_decompress(f, p, bz.payload_length, l, &s, &msg);
		CHECK(ret == 0);
		CHECK(l->entry == X86_KERNEL_ADDR && l->segs[0].paddr == X86_KERNEL_ADDR);
		CHECK(l->end <= X86_KERNEL_ADDR + bz.init_size);
		printf("test_payload: %s: %s, %llu bytes, %u segments, end 0x%llx, %.2f s%s%s\n",
			path, vmm_payload_format_name(f), (unsigned long long)l->total, l->nr_segs,
			(unsigned long long)l->end, (double)(vmm_now_ns() - t0) / 1e9,
			ret != 0 ? ": " : "", ret != 0 ? msg : "");
		free(buf);
	}
	if (dp != NULL)
		closedir(dp);
	if (found == 0)
		printf("test_payload: SKIP real kernels (none in %s)\n", dir);
	free(msg);
	free(ram);
	free(l);
}

int
main(void)
{
	uint8_t *elf = make_elf();

	mem = malloc(MEM_SIZE);
	test_scratch();
	test_detect();
	test_elf(elf);
	test_formats(elf);
	test_memory_limits(elf);
	test_real_kernels();
	free(mem);
	free(elf);
	return check_report("test_payload");
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A streaming ELF64 loader for the kernel proper (payload.h): the decompressor's output
 * goes straight to each PT_LOAD segment's physical address, header values checked first.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "payload.h"
#include "util.h"
#include "vmm.h"

void
vmm_elf_load_init(struct vmm_elf_load *l, uint8_t *mem, uint64_t lo, uint64_t hi,
		uint64_t total, uint8_t *discard, size_t discard_len, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->mem = mem;
	l->lo = lo;
	l->hi = hi;
	l->total = total;
	l->discard = discard;
	l->discard_len = discard_len;
	l->path = path;
	l->hdr_need = sizeof(Elf64_Ehdr);
}

static int
bad(struct vmm_elf_load *l, char **err, const char *what)
{
	return vmm_err(err, -VMM_EINPUT, "--kernel %s: the decompressed kernel is not a usable "
		"ELF64 x86-64 file: %s", l->path, what);
}

/* The ELF header is in l->hdr: check it and ask for the program headers. */
static int
parse_ehdr(struct vmm_elf_load *l, char **err)
{
	Elf64_Ehdr eh;

	memcpy(&eh, l->hdr, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return bad(l, err, "no ELF magic");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return bad(l, err, "not little-endian ELF64 for x86-64");
	if (eh.e_type != ET_EXEC)
		return bad(l, err, "not an executable (ET_EXEC)");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
		return bad(l, err, "bad program header size or count");
	if (eh.e_phoff < sizeof(eh) ||
	    eh.e_phoff > VMM_ELF_HDR_MAX - (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr))
		return bad(l, err, "program headers beyond the first 4 KiB");
	if (eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > l->total)
		return bad(l, err, "program headers beyond the end of the file");
	l->entry = eh.e_entry;
	l->hdr_need = eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr);
	return 0;
}

static int
check_segment(struct vmm_elf_load *l, unsigned int i, const Elf64_Phdr *ph, char **err)
{
	if (ph->p_filesz > ph->p_memsz)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: ELF segment %u: file size 0x%" PRIx64
			" larger than its memory size 0x%" PRIx64, l->path, i,
			(uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_offset > l->total || ph->p_filesz > l->total - ph->p_offset)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: ELF segment %u: file bytes 0x%" PRIx64
			"+0x%" PRIx64 " beyond the end of the decompressed kernel (%" PRIu64 " bytes)",
			l->path, i, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, l->total);
	if (ph->p_paddr < l->lo || ph->p_paddr > l->hi || ph->p_memsz > l->hi - ph->p_paddr)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: ELF segment %u at guest-physical "
			"0x%" PRIx64 "+0x%" PRIx64 " lies outside the guest RAM available for the "
			"kernel [0x%" PRIx64 ", 0x%" PRIx64 ")", l->path, i, (uint64_t)ph->p_paddr,
			(uint64_t)ph->p_memsz, l->lo, l->hi);
	return 0;
}

/* The program headers are in l->hdr: collect and check the PT_LOAD segments. */
static int
parse_phdrs(struct vmm_elf_load *l, char **err)
{
	Elf64_Ehdr eh;
	unsigned int i, j, n = 0;
	bool entry_ok = false;
	int ret;

	memcpy(&eh, l->hdr, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		struct vmm_elf_seg s;

		memcpy(&ph, l->hdr + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (n == VMM_ELF_MAX_SEGS)
			return bad(l, err, "too many PT_LOAD segments");
		ret = check_segment(l, i, &ph, err);
		if (ret < 0)
			return ret;
		s = (struct vmm_elf_seg){ .offset = ph.p_offset, .filesz = ph.p_filesz,
			.paddr = ph.p_paddr, .memsz = ph.p_memsz };
		/* Insertion sort by file offset. */
		for (j = n; j > 0 && l->segs[j - 1].offset > s.offset; j--)
			l->segs[j] = l->segs[j - 1];
		l->segs[j] = s;
		n++;
	}
	if (n == 0)
		return bad(l, err, "no PT_LOAD segment");
	l->nr_segs = n;
	for (i = 0; i < n; i++) {
		const struct vmm_elf_seg *a = &l->segs[i];

		if (i + 1 < n && a->offset + a->filesz > l->segs[i + 1].offset)
			return bad(l, err, "PT_LOAD segments overlap in the file");
		for (j = i + 1; j < n; j++) {
			const struct vmm_elf_seg *b = &l->segs[j];

			if (a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz)
				return bad(l, err, "PT_LOAD segments overlap in memory");
		}
		if (l->entry >= a->paddr && l->entry - a->paddr < a->filesz)
			entry_ok = true;
		if (a->paddr + a->memsz > l->end)
			l->end = a->paddr + a->memsz;
	}
	if (!entry_ok)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: ELF entry point 0x%" PRIx64 " is not "
			"in a loaded segment", l->path, l->entry);
	/* Segment bytes that arrived with the headers. */
	for (i = 0; i < n; i++) {
		const struct vmm_elf_seg *s = &l->segs[i];

		if (s->offset < l->pos) {
			uint64_t k = l->pos - s->offset < s->filesz ? l->pos - s->offset : s->filesz;

			memcpy(l->mem + s->paddr, l->hdr + s->offset, k);
		}
	}
	l->parsed = true;
	while (l->cur < l->nr_segs && l->segs[l->cur].offset + l->segs[l->cur].filesz <= l->pos)
		l->cur++;
	return 0;
}

uint8_t *
vmm_elf_load_window(struct vmm_elf_load *l, size_t *len)
{
	uint64_t room = l->total - l->pos, n;
	const struct vmm_elf_seg *s;

	if (!l->parsed) {
		n = l->hdr_need - l->pos;
		*len = n < room ? n : room;
		return l->hdr + l->pos;
	}
	if (l->cur < l->nr_segs) {
		s = &l->segs[l->cur];
		if (l->pos >= s->offset) {
			n = s->offset + s->filesz - l->pos;
			*len = n < room ? n : room;
			return l->mem + s->paddr + (l->pos - s->offset);
		}
		if (s->offset - l->pos < room)
			room = s->offset - l->pos;
	}
	*len = room < l->discard_len ? room : l->discard_len;
	return l->discard;
}

int
vmm_elf_load_advance(struct vmm_elf_load *l, size_t n, char **err)
{
	int ret;

	if (n > l->total - l->pos)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: the payload decompresses to more "
			"than the %" PRIu64 " bytes it records", l->path, l->total);
	if (!l->parsed && n > l->hdr_need - l->pos)
		return vmm_err(err, -EINVAL, "--kernel %s: ELF loader: %zu bytes past the header "
			"window", l->path, n);
	l->pos += n;
	if (!l->parsed) {
		if (l->pos < l->hdr_need)
			return 0;
		if (l->hdr_need == sizeof(Elf64_Ehdr)) {
			ret = parse_ehdr(l, err);
			if (ret < 0 || l->pos < l->hdr_need)
				return ret;
		}
		return parse_phdrs(l, err);
	}
	while (l->cur < l->nr_segs && l->segs[l->cur].offset + l->segs[l->cur].filesz <= l->pos)
		l->cur++;
	return 0;
}

int
vmm_elf_load_write(struct vmm_elf_load *l, const uint8_t *buf, size_t n, char **err)
{
	while (n > 0) {
		size_t room;
		uint8_t *dst = vmm_elf_load_window(l, &room);
		int ret;

		if (room == 0)
			return vmm_elf_load_advance(l, n, err);
		if (room > n)
			room = n;
		memcpy(dst, buf, room);
		ret = vmm_elf_load_advance(l, room, err);
		if (ret < 0)
			return ret;
		buf += room;
		n -= room;
	}
	return 0;
}

int
vmm_elf_load_finish(struct vmm_elf_load *l, char **err)
{
	unsigned int i;

	if (!l->parsed)
		return bad(l, err, "shorter than its headers");
	if (l->pos != l->total)
		return vmm_err(err, -VMM_EINPUT, "--kernel %s: the payload decompresses to %" PRIu64
			" bytes, %" PRIu64 " recorded (truncated or corrupt)", l->path, l->pos,
			l->total);
	for (i = 0; i < l->nr_segs; i++) {
		const struct vmm_elf_seg *s = &l->segs[i];

		memset(l->mem + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

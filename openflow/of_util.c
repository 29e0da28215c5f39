/* SPDX-License-Identifier: BSD-3-Clause */
/* Buffers, rule text and error codes shared by openflow/'s decoders and encoders. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "of_private.h"

/* Where writes go after an allocation failure (the message is dropped at its end). */
#define OF_SCRATCH 2048
static __thread uint8_t scratch[OF_SCRATCH];

uint8_t *
of_buf_put(struct of_buf *b, size_t n)
{
	uint8_t *p;

	if (!b->oom && b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p) {
			b->data = p;
			b->cap = cap;
		} else {
			b->oom = true;
		}
	}
	if (b->oom || n > OF_SCRATCH * 64) {
		memset(scratch, 0, n < OF_SCRATCH ? n : OF_SCRATCH);
		b->oom = true;
		return scratch;
	}
	p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

void
of_buf_put_bytes(struct of_buf *b, const void *src, size_t n)
{
	uint8_t *p = of_buf_put(b, n);

	if (!b->oom)
		memcpy(p, src, n);
}

void
of_buf_pad8(struct of_buf *b, size_t start)
{
	size_t n = (b->len - start) % 8;

	if (n)
		of_buf_put(b, 8 - n);
}

void
of_buf_consume(struct of_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void
of_buf_free(struct of_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void
text_vprintf(struct of_text *t, const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *p;

	if (t->oom)
		return;
	/* Formatted once where it fits (a flow_mod's text is built item by item, 100k flow_mods
	 * to a bundle), twice when the buffer must grow first. */
	va_copy(aq, ap);
	n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		t->oom = true;
		return;
	}
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 128;

		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->s = p;
		t->cap = cap;
		vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	}
	t->len += (size_t)n;
}

void
of_text_printf(struct of_text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vprintf(t, fmt, ap);
	va_end(ap);
}

void
of_text_item(struct of_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->len && !t->oom && t->len + 2 <= t->cap) {
		t->s[t->len++] = ',';
		t->s[t->len] = '\0';
	} else if (t->len) {
		of_text_printf(t, ",");
	}
	va_start(ap, fmt);
	text_vprintf(t, fmt, ap);
	va_end(ap);
}

void
of_text_free(struct of_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

void
of_fm_init(struct of_fm *fm)
{
	memset(fm, 0, sizeof(*fm));
	fm->table = -1;
	fm->priority = 0x8000;
	fm->buffer_id = UINT32_MAX;
	fm->out_port = FLOWTAB_PORT_NONE;
	fm->out_group = OF13_ANY;
}

void
of_fm_free(struct of_fm *fm)
{
	of_text_free(&fm->actions);
}

/* (type, code) in OpenFlow 1.0 and in 1.3; the name is the one ovs-ofctl prints. */
static const struct {
	uint16_t t10, c10, t13, c13;
	const char *name;
} codes[OFE__N] = {
	[OFE_HELLO_INCOMPATIBLE] = { 0, 0, 0, 0, "OFPHFC_INCOMPATIBLE" },
	[OFE_BAD_VERSION] = { 1, 0, 1, 0, "OFPBRC_BAD_VERSION" },
	[OFE_BAD_TYPE] = { 1, 1, 1, 1, "OFPBRC_BAD_TYPE" },
	[OFE_BAD_STAT] = { 1, 2, 1, 2, "OFPBRC_BAD_STAT" },
	[OFE_BAD_VENDOR] = { 1, 3, 1, 3, "OFPBRC_BAD_VENDOR" },
	[OFE_BAD_SUBTYPE] = { 1, 4, 1, 4, "OFPBRC_BAD_SUBTYPE" },
	[OFE_EPERM] = { 1, 5, 1, 5, "OFPBRC_EPERM" },
	[OFE_BAD_LEN] = { 1, 6, 1, 6, "OFPBRC_BAD_LEN" },
	[OFE_BUFFER_UNKNOWN] = { 1, 8, 1, 8, "OFPBRC_BUFFER_UNKNOWN" },
	[OFE_BAD_TABLE_ID] = { 1, 512, 1, 9, "OFPBRC_BAD_TABLE_ID" },
	[OFE_BAD_PORT] = { 1, 514, 1, 11, "OFPBRC_BAD_PORT" },
	[OFE_BAC_BAD_TYPE] = { 2, 0, 2, 0, "OFPBAC_BAD_TYPE" },
	[OFE_BAC_BAD_LEN] = { 2, 1, 2, 1, "OFPBAC_BAD_LEN" },
	[OFE_BAC_BAD_VENDOR] = { 2, 2, 2, 2, "OFPBAC_BAD_VENDOR" },
	[OFE_BAC_BAD_VENDOR_TYPE] = { 2, 3, 2, 3, "OFPBAC_BAD_VENDOR_TYPE" },
	[OFE_BAC_BAD_OUT_PORT] = { 2, 4, 2, 4, "OFPBAC_BAD_OUT_PORT" },
	[OFE_BAC_BAD_ARGUMENT] = { 2, 5, 2, 5, "OFPBAC_BAD_ARGUMENT" },
	[OFE_BAC_TOO_MANY] = { 2, 7, 2, 7, "OFPBAC_TOO_MANY" },
	[OFE_BAC_BAD_SET_TYPE] = { 1, 523, 2, 13, "OFPBAC_BAD_SET_TYPE" },
	[OFE_BAC_BAD_SET_LEN] = { 1, 524, 2, 14, "OFPBAC_BAD_SET_LEN" },
	[OFE_BAC_BAD_SET_ARGUMENT] = { 1, 525, 2, 15, "OFPBAC_BAD_SET_ARGUMENT" },
	[OFE_BAC_BAD_OUT_GROUP] = { 2, 5, 2, 9, "OFPBAC_BAD_OUT_GROUP" },
	[OFE_MMFC_INVALID_METER] = { 2, 5, 12, 2, "OFPMMFC_INVALID_METER" },
	[OFE_BIC_UNKNOWN_INST] = { 2, 257, 3, 0, "OFPBIC_UNKNOWN_INST" },
	[OFE_BIC_UNSUP_INST] = { 2, 257, 3, 1, "OFPBIC_UNSUP_INST" },
	[OFE_BIC_BAD_TABLE_ID] = { 1, 512, 3, 2, "OFPBIC_BAD_TABLE_ID" },
	[OFE_BIC_BAD_LEN] = { 1, 6, 3, 7, "OFPBIC_BAD_LEN" },
	[OFE_BIC_DUP_INST] = { 2, 257, 3, 9, "OFPBIC_DUP_INST" },
	[OFE_BMC_BAD_TYPE] = { 1, 256, 4, 0, "OFPBMC_BAD_TYPE" },
	[OFE_BMC_BAD_LEN] = { 1, 256, 4, 1, "OFPBMC_BAD_LEN" },
	[OFE_BMC_BAD_FIELD] = { 1, 257, 4, 6, "OFPBMC_BAD_FIELD" },
	[OFE_BMC_BAD_VALUE] = { 1, 258, 4, 7, "OFPBMC_BAD_VALUE" },
	[OFE_BMC_BAD_MASK] = { 1, 259, 4, 8, "OFPBMC_BAD_MASK" },
	[OFE_BMC_BAD_PREREQ] = { 1, 260, 4, 9, "OFPBMC_BAD_PREREQ" },
	[OFE_BMC_DUP_FIELD] = { 1, 261, 4, 10, "OFPBMC_DUP_FIELD" },
	[OFE_FMFC_UNKNOWN] = { 3, 5, 5, 0, "OFPFMFC_UNKNOWN" },
	[OFE_FMFC_TABLE_FULL] = { 3, 0, 5, 1, "OFPFMFC_TABLE_FULL" },
	[OFE_FMFC_BAD_TABLE_ID] = { 1, 512, 5, 2, "OFPFMFC_BAD_TABLE_ID" },
	[OFE_FMFC_BAD_COMMAND] = { 3, 4, 5, 6, "OFPFMFC_BAD_COMMAND" },
	[OFE_FMFC_OVERLAP] = { 3, 1, 5, 3, "OFPFMFC_OVERLAP" },
	[OFE_FMFC_BAD_EMERG_TIMEOUT] = { 3, 3, 5, 0, "OFPFMFC_BAD_EMERG_TIMEOUT" },
	/* 1.0 has no code: Open vSwitch's extension (3,258). */
	[OFE_FMFC_BAD_FLAGS] = { 3, 258, 5, 7, "OFPFMFC_BAD_FLAGS" },
	/* 1.0 has no code: Open vSwitch sends NXBRC_UNENCODABLE_ERROR (1,521) in its place. */
	[OFE_SCFC_BAD_FLAGS] = { 1, 521, 10, 0, "OFPSCFC_BAD_FLAGS" },
	[OFE_IS_SLAVE] = { 1, 5, 1, 10, "OFPBRC_IS_SLAVE" },
	[OFE_ROLE_STALE] = { 1, 5, 11, 0, "OFPRRFC_STALE" },
	[OFE_ROLE_BAD_ROLE] = { 1, 5, 11, 2, "OFPRRFC_BAD_ROLE" },
	/* Open vSwitch's extension errors: (1, code) in 1.0, experimenter errors after. */
	[OFE_FMFC_INVALID_TLV_FIELD] = { 1, 536, OFPET_EXPERIMENTER, 37,
		"NXFMFC_INVALID_TLV_FIELD" },
	[OFE_TLV_BAD_COMMAND] = { 1, 527, OFPET_EXPERIMENTER, 16, "NXTTMFC_BAD_COMMAND" },
	[OFE_TLV_BAD_OPT_LEN] = { 1, 528, OFPET_EXPERIMENTER, 17, "NXTTMFC_BAD_OPT_LEN" },
	[OFE_TLV_BAD_FIELD_IDX] = { 1, 529, OFPET_EXPERIMENTER, 18, "NXTTMFC_BAD_FIELD_IDX" },
	[OFE_TLV_TABLE_FULL] = { 1, 530, OFPET_EXPERIMENTER, 19, "NXTTMFC_TABLE_FULL" },
	[OFE_TLV_ALREADY_MAPPED] = { 1, 531, OFPET_EXPERIMENTER, 20,
		"NXTTMFC_ALREADY_MAPPED" },
	[OFE_TLV_DUP_ENTRY] = { 1, 532, OFPET_EXPERIMENTER, 21, "NXTTMFC_DUP_ENTRY" },
	[OFE_TLV_INVALID_DEL] = { 1, 537, OFPET_EXPERIMENTER, 38, "NXTTMFC_INVALID_TLV_DEL" },
};

uint32_t
of_error_code(enum of_err e, uint8_t version, uint16_t *type, uint16_t *code)
{
	if (e <= OF_OK || e >= OFE__N)
		e = OFE_BAD_TYPE;
	if (e == OFE_BIC_DUP_INST && version < OF14) {
		/* Standard from 1.4; before, ONF's extension code, which Open vSwitch sends. */
		*type = OFPET_EXPERIMENTER;
		*code = 2600;
		return ONF_EXPERIMENTER_ID;
	}
	*type = version == OF10 ? codes[e].t10 : codes[e].t13;
	*code = version == OF10 ? codes[e].c10 : codes[e].c13;
	/* Open vSwitch's own 1.0 codes are all from 256 up; 1.2+ has experimenter errors. */
	if (version == OF10)
		return *code >= 256 ? NX_VENDOR_ID : 0;
	return *type == OFPET_EXPERIMENTER ? NX_VENDOR_ID : 0;
}

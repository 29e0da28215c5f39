/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier's hash step (ft_crc32_u64) is CRC32C on every architecture: compared with a
 * bitwise CRC32C over random words and a few edge values, so that x86-64 (crc32q) and arm64
 * (crc32cx) builds hash keys identically and neither silently falls back to something else.
 */

#include <inttypes.h>
#include <stdlib.h>

#include "check.h"
#include "ft_hash.h"

/* CRC32C (Castagnoli, reflected polynomial 0x82f63b78) of the 8 little-endian bytes of
 * 'v', continuing from 'crc', without pre- or post-inversion (as the crc32 instructions). */
static uint32_t
crc32c_bitwise(uint32_t crc, uint64_t v)
{
	int i, b;

	for (i = 0; i < 8; i++) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}

static uint64_t
rand64(void)
{
	return ((uint64_t)random() << 42) ^ ((uint64_t)random() << 21) ^ (uint64_t)random();
}

int
main(void)
{
	static const uint64_t edges[] = { 0, 1, UINT64_MAX, 0x8000000000000000ull, 0x27d4eb2f };
	unsigned int i, j;
	uint32_t a, b;

	srandom(12345);
	for (i = 0; i < RTE_DIM(edges); i++)
		for (j = 0; j < RTE_DIM(edges); j++) {
			a = ft_crc32_u64((uint32_t)edges[i], edges[j]);
			b = crc32c_bitwise((uint32_t)edges[i], edges[j]);
			CHECK(a == b, "crc(%#" PRIx64 ", %#" PRIx64 ") = %#x, CRC32C %#x",
			      edges[i], edges[j], a, b);
		}
	for (i = 0; i < 100000; i++) {
		uint32_t crc = (uint32_t)rand64();
		uint64_t v = rand64();

		a = ft_crc32_u64(crc, v);
		b = crc32c_bitwise(crc, v);
		if (!CHECK(a == b, "crc(%#x, %#" PRIx64 ") = %#x, CRC32C %#x", crc, v, a, b))
			break;
	}
	return check_report("test_ft_crc");
}

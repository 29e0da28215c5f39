/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_HASH_H
#define VIREO_FT_HASH_H

/*
 * Key hashing for the classifier and the exact-match cache.  Apart from ft_key.h so that the
 * rule parser and printer (and their fuzzer) do not depend on DPDK's EAL, which
 * rte_hash_crc.h's CPU-feature probe needs.
 */

#include <stdint.h>

#include <rte_hash_crc.h>

#include "ft_key.h"

/**
 * One CRC32C step over 'v': DPDK's rte_hash_crc picks the CPU's CRC32C instruction (SSE4.2
 * crc32q on x86-64, crc32cx on arm64) and falls back to tables elsewhere; the values are the
 * same everywhere.
 */
static inline uint32_t
ft_crc32_u64(uint32_t crc, uint64_t v)
{
	return rte_hash_crc_8byte(v, crc);
}

/** Hash of 'k' masked by 'mask' over the 'n' word indices in 'words'. */
static inline uint32_t
ft_key_hash_masked(const struct ft_key *k, const struct ft_key *mask, const uint8_t *words,
		unsigned n)
{
	uint64_t h = 0x27d4eb2f;
	unsigned i;

	for (i = 0; i < n; i++)
		h = ft_crc32_u64(h, k->w[words[i]] & mask->w[words[i]]);
	return (uint32_t)h;
}

#endif /* VIREO_FT_HASH_H */

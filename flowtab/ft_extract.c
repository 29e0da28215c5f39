/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing (the out-of-line entry point; the packet path uses ft_extract.h inline). */

#include "ft_extract.h"

void
ft_key_extract(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly)
{
	ft_key_extract_inline(m, in_port, k, ly);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing (the out-of-line entry point; the packet path uses ft_extract.h inline). */

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "ft_extract.h"

void
ft_key_extract(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly)
{
	ft_key_extract_inline(m, in_port, k, ly);
}

int flowtab_tnl_md_offset = -1;
uint64_t flowtab_tnl_md_flag;

int
flowtab_tnl_md_register(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = FLOWTAB_TNL_MD_NAME,
		.size = sizeof(struct flowtab_tnl_md),
		.align = __alignof__(struct flowtab_tnl_md),
	};
	static const struct rte_mbuf_dynflag flag = { .name = FLOWTAB_TNL_MD_FLAG_NAME };
	int ofs = rte_mbuf_dynfield_register(&field), bit;

	if (ofs < 0)
		return -rte_errno;
	bit = rte_mbuf_dynflag_register(&flag);
	if (bit < 0)
		return -rte_errno;
	flowtab_tnl_md_offset = ofs;
	__atomic_store_n(&flowtab_tnl_md_flag, 1ULL << bit, __ATOMIC_RELEASE);
	return 0;
}

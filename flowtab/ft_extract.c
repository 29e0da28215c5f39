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

struct flowtab_tnl_md6 *
flowtab_tnl_md6_of(const struct rte_mbuf *m)
{
	return ft_tnl_md6(m);
}

void
flowtab_tnl_md_copy(struct rte_mbuf *dst, const struct rte_mbuf *src)
{
	struct flowtab_tnl_md6 *d6, *s6;
	struct flowtab_tnl_md *md;

	if (flowtab_tnl_md_offset < 0 || !(dst->ol_flags & flowtab_tnl_md_flag))
		return;
	md = RTE_MBUF_DYNFIELD(dst, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
	if (!(md->flags & FLOWTAB_TNL_MD_F_IPV6))
		return;
	d6 = flowtab_tnl_md6_of(dst);
	s6 = flowtab_tnl_md6_of(src);
	if (d6 != NULL && s6 != NULL)
		*d6 = *s6;
	else
		md->flags &= (uint8_t)~FLOWTAB_TNL_MD_F_IPV6;
}

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

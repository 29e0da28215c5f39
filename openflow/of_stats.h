/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OF_STATS_H
#define VIREO_OF_STATS_H

/* Multipart (1.3) and statistics (1.0) replies, split at 64 KiB with the MORE flag. */

#include "of_private.h"

struct of_mp {
	struct of_conn *c;
	const uint8_t *req;         /**< the request, for error replies */
	size_t req_len;
	uint32_t xid;
	uint16_t type;              /**< statistics / multipart type */
	bool nx;                    /**< a Nicira statistics reply (NXST_*) */
	uint32_t nx_subtype;
	size_t start;               /**< offset in the output of the message being built */
};

void of_mp_begin(struct of_mp *mp);
/** Append one entry of 'n' bytes ('oom': it could not be built: the reply fails). */
void of_mp_add(struct of_mp *mp, const void *data, size_t n, bool oom);
void of_mp_end(struct of_mp *mp);
/** Drop the reply begun by of_mp_begin() (before any entry was added). */
void of_mp_abort(struct of_mp *mp);

/* of_flow.c: flow ('aggregate' false) and aggregate statistics; 'body' after the headers. */
void of_flow_stats10(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate);
void of_flow_stats13(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate);
void of_flow_stats_nx(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate);

#endif /* VIREO_OF_STATS_H */

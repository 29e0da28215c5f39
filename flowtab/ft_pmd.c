/* SPDX-License-Identifier: BSD-3-Clause */
/* The packet path: parse a burst, exact-match cache, classifier, actions. */

#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "ft_extract.h"
#include "ft_private.h"

/* EMC hit rate below which new flows are inserted only with probability 1/FT_EMC_INV_PROB
 * and only one burst in FT_EMC_SAMPLE looks the cache up (to notice when it would pay again). */
#define FT_EMC_WINDOW 4096
#define FT_EMC_INV_PROB 16
#define FT_EMC_SAMPLE 8

unsigned int ft_slot_sharers[FT_STAT_SLOTS];

struct flowtab_pmd *
flowtab_pmd_create(unsigned pmd_index, int socket)
{
	struct flowtab_pmd *pmd = ft_zalloc(sizeof(*pmd));

	if (!pmd)
		return NULL;
	pmd->index = pmd_index;
	pmd->slot = pmd_index % FT_STAT_SLOTS;
	pmd->shared_slot = pmd_index >= FT_STAT_SLOTS;
	if (pmd->shared_slot)
		__atomic_fetch_add(&ft_slot_sharers[pmd->slot], 1, __ATOMIC_SEQ_CST);
	pmd->rng = 0x12345678u ^ pmd_index;
	pmd->emc = rte_zmalloc_socket("ft_emc", sizeof(*pmd->emc), RTE_CACHE_LINE_SIZE,
			socket < 0 ? SOCKET_ID_ANY : socket);
	pmd->emc_hugepage = pmd->emc != NULL;
	if (!pmd->emc)
		pmd->emc = ft_zalloc(sizeof(*pmd->emc));
	if (!pmd->emc) {
		if (pmd->shared_slot)
			__atomic_fetch_sub(&ft_slot_sharers[pmd->slot], 1, __ATOMIC_SEQ_CST);
		free(pmd);
		return NULL;
	}
	return pmd;
}

void
flowtab_pmd_destroy(struct flowtab_pmd *pmd)
{
	if (!pmd)
		return;
	if (pmd->shared_slot)
		__atomic_fetch_sub(&ft_slot_sharers[pmd->slot], 1, __ATOMIC_SEQ_CST);
	if (pmd->emc_hugepage)
		rte_free(pmd->emc);
	else
		free(pmd->emc);
	free(pmd);
}

const struct flowtab_pmd_stats *
flowtab_pmd_stats(const struct flowtab_pmd *pmd)
{
	return &pmd->stats;
}

static inline struct ft_emc_set *
emc_set(struct flowtab_pmd *pmd, uint32_t hash)
{
	return &pmd->emc->sets[hash & (FT_EMC_SETS - 1)];
}

/* Hash of 'k' under the cache mask of table 'c'. */
static inline uint32_t
emc_hash(const struct ft_cls *c, const struct ft_key *k)
{
	uint64_t h = 0x27d4eb2f;
	unsigned i;

	for (i = 0; i < c->n_cache_words; i++)
		h = ft_crc32_u64(h, k->w[c->cache_words[i]] & c->cache_mask.w[c->cache_words[i]]);
	return (uint32_t)h;
}

static inline uint64_t
emc_tag(const struct ft_snap *snap, uint8_t table)
{
	return snap->gen << 8 | table;
}

static inline const struct ft_rule *
emc_find(struct flowtab_pmd *pmd, const struct ft_cls *c, uint64_t tag, const struct ft_key *k,
		uint32_t hash)
{
	struct ft_emc_set *set = emc_set(pmd, hash);
	unsigned way, i;

	for (way = 0; way < FT_EMC_WAYS; way++) {
		const struct ft_key *ek;
		uint64_t d = 0;

		if (set->hash[way] != hash || set->tag[way] != tag)
			continue;
		ek = &pmd->emc->keys[(set - pmd->emc->sets) * FT_EMC_WAYS + way];
		for (i = 0; i < c->n_cache_words; i++) {
			unsigned w = c->cache_words[i];

			d |= (k->w[w] & c->cache_mask.w[w]) ^ ek->w[w];
		}
		if (!d)
			return set->rule[way];
	}
	return NULL;
}

static inline void
emc_insert(struct flowtab_pmd *pmd, const struct ft_cls *c, uint64_t tag, const struct ft_key *k,
		uint32_t hash, const struct ft_rule *r)
{
	struct ft_emc_set *set = emc_set(pmd, hash);
	struct ft_key *ek;
	unsigned way, i;

	if (pmd->emc_thrashing) {
		pmd->rng = pmd->rng * 1103515245u + 12345u;
		if ((pmd->rng >> 16) % FT_EMC_INV_PROB)
			return;
	}
	/* An empty way if there is one, else a random one. */
	for (way = 0; way < FT_EMC_WAYS; way++)
		if (!set->tag[way])
			break;
	if (way == FT_EMC_WAYS) {
		pmd->rng = pmd->rng * 1103515245u + 12345u;
		way = (pmd->rng >> 16) % FT_EMC_WAYS;
	}
	ek = &pmd->emc->keys[(set - pmd->emc->sets) * FT_EMC_WAYS + way];
	for (i = 0; i < FT_KEY_WORDS; i++)
		ek->w[i] = k->w[i] & c->cache_mask.w[i];
	set->hash[way] = hash;
	set->tag[way] = tag;
	set->rule[way] = r;
}

static inline void
emc_account(struct flowtab_pmd *pmd, uint32_t lookups, uint32_t hits)
{
	pmd->emc_window_lookups += lookups;
	pmd->emc_window_hits += hits;
	if (pmd->emc_window_lookups >= FT_EMC_WINDOW) {
		pmd->emc_thrashing = pmd->emc_window_hits * 2 < pmd->emc_window_lookups;
		pmd->emc_window_lookups = 0;
		pmd->emc_window_hits = 0;
	}
}

const struct ft_rule *
ft_pmd_lookup(struct flowtab_pmd *pmd, const struct ft_snap *snap, const struct ft_key *k)
{
	const struct ft_cls *c = snap->tables[k->table_id];
	uint64_t tag = emc_tag(snap, k->table_id);
	const struct ft_rule *r;
	uint32_t hash;

	pmd->stats.passes++;
	if (!c) {
		pmd->stats.misses++;
		return NULL;
	}
	hash = emc_hash(c, k);
	r = emc_find(pmd, c, tag, k, hash);
	if (r) {
		pmd->stats.emc_hits++;
		return r;
	}
	r = ft_cls_lookup(c, k, &pmd->stats.subtable_lookups);
	if (r) {
		pmd->stats.megaflow_hits++;
		emc_insert(pmd, c, tag, k, hash, r);
	} else {
		pmd->stats.misses++;
	}
	return r;
}

/* Hash the keys 'idx[0..n)' under subtable 'st' into 'h' and prefetch their slots. */
static inline void
st_hash_burst(const struct ft_subtable *st, const struct ft_key *keys, const uint8_t *idx,
		unsigned n, uint32_t *h)
{
	unsigned j;

	if (st->n_words == 1) {
		unsigned w0 = st->words[0];
		uint64_t m0 = st->mask.w[w0];

		for (j = 0; j < n; j++) {
			h[j] = (uint32_t)ft_crc32_u64(0x27d4eb2f, keys[idx[j]].w[w0] & m0);
			rte_prefetch0(&st->entries[h[j] & st->bucket_mask]);
		}
	} else if (st->n_words == 2) {
		unsigned w0 = st->words[0], w1 = st->words[1];
		uint64_t m0 = st->mask.w[w0], m1 = st->mask.w[w1];

		for (j = 0; j < n; j++) {
			uint64_t x = ft_crc32_u64(0x27d4eb2f, keys[idx[j]].w[w0] & m0);

			h[j] = (uint32_t)ft_crc32_u64(x, keys[idx[j]].w[w1] & m1);
			rte_prefetch0(&st->entries[h[j] & st->bucket_mask]);
		}
	} else {
		for (j = 0; j < n; j++) {
			h[j] = ft_key_hash_masked(&keys[idx[j]], &st->mask, st->words, st->n_words);
			rte_prefetch0(&st->entries[h[j] & st->bucket_mask]);
		}
	}
}

/*
 * Classifier lookup of the packets in 'miss' (a bitmap over the burst) in table 0, subtable
 * by subtable so that the hash table probes of a subtable are prefetched together.
 */
static void
cls_lookup_burst(struct flowtab_pmd *pmd, const struct ft_cls *cls, uint32_t miss)
{
	int32_t best_prio[FT_BURST_MAX];
	uint32_t h[FT_BURST_MAX], s;
	uint8_t idx[FT_BURST_MAX];
	unsigned n = 0, j, k;
	uint64_t probes = 0;
	const struct ft_rule *r;

	if (!cls)
		return;
	for (; miss; miss &= miss - 1) {
		idx[n] = (uint8_t)__builtin_ctz(miss);
		best_prio[idx[n]] = -1;
		n++;
	}
	for (s = 0; s < cls->n_subtables && n; s++) {
		struct ft_subtable *st = cls->subtables[s];
		uint32_t hits = 0;

		/* Drop the packets whose match already beats this subtable (and all later). */
		for (j = 0, k = 0; j < n; j++)
			if (best_prio[idx[j]] < st->max_priority)
				idx[k++] = idx[j];
		n = k;
		st_hash_burst(st, pmd->keys, idx, n, h);
		for (j = 0; j < n; j++) {
			unsigned i = idx[j];

			r = ft_st_find(st, &pmd->keys[i], h[j]);
			if (r && r->priority > best_prio[i]) {
				pmd->rules[i] = r;
				best_prio[i] = r->priority;
				hits++;
			}
		}
		probes += n;
		if (hits)   /* approximate when several PMDs add at once: it only ranks */
			__atomic_store_n(&st->hits,
					__atomic_load_n(&st->hits, __ATOMIC_RELAXED) + hits,
					__ATOMIC_RELAXED);
	}
	pmd->stats.subtable_lookups += probes;
}

/* Hand a run of packets bound for one port to the caller. */
static inline void
out_run(const struct flowtab_out *out, uint32_t port, struct rte_mbuf **pkts, uint16_t n)
{
	if (out->output_burst) {
		out->output_burst(out->ctx, port, pkts, n);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		out->output(out->ctx, port, pkts[i]);
}

/* A packet no rule of table 0 matched: the controller's, or dropped. */
static inline void
table_miss(const struct flowtab_out *out, uint32_t in_port, struct rte_mbuf *m)
{
	if (out->miss_to_controller && out->controller != NULL)
		out->controller(out->ctx, in_port, m, 0, FLOWTAB_REASON_MISS, 0, UINT64_MAX);
	else
		rte_pktmbuf_free(m);
}

/*
 * Table 0 of 'snap' matches on in_port at most (ft_cls inport_only), so every packet of the
 * burst meets the same rule: one lookup (flow cache, then classifier) classifies them all,
 * and no packet is parsed.  Runs the rules that output to one port or run NORMAL; false
 * (nothing done) for a miss or any other actions, which need each packet's key.
 */
static bool
burst_by_inport(struct flowtab_pmd *pmd, const struct ft_snap *snap, struct rte_mbuf **pkts,
		uint16_t n, uint32_t in_port, const struct flowtab_out *out)
{
	const struct ft_cls *c0 = snap->tables[0];
	uint64_t tag = emc_tag(snap, 0), bytes = 0, probes = 0;
	struct ft_inport_memo *memo = &pmd->inport_memo[in_port % FT_INPORT_MEMO];
	const struct ft_actions *a;
	const struct ft_rule *r;
	bool normal;
	uint16_t i;

	if (likely(memo->tag == tag && memo->in_port == in_port)) {
		r = memo->rule;
	} else {
		struct ft_key k;
		uint32_t hash;

		memset(&k, 0, sizeof(k));
		k.in_port = rte_cpu_to_be_32(in_port);
		hash = emc_hash(c0, &k);
		r = emc_find(pmd, c0, tag, &k, hash);
		if (!r && (r = ft_cls_lookup(c0, &k, &probes)) != NULL)
			emc_insert(pmd, c0, tag, &k, hash, r);
		if (!r)
			return false;
		memo->tag = tag;
		memo->in_port = in_port;
		memo->rule = r;
	}
	a = __atomic_load_n(&r->acts, __ATOMIC_ACQUIRE);
	normal = a->n == 1 && a->a[0].type == FT_ACT_NORMAL;
	if (a->out_port == FLOWTAB_PORT_NONE && !normal)
		return false;
	pmd->stats.passes += n;
	if (probes == 0) {
		pmd->stats.emc_hits += n;
	} else {
		pmd->stats.megaflow_hits += n;
		pmd->stats.subtable_lookups += probes;
	}
	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	ft_rule_count_n(pmd, r, n, bytes);
	if (normal) {
		for (i = 0; i < n; i++)
			out->normal(out->ctx, in_port, pkts[i]);
	} else if (unlikely(a->out_port == in_port)) {
		rte_pktmbuf_free_bulk(pkts, n);	/* OpenFlow: output to in_port is dropped */
	} else {
		out_run(out, a->out_port, pkts, n);
	}
	return true;
}

void
flowtab_process_burst(struct flowtab_pmd *pmd, struct flowtab *ft, struct rte_mbuf **pkts,
		uint16_t n, uint32_t in_port, const struct flowtab_out *out)
{
	const struct ft_snap *snap = __atomic_load_n(&ft->snap, __ATOMIC_ACQUIRE);
	const struct ft_cls *c0 = snap->tables[0];
	uint64_t tag = emc_tag(snap, 0);
	uint32_t miss = 0, n_hits = 0, i, todo;
	const struct ft_rule *r, *run_rule = NULL;
	const struct ft_actions *a;
	uint64_t run_packets = 0, run_bytes = 0;
	struct rte_mbuf *out_pkts[FT_BURST_MAX];
	uint32_t out_port = FLOWTAB_PORT_NONE;
	uint16_t out_n = 0;
	bool use_emc;

	while (n > FT_BURST_MAX) {
		flowtab_process_burst(pmd, ft, pkts, FT_BURST_MAX, in_port, out);
		pkts += FT_BURST_MAX;
		n -= FT_BURST_MAX;
	}
	/* Checked against the snapshot whose rules the burst meets. */
	if (unlikely(snap->needs_own) && out->own != NULL) {
		if ((n = out->own(out->ctx, pkts, n)) == 0)
			return;
	} else if (unlikely(snap->writes_head)) {
		uint16_t (*own)(void *, struct rte_mbuf **, uint16_t) = out->own_head != NULL ?
			out->own_head : out->own;

		if (own != NULL && (n = own(out->ctx, pkts, n)) == 0)
			return;
	}
	if (unlikely(!c0)) {    /* table 0 empty: everything misses */
		pmd->stats.passes += n;
		pmd->stats.misses += n;
		for (i = 0; i < n; i++)
			table_miss(out, in_port, pkts[i]);
		return;
	}
	if (c0->inport_only && burst_by_inport(pmd, snap, pkts, n, in_port, out))
		return;
	use_emc = !pmd->emc_thrashing || (++pmd->n_bursts % FT_EMC_SAMPLE) == 0;
	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	/* Stage 1: keys and hashes; prefetch the EMC sets. */
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		if (snap->full_parse)
			ft_key_extract_inline(pkts[i], in_port, &pmd->keys[i], &pmd->layers[i]);
		else
			ft_key_extract_l2(pkts[i], in_port, &pmd->keys[i], &pmd->layers[i]);
		pmd->hashes[i] = emc_hash(c0, &pmd->keys[i]);
		if (use_emc)
			rte_prefetch0(emc_set(pmd, pmd->hashes[i]));
	}
	/* Stage 2: exact-match cache. */
	if (use_emc) {
		for (i = 0; i < n; i++) {
			pmd->rules[i] = emc_find(pmd, c0, tag, &pmd->keys[i], pmd->hashes[i]);
			if (pmd->rules[i])
				n_hits++;
			else
				miss |= 1u << i;
		}
		emc_account(pmd, n, n_hits);
	} else {
		miss = n == 32 ? UINT32_MAX : (1u << n) - 1;
		for (i = 0; i < n; i++)
			pmd->rules[i] = NULL;
	}
	pmd->stats.passes += n;
	pmd->stats.emc_hits += n_hits;
	/* Stage 3: classifier for the misses, then fill the EMC. */
	if (miss) {
		cls_lookup_burst(pmd, c0, miss);
		for (todo = miss; todo; todo &= todo - 1) {
			i = __builtin_ctz(todo);
			if (pmd->rules[i]) {
				pmd->stats.megaflow_hits++;
				emc_insert(pmd, c0, tag, &pmd->keys[i], pmd->hashes[i], pmd->rules[i]);
			}
		}
	}
	/* Stage 4: actions; counters added once per run of packets with the same rule. */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		r = pmd->rules[i];
		if (unlikely(!r)) {
			pmd->stats.misses++;
			if (out_n > 0) {
				out_run(out, out_port, out_pkts, out_n);
				out_n = 0;
			}
			table_miss(out, in_port, m);
			continue;
		}
		if (r != run_rule) {
			if (run_rule)
				ft_rule_count_n(pmd, run_rule, run_packets, run_bytes);
			run_rule = r;
			run_packets = 0;
			run_bytes = 0;
		}
		run_packets++;
		run_bytes += rte_pktmbuf_pkt_len(m);
		a = __atomic_load_n(&r->acts, __ATOMIC_ACQUIRE);
		if (likely(a->out_port != FLOWTAB_PORT_NONE)) {
			if (unlikely(a->out_port == in_port)) {
				rte_pktmbuf_free(m);
				continue;
			}
			if (out_n > 0 && out_port != a->out_port) {
				out_run(out, out_port, out_pkts, out_n);
				out_n = 0;
			}
			out_port = a->out_port;
			out_pkts[out_n++] = m;
			continue;
		}
		if (out_n > 0) {	/* keep the order of packets to each port */
			out_run(out, out_port, out_pkts, out_n);
			out_n = 0;
		}
		if (a->n == 1 && a->a[0].type == FT_ACT_NORMAL) {
			out->normal(out->ctx, in_port, m);
			continue;
		}
		ft_exec(pmd, ft, snap, r, m, &pmd->keys[i], &pmd->layers[i], in_port, out);
	}
	if (out_n > 0)
		out_run(out, out_port, out_pkts, out_n);
	if (run_rule)
		ft_rule_count_n(pmd, run_rule, run_packets, run_bytes);
}

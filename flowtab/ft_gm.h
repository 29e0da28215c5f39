/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_GM_H
#define VIREO_FT_GM_H

/*
 * The insides of groups and meters (flowtab_gm.h): immutable tables the writer replaces
 * whole, the liveness bitmap, and what the datapath (ft_exec.c) calls.
 */

#include <rte_meter.h>

#include "flowtab_gm.h"
#include "ft_rule.h"

struct ft_bucket {
	uint32_t bucket_id;
	uint16_t weight;
	uint32_t watch_port;
	uint32_t watch_group;
	struct ft_actions *acts;
	uint64_t packets, bytes;        /**< PMDs: atomic adds */
};

struct ft_group {
	uint32_t id;
	uint8_t type;
	uint32_t n_buckets;
	uint64_t created_ms;
	uint64_t packets, bytes;        /**< PMDs: atomic adds */
	bool born;                      /**< not yet published (writer only) */
	const struct ft_group *prev;    /**< a batch's: the published group it modifies */
	struct ft_bucket b[];
};

/** Groups sorted by id; immutable once published. */
struct ft_gtab {
	uint32_t n;
	struct ft_group *g[];
};

/* The token bucket PMDs share: rte_meter_srtcm's time and tc (te stays 0: no excess). */
struct ft_tb {
	uint64_t time;
	uint64_t tc;
} __rte_aligned(16);

struct ft_band {
	uint32_t rate;
	uint32_t burst;
	struct rte_meter_srtcm_profile prof;
	bool configured;                /**< 'prof' valid (needs the TSC rate: EAL up) */
	struct ft_tb tb;
	uint64_t packets, bytes;        /**< dropped; PMDs: atomic adds */
};

struct ft_meter {
	uint32_t id;
	uint16_t flags;
	uint32_t n_bands;
	uint64_t created_ms;
	uint64_t packets, bytes;
	struct ft_band bands[];         /**< by rate, lowest first */
};

struct ft_mtab {
	uint32_t n;
	struct ft_meter *m[];
};

#define FT_LIVE_WORDS (65536 / 64)

/** Hung from 'struct flowtab' (one per table, created on first use by the writer). */
struct ft_gm {
	/* The group table as the writer (main thread) sees it; PMDs use their snapshot's
	 * ('struct ft_snap' groups), published with ft_snap_republish() or the next rules. */
	struct ft_gtab *groups;
	uint64_t groups_gen;            /**< counts changes of 'groups' (writer only) */
	struct ft_mtab *meters;         /**< RCU: writer stores (release), PMDs load (acquire) */
	uint64_t live[FT_LIVE_WORDS];   /**< bit per port number below 65536; atomic words */
};

/** Group type names as ovs-ofctl writes them, by enum flowtab_group_type. */
extern const char *const ft_group_types[4];

/* Group changes, for ft_group.c and ft_group_buckets.c (the main thread). */
void ft_group_free(struct ft_group *g);
/** "group ID: FMT ARG", malloc'd (NULL: no memory). */
char *ft_group_error(uint32_t id, const char *fmt, const char *arg);
/** Set '*why' and '*err' ('msg'); @return -EINVAL. */
int ft_gm_refuse(enum flowtab_gm_error *why, enum flowtab_gm_error w, char **err, char *msg);
/** A group from 'spec' (its buckets' actions parsed); NULL with '*why' (FLOWTAB_GM_OK: no
 *  memory) and '*err'. */
struct ft_group *ft_group_build(struct flowtab *ft, const struct flowtab_group_spec *spec,
		enum flowtab_gm_error *why, char **err);
/** The bucket ids 'spec' gives are numbers, each once.  @return 0 or ft_gm_refuse()'s. */
int ft_group_check_ids(const struct flowtab_group_spec *spec, enum flowtab_gm_error *why,
		char **err);
/** 'spec' is a group flowtab can hold (id, type, bucket count, weights, bucket ids). */
int ft_group_spec_check(const struct flowtab_group_spec *spec, enum flowtab_gm_error *why,
		char **err);
/** Every group of 't' chains within the limit, without loops, to groups that exist (time
 *  linear in groups and group actions).  @return 0, ft_gm_refuse()'s or -ENOMEM. */
int ft_gtab_check(const struct ft_gtab *t, enum flowtab_gm_error *why, char **err);
/** '*out': a copy of 't' (may be NULL) with 'g' in place of 'old' (NULL: inserted), its
 *  chains checked.  @return 0, or ft_gtab_check()'s error or -ENOMEM with 'g' freed. */
int ft_gtab_put(const struct ft_gtab *t, struct ft_group *g, const struct ft_group *old,
		struct ft_gtab **out, enum flowtab_gm_error *why, char **err);
/**
 * '*kept' and '*gone': copies of 't' without and with only group 'group_id' (or every group,
 * FLOWTAB_GROUP_ALL), both sorted.  @return 0; -EINVAL, FLOWTAB_GM_CHAINED, when a group
 * left chains to one that goes; -ENOMEM.
 */
int ft_gtab_remove(const struct ft_gtab *t, uint32_t group_id, struct ft_gtab **kept,
		struct ft_gtab **gone, enum flowtab_gm_error *why, char **err);
/** 'g' takes over the counters and creation time of 'old', which it replaces. */
void ft_group_carry(struct ft_group *g, const struct ft_group *old);
/** Check 'spec' and 'cmd' against table 't': '*old' the group it replaces (or NULL). */
int ft_group_resolve(const struct ft_gtab *t, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, struct ft_group **old,
		enum flowtab_gm_error *why, char **err);
/** ft_group_resolve() against 't', then the group built from 'spec' in '*g'. */
int ft_group_make(struct flowtab *ft, const struct ft_gtab *t, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, struct ft_group **g, struct ft_group **old,
		enum flowtab_gm_error *why, char **err);
/** Put 'g' in place of 'old' (NULL: a new id), check the chains, publish; consumes 'g'. */
int ft_group_install(struct flowtab *ft, struct ft_group *g, struct ft_group *old,
		enum flowtab_gm_error *why, char **err);

/*
 * A batch's group changes (ft_batch.c), made on a private copy of the table and published
 * with the batch's rules.
 */
struct ft_gwork {
	struct ft_gtab *t;              /**< the table after the changes (the array is ours) */
	uint64_t base_gen;              /**< the table's groups_gen 't' was copied at */
	struct ft_group **dead;         /**< published groups replaced or deleted */
	size_t n_dead, cap_dead;
	struct ft_group **born;         /**< groups made here and still in 't' */
	size_t n_born, cap_born;
};
/** 'w''s table, or NULL with '*err' when the table changed outside the batch since. */
const struct ft_gtab *ft_gwork_table(const struct flowtab *ft, const struct ft_gwork *w,
		char **err);
/** Add or modify a group in 'w' (created from the table's groups when 'w->t' is NULL). */
int ft_gwork_mod(struct flowtab *ft, struct ft_gwork *w, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err);
/** Delete a group (or all) from 'w'; '*ids'/'*n_ids' (malloc'd) the ids deleted. */
int ft_gwork_del(struct flowtab *ft, struct ft_gwork *w, uint32_t group_id, uint32_t **ids,
		size_t *n_ids, enum flowtab_gm_error *why, char **err);
/**
 * Make 'w''s table the writer's (before the snapshot with it is published): '*old' the
 * table it replaces.  -EINVAL with '*err' when the table changed outside the batch since.
 */
int ft_gwork_begin_publish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab **old,
		char **err);
/** After the publication succeeded (readers gone): free what 'w' replaced and 'old'. */
void ft_gwork_finish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab *old);
/** Publication failed: the writer's table back to 'old'. */
void ft_gwork_abort_publish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab *old);
/** Free what 'w' holds that was never published. */
void ft_gwork_free(struct ft_gwork *w);

/** The group/meter state of 'ft', created when missing; NULL when out of memory. */
struct ft_gm *ft_gm_get(struct flowtab *ft);
void ft_gm_free(struct ft_gm *gm);

/* bsearch() comparators: the id at 'key' against the group or meter at 'elem'. */
static inline int
ft_group_id_cmp(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key, e = (*(struct ft_group *const *)elem)->id;

	return id < e ? -1 : id > e;
}

static inline int
ft_meter_id_cmp(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key, e = (*(struct ft_meter *const *)elem)->id;

	return id < e ? -1 : id > e;
}

/* Where group 'id' sits in 't' (sorted by id), or -1. */
static inline int64_t
ft_gtab_index(const struct ft_gtab *t, uint32_t id)
{
	struct ft_group *const *g = t == NULL || t->n == 0 ? NULL :
		bsearch(&id, t->g, t->n, sizeof(t->g[0]), ft_group_id_cmp);

	return g == NULL ? -1 : g - t->g;
}

/** Group 'id' in 't' (may be NULL), or NULL. */
static inline struct ft_group *
ft_gtab_find(const struct ft_gtab *t, uint32_t id)
{
	int64_t i = ft_gtab_index(t, id);

	return i < 0 ? NULL : t->g[i];
}

/** Meter 'id' in 't' (may be NULL; sorted by id), or NULL. */
static inline struct ft_meter *
ft_mtab_find(const struct ft_mtab *t, uint32_t id)
{
	struct ft_meter *const *m = t == NULL || t->n == 0 ? NULL :
		bsearch(&id, t->m, t->n, sizeof(t->m[0]), ft_meter_id_cmp);

	return m == NULL ? NULL : *m;
}

static inline bool
ft_port_live(const struct ft_gm *gm, uint32_t port)
{
	if (port >= FT_LIVE_WORDS * 64)
		return false;
	return (__atomic_load_n(&gm->live[port / 64], __ATOMIC_RELAXED) >> (port % 64)) & 1;
}

/**
 * Is 'b' live?  A bucket watching nothing is; one watching a group is when that group
 * (looked up in 't') has a live bucket that watches no group (one level: the chain limit
 * keeps the rest bounded, and OpenFlow leaves deeper liveness to the switch).
 */
bool ft_bucket_live(const struct ft_gm *gm, const struct ft_gtab *t, const struct ft_bucket *b);

/**
 * The bucket of 'g' for a packet whose flow hashes to 'hash' (select), or the group's
 * first live bucket (fast failover), or its only one (indirect); NULL: none is live.
 * Not for 'all'.
 */
const struct ft_bucket *ft_group_pick(const struct ft_gm *gm, const struct ft_gtab *t,
		const struct ft_group *g, uint32_t hash);

/**
 * Meter 'm' for a packet of 'len' bytes at TSC 'now': true when it passes.  Lock-free;
 * counts the packet and, when dropped, the band that dropped it.
 */
bool ft_meter_pass(struct ft_meter *m, uint32_t len, uint64_t now);

/** Does 'a' name group 'id' (FLOWTAB_GROUP_ALL: any) / meter 'id'? */
bool ft_actions_use_group(const struct ft_actions *a, uint32_t id);
bool ft_actions_use_meter(const struct ft_actions *a, uint32_t id);

#endif /* VIREO_FT_GM_H */

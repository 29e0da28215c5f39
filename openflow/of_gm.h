/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OF_GM_H
#define VIREO_OF_GM_H

/*
 * Groups and meters on the wire (OpenFlow 1.3's group_mod, meter_mod and their multiparts;
 * 1.1 to 1.4 share these layouts), over flowtab_gm.h.
 */

#include "flowtab_gm.h"
#include "of_private.h"
#include "of_stats.h"

#define OFPAT13_GROUP 22
#define NXAST_GROUP 40               /* Open vSwitch's group action in OpenFlow 1.0 */
#define OF13_GROUP_MOD 15
#define OF13_METER_MOD 29
#define OFPET13_GROUP_MOD_FAILED 6
#define OFPET13_METER_MOD_FAILED 12
#define OFPET13_BAD_ACTION 2
#define OFPBAC13_BAD_OUT_GROUP 9
#define OFPGC_ADD_OR_MOD 0x8000     /* Open vSwitch's, what `mod-group --may-create` sends */
#define OFPGC15_INSERT_BUCKET 3
#define OFPGC15_REMOVE_BUCKET 5

enum {
	OFPMP_GROUP = 6,
	OFPMP_GROUP_DESC = 7,
	OFPMP_GROUP_FEATURES = 8,
	OFPMP_METER = 9,
	OFPMP_METER_CONFIG = 10,
	OFPMP_METER_FEATURES = 11,
};

/** A group_mod or meter_mod ('type' OF13_GROUP_MOD / OF13_METER_MOD) of 1.3 to 1.5. */
void of_handle_gm_mod(struct of_conn *c, const uint8_t *msg, size_t len);
/** An OpenFlow error of 'type' and 'code' answering 'msg'. */
void of_gm_send_error(struct of_conn *c, uint16_t type, uint16_t code, const uint8_t *msg,
		size_t len);
/** The group_mod_failed ('meter' false) or meter_mod_failed error for flowtab's 'why'. */
void of_gm_error(struct of_conn *c, enum flowtab_gm_error why, bool meter, const uint8_t *msg,
		size_t len);
/** A 1.3 port number (watch_port) as flowtab's: ANY is none; -EINVAL: a reserved port. */
int of_gm_watch_port(uint32_t p, uint32_t *out);
/**
 * Open vSwitch's checks of the buckets of a group_mod against the type it carries (its
 * ofputil_check_group_mod()): a weight only in a select group (or in buckets inserted,
 * 'insert'), a watch in no all or indirect group, and one in every fast failover bucket.
 * Types flowtab refuses, and indirect groups without exactly one bucket, are left to it.
 * @return -1, or the group_mod_failed code to refuse with.
 */
int of_gm_check_buckets(const struct flowtab_group_spec *s, bool insert);
/** of_group15.c: OpenFlow 1.5's group_mod, and one group of its group desc reply. */
bool of_group_mod15(struct of_conn *c, struct flowtab_batch *b, const uint8_t *msg, size_t len);
/**
 * A group_mod of 'c''s version inside a bundle: into batch 'b' (flowtab_batch_group_mod());
 * errors are sent.  @return whether it was taken.  Not OpenFlow 1.5's bucket commands.
 */
bool of_group_mod_bundled(struct of_conn *c, struct flowtab_batch *b, const uint8_t *msg,
		size_t len);
void of_group_desc15_one(void *aux, const struct flowtab_group_info *g);
/** A group or meter multipart request; false when 'mp''s type is none of them. */
bool of_gm_stats(struct of_mp *mp, const uint8_t *body, size_t len);

#endif /* VIREO_OF_GM_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OF_GM_H
#define VIREO_OF_GM_H

/*
 * Groups and meters on the wire (OpenFlow 1.3's group_mod, meter_mod and their multiparts;
 * 1.1 to 1.4 share these layouts), over flowtab_gm.h.
 */

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

enum {
	OFPMP_GROUP = 6,
	OFPMP_GROUP_DESC = 7,
	OFPMP_GROUP_FEATURES = 8,
	OFPMP_METER = 9,
	OFPMP_METER_CONFIG = 10,
	OFPMP_METER_FEATURES = 11,
};

/** A 1.3 group_mod or meter_mod ('type' OF13_GROUP_MOD / OF13_METER_MOD). */
void of_handle_gm_mod(struct of_conn *c, const uint8_t *msg, size_t len);
/** A group or meter multipart request; false when 'mp''s type is none of them. */
bool of_gm_stats(struct of_mp *mp, const uint8_t *body, size_t len);

#endif /* VIREO_OF_GM_H */

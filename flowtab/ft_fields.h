/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_FIELDS_H
#define VIREO_FT_FIELDS_H

/* The match fields of the rule syntax: name, place in the key, value syntax, prerequisites. */

#include <stdbool.h>
#include <stdint.h>

enum ft_fkind {
	FT_FK_NUM,       /**< big-endian integer of 'len' bytes */
	FT_FK_PORT,      /**< port number or name */
	FT_FK_MAC,
	FT_FK_IPV4,
	FT_FK_IPV6,
	FT_FK_VLAN_VID,  /**< dl_vlan: 12 bits of vlan_tci, 0xffff = no VLAN */
	FT_FK_VLAN_PCP,  /**< dl_vlan_pcp: 3 bits of vlan_tci */
	FT_FK_TOS,       /**< nw_tos: DSCP bits of the TOS byte, given as a TOS value */
	FT_FK_DSCP,      /**< ip_dscp: the same bits, given as a DSCP value */
	FT_FK_BYTE16,    /**< icmp_type/icmp_code: one byte stored in a be16 */
	FT_FK_TCP_FLAGS,
	FT_FK_TUN_FLAGS, /**< tun_flags: "oam", "0", or 0..1 with a mask */
};

enum ft_prereq {
	FT_PR_NONE,
	FT_PR_IP_ANY,      /**< ip or ipv6 */
	FT_PR_IP4_OR_ARP,
	FT_PR_ARP,
	FT_PR_IPV6,
	FT_PR_L4,          /**< tcp, udp or sctp over ip or ipv6 */
	FT_PR_TCP,
	FT_PR_ICMP,        /**< icmp or icmp6 */
};

struct ft_field {
	const char *name;
	uint8_t ofs;
	uint8_t len;
	uint8_t kind;
	uint8_t prereq;
	bool maskable;
};

extern const struct ft_field ft_fields[];
extern const unsigned ft_n_fields;

/** Look a field up by name or alias; NULL when unknown. */
const struct ft_field *ft_field_find(const char *name);
/** Are the prerequisites of 'f' met by the dl_type/nw_proto of 'm'? */
struct ft_match;
bool ft_field_prereq_ok(const struct ft_match *m, enum ft_prereq p);
const char *ft_prereq_name(enum ft_prereq p);

#endif /* VIREO_FT_FIELDS_H */

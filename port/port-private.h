/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PORT_PRIVATE_H
#define VIREO_PORT_PRIVATE_H

/*
 * Shared by the files of port/ only: the port types' ops tables and small helpers.  Code
 * outside this folder uses port.h.
 */

#include <stdarg.h>

#include "port.h"

extern const struct port_ops port_dpdk_ops;		/* port_dpdk.c */
extern const struct port_ops port_vhost_server_ops;	/* port_vhost.c */
extern const struct port_ops port_vhost_client_ops;	/* port_vhost.c */
extern const struct port_ops port_patch_ops;		/* port_patch.c */
extern const struct port_ops port_bond_ops;		/* port_bond.c */

/*
 * port_dpdk.c for the types built on an ethdev (bond): probe 'devargs' (or find it probed,
 * and not used by a port) into '*port_id', '*probed' saying whether this call probed it;
 * close and detach a device; the ethdev of an open dpdk-built port; a slot for the built
 * type's own state (p->priv stays the dpdk type's, so its rx, tx and stats serve both).
 */
int port_dpdk_probe(const char *devargs, uint16_t *port_id, bool *probed, char **err);
void port_dpdk_remove(uint16_t port_id);
uint16_t port_dpdk_id(const struct port *p);
void **port_dpdk_ext(struct port *p);
uint16_t port_dpdk_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes);
void port_dpdk_dev_stats(struct port *p, struct port_dev_stats *st);
bool port_dpdk_link_up(struct port *p);

/* port_police.c: a closed port's policers go. */
void port_policing_free(struct port *p);
extern const struct port_ops port_internal_ops;		/* port_internal.c */
extern const struct port_ops port_vxlan_ops;		/* port_vxlan.c */
extern const struct port_ops port_gtpu_ops;		/* port_gtpu.c */
extern const struct port_ops port_geneve_ops;		/* port_vxlan.c */

/**
 * Open 'p' as the dpdk type does, on the ethdev of 'devargs' (probed when not present yet),
 * with at most 'max_txq' tx queues; the other dpdk options come from 'args' (port_dpdk.c).
 */
int port_dpdk_open_devargs(struct port *p, const char *devargs, uint16_t max_txq,
	const struct port_args *args, const struct port_env *env, char **err);

/** '*err' = a malloc'd message (NULL when out of memory). */
void port_errf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* VIREO_PORT_PRIVATE_H */

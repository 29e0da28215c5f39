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

/** '*err' = a malloc'd message (NULL when out of memory). */
void port_errf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* VIREO_PORT_PRIVATE_H */

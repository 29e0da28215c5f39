/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PORT_LIMITS_H
#define VIREO_PORT_LIMITS_H

/*
 * Limits of the port layer that the configuration checks (config/check.c) read too, so
 * that a value the checks accept is one the port layer can run.  Plain constants with no
 * dependency of their own: config/ includes this header and nothing else of port/.
 */

/** Receive queues of one DPDK port (options:n_rxq, the queues pmd-rxq-affinity names). */
#define PORT_MAX_RXQ 16

#endif /* VIREO_PORT_LIMITS_H */

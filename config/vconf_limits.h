/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VCONF_LIMITS_H
#define VIREO_VCONF_LIMITS_H

/*
 * Limits that the configuration checks (config/check.c) and the code applying a
 * configuration share, so that a value the checks accept is one the port layer can run.
 * Plain constants: included by config/ and port/ alike, with no dependency of its own.
 */

/** Receive queues of one DPDK port (options:n_rxq, the queues pmd-rxq-affinity names). */
#define VCONF_MAX_RXQ 16

#endif /* VIREO_VCONF_LIMITS_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port types by name, and software counters.
 */
#include <string.h>

#include "port.h"

const struct port_ops *
port_ops_find(const char *type)
{
	static const struct port_ops *const all[] = {
		&port_dpdk_ops, &port_vhost_server_ops, &port_vhost_client_ops,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->type, type) == 0)
			return all[i];
	return NULL;
}

void
port_sw_stats(const struct dp_port *p, struct port_pmd_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < DP_MAX_PMDS; i++) {
		const struct port_pmd_stats *s = &p->pmd_stats[i];

		sum->rx_packets += __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
		sum->rx_bytes += __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
		sum->tx_packets += __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED);
		sum->tx_bytes += __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
		sum->tx_dropped += __atomic_load_n(&s->tx_dropped, __ATOMIC_RELAXED);
	}
}

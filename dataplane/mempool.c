/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet buffer pools: per NUMA node, one for standard frames (MTU up to 1500) and one for
 * jumbo frames, each created when a port on that node first needs it.  Main thread only.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp.h"

#define POOL_MBUFS (32768 - 1)
#define POOL_CACHE 256
#define STD_DATA_ROOM RTE_MBUF_DEFAULT_BUF_SIZE
#define JUMBO_DATA_ROOM (RTE_PKTMBUF_HEADROOM + 9728 + 32)

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES][2];

struct rte_mempool *
dp_mempool_get(int socket, int mtu)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int jumbo = mtu > 1500;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket][jumbo] != NULL)
		return pools[socket][jumbo];
	snprintf(name, sizeof(name), "vireo_%s_%d", jumbo ? "jumbo" : "std", socket);
	pools[socket][jumbo] = rte_pktmbuf_pool_create(name, jumbo ? 8191 : POOL_MBUFS,
		POOL_CACHE, 0, jumbo ? JUMBO_DATA_ROOM : STD_DATA_ROOM, socket);
	if (pools[socket][jumbo] == NULL)
		pools[socket][jumbo] = rte_pktmbuf_pool_create(name, jumbo ? 8191 : POOL_MBUFS,
			POOL_CACHE, 0, jumbo ? JUMBO_DATA_ROOM : STD_DATA_ROOM, SOCKET_ID_ANY);
	return pools[socket][jumbo];
}

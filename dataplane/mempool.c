/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet buffer pools: per NUMA node, one for standard frames (MTU up to 1500) and one for
 * jumbo frames, each created when a port on that node first needs it.  Main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp.h"
#include "flowtab.h"

/*
 * Standard pools hold 32k mbufs, or, on a node whose memory dpdk-socket-mem names, as many
 * as fit in three quarters of it, up to Open vSwitch's 256k (NIC rings, vhost bursts and
 * replayed captures all hold mbufs).  A pool that cannot be had is retried at half the
 * size, down to 16k, as Open vSwitch does.
 */
#define POOL_MBUFS_DEFAULT (32768 - 1)
#define POOL_MBUFS_MAX (262144 - 1)
#define POOL_MBUFS_MIN (16384 - 1)
#define POOL_CACHE 256
#define STD_DATA_ROOM RTE_MBUF_DEFAULT_BUF_SIZE
#define JUMBO_DATA_ROOM (RTE_PKTMBUF_HEADROOM + 9728 + 32)
/*
 * Every mbuf's private area holds per-packet metadata the dynamic fields have no room for:
 * the IPv6 tunnel endpoints (flowtab.h, port/tnl.h).  A whole cache line, so that the
 * packet data stay cache-line aligned.
 */
#define POOL_PRIV_SIZE RTE_CACHE_LINE_ROUNDUP(sizeof(struct flowtab_tnl_md6))

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES][2];
/* Written by the main thread only (dp_mempool_configure), before any pool exists. */
static unsigned std_mbufs[RTE_MAX_NUMA_NODES] = {
	[0 ... RTE_MAX_NUMA_NODES - 1] = POOL_MBUFS_DEFAULT
};

void
dp_mempool_configure(const char *socket_mem)
{
	const char *s = socket_mem;

	for (unsigned node = 0; s != NULL && *s != '\0' && node < RTE_MAX_NUMA_NODES; node++) {
		char *end;
		unsigned long mb = strtoul(s, &end, 10);
		uint64_t fit = (uint64_t)mb * 3 / 4 * 1024 * 1024 / (STD_DATA_ROOM + 256);

		if (end == s)
			break;
		if (fit > POOL_MBUFS_DEFAULT) {
			unsigned n = POOL_MBUFS_MAX;

			while (n > fit)
				n /= 2;
			std_mbufs[node] = n > POOL_MBUFS_DEFAULT ? n : POOL_MBUFS_DEFAULT;
		}
		s = *end == ',' ? end + 1 : end;
	}
}

static struct rte_mempool *
pool_create(const char *name, unsigned n_max, unsigned data_room, int socket)
{
	for (unsigned n = n_max; n >= POOL_MBUFS_MIN / 2; n /= 2) {
		struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n, POOL_CACHE,
			POOL_PRIV_SIZE, data_room, socket);

		if (mp != NULL)
			return mp;
	}
	return NULL;
}

struct rte_mempool *
dp_mempool_get(int socket, int mtu)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int jumbo = mtu > 1500;
	unsigned room = jumbo ? JUMBO_DATA_ROOM : STD_DATA_ROOM, n_max;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket][jumbo] != NULL)
		return pools[socket][jumbo];
	n_max = jumbo ? 8191 : std_mbufs[socket];
	snprintf(name, sizeof(name), "vireo_%s_%d", jumbo ? "jumbo" : "std", socket);
	pools[socket][jumbo] = pool_create(name, n_max, room, socket);
	if (pools[socket][jumbo] == NULL)
		pools[socket][jumbo] = pool_create(name, n_max, room, SOCKET_ID_ANY);
	return pools[socket][jumbo];
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port types "dpdkvhostuser" (vireo-dp is the vhost-user server: the socket is
 * vhost-sock-dir/NAME) and "dpdkvhostuserclient" (vireo-dp connects to
 * options:vhost-server-path and reconnects when the server restarts), both on DPDK's
 * rte_vhost.
 *
 * One device a socket: the connection that has the port ('owner') keeps it until it closes.
 * A connection that comes while the owner's device runs waits ('pending': its ring enables
 * and memory table are kept apart from the port's) and takes the port when the owner's
 * connection closes (a frontend reconnecting may come before rte_vhost has seen the old
 * connection close).  Its device, if ready meanwhile, is accepted for rte_vhost (which
 * announces a device only once) but kept off the port until then.  Callbacks and message
 * hooks of any other connection leave the port alone.
 *
 * Thread-safety: rte_vhost calls new_device/destroy_device/vring_state_changed on its own
 * thread.  They find the port through 'registry' (a mutex: control path only), then publish
 * the device id and queue enables with atomic stores.  destroy_device clears them and waits
 * for a grace period of the dataplane's rte_rcu_qsbr before returning (rte_vhost holds no
 * queue lock there), so no PMD still uses the device when rte_vhost frees it.  PMDs read 'vid' once per burst.
 *
 * Packet buffers come from the pool of the port's MTU (mtu_request: a jumbo pool above
 * 1500, frames of up to 9710 bytes in one mbuf; rte_vhost offers mergeable rx buffers, so a
 * guest with small buffers receives them too) on the NUMA node of the guest's memory, as
 * rte_vhost reports it when the device starts (rte_vhost_get_numa_node): 'mp' is swapped
 * then with an atomic store; pools are never freed, so a PMD still using the old one is
 * safe.  A transmit the guest's ring cannot take at once is retried up to tx-retries-max
 * times (Open vSwitch's default 8) while each attempt makes progress, as Open vSwitch does.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>
#include <rte_vhost.h>

#include "port-private.h"
#include "rcu.h"
#include "vhost_fast.h"
#include "vhost_guard.h"
#include "vhost_wire.h"

/* Queue pairs a port polls; the guard offers the guest no more (GET_QUEUE_NUM). */
#define VHOST_MAX_QP VHOST_GUARD_MAX_QP
#define VIRTIO_RXQ 0
#define VIRTIO_TXQ 1
/* Receives through rte_vhost after a SEND_RARP, at most (see 'rarp'). */
#define VHOST_RARP_TRIES 255

/* A unix socket's path, with its NUL (sun_path). */
#define VHOST_PATH_MAX 108

/* A connection waiting for the port (see 'owner' below), or vid -1. */
struct vhost_pending {
	int vid;
	bool mem_mapped;
	bool ready;		/* its device runs for rte_vhost: it comes with the port */
	uint8_t ring_enabled[2 * VHOST_MAX_QP];
};

struct vhost_priv {
	char path[VHOST_PATH_MAX];
	bool client;
	int vid;			/**< atomic: the owner's running device, or -1 */
	/* rte_vhost's threads, under registry_lock */
	int owner;			/**< the connection that has the port, or -1 */
	bool mem_mapped;		/**< rte_vhost has a memory table for the owner */
	struct vhost_pending pending;
	/* set by the message thread, cleared by the PMD whose receive sent the RARP */
	/*
	 * A SEND_RARP waits for rte_vhost's receive: receives left that go through it (the
	 * message thread sets it, the PMDs receiving from the port count it down).  Bounded,
	 * because rte_vhost may consume its request without sending (no mbuf for the RARP)
	 * and says nothing: the fast path must not stay off for good.
	 */
	uint8_t rarp;
	uint16_t n_qp;			/**< atomic: queue pairs the guest has */
	uint8_t tx_enabled[VHOST_MAX_QP];	/**< guest rx rings we may fill (atomic) */
	struct rte_mempool *mp;		/**< atomic: control and rte_vhost's thread write */
	uint8_t tx_retries;		/**< atomic: tx-retries-max */
	struct port *port;
	const struct port_env *env;
	rte_spinlock_t qlock[VHOST_MAX_QP];
	uint64_t connects;
	struct vhost_fast *fast;	/**< borrowing receive (vhost_fast.h) */
};

static void vhost_attach_device(struct vhost_priv *v, int vid);
static void vhost_msg_before(int vid, const struct vhost_guard_msg_info *mi);
static void vhost_msg_after(int vid, const struct vhost_guard_msg_info *mi);

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhost_priv *registry[PORT_MAX_SLOTS];

static struct vhost_priv *
registry_find(int vid)
{
	char path[VHOST_PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (registry[i] != NULL && strcmp(registry[i]->path, path) == 0)
			return registry[i];
	return NULL;
}

/*
 * The owner's running device 'vid': its rings may be borrowed from and filled again, unless
 * rte_vhost may have no memory table for it (reading one then would crash).
 */
static void
vhost_fast_restart(struct vhost_priv *v, int vid)
{
	if (__atomic_load_n(&v->vid, __ATOMIC_ACQUIRE) == vid && v->mem_mapped)
		vhost_fast_start(v->fast, vid, v->port->rxq_enabled, v->tx_enabled, v->n_qp);
}

/*
 * Ring 'ring' (a queue pair's transmit or receive ring) of connection 'vid' enabled or not:
 * the port's when 'vid' owns it, kept for later when 'vid' waits for it.
 */
static void
vhost_ring_enable(struct vhost_priv *v, int vid, unsigned ring, bool enable)
{
	unsigned qp = ring / 2;

	if (qp >= VHOST_MAX_QP)
		return;
	if (vid == v->pending.vid)
		v->pending.ring_enabled[ring] = enable;
	else if (vid != v->owner)
		return;
	else if (ring % 2 == VIRTIO_TXQ)
		__atomic_store_n(&v->port->rxq_enabled[qp], enable ? 1 : 0, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&v->tx_enabled[qp], enable ? 1 : 0, __ATOMIC_RELEASE);
}

/* No device runs on 'v': connection 'vid' owns the port, with what it has set up so far. */
static void
vhost_take_port(struct vhost_priv *v, int vid, bool mem_mapped, const uint8_t *ring_enabled)
{
	v->owner = vid;
	v->mem_mapped = mem_mapped;
	__atomic_store_n(&v->rarp, 0, __ATOMIC_RELAXED);
	vhost_fast_close(v->fast);
	for (unsigned q = 0; q < VHOST_MAX_QP; q++) {
		__atomic_store_n(&v->port->rxq_enabled[q],
			ring_enabled != NULL ? ring_enabled[2 * q + VIRTIO_TXQ] : 0, __ATOMIC_RELAXED);
		__atomic_store_n(&v->tx_enabled[q],
			ring_enabled != NULL ? ring_enabled[2 * q + VIRTIO_RXQ] : 0, __ATOMIC_RELAXED);
	}
}

/* The waiting connection, if any, takes the port (no device runs on it). */
static void
vhost_take_pending(struct vhost_priv *v)
{
	struct vhost_pending *pd = &v->pending;

	if (pd->vid < 0)
		return;
	vhost_take_port(v, pd->vid, pd->mem_mapped, pd->ring_enabled);
	v->env->log("port %s: vhost-user connection %d takes %s", v->port->name, pd->vid,
		v->path);
	/* rte_vhost announces a device once: one that became ready while waiting starts now. */
	if (pd->ready)
		vhost_attach_device(v, pd->vid);
	pd->vid = -1;
}

/*
 * A device is ready (rte_vhost's thread).  The owner's goes on the port.  The waiting
 * connection's is accepted for rte_vhost but stays off the port until the owner's
 * connection closes (vhost_take_pending); any other is refused.
 */
static int
vhost_new_device(int vid)
{
	struct vhost_priv *v;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	if (v != NULL && vid == v->pending.vid) {
		v->pending.ready = true;
		v->env->log("port %s: vhost-user device %d on %s waits: device %d runs there",
			v->port->name, vid, v->path, v->vid);
	} else if (v != NULL && v->owner == vid) {
		vhost_attach_device(v, vid);
	} else {
		if (v != NULL)
			v->env->log("port %s: vhost-user device %d on %s: device %d runs there: "
				"refused", v->port->name, vid, v->path, v->vid);
		pthread_mutex_unlock(&registry_lock);
		return -1;
	}
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

/* Device 'vid' of the connection that owns 'v' goes on the port (registry_lock held). */
static void
vhost_attach_device(struct vhost_priv *v, int vid)
{
	int numa = rte_vhost_get_numa_node(vid);

	if (numa >= 0 && numa != v->port->socket) {
		struct rte_mempool *mp = v->env->mempool(numa, v->port->mtu);

		/* The guest's node, or the pool the port has when that node has none. */
		if (mp != NULL) {
			__atomic_store_n(&v->mp, mp, __ATOMIC_RELEASE);
			v->port->socket = numa;
		}
	}
	uint16_t nq = (uint16_t)(rte_vhost_get_vring_num(vid) / 2);

	__atomic_store_n(&v->n_qp, RTE_MIN(RTE_MAX(nq, 1), VHOST_MAX_QP), __ATOMIC_RELAXED);
	/* PMDs poll: the guest need not kick us after each transmit. */
	for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++) {
		rte_vhost_enable_guest_notification(vid, q, 0);
		vhost_guard_vring(vid, q);
	}
	v->connects++;
	__atomic_store_n(&v->vid, vid, __ATOMIC_RELEASE);
	vhost_fast_restart(v, vid);
	v->env->log("port %s: vhost-user device %d connected (%s, %u queue pairs, numa %d)",
		v->port->name, vid, v->path, nq, numa);
}

static void
vhost_destroy_device(int vid)
{
	struct rte_rcu_qsbr *qsbr = NULL;
	struct vhost_priv *v;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	if (v != NULL && vid == v->pending.vid)
		v->pending.ready = false;
	if (v != NULL && __atomic_load_n(&v->vid, __ATOMIC_ACQUIRE) == vid) {
		/*
		 * Queue enables stay as they are: rte_vhost also calls this when the frontend
		 * stops a single ring, and re-announces only that ring when it restarts.  They
		 * are replaced when another connection takes the port (vhost_take_port).
		 */
		__atomic_store_n(&v->vid, -1, __ATOMIC_RELEASE);
		/*
		 * Not waiting here for a PMD to give the rings back: it may be sending into
		 * a device whose message handler waits for this lock.  The grace period below
		 * covers it.
		 */
		vhost_fast_close(v->fast);
		v->env->log("port %s: vhost-user device %d disconnected", v->port->name, vid);
		qsbr = v->env->qsbr;
	}
	pthread_mutex_unlock(&registry_lock);
	if (qsbr != NULL)
		rcu_synchronize(qsbr);
}

static int
vhost_vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	struct vhost_priv *v;
	unsigned qp = queue_id / 2;

	if (enable)
		vhost_guard_vring(vid, queue_id);	/* its call fd may have changed */
	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	if (v != NULL && qp < VHOST_MAX_QP) {
		vhost_ring_enable(v, vid, queue_id, enable);
		/* A ring of a running device: lend from it or fill it only while enabled. */
		if (vid == v->owner)
			vhost_fast_restart(v, vid);
	}
	pthread_mutex_unlock(&registry_lock);
	/*
	 * No grace period here: rte_vhost calls this with the queues' access locks held, and a
	 * PMD inside rte_vhost_enqueue_burst() waits for them.  The queue's own enabled flag,
	 * checked under that lock, already keeps PMDs off a disabled ring.
	 */
	return 0;
}

/*
 * A new frontend takes the port unless the owner's device runs (then it waits, one at a
 * time); it starts with every queue disabled until it enables them, and without a memory
 * table.  Its messages are checked from now on (vhost_guard.h).
 */
static int
vhost_new_connection(int vid)
{
	struct vhost_priv *v;
	int rc = -1;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	if (v != NULL && __atomic_load_n(&v->vid, __ATOMIC_ACQUIRE) < 0) {
		vhost_take_port(v, vid, false, NULL);
		rc = 0;
	} else if (v != NULL && v->pending.vid < 0) {
		memset(&v->pending, 0, sizeof(v->pending));
		v->pending.vid = vid;
		v->env->log("port %s: vhost-user connection %d waits: device %d runs on %s",
			v->port->name, vid, v->vid, v->path);
		rc = 0;
	} else if (v != NULL) {
		v->env->log("port %s: vhost-user connection %d: device %d runs on %s and "
			"connection %d waits: refused", v->port->name, vid, v->vid, v->path,
			v->pending.vid);
	}
	if (rc == 0)
		vhost_guard_connection(vid, v->env->log, vhost_msg_before, vhost_msg_after);
	pthread_mutex_unlock(&registry_lock);
	/* A socket whose port is being closed, or crowded: refuse the connection. */
	return rc;
}

/*
 * Connection 'vid' closed (after destroy_device, when its device ran): an owner leaves the
 * port to the connection waiting for it.
 */
static void
vhost_destroy_connection(int vid)
{
	struct vhost_priv *v;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	if (v != NULL && vid == v->pending.vid) {
		v->pending.vid = -1;
	} else if (v != NULL && vid == v->owner) {
		v->owner = -1;
		v->mem_mapped = false;
		vhost_take_pending(v);
	}
	pthread_mutex_unlock(&registry_lock);
}

/*
 * Whether rte_vhost has a memory table for connection 'vid' of 'v' (the owner's or the
 * waiting one's flag), or NULL when 'vid' is neither (registry_lock held).
 */
static bool *
vhost_mem_mapped(struct vhost_priv *v, int vid)
{
	if (v == NULL)
		return NULL;
	if (vid == v->owner)
		return &v->mem_mapped;
	return vid == v->pending.vid ? &v->pending.mem_mapped : NULL;
}

/*
 * Before rte_vhost handles message 'mi' of connection 'vid' (the owner, or the one
 * waiting): no PMD may borrow from the owner's rings (the message may move or unmap
 * them).  A memory table is rte_vhost's to read again only once it took a new one (it
 * unmaps the old one first).  A ring being disabled is so before the gate reopens:
 * rte_vhost acknowledges the message before it tells vring_state_changed.  A SEND_RARP is
 * sent by rte_vhost's receive only: the next receive goes through it.
 */
static void
vhost_msg_before(int vid, const struct vhost_guard_msg_info *mi)
{
	struct vhost_priv *v;
	bool *mapped;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	mapped = vhost_mem_mapped(v, vid);
	if (mapped != NULL) {
		if (vid == v->owner)
			vhost_fast_stop(v->fast);
		if (mi->request == VHOST_WIRE_SET_MEM_TABLE)
			*mapped = false;
		else if (mi->request == VHOST_WIRE_SET_VRING_ENABLE && mi->ring >= 0 &&
				mi->num == 0)
			vhost_ring_enable(v, vid, (unsigned)mi->ring, false);
		else if (mi->request == VHOST_WIRE_SEND_RARP && vid == v->owner)
			__atomic_store_n(&v->rarp, VHOST_RARP_TRIES, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&registry_lock);
}

/*
 * After rte_vhost handled message 'mi' of connection 'vid' without failing: the owner's
 * running device's rings and memory are read again and may be borrowed from.
 */
static void
vhost_msg_after(int vid, const struct vhost_guard_msg_info *mi)
{
	struct vhost_priv *v;

	bool *mapped;

	pthread_mutex_lock(&registry_lock);
	v = registry_find(vid);
	mapped = vhost_mem_mapped(v, vid);
	if (mapped != NULL && mi->request == VHOST_WIRE_SET_MEM_TABLE)
		*mapped = true;
	if (mapped != NULL && vid == v->owner)
		vhost_fast_restart(v, vid);
	pthread_mutex_unlock(&registry_lock);
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_connection = vhost_new_connection,
	.destroy_connection = vhost_destroy_connection,
	.new_device = vhost_new_device,
	.destroy_device = vhost_destroy_device,
	.vring_state_changed = vhost_vring_state_changed,
};

/* True when something accepts connections on the unix socket 'path'. */
static bool
socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return alive;
}

/*
 * The socket of port 'p' into 'path': a client's vhost-server-path, a server's
 * VHOST-SOCK-DIR/NAME, which must not be another process's live socket (a stale one is
 * removed).
 */
static int
vhost_socket_path(const struct port *p, const struct port_args *args,
	const struct port_env *env, bool client, char path[VHOST_PATH_MAX], char **err)
{
	if (client) {
		const char *sp = port_args_get(args, "vhost-server-path");

		if (sp == NULL || *sp == '\0') {
			*err = strdup("options:vhost-server-path is required for a "
				"dpdkvhostuserclient port");
			return -EINVAL;
		}
		snprintf(path, VHOST_PATH_MAX, "%s", sp);
		return 0;
	}
	if (strchr(p->name, '/') != NULL) {
		port_errf(err, "a dpdkvhostuser port's name is its socket's name in %s: it cannot "
			"contain '/'", env->vhost_sock_dir);
		return -EINVAL;
	}
	if (snprintf(path, VHOST_PATH_MAX, "%s/%s", env->vhost_sock_dir, p->name) >=
			VHOST_PATH_MAX) {
		port_errf(err, "socket path %s/%s is longer than a unix socket allows (%d bytes)",
			env->vhost_sock_dir, p->name, VHOST_PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	mkdir(env->vhost_sock_dir, 0755);
	if (access(path, F_OK) == 0) {
		if (socket_alive(path)) {
			port_errf(err, "socket %s is in use by another process", path);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	return 0;
}

/* Enter 'v' in the registry of sockets (one port a socket): its slot, or -EEXIST. */
static int
vhost_registry_claim(struct vhost_priv *v, char **err)
{
	unsigned slot;

	pthread_mutex_lock(&registry_lock);
	for (slot = 0; slot < PORT_MAX_SLOTS && registry[slot] != NULL; slot++)
		if (strcmp(registry[slot]->path, v->path) == 0)
			break;
	if (slot == PORT_MAX_SLOTS || registry[slot] != NULL) {
		pthread_mutex_unlock(&registry_lock);
		port_errf(err, "socket %s is already used by another port", v->path);
		return -EEXIST;
	}
	registry[slot] = v;
	pthread_mutex_unlock(&registry_lock);
	return (int)slot;
}

/* rte_vhost serves 'v''s socket: offloads off, our callbacks, started. */
static int
vhost_driver_start(struct vhost_priv *v, char **err)
{
	const uint64_t offloads = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		(1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
		(1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |
		(1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
		(1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO);
	int rc = rte_vhost_driver_register(v->path, v->client ? RTE_VHOST_USER_CLIENT : 0);

	if (rc == 0 && rte_vhost_driver_disable_features(v->path, offloads) != 0)
		rc = -1;
	if (rc == 0 && rte_vhost_driver_callback_register(v->path, &vhost_ops) != 0)
		rc = -1;
	if (rc == 0 && rte_vhost_driver_start(v->path) != 0)
		rc = -1;
	if (rc != 0) {
		port_errf(err, "rte_vhost could not %s %s",
			v->client ? "connect to" : "listen on", v->path);
		rte_vhost_driver_unregister(v->path);
		return -EIO;
	}
	if (!v->client)
		chmod(v->path, 0660);
	return 0;
}

static void
vhost_priv_free(struct vhost_priv *v)
{
	vhost_fast_destroy(v->fast);
	free(v);
}

static int
vhost_open_common(struct port *p, const struct port_args *args, const struct port_env *env,
	bool client, char **err)
{
	struct vhost_priv *v = calloc(1, sizeof(*v));
	unsigned long retries;
	int rc, slot;

	if (v == NULL)
		return -ENOMEM;
	v->fast = vhost_fast_create(VHOST_MAX_QP);
	if (v->fast == NULL) {
		free(v);
		return -ENOMEM;
	}
	v->vid = -1;
	v->owner = -1;
	v->pending.vid = -1;
	v->client = client;
	v->port = p;
	v->env = env;
	for (unsigned q = 0; q < VHOST_MAX_QP; q++)
		rte_spinlock_init(&v->qlock[q]);
	rc = vhost_socket_path(p, args, env, client, v->path, err);
	if (rc == 0 && port_args_uint(args, "tx-retries-max", 0, 32, 8, &retries, err) < 0)
		rc = -EINVAL;
	if (rc < 0) {
		vhost_priv_free(v);
		return rc;
	}
	v->tx_retries = (uint8_t)retries;
	p->mtu = args->mtu_request ? (int)args->mtu_request : 1500;
	p->socket = 0;
	v->mp = env->mempool(p->socket, p->mtu);
	if (v->mp == NULL) {
		*err = strdup("no packet buffers (hugepages?)");
		vhost_priv_free(v);
		return -ENOMEM;
	}
	slot = vhost_registry_claim(v, err);
	if (slot < 0) {
		vhost_priv_free(v);
		return slot;
	}
	p->priv = v;
	p->n_rxq = VHOST_MAX_QP;
	p->n_txq = (uint16_t)RTE_MIN(RTE_MAX(env->n_pmds, 1u), (unsigned)PORT_MAX_TXQ);
	p->tx_locked = false;
	rc = vhost_driver_start(v, err);
	if (rc < 0) {
		pthread_mutex_lock(&registry_lock);
		registry[slot] = NULL;
		pthread_mutex_unlock(&registry_lock);
		p->priv = NULL;
		vhost_priv_free(v);
	}
	return rc;
}

static int
vhost_server_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	return vhost_open_common(p, args, env, false, err);
}

static int
vhost_client_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	return vhost_open_common(p, args, env, true, err);
}

static void
vhost_close(struct port *p)
{
	struct vhost_priv *v = p->priv;

	if (v == NULL)
		return;
	/* unregister tears down a live connection (destroy_device runs here) */
	for (int tries = 0; rte_vhost_driver_unregister(v->path) != 0 && tries < 100; tries++)
		usleep(10000);
	pthread_mutex_lock(&registry_lock);
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (registry[i] == v)
			registry[i] = NULL;
	pthread_mutex_unlock(&registry_lock);
	if (!v->client)
		unlink(v->path);
	vhost_fast_destroy(v->fast);
	free(v);
	p->priv = NULL;
}

static uint16_t
vhost_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_priv *v = p->priv;
	int vid = __atomic_load_n(&v->vid, __ATOMIC_ACQUIRE);
	struct rte_mempool *mp;
	uint8_t borrow, rarp;
	uint16_t got;
	int r;

	if (unlikely(vid < 0) || !vhost_fast_enter(v->fast, qid))
		return 0;
	mp = __atomic_load_n(&v->mp, __ATOMIC_ACQUIRE);
	borrow = __atomic_load_n(&p->rx_borrow, __ATOMIC_RELAXED);
	rarp = __atomic_load_n(&v->rarp, __ATOMIC_ACQUIRE);
	if (borrow != PORT_BORROW_NONE && likely(!rarp)) {
		r = vhost_fast_rx(v->fast, vid, qid, mp, pkts, n, borrow == PORT_BORROW_PAYLOAD);
		if (r >= 0)
			return (uint16_t)r;
	}
	got = rte_vhost_dequeue_burst(vid, (uint16_t)(qid * 2 + VIRTIO_TXQ), mp, pkts, n);
	/* rte_vhost puts its RARP first in the first burst it returns after SEND_RARP. */
	if (unlikely(rarp))
		__atomic_store_n(&v->rarp, got > 0 ? 0 : rarp - 1, __ATOMIC_RELAXED);
	vhost_fast_leave(v->fast, qid);
	return got;
}

/*
 * One attempt at 'n' packets into ring pair 'q''s receive ring: copied by the port itself
 * when 'fast' (vhost_fast.h) and it can, else (or for what it leaves to rte_vhost) by
 * rte_vhost_enqueue_burst().  Returns how many were taken.
 */
static inline uint16_t
vhost_enqueue_once(struct vhost_priv *v, int vid, uint16_t q, struct rte_mbuf **pkts,
	uint16_t n, bool fast)
{
	bool defer = true;
	int k = fast ? vhost_fast_tx(v->fast, vid, q, pkts, n, &defer) : -1;

	if (k < 0)
		k = 0;
	else if (!defer)
		return (uint16_t)k;
	return (uint16_t)(k + rte_vhost_enqueue_burst(vid, (uint16_t)(q * 2 + VIRTIO_RXQ),
		pkts + k, (uint16_t)(n - k)));
}

/*
 * Enqueue 'pkts' into the guest's rx ring of queue pair 'q': what a full ring leaves is
 * retried up to tx-retries-max times, as long as each attempt takes some (Open vSwitch's
 * rule: a guest that takes nothing is not waited for).  Returns how many were taken.
 */
static inline uint16_t
vhost_enqueue(struct vhost_priv *v, int vid, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned retries = __atomic_load_n(&v->tx_retries, __ATOMIC_RELAXED);
	bool fast = __atomic_load_n(&v->port->tx_fast, __ATOMIC_RELAXED);
	uint16_t sent = 0;

	for (unsigned i = 0; ; i++) {
		uint16_t k = vhost_enqueue_once(v, vid, q, pkts + sent, (uint16_t)(n - sent), fast);

		sent += k;
		if (sent == n || k == 0 || i == retries)
			return sent;
	}
}

static uint16_t
vhost_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	struct vhost_priv *v = p->priv;
	int vid = __atomic_load_n(&v->vid, __ATOMIC_ACQUIRE);
	uint16_t nq = __atomic_load_n(&v->n_qp, __ATOMIC_RELAXED);
	uint16_t sent = 0, q;

	/*
	 * Into the device this PMD borrows from: rte_vhost would wait for the device's lock,
	 * which its message thread may hold while it waits for this burst (vhost_fast.h).
	 */
	if (unlikely(vid < 0 || nq == 0 || vhost_fast_borrowing(v->fast))) {
		*failed_bytes += port_pkts_bytes(pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	q = qid % nq;
	if (unlikely(!__atomic_load_n(&v->tx_enabled[q], __ATOMIC_ACQUIRE)))
		q = 0;
	/*
	 * Always under the ring's lock: more PMDs than rings share one, and a disabled ring's
	 * senders move to ring 0; rte_vhost's own lock does not cover the switch's own filling
	 * (vhost_fast_tx), and uncontended this lock costs one atomic a burst.
	 */
	rte_spinlock_lock(&v->qlock[q]);
	sent = vhost_enqueue(v, vid, q, pkts, n);
	rte_spinlock_unlock(&v->qlock[q]);
	/* The guest's ring took the first 'sent'. */
	if (unlikely(sent < n))
		*failed_bytes += port_pkts_bytes(pkts + sent, (uint16_t)(n - sent));
	rte_pktmbuf_free_bulk(pkts, n);	/* enqueue copies */
	return n - sent;
}

static void
vhost_dev_stats(struct port *p, struct port_dev_stats *st)
{
	struct port_pmd_stats sw;

	port_sw_stats(p, &sw);
	memset(st, 0, sizeof(*st));
	st->rx_packets = sw.rx_packets;
	st->rx_bytes = sw.rx_bytes;
	st->tx_packets = sw.tx_packets;
	st->tx_bytes = sw.tx_bytes;
	st->tx_dropped = sw.tx_dropped;
}

static bool
vhost_link_up(struct port *p)
{
	struct vhost_priv *v = p->priv;

	return v != NULL && __atomic_load_n(&v->vid, __ATOMIC_ACQUIRE) >= 0;
}

static void
vhost_status(struct port *p, char *buf, size_t len)
{
	struct vhost_priv *v = p->priv;
	unsigned enabled = 0;
	uint64_t fast_rx, fast_tx;

	if (v == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	for (unsigned q = 0; q < VHOST_MAX_QP; q++)
		enabled += p->rxq_enabled[q];
	vhost_fast_packets(v->fast, &fast_rx, &fast_tx);
	snprintf(buf, len, "mode=%s\nsocket=%s\nvid=%d\nnuma_id=%d\nn_rxq=%u\nconnects=%llu\n"
		"tx_retries_max=%u\nfast_path_rx_packets=%llu\nfast_path_tx_packets=%llu\n"
		"fast_path_busy_rings=%u\nfast_path_calls_direct=%llu\n",
		v->client ? "client" : "server", v->path, v->vid, p->socket, enabled,
		(unsigned long long)v->connects, __atomic_load_n(&v->tx_retries, __ATOMIC_RELAXED),
		(unsigned long long)fast_rx, (unsigned long long)fast_tx,
		vhost_fast_busy_rings(v->fast),
		(unsigned long long)vhost_fast_calls_direct(v->fast));
}

/*
 * In place: tx-retries-max (PMDs read it once per burst).  Another MTU, socket or server path
 * needs the port opened again.
 */
static int
vhost_reconfigure(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	struct vhost_priv *v = p->priv;
	int mtu = args->mtu_request ? (int)args->mtu_request : 1500;
	const char *sp = port_args_get(args, "vhost-server-path");
	unsigned long retries;

	(void)env;
	if (mtu != p->mtu || (v->client && (sp == NULL || strcmp(sp, v->path) != 0)))
		return -EOPNOTSUPP;
	if (port_args_uint(args, "tx-retries-max", 0, 32, 8, &retries, err) < 0)
		return -EINVAL;
	__atomic_store_n(&v->tx_retries, (uint8_t)retries, __ATOMIC_RELAXED);
	return 0;
}

/*
 * One tx queue a PMD: vhost_tx maps them onto the guest's queue pairs, locking a ring
 * that more tx queues than rings share.
 */
static void
vhost_set_n_pmds(struct port *p, unsigned n_pmds)
{
	p->n_txq = (uint16_t)RTE_MIN(RTE_MAX(n_pmds, 1u), (unsigned)PORT_MAX_TXQ);
}

const struct port_ops port_vhost_server_ops = {
	.type = "dpdkvhostuser",
	.open = vhost_server_open,
	.close = vhost_close,
	.rx = vhost_rx,
	.tx = vhost_tx,
	.dev_stats = vhost_dev_stats,
	.link_up = vhost_link_up,
	.status = vhost_status,
	.set_n_pmds = vhost_set_n_pmds,
	.reconfigure = vhost_reconfigure,
	.tx_copies = true,
	.rx_lends = true,
};

const struct port_ops port_vhost_client_ops = {
	.type = "dpdkvhostuserclient",
	.open = vhost_client_open,
	.close = vhost_close,
	.rx = vhost_rx,
	.tx = vhost_tx,
	.dev_stats = vhost_dev_stats,
	.link_up = vhost_link_up,
	.status = vhost_status,
	.set_n_pmds = vhost_set_n_pmds,
	.reconfigure = vhost_reconfigure,
	.tx_copies = true,
	.rx_lends = true,
};

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-net devices whose queues a vhost-user backend serves (--net vhost-user=...).
 *
 * The VMM keeps the device configuration (MAC, link status) and the connection; packets
 * go between the guest and the backend through shared guest RAM, the queues' ioeventfds
 * (kick) and the MSI-X vectors' irqfds (call).  When the guest sets DRIVER_OK the rings
 * are handed to the backend; a reset takes them back.  When the backend goes away the
 * link goes down (config interrupt), vireo-vmm reconnects (client: every 100 ms; server:
 * the next connection), replays the rings from their used indexes, and raises the link.  A
 * replay that fails is retried with the next connection; a request that loses the
 * connection anywhere else (control queue, status write) counts as the backend going away.
 *
 * Multi-queue (queues=N, when the backend offers VHOST_USER_PROTOCOL_F_MQ and N pairs):
 * the device offers VIRTIO_NET_F_MQ, CTRL_VQ and CTRL_RX, max_virtqueue_pairs N and 2N + 1
 * queues, the control queue last.  The control queue is the VMM's own, as in QEMU: the
 * backend never sees it; its notify is an ioeventfd the main loop watches, vmm/virtq.c
 * walks it (never trusting the guest), VQ_PAIRS_SET enables and disables the backend's
 * rings (SET_VRING_ENABLE), RX mode and MAC table commands are acknowledged (the backend
 * does no filtering), the rest answered VIRTIO_NET_ERR.  At DRIVER_OK only pair 0 is
 * enabled; a reset goes back to that; a reconnect restores every enabled ring.
 *
 * Thread-safety: the transport's lock (vp.lock) guards the vhost-user device too: vCPU
 * threads (status writes) and the main thread (connection events) both take it.  Only the
 * main thread changes the main loop's fds: a vCPU that lost the connection arms the timer.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_config.h>

#include "util.h"
#include "vhost_user.h"
#include "virtio_pci.h"
#include "virtq.h"
#include "vm.h"

#define BIT(n) (1ULL << (n))
#define RETRY_MS 100
#define MAC_LEN 6
#define CTRL_BUDGET 256
#define NET_CONFIG_LEN 12	/* mac, status, max_virtqueue_pairs, mtu */

/* What this device implements; the backend's offer narrows it (vu_net_offer()). */
#define NET_SUPPORTED (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
	BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_MAC) | \
	BIT(VIRTIO_NET_F_STATUS))
/* What a multi-queue device adds. */
#define NET_MQ (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX))

_Static_assert(2 * VMM_NET_MAX_QUEUES + 1 <= VMM_VIRTIO_MAX_QUEUES, "queues per device");
_Static_assert(VMM_NET_MAX_QUEUES <= VU_MAX_QUEUE_PAIRS, "vhost-user queue pairs");

struct net_dev {
	struct vmm_virtio_pci vp;
	struct vmm_vm *vm;
	const struct vmm_net_cfg *cfg;
	struct vu_dev *vu;
	char name[24];
	int timer_fd;		/* client mode: reconnect attempts; both: a lost connection */
	int watched_fd;		/* the backend's socket in the main loop, -1 when none */
	bool restore_failed;	/* a failed restore was logged since the backend went */
	uint64_t down_since_ns;
	bool handed;		/* rings given to the backend since DRIVER_OK */
	bool watching_listen;
	bool vp_ready;		/* vp owns eventfds to close */
	unsigned int pairs;	/* max_virtqueue_pairs; 1: no MQ, no control queue */
	unsigned int cur_pairs;	/* pairs the guest uses (VQ_PAIRS_SET), 1 after a reset */
	unsigned int ctrl;	/* the control queue's index (2 * pairs) when pairs > 1 */
	struct virtq cvq;
	unsigned int warned;	/* NET_WARN_* kinds logged already */
};

/*
 * What a guest can make a device log again and again (each reset lets it retry): each
 * kind is logged the first time only, for the device's life.
 */
enum net_warn {
	NET_WARN_CTRL_REQ = 1 << 0,	/* a malformed control request */
	NET_WARN_RINGS = 1 << 1,	/* rings the backend cannot be given at DRIVER_OK */
	NET_WARN_CVQ = 1 << 2,		/* a control queue that cannot be walked */
	NET_WARN_PAIRS = 1 << 3,	/* the guest changes the queue pairs it uses */
	NET_WARN_FEATURES = 1 << 4,	/* MQ without CTRL_VQ, or CTRL_VQ without MQ */
};

struct net_devs {
	unsigned int nr;
	struct net_dev *devs[VMM_MAX_NETS];
};

static void on_backend(void *opaque, int fd);

/* True the first time a device meets 'kind': the caller logs it then. */
static bool
net_warn_once(struct net_dev *n, enum net_warn kind)
{
	bool first = !(n->warned & kind);

	n->warned |= kind;
	return first;
}

static void
set_link(struct net_dev *n, bool up)
{
	uint16_t st = up ? VIRTIO_NET_S_LINK_UP : 0;

	if (vmm_pci_get16(n->vp.config + 6) == st)
		return;
	vmm_pci_set16(n->vp.config + 6, st);
	vmm_virtio_pci_config_changed(&n->vp);
}

static void
report(struct net_dev *n, const char *what, int rc)
{
	const char *e = vu_dev_error(n->vu);

	fprintf(stderr, "vireo-vmm: %s: %s: %s\n", n->name, what, *e ? e : strerror(-rc));
}

/* Rings the backend serves: 2 per pair when the guest negotiated MQ, else 2 (lock held). */
static unsigned int
data_rings(const struct net_dev *n)
{
	return n->vp.driver_features & BIT(VIRTIO_NET_F_MQ) ? 2 * n->pairs : 2;
}

/* Give the backend the guest's rings (lock held, backend connected, DRIVER_OK). */
static int
hand_rings(struct net_dev *n)
{
	struct vmm_memory *mem = &n->vm->mem;
	struct vu_mem_region regions[VMM_MEM_MAX_REGIONS];
	unsigned int i;
	int rc;

	n->handed = true;	/* even when this fails midway, a reset must take it all back */
	rc = vu_dev_set_features(n->vu, n->vp.driver_features);
	if (rc < 0)
		return rc;
	for (i = 0; i < mem->nr_regions; i++)
		regions[i] = (struct vu_mem_region){
			.gpa = mem->regions[i].gpa, .size = mem->regions[i].size,
			.hva = mem->regions[i].hva, .fd = mem->regions[i].fd,
			.fd_offset = mem->regions[i].fd_offset,
		};
	rc = vu_dev_set_mem_table(n->vu, regions, mem->nr_regions);
	if (rc < 0)
		return rc;
	for (i = 0; i < data_rings(n); i++) {
		struct vmm_virtio_queue *q = &n->vp.queues[i];
		struct vu_ring r = {
			.size = q->size,
			.desc = vmm_memory_ptr(mem, q->desc, 16ULL * q->size),
			.avail = vmm_memory_ptr(mem, q->avail, 6 + 2ULL * q->size),
			.used = vmm_memory_ptr(mem, q->used, 6 + 8ULL * q->size),
			.kick_fd = q->kick_fd,
			.call_fd = vmm_virtio_pci_call_fd(&n->vp, i),
			.enabled = i / 2 < n->cur_pairs,
		};

		if (!q->enabled)
			continue;
		if (r.desc == NULL || r.avail == NULL || r.used == NULL) {
			if (net_warn_once(n, NET_WARN_RINGS))
				fprintf(stderr, "vireo-vmm: %s: queue %u lies outside guest RAM; the "
					"device needs a reset (logged once)\n", n->name, i);
			return -EFAULT;
		}
		rc = vu_ring_start(n->vu, i, &r);
		if (rc < 0)
			return rc;
	}
	return vu_dev_set_status(n->vu, n->vp.status);
}

/* Enable the backend's rings of the pairs in use, disable the others (lock held). */
static int
apply_pairs(struct net_dev *n)
{
	unsigned int r;
	int rc;

	if (!vu_dev_connected(n->vu))
		return 0;	/* the reconnect applies them */
	for (r = 0; r < 2 * n->pairs; r++) {
		if (!vu_ring_started(n->vu, r))
			continue;
		rc = vu_ring_enable(n->vu, r, r / 2 < n->cur_pairs);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A malformed control request: the guest hears VIRTIO_NET_ERR, the log hears it once. */
static uint8_t
ctrl_bad(struct net_dev *n, const char *what, unsigned int v)
{
	if (net_warn_once(n, NET_WARN_CTRL_REQ))
		fprintf(stderr, "vireo-vmm: %s: control queue: %s (%u); answered VIRTIO_NET_ERR "
			"(logged once)\n", n->name, what, v);
	return VIRTIO_NET_ERR;
}

/* VIRTIO_NET_CTRL_MAC_TABLE_SET: two tables (u32 count, count MACs) filling 'len' bytes. */
static uint8_t
ctrl_mac_table(struct net_dev *n, const struct virtq_req *req, uint64_t len)
{
	uint64_t off = 2;
	uint32_t count;
	int t;

	for (t = 0; t < 2; t++) {
		if (virtq_req_read(req, off, &count, 4) != 4)
			return ctrl_bad(n, "MAC table shorter than its header", (unsigned int)len);
		count = le32toh(count);
		off += 4;
		if (count > (len + 2 - off) / MAC_LEN)
			return ctrl_bad(n, "MAC table longer than the request", count);
		off += (uint64_t)count * MAC_LEN;
	}
	if (off != len + 2)
		return ctrl_bad(n, "MAC table with trailing bytes", (unsigned int)(len + 2 - off));
	return VIRTIO_NET_OK;
}

/* One control request: the acknowledgement to write (lock held). */
static uint8_t
ctrl_handle(struct net_dev *n, const struct virtq_req *req)
{
	uint64_t features = n->vp.driver_features, len;
	uint8_t hdr[2], on;
	uint16_t pairs;
	int rc;

	if (virtq_req_read(req, 0, hdr, 2) != 2)
		return ctrl_bad(n, "request shorter than its header", (unsigned int)req->out_len);
	len = req->out_len - 2;
	switch (hdr[0]) {
	case VIRTIO_NET_CTRL_MQ:
		if (hdr[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !(features & BIT(VIRTIO_NET_F_MQ)))
			return VIRTIO_NET_ERR;
		if (len != 2 || virtq_req_read(req, 2, &pairs, 2) != 2)
			return ctrl_bad(n, "VQ_PAIRS_SET of bad length", (unsigned int)len);
		pairs = le16toh(pairs);
		if (pairs < 1 || pairs > n->pairs)
			return ctrl_bad(n, "VQ_PAIRS_SET out of range", pairs);
		if (pairs != n->cur_pairs) {
			if (net_warn_once(n, NET_WARN_PAIRS))
				fprintf(stderr, "vireo-vmm: %s: guest uses %u of %u queue pairs "
					"(later changes not logged)\n", n->name, pairs, n->pairs);
			n->cur_pairs = pairs;
			rc = apply_pairs(n);
			if (rc < 0)
				report(n, "SET_VRING_ENABLE", rc);
		}
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_RX:
		/* Acknowledged, as QEMU does with a vhost backend: it filters nothing. */
		if (!(features & BIT(VIRTIO_NET_F_CTRL_RX)) || hdr[1] > VIRTIO_NET_CTRL_RX_ALLMULTI)
			return VIRTIO_NET_ERR;
		if (len != 1 || virtq_req_read(req, 2, &on, 1) != 1)
			return ctrl_bad(n, "RX mode of bad length", (unsigned int)len);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (hdr[1] != VIRTIO_NET_CTRL_MAC_TABLE_SET || !(features & BIT(VIRTIO_NET_F_CTRL_RX)))
			return VIRTIO_NET_ERR;
		return ctrl_mac_table(n, req, len);
	default:
		return VIRTIO_NET_ERR;
	}
}

/*
 * Serve the control queue until it is empty, or for CTRL_BUDGET requests (then come back
 * after the other fds: a guest that keeps queueing must not hold the main loop); interrupt
 * the guest if it wants (lock held).
 */
static void
ctrl_process(struct net_dev *n)
{
	struct virtq_req req;
	uint16_t old = n->cvq.used_idx;
	unsigned int budget = CTRL_BUDGET;
	uint8_t ack;
	int rc = 0;

	if (!n->cvq.ready || n->cvq.broken)
		return;
	do {
		while (budget > 0 && (rc = virtq_pop(&n->cvq, &req)) == 1) {
			budget--;
			ack = ctrl_handle(n, &req);
			if (req.in_len == 0)
				ctrl_bad(n, "request with no room for the acknowledgement", req.head);
			virtq_push(&n->cvq, req.head, (uint32_t)virtq_req_write(&req, &ack, 1));
		}
	} while (budget > 0 && rc == 0 && virtq_rearm(&n->cvq));
	if (budget == 0)
		eventfd_write(n->vp.queues[n->ctrl].kick_fd, 1);
	if (rc < 0) {
		if (net_warn_once(n, NET_WARN_CVQ))
			fprintf(stderr, "vireo-vmm: %s: control queue: %s; the device needs a reset "
				"(logged once)\n", n->name, n->cvq.error);
		n->vp.status |= VIRTIO_STATUS_NEEDS_RESET;
		vmm_virtio_pci_config_changed(&n->vp);
	}
	if (n->cvq.used_idx != old && virtq_need_notify(&n->cvq, old)) {
		int fd = vmm_virtio_pci_call_fd(&n->vp, n->ctrl);

		if (fd >= 0)
			eventfd_write(fd, 1);
	}
}

static void disconnected(struct net_dev *n);
static void arm_timer(struct net_dev *n, bool on);

/*
 * A request failed and the library closed the connection, out of sight of the main loop
 * (epoll forgets a closed fd by itself): forget its handler, link down, reconnect (main
 * thread, lock held).
 */
static void
check_lost(struct net_dev *n)
{
	if (n->watched_fd < 0 || vu_dev_connected(n->vu))
		return;
	vmm_vm_forget_fd(n->vm, n->watched_fd, n);
	n->watched_fd = -1;
	disconnected(n);
}

/* The guest notified the control queue (main thread). */
static void
on_ctrl_kick(void *opaque, int fd)
{
	struct net_dev *n = opaque;
	eventfd_t v;

	if (eventfd_read(fd, &v) < 0)
		return;
	pthread_mutex_lock(&n->vp.lock);
	ctrl_process(n);
	check_lost(n);
	pthread_mutex_unlock(&n->vp.lock);
}

/* DRIVER_OK: take the control queue the guest set up, if any (lock held). */
static int
ctrl_start(struct net_dev *n)
{
	struct vmm_virtio_queue *q;
	int rc;

	n->cur_pairs = 1;
	memset(&n->cvq, 0, sizeof(n->cvq));
	if (n->pairs == 1 || !(n->vp.driver_features & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	q = &n->vp.queues[n->ctrl];
	if (!q->enabled)
		return 0;
	rc = virtq_init(&n->cvq, &n->vm->mem, q->size, q->desc, q->avail, q->used,
		n->vp.driver_features);
	if (rc < 0) {
		if (net_warn_once(n, NET_WARN_CVQ))
			fprintf(stderr, "vireo-vmm: %s: control queue %u: %s; the device needs a "
				"reset (logged once)\n", n->name, n->ctrl, n->cvq.error);
		return rc;
	}
	ctrl_process(n);	/* a request queued before DRIVER_OK */
	return 0;
}

/* FEATURES_OK: the control queue sits at 2N only with MQ; MQ needs the control queue. */
static bool
features_ok(struct vmm_virtio_pci *vp, uint64_t features)
{
	struct net_dev *n = vp->opaque;
	bool mq = features & BIT(VIRTIO_NET_F_MQ), cvq = features & BIT(VIRTIO_NET_F_CTRL_VQ);

	if (n->pairs == 1 || mq == cvq)
		return true;
	if (net_warn_once(n, NET_WARN_FEATURES))
		fprintf(stderr, "vireo-vmm: %s: the guest acked %s without %s: refused "
			"(FEATURES_OK; logged once)\n", n->name,
			mq ? "VIRTIO_NET_F_MQ" : "VIRTIO_NET_F_CTRL_VQ",
			mq ? "VIRTIO_NET_F_CTRL_VQ" : "VIRTIO_NET_F_MQ");
	return false;
}

static void
set_status(struct vmm_virtio_pci *vp, uint8_t old, uint8_t status)
{
	struct net_dev *n = vp->opaque;
	int rc;

	if (status == 0) {
		if (n->handed) {
			rc = vu_dev_stop(n->vu);
			if (rc < 0)
				report(n, "device reset", rc);
		}
		n->handed = false;
		n->cur_pairs = 1;
		memset(&n->cvq, 0, sizeof(n->cvq));
		goto out;
	}
	if (!(status & VIRTIO_STATUS_DRIVER_OK) || (old & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (ctrl_start(n) < 0) {
		vp->status |= VIRTIO_STATUS_NEEDS_RESET;
		vmm_virtio_pci_config_changed(vp);
		return;
	}
	if (!vu_dev_connected(n->vu))
		return;
	rc = hand_rings(n);
	if (rc < 0) {
		/* -EFAULT, -EINVAL: the guest's rings, which it may retry after each reset. */
		if ((rc != -EFAULT && rc != -EINVAL) || net_warn_once(n, NET_WARN_RINGS))
			report(n, "handing the rings to the backend", rc);
		if (rc == -EFAULT || rc == -EINVAL) {
			vp->status |= VIRTIO_STATUS_NEEDS_RESET;
			vmm_virtio_pci_config_changed(vp);
		}
	}
out:
	/* A vCPU must not touch the main loop's fds: the timer makes it run check_lost(). */
	if (n->watched_fd >= 0 && !vu_dev_connected(n->vu))
		arm_timer(n, true);
}

/*
 * The guest moved queue 'q' to another MSI-X vector: a ring the backend runs must signal
 * the new vector's eventfd (SET_VRING_CALL); a ring not handed yet takes it when it is.
 */
static void
queue_vector(struct vmm_virtio_pci *vp, unsigned int q)
{
	struct net_dev *n = vp->opaque;
	int rc;

	if (!n->handed || !vu_dev_connected(n->vu) || q >= 2 * n->pairs ||
	    !vu_ring_started(n->vu, q))
		return;
	rc = vu_ring_set_call(n->vu, q, vmm_virtio_pci_call_fd(vp, q));
	if (rc < 0) {
		report(n, "SET_VRING_CALL", rc);
		/* A vCPU must not touch the main loop's fds: the timer makes it run check_lost(). */
		if (n->watched_fd >= 0 && !vu_dev_connected(n->vu))
			arm_timer(n, true);
	}
}

static const struct vmm_virtio_ops net_ops = {
	.set_status = set_status,
	.features_ok = features_ok,
	.queue_vector = queue_vector,
};

static void
watch_listen(struct net_dev *n, bool on)
{
	int fd = vu_dev_listen_fd(n->vu);

	if (fd < 0 || on == n->watching_listen)
		return;
	if (on)
		vmm_vm_add_fd(n->vm, fd, on_backend, n);
	else
		vmm_vm_del_fd(n->vm, fd);
	n->watching_listen = on;
}

static void
arm_timer(struct net_dev *n, bool on)
{
	struct itimerspec its = { 0 };

	if (on) {
		its.it_value.tv_nsec = RETRY_MS * 1000000L;
		its.it_interval.tv_nsec = RETRY_MS * 1000000L;
	}
	timerfd_settime(n->timer_fd, 0, &its, NULL);
}

/* Log where each started ring resumes: its used index, and how far the guest is ahead. */
static void
log_restore(struct net_dev *n)
{
	char buf[40 * 2 * VMM_NET_MAX_QUEUES] = "";
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < data_rings(n) && len < sizeof(buf); i++) {
		const struct vmm_virtio_queue *q = &n->vp.queues[i];
		const uint16_t *avail = vmm_memory_ptr(&n->vm->mem, q->avail, 4);
		uint16_t used = vu_ring_used_idx(n->vu, i);
		int w;

		if (!vu_ring_started(n->vu, i) || avail == NULL)
			continue;
		w = snprintf(buf + len, sizeof(buf) - len, " %u:used=%u,avail=%u%s", i, used,
			__atomic_load_n(&avail[1], __ATOMIC_ACQUIRE),
			i / 2 < n->cur_pairs ? "" : ",disabled");
		if (w > 0)
			len += (size_t)w;
	}
	fprintf(stderr, "vireo-vmm: %s: restoring rings from their used index:%s\n", n->name,
		buf);
}

/*
 * The backend is (back) connected: replay the rings, then watch it and raise the link (lock
 * held).  When the replay fails the connection is closed and the retries go on (client: the
 * timer stays armed; server: the listening socket stays watched).
 */
static void
connected(struct net_dev *n)
{
	bool started = false, refused = false;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < data_rings(n); i++)
		started = started || vu_ring_started(n->vu, i);
	if (started) {
		log_restore(n);
		rc = vu_dev_restore(n->vu, NULL, 0);
	} else if (n->vp.status & VIRTIO_STATUS_DRIVER_OK) {
		rc = hand_rings(n);
		/*
		 * A ring outside RAM or misplaced, or features the backend cannot take: the
		 * library refused it before sending it, so the connection is sound, and no
		 * reconnect changes the guest's rings.  The device asks for a reset, as at
		 * DRIVER_OK, and the connection stays (what the backend already took, the
		 * features, the memory table and the rings before the bad one, the reset takes
		 * back: 'handed' is set).
		 */
		if (rc < 0 && vu_dev_connected(n->vu) && (rc == -EFAULT || rc == -EINVAL)) {
			/* Every time: a new connection is the backend's doing, not the guest's. */
			report(n, "handing the rings to the backend", rc);
			n->vp.status |= VIRTIO_STATUS_NEEDS_RESET;
			vmm_virtio_pci_config_changed(&n->vp);
			refused = true;
			rc = 0;
		}
	}
	if (rc == 0 && !refused && (n->vp.driver_features & BIT(VIRTIO_NET_F_MQ)))
		rc = apply_pairs(n);	/* VQ_PAIRS_SET may have come while it was gone */
	if (rc < 0) {
		if (!n->restore_failed)
			report(n, "restoring the rings (retrying)", rc);
		n->restore_failed = true;
		vu_dev_disconnect(n->vu);
		return;
	}
	n->restore_failed = false;
	n->watched_fd = vu_dev_fd(n->vu);
	vmm_vm_add_fd(n->vm, n->watched_fd, on_backend, n);
	if (!n->cfg->server)
		arm_timer(n, false);
	watch_listen(n, false);
	fprintf(stderr, "vireo-vmm: %s: backend %s connected\n", n->name, n->cfg->path);
	set_link(n, true);
}

static void
disconnected(struct net_dev *n)
{
	fprintf(stderr, "vireo-vmm: %s: backend %s gone, link down\n", n->name, n->cfg->path);
	set_link(n, false);
	n->down_since_ns = vmm_now_ns();
	if (n->cfg->server)
		watch_listen(n, true);
	else
		arm_timer(n, true);
}

static void
on_backend(void *opaque, int fd)
{
	struct net_dev *n = opaque;
	uint64_t ticks;

	pthread_mutex_lock(&n->vp.lock);
	if (fd == n->timer_fd) {
		if (read(fd, &ticks, sizeof(ticks)) < 0)
			ticks = 0;
		check_lost(n);	/* set_status() may have armed it for that */
		if (vu_dev_connected(n->vu) || n->cfg->server) {
			arm_timer(n, false);
		} else if (vu_dev_connect(n->vu, 0) == 0) {
			connected(n);
		} else if (vmm_now_ns() - n->down_since_ns >
			   (uint64_t)n->cfg->reconnect_s * 1000000000ULL) {
			fprintf(stderr, "vireo-vmm: %s: no backend at %s for %u s, giving up\n",
				n->name, n->cfg->path, n->cfg->reconnect_s);
			arm_timer(n, false);
		}
	} else if (fd == vu_dev_listen_fd(n->vu)) {
		if (vu_dev_connect(n->vu, 0) == 0)
			connected(n);
	} else if (vu_dev_poll(n->vu) < 0) {
		vmm_vm_del_fd(n->vm, fd);
		n->watched_fd = -1;
		disconnected(n);
	}
	pthread_mutex_unlock(&n->vp.lock);
}

/*
 * A backend that hung up during the first handshake (a switch restarting, as ovs-vswitchd
 * and vireo-dp do under their supervisors) is given the reconnect time to come back, as a
 * running guest's backend is; one that was never there fails at once.
 */
static int
retry_handshake(struct net_dev *n, int rc)
{
	uint64_t deadline = vmm_now_ns() + (uint64_t)n->cfg->reconnect_s * 1000000000ULL;

	fprintf(stderr, "vireo-vmm: %s: %s: %s during the first handshake; retrying for up to "
		"%u s\n", n->name, n->cfg->path,
		*vu_dev_error(n->vu) ? vu_dev_error(n->vu) : strerror(-rc), n->cfg->reconnect_s);
	while ((rc == -ECONNRESET || rc == -EPIPE || rc == -ENOENT || rc == -ECONNREFUSED ||
		rc == -EAGAIN) && vmm_now_ns() < deadline) {
		if (!n->cfg->server)
			usleep(100 * 1000);
		rc = vu_dev_connect(n->vu, n->cfg->server ? 100 : 0);
	}
	return rc;
}

/* Whether 'rc' from opening the socket is the path's fault (the user's input: exit 2). */
static bool
path_error(int rc)
{
	return rc == -ENOENT || rc == -EACCES || rc == -EPERM || rc == -ENAMETOOLONG ||
		rc == -ENOTDIR || rc == -EEXIST || rc == -EADDRINUSE || rc == -ELOOP ||
		rc == -EROFS;
}

static int
first_connect(struct net_dev *n, char **err)
{
	int rc;

	if (n->cfg->server)
		fprintf(stderr, "vireo-vmm: %s: waiting up to %u s for a backend on %s\n", n->name,
			n->cfg->reconnect_s, n->cfg->path);
	rc = vu_dev_connect(n->vu, n->cfg->server ? (int)n->cfg->reconnect_s * 1000 : 0);
	if (rc == -ECONNRESET || rc == -EPIPE) {
		rc = retry_handshake(n, rc);
		if (rc == -ECONNRESET || rc == -EPIPE)
			return vmm_err(err, -VMM_EINPUT, "--net vhost-user=%s: the backend kept "
				"hanging up during the handshake for %u s", n->cfg->path,
				n->cfg->reconnect_s);
	}
	if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -EAGAIN || rc == -ENOTSOCK)
		return vmm_err(err, -VMM_EINPUT, "--net vhost-user=%s: %s", n->cfg->path,
			rc == -ENOENT ? "no such socket" : rc == -EAGAIN && n->cfg->server ?
			"no backend connected" : "nobody listens on it");
	if (rc < 0)
		return vmm_err(err, path_error(rc) ? -VMM_EINPUT : rc, "--net vhost-user=%s: %s",
			n->cfg->path, *vu_dev_error(n->vu) ? vu_dev_error(n->vu) : strerror(-rc));
	return 0;
}

static int
net_create(struct vmm_vm *vm, const struct vmm_net_cfg *cfg, unsigned int idx,
		struct net_dev **out, char **err)
{
	struct vu_opts opts = { .path = cfg->path, .server = cfg->server,
		.queue_pairs = cfg->queues };
	uint64_t supported = NET_SUPPORTED;
	struct net_dev *n = calloc(1, sizeof(*n));
	char *msg = NULL;
	int rc;

	if (n == NULL)
		return -ENOMEM;
	*out = n;
	n->vm = vm;
	n->cfg = cfg;
	n->timer_fd = -1;
	n->watched_fd = -1;
	snprintf(n->name, sizeof(n->name), "virtio-net%u", idx);
	rc = vu_dev_create(&n->vu, &opts, &msg);
	if (rc < 0) {
		rc = vmm_err(err, path_error(rc) ? -VMM_EINPUT : rc, "--net: %s",
			msg != NULL ? msg : strerror(-rc));
		free(msg);
		return rc;
	}
	rc = first_connect(n, err);
	if (rc < 0)
		return rc;
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (n->timer_fd < 0 || vmm_vm_add_fd(vm, n->timer_fd, on_backend, n) < 0 ||
	    vmm_vm_add_fd(vm, vu_dev_fd(n->vu), on_backend, n) < 0)
		return vmm_err(err, -EMFILE, "%s: cannot watch the backend", n->name);
	n->watched_fd = vu_dev_fd(n->vu);
	n->pairs = vu_dev_queue_pairs(n->vu);
	if (n->pairs < cfg->queues)
		fprintf(stderr, "vireo-vmm: %s: the backend at %s offers %u queue pair%s, "
			"queues=%u asked: using %u\n", n->name, cfg->path, n->pairs,
			n->pairs == 1 ? "" : "s", cfg->queues, n->pairs);
	if (n->pairs > 1) {
		supported |= NET_MQ;
		n->ctrl = 2 * n->pairs;
	}
	n->cur_pairs = 1;
	memcpy(n->vp.config, cfg->mac, 6);
	vmm_pci_set16(n->vp.config + 6, VIRTIO_NET_S_LINK_UP);
	vmm_pci_set16(n->vp.config + 8, (uint16_t)n->pairs);
	vmm_pci_set16(n->vp.config + 10, 1500);
	n->vp.pci.name = n->name;
	n->vp.ops = &net_ops;
	n->vp.opaque = n;
	n->vp_ready = true;
	rc = vmm_virtio_pci_init(&n->vp, vm, VIRTIO_ID_NET, n->pairs > 1 ? n->ctrl + 1 : 2,
		vu_net_offer(n->vu, supported), NET_CONFIG_LEN, err);
	if (rc < 0 || n->pairs == 1)
		return rc;
	if (vmm_vm_add_fd(vm, n->vp.queues[n->ctrl].kick_fd, on_ctrl_kick, n) < 0)
		return vmm_err(err, -EMFILE, "%s: cannot watch the control queue", n->name);
	return 0;
}

static void
net_free(struct net_dev *n)
{
	if (n == NULL)
		return;
	if (n->vu != NULL && n->handed)
		vu_dev_stop(n->vu);
	vu_dev_destroy(n->vu);
	if (n->timer_fd >= 0)
		close(n->timer_fd);
	if (n->vp_ready)
		vmm_virtio_pci_exit(&n->vp);
	free(n);
}

static void
net_exit(struct vmm_vm *vm, void *state)
{
	struct net_devs *d = state;
	unsigned int i;

	(void)vm;
	if (d == NULL)
		return;
	for (i = 0; i < d->nr; i++)
		net_free(d->devs[i]);
	free(d);
}

static int
net_init(struct vmm_vm *vm, void **state, char **err)
{
	struct net_devs *d;
	unsigned int i;
	int rc;

	*state = NULL;
	if (vm->cfg->nr_nets == 0)
		return 0;
	if (!vm->mem.shareable)
		return vmm_err(err, -VMM_EINPUT,
			"--net vhost-user needs shared guest RAM (--memory ...,shared=on)");
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	*state = d;
	for (i = 0; i < vm->cfg->nr_nets; i++) {
		rc = net_create(vm, &vm->cfg->nets[i], i, &d->devs[d->nr++], err);
		if (rc < 0) {
			net_exit(vm, d);
			*state = NULL;
			return rc;
		}
	}
	return 0;
}

static const struct vmm_device_ops virtio_net_ops = {
	.name = "virtio-net",
	.init = net_init,
	.exit = net_exit,
};

VMM_DEVICE_REGISTER(virtio_net_ops)

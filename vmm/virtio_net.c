/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-net devices whose queues a vhost-user backend serves (--net vhost-user=...).
 *
 * The VMM keeps the device configuration (MAC, link status) and the connection; packets
 * go between the guest and the backend through shared guest RAM, the queues' ioeventfds
 * (kick) and the MSI-X vectors' irqfds (call).  When the guest sets DRIVER_OK the rings
 * are handed to the backend; a reset takes them back.  When the backend goes away the
 * link goes down (config interrupt), vireo-vmm reconnects (client: every 100 ms; server:
 * the next connection), replays the rings from their used indexes, and raises the link.
 *
 * Thread-safety: the transport's lock (vp.lock) guards the vhost-user device too: vCPU
 * threads (status writes) and the main thread (connection events) both take it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_config.h>

#include "util.h"
#include "vhost_user.h"
#include "virtio_pci.h"
#include "vm.h"

#define BIT(n) (1ULL << (n))
#define RETRY_MS 100
#define NET_CONFIG_LEN 12	/* mac, status, max_virtqueue_pairs, mtu */

/* What this device implements; the backend's offer narrows it (vu_net_offer()). */
#define NET_SUPPORTED (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
	BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_MAC) | \
	BIT(VIRTIO_NET_F_STATUS))

struct net_dev {
	struct vmm_virtio_pci vp;
	struct vmm_vm *vm;
	const struct vmm_net_cfg *cfg;
	struct vu_dev *vu;
	char name[24];
	int timer_fd;		/* client mode: reconnect attempts */
	uint64_t down_since_ns;
	bool handed;		/* rings given to the backend since DRIVER_OK */
	bool watching_listen;
	bool vp_ready;		/* vp owns eventfds to close */
};

struct net_devs {
	unsigned int nr;
	struct net_dev *devs[VMM_MAX_NETS];
};

static void on_backend(void *opaque, int fd);

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

/* Give the backend the guest's rings (lock held, backend connected, DRIVER_OK). */
static int
hand_rings(struct net_dev *n)
{
	struct vmm_memory *mem = &n->vm->mem;
	struct vu_mem_region regions[VMM_MEM_MAX_REGIONS];
	unsigned int i;
	int rc;

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
	for (i = 0; i < n->vp.nr_queues; i++) {
		struct vmm_virtio_queue *q = &n->vp.queues[i];
		struct vu_ring r = {
			.size = q->size,
			.desc = vmm_memory_ptr(mem, q->desc, 16ULL * q->size),
			.avail = vmm_memory_ptr(mem, q->avail, 6 + 2ULL * q->size),
			.used = vmm_memory_ptr(mem, q->used, 6 + 8ULL * q->size),
			.kick_fd = q->kick_fd,
			.call_fd = vmm_virtio_pci_call_fd(&n->vp, i),
			.enabled = true,
		};

		if (!q->enabled)
			continue;
		if (r.desc == NULL || r.avail == NULL || r.used == NULL) {
			fprintf(stderr, "vireo-vmm: %s: queue %u lies outside guest RAM\n",
				n->name, i);
			return -EFAULT;
		}
		rc = vu_ring_start(n->vu, i, &r);
		if (rc < 0)
			return rc;
	}
	n->handed = true;
	return vu_dev_set_status(n->vu, n->vp.status);
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
		return;
	}
	if (!(status & VIRTIO_STATUS_DRIVER_OK) || (old & VIRTIO_STATUS_DRIVER_OK) ||
	    !vu_dev_connected(n->vu))
		return;
	rc = hand_rings(n);
	if (rc < 0) {
		report(n, "handing the rings to the backend", rc);
		if (rc == -EFAULT || rc == -EINVAL) {
			vp->status |= VIRTIO_STATUS_NEEDS_RESET;
			vmm_virtio_pci_config_changed(vp);
		}
	}
}

static const struct vmm_virtio_ops net_ops = {
	.set_status = set_status,
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

/* The backend is (back) connected: watch it, replay the rings, raise the link (lock held). */
static void
connected(struct net_dev *n)
{
	int rc = 0;

	vmm_vm_add_fd(n->vm, vu_dev_fd(n->vu), on_backend, n);
	if (!n->cfg->server)
		arm_timer(n, false);
	watch_listen(n, false);
	if (vu_ring_started(n->vu, 0) || vu_ring_started(n->vu, 1))
		rc = vu_dev_restore(n->vu, NULL, 0);
	else if (n->vp.status & VIRTIO_STATUS_DRIVER_OK)
		rc = hand_rings(n);
	if (rc < 0) {
		report(n, "restoring the rings", rc);
		return;
	}
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
		if (vu_dev_connect(n->vu, 0) == 0) {
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
		disconnected(n);
	}
	pthread_mutex_unlock(&n->vp.lock);
}

static int
first_connect(struct net_dev *n, char **err)
{
	int rc;

	if (n->cfg->server)
		fprintf(stderr, "vireo-vmm: %s: waiting up to %u s for a backend on %s\n", n->name,
			n->cfg->reconnect_s, n->cfg->path);
	rc = vu_dev_connect(n->vu, n->cfg->server ? (int)n->cfg->reconnect_s * 1000 : 0);
	if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -EAGAIN || rc == -ENOTSOCK)
		return vmm_err(err, -VMM_EINPUT, "--net vhost-user=%s: %s", n->cfg->path,
			rc == -ENOENT ? "no such socket" : rc == -EAGAIN && n->cfg->server ?
			"no backend connected" : "nobody listens on it");
	if (rc < 0)
		return vmm_err(err, rc, "--net vhost-user=%s: %s", n->cfg->path,
			*vu_dev_error(n->vu) ? vu_dev_error(n->vu) : strerror(-rc));
	return 0;
}

static int
net_create(struct vmm_vm *vm, const struct vmm_net_cfg *cfg, unsigned int idx,
		struct net_dev **out, char **err)
{
	struct vu_opts opts = { .path = cfg->path, .server = cfg->server, .queue_pairs = 1 };
	struct net_dev *n = calloc(1, sizeof(*n));
	char *msg = NULL;
	int rc;

	if (n == NULL)
		return -ENOMEM;
	*out = n;
	n->vm = vm;
	n->cfg = cfg;
	n->timer_fd = -1;
	snprintf(n->name, sizeof(n->name), "virtio-net%u", idx);
	rc = vu_dev_create(&n->vu, &opts, &msg);
	if (rc < 0) {
		rc = vmm_err(err, rc == -ENOENT || rc == -EACCES || rc == -ENAMETOOLONG ?
			-VMM_EINPUT : rc, "--net: %s", msg != NULL ? msg : strerror(-rc));
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
	memcpy(n->vp.config, cfg->mac, 6);
	vmm_pci_set16(n->vp.config + 6, VIRTIO_NET_S_LINK_UP);
	vmm_pci_set16(n->vp.config + 8, 1);
	vmm_pci_set16(n->vp.config + 10, 1500);
	n->vp.pci.name = n->name;
	n->vp.ops = &net_ops;
	n->vp.opaque = n;
	n->vp_ready = true;
	return vmm_virtio_pci_init(&n->vp, vm, VIRTIO_ID_NET, 2,
		vu_net_offer(n->vu, NET_SUPPORTED), NET_CONFIG_LEN, err);
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

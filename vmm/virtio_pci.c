/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio 1.x PCI transport: capabilities, common configuration, ISR, notifications
 * (ioeventfd), MSI-X (GSI routes and irqfd).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "util.h"
#include "virtio_pci.h"
#include "vm.h"

/* BAR 0 layout. */
#define BAR_SIZE 0x8000
#define COMMON_OFF 0x0000
#define COMMON_LEN 0x38
#define RING_ADDR_OFF 0x20	/* queue_desc, queue_driver, queue_device: 64 bits each */
#define RING_ADDR_END 0x38
#define ISR_OFF 0x1000
#define DEVICE_OFF 0x2000
#define NOTIFY_OFF 0x3000
#define NOTIFY_MULT 4
#define MSIX_TABLE_OFF 0x4000
#define MSIX_PBA_OFF 0x5000

/* Configuration space capabilities. */
#define CAP_MSIX 0x40
#define CAP_COMMON 0x50
#define CAP_ISR 0x60
#define CAP_DEVICE 0x70
#define CAP_NOTIFY 0x80
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09
#define MSIX_ENABLE 0x8000
#define MSIX_FUNC_MASK 0x4000

#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4

static void
add_vendor_cap(uint8_t *cfg, unsigned int at, unsigned int next, uint8_t type, uint32_t off,
		uint32_t len)
{
	cfg[at] = PCI_CAP_ID_VNDR;
	cfg[at + 1] = next;
	cfg[at + 2] = type == VIRTIO_PCI_CAP_NOTIFY ? 20 : 16;
	cfg[at + 3] = type;
	cfg[at + 4] = 0;	/* BAR 0 */
	vmm_pci_set32(cfg + at + 8, off);
	vmm_pci_set32(cfg + at + 12, len);
	if (type == VIRTIO_PCI_CAP_NOTIFY)
		vmm_pci_set32(cfg + at + 16, NOTIFY_MULT);
}

static uint16_t
msix_control(const struct vmm_virtio_pci *vp)
{
	return vmm_pci_get16(vp->pci.cfg + CAP_MSIX + 2);
}

/*
 * Route vector 'v' and bind its irqfd while it is deliverable; unbind the irqfd while it is
 * masked (entry or function mask, MSI-X off), as the PCI spec wants: signals from the
 * backend then stay counted in the eventfd (the PBA shows them pending), and KVM injects a
 * pending signal as soon as the irqfd is bound again on unmask.  Lock held.
 */
static void
update_vector(struct vmm_virtio_pci *vp, unsigned int v)
{
	const struct vmm_msix_entry *e = &vp->msix[v];
	uint64_t addr = e->addr_lo | (uint64_t)e->addr_hi << 32;
	uint16_t ctl = msix_control(vp);
	struct kvm_irqfd irqfd = { .fd = (uint32_t)vp->vectors[v].fd,
		.gsi = (uint32_t)vp->vectors[v].gsi };

	if (!(ctl & MSIX_ENABLE) || (ctl & MSIX_FUNC_MASK) || (e->ctrl & 1) || addr == 0) {
		if (vp->vectors[v].irqfd) {
			irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
			if (ioctl(vp->vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
				fprintf(stderr, "vireo-vmm: %s: MSI-X vector %u: unbinding the irqfd: %s\n",
					vp->pci.name, v, strerror(errno));
			else
				vp->vectors[v].irqfd = false;
		}
		return;
	}
	if (vmm_pci_msi_route(vp->vm, &vp->pci, (unsigned int)vp->vectors[v].gsi, addr,
			e->data) < 0) {
		fprintf(stderr, "vireo-vmm: %s: MSI-X vector %u: KVM_SET_GSI_ROUTING: %s\n",
			vp->pci.name, v, strerror(errno));
		return;
	}
	if (!vp->vectors[v].irqfd) {
		if (ioctl(vp->vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
			fprintf(stderr, "vireo-vmm: %s: KVM_IRQFD: %s\n", vp->pci.name,
				strerror(errno));
		else
			vp->vectors[v].irqfd = true;
	}
}

/* Pending bits: a vector whose irqfd is unbound and whose eventfd has been signalled. */
static uint64_t
pba_read(const struct vmm_virtio_pci *vp)
{
	uint64_t bits = 0;

	for (unsigned int v = 0; v < vp->nr_vectors && v < 64; v++) {
		struct pollfd p = { .fd = vp->vectors[v].fd, .events = POLLIN };

		if (!vp->vectors[v].irqfd && vp->vectors[v].fd >= 0 && poll(&p, 1, 0) == 1)
			bits |= 1ULL << v;
	}
	return bits;
}

/* The PCI spec's rule for the MSI-X table and PBA: aligned DWORDs and QWORDs only. */
static bool
msix_access_ok(uint64_t off, unsigned int len)
{
	return (len == 4 || len == 8) && off % len == 0;
}

static uint32_t *
msix_field(struct vmm_msix_entry *e, unsigned int dword)
{
	switch (dword) {
	case 0: return &e->addr_lo;
	case 1: return &e->addr_hi;
	case 2: return &e->data;
	default: return &e->ctrl;
	}
}

/*
 * An access of 'len' bytes at 'off' from the table's start (lock held).  The offset is
 * decoded into a vector and a field, each DWORD separately: an access can only ever reach
 * the fields of vp->msix[], and an aligned QWORD never straddles two entries.
 */
static void
msix_table_access(struct vmm_virtio_pci *vp, uint64_t off, uint8_t *data, unsigned int len,
		bool is_write)
{
	unsigned int k, v = (unsigned int)(off / 16);

	if (!msix_access_ok(off, len) || v >= vp->nr_vectors) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	for (k = 0; k < len / 4; k++) {
		unsigned int dword = (unsigned int)(off % 16) / 4 + k;
		uint32_t *f = msix_field(&vp->msix[v], dword);

		if (!is_write)
			vmm_pci_set32(data + 4 * k, *f);
		else if (dword == 3)
			*f = vmm_pci_get32(data + 4 * k) & 1;
		else
			*f = vmm_pci_get32(data + 4 * k);
	}
	if (is_write)
		update_vector(vp, v);
}

/* A read of the pending bits; writes are ignored (the PBA is read-only).  Lock held. */
static void
msix_pba_access(struct vmm_virtio_pci *vp, uint64_t off, uint8_t *data, unsigned int len,
		bool is_write)
{
	uint64_t bits;
	unsigned int i;

	if (is_write)
		return;
	if (!msix_access_ok(off, len)) {
		memset(data, 0xff, len);
		return;
	}
	bits = pba_read(vp) >> (8 * off);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(bits >> (8 * i));
}

static void
cfg_write(struct vmm_pci_dev *dev, unsigned int off, unsigned int len)
{
	struct vmm_virtio_pci *vp = dev->opaque;
	unsigned int v;

	if (off + len <= CAP_MSIX + 2 || off >= CAP_MSIX + 4)
		return;
	pthread_mutex_lock(&vp->lock);
	for (v = 0; v < vp->nr_vectors; v++)
		update_vector(vp, v);
	pthread_mutex_unlock(&vp->lock);
}

static void
bar_map(struct vmm_pci_dev *dev, unsigned int bar, uint64_t addr, bool mapped)
{
	struct vmm_virtio_pci *vp = dev->opaque;
	unsigned int q;

	if (bar != 0)
		return;
	for (q = 0; q < vp->nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.addr = addr + NOTIFY_OFF + q * NOTIFY_MULT,
			.len = 2,
			.fd = vp->queues[q].kick_fd,
			.flags = mapped ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};

		if (ioctl(vp->vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			fprintf(stderr, "vireo-vmm: %s: KVM_IOEVENTFD queue %u: %s\n",
				vp->pci.name, q, strerror(errno));
	}
	__atomic_store_n(&vp->bar, mapped ? addr : 0, __ATOMIC_RELEASE);
}

static void
reset(struct vmm_virtio_pci *vp)
{
	unsigned int q;

	vp->driver_features = 0;
	vp->dfselect = 0;
	vp->gfselect = 0;
	vp->msix_config = VMM_VIRTIO_NO_VECTOR;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	for (q = 0; q < vp->nr_queues; q++) {
		struct vmm_virtio_queue *vq = &vp->queues[q];

		vq->size = VMM_VIRTIO_QUEUE_SIZE;
		vq->vector = VMM_VIRTIO_NO_VECTOR;
		vq->enabled = false;
		vq->desc = vq->avail = vq->used = 0;
	}
}

static void
set_status(struct vmm_virtio_pci *vp, uint8_t status)
{
	uint8_t old = vp->status;

	if (status == 0) {
		vp->ops->set_status(vp, old, 0);
		reset(vp);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    ((vp->driver_features & ~vp->device_features) ||
	     (vp->ops->features_ok != NULL && !vp->ops->features_ok(vp, vp->driver_features))))
		status &= ~VIRTIO_STATUS_FEATURES_OK;
	/*
	 * Until it resets the device the driver only adds bits, and FEATURES_OK comes before
	 * DRIVER_OK (virtio 1.2, 2.1.2 and 3.1.1; this device is modern only).  A write that
	 * clears a bit, or sets DRIVER_OK without FEATURES_OK accepted (features nobody
	 * checked), is not taken: the device asks for a reset instead.
	 */
	if ((old & ~status & ~VIRTIO_STATUS_NEEDS_RESET) != 0 ||
	    ((status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FEATURES_OK))) {
		vp->status = old | VIRTIO_STATUS_NEEDS_RESET;
		vmm_virtio_pci_config_changed(vp);
		return;
	}
	/* NEEDS_RESET is the device's to set and only a reset clears it. */
	status |= old & VIRTIO_STATUS_NEEDS_RESET;
	vp->status = status;
	vp->ops->set_status(vp, old, status);
}

static uint64_t
common_read(struct vmm_virtio_pci *vp, unsigned int off)
{
	struct vmm_virtio_queue *vq = vp->queue_select < vp->nr_queues ?
		&vp->queues[vp->queue_select] : NULL;

	switch (off) {
	case 0x00: return vp->dfselect;
	case 0x04:
		return vp->dfselect < 2 ?
			(uint32_t)(vp->device_features >> (32 * vp->dfselect)) : 0;
	case 0x08: return vp->gfselect;
	case 0x0c:
		return vp->gfselect < 2 ?
			(uint32_t)(vp->driver_features >> (32 * vp->gfselect)) : 0;
	case 0x10: return vp->msix_config;
	case 0x12: return vp->nr_queues;
	case 0x14: return vp->status;
	case 0x15: return vp->config_generation;
	case 0x16: return vp->queue_select;
	case 0x18: return vq != NULL ? vq->size : 0;
	case 0x1a: return vq != NULL ? vq->vector : VMM_VIRTIO_NO_VECTOR;
	case 0x1c: return vq != NULL ? vq->enabled : 0;
	case 0x1e: return vp->queue_select;
	default: return 0;
	}
}

/*
 * The three 64-bit ring addresses (RING_ADDR_OFF to RING_ADDR_END) are a byte array: an
 * access of any width at any offset there reads or changes exactly the bytes it covers
 * (an 8-byte write at a high half is that half and the next field's low half; a byte
 * write is one byte), as on a device whose registers are memory.
 */
static uint64_t *
ring_addr_field(struct vmm_virtio_queue *vq, unsigned int off)
{
	unsigned int f = (off - RING_ADDR_OFF) / 8;

	return f == 0 ? &vq->desc : f == 1 ? &vq->avail : &vq->used;
}

static uint64_t
ring_addr_read(struct vmm_virtio_queue *vq, unsigned int off, unsigned int len)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < len && off + i < RING_ADDR_END; i++) {
		unsigned int b = off + i;

		v |= (*ring_addr_field(vq, b) >> (8 * ((b - RING_ADDR_OFF) % 8)) & 0xff) << (8 * i);
	}
	return v;
}

static void
ring_addr_write(struct vmm_virtio_queue *vq, unsigned int off, uint64_t val, unsigned int len)
{
	for (unsigned int i = 0; i < len && off + i < RING_ADDR_END; i++) {
		unsigned int b = off + i, sh = 8 * ((b - RING_ADDR_OFF) % 8);
		uint64_t *f = ring_addr_field(vq, b);

		*f = (*f & ~(0xffULL << sh)) | (val >> (8 * i) & 0xff) << sh;
	}
}

static void
common_write(struct vmm_virtio_pci *vp, unsigned int off, uint64_t val, unsigned int len)
{
	struct vmm_virtio_queue *vq = vp->queue_select < vp->nr_queues ?
		&vp->queues[vp->queue_select] : NULL;
	bool live = vq != NULL && !vq->enabled;

	if (off >= RING_ADDR_OFF && off < RING_ADDR_END) {
		if (live)
			ring_addr_write(vq, off, val, len);
		return;
	}
	switch (off) {
	case 0x00: vp->dfselect = (uint32_t)val; return;
	case 0x08: vp->gfselect = (uint32_t)val; return;
	case 0x0c:
		if (vp->gfselect < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned int sh = 32 * vp->gfselect;

			vp->driver_features = (vp->driver_features & ~(0xffffffffULL << sh)) |
				(val & 0xffffffffULL) << sh;
		}
		return;
	case 0x10:
		vp->msix_config = val < vp->nr_vectors ? (uint16_t)val : VMM_VIRTIO_NO_VECTOR;
		return;
	case 0x14: set_status(vp, (uint8_t)val); return;
	case 0x16: vp->queue_select = (uint16_t)val; return;
	case 0x18:
		if (live && val != 0 && val <= VMM_VIRTIO_QUEUE_SIZE && !(val & (val - 1)))
			vq->size = (uint16_t)val;
		return;
	case 0x1a:
		if (vq != NULL) {
			uint16_t v = val < vp->nr_vectors ? (uint16_t)val : VMM_VIRTIO_NO_VECTOR;

			if (v != vq->vector) {
				vq->vector = v;
				if (vp->ops->queue_vector != NULL)
					vp->ops->queue_vector(vp, vp->queue_select);
			}
		}
		return;
	case 0x1c:
		if (vq == NULL || val != 1 || vq->enabled)
			return;
		/*
		 * The device takes its rings at DRIVER_OK, and a driver must not enable one
		 * later without VIRTIO_F_RING_RESET (virtio 1.2, 4.1.4.3.2), which this device
		 * does not offer: the ring would never run, so the device asks for a reset.
		 */
		if (vp->status & VIRTIO_STATUS_DRIVER_OK) {
			if (!vp->late_enable_logged)
				fprintf(stderr, "vireo-vmm: %s: queue %u enabled after DRIVER_OK "
					"(queue_enable 1); the device needs a reset (logged once)\n",
					vp->pci.name, vp->queue_select);
			vp->late_enable_logged = true;
			vp->status |= VIRTIO_STATUS_NEEDS_RESET;
			vmm_virtio_pci_config_changed(vp);
			return;
		}
		vq->enabled = true;
		return;
	default: return;
	}
}

static void
bar_access(void *opaque, uint64_t off, uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_virtio_pci *vp = opaque;
	uint64_t val = 0;
	unsigned int i;

	if (len == 0 || len > 8) {	/* the bus never passes these; no register is wider */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		for (i = 0; i < len; i++)
			val |= (uint64_t)data[i] << (8 * i);
	else
		memset(data, 0, len);
	pthread_mutex_lock(&vp->lock);
	if (off < COMMON_LEN) {
		if (is_write) {
			common_write(vp, (unsigned int)off, val, len);
		} else if (off >= RING_ADDR_OFF && off < RING_ADDR_END) {
			val = vp->queue_select < vp->nr_queues ? ring_addr_read(
				&vp->queues[vp->queue_select], (unsigned int)off, len) : 0;
			for (i = 0; i < len; i++)
				data[i] = (uint8_t)(val >> (8 * i));
		} else {
			val = common_read(vp, (unsigned int)off);
			for (i = 0; i < len; i++)
				data[i] = (uint8_t)(val >> (8 * i));
		}
	} else if (off == ISR_OFF && !is_write) {
		data[0] = vp->isr;
		vp->isr = 0;
	} else if (off >= DEVICE_OFF && off + len <= DEVICE_OFF + vp->config_len && !is_write) {
		memcpy(data, vp->config + (off - DEVICE_OFF), len);
	} else if (off >= NOTIFY_OFF && off < NOTIFY_OFF + NOTIFY_MULT * vp->nr_queues &&
		   is_write) {
		/* Only when the ioeventfd did not take it (another width). */
		eventfd_write(vp->queues[(off - NOTIFY_OFF) / NOTIFY_MULT].kick_fd, 1);
	} else if (off >= MSIX_TABLE_OFF && off < MSIX_TABLE_OFF + 16 * vp->nr_vectors) {
		msix_table_access(vp, off - MSIX_TABLE_OFF, data, len, is_write);
	} else if (off >= MSIX_PBA_OFF && off < MSIX_PBA_OFF + 8) {
		msix_pba_access(vp, off - MSIX_PBA_OFF, data, len, is_write);
	}
	pthread_mutex_unlock(&vp->lock);
}

int
vmm_virtio_pci_call_fd(struct vmm_virtio_pci *vp, unsigned int q)
{
	uint16_t v = vp->queues[q].vector;

	return v < vp->nr_vectors ? vp->vectors[v].fd : -1;
}

void
vmm_virtio_pci_config_changed(struct vmm_virtio_pci *vp)
{
	vp->config_generation++;
	vp->isr |= 2;
	if (vp->msix_config < vp->nr_vectors)
		eventfd_write(vp->vectors[vp->msix_config].fd, 1);
}

static void
fill_config_space(struct vmm_virtio_pci *vp, uint16_t device_id, unsigned int nr_vectors)
{
	uint8_t *c = vp->pci.cfg;

	vmm_pci_set16(c + PCI_CFG_VENDOR, 0x1af4);
	vmm_pci_set16(c + PCI_CFG_DEVICE, 0x1040 + device_id);
	c[PCI_CFG_REVISION] = 1;
	c[PCI_CFG_CLASS + 2] = device_id == 1 ? 0x02 : 0xff;	/* network, or other */
	vmm_pci_set16(c + PCI_CFG_SUBVENDOR, 0x1af4);
	vmm_pci_set16(c + PCI_CFG_SUBSYSTEM, 0x40 + device_id);
	vmm_pci_set16(c + PCI_CFG_STATUS, PCI_STATUS_CAPS);
	c[PCI_CFG_CAP_PTR] = CAP_MSIX;
	c[CAP_MSIX] = PCI_CAP_ID_MSIX;
	c[CAP_MSIX + 1] = CAP_COMMON;
	vmm_pci_set16(c + CAP_MSIX + 2, (uint16_t)(nr_vectors - 1));
	vmm_pci_set16(vp->pci.wmask + CAP_MSIX + 2, MSIX_ENABLE | MSIX_FUNC_MASK);
	vmm_pci_set32(c + CAP_MSIX + 4, MSIX_TABLE_OFF);
	vmm_pci_set32(c + CAP_MSIX + 8, MSIX_PBA_OFF);
	add_vendor_cap(c, CAP_COMMON, CAP_ISR, VIRTIO_PCI_CAP_COMMON, COMMON_OFF, COMMON_LEN);
	add_vendor_cap(c, CAP_ISR, CAP_DEVICE, VIRTIO_PCI_CAP_ISR, ISR_OFF, 1);
	add_vendor_cap(c, CAP_DEVICE, CAP_NOTIFY, VIRTIO_PCI_CAP_DEVICE, DEVICE_OFF,
		vp->config_len);
	add_vendor_cap(c, CAP_NOTIFY, 0, VIRTIO_PCI_CAP_NOTIFY, NOTIFY_OFF,
		NOTIFY_MULT * vp->nr_queues);
}

int
vmm_virtio_pci_init(struct vmm_virtio_pci *vp, struct vmm_vm *vm, uint16_t device_id,
		unsigned int nr_queues, uint64_t features, unsigned int config_len, char **err)
{
	unsigned int i;

	if (nr_queues == 0 || nr_queues > VMM_VIRTIO_MAX_QUEUES ||
	    config_len > VMM_VIRTIO_CFG_SIZE)
		return vmm_err(err, -EINVAL, "%s: bad virtio queue count or config size",
			vp->pci.name);
	pthread_mutex_init(&vp->lock, NULL);
	vp->vm = vm;
	vp->nr_queues = nr_queues;
	vp->nr_vectors = nr_queues + 1;
	vp->device_features = features;
	vp->config_len = config_len;
	for (i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
		vp->queues[i].kick_fd = -1;
	for (i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++)
		vp->vectors[i].fd = -1;
	for (i = 0; i < nr_queues; i++) {
		vp->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->queues[i].kick_fd < 0)
			return vmm_err(err, -errno, "%s: eventfd: %s", vp->pci.name,
				strerror(errno));
	}
	for (i = 0; i < vp->nr_vectors; i++) {
		vp->msix[i].ctrl = 1;	/* masked */
		vp->vectors[i].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->vectors[i].fd < 0)
			return vmm_err(err, -errno, "%s: eventfd: %s", vp->pci.name,
				strerror(errno));
		vp->vectors[i].gsi = vmm_pci_msi_gsi(vm);
		if (vp->vectors[i].gsi < 0)
			return vmm_err(err, -ENOSPC, "%s: out of MSI GSIs", vp->pci.name);
	}
	reset(vp);
	fill_config_space(vp, device_id, vp->nr_vectors);
	vp->pci.bar_size[0] = BAR_SIZE;
	vp->pci.bar_cb = bar_access;
	vp->pci.opaque = vp;
	vp->pci.cfg_write = cfg_write;
	vp->pci.bar_map = bar_map;
	return vmm_pci_dev_add(vm, &vp->pci, err);
}

void
vmm_virtio_pci_exit(struct vmm_virtio_pci *vp)
{
	unsigned int i;

	for (i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
		if (vp->queues[i].kick_fd >= 0)
			close(vp->queues[i].kick_fd);
	for (i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++)
		if (vp->vectors[i].fd >= 0)
			close(vp->vectors[i].fd);
	pthread_mutex_destroy(&vp->lock);
}

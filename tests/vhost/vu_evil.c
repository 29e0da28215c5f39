/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A misbehaving vhost-user frontend against vireo-dp.  Guests A (port vhu0) and B (vhu1)
 * are sane test NICs (vu_guest.c); guest E (vhu2) abuses vireo-dp, one case at a time on a
 * fresh connection.  After every case vireo-dp must still run and A and B must still reach
 * each other both ways; a bad message must be refused (VR_NACK, or the connection closed).
 * When a case kills or stalls vireo-dp, it is restarted so that the next cases still tell
 * something.
 *
 * Rings (E set up correctly, then its rings in guest memory corrupted): descriptors outside
 * guest memory or across its end, a 4 GiB length, a 6 MiB packet, looping and out-of-range
 * chains, out-of-range avail entries, an avail index 1000 ahead, runt packets, bad indirect
 * tables; on the receive ring (A's broadcasts flood into it) descriptors outside memory,
 * loops, index jumps, tiny buffers, buffers over the ring itself, buffers the guest did not
 * mark writable, and indirect tables outside memory, looping, nested or oversized.
 *
 * Messages (raw, on E's socket): bad ring sizes and indexes, a ring resized in use (its
 * mapped areas overrun), ring areas outside the memory table, a used ring running past the
 * end of its region, features never offered, memory regions past the end of their file (a
 * SIGBUS when touched), overflowing, too many, fd-less and unmappable regions, a wrapping
 * region; a running device's memory table replaced by one that cannot be mapped (a pipe,
 * size 0, a read-only file); a dirty log past its file's end or at an offset; requests of
 * protocol features never offered (inflight areas, postcopy); a call fd that is a pipe
 * nobody reads (the PMD would block) or whose reader is gone (SIGPIPE).
 *
 * Around the port itself: a second device on A's socket while A runs (A keeps it),
 * SEND_RARP (the RARP from the guest's MAC reaches A).
 *
 * Raw messages go through vu_raw.c.
 *
 * usage: vu_evil_test RUNDIR -- VIREO-DP-COMMAND...
 *        (VU_EVIL_ONLY=TEXT: only the cases whose name contains TEXT)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vu_raw.h"

#define CONNECT_MS 20000
#define FLOW_MS 5000
#define MIB (1ull << 20)
#define BIT(n) (1ull << (n))

static char *const *dp_argv;
static char dp_log[256];
static pid_t dp_pid = -1;
static int dp_in = -1;
static char dp_death[96];

static struct vg_nic nic_a, nic_b;
static char path_e[200];
static int extra_fds[4];
static unsigned int n_extra_fds;

/* ------------------------------------------------------------------------------------ */
/* vireo-dp */

static void
dp_start(void)
{
	dp_pid = vg_spawn(dp_argv, dp_log, &dp_in);
	vg_check(dp_pid > 0, "vireo-dp started");
}

static void
dp_stop(bool gentle)
{
	vg_kill(dp_pid, gentle);
	if (dp_in >= 0)
		close(dp_in);
	dp_in = -1;
	dp_pid = -1;
}

/* True while vireo-dp runs; when it died, reap it and say how in 'dp_death'. */
static bool
dp_alive(void)
{
	int st;

	if (dp_pid <= 0)
		return false;
	if (waitpid(dp_pid, &st, WNOHANG) != dp_pid)
		return true;
	if (WIFSIGNALED(st))
		snprintf(dp_death, sizeof(dp_death), "killed by signal %d (%s)", WTERMSIG(st),
			strsignal(WTERMSIG(st)));
	else
		snprintf(dp_death, sizeof(dp_death), "exited with %d", WEXITSTATUS(st));
	dp_pid = -1;
	return false;
}

static int
connect_restore(struct vg_nic *n)
{
	int rc = vg_nic_connect(n, CONNECT_MS);

	if (rc == 0)
		rc = vg_nic_restore(n);
	vg_check(rc == 0, "%s: reconnected to the restarted vireo-dp %s", n->name,
		rc == 0 ? "" : vu_dev_error(n->dev));
	return rc;
}

/* vireo-dp died or stalls: start a fresh one for the next cases. */
static void
recover(void)
{
	dp_stop(false);
	vu_dev_disconnect(nic_a.dev);
	vu_dev_disconnect(nic_b.dev);
	dp_start();
	connect_restore(&nic_a);
	connect_restore(&nic_b);
}

/* ------------------------------------------------------------------------------------ */
/* E's rings in its guest memory */

static uint64_t
gpa(const struct vg_nic *e, const void *p)
{
	return (uint64_t)((const uint8_t *)p - e->mem.base);
}

static void
desc_set(struct vg_vq *vq, uint16_t id, uint64_t addr, uint32_t len, uint16_t flags,
	uint16_t next)
{
	vq->desc[id].addr = addr;
	vq->desc[id].len = len;
	vq->desc[id].flags = flags;
	vq->desc[id].next = next;
}

/* Publish chain head 'head' on 'vq' and kick. */
static void
avail_push(struct vg_vq *vq, uint16_t head)
{
	uint64_t one = 1;

	vq->avail->ring[vq->avail_idx % vq->size] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

/* A sane broadcast frame from E in transmit buffer 'id'; its guest-physical address. */
static uint64_t
tx_frame(struct vg_nic *e, uint16_t id)
{
	uint8_t *buf = e->tx.bufs + (size_t)id * VG_BUF_LEN;

	memset(buf, 0, VG_HDR_LEN);
	vg_frame(buf + VG_HDR_LEN, e->id, id);
	return gpa(e, buf);
}

static void
rx_fill(struct vg_nic *e)
{
	struct vg_vq *vq = &e->rx;

	for (uint16_t i = 0; i < vq->size; i++) {
		desc_set(vq, i, gpa(e, vq->bufs + (size_t)i * VG_BUF_LEN), VG_BUF_LEN,
			VRING_DESC_F_WRITE, 0);
		vq->avail->ring[i] = i;
	}
	vq->avail_idx = vq->size;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------------------ */
/* the cases */

static bool
acked(enum vr_outcome o, const char *what)
{
	vg_check(o == VR_ACK, "E: %s %s", what, vr_outcome_name(o));
	return o == VR_ACK;
}

static void
refused(enum vr_outcome o, const char *what)
{
	vg_check(o == VR_NACK || o == VR_CLOSED, "E: %s: %s", what, vr_outcome_name(o));
}

/* E as a sane guest would set it up, with 'extra' features and 'tx_call' on its tx ring. */
static bool
setup(struct vg_nic *e, uint64_t extra, int tx_call)
{
	if (!acked(vr_features(e, extra), "features"))
		return false;
	if (!acked(vr_mem_own(e, e->mem.size, 0), "memory table"))
		return false;
	rx_fill(e);
	if (!acked(vr_ring(e, 0, &e->rx, e->rx.call), "receive ring"))
		return false;
	if (!acked(vr_ring(e, 1, &e->tx, tx_call), "transmit ring"))
		return false;
	return acked(vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY), "DRIVER_OK");
}

static bool
setup_sane(struct vg_nic *e)
{
	return setup(e, 0, e->tx.call);
}

static void
tx_outside(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, 1ull << 40, 100, 0, 0);
	avail_push(&e->tx, 0);
}

static void
tx_straddle(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, e->mem.size - 40, 100, 0, 0);
	avail_push(&e->tx, 0);
}

static void
tx_len_4g(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, tx_frame(e, 0), 0xffffffffu, 0, 0);
	avail_push(&e->tx, 0);
}

static void
tx_6mib(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, MIB, 6 * MIB, 0, 0);
	avail_push(&e->tx, 0);
}

static void
tx_loop(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, tx_frame(e, 0), 64, VRING_DESC_F_NEXT, 1);
	desc_set(&e->tx, 1, tx_frame(e, 1), 64, VRING_DESC_F_NEXT, 0);
	avail_push(&e->tx, 0);
}

static void
tx_self(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 5, tx_frame(e, 5), 64, VRING_DESC_F_NEXT, 5);
	avail_push(&e->tx, 5);
}

static void
tx_next_oob(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	desc_set(&e->tx, 0, tx_frame(e, 0), 64, VRING_DESC_F_NEXT, 40000);
	avail_push(&e->tx, 0);
}

static void
tx_avail_oob(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	avail_push(&e->tx, 999);
}

static void
tx_avail_jump(struct vg_nic *e)
{
	struct vg_vq *vq = &e->tx;

	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < vq->size; i++)
		desc_set(vq, i, tx_frame(e, i), VG_HDR_LEN + VG_FRAME_LEN, 0, 0);
	vq->avail_idx += 1000;
	avail_push(vq, 0);
}

static void
tx_runts(struct vg_nic *e)
{
	static const uint32_t lens[] = { 0, VG_HDR_LEN, VG_HDR_LEN + 1, VG_HDR_LEN + 13 };

	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < 4; i++) {
		desc_set(&e->tx, i, tx_frame(e, i), lens[i], 0, 0);
		avail_push(&e->tx, i);
	}
}

static void
tx_long_chain(struct vg_nic *e)
{
	struct vg_vq *vq = &e->tx;

	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < vq->size; i++)
		desc_set(vq, i, tx_frame(e, 0) + i, 1, i + 1 < vq->size ? VRING_DESC_F_NEXT : 0,
			(uint16_t)(i + 1));
	avail_push(vq, 0);
}

/* An indirect table in transmit buffer 10 with 'n' entries built by the caller. */
static struct vring_desc *
indirect_table(struct vg_nic *e)
{
	return (struct vring_desc *)(e->tx.bufs + 10 * VG_BUF_LEN);
}

static bool
setup_indirect(struct vg_nic *e)
{
	bool offered = vu_dev_features(e->dev) & BIT(VIRTIO_RING_F_INDIRECT_DESC);

	vg_check(offered, "E: vireo-dp offers INDIRECT_DESC");
	return offered && setup(e, BIT(VIRTIO_RING_F_INDIRECT_DESC), e->tx.call);
}

static void
ind_outside(struct vg_nic *e)
{
	if (!setup_indirect(e))
		return;
	desc_set(&e->tx, 0, 1ull << 40, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	avail_push(&e->tx, 0);
}

static void
ind_too_long(struct vg_nic *e)
{
	if (!setup_indirect(e))
		return;
	desc_set(&e->tx, 0, gpa(e, indirect_table(e)), 5000 * 16, VRING_DESC_F_INDIRECT, 0);
	avail_push(&e->tx, 0);
}

static void
ind_7_bytes(struct vg_nic *e)
{
	if (!setup_indirect(e))
		return;
	desc_set(&e->tx, 0, gpa(e, indirect_table(e)), 7, VRING_DESC_F_INDIRECT, 0);
	avail_push(&e->tx, 0);
}

static void
ind_loop(struct vg_nic *e)
{
	struct vring_desc *t = indirect_table(e);

	if (!setup_indirect(e))
		return;
	for (uint16_t i = 0; i < 4; i++) {
		t[i].addr = tx_frame(e, 0);
		t[i].len = 32;
		t[i].flags = VRING_DESC_F_NEXT;
		t[i].next = (uint16_t)((i + 1) % 4);
	}
	desc_set(&e->tx, 0, gpa(e, t), 4 * 16, VRING_DESC_F_INDIRECT, 0);
	avail_push(&e->tx, 0);
}

static void
ind_nested(struct vg_nic *e)
{
	struct vring_desc *t = indirect_table(e);

	if (!setup_indirect(e))
		return;
	t[0].addr = gpa(e, t);
	t[0].len = 16;
	t[0].flags = VRING_DESC_F_INDIRECT;
	t[0].next = 0;
	desc_set(&e->tx, 0, gpa(e, t), 16, VRING_DESC_F_INDIRECT, 0);
	avail_push(&e->tx, 0);
}

/* Receive-ring cases: corrupt E's posted receive buffers; A's broadcasts land there. */
static void
rx_outside(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++)
		e->rx.desc[i].addr = (1ull << 40) + i * 4096ull;
}

static void
rx_loop(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++) {
		e->rx.desc[i].len = 4;
		e->rx.desc[i].flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT;
		e->rx.desc[i].next = i;
	}
}

static void
rx_avail_jump(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	e->rx.avail_idx += 5000;
	__atomic_store_n(&e->rx.avail->idx, e->rx.avail_idx, __ATOMIC_RELEASE);
}

static void
rx_avail_oob(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++)
		e->rx.avail->ring[i] = (uint16_t)(1000 + i);
}

static void
rx_tiny(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++)
		e->rx.desc[i].len = 4;
}

static void
rx_over_ring(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++)
		e->rx.desc[i].addr = gpa(e, e->rx.desc);
}

static void
rx_readonly(struct vg_nic *e)
{
	if (!setup_sane(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++)
		e->rx.desc[i].flags = 0;
}

/*
 * E's receive buffers behind indirect tables (one a buffer, in its transmit buffers 16 on),
 * each table made by 'make' from buffer i's address.
 */
static void
rx_indirect(struct vg_nic *e, void (*make)(struct vg_nic *e, struct vring_desc *t,
	uint64_t buf, uint32_t *len))
{
	if (!setup_indirect(e))
		return;
	for (uint16_t i = 0; i < e->rx.size; i++) {
		struct vring_desc *t = (struct vring_desc *)(e->tx.bufs + 16 * VG_BUF_LEN +
			(size_t)i * 64);
		uint32_t len = 0;

		make(e, t, e->rx.desc[i].addr, &len);
		e->rx.desc[i].addr = gpa(e, t);
		e->rx.desc[i].len = len;
		e->rx.desc[i].flags = VRING_DESC_F_INDIRECT;
	}
}

static void
make_outside(struct vg_nic *e, struct vring_desc *t, uint64_t buf, uint32_t *len)
{
	(void)e;
	t[0] = (struct vring_desc){ (1ull << 40) + buf, VG_BUF_LEN, VRING_DESC_F_WRITE, 0 };
	*len = 16;
}

static void
make_loop(struct vg_nic *e, struct vring_desc *t, uint64_t buf, uint32_t *len)
{
	(void)e;
	/* Empty pieces: only the chain's bound ends the walk, not the room it adds up. */
	for (uint16_t k = 0; k < 4; k++)
		t[k] = (struct vring_desc){ buf, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
			(uint16_t)((k + 1) % 4) };
	*len = 4 * 16;
}

static void
make_nested(struct vg_nic *e, struct vring_desc *t, uint64_t buf, uint32_t *len)
{
	(void)buf;
	t[0] = (struct vring_desc){ gpa(e, t), 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0 };
	*len = 16;
}

static void
make_huge(struct vg_nic *e, struct vring_desc *t, uint64_t buf, uint32_t *len)
{
	(void)e;
	t[0] = (struct vring_desc){ buf, VG_BUF_LEN, VRING_DESC_F_WRITE, 0 };
	*len = 40000 * 16;	/* past E's memory, and far past any ring */
}

static void
rx_ind_outside(struct vg_nic *e)
{
	rx_indirect(e, make_outside);
}

static void
rx_ind_loop(struct vg_nic *e)
{
	rx_indirect(e, make_loop);
}

static void
rx_ind_nested(struct vg_nic *e)
{
	rx_indirect(e, make_nested);
}

static void
rx_ind_huge(struct vg_nic *e)
{
	rx_indirect(e, make_huge);
}

/* Message cases. */
static void
msg_ring_size(struct vg_nic *e)
{
	static const uint32_t sizes[] = { 0, 3, 65536 };

	if (!acked(vr_features(e, 0), "features") ||
			!acked(vr_mem_own(e, e->mem.size, 0), "memory table"))
		return;
	for (unsigned int i = 0; i < 3; i++) {
		char what[48];

		snprintf(what, sizeof(what), "ring size %u", sizes[i]);
		refused(vr_state(e, VHOST_WIRE_SET_VRING_NUM, 0, sizes[i]), what);
		if (vu_dev_fd(e->dev) < 0)
			break;
	}
}

/*
 * E's transmit ring in the last 12 KiB of its memory, running, then resized to 32768 with
 * 3000 entries made available: with the new size the backend's used-ring writes would run
 * past the end of the region after 511 entries.
 */
static void
msg_ring_resize(struct vg_nic *e)
{
	uint8_t *end = e->mem.base + e->mem.size;
	struct vring_desc *d = (struct vring_desc *)(end - 12288);
	struct vring_avail *av = (struct vring_avail *)(end - 8192);
	struct vring_used *u = (struct vring_used *)(end - 4096);
	uint64_t one = 1;

	if (!acked(vr_features(e, 0), "features") ||
			!acked(vr_mem_own(e, e->mem.size, 0), "memory table"))
		return;
	rx_fill(e);
	if (!acked(vr_ring(e, 0, &e->rx, e->rx.call), "receive ring") ||
			!acked(vr_ring_at(e, 1, 256, (uintptr_t)d, (uintptr_t)av, (uintptr_t)u,
				e->tx.kick, e->tx.call), "transmit ring at the end of memory") ||
			!acked(vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY), "DRIVER_OK"))
		return;
	refused(vr_state(e, VHOST_WIRE_SET_VRING_NUM, 1, 32768), "ring 1 resized to 32768 in use");
	for (uint16_t i = 0; i < 256; i++) {
		d[i].addr = tx_frame(e, i);
		d[i].len = VG_HDR_LEN + VG_FRAME_LEN;
		d[i].flags = 0;
		av->ring[i] = i;
	}
	__atomic_store_n(&av->idx, 3000, __ATOMIC_RELEASE);
	if (write(e->tx.kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

static void
msg_ring_index(struct vg_nic *e)
{
	if (acked(vr_features(e, 0), "features"))
		refused(vr_state(e, VHOST_WIRE_SET_VRING_NUM, 300, 256), "ring index 300");
}

static void
msg_ring_outside(struct vg_nic *e)
{
	if (!acked(vr_features(e, 0), "features") ||
			!acked(vr_mem_own(e, e->mem.size, 0), "memory table"))
		return;
	/* rte_vhost takes the addresses but never maps the ring: no device appears */
	vr_ring_at(e, 0, 256, 1ull << 44, (1ull << 44) + 8192, (1ull << 44) + 16384,
		e->rx.kick, e->rx.call);
	vr_ring(e, 1, &e->tx, e->tx.call);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
}

static void
msg_features(struct vg_nic *e)
{
	refused(vr_features(e, BIT(VIRTIO_F_ACCESS_PLATFORM)),
		"features vireo-dp never offered (ACCESS_PLATFORM)");
}

/* A 64 MiB region over E's 8 MiB file; a packet descriptor at 32 MiB. */
static void
mem_past_eof(struct vg_nic *e)
{
	if (!acked(vr_features(e, 0), "features"))
		return;
	refused(vr_mem_own(e, 64 * MIB, 0), "a 64 MiB region in an 8 MiB file");
	if (vu_dev_fd(e->dev) < 0)
		return;
	rx_fill(e);
	vr_ring(e, 0, &e->rx, e->rx.call);
	vr_ring(e, 1, &e->tx, e->tx.call);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
	desc_set(&e->tx, 0, 32 * MIB, 100, 0, 0);
	avail_push(&e->tx, 0);
}

/* The same, with the ring areas themselves past the end of the file. */
static void
mem_ring_past_eof(struct vg_nic *e)
{
	uint64_t at = (uintptr_t)e->mem.base + 16 * MIB;

	if (!acked(vr_features(e, 0), "features"))
		return;
	refused(vr_mem_own(e, 64 * MIB, 0), "a 64 MiB region in an 8 MiB file");
	if (vu_dev_fd(e->dev) < 0)
		return;
	vr_ring_at(e, 0, 256, at, at + 8192, at + 16384, e->rx.kick, e->rx.call);
	vr_ring_at(e, 1, 256, at + 32768, at + 40960, at + 49152, e->tx.kick, e->tx.call);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
}

static void
mem_offset_past_eof(struct vg_nic *e)
{
	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem_own(e, MIB, 16 * MIB), "a region at file offset 16 MiB of 8 MiB");
}

static void
mem_overflow(struct vg_nic *e)
{
	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem_own(e, 1ull << 63, 1ull << 63), "file offset + size overflowing");
}

static void
mem_zero_size(struct vg_nic *e)
{
	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem_own(e, 0, 0), "a region of size 0");
}

static void
mem_many(struct vg_nic *e)
{
	struct vhost_wire_mem_table t = { .nregions = 100 };

	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem(e, &t, 8, &e->mem.fd, 1), "100 regions claimed");
}

static void
mem_fd_missing(struct vg_nic *e)
{
	struct vhost_wire_mem_table t = { .nregions = 2 };

	for (unsigned int i = 0; i < 2; i++)
		t.regions[i] = (struct vhost_wire_region){
			.gpa = i * 4 * MIB, .size = 4 * MIB,
			.uaddr = (uintptr_t)e->mem.base + i * 4 * MIB, .mmap_offset = i * 4 * MIB,
		};
	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem(e, &t, 2, &e->mem.fd, 1), "2 regions, 1 fd");
}

static void
mem_pipe(struct vg_nic *e)
{
	struct vhost_wire_mem_table t = { .nregions = 1, .regions[0] = { .size = MIB } };
	int p[2];

	if (pipe(p) < 0)
		return;
	extra_fds[n_extra_fds++] = p[0];
	extra_fds[n_extra_fds++] = p[1];
	t.regions[0].uaddr = (uintptr_t)e->mem.base;
	if (acked(vr_features(e, 0), "features"))
		refused(vr_mem(e, &t, 1, &p[0], 1), "a pipe as guest memory");
}

static void
mem_wrap(struct vg_nic *e)
{
	struct vhost_wire_mem_table t = {
		.nregions = 1,
		.regions[0] = {
			.gpa = UINT64_MAX - MIB + 1, .size = e->mem.size,
			.uaddr = UINT64_MAX - MIB + 1,
		},
	};
	if (!acked(vr_features(e, 0), "features"))
		return;
	vr_mem(e, &t, 1, &e->mem.fd, 1);
	vr_ring_at(e, 0, 256, UINT64_MAX - MIB + 1, UINT64_MAX - MIB + 8193, 16384,
		e->rx.kick, e->rx.call);
	vr_ring(e, 1, &e->tx, e->tx.call);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
}

/* Dirty logging with a log of 'size' bytes at 'offset' in a file of 'file_size' bytes. */
static void
log_case(struct vg_nic *e, uint64_t file_size, uint64_t size, uint64_t offset,
	const char *what)
{
	uint64_t l[2] = { size, offset };
	int fd = memfd_create("vu-evil-log", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)file_size) < 0) {
		vg_check(false, "E: log file: %s", strerror(errno));
		return;
	}
	extra_fds[n_extra_fds++] = fd;
	if (!setup(e, BIT(VHOST_WIRE_F_LOG_ALL), e->tx.call))
		return;
	refused(vr_send(e, VHOST_WIRE_SET_LOG_BASE, l, sizeof(l), &fd, 1), what);
}

static void
log_past_eof(struct vg_nic *e)
{
	log_case(e, 0, 64 * 1024, 0, "a 64 KiB dirty log in an empty file");
}

static void
log_offset(struct vg_nic *e)
{
	log_case(e, 4 * MIB, 4096, 2 * MIB, "a dirty log at file offset 2 MiB");
}

/* SET_INFLIGHT_FD (a protocol feature vireo-dp never offered) over an empty file. */
static void
inflight_set(struct vg_nic *e)
{
	struct vr_inflight in = { .mmap_size = 4096, .num_queues = 2, .queue_size = 256 };
	int fd = memfd_create("vu-evil-inflight", MFD_CLOEXEC);

	if (fd < 0) {
		vg_check(false, "E: inflight file: %s", strerror(errno));
		return;
	}
	extra_fds[n_extra_fds++] = fd;
	if (setup_sane(e))
		refused(vr_send(e, VHOST_WIRE_SET_INFLIGHT_FD, &in, sizeof(in), &fd, 1),
			"SET_INFLIGHT_FD over an empty file");
}

/* GET_INFLIGHT_FD for 512 rings of 32768: 256 MiB to allocate and clear. */
static void
inflight_get(struct vg_nic *e)
{
	struct vr_inflight in = { .num_queues = 512, .queue_size = 32768 };

	if (acked(vr_features(e, 0), "features"))
		refused(vr_send(e, VHOST_WIRE_GET_INFLIGHT_FD, &in, sizeof(in), NULL, 0),
			"GET_INFLIGHT_FD of 512 rings of 32768");
}

/*
 * POSTCOPY_LISTEN, then a memory table whose confirmation E never sends: rte_vhost's one
 * message thread would wait for it, and no other guest could connect meanwhile.
 */
static void
postcopy(struct vg_nic *e)
{
	int rc;

	if (!acked(vr_features(e, 0), "features"))
		return;
	refused(vr_send(e, VHOST_WIRE_POSTCOPY_LISTEN, NULL, 0, NULL, 0), "POSTCOPY_LISTEN");
	vr_mem_own(e, e->mem.size, 0);
	vu_dev_disconnect(nic_a.dev);
	rc = vg_nic_connect(&nic_a, 5000);
	if (rc == 0)
		rc = vg_nic_restore(&nic_a);
	vg_check(rc == 0, "A: reconnects meanwhile %s", rc == 0 ? "" : vu_dev_error(nic_a.dev));
}

/* E transmits frames as fast as vireo-dp takes them; how many it took in 'ms'. */
static unsigned int
blast(struct vg_nic *e, int ms)
{
	int64_t end = vg_now_ms() + ms;
	unsigned int sent = 0;

	while (vg_now_ms() < end) {
		if (vg_send(e, e->seq) == 0) {
			e->seq++;
			sent++;
		} else {
			vg_sleep_ms(1);
		}
	}
	return sent;
}

/* The transmit ring's call fd is a one-page pipe nobody reads: full after 512 calls. */
static void
call_full_pipe(struct vg_nic *e)
{
	unsigned int sent;
	int p[2];

	if (pipe(p) < 0 || fcntl(p[1], F_SETPIPE_SZ, 4096) < 0) {
		vg_check(false, "E: pipe: %s", strerror(errno));
		return;
	}
	extra_fds[n_extra_fds++] = p[0];
	extra_fds[n_extra_fds++] = p[1];
	if (!setup(e, 0, p[1]))
		return;
	sent = blast(e, 3000);
	vg_check(sent > 2000, "E: vireo-dp kept taking E's frames with a full call pipe (%u)",
		sent);
}

/* The call fd is a pipe whose reader is gone: each call is EPIPE (and SIGPIPE). */
static void
call_broken_pipe(struct vg_nic *e)
{
	int p[2];

	if (pipe(p) < 0) {
		vg_check(false, "E: pipe: %s", strerror(errno));
		return;
	}
	close(p[0]);
	extra_fds[n_extra_fds++] = p[1];
	if (!setup(e, 0, p[1]))
		return;
	blast(e, 500);
}

/*
 * E's transmit ring with its used ring starting 1 KiB before the end of E's only region
 * (it needs 2052 bytes), then 1024 frames sent: rte_vhost refuses the ring, and no used
 * entry may be written past the region (into whatever is mapped after it, such as another
 * guest's memory).
 */
static void
used_straddle(struct vg_nic *e)
{
	uint8_t *end = e->mem.base + e->mem.size;
	struct vg_vq *vq = &e->tx;
	uint64_t one = 1;

	if (!acked(vr_features(e, 0), "features") ||
			!acked(vr_mem_own(e, e->mem.size, 0), "memory table"))
		return;
	rx_fill(e);
	if (!acked(vr_ring(e, 0, &e->rx, e->rx.call), "receive ring"))
		return;
	vr_ring_at(e, 1, 256, (uintptr_t)vq->desc, (uintptr_t)vq->avail, (uintptr_t)(end - 1024),
		vq->kick, vq->call);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
	vg_sleep_ms(300);
	for (uint16_t i = 0; i < 256; i++)
		desc_set(vq, i, tx_frame(e, i), VG_HDR_LEN + VG_FRAME_LEN, 0, 0);
	for (int round = 0; round < 8; round++) {
		for (uint16_t i = 0; i < 128; i++) {
			vq->avail->ring[vq->avail_idx % vq->size] = i;
			vq->avail_idx++;
		}
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
		if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
			perror("kick");
		vg_sleep_ms(100);
	}
}

/*
 * A running E replaces its memory table with one that cannot be mapped: a region over
 * 'fd' of 'size' bytes.  It must be refused before rte_vhost unmaps the table in use;
 * with 'quiet', E's rings are disabled first (no PMD touches them, only the message
 * thread's own handling of what follows).
 */
static void
mem_bad_running(struct vg_nic *e, int fd, uint64_t size, bool quiet, const char *what)
{
	struct vhost_wire_mem_table t = { .nregions = 1, .regions[0] = { .size = size } };

	if (!setup_sane(e))
		return;
	vg_sleep_ms(300);
	if (quiet) {
		acked(vr_state(e, VHOST_WIRE_SET_VRING_ENABLE, 1, 0), "ring 1 disabled");
		acked(vr_state(e, VHOST_WIRE_SET_VRING_ENABLE, 0, 0), "ring 0 disabled");
	}
	t.regions[0].uaddr = (uintptr_t)e->mem.base;
	refused(vr_mem(e, &t, 1, &fd, 1), what);
	vg_sleep_ms(300);
	vr_features(e, 0);
	vr_u64(e, VHOST_WIRE_SET_STATUS, VHOST_WIRE_STATUS_DRIVER_READY);
	vg_sleep_ms(500);
}

/* A pipe as guest memory of E's running device, its rings disabled first when 'quiet'. */
static void
mem_pipe_on_running(struct vg_nic *e, bool quiet)
{
	int p[2];

	if (pipe(p) < 0)
		return;
	extra_fds[n_extra_fds++] = p[0];
	extra_fds[n_extra_fds++] = p[1];
	mem_bad_running(e, p[0], MIB, quiet, "a pipe as guest memory of a running device");
}

static void
mem_pipe_running(struct vg_nic *e)
{
	mem_pipe_on_running(e, false);
}

static void
mem_pipe_quiet(struct vg_nic *e)
{
	mem_pipe_on_running(e, true);
}

static void
mem_zero_running(struct vg_nic *e)
{
	mem_bad_running(e, e->mem.fd, 0, false, "a region of size 0 on a running device");
}

/*
 * E's memory file opened read-only, for half of it (another table: rte_vhost maps it anew,
 * read-write).
 */
static void
mem_readonly_running(struct vg_nic *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->mem.fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vg_check(false, "E: %s: %s", path, strerror(errno));
		return;
	}
	extra_fds[n_extra_fds++] = fd;
	mem_bad_running(e, fd, e->mem.size / 2, false,
		"a read-only memory file on a running device");
}

/* A's socket's path, into 'pa' (200 bytes): E's with the last digit 0. */
static void
path_a(char *pa)
{
	snprintf(pa, 200, "%s", path_e);
	pa[strlen(pa) - 1] = '0';
}

/*
 * NIC 'x' on A's socket, connected and started (0), or -1 when it cannot even be set up
 * (nothing to clean); checked either way.
 */
static int
x_on_a_socket(struct vg_nic *x, char *pa)
{
	struct vu_opts ox = { .timeout_ms = 2000 };
	int rc;

	path_a(pa);
	ox.path = pa;
	if (vg_nic_init(x, "X", 0x7, &ox) < 0)
		return -1;
	rc = vg_nic_connect(x, 2000);
	if (rc == 0)
		rc = vg_nic_start(x);
	vg_check(rc == 0, "X: connects to A's socket and starts %s", rc == 0 ? "" :
		vu_dev_error(x->dev));
	return rc == 0 ? 0 : 1;
}

/*
 * X connects to A's socket while A runs and starts a device there: the device is kept off
 * the port (X's frames reach nobody), A keeps the port, and X leaves.
 */
static void
second_conn(struct vg_nic *e)
{
	unsigned int bad = 0;
	char pa[200];
	struct vg_nic x;
	int rc;

	(void)e;
	rc = x_on_a_socket(&x, pa);
	if (rc < 0)
		return;
	if (rc == 0)
		vg_check(!vg_flow(&x, (struct vg_nic *[]){ &nic_b }, 1, 1000, &bad),
			"X: its frames reach nobody (its device is kept off the port)");
	vg_nic_fini(&x);
	vg_sleep_ms(300);
}

/*
 * X starts a device on A's socket while A runs (it waits, accepted but off the port), then
 * A leaves: X's device takes the port and reaches B without sending another message.  Then
 * X leaves and A comes back.
 */
static void
waiting_takes_port(struct vg_nic *e)
{
	struct vu_opts oa = { 0 };
	unsigned int bad = 0;
	char pa[200];
	struct vg_nic x;
	int rc;

	(void)e;
	rc = x_on_a_socket(&x, pa);
	if (rc < 0)
		return;
	oa.path = pa;
	vg_nic_fini(&nic_a);
	vg_sleep_ms(500);
	if (rc == 0)
		vg_check(vg_flow(&x, (struct vg_nic *[]){ &nic_b }, 1, FLOW_MS, &bad),
			"X: once A left, X's device has the port and reaches B");
	vg_nic_fini(&x);
	vg_sleep_ms(300);
	rc = vg_nic_init(&nic_a, "A", 0xa, &oa);
	if (rc == 0)
		rc = vg_nic_connect(&nic_a, CONNECT_MS);
	if (rc == 0)
		rc = vg_nic_start(&nic_a);
	vg_check(rc == 0, "A: connects again and starts (%d)", rc);
}

struct rarp_seen {
	const uint8_t *mac;
	bool seen;
};

static void
rarp_look(void *aux, const uint8_t *f, uint32_t len)
{
	struct rarp_seen *s = aux;

	if (len >= 14 && f[12] == 0x80 && f[13] == 0x35 && memcmp(f + 6, s->mac, 6) == 0)
		s->seen = true;
}

/* SEND_RARP (after a migration): vireo-dp sends the RARP from E's MAC, A receives it. */
static void
send_rarp(struct vg_nic *e)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0e };
	struct rarp_seen s = { mac, false };
	uint64_t payload = 0;

	if (!setup_sane(e))
		return;
	vg_sleep_ms(300);
	memcpy(&payload, mac, sizeof(mac));
	acked(vr_u64(e, VHOST_WIRE_SEND_RARP, payload), "SEND_RARP");
	for (int64_t end = vg_now_ms() + 2000; !s.seen && vg_now_ms() < end; vg_sleep_ms(20))
		vg_recv_raw(&nic_a, rarp_look, &s);
	vg_check(s.seen, "A: received the RARP from E's MAC");
}

static void
sane_at_last(struct vg_nic *e)
{
	unsigned int bad = 0;

	if (!setup_sane(e))
		return;
	vg_check(vg_flow(&nic_a, (struct vg_nic *[]){ e }, 1, FLOW_MS, &bad) && bad == 0,
		"E: a sane guest on the abused port receives from A");
	vg_check(vg_flow(e, (struct vg_nic *[]){ &nic_a }, 1, FLOW_MS, &bad) && bad == 0,
		"E: a sane guest on the abused port reaches A");
}

struct evil_case {
	const char *name;
	void (*run)(struct vg_nic *e);
};

static const struct evil_case cases[] = {
	{ "tx descriptor outside guest memory", tx_outside },
	{ "tx descriptor across the end of guest memory", tx_straddle },
	{ "tx descriptor of 4 GiB", tx_len_4g },
	{ "tx packet of 6 MiB", tx_6mib },
	{ "tx chain looping 0 -> 1 -> 0", tx_loop },
	{ "tx descriptor chained to itself", tx_self },
	{ "tx chain to descriptor 40000 of 256", tx_next_oob },
	{ "tx avail entry 999 of 256", tx_avail_oob },
	{ "tx avail index 1000 ahead", tx_avail_jump },
	{ "tx runt packets (0, 0, 1 and 13 bytes)", tx_runts },
	{ "tx chain through all 256 descriptors", tx_long_chain },
	{ "tx indirect table outside guest memory", ind_outside },
	{ "tx indirect table of 5000 entries", ind_too_long },
	{ "tx indirect table of 7 bytes", ind_7_bytes },
	{ "tx indirect chain looping", ind_loop },
	{ "tx indirect table nested in itself", ind_nested },
	{ "rx descriptors outside guest memory", rx_outside },
	{ "rx descriptors chained to themselves", rx_loop },
	{ "rx avail index 5000 ahead", rx_avail_jump },
	{ "rx avail entries out of range", rx_avail_oob },
	{ "rx buffers of 4 bytes", rx_tiny },
	{ "rx buffers over the descriptor table", rx_over_ring },
	{ "rx buffers not marked writable", rx_readonly },
	{ "rx indirect tables pointing outside guest memory", rx_ind_outside },
	{ "rx indirect tables looping", rx_ind_loop },
	{ "rx indirect tables nested in themselves", rx_ind_nested },
	{ "rx indirect tables of 40000 entries", rx_ind_huge },
	{ "ring sizes 0, 3, 65536", msg_ring_size },
	{ "ring index 300", msg_ring_index },
	{ "ring resized while in use", msg_ring_resize },
	{ "ring areas outside the memory table", msg_ring_outside },
	{ "used ring across the end of its region", used_straddle },
	{ "features never offered", msg_features },
	{ "memory region past the end of its file", mem_past_eof },
	{ "ring areas past the end of the memory file", mem_ring_past_eof },
	{ "memory region at an offset past the end of its file", mem_offset_past_eof },
	{ "memory region offset + size overflowing", mem_overflow },
	{ "memory region of size 0", mem_zero_size },
	{ "memory table of 100 regions", mem_many },
	{ "memory table with a missing fd", mem_fd_missing },
	{ "memory region backed by a pipe", mem_pipe },
	{ "memory region wrapping past 2^64", mem_wrap },
	{ "pipe memory table on a running device", mem_pipe_running },
	{ "pipe memory table on a running device with its rings disabled", mem_pipe_quiet },
	{ "zero-size memory table on a running device", mem_zero_running },
	{ "read-only memory file on a running device", mem_readonly_running },
	{ "dirty log past the end of its file", log_past_eof },
	{ "dirty log at a file offset", log_offset },
	{ "inflight area over an empty file", inflight_set },
	{ "inflight area of 256 MiB", inflight_get },
	{ "postcopy: a memory table never confirmed", postcopy },
	{ "call fd: a full pipe", call_full_pipe },
	{ "call fd: a pipe without reader", call_broken_pipe },
	{ "second connection on A's socket", second_conn },
	{ "a waiting connection takes the port when A leaves", waiting_takes_port },
	{ "SEND_RARP", send_rarp },
	{ "a sane guest after all that", sane_at_last },
};

/*
 * After case 'name': vireo-dp runs, A and B forward both ways (their broadcasts also flood
 * into E's receive ring), and vireo-dp still runs after that; else it is restarted.
 */
static bool
judge(const char *name)
{
	unsigned int bad = 0;
	bool ab = false, ba = false, alive;

	vg_sleep_ms(300);
	if (dp_alive()) {
		ab = vg_flow(&nic_a, (struct vg_nic *[]){ &nic_b }, 1, FLOW_MS, &bad);
		ba = vg_flow(&nic_b, (struct vg_nic *[]){ &nic_a }, 1, FLOW_MS, &bad);
		vg_sleep_ms(200);
	}
	alive = dp_alive();
	vg_check(alive, "%s: vireo-dp survives %s", name, alive ? "" : dp_death);
	if (alive)
		vg_check(ab && ba && bad == 0, "%s: A and B still forward both ways (%s, %s, %u bad)",
			name, ab ? "A->B" : "not A->B", ba ? "B->A" : "not B->A", bad);
	return alive && ab && ba;
}

int
main(int argc, char **argv)
{
	const char *only = getenv("VU_EVIL_ONLY");
	char pa[200], pb[200];
	int rc;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: %s RUNDIR -- VIREO-DP-COMMAND...\n", argv[0]);
		return 2;
	}
	vg_test_name = "vu_evil";
	dp_argv = &argv[3];
	snprintf(dp_log, sizeof(dp_log), "%s/dp.log", argv[1]);
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	snprintf(path_e, sizeof(path_e), "%s/vhu2", argv[1]);
	struct vu_opts oa = { .path = pa }, ob = { .path = pb };
	struct vu_opts oe = { .path = path_e, .timeout_ms = 2000 };

	if (vg_nic_init(&nic_a, "A", 0xa, &oa) < 0 || vg_nic_init(&nic_b, "B", 0xb, &ob) < 0)
		return 1;
	dp_start();
	rc = vg_nic_connect(&nic_a, CONNECT_MS);
	if (rc == 0)
		rc = vg_nic_start(&nic_a);
	if (rc == 0)
		rc = vg_nic_connect(&nic_b, CONNECT_MS);
	if (rc == 0)
		rc = vg_nic_start(&nic_b);
	vg_check(rc == 0, "A and B connected and started %s",
		rc == 0 ? "" : vu_dev_error(rc ? nic_a.dev : nic_b.dev));
	if (rc != 0 || !judge("before any abuse"))
		goto out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vg_nic e;
		bool ok;

		if (only != NULL && strstr(cases[i].name, only) == NULL)
			continue;
		printf("--- %s\n", cases[i].name);
		fflush(stdout);
		if (vg_nic_init(&e, "E", 0xe, &oe) < 0)
			break;
		rc = vg_nic_connect(&e, CONNECT_MS);
		vg_check(rc == 0, "%s: E connects %s", cases[i].name,
			rc == 0 ? "" : vu_dev_error(e.dev));
		n_extra_fds = 0;
		if (rc == 0)
			cases[i].run(&e);
		ok = judge(cases[i].name);
		vg_nic_fini(&e);
		for (unsigned int k = 0; k < n_extra_fds; k++)
			close(extra_fds[k]);
		if (!ok)
			recover();
	}
	vg_check(dp_alive(), "vireo-dp still runs after every case %s", dp_death);
out:
	vg_nic_fini(&nic_a);
	vg_nic_fini(&nic_b);
	dp_stop(true);
	printf("%s: %d failure(s)\n", vg_test_name, vg_failures);
	return vg_failures ? 1 : 0;
}

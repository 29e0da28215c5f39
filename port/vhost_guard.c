/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of vhost-user messages that rte_vhost does not make (see vhost_guard.h), as an
 * rte_vhost external pre-message handler, and non-blocking call fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_vhost.h>

#include "vhost_guard.h"
#include "vhost_wire.h"

/*
 * Where refusals are logged: set by vhost_guard_connection() and read by the message
 * checks, all on rte_vhost's one message thread.
 */
static void (*guard_log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A message as rte_vhost hands it to external handlers: DPDK 22.11's struct vhu_msg_context
 * (lib/vhost/vhost_user.h, kept stable for external handlers): a 12-byte header, the
 * payload union (632 bytes: its largest member is the crypto session), then the file
 * descriptors that came with the message and their count.
 */
#define GUARD_PAYLOAD_SIZE 632

struct guard_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct vhost_wire_vring_state state;
		struct vhost_wire_vring_addr addr;
		struct vhost_wire_mem_table mem;
		struct vhost_wire_log log;
		uint8_t bytes[GUARD_PAYLOAD_SIZE];
	} payload;
	int fds[VHOST_WIRE_MAX_FDS];
	int fd_num;
} __attribute__((packed));

_Static_assert(sizeof(struct guard_msg) == VHOST_GUARD_MSG_SIZE,
	"rte_vhost message context layout");

/* Refuse 'm': close its fds (rte_vhost does not when a handler fails it), log why. */
static enum rte_vhost_msg_result
refuse(int vid, struct guard_msg *m, const char *fmt, ...)
{
	char path[108] = "?", why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rte_vhost_get_ifname(vid, path, sizeof(path));
	if (guard_log != NULL)
		guard_log("vhost-user %s: %s: refused", path, why);
	for (int i = 0; i < m->fd_num; i++) {
		close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->fd_num = 0;
	return RTE_VHOST_MSG_RESULT_ERR;
}

/*
 * fstat 'fd' into '*st' and say in '*size' the size of the file, or -1 when it is not a
 * regular file or fstat fails (no limit known): 0, or -errno when fstat fails.
 */
static int
file_stat(int fd, struct stat *st, int64_t *size)
{
	*size = -1;
	if (fstat(fd, st) < 0)
		return -errno;
	if (S_ISREG(st->st_mode))
		*size = st->st_size;
	return 0;
}

/*
 * Map 'len' bytes of 'fd' from its start read-write and shared, as rte_vhost maps a region
 * (rounded up to 'st's block size, 'st' being the file's fstat), and unmap them at once: 0,
 * or why rte_vhost would fail to (-errno).  rte_vhost finds out only after it has unmapped
 * the table in use, and leaves a running device's rings pointing into memory it no longer
 * has.
 */
static int
trial_map(int fd, const struct stat *st, uint64_t len)
{
	uint64_t blk;
	void *p;

	blk = st->st_blksize > 0 ? (uint64_t)st->st_blksize : 1;
	if (len > SIZE_MAX - blk)
		return -EOVERFLOW;
	len = (len + blk - 1) / blk * blk;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	munmap(p, (size_t)len);
	return 0;
}

/* Region 'i' of 'm' is refused unless rte_vhost can map it and use all of it. */
static enum rte_vhost_msg_result
check_region(int vid, struct guard_msg *m, uint32_t i)
{
	const struct vhost_wire_region *r = &m->payload.mem.regions[i];
	unsigned long long off = r->mmap_offset, size = r->size;
	struct stat st;
	int64_t len;
	int rc;

	if (size == 0)
		return refuse(vid, m, "SET_MEM_TABLE region %u of size 0", i);
	if (off + size < off)
		return refuse(vid, m, "SET_MEM_TABLE region %u: file offset 0x%llx + size 0x%llx "
			"overflows", i, off, size);
	rc = file_stat(m->fds[i], &st, &len);
	if (len >= 0 && off + size > (uint64_t)len)
		return refuse(vid, m, "SET_MEM_TABLE region %u (file offset 0x%llx, size 0x%llx) "
			"extends past the end of its file (0x%llx bytes)", i, off, size,
			(unsigned long long)len);
	if (rc == 0)
		rc = trial_map(m->fds[i], &st, off + size);
	if (rc < 0)
		return refuse(vid, m, "SET_MEM_TABLE region %u (file offset 0x%llx, size 0x%llx) "
			"cannot be mapped read-write shared: %s", i, off, size, strerror(-rc));
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static enum rte_vhost_msg_result
check_mem_table(int vid, struct guard_msg *m)
{
	uint32_t n = m->payload.mem.nregions;

	/* Malformed tables are rte_vhost's to refuse (before it touches the table in use). */
	if (n > VHOST_WIRE_MAX_FDS || n != (uint32_t)m->fd_num ||
			m->size < 8 + n * sizeof(struct vhost_wire_region))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	for (uint32_t i = 0; i < n; i++)
		if (check_region(vid, m, i) == RTE_VHOST_MSG_RESULT_ERR)
			return RTE_VHOST_MSG_RESULT_ERR;
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static enum rte_vhost_msg_result
check_log_base(int vid, struct guard_msg *m)
{
	uint64_t size = m->payload.log.mmap_size, off = m->payload.log.mmap_offset;
	struct stat st;
	int64_t len;

	if (m->size != sizeof(m->payload.log) || m->fd_num != 1)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (off != 0)
		return refuse(vid, m, "SET_LOG_BASE at file offset 0x%llx (only 0 is supported)",
			(unsigned long long)off);
	file_stat(m->fds[0], &st, &len);
	if (len >= 0 && size > (uint64_t)len)
		return refuse(vid, m, "SET_LOG_BASE of 0x%llx bytes extends past the end of its "
			"file (0x%llx bytes)", (unsigned long long)size, (unsigned long long)len);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

/*
 * rte_vhost takes a new size for a ring whose areas it has mapped for the old one, and its
 * PMD accesses then run past them: a size may change only while the ring is unmapped (after
 * GET_VRING_BASE, as a frontend restarts a ring).
 */
static enum rte_vhost_msg_result
check_vring_num(int vid, struct guard_msg *m)
{
	uint32_t idx = m->payload.state.index, num = m->payload.state.num;
	struct rte_vhost_vring vr;

	if (m->size != sizeof(m->payload.state) || idx > UINT16_MAX ||
			rte_vhost_get_vhost_vring(vid, (uint16_t)idx, &vr) != 0)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (vr.desc != NULL && num != vr.size)
		return refuse(vid, m, "SET_VRING_NUM %u for ring %u, mapped with %u entries", num,
			idx, vr.size);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

/*
 * rte_vhost serves requests of protocol features it never offered: refuse 'm' unless the
 * socket offers protocol feature 'bit'.
 */
static enum rte_vhost_msg_result
check_offered(int vid, struct guard_msg *m, unsigned int bit, const char *what)
{
	char path[108];
	uint64_t pf = 0;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) == 0 &&
			rte_vhost_driver_get_protocol_features(path, &pf) == 0 &&
			(pf & (1ull << bit)))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	return refuse(vid, m, "request %u (%s) without its protocol feature", m->request, what);
}

/*
 * rte_vhost offers every frontend its own maximum of queue pairs (128), more than a port
 * polls: the guest would spread its traffic over rings nobody drains.  Answer with what
 * is polled.
 */
static enum rte_vhost_msg_result
answer_queue_num(struct guard_msg *m)
{
	m->payload.u64 = VHOST_GUARD_MAX_QP;
	m->size = sizeof(m->payload.u64);
	return RTE_VHOST_MSG_RESULT_REPLY;
}

/* The ring a ring request names, or -1 when the message is too short to say. */
static int64_t
ring_index(const struct guard_msg *m)
{
	switch (m->request) {
	case VHOST_WIRE_SET_VRING_NUM:
	case VHOST_WIRE_SET_VRING_BASE:
	case VHOST_WIRE_GET_VRING_BASE:
	case VHOST_WIRE_SET_VRING_ENABLE:
		return m->size >= sizeof(m->payload.state) ? (int64_t)m->payload.state.index : -1;
	case VHOST_WIRE_SET_VRING_ADDR:
		return m->size >= sizeof(m->payload.addr) ? (int64_t)m->payload.addr.index : -1;
	case VHOST_WIRE_SET_VRING_KICK:
	case VHOST_WIRE_SET_VRING_CALL:
	case VHOST_WIRE_SET_VRING_ERR:
		return m->size >= sizeof(m->payload.u64) ?
			(int64_t)(m->payload.u64 & VHOST_WIRE_VRING_INDEX_MASK) : -1;
	default:
		return -1;
	}
}

static enum rte_vhost_msg_result
guard_pre(int vid, void *msg)
{
	struct guard_msg *m = msg;
	int64_t ring;

	if (m->fd_num < 0 || m->fd_num > VHOST_WIRE_MAX_FDS)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	ring = ring_index(m);
	if (ring >= 2 * VHOST_GUARD_MAX_QP)
		return refuse(vid, m, "request %u for ring %lld: %d queue pairs were offered",
			m->request, (long long)ring, VHOST_GUARD_MAX_QP);
	switch (m->request) {
	case VHOST_WIRE_GET_QUEUE_NUM:
		return answer_queue_num(m);
	case VHOST_WIRE_SET_MEM_TABLE:
		return check_mem_table(vid, m);
	case VHOST_WIRE_SET_LOG_BASE:
		return check_log_base(vid, m);
	case VHOST_WIRE_SET_VRING_NUM:
		return check_vring_num(vid, m);
	case VHOST_WIRE_POSTCOPY_ADVISE:
	case VHOST_WIRE_POSTCOPY_LISTEN:
	case VHOST_WIRE_POSTCOPY_END:
		return check_offered(vid, m, VHOST_WIRE_PF_PAGEFAULT, "postcopy");
	case VHOST_WIRE_GET_INFLIGHT_FD:
	case VHOST_WIRE_SET_INFLIGHT_FD:
		return check_offered(vid, m, VHOST_WIRE_PF_INFLIGHT_SHMFD, "inflight");
	default:
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	}
}

int
vhost_guard_check(int vid, void *msg)
{
	return guard_pre(vid, msg);
}

/* The port's hooks around every message (vhost_guard_connection), message thread only. */
static void (*guard_before)(int vid, const struct vhost_guard_msg_info *mi);
static void (*guard_after)(int vid, const struct vhost_guard_msg_info *mi);

static void
msg_info(const struct guard_msg *m, struct vhost_guard_msg_info *mi)
{
	mi->request = m->request;
	mi->ring = ring_index(m);
	mi->num = m->request == VHOST_WIRE_SET_VRING_ENABLE && mi->ring >= 0 ?
		m->payload.state.num : 0;
}

static enum rte_vhost_msg_result
guard_pre_hooked(int vid, void *msg)
{
	struct vhost_guard_msg_info mi;
	enum rte_vhost_msg_result r;

	msg_info(msg, &mi);
	r = guard_pre(vid, msg);
	/*
	 * A refused message changes nothing, and rte_vhost skips the post hook after it: the
	 * port hears of it neither before nor after.  (After a message that rte_vhost's own
	 * handler fails, the hooks around the next message restore the port's state.)
	 */
	if (r != RTE_VHOST_MSG_RESULT_ERR && guard_before != NULL)
		guard_before(vid, &mi);
	return r;
}

static enum rte_vhost_msg_result
guard_post(int vid, void *msg)
{
	struct vhost_guard_msg_info mi;

	msg_info(msg, &mi);
	if (guard_after != NULL)
		guard_after(vid, &mi);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops guard_ops = {
	.pre_msg_handle = guard_pre_hooked,
	.post_msg_handle = guard_post,
};

void
vhost_guard_connection(int vid, void (*log)(const char *fmt, ...),
	void (*before)(int vid, const struct vhost_guard_msg_info *mi),
	void (*after)(int vid, const struct vhost_guard_msg_info *mi))
{
	guard_log = log;
	guard_before = before;
	guard_after = after;
	if (rte_vhost_extern_callback_register(vid, &guard_ops, NULL) != 0)
		log("vhost-user device %d: cannot install the message checks", vid);
}

void
vhost_guard_vring(int vid, uint16_t q)
{
	struct rte_vhost_vring vr;
	int flags;

	if (rte_vhost_get_vhost_vring(vid, q, &vr) != 0 || vr.callfd < 0)
		return;
	flags = fcntl(vr.callfd, F_GETFL);
	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(vr.callfd, F_SETFL, flags | O_NONBLOCK);
}

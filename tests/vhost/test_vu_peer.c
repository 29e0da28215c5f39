/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the vhost-user frontend against a scripted backend (vu_fake.c): what goes
 * on the wire for a sane backend, and errors (never a crash or a hang) for a backend that
 * is silent, sends garbage, wrong sizes, foreign fds, refuses requests or hangs up; bad
 * arguments from the caller; server-mode sockets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_wire.h"
#include "vu_fake.h"
#include "vu_guest.h"

#define TIMEOUT_MS 300

static char dir[64];

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	while (d != NULL && readdir(d) != NULL)
		n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* A test NIC whose device talks to a fresh fake backend in 'mode'. */
static void
setup(struct vg_nic *nic, struct vu_fake *f, enum vu_fake_mode mode)
{
	struct vu_opts o = { .timeout_ms = TIMEOUT_MS, .queue_pairs = 2 };

	if (vu_fake_start(f, mode, dir, false) < 0) {
		perror("fake backend");
		exit(1);
	}
	o.path = f->path;
	if (vg_nic_init(nic, "nic", 1, &o) < 0)
		exit(1);
}

static void
teardown(struct vg_nic *nic, struct vu_fake *f)
{
	vg_nic_fini(nic);
	vu_fake_join(f);
}

/* Connect to a fake in 'mode': the return code of vu_dev_connect(), and how long it took. */
static int
connect_mode(enum vu_fake_mode mode, int64_t *ms, char *err, size_t errlen)
{
	struct vg_nic nic;
	struct vu_fake f;
	int64_t t0;
	int rc;

	setup(&nic, &f, mode);
	t0 = vg_now_ms();
	rc = vu_dev_connect(nic.dev, 0);
	*ms = vg_now_ms() - t0;
	snprintf(err, errlen, "%s", vu_dev_error(nic.dev));
	if (rc < 0 && (vu_dev_connected(nic.dev) || vu_dev_fd(nic.dev) >= 0))
		rc = -9999;
	teardown(&nic, &f);
	return rc;
}

static void
test_sane_backend(void)
{
	static const uint32_t order[] = {
		3, 1, 15, 16, 17, 2, 5,		/* handshake, features, memory */
		8, 9, 10, 13, 12, 18,		/* ring 0 */
		8, 9, 10, 13, 12, 18,		/* ring 1 */
		8, 9, 10, 13, 12, 18,		/* ring 2 */
		8, 9, 10, 13, 12, 18,		/* ring 3 */
		39,				/* status */
		18, 11, 18, 11, 18, 11, 18, 11,	/* stop the four rings */
		39,				/* status 0 */
	};
	struct vg_nic nic;
	struct vu_fake f;
	uint64_t v;
	bool ok;
	int rc;

	setup(&nic, &f, FAKE_GOOD);
	rc = vu_dev_connect(nic.dev, 0);
	vg_check(rc == 0, "connects to a sane backend %s", rc == 0 ? "" : vu_dev_error(nic.dev));
	vg_check(vu_dev_protocol_features(nic.dev) == ((1ull << VU_PROTOCOL_F_MQ) |
			(1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_STATUS)),
		"negotiates MQ, REPLY_ACK, STATUS only (0x%llx)",
		(unsigned long long)vu_dev_protocol_features(nic.dev));
	vg_check(vu_dev_queue_pairs(nic.dev) == 2, "queue pairs = min(backend %d, wanted 2)",
		FAKE_QUEUES);
	v = vu_net_offer(nic.dev, ~0ull);
	vg_check((v & (1ull << VIRTIO_NET_F_MQ)) && (v & (1ull << VIRTIO_NET_F_CSUM)) &&
		!(v & (1ull << VIRTIO_NET_F_GUEST_TSO4)) &&
		!(v & (1ull << VU_F_PROTOCOL_FEATURES)) &&
		!(v & (1ull << VIRTIO_F_RING_PACKED)),
		"offers the guest backend offloads only, MQ, no packed rings (0x%llx)",
		(unsigned long long)v);
	rc = vg_nic_start(&nic);
	vg_check(rc == 0, "features, memory table, four rings, status %s",
		rc == 0 ? "" : vu_dev_error(nic.dev));
	rc = vu_dev_stop(nic.dev);
	vg_check(rc == 0 && !vu_ring_started(nic.dev, 0), "device stop");
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);

	ok = f.n == sizeof(order) / sizeof(order[0]);
	for (unsigned int i = 0; ok && i < f.n; i++)
		ok = f.log[i].req == order[i];
	vg_check(ok, "message order on the wire (%u messages)", f.n);
	ok = true;
	for (unsigned int i = 0; i < f.n; i++) {
		uint32_t r = f.log[i].req;
		bool want_ack = i > 3 && r != 17 && r != 11;

		ok = ok && (f.log[i].flags & 3) == 1 &&
			!!(f.log[i].flags & 0x8) == want_ack;
	}
	vg_check(ok, "version 1 on every message, NEED_REPLY on every SET_* after REPLY_ACK");
	memcpy(&v, f.log[3].payload, 8);
	vg_check(f.log[3].size == 8 && v == 0x10009, "SET_PROTOCOL_FEATURES 0x%llx",
		(unsigned long long)v);
	memcpy(&v, f.log[5].payload, 8);
	vg_check(v == ((1ull << 32) | (1ull << 30) | (1ull << 15) | (1ull << 5) | (1ull << 16)),
		"SET_FEATURES: acked and offered, with PROTOCOL_FEATURES, no CTRL_VQ (0x%llx)",
		(unsigned long long)v);
	vg_check(f.log[6].nfds == 1 && f.log[6].size == 8 + 32, "SET_MEM_TABLE: 1 region, 1 fd");
	vg_check(f.log[10].nfds == 1 && f.log[11].nfds == 1,
		"SET_VRING_CALL/KICK carry their eventfd");
	{
		uint32_t st[2];

		memcpy(st, f.log[9].payload, 8);
		vg_check(st[0] == 0 && st[1] == 0, "SET_VRING_BASE ring 0 from 0");
		memcpy(st, f.log[7].payload, 8);
		vg_check(st[0] == 0 && st[1] == VG_QUEUE_SIZE, "SET_VRING_NUM ring 0 %u", st[1]);
	}
	vg_nic_fini(&nic);
}

static void
test_bad_backends(void)
{
	static const struct {
		enum vu_fake_mode mode;
		int rc;
		const char *what;
	} cases[] = {
		{ FAKE_SILENT, -ETIMEDOUT, "a silent backend" },
		{ FAKE_WRONG_REQ, -EPROTO, "a reply to another request" },
		{ FAKE_SHORT, -EPROTO, "a 4-byte GET_FEATURES reply" },
		{ FAKE_HUGE, -EPROTO, "a reply claiming 4 GiB" },
		{ FAKE_NO_REPLY_FLAG, -EPROTO, "a reply without the reply flag" },
		{ FAKE_BAD_VERSION, -EPROTO, "a reply of version 2" },
		{ FAKE_FDS, -EPROTO, "a reply carrying a file descriptor" },
		{ FAKE_NO_VERSION_1, -ENOTSUP, "a backend without VERSION_1" },
		{ FAKE_ZERO_QUEUES, -EPROTO, "GET_QUEUE_NUM 0" },
		{ FAKE_HANGUP, -ECONNRESET, "a hang-up in the handshake" },
		{ FAKE_GARBAGE, -EPROTO, "garbage for a reply" },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int fds = open_fds();
		char err[256];
		int64_t ms;
		int rc = connect_mode(cases[i].mode, &ms, err, sizeof(err));

		vg_check(rc == cases[i].rc && ms < 3 * TIMEOUT_MS,
			"%s: %d (want %d) in %lld ms, connection closed: %s", cases[i].what, rc,
			cases[i].rc, (long long)ms, err);
		vg_check(open_fds() == fds, "%s: no descriptor leaked", cases[i].what);
	}
}

static void
test_bad_replies_later(void)
{
	struct vg_nic nic;
	struct vu_fake f;
	struct pollfd p;
	uint16_t base;
	int rc;

	setup(&nic, &f, FAKE_NACK_MEM);
	vu_dev_connect(nic.dev, 0);
	rc = vg_nic_start(&nic);
	vg_check(rc == -EIO && vu_dev_connected(nic.dev),
		"REPLY_ACK failure on SET_MEM_TABLE: -EIO, still connected (%d: %s)", rc,
		vu_dev_error(nic.dev));
	teardown(&nic, &f);

	setup(&nic, &f, FAKE_BAD_BASE);
	vu_dev_connect(nic.dev, 0);
	vg_nic_start(&nic);
	rc = vu_ring_stop(nic.dev, 1, &base);
	vg_check(rc == -EPROTO && !vu_dev_connected(nic.dev),
		"GET_VRING_BASE reply for another ring: -EPROTO, dropped (%s)",
		vu_dev_error(nic.dev));
	teardown(&nic, &f);

	setup(&nic, &f, FAKE_GOOD);
	vu_dev_connect(nic.dev, 0);
	vg_nic_start(&nic);
	rc = vu_ring_stop(nic.dev, 1, &base);
	vg_check(rc == 0 && base == FAKE_BASE, "GET_VRING_BASE: base %u", base);
	teardown(&nic, &f);

	setup(&nic, &f, FAKE_SILENT_ACK);
	vu_dev_connect(nic.dev, 0);
	int64_t t0 = vg_now_ms();

	rc = vg_nic_start(&nic);
	vg_check(rc == -ETIMEDOUT && vg_now_ms() - t0 < 3 * TIMEOUT_MS &&
		!vu_dev_connected(nic.dev), "an acknowledgement that never comes: -ETIMEDOUT");
	teardown(&nic, &f);

	setup(&nic, &f, FAKE_UNSOLICITED);
	vu_dev_connect(nic.dev, 0);
	p = (struct pollfd){ .fd = vu_dev_fd(nic.dev), .events = POLLIN };
	rc = poll(&p, 1, 2000);
	rc = rc == 1 ? vu_dev_poll(nic.dev) : -9999;
	vg_check(rc == -EPROTO && vu_dev_fd(nic.dev) < 0,
		"an unsolicited message: vu_dev_poll -EPROTO, dropped");
	teardown(&nic, &f);
}

static void
test_reconnect_checks(void)
{
	struct vg_nic nic;
	struct vu_fake f;
	int rc;

	setup(&nic, &f, FAKE_GOOD);
	vu_dev_connect(nic.dev, 0);
	vg_nic_start(&nic);
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);
	rc = vu_dev_restore(nic.dev, NULL, 0);
	vg_check(rc == -ENOTCONN, "restore without a connection: -ENOTCONN");
	rc = vu_dev_connect(nic.dev, 0);
	vg_check(rc == -ENOENT, "client connect to a missing socket: %d (%s)", rc,
		vu_dev_error(nic.dev));
	vg_check(vu_ring_started(nic.dev, 1), "the rings stay configured for a restore");
	vg_nic_fini(&nic);
}

static void
test_bad_arguments(void)
{
	struct vg_nic nic;
	struct vu_fake f;
	struct vu_ring r;
	struct vu_mem_region reg[VU_MAX_MEM_REGIONS + 1];
	unsigned int before;
	int rc;

	setup(&nic, &f, FAKE_GOOD);
	vu_dev_connect(nic.dev, 0);
	rc = vu_dev_set_features(nic.dev, 1ull << VIRTIO_NET_F_MRG_RXBUF);
	vg_check(rc == -EINVAL, "features without VERSION_1: -EINVAL");
	rc = vu_dev_set_features(nic.dev, (1ull << VIRTIO_F_VERSION_1) |
		(1ull << VIRTIO_NET_F_GUEST_TSO4));
	vg_check(rc == -EINVAL, "a feature the backend does not offer: -EINVAL (%s)",
		vu_dev_error(nic.dev));
	rc = vu_dev_set_features(nic.dev, (1ull << VIRTIO_F_VERSION_1) |
		(1ull << VIRTIO_F_RING_PACKED));
	vg_check(rc == -EINVAL, "packed rings: -EINVAL");
	memset(&r, 0, sizeof(r));
	r.size = 256;
	r.desc = nic.rx.desc;
	r.avail = nic.rx.avail;
	r.used = nic.rx.used;
	r.kick_fd = r.call_fd = -1;
	r.enabled = true;
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == -EINVAL, "a ring before features and memory: -EINVAL");
	vu_dev_set_features(nic.dev, 1ull << VIRTIO_F_VERSION_1);
	rc = vu_dev_set_mem_table(nic.dev, reg, 0);
	vg_check(rc == -EINVAL, "0 memory regions: -EINVAL");
	for (unsigned int i = 0; i <= VU_MAX_MEM_REGIONS; i++)
		reg[i] = (struct vu_mem_region){ .gpa = i << 20, .size = 1 << 20,
			.hva = nic.mem.base, .fd = nic.mem.fd };
	rc = vu_dev_set_mem_table(nic.dev, reg, VU_MAX_MEM_REGIONS + 1);
	vg_check(rc == -EINVAL, "9 memory regions: -EINVAL");
	reg[0].fd = -1;
	rc = vu_dev_set_mem_table(nic.dev, reg, 1);
	vg_check(rc == -EINVAL, "a region without fd: -EINVAL");
	reg[0] = (struct vu_mem_region){ .size = 1 << 20, .hva = nic.mem.base,
		.fd = nic.mem.fd };
	rc = vu_dev_set_mem_table(nic.dev, reg, 1);
	vg_check(rc == 0, "a 1 MiB region");
	r.size = 100;
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == -EINVAL, "ring size 100: -EINVAL");
	r.size = 256;
	rc = vu_ring_start(nic.dev, 4, &r);
	vg_check(rc == -EINVAL, "ring 4 of 2 queue pairs: -EINVAL");
	r.used = nic.mem.base + (1 << 20) - 16;
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == -EINVAL, "a used ring crossing the end of memory: -EINVAL (%s)",
		vu_dev_error(nic.dev));
	r.used = nic.rx.used;
	r.desc = nic.mem.base + 8;
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == -EINVAL, "a misaligned descriptor table: -EINVAL");
	r.desc = nic.rx.desc;
	before = f.n;
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == 0, "ring 0 without eventfds (NOFD) %s",
		rc == 0 ? "" : vu_dev_error(nic.dev));
	rc = vu_ring_start(nic.dev, 0, &r);
	vg_check(rc == -EBUSY, "ring 0 twice: -EBUSY");
	rc = vu_ring_stop(nic.dev, 3, NULL);
	vg_check(rc == -EINVAL, "stopping a ring never started: -EINVAL");
	rc = vu_ring_enable(nic.dev, 0, false);
	vg_check(rc == 0, "disable ring 0");
	rc = vu_ring_set_call(nic.dev, 0, nic.rx.call);
	vg_check(rc == 0, "replace ring 0's call eventfd");
	rc = vu_ring_set_call(nic.dev, 1, nic.rx.call);
	vg_check(rc == -EINVAL, "call eventfd of a ring not started: -EINVAL");
	rc = vu_dev_restore(nic.dev, (uint16_t[]){ 0 }, 0);
	vg_check(rc == -EINVAL, "restore with too few indexes: -EINVAL");
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);
	{
		uint64_t v;

		memcpy(&v, f.log[before + 3].payload, 8);
		vg_check(f.log[before + 3].req == 13 && f.log[before + 3].nfds == 0 &&
			v == (1ull << 8), "SET_VRING_CALL without fd: NOFD flag, no descriptor");
		memcpy(&v, f.log[before + 7].payload, 8);
		vg_check(f.log[before + 7].req == 13 && f.log[before + 7].nfds == 1 && v == 0,
			"SET_VRING_CALL on a started ring carries the new fd");
	}
	vg_nic_fini(&nic);
}

/* The SET_VRING_ENABLE message at 'i' of 'f's log is for ring 'idx' with state 'num'. */
static bool
enable_msg_is(const struct vu_fake *f, int i, uint32_t idx, uint32_t num)
{
	struct vhost_wire_vring_state st;

	if (i < 0 || f->log[i].size != sizeof(st))
		return false;
	memcpy(&st, f->log[i].payload, sizeof(st));
	return st.index == idx && st.num == num;
}

/*
 * SET_VRING_ENABLE(0) on the wire: a started ring is disabled with one message for it, a
 * ring not started is refused before anything is sent, and stopping a disabled ring asks
 * GET_VRING_BASE without disabling it again (an enabled one is disabled first).
 */
static void
test_ring_disable(void)
{
	struct vg_nic nic;
	struct vu_fake f;
	struct vu_ring r;
	struct vu_mem_region reg;
	unsigned int before;
	uint16_t base = 0;
	int i, j, k, rc;

	setup(&nic, &f, FAKE_GOOD);
	vu_dev_connect(nic.dev, 0);
	vu_dev_set_features(nic.dev, 1ull << VIRTIO_F_VERSION_1);
	reg = (struct vu_mem_region){ .size = 1 << 20, .hva = nic.mem.base, .fd = nic.mem.fd };
	vg_check(vu_dev_set_mem_table(nic.dev, &reg, 1) == 0, "a 1 MiB region");
	r = (struct vu_ring){ .size = 256, .desc = nic.rx.desc, .avail = nic.rx.avail,
		.used = nic.rx.used, .kick_fd = -1, .call_fd = -1, .enabled = true };
	before = f.n;
	vg_check(vu_ring_start(nic.dev, 0, &r) == 0, "ring 0 started enabled");
	rc = vu_ring_enable(nic.dev, 1, false);
	vg_check(rc == -EINVAL, "SET_VRING_ENABLE(0) of a ring not started: -EINVAL (%d)", rc);
	vg_check(vu_ring_enable(nic.dev, 0, false) == 0, "SET_VRING_ENABLE(0) of ring 0");
	rc = vu_ring_stop(nic.dev, 0, &base);
	vg_check(rc == 0 && base == FAKE_BASE, "the disabled ring 0 stopped at %u (rc %d)", base,
		rc);
	vg_check(vu_ring_start(nic.dev, 0, &r) == 0, "ring 0 started enabled again");
	vg_check(vu_ring_stop(nic.dev, 0, &base) == 0, "... and stopped while enabled");
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);
	i = vu_fake_find(&f, VHOST_WIRE_SET_VRING_ENABLE, before);
	j = i < 0 ? -1 : vu_fake_find(&f, VHOST_WIRE_SET_VRING_ENABLE, (unsigned int)i + 1);
	k = vu_fake_find(&f, VHOST_WIRE_GET_VRING_BASE, before);
	vg_check(enable_msg_is(&f, i, 0, 1), "ring start: SET_VRING_ENABLE ring 0 state 1");
	vg_check(enable_msg_is(&f, j, 0, 0), "then SET_VRING_ENABLE ring 0 state 0, the only "
		"message for ring 1's refusal and ring 0's disabling (%d)", j);
	vg_check(j >= 0 && k == j + 1, "stopping the disabled ring: GET_VRING_BASE next, no "
		"second disable (%d, %d)", j, k);
	i = k < 0 ? -1 : vu_fake_find(&f, VHOST_WIRE_SET_VRING_ENABLE, (unsigned int)k + 1);
	i = i < 0 ? -1 : vu_fake_find(&f, VHOST_WIRE_SET_VRING_ENABLE, (unsigned int)i + 1);
	k = k < 0 ? -1 : vu_fake_find(&f, VHOST_WIRE_GET_VRING_BASE, (unsigned int)k + 1);
	vg_check(enable_msg_is(&f, i, 0, 0) && k == i + 1, "stopping an enabled ring: "
		"SET_VRING_ENABLE ring 0 state 0, then GET_VRING_BASE (%d, %d)", i, k);
	vg_nic_fini(&nic);
}

static void
test_server_mode(void)
{
	struct vu_opts o = { .timeout_ms = TIMEOUT_MS, .server = true };
	char path[108], *err = NULL;
	struct vg_nic nic;
	struct vu_fake f;
	struct vu_dev *d;
	int rc, fd;

	snprintf(path, sizeof(path), "%s/srv.sock", dir);
	o.path = path;
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	rc = vu_dev_create(&d, &o, &err);
	vg_check(rc == -EEXIST && err != NULL, "server path is a regular file: %s", err);
	free(err);
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memcpy(sa.sun_path, path, strlen(path) + 1);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	rc = vg_nic_init(&nic, "srv", 2, &o);
	vg_check(rc == 0, "a stale socket file is replaced");
	rc = vu_dev_connect(nic.dev, 0);
	vg_check(rc == -EAGAIN, "nobody connected yet: -EAGAIN");
	vu_fake_start(&f, FAKE_GOOD, path, true);
	rc = vu_dev_connect(nic.dev, 2000);
	vg_check(rc == 0, "accepts a backend %s", rc == 0 ? "" : vu_dev_error(nic.dev));
	rc = vg_nic_start(&nic);
	vg_check(rc == 0, "configures it");
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);
	rc = vu_dev_create(&d, &o, &err);
	vg_check(rc == -EADDRINUSE, "a second listener on a live socket: %s", err);
	free(err);
	rc = vu_dev_connect(nic.dev, 1000);
	vg_check(rc == -EPIPE || rc == -ECONNRESET,
		"a peer that connects and leaves at once: %d, no hang (%s)", rc,
		vu_dev_error(nic.dev));
	vu_fake_start(&f, FAKE_NO_PROTOCOL, path, true);
	rc = vu_dev_connect(nic.dev, 2000);
	vg_check(rc == -ENOTSUP && !vu_dev_connected(nic.dev),
		"a new backend without features the guest uses: -ENOTSUP (%s)",
		vu_dev_error(nic.dev));
	vu_fake_join(&f);
	vu_fake_start(&f, FAKE_GOOD, path, true);
	rc = vu_dev_connect(nic.dev, 2000);
	vg_check(rc == 0, "the next backend is accepted");
	rc = vu_dev_restore(nic.dev, NULL, 0);
	vg_check(rc == 0, "and restored %s", rc == 0 ? "" : vu_dev_error(nic.dev));
	vu_dev_disconnect(nic.dev);
	vu_fake_join(&f);
	vg_check(vu_fake_find(&f, 2, 0) >= 0 && vu_fake_find(&f, 5, 0) >= 0 &&
		vu_fake_find(&f, 18, (unsigned int)vu_fake_find(&f, 12, 0)) >= 0 &&
		vu_fake_find(&f, 39, 0) >= 0,
		"restore sent features, memory, rings and status");
	vg_nic_fini(&nic);
	vg_check(access(path, F_OK) != 0, "the server socket is removed on destroy");
}

int
main(void)
{
	char *err = NULL;
	struct vu_dev *d;
	struct vu_opts o = { .path = "" };
	char longpath[300];
	int rc;

	vg_test_name = "vu_peer";
	snprintf(dir, sizeof(dir), "/tmp/vu-peer.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = vu_dev_create(&d, &o, &err);
	vg_check(rc == -EINVAL && err != NULL, "empty path: %s", err);
	free(err);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	o.path = longpath;
	o.server = true;
	vg_check(vu_dev_create(&d, &o, &err) == -ENAMETOOLONG, "a path too long");
	free(err);

	test_sane_backend();
	test_bad_backends();
	test_bad_replies_later();
	test_reconnect_checks();
	test_bad_arguments();
	test_ring_disable();
	test_server_mode();
	rmdir(dir);
	printf("vu_peer: %d failure(s)\n", vg_failures);
	return vg_failures ? 1 : 0;
}

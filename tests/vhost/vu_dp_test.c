/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user frontend against vireo-dp: three test NICs on one bridge, two on
 * dpdkvhostuser ports (vireo-dp listens on RUNDIR/vhu0 and vhu1, the frontend connects) and
 * one on a dpdkvhostuserclient port (the frontend listens on RUNDIR/vm2.sock).  Broadcast
 * frames flow between them byte-identical; then rings are stopped and restarted, the
 * frontend disconnects and reconnects, vireo-dp is killed and restarted and the rings are
 * restored from their used indexes, and a device reset starts from scratch.
 *
 * With --ring-alone, only one ring of a device is stopped and restarted after the first
 * start: the backend must keep serving the device's other ring.
 *
 * usage: vu_dp_test RUNDIR [--ring-alone] -- VIREO-DP-COMMAND...
 */
#include <dirent.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vu_guest.h"

#define CONNECT_MS 20000
#define FLOW_MS 10000

static char *const *dp_argv;
static char dp_log[256];
static pid_t dp_pid = -1;
static int dp_in = -1;

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
	close(dp_in);
	dp_pid = -1;
}

/* True once every thread of 'pid' is stopped (a signal is delivered asynchronously). */
static bool
wait_stopped(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (int tries = 0; tries < 200; tries++) {
		DIR *d = opendir(path);
		struct dirent *e;
		bool all = d != NULL;

		while (all && (e = readdir(d)) != NULL) {
			char stat[400], buf[512];
			const char *p;
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(stat, sizeof(stat), "%s/%s/stat", path, e->d_name);
			f = fopen(stat, "r");
			if (f == NULL)
				continue;
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			all = p != NULL && (p[2] == 'T' || p[2] == 't');
		}
		if (d != NULL)
			closedir(d);
		if (all)
			return true;
		vg_sleep_ms(10);
	}
	return false;
}

static void
connect_all(struct vg_nic **nics, unsigned int n, const char *when)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc = vg_nic_connect(nics[i], CONNECT_MS);

		vg_check(rc == 0, "%s: %s connects (%s mode) %s", when, nics[i]->name,
			vu_dev_listen_fd(nics[i]->dev) >= 0 ? "server" : "client",
			rc == 0 ? "" : vu_dev_error(nics[i]->dev));
	}
}

static void
flow(struct vg_nic *from, struct vg_nic **to, unsigned int n, const char *when)
{
	unsigned int bad = 0;
	char names[64] = "";
	bool ok = vg_flow(from, to, n, FLOW_MS, &bad);

	for (unsigned int i = 0; i < n; i++) {
		strncat(names, " ", sizeof(names) - strlen(names) - 1);
		strncat(names, to[i]->name, sizeof(names) - strlen(names) - 1);
	}
	vg_check(ok, "%s: frames from %s arrive byte-identical at%s", when, from->name, names);
	vg_check(bad == 0, "%s: no corrupt frames (%u)", when, bad);
}

/* The backend is gone: the fd reports it and vu_dev_poll() says so. */
static void
expect_gone(struct vg_nic *nic)
{
	struct pollfd p = { .fd = vu_dev_fd(nic->dev), .events = POLLIN | POLLRDHUP };
	int rc = poll(&p, 1, 5000);

	vg_check(rc == 1, "%s: fd signals the backend's death", nic->name);
	rc = vu_dev_poll(nic->dev);
	vg_check(rc == -ECONNRESET && !vu_dev_connected(nic->dev) && vu_dev_fd(nic->dev) < 0,
		"%s: vu_dev_poll reports the hang-up (%d: %s)", nic->name, rc,
		vu_dev_error(nic->dev));
}

static void
ring_restart(struct vg_nic *nic, unsigned int idx, struct vg_vq *vq)
{
	struct vu_ring r = {
		.size = vq->size, .desc = vq->desc, .avail = vq->avail, .used = vq->used,
		.kick_fd = vq->kick, .call_fd = vq->call, .enabled = true,
	};
	uint16_t used = vu_ring_used_idx(nic->dev, idx);
	uint16_t base = 0xffff;
	int rc = vu_ring_stop(nic->dev, idx, &base);

	vg_check(rc == 0 && !vu_ring_started(nic->dev, idx),
		"%s ring %u: GET_VRING_BASE stops it (%s)", nic->name, idx,
		rc == 0 ? "ok" : vu_dev_error(nic->dev));
	vg_check(base == used, "%s ring %u: base %u = used index %u", nic->name, idx, base,
		used);
	r.base = base;
	rc = vu_ring_start(nic->dev, idx, &r);
	vg_check(rc == 0, "%s ring %u: restarted from %u %s", nic->name, idx, base,
		rc == 0 ? "" : vu_dev_error(nic->dev));
}

static void
reset_nic(struct vg_nic *nic)
{
	int rc = vu_dev_stop(nic->dev);

	vg_check(rc == 0 && !vu_ring_started(nic->dev, 0) && !vu_ring_started(nic->dev, 1),
		"%s: device reset stops its rings %s", nic->name,
		rc == 0 ? "" : vu_dev_error(nic->dev));
	for (struct vg_vq *vq = &nic->rx; vq <= &nic->tx; vq++) {
		memset(vq->desc, 0, 16u * vq->size);
		memset(vq->avail, 0, 6u + 2u * vq->size);
		memset(vq->used, 0, 6u + 8u * vq->size);
		vq->avail_idx = 0;
		vq->last_used = 0;
	}
	rc = vg_nic_start(nic);
	vg_check(rc == 0, "%s: started again after the reset %s", nic->name,
		rc == 0 ? "" : vu_dev_error(nic->dev));
}

int
main(int argc, char **argv)
{
	struct vg_nic a, b, c;
	struct vg_nic *all[3] = { &a, &b, &c };
	char pa[200], pb[200], pc[200];
	int rc;

	bool ring_alone = argc > 2 && strcmp(argv[2], "--ring-alone") == 0;
	int dash = ring_alone ? 3 : 2;

	if (argc < dash + 2 || strcmp(argv[dash], "--") != 0) {
		fprintf(stderr, "usage: %s RUNDIR [--ring-alone] -- VIREO-DP-COMMAND...\n",
			argv[0]);
		return 2;
	}
	vg_test_name = ring_alone ? "vu_dp_ring_alone" : "vu_dp";
	dp_argv = &argv[dash + 1];
	snprintf(dp_log, sizeof(dp_log), "%s/dp.log", argv[1]);
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	snprintf(pc, sizeof(pc), "%s/vm2.sock", argv[1]);
	struct vu_opts oa = { .path = pa, .timeout_ms = 1000 }, ob = { .path = pb };
	struct vu_opts oc = { .path = pc, .server = true };

	/* A: one memfd region; B: hugetlb, two regions; C: two regions. */
	if (vg_nic_init(&a, "A", 0xa, &oa) < 0 ||
			vg_nic_init_mem(&b, "B", 0xb, &ob, VG_MEM_HUGE | VG_MEM_SPLIT) < 0 ||
			vg_nic_init_mem(&c, "C", 0xc, &oc, VG_MEM_SPLIT) < 0)
		return 1;
	dp_start();
	connect_all(all, 3, "first start");
	vg_check((vu_dev_features(a.dev) >> VIRTIO_F_VERSION_1) & 1,
		"A: backend features 0x%llx include VERSION_1",
		(unsigned long long)vu_dev_features(a.dev));
	vg_check(vu_dev_protocol_features(a.dev) & (1ull << VU_PROTOCOL_F_REPLY_ACK),
		"A: REPLY_ACK negotiated (protocol features 0x%llx, %u queue pairs)",
		(unsigned long long)vu_dev_protocol_features(a.dev), vu_dev_queue_pairs(a.dev));
	for (unsigned int i = 0; i < 3; i++) {
		rc = vg_nic_start(all[i]);
		vg_check(rc == 0, "%s: features, memory table, rings, status set %s",
			all[i]->name, rc == 0 ? "" : vu_dev_error(all[i]->dev));
	}
	if (vg_failures)
		goto out;

	flow(&a, (struct vg_nic *[]){ &b, &c }, 2, "first start");
	vg_check(vg_eventfd_read(b.rx.call) > 0, "B: the backend signalled the call eventfd");
	{
		int nc = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), old = b.rx.call;

		rc = vu_ring_set_call(b.dev, 0, nc);
		vg_check(rc == 0, "B: call eventfd of ring 0 replaced %s",
			rc == 0 ? "" : vu_dev_error(b.dev));
		b.rx.call = nc;
		vg_eventfd_read(old);
		flow(&a, (struct vg_nic *[]){ &b }, 1, "new call eventfd");
		vg_check(vg_eventfd_read(nc) > 0 && vg_eventfd_read(old) == 0,
			"B: the backend signals the new call eventfd, not the old one");
		close(old);
	}
	vg_check(vu_dev_poll(a.dev) == 0, "A: vu_dev_poll with nothing pending is 0");
	flow(&b, (struct vg_nic *[]){ &a, &c }, 2, "first start");
	flow(&c, (struct vg_nic *[]){ &a, &b }, 2, "first start (server mode)");
	if (ring_alone) {
		vg_sleep_ms(100);
		ring_restart(&b, 0, &b.rx);
		flow(&a, (struct vg_nic *[]){ &b }, 1, "B's receive ring alone restarted");
		flow(&b, (struct vg_nic *[]){ &a }, 1, "B's receive ring alone restarted");
		ring_restart(&a, 1, &a.tx);
		flow(&a, (struct vg_nic *[]){ &b }, 1, "A's transmit ring alone restarted");
		flow(&b, (struct vg_nic *[]){ &a }, 1, "A's transmit ring alone restarted");
		goto out;
	}

	vg_sleep_ms(100);
	ring_restart(&a, 0, &a.rx);
	ring_restart(&a, 1, &a.tx);
	ring_restart(&b, 0, &b.rx);
	ring_restart(&b, 1, &b.tx);
	flow(&a, (struct vg_nic *[]){ &b }, 1, "rings restarted");
	flow(&b, (struct vg_nic *[]){ &a }, 1, "rings restarted");

	vu_dev_disconnect(a.dev);
	vg_check(!vu_dev_connected(a.dev), "A: disconnected");
	connect_all(all, 1, "reconnect");
	rc = vg_nic_restore(&a);
	vg_check(rc == 0, "A: restored after reconnecting %s", rc ? vu_dev_error(a.dev) : "");
	flow(&a, (struct vg_nic *[]){ &b }, 1, "after A reconnected");
	flow(&b, (struct vg_nic *[]){ &a }, 1, "after A reconnected");

	vu_dev_disconnect(c.dev);
	connect_all(&all[2], 1, "vireo-dp's client port comes back");
	rc = vg_nic_restore(&c);
	vg_check(rc == 0, "C: restored %s", rc ? vu_dev_error(c.dev) : "");
	flow(&a, (struct vg_nic *[]){ &c }, 1, "after C reconnected");

	/* A backend that stops answering: requests time out, then a reconnect heals. */
	kill(dp_pid, SIGSTOP);
	vg_check(wait_stopped(dp_pid), "vireo-dp stopped (SIGSTOP)");
	int64_t t0 = vg_now_ms();

	rc = vu_ring_enable(a.dev, 0, true);
	vg_check(rc == -ETIMEDOUT && vg_now_ms() - t0 < oa.timeout_ms + 1000 &&
		!vu_dev_connected(a.dev),
		"A: vireo-dp stopped (SIGSTOP): a request times out (%lld ms), drops the link %s",
		(long long)(vg_now_ms() - t0), rc == -ETIMEDOUT ? "" : vu_dev_error(a.dev));
	kill(dp_pid, SIGCONT);
	connect_all(all, 1, "vireo-dp continued");
	rc = vg_nic_restore(&a);
	vg_check(rc == 0, "A: restored %s", rc ? vu_dev_error(a.dev) : "");
	flow(&a, (struct vg_nic *[]){ &b }, 1, "after the silent spell");

	dp_stop(false);
	for (unsigned int i = 0; i < 3; i++)
		expect_gone(all[i]);
	rc = vu_ring_enable(c.dev, 0, false);
	vg_check(rc == -ENOTCONN, "C: a request without a backend fails at once (%d)", rc);
	dp_start();
	connect_all(all, 3, "vireo-dp restarted");
	for (unsigned int i = 0; i < 3; i++) {
		rc = vg_nic_restore(all[i]);
		vg_check(rc == 0, "%s: rings restored from the used indexes %s", all[i]->name,
			rc == 0 ? "" : vu_dev_error(all[i]->dev));
	}
	flow(&a, (struct vg_nic *[]){ &b, &c }, 2, "vireo-dp restarted");
	flow(&b, (struct vg_nic *[]){ &a }, 1, "vireo-dp restarted");

	reset_nic(&b);
	flow(&a, (struct vg_nic *[]){ &b }, 1, "after B's device reset");
	flow(&b, (struct vg_nic *[]){ &a }, 1, "after B's device reset");

out:
	for (unsigned int i = 0; i < 3; i++)
		vg_nic_fini(all[i]);
	dp_stop(true);
	printf("%s: %d failure(s)\n", vg_test_name, vg_failures);
	return vg_failures ? 1 : 0;
}

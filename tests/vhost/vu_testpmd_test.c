/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user frontend against a foreign backend: DPDK testpmd's net_vhost port in
 * macswap forwarding, which sends every frame back with its MAC addresses swapped.  Once
 * with testpmd listening (the frontend connects), once with testpmd connecting (client=1,
 * the frontend listens); each time the frontend reconnects, and testpmd is killed and
 * restarted and the rings are restored from their used indexes.
 *
 * usage: vu_testpmd_test RUNDIR FILE-PREFIX
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_guest.h"

#define CONNECT_MS 30000
#define FLOW_MS 10000

static const char *run_dir;
static const char *prefix;
static pid_t tp_pid = -1;
static int tp_in = -1;

static void
testpmd_start(const char *sock, bool client, unsigned int nq)
{
	char vdev[300], fp[100], log[300], rxq[20], txq[20];
	char *argv[] = {
		"dpdk-testpmd", "--lcores", "0@0,1@0", "--no-pci", fp, "-m", "256",
		"--vdev", vdev, "--", "--forward-mode=macswap", "--nb-cores=1", rxq, txq, NULL,
	};

	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=%u%s", sock, nq,
		client ? ",client=1" : "");
	snprintf(rxq, sizeof(rxq), "--rxq=%u", nq);
	snprintf(txq, sizeof(txq), "--txq=%u", nq);
	snprintf(fp, sizeof(fp), "--file-prefix=%s", prefix);
	snprintf(log, sizeof(log), "%s/testpmd.log", run_dir);
	tp_pid = vg_spawn(argv, log, &tp_in);
	vg_check(tp_pid > 0, "testpmd started (%s)", vdev);
}

static void
testpmd_stop(bool gentle)
{
	if (gentle && tp_in >= 0) {
		if (write(tp_in, "\n", 1) < 0)
			perror("testpmd stdin");
	}
	vg_kill(tp_pid, gentle);
	close(tp_in);
	tp_in = -1;
	tp_pid = -1;
}

/* Frames back from testpmd: vg_frame() with destination and source swapped. */
static void
recv_swapped(struct vg_nic *nic, struct vg_vq *vq, unsigned int *good, unsigned int *bad)
{
	uint8_t want[VG_FRAME_LEN];
	uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);

	while (vq->last_used != idx) {
		struct vring_used_elem e = vq->used->ring[vq->last_used % vq->size];
		const uint8_t *f;
		uint32_t seq;

		vq->last_used++;
		if (e.id >= vq->size) {
			(*bad)++;
			continue;
		}
		f = vq->bufs + (size_t)e.id * VG_BUF_LEN + VG_HDR_LEN;
		if (e.len == VG_HDR_LEN + VG_FRAME_LEN && memcmp(f + 14, "vireo-vu", 8) == 0) {
			memcpy(&seq, f + 22, sizeof(seq));
			vg_frame(want, nic->id, seq);
			if (memcmp(f, want + 6, 6) == 0 && memcmp(f + 6, want, 6) == 0 &&
					memcmp(f + 12, want + 12, VG_FRAME_LEN - 12) == 0)
				(*good)++;
			else
				(*bad)++;
		} else {
			(*bad)++;
		}
		/* post the buffer again at the next available slot */
		vq->desc[e.id].len = VG_BUF_LEN;
		vq->avail->ring[vq->avail_idx % vq->size] = (uint16_t)e.id;
		vq->avail_idx++;
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	}
}

/* Frames sent on transmit queue 'tx' come back on receive queue 'rx'. */
static void
echo_on(struct vg_nic *nic, struct vg_vq *tx, struct vg_vq *rx, const char *when)
{
	int64_t end = vg_now_ms() + FLOW_MS;
	unsigned int good = 0, bad = 0;

	while (vg_now_ms() < end && good < 3) {
		vg_send_vq(nic, tx, nic->seq++);
		vg_sleep_ms(20);
		recv_swapped(nic, rx, &good, &bad);
	}
	vg_check(good >= 3, "%s: frames come back from testpmd with MACs swapped (%u)", when,
		good);
	vg_check(bad == 0, "%s: nothing else came back (%u)", when, bad);
}

static void
echo(struct vg_nic *nic, const char *when)
{
	echo_on(nic, &nic->tx, &nic->rx, when);
}

static void
expect_gone(struct vg_nic *nic)
{
	struct pollfd p = { .fd = vu_dev_fd(nic->dev), .events = POLLIN | POLLRDHUP };
	int rc = poll(&p, 1, 5000);

	rc = rc == 1 ? vu_dev_poll(nic->dev) : -9999;
	vg_check(rc == -ECONNRESET, "%s: testpmd's death is reported (%d)", nic->name, rc);
}

static void
run(const char *sock, bool server)
{
	struct vu_opts o = { .path = sock, .server = server };
	const char *mode = server ? "server mode" : "client mode";
	struct vg_nic nic;
	char when[100];
	int rc;

	if (vg_nic_init(&nic, server ? "S" : "C", server ? 0x5 : 0xc, &o) < 0) {
		vg_check(false, "%s: NIC set up", mode);
		return;
	}
	testpmd_start(sock, server, 1);
	rc = vg_nic_connect(&nic, CONNECT_MS);
	vg_check(rc == 0, "%s: connected %s", mode, rc == 0 ? "" : vu_dev_error(nic.dev));
	rc = rc ? rc : vg_nic_start(&nic);
	vg_check(rc == 0, "%s: features 0x%llx, protocol 0x%llx, rings started %s", mode,
		(unsigned long long)vu_dev_features(nic.dev),
		(unsigned long long)vu_dev_protocol_features(nic.dev),
		rc == 0 ? "" : vu_dev_error(nic.dev));
	if (rc < 0)
		goto out;
	snprintf(when, sizeof(when), "%s, first connection", mode);
	echo(&nic, when);

	vu_dev_disconnect(nic.dev);
	rc = vg_nic_connect(&nic, CONNECT_MS);
	rc = rc ? rc : vg_nic_restore(&nic);
	vg_check(rc == 0, "%s: reconnected and restored %s", mode,
		rc == 0 ? "" : vu_dev_error(nic.dev));
	snprintf(when, sizeof(when), "%s, after a reconnect", mode);
	echo(&nic, when);

	testpmd_stop(false);
	expect_gone(&nic);
	if (!server)
		unlink(sock);	/* testpmd does not replace a stale socket */
	testpmd_start(sock, server, 1);
	rc = vg_nic_connect(&nic, CONNECT_MS);
	rc = rc ? rc : vg_nic_restore(&nic);
	vg_check(rc == 0, "%s: testpmd restarted, rings restored from the used indexes %s",
		mode, rc == 0 ? "" : vu_dev_error(nic.dev));
	snprintf(when, sizeof(when), "%s, after testpmd restarted", mode);
	echo(&nic, when);
out:
	vg_nic_fini(&nic);
	testpmd_stop(true);
}

/* Two queue pairs: each transmit queue's frames come back on the same pair. */
static void
run_mq(const char *sock)
{
	struct vu_opts o = { .path = sock, .queue_pairs = 2 };
	struct vg_nic nic;
	uint16_t base;
	int rc;

	if (vg_nic_init_mem(&nic, "M", 0x4, &o, VG_MEM_HUGE | VG_MEM_SPLIT) < 0) {
		vg_check(false, "MQ: NIC set up");
		return;
	}
	testpmd_start(sock, false, 2);
	rc = vg_nic_connect(&nic, CONNECT_MS);
	vg_check(rc == 0 && vu_dev_queue_pairs(nic.dev) == 2,
		"MQ: connected, %u queue pairs usable %s", vu_dev_queue_pairs(nic.dev),
		rc == 0 ? "" : vu_dev_error(nic.dev));
	rc = rc ? rc : vg_nic_start(&nic);
	vg_check(rc == 0, "MQ: four rings started %s", rc == 0 ? "" : vu_dev_error(nic.dev));
	if (rc < 0)
		goto out;
	echo_on(&nic, &nic.tx, &nic.rx, "MQ pair 0");
	echo_on(&nic, &nic.tx1, &nic.rx1, "MQ pair 1");
	rc = vu_ring_enable(nic.dev, 2, false);
	rc = rc ? rc : vu_ring_enable(nic.dev, 3, false);
	rc = rc ? rc : vu_ring_enable(nic.dev, 2, true);
	rc = rc ? rc : vu_ring_enable(nic.dev, 3, true);
	vg_check(rc == 0, "MQ: pair 1 disabled and enabled again %s",
		rc == 0 ? "" : vu_dev_error(nic.dev));
	echo_on(&nic, &nic.tx1, &nic.rx1, "MQ pair 1 re-enabled");
	rc = vu_ring_stop(nic.dev, 3, &base);
	vg_check(rc == 0 && base == nic.tx1.avail_idx,
		"MQ: GET_VRING_BASE of ring 3: %u, all %u frames taken", base, nic.tx1.avail_idx);
	vu_dev_disconnect(nic.dev);
	rc = vg_nic_connect(&nic, CONNECT_MS);
	rc = rc ? rc : vg_nic_restore(&nic);
	vg_check(rc == 0 && !vu_ring_started(nic.dev, 3),
		"MQ: reconnected, the started rings restored %s",
		rc == 0 ? "" : vu_dev_error(nic.dev));
	echo_on(&nic, &nic.tx, &nic.rx, "MQ pair 0 after reconnect (ring 3 stopped)");
out:
	vg_nic_fini(&nic);
	testpmd_stop(true);
}

int
main(int argc, char **argv)
{
	char sock[200];

	if (argc != 3) {
		fprintf(stderr, "usage: %s RUNDIR FILE-PREFIX\n", argv[0]);
		return 2;
	}
	vg_test_name = "vu_testpmd";
	signal(SIGPIPE, SIG_IGN);	/* testpmd's stdin pipe after it was killed */
	run_dir = argv[1];
	prefix = argv[2];
	snprintf(sock, sizeof(sock), "%s/tp.sock", run_dir);
	run(sock, false);
	snprintf(sock, sizeof(sock), "%s/vm.sock", run_dir);
	run(sock, true);
	snprintf(sock, sizeof(sock), "%s/mq.sock", run_dir);
	run_mq(sock);
	printf("%s: %d failure(s)\n", vg_test_name, vg_failures);
	return vg_failures ? 1 : 0;
}

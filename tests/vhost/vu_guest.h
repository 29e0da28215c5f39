/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VU_GUEST_H
#define VIREO_TESTS_VU_GUEST_H

/*
 * A tiny virtio-net driver for the frontend's integration tests: "guest memory" is a memfd
 * mapped shared (guest-physical address = offset in the file), split virtqueues are laid
 * out in it, and the test plays the guest: it posts receive buffers, puts frames on the
 * transmit ring, kicks the backend through the kick eventfd and polls the used rings.
 * Each struct vg_nic is one NIC of one "VM" driven through the vu_* API.
 *
 * Thread-safety: none; one test thread.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vhost_user.h"

#define VG_QUEUE_SIZE 256
#define VG_BUF_LEN 2048
#define VG_HDR_LEN 12	/* struct virtio_net_hdr_mrg_rxbuf (VERSION_1) */
#define VG_FRAME_LEN 100

/** Guest memory layout flags of vg_nic_init_mem(). */
#define VG_MEM_HUGE 0x1		/**< a hugetlb memfd (2 MiB pages) */
#define VG_MEM_SPLIT 0x2	/**< two regions, as vireo-vmm above 3 GiB: see vg_mem */
#define VG_HIGH_GPA 0x100000000ull

/*
 * With VG_MEM_SPLIT the file's second half is a second region at guest-physical
 * VG_HIGH_GPA (file offset 'split'), and packet buffers live there: the backend must use
 * the right region and its mmap offset to find them.
 */
struct vg_mem {
	int fd;
	uint8_t *base;
	uint64_t size;
	uint64_t next;
	uint64_t split;		/**< offset of the high region, 0 when one region */
	uint64_t next_high;
};

struct vg_vq {
	struct vg_mem *mem;
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;	/**< the driver's next available slot */
	uint16_t last_used;	/**< the next used entry the driver reads */
	uint8_t *bufs;		/**< 'size' buffers of VG_BUF_LEN */
	int kick;
	int call;
};

struct vg_nic {
	const char *name;
	struct vu_dev *dev;
	struct vg_mem mem;
	unsigned int nqp;	/**< queue pairs: 1 or 2 (from vu_opts.queue_pairs) */
	struct vg_vq rx;	/**< ring 0 */
	struct vg_vq tx;	/**< ring 1 */
	struct vg_vq rx1;	/**< ring 2 (second pair) */
	struct vg_vq tx1;	/**< ring 3 */
	uint64_t features_on;	/**< features vg_nic_start() also asks for (when offered) */
	uint64_t features_off;	/**< features vg_nic_start() does not take (a driver's choice) */
	uint8_t id;		/**< last byte of the source MAC of frames it sends */
	uint32_t seq;		/**< next frame sequence number */
};

/** Print "PASS name: what" or "FAIL ..." and count failures. */
void vg_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Failures counted by vg_check(). */
extern int vg_failures;
/** Test name in PASS/FAIL lines. */
extern const char *vg_test_name;

/** Create the device, guest memory and queues; 'opts' as for vu_dev_create(). */
int vg_nic_init(struct vg_nic *nic, const char *name, uint8_t id, const struct vu_opts *opts);

/** As vg_nic_init() with VG_MEM_* 'flags' for the guest memory. */
int vg_nic_init_mem(struct vg_nic *nic, const char *name, uint8_t id,
	const struct vu_opts *opts, unsigned int flags);
void vg_nic_fini(struct vg_nic *nic);

/** Connect within 'timeout_ms' (client: retry every 100 ms; server: accept). */
int vg_nic_connect(struct vg_nic *nic, int timeout_ms);

/** What the driver does at DRIVER_OK: features, memory, rings of every pair, status. */
int vg_nic_start(struct vg_nic *nic);

/** After a reconnect: vu_dev_restore() from the used indexes read from guest memory. */
int vg_nic_restore(struct vg_nic *nic);

/** Put frame 'seq' from 'nic' on its transmit ring and kick; -ENOSPC when the ring is full. */
int vg_send(struct vg_nic *nic, uint32_t seq);

/** As vg_send(), on transmit queue 'vq' of 'nic'. */
int vg_send_vq(struct vg_nic *nic, struct vg_vq *vq, uint32_t seq);

/**
 * 'n' frames from 'nic' (sequence numbers from nic->seq on) made available on its transmit
 * ring at once (one avail index store, one kick); -ENOSPC when they do not all fit.
 */
int vg_send_burst(struct vg_nic *nic, unsigned int n);

/** Build frame 'seq' of sender 'id' (broadcast, VG_FRAME_LEN bytes) into 'buf'. */
void vg_frame(uint8_t *buf, uint8_t id, uint32_t seq);

/**
 * Drain 'nic''s receive ring (buffers are posted again).  For each frame from sender
 * 'from': when it is byte-identical to vg_frame(from, its seq) count it in '*good',
 * else in '*bad'.  Frames from other senders are skipped.
 */
void vg_recv(struct vg_nic *nic, uint8_t from, unsigned int *good, unsigned int *bad);

/**
 * Drain 'nic''s receive ring (buffers are posted again), for frames from any sender: a frame
 * byte-identical to vg_frame(its sender, its seq) is passed to 'fn' with the two; any other
 * frame is counted in '*bad'.
 */
void vg_recv_each(struct vg_nic *nic, void (*fn)(void *aux, uint8_t from, uint32_t seq),
	void *aux, unsigned int *bad);

/**
 * Drain 'nic''s receive ring (buffers are posted again), passing every frame that fits one
 * buffer to 'fn': its bytes after the virtio-net header and their length.
 */
void vg_recv_raw(struct vg_nic *nic, void (*fn)(void *aux, const uint8_t *frame, uint32_t len),
	void *aux);

/**
 * Send frames from 'from' every 20 ms until each of the 'n' NICs in 'to' received one
 * byte-identical, or 'timeout_ms' passed.  True on success; '*bad' counts corrupt frames.
 */
bool vg_flow(struct vg_nic *from, struct vg_nic **to, unsigned int n, int timeout_ms,
	unsigned int *bad);

/** Eventfd counter of 'fd' (read, non-blocking): 0 when it was not signalled. */
uint64_t vg_eventfd_read(int fd);

/** Whether eventfd 'fd' is signalled within 'ms' (0: only look); the signal is consumed. */
bool vg_irq(int fd, int ms);

/** The used index of 'vq' as the device last published it. */
uint16_t vg_used_idx(const struct vg_vq *vq);

/** Start 'argv' with stdout/stderr appended to 'log' and stdin a pipe ('*in' its end). */
pid_t vg_spawn(char *const argv[], const char *log, int *in);
/** SIGKILL (or SIGTERM when 'gentle') 'pid' and reap it. */
void vg_kill(pid_t pid, bool gentle);

/** Milliseconds on the monotonic clock. */
int64_t vg_now_ms(void);
void vg_sleep_ms(int ms);

#endif /* VIREO_TESTS_VU_GUEST_H */

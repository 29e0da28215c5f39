/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VU_FAKE_H
#define VIREO_TESTS_VU_FAKE_H

/*
 * A scripted vhost-user backend for the frontend's unit tests, on a thread of the test
 * process: it answers like a sane backend or misbehaves as 'mode' says (silence, garbage,
 * wrong sizes, foreign fds, hang-ups), and logs every message it received so the tests can
 * check what the frontend put on the wire.
 *
 * Thread-safety: the log belongs to the fake's thread until vu_fake_join() returns.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum vu_fake_mode {
	FAKE_GOOD,		/**< a sane backend */
	FAKE_SILENT,		/**< never answers GET_FEATURES */
	FAKE_WRONG_REQ,		/**< answers GET_FEATURES as GET_PROTOCOL_FEATURES */
	FAKE_SHORT,		/**< GET_FEATURES reply of 4 bytes */
	FAKE_HUGE,		/**< GET_FEATURES reply claiming 4 GiB */
	FAKE_NO_REPLY_FLAG,	/**< reply without the reply flag */
	FAKE_BAD_VERSION,	/**< reply with version 2 */
	FAKE_FDS,		/**< reply carrying a file descriptor */
	FAKE_NO_VERSION_1,	/**< features without VIRTIO_F_VERSION_1 */
	FAKE_ZERO_QUEUES,	/**< GET_QUEUE_NUM 0 */
	FAKE_NACK_MEM,		/**< REPLY_ACK 1 on SET_MEM_TABLE */
	FAKE_BAD_BASE,		/**< GET_VRING_BASE reply for another ring */
	FAKE_HANGUP,		/**< closes after SET_OWNER */
	FAKE_UNSOLICITED,	/**< sends a message after GET_QUEUE_NUM */
	FAKE_GARBAGE,		/**< random bytes for a reply */
	FAKE_SILENT_ACK,	/**< never acknowledges SET_FEATURES */
	FAKE_FEWER_FEATURES,	/**< a sane backend without MRG_RXBUF */
	FAKE_NO_PROTOCOL,	/**< no VHOST_USER_F_PROTOCOL_FEATURES */
};

#define FAKE_LOG 64
/** Features the sane fake offers. */
#define FAKE_FEATURES ((1ull << 32) | (1ull << 30) | (1ull << 15) | (1ull << 5) | \
	(1ull << 16) | (1ull << 0) | (1ull << 17))
/** Protocol features the sane fake offers: MQ, REPLY_ACK, SLAVE_REQ, CONFIG, STATUS. */
#define FAKE_PROTOCOL ((1ull << 0) | (1ull << 3) | (1ull << 5) | (1ull << 9) | (1ull << 16))
#define FAKE_QUEUES 4
#define FAKE_BASE 42

struct vu_fake_msg {
	uint32_t req;
	uint32_t flags;
	uint32_t size;
	unsigned int nfds;
	uint8_t payload[8 + 8 * 32];
};

struct vu_fake {
	char path[108];
	enum vu_fake_mode mode;
	bool connect;		/**< the fake is the client (the frontend listens) */
	int lfd;
	int fd;
	pthread_t thread;
	unsigned int n;
	struct vu_fake_msg log[FAKE_LOG];
};

/**
 * Listen on a fresh socket in directory 'dir' and serve the first connection; with
 * 'connect', 'dir' is instead the frontend's socket path, which the fake connects to.
 */
int vu_fake_start(struct vu_fake *f, enum vu_fake_mode mode, const char *dir, bool connect);
/** Wait for the fake to see the frontend hang up (or give up after 5 s). */
void vu_fake_join(struct vu_fake *f);
/** Index of the first logged message with request 'req' at or after 'from', or -1. */
int vu_fake_find(const struct vu_fake *f, uint32_t req, unsigned int from);

#endif /* VIREO_TESTS_VU_FAKE_H */

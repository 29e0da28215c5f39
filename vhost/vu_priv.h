/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_VU_PRIV_H
#define VIREO_VHOST_VU_PRIV_H

/*
 * Inside the vhost-user frontend: the device state shared by vu_conn.c (connection and
 * handshake), vu_msg.c (messages on the socket), vu_config.c (features, memory, status,
 * reset, restore) and vu_ring.c (rings).
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost_user.h"
#include "vu_proto.h"

struct vu_ring_state {
	struct vu_ring cfg;
	bool started;
};

struct vu_dev {
	char *path;
	bool server;
	int timeout_ms;
	unsigned int want_qp;

	int listen_fd;			/**< server mode, else -1 */
	int fd;				/**< connected socket, -1 when none */
	bool connected;			/**< handshake done on 'fd' */

	uint64_t backend_features;	/**< GET_FEATURES of the current/last backend */
	uint64_t protocol_features;	/**< negotiated */
	unsigned int queue_pairs;

	/* What the guest configured: replayed by vu_dev_restore(). */
	bool features_set;
	uint64_t features;		/**< as sent in SET_FEATURES */
	unsigned int nregions;
	struct vu_mem_region regions[VU_MAX_MEM_REGIONS];
	bool status_set;
	uint8_t status;
	struct vu_ring_state rings[VU_MAX_RINGS];

	char err[256];
};

/** Record an error message about 'dev' and return 'rc'. */
int vu_fail(struct vu_dev *dev, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** As vu_fail(), and close the connection: it cannot be trusted any more. */
int vu_fail_drop(struct vu_dev *dev, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Close the connected socket (configuration kept). */
void vu_close_conn(struct vu_dev *dev);

/**
 * Send request 'req' with 'size' bytes of 'payload' and 'nfds' fds.  With REPLY_ACK
 * negotiated and 'ack' true, ask for and check the acknowledgement.
 */
int vu_send_req(struct vu_dev *dev, uint32_t req, const void *payload, uint32_t size,
	const int *fds, unsigned int nfds, bool ack);

/** Send 'req' (no payload unless 'payload') and read a reply of exactly 'size' bytes. */
int vu_get(struct vu_dev *dev, uint32_t req, const void *payload, uint32_t psize,
	void *reply, uint32_t size);

/** Send a request whose payload is one u64. */
int vu_send_u64(struct vu_dev *dev, uint32_t req, uint64_t v, bool ack);

/** Send a struct vhost_wire_vring_state request. */
int vu_send_state(struct vu_dev *dev, uint32_t req, uint32_t index, uint32_t num);

/** Send the stored memory table (SET_MEM_TABLE with one fd per region). */
int vu_send_mem_table(struct vu_dev *dev);

/** Send the setup of ring 'idx' as 'r' describes it (NUM, ADDR, BASE, CALL, KICK, ENABLE). */
int vu_send_ring(struct vu_dev *dev, unsigned int idx, const struct vu_ring *r);

/** True when SET_FEATURES carried VHOST_USER_F_PROTOCOL_FEATURES. */
static inline bool
vu_has_protocol_features(const struct vu_dev *dev)
{
	return (dev->features & (1ull << VU_F_PROTOCOL_FEATURES)) != 0;
}

/** 0 when connected, else -ENOTCONN recorded for 'what'. */
static inline int
vu_need_connection(struct vu_dev *dev, const char *what)
{
	if (!dev->connected)
		return vu_fail(dev, -ENOTCONN, "%s: not connected", what);
	return 0;
}

#endif /* VIREO_VHOST_VU_PRIV_H */

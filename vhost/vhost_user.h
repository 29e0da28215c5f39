/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_USER_H
#define VIREO_VHOST_USER_H

/*
 * vhost-user frontend: the control plane between a VMM's virtio device and a vhost-user
 * backend (vireo-dp's dpdkvhostuser / dpdkvhostuserclient ports, testpmd's net_vhost, ...).
 *
 * What?
 *   The VMM never touches packets.  The guest's rings live in guest RAM, which is an fd
 *   mapped shared; this library hands the backend those fds (SET_MEM_TABLE), the ring
 *   addresses, the kick eventfd (the VMM's ioeventfd: guest notify -> backend) and the call
 *   eventfd (the VMM's irqfd: backend -> guest interrupt).  From then on the guest and the
 *   backend talk through shared memory and eventfds only.
 *
 * Life of a device (what a virtio-net device calls, and when)
 *   vu_dev_create()           at VM creation; in server mode the socket starts listening.
 *   vu_dev_connect()          client: one connect attempt (retry from a timer);
 *                             server: wait up to 'wait_ms' for the backend to connect.
 *                             Runs SET_OWNER, GET_FEATURES, GET/SET_PROTOCOL_FEATURES,
 *                             GET_QUEUE_NUM.  vu_dev_features()/vu_net_offer() are then
 *                             valid: offer the guest vu_net_offer(dev, what-the-device-does).
 *   guest sets DRIVER_OK      vu_dev_set_features(acked), vu_dev_set_mem_table(regions),
 *                             vu_ring_start() for each ring the guest enabled,
 *                             vu_dev_set_status(status).  Ring i of a virtio-net device is
 *                             receiveq (i/2) for even i, transmitq (i/2) for odd i.
 *   ctrl vq MQ_VQ_PAIRS_SET   vu_ring_enable(ring, true/false) for the rings of the pairs.
 *   MSI-X vector masked       vu_ring_set_call() when the eventfd the backend must signal
 *                             changes (a route change of the same irqfd needs nothing).
 *   guest resets the device   vu_dev_stop(): GET_VRING_BASE on every started ring,
 *                             SET_STATUS 0, and the library forgets features, memory, rings.
 *   backend gone              vu_dev_fd() (watch EPOLLIN|EPOLLRDHUP) becomes readable:
 *                             call vu_dev_poll(); it returns -ECONNRESET and closes the
 *                             socket.  Any failed request also closes it (a timed-out or
 *                             garbled connection cannot be trusted again).  Set the link down,
 *                             then vu_dev_connect() again (client: every 100 ms; server:
 *                             when vu_dev_listen_fd() is readable), and vu_dev_restore() with
 *                             each started ring's used index read from guest memory
 *                             (vu_ring_used_idx() reads it).  Then raise the link.
 *   VM exit                   vu_dev_destroy().
 *
 * Never trust the peer
 *   Every reply is checked: version and reply flags, request code, exact payload size,
 *   ring index, value ranges (queue count, feature bits a reconnected backend dropped).
 *   File descriptors a backend sends are closed unread.  Every wait for the backend is
 *   bounded by the reply timeout (opts.timeout_ms): a silent backend is -ETIMEDOUT, never a
 *   hang.  Unsolicited messages are -EPROTO.  Writes use MSG_NOSIGNAL (no SIGPIPE).
 *
 * Errors
 *   Functions return 0 or a negative errno; vu_dev_error() then says what failed, naming
 *   the socket path and the message ("vhost-user /run/x.sock: GET_VRING_BASE reply: 4
 *   bytes, expected 8").  -ENOTCONN: not connected.  -ETIMEDOUT, -EPROTO, -ECONNRESET,
 *   -EPIPE: the connection was lost and is now closed.  -EIO: the backend refused a
 *   request through REPLY_ACK (the connection stays up).  -EINVAL: a bad argument from the
 *   caller (nothing was sent).  -ENOTSUP: the backend lacks something needed.
 *
 * Limits
 *   Split rings only (VIRTIO_F_RING_PACKED is never offered), no dirty logging (no live
 *   migration), no backend-initiated channel, at most VU_MAX_MEM_REGIONS memory regions and
 *   VU_MAX_QUEUE_PAIRS queue pairs.  Control queues (CTRL_VQ) are the VMM's: the backend
 *   only ever sees data rings.
 *
 * Thread-safety
 *   None inside: a struct vu_dev is used by one thread at a time.  The caller serializes
 *   every call on one device (the VMM's main loop, or the device's lock held by the vCPU
 *   that writes DRIVER_OK).  Calls that talk to the backend block for at most one reply
 *   timeout per message.  Different devices are independent.
 */

#include <stdbool.h>
#include <stdint.h>

/** Most memory regions in one SET_MEM_TABLE (the vhost-user limit). */
#define VU_MAX_MEM_REGIONS 8
/** Most queue pairs a device may use. */
#define VU_MAX_QUEUE_PAIRS 16
#define VU_MAX_RINGS (2 * VU_MAX_QUEUE_PAIRS)
/** Reply timeout when vu_opts.timeout_ms is 0. */
#define VU_DEFAULT_TIMEOUT_MS 3000
/** Largest ring (virtio split ring limit). */
#define VU_MAX_RING_SIZE 32768

/** Feature bit: the backend speaks protocol features (GET/SET_PROTOCOL_FEATURES). */
#define VU_F_PROTOCOL_FEATURES 30

/** Protocol feature bits this frontend negotiates when the backend offers them. */
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_STATUS 16

/** How to reach the backend. */
struct vu_opts {
	const char *path;	/**< unix socket path */
	bool server;		/**< listen on 'path', the backend connects (mode=server) */
	int timeout_ms;		/**< per reply; 0: VU_DEFAULT_TIMEOUT_MS */
	unsigned int queue_pairs; /**< most queue pairs wanted; 0: 1 */
};

/** One region of guest RAM, as the VMM maps it (mirrors struct vmm_mem_region). */
struct vu_mem_region {
	uint64_t gpa;		/**< guest-physical start */
	uint64_t size;		/**< bytes */
	void *hva;		/**< where the VMM maps it */
	int fd;			/**< backing file (kept open by the caller) */
	uint64_t fd_offset;	/**< offset of 'gpa' in 'fd' */
};

/** One split virtqueue, addresses in the VMM's mapping of guest RAM. */
struct vu_ring {
	uint16_t size;		/**< queue size: a power of two, 1..VU_MAX_RING_SIZE */
	void *desc;		/**< descriptor table: 16 * size bytes, inside one region */
	void *avail;		/**< driver area: 6 + 2 * size bytes */
	void *used;		/**< device area: 6 + 8 * size bytes */
	uint16_t base;		/**< next available index the backend processes */
	int kick_fd;		/**< guest -> backend eventfd (ioeventfd); -1: backend polls */
	int call_fd;		/**< backend -> guest eventfd (irqfd); -1: no interrupts */
	bool enabled;		/**< SET_VRING_ENABLE after setup (needs protocol features) */
};

struct vu_dev;

/**
 * Allocate a device for 'opts' (strings are copied).  In server mode bind and listen on
 * opts->path now (a stale socket file nobody listens on is replaced).
 *
 * @return 0 and '*devp', or -errno with a malloc'd message in '*err' (the caller frees it).
 */
int vu_dev_create(struct vu_dev **devp, const struct vu_opts *opts, char **err);

/** Close everything; in server mode remove the socket file.  NULL is ignored. */
void vu_dev_destroy(struct vu_dev *dev);

/**
 * Connect (client mode: a single attempt, -ECONNREFUSED, -ENOENT or -EAGAIN while the
 * backend is not listening or not accepting) or accept (server mode: wait up to 'wait_ms'
 * milliseconds, -EAGAIN when nobody came; -1 waits without end), then run the handshake.
 * After a reconnect the new backend must offer every feature set before and enough queues
 * for the started rings (else -ENOTSUP).  Already connected: 0.
 *
 * The socket belongs to the library: it closes it when the connection fails (epoll drops a
 * closed fd by itself; do not EPOLL_CTL_DEL a number that may already be reused).  Add
 * vu_dev_fd() to the epoll set again after every successful connect.
 */
int vu_dev_connect(struct vu_dev *dev, int wait_ms);

/** Close the connection (the device's configuration is kept for vu_dev_restore()). */
void vu_dev_disconnect(struct vu_dev *dev);

/** True while a backend is connected and the handshake succeeded. */
bool vu_dev_connected(const struct vu_dev *dev);

/** The connected socket to watch for EPOLLIN|EPOLLRDHUP (backend gone), or -1. */
int vu_dev_fd(const struct vu_dev *dev);

/** Server mode: the listening socket (readable when a backend connects), else -1. */
int vu_dev_listen_fd(const struct vu_dev *dev);

/**
 * Handle readiness of vu_dev_fd(): 0 when the backend is still there, -ECONNRESET when it
 * hung up, -EPROTO when it sent an unsolicited message; on errors the socket is closed.
 */
int vu_dev_poll(struct vu_dev *dev);

/** What the last failure was, naming the socket and message; "" when none. */
const char *vu_dev_error(const struct vu_dev *dev);

/** The socket path. */
const char *vu_dev_path(const struct vu_dev *dev);

/** Features the backend offered (GET_FEATURES) on the current or last connection. */
uint64_t vu_dev_features(const struct vu_dev *dev);

/** Protocol features negotiated (VU_PROTOCOL_F_* bits). */
uint64_t vu_dev_protocol_features(const struct vu_dev *dev);

/** Queue pairs usable: min(backend's GET_QUEUE_NUM, opts.queue_pairs); 1 without MQ. */
unsigned int vu_dev_queue_pairs(const struct vu_dev *dev);

/**
 * virtio-net features a device may offer the guest: of 'supported' (what the device
 * implements), the ring and offload features the backend offers, plus the device's own
 * (MAC, STATUS, CTRL_VQ, CTRL_RX, and MQ when more than one pair is usable).  Never
 * RING_PACKED, IOMMU_PLATFORM or LOG_ALL.
 */
uint64_t vu_net_offer(const struct vu_dev *dev, uint64_t supported);

/**
 * SET_FEATURES with the guest's 'acked' virtio features: sent are those the backend
 * offered (minus CTRL_VQ/CTRL_RX/CTRL_VLAN, the VMM's business), plus
 * VU_F_PROTOCOL_FEATURES when offered.  -EINVAL when 'acked' lacks VIRTIO_F_VERSION_1 or
 * holds a ring/offload feature the backend does not offer.
 */
int vu_dev_set_features(struct vu_dev *dev, uint64_t acked);

/**
 * SET_MEM_TABLE: up to VU_MAX_MEM_REGIONS regions (copied; the fds must stay open while
 * the device lives, they are sent again after a reconnect).
 */
int vu_dev_set_mem_table(struct vu_dev *dev, const struct vu_mem_region *regions,
	unsigned int n);

/**
 * Start ring 'idx': SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_CALL,
 * SET_VRING_KICK and, with protocol features, SET_VRING_ENABLE ring->enabled.  Needs
 * features and a memory table set first; every ring area must lie in one region.  'ring'
 * is copied (its fds must stay open while the ring is started).
 */
int vu_ring_start(struct vu_dev *dev, unsigned int idx, const struct vu_ring *ring);

/** SET_VRING_ENABLE on a started ring (needs VU_F_PROTOCOL_FEATURES, else -ENOTSUP). */
int vu_ring_enable(struct vu_dev *dev, unsigned int idx, bool enable);

/**
 * SET_VRING_CALL on a started ring: from now on the backend signals 'call_fd' (-1: none).
 * For the device's MSI-X vector masking or reassignment when the irqfd itself changes;
 * the fd must stay open while the ring is started.
 */
int vu_ring_set_call(struct vu_dev *dev, unsigned int idx, int call_fd);

/**
 * Stop ring 'idx' with GET_VRING_BASE; '*base' (may be NULL) gets the index to resume
 * from.  The ring is then no longer started.
 */
int vu_ring_stop(struct vu_dev *dev, unsigned int idx, uint16_t *base);

/** True when ring 'idx' is started. */
bool vu_ring_started(const struct vu_dev *dev, unsigned int idx);

/** The used index of started ring 'idx', read from guest memory (0 when not started). */
uint16_t vu_ring_used_idx(const struct vu_dev *dev, unsigned int idx);

/**
 * SET_STATUS with the virtio device status when VU_PROTOCOL_F_STATUS was negotiated
 * (some backends, DPDK's among them, do not start the device before DRIVER_OK arrives);
 * otherwise only remembered.  Send it after the rings are started.
 */
int vu_dev_set_status(struct vu_dev *dev, uint8_t status);

/**
 * Device reset: stop every started ring (GET_VRING_BASE), SET_STATUS 0, and forget
 * features, memory table and rings.  Without a connection only the forgetting happens.
 */
int vu_dev_stop(struct vu_dev *dev);

/**
 * After vu_dev_connect() on a new connection: send the features, memory table, every
 * started ring (ring i resumes from 'bases'[i], or from vu_ring_used_idx() when 'bases'
 * is NULL) and the status set before.  'n' is the length of 'bases' and must cover every
 * started ring.
 */
int vu_dev_restore(struct vu_dev *dev, const uint16_t *bases, unsigned int n);

#endif /* VIREO_VHOST_USER_H */

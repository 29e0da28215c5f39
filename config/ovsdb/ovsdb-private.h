/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OVSDB_PRIVATE_H
#define VIREO_OVSDB_PRIVATE_H

/*
 * Internals of config/ovsdb/, shared by its files only.
 *
 *   conn.c       the socket: remote syntax, non-blocking connect, message framing, output.
 *   datum.c      OVSDB values in JSON (atoms, sets, maps) and the update2 diff rules.
 *   replica.c    the schema's column kinds and the replica of the monitored rows.
 *   build.c      replica -> struct vconf, plus the interfaces the client fails itself.
 *   writeback.c  what the dataplane reports -> one "transact" of the changed columns.
 *   ovsdb.c      the session: lock, schema, monitor, dispatch, reconnect with backoff.
 *
 * JSON values are jansson objects throughout; a table is an object uuid -> row, a row an
 * object column -> value in OVSDB's wire encoding.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "ovsdb.h"

/** Largest message accepted from the server (a big initial snapshot fits). */
#define VOVSDB_MAX_MSG (64u << 20)
/** Input taken from the socket per vovsdb_conn_read() at most. */
#define VOVSDB_READ_BURST (4u << 20)
/** Output that may wait for the socket before the connection is dropped. */
#define VOVSDB_MAX_OUT (64u << 20)

/* ---- conn.c ---- */

/** Where to connect, parsed once. */
struct vovsdb_remote {
	int family;		/**< AF_UNIX, AF_INET or AF_INET6. */
	char *path;		/**< AF_UNIX path. */
	char *host;		/**< Numeric address for AF_INET(6). */
	uint16_t port;
};

/** Bracket scanner over the input buffer. */
struct vovsdb_frame {
	size_t pos;
	size_t start;
	int depth;
	bool in_str;
	bool esc;
};

/*
 * Input bytes [in_off, in_len) of 'in' are not consumed yet.  Taking a message only moves
 * 'in_off'; vovsdb_conn_read() moves the unconsumed tail to the front once per call, so the
 * work is linear in the input however many messages one read brings (only the head of an
 * incomplete message moves, at most once before it completes).
 */
struct vovsdb_conn {
	int fd;
	bool connecting;	/**< connect() in progress (TCP). */
	char *in;
	size_t in_off;
	size_t in_len;
	size_t in_cap;
	struct vovsdb_frame frame;	/**< Positions are offsets in 'in'. */
	char *out;
	size_t out_len;
	size_t out_off;
};

int vovsdb_remote_parse(const char *s, struct vovsdb_remote *r, char **err);
void vovsdb_remote_free(struct vovsdb_remote *r);

/** Start connecting. @return 0 (connected or in progress) or -errno. */
int vovsdb_conn_open(struct vovsdb_conn *c, const struct vovsdb_remote *r);
/** While 'connecting': 1 when done, 0 still in progress, -errno failed. */
int vovsdb_conn_finish(struct vovsdb_conn *c);
void vovsdb_conn_close(struct vovsdb_conn *c);
/** Read what is available. @return bytes read, -EPIPE on EOF, other -errno on error. */
int vovsdb_conn_read(struct vovsdb_conn *c);
/**
 * Take the next complete message from the input.
 * @return 1 with '*msg' (a new reference), 0 when none is complete, -EPROTO on input that is
 *         not JSON-RPC, with a description in '*why' (static text or jansson's).
 */
int vovsdb_conn_next(struct vovsdb_conn *c, json_t **msg, char *why, size_t why_len);
/** Queue 'msg' (serialised compactly). @return 0 or -errno. */
int vovsdb_conn_send(struct vovsdb_conn *c, const json_t *msg);
/** Write queued output. @return 0 or -errno. */
int vovsdb_conn_flush(struct vovsdb_conn *c);

/** Frame scanner, exposed for the unit test. Same contract as control/'s. */
int vovsdb_frame_next(struct vovsdb_frame *f, const char *buf, size_t len, size_t *start,
		size_t *end);

/* ---- datum.c ---- */

/** How a column's values are encoded and diffed. */
enum vovsdb_kind {
	VOVSDB_SCALAR,		/**< exactly one atom, no value type */
	VOVSDB_OPTIONAL,	/**< zero or one atom: an update2 modify carries the new value */
	VOVSDB_SET,		/**< any other key-only type */
	VOVSDB_MAP,		/**< key and value types */
};

/** The kind of a column type from the schema; -1 when 'type' is malformed. */
int vovsdb_kind_of_type(const json_t *type);

/**
 * The elements of a set value: a new reference to an array (a bare atom is a one-element
 * set).  NULL when 'v' is not a set.
 */
json_t *vovsdb_set_elems(const json_t *v);

/** The pairs of a map value (borrowed array of 2-element arrays), NULL when not a map. */
const json_t *vovsdb_map_pairs(const json_t *v);

/**
 * Apply an update2 "modify" diff 'diff' to 'old' for a column of kind 'kind'.
 * @return the new value (new reference) or NULL when 'diff' or 'old' is malformed.
 */
json_t *vovsdb_apply_diff(int kind, const json_t *old, const json_t *diff);

/** Encoders of the values the client writes. Each returns a new reference. */
json_t *vovsdb_enc_opt_int(bool present, int64_t v);
json_t *vovsdb_enc_opt_str(const char *s);
json_t *vovsdb_enc_str_set(const char *const *v);
json_t *vovsdb_enc_str_map(const struct vconf_map *m);
json_t *vovsdb_enc_int_map(const struct vovsdb_stat *s, size_t n);

/** A uuid atom ["uuid", "..."]: the uuid string, or NULL. */
const char *vovsdb_uuid_of(const json_t *atom);

/* ---- replica.c ---- */

/** The tables the client monitors. */
enum vovsdb_table {
	VOVSDB_T_OVS,
	VOVSDB_T_BRIDGE,
	VOVSDB_T_PORT,
	VOVSDB_T_IFACE,
	VOVSDB_T_CTRL,
	VOVSDB_T_QOS,		/* optional: a schema without it has no Port qos to follow */
	VOVSDB_T_MIRROR,	/* optional: a schema without it has no mirrors */
	VOVSDB_N_TABLES,
};

struct vovsdb_replica {
	json_t *kinds[VOVSDB_N_TABLES];		/**< column -> kind (integer); all columns */
	json_t *rows[VOVSDB_N_TABLES];		/**< uuid -> row */
};

extern const char *const vovsdb_table_names[VOVSDB_N_TABLES];

/** Learn the column kinds from a get_schema result. @return 0 or -EPROTO ('*err' set). */
int vovsdb_replica_schema(struct vovsdb_replica *r, const json_t *schema, char **err);
/** The monitor requests (table -> [{"columns": [...]}]) for the columns the schema has. */
json_t *vovsdb_replica_monitor_requests(const struct vovsdb_replica *r);
/** Drop all rows (not the kinds). */
void vovsdb_replica_clear(struct vovsdb_replica *r);
void vovsdb_replica_free(struct vovsdb_replica *r);
/** Kind of 'column' of 'table', -1 when the schema lacks it. */
int vovsdb_replica_kind(const struct vovsdb_replica *r, enum vovsdb_table t, const char *col);

/**
 * Apply a table-updates ('v2' false: RFC 7047 "old"/"new") or table-updates2 ('v2' true)
 * object.  Rows that cannot be applied are skipped and counted in '*n_bad'; '*changed' is set
 * when a row changed.  @return 0, or -EPROTO when 'updates' itself is not an object.
 */
int vovsdb_replica_apply(struct vovsdb_replica *r, const json_t *updates, bool v2,
		bool *changed, size_t *n_bad);

/* ---- build.c ---- */

/** The result of reading the replica. */
struct vovsdb_view {
	struct vconf conf;
	int64_t next_cfg;
	char *ovs_uuid;			/**< The Open_vSwitch row, NULL when none. */
	json_t *iface_uuid;		/**< Interface name -> uuid (string) */
	json_t *foreign;		/**< Interface name -> error text, interfaces we fail */
	json_t *ctrl_uuid;		/**< uuid -> true: Controller rows of our bridges */
	json_t *mirror_uuid;		/**< uuid -> true: Mirror rows of our bridges */
	json_t *bridge_uuid;		/**< Bridge name -> uuid (string): our bridges */
};

/**
 * Build 'view' from 'r'; problems worth a log line go to 'log' (one per line).
 * @return 0 or -ENOMEM.
 */
int vovsdb_view_build(const struct vovsdb_replica *r, const char *source,
		struct vovsdb_view *view, json_t *log);
void vovsdb_view_free(struct vovsdb_view *view);
/** True when the two vconfs describe the same desired state. */
bool vovsdb_conf_equal(const struct vconf *a, const struct vconf *b);

/* ---- writeback.c ---- */

struct vovsdb_wb {
	json_t *want_iface;	/**< name -> {column: value} reported by the dataplane */
	json_t *want_ovs;	/**< column -> value for the Open_vSwitch row */
	json_t *want_ctrl;	/**< Controller uuid -> {column: value} */
	json_t *want_mirror;	/**< Mirror uuid -> {column: value} */
	json_t *want_bridge;	/**< Bridge name -> {column: value} */
	json_t *written;	/**< uuid -> {column: value} written on this connection */
	json_t *in_flight;	/**< [[uuid, row], ...] of the transaction awaiting its reply */
	bool dirty;		/**< Something may differ from 'written'. */
};

int vovsdb_wb_init(struct vovsdb_wb *wb);
void vovsdb_wb_free(struct vovsdb_wb *wb);
/** Forget what was written (new connection): everything is written again. */
void vovsdb_wb_reset(struct vovsdb_wb *wb);
/** Forget reports of interfaces, bridges and rows that left the database ('view'). */
void vovsdb_wb_prune(struct vovsdb_wb *wb, const struct vovsdb_view *view);
/**
 * Build the operations of the next transaction (after the lock assertion) into 'ops' and
 * remember them as in flight.  Columns the schema lacks are skipped.
 * @return the number of update operations added (0: nothing to write).
 */
size_t vovsdb_wb_build(struct vovsdb_wb *wb, const struct vovsdb_view *view,
		const struct vovsdb_replica *r, json_t *ops);
/** The in-flight transaction succeeded ('ok') or failed. */
void vovsdb_wb_done(struct vovsdb_wb *wb, bool ok);

/* ---- ovsdb.c and session.c: the session ---- */

/** TCP only: after this much silence send an echo; after twice as much, reconnect. */
#define VOVSDB_PROBE_MS 5000

enum vovsdb_state {
	VOVSDB_BACKOFF,		/**< No socket; connect at 'reconnect_at'. */
	VOVSDB_CONNECTING,	/**< TCP connect in progress. */
	VOVSDB_SESSION,		/**< Connected: schema, lock, monitor, updates. */
	VOVSDB_FATAL,		/**< ops->fatal was called; inert. */
};

struct vovsdb {
	char *remote_str;
	char *source;			/**< "ovsdb:" + remote, for vconf.source */
	struct vovsdb_remote remote;
	struct vovsdb_ops ops;
	void *aux;
	struct vovsdb_conn conn;
	int epfd;			/**< vovsdb_fd(): an epoll set holding conn.fd */
	uint32_t ep_events;		/**< What conn.fd is registered for (0: not). */
	enum vovsdb_state state;
	int64_t reconnect_at;		/**< Monotonic ms. */
	int backoff_ms;
	int64_t last_rx;		/**< When the server last sent something (probes). */
	bool probe_sent;
	json_int_t next_id;
	json_int_t id_schema, id_lock, id_monitor, id_txn;	/**< 0: none outstanding */
	bool monitor_v2;		/**< The outstanding/active monitor is monitor_cond. */
	bool locked;
	bool have_snapshot;
	bool need_deliver;		/**< Call ops->config even when nothing changed. */
	int64_t retry_txn_at;
	struct vovsdb_replica rep;
	struct vovsdb_view view;	/**< The last state handed to ops->config. */
	struct vovsdb_wb wb;
};

/** The connection is up: send get_schema and lock. */
void vovsdb_session_start(struct vovsdb *db);
/** Handle one message from the server. */
void vovsdb_session_dispatch(struct vovsdb *db, const json_t *msg);
/** Send the write-back transaction when one is due. */
void vovsdb_session_write_back(struct vovsdb *db);
/** Inactivity probe (TCP). */
void vovsdb_session_probe(struct vovsdb *db);
/** Close, log 'why', schedule a reconnect with backoff. */
void vovsdb_session_drop(struct vovsdb *db, const char *why);

/** Monotonic clock in milliseconds. */
int64_t vovsdb_now_ms(void);
/** printf-style log through ops->log, prefixed with the remote. */
void vovsdb_log(struct vovsdb *db, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VIREO_OVSDB_PRIVATE_H */

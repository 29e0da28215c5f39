/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_CONTROL_H
#define VIREO_CONTROL_H

/*
 * control: the unixctl server shared by vireo-dp and vireo-vmm.
 *
 * What?
 * =====
 * Open vSwitch's unixctl protocol: JSON-RPC 1.0 over a unix stream socket.  A request is
 * {"method":"NAME","params":["arg",...],"id":N}; a reply is {"result":TEXT,"error":null,"id":N}
 * or {"result":null,"error":TEXT,"id":N}.  Several requests may arrive on one connection,
 * back to back, without separators.  So `ovs-appctl -t SOCKET dpif-netdev/pmd-stats-show`
 * and `vireoctl pmd-stats-show` both work.
 *
 * Commands are registered by the module that implements them (name, usage, min and max
 * argument count, callback).  Built in: "list-commands", "version", and OVS 3.3's
 * "set-options --format json|text", which switches the connection's output format: a command
 * that can reply with JSON then replies with a JSON object instead of text.
 *
 * Framing and flow control: requests may be split across reads or packed several to a read;
 * a message ends where its outermost bracket closes.  A connection is served one request at
 * a time; a reply is written as far as the socket takes it and the rest waits for the socket
 * to drain, so a client that does not read costs one reply's memory and never blocks the
 * daemon.  Input that is not JSON-RPC (not JSON, not a request, more than 4 MiB unfinished)
 * drops that client only.
 *
 * Errors follow OVS's texts: "\"CMD\" is not a valid command (use \"list-commands\" ...)",
 * "\"CMD\" command requires at least N arguments", "\"CMD\" command takes at most N
 * arguments", "\"CMD\" command has non-string argument".  Text replies get a trailing
 * newline, as in OVS.
 *
 * Thread-safety: everything here runs on the thread that calls control_server_run(), the
 * daemon's main thread.  Callbacks run there too.  The command table is global and not
 * locked: register commands from that thread (or before the server thread starts).  A
 * callback must not destroy the server it runs in; set a flag and destroy it after
 * control_server_run() returns.
 */

#include <stdbool.h>
#include <jansson.h>

struct control_server;
struct control_conn;

enum control_format {
	CONTROL_FMT_TEXT,
	CONTROL_FMT_JSON,
};

/**
 * A command callback.  'argv[0]' is the command name, 'argv[1..argc-1]' its arguments.
 * It must reply exactly once, with control_reply(), control_reply_json() or
 * control_reply_error(), before it returns.
 */
typedef void control_cb(struct control_conn *conn, int argc, const char *argv[], void *aux);

/**
 * Register 'name' (usage text 'usage', between 'min' and 'max' arguments).  Registering a
 * name again replaces it; a registered command hides a built-in of the same name (a daemon
 * may provide its own "version").
 */
void control_command_register(const char *name, const char *usage, int min_args, int max_args,
		control_cb *cb, void *aux);

/** Register 'alias' as another name of the already registered command 'name'. */
void control_command_alias(const char *alias, const char *name);

/** Remove all registered commands (at exit, and between unit tests). */
void control_commands_clear(void);

/**
 * Listen on the unix socket 'path' (mode 0600; a stale socket file is replaced, a live one
 * or a file that is not a socket is an error; a missing last directory of 'path' is
 * created with mode 0755).  Returns the server or NULL with a malloc'd message naming
 * 'path' in '*err'.
 */
struct control_server *control_server_create(const char *path, char **err);

/** The file descriptor to wait on (readable) in the caller's event loop. */
int control_server_fd(const struct control_server *srv);

/** Accept connections and serve complete requests; never blocks. */
void control_server_run(struct control_server *srv);

/**
 * Close every connection, remove the socket file (unless another server has replaced it
 * since), free 'srv'.  NULL is allowed.
 */
void control_server_destroy(struct control_server *srv);

/** The output format the client asked for on this connection. */
enum control_format control_conn_format(const struct control_conn *conn);

/** Reply with 'text' (NULL means empty). */
void control_reply(struct control_conn *conn, const char *text);
/** Reply with a JSON value (steals the reference).  In text mode it is sent pretty-printed. */
void control_reply_json(struct control_conn *conn, json_t *result);
/** Reply with the error 'text': ovs-appctl and vireoctl print it and exit 2. */
void control_reply_error(struct control_conn *conn, const char *text);
/** printf-style helpers. */
void control_replyf(struct control_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void control_reply_errorf(struct control_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Client side (vireoctl, tests): one request, one reply.
 * Returns 0 and sets '*result' (malloc'd text, or JSON dumped as text) or, when the server
 * replied with an error, returns 1 and sets '*result' to the error text; returns -errno with
 * a message in '*result' when the socket could not be reached.
 */
int control_call(const char *path, const char *method, int argc, const char *argv[],
		bool json, int timeout_ms, char **result);

/** A growable text buffer for building replies; start it as { 0 }. */
struct control_buf {
	char *s;
	size_t len;
	size_t cap;
};
/** Append printf-style text to 'b' (aborts when out of memory, like the reply helpers). */
void control_buf_printf(struct control_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Hand the buffer's text to the caller (never NULL) and reset 'b'. */
char *control_buf_steal(struct control_buf *b);
/** Free the text of 'b' and reset it. */
void control_buf_free(struct control_buf *b);
/** printf into a new malloc'd string; NULL when out of memory. */
char *control_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VIREO_CONTROL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One session with ovsdb-server, message by message:
 *
 *   connected   -> get_schema, lock "ovs_vswitchd"
 *   schema      -> monitor_cond (or monitor, when the server rejects monitor_cond)
 *   lock reply  -> locked, or ops->fatal when another client holds it
 *   snapshot    -> replica, then ops->config once the lock is held too
 *   update(2)   -> replica, then ops->config when the desired state or next_cfg changed
 *   echo        -> echo reply
 *   transact    -> the write-back is recorded as written, or retried after a second
 *
 * Anything malformed is logged with what was expected and either ignored (an unexpected
 * reply or notification) or answered by a reconnect (a broken snapshot or update, since the
 * replica could no longer be trusted).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "ovsdb-private.h"

#define DB_NAME "Open_vSwitch"
#define LOCK_NAME "ovs_vswitchd"
#define MONITOR_ID "vireo"
#define TXN_RETRY_MS 1000

static json_int_t
send_request(struct vovsdb *db, const char *method, json_t *params)
{
	json_int_t id = ++db->next_id;
	json_t *msg = json_pack("{sssosI}", "method", method, "params", params, "id", id);
	int rc;

	if (!msg)
		return -ENOMEM;
	rc = vovsdb_conn_send(&db->conn, msg);
	json_decref(msg);
	return rc < 0 ? rc : id;
}

/* Drop the connection and schedule a reconnect. */
void
vovsdb_session_drop(struct vovsdb *db, const char *why)
{
	if (db->state == VOVSDB_FATAL)
		return;
	vovsdb_conn_close(&db->conn);
	db->ep_events = 0;
	db->state = VOVSDB_BACKOFF;
	db->reconnect_at = vovsdb_now_ms() + db->backoff_ms;
	vovsdb_log(db, db->backoff_ms > 100 ? LOG_INFO : LOG_WARNING,
			"%s; reconnecting in %d ms", why, db->backoff_ms);
	db->backoff_ms = db->backoff_ms * 2 > 8000 ? 8000 : db->backoff_ms * 2;
	db->id_schema = db->id_lock = db->id_monitor = db->id_txn = 0;
	db->locked = false;
	db->have_snapshot = false;
	db->probe_sent = false;
	vovsdb_replica_clear(&db->rep);
	vovsdb_wb_reset(&db->wb);
}

static void
fatal(struct vovsdb *db, const char *msg)
{
	if (db->state == VOVSDB_FATAL)
		return;
	vovsdb_conn_close(&db->conn);
	db->ep_events = 0;
	db->state = VOVSDB_FATAL;
	db->ops.fatal(db->aux, msg);
}

void
vovsdb_session_start(struct vovsdb *db)
{
	db->state = VOVSDB_SESSION;
	db->last_rx = vovsdb_now_ms();
	db->need_deliver = true;
	db->retry_txn_at = 0;
	vovsdb_log(db, LOG_INFO, "connected");
	db->id_schema = send_request(db, "get_schema", json_pack("[s]", DB_NAME));
	db->id_lock = send_request(db, "lock", json_pack("[s]", LOCK_NAME));
	if (db->id_schema < 0 || db->id_lock < 0)
		vovsdb_session_drop(db, "cannot queue the first requests");
}

/* Rebuild the view from the replica and hand it to ops->config when it changed. */
static void
deliver(struct vovsdb *db)
{
	struct vovsdb_view nv;
	json_t *log = json_array(), *line;
	size_t i;
	bool same;

	if (!db->locked || !db->have_snapshot || !log) {
		json_decref(log);
		return;
	}
	if (vovsdb_view_build(&db->rep, db->source, &nv, log)) {
		vovsdb_view_free(&nv);
		json_decref(log);
		vovsdb_log(db, LOG_ERR, "out of memory building the configuration");
		return;
	}
	json_array_foreach(log, i, line)
		vovsdb_log(db, LOG_WARNING, "%s", json_string_value(line));
	json_decref(log);
	same = db->view.conf.source && nv.next_cfg == db->view.next_cfg &&
		vovsdb_conf_equal(&nv.conf, &db->view.conf);
	if (same) {
		struct vconf keep = db->view.conf;

		db->view.conf = nv.conf;
		nv.conf = keep;
	}
	vovsdb_view_free(&db->view);
	db->view = nv;
	vovsdb_wb_prune(&db->wb, &db->view);
	if (same && !db->need_deliver)
		return;
	db->need_deliver = false;
	db->ops.config(db->aux, &db->view.conf, db->view.next_cfg);
}

static void
on_schema(struct vovsdb *db, const json_t *result, const json_t *error)
{
	json_t *req;
	char *err = NULL;

	db->id_schema = 0;
	if (error && !json_is_null(error)) {
		vovsdb_session_drop(db, "get_schema of database " DB_NAME " failed");
		return;
	}
	if (vovsdb_replica_schema(&db->rep, result, &err)) {
		vovsdb_log(db, LOG_ERR, "database " DB_NAME ": %s", err ? err : "bad schema");
		free(err);
		vovsdb_session_drop(db, "unusable schema");
		return;
	}
	req = vovsdb_replica_monitor_requests(&db->rep);
	db->monitor_v2 = true;
	db->id_monitor = send_request(db, "monitor_cond",
			json_pack("[sso]", DB_NAME, MONITOR_ID, req));
	if (db->id_monitor < 0)
		vovsdb_session_drop(db, "cannot queue the monitor request");
}

static void
on_monitor(struct vovsdb *db, const json_t *result, const json_t *error)
{
	bool changed = false;
	size_t n_bad = 0;

	db->id_monitor = 0;
	if (error && !json_is_null(error)) {
		if (db->monitor_v2) {
			const json_t *e = json_is_string(error) ? error
				: json_object_get(error, "error");

			vovsdb_log(db, LOG_INFO, "monitor_cond refused (%s): using monitor",
					json_is_string(e) ? json_string_value(e) : "error");
			db->monitor_v2 = false;
			db->id_monitor = send_request(db, "monitor",
					json_pack("[sso]", DB_NAME, MONITOR_ID,
						vovsdb_replica_monitor_requests(&db->rep)));
			if (db->id_monitor < 0)
				vovsdb_session_drop(db, "cannot queue the monitor request");
			return;
		}
		vovsdb_session_drop(db, "monitor refused");
		return;
	}
	vovsdb_replica_clear(&db->rep);
	if (vovsdb_replica_apply(&db->rep, result, db->monitor_v2, &changed, &n_bad) ||
	    n_bad) {
		vovsdb_log(db, LOG_ERR, "initial snapshot: %zu malformed row(s)%s", n_bad,
				json_is_object(result) ? "" : ", result is not an object");
		vovsdb_session_drop(db, "malformed snapshot");
		return;
	}
	db->have_snapshot = true;
	if (db->locked)
		db->backoff_ms = 100;
	deliver(db);
}

static void
on_lock(struct vovsdb *db, const json_t *result, const json_t *error)
{
	const json_t *locked = json_object_get(result, "locked");

	db->id_lock = 0;
	if ((error && !json_is_null(error)) || !json_is_boolean(locked)) {
		vovsdb_log(db, LOG_ERR, "unexpected reply to lock " LOCK_NAME);
		vovsdb_session_drop(db, "lock failed");
		return;
	}
	if (!json_is_true(locked)) {
		fatal(db, "ovsdb lock " LOCK_NAME " is held by another process "
				"(is ovs-vswitchd running?)");
		return;
	}
	db->locked = true;
	if (db->have_snapshot)
		db->backoff_ms = 100;
	deliver(db);
}

static void
on_txn(struct vovsdb *db, const json_t *result, const json_t *error)
{
	const json_t *r;
	bool ok = json_is_array(result) && (!error || json_is_null(error));
	size_t i;

	db->id_txn = 0;
	json_array_foreach(result, i, r) {
		const json_t *e = json_object_get(r, "error");

		if (e) {
			const json_t *d = json_object_get(r, "details");

			vovsdb_log(db, LOG_WARNING, "write-back transaction failed: %s%s%s",
					json_is_string(e) ? json_string_value(e) : "?",
					json_is_string(d) ? ": " : "",
					json_is_string(d) ? json_string_value(d) : "");
			ok = false;
			break;
		}
	}
	if (!json_is_array(result))
		vovsdb_log(db, LOG_WARNING, "write-back transaction: unexpected reply");
	vovsdb_wb_done(&db->wb, ok);
	if (!ok)
		db->retry_txn_at = vovsdb_now_ms() + TXN_RETRY_MS;
}

static void
on_update(struct vovsdb *db, const json_t *params, bool v2)
{
	bool changed = false;
	size_t n_bad = 0;

	if (!json_is_array(params) || json_array_size(params) != 2 ||
	    !json_is_string(json_array_get(params, 0)) ||
	    strcmp(json_string_value(json_array_get(params, 0)), MONITOR_ID)) {
		vovsdb_log(db, LOG_WARNING, "ignoring an update for another monitor");
		return;
	}
	if (!db->have_snapshot || v2 != db->monitor_v2) {
		vovsdb_log(db, LOG_WARNING, "ignoring an update before the snapshot");
		return;
	}
	if (vovsdb_replica_apply(&db->rep, json_array_get(params, 1), v2, &changed, &n_bad) ||
	    n_bad) {
		vovsdb_log(db, LOG_ERR, "update: %zu malformed row(s)", n_bad);
		vovsdb_session_drop(db, "malformed update");
		return;
	}
	if (changed)
		deliver(db);
}

static void
reply(struct vovsdb *db, const json_t *id, json_t *result, const char *error)
{
	json_t *msg = json_pack("{sOsoso}", "id", id, "result", result ? result : json_null(),
			"error", error ? json_string(error) : json_null());

	if (!msg || vovsdb_conn_send(&db->conn, msg))
		vovsdb_log(db, LOG_ERR, "cannot queue a reply");
	json_decref(msg);
}

static void
on_request(struct vovsdb *db, const char *method, const json_t *params, const json_t *id)
{
	if (!strcmp(method, "echo") && id && !json_is_null(id)) {
		reply(db, id, json_incref((json_t *)params), NULL);
	} else if (!strcmp(method, "update2") || !strcmp(method, "update")) {
		on_update(db, params, !strcmp(method, "update2"));
	} else if (!strcmp(method, "locked")) {
		vovsdb_log(db, LOG_INFO, "lock " LOCK_NAME " acquired");
	} else if (!strcmp(method, "stolen")) {
		fatal(db, "ovsdb lock " LOCK_NAME " was stolen by another client");
	} else if (id && !json_is_null(id)) {
		vovsdb_log(db, LOG_WARNING, "unknown request '%s' refused", method);
		reply(db, id, NULL, "unknown method");
	} else {
		vovsdb_log(db, LOG_DEBUG, "ignoring notification '%s'", method);
	}
}

void
vovsdb_session_dispatch(struct vovsdb *db, const json_t *msg)
{
	const json_t *method = json_object_get(msg, "method");
	const json_t *id = json_object_get(msg, "id");
	const json_t *result = json_object_get(msg, "result");
	const json_t *error = json_object_get(msg, "error");
	json_int_t n;

	if (method) {
		if (!json_is_string(method))
			vovsdb_log(db, LOG_WARNING, "ignoring a message whose method is not a "
					"string");
		else
			on_request(db, json_string_value(method), json_object_get(msg, "params"),
					id);
		return;
	}
	if (!json_is_integer(id) || (!result && !error)) {
		vovsdb_log(db, LOG_WARNING, "ignoring a message that is neither a request nor "
				"a reply to one of ours");
		return;
	}
	n = json_integer_value(id);
	if (n == db->id_schema && n)
		on_schema(db, result, error);
	else if (n == db->id_lock && n)
		on_lock(db, result, error);
	else if (n == db->id_monitor && n)
		on_monitor(db, result, error);
	else if (n == db->id_txn && n)
		on_txn(db, result, error);
	else if (n > 0 && n <= db->next_id)
		vovsdb_log(db, LOG_DEBUG, "reply to request %lld", (long long)n);
	else
		vovsdb_log(db, LOG_WARNING, "ignoring a reply to unknown request %lld",
				(long long)n);
}

void
vovsdb_session_write_back(struct vovsdb *db)
{
	json_t *params;
	size_t n;

	if (db->state != VOVSDB_SESSION || !db->locked || !db->have_snapshot || db->id_txn ||
	    !db->wb.dirty || vovsdb_now_ms() < db->retry_txn_at)
		return;
	params = json_pack("[s{ssss}]", DB_NAME, "op", "assert", "lock", LOCK_NAME);
	if (!params)
		return;
	n = vovsdb_wb_build(&db->wb, &db->view, &db->rep, params);
	if (!n) {
		json_decref(params);
		vovsdb_wb_done(&db->wb, true);
		db->wb.dirty = false;
		return;
	}
	db->id_txn = send_request(db, "transact", params);
	if (db->id_txn < 0) {
		db->id_txn = 0;
		vovsdb_session_drop(db, "cannot queue the write-back");
	}
}

void
vovsdb_session_probe(struct vovsdb *db)
{
	int64_t idle = vovsdb_now_ms() - db->last_rx;

	if (db->remote.family == AF_UNIX)
		return;
	if (idle >= 2 * VOVSDB_PROBE_MS) {
		vovsdb_session_drop(db, "no reply to the inactivity probe");
	} else if (idle >= VOVSDB_PROBE_MS && !db->probe_sent) {
		db->probe_sent = send_request(db, "echo", json_array()) > 0;
	}
}

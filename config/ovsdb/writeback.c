/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write-back: what the dataplane reports, kept as column values in OVSDB's encoding, and
 * turned into "update" operations holding only the columns that differ from what this
 * connection last wrote: Interface, Bridge, Controller, Mirror and Open_vSwitch columns.
 * Interfaces of bridges vireo-dp does not run get ofport -1 and the
 * error text of the view instead.
 */

#include <errno.h>
#include <string.h>

#include "ovsdb-private.h"

int
vovsdb_wb_init(struct vovsdb_wb *wb)
{
	memset(wb, 0, sizeof(*wb));
	wb->want_iface = json_object();
	wb->want_ovs = json_object();
	wb->want_ctrl = json_object();
	wb->want_mirror = json_object();
	wb->want_bridge = json_object();
	wb->written = json_object();
	if (!wb->want_iface || !wb->want_ovs || !wb->want_ctrl || !wb->want_mirror ||
			!wb->want_bridge || !wb->written) {
		vovsdb_wb_free(wb);
		return -ENOMEM;
	}
	return 0;
}

void
vovsdb_wb_free(struct vovsdb_wb *wb)
{
	json_decref(wb->want_iface);
	json_decref(wb->want_ovs);
	json_decref(wb->want_ctrl);
	json_decref(wb->want_mirror);
	json_decref(wb->want_bridge);
	json_decref(wb->written);
	json_decref(wb->in_flight);
	memset(wb, 0, sizeof(*wb));
}

void
vovsdb_wb_reset(struct vovsdb_wb *wb)
{
	json_object_clear(wb->written);
	json_decref(wb->in_flight);
	wb->in_flight = NULL;
	wb->dirty = true;
}

void
vovsdb_wb_prune(struct vovsdb_wb *wb, const struct vovsdb_view *view)
{
	json_t *live = json_object(), *v;
	const char *key;
	void *tmp;

	json_object_foreach_safe(wb->want_iface, tmp, key, v)
		if (!json_object_get(view->iface_uuid, key))
			json_object_del(wb->want_iface, key);
	json_object_foreach_safe(wb->want_ctrl, tmp, key, v)
		if (!json_object_get(view->ctrl_uuid, key))
			json_object_del(wb->want_ctrl, key);
	json_object_foreach_safe(wb->want_mirror, tmp, key, v)
		if (!json_object_get(view->mirror_uuid, key))
			json_object_del(wb->want_mirror, key);
	json_object_foreach_safe(wb->want_bridge, tmp, key, v)
		if (!json_object_get(view->bridge_uuid, key))
			json_object_del(wb->want_bridge, key);
	if (live) {
		json_object_foreach(view->iface_uuid, key, v)
			json_object_set(live, json_string_value(v), json_true());
		json_object_update(live, view->ctrl_uuid);
		json_object_update(live, view->mirror_uuid);
		json_object_foreach(view->bridge_uuid, key, v)
			json_object_set(live, json_string_value(v), json_true());
		if (view->ovs_uuid)
			json_object_set(live, view->ovs_uuid, json_true());
		json_object_foreach_safe(wb->written, tmp, key, v)
			if (!json_object_get(live, key))
				json_object_del(wb->written, key);
		json_decref(live);
	}
	wb->dirty = true;
}

static size_t
add_update(struct vovsdb_wb *wb, const struct vovsdb_replica *r, enum vovsdb_table t,
		const char *uuid, const json_t *state, json_t *ops)
{
	const json_t *written = json_object_get(wb->written, uuid);
	json_t *row = json_object(), *v;
	const char *col;

	if (!row)
		return 0;
	json_object_foreach((json_t *)state, col, v) {
		if (vovsdb_replica_kind(r, t, col) < 0)
			continue;
		if (written && json_equal(json_object_get(written, col), v))
			continue;
		json_object_set(row, col, v);
	}
	if (!json_object_size(row)) {
		json_decref(row);
		return 0;
	}
	json_array_append_new(ops, json_pack("{ss ss s[[ss[ss]]] sO}", "op", "update",
				"table", vovsdb_table_names[t], "where", "_uuid", "==",
				"uuid", uuid, "row", row));
	json_array_append_new(wb->in_flight, json_pack("[so]", uuid, row));
	return 1;
}

size_t
vovsdb_wb_build(struct vovsdb_wb *wb, const struct vovsdb_view *view,
		const struct vovsdb_replica *r, json_t *ops)
{
	const char *name;
	json_t *u;
	size_t n = 0;

	json_decref(wb->in_flight);
	wb->in_flight = json_array();
	if (!wb->in_flight)
		return 0;
	json_object_foreach(view->iface_uuid, name, u) {
		const json_t *err = json_object_get(view->foreign, name);
		json_t *state;

		if (err) {
			state = json_pack("{sIsO}", "ofport", (json_int_t)-1, "error", err);
			n += add_update(wb, r, VOVSDB_T_IFACE, json_string_value(u), state, ops);
			json_decref(state);
			continue;
		}
		state = json_object_get(wb->want_iface, name);
		if (state)
			n += add_update(wb, r, VOVSDB_T_IFACE, json_string_value(u), state, ops);
	}
	json_object_foreach(wb->want_ctrl, name, u)
		if (json_object_get(view->ctrl_uuid, name))
			n += add_update(wb, r, VOVSDB_T_CTRL, name, u, ops);
	json_object_foreach(wb->want_mirror, name, u)
		if (json_object_get(view->mirror_uuid, name))
			n += add_update(wb, r, VOVSDB_T_MIRROR, name, u, ops);
	json_object_foreach(view->bridge_uuid, name, u) {
		const json_t *state = json_object_get(wb->want_bridge, name);

		if (state)
			n += add_update(wb, r, VOVSDB_T_BRIDGE, json_string_value(u), state, ops);
	}
	if (view->ovs_uuid)
		n += add_update(wb, r, VOVSDB_T_OVS, view->ovs_uuid, wb->want_ovs, ops);
	wb->dirty = false;
	return n;
}

void
vovsdb_wb_done(struct vovsdb_wb *wb, bool ok)
{
	json_t *e;
	size_t i;

	if (!wb->in_flight)
		return;
	if (ok) {
		json_array_foreach(wb->in_flight, i, e) {
			const char *uuid = json_string_value(json_array_get(e, 0));
			json_t *w = json_object_get(wb->written, uuid);

			if (!w) {
				w = json_object();
				json_object_set_new(wb->written, uuid, w);
			}
			json_object_update(w, json_array_get(e, 1));
		}
	}
	json_decref(wb->in_flight);
	wb->in_flight = NULL;
	wb->dirty = true;
}

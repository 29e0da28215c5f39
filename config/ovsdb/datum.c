/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OVSDB values as JSON (RFC 7047 section 5.1): an atom is a string, number, boolean or
 * ["uuid", U]; a set is ["set", [atoms]] or, with one element, the bare atom; a map is
 * ["map", [[key, value], ...]].
 *
 * update2 "modify" diffs (ovsdb-server(7)): a scalar column carries its new value; a set
 * column carries the elements to toggle (present ones leave, absent ones join); a map column
 * carries pairs: an absent key is added, a key with the same value is removed, a key with
 * another value takes it.
 */

#include <string.h>

#include "ovsdb-private.h"

int
vovsdb_kind_of_type(const json_t *type)
{
	const json_t *min, *max;

	if (json_is_string(type))
		return VOVSDB_SCALAR;
	if (!json_is_object(type) || !json_object_get(type, "key"))
		return -1;
	if (json_object_get(type, "value"))
		return VOVSDB_MAP;
	min = json_object_get(type, "min");
	max = json_object_get(type, "max");
	if ((!min || json_integer_value(min) == 1) &&
	    (!max || (json_is_integer(max) && json_integer_value(max) == 1)))
		return VOVSDB_SCALAR;
	return VOVSDB_SET;
}

static bool
is_tagged(const json_t *v, const char *tag)
{
	return json_is_array(v) && json_array_size(v) == 2 &&
		json_is_string(json_array_get(v, 0)) &&
		!strcmp(json_string_value(json_array_get(v, 0)), tag) &&
		json_is_array(json_array_get(v, 1));
}

static bool
is_atom(const json_t *v)
{
	if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
		return true;
	return vovsdb_uuid_of(v) != NULL;
}

const char *
vovsdb_uuid_of(const json_t *atom)
{
	if (json_is_array(atom) && json_array_size(atom) == 2 &&
	    json_is_string(json_array_get(atom, 0)) &&
	    !strcmp(json_string_value(json_array_get(atom, 0)), "uuid") &&
	    json_is_string(json_array_get(atom, 1)))
		return json_string_value(json_array_get(atom, 1));
	return NULL;
}

json_t *
vovsdb_set_elems(const json_t *v)
{
	if (is_tagged(v, "set")) {
		const json_t *a = json_array_get(v, 1);
		size_t i;
		json_t *e;

		json_array_foreach(a, i, e)
			if (!is_atom(e))
				return NULL;
		return json_incref((json_t *)a);
	}
	if (is_atom(v)) {
		json_t *a = json_array();

		if (a)
			json_array_append(a, (json_t *)v);
		return a;
	}
	return NULL;
}

const json_t *
vovsdb_map_pairs(const json_t *v)
{
	const json_t *a, *p;
	size_t i;

	if (!is_tagged(v, "map"))
		return NULL;
	a = json_array_get(v, 1);
	json_array_foreach(a, i, p)
		if (!json_is_array(p) || json_array_size(p) != 2 ||
		    !is_atom(json_array_get(p, 0)) || !is_atom(json_array_get(p, 1)))
			return NULL;
	return a;
}

static ssize_t
find_atom(const json_t *arr, const json_t *atom, bool pairs)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (json_equal(pairs ? json_array_get(e, 0) : e, (json_t *)atom))
			return i;
	return -1;
}

static json_t *
wrap(const char *tag, json_t *arr)
{
	if (!arr)
		return NULL;
	return json_pack("[so]", tag, arr);
}

static json_t *
diff_set(const json_t *old, const json_t *diff)
{
	json_t *o = vovsdb_set_elems(old), *d = vovsdb_set_elems(diff), *res = NULL, *e;
	size_t i;

	if (!o || !d)
		goto out;
	res = json_deep_copy(o);
	if (!res)
		goto out;
	json_array_foreach(d, i, e) {
		ssize_t at = find_atom(res, e, false);

		if (at >= 0)
			json_array_remove(res, at);
		else
			json_array_append(res, e);
	}
	res = wrap("set", res);
out:
	json_decref(o);
	json_decref(d);
	return res;
}

static json_t *
diff_map(const json_t *old, const json_t *diff)
{
	const json_t *o = vovsdb_map_pairs(old), *d = vovsdb_map_pairs(diff);
	json_t *res, *p;
	size_t i;

	if (!o || !d)
		return NULL;
	res = json_deep_copy(o);
	if (!res)
		return NULL;
	json_array_foreach(d, i, p) {
		ssize_t at = find_atom(res, json_array_get(p, 0), true);

		if (at < 0) {
			json_array_append(res, p);
		} else if (json_equal(json_array_get(json_array_get(res, at), 1),
				json_array_get(p, 1))) {
			json_array_remove(res, at);
		} else {
			json_array_set(res, at, p);
		}
	}
	return wrap("map", res);
}

json_t *
vovsdb_apply_diff(int kind, const json_t *old, const json_t *diff)
{
	json_t *empty = NULL, *res = NULL;

	if (kind == VOVSDB_SCALAR)
		return is_atom(diff) ? json_incref((json_t *)diff) : NULL;
	if (!old)
		old = empty = json_pack("[s[]]", kind == VOVSDB_MAP ? "map" : "set");
	if (kind == VOVSDB_SET)
		res = diff_set(old, diff);
	else if (kind == VOVSDB_MAP)
		res = diff_map(old, diff);
	json_decref(empty);
	return res;
}

json_t *
vovsdb_enc_opt_int(bool present, int64_t v)
{
	if (present)
		return json_integer(v);
	return json_pack("[s[]]", "set");
}

json_t *
vovsdb_enc_opt_str(const char *s)
{
	if (s)
		return json_string(s);
	return json_pack("[s[]]", "set");
}

json_t *
vovsdb_enc_str_set(const char *const *v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return wrap("set", a);
}

json_t *
vovsdb_enc_str_map(const struct vconf_map *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < m->n; i++)
		json_array_append_new(a, json_pack("[ss]", m->kv[i].key, m->kv[i].value));
	return wrap("map", a);
}

json_t *
vovsdb_enc_int_map(const struct vovsdb_stat *s, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("[sI]", s[i].name, (json_int_t)s[i].value));
	return wrap("map", a);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OVSDB values as JSON (RFC 7047 section 5.1): an atom is a string, number, boolean or
 * ["uuid", U]; a set is ["set", [atoms]] or, with one element, the bare atom; a map is
 * ["map", [[key, value], ...]].
 *
 * update2 "modify" diffs (ovsdb-server(7)): a column of single value carries its new value,
 * and so does an optional one (min 0, max 1: ovsdb-server sends the atom or the empty set,
 * as ovsdb-client monitor-cond shows for Port:lacp); a set column carries the elements to
 * toggle (present ones leave, absent ones join); a map column
 * carries pairs: an absent key is added, a key with the same value is removed, a key with
 * another value takes it.
 */

#include <stdlib.h>
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
	if (max && !(json_is_integer(max) && json_integer_value(max) == 1))
		return VOVSDB_SET;
	return !min || json_integer_value(min) == 1 ? VOVSDB_SCALAR : VOVSDB_OPTIONAL;
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

static json_t *
wrap(const char *tag, json_t *arr)
{
	if (!arr)
		return NULL;
	return json_pack("[so]", tag, arr);
}

/*
 * Applying a diff looks every element of the diff up in the old value: an index from each
 * atom's canonical JSON text to its entry makes that O(old + diff) instead of O(old * diff).
 * Entries stay in order (old ones first, joiners appended) so that the result is the same as
 * toggling in a plain array; removed entries are marked dead and skipped at the end.
 */
struct toggle {
	json_t *index;		/**< atom text -> entry number (integer) */
	json_t **v;		/**< element or [key, value] pair, NULL when removed */
	size_t n;
	size_t cap;
};

static int
toggle_init(struct toggle *t, size_t cap)
{
	t->index = json_object();
	t->v = calloc(cap ? cap : 1, sizeof(*t->v));
	t->n = 0;
	t->cap = cap ? cap : 1;
	return t->index && t->v ? 0 : -1;
}

static void
toggle_free(struct toggle *t)
{
	json_decref(t->index);
	free(t->v);
}

/* Canonical text of an atom (malloc'd): equal atoms, equal texts. */
static char *
atom_key(const json_t *atom)
{
	return json_dumps(atom, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
}

/* Entry number of 'atom' or -1; '*key' receives its text (NULL when out of memory). */
static ssize_t
toggle_find(const struct toggle *t, const json_t *atom, char **key)
{
	json_t *at;

	*key = atom_key(atom);
	if (!*key)
		return -1;
	at = json_object_get(t->index, *key);
	return at ? (ssize_t)json_integer_value(at) : -1;
}

/* Append 'v' (borrowed) under 'key' (taken).  @return 0 or -1. */
static int
toggle_add(struct toggle *t, char *key, json_t *v)
{
	int r;

	if (t->n == t->cap) {
		json_t **p = realloc(t->v, 2 * t->cap * sizeof(*p));

		if (!p) {
			free(key);
			return -1;
		}
		t->v = p;
		t->cap *= 2;
	}
	r = json_object_set_new_nocheck(t->index, key, json_integer((json_int_t)t->n));
	free(key);
	if (r < 0)
		return -1;
	t->v[t->n++] = v;
	return 0;
}

static void
toggle_remove(struct toggle *t, char *key, size_t at)
{
	json_object_del(t->index, key);
	free(key);
	t->v[at] = NULL;
}

/* The live entries in order, each with a new reference. */
static json_t *
toggle_result(const struct toggle *t)
{
	json_t *res = json_array();
	size_t i;

	for (i = 0; res && i < t->n; i++)
		if (t->v[i] && json_array_append(res, t->v[i]) < 0) {
			json_decref(res);
			return NULL;
		}
	return res;
}

static json_t *
diff_set(const json_t *old, const json_t *diff)
{
	json_t *o = vovsdb_set_elems(old), *d = vovsdb_set_elems(diff), *res = NULL, *e;
	struct toggle t = { 0 };
	ssize_t at;
	char *key;
	size_t i;

	if (!o || !d || toggle_init(&t, json_array_size(o) + json_array_size(d)) < 0)
		goto out;
	json_array_foreach(o, i, e) {
		at = toggle_find(&t, e, &key);
		if (!key)
			goto out;
		if (at >= 0)
			free(key);	/* a duplicate in the old value: keep the first */
		else if (toggle_add(&t, key, e) < 0)
			goto out;
	}
	json_array_foreach(d, i, e) {
		at = toggle_find(&t, e, &key);
		if (!key)
			goto out;
		if (at >= 0)
			toggle_remove(&t, key, (size_t)at);
		else if (toggle_add(&t, key, e) < 0)
			goto out;
	}
	res = wrap("set", toggle_result(&t));
out:
	toggle_free(&t);
	json_decref(o);
	json_decref(d);
	return res;
}

static json_t *
diff_map(const json_t *old, const json_t *diff)
{
	const json_t *o = vovsdb_map_pairs(old), *d = vovsdb_map_pairs(diff);
	struct toggle t = { 0 };
	json_t *res = NULL, *p;
	ssize_t at;
	char *key;
	size_t i;

	if (!o || !d || toggle_init(&t, json_array_size(o) + json_array_size(d)) < 0)
		goto out;
	json_array_foreach(o, i, p) {
		at = toggle_find(&t, json_array_get(p, 0), &key);
		if (!key)
			goto out;
		if (at >= 0)
			free(key);
		else if (toggle_add(&t, key, p) < 0)
			goto out;
	}
	json_array_foreach(d, i, p) {
		at = toggle_find(&t, json_array_get(p, 0), &key);
		if (!key)
			goto out;
		if (at < 0) {
			if (toggle_add(&t, key, p) < 0)
				goto out;
		} else if (json_equal(json_array_get(t.v[at], 1), json_array_get(p, 1))) {
			toggle_remove(&t, key, (size_t)at);
		} else {
			free(key);
			t.v[at] = p;
		}
	}
	res = wrap("map", toggle_result(&t));
out:
	toggle_free(&t);
	return res;
}

json_t *
vovsdb_apply_diff(int kind, const json_t *old, const json_t *diff)
{
	json_t *empty = NULL, *res = NULL;

	if (kind == VOVSDB_SCALAR)
		return is_atom(diff) ? json_incref((json_t *)diff) : NULL;
	if (kind == VOVSDB_OPTIONAL) {
		json_t *e = vovsdb_set_elems(diff);
		bool ok = e != NULL && json_array_size(e) <= 1;

		json_decref(e);
		return ok ? json_incref((json_t *)diff) : NULL;
	}
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

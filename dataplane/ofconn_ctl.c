/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bridge's OpenFlow controllers, as Open vSwitch runs them (ovs-vswitchd.conf.db(5),
 * Controller table): an active target (tcp:IP[:PORT], unix:PATH) is connected, and
 * reconnected after a failure or a loss with a backoff that starts at 1 s and doubles up to
 * max_backoff (8 s by default); a passive one (ptcp:[PORT][:IP], punix:PATH) listens, and
 * whatever connects there is a controller too.  A connection silent for inactivity_probe
 * (5 s by default, 0: never) is sent an echo request, and closed when it stays silent as
 * long again.
 *
 * Fail mode: while a controller is connected, table misses go to it.  A "secure" bridge
 * without a connected controller keeps its rules and drops misses.  A "standalone" bridge
 * whose controllers have all been unreachable for three times the longest inactivity probe
 * fails open: it switches as a MAC learning switch until one connects again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ofconn_private.h"

#define OFC_PORT 6653
#define OFC_PROBE_MS 5000
#define OFC_BACKOFF_MS 8000
#define OFC_MIN_BACKOFF_MS 1000

union ofc_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_un un;
};

/*
 * The address of 'target' ("tcp:IP[:PORT]", "ptcp:[PORT][:IP]", "unix:PATH", "punix:PATH");
 * sets '*passive'.  @return its length, or 0 with '*why' when it is not one of these.
 */
static socklen_t
target_addr(const char *target, union ofc_addr *a, bool *passive, const char **why)
{
	const char *rest = strchr(target, ':') + 1, *colon, *pstr;
	char ip[INET_ADDRSTRLEN] = "0.0.0.0";
	unsigned long port = OFC_PORT;
	char *end;
	size_t n;

	memset(a, 0, sizeof(*a));
	*passive = target[0] == 'p';
	if (!strncmp(target, "unix:", 5) || !strncmp(target, "punix:", 6)) {
		if (strlen(rest) >= sizeof(a->un.sun_path)) {
			*why = "path too long";
			return 0;
		}
		a->un.sun_family = AF_UNIX;
		snprintf(a->un.sun_path, sizeof(a->un.sun_path), "%s", rest);
		return sizeof(a->un);
	}
	/* tcp:IP[:PORT] or ptcp:[PORT][:IP] */
	colon = strchr(rest, ':');
	n = colon ? (size_t)(colon - rest) : strlen(rest);
	if (!*passive) {
		if (n == 0 || n >= sizeof(ip)) {
			*why = "expected tcp:IP[:PORT] with an IPv4 address";
			return 0;
		}
		memcpy(ip, rest, n);
		ip[n] = '\0';
		pstr = colon ? colon + 1 : NULL;
	} else {
		pstr = n ? rest : NULL;
		if (colon != NULL && strlen(colon + 1) >= sizeof(ip)) {
			*why = "expected ptcp:[PORT][:IP] with an IPv4 address";
			return 0;
		}
		if (colon != NULL)
			snprintf(ip, sizeof(ip), "%s", colon + 1);
	}
	if (pstr != NULL) {
		port = strtoul(pstr, &end, 10);
		if (end == pstr || (*end != '\0' && *end != ':')) {
			*why = "bad port";
			return 0;
		}
	}
	a->in.sin_family = AF_INET;
	a->in.sin_port = htons((uint16_t)port);
	if (port > 65535 || (port == 0 && !*passive) ||
			inet_pton(AF_INET, ip, &a->in.sin_addr) != 1) {
		*why = "expected an IPv4 address and a port up to 65535";
		return 0;
	}
	return sizeof(a->in);
}

static int64_t
probe_ms(const struct ofc_target *t)
{
	return t->cfg.inactivity_probe < 0 ? OFC_PROBE_MS : t->cfg.inactivity_probe;
}

static uint64_t
max_backoff_ms(const struct ofc_target *t)
{
	return t->cfg.max_backoff < 0 ? OFC_BACKOFF_MS : (uint64_t)t->cfg.max_backoff;
}

static void
target_fail(struct ofc_target *t, const char *why)
{
	snprintf(t->last_error, sizeof(t->last_error), "%s", why);
	t->next_try_ms = ofc_now_ms() + t->backoff_ms;
	t->backoff_ms = t->backoff_ms * 2 > max_backoff_ms(t) ? max_backoff_ms(t) :
		t->backoff_ms * 2;
}

void
ofc_target_down(struct ofc_target *t, const char *why)
{
	struct ofc_conn *c = t->c;

	if (c != NULL && c->was_up) {
		dp_log("openflow %s: controller %s disconnected (%s); retrying", c->b->name,
			t->cfg.target, why);
		t->logged_error = false;
	} else if (!t->logged_error && c != NULL) {
		/* Said once until it works again: a missing controller is not news every second. */
		dp_log("openflow %s: cannot connect to controller %s: %s; retrying with backoff",
			c->b->name, t->cfg.target, why);
		t->logged_error = true;
	}
	t->c = NULL;
	target_fail(t, why);
}

static void
target_connect(struct ofc_bridge *b, struct ofc_target *t)
{
	union ofc_addr a;
	const char *why = NULL;
	bool passive;
	socklen_t len = target_addr(t->cfg.target, &a, &passive, &why);
	int fd;

	if (len == 0)
		return;
	fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		target_fail(t, strerror(errno));
		return;
	}
	if (connect(fd, &a.sa, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		if (!t->logged_error)
			dp_log("openflow %s: cannot connect to controller %s: %s; retrying with "
				"backoff", b->name, t->cfg.target, strerror(e));
		t->logged_error = true;
		target_fail(t, strerror(e));
		return;
	}
	t->c = ofc_conn_add(b, fd, true, true, t);
	if (t->c == NULL)
		target_fail(t, "out of memory");
}

static void
target_free(struct ofc_bridge *b, struct ofc_target *t)
{
	(void)b;
	if (t->c != NULL)
		ofc_conn_close(t->c);
	if (t->l != NULL) {
		/* Connections accepted there belong to this controller: they go too. */
		for (struct ofc_conn *c = b->conns, *next; c != NULL; c = next) {
			next = c->next;
			if (c->t == t)
				ofc_conn_close(c);
		}
		ofc_listener_close(t->l);
		free(t->l);
	}
	free(t->cfg.target);
	free(t->cfg.uuid);
}

void
ofc_targets_free(struct ofc_bridge *b)
{
	for (size_t i = 0; i < b->n_targets; i++)
		target_free(b, &b->targets[i]);
	free(b->targets);
	b->targets = NULL;
	b->n_targets = 0;
}

static bool
targets_equal(const struct ofc_bridge *b, const struct vconf_bridge *cfg)
{
	size_t n = cfg != NULL ? cfg->n_controllers : 0;

	if (n != b->n_targets)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct vconf_controller *x = &b->targets[i].cfg, *y = &cfg->controllers[i];

		if (strcmp(x->target, y->target) != 0 || x->inactivity_probe != y->inactivity_probe ||
				x->max_backoff != y->max_backoff)
			return false;
	}
	return true;
}

static void
target_open(struct ofc_bridge *b, struct ofc_target *t)
{
	union ofc_addr a;
	const char *why = "bad target";
	socklen_t len = target_addr(t->cfg.target, &a, &t->passive, &why);

	t->backoff_ms = OFC_MIN_BACKOFF_MS;
	if (len == 0) {
		dp_log("openflow %s: controller %s: %s: not used", b->name, t->cfg.target, why);
		snprintf(t->last_error, sizeof(t->last_error), "%s", why);
		t->unusable = true;
		return;
	}
	if (!t->passive)
		return;     /* connected from ofc_targets_run(), now */
	t->l = calloc(1, sizeof(*t->l));
	if (t->l == NULL)
		return;
	t->l->primary = true;
	t->l->t = t;
	if (ofc_listen(b, t->l, &a.sa, len, t->cfg.target) < 0)
		snprintf(t->last_error, sizeof(t->last_error), "cannot listen");
}

void
ofc_targets_sync(struct ofc_bridge *b, const struct vconf_bridge *cfg)
{
	size_t n = cfg != NULL ? cfg->n_controllers : 0;

	if (targets_equal(b, cfg))
		return;
	ofc_targets_free(b);
	b->targets = calloc(n ? n : 1, sizeof(*b->targets));
	if (b->targets == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct ofc_target *t = &b->targets[b->n_targets];

		t->cfg = cfg->controllers[i];
		t->cfg.target = strdup(cfg->controllers[i].target);
		t->cfg.uuid = cfg->controllers[i].uuid ? strdup(cfg->controllers[i].uuid) : NULL;
		if (t->cfg.target == NULL) {
			free(t->cfg.uuid);
			continue;
		}
		b->n_targets++;
		target_open(b, t);
	}
	b->alone_since_ms = ofc_now_ms();
	if (n > 0)
		dp_log("openflow %s: %zu controller(s), fail_mode %s", b->name, n,
			b->br->fail_secure ? "secure" : "standalone");
}

/* Probe a silent controller connection; close one that stayed silent. */
static void
probe(struct ofc_conn *c, uint64_t now, int64_t interval, uint64_t *wait)
{
	uint64_t silent = now - c->last_rx_ms, due;

	if (interval <= 0 || c->connecting)
		return;
	if (silent >= 2 * (uint64_t)interval && c->probe_sent) {
		if (c->t != NULL && c->t->c == c)
			ofc_target_down(c->t, "no response to inactivity probe");
		else
			dp_log("openflow %s: controller connection closed: no response to "
				"inactivity probe", c->b->name);
		ofc_conn_close(c);
		return;
	}
	if (silent >= (uint64_t)interval && !c->probe_sent) {
		of_conn_send_echo(c->of);
		c->probe_sent = true;
	}
	due = (c->probe_sent ? 2 * (uint64_t)interval : (uint64_t)interval) - silent;
	if (silent < (c->probe_sent ? 2 * (uint64_t)interval : (uint64_t)interval) && due < *wait)
		*wait = due;
}

/* Connected controllers, fail-open, and republishing when either changes. */
static void
fail_mode_run(struct ofc_bridge *b, uint64_t now, int64_t max_probe, uint64_t *wait)
{
	struct dp_bridge *br = b->br;
	bool connected = false, fail_open = false, miss = false;
	uint64_t trigger = 3 * (uint64_t)(max_probe > 1000 ? max_probe : 1000);

	for (struct ofc_conn *c = b->conns; c != NULL; c = c->next) {
		uint8_t version = c->primary && !c->connecting ? of_conn_version(c->of) : 0;

		connected |= version != 0;
		miss |= version != 0 && version < OF_VERSION_1_3;
	}
	if (connected)
		b->alone_since_ms = 0;
	else if (b->alone_since_ms == 0)
		b->alone_since_ms = now;
	if (!connected && b->n_targets > 0 && !br->fail_secure) {
		fail_open = now - b->alone_since_ms >= trigger;
		if (!fail_open && trigger - (now - b->alone_since_ms) < *wait)
			*wait = trigger - (now - b->alone_since_ms);
	}
	if (connected == br->of_connected && fail_open == br->of_fail_open &&
			miss == br->of_miss_to_controller && br->of_controllers == b->n_targets)
		return;
	if (fail_open != br->of_fail_open)
		dp_log("openflow %s: %s", b->name, fail_open ?
			"no controller for a while: failing open (MAC learning switch)" :
			"leaving fail-open");
	br->of_connected = connected;
	br->of_miss_to_controller = miss;
	br->of_fail_open = fail_open;
	br->of_controllers = (unsigned)b->n_targets;
	dp_bridge_publish(b->o->dp, br);
}

/* Controller 't''s state for OVSDB, as Open vSwitch writes it, when it changed. */
static void
target_report(struct ofc_bridge *b, struct ofc_target *t)
{
	static const char *const roles[] = { "other", "other", "master", "slave" };
	struct dp_ofconn *o = b->o;
	const struct ofc_conn *up = NULL;
	const char *state, *role = NULL;
	char now[sizeof(t->reported)];

	if (o->report == NULL || t->cfg.uuid == NULL)
		return;
	for (const struct ofc_conn *c = b->conns; c != NULL && up == NULL; c = c->next)
		if (c->t == t && !c->connecting && of_conn_version(c->of) != 0)
			up = c;
	if (up != NULL) {
		state = "ACTIVE";
		role = roles[of_conn_role(up->of) & 3];
	} else if (t->passive) {
		state = t->l != NULL && t->l->fd >= 0 ? "LISTENING" : "VOID";
	} else if (t->c != NULL) {
		state = "CONNECTING";
	} else {
		state = t->unusable ? "VOID" : "BACKOFF";
	}
	snprintf(now, sizeof(now), "%d %s %s %s", up != NULL, role ? role : "", state,
		t->last_error);
	if (strcmp(now, t->reported) == 0)
		return;
	snprintf(t->reported, sizeof(t->reported), "%s", now);
	o->report(o->report_aux, t->cfg.uuid, up != NULL, role, state,
		t->last_error[0] != '\0' ? t->last_error : NULL);
}

uint64_t
ofc_targets_run(struct ofc_bridge *b, uint64_t now)
{
	uint64_t wait = 1000;
	int64_t max_probe = 0;

	for (size_t i = 0; i < b->n_targets; i++) {
		struct ofc_target *t = &b->targets[i];

		max_probe = probe_ms(t) > max_probe ? probe_ms(t) : max_probe;
		if (t->passive || t->c != NULL || t->unusable)
			continue;
		if (now >= t->next_try_ms)
			target_connect(b, t);
		else if (t->next_try_ms - now < wait)
			wait = t->next_try_ms - now;
	}
	for (struct ofc_conn *c = b->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (!c->primary)
			continue;
		if (c->t != NULL && c->t->c == c && c->was_up && c->t->backoff_ms != OFC_MIN_BACKOFF_MS)
			c->t->backoff_ms = OFC_MIN_BACKOFF_MS;
		probe(c, now, c->t != NULL ? probe_ms(c->t) : OFC_PROBE_MS, &wait);
	}
	fail_mode_run(b, now, max_probe, &wait);
	for (size_t i = 0; i < b->n_targets; i++)
		target_report(b, &b->targets[i]);
	return wait;
}

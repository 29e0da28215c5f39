/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port types by name, opening and closing, option parsing and software counters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "port-private.h"
#include "tnl.h"
#include "vhost_fast.h"

/* Every port type: one line a type. */
static const struct port_ops *const port_types[] = {
	&port_dpdk_ops,
	&port_vhost_server_ops,
	&port_vhost_client_ops,
	&port_patch_ops,
	&port_bond_ops,
	&port_internal_ops,
	&port_vxlan_ops,
	&port_gtpu_ops,
	&port_geneve_ops,
};

const struct port_ops *
port_type_find(const char *type)
{
	for (size_t i = 0; i < sizeof(port_types) / sizeof(port_types[0]); i++)
		if (strcmp(port_types[i]->type, type) == 0)
			return port_types[i];
	return NULL;
}

int
port_open(struct port *p, const char *name, const char *type, uint16_t slot,
	const struct port_args *args, const struct port_env *env, char **err)
{
	const struct port_ops *ops = port_type_find(type);
	int rc;

	if (ops == NULL) {
		port_errf(err, "unknown port type '%s' (known: dpdk, dpdkvhostuser, "
			"dpdkvhostuserclient, patch, internal, vxlan, geneve)", type);
		return -EINVAL;
	}
	if (strlen(name) >= PORT_NAME_MAX) {
		port_errf(err, "port name '%.32s...' is %zu bytes long: at most %d", name,
			strlen(name), PORT_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (slot >= PORT_MAX_SLOTS) {
		port_errf(err, "slot %u out of range", slot);
		return -EINVAL;
	}
	memcpy(p->name, name, strlen(name) + 1);
	p->slot = slot;
	p->ops = ops;
	p->admit = NULL;
	for (unsigned q = 0; q < PORT_MAX_TXQ; q++)
		rte_spinlock_init(&p->txq_lock[q]);
	rc = ops->open(p, args, env, err);
	if (rc < 0)
		p->priv = NULL;
	return rc;
}

void
port_close(struct port *p)
{
	if (p->ops != NULL && p->priv != NULL)
		p->ops->close(p);
	p->priv = NULL;
	port_policing_free(p);
}

int
port_reconfigure(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	if (p->ops == NULL || p->priv == NULL || p->ops->reconfigure == NULL)
		return -EOPNOTSUPP;
	return p->ops->reconfigure(p, args, env, err);
}

void
port_set_n_pmds(struct port *p, unsigned n_pmds)
{
	if (p->ops != NULL && p->ops->set_n_pmds != NULL && p->priv != NULL)
		p->ops->set_n_pmds(p, n_pmds);
}

const char *
port_args_get(const struct port_args *a, const char *key)
{
	for (unsigned i = 0; i < a->n_options; i++)
		if (strcmp(a->options[i].key, key) == 0)
			return a->options[i].value;
	return NULL;
}

int
port_args_uint(const struct port_args *a, const char *key, unsigned long min,
	unsigned long max, unsigned long def, unsigned long *out, char **err)
{
	const char *v = port_args_get(a, key);
	unsigned long n;
	char *end;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < min || n > max) {
		port_errf(err, "options:%s=%s: expected a number from %lu to %lu", key, v,
			min, max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

void
port_errf(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

void
port_sw_stats(const struct port *p, struct port_pmd_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < PORT_MAX_PMDS; i++) {
		const struct port_pmd_stats *s = &p->pmd_stats[i];

		sum->rx_packets += __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
		sum->rx_bytes += __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
		sum->tx_packets += __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED);
		sum->tx_bytes += __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
		sum->tx_dropped += __atomic_load_n(&s->tx_dropped, __ATOMIC_RELAXED);
		sum->tx_policed += __atomic_load_n(&s->tx_policed, __ATOMIC_RELAXED);
	}
	for (unsigned q = 0; q < PORT_MAX_RXQ; q++)
		sum->rx_policed += __atomic_load_n(&p->rxq_stats[q].policed, __ATOMIC_RELAXED);
}

unsigned
port_rxq_enabled_count(const struct port *p)
{
	unsigned n = 0;

	for (unsigned q = 0; q < p->n_rxq && q < PORT_MAX_RXQ; q++)
		n += __atomic_load_n(&p->rxq_enabled[q], __ATOMIC_RELAXED) != 0;
	return n;
}

struct rte_mbuf *
port_pkt_copy(struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

	/* DPDK copies the dynamic fields, not the private area (tnl.h's IPv6 endpoints). */
	if (c != NULL && tnl_md6_of(c) != NULL && tnl_md6_of(m) != NULL)
		*tnl_md6_of(c) = *tnl_md6_of(m);
	rte_pktmbuf_free(m);
	return c;
}

int
port_pkt_trim(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *s = m;
	uint32_t before = 0;
	uint16_t segs = 1;

	if (len > rte_pktmbuf_pkt_len(m))
		return -1;
	/* The first segment whose end reaches 'len' holds the new end. */
	while (before + s->data_len < len) {
		before += s->data_len;
		s = s->next;
		if (s == NULL)
			return -1;
		segs++;
	}
	s->data_len = (uint16_t)(len - before);
	if (s->next != NULL) {
		rte_pktmbuf_free(s->next);
		s->next = NULL;
	}
	m->nb_segs = segs;
	m->pkt_len = len;
	return 0;
}

struct rte_mbuf *
port_unborrow_copy(struct rte_mbuf *m)
{
	const struct rte_mbuf *s;

	for (s = m; s != NULL && !vhost_fast_is_borrowed(s); s = s->next)
		;
	if (s == NULL)
		return m;
	return port_pkt_copy(m);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --net vhost-user=PATH[,mode=client|server][,mac=MAC][,queues=N][,reconnect=SECONDS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vmm.h"

#define DEFAULT_RECONNECT_S 60

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			&tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return -EINVAL;	/* multicast */
	return 0;
}

static int
parse_count(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int
apply_key(struct vmm_net_cfg *n, char *tok, char **err)
{
	char *val = strchr(tok, '=');

	if (val == NULL)
		return vmm_err(err, -VMM_EINPUT, "--net: '%s' is not KEY=VALUE", tok);
	*val++ = '\0';
	if (strcmp(tok, "mode") == 0) {
		if (strcmp(val, "client") != 0 && strcmp(val, "server") != 0)
			return vmm_err(err, -VMM_EINPUT, "--net: mode '%s' (client or server)",
				val);
		n->server = strcmp(val, "server") == 0;
	} else if (strcmp(tok, "mac") == 0) {
		if (parse_mac(val, n->mac) < 0)
			return vmm_err(err, -VMM_EINPUT,
				"--net: bad MAC '%s' (unicast, like 52:54:00:12:34:56)",
				val);
	} else if (strcmp(tok, "queues") == 0) {
		if (parse_count(val, VMM_NET_MAX_QUEUES, &n->queues) < 0)
			return vmm_err(err, -VMM_EINPUT,
				"--net: queues '%s' (queue pairs, 1-%d)", val, VMM_NET_MAX_QUEUES);
	} else if (strcmp(tok, "reconnect") == 0) {
		if (parse_count(val, 86400, &n->reconnect_s) < 0)
			return vmm_err(err, -VMM_EINPUT, "--net: reconnect '%s' (seconds, 1-86400)",
				val);
	} else {
		return vmm_err(err, -VMM_EINPUT, "--net: unknown key '%s'", tok);
	}
	return 0;
}

int
vmm_net_parse(struct vmm_config *cfg, const char *arg, char **err)
{
	struct vmm_net_cfg *n;
	char *copy, *save = NULL, *tok;
	int ret = 0;

	if (cfg->nr_nets == VMM_MAX_NETS)
		return vmm_err(err, -VMM_EINPUT, "--net: at most %d", VMM_MAX_NETS);
	if (strncmp(arg, "vhost-user=", 11) != 0 || arg[11] == '\0' || arg[11] == ',')
		return vmm_err(err, -VMM_EINPUT, "--net: '%s' does not start with vhost-user=PATH",
			arg);
	copy = strdup(arg + 11);
	if (copy == NULL)
		return -ENOMEM;
	n = &cfg->nets[cfg->nr_nets];
	memset(n, 0, sizeof(*n));
	n->queues = 1;
	n->reconnect_s = DEFAULT_RECONNECT_S;
	n->mac[0] = 0x52;
	n->mac[1] = 0x54;
	n->mac[3] = 0x12;
	n->mac[4] = 0x34;
	n->mac[5] = (uint8_t)(0x56 + cfg->nr_nets);
	tok = strtok_r(copy, ",", &save);
	n->path = strdup(tok);
	if (n->path == NULL) {
		free(copy);
		return -ENOMEM;
	}
	while (ret == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL)
		ret = apply_key(n, tok, err);
	free(copy);
	if (ret < 0) {
		free(n->path);
		n->path = NULL;
		return ret;
	}
	cfg->nr_nets++;
	return 0;
}

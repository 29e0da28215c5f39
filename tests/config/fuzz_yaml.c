/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the YAML configuration loader (config/yaml.c, config/check.c): any
 * input loads or fails with one message naming the file; a loaded configuration copies,
 * compares equal to its copy and passes the checks again.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_loaded(const struct vconf *c)
{
	struct vconf copy;
	char *err = NULL;
	int line;

	if (vconf_copy(&copy, c))
		abort();
	if (!vconf_map_equal(&c->other_config, &copy.other_config) ||
	    copy.n_bridges != c->n_bridges)
		abort();
	/* A loaded key is well-formed: accepted (0) or accepted with a warning (1). */
	for (size_t i = 0; i < c->other_config.n; i++) {
		if (vconf_check_other_config(&c->other_config.kv[i], &err) < 0)
			abort();
		free(err);
		err = NULL;
	}
	for (size_t b = 0; b < c->n_bridges; b++) {
		const struct vconf_bridge *br = &c->bridges[b];

		if (vconf_find_bridge(&copy, br->name) == NULL)
			abort();
		for (size_t p = 0; p < br->n_ports; p++) {
			if (vconf_check_port(&br->ports[p], &line, &err))
				abort();
			if (vconf_find_port(&copy, br->ports[p].name, NULL) == NULL)
				abort();
		}
	}
	vconf_free(&copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vconf c;
	char *err = NULL;
	int rc = vconf_parse_yaml("fuzz.yaml", (const char *)data, size, &c, &err);

	if (rc == 0) {
		if (err)
			abort();
		check_loaded(&c);
		vconf_free(&c);
	} else if (!err || strncmp(err, "fuzz.yaml", 9)) {
		abort();
	}
	free(err);
	return 0;
}

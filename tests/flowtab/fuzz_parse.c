/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the rule parser: any input must parse or fail cleanly, and a rule that
 * parses must print to text that parses back to the same rule.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
by_name(void *aux, const char *name, uint32_t *ofport)
{
	(void)aux;
	if (!strcmp(name, "p1") || !strcmp(name, "vhu0")) {
		*ofport = name[0] == 'p' ? 1 : 2;
		return 0;
	}
	return -ENOENT;
}

static const char *
name_of(void *aux, uint32_t ofport)
{
	(void)aux;
	return ofport == 1 ? "p1" : ofport == 2 ? "vhu0" : NULL;
}

static const struct flowtab_port_ops ports = { by_name, name_of, NULL };

static void
check_round_trip(const struct ft_rule_spec *a)
{
	struct ft_str s = { 0 };
	struct ft_rule_spec b;
	char *err = NULL;

	ft_str_printf(&s, "table=%d", a->table_id < 0 ? 0 : a->table_id);
	ft_match_print(&s, &a->match, a->priority, &ports);
	ft_str_printf(&s, " actions=");
	ft_actions_print(&s, a->acts, &ports);
	if (ft_rule_parse(s.s, FT_PARSE_ADD, &ports, &b, &err))
		abort();
	if (!ft_match_equal(&a->match, &b.match) || a->priority != b.priority ||
	    !ft_actions_equal(a->acts, b.acts))
		abort();
	ft_rule_spec_clear(&b);
	free(s.s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ft_parse_mode modes[] = { FT_PARSE_ADD, FT_PARSE_MATCH, FT_PARSE_MOD };
	struct ft_rule_spec spec;
	char *text = malloc(size + 1), *err = NULL;
	unsigned i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < 3; i++) {
		if (ft_rule_parse(text, modes[i], &ports, &spec, &err) == 0) {
			if (err)
				abort();
			if (modes[i] == FT_PARSE_ADD)
				check_round_trip(&spec);
			ft_rule_spec_clear(&spec);
		} else {
			if (!err || strncmp(err, "field '", 7))
				abort();
			free(err);
			err = NULL;
		}
	}
	free(text);
	return 0;
}

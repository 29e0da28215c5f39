/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_VIEW_H
#define VIREO_FT_VIEW_H

/* Rules as plain structures for flowtab_dump_rules() (the public 'flowtab_rule_info'). */

#include "ft_rule.h"

/**
 * Fill 'info' from 'r' at time 'now' (ms) with counters 'packets'/'bytes'; its actions go to
 * 'acts' (FT_MAX_ACTIONS entries).
 */
void ft_rule_info_fill(const struct ft_rule *r, uint64_t now, uint64_t packets, uint64_t bytes,
		struct flowtab_rule_info *info, struct flowtab_action_info *acts);

/** Actions 'a' as plain actions in 'acts' (FT_MAX_ACTIONS entries), '*n' of them. */
void ft_actions_info_fill(const struct ft_actions *a, struct flowtab_action_info *acts,
		unsigned *n);

/**
 * The inverse of what flowtab_dump_rules() reports: 'info' as key and mask in 'm', value bits
 * outside the mask cleared.  Every field 'info' matches must have its prerequisite in it, as
 * in a rule's text.  @return 0, or -EINVAL with '*err' ("field 'F': needs ...", malloc'd).
 */
int ft_match_from_info(const struct flowtab_match_info *info, struct ft_match *m, char **err);

#endif /* VIREO_FT_VIEW_H */

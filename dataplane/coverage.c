/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event counters and their rates (coverage.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "coverage.h"

/* One sample a second for an hour, and the current one. */
#define COVERAGE_HISTORY 3601

static const char *const names[COV_N_COUNTERS] = {
	[COV_BRIDGE_RECONFIGURE] = "bridge_reconfigure",
	[COV_PORT_ADD] = "port_add",
	[COV_PORT_DEL] = "port_del",
	[COV_BRIDGE_PUBLISH] = "bridge_publish",
	[COV_FDB_FLUSH] = "fdb_flush",
	[COV_VLOG_REOPEN] = "vlog_reopen",
	[COV_DATAPATH_RX] = "datapath_rx_packets",
	[COV_DATAPATH_DROP] = "datapath_drop",
	[COV_DROP_TOO_MANY_RESUBMITS] = "drop_action_too_many_resubmit",
	[COV_DROP_RECURSION_TOO_DEEP] = "drop_action_recursion_too_deep",
	[COV_DROP_TOO_MANY_OUTPUTS] = "drop_action_too_many_output",
};

static uint64_t totals[COV_N_COUNTERS];
static uint64_t (*history)[COV_N_COUNTERS];	/* ring of per-second samples */
static unsigned n_samples;			/* samples taken, saturating at the ring */
static unsigned head;				/* slot of the newest sample */

void
coverage_inc(enum coverage_counter c)
{
	totals[c]++;
}

void
coverage_set(enum coverage_counter c, uint64_t total)
{
	totals[c] = total;
}

void
coverage_run(void)
{
	if (history == NULL) {
		history = calloc(COVERAGE_HISTORY, sizeof(*history));
		if (history == NULL)
			return;
	}
	head = (head + 1) % COVERAGE_HISTORY;
	memcpy(history[head], totals, sizeof(totals));
	if (n_samples < COVERAGE_HISTORY)
		n_samples++;
}

/* The total of 'c' 'secs' seconds ago (0 before the first sample, as at start-up). */
static uint64_t
total_ago(enum coverage_counter c, unsigned secs)
{
	if (history == NULL || secs >= n_samples)
		return 0;
	return history[(head + COVERAGE_HISTORY - secs) % COVERAGE_HISTORY][c];
}

char *
coverage_show(void)
{
	struct control_buf b = { 0 };
	unsigned never = 0;
	uint32_t hash = 2166136261u;

	for (int c = 0; c < COV_N_COUNTERS; c++)
		if (totals[c] != 0)
			for (const char *p = names[c]; *p != '\0'; p++)
				hash = (hash ^ (uint8_t)*p) * 16777619u;
	control_buf_printf(&b, "Event coverage, avg rate over last: 5 seconds, last minute, "
		"last hour,  hash=%08x:\n", hash);
	for (int c = 0; c < COV_N_COUNTERS; c++) {
		uint64_t now = totals[c];

		if (now == 0) {
			never++;
			continue;
		}
		control_buf_printf(&b, "%-24s %5.1f/sec %9.3f/sec %13.4f/sec   total: %" PRIu64 "\n",
			names[c], (double)(now - total_ago(c, 5)) / 5.0,
			(double)(now - total_ago(c, 60)) / 60.0,
			(double)(now - total_ago(c, 3600)) / 3600.0, now);
	}
	control_buf_printf(&b, "%u events never hit\n", never);
	return control_buf_steal(&b);
}

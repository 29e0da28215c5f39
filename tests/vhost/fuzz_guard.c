/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the dataplane's vhost-user message checks (port/vhost_guard.c):
 * what a frontend sends, as rte_vhost hands it to the guard.  An input is
 *   byte 0:          how many file descriptors came with the message (0-8, or any value:
 *                    the guard must not trust the count);
 *   next 4 per fd:   the size of the regular file behind it (a sparse memfd; 0xffffffff:
 *                    a pipe instead, which has no size);
 *   the rest:        the message context (header, payload), zero-filled to its size.
 * Checked after every message: nothing crashes or reads out of bounds (ASan, UBSan); a
 * refused message has its fds closed and none left in the context; an answered one
 * (GET_QUEUE_NUM) carries exactly 8 bytes with the queue pairs a port polls; no fd leaks.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_vhost.h>

#include "vhost_guard.h"
#include "vhost_wire.h"

struct msg_ctx {
	struct vhost_wire_hdr hdr;
	union {
		uint64_t u64;
		uint8_t bytes[632];
	} payload;
	int fds[VHOST_WIRE_MAX_FDS];
	int fd_num;
} __attribute__((packed));

_Static_assert(sizeof(struct msg_ctx) == VHOST_GUARD_MSG_SIZE, "message context");

static void
quiet_log(const char *fmt, ...)
{
	(void)fmt;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		abort();
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rte_log_set_global_level(RTE_LOG_EMERG);
	/* No device 'vid' -1: rte_vhost's look-ups fail and the guard must cope. */
	vhost_guard_connection(-1, quiet_log, NULL, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_ctx m;
	unsigned n_fds, claimed;
	int before = count_fds(), rc, opened[VHOST_WIRE_MAX_FDS];
	size_t off = 1;

	if (size < 1)
		return 0;
	claimed = data[0];
	n_fds = claimed % (VHOST_WIRE_MAX_FDS + 1);
	memset(&m, 0, sizeof(m));
	for (unsigned i = 0; i < n_fds; i++) {
		uint32_t len = 0;
		int p[2];

		if (off + 4 <= size)
			memcpy(&len, data + off, 4);
		off += 4;
		if (len == UINT32_MAX && pipe(p) == 0) {
			close(p[1]);
			opened[i] = p[0];
		} else {
			opened[i] = memfd_create("fuzz", MFD_CLOEXEC);
			if (opened[i] < 0 || ftruncate(opened[i], len) < 0)
				abort();
		}
		m.fds[i] = opened[i];
	}
	if (off < size)
		memcpy(&m, data + off, RTE_MIN(size - off, offsetof(struct msg_ctx, fds)));
	/* A count beyond 8 (or below 0) from the input must be survived too. */
	m.fd_num = claimed > VHOST_WIRE_MAX_FDS && (claimed & 0x80) ? (int)(int8_t)claimed :
		(int)n_fds;

	rc = vhost_guard_check(-1, &m);

	if (rc == RTE_VHOST_MSG_RESULT_ERR) {
		/* Refused: the guard closed every fd that came with it and passes none on. */
		if (m.fd_num != 0)
			abort();
		for (unsigned i = 0; i < n_fds; i++)
			if (m.fds[i] != -1)
				abort();
	} else {
		if (rc == RTE_VHOST_MSG_RESULT_REPLY && (m.hdr.request != VHOST_WIRE_GET_QUEUE_NUM ||
				m.hdr.size != 8 || m.payload.u64 != VHOST_GUARD_MAX_QP))
			abort();
		if (rc != RTE_VHOST_MSG_RESULT_REPLY && rc != RTE_VHOST_MSG_RESULT_NOT_HANDLED)
			abort();
		for (unsigned i = 0; i < n_fds; i++)
			close(opened[i]);
	}
	if (count_fds() != before)
		abort();	/* an fd leaked, or one not ours was closed */
	return 0;
}

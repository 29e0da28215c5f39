/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_CHECK_H
#define VIREO_TESTS_CHECK_H

/* CHECK(cond, fmt, ...): count a check; print and count a failure when 'cond' is false. */

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

#endif /* VIREO_TESTS_CHECK_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VMM_CHECK_H
#define VIREO_TESTS_VMM_CHECK_H

/*
 * A minimal check macro for the vmm unit tests: a failed check prints its location and
 * expression and counts; main() returns check_report().
 */

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond) \
	do { \
		check_count++; \
		if (!(cond)) { \
			check_failures++; \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

static inline int
check_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif /* VIREO_TESTS_VMM_CHECK_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/* CHECK's counters and its failure line (check.h). */

#include <stdarg.h>
#include <stdio.h>

#include "check.h"

/* Updated by any thread of the test, atomically. */
static unsigned n_checks;
static unsigned n_failed;

bool
check_count(bool ok)
{
	__atomic_fetch_add(&n_checks, 1, __ATOMIC_RELAXED);
	if (!ok)
		__atomic_fetch_add(&n_failed, 1, __ATOMIC_RELAXED);
	return ok;
}

bool
check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	/* One line, written at once, so that threads' lines do not interleave. */
	flockfile(stderr);
	fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
	if (fmt[0] == ' ' && fmt[1] != '\0') {
		fputc(':', stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	funlockfile(stderr);
	return false;
}

unsigned
check_failed(void)
{
	return __atomic_load_n(&n_failed, __ATOMIC_RELAXED);
}

int
check_report(const char *name)
{
	unsigned n = __atomic_load_n(&n_checks, __ATOMIC_RELAXED);
	unsigned failed = check_failed();

	printf("%s: %u checks, %u failed\n", name, n, failed);
	fflush(stdout);
	return failed ? 1 : 0;
}

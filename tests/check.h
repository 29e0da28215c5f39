/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_CHECK_H
#define VIREO_TESTS_CHECK_H

/*
 * The checks of every C test (tests/check.c, linked through check_dep):
 *
 *	CHECK(r == 0);
 *	CHECK(n == 3, "n=%u after '%s'", n, rule);
 *
 * counts a check; when 'cond' is false it counts a failure and prints one line
 * "FAIL FILE:LINE: COND[: MESSAGE]" on stderr (scripts/test counts those lines).  The message
 * is optional and must be a string literal (a printf format, checked by the compiler).
 * CHECK returns whether 'cond' held, for tests that stop at the first failure.  Any thread
 * may check.  main() ends with "return check_report("test_name");".
 */

#include <stdbool.h>
#include <stdio.h>

#define CHECK(cond, ...) ({ \
	bool check_ok_ = check_count(!!(cond)); \
	if (!check_ok_) \
		check_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
	check_ok_; \
})

/* What CHECK calls: check_count() counts a check and returns 'ok'; check_fail() prints the
 * failure ('fmt' is " " followed by the message, if any) and returns false.  The message's
 * arguments are evaluated only when the check failed. */
bool check_count(bool ok);
bool check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** The number of failed checks so far. */
unsigned check_failed(void);

/**
 * Prints "NAME: N checks, M failed" on stdout.
 * @return the exit status for main(): 0 when no check failed, 1 otherwise.
 */
int check_report(const char *name);

#endif /* VIREO_TESTS_CHECK_H */

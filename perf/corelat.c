/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/corelat: the round trip of one cache line between two CPUs, in nanoseconds.
 *
 * A packet between two guests costs a switch a few cache lines that the guests' core wrote
 * last, so its cycles per packet follow what one line's transfer between the two cores
 * costs.  In a VM that cost is set by where the host runs the two vCPUs (SMT siblings, one
 * L3, two dies), which can change from one minute to the next; the benchmarks print it
 * beside each measurement so that switches are compared on like placements.
 *
 * usage: corelat [--cpus A,B] [--rounds N]
 * prints: corelat_ns MEDIAN MIN   (the median and smallest round's mean round trip)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CORELAT_ITERS 20000
#define CORELAT_MAX_ROUNDS 1000

/* Written by both threads in turn: the line whose transfers are timed. */
static volatile uint64_t corelat_line[8] __attribute__((aligned(64)));

struct corelat_peer {
	int cpu;
	int err;
};

static int
corelat_pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* The answering side: waits for each odd value and answers with the next even one. */
static void *
corelat_answer(void *arg)
{
	struct corelat_peer *p = arg;

	p->err = corelat_pin(p->cpu);
	if (p->err != 0) {
		corelat_line[0] = UINT64_MAX;	/* tells the asking side to give up */
		return NULL;
	}
	for (uint64_t i = 1; i <= CORELAT_ITERS; i++) {
		while (corelat_line[0] != 2 * i - 1)
			;
		corelat_line[0] = 2 * i;
	}
	return NULL;
}

/* One round: the mean round trip in ns, or a negative errno. */
static double
corelat_round(int cpu_b)
{
	struct corelat_peer peer = { .cpu = cpu_b };
	struct timespec t0, t1;
	pthread_t t;
	int err;

	corelat_line[0] = 0;
	err = pthread_create(&t, NULL, corelat_answer, &peer);
	if (err != 0)
		return -err;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 1; i <= CORELAT_ITERS; i++) {
		corelat_line[0] = 2 * i - 1;
		while (corelat_line[0] != 2 * i && corelat_line[0] != UINT64_MAX)
			;
		if (corelat_line[0] == UINT64_MAX)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	if (peer.err != 0)
		return -peer.err;
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		CORELAT_ITERS;
}

static int
corelat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
corelat_usage(void)
{
	fprintf(stderr, "usage: corelat [--cpus A,B] [--rounds N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static double r[CORELAT_MAX_ROUNDS];
	int cpu_a = 0, cpu_b = 1, rounds = 15, err;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc) {
			if (sscanf(argv[++i], "%d,%d", &cpu_a, &cpu_b) != 2 || cpu_a < 0 ||
					cpu_b < 0 || cpu_a == cpu_b) {
				fprintf(stderr, "corelat: --cpus wants two different CPUs A,B, not '%s'\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 1 || v > CORELAT_MAX_ROUNDS) {
				fprintf(stderr, "corelat: --rounds wants 1 to %d, not '%s'\n",
					CORELAT_MAX_ROUNDS, argv[i]);
				return 2;
			}
			rounds = (int)v;
		} else {
			return corelat_usage();
		}
	}
	err = corelat_pin(cpu_a);
	if (err != 0) {
		fprintf(stderr, "corelat: cannot run on CPU %d: %s\n", cpu_a, strerror(err));
		return 1;
	}
	for (int k = 0; k < rounds; k++) {
		r[k] = corelat_round(cpu_b);
		if (r[k] < 0) {
			fprintf(stderr, "corelat: cannot run on CPU %d: %s\n", cpu_b,
				strerror((int)-r[k]));
			return 1;
		}
	}
	qsort(r, (size_t)rounds, sizeof(r[0]), corelat_cmp);
	printf("corelat_ns %.0f %.0f\n", r[rounds / 2], r[0]);
	return 0;
}

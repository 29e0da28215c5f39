/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Console output through a bounded ring and a writer thread (see console.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

/* How long the writer waits for a stalled reader before it looks at its state again. */
#define WAIT_MS 50
/* How many times (10 ms apart) stop signals a writer stuck in write() before leaving it. */
#define STOP_TRIES 100

/* One message to stderr; plain write(): the writer must not hold stdio's lock here. */
static void
log_raw(const char *fmt, const char *what, uint64_t v)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), fmt, what, v);

	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n :
			sizeof(msg) - 1) < 0)
		return;
}

/* The writer's wake-up signal: no SA_RESTART, so a blocked write() returns EINTR. */
static void
on_wake(int sig)
{
	(void)sig;
}

/*
 * Write at most 'n' bytes once 'fd' is writable.  Returns 0 when 'fd' did not become
 * writable within WAIT_MS, so that the writer looks at its state again (a first drop to
 * log, a stop) even while the reader stalls.  After POLLOUT a pipe takes a write of up to
 * PIPE_BUF bytes without blocking; a terminal or socket may still block, which only delays
 * the log: vmm_conout_stop() interrupts the writer with VMM_CONOUT_SIGNAL.
 */
static ssize_t
write_when_ready(int fd, const void *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (poll(&pfd, 1, WAIT_MS) == 0)
		return 0;
	return write(fd, p, n < PIPE_BUF ? n : PIPE_BUF);	/* poll's errors show here */
}

/* The first drop is logged once, by the writer (a vCPU must not block on stderr). */
static void
log_first_drop(struct vmm_conout *c)
{
	bool limit = c->limit != UINT64_MAX && c->accepted >= c->limit;
	uint64_t dropped = c->dropped;

	c->drop_logged = true;
	pthread_mutex_unlock(&c->lock);
	if (limit)
		log_raw("vireo-vmm: console: %s reached its size limit (%" PRIu64
			" bytes): further output is dropped (counted in vm-info)\n", c->what,
			c->limit);
	else
		log_raw("vireo-vmm: console: %s does not keep up: output dropped "
			"(counted in vm-info; %" PRIu64 " bytes so far)\n", c->what, dropped);
	pthread_mutex_lock(&c->lock);
}

static void *
writer(void *arg)
{
	struct vmm_conout *c = arg;
	sigset_t wake;

	/* Only the wake-up: process signals (SIGTERM, SIGINT) are the main loop's, through
	 * its signalfd, which this thread, started before the loop blocks them, would
	 * otherwise take with their default action. */
	sigfillset(&wake);
	sigdelset(&wake, VMM_CONOUT_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &wake, NULL);
	pthread_mutex_lock(&c->lock);
	while (!c->abort) {
		size_t chunk;
		ssize_t n;

		if (c->dropped > 0 && !c->drop_logged) {
			log_first_drop(c);
			continue;
		}
		if (c->len == 0) {
			pthread_cond_broadcast(&c->cond);	/* drained: stop() may go on */
			if (c->stop)
				break;
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		chunk = c->len < VMM_CONOUT_RING - c->head ? c->len : VMM_CONOUT_RING - c->head;
		c->writing = true;
		pthread_mutex_unlock(&c->lock);
		n = write_when_ready(c->fd, c->ring + c->head, chunk);
		pthread_mutex_lock(&c->lock);
		c->writing = false;
		if (n > 0) {
			c->head = (c->head + (size_t)n) % VMM_CONOUT_RING;
			c->len -= (size_t)n;
			c->written += (uint64_t)n;
		} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
			c->failed = true;
			c->dropped += c->len;
			c->len = 0;
		}
	}
	c->exited = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int
vmm_conout_start(struct vmm_conout *c, int fd, uint64_t limit, const char *what)
{
	struct sigaction sa = { .sa_handler = on_wake };
	sigset_t all, old;
	pthread_condattr_t ca;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->limit = limit;
	snprintf(c->what, sizeof(c->what), "%s", what);
	sigemptyset(&sa.sa_mask);
	sigaction(VMM_CONOUT_SIGNAL, &sa, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* The writer starts with every signal blocked (see writer()). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&c->thread, NULL, writer, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		return -ret;
	}
	c->started = true;
	return 0;
}

size_t
vmm_conout_put(struct vmm_conout *c, const uint8_t *p, size_t n)
{
	size_t room, take, tail, first;

	pthread_mutex_lock(&c->lock);
	room = c->failed || c->stop ? 0 : VMM_CONOUT_RING - c->len;
	if (c->limit != UINT64_MAX && c->limit - c->accepted < room)
		room = (size_t)(c->limit - c->accepted);
	take = n < room ? n : room;
	tail = (c->head + c->len) % VMM_CONOUT_RING;
	first = take < VMM_CONOUT_RING - tail ? take : VMM_CONOUT_RING - tail;
	memcpy(c->ring + tail, p, first);
	memcpy(c->ring, p + first, take - first);
	c->len += take;
	c->accepted += take;
	c->dropped += n - take;
	if (take > 0 || (n > take && !c->drop_logged))
		pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return take;
}

static void
deadline_in(struct timespec *t, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

bool
vmm_conout_stop(struct vmm_conout *c, unsigned int flush_ms)
{
	struct timespec dl;
	unsigned int tries;
	bool running;

	if (!c->started)
		return true;
	deadline_in(&dl, flush_ms);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	while ((c->len > 0 || c->writing) &&
	       pthread_cond_timedwait(&c->cond, &c->lock, &dl) != ETIMEDOUT)
		;
	/* Not drained in time: the writer quits at once, interrupted if it is in write(). */
	c->abort = true;
	pthread_cond_broadcast(&c->cond);
	for (tries = 0; tries < STOP_TRIES && !c->exited; tries++) {
		pthread_kill(c->thread, VMM_CONOUT_SIGNAL);
		deadline_in(&dl, 10);
		pthread_cond_timedwait(&c->cond, &c->lock, &dl);
	}
	running = !c->exited;
	c->dropped += c->len;
	c->len = 0;
	if (c->dropped > 0)
		fprintf(stderr, "vireo-vmm: console: %" PRIu64 " bytes of guest output dropped "
			"(%s; %" PRIu64 " written)\n", c->dropped, c->what, c->written);
	pthread_mutex_unlock(&c->lock);
	if (running) {
		/* Stuck beyond signals (a hung file system): leave it, and 'c', alone. */
		fprintf(stderr, "vireo-vmm: console: the writer to %s does not return: "
			"left behind\n", c->what);
		pthread_detach(c->thread);
		return false;
	}
	pthread_join(c->thread, NULL);
	c->started = false;
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	return true;
}

void
vmm_conout_stats(struct vmm_conout *c, struct vmm_conout_stats *s)
{
	pthread_mutex_lock(&c->lock);
	s->written = c->written;
	s->dropped = c->dropped;
	s->queued = c->len;
	s->limit = c->limit;
	pthread_mutex_unlock(&c->lock);
}

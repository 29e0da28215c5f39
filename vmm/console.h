/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_CONSOLE_H
#define VIREO_VMM_CONSOLE_H

/*
 * Console output that never blocks the guest or the VMM's shutdown.
 *
 * What?
 *   The guest's console bytes (the UART's transmitter) go into a bounded ring; a writer
 *   thread of its own copies them to the output fd (stdout or --serial file=PATH) with
 *   ordinary blocking writes.  A reader that stalls (a pipe nobody reads, a stopped
 *   terminal) only fills the ring: what does not fit is dropped and counted, and the
 *   first drop is logged once.  A byte limit (--serial file=PATH,max-size=N) caps what
 *   reaches the fd; the rest is dropped the same way.  After a write error (EPIPE: the
 *   reader went away) everything is dropped.
 *
 *   The writer thread, not the fd, is what may block: the fd keeps its flags (setting
 *   O_NONBLOCK on an inherited stdout would change it for the shell and every other
 *   process sharing it).  The writer waits for POLLOUT with a timeout, so it notices a
 *   stop even while the reader stalls.  vmm_conout_stop() gives it a short time to drain,
 *   then makes it quit, interrupting a blocked write() with VMM_CONOUT_SIGNAL (a no-op
 *   handler without SA_RESTART: the write returns EINTR), and counts the rest as dropped.
 *
 * Thread-safety
 *   'lock' guards every field below it.  Producers (vCPU threads, under their UART's lock:
 *   UART lock, then 'lock') append at the tail; only the writer thread advances 'head',
 *   and it writes from the ring without the lock (producers never touch queued bytes).
 */

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_CONOUT_RING (64u << 10)
/** How long vmm_conout_stop() lets the writer drain the ring. */
#define VMM_CONOUT_FLUSH_MS 200
/** Interrupts the writer's write() at stop; the module installs a no-op handler. */
#define VMM_CONOUT_SIGNAL SIGUSR2

struct vmm_conout {
	pthread_t thread;
	bool started;
	int fd;
	char what[160];			/**< for messages: "stdout" or "--serial file=PATH" */

	pthread_mutex_t lock;
	pthread_cond_t cond;		/* producers and stop → writer; writer → stop */
	uint64_t limit;			/* most bytes the fd may take; UINT64_MAX: no limit */
	uint64_t accepted;		/* bytes taken into the ring, ever */
	uint64_t written;		/* bytes the fd took */
	uint64_t dropped;		/* bytes dropped (ring full, limit, write error, stop) */
	size_t head, len;		/* queued bytes: ring[head], ... (len of them) */
	bool failed;			/* a write failed: drop from now on */
	bool stop;			/* drain, then quit */
	bool abort;			/* quit now */
	bool exited;			/* the writer returned */
	bool drop_logged;
	bool writing;			/* the writer is in write() */
	uint8_t ring[VMM_CONOUT_RING];
};

/** What a console has done so far (vmm_conout_stats()). */
struct vmm_conout_stats {
	uint64_t written;
	uint64_t dropped;
	uint64_t queued;
	uint64_t limit;
};

/**
 * Start writing to 'fd' (not closed here), at most 'limit' bytes (UINT64_MAX: no limit);
 * 'what' names the output in messages.  Returns 0 or -errno.
 */
int vmm_conout_start(struct vmm_conout *c, int fd, uint64_t limit, const char *what);

/**
 * Queue 'n' bytes.  Never blocks on the output; returns how many were queued (the rest
 * are dropped and counted).  Any thread.
 */
size_t vmm_conout_put(struct vmm_conout *c, const uint8_t *p, size_t n);

/**
 * Let the writer drain for up to 'flush_ms', then stop it (interrupted if it is blocked in
 * write()) and count what is left as dropped.  Logs the drops, if any.  Returns false in
 * the unlikely case that the writer is stuck where signals do not reach (a hung file
 * system) after another second: it is then left running and 'c' must not be freed.
 */
bool vmm_conout_stop(struct vmm_conout *c, unsigned int flush_ms);

/** Read the counters (any thread). */
void vmm_conout_stats(struct vmm_conout *c, struct vmm_conout_stats *s);

#endif /* VIREO_VMM_CONSOLE_H */

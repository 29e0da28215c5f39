/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest console's output never blocks a vCPU or the VMM's stop (console.h):
 * - a UART whose output is a pipe nobody reads (blocking, as a shell pipeline's is) takes
 *   1 MiB from a "vCPU" thread within a deadline; what does not fit is dropped, counted,
 *   logged once; stopping the console returns promptly although its writer is blocked;
 *   what did reach the pipe is the guest's bytes in order;
 * - a file output stops at its size limit, the rest counted as dropped;
 * - a live reader gets everything that fits in the ring, in order, nothing dropped;
 * - a reader that goes away (EPIPE) costs dropped bytes, not an error for the guest;
 * - the writer thread never takes a signal meant for the main loop;
 * - the console's input (serial.c, stdin through the main loop) waits in stdin while the
 *   guest's receive FIFO is full and comes in as the guest drains it: no byte dropped;
 *   when the main loop cannot watch stdin again (its handler table full), it says so once,
 *   retries a few times a second (no spinning) and input comes in once it can.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "arch.h"
#include "check.h"
#include "serial.h"
#include "vm.h"

#define GUEST_BYTES (1u << 20)

static struct vmm_uart u;
static struct vmm_conout co;
static unsigned int vcpu_bytes;
static volatile int vcpu_done;
static unsigned int unhandled;	/* events the loop found no live handler for: none expected */

static uint8_t
guest_byte(unsigned int i)
{
	return (uint8_t)('a' + i % 26);
}

static void *
vcpu(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < vcpu_bytes; i++) {
		uint8_t c = guest_byte(i);

		vmm_uart_io(&u, 0, &c, 1, true);
	}
	__atomic_store_n(&vcpu_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the guest's 'n' bytes on a thread; false if it is still blocked after 'ms'. */
static bool
run_vcpu(unsigned int n, int ms)
{
	pthread_t t;
	uint64_t end = now_ms() + (uint64_t)ms;

	vcpu_bytes = n;
	vcpu_done = 0;
	if (pthread_create(&t, NULL, vcpu, NULL) != 0)
		return false;
	while (!__atomic_load_n(&vcpu_done, __ATOMIC_ACQUIRE)) {
		if (now_ms() > end)
			return false;	/* left blocked: the test reports and exits */
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	pthread_join(t, NULL);
	return true;
}

/* Do 'n' bytes read from 'fd' follow the guest's sequence from its start? */
static bool
in_order(int fd, uint64_t n)
{
	uint8_t buf[4096];
	uint64_t at = 0;
	ssize_t r;

	while (at < n && (r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != guest_byte((unsigned int)at++))
				return false;
	return at == n;
}

static unsigned int
count_lines(const char *path, const char *needle)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
stalled_reader(void)
{
	struct vmm_conout_stats s;
	char log[] = "/tmp/test_console.log.XXXXXX";
	int p[2], logfd = mkstemp(log), saved = dup(2);
	uint64_t t0;

	CHECK(pipe2(p, O_CLOEXEC) == 0 && logfd >= 0);
	dup2(logfd, 2);
	CHECK(vmm_conout_start(&co, p[1], UINT64_MAX, "stdout") == 0);
	vmm_uart_init(&u, &co, NULL, NULL);
	if (!run_vcpu(GUEST_BYTES, 10000)) {
		dup2(saved, 2);
		printf("test_console: the vCPU is still blocked on the console after 10 s\n");
		CHECK(!"a vCPU blocked on console output");
		exit(check_report("test_console"));
	}
	CHECK(u.tx_bytes == GUEST_BYTES);
	vmm_conout_stats(&co, &s);
	CHECK(s.written + s.dropped + s.queued == GUEST_BYTES);
	CHECK(s.dropped >= GUEST_BYTES - 2 * VMM_CONOUT_RING - (256u << 10));
	t0 = now_ms();
	vmm_conout_stop(&co, 200);	/* the writer is blocked in write(): cancelled */
	CHECK(now_ms() - t0 < 2000);
	CHECK(co.written + co.dropped == GUEST_BYTES);
	close(p[1]);
	CHECK(in_order(p[0], co.written));
	close(p[0]);
	vmm_uart_fini(&u);
	dup2(saved, 2);
	close(saved);
	CHECK(count_lines(log, "stdout does not keep up") == 1);
	CHECK(count_lines(log, "bytes of guest output dropped") == 1);
	close(logfd);
	unlink(log);
}

static void
file_limit(void)
{
	char path[] = "/tmp/test_console.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), quiet = open("/dev/null", O_WRONLY);
	struct stat st;

	CHECK(fd >= 0);
	dup2(quiet, 2);
	CHECK(vmm_conout_start(&co, fd, 1000, "--serial file=test") == 0);
	vmm_uart_init(&u, &co, NULL, NULL);
	CHECK(run_vcpu(5000, 10000));
	vmm_conout_stop(&co, 1000);
	dup2(saved, 2);
	CHECK(co.written == 1000 && co.dropped == 4000);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 1000);
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && in_order(fd, 1000));
	vmm_uart_fini(&u);
	close(fd);
	close(quiet);
	close(saved);
	unlink(path);
}

static void
live_reader(void)
{
	int p[2];

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);	/* the whole run fits: no reader thread needed */
	CHECK(vmm_conout_start(&co, p[1], UINT64_MAX, "stdout") == 0);
	vmm_uart_init(&u, &co, NULL, NULL);
	CHECK(run_vcpu(VMM_CONOUT_RING / 2, 10000));
	vmm_conout_stop(&co, 5000);
	CHECK(co.written == VMM_CONOUT_RING / 2 && co.dropped == 0);
	close(p[1]);
	CHECK(in_order(p[0], co.written));
	close(p[0]);
	vmm_uart_fini(&u);
}

static void
reader_gone(void)
{
	int p[2], saved = dup(2), quiet = open("/dev/null", O_WRONLY);

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	close(p[0]);
	dup2(quiet, 2);
	CHECK(vmm_conout_start(&co, p[1], UINT64_MAX, "stdout") == 0);
	vmm_uart_init(&u, &co, NULL, NULL);
	CHECK(run_vcpu(10000, 10000));
	vmm_conout_stop(&co, 1000);
	dup2(saved, 2);
	CHECK(co.written == 0 && co.dropped == 10000);
	vmm_uart_fini(&u);
	close(p[1]);
	close(quiet);
	close(saved);
}

/*
 * vireo-vmm starts the console before its main loop blocks SIGTERM for its signalfd: the
 * writer thread must not take a process signal meanwhile (default action: death).
 */
static void
signals_stay_with_main(void)
{
	struct timespec one_s;
	sigset_t term;
	int p[2];

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(vmm_conout_start(&co, p[1], UINT64_MAX, "stdout") == 0);
	/* The writer runs its loop (a byte went through it), with its own signal mask. */
	CHECK(vmm_conout_put(&co, (const uint8_t *)"x", 1) == 1);
	CHECK(read(p[0], &one_s, 1) == 1);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	kill(getpid(), SIGTERM);
	one_s = (struct timespec){ .tv_sec = 1 };
	CHECK(sigtimedwait(&term, NULL, &one_s) == SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	vmm_conout_stop(&co, 100);
	close(p[0]);
	close(p[1]);
}

static uint8_t
guest_in(struct vmm_vm *vm, unsigned int reg)
{
	uint8_t v = 0;

	vmm_bus_access(&vm->bus, vmm_arch_console.bus, vmm_arch_console.base + reg, &v, 1,
		false);
	return v;
}

static void
no_cb(void *opaque, int fd)
{
	(void)opaque;
	(void)fd;
}

/*
 * The FIFO is full and stdin unwatched: with the loop's handler table full, the guest
 * drains the FIFO; the loop cannot watch stdin again and says so once, retries without
 * spinning and reads nothing; room in the table, and it watches stdin again.  The bytes the
 * guest took count in 'got' ('bad' out of order).
 */
static void
watch_fails(struct vmm_vm *vm, int in_fd, unsigned int *got, unsigned int *bad)
{
	char log[] = "/tmp/test_console.log.XXXXXX";
	int logfd = mkstemp(log), saved = dup(2), left = -1, runs = 0;
	bool taken[VMM_MAX_FD_HANDLERS];
	uint64_t end;

	CHECK(logfd >= 0 && saved >= 0);
	for (unsigned int i = 0; i < VMM_MAX_FD_HANDLERS; i++) {
		taken[i] = vm->handlers[i].cb == NULL;
		if (taken[i])
			vm->handlers[i] = (struct vmm_fd_handler){ .fd = -1, .cb = no_cb };
	}
	dup2(logfd, 2);
	while (guest_in(vm, 5) & 0x01) {
		*bad += guest_in(vm, 0) != guest_byte(*got);
		(*got)++;
	}
	for (end = now_ms() + 600; now_ms() < end;)
		runs += vmm_vm_dispatch(vm, 50, &unhandled);
	if (ioctl(in_fd, FIONREAD, &left) < 0)
		left = -1;
	for (unsigned int i = 0; i < VMM_MAX_FD_HANDLERS; i++)
		if (taken[i])
			vm->handlers[i].cb = NULL;
	/* The next retry watches stdin; the first read fills the FIFO again. */
	for (end = now_ms() + 1000; now_ms() < end && !(guest_in(vm, 5) & 0x01);)
		vmm_vm_dispatch(vm, 50, &unhandled);
	dup2(saved, 2);
	close(saved);
	CHECK(*got == VMM_UART_RX_SIZE, "%u bytes in the FIFO", *got);
	CHECK(left == (int)(2 * VMM_UART_RX_SIZE), "%d bytes left in stdin", left);
	CHECK(runs >= 2 && runs <= 10, "%d loop runs in 600 ms while stdin cannot be watched",
		runs);
	CHECK(count_lines(log, "console input (stdin) cannot be watched again") == 1);
	CHECK(count_lines(log, "console input (stdin) watched again") == 1);
	close(logfd);
	unlink(log);
}

static void
stdin_backpressure(bool fail_watch)
{
	static struct vmm_vm vm;
	struct vmm_config cfg;
	uint8_t in[3 * VMM_UART_RX_SIZE];
	unsigned int got = 0, bad = 0;
	int p[2], saved = dup(0), left = -1;
	char *err = NULL;

	memset(&vm, 0, sizeof(vm));
	memset(&cfg, 0, sizeof(cfg));
	vmm_bus_init(&vm.bus);
	pthread_mutex_init(&vm.stop_lock, NULL);
	vm.vm_fd = vm.stop_fd = -1;
	vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	cfg.serial = VMM_SERIAL_STDIO;
	vm.cfg = &cfg;
	CHECK(pipe(p) == 0 && saved >= 0 && vm.epoll_fd >= 0);
	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = guest_byte(i);
	CHECK(write(p[1], in, sizeof(in)) == (ssize_t)sizeof(in));
	dup2(p[0], 0);
	CHECK(vmm_devices_init(&vm, &err) == 0, "%s", err != NULL ? err : "");
	/* The loop fills the FIFO and stops reading: the rest stays in the pipe. */
	while (vmm_vm_dispatch(&vm, 100, &unhandled) > 0)
		;
	CHECK(ioctl(p[0], FIONREAD, &left) == 0 && left == (int)(sizeof(in) - VMM_UART_RX_SIZE),
		"%d bytes left in stdin", left);
	if (fail_watch)
		watch_fails(&vm, p[0], &got, &bad);
	/* The guest drains the FIFO; the loop refills it; every byte arrives, in order. */
	for (unsigned int idle = 0; got < sizeof(in) && idle < 50;) {
		if (guest_in(&vm, 5) & 0x01) {
			bad += guest_in(&vm, 0) != guest_byte(got);
			got++;
			idle = 0;
		} else {
			idle += vmm_vm_dispatch(&vm, 100, &unhandled) <= 0;
		}
	}
	CHECK(got == sizeof(in) && bad == 0, "%u bytes of %zu, %u out of order", got, sizeof(in),
		bad);
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
	close(p[1]);
	close(vm.epoll_fd);
	free(err);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);	/* as vmm_main() */
	stalled_reader();
	file_limit();
	live_reader();
	reader_gone();
	signals_stay_with_main();
	stdin_backpressure(false);
	stdin_backpressure(true);
	CHECK(unhandled == 0, "%u events found no live handler", unhandled);
	return check_report("test_console");
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest console: a 16550A where the architecture puts it (vmm_arch_console: COM1 on x86,
 * MMIO on arm64), output to stdout or a file (at most
 * max-size bytes) through a ring that never blocks (console.h), input from stdin through
 * the main loop.  Input waits in stdin while the receive FIFO is full: the main loop stops
 * watching stdin then, and the vCPU that takes a byte from the full FIFO wakes it (only the
 * main thread changes the loop's fds), so no byte is read and dropped.  The wake is a
 * timerfd the vCPU arms to fire at once; when stdin cannot be watched again (the loop's
 * handler table or epoll is full), the main thread says so once and arms the same timer to
 * try again in SERIAL_RETRY_MS: console input never stays paused for good, and a failure
 * that lasts costs a retry every SERIAL_RETRY_MS, not a spinning loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "arch.h"
#include "serial.h"
#include "util.h"
#include "vm.h"

#define SERIAL_RETRY_MS 100

struct serial_dev {
	struct vmm_uart uart;
	struct vmm_conout out;
	struct vmm_vm *vm;
	int out_fd;
	bool own_out;
	bool in_watched;
	bool in_paused;		/* stdin unwatched until the FIFO has room (main thread) */
	bool in_failed;		/* stdin could not be watched again: said once (main thread) */
	int wake_fd;		/* timerfd: room in the full FIFO, or a retry is due; or -1 */
	bool raw;
	struct termios saved;
};

static void
serial_irq(void *opaque, int level)
{
	struct serial_dev *s = opaque;

	vmm_vm_irq_line(s->vm, vmm_arch_console.irq, level);
}

/* Fire the wake timer in 'ms' milliseconds (0: at once); any thread. */
static void
serial_wake_in(struct serial_dev *s, long ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
		.tv_nsec = ms % 1000 * 1000000 + 1 } };	/* zero would disarm */

	timerfd_settime(s->wake_fd, 0, &its, NULL);
}

/* A vCPU, under the UART's mutex: the guest took a byte from a full FIFO. */
static void
serial_room(void *opaque)
{
	struct serial_dev *s = opaque;

	serial_wake_in(s, 0);
}

static void
serial_stdin(void *opaque, int fd)
{
	struct serial_dev *s = opaque;
	uint8_t buf[64];
	size_t room = vmm_uart_rx_room(&s->uart);
	ssize_t n;

	/*
	 * Only this thread fills the FIFO, so the room can only grow until the read; a byte
	 * taken after the check wakes serial_wake(), which watches stdin again.
	 */
	if (room == 0) {
		vmm_vm_del_fd(s->vm, fd);
		s->in_watched = false;
		s->in_paused = true;
		return;
	}
	n = read(fd, buf, room > sizeof(buf) ? sizeof(buf) : room);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		vmm_vm_del_fd(s->vm, fd);
		s->in_watched = false;
		return;
	}
	vmm_uart_input(&s->uart, buf, (size_t)n);
}

/* The main loop: room in the FIFO again, or a retry; watch stdin if it was paused. */
static void
serial_wake(void *opaque, int fd)
{
	struct serial_dev *s = opaque;
	uint64_t v;
	int ret;

	if (read(fd, &v, sizeof(v)) < 0 || !s->in_paused || vmm_uart_rx_room(&s->uart) == 0)
		return;
	ret = vmm_vm_add_fd(s->vm, STDIN_FILENO, serial_stdin, s);
	if (ret < 0) {
		if (!s->in_failed)
			fprintf(stderr, "vireo-vmm: serial: console input (stdin) cannot be watched "
				"again: %s; retrying every %d ms\n", strerror(-ret), SERIAL_RETRY_MS);
		s->in_failed = true;
		serial_wake_in(s, SERIAL_RETRY_MS);
		return;
	}
	if (s->in_failed)
		fprintf(stderr, "vireo-vmm: serial: console input (stdin) watched again\n");
	s->in_failed = false;
	s->in_paused = false;
	s->in_watched = true;
}

static void
serial_raw_mode(struct serial_dev *s)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &s->saved) < 0)
		return;
	t = s->saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		s->raw = true;
}

static int
serial_init(struct vmm_vm *vm, void **state, char **err)
{
	const struct vmm_config *cfg = vm->cfg;
	struct serial_dev *s = calloc(1, sizeof(*s));
	char what[160];
	int ret;

	if (s == NULL)
		return -ENOMEM;
	s->vm = vm;
	s->out_fd = STDOUT_FILENO;
	s->wake_fd = -1;
	if (cfg->serial == VMM_SERIAL_FILE) {
		s->out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			ret = vmm_err(err, -VMM_EINPUT, "--serial file=%s: %s", cfg->serial_path,
				strerror(errno));
			goto err_free;
		}
		s->own_out = true;
	}
	snprintf(what, sizeof(what), cfg->serial == VMM_SERIAL_FILE ? "--serial file=%s" :
		"stdout", cfg->serial_path);
	ret = vmm_conout_start(&s->out, s->out_fd, cfg->serial == VMM_SERIAL_FILE ?
		cfg->serial_max : UINT64_MAX, what);
	if (ret < 0) {
		ret = vmm_err(err, ret, "serial: console writer thread: %s", strerror(-ret));
		goto err_close;
	}
	vmm_uart_init(&s->uart, &s->out, serial_irq, s);
	ret = vmm_bus_register(&vm->bus, vmm_arch_console.bus, vmm_arch_console.base, 8, "serial",
		vmm_uart_io, &s->uart);
	if (ret < 0) {
		ret = vmm_err(err, ret, "serial: 0x%" PRIx64 "-0x%" PRIx64 " is taken",
			vmm_arch_console.base, vmm_arch_console.base + 7);
		goto err_uart;
	}
	vm->console = &s->out;
	if (cfg->serial == VMM_SERIAL_STDIO) {
		s->wake_fd = vmm_vm_add_timer(vm, CLOCK_MONOTONIC, serial_wake, s, "serial", err);
		if (s->wake_fd < 0) {
			ret = s->wake_fd;
			goto err_bus;
		}
		vmm_uart_on_room(&s->uart, serial_room, s);
		serial_raw_mode(s);
		if (vmm_vm_add_fd(vm, STDIN_FILENO, serial_stdin, s) == 0)
			s->in_watched = true;
	}
	*state = s;
	return 0;

err_bus:
	vm->console = NULL;
	vmm_bus_unregister(&vm->bus, vmm_arch_console.bus, vmm_arch_console.base);
err_uart:
	vmm_uart_fini(&s->uart);
	vmm_conout_stop(&s->out, 0);
err_close:
	if (s->own_out)
		close(s->out_fd);
err_free:
	free(s);
	return ret;
}

static void
serial_exit(struct vmm_vm *vm, void *state)
{
	struct serial_dev *s = state;

	if (s->in_watched)
		vmm_vm_del_fd(vm, STDIN_FILENO);
	if (s->wake_fd >= 0) {
		vmm_uart_on_room(&s->uart, NULL, NULL);
		vmm_vm_del_timer(vm, s->wake_fd);
	}
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	vmm_bus_unregister(&vm->bus, vmm_arch_console.bus, vmm_arch_console.base);
	vm->console = NULL;
	if (!vmm_conout_stop(&s->out, VMM_CONOUT_FLUSH_MS))
		return;		/* its writer still uses 's' and the fd: the process ends soon */
	vmm_uart_fini(&s->uart);
	if (s->own_out)
		close(s->out_fd);
	free(s);
}

static const struct vmm_device_ops serial_ops = {
	.name = "serial",
	.init = serial_init,
	.exit = serial_exit,
};

VMM_DEVICE_REGISTER(serial_ops)

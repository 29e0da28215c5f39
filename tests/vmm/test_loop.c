/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main loop's dispatch (vmm_vm_dispatch(), vm.c), without KVM: a ready fd runs its
 * handler; a handler that an earlier handler of the same batch removed does not run and
 * is counted as unhandled; a timeout runs nothing; a broken epoll fd is an error.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "check.h"
#include "vm.h"

static struct vmm_vm vm;
static int efd[2];
static unsigned int calls[2];

/* Handler i reads its eventfd and removes the other's: whichever runs first, the other's
 * event is stale in the same batch. */
static void
on_event(void *opaque, int fd)
{
	unsigned int i = (unsigned int)(uintptr_t)opaque;
	uint64_t v;

	calls[i]++;
	CHECK(read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v));
	vmm_vm_del_fd(&vm, efd[1 - i]);
}

int
main(void)
{
	unsigned int unhandled = 0;
	uint64_t one = 1;

	memset(&vm, 0, sizeof(vm));
	vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(vm.epoll_fd >= 0);
	CHECK(vmm_vm_dispatch(&vm, 10, &unhandled) == 0 && unhandled == 0, "nothing is watched");
	for (unsigned int i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK(efd[i] >= 0 && vmm_vm_add_fd(&vm, efd[i], on_event, (void *)(uintptr_t)i) == 0);
		CHECK(write(efd[i], &one, sizeof(one)) == (ssize_t)sizeof(one));
	}
	CHECK(vmm_vm_dispatch(&vm, 1000, &unhandled) == 1, "one handler runs");
	CHECK(unhandled == 1 && calls[0] + calls[1] == 1, "unhandled %u, calls %u and %u",
		unhandled, calls[0], calls[1]);
	/* The survivor's fd, drained by its handler, stays quiet; a new write runs it again. */
	CHECK(vmm_vm_dispatch(&vm, 10, NULL) == 0);
	for (unsigned int i = 0; i < 2; i++)
		CHECK(write(efd[i], &one, sizeof(one)) == (ssize_t)sizeof(one));
	CHECK(vmm_vm_dispatch(&vm, 1000, &unhandled) == 1 && unhandled == 1);
	CHECK(calls[0] + calls[1] == 2 && (calls[0] == 2 || calls[1] == 2),
		"calls %u and %u", calls[0], calls[1]);
	close(vm.epoll_fd);
	vm.epoll_fd = -1;
	CHECK(vmm_vm_dispatch(&vm, 10, &unhandled) == -EBADF && unhandled == 1);
	close(efd[0]);
	close(efd[1]);
	return check_report("test_loop");
}

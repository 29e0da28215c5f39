/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KVM VM: /dev/kvm, the VM fd (its architecture's part: arch.h), memory slots, the main
 * loop and the stop protocol.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "arch.h"
#include "util.h"
#include "vm.h"

/* The stop eventfd's epoll data; a handler's is its fd and slot (vmm_vm_add_fd). */
#define STOP_EVENT UINT64_MAX

static int
open_kvm(struct vmm_vm *vm, char **err)
{
	const char *dev = vm->cfg->kvm_dev;
	int ver;

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return vmm_err(err, -VMM_EINPUT,
				"KVM device %s is missing: load kvm_intel or kvm_amd (and enable "
				"virtualization in the firmware), or run in the test host "
				"(scripts/testhost run -- ...)", dev);
		if (e == EACCES || e == EPERM)
			return vmm_err(err, -VMM_EINPUT,
				"KVM device %s: permission denied (join the 'kvm' group or run as root)",
				dev);
		return vmm_err(err, -VMM_EINPUT, "KVM device %s: %s", dev, strerror(e));
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION)
		return vmm_err(err, -VMM_EINPUT, "KVM device %s: API version %d, expected %d", dev,
			ver, KVM_API_VERSION);
	return 0;
}

static int
check_vcpus(struct vmm_vm *vm, char **err)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4;
	vm->max_vcpus = max;
	if (vm->cfg->cpus > (unsigned int)max)
		return vmm_err(err, -VMM_EINPUT,
			"--cpus %u: KVM allows at most %d vCPUs per VM (KVM_CAP_MAX_VCPUS)",
			vm->cfg->cpus, max);
	return 0;
}

static int
set_halt_poll(struct vmm_vm *vm, char **err)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL };

	if (vm->cfg->halt_poll_ns < 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
		return vmm_err(err, -VMM_EINPUT, "--halt-poll-ns: this KVM lacks KVM_CAP_HALT_POLL");
	cap.args[0] = (uint64_t)vm->cfg->halt_poll_ns;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return vmm_err(err, -errno, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, %lld): %s",
			vm->cfg->halt_poll_ns, strerror(errno));
	return 0;
}

static int
set_memory_slots(struct vmm_vm *vm, char **err)
{
	unsigned int i;

	for (i = 0; i < vm->mem.nr_regions; i++) {
		const struct vmm_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return vmm_err(err, -errno,
				"KVM_SET_USER_MEMORY_REGION slot %u (0x%" PRIx64 "+0x%" PRIx64 "): %s", i,
				r->gpa, r->size, strerror(errno));
	}
	return 0;
}

static int
open_loop(struct vmm_vm *vm, char **err)
{
	struct epoll_event ev = { .events = EPOLLIN };

	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epoll_fd < 0)
		return vmm_err(err, -errno, "epoll_create1: %s", strerror(errno));
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0)
		return vmm_err(err, -errno, "eventfd: %s", strerror(errno));
	ev.data.u64 = STOP_EVENT;
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, vm->stop_fd, &ev) < 0)
		return vmm_err(err, -errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

/*
 * Each --cpu-pin CPU must be one a thread of this process may be given: not only the CPUs
 * it inherited (vCPUs are commonly pinned onto isolated CPUs the VMM was not started on),
 * but any its cpuset allows.  Tried on this thread, the only one so far, then undone.
 */
static int
check_pins(struct vmm_vm *vm, char **err)
{
	const struct vmm_config *cfg = vm->cfg;
	int ret = 0;

	for (unsigned int i = 0; i < cfg->nr_pins && ret == 0; i++) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cfg->pins[i].cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0)
			ret = vmm_err(err, -VMM_EINPUT, "--cpu-pin %u:%d: CPU %d is not available "
				"to this process (%s)", cfg->pins[i].vcpu, cfg->pins[i].cpu,
				cfg->pins[i].cpu, strerror(errno));
	}
	if (cfg->nr_pins > 0 && CPU_COUNT(&vm->host_cpus) > 0)
		sched_setaffinity(0, sizeof(vm->host_cpus), &vm->host_cpus);
	return ret;
}

int
vmm_vm_create(struct vmm_vm *vm, const struct vmm_config *cfg, char **err)
{
	struct vmm_mem_opts mopts = {
		.size = cfg->mem_size,
		.hugepage_size = cfg->hugepage_size,
		.prealloc = cfg->prealloc,
		.shared = cfg->shared,
		.numa_node = cfg->numa_node,
	};
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->vm_stats_fd = vm->epoll_fd = vm->stop_fd = -1;
	vm->irqchip_fd = -1;
	vm->msi_fd = -1;
	vm->mem.fd = -1;
	vm->nr_vcpus = cfg->cpus;
	vm->start_ns = vmm_now_ns();
	pthread_mutex_init(&vm->stop_lock, NULL);
	vmm_bus_init(&vm->bus);

	ret = vmm_arch_check(cfg, err);
	if (ret < 0)
		return ret;
	ret = vmm_memory_create(&vm->mem, &mopts, err);
	if (ret < 0)
		return ret;
	/*
	 * --emulator-pin once the guest's RAM is made (its pages placed as without the pin)
	 * and before any thread exists: every thread but the vCPUs (the console writer)
	 * inherits it, as libvirt's emulatorpin covers all of QEMU's non-vCPU threads;
	 * vmm_vcpus_start() gives the vCPUs theirs.
	 */
	if (sched_getaffinity(0, sizeof(vm->host_cpus), &vm->host_cpus) < 0)
		CPU_ZERO(&vm->host_cpus);
	ret = check_pins(vm, err);
	if (ret < 0)
		return ret;
	if (cfg->emulator_pin &&
	    sched_setaffinity(0, sizeof(cfg->emulator_cpus), &cfg->emulator_cpus) < 0)
		return vmm_err(err, -VMM_EINPUT,
			"--emulator-pin: none of those CPUs is available to this process (%s)",
			strerror(errno));
	ret = vmm_boot_load(vm, err);
	if (ret < 0)
		return ret;
	if ((ret = open_kvm(vm, err)) < 0 || (ret = check_vcpus(vm, err)) < 0 ||
	    (ret = vmm_arch_vm_create(vm, err)) < 0 || (ret = set_halt_poll(vm, err)) < 0 ||
	    (ret = set_memory_slots(vm, err)) < 0 || (ret = open_loop(vm, err)) < 0)
		return ret;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0)
		vm->vm_stats_fd = ioctl(vm->vm_fd, KVM_GET_STATS_FD, 0);
	return 0;
}

void
vmm_vm_destroy(struct vmm_vm *vm)
{
	vmm_vcpus_destroy(vm);
	if (vm->vm_stats_fd >= 0)
		close(vm->vm_stats_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->epoll_fd >= 0)
		close(vm->epoll_fd);
	if (vm->msi_fd >= 0)
		close(vm->msi_fd);
	if (vm->irqchip_fd >= 0)
		close(vm->irqchip_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_stats_fd = vm->stop_fd = vm->epoll_fd = vm->vm_fd = vm->kvm_fd = -1;
	vm->irqchip_fd = -1;
	vm->msi_fd = -1;
	vmm_memory_destroy(&vm->mem);
	vmm_bus_destroy(&vm->bus);
	pthread_mutex_destroy(&vm->stop_lock);
}

void
vmm_vm_request_stop(struct vmm_vm *vm, int status, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;
	ssize_t n;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_requested) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->exit_status = status;
	va_start(ap, fmt);
	vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
	va_end(ap);
	__atomic_store_n(&vm->stop_requested, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->stop_lock);
	do {
		n = write(vm->stop_fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
}

int
vmm_vm_add_fd(struct vmm_vm *vm, int fd, vmm_fd_cb *cb, void *opaque)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;

	for (i = 0; i < VMM_MAX_FD_HANDLERS; i++)
		if (vm->handlers[i].cb == NULL)
			break;
	if (i == VMM_MAX_FD_HANDLERS)
		return -ENOSPC;
	/*
	 * The event names its handler, not just the fd number: a number closed elsewhere (the
	 * vhost-user library closes a failed connection on the thread that saw it fail) and
	 * reused by a new registration must not reach the old handler.
	 */
	ev.data.u64 = (uint64_t)(uint32_t)fd << 32 | i;
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	vm->handlers[i] = (struct vmm_fd_handler){ .fd = fd, .cb = cb, .opaque = opaque };
	return 0;
}

void
vmm_vm_del_fd(struct vmm_vm *vm, int fd)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_FD_HANDLERS; i++) {
		if (vm->handlers[i].cb != NULL && vm->handlers[i].fd == fd) {
			epoll_ctl(vm->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
			vm->handlers[i].cb = NULL;
		}
	}
}

int
vmm_vm_add_timer(struct vmm_vm *vm, int clock, vmm_fd_cb *cb, void *opaque, const char *who,
	char **err)
{
	int fd = timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC), ret;

	if (fd < 0)
		return vmm_err(err, -errno, "%s: timerfd_create: %s", who, strerror(errno));
	ret = vmm_vm_add_fd(vm, fd, cb, opaque);
	if (ret < 0) {
		close(fd);
		return vmm_err(err, ret, "%s: cannot watch its timer: %s", who, strerror(-ret));
	}
	return fd;
}

void
vmm_vm_del_timer(struct vmm_vm *vm, int fd)
{
	vmm_vm_del_fd(vm, fd);
	close(fd);
}

void
vmm_vm_forget_fd(struct vmm_vm *vm, int fd, void *opaque)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_FD_HANDLERS; i++)
		if (vm->handlers[i].cb != NULL && vm->handlers[i].fd == fd &&
		    vm->handlers[i].opaque == opaque)
			vm->handlers[i].cb = NULL;
}

int
vmm_vm_dispatch(struct vmm_vm *vm, int timeout_ms, unsigned int *unhandled)
{
	struct epoll_event evs[8];
	int i, n, ran = 0;

	n = epoll_wait(vm->epoll_fd, evs, 8, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint32_t h = (uint32_t)evs[i].data.u64;
		int fd = (int)(evs[i].data.u64 >> 32);

		if (evs[i].data.u64 == STOP_EVENT)
			continue;
		/* A handler an earlier event of this batch removed is skipped. */
		if (h < VMM_MAX_FD_HANDLERS && vm->handlers[h].cb != NULL &&
		    vm->handlers[h].fd == fd) {
			vm->handlers[h].cb(vm->handlers[h].opaque, fd);
			ran++;
		} else if (unhandled != NULL) {
			(*unhandled)++;
		}
	}
	return ran;
}

static void
on_signal(void *opaque, int fd)
{
	struct vmm_vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	vmm_vm_request_stop(vm, 128 + (int)si.ssi_signo, "stopped by signal %s",
		strsignal((int)si.ssi_signo));
}

int
vmm_vm_run(struct vmm_vm *vm)
{
	sigset_t mask;
	char *err = NULL;
	int sfd, n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || vmm_vm_add_fd(vm, sfd, on_signal, vm) < 0) {
		fprintf(stderr, "vireo-vmm: signalfd: %s\n", strerror(errno));
		return VMM_EXIT_INTERNAL;
	}
	if (vmm_vcpus_start(vm, &err) < 0) {
		fprintf(stderr, "vireo-vmm: %s\n", err != NULL ? err : "cannot start vCPUs");
		free(err);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU start failed");
	}
	while (!__atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE)) {
		n = vmm_vm_dispatch(vm, -1, NULL);
		if (n < 0) {
			vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "epoll_wait: %s", strerror(-n));
			break;
		}
	}
	vmm_vcpus_stop(vm);
	vmm_vm_del_fd(vm, sfd);
	close(sfd);
	return vm->exit_status;
}

static const struct vmm_device_ops *device_list[VMM_MAX_DEVICES];
static unsigned int nr_device_list;

void
vmm_device_register(const struct vmm_device_ops *ops)
{
	if (nr_device_list < VMM_MAX_DEVICES)
		device_list[nr_device_list++] = ops;
}

int
vmm_devices_init(struct vmm_vm *vm, char **err)
{
	unsigned int i;
	int ret;

	for (i = 0; i < nr_device_list; i++) {
		struct vmm_device_inst *d = &vm->devs[vm->nr_devs];

		d->ops = device_list[i];
		d->state = NULL;
		ret = d->ops->init(vm, &d->state, err);
		if (ret < 0)
			return vmm_err(err, ret, "device %s: %s", d->ops->name, strerror(-ret));
		vm->nr_devs++;
	}
	return 0;
}

void
vmm_devices_exit(struct vmm_vm *vm)
{
	while (vm->nr_devs > 0) {
		struct vmm_device_inst *d = &vm->devs[--vm->nr_devs];

		if (d->ops->exit != NULL)
			d->ops->exit(vm, d->state);
	}
}

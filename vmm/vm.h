/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_VM_H
#define VIREO_VMM_VM_H

/*
 * The virtual machine: KVM file descriptors, guest memory, the device bus, the vCPUs and
 * the main thread's event loop.
 *
 * Life cycle: vmm_vm_create() (KVM VM, irqchip, PIT, memory slots) → vmm_boot_load() (kernel,
 * initramfs, firmware tables) → vmm_devices_init() → vmm_vcpus_create() → vmm_vm_run()
 * (starts the vCPU threads, runs the event loop until someone asks the VM to stop, stops and
 * joins the vCPUs) → vmm_vm_destroy().
 *
 * Thread-safety
 * =============
 * - The main thread owns the event loop (fd handlers), the API socket, and the set-up.
 * - vCPU threads run KVM_RUN and the device callbacks of the exits they take.  They share
 *   the bus (its own rwlock), the memory (read-only after set-up), and devices (each has its
 *   own mutex).
 * - vmm_vm_request_stop() may be called from any thread: the first request wins and sets
 *   the exit status and reason under 'stop_lock'; it wakes the main thread through an
 *   eventfd; the main thread then kicks every vCPU out of KVM_RUN and joins it.
 * - Each vCPU's exit counters have a single writer (its thread) and are read with relaxed
 *   atomic loads by the main thread (stats.h).
 */

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "bus.h"
#include "console.h"
#include "memory.h"
#include "stats.h"
#include "vmm.h"

struct vmm_vm;

/** One virtual CPU: its KVM fd, the shared kvm_run page and its thread. */
struct vmm_vcpu {
	struct vmm_vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	int pin_cpu;			/**< host CPU, or -1 */
	struct vmm_exit_stats stats;
	int stats_fd;			/**< KVM_GET_STATS_FD, or -1 */
};

/** A file descriptor watched by the main loop. */
typedef void vmm_fd_cb(void *opaque, int fd);

struct vmm_fd_handler {
	int fd;
	vmm_fd_cb *cb;
	void *opaque;
};

#define VMM_MAX_FD_HANDLERS 32
#define VMM_MAX_DEVICES 16

/** A device instance: its ops and its private state. */
struct vmm_device_inst {
	const struct vmm_device_ops *ops;
	void *state;
};

/** Where the boot code placed things, for the boot vCPU. */
struct vmm_boot_info {
	uint64_t entry;			/**< 64-bit entry point */
	uint64_t boot_params;		/**< the zero page */
	uint64_t kernel_size;
	uint64_t initramfs_size;
	uint64_t initramfs_gpa;		/**< where the initramfs was put (arm64's device tree) */
	uint64_t fdt_gpa;		/**< the device tree (arm64), or 0 */
	bool decompressed;		/**< the VMM decompressed the kernel (payload.h) */
	const char *payload_format;	/**< "lz4", "xz", ... */
	uint64_t decompress_ns;		/**< time the VMM spent reading, decompressing, loading */
	uint64_t read_ns;		/**< of which reading the payload */
	char boot_note[200];		/**< why the bzImage path was taken, or "" */
};

struct vmm_vm {
	const struct vmm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int max_vcpus;
	int vm_stats_fd;		/**< KVM_GET_STATS_FD on the VM, or -1 */
	int irqchip_fd;			/**< an in-kernel irqchip device (arm64's GIC), or -1 */
	int msi_fd;			/**< an in-kernel MSI controller (arm64's ITS), or -1 */
	struct vmm_memory mem;
	struct vmm_bus bus;
	struct vmm_boot_info boot;
	size_t run_size;
	unsigned int nr_vcpus;
	struct vmm_vcpu *vcpus;
	/** The CPUs the process could run on before --emulator-pin: unpinned vCPUs' set. */
	cpu_set_t host_cpus;
	struct vmm_device_inst devs[VMM_MAX_DEVICES];
	unsigned int nr_devs;
	struct vmm_conout *console;	/**< the console's output (serial.c), or NULL */

	/* Main loop. */
	int epoll_fd;
	int stop_fd;			/**< eventfd: someone asked the VM to stop */
	struct vmm_fd_handler handlers[VMM_MAX_FD_HANDLERS];
	uint64_t start_ns;

	/* Stop request, guarded by 'stop_lock'. */
	pthread_mutex_t stop_lock;
	bool stop_requested;
	int exit_status;
	char reason[160];
};

/** Open KVM, create the VM, its irqchip, PIT and guest memory.  See vmm.h for errors. */
int vmm_vm_create(struct vmm_vm *vm, const struct vmm_config *cfg, char **err);

/** Release everything vmm_vm_create() and later steps set up. */
void vmm_vm_destroy(struct vmm_vm *vm);

/**
 * Start the vCPUs and run the main loop until the VM is asked to stop; then stop and join
 * the vCPUs.  Returns the exit status recorded by vmm_vm_request_stop().
 */
int vmm_vm_run(struct vmm_vm *vm);

/**
 * One turn of the main loop, which vmm_vm_run() repeats and which tests run to drive
 * device timers without vCPUs: wait at most 'timeout_ms' (-1: no limit) for the watched
 * fds, then call the handler of each that is ready.  Main thread only (the handler table
 * has no lock).  An event whose handler is gone (removed by an earlier handler of the same
 * batch, or forgotten by vmm_vm_forget_fd() while epoll still watched the file) runs
 * nothing and is counted in '*unhandled' (added to it) when 'unhandled' is not NULL; the
 * stop eventfd's event is neither run nor counted (the caller reads 'stop_requested').
 *
 * @return the number of handlers run (0 on timeout or EINTR), or -errno if epoll_wait
 *   failed.
 */
int vmm_vm_dispatch(struct vmm_vm *vm, int timeout_ms, unsigned int *unhandled);

/**
 * Ask the VM to stop with process exit status 'status' and a one-line reason.  Thread-safe;
 * only the first request counts.
 */
void vmm_vm_request_stop(struct vmm_vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Set the level of the guest interrupt line 'gsi' (in-kernel PIC and IOAPIC). */
void vmm_vm_irq_line(struct vmm_vm *vm, unsigned int gsi, int level);

/** Watch 'fd' for input in the main loop.  Returns 0 or -errno. */
int vmm_vm_add_fd(struct vmm_vm *vm, int fd, vmm_fd_cb *cb, void *opaque);

/** Stop watching 'fd'. */
void vmm_vm_del_fd(struct vmm_vm *vm, int fd);

/**
 * A timerfd on 'clock', unarmed and non-blocking, watched in the main loop by 'cb' (the
 * devices' timers: RTCs, the console's wake-up).  Returns the fd, or -errno with '*err' set
 * (naming 'who').
 */
int vmm_vm_add_timer(struct vmm_vm *vm, int clock, vmm_fd_cb *cb, void *opaque,
	const char *who, char **err);

/** Stop watching timer 'fd' (from vmm_vm_add_timer()) and close it. */
void vmm_vm_del_timer(struct vmm_vm *vm, int fd);

/**
 * Drop the handler 'opaque' registered for 'fd', which someone else has closed already (so
 * epoll forgot it, and the number may now be another registration's: that one stays).
 */
void vmm_vm_forget_fd(struct vmm_vm *vm, int fd, void *opaque);

/** Create the vCPUs (KVM fds, CPUID, MSRs, registers).  vcpu.c. */
int vmm_vcpus_create(struct vmm_vm *vm, char **err);

/** Start every vCPU thread.  vcpu.c. */
int vmm_vcpus_start(struct vmm_vm *vm, char **err);

/** Kick every vCPU out of KVM_RUN and join its thread.  vcpu.c. */
void vmm_vcpus_stop(struct vmm_vm *vm);

/** Close the vCPU fds and unmap their run pages.  vcpu.c. */
void vmm_vcpus_destroy(struct vmm_vm *vm);

/*
 * Devices register themselves (kvmtool's shape): each device file ends with
 * VMM_DEVICE_REGISTER(ops), and vmm_devices_init() creates one instance of each.
 */
struct vmm_device_ops {
	const char *name;
	/** Create the device, register its bus ranges; store private state in '*state'. */
	int (*init)(struct vmm_vm *vm, void **state, char **err);
	/** Free the device's state (vCPUs are stopped by then). */
	void (*exit)(struct vmm_vm *vm, void *state);
};

/** Add 'ops' to the list of devices (called from constructors). */
void vmm_device_register(const struct vmm_device_ops *ops);

#define VMM_DEVICE_REGISTER(ops) \
	static void __attribute__((constructor)) \
	ops##_register(void) \
	{ \
		vmm_device_register(&ops); \
	}

/** Instantiate every registered device. */
int vmm_devices_init(struct vmm_vm *vm, char **err);

/** Tear down the devices, last created first. */
void vmm_devices_exit(struct vmm_vm *vm);

#endif /* VIREO_VMM_VM_H */

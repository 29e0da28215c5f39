/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_H
#define VIREO_VMM_H

/*
 * vireo-vmm: a lean KVM virtual machine monitor.
 *
 * What?
 * =====
 * vireo-vmm boots a stock x86-64 Linux bzImage in a KVM virtual machine: guest RAM from a
 * file descriptor (memfd, or a hugetlb memfd), the Linux 64-bit boot protocol, ACPI and MP
 * tables for SMP, an in-kernel irqchip and PIT, and a handful of emulated legacy devices
 * (8250 UART, i8042 reset line, ACPI PM1 power-off, CMOS RTC).  The guest's memory is kept
 * shareable (fd + offset per region) so that a vhost-user backend can map it.
 *
 * Shape
 * =====
 * - main.c     the executable: vmm_config_parse() then vmm_main() (vmm.c).
 * - config.c   the command line, into struct vmm_config.
 * - memory.c   guest RAM: fd-backed regions (struct vmm_memory, memory.h).
 * - vm.c       the KVM VM: /dev/kvm, VM fd, memory slots, irqchip, PIT, main loop, stop,
 *              device registry (vm.h).
 * - vcpu.c     one thread per vCPU: set-up, KVM_RUN loop and exit dispatch to the bus.
 * - bus.c      port-I/O and MMIO range registration and dispatch (bus.h).
 * - arch.h     what each architecture provides; arch/<arch>/, the host's linked.
 * - x86:       arch/x86/: boot.c (bzImage, boot_params, e820, page tables), acpi.c,
 *              mptable.c, cpuid.c (x86.h), kvm.c and vcpu.c (the VM's and vCPUs' x86
 *              set-up), elf_load.c; payload.c decompresses the bzImage's kernel on the host
 *              (payload.h).  Devices: i8042.c, pm.c, rtc.c.
 * - devices:   serial.c (+ uart.c, the 16550A model, serial.h; console.c, its output ring
 *              and writer thread, console.h) where vmm_arch_console puts it — each device
 *              registers its bus ranges itself (VMM_DEVICE_REGISTER).
 * - stats.c    per-vCPU exit counters and KVM's binary statistics; stats-report.c prints
 *              them (stats.h).
 * - api.c      the JSON-RPC control socket commands (vm-info, exit-stats, shutdown; api.h).
 * - util.c     error messages, file reading, clock (util.h).
 *
 * Errors
 * ======
 * Setup functions return 0, or a negative value with a malloc'd message in '*err' naming the
 * offending thing.  -VMM_EINPUT means the user's input is at fault (exit status 2); any other
 * negative value is a -errno internal error (exit status 1).
 *
 * Thread-safety: see struct vmm_vm.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sched.h>

/** Returned (negated) for errors caused by bad user input: exit status 2. */
#define VMM_EINPUT 2000

/** Exit statuses of the vireo-vmm process. */
#define VMM_EXIT_OK 0
#define VMM_EXIT_INTERNAL 1
#define VMM_EXIT_INPUT 2

/** The default --serial file=PATH,max-size=: past it, output is dropped and counted. */
#define VMM_SERIAL_FILE_MAX (16ULL << 20)

enum vmm_serial_mode {
	VMM_SERIAL_STDIO,
	VMM_SERIAL_FILE,
};

/** How the kernel is started (--kernel-boot). */
enum vmm_kernel_boot {
	VMM_KERNEL_BOOT_AUTO,		/**< decompressed when possible, else bzimage */
	VMM_KERNEL_BOOT_BZIMAGE,	/**< the bzImage's own decompressor runs in the guest */
	VMM_KERNEL_BOOT_DECOMPRESSED,	/**< the VMM decompresses the kernel (payload.h) */
};

/** Pin vCPU 'vcpu' to host CPU 'cpu'. */
struct vmm_cpu_pin {
	unsigned int vcpu;
	int cpu;
};

/** Most --net options. */
#define VMM_MAX_NETS 4
/** Most queue pairs of one --net (queues=N). */
#define VMM_NET_MAX_QUEUES 16

/** One --net vhost-user=PATH[,mode=client|server][,mac=MAC][,queues=N][,reconnect=S]. */
struct vmm_net_cfg {
	char *path;			/**< the vhost-user socket */
	bool server;			/**< mode=server: vireo-vmm listens */
	uint8_t mac[6];
	unsigned int queues;		/**< queue pairs */
	unsigned int reconnect_s;	/**< give up reconnecting after this many seconds */
};

/** Everything the command line says. */
struct vmm_config {
	const char *kernel;
	const char *initramfs;
	const char *cmdline;
	enum vmm_kernel_boot kernel_boot;
	unsigned int cpus;
	uint64_t mem_size;		/**< bytes */
	uint64_t hugepage_size;		/**< 0: ordinary pages, else 2 MiB or 1 GiB */
	bool prealloc;
	bool shared;
	int numa_node;			/**< -1: no binding */
	enum vmm_serial_mode serial;
	const char *serial_path;
	uint64_t serial_max;		/**< file=PATH: most bytes written (max-size=) */
	struct vmm_cpu_pin *pins;
	unsigned int nr_pins;
	bool emulator_pin;
	cpu_set_t emulator_cpus;
	long long halt_poll_ns;		/**< -1: KVM's default */
	const char *api_socket;
	bool exit_stats;
	const char *kvm_dev;		/**< "/dev/kvm", or $VIREO_KVM_DEV (tests) */
	struct vmm_net_cfg nets[VMM_MAX_NETS];
	unsigned int nr_nets;
	char *cmdline_buf;		/**< 'cmdline' with PCI options added, or NULL */
	char *serial_path_buf;		/**< 'serial_path', or NULL */
};

/**
 * Parse one --net argument into cfg->nets (net_opts.c).  Returns 0 or -VMM_EINPUT with a
 * message in '*err'.
 */
int vmm_net_parse(struct vmm_config *cfg, const char *arg, char **err);

/**
 * Parse the command line into 'cfg'.  Returns 0, 1 when --help or --version was printed,
 * or -VMM_EINPUT with a message in '*err'.
 */
int vmm_config_parse(struct vmm_config *cfg, int argc, char **argv, char **err);

/** Free what vmm_config_parse() allocated. */
void vmm_config_free(struct vmm_config *cfg);

/**
 * Parse a size such as "512M", "2G", "1048576" or "64k" into '*bytes'.
 * Returns 0 or -EINVAL.
 */
int vmm_parse_size(const char *s, uint64_t *bytes);

/**
 * Build the VM described by 'cfg', run it until the guest powers off, reboots or
 * triple-faults (or the API or a signal asks it to stop), and tear it down.
 * Returns the process exit status; messages go to stderr.
 */
int vmm_main(const struct vmm_config *cfg);

#endif /* VIREO_VMM_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvm_arm64: does this arm64 machine's /dev/kvm run guest code?  Creates a VM (IPA size from
 * KVM_CAP_ARM_VM_IPA_SIZE), one vCPU (KVM_ARM_PREFERRED_TARGET with PSCI 0.2) at EL1h, and
 * runs a few instructions from 2 MiB of RAM at 1 GiB: a loop of 'iterations' (argv[1],
 * default 1000000), a store to an unbacked address (a KVM_EXIT_MMIO carrying 42), then
 * PSCI SYSTEM_OFF through hvc (KVM_EXIT_SYSTEM_EVENT, SHUTDOWN).  Prints "kvm_arm64: ok"
 * and what it saw, exits 0; anything else exits 1 naming the step.  Built only for arm64
 * (scripts/build --arch arm64); run in the arm64 test host by tests/testhost/arm64.sh.
 */

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull
#define MMIO_ADDR 0x10000000ull

/*
 * x0: the loop count, set by the VMM.  The labels are global: GOT references to local
 * labels in .rodata share the section's one GOT entry, which would make both addresses the
 * same (a 0-byte copy).
 */
extern const uint8_t guest_code[], guest_code_end[];
__asm__(".pushsection .rodata\n"
	".balign 4\n"
	".globl guest_code\n"
	".globl guest_code_end\n"
	"guest_code:\n"
	"1:	subs x0, x0, #1\n"
	"	b.ne 1b\n"
	"	movz x1, #0x1000, lsl #16\n"	/* MMIO_ADDR */
	"	mov x2, #42\n"
	"	str x2, [x1]\n"
	"	movz w0, #0x8400, lsl #16\n"
	"	movk w0, #0x0008\n"		/* PSCI 0.2 SYSTEM_OFF */
	"	hvc #0\n"
	"2:	b 2b\n"
	"guest_code_end:\n"
	".popsection\n");

#define CORE_REG(r) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, r) / sizeof(uint32_t)))

static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int
fail(const char *what)
{
	fprintf(stderr, "kvm_arm64: %s: %s\n", what, strerror(errno));
	return 1;
}

static int
set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	return ioctl(vcpu, KVM_SET_ONE_REG, &r);
}

static uint64_t
get_reg(int vcpu, uint64_t id)
{
	uint64_t val = ~0ULL;
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	ioctl(vcpu, KVM_GET_ONE_REG, &r);
	return val;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	struct kvm_userspace_memory_region slot;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	int kvm, vm, vcpu, ipa, mmio_seen = 0;
	uint64_t mmio_val = 0;
	double t0;
	void *ram;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	ipa = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	vm = ioctl(kvm, KVM_CREATE_VM, ipa > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa) : 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return fail("mmap");
	memcpy(ram, guest_code, (size_t)(guest_code_end - guest_code));
	slot = (struct kvm_userspace_memory_region){
		.guest_phys_addr = RAM_BASE,
		.memory_size = RAM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	memset(&init, 0, sizeof(init));
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return fail("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		return fail("KVM_ARM_VCPU_INIT");
	if (set_reg(vcpu, CORE_REG(regs.pc), RAM_BASE) < 0 ||
	    set_reg(vcpu, CORE_REG(regs.regs[0]), iterations ? iterations : 1) < 0)
		return fail("KVM_SET_ONE_REG");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	/* A guest that never reaches SYSTEM_OFF is reported with its pc, not waited for. */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);
	alarm(20);
	t0 = now();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && timed_out) {
				fprintf(stderr, "kvm_arm64: no SYSTEM_OFF after 20 s: pc 0x%llx, x0 %llu, "
					"%d MMIO exits, ESR_EL1 0x%llx FAR_EL1 0x%llx ELR_EL1 0x%llx\n",
					(unsigned long long)get_reg(vcpu, CORE_REG(regs.pc)),
					(unsigned long long)get_reg(vcpu, CORE_REG(regs.regs[0])),
					mmio_seen,
					(unsigned long long)get_reg(vcpu, ARM64_SYS_REG(3, 0, 5, 2, 0)),
					(unsigned long long)get_reg(vcpu, ARM64_SYS_REG(3, 0, 6, 0, 0)),
					(unsigned long long)get_reg(vcpu, CORE_REG(elr_el1)));
				return 1;
			}
			if (errno == EINTR)
				continue;
			return fail("KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
		    run->mmio.phys_addr == MMIO_ADDR) {
			memcpy(&mmio_val, run->mmio.data, sizeof(mmio_val));
			mmio_seen++;
			continue;
		}
		break;
	}
	if (run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
	    run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN) {
		fprintf(stderr, "kvm_arm64: unexpected exit reason %u\n", run->exit_reason);
		return 1;
	}
	if (mmio_seen != 1 || mmio_val != 42) {
		fprintf(stderr, "kvm_arm64: %d MMIO exits, value %llu (1, 42 expected)\n",
			mmio_seen, (unsigned long long)mmio_val);
		return 1;
	}
	printf("kvm_arm64: ok: IPA %d bits, %lu iterations, MMIO 42, PSCI SYSTEM_OFF "
	       "in %.3f s\n", ipa, iterations, now() - t0);
	return 0;
}

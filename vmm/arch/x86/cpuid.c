/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPUID for each vCPU: KVM_GET_SUPPORTED_CPUID, with the topology of one socket of 'ncpus'
 * cores, one thread each, APIC ID = vCPU index.  Intel and AMD describe it in different
 * leaves; both sets are filled when present.
 */
#include <string.h>

#include "x86.h"

#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT (1U << 28)
#define CPUID_80000001_ECX_CMP_LEGACY (1U << 1)
#define LEVEL_TYPE_SMT 1
#define LEVEL_TYPE_CORE 2

/* Bits needed to number 'n' items. */
static unsigned int
order(unsigned int n)
{
	unsigned int bits = 0;

	while ((1U << bits) < n)
		bits++;
	return bits;
}

static void
patch_topology_leaf(struct kvm_cpuid_entry2 *e, unsigned int apic_id, unsigned int ncpus)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (LEVEL_TYPE_SMT << 8) | e->index;
		break;
	case 1:
		e->eax = order(ncpus);
		e->ebx = ncpus;
		e->ecx = (LEVEL_TYPE_CORE << 8) | e->index;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
}

void
vmm_cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned int n, unsigned int apic_id,
		unsigned int ncpus)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		switch (e[i].function) {
		case 1:
			e[i].ebx &= 0x0000ffff;
			e[i].ebx |= (apic_id << 24) | ((ncpus & 0xff) << 16);
			e[i].ebx = (e[i].ebx & ~0xff00U) | (8U << 8);	/* CLFLUSH: 64 bytes */
			e[i].ecx |= CPUID_1_ECX_HYPERVISOR;
			if (ncpus > 1)
				e[i].edx |= CPUID_1_EDX_HTT;
			else
				e[i].edx &= ~CPUID_1_EDX_HTT;
			break;
		case 4:
			/* Cores per package − 1 in EAX[31:26]; each cache is per core. */
			if ((e[i].eax & 0x1f) != 0) {
				e[i].eax &= 0x3ff;
				e[i].eax |= ((ncpus - 1) & 0x3f) << 26;
				if (((e[i].eax >> 5) & 0x7) == 3)	/* L3: shared by all */
					e[i].eax |= ((ncpus - 1) & 0xfff) << 14;
			}
			break;
		case 0xb:
		case 0x1f:
			patch_topology_leaf(&e[i], apic_id, ncpus);
			break;
		case 0x80000001:
			if (ncpus > 1)
				e[i].ecx |= CPUID_80000001_ECX_CMP_LEGACY;
			else
				e[i].ecx &= ~CPUID_80000001_ECX_CMP_LEGACY;
			break;
		case 0x80000008:
			e[i].ecx &= ~0xf0ffU;
			e[i].ecx |= (order(ncpus) << 12) | ((ncpus - 1) & 0xff);
			break;
		case 0x8000001e:
			e[i].eax = apic_id;
			e[i].ebx = apic_id & 0xff;		/* core id; 1 thread per core */
			e[i].ecx = 0;				/* node 0, 1 node per socket */
			e[i].edx = 0;
			break;
		default:
			break;
		}
	}
}

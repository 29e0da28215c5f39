/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPUID topology patching per vCPU.
 */
#include <string.h>

#include "check.h"
#include "x86.h"

static struct kvm_cpuid_entry2 *
find(struct kvm_cpuid_entry2 *e, unsigned int n, uint32_t fn, uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

static unsigned int
fill(struct kvm_cpuid_entry2 *e)
{
	unsigned int n = 0;

	memset(e, 0, 8 * sizeof(*e));
	e[n++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xff00ff00, .ecx = 0,
		.edx = 0 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 2 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3030,
		.ecx = 0x7007 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e, .eax = 99, .ebx = 0x100 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .eax = 0xfc004121 };
	return n;
}

int
main(void)
{
	struct kvm_cpuid_entry2 e[8], *p;
	unsigned int n;

	n = fill(e);
	vmm_cpuid_patch(e, n, 3, 4);
	p = find(e, n, 1, 0);
	CHECK(p->ebx >> 24 == 3);
	CHECK(((p->ebx >> 16) & 0xff) == 4);
	CHECK(((p->ebx >> 8) & 0xff) == 8);
	CHECK(p->ecx & (1U << 31));
	CHECK(p->edx & (1U << 28));
	p = find(e, n, 0xb, 0);
	CHECK(p->edx == 3 && p->ebx == 1 && ((p->ecx >> 8) & 0xff) == 1 && p->eax == 0);
	p = find(e, n, 0xb, 1);
	CHECK(p->edx == 3 && p->ebx == 4 && ((p->ecx >> 8) & 0xff) == 2 && p->eax == 2);
	CHECK((p->ecx & 0xff) == 1);
	p = find(e, n, 0xb, 2);
	CHECK(p->ebx == 0 && ((p->ecx >> 8) & 0xff) == 0);
	p = find(e, n, 0x80000008, 0);
	CHECK((p->ecx & 0xff) == 3 && ((p->ecx >> 12) & 0xf) == 2 && (p->ecx & 0xf0000) == 0);
	CHECK(p->eax == 0x3030);
	p = find(e, n, 0x8000001e, 0);
	CHECK(p->eax == 3 && (p->ebx & 0xff) == 3 && ((p->ebx >> 8) & 0xff) == 0);
	p = find(e, n, 4, 0);
	CHECK((p->eax >> 26) == 3 && ((p->eax >> 14) & 0xfff) == 0 && (p->eax & 0x3ff) == 0x121);

	/* One vCPU: no HTT, counts of one. */
	n = fill(e);
	e[0].edx = 1U << 28;
	vmm_cpuid_patch(e, n, 0, 1);
	p = find(e, n, 1, 0);
	CHECK(!(p->edx & (1U << 28)) && (p->ebx >> 24) == 0 && ((p->ebx >> 16) & 0xff) == 1);
	p = find(e, n, 0xb, 1);
	CHECK(p->ebx == 1 && p->eax == 0);
	p = find(e, n, 0x80000008, 0);
	CHECK((p->ecx & 0xff) == 0 && ((p->ecx >> 12) & 0xf) == 0);

	/* Non-power-of-two counts round the ID width up. */
	n = fill(e);
	vmm_cpuid_patch(e, n, 4, 5);
	p = find(e, n, 0xb, 1);
	CHECK(p->eax == 3 && p->ebx == 5 && p->edx == 4);
	return check_report("test_cpuid");
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VMM_FAKE_BZIMAGE_H
#define VIREO_TESTS_VMM_FAKE_BZIMAGE_H

/*
 * The setup header of a minimal bzImage for the vmm tests: boot protocol 2.15, 4 setup
 * sectors, loaded high, a 64-bit entry point, 8 MiB init_size.
 */

#include <asm/bootparam.h>
#include <stdint.h>
#include <string.h>

/* Fill the header into 'b' (zeroed, at least 0x268 bytes). */
static inline void
fake_bzimage_header(uint8_t *b)
{
	const uint16_t version = 0x020f, xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	const uint32_t initrd_max = 0x7fffffff, align = 0x200000, cmdline_max = 2047;
	const uint32_t init_size = 0x800000;

	b[0x1f1] = 4;				/* setup_sects */
	b[0x201] = 0x66;			/* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	memcpy(b + 0x206, &version, 2);
	b[0x211] = LOADED_HIGH;
	memcpy(b + 0x22c, &initrd_max, 4);
	memcpy(b + 0x230, &align, 4);
	memcpy(b + 0x236, &xloadflags, 2);
	memcpy(b + 0x238, &cmdline_max, 4);
	memcpy(b + 0x260, &init_size, 4);
}

#endif /* VIREO_TESTS_VMM_FAKE_BZIMAGE_H */

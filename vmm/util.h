/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_UTIL_H
#define VIREO_VMM_UTIL_H

/*
 * Small helpers shared by the vmm files: error messages and file reading.
 */

#include <stddef.h>
#include <stdint.h>

/**
 * Store a malloc'd printf-style message in '*err' (if 'err' is not NULL and no message is
 * there yet) and return 'ret', so that callers can write `return vmm_err(err, -EIO, ...)`.
 */
int vmm_err(char **err, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * Read the whole file 'path' into a malloc'd buffer.  Returns 0 with '*buf' and '*len' set,
 * or -errno.
 */
int vmm_read_file(const char *path, uint8_t **buf, size_t *len);

/** Monotonic time in nanoseconds. */
uint64_t vmm_now_ns(void);

#endif /* VIREO_VMM_UTIL_H */

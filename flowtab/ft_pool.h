/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_POOL_H
#define VIREO_FT_POOL_H

/*
 * A pool of equal, cache-line aligned objects: a table's rules.  A bundle of 100k rules
 * allocates 100k of them at once, often right after a del-flows freed as many: from the C
 * heap, aligned allocations then spend their time searching glibc's bins, and every 4 KiB
 * page faults on its own.  Here an object is a free-list pop or the next slice of a chunk,
 * and chunks grow to 2 MiB, which the kernel may back with one transparent huge page.
 * Chunks return to the system only when the pool goes: a table keeps the memory of its
 * largest rule set, as a heap would.
 *
 * The pool is reference-counted: its table holds a reference, and so does every batch of
 * changes, whose unpublished rules live here and may be freed after the table is gone
 * (an OpenFlow bundle still open when its bridge is deleted).
 *
 * Under AddressSanitizer freed objects are poisoned and never reused (a quarantine without
 * end), so that a use after free of a rule is reported however late; under LeakSanitizer
 * the chunks are scanned for the pointers rules hold.
 *
 * One thread (the table's writer) allocates, frees and takes references; no locks.
 */

#include <stddef.h>

struct ft_pool;

/** A pool of objects of 'size' bytes with one reference, or NULL when out of memory. */
struct ft_pool *ft_pool_create(size_t size);
/** Another reference to 'p'; returns 'p'. */
struct ft_pool *ft_pool_ref(struct ft_pool *p);
/** Drop a reference (NULL is ignored); the last one releases every chunk. */
void ft_pool_unref(struct ft_pool *p);
/** A zeroed object, 64-byte aligned, or NULL when out of memory. */
void *ft_pool_zalloc(struct ft_pool *p);
/** Give back 'o' (from this pool; NULL is ignored). */
void ft_pool_free(struct ft_pool *p, void *o);
/** The size of the pool's objects: the size asked for, rounded up to 64. */
size_t ft_pool_object_size(const struct ft_pool *p);

#endif /* VIREO_FT_POOL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_POOL_H
#define VIREO_FT_POOL_H

/*
 * A pool of equal, cache-line aligned objects: a table's rules.  100k rules from
 * aligned_alloc() spent most of an OpenFlow bundle's time in glibc searching its bins (the
 * rules a del-flows had just freed) and in a page fault per 4 KiB; here an object is a
 * free-list pop or the next slice of a chunk, and chunks grow to 2 MiB, which the kernel
 * may back with one transparent huge page.  Chunks return to the system only when the pool
 * is destroyed: a table keeps the memory of its largest rule set, as a heap would.
 * One thread (the table's writer) allocates and frees; no locks.
 */

#include <stddef.h>

struct ft_pool_chunk;

struct ft_pool {
	size_t size;                    /* object size, a multiple of 64 */
	void *free;                     /* freed objects, linked through their first word */
	char *next;                     /* the current chunk's unused part */
	char *end;
	size_t chunk_size;              /* of the next chunk */
	struct ft_pool_chunk *chunks;
};

/** An empty pool of objects of 'size' bytes. */
void ft_pool_init(struct ft_pool *p, size_t size);
/** A zeroed object, 64-byte aligned, or NULL when out of memory. */
void *ft_pool_zalloc(struct ft_pool *p);
/** Give back 'o' (from this pool; NULL is ignored). */
void ft_pool_free(struct ft_pool *p, void *o);
/** Release every chunk: no object of the pool may be used any more. */
void ft_pool_destroy(struct ft_pool *p);

#endif /* VIREO_FT_POOL_H */

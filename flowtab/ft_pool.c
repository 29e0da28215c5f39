/* SPDX-License-Identifier: BSD-3-Clause */
/* The object pool of ft_pool.h. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ft_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define FT_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_POOL_ASAN 1
#endif
#endif
#ifdef FT_POOL_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define LSAN_ROOT(p, n) __lsan_register_root_region(p, n)
#define LSAN_UNROOT(p, n) __lsan_unregister_root_region(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define LSAN_ROOT(p, n) ((void)(p), (void)(n))
#define LSAN_UNROOT(p, n) ((void)(p), (void)(n))
#endif

#define POOL_FIRST_CHUNK (64u << 10)
#define POOL_HUGE_CHUNK (2u << 20)
/* The chunk header takes the first cache line. */
#define CHUNK_HDR 64

struct ft_pool_chunk {
	struct ft_pool_chunk *next;
	size_t len;                     /* of the mapping, this header included */
};

struct ft_pool {
	size_t size;                    /* object size, a multiple of 64 */
	unsigned refs;
	void *free;                     /* freed objects, linked through their first word */
	char *next;                     /* the current chunk's unused part */
	char *end;
	size_t chunk_size;              /* of the next chunk */
	struct ft_pool_chunk *chunks;
};

struct ft_pool *
ft_pool_create(size_t size)
{
	struct ft_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->size = (size + 63) & ~(size_t)63;
	p->refs = 1;
	p->chunk_size = POOL_FIRST_CHUNK;
	return p;
}

struct ft_pool *
ft_pool_ref(struct ft_pool *p)
{
	p->refs++;
	return p;
}

size_t
ft_pool_object_size(const struct ft_pool *p)
{
	return p->size;
}

/* A mapping of 'len' bytes; a 2 MiB one aligned to 2 MiB and marked for a huge page. */
static void *
chunk_map(size_t len)
{
	size_t over = len >= POOL_HUGE_CHUNK ? len + POOL_HUGE_CHUNK : len;
	uintptr_t a, start;
	void *m;

	m = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (over == len)
		return m;
	a = (uintptr_t)m;
	start = (a + POOL_HUGE_CHUNK - 1) & ~((uintptr_t)POOL_HUGE_CHUNK - 1);
	if (start > a)
		munmap(m, start - a);
	if (a + over > start + len)
		munmap((void *)(start + len), a + over - (start + len));
	/* Only a hint: without transparent huge pages the chunk is 512 small pages. */
	madvise((void *)start, len, MADV_HUGEPAGE);
	return (void *)start;
}

static int
pool_grow(struct ft_pool *p)
{
	size_t len = p->chunk_size;
	struct ft_pool_chunk *c;

	while (len < CHUNK_HDR + p->size)
		len *= 2;
	c = chunk_map(len);
	if (!c)
		return -1;
	c->next = p->chunks;
	c->len = len;
	p->chunks = c;
	p->next = (char *)c + CHUNK_HDR;
	p->end = (char *)c + len;
	LSAN_ROOT(c, len);
	POISON(p->next, (size_t)(p->end - p->next));
	if (p->chunk_size < POOL_HUGE_CHUNK)
		p->chunk_size *= 2;
	return 0;
}

void *
ft_pool_zalloc(struct ft_pool *p)
{
	void *o = p->free;

	if (o) {
		UNPOISON(o, p->size);
		p->free = *(void **)o;
	} else {
		if ((size_t)(p->end - p->next) < p->size && pool_grow(p))
			return NULL;
		o = p->next;
		p->next += p->size;
		UNPOISON(o, p->size);
	}
	memset(o, 0, p->size);
	return o;
}

void
ft_pool_free(struct ft_pool *p, void *o)
{
	if (!o)
		return;
#ifdef FT_POOL_ASAN
	memset(o, 0, p->size);          /* what it pointed to is not held any more */
#else
	*(void **)o = p->free;
	p->free = o;
#endif
	POISON(o, p->size);
}

void
ft_pool_unref(struct ft_pool *p)
{
	struct ft_pool_chunk *c, *next;

	if (!p || --p->refs > 0)
		return;
	for (c = p->chunks; c; c = next) {
		next = c->next;
		UNPOISON(c, c->len);
		LSAN_UNROOT(c, c->len);
		munmap(c, c->len);
	}
	free(p);
}

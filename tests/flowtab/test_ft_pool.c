/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule pool: objects are distinct, aligned and zeroed across many chunks; freed ones are
 * reused, but under AddressSanitizer they are poisoned and never reused (a use after free of
 * a rule is reported however late); a reference keeps the objects after the creator's is
 * dropped.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowtab.h"
#include "ft_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISONED(p) __asan_address_is_poisoned(p)
#define REUSES 0
#else
#define POISONED(p) 1
#define REUSES 1
#endif

#define N 50000
#define SIZE 600

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static bool
zeroed(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A batch with an unpublished rule outlives its table (a bundle open when the bridge goes):
 * destroying it then is safe. */
static void
test_batch_after_table(void)
{
	struct flowtab *ft = flowtab_create("br0", NULL, NULL);
	struct flowtab_batch *b = ft ? flowtab_batch_create(ft) : NULL;
	char *err = NULL;

	CHECK(b != NULL, "a table and a batch");
	if (!b) {
		flowtab_destroy(ft);
		return;
	}
	CHECK(flowtab_batch_add(b, "priority=5,ip,nw_src=10.0.0.1,actions=drop", &err) == 0,
			"a rule in the batch: %s", err ? err : "");
	free(err);
	flowtab_destroy(ft);
	flowtab_batch_destroy(b);
	CHECK(true, "the batch destroyed after its table");
}

int
main(void)
{
	static void *objs[N], *sorted[N];
	struct ft_pool *pool = ft_pool_create(SIZE);
	size_t size;
	unsigned i, bad_align = 0, bad_zero = 0, overlap = 0, reused = 0, not_poisoned = 0;

	if (!pool)
		return 1;
	size = ft_pool_object_size(pool);
	CHECK(size == 640, "object size %zu rounded to whole cache lines", size);
	for (i = 0; i < N; i++) {
		objs[i] = ft_pool_zalloc(pool);
		if (!objs[i])
			break;
		bad_align += ((uintptr_t)objs[i] & 63) != 0;
		bad_zero += !zeroed(objs[i], SIZE);
		memset(objs[i], 0xa5, SIZE);
	}
	CHECK(i == N, "%u of %u objects allocated", i, N);
	CHECK(bad_align == 0, "%u objects not 64-byte aligned", bad_align);
	CHECK(bad_zero == 0, "%u new objects not zeroed", bad_zero);
	memcpy(sorted, objs, sizeof(objs));
	qsort(sorted, N, sizeof(sorted[0]), cmp_ptr);
	for (i = 1; i < N; i++)
		overlap += (uintptr_t)sorted[i] - (uintptr_t)sorted[i - 1] < size;
	CHECK(overlap == 0, "%u objects overlap", overlap);

	/* Every other object back: the next allocations are those, zeroed again (new ones
	 * under ASan). */
	for (i = 0; i < N; i += 2) {
		ft_pool_free(pool, objs[i]);
		not_poisoned += !POISONED((char *)objs[i] + SIZE / 2);
	}
	CHECK(not_poisoned == 0, "%u freed objects not poisoned for AddressSanitizer",
			not_poisoned);
	for (i = 0; i < N; i += 2) {
		void *o = ft_pool_zalloc(pool);

		reused += bsearch(&o, sorted, N, sizeof(sorted[0]), cmp_ptr) != NULL;
		bad_zero += o && !zeroed(o, SIZE);
		objs[i] = o;
	}
	CHECK(reused == (REUSES ? N / 2 : 0), "%u of %u allocations reused freed objects",
			reused, N / 2);
	CHECK(bad_zero == 0, "%u reused objects not zeroed", bad_zero);
	for (i = 1; i < N; i += 2)
		CHECK(((unsigned char *)objs[i])[SIZE - 1] == 0xa5, "object %u kept its bytes", i);
	/* A second reference (a batch's) keeps every object after the first is dropped. */
	ft_pool_ref(pool);
	ft_pool_unref(pool);
	for (i = 1; i < N; i += 2)
		CHECK(((unsigned char *)objs[i])[0] == 0xa5, "object %u still there", i);
	ft_pool_unref(pool);
	test_batch_after_table();
	return check_report("test_ft_pool");
}

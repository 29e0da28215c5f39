/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit statistics as a table (--exit-stats, the API's text mode) and as JSON: every
 * vCPU's exit reasons, I/O exits labelled with the device that owns the port or range, and
 * KVM's binary counters.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"
#include "vm.h"

#define KEY_KIND(key) vmm_stat_key_kind(key)
#define KEY_WHERE(key) vmm_stat_key_where(key)

/* Every distinct I/O key seen by any vCPU, sorted. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t *
collect_keys(struct vmm_vm *vm, unsigned int *n)
{
	uint64_t *keys = malloc(sizeof(*keys) * VMM_STATS_SLOTS * (vm->nr_vcpus + 1));
	unsigned int v, i, m = 0, out = 0;

	*n = 0;
	if (keys == NULL)
		return NULL;
	for (v = 0; v < vm->nr_vcpus; v++)
		for (i = 0; i < VMM_STATS_SLOTS; i++) {
			uint64_t k = __atomic_load_n(&vm->vcpus[v].stats.slots[i].key,
				__ATOMIC_ACQUIRE);

			if (k != 0)
				keys[m++] = k;
		}
	qsort(keys, m, sizeof(*keys), cmp_u64);
	for (i = 0; i < m; i++)
		if (out == 0 || keys[out - 1] != keys[i])
			keys[out++] = keys[i];
	*n = out;
	return keys;
}

static const char *
kind_dir(unsigned int kind)
{
	switch (kind) {
	case VMM_STAT_PIO_IN: return "in";
	case VMM_STAT_PIO_OUT: return "out";
	case VMM_STAT_MMIO_READ: case VMM_STAT_MMIO_UNCLAIMED_READ: return "read";
	default: return "write";
	}
}

/* "pio 0x3f8 serial" or "mmio 0xfee00000+0x1000 lapic" or "mmio page 0x..." */
static void
describe_key(struct vmm_vm *vm, uint64_t key, char *where, size_t wsize, char *dev,
		size_t dsize)
{
	unsigned int kind = KEY_KIND(key);
	uint64_t w = KEY_WHERE(key), base, len;
	enum vmm_bus_space space;
	char name[64];

	if (kind == VMM_STAT_PIO_IN || kind == VMM_STAT_PIO_OUT) {
		snprintf(where, wsize, "pio 0x%" PRIx64, w);
		snprintf(dev, dsize, "%s", "-");
		return;
	}
	if (kind == VMM_STAT_MMIO_READ || kind == VMM_STAT_MMIO_WRITE) {
		if (vmm_bus_range_name(&vm->bus, (unsigned int)w, name, sizeof(name), &base, &len,
				&space)) {
			snprintf(where, wsize, "mmio 0x%" PRIx64 "+0x%" PRIx64, base, len);
			snprintf(dev, dsize, "%s", name);
		} else {
			snprintf(where, wsize, "mmio range %" PRIu64, w);
			snprintf(dev, dsize, "%s", "(removed)");
		}
		return;
	}
	if (w == VMM_STAT_OTHER_PAGES)
		snprintf(where, wsize, "mmio other pages");
	else
		snprintf(where, wsize, "mmio page 0x%" PRIx64, w << 12);
	snprintf(dev, dsize, "%s", "(unclaimed)");
}

/* The device that owns port 'port', for the table. */
static void
port_device(struct vmm_vm *vm, uint64_t port, char *dev, size_t dsize)
{
	unsigned int s;
	unsigned int i;

	snprintf(dev, dsize, "%s", "(unclaimed)");
	pthread_rwlock_rdlock(&vm->bus.lock);
	s = VMM_BUS_PIO;
	for (i = 0; i < vm->bus.nr[s]; i++) {
		const struct vmm_bus_range *r = &vm->bus.ranges[s][i];

		if (port >= r->base && port - r->base < r->len) {
			snprintf(dev, dsize, "%s", r->name != NULL ? r->name : "?");
			break;
		}
	}
	pthread_rwlock_unlock(&vm->bus.lock);
}

static void
key_labels(struct vmm_vm *vm, uint64_t key, char *where, size_t wsize, char *dev, size_t dsize)
{
	unsigned int kind = KEY_KIND(key);

	describe_key(vm, key, where, wsize, dev, dsize);
	if (kind == VMM_STAT_PIO_IN || kind == VMM_STAT_PIO_OUT)
		port_device(vm, KEY_WHERE(key), dev, dsize);
}

/* KVM binary statistics of every vCPU, gathered by name (vCPU 0's order). */
struct kstat_table {
	unsigned int nr_vcpus;
	unsigned int n;
	unsigned int cap;
	char (*names)[64];
	uint64_t *values;	/* n rows of nr_vcpus */
	unsigned int cur_vcpu;
	unsigned int cur_row;
};

static void
kstat_add(void *aux, const char *name, uint64_t value)
{
	struct kstat_table *t = aux;
	unsigned int row;

	if (t->cur_vcpu == 0) {
		if (t->n == t->cap) {
			unsigned int cap = t->cap != 0 ? t->cap * 2 : 64;
			void *nn = realloc(t->names, cap * sizeof(*t->names));
			void *nv;

			if (nn == NULL)
				return;
			t->names = nn;
			nv = realloc(t->values, (size_t)cap * t->nr_vcpus * sizeof(*t->values));
			if (nv == NULL)
				return;
			t->values = nv;
			t->cap = cap;
		}
		snprintf(t->names[t->n], sizeof(t->names[0]), "%s", name);
		memset(&t->values[(size_t)t->n * t->nr_vcpus], 0, t->nr_vcpus * sizeof(uint64_t));
		t->n++;
	}
	row = t->cur_row++;
	if (row < t->n && strcmp(t->names[row], name) == 0)
		t->values[(size_t)row * t->nr_vcpus + t->cur_vcpu] = value;
}

static void
kstat_gather(struct vmm_vm *vm, struct kstat_table *t)
{
	unsigned int v;

	memset(t, 0, sizeof(*t));
	t->nr_vcpus = vm->nr_vcpus;
	for (v = 0; v < vm->nr_vcpus; v++) {
		t->cur_vcpu = v;
		t->cur_row = 0;
		if (vmm_kvm_stats_each(vm->vcpus[v].stats_fd, kstat_add, t) < 0 && v == 0)
			break;
	}
}

static void
kstat_free(struct kstat_table *t)
{
	free(t->names);
	free(t->values);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
print_header(FILE *f, const char *first, unsigned int nr_vcpus, int width)
{
	unsigned int v;
	char col[16];

	fprintf(f, "%-*s", width, first);
	for (v = 0; v < nr_vcpus; v++) {
		snprintf(col, sizeof(col), "vcpu%u", v);
		fprintf(f, " %12s", col);
	}
	fprintf(f, " %12s\n", "total");
}

static void
print_vm_stat(void *aux, const char *name, uint64_t value)
{
	FILE *f = aux;

	if (value != 0)
		fprintf(f, "  %-36s %12" PRIu64 "\n", name, value);
}

void
vmm_stats_print(struct vmm_vm *vm, FILE *f)
{
	unsigned int r, v, i, nkeys;
	uint64_t *keys;
	struct kstat_table kt;

	fprintf(f, "vireo-vmm exit statistics: %u vCPU%s, %.3f s\n", vm->nr_vcpus,
		vm->nr_vcpus == 1 ? "" : "s", (double)(vmm_now_ns() - vm->start_ns) / 1e9);
	print_header(f, "exit reason", vm->nr_vcpus, 36);
	for (r = 0; r < VMM_STATS_REASONS; r++) {
		uint64_t total = 0;
		const char *name = vmm_stats_reason_name(r);
		char buf[24];

		for (v = 0; v < vm->nr_vcpus; v++)
			total += load(&vm->vcpus[v].stats.reasons[r]);
		if (total == 0)
			continue;
		if (name == NULL) {
			snprintf(buf, sizeof(buf), "reason_%u", r);
			name = buf;
		}
		fprintf(f, "%-36s", name);
		for (v = 0; v < vm->nr_vcpus; v++)
			fprintf(f, " %12" PRIu64, load(&vm->vcpus[v].stats.reasons[r]));
		fprintf(f, " %12" PRIu64 "\n", total);
	}

	keys = collect_keys(vm, &nkeys);
	if (nkeys > 0) {
		fprintf(f, "\n");
		print_header(f, "I/O exits: where, device, direction", vm->nr_vcpus, 36);
	}
	for (i = 0; i < nkeys; i++) {
		char where[64], dev[64], label[160];
		uint64_t total = 0;
		unsigned int kind = KEY_KIND(keys[i]);

		key_labels(vm, keys[i], where, sizeof(where), dev, sizeof(dev));
		snprintf(label, sizeof(label), "%s %s %s", where, dev, kind_dir(kind));
		fprintf(f, "%-36s", label);
		for (v = 0; v < vm->nr_vcpus; v++) {
			uint64_t c = vmm_stats_io_get(&vm->vcpus[v].stats, kind, KEY_WHERE(keys[i]));

			total += c;
			fprintf(f, " %12" PRIu64, c);
		}
		fprintf(f, " %12" PRIu64 "\n", total);
	}
	free(keys);

	kstat_gather(vm, &kt);
	if (kt.n > 0) {
		fprintf(f, "\n");
		print_header(f, "KVM vCPU counters (non-zero)", vm->nr_vcpus, 36);
	}
	for (i = 0; i < kt.n; i++) {
		uint64_t total = 0;

		for (v = 0; v < kt.nr_vcpus; v++)
			total += kt.values[(size_t)i * kt.nr_vcpus + v];
		if (total == 0)
			continue;
		fprintf(f, "%-36s", kt.names[i]);
		for (v = 0; v < kt.nr_vcpus; v++)
			fprintf(f, " %12" PRIu64, kt.values[(size_t)i * kt.nr_vcpus + v]);
		fprintf(f, " %12" PRIu64 "\n", total);
	}
	kstat_free(&kt);
	if (vm->vm_stats_fd >= 0) {
		fprintf(f, "\nKVM VM counters (non-zero)\n");
		vmm_kvm_stats_each(vm->vm_stats_fd, print_vm_stat, f);
	}
	fflush(f);
}

static json_t *
per_vcpu_array(const uint64_t *vals, unsigned int n, uint64_t *total)
{
	json_t *a = json_array();
	unsigned int v;

	*total = 0;
	for (v = 0; v < n; v++) {
		json_array_append_new(a, json_integer((json_int_t)vals[v]));
		*total += vals[v];
	}
	return a;
}

static void
json_vm_stat(void *aux, const char *name, uint64_t value)
{
	json_object_set_new((json_t *)aux, name, json_integer((json_int_t)value));
}

json_t *
vmm_stats_json(struct vmm_vm *vm)
{
	json_t *root = json_object(), *reasons = json_object(), *io = json_array();
	json_t *kvm = json_object(), *kvm_vm = json_object();
	uint64_t *vals = calloc(vm->nr_vcpus, sizeof(*vals)), total, *keys;
	unsigned int r, v, i, nkeys;
	struct kstat_table kt;

	if (vals == NULL)
		return root;
	json_object_set_new(root, "vcpus", json_integer(vm->nr_vcpus));
	json_object_set_new(root, "uptime_s",
		json_real((double)(vmm_now_ns() - vm->start_ns) / 1e9));
	for (r = 0; r < VMM_STATS_REASONS; r++) {
		const char *name = vmm_stats_reason_name(r);
		json_t *a;
		char buf[24];

		for (v = 0; v < vm->nr_vcpus; v++)
			vals[v] = load(&vm->vcpus[v].stats.reasons[r]);
		a = per_vcpu_array(vals, vm->nr_vcpus, &total);
		if (total == 0) {
			json_decref(a);
			continue;
		}
		if (name == NULL) {
			snprintf(buf, sizeof(buf), "reason_%u", r);
			name = buf;
		}
		json_object_set_new(reasons, name, a);
	}
	json_object_set_new(root, "reasons", reasons);

	keys = collect_keys(vm, &nkeys);
	for (i = 0; i < nkeys; i++) {
		char where[64], dev[64];
		unsigned int kind = KEY_KIND(keys[i]);
		json_t *e = json_object();

		key_labels(vm, keys[i], where, sizeof(where), dev, sizeof(dev));
		for (v = 0; v < vm->nr_vcpus; v++)
			vals[v] = vmm_stats_io_get(&vm->vcpus[v].stats, kind, KEY_WHERE(keys[i]));
		json_object_set_new(e, "where", json_string(where));
		json_object_set_new(e, "device", json_string(dev));
		json_object_set_new(e, "dir", json_string(kind_dir(kind)));
		json_object_set_new(e, "counts", per_vcpu_array(vals, vm->nr_vcpus, &total));
		json_object_set_new(e, "total", json_integer((json_int_t)total));
		json_array_append_new(io, e);
	}
	free(keys);
	json_object_set_new(root, "io", io);

	kstat_gather(vm, &kt);
	for (i = 0; i < kt.n; i++)
		json_object_set_new(kvm, kt.names[i],
			per_vcpu_array(&kt.values[(size_t)i * kt.nr_vcpus], kt.nr_vcpus, &total));
	kstat_free(&kt);
	json_object_set_new(root, "kvm_vcpu", kvm);
	if (vm->vm_stats_fd >= 0)
		vmm_kvm_stats_each(vm->vm_stats_fd, json_vm_stat, kvm_vm);
	json_object_set_new(root, "kvm_vm", kvm_vm);
	free(vals);
	return root;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile guest: run as root inside a vireo-vmm guest (tests/vmm/hostile.sh puts it, linked
 * statically, in the guest's initramfs).  It takes the virtio-net device away from its driver,
 * then pokes the device as no driver would:
 *   - BAR 0 (sysfs resource0) with 1, 2, 4 and 8-byte reads and writes at aligned and
 *     unaligned offsets of every region, past the end of each region and of the BAR;
 *   - the MSI-X table and PBA: odd widths, 8-byte accesses at offsets 12-15 of each entry,
 *     entries past the table, writes to the PBA;
 *   - configuration space through the sysfs file and through ports 0xCF8/0xCFC at every width
 *     and byte lane, read-only registers written, BAR 0 sized and put back, an empty slot;
 *   - port I/O on ports nothing claims;
 *   - virtqueues: rings outside guest RAM (or wrapping the address space), sizes that are
 *     not powers of two, descriptor loops, indirect tables outside RAM, huge lengths, an
 *     avail index far ahead, on the data rings (served by the vhost-user backend) and on the
 *     control queue (served by vireo-vmm itself).
 * It checks what the guest can see (reads that must be all ones, registers that must not
 * change, NEEDS_RESET where vireo-vmm must give up on the device), then resets the device and
 * gives it back to virtio-pci, so that the script can show the NIC works again.  Host-side
 * checks (vireo-vmm alive, its API, its log, vireo-dp forwarding) are the script's.
 *
 * Output: "hostile: PASS what" / "hostile: FAIL what" lines, "hostile: done" at the end.
 * usage: hostile_guest   (finds the first virtio-net device, 1af4:1041)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/io.h>
#include <sys/mman.h>

#define BAR_SIZE 0x8000
#define COMMON 0x0000
#define ISR 0x1000
#define DEVCFG 0x2000
#define NOTIFY 0x3000
#define MSIX_TABLE 0x4000
#define MSIX_PBA 0x5000

/* virtio common configuration registers */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX_CONFIG 0x10
#define C_NUM_QUEUES 0x12
#define C_STATUS 0x14
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_VECTOR 0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_DESC 0x20
#define C_Q_AVAIL 0x28
#define C_Q_USED 0x30

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_CTRL_VQ 17
#define F_MQ 22
#define F_INDIRECT 28
#define F_VERSION_1 32

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define QSIZE 8

static volatile uint8_t *bar;
static int cfg_fd = -1;
static char dev_dir[300];
static unsigned int bus_nr, slot_nr, fn_nr;
static unsigned int fails;

#define CHECK(cond, ...) check((cond), __VA_ARGS__)

static void
phase(const char *what)
{
	printf("hostile: phase %s\n", what);
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3)))
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("hostile: %s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		fails++;
}

/* One access of exactly 'len' bytes at BAR 0 + 'off' (one instruction: one exit). */
static uint64_t
mmio_read(uint64_t off, unsigned int len)
{
	volatile uint8_t *p = bar + off;
	uint64_t v = 0;

	switch (len) {
	case 1: asm volatile("movb (%1), %b0" : "=q"(v) : "r"(p) : "memory"); return v & 0xff;
	case 2: asm volatile("movw (%1), %w0" : "=r"(v) : "r"(p) : "memory"); return v & 0xffff;
	case 4: asm volatile("movl (%1), %k0" : "=r"(v) : "r"(p) : "memory"); return v & 0xffffffff;
	default: asm volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory"); return v;
	}
}

static void
mmio_write(uint64_t off, unsigned int len, uint64_t v)
{
	volatile uint8_t *p = bar + off;

	switch (len) {
	case 1: asm volatile("movb %b0, (%1)" : : "q"(v), "r"(p) : "memory"); break;
	case 2: asm volatile("movw %w0, (%1)" : : "r"(v), "r"(p) : "memory"); break;
	case 4: asm volatile("movl %k0, (%1)" : : "r"(v), "r"(p) : "memory"); break;
	default: asm volatile("movq %0, (%1)" : : "r"(v), "r"(p) : "memory"); break;
	}
}

static uint64_t
ones(unsigned int len)
{
	return len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

/* --- configuration space ------------------------------------------------------------- */

static uint32_t
cfg_read(unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (pread(cfg_fd, &v, len, off) != (ssize_t)len)
		return ~0u;
	return v;
}

static void
cfg_write(unsigned int off, unsigned int len, uint32_t v)
{
	if (pwrite(cfg_fd, &v, len, off) != (ssize_t)len)
		fprintf(stderr, "hostile: config write %#x/%u: %s\n", off, len, strerror(errno));
}

static uint32_t
conf1_addr(unsigned int slot, unsigned int reg)
{
	return 0x80000000u | bus_nr << 16 | slot << 11 | fn_nr << 8 | (reg & 0xfc);
}

static uint32_t
pio_in(unsigned int port, unsigned int len)
{
	switch (len) {
	case 1: return inb((unsigned short)port);
	case 2: return inw((unsigned short)port);
	default: return inl((unsigned short)port);
	}
}

static void
pio_out(unsigned int port, unsigned int len, uint32_t v)
{
	switch (len) {
	case 1: outb((unsigned char)v, (unsigned short)port); break;
	case 2: outw((unsigned short)v, (unsigned short)port); break;
	default: outl(v, (unsigned short)port); break;
	}
}

/*
 * Configuration space at every width and byte lane through 0xCF8/0xCFC, compared with the
 * kernel's view (sysfs); read-only registers written; BAR 0 sized and put back; an empty
 * slot; the address port at odd widths.
 */
static void
poke_config(void)
{
	static const unsigned int ro[] = { 0x00, 0x08, 0x2c, 0x34, 0x50, 0x60, 0x70, 0x80 };
	uint8_t kcfg[256];
	unsigned int reg, k, w, i, bad = 0, n = 0, empty;
	uint32_t v, bar0;

	for (reg = 0; reg < 256; reg += 4) {
		v = cfg_read(reg, 4);
		for (k = 0; k < 4; k++)
			kcfg[reg + k] = (uint8_t)(v >> (8 * k));
	}
	for (reg = 0; reg < 256; reg += 4) {
		outl(conf1_addr(slot_nr, reg), 0xcf8);
		for (w = 1; w <= 4; w *= 2) {
			for (k = 0; k < 4; k++) {
				uint32_t want = 0;

				v = pio_in(0xcfc + k, w);
				n++;
				if (k + w > 4) {
					bad += v != (uint32_t)ones(w);
					continue;
				}
				for (i = 0; i < w; i++)
					want |= (uint32_t)kcfg[reg + k + i] << (8 * i);
				bad += v != want;
			}
		}
	}
	CHECK(bad == 0, "config space at every width and byte lane through 0xcfc matches sysfs "
		"(%u reads, %u differ)", n, bad);

	/* The address port takes only aligned DWORDs: other widths leave it alone. */
	outl(conf1_addr(slot_nr, 0), 0xcf8);
	outb(0x55, 0xcf9);
	outw(0x5555, 0xcfa);
	outb(0x55, 0xcf8);
	CHECK(inl(0xcf8) == conf1_addr(slot_nr, 0) && inw(0xcf8) == 0xffff && inb(0xcfb) == 0xff,
		"the address port 0xcf8 ignores byte and word accesses");

	for (i = bad = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = cfg_read(ro[i], 4);

		outl(conf1_addr(slot_nr, ro[i]), 0xcf8);
		for (w = 1; w <= 4; w *= 2)
			for (k = 0; k + w <= 4; k++)
				pio_out(0xcfc + k, w, 0xa5a5a5a5);
		bad += cfg_read(ro[i], 4) != before;
	}
	CHECK(bad == 0, "read-only configuration registers keep their value (%u changed)", bad);

	bar0 = cfg_read(0x10, 4);
	cfg_write(0x10, 4, 0xffffffff);
	v = cfg_read(0x10, 4);
	cfg_write(0x10, 4, bar0);
	CHECK((v & ~0xfu) == (uint32_t)~(BAR_SIZE - 1) && cfg_read(0x10, 4) == bar0,
		"BAR 0 sizes as %#x and goes back to %#x", v, bar0);
	CHECK(mmio_read(COMMON + C_NUM_QUEUES, 2) != 0xffff, "BAR 0 answers again after sizing");

	/* Writes of every width and lane to the header of an empty slot; it reads all ones. */
	empty = slot_nr == 31 ? 30 : 31;
	for (reg = bad = 0; reg < 0x40; reg += 4) {
		outl(conf1_addr(empty, reg), 0xcf8);
		for (w = 1; w <= 4; w *= 2)
			for (k = 0; k < 4; k++)
				pio_out(0xcfc + k, w, 0x5a5a5a5a);
		bad += pio_in(0xcfc, 4) != 0xffffffff;
	}
	CHECK(bad == 0, "an empty slot reads all ones after writes of every width (%u not)", bad);
	outl(0, 0xcf8);
}

/*
 * Ports nothing in vireo-vmm or KVM claims: writes go nowhere, reads are all ones.  An access
 * reaching past port 0xffff faults in the guest itself (the TSS bitmap), so none is made.
 */
static void
poke_ports(void)
{
	static const unsigned int base[] = { 0x100, 0x1f0, 0x2f8, 0x3e8, 0x500, 0x80, 0x1000,
		0xc000, 0xfff8 };
	unsigned int b, p, w, bad = 0, n = 0;

	for (b = 0; b < sizeof(base) / sizeof(base[0]); b++)
		for (p = base[b]; p < base[b] + 8 && p <= 0xffff; p++)
			for (w = 1; w <= 4 && p + w <= 0x10000; w *= 2) {
				pio_out(p, w, 0xdeadbeef);
				n++;
				if (p == 0x80)
					continue;	/* the POST port: writes only */
				bad += pio_in(p, w) != (uint32_t)ones(w);
			}
	CHECK(bad == 0, "unclaimed ports: %u writes ignored, reads all ones (%u not)", n, bad);
}

/* --- BAR 0 ------------------------------------------------------------------------------ */

static unsigned int
msix_vectors(void)
{
	return (cfg_read(0x42, 2) & 0x7ff) + 1;
}

/* Reads of every width at every offset of each region of BAR 0 and around it. */
static void
poke_bar_reads(void)
{
	static const struct { uint64_t from, to; } span[] = {
		{ COMMON, COMMON + 0x40 }, { ISR - 8, ISR + 8 }, { DEVCFG, DEVCFG + 0x10 },
		{ NOTIFY + 0x40, NOTIFY + 0x44 }, { MSIX_PBA - 4, MSIX_PBA + 0x10 },
		{ 0x6000, 0x6008 }, { BAR_SIZE - 0x8, BAR_SIZE },
	};
	unsigned int s, w, n = 0;
	uint64_t off;

	for (s = 0; s < sizeof(span) / sizeof(span[0]); s++)
		for (off = span[s].from; off < span[s].to; off++)
			for (w = 1; w <= 8; w *= 2) {
				if (off + w > BAR_SIZE || (off <= ISR && off + w > ISR))
					continue;	/* the ISR clears on read: leave it to the driver */
				(void)mmio_read(off, w);
				n++;
			}
	CHECK(mmio_read(COMMON + C_NUM_QUEUES, 2) == 5,
		"%u reads of every width, aligned and not, over BAR 0: device still answers", n);
}

/* Writes where nothing is writable: device config, ISR, gaps, past the regions. */
static void
poke_bar_writes(void)
{
	static const uint64_t where[] = { 0x38, 0x3c, 0x40, 0x800, ISR, ISR + 1, ISR + 7,
		DEVCFG, DEVCFG + 3, DEVCFG + 0x100, 0x6000, 0x7ff8 };
	uint64_t mac = mmio_read(DEVCFG, 8) & 0xffffffffffffULL;
	unsigned int i, w;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		for (w = 1; w <= 8; w *= 2)
			if (where[i] + w <= BAR_SIZE)
				mmio_write(where[i], w, 0x4141414141414141ULL);
	CHECK((mmio_read(DEVCFG, 8) & 0xffffffffffffULL) == mac,
		"writes of every width over device config, ISR and gaps: the MAC is unchanged");
}

/* The MSI-X table: entry 'v' as 4 DWORDs, aligned reads. */
static void
msix_entry(unsigned int v, uint32_t e[4])
{
	for (unsigned int k = 0; k < 4; k++)
		e[k] = (uint32_t)mmio_read(MSIX_TABLE + 16 * v + 4 * k, 4);
}

static void
poke_msix(void)
{
	unsigned int nv = msix_vectors(), v, k, w, bad = 0, leaks = 0, n = 0;
	uint32_t ctl = cfg_read(0x42, 2), e[4], want[4];
	uint64_t pba;

	/* MSI-X on with the function masked: routes are set up, nothing is delivered. */
	cfg_write(0x42, 2, (ctl & 0x7ff) | 0xc000);
	for (v = 0; v < nv; v++) {
		mmio_write(MSIX_TABLE + 16 * v, 4, 0xfee00000);
		mmio_write(MSIX_TABLE + 16 * v + 4, 4, 0);
		mmio_write(MSIX_TABLE + 16 * v + 8, 4, 0x4020 + v);
		mmio_write(MSIX_TABLE + 16 * v + 12, 4, 1);
	}
	for (v = 0; v < nv; v++) {
		msix_entry(v, e);
		bad += e[0] != 0xfee00000 || e[1] != 0 || e[2] != 0x4020 + v || e[3] != 1;
	}
	CHECK(bad == 0, "MSI-X: %u entries written and read back with aligned DWORDs", nv);

	/* Reads that are not aligned DWORDs or QWORDs return all ones: never host state. */
	for (v = bad = 0; v < nv; v++)
		for (k = 0; k < 16; k++)
			for (w = 1; w <= 8; w *= 2) {
				uint64_t r;

				if (k % w == 0 && w >= 4)
					continue;
				r = mmio_read(MSIX_TABLE + 16 * v + k, w);
				n++;
				if (r != ones(w)) {
					bad++;
					if (w == 8 && k >= 12)
						leaks++;
				}
			}
	CHECK(bad == 0, "MSI-X: %u misaligned or narrow reads all read all ones (%u did not; "
		"%u were 8-byte reads at offsets 12-15)", n, bad, leaks);

	/* Writes at every misaligned offset and width, 8 bytes at 12-15 included: no change. */
	for (v = 0; v < nv; v++)
		for (k = 0; k < 16; k++)
			for (w = 1; w <= 8; w *= 2)
				if (!(k % w == 0 && w >= 4))
					mmio_write(MSIX_TABLE + 16 * v + k, w, 0x4242424242424242ULL);
	for (v = bad = 0; v < nv; v++) {
		msix_entry(v, e);
		want[0] = 0xfee00000, want[1] = 0, want[2] = 0x4020 + v, want[3] = 1;
		bad += memcmp(e, want, sizeof(e)) != 0;
	}
	CHECK(bad == 0, "MSI-X: misaligned and narrow writes change no entry (%u changed)", bad);

	/* Entries past the table: reads are not host state, writes reach nothing. */
	for (v = nv, bad = 0; v < nv + 4 && 16 * (v + 1) <= 0x1000; v++)
		for (k = 0; k < 16; k += 4) {
			uint64_t r = mmio_read(MSIX_TABLE + 16 * v + k, 4);

			bad += r != 0 && r != 0xffffffff;
			mmio_write(MSIX_TABLE + 16 * v + k, 4, 0x43434343);
			mmio_write(MSIX_TABLE + 16 * v + k, 8, 0x4343434343434343ULL);
		}
	msix_entry(nv - 1, e);
	CHECK(bad == 0 && e[2] == 0x4020 + nv - 1 && e[3] == 1,
		"MSI-X: entries past the table read 0 or all ones, writes there change nothing");

	/* The PBA is read-only; bits beyond the vectors never set. */
	mmio_write(MSIX_PBA, 8, ~0ULL);
	mmio_write(MSIX_PBA + 4, 4, ~0u);
	mmio_write(MSIX_PBA + 1, 1, 0xff);
	pba = mmio_read(MSIX_PBA, 8);
	CHECK(nv >= 64 || (pba >> nv) == 0, "MSI-X: PBA writes ignored (reads %#" PRIx64 ")", pba);
	CHECK(mmio_read(MSIX_PBA + 3, 4) == 0xffffffff && mmio_read(MSIX_PBA + 4, 8) == ~0ULL,
		"MSI-X: misaligned PBA reads are all ones");

	/* Function mask toggled by byte and word writes of the control register. */
	cfg_write(0x43, 1, 0x80);
	cfg_write(0x43, 1, 0xc0);
	cfg_write(0x42, 2, ctl & 0x7ff);
	CHECK((cfg_read(0x42, 2) & 0x7ff) == (ctl & 0x7ff), "MSI-X: table size read-only");
}

/* Common configuration: the queue size and vector checks, a queue that does not exist. */
static void
poke_common(void)
{
	static const uint16_t sizes[] = { 3, 0, 100, 0x8000, 0xffff, 257 };
	unsigned int i, bad = 0;
	uint16_t want;

	mmio_write(COMMON + C_STATUS, 1, 0);
	mmio_write(COMMON + C_Q_SELECT, 2, 0);
	want = (uint16_t)mmio_read(COMMON + C_Q_SIZE, 2);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mmio_write(COMMON + C_Q_SIZE, 2, sizes[i]);
		bad += mmio_read(COMMON + C_Q_SIZE, 2) != want;
	}
	CHECK(bad == 0, "queue sizes that are not powers of two, 0 or too large are refused "
		"(size stays %u)", want);
	mmio_write(COMMON + C_Q_VECTOR, 2, 0x7fff);
	CHECK(mmio_read(COMMON + C_Q_VECTOR, 2) == 0xffff, "a queue vector past the table "
		"reads as NO_VECTOR");
	mmio_write(COMMON + C_Q_SELECT, 2, 0x7777);
	mmio_write(COMMON + C_Q_SIZE, 2, 4);
	mmio_write(COMMON + C_Q_DESC, 8, 0x1000);
	mmio_write(COMMON + C_Q_ENABLE, 2, 1);
	CHECK(mmio_read(COMMON + C_Q_SIZE, 2) == 0 && mmio_read(COMMON + C_Q_DESC, 8) == 0,
		"a queue that does not exist reads 0 and takes no writes");
	/* Every width at every offset of the common configuration, as writes of its own value. */
	for (i = 0; i < 0x38; i++)
		if (i != C_STATUS && i != C_STATUS - 1 && i != C_STATUS - 3)
			mmio_write(COMMON + i, 1, mmio_read(COMMON + i, 1));
	mmio_write(COMMON + C_Q_SELECT, 2, 0);
	mmio_write(COMMON + C_MSIX_CONFIG, 2, 0xffff);
	CHECK(mmio_read(COMMON + C_NUM_QUEUES, 2) == 5, "common configuration at byte "
		"granularity: the device still answers");
}

/* --- virtqueues ------------------------------------------------------------------------ */

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct page {
	void *va;
	uint64_t pa;
};

/* A locked page and its guest-physical address (/proc/self/pagemap; root sees frames). */
static int
page_get(struct page *pg)
{
	uint64_t ent;
	int fd;

	pg->va = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		MAP_LOCKED | MAP_POPULATE, -1, 0);
	if (pg->va == MAP_FAILED)
		return -errno;
	memset(pg->va, 0, 4096);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, &ent, 8, ((uintptr_t)pg->va / 4096) * 8) != 8) {
		close(fd);
		return -EIO;
	}
	close(fd);
	if (!(ent >> 63) || (ent & ((1ULL << 55) - 1)) == 0)
		return -EIO;
	pg->pa = (ent & ((1ULL << 55) - 1)) * 4096;
	return 0;
}

struct ring {
	struct page desc, avail, used, buf;
};

static int
ring_get(struct ring *r)
{
	int rc;

	if ((rc = page_get(&r->desc)) < 0 || (rc = page_get(&r->avail)) < 0 ||
	    (rc = page_get(&r->used)) < 0 || (rc = page_get(&r->buf)) < 0)
		return rc;
	return 0;
}

static struct vdesc *
ring_desc(struct ring *r)
{
	return r->desc.va;
}

static volatile uint16_t *
ring_avail(struct ring *r)
{
	return r->avail.va;
}

static void
ring_clear(struct ring *r)
{
	memset(r->desc.va, 0, 4096);
	memset(r->avail.va, 0, 4096);
	memset(r->used.va, 0, 4096);
}

/* avail: flags, idx, ring[]: publish 'head' as the next entry. */
static void
ring_push(struct ring *r, uint16_t head)
{
	volatile uint16_t *a = ring_avail(r);
	uint16_t idx = a[1];

	a[2 + idx % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	a[1] = (uint16_t)(idx + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void
queue_setup(unsigned int q, uint64_t desc, uint64_t avail, uint64_t used)
{
	mmio_write(COMMON + C_Q_SELECT, 2, q);
	mmio_write(COMMON + C_Q_SIZE, 2, QSIZE);
	mmio_write(COMMON + C_Q_DESC, 8, desc);
	mmio_write(COMMON + C_Q_AVAIL, 4, (uint32_t)avail);
	mmio_write(COMMON + C_Q_AVAIL + 4, 4, (uint32_t)(avail >> 32));
	mmio_write(COMMON + C_Q_USED, 8, used);
	mmio_write(COMMON + C_Q_ENABLE, 2, 1);
}

static void
queue_ring(unsigned int q, struct ring *r)
{
	queue_setup(q, r->desc.pa, r->avail.pa, r->used.pa);
}

static void
kick(unsigned int q)
{
	mmio_write(NOTIFY + 4 * q, 2, q);
}

static uint8_t
status(void)
{
	return (uint8_t)mmio_read(COMMON + C_STATUS, 1);
}

/* Reset, then ACKNOWLEDGE, DRIVER and FEATURES_OK with 'features' (false: refused). */
static bool
dev_begin(uint64_t features)
{
	mmio_write(COMMON + C_STATUS, 1, 0);
	if (status() != 0)
		return false;
	mmio_write(COMMON + C_STATUS, 1, S_ACK);
	mmio_write(COMMON + C_STATUS, 1, S_ACK | S_DRIVER);
	mmio_write(COMMON + C_GFSELECT, 4, 0);
	mmio_write(COMMON + C_GF, 4, (uint32_t)features);
	mmio_write(COMMON + C_GFSELECT, 4, 1);
	mmio_write(COMMON + C_GF, 4, (uint32_t)(features >> 32));
	mmio_write(COMMON + C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK);
	return (status() & S_FEATURES_OK) != 0;
}

static void
dev_go(void)
{
	mmio_write(COMMON + C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static uint64_t
dev_features(void)
{
	uint64_t f;

	mmio_write(COMMON + C_DFSELECT, 4, 0);
	f = mmio_read(COMMON + C_DF, 4);
	mmio_write(COMMON + C_DFSELECT, 4, 1);
	return f | mmio_read(COMMON + C_DF, 4) << 32;
}

/* Poll the status for NEEDS_RESET (vireo-vmm's main thread may take a moment). */
static bool
wait_needs_reset(void)
{
	for (int i = 0; i < 500; i++) {
		if (status() & S_NEEDS_RESET)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The device left at DRIVER_OK with a ring it refused, while hostile.sh restarts vireo-dp
 * (it does when it reads the HOLD line): vireo-vmm reconnects, is refused the rings again,
 * keeps the connection and raises the link, rather than reconnecting over and over.  Seen
 * here as the link going down and coming back (virtio-net's config status), within 300 s.
 */
static void
hold_across_restart(void)
{
	bool down = false, up = false;

	printf("hostile: HOLD restart the backend now\n");
	fflush(stdout);
	for (int i = 0; i < 3000 && !up; i++) {
		if (!(mmio_read(DEVCFG + 6, 2) & 1))
			down = true;
		else if (down)
			up = true;
		usleep(100000);
	}
	CHECK(down && up && (status() & S_NEEDS_RESET), "the backend restarted under refused "
		"rings: link %s, then %s; status %#x", down ? "down" : "never down",
		up ? "up again" : "not up again", status());
}

/* Rings outside guest RAM: vireo-vmm must refuse them at DRIVER_OK (NEEDS_RESET). */
static void
poke_rings_outside(struct ring *r, uint64_t features)
{
	static const struct { const char *what; uint64_t desc, avail, used; } bad[] = {
		{ "descriptor table at 1 TiB", 1ULL << 40, 0, 0 },
		{ "avail ring wrapping the address space", 0, ~0ULL - 15, 0 },
		{ "used ring in the PCI hole", 0, 0, 0xe0000000 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = dev_begin(features);

		queue_setup(0, bad[i].desc ? bad[i].desc : r->desc.pa,
			bad[i].avail ? bad[i].avail : r->avail.pa,
			bad[i].used ? bad[i].used : r->used.pa);
		dev_go();
		CHECK(ok && wait_needs_reset(), "%s: the device needs a reset (status %#x)",
			bad[i].what, status());
	}
	hold_across_restart();
	mmio_write(COMMON + C_STATUS, 1, 0);
}

/*
 * The data rings, handed to the backend: a descriptor loop, a chain longer than the ring, an
 * indirect table outside RAM and one that loops, a huge length, a next past the ring, an
 * avail index far ahead; the receive ring with buffers outside RAM.
 */
static void
poke_data_rings(struct ring *rx, struct ring *tx, struct ring *ind, uint64_t features)
{
	struct vdesc *d = ring_desc(tx), *rd = ring_desc(rx), *id = ind->desc.va;
	uint64_t buf = tx->buf.pa;
	unsigned int i;

	ring_clear(rx);
	ring_clear(tx);
	CHECK(dev_begin(features), "data rings: features accepted");
	queue_ring(0, rx);
	queue_ring(1, tx);
	d[0] = (struct vdesc){ buf, 64, D_NEXT, 1 };
	d[1] = (struct vdesc){ buf, 64, D_NEXT, 0 };			/* loop 0 -> 1 -> 0 */
	d[2] = (struct vdesc){ 1ULL << 42, 256, D_INDIRECT, 0 };		/* table out of RAM */
	d[3] = (struct vdesc){ buf, 0xffffffff, 0, 0 };			/* huge length */
	d[4] = (struct vdesc){ buf, 64, D_NEXT, 200 };			/* next past the ring */
	d[5] = (struct vdesc){ ind->desc.pa, 4 * 16, D_INDIRECT, 0 };	/* looping table */
	d[6] = (struct vdesc){ ~0ULL - 16, 64, 0, 0 };			/* wraps */
	d[7] = (struct vdesc){ buf, 64, D_NEXT | D_INDIRECT, 7 };	/* self, both flags */
	for (i = 0; i < 4; i++)
		id[i] = (struct vdesc){ buf, 64, D_NEXT, (uint16_t)((i + 1) % 4) };
	for (i = 0; i < QSIZE; i++)
		rd[i] = (struct vdesc){ (1ULL << 41) + i * 4096, 2048, D_WRITE, 0 };
	rd[1] = (struct vdesc){ rx->buf.pa, 0xffffffff, D_WRITE, 0 };
	for (i = 0; i < QSIZE; i++)
		ring_push(rx, (uint16_t)i);
	dev_go();
	CHECK(!(status() & S_NEEDS_RESET), "data rings in RAM handed to the backend");
	for (i = 0; i < QSIZE; i++) {
		ring_push(tx, (uint16_t)i);
		kick(1);
		usleep(20000);
	}
	ring_avail(tx)[1] = (uint16_t)(ring_avail(tx)[1] + 1000);	/* avail far ahead */
	kick(1);
	kick(0);
	usleep(200000);
	mmio_write(COMMON + C_STATUS, 1, 0);
	CHECK(status() == 0, "data rings: the device resets after the backend saw them");
}

/* A control-queue request: class, command, one payload byte pair, an ack byte. */
static void
ctrl_request(struct ring *c, uint16_t pairs)
{
	struct vdesc *d = ring_desc(c);
	uint8_t *b = c->buf.va;

	b[0] = 4;		/* VIRTIO_NET_CTRL_MQ */
	b[1] = 0;		/* VQ_PAIRS_SET */
	b[2] = (uint8_t)pairs;
	b[3] = (uint8_t)(pairs >> 8);
	b[100] = 0xee;
	d[0] = (struct vdesc){ c->buf.pa, 4, D_NEXT, 1 };
	d[1] = (struct vdesc){ c->buf.pa + 100, 1, D_WRITE, 0 };
	ring_push(c, 0);
}

/* The control queue, walked by vireo-vmm itself: a good request, then bad rings. */
static void
poke_ctrl(struct ring *rx, struct ring *tx, struct ring *c, uint64_t features)
{
	static const struct { const char *what; struct vdesc d[2]; } bad[] = {
		{ "a descriptor loop", { { 0, 4, D_NEXT, 1 }, { 0, 1, D_NEXT, 0 } } },
		{ "an indirect table outside RAM", { { 1ULL << 40, 32, D_INDIRECT, 0 } } },
		{ "a huge length", { { 0, 0xfffffff0, D_NEXT, 1 }, { 0, 1, D_WRITE, 0 } } },
		{ "a next past the ring", { { 0, 4, D_NEXT, 300 } } },
	};
	volatile uint16_t *used;
	unsigned int i;
	bool ok;

	if (!(dev_features() & (1ULL << F_CTRL_VQ))) {
		CHECK(false, "control queue: the device offers none (--net queues=2 expected)");
		return;
	}
	ring_clear(rx);
	ring_clear(tx);
	ring_clear(c);
	ok = dev_begin(features);
	queue_ring(0, rx);
	queue_ring(1, tx);
	queue_ring(4, c);
	dev_go();
	ctrl_request(c, 1);
	kick(4);
	used = c->used.va;
	for (i = 0; i < 300 && used[1] != 1; i++)
		usleep(10000);
	CHECK(ok && used[1] == 1 && ((uint8_t *)c->buf.va)[100] == 0,
		"control queue: a good VQ_PAIRS_SET is acknowledged (used %u, ack %u)", used[1],
		((uint8_t *)c->buf.va)[100]);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vdesc *d = ring_desc(c);

		ring_clear(c);
		ok = dev_begin(features);
		queue_ring(0, rx);
		queue_ring(1, tx);
		queue_ring(4, c);
		dev_go();
		d[0] = bad[i].d[0];
		d[1] = bad[i].d[1];
		if (!(d[0].flags & D_INDIRECT))
			d[0].addr = c->buf.pa;
		d[1].addr = c->buf.pa + 100;
		ring_push(c, 0);
		kick(4);
		CHECK(ok && wait_needs_reset(), "control queue with %s: the device needs a reset",
			bad[i].what);
	}
	/* An avail index far ahead of the ring's size. */
	ring_clear(c);
	ok = dev_begin(features);
	queue_ring(0, rx);
	queue_ring(1, tx);
	queue_ring(4, c);
	dev_go();
	ring_avail(c)[1] = 1000;
	kick(4);
	CHECK(ok && wait_needs_reset(), "control queue with the avail index 1000 ahead: the "
		"device needs a reset");
	mmio_write(COMMON + C_STATUS, 1, 0);
}

/* --- set-up ------------------------------------------------------------------------------ */

static int
find_device(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char path[400], buf[32];
	int found = -1;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL && found < 0) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL && strncmp(buf, "0x1041", 6) == 0) {
			unsigned int dom;

			snprintf(dev_dir, sizeof(dev_dir), "/sys/bus/pci/devices/%s", e->d_name);
			if (sscanf(e->d_name, "%x:%x:%x.%x", &dom, &bus_nr, &slot_nr, &fn_nr) == 4)
				found = 0;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
main(void)
{
	char path[400], *name;
	struct ring rx, tx, c, ind;
	uint64_t features;
	int fd;

	if (find_device() < 0) {
		CHECK(false, "no virtio-net device (1af4:1041)");
		return 1;
	}
	name = strrchr(dev_dir, '/') + 1;
	snprintf(path, sizeof(path), "%s/driver/unbind", dev_dir);
	if (write_file(path, name) < 0)
		fprintf(stderr, "hostile: unbind %s: %s\n", name, strerror(errno));
	snprintf(path, sizeof(path), "%s/config", dev_dir);
	cfg_fd = open(path, O_RDWR);
	snprintf(path, sizeof(path), "%s/resource0", dev_dir);
	fd = open(path, O_RDWR | O_SYNC);
	if (cfg_fd < 0 || fd < 0 || iopl(3) < 0 || ring_get(&rx) < 0 || ring_get(&tx) < 0 ||
	    ring_get(&c) < 0 || ring_get(&ind) < 0) {
		CHECK(false, "set-up: config, resource0, iopl, pagemap: %s", strerror(errno));
		return 1;
	}
	cfg_write(0x04, 2, (uint16_t)(cfg_read(0x04, 2) | 0x2));	/* memory decode */
	bar = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		CHECK(false, "mmap resource0: %s", strerror(errno));
		return 1;
	}
	printf("hostile: device %s, %u MSI-X vectors, %u queues\n", name, msix_vectors(),
		(unsigned int)mmio_read(COMMON + C_NUM_QUEUES, 2));

	phase("configuration space");
	poke_config();
	phase("ports");
	poke_ports();
	phase("BAR 0");
	poke_bar_reads();
	poke_bar_writes();
	phase("MSI-X");
	poke_msix();
	phase("common configuration");
	poke_common();
	features = dev_features() & (1ULL << F_VERSION_1 | 1ULL << F_INDIRECT |
		1ULL << F_CTRL_VQ | 1ULL << F_MQ);
	phase("rings outside RAM");
	poke_rings_outside(&rx, features);
	phase("data rings");
	poke_data_rings(&rx, &tx, &ind, features);
	phase("control queue");
	poke_ctrl(&rx, &tx, &c, features);
	phase("giving the device back");

	/* Give the device back: reset, MSI-X off, the driver probes it afresh. */
	mmio_write(COMMON + C_STATUS, 1, 0);
	cfg_write(0x42, 2, cfg_read(0x42, 2) & 0x7ff);
	munmap((void *)bar, BAR_SIZE);
	close(fd);
	close(cfg_fd);
	if (write_file("/sys/bus/pci/drivers/virtio-pci/bind", name) < 0)
		CHECK(false, "bind %s to virtio-pci again: %s", name, strerror(errno));
	printf("hostile: done, %u failed\n", fails);
	return fails ? 1 : 0;
}

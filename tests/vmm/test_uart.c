/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 16550A model: what Linux's 8250 driver probes and uses.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "serial.h"

static int irq_level = -1;
static int irq_changes;

static void
irq_cb(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
	irq_changes++;
}

static uint8_t
rd(struct vmm_uart *u, unsigned int reg)
{
	uint8_t v = 0xaa;

	vmm_uart_io(u, reg, &v, 1, false);
	return v;
}

static void
wr(struct vmm_uart *u, unsigned int reg, uint8_t v)
{
	vmm_uart_io(u, reg, &v, 1, true);
}

int
main(void)
{
	struct vmm_uart u;
	struct vmm_conout co;
	int p[2];
	char out[16];
	uint8_t in[300];
	ssize_t n;

	if (pipe2(p, O_NONBLOCK) < 0)
		return 2;
	CHECK(vmm_conout_start(&co, p[1], UINT64_MAX, "test pipe") == 0);
	vmm_uart_init(&u, &co, irq_cb, NULL);

	/* Scratch register and divisor latch. */
	wr(&u, 7, 0x5a);
	CHECK(rd(&u, 7) == 0x5a);
	wr(&u, 3, 0x83);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x00);
	CHECK(rd(&u, 0) == 0x01);
	CHECK(rd(&u, 1) == 0x00);
	wr(&u, 3, 0x03);
	CHECK(rd(&u, 3) == 0x03);

	/* The driver's loopback probe: MCR = LOOP|OUT2|RTS must read MSR[7:4] = 0x9. */
	wr(&u, 4, 0x1a);
	CHECK((rd(&u, 6) & 0xf0) == 0x90);
	wr(&u, 4, 0x1f);
	CHECK((rd(&u, 6) & 0xf0) == 0xf0);
	/* In loopback, transmitted bytes come back on the receive side, not on the output. */
	wr(&u, 0, 'L');
	CHECK(rd(&u, 5) & 0x01);
	CHECK(rd(&u, 0) == 'L');
	CHECK(read(p[0], out, sizeof(out)) < 0);
	wr(&u, 4, 0x0b);
	CHECK((rd(&u, 6) & 0xb0) == 0xb0);

	/* Transmit goes to the output fd (through the console's writer thread); LSR always
	 * has THRE and TEMT. */
	wr(&u, 0, 'h');
	wr(&u, 0, 'i');
	for (int i = 0; i < 2000 && (n = read(p[0], out, sizeof(out))) < 0; i++)
		usleep(1000);
	CHECK(n == 2 && memcmp(out, "hi", 2) == 0);
	CHECK((rd(&u, 5) & 0x60) == 0x60);
	CHECK(u.tx_bytes == 2);

	/* FIFO enabled: IIR bits 7:6 set; no interrupt pending. */
	wr(&u, 2, 0x07);
	CHECK(rd(&u, 2) == 0xc1);
	CHECK(irq_level <= 0);

	/* Enabling THRI raises the line; reading IIR (THRI) acknowledges it. */
	wr(&u, 1, 0x02);
	CHECK(irq_level == 1);
	CHECK(rd(&u, 2) == 0xc2);
	CHECK(irq_level == 0);
	CHECK(rd(&u, 2) == 0xc1);
	/* A write to THR makes it pending again. */
	wr(&u, 0, 'x');
	CHECK(irq_level == 1);
	wr(&u, 1, 0x00);
	CHECK(irq_level == 0);

	/* Receive: data ready, RDI before THRI, FIFO bounded. */
	wr(&u, 1, 0x03);
	CHECK(rd(&u, 2) == 0xc2);
	CHECK(vmm_uart_input(&u, (const uint8_t *)"ab", 2) == 2);
	CHECK(irq_level == 1);
	CHECK(rd(&u, 2) == 0xc4);
	CHECK(rd(&u, 5) & 0x01);
	CHECK(rd(&u, 0) == 'a');
	CHECK(rd(&u, 0) == 'b');
	CHECK(!(rd(&u, 5) & 0x01));
	CHECK(rd(&u, 2) == 0xc1);
	CHECK(irq_level == 0);
	memset(in, 'z', sizeof(in));
	CHECK(vmm_uart_input(&u, in, sizeof(in)) == VMM_UART_RX_SIZE);
	CHECK(vmm_uart_rx_room(&u) == 0);
	/* FCR "clear receive FIFO". */
	wr(&u, 2, 0x03);
	CHECK(vmm_uart_rx_room(&u) == VMM_UART_RX_SIZE);
	CHECK(!(rd(&u, 5) & 0x01));

	/* 2- and 4-byte accesses are one access per byte, each to its own register. */
	{
		uint8_t w[2] = { 0x03, 0x0b }, d[4] = { 0xff, 0xff, 0xff, 0xff };

		vmm_uart_io(&u, 3, w, 2, true);
		CHECK(rd(&u, 3) == 0x03 && rd(&u, 4) == 0x0b, "LCR 0x%02x MCR 0x%02x", rd(&u, 3),
			rd(&u, 4));
		wr(&u, 4, 0x08);
		vmm_uart_io(&u, 6, d, 4, false);	/* MSR, SCR, RBR (wrapped), IER */
		CHECK(d[0] == 0xb0 && d[1] == 0x5a && d[2] == 0 && d[3] == 0x03,
			"%02x %02x %02x %02x", d[0], d[1], d[2], d[3]);
	}
	CHECK(irq_changes > 0);

	vmm_conout_stop(&co, 1000);
	vmm_uart_fini(&u);
	close(p[0]);
	close(p[1]);
	return check_report("test_uart");
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_SERIAL_H
#define VIREO_VMM_SERIAL_H

/*
 * A 16550A UART register model (the 8250 family): what the Linux 8250 driver needs for a
 * console and a tty — divisor latch, FIFO bit in IIR, THR-empty and receive interrupts,
 * loopback for the driver's probe, scratch register.  Transmitted bytes go to 'out', which
 * never blocks (console.h): a stalled reader costs dropped bytes, never a stuck vCPU;
 * received bytes come from vmm_uart_input().  The interrupt line follows IIR: high while
 * an enabled interrupt is pending.
 *
 * Thread-safety: every entry point takes the UART's mutex; the IRQ callback runs under it.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"

#define VMM_UART_RX_SIZE 256

typedef void vmm_uart_irq_cb(void *opaque, int level);
/** The receive FIFO was full and the guest took a byte (or cleared it): input may resume. */
typedef void vmm_uart_room_cb(void *opaque);

struct vmm_uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_pending;		/* THR-empty interrupt pending */
	int irq_level;
	uint8_t rx[VMM_UART_RX_SIZE];
	unsigned int rx_head, rx_count;
	struct vmm_conout *out;		/* NULL: output discarded */
	uint64_t tx_bytes;		/* bytes the guest transmitted (delivered or dropped) */
	vmm_uart_irq_cb *irq;
	void *irq_opaque;
	vmm_uart_room_cb *room;		/* NULL: nobody waits for room */
	void *room_opaque;
};

/** Reset 'u': output to 'out' (may be NULL), interrupts through 'irq'. */
void vmm_uart_init(struct vmm_uart *u, struct vmm_conout *out, vmm_uart_irq_cb *irq,
		void *opaque);

/** Destroy the mutex. */
void vmm_uart_fini(struct vmm_uart *u);

/** A register access at 'offset' (0-7) of 'len' bytes: one register per byte, wrapping at 8. */
void vmm_uart_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write);

/** Queue received bytes; returns how many fitted in the receive FIFO. */
size_t vmm_uart_input(struct vmm_uart *u, const uint8_t *buf, size_t n);

/**
 * Call 'cb' (under the UART's mutex, on the thread of the guest's access) each time the
 * guest makes room in a full receive FIFO, so that a producer that stopped reading its
 * input when the FIFO filled starts again instead of dropping bytes.
 */
void vmm_uart_on_room(struct vmm_uart *u, vmm_uart_room_cb *cb, void *opaque);

/** Free room in the receive FIFO. */
size_t vmm_uart_rx_room(struct vmm_uart *u);

#endif /* VIREO_VMM_SERIAL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 16550A register model.
 */
#include <string.h>

#include "serial.h"

/* Registers (offset from the base port). */
#define REG_RBR_THR 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

static uint8_t
uart_iir(const struct vmm_uart *u)
{
	if ((u->ier & IER_RDI) && u->rx_count > 0)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void
uart_update_irq(struct vmm_uart *u)
{
	int level = uart_iir(u) != IIR_NO_INT;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq != NULL)
			u->irq(u->irq_opaque, level);
	}
}

static void
uart_rx_push(struct vmm_uart *u, uint8_t c)
{
	if (u->rx_count == VMM_UART_RX_SIZE)
		return;
	u->rx[(u->rx_head + u->rx_count) % VMM_UART_RX_SIZE] = c;
	u->rx_count++;
}

/* The FIFO held 'before' bytes and now fewer: tell a producer waiting for room. */
static void
uart_rx_freed(struct vmm_uart *u, unsigned int before)
{
	if (before == VMM_UART_RX_SIZE && u->rx_count < before && u->room != NULL)
		u->room(u->room_opaque);
}

static uint8_t
uart_rx_pop(struct vmm_uart *u)
{
	uint8_t c;

	if (u->rx_count == 0)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VMM_UART_RX_SIZE;
	u->rx_count--;
	uart_rx_freed(u, u->rx_count + 1);
	return c;
}

static void
uart_transmit(struct vmm_uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		uart_rx_push(u, c);
	} else {
		if (u->out != NULL)
			vmm_conout_put(u->out, &c, 1);
		u->tx_bytes++;
	}
	u->thr_pending = true;
}

static uint8_t
uart_msr(const struct vmm_uart *u)
{
	uint8_t msr = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (u->mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (u->mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static uint8_t
uart_read(struct vmm_uart *u, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		return uart_rx_pop(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR_FCR:
		v = uart_iir(u);
		if (v == IIR_THRI)
			u->thr_pending = false;
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return (u->rx_count > 0 ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
	case REG_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void
uart_write(struct vmm_uart *u, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_pending = true;
		u->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX) {
			unsigned int before = u->rx_count;

			u->rx_count = 0;
			uart_rx_freed(u, before);
		}
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;
	}
}

void
vmm_uart_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_uart *u = opaque;

	/* A wider access is one byte access per register, wrapping within the 8 (as QEMU). */
	pthread_mutex_lock(&u->lock);
	for (unsigned int i = 0; i < len; i++) {
		if (is_write)
			uart_write(u, (unsigned int)(offset + i) & 7, data[i]);
		else
			data[i] = uart_read(u, (unsigned int)(offset + i) & 7);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t
vmm_uart_input(struct vmm_uart *u, const uint8_t *buf, size_t n)
{
	size_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < n && u->rx_count < VMM_UART_RX_SIZE; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return i;
}

void
vmm_uart_on_room(struct vmm_uart *u, vmm_uart_room_cb *cb, void *opaque)
{
	pthread_mutex_lock(&u->lock);
	u->room = cb;
	u->room_opaque = opaque;
	pthread_mutex_unlock(&u->lock);
}

size_t
vmm_uart_rx_room(struct vmm_uart *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = VMM_UART_RX_SIZE - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

void
vmm_uart_init(struct vmm_uart *u, struct vmm_conout *out, vmm_uart_irq_cb *irq,
		void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->out = out;
	u->irq = irq;
	u->irq_opaque = opaque;
	u->mcr = MCR_OUT2;
	u->dll = 0x0c;
}

void
vmm_uart_fini(struct vmm_uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

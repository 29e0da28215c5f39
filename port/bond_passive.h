/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PORT_BOND_PASSIVE_H
#define VIREO_PORT_BOND_PASSIVE_H

/*
 * lacp=passive on top of DPDK 22.11's 802.3ad (rte_eth_bond mode 4), which has no passive
 * actor: it always sets the actor's LACP_Activity bit and always runs the periodic machine.
 * What 802.1AX asks of a passive actor is two things on the wire: its LACPDUs carry
 * Actor_State.LACP_Activity = 0, and it sends none while its partner is passive too (the
 * periodic machine's NO_PERIODIC: both sides passive; a partner never heard from counts as
 * passive, so a passive actor never starts).  DPDK's state machines stay as they are; an rx
 * and a tx callback on every queue of each member ethdev (rte_eth_add_rx_callback,
 * rte_eth_add_tx_callback) make the wire right:
 *   - rx: a LACPDU (ethertype 0x8809, subtype 1) from the partner with LACP_Activity set
 *     marks the partner active for 'window' (as long as DPDK keeps the partner's
 *     information: current, then expired);
 *     one with the bit clear marks it passive at once;
 *   - tx: a LACPDU the bond sends while the partner is active goes out with LACP_Activity
 *     cleared; while it is not, the LACPDU is withheld: moved behind the packets the driver
 *     is given, and the callback returns fewer.  The caller keeps it.  DPDK's bond (no
 *     dedicated queues) sends each LACPDU alone from its per-member ring of one and puts an
 *     unsent one back: the LACPDU waits there until the partner turns active (the state
 *     machines' newer LACPDUs find the ring full, are freed and retried by DPDK every 100
 *     ms: nothing piles up).  Freeing it here would be a use after free: the driver puts
 *     the pointer back in its ring.
 * DPDK thinking itself active changes nothing else: its selection, mux and receive
 * machines do not look at the actor's activity; its periodic timer only decides when a
 * LACPDU is queued.  So passive against active negotiates (the partner's periodic LACPDUs
 * make us send), passive against passive never does (nothing is sent: the partner never
 * learns of us and never reports us in sync), active against passive is DPDK's own.
 * Every LACPDU leaving a member is taken for the bond's (one switched from another port
 * out of the bond, which only an OpenFlow rule would do, is treated alike).
 *
 * Threads: the control thread attaches once the bonded ethdev started its members and before
 * the port is published (no tx burst has run on the bond yet, so no LACPDU went out), and
 * detaches once nothing polls the bond, before the bond is closed.  The rx callback runs on the PMDs polling the bond's
 * rx queues (DPDK's 802.3ad receive polls every member there); several may write
 * 'partner_until' (relaxed atomic stores: the newest LACPDU wins, any is fine).  The tx
 * callback runs wherever the bond's tx burst runs: PMDs sending on the bond and the LACP kick
 * (port_bond.c), one caller per tx queue.  Counters: relaxed atomic adds, read by the
 * control thread.  Neither callback locks, allocates or makes a system call.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct rte_eth_rxtx_callback;

struct bond_passive {
	/* control thread, before attach */
	uint16_t port_id;		/* the member ethdev */
	uint64_t window;		/* timer cycles a partner's active LACPDU counts */
	uint16_t n_rxq, n_txq;
	const struct rte_eth_rxtx_callback **rx_cb, **tx_cb;
	/* rx callback writes, tx callback reads (relaxed atomics) */
	uint64_t partner_until;		/* timer cycles; 0: the partner is passive or silent */
	/* tx callback writes (relaxed atomics); control thread reads */
	uint64_t sent;			/* LACPDUs sent with LACP_Activity cleared */
	uint64_t withheld;		/* LACPDUs held back (each counted once) */
	const void *last_held;		/* the one held last, NULL after one is sent */
};

/**
 * Install the callbacks on every rx and tx queue the member ethdev 'bp->port_id' has now
 * (the bonded ethdev started it).  'window_ms': how long a partner's active LACPDU counts.
 * @return 0, or -errno (nothing is left installed).
 */
int bond_passive_attach(struct bond_passive *bp, uint16_t port_id, unsigned window_ms);

/**
 * Remove the callbacks; the member's queues must no longer be polled, and must still be
 * configured (DPDK refuses to remove a callback from a queue it no longer counts: detach
 * before the bond releases its member).
 */
void bond_passive_detach(struct bond_passive *bp);

/** Whether a partner's active LACPDU arrived within the window before 'now'. */
bool bond_passive_partner_active(const struct bond_passive *bp, uint64_t now);

/** The rx callback's work on a burst, at timer cycle 'now' (for tests). */
void bond_passive_rx_note(struct bond_passive *bp, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now);

/**
 * The tx callback's work on a burst at 'now': clears LACP_Activity in LACPDUs or moves them
 * behind the others.  @return how many of 'pkts' the driver is to send (for tests).
 */
uint16_t bond_passive_tx_filter(struct bond_passive *bp, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now);

#endif

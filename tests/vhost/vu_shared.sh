#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two PMDs transmitting into one vhost-user receive ring (tests/vhost/vu_shared_test.c):
# PMDs on cores 0 and 1, A's queue (vhu0) pinned to one and C's (vhu2) to the other, both
# forwarded by rules to B (vhu1, one queue pair).  With vhost-fast-path on, the switch fills
# B's ring itself from both PMDs; off, rte_vhost's enqueue does.  Both must deliver every
# frame intact, in each sender's order, none twice, and B must find in its ring exactly what
# vireo-dp counts as delivered to it.
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

for fast in true false; do
	cat >"$RUN/dp.yaml" <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x3"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
  vhost-sock-dir: $RUN
  openflow-rundir: $RUN
  vhost-fast-path: "$fast"
bridges:
  br0:
    ports:
      vhu0: {type: dpdkvhostuser, other_config: {pmd-rxq-affinity: "0:0"}}
      vhu1: {type: dpdkvhostuser}
      vhu2: {type: dpdkvhostuser, other_config: {pmd-rxq-affinity: "0:1"}}
    flows:
      - "in_port=vhu0,actions=output:vhu1"
      - "in_port=vhu2,actions=output:vhu1"
      - "in_port=vhu1,actions=drop"
EOC
	if ! start_dp "$RUN/dp.yaml"; then
		fail "vireo-dp (vhost-fast-path=$fast) did not start"
		stop_dp
		continue
	fi
	# "PORT CORE" for each rx queue pmd-rxq-show lists.
	placed=$(ctl pmd-rxq-show | awk '/core_id/ { c = $NF; sub(":", "", c) }
		$1 == "port:" { print $2, c }')
	check "vhost-fast-path=$fast: vhu0 polled on core 0, vhu2 on core 1 ($(echo $placed))" \
		eval 'grep -qx "vhu0 0" <<<"$placed" && grep -qx "vhu2 1" <<<"$placed"'
	if "$BIN/vu_shared_test" "$RUN" 4 >"$RUN/test-$fast.log" 2>&1; then
		pass "vhost-fast-path=$fast: $(grep '^sent' "$RUN/test-$fast.log")"
	else
		cat "$RUN/test-$fast.log"
		echo "$placed"
		grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -20
		fail "vhost-fast-path=$fast: vu_shared_test failed"
	fi
	# What vireo-dp counts as delivered into B's ring is what B found there: two PMDs
	# filling the ring at once would each count packets the other overwrote.
	got=$(sed -n 's/^B received \([0-9]*\) in all$/\1/p' "$RUN/test-$fast.log")
	delivered=$(ctl dump-ports br0 vhu1 | sed -n 's/^ *tx pkts=\([0-9]*\),.*/\1/p')
	check "vhost-fast-path=$fast: vhu1's tx pkts ($delivered) is what B received ($got)" \
		test -n "$got" -a "${delivered:-x}" = "$got"
	tx=$(ctl show -v | sed -n '/port vhu1:/,/^ *port vhu[02]:/s/.*fast_path_tx_packets=\([0-9]*\).*/\1/p')
	if [ "$fast" = true ]; then
		check "vhost-fast-path=true: the switch filled B's ring itself (fast_path_tx_packets=$tx)" \
			test "${tx:-0}" -gt 10000
	else
		check "vhost-fast-path=false: rte_vhost filled B's ring (fast_path_tx_packets=$tx)" \
			test "${tx:-1}" -eq 0
	fi
	check "vhost-fast-path=$fast: vireo-dp stops cleanly" stop_dp
done
finish

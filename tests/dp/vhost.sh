#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two dpdkvhostuser ports driven by a testpmd virtio_user pair: packets go both ways through
# vireo-dp; then a dpdkvhostuserclient port against testpmd's vhost-user server, which is
# restarted: the client port reconnects.
. "$(dirname "$0")/lib.sh"

vhost_bridge_yaml 2
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
check "vhost-user sockets created in vhost-sock-dir" test -S "$RUN/vhu0" -a -S "$RUN/vhu1"
out=$(testpmd_loop 4 "$RUN/vhu0" "$RUN/vhu1")
rx0=$(testpmd_rx "$out" 0)
rx1=$(testpmd_rx "$out" 1)
echo "testpmd: port0 rx=$rx0 port1 rx=$rx1"
check "testpmd port 0 received packets via vireo-dp ($rx0)" test "${rx0:-0}" -gt 1000
check "testpmd port 1 received packets via vireo-dp ($rx1)" test "${rx1:-0}" -gt 1000
ports=$(ctl dump-ports br0)
echo "$ports"
check "vireo-dp counted rx on vhu0" grep -Eq "port vhu0 .*rx pkts=[1-9]" <<<"$ports"
check "vireo-dp counted rx on vhu1" grep -Eq "port vhu1 .*rx pkts=[1-9]" <<<"$ports"
show=$(ctl show)
check "after the guest left, vhu0's link is down" grep -q "port vhu0: .*link down" <<<"$show"

# A second run on the same ports: the server ports accept a new guest.
out=$(testpmd_loop 2 "$RUN/vhu0" "$RUN/vhu1")
rx0=$(testpmd_rx "$out" 0)
check "a reconnecting guest forwards again ($rx0)" test "${rx0:-0}" -gt 1000

# dpdkvhostuserclient: testpmd's virtio_user in server mode (as a VM started with a
# server socket would be), vireo-dp's port the client.
ctl add-port br0 vhc0 type=dpdkvhostuserclient "options:vhost-server-path=$RUN/srv.sock" \
	>/dev/null
check "add-port of a dpdkvhostuserclient port" bash -c "$VIREOCTL -t $CTL show | grep -q 'port vhc0: ofport 3'"
vhost_server() {
	testpmd_run "$1" --lcores '0@0,1@0' --no-pci \
		--single-file-segments --file-prefix="ts$PREFIX" -m 256 \
		--vdev "net_virtio_user0,path=$RUN/srv.sock,server=1,queues=1" -- \
		--forward-mode=txonly --tx-first --stats-period 0 --nb-cores=1
}
vhost_server 4 >/dev/null
rx=$(ctl dump-ports br0 vhc0 | sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p')
check "client port received from the vhost-user server ($rx)" test "${rx:-0}" -gt 1000
sleep 1
vhost_server 4 >/dev/null
rx2=$(ctl dump-ports br0 vhc0 | sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p')
check "client port reconnected after the server restarted ($rx -> $rx2)" \
	test "${rx2:-0}" -gt "${rx:-0}"
finish

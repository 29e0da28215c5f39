#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp's integration tests, on top of tests/lib.sh (results, namespaces, clean-up): a
# private run directory, starting vireo-dp and waiting for its control socket, testpmd.
# Every test sources this file; everything it creates is removed on exit.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
VIREO_DP=$BUILD/dataplane/vireo-dp
VIREOCTL=$BUILD/control/vireoctl
RUN=$(mktemp -d "/run/vireo-test-$TEST_NAME.XXXXXX")
CTL=$RUN/dp.ctl
# A unique DPDK --file-prefix for this test's processes.
PREFIX=vt$$
at_exit 'rm -rf "$RUN" "/dev/hugepages/$PREFIX"* 2>/dev/null'
# VIREO_TEST_KEEP=DIR: the run directory (logs, configurations) is copied there at the end.
at_exit '[ -n "${VIREO_TEST_KEEP:-}" ] && cp -a "$RUN" "$VIREO_TEST_KEEP/" 2>/dev/null'

# start_dp CONFIG [extra args]: start vireo-dp, wait for its control socket.
start_dp() {
	local cfg=$1
	shift
	# an earlier vireo-dp's log stays, for stop_dp's report
	[ -e "$RUN/dp.log" ] && mv "$RUN/dp.log" "$RUN/dp.log.$(date +%s%N)"
	"$VIREO_DP" --config "$cfg" --control "$CTL" "$@" >"$RUN/dp.log" 2>&1 &
	DP_PID=$!
	PIDS+=("$DP_PID")
	# VIREO_TEST_DP_WAIT: tenths of a second; the arm64 test host's TCG needs minutes.
	for _ in $(seq "${VIREO_TEST_DP_WAIT:-300}"); do
		if [ -S "$CTL" ] && "$VIREOCTL" -t "$CTL" version >/dev/null 2>&1; then
			# ports are added after the socket appears: wait for the first 'show'
			"$VIREOCTL" -t "$CTL" show >/dev/null 2>&1 && return 0
		fi
		kill -0 "$DP_PID" 2>/dev/null || { cat "$RUN/dp.log"; return 1; }
		sleep 0.1
	done
	cat "$RUN/dp.log"
	return 1
}

# stop_dp: TERM vireo-dp, return its status; a vireo-dp that died or failed to stop cleanly
# has its log's tail printed (a sanitizer's report lands there).
stop_dp() {
	local rc
	kill -TERM "$DP_PID" 2>/dev/null
	wait "$DP_PID"
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "--- vireo-dp (pid $DP_PID) exited with status $rc; its log's tail:" >&2
		tail -n 80 "$RUN/dp.log" >&2
	fi
	return "$rc"
}

ctl() { "$VIREOCTL" -t "$CTL" "$@"; }

# vsctl_two_afpacket BR MASK NS_A NS_B: with ovs-vsctl (tests/ovsdb/lib-ovsdb.sh), pmd-cpu-mask
# MASK and a netdev bridge BR of two dpdk ports, p1 and p2, on net_af_packet over the veths of
# the namespaces NS_A and NS_B (netns_add).
vsctl_two_afpacket() {
	vsctl set Open_vSwitch . other_config:pmd-cpu-mask="$2" -- add-br "$1" \
		-- set bridge "$1" datapath_type=netdev \
		-- add-port "$1" p1 -- set Interface p1 type=dpdk \
		options:dpdk-devargs="net_af_packet1,iface=v-$3" \
		-- add-port "$1" p2 -- set Interface p2 type=dpdk \
		options:dpdk-devargs="net_af_packet2,iface=v-$4"
}

# ping_ok NS DST COUNT [INTERVAL]: ping with no loss
ping_ok() {
	local out
	out=$(ip netns exec "$1" ping -q -c "$3" -i "${4:-0.2}" -W 5 "$2" 2>&1)
	echo "$out" | grep -q " 0% packet loss"
}

# The common other_config block: main lcore 0, one PMD on core 1, this test's prefix.
other_config() {
	cat <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x2"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
  vhost-sock-dir: $RUN
  openflow-rundir: $RUN
EOC
}

# vhost_bridge_yaml N: $RUN/dp.yaml, the common other_config and a bridge br0 of N
# dpdkvhostuser ports vhu0, vhu1, ... (their sockets in $RUN).
vhost_bridge_yaml() {
	local i
	{
		other_config
		printf 'bridges:\n  br0:\n    ports:\n'
		for ((i = 0; i < $1; i++)); do
			printf '      vhu%d: {type: dpdkvhostuser}\n' "$i"
		done
	} >"$RUN/dp.yaml"
}

# testpmd_run SECONDS TESTPMD-ARGS...: start dpdk-testpmd (non-interactive), wait until it
# forwards ("Press enter to exit"), let it run SECONDS, stop it; prints its output.  Start-up
# time does not count: on a loaded machine EAL initialisation alone can take seconds.
testpmd_run() {
	local secs=$1 fifo out pid
	shift
	fifo=$(mktemp -u "$RUN/tp.XXXXXX")
	out=$fifo.out
	mkfifo "$fifo"
	timeout $((secs + 120)) stdbuf -oL -eL dpdk-testpmd "$@" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec 4>"$fifo"
	for _ in $(seq 1200); do
		grep -q "Press enter to exit" "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep "$secs"
	echo >&4
	exec 4>&-
	wait "$pid"
	cat "$out"
	rm -f "$fifo" "$out"
}

# testpmd_loop SECONDS SOCK0 SOCK1 [extra testpmd args]: a testpmd with two virtio_user ports
# on vhost-user sockets, io forwarding started with tx_first on core 0; prints its output.
testpmd_loop() {
	local secs=$1 s0=$2 s1=$3
	shift 3
	testpmd_run "$secs" --lcores '0@0,1@0' --no-pci \
		--single-file-segments --file-prefix="tp$PREFIX" -m 512 \
		--vdev "net_virtio_user0,path=$s0,queues=1" \
		--vdev "net_virtio_user1,path=$s1,queues=1" -- \
		--forward-mode=io --tx-first --stats-period 0 --nb-cores=1 "$@"
}

# testpmd_rx OUTPUT PORT: RX-packets of port PORT in testpmd's final statistics.
testpmd_rx() {
	awk -v p="$2" '/Forward statistics for port/ { cur = $(NF - 1) }
		/RX-packets:/ && cur == p { print $2; exit }' <<<"$1"
}

# tx_csum_off "NS DEV"...: transmit checksum offload off on each DEV of namespace NS.
# af_packet ports see what a namespace sends as the kernel queued it: with checksum offload a
# TCP checksum is left for hardware that is not there (Open vSwitch's own tests do this).
tx_csum_off() {
	local dev
	for dev in "$@"; do
		set -- $dev
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 ||
			{ echo "ethtool -K $2 tx off in $1 failed (scripts/deps installs ethtool)"; return 1; }
	done
}

# kernel_vxlan NS LOCAL REMOTE ADDR/LEN: the kernel's vxlan device vx0 (VNI 42, UDP 4789)
# over NS's eth0 from LOCAL to REMOTE, holding ADDR/LEN.
kernel_vxlan() {
	ip -n "$1" link add vx0 type vxlan id 42 remote "$3" local "$2" dstport 4789 dev eth0 &&
		ip -n "$1" addr add "$4" dev vx0 && ip -n "$1" link set vx0 up
}

# tcp_move FROM_NS TO_NS TO_IP: 4 MB from one namespace to the other; the digests agree.
tcp_move() {
	local out
	out=$(ip netns exec "$2" timeout 60 python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)' "$3" | {
		read -r ready
		ip netns exec "$1" timeout 60 python3 -c '
import hashlib, socket, sys
data = bytes((i * 7 + i // 256) & 0xff for i in range(4 << 20))
s = socket.create_connection((sys.argv[1], 5001), timeout=30); s.sendall(data); s.close()
print(len(data), hashlib.sha256(data).hexdigest(), file=sys.stderr)' "$3" 2>"$RUN/sent"
		cat
	})
	echo "received: $out; sent: $(cat "$RUN/sent")"
	[ -n "$out" ] && [ "$out" = "$(cat "$RUN/sent")" ]
}

# check_reconnect OUT ERR RC: a vireo-vmm guest that pinged through a vireo-dp restart
# (tests/vhost/vm_guest.sh's reconnect mode; OUT its console, ERR vireo-vmm's log, RC its
# exit status): it exited 0 without rebooting, vireo-vmm saw the backend go and come back,
# and the ping resumed.  Returns non-zero when the ping did not resume.
check_reconnect() {
	local out=$1 log=$2 rc=$3

	check "reconnect: the guest exits 0, no reboot (exit $rc)" test "$rc" -eq 0
	check "reconnect: vireo-vmm saw the backend go and come back" \
		eval 'grep -q "gone, link down" "$log" && grep -q "vhu0 connected" "$log"'
	if grep -q "vm-ping: resumed" "$out" &&
	   grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$out"; then
		pass "reconnect: the guest's ping resumed after vireo-dp restarted, 5/5"
	else
		fail "reconnect: ping did not resume"
		return 1
	fi
}

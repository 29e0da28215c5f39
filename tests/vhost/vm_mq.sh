#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Multi-queue virtio-net (--net vhost-user=PATH,queues=N), inside the test host: a 2-vCPU
# guest with queues=2 against vireo-dp sees two queue pairs (rx-0, rx-1, tx-0, tx-1) and
# sets both in use (VQ_PAIRS_SET through the control queue vireo-vmm serves); one ping flow
# per vCPU, each pinned to its CPU with transmit queue N mapped to CPU N, goes through both
# of vireo-dp's rx queues of the port (pmd-rxq-show: both enabled, both loaded); vireo-dp is
# killed and restarted and both rx queues carry traffic again (the reconnect restored every
# enabled ring).  queues=2 against a backend without multi-queue falls back to one pair
# with a message; a backend that hangs up during the first handshake is connected to again.
# Bad values (queues=0, queues=1000) exit 2 naming the value.
#
# usage: tests/vhost/vm_mq.sh   (VIREO_BUILD=build directory, default ./build)
. "$(dirname "$0")/lib-vm.sh" 900

# The nested guest's kernel has died now and then under this test's ping floods, in CI and
# with either emulator under the test host's L1: a double fault at the first instruction
# of entry_SYSCALL_64 on the user stack, i.e. a page fault fetching kernel text.  We
# believe it is the emulated nested paging (seen only under the TCG L1, only in this flood
# test); a stray write into the guest's page tables is not ruled out.  When a failed run's
# guest died so (each run ends by printing its guests' panic lines, marked "guest died:"),
# the whole scenario runs again, at most three runs in all; the failed runs are shown
# indented and do not count.
if [ -z "${VM_MQ_RUN:-}" ]; then
	for run in 1 2 3; do
		out=$(VM_MQ_RUN=$run "$0" 2>&1)
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$run" = 3 ] || ! grep -q "guest died:" <<<"$out"; then
			break
		fi
		echo "    a guest kernel died in run $run (below); running the scenario again"
		sed "s/^/    run $run: /" <<<"$out"
	done
	printf '%s\n' "$out"
	exit "$rc"
fi
at_exit 'guest_deaths | sed "s/^/    guest died: /"'

show_dp() {
	[ -f "$RUN/dp1.log" ] && sed 's/^/    dp (first): /' "$RUN/dp1.log" | tail -n 25
	sed 's/^/    dp: /' "$RUN/dp.log" | tail -n 25
}

# rxq_loads: "QID USAGE" for each rx queue of vhu0, as of the last full measurement interval; a
# summary line of queues 0 and 1 on stderr.
rxq_loads() {
	ctl pmd-rxq-rebalance >/dev/null 2>&1
	ctl pmd-rxq-show 2>/dev/null | tee -a "$RUN/rxq.log" >"$RUN/rxq.now"
	echo "    $(date +%T) vhu0 rx queues: $(grep -E 'port: vhu0 .*queue-id:  [01] ' \
		"$RUN/rxq.now" | sed 's/.*queue-id: *//; s/pmd usage: *//' | tr -s ' ' |
		tr '\n' ';')" >&2
	awk '/port: vhu0 / { for (i = 1; i <= NF; i++) {
			if ($i == "queue-id:") q = $(i + 1)
			if ($i == "usage:") print q, $(i + 1) } }' "$RUN/rxq.now"
}

# sample_phase PHASE: while the guest's flows of PHASE run, measure vhu0's rx queue loads
# a few times; passes when queues 0 and 1 were both enabled and both carried load.
sample_phase() {
	local phase=$1 s q0=0 q1=0 m0=0 m1=0
	if ! wait_line "$RUN/mq.out" "vm-flows: start $phase" 180 "$pid"; then
		fail "phase $phase: the guest's flows did not start"
		show_vm mq
		return
	fi
	echo "    $(date +%T) phase $phase: the guest's flows started"
	# pmd-rxq-show's usage is that of the last full 10 s measurement (as Open vSwitch's), and
	# in phase 2 vireo-dp has just restarted: sample for up to 12 s of the guest's 15.
	for s in 2 2 2 2 2 2; do
		[ "$q0" = 1 ] && [ "$q1" = 1 ] && break
		sleep "$s"
		rxq_loads >"$RUN/loads" 2>&1	# no /dev/fd in the test host: no <(...)
		grep "rx queues:" "$RUN/loads"
		while read -r q u; do
			[ "$q" = 0 ] && [ "$u" -gt 0 ] && q0=1 && [ "$u" -gt "$m0" ] && m0=$u
			[ "$q" = 1 ] && [ "$u" -gt 0 ] && q1=1 && [ "$u" -gt "$m1" ] && m1=$u
		done <"$RUN/loads"
	done
	check "phase $phase: vireo-dp polls vhu0 rx queues 0 and 1, both enabled" \
		bash -c "grep -q 'port: vhu0 .*queue-id:  0 (enabled)' $RUN/rxq.log &&
			grep -q 'port: vhu0 .*queue-id:  1 (enabled)' $RUN/rxq.log"
	if [ "$q0" = 1 ] && [ "$q1" = 1 ]; then
		pass "phase $phase: guest traffic through both rx queues of vhu0 (pmd-rxq-show: up to $m0% and $m1% of the PMD)"
	else
		fail "phase $phase: rx queue loads: queue 0 busy=$q0, queue 1 busy=$q1"
		grep -A12 "pmd thread" "$RUN/rxq.log" | tail -n 24 | sed 's/^/    dp: /'
		show_dp
		sed 's/^/    mq: /' "$RUN/mq.err"
	fi
}

# flows_ok PHASE: both of the guest's flows of PHASE got replies, at most 5% lost (ping -A
# on a loaded test host; the one in flight at the deadline counts as lost).
flows_ok() {
	local cpu line ok=0
	for cpu in 0 1; do
		line=$(grep "vm-flow$1-cpu$cpu:" "$RUN/mq.out" | tr -d '\r')
		if [[ "$line" =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ packets\ received ]] &&
		   [ "${BASH_REMATCH[2]}" -gt 0 ] &&
		   [ $((BASH_REMATCH[2] * 100)) -ge $((BASH_REMATCH[1] * 95)) ]; then
			ok=$((ok + 1))
		fi
		echo "    ${line:-vm-flow$1-cpu$cpu: no summary}"
	done
	[ "$ok" -eq 2 ]
}

badinput "queues=0" "queues '0'" --net "vhost-user=$RUN/x.sock,queues=0"
badinput "queues=1000" "queues '1000'" --net "vhost-user=$RUN/x.sock,queues=1000"
badinput "queues=17" "queues '17'" --net "vhost-user=$RUN/x.sock,queues=17"
badinput "queues=two" "queues 'two'" --net "vhost-user=$RUN/x.sock,queues=two"

# --- vireo-dp: a namespace and a vhost-user port ----------------------------------------
netns_add ns1 10.0.0.1 02:00:00:00:00:01 || { fail "netns"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      vhu0: {type: dpdkvhostuser}
EOC
check "vireo-dp starts" start_dp "$RUN/dp.yaml" || finish

# --- a 2-vCPU guest with queues=2: two pairs, traffic on both, across a reconnect --------
timeout 400 "$VMM" --kernel "$K" --initramfs "$I" --cpus 2 --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vhu0,mac=52:54:00:00:00:0a,queues=2" \
	--cmdline "$CMDLINE vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=mq vt.secs=15 vt.reconnect=1 vt.go=10.0.0.9" \
	</dev/null >"$RUN/mq.out" 2>"$RUN/mq.err" &
pid=$!
PIDS+=("$pid")
sample_phase 1
# Each flow runs vt.secs; on a loaded nested test host the guest may print its summary a
# good while after that.
if ! wait_line "$RUN/mq.out" "vm-flows: done 1" 240 "$pid"; then
	fail "phase 1: the guest's flows did not end (vireo-vmm $(kill -0 "$pid" 2>/dev/null &&
		echo "still runs after 240 s" || echo "has exited"))"
	show_vm mq
	show_dp
else
	kill -KILL "$DP_PID"
	wait "$DP_PID" 2>/dev/null
	sleep 2
	mv "$RUN/dp.log" "$RUN/dp1.log"
	: >"$RUN/rxq.log"
	check "vireo-dp restarts" start_dp "$RUN/dp.yaml"
	# the guest's second phase starts when this address answers: now we are ready to look
	ip -n ns1 addr add 10.0.0.9/24 dev eth0
	sample_phase 2
fi
wait "$pid"
rc=$?
check "queues=2: vireo-vmm exits 0 (exit $rc)" test "$rc" -eq 0
if grep -q "vm-queues: rx-0 rx-1 tx-0 tx-1[[:space:]]*$" "$RUN/mq.out"; then
	pass "queues=2: the guest sees 2 queue pairs (rx-0 rx-1 tx-0 tx-1)"
else
	fail "queues=2: the guest's queues: $(grep vm-queues "$RUN/mq.out")"
	show_vm mq
fi
check "queues=2: the guest set 2 pairs in use through the control queue" \
	grep -q "guest uses 2 of 2 queue pairs" "$RUN/mq.err"
check "queues=2: the control queue stayed healthy" \
	bash -c "! grep -q 'control queue' $RUN/mq.err"
if flows_ok 1; then
	pass "phase 1: both flows (one per vCPU) got replies"
else
	fail "phase 1: flows"
	show_vm mq
fi
if grep -q 'gone, link down' "$RUN/mq.err" && grep -q 'vhu0 connected' "$RUN/mq.err"; then
	pass "reconnect: vireo-vmm saw vireo-dp go and come back"
else
	fail "reconnect: vireo-vmm saw vireo-dp go and come back"
	sed 's/^/    mq: /' "$RUN/mq.err"
	show_dp
fi
check "reconnect: the guest's ping resumed" grep -q "vm-ping: resumed" "$RUN/mq.out"
if flows_ok 2; then
	pass "phase 2 (after the reconnect): both flows got replies"
else
	fail "phase 2: flows"
	show_vm mq
fi
grep -E "vm-xps|vm-irq" "$RUN/mq.out" | sed 's/^/    /'

# --- a backend without multi-queue: queues=2 falls back to one pair ----------------------
cat >"$RUN/fake.py" <<'EOF'
# A vhost-user backend without VHOST_USER_F_PROTOCOL_FEATURES (so no MQ): answers the
# requests that need an answer and ignores the rest; exits when the frontend hangs up.
# Its first connection it closes on the first request, as a switch killed during the
# handshake (the frontend must come again).
import array, os, socket, struct, sys
FEATURES = (1 << 32) | (1 << 15) | (1 << 16) | (1 << 5)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
conn, _ = srv.accept()
conn.recv(12)
conn.close()
conn, _ = srv.accept()

def recv_exact(n):
    buf = b""
    while len(buf) < n:
        data, anc, _, _ = conn.recvmsg(n - len(buf), socket.CMSG_SPACE(64))
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(raw[: len(raw) - len(raw) % 4])
                for fd in fds:
                    os.close(fd)
        if not data:
            sys.exit(0)
        buf += data
    return buf

def reply(req, payload):
    conn.sendall(struct.pack("<III", req, 0x5, len(payload)) + payload)

while True:
    req, flags, size = struct.unpack("<III", recv_exact(12))
    payload = recv_exact(size) if size else b""
    if req == 1:
        reply(1, struct.pack("<Q", FEATURES))
    elif req == 11:
        reply(11, struct.pack("<II", struct.unpack("<I", payload[:4])[0], 0))
    elif flags & 0x8:
        reply(req, struct.pack("<Q", 0))
EOF
python3 "$RUN/fake.py" "$RUN/fake.sock" 2>"$RUN/fake.err" &
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$RUN/fake.sock" ] && break; sleep 0.1; done
timeout 300 "$VMM" --kernel "$K" --initramfs "$I" --cpus 2 --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/fake.sock,queues=2" \
	--cmdline "$CMDLINE vt.ip=10.0.0.5 vt.mode=queues" \
	</dev/null >"$RUN/one.out" 2>"$RUN/one.err"
rc=$?
check "no-MQ backend: vireo-vmm exits 0 (exit $rc)" test "$rc" -eq 0
check "no-MQ backend: queues=2 falls back to one pair, with a message" \
	grep -q "offers 1 queue pair, queues=2 asked: using 1" "$RUN/one.err"
check "a backend that hung up during the first handshake: vireo-vmm said so and came again" \
	grep -q "during the first handshake; retrying for up to" "$RUN/one.err"
if grep -q "vm-queues: rx-0 tx-0[[:space:]]*$" "$RUN/one.out"; then
	pass "no-MQ backend: the guest sees 1 queue pair"
else
	fail "no-MQ backend: the guest's queues: $(grep vm-queues "$RUN/one.out")"
	show_vm one
fi
finish

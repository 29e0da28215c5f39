#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp driven by unmodified ovs-ofctl: the management socket appears at
# RUNDIR/BRIDGE.mgmt; rules added with ovs-ofctl (1.0 + Nicira and 1.3) forward traffic
# between namespaces through net_af_packet ports; vireoctl and ovs-ofctl see one table;
# del-flows returns the bridge to MAC learning; malformed raw messages, a flood of
# connections and a peer that never reads leave vireo-dp serving.  Starts DPDK PMD threads:
# run it under `flock /tmp/vireo-heavy.lock`.
. "$(dirname "$0")/../dp/lib.sh"
TEST_NAME=openflow-dp

netns_add of1 10.97.0.1 02:00:00:00:02:01 || fail "netns"
netns_add of2 10.97.0.2 02:00:00:00:02:02 || fail "netns"
netns_add of3 10.97.0.3 02:00:00:00:02:03 || fail "netns"
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-of1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-of2"}}
      p3: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-of3"}}
  br1:
    ports: {}
EOC
# Another process already serves br1.mgmt in this directory: vireo-dp must leave it alone.
"$BUILD/tests/openflow/of_server" "$RUN/br1.mgmt" >/dev/null 2>&1 &
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$RUN/br1.mgmt" ] && break; sleep 0.1; done
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
for _ in $(seq 50); do [ -S "$RUN/br0.mgmt" ] && break; sleep 0.1; done
check "the OpenFlow socket is RUNDIR/br0.mgmt (other_config:openflow-rundir, set by lib.sh)" \
	test -S "$RUN/br0.mgmt"
export OVS_RUNDIR=$RUN
check "a live br1.mgmt of another process is not replaced (logged)" \
	grep -q "br1.mgmt is served by another process" "$RUN/dp.log"
check "... and still answers as that process (dpid 0x1234)" \
	bash -c "ovs-ofctl show br1 | grep -q 'dpid:0000000000001234'"

out=$(ovs-ofctl show br0 2>&1)
echo "$out" | head -12
check "ovs-ofctl show lists p1..p3" bash -c "[ \$(grep -cE ' [123]\\(p[123]\\): addr:' <<<'$out') = 3 ]"
check "ovs-ofctl add-flow in_port=1 -> 2 (1.0 default)" \
	ovs-ofctl add-flow br0 "priority=10,in_port=1,actions=output:2"
check "ovs-ofctl -O OpenFlow13 add-flow in_port=2 -> 1" \
	ovs-ofctl -O OpenFlow13 add-flow br0 "priority=10,in_port=2,actions=output:1"
check "p1 <-> p2 by rules from ovs-ofctl: ping 0% loss" ping_ok of1 10.97.0.2 10 0.05
check "p3 has no rule: of3 cannot reach of1" \
	bash -c "! ip netns exec of3 ping -q -c 2 -i 0.2 -W 1 10.97.0.1 >/dev/null"
dump=$(ovs-ofctl dump-flows br0)
echo "$dump"
check "ovs-ofctl dump-flows counts the p1 rule's packets" \
	grep -Eq "n_packets=[1-9][0-9]*, n_bytes=[1-9][0-9]*.*priority=10,in_port=1 actions=output:2" <<<"$dump"
check "mod-flows without reset_counts keeps the p1 rule's counters" bash -c \
	"ovs-ofctl -O OpenFlow13 mod-flows --strict br0 'priority=10,in_port=1,actions=output:2' &&
	 ovs-ofctl dump-flows br0 | grep -Eq 'n_packets=[1-9].*priority=10,in_port=1 '"
check "mod-flows reset_counts (1.3) zeroes them" bash -c \
	"ovs-ofctl -O OpenFlow13 mod-flows --strict br0 'reset_counts,priority=10,in_port=1,actions=output:2' &&
	 ovs-ofctl dump-flows br0 | grep -Eq 'n_packets=0, n_bytes=0,.*priority=10,in_port=1 '"
# set-frags: switch-wide, read back by get-frags on another connection.  (Whether fragments
# are dropped is not checked here: a 3000-byte ping does not pass these af_packet ports
# even with frags normal.)
check "set-frags drop, and get-frags on a new connection says drop" bash -c \
	"ovs-ofctl set-frags br0 drop && [ \"\$(ovs-ofctl get-frags br0)\" = drop ]"
check "set-frags normal, read back" bash -c \
	"ovs-ofctl set-frags br0 normal && [ \"\$(ovs-ofctl get-frags br0)\" = normal ]"
# A packet_out larger than a jumbo mbuf (12042 bytes: a chain of mbufs) runs whole: output:
# TABLE meets a rule that counts it, bytes and all.
BIG=0200000002020200000002990800450000000000400040110000$(printf '0a6100630a610002%s' \
	"00091e6100000000")$(head -c 12000 /dev/zero | od -An -v -tx1 | tr -d ' \n')
check "a 12042-byte packet-out through the table reaches its rule" bash -c \
	"ovs-ofctl add-flow br0 'priority=60,udp,tp_dst=7777,actions=drop' &&
	 ovs-ofctl packet-out br0 'in_port=1,packet=$BIG,actions=output:TABLE' &&
	 sleep 0.5 &&
	 ovs-ofctl dump-flows br0 | grep -q 'n_packets=1, n_bytes=12042,.*tp_dst=7777' &&
	 ovs-ofctl del-flows --strict br0 'priority=60,udp,tp_dst=7777'"
vdump=$(ctl dump-flows br0)
check "vireoctl dump-flows shows the rules ovs-ofctl added (one table)" \
	bash -c "[ \$(grep -c 'priority=10' <<<'$vdump') = 2 ]"
cat >"$RUN/more.flows" <<'EOC'
priority=20,in_port=3,actions=output:1
priority=30,in_port=1,arp,arp_tpa=10.97.0.3,actions=output:3
priority=30,in_port=1,ip,nw_dst=10.97.0.3,actions=output:3
EOC
check "ovs-ofctl -O OpenFlow15 --bundle add-flows FILE (one update)" \
	ovs-ofctl -O OpenFlow15 --bundle add-flows br0 "$RUN/more.flows"
# of3 failed to resolve of1 above: a fresh resolution, not the tail of that failed one.
ip -n of3 neigh flush all
check "of3 reaches of1 through the bundled rules" ping_ok of3 10.97.0.1 5 0.1
check "vireoctl add-flow shows in ovs-ofctl dump-flows" bash -c \
	"'$VIREOCTL' -t '$CTL' add-flow br0 'priority=5,in_port=2,udp,tp_dst=9,actions=drop' &&
	 ovs-ofctl dump-flows br0 | grep -q 'priority=5,udp,in_port=2,tp_dst=9 actions=drop'"
out=$(ovs-ofctl dump-ports br0 1)
check "ovs-ofctl dump-ports br0 1 counts traffic" grep -Eq "rx pkts=[1-9]" <<<"$out"
agg=$(ovs-ofctl -O OpenFlow13 dump-aggregate br0)
check "dump-aggregate: 6 rules ($agg)" grep -q "flow_count=6" <<<"$agg"
check "mod-flows --strict through OpenFlow redirects of3's traffic" \
	ovs-ofctl mod-flows --strict br0 "priority=20,in_port=3,actions=drop"
check "of3 no longer reaches of1" \
	bash -c "! ip netns exec of3 ping -q -c 2 -i 0.2 -W 1 10.97.0.1 >/dev/null"

# A raw OpenFlow peer for the scripts below: connect(path, version, timeout) reads the
# switch's hello, sends one offering only 'version', and returns the socket and a reader of
# whole messages.
cat >"$RUN/ofpeer.py" <<'EOP'
import socket, struct
def connect(path, version, timeout):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(timeout)
    def msg():
        h = b''
        while len(h) < 8:
            h += s.recv(8 - len(h))
        n = struct.unpack('!H', h[2:4])[0]
        b = h
        while len(b) < n:
            b += s.recv(n - len(b))
        return b
    msg()                                                 # its hello
    s.sendall(struct.pack('!BBHIHHI', version, 0, 16, 1, 1, 8, 1 << version))
    return s, msg
EOP
# Malformed messages written raw: errors come back, the connection and the table stay.
cat >"$RUN/raw.py" <<'EOP'
import struct, sys
from ofpeer import connect
s, msg = connect(sys.argv[1], 4, 5)
bad = [
    struct.pack('!BBHI', 4, 99, 8, 2),                    # unknown type
    struct.pack('!BBHI', 4, 14, 40, 3) + bytes(32),       # flow_mod too short
    struct.pack('!BBHIQQBBHHHIIIHH', 4, 14, 64, 4, 0, 0, 0, 0, 0, 0, 9, 0xffffffff,
                0xffffffff, 0xffffffff, 0, 0) + struct.pack('!HH', 1, 200) + bytes(12),
    struct.pack('!BBHIHHI', 4, 18, 16, 5, 99, 0, 0),      # unknown multipart
]
for m in bad:
    s.sendall(m)
    r = msg()
    ok = r[1] == 1 and r[4:8] == m[4:8] and r[12:12 + min(64, len(m))] == m[:64]
    print('error %d,%d for xid %d: %s' % (struct.unpack('!H', r[8:10])[0],
          struct.unpack('!H', r[10:12])[0], struct.unpack('!I', m[4:8])[0], ok))
    if not ok:
        sys.exit(1)
s.sendall(struct.pack('!BBHI', 4, 2, 8, 6))
r = msg()
sys.exit(0 if r[1] == 3 else 1)
EOP
check "raw malformed messages: errors quoting them, then an echo is answered" \
	python3 "$RUN/raw.py" "$RUN/br0.mgmt"
agg=$(ovs-ofctl dump-aggregate br0)
check "the table is as it was after them ($agg)" grep -q "flow_count=6" <<<"$agg"

# A bundle streams in: its messages gather while vireo-dp's main thread rests from the
# connection, and are read in batches (a wakeup per message would be two context switches
# a message: most of the cost when ovs-ofctl shares the main thread's core).
for i in $(seq 0 19999); do
	echo "table=9,priority=1,udp,nw_src=10.1.$((i >> 8)).$((i & 255)),tp_dst=$((i % 7)),actions=drop"
done >"$RUN/big.flows"
wakeups() { awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$DP_PID/task/$DP_PID/status"; }
# ovs-ofctl on the main thread's core, as where the PMDs have the others.
main_cpu=$(taskset -pc "$DP_PID" | sed 's/.*: *//; s/[,-].*//')
w0=$(wakeups)
check "ovs-ofctl -O OpenFlow14 --bundle add-flows of 20000 rules (on CPU $main_cpu)" \
	taskset -c "$main_cpu" ovs-ofctl -O OpenFlow14 --bundle add-flows br0 "$RUN/big.flows"
w1=$(wakeups)
agg=$(ovs-ofctl dump-aggregate br0 table=9)
check "all 20000 bundled rules are in table 9 ($agg)" grep -q "flow_count=20000" <<<"$agg"
rests=$(ctl openflow/show br0 | sed -n 's/.*bundle reads deferred to batch them: \([0-9]*\).*/\1/p')
check "the main thread read them in batches (${rests:-no} deferrals, $((w1 - w0)) context switches)" \
	test "${rests:-0}" -gt 0
check "del-flows table=9" ovs-ofctl del-flows br0 table=9
# An open bundle never holds up the connection's other requests.
cat >"$RUN/open_bundle.py" <<'EOP'
import struct, sys, time
from ofpeer import connect
s, msg = connect(sys.argv[1], 5, 2)
# bundle_control OPEN_REQUEST, bundle 7, atomic: OPEN_REPLY
s.sendall(struct.pack('!BBHIIHH', 5, 33, 16, 2, 7, 0, 1))
r = msg()
if r[1] != 33 or struct.unpack('!H', r[12:14])[0] != 1:
    sys.exit('no OPEN_REPLY: %r' % r)
for xid in range(3, 13):
    t = time.time()
    s.sendall(struct.pack('!BBHI', 5, 2, 8, xid))         # echo_request
    r = msg()
    if r[1] != 3 or struct.unpack('!I', r[4:8])[0] != xid:
        sys.exit('no echo_reply for xid %d: %r' % (xid, r))
    if time.time() - t > 0.5:
        sys.exit('echo %d answered after %.3f s' % (xid, time.time() - t))
    time.sleep(0.05)
s.sendall(struct.pack('!BBHIIHH', 5, 33, 16, 13, 7, 4, 1))  # DISCARD_REQUEST
r = msg()
sys.exit(0 if r[1] == 33 and struct.unpack('!H', r[12:14])[0] == 5 else 'no DISCARD_REPLY')
EOP
check "with a bundle open, ten echo requests are each answered within 0.5 s" \
	python3 "$RUN/open_bundle.py" "$RUN/br0.mgmt"

# 80 connections at once: 64 are served, the others closed; then a peer that never reads.
cat >"$RUN/flood.py" <<'EOP'
import socket, struct, sys, time
path, hold, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
conns = []
for i in range(80):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    conns.append(c)
served = refused = 0
for c in conns:
    c.settimeout(5)
    try:
        served += 1 if len(c.recv(16)) > 0 else 0
        refused += 0
    except OSError:
        pass
time.sleep(0.5)
for c in conns:
    c.setblocking(False)
    try:
        if c.recv(16) == b'':
            refused += 1
    except OSError:
        pass
print('flood: %d served, %d closed' % (served, refused))
time.sleep(1)
for c in conns:
    c.close()
time.sleep(0.5)
# A peer that asks for table statistics (6 kB replies) and never reads them.
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.setblocking(False)
hello = struct.pack('!BBHIHHI', 4, 0, 16, 1, 1, 8, 0x10)
req = struct.pack('!BBHIHHI', 4, 18, 16, 7, 3, 0, 0)
sent = 0
s.send(hello)
deadline = time.time() + 5
while sent < 20000 and time.time() < deadline:
    try:
        s.send(req)
        sent += 1
    except BlockingIOError:
        time.sleep(0.01)
print('non-reading peer: %d of 20000 requests taken' % sent)
open(out, 'w').write('%d %d %d\n' % (served, refused, sent))
time.sleep(hold)
EOP
python3 "$RUN/flood.py" "$RUN/br0.mgmt" 4 "$RUN/flood.out" &
FLOOD=$!
# The peer writes its counts, then holds its unread connection for 4 s: the next two checks
# run in that time.
wait_until 20 test -s "$RUN/flood.out"
check "vireoctl answers while a peer does not read" ctl version
check "ovs-ofctl is served while a peer does not read" ovs-ofctl dump-desc br0
wait "$FLOOD"
read -r served refused sent <"$RUN/flood.out"
check "of 80 connections at once, 64 are served and 16 closed ($served, $refused)" \
	test "$served" = 64 -a "$refused" = 16
check "vireo-dp logged the refused connections" grep -q "more than 64 connections" "$RUN/dp.log"
# 20000 requests are 320 kB, more than the socket buffers hold: only a vireo-dp that goes on
# reading (and queueing a 6 kB reply for each) takes them all.
check "a peer that never reads is not read either ($sent of 20000 requests taken)" \
	test "$sent" -lt 20000
check "ovs-ofctl works after the flood" ovs-ofctl dump-desc br0

check "ovs-ofctl del-flows empties the table" ovs-ofctl del-flows br0
# The Geneve option table over OpenFlow is vireo-dp's own (the one its geneve ports decode
# with, dp-geneve): what ovs-ofctl maps, vireoctl shows, and the other way round.
check "ovs-ofctl add-tlv-map (OVN's option to tun_metadata0)" \
	ovs-ofctl add-tlv-map br0 "{class=0x0102,type=0x80,len=4}->tun_metadata0"
check "vireoctl dump-tlv-map shows it" \
	bash -c "'$VIREOCTL' -t '$CTL' dump-tlv-map br0 | grep -q '0x102.*0x80.*4.*tun_metadata0'"
check "vireoctl add-tlv-map; ovs-ofctl dump-tlv-map shows both" \
	bash -c "'$VIREOCTL' -t '$CTL' add-tlv-map br0 '{class=0xffff,type=3,len=4}->tun_metadata1' &&
		ovs-ofctl dump-tlv-map br0 | grep -q '0xffff *0x3 *4 *tun_metadata1' &&
		ovs-ofctl dump-tlv-map br0 | grep -q '0x102 *0x80 *4 *tun_metadata0'"
check "a rule on tun_metadata1 from ovs-ofctl" \
	ovs-ofctl add-flow br0 "priority=1,tun_metadata1=0x7,actions=drop"
out=$(ovs-ofctl del-tlv-map br0 2>&1)
check "the table cannot be cleared under that rule (NXTTMFC_INVALID_TLV_DEL)" \
	grep -q "NXTTMFC_INVALID_TLV_DEL" <<<"$out"
check "del-flows, then del-tlv-map clears the table" \
	bash -c "ovs-ofctl del-flows br0 && ovs-ofctl del-tlv-map br0 &&
		! ovs-ofctl dump-tlv-map br0 | grep -q tun_metadata"
show=$(ctl show)
check "an empty table from OpenFlow returns the bridge to MAC learning" \
	grep -q "no flows (MAC learning)" <<<"$show"
check "MAC learning forwards of3 <-> of2" ping_ok of3 10.97.0.2 5 0.1

# other_config:datapath-id, given by a reload: the features reply carries it.
dpid0=$(ovs-ofctl show br0 | grep -o 'dpid:[0-9a-f]*')
sed -i 's/^  br0:$/  br0:\n    other_config: {datapath-id: "00000000000000b0"}/' "$RUN/dp.yaml"
kill -HUP "$DP_PID"
check "other_config:datapath-id by a reload: ovs-ofctl show says dpid:00000000000000b0 ($dpid0 before)" \
	wait_until 10 bash -c "ovs-ofctl show br0 | grep -q 'dpid:00000000000000b0'"
check "... and the log says so" grep -q "bridge br0: datapath ID 00000000000000b0" "$RUN/dp.log"
stop_dp
check "the socket is removed at exit" test ! -e "$RUN/br0.mgmt"
finish

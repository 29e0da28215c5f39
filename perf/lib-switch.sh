#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by perf/p2p and perf/flows: the rule sets, starting and stopping Open vSwitch with
# DPDK and vireo-dp with two dpdkvhostuser ports each, SCHED_FIFO for measured threads.
# The caller sets W (a private run directory), RT (1: real-time PMDs), BUILD, and PIDS;
# VIREO_BRIDGE_EXTRA, when set, is YAML put under vireo-dp's br0 (indented four spaces).
#
# PORTS selects the two ports of each switch (the same for both switches):
#   vhost  dpdkvhostuser ports vhu0 and vhu1, driven by a generator over virtio_user;
#   pcap   dpdk ports p0 and p1 on net_pcap vdevs that replay $W/pcap-p0.pcap and
#          $W/pcap-p1.pcap forever (infinite_rx) and drop what is sent to them: a "NIC"
#          whose receive costs one copy and whose transmit costs a free, so that the switch
#          itself is the bottleneck and its cycles per packet are its own work (as on a
#          physical NIC), not rte_vhost's.
# The rule sets bond-tcp and bond-slb (pcap only) make the first port a bond "bond0" of two
# dpdk members b0 and b1 (bond_mode balance-tcp with lacp=active, or balance-slb) that
# replay $W/pcap-b0.pcap and $W/pcap-b1.pcap (or pcap-s0/s1: perf/bond-pcap.py), with no
# rules: NORMAL, since only NORMAL sends through Open vSwitch's bond hashing (its members
# are OpenFlow ports of their own).
PORTS=${PORTS:-vhost}
port_names() { if [ "$PORTS" = pcap ]; then P0=p0 P1=p1; else P0=vhu0 P1=vhu1; fi; }
port_names
# bond_of SET: the bond_mode of a bond set ("" for the others).
bond_of() { case $1 in bond-tcp) echo balance-tcp ;; bond-slb) echo balance-slb ;; esac; }
# bond_member_devargs SET M: member M's net_pcap (vdev names 2 and 3: p0 and p1 have 0, 1).
bond_member_devargs() {
	local f=b
	[ "$1" = bond-slb ] && f=s
	echo "net_pcap$(($2 + 2)),rx_pcap=$W/pcap-$f$2.pcap,infinite_rx=1"
}

OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
TSC_HZ=$(awk '/^cpu MHz/ { printf "%.0f", $4 * 1e6; exit }' /proc/cpuinfo)

# --- rule sets (ovs-ofctl syntax, port names) ------------------------------------------
rules_inport() {
	echo "priority=10,in_port=$P0,actions=output:$P1"
	echo "priority=10,in_port=$P1,actions=output:$P0"
}
rules_rewrite() { # a router's rewrite of both Ethernet addresses on the way through
	echo "priority=10,in_port=$P0,actions=mod_dl_src:02:00:00:00:01:01,mod_dl_dst:02:00:00:00:01:02,output:$P1"
	echo "priority=10,in_port=$P1,actions=mod_dl_src:02:00:00:00:01:02,mod_dl_dst:02:00:00:00:01:01,output:$P0"
}
rules_l3() { # 800 drop rules over 4 masks that the traffic never matches, then forwarding
	for i in $(seq 0 199); do
		echo "priority=100,ip,nw_dst=10.$((i / 250)).$((i % 250)).0/24,actions=drop"
		echo "priority=90,ip,nw_src=172.16.$((i % 250)).$((i / 250))/32,actions=drop"
		echo "priority=80,udp,tp_dst=$((1000 + i)),actions=drop"
		echo "priority=70,ip,nw_src=192.168.$((i % 250)).0/24,nw_dst=192.169.0.0/16,actions=drop"
	done
	echo "priority=1,in_port=$P0,actions=output:$P1"
	echo "priority=1,in_port=$P1,actions=output:$P0"
}

# rt PID REGEX: give the threads of PID whose name matches SCHED_FIFO priority 50, so that
# the other jobs of a shared machine cannot preempt the measured loop (the kernel's RT
# throttling still leaves them 5% of the core).  Both switches get the same treatment.
rt() {
	local t
	for t in /proc/"$1"/task/*; do
		if grep -Eq "$2" "$t/comm" 2>/dev/null; then
			chrt -f -p 50 "$(basename "$t")" 2>/dev/null
		fi
	done
}

# RULES_FILE, when set, replaces the named rule set.
rules_for() {
	case $1 in
	inport) rules_inport ;;
	l3) rules_l3 ;;
	rewrite) rules_rewrite ;;
	normal|vlan|bond-*) : ;;
	file) cat "$RULES_FILE" ;;
	esac
}

pcap_devargs() { echo "net_pcap$1,rx_pcap=$W/pcap-p$1.pcap,infinite_rx=1"; }

# --- Open vSwitch -----------------------------------------------------------------------
ovs_start() { # ovs_start SET
	local d=$W/ovs
	mkdir -p "$d"
	# The netdev datapath's tap devices, left behind by an ovs-vswitchd that was killed,
	# make the next one fail to create its bridge.
	if ! pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null; then
		ip link del ovs-netdev 2>/dev/null
		ip link del br0 2>/dev/null
	fi
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
	ovsdb-tool create "$d/conf.db" "$SCHEMA" >/dev/null
	ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --unixctl="$d/ovsdb.ctl" \
		--pidfile="$d/ovsdb.pid" --log-file="$d/ovsdb.log" --detach -vconsole:off 2>/dev/null || return 1
	PIDS+=("$(cat "$d/ovsdb.pid")")
	VS="ovs-vsctl --db=unix:$d/db.sock"
	$VS --no-wait init
	$VS --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
		"other_config:dpdk-extra=--file-prefix=p2povs$$ --no-pci" \
		other_config:dpdk-socket-mem=1024
	# OVS_OTHER_CONFIG: more "other_config:KEY=VALUE" words (VIREO_OTHER_CONFIG's twin).
	[ -n "${OVS_OTHER_CONFIG:-}" ] && $VS --no-wait set Open_vSwitch . $OVS_OTHER_CONFIG
	"$OVS_VSWITCHD" "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" \
		--unixctl="$d/vswitchd.ctl" --log-file="$d/vswitchd.log" --detach \
		-vconsole:off 2>/dev/null || return 1
	PIDS+=("$(cat "$d/vswitchd.pid")")
	$VS add-br br0 -- set bridge br0 datapath_type=netdev
	port_names
	if [ -n "$(bond_of "$1")" ]; then
		$VS add-bond br0 bond0 b0 b1 -- set Interface b0 type=dpdk ofport_request=1 \
			"options:dpdk-devargs=$(bond_member_devargs "$1" 0)" \
			-- set Interface b1 type=dpdk ofport_request=3 \
			"options:dpdk-devargs=$(bond_member_devargs "$1" 1)" \
			-- set Port bond0 bond_mode="$(bond_of "$1")" \
			lacp="$([ "$1" = bond-tcp ] && echo active || echo off)"
		$VS add-port br0 p1 -- set Interface p1 type=dpdk ofport_request=2 \
			"options:dpdk-devargs=$(pcap_devargs 1)"
	elif [ "$PORTS" = pcap ]; then
		$VS add-port br0 p0 -- set Interface p0 type=dpdk ofport_request=1 \
			"options:dpdk-devargs=$(pcap_devargs 0)"
		$VS add-port br0 p1 -- set Interface p1 type=dpdk ofport_request=2 \
			"options:dpdk-devargs=$(pcap_devargs 1)"
	else
		# VHOST_MTU: jumbo frames need it on both switches (Open vSwitch sizes its
		# buffers by it and drops longer frames).
		$VS add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuser ofport_request=1 \
			${VHOST_MTU:+mtu_request=$VHOST_MTU}
		$VS add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuser ofport_request=2 \
			${VHOST_MTU:+mtu_request=$VHOST_MTU}
	fi
	# vlan: NORMAL with both ports access ports of VLAN 100 (per-VLAN MAC learning).
	if [ "$1" = vlan ]; then
		$VS set Port "$P0" tag=100 -- set Port "$P1" tag=100
	fi
	rules_for "$1" >"$W/rules"
	if [ -s "$W/rules" ]; then
		ovs-ofctl del-flows br0
		ovs-ofctl add-flows br0 "$W/rules"
	fi
	APPCTL=(ovs-appctl -t "$d/vswitchd.ctl")
	OVS_DIR=$d
	if [ "$RT" = 1 ]; then rt "$(cat "$d/vswitchd.pid")" "^pmd"; fi
}
ovs_stop() {
	ovs-appctl -t "$OVS_DIR/vswitchd.ctl" exit >/dev/null 2>&1
	ovs-appctl -t "$OVS_DIR/ovsdb.ctl" exit >/dev/null 2>&1
	sleep 1
	rm -rf "$OVS_DIR" /dev/hugepages/p2povs*
	unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR
}

# --- vireo-dp ---------------------------------------------------------------------------
vireo_start() { # vireo_start SET
	local d=$W/vireo
	mkdir -p "$d"
	{
		cat <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x2"
  dpdk-socket-mem: "1024"
  dpdk-extra: "--file-prefix=p2pvireo$$ --no-pci"
  vhost-sock-dir: $d
${VIREO_OTHER_CONFIG:-}
bridges:
  br0:
${VIREO_BRIDGE_EXTRA:-}
    ports:
EOC
		port_names
		local tag=
		[ "$1" = vlan ] && tag=", tag: 100"
		if [ -n "$(bond_of "$1")" ]; then
			echo "      bond0:"
			echo "        bond_mode: $(bond_of "$1")"
			[ "$1" = bond-tcp ] && echo "        lacp: active"
			echo "        interfaces:"
			echo "          b0: {type: dpdk, options: {dpdk-devargs: \"$(bond_member_devargs "$1" 0)\"}}"
			echo "          b1: {type: dpdk, options: {dpdk-devargs: \"$(bond_member_devargs "$1" 1)\"}}"
			echo "      p1: {type: dpdk, ofport_request: 2, options: {dpdk-devargs: \"$(pcap_devargs 1)\"}}"
		elif [ "$PORTS" = pcap ]; then
			echo "      p0: {type: dpdk, ofport_request: 1$tag, options: {dpdk-devargs: \"$(pcap_devargs 0)\"}}"
			echo "      p1: {type: dpdk, ofport_request: 2$tag, options: {dpdk-devargs: \"$(pcap_devargs 1)\"}}"
		else
			echo "      vhu0: {type: dpdkvhostuser, ofport_request: 1$tag${VHOST_MTU:+, mtu_request: $VHOST_MTU}}"
			echo "      vhu1: {type: dpdkvhostuser, ofport_request: 2$tag${VHOST_MTU:+, mtu_request: $VHOST_MTU}}"
		fi
		if [ "$1" != normal ] && [ "$1" != vlan ] && [ -z "$(bond_of "$1")" ]; then
			echo "    flows:"
			rules_for "$1" | sed 's/^/      - "/; s/$/"/'
		fi
	} >"$d/vireo.yaml"
	"${VIREO_BIN:-$BUILD/dataplane/vireo-dp}" --config "$d/vireo.yaml" --control "$d/dp.ctl" \
		>"$d/dp.log" 2>&1 &
	VIREO_PID=$!
	PIDS+=("$VIREO_PID")
	for _ in $(seq 100); do
		if [ "$PORTS" = pcap ]; then
			"$BUILD/control/vireoctl" -t "$d/dp.ctl" dpif-netdev/pmd-rxq-show 2>/dev/null |
				grep -q p1 && break
		else
			[ -S "$d/vhu1" ] && break
		fi
		sleep 0.1
	done
	APPCTL=(ovs-appctl -t "$d/dp.ctl")
	VIREO_DIR=$d
	if [ "$RT" = 1 ]; then rt "$VIREO_PID" "^pmd"; fi
}
vireo_stop() {
	kill -TERM "$VIREO_PID"
	wait "$VIREO_PID" 2>/dev/null
	rm -rf "$VIREO_DIR" /dev/hugepages/p2pvireo*
}

# pmd_rate APPCTL-CMD...: Mpps and cycles/packet from the PMD's counters; prints "MPPS CYCLES".
pmd_rate() {
	local stats cyc pk tot
	stats=$("$@" dpif-netdev/pmd-stats-show)
	cyc=$(sed -n 's/^  avg processing cycles per packet: \([0-9.]*\).*/\1/p' <<<"$stats" | head -1)
	pk=$(sed -n 's/^  packets received: \([0-9]*\)$/\1/p' <<<"$stats" | head -1)
	tot=$(sed -n 's/^  avg cycles per packet: [0-9.]* (\([0-9]*\)\/.*/\1/p' <<<"$stats" | head -1)
	awk -v p="${pk:-0}" -v t="${tot:-0}" -v hz="$TSC_HZ" -v c="${cyc:-0}" \
		'BEGIN { printf "%.2f %.2f\n", (t > 0) ? p / (t / hz) / 1e6 : 0, c }'
}

# pcap_rate APPCTL-CMD...: with pcap ports the switch generates its own load: warm up
# (${WARM:-3} s), clear, measure for $SECS s; prints "MPPS CYCLES".
pcap_rate() {
	sleep "${WARM:-3}"
	"$@" dpif-netdev/pmd-stats-clear >/dev/null
	sleep "$SECS"
	pmd_rate "$@"
}

# switch_start ovs|vireo|base SET / switch_stop ovs|vireo|base: a switch with rule set SET
# ("base": vireo-dp from the build directory $AGAINST, to compare two builds in one run);
# afterwards APPCTL and SW_DIR (its vhost socket directory) describe the one running.
switch_start() {
	SW=$1
	case $1 in
	ovs)
		ovs_start "$2" || return 1
		SW_DIR=$OVS_DIR
		;;
	base)
		VIREO_BIN=$AGAINST/dataplane/vireo-dp vireo_start "$2"
		SW_DIR=$VIREO_DIR
		;;
	*)
		vireo_start "$2"
		SW_DIR=$VIREO_DIR
		;;
	esac
	bond_wait "$2"
}
# bond_wait SET: for a bond set, wait (up to 60 s) until bond/show has both members enabled
# (balance-tcp: LACP negotiated with the replayed partner); prints bond/show when not.
bond_wait() {
	local i
	[ -n "$(bond_of "$1")" ] || return 0
	for i in $(seq 600); do
		[ "$("${APPCTL[@]}" bond/show bond0 2>/dev/null | grep -c '^member b[01]: enabled')" -eq 2 ] &&
			return 0
		sleep 0.1
	done
	echo "p2p: bond0 of $1: not both members enabled after 60 s" >&2
	"${APPCTL[@]}" bond/show bond0 >&2
	"${APPCTL[@]}" lacp/show bond0 >&2
	if [ "$SW" != ovs ] && [ -f "${VIREO_DIR:-}/dp.log" ]; then tail -n 20 "$VIREO_DIR/dp.log" >&2; fi
	return 1
}
switch_stop() { if [ "$1" = ovs ]; then ovs_stop; else vireo_stop; fi; }

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the tunnel tests (vxlan, geneve, gtpu, tnl6) share, on top of lib.sh and
# ../ovsdb/lib-ovsdb.sh: the underlay bridge $BP (its internal port of the same name holds
# the host's underlay address; "phy" is namespace $U's veth) and the overlay bridge $BN
# ("vm" is namespace $V's veth, plus the test's tunnel ports), from YAML or ovs-vsctl; the
# internal port's address; `--check` refusals.

# tnl_yaml PORT...: the YAML of the two bridges, each PORT a YAML line of $BN's ports
# ("vx0: {type: vxlan, ...}").  A test may append more bridges.
tnl_yaml() {
	other_config
	cat <<EOC
bridges:
  $BP:
    ports:
      $BP: {type: internal}
      phy: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$U"}}
  $BN:
    ports:
      vm: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$V"}}
EOC
	printf '      %s\n' "$@"
}

# tnl_vsctl_bridges ARG...: the same two bridges through ovs-vsctl, ARGs appended to the
# command (the tunnel port: -- add-port "$BN" ...).
tnl_vsctl_bridges() {
	vsctl add-br "$BP" -- set bridge "$BP" datapath_type=netdev \
		-- add-port "$BP" phy -- set Interface phy type=dpdk \
		options:dpdk-devargs="net_af_packet1,iface=v-$U" \
		-- add-br "$BN" -- set bridge "$BN" datapath_type=netdev \
		-- add-port "$BN" vm -- set Interface vm type=dpdk \
		options:dpdk-devargs="net_af_packet2,iface=v-$V" "$@"
}

# tnl_underlay_up ADDR/LEN [nodad]: once vireo-dp has made the internal port $BP, give it
# the host's underlay address and set it up.
tnl_underlay_up() {
	wait_until 10 ip link show "$BP" >/dev/null 2>&1 &&
		ip addr add "$@" dev "$BP" && ip link set "$BP" up
}

# refused TYPE OPTIONS PATTERN: `vireo-dp --check` of one port of TYPE with OPTIONS (YAML
# flow mapping contents) prints PATTERN (its output is kept in $RUN/bad.out).
refused() {
	printf "bridges:\n  b:\n    ports:\n      t: {type: %s, options: {%s}}\n" "$1" "$2" \
		>"$RUN/bad.yaml"
	"$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1 | tee "$RUN/bad.out" | grep -q "$3"
}

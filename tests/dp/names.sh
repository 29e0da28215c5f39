#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Port and bridge names are kept whole, on every path (YAML, vireoctl add-port, OVSDB):
# two names that share their first 15 characters are two ports, a port is deleted by its
# full name, and a name too long to keep is refused with a message instead of shortened.
. "$(dirname "$0")/lib.sh"

A=vhost-user-client-port-0001	# 27 characters: the first 15 are shared with B
B=vhost-user-client-port-0002
LONGBR=bridge-with-a-long-name-for-tenant-7
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  $LONGBR:
    ports:
      $A: {type: dpdkvhostuser}
EOC
check "vireo-dp starts with a 27-character port and a 36-character bridge" start_dp "$RUN/dp.yaml"
check "the YAML port keeps its whole name" grep -q "port $A: ofport 1" <(ctl show)
check "the bridge keeps its whole name" grep -q "bridge $LONGBR:" <(ctl show)
check "its socket is named after the whole name" test -S "$RUN/$A"

out=$(ctl add-port "$LONGBR" "$B" type=dpdkvhostuser 2>&1)
check "add-port of a name sharing 15 characters ($out)" test -z "$out"
check "both ports exist" test "$(ctl show | grep -c 'port vhost-user-client-port-000[12]: ofport [12],')" -eq 2
check "both sockets exist" test -S "$RUN/$B" -a -S "$RUN/$A"

out=$(ctl del-port "$LONGBR" "$A" 2>&1)
check "del-port by the whole name ($out)" test -z "$out"
check "only the deleted port is gone" bash -c "! grep -q 'port $A:' <(\"$VIREOCTL\" -t \"$CTL\" show) && grep -q 'port $B:' <(\"$VIREOCTL\" -t \"$CTL\" show)"
check "its socket is gone, the other's stays" test ! -e "$RUN/$A" -a -S "$RUN/$B"

huge=$(printf 'x%.0s' $(seq 256))
out=$(ctl add-port "$LONGBR" "$huge" type=dpdkvhostuser 2>&1)
rc=$?
check "a 256-character name is refused (exit $rc)" test "$rc" -ne 0
check "... with a message saying why" grep -q "at most 255" <<<"$out"
check "... and nothing changed" test "$(ctl show | grep -c '    port ')" -eq 1

out=$(ctl add-port "$LONGBR" "a/b" type=dpdkvhostuser 2>&1)
check "a dpdkvhostuser name with '/' gets an error, not a socket elsewhere" \
	bash -c "\"$VIREOCTL\" -t \"$CTL\" show | grep -A1 'port a/b:' | grep -q \"error: .*'/'\""
check "no socket outside the socket directory" test ! -e "$RUN/a"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The vhost-user frontend (vhost/vu_*) against vireo-dp: vu_dp_test plays three tiny
# virtio-net guests on one bridge (two dpdkvhostuser ports, one dpdkvhostuserclient port
# whose server is the frontend), and starts, kills and restarts vireo-dp itself.
# usage: vu_dp.sh [--ring-alone]  (see tests/vhost/vu_dp_test.c)
. "$(dirname "$0")/../dp/lib.sh"

cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      vhu0: {type: dpdkvhostuser}
      vhu1: {type: dpdkvhostuser}
      vhc2: {type: dpdkvhostuserclient, options: {vhost-server-path: $RUN/vm2.sock}}
EOC
"${VU_BIN:-$BUILD/tests/vhost}/vu_dp_test" "$RUN" "$@" -- "$VIREO_DP" --config "$RUN/dp.yaml" --control "$CTL"
rc=$?
if [ $rc -ne 0 ]; then
	echo "--- vireo-dp log"
	grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -40
	fail "vu_dp_test exited with $rc"
else
	pass "vu_dp_test"
fi
finish

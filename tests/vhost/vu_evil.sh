#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A misbehaving vhost-user frontend against vireo-dp: vu_evil_test abuses port vhu2 with
# bad rings and bad messages while two sane test NICs forward through vhu0 and vhu1; vireo-dp
# must survive every case and keep forwarding (see tests/vhost/vu_evil.c).  No KVM needed.
# usage: vu_evil.sh   (VIREO_BUILD=build directory)
. "$(dirname "$0")/../dp/lib.sh"

cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      vhu0: {type: dpdkvhostuser}
      vhu1: {type: dpdkvhostuser}
      vhu2: {type: dpdkvhostuser}
EOC
"${VU_BIN:-$BUILD/tests/vhost}/vu_evil_test" "$RUN" -- "$VIREO_DP" --config "$RUN/dp.yaml" \
	--control "$CTL"
rc=$?
if [ $rc -ne 0 ]; then
	echo "--- vireo-dp log"
	grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -40
	fail "vu_evil_test exited with $rc"
else
	pass "vu_evil_test"
fi
grep "refused" "$RUN/dp.log" | sed 's/^/    dp: /'
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The vhost-user frontend (vhost/vu_*) against a foreign backend: testpmd's net_vhost port
# (macswap), with testpmd as server and as client; vu_testpmd_test starts, kills and
# restarts testpmd itself.
. "$(dirname "$0")/../dp/lib.sh"

command -v dpdk-testpmd >/dev/null || skip_all "no dpdk-testpmd"
"${VU_BIN:-$BUILD/tests/vhost}/vu_testpmd_test" "$RUN" "${PREFIX}tp"
rc=$?
if [ $rc -ne 0 ]; then
	echo "--- testpmd log"
	tail -40 "$RUN/testpmd.log"
	fail "vu_testpmd_test exited with $rc"
else
	pass "vu_testpmd_test"
fi
finish

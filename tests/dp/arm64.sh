#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp and vireoctl built for arm64 pass the same integration tests as on x86, run
# unchanged inside the arm64 test host (scripts/testhost --arch arm64, TCG): net_af_packet
# ports between namespaces with MAC learning and ovs-appctl (afpacket.sh), OpenFlow rules
# (flows.sh), dpdkvhostuser and dpdkvhostuserclient ports against Debian's arm64
# dpdk-testpmd (vhost.sh), and OVSDB mode with Debian's arm64 ovsdb-server and ovs-vsctl
# (ovsdb/dp.sh).  The binaries are cross-built by scripts/build --arch arm64 (build-arm64/,
# or $VIREO_BUILD_ARM64).  Prints the tests' PASS/FAIL lines; exit 0 only when all pass.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TH=$ROOT/scripts/testhost
TESTS="tests/dp/afpacket.sh tests/dp/flows.sh tests/dp/vhost.sh tests/ovsdb/dp.sh"

if [ -z "${TESTHOST:-}" ]; then
	B=${VIREO_BUILD_ARM64:-$ROOT/build-arm64}
	log=$(mktemp)
	if ! VIREO_BUILD_ARM64=$B "$ROOT/scripts/build" --arch arm64 >"$log" 2>&1; then
		tail -30 "$log"
		echo "FAIL dp-arm64: scripts/build --arch arm64"
		exit 1
	fi
	rm -f "$log"
	t0=$(date +%s)
	# Each test's vireo-dp asks DPDK for 512 MiB, testpmd for 256 MiB more.
	"$TH" --arch arm64 run --timeout 1500 --mem 3072 --hugepages 640 \
		--env "VIREO_BUILD=$B" -- "$0"
	rc=$?
	echo "arm64 test host: $(($(date +%s) - t0)) s in all"
	exit "$rc"
fi

if [ "$(uname -m)" != aarch64 ]; then
	echo "FAIL dp-arm64: not an arm64 test host: $(uname -m)"
	exit 1
fi
rc=0
for t in $TESTS; do
	t0=$(date +%s)
	echo "=== $t (arm64)"
	# DPDK's start under TCG takes tens of seconds: vireo-dp is given five minutes.
	VIREO_BUILD=$VIREO_BUILD VIREO_TEST_DP_WAIT=3000 "$ROOT/$t" || rc=1
	echo "=== $t: $(($(date +%s) - t0)) s"
done
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# MSI-X masking of vireo-vmm's virtio-pci devices (tests/vmm/test_msix.c): needs a working
# /dev/kvm (ioctls only, no guest code); runs in the test host when this machine has none.
#
# usage: tests/vmm/msix.sh [TEST-BINARY]

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(readlink -f "${1:-$ROOT/build/tests/vmm/test_vmm_msix}")

if [ -z "${VMM_MSIX_INNER:-}" ]; then
	exec "$ROOT/scripts/testhost" wrap --timeout 300 --env VMM_MSIX_INNER=1 \
		-- "$ROOT/tests/vmm/msix.sh" "$BIN"
fi
exec "$BIN"

# SPDX-License-Identifier: BSD-3-Clause
# L2 guest script for tests/vmm/boot.sh's API case: say hello, then wait for the host to
# shut the VM down through the API socket.
echo "vireo-guest: cpus=$(grep -c ^processor /proc/cpuinfo) waiting"
sleep 120

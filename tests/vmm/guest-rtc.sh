# SPDX-License-Identifier: BSD-3-Clause
# L2 guest script for tests/vmm/boot.sh's RTC case: the CMOS RTC's alarm interrupt (IRQ 8,
# what rtcwake and the kernel's update-interrupt emulation use) fires, and a time the guest
# writes with hwclock reads back.
echo "vireo-guest: cpus=$(grep -c ^processor /proc/cpuinfo) mem=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
irqs() {
	awk '/rtc0/ { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n }' \
		/proc/interrupts
}
before=$(irqs)
echo +2 >/sys/class/rtc/rtc0/wakealarm
sleep 4
after=$(irqs)
echo "vireo-guest: rtc0 interrupts ${before:-none} -> ${after:-none}"
if [ -n "$after" ] && [ "$after" -gt "${before:-0}" ]; then
	echo "vireo-guest: rtc alarm interrupt"
fi
date -u -s "2031-02-03 04:05:06" >/dev/null
hwclock -u -w
date -u -s "2001-01-01 00:00:00" >/dev/null
echo "vireo-guest: hwclock $(hwclock -u -r)"

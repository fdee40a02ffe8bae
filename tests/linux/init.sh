#!/bin/sh
# /init of the Linux boot test's initramfs: a 64-bit busybox shell as PID 1.
# It reports what the kernel made of the machine, prints the marker the
# test waits for, and reboots (a PC without ACPI has no power-off; the
# VMM ends the run on the reset).
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
echo "init: cpus online $(/bin/busybox cat /sys/devices/system/cpu/online)"
echo "init: clocksource $(/bin/busybox cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "init: clockevent $(/bin/busybox cat /sys/devices/system/clockevents/clockevent0/current_device 2>/dev/null)"
echo "init: hypervisor $(/bin/busybox cat /sys/hypervisor/type 2>/dev/null)"
echo "MSHV-LINUX-BOOT-OK"
/bin/busybox reboot -f

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# Boot Debian's own kernel (its bzImage, decompressing itself) with a busybox
# initramfs through examples/linux_boot on mshv-sim, and check that the
# kernel found the Microsoft Hypervisor, used its enlightenments (the
# reference TSC page as clocksource, a synthetic timer as clockevent, TLB
# flushes and IPIs by hypercall), brought up
# every vCPU and ran a 64-bit /init to its end.
#
#   boot_test.sh LAUNCHER LINUX_BOOT VCPUS [--qemu]
#
# The kernel and initramfs are cached in $MSHV_LINUX_CACHE (default
# ~/.cache/mshv.h/linux) between runs.
#
# --qemu also boots the same kernel, initramfs and command line under
# qemu-system-x86_64 -accel tcg (the same CPU engine family: that is the
# limit) and fails when the simulator takes more than twice as long.
# Times are to the marker /init prints. Exits 77 when the kernel cannot be
# fetched (no Debian archive in reach).
set -eu
launcher=$1 linux_boot=$2 vcpus=$3 qemu=${4:-}
cache=${MSHV_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mshv.h/linux}
here=$(cd "$(dirname "$0")" && pwd)
cmdline="console=ttyS0 reboot=k panic=-1"
marker=MSHV-LINUX-BOOT-OK

if ! files=$("$here/fetch.sh" "$cache"); then
	echo "SKIP: could not fetch the kernel"
	exit 77
fi
read -r bzimage initrd <<<"$files"
log=$(mktemp)
trap 'rm -f "$log" "$log.q"' EXIT

# seconds from start to the marker line (or to the end), from a timestamping reader
timed() {
	python3 - "$@" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
marked = None
with open(sys.argv[1], "w") as out:
    for line in p.stdout:
        text = line.decode(errors="replace")
        out.write(text)
        if marked is None and "MSHV-LINUX-BOOT-OK" in text:
            marked = time.monotonic() - t0
rc = p.wait()
print("%d %.2f" % (rc, marked if marked is not None else -1))
PY
}

# A boot takes about 5 s here; a guest that hangs fails within two
# minutes instead of ten.
read -r rc secs < <(timed "$log" timeout 900 "$launcher" "$linux_boot" -c "$vcpus" -t 120 -a "$cmdline" "$bzimage" "$initrd")
fail=0
check() {
	if grep -qF -- "$1" "$log"; then echo "ok: $1"; else echo "MISSING: $1"; fail=1; fi
}
[ "$vcpus" = 1 ] && online=0 || online="0-$((vcpus - 1))"
check "Hypervisor detected: Microsoft Hyper-V"
check "clocksource: Switched to clocksource hyperv_clocksource_tsc_page"
check "init: cpus online $online"
check "init: clocksource hyperv_clocksource_tsc_page"
check "init: clockevent Hyper-V clockevent" # synthetic timer 0 in direct mode
check "Hyper-V: Using hypercall for remote TLB flush"
check "Hyper-V: Using IPI hypercalls"
check "$marker"
check "linux_boot: the guest reset"
echo "--- console excerpt ---"
grep -E "Linux version|Hypervisor detected|Hyper-V:|smpboot|clocksource: Switched|LAPIC|Run /init|^init:|$marker|linux_boot:" "$log" | head -40
echo "---"
if [ "$rc" != 0 ] || [ "$fail" != 0 ]; then
	echo "FAIL: linux_boot exited $rc"
	tail -40 "$log"
	exit 1
fi
echo "mshv-sim: marker after $secs s with $vcpus vCPU(s)"

if [ "$qemu" = --qemu ]; then
	read -r qrc qsecs < <(timed "$log.q" timeout 600 qemu-system-x86_64 -accel tcg -m 256 -smp "$vcpus" \
		-nographic -no-reboot -nodefaults -serial stdio -kernel "$bzimage" -initrd "$initrd" -append "$cmdline")
	if [ "$qsecs" = -1.00 ]; then
		echo "FAIL: qemu did not reach the marker (exit $qrc)"
		tail -20 "$log.q"
		exit 1
	fi
	python3 - "$secs" "$qsecs" <<'PY'
import sys
sim, qemu = float(sys.argv[1]), float(sys.argv[2])
print("qemu-system-x86_64 -accel tcg: marker after %.2f s; mshv-sim/qemu = %.2f (limit 2.00)" % (qemu, sim / qemu))
sys.exit(0 if sim <= 2 * qemu else 1)
PY
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# MSHV_SIM_TRACE=1 prints one decoded line per ioctl and hypercall: run a
# test program under the simulator with tracing on and check that the
# lines for an ioctl, a hypercall and an intercept message are there.
# Usage: trace_check.sh LAUNCHER PROGRAM
set -u
launcher=$1 program=$2
log=$(MSHV_SIM_TRACE=1 "$launcher" "$program" 2>&1 >/dev/null)
status=0
for want in \
	'mshv-sim: open("/dev/mshv") = ' \
	'mshv-sim: mshv ioctl 0x4010b800 -> ' \
	'mshv-sim: hvcall HVCALL_SET_VP_REGISTERS(0x0051) reps 1 -> status 0x0 reps 1' \
	'mshv-sim: vp 0: message 0x80010000' \
	'mshv-sim: vp 0: message 0x80010007'; do
	if grep -qF -- "$want" <<<"$log"; then
		echo "ok: $want"
	else
		echo "MISSING: $want"
		status=1
	fi
done
exit $status

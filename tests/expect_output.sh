#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Run PROGRAM; pass when it exits 0 and prints every EXPECTED line exactly.
# Usage: expect_output.sh PROGRAM EXPECTED_LINE...
set -u
prog=$1
shift
out=$("$prog") || { echo "FAIL: $prog exited with $?"; echo "$out"; exit 1; }
echo "$out"
status=0
for want in "$@"; do
	if ! grep -qxF -- "$want" <<<"$out"; then
		echo "FAIL: missing line: $want"
		status=1
	fi
done
exit $status

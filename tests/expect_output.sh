#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Run a program; pass when it exits 0 and prints every EXPECTED line exactly.
# An exit status of 77 (skipped) is passed on.
# Usage: expect_output.sh PROGRAM EXPECTED_LINE...
#        expect_output.sh COMMAND [ARGS...] -- EXPECTED_LINE...
set -u
cmd=("$1")
shift
for arg in "$@"; do
	if [ "$arg" = -- ]; then
		while [ "$1" != -- ]; do
			cmd+=("$1")
			shift
		done
		shift
		break
	fi
done
out=$("${cmd[@]}")
rc=$?
echo "$out"
if [ $rc -eq 77 ]; then
	exit 77
fi
if [ $rc -ne 0 ]; then
	echo "FAIL: ${cmd[*]} exited with $rc"
	exit 1
fi
status=0
for want in "$@"; do
	if ! grep -qxF -- "$want" <<<"$out"; then
		echo "FAIL: missing line: $want"
		status=1
	fi
done
exit $status

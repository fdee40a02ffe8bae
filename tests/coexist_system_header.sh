#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# mshv.h must coexist with the system's <linux/mshv.h>: either include order
# compiles cleanly, and the ABI facts hold when the system header's
# definitions are the ones in force. Skipped (exit 77) when the build
# machine's kernel headers have no linux/mshv.h (linux-libc-dev before 6.15).
#
# Usage: coexist_system_header.sh SRCDIR ABI_TEST_C CC
set -u
src=$1 abi_c=$2 cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! echo '#include <linux/mshv.h>' | $cc -x c -E - >/dev/null 2>&1; then
	echo "SKIP: this machine's kernel headers have no <linux/mshv.h>; coexistence is tested where they do"
	exit 77
fi
pass=0 fail=0
for order in system-first ours-first; do
	if [ $order = system-first ]; then
		printf '#include <linux/mshv.h>\n#define MSHV_IMPLEMENTATION\n#include "mshv.h"\nint x;\n' >"$work/tu.c"
	else
		printf '#define MSHV_IMPLEMENTATION\n#include "mshv.h"\n#include <linux/mshv.h>\nint x;\n' >"$work/tu.c"
	fi
	if $cc -std=c99 -pedantic-errors -Wall -Wextra -Werror -I"$src" -fsyntax-only "$work/tu.c"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAIL: $order does not compile"
	fi
done
# The ABI facts, with the system header's definitions in force.
if $cc -std=gnu11 -include linux/mshv.h -I"$src" "$abi_c" -o "$work/abi" && "$work/abi"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: ABI facts with the system header first"
fi
echo "coexist: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# The amalgamated mshv.h is the whole header, on each architecture:
#   1. every example builds from it alone in an empty folder, with gcc and
#      clang, -std=c99 -pedantic-errors -Wall -Wextra -Werror (the examples
#      run x86 guests: x86_64 only);
#   2. it defines exactly the functions the multi-file header defines: each
#      compiled with MSHV_IMPLEMENTATION and -fkeep-inline-functions, the
#      function symbols of the two objects must be the same set, natively
#      and with the arm64 cross compiler (which has no example to build);
#   3. the same for the types and macros a VMM sees: the preprocessed
#      declarations (macro definitions included, -dD) of the two agree once
#      line markers are removed.
#
# Usage: check_complete.sh SRCDIR AMALGAMATED_MSHV_H
set -u
src=$(cd "${1:?usage: check_complete.sh SRCDIR AMALGAMATED_MSHV_H}" && pwd)
single=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

for example in "$src"/examples/*.c; do
	name=$(basename "$example" .c)
	for cc in gcc clang; do
		if bash "$src/tests/amalgamated/build_example.sh" "$single" "$example" "$work/$name-$cc" $cc \
			>"$work/log" 2>&1; then
			ok
		else
			bad "$name does not build with $cc from the amalgamated mshv.h alone"
			sed 's/^/    /' "$work/log" | head -10
		fi
	done
done

for target in x86_64:gcc arm64:aarch64-linux-gnu-gcc; do
	arch=${target%%:*} cc=${target#*:}
	if ! command -v "$cc" >/dev/null; then
		bad "$arch: no $cc"
		continue
	fi
	mkdir -p "$work/$arch/single"
	cp "$single" "$work/$arch/single/mshv.h"
	printf '#define MSHV_IMPLEMENTATION\n#include "mshv.h"\n' >"$work/$arch/tu.c"
	for form in multi single; do
		inc=$src
		[ $form = single ] && inc=$work/$arch/single
		$cc -std=gnu11 -O0 -fkeep-inline-functions -I"$inc" -c "$work/$arch/tu.c" -o "$work/$arch/$form.o" &&
			nm "$work/$arch/$form.o" | awk '$2 ~ /^[tT]$/ {print $3}' | sort >"$work/$arch/$form.syms"
		$cc -std=gnu11 -E -dD -P -I"$inc" "$work/$arch/tu.c" |
			grep -v '^#define MSHV_\(X86_64\|ARM64\)_H$' >"$work/$arch/$form.i"
	done
	n=$(wc -l <"$work/$arch/multi.syms")
	if [ "$n" -gt 50 ] && cmp -s "$work/$arch/multi.syms" "$work/$arch/single.syms"; then
		ok
		echo "$arch: the amalgamated header defines the same $n functions"
	else
		bad "$arch: functions differ (multi-file $n, amalgamated $(wc -l <"$work/$arch/single.syms")):"
		diff "$work/$arch/multi.syms" "$work/$arch/single.syms" | head -10
	fi
	if cmp -s "$work/$arch/multi.i" "$work/$arch/single.i"; then
		ok
	else
		bad "$arch: the preprocessed declarations differ:"
		diff "$work/$arch/multi.i" "$work/$arch/single.i" | head -10
	fi
done
echo "amalgamated: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# MSHV_INLINE works as mshv.h documents (issue 16):
#  - `-DMSHV_INLINE=inline` (C99 inline definitions) with MSHV_IMPLEMENTATION
#    is warning-free (gcc, clang);
#  - the prototypes MSHV_INLINE_DECL_ONLY declares agree with the
#    definitions: both in one TU (MSHV__CHECK_PROTOTYPES), where any
#    difference is a conflicting-types error (C99, C++11, C++17; arm64 too);
#  - MSHV_INLINE_DECL_ONLY alone compiles in C and C++;
#  - use.c compiled as C++11 and C++17 (extern "C" prototypes) links with
#    define.c compiled as C, and runs.
# All under -Wall -Wextra -Werror, ISO standards with -pedantic-errors.
#
# Usage: inline_compile.sh SRCDIR
set -u
src=${1:?usage: inline_compile.sh SRCDIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

run() { # label command...
	local label=$1
	shift
	if "$@" >"$work/log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $label"
		sed 's/^/    /' "$work/log" | head -20
	fi
}

have() { command -v "$1" >/dev/null 2>&1; }
W="-Wall -Wextra -Werror -I$src"
printf '#define MSHV_IMPLEMENTATION\n#include "mshv.h"\nint mshv_inline_dummy;\n' >"$work/impl.c"
printf '#include "mshv.h"\nint mshv_inline_dummy;\n' >"$work/plain.c"

for cc in gcc clang; do
	have $cc || continue
	run "$cc c99 -DMSHV_INLINE=inline" $cc -x c -std=c99 -pedantic-errors $W -DMSHV_INLINE=inline -O0 -c "$work/impl.c" -o "$work/inline.o"
	run "$cc c99 -DMSHV_INLINE=inline -O2" $cc -x c -std=c99 -pedantic-errors $W -DMSHV_INLINE=inline -O2 -c "$work/impl.c" -o "$work/inline.o"
	run "$cc c99 prototypes = definitions" $cc -x c -std=c99 -pedantic-errors $W -DMSHV__CHECK_PROTOTYPES -fsyntax-only "$work/impl.c"
	run "$cc c99 MSHV_INLINE_DECL_ONLY" $cc -x c -std=c99 -pedantic-errors $W -DMSHV_INLINE_DECL_ONLY -fsyntax-only "$work/plain.c"
done
for cxx in g++ clang++; do
	have $cxx || continue
	for std in c++11 c++17; do
		run "$cxx $std prototypes = definitions" $cxx -x c++ -std=$std -pedantic-errors $W -DMSHV__CHECK_PROTOTYPES -fsyntax-only "$work/impl.c"
		run "$cxx $std MSHV_INLINE_DECL_ONLY" $cxx -x c++ -std=$std -pedantic-errors $W -DMSHV_INLINE_DECL_ONLY -fsyntax-only "$work/plain.c"
	done
done
# C++ files calling the functions one C file defines.
if have gcc && have g++; then
	run "define.c (gcc c99)" gcc -x c -std=c99 -pedantic-errors $W -c "$here/define.c" -o "$work/define.o"
	for std in c++11 c++17; do
		run "use.c as $std, linked" sh -c "g++ -x c++ -std=$std -pedantic-errors $W -c '$here/use.c' -o '$work/use.o' &&
			g++ '$work/use.o' '$work/define.o' -o '$work/use' && '$work/use'"
	done
fi
# The arm64 prototypes, with the cross compiler where there is one.
if have aarch64-linux-gnu-gcc; then
	run "arm64 gcc c99 prototypes = definitions" aarch64-linux-gnu-gcc -x c -std=c99 -pedantic-errors $W -DMSHV__CHECK_PROTOTYPES -fsyntax-only "$work/impl.c"
	run "arm64 gcc c99 -DMSHV_INLINE=inline" aarch64-linux-gnu-gcc -x c -std=c99 -pedantic-errors $W -DMSHV_INLINE=inline -fsyntax-only "$work/impl.c"
	run "arm64 gcc c99 MSHV_INLINE_DECL_ONLY" aarch64-linux-gnu-gcc -x c -std=c99 -pedantic-errors $W -DMSHV_INLINE_DECL_ONLY -fsyntax-only "$work/plain.c"
fi
echo "inline-compile: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]

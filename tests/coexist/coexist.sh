#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# mshv.h beside every released upstream <linux/mshv.h>, in either include
# order, and with MSHV_NO_SYSTEM_HEADER (mshv.h's own definitions in force,
# a later #include <linux/mshv.h> a no-op). For each system header (stand-ins written by
# make_system_header.py: 6.15-6.18, 6.19 and 7.0/7.1 as installed, 7.1 as a
# kernel tree's include/uapi copy; plus this machine's own
# <linux/mshv.h> when it has one):
#
#   compile  each order x gcc, clang (-std=c99), g++, clang++ (-std=c++11),
#            all -pedantic-errors -Wall -Wextra -Werror, with and without
#            MSHV_IMPLEMENTATION;
#   values   each order x gcc, clang: every record, field, constant and
#            ioctl of the 7.1 facts (and of the 6.15 facts) compiled and
#            checked with that header in force: no upstream name missing,
#            each with the system header's value where it has the name
#            (MSHV_PT_BIT_COUNT and MSHV_PT_FLAGS_MASK: 3/7 before 6.19,
#            4/15 in 6.19, 6/63 from 7.0) and the newest upstream value
#            where it has not.
#
# The system header is on an -isystem path, as an installed one is: what is
# tested is mshv.h, not whether the kernel's own header is pedantic C++
# (its flexible array member is not). A kernel tree's copy spells `__packed`
# as the kernel does; whoever uses it defines that (here -D__packed=...),
# as they must without mshv.h too.
#
# Usage: coexist.sh SRCDIR
set -u
src=$(cd "${1:?usage: coexist.sh SRCDIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
arch=$(uname -m)
[ "$arch" = aarch64 ] && arch=arm64
pass=0 fail=0

run() { # label command...
	local label=$1
	shift
	if "$@" >"$work/log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $label"
		sed 's/^/    /' "$work/log" | head -15
	fi
}

values() { # cc flags...: build and run the value checks of $work/values.c
	local cc=$1
	shift
	$cc -std=gnu11 "$@" -I"$src" "$work/values.c" -o "$work/values" && "$work/values"
}

# name | make_system_header.py arguments (empty: this machine's header) | bit count
systems=(
	"6.15|6.15|3"
	"6.19|6.19|4"
	"7.0|7.0|6"
	"7.1-kernel-tree|7.0 --tree|6"
)
if echo '#include <linux/mshv.h>' | cc -x c -E - >/dev/null 2>&1; then
	printf '#include <linux/mshv.h>\nint main(void) { return MSHV_PT_BIT_COUNT; }\n' >"$work/bits.c"
	cc -o "$work/bits" "$work/bits.c" && { "$work/bits"; systems+=("installed||$?"); }
else
	echo "note: this machine has no <linux/mshv.h> of its own; the stand-ins cover every release"
fi

for sys in "${systems[@]}"; do
	IFS='|' read -r name gen bits <<<"$sys"
	inc=()
	defs=()
	if [ -n "$gen" ]; then
		python3 "$here/make_system_header.py" $gen "$work/$name" || exit 1
		inc=(-isystem "$work/$name")
	fi
	case $gen in *--tree*) defs=(-D'__packed=__attribute__((__packed__))') ;; esac

	for order in system-first mshv-first opt-out; do
		want=$bits
		case $order in
		system-first) first='#include <linux/mshv.h>' second='#include "mshv.h"' ;;
		mshv-first) first='#include "mshv.h"' second='#include <linux/mshv.h>' ;;
		# MSHV_NO_SYSTEM_HEADER: mshv.h's own definitions, the later system header a no-op
		opt-out) first=$'#define MSHV_NO_SYSTEM_HEADER\n#include "mshv.h"' second='#include <linux/mshv.h>' want=6 ;;
		esac
		for impl in 0 1; do
			tu=$work/tu-$order-$impl
			{
				[ $impl = 1 ] && echo '#define MSHV_IMPLEMENTATION'
				printf '%s\n%s\n' "$first" "$second"
				echo 'int mshv_coexist_tu;'
			} >"$tu"
			for cfg in "gcc c -std=c99" "clang c -std=c99" "g++ c++ -std=c++11" "clang++ c++ -std=c++11"; do
				read -r cc lang std <<<"$cfg"
				run "$name, $order, $cc $std, MSHV_IMPLEMENTATION=$impl: compile" \
					$cc -x "$lang" $std -pedantic-errors -Wall -Wextra -Werror "${defs[@]}" \
					"${inc[@]}" -I"$src" -fsyntax-only "$tu"
			done
		done

		# Values: the generated checks (they include "mshv.h" themselves).
		mask=$(((1 << want) - 1))
		python3 "$src/tests/gen_abi_test.py" --arch "$arch" --headers "$src" \
			--expect MSHV_PT_BIT_COUNT="$want" --expect MSHV_PT_FLAGS_MASK="$mask" \
			"$work/abi.c" "$src/tests/abi/uapi-7.1-$arch.json" "$src/tests/abi/uapi-$arch.json" || exit 1
		{
			echo '#define MSHV_IMPLEMENTATION'
			printf '%s\n%s\n' "$first" "$second"
			echo "#include \"$work/abi.c\""
		} >"$work/values.c"
		for cc in gcc clang; do
			run "$name, $order, $cc: values" values "$cc" "${defs[@]}" "${inc[@]}"
		done
	done
done
echo "coexist: $pass passed, $fail failed (${#systems[@]} system headers x 3 orders (system first, mshv.h first, MSHV_NO_SYSTEM_HEADER) x (4 compilers x 2 modes compiled + 2 compilers' values))"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]

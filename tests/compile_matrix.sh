#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# Compile mshv.h and mshv_hv_defs.h, each alone in a translation unit, with every
# compiler and language standard we support, with and without
# MSHV_IMPLEMENTATION, under -Wall -Wextra -Werror (and -pedantic-errors
# where the standard is ISO), and the ioctl layer with each MSHV_ABI pin.
# Native x86_64 and arm64 (cross compilers).
# Also checks that the compile-time ioctl size check rejects a wrong size,
# and that an architecture header included alone stops with its #error.
#
# The matrix above is -fsyntax-only: no optimizer runs, and the warnings
# that come from it (gcc's -Wmaybe-uninitialized at -O1) are missed. -O0
# and -O2 are the builds' own (every test and example, -Werror); -O1, -O3
# and -Os are compiled here, with MSHV_IMPLEMENTATION and every function
# emitted (MSHV_INLINE with the used attribute), as a subset: each level
# with gcc, g++, clang and clang++ on x86_64 in the oldest standard (c99,
# c++11), and arm64 with its gcc and clang at -O1 only (14 compiles, two at
# a time: about 10 s of the matrix's run time).
#
# Usage: compile_matrix.sh SRCDIR [AMALGAMATED_DIR]
set -u
src=${1:?usage: compile_matrix.sh SRCDIR [AMALGAMATED_DIR]}
single=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
missing=()

# compiler | language | flags
configs=(
	"gcc|c|-std=c99 -pedantic-errors"
	"gcc|c|-std=gnu11"
	"gcc|c|-std=c17 -pedantic-errors"
	"clang|c|-std=c99 -pedantic-errors"
	"clang|c|-std=gnu11"
	"clang|c|-std=c17 -pedantic-errors"
	"g++|c++|-std=c++11 -pedantic-errors"
	"g++|c++|-std=c++17 -pedantic-errors"
	"clang++|c++|-std=c++11 -pedantic-errors"
	"clang++|c++|-std=c++17 -pedantic-errors"
)

compile() { # label cc lang flags incdir file
	local label=$1 cc=$2 lang=$3 flags=$4 inc=$5 file=$6
	if $cc -x "$lang" $flags -Wall -Wextra -Werror -I"$inc" -fsyntax-only "$file" >"$work/log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $label"
		sed 's/^/    /' "$work/log" | head -20
	fi
}

run_arch() { # arch cc-prefix clang-target own-arch-header
	local arch=$1 prefix=$2 target=$3 own=$4
	local cfg cc lang flags impl hdr
	for cfg in "${configs[@]}"; do
		IFS='|' read -r cc lang flags <<<"$cfg"
		case $cc in
		gcc | g++) cc="$prefix$cc" ;;
		clang | clang++) [ -n "$target" ] && cc="$cc --target=$target" ;;
		esac
		if ! command -v "${cc%% *}" >/dev/null 2>&1; then
			missing+=("${cc%% *}")
			continue
		fi
		for impl in 0 1; do
			for hdr in mshv.h mshv_hv_defs.h; do
				{
					[ "$impl" = 1 ] && echo "#define MSHV_IMPLEMENTATION"
					echo "#include \"$hdr\""
					echo "int mshv_matrix_dummy;"
				} >"$work/tu.$lang"
				compile "$arch $cc $flags impl=$impl $hdr" "$cc" "$lang" "$flags" "$src" "$work/tu.$lang"
				if [ -n "$single" ] && [ "$hdr" = mshv.h ]; then
					compile "$arch $cc $flags impl=$impl amalgamated mshv.h" "$cc" "$lang" "$flags" "$single" "$work/tu.$lang"
				fi
			done
		done
		# Each MSHV_ABI pin folds other branches away: the ioctl layer with
		# every one, in the oldest standard of each language.
		case $flags in
		-std=c99* | -std=c++11*)
			for abi in AUTO UPSTREAM LEGACY 6_15 6_19 7_0; do
				printf '#define MSHV_ABI MSHV_ABI_%s\n#define MSHV_IMPLEMENTATION\n#include "mshv.h"\nint mshv_matrix_dummy;\n' \
					"$abi" >"$work/tu.$lang"
				compile "$arch $cc $flags MSHV_ABI_$abi" "$cc" "$lang" "$flags" "$src" "$work/tu.$lang"
			done
			;;
		esac
	done
	# The architecture header is a part of mshv.h, included once at its end:
	# alone it must stop with a clear #error, not a cascade.
	cc="${prefix}gcc"
	if command -v "$cc" >/dev/null 2>&1; then
		printf '#include "%s"\n' "$own" >"$work/own.c"
		if $cc -std=c99 -I"$src" -fsyntax-only "$work/own.c" >"$work/log" 2>&1; then
			fail=$((fail + 1))
			echo "FAIL: $arch: $own compiled alone instead of asking for mshv.h"
		elif grep -q "include mshv.h instead" "$work/log" && [ "$(grep -c ': error:' "$work/log")" = 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $arch: $own alone did not stop with one #error:"
			head -5 "$work/log"
		fi
	fi
	# The ioctl size check must fire on a wrong size.
	cc="${prefix}gcc"
	if command -v "$cc" >/dev/null 2>&1; then
		printf '#include "mshv.h"\nMSHV_STATIC_ASSERT(_IOC_SIZE(MSHV_CREATE_VP) == 8, wrong);\n' >"$work/neg.c"
		if $cc -std=c99 -I"$src" -fsyntax-only "$work/neg.c" >/dev/null 2>&1; then
			fail=$((fail + 1))
			echo "FAIL: $arch: MSHV_STATIC_ASSERT accepted a wrong ioctl size"
		else
			pass=$((pass + 1))
		fi
	fi
}

case $(uname -m) in
x86_64)
	run_arch x86_64 "" "" mshv_x86_64.h
	run_arch arm64 aarch64-linux-gnu- aarch64-linux-gnu mshv_arm64.h
	;;
aarch64)
	run_arch arm64 "" "" mshv_arm64.h
	;;
*)
	echo "compile_matrix: unsupported build machine $(uname -m)"
	exit 77
	;;
esac

# The optimizing compiles (see the top): each a job of its own, two at a time.
opt_compile() { # label cc lang flags
	local label=$1 cc=$2 lang=$3 flags=$4 n=$5
	printf '#define MSHV_IMPLEMENTATION\n#include "mshv.h"\nint mshv_matrix_dummy;\n' >"$work/opt$n.$lang"
	if $cc -x "$lang" $flags -Wall -Wextra -Werror '-DMSHV_INLINE=static inline __attribute__((__used__))' \
		-I"$src" -c "$work/opt$n.$lang" -o "$work/opt$n.o" >"$work/opt$n.log" 2>&1; then
		: >"$work/opt$n.ok"
	else
		echo "FAIL: $label" >"$work/opt$n.fail"
	fi
}
opt_jobs=()
for level in -O1 -O3 -Os; do
	opt_jobs+=("x86_64 gcc $level|gcc|c|-std=c99 -pedantic-errors $level")
	opt_jobs+=("x86_64 g++ $level|g++|c++|-std=c++11 -pedantic-errors $level")
	opt_jobs+=("x86_64 clang $level|clang|c|-std=c99 -pedantic-errors $level")
	opt_jobs+=("x86_64 clang++ $level|clang++|c++|-std=c++11 -pedantic-errors $level")
done
opt_jobs+=("arm64 gcc -O1|aarch64-linux-gnu-gcc|c|-std=c99 -pedantic-errors -O1")
opt_jobs+=("arm64 clang -O1|clang --target=aarch64-linux-gnu|c|-std=c99 -pedantic-errors -O1")
[ "$(uname -m)" = x86_64 ] || opt_jobs=() # (a native arm64 host: its matrix above only)
n=0
for job in "${opt_jobs[@]}"; do
	IFS='|' read -r label cc lang flags <<<"$job"
	n=$((n + 1))
	if ! command -v "${cc%% *}" >/dev/null 2>&1; then
		missing+=("${cc%% *}")
		continue
	fi
	opt_compile "$label" "$cc" "$lang" "$flags" $n &
	[ $((n % 2)) = 0 ] && wait
done
wait
for ((i = 1; i <= n; i++)); do
	if [ -e "$work/opt$i.ok" ]; then
		pass=$((pass + 1))
	elif [ -e "$work/opt$i.fail" ]; then
		fail=$((fail + 1))
		cat "$work/opt$i.fail"
		sed 's/^/    /' "$work/opt$i.log" | head -20
	fi
done

# The unsupported-architecture #error must fire (i386 via -m32 needs no sysroot
# for a preprocess-only run).
printf '#include "mshv.h"\n' >"$work/other.c"
if gcc -m32 -E -I"$src" "$work/other.c" >"$work/log" 2>&1; then
	fail=$((fail + 1))
	echo "FAIL: mshv.h compiled for i386 instead of stopping with #error"
elif grep -q "not supported" "$work/log"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: i386 build failed without the #error message:"
	head -5 "$work/log"
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "compile_matrix: missing compilers: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
	fail=$((fail + 1))
fi
echo "compile-matrix: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# The run loop is the program's own code: compiled at -O2 with gcc and with
# clang, the run loops of three examples (real_mode_serial's run_loop,
# multi_vcpu's vp_thread, mmio_device's run_loop) are disassembled with
# objdump and every call (and tail jump) that leaves them is listed.
# Allowed:
#
#   ioctl               MSHV_RUN_VP, the one system call per intercept
#   __errno_location    glibc's errno, read after a failed ioctl
#   __stack_chk_fail    the compiler's stack protector, where it is on
#
# Anything else fails the check, which lists the offending calls: a
# library function that was not inlined (mshv_vcpu_run,
# mshv_vcpu_complete_io, mshv_vcpu_set_rip, the message views...), a call
# into another library, an indirect call. A loop marked "local" (one that
# runs the instruction emulator, whose parts may stay out of line and which
# calls the VMM's device callbacks indirectly) may also call functions
# of the program itself and make indirect calls; still nothing through the
# PLT but the three above, memcpy and memset.
#
# Usage: check_run_loop_inlined.sh SRCDIR [EXTRA_CFLAGS...]
# (EXTRA_CFLAGS: e.g. -DMSHV_INLINE='static __attribute__((noinline))' and
# the same for MSHV_HOT_INLINE, which must make the check fail.)
set -u
src=${1:?usage: check_run_loop_inlined.sh SRCDIR [EXTRA_CFLAGS...]}
shift
extra=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
checked=0

# example | function
loops=(
	"real_mode_serial|run_loop|"
	"multi_vcpu|vp_thread|"
	"mmio_device|run_loop|local"
)

# The calls and jumps in function $2 (and its compiler-made parts: .cold,
# .part.N...) of disassembly $1 that leave it: one target symbol per line
# ("name@plt" for a call through the PLT), "*indirect" for indirect ones.
calls_out_of() {
	awk -v fn="$2" '
		function base(s) { sub(/\+0x[0-9a-f]+$/, "", s); return s }
		function mine(s) { sub(/@plt$/, "", s); return s == fn || index(s, fn ".") == 1 }
		/^[0-9a-f]+ <.*>:$/ {
			name = $2; gsub(/[<>:]/, "", name); inside = mine(name); next
		}
		inside && $0 ~ /\t(call|jmp)[a-z]* / {
			line = $0; sub(/^[^\t]*\t/, "", line)
			if (line ~ /\*/) { print "*indirect: " line; next }
			if (match(line, /<[^>]*>/)) {
				t = base(substr(line, RSTART + 1, RLENGTH - 2))
				if (!mine(t)) print t
			}
		}' "$1" | sort -u
}

# Whether the disassembly defines a function of this name.
defines() {
	grep -q "^[0-9a-f]* <$2>:$" "$1"
}

for cc in gcc clang; do
	if ! command -v $cc >/dev/null 2>&1; then
		echo "FAIL: $cc not found (tools/install-deps installs it)"
		status=1
		continue
	fi
	for entry in "${loops[@]}"; do
		IFS='|' read -r example fn mode <<<"$entry"
		exe=$work/$example-$cc
		if ! $cc -O2 -std=c99 -pthread -I"$src" "${extra[@]}" -o "$exe" "$src/examples/$example.c" \
			>"$work/log" 2>&1; then
			echo "FAIL: $cc: cannot compile examples/$example.c:"
			sed 's/^/    /' "$work/log" | head -20
			status=1
			continue
		fi
		objdump -d --no-show-raw-insn "$exe" >"$exe.dis"
		if ! defines "$exe.dis" "$fn"; then
			echo "FAIL: $cc: no function $fn in examples/$example.c's executable"
			status=1
			continue
		fi
		checked=$((checked + 1))
		bad=()
		found=()
		while read -r t; do
			[ -z "$t" ] && continue
			found+=("$t")
			case $t in
			ioctl@plt | __errno_location@plt | __stack_chk_fail@plt) ;;
			memcpy@plt | memset@plt | *@plt) [ "$mode" = local ] && [[ $t == mem[cs][pe]* ]] || bad+=("$t") ;;
			*) [ "$mode" = local ] || bad+=("$t") ;;
			esac
		done < <(calls_out_of "$exe.dis" "$fn")
		if [ ${#bad[@]} -gt 0 ]; then
			echo "FAIL: $cc -O2: $example's $fn makes calls that should have been inlined:"
			printf '    %s\n' "${bad[@]}"
			status=1
		else
			echo "ok: $cc -O2: $example's $fn calls only: ${found[*]}"
		fi
	done
done
[ $checked -gt 0 ] || status=1
exit $status

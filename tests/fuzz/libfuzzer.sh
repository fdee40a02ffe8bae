#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# Coverage-guided fuzzing with clang's libFuzzer (-fsanitize=fuzzer) and
# ASan+UBSan:
#   views_fuzz      mshv.h's message views, name tables, errno mappings and
#                   x86 decoder on arbitrary bytes
#   sim_ioctl_fuzz  mshv-sim's ioctl entry, the simulator linked in and
#                   built with coverage
#
#   tests/fuzz/libfuzzer.sh [SECONDS] [OUTDIR]
#
# Builds both into OUTDIR (default build/libfuzzer), runs each for SECONDS
# (default 10; a campaign: `tests/fuzz/libfuzzer.sh 3600`), keeping each
# corpus in OUTDIR/corpus-*. Exits non-zero when either finds a crash,
# leak or sanitizer report (libFuzzer writes the input as OUTDIR/crash-*).
# Needs clang, libclang-rt-dev and libunicorn-dev (tools/install-deps).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
out=${2:-$root/build/libfuzzer}
mkdir -p "$out"
cc=${CLANG:-clang}
flags=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -I"$root")
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)

"$cc" "${flags[@]}" "${san[@]}" -fsanitize=fuzzer "$root/tests/fuzz/views_fuzz.c" -o "$out/views_fuzz"

sim=$root/tools/simulator
mapfile -t sim_src < <(ls "$sim"/preload/preload.c "$sim"/driver/*.c "$sim"/hypervisor/*.c "$sim"/cpu/*.c)
"$cc" "${flags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link -fvisibility=default \
	-I"$sim/preload" -I"$sim/driver" -I"$sim/hypervisor" -I"$sim/cpu" \
	-fsanitize=fuzzer "$root/tests/fuzz/sim_ioctl_fuzz.c" "${sim_src[@]}" \
	-rdynamic -o "$out/sim_ioctl_fuzz" $(pkg-config --libs unicorn) -ldl -lpthread

status=0
for f in views_fuzz sim_ioctl_fuzz; do
	mkdir -p "$out/corpus-$f"
	echo "libfuzzer: $f for $secs s"
	(cd "$out" && ASAN_OPTIONS=detect_leaks=0:allow_user_segv_handler=1:handle_segv=0 \
		"./$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
		"corpus-$f" 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|.*ERROR)" ) \
		|| true
	if ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* >/dev/null 2>&1; then
		echo "libfuzzer: $f found a failure: $(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* 2>/dev/null | tr '\n' ' ')"
		status=1
	fi
done
exit $status

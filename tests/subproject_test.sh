#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# This repository as a downstream project's meson subproject, and mshv-sim
# installed (README.md, "Using mshv.h as a meson subproject"):
#
# 1. A downstream project in a temporary directory: a meson.build, vmm.c (a
#    copy of examples/real_mode_serial.c) built with dependency('mshv'), two
#    test()s running it on the exported mshv-sim (one through
#    get_variable('mshv_sim'), one through find_program('mshv-sim')), and
#    subprojects/mshv: this repository's git-tracked files as they are in
#    the working tree, plus files not yet added that .gitignore allows.
# 2. Configured as is: the subproject defines no target and reads no
#    meson.build of its tests, examples or amalgamated header; no test.
# 3. Configured with -Dmshv:simulator=enabled: the subproject's one target is
#    the mshv-sim library; `meson test` (which builds only what the tests
#    depend on) runs both tests on mshv-sim, each prints "2 + 2 = 4".
# 4. `meson install --destdir` (prefix: a directory that does not exist):
#    bin/mshv-sim, the library and the headers; examples/real_mode_serial.c
#    built against the installed headers runs on the staged bin/mshv-sim,
#    then, with the prefix moved into place, built with `pkg-config --cflags
#    mshv` and run on bin/mshv-sim and through a symlink to it.
#
# Exits 77 (skipped) after step 2 where mshv-sim is not built (no unicorn,
# or not an x86_64 host).
#
# Usage: subproject_test.sh SRCDIR CC HAVE_SIM(yes|no)
set -u
src=$1 cc=$2 have_sim=$3
meson=${MESON:-meson}
unset MSHV_SIM_LIB
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { # DESCRIPTION COMMAND...: count COMMAND's success
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what"
	fi
}
die() {
	echo "FAIL: $*"
	exit 1
}
# COMMAND...: run quietly, its output shown when it fails.
quiet() {
	"$@" >"$work/out.log" 2>&1 || { cat "$work/out.log"; die "$*"; }
}

# 1. The downstream project.
down=$work/vmm
mkdir -p "$down/subprojects/mshv"
cp "$src/examples/real_mode_serial.c" "$down/vmm.c"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files as they are in the working tree (deleted ones left out),
	# and new ones not yet added (not those .gitignore names: build*/).
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -e "$src/$f" ]; then printf '%s\0' "$f"; fi
		done |
		tar -C "$src" --null -T - -cf - | tar -C "$down/subprojects/mshv" -xf - ||
		die "copying the source tree"
else
	tar -C "$src" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$down/subprojects/mshv" -xf - ||
		die "copying the source tree"
fi
cat >"$down/meson.build" <<'EOF'
project('vmm', 'c', meson_version : '>= 0.60.0')
# mshv.h: an installed one (pkg-config), else subprojects/mshv.
mshv_dep = dependency('mshv', fallback : 'mshv')
vmm = executable('vmm', 'vmm.c', dependencies : mshv_dep)

# The VMM on mshv-sim when the subproject builds it (-Dmshv:simulator=enabled);
# otherwise both variables are disablers, and the test() is left out.
mshv = subproject('mshv')
test('vmm-on-mshv-sim', mshv.get_variable('mshv_sim'), args : vmm,
  depends : mshv.get_variable('mshv_sim_lib'))
# find_program() gives the same launcher (the subproject overrides it).
mshv_sim = find_program('mshv-sim', required : false)
if mshv_sim.found()
  test('vmm-on-found-mshv-sim', mshv_sim, args : vmm,
    depends : mshv.get_variable('mshv_sim_lib'))
endif
EOF

# What a configured build directory holds of the subproject: its targets
# ("name:type", one a line), the meson.build files read, the tests.
introspect() { # BUILDDIR
	"$meson" introspect --targets --buildsystem-files --tests "$1" |
		python3 -c '
import json, sys
intro = json.load(sys.stdin)
for t in intro["targets"]:
    if t["subproject"] == "mshv":
        print("target %s:%s" % (t["name"], t["type"]))
for f in intro["buildsystem_files"]:
    print("file " + f.split("/subprojects/mshv/", 1)[-1])
for t in intro["tests"]:
    print("test " + t["name"])
' | sort
}
setup() { # BUILDDIR OPTIONS...
	local dir=$1
	shift
	quiet "$meson" setup "$dir" "$down" --force-fallback-for=mshv "$@"
}

# 2. The dependency only.
setup "$work/dep-only"
introspect "$work/dep-only" >"$work/dep-only.txt" || die "meson introspect"
check "subproject read (subprojects/mshv/meson.build)" grep -qx 'file meson.build' "$work/dep-only.txt"
check "no subproject target without mshv:simulator=enabled" \
	eval '! grep "^target " "$work/dep-only.txt"'
check "no tests/, examples/ or tools/single-header/ configured in the subproject" \
	eval '! grep -E "^file (tests|examples|tools/single-header)/" "$work/dep-only.txt"'
check "no test without the simulator" eval '! grep "^test " "$work/dep-only.txt"'
quiet ninja -C "$work/dep-only" -j2
check "the VMM built against dependency('mshv')" test -x "$work/dep-only/vmm"

if [ "$have_sim" != yes ]; then
	echo "subproject: $pass passed, $fail failed"
	[ "$fail" = 0 ] || exit 1
	echo "SKIP: mshv-sim is not built here (needs unicorn and an x86_64 host)"
	exit 77
fi

# 3. With the simulator: its library is the subproject's only target.
prefix=$work/prefix
setup "$work/sim" -Dmshv:simulator=enabled --prefix="$prefix"
introspect "$work/sim" >"$work/sim.txt" || die "meson introspect"
check "the subproject's targets are the mshv-sim library alone" \
	test "$(grep '^target ' "$work/sim.txt")" = 'target mshv-sim:shared library'
check "no tests/, examples/ or tools/single-header/ configured with the simulator" \
	eval '! grep -E "^file (tests|examples|tools/single-header)/" "$work/sim.txt"'
check "the downstream project's two tests, and no other" \
	test "$(grep '^test ' "$work/sim.txt")" = "$(printf 'test vmm-on-found-mshv-sim\ntest vmm-on-mshv-sim')"
# Nothing built yet: `meson test` builds the VMM and, through depends, the library.
if ! "$meson" test -C "$work/sim" --print-errorlogs >"$work/test.log" 2>&1; then
	cat "$work/test.log"
	fail=$((fail + 1))
	echo "FAIL: meson test in the downstream project"
fi
check "both downstream tests ran on mshv-sim and passed, with the guest's answer" \
	python3 - "$work/sim/meson-logs/testlog.json" <<'PY'
import json, sys
results = {}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        # "vmm / NAME" when other projects have tests too
        results[r["name"]] = (r["result"], "2 + 2 = 4" in r["stdout"])
print("downstream tests:", results)
sys.exit(results != {"vmm-on-mshv-sim": ("OK", True), "vmm-on-found-mshv-sim": ("OK", True)})
PY

# 4. Installed: staged under DESTDIR, the prefix itself not there.
quiet ninja -C "$work/sim" -j2
stage=$work/stage
quiet "$meson" install -C "$work/sim" --destdir "$stage"
root=$stage$prefix
check "bin/mshv-sim installed, executable" test -x "$root/bin/mshv-sim"
libdir=$("$meson" introspect --buildoptions "$work/sim" |
	python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"][0])')
check "libmshv-sim.so installed in libdir ($libdir)" test -f "$root/$libdir/libmshv-sim.so"
for h in mshv.h mshv_hv_defs.h mshv_x86_64.h mshv_arm64.h; do
	check "include/mshv/$h installed" test -f "$root/include/mshv/$h"
done
pc=$(find "$root" -name mshv.pc)
check "mshv.pc installed" test -n "$pc"

run_example() { # WHAT LAUNCHER CFLAGS...: build real_mode_serial.c, run it on LAUNCHER
	local what=$1 launcher=$2 out
	shift 2
	if ! "$cc" -std=c99 -Wall -Wextra -Werror "$@" "$src/examples/real_mode_serial.c" -o "$work/example"; then
		check "$what: examples/real_mode_serial.c builds against the installed headers" false
		return
	fi
	out=$("$launcher" "$work/example" 2>&1)
	echo "$what: $out"
	check "$what: prints 2 + 2 = 4" grep -qxF '2 + 2 = 4' <<<"$out"
}
run_example "staged mshv-sim" "$root/bin/mshv-sim" -I"$root/include/mshv"
mv "$root" "$prefix"
pcdir=$(dirname "$prefix/${pc#"$root/"}")
run_example "installed mshv-sim" "$prefix/bin/mshv-sim" $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags mshv)
mkdir "$work/elsewhere"
ln -s "$prefix/bin/mshv-sim" "$work/elsewhere/mshv-sim"
run_example "mshv-sim through a symlink" "$work/elsewhere/mshv-sim" -I"$prefix/include/mshv"

echo "subproject: $pass passed, $fail failed"
[ "$fail" = 0 ]

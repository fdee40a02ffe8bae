#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# mshv-sim's layers call only downward, each only the layer right below:
#   preload -> driver -> hypervisor -> cpu
# Checked two ways:
#   includes  each source file's #include "..." names only headers of its
#             own layer, of the layer below, or mshv.h;
#   symbols   each object's undefined symbols that another layer's objects
#             define are defined by the layer right below (nm of the
#             objects of the built library). The libc functions the preload
#             layer interposes (close, fcntl, sigaction, ...) are libc's:
#             calling them is calling libc.
# Usage: check_layers.sh SIMULATOR_SRCDIR OBJECT_DIR [--inject-skip]
#   --inject-skip adds an object of the preload layer that calls the
#   hypervisor layer directly: the check must then fail.
set -u
src=$1 objdir=$2
if [ "${3:-}" = --inject-skip ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp "$objdir"/*.o "$tmp"/
	printf 'struct hv_vp;\nvoid hv_vp_kick(struct hv_vp *);\nvoid bad(void) { hv_vp_kick(0); }\n' >"$tmp/bad.c"
	cc -c "$tmp/bad.c" -o "$tmp/preload_bad.c.o" || exit 2
	objdir=$tmp
fi
fail=0 pass=0
layers=(preload driver hypervisor cpu)

layer_of_path() { # a source path relative to the simulator directory
	case $1 in
	preload/*) echo preload ;;
	driver/*) echo driver ;;
	hypervisor/*) echo hypervisor ;;
	*) echo cpu ;;
	esac
}
layer_of_object() { # an object file name as meson makes it
	case $1 in
	preload_*) echo preload ;;
	driver_*) echo driver ;;
	hypervisor_*) echo hypervisor ;;
	*) echo cpu ;;
	esac
}
below() {
	local i
	for i in 0 1 2; do
		[ "${layers[$i]}" = "$1" ] && { echo "${layers[$((i + 1))]}"; return; }
	done
	echo none
}

# Headers by layer.
declare -A header_layer
while read -r h; do
	header_layer[$(basename "$h")]=$(layer_of_path "$h")
done < <(cd "$src" && find . -name '*.h' | sed 's|^\./||')

while read -r f; do
	own=$(layer_of_path "$f")
	while read -r inc; do
		[ "$inc" = mshv.h ] && continue
		hl=${header_layer[$(basename "$inc")]:-}
		if [ -z "$hl" ]; then
			echo "FAIL: $f includes \"$inc\", no header of the simulator"
			fail=$((fail + 1))
		elif [ "$hl" != "$own" ] && [ "$hl" != "$(below "$own")" ]; then
			echo "FAIL: $f ($own) includes $inc ($hl)"
			fail=$((fail + 1))
		else
			pass=$((pass + 1))
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$src/$f")
done < <(cd "$src" && find . -name '*.c' -o -name '*.h' | sed 's|^\./||' | sort)

# Symbols: who defines what.
declare -A def_layer libc
libc_so=$(gcc -print-file-name=libc.so.6)
while read -r sym; do
	libc[${sym%%@*}]=1
done < <(nm -D --defined-only "$libc_so" | awk '{print $3}')
objs=("$objdir"/*.o)
if [ ! -e "${objs[0]}" ]; then
	echo "FAIL: no objects in $objdir"
	exit 1
fi
for o in "${objs[@]}"; do
	l=$(layer_of_object "$(basename "$o")")
	while read -r sym; do
		def_layer[$sym]=$l
	done < <(nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}')
done
for o in "${objs[@]}"; do
	l=$(layer_of_object "$(basename "$o")")
	while read -r sym; do
		dl=${def_layer[$sym]:-}
		[ -z "$dl" ] || [ "$dl" = "$l" ] || [ -n "${libc[$sym]:-}" ] && continue
		if [ "$dl" = "$(below "$l")" ]; then
			pass=$((pass + 1))
		else
			echo "FAIL: $(basename "$o") ($l) uses $sym of the $dl layer"
			fail=$((fail + 1))
		fi
	done < <(nm --undefined-only "$o" | awk '{print $2}')
done
echo "layers: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]

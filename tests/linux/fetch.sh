#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# Fetch what the Linux boot test boots: the running Debian release's own
# kernel (the package linux-image-amd64 depends on) and a static busybox,
# with `apt-get download`, and build the initramfs. Cached in DIR (kept
# between runs; a second call with the same package versions does
# nothing). Prints the paths of the bzImage and the initramfs.
#
#   tests/linux/fetch.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: fetch.sh DIR}
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
if [ -z "$(candidate linux-image-amd64)" ] || [ "$(candidate linux-image-amd64)" = "(none)" ]; then
	# a fresh machine's package lists may be empty
	if [ "$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
fi
image=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$image" ] || { echo "fetch.sh: no linux-image package for this Debian release" >&2; exit 1; }
kver=$(candidate "$image")
bver=$(candidate busybox-static)
stamp="$image $kver busybox-static $bver $(sha256sum "$here/init.sh" "$here/make_initramfs.py" | cut -c1-16 | tr '\n' ' ')"

if [ ! -f "$dir/stamp" ] || [ "$(cat "$dir/stamp")" != "$stamp" ]; then
	work=$(mktemp -d "$dir/fetch.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get download -q "$image" busybox-static >/dev/null 2>&1) || {
		echo "fetch.sh: apt-get download $image busybox-static failed" >&2
		exit 1
	}
	dpkg-deb -x "$work"/"$image"_*.deb "$work/k"
	dpkg-deb -x "$work"/busybox-static_*.deb "$work/b"
	cp "$work"/k/boot/vmlinuz-* "$dir/bzImage"
	python3 "$here/make_initramfs.py" "$work/b/bin/busybox" "$here/init.sh" "$dir/initramfs.cpio"
	echo "$stamp" >"$dir/stamp"
fi
echo "$dir/bzImage $dir/initramfs.cpio"

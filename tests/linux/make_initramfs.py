#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Write a tiny initramfs (an uncompressed "newc" cpio archive, the format
the kernel unpacks: Documentation/driver-api/early-userspace/buffer-format.rst)
holding a static busybox and an /init script.

usage: make_initramfs.py BUSYBOX INIT_SCRIPT OUTPUT
"""
import os
import sys


def entry(name, mode, data=b"", ino=0, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def main():
    busybox, init, output = sys.argv[1:4]
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(init, "rb") as f:
        script = f.read()
    parts = []
    ino = 1
    for d in ("bin", "dev", "proc", "sys"):
        parts.append(entry(d, 0o040755, ino=ino))
        ino += 1
    parts.append(entry("dev/console", 0o020600, ino=ino, rdev=(5, 1)))
    ino += 1
    parts.append(entry("bin/busybox", 0o100755, bb, ino=ino))
    ino += 1
    parts.append(entry("bin/sh", 0o120777, b"busybox", ino=ino))
    ino += 1
    parts.append(entry("init", 0o100755, script, ino=ino))
    parts.append(entry("TRAILER!!!", 0))
    data = b"".join(parts)
    data += b"\0" * (-len(data) % 512)
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()

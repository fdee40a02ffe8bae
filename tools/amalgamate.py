#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Write mshv.h as one self-contained file, for vendoring into a VMM.

mshv.h's includes of mshv_hv_defs.h, mshv_x86_64.h and mshv_arm64.h are
replaced by those files' text; system includes stay. Each of our files is
included exactly once (the architecture headers at mshv.h's end, inside its
#if defined(__x86_64__) / __aarch64__ choice), so the result is the whole
header by construction and behaves exactly like the multi-file one (same
guards, same options). A file included twice is an error here, not a
silent omission.

Usage: amalgamate.py [-o OUT] (default: standard output)
"""
import argparse
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def expand(name, seen):
    with open(os.path.join(TOP, name), encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for line in lines:
        m = LOCAL_INCLUDE.match(line)
        if not m:
            out.append(line)
            continue
        inc = m.group(1)
        if inc in seen:
            sys.exit("amalgamate.py: %s includes %s a second time; every file must be included once"
                     % (name, inc))
        seen.add(inc)
        out.append("/* ---- begin %s ---- */" % inc)
        out.extend(expand(inc, seen))
        out.append("/* ---- end %s ---- */" % inc)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output")
    args = ap.parse_args(argv)
    text = "\n".join(expand("mshv.h", {"mshv.h"}))
    banner = ("/* mshv.h, amalgamated by tools/amalgamate.py from mshv.h, mshv_hv_defs.h,\n"
              " * mshv_x86_64.h and mshv_arm64.h. Generated: edit those files instead. */\n")
    text = banner + text
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""The pointer parameters of the public functions, from the headers.

Prints "function parameter" for every pointer (or array) parameter of every
public function (MSHV_INLINE / MSHV_HOT_INLINE at the start of a line,
name not mshv__*; and the message views MSHV__MESSAGE_VIEW(name, ...) make,
mshv_msg_NAME(msg)), except the optional `__u16 *hv_status` and the
pointers documented as optional (OPTIONAL below), sorted.

With --check PROGRAM it runs `PROGRAM --list` (the NULL-argument test,
which prints the cases it has in the same form) and fails when the two
lists differ: a new public function or pointer parameter without a NULL
case, or a case for something that no longer exists.

Usage: null_args_list.py HEADER... [--check PROGRAM]
"""
import re
import subprocess
import sys

# Pointers a function documents as optional (NULL: not wanted), and the
# x86 emulator's callback context, passed through to the caller's callbacks.
OPTIONAL = {"hv_status", "access_result", "decoded", "ctx"}


def split_params(text):
    """The parameters of a prototype's parenthesised list, split at depth 0."""
    params, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            params.append(cur)
            cur = ""
        else:
            cur += ch
    params.append(cur)
    return [" ".join(p.split()) for p in params if p.strip()]


def pointer_params(path):
    with open(path) as f:
        src = f.read()
    out = set()
    for m in re.finditer(r"^MSHV_(?:HOT_)?INLINE\b[^(]*?\b(mshv_\w+)\s*\(", src, re.M):
        name = m.group(1)
        if name.startswith("mshv__"):
            continue
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        for p in split_params(src[m.end():i - 1]):
            if p == "void" or ("*" not in p and "[" not in p):
                continue
            pname = re.search(r"(\w+)\s*(\[[^\]]*\])?$", p).group(1)
            if pname not in OPTIONAL:
                out.add("%s %s" % (name, pname))
    for m in re.finditer(r"^MSHV__MESSAGE_VIEW\((\w+),", src, re.M):
        out.add("mshv_msg_%s msg" % m.group(1))
    return out


def main(argv):
    check = None
    if "--check" in argv:
        i = argv.index("--check")
        check = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    want = set()
    for path in argv:
        want |= pointer_params(path)
    if check is None:
        print("\n".join(sorted(want)))
        return 0
    have = set(subprocess.run([check, "--list"], check=True, capture_output=True, text=True).stdout.split("\n"))
    have.discard("")
    missing, extra = sorted(want - have), sorted(have - want)
    for line in missing:
        print("no NULL case for: %s" % line)
    for line in extra:
        print("a NULL case for what the headers do not have: %s" % line)
    print("null-args-list: %d pointer parameters in the headers, %d cases, %d missing, %d extra"
          % (len(want), len(have), len(missing), len(extra)))
    return 1 if missing or extra or not want else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

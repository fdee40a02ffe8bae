#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Checks that mshv.h's manual (its opening comment) matches the headers.

  header_manual.py --check SRCDIR [EXTRA_HEADER...]
      Fails unless
      - the function index lists exactly the public functions of mshv.h,
        mshv_x86_64.h and mshv_arm64.h (MSHV_INLINE / MSHV_HOT_INLINE
        definitions not named mshv__*, and the mshv_msg_NAME views
        MSHV__MESSAGE_VIEW makes), names matching both ways;
      - the comment right above every such function has an "Errors:" line
        (the views share the comment of MSHV__MESSAGE_VIEW);
      - each header's prototype block (what MSHV_INLINE_DECL_ONLY declares)
        declares exactly the functions the header defines;
      - the table of contents names every section banner, in order;
      - MSHV_VERSION_MAJOR/MINOR/PATCH are meson.build's project version,
        and no released version in CHANGELOG.md is newer.
      EXTRA_HEADER files are scanned as if they were part of the headers
      (the -detects test passes one with a function the manual lacks).
  header_manual.py --snippet SRCDIR OUT.c
      Writes the quick-start snippet (between BEGIN SNIPPET and END
      SNIPPET) as a C file.
"""
import os
import re
import sys

HEADERS = ["mshv.h", "mshv_x86_64.h", "mshv_arm64.h"]

# Functions allowed to lack their Errors: line for now (none: keep it so;
# a name here whose comment has the line is reported, so the list only shrinks).
ERRORS_TODO = set()
DEF_RE = re.compile(r"^MSHV_(?:HOT_)?INLINE\b[^(;{]*?\b(mshv_\w+)\s*\(", re.M)


def functions(src):
    """(name, kind, start) of each public function: kind 'def' or 'proto'."""
    out = []
    for m in DEF_RE.finditer(src):
        name = m.group(1)
        if name.startswith("mshv__"):
            continue
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        kind = "def" if src[i:].lstrip().startswith("{") else "proto"
        out.append((name, kind, m.start()))
    return out


def comment_before(src, pos):
    """The /* */ comment that ends right above pos (only blank space between), or ''."""
    head = src[:pos].rstrip()
    if not head.endswith("*/"):
        return ""
    return head[head.rfind("/*"):]


def views(src):
    return ["mshv_msg_" + m.group(1) for m in re.finditer(r"^MSHV__MESSAGE_VIEW\((\w+),", src, re.M)]


def manual(src):
    start = src.index("/*\n * mshv.h - ")
    return src[start:src.index("\n */\n", start)]


def check(srcdir, extra):
    errors = []
    texts = {h: open(os.path.join(srcdir, h)).read() for h in HEADERS}
    for e in extra:
        texts[e] = open(e).read()
    top = manual(texts["mshv.h"])

    # the function index
    m = re.search(r"---- Function index -+\n(.*?)\n \* ---- End of the manual", top, re.S)
    if not m:
        return ["no function index in mshv.h's opening comment"]
    indexed = re.findall(r"^ \*     (mshv_\w+)\s", m.group(1), re.M)
    dup = sorted({n for n in indexed if indexed.count(n) > 1})
    errors += ["listed twice in the function index: %s" % n for n in dup]
    public = set()
    todo_done = set()
    for h, src in texts.items():
        fns = functions(src)
        defined = [n for n, k, _ in fns if k == "def"]
        protos = {n for n, k, _ in fns if k == "proto"}
        public |= set(defined) | set(views(src))
        # every definition documented, with its errors
        for name, kind, pos in fns:
            if kind != "def":
                continue
            has = "Errors:" in comment_before(src, pos)
            if not has and name not in ERRORS_TODO:
                errors.append("%s: %s has no \"Errors:\" line in the comment above it" % (h, name))
            if has and name in ERRORS_TODO:
                todo_done.add(name)
        # the prototype block declares what the file defines
        for n in sorted(set(defined) - protos):
            errors.append("%s: %s has no prototype (MSHV_INLINE_DECL_ONLY would not declare it)" % (h, n))
        for n in sorted(protos - set(defined)):
            errors.append("%s: a prototype of %s, which the file does not define" % (h, n))
    view_macro = texts["mshv.h"].index("#define MSHV__MESSAGE_VIEW(")
    if "Errors:" not in comment_before(texts["mshv.h"], texts["mshv.h"].rfind("#ifdef MSHV_INLINE_DECL_ONLY", 0, view_macro)):
        errors.append("mshv.h: the message views (MSHV__MESSAGE_VIEW) have no \"Errors:\" line")
    errors += ["%s has its Errors: line now: remove it from ERRORS_TODO" % n for n in sorted(todo_done)]
    for n in sorted(public - set(indexed)):
        errors.append("not in the function index: %s" % n)
    for n in sorted(set(indexed) - public):
        errors.append("in the function index but not in the headers: %s" % n)

    # the table of contents: every banner, in order
    toc = re.search(r"Contents:.*?\n \*\n(.*?)\n \*\n", top, re.S).group(1)
    at = 0
    for h in HEADERS:
        for b in re.finditer(r"^/\* =+\n \* (.*)", texts[h], re.M):
            title = re.split(r"[:,(]| as of | for | which", b.group(1))[0].strip()
            k = toc.find(title, at)
            if k < 0:
                errors.append("%s: banner \"%s\" is not in the table of contents (in order)" % (h, title))
            else:
                at = k + len(title)

    # the version
    ver = tuple(int(re.search(r"^#define MSHV_VERSION_%s (\d+)" % p, texts["mshv.h"], re.M).group(1))
                for p in ("MAJOR", "MINOR", "PATCH"))
    meson = open(os.path.join(srcdir, "meson.build")).read()
    mv = re.search(r"project\([^)]*?version\s*:\s*'(\d+)\.(\d+)\.(\d+)'", meson, re.S)
    if not mv or tuple(int(x) for x in mv.groups()) != ver:
        errors.append("MSHV_VERSION %d.%d.%d is not meson.build's project version %s"
                      % (ver + (".".join(mv.groups()) if mv else "(none)",)))
    for r in re.finditer(r"^## \[?v?(\d+)\.(\d+)\.(\d+)", open(os.path.join(srcdir, "CHANGELOG.md")).read(), re.M):
        if tuple(int(x) for x in r.groups()) > ver:
            errors.append("CHANGELOG.md has version %s, newer than MSHV_VERSION" % ".".join(r.groups()))
    print("header-manual: %d public functions, %d indexed, %d without Errors: yet, %d problems"
          % (len(public), len(indexed), len(ERRORS_TODO), len(errors)))
    return errors


def snippet(srcdir, out):
    src = open(os.path.join(srcdir, "mshv.h")).read()
    m = re.search(r"^ \* BEGIN SNIPPET\n(.*?)^ \* END SNIPPET$", src, re.S | re.M)
    lines = [re.sub(r"^ \*(     )?", "", l) for l in m.group(1).rstrip("\n").split("\n")]
    with open(out, "w") as f:
        f.write("/* Extracted from mshv.h's quick start by tests/manual/header_manual.py. */\n")
        f.write("\n".join(lines) + "\n")
    return []


def main(argv):
    if len(argv) >= 3 and argv[0] == "--snippet":
        return 1 if snippet(argv[1], argv[2]) else 0
    if len(argv) >= 2 and argv[0] == "--check":
        errors = check(argv[1], argv[2:])
        for e in errors:
            print(e)
        return 1 if errors else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

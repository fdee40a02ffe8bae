#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Measure the bit-field positions of a bindgen bindings.rs as ABI facts.

Reads the bindgen output of rust-vmm/mshv (mshv-bindings/src/<arch>/bindings.rs)
and writes a facts file in the schema of tests/abi/*.json, with one extra
per-record map:

    "bits": {"c.access.path": [bit_offset_from_record_start, width]}

Only numbers are taken from the crate: sizes and alignments from its layout
assertions, bit offsets and widths from its bit-field getters
(`self._bitfield_N.get(OFF, WIDTH)`, OFF counted from the start of that
bit-field unit). The byte offset of every member inside its parent, the
anonymous ones and the `_bitfield_N` units included, is recomputed from field
order, member sizes and alignments and the parent's repr (`packed`: no
padding); each computed offset and record size is compared with the crate's
own assertions where it has one, and any disagreement stops the script.

Records are the crate's top-level C names (bindgen's `*__bindgen_ty_N` types
are not records). A bit-field of a nested type is reported under every
top-level record that contains it, with the C access path: anonymous members
(`__bindgen_anon_N`) are flattened as C11 does, named members give dotted
paths, array elements use index 0 (`arr[0].field`). Each record carries
"size" and "align" (asserted by the crate) and an empty "fields" map (the named
field offsets are in mshv-bindings-0.7.0-<arch>.json already); records without
bit-fields are left out.

On stderr: how many bit-fields the crate defines, how many of them the output
reaches (must be all), and how many (record, path) entries it holds.

Regenerate the committed facts (from the top of the source tree):

    for a in x86_64 arm64; do
        python3 tests/abi/extract_bitfields.py \\
            --git-dir /work/.mirror/rust-vmm+mshv/repo --rev mshv-bindings-v0.7.0 \\
            mshv-bindings/src/$a/bindings.rs \\
            -o tests/abi/mshv-bindings-0.7.0-bitfields-$a.json
    done

With --git-dir, PATH is read from that git repository at --rev (default HEAD)
and the commit is recorded; without it PATH is a file (give --commit to record
one). The architecture comes from --arch or from "x86_64"/"arm64" in PATH.

Python 3 standard library only.
"""
import argparse
import bisect
import json
import re
import subprocess
import sys

VERSION = "0.7.0"
REPO = "rust-vmm/mshv"

# Sizes of the Rust primitive types bindgen uses (64-bit targets).
PRIMITIVES = {
    "u8": 1, "i8": 1, "bool": 1,
    "u16": 2, "i16": 2,
    "u32": 4, "i32": 4, "f32": 4,
    "u64": 8, "i64": 8, "f64": 8, "usize": 8, "isize": 8,
    "u128": 16, "i128": 16,
    "c_char": 1, "c_schar": 1, "c_uchar": 1,
    "c_short": 2, "c_ushort": 2,
    "c_int": 4, "c_uint": 4,
    "c_long": 8, "c_ulong": 8,
    "c_longlong": 8, "c_ulonglong": 8,
}

# Identifiers bindgen renames with a trailing "_" because they are Rust
# keywords; the C name has no "_".
RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct",
    "super", "trait", "true", "type", "unsafe", "use", "where", "while",
    "async", "await", "dyn", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "typeof", "unsized", "virtual", "yield",
    "try", "union",
}


class Failure(Exception):
    pass


def c_name(rust_name):
    if rust_name.startswith("r#"):
        return rust_name[2:]
    if rust_name.endswith("_") and rust_name[:-1] in RUST_KEYWORDS:
        return rust_name[:-1]
    return rust_name


def split_top(s, sep=","):
    """Split s at sep outside (), [], <>, {}."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "([<{":
            depth += 1
        elif ch in ")]>}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def matching_brace(text, i):
    """Index of the '}' closing the '{' at text[i]."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise Failure("unbalanced braces at offset %d" % i)


class Bindings:
    def __init__(self, text):
        self.text = text
        self.aliases = {}     # pub type NAME = TYPE;
        self.records = {}     # name -> {"kind", "packed", "align_attr", "fields": [(name, type)]}
        self.size = {}        # asserted sizes
        self.align = {}       # asserted alignments
        self.offsets = {}     # (record, field) -> asserted offset
        self.getters = {}     # record -> [(name, unit, bitoff, width)]
        self.verified = set()  # (record, member) whose computed offset the crate asserts
        self.computed = set()  # (record, member) placed by computation alone
        self._parse()

    def _parse(self):
        t = self.text
        for m in re.finditer(r"^pub type (\w+)\s*=\s*([^;]+);", t, re.M):
            self.aliases[m.group(1)] = " ".join(m.group(2).split())
        for m in re.finditer(r"^#\[repr\(([^)]*)\)\]\s*\n(?:#\[[^\n]*\]\s*\n)*pub (struct|union) (\w+) \{", t, re.M):
            reprs = [x.strip() for x in m.group(1).split(",")]
            if "C" not in reprs:
                raise Failure("%s: repr(%s) is not C" % (m.group(3), m.group(1)))
            packed = None
            align_attr = None
            for r in reprs:
                pm = re.fullmatch(r"packed(?:\((\d+)\))?", r)
                if pm:
                    packed = int(pm.group(1)) if pm.group(1) else 1
                am = re.fullmatch(r"align\((\d+)\)", r)
                if am:
                    align_attr = int(am.group(1))
            start = m.end() - 1
            body = t[start + 1:matching_brace(t, start)]
            fields = []
            for item in split_top(body):
                fm = re.fullmatch(r"pub (\S+)\s*:\s*(.+)", item, re.S)
                if not fm:
                    raise Failure("%s: cannot read member %r" % (m.group(3), item))
                fields.append((fm.group(1), " ".join(fm.group(2).split())))
            self.records[m.group(3)] = {"kind": m.group(2), "packed": packed,
                                        "align_attr": align_attr, "fields": fields}
        n_types = len(re.findall(r"^pub (?:struct|union) \w+ \{", t, re.M))
        if n_types != len(self.records):
            raise Failure("read %d of %d structs and unions" % (len(self.records), n_types))
        for m in re.finditer(r'\["Size of (\w+)"\]\s*\[[^\]]*?-\s*(\d+)usize\]\s*;', t):
            self.size[m.group(1)] = int(m.group(2))
        for m in re.finditer(r'\["Alignment of (\w+)"\]\s*\[[^\]]*?-\s*(\d+)usize\]\s*;', t):
            self.align[m.group(1)] = int(m.group(2))
        for m in re.finditer(r'\["Offset of field: (\w+)::(\w+)"\]\s*\[[^\]]*?-\s*(\d+)usize\]\s*;', t):
            self.offsets[(m.group(1), m.group(2))] = int(m.group(3))
        for what, got in (("Size of ", self.size), ("Alignment of ", self.align),
                          ("Offset of field: ", self.offsets)):
            if t.count('["' + what) != len(got):
                raise Failure("read %d of %d %r assertions" % (len(got), t.count('["' + what), what))
        impls = [(m.start(), m.group(1)) for m in re.finditer(r"^impl (\w+) \{", t, re.M)]
        getter = re.compile(
            r"pub fn (\S+)\(&self\) -> [^{]+\{\s*unsafe \{\s*::std::mem::transmute\("
            r"self\.(_bitfield_\d+)\.get\((\d+)usize,\s*(\d+)u8\) as \w+\)\s*\}\s*\}")
        pos = [p for p, _ in impls]
        for m in getter.finditer(t):
            k = bisect.bisect_right(pos, m.start()) - 1
            if k < 0:
                raise Failure("bit-field getter %s outside an impl" % m.group(1))
            owner = impls[k][1]
            self.getters.setdefault(owner, []).append(
                (m.group(1), m.group(2), int(m.group(3)), int(m.group(4))))
        # Every "_bitfield_N.get(" of a &self getter must have been read.
        n_get = len(re.findall(r"::std::mem::transmute\(self\._bitfield_\d+\.get\(", t))
        n_read = sum(len(v) for v in self.getters.values())
        if n_get != n_read:
            raise Failure("read %d of %d bit-field getters" % (n_read, n_get))
        for owner in self.getters:
            if owner not in self.records:
                raise Failure("bit-field getters for unknown type %s" % owner)

    def resolve(self, ty):
        seen = 0
        while ty in self.aliases:
            ty = self.aliases[ty]
            seen += 1
            if seen > 50:
                raise Failure("alias loop at %s" % ty)
        return ty

    def layout_of(self, ty):
        """(size, align) of a Rust type."""
        ty = self.resolve(ty.strip())
        m = re.fullmatch(r"\[(.+);\s*(\d+)(?:usize)?\]", ty)
        if m:
            s, a = self.layout_of(m.group(1))
            return s * int(m.group(2)), a
        m = re.fullmatch(r"__BindgenBitfieldUnit<\[u8;\s*(\d+)usize\]>", ty)
        if m:
            return int(m.group(1)), 1
        m = re.fullmatch(r"__IncompleteArrayField<(.+)>", ty)
        if m:
            return 0, self.layout_of(m.group(1))[1]
        if ty.startswith("*mut ") or ty.startswith("*const ") or ty.startswith("::std::option::Option<"):
            return 8, 8
        base = ty.split("::")[-1]
        if base in PRIMITIVES:
            return PRIMITIVES[base], PRIMITIVES[base]
        if ty in self.records:
            if ty not in self.size or ty not in self.align:
                raise Failure("no size/align assertion for %s" % ty)
            return self.size[ty], self.align[ty]
        raise Failure("unknown type %r" % ty)

    def member_offsets(self, name):
        """[(member, type, byte offset)] of a struct or union, verified
        against the crate's assertions."""
        rec = self.records[name]
        out = []
        off = 0
        end = 0
        max_align = 1
        for fname, fty in rec["fields"]:
            size, align = self.layout_of(fty)
            if rec["packed"] is not None:
                align = min(align, rec["packed"])
            max_align = max(max_align, align)
            if rec["kind"] == "union":
                here = 0
            else:
                here = (off + align - 1) // align * align
                off = here + size
            end = max(end, here + size)
            want = self.offsets.get((name, fname))
            if want is not None and want != here:
                raise Failure("%s::%s: computed offset %d, crate asserts %d" % (name, fname, here, want))
            (self.verified if want is not None else self.computed).add((name, fname))
            out.append((fname, fty, here))
        if rec["align_attr"]:
            max_align = max(max_align, rec["align_attr"])
        size = (end + max_align - 1) // max_align * max_align
        if size != self.size.get(name):
            raise Failure("%s: computed size %d, crate asserts %s" % (name, size, self.size.get(name)))
        if max_align != self.align.get(name):
            raise Failure("%s: computed align %d, crate asserts %s" % (name, max_align, self.align.get(name)))
        return out


def is_top_level(name):
    return "__bindgen_ty_" not in name and not name.startswith("__Bindgen")


def collect(b, ty, byte_off, prefix, bits, reached, stack):
    """Add the bit-fields reachable from a value of type ty at byte_off."""
    if ty in stack:
        raise Failure("recursive type %s" % ty)
    offsets = b.member_offsets(ty)
    units = {f: o for f, _, o in offsets}
    for gname, unit, bitoff, width in b.getters.get(ty, []):
        if unit not in units:
            raise Failure("%s: getter %s uses missing %s" % (ty, gname, unit))
        unit_bits = 8 * b.layout_of(dict((f, t) for f, t, _ in offsets)[unit])[0]
        if width < 1 or bitoff + width > unit_bits:
            raise Failure("%s.%s: bits %d+%d outside its %d-bit unit" % (ty, gname, bitoff, width, unit_bits))
        path = prefix + c_name(gname)
        if path in bits:
            raise Failure("duplicate path %s" % path)
        bits[path] = [(byte_off + units[unit]) * 8 + bitoff, width]
        reached.add((ty, gname))
    for fname, fty, off in offsets:
        if fname.startswith("_bitfield_") or fname.startswith("__bindgen_padding"):
            continue
        inner = b.resolve(fty)
        index = ""
        while True:
            m = re.fullmatch(r"\[(.+);\s*(\d+)(?:usize)?\]", inner)
            if not m:
                break
            if int(m.group(2)) == 0:
                index = None
                break
            inner = b.resolve(m.group(1).strip())
            index += "[0]"
        if index is None:
            # A zero-length array has no element 0 to write; its bit-fields
            # would show up as not reached.
            continue
        if inner not in b.records:
            continue
        if fname.startswith("__bindgen_anon_"):
            if index:
                raise Failure("%s: array of anonymous members" % ty)
            sub = prefix
        else:
            sub = prefix + c_name(fname) + index + "."
        collect(b, inner, byte_off + off, sub, bits, reached, stack + [ty])


def git_show(git_dir, rev, path):
    def run(*args):
        return subprocess.run(["git", "-C", git_dir] + list(args), check=True,
                              stdout=subprocess.PIPE).stdout.decode("utf-8")
    commit = run("rev-parse", rev + "^{commit}").strip()
    return run("show", "%s:%s" % (commit, path)), commit


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", help="bindings.rs (a file, or a path in --git-dir)")
    ap.add_argument("--git-dir", help="read PATH from this git repository")
    ap.add_argument("--rev", default="HEAD", help="revision for --git-dir (default HEAD)")
    ap.add_argument("--commit", help="commit to record when PATH is a file")
    ap.add_argument("--arch", choices=["x86_64", "arm64"])
    ap.add_argument("-o", "--output", help="output JSON (default stdout)")
    args = ap.parse_args(argv)

    arch = args.arch
    if arch is None:
        found = [a for a in ("x86_64", "arm64") if a in args.path]
        if len(found) != 1:
            ap.error("cannot tell the architecture from %s; give --arch" % args.path)
        arch = found[0]
    if args.git_dir:
        text, commit = git_show(args.git_dir, args.rev, args.path)
    else:
        with open(args.path, encoding="utf-8") as f:
            text = f.read()
        commit = args.commit

    try:
        b = Bindings(text)
        records = {}
        reached = set()
        for name in sorted(b.records):
            if not is_top_level(name):
                continue
            bits = {}
            collect(b, name, 0, "", bits, reached, [])
            if bits:
                records[name] = {"size": b.size[name], "align": b.align[name],
                                 "fields": {}, "bits": bits}
        defined = {(ty, g[0]) for ty, gs in b.getters.items() for g in gs}
    except Failure as e:
        print("extract_bitfields: %s" % e, file=sys.stderr)
        return 1

    entries = sum(len(r["bits"]) for r in records.values())
    print("extract_bitfields: %s: %d crate bit-fields in %d types, %d covered, "
          "%d entries in %d records" % (arch, len(defined), len(b.getters),
                                        len(defined & reached), entries, len(records)),
          file=sys.stderr)
    print("extract_bitfields: %s: member offsets: %d computed and asserted by the crate (all agree), "
          "%d computed only (anonymous members, bit-field units, zero-size markers); "
          "all record sizes and alignments agree" % (arch, len(b.verified), len(b.computed)),
          file=sys.stderr)
    missing = sorted(defined - reached)
    for ty, g in missing:
        print("extract_bitfields: not reached from any record: %s.%s" % (ty, g), file=sys.stderr)

    source = {"kind": "rust-bindgen", "repo": REPO, "version": VERSION}
    if commit:
        source["commit"] = commit
    source["path"] = args.path if args.git_dir else "mshv-bindings/src/%s/bindings.rs" % arch
    source["arch"] = arch
    out = json.dumps({"source": source, "records": records}, indent=1) + "\n"
    out = re.sub(r"\[\s*(\d+),\s*(\d+)\s*\]", r"[\1, \2]", out)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(out)
    else:
        sys.stdout.write(out)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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

# Functions whose comment has no Errors: line yet (issue 16: this list
# only shrinks; a name here that has its line is an error too).
ERRORS_TODO = {
    "mshv_arm64_decode_data_abort",
    "mshv_arm64_mmio_load_value",
    "mshv_device_close",
    "mshv_device_from_fd",
    "mshv_device_get_attr",
    "mshv_device_has_attr",
    "mshv_device_set_attr",
    "mshv_hv_intercept_type_name",
    "mshv_hv_message_type_name",
    "mshv_hv_partition_property_name",
    "mshv_hv_status_name",
    "mshv_hv_status_to_errno",
    "mshv_hv_status_to_errno_kernel",
    "mshv_hv_status_to_errno_legacy",
    "mshv_hvcall_name",
    "mshv_ioctl_name",
    "mshv_msg_instruction_bytes",
    "mshv_strerror",
    "mshv_system_close",
    "mshv_system_create_vm",
    "mshv_system_create_vm_with_args",
    "mshv_system_create_vm_with_type",
    "mshv_system_default_partition_args",
    "mshv_system_default_synthetic_features",
    "mshv_system_from_fd",
    "mshv_system_get_host_partition_property",
    "mshv_system_get_host_partition_property_ex",
    "mshv_system_get_msr_index_list",
    "mshv_system_get_vmm_caps",
    "mshv_system_hvcall",
    "mshv_system_open",
    "mshv_vcpu_advance_rip",
    "mshv_vcpu_close",
    "mshv_vcpu_complete_io",
    "mshv_vcpu_complete_mmio",
    "mshv_vcpu_emulate_mmio",
    "mshv_vcpu_emulate_string_io",
    "mshv_vcpu_get_all_vp_state_components",
    "mshv_vcpu_get_cpuid_values",
    "mshv_vcpu_get_debug_regs",
    "mshv_vcpu_get_fpu",
    "mshv_vcpu_get_lapic",
    "mshv_vcpu_get_misc_regs",
    "mshv_vcpu_get_msrs",
    "mshv_vcpu_get_reg_list",
    "mshv_vcpu_get_register",
    "mshv_vcpu_get_registers",
    "mshv_vcpu_get_registers_legacy",
    "mshv_vcpu_get_regs",
    "mshv_vcpu_get_sregs",
    "mshv_vcpu_get_suspend_regs",
    "mshv_vcpu_get_vcpu_events",
    "mshv_vcpu_get_vp_state",
    "mshv_vcpu_get_xcrs",
    "mshv_vcpu_get_xsave",
    "mshv_vcpu_gpa_read",
    "mshv_vcpu_gpa_write",
    "mshv_vcpu_hvcall",
    "mshv_vcpu_mmio_store_value",
    "mshv_vcpu_reg_page_valid",
    "mshv_vcpu_register_intercept_result_cpuid",
    "mshv_vcpu_register_intercept_result_cpuid_entry",
    "mshv_vcpu_run",
    "mshv_vcpu_set_all_vp_state_components",
    "mshv_vcpu_set_debug_regs",
    "mshv_vcpu_set_fpu",
    "mshv_vcpu_set_gpr_and_rip",
    "mshv_vcpu_set_lapic",
    "mshv_vcpu_set_misc_regs",
    "mshv_vcpu_set_msrs",
    "mshv_vcpu_set_register64",
    "mshv_vcpu_set_registers",
    "mshv_vcpu_set_registers64",
    "mshv_vcpu_set_registers_legacy",
    "mshv_vcpu_set_regs",
    "mshv_vcpu_set_rip",
    "mshv_vcpu_set_sev_control_register",
    "mshv_vcpu_set_sregs",
    "mshv_vcpu_set_vcpu_events",
    "mshv_vcpu_set_vp_state",
    "mshv_vcpu_set_xcrs",
    "mshv_vcpu_set_xsave",
    "mshv_vcpu_translate_gva",
    "mshv_vm_close",
    "mshv_vm_complete_isolated_import",
    "mshv_vm_create_device",
    "mshv_vm_create_vcpu",
    "mshv_vm_disable_dirty_page_tracking",
    "mshv_vm_enable_dirty_page_tracking",
    "mshv_vm_from_fd",
    "mshv_vm_get_dirty_log",
    "mshv_vm_get_gpap_access_bitmap",
    "mshv_vm_get_msr_index_list",
    "mshv_vm_get_partition_property",
    "mshv_vm_get_partition_property_ex",
    "mshv_vm_hvcall",
    "mshv_vm_import_isolated_pages",
    "mshv_vm_initialize",
    "mshv_vm_install_intercept",
    "mshv_vm_ioeventfd",
    "mshv_vm_irqfd",
    "mshv_vm_issue_psp_guest_request",
    "mshv_vm_map_user_memory",
    "mshv_vm_modify_gpa_host_access",
    "mshv_vm_post_message_direct",
    "mshv_vm_register_deliverability_notifications",
    "mshv_vm_register_ioevent",
    "mshv_vm_register_irqfd",
    "mshv_vm_register_irqfd_with_resample",
    "mshv_vm_request_virtual_interrupt",
    "mshv_vm_set_guest_memory",
    "mshv_vm_set_msi_routing",
    "mshv_vm_set_partition_property",
    "mshv_vm_sev_snp_ap_create",
    "mshv_vm_signal_event_direct",
    "mshv_vm_unmap_user_memory",
    "mshv_vm_unregister_ioevent",
    "mshv_vm_unregister_irqfd",
    "mshv_x86_decode",
    "mshv_x86_emulate",
    "mshv_x86_insn_address",
    "mshv_x86_mode_of",
    "mshv_x86_msr_to_register",
}
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

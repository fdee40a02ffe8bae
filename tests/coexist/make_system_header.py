#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Write a stand-in for a released upstream <linux/mshv.h>, for the
coexistence tests (tests/coexist/coexist.sh).

The text is ours: only the kernel's facts (names, values, layouts, which
release added what, the include guard and how `__packed` is spelled) are
taken from the upstream header's history:

  6.15   first upstream header (unchanged through 6.18): 3 partition flag
         bits, no mshv_vtl section
  6.19   flag bit 3, MSHV_NUM_CPU_FEATURES_BANKS, struct
         mshv_create_partition_v2, MSHV_CHECK_EXTENSION/MSHV_CAP_*,
         MSHV_MAX_RUN_MSG_SIZE and the mshv_vtl section
  7.0    flag bits 4 and 5 (7.1 changed comments only)

Each is written as installed by `make headers_install` (guard
_LINUX_MSHV_H, `__packed` expanded to the attribute), or with --tree as it
stands in a kernel tree's include/uapi (guard _UAPI_LINUX_MSHV_H, `__packed`
left for the includer to define).

Usage: make_system_header.py VERSION [--tree] OUT_DIR   (writes OUT_DIR/linux/mshv.h)
"""
import argparse
import os
import sys

VERSIONS = ("6.15", "6.19", "7.0")

BASE_TOP = """\
#include <linux/types.h>

#define MSHV_IOCTL 0xB8

enum {
\tMSHV_PT_BIT_LAPIC,
\tMSHV_PT_BIT_X2APIC,
\tMSHV_PT_BIT_GPA_SUPER_PAGES,
@EXTRA_BITS@\tMSHV_PT_BIT_COUNT,
};

#define MSHV_PT_FLAGS_MASK ((1 << MSHV_PT_BIT_COUNT) - 1)

enum {
\tMSHV_PT_ISOLATION_NONE,
\tMSHV_PT_ISOLATION_COUNT,
};

struct mshv_create_partition {
\t__u64 pt_flags;
\t__u64 pt_isolation;
};
"""

V2 = """\
#define MSHV_NUM_CPU_FEATURES_BANKS 2

struct mshv_create_partition_v2 {
\t__u64 pt_flags;
\t__u64 pt_isolation;
\t__u16 pt_num_cpu_fbanks;
\t__u8 pt_rsvd[6];
\t__u64 pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
\t__u64 pt_rsvd1[2];
#if defined(__x86_64__)
\t__u64 pt_disabled_xsave;
#else
\t__u64 pt_rsvd2;
#endif
} @PACKED@;
"""

BASE_REST = """\
#define MSHV_CREATE_PARTITION _IOW(MSHV_IOCTL, 0x00, struct mshv_create_partition)

struct mshv_create_vp {
\t__u32 vp_index;
};

enum {
\tMSHV_SET_MEM_BIT_WRITABLE,
\tMSHV_SET_MEM_BIT_EXECUTABLE,
\tMSHV_SET_MEM_BIT_UNMAP,
\tMSHV_SET_MEM_BIT_COUNT
};

#define MSHV_SET_MEM_FLAGS_MASK ((1 << MSHV_SET_MEM_BIT_COUNT) - 1)
#define MSHV_HV_PAGE_SIZE 0x1000

struct mshv_user_mem_region {
\t__u64 size;
\t__u64 guest_pfn;
\t__u64 userspace_addr;
\t__u8 flags;
\t__u8 rsvd[7];
};

enum {
\tMSHV_IRQFD_BIT_DEASSIGN,
\tMSHV_IRQFD_BIT_RESAMPLE,
\tMSHV_IRQFD_BIT_COUNT,
};

#define MSHV_IRQFD_FLAGS_MASK ((1 << MSHV_IRQFD_BIT_COUNT) - 1)

struct mshv_user_irqfd {
\t__s32 fd;
\t__s32 resamplefd;
\t__u32 gsi;
\t__u32 flags;
};

enum {
\tMSHV_IOEVENTFD_BIT_DATAMATCH,
\tMSHV_IOEVENTFD_BIT_PIO,
\tMSHV_IOEVENTFD_BIT_DEASSIGN,
\tMSHV_IOEVENTFD_BIT_COUNT,
};

#define MSHV_IOEVENTFD_FLAGS_MASK ((1 << MSHV_IOEVENTFD_BIT_COUNT) - 1)

struct mshv_user_ioeventfd {
\t__u64 datamatch;
\t__u64 addr;
\t__u32 len;
\t__s32 fd;
\t__u32 flags;
\t__u8 rsvd[4];
};

struct mshv_user_irq_entry {
\t__u32 gsi;
\t__u32 address_lo;
\t__u32 address_hi;
\t__u32 data;
};

struct mshv_user_irq_table {
\t__u32 nr;
\t__u32 rsvd;
\tstruct mshv_user_irq_entry entries[];
};

enum {
\tMSHV_GPAP_ACCESS_TYPE_ACCESSED,
\tMSHV_GPAP_ACCESS_TYPE_DIRTY,
\tMSHV_GPAP_ACCESS_TYPE_COUNT
};

enum {
\tMSHV_GPAP_ACCESS_OP_NOOP,
\tMSHV_GPAP_ACCESS_OP_CLEAR,
\tMSHV_GPAP_ACCESS_OP_SET,
\tMSHV_GPAP_ACCESS_OP_COUNT
};

struct mshv_gpap_access_bitmap {
\t__u8 access_type;
\t__u8 access_op;
\t__u8 rsvd[6];
\t__u64 page_count;
\t__u64 gpap_base;
\t__u64 bitmap_ptr;
};

struct mshv_root_hvcall {
\t__u16 code;
\t__u16 reps;
\t__u16 in_sz;
\t__u16 out_sz;
\t__u16 status;
\t__u8 rsvd[6];
\t__u64 in_ptr;
\t__u64 out_ptr;
};

#define MSHV_INITIALIZE_PARTITION _IO(MSHV_IOCTL, 0x00)
#define MSHV_CREATE_VP _IOW(MSHV_IOCTL, 0x01, struct mshv_create_vp)
#define MSHV_SET_GUEST_MEMORY _IOW(MSHV_IOCTL, 0x02, struct mshv_user_mem_region)
#define MSHV_IRQFD _IOW(MSHV_IOCTL, 0x03, struct mshv_user_irqfd)
#define MSHV_IOEVENTFD _IOW(MSHV_IOCTL, 0x04, struct mshv_user_ioeventfd)
#define MSHV_SET_MSI_ROUTING _IOW(MSHV_IOCTL, 0x05, struct mshv_user_irq_table)
#define MSHV_GET_GPAP_ACCESS_BITMAP _IOWR(MSHV_IOCTL, 0x06, struct mshv_gpap_access_bitmap)
#define MSHV_ROOT_HVCALL _IOWR(MSHV_IOCTL, 0x07, struct mshv_root_hvcall)

#define MSHV_RUN_VP_BUF_SZ 256

enum {
\tMSHV_VP_MMAP_OFFSET_REGISTERS,
\tMSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE,
\tMSHV_VP_MMAP_OFFSET_GHCB,
\tMSHV_VP_MMAP_OFFSET_COUNT
};

struct mshv_run_vp {
\t__u8 msg_buf[MSHV_RUN_VP_BUF_SZ];
};

enum {
\tMSHV_VP_STATE_LAPIC,
\tMSHV_VP_STATE_XSAVE,
\tMSHV_VP_STATE_SIMP,
\tMSHV_VP_STATE_SIEFP,
\tMSHV_VP_STATE_SYNTHETIC_TIMERS,
\tMSHV_VP_STATE_COUNT,
};

struct mshv_get_set_vp_state {
\t__u8 type;
\t__u8 rsvd[3];
\t__u32 buf_sz;
\t__u64 buf_ptr;
};

#define MSHV_RUN_VP _IOR(MSHV_IOCTL, 0x00, struct mshv_run_vp)
#define MSHV_GET_VP_STATE _IOWR(MSHV_IOCTL, 0x01, struct mshv_get_set_vp_state)
#define MSHV_SET_VP_STATE _IOWR(MSHV_IOCTL, 0x02, struct mshv_get_set_vp_state)
"""

VTL = """\
#define MSHV_CAP_CORE_API_STABLE 0x0
#define MSHV_CAP_REGISTER_PAGE 0x1
#define MSHV_CAP_VTL_RETURN_ACTION 0x2
#define MSHV_CAP_DR6_SHARED 0x3
#define MSHV_MAX_RUN_MSG_SIZE 256

struct mshv_vp_registers {
\t__u32 count;
\t__u32 reserved;
\t__u64 regs_ptr;
};

struct mshv_vtl_set_eventfd {
\t__s32 fd;
\t__u32 flag;
};

struct mshv_vtl_signal_event {
\t__u32 connection_id;
\t__u32 flag;
};

struct mshv_vtl_sint_post_msg {
\t__u64 message_type;
\t__u32 connection_id;
\t__u32 payload_size;
\t__u64 payload_ptr;
};

struct mshv_vtl_ram_disposition {
\t__u64 start_pfn;
\t__u64 last_pfn;
};

struct mshv_vtl_set_poll_file {
\t__u32 cpu;
\t__u32 fd;
};

struct mshv_vtl_hvcall_setup {
\t__u64 bitmap_array_size;
\t__u64 allow_bitmap_ptr;
};

struct mshv_vtl_hvcall {
\t__u64 control;
\t__u64 input_size;
\t__u64 input_ptr;
\t__u64 status;
\t__u64 output_size;
\t__u64 output_ptr;
};

struct mshv_sint_mask {
\t__u8 mask;
\t__u8 reserved[7];
};

#define MSHV_CHECK_EXTENSION _IOW(MSHV_IOCTL, 0x00, __u32)

#define MSHV_CREATE_VTL _IOR(MSHV_IOCTL, 0x1D, char)
#define MSHV_ADD_VTL0_MEMORY _IOW(MSHV_IOCTL, 0x21, struct mshv_vtl_ram_disposition)
#define MSHV_SET_POLL_FILE _IOW(MSHV_IOCTL, 0x25, struct mshv_vtl_set_poll_file)
#define MSHV_RETURN_TO_LOWER_VTL _IO(MSHV_IOCTL, 0x27)
#define MSHV_GET_VP_REGISTERS _IOWR(MSHV_IOCTL, 0x05, struct mshv_vp_registers)
#define MSHV_SET_VP_REGISTERS _IOW(MSHV_IOCTL, 0x06, struct mshv_vp_registers)

#define MSHV_SINT_SIGNAL_EVENT _IOW(MSHV_IOCTL, 0x22, struct mshv_vtl_signal_event)
#define MSHV_SINT_POST_MESSAGE _IOW(MSHV_IOCTL, 0x23, struct mshv_vtl_sint_post_msg)
#define MSHV_SINT_SET_EVENTFD _IOW(MSHV_IOCTL, 0x24, struct mshv_vtl_set_eventfd)
#define MSHV_SINT_PAUSE_MESSAGE_STREAM _IOW(MSHV_IOCTL, 0x25, struct mshv_sint_mask)

#define MSHV_HVCALL_SETUP _IOW(MSHV_IOCTL, 0x1E, struct mshv_vtl_hvcall_setup)
#define MSHV_HVCALL _IOWR(MSHV_IOCTL, 0x1F, struct mshv_vtl_hvcall)
"""


def header(version, tree):
    newer = VERSIONS.index(version)
    bits = ""
    if newer >= 1:
        bits += "\tMSHV_PT_BIT_CPU_AND_XSAVE_FEATURES,\n"
    if newer >= 2:
        bits += "\tMSHV_PT_BIT_NESTED_VIRTUALIZATION,\n\tMSHV_PT_BIT_SMT_ENABLED_GUEST,\n"
    guard = "_UAPI_LINUX_MSHV_H" if tree else "_LINUX_MSHV_H"
    text = "/* Stand-in for Linux %s's <linux/mshv.h>%s, written by %s. */\n" % (
        version, " (kernel tree copy)" if tree else " (installed)", os.path.basename(__file__))
    text += "#ifndef %s\n#define %s\n\n" % (guard, guard)
    text += BASE_TOP.replace("@EXTRA_BITS@", bits) + "\n"
    if newer >= 1:
        text += V2.replace("@PACKED@", "__packed" if tree else "__attribute__((packed))") + "\n"
    text += BASE_REST
    if newer >= 1:
        text += "\n" + VTL
    text += "\n#endif\n"
    return text


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("version", choices=VERSIONS)
    ap.add_argument("--tree", action="store_true")
    ap.add_argument("out_dir")
    args = ap.parse_args(argv)
    os.makedirs(os.path.join(args.out_dir, "linux"), exist_ok=True)
    with open(os.path.join(args.out_dir, "linux", "mshv.h"), "w", encoding="utf-8") as f:
        f.write(header(args.version, args.tree))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

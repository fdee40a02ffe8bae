/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv.h - a header-only C99 API for Linux's /dev/mshv, the interface through
 * which Linux, running as the root partition of the Microsoft Hypervisor,
 * creates and runs guest VMs.
 *
 * Do this:
 *
 *     #define MSHV_IMPLEMENTATION
 *     #include "mshv.h"
 *
 * in every C or C++ file that calls the ioctl layer (the wrappers are
 * `static inline`, so there is no single "implementation file": each caller
 * compiles the run loop straight into its own code). Without
 * MSHV_IMPLEMENTATION you get the bindings layer only: every type, constant
 * and request number of the kernel interface (<linux/mshv.h>, upstream and
 * the 6.6-era downstream ABI) and of the hypervisor (mshv_hv_defs.h).
 *
 * Compile-time options (define before the include):
 *
 *     MSHV_IMPLEMENTATION   compile the ioctl layer.
 *     MSHV_INLINE           storage class of every function; default
 *                           `static inline`.
 *     MSHV_PACKED           the packed attribute used by the hypervisor
 *                           records; default __attribute__((__packed__)).
 *
 * Names are those of the kernel and of Microsoft's hv headers
 * (struct hv_message, HVMSG_X64_IO_PORT_INTERCEPT, HV_X64_REGISTER_RIP,
 * MSHV_CREATE_PARTITION), with the kernel's layout on x86_64 and arm64.
 * Functions return >= 0 on success or -errno.
 *
 * Including a system <linux/mshv.h> before or after this header is fine:
 * each definition is made once, with the same layout and value.
 *
 * Files: mshv.h (this: kernel interface, then the ioctl layer),
 * mshv_hv_defs.h (hypervisor definitions, generated from hv-headers/),
 * mshv_x86_64.h and mshv_arm64.h (architecture-specific parts; mshv.h
 * includes the right one).
 */
#ifndef MSHV_H
#define MSHV_H

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "mshv.h: /dev/mshv exists on x86_64 and arm64 (aarch64) only; this architecture is not supported"
#endif

#include <linux/types.h>
#include <linux/ioctl.h>

#include "mshv_hv_defs.h"

#ifndef MSHV_INLINE
#define MSHV_INLINE static inline
#endif

/* Compile-time assertion usable at file scope in C99 and C++. */
#define MSHV__CONCAT2(a, b) a##b
#define MSHV__CONCAT(a, b) MSHV__CONCAT2(a, b)
#define MSHV_STATIC_ASSERT(cond, tag) \
	typedef char MSHV__CONCAT(mshv__static_assert_, tag)[(cond) ? 1 : -1]

/* ========================================================================
 * Kernel interface, part 1: upstream <linux/mshv.h>
 *
 * Skipped as a whole when the system header was included first (its
 * include guard is _LINUX_MSHV_H after headers_install); defining the guard
 * here makes a later #include <linux/mshv.h> a no-op.
 * ======================================================================== */
#ifndef _LINUX_MSHV_H
#define _LINUX_MSHV_H
#define _UAPI_LINUX_MSHV_H

#define MSHV_IOCTL 0xB8

/* /dev/mshv: partition creation flags (bit numbers) and isolation types */
enum {
	MSHV_PT_BIT_LAPIC,
	MSHV_PT_BIT_X2APIC,
	MSHV_PT_BIT_GPA_SUPER_PAGES,
	MSHV_PT_BIT_COUNT
};

#define MSHV_PT_FLAGS_MASK ((1 << MSHV_PT_BIT_COUNT) - 1)

enum {
	MSHV_PT_ISOLATION_NONE,
	MSHV_PT_ISOLATION_COUNT
};

/* Argument of MSHV_CREATE_PARTITION; the ioctl returns the partition fd. */
struct mshv_create_partition {
	__u64 pt_flags;     /* 1 << MSHV_PT_BIT_* */
	__u64 pt_isolation; /* MSHV_PT_ISOLATION_* */
};

#define MSHV_CREATE_PARTITION _IOW(MSHV_IOCTL, 0x00, struct mshv_create_partition)

/* Partition fd */
struct mshv_create_vp {
	__u32 vp_index;
};

enum {
	MSHV_SET_MEM_BIT_WRITABLE,
	MSHV_SET_MEM_BIT_EXECUTABLE,
	MSHV_SET_MEM_BIT_UNMAP,
	MSHV_SET_MEM_BIT_COUNT
};

#define MSHV_SET_MEM_FLAGS_MASK ((1 << MSHV_SET_MEM_BIT_COUNT) - 1)

/* Page size of the hypervisor, whatever the kernel's page size. */
#define MSHV_HV_PAGE_SIZE 0x1000

/*
 * Argument of MSHV_SET_GUEST_MEMORY: maps (or, with MSHV_SET_MEM_BIT_UNMAP,
 * unmaps) size bytes of the caller's memory at userspace_addr to guest page
 * guest_pfn. size and userspace_addr are multiples of MSHV_HV_PAGE_SIZE;
 * regions never overlap, in guest or user space; an unmap names an existing
 * region exactly; rsvd is zero.
 */
struct mshv_user_mem_region {
	__u64 size;
	__u64 guest_pfn;
	__u64 userspace_addr;
	__u8 flags;   /* 1 << MSHV_SET_MEM_BIT_* */
	__u8 rsvd[7];
};

enum {
	MSHV_IRQFD_BIT_DEASSIGN,
	MSHV_IRQFD_BIT_RESAMPLE,
	MSHV_IRQFD_BIT_COUNT
};

#define MSHV_IRQFD_FLAGS_MASK ((1 << MSHV_IRQFD_BIT_COUNT) - 1)

/* Argument of MSHV_IRQFD: an eventfd that injects the MSI routed at gsi. */
struct mshv_user_irqfd {
	__s32 fd;
	__s32 resamplefd; /* with MSHV_IRQFD_BIT_RESAMPLE: signalled on EOI */
	__u32 gsi;
	__u32 flags;      /* 1 << MSHV_IRQFD_BIT_* */
};

enum {
	MSHV_IOEVENTFD_BIT_DATAMATCH,
	MSHV_IOEVENTFD_BIT_PIO,
	MSHV_IOEVENTFD_BIT_DEASSIGN,
	MSHV_IOEVENTFD_BIT_COUNT
};

#define MSHV_IOEVENTFD_FLAGS_MASK ((1 << MSHV_IOEVENTFD_BIT_COUNT) - 1)

/* Argument of MSHV_IOEVENTFD: a guest write to addr signals fd. */
struct mshv_user_ioeventfd {
	__u64 datamatch;
	__u64 addr;   /* MMIO (or PIO) address */
	__u32 len;    /* 1, 2, 4 or 8 */
	__s32 fd;
	__u32 flags;  /* 1 << MSHV_IOEVENTFD_BIT_* */
	__u8 rsvd[4];
};

/* One MSI route: gsi -> (address, data). */
struct mshv_user_irq_entry {
	__u32 gsi;
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
};

/* Argument of MSHV_SET_MSI_ROUTING: replaces the whole table. */
struct mshv_user_irq_table {
	__u32 nr;
	__u32 rsvd;
	__extension__ struct mshv_user_irq_entry entries[MSHV_FLEX_ARRAY];
};

enum {
	MSHV_GPAP_ACCESS_TYPE_ACCESSED,
	MSHV_GPAP_ACCESS_TYPE_DIRTY,
	MSHV_GPAP_ACCESS_TYPE_COUNT
};

enum {
	MSHV_GPAP_ACCESS_OP_NOOP,
	MSHV_GPAP_ACCESS_OP_CLEAR,
	MSHV_GPAP_ACCESS_OP_SET,
	MSHV_GPAP_ACCESS_OP_COUNT
};

/*
 * Argument of MSHV_GET_GPAP_ACCESS_BITMAP: reads one bit per guest page
 * (accessed or dirty) for page_count pages from gpap_base into the buffer at
 * bitmap_ptr ((page_count + 7) / 8 bytes), then optionally clears or sets
 * those states.
 */
struct mshv_gpap_access_bitmap {
	__u8 access_type; /* MSHV_GPAP_ACCESS_TYPE_* */
	__u8 access_op;   /* MSHV_GPAP_ACCESS_OP_* */
	__u8 rsvd[6];
	__u64 page_count;
	__u64 gpap_base;
	__u64 bitmap_ptr;
};

/*
 * Argument of MSHV_ROOT_HVCALL: issues hypercall `code` with the input at
 * in_ptr (in_sz bytes, rep data included) and the output buffer at out_ptr.
 * reps: in, the rep count; out, reps completed. status: out, the HV_STATUS_*.
 * Sizes are at most MSHV_HV_PAGE_SIZE; status and rsvd are zero on input. On
 * a partition or VP fd the kernel fills in the partition id.
 */
struct mshv_root_hvcall {
	__u16 code;
	__u16 reps;
	__u16 in_sz;
	__u16 out_sz;
	__u16 status;
	__u8 rsvd[6];
	__u64 in_ptr;
	__u64 out_ptr;
};

#define MSHV_INITIALIZE_PARTITION   _IO(MSHV_IOCTL, 0x00)
#define MSHV_CREATE_VP              _IOW(MSHV_IOCTL, 0x01, struct mshv_create_vp)
#define MSHV_SET_GUEST_MEMORY       _IOW(MSHV_IOCTL, 0x02, struct mshv_user_mem_region)
#define MSHV_IRQFD                  _IOW(MSHV_IOCTL, 0x03, struct mshv_user_irqfd)
#define MSHV_IOEVENTFD              _IOW(MSHV_IOCTL, 0x04, struct mshv_user_ioeventfd)
#define MSHV_SET_MSI_ROUTING        _IOW(MSHV_IOCTL, 0x05, struct mshv_user_irq_table)
#define MSHV_GET_GPAP_ACCESS_BITMAP _IOWR(MSHV_IOCTL, 0x06, struct mshv_gpap_access_bitmap)
#define MSHV_ROOT_HVCALL            _IOWR(MSHV_IOCTL, 0x07, struct mshv_root_hvcall)

/* VP fd */
#define MSHV_RUN_VP_BUF_SZ 256

/*
 * Pages a VP fd can mmap(): the offset is the value times the system page
 * size (sysconf(_SC_PAGESIZE)), the length MSHV_HV_PAGE_SIZE.
 */
enum {
	MSHV_VP_MMAP_OFFSET_REGISTERS,
	MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE,
	MSHV_VP_MMAP_OFFSET_GHCB,
	MSHV_VP_MMAP_OFFSET_COUNT
};

/* Argument of MSHV_RUN_VP: receives the intercept message (struct hv_message). */
struct mshv_run_vp {
	__u8 msg_buf[MSHV_RUN_VP_BUF_SZ];
};

enum {
	MSHV_VP_STATE_LAPIC,            /* local interrupt controller */
	MSHV_VP_STATE_XSAVE,            /* x86_64: XSAVE area, compacted format */
	MSHV_VP_STATE_SIMP,
	MSHV_VP_STATE_SIEFP,
	MSHV_VP_STATE_SYNTHETIC_TIMERS,
	MSHV_VP_STATE_COUNT
};

/*
 * Argument of MSHV_GET_VP_STATE and MSHV_SET_VP_STATE. buf_ptr and buf_sz
 * are 4 KiB aligned; on output buf_sz is the size of the state (compare it
 * when the call fails with EINVAL: the buffer was too small).
 */
struct mshv_get_set_vp_state {
	__u8 type;    /* MSHV_VP_STATE_* */
	__u8 rsvd[3];
	__u32 buf_sz;
	__u64 buf_ptr;
};

#define MSHV_RUN_VP       _IOR(MSHV_IOCTL, 0x00, struct mshv_run_vp)
#define MSHV_GET_VP_STATE _IOWR(MSHV_IOCTL, 0x01, struct mshv_get_set_vp_state)
#define MSHV_SET_VP_STATE _IOWR(MSHV_IOCTL, 0x02, struct mshv_get_set_vp_state)
/* MSHV_ROOT_HVCALL (above) also works on a VP fd. */

#endif /* _LINUX_MSHV_H */

/* ========================================================================
 * Kernel interface, part 2: in-kernel devices (VFIO passthrough)
 *
 * Upstream numbers under the plain names. The 6.6-era downstream kernel
 * numbered the device-fd ioctls differently; those numbers are below under
 * *_LEGACY names (MSHV_GET_DEVICE_ATTR exists only there).
 * ======================================================================== */
#ifndef MSHV_CREATE_DEVICE

#define MSHV_CREATE_DEVICE_TEST 1 /* flags: only check that the type exists */

enum {
	MSHV_DEV_TYPE_VFIO,
	MSHV_DEV_TYPE_MAX
};

/* Argument of MSHV_CREATE_DEVICE (partition fd); fd is the new device fd. */
struct mshv_create_device {
	__u32 type;  /* MSHV_DEV_TYPE_* */
	__u32 fd;    /* out */
	__u32 flags; /* MSHV_CREATE_DEVICE_TEST */
};

#define MSHV_DEV_VFIO_FILE     1 /* group */
#define MSHV_DEV_VFIO_FILE_ADD 1 /* attributes of that group */
#define MSHV_DEV_VFIO_FILE_DEL 2

/* Argument of the device attribute ioctls (device fd). */
struct mshv_device_attr {
	__u32 flags; /* zero */
	__u32 group; /* device-defined */
	__u64 attr;  /* group-defined */
	__u64 addr;  /* user address of the attribute's data */
};

#define MSHV_CREATE_DEVICE   _IOWR(MSHV_IOCTL, 0x08, struct mshv_create_device)
#define MSHV_SET_DEVICE_ATTR _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)

#endif /* MSHV_CREATE_DEVICE */

/* The device-fd numbers of the upstream ABI, under names that say so. */
#define MSHV_SET_DEVICE_ATTR_UPSTREAM _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR_UPSTREAM _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)
/* ... and of the 6.6-era downstream ABI (as used by mshv-ioctls 0.7.0). */
#define MSHV_SET_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_GET_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x02, struct mshv_device_attr)
/*
 * Exists only in the downstream ABI. Careful: its number is upstream's
 * MSHV_HAS_DEVICE_ATTR, so issue it only to a kernel known to be 6.6-era.
 */
#ifndef MSHV_GET_DEVICE_ATTR
#define MSHV_GET_DEVICE_ATTR MSHV_GET_DEVICE_ATTR_LEGACY
#endif

/* ========================================================================
 * Kernel interface, part 3: the 6.6-era downstream ABI (Azure Linux), which
 * rust-vmm's mshv-ioctls 0.7.0 drives: extra partition flags, SEV-SNP
 * isolation, and the 0xF0+ ioctls that predate MSHV_ROOT_HVCALL.
 *
 * Skipped when a downstream system <linux/mshv.h> already defined it.
 * Where upstream and downstream give one name different values
 * (MSHV_PT_BIT_COUNT, MSHV_PT_ISOLATION_COUNT) the upstream value keeps the
 * plain name and the downstream one is *_LEGACY.
 * ======================================================================== */
#ifndef MSHV_GET_VP_REGISTERS
#define MSHV__DEFINES_DOWNSTREAM_ABI 1 /* the arch headers add their part */

#define MSHV_VP_MAX_REGISTERS       128
#define MSHV_NUM_CPU_FEATURES_BANKS 2

/* /dev/mshv sibling ioctl types of the downstream driver */
#define MSHV_DIAG_IOCTL  0xB9
#define MSHV_TRACE_IOCTL 0xBA

/* Partition creation flags added downstream (bit numbers after upstream's). */
enum {
	MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES = 3,
	MSHV_PT_BIT_NESTED_VIRTUALIZATION = 4,
	MSHV_PT_BIT_SMT_ENABLED_GUEST = 5,
	MSHV_PT_BIT_COUNT_LEGACY = 6
};

enum {
	MSHV_PT_ISOLATION_SNP = 1,
	MSHV_PT_ISOLATION_COUNT_LEGACY = 2
};

/* Argument of the downstream MSHV_GET_VP_REGISTERS / MSHV_SET_VP_REGISTERS. */
struct mshv_vp_registers {
	int count; /* at most MSHV_VP_MAX_REGISTERS */
	struct hv_register_assoc *regs;
};

struct mshv_install_intercept {
	__u32 access_type_mask; /* HV_INTERCEPT_ACCESS_MASK_* */
	enum hv_intercept_type intercept_type;
	union hv_intercept_parameters intercept_parameter;
};

struct mshv_assert_interrupt {
	union hv_interrupt_control control;
	__u64 dest_addr;
	__u32 vector;
	__u32 rsvd;
};

struct mshv_translate_gva {
	__u64 gva;
	__u64 flags; /* HV_TRANSLATE_GVA_* */
	union hv_translate_gva_result *result;
	__u64 *gpa;
};

struct mshv_signal_event_direct {
	__u32 vp;
	__u8 vtl;
	__u8 sint;
	__u16 flag;
	__u8 newly_signaled; /* out */
};

struct mshv_post_message_direct {
	__u32 vp;
	__u8 vtl;
	__u8 sint;
	__u16 length;
	__u8 *message;
};

struct mshv_register_deliverabilty_notifications {
	__u32 vp;
	__u32 pad;
	__u64 flag;
};

struct mshv_get_vp_cpuid_values {
	__u32 function;
	__u32 index;
	__u64 xfem;
	__u64 xss;
	__u32 eax; /* out */
	__u32 ebx; /* out */
	__u32 ecx; /* out */
	__u32 edx; /* out */
};

struct mshv_read_write_gpa {
	__u64 base_gpa;
	__u32 byte_count; /* at most 16 */
	__u32 flags;
	__u8 data[16];
};

struct mshv_sev_snp_ap_create {
	__u64 vp_id;
	__u64 vmsa_gpa;
};

struct mshv_issue_psp_guest_request {
	__u64 req_gpa;
	__u64 rsp_gpa;
};

struct mshv_complete_isolated_import {
	union hv_partition_complete_isolated_import_data import_data;
};

enum {
	MSHV_VTL_CAP_BIT_REGISTER_PAGE,
	MSHV_VTL_CAP_BIT_RETURN_ACTION,
	MSHV_VTL_CAP_BIT_DR6_SHARED,
	MSHV_VTL_CAP_BIT_COUNT
};

struct mshv_vtl_capabilities {
	__u64 bits; /* 1 << MSHV_VTL_CAP_BIT_* */
};

/* Argument of MSHV_GET_HOST_PARTITION_PROPERTY and the partition property ioctls. */
struct mshv_partition_property {
	__u64 property_code; /* HV_PARTITION_PROPERTY_* */
	__u64 property_value;
};

enum {
	MSHV_GPA_HOST_ACCESS_BIT_ACQUIRE,
	MSHV_GPA_HOST_ACCESS_BIT_READABLE,
	MSHV_GPA_HOST_ACCESS_BIT_WRITABLE,
	MSHV_GPA_HOST_ACCESS_BIT_LARGE_PAGE,
	MSHV_GPA_HOST_ACCESS_BIT_COUNT
};

struct mshv_modify_gpa_host_access {
	__u8 flags; /* 1 << MSHV_GPA_HOST_ACCESS_BIT_* */
	__u8 rsvd[7];
	__u64 page_count;
	__extension__ __u64 guest_pfns[MSHV_FLEX_ARRAY];
};

enum {
	MSHV_ISOLATED_PAGE_NORMAL,
	MSHV_ISOLATED_PAGE_VMSA,
	MSHV_ISOLATED_PAGE_ZERO,
	MSHV_ISOLATED_PAGE_UNMEASURED,
	MSHV_ISOLATED_PAGE_SECRETS,
	MSHV_ISOLATED_PAGE_CPUID,
	MSHV_ISOLATED_PAGE_COUNT
};

struct mshv_import_isolated_pages {
	__u8 page_type; /* MSHV_ISOLATED_PAGE_* */
	__u8 rsvd[7];
	__u64 page_count;
	__extension__ __u64 guest_pfns[MSHV_FLEX_ARRAY];
};

/* Argument of the downstream tracing ioctls (MSHV_TRACE_IOCTL type). */
struct mshv_trace_config {
	__u32 mode;
	__u32 max_buffers_count;
	__u32 pages_per_buffer;
	__u32 buffers_threshold;
	__u32 time_basis;
	__u64 system_time;
};

/* /dev/mshv */
#define MSHV_GET_HOST_PARTITION_PROPERTY _IOWR(MSHV_IOCTL, 0x01, struct mshv_partition_property)

/* Partition fd */
#define MSHV_MODIFY_GPA_HOST_ACCESS      _IOW(MSHV_IOCTL, 0x09, struct mshv_modify_gpa_host_access)
#define MSHV_IMPORT_ISOLATED_PAGES       _IOW(MSHV_IOCTL, 0x0A, struct mshv_import_isolated_pages)
#define MSHV_INSTALL_INTERCEPT           _IOW(MSHV_IOCTL, 0xF0, struct mshv_install_intercept)
#define MSHV_ASSERT_INTERRUPT            _IOW(MSHV_IOCTL, 0xF1, struct mshv_assert_interrupt)
#define MSHV_SET_PARTITION_PROPERTY      _IOW(MSHV_IOCTL, 0xF2, struct mshv_partition_property)
#define MSHV_GET_PARTITION_PROPERTY      _IOWR(MSHV_IOCTL, 0xF3, struct mshv_partition_property)
#define MSHV_COMPLETE_ISOLATED_IMPORT    _IOW(MSHV_IOCTL, 0xF4, struct mshv_complete_isolated_import)
#define MSHV_ISSUE_PSP_GUEST_REQUEST     _IOW(MSHV_IOCTL, 0xF5, struct mshv_issue_psp_guest_request)
#define MSHV_SEV_SNP_AP_CREATE           _IOW(MSHV_IOCTL, 0xF6, struct mshv_sev_snp_ap_create)
#define MSHV_SIGNAL_EVENT_DIRECT         _IOWR(MSHV_IOCTL, 0xF7, struct mshv_signal_event_direct)
#define MSHV_POST_MESSAGE_DIRECT         _IOW(MSHV_IOCTL, 0xF8, struct mshv_post_message_direct)
#define MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS \
	_IOW(MSHV_IOCTL, 0xF9, struct mshv_register_deliverabilty_notifications)

/* VP fd */
#define MSHV_GET_VP_REGISTERS            _IOWR(MSHV_IOCTL, 0xF0, struct mshv_vp_registers)
#define MSHV_SET_VP_REGISTERS            _IOW(MSHV_IOCTL, 0xF1, struct mshv_vp_registers)
#define MSHV_VP_TRANSLATE_GVA            _IOWR(MSHV_IOCTL, 0xF2, struct mshv_translate_gva)
#define MSHV_GET_VP_CPUID_VALUES         _IOWR(MSHV_IOCTL, 0xF4, struct mshv_get_vp_cpuid_values)
#define MSHV_READ_GPA                    _IOWR(MSHV_IOCTL, 0xF5, struct mshv_read_write_gpa)
#define MSHV_WRITE_GPA                   _IOW(MSHV_IOCTL, 0xF6, struct mshv_read_write_gpa)

#endif /* MSHV_GET_VP_REGISTERS */

/* The device-creation number of both ABIs (they agree). */
#define MSHV_CREATE_DEVICE_LEGACY   MSHV_CREATE_DEVICE
#define MSHV_CREATE_DEVICE_UPSTREAM MSHV_CREATE_DEVICE

/* ========================================================================
 * Architecture-specific parts
 * ======================================================================== */
#if defined(__x86_64__)
#include "mshv_x86_64.h"
#elif defined(__aarch64__)
#include "mshv_arm64.h"
#endif

/* ========================================================================
 * Every request number's argument size, checked against its struct
 * ======================================================================== */
#define MSHV__CHECK_IOC_SIZE(req, type, tag) \
	MSHV_STATIC_ASSERT(_IOC_SIZE(req) == sizeof(type), ioc_size_##tag)

MSHV__CHECK_IOC_SIZE(MSHV_CREATE_PARTITION, struct mshv_create_partition, create_partition);
MSHV_STATIC_ASSERT(_IOC_SIZE(MSHV_INITIALIZE_PARTITION) == 0, ioc_size_initialize_partition);
MSHV__CHECK_IOC_SIZE(MSHV_CREATE_VP, struct mshv_create_vp, create_vp);
MSHV__CHECK_IOC_SIZE(MSHV_SET_GUEST_MEMORY, struct mshv_user_mem_region, set_guest_memory);
MSHV__CHECK_IOC_SIZE(MSHV_IRQFD, struct mshv_user_irqfd, irqfd);
MSHV__CHECK_IOC_SIZE(MSHV_IOEVENTFD, struct mshv_user_ioeventfd, ioeventfd);
MSHV__CHECK_IOC_SIZE(MSHV_SET_MSI_ROUTING, struct mshv_user_irq_table, set_msi_routing);
MSHV__CHECK_IOC_SIZE(MSHV_GET_GPAP_ACCESS_BITMAP, struct mshv_gpap_access_bitmap, get_gpap_access_bitmap);
MSHV__CHECK_IOC_SIZE(MSHV_ROOT_HVCALL, struct mshv_root_hvcall, root_hvcall);
MSHV__CHECK_IOC_SIZE(MSHV_RUN_VP, struct mshv_run_vp, run_vp);
MSHV__CHECK_IOC_SIZE(MSHV_GET_VP_STATE, struct mshv_get_set_vp_state, get_vp_state);
MSHV__CHECK_IOC_SIZE(MSHV_SET_VP_STATE, struct mshv_get_set_vp_state, set_vp_state);
MSHV__CHECK_IOC_SIZE(MSHV_CREATE_DEVICE, struct mshv_create_device, create_device);
MSHV__CHECK_IOC_SIZE(MSHV_SET_DEVICE_ATTR, struct mshv_device_attr, set_device_attr);
MSHV__CHECK_IOC_SIZE(MSHV_HAS_DEVICE_ATTR, struct mshv_device_attr, has_device_attr);
MSHV__CHECK_IOC_SIZE(MSHV_GET_DEVICE_ATTR, struct mshv_device_attr, get_device_attr);
MSHV__CHECK_IOC_SIZE(MSHV_HAS_DEVICE_ATTR_LEGACY, struct mshv_device_attr, has_device_attr_legacy);
MSHV__CHECK_IOC_SIZE(MSHV_GET_HOST_PARTITION_PROPERTY, struct mshv_partition_property, get_host_partition_property);
MSHV__CHECK_IOC_SIZE(MSHV_MODIFY_GPA_HOST_ACCESS, struct mshv_modify_gpa_host_access, modify_gpa_host_access);
MSHV__CHECK_IOC_SIZE(MSHV_IMPORT_ISOLATED_PAGES, struct mshv_import_isolated_pages, import_isolated_pages);
MSHV__CHECK_IOC_SIZE(MSHV_INSTALL_INTERCEPT, struct mshv_install_intercept, install_intercept);
MSHV__CHECK_IOC_SIZE(MSHV_ASSERT_INTERRUPT, struct mshv_assert_interrupt, assert_interrupt);
MSHV__CHECK_IOC_SIZE(MSHV_SET_PARTITION_PROPERTY, struct mshv_partition_property, set_partition_property);
MSHV__CHECK_IOC_SIZE(MSHV_GET_PARTITION_PROPERTY, struct mshv_partition_property, get_partition_property);
MSHV__CHECK_IOC_SIZE(MSHV_COMPLETE_ISOLATED_IMPORT, struct mshv_complete_isolated_import, complete_isolated_import);
MSHV__CHECK_IOC_SIZE(MSHV_ISSUE_PSP_GUEST_REQUEST, struct mshv_issue_psp_guest_request, issue_psp_guest_request);
MSHV__CHECK_IOC_SIZE(MSHV_SEV_SNP_AP_CREATE, struct mshv_sev_snp_ap_create, sev_snp_ap_create);
MSHV__CHECK_IOC_SIZE(MSHV_SIGNAL_EVENT_DIRECT, struct mshv_signal_event_direct, signal_event_direct);
MSHV__CHECK_IOC_SIZE(MSHV_POST_MESSAGE_DIRECT, struct mshv_post_message_direct, post_message_direct);
MSHV__CHECK_IOC_SIZE(MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS, struct mshv_register_deliverabilty_notifications,
		     register_deliverability_notifications);
MSHV__CHECK_IOC_SIZE(MSHV_GET_VP_REGISTERS, struct mshv_vp_registers, get_vp_registers);
MSHV__CHECK_IOC_SIZE(MSHV_SET_VP_REGISTERS, struct mshv_vp_registers, set_vp_registers);
MSHV__CHECK_IOC_SIZE(MSHV_VP_TRANSLATE_GVA, struct mshv_translate_gva, vp_translate_gva);
MSHV__CHECK_IOC_SIZE(MSHV_GET_VP_CPUID_VALUES, struct mshv_get_vp_cpuid_values, get_vp_cpuid_values);
MSHV__CHECK_IOC_SIZE(MSHV_READ_GPA, struct mshv_read_write_gpa, read_gpa);
MSHV__CHECK_IOC_SIZE(MSHV_WRITE_GPA, struct mshv_read_write_gpa, write_gpa);

/* ========================================================================
 * The ioctl layer (MSHV_IMPLEMENTATION)
 *
 * Every wrapper is MSHV_INLINE and returns >= 0 or -errno. The wrappers for
 * system, partition and device fds, then for VPs and the run loop, come in
 * the following releases; this release carries the bindings layer.
 * ======================================================================== */
#ifdef MSHV_IMPLEMENTATION
#include <errno.h>
#include <sys/ioctl.h>
#endif /* MSHV_IMPLEMENTATION */

#endif /* MSHV_H */

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Host-side (root partition) hypervisor definitions, the core set:
 * partition property codes, partition isolation state and the partition
 * property records a VMM reads and writes.
 *
 * Source of mshv_hv_defs.h, written in the kernel dialect of
 * include/hyperv/*.h (u8..u64, __packed) so that it can be compared with
 * the kernel's headers line by line. tools/gen_hv_defs.py turns it into
 * the self-contained user-space header; edit here, then regenerate.
 */
#ifndef _HVHDK_MINI_H
#define _HVHDK_MINI_H

#include "hvgdk.h"

#define HVHVK_MINI_VERSION 0x62ce
#define HV_GENERIC_SET_SHIFT 6
#define HV_GENERIC_SET_MASK 63
#define HV_PARTITION_VMM_CAPABILITIES_BANK_COUNT 1
#define HV_PARTITION_VMM_CAPABILITIES_RESERVED_BITFIELD_COUNT 59
#define HV_MAP_GPA_PERMISSIONS_NONE 0
#define HV_MAP_GPA_READABLE 1
#define HV_MAP_GPA_WRITABLE 2
#define HV_MAP_GPA_KERNEL_EXECUTABLE 4
#define HV_MAP_GPA_USER_EXECUTABLE 8
#define HV_MAP_GPA_EXECUTABLE 12
#define HV_MAP_GPA_PERMISSIONS_MASK 15
#define HV_MAP_GPA_ADJUSTABLE 0x8000
#define HV_MAP_GPA_NO_ACCESS 0x10000
#define HV_MAP_GPA_NOT_CACHED 0x200000
#define HV_MAP_GPA_LARGE_PAGE 0x80000000
#define HV_PFN_RNG_PAGEBITS 24

enum hv_generic_set_format {
	HV_GENERIC_SET_SPARSE_4K = 0,
	HV_GENERIC_SET_ALL = 1,
};

enum hv_partition_property_code {
	HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS = 0x10000,
	HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES = 0x10001,
	HV_PARTITION_PROPERTY_SUSPEND = 0x20000,
	HV_PARTITION_PROPERTY_CPU_RESERVE = 0x20001,
	HV_PARTITION_PROPERTY_CPU_CAP = 0x20002,
	HV_PARTITION_PROPERTY_CPU_WEIGHT = 0x20003,
	HV_PARTITION_PROPERTY_CPU_GROUP_ID = 0x20004,
	HV_PARTITION_PROPERTY_TIME_FREEZE = 0x30003,
	HV_PARTITION_PROPERTY_REFERENCE_TIME = 0x30005,
	HV_PARTITION_PROPERTY_DEBUG_CHANNEL_ID = 0x40000,
	HV_PARTITION_PROPERTY_VIRTUAL_TLB_PAGE_COUNT = 0x50000,
	HV_PARTITION_PROPERTY_VSM_CONFIG = 0x50001,
	HV_PARTITION_PROPERTY_ZERO_MEMORY_ON_RESET = 0x50002,
	HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET = 0x50003,
	HV_PARTITION_PROPERTY_NESTED_TLB_SIZE = 0x50004,
	HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING = 0x50005,
	HV_PARTITION_PROPERTY_VSM_PERMISSIONS_DIRTY_SINCE_LAST_QUERY = 0x50006,
	HV_PARTITION_PROPERTY_SGX_LAUNCH_CONTROL_CONFIG = 0x50007,
	HV_PARTITION_PROPERTY_DEFAULT_SGX_LAUNCH_CONTROL0 = 0x50008,
	HV_PARTITION_PROPERTY_DEFAULT_SGX_LAUNCH_CONTROL1 = 0x50009,
	HV_PARTITION_PROPERTY_DEFAULT_SGX_LAUNCH_CONTROL2 = 0x5000a,
	HV_PARTITION_PROPERTY_DEFAULT_SGX_LAUNCH_CONTROL3 = 0x5000b,
	HV_PARTITION_PROPERTY_ISOLATION_STATE = 0x5000c,
	HV_PARTITION_PROPERTY_ISOLATION_CONTROL = 0x5000d,
	HV_PARTITION_PROPERTY_ALLOCATION_ID = 0x5000e,
	HV_PARTITION_PROPERTY_MONITORING_ID = 0x5000f,
	HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS = 0x50010,
	HV_PARTITION_PROPERTY_NON_ARCHITECTURAL_CORE_SHARING = 0x50011,
	HV_PARTITION_PROPERTY_HYPERCALL_DOORBELL_PAGE = 0x50012,
	HV_PARTITION_PROPERTY_ISOLATION_POLICY = 0x50014,
	HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION = 0x50017,
	HV_PARTITION_PROPERTY_SEV_VMGEXIT_OFFLOADS = 0x50022,
	HV_PARTITION_PROPERTY_PARTITION_DIAG_BUFFER_CONFIG = 0x50026,
	HV_PARTITION_PROPERTY_GICD_BASE_ADDRESS = 0x50028,
	HV_PARTITION_PROPERTY_GITS_TRANSLATER_BASE_ADDRESS = 0x50029,
	HV_PARTITION_PROPERTY_GIC_LPI_INT_ID_BITS = 0x5002a,
	HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTV = 0x5002b,
	HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTP = 0x5002c,
	HV_PARTITION_PROPERTY_GIC_PPI_PERFORMANCE_MONITORS_INTERRUPT = 0x5002d,
	HV_PARTITION_PROPERTY_GIC_PPI_PMBIRQ = 0x5002e,
	HV_PARTITION_PROPERTY_PROCESSOR_VENDOR = 0x60000,
	HV_PARTITION_PROPERTY_PROCESSOR_FEATURES_DEPRECATED = 0x60001,
	HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES = 0x60002,
	HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE = 0x60003,
	HV_PARTITION_PROPERTY_ENLIGHTENMENT_MODIFICATIONS = 0x60004,
	HV_PARTITION_PROPERTY_COMPATIBILITY_VERSION = 0x60005,
	HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH = 0x60006,
	HV_PARTITION_PROPERTY_XSAVE_STATES = 0x60007,
	HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE = 0x60008,
	HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY = 0x60009,
	HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0 = 0x6000a,
	HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1 = 0x6000b,
	HV_PARTITION_PROPERTY_GUEST_OS_ID = 0x70000,
	HV_PARTITION_PROPERTY_PROCESSOR_VIRTUALIZATION_FEATURES = 0x80000,
	HV_PARTITION_PROPERTY_VMM_CAPABILITIES = 0x90007,
	HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES = 0x90009,
};

union hv_pfn_range {
	u64 as_uint64;
	struct {
		u64 base_pfn : 40;
		u64 add_pfns : 24;
	} __packed;
};

union hv_snp_guest_policy {
	struct {
		u64 minor_version : 8;
		u64 major_version : 8;
		u64 smt_allowed : 1;
		u64 vmpls_required : 1;
		u64 migration_agent_allowed : 1;
		u64 debug_allowed : 1;
		u64 reserved : 44;
	} __packed;
	u64 as_uint64;
};

struct hv_snp_id_block {
	u8 launch_digest[48];
	u8 family_id[16];
	u8 image_id[16];
	u32 version;
	u32 guest_svn;
	union hv_snp_guest_policy policy;
} __packed;

struct hv_snp_id_auth_info {
	u32 id_key_algorithm;
	u32 auth_key_algorithm;
	u8 reserved0[56];
	u8 id_block_signature[512];
	u8 id_key[1028];
	u8 reserved1[60];
	u8 id_key_signature[512];
	u8 author_key[1028];
} __packed;

struct hv_psp_launch_finish_data {
	struct hv_snp_id_block id_block;
	struct hv_snp_id_auth_info id_auth_info;
	u8 host_data[32];
	u8 id_block_enabled;
	u8 author_key_enabled;
} __packed;

union hv_partition_complete_isolated_import_data {
	u64 reserved;
	struct hv_psp_launch_finish_data psp_parameters;
} __packed;

struct hv_input_complete_isolated_import {
	u64 partition_id;
	union hv_partition_complete_isolated_import_data import_data;
} __packed;

#if defined(__x86_64__)
struct hv_partition_property_vmm_capabilities {
	u16 bank_count;
	u16 reserved[3];
	union {
		u64 as_uint64[1];
		struct {
			u64 map_gpa_preserve_adjustable : 1;
			u64 vmm_can_provide_overlay_gpfn : 1;
			u64 vp_affinity_property : 1;
			u64 reservedbit3 : 1;
			u64 assignable_synthetic_proc_features : 1;
			u64 reserved0 : 59;
		} __packed;
	};
} __packed;
#elif defined(__aarch64__)
struct hv_partition_property_vmm_capabilities {
	u16 bank_count;
	u16 reserved[3];
	union {
		u64 as_uint64[1];
		struct {
			u64 map_gpa_preserve_adjustable : 1;
			u64 vmm_can_provide_overlay_gpfn : 1;
			u64 vp_affinity_property : 1;
			u64 vmm_can_provide_gic_overlay_locations : 1;
			u64 assignable_synthetic_proc_features : 1;
			u64 reserved0 : 59;
		} __packed;
	};
} __packed;
#endif

#endif /* _HVHDK_MINI_H */

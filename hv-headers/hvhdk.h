/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Host-side (root partition) hypervisor definitions: the VP register
 * page, processor and synthetic feature banks, intercept message payloads,
 * the input and output records of the hypercalls a root partition issues,
 * SEV-SNP isolation records, LAPIC and XSAVE VP state.
 *
 * Source of mshv_hv_defs.h, written in the kernel dialect of
 * include/hyperv/*.h (u8..u64, __packed) so that it can be compared with
 * the kernel's headers line by line. tools/gen_hv_defs.py turns it into
 * the self-contained user-space header; edit here, then regenerate.
 */
#ifndef _HVHDK_H
#define _HVHDK_H

#include "hvhdk_mini.h"

#define HVHDK_H_VERSION 0x627c
#define HV_X64_REGISTER_CLASS_GENERAL 0
#define HV_X64_REGISTER_CLASS_IP 1
#define HV_X64_REGISTER_CLASS_XMM 2
#define HV_X64_REGISTER_CLASS_SEGMENT 3
#define HV_X64_REGISTER_CLASS_FLAGS 4
#define HV_VP_REGISTER_PAGE_VERSION_1 1
#define HV_VP_REGISTER_PAGE_MAX_VECTOR_COUNT 7
#define HV_PARTITION_SYNTHETIC_PROCESSOR_FEATURES_BANKS 1
#define HV_PARTITION_SYNTHETIC_PROCESSOR_FEATURES_RESERVED_BITFIELD_COUNT 10
#define HV_TRANSLATE_GVA_VALIDATE_READ 1
#define HV_TRANSLATE_GVA_VALIDATE_WRITE 2
#define HV_TRANSLATE_GVA_VALIDATE_EXECUTE 4

#if defined(__x86_64__)
#define HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT 8
#endif

#define HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS 16
#define HV_TRANSLATE_GVA_TLB_FLUSH_INHIBIT 32
#define HV_TRANSLATE_GVA_SUPERVISOR_ACCESS 64
#define HV_TRANSLATE_GVA_USER_ACCESS 128

#if defined(__x86_64__)
#define HV_TRANSLATE_GVA_ENFORCE_SMAP 0x100
#define HV_TRANSLATE_GVA_OVERRIDE_SMAP 0x200
#define HV_TRANSLATE_GVA_SHADOW_STACK 0x400
#define HV_HYPERCALL_INTERCEPT_MAX_XMM_REGISTERS 6
#define HV_UNSUPPORTED_FEATURE_INTERCEPT 1
#define HV_UNSUPPORTED_FEATURE_TASK_SWITCH_TSS 2
#define HV_X64_PENDING_INTERRUPT 0
#define HV_X64_PENDING_NMI 2
#define HV_X64_PENDING_EXCEPTION 3
#define HV_GPA_ATTRIBUTE_INTERCEPT_MAX_RANGES 29
#elif defined(__aarch64__)
#define HV_TRANSLATE_GVA_PAN_SET 0x100
#define HV_TRANSLATE_GVA_PAN_CLEAR 0x200
#endif

#define HV_PSP_CPUID_LEAF_COUNT_MAX 64
#define HV_READ_WRITE_GPA_MAX_SIZE 16

#if defined(__x86_64__)
#define HV_PARTITION_PROCESSOR_XSAVE_FEATURES_RESERVED_BITFIELD_COUNT 24
#endif

#define HV_PARTITION_PROCESSOR_FEATURES_BANKS 2
#define HV_PARTITION_PROCESSOR_FEATURES_RESERVEDBANK1_BITFIELD_COUNT 4

union hv_vp_register_page_interrupt_vectors {
	u64 as_uint64;
	struct {
		u8 vector_count;
		u8 vector[7];
	} __packed;
} __packed;

#if defined(__x86_64__)
struct hv_vp_register_page {
	u16 version;
	u8 isvalid;
	u8 rsvdz;
	u32 dirty;
	union {
		struct {
			union {
				struct {
					u64 rax;
					u64 rcx;
					u64 rdx;
					u64 rbx;
					u64 rsp;
					u64 rbp;
					u64 rsi;
					u64 rdi;
					u64 r8;
					u64 r9;
					u64 r10;
					u64 r11;
					u64 r12;
					u64 r13;
					u64 r14;
					u64 r15;
				} __packed;
				u64 gp_registers[16];
			};
			u64 rip;
			u64 rflags;
		} __packed;
		u64 registers[18];
	};
	u8 reserved[8];
	union {
		struct {
			struct hv_u128 xmm0;
			struct hv_u128 xmm1;
			struct hv_u128 xmm2;
			struct hv_u128 xmm3;
			struct hv_u128 xmm4;
			struct hv_u128 xmm5;
		} __packed;
		struct hv_u128 xmm_registers[6];
	};
	union {
		struct {
			struct hv_x64_segment_register es;
			struct hv_x64_segment_register cs;
			struct hv_x64_segment_register ss;
			struct hv_x64_segment_register ds;
			struct hv_x64_segment_register fs;
			struct hv_x64_segment_register gs;
		} __packed;
		struct hv_x64_segment_register segment_registers[6];
	};
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 cr8;
	u64 efer;
	u64 dr7;
	union hv_x64_pending_interruption_register pending_interruption;
	union hv_x64_interrupt_state_register interrupt_state;
	u64 instruction_emulation_hints;
	u64 xfem;
	u8 reserved1[256];
	union hv_vp_register_page_interrupt_vectors interrupt_vectors;
} __packed;

union hv_partition_synthetic_processor_features {
	u64 as_uint64[1];
	struct {
		u64 hypervisor_present : 1;
		u64 hv1 : 1;
		u64 access_vp_run_time_reg : 1;
		u64 access_partition_reference_counter : 1;
		u64 access_synic_regs : 1;
		u64 access_synthetic_timer_regs : 1;
		u64 access_intr_ctrl_regs : 1;
		u64 access_hypercall_regs : 1;
		u64 access_vp_index : 1;
		u64 access_partition_reference_tsc : 1;
		u64 access_guest_idle_reg : 1;
		u64 access_frequency_regs : 1;
		u64 reserved_z12 : 1;
		u64 reserved_z13 : 1;
		u64 reserved_z14 : 1;
		u64 enable_extended_gva_ranges_for_flush_virtual_address_list : 1;
		u64 access_vsm : 1;
		u64 reserved_z17 : 1;
		u64 fast_hypercall_output : 1;
		u64 reserved_z19 : 1;
		u64 start_virtual_processor : 1;
		u64 reserved_z21 : 1;
		u64 direct_synthetic_timers : 1;
		u64 reserved_z23 : 1;
		u64 extended_processor_masks : 1;
		u64 tb_flush_hypercalls : 1;
		u64 synthetic_cluster_ipi : 1;
		u64 notify_long_spin_wait : 1;
		u64 query_numa_distance : 1;
		u64 signal_events : 1;
		u64 retarget_device_interrupt : 1;
		u64 restore_time : 1;
		u64 enlightened_vmcs : 1;
		u64 nested_debug_ctl : 1;
		u64 synthetic_time_unhalted_timer : 1;
		u64 idle_spec_ctrl : 1;
		u64 reserved_z36 : 1;
		u64 wake_vps : 1;
		u64 access_vp_regs : 1;
		u64 reserved_z39 : 1;
		u64 management_vtl_synic_support : 1;
		u64 proxy_interrupt_doorbell_support : 1;
		u64 reserved_z42 : 1;
		u64 mmio_hypercalls : 1;
		u64 reserved_z44 : 1;
		u64 map_partition_event_log_buffer : 1;
		u64 lower_vtl_guest_request_support : 1;
		u64 proxy_interrupt_redirect_support : 1;
		u64 install_intercept : 1;
		u64 reserved_z49 : 1;
		u64 pin_gpa_page_range_support : 1;
		u64 heat_hint_beneficial_support : 1;
		u64 ring_buffer_message_port_support : 1;
		u64 flush_guest_physical_address_space : 1;
		u64 Reserved : 10;
	} __packed;
};
#elif defined(__aarch64__)
struct hv_vp_register_page {
	u16 version;
	u8 isvalid;
	u8 rsvdz;
	u32 dirty;
} __packed;

union hv_partition_synthetic_processor_features {
	u64 as_uint64[1];
	struct {
		u64 hypervisor_present : 1;
		u64 hv1 : 1;
		u64 access_vp_run_time_reg : 1;
		u64 access_partition_reference_counter : 1;
		u64 access_synic_regs : 1;
		u64 access_synthetic_timer_regs : 1;
		u64 access_intr_ctrl_regs : 1;
		u64 access_hypercall_regs : 1;
		u64 access_vp_index : 1;
		u64 access_partition_reference_tsc : 1;
		u64 reserved_z10 : 1;
		u64 access_frequency_regs : 1;
		u64 reserved_z12 : 1;
		u64 reserved_z13 : 1;
		u64 reserved_z14 : 1;
		u64 reserved_z15 : 1;
		u64 access_vsm : 1;
		u64 reserved_z17 : 1;
		u64 fast_hypercall_output : 1;
		u64 reserved_z19 : 1;
		u64 start_virtual_processor : 1;
		u64 reserved_z21 : 1;
		u64 direct_synthetic_timers : 1;
		u64 reserved_z23 : 1;
		u64 extended_processor_masks : 1;
		u64 tb_flush_hypercalls : 1;
		u64 synthetic_cluster_ipi : 1;
		u64 notify_long_spin_wait : 1;
		u64 query_numa_distance : 1;
		u64 signal_events : 1;
		u64 retarget_device_interrupt : 1;
		u64 reserved_z31 : 1;
		u64 reserved_z32 : 1;
		u64 reserved_z33 : 1;
		u64 reserved_z34 : 1;
		u64 reserved_z35 : 1;
		u64 register_intercepts_v1 : 1;
		u64 wake_vps : 1;
		u64 access_vp_regs : 1;
		u64 sync_context : 1;
		u64 management_vtl_synic_support : 1;
		u64 reserved_z41 : 1;
		u64 intercept_system_reset : 1;
		u64 mmio_hypercalls : 1;
		u64 management_vtl_spi_support : 1;
		u64 map_partition_event_log_buffer : 1;
		u64 reserved_z46 : 1;
		u64 reserved_z47 : 1;
		u64 install_intercept : 1;
		u64 access_reserved_sint_interrupt_id : 1;
		u64 pin_gpa_page_range_support : 1;
		u64 heat_hint_beneficial_support : 1;
		u64 ring_buffer_message_port_support : 1;
		u64 reserved_z53 : 1;
		u64 Reserved : 10;
	} __packed;
};
#endif

enum hv_partition_isolation_state {
	HV_PARTITION_ISOLATION_INVALID = 0,
	HV_PARTITION_ISOLATION_INSECURE_CLEAN = 1,
	HV_PARTITION_ISOLATION_INSECURE_DIRTY = 2,
	HV_PARTITION_ISOLATION_SECURE = 3,
	HV_PARTITION_ISOLATION_SECURE_DIRTY = 4,
	HV_PARTITION_ISOLATION_SECURE_TERMINATING = 5,
};

union hv_partition_isolation_properties {
	u64 as_uint64;
	struct {
		u64 isolation_type : 5;
		u64 isolation_host_type : 2;
		u64 rsvd_z : 5;
		u64 shared_gpa_boundary_page_number : 52;
	} __packed;
};

struct hv_input_get_partition_property {
	u64 partition_id;
	u32 property_code;
	u32 padding;
} __packed;

struct hv_output_get_partition_property {
	u64 property_value;
} __packed;

struct hv_input_set_partition_property {
	u64 partition_id;
	u32 property_code;
	u32 padding;
	u64 property_value;
} __packed;

union hv_partition_property_arg {
	u64 as_uint64;
	struct {
		union {
			u32 arg;
			u32 vp_index;
		};
		u16 reserved0;
		u8 reserved1;
		u8 object_type;
	};
} __packed;

struct hv_input_get_partition_property_ex {
	u64 partition_id;
	u32 property_code;
	u32 padding;
	union {
		union hv_partition_property_arg arg_data;
		u64 arg;
	};
} __packed;

union hv_partition_property_ex {
	u8 buffer[4072];
	struct hv_partition_property_vmm_capabilities vmm_capabilities;
} __packed;

struct hv_output_get_partition_property_ex {
	union hv_partition_property_ex property_value;
} __packed;

struct hv_cpuid_leaf_info {
	u32 eax;
	u32 ecx;
	u64 xfem;
	u64 xss;
} __packed;

union hv_get_vp_cpuid_values_flags {
	u32 as_uint32;
	struct {
		u32 use_vp_xfem_xss : 1;
		u32 apply_registered_values : 1;
		u32 reserved : 30;
	} __packed;
} __packed;

struct hv_input_get_vp_cpuid_values {
	u64 partition_id;
	u32 vp_index;
	union hv_get_vp_cpuid_values_flags flags;
	u32 reserved;
	u32 padding;
	struct hv_cpuid_leaf_info cpuid_leaf_info[];
} __packed;

union hv_output_get_vp_cpuid_values {
	u32 as_uint32[4];
	struct {
		u32 eax;
		u32 ebx;
		u32 ecx;
		u32 edx;
	} __packed;
};

enum hv_translate_gva_result_code {
	HV_TRANSLATE_GVA_SUCCESS = 0,
	HV_TRANSLATE_GVA_PAGE_NOT_PRESENT = 1,
	HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION = 2,
	HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS = 3,
	HV_TRANSLATE_GVA_GPA_UNMAPPED = 4,
	HV_TRANSLATE_GVA_GPA_NO_READ_ACCESS = 5,
	HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS = 6,
	HV_TRANSLATE_GVA_GPA_ILLEGAL_OVERLAY_ACCESS = 7,
	HV_TRANSLATE_GVA_INTERCEPT = 8,
	HV_TRANSLATE_GVA_GPA_UNACCEPTED = 9,
};

union hv_translate_gva_result {
	u64 as_uint64;
	struct {
		u32 result_code;
		u32 cache_type : 8;
		u32 overlay_page : 1;
		u32 reserved : 23;
	} __packed;
};

struct hv_x64_apic_eoi_message {
	u32 vp_index;
	u32 interrupt_vector;
} __packed;

struct hv_opaque_intercept_message {
	u32 vp_index;
} __packed;

enum hv_port_type {
	HV_PORT_TYPE_MESSAGE = 1,
	HV_PORT_TYPE_EVENT = 2,
	HV_PORT_TYPE_MONITOR = 3,
	HV_PORT_TYPE_DOORBELL = 4,
};

struct hv_port_info {
	u32 port_type;
	u32 padding;
	union {
		struct {
			u32 target_sint;
			u32 target_vp;
			u64 rsvdz;
		} message_port_info;
		struct {
			u32 target_sint;
			u32 target_vp;
			u16 base_flag_number;
			u16 flag_count;
			u32 rsvdz;
		} event_port_info;
		struct {
			u64 monitor_address;
			u64 rsvdz;
		} monitor_port_info;
		struct {
			u32 target_sint;
			u32 target_vp;
			u64 rsvdz;
		} doorbell_port_info;
	};
} __packed;

#if defined(__x86_64__)
union hv_interrupt_control {
	u64 as_uint64;
	struct {
		u32 interrupt_type;
		u32 level_triggered : 1;
		u32 logical_dest_mode : 1;
		u32 rsvd : 30;
	} __packed;
};

struct hv_local_interrupt_controller_state {
	u32 apic_id;
	u32 apic_version;
	u32 apic_ldr;
	u32 apic_dfr;
	u32 apic_spurious;
	u32 apic_isr[8];
	u32 apic_tmr[8];
	u32 apic_irr[8];
	u32 apic_esr;
	u32 apic_icr_high;
	u32 apic_icr_low;
	u32 apic_lvt_timer;
	u32 apic_lvt_thermal;
	u32 apic_lvt_perfmon;
	u32 apic_lvt_lint0;
	u32 apic_lvt_lint1;
	u32 apic_lvt_error;
	u32 apic_lvt_cmci;
	u32 apic_error_status;
	u32 apic_initial_count;
	u32 apic_counter_value;
	u32 apic_divide_configuration;
	u32 apic_remote_read;
} __packed;
#elif defined(__aarch64__)
union hv_interrupt_control {
	u64 as_uint64;
	struct {
		u32 interrupt_type;
		u32 level_triggered : 1;
		u32 logical_dest_mode : 1;
		u32 asserted : 1;
		u32 rsvd : 29;
	} __packed;
};
#endif

struct hv_stimer_state {
	struct {
		u32 undelivered_msg_pending : 1;
		u32 reserved : 31;
	} __packed flags;
	u32 resvd;
	u64 config;
	u64 count;
	u64 adjustment;
	u64 undelivered_exp_time;
} __packed;

struct hv_synthetic_timers_state {
	struct hv_stimer_state timers[4];
	u64 reserved[5];
} __packed;

#if defined(__x86_64__)
union hv_x64_vp_execution_state {
	u16 as_uint16;
	struct {
		u16 cpl : 2;
		u16 cr0_pe : 1;
		u16 cr0_am : 1;
		u16 efer_lma : 1;
		u16 debug_active : 1;
		u16 interruption_pending : 1;
		u16 vtl : 4;
		u16 enclave_mode : 1;
		u16 interrupt_shadow : 1;
		u16 virtualization_fault_active : 1;
		u16 reserved : 2;
	} __packed;
};

struct hv_x64_intercept_message_header {
	u32 vp_index;
	u8 instruction_length : 4;
	u8 cr8 : 4;
	u8 intercept_access_type;
	union hv_x64_vp_execution_state execution_state;
	struct hv_x64_segment_register cs_segment;
	u64 rip;
	u64 rflags;
} __packed;

struct hv_x64_hypercall_intercept_message {
	struct hv_x64_intercept_message_header header;
	u64 rax;
	u64 rbx;
	u64 rcx;
	u64 rdx;
	u64 r8;
	u64 rsi;
	u64 rdi;
	struct hv_u128 xmmregisters[6];
	struct {
		u32 isolated : 1;
		u32 reserved : 31;
	} __packed;
} __packed;

union hv_x64_register_access_info {
	union hv_register_value source_value;
	u32 destination_register;
	u64 source_address;
	u64 destination_address;
};

struct hv_x64_register_intercept_message {
	struct hv_x64_intercept_message_header header;
	struct {
		u8 is_memory_op : 1;
		u8 reserved : 7;
	} __packed;
	u8 reserved8;
	u16 reserved16;
	u32 register_name;
	union hv_x64_register_access_info access_info;
} __packed;

union hv_x64_memory_access_info {
	u8 as_uint8;
	struct {
		u8 gva_valid : 1;
		u8 gva_gpa_valid : 1;
		u8 hypercall_output_pending : 1;
		u8 tlb_locked_no_overlay : 1;
		u8 reserved : 4;
	} __packed;
};

union hv_x64_io_port_access_info {
	u8 as_uint8;
	struct {
		u8 access_size : 3;
		u8 string_op : 1;
		u8 rep_prefix : 1;
		u8 reserved : 3;
	} __packed;
};

union hv_x64_exception_info {
	u8 as_uint8;
	struct {
		u8 error_code_valid : 1;
		u8 software_exception : 1;
		u8 reserved : 6;
	} __packed;
};

struct hv_x64_memory_intercept_message {
	struct hv_x64_intercept_message_header header;
	u32 cache_type;
	u8 instruction_byte_count;
	union hv_x64_memory_access_info memory_access_info;
	u8 tpr_priority;
	u8 reserved1;
	u64 guest_virtual_address;
	u64 guest_physical_address;
	u8 instruction_bytes[16];
} __packed;

struct hv_x64_cpuid_intercept_message {
	struct hv_x64_intercept_message_header header;
	u64 rax;
	u64 rcx;
	u64 rdx;
	u64 rbx;
	u64 default_result_rax;
	u64 default_result_rcx;
	u64 default_result_rdx;
	u64 default_result_rbx;
} __packed;

struct hv_x64_msr_intercept_message {
	struct hv_x64_intercept_message_header header;
	u32 msr_number;
	u32 reserved;
	u64 rdx;
	u64 rax;
} __packed;

struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	u16 port_number;
	union hv_x64_io_port_access_info access_info;
	u8 instruction_byte_count;
	u32 reserved;
	u64 rax;
	u8 instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register es_segment;
	u64 rcx;
	u64 rsi;
	u64 rdi;
} __packed;

struct hv_x64_exception_intercept_message {
	struct hv_x64_intercept_message_header header;
	u16 exception_vector;
	union hv_x64_exception_info exception_info;
	u8 instruction_byte_count;
	u32 error_code;
	u64 exception_parameter;
	u64 reserved;
	u8 instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register ss_segment;
	u64 rax;
	u64 rcx;
	u64 rdx;
	u64 rbx;
	u64 rsp;
	u64 rbp;
	u64 rsi;
	u64 rdi;
	u64 r8;
	u64 r9;
	u64 r10;
	u64 r11;
	u64 r12;
	u64 r13;
	u64 r14;
	u64 r15;
} __packed;

struct hv_x64_invalid_vp_register_message {
	u32 vp_index;
	u32 reserved;
} __packed;

struct hv_x64_unrecoverable_exception_message {
	struct hv_x64_intercept_message_header header;
} __packed;

struct hv_x64_unsupported_feature_message {
	u32 vp_index;
	u32 feature_code;
	u64 feature_parameter;
} __packed;

struct hv_x64_halt_message {
	struct hv_x64_intercept_message_header header;
} __packed;

struct hv_x64_interruption_deliverable_message {
	struct hv_x64_intercept_message_header header;
	u32 deliverable_type;
	u32 rsvd;
} __packed;

struct hv_x64_sint_deliverable_message {
	struct hv_x64_intercept_message_header header;
	u16 deliverable_sints;
	u16 rsvd1;
	u32 rsvd2;
} __packed;

struct hv_x64_sipi_intercept_message {
	struct hv_x64_intercept_message_header header;
	u32 target_vp_index;
	u32 interrupt_vector;
} __packed;

struct hv_x64_gpa_attribute_intercept_message {
	u32 vp_index;
	struct {
		u32 range_count : 5;
		u32 adjust : 1;
		u32 host_visibility : 2;
		u32 memory_type : 6;
		u32 reserved : 18;
	} __packed;
	union hv_gpa_page_range ranges[29];
} __packed;

struct hv_register_x64_cpuid_result_parameters {
	struct {
		u32 eax;
		u32 ecx;
		u8 subleaf_specific;
		u8 always_override;
		u16 padding;
	} __packed input;
	struct {
		u32 eax;
		u32 eax_mask;
		u32 ebx;
		u32 ebx_mask;
		u32 ecx;
		u32 ecx_mask;
		u32 edx;
		u32 edx_mask;
	} __packed result;
} __packed;

struct hv_register_x64_msr_result_parameters {
	u32 msr_index;
	u32 access_type;
	u32 action;
} __packed;

union hv_register_intercept_result_parameters {
	struct hv_register_x64_cpuid_result_parameters cpuid;
	struct hv_register_x64_msr_result_parameters msr;
} __packed;

struct hv_x64_vmgexit_intercept_message {
	struct hv_x64_intercept_message_header header;
	u64 ghcb_msr;
	struct {
		u64 ghcb_page_valid : 1;
		u64 reserved : 63;
	} __packed;
	struct {
		u32 ghcb_usage;
		u32 rserved_ghcb_page;
		struct {
			u16 ghcb_protocol_version;
			u16 reserved_st[3];
			u64 sw_exit_code;
			u64 sw_exit_info1;
			u64 sw_exit_info2;
			u64 sw_scratch;
		} __packed;
	} __packed;
} __packed;
#elif defined(__aarch64__)
union hv_arm64_vp_execution_state {
	u16 as_uint16;
	struct {
		u16 cpl : 2;
		u16 debug_active : 1;
		u16 interruption_pending : 1;
		u16 vtl : 4;
		u16 virtualization_fault_active : 1;
		u16 reserved : 7;
	} __packed;
} __packed;

struct hv_arm64_intercept_message_header {
	u32 vp_index;
	u8 instruction_length;
	u8 intercept_access_type;
	union hv_arm64_vp_execution_state execution_state;
	u64 pc;
	u64 cpsr;
} __packed;

union hv_arm64_register_access_info {
	union hv_register_value source_value;
	u32 destination_register;
} __packed;

struct hv_arm64_register_intercept_message {
	struct hv_arm64_intercept_message_header Header;
	struct {
		u8 is_memory_op : 1;
		u8 reserved : 7;
	} __packed;
	u8 reserved8;
	u16 reserved16;
	u32 register_name;
	union hv_arm64_register_access_info access_info;
} __packed;

union hv_arm64_memory_access_info {
	u8 as_uint8;
	struct {
		u8 gva_valid : 1;
		u8 gva_gpa_valid : 1;
		u8 hypercall_output_pending : 1;
		u8 reserved : 5;
	} __packed;
} __packed;

struct hv_arm64_memory_intercept_message {
	struct hv_arm64_intercept_message_header header;
	u32 cache_type;
	u8 instruction_byte_count;
	union hv_arm64_memory_access_info memory_access_info;
	u16 reserved1;
	u8 instruction_bytes[4];
	u32 reserved2;
	u64 guest_virtual_address;
	u64 guest_physical_address;
	u64 syndrome;
} __packed;

enum hv_arm64_reset_type {
	HV_ARM64_RESET_TYPE_POWER_OFF = 0,
	HV_ARM64_RESET_TYPE_REBOOT = 1,
	HV_ARM64_RESET_TYPE_SYSTEM_RESET2 = 2,
	HV_ARM64_RESET_TYPE_HIBERNATE = 3,
	HV_ARM64_RESET_TYPE_MAX = 4,
};

struct hv_arm64_reset_intercept_message {
	struct hv_arm64_intercept_message_header header;
	u32 reset_type;
	u32 reset_code;
};

#define HV_ARM64_HYPERCALL_INTERCEPT_X_REGISTERS 18

/* HVMSG_HYPERCALL_INTERCEPT: an HVC the hypervisor forwards to the VMM.
 * immediate is the HVC #imm16 (0: SMCCC, 1: Hyper-V ABI); x holds X0-X17. */
struct hv_arm64_hypercall_intercept_message {
	struct hv_arm64_intercept_message_header header;
	u16 immediate;
	u16 reserved16;
	struct {
		u32 isolated : 1;
		u32 reserved : 31;
	} __packed;
	u64 x[HV_ARM64_HYPERCALL_INTERCEPT_X_REGISTERS];
} __packed;

/* HVMSG_UNRECOVERABLE_EXCEPTION: the VP cannot continue; the header alone. */
struct hv_arm64_unrecoverable_exception_message {
	struct hv_arm64_intercept_message_header header;
} __packed;
#endif

struct hv_input_translate_virtual_address {
	u64 partition_id;
	u32 vp_index;
	u32 padding;
	u64 control_flags;
	u64 gva_page;
} __packed;

struct hv_output_translate_virtual_address {
	union hv_translate_gva_result translation_result;
	u64 gpa_page;
} __packed;

#if defined(__x86_64__)
struct hv_input_register_intercept_result {
	u64 partition_id;
	u32 vp_index;
	u32 intercept_type;
	union hv_register_intercept_result_parameters parameters;
} __packed;

struct hv_input_assert_virtual_interrupt {
	u64 partition_id;
	union hv_interrupt_control control;
	u64 dest_addr;
	u32 vector;
	u8 target_vtl;
	u8 rsvd_z0;
	u16 rsvd_z1;
} __packed;

struct hv_input_signal_event_direct {
	u64 target_partition;
	u32 target_vp;
	u8 target_vtl;
	u8 target_sint;
	u16 flag_number;
} __packed;

struct hv_output_signal_event_direct {
	u8 newly_signaled;
	u8 reserved[7];
} __packed;

struct hv_input_post_message_direct {
	u64 partition_id;
	u32 vp_index;
	u8 vtl;
	u8 padding[3];
	u32 sint_index;
	u8 message[256];
	u32 padding2;
} __packed;

/* HVCALL_GET_GPA_PAGES_ACCESS_STATES: flags applied after each page's state is read. */
union hv_gpa_page_access_state_flags {
	struct {
		u64 clear_accessed : 1;
		u64 set_accessed : 1;
		u64 clear_dirty : 1;
		u64 set_dirty : 1;
		u64 reserved : 60;
	} __packed;
	u64 as_uint64;
};

/* Input of HVCALL_GET_GPA_PAGES_ACCESS_STATES (rep: one state byte per page out). */
struct hv_input_get_gpa_pages_access_state {
	u64 partition_id;
	union hv_gpa_page_access_state_flags flags;
	u64 hv_gpa_page_number;
} __packed;

/* One page's state in its output. */
union hv_gpa_page_access_state {
	struct {
		u8 accessed : 1;
		u8 dirty : 1;
		u8 reserved : 6;
	};
	u8 as_uint8;
} __packed;

struct hv_vp_state_data_xsave {
	u64 flags;
	union hv_x64_xsave_xfem_register states;
} __packed;
#endif

struct hv_psp_cpuid_leaf {
	u32 eax_in;
	u32 ecx_in;
	u64 xfem_in;
	u64 xss_in;
	u32 eax_out;
	u32 ebx_out;
	u32 ecx_out;
	u32 edx_out;
	u64 reserved_z;
} __packed;

struct hv_psp_cpuid_page {
	u32 count;
	u32 reserved_z1;
	u64 reserved_z2;
	struct hv_psp_cpuid_leaf cpuid_leaf_info[64];
} __packed;

enum hv_isolated_page_type {
	HV_ISOLATED_PAGE_TYPE_NORMAL = 0,
	HV_ISOLATED_PAGE_TYPE_VMSA = 1,
	HV_ISOLATED_PAGE_TYPE_ZERO = 2,
	HV_ISOLATED_PAGE_TYPE_UNMEASURED = 3,
	HV_ISOLATED_PAGE_TYPE_SECRETS = 4,
	HV_ISOLATED_PAGE_TYPE_CPUID = 5,
	HV_ISOLATED_PAGE_TYPE_COUNT = 6,
};

enum hv_isolated_page_size {
	HV_ISOLATED_PAGE_SIZE_4KB = 0,
	HV_ISOLATED_PAGE_SIZE_2MB = 1,
};

struct hv_input_import_isolated_pages {
	u64 partition_id;
	u32 page_type;
	u32 page_size;
	u64 page_number[];
} __packed;

union hv_sev_vmgexit_offload {
	u64 as_uint64;
	struct {
		u64 nae_rdtsc : 1;
		u64 nae_cpuid : 1;
		u64 nae_reserved_io_port : 1;
		u64 nae_rdmsr : 1;
		u64 nae_wrmsr : 1;
		u64 nae_vmmcall : 1;
		u64 nae_wbinvd : 1;
		u64 nae_snp_page_state_change : 1;
		u64 reserved0 : 24;
		u64 msr_cpuid : 1;
		u64 msr_snp_page_state_change : 1;
		u64 reserved1 : 30;
	} __packed;
};

enum hv_access_gpa_result_code {
	HV_ACCESS_GPA_SUCCESS = 0,
	HV_ACCESS_GPA_UNMAPPED = 1,
	HV_ACCESS_GPA_READ_INTERCEPT = 2,
	HV_ACCESS_GPA_WRITE_INTERCEPT = 3,
	HV_ACCESS_GPA_ILLEGAL_OVERLAY_ACCESS = 4,
};

union hv_access_gpa_result {
	u64 as_uint64;
	struct {
		u32 result_code;
		u32 reserved;
	} __packed;
};

union hv_access_gpa_control_flags {
	u64 as_uint64;
	struct {
		u64 cache_type : 8;
		u64 reserved : 56;
	} __packed;
};

struct hv_input_read_gpa {
	u64 partition_id;
	u32 vp_index;
	u32 byte_count;
	u64 base_gpa;
	union hv_access_gpa_control_flags control_flags;
} __packed;

struct hv_output_read_gpa {
	union hv_access_gpa_result access_result;
	u8 data[16];
} __packed;

struct hv_input_write_gpa {
	u64 partition_id;
	u32 vp_index;
	u32 byte_count;
	u64 base_gpa;
	union hv_access_gpa_control_flags control_flags;
	u8 data[16];
} __packed;

struct hv_output_write_gpa {
	union hv_access_gpa_result access_result;
} __packed;

struct hv_input_issue_psp_guest_request {
	u64 partition_id;
	u64 request_page;
	u64 response_page;
} __packed;

#if defined(__x86_64__)
union hv_partition_processor_xsave_features {
	struct {
		u64 xsave_support : 1;
		u64 xsaveopt_support : 1;
		u64 avx_support : 1;
		u64 avx2_support : 1;
		u64 fma_support : 1;
		u64 mpx_support : 1;
		u64 avx512_support : 1;
		u64 avx512_dq_support : 1;
		u64 avx512_cd_support : 1;
		u64 avx512_bw_support : 1;
		u64 avx512_vl_support : 1;
		u64 xsave_comp_support : 1;
		u64 xsave_supervisor_support : 1;
		u64 xcr1_support : 1;
		u64 avx512_bitalg_support : 1;
		u64 avx512_i_fma_support : 1;
		u64 avx512_v_bmi_support : 1;
		u64 avx512_v_bmi2_support : 1;
		u64 avx512_vnni_support : 1;
		u64 gfni_support : 1;
		u64 vaes_support : 1;
		u64 avx512_v_popcntdq_support : 1;
		u64 vpclmulqdq_support : 1;
		u64 avx512_bf16_support : 1;
		u64 avx512_vp2_intersect_support : 1;
		u64 avx512_fp16_support : 1;
		u64 xfd_support : 1;
		u64 amx_tile_support : 1;
		u64 amx_bf16_support : 1;
		u64 amx_int8_support : 1;
		u64 avx_vnni_support : 1;
		u64 avx_ifma_support : 1;
		u64 avx_ne_convert_support : 1;
		u64 avx_vnni_int8_support : 1;
		u64 avx_vnni_int16_support : 1;
		u64 avx10_1_256_support : 1;
		u64 avx10_1_512_support : 1;
		u64 amx_fp16_support : 1;
		u64 apx_support : 1;
		u64 apx_nci_ndd_nf_support : 1;
		u64 reserved : 24;
	} __packed;
	u64 as_uint64;
};

union hv_partition_processor_features {
	u64 as_uint64[2];
	struct {
		u64 sse3_support : 1;
		u64 lahf_sahf_support : 1;
		u64 ssse3_support : 1;
		u64 sse4_1_support : 1;
		u64 sse4_2_support : 1;
		u64 sse4a_support : 1;
		u64 xop_support : 1;
		u64 pop_cnt_support : 1;
		u64 cmpxchg16b_support : 1;
		u64 altmovcr8_support : 1;
		u64 lzcnt_support : 1;
		u64 mis_align_sse_support : 1;
		u64 mmx_ext_support : 1;
		u64 amd3dnow_support : 1;
		u64 extended_amd3dnow_support : 1;
		u64 page_1gb_support : 1;
		u64 aes_support : 1;
		u64 pclmulqdq_support : 1;
		u64 pcid_support : 1;
		u64 fma4_support : 1;
		u64 f16c_support : 1;
		u64 rd_rand_support : 1;
		u64 rd_wr_fs_gs_support : 1;
		u64 smep_support : 1;
		u64 enhanced_fast_string_support : 1;
		u64 bmi1_support : 1;
		u64 bmi2_support : 1;
		u64 hle_support_deprecated : 1;
		u64 rtm_support_deprecated : 1;
		u64 movbe_support : 1;
		u64 npiep1_support : 1;
		u64 dep_x87_fpu_save_support : 1;
		u64 rd_seed_support : 1;
		u64 adx_support : 1;
		u64 intel_prefetch_support : 1;
		u64 smap_support : 1;
		u64 hle_support : 1;
		u64 rtm_support : 1;
		u64 rdtscp_support : 1;
		u64 clflushopt_support : 1;
		u64 clwb_support : 1;
		u64 sha_support : 1;
		u64 x87_pointers_saved_support : 1;
		u64 invpcid_support : 1;
		u64 ibrs_support : 1;
		u64 stibp_support : 1;
		u64 ibpb_support : 1;
		u64 unrestricted_guest_support : 1;
		u64 mdd_support : 1;
		u64 fast_short_rep_mov_support : 1;
		u64 l1dcache_flush_support : 1;
		u64 rdcl_no_support : 1;
		u64 ibrs_all_support : 1;
		u64 skip_l1df_support : 1;
		u64 ssb_no_support : 1;
		u64 rsb_a_no_support : 1;
		u64 virt_spec_ctrl_support : 1;
		u64 rd_pid_support : 1;
		u64 umip_support : 1;
		u64 mbs_no_support : 1;
		u64 mb_clear_support : 1;
		u64 taa_no_support : 1;
		u64 tsx_ctrl_support : 1;
		u64 reserved_bank0 : 1;
		u64 a_count_m_count_support : 1;
		u64 tsc_invariant_support : 1;
		u64 cl_zero_support : 1;
		u64 rdpru_support : 1;
		u64 la57_support : 1;
		u64 mbec_support : 1;
		u64 nested_virt_support : 1;
		u64 psfd_support : 1;
		u64 cet_ss_support : 1;
		u64 cet_ibt_support : 1;
		u64 vmx_exception_inject_support : 1;
		u64 enqcmd_support : 1;
		u64 umwait_tpause_support : 1;
		u64 movdiri_support : 1;
		u64 movdir64b_support : 1;
		u64 cldemote_support : 1;
		u64 serialize_support : 1;
		u64 tsc_deadline_tmr_support : 1;
		u64 tsc_adjust_support : 1;
		u64 fzl_rep_movsb : 1;
		u64 fs_rep_stosb : 1;
		u64 fs_rep_cmpsb : 1;
		u64 tsx_ld_trk_support : 1;
		u64 vmx_ins_outs_exit_info_support : 1;
		u64 hlat_support : 1;
		u64 sbdr_ssdp_no_support : 1;
		u64 fbsdp_no_support : 1;
		u64 psdp_no_support : 1;
		u64 fb_clear_support : 1;
		u64 btc_no_support : 1;
		u64 ibpb_rsb_flush_support : 1;
		u64 stibp_always_on_support : 1;
		u64 perf_global_ctrl_support : 1;
		u64 npt_execute_only_support : 1;
		u64 npt_ad_flags_support : 1;
		u64 npt1_gb_page_support : 1;
		u64 amd_processor_topology_node_id_support : 1;
		u64 local_machine_check_support : 1;
		u64 extended_topology_leaf_fp256_amd_support : 1;
		u64 gds_no_support : 1;
		u64 cmpccxadd_support : 1;
		u64 tsc_aux_virtualization_support : 1;
		u64 rmp_query_support : 1;
		u64 bhi_no_support : 1;
		u64 bhi_dis_support : 1;
		u64 prefetch_i_support : 1;
		u64 sha512_support : 1;
		u64 mitigation_ctrl_support : 1;
		u64 rfds_no_support : 1;
		u64 rfds_clear_support : 1;
		u64 sm3_support : 1;
		u64 sm4_support : 1;
		u64 secure_avic_support : 1;
		u64 guest_intercept_ctrl_support : 1;
		u64 sbpb_supported : 1;
		u64 ibpb_br_type_supported : 1;
		u64 srso_no_supported : 1;
		u64 srso_user_kernel_no_supported : 1;
		u64 vrew_clear_supported : 1;
		u64 tsa_l1_no_supported : 1;
		u64 tsa_sq_no_supported : 1;
		u64 reserved0 : 1;
		u64 reserved1 : 1;
		u64 tsa_fill_no_supported : 1;
	} __packed;
};
#elif defined(__aarch64__)
union hv_partition_processor_features {
	u64 as_uint64[2];
	struct {
		u64 asid16 : 1;
		u64 t_gran16 : 1;
		u64 t_gran64 : 1;
		u64 haf : 1;
		u64 hdbs : 1;
		u64 pan : 1;
		u64 at_s1e1 : 1;
		u64 uao : 1;
		u64 el0_aarch32 : 1;
		u64 fp : 1;
		u64 fp_hp : 1;
		u64 adv_simd : 1;
		u64 adv_simd_hp : 1;
		u64 gic_v3v4 : 1;
		u64 gic_v4p1 : 1;
		u64 ras : 1;
		u64 pmu_v3 : 1;
		u64 pmu_v3_arm_v81 : 1;
		u64 pmu_v3_arm_v84 : 1;
		u64 pmu_v3_arm_v85 : 1;
		u64 aes : 1;
		u64 poly_mul : 1;
		u64 sha1 : 1;
		u64 sha256 : 1;
		u64 sha512 : 1;
		u64 crc32 : 1;
		u64 atomic : 1;
		u64 rdm : 1;
		u64 sha3 : 1;
		u64 sm3 : 1;
		u64 sm4 : 1;
		u64 dp : 1;
		u64 fhm : 1;
		u64 dc_cvap : 1;
		u64 dc_cvadp : 1;
		u64 apa_base : 1;
		u64 apa_ep : 1;
		u64 apa_ep2 : 1;
		u64 apa_ep2_fp : 1;
		u64 apa_ep2_fpc : 1;
		u64 jscvt : 1;
		u64 fcma : 1;
		u64 rcpc_v83 : 1;
		u64 rcpc_v84 : 1;
		u64 gpa : 1;
		u64 l1ip_pipt : 1;
		u64 dz_permitted : 1;
		u64 ssbs : 1;
		u64 ssbs_rw : 1;
		u64 smccc_w1_supported : 1;
		u64 smccc_w1_mitigated : 1;
		u64 smccc_w2_supported : 1;
		u64 smccc_w2_mitigated : 1;
		u64 csv2 : 1;
		u64 csv3 : 1;
		u64 sb : 1;
		u64 idc : 1;
		u64 dic : 1;
		u64 tlbi_os : 1;
		u64 tlbi_os_range : 1;
		u64 flags_m : 1;
		u64 flags_m2 : 1;
		u64 bf16 : 1;
		u64 ebf16 : 1;
		u64 sve_bf16 : 1;
		u64 sve_ebf16 : 1;
		u64 i8mm : 1;
		u64 sve_i8mm : 1;
		u64 frintts : 1;
		u64 specres : 1;
		u64 mtpmu : 1;
		u64 rpres : 1;
		u64 exs : 1;
		u64 spec_sei : 1;
		u64 ets : 1;
		u64 afp : 1;
		u64 iesb : 1;
		u64 rng : 1;
		u64 lse2 : 1;
		u64 idst : 1;
		u64 ras_v1p1 : 1;
		u64 ras_frac_v1p1 : 1;
		u64 sel2 : 1;
		u64 amu_v1 : 1;
		u64 amu_v1p1 : 1;
		u64 dit : 1;
		u64 ccidx : 1;
		u64 fgt_for_intercepts : 1;
		u64 l1ip_vpipt : 1;
		u64 ecv : 1;
		u64 ecv_poff : 1;
		u64 nested_virt_support : 1;
		u64 debug_v8p4 : 1;
		u64 pmu_v3_arm_v87 : 1;
		u64 double_lock : 1;
		u64 clrbhb : 1;
		u64 spe : 1;
		u64 spe_v1p1 : 1;
		u64 spe_v1p2 : 1;
		u64 tt_cnp : 1;
		u64 hpds : 1;
		u64 sve : 1;
		u64 sve_v2 : 1;
		u64 sve_v2p1 : 1;
		u64 spec_fpacc : 1;
		u64 sve_aes : 1;
		u64 sve_bit_perm : 1;
		u64 sve_sha3 : 1;
		u64 sve_sm4 : 1;
		u64 e0_pd : 1;
		u64 gpa3 : 1;
		u64 apa3_base : 1;
		u64 apa3_ep : 1;
		u64 apa3_ep2 : 1;
		u64 apa3_ep2_fp : 1;
		u64 apa3_ep2_fpc : 1;
		u64 lrcpc3 : 1;
		u64 sme : 1;
		u64 sme_f32_f32 : 1;
		u64 sme_b16_f32 : 1;
		u64 sme_f16_f32 : 1;
		u64 sme_i8_i32 : 1;
		u64 sme_f64_f64 : 1;
		u64 sme_i16_i64 : 1;
		u64 reserved_bank1 : 4;
	} __packed;
};
#endif

#endif /* _HVHDK_H */

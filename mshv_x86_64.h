/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_x86_64.h - the x86_64 part of mshv.h: the MSR map, the register sets
 * of mshv-ioctls (struct mshv_standard_registers, ...), typed views of the
 * x86_64 intercept messages (bindings layer), and the x86_64 functions of
 * the ioctl layer.
 *
 * mshv.h includes this file once, at its end, on x86_64: include mshv.h,
 * not this file. The hypervisor's x86_64 definitions (HV_X64_REGISTER_*,
 * hv_x64_* intercept messages, the VP register page) are in mshv_hv_defs.h.
 */
#ifndef MSHV_H
#error "mshv_x86_64.h is a part of mshv.h: include mshv.h instead"
#endif
#if !defined(__x86_64__)
#error "mshv_x86_64.h is for x86_64 builds; include mshv.h, which picks the architecture"
#endif

/* Nothing more without mshv.h: one #error, not a cascade. */
#if defined(MSHV_H) && !defined(MSHV_X86_64_H)
#define MSHV_X86_64_H

/* ========================================================================
 * MSRs and the hypervisor registers that hold them (bindings)
 * ======================================================================== */

/* One MSR of mshv_vcpu_get_msrs() / mshv_vcpu_set_msrs() (mshv-bindings' msr_entry). */
struct mshv_msr_entry {
	__u32 index; /* the MSR number (ECX of RDMSR) */
	__u32 reserved;
	__u64 data;
};

/*
 * X(msr, register): each MSR a VMM saves and restores through the
 * hypervisor's register interface, as mshv-bindings 0.7.0 maps them
 * (mind SYSENTER_ESP/EIP and the MTRR masks: the register numbers do not
 * follow the MSR order). IA32_XSS is listed twice: 0xDA0, its MSR number,
 * and 0x8008B, the register number mshv-ioctls uses in its place.
 */
#define MSHV_X86_MSR_REGISTERS(X)                                                                   \
	X(0x10, HV_X64_REGISTER_TSC)                                                                \
	X(0xC0000080, HV_X64_REGISTER_EFER)                                                         \
	X(0xC0000102, HV_X64_REGISTER_KERNEL_GS_BASE)                                               \
	X(0x1B, HV_X64_REGISTER_APIC_BASE)                                                          \
	X(0x277, HV_X64_REGISTER_PAT)                                                               \
	X(0x174, HV_X64_REGISTER_SYSENTER_CS)                                                       \
	X(0x175, HV_X64_REGISTER_SYSENTER_ESP)                                                      \
	X(0x176, HV_X64_REGISTER_SYSENTER_EIP)                                                      \
	X(0xC0000081, HV_X64_REGISTER_STAR)                                                         \
	X(0xC0000082, HV_X64_REGISTER_LSTAR)                                                        \
	X(0xC0000083, HV_X64_REGISTER_CSTAR)                                                        \
	X(0xC0000084, HV_X64_REGISTER_SFMASK)                                                       \
	X(0xFE, HV_X64_REGISTER_MSR_MTRR_CAP)                                                       \
	X(0x2FF, HV_X64_REGISTER_MSR_MTRR_DEF_TYPE)                                                 \
	X(0x200, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0) X(0x201, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0) \
	X(0x202, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE1) X(0x203, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK1) \
	X(0x204, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE2) X(0x205, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK2) \
	X(0x206, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE3) X(0x207, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK3) \
	X(0x208, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE4) X(0x209, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK4) \
	X(0x20A, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE5) X(0x20B, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK5) \
	X(0x20C, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE6) X(0x20D, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK6) \
	X(0x20E, HV_X64_REGISTER_MSR_MTRR_PHYS_BASE7) X(0x20F, HV_X64_REGISTER_MSR_MTRR_PHYS_MASK7) \
	X(0x250, HV_X64_REGISTER_MSR_MTRR_FIX64K00000)                                              \
	X(0x258, HV_X64_REGISTER_MSR_MTRR_FIX16K80000)                                              \
	X(0x259, HV_X64_REGISTER_MSR_MTRR_FIX16KA0000)                                              \
	X(0x268, HV_X64_REGISTER_MSR_MTRR_FIX4KC0000)                                               \
	X(0x269, HV_X64_REGISTER_MSR_MTRR_FIX4KC8000)                                               \
	X(0x26A, HV_X64_REGISTER_MSR_MTRR_FIX4KD0000)                                               \
	X(0x26B, HV_X64_REGISTER_MSR_MTRR_FIX4KD8000)                                               \
	X(0x26C, HV_X64_REGISTER_MSR_MTRR_FIX4KE0000)                                               \
	X(0x26D, HV_X64_REGISTER_MSR_MTRR_FIX4KE8000)                                               \
	X(0x26E, HV_X64_REGISTER_MSR_MTRR_FIX4KF0000)                                               \
	X(0x26F, HV_X64_REGISTER_MSR_MTRR_FIX4KF8000)                                               \
	X(0xC0000103, HV_X64_REGISTER_TSC_AUX)                                                      \
	X(0xD90, HV_X64_REGISTER_BNDCFGS)                                                           \
	X(0x1D9, HV_X64_REGISTER_DEBUG_CTL)                                                         \
	X(0x3B, HV_X64_REGISTER_TSC_ADJUST)                                                         \
	X(0x48, HV_X64_REGISTER_SPEC_CTRL)                                                          \
	X(0x40000000, HV_REGISTER_GUEST_OS_ID)                                                      \
	X(0x40000090, HV_REGISTER_SINT0) X(0x40000091, HV_REGISTER_SINT1)                           \
	X(0x40000092, HV_REGISTER_SINT2) X(0x40000093, HV_REGISTER_SINT3)                           \
	X(0x40000094, HV_REGISTER_SINT4) X(0x40000095, HV_REGISTER_SINT5)                           \
	X(0x40000096, HV_REGISTER_SINT6) X(0x40000097, HV_REGISTER_SINT7)                           \
	X(0x40000098, HV_REGISTER_SINT8) X(0x40000099, HV_REGISTER_SINT9)                           \
	X(0x4000009A, HV_REGISTER_SINT10) X(0x4000009B, HV_REGISTER_SINT11)                         \
	X(0x4000009C, HV_REGISTER_SINT12) X(0x4000009D, HV_REGISTER_SINT13)                         \
	X(0x4000009E, HV_REGISTER_SINT14) X(0x4000009F, HV_REGISTER_SINT15)                         \
	X(0x1A0, HV_X64_REGISTER_MSR_IA32_MISC_ENABLE)                                              \
	X(0x40000080, HV_REGISTER_SCONTROL)                                                         \
	X(0x40000082, HV_REGISTER_SIEFP)                                                            \
	X(0x40000083, HV_REGISTER_SIMP)                                                             \
	X(0x40000021, HV_REGISTER_REFERENCE_TSC)                                                    \
	X(0x40000084, HV_REGISTER_EOM)                                                              \
	X(0xDA0, HV_X64_REGISTER_U_XSS)                                                             \
	X(0x8008B, HV_X64_REGISTER_U_XSS)                                                           \
	X(0x6A0, HV_X64_REGISTER_U_CET)                                                             \
	X(0x6A2, HV_X64_REGISTER_S_CET)                                                             \
	X(0x7A0, HV_X64_REGISTER_SSP)                                                               \
	X(0x6A4, HV_X64_REGISTER_PL0_SSP)                                                           \
	X(0x6A5, HV_X64_REGISTER_PL1_SSP)                                                           \
	X(0x6A6, HV_X64_REGISTER_PL2_SSP)                                                           \
	X(0x6A7, HV_X64_REGISTER_PL3_SSP)                                                           \
	X(0x6A8, HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR)

/* The hypervisor register that holds MSR `msr`, or 0 when there is none. */
MSHV_INLINE __u32 mshv_x86_msr_to_register(__u32 msr)
{
#define MSHV__MSR_CASE(index, reg) \
	case index:                \
		return (__u32)(reg);
	switch (msr) {
		MSHV_X86_MSR_REGISTERS(MSHV__MSR_CASE)
	default:
		return 0;
	}
#undef MSHV__MSR_CASE
}


/* ========================================================================
 * Register sets of mshv-ioctls' VcpuFd (bindings): the same fields, in the
 * same order, as mshv-bindings' x86_64 structs (which follow KVM's)
 * ======================================================================== */

/* General registers (StandardRegisters; kvm_regs order). */
struct mshv_standard_registers {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* A segment register, its attributes one field each (SegmentRegister, kvm_segment). */
struct mshv_segment_register {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type, present, dpl, db, s, l, g, avl;
	__u8 unusable; /* always 0 from the hypervisor */
	__u8 padding;
};

/* GDTR or IDTR (TableRegister). */
struct mshv_table_register {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/* Segment, table and control registers (SpecialRegisters, kvm_sregs). */
struct mshv_special_registers {
	struct mshv_segment_register cs, ds, es, fs, gs, ss, tr, ldt;
	struct mshv_table_register gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	__u64 interrupt_bitmap[4]; /* the pending external interrupt's vector, on get */
};

/* x87 and SSE state (FloatingPointUnit, kvm_fpu). */
struct mshv_floating_point_unit {
	__u8 fpr[8][16];
	__u16 fcw, fsw;
	__u8 ftwx, pad1;
	__u16 last_opcode;
	__u64 last_ip, last_dp;
	__u8 xmm[16][16];
	__u32 mxcsr, pad2;
};

/* DR0-DR3, DR6, DR7 (DebugRegisters). */
struct mshv_debug_registers {
	__u64 dr0, dr1, dr2, dr3, dr6, dr7;
};

/* Pending events and interrupt state (VcpuEvents). */
struct mshv_vcpu_events {
	__u64 pending_interruption;    /* HV_REGISTER_PENDING_INTERRUPTION */
	__u64 interrupt_state;         /* HV_REGISTER_INTERRUPT_STATE */
	__u64 internal_activity_state; /* HV_REGISTER_INTERNAL_ACTIVITY_STATE */
	__u8 pending_event0[16], pending_event1[16];
};

/* XCR0 (Xcrs). */
struct mshv_xcrs {
	__u64 xcr0;
};

/* The hypercall MSR and the register page's pending interrupt vectors (MiscRegs). */
struct mshv_misc_regs {
	__u64 hypercall;
	__u64 int_vec;
};

/* HV_REGISTER_EXPLICIT_SUSPEND and _INTERCEPT_SUSPEND (SuspendRegisters). */
struct mshv_suspend_registers {
	__u64 explicit_register;
	__u64 intercept_register;
};

/* The local APIC as its 1 KiB register page, each register at its MMIO offset (LapicState). */
struct mshv_lapic_state {
	__u8 regs[1024];
};

/* The XSAVE area, compacted format (XSave). */
struct mshv_xsave {
	__u8 buffer[4096];
};

/* Every MSHV_VP_STATE_* component, back to back (AllVpStateComponents). */
#define MSHV_VP_STATE_COMPONENTS_SIZE 13512
struct mshv_all_vp_state_components {
	__u8 buffer[MSHV_VP_STATE_COMPONENTS_SIZE];
};

/* A CPUID leaf and its result (hv_cpuid_entry). */
struct mshv_cpuid_entry {
	__u32 function, index, flags;
	__u32 eax, ebx, ecx, edx;
	__u32 padding[3];
};

/* ---- typed views of intercept messages (NULL when the type differs) ---- */

/* mshv_msg_io_port: HVMSG_X64_IO_PORT_INTERCEPT */
MSHV__MESSAGE_VIEW(io_port, hv_x64_io_port_intercept_message, t == HVMSG_X64_IO_PORT_INTERCEPT)
/* mshv_msg_memory: HVMSG_UNMAPPED_GPA, HVMSG_GPA_INTERCEPT, HVMSG_UNACCEPTED_GPA */
MSHV__MESSAGE_VIEW(memory, hv_x64_memory_intercept_message,
		   t == HVMSG_UNMAPPED_GPA || t == HVMSG_GPA_INTERCEPT || t == HVMSG_UNACCEPTED_GPA)
/* mshv_msg_gpa_attribute: HVMSG_GPA_ATTRIBUTE_INTERCEPT */
MSHV__MESSAGE_VIEW(gpa_attribute, hv_x64_gpa_attribute_intercept_message, t == HVMSG_GPA_ATTRIBUTE_INTERCEPT)
/* mshv_msg_cpuid: HVMSG_X64_CPUID_INTERCEPT */
MSHV__MESSAGE_VIEW(cpuid, hv_x64_cpuid_intercept_message, t == HVMSG_X64_CPUID_INTERCEPT)
/* mshv_msg_msr: HVMSG_X64_MSR_INTERCEPT */
MSHV__MESSAGE_VIEW(msr, hv_x64_msr_intercept_message, t == HVMSG_X64_MSR_INTERCEPT)
/* mshv_msg_exception: HVMSG_X64_EXCEPTION_INTERCEPT */
MSHV__MESSAGE_VIEW(exception, hv_x64_exception_intercept_message, t == HVMSG_X64_EXCEPTION_INTERCEPT)
/* mshv_msg_halt: HVMSG_X64_HALT */
MSHV__MESSAGE_VIEW(halt, hv_x64_halt_message, t == HVMSG_X64_HALT)
/* mshv_msg_apic_eoi: HVMSG_X64_APIC_EOI */
MSHV__MESSAGE_VIEW(apic_eoi, hv_x64_apic_eoi_message, t == HVMSG_X64_APIC_EOI)
/* mshv_msg_interruption_deliverable: HVMSG_X64_INTERRUPTION_DELIVERABLE */
MSHV__MESSAGE_VIEW(interruption_deliverable, hv_x64_interruption_deliverable_message,
		   t == HVMSG_X64_INTERRUPTION_DELIVERABLE)
/* mshv_msg_sint_deliverable: HVMSG_SYNIC_SINT_DELIVERABLE */
MSHV__MESSAGE_VIEW(sint_deliverable, hv_x64_sint_deliverable_message, t == HVMSG_SYNIC_SINT_DELIVERABLE)
/* mshv_msg_sipi: HVMSG_X64_SIPI_INTERCEPT */
MSHV__MESSAGE_VIEW(sipi, hv_x64_sipi_intercept_message, t == HVMSG_X64_SIPI_INTERCEPT)
/* mshv_msg_hypercall: HVMSG_HYPERCALL_INTERCEPT */
MSHV__MESSAGE_VIEW(hypercall, hv_x64_hypercall_intercept_message, t == HVMSG_HYPERCALL_INTERCEPT)
/* mshv_msg_invalid_vp_register: HVMSG_INVALID_VP_REGISTER_VALUE */
MSHV__MESSAGE_VIEW(invalid_vp_register, hv_x64_invalid_vp_register_message, t == HVMSG_INVALID_VP_REGISTER_VALUE)
/* mshv_msg_unrecoverable_exception: HVMSG_UNRECOVERABLE_EXCEPTION */
MSHV__MESSAGE_VIEW(unrecoverable_exception, hv_x64_unrecoverable_exception_message,
		   t == HVMSG_UNRECOVERABLE_EXCEPTION)
/* mshv_msg_unsupported_feature: HVMSG_UNSUPPORTED_FEATURE */
MSHV__MESSAGE_VIEW(unsupported_feature, hv_x64_unsupported_feature_message, t == HVMSG_UNSUPPORTED_FEATURE)
/* mshv_msg_vmgexit: HVMSG_X64_SEV_VMGEXIT_INTERCEPT */
MSHV__MESSAGE_VIEW(vmgexit, hv_x64_vmgexit_intercept_message, t == HVMSG_X64_SEV_VMGEXIT_INTERCEPT)
/* mshv_msg_opaque: HVMSG_OPAQUE_INTERCEPT */
MSHV__MESSAGE_VIEW(opaque, hv_opaque_intercept_message, t == HVMSG_OPAQUE_INTERCEPT)

/*
 * The instruction bytes a port-IO, memory or exception intercept carries:
 * *bytes points at them; returns how many (at most 16, whatever the
 * message's count says), 0 for other messages (and a NULL msg or bytes).
 */
MSHV_HOT_INLINE unsigned int mshv_msg_instruction_bytes(const struct hv_message *msg, const __u8 **bytes)
{
	const struct hv_x64_io_port_intercept_message *io = mshv_msg_io_port(msg);
	const struct hv_x64_memory_intercept_message *mem = mshv_msg_memory(msg);
	const struct hv_x64_exception_intercept_message *ex = mshv_msg_exception(msg);
	unsigned int n = 0;

	if (!bytes)
		return 0;
	*bytes = NULL;
	if (io) {
		*bytes = io->instruction_bytes;
		n = io->instruction_byte_count;
	} else if (mem) {
		*bytes = mem->instruction_bytes;
		n = mem->instruction_byte_count;
	} else if (ex) {
		*bytes = ex->instruction_bytes;
		n = ex->instruction_byte_count;
	}
	return n < 16 ? n : 16;
}


/* ========================================================================
 * The x86_64 part of the ioctl layer
 * ======================================================================== */

/*
 * The MSRs a VMM saves and restores, as mshv-ioctls 0.7.0 lists them, in its
 * order: X(index). One exception: mshv-ioctls lists IA32_XSS as 0x8008B,
 * the hypervisor register name HV_X64_REGISTER_U_XSS; here it is the MSR
 * index, 0xDA0.
 */
#define MSHV_X86_MSRS_COMMON(X) /* always */                                                      \
	X(0x10) /* TSC */ X(0xC0000080) /* EFER */ X(0xC0000102) /* KERNEL_GS_BASE */               \
	X(0x1B) /* APIC_BASE */ X(0x277) /* PAT */ X(0x174) /* SYSENTER_CS */ X(0x175) X(0x176)      \
	X(0xC0000081) /* STAR */ X(0xC0000082) /* LSTAR */ X(0xC0000083) /* CSTAR */                 \
	X(0xC0000084) /* SFMASK */ X(0x2FF) /* MTRR_DEF_TYPE */                                      \
	X(0x200) X(0x201) X(0x202) X(0x203) X(0x204) X(0x205) X(0x206) X(0x207) /* MTRR_PHYSBASE/MASK0-3 */ \
	X(0x208) X(0x209) X(0x20A) X(0x20B) X(0x20C) X(0x20D) X(0x20E) X(0x20F) /* MTRR_PHYSBASE/MASK4-7 */ \
	X(0x250) X(0x258) X(0x259) /* MTRR_FIX64K_00000, FIX16K_80000/A0000 */                       \
	X(0x268) X(0x269) X(0x26A) X(0x26B) X(0x26C) X(0x26D) X(0x26E) X(0x26F) /* MTRR_FIX4K_* */      \
	X(0x1D9) /* DEBUG_CTL */ X(0x40000084) /* HV_X64_MSR_EOM */
#define MSHV_X86_MSRS_CET_SS(X) /* processor feature cet_ss_support */                            \
	X(0x6A0) /* U_CET */ X(0x6A2) /* S_CET */ X(0x7A0) /* SSP */ X(0x6A4) X(0x6A5) X(0x6A6)        \
	X(0x6A7) /* PL0-3_SSP */ X(0x6A8) /* INTERRUPT_SSP_TABLE_ADDR */
#define MSHV_X86_MSRS_SYNIC(X) /* synthetic feature access_synic_regs */                          \
	X(0x40000090) X(0x40000091) X(0x40000092) X(0x40000093) X(0x40000094) X(0x40000095)          \
	X(0x40000096) X(0x40000097) X(0x40000098) X(0x40000099) X(0x4000009A) X(0x4000009B)          \
	X(0x4000009C) X(0x4000009D) X(0x4000009E) X(0x4000009F) /* SINT0-15 */                        \
	X(0x40000080) /* SCONTROL */ X(0x40000082) /* SIEFP */ X(0x40000083) /* SIMP */
#define MSHV_X86_MSR_XSS 0xDA0             /* xsave feature xsave_supervisor_support */
#define MSHV_X86_MSR_TSC_AUX 0xC0000103    /* processor feature rdtscp_support */
#define MSHV_X86_MSR_REFERENCE_TSC 0x40000021 /* synthetic access_partition_reference_tsc */
#define MSHV_X86_MSR_GUEST_OS_ID 0x40000000   /* synthetic access_hypercall_regs */

#ifdef MSHV_IMPLEMENTATION

#define MSHV__MSR_ENTRY(index) index,

/*
 * mshv_vm_request_virtual_interrupt - HVCALL_ASSERT_VIRTUAL_INTERRUPT
 * (MSHV_ROOT_HVCALL on the partition fd): interrupt req->vector of type
 * req->control.interrupt_type (HV_X64_INTERRUPT_TYPE_*) to the APIC id
 * req->dest_addr. Reserved control bits and req->rsvd must be zero
 * (mshv-ioctls' long_mode flag sets control bit 62, reserved in union
 * hv_interrupt_control: refused here). Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_request_virtual_interrupt(struct mshv_vm *vm, const struct mshv_assert_interrupt *req,
						  __u16 *hv_status)
{
	struct hv_input_assert_virtual_interrupt in;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vm || !req || req->control.rsvd || req->rsvd)
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.control = req->control;
	in.dest_addr = req->dest_addr;
	in.vector = req->vector;
	return mshv__hvcall(vm->fd, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &in, sizeof(in), NULL, 0, hv_status);
}

/*
 * mshv_vm_signal_event_direct - HVCALL_SIGNAL_EVENT_DIRECT
 * (MSHV_ROOT_HVCALL on the partition fd): sets event flag args->flag of
 * SINT args->sint on VP args->vp (VTL args->vtl); args->newly_signaled
 * receives whether the flag was clear before. Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_signal_event_direct(struct mshv_vm *vm, struct mshv_signal_event_direct *args,
					    __u16 *hv_status)
{
	struct hv_input_signal_event_direct in;
	struct hv_output_signal_event_direct out;
	int ret;

	if (!vm || !args)
		return mshv__einval(hv_status);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.target_vp = args->vp;
	in.target_vtl = args->vtl;
	in.target_sint = args->sint;
	in.flag_number = args->flag;
	ret = mshv__hvcall(vm->fd, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in, sizeof(in), &out, sizeof(out), hv_status);
	if (ret == 0)
		args->newly_signaled = out.newly_signaled;
	return ret;
}

/*
 * mshv_vm_post_message_direct - HVCALL_POST_MESSAGE_DIRECT
 * (MSHV_ROOT_HVCALL on the partition fd): posts args->length bytes at
 * args->message (at most HV_MESSAGE_SIZE, a whole struct hv_message) to
 * SINT args->sint of VP args->vp (VTL args->vtl). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_post_message_direct(struct mshv_vm *vm, const struct mshv_post_message_direct *args,
					    __u16 *hv_status)
{
	struct hv_input_post_message_direct in;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vm || !args || args->length > HV_MESSAGE_SIZE || (args->length && !args->message))
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.vp_index = args->vp;
	in.vtl = args->vtl;
	in.sint_index = args->sint;
	if (args->length)
		memcpy(in.message, args->message, args->length);
	return mshv__hvcall(vm->fd, HVCALL_POST_MESSAGE_DIRECT, 0, &in, sizeof(in), NULL, 0, hv_status);
}


/* Append list[n] to out (capacity cap) at *count; the count goes on past cap. */
MSHV_INLINE void mshv__msr_append(__u32 *out, unsigned int cap, unsigned int *count, const __u32 *list,
				  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, (*count)++)
		if (*count < cap)
			out[*count] = list[i];
}

/* The MSR list from the feature sets (all: every MSR of the lists). */
MSHV_INLINE int mshv__msr_index_list(__u32 *indices, unsigned int *count, int all, __u64 proc0, __u64 proc1,
				     __u64 xsave, __u64 synthetic)
{
	static const __u32 common[] = { MSHV_X86_MSRS_COMMON(MSHV__MSR_ENTRY) };
	static const __u32 cet_ss[] = { MSHV_X86_MSRS_CET_SS(MSHV__MSR_ENTRY) };
	static const __u32 synic[] = { MSHV_X86_MSRS_SYNIC(MSHV__MSR_ENTRY) };
	static const __u32 xss = MSHV_X86_MSR_XSS, tsc_aux = MSHV_X86_MSR_TSC_AUX,
			   reference_tsc = MSHV_X86_MSR_REFERENCE_TSC, guest_os_id = MSHV_X86_MSR_GUEST_OS_ID;
	union hv_partition_processor_features proc;
	union hv_partition_processor_xsave_features xs;
	union hv_partition_synthetic_processor_features syn;
	unsigned int cap = *count, n = 0;

	proc.as_uint64[0] = proc0;
	proc.as_uint64[1] = proc1;
	xs.as_uint64 = xsave;
	syn.as_uint64[0] = synthetic;
	mshv__msr_append(indices, cap, &n, common, sizeof(common) / sizeof(common[0]));
	if (all || proc.cet_ss_support)
		mshv__msr_append(indices, cap, &n, cet_ss, sizeof(cet_ss) / sizeof(cet_ss[0]));
	if (!all && proc.rdtscp_support)
		mshv__msr_append(indices, cap, &n, &tsc_aux, 1);
	if (!all && xs.xsave_supervisor_support)
		mshv__msr_append(indices, cap, &n, &xss, 1);
	if (all || syn.access_synic_regs)
		mshv__msr_append(indices, cap, &n, synic, sizeof(synic) / sizeof(synic[0]));
	if (all) {
		mshv__msr_append(indices, cap, &n, &xss, 1);
		mshv__msr_append(indices, cap, &n, &tsc_aux, 1);
	}
	if (all || syn.access_partition_reference_tsc)
		mshv__msr_append(indices, cap, &n, &reference_tsc, 1);
	if (all || syn.access_hypercall_regs)
		mshv__msr_append(indices, cap, &n, &guest_os_id, 1);
	*count = n;
	return n > cap ? -E2BIG : 0;
}

/*
 * mshv_system_get_msr_index_list - every MSR index a VMM may save and
 * restore (no system call: the lists above, in mshv-ioctls' order). *count
 * is the capacity of indices on input and the number of MSRs on output;
 * -E2BIG when the capacity is too small (indices then holds the first
 * *count-on-input entries). Returns 0, -E2BIG or -EINVAL (a NULL pointer).
 */
MSHV_INLINE int mshv_system_get_msr_index_list(struct mshv_system *sys, __u32 *indices, unsigned int *count)
{
	if (!sys || !indices || !count)
		return -EINVAL;
	return mshv__msr_index_list(indices, count, 1, 0, 0, 0, 0);
}

/*
 * mshv_vm_get_msr_index_list - the MSRs of this partition: the common list,
 * plus those its processor, XSAVE and synthetic features enable (read with
 * HVCALL_GET_PARTITION_PROPERTY on the partition fd:
 * PROCESSOR_XSAVE_FEATURES, PROCESSOR_FEATURES0/1,
 * SYNTHETIC_PROC_FEATURES). *count as for mshv_system_get_msr_index_list().
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_get_msr_index_list(struct mshv_vm *vm, __u32 *indices, unsigned int *count, __u16 *hv_status)
{
	static const __u32 codes[4] = { HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES,
					HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0,
					HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1,
					HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES };
	__u64 v[4];
	unsigned int i;
	int ret;

	if (!vm || !indices || !count)
		return mshv__einval(hv_status);
	for (i = 0; i < 4; i++) {
		ret = mshv_vm_get_partition_property(vm, codes[i], &v[i], hv_status);
		if (ret < 0)
			return ret;
	}
	return mshv__msr_index_list(indices, count, 0, v[1], v[2], v[0], v[3]);
}

/* Get (set == 0) or set msrs[0..count) through their hypervisor registers, in chunks. Returns count, or -errno. */
MSHV_INLINE int mshv__msrs(struct mshv_vcpu *vcpu, struct mshv_msr_entry *msrs, size_t count, int set,
			   __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV_SET_REGISTERS_PER_CALL];
	size_t done, n, i;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!count || !msrs || !vcpu || count > 0x7fffffff)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (!mshv_x86_msr_to_register(msrs[i].index))
			return -EINVAL;
	for (done = 0; done < count; done += n) {
		n = count - done < MSHV_SET_REGISTERS_PER_CALL ? count - done : MSHV_SET_REGISTERS_PER_CALL;
		memset(regs, 0, sizeof(regs[0]) * n);
		for (i = 0; i < n; i++) {
			regs[i].name = mshv_x86_msr_to_register(msrs[done + i].index);
			regs[i].value.reg64 = msrs[done + i].data;
		}
		ret = set ? mshv_vcpu_set_registers(vcpu, regs, n, hv_status)
			  : mshv_vcpu_get_registers(vcpu, regs, n, hv_status);
		if (ret < 0)
			return ret;
		for (i = 0; !set && i < n; i++)
			msrs[done + i].data = regs[i].value.reg64;
	}
	return (int)count;
}

/*
 * mshv_vcpu_get_msrs - the MSRs msrs[i].index into msrs[i].data, i < count,
 * through their hypervisor registers (mshv_x86_msr_to_register; one
 * without gives -EINVAL before any call) and mshv_vcpu_get_registers()
 * in chunks. Returns count, or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_msrs(struct mshv_vcpu *vcpu, struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	return mshv__msrs(vcpu, msrs, count, 0, hv_status);
}

/*
 * mshv_vcpu_set_msrs - set msrs[i].index = msrs[i].data, i < count, as above.
 * Returns count, or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_msrs(struct mshv_vcpu *vcpu, const struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	/* only read from when setting */
	return mshv__msrs(vcpu, (struct mshv_msr_entry *)(uintptr_t)msrs, count, 1, hv_status);
}

/* ---- vCPU register sets (mshv-ioctls' VcpuFd) ---------------------------- */

/* Whether the VP register page holds the VP's registers now (after an intercept); 0 for a NULL vcpu. */
MSHV_HOT_INLINE int mshv_vcpu_reg_page_valid(const struct mshv_vcpu *vcpu)
{
	return vcpu && vcpu->reg_page && vcpu->reg_page->isvalid;
}

/* Fill names[] into regs[] (values zero). */
MSHV_INLINE void mshv__names(struct hv_register_assoc *regs, const __u32 *names, size_t n)
{
	size_t i;

	memset(regs, 0, sizeof(regs[0]) * n);
	for (i = 0; i < n; i++)
		regs[i].name = names[i];
}

static const __u32 mshv__standard_names[18] = {
	HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX, HV_X64_REGISTER_RCX, HV_X64_REGISTER_RDX, HV_X64_REGISTER_RSI,
	HV_X64_REGISTER_RDI, HV_X64_REGISTER_RSP, HV_X64_REGISTER_RBP, HV_X64_REGISTER_R8,  HV_X64_REGISTER_R9,
	HV_X64_REGISTER_R10, HV_X64_REGISTER_R11, HV_X64_REGISTER_R12, HV_X64_REGISTER_R13, HV_X64_REGISTER_R14,
	HV_X64_REGISTER_R15, HV_X64_REGISTER_RIP, HV_X64_REGISTER_RFLAGS
};

/*
 * mshv_vcpu_get_regs - the general registers, RIP and RFLAGS: from the VP
 * register page while it is valid (no system call), else one
 * HVCALL_GET_VP_REGISTERS (MSHV_ROOT_HVCALL on the VP fd). Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_regs(struct mshv_vcpu *vcpu, struct mshv_standard_registers *r, __u16 *hv_status)
{
	struct hv_register_assoc regs[18];
	__u64 v[18];
	unsigned int i;
	int ret;

	if (!vcpu || !r)
		return mshv__einval(hv_status);
	if (mshv_vcpu_reg_page_valid(vcpu)) {
		const struct hv_vp_register_page *p = vcpu->reg_page;

		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		/* the page keeps the architectural order: rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi */
		r->rax = p->rax, r->rbx = p->rbx, r->rcx = p->rcx, r->rdx = p->rdx;
		r->rsi = p->rsi, r->rdi = p->rdi, r->rsp = p->rsp, r->rbp = p->rbp;
		r->r8 = p->r8, r->r9 = p->r9, r->r10 = p->r10, r->r11 = p->r11;
		r->r12 = p->r12, r->r13 = p->r13, r->r14 = p->r14, r->r15 = p->r15;
		r->rip = p->rip, r->rflags = p->rflags;
		return 0;
	}
	mshv__names(regs, mshv__standard_names, 18);
	ret = mshv_vcpu_get_registers(vcpu, regs, 18, hv_status);
	if (ret < 0)
		return ret;
	for (i = 0; i < 18; i++)
		v[i] = regs[i].value.reg64;
	memcpy(r, v, sizeof(*r)); /* the struct has the names' order */
	return 0;
}

/*
 * mshv_vcpu_set_regs - set the general registers, RIP and RFLAGS: into the
 * valid register page (dirty classes GENERAL, IP, FLAGS; no system call),
 * else one HVCALL_SET_VP_REGISTERS. Returns 0 or -errno; hypercall errors
 * as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_regs(struct mshv_vcpu *vcpu, const struct mshv_standard_registers *r, __u16 *hv_status)
{
	struct hv_register_assoc regs[18];
	__u64 v[18];
	unsigned int i;

	if (!vcpu || !r)
		return mshv__einval(hv_status);
	if (mshv_vcpu_reg_page_valid(vcpu)) {
		struct hv_vp_register_page *p = vcpu->reg_page;

		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		p->rax = r->rax, p->rbx = r->rbx, p->rcx = r->rcx, p->rdx = r->rdx;
		p->rsi = r->rsi, p->rdi = r->rdi, p->rsp = r->rsp, p->rbp = r->rbp;
		p->r8 = r->r8, p->r9 = r->r9, p->r10 = r->r10, p->r11 = r->r11;
		p->r12 = r->r12, p->r13 = r->r13, p->r14 = r->r14, p->r15 = r->r15;
		p->rip = r->rip, p->rflags = r->rflags;
		p->dirty |= (1u << HV_X64_REGISTER_CLASS_GENERAL) | (1u << HV_X64_REGISTER_CLASS_IP) |
			    (1u << HV_X64_REGISTER_CLASS_FLAGS);
		return 0;
	}
	memcpy(v, r, sizeof(v));
	mshv__names(regs, mshv__standard_names, 18);
	for (i = 0; i < 18; i++)
		regs[i].value.reg64 = v[i];
	return mshv_vcpu_set_registers(vcpu, regs, 18, hv_status);
}

/* hv segment <-> mshv-ioctls' SegmentRegister */
MSHV_INLINE void mshv__seg_from_hv(struct mshv_segment_register *d, const struct hv_x64_segment_register *h)
{
	memset(d, 0, sizeof(*d));
	d->base = h->base;
	d->limit = h->limit;
	d->selector = h->selector;
	d->type = (__u8)h->segment_type;
	d->s = (__u8)h->non_system_segment;
	d->dpl = (__u8)h->descriptor_privilege_level;
	d->present = (__u8)h->present;
	d->avl = (__u8)h->available;
	d->l = (__u8)h->_long;
	d->db = (__u8)h->_default;
	d->g = (__u8)h->granularity;
}

MSHV_INLINE void mshv__seg_to_hv(struct hv_x64_segment_register *h, const struct mshv_segment_register *d)
{
	memset(h, 0, sizeof(*h));
	h->base = d->base;
	h->limit = d->limit;
	h->selector = d->selector;
	h->segment_type = d->type & 0xf;
	h->non_system_segment = d->s & 1;
	h->descriptor_privilege_level = d->dpl & 3;
	h->present = d->present & 1;
	h->available = d->avl & 1;
	h->_long = d->l & 1;
	h->_default = d->db & 1;
	h->granularity = d->g & 1;
}

/* The pending external interrupt (PENDING_INTERRUPTION) as KVM's interrupt_bitmap. */
MSHV_INLINE void mshv__interrupt_bitmap(struct mshv_special_registers *s, __u64 pending)
{
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	if ((pending & 1) && ((pending >> 1) & 7) == 0) { /* pending, type: external interrupt */
		unsigned int vec = (unsigned int)(pending >> 16) & 0xff;

		s->interrupt_bitmap[vec / 64] |= 1ull << (vec % 64);
	}
}

/*
 * mshv_vcpu_get_sregs - segment, descriptor-table and control registers,
 * EFER, APIC base and the pending external interrupt: with a valid
 * register page the six segments, CR0/3/4/8 and EFER come from it and the
 * rest from one HVCALL_GET_VP_REGISTERS; else all from one call (CR0/3/4
 * as HV_X64_REGISTER_INTERMEDIATE_CR*, as mshv-ioctls reads them).
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_sregs(struct mshv_vcpu *vcpu, struct mshv_special_registers *s, __u16 *hv_status)
{
	static const __u32 names[18] = {
		HV_X64_REGISTER_CS, HV_X64_REGISTER_DS, HV_X64_REGISTER_ES, HV_X64_REGISTER_FS,
		HV_X64_REGISTER_GS, HV_X64_REGISTER_SS, HV_X64_REGISTER_INTERMEDIATE_CR0, HV_X64_REGISTER_INTERMEDIATE_CR3,
		HV_X64_REGISTER_INTERMEDIATE_CR4, HV_X64_REGISTER_CR8, HV_X64_REGISTER_EFER,
		/* the rest are not on the register page */
		HV_X64_REGISTER_TR, HV_X64_REGISTER_LDTR, HV_X64_REGISTER_GDTR, HV_X64_REGISTER_IDTR, HV_X64_REGISTER_CR2,
		HV_X64_REGISTER_APIC_BASE, HV_REGISTER_PENDING_INTERRUPTION
	};
	struct hv_register_assoc regs[18];
	const struct hv_vp_register_page *p = mshv_vcpu_reg_page_valid(vcpu) ? vcpu->reg_page : NULL;
	unsigned int first = p ? 11 : 0;
	int ret;

	if (!vcpu || !s)
		return mshv__einval(hv_status);
	mshv__names(regs, names, 18);
	ret = mshv_vcpu_get_registers(vcpu, regs + first, 18 - first, hv_status);
	if (ret < 0)
		return ret;
	memset(s, 0, sizeof(*s));
	if (p) {
		mshv__seg_from_hv(&s->cs, &p->cs);
		mshv__seg_from_hv(&s->ds, &p->ds);
		mshv__seg_from_hv(&s->es, &p->es);
		mshv__seg_from_hv(&s->fs, &p->fs);
		mshv__seg_from_hv(&s->gs, &p->gs);
		mshv__seg_from_hv(&s->ss, &p->ss);
		s->cr0 = p->cr0, s->cr3 = p->cr3, s->cr4 = p->cr4, s->cr8 = p->cr8, s->efer = p->efer;
	} else {
		mshv__seg_from_hv(&s->cs, &regs[0].value.segment);
		mshv__seg_from_hv(&s->ds, &regs[1].value.segment);
		mshv__seg_from_hv(&s->es, &regs[2].value.segment);
		mshv__seg_from_hv(&s->fs, &regs[3].value.segment);
		mshv__seg_from_hv(&s->gs, &regs[4].value.segment);
		mshv__seg_from_hv(&s->ss, &regs[5].value.segment);
		s->cr0 = regs[6].value.reg64, s->cr3 = regs[7].value.reg64, s->cr4 = regs[8].value.reg64;
		s->cr8 = regs[9].value.reg64, s->efer = regs[10].value.reg64;
	}
	mshv__seg_from_hv(&s->tr, &regs[11].value.segment);
	mshv__seg_from_hv(&s->ldt, &regs[12].value.segment);
	s->gdt.base = regs[13].value.table.base;
	s->gdt.limit = regs[13].value.table.limit;
	s->idt.base = regs[14].value.table.base;
	s->idt.limit = regs[14].value.table.limit;
	s->cr2 = regs[15].value.reg64;
	s->apic_base = regs[16].value.reg64;
	mshv__interrupt_bitmap(s, regs[17].value.reg64);
	return 0;
}

/*
 * mshv_vcpu_set_sregs - set them back: with a valid register page the six
 * segments go into it (dirty class SEGMENT) and the rest through one
 * HVCALL_SET_VP_REGISTERS; else all through one call. interrupt_bitmap is
 * not applied (use mshv_vcpu_set_vcpu_events), as in mshv-ioctls.
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_sregs(struct mshv_vcpu *vcpu, const struct mshv_special_registers *s, __u16 *hv_status)
{
	struct hv_register_assoc regs[17];
	struct hv_vp_register_page *p = mshv_vcpu_reg_page_valid(vcpu) ? vcpu->reg_page : NULL;
	const struct mshv_segment_register *segs[6];
	static const __u32 seg_names[6] = { HV_X64_REGISTER_CS, HV_X64_REGISTER_DS, HV_X64_REGISTER_ES,
					    HV_X64_REGISTER_FS, HV_X64_REGISTER_GS, HV_X64_REGISTER_SS };
	static const __u32 names[11] = { HV_X64_REGISTER_TR,		   HV_X64_REGISTER_LDTR,
					 HV_X64_REGISTER_GDTR,		   HV_X64_REGISTER_IDTR,
					 HV_X64_REGISTER_INTERMEDIATE_CR0, HV_X64_REGISTER_CR2,
					 HV_X64_REGISTER_INTERMEDIATE_CR3, HV_X64_REGISTER_INTERMEDIATE_CR4,
					 HV_X64_REGISTER_CR8,		   HV_X64_REGISTER_EFER,
					 HV_X64_REGISTER_APIC_BASE };
	unsigned int n = 0, i;

	if (!vcpu || !s)
		return mshv__einval(hv_status);
	segs[0] = &s->cs, segs[1] = &s->ds, segs[2] = &s->es, segs[3] = &s->fs, segs[4] = &s->gs, segs[5] = &s->ss;
	memset(regs, 0, sizeof(regs));
	if (p) {
		mshv__seg_to_hv(&p->cs, &s->cs);
		mshv__seg_to_hv(&p->ds, &s->ds);
		mshv__seg_to_hv(&p->es, &s->es);
		mshv__seg_to_hv(&p->fs, &s->fs);
		mshv__seg_to_hv(&p->gs, &s->gs);
		mshv__seg_to_hv(&p->ss, &s->ss);
		p->dirty |= 1u << HV_X64_REGISTER_CLASS_SEGMENT;
	} else {
		for (i = 0; i < 6; i++, n++) {
			regs[n].name = seg_names[i];
			mshv__seg_to_hv(&regs[n].value.segment, segs[i]);
		}
	}
	for (i = 0; i < 11; i++)
		regs[n + i].name = names[i];
	mshv__seg_to_hv(&regs[n].value.segment, &s->tr);
	mshv__seg_to_hv(&regs[n + 1].value.segment, &s->ldt);
	regs[n + 2].value.table.base = s->gdt.base;
	regs[n + 2].value.table.limit = s->gdt.limit;
	regs[n + 3].value.table.base = s->idt.base;
	regs[n + 3].value.table.limit = s->idt.limit;
	regs[n + 4].value.reg64 = s->cr0;
	regs[n + 5].value.reg64 = s->cr2;
	regs[n + 6].value.reg64 = s->cr3;
	regs[n + 7].value.reg64 = s->cr4;
	regs[n + 8].value.reg64 = s->cr8;
	regs[n + 9].value.reg64 = s->efer;
	regs[n + 10].value.reg64 = s->apic_base;
	return mshv_vcpu_set_registers(vcpu, regs, n + 11, hv_status);
}

#define MSHV__FPU_REGS 26 /* XMM0-15, FP_MMX0-7, FP and XMM control/status */

MSHV_INLINE void mshv__fpu_names(struct hv_register_assoc *regs)
{
	unsigned int i;

	memset(regs, 0, sizeof(regs[0]) * MSHV__FPU_REGS);
	for (i = 0; i < 16; i++)
		regs[i].name = HV_X64_REGISTER_XMM0 + i;
	for (i = 0; i < 8; i++)
		regs[16 + i].name = HV_X64_REGISTER_FP_MMX0 + i;
	regs[24].name = HV_X64_REGISTER_FP_CONTROL_STATUS;
	regs[25].name = HV_X64_REGISTER_XMM_CONTROL_STATUS;
}

/*
 * mshv_vcpu_get_fpu - XMM0-15, the x87/MMX registers and their control and
 * status: one HVCALL_GET_VP_REGISTERS. Returns 0 or -errno; hypercall errors
 * as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_fpu(struct mshv_vcpu *vcpu, struct mshv_floating_point_unit *f, __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV__FPU_REGS];
	unsigned int i;
	int ret;

	if (!vcpu || !f)
		return mshv__einval(hv_status);
	mshv__fpu_names(regs);
	ret = mshv_vcpu_get_registers(vcpu, regs, MSHV__FPU_REGS, hv_status);
	if (ret < 0)
		return ret;
	memset(f, 0, sizeof(*f));
	for (i = 0; i < 16; i++)
		memcpy(f->xmm[i], &regs[i].value.reg128, 16);
	for (i = 0; i < 8; i++)
		memcpy(f->fpr[i], &regs[16 + i].value.fp, 16);
	f->fcw = regs[24].value.fp_control_status.fp_control;
	f->fsw = regs[24].value.fp_control_status.fp_status;
	f->ftwx = regs[24].value.fp_control_status.fp_tag;
	f->last_opcode = regs[24].value.fp_control_status.last_fp_op;
	f->last_ip = regs[24].value.fp_control_status.last_fp_rip;
	f->last_dp = regs[25].value.xmm_control_status.last_fp_rdp;
	f->mxcsr = regs[25].value.xmm_control_status.xmm_status_control;
	return 0;
}

/*
 * mshv_vcpu_set_fpu - set them (one HVCALL_SET_VP_REGISTERS; the MXCSR mask is
 * written 0). Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_fpu(struct mshv_vcpu *vcpu, const struct mshv_floating_point_unit *f, __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV__FPU_REGS];
	unsigned int i;

	if (!vcpu || !f)
		return mshv__einval(hv_status);
	mshv__fpu_names(regs);
	for (i = 0; i < 16; i++)
		memcpy(&regs[i].value.reg128, f->xmm[i], 16);
	for (i = 0; i < 8; i++)
		memcpy(&regs[16 + i].value.fp, f->fpr[i], 16);
	regs[24].value.fp_control_status.fp_control = f->fcw;
	regs[24].value.fp_control_status.fp_status = f->fsw;
	regs[24].value.fp_control_status.fp_tag = f->ftwx;
	regs[24].value.fp_control_status.last_fp_op = f->last_opcode;
	regs[24].value.fp_control_status.last_fp_rip = f->last_ip;
	regs[25].value.xmm_control_status.last_fp_rdp = f->last_dp;
	regs[25].value.xmm_control_status.xmm_status_control = f->mxcsr;
	return mshv_vcpu_set_registers(vcpu, regs, MSHV__FPU_REGS, hv_status);
}

/* Get (set == 0) or set count 64-bit registers names[i] <-> values[i] in one call. */
MSHV_INLINE int mshv__regs64(struct mshv_vcpu *vcpu, const __u32 *names, __u64 *values, unsigned int count, int set,
			     __u16 *hv_status)
{
	struct hv_register_assoc regs[8];
	unsigned int i;
	int ret;

	mshv__names(regs, names, count);
	if (set) {
		for (i = 0; i < count; i++)
			regs[i].value.reg64 = values[i];
		return mshv_vcpu_set_registers(vcpu, regs, count, hv_status);
	}
	ret = mshv_vcpu_get_registers(vcpu, regs, count, hv_status);
	for (i = 0; ret == 0 && i < count; i++)
		values[i] = regs[i].value.reg64;
	return ret;
}

static const __u32 mshv__debug_names[6] = { HV_X64_REGISTER_DR0, HV_X64_REGISTER_DR1, HV_X64_REGISTER_DR2,
					     HV_X64_REGISTER_DR3, HV_X64_REGISTER_DR6, HV_X64_REGISTER_DR7 };

/*
 * mshv_vcpu_get_debug_regs - DR0-3, DR6, DR7: one HVCALL_GET_VP_REGISTERS.
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_debug_regs(struct mshv_vcpu *vcpu, struct mshv_debug_registers *d, __u16 *hv_status)
{
	__u64 v[6];
	int ret;

	if (!vcpu || !d)
		return mshv__einval(hv_status);
	ret = mshv__regs64(vcpu, mshv__debug_names, v, 6, 0, hv_status);
	if (ret == 0)
		memcpy(d, v, sizeof(*d));
	return ret;
}

/*
 * mshv_vcpu_set_debug_regs - set them: one HVCALL_SET_VP_REGISTERS. Returns 0
 * or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_debug_regs(struct mshv_vcpu *vcpu, const struct mshv_debug_registers *d,
					 __u16 *hv_status)
{
	__u64 v[6];

	if (!vcpu || !d)
		return mshv__einval(hv_status);
	memcpy(v, d, sizeof(v));
	return mshv__regs64(vcpu, mshv__debug_names, v, 6, 1, hv_status);
}

static const __u32 mshv__event_names[5] = { HV_REGISTER_PENDING_INTERRUPTION, HV_REGISTER_INTERRUPT_STATE,
					     HV_REGISTER_INTERNAL_ACTIVITY_STATE, HV_REGISTER_PENDING_EVENT0,
					     HV_REGISTER_PENDING_EVENT1 };

/*
 * mshv_vcpu_get_vcpu_events - pending interruption and events, interrupt and
 * activity state: one call. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_vcpu_events(struct mshv_vcpu *vcpu, struct mshv_vcpu_events *e, __u16 *hv_status)
{
	struct hv_register_assoc regs[5];
	int ret;

	if (!vcpu || !e)
		return mshv__einval(hv_status);
	mshv__names(regs, mshv__event_names, 5);
	ret = mshv_vcpu_get_registers(vcpu, regs, 5, hv_status);
	if (ret < 0)
		return ret;
	e->pending_interruption = regs[0].value.reg64;
	e->interrupt_state = regs[1].value.reg64;
	e->internal_activity_state = regs[2].value.reg64;
	memcpy(e->pending_event0, &regs[3].value, 16);
	memcpy(e->pending_event1, &regs[4].value, 16);
	return 0;
}

/*
 * mshv_vcpu_set_vcpu_events - set them: one HVCALL_SET_VP_REGISTERS. Returns 0
 * or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_vcpu_events(struct mshv_vcpu *vcpu, const struct mshv_vcpu_events *e, __u16 *hv_status)
{
	struct hv_register_assoc regs[5];

	if (!vcpu || !e)
		return mshv__einval(hv_status);
	mshv__names(regs, mshv__event_names, 5);
	regs[0].value.reg64 = e->pending_interruption;
	regs[1].value.reg64 = e->interrupt_state;
	regs[2].value.reg64 = e->internal_activity_state;
	memcpy(&regs[3].value, e->pending_event0, 16);
	memcpy(&regs[4].value, e->pending_event1, 16);
	return mshv_vcpu_set_registers(vcpu, regs, 5, hv_status);
}

/*
 * mshv_vcpu_get_xcrs - XCR0 (HV_X64_REGISTER_XFEM): from the valid register
 * page, else one hypercall. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_xcrs(struct mshv_vcpu *vcpu, struct mshv_xcrs *x, __u16 *hv_status)
{
	static const __u32 name = HV_X64_REGISTER_XFEM;

	if (!vcpu || !x)
		return mshv__einval(hv_status);
	if (mshv_vcpu_reg_page_valid(vcpu)) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		x->xcr0 = vcpu->reg_page->xfem;
		return 0;
	}
	return mshv__regs64(vcpu, &name, &x->xcr0, 1, 0, hv_status);
}

/*
 * mshv_vcpu_set_xcrs - set XCR0: one HVCALL_SET_VP_REGISTERS. Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_xcrs(struct mshv_vcpu *vcpu, const struct mshv_xcrs *x, __u16 *hv_status)
{
	static const __u32 name = HV_X64_REGISTER_XFEM;
	__u64 v;

	if (!vcpu || !x)
		return mshv__einval(hv_status);
	v = x->xcr0;
	return mshv__regs64(vcpu, &name, &v, 1, 1, hv_status);
}

/*
 * mshv_vcpu_get_misc_regs - the hypercall MSR (one HVCALL_GET_VP_REGISTERS)
 * and the register page's interrupt_vectors (0 without a page). Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_misc_regs(struct mshv_vcpu *vcpu, struct mshv_misc_regs *m, __u16 *hv_status)
{
	static const __u32 name = HV_X64_REGISTER_HYPERCALL;
	int ret;

	if (!vcpu || !m)
		return mshv__einval(hv_status);
	ret = mshv__regs64(vcpu, &name, &m->hypercall, 1, 0, hv_status);
	m->int_vec = vcpu->reg_page ? vcpu->reg_page->interrupt_vectors.as_uint64 : 0;
	return ret;
}

/*
 * mshv_vcpu_set_misc_regs - set them (interrupt_vectors into the page when
 * there is one). Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_misc_regs(struct mshv_vcpu *vcpu, const struct mshv_misc_regs *m, __u16 *hv_status)
{
	static const __u32 name = HV_X64_REGISTER_HYPERCALL;
	__u64 v;

	if (!vcpu || !m)
		return mshv__einval(hv_status);
	v = m->hypercall;
	if (vcpu->reg_page)
		vcpu->reg_page->interrupt_vectors.as_uint64 = m->int_vec;
	return mshv__regs64(vcpu, &name, &v, 1, 1, hv_status);
}

/*
 * mshv_vcpu_get_suspend_regs - HV_REGISTER_EXPLICIT_SUSPEND and
 * _INTERCEPT_SUSPEND: one hypercall. Returns 0 or -errno; hypercall errors as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_suspend_regs(struct mshv_vcpu *vcpu, struct mshv_suspend_registers *r, __u16 *hv_status)
{
	static const __u32 names[2] = { HV_REGISTER_EXPLICIT_SUSPEND, HV_REGISTER_INTERCEPT_SUSPEND };
	__u64 v[2];
	int ret;

	if (!vcpu || !r)
		return mshv__einval(hv_status);
	ret = mshv__regs64(vcpu, names, v, 2, 0, hv_status);
	if (ret == 0) {
		r->explicit_register = v[0];
		r->intercept_register = v[1];
	}
	return ret;
}

/*
 * mshv_vcpu_set_sev_control_register - HV_X64_REGISTER_SEV_CONTROL = value:
 * one hypercall. Returns 0 or -errno; hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_sev_control_register(struct mshv_vcpu *vcpu, __u64 value, __u16 *hv_status)
{
	static const __u32 name = HV_X64_REGISTER_SEV_CONTROL;

	return mshv__regs64(vcpu, &name, &value, 1, 1, hv_status);
}

/* ---- VP state: LAPIC, XSAVE, every component ------------------------------- */

/* MSHV_GET/SET_VP_STATE of `type` through a 4 KiB-aligned page on the stack. */
MSHV_INLINE int mshv__vp_state_page(struct mshv_vcpu *vcpu, __u8 type, void *page, int set)
{
	struct mshv_get_set_vp_state st;

	memset(&st, 0, sizeof(st));
	st.type = type;
	st.buf_sz = MSHV_HV_PAGE_SIZE;
	st.buf_ptr = MSHV__PTR(page);
	return set ? mshv_vcpu_set_vp_state(vcpu, &st) : mshv_vcpu_get_vp_state(vcpu, &st);
}

#define MSHV__STATE_PAGE(name) __u8 name[MSHV_HV_PAGE_SIZE] __attribute__((__aligned__(MSHV_HV_PAGE_SIZE)))

MSHV_INLINE void mshv__put32(__u8 *regs, unsigned int off, __u32 v)
{
	memcpy(regs + off, &v, 4);
}

MSHV_INLINE __u32 mshv__get32(const __u8 *regs, unsigned int off)
{
	__u32 v;

	memcpy(&v, regs + off, 4);
	return v;
}

/*
 * mshv_vcpu_get_lapic - MSHV_GET_VP_STATE (MSHV_VP_STATE_LAPIC) on the VP
 * fd, converted to the APIC register page layout as mshv-ioctls does
 * (PPR: the highest in-service vector; TPR is in CR8, not here). Returns 0
 * or -errno.
 */
MSHV_INLINE int mshv_vcpu_get_lapic(struct mshv_vcpu *vcpu, struct mshv_lapic_state *l)
{
	MSHV__STATE_PAGE(page);
	struct hv_local_interrupt_controller_state h;
	unsigned int i, isrv = 0;
	int ret;

	if (!vcpu || !l)
		return -EINVAL;
	memset(page, 0, sizeof(page));
	ret = mshv__vp_state_page(vcpu, MSHV_VP_STATE_LAPIC, page, 0);
	if (ret < 0)
		return ret;
	memcpy(&h, page, sizeof(h));
	memset(l, 0, sizeof(*l));
	mshv__put32(l->regs, 0x20, h.apic_id);
	mshv__put32(l->regs, 0x30, h.apic_version);
	mshv__put32(l->regs, 0xC0, h.apic_remote_read);
	mshv__put32(l->regs, 0xD0, h.apic_ldr);
	mshv__put32(l->regs, 0xE0, h.apic_dfr);
	mshv__put32(l->regs, 0xF0, h.apic_spurious);
	mshv__put32(l->regs, 0x280, h.apic_esr);
	mshv__put32(l->regs, 0x300, h.apic_icr_low);
	mshv__put32(l->regs, 0x310, h.apic_icr_high);
	mshv__put32(l->regs, 0x320, h.apic_lvt_timer);
	mshv__put32(l->regs, 0x330, h.apic_lvt_thermal);
	mshv__put32(l->regs, 0x340, h.apic_lvt_perfmon);
	mshv__put32(l->regs, 0x350, h.apic_lvt_lint0);
	mshv__put32(l->regs, 0x360, h.apic_lvt_lint1);
	mshv__put32(l->regs, 0x370, h.apic_lvt_error);
	mshv__put32(l->regs, 0x380, h.apic_initial_count);
	mshv__put32(l->regs, 0x390, h.apic_counter_value);
	mshv__put32(l->regs, 0x3E0, h.apic_divide_configuration);
	for (i = 0; i < 8; i++) {
		mshv__put32(l->regs, 0x100 + 16 * i, h.apic_isr[i]);
		mshv__put32(l->regs, 0x180 + 16 * i, h.apic_tmr[i]);
		mshv__put32(l->regs, 0x200 + 16 * i, h.apic_irr[i]);
	}
	for (i = 8; i-- > 0;) {
		if (h.apic_isr[i]) {
			unsigned int bit = 31;

			while (!(h.apic_isr[i] & (1u << bit)))
				bit--;
			isrv = 32 * i + bit;
			break;
		}
	}
	mshv__put32(l->regs, 0xA0, isrv);
	return 0;
}

/* mshv_vcpu_set_lapic - MSHV_SET_VP_STATE (MSHV_VP_STATE_LAPIC) from the register page layout. Returns 0 or -errno. */
MSHV_INLINE int mshv_vcpu_set_lapic(struct mshv_vcpu *vcpu, const struct mshv_lapic_state *l)
{
	MSHV__STATE_PAGE(page);
	struct hv_local_interrupt_controller_state h;
	unsigned int i;

	if (!vcpu || !l)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.apic_id = mshv__get32(l->regs, 0x20);
	h.apic_version = mshv__get32(l->regs, 0x30);
	h.apic_remote_read = mshv__get32(l->regs, 0xC0);
	h.apic_ldr = mshv__get32(l->regs, 0xD0);
	h.apic_dfr = mshv__get32(l->regs, 0xE0);
	h.apic_spurious = mshv__get32(l->regs, 0xF0);
	h.apic_esr = mshv__get32(l->regs, 0x280);
	h.apic_icr_low = mshv__get32(l->regs, 0x300);
	h.apic_icr_high = mshv__get32(l->regs, 0x310);
	h.apic_lvt_timer = mshv__get32(l->regs, 0x320);
	h.apic_lvt_thermal = mshv__get32(l->regs, 0x330);
	h.apic_lvt_perfmon = mshv__get32(l->regs, 0x340);
	h.apic_lvt_lint0 = mshv__get32(l->regs, 0x350);
	h.apic_lvt_lint1 = mshv__get32(l->regs, 0x360);
	h.apic_lvt_error = mshv__get32(l->regs, 0x370);
	h.apic_initial_count = mshv__get32(l->regs, 0x380);
	h.apic_counter_value = mshv__get32(l->regs, 0x390);
	h.apic_divide_configuration = mshv__get32(l->regs, 0x3E0);
	for (i = 0; i < 8; i++) {
		h.apic_isr[i] = mshv__get32(l->regs, 0x100 + 16 * i);
		h.apic_tmr[i] = mshv__get32(l->regs, 0x180 + 16 * i);
		h.apic_irr[i] = mshv__get32(l->regs, 0x200 + 16 * i);
	}
	memset(page, 0, sizeof(page));
	memcpy(page, &h, sizeof(h));
	return mshv__vp_state_page(vcpu, MSHV_VP_STATE_LAPIC, page, 1);
}

/* mshv_vcpu_get_xsave - MSHV_GET_VP_STATE (MSHV_VP_STATE_XSAVE): the 4 KiB XSAVE area. Returns 0 or -errno. */
MSHV_INLINE int mshv_vcpu_get_xsave(struct mshv_vcpu *vcpu, struct mshv_xsave *x)
{
	MSHV__STATE_PAGE(page);
	int ret;

	if (!vcpu || !x)
		return -EINVAL;
	memset(page, 0, sizeof(page));
	ret = mshv__vp_state_page(vcpu, MSHV_VP_STATE_XSAVE, page, 0);
	if (ret == 0)
		memcpy(x->buffer, page, sizeof(x->buffer));
	return ret;
}

/* mshv_vcpu_set_xsave - MSHV_SET_VP_STATE (MSHV_VP_STATE_XSAVE). Returns 0 or -errno. */
MSHV_INLINE int mshv_vcpu_set_xsave(struct mshv_vcpu *vcpu, const struct mshv_xsave *x)
{
	MSHV__STATE_PAGE(page);

	if (!vcpu || !x)
		return -EINVAL;
	memcpy(page, x->buffer, sizeof(page));
	return mshv__vp_state_page(vcpu, MSHV_VP_STATE_XSAVE, page, 1);
}

/* Where each component sits in struct mshv_all_vp_state_components, and its size. */
static const unsigned short mshv__vp_state_offset[MSHV_VP_STATE_COUNT] = { 0, 1024, 5120, 9216, 13312 };
static const unsigned short mshv__vp_state_size[MSHV_VP_STATE_COUNT] = { 1024, 4096, 4096, 4096, 200 };

/*
 * mshv_vcpu_get_all_vp_state_components - every MSHV_VP_STATE_* component
 * (MSHV_GET_VP_STATE each, raw hypervisor formats) into *a. Returns 0 or
 * -errno (the first failure; the components before it are filled).
 */
MSHV_INLINE int mshv_vcpu_get_all_vp_state_components(struct mshv_vcpu *vcpu, struct mshv_all_vp_state_components *a)
{
	MSHV__STATE_PAGE(page);
	__u8 type;
	int ret;

	if (!vcpu || !a)
		return -EINVAL;
	for (type = 0; type < MSHV_VP_STATE_COUNT; type++) {
		memset(page, 0, sizeof(page));
		ret = mshv__vp_state_page(vcpu, type, page, 0);
		if (ret < 0)
			return ret;
		memcpy(a->buffer + mshv__vp_state_offset[type], page, mshv__vp_state_size[type]);
	}
	return 0;
}

/* mshv_vcpu_set_all_vp_state_components - MSHV_SET_VP_STATE of each component from *a. Returns 0 or -errno. */
MSHV_INLINE int mshv_vcpu_set_all_vp_state_components(struct mshv_vcpu *vcpu,
							const struct mshv_all_vp_state_components *a)
{
	MSHV__STATE_PAGE(page);
	__u8 type;
	int ret;

	if (!vcpu || !a)
		return -EINVAL;
	for (type = 0; type < MSHV_VP_STATE_COUNT; type++) {
		memset(page, 0, sizeof(page));
		memcpy(page, a->buffer + mshv__vp_state_offset[type], mshv__vp_state_size[type]);
		ret = mshv__vp_state_page(vcpu, type, page, 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- CPUID, address translation, guest memory ------------------------------ */

/*
 * mshv_vcpu_get_cpuid_values - what CPUID leaf eax, subleaf ecx returns in
 * this VP (HVCALL_GET_VP_CPUID_VALUES, rep 1, on the VP fd; with the VP's
 * own XFEM/XSS and the registered intercept results applied, as mshv-ioctls
 * asks) into out[4] = {eax, ebx, ecx, edx}. Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_cpuid_values(struct mshv_vcpu *vcpu, __u32 eax, __u32 ecx, __u64 xfem, __u64 xss,
					   __u32 out[4], __u16 *hv_status)
{
	struct hv_input_get_vp_cpuid_values head;
	struct hv_cpuid_leaf_info leaf;
	union hv_output_get_vp_cpuid_values result;
	__u8 in[sizeof(head) + sizeof(leaf)];
	size_t done;
	int ret;

	if (!vcpu || !out)
		return mshv__einval(hv_status);
	memset(&head, 0, sizeof(head));
	head.vp_index = vcpu->index;
	head.flags.use_vp_xfem_xss = 1;
	head.flags.apply_registered_values = 1;
	leaf.eax = eax;
	leaf.ecx = ecx;
	leaf.xfem = xfem;
	leaf.xss = xss;
	memcpy(in, &head, sizeof(head));
	memcpy(in + sizeof(head), &leaf, sizeof(leaf));
	memset(&result, 0, sizeof(result));
	ret = mshv__vcpu_hvcall_rep(vcpu, HVCALL_GET_VP_CPUID_VALUES, 1, in, sizeof(in), &result, sizeof(result), &done,
				    hv_status);
	if (ret == 0 && done != 1)
		ret = -EIO;
	if (ret == 0)
		memcpy(out, result.as_uint32, sizeof(result.as_uint32));
	return ret;
}

/*
 * mshv_vcpu_register_intercept_result_cpuid_entry -
 * HVCALL_REGISTER_INTERCEPT_RESULT (CPUID) on the VP fd: the guest's CPUID
 * e->function/e->index returns e->eax..edx (each also its own mask, as
 * mshv-ioctls sends it), for every subleaf unless subleaf_specific, always
 * or only when intercepted (always_override). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid_entry(struct mshv_vcpu *vcpu,
								  const struct mshv_cpuid_entry *e, __u8 always_override,
								  __u8 subleaf_specific, __u16 *hv_status)
{
	struct hv_input_register_intercept_result in;

	if (!vcpu || !e)
		return mshv__einval(hv_status);
	memset(&in, 0, sizeof(in));
	in.vp_index = vcpu->index;
	in.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	in.parameters.cpuid.input.eax = e->function;
	in.parameters.cpuid.input.ecx = e->index;
	in.parameters.cpuid.input.subleaf_specific = subleaf_specific;
	in.parameters.cpuid.input.always_override = always_override;
	in.parameters.cpuid.result.eax = in.parameters.cpuid.result.eax_mask = e->eax;
	in.parameters.cpuid.result.ebx = in.parameters.cpuid.result.ebx_mask = e->ebx;
	in.parameters.cpuid.result.ecx = in.parameters.cpuid.result.ecx_mask = e->ecx;
	in.parameters.cpuid.result.edx = in.parameters.cpuid.result.edx_mask = e->edx;
	return mshv__hvcall(vcpu->fd, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0, hv_status);
}

/*
 * mshv_vcpu_register_intercept_result_cpuid - every entry of e[0..count),
 * as mshv-ioctls' register_intercept_result_cpuid: always_override 1,
 * subleaf_specific for the topology leaves 0xB, 0x1F, 0x8000001E and
 * 0x80000026. All are tried; returns 0 or the first -errno; hypercall
 * errors as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid(struct mshv_vcpu *vcpu, const struct mshv_cpuid_entry *e,
							    size_t count, __u16 *hv_status)
{
	size_t i;
	int ret, first = 0;
	__u16 st, first_st = HV_STATUS_SUCCESS;

	if (!vcpu || !e)
		return mshv__einval(hv_status);
	for (i = 0; i < count; i++) {
		__u32 f = e[i].function;
		__u8 subleaf = f == 0xB || f == 0x1F || f == 0x8000001E || f == 0x80000026;

		ret = mshv_vcpu_register_intercept_result_cpuid_entry(vcpu, &e[i], 1, subleaf, &st);
		if (ret < 0 && !first) {
			first = ret;
			first_st = st;
		}
	}
	if (hv_status)
		*hv_status = first_st;
	return first;
}

/* ---- completing intercepts in place ------------------------------------------ */

/*
 * Set regs[0..n), n <= 2, in one call: the completion helpers' path when
 * the register page is not valid. Fixed sizes and no loop, so that it
 * compiles into the run loop too: HVCALL_SET_VP_REGISTERS, or the 6.6-era
 * MSHV_SET_VP_REGISTERS_LEGACY where there is no passthrough (remembered).
 */
MSHV_HOT_INLINE int mshv__set_two_registers(struct mshv_vcpu *vcpu, const struct hv_register_assoc regs[2], unsigned int n,
					    __u16 *hv_status)
{
	struct hv_input_set_vp_registers head;
	__u8 in[sizeof(struct hv_input_set_vp_registers) + 2 * sizeof(struct hv_register_assoc)];
	struct mshv_vp_registers_legacy legacy;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!(vcpu->quirks & MSHV_QUIRK_NO_ROOT_HVCALL)) {
		memset(&head, 0, sizeof(head));
		head.vp_index = vcpu->index;
		memcpy(in, &head, sizeof(head));
		memcpy(in + sizeof(head), regs, 2 * sizeof(regs[0]));
		ret = mshv__hvcall(vcpu->fd, HVCALL_SET_VP_REGISTERS, (__u16)n, in, sizeof(head) + n * sizeof(regs[0]), NULL,
				   0, hv_status);
		if (ret != -ENOTTY)
			return ret;
		vcpu->quirks |= MSHV_QUIRK_NO_ROOT_HVCALL;
	}
	legacy.count = (int)n;
	legacy.regs = (struct hv_register_assoc *)(uintptr_t)regs;
	return mshv__ioctl(vcpu->fd, MSHV_SET_VP_REGISTERS_LEGACY, &legacy);
}

/*
 * mshv_vcpu_set_rip - RIP = rip: into the valid register page (dirty class
 * IP; no system call), else one HVCALL_SET_VP_REGISTERS. Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 */
MSHV_HOT_INLINE int mshv_vcpu_set_rip(struct mshv_vcpu *vcpu, __u64 rip, __u16 *hv_status)
{
	struct hv_register_assoc regs[2];

	if (!vcpu)
		return mshv__einval(hv_status);
	if (mshv_vcpu_reg_page_valid(vcpu)) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		vcpu->reg_page->rip = rip;
		vcpu->reg_page->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
		return 0;
	}
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_X64_REGISTER_RIP;
	regs[0].value.reg64 = rip;
	return mshv__set_two_registers(vcpu, regs, 1, hv_status);
}

/*
 * mshv_vcpu_advance_rip - resume after the intercepted instruction:
 * RIP = hdr->rip + hdr->instruction_length (mshv_vcpu_set_rip). For
 * intercepts that carry the length (port IO, CPUID, MSR, HLT). Returns 0
 * or -errno; hypercall errors as in Hypercall status.
 */
MSHV_HOT_INLINE int mshv_vcpu_advance_rip(struct mshv_vcpu *vcpu, const struct hv_x64_intercept_message_header *hdr,
					  __u16 *hv_status)
{
	return hdr ? mshv_vcpu_set_rip(vcpu, hdr->rip + hdr->instruction_length, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_vcpu_set_gpr_and_rip - general register `gpr` (0-15 in the
 * instruction encoding's order: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
 * R8-R15) = value and RIP = rip, as when completing an emulated load:
 * through the valid register page (dirty classes GENERAL and IP; no system
 * call), else one HVCALL_SET_VP_REGISTERS. Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 */
MSHV_HOT_INLINE int mshv_vcpu_set_gpr_and_rip(struct mshv_vcpu *vcpu, unsigned int gpr, __u64 value, __u64 rip,
					      __u16 *hv_status)
{
	struct hv_register_assoc regs[2];

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (gpr > 15 || !vcpu)
		return -EINVAL;
	if (mshv_vcpu_reg_page_valid(vcpu)) {
		vcpu->reg_page->gp_registers[gpr] = value;
		vcpu->reg_page->rip = rip;
		vcpu->reg_page->dirty |= (1u << HV_X64_REGISTER_CLASS_GENERAL) | (1u << HV_X64_REGISTER_CLASS_IP);
		return 0;
	}
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_X64_REGISTER_RAX + gpr;
	regs[0].value.reg64 = value;
	regs[1].name = HV_X64_REGISTER_RIP;
	regs[1].value.reg64 = rip;
	return mshv__set_two_registers(vcpu, regs, 2, hv_status);
}

/*
 * mshv_vcpu_complete_io - finish a port-IO intercept the VMM emulated: an
 * OUT resumes after the instruction; an IN also puts `value` into AL/AX/EAX
 * (the access size's low bytes of RAX; EAX zero-extends, as the CPU does).
 * Through the valid register page (no system call), else one hypercall.
 * String and REP forms (io->access_info.string_op) are the caller's to
 * finish: -EINVAL. Returns 0 or -errno; hypercall errors as in Hypercall
 * status.
 */
MSHV_HOT_INLINE int mshv_vcpu_complete_io(struct mshv_vcpu *vcpu, const struct hv_x64_io_port_intercept_message *io,
					  __u32 value, __u16 *hv_status)
{
	__u64 rip, rax;
	unsigned int size;

	if (!vcpu || !io)
		return mshv__einval(hv_status);
	rip = io->header.rip + io->header.instruction_length, rax = io->rax;
	size = io->access_info.access_size;
	if (io->access_info.string_op || (size != 1 && size != 2 && size != 4)) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		return -EINVAL;
	}
	if (io->header.intercept_access_type != HV_INTERCEPT_ACCESS_READ)
		return mshv_vcpu_set_rip(vcpu, rip, hv_status);
	if (size == 4)
		rax = value;
	else if (size == 2)
		rax = (rax & ~0xffffull) | (value & 0xffff);
	else
		rax = (rax & ~0xffull) | (value & 0xff);
	return mshv_vcpu_set_gpr_and_rip(vcpu, 0, rax, rip, hv_status);
}

#endif /* MSHV_IMPLEMENTATION */

#endif /* MSHV_X86_64_H */

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
 * and 0x8008B, the register number mshv-ioctls uses in its place. Then
 * the synthetic MSRs mshv-bindings leaves out that have a register:
 * HV_X64_MSR_HYPERCALL, _VP_INDEX (read-only), _TIME_REF_COUNT
 * (read-only) and _VP_ASSIST_PAGE. HV_X64_MSR_TSC_FREQUENCY and
 * _APIC_FREQUENCY (0x40000022/23) have none: a VMM answers them, when the
 * partition intercepts them, from what it gave the partition. None of
 * these is in the MSR index lists below (mshv-ioctls' lists, kept exact).
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
	X(0x40000001, HV_X64_REGISTER_HYPERCALL)                                                    \
	X(0x40000002, HV_REGISTER_VP_INDEX)                                                         \
	X(0x40000020, HV_REGISTER_TIME_REF_COUNT)                                                   \
	X(0x40000073, HV_REGISTER_VP_ASSIST_PAGE)                                                   \
	X(0x6A4, HV_X64_REGISTER_PL0_SSP)                                                           \
	X(0x6A5, HV_X64_REGISTER_PL1_SSP)                                                           \
	X(0x6A6, HV_X64_REGISTER_PL2_SSP)                                                           \
	X(0x6A7, HV_X64_REGISTER_PL3_SSP)                                                           \
	X(0x6A8, HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR)

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * The hypervisor register that holds MSR `msr`, or 0 when there is none.
 * Errors: none (0: no such register).
 */
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
#endif /* !MSHV_INLINE_DECL_ONLY */


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

/*
 * The attribute word of struct hv_x64_segment_register (`attributes`: the
 * descriptor's bits 40-47 and 52-55), one spelling for building it. The
 * kernel's bit-field names, and struct mshv_segment_register's (KVM's)
 * for the same bits:
 *   bits 0-3   segment_type                 type      MSHV_X86_SEG_ATTR_TYPE(t)
 *   bit  4     non_system_segment           s         MSHV_X86_SEG_ATTR_S
 *   bits 5-6   descriptor_privilege_level   dpl       MSHV_X86_SEG_ATTR_DPL(d)
 *   bit  7     present                      present   MSHV_X86_SEG_ATTR_P
 *   bit  12    available                    avl       MSHV_X86_SEG_ATTR_AVL
 *   bit  13    _long                        l         MSHV_X86_SEG_ATTR_L
 *   bit  14    _default                     db        MSHV_X86_SEG_ATTR_DB
 *   bit  15    granularity                  g         MSHV_X86_SEG_ATTR_G
 * A flat 64-bit code segment: MSHV_X86_SEG_ATTR_TYPE(0xb) |
 * MSHV_X86_SEG_ATTR_S | MSHV_X86_SEG_ATTR_P | MSHV_X86_SEG_ATTR_L |
 * MSHV_X86_SEG_ATTR_G (0xa09b).
 */
#define MSHV_X86_SEG_ATTR_TYPE(t) ((__u16)((t) & 0xfu))
#define MSHV_X86_SEG_ATTR_S 0x10u
#define MSHV_X86_SEG_ATTR_DPL(d) ((__u16)(((d) & 3u) << 5))
#define MSHV_X86_SEG_ATTR_P 0x80u
#define MSHV_X86_SEG_ATTR_AVL 0x1000u
#define MSHV_X86_SEG_ATTR_L 0x2000u
#define MSHV_X86_SEG_ATTR_DB 0x4000u
#define MSHV_X86_SEG_ATTR_G 0x8000u

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * mshv_x86_regs_from_gpr - the sixteen general registers from the
 * instruction encoding's order (gpr[0..15]: RAX, RCX, RDX, RBX, RSP, RBP,
 * RSI, RDI, R8-R15; the order of the register page's gp_registers[],
 * struct mshv_x86_emulator_state's gpr[] and mshv_vcpu_set_gpr_and_rip's
 * gpr) into *regs (KVM's order: RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP,
 * R8-R15). RIP and RFLAGS are left as they are. No system call. Returns 0.
 * Errors: -EINVAL (a NULL pointer).
 */
MSHV_INLINE int mshv_x86_regs_from_gpr(struct mshv_standard_registers *regs, const __u64 gpr[16])
{
	if (!regs || !gpr)
		return -EINVAL;
	regs->rax = gpr[0], regs->rcx = gpr[1], regs->rdx = gpr[2], regs->rbx = gpr[3];
	regs->rsp = gpr[4], regs->rbp = gpr[5], regs->rsi = gpr[6], regs->rdi = gpr[7];
	regs->r8 = gpr[8], regs->r9 = gpr[9], regs->r10 = gpr[10], regs->r11 = gpr[11];
	regs->r12 = gpr[12], regs->r13 = gpr[13], regs->r14 = gpr[14], regs->r15 = gpr[15];
	return 0;
}

/*
 * mshv_x86_regs_to_gpr - the reverse: *regs' sixteen general registers
 * into gpr[0..15] in the encoding's order. No system call. Returns 0.
 * Errors: -EINVAL (a NULL pointer).
 */
MSHV_INLINE int mshv_x86_regs_to_gpr(const struct mshv_standard_registers *regs, __u64 gpr[16])
{
	if (!regs || !gpr)
		return -EINVAL;
	gpr[0] = regs->rax, gpr[1] = regs->rcx, gpr[2] = regs->rdx, gpr[3] = regs->rbx;
	gpr[4] = regs->rsp, gpr[5] = regs->rbp, gpr[6] = regs->rsi, gpr[7] = regs->rdi;
	gpr[8] = regs->r8, gpr[9] = regs->r9, gpr[10] = regs->r10, gpr[11] = regs->r11;
	gpr[12] = regs->r12, gpr[13] = regs->r13, gpr[14] = regs->r14, gpr[15] = regs->r15;
	return 0;
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/*
 * Bits of the control registers and EFER, for filling struct
 * mshv_special_registers and reading intercept headers (Intel SDM vol. 3A
 * 2.5 and 2.2.1; RFLAGS' are MSHV_X86_RFLAGS_* below; the values of Linux's
 * <asm/processor-flags.h> X86_CR0_PE ... and EFER_LME ..., under our
 * prefix so that neither collides with a VMM's own definitions).
 */
#define MSHV_X86_CR0_PE (1ull << 0)
#define MSHV_X86_CR0_MP (1ull << 1)
#define MSHV_X86_CR0_EM (1ull << 2)
#define MSHV_X86_CR0_TS (1ull << 3)
#define MSHV_X86_CR0_ET (1ull << 4)
#define MSHV_X86_CR0_NE (1ull << 5)
#define MSHV_X86_CR0_WP (1ull << 16)
#define MSHV_X86_CR0_AM (1ull << 18)
#define MSHV_X86_CR0_NW (1ull << 29)
#define MSHV_X86_CR0_CD (1ull << 30)
#define MSHV_X86_CR0_PG (1ull << 31)
#define MSHV_X86_CR4_VME (1ull << 0)
#define MSHV_X86_CR4_PVI (1ull << 1)
#define MSHV_X86_CR4_TSD (1ull << 2)
#define MSHV_X86_CR4_DE (1ull << 3)
#define MSHV_X86_CR4_PSE (1ull << 4)
#define MSHV_X86_CR4_PAE (1ull << 5)
#define MSHV_X86_CR4_MCE (1ull << 6)
#define MSHV_X86_CR4_PGE (1ull << 7)
#define MSHV_X86_CR4_PCE (1ull << 8)
#define MSHV_X86_CR4_OSFXSR (1ull << 9)
#define MSHV_X86_CR4_OSXMMEXCPT (1ull << 10)
#define MSHV_X86_CR4_UMIP (1ull << 11)
#define MSHV_X86_CR4_LA57 (1ull << 12)
#define MSHV_X86_CR4_FSGSBASE (1ull << 16)
#define MSHV_X86_CR4_PCIDE (1ull << 17)
#define MSHV_X86_CR4_OSXSAVE (1ull << 18)
#define MSHV_X86_CR4_SMEP (1ull << 20)
#define MSHV_X86_CR4_SMAP (1ull << 21)
#define MSHV_X86_CR4_PKE (1ull << 22)
#define MSHV_X86_EFER_SCE (1ull << 0)
#define MSHV_X86_EFER_LME (1ull << 8)
#define MSHV_X86_EFER_LMA (1ull << 10)
#define MSHV_X86_EFER_NXE (1ull << 11)

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

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * The instruction bytes a port-IO, memory or exception intercept carries:
 * *bytes points at them; returns how many (at most 16, whatever the
 * message's count says), 0 for other messages (and a NULL msg or bytes).
 * Errors: none (0: no bytes).
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
#endif /* !MSHV_INLINE_DECL_ONLY */

/* ========================================================================
 * x86 instruction decoding and emulation for memory intercepts (bindings:
 * no system call). A memory intercept carries the instruction's bytes but
 * not its length; the VMM decodes them (mshv_x86_decode) and emulates the
 * access (mshv_x86_emulate, or mshv_vcpu_emulate_mmio in the ioctl layer,
 * which also reads and writes the VP's registers).
 * ======================================================================== */

/* Default operand and address size of the code being decoded, in bytes. */
#define MSHV_X86_MODE_16 2u /* real mode, virtual-8086, 16-bit protected or compatibility code */
#define MSHV_X86_MODE_32 4u /* 32-bit protected or compatibility code (CS.D = 1) */
#define MSHV_X86_MODE_64 8u /* 64-bit code (EFER.LMA and CS.L) */

/* Segment registers, in the encoding's order (also the VP register page's). */
#define MSHV_X86_SEG_ES 0u
#define MSHV_X86_SEG_CS 1u
#define MSHV_X86_SEG_SS 2u
#define MSHV_X86_SEG_DS 3u
#define MSHV_X86_SEG_FS 4u
#define MSHV_X86_SEG_GS 5u

/* RFLAGS bits (SDM vol. 1 3.4.3). */
#define MSHV_X86_RFLAGS_CF 0x1ull
#define MSHV_X86_RFLAGS_FIXED 0x2ull /* reads 1: a VP's RFLAGS is at least this */
#define MSHV_X86_RFLAGS_PF 0x4ull
#define MSHV_X86_RFLAGS_AF 0x10ull
#define MSHV_X86_RFLAGS_ZF 0x40ull
#define MSHV_X86_RFLAGS_SF 0x80ull
#define MSHV_X86_RFLAGS_TF 0x100ull
#define MSHV_X86_RFLAGS_IF 0x200ull
#define MSHV_X86_RFLAGS_DF 0x400ull
#define MSHV_X86_RFLAGS_OF 0x800ull
#define MSHV_X86_RFLAGS_RF 0x10000ull
#define MSHV_X86_RFLAGS_VM 0x20000ull
#define MSHV_X86_RFLAGS_ARITH 0x8d5ull /* CF PF AF ZF SF OF */

/* The operation of a decoded instruction (struct mshv_x86_insn.op). */
enum mshv_x86_op {
	MSHV_X86_OP_NONE = 0,
	MSHV_X86_OP_ADD, /* ADD..CMP in the encoding's order (/0../7 of 80/81/83) */
	MSHV_X86_OP_OR,
	MSHV_X86_OP_ADC,
	MSHV_X86_OP_SBB,
	MSHV_X86_OP_AND,
	MSHV_X86_OP_SUB,
	MSHV_X86_OP_XOR,
	MSHV_X86_OP_CMP,
	MSHV_X86_OP_MOV,    /* 88 89 8A 8B C6 C7 A0-A3, MOVNTI (0F C3), MOVSXD without REX.W */
	MSHV_X86_OP_MOVZX,  /* 0F B6 0F B7 */
	MSHV_X86_OP_MOVSX,  /* 0F BE 0F BF, MOVSXD (63) with REX.W */
	MSHV_X86_OP_TEST,   /* 84 85 F6/0 F7/0 */
	MSHV_X86_OP_XCHG,   /* 86 87 */
	MSHV_X86_OP_CMPXCHG, /* 0F B0 0F B1 */
	MSHV_X86_OP_BT,     /* 0F A3, 0F BA /4 */
	MSHV_X86_OP_BTS,    /* 0F AB, 0F BA /5 */
	MSHV_X86_OP_BTR,    /* 0F B3, 0F BA /6 */
	MSHV_X86_OP_BTC,    /* 0F BB, 0F BA /7 */
	MSHV_X86_OP_INC,    /* FE/0 FF/0 */
	MSHV_X86_OP_DEC,    /* FE/1 FF/1 */
	MSHV_X86_OP_NOT,    /* F6/2 F7/2 */
	MSHV_X86_OP_NEG,    /* F6/3 F7/3 */
	MSHV_X86_OP_MOVS,   /* A4 A5 */
	MSHV_X86_OP_CMPS,   /* A6 A7 */
	MSHV_X86_OP_STOS,   /* AA AB */
	MSHV_X86_OP_LODS,   /* AC AD */
	MSHV_X86_OP_SCAS,   /* AE AF */
	MSHV_X86_OP_INS,    /* 6C 6D */
	MSHV_X86_OP_OUTS    /* 6E 6F */
};

/* Why mshv_x86_decode refused an instruction (struct mshv_x86_insn.reject). */
enum mshv_x86_reject {
	MSHV_X86_REJECT_NONE = 0,
	MSHV_X86_REJECT_TRUNCATED,   /* the bytes end inside the instruction (-ENODATA) */
	MSHV_X86_REJECT_TOO_LONG,    /* more than 15 bytes: #GP on the CPU (-EILSEQ) */
	MSHV_X86_REJECT_UNDEFINED,   /* an encoding the CPU refuses with #UD (LOCK misplaced, 82 in 64-bit code...) (-EILSEQ) */
	MSHV_X86_REJECT_OPCODE,      /* a valid instruction this emulator does not emulate (-EOPNOTSUPP) */
	MSHV_X86_REJECT_NO_MEMORY,   /* a register-only form, which cannot have made a memory access (-EOPNOTSUPP) */
	MSHV_X86_REJECT_INVALID_ARGUMENT, /* mode is not MSHV_X86_MODE_16/32/64, or bytes NULL (-EINVAL) */
	MSHV_X86_REJECT_AMBIGUOUS    /* F2 and F3 both on a string instruction: which one counts is not architectural (-EOPNOTSUPP) */
};

#define MSHV_X86_REG_NONE 0xffu

/* Flags of struct mshv_x86_insn.flags. */
#define MSHV_X86_INSN_MEM_DEST 0x01u  /* the memory operand is written (a store, or read-modify-write) */
#define MSHV_X86_INSN_MEM_SRC 0x02u   /* the memory operand is read */
#define MSHV_X86_INSN_IMM 0x04u       /* the other operand is imm, not register reg */
#define MSHV_X86_INSN_LOCK 0x08u      /* F0 */
#define MSHV_X86_INSN_REP 0x10u       /* F3 on a string instruction (REP, REPE) */
#define MSHV_X86_INSN_REPNE 0x20u     /* F2 on a string instruction (REPNE) */
#define MSHV_X86_INSN_RIP_REL 0x40u   /* the address is RIP-relative: disp from the next instruction */
#define MSHV_X86_INSN_HIGH8 0x80u     /* reg 4-7 is AH, CH, DH, BH (a byte operand without REX) */
#define MSHV_X86_INSN_STRING 0x100u   /* MOVS..OUTS: addresses in RSI/RDI, no ModRM */
#define MSHV_X86_INSN_REG_DEST 0x200u /* register reg is written (a load, XCHG, CMPXCHG's accumulator...) */

/*
 * One decoded instruction. The memory operand's offset is
 * base + index * scale + disp (each register a 0-15 encoding number or
 * MSHV_X86_REG_NONE), wrapped to address_size, plus the next
 * instruction's RIP when MSHV_X86_INSN_RIP_REL; mshv_x86_insn_address
 * computes it.
 */
struct mshv_x86_insn {
	__u8 length;       /* bytes, prefixes included (1-15) */
	__u8 op;           /* enum mshv_x86_op */
	__u8 reject;       /* enum mshv_x86_reject: why it was refused */
	__u8 mode;         /* MSHV_X86_MODE_* it was decoded in */
	__u8 operand_size; /* 1, 2, 4 or 8: the register's or the operation's size */
	__u8 mem_size;     /* bytes of the memory operand (MOVZX/MOVSX/MOVSXD: the source's) */
	__u8 address_size; /* 2, 4 or 8 */
	__u8 segment;      /* MSHV_X86_SEG_* of the memory operand (string forms: the source; the destination is ES) */
	__u8 reg;          /* the register operand, 0-15 (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15) */
	__u8 base, index, scale;
	__u8 opcode;       /* the opcode byte */
	__u8 map;          /* 1: one-byte map; 2: 0F map */
	__u8 modrm, rex;   /* 0 when absent */
	__u16 flags;       /* MSHV_X86_INSN_* */
	__u16 reserved;
	__s64 disp;        /* displacement (moffs for A0-A3) */
	__u64 imm;         /* immediate, sign- or zero-extended as the instruction extends it */
};

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * mshv_x86_mode_of - the default operand and address size of the code an
 * intercept stopped in, from its header: MSHV_X86_MODE_64 with EFER.LMA and
 * CS.L, MSHV_X86_MODE_16 in real mode (CR0.PE = 0) and virtual-8086 mode
 * (RFLAGS.VM), else CS.D's (32 or 16). Issues nothing; returns the mode
 * (0, which mshv_x86_decode refuses, for a NULL hdr).
 * Errors: none (0 for a NULL hdr).
 */
MSHV_INLINE unsigned int mshv_x86_mode_of(const struct hv_x64_intercept_message_header *hdr)
{
	if (!hdr)
		return 0;
	if (hdr->execution_state.efer_lma && hdr->cs_segment._long)
		return MSHV_X86_MODE_64;
	if (!hdr->execution_state.cr0_pe || (hdr->rflags & MSHV_X86_RFLAGS_VM))
		return MSHV_X86_MODE_16;
	return hdr->cs_segment._default ? MSHV_X86_MODE_32 : MSHV_X86_MODE_16;
}

/* The bindings layer includes no <string.h>: byte copies of its own (at most a few bytes). */
MSHV_INLINE void mshv__x86_copy(void *dst, const void *src, unsigned int n)
{
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;

	while (n--)
		*d++ = *s++;
}

MSHV_INLINE void mshv__x86_zero(void *dst, unsigned int n)
{
	unsigned char *d = (unsigned char *)dst;

	while (n--)
		*d++ = 0;
}

/*
 * n (0-8) little-endian bytes at bytes[*i], not at or past lim, into *v;
 * *i moves past them. 0, or why not (MSHV_X86_REJECT_TRUNCATED, _TOO_LONG).
 */
MSHV_INLINE unsigned int mshv__x86_fetch(const __u8 *bytes, unsigned int lim, unsigned int *i, unsigned int n, __u64 *v)
{
	unsigned int k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (*i >= lim)
			return *i >= 15 ? MSHV_X86_REJECT_TOO_LONG : MSHV_X86_REJECT_TRUNCATED;
		*v |= (__u64)bytes[(*i)++] << (8 * k);
	}
	return 0;
}

/* The decoder's refusal: insn->reject = why, the matching -errno. */
MSHV_INLINE int mshv__x86_reject(struct mshv_x86_insn *insn, unsigned int why)
{
	insn->reject = (__u8)why;
	switch (why) {
	case MSHV_X86_REJECT_TRUNCATED:
		return -ENODATA;
	case MSHV_X86_REJECT_TOO_LONG:
	case MSHV_X86_REJECT_UNDEFINED:
		return -EILSEQ;
	case MSHV_X86_REJECT_INVALID_ARGUMENT:
		return -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

/* Read n (1, 2, 4 or 8) little-endian bytes at b as an unsigned value. */
MSHV_INLINE __u64 mshv__x86_le(const __u8 *b, unsigned int n)
{
	__u64 v = 0;

	while (n--)
		v = (v << 8) | b[n];
	return v;
}

/* v's low `size` bytes, sign-extended to 64 bits. */
MSHV_INLINE __u64 mshv__x86_sext(__u64 v, unsigned int size)
{
	if (size >= 8)
		return v;
	v &= (1ull << (8 * size)) - 1;
	return (v ^ (1ull << (8 * size - 1))) - (1ull << (8 * size - 1));
}

/* All ones over `size` bytes. */
MSHV_INLINE __u64 mshv__x86_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/*
 * mshv_x86_decode - decode the instruction at bytes[0..count) in `mode`
 * (MSHV_X86_MODE_16, _32 or _64; mshv_x86_mode_of gives it for an
 * intercept) into *insn, for emulating the memory or string port access it
 * makes. Reads no byte at or past bytes[count] (nor past the 15 an
 * instruction may have). Understands the legacy prefixes (66, 67, F2, F3,
 * F0, the segment overrides), REX, the one-byte and 0F opcode maps,
 * ModRM, SIB, displacements, immediates and RIP-relative addressing for
 * the forms of enum mshv_x86_op, with a memory operand. Issues nothing.
 * Returns the length (1-15), or -errno with insn->reject saying why:
 * -ENODATA (bytes end inside the instruction), -EILSEQ (over 15 bytes, or
 * an encoding the CPU refuses with #UD), -EOPNOTSUPP (an instruction not
 * emulated here, or one without a memory operand), -EINVAL (bad mode, or
 * bytes NULL whatever count says; insn NULL, then nothing is written).
 * Errors: -EINVAL (insn NULL; or bytes NULL, a bad mode), -ENODATA, -EILSEQ,
 * -EOPNOTSUPP (above).
 */
MSHV_INLINE int mshv_x86_decode(const __u8 *bytes, unsigned int count, unsigned int mode, struct mshv_x86_insn *insn)
{
	unsigned int i = 0, b, opsize, adsize, osz16 = 0, adsz = 0, rep = 0, seg = MSHV_X86_REG_NONE, mod, rm, regf;
	unsigned int imm_size = 0, lock = 0, rex = 0, byte_op, lim = count < 15 ? count : 15, rep_both = 0;
	unsigned int dsz_taken = 0, why;
	__u64 imm_sext = 0, v;

	if (!insn)
		return -EINVAL;
	mshv__x86_zero(insn, (unsigned int)sizeof(*insn));
	insn->base = insn->index = MSHV_X86_REG_NONE;
	insn->mode = (__u8)mode;
	if ((mode != MSHV_X86_MODE_16 && mode != MSHV_X86_MODE_32 && mode != MSHV_X86_MODE_64) || !bytes)
		return mshv__x86_reject(insn, MSHV_X86_REJECT_INVALID_ARGUMENT);
#define MSHV__X86_NEXT(v)                                                                                   \
	do {                                                                                                \
		if (i >= lim)                                                                               \
			return mshv__x86_reject(insn, i >= 15 ? MSHV_X86_REJECT_TOO_LONG : MSHV_X86_REJECT_TRUNCATED); \
		(v) = bytes[i++];                                                                           \
	} while (0)
	/* legacy prefixes, then REX (64-bit code; only right before the opcode) */
	for (;;) {
		MSHV__X86_NEXT(b);
		if (b == 0x66)
			osz16 = 1;
		else if (b == 0x67)
			adsz = 1;
		else if (b == 0xf0)
			lock = 1;
		else if (b == 0xf2 || b == 0xf3)
			rep_both |= rep && rep != b, rep = b;
		else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e)
			seg = (b >> 3) & 3; /* ES CS SS DS */
		else if (b == 0x64 || b == 0x65)
			seg = b - 0x60; /* FS GS */
		else if (mode == MSHV_X86_MODE_64 && (b & 0xf0) == 0x40)
			rex = b; /* a legacy prefix after it voids it: checked below */
		else
			break;
		if ((b & 0xf0) != 0x40)
			rex = 0;
	}
	if (mode == MSHV_X86_MODE_64) {
		adsize = adsz ? 4 : 8;
		opsize = (rex & 8) ? 8 : osz16 ? 2 : 4;
		if (seg < MSHV_X86_SEG_FS)
			seg = MSHV_X86_REG_NONE; /* ES, CS, SS, DS overrides do nothing in 64-bit code */
	} else {
		adsize = (mode == MSHV_X86_MODE_32) != adsz ? 4 : 2;
		opsize = (mode == MSHV_X86_MODE_32) != osz16 ? 4 : 2;
	}
	insn->rex = (__u8)rex;
	insn->address_size = (__u8)adsize;
	insn->map = 1;
	if (b == 0x0f) {
		insn->map = 2;
		MSHV__X86_NEXT(b);
	}
	insn->opcode = (__u8)b;
	byte_op = 0;
	insn->flags = 0;
	if (insn->map == 1) {
		if (b < 0x40 && (b & 7) < 4) { /* ADD..CMP Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev */
			insn->op = (__u8)(MSHV_X86_OP_ADD + (b >> 3));
			byte_op = !(b & 1);
			insn->flags = (b & 2) ? MSHV_X86_INSN_MEM_SRC | (insn->op != MSHV_X86_OP_CMP ? MSHV_X86_INSN_REG_DEST : 0)
					      : MSHV_X86_INSN_MEM_SRC | (insn->op != MSHV_X86_OP_CMP ? MSHV_X86_INSN_MEM_DEST : 0);
		} else if (b >= 0x80 && b <= 0x83) { /* group 1: Eb,Ib / Ev,Iz / (82) / Ev,Ib */
			if (b == 0x82 && mode == MSHV_X86_MODE_64)
				return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);
			byte_op = b != 0x81 && b != 0x83;
			imm_size = b == 0x81 ? (opsize == 2 ? 2 : 4) : 1;
			imm_sext = 1;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_IMM; /* the op and MEM_DEST from ModRM.reg */
		} else if (b == 0x84 || b == 0x85) {
			insn->op = MSHV_X86_OP_TEST;
			byte_op = b == 0x84;
			insn->flags = MSHV_X86_INSN_MEM_SRC;
		} else if (b == 0x86 || b == 0x87) {
			insn->op = MSHV_X86_OP_XCHG;
			byte_op = b == 0x86;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_MEM_DEST | MSHV_X86_INSN_REG_DEST;
		} else if (b >= 0x88 && b <= 0x8b) {
			insn->op = MSHV_X86_OP_MOV;
			byte_op = !(b & 1);
			insn->flags = (b & 2) ? MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_REG_DEST : MSHV_X86_INSN_MEM_DEST;
		} else if (b == 0x63 && mode == MSHV_X86_MODE_64) { /* MOVSXD Gv, Ed */
			insn->op = opsize == 8 ? MSHV_X86_OP_MOVSX : MSHV_X86_OP_MOV;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_REG_DEST;
		} else if (b == 0xc6 || b == 0xc7) {
			insn->op = MSHV_X86_OP_MOV;
			byte_op = b == 0xc6;
			imm_size = byte_op ? 1 : (opsize == 2 ? 2 : 4);
			imm_sext = 1;
			insn->flags = MSHV_X86_INSN_MEM_DEST | MSHV_X86_INSN_IMM;
		} else if (b == 0xf6 || b == 0xf7 || b == 0xfe || b == 0xff) {
			byte_op = !(b & 1);
			insn->flags = MSHV_X86_INSN_MEM_SRC; /* the op from ModRM.reg */
		} else if (b >= 0xa0 && b <= 0xa3) { /* MOV AL/rAX <-> moffs */
			insn->op = MSHV_X86_OP_MOV;
			byte_op = !(b & 1);
			insn->flags = (b & 2) ? MSHV_X86_INSN_MEM_DEST : MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_REG_DEST;
			if (lock)
				return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);
			if ((why = mshv__x86_fetch(bytes, lim, &i, adsize, &v)) != 0)
				return mshv__x86_reject(insn, why);
			insn->disp = (__s64)v; /* zero-extended: an offset, not a displacement */
			insn->operand_size = insn->mem_size = (__u8)(byte_op ? 1 : opsize);
			insn->reg = 0;
			insn->segment = (__u8)(seg == MSHV_X86_REG_NONE ? MSHV_X86_SEG_DS : seg);
			insn->length = (__u8)i;
			return (int)i;
		} else if ((b >= 0xa4 && b <= 0xa7) || (b >= 0xaa && b <= 0xaf) || (b >= 0x6c && b <= 0x6f)) {
			/* 6C/6D INS, 6E/6F OUTS, A4/A5 MOVS, A6/A7 CMPS, AA/AB STOS, AC/AD LODS, AE/AF SCAS */
			static const __u8 ops[8] = { MSHV_X86_OP_NONE, MSHV_X86_OP_NONE, MSHV_X86_OP_MOVS, MSHV_X86_OP_CMPS,
						     MSHV_X86_OP_NONE, MSHV_X86_OP_STOS, MSHV_X86_OP_LODS, MSHV_X86_OP_SCAS };

			insn->op = b < 0x70 ? (__u8)(b < 0x6e ? MSHV_X86_OP_INS : MSHV_X86_OP_OUTS) : ops[(b >> 1) & 7];
			byte_op = !(b & 1);
			if (lock)
				return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);
			if (rep_both)
				return mshv__x86_reject(insn, MSHV_X86_REJECT_AMBIGUOUS);
			insn->flags = MSHV_X86_INSN_STRING;
			if (rep == 0xf3)
				insn->flags |= MSHV_X86_INSN_REP;
			else if (rep == 0xf2)
				insn->flags |= (insn->op == MSHV_X86_OP_CMPS || insn->op == MSHV_X86_OP_SCAS) ? MSHV_X86_INSN_REPNE
														: MSHV_X86_INSN_REP;
			insn->operand_size = insn->mem_size = (__u8)(byte_op ? 1 : opsize);
			if (insn->op == MSHV_X86_OP_INS || insn->op == MSHV_X86_OP_OUTS)
				insn->operand_size = insn->mem_size = (__u8)(byte_op ? 1 : opsize == 2 ? 2 : 4); /* no 64-bit port access: REX.W gives 32 */
			insn->segment = (__u8)(seg == MSHV_X86_REG_NONE ? MSHV_X86_SEG_DS : seg);
			insn->length = (__u8)i;
			return (int)i;
		} else {
			return mshv__x86_reject(insn, MSHV_X86_REJECT_OPCODE);
		}
	} else {
		if (b == 0xb6 || b == 0xb7 || b == 0xbe || b == 0xbf) {
			insn->op = b < 0xb8 ? MSHV_X86_OP_MOVZX : MSHV_X86_OP_MOVSX;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_REG_DEST;
		} else if (b == 0xc3) { /* MOVNTI My, Gy: no 66, F2 or F3 form */
			if (osz16 || rep)
				return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);
			insn->op = MSHV_X86_OP_MOV;
			insn->flags = MSHV_X86_INSN_MEM_DEST;
		} else if (b == 0xa3 || b == 0xab || b == 0xb3 || b == 0xbb) {
			insn->op = (__u8)(MSHV_X86_OP_BT + ((b >> 3) & 3));
			insn->flags = MSHV_X86_INSN_MEM_SRC | (insn->op != MSHV_X86_OP_BT ? MSHV_X86_INSN_MEM_DEST : 0);
		} else if (b == 0xba) {
			imm_size = 1;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_IMM; /* the op from ModRM.reg */
		} else if (b == 0xb0 || b == 0xb1) {
			insn->op = MSHV_X86_OP_CMPXCHG;
			byte_op = b == 0xb0;
			insn->flags = MSHV_X86_INSN_MEM_SRC | MSHV_X86_INSN_MEM_DEST;
		} else {
			return mshv__x86_reject(insn, MSHV_X86_REJECT_OPCODE);
		}
	}

	/* ModRM */
	MSHV__X86_NEXT(b);
	insn->modrm = (__u8)b;
	mod = b >> 6;
	regf = (b >> 3) & 7;
	rm = b & 7;
	if (insn->map == 1 && insn->opcode >= 0x80 && insn->opcode <= 0x83) {
		insn->op = (__u8)(MSHV_X86_OP_ADD + regf);
		if (regf != 7)
			insn->flags |= MSHV_X86_INSN_MEM_DEST;
	} else if (insn->map == 1 && (insn->opcode == 0xc6 || insn->opcode == 0xc7)) {
		if (regf != 0)
			return mshv__x86_reject(insn, MSHV_X86_REJECT_OPCODE); /* XABORT, XBEGIN, or undefined */
	} else if (insn->map == 1 && (insn->opcode == 0xf6 || insn->opcode == 0xf7)) {
		static const __u8 ops[4] = { MSHV_X86_OP_TEST, 0, MSHV_X86_OP_NOT, MSHV_X86_OP_NEG };

		/* /1 is an undocumented alias of TEST: not guessed; /4-/7 MUL..IDIV */
		if (regf >= 4 || regf == 1)
			return mshv__x86_reject(insn, MSHV_X86_REJECT_OPCODE);
		insn->op = ops[regf];
		if (regf == 0) {
			imm_size = byte_op ? 1 : (opsize == 2 ? 2 : 4);
			imm_sext = 1;
			insn->flags |= MSHV_X86_INSN_IMM;
		} else {
			insn->flags |= MSHV_X86_INSN_MEM_DEST;
		}
	} else if (insn->map == 1 && (insn->opcode == 0xfe || insn->opcode == 0xff)) {
		if (regf >= 2)
			return mshv__x86_reject(insn, MSHV_X86_REJECT_OPCODE); /* CALL, JMP, PUSH... */
		insn->op = regf ? MSHV_X86_OP_DEC : MSHV_X86_OP_INC;
		insn->flags |= MSHV_X86_INSN_MEM_DEST;
	} else if (insn->map == 2 && insn->opcode == 0xba) {
		if (regf < 4)
			return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);
		insn->op = (__u8)(MSHV_X86_OP_BT + regf - 4);
		if (regf != 4)
			insn->flags |= MSHV_X86_INSN_MEM_DEST;
	}
	insn->reg = (__u8)(regf | ((rex & 4) << 1));
	if (mod == 3)
		return mshv__x86_reject(insn, (lock || (insn->map == 2 && insn->opcode == 0xc3)) ? MSHV_X86_REJECT_UNDEFINED
											   : MSHV_X86_REJECT_NO_MEMORY);
	/* LOCK: only on a read-modify-write of memory (not CMP, TEST, BT, MOV...) */
	if (lock && (!(insn->flags & MSHV_X86_INSN_MEM_DEST) || insn->op == MSHV_X86_OP_MOV))
		return mshv__x86_reject(insn, MSHV_X86_REJECT_UNDEFINED);

	if (adsize == 2) {
		static const __u8 base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };   /* BX BX BP BP SI DI BP BX */
		static const __u8 index16[8] = { 6, 7, 6, 7, MSHV_X86_REG_NONE, MSHV_X86_REG_NONE, MSHV_X86_REG_NONE,
						 MSHV_X86_REG_NONE };                       /* SI DI SI DI */
		unsigned int dsz = mod == 1 ? 1 : mod == 2 ? 2 : 0;

		if (mod == 0 && rm == 6) {
			dsz = 2; /* disp16, no base */
		} else {
			insn->base = base16[rm];
			insn->index = index16[rm];
			insn->scale = 1;
		}
		dsz_taken = dsz;
		if (seg == MSHV_X86_REG_NONE)
			seg = insn->base == 5 ? MSHV_X86_SEG_SS : MSHV_X86_SEG_DS;
	} else {
		unsigned int dsz = mod == 1 ? 1 : mod == 2 ? 4 : 0, base_low = rm;

		if (rm == 4) {
			unsigned int sib, idx;

			MSHV__X86_NEXT(sib);
			idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
			base_low = sib & 7;
			if (idx != 4)
				insn->index = (__u8)idx;
			insn->scale = (__u8)(1u << (sib >> 6));
			if (mod == 0 && base_low == 5)
				dsz = 4; /* no base */
			else
				insn->base = (__u8)(base_low | ((rex & 1) << 3));
		} else if (mod == 0 && rm == 5) {
			dsz = 4;
			if (mode == MSHV_X86_MODE_64)
				insn->flags |= MSHV_X86_INSN_RIP_REL;
		} else {
			insn->base = (__u8)(rm | ((rex & 1) << 3));
		}
		dsz_taken = dsz;
		if (seg == MSHV_X86_REG_NONE)
			seg = (insn->base != MSHV_X86_REG_NONE && (base_low == 4 || base_low == 5) && mode != MSHV_X86_MODE_64)
				      ? MSHV_X86_SEG_SS
				      : MSHV_X86_SEG_DS;
	}
	insn->segment = (__u8)seg;
	/* the displacement, sign-extended, then the immediate */
	if ((why = mshv__x86_fetch(bytes, lim, &i, dsz_taken, &v)) != 0)
		return mshv__x86_reject(insn, why);
	insn->disp = (__s64)mshv__x86_sext(v, dsz_taken ? dsz_taken : 1);
	if ((why = mshv__x86_fetch(bytes, lim, &i, imm_size, &v)) != 0)
		return mshv__x86_reject(insn, why);
	insn->imm = imm_sext ? mshv__x86_sext(v, imm_size ? imm_size : 1) : v;
#undef MSHV__X86_NEXT
	insn->operand_size = (__u8)(byte_op ? 1 : opsize);
	if (insn->map == 2 && insn->opcode == 0xc3 && opsize == 2)
		insn->operand_size = 4; /* MOVNTI stores 32 or 64 bits: 32 in 16-bit code too (66 refused above) */
	insn->mem_size = insn->operand_size;
	if (insn->op == MSHV_X86_OP_MOVZX || insn->op == MSHV_X86_OP_MOVSX)
		insn->mem_size = (__u8)(insn->opcode == 0x63 ? 4 : (insn->opcode & 1) ? 2 : 1);
	if (byte_op && !rex && (insn->reg & 4))
		insn->flags |= MSHV_X86_INSN_HIGH8;
	if (lock)
		insn->flags |= MSHV_X86_INSN_LOCK;
	insn->length = (__u8)i;
	return (int)i;
}

/*
 * mshv_x86_insn_address - the offset (effective address, before the
 * segment base) of insn's memory operand, for the general registers
 * gpr[0..16) (encoding order) and the instruction's own RIP; wrapped to
 * the address size. String forms: the source's (RSI), or the
 * destination's (RDI) for STOS, SCAS and INS. Issues nothing; returns the
 * offset (0 for a NULL insn or gpr).
 * Errors: none (0 for a NULL pointer).
 */
MSHV_INLINE __u64 mshv_x86_insn_address(const struct mshv_x86_insn *insn, const __u64 gpr[16], __u64 rip)
{
	__u64 ea;

	if (!insn || !gpr)
		return 0;
	ea = (__u64)insn->disp;

	if (insn->flags & MSHV_X86_INSN_STRING) {
		unsigned int r = (insn->op == MSHV_X86_OP_STOS || insn->op == MSHV_X86_OP_SCAS ||
				  insn->op == MSHV_X86_OP_INS) ? 7 : 6;

		return gpr[r] & mshv__x86_mask(insn->address_size);
	}
	if (insn->base != MSHV_X86_REG_NONE)
		ea += gpr[insn->base & 15];
	if (insn->index != MSHV_X86_REG_NONE)
		ea += gpr[insn->index & 15] * insn->scale;
	if (insn->flags & MSHV_X86_INSN_RIP_REL)
		ea += rip + insn->length;
	if (insn->map == 1 && insn->opcode >= 0xa0 && insn->opcode <= 0xa3)
		ea = (__u64)insn->disp;
	return ea & mshv__x86_mask(insn->address_size);
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/*
 * The VMM's side of an emulated instruction (every member may be NULL: an
 * access that needs a missing one fails with -EOPNOTSUPP). ctx is the
 * caller's, passed through. data is little-endian, size 1-8 bytes (a
 * piece of an access that crosses a page is its own call). A callback
 * returns >= 0, or -errno, which the emulator returns at once (the
 * registers then stay as they were; the accesses made are made).
 */
struct mshv_x86_emulator_ops {
	int (*mmio_read)(void *ctx, __u64 gpa, unsigned int size, void *data);
	int (*mmio_write)(void *ctx, __u64 gpa, unsigned int size, const void *data);
	/* guest RAM: the VMM's host address of [gpa, gpa + size), or NULL where that is not RAM (then MMIO) */
	void *(*guest_ram)(void *ctx, __u64 gpa, unsigned int size);
	/* port IO of INS and OUTS */
	int (*port_read)(void *ctx, __u16 port, unsigned int size, void *data);
	int (*port_write)(void *ctx, __u16 port, unsigned int size, const void *data);
	/*
	 * guest virtual (linear) address -> guest physical, for a read (write
	 * 0) or write (1); -errno when it has none. mshv_vcpu_emulate_* use
	 * mshv_vcpu_translate_gva when this is NULL.
	 */
	int (*translate)(void *ctx, __u64 gva, unsigned int write, __u64 *gpa);
};

/* Most iterations of a REP string instruction one call emulates (then it returns MSHV_X86_EMULATE_AGAIN). */
#ifndef MSHV_X86_REP_CHUNK
#define MSHV_X86_REP_CHUNK 256u
#endif

/* mshv_x86_emulate's result: the instruction is complete, RIP past it. */
#define MSHV_X86_EMULATE_DONE 0
/* ... or a REP chunk is done, RIP still at it: resume the VP, which comes back for the rest. */
#define MSHV_X86_EMULATE_AGAIN 1

/* The registers an emulated instruction reads and writes. */
struct mshv_x86_emulator_state {
	__u64 gpr[16]; /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
	__u64 rip, rflags;
	__u64 segment_base[6]; /* MSHV_X86_SEG_*; in 64-bit code only FS's and GS's count */
	/* one translation known already (the intercept's): that page needs no translate call */
	__u64 known_gva, known_gpa;
	__u32 known_valid;
	__u32 rep_chunk; /* most REP iterations per call; 0: MSHV_X86_REP_CHUNK */
};

#ifndef MSHV_INLINE_DECL_ONLY
/* Where an emulated instruction's accesses go. */
struct mshv__x86_env {
	const struct mshv_x86_emulator_ops *ops;
	void *ctx;
	int (*translate)(void *ctx, __u64 gva, unsigned int write, __u64 *gpa);
	void *translate_ctx;
	unsigned int mode;
	/* the last page translated for reading [0] and for writing [1]: a REP costs one translation a page */
	__u64 cached_gva[2], cached_gpa[2];
	unsigned int cached[2];
};

/* Access [la, la + size) (size <= 8), page by page: guest RAM by memcpy, else MMIO. */
MSHV_INLINE int mshv__x86_access(struct mshv__x86_env *env, const struct mshv_x86_emulator_state *st, __u64 la,
				 unsigned int size, __u64 *value, unsigned int write)
{
	__u8 buf[8];
	unsigned int done = 0;
	int ret;

	if (size > 8)
		return -EINVAL;
	write = !!write;
	if (write)
		mshv__x86_copy(buf, value, 8); /* little-endian host: the low bytes first */
	else
		mshv__x86_zero(buf, (unsigned int)sizeof(buf));
	while (done < size && done < 8) {
		__u64 va = la + done, gpa;
		unsigned int n = size - done, left;
		void *host;

		if (env->mode != MSHV_X86_MODE_64)
			va &= 0xffffffffull;
		left = 4096 - (unsigned int)(va & 0xfff);
		if (n > left)
			n = left;
		if (n > 8 - done)
			n = 8 - done;
		if (st->known_valid && (va >> 12) == (st->known_gva >> 12)) {
			gpa = (st->known_gpa & ~0xfffull) | (va & 0xfff);
		} else if (env->cached[write] && (va >> 12) == (env->cached_gva[write] >> 12)) {
			gpa = (env->cached_gpa[write] & ~0xfffull) | (va & 0xfff);
		} else {
			if (!env->translate)
				return -EOPNOTSUPP;
			ret = env->translate(env->translate_ctx, va, write, &gpa);
			if (ret < 0)
				return ret;
			env->cached_gva[write] = va;
			env->cached_gpa[write] = gpa;
			env->cached[write] = 1;
		}
		host = env->ops->guest_ram ? env->ops->guest_ram(env->ctx, gpa, n) : NULL;
		if (host) {
			if (write)
				mshv__x86_copy(host, buf + done, n);
			else
				mshv__x86_copy(buf + done, host, n);
		} else if (write) {
			if (!env->ops->mmio_write)
				return -EOPNOTSUPP;
			ret = env->ops->mmio_write(env->ctx, gpa, n, buf + done);
			if (ret < 0)
				return ret;
		} else {
			if (!env->ops->mmio_read)
				return -EOPNOTSUPP;
			ret = env->ops->mmio_read(env->ctx, gpa, n, buf + done);
			if (ret < 0)
				return ret;
		}
		done += n;
	}
	if (!write)
		mshv__x86_copy(value, buf, 8);
	return 0;
}

/* The linear address of offset ea in segment seg. */
MSHV_INLINE __u64 mshv__x86_linear(const struct mshv_x86_emulator_state *st, unsigned int mode, unsigned int seg,
				   __u64 ea)
{
	if (mode == MSHV_X86_MODE_64)
		return seg >= MSHV_X86_SEG_FS && seg <= MSHV_X86_SEG_GS ? ea + st->segment_base[seg] : ea;
	return (ea + st->segment_base[seg % 6]) & 0xffffffffull;
}

/* General register r's low `size` bytes (high8: AH, CH, DH or BH for r 4-7). */
MSHV_INLINE __u64 mshv__x86_reg_get(const struct mshv_x86_emulator_state *st, unsigned int r, unsigned int size,
				    unsigned int high8)
{
	if (size == 1 && high8)
		return (st->gpr[(r - 4) & 3] >> 8) & 0xff;
	return st->gpr[r & 15] & mshv__x86_mask(size);
}

/* Write general register r as the CPU does: 8 and 16 bits merge, 32 zero-extends, 64 replaces. */
MSHV_INLINE void mshv__x86_reg_set(struct mshv_x86_emulator_state *st, unsigned int r, unsigned int size,
				   unsigned int high8, __u64 v)
{
	if (size == 1 && high8)
		st->gpr[(r - 4) & 3] = (st->gpr[(r - 4) & 3] & ~0xff00ull) | ((v & 0xff) << 8);
	else if (size >= 4)
		st->gpr[r & 15] = v & mshv__x86_mask(size);
	else
		st->gpr[r & 15] = (st->gpr[r & 15] & ~mshv__x86_mask(size)) | (v & mshv__x86_mask(size));
}

/*
 * a OP b on `size` bytes for ADD..CMP, with RFLAGS' CF PF AF ZF SF OF set
 * as the CPU sets them. AND, OR and XOR leave AF undefined in the SDM: 0
 * here, as on Intel and AMD CPUs and in QEMU.
 */
MSHV_INLINE __u64 mshv__x86_arith(unsigned int op, unsigned int size, __u64 a, __u64 b, __u64 *rflags)
{
	unsigned int msb = 8 * size - 1;
	__u64 m = mshv__x86_mask(size), r, c = *rflags & 1, cf = 0, of = 0, af = 0, p;

	a &= m;
	b &= m;
	switch (op) {
	case MSHV_X86_OP_ADD:
	case MSHV_X86_OP_ADC:
		r = (a + b + (op == MSHV_X86_OP_ADC ? c : 0)) & m;
		cf = (((a & b) | ((a | b) & ~r)) >> msb) & 1;
		of = (((a ^ r) & (b ^ r)) >> msb) & 1;
		af = ((a ^ b ^ r) >> 4) & 1;
		break;
	case MSHV_X86_OP_SUB:
	case MSHV_X86_OP_SBB:
	case MSHV_X86_OP_CMP:
		r = (a - b - (op == MSHV_X86_OP_SBB ? c : 0)) & m;
		cf = (((~a & b) | ((~a | b) & r)) >> msb) & 1;
		of = (((a ^ b) & (a ^ r)) >> msb) & 1;
		af = ((a ^ b ^ r) >> 4) & 1;
		break;
	case MSHV_X86_OP_OR:
		r = a | b;
		break;
	case MSHV_X86_OP_XOR:
		r = a ^ b;
		break;
	default: /* AND, TEST */
		r = a & b;
		break;
	}
	p = r & 0xff;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	*rflags = (*rflags & ~MSHV_X86_RFLAGS_ARITH) | cf | ((~p & 1) << 2) | (af << 4) | ((__u64)(r == 0) << 6) |
		  (((r >> msb) & 1) << 7) | (of << 11);
	return r;
}

/* One iteration of a string instruction; *stop: a REPE/REPNE condition ended it. */
MSHV_INLINE int mshv__x86_string_step(struct mshv__x86_env *env, struct mshv_x86_emulator_state *st,
				      const struct mshv_x86_insn *insn, int *stop)
{
	unsigned int size = insn->operand_size, as = insn->address_size, op = insn->op;
	__u64 delta = (st->rflags & MSHV_X86_RFLAGS_DF) ? (__u64)0 - size : size;
	__u64 si = mshv__x86_linear(st, env->mode, insn->segment, st->gpr[6] & mshv__x86_mask(as));
	__u64 di = mshv__x86_linear(st, env->mode, MSHV_X86_SEG_ES, st->gpr[7] & mshv__x86_mask(as));
	__u64 a = 0, b = 0;
	__u16 port = (__u16)st->gpr[2];
	int ret = 0;

	switch (op) {
	case MSHV_X86_OP_MOVS:
		ret = mshv__x86_access(env, st, si, size, &a, 0);
		if (ret == 0)
			ret = mshv__x86_access(env, st, di, size, &a, 1);
		break;
	case MSHV_X86_OP_CMPS:
		/* the order is not architectural: ES:rDI first, as QEMU's (unicorn's) CPU model does */
		ret = mshv__x86_access(env, st, di, size, &b, 0);
		if (ret == 0)
			ret = mshv__x86_access(env, st, si, size, &a, 0);
		break;
	case MSHV_X86_OP_STOS:
		a = st->gpr[0];
		ret = mshv__x86_access(env, st, di, size, &a, 1);
		break;
	case MSHV_X86_OP_LODS:
		ret = mshv__x86_access(env, st, si, size, &a, 0);
		break;
	case MSHV_X86_OP_SCAS:
		ret = mshv__x86_access(env, st, di, size, &b, 0);
		break;
	case MSHV_X86_OP_INS:
		if (!env->ops->port_read)
			return -EOPNOTSUPP;
		ret = env->ops->port_read(env->ctx, port, size, &a);
		if (ret >= 0)
			ret = mshv__x86_access(env, st, di, size, &a, 1);
		break;
	default: /* OUTS */
		ret = mshv__x86_access(env, st, si, size, &a, 0);
		if (ret >= 0) {
			if (!env->ops->port_write)
				return -EOPNOTSUPP;
			ret = env->ops->port_write(env->ctx, port, size, &a);
		}
		break;
	}
	if (ret < 0)
		return ret;
	if (op == MSHV_X86_OP_LODS)
		mshv__x86_reg_set(st, 0, size, 0, a);
	if (op == MSHV_X86_OP_SCAS)
		a = st->gpr[0];
	if (op == MSHV_X86_OP_CMPS || op == MSHV_X86_OP_SCAS) {
		mshv__x86_arith(MSHV_X86_OP_CMP, size, a, b, &st->rflags);
		if ((insn->flags & MSHV_X86_INSN_REP) && !(st->rflags & MSHV_X86_RFLAGS_ZF))
			*stop = 1;
		if ((insn->flags & MSHV_X86_INSN_REPNE) && (st->rflags & MSHV_X86_RFLAGS_ZF))
			*stop = 1;
	}
	if (op != MSHV_X86_OP_STOS && op != MSHV_X86_OP_SCAS && op != MSHV_X86_OP_INS)
		mshv__x86_reg_set(st, 6, as, 0, st->gpr[6] + delta);
	if (op != MSHV_X86_OP_LODS && op != MSHV_X86_OP_OUTS)
		mshv__x86_reg_set(st, 7, as, 0, st->gpr[7] + delta);
	return 0;
}

/* RIP past the instruction, wrapped to the code's width. */
MSHV_INLINE void mshv__x86_next_rip(struct mshv_x86_emulator_state *st, const struct mshv_x86_insn *insn)
{
	st->rip = (st->rip + insn->length) & (insn->mode == MSHV_X86_MODE_64 ? ~0ull
					      : insn->mode == MSHV_X86_MODE_32 ? 0xffffffffull
									     : 0xffffull);
}

/* mshv_x86_emulate with the translation the caller picks. */
MSHV_INLINE int mshv__x86_emulate(struct mshv_x86_emulator_state *st, const struct mshv_x86_insn *insn,
				  struct mshv__x86_env *env)
{
	unsigned int size = insn->operand_size, op = insn->op, high8 = !!(insn->flags & MSHV_X86_INSN_HIGH8);
	__u64 ea, la, mem = 0, src, r, flags;
	int ret;

	if (insn->op == MSHV_X86_OP_NONE || insn->reject || !insn->length || insn->mode != env->mode)
		return -EINVAL;
	if (insn->flags & MSHV_X86_INSN_STRING) {
		__u64 count = st->gpr[1] & mshv__x86_mask(insn->address_size);
		__u32 chunk = st->rep_chunk ? st->rep_chunk : MSHV_X86_REP_CHUNK, n;
		int stop = 0;

		if (!(insn->flags & (MSHV_X86_INSN_REP | MSHV_X86_INSN_REPNE))) {
			ret = mshv__x86_string_step(env, st, insn, &stop);
			if (ret < 0)
				return ret;
			mshv__x86_next_rip(st, insn);
			return MSHV_X86_EMULATE_DONE;
		}
		for (n = 0; count && !stop && n < chunk; n++) {
			ret = mshv__x86_string_step(env, st, insn, &stop);
			if (ret < 0)
				return ret;
			count--;
			mshv__x86_reg_set(st, 1, insn->address_size, 0, count);
		}
		if (count && !stop)
			return MSHV_X86_EMULATE_AGAIN;
		mshv__x86_next_rip(st, insn);
		return MSHV_X86_EMULATE_DONE;
	}

	ea = mshv_x86_insn_address(insn, st->gpr, st->rip);
	src = (insn->flags & MSHV_X86_INSN_IMM) ? insn->imm : mshv__x86_reg_get(st, insn->reg, size, high8);
	if (op >= MSHV_X86_OP_BT && op <= MSHV_X86_OP_BTC && !(insn->flags & MSHV_X86_INSN_IMM)) {
		/* a register bit offset is signed and reaches past the operand: whole operands away */
		__s64 off = (__s64)mshv__x86_sext(src, size);
		__u64 words = off >= 0 ? (__u64)off / (8 * size) : (__u64)0 - (((__u64)0 - (__u64)off + 8 * size - 1) / (8 * size));

		ea = (ea + words * size) & mshv__x86_mask(insn->address_size);
		src &= 8 * size - 1;
	}
	la = mshv__x86_linear(st, env->mode, insn->segment, ea);
	if (insn->flags & MSHV_X86_INSN_MEM_SRC) {
		ret = mshv__x86_access(env, st, la, insn->mem_size, &mem, 0);
		if (ret < 0)
			return ret;
	}
	flags = st->rflags;
	switch (op) {
	case MSHV_X86_OP_MOV:
		if (insn->flags & MSHV_X86_INSN_MEM_DEST) {
			ret = mshv__x86_access(env, st, la, insn->mem_size, &src, 1);
		} else {
			mshv__x86_reg_set(st, insn->reg, size, high8, mem);
			ret = 0;
		}
		break;
	case MSHV_X86_OP_MOVZX:
		mshv__x86_reg_set(st, insn->reg, size, 0, mem);
		ret = 0;
		break;
	case MSHV_X86_OP_MOVSX:
		mshv__x86_reg_set(st, insn->reg, size, 0, mshv__x86_sext(mem, insn->mem_size));
		ret = 0;
		break;
	case MSHV_X86_OP_TEST:
		mshv__x86_arith(MSHV_X86_OP_AND, size, mem, src, &flags);
		ret = 0;
		break;
	case MSHV_X86_OP_XCHG:
		ret = mshv__x86_access(env, st, la, size, &src, 1);
		if (ret == 0)
			mshv__x86_reg_set(st, insn->reg, size, high8, mem);
		break;
	case MSHV_X86_OP_CMPXCHG: {
		__u64 acc = mshv__x86_reg_get(st, 0, size, 0);

		mshv__x86_arith(MSHV_X86_OP_CMP, size, acc, mem, &flags);
		/* the CPU always writes the destination: the old value back when they differ */
		r = (flags & MSHV_X86_RFLAGS_ZF) ? src : mem;
		ret = mshv__x86_access(env, st, la, size, &r, 1);
		/*
		 * The accumulator is loaded only when they differ (SDM, CMPXCHG's
		 * operation): a 32-bit success leaves RAX's upper half alone.
		 */
		if (ret == 0 && !(flags & MSHV_X86_RFLAGS_ZF))
			mshv__x86_reg_set(st, 0, size, 0, mem);
		break;
	}
	case MSHV_X86_OP_BT:
	case MSHV_X86_OP_BTS:
	case MSHV_X86_OP_BTR:
	case MSHV_X86_OP_BTC: {
		__u64 bit = 1ull << (src & (8 * size - 1));

		/* CF is the bit; ZF unaffected; OF SF AF PF undefined in the SDM: kept, as CPUs and QEMU keep them */
		flags = (flags & ~MSHV_X86_RFLAGS_CF) | ((mem & bit) ? 1 : 0);
		r = op == MSHV_X86_OP_BTS ? mem | bit : op == MSHV_X86_OP_BTR ? mem & ~bit : mem ^ bit;
		ret = op == MSHV_X86_OP_BT ? 0 : mshv__x86_access(env, st, la, size, &r, 1);
		break;
	}
	case MSHV_X86_OP_INC:
	case MSHV_X86_OP_DEC:
		r = mshv__x86_arith(op == MSHV_X86_OP_INC ? MSHV_X86_OP_ADD : MSHV_X86_OP_SUB, size, mem, 1, &flags);
		flags = (flags & ~MSHV_X86_RFLAGS_CF) | (st->rflags & MSHV_X86_RFLAGS_CF); /* CF unaffected */
		ret = mshv__x86_access(env, st, la, size, &r, 1);
		break;
	case MSHV_X86_OP_NOT:
		r = ~mem;
		ret = mshv__x86_access(env, st, la, size, &r, 1);
		break;
	case MSHV_X86_OP_NEG:
		r = mshv__x86_arith(MSHV_X86_OP_SUB, size, 0, mem, &flags);
		ret = mshv__x86_access(env, st, la, size, &r, 1);
		break;
	default: /* ADD..CMP */
		if (insn->map == 1 && insn->opcode < 0x40 && (insn->opcode & 2)) { /* Gv, Ev: the register first */
			r = mshv__x86_arith(op, size, mshv__x86_reg_get(st, insn->reg, size, high8), mem, &flags);
			if (op != MSHV_X86_OP_CMP)
				mshv__x86_reg_set(st, insn->reg, size, high8, r);
			ret = 0;
		} else {
			r = mshv__x86_arith(op, size, mem, src, &flags);
			ret = op == MSHV_X86_OP_CMP ? 0 : mshv__x86_access(env, st, la, size, &r, 1);
		}
		break;
	}
	if (ret < 0)
		return ret;
	st->rflags = flags;
	mshv__x86_next_rip(st, insn);
	return MSHV_X86_EMULATE_DONE;
}

/*
 * mshv_x86_emulate - carry out decoded instruction insn on the registers
 * in *st: its memory accesses through ops (guest RAM where ops->guest_ram
 * gives a host address, else ops->mmio_read/mmio_write; linear addresses
 * through st->known_* or ops->translate; INS/OUTS ports through
 * ops->port_read/port_write), then the destination register, RFLAGS'
 * arithmetic flags exactly as the CPU sets them, RSI/RDI/RCX by DF and the
 * address size, and RIP. A REP form does at most st->rep_chunk iterations
 * (0: MSHV_X86_REP_CHUNK). Issues nothing itself (the callbacks are the
 * caller's); no segment limit, alignment or privilege check (the
 * intercepted access passed them). Returns MSHV_X86_EMULATE_DONE (RIP
 * past the instruction), MSHV_X86_EMULATE_AGAIN (a REP chunk done; RIP
 * unchanged, RCX counts what is left), or -errno: -EINVAL (st, insn or ops
 * NULL, insn not a decoded instruction; ctx may be NULL), -EOPNOTSUPP (a callback it needs is NULL), or a
 * callback's error, *st unchanged but for a REP's finished iterations.
 * Errors: -EINVAL (st, insn or ops NULL, insn not decoded), -EOPNOTSUPP (a
 * callback it needs is NULL); a callback's -errno.
 */
MSHV_INLINE int mshv_x86_emulate(struct mshv_x86_emulator_state *st, const struct mshv_x86_insn *insn,
				 const struct mshv_x86_emulator_ops *ops, void *ctx)
{
	struct mshv__x86_env env;

	if (!st || !insn || !ops)
		return -EINVAL;
	mshv__x86_zero(&env, (unsigned int)sizeof(env));
	env.ops = ops;
	env.ctx = ctx;
	env.translate = ops->translate;
	env.translate_ctx = ctx;
	env.mode = insn->mode;
	return mshv__x86_emulate(st, insn, &env);
}
#endif /* !MSHV_INLINE_DECL_ONLY */


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

/* ========================================================================
 * Prototypes of the x86_64 functions (MSHV_INLINE_DECL_ONLY)
 * ======================================================================== */
#if defined(MSHV_INLINE_DECL_ONLY) || defined(MSHV__CHECK_PROTOTYPES)
MSHV_INLINE __u32 mshv_x86_msr_to_register(__u32 msr);
MSHV_INLINE int mshv_x86_regs_from_gpr(struct mshv_standard_registers *regs, const __u64 gpr[16]);
MSHV_INLINE int mshv_x86_regs_to_gpr(const struct mshv_standard_registers *regs, __u64 gpr[16]);
MSHV_HOT_INLINE unsigned int mshv_msg_instruction_bytes(const struct hv_message *msg, const __u8 **bytes);
MSHV_INLINE unsigned int mshv_x86_mode_of(const struct hv_x64_intercept_message_header *hdr);
MSHV_INLINE int mshv_x86_decode(const __u8 *bytes, unsigned int count, unsigned int mode, struct mshv_x86_insn *insn);
MSHV_INLINE __u64 mshv_x86_insn_address(const struct mshv_x86_insn *insn, const __u64 gpr[16], __u64 rip);
MSHV_INLINE int mshv_x86_emulate(struct mshv_x86_emulator_state *st, const struct mshv_x86_insn *insn,
				 const struct mshv_x86_emulator_ops *ops, void *ctx);
#if defined(MSHV_IMPLEMENTATION) || defined(MSHV_INLINE_DECL_ONLY)
MSHV_INLINE int mshv_vm_request_virtual_interrupt(struct mshv_vm *vm, const struct mshv_assert_interrupt *req,
						  __u16 *hv_status);
MSHV_INLINE int mshv_vm_signal_event_direct(struct mshv_vm *vm, struct mshv_signal_event_direct *args,
					    __u16 *hv_status);
MSHV_INLINE int mshv_vm_post_message_direct(struct mshv_vm *vm, const struct mshv_post_message_direct *args,
					    __u16 *hv_status);
MSHV_INLINE int mshv_system_get_msr_index_list(struct mshv_system *sys, __u32 *indices, unsigned int *count);
MSHV_INLINE int mshv_vm_get_msr_index_list(struct mshv_vm *vm, __u32 *indices, unsigned int *count, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_msrs(struct mshv_vcpu *vcpu, struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_msrs(struct mshv_vcpu *vcpu, const struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_reg_page_valid(const struct mshv_vcpu *vcpu);
MSHV_INLINE int mshv_vcpu_get_regs(struct mshv_vcpu *vcpu, struct mshv_standard_registers *r, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_regs(struct mshv_vcpu *vcpu, const struct mshv_standard_registers *r, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_sregs(struct mshv_vcpu *vcpu, struct mshv_special_registers *s, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_sregs(struct mshv_vcpu *vcpu, const struct mshv_special_registers *s, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_fpu(struct mshv_vcpu *vcpu, struct mshv_floating_point_unit *f, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_fpu(struct mshv_vcpu *vcpu, const struct mshv_floating_point_unit *f, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_debug_regs(struct mshv_vcpu *vcpu, struct mshv_debug_registers *d, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_debug_regs(struct mshv_vcpu *vcpu, const struct mshv_debug_registers *d,
					 __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_vcpu_events(struct mshv_vcpu *vcpu, struct mshv_vcpu_events *e, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_vcpu_events(struct mshv_vcpu *vcpu, const struct mshv_vcpu_events *e, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_xcrs(struct mshv_vcpu *vcpu, struct mshv_xcrs *x, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_xcrs(struct mshv_vcpu *vcpu, const struct mshv_xcrs *x, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_misc_regs(struct mshv_vcpu *vcpu, struct mshv_misc_regs *m, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_misc_regs(struct mshv_vcpu *vcpu, const struct mshv_misc_regs *m, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_suspend_regs(struct mshv_vcpu *vcpu, struct mshv_suspend_registers *r, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_sev_control_register(struct mshv_vcpu *vcpu, __u64 value, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_lapic(struct mshv_vcpu *vcpu, struct mshv_lapic_state *l);
MSHV_INLINE int mshv_vcpu_set_lapic(struct mshv_vcpu *vcpu, const struct mshv_lapic_state *l);
MSHV_INLINE int mshv_vcpu_get_xsave(struct mshv_vcpu *vcpu, struct mshv_xsave *x);
MSHV_INLINE int mshv_vcpu_set_xsave(struct mshv_vcpu *vcpu, const struct mshv_xsave *x);
MSHV_INLINE int mshv_vcpu_get_all_vp_state_components(struct mshv_vcpu *vcpu, struct mshv_all_vp_state_components *a);
MSHV_INLINE int mshv_vcpu_set_all_vp_state_components(struct mshv_vcpu *vcpu,
							const struct mshv_all_vp_state_components *a);
MSHV_INLINE int mshv_vcpu_get_cpuid_values(struct mshv_vcpu *vcpu, __u32 eax, __u32 ecx, __u64 xfem, __u64 xss,
					   __u32 out[4], __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid_entry(struct mshv_vcpu *vcpu,
								  const struct mshv_cpuid_entry *e, __u8 always_override,
								  __u8 subleaf_specific, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid_masked(struct mshv_vcpu *vcpu,
								   const struct mshv_cpuid_entry *e, const __u32 mask[4],
								   __u8 always_override, __u8 subleaf_specific,
								   __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid(struct mshv_vcpu *vcpu, const struct mshv_cpuid_entry *e,
							    size_t count, __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_set_rip(struct mshv_vcpu *vcpu, __u64 rip, __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_advance_rip(struct mshv_vcpu *vcpu, const struct hv_x64_intercept_message_header *hdr,
					  __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_set_gpr_and_rip(struct mshv_vcpu *vcpu, unsigned int gpr, __u64 value, __u64 rip,
					      __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_complete_io(struct mshv_vcpu *vcpu, const struct hv_x64_io_port_intercept_message *io,
					  __u32 value, __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_complete_msr(struct mshv_vcpu *vcpu, const struct hv_x64_msr_intercept_message *msr,
					   __u64 value, __u16 *hv_status);
MSHV_HOT_INLINE int mshv_vcpu_complete_cpuid(struct mshv_vcpu *vcpu, const struct hv_x64_cpuid_intercept_message *cpuid,
					     __u32 eax, __u32 ebx, __u32 ecx, __u32 edx, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_inject_exception(struct mshv_vcpu *vcpu, __u8 vector, int deliver_error_code, __u32 error_code,
					   __u64 parameter, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_emulate_mmio(struct mshv_vcpu *vcpu, const struct hv_message *msg,
				       const struct mshv_x86_emulator_ops *ops, void *ctx, struct mshv_x86_insn *decoded,
				       __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_emulate_string_io(struct mshv_vcpu *vcpu, const struct hv_message *msg,
					    const struct mshv_x86_emulator_ops *ops, void *ctx, struct mshv_x86_insn *decoded,
					    __u16 *hv_status);
#endif
#endif /* MSHV_INLINE_DECL_ONLY || MSHV__CHECK_PROTOTYPES */

#if defined(MSHV_IMPLEMENTATION) && !defined(MSHV_INLINE_DECL_ONLY)

#define MSHV__MSR_ENTRY(index) index,

/*
 * mshv_vm_request_virtual_interrupt - HVCALL_ASSERT_VIRTUAL_INTERRUPT
 * (MSHV_ROOT_HVCALL on the partition fd): interrupt req->vector of type
 * req->control.interrupt_type (HV_X64_INTERRUPT_TYPE_*) to the APIC id
 * req->dest_addr. Reserved control bits and req->rsvd must be zero
 * (mshv-ioctls' long_mode flag sets control bit 62, reserved in union
 * hv_interrupt_control: refused here). Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, req->control.rsvd or req->rsvd not zero);
 * kernel: -ENOTTY (6.6-era); hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (6.6-era); hypercall: as
 * in Hypercall status.
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
 * Errors: -EINVAL (vm or args NULL, args->length > HV_MESSAGE_SIZE,
 * args->message NULL with a length); kernel: -ENOTTY (6.6-era); hypercall: as
 * in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), -E2BIG (*count too small: *count says how
 * many are needed).
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
 * Errors: -EINVAL (a NULL pointer), -E2BIG (as above), and those of
 * mshv_vm_get_partition_property(); hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer, count 0 or > INT_MAX, an MSR without a
 * register), and those of mshv_vcpu_get_registers(); hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_msrs(struct mshv_vcpu *vcpu, struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	return mshv__msrs(vcpu, msrs, count, 0, hv_status);
}

/*
 * mshv_vcpu_set_msrs - set msrs[i].index = msrs[i].data, i < count, as above.
 * Returns count, or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (as mshv_vcpu_get_msrs()), and those of
 * mshv_vcpu_set_registers(); hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_msrs(struct mshv_vcpu *vcpu, const struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	/* only read from when setting */
	return mshv__msrs(vcpu, (struct mshv_msr_entry *)(uintptr_t)msrs, count, 1, hv_status);
}

/* ---- vCPU register sets (mshv-ioctls' VcpuFd) ---------------------------- */

/*
 * Whether the VP register page holds the VP's registers now (after an
 * intercept); 0 for a NULL vcpu.
 * Errors: none (0 for a NULL vcpu).
 */
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

/* The registers of struct mshv_standard_registers, in its order (a function-local table in each user). */
#define MSHV__STANDARD_NAMES {                                                                                   \
	HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX, HV_X64_REGISTER_RCX, HV_X64_REGISTER_RDX, HV_X64_REGISTER_RSI, \
	HV_X64_REGISTER_RDI, HV_X64_REGISTER_RSP, HV_X64_REGISTER_RBP, HV_X64_REGISTER_R8,  HV_X64_REGISTER_R9,  \
	HV_X64_REGISTER_R10, HV_X64_REGISTER_R11, HV_X64_REGISTER_R12, HV_X64_REGISTER_R13, HV_X64_REGISTER_R14, \
	HV_X64_REGISTER_R15, HV_X64_REGISTER_RIP, HV_X64_REGISTER_RFLAGS                                         \
}

/*
 * mshv_vcpu_get_regs - the general registers, RIP and RFLAGS: from the VP
 * register page while it is valid (no system call), else one
 * HVCALL_GET_VP_REGISTERS (MSHV_ROOT_HVCALL on the VP fd). Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_regs(struct mshv_vcpu *vcpu, struct mshv_standard_registers *r, __u16 *hv_status)
{
	static const __u32 mshv__standard_names[18] = MSHV__STANDARD_NAMES;
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
		/* the page keeps the encoding's order (a packed record: no mshv_x86_regs_from_gpr) */
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_regs(struct mshv_vcpu *vcpu, const struct mshv_standard_registers *r, __u16 *hv_status)
{
	static const __u32 mshv__standard_names[18] = MSHV__STANDARD_NAMES;
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
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

/* (function-local tables: an inline function with external linkage may not use a file-scope static) */
#define MSHV__DEBUG_NAMES                                                                                    \
	{ HV_X64_REGISTER_DR0, HV_X64_REGISTER_DR1, HV_X64_REGISTER_DR2,                                     \
	  HV_X64_REGISTER_DR3, HV_X64_REGISTER_DR6, HV_X64_REGISTER_DR7 }

/*
 * mshv_vcpu_get_debug_regs - DR0-3, DR6, DR7: one HVCALL_GET_VP_REGISTERS.
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_debug_regs(struct mshv_vcpu *vcpu, struct mshv_debug_registers *d, __u16 *hv_status)
{
	static const __u32 mshv__debug_names[6] = MSHV__DEBUG_NAMES;
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_debug_regs(struct mshv_vcpu *vcpu, const struct mshv_debug_registers *d,
					 __u16 *hv_status)
{
	static const __u32 mshv__debug_names[6] = MSHV__DEBUG_NAMES;
	__u64 v[6];

	if (!vcpu || !d)
		return mshv__einval(hv_status);
	memcpy(v, d, sizeof(v));
	return mshv__regs64(vcpu, mshv__debug_names, v, 6, 1, hv_status);
}

#define MSHV__EVENT_NAMES                                                                                    \
	{ HV_REGISTER_PENDING_INTERRUPTION, HV_REGISTER_INTERRUPT_STATE, HV_REGISTER_INTERNAL_ACTIVITY_STATE, \
	  HV_REGISTER_PENDING_EVENT0, HV_REGISTER_PENDING_EVENT1 }

/*
 * mshv_vcpu_get_vcpu_events - pending interruption and events, interrupt and
 * activity state: one call. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_vcpu_events(struct mshv_vcpu *vcpu, struct mshv_vcpu_events *e, __u16 *hv_status)
{
	static const __u32 mshv__event_names[5] = MSHV__EVENT_NAMES;
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_vcpu_events(struct mshv_vcpu *vcpu, const struct mshv_vcpu_events *e, __u16 *hv_status)
{
	static const __u32 mshv__event_names[5] = MSHV__EVENT_NAMES;
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (vcpu NULL), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
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
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_vp_state().
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

/*
 * mshv_vcpu_set_lapic - MSHV_SET_VP_STATE (MSHV_VP_STATE_LAPIC) from the
 * register page layout. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_vp_state().
 */
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

/*
 * mshv_vcpu_get_xsave - MSHV_GET_VP_STATE (MSHV_VP_STATE_XSAVE): the 4 KiB
 * XSAVE area. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_vp_state().
 */
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

/*
 * mshv_vcpu_set_xsave - MSHV_SET_VP_STATE (MSHV_VP_STATE_XSAVE). Returns 0 or
 * -errno.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_vp_state().
 */
MSHV_INLINE int mshv_vcpu_set_xsave(struct mshv_vcpu *vcpu, const struct mshv_xsave *x)
{
	MSHV__STATE_PAGE(page);

	if (!vcpu || !x)
		return -EINVAL;
	memcpy(page, x->buffer, sizeof(page));
	return mshv__vp_state_page(vcpu, MSHV_VP_STATE_XSAVE, page, 1);
}

/* Where each component sits in struct mshv_all_vp_state_components, and its size. */
#define MSHV__VP_STATE_OFFSET { 0, 1024, 5120, 9216, 13312 }
#define MSHV__VP_STATE_SIZE { 1024, 4096, 4096, 4096, 200 }

/*
 * mshv_vcpu_get_all_vp_state_components - every MSHV_VP_STATE_* component
 * (MSHV_GET_VP_STATE each, raw hypervisor formats) into *a. Returns 0 or
 * -errno (the first failure; the components before it are filled).
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_vp_state().
 */
MSHV_INLINE int mshv_vcpu_get_all_vp_state_components(struct mshv_vcpu *vcpu, struct mshv_all_vp_state_components *a)
{
	static const unsigned short mshv__vp_state_size[MSHV_VP_STATE_COUNT] = MSHV__VP_STATE_SIZE;
	static const unsigned short mshv__vp_state_offset[MSHV_VP_STATE_COUNT] = MSHV__VP_STATE_OFFSET;
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

/*
 * mshv_vcpu_set_all_vp_state_components - MSHV_SET_VP_STATE of each component
 * from *a. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_vp_state().
 */
MSHV_INLINE int mshv_vcpu_set_all_vp_state_components(struct mshv_vcpu *vcpu,
							const struct mshv_all_vp_state_components *a)
{
	static const unsigned short mshv__vp_state_size[MSHV_VP_STATE_COUNT] = MSHV__VP_STATE_SIZE;
	static const unsigned short mshv__vp_state_offset[MSHV_VP_STATE_COUNT] = MSHV__VP_STATE_OFFSET;
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
 * Errors: -EINVAL (a NULL pointer), -EIO (the hypercall completed no rep);
 * kernel: -ENOTTY (6.6-era), -EINVAL (6.15-6.18: not a hypercall they pass);
 * hypercall: as in Hypercall status.
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
 * mshv_vcpu_register_intercept_result_cpuid_masked -
 * HVCALL_REGISTER_INTERCEPT_RESULT (CPUID) on the VP fd, with a mask per
 * register (mask[0..3]: EAX, EBX, ECX, EDX): the guest's CPUID
 * e->function/e->index returns, in each register, the bits the mask
 * selects from e's value and the others from the result the hypervisor
 * would give ((own & ~mask) | (value & mask), the hypervisor's CPUID
 * result parameters), for every subleaf unless subleaf_specific, always
 * or only when intercepted (always_override). So a feature bit is cleared
 * with mask 1 and value 0, which ..._cpuid_entry() (mask = value) cannot
 * do. Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (older 6.6-era
 * kernels: no MSHV_ROOT_HVCALL on VP fds), -EINVAL, -EFAULT; hypercall: as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid_masked(struct mshv_vcpu *vcpu,
								   const struct mshv_cpuid_entry *e, const __u32 mask[4],
								   __u8 always_override, __u8 subleaf_specific,
								   __u16 *hv_status)
{
	struct hv_input_register_intercept_result in;

	if (!vcpu || !e || !mask)
		return mshv__einval(hv_status);
	memset(&in, 0, sizeof(in));
	in.vp_index = vcpu->index;
	in.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	in.parameters.cpuid.input.eax = e->function;
	in.parameters.cpuid.input.ecx = e->index;
	in.parameters.cpuid.input.subleaf_specific = subleaf_specific;
	in.parameters.cpuid.input.always_override = always_override;
	in.parameters.cpuid.result.eax = e->eax, in.parameters.cpuid.result.eax_mask = mask[0];
	in.parameters.cpuid.result.ebx = e->ebx, in.parameters.cpuid.result.ebx_mask = mask[1];
	in.parameters.cpuid.result.ecx = e->ecx, in.parameters.cpuid.result.ecx_mask = mask[2];
	in.parameters.cpuid.result.edx = e->edx, in.parameters.cpuid.result.edx_mask = mask[3];
	return mshv__hvcall(vcpu->fd, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0, hv_status);
}

/*
 * mshv_vcpu_register_intercept_result_cpuid_entry -
 * HVCALL_REGISTER_INTERCEPT_RESULT (CPUID) on the VP fd: the guest's CPUID
 * e->function/e->index returns e->eax..edx (each also its own mask, as
 * mshv-ioctls sends it), for every subleaf unless subleaf_specific, always
 * or only when intercepted (always_override). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (older 6.6-era
 * kernels: no MSHV_ROOT_HVCALL on VP fds), -EINVAL, -EFAULT; hypercall: as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_register_intercept_result_cpuid_entry(struct mshv_vcpu *vcpu,
								  const struct mshv_cpuid_entry *e, __u8 always_override,
								  __u8 subleaf_specific, __u16 *hv_status)
{
	__u32 mask[4];

	if (!vcpu || !e)
		return mshv__einval(hv_status);
	mask[0] = e->eax, mask[1] = e->ebx, mask[2] = e->ecx, mask[3] = e->edx;
	return mshv_vcpu_register_intercept_result_cpuid_masked(vcpu, e, mask, always_override, subleaf_specific,
								 hv_status);
}


/*
 * mshv_vcpu_register_intercept_result_cpuid - every entry of e[0..count),
 * as mshv-ioctls' register_intercept_result_cpuid: always_override 1,
 * subleaf_specific for the topology leaves 0xB, 0x1F, 0x8000001E and
 * 0x80000026. All are tried; returns 0 or the first -errno; hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and the first error of
 * mshv_vcpu_register_intercept_result_cpuid_entry().
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
 * Set regs[0..n), n <= MSHV__FEW_REGISTERS (the array has that many
 * entries), in one call: the completion helpers' path when the register
 * page is not valid. Fixed sizes and no loop, so that it compiles into the
 * run loop too: HVCALL_SET_VP_REGISTERS, or the 6.6-era
 * MSHV_SET_VP_REGISTERS_LEGACY where there is no passthrough (remembered).
 */
#define MSHV__FEW_REGISTERS 5
MSHV_HOT_INLINE int mshv__set_few_registers(struct mshv_vcpu *vcpu,
					    const struct hv_register_assoc regs[MSHV__FEW_REGISTERS], unsigned int n,
					    __u16 *hv_status)
{
	struct hv_input_set_vp_registers head;
	__u8 in[sizeof(struct hv_input_set_vp_registers) + MSHV__FEW_REGISTERS * sizeof(struct hv_register_assoc)];
	struct mshv_vp_registers_legacy legacy;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!(vcpu->quirks & MSHV_QUIRK_NO_ROOT_HVCALL)) {
		memset(&head, 0, sizeof(head));
		head.vp_index = vcpu->index;
		memcpy(in, &head, sizeof(head));
		/* a constant size once inlined (n is the caller's constant): no call to memcpy in a run loop */
		switch (n) {
		case 1:
			memcpy(in + sizeof(head), regs, 1 * sizeof(regs[0]));
			break;
		case 2:
			memcpy(in + sizeof(head), regs, 2 * sizeof(regs[0]));
			break;
		default:
			memcpy(in + sizeof(head), regs, MSHV__FEW_REGISTERS * sizeof(regs[0]));
			break;
		}
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
 * General registers gpr[0..n) (encoding numbers) = values[0..n), n <= 4,
 * and RIP = rip: into the valid register page (dirty classes IP, and
 * GENERAL when n > 0; no system call), else one HVCALL_SET_VP_REGISTERS.
 * The completion helpers all come here.
 */
MSHV_HOT_INLINE int mshv__set_gprs_and_rip(struct mshv_vcpu *vcpu, const unsigned int *gpr, const __u64 *values,
					   unsigned int n, __u64 rip, __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV__FEW_REGISTERS];
	unsigned int i;

	if (mshv_vcpu_reg_page_valid(vcpu)) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		for (i = 0; i < n; i++)
			vcpu->reg_page->gp_registers[gpr[i]] = values[i];
		vcpu->reg_page->rip = rip;
		vcpu->reg_page->dirty |= (n ? 1u << HV_X64_REGISTER_CLASS_GENERAL : 0u) | (1u << HV_X64_REGISTER_CLASS_IP);
		return 0;
	}
	memset(regs, 0, sizeof(regs));
	for (i = 0; i < n; i++) {
		regs[i].name = HV_X64_REGISTER_RAX + gpr[i];
		regs[i].value.reg64 = values[i];
	}
	regs[n].name = HV_X64_REGISTER_RIP;
	regs[n].value.reg64 = rip;
	return mshv__set_few_registers(vcpu, regs, n + 1, hv_status);
}

/*
 * mshv_vcpu_set_rip - RIP = rip: into the valid register page (dirty class
 * IP; no system call), else one HVCALL_SET_VP_REGISTERS. Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (vcpu NULL); kernel, without a valid register page:
 * -EINVAL, -EFAULT, -ENOTTY handled (6.6-era fallback); hypercall: as in
 * Hypercall status.
 */
MSHV_HOT_INLINE int mshv_vcpu_set_rip(struct mshv_vcpu *vcpu, __u64 rip, __u16 *hv_status)
{
	return vcpu ? mshv__set_gprs_and_rip(vcpu, NULL, NULL, 0, rip, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_vcpu_advance_rip - resume after the intercepted instruction:
 * RIP = hdr->rip + hdr->instruction_length (mshv_vcpu_set_rip). For
 * intercepts that carry the length (port IO, CPUID, MSR, HLT). Returns 0
 * or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_rip().
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
 * Errors: -EINVAL (vcpu NULL, gpr > 15), and those of mshv_vcpu_set_rip().
 */
MSHV_HOT_INLINE int mshv_vcpu_set_gpr_and_rip(struct mshv_vcpu *vcpu, unsigned int gpr, __u64 value, __u64 rip,
					      __u16 *hv_status)
{
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (gpr > 15 || !vcpu)
		return -EINVAL;
	return mshv__set_gprs_and_rip(vcpu, &gpr, &value, 1, rip, hv_status);
}

/*
 * mshv_vcpu_complete_io - finish a port-IO intercept the VMM emulated: an
 * OUT resumes after the instruction; an IN also puts `value` into AL/AX/EAX
 * (the access size's low bytes of RAX; EAX zero-extends, as the CPU does).
 * Through the valid register page (no system call), else one hypercall.
 * String and REP forms (io->access_info.string_op): -EINVAL, for
 * mshv_vcpu_emulate_string_io to finish. Returns 0 or -errno; hypercall errors as in Hypercall
 * status.
 * Errors: -EINVAL (a NULL pointer, a string or REP form, an access size not
 * 1, 2 or 4), and those of mshv_vcpu_set_rip().
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

/*
 * mshv_vcpu_complete_msr - finish an MSR intercept the VMM handled
 * (HVMSG_X64_MSR_INTERCEPT, mshv_msg_msr()): a RDMSR
 * (msr->header.intercept_access_type HV_INTERCEPT_ACCESS_READ) returns
 * `value` in EDX:EAX (RAX its low 32 bits, RDX its high 32 bits, both
 * zero-extended as RDMSR writes them) and resumes after the instruction;
 * a WRMSR (the value written: msr->rdx << 32 | (__u32)msr->rax) only
 * resumes, `value` unused. Through the valid register page (no system
 * call), else one HVCALL_SET_VP_REGISTERS with RAX, RDX and RIP. To make
 * the access fault instead, leave RIP and inject #GP(0):
 * mshv_vcpu_inject_exception(vcpu, 13, 1, 0, 0, st). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_rip().
 */
MSHV_HOT_INLINE int mshv_vcpu_complete_msr(struct mshv_vcpu *vcpu, const struct hv_x64_msr_intercept_message *msr,
					   __u64 value, __u16 *hv_status)
{
	static const unsigned int rax_rdx[2] = { 0, 2 };
	__u64 v[2];
	__u64 rip;

	if (!vcpu || !msr)
		return mshv__einval(hv_status);
	rip = msr->header.rip + msr->header.instruction_length;
	if (msr->header.intercept_access_type != HV_INTERCEPT_ACCESS_READ)
		return mshv_vcpu_set_rip(vcpu, rip, hv_status);
	v[0] = value & 0xffffffffull, v[1] = value >> 32;
	return mshv__set_gprs_and_rip(vcpu, rax_rdx, v, 2, rip, hv_status);
}

/*
 * mshv_vcpu_complete_cpuid - finish a CPUID intercept
 * (HVMSG_X64_CPUID_INTERCEPT, mshv_msg_cpuid()): EAX, EBX, ECX, EDX =
 * eax, ebx, ecx, edx (zero-extended into RAX-RDX, as CPUID writes them)
 * and RIP past the instruction. The hypervisor's own answer is in
 * cpuid->default_result_rax..rbx, to pass on or adjust. Through the valid
 * register page (no system call), else one HVCALL_SET_VP_REGISTERS with
 * the five registers. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel, without a valid register page:
 * -EINVAL, -EFAULT; hypercall: as in Hypercall status.
 */
MSHV_HOT_INLINE int mshv_vcpu_complete_cpuid(struct mshv_vcpu *vcpu, const struct hv_x64_cpuid_intercept_message *cpuid,
					     __u32 eax, __u32 ebx, __u32 ecx, __u32 edx, __u16 *hv_status)
{
	static const unsigned int abcd[4] = { 0, 3, 1, 2 }; /* RAX, RBX, RCX, RDX by encoding number */
	__u64 v[4];

	if (!vcpu || !cpuid)
		return mshv__einval(hv_status);
	v[0] = eax, v[1] = ebx, v[2] = ecx, v[3] = edx;
	return mshv__set_gprs_and_rip(vcpu, abcd, v, 4, cpuid->header.rip + cpuid->header.instruction_length, hv_status);
}

/*
 * mshv_vcpu_inject_exception - make the VP take exception `vector` (0-31)
 * before it runs its next instruction: HV_REGISTER_PENDING_EVENT0 set to
 * an exception event (union hv_x64_pending_exception_event, event type 0)
 * with error_code when deliver_error_code (give it for the vectors that
 * push one: 8, 10-14, 17, 21) and `parameter` (CR2 for #PF, 14), by one
 * HVCALL_SET_VP_REGISTERS. It is delivered through the guest's IDT (IVT
 * in real mode) as the processor delivers a fault; RIP is not changed, so
 * for a fault on an intercepted instruction do not advance it. Returns 0
 * or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (vcpu NULL, vector > 31); kernel: -EINVAL, -EFAULT;
 * hypercall: as in Hypercall status (HV_STATUS_INVALID_PARAMETER: an event
 * the hypervisor refuses).
 */
MSHV_INLINE int mshv_vcpu_inject_exception(struct mshv_vcpu *vcpu, __u8 vector, int deliver_error_code, __u32 error_code,
					   __u64 parameter, __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV__FEW_REGISTERS];
	union hv_x64_pending_exception_event ev;

	if (!vcpu || vector > 31)
		return mshv__einval(hv_status);
	memset(&ev, 0, sizeof(ev));
	ev.event_pending = 1;
	ev.event_type = 0; /* an exception (the TLFS' HvX64PendingEventException) */
	ev.deliver_error_code = deliver_error_code ? 1 : 0;
	ev.vector = vector;
	ev.error_code = error_code;
	ev.exception_parameter = parameter;
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_REGISTER_PENDING_EVENT0;
	regs[0].value.reg128.low_part = ev.as_uint64[0];
	regs[0].value.reg128.high_part = ev.as_uint64[1];
	return mshv__set_few_registers(vcpu, regs, 1, hv_status);
}

/* ---- emulating the intercepted instruction ------------------------------------ */

/*
 * ops->translate's stand-in: mshv_vcpu_translate_gva. The walk succeeded
 * when the GPA is RAM (SUCCESS) and also when it is not mapped, or not
 * for this access (GPA_UNMAPPED, GPA_NO_READ/WRITE_ACCESS): that is a
 * device's page, which the emulator hands to the MMIO callbacks. A
 * failed walk (not present, privilege, bad flags...): -EFAULT.
 */
MSHV_INLINE int mshv__vcpu_translate_for_emulator(void *vcpu, __u64 gva, unsigned int write, __u64 *gpa)
{
	union hv_translate_gva_result res;
	int ret;

	ret = mshv_vcpu_translate_gva((struct mshv_vcpu *)vcpu, gva,
				      write ? HV_TRANSLATE_GVA_VALIDATE_WRITE : HV_TRANSLATE_GVA_VALIDATE_READ, gpa, &res,
				      NULL);
	if (ret == 0 && res.result_code != HV_TRANSLATE_GVA_SUCCESS && res.result_code != HV_TRANSLATE_GVA_GPA_UNMAPPED &&
	    res.result_code != HV_TRANSLATE_GVA_GPA_NO_READ_ACCESS && res.result_code != HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS)
		ret = -EFAULT;
	return ret;
}

/*
 * The VP's general registers and segment bases into *st (RIP and RFLAGS
 * come from the intercept): from the valid register page, else one
 * HVCALL_GET_VP_REGISTERS.
 */
MSHV_HOT_INLINE int mshv__vcpu_emulator_load(struct mshv_vcpu *vcpu, struct mshv_x86_emulator_state *st,
					     __u16 *hv_status)
{
	struct hv_register_assoc regs[22];
	unsigned int i;
	int ret;

	if (mshv_vcpu_reg_page_valid(vcpu)) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		memcpy(st->gpr, (const void *)vcpu->reg_page->gp_registers, sizeof(st->gpr));
		for (i = 0; i < 6; i++)
			st->segment_base[i] = vcpu->reg_page->segment_registers[i].base;
		return 0;
	}
	memset(regs, 0, sizeof(regs));
	for (i = 0; i < 16; i++)
		regs[i].name = HV_X64_REGISTER_RAX + i;
	for (i = 0; i < 6; i++)
		regs[16 + i].name = HV_X64_REGISTER_ES + i;
	ret = mshv_vcpu_get_registers(vcpu, regs, 22, hv_status);
	if (ret < 0)
		return ret;
	for (i = 0; i < 16; i++)
		st->gpr[i] = regs[i].value.reg64;
	for (i = 0; i < 6; i++)
		st->segment_base[i] = regs[16 + i].value.segment.base;
	return 0;
}

/*
 * Write back what the emulation changed (*st against *old): into the valid
 * register page (dirty classes GENERAL, IP, FLAGS; no system call), else
 * one HVCALL_SET_VP_REGISTERS of the changed registers.
 */
MSHV_HOT_INLINE int mshv__vcpu_emulator_store(struct mshv_vcpu *vcpu, const struct mshv_x86_emulator_state *st,
					      const struct mshv_x86_emulator_state *old, __u16 *hv_status)
{
	struct hv_register_assoc regs[18];
	unsigned int i, n = 0;

	if (mshv_vcpu_reg_page_valid(vcpu)) {
		struct hv_vp_register_page *p = vcpu->reg_page;
		__u32 dirty = 1u << HV_X64_REGISTER_CLASS_IP;

		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		for (i = 0; i < 16; i++) {
			if (st->gpr[i] != old->gpr[i]) {
				p->gp_registers[i] = st->gpr[i];
				dirty |= 1u << HV_X64_REGISTER_CLASS_GENERAL;
			}
		}
		if (st->rflags != old->rflags) {
			p->rflags = st->rflags;
			dirty |= 1u << HV_X64_REGISTER_CLASS_FLAGS;
		}
		p->rip = st->rip;
		p->dirty |= dirty;
		return 0;
	}
	memset(regs, 0, sizeof(regs));
	for (i = 0; i < 16; i++) {
		if (st->gpr[i] != old->gpr[i]) {
			regs[n].name = HV_X64_REGISTER_RAX + i;
			regs[n++].value.reg64 = st->gpr[i];
		}
	}
	if (st->rflags != old->rflags) {
		regs[n].name = HV_X64_REGISTER_RFLAGS;
		regs[n++].value.reg64 = st->rflags;
	}
	if (st->rip != old->rip) {
		regs[n].name = HV_X64_REGISTER_RIP;
		regs[n++].value.reg64 = st->rip;
	}
	if (n == 0) {
		if (hv_status)
			*hv_status = HV_STATUS_SUCCESS;
		return 0;
	}
	return mshv_vcpu_set_registers(vcpu, regs, n, hv_status);
}

/*
 * Decode, emulate, write back: the shared part of the two entry points
 * (string_io: only INS and OUTS are the intercepted instruction).
 */
MSHV_INLINE int mshv__vcpu_emulate(struct mshv_vcpu *vcpu, const struct hv_x64_intercept_message_header *hdr,
				   const __u8 *bytes, unsigned int count, const struct mshv_x86_emulator_ops *ops, void *ctx,
				   struct mshv_x86_emulator_state *st, struct mshv_x86_insn *insn, int string_io,
				   const __u64 *gpa_hint, __u16 *hv_status)
{
	struct mshv_x86_emulator_state old;
	struct mshv__x86_env env;
	int ret, done;

	ret = mshv_x86_decode(bytes, count < 16 ? count : 16, mshv_x86_mode_of(hdr), insn);
	if (ret < 0)
		return ret;
	if (string_io && insn->op != MSHV_X86_OP_INS && insn->op != MSHV_X86_OP_OUTS)
		return -EINVAL;
	ret = mshv__vcpu_emulator_load(vcpu, st, hv_status);
	if (ret < 0)
		return ret;
	st->rip = hdr->rip;
	st->rflags = hdr->rflags;
	/*
	 * A memory intercept without its GVA: an instruction with one memory
	 * operand inside one page faulted on that page, at the GPA the
	 * message gives (a string instruction's, or a BT with a register bit
	 * offset, are translated instead).
	 */
	if (gpa_hint && !st->known_valid && !(insn->flags & MSHV_X86_INSN_STRING) &&
	    !(insn->op >= MSHV_X86_OP_BT && insn->op <= MSHV_X86_OP_BTC && !(insn->flags & MSHV_X86_INSN_IMM))) {
		__u64 la = mshv__x86_linear(st, insn->mode, insn->segment, mshv_x86_insn_address(insn, st->gpr, st->rip));

		if ((la & 0xfff) == (*gpa_hint & 0xfff) && (la & 0xfff) + insn->mem_size <= 4096) {
			st->known_gva = la;
			st->known_gpa = *gpa_hint;
			st->known_valid = 1;
		}
	}
	old = *st;
	mshv__x86_zero(&env, (unsigned int)sizeof(env));
	env.ops = ops;
	env.ctx = ctx;
	env.translate = ops->translate ? ops->translate : mshv__vcpu_translate_for_emulator;
	env.translate_ctx = ops->translate ? ctx : (void *)vcpu;
	env.mode = insn->mode;
	done = mshv__x86_emulate(st, insn, &env);
	if (done < 0)
		return done;
	ret = mshv__vcpu_emulator_store(vcpu, st, &old, hv_status);
	return ret < 0 ? ret : done;
}

/*
 * mshv_vcpu_emulate_mmio - complete a memory intercept (HVMSG_UNMAPPED_GPA,
 * HVMSG_GPA_INTERCEPT) by emulating its instruction: decode the message's
 * instruction bytes (mshv_x86_decode, in the mode mshv_x86_mode_of gives),
 * read the VP's registers, carry the instruction out (mshv_x86_emulate:
 * the device through ops->mmio_read/mmio_write with the GPA, guest RAM
 * through ops->guest_ram) and write back the registers it changed and RIP.
 * The intercepted page's translation comes from the message (its GVA and
 * GPA; without the GVA, the operand's address and the GPA); another page
 * (a string instruction's other operand, an access crossing a page) goes
 * through ops->translate, or mshv_vcpu_translate_gva when that is NULL.
 * With the register page valid (after MSHV_RUN_VP) it reads and writes the
 * registers there: a MOV, or any instruction on one page, issues no
 * system call; otherwise one HVCALL_GET_VP_REGISTERS and one
 * HVCALL_SET_VP_REGISTERS. decoded (may be NULL, as may ctx) receives the
 * decoded instruction, for the caller's log or its reason
 * (decoded->reject) when it was refused. Returns MSHV_X86_EMULATE_DONE, MSHV_X86_EMULATE_AGAIN (a
 * REP chunk: run the VP, it comes back for the rest), or -errno: -EINVAL
 * (vcpu, msg or ops NULL, not a memory intercept, an instruction
 * fetch's), the decoder's -ENODATA, -EILSEQ,
 * -EOPNOTSUPP, -EOPNOTSUPP for a missing callback, -EFAULT (a guest page
 * that does not translate), a callback's error, or the register calls'
 * (hypercall errors as in Hypercall status). On an error the VP's
 * registers are not changed.
 * Errors: -EINVAL (vcpu, msg or ops NULL, not a memory intercept, an
 * instruction fetch), the decoder's -ENODATA, -EILSEQ, -EOPNOTSUPP,
 * -EOPNOTSUPP (a missing callback), -EFAULT (a page that does not translate),
 * a callback's -errno; kernel: those of mshv_vcpu_get_registers(),
 * mshv_vcpu_set_registers() and mshv_vcpu_translate_gva(); hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_emulate_mmio(struct mshv_vcpu *vcpu, const struct hv_message *msg,
				       const struct mshv_x86_emulator_ops *ops, void *ctx, struct mshv_x86_insn *decoded,
				       __u16 *hv_status)
{
	const struct hv_x64_memory_intercept_message *mem = mshv_msg_memory(msg);
	struct mshv_x86_emulator_state st;
	struct mshv_x86_insn local;
	__u64 gpa;

	/* an instruction fetch from a page that is not RAM has no data access to emulate */
	if (!vcpu || !mem || !ops || mem->header.intercept_access_type == HV_INTERCEPT_ACCESS_EXECUTE)
		return mshv__einval(hv_status);
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	gpa = mem->guest_physical_address;
	memset(&st, 0, sizeof(st));
	if (mem->memory_access_info.gva_valid) {
		st.known_gva = mem->guest_virtual_address;
		st.known_gpa = mem->guest_physical_address;
		st.known_valid = 1;
	}
	return mshv__vcpu_emulate(vcpu, &mem->header, mem->instruction_bytes, mem->instruction_byte_count, ops, ctx,
				  &st, decoded ? decoded : &local, 0, &gpa, hv_status);
}

/*
 * mshv_vcpu_emulate_string_io - complete a string port-IO intercept
 * (HVMSG_X64_IO_PORT_INTERCEPT with access_info.string_op: INS, OUTS, with
 * or without REP) by emulating its instruction from the message's bytes:
 * ports through ops->port_read/port_write, guest memory through
 * ops->guest_ram or the MMIO callbacks, each page translated by
 * ops->translate or mshv_vcpu_translate_gva (one hypercall or ioctl per
 * page). A REP form moves at most MSHV_X86_REP_CHUNK elements per call.
 * Registers as mshv_vcpu_emulate_mmio. Returns MSHV_X86_EMULATE_DONE,
 * MSHV_X86_EMULATE_AGAIN, or -errno: -EINVAL (vcpu, msg or ops NULL, not
 * a string port-IO intercept, or bytes that are not INS/OUTS), and the
 * errors of mshv_vcpu_emulate_mmio.
 * Errors: -EINVAL (vcpu, msg or ops NULL, not a string port-IO intercept,
 * bytes not INS/OUTS), and those of mshv_vcpu_emulate_mmio().
 */
MSHV_INLINE int mshv_vcpu_emulate_string_io(struct mshv_vcpu *vcpu, const struct hv_message *msg,
					    const struct mshv_x86_emulator_ops *ops, void *ctx, struct mshv_x86_insn *decoded,
					    __u16 *hv_status)
{
	const struct hv_x64_io_port_intercept_message *io = mshv_msg_io_port(msg);
	struct mshv_x86_emulator_state st;
	struct mshv_x86_insn local;

	if (!vcpu || !io || !ops || !io->access_info.string_op)
		return mshv__einval(hv_status);
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	memset(&st, 0, sizeof(st));
	return mshv__vcpu_emulate(vcpu, &io->header, io->instruction_bytes, io->instruction_byte_count, ops, ctx, &st,
				  decoded ? decoded : &local, 1, NULL, hv_status);
}

#endif /* MSHV_IMPLEMENTATION */

#endif /* MSHV_X86_64_H */

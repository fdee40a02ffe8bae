/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_x86_64.h - the x86_64-only part of mshv.h's kernel interface.
 *
 * mshv.h includes this file on x86_64; including it directly is the same as
 * including mshv.h. The hypervisor's x86_64 definitions (HV_X64_REGISTER_*,
 * hv_x64_* intercept messages, the VP register page) are in mshv_hv_defs.h.
 */
#include "mshv.h" /* which includes this file back, at the right place */

#ifndef MSHV_X86_64_H
#define MSHV_X86_64_H

#if !defined(__x86_64__)
#error "mshv_x86_64.h is for x86_64 builds; include mshv.h, which picks the architecture"
#endif

/* The x86_64-only request numbers, for mshv.h's MSHV_IOCTL_NAMES. */
#define MSHV_IOCTL_NAMES_ARCH(X) \
	X(MSHV_VP_REGISTER_INTERCEPT_RESULT, sizeof(struct mshv_register_intercept_result))

#ifdef MSHV__DEFINES_DOWNSTREAM_ABI

/*
 * Downstream MSHV_CREATE_PARTITION argument with CPU feature banks
 * (pt_cpu_fbanks, 1 << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES in pt_flags) and
 * the XSAVE features to disable.
 */
struct mshv_create_partition_v2 {
	__u64 pt_flags;
	__u64 pt_isolation;
	__u16 pt_num_cpu_fbanks;
	__u8 pt_rsvd[6];
	__u64 pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
	__u64 pt_rsvd1[2];
	__u64 pt_disabled_xsave;
} MSHV_PACKED;

/* Argument of MSHV_VP_REGISTER_INTERCEPT_RESULT (CPUID and MSR results). */
struct mshv_register_intercept_result {
	__u32 intercept_type; /* HV_INTERCEPT_TYPE_X64_CPUID or _MSR */
	union hv_register_intercept_result_parameters parameters;
};

/* VP fd */
#define MSHV_VP_REGISTER_INTERCEPT_RESULT \
	_IOW(MSHV_IOCTL, 0xF3, struct mshv_register_intercept_result)

#endif /* MSHV__DEFINES_DOWNSTREAM_ABI */

#endif /* MSHV_X86_64_H */

/* ========================================================================
 * MSRs and the hypervisor registers that hold them (bindings)
 * ======================================================================== */
#ifndef MSHV_X86_64_MSR_MAP
#define MSHV_X86_64_MSR_MAP 1

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

#endif /* MSHV_X86_64_MSR_MAP */

/* ========================================================================
 * The x86_64 part of the ioctl layer (mshv.h includes this file a second
 * time, after its own ioctl layer)
 * ======================================================================== */
#if defined(MSHV__ARCH_IOCTL_LAYER) && !defined(MSHV_X86_64_IOCTL_LAYER)
#define MSHV_X86_64_IOCTL_LAYER 1

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
 * req->control.interrupt_type (HV_X64_INTERRUPT_TYPE_*) to
 * the APIC id req->dest_addr. Reserved control bits and req->rsvd must be
 * zero (mshv-ioctls' long_mode flag sets control bit 62, reserved in
 * union hv_interrupt_control: refused here). Returns 0 or -errno.
 */
MSHV_INLINE int mshv_vm_request_virtual_interrupt(struct mshv_vm *vm, const struct mshv_assert_interrupt *req,
						  __u16 *hv_status)
{
	struct hv_input_assert_virtual_interrupt in;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (req->control.rsvd || req->rsvd)
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
 * receives whether the flag was clear before. Returns 0 or -errno.
 */
MSHV_INLINE int mshv_vm_signal_event_direct(struct mshv_vm *vm, struct mshv_signal_event_direct *args,
					    __u16 *hv_status)
{
	struct hv_input_signal_event_direct in;
	struct hv_output_signal_event_direct out;
	int ret;

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
 * mshv_vm_post_message_direct - HVCALL_POST_MESSAGE_DIRECT (MSHV_ROOT_HVCALL
 * on the partition fd): posts args->length bytes at args->message (at most
 * HV_MESSAGE_SIZE, a whole struct hv_message) to SINT args->sint of VP
 * args->vp (VTL args->vtl). Returns 0 or -errno.
 */
MSHV_INLINE int mshv_vm_post_message_direct(struct mshv_vm *vm, const struct mshv_post_message_direct *args,
					    __u16 *hv_status)
{
	struct hv_input_post_message_direct in;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (args->length > HV_MESSAGE_SIZE || (args->length && !args->message))
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
 * *count-on-input entries). Returns 0 or -E2BIG.
 */
MSHV_INLINE int mshv_system_get_msr_index_list(struct mshv_system *sys, __u32 *indices, unsigned int *count)
{
	(void)sys;
	return mshv__msr_index_list(indices, count, 1, 0, 0, 0, 0);
}

/*
 * mshv_vm_get_msr_index_list - the MSRs of this partition: the common list,
 * plus those its processor, XSAVE and synthetic features enable (read with
 * HVCALL_GET_PARTITION_PROPERTY on the partition fd:
 * PROCESSOR_XSAVE_FEATURES, PROCESSOR_FEATURES0/1,
 * SYNTHETIC_PROC_FEATURES). *count as for
 * mshv_system_get_msr_index_list(). Returns 0 or -errno.
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

	for (i = 0; i < 4; i++) {
		ret = mshv_vm_get_partition_property(vm, codes[i], &v[i], hv_status);
		if (ret < 0)
			return ret;
	}
	return mshv__msr_index_list(indices, count, 0, v[1], v[2], v[0], v[3]);
}

/*
 * mshv_vcpu_get_msrs - the MSRs msrs[i].index into msrs[i].data, i < count,
 * through their hypervisor registers (mshv_x86_msr_to_register; one
 * without gives -EINVAL before any call) and mshv_vcpu_get_registers()
 * in chunks. Returns count, or -errno.
 */
MSHV_INLINE int mshv_vcpu_get_msrs(struct mshv_vcpu *vcpu, struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV_SET_REGISTERS_PER_CALL];
	size_t done, n, i;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!count || !msrs || count > 0x7fffffff)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (!mshv_x86_msr_to_register(msrs[i].index))
			return -EINVAL;
	for (done = 0; done < count; done += n) {
		n = count - done < MSHV_SET_REGISTERS_PER_CALL ? count - done : MSHV_SET_REGISTERS_PER_CALL;
		memset(regs, 0, sizeof(regs[0]) * n);
		for (i = 0; i < n; i++)
			regs[i].name = mshv_x86_msr_to_register(msrs[done + i].index);
		ret = mshv_vcpu_get_registers(vcpu, regs, n, hv_status);
		if (ret < 0)
			return ret;
		for (i = 0; i < n; i++)
			msrs[done + i].data = regs[i].value.reg64;
	}
	return (int)count;
}

/* mshv_vcpu_set_msrs - set msrs[i].index = msrs[i].data, i < count, as above. Returns count, or -errno. */
MSHV_INLINE int mshv_vcpu_set_msrs(struct mshv_vcpu *vcpu, const struct mshv_msr_entry *msrs, size_t count,
				   __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV_SET_REGISTERS_PER_CALL];
	size_t done, n, i;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!count || !msrs || count > 0x7fffffff)
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
		ret = mshv_vcpu_set_registers(vcpu, regs, n, hv_status);
		if (ret < 0)
			return ret;
	}
	return (int)count;
}

#endif /* MSHV_IMPLEMENTATION */

#endif /* MSHV__ARCH_IOCTL_LAYER */

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_arm64.h - the arm64 part of mshv.h: typed views of the arm64
 * intercept messages (bindings layer), the core register set and the
 * arm64 functions of the ioctl layer.
 *
 * mshv.h includes this file once, at its end, on arm64: include mshv.h, not
 * this file. The hypervisor's arm64 definitions (HV_ARM64_REGISTER_*,
 * hv_arm64_* intercept messages) are in mshv_hv_defs.h.
 */
#ifndef MSHV_H
#error "mshv_arm64.h is a part of mshv.h: include mshv.h instead"
#endif
#if !defined(__aarch64__)
#error "mshv_arm64.h is for arm64 (aarch64) builds; include mshv.h, which picks the architecture"
#endif

/* Nothing more without mshv.h: one #error, not a cascade. */
#if defined(MSHV_H) && !defined(MSHV_ARM64_H)
#define MSHV_ARM64_H

/* ---- typed views of intercept messages (NULL when the type differs) ---- */
/* mshv_msg_memory: HVMSG_UNMAPPED_GPA, HVMSG_GPA_INTERCEPT, HVMSG_UNACCEPTED_GPA */
MSHV__MESSAGE_VIEW(memory, hv_arm64_memory_intercept_message,
		   t == HVMSG_UNMAPPED_GPA || t == HVMSG_GPA_INTERCEPT || t == HVMSG_UNACCEPTED_GPA)
/* mshv_msg_reset: HVMSG_ARM64_RESET_INTERCEPT */
MSHV__MESSAGE_VIEW(reset, hv_arm64_reset_intercept_message, t == HVMSG_ARM64_RESET_INTERCEPT)
/* mshv_msg_hypercall: HVMSG_HYPERCALL_INTERCEPT */
MSHV__MESSAGE_VIEW(hypercall, hv_arm64_hypercall_intercept_message, t == HVMSG_HYPERCALL_INTERCEPT)
/* mshv_msg_unrecoverable_exception: HVMSG_UNRECOVERABLE_EXCEPTION */
MSHV__MESSAGE_VIEW(unrecoverable_exception, hv_arm64_unrecoverable_exception_message,
		   t == HVMSG_UNRECOVERABLE_EXCEPTION)

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * The instruction bytes a memory intercept carries: *bytes points at them;
 * returns how many (at most 4, whatever the message's count says), 0 for
 * other messages (and a NULL msg or bytes).
 * Errors: none (0: no bytes).
 */
MSHV_HOT_INLINE unsigned int mshv_msg_instruction_bytes(const struct hv_message *msg, const __u8 **bytes)
{
	const struct hv_arm64_memory_intercept_message *mem = mshv_msg_memory(msg);
	unsigned int n;

	if (!bytes)
		return 0;
	*bytes = NULL;
	if (!mem)
		return 0;
	*bytes = mem->instruction_bytes;
	n = mem->instruction_byte_count;
	return n < sizeof(mem->instruction_bytes) ? n : (unsigned int)sizeof(mem->instruction_bytes);
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/* ---- memory intercepts: the data abort's syndrome (bindings) ---------------- */

/*
 * A load or store, as a data abort's syndrome (ESR_ELx, its ISS valid)
 * describes it: what the VMM needs to emulate an MMIO access without
 * decoding the instruction.
 */
struct mshv_arm64_mmio_access {
	__u8 size;            /* bytes: 1, 2, 4 or 8 (ISS.SAS) */
	__u8 reg;             /* the transfer register Xt/Wt, 0-30; 31 is XZR/WZR (ISS.SRT) */
	__u8 sign_extend;     /* a load sign-extends the value to the register (ISS.SSE) */
	__u8 reg64;           /* the register is Xt, not Wt (ISS.SF) */
	__u8 write;           /* a store (ISS.WnR) */
	__u8 acquire_release; /* LDAR/STLR and kin (ISS.AR) */
	__u8 insn_length;     /* 4, or 2 for a 16-bit T32 instruction (IL) */
	__u8 reserved;
};

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * mshv_arm64_decode_data_abort - the access of a data abort from its
 * syndrome (a memory intercept's `syndrome`: exception class 0x24 or 0x25)
 * into *a. Issues nothing. Returns 0, -EINVAL (not a data abort's
 * syndrome, or a NULL), or -EOPNOTSUPP (ISV clear: the syndrome does not
 * describe the access, as for LDP/STP, writeback or SIMD forms; the
 * instruction itself would have to be decoded).
 * Errors: -EINVAL (a NULL, not a data abort), -EOPNOTSUPP (ISV clear).
 */
MSHV_INLINE int mshv_arm64_decode_data_abort(__u64 syndrome, struct mshv_arm64_mmio_access *a)
{
	unsigned int ec = (unsigned int)(syndrome >> 26) & 0x3f;

	if (!a || (ec != 0x24 && ec != 0x25))
		return -EINVAL;
	if (!(syndrome & (1ull << 24)))
		return -EOPNOTSUPP;
	a->size = (__u8)(1u << ((syndrome >> 22) & 3));
	a->sign_extend = (__u8)((syndrome >> 21) & 1);
	a->reg = (__u8)((syndrome >> 16) & 0x1f);
	a->reg64 = (__u8)((syndrome >> 15) & 1);
	a->acquire_release = (__u8)((syndrome >> 14) & 1);
	a->write = (__u8)((syndrome >> 6) & 1);
	a->insn_length = (syndrome & (1ull << 25)) ? 4 : 2;
	a->reserved = 0;
	return 0;
}

/*
 * mshv_arm64_mmio_load_value - what a load of `data` (the device's value,
 * its low a->size bytes) leaves in the register: sign- or zero-extended as
 * the access says, a W register's upper half zero. Issues nothing;
 * returns the register's new value (0 for a NULL a).
 * Errors: none (0 for a NULL a).
 */
MSHV_INLINE __u64 mshv_arm64_mmio_load_value(const struct mshv_arm64_mmio_access *a, __u64 data)
{
	unsigned int bits;

	if (!a)
		return 0;
	bits = 8u * (a->size <= 8 ? a->size : 8);

	if (bits < 64) {
		data &= (1ull << bits) - 1;
		if (a->sign_extend && (data >> (bits - 1)))
			data |= ~0ull << bits;
	}
	return a->reg64 ? data : data & 0xffffffffull;
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/* ========================================================================
 * Registers and the arm64 part of the ioctl layer
 * ======================================================================== */

/* The core registers (mshv-bindings' aarch64 StandardRegisters). */
struct mshv_standard_registers {
	__u64 regs[31]; /* X0-X28, FP (X29), LR (X30) */
	__u64 sp, pc, pstate, sp_el1, elr_el1, fpsr, fpcr;
};

/*
 * The system registers a VMM saves and restores, as mshv-ioctls' aarch64
 * get_reg_list lists them (PAR_EL1 appears twice there: once here).
 */
#define MSHV_ARM64_REG_LIST(X)                                                                          \
	X(HV_ARM64_REGISTER_CNTVCT_EL0) X(HV_ARM64_REGISTER_PAR_EL1) X(HV_ARM64_REGISTER_SPSR_EL1)          \
	X(HV_ARM64_REGISTER_MPIDR_EL1) X(HV_ARM64_REGISTER_MIDR_EL1) X(HV_ARM64_REGISTER_SCTLR_EL1)         \
	X(HV_ARM64_REGISTER_ACTLR_EL1) X(HV_ARM64_REGISTER_TCR_EL1) X(HV_ARM64_REGISTER_MAIR_EL1)           \
	X(HV_ARM64_REGISTER_TPIDR_EL1) X(HV_ARM64_REGISTER_AMAIR_EL1) X(HV_ARM64_REGISTER_TPIDRRO_EL0)      \
	X(HV_ARM64_REGISTER_TPIDR_EL0) X(HV_ARM64_REGISTER_CONTEXTIDR_EL1) X(HV_ARM64_REGISTER_CPACR_EL1)   \
	X(HV_ARM64_REGISTER_CSSELR_EL1) X(HV_ARM64_REGISTER_CNTKCTL_EL1) X(HV_ARM64_REGISTER_CNTV_CTL_EL0)  \
	X(HV_ARM64_REGISTER_CNTV_CVAL_EL0) X(HV_ARM64_REGISTER_TTBR0_EL1) X(HV_ARM64_REGISTER_TTBR1_EL1)    \
	X(HV_ARM64_REGISTER_VBAR_EL1) X(HV_ARM64_REGISTER_ESR_EL1) X(HV_ARM64_REGISTER_FAR_EL1)             \
	X(HV_ARM64_REGISTER_SP_EL0) X(HV_ARM64_REGISTER_SP_EL1) X(HV_ARM64_REGISTER_AFSR0_EL1)              \
	X(HV_ARM64_REGISTER_AFSR1_EL1) X(HV_ARM64_REGISTER_SYNTHETIC_VBAR_EL1)                              \
	X(HV_REGISTER_PENDING_EVENT0) X(HV_REGISTER_PENDING_EVENT1) X(HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) \
	X(HV_REGISTER_INTERNAL_ACTIVITY_STATE)

/* ========================================================================
 * Prototypes of the arm64 functions (MSHV_INLINE_DECL_ONLY)
 * ======================================================================== */
#if defined(MSHV_INLINE_DECL_ONLY) || defined(MSHV__CHECK_PROTOTYPES)
MSHV_HOT_INLINE unsigned int mshv_msg_instruction_bytes(const struct hv_message *msg, const __u8 **bytes);
MSHV_INLINE int mshv_arm64_decode_data_abort(__u64 syndrome, struct mshv_arm64_mmio_access *a);
MSHV_INLINE __u64 mshv_arm64_mmio_load_value(const struct mshv_arm64_mmio_access *a, __u64 data);
#if defined(MSHV_IMPLEMENTATION) || defined(MSHV_INLINE_DECL_ONLY)
MSHV_INLINE int mshv_vcpu_get_reg_list(struct mshv_vcpu *vcpu, __u32 *names, unsigned int *count);
MSHV_INLINE int mshv_vcpu_get_regs(struct mshv_vcpu *vcpu, struct mshv_standard_registers *r, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_regs(struct mshv_vcpu *vcpu, const struct mshv_standard_registers *r, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_mmio_store_value(struct mshv_vcpu *vcpu, const struct hv_message *msg, __u64 *value,
					   __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_complete_mmio(struct mshv_vcpu *vcpu, const struct hv_message *msg, __u64 value,
					__u16 *hv_status);
#endif
#endif /* MSHV_INLINE_DECL_ONLY || MSHV__CHECK_PROTOTYPES */

#if defined(MSHV_IMPLEMENTATION) && !defined(MSHV_INLINE_DECL_ONLY)

/*
 * mshv_vcpu_get_reg_list - the names of MSHV_ARM64_REG_LIST into
 * names[0..*count) (*count: capacity in, number out; -E2BIG when too
 * small). No system call. Returns 0, -E2BIG or -EINVAL (a NULL pointer).
 * Errors: -EINVAL (a NULL pointer), -E2BIG (*count too small: *count says how
 * many are needed).
 */
MSHV_INLINE int mshv_vcpu_get_reg_list(struct mshv_vcpu *vcpu, __u32 *names, unsigned int *count)
{
#define MSHV__REG_NAME(name) (__u32)(name),
	static const __u32 list[] = { MSHV_ARM64_REG_LIST(MSHV__REG_NAME) };
#undef MSHV__REG_NAME
	unsigned int n = sizeof(list) / sizeof(list[0]), cap;

	if (!vcpu || !names || !count)
		return -EINVAL;
	cap = *count;
	*count = n;
	if (cap < n)
		return -E2BIG;
	memcpy(names, list, sizeof(list));
	return 0;
}

/* The 38 names of struct mshv_standard_registers, in its order. */
MSHV_INLINE void mshv__arm64_standard_names(struct hv_register_assoc *regs)
{
	static const __u32 tail[7] = { HV_ARM64_REGISTER_SP,      HV_ARM64_REGISTER_PC,	   HV_ARM64_REGISTER_PSTATE,
				       HV_ARM64_REGISTER_SP_EL1,  HV_ARM64_REGISTER_ELR_EL1, HV_ARM64_REGISTER_FPSR,
				       HV_ARM64_REGISTER_FPCR };
	unsigned int i;

	memset(regs, 0, sizeof(regs[0]) * 38);
	for (i = 0; i < 29; i++)
		regs[i].name = HV_ARM64_REGISTER_X0 + i;
	regs[29].name = HV_ARM64_REGISTER_FP;
	regs[30].name = HV_ARM64_REGISTER_LR;
	for (i = 0; i < 7; i++)
		regs[31 + i].name = tail[i];
}

/*
 * mshv_vcpu_get_regs - X0-X30, SP, PC, PSTATE, SP_EL1, ELR_EL1, FPSR, FPCR:
 * one HVCALL_GET_VP_REGISTERS. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_regs(struct mshv_vcpu *vcpu, struct mshv_standard_registers *r, __u16 *hv_status)
{
	struct hv_register_assoc regs[38];
	__u64 v[38];
	unsigned int i;
	int ret;

	if (!vcpu || !r)
		return mshv__einval(hv_status);
	mshv__arm64_standard_names(regs);
	ret = mshv_vcpu_get_registers(vcpu, regs, 38, hv_status);
	if (ret < 0)
		return ret;
	for (i = 0; i < 38; i++)
		v[i] = regs[i].value.reg64;
	memcpy(r, v, sizeof(*r));
	return 0;
}

/*
 * mshv_vcpu_set_regs - set them: one HVCALL_SET_VP_REGISTERS. Returns 0 or
 * -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_regs(struct mshv_vcpu *vcpu, const struct mshv_standard_registers *r, __u16 *hv_status)
{
	struct hv_register_assoc regs[38];
	__u64 v[38];
	unsigned int i;

	if (!vcpu || !r)
		return mshv__einval(hv_status);
	memcpy(v, r, sizeof(v));
	mshv__arm64_standard_names(regs);
	for (i = 0; i < 38; i++)
		regs[i].value.reg64 = v[i];
	return mshv_vcpu_set_registers(vcpu, regs, 38, hv_status);
}

/* ---- completing a memory intercept from its syndrome ---------------------------- */

/* The memory intercept's access, or the error of its syndrome (bad input: before any system call). */
MSHV_INLINE int mshv__arm64_mmio_access(const struct hv_message *msg, struct mshv_arm64_mmio_access *a,
					const struct hv_arm64_memory_intercept_message **mem)
{
	*mem = mshv_msg_memory(msg);
	if (!*mem)
		return -EINVAL;
	return mshv_arm64_decode_data_abort((*mem)->syndrome, a);
}

/*
 * mshv_vcpu_mmio_store_value - the data of an intercepted store: the low
 * size bytes of its register (XZR/WZR: 0, no system call), through one
 * HVCALL_GET_VP_REGISTERS. Returns 0 or -errno: -EINVAL (a NULL pointer,
 * not a memory intercept with a data abort's syndrome, or a load), -EOPNOTSUPP (the
 * syndrome does not describe the access), hypercall errors as in
 * Hypercall status.
 * Errors: -EINVAL (a NULL pointer, not a memory intercept with a data abort's
 * syndrome, a load), -EOPNOTSUPP (ISV clear), and those of
 * mshv_vcpu_get_registers(); hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_mmio_store_value(struct mshv_vcpu *vcpu, const struct hv_message *msg, __u64 *value,
					   __u16 *hv_status)
{
	const struct hv_arm64_memory_intercept_message *mem;
	struct mshv_arm64_mmio_access a;
	union hv_register_value v;
	int ret;

	if (!vcpu || !value)
		return mshv__einval(hv_status);
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	ret = mshv__arm64_mmio_access(msg, &a, &mem);
	if (ret < 0)
		return ret;
	if (!a.write)
		return -EINVAL;
	*value = 0;
	if (a.reg == 31)
		return 0;
	ret = mshv_vcpu_get_register(vcpu, HV_ARM64_REGISTER_X0 + a.reg, &v, hv_status);
	if (ret == 0)
		*value = a.size == 8 ? v.reg64 : v.reg64 & ((1ull << (8 * a.size)) - 1);
	return ret;
}

/*
 * mshv_vcpu_complete_mmio - finish a memory intercept the VMM emulated
 * from its syndrome: a load puts `value` (the device's data, its low size
 * bytes) into the register as the CPU would (mshv_arm64_mmio_load_value;
 * XZR/WZR: dropped), a store needs nothing more; then PC moves past the
 * instruction. One HVCALL_SET_VP_REGISTERS (arm64 has no register page).
 * Returns 0 or -errno: -EINVAL (a NULL pointer, not a memory intercept
 * with a data abort's syndrome), -EOPNOTSUPP (the syndrome does not describe the access: the
 * VMM must decode the instruction), hypercall errors as in Hypercall
 * status.
 * Errors: -EINVAL (a NULL pointer, not a memory intercept with a data abort's
 * syndrome), -EOPNOTSUPP (ISV clear), and those of mshv_vcpu_set_registers();
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_complete_mmio(struct mshv_vcpu *vcpu, const struct hv_message *msg, __u64 value,
					__u16 *hv_status)
{
	const struct hv_arm64_memory_intercept_message *mem;
	struct mshv_arm64_mmio_access a;
	struct hv_register_assoc regs[2];
	unsigned int n = 0;
	int ret;

	if (!vcpu)
		return mshv__einval(hv_status);
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	ret = mshv__arm64_mmio_access(msg, &a, &mem);
	if (ret < 0)
		return ret;
	memset(regs, 0, sizeof(regs));
	if (!a.write && a.reg != 31) {
		regs[n].name = HV_ARM64_REGISTER_X0 + a.reg;
		regs[n++].value.reg64 = mshv_arm64_mmio_load_value(&a, value);
	}
	regs[n].name = HV_ARM64_REGISTER_PC;
	regs[n++].value.reg64 = mem->header.pc + a.insn_length;
	return mshv_vcpu_set_registers(vcpu, regs, n, hv_status);
}

#endif /* MSHV_IMPLEMENTATION */

#endif /* MSHV_ARM64_H */

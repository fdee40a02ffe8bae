/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the VP's registers as the hypervisor names them
 * (HV_X64_REGISTER_*, HV_REGISTER_*), the state blobs of
 * MSHV_GET/SET_VP_STATE, the register page shared with the VMM, and the
 * architectural reset state. Register values live in unicorn's CPU state
 * (reached through the pointers of struct sim_x86_vcpu and the
 * sim_x86__ functions of unicorn_hooks.c), the local APIC and the MSRs
 * the hypervisor owns.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "x86_cpu_internal.h"

/* ---------------------------------------------------------------------
 * Reset state
 * --------------------------------------------------------------------- */
static void set_seg_raw(struct sim_x86_vcpu *vp, int s, uint16_t sel, uint64_t base, uint32_t limit,
			uint16_t attr)
{
	struct hv_x64_segment_register h = {.base = base, .limit = limit, .selector = sel};
	h.attributes = attr;
	sim_x86__set_segment(vp, s, &h);
}

void sim_x86__reset_state(struct sim_x86_vcpu *vp)
{
	uint64_t *r = regs(vp);
	memset(r, 0, 16 * 8);
	*vp->rip = 0xfff0;
	*vp->rflags = 0x2;
	for (int i = 0; i < 6; i++)
		set_seg_raw(vp, i, 0, 0, 0xffff, 0x93);
	set_seg_raw(vp, S_CS, 0xf000, 0xffff0000ull, 0xffff, 0x9b);
	set_seg_raw(vp, S_LDTR, 0, 0, 0xffff, 0x82);
	set_seg_raw(vp, S_TR, 0, 0, 0xffff, 0x89); /* read as 0x8b: see tr_valid() */
	set_seg_raw(vp, S_GDTR, 0, 0, 0xffff, 0);
	set_seg_raw(vp, S_IDTR, 0, 0, 0xffff, 0);
	for (int i = 0; i < 5; i++)
		vp->cr[i] = 0;
	vp->cr[0] = 0x60000010ull;
	*vp->efer = 0;
	for (int i = 0; i < 8; i++)
		vp->dr[i] = 0;
	vp->dr[6] = 0xffff0ff0ull;
	vp->dr[7] = 0x400;
	sim_x86__reset_hflags(vp);
	uint32_t mxcsr = 0x1f80;
	uint16_t fpcw = 0x37f;
	uint64_t pat = 0x0007040600070406ull;
	uc_x86_msr m = {.rid = 0x277, .value = pat};
	uc_reg_write(vp->uc, UC_X86_REG_MXCSR, &mxcsr);
	uc_reg_write(vp->uc, UC_X86_REG_FPCW, &fpcw);
	uc_reg_write(vp->uc, UC_X86_REG_MSR, &m);
	uint64_t zero64 = 0;
	uint16_t zero16 = 0;
	uc_reg_write(vp->uc, UC_X86_REG_FOP, &zero16);
	uc_reg_write(vp->uc, UC_X86_REG_FIP, &zero64);
	uc_reg_write(vp->uc, UC_X86_REG_FCS, &zero16);
	uc_reg_write(vp->uc, UC_X86_REG_FDP, &zero64);
	uc_reg_write(vp->uc, UC_X86_REG_FDS, &zero16);
	/*
	 * XCR0: x87 and SSE enabled, what unicorn's reset leaves and what the
	 * simulator has always reported (the architectural RESET value is 1;
	 * VMMs set XCR0 themselves).
	 */
	*vp->xcr0 = XCR0_X87 | XCR0_SSE;
	uint8_t z[16] = {0};
	for (int i = 0; i < 16; i++)
		uc_reg_write(vp->uc, UC_X86_REG_XMM0 + i, z);
	sim_x86__apic_reset(vp);
	sim_x86__tlb_flush(vp);
}

/* ---------------------------------------------------------------------
 * Registers by hypervisor name
 * --------------------------------------------------------------------- */
static int seg_of(uint32_t name, int *s)
{
	switch (name) {
	case HV_X64_REGISTER_ES: case HV_X64_REGISTER_CS: case HV_X64_REGISTER_SS:
	case HV_X64_REGISTER_DS: case HV_X64_REGISTER_FS: case HV_X64_REGISTER_GS:
		*s = S_ES + (int)(name - HV_X64_REGISTER_ES);
		return 1;
	case HV_X64_REGISTER_LDTR:
		*s = S_LDTR;
		return 1;
	case HV_X64_REGISTER_TR:
		*s = S_TR;
		return 1;
	}
	return 0;
}

/*
 * TR. The processor's TR holds a busy TSS: LTR and task switches mark the
 * descriptor busy, the reset state is type 11 (32-bit busy TSS), and Intel's
 * VM entry requires type 3 or 11, S = 0 and P = 1 (SDM vol. 3C 27.3.1.2).
 * QEMU's segment cache holds the type as it was before LTR marked it busy
 * (1 or 9), and its interrupt delivery through a TSS ends the process
 * (cpu_abort: "invalid tss type" for any other type outside IA-32e mode,
 * "invalid tss" when not present, IA-32e mode too). So the cache keeps the
 * available type and the registers read back the busy one; a VMM's TR that
 * is not a present TSS of one of those four types is refused with
 * HV_STATUS_INVALID_REGISTER_VALUE, as VM entry would refuse it. (AMD's
 * VMRUN does not check TR; what its delivery would make of such a TR is not
 * documented, so Intel's rule it is.) The available types 1 and 9 are
 * accepted as a VMM may write them, and read back busy.
 */
static bool tr_valid(uint16_t attr)
{
	unsigned type = attr & 0xf;
	return (attr & 0x90) == 0x80 && (type == 1 || type == 3 || type == 9 || type == 11);
}

static uint32_t msr_of(uint32_t name)
{
	switch (name) {
	case HV_X64_REGISTER_TSC: return 0x10;
	case HV_X64_REGISTER_KERNEL_GS_BASE: return 0xc0000102;
	case HV_X64_REGISTER_PAT: return 0x277;
	case HV_X64_REGISTER_SYSENTER_CS: return 0x174;
	case HV_X64_REGISTER_SYSENTER_ESP: return 0x175;
	case HV_X64_REGISTER_SYSENTER_EIP: return 0x176;
	case HV_X64_REGISTER_STAR: return 0xc0000081;
	case HV_X64_REGISTER_LSTAR: return 0xc0000082;
	case HV_X64_REGISTER_CSTAR: return 0xc0000083;
	case HV_X64_REGISTER_SFMASK: return 0xc0000084;
	case HV_X64_REGISTER_TSC_AUX: return 0xc0000103;
	case HV_X64_REGISTER_MSR_MTRR_DEF_TYPE: return 0x2ff;
	case HV_X64_REGISTER_MSR_IA32_MISC_ENABLE: return 0x1a0;
	case HV_X64_REGISTER_MSR_MTRR_CAP: return 0xfe;
	case HV_X64_REGISTER_MSR_MTRR_FIX64K00000: return 0x250;
	case HV_X64_REGISTER_MSR_MTRR_FIX16K80000: return 0x258;
	case HV_X64_REGISTER_MSR_MTRR_FIX16KA0000: return 0x259;
	case HV_X64_REGISTER_TSC_ADJUST: return 0x3b;
	case HV_X64_REGISTER_DEBUG_CTL: return MSR_DEBUG_CTL;
	case HV_REGISTER_REFERENCE_TSC: return HV_MSR_REFERENCE_TSC;
	case HV_REGISTER_TIME_REF_COUNT: return HV_MSR_TIME_REF_COUNT;
	case HV_REGISTER_VP_ASSIST_PAGE: return HV_MSR_VP_ASSIST_PAGE;
	case HV_REGISTER_SCONTROL: return HV_MSR_SCONTROL;
	case HV_REGISTER_SIEFP: return HV_MSR_SIEFP;
	case HV_REGISTER_SIMP: return HV_MSR_SIMP;
	case HV_REGISTER_EOM: return HV_MSR_EOM;
	case HV_REGISTER_SVERSION: return HV_MSR_SVERSION;
	case HV_X64_REGISTER_HYPERCALL: return HV_MSR_HYPERCALL;
	}
	if (name >= HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 && name <= HV_X64_REGISTER_MSR_MTRR_FIX4KF8000)
		return 0x268 + (name - HV_X64_REGISTER_MSR_MTRR_FIX4KC0000);
	if (name >= HV_REGISTER_STIMER0_CONFIG && name <= HV_REGISTER_STIMER0_CONFIG + 7)
		return HV_MSR_STIMER0_CONFIG + (name - HV_REGISTER_STIMER0_CONFIG);
	if (name >= HV_REGISTER_SINT0 && name <= HV_REGISTER_SINT15)
		return HV_MSR_SINT0 + (name - HV_REGISTER_SINT0);
	if (name >= HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 && name <= HV_X64_REGISTER_MSR_MTRR_PHYS_BASE7)
		return 0x200 + 2 * (name - HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0);
	if (name >= HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 && name <= HV_X64_REGISTER_MSR_MTRR_PHYS_MASK7)
		return 0x201 + 2 * (name - HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0);
	return 0;
}

/*
 * The intermediate control registers are the VP's own while it runs no
 * nested guest, which is always here (nested virtualisation is not modelled).
 */
static uint32_t unnest(uint32_t name)
{
	if (name >= HV_X64_REGISTER_INTERMEDIATE_CR0 && name <= HV_X64_REGISTER_INTERMEDIATE_CR8 &&
	    name != HV_X64_REGISTER_INTERMEDIATE_CR0 + 1)
		return name - HV_X64_REGISTER_INTERMEDIATE_CR0 + HV_X64_REGISTER_CR0;
	return name;
}

uint64_t sim_x86_vcpu_get_register(struct sim_x86_vcpu *vp, uint32_t name, union hv_register_value *v)
{
	int sr;
	uint32_t m;
	name = unnest(name);
	memset(v, 0, sizeof(*v));
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		v->reg64 = regs(vp)[name - HV_X64_REGISTER_RAX];
		return 0;
	}
	if (name >= HV_X64_REGISTER_XMM0 && name <= HV_X64_REGISTER_XMM15) {
		memcpy(&v->reg128, vp->xmm + 64 * (name - HV_X64_REGISTER_XMM0), 16);
		return 0;
	}
	if (name >= HV_X64_REGISTER_FP_MMX0 && name <= HV_X64_REGISTER_FP_MMX7) {
		struct fp80 f;
		uc_reg_read(vp->uc, UC_X86_REG_FP0 + (int)(name - HV_X64_REGISTER_FP_MMX0), &f);
		v->fp.mantissa = f.mantissa;
		v->fp.biased_exponent = f.exponent & 0x7fff;
		v->fp.sign = f.exponent >> 15;
		return 0;
	}
	if (seg_of(name, &sr)) {
		sim_x86__get_segment(vp, sr, &v->segment);
		if (sr == S_TR && tr_valid(v->segment.attributes))
			v->segment.attributes |= 0x2; /* busy */
		return 0;
	}
	if ((m = msr_of(name))) {
		uc_x86_msr msr = {.rid = m};
		if (sim_x86__own_msr_read(vp, m, &v->reg64))
			return 0;
		uc_reg_read(vp->uc, UC_X86_REG_MSR, &msr);
		v->reg64 = msr.value;
		return 0;
	}
	switch (name) {
	case HV_X64_REGISTER_RIP: v->reg64 = *vp->rip; return 0;
	case HV_X64_REGISTER_RFLAGS: v->reg64 = *vp->rflags; return 0;
	case HV_X64_REGISTER_CR0: v->reg64 = cr(vp, 0); return 0;
	case HV_X64_REGISTER_CR2: v->reg64 = cr(vp, 2); return 0;
	case HV_X64_REGISTER_CR3: v->reg64 = cr(vp, 3); return 0;
	case HV_X64_REGISTER_CR4: v->reg64 = cr(vp, 4); return 0;
	case HV_X64_REGISTER_CR8: v->reg64 = (vp->apic[APIC_TPR] >> 4) & 0xf; return 0;
	case HV_X64_REGISTER_XFEM: v->reg64 = *vp->xcr0; return 0;
	case HV_X64_REGISTER_DR0: case HV_X64_REGISTER_DR1: case HV_X64_REGISTER_DR2: case HV_X64_REGISTER_DR3:
		v->reg64 = vp->dr[name - HV_X64_REGISTER_DR0];
		return 0;
	case HV_X64_REGISTER_DR6: v->reg64 = vp->dr[6]; return 0;
	case HV_X64_REGISTER_DR7: v->reg64 = vp->dr[7]; return 0;
	case HV_X64_REGISTER_IDTR:
	case HV_X64_REGISTER_GDTR:
		sim_x86__get_table(vp, name == HV_X64_REGISTER_IDTR ? S_IDTR : S_GDTR, &v->table);
		return 0;
	case HV_X64_REGISTER_EFER: v->reg64 = *vp->efer; return 0;
	case HV_X64_REGISTER_APIC_BASE: v->reg64 = vp->apic_base; return 0;
	case HV_X64_REGISTER_INITIAL_APIC_ID: v->reg64 = vp->vp_index; return 0;
	case HV_REGISTER_VP_INDEX: v->reg64 = vp->vp_index; return 0;
	case HV_REGISTER_GUEST_OS_ID: sim_x86__hv_msr_read(vp, HV_MSR_GUEST_OS_ID, &v->reg64); return 0;
	/*
	 * The two control/status registers are the first 32 bytes of the
	 * 64-bit FXSAVE image (FXSAVE64): FCW FSW FTW(abridged) FOP FIP, then
	 * FDP MXCSR MXCSR_MASK. FIP and FDP are the 64-bit offsets; that form
	 * has no FCS/FDS selectors.
	 */
	case HV_X64_REGISTER_FP_CONTROL_STATUS: {
		uint16_t cw, sw, tw, fop;
		uint64_t fip;
		uc_reg_read(vp->uc, UC_X86_REG_FPCW, &cw);
		uc_reg_read(vp->uc, UC_X86_REG_FPSW, &sw);
		uc_reg_read(vp->uc, UC_X86_REG_FPTAG, &tw);
		uc_reg_read(vp->uc, UC_X86_REG_FOP, &fop);
		uc_reg_read(vp->uc, UC_X86_REG_FIP, &fip);
		v->fp_control_status.fp_control = cw;
		v->fp_control_status.fp_status = sw;
		v->fp_control_status.fp_tag = sim_x86__abridged_tag(tw);
		v->fp_control_status.last_fp_op = fop;
		v->fp_control_status.last_fp_rip = fip;
		return 0;
	}
	case HV_X64_REGISTER_XMM_CONTROL_STATUS: {
		uint32_t mx;
		uint64_t fdp;
		uc_reg_read(vp->uc, UC_X86_REG_MXCSR, &mx);
		uc_reg_read(vp->uc, UC_X86_REG_FDP, &fdp);
		v->xmm_control_status.last_fp_rdp = fdp;
		v->xmm_control_status.xmm_status_control = mx;
		v->xmm_control_status.xmm_status_control_mask = MXCSR_MASK;
		return 0;
	}
	case HV_REGISTER_INTERRUPT_STATE:
		v->interrupt_state.interrupt_shadow = sim_x86__interrupt_shadow(vp);
		v->interrupt_state.nmi_masked = sim_x86__nmi_masked(vp);
		return 0;
	case HV_REGISTER_PENDING_INTERRUPTION:
		v->reg64 = vp->pend_intr;
		return 0;
	case HV_REGISTER_PENDING_EVENT0:
	case HV_REGISTER_PENDING_EVENT1:
		v->reg128.low_part = vp->pend_event[name - HV_REGISTER_PENDING_EVENT0][0];
		v->reg128.high_part = vp->pend_event[name - HV_REGISTER_PENDING_EVENT0][1];
		return 0;
	case HV_X64_REGISTER_DELIVERABILITY_NOTIFICATIONS:
		v->reg64 = (uint64_t)atomic_load(&vp->sint_notify) << 48;
		return 0;
	case HV_REGISTER_INTERNAL_ACTIVITY_STATE:
		v->internal_activity.startup_suspend = atomic_load(&vp->wait_sipi);
		v->internal_activity.halt_suspend = vp->halted;
		return 0;
	}
	return HV_STATUS_INVALID_PARAMETER;
}

/*
 * The EFER bits the VP's processor has (WRMSR of any other is #GP(0)),
 * each when CPUID 0x80000001 reports its feature: SCE (EDX.11), LME and
 * LMA (EDX.29), NXE (EDX.20), FFXSR (EDX.25, AMD's fast FXSAVE, which
 * fpu.c models). LMA is taken as the VMM gives it, with or without LME:
 * the VMM starts a VP in long mode by setting it.
 */
static uint64_t efer_valid_bits(struct sim_x86_vcpu *vp)
{
	uint32_t l[4];
	uint64_t ok = 0;
	sim_x86_vcpu_cpuid(vp, 0x80000001, 0, l);
	if (l[3] & (1u << 11))
		ok |= 0x1; /* SCE */
	if (l[3] & (1u << 29))
		ok |= EFER_LME | EFER_LMA;
	if (l[3] & (1u << 20))
		ok |= EFER_NXE;
	if (l[3] & (1u << 25))
		ok |= EFER_FFXSR;
	return ok;
}

uint64_t sim_x86_vcpu_set_register(struct sim_x86_vcpu *vp, uint32_t name, const union hv_register_value *v)
{
	int sr;
	uint32_t m;
	name = unnest(name);
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		regs(vp)[name - HV_X64_REGISTER_RAX] = v->reg64;
		return 0;
	}
	if (name >= HV_X64_REGISTER_XMM0 && name <= HV_X64_REGISTER_XMM15) {
		memcpy(vp->xmm + 64 * (name - HV_X64_REGISTER_XMM0), &v->reg128, 16);
		return 0;
	}
	if (name >= HV_X64_REGISTER_FP_MMX0 && name <= HV_X64_REGISTER_FP_MMX7) {
		struct fp80 f = {.mantissa = v->fp.mantissa,
				    .exponent = (uint16_t)(v->fp.biased_exponent | (v->fp.sign << 15))};
		uc_reg_write(vp->uc, UC_X86_REG_FP0 + (int)(name - HV_X64_REGISTER_FP_MMX0), &f);
		return 0;
	}
	if (seg_of(name, &sr)) {
		if (sr == S_TR) {
			struct hv_x64_segment_register tr = v->segment;
			if (!tr_valid(tr.attributes))
				return HV_STATUS_INVALID_REGISTER_VALUE;
			tr.attributes &= (uint16_t)~0x2; /* QEMU's cache: not busy */
			sim_x86__set_segment(vp, sr, &tr);
			sim_x86__recompute_hflags(vp);
			return 0;
		}
		sim_x86__set_segment(vp, sr, &v->segment);
		sim_x86__recompute_hflags(vp);
		return 0;
	}
	if ((m = msr_of(name))) {
		uc_x86_msr msr = {.rid = m, .value = v->reg64};
		int hv;
		if (m == 0xfe || sim_x86__hv_msr_read_only(m))
			return HV_STATUS_INVALID_PARAMETER;
		/* a synthetic MSR's page beyond the address width: what its WRMSR refuses (#GP) */
		if ((hv = sim_x86__hv_msr_write(vp, m, v->reg64)) != HV_MSR_NOT_MINE)
			return hv == HV_MSR_DONE ? 0 : HV_STATUS_INVALID_REGISTER_VALUE;
		if (sim_x86__own_msr_write(vp, m, v->reg64))
			return 0;
		uc_reg_write(vp->uc, UC_X86_REG_MSR, &msr);
		return 0;
	}
	switch (name) {
	case HV_X64_REGISTER_RIP:
		/* the VMM moving RIP takes the VP out of HLT (it emulated or skipped it) */
		*vp->rip = v->reg64;
		vp->halted = false;
		return 0;
	case HV_X64_REGISTER_RFLAGS:
		*vp->rflags = (v->reg64 & 0x3f7fd7ull) | 2;
		sim_x86__recompute_hflags(vp);
		return 0;
	case HV_X64_REGISTER_CR0:
		if (!sim_x86__cr_value_valid(vp, 0, v->reg64))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		vp->cr[0] = v->reg64 | 0x10;
		sim_x86__recompute_hflags(vp);
		sim_x86__tlb_flush(vp);
		return 0;
	case HV_X64_REGISTER_CR2: vp->cr[2] = v->reg64; return 0;
	case HV_X64_REGISTER_CR3: vp->cr[3] = v->reg64; sim_x86__tlb_flush(vp); return 0;
	case HV_X64_REGISTER_CR4:
		if (!sim_x86__cr_value_valid(vp, 4, v->reg64))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		vp->cr[4] = v->reg64;
		sim_x86__recompute_hflags(vp);
		sim_x86__tlb_flush(vp);
		return 0;
	case HV_X64_REGISTER_CR8:
		if (v->reg64 > 15)
			return HV_STATUS_INVALID_REGISTER_VALUE;
		vp->apic[APIC_TPR] = (uint32_t)v->reg64 << 4;
		return 0;
	case HV_X64_REGISTER_DR0: case HV_X64_REGISTER_DR1: case HV_X64_REGISTER_DR2: case HV_X64_REGISTER_DR3:
		vp->dr[name - HV_X64_REGISTER_DR0] = v->reg64;
		return 0;
	case HV_X64_REGISTER_DR6: vp->dr[6] = v->reg64; return 0;
	case HV_X64_REGISTER_DR7: vp->dr[7] = v->reg64; return 0;
	case HV_X64_REGISTER_IDTR:
	case HV_X64_REGISTER_GDTR:
		sim_x86__set_table(vp, name == HV_X64_REGISTER_IDTR ? S_IDTR : S_GDTR, &v->table);
		return 0;
	case HV_X64_REGISTER_EFER:
		if (v->reg64 & ~efer_valid_bits(vp))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		*vp->efer = v->reg64;
		sim_x86__recompute_hflags(vp);
		sim_x86__tlb_flush(vp);
		return 0;
	case HV_X64_REGISTER_APIC_BASE:
		return sim_x86__apic_base_write(vp, v->reg64) ? HV_STATUS_INVALID_REGISTER_VALUE : 0;
	case HV_REGISTER_GUEST_OS_ID: sim_x86__hv_msr_write(vp, HV_MSR_GUEST_OS_ID, v->reg64); return 0;
	case HV_X64_REGISTER_XFEM:
		/* XCR0, as XSETBV would take it; a value XSETBV refuses (#GP) changes nothing */
		if (!sim_x86__xcr0_valid(vp, v->reg64))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		*vp->xcr0 = v->reg64;
		return 0;
	case HV_X64_REGISTER_FP_CONTROL_STATUS: {
		/* FOP is 11 bits (the opcode's last 11 bits): bits 15:11 are not kept */
		uint16_t cw = v->fp_control_status.fp_control, sw = v->fp_control_status.fp_status;
		uint16_t tw = sim_x86__full_tag(v->fp_control_status.fp_tag);
		uint16_t fop = v->fp_control_status.last_fp_op & 0x7ff, fcs = 0;
		uint64_t fip = v->fp_control_status.last_fp_rip;
		uc_reg_write(vp->uc, UC_X86_REG_FPCW, &cw);
		uc_reg_write(vp->uc, UC_X86_REG_FPSW, &sw);
		uc_reg_write(vp->uc, UC_X86_REG_FPTAG, &tw);
		uc_reg_write(vp->uc, UC_X86_REG_FOP, &fop);
		uc_reg_write(vp->uc, UC_X86_REG_FIP, &fip);
		uc_reg_write(vp->uc, UC_X86_REG_FCS, &fcs);
		return 0;
	}
	case HV_X64_REGISTER_XMM_CONTROL_STATUS: {
		/* MXCSR_MASK is the processor's, read-only (FXRSTOR ignores the field): not written */
		uint32_t mx = v->xmm_control_status.xmm_status_control;
		uint64_t fdp = v->xmm_control_status.last_fp_rdp;
		uint16_t fds = 0;
		if (mx & ~MXCSR_MASK)
			return HV_STATUS_INVALID_REGISTER_VALUE; /* LDMXCSR and FXRSTOR: #GP(0) */
		uc_reg_write(vp->uc, UC_X86_REG_MXCSR, &mx);
		uc_reg_write(vp->uc, UC_X86_REG_FDP, &fdp);
		uc_reg_write(vp->uc, UC_X86_REG_FDS, &fds);
		return 0;
	}
	case HV_REGISTER_INTERRUPT_STATE:
		sim_x86__set_interrupt_shadow(vp, v->interrupt_state.interrupt_shadow);
		sim_x86__set_nmi_masked(vp, v->interrupt_state.nmi_masked);
		return 0;
	case HV_REGISTER_PENDING_INTERRUPTION: {
		const union hv_x64_pending_interruption_register *pi = &v->pending_interruption;
		if (pi->interruption_pending &&
		    (pi->interruption_vector > 255 || pi->interruption_type == 1 || pi->interruption_type == 7 ||
		     (pi->interruption_type == 3 && pi->interruption_vector > 31) ||
		     (pi->interruption_type == 2 && pi->interruption_vector != 2)))
			return HV_STATUS_INVALID_PARAMETER;
		vp->pend_intr = pi->interruption_pending ? v->reg64 : 0;
		sim_x86__update_irq_request(vp);
		return 0;
	}
	case HV_REGISTER_PENDING_EVENT0:
	case HV_REGISTER_PENDING_EVENT1: {
		const union hv_x64_pending_exception_event *e = &v->pending_exception_event;
		/* event type 0 (exception) only: the others (memory intercept, virtualization fault, ...) are not modelled */
		if (e->event_pending && (e->event_type != 0 || e->vector > 31))
			return HV_STATUS_INVALID_PARAMETER;
		vp->pend_event[name - HV_REGISTER_PENDING_EVENT0][0] = e->event_pending ? v->reg128.low_part : 0;
		vp->pend_event[name - HV_REGISTER_PENDING_EVENT0][1] = e->event_pending ? v->reg128.high_part : 0;
		sim_x86__update_irq_request(vp);
		return 0;
	}
	case HV_X64_REGISTER_DELIVERABILITY_NOTIFICATIONS:
		/*
		 * The SINT bits (63:48, synic.c). The NMI and interrupt-window
		 * notifications (bits 0-5, HVMSG_X64_INTERRUPTION_DELIVERABLE) are
		 * not modelled: refused rather than never sent. Bits 47:6 are
		 * reserved. The layout is openvmm's hvdef
		 * (HvDeliverabilityNotificationsRegister).
		 */
		if (v->reg64 & 0x0000ffffffffffffull)
			return HV_STATUS_INVALID_PARAMETER;
		atomic_store(&vp->sint_notify, (uint32_t)(v->reg64 >> 48));
		return 0;
	case HV_REGISTER_INTERNAL_ACTIVITY_STATE:
		/*
		 * Startup suspend (an AP waiting for a SIPI: how every VP but the
		 * BSP is created; a VMM that starts an AP itself clears it, as
		 * openvmm's reset does for the BSP) and halted or running (HLT
		 * state, as a VMM saves and restores it). Idle suspend is not
		 * modelled: refused, as are the reserved bits.
		 */
		if (v->internal_activity.as_uint64 & ~(uint64_t)3)
			return HV_STATUS_INVALID_PARAMETER;
		atomic_store(&vp->sipi_vector, -1);
		atomic_store(&vp->wait_sipi, v->internal_activity.startup_suspend);
		vp->halted = v->internal_activity.halt_suspend;
		return 0;
	}
	return HV_STATUS_INVALID_PARAMETER;
}

/* ---------------------------------------------------------------------
 * Events the VMM injects
 * ---------------------------------------------------------------------
 * HV_REGISTER_PENDING_INTERRUPTION (type 0 external interrupt, 2 NMI, 3
 * hardware exception, 4 software interrupt, 5 privileged software
 * exception, 6 software exception, as VMX's event injection) and
 * HV_REGISTER_PENDING_EVENT0/1 (event type 0: an exception, with its
 * error code and, for #PF, CR2 in exception_parameter) are delivered to
 * the guest when the VP next runs, before any instruction, whatever
 * RFLAGS.IF, as VM entry injects them: through the IVT or IDT, an
 * exception with its error code. Reading them gives what was set until
 * it is delivered, then 0. Order when several are set: the pending
 * interruption, then event 0, then event 1, one at each instruction
 * boundary (the later ones land at the first instruction of the earlier
 * ones' handler, as nested events). The error code is pushed for the
 * vectors that have one (8, 10-14, 17) in protected mode, as the
 * processor does for a fault (VMX refuses the other combinations at VM
 * entry; the simulator's choice is the processor's rule). Vectors above
 * 31 for an exception, types 1 and 7, and event types other than 0 are
 * HV_STATUS_INVALID_PARAMETER.
 */
bool sim_x86__injection_pending(const struct sim_x86_vcpu *vp)
{
	return (vp->pend_intr & 1) || (vp->pend_event[0][0] & 1) || (vp->pend_event[1][0] & 1);
}

bool sim_x86__next_injection(struct sim_x86_vcpu *vp, struct sim_injection *inj)
{
	memset(inj, 0, sizeof(*inj));
	inj->saved_intr = vp->pend_intr;
	memcpy(inj->saved_event, vp->pend_event, sizeof(inj->saved_event));
	if (vp->pend_intr & 1) {
		union hv_x64_pending_interruption_register pi = {.as_uint64 = vp->pend_intr};
		vp->pend_intr = 0;
		inj->vector = pi.interruption_vector;
		inj->error_code = pi.error_code;
		inj->len = pi.instruction_length;
		switch (pi.interruption_type) {
		case 0:
			inj->external = true;
			break;
		case 2:
			inj->external = inj->nmi = true;
			break;
		case 4:
		case 6:
			inj->soft = true;
			break;
		case 5: /* ICEBP's #DB: a trap, after the instruction */
			*vp->rip += pi.instruction_length;
			break;
		default:
			break; /* a hardware exception; #PF's CR2 is the VMM's to set (this form has no parameter) */
		}
		return true;
	}
	for (int i = 0; i < 2; i++) {
		if (!(vp->pend_event[i][0] & 1))
			continue;
		union hv_x64_pending_exception_event e;
		e.as_uint64[0] = vp->pend_event[i][0];
		e.as_uint64[1] = vp->pend_event[i][1];
		vp->pend_event[i][0] = vp->pend_event[i][1] = 0;
		inj->vector = e.vector;
		inj->error_code = e.deliver_error_code ? e.error_code : 0;
		inj->has_cr2 = e.vector == 14;
		inj->cr2 = e.exception_parameter;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * MOV to a debug register (the guest's; from unicorn_hooks.c's helper_set_dr)
 * --------------------------------------------------------------------- */
#define CR4_DE 0x8ull
#define DR6_WRITABLE 0xe00full   /* B0-B3, BD, BS, BT */
#define DR6_FIXED_1 0xffff0ff0ull /* bits 4-11 and 16-31 read 1 (no RTM, no bus-lock detection) */
#define DR7_WRITABLE 0xffff23ffull /* L0-G3, LE, GE, GD, R/W0-LEN3 */
#define DR7_FIXED_1 0x400ull

/*
 * The architectural checks of MOV DRn, reg (Intel SDM vol. 2B "MOV--Move
 * to/from Debug Registers", vol. 3B 17.2; CPL and register numbers above 7
 * are the translator's): DR4 and DR5 are #UD with CR4.DE set and DR6 and
 * DR7 otherwise; a 1 in bits 63:32 of DR6 or DR7 is #GP(0); the other
 * reserved bits keep their fixed values. Returns 0, or the vector to raise.
 *
 * Hardware breakpoints are not modelled. QEMU's helper arms them through
 * cpu_breakpoint_insert, which in unicorn 2.0.1 flushes every translation
 * (tb_flush) while the helper's caller still runs from one: the process
 * died. What the guest sees instead: DR0-DR3, DR6 and DR7 hold what it
 * writes (with the fixed bits) and read back so, but no breakpoint or
 * watchpoint they describe ever raises #DB, DR6 reports no hit, and
 * DR7.GD does not trap MOV DR. Single-step (RFLAGS.TF) still raises #DB.
 * (The hypervisor gives guests working debug registers; a guest debugger
 * relying on them sees breakpoints that never fire.)
 */
int sim_x86__mov_to_dr(struct sim_x86_vcpu *vp, int reg, uint64_t val)
{
	if ((reg == 4 || reg == 5) && (cr(vp, 4) & CR4_DE))
		return 6;
	if (reg == 4)
		reg = 6;
	else if (reg == 5)
		reg = 7;
	if (reg == 6 || reg == 7) {
		if (val >> 32)
			return 13;
		vp->dr[reg] = reg == 6 ? (val & DR6_WRITABLE) | DR6_FIXED_1 : (val & DR7_WRITABLE) | DR7_FIXED_1;
		return 0;
	}
	if (reg >= 0 && reg < 4)
		vp->dr[reg] = val;
	return 0;
}

/* ---------------------------------------------------------------------
 * Architectural checks that QEMU 5.0's helpers (and so unicorn 2.0.1)
 * leave out, made before the helper acts (unicorn_hooks.c). Each returns
 * 0 when the operation may proceed, or the vector of the fault the
 * processor raises (its error code in *ec where it has one); the caller
 * raises it at the instruction. Sources: Intel SDM vol. 2 (the
 * instructions' "Protected Mode Exceptions" and "64-Bit Mode
 * Exceptions"), vol. 3A 2.5 (control registers), AMD APM vol. 2 3.1.
 * --------------------------------------------------------------------- */
#define CR0_NW 0x20000000ull
#define CR0_CD 0x40000000ull

static bool canonical48(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

enum { EAX, EBX, ECX, EDX };

/*
 * The CR4 bits the processor the VP presents accepts, each when the VP's
 * CPUID (the hypervisor's leaves, sim_x86_vcpu_cpuid) reports its feature:
 * VME/PVI (1.EDX.VME), TSD (1.EDX.TSC), DE (1.EDX.DE), PSE (1.EDX.PSE),
 * PAE (1.EDX.PAE), MCE (1.EDX.MCE), PGE (1.EDX.PGE), OSFXSR (1.EDX.FXSR),
 * OSXMMEXCPT (1.EDX.SSE), UMIP (7.ECX.2), LA57 (7.ECX.16), VMXE and SMXE
 * (1.ECX.5/6), FSGSBASE (7.EBX.0), PCIDE (1.ECX.17), OSXSAVE (1.ECX.26),
 * SMEP (7.EBX.7), SMAP (7.EBX.20), PKE (7.ECX.3); PCE (bit 8) has no
 * CPUID bit and is always accepted. Everything else (bit 15, the key
 * locker, CET, PKS, UINTR and LASS bits, which no leaf reports, bits 28
 * and up) is reserved: #GP(0). Leaf 1's APIC bit, which follows
 * IA32_APIC_BASE, has no CR4 bit, so asking CPUID at any time is safe.
 */
static uint64_t cr4_valid_bits(struct sim_x86_vcpu *vp)
{
	static const struct {
		uint8_t edx_bit, cr4_bit;
	} l1edx[] = {{4, 2}, {2, 3}, {3, 4}, {6, 5}, {7, 6}, {13, 7}, {24, 9}, {25, 10}};
	uint64_t ok = 1ull << 8; /* PCE */
	uint32_t l1[4], l7[4];
	sim_x86_vcpu_cpuid(vp, 1, 0, l1);
	sim_x86_vcpu_cpuid(vp, 7, 0, l7);
	for (size_t i = 0; i < sizeof(l1edx) / sizeof(l1edx[0]); i++)
		if (l1[EDX] & (1u << l1edx[i].edx_bit))
			ok |= 1ull << l1edx[i].cr4_bit;
	if (l1[EDX] & (1u << 1))
		ok |= 0x3; /* VME, PVI */
	if (l7[ECX] & (1u << 2))
		ok |= 1ull << 11; /* UMIP */
	if (l7[ECX] & (1u << 16))
		ok |= CR4_LA57;
	if (l1[ECX] & (1u << 5))
		ok |= 1ull << 13; /* VMXE */
	if (l1[ECX] & (1u << 6))
		ok |= 1ull << 14; /* SMXE */
	if (l7[EBX] & (1u << 0))
		ok |= 1ull << 16; /* FSGSBASE */
	if (l1[ECX] & (1u << 17))
		ok |= 1ull << 17; /* PCIDE */
	if (l1[ECX] & (1u << 26))
		ok |= CR4_OSXSAVE;
	if (l7[EBX] & (1u << 7))
		ok |= CR4_SMEP;
	if (l7[EBX] & (1u << 20))
		ok |= CR4_SMAP;
	if (l7[ECX] & (1u << 3))
		ok |= 1ull << 22; /* PKE */
	return ok;
}

/*
 * The rules a CR0 or CR4 value breaks on its own, whatever the other
 * registers hold: CR0 bits 63:32, PG without PE, NW without CD; CR4 bits
 * cr4_valid_bits leaves out. MOV to CR checks these and the rules that
 * depend on the VP's other registers (below); HVCALL_SET_VP_REGISTERS
 * only these (HV_STATUS_INVALID_REGISTER_VALUE), because a VMM sets CR0,
 * CR4 and EFER in one batch in the order it likes, and a rule relating
 * one to another would judge a value against the other's old one (the
 * TLFS names no order and no such rule; a combination no processor can
 * be in is the VMM's to avoid).
 */
bool sim_x86__cr_value_valid(struct sim_x86_vcpu *vp, int reg, uint64_t val)
{
	if (reg == 0)
		return !(val >> 32) && !((val & CR0_PG) && !(val & CR0_PE)) && !((val & CR0_NW) && !(val & CR0_CD));
	if (reg == 4)
		return !(val & ~cr4_valid_bits(vp));
	return true;
}

/*
 * MOV to CR0 / CR4 (LMSW and CLTS cannot break these rules). CR0: a 1 in
 * bits 63:32, PG without PE, NW without CD, PG with EFER.LME but not
 * CR4.PAE, and clearing PG in 64-bit mode are #GP(0). CR4: reserved or
 * unsupported bits (cr4_valid_bits), clearing PAE while EFER.LMA is set,
 * changing LA57 while it is set, setting PCIDE outside IA-32e mode or with
 * CR3[11:0] not 0 are #GP(0). (QEMU truncates both to 32 bits and drops
 * the unsupported CR4 bits it knows silently.)
 */
int sim_x86__check_mov_cr(struct sim_x86_vcpu *vp, int reg, uint64_t val)
{
	bool lma = (*vp->efer & EFER_LMA) != 0;
	if ((reg == 0 || reg == 4) && !sim_x86__cr_value_valid(vp, reg, val))
		return 13;
	if (reg == 0) {
		if ((val & CR0_PG) && !(cr(vp, 0) & CR0_PG) && (*vp->efer & EFER_LME) && !(cr(vp, 4) & CR4_PAE))
			return 13;
		if (!(val & CR0_PG) && sim_x86__cs64(vp))
			return 13;
		return 0;
	}
	if (reg == 4) {
		uint64_t old = cr(vp, 4);
		if (lma && !(val & CR4_PAE))
			return 13;
		if (lma && ((val ^ old) & CR4_LA57))
			return 13;
		if ((val & (1ull << 17)) && !(old & (1ull << 17)) && (!lma || (cr(vp, 3) & 0xfff)))
			return 13;
		return 0;
	}
	return 0;
}

/*
 * WRMSR of an MSR QEMU implements: the address MSRs must hold canonical
 * addresses (#GP(0) otherwise): FS_BASE, GS_BASE, KERNEL_GS_BASE, LSTAR,
 * CSTAR, SYSENTER_ESP, SYSENTER_EIP. (48-bit linear addresses: the VP
 * reports no LA57.)
 */
int sim_x86__check_wrmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t val)
{
	(void)vp;
	switch (msr) {
	case 0x175: case 0x176:                     /* SYSENTER_ESP, SYSENTER_EIP */
	case 0xc0000082: case 0xc0000083:           /* LSTAR, CSTAR */
	case 0xc0000100: case 0xc0000101: case 0xc0000102: /* FS_BASE, GS_BASE, KERNEL_GS_BASE */
		return canonical48(val) ? 0 : 13;
	default:
		return 0;
	}
}

/*
 * LTR and LLDT (ltr: true for LTR). LTR of a null selector is #GP(0)
 * (QEMU makes TR invalid). In IA-32e mode the descriptor is 16 bytes and
 * its base must be canonical: #GP(selector) otherwise, before TR or LDTR
 * changes and before LTR marks the TSS busy. Only a descriptor QEMU's
 * helper would otherwise accept is looked at (the same checks, in the
 * SDM's order: in the GDT's limit, a system descriptor of the right type,
 * present); the others it faults itself.
 */
int sim_x86__check_load_system_seg(struct sim_x86_vcpu *vp, bool ltr, uint32_t sel, uint32_t *ec)
{
	struct hv_x64_table_register gdt;
	uint8_t d[16];
	uint32_t e2, e3;
	sel &= 0xffff;
	*ec = 0;
	if ((sel & 0xfffc) == 0)
		return ltr ? 13 : 0;
	if (!(*vp->efer & EFER_LMA) || (sel & 4))
		return 0;
	sim_x86__get_table(vp, S_GDTR, &gdt);
	if ((sel & ~7u) + 15 > gdt.limit)
		return 0;
	if (sim_x86__read_linear(vp, gdt.base + (sel & ~7u), d, sizeof(d)) != sizeof(d))
		return 0; /* QEMU's helper reads it again and takes the fault */
	e2 = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
	e3 = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 | (uint32_t)d[11] << 24;
	unsigned type = (e2 >> 8) & 0xf;
	if ((e2 & (1u << 12)) || !(e2 & (1u << 15)) || (ltr ? (type != 9) : (type != 2)))
		return 0;
	uint64_t base = (uint64_t)(((uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16) |
				   (e2 & 0xff000000u)) |
			(uint64_t)e3 << 32;
	if (canonical48(base))
		return 0;
	*ec = sel & 0xfffc;
	return 13;
}

/* A legacy prefix byte: LOCK, REP/REPNE, operand and address size, a segment override. */
static bool legacy_prefix(uint8_t c)
{
	return c == 0xf0 || c == 0xf2 || c == 0xf3 || c == 0x66 || c == 0x67 || c == 0x26 || c == 0x2e || c == 0x36 ||
	       c == 0x3e || c == 0x64 || c == 0x65;
}

/*
 * The LOCK prefix. An instruction with LOCK is #UD unless it is one of
 * ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG,
 * NOT, OR, SBB, SUB, XOR, XADD, XCHG with a memory destination (Intel SDM
 * vol. 2A "LOCK"; AMD APM vol. 3 1.2.5). QEMU 5.0's translator accepts the
 * other forms: LOCK MOVS/STOS/LODS run unlocked, and LOCK CMPS or LOCK BT
 * with a register operand made its code generator abort the process ("tcg
 * fatal error"). The translator asks before each instruction (see
 * unicorn_hooks.c): b[0..n) are the bytes at the instruction (n may be
 * short at the end of what is mapped: then the answer is false, and QEMU
 * takes the fetch fault itself). True: the instruction has LOCK and is
 * not a form that allows it, or is another form QEMU must not translate
 * (below).
 */
bool sim_x86__lock_invalid(const uint8_t *b, size_t n, bool long64)
{
	size_t i = 0;
	bool lock = false;
	for (; i < n && i < 15; i++) {
		uint8_t c = b[i];
		if (c == 0xf0)
			lock = true;
		else if (legacy_prefix(c))
			continue;
		else if (long64 && (c & 0xf0) == 0x40)
			continue; /* REX (only the last one counts; none changes what LOCK allows) */
		else
			break;
	}
	/*
	 * Not a LOCK form, but refused the same way: far CALL and JMP through a
	 * register (FF /3, FF /5 with ModRM.mod = 3) are #UD (they take an
	 * m16:16/32/64 operand only); QEMU 5.0 translates them with an address
	 * it never computed and its code generator aborts the process ("tcg
	 * fatal error", found by sim_guest_fuzz).
	 */
	if (i + 1 < n && b[i] == 0xff && (b[i + 1] >> 6) == 3) {
		unsigned ext = (b[i + 1] >> 3) & 7;
		if (ext == 3 || ext == 5)
			return true;
	}
	if (!lock)
		return false;
	if (i + 1 >= n)
		return false; /* opcode or ModRM not readable: QEMU faults on the fetch */
	uint8_t op = b[i], modrm, reg;
	if (op != 0x0f) {
		modrm = b[i + 1];
		reg = (modrm >> 3) & 7;
		if ((modrm >> 6) == 3)
			return true; /* the allowed one-byte forms all need a memory destination */
		switch (op) {
		case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
		case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31: /* ALU r/m, reg */
		case 0x86: case 0x87: /* XCHG */
			return false;
		case 0x82: /* the 0x80 group's alias outside 64-bit mode */
			if (long64)
				return true;
			/* fall through */
		case 0x80: case 0x81: case 0x83:
			return reg == 7; /* CMP */
		case 0xf6: case 0xf7:
			return reg != 2 && reg != 3; /* NOT, NEG */
		case 0xfe: case 0xff:
			return reg > 1; /* INC, DEC */
		default:
			return true;
		}
	}
	if (i + 2 >= n)
		return false;
	op = b[i + 1];
	modrm = b[i + 2];
	reg = (modrm >> 3) & 7;
	switch (op) {
	case 0xab: case 0xb3: case 0xbb: /* BTS, BTR, BTC r/m, reg */
	case 0xb0: case 0xb1: /* CMPXCHG */
	case 0xc0: case 0xc1: /* XADD */
		return (modrm >> 6) == 3;
	case 0xba: /* BT group, imm8: BTS, BTR, BTC */
		return (modrm >> 6) == 3 || reg < 5;
	case 0xc7: /* CMPXCHG8B/16B */
		return (modrm >> 6) == 3 || reg != 1;
	default:
		return true;
	}
}

/*
 * LGDT and LIDT in 64-bit mode. The base they load must be canonical:
 * #GP(0) otherwise, and GDTR/IDTR unchanged (Intel SDM vol. 2A "LGDT/
 * LIDT"; AMD APM vol. 3). QEMU 5.0's translator stores the base it read
 * straight into its state, with no helper to check it in. So in 64-bit
 * mode the translator is handed the instruction with ModRM.reg 7, INVLPG
 * with the very same memory operand: its helper (unicorn_hooks.c) gets
 * the operand's linear address and, finding LGDT or LIDT in the guest's
 * bytes at RIP, does the load here (sim_x86__load_dtr). QEMU's INVLPG
 * checks CPL 0 (#GP(0)) as LGDT/LIDT do. b[0..n): the bytes at the
 * instruction. Returns how many bytes to substitute (0 or 1), *off and
 * *val the ModRM byte's offset and new value.
 */
static int dtr_modrm(const uint8_t *b, size_t n, size_t *at)
{
	size_t i = 0;
	for (; i < n && i < 14; i++) {
		uint8_t c = b[i];
		if (!legacy_prefix(c) && (c & 0xf0) != 0x40)
			break;
	}
	if (i + 2 >= n || b[i] != 0x0f || b[i + 1] != 0x01 || (b[i + 2] >> 6) == 3)
		return -1;
	*at = i + 2;
	return (b[i + 2] >> 3) & 7; /* 2 LGDT, 3 LIDT, 7 INVLPG */
}

int sim_x86__dtr_fix(const uint8_t *b, size_t n, bool long64, uint8_t *off, uint8_t *val)
{
	size_t at;
	if (!long64)
		return 0;
	int reg = dtr_modrm(b, n, &at);
	if (reg != 2 && reg != 3)
		return 0;
	*off = (uint8_t)at;
	*val = (uint8_t)(b[at] | 0x38);
	return 1;
}

/*
 * From QEMU's INVLPG helper, addr its operand's linear address, ra its
 * return address: when the instruction at RIP (QEMU sets RIP to it before
 * the helper) is LGDT or LIDT, load the register: limit (2 bytes) and base
 * (8 bytes) read as the instruction's data accesses, #GP(0) for a
 * non-canonical base. False: a real INVLPG.
 */
bool sim_x86__load_dtr(struct sim_x86_vcpu *vp, uint64_t addr, uintptr_t ra)
{
	uint8_t b[15];
	size_t at;
	size_t n = sim_x86__read_linear(vp, sim_x86__cur_rip_linear(vp), b, sizeof(b));
	int reg = dtr_modrm(b, n, &at);
	if (!sim_x86__cs64(vp) || (reg != 2 && reg != 3))
		return false;
	int idx = sim_x86__data_mmu_idx(vp);
	struct hv_x64_table_register t = {0};
	t.limit = (uint16_t)sim_x86__helper_load(vp, addr, 2, idx, ra);
	t.base = sim_x86__helper_load(vp, addr + 2, 8, idx, ra);
	if (!canonical48(t.base))
		sim_x86__raise_gp(vp, ra);
	sim_x86__set_table(vp, reg == 2 ? S_GDTR : S_IDTR, &t);
	return true;
}

/*
 * SMSW to a register outside 64-bit mode. The processor writes the whole
 * destination: CR0[15:0] to a 16-bit one, CR0[31:0] to a 32-bit one (AMD
 * APM vol. 3 "SMSW"; Intel leaves bits 31:16 undefined, and its
 * processors write CR0's). QEMU 5.0 writes only 16 bits outside 64-bit
 * mode. At CPL 0 (TB flags carry the CPL, so a translation made at CPL 0
 * runs only at CPL 0) SMSW with a 32-bit register (CS.D xor the 66
 * prefix) is translated as MOV r32, CR0,
 * which has the same length and writes exactly that: out[] gets the two
 * bytes to substitute (offsets from the instruction's start). At CPL > 0
 * (and in virtual-8086 mode) QEMU's 16-bit write remains: the one case
 * not corrected. Returns how many bytes to substitute (0 or 2).
 */
int sim_x86__smsw_fix(const uint8_t *b, size_t n, bool long64, bool cs32, unsigned cpl, uint8_t off[2],
		      uint8_t val[2])
{
	size_t i = 0;
	bool opsize = false; /* a 66 prefix */
	if (long64 || cpl != 0)
		return 0;
	for (; i < n && i < 14; i++) {
		uint8_t c = b[i];
		if (c == 0x66)
			opsize = true;
		else if (!legacy_prefix(c))
			break;
	}
	if (i + 2 >= n || b[i] != 0x0f || b[i + 1] != 0x01 || (b[i + 2] & 0xf8) != 0xe0)
		return 0;
	if (opsize == cs32)
		return 0; /* a 16-bit register: QEMU's 16-bit write is the processor's */
	off[0] = (uint8_t)(i + 1);
	val[0] = 0x20;
	off[1] = (uint8_t)(i + 2);
	val[1] = (uint8_t)(0xc0 | (b[i + 2] & 7));
	return 2;
}

/*
 * The CS limit, outside 64-bit mode. A near branch whose target lies past
 * it faults at the branch with #GP(0) and no side effect (SDM vol. 2,
 * the JMP, CALL, Jcc and LOOP pseudocode: "IF tempEIP is not within code
 * segment limit THEN #GP(0)"), and so does fetching an instruction past
 * it. QEMU 5.0 checks neither: a real-mode JMP with a 66h prefix past
 * 0xffff ran whatever lay at CS.base + EIP, or made an unmapped-GPA exit
 * the hypervisor never sends (found by sim_guest_fuzz campaigns).
 *
 * sim_x86__cs_limit_branch() sees each instruction as it is translated.
 * One that starts past the limit (a block runs on through it), and a JMP
 * or CALL with a displacement and a target past it, are translated as an
 * over-long instruction, which QEMU faults with #GP(0) at its start
 * before anything happens (the CALL pushes nothing). A
 * conditional one (Jcc, LOOPcc, JCXZ) may or may not branch, so its target
 * is noted; when the VP then comes to translate code at an EIP past the
 * limit, sim_x86__cs_limit_fetch() raises #GP(0) at the noted branch,
 * with the count LOOP took back. Reaching such an EIP otherwise (RET, JMP
 * or CALL through a register or memory) faults
 * at the EIP itself: there the translator no longer knows which
 * instruction branched, so the fault's RIP and the state of a CALL or RET
 * (the push, the pop) are those after the branch - the one difference
 * left. An instruction that starts within the limit and ends past it is
 * not caught.
 */
bool sim_x86__cs_limit_branch(struct sim_x86_vcpu *vp, uint64_t la, const uint8_t *b, size_t n, bool cs32)
{
	struct hv_x64_segment_register cs;
	struct sim_x86_past_limit *p;
	bool os32 = cs32, as32 = cs32;
	size_t i = 0, len;
	int64_t disp;
	unsigned count_reg = 0;

	sim_x86__get_segment(vp, S_CS, &cs);
	uint32_t eip = (uint32_t)(la - cs.base);

	if (eip > cs.limit)
		return true; /* reached past the limit inside a block (falling through it) */
	for (; i < n && i < 14; i++) {
		if (b[i] == 0x66)
			os32 = !cs32;
		else if (b[i] == 0x67)
			as32 = !cs32;
		else if (!legacy_prefix(b[i]))
			break;
	}
	if (i >= n)
		return false;
	if (b[i] == 0xeb || (b[i] >= 0x70 && b[i] <= 0x7f) || (b[i] >= 0xe0 && b[i] <= 0xe3)) {
		len = i + 2;
		if (len > n)
			return false;
		disp = (int8_t)b[i + 1];
		if (b[i] <= 0xe2 && b[i] >= 0xe0)
			count_reg = as32 ? 4 : 2;
	} else if (b[i] == 0xe8 || b[i] == 0xe9 || (b[i] == 0x0f && i + 1 < n && (b[i + 1] & 0xf0) == 0x80)) {
		size_t at = i + (b[i] == 0x0f ? 2 : 1);

		len = at + (os32 ? 4 : 2);
		if (len > n)
			return false;
		disp = os32 ? (int32_t)((uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 |
				       (uint32_t)b[at + 3] << 24)
			    : (int16_t)((uint16_t)b[at] | (uint16_t)b[at + 1] << 8);
	} else {
		return false;
	}
	uint32_t target = (uint32_t)((uint64_t)eip + len + (uint64_t)disp) & (os32 ? 0xffffffffu : 0xffffu);

	if (target <= cs.limit)
		return false;
	if (b[i] == 0xe8 || b[i] == 0xe9 || b[i] == 0xeb)
		return true;
	p = &vp->past_limit[vp->past_limit_next++ % 16];
	p->cs_base = cs.base;
	p->target = target;
	p->branch = eip;
	p->count_reg = (uint8_t)count_reg;
	return false;
}

/* Code is about to be translated at the VP's EIP: true when that is past the CS limit (the state set for #GP(0)). */
bool sim_x86__cs_limit_fetch(struct sim_x86_vcpu *vp)
{
	struct hv_x64_segment_register cs;
	uint32_t eip = (uint32_t)*vp->rip;

	sim_x86__get_segment(vp, S_CS, &cs);
	if (eip <= cs.limit)
		return false;
	for (unsigned k = 0; k < 16; k++) {
		unsigned i = (vp->past_limit_next - 1 - k) % 16;

		if (vp->past_limit[i].target != eip || vp->past_limit[i].cs_base != cs.base)
			continue;
		if (vp->past_limit[i].count_reg == 2)
			regs(vp)[1] = (regs(vp)[1] & ~0xffffull) | ((regs(vp)[1] + 1) & 0xffff);
		else if (vp->past_limit[i].count_reg == 4)
			regs(vp)[1] = (uint32_t)(regs(vp)[1] + 1);
		*vp->rip = vp->past_limit[i].branch;
		break;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * VP state blobs (apic.c and fpu.c have the two kinds)
 * --------------------------------------------------------------------- */
int sim_x86_vcpu_get_state(struct sim_x86_vcpu *vp, uint32_t type, void *buf, size_t *len)
{
	if (type == MSHV_VP_STATE_LAPIC)
		return sim_x86__lapic_get_state(vp, buf, len);
	if (type == MSHV_VP_STATE_XSAVE)
		return sim_x86__xsave_get_state(vp, buf, len);
	return sim_x86__synic_get_state(vp, type, buf, len);
}

int sim_x86_vcpu_set_state(struct sim_x86_vcpu *vp, uint32_t type, const void *buf, size_t len)
{
	if (type == MSHV_VP_STATE_LAPIC)
		return sim_x86__lapic_set_state(vp, buf, len);
	if (type == MSHV_VP_STATE_XSAVE)
		return sim_x86__xsave_set_state(vp, buf, len);
	return sim_x86__synic_set_state(vp, type, buf, len);
}

/* ---------------------------------------------------------------------
 * The register page
 * --------------------------------------------------------------------- */
static void regpage_load(struct sim_x86_vcpu *vp, struct hv_vp_register_page *rp)
{
	uint32_t d = rp->dirty;
	if (d & (1u << HV_X64_REGISTER_CLASS_GENERAL))
		memcpy(regs(vp), rp->gp_registers, 16 * 8);
	if ((d & (1u << HV_X64_REGISTER_CLASS_IP)) && rp->rip != *vp->rip) {
		*vp->rip = rp->rip;
		vp->halted = false;
	}
	if (d & (1u << HV_X64_REGISTER_CLASS_XMM))
		for (int i = 0; i < 6; i++)
			memcpy(vp->xmm + 64 * i, &rp->xmm_registers[i], 16);
	if (d & (1u << HV_X64_REGISTER_CLASS_SEGMENT))
		for (int i = 0; i < 6; i++)
			sim_x86__set_segment(vp, i, &rp->segment_registers[i]);
	if (d & (1u << HV_X64_REGISTER_CLASS_FLAGS))
		*vp->rflags = (rp->rflags & 0x3f7fd7ull) | 2;
	if (d & ((1u << HV_X64_REGISTER_CLASS_SEGMENT) | (1u << HV_X64_REGISTER_CLASS_FLAGS)))
		sim_x86__recompute_hflags(vp);
	rp->dirty = 0;
}

static void regpage_store(struct sim_x86_vcpu *vp, struct hv_vp_register_page *rp)
{
	rp->version = HV_VP_REGISTER_PAGE_VERSION_1;
	memcpy(rp->gp_registers, regs(vp), 16 * 8);
	rp->rip = *vp->rip;
	rp->rflags = *vp->rflags;
	for (int i = 0; i < 6; i++) {
		memcpy(&rp->xmm_registers[i], vp->xmm + 64 * i, 16);
		sim_x86__get_segment(vp, i, &rp->segment_registers[i]);
	}
	rp->cr0 = cr(vp, 0);
	rp->cr3 = cr(vp, 3);
	rp->cr4 = cr(vp, 4);
	rp->cr8 = (vp->apic[APIC_TPR] >> 4) & 0xf;
	rp->efer = *vp->efer;
	rp->dr7 = vp->dr[7];
	rp->pending_interruption.as_uint64 = 0;
	rp->interrupt_state.as_uint64 = 0;
	rp->interrupt_state.interrupt_shadow = sim_x86__interrupt_shadow(vp);
	rp->interrupt_state.nmi_masked = sim_x86__nmi_masked(vp);
	rp->instruction_emulation_hints = 0;
	rp->xfem = *vp->xcr0;
	rp->dirty = 0;
	rp->isvalid = 1;
}

void sim_x86_vcpu_load_register_page(struct sim_x86_vcpu *vp, struct hv_vp_register_page *rp)
{
	if (rp->isvalid && rp->dirty)
		regpage_load(vp, rp);
}

void sim_x86_vcpu_store_register_page(struct sim_x86_vcpu *vp, struct hv_vp_register_page *rp)
{
	regpage_store(vp, rp);
}

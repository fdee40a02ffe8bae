/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: x87/SSE state. The XCR0 values the model accepts,
 * FXSAVE's abridged tag byte, FXSAVE (ours, to store FOP, FIP and FDP;
 * unicorn_hooks.c's helper_fxsave_x86_64 calls it) and the XSAVE state
 * blob (MSHV_VP_STATE_XSAVE: the compacted XSAVE area with the x87 and SSE
 * components). XSAVE itself is QEMU's, enabled in unicorn_hooks.c
 * (model_enable_xsave).
 */
#include <errno.h>
#include <string.h>

#include "x86_cpu_internal.h"

/* The XCR0 values XSETBV accepts, per CPUID leaf 0xD (as QEMU's helper_xsetbv checks). */
static uint64_t xcr0_supported(struct sim_x86_vcpu *vp)
{
	uint32_t a, b, c, d;
	sim_x86__engine_cpuid(vp, 0xd, 0, &a, &b, &c, &d);
	return ((uint64_t)d << 32 | a) | XCR0_X87;
}

/* SDM vol. 1, 13.3: x87 state is always enabled, only supported components, no AVX without SSE. */
bool sim_x86__xcr0_valid(struct sim_x86_vcpu *vp, uint64_t v)
{
	if (!(v & XCR0_X87) || (v & ~xcr0_supported(vp)))
		return false;
	return !((v & XCR0_AVX) && !(v & XCR0_SSE));
}

/* FXSAVE's abridged tag byte (bit i set: register i not empty) from the full tag word, and back */
uint8_t sim_x86__abridged_tag(uint16_t tw)
{
	uint8_t t = 0;
	for (int i = 0; i < 8; i++)
		if (((tw >> (2 * i)) & 3) != 3)
			t |= (uint8_t)(1u << i);
	return t;
}

uint16_t sim_x86__full_tag(uint8_t t)
{
	uint16_t tw = 0;
	for (int i = 0; i < 8; i++)
		if (!(t & (1u << i)))
			tw |= (uint16_t)(3u << (2 * i));
	return tw;
}

/*
 * FXSAVE. QEMU 5.0's stores zeros for the x87 last instruction and data
 * pointers and leaves FOP unwritten; a processor stores them, and they are
 * the VP's FP_CONTROL_STATUS / XMM_CONTROL_STATUS registers. The same
 * stores in QEMU's order (the first is FCW, at the operand) through the
 * memory wrappers of unicorn_hooks.c (sim_x86__helper_store), with the
 * FOP, FIP and FDP the processor stores (SDM
 * vol. 1, FXSAVE): in 64-bit mode the 64-bit form, 8-byte FIP and FDP as
 * FXSAVE64 writes them (the helper is not told about REX.W, so a plain
 * FXSAVE in 64-bit mode gets that form too), elsewhere the 32-bit form
 * with the FCS and FDS selectors. (XSAVE keeps QEMU's x87 header: FIP
 * and FDP 0, FOP unwritten; FXRSTOR and XRSTOR do not load the three.)
 */
void sim_x86__fxsave(struct sim_x86_vcpu *vp, uint64_t ptr, uintptr_t ra)
{
	if (ptr & 0xf)
		sim_x86__raise_gp(vp, ra);
	int mmu = sim_x86__data_mmu_idx(vp);
	bool cs64 = sim_x86__cs64(vp);
	uint16_t cw, sw, tw, fop, fcs, fds;
	uint64_t fip, fdp;
	uc_reg_read(vp->uc, UC_X86_REG_FPCW, &cw);
	uc_reg_read(vp->uc, UC_X86_REG_FPSW, &sw);
	uc_reg_read(vp->uc, UC_X86_REG_FPTAG, &tw);
	uc_reg_read(vp->uc, UC_X86_REG_FOP, &fop);
	uc_reg_read(vp->uc, UC_X86_REG_FIP, &fip);
	uc_reg_read(vp->uc, UC_X86_REG_FCS, &fcs);
	uc_reg_read(vp->uc, UC_X86_REG_FDP, &fdp);
	uc_reg_read(vp->uc, UC_X86_REG_FDS, &fds);
	sim_x86__helper_store(vp, ptr, cw, 2, mmu, ra);
	sim_x86__helper_store(vp, ptr + 2, sw, 2, mmu, ra);
	sim_x86__helper_store(vp, ptr + 4, sim_x86__abridged_tag(tw), 2, mmu, ra); /* and reserved byte 5 */
	sim_x86__helper_store(vp, ptr + 6, fop & 0x7ff, 2, mmu, ra);
	if (cs64) {
		sim_x86__helper_store(vp, ptr + 8, fip, 8, mmu, ra);
		sim_x86__helper_store(vp, ptr + 16, fdp, 8, mmu, ra);
	} else {
		sim_x86__helper_store(vp, ptr + 8, (uint32_t)fip, 4, mmu, ra);
		sim_x86__helper_store(vp, ptr + 12, fcs, 4, mmu, ra);
		sim_x86__helper_store(vp, ptr + 16, (uint32_t)fdp, 4, mmu, ra);
		sim_x86__helper_store(vp, ptr + 20, fds, 4, mmu, ra);
	}
	int top = (sw >> 11) & 7;
	for (int i = 0; i < 8; i++) { /* ST(i) */
		struct fp80 f;
		uc_reg_read(vp->uc, UC_X86_REG_FP0 + ((top + i) & 7), &f);
		sim_x86__helper_store(vp, ptr + 32 + 16 * i, f.mantissa, 8, mmu, ra);
		sim_x86__helper_store(vp, ptr + 40 + 16 * i, f.exponent, 2, mmu, ra);
	}
	if (!(cr(vp, 4) & CR4_OSFXSR))
		return;
	uint32_t mx;
	uc_reg_read(vp->uc, UC_X86_REG_MXCSR, &mx);
	sim_x86__helper_store(vp, ptr + 24, mx, 4, mmu, ra);
	sim_x86__helper_store(vp, ptr + 28, MXCSR_MASK, 4, mmu, ra);
	/* fast FXSAVE (EFER.FFXSR, CPL 0, long mode) leaves the XMM registers out */
	if ((*vp->efer & EFER_FFXSR) && sim_x86__cpl(vp) == 0 && sim_x86__long_mode(vp))
		return;
	for (int i = 0; i < (cs64 ? 16 : 8); i++) {
		uint64_t q[2];
		memcpy(q, vp->xmm + 64 * i, 16);
		sim_x86__helper_store(vp, ptr + 160 + 16 * i, q[0], 8, mmu, ra);
		sim_x86__helper_store(vp, ptr + 168 + 16 * i, q[1], 8, mmu, ra);
	}
}

#define XSAVE_BLOB_SIZE 576

int sim_x86__xsave_get_state(struct sim_x86_vcpu *vp, void *buf, size_t *len)
{
	if (*len < XSAVE_BLOB_SIZE) {
		*len = XSAVE_BLOB_SIZE;
		return -ENOSPC;
	}
	uint8_t *x = buf;
	memcpy(x, vp->xsave_shadow, XSAVE_BLOB_SIZE);
	union hv_register_value fp;
	sim_x86_vcpu_get_register(vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &fp);
	union hv_register_value xc;
	sim_x86_vcpu_get_register(vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &xc);
	/* the two registers are the image's first 32 bytes (FXSAVE64 form), reserved byte 5 aside */
	memcpy(x + 0, &fp.fp_control_status.fp_control, 2);
	memcpy(x + 2, &fp.fp_control_status.fp_status, 2);
	x[4] = fp.fp_control_status.fp_tag;
	memcpy(x + 6, &fp.fp_control_status.last_fp_op, 2);
	memcpy(x + 8, &fp.fp_control_status.last_fp_rip, 8);
	memcpy(x + 16, &xc.xmm_control_status.last_fp_rdp, 8);
	memcpy(x + 24, &xc.xmm_control_status.xmm_status_control, 4);
	memcpy(x + 28, &xc.xmm_control_status.xmm_status_control_mask, 4);
	for (int i = 0; i < 8; i++) {
		struct fp80 f;
		uc_reg_read(vp->uc, UC_X86_REG_FP0 + i, &f);
		memcpy(x + 32 + 16 * i, &f.mantissa, 8);
		memcpy(x + 40 + 16 * i, &f.exponent, 2);
	}
	for (int i = 0; i < 16; i++)
		memcpy(x + 160 + 16 * i, vp->xmm + 64 * i, 16);
	uint64_t bv = 3, comp = (1ull << 63) | 3;
	memcpy(x + 512, &bv, 8);
	memcpy(x + 520, &comp, 8);
	*len = XSAVE_BLOB_SIZE;
	return 0;
}

/*
 * Whether XRSTOR (compacted form, the blob's) would take the image rather
 * than fault #GP(0) (SDM vol. 1 13.8): MXCSR without bits outside
 * MXCSR_MASK; in the header (when the blob reaches it), XCOMP_BV with bit
 * 63 set and no component but x87 and SSE, XSTATE_BV within XCOMP_BV,
 * bytes 16-63 zero. A refused image is the hypervisor's
 * HV_STATUS_INVALID_REGISTER_VALUE (EINVAL) and changes nothing. A blob
 * shorter than the header (only the engine's callers can pass one; the
 * driver passes the whole size) is checked for MXCSR alone.
 */
static bool xsave_image_valid(const uint8_t *x, size_t len)
{
	uint32_t mx;
	uint64_t bv, comp;
	memcpy(&mx, x + 24, 4);
	if (mx & ~MXCSR_MASK)
		return false;
	if (len < XSAVE_BLOB_SIZE)
		return true;
	memcpy(&bv, x + 512, 8);
	memcpy(&comp, x + 520, 8);
	if (!(comp >> 63) || (comp & ~((1ull << 63) | XCR0_X87 | XCR0_SSE)) || (bv & ~comp))
		return false;
	for (int i = 528; i < 576; i++)
		if (x[i])
			return false;
	return true;
}

int sim_x86__xsave_set_state(struct sim_x86_vcpu *vp, const void *buf, size_t len)
{
	if (len < 512)
		return -EINVAL;
	const uint8_t *x = buf;
	if (!xsave_image_valid(x, len))
		return -EINVAL;
	memcpy(vp->xsave_shadow, x, len < XSAVE_BLOB_SIZE ? len : XSAVE_BLOB_SIZE);
	union hv_register_value fp;
	memset(&fp, 0, sizeof(fp));
	memcpy(&fp.fp_control_status.fp_control, x + 0, 2);
	memcpy(&fp.fp_control_status.fp_status, x + 2, 2);
	fp.fp_control_status.fp_tag = x[4];
	memcpy(&fp.fp_control_status.last_fp_op, x + 6, 2);
	memcpy(&fp.fp_control_status.last_fp_rip, x + 8, 8);
	sim_x86_vcpu_set_register(vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &fp);
	memset(&fp, 0, sizeof(fp));
	memcpy(&fp.xmm_control_status.last_fp_rdp, x + 16, 8);
	memcpy(&fp.xmm_control_status.xmm_status_control, x + 24, 4);
	sim_x86_vcpu_set_register(vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &fp);
	for (int i = 0; i < 8; i++) {
		struct fp80 f;
		memcpy(&f.mantissa, x + 32 + 16 * i, 8);
		memcpy(&f.exponent, x + 40 + 16 * i, 2);
		uc_reg_write(vp->uc, UC_X86_REG_FP0 + i, &f);
	}
	for (int i = 0; i < 16; i++)
		memcpy(vp->xmm + 64 * i, x + 160 + 16 * i, 16);
	return 0;
}

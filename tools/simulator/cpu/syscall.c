/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the fast system call instructions, SYSCALL, SYSRET,
 * SYSENTER and SYSEXIT. unicorn 2.0.1's SYSCALL and SYSENTER helpers only
 * advance RIP (they call unicorn's instruction hooks instead), and its
 * SYSRET and SYSEXIT leave checks out; the TCG helpers of all four call
 * the functions here (unicorn_hooks.c), inside a translation block, with
 * RIP at the instruction for SYSCALL and the helper's return address ra
 * to fault at the instruction. The translator has synced the arithmetic
 * flags before SYSCALL (which reads and writes them all) and takes them
 * as written after a long-mode SYSRET; SYSENTER and legacy SYSRET change
 * only flags QEMU keeps in its eflags word (VM, IF, RF), so those are
 * changed there.
 *
 * Sources: Intel SDM vol. 2B "SYSCALL", "SYSRET", vol. 2B "SYSENTER",
 * "SYSEXIT"; AMD APM vol. 3 the same. Where the vendors differ the rule
 * of the vendor CPUID leaf 0 reports is followed (sim_x86__vendor_intel;
 * the CPU model is AuthenticAMD, qemu64's vendor):
 *  - SYSCALL and SYSRET outside 64-bit mode: Intel #UD; AMD runs them
 *    (legacy mode: EIP from STAR[31:0]; compatibility mode: CSTAR).
 *  - SYSRET to a non-canonical RCX: Intel #GP(0) at CPL 0; AMD loads it
 *    and the fetch at CPL 3 faults (#GP(0) with RIP the bad address).
 *  - SYSENTER and SYSEXIT in long mode: AMD #UD (QEMU's translator makes
 *    it #UD in 64-bit mode itself); Intel runs them.
 * One choice for both vendors: SYSRET loads SS as Intel describes it (a
 * flat writable data segment at DPL 3). AMD leaves SS's hidden attributes
 * as they were, but the CPU model takes CPL from SS.DPL (QEMU's hflags),
 * so AMD's form would leave the VP at CPL 0.
 */
#include "x86_cpu_internal.h"

#define EFER_SCE 0x1ull
#define RFLAGS_RF 0x10000ull
#define RFLAGS_FIXED 0x2ull

/* code and data segment attributes (struct hv_x64_segment_register) */
#define ATTR_CODE64(dpl) (0xa09bu | ((unsigned)(dpl) << 5)) /* G, L, P, S, execute/read accessed */
#define ATTR_CODE32(dpl) (0xc09bu | ((unsigned)(dpl) << 5)) /* G, D, P, S, execute/read accessed */
#define ATTR_DATA(dpl) (0xc093u | ((unsigned)(dpl) << 5))   /* G, B, P, S, read/write accessed */

static void load_flat(struct sim_x86_vcpu *vp, int s, uint16_t sel, uint16_t attr)
{
	struct hv_x64_segment_register h = {.base = 0, .limit = 0xffffffffu, .selector = sel, .attributes = attr};
	sim_x86__set_segment(vp, s, &h);
}

static bool canonical48(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

void sim_x86__syscall(struct sim_x86_vcpu *vp, int insn_len, uintptr_t ra)
{
	bool lma = (*vp->efer & EFER_LMA) != 0, cs64 = sim_x86__cs64(vp);
	uint64_t *r = regs(vp);
	if (!(*vp->efer & EFER_SCE) || (sim_x86__vendor_intel(vp) && !cs64))
		sim_x86__raise(vp, 6, 0, ra);
	if (!(cr(vp, 0) & CR0_PE))
		sim_x86__raise(vp, 6, 0, ra); /* real mode: the manuals leave it open; #UD chosen, as Intel's rule gives */
	uint64_t next = *vp->rip + (uint64_t)insn_len;
	uint64_t rflags = sim_x86__helper_rflags(vp);
	uint16_t sel = (uint16_t)(*vp->star >> 32);
	if (lma) {
		r[1] = next;
		r[11] = rflags & ~RFLAGS_RF;
		load_flat(vp, S_CS, sel & 0xfffc, ATTR_CODE64(0));
		load_flat(vp, S_SS, (uint16_t)(sel + 8), ATTR_DATA(0));
		sim_x86__helper_set_rflags(vp, (rflags & ~*vp->fmask & ~RFLAGS_RF) | RFLAGS_FIXED);
		*vp->rip = cs64 ? *vp->lstar : *vp->cstar;
	} else {
		r[1] = (uint32_t)next;
		load_flat(vp, S_CS, sel & 0xfffc, ATTR_CODE32(0));
		load_flat(vp, S_SS, (uint16_t)(sel + 8), ATTR_DATA(0));
		sim_x86__helper_set_rflags(vp, (rflags & ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF)) | RFLAGS_FIXED);
		*vp->rip = (uint32_t)*vp->star;
	}
	sim_x86__recompute_hflags(vp);
}

void sim_x86__sysret(struct sim_x86_vcpu *vp, bool op64, uintptr_t ra)
{
	bool intel = sim_x86__vendor_intel(vp), lma = (*vp->efer & EFER_LMA) != 0;
	uint64_t *r = regs(vp);
	if (!(*vp->efer & EFER_SCE) || (intel && !sim_x86__cs64(vp)))
		sim_x86__raise(vp, 6, 0, ra);
	if (!(cr(vp, 0) & CR0_PE) || sim_x86__cpl(vp) != 0)
		sim_x86__raise(vp, 13, 0, ra);
	if (intel && op64 && !canonical48(r[1]))
		sim_x86__raise(vp, 13, 0, ra);
	uint16_t sel = (uint16_t)(*vp->star >> 48);
	if (lma) {
		/* RFLAGS from R11: RF and VM cleared, bit 1 set (Intel: R11 AND 3C7FD7H OR 2) */
		sim_x86__helper_set_rflags(vp, (r[11] & 0x3c7fd7ull) | RFLAGS_FIXED);
		if (op64) {
			load_flat(vp, S_CS, (uint16_t)((sel + 16) | 3), ATTR_CODE64(3));
			*vp->rip = r[1];
		} else {
			load_flat(vp, S_CS, (uint16_t)(sel | 3), ATTR_CODE32(3));
			*vp->rip = (uint32_t)r[1];
		}
	} else {
		/* AMD legacy mode: IF set, the other flags stay (QEMU keeps IF in its eflags word) */
		*vp->rflags |= RFLAGS_IF;
		load_flat(vp, S_CS, (uint16_t)(sel | 3), ATTR_CODE32(3));
		*vp->rip = (uint32_t)r[1];
	}
	load_flat(vp, S_SS, (uint16_t)((sel + 8) | 3), ATTR_DATA(3));
	sim_x86__recompute_hflags(vp);
}

void sim_x86__sysenter(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	bool lma = (*vp->efer & EFER_LMA) != 0;
	if (lma && !sim_x86__vendor_intel(vp))
		sim_x86__raise(vp, 6, 0, ra); /* AMD: legacy mode only */
	uint16_t cs = (uint16_t)(*vp->sysenter_cs & 0xfffc);
	if (!(cr(vp, 0) & CR0_PE) || cs == 0)
		sim_x86__raise(vp, 13, 0, ra);
	*vp->rflags &= ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF); /* not arithmetic flags: QEMU's eflags word */
	load_flat(vp, S_CS, cs, lma ? ATTR_CODE64(0) : ATTR_CODE32(0));
	load_flat(vp, S_SS, (uint16_t)(cs + 8), ATTR_DATA(0));
	regs(vp)[4] = lma ? *vp->sysenter_esp : (uint32_t)*vp->sysenter_esp;
	*vp->rip = lma ? *vp->sysenter_eip : (uint32_t)*vp->sysenter_eip;
	sim_x86__recompute_hflags(vp);
}

void sim_x86__sysexit(struct sim_x86_vcpu *vp, bool op64, uintptr_t ra)
{
	uint64_t *r = regs(vp);
	uint16_t cs = (uint16_t)(*vp->sysenter_cs & 0xfffc);
	if ((*vp->efer & EFER_LMA) && !sim_x86__vendor_intel(vp))
		sim_x86__raise(vp, 6, 0, ra);
	if (!(cr(vp, 0) & CR0_PE) || cs == 0 || sim_x86__cpl(vp) != 0)
		sim_x86__raise(vp, 13, 0, ra);
	if (op64 && (!canonical48(r[1]) || !canonical48(r[2])))
		sim_x86__raise(vp, 13, 0, ra);
	if (op64) {
		load_flat(vp, S_CS, (uint16_t)((cs + 32) | 3), ATTR_CODE64(3));
		load_flat(vp, S_SS, (uint16_t)((cs + 40) | 3), ATTR_DATA(3));
		r[4] = r[1];
		*vp->rip = r[2];
	} else {
		load_flat(vp, S_CS, (uint16_t)((cs + 16) | 3), ATTR_CODE32(3));
		load_flat(vp, S_SS, (uint16_t)((cs + 24) | 3), ATTR_DATA(3));
		r[4] = (uint32_t)r[1];
		*vp->rip = (uint32_t)r[2];
	}
	sim_x86__recompute_hflags(vp);
}

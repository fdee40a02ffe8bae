/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the local APIC (xAPIC registers at the APIC page,
 * owned by the VP's run thread), interrupts asserted from other threads,
 * what the VP can take, the LAPIC state blob, and CR8 (the TPR in 64-bit
 * mode). Delivering an interrupt is QEMU's, driven from unicorn_hooks.c
 * (x86_cpu_exec_interrupt).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "x86_cpu_internal.h"

static bool apic_enabled(const struct sim_x86_vcpu *vp)
{
	return (vp->apic_base & MSR_APIC_BASE_ENABLE) != 0;
}

bool sim_x86__is_apic_gpa(const struct sim_x86_vcpu *vp, uint64_t gpa)
{
	return apic_enabled(vp) && (gpa & ~0xfffull) == (vp->apic_base & 0xffffff000ull);
}

static int highest_bit256(const uint32_t *w)
{
	for (int i = 7; i >= 0; i--)
		if (w[i])
			return i * 32 + 31 - __builtin_clz(w[i]);
	return -1;
}

static uint32_t apic_ppr(struct sim_x86_vcpu *vp)
{
	uint32_t tpr = vp->apic[APIC_TPR] & 0xff;
	int isrv = highest_bit256(&vp->apic[APIC_ISR]);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (tpr >> 4) >= (isr_class >> 4) ? tpr : isr_class;
}

/* Fold interrupts posted by other threads into IRR (run thread only). */
void sim_x86__apic_collect(struct sim_x86_vcpu *vp)
{
	if (!atomic_exchange(&vp->posted, false))
		return;
	for (int i = 0; i < 8; i++) {
		uint32_t t = atomic_exchange(&vp->posted_tmr[i], 0);
		uint32_t r = atomic_exchange(&vp->posted_irr[i], 0);
		vp->apic[APIC_TMR + i] = (vp->apic[APIC_TMR + i] & ~r) | t;
		vp->apic[APIC_IRR + i] |= r;
	}
}

/* Highest IRR vector that PPR lets through, or -1. */
int sim_x86__apic_deliverable(struct sim_x86_vcpu *vp)
{
	if (!apic_enabled(vp))
		return -1;
	int v = highest_bit256(&vp->apic[APIC_IRR]);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (apic_ppr(vp) & 0xf0))
		return -1;
	return v;
}

bool sim_x86__can_take_interrupt(struct sim_x86_vcpu *vp)
{
	sim_x86__apic_collect(vp);
	if (atomic_load(&vp->nmi_pending) && !sim_x86__nmi_masked(vp))
		return true;
	if (!(*vp->rflags & RFLAGS_IF) || sim_x86__interrupt_shadow(vp))
		return false;
	return sim_x86__apic_deliverable(vp) >= 0;
}

uint32_t sim_x86__apic_read(struct sim_x86_vcpu *vp, uint32_t off)
{
	uint32_t r = (off >> 4) & 0x3f;
	sim_x86__apic_collect(vp);
	switch (r) {
	case APIC_PPR:
		return apic_ppr(vp);
	case APIC_EOI:
	case APIC_TMCCT:
		return 0;
	default:
		return vp->apic[r];
	}
}

/* A register write's effect on the APIC state; *self_nmi: an NMI to itself was sent. */
static void apic_apply(struct sim_x86_vcpu *vp, uint32_t r, uint32_t val, bool *self_nmi)
{
	switch (r) {
	case APIC_ID:
	case APIC_LDR:
	case APIC_TMICT:
	case APIC_TDCR:
	case APIC_ICR_HI:
		vp->apic[r] = val;
		break;
	case APIC_TPR:
		vp->apic[r] = val & 0xff;
		break;
	case APIC_DFR:
		vp->apic[r] = val | 0x0fffffff;
		break;
	case APIC_SVR:
		vp->apic[r] = val & 0x13ff;
		break;
	case APIC_ESR:
		vp->apic[r] = 0;
		break;
	case APIC_EOI: {
		int v = highest_bit256(&vp->apic[APIC_ISR]);
		if (v >= 0)
			vp->apic[APIC_ISR + v / 32] &= ~(1u << (v % 32));
		break;
	}
	case APIC_ICR_LO: {
		vp->apic[r] = val & ~(1u << 12);
		uint32_t shorthand = (val >> 18) & 3, mode = (val >> 8) & 7, vec = val & 0xff;
		bool self = shorthand == 1 || shorthand == 2 ||
			    (shorthand == 0 && (vp->apic[APIC_ICR_HI] >> 24) == (vp->apic[APIC_ID] >> 24));
		if (self && mode == 0 && vec >= 16)
			vp->apic[APIC_IRR + vec / 32] |= 1u << (vec % 32);
		else if (self && mode == 4)
			*self_nmi = true;
		break;
	}
	case APIC_LVT_CMCI:
	case APIC_LVT_TIMER:
	case APIC_LVT_THERMAL:
	case APIC_LVT_PERF:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
		vp->apic[r] = (vp->apic[APIC_SVR] & 0x100) ? val : (val | 0x10000);
		break;
	default:
		break; /* read-only or reserved */
	}
}

/*
 * A write of the APIC register at off. ra is the host return address of
 * the TCG helper of the writing guest instruction, or 0 when the write is
 * not in a translation block (a MOV to CR8, which ends its block anyway;
 * an access QEMU makes delivering an event).
 *
 * EOI, TPR and self-IPIs change what is deliverable. An interrupt (or NMI)
 * the write lets through is taken at the boundary right after the writing
 * instruction, as the hypervisor, which completes the APIC access and
 * re-enters the guest with the interrupt, delivers it. The write may be in
 * the middle of a translated block, which would run on to its end first:
 * then the write is not made, and the instruction is run again alone in a
 * block of its own (sim_x86__run_insn_alone), where the write is made and
 * the exit request raised for the CPU loop, which takes the interrupt when
 * that one-instruction block ends. apic_write_alone marks that second run
 * (all of the instruction's APIC writes are made in it) until the CPU
 * loop is next between blocks. When nothing can be taken (IF clear, an
 * interrupt shadow, a priority too low) nothing more is needed: the request
 * stays raised and QEMU looks at it when the guest unmasks (STI, POPF,
 * IRET and MOV to CR8 end their block).
 */
void sim_x86__apic_write(struct sim_x86_vcpu *vp, uint32_t off, uint32_t val, uintptr_t ra)
{
	uint32_t r = (off >> 4) & 0x3f;
	bool watch = r == APIC_EOI || r == APIC_TPR || r == APIC_ICR_LO;
	bool self_nmi = false;
	uint32_t before[64];

	sim_x86__apic_collect(vp);
	if (watch && ra && !vp->apic_write_alone)
		memcpy(before, vp->apic, sizeof(before));
	apic_apply(vp, r, val, &self_nmi);
	if (!watch)
		return;
	bool takeable = (self_nmi && !sim_x86__nmi_masked(vp)) ||
			((*vp->rflags & RFLAGS_IF) && !sim_x86__interrupt_shadow(vp) &&
			 sim_x86__apic_deliverable(vp) >= 0);
	if (takeable && ra && !vp->apic_write_alone) {
		memcpy(vp->apic, before, sizeof(before)); /* undone: made when the instruction runs again */
		vp->apic_write_alone = true;
		sim_x86__run_insn_alone(vp, ra);
	}
	if (self_nmi)
		atomic_store(&vp->nmi_pending, true);
	sim_x86__update_irq_request(vp);
	if (takeable)
		sim_x86__cpu_exit(vp);
}

void sim_x86__apic_reset(struct sim_x86_vcpu *vp)
{
	memset(vp->apic, 0, sizeof(vp->apic));
	vp->apic_base = APIC_DEFAULT_BASE | MSR_APIC_BASE_ENABLE | (vp->vp_index == 0 ? MSR_APIC_BASE_BSP : 0);
	vp->apic[APIC_ID] = vp->vp_index << 24;
	vp->apic[APIC_VER] = 0x50014; /* lapic_state_valid takes only this */
	vp->apic[APIC_DFR] = 0xffffffff;
	vp->apic[APIC_SVR] = 0xff;
	for (int r = APIC_LVT_TIMER; r <= APIC_LVT_ERROR; r++)
		vp->apic[r] = 0x10000;
	vp->apic[APIC_LVT_CMCI] = 0x10000;
}

uint64_t sim_x86_vcpu_assert_interrupt(struct sim_x86_vcpu *vp, uint32_t type, uint32_t vector,
				       bool level_triggered)
{
	switch (type) {
	case HV_X64_INTERRUPT_TYPE_FIXED:
	case HV_X64_INTERRUPT_TYPE_EXTINT:
		/* Vectors 0-15 are illegal for a fixed APIC interrupt; an ExtINT's vector
		 * comes from the (virtual) PIC, and mshv-ioctls asserts ExtINT vector 0. */
		if (vector > 255 || (type == HV_X64_INTERRUPT_TYPE_FIXED && vector < 16))
			return HV_STATUS_INVALID_PARAMETER;
		if (level_triggered)
			atomic_fetch_or(&vp->posted_tmr[vector / 32], 1u << (vector % 32));
		atomic_fetch_or(&vp->posted_irr[vector / 32], 1u << (vector % 32));
		atomic_store(&vp->posted, true);
		break;
	case HV_X64_INTERRUPT_TYPE_NMI:
		atomic_store(&vp->nmi_pending, true);
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
	atomic_fetch_add(&vp->wake, 1);
	if (atomic_load(&vp->running))
		sim_x86__cpu_exit(vp);
	sim_x86__futex_wake(&vp->wake);
	return HV_STATUS_SUCCESS;
}


/* HV_GET_SET_VP_STATE_LOCAL_INTERRUPT_CONTROLLER_STATE: one page, the state struct at its start. */
#define LAPIC_BLOB_SIZE 4096

int sim_x86__lapic_get_state(struct sim_x86_vcpu *vp, void *buf, size_t *len)
{
	if (*len < LAPIC_BLOB_SIZE) {
		*len = LAPIC_BLOB_SIZE;
		return -ENOSPC;
	}
	sim_x86__apic_collect(vp);
	struct hv_local_interrupt_controller_state *s = buf;
	memset(buf, 0, LAPIC_BLOB_SIZE);
	s->apic_id = vp->apic[APIC_ID];
	s->apic_version = vp->apic[APIC_VER];
	s->apic_ldr = vp->apic[APIC_LDR];
	s->apic_dfr = vp->apic[APIC_DFR];
	s->apic_spurious = vp->apic[APIC_SVR];
	for (int i = 0; i < 8; i++) {
		s->apic_isr[i] = vp->apic[APIC_ISR + i];
		s->apic_tmr[i] = vp->apic[APIC_TMR + i];
		s->apic_irr[i] = vp->apic[APIC_IRR + i];
	}
	s->apic_esr = vp->apic[APIC_ESR];
	s->apic_icr_high = vp->apic[APIC_ICR_HI];
	s->apic_icr_low = vp->apic[APIC_ICR_LO];
	s->apic_lvt_timer = vp->apic[APIC_LVT_TIMER];
	s->apic_lvt_thermal = vp->apic[APIC_LVT_THERMAL];
	s->apic_lvt_perfmon = vp->apic[APIC_LVT_PERF];
	s->apic_lvt_lint0 = vp->apic[APIC_LVT_LINT0];
	s->apic_lvt_lint1 = vp->apic[APIC_LVT_LINT1];
	s->apic_lvt_error = vp->apic[APIC_LVT_ERROR];
	s->apic_lvt_cmci = vp->apic[APIC_LVT_CMCI];
	s->apic_initial_count = vp->apic[APIC_TMICT];
	s->apic_divide_configuration = vp->apic[APIC_TDCR];
	/* no timer and no remote read are modelled: these keep what was set */
	s->apic_error_status = vp->apic_error_status;
	s->apic_counter_value = vp->apic_counter_value;
	s->apic_remote_read = vp->apic_remote_read;
	*len = LAPIC_BLOB_SIZE;
	return 0;
}

/*
 * Whether a LAPIC blob holds only values the xAPIC's registers can hold
 * (SDM vol. 3 11.4-11.6, 11.8): the version this APIC reports (read-only);
 * ID, LDR and ICR high with bits 23:0 clear; DFR bits 27:0 set (they read
 * as 1s); SVR bits 9:0 and 12; ESR bits 7:0; ICR low without bits 13, 17:16
 * and 31:20; each LVT with only its own fields; the divide configuration
 * bits 0, 1 and 3; no vector below 16 in IRR, ISR or TMR (those bits are
 * reserved). The TLFS does not say what the hypervisor refuses; a value
 * a guest could never read back from the register is taken as the
 * HV_STATUS_INVALID_REGISTER_VALUE x86_vcpu.h promises (EINVAL), and the
 * state is left as it was. The fields without a register of their own
 * (error status, counter, remote read) are kept as given.
 */
static bool lapic_state_valid(const struct hv_local_interrupt_controller_state *s)
{
	const uint32_t lvt_plain = 0x000117ff; /* vector, delivery mode, status, mask */
	if (s->apic_version != 0x50014 || (s->apic_id & 0xffffff) || (s->apic_ldr & 0xffffff) ||
	    (s->apic_icr_high & 0xffffff) || (s->apic_dfr & 0x0fffffff) != 0x0fffffff ||
	    (s->apic_spurious & ~0x13ffu) || (s->apic_esr & ~0xffu) || (s->apic_icr_low & ~0x000cdfffu) ||
	    (s->apic_lvt_timer & ~0x000710ffu) || (s->apic_lvt_thermal & ~lvt_plain) ||
	    (s->apic_lvt_perfmon & ~lvt_plain) || (s->apic_lvt_cmci & ~lvt_plain) ||
	    (s->apic_lvt_error & ~0x000110ffu) || (s->apic_lvt_lint0 & ~0x0001f7ffu) ||
	    (s->apic_lvt_lint1 & ~0x0001f7ffu) || (s->apic_divide_configuration & ~0xbu))
		return false;
	return !((s->apic_irr[0] | s->apic_isr[0] | s->apic_tmr[0]) & 0xffff);
}

int sim_x86__lapic_set_state(struct sim_x86_vcpu *vp, const void *buf, size_t len)
{
	if (len < sizeof(struct hv_local_interrupt_controller_state))
		return -EINVAL;
	const struct hv_local_interrupt_controller_state *s = buf;
	if (!lapic_state_valid(s))
		return -EINVAL;
	sim_x86__apic_collect(vp);
	vp->apic[APIC_ID] = s->apic_id;
	vp->apic[APIC_VER] = s->apic_version;
	vp->apic[APIC_LDR] = s->apic_ldr;
	vp->apic[APIC_DFR] = s->apic_dfr;
	vp->apic[APIC_SVR] = s->apic_spurious;
	for (int i = 0; i < 8; i++) {
		vp->apic[APIC_ISR + i] = s->apic_isr[i];
		vp->apic[APIC_TMR + i] = s->apic_tmr[i];
		vp->apic[APIC_IRR + i] = s->apic_irr[i];
	}
	vp->apic[APIC_ESR] = s->apic_esr;
	vp->apic[APIC_ICR_HI] = s->apic_icr_high;
	vp->apic[APIC_ICR_LO] = s->apic_icr_low;
	vp->apic[APIC_LVT_TIMER] = s->apic_lvt_timer;
	vp->apic[APIC_LVT_THERMAL] = s->apic_lvt_thermal;
	vp->apic[APIC_LVT_PERF] = s->apic_lvt_perfmon;
	vp->apic[APIC_LVT_LINT0] = s->apic_lvt_lint0;
	vp->apic[APIC_LVT_LINT1] = s->apic_lvt_lint1;
	vp->apic[APIC_LVT_ERROR] = s->apic_lvt_error;
	vp->apic[APIC_LVT_CMCI] = s->apic_lvt_cmci;
	vp->apic[APIC_TMICT] = s->apic_initial_count;
	vp->apic[APIC_TDCR] = s->apic_divide_configuration;
	vp->apic_error_status = s->apic_error_status;
	vp->apic_counter_value = s->apic_counter_value;
	vp->apic_remote_read = s->apic_remote_read;
	sim_x86__update_irq_request(vp);
	return 0;
}

/*
 * MOV to/from CR8. In 64-bit mode CR8 is the local APIC's task priority:
 * CR8[3:0] = TPR[7:4]; a write sets TPR[7:4] and clears TPR[3:0] (Intel SDM
 * vol. 3 10.8.6.1, AMD APM vol. 2 16.6.2), and bits 63:4 are reserved (#GP(0)
 * when set). QEMU's helpers keep CR8 in a private v_tpr (unicorn has no APIC
 * model), so unicorn_hooks.c's helper_read_crN/helper_write_crN hand CR8
 * to these (the reserved bits are checked there) and leave the other
 * control registers to QEMU. A write goes through sim_x86__apic_write, as
 * a TPR write through the APIC page does: it re-evaluates what is
 * deliverable and requests the interrupt.
 * QEMU's translator ends the translation block after every MOV to CRn
 * (translate.c, case 0x122: gen_jmp_im(next) + gen_eob), so the CPU loop
 * looks at the request before the next instruction, and an interrupt the
 * lower priority lets through is taken right after the MOV, as on hardware.
 * (QEMU's helpers also check SVM's CR intercepts and use v_tpr under SVM's
 * V_INTR masking; nested virtualisation is not modelled, so neither is done.)
 */
uint64_t sim_x86__cr8_read(struct sim_x86_vcpu *vp)
{
	return (vp->apic[APIC_TPR] >> 4) & 0xf;
}

void sim_x86__cr8_write(struct sim_x86_vcpu *vp, uint64_t val)
{
	sim_x86__apic_write(vp, APIC_TPR << 4, (uint32_t)val << 4, 0);
}

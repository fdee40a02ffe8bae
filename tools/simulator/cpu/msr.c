/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: MSRs. The hypervisor's own (synthetic MSRs, the
 * SynIC's and timers' (synic.c), APIC_BASE, TSC_DEADLINE, DEBUG_CTL),
 * those QEMU implements, and what RDMSR
 * and WRMSR of any other MSR do (sim_x86__rdmsr and sim_x86__wrmsr, for
 * unicorn_hooks.c's helper_rdmsr_x86_64 and helper_wrmsr_x86_64).
 */
#include <pthread.h>

#include "x86_cpu_internal.h"

/*
 * MSRs QEMU's own rdmsr/wrmsr implement, as the hypervisor does. Not among
 * them although QEMU's helpers take them: IA32_TIME_STAMP_COUNTER (0x10;
 * QEMU's write is not seen by RDTSC: sim_x86__own_msr_*), and
 * IA32_FEATURE_CONTROL (0x3a) and IA32_TSC_ADJUST (0x3b), which an AMD
 * processor (the model's vendor) does not have and CPUID does not report
 * (7.0:EBX bit 1): they are unimplemented MSRs (#GP, or the partition's
 * unimplemented-MSR action).
 */
static bool qemu_msr(uint32_t m)
{
	switch (m) {
	case 0xfe: /* MTRRCAP */
	case 0x174: case 0x175: case 0x176: /* SYSENTER */
	case 0x179: case 0x17a: case 0x17b: /* MCG */
	case 0x1a0: /* MISC_ENABLE */
	case 0x277: /* PAT */
	case 0x2ff: /* MTRR_DEF_TYPE */
	case 0x250: case 0x258: case 0x259: /* fixed MTRRs */
	case 0xc0000080: case 0xc0000081: case 0xc0000082: case 0xc0000083: case 0xc0000084:
	case 0xc0000100: case 0xc0000101: case 0xc0000102: case 0xc0000103:
		return true;
	default:
		/*
		 * MTRRs; and the machine-check banks MCi_CTL/STATUS/ADDR/MISC
		 * (0x400 + 4i..): CPUID reports MCE and MCA and MCG_CAP (0x179)
		 * reports the model's 10 banks (QEMU's MCE_BANKS_DEF for qemu64),
		 * so their MSRs exist; Linux's machine-check setup reads every
		 * bank and panics on a #GP ("MCA architectural violation").
		 */
		return (m >= 0x200 && m < 0x210) || (m >= 0x268 && m < 0x270) || (m >= 0x400 && m < 0x400 + 4 * 10);
	}
}

bool sim_x86__own_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val)
{
	if (sim_x86__hv_msr_read(vp, m, val) || sim_x86__synic_msr_read(vp, m, val))
		return true;
	switch (m) {
	case 0x1b:
		*val = vp->apic_base;
		return true;
	case 0x10: /* IA32_TIME_STAMP_COUNTER */
		*val = sim_x86__guest_tsc(vp);
		return true;
	case MSR_TSC_DEADLINE: /* apic.c: 0 outside TSC-deadline mode, as the value is then */
		*val = vp->tsc_deadline;
		return true;
	case MSR_DEBUG_CTL:
		*val = vp->debug_ctl;
		return true;
	}
	return false;
}

/* false: not the hypervisor's, or a value a synthetic MSR refuses (hyperv.c: #GP for WRMSR) */
bool sim_x86__own_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val)
{
	int hv = sim_x86__hv_msr_write(vp, m, val);
	if (hv == HV_MSR_NOT_MINE)
		hv = sim_x86__synic_msr_write(vp, m, val, false);
	if (hv != HV_MSR_NOT_MINE)
		return hv == HV_MSR_DONE;
	switch (m) {
	case 0x1b: /* apic.c; a value it refuses changes nothing (WRMSR: #GP, in sim_x86__wrmsr) */
		sim_x86__apic_base_write(vp, val);
		return true;
	case 0x10: /* a write sets the TSC, which counts on from the value (SDM vol. 3B 17.17) */
		sim_x86__set_guest_tsc(vp, val);
		sim_x86__hv_tsc_changed(vp); /* the reference TSC page follows */
		sim_x86__timers_rearm(vp);   /* and a TSC deadline moves in host time */
		return true;
	case MSR_TSC_DEADLINE:
		sim_x86__tsc_deadline_write(vp, val);
		return true;
	case MSR_DEBUG_CTL:
		vp->debug_ctl = val;
		return true;
	}
	return false;
}

/*
 * RDMSR and WRMSR (CPL > 0 has already raised #GP in QEMU's translator, as
 * it does before any VM exit on hardware) are decided in this order:
 *
 *  1. An MSR the hypervisor implements (sim_x86__own_msr_*, qemu_msr) is
 *     emulated. No MSR intercept applies to it.
 *  2. Otherwise, when an MSR intercept covers the access, the VP stops at
 *     the instruction and the root gets HVMSG_X64_MSR_INTERCEPT. Intercepts:
 *     HV_INTERCEPT_TYPE_X64_MSR (every MSR the hypervisor does not
 *     implement; no parameter) and HV_INTERCEPT_TYPE_X64_MSR_INDEX (the one
 *     MSR in intercept_parameter.msr_index), each for the READ and/or WRITE
 *     access of its mask. The message: header.rip = the RDMSR/WRMSR itself,
 *     header.instruction_length = 2, intercept_access_type READ or WRITE,
 *     msr_number = ECX, rax/rdx = RAX/RDX (for WRMSR, the value in EDX:EAX).
 *     The root completes the access: RAX/RDX for a read and RIP +=
 *     instruction_length, or a #GP through the pending-event register; a VP
 *     re-run without either executes the instruction, and exits, again.
 *  3. Otherwise HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION decides:
 *     HV_UNIMPLEMENTED_MSR_ACTION_FAULT (0, a partition's default) raises
 *     #GP(0) in the guest (its IDT/IVT, or an exception intercept of vector
 *     13); IGNORE_WRITE_READ_ZERO (1) completes RDMSR with EDX:EAX = 0 and
 *     WRMSR as a no-op, and the guest continues after the instruction.
 *
 * Sources. The order 1-2-3 is the hypervisor's documented MSR access rule
 * (Hyper-V WDK "MSR Accesses": emulated if the hypervisor virtualizes the
 * MSR and the partition holds its privilege, else a message to the parent
 * if an MSR intercept is installed, else #GP); HvInterceptTypeX64Msr "applies
 * to all MSRs that the hypervisor does not virtualize", takes no MSR value,
 * and permits the read and write access types (WDK HV_INTERCEPT_TYPE and
 * HvInstallIntercept: another access type is HV_STATUS_INVALID_PARAMETER, a
 * mask of NONE removes the intercept). MSR_INDEX is per index
 * (union hv_intercept_parameters.msr_index, Linux hvgdk_mini.h).
 * instruction_length is guaranteed "for CPUID, I/O port, and MSR
 * intercepts" (WDK HV_X64_INTERCEPT_MESSAGE_HEADER); openvmm (OpenHCL's
 * handle_msr_intercept) resumes at rip + instruction_len. FAULT as the
 * default and the meaning of IGNORE: the comments where Cloud Hypervisor
 * (hypervisor/src/mshv, commit ada85f68f) and QEMU (target/i386/mshv) set
 * IGNORE_WRITE_READ_ZERO for every partition; neither installs an MSR
 * intercept (Cloud Hypervisor would only log an HVMSG_X64_MSR_INTERCEPT and
 * re-enter the VP without completing it). openvmm's virt_mshv sets neither,
 * so its guests get #GP.
 *
 * The simulator's choices where the sources are silent: the property only
 * replaces the #GP of step 3, so an installed intercept wins over IGNORE;
 * a read's message carries the registers as they are (openvmm's WHP-based
 * stand-in for the hypervisor sends 0); at most SIM_MAX_MSR_INTERCEPTS index
 * intercepts per partition (more: the hypervisor refuses); an index
 * intercept of an MSR the hypervisor implements is accepted and never
 * fires. A synthetic MSR whose feature the partition lacks
 * (sim_x86__hv_msr_granted) is not implemented for its guest: steps 2 and
 * 3 decide it.
 */
/*
 * The hypervisor's APIC access MSRs (TLFS "Virtual Interrupt Controller":
 * HV_X64_MSR_EOI, _ICR, _TPR), the local APIC's registers by MSR in either
 * APIC mode: EOI is write-only (a read #GPs), ICR is the 64-bit ICR (the
 * destination in 63:56 in xAPIC mode, 63:32 in x2APIC mode), TPR bits
 * 7:0. Non-zero: #GP (reserved bits as the x2APIC MSRs have them).
 */
static int hv_apic_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val)
{
	if (m == HV_MSR_APIC_EOI)
		return -1;
	if (m == HV_MSR_APIC_TPR) {
		*val = vp->apic[APIC_TPR];
		return 0;
	}
	*val = ((uint64_t)vp->apic[APIC_ICR_HI] << 32) | vp->apic[APIC_ICR_LO];
	return 0;
}

static int hv_apic_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val, uintptr_t ra)
{
	if (sim_x86__x2apic_mode(vp))
		return sim_x86__x2apic_wrmsr(vp, m == HV_MSR_APIC_EOI ? 0x80b : m == HV_MSR_APIC_ICR ? 0x830 : 0x808,
					     val, ra);
	if ((m == HV_MSR_APIC_TPR && val > 0xff) || (m == HV_MSR_APIC_EOI && val))
		return -1;
	if (m == HV_MSR_APIC_ICR) {
		val &= ~0x00ffffff00000000ull; /* reserved in xAPIC mode: ignored, as the APIC page ignores them */
		sim_x86__apic_write(vp, APIC_ICR_HI << 4, (uint32_t)(val >> 32), 0);
		sim_x86__apic_write(vp, APIC_ICR_LO << 4, (uint32_t)val, ra);
		return 0;
	}
	sim_x86__apic_write(vp, (m == HV_MSR_APIC_EOI ? APIC_EOI : APIC_TPR) << 4, (uint32_t)val, ra);
	return 0;
}

enum msr_disposition { MSR_INTERCEPT, MSR_FAULT, MSR_IGNORE };

static enum msr_disposition msr_unimplemented(struct sim_x86_vcpu *vp, uint32_t m, bool write)
{
	uint8_t want = write ? HV_INTERCEPT_ACCESS_MASK_WRITE : HV_INTERCEPT_ACCESS_MASK_READ;
	enum msr_disposition d;

	pthread_mutex_lock(&vp->icpt_lock);
	d = vp->icpt.msr_ignore ? MSR_IGNORE : MSR_FAULT;
	if (vp->icpt.msr_all & want)
		d = MSR_INTERCEPT;
	for (unsigned i = 0; i < vp->icpt.nmsr_index && d != MSR_INTERCEPT; i++)
		if (vp->icpt.msr_index[i].msr == m && (vp->icpt.msr_index[i].access & want))
			d = MSR_INTERCEPT;
	pthread_mutex_unlock(&vp->icpt_lock);
	return d;
}

/*
 * RDMSR of the MSR in ECX, for unicorn_hooks.c's helper_rdmsr_x86_64 (ra:
 * its return address). false: QEMU implements the MSR, its helper does
 * the rest; otherwise done here, or the VP stops at the intercept or
 * takes #GP (neither returns).
 */
bool sim_x86__rdmsr(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	uint64_t *r = regs(vp), val;
	uint32_t m = (uint32_t)r[1];
	if (!sim_x86__hv_msr_granted(vp, m))
		goto unimplemented;
	if (m >= 0x800 && m <= 0x8ff) { /* x2APIC (apic.c): #GP outside x2APIC mode */
		if (sim_x86__x2apic_rdmsr(vp, m, &val))
			sim_x86__raise_gp(vp, ra);
		r[0] = (uint32_t)val;
		r[2] = val >> 32;
		return true;
	}
	if (m >= HV_MSR_APIC_EOI && m <= HV_MSR_APIC_TPR) {
		if (hv_apic_msr_read(vp, m, &val))
			sim_x86__raise_gp(vp, ra);
		r[0] = (uint32_t)val;
		r[2] = val >> 32;
		return true;
	}
	if (sim_x86__own_msr_read(vp, m, &val)) {
		r[0] = (uint32_t)val;
		r[2] = val >> 32;
		return true;
	}
	if (qemu_msr(m))
		return false;
unimplemented:
	switch (msr_unimplemented(vp, m, false)) {
	case MSR_INTERCEPT:
		vp->ex.kind = EXIT_MSR;
		vp->ex.msr = m;
		vp->ex.msr_write = false;
		sim_x86__stop_here(vp, ra);
	case MSR_IGNORE:
		r[0] = 0;
		r[2] = 0;
		return true;
	case MSR_FAULT:
		break;
	}
	sim_x86__raise_gp(vp, ra);
}

/* WRMSR of EDX:EAX to the MSR in ECX: as sim_x86__rdmsr. */
bool sim_x86__wrmsr(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	uint64_t *r = regs(vp);
	uint32_t m = (uint32_t)r[1];
	uint64_t val = (uint32_t)r[0] | (r[2] << 32);
	int hv;
	if (!sim_x86__hv_msr_granted(vp, m))
		goto unimplemented;
	if (m >= HV_MSR_APIC_EOI && m <= HV_MSR_APIC_TPR) {
		if (hv_apic_msr_write(vp, m, val, ra))
			sim_x86__raise_gp(vp, ra);
		return true;
	}
	hv = sim_x86__hv_msr_write(vp, m, val);
	if (hv == HV_MSR_NOT_MINE)
		hv = sim_x86__synic_msr_write(vp, m, val, true);
	switch (hv) {
	case HV_MSR_DONE:
		sim_x86__update_irq_request(vp); /* a timer or message may have raised an interrupt */
		return true;
	case HV_MSR_GP: /* read-only, or a value the synthetic MSR refuses */
		sim_x86__raise_gp(vp, ra);
	default:
		break;
	}
	if (m == 0x1b && sim_x86__apic_base_write(vp, val))
		sim_x86__raise_gp(vp, ra);
	if (m == 0x1b)
		return true;
	if (m >= 0x800 && m <= 0x8ff) {
		if (sim_x86__x2apic_wrmsr(vp, m, val, ra))
			sim_x86__raise_gp(vp, ra);
		return true;
	}
	if (sim_x86__own_msr_write(vp, m, val))
		return true;
	if (qemu_msr(m))
		return false;
unimplemented:
	switch (msr_unimplemented(vp, m, true)) {
	case MSR_INTERCEPT:
		vp->ex.kind = EXIT_MSR;
		vp->ex.msr = m;
		vp->ex.msr_write = true;
		sim_x86__stop_here(vp, ra);
	case MSR_IGNORE:
		return true;
	case MSR_FAULT:
		break;
	}
	sim_x86__raise_gp(vp, ra);
}

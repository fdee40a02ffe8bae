/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the CPUID leaves the hypervisor presents. QEMU's
 * qemu64 model with the feature words the CPU model runs (unicorn_hooks.c,
 * model_set_features; XSAVE: model_enable_xsave), the hypervisor's
 * changes to leaf 1, and the hypervisor's own leaves 0x40000000 on; the
 * CPUID instruction (its intercept).
 */
#include <pthread.h>
#include <string.h>

#include "x86_cpu_internal.h"

/*
 * The hypervisor's leaves as the Microsoft Hypervisor presents them to a
 * guest partition (TLFS "Feature and Interface Discovery"; bit names as in
 * Linux's hyperv-tlfs.h). They follow the partition's synthetic processor
 * features (HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, which the VMM
 * sets before the partition is initialized; mshv_system_create_vm() sets
 * mshv-ioctls' defaults), and report only what the simulator implements
 * (hyperv.c, synic.c): a feature the partition has but the simulator
 * lacks is not reported.
 *
 * hypervisor_present clear: CPUID 1 ECX[31] is clear and the leaves from
 * 0x40000000 read 0 (as on a processor without a hypervisor: AMD's
 * answer for leaves past the highest). hv1 clear: 0x40000000 names the
 * hypervisor with 0x40000001 as the highest leaf, and 0x40000001 reads 0
 * (no "Hv#1" interface); the rest read 0. The simulator's reading of the
 * two bits' comments ("CPUID leaves 0x40000000 and 0x40000001 are
 * supported", "Report support for Hv1 (CPUID leaves 0x40000000 -
 * 0x40000006)"); a Linux guest then does not detect Hyper-V.
 *
 * 0x40000000  EAX 0x4000000a, the highest leaf (Linux wants at least
 *             0x40000005); "Microsoft Hv" in EBX ECX EDX.
 * 0x40000001  EAX "Hv#1": the TLFS interface.
 * 0x40000002  the hypervisor's version: build 20348, 10.0, service pack 0,
 *             branch 0, number 1 -- the Windows Server 2022 hypervisor's
 *             release build number, the simulator's choice of a plausible
 *             host (Linux prints "Hyper-V: Host Build 10.0.20348.1-0-0").
 * 0x40000003  partition privileges and features, each from its feature:
 *             EAX bit 1 TIME_REF_COUNT (access_partition_reference_counter),
 *             2 SynIC (access_synic_regs), 3 synthetic timers
 *             (access_synthetic_timer_regs), 4 APIC access MSRs and VP
 *             assist page (access_intr_ctrl_regs), 5 HYPERCALL
 *             (access_hypercall_regs), 6 VP_INDEX (access_vp_index), 9
 *             REFERENCE_TSC (access_partition_reference_tsc), 11
 *             ACCESS_FREQUENCY_MSRS (access_frequency_regs); mshv-ioctls'
 *             defaults give 0xa7e. Never: the VP runtime MSR (0), reset,
 *             statistics pages, guest idle (10), reenlightenment, TSC
 *             invariant control (15).
 *             EBX 0x30: PostMessages (4) and SignalEvents (5), which a
 *             guest's VMBus driver needs (it posts to the host and
 *             signals events through hypercalls; the simulator's choice:
 *             granted to every guest); no other hypercall privilege
 *             (guest_hypercalls.c answers HV_STATUS_ACCESS_DENIED to the calls
 *             the others allow).
 *             ECX 0: no power-management information.
 *             EDX bit 8 FREQUENCY_MSRS_AVAILABLE (with access_frequency_
 *             regs; Linux then takes the TSC and LAPIC timer rates from
 *             the MSRs, no calibration), 19 STIMER_DIRECT_MODE_AVAILABLE
 *             (with the synthetic timers and direct_synthetic_timers).
 * 0x40000004  recommendations: EAX bit 5 relaxed timing: a guest should
 *             not expect timely interrupts of a CPU model that may run far
 *             slower than hardware; with the partition's features, 2
 *             remote TLB flushes by hypercall (tb_flush_hypercalls), 10
 *             IPIs by hypercall (synthetic_cluster_ipi), 11 their Ex forms
 *             (extended_processor_masks): guest_hypercalls.c serves them.
 *             mshv-ioctls' defaults give 0x424. Nothing recommends what
 *             the simulator does not implement (address-space switch,
 *             local flush, ...), nor the APIC access MSRs (implemented,
 *             but the APIC page serves as well). EBX 0xffffffff: never
 *             notify of long spin waits (HvCallNotifyLongSpinWait is not
 *             implemented). ECX, EDX 0.
 * 0x40000005  limits: EAX the most VPs a partition may have
 *             (SIM_HV_MAX_VPS = the hypervisor layer's HV_SIM_MAX_VPS,
 *             256), EBX the most logical processors the hypervisor
 *             supports (HV_MAXIMUM_PROCESSORS, 2048), ECX 0 (no interrupt
 *             remapping vectors).
 * 0x40000006  hardware features the hypervisor uses: none (the CPU model
 *             has no SLAT, MSR bitmaps, DMA remapping, ...): all 0.
 * 0x40000007  CPU management features (a root partition's): 0.
 * 0x40000008  shared virtual memory: 0.
 * 0x40000009  nested hypervisor features: 0 (no nested virtualization).
 * 0x4000000a  nested optimizations (enlightened VMCS, ...): 0.
 *
 * Leaves above 0x4000000a up to 0x400000ff are 0.
 */
static void hv_leaf(const struct sim_x86_vcpu *vp, uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
		    uint32_t *d)
{
	bool hv1 = sim_x86__hv_feature(vp, HV_FEAT_HV1);

	if (!sim_x86__hv_feature(vp, HV_FEAT_PRESENT) || (!hv1 && leaf > 0x40000000u))
		return;
	switch (leaf) {
	case 0x40000000u:
		*a = hv1 ? 0x4000000au : 0x40000001u;
		*b = 0x7263694d; /* "Micr" */
		*c = 0x666f736f; /* "osof" */
		*d = 0x76482074; /* "t Hv" */
		break;
	case 0x40000001u:
		*a = 0x31237648; /* "Hv#1" */
		break;
	case 0x40000002u:
		*a = 20348;
		*b = (10u << 16) | 0;
		*c = 0;
		*d = (0u << 24) | 1;
		break;
	case 0x40000003u: {
		static const struct { uint8_t feature, bit; } eax[] = {
			{ HV_FEAT_REF_COUNTER, 1 }, { HV_FEAT_SYNIC, 2 },    { HV_FEAT_STIMER, 3 },
			{ HV_FEAT_INTR_CTRL, 4 },   { HV_FEAT_HYPERCALL, 5 }, { HV_FEAT_VP_INDEX, 6 },
			{ HV_FEAT_REF_TSC, 9 },     { HV_FEAT_FREQUENCY, 11 },
		};
		for (size_t i = 0; i < sizeof(eax) / sizeof(eax[0]); i++)
			if (sim_x86__hv_feature(vp, eax[i].feature))
				*a |= 1u << eax[i].bit;
		*b = (1u << 4) | (1u << 5);
		if (sim_x86__hv_feature(vp, HV_FEAT_FREQUENCY))
			*d |= 1u << 8;
		if (sim_x86__hv_feature(vp, HV_FEAT_STIMER) && sim_x86__hv_feature(vp, HV_FEAT_DIRECT_STIMER))
			*d |= 1u << 19;
		break;
	}
	case 0x40000004u:
		*a = 1u << 5;
		if (sim_x86__hv_feature(vp, HV_FEAT_TB_FLUSH))
			*a |= 1u << 2; /* remote TLB flush by hypercall (guest_hypercalls.c) */
		if (sim_x86__hv_feature(vp, HV_FEAT_CLUSTER_IPI))
			*a |= 1u << 10; /* IPIs by hypercall */
		if (sim_x86__hv_feature(vp, HV_FEAT_EXT_PROCESSOR_MASKS))
			*a |= 1u << 11; /* the Ex forms (processor sets) */
		*b = 0xffffffffu;
		break;
	case 0x40000005u:
		*a = SIM_HV_MAX_VPS;
		*b = 2048;
		break;
	default:
		break;
	}
}

void sim_x86_vcpu_cpuid(struct sim_x86_vcpu *vp, uint32_t eax, uint32_t ecx, uint32_t out[4])
{
	uint32_t a = 0, b = 0, c = 0, d = 0;
	if (eax >= 0x40000000u && eax < 0x40000100u) {
		hv_leaf(vp, eax, &a, &b, &c, &d);
	} else if (eax == 5) {
		/* MONITOR/MWAIT: leaf 1 does not report MONITOR (unicorn_hooks.c, model_set_features) */
	} else {
		sim_x86__engine_cpuid(vp, eax, ecx, &a, &b, &c, &d);
		if (eax == 6)
			a |= 1u << 2; /* ARAT: the APIC timer counts on in HLT and while the VP is not run (apic.c) */
		if (eax == 1) {
			if (sim_x86__hv_feature(vp, HV_FEAT_PRESENT))
				c |= 1u << 31; /* hypervisor present */
			else
				c &= ~(1u << 31);
			c |= 1u << 24;         /* TSC-deadline (apic.c) */
			if (vp->x2apic_capable)
				c |= 1u << 21; /* x2APIC: the partition was created x2APIC-capable (apic.c) */
			b = (b & 0x0000ffffu) | (1u << 16) | (vp->vp_index << 24); /* initial APIC ID */
			/* APIC: 0 while IA32_APIC_BASE's global enable is clear (Intel SDM vol. 3A 11.4.3) */
			if (vp->apic_base & MSR_APIC_BASE_ENABLE)
				d |= 1u << 9;
			else
				d &= ~(1u << 9);
		}
	}
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

void sim_x86_vcpu_cpuid_registered(struct sim_x86_vcpu *vp, uint32_t eax, uint32_t ecx, uint32_t out[4])
{
	unsigned i;

	sim_x86_vcpu_cpuid(vp, eax, ecx, out);
	pthread_mutex_lock(&vp->icpt_lock);
	for (i = 0; i < vp->icpt.ncpuid_results; i++) {
		const struct hv_register_x64_cpuid_result_parameters *o = &vp->icpt.cpuid_results[i];

		if (o->input.eax != eax || (o->input.subleaf_specific && o->input.ecx != ecx))
			continue;
		out[0] = (out[0] & ~o->result.eax_mask) | (o->result.eax & o->result.eax_mask);
		out[1] = (out[1] & ~o->result.ebx_mask) | (o->result.ebx & o->result.ebx_mask);
		out[2] = (out[2] & ~o->result.ecx_mask) | (o->result.ecx & o->result.ecx_mask);
		out[3] = (out[3] & ~o->result.edx_mask) | (o->result.edx & o->result.edx_mask);
	}
	pthread_mutex_unlock(&vp->icpt_lock);
}

/*
 * CPUID executed by the guest (unicorn_hooks.c's helper_cpuid_x86_64, ra
 * its return address): the leaf, or the VP stops at the intercept.
 */
void sim_x86__cpuid_insn(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	uint32_t out[4];
	uint64_t *r = regs(vp);
	/*
	 * The registered results are the hypervisor's answer, so they are also
	 * the defaults an intercept message offers the root (the TLFS leaves
	 * open which one the message carries; this follows "registered results
	 * replace the hypervisor's own").
	 */
	bool intercepted;

	sim_x86_vcpu_cpuid_registered(vp, (uint32_t)r[0], (uint32_t)r[1], out);
	pthread_mutex_lock(&vp->icpt_lock); /* the root installs intercepts while the VP runs */
	intercepted = vp->icpt.cpuid;
	pthread_mutex_unlock(&vp->icpt_lock);
	if (intercepted) {
		vp->ex.kind = EXIT_CPUID;
		memcpy(vp->ex.def, out, sizeof(out));
		sim_x86__stop_here(vp, ra);
	}
	r[0] = out[0];
	r[3] = out[1];
	r[1] = out[2];
	r[2] = out[3];
}

/* The processor's vendor is Intel (leaf 0 "GenuineIntel"); the CPU model's is AMD (qemu64's). */
bool sim_x86__vendor_intel(struct sim_x86_vcpu *vp)
{
	uint32_t a, b, c, d;
	sim_x86__engine_cpuid(vp, 0, 0, &a, &b, &c, &d);
	return b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;
}

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

void sim_x86_vcpu_cpuid(struct sim_x86_vcpu *vp, uint32_t eax, uint32_t ecx, uint32_t out[4])
{
	uint32_t a = 0, b = 0, c = 0, d = 0;
	if (eax >= 0x40000000u && eax < 0x40000100u) {
		switch (eax) {
		case 0x40000000u: /* vendor "Microsoft Hv", highest leaf */
			a = 0x40000006u;
			b = 0x7263694d;
			c = 0x666f736f;
			d = 0x76482074;
			break;
		case 0x40000001u: /* interface "Hv#1" */
			a = 0x31237648;
			break;
		case 0x40000003u: /* partition privileges: VP index and hypercall MSRs */
			a = (1u << 5) | (1u << 6);
			break;
		default:
			break;
		}
	} else if (eax == 5) {
		/* MONITOR/MWAIT: leaf 1 does not report MONITOR (unicorn_hooks.c, model_set_features) */
	} else {
		sim_x86__engine_cpuid(vp, eax, ecx, &a, &b, &c, &d);
		if (eax == 6)
			a |= 1u << 2; /* ARAT: the APIC timer counts on in HLT and while the VP is not run (apic.c) */
		if (eax == 1) {
			c |= 1u << 31;                                  /* hypervisor present */
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
	sim_x86_vcpu_cpuid_registered(vp, (uint32_t)r[0], (uint32_t)r[1], out);
	if (vp->icpt.cpuid) {
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

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the clocks a guest reads. Every clock is derived
 * from the host's CLOCK_MONOTONIC, so VPs of one partition agree and a
 * guest sees time pass at wall-clock speed however slowly it runs.
 *
 *  - The time stamp counter runs at SIM_TSC_HZ from the partition's
 *    creation (each VP's tsc_epoch_ns), plus a per-VP offset that a WRMSR
 *    of IA32_TSC (0x10) sets. RDTSC, RDTSCP and RDMSR 0x10 read it
 *    (QEMU's helpers all call cpu_get_tsc, which unicorn_hooks.c hands
 *    here).
 *  - The partition reference time (HV_X64_MSR_TIME_REF_COUNT, the
 *    reference TSC page) counts 100 ns units from the partition's creation.
 *  - The local APIC timer counts at SIM_APIC_HZ.
 *
 * The simulator's choices: the hypervisor reports the host's TSC rate,
 * which a simulated CPU does not have; 1 GHz makes a TSC tick one
 * nanosecond, exact in the reference TSC page's scale (2^64 / 100) and in
 * HV_X64_MSR_TSC_FREQUENCY. 200 MHz is the APIC timer rate the Microsoft
 * Hypervisor reports in HV_X64_MSR_APIC_FREQUENCY.
 */
#include <time.h>

#include "x86_cpu_internal.h"

uint64_t sim_x86__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sim_x86__guest_tsc(const struct sim_x86_vcpu *vp)
{
	uint64_t ns = sim_x86__now_ns() - vp->tsc_epoch_ns;
	return ns * (SIM_TSC_HZ / 1000000000ull) + vp->tsc_offset;
}

void sim_x86__set_guest_tsc(struct sim_x86_vcpu *vp, uint64_t tsc)
{
	uint64_t ns = sim_x86__now_ns() - vp->tsc_epoch_ns;
	vp->tsc_offset = tsc - ns * (SIM_TSC_HZ / 1000000000ull);
}

uint64_t sim_x86__reference_time(const struct sim_x86_vcpu *vp)
{
	return (sim_x86__now_ns() - vp->tsc_epoch_ns) / 100;
}

void sim_x86_vcpu_set_time_base(struct sim_x86_vcpu *vp, uint64_t epoch_ns)
{
	vp->tsc_epoch_ns = epoch_ns;
	vp->tsc_offset = 0;
}

uint64_t sim_x86_now_ns(void)
{
	return sim_x86__now_ns();
}

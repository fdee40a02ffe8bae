/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the Microsoft Hypervisor's enlightenments as a guest
 * partition sees them. The synthetic MSRs of timekeeping and of the
 * hypercall interface (guest OS id, hypercall page, VP index, reference
 * counter, reference TSC page, TSC and APIC frequencies, VP assist page),
 * and the pages the hypervisor writes into guest memory for them; what the
 * partition's features grant. The guest's hypercalls are
 * guest_hypercalls.c's.
 *
 * The SynIC and the synthetic timers are synic.c's. The CPUID leaves that
 * announce all this are cpuid.c's; both follow the partition's synthetic
 * processor features (sim_x86__hv_msr_granted below). Sources: the Hyper-V TLFS (chapters
 * "Hypercall Interface", "Virtual Processor Management", "Timers":
 * partition reference counter and reference TSC page) and what a Linux
 * 6.1 guest does with them (arch/x86/hyperv/hv_init.c,
 * drivers/clocksource/hyperv_timer.c).
 *
 * The simulator's choices where the sources leave room:
 *
 *  - The guest OS id, hypercall and reference TSC MSRs are partition-wide
 *    (TLFS): the hypervisor layer gives every VP of a partition the same
 *    struct sim_x86_partition_msrs; Linux writes them on the boot CPU and
 *    makes hypercalls on every CPU.
 *  - The hypervisor's pages are overlays in the TLFS (they hide the RAM
 *    below them while enabled, and the RAM comes back when disabled). The
 *    simulator writes them into the guest RAM at the GPA instead, and only
 *    when a writable memory region covers the whole page; elsewhere the
 *    MSR takes the value and no page appears (the guest's accesses there
 *    reach the VMM as they would without the MSR). A GPA beyond the
 *    partition's physical address width is #GP, as the TLFS says of the
 *    hypercall page; the simulator applies that to the other page MSRs too.
 */
#include <string.h>

#include "x86_cpu_internal.h"

#define HYPERCALL_ENABLE 0x1ull
#define HYPERCALL_LOCKED 0x2ull
#define PAGE_ENABLE 0x1ull
#define GPA_PAGE_MASK (~0xfffull)

/* The guest-physical page at gpa in host memory when writable RAM holds all of it, else NULL. */
static uint8_t *ram_page(struct sim_x86_vcpu *vp, uint64_t gpa)
{
	const struct sim_mem_slot *s = sim_x86__find_slot(vp, gpa);

	if (!s || !(s->flags & SIM_MEM_WRITE) || s->size - (gpa - s->gpa) < PAGE_SIZE_4K)
		return NULL;
	if (vp->track_fn) /* the hypervisor's write dirties the page, as a guest store would */
		vp->track_fn(vp->track_opaque, gpa >> 12, true);
	return (uint8_t *)s->host + (gpa - s->gpa);
}

/* A page-number field within the partition's physical address width (CPUID 0x80000008). */
static bool gpa_ok(const struct sim_x86_vcpu *vp, uint64_t val)
{
	return !(val & (vp->pa_rsvd | 0xfff0000000000000ull));
}

/*
 * The hypercall page. The hypervisor fills it with the code that enters it
 * on this processor: VMMCALL; RET on AMD (the model's vendor), VMCALL; RET
 * on Intel (what KVM's Hyper-V emulation writes too, and what Linux calls
 * at offset 0 with the 64-bit convention). The same bytes serve the 32-bit
 * convention, the mode deciding the registers. The rest of the page is
 * INT3: the hypervisor's other entry points (VTL call and return) are not
 * modelled, and a stray jump there traps instead of running zeros.
 */
static void write_hypercall_page(struct sim_x86_vcpu *vp, uint64_t gpa)
{
	uint8_t *p = ram_page(vp, gpa);

	if (!p)
		return;
	memset(p, 0xcc, PAGE_SIZE_4K);
	p[0] = 0x0f;
	p[1] = 0x01;
	p[2] = sim_x86__vendor_intel(vp) ? 0xc1 : 0xd9;
	p[3] = 0xc3;
}

/* (a * b) >> 64 */
static uint64_t mul_shr64(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/*
 * The reference TSC page (TLFS "Partition Reference TSC Mechanism"):
 * tsc_sequence (u32), reserved (u32), tsc_scale (u64), tsc_offset (s64);
 * reference time = ((TSC * tsc_scale) >> 64) + tsc_offset, in 100 ns units.
 * The guest TSC runs at SIM_TSC_HZ, so tsc_scale is 10^7 * 2^64 /
 * SIM_TSC_HZ (2^64 / 100 at 1 GHz, rounded down: 0.16 / 2^64 short, far
 * below a unit over the TSC's range), and tsc_offset is taken at one
 * instant: the reference time less the scaled TSC. The hypervisor
 * rewrites the page when the VP's TSC is set (WRMSR 0x10), with the new
 * offset. Sequence: 0 while it writes (a reader seeing 0 falls back to
 * the reference counter MSR, as the TLFS says), then one more than
 * before, never 0 or 0xffffffff (the old TLFS's "invalid").
 */
static void write_reference_tsc_page(struct sim_x86_vcpu *vp) /* pmsr->lock held */
{
	struct sim_x86_partition_msrs *m = vp->pmsr;
	uint64_t scale = (uint64_t)(((unsigned __int128)10000000u << 64) / SIM_TSC_HZ);
	uint64_t ns, tsc;
	int64_t offset;
	uint8_t *p;

	if (!(m->reference_tsc & PAGE_ENABLE) || !(p = ram_page(vp, m->reference_tsc & GPA_PAGE_MASK)))
		return;
	ns = sim_x86__now_ns() - vp->tsc_epoch_ns;
	tsc = ns * (SIM_TSC_HZ / 1000000000ull) + vp->tsc_offset;
	offset = (int64_t)(ns / 100) - (int64_t)mul_shr64(tsc, scale);
	if (++m->tsc_sequence == 0 || m->tsc_sequence == 0xffffffffu)
		m->tsc_sequence = 1;
	__atomic_store_n((uint32_t *)p, 0, __ATOMIC_RELEASE);
	__atomic_store_n((uint64_t *)(p + 8), scale, __ATOMIC_RELEASE);
	__atomic_store_n((int64_t *)(p + 16), offset, __ATOMIC_RELEASE);
	__atomic_store_n((uint32_t *)p, m->tsc_sequence, __ATOMIC_RELEASE);
}

void sim_x86__hv_tsc_changed(struct sim_x86_vcpu *vp)
{
	pthread_mutex_lock(&vp->pmsr->lock);
	write_reference_tsc_page(vp);
	pthread_mutex_unlock(&vp->pmsr->lock);
}

void sim_x86_vcpu_set_partition_msrs(struct sim_x86_vcpu *vp, struct sim_x86_partition_msrs *msrs)
{
	vp->pmsr = msrs ? msrs : &vp->own_pmsr;
}

/* The hypercall MSR (guest_hypercalls.c: whether VMMCALL is a hypercall). */
uint64_t sim_x86__hv_hypercall_msr(struct sim_x86_vcpu *vp)
{
	uint64_t v;

	pthread_mutex_lock(&vp->pmsr->lock);
	v = vp->pmsr->hypercall;
	pthread_mutex_unlock(&vp->pmsr->lock);
	return v;
}

/* ---- what the partition's synthetic features grant ---- */

void sim_x86_vcpu_set_synthetic_features(struct sim_x86_vcpu *vp, uint64_t features)
{
	atomic_store(&vp->hv_features, features);
}

bool sim_x86__hv_feature(const struct sim_x86_vcpu *vp, unsigned bit)
{
	return (atomic_load(&vp->hv_features) >> bit) & 1;
}

/*
 * The feature (bit of union hv_partition_synthetic_processor_features)
 * that gives the guest a synthetic MSR the hypervisor implements, -1 for
 * any other MSR. The pairs are the TLFS's privileges (HV_PARTITION_
 * PRIVILEGE_MASK: AccessHypercallMsrs covers the guest OS id and the
 * hypercall page, AccessIntrCtrlRegs the APIC access MSRs and the VP
 * assist page, ...), which the features of the same names grant.
 */
static int msr_feature(uint32_t m)
{
	switch (m) {
	case HV_MSR_GUEST_OS_ID:
	case HV_MSR_HYPERCALL:
		return HV_FEAT_HYPERCALL;
	case HV_MSR_VP_INDEX:
		return HV_FEAT_VP_INDEX;
	case HV_MSR_TIME_REF_COUNT:
		return HV_FEAT_REF_COUNTER;
	case HV_MSR_REFERENCE_TSC:
		return HV_FEAT_REF_TSC;
	case HV_MSR_TSC_FREQUENCY:
	case HV_MSR_APIC_FREQUENCY:
		return HV_FEAT_FREQUENCY;
	case HV_MSR_APIC_EOI:
	case HV_MSR_APIC_ICR:
	case HV_MSR_APIC_TPR:
	case HV_MSR_VP_ASSIST_PAGE:
		return HV_FEAT_INTR_CTRL;
	}
	if (m >= HV_MSR_STIMER0_CONFIG && m <= HV_MSR_STIMER3_COUNT)
		return HV_FEAT_STIMER;
	if (sim_x86__synic_msr(m))
		return HV_FEAT_SYNIC;
	return -1;
}

/*
 * Whether the guest may use MSR m: any MSR but a synthetic one whose
 * feature the partition lacks. Such an MSR is, to the guest, one the
 * hypervisor does not implement (msr.c: an MSR intercept, or the
 * unimplemented-MSR action: #GP by default), as on the hypervisor, which
 * virtualizes an MSR only for a partition holding its privilege. The
 * root's register hypercalls reach every one of them.
 */
bool sim_x86__hv_msr_granted(const struct sim_x86_vcpu *vp, uint32_t m)
{
	int f = msr_feature(m);
	return f < 0 || sim_x86__hv_feature(vp, (unsigned)f);
}

bool sim_x86__hv_msr_read_only(uint32_t m)
{
	return m == HV_MSR_VP_INDEX || m == HV_MSR_TIME_REF_COUNT || m == HV_MSR_TSC_FREQUENCY ||
	       m == HV_MSR_APIC_FREQUENCY;
}

bool sim_x86__hv_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val)
{
	switch (m) {
	case HV_MSR_GUEST_OS_ID:
	case HV_MSR_HYPERCALL:
	case HV_MSR_REFERENCE_TSC:
		pthread_mutex_lock(&vp->pmsr->lock);
		*val = m == HV_MSR_GUEST_OS_ID ? vp->pmsr->guest_os_id
		       : m == HV_MSR_HYPERCALL ? vp->pmsr->hypercall
					       : vp->pmsr->reference_tsc;
		pthread_mutex_unlock(&vp->pmsr->lock);
		return true;
	case HV_MSR_VP_INDEX:
		*val = vp->vp_index;
		return true;
	case HV_MSR_TIME_REF_COUNT:
		*val = sim_x86__reference_time(vp);
		return true;
	case HV_MSR_TSC_FREQUENCY:
		*val = SIM_TSC_HZ;
		return true;
	case HV_MSR_APIC_FREQUENCY:
		*val = SIM_APIC_HZ;
		return true;
	case HV_MSR_VP_ASSIST_PAGE:
		*val = vp->vp_assist;
		return true;
	}
	return false;
}

/*
 * A write of a synthetic MSR: HV_MSR_NOT_MINE, HV_MSR_DONE, or HV_MSR_GP
 * (the read-only ones, a page number beyond the address width).
 *
 * GUEST_OS_ID: any value; writing 0 disables the hypercall page (TLFS:
 * with no guest OS identity hypercalls stay disabled, and clearing it
 * disables them). HYPERCALL: bit 0 enable (stays 0 while the guest OS id
 * is 0), bit 1 locked (once set, the MSR keeps its value until the VP is
 * reset: the simulator ignores later writes, the TLFS only saying the page
 * cannot be moved), bits 11:2 kept as written, 63:12 the page. Enabling
 * writes the hypercall page. REFERENCE_TSC: bit 0 enable, 63:12 the page;
 * enabling writes the reference TSC page. VP_ASSIST_PAGE: bit 0 enable,
 * 63:12 the page; enabling zeroes the page (as KVM's Hyper-V emulation
 * does; Linux 6.1 zeroes it itself before enabling). Nothing in it is
 * acted upon: the features that use it (APIC EOI assist, enlightened
 * VMCS, nested) are not offered.
 */
int sim_x86__hv_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val)
{
	struct sim_x86_partition_msrs *pm = vp->pmsr;
	int ret = HV_MSR_DONE;

	switch (m) {
	case HV_MSR_GUEST_OS_ID:
	case HV_MSR_HYPERCALL:
	case HV_MSR_REFERENCE_TSC:
		pthread_mutex_lock(&pm->lock);
		if (m == HV_MSR_HYPERCALL && (pm->hypercall & HYPERCALL_LOCKED)) {
			/* locked: keeps its value */
		} else if (m != HV_MSR_GUEST_OS_ID && !gpa_ok(vp, val)) {
			ret = HV_MSR_GP;
		} else if (m == HV_MSR_GUEST_OS_ID) {
			pm->guest_os_id = val;
			if (!val)
				pm->hypercall &= ~HYPERCALL_ENABLE;
		} else if (m == HV_MSR_HYPERCALL) {
			if (!pm->guest_os_id)
				val &= ~HYPERCALL_ENABLE;
			pm->hypercall = val;
			if (val & HYPERCALL_ENABLE)
				write_hypercall_page(vp, val & GPA_PAGE_MASK);
		} else if (m == HV_MSR_REFERENCE_TSC) {
			pm->reference_tsc = val;
			write_reference_tsc_page(vp);
		}
		pthread_mutex_unlock(&pm->lock);
		return ret;
	case HV_MSR_VP_ASSIST_PAGE:
		if (!gpa_ok(vp, val))
			return HV_MSR_GP;
		vp->vp_assist = val;
		if (val & PAGE_ENABLE) {
			uint8_t *p = ram_page(vp, val & GPA_PAGE_MASK);
			if (p)
				memset(p, 0, PAGE_SIZE_4K);
		}
		return HV_MSR_DONE;
	}
	return sim_x86__hv_msr_read_only(m) ? HV_MSR_GP : HV_MSR_NOT_MINE;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the local APIC (xAPIC registers at the APIC page,
 * owned by the VP's run thread), interrupts asserted from other threads,
 * what the VP can take, the LAPIC state blob, and CR8 (the TPR in 64-bit
 * mode). Delivering an interrupt is QEMU's, driven from unicorn_hooks.c
 * (x86_cpu_exec_interrupt).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "x86_cpu_internal.h"

static bool apic_enabled(const struct sim_x86_vcpu *vp)
{
	return (vp->apic_base & MSR_APIC_BASE_ENABLE) != 0;
}

bool sim_x86__x2apic_mode(const struct sim_x86_vcpu *vp)
{
	return (vp->apic_base & (MSR_APIC_BASE_ENABLE | MSR_APIC_BASE_EXTD)) ==
	       (MSR_APIC_BASE_ENABLE | MSR_APIC_BASE_EXTD);
}

/*
 * The APIC page at IA32_APIC_BASE[MAXPHYADDR-1:12] (the bits above are
 * refused by sim_x86__apic_base_write). In x2APIC mode the page is not
 * decoded: accesses there go to memory (SDM vol. 3A 11.12.1).
 */
bool sim_x86__is_apic_gpa(const struct sim_x86_vcpu *vp, uint64_t gpa)
{
	return apic_enabled(vp) && !sim_x86__x2apic_mode(vp) && (gpa & ~0xfffull) == (vp->apic_base & ~0xfffull);
}

void sim_x86_vcpu_set_x2apic_capable(struct sim_x86_vcpu *vp, bool on)
{
	vp->x2apic_capable = on;
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

/* ---------------------------------------------------------------------
 * The timer
 * ---------------------------------------------------------------------
 * The count runs down at SIM_APIC_HZ divided by the divide configuration
 * (Intel SDM vol. 3A 11.5.4; AMD APM vol. 2 16.4.1): one tick is
 * 5 ns * divider. One-shot (LVT timer bits 18:17 = 00) stops at 0;
 * periodic (01) reloads the initial count. TSC-deadline mode (10, SDM
 * 11.5.4.1): the timer fires when the TSC reaches IA32_TSC_DEADLINE
 * (MSR 0x6e0; 0 disarms it, and it reads 0 again once it fired); TMICT is
 * ignored and TMCCT reads 0; outside that mode the MSR reads 0 and writes
 * are ignored; entering or leaving it disarms the timer. Mode 11 is
 * reserved: the field keeps its bits and the timer does not run.
 * The simulator's choice: CPUID 1 ECX[24] reports TSC-deadline although
 * the model's vendor is AMD (whose processors lack it): the hypervisor's
 * virtual APIC is software and offers it (KVM's does on AMD hosts too),
 * and a guest checks the CPUID bit, not the vendor.
 *
 * The expiry is noticed by the run thread, which owns the APIC: at each
 * translation-block boundary (x86_cpu_exec_enter collects the APIC) and
 * in the wait of a halted VP (core.c), whose futex wait ends at
 * sim_x86__apic_next_deadline(). What makes a VP that runs guest code
 * look in time is a thread of the VP's own (started when the timer is
 * first armed) that sleeps until the deadline and then does what an
 * interrupt assertion does: sets timer_due, stops the CPU loop at its
 * next block, wakes a waiting run thread. It sleeps again until the
 * deadline changes; no host thread polls. The timer keeps counting
 * while the VP is halted or not run at all (CPUID 6 EAX[2], ARAT).
 */
#define APIC_TICK_NS (1000000000ull / SIM_APIC_HZ)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_MODE(l) (((l) >> 17) & 3u)
#define TIMER_TSC_DEADLINE 2u

static uint64_t timer_divider(const struct sim_x86_vcpu *vp)
{
	uint32_t d = vp->apic[APIC_TDCR];
	uint32_t v = (d & 3) | ((d >> 1) & 4);
	return v == 7 ? 1 : 2ull << v;
}

static void *timer_thread(void *p)
{
	struct sim_x86_vcpu *vp = p;

	while (!atomic_load(&vp->timer_stop)) {
		uint32_t seq = atomic_load(&vp->timer_seq);
		uint64_t dl = atomic_load(&vp->timer_deadline_ns);
		if (dl && !atomic_load(&vp->timer_due) && sim_x86__now_ns() >= dl) {
			atomic_store(&vp->timer_due, true);
			sim_x86__wake(vp);
			dl = 0; /* until the run thread has moved the deadline */
		} else if (atomic_load(&vp->timer_due)) {
			dl = 0;
		}
		sim_x86__futex_wait_until(&vp->timer_seq, seq, dl);
	}
	return NULL;
}

/* The timer thread sleeps to dl (0: no timer due); any thread. */
static void thread_deadline(struct sim_x86_vcpu *vp, uint64_t dl)
{
	if (dl && !vp->timer_thread_started) {
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old); /* signals are for the VMM's threads, never this one */
		vp->timer_thread_started = pthread_create(&vp->timer_thread, NULL, timer_thread, vp) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	atomic_store(&vp->timer_deadline_ns, dl);
	atomic_fetch_add(&vp->timer_seq, 1);
	sim_x86__futex_wake(&vp->timer_seq);
}

/* The TSC-deadline in CLOCK_MONOTONIC ns (the guest TSC runs at SIM_TSC_HZ = 1 GHz), 0: none. */
static uint64_t tsc_deadline_ns(const struct sim_x86_vcpu *vp)
{
	if (!vp->tsc_deadline || LVT_TIMER_MODE(vp->apic[APIC_LVT_TIMER]) != TIMER_TSC_DEADLINE)
		return 0;
	uint64_t ns = vp->tsc_deadline - vp->tsc_offset; /* guest TSC = ns since the epoch + tsc_offset */
	if ((int64_t)ns <= 0)
		return 1; /* already passed */
	return vp->tsc_epoch_ns + ns;
}

/* The earliest expiry of the VP's timers (APIC, TSC-deadline, synthetic) for the timer thread. */
void sim_x86__timers_rearm(struct sim_x86_vcpu *vp)
{
	uint64_t c[3] = { vp->apic_timer_ns, tsc_deadline_ns(vp), sim_x86__stimer_next_ns(vp) }, dl = 0;

	for (int i = 0; i < 3; i++)
		if (c[i] && (!dl || c[i] < dl))
			dl = c[i];
	thread_deadline(vp, dl);
}

static void timer_set_deadline(struct sim_x86_vcpu *vp, uint64_t dl)
{
	vp->apic_timer_ns = dl;
	sim_x86__timers_rearm(vp);
}

/*
 * WRMSR IA32_TSC_DEADLINE (the VMM's register writes too): ignored outside
 * TSC-deadline mode; 0 disarms. Returns 0.
 */
int sim_x86__tsc_deadline_write(struct sim_x86_vcpu *vp, uint64_t val)
{
	if (LVT_TIMER_MODE(vp->apic[APIC_LVT_TIMER]) != TIMER_TSC_DEADLINE)
		return 0;
	vp->tsc_deadline = val;
	sim_x86__timers_rearm(vp);
	return 0;
}

void sim_x86__apic_timer_stop(struct sim_x86_vcpu *vp)
{
	if (!vp->timer_thread_started)
		return;
	atomic_store(&vp->timer_stop, true);
	atomic_fetch_add(&vp->timer_seq, 1);
	sim_x86__futex_wake(&vp->timer_seq);
	pthread_join(vp->timer_thread, NULL);
	vp->timer_thread_started = false;
}

/* The next expiry (CLOCK_MONOTONIC ns), 0 for none: where a halted VP's wait ends. */
uint64_t sim_x86__apic_next_deadline(struct sim_x86_vcpu *vp)
{
	return atomic_load(&vp->timer_deadline_ns);
}

/* The current count at now. */
static uint32_t timer_current(const struct sim_x86_vcpu *vp, uint64_t now)
{
	if (!vp->apic_timer_ns || now <= vp->timer_base_ns)
		return vp->apic_timer_ns ? vp->timer_base_count : 0;
	uint64_t ticks = (now - vp->timer_base_ns) / (APIC_TICK_NS * timer_divider(vp));
	if (ticks < vp->timer_base_count)
		return vp->timer_base_count - (uint32_t)ticks;
	uint32_t init = vp->apic[APIC_TMICT];
	if (!(vp->apic[APIC_LVT_TIMER] & LVT_TIMER_PERIODIC) || !init)
		return 0;
	return init - (uint32_t)((ticks - vp->timer_base_count) % init);
}

/* Start counting count ticks from now (0: stop). */
static void timer_start(struct sim_x86_vcpu *vp, uint32_t count, uint64_t now)
{
	vp->timer_base_ns = now;
	vp->timer_base_count = count;
	timer_set_deadline(vp, count ? now + (uint64_t)count * APIC_TICK_NS * timer_divider(vp) : 0);
}

/* The APIC timer's interrupt: its LVT vector into IRR unless masked. */
static void timer_fire(struct sim_x86_vcpu *vp)
{
	uint32_t lvt = vp->apic[APIC_LVT_TIMER], vec = lvt & 0xff;
	/* an illegal vector (0-15) would set ESR's send/receive illegal vector bits; no interrupt */
	if (!(lvt & LVT_MASKED) && vec >= 16) {
		vp->apic[APIC_IRR + vec / 32] |= 1u << (vec % 32);
		vp->apic[APIC_TMR + vec / 32] &= ~(1u << (vec % 32)); /* the timer is edge-triggered */
	} else if (!(lvt & LVT_MASKED)) {
		vp->apic[APIC_ESR] |= 0x40; /* received illegal vector */
	}
}

/* The run thread: expiries the timer thread signalled, or ones already past. */
static void timer_check(struct sim_x86_vcpu *vp)
{
	if (!atomic_exchange(&vp->timer_due, false))
		return;
	uint64_t now = sim_x86__now_ns();
	uint64_t dl = vp->apic_timer_ns, tdl = tsc_deadline_ns(vp);

	if (tdl && now >= tdl) {
		timer_fire(vp);
		vp->tsc_deadline = 0; /* the MSR reads 0 once the deadline passed (SDM 11.5.4.1) */
	}
	sim_x86__stimer_check(vp);
	if (!dl || now < dl) {
		sim_x86__timers_rearm(vp); /* the APIC timer is not due; let the thread sleep again */
		return;
	}
	timer_fire(vp);
	uint32_t init = vp->apic[APIC_TMICT], lvt = vp->apic[APIC_LVT_TIMER];
	if ((lvt & LVT_TIMER_PERIODIC) && init) {
		/* periods missed while nobody looked raise one interrupt, as IRR holds one */
		uint64_t period = (uint64_t)init * APIC_TICK_NS * timer_divider(vp);
		uint64_t next = dl + ((now - dl) / period + 1) * period;
		vp->timer_base_ns = next - period;
		vp->timer_base_count = init;
		timer_set_deadline(vp, next);
	} else {
		vp->timer_base_count = 0;
		timer_set_deadline(vp, 0);
	}
}

/* Fold interrupts posted by other threads into IRR (run thread only). */
void sim_x86__apic_collect(struct sim_x86_vcpu *vp)
{
	timer_check(vp);
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
	if (sim_x86__injection_pending(vp))
		return true; /* the VMM's injected event ends HLT as VM entry's does */
	if (atomic_load(&vp->nmi_pending) && !sim_x86__nmi_masked(vp))
		return true;
	if (!(*vp->rflags & RFLAGS_IF) || sim_x86__interrupt_shadow(vp))
		return false;
	return sim_x86__apic_deliverable(vp) >= 0 || atomic_load(&vp->extint_vector) >= 0;
}

uint32_t sim_x86__apic_read(struct sim_x86_vcpu *vp, uint32_t off)
{
	uint32_t r = (off >> 4) & 0x3f;
	sim_x86__apic_collect(vp);
	switch (r) {
	case APIC_PPR:
		return apic_ppr(vp);
	case APIC_EOI:
		return 0;
	case APIC_TMCCT:
		return timer_current(vp, sim_x86__now_ns());
	default:
		return vp->apic[r];
	}
}

/* ---------------------------------------------------------------------
 * Interprocessor interrupts
 * --------------------------------------------------------------------- */
#define ICR_MODE(icr) (((icr) >> 8) & 7)
#define ICR_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(icr) (((icr) >> 18) & 3)
enum { DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_SIPI = 6 };
enum { SH_NONE = 0, SH_SELF = 1, SH_ALL = 2, SH_OTHERS = 3 };

/*
 * Whether the APIC is a destination of dest (Intel SDM vol. 3A 11.6.2):
 * physical, the APIC ID (0xff: all); logical, flat model (DFR bits 31:28
 * = 1111) when LDR and dest share a bit, cluster model (0000) when the
 * cluster (bits 7:4) is the same and they share a bit of 3:0; 0xff: all.
 * A VP other than the caller's may be running: its ID, LDR and DFR are
 * read as they are at that moment (an APIC's own changes of them are not
 * ordered with the messages of others on hardware either).
 */
static bool apic_match(const struct sim_x86_vcpu *vp, uint32_t dest, bool logical)
{
	if (sim_x86__x2apic_mode(vp)) {
		/* x2APIC (SDM 11.12.9, 11.12.10): a 32-bit ID; logical is cluster 31:16, one bit of 15:0 */
		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == vp->apic[APIC_ID];
		uint32_t ldr = vp->apic[APIC_LDR];
		return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff) != 0;
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (vp->apic[APIC_ID] >> 24);
	uint32_t ldr = vp->apic[APIC_LDR] >> 24;
	if ((vp->apic[APIC_DFR] >> 28) == 0xf)
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf) != 0;
}

bool sim_x86_vcpu_apic_is_destination(struct sim_x86_vcpu *vp, uint32_t dest, bool logical)
{
	return apic_enabled(vp) && apic_match(vp, dest, logical);
}

void sim_x86__wake(struct sim_x86_vcpu *vp)
{
	atomic_fetch_add(&vp->wake, 1);
	if (atomic_load(&vp->running))
		sim_x86__cpu_exit(vp);
	sim_x86__futex_wake(&vp->wake);
}

void sim_x86_vcpu_set_ipi_handler(struct sim_x86_vcpu *vp, sim_ipi_fn *fn, void *opaque)
{
	vp->ipi_fn = fn;
	vp->ipi_opaque = opaque;
}

/*
 * Another VP's IPI arrives (any thread). Fixed and lowest-priority
 * interrupts are posted as asserted interrupts are; an NMI becomes
 * pending; SMIs are not modelled (dropped). INIT (except the level
 * de-assert form, which does nothing on the processors since the P6)
 * puts an AP in the wait-for-SIPI state and makes its run thread reset
 * it (sim_x86__apic_init_sipi); the BSP is reset and runs on from the
 * reset vector (it does not wait). A SIPI starts a VP that waits for one
 * and is ignored otherwise (the second SIPI of the INIT-SIPI-SIPI
 * sequence). A hardware-disabled APIC (IA32_APIC_BASE[11] clear) takes
 * no message.
 */
bool sim_x86_vcpu_accept_ipi(struct sim_x86_vcpu *vp, uint32_t icr, uint32_t dest)
{
	if (!apic_enabled(vp))
		return false;
	if (ICR_SHORTHAND(icr) == SH_NONE && !apic_match(vp, dest, (icr & ICR_LOGICAL) != 0))
		return false;
	uint32_t vec = icr & 0xff;
	switch (ICR_MODE(icr)) {
	case DM_FIXED:
	case DM_LOWEST:
		if (vec < 16)
			return true; /* illegal vector: the receiver would log it in ESR; dropped */
		atomic_fetch_and(&vp->posted_tmr[vec / 32], ~(1u << (vec % 32)));
		atomic_fetch_or(&vp->posted_irr[vec / 32], 1u << (vec % 32));
		atomic_store(&vp->posted, true);
		break;
	case DM_NMI:
		atomic_store(&vp->nmi_pending, true);
		break;
	case DM_INIT:
		if ((icr & ICR_TRIGGER_LEVEL) && !(icr & ICR_LEVEL_ASSERT))
			return true;
		atomic_store(&vp->sipi_vector, -1);
		if (!(vp->apic_base & MSR_APIC_BASE_BSP))
			atomic_store(&vp->wait_sipi, true);
		atomic_store(&vp->init_pending, true);
		break;
	case DM_SIPI: {
		int none = -1;
		if (atomic_load(&vp->wait_sipi))
			atomic_compare_exchange_strong(&vp->sipi_vector, &none, (int)vec);
		break;
	}
	default:
		return true;
	}
	sim_x86__wake(vp);
	return true;
}

/*
 * The run thread, before it enters the guest: applies an INIT (the state
 * of an INIT, Intel SDM vol. 3A table 10-1: the registers as at RESET,
 * the local APIC's as at power-up but its ID and IA32_APIC_BASE kept,
 * the TSC and the hypervisor's MSRs kept) and a SIPI (real mode, CS
 * selector vector << 8, base vector << 12, IP 0). Returns true while the
 * VP waits for a SIPI.
 */
bool sim_x86__apic_init_sipi(struct sim_x86_vcpu *vp)
{
	if (atomic_exchange(&vp->init_pending, false)) {
		uint64_t base = vp->apic_base;
		uint32_t id = vp->apic[APIC_ID];
		sim_x86__reset_state(vp);
		vp->apic_base = base;
		vp->apic[APIC_ID] = id;
		if (sim_x86__x2apic_mode(vp))
			vp->apic[APIC_LDR] = ((id >> 4) << 16) | (1u << (id & 0xf));
		for (int i = 0; i < 8; i++) {
			atomic_store(&vp->posted_irr[i], 0);
			atomic_store(&vp->posted_tmr[i], 0);
		}
		vp->halted = false;
		sim_x86__update_irq_request(vp);
	}
	if (!atomic_load(&vp->wait_sipi))
		return false;
	int v = atomic_exchange(&vp->sipi_vector, -1);
	if (v < 0)
		return true;
	atomic_store(&vp->wait_sipi, false);
	struct hv_x64_segment_register cs = {
		.base = (uint64_t)v << 12, .limit = 0xffff, .selector = (uint16_t)(v << 8), .attributes = 0x9b,
	};
	sim_x86__set_segment(vp, S_CS, &cs);
	*vp->rip = 0;
	vp->halted = false;
	return false;
}

struct ipi_out {
	bool send;
	uint32_t icr, dest;
};

/*
 * A register write's effect on the APIC state; *self_nmi: an NMI to itself
 * was sent; *ipi: an IPI for other VPs, sent once the write is final.
 */
static void apic_apply(struct sim_x86_vcpu *vp, uint32_t r, uint32_t val, bool *self_nmi, struct ipi_out *ipi)
{
	switch (r) {
	case APIC_ID:
	case APIC_LDR:
		vp->apic[r] = val & 0xff000000u;
		break;
	case APIC_ICR_HI:
		vp->apic[r] = val & 0xff000000u;
		break;
	case APIC_TMICT: {
		uint64_t now = sim_x86__now_ns();
		if (LVT_TIMER_MODE(vp->apic[APIC_LVT_TIMER]) == TIMER_TSC_DEADLINE)
			break; /* ignored in TSC-deadline mode */
		vp->apic[r] = val;
		timer_start(vp, val, now); /* a write restarts the count; 0 stops it */
		break;
	}
	case APIC_TDCR: {
		/* the count goes on from where it is at the new rate */
		uint64_t now = sim_x86__now_ns();
		uint32_t cur = timer_current(vp, now);
		bool counting = vp->apic_timer_ns != 0;
		vp->apic[r] = val & 0xb;
		if (counting)
			timer_start(vp, cur ? cur : 1, now);
		break;
	}
	case APIC_TPR:
		vp->apic[r] = val & 0xff;
		break;
	case APIC_DFR:
		vp->apic[r] = val | 0x0fffffff;
		break;
	case APIC_SVR:
		vp->apic[r] = val & 0x13ff;
		if (!(val & 0x100)) /* software disable masks every LVT entry (SDM vol. 3A 11.4.7.2) */
			for (int i = APIC_LVT_TIMER; i <= APIC_LVT_ERROR; i++)
				vp->apic[i] |= LVT_MASKED;
		if (!(val & 0x100))
			vp->apic[APIC_LVT_CMCI] |= LVT_MASKED;
		break;
	case APIC_ESR:
		vp->apic[r] = 0;
		break;
	case APIC_EOI: {
		/*
		 * The EOI of a level-triggered interrupt (its TMR bit set) is the
		 * VMM's to forward to its IOAPIC: the VP exits with
		 * HVMSG_X64_APIC_EOI right after the writing instruction
		 * (x86_cpu_exec_enter, at the next block boundary). The hypervisor
		 * sends it with no intercept installed: Cloud Hypervisor and
		 * openvmm's virt_mshv install none and turn the message into their
		 * IOAPIC's EOI. Edge-triggered EOIs stay inside the APIC.
		 */
		int v = highest_bit256(&vp->apic[APIC_ISR]);
		if (v >= 0) {
			vp->apic[APIC_ISR + v / 32] &= ~(1u << (v % 32));
			if (vp->apic[APIC_TMR + v / 32] & (1u << (v % 32)))
				vp->eoi_exit = v + 1;
		}
		break;
	}
	case APIC_ICR_LO: {
		/*
		 * The message goes out at once: delivery status (bit 12) reads idle.
		 * Lowest-priority delivery is not arbitrated: the sender itself when
		 * it is a destination, else the first VP (lowest index) that is.
		 * INIT and SIPI to oneself (the self and all-including-self
		 * shorthands) are not modelled: dropped.
		 */
		vp->apic[r] = val & 0x000cdfffu;
		uint32_t sh = ICR_SHORTHAND(val), mode = ICR_MODE(val), vec = val & 0xff;
		bool x2 = sim_x86__x2apic_mode(vp);
		uint32_t dest = x2 ? vp->apic[APIC_ICR_HI] : vp->apic[APIC_ICR_HI] >> 24;
		uint32_t bcast = x2 ? 0xffffffffu : 0xff;
		bool self = sh == SH_SELF || sh == SH_ALL ||
			    (sh == SH_NONE && apic_match(vp, dest, (val & ICR_LOGICAL) != 0));
		if (sh == SH_SELF && mode != DM_FIXED)
			break; /* the self shorthand takes only fixed interrupts */
		if (self && (mode == DM_FIXED || mode == DM_LOWEST) && vec >= 16) {
			vp->apic[APIC_IRR + vec / 32] |= 1u << (vec % 32);
			vp->apic[APIC_TMR + vec / 32] &= ~(1u << (vec % 32));
		} else if (self && mode == DM_NMI) {
			*self_nmi = true;
		}
		if (sh == SH_SELF || (self && mode == DM_LOWEST))
			break;
		if (sh == SH_NONE && dest != bcast && !(val & ICR_LOGICAL) && self)
			break; /* physical, to this APIC alone */
		ipi->send = true;
		ipi->icr = val;
		ipi->dest = dest;
		break;
	}
	case APIC_SELF_IPI:
		/* x2APIC's SELF IPI register (MSR 0x83f; the xAPIC page has none there) */
		if (sim_x86__x2apic_mode(vp) && (val & 0xff) >= 16) {
			vp->apic[APIC_IRR + (val & 0xff) / 32] |= 1u << (val % 32);
			vp->apic[APIC_TMR + (val & 0xff) / 32] &= ~(1u << (val % 32));
		}
		break;
	case APIC_LVT_TIMER:
	case APIC_LVT_CMCI:
	case APIC_LVT_THERMAL:
	case APIC_LVT_PERF:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR: {
		/* each entry keeps only its own fields; delivery status (bit 12) is read-only */
		uint32_t bits = r == APIC_LVT_TIMER ? 0x000700ffu
				: r == APIC_LVT_ERROR ? 0x000100ffu
				: (r == APIC_LVT_LINT0 || r == APIC_LVT_LINT1) ? 0x0001e7ffu
									 : 0x000107ffu;
		uint32_t was = vp->apic[r];
		val &= bits;
		vp->apic[r] = (vp->apic[APIC_SVR] & 0x100) ? val : (val | LVT_MASKED);
		if (r == APIC_LVT_TIMER && (LVT_TIMER_MODE(was) == TIMER_TSC_DEADLINE) !=
					   (LVT_TIMER_MODE(vp->apic[r]) == TIMER_TSC_DEADLINE)) {
			/* into or out of TSC-deadline mode: the timer is disarmed (SDM 11.5.4.1) */
			vp->tsc_deadline = 0;
			vp->apic[APIC_TMICT] = 0;
			vp->timer_base_count = 0;
			timer_set_deadline(vp, 0);
		}
		break;
	}
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
	bool watch = r == APIC_EOI || r == APIC_TPR || r == APIC_ICR_LO || r == APIC_SELF_IPI;
	bool self_nmi = false;
	struct ipi_out ipi = {0};
	uint32_t before[64];

	sim_x86__apic_collect(vp);
	if (watch && ra && !vp->apic_write_alone)
		memcpy(before, vp->apic, sizeof(before));
	apic_apply(vp, r, val, &self_nmi, &ipi);
	if (!watch)
		return;
	bool takeable = (self_nmi && !sim_x86__nmi_masked(vp)) || vp->eoi_exit ||
			((*vp->rflags & RFLAGS_IF) && !sim_x86__interrupt_shadow(vp) &&
			 sim_x86__apic_deliverable(vp) >= 0);
	if (takeable && ra && !vp->apic_write_alone) {
		memcpy(vp->apic, before, sizeof(before)); /* undone: made when the instruction runs again */
		vp->eoi_exit = 0;
		vp->apic_write_alone = true;
		sim_x86__run_insn_alone(vp, ra);
	}
	if (ipi.send && vp->ipi_fn)
		vp->ipi_fn(vp->ipi_opaque, vp->vp_index, ipi.icr, ipi.dest, ICR_MODE(ipi.icr) == DM_LOWEST);
	if (self_nmi)
		atomic_store(&vp->nmi_pending, true);
	sim_x86__update_irq_request(vp);
	if (takeable)
		sim_x86__cpu_exit(vp);
}

/*
 * A write of IA32_APIC_BASE (WRMSR 0x1b, or the VMM's
 * HV_X64_REGISTER_APIC_BASE), Intel SDM vol. 3A 11.4.4 and 11.12.5: bits
 * 7:0, 9 and MAXPHYADDR and up are reserved, and so is bit 10 (x2APIC
 * enable) while x2APIC is not offered (CPUID 1 ECX[21] clear); a reserved
 * bit set is -EINVAL (#GP, HV_STATUS_INVALID_REGISTER_VALUE). The BSP
 * flag (bit 8) is read-only. Clearing the global enable resets the APIC
 * to its power-up state (the ID as at reset; no interrupt pending, the
 * timer stopped): an APIC enabled again starts from there. Moving the
 * base takes effect for the next access.
 */
int sim_x86__apic_base_write(struct sim_x86_vcpu *vp, uint64_t val)
{
	uint64_t rsvd = 0xffull | (1ull << 9) | vp->pa_rsvd | 0xfff0000000000000ull;
	if (!vp->x2apic_capable)
		rsvd |= MSR_APIC_BASE_EXTD;
	if (val & rsvd)
		return -EINVAL;
	/*
	 * Modes (EN, EXTD): disabled (0,0), xAPIC (1,0), x2APIC (1,1); (0,1)
	 * is invalid, and so are x2APIC -> xAPIC and disabled -> x2APIC (SDM
	 * vol. 3A 11.12.5, figure 11-27): #GP.
	 */
	bool en = val & MSR_APIC_BASE_ENABLE, extd = val & MSR_APIC_BASE_EXTD;
	bool was_en = apic_enabled(vp), was_x2 = sim_x86__x2apic_mode(vp);
	if ((extd && !en) || (was_x2 && en && !extd) || (!was_en && extd))
		return -EINVAL;
	uint64_t bsp = vp->apic_base & MSR_APIC_BASE_BSP;
	if (was_en && !en) {
		sim_x86__apic_reset(vp);
		for (int i = 0; i < 8; i++) {
			atomic_store(&vp->posted_irr[i], 0);
			atomic_store(&vp->posted_tmr[i], 0);
		}
	}
	vp->apic_base = (val & ~MSR_APIC_BASE_BSP) | bsp;
	if (extd && !was_x2) {
		/*
		 * Into x2APIC mode: the ID is the 32-bit x2APIC ID (the VP index,
		 * as CPUID 1 EBX[31:24] and the hypervisor's APIC IDs), LDR is
		 * derived from it (cluster ID[19:4], bit ID[3:0]), DFR is gone.
		 */
		uint32_t id = vp->vp_index;
		vp->apic[APIC_ID] = id;
		vp->apic[APIC_LDR] = ((id >> 4) << 16) | (1u << (id & 0xf));
	}
	sim_x86__update_irq_request(vp);
	return 0;
}

/*
 * The x2APIC MSRs (0x800 + register offset / 16; SDM vol. 3A 11.12.1):
 * only in x2APIC mode (otherwise #GP). Reads of write-only registers (EOI,
 * SELF IPI) and of registers x2APIC does not have (DFR, APR, RRD, ICR's
 * high half 0x831, the reserved ones) are #GP, as are writes of read-only
 * registers and writes with reserved bits set (bits 63:32 of all but ICR,
 * which is one 64-bit register: destination in 63:32). Returns 0 or
 * -EINVAL (#GP).
 */
static bool x2apic_readable(uint32_t r)
{
	switch (r) {
	case APIC_ID: case APIC_VER: case APIC_TPR: case APIC_PPR: case APIC_LDR: case APIC_SVR:
	case APIC_ESR: case APIC_LVT_CMCI: case APIC_ICR_LO: case APIC_LVT_TIMER: case APIC_LVT_THERMAL:
	case APIC_LVT_PERF: case APIC_LVT_LINT0: case APIC_LVT_LINT1: case APIC_LVT_ERROR: case APIC_TMICT:
	case APIC_TMCCT: case APIC_TDCR:
		return true;
	default:
		return r >= APIC_ISR && r < APIC_IRR + 8;
	}
}

int sim_x86__x2apic_rdmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t *val)
{
	uint32_t r = msr - 0x800;
	if (!sim_x86__x2apic_mode(vp) || r > 0x3f || !x2apic_readable(r))
		return -EINVAL;
	if (r == APIC_ICR_LO)
		*val = ((uint64_t)vp->apic[APIC_ICR_HI] << 32) | vp->apic[APIC_ICR_LO];
	else
		*val = sim_x86__apic_read(vp, r << 4);
	return 0;
}

int sim_x86__x2apic_wrmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t val, uintptr_t ra)
{
	uint32_t r = msr - 0x800, v = (uint32_t)val;
	if (!sim_x86__x2apic_mode(vp) || r > 0x3f)
		return -EINVAL;
	if (r != APIC_ICR_LO && (val >> 32))
		return -EINVAL;
	uint32_t allowed;
	switch (r) {
	case APIC_TPR: allowed = 0xff; break;
	case APIC_EOI: allowed = 0; break;
	case APIC_SVR: allowed = 0x1ff; break;
	case APIC_ESR: allowed = 0; break;
	case APIC_ICR_LO: allowed = 0x000ccfff; break;
	case APIC_LVT_TIMER: allowed = 0x000700ff; break;
	case APIC_LVT_CMCI: case APIC_LVT_THERMAL: case APIC_LVT_PERF: allowed = 0x000107ff; break;
	case APIC_LVT_LINT0: case APIC_LVT_LINT1: allowed = 0x0001e7ff; break;
	case APIC_LVT_ERROR: allowed = 0x000100ff; break;
	case APIC_TMICT: allowed = 0xffffffff; break;
	case APIC_TDCR: allowed = 0xb; break;
	case APIC_SELF_IPI: allowed = 0xff; break;
	default:
		return -EINVAL; /* read-only or not an x2APIC register */
	}
	if (v & ~allowed)
		return -EINVAL;
	if (r == APIC_ICR_LO)
		vp->apic[APIC_ICR_HI] = (uint32_t)(val >> 32);
	sim_x86__apic_write(vp, r << 4, v, ra);
	return 0;
}

void sim_x86__apic_reset(struct sim_x86_vcpu *vp)
{
	memset(vp->apic, 0, sizeof(vp->apic));
	vp->timer_base_count = 0;
	vp->tsc_deadline = 0;
	if (vp->apic_timer_ns)
		timer_set_deadline(vp, 0);
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
	case HV_X64_INTERRUPT_TYPE_EXTINT:
		/*
		 * An ExtINT's vector comes from the (virtual) 8259 PIC (mshv-ioctls
		 * asserts vector 0): it bypasses the APIC's IRR, ISR and priority,
		 * and needs no EOI at the APIC (Intel SDM vol. 3A 11.6.1, 11.8.4);
		 * the VP takes it when RFLAGS.IF allows, before the APIC's fixed
		 * interrupts. One is held at a time, the latest.
		 */
		if (vector > 255)
			return HV_STATUS_INVALID_PARAMETER;
		atomic_store(&vp->extint_vector, (int)vector);
		break;
	case HV_X64_INTERRUPT_TYPE_FIXED:
		/* Vectors 0-15 are illegal for a fixed APIC interrupt. */
		if (vector > 255 || vector < 16)
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
	/* the count as the guest would read TMCCT now; no remote read is modelled: kept as set */
	s->apic_error_status = vp->apic_error_status;
	s->apic_counter_value = timer_current(vp, sim_x86__now_ns());
	s->apic_remote_read = vp->apic_remote_read;
	*len = LAPIC_BLOB_SIZE;
	return 0;
}

/*
 * Whether a LAPIC blob holds only values the xAPIC's registers can hold
 * (SDM vol. 3 11.4-11.6, 11.8): the version this APIC reports (read-only);
 * ID, LDR and ICR high with bits 23:0 clear (in xAPIC mode; x2APIC's are
 * 32-bit); DFR bits 27:0 set (they read
 * as 1s); SVR bits 9:0 and 12; ESR bits 7:0; ICR low without bits 13, 17:16
 * and 31:20; each LVT with only its own fields; the divide configuration
 * bits 0, 1 and 3; no vector below 16 in IRR, ISR or TMR (those bits are
 * reserved). The TLFS does not say what the hypervisor refuses; a value
 * a guest could never read back from the register is taken as the
 * HV_STATUS_INVALID_REGISTER_VALUE x86_vcpu.h promises (EINVAL), and the
 * state is left as it was. The fields without a register of their own
 * (error status, counter, remote read) are kept as given.
 */
static bool lapic_state_valid(const struct hv_local_interrupt_controller_state *s, bool x2apic)
{
	const uint32_t lvt_plain = 0x000117ff; /* vector, delivery mode, status, mask */
	/* in x2APIC mode ID, LDR and the ICR destination are 32-bit values (SDM 11.12) */
	uint32_t xapic_only = x2apic ? 0 : 0xffffff;
	if (s->apic_version != 0x50014 || (s->apic_id & xapic_only) || (s->apic_ldr & xapic_only) ||
	    (s->apic_icr_high & xapic_only) || (s->apic_dfr & 0x0fffffff) != 0x0fffffff ||
	    (s->apic_spurious & ~0x13ffu) || (s->apic_esr & ~0xffu) || (s->apic_icr_low & ~0x000cdfffu) ||
	    (s->apic_lvt_timer & ~0x000310ffu) || (s->apic_lvt_thermal & ~lvt_plain) ||
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
	if (!lapic_state_valid(s, sim_x86__x2apic_mode(vp)))
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
	/*
	 * The timer counts on from the counter value given (a periodic timer
	 * saved at 0 from its initial count); a counter of 0, or an initial
	 * count of 0, is a stopped timer (its counter reads 0).
	 */
	uint32_t count = s->apic_initial_count ? s->apic_counter_value : 0;
	if (!count && (s->apic_lvt_timer & LVT_TIMER_PERIODIC))
		count = s->apic_initial_count;
	timer_start(vp, count, sim_x86__now_ns());
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

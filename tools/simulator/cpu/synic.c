/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the synthetic interrupt controller (SynIC) and the
 * synthetic timers of a VP, as the TLFS describes them (chapters
 * "Inter-Partition Communication": SynIC, SINTs, message and event flag
 * pages, EOM; and "Timers": synthetic timers, direct mode).
 *
 * MSRs (guest RDMSR/WRMSR when the partition's features grant them, see
 * hyperv.c; the root's register hypercalls always):
 *
 *   0x40000080 SCONTROL   bit 0 enable; nothing is delivered while clear
 *   0x40000081 SVERSION   1, read-only
 *   0x40000082 SIEFP      bit 0 enable, 63:12 the event flag page
 *   0x40000083 SIMP       bit 0 enable, 63:12 the message page
 *   0x40000084 EOM        write-only (reads 0): the guest has freed a slot;
 *                         messages held back are delivered again
 *   0x40000090+n SINTn    7:0 vector, 16 masked, 17 auto-EOI, 18 polling
 *   0x400000b0+2n STIMERn_CONFIG  0 enable, 1 periodic, 2 lazy, 3 auto
 *                         enable, 11:4 APIC vector, 12 direct mode,
 *                         19:16 SINT
 *   0x400000b1+2n STIMERn_COUNT   100 ns units: the period (periodic) or
 *                         the absolute reference time of expiry (one-shot)
 *
 * Messages: the SIMP page holds 16 slots of 256 bytes (struct hv_message),
 * one per SINT. A message is written into a free slot (message_type 0),
 * type last, and the SINT's vector is asserted (fixed, edge) unless it
 * polls. A taken slot gets its message-pending flag set: the guest writes
 * EOM after freeing it, and the hypervisor tries again. Event flags: the
 * SIEFP page holds 16 arrays of 2048 bits; signalling sets one bit and
 * asserts the SINT when the bit was clear. An auto-EOI SINT's interrupt is
 * taken without setting the APIC's ISR (unicorn_hooks.c) and needs no EOI.
 *
 * Timers: a timer runs while enabled with a non-zero count; in message
 * mode (the default) its expiry posts HVMSG_TIMER_EXPIRED (payload: timer
 * index, expiration and delivery time) to its SINT; in direct mode it
 * asserts its APIC vector (offered when the partition has
 * direct_synthetic_timers, CPUID 0x40000003 EDX[19]). One-shot timers are
 * disabled at expiry; periodic ones are due again a period after the last
 * expiry, and periods that passed unseen give one expiry (as the APIC
 * timer's). The timers count in reference time, which follows the host's
 * clock; apic.c's timer thread wakes the VP at the earliest expiry.
 *
 * The simulator's choices where the TLFS leaves room, with their sources:
 *
 *  - SCONTROL, SIMP, SIEFP and the timers reset to 0, every SINT to
 *    masked (TLFS). The SIMP and SIEFP pages are guest RAM here, written
 *    in place, and only while writable RAM covers them (hyperv.c explains
 *    the overlay choice); their content persists while disabled
 *    (page_msr_write), starting zeroed.
 *  - An unmasked SINT with a vector below 16, and a timer in direct mode
 *    with a vector below 16 or without direct_synthetic_timers: WRMSR #GP
 *    (KVM refuses them the same way; the vectors are illegal for a fixed
 *    APIC interrupt).
 *  - Writing a count of 0 disables the timer; a non-zero count with auto
 *    enable set enables it; a message-mode timer whose SINT field is 0 is
 *    disabled when its configuration is written (KVM does all three; the
 *    TLFS names SINT 0 as "no SINT" for timers).
 *  - An expiry that cannot be posted (slot taken, SINT masked, SynIC or
 *    message page off) is kept, with the slot's message-pending flag set
 *    when it was taken, and posted at the next EOM or when the guest
 *    enables or unmasks what was off: none is lost, none is doubled. The
 *    root's HVCALL_POST_MESSAGE_DIRECT is not queued: it gets
 *    HV_STATUS_OBJECT_IN_USE and posts again (openvmm's hypervisor stand-in
 *    answers the same, and its mshv back end retries).
 *  - The lazy bit is kept and ignored (the expiry is never late on
 *    purpose).
 */
#include <errno.h>
#include <string.h>

#include "x86_cpu_internal.h"

#define SCONTROL_ENABLE 0x1ull
#define PAGE_ENABLE 0x1ull
#define GPA_PAGE_MASK (~0xfffull)
#define SINT_MASKED (1ull << 16)
#define SINT_AUTO_EOI (1ull << 17)
#define SINT_POLLING (1ull << 18)
#define STIMER_ENABLE (1ull << 0)
#define STIMER_PERIODIC (1ull << 1)
#define STIMER_AUTO_ENABLE (1ull << 3)
#define STIMER_DIRECT (1ull << 12)
#define STIMER_VECTOR(c) ((unsigned)((c) >> 4) & 0xff)
#define STIMER_SINT(c) ((unsigned)((c) >> 16) & 0xf)
#define MSG_SLOT 256u
#define MSG_PENDING_FLAG 0x1u /* struct hv_message_header.message_flags */
#define EVENT_FLAGS_PER_SINT 2048u

bool sim_x86__synic_msr(uint32_t m)
{
	return (m >= HV_MSR_SCONTROL && m <= HV_MSR_EOM) || (m >= HV_MSR_SINT0 && m < HV_MSR_SINT0 + 16) ||
	       (m >= HV_MSR_STIMER0_CONFIG && m <= HV_MSR_STIMER3_COUNT);
}

void sim_x86_vcpu_set_gpa_resolver(struct sim_x86_vcpu *vp, sim_gpa_fn *fn, void *opaque)
{
	vp->gpa_fn = fn;
	vp->gpa_opaque = opaque;
}

/* The SynIC page a SIMP/SIEFP value names (writable RAM), or NULL (disabled, not RAM); synic_lock held. */
static uint8_t *synic_page_at(struct sim_x86_vcpu *vp, uint64_t msr, bool write)
{
	uint8_t *p;

	if (!(msr & PAGE_ENABLE) || !vp->gpa_fn)
		return NULL;
	p = vp->gpa_fn(vp->gpa_opaque, msr & GPA_PAGE_MASK, PAGE_SIZE_4K, true);
	if (p && write && vp->track_fn) /* the hypervisor's write dirties the page, as a guest store would */
		vp->track_fn(vp->track_opaque, (msr & GPA_PAGE_MASK) >> 12, true);
	return p;
}

static uint8_t *synic_page(struct sim_x86_vcpu *vp, uint64_t msr)
{
	return synic_page_at(vp, msr, true);
}

/* The auto-EOI vectors from the SINTs (synic_lock held). */
static void update_auto_eoi(struct sim_x86_vcpu *vp)
{
	uint32_t w[8] = { 0 };

	for (int i = 0; i < 16; i++)
		if (!(vp->sint[i] & SINT_MASKED) && (vp->sint[i] & SINT_AUTO_EOI))
			w[(vp->sint[i] & 0xff) / 32] |= 1u << (vp->sint[i] & 31);
	for (int i = 0; i < 8; i++)
		atomic_store(&vp->auto_eoi[i], w[i]);
}

/* Assert SINT n's interrupt (synic_lock held; the SINT is unmasked). */
static void sint_interrupt(struct sim_x86_vcpu *vp, unsigned n)
{
	if (!(vp->sint[n] & SINT_POLLING))
		sim_x86_vcpu_assert_interrupt(vp, HV_X64_INTERRUPT_TYPE_FIXED, (uint32_t)(vp->sint[n] & 0xff), false);
}

/*
 * Post the 256-byte message msg to SINT n's slot (synic_lock held): the
 * statuses of sim_x86_vcpu_post_message.
 */
static uint64_t slot_post(struct sim_x86_vcpu *vp, unsigned n, const uint8_t *msg)
{
	uint8_t *page, *slot;
	uint32_t type;

	if (!(vp->scontrol & SCONTROL_ENABLE) || (vp->sint[n] & SINT_MASKED) || !(page = synic_page(vp, vp->simp)))
		return SIM_HV_STATUS_INVALID_SYNIC_STATE;
	slot = page + n * MSG_SLOT;
	if (__atomic_load_n((uint32_t *)slot, __ATOMIC_ACQUIRE) != 0) {
		__atomic_fetch_or(slot + 5, MSG_PENDING_FLAG, __ATOMIC_ACQ_REL);
		return SIM_HV_STATUS_OBJECT_IN_USE;
	}
	memcpy(slot + 4, msg + 4, MSG_SLOT - 4);
	slot[5] &= (uint8_t)~MSG_PENDING_FLAG; /* the flag is the hypervisor's to set */
	memcpy(&type, msg, 4);
	__atomic_store_n((uint32_t *)slot, type, __ATOMIC_RELEASE);
	sint_interrupt(vp, n);
	return HV_STATUS_SUCCESS;
}

uint64_t sim_x86_vcpu_post_message(struct sim_x86_vcpu *vp, unsigned sint, const void *message)
{
	uint64_t status;

	if (sint >= 16)
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vp->synic_lock);
	status = slot_post(vp, sint, message);
	pthread_mutex_unlock(&vp->synic_lock);
	return status;
}

uint64_t sim_x86_vcpu_signal_event(struct sim_x86_vcpu *vp, unsigned sint, unsigned flag, bool *newly)
{
	uint8_t *page, bit = (uint8_t)(1u << (flag % 8));

	*newly = false;
	if (sint >= 16 || flag >= EVENT_FLAGS_PER_SINT)
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vp->synic_lock);
	if ((vp->scontrol & SCONTROL_ENABLE) && !(vp->sint[sint] & SINT_MASKED) &&
	    (page = synic_page(vp, vp->siefp))) {
		uint8_t *b = page + sint * (EVENT_FLAGS_PER_SINT / 8) + flag / 8;
		*newly = !(__atomic_fetch_or(b, bit, __ATOMIC_ACQ_REL) & bit);
		if (*newly)
			sint_interrupt(vp, sint);
	}
	pthread_mutex_unlock(&vp->synic_lock);
	return HV_STATUS_SUCCESS;
}

/*
 * Deliverability notifications: the root sets SINT bits (63:48) of
 * HV_REGISTER_DELIVERABILITY_NOTIFICATIONS to hear when those SINTs can
 * take a message again (typically after HV_STATUS_OBJECT_IN_USE). When one
 * can (the SynIC and its message page on, the SINT unmasked, its slot
 * free), the VP's run ends with HVMSG_SYNIC_SINT_DELIVERABLE naming every
 * such SINT, and their bits are cleared: a notification is a one-time
 * request (openvmm's virt_mshv sets the register again each time it still
 * has messages queued). Looked at before the VP runs guest code and after
 * each EOM, the guest's signal that it freed a slot. Run thread; true: the
 * exit is in vp->ex.
 */
bool sim_x86__synic_deliverable(struct sim_x86_vcpu *vp)
{
	uint32_t want = atomic_load(&vp->sint_notify), ready = 0;
	uint8_t *page;

	if (!want)
		return false;
	pthread_mutex_lock(&vp->synic_lock);
	if ((vp->scontrol & SCONTROL_ENABLE) && (page = synic_page_at(vp, vp->simp, false)))
		for (unsigned n = 0; n < 16; n++)
			if (((want >> n) & 1) && !(vp->sint[n] & SINT_MASKED) &&
			    __atomic_load_n((uint32_t *)(page + n * MSG_SLOT), __ATOMIC_ACQUIRE) == 0)
				ready |= 1u << n;
	pthread_mutex_unlock(&vp->synic_lock);
	if (!ready)
		return false;
	atomic_fetch_and(&vp->sint_notify, ~ready);
	vp->ex.kind = EXIT_SINT_DELIVERABLE;
	vp->ex.param = ready;
	return true;
}

/* ---------------------------------------------------------------------
 * Synthetic timers (run thread)
 * --------------------------------------------------------------------- */

/* Arm timer t from its config and count at reference time now. */
static void stimer_arm(struct sim_stimer *t, uint64_t now)
{
	t->msg_pending = false;
	if (!(t->config & STIMER_ENABLE) || !t->count)
		t->due = 0; /* a count of 0 never expires */
	else
		t->due = (t->config & STIMER_PERIODIC) ? now + t->count : t->count;
}

/* The next expiry of any timer in CLOCK_MONOTONIC ns, 0 for none. */
uint64_t sim_x86__stimer_next_ns(const struct sim_x86_vcpu *vp)
{
	uint64_t best = 0;

	for (int i = 0; i < 4; i++) {
		const struct sim_stimer *t = &vp->stimer[i];
		if (t->due && !t->msg_pending) {
			uint64_t ns = vp->tsc_epoch_ns + t->due * 100;
			if (!best || ns < best)
				best = ns;
		}
	}
	return best;
}

/* Deliver timer i's expiry at due, now; false when it must wait for the guest (message mode). */
static bool stimer_fire(struct sim_x86_vcpu *vp, int i, uint64_t due, uint64_t now)
{
	struct sim_stimer *t = &vp->stimer[i];

	if (t->config & STIMER_DIRECT) {
		unsigned v = STIMER_VECTOR(t->config);
		vp->apic[APIC_IRR + v / 32] |= 1u << (v % 32);
		vp->apic[APIC_TMR + v / 32] &= ~(1u << (v % 32));
		return true;
	}
	uint8_t msg[MSG_SLOT];
	uint32_t type = HVMSG_TIMER_EXPIRED, idx = (uint32_t)i, zero = 0;
	uint64_t status;

	memset(msg, 0, sizeof(msg));
	memcpy(msg, &type, 4);
	msg[4] = 24; /* payload_size: struct hv_timer_message_payload */
	memcpy(msg + 16, &idx, 4);
	memcpy(msg + 20, &zero, 4);
	memcpy(msg + 24, &due, 8);
	memcpy(msg + 32, &now, 8);
	pthread_mutex_lock(&vp->synic_lock);
	status = slot_post(vp, STIMER_SINT(t->config), msg);
	pthread_mutex_unlock(&vp->synic_lock);
	return status == HV_STATUS_SUCCESS;
}

/* Expiries that are due (run thread, from the APIC's timer check). */
void sim_x86__stimer_check(struct sim_x86_vcpu *vp)
{
	uint64_t now = sim_x86__reference_time(vp);

	for (int i = 0; i < 4; i++) {
		struct sim_stimer *t = &vp->stimer[i];
		if (!t->due || (!t->msg_pending && now < t->due))
			continue;
		if (!stimer_fire(vp, i, t->due, now)) {
			t->msg_pending = true;
			continue;
		}
		t->msg_pending = false;
		if (t->config & STIMER_PERIODIC) {
			uint64_t next = t->due + t->count;
			if (next <= now) /* periods nobody saw: one expiry, the next one on the period's grid */
				next = t->due + ((now - t->due) / t->count + 1) * t->count;
			t->due = next;
		} else {
			t->config &= ~STIMER_ENABLE;
			t->due = 0;
		}
	}
}

/* Timers waiting for a slot try again (EOM, a SINT or page enabled). */
static void stimer_retry(struct sim_x86_vcpu *vp)
{
	for (int i = 0; i < 4; i++)
		if (vp->stimer[i].msg_pending) {
			sim_x86__stimer_check(vp);
			break;
		}
	sim_x86__timers_rearm(vp);
}

/* ---------------------------------------------------------------------
 * MSRs
 * --------------------------------------------------------------------- */

bool sim_x86__synic_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val)
{
	if (!sim_x86__synic_msr(m))
		return false;
	if (m >= HV_MSR_STIMER0_CONFIG) {
		const struct sim_stimer *t = &vp->stimer[(m - HV_MSR_STIMER0_CONFIG) / 2];
		*val = (m - HV_MSR_STIMER0_CONFIG) % 2 ? t->count : t->config;
		return true;
	}
	pthread_mutex_lock(&vp->synic_lock);
	switch (m) {
	case HV_MSR_SCONTROL:
		*val = vp->scontrol;
		break;
	case HV_MSR_SVERSION:
		*val = 1;
		break;
	case HV_MSR_SIEFP:
		*val = vp->siefp;
		break;
	case HV_MSR_SIMP:
		*val = vp->simp;
		break;
	case HV_MSR_EOM:
		*val = 0;
		break;
	default:
		*val = vp->sint[m - HV_MSR_SINT0];
		break;
	}
	pthread_mutex_unlock(&vp->synic_lock);
	return true;
}

/*
 * A page MSR's new value takes effect (synic_lock held). The page is an
 * overlay in the TLFS: the hypervisor's page, whose content persists while
 * it is not mapped. Here it is the guest's RAM while enabled and shadow
 * while not: disabling (or moving) keeps the content in shadow, and the
 * guest's enabling writes shadow into the RAM (zeros the first time, as
 * the TLFS's pages start; KVM's emulation zeroes too). The root's register
 * write (restoring a VP, its RAM already in place) leaves the RAM alone.
 */
static void page_msr_write(struct sim_x86_vcpu *vp, uint64_t *msr, uint64_t val, uint8_t *shadow, bool guest)
{
	bool moved = !(*msr & PAGE_ENABLE) || !(val & PAGE_ENABLE) || ((*msr ^ val) & GPA_PAGE_MASK);
	uint8_t *p;

	if (moved && (p = synic_page_at(vp, *msr, false)))
		memcpy(shadow, p, PAGE_SIZE_4K);
	*msr = val;
	if (guest && moved && (p = synic_page(vp, val)))
		memcpy(p, shadow, PAGE_SIZE_4K);
}

/*
 * MSHV_VP_STATE_SIMP, _SIEFP (one page: the page's content, from RAM
 * while enabled, else the shadow) and _SYNTHETIC_TIMERS (struct
 * hv_synthetic_timers_state: each timer's configuration and count, and an
 * expiry waiting for its slot as undelivered_msg_pending with its time;
 * adjustment 0). Setting the timers arms them as writing their MSRs does,
 * from the time of the set. -EINVAL: another type, or a size other than
 * the state's.
 */
int sim_x86__synic_get_state(struct sim_x86_vcpu *vp, uint32_t type, void *buf, size_t *len)
{
	if (type == MSHV_VP_STATE_SYNTHETIC_TIMERS) {
		struct hv_synthetic_timers_state st;
		if (*len < sizeof(st))
			return -EINVAL;
		memset(&st, 0, sizeof(st));
		for (int i = 0; i < 4; i++) {
			st.timers[i].flags.undelivered_msg_pending = vp->stimer[i].msg_pending;
			st.timers[i].config = vp->stimer[i].config;
			st.timers[i].count = vp->stimer[i].count;
			st.timers[i].undelivered_exp_time = vp->stimer[i].msg_pending ? vp->stimer[i].due : 0;
		}
		memcpy(buf, &st, sizeof(st));
		*len = sizeof(st);
		return 0;
	}
	if ((type != MSHV_VP_STATE_SIMP && type != MSHV_VP_STATE_SIEFP) || *len < PAGE_SIZE_4K)
		return -EINVAL;
	pthread_mutex_lock(&vp->synic_lock);
	{
		uint64_t msr = type == MSHV_VP_STATE_SIMP ? vp->simp : vp->siefp;
		uint8_t *p = synic_page_at(vp, msr, false);
		memcpy(buf, p ? p : type == MSHV_VP_STATE_SIMP ? vp->simp_shadow : vp->siefp_shadow, PAGE_SIZE_4K);
	}
	pthread_mutex_unlock(&vp->synic_lock);
	*len = PAGE_SIZE_4K;
	return 0;
}

int sim_x86__synic_set_state(struct sim_x86_vcpu *vp, uint32_t type, const void *buf, size_t len)
{
	if (type == MSHV_VP_STATE_SYNTHETIC_TIMERS) {
		struct hv_synthetic_timers_state st;
		uint64_t now = sim_x86__reference_time(vp);
		if (len < sizeof(st))
			return -EINVAL;
		memcpy(&st, buf, sizeof(st));
		for (int i = 0; i < 4; i++) {
			struct sim_stimer *t = &vp->stimer[i];
			t->config = st.timers[i].config;
			t->count = st.timers[i].count;
			stimer_arm(t, now);
			if (st.timers[i].flags.undelivered_msg_pending && st.timers[i].undelivered_exp_time) {
				t->due = st.timers[i].undelivered_exp_time;
				t->msg_pending = true;
			}
		}
		sim_x86__timers_rearm(vp);
		return 0;
	}
	if ((type != MSHV_VP_STATE_SIMP && type != MSHV_VP_STATE_SIEFP) || len < PAGE_SIZE_4K)
		return -EINVAL;
	pthread_mutex_lock(&vp->synic_lock);
	{
		uint64_t msr = type == MSHV_VP_STATE_SIMP ? vp->simp : vp->siefp;
		uint8_t *p = synic_page(vp, msr);
		memcpy(p ? p : type == MSHV_VP_STATE_SIMP ? vp->simp_shadow : vp->siefp_shadow, buf, PAGE_SIZE_4K);
	}
	pthread_mutex_unlock(&vp->synic_lock);
	return 0;
}

/*
 * A write of a SynIC or timer MSR: HV_MSR_DONE, HV_MSR_GP (read-only,
 * a value refused above) or HV_MSR_NOT_MINE. guest: from WRMSR (the root's
 * register writes restore state: no page is zeroed).
 */
int sim_x86__synic_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val, bool guest)
{
	if (!sim_x86__synic_msr(m))
		return HV_MSR_NOT_MINE;
	if (m == HV_MSR_SVERSION)
		return HV_MSR_GP;
	if (m >= HV_MSR_STIMER0_CONFIG) {
		struct sim_stimer *t = &vp->stimer[(m - HV_MSR_STIMER0_CONFIG) / 2];
		if ((m - HV_MSR_STIMER0_CONFIG) % 2) {
			t->count = val;
			if (!val)
				t->config &= ~STIMER_ENABLE;
			else if (t->config & STIMER_AUTO_ENABLE)
				t->config |= STIMER_ENABLE;
		} else {
			if ((val & STIMER_DIRECT) &&
			    (!sim_x86__hv_feature(vp, HV_FEAT_DIRECT_STIMER) || STIMER_VECTOR(val) < 16))
				return HV_MSR_GP;
			if (!(val & STIMER_DIRECT) && !STIMER_SINT(val))
				val &= ~STIMER_ENABLE;
			t->config = val;
		}
		stimer_arm(t, sim_x86__reference_time(vp));
		sim_x86__timers_rearm(vp);
		return HV_MSR_DONE;
	}
	if (m >= HV_MSR_SINT0 && !(val & SINT_MASKED) && (val & 0xff) < 16)
		return HV_MSR_GP;
	pthread_mutex_lock(&vp->synic_lock);
	switch (m) {
	case HV_MSR_SCONTROL:
		vp->scontrol = val;
		break;
	case HV_MSR_SIEFP:
		page_msr_write(vp, &vp->siefp, val, vp->siefp_shadow, guest);
		break;
	case HV_MSR_SIMP:
		page_msr_write(vp, &vp->simp, val, vp->simp_shadow, guest);
		break;
	case HV_MSR_EOM:
		if (guest && atomic_load(&vp->sint_notify))
			sim_x86__cpu_exit(vp); /* the run loop looks for SINTs the root waits on */
		break;
	default:
		vp->sint[m - HV_MSR_SINT0] = val;
		update_auto_eoi(vp);
		break;
	}
	pthread_mutex_unlock(&vp->synic_lock);
	stimer_retry(vp);
	return HV_MSR_DONE;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, hypervisor layer: partitions. The guest physical address map,
 * doorbells, interrupt assertion, partition properties, intercept
 * installation, registered CPUID results and page access states.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

static atomic_ulong next_partition_id = 1;

/* ---- memory shortage and deposits ------------------------------------------ */

static uint64_t short_pages;  /* what each new partition (or the root) starts short of */
static uint16_t short_status; /* HV_STATUS_INSUFFICIENT_* while short */
static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t root_short_pages; /* the root partition's own shortage (root_lock) */

/* Whether the shortage is the root partition's own memory rather than each partition's. */
static bool root_shortage(void)
{
	return short_status == HV_STATUS_INSUFFICIENT_ROOT_MEMORY ||
	       short_status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY;
}

void hv_set_memory_shortage(uint64_t pages, uint16_t status)
{
	short_pages = pages;
	short_status = status;
	pthread_mutex_lock(&root_lock);
	root_short_pages = root_shortage() ? pages : 0;
	pthread_mutex_unlock(&root_lock);
}

uint64_t hv_partition_allocate(struct hv_partition *pt)
{
	bool is_short = pt->short_pages > 0;

	if (root_shortage()) {
		pthread_mutex_lock(&root_lock); /* taken inside a partition's lock, never around one */
		is_short = root_short_pages > 0;
		pthread_mutex_unlock(&root_lock);
	}
	return is_short ? short_status : HV_STATUS_SUCCESS;
}

/* A deposit pays off what its receiver is short of; the rest is kept (nothing models it). */
uint64_t hv_deposit_memory(struct hv_partition *pt, uint64_t pages)
{
	pthread_mutex_t *lock = pt ? &pt->lock : &root_lock;
	uint64_t *debt = pt ? &pt->short_pages : &root_short_pages;

	pthread_mutex_lock(lock);
	*debt = *debt > pages ? *debt - pages : 0;
	pthread_mutex_unlock(lock);
	return HV_STATUS_SUCCESS;
}

/* ---- partitions ---------------------------------------------------------------- */

struct hv_partition *hv_partition_create(uint64_t isolation, uint64_t flags)
{
	struct hv_partition *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pthread_mutex_init(&pt->lock, NULL);
	pthread_mutex_init(&pt->msrs.lock, NULL);
	pt->isolation = isolation;
	pt->x2apic = (flags & HV_SIM_CREATION_FLAG_X2APIC_CAPABLE) != 0;
	pt->short_pages = root_shortage() ? 0 : short_pages;
	pt->id = atomic_fetch_add(&next_partition_id, 1);
	pt->created_ns = sim_x86_now_ns();
	return pt;
}

void hv_partition_destroy(struct hv_partition *pt)
{
	struct hv_page_states *ps = atomic_load(&pt->page_states), *next;

	free(ps);
	for (ps = pt->retired_states; ps; ps = next) {
		next = ps->retired_next;
		free(ps);
	}
	pthread_mutex_destroy(&pt->lock);
	pthread_mutex_destroy(&pt->msrs.lock);
	free(pt);
}

uint64_t hv_partition_id(const struct hv_partition *pt)
{
	return pt->id;
}

uint64_t hv_partition_initialize(struct hv_partition *pt)
{
	uint64_t status;

	pthread_mutex_lock(&pt->lock);
	status = hv_partition_allocate(pt);
	if (status == HV_STATUS_SUCCESS)
		pt->initialized = true;
	pthread_mutex_unlock(&pt->lock);
	return status;
}

bool hv_partition_initialized(struct hv_partition *pt)
{
	bool done;

	pthread_mutex_lock(&pt->lock);
	done = pt->initialized;
	pthread_mutex_unlock(&pt->lock);
	return done;
}

/* ---- guest physical address map ------------------------------------------ */

/* How many ranges the map has once [gfn, end) is cut out of it (pt->lock held). */
static size_t ranges_after_cut(const struct hv_partition *pt, uint64_t gfn, uint64_t end)
{
	size_t i, n = pt->nranges;

	for (i = 0; i < pt->nranges; i++) {
		const struct hv_gpa_range *r = &pt->ranges[i];
		uint64_t r_end = r->gfn + r->npages;

		if (r->gfn >= gfn && r_end <= end)
			n--; /* inside: goes */
		else if (r->gfn < gfn && r_end > end)
			n++; /* around: split */
	}
	return n;
}

/*
 * Take guest pages [gfn, end) out of the map (pt->lock held; room for the
 * splits checked with ranges_after_cut): a range inside goes, one across
 * an end is trimmed, one around it is split in two. Whether any page was
 * mapped.
 */
static bool ranges_cut(struct hv_partition *pt, uint64_t gfn, uint64_t end)
{
	bool hit = false;
	size_t i;

	for (i = 0; i < pt->nranges;) {
		struct hv_gpa_range *r = &pt->ranges[i];
		uint64_t r_end = r->gfn + r->npages;

		if (r_end <= gfn || r->gfn >= end) {
			i++;
			continue;
		}
		hit = true;
		if (r->gfn < gfn && r_end > end) {
			struct hv_gpa_range *tail = &pt->ranges[pt->nranges++];

			*tail = *r;
			tail->gfn = end;
			tail->npages = r_end - end;
			tail->uaddr = r->uaddr + (end - r->gfn) * HV_SIM_PAGE_SIZE;
			r->npages = gfn - r->gfn;
			i++;
		} else if (r->gfn < gfn) {
			r->npages = gfn - r->gfn;
			i++;
		} else if (r_end > end) {
			r->uaddr += (end - r->gfn) * HV_SIM_PAGE_SIZE;
			r->npages = r_end - end;
			r->gfn = end;
			i++;
		} else {
			*r = pt->ranges[--pt->nranges];
		}
	}
	return hit;
}

/* The partition's guest physical address width in pages (pt->lock held). */
static uint64_t gpa_page_limit(struct hv_partition *pt)
{
	uint64_t bits = 48;
	size_t i;

	for (i = 0; i < pt->nprops; i++)
		if (pt->props[i].code == HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH)
			bits = pt->props[i].value;
	if (bits < 13 || bits > 64)
		bits = 48;
	return bits == 64 ? UINT64_MAX >> 12 : 1ull << (bits - 12);
}

/*
 * HvCallMapGpaPages over pages that are mapped already: the new mapping
 * replaces the old one for those pages. The TLFS does not say; the kernel
 * relies on it from 6.19, where a movable region is mapped with no access
 * first and its pages mapped again with the region's access as the guest
 * faults them in (mshv_region_remap_pages issues HvCallMapGpaPages on
 * mapped GPAs). Pages beyond the partition's physical address width
 * (HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH, 48 bits here) are
 * HV_STATUS_INVALID_PARAMETER: the simulator's choice of status, as for
 * any argument the hypervisor cannot take; no source we read names it.
 */
uint64_t hv_partition_map_gpa(struct hv_partition *pt, uint64_t gfn, uint64_t npages, uint64_t uaddr,
			      uint32_t flags)
{
	uint64_t status;

	pthread_mutex_lock(&pt->lock);
	status = hv_partition_allocate(pt);
	if (status != HV_STATUS_SUCCESS)
		goto out;
	if (!pt->initialized) {
		status = HV_STATUS_INVALID_PARTITION_STATE;
	} else if (!npages || gfn >= gpa_page_limit(pt) || npages > gpa_page_limit(pt) - gfn) {
		status = HV_STATUS_INVALID_PARAMETER;
	} else if (ranges_after_cut(pt, gfn, gfn + npages) >= HV_SIM_MAX_GPA_RANGES) {
		status = HV_SIM_STATUS_FULL;
	} else {
		struct hv_gpa_range *r;

		ranges_cut(pt, gfn, gfn + npages);
		r = &pt->ranges[pt->nranges++];

		r->gfn = gfn;
		r->npages = npages;
		r->uaddr = uaddr;
		r->flags = flags;
		atomic_fetch_add(&pt->map_generation, 1);
	}
out:
	pthread_mutex_unlock(&pt->lock);
	return status;
}

/* HvCallUnmapGpaPages: the mapped pages of the range go; none mapped is HV_STATUS_INVALID_PARAMETER. */
uint64_t hv_partition_unmap_gpa(struct hv_partition *pt, uint64_t gfn, uint64_t npages)
{
	uint64_t status = HV_STATUS_INVALID_PARAMETER;
	bool hit = false;

	pthread_mutex_lock(&pt->lock);
	if (!npages || gfn + npages < gfn)
		status = HV_STATUS_INVALID_PARAMETER;
	else if (ranges_after_cut(pt, gfn, gfn + npages) > HV_SIM_MAX_GPA_RANGES)
		status = HV_SIM_STATUS_FULL;
	else
		hit = ranges_cut(pt, gfn, gfn + npages);
	if (hit) {
		status = HV_STATUS_SUCCESS;
		atomic_fetch_add(&pt->map_generation, 1);
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

void *hv_partition_gpa_to_host(struct hv_partition *pt, uint64_t gpa, size_t len, bool write)
{
	void *host = NULL;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->nranges; i++) {
		const struct hv_gpa_range *r = &pt->ranges[i];
		uint64_t base = r->gfn * HV_SIM_PAGE_SIZE, size = r->npages * HV_SIM_PAGE_SIZE;

		if (gpa >= base && gpa - base < size && len <= size - (gpa - base)) {
			if (!write || (r->flags & HV_MAP_GPA_WRITABLE))
				host = (void *)(uintptr_t)(r->uaddr + (gpa - base));
			break;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return host;
}

unsigned hv_partition_set_doorbells(struct hv_partition *pt, const struct hv_doorbell *bells, size_t n)
{
	unsigned gen;
	size_t i;

	if (n > HV_SIM_MAX_DOORBELLS)
		n = HV_SIM_MAX_DOORBELLS; /* the driver keeps no more */
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < n; i++) {
		pt->doorbells[i].gpa = bells[i].gpa;
		pt->doorbells[i].len = bells[i].len;
		pt->doorbells[i].has_datamatch = bells[i].has_datamatch;
		pt->doorbells[i].datamatch = bells[i].datamatch;
		pt->doorbells[i].eventfd = bells[i].eventfd;
	}
	pt->ndoorbells = n;
	gen = atomic_fetch_add(&pt->map_generation, 1) + 1;
	pthread_mutex_unlock(&pt->lock);
	return gen;
}

bool hv_partition_doorbells_retired(struct hv_partition *pt, unsigned gen)
{
	bool retired = true;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < HV_SIM_MAX_VPS && retired; i++) {
		struct hv_vp *vp = pt->vps[i];

		/* in_run first: a VP that starts after this sees the partition's newer generation */
		if (vp && atomic_load(&vp->in_run) && (int)(atomic_load(&vp->run_generation) - gen) < 0)
			retired = false;
	}
	pthread_mutex_unlock(&pt->lock);
	return retired;
}

/* ---- interrupts ------------------------------------------------------------ */

uint64_t hv_partition_assert_interrupt(struct hv_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
				       bool level, bool logical)
{
	uint64_t status = HV_STATUS_SUCCESS;
	size_t i;

	/*
	 * The destination is matched by each VP's local APIC as the guest set
	 * it up (APIC ID; LDR in the flat or cluster model; x2APIC IDs), as
	 * the APICs on a bus would. Lowest priority goes to the first VP that
	 * matches (no arbitration by priority: the simulator's choice) as a
	 * fixed interrupt.
	 */
	bool lowest = type == HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY;
	if (lowest)
		type = HV_X64_INTERRUPT_TYPE_FIXED;
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < HV_SIM_MAX_VPS; i++) {
		struct hv_vp *vp = pt->vps[i];

		if (!vp || !sim_x86_vcpu_apic_is_destination(vp->cpu, (uint32_t)dest, logical))
			continue;
		status = sim_x86_vcpu_assert_interrupt(vp->cpu, type, vector, level);
		if (status != HV_STATUS_SUCCESS || lowest)
			break;
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

/*
 * An IPI a VP's local APIC sends (its run thread; sim_ipi_fn): offered to
 * every other VP of the partition, whose APIC decides whether it is a
 * destination; a lowest-priority one goes to the first that is.
 */
void hv_partition_send_ipi(void *opaque, uint32_t from, uint32_t icr_lo, uint32_t dest, bool first_only)
{
	struct hv_partition *pt = opaque;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < HV_SIM_MAX_VPS; i++) {
		struct hv_vp *vp = pt->vps[i];

		if (!vp || i == from)
			continue;
		if (sim_x86_vcpu_accept_ipi(vp->cpu, icr_lo, dest) && first_only)
			break;
	}
	pthread_mutex_unlock(&pt->lock);
}

/* The VPs of a processor set named by VP index (the CPU model's guest hypercalls). */
size_t hv_partition_vp_set(void *opaque, const uint64_t *banks, unsigned nbanks, bool all, struct sim_x86_vcpu **out,
			   size_t max)
{
	struct hv_partition *pt = opaque;
	size_t i, n = 0;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < HV_SIM_MAX_VPS && n < max; i++)
		if (pt->vps[i] && (all || (i / 64 < nbanks && ((banks[i / 64] >> (i % 64)) & 1))))
			out[n++] = pt->vps[i]->cpu;
	pthread_mutex_unlock(&pt->lock);
	return n;
}

/* ---- page access states -------------------------------------------------------- */

void hv_partition_track_access(void *opaque, uint64_t gpfn, bool write)
{
	struct hv_partition *pt = opaque;
	struct hv_page_states *ps = atomic_load_explicit(&pt->page_states, memory_order_acquire);

	if (ps && gpfn < ps->npages)
		atomic_fetch_or(&ps->s[gpfn], write ? HV_PAGE_ACCESSED | HV_PAGE_DIRTY : HV_PAGE_ACCESSED);
}

/* Pages from 0 to the end of the highest range (pt->lock held). */
static uint64_t mapped_page_limit(const struct hv_partition *pt)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < pt->nranges; i++)
		if (pt->ranges[i].gfn + pt->ranges[i].npages > end)
			end = pt->ranges[i].gfn + pt->ranges[i].npages;
	return end;
}

/*
 * HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING: 1 turns tracking on
 * (every VP reports its guest's accesses), 0 off. The state array covers
 * guest pages up to the highest range mapped when tracking starts, all
 * clear. A VP may still be writing into the array it last saw (it learns
 * of a change when it next looks): the array is reused when it is large
 * enough, else replaced and kept until the partition goes.
 * pt->lock held.
 */
static uint64_t set_access_tracking(struct hv_partition *pt, bool on)
{
	struct hv_page_states *ps = atomic_load(&pt->page_states);
	size_t i;

	if (on && !pt->access_tracking) {
		uint64_t pages = mapped_page_limit(pt), p;

		if (ps && ps->npages >= pages) {
			for (p = 0; p < ps->npages; p++)
				atomic_store_explicit(&ps->s[p], 0, memory_order_relaxed);
		} else {
			struct hv_page_states *a = calloc(1, sizeof(*a) + pages);

			if (!a)
				return HV_SIM_STATUS_FULL;
			a->npages = pages;
			if (ps) {
				ps->retired_next = pt->retired_states;
				pt->retired_states = ps;
			}
			atomic_store_explicit(&pt->page_states, a, memory_order_release);
		}
	}
	pt->access_tracking = on;
	for (i = 0; i < HV_SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_x86_vcpu_track_access(pt->vps[i]->cpu, on ? hv_partition_track_access : NULL, pt);
	return HV_STATUS_SUCCESS;
}

uint8_t hv_partition_page_state(struct hv_partition *pt, uint64_t gfn, uint64_t flags)
{
	union hv_gpa_page_access_state_flags f;
	uint8_t clear = 0, set = 0;
	struct hv_page_states *ps = atomic_load_explicit(&pt->page_states, memory_order_acquire);

	if (!ps || gfn >= ps->npages)
		return 0;
	f.as_uint64 = flags;
	if (f.clear_accessed)
		clear |= HV_PAGE_ACCESSED;
	if (f.clear_dirty)
		clear |= HV_PAGE_DIRTY;
	if (f.set_accessed)
		set |= HV_PAGE_ACCESSED;
	if (f.set_dirty)
		set |= HV_PAGE_DIRTY;
	if (clear)
		return atomic_fetch_and(&ps->s[gfn], (uint8_t)~clear);
	if (set)
		return atomic_fetch_or(&ps->s[gfn], set);
	return atomic_load(&ps->s[gfn]);
}

/* ---- properties --------------------------------------------------------------- */

static bool property_known(uint32_t code)
{
	switch (code) {
	case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
	case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
	case HV_PARTITION_PROPERTY_SUSPEND:
	case HV_PARTITION_PROPERTY_CPU_RESERVE:
	case HV_PARTITION_PROPERTY_CPU_CAP:
	case HV_PARTITION_PROPERTY_CPU_WEIGHT:
	case HV_PARTITION_PROPERTY_CPU_GROUP_ID:
	case HV_PARTITION_PROPERTY_TIME_FREEZE:
	case HV_PARTITION_PROPERTY_REFERENCE_TIME:
	case HV_PARTITION_PROPERTY_DEBUG_CHANNEL_ID:
	case HV_PARTITION_PROPERTY_VIRTUAL_TLB_PAGE_COUNT:
	case HV_PARTITION_PROPERTY_VSM_CONFIG:
	case HV_PARTITION_PROPERTY_ZERO_MEMORY_ON_RESET:
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
	case HV_PARTITION_PROPERTY_NESTED_TLB_SIZE:
	case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
	case HV_PARTITION_PROPERTY_ISOLATION_STATE:
	case HV_PARTITION_PROPERTY_ISOLATION_CONTROL:
	case HV_PARTITION_PROPERTY_ALLOCATION_ID:
	case HV_PARTITION_PROPERTY_MONITORING_ID:
	case HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS:
	case HV_PARTITION_PROPERTY_NON_ARCHITECTURAL_CORE_SHARING:
	case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
	case HV_PARTITION_PROPERTY_PROCESSOR_VENDOR:
	case HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES:
	case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
	case HV_PARTITION_PROPERTY_XSAVE_STATES:
	case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
	case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1:
	case HV_PARTITION_PROPERTY_GUEST_OS_ID:
	case HV_PARTITION_PROPERTY_PROCESSOR_VIRTUALIZATION_FEATURES:
		return true;
	default:
		return false;
	}
}

/* Values a fresh partition (and the root) reports before anything is set. */
static uint64_t property_default(uint32_t code)
{
	switch (code) {
	case HV_PARTITION_PROPERTY_PROCESSOR_VENDOR:
		return 0; /* HV_PROCESSOR_VENDOR_INTEL */
	case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
		return 8; /* CPUID.1:EBX[15:8], in 8-byte units */
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
	case HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS:
		return 48;
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
		return 1;
	case HV_PARTITION_PROPERTY_XSAVE_STATES:
		return 0x3; /* x87 and SSE: what the CPU model saves */
	case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
		return 576; /* legacy area, XSAVE header: the compacted x87+SSE image */
	case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
		return 2000000000ull;
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
		return 0x00000000ffffffffull; /* the root's processor features, bank 0 */
	default:
		return 0;
	}
}

static struct hv_property *property_slot(struct hv_partition *pt, uint32_t code, bool create)
{
	size_t i;

	for (i = 0; i < pt->nprops; i++)
		if (pt->props[i].code == code)
			return &pt->props[i];
	if (!create || pt->nprops == HV_SIM_MAX_PROPERTIES)
		return NULL;
	pt->props[pt->nprops].code = code;
	pt->props[pt->nprops].value = property_default(code);
	return &pt->props[pt->nprops++];
}

uint64_t hv_partition_property_locked(struct hv_partition *pt, uint32_t code)
{
	struct hv_property *p = property_slot(pt, code, false);
	return p ? p->value : property_default(code);
}

uint64_t hv_partition_get_property(struct hv_partition *pt, uint32_t code, uint64_t *value)
{
	struct hv_property *p;

	if (!property_known(code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	if (!pt) {
		*value = property_default(code);
		return HV_STATUS_SUCCESS;
	}
	pthread_mutex_lock(&pt->lock);
	p = property_slot(pt, code, false);
	*value = p ? p->value : property_default(code);
	pthread_mutex_unlock(&pt->lock);
	return HV_STATUS_SUCCESS;
}

/* Properties that only a partition being created may change. */
static bool property_early(uint32_t code)
{
	return code == HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS || code == HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES ||
	       code == HV_PARTITION_PROPERTY_PROCESSOR_VENDOR || code == HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0 ||
	       code == HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1 || code == HV_PARTITION_PROPERTY_XSAVE_STATES ||
	       code == HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE;
}

/* Every VP of the partition (pt->lock held) gets pt->intercepts. */
static void push_intercepts(struct hv_partition *pt)
{
	size_t i;

	for (i = 0; i < HV_SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_x86_vcpu_set_intercepts(pt->vps[i]->cpu, &pt->intercepts);
}

uint64_t hv_partition_set_property(struct hv_partition *pt, uint32_t code, uint64_t value)
{
	struct hv_property *p;
	uint64_t status = HV_STATUS_SUCCESS;

	if (!pt)
		return HV_STATUS_ACCESS_DENIED;
	if (!property_known(code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	pthread_mutex_lock(&pt->lock);
	if (pt->initialized && property_early(code))
		status = HV_STATUS_INVALID_PARTITION_STATE;
	else if (code == HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING)
		status = value > 1 ? HV_STATUS_INVALID_PARAMETER : set_access_tracking(pt, value != 0);
	else if (code == HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION && value > 1)
		status = HV_STATUS_INVALID_PARAMETER;
	if (status == HV_STATUS_SUCCESS) {
		p = property_slot(pt, code, true);
		if (p)
			p->value = value;
		else
			status = HV_SIM_STATUS_FULL;
	}
	if (status == HV_STATUS_SUCCESS && code == HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES) {
		/* what CPUID's hypervisor leaves report and which synthetic MSRs the guest has (the CPU model) */
		for (size_t i = 0; i < HV_SIM_MAX_VPS; i++)
			if (pt->vps[i])
				sim_x86_vcpu_set_synthetic_features(pt->vps[i]->cpu, value);
	}
	if (status == HV_STATUS_SUCCESS && code == HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION) {
		/* what RDMSR/WRMSR of an MSR nobody implements or intercepts does (the CPU model's MSR rules) */
		pt->intercepts.msr_ignore = value == HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO;
		push_intercepts(pt);
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

/* ---- intercepts --------------------------------------------------------------- */

/*
 * MSR intercepts (semantics and sources with the CPU model's RDMSR/WRMSR
 * rules): read and/or write only; a mask of NONE removes the intercept;
 * installing one again replaces its mask.
 */
static uint64_t install_msr_intercept(struct sim_x86_intercepts *ic, uint32_t access_type, uint32_t type,
				      uint32_t msr)
{
	uint8_t mask = (uint8_t)access_type;
	unsigned i;

	if (access_type & ~(uint32_t)(HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE))
		return HV_STATUS_INVALID_PARAMETER;
	if (type == HV_INTERCEPT_TYPE_X64_MSR) {
		ic->msr_all = mask;
		return HV_STATUS_SUCCESS;
	}
	for (i = 0; i < ic->nmsr_index && ic->msr_index[i].msr != msr; i++)
		;
	if (i == ic->nmsr_index) {
		if (!mask)
			return HV_STATUS_SUCCESS;
		if (i == SIM_MAX_MSR_INTERCEPTS)
			return HV_SIM_STATUS_FULL;
		ic->msr_index[i].msr = msr;
		ic->nmsr_index++;
	}
	ic->msr_index[i].access = mask;
	if (!mask)
		ic->msr_index[i] = ic->msr_index[--ic->nmsr_index];
	return HV_STATUS_SUCCESS;
}

/*
 * Intercept types past Linux's headers (HV_INTERCEPT_TYPE_MAX is 13 there):
 * the TLFS's HvInterceptTypeUnknownSynicConnection (0xd) and
 * HvInterceptTypeRetargetInterruptWithUnknownDeviceId (0xf), numbered as
 * in openvmm's hvdef. openvmm's virt_mshv installs both with
 * HV_INTERCEPT_TYPE_HYPERCALL and handles HvCallPostMessage,
 * HvCallSignalEvent and HvCallRetargetDeviceInterrupt from the
 * HVMSG_HYPERCALL_INTERCEPT messages they bring (cpu/hyperv.c).
 */
#define HV_SIM_INTERCEPT_TYPE_UNKNOWN_SYNIC_CONNECTION 0xd
#define HV_SIM_INTERCEPT_TYPE_RETARGET_UNKNOWN_DEVICE 0xf

uint64_t hv_partition_install_intercept(struct hv_partition *pt, uint32_t access_type, uint32_t intercept_type,
					union hv_intercept_parameters param)
{
	uint64_t status = HV_STATUS_SUCCESS;

	if (access_type & ~(uint32_t)(HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE |
				      HV_INTERCEPT_ACCESS_MASK_EXECUTE))
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&pt->lock);
	switch (intercept_type) {
	case HV_INTERCEPT_TYPE_X64_CPUID:
	case HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID:
		pt->intercepts.cpuid = true;
		break;
	case HV_INTERCEPT_TYPE_X64_MSR:
	case HV_INTERCEPT_TYPE_X64_MSR_INDEX:
		status = install_msr_intercept(&pt->intercepts, access_type, intercept_type, param.msr_index);
		break;
	case HV_INTERCEPT_TYPE_EXCEPTION:
		if (param.as_uint64 >= 32)
			status = HV_STATUS_INVALID_PARAMETER;
		else
			pt->intercepts.exception_bitmap |= 1u << param.as_uint64;
		break;
	case HV_SIM_INTERCEPT_TYPE_UNKNOWN_SYNIC_CONNECTION:
		pt->intercepts.unknown_synic_connection = access_type != 0;
		break;
	case HV_SIM_INTERCEPT_TYPE_RETARGET_UNKNOWN_DEVICE:
		pt->intercepts.unknown_device_retarget = access_type != 0;
		break;
	case HV_INTERCEPT_TYPE_X64_IO_PORT:
	case HV_INTERCEPT_TYPE_MMIO:
	case HV_INTERCEPT_TYPE_HYPERCALL:
	case HV_INTERCEPT_TYPE_X64_APIC_SMI:
	case HV_INTERCEPT_TYPE_X64_APIC_INIT_SIPI:
	case HV_INTERCEPT_TYPE_X64_APIC_WRITE:
		break; /* port IO and unmapped GPAs always reach the root of an exo partition */
	default:
		status = HV_STATUS_INVALID_PARAMETER;
		break;
	}
	if (status == HV_STATUS_SUCCESS)
		push_intercepts(pt);
	pthread_mutex_unlock(&pt->lock);
	return status;
}

/* ---- registered CPUID results ------------------------------------------------------ */

/* Every VP gets them with the intercepts: its guest's CPUID returns them. */
uint64_t hv_partition_register_cpuid_result(struct hv_partition *pt,
					    const struct hv_register_x64_cpuid_result_parameters *p)
{
	struct sim_x86_intercepts *ic = &pt->intercepts;
	uint64_t status = HV_STATUS_SUCCESS;
	size_t i, n;

	pthread_mutex_lock(&pt->lock);
	n = ic->ncpuid_results;
	for (i = 0; i < n; i++)
		if (ic->cpuid_results[i].input.eax == p->input.eax && ic->cpuid_results[i].input.ecx == p->input.ecx)
			break;
	if (i == SIM_MAX_CPUID_RESULTS) {
		status = HV_SIM_STATUS_FULL;
	} else {
		memcpy(&ic->cpuid_results[i], p, sizeof(*p));
		if (i == n)
			ic->ncpuid_results++;
		push_intercepts(pt);
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

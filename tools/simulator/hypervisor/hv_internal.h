/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, hypervisor layer: the partition and VP records, shared by
 * partition.c, vp.c and hypercalls.c only (the driver sees hv.h).
 */
#ifndef MSHV_SIM_HV_INTERNAL_H
#define MSHV_SIM_HV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "hv.h"
#include "x86_vcpu.h"

#define HV_SIM_PAGE_SIZE 4096u
#define HV_SIM_MAX_GPA_RANGES 256
#define HV_SIM_MAX_DOORBELLS 256
#define HV_SIM_MAX_PROPERTIES 64

/*
 * A table of the model is full (ranges, properties, intercepts, CPUID
 * results) or the host is out of memory. The hypervisor would say
 * HV_STATUS_INSUFFICIENT_MEMORY, but no deposit helps the model, and the
 * drivers that deposit and retry on that status would spin: the simulator
 * answers HV_STATUS_INSUFFICIENT_BUFFERS (its choice; EIO for every
 * mainline driver).
 */
#define HV_SIM_STATUS_FULL HV_STATUS_INSUFFICIENT_BUFFERS

/* One range of the partition's guest physical address map (HvCallMapGpaPages). */
struct hv_gpa_range {
	uint64_t gfn;    /* first guest page */
	uint64_t npages;
	uint64_t uaddr;  /* root (VMM) address of the first page */
	uint32_t flags;  /* HV_MAP_GPA_* */
};

struct hv_property {
	uint64_t code;
	uint64_t value;
};

struct hv_partition {
	/* the partition-wide synthetic MSRs its VPs share (under their own lock) */
	struct sim_x86_partition_msrs msrs;
	pthread_mutex_t lock; /* everything below; never held while a VP runs */
	uint64_t id;
	uint64_t isolation;   /* 0: none */
	bool x2apic;          /* created x2APIC-capable: its VPs offer x2APIC mode */
	bool initialized;     /* HvCallInitializePartition done */
	uint64_t short_pages; /* pages this partition is short of (hv_set_memory_shortage) */
	uint64_t created_ns;  /* the partition's clocks count from here (sim_x86_vcpu_set_time_base) */

	struct hv_gpa_range ranges[HV_SIM_MAX_GPA_RANGES];
	size_t nranges;
	struct sim_doorbell doorbells[HV_SIM_MAX_DOORBELLS];
	size_t ndoorbells;
	atomic_uint map_generation; /* bumped whenever ranges or doorbells change */

	struct hv_vp *vps[HV_SIM_MAX_VPS];

	struct sim_x86_intercepts intercepts; /* and the registered CPUID results */
	struct hv_property props[HV_SIM_MAX_PROPERTIES];
	size_t nprops;

	/* Page access states (HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING). */
	bool access_tracking;
	/*
	 * The states, read by VPs at any time (a VP learns late that tracking
	 * went off): published whole with release, never freed before the
	 * partition; an array outgrown goes to the retired list.
	 */
	struct hv_page_states *_Atomic page_states;
	struct hv_page_states *retired_states;
};

/* HV_PAGE_ACCESSED | HV_PAGE_DIRTY, one byte per page of pages 0 to npages - 1. */
struct hv_page_states {
	uint64_t npages;
	struct hv_page_states *retired_next;
	_Atomic uint8_t s[];
};

/* Bits of a page's access state (union hv_gpa_page_access_state). */
#define HV_PAGE_ACCESSED 0x1
#define HV_PAGE_DIRTY 0x2

struct hv_vp {
	struct hv_partition *pt;
	uint32_t index;
	struct sim_x86_vcpu *cpu;
	/*
	 * Taken (1) while the VP runs and while the root reads or writes its
	 * state: a register hypercall that finds it taken gets
	 * HV_STATUS_INVALID_VP_STATE. An atomic flag rather than a mutex: the
	 * run path takes it once per exit, uncontended (hv_vp_take()).
	 */
	atomic_int busy;
	/*
	 * Lookups by index in flight (hv_partition_vp to hv_vp_unref): a
	 * hypercall naming the VP through the partition holds one while it
	 * works on it, and hv_vp_destroy waits for them to end after taking
	 * the VP out of pt->vps, so a concurrent close never frees it under
	 * a hypercall.
	 */
	atomic_int lookups;
	struct hv_vp_register_page *regpage; /* NULL for isolated partitions */
	struct hv_message *msgpage;          /* the intercept message page */
	unsigned map_generation;             /* the partition's, as last given to the CPU */
	/*
	 * While it runs guest code (in_run), the generation of the doorbell
	 * set the CPU model uses (hv_partition_doorbells_retired). Set before
	 * the run looks at the partition's generation, so a change it misses
	 * sees in_run.
	 */
	atomic_bool in_run;
	atomic_uint run_generation;
	bool explicit_suspend;               /* HV_REGISTER_EXPLICIT_SUSPEND */
	bool intercept_suspend;              /* HV_REGISTER_INTERCEPT_SUSPEND */
};

/*
 * partition.c: whether a call that allocates for pt may (HV_STATUS_SUCCESS)
 * or fails for want of memory (the shortage status); pt->lock held.
 */
uint64_t hv_partition_allocate(struct hv_partition *pt);

/* partition.c: a property's value (its default when never set); pt->lock held. */
uint64_t hv_partition_property_locked(struct hv_partition *pt, uint32_t code);

/* vp.c: the VP at index, NULL when none; a VP found is held until hv_vp_unref(). */
struct hv_vp *hv_partition_vp(struct hv_partition *pt, uint32_t index);
void hv_partition_send_ipi(void *opaque, uint32_t from, uint32_t icr_lo, uint32_t dest, bool first_only);
size_t hv_partition_vp_set(void *opaque, const uint64_t *banks, unsigned nbanks, bool all, struct sim_x86_vcpu **out,
			   size_t max);
void hv_vp_unref(struct hv_vp *vp);

/* partition.c: one page's access state (bit 0 accessed, 1 dirty) before the
 * flags of union hv_gpa_page_access_state_flags apply; pt->lock held and
 * tracking on. */
uint8_t hv_partition_page_state(struct hv_partition *pt, uint64_t gfn, uint64_t flags);
/* partition.c: the CPU model's access callback while tracking is on. */
void hv_partition_track_access(void *opaque, uint64_t gpfn, bool write);

#endif

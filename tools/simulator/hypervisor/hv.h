/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, hypervisor layer: the Microsoft Hypervisor as the root
 * partition's kernel sees it. Partitions (guest physical address map,
 * page access states, properties, intercepts, registered CPUID results),
 * their VPs (register state through the CPU model, register page,
 * intercept message page, suspend registers, SynIC state blobs), the
 * hypercall table, and interrupt assertion.
 *
 * Called by the driver layer (tools/simulator/driver/); calls only the CPU
 * model (x86_vcpu.h) and libc. Nothing here knows about file descriptors,
 * ioctls or kernel releases: results are HV_STATUS_* codes, except where
 * an errno says more (VP creation and the state blobs pass the CPU
 * model's on). Which hypercall a root may issue from which fd is the
 * driver's business (its allow-lists); the table rows say only what the
 * hypervisor knows of each call.
 */
#ifndef MSHV_SIM_HV_H
#define MSHV_SIM_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mshv.h"

/*
 * On a function a signal handler calls (the kick that makes a run return
 * -EINTR): no ThreadSanitizer instrumentation in a TSan build, as the
 * handler may interrupt the TSan runtime itself, which its instrumentation
 * would re-enter (tests/meson.build, suite 'tsan'). Such functions touch
 * only atomics and make system calls.
 */
#ifndef SIM_SIGNAL_SAFE
#define SIM_SIGNAL_SAFE __attribute__((no_sanitize_thread))
#endif

#define HV_SIM_MAX_VPS 256 /* VP indexes below this; also the driver's MSHV_MAX_VPS */

struct hv_partition; /* hv_internal.h: the layer's own */
struct hv_vp;

/* A guest write that signals an eventfd instead of an intercept (hv_partition_set_doorbells). */
struct hv_doorbell {
	uint64_t gpa;
	uint32_t len; /* 0: any size */
	bool has_datamatch;
	uint64_t datamatch;
	int eventfd;
};

/* ---- partitions (partition.c) ---------------------------------------------
 * Functions returning uint64_t give an HV_STATUS_*. */

/*
 * HvCallCreatePartition: a new partition, NULL when out of memory.
 * isolation: 0 none. flags: HV_PARTITION_CREATION_FLAG_* (the hypervisor
 * acts on X2APIC_CAPABLE; the others are not looked at).
 */
#define HV_SIM_CREATION_FLAG_X2APIC_CAPABLE (1ull << 22) /* HV_PARTITION_CREATION_FLAG_X2APIC_CAPABLE */
struct hv_partition *hv_partition_create(uint64_t isolation, uint64_t flags);
uint64_t hv_partition_id(const struct hv_partition *pt);
/* HvCallDeletePartition (its VPs are gone already). */
void hv_partition_destroy(struct hv_partition *pt);
/* HvCallInitializePartition (it allocates, see hv_set_memory_shortage); a second call is a no-op. */
uint64_t hv_partition_initialize(struct hv_partition *pt);
bool hv_partition_initialized(struct hv_partition *pt);

/*
 * HvCallMapGpaPages / HvCallUnmapGpaPages: guest pages [gfn, gfn + npages)
 * backed by root memory at uaddr, flags HV_MAP_GPA_*. Mapping needs an
 * initialized partition (HV_STATUS_INVALID_PARTITION_STATE), memory (it
 * allocates) and a free slot (HV_STATUS_INSUFFICIENT_BUFFERS); unmapping
 * names a mapped range.
 */
uint64_t hv_partition_map_gpa(struct hv_partition *pt, uint64_t gfn, uint64_t npages, uint64_t uaddr,
			      uint32_t flags);
uint64_t hv_partition_unmap_gpa(struct hv_partition *pt, uint64_t gfn, uint64_t npages);

/* The root memory behind [gpa, gpa + len) if one range maps it all (writable when write), else NULL. */
void *hv_partition_gpa_to_host(struct hv_partition *pt, uint64_t gpa, size_t len, bool write);

/*
 * The guest writes that signal an eventfd without an intercept. The driver
 * owns ioeventfds; on the hypervisor it sees the write's intercept, signals
 * the eventfd and resumes the VP. The simulator lets the CPU model do that
 * in place (the guest sees the same), so the driver hands its set down here.
 */
unsigned hv_partition_set_doorbells(struct hv_partition *pt, const struct hv_doorbell *bells, size_t n);
/*
 * A VP that runs keeps the doorbell set it started its run with (the CPU
 * model signals their eventfds in place) until its next exit, so an
 * eventfd dropped from the set may still be written by it. This says
 * whether no VP runs now with a set older than gen, the generation
 * hv_partition_set_doorbells() returned for the set that dropped it:
 * then the driver may close it.
 */
bool hv_partition_doorbells_retired(struct hv_partition *pt, unsigned gen);

/* Deliver an interrupt to the VPs dest names (APIC ID, or a logical mask). */
uint64_t hv_partition_assert_interrupt(struct hv_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
				       bool level, bool logical);

/* Partition properties (partition NULL: the root partition's own, read-only). */
uint64_t hv_partition_get_property(struct hv_partition *pt, uint32_t code, uint64_t *value);
uint64_t hv_partition_set_property(struct hv_partition *pt, uint32_t code, uint64_t value);

/* HvCallInstallIntercept. */
uint64_t hv_partition_install_intercept(struct hv_partition *pt, uint32_t access_type, uint32_t intercept_type,
					union hv_intercept_parameters param);

/* A CPUID result registered with HVCALL_REGISTER_INTERCEPT_RESULT: from now on the guest's CPUID returns it. */
uint64_t hv_partition_register_cpuid_result(struct hv_partition *pt,
					    const struct hv_register_x64_cpuid_result_parameters *p);

/*
 * Memory the hypervisor is short of (partition.c). It starts pages short
 * (MSHV_SIM_HV_SHORT, set once before any partition exists) and, while
 * short, every call that allocates fails with status: for
 * HV_STATUS_INSUFFICIENT_MEMORY and _CONTIGUOUS_MEMORY each partition is
 * short (each starts pages short, its deposits pay it off); for
 * _ROOT_MEMORY and _CONTIGUOUS_ROOT_MEMORY the root partition is (one
 * count, paid off by deposits to the root itself). The allocating calls:
 * the table rows marked so, HvCallInitializePartition, HvCallCreateVp,
 * HvCallMapGpaPages.
 */
void hv_set_memory_shortage(uint64_t pages, uint16_t status);
/* HvCallDepositMemory: pages of root memory given to pt (NULL: the root partition itself). */
uint64_t hv_deposit_memory(struct hv_partition *pt, uint64_t pages);

/* ---- VPs (vp.c) -------------------------------------------------------------- */

/*
 * HvCallCreateVp. Returns 0, or -errno as the driver reports the refusal:
 * -EINVAL (index not below HV_SIM_MAX_VPS), -EEXIST (index in use), -EIO
 * (partition not initialized: HV_STATUS_INVALID_PARTITION_STATE), -ENOMEM
 * with the hypercall's status in *status when the hypervisor is short of
 * memory (the driver deposits and retries), or the CPU model's own error.
 * *status is HV_STATUS_SUCCESS unless the hypercall failed. The VP starts
 * explicitly suspended.
 */
int hv_vp_create(struct hv_partition *pt, uint32_t index, struct hv_vp **out, uint64_t *status);
/*
 * The VP's register page and intercept message page (4 KiB each, shared
 * with the root), before it first runs. An isolated partition's VP uses no
 * register page (hv_vp_has_register_page).
 */
void hv_vp_attach_pages(struct hv_vp *vp, void *regpage, void *msgpage);
void hv_vp_destroy(struct hv_vp *vp);
bool hv_vp_has_register_page(const struct hv_vp *vp);
/* The VP's intercept message page (the last message). */
const struct hv_message *hv_vp_message(const struct hv_vp *vp);

/*
 * The suspend registers (HV_REGISTER_EXPLICIT_SUSPEND,
 * HV_REGISTER_INTERCEPT_SUSPEND), as the driver reads and writes them
 * around a run; any thread that owns the VP's fd.
 */
bool hv_vp_suspended(const struct hv_vp *vp, uint32_t reg);
void hv_vp_set_suspended(struct hv_vp *vp, uint32_t reg, bool on);

/*
 * Run the VP (its lock taken here) until it sends the root an intercept
 * message, which is then on its message page; the VP is left
 * intercept-suspended. Returns 0, or -EINTR when hv_vp_kick() came first
 * (no message). A VP still explicitly suspended does not run: it waits for
 * a kick.
 */
int hv_vp_run(struct hv_vp *vp);
/* Make the current or next hv_vp_run() return -EINTR; any thread, async-signal-safe. */
void hv_vp_kick(struct hv_vp *vp);

/*
 * Register access by the root: take the VP (HV_STATUS_INVALID_VP_STATE
 * while it runs), with the root's pending register page writes applied;
 * then get/set by name; release rewrites the register page.
 */
uint64_t hv_vp_acquire(struct hv_vp *vp);
void hv_vp_release(struct hv_vp *vp, bool changed);
uint64_t hv_vp_get_register(struct hv_vp *vp, uint32_t name, union hv_register_value *v);
uint64_t hv_vp_set_register(struct hv_vp *vp, uint32_t name, const union hv_register_value *v);

/* VP state blobs (MSHV_VP_STATE_*): 0 or -errno, as sim_x86_vcpu_get/set_state. */
uint32_t hv_vp_state_size(struct hv_vp *vp, uint8_t type);
int hv_vp_get_state(struct hv_vp *vp, uint8_t type, void *buf, size_t *len);
int hv_vp_set_state(struct hv_vp *vp, uint8_t type, const void *buf, size_t len);

/* A root (VMM) write hit a page of guest code the CPU model protects: true when handled. */
bool hv_host_write_fault(void *addr);
/* The root is about to write [addr, addr + len) through the kernel (read(2) into it, ...). */
void hv_host_write_prepare(void *addr, size_t len);
/* The root process catches SIGSEGV itself and calls hv_host_write_fault() first. */
void hv_host_faults_external(void);

/* ---- hypercalls (hypercalls.c) ----------------------------------------------- */

/* One hypercall as the hypervisor receives it. */
struct hv_call {
	struct hv_partition *pt; /* NULL: the root partition itself (HV_PARTITION_ID_SELF) */
	uint16_t reps;           /* rep count; 0 for simple calls */
	uint16_t rep_start;      /* rep calls: the first element to process (a restarted call) */
	const void *in;          /* input page (4 KiB) */
	void *out;               /* output page (4 KiB, zeroed) */
	uint16_t reps_done;      /* rep calls: elements completed, those before rep_start included (out) */
};

struct hv_hypercall {
	uint16_t code;      /* HVCALL_* */
	bool rep;           /* a rep call: elements in order, stops at the first failing one */
	bool root;          /* also serves the root partition itself (call.pt NULL) */
	bool allocates;     /* needs hypervisor memory: fails while the partition is short of it */
	uint64_t (*handler)(struct hv_call *call);
};

/*
 * Issue a hypercall: HV_STATUS_INVALID_HYPERCALL_CODE without a row,
 * HV_STATUS_ACCESS_DENIED for a call the root partition cannot make on
 * itself, the shortage status for an allocating call while the partition
 * is short of memory; otherwise the handler's status (call->reps_done set).
 */
uint64_t hv_hypercall(uint16_t code, struct hv_call *call);

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: one x86_64 virtual processor, executed by the unicorn engine.
 *
 * The simulator's bottom layer (cpu/): it runs guest code and stops
 * exactly where the Microsoft Hypervisor would stop a VP and send the root
 * partition an intercept message, and it builds that message (struct
 * hv_message, every header field filled) itself. Partitions and hypercalls
 * live in the hypervisor layer above (hypervisor/), the only caller of
 * this interface.
 *
 * Threads: one thread at a time may call the functions of a given VP,
 * except sim_x86_vcpu_kick() and sim_x86_vcpu_assert_interrupt(), which
 * any thread may call at any time (kick is also async-signal-safe).
 * Different VPs may run concurrently on different threads.
 *
 * Return conventions: functions returning int give 0 or -errno; those
 * returning uint64_t give a hypervisor status (HV_STATUS_SUCCESS == 0).
 *
 * What a guest sees that differs from the hypervisor on hardware:
 * hardware breakpoints are not modelled (DR0-DR7 hold what is written,
 * with the architectural checks, but never raise #DB; registers.c,
 * sim_x86__mov_to_dr); SMSW to a 32-bit register outside 64-bit mode at
 * CPL > 0 writes only bits 15:0 (registers.c, sim_x86__smsw_fix); the
 * reserved bits 2:1 and 8:5 of PAE-mode PDPTEs are not checked (memory.c,
 * sim_x86__walk).
 */
#ifndef MSHV_SIM_X86_VCPU_H
#define MSHV_SIM_X86_VCPU_H

#include <pthread.h>
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

struct sim_x86_vcpu;

/* Access rights of a guest-physical range, as the hypervisor maps it. */
#define SIM_MEM_READ  0x1u
#define SIM_MEM_WRITE 0x2u
#define SIM_MEM_EXEC  0x4u

/*
 * A guest-physical range backed by the VMM's own memory (no copies: guest
 * writes land in host memory at once). gpa, size and host are multiples
 * of 4096. Accesses outside every slot produce HVMSG_UNMAPPED_GPA; an
 * access a slot's flags forbid produces HVMSG_GPA_INTERCEPT.
 */
struct sim_mem_slot {
	uint64_t gpa;
	uint64_t size;
	void *host;
	uint32_t flags; /* SIM_MEM_* */
};

/* Per-index MSR intercepts a partition may hold (HV_INTERCEPT_TYPE_X64_MSR_INDEX). */
#define SIM_MAX_MSR_INTERCEPTS 64
/* CPUID results a partition may register (HVCALL_REGISTER_INTERCEPT_RESULT). */
#define SIM_MAX_CPUID_RESULTS 64

/*
 * What the hypervisor does for the root when a VP of its partition reaches
 * an intercept point: the intercepts of HVCALL_INSTALL_INTERCEPT and the
 * partition's HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION. MSR access
 * masks are HV_INTERCEPT_ACCESS_MASK_READ and/or _WRITE. The order in which
 * RDMSR/WRMSR consult them is described in cpu/msr.c.
 */
struct sim_x86_intercepts {
	bool cpuid;                  /* every CPUID exits with HVMSG_X64_CPUID_INTERCEPT */
	uint8_t msr_all;             /* HV_INTERCEPT_TYPE_X64_MSR: every MSR the hypervisor does not implement */
	uint8_t nmsr_index;          /* HV_INTERCEPT_TYPE_X64_MSR_INDEX: entries of msr_index[] in use */
	struct {
		uint32_t msr;
		uint8_t access;
	} msr_index[SIM_MAX_MSR_INTERCEPTS];
	bool msr_ignore;             /* unimplemented MSR action IGNORE_WRITE_READ_ZERO (default FAULT: #GP) */
	uint32_t exception_bitmap;   /* bit v: exception vector v exits (HVMSG_X64_EXCEPTION_INTERCEPT) */
	/* guest hypercalls the hypervisor leaves to the root: HVMSG_HYPERCALL_INTERCEPT (guest_hypercalls.c) */
	bool unknown_synic_connection; /* HvCallPostMessage, HvCallSignalEvent */
	bool unknown_device_retarget;  /* HvCallRetargetDeviceInterrupt */
	/*
	 * CPUID results registered with HVCALL_REGISTER_INTERCEPT_RESULT: the
	 * masked bits replace what the leaf (and, when subleaf_specific, the
	 * subleaf) would return, for the guest's CPUID (and the defaults of
	 * its intercept message) and for sim_x86_vcpu_cpuid_registered().
	 */
	uint8_t ncpuid_results;
	struct hv_register_x64_cpuid_result_parameters cpuid_results[SIM_MAX_CPUID_RESULTS];
};

/*
 * Create a VP in the architectural reset state the hypervisor presents
 * (real mode, CS selector 0xf000 base 0xffff0000, RIP 0xfff0, RFLAGS 0x2,
 * CR0 0x60000010, APIC base 0xfee00900 for the BSP (vp_index 0) and
 * 0xfee00800 otherwise, ...). Every VP but the BSP starts in the
 * startup-suspend state (waiting for the guest's INIT-SIPI; the VMM may
 * clear it through HV_REGISTER_INTERNAL_ACTIVITY_STATE).
 */
int sim_x86_vcpu_create(struct sim_x86_vcpu **out, uint32_t vp_index);
void sim_x86_vcpu_destroy(struct sim_x86_vcpu *vcpu);

/*
 * The partition's clocks (cpu/time.c): epoch_ns is the partition's creation
 * on sim_x86_now_ns()'s clock; the VP's TSC and the reference time count
 * from it. Call before the VP first runs.
 */
uint64_t sim_x86_now_ns(void);
void sim_x86_vcpu_set_time_base(struct sim_x86_vcpu *vcpu, uint64_t epoch_ns);

/* Blocks of guest code the VP has translated so far (for tests of what is retranslated when). */
unsigned long sim_x86_vcpu_translations(const struct sim_x86_vcpu *vcpu);

/*
 * Replace the VP's view of guest-physical memory with slots[0..n). Called by
 * the driver before a run whenever the partition's memory map changed.
 * Slots do not overlap. Returns 0 or -errno.
 */
int sim_x86_vcpu_set_memory(struct sim_x86_vcpu *vcpu, const struct sim_mem_slot *slots, size_t n);

/* Any thread, at any time: a running VP sees the change from its next intercept point on. */
void sim_x86_vcpu_set_intercepts(struct sim_x86_vcpu *vcpu, const struct sim_x86_intercepts *icpt);

/*
 * Registers by hypervisor name (HV_X64_REGISTER_*, HV_REGISTER_*), values
 * in the hypervisor's format (segments as struct hv_x64_segment_register,
 * tables as struct hv_x64_table_register, ...). Unknown or unsupported
 * names give HV_STATUS_INVALID_PARAMETER; a value the architecture
 * rejects gives HV_STATUS_INVALID_REGISTER_VALUE and changes nothing:
 * CR0 with bits 63:32, PG without PE or NW without CD; CR4 or EFER with a
 * bit the VP's CPUID does not report; CR8 above 15; MXCSR outside
 * MXCSR_MASK. Each value is judged on its own, not against the other
 * registers (a VMM sets CR0, CR4 and EFER in one batch in any order);
 * the rules relating them are the guest's MOV to CR's (#GP).
 *
 * HV_X64_REGISTER_XFEM is the guest's XCR0, the one XGETBV reads and XSETBV
 * writes (the CPU model has XSAVE with x87 and SSE state; a new VP has 3):
 * a value XSETBV refuses (x87 clear, a component CPUID leaf 0xD does not
 * report, AVX without SSE) is HV_STATUS_INVALID_REGISTER_VALUE and changes
 * nothing. HV_X64_REGISTER_FP_CONTROL_STATUS and _XMM_CONTROL_STATUS are
 * the first 32 bytes of the FXSAVE64 image: FCW, FSW, abridged FTW, FOP
 * (11 bits), 64-bit FIP; 64-bit FDP, MXCSR, MXCSR_MASK. MXCSR_MASK is the
 * processor's (0xffff), read-only: a written mask is ignored, as FXRSTOR
 * ignores that field. Setting FIP/FDP this way clears the FCS/FDS selectors
 * (the 64-bit form has none).
 */
uint64_t sim_x86_vcpu_get_register(struct sim_x86_vcpu *vcpu, uint32_t name, union hv_register_value *value);
uint64_t sim_x86_vcpu_set_register(struct sim_x86_vcpu *vcpu, uint32_t name, const union hv_register_value *value);

/*
 * VP state blobs for MSHV_GET/SET_VP_STATE: type is MSHV_VP_STATE_LAPIC
 * (one 4 KiB page, struct hv_local_interrupt_controller_state at its start,
 * the rest zero; TPR is CR8's), MSHV_VP_STATE_XSAVE (the XSAVE area in
 * compacted format, x87 and SSE), MSHV_VP_STATE_SIMP or _SIEFP (the SynIC
 * page's 4 KiB) or MSHV_VP_STATE_SYNTHETIC_TIMERS (struct
 * hv_synthetic_timers_state; synic.c). get: *len is the buffer size on entry
 * and the bytes written on return (-ENOSPC when too small, with *len set to
 * the size needed). Set then get gives the same bytes (FOP's bits 15:11
 * read 0). set: a blob with a value the registers cannot hold (apic.c's
 * lapic_state_valid, fpu.c's xsave_image_valid: what XRSTOR refuses) is
 * -EINVAL, the hypervisor's HV_STATUS_INVALID_REGISTER_VALUE, and changes
 * nothing. Other types: -EINVAL.
 */
int sim_x86_vcpu_get_state(struct sim_x86_vcpu *vcpu, uint32_t type, void *buf, size_t *len);
int sim_x86_vcpu_set_state(struct sim_x86_vcpu *vcpu, uint32_t type, const void *buf, size_t len);

/*
 * Run the VP until the hypervisor would send the root an intercept, then
 * fill *msg (header: message_type, payload_size; payload: the intercept
 * message with every field the hypervisor sets) and return 0.
 *
 * regs, when not NULL, is the VP register page (mmap of the VP fd): before
 * running, the classes whose bits are set in regs->dirty are loaded from
 * it (only if regs->isvalid); after the intercept it holds the current
 * values, isvalid = 1 and dirty = 0, exactly as the hypervisor keeps it.
 *
 * A halted VP (after HLT; HVMSG_X64_HALT was returned) sleeps until an
 * interrupt it can take is asserted (or its APIC timer expires), then
 * takes it and continues. A VP in startup suspend sleeps until a SIPI
 * starts it (after an INIT) in real mode at the SIPI's vector << 12.
 * Returns -EINTR, with no message, when sim_x86_vcpu_kick() was called
 * before or during the run (the kick is consumed).
 */
int sim_x86_vcpu_run(struct sim_x86_vcpu *vcpu, struct hv_message *msg, struct hv_vp_register_page *regs);

/*
 * The register page outside a run (the VP is stopped): load applies the
 * classes marked in regs->dirty (when regs->isvalid) to the VP, as a run
 * would before entering the guest, and clears dirty; store rewrites the
 * page from the VP (version 1, isvalid 1, dirty 0).
 */
void sim_x86_vcpu_load_register_page(struct sim_x86_vcpu *vcpu, struct hv_vp_register_page *regs);
void sim_x86_vcpu_store_register_page(struct sim_x86_vcpu *vcpu, struct hv_vp_register_page *regs);

/* Make a current or the next sim_x86_vcpu_run() return -EINTR promptly. */
void sim_x86_vcpu_kick(struct sim_x86_vcpu *vcpu);

/* Sleep until sim_x86_vcpu_kick() (a VP suspended by the VMM); returns -EINTR. */
int sim_x86_vcpu_wait_kick(struct sim_x86_vcpu *vcpu);

/*
 * Assert an interrupt at the VP's local APIC, as HVCALL_ASSERT_VIRTUAL_INTERRUPT
 * does: type is HV_X64_INTERRUPT_TYPE_FIXED, _NMI or _EXTINT (others:
 * HV_STATUS_INVALID_PARAMETER). Delivered through the IVT (real mode) or
 * IDT when the guest can take it; wakes a halted VP. An ExtINT bypasses
 * IRR and ISR (no EOI); a level-triggered fixed one sets its TMR bit, and
 * its EOI stops the run with HVMSG_X64_APIC_EOI.
 */
uint64_t sim_x86_vcpu_assert_interrupt(struct sim_x86_vcpu *vcpu, uint32_t type, uint32_t vector, bool level_triggered);

/*
 * Interprocessor interrupts between the VPs of a partition. A guest's
 * write of its ICR that names other VPs calls fn (the hypervisor's,
 * handed down once per VP) on the sending VP's run thread, with the ICR's
 * low word and the destination field (ICR bits 63:56 in xAPIC mode, the
 * whole high word in x2APIC mode); fn calls sim_x86_vcpu_accept_ipi() on
 * every other VP of the partition, and when first_only (lowest-priority
 * delivery) stops at the first that accepts. accept_ipi may be called
 * from any thread: it matches the destination (shorthand, physical or
 * logical flat/cluster, broadcast) against that VP's APIC and posts the
 * interrupt, NMI, INIT or SIPI. Returns whether the VP is a target.
 */
/*
 * Whether the partition was created x2APIC-capable: CPUID 1 ECX[21] is
 * set and IA32_APIC_BASE[10] may be set (x2APIC mode: MSRs 0x800-0x8ff,
 * the APIC ID is the VP index). Before the VP first runs.
 */
void sim_x86_vcpu_set_x2apic_capable(struct sim_x86_vcpu *vcpu, bool on);

typedef void sim_ipi_fn(void *opaque, uint32_t from_vp_index, uint32_t icr_lo, uint32_t dest, bool first_only);
void sim_x86_vcpu_set_ipi_handler(struct sim_x86_vcpu *vcpu, sim_ipi_fn *fn, void *opaque);
bool sim_x86_vcpu_accept_ipi(struct sim_x86_vcpu *vcpu, uint32_t icr_lo, uint32_t dest);
/*
 * Whether the VP's local APIC is a destination of an interrupt message
 * (HVCALL_ASSERT_VIRTUAL_INTERRUPT, an MSI) to dest in physical or logical
 * mode, by its APIC ID, LDR and DFR (any thread; see apic.c, apic_match).
 */
bool sim_x86_vcpu_apic_is_destination(struct sim_x86_vcpu *vcpu, uint32_t dest, bool logical);

/*
 * Translate a guest virtual address with the VP's current paging state, as
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS: flags are HV_TRANSLATE_GVA_* bits;
 * *result_code is an HV_TRANSLATE_GVA_* result code; *gpa is the guest
 * physical address when it is HV_TRANSLATE_GVA_SUCCESS.
 */
uint64_t sim_x86_vcpu_translate_gva(struct sim_x86_vcpu *vcpu, uint64_t gva, uint64_t flags,
				    uint32_t *result_code, uint64_t *gpa);

/* The CPUID leaf the hypervisor presents to the guest (HVCALL_GET_VP_CPUID_VALUES). */
void sim_x86_vcpu_cpuid(struct sim_x86_vcpu *vcpu, uint32_t eax, uint32_t ecx, uint32_t out[4]);
/* The same with the registered CPUID results applied: what the guest's CPUID returns. */
void sim_x86_vcpu_cpuid_registered(struct sim_x86_vcpu *vcpu, uint32_t eax, uint32_t ecx, uint32_t out[4]);

/*
 * Doorbells (MMIO ioeventfds): a guest write to guest-physical memory that
 * no slot maps, at gpa, of len bytes (0: any size), and, when
 * has_datamatch, of exactly that value, writes 1 to eventfd and completes
 * the instruction with no intercept. Replaces the whole set.
 */
struct sim_doorbell {
	uint64_t gpa;
	uint32_t len;
	bool has_datamatch;
	uint64_t datamatch;
	int eventfd;
};
int sim_x86_vcpu_set_doorbells(struct sim_x86_vcpu *vcpu, const struct sim_doorbell *doorbells, size_t n);

/*
 * Page access tracking for MSHV_GET_GPAP_ACCESS_BITMAP. While a callback is
 * set, every guest access to RAM reports its guest-physical page number
 * (write: the access wrote). NULL switches tracking off (and its cost).
 */
typedef void sim_access_fn(void *opaque, uint64_t gpfn, bool write);
void sim_x86_vcpu_track_access(struct sim_x86_vcpu *vcpu, sim_access_fn *fn, void *opaque);

/*
 * The hypervisor's synthetic features for the VP (cpu/hyperv.c, synic.c).
 *
 * set_synthetic_features: the partition's HV_PARTITION_PROPERTY_SYNTHETIC_
 * PROC_FEATURES (union hv_partition_synthetic_processor_features, bank 0);
 * CPUID's hypervisor leaves and the guest's synthetic MSRs follow it. Any
 * thread.
 *
 * set_gpa_resolver: how the CPU model finds guest memory from any thread
 * (the SynIC's message and event flag pages, written while the root posts
 * and signals): fn returns the host address of [gpa, gpa + len) in one
 * region (writable when write), or NULL. Before the VP first runs.
 *
 * post_message: HVCALL_POST_MESSAGE_DIRECT to the VP's SINT sint (the
 * 256-byte struct hv_message): written into the SIMP page's slot and the
 * SINT's interrupt asserted. HV_STATUS_SUCCESS; the TLFS's
 * HV_STATUS_INVALID_SYNIC_STATE (0x18) when the SynIC, the message page or
 * the SINT is off or masked; HV_STATUS_OBJECT_IN_USE (0x19) when the slot
 * still holds a message (its message-pending flag is then set, so that the
 * guest writes EOM).
 *
 * signal_event: HVCALL_SIGNAL_EVENT_DIRECT: sets event flag `flag` of SINT
 * sint in the SIEFP page; *newly whether it was clear (then the SINT's
 * interrupt is asserted). HV_STATUS_SUCCESS (a SynIC, event page or SINT
 * that is off signals nothing: *newly false) or HV_STATUS_INVALID_PARAMETER
 * (flag >= 2048).
 */
/*
 * The VPs of a set the guest names by VP index (the TLFS's processor masks
 * and sets, for its IPI and TLB-flush hypercalls): the hypervisor's fn
 * stores into out[] every VP of the partition whose index has its bit in
 * banks[] (bank b: VPs 64b to 64b + 63), or every VP when all, the
 * caller's own too; returns how many (at most max). The VPs stay valid
 * while the partition lives, which the calling VP's run ensures.
 */
typedef size_t sim_vp_set_fn(void *opaque, const uint64_t *banks, unsigned nbanks, bool all,
			     struct sim_x86_vcpu **out, size_t max);
void sim_x86_vcpu_set_vp_set_handler(struct sim_x86_vcpu *vcpu, sim_vp_set_fn *fn, void *opaque);
/*
 * The synthetic MSRs the TLFS makes partition-wide: the guest OS id, the
 * hypercall page and the reference TSC page (and its sequence). The
 * hypervisor keeps one per partition (zeroed, lock initialized) and gives
 * it to each VP before it first runs; a VP without one keeps its own.
 */
struct sim_x86_partition_msrs {
	pthread_mutex_t lock;
	uint64_t guest_os_id, hypercall, reference_tsc;
	uint32_t tsc_sequence;
};
void sim_x86_vcpu_set_partition_msrs(struct sim_x86_vcpu *vcpu, struct sim_x86_partition_msrs *msrs);
void sim_x86_vcpu_set_synthetic_features(struct sim_x86_vcpu *vcpu, uint64_t features);
typedef void *sim_gpa_fn(void *opaque, uint64_t gpa, size_t len, bool write);
void sim_x86_vcpu_set_gpa_resolver(struct sim_x86_vcpu *vcpu, sim_gpa_fn *fn, void *opaque);
uint64_t sim_x86_vcpu_post_message(struct sim_x86_vcpu *vcpu, unsigned sint, const void *message);
uint64_t sim_x86_vcpu_signal_event(struct sim_x86_vcpu *vcpu, unsigned sint, unsigned flag, bool *newly);

/*
 * Host pages that translated guest code came from are kept read-only, so
 * that a VMM rewriting guest code is noticed (the VPs retranslate before
 * they next run). A SIGSEGV handler calls sim_x86_code_write_fault() with
 * the fault address first: true means it was such a page, now writable
 * again, and the faulting write can simply be retried. The preload library
 * has its own SIGSEGV handler and sets sim_x86_code_fault_external; without
 * it the CPU model installs one (chained to the previous) at the first VP.
 */
bool sim_x86_code_write_fault(void *addr);
/* The process is about to write [addr, addr + len) without faulting (the kernel for it): release the code pages there. */
void sim_x86_host_write_prepare(void *addr, size_t len);
extern bool sim_x86_code_fault_external;

#endif

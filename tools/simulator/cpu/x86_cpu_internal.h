/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: what the files of the x86 CPU model share (x86_vcpu.h is the
 * model's public interface; nothing outside cpu/ includes this header).
 *
 * Internal functions are named sim_x86__*, and each is defined in the file
 * of its concern:
 *
 *   core.c           VP creation and destruction, the run loop, kick, the
 *                    intercept messages built when a run stops
 *   registers.c      get/set of registers by hypervisor name, the register
 *                    page, VP state blobs, the architectural reset state,
 *                    the checks of instructions that load registers
 *                    (MOV CRn/DRn, WRMSR of address MSRs, LTR/LLDT,
 *                    LGDT/LIDT)
 *   memory.c         memory slots, the page walk, guest memory accesses and
 *                    their intercepts, doorbells, access tracking, the
 *                    backstop for accesses unicorn refuses itself
 *   code_pages.c     host pages of translated code, kept read-only so that
 *                    the VMM's rewrites of guest code are noticed; each
 *                    VP's set of them (its stores elsewhere skip the slow path)
 *   apic.c           the local APIC: registers, interrupt assertion, what
 *                    is deliverable, CR8, the LAPIC state blob
 *   msr.c            the MSRs the hypervisor owns, and what RDMSR/WRMSR of
 *                    an MSR do (emulated, intercepted, ignored or #GP)
 *   fpu.c            x87/SSE state formats, XCR0, FXSAVE, the XSAVE blob
 *   cpuid.c          the CPUID leaves the hypervisor presents, the CPUID
 *                    instruction
 *   hyperv.c         the synthetic MSRs of timekeeping and hypercalls, the
 *                    pages the hypervisor writes for them, which of them
 *                    the partition's features grant
 *   guest_hypercalls.c  the guest's hypercalls: the TLB flushes and IPIs
 *                    the hypervisor serves, those the root takes, statuses
 *   synic.c          the synthetic interrupt controller (SINTs, message and
 *                    event flag pages, EOM) and the synthetic timers
 *   syscall.c        SYSCALL, SYSRET, SYSENTER, SYSEXIT
 *   sse_align.c      which legacy SSE forms need a 16-byte aligned operand
 *   unicorn_hooks.c  everything that depends on unicorn's internals: the
 *                    layout of its CPU state, the QEMU functions it calls
 *                    that the model replaces, event delivery. The only
 *                    file that includes unicorn_internals.h.
 */
#ifndef MSHV_SIM_X86_CPU_INTERNAL_H
#define MSHV_SIM_X86_CPU_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "x86_vcpu.h"

/* Internal functions are not exported from the preload library. */
#pragma GCC visibility push(hidden)

#define PAGE_SIZE_4K 4096ull
#define APIC_DEFAULT_BASE 0xfee00000ull
#define MSR_APIC_BASE_BSP (1ull << 8)
#define MSR_APIC_BASE_ENABLE (1ull << 11)
#define MSR_APIC_BASE_EXTD (1ull << 10)

#define CR0_PE 0x1ull
#define CR0_WP 0x10000ull
#define CR0_AM 0x40000ull
#define CR0_PG 0x80000000ull
#define CR4_PSE 0x10ull
#define CR4_PAE 0x20ull
#define CR4_OSFXSR 0x200ull
#define CR4_OSXSAVE 0x40000ull
#define CR4_SMEP 0x100000ull
#define CR4_SMAP 0x200000ull
#define CR4_LA57 0x1000ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define EFER_NXE 0x800ull
#define EFER_FFXSR 0x4000ull
#define XCR0_X87 0x1ull
#define XCR0_SSE 0x2ull
#define XCR0_AVX 0x4ull
#define MXCSR_MASK 0xffffu /* the MXCSR bits this CPU model implements (FXSAVE's MXCSR_MASK) */
#define RFLAGS_IF 0x200ull
#define RFLAGS_VM 0x20000ull
#define RFLAGS_AC 0x40000ull

enum exit_kind {
	EXIT_NONE,
	EXIT_IO,
	EXIT_MEM,
	EXIT_CPUID,
	EXIT_MSR,
	EXIT_EXCEPTION,
	EXIT_HALT,
	EXIT_TRIPLE,
	EXIT_EOI, /* HVMSG_X64_APIC_EOI: vector in ex.vector */
	EXIT_SINT_DELIVERABLE, /* HVMSG_SYNIC_SINT_DELIVERABLE: the SINTs in ex.param */
	EXIT_HYPERCALL,        /* HVMSG_HYPERCALL_INTERCEPT: a guest hypercall forwarded to the root */
};

struct exit_info {
	enum exit_kind kind;
	/* IO */
	uint16_t port;
	uint8_t size;
	bool in;
	/* memory */
	uint32_t msg_type;
	uint8_t access; /* HV_INTERCEPT_ACCESS_* */
	bool gva_valid;
	uint64_t gva, gpa;
	/* MSR */
	uint32_t msr;
	bool msr_write;
	/* exception */
	uint8_t vector;
	bool ec_valid, soft;
	uint32_t error_code;
	uint64_t param;
	/* CPUID default results: eax ebx ecx edx */
	uint32_t def[4];
};

/* Local APIC registers by offset >> 4 (offsets 0x000..0x3f0). */
#define APIC_ID 0x02
#define APIC_VER 0x03
#define APIC_TPR 0x08
#define APIC_APR 0x09
#define APIC_PPR 0x0a
#define APIC_EOI 0x0b
#define APIC_RRD 0x0c
#define APIC_LDR 0x0d
#define APIC_DFR 0x0e
#define APIC_SVR 0x0f
#define APIC_ISR 0x10
#define APIC_TMR 0x18
#define APIC_IRR 0x20
#define APIC_ESR 0x28
#define APIC_LVT_CMCI 0x2f
#define APIC_ICR_LO 0x30
#define APIC_ICR_HI 0x31
#define APIC_LVT_TIMER 0x32
#define APIC_LVT_THERMAL 0x33
#define APIC_LVT_PERF 0x34
#define APIC_LVT_LINT0 0x35
#define APIC_LVT_LINT1 0x36
#define APIC_LVT_ERROR 0x37
#define APIC_TMICT 0x38
#define APIC_TMCCT 0x39
#define APIC_TDCR 0x3e
#define APIC_SELF_IPI 0x3f /* x2APIC only */

/* an event the VMM injects (sim_x86__next_injection): what QEMU's delivery needs */
struct sim_injection {
	int vector;
	bool external; /* external interrupt or NMI: delivered as hardware interrupts (no error code) */
	bool nmi;
	bool soft;     /* INT n, INT3/INTO: pushes RIP + len */
	unsigned len;
	uint32_t error_code;
	bool has_cr2;
	uint64_t cr2;
	uint64_t saved_intr, saved_event[2][2]; /* the registers before: put back when the delivery is abandoned */
};
struct sim_x86_vcpu {
	uc_engine *uc;
	uint8_t *cs;  /* QEMU CPUState (unicorn_hooks.c only) */
	uint8_t *env; /* QEMU CPUX86State (unicorn_hooks.c only) */
	uint32_t vp_index;

	/*
	 * The architectural registers inside unicorn's CPU state, located by
	 * unicorn_hooks.c when the VP is created; what that state holds in
	 * an encoding of its own (segments, the flags derived from CR0, CR4,
	 * EFER and CS, the interrupt shadow) goes through sim_x86__ functions
	 * of unicorn_hooks.c instead. RFLAGS is complete only outside a run.
	 */
	uint64_t *gpr;    /* [16]: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
	uint64_t *rip;
	uint64_t *rflags;
	uint64_t *cr;     /* [5]: CR0..CR4 (CR8 is the local APIC's TPR) */
	uint64_t *efer;
	uint64_t *dr;     /* [8]: DR0..DR7 */
	uint64_t *xcr0;
	uint8_t *xmm;     /* XMM0; XMMn at xmm + 64 * n */
	/* the fast system call MSRs (syscall.c) */
	uint32_t *sysenter_cs;
	uint64_t *sysenter_esp, *sysenter_eip, *star, *lstar, *cstar, *fmask;

	/* page-table entry bits 51:MAXPHYADDR (CPUID 0x80000008 EAX[7:0]), reserved in every entry */
	uint64_t pa_rsvd;

	struct sim_mem_slot *slots; /* sorted by gpa */
	size_t nslots;
	void *full_mr; /* a unicorn region with every permission, for untranslatable addresses */

	struct sim_x86_intercepts icpt;
	pthread_mutex_t icpt_lock; /* icpt is set from other threads (install intercept, partition property): read it under the lock */
	struct exit_info ex;
	bool halted;
	bool in_run;

	/*
	 * The event QEMU is delivering outside any translation block (from
	 * hook_intr, hook_invalid or x86_cpu_exec_interrupt): when one of its
	 * accesses (IDT, GDT/TSS, the frame it pushes) is intercepted, the
	 * delivery is abandoned and the event happens again when the VP next
	 * runs. deliver_rip is the RIP to report (INT n: the instruction);
 * deliver_vector the vector delivered (for a fault's error code).
	 */
	enum { DELIVER_NONE, DELIVER_EXCEPTION, DELIVER_IRQ, DELIVER_NMI, DELIVER_EXTINT, DELIVER_INJECTED } deliver;
	struct sim_injection *deliver_inj; /* DELIVER_INJECTED: the event, to put back */
	int deliver_vector;
	bool deliver_soft; /* INT n, INT3, INTO: no EXT in the error code of a fault of the delivery */
	uint64_t deliver_rip;
	int int_len; /* next_eip_addend of the last INT n / INT3 / INTO (raise_interrupt) */
	/* the page of an access mem_access found faulting in the guest's page tables: unicorn's
	 * check (memory_mapping) must let it reach QEMU's walk, which raises the #PF */
	uint64_t fault_page;
	bool fault_page_armed;

	/* local APIC, owned by the run thread; other threads post into posted_* */
	uint64_t apic_base;
	uint32_t apic[64];
	uint32_t apic_error_status, apic_counter_value, apic_remote_read; /* kept for VP state round trips */
	uint8_t xsave_shadow[576]; /* the last XSAVE blob set: fields the CPU model lacks come back from here */
	_Atomic uint32_t posted_irr[8];
	_Atomic uint32_t posted_tmr[8];
	atomic_bool posted;
	atomic_bool nmi_pending;
	/*
	 * The local APIC timer and interprocessor interrupts (apic.c). The
	 * count: timer_base_count ticks left at timer_base_ns (CLOCK_MONOTONIC),
	 * counting down at SIM_APIC_HZ / divider. timer_deadline_ns is the next
	 * expiry (0: none), the one value the timer thread reads; it sets
	 * timer_due and makes the run thread look (apic.c, timer_thread).
	 */
	uint64_t timer_base_ns;
	uint32_t timer_base_count;
	uint64_t apic_timer_ns; /* the APIC timer's next expiry (0: none); run thread */
	uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE (0: disarmed); run thread */
	_Atomic uint64_t timer_deadline_ns; /* the earliest of the APIC timer's and the synthetic timers' */
	atomic_bool timer_due;
	_Atomic uint32_t timer_seq; /* futex word of the timer thread: bumped when the deadline changes */
	atomic_bool timer_stop;
	bool timer_thread_started;
	pthread_t timer_thread;
	bool x2apic_capable; /* the partition offers x2APIC mode */
	sim_ipi_fn *ipi_fn; /* the hypervisor's: delivers an IPI to the other VPs of the partition */
	void *ipi_opaque;
	/*
	 * INIT and startup IPIs (apic.c): wait_sipi is the startup-suspend
	 * state (an AP waiting for a SIPI); init_pending an INIT the run thread
	 * has still to apply; sipi_vector the SIPI latched for it (-1: none).
	 */
	int eoi_exit; /* 1 + the level-triggered vector an EOI ended: exits at the next boundary */
	_Atomic int extint_vector; /* an ExtINT asserted and not yet taken (-1: none); never in IRR/ISR */
	/*
	 * Events the VMM set to be injected at the next run (registers.c):
	 * HV_REGISTER_PENDING_INTERRUPTION and _PENDING_EVENT0/1 as set, read
	 * back until the event is delivered (unicorn_hooks.c, take_injection).
	 */
	uint64_t pend_intr;
	uint64_t pend_event[2][2];
	atomic_bool wait_sipi;
	atomic_bool init_pending;
	_Atomic int sipi_vector;
	/* the instruction that wrote the APIC is being run again alone (apic.c, sim_x86__apic_write) */
	bool apic_write_alone;
	/* translating: bytes of the instruction at subst_at fetched as others (unicorn_hooks.c) */
	uint64_t subst_at;
	int nsubst;
	uint8_t subst_off[2], subst_val[2];
	bool align16_next; /* translating: the instruction's first 8-byte access needs 16-byte alignment */
	/* translating: the instruction's bytes all fetched as 66h prefixes: too long, #GP(0) at it (registers.c) */
	bool subst_gp;
	/* conditional branches translated with a target past the CS limit (registers.c, sim_x86__cs_limit_*) */
	struct sim_x86_past_limit { uint64_t cs_base; uint32_t target, branch; uint8_t count_reg; } past_limit[16];
	unsigned past_limit_next;
	/* translating: the block's first instruction is next; the temps allocated before it (unicorn_hooks.c) */
	bool tb_first_insn;
	uint64_t tb_temps[8];

	atomic_int kick;
	_Atomic uint32_t wake; /* futex word: bumped by kick and interrupt assertion */
	atomic_bool running;

	/*
	 * The partition's synthetic processor features (union
	 * hv_partition_synthetic_processor_features, bank 0): what CPUID's
	 * hypervisor leaves report and which synthetic MSRs the guest may use.
	 */
	_Atomic uint64_t hv_features;
	/* MSRs the hypervisor owns: the partition-wide synthetic ones (pmsr: the partition's, else own_pmsr) and DEBUG_CTL */
	struct sim_x86_partition_msrs *pmsr, own_pmsr;
	uint64_t debug_ctl;
	uint64_t vp_assist;     /* HV_X64_MSR_VP_ASSIST_PAGE (hyperv.c) */
	/* time.c: the partition's creation (CLOCK_MONOTONIC ns) and the TSC's offset from it */
	uint64_t tsc_epoch_ns, tsc_offset;
	/*
	 * The SynIC (synic.c). synic_lock guards its registers and the writes
	 * of its pages: the root posts messages and signals events from its
	 * own threads while the VP runs. auto_eoi: the vectors of unmasked
	 * auto-EOI SINTs, which the APIC accepts without setting ISR.
	 */
	pthread_mutex_t synic_lock;
	uint64_t scontrol, siefp, simp, sint[16];
	_Atomic uint32_t auto_eoi[8];
	/* HV_REGISTER_DELIVERABILITY_NOTIFICATIONS' SINT bits (63:48) the root is waiting on */
	_Atomic uint32_t sint_notify;
	/* the SIMP and SIEFP pages' contents while disabled (synic.c: the overlay's content persists) */
	uint8_t simp_shadow[4096], siefp_shadow[4096];
	/* the synthetic timers: due is the reference time of the next expiry (0: none) */
	struct sim_stimer {
		uint64_t config, count, due;
		bool msg_pending; /* expired in message mode, the slot was taken: sent again at EOM */
	} stimer[4];
	/* the hypervisor's: the VPs of a processor set (guest_hypercalls.c's IPI and TLB-flush calls) */
	sim_vp_set_fn *vp_set_fn;
	void *vp_set_opaque;
	/*
	 * TLB flushes other VPs ask of this one (guest_hypercalls.c): tlb_flush_req is
	 * bumped by them, tlb_flush_done set by this VP's run thread once its
	 * TLB is flushed (before it runs guest code again).
	 */
	_Atomic uint32_t tlb_flush_req, tlb_flush_done;
	atomic_bool in_guest; /* inside uc_emu_start: a flush request must be answered (or waited for) */
	/* the root's view of guest memory, for the SynIC pages from any thread (sim_x86_vcpu_set_gpa_resolver) */
	sim_gpa_fn *gpa_fn;
	void *gpa_opaque;

	struct sim_doorbell *doorbells; /* MMIO ioeventfds */
	size_t ndoorbells;

	sim_access_fn *track_fn;
	void *track_opaque;
	uc_hook track_hook;
	uc_hook track_block_hook; /* instruction fetches count as accesses too */
	pthread_mutex_t track_lock; /* guards the wanted state below */
	sim_access_fn *track_want_fn;
	void *track_want_opaque;
	atomic_bool track_changed;
	unsigned code_gen; /* code_pages.gen when this VP's translations were last known good */
	unsigned long translations; /* blocks translated (sim_x86_vcpu_translations) */
	uc_hook hooks[4];
	/*
	 * The host pages this VP has translated code from since its last
	 * translation flush (code_pages.c): open addressing, never emptied
	 * one by one; full, every page counts as code. unicorn_hooks.c lets
	 * guest stores take the TLB fast path only to pages outside it.
	 */
#define SIM_VP_CODE_SET 8192
	uintptr_t code_set[SIM_VP_CODE_SET];
	unsigned code_set_n;
	bool code_set_full;
	uint8_t *tlb_fast; /* unicorn's TLB fast tables (unicorn_hooks.c) */
};

/* unicorn's UC_X86_REG_FP0..7 format: 64-bit mantissa, then sign and exponent */
struct fp80 {
	uint64_t mantissa;
	uint16_t exponent;
};

static inline uint64_t *regs(struct sim_x86_vcpu *vp)
{
	return vp->gpr;
}
static inline uint64_t cr(struct sim_x86_vcpu *vp, int n)
{
	return vp->cr[n];
}

/* Segment and descriptor-table registers, for sim_x86__get/set_segment (ES..GS as in the register page). */
#define S_ES 0
#define S_CS 1
#define S_SS 2
#define S_DS 3
#define S_FS 4
#define S_GS 5
#define S_LDTR 6
#define S_TR 7
#define S_GDTR 8
#define S_IDTR 9

/* ---- core.c ---- */
void sim_x86__futex_wake(_Atomic uint32_t *w);
void sim_x86__futex_wait_until(_Atomic uint32_t *w, uint32_t val, uint64_t deadline_ns);
void sim_x86__wake(struct sim_x86_vcpu *vp);

/* ---- registers.c ---- */
void sim_x86__reset_state(struct sim_x86_vcpu *vp);
int sim_x86__mov_to_dr(struct sim_x86_vcpu *vp, int reg, uint64_t val);
bool sim_x86__injection_pending(const struct sim_x86_vcpu *vp);
bool sim_x86__next_injection(struct sim_x86_vcpu *vp, struct sim_injection *inj);

/* ---- memory.c ---- */
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };
const struct sim_mem_slot *sim_x86__find_slot(const struct sim_x86_vcpu *vp, uint64_t gpa);
int sim_x86__walk(struct sim_x86_vcpu *vp, uint64_t va, int acc, bool user, bool check, bool set_ad,
		  uint64_t *gpa);
size_t sim_x86__read_linear(struct sim_x86_vcpu *vp, uint64_t la, uint8_t *buf, size_t n);
uint64_t sim_x86__cur_rip_linear(struct sim_x86_vcpu *vp);
int sim_x86__mem_access(struct sim_x86_vcpu *vp, uint64_t la, unsigned size, bool write, uint64_t *val,
			uintptr_t ra, bool user);
bool sim_x86__hook_fetch_bad(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
			     void *user);
bool sim_x86__hook_data_bad(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
			    void *user);
void sim_x86__track_apply(struct sim_x86_vcpu *vp);
bool sim_x86__store_fast_ok(const struct sim_x86_vcpu *vp, uint64_t gpa);

/* ---- code_pages.c ---- */
uintptr_t sim_x86__protect_code_page(struct sim_x86_vcpu *vp, uint64_t la);
bool sim_x86__vp_code_page(const struct sim_x86_vcpu *vp, uintptr_t host_page);
void sim_x86__vp_code_forget(struct sim_x86_vcpu *vp);
void sim_x86__code_pages_release(void);
unsigned sim_x86__code_pages_gen(void);
void sim_x86__code_fault_handler_install(void);
void sim_x86__code_watchers(struct sim_x86_vcpu *vp, bool add);
void sim_x86__code_catch_up(struct sim_x86_vcpu *vp);
void sim_x86__tb_invalidate_host_page(struct sim_x86_vcpu *vp, uintptr_t page);

/* ---- apic.c ---- */
bool sim_x86__is_apic_gpa(const struct sim_x86_vcpu *vp, uint64_t gpa);
void sim_x86__apic_collect(struct sim_x86_vcpu *vp);
int sim_x86__apic_deliverable(struct sim_x86_vcpu *vp);
bool sim_x86__can_take_interrupt(struct sim_x86_vcpu *vp);
uint32_t sim_x86__apic_read(struct sim_x86_vcpu *vp, uint32_t off);
void sim_x86__apic_write(struct sim_x86_vcpu *vp, uint32_t off, uint32_t val, uintptr_t ra);
void sim_x86__apic_reset(struct sim_x86_vcpu *vp);
int sim_x86__lapic_get_state(struct sim_x86_vcpu *vp, void *buf, size_t *len);
int sim_x86__lapic_set_state(struct sim_x86_vcpu *vp, const void *buf, size_t len);
void sim_x86__apic_timer_stop(struct sim_x86_vcpu *vp);
bool sim_x86__apic_init_sipi(struct sim_x86_vcpu *vp);
int sim_x86__apic_base_write(struct sim_x86_vcpu *vp, uint64_t val);
bool sim_x86__x2apic_mode(const struct sim_x86_vcpu *vp);
int sim_x86__x2apic_rdmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t *val);
int sim_x86__x2apic_wrmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t val, uintptr_t ra);
uint64_t sim_x86__apic_next_deadline(struct sim_x86_vcpu *vp);
void sim_x86__timers_rearm(struct sim_x86_vcpu *vp);
int sim_x86__tsc_deadline_write(struct sim_x86_vcpu *vp, uint64_t val);
uint64_t sim_x86__cr8_read(struct sim_x86_vcpu *vp);
void sim_x86__cr8_write(struct sim_x86_vcpu *vp, uint64_t val);

/* ---- time.c ---- */
#define SIM_TSC_HZ 1000000000ull      /* guest TSC rate (HV_X64_MSR_TSC_FREQUENCY) */
#define SIM_APIC_HZ 200000000ull      /* local APIC timer rate (HV_X64_MSR_APIC_FREQUENCY) */
uint64_t sim_x86__now_ns(void);
uint64_t sim_x86__guest_tsc(const struct sim_x86_vcpu *vp);
void sim_x86__set_guest_tsc(struct sim_x86_vcpu *vp, uint64_t tsc);
uint64_t sim_x86__reference_time(const struct sim_x86_vcpu *vp);

/* ---- msr.c ---- */
#define HV_MSR_GUEST_OS_ID 0x40000000u
#define HV_MSR_HYPERCALL 0x40000001u
#define HV_MSR_VP_INDEX 0x40000002u
#define HV_MSR_REFERENCE_TSC 0x40000021u
#define HV_MSR_SCONTROL 0x40000080u
#define HV_MSR_SIEFP 0x40000082u
#define HV_MSR_SIMP 0x40000083u
#define HV_MSR_EOM 0x40000084u
#define HV_MSR_SINT0 0x40000090u
#define MSR_DEBUG_CTL 0x1d9u
#define MSR_TSC_DEADLINE 0x6e0u
bool sim_x86__own_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val);
bool sim_x86__own_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val);
bool sim_x86__rdmsr(struct sim_x86_vcpu *vp, uintptr_t ra);
bool sim_x86__wrmsr(struct sim_x86_vcpu *vp, uintptr_t ra);

/* ---- fpu.c ---- */
bool sim_x86__xcr0_valid(struct sim_x86_vcpu *vp, uint64_t v);
uint8_t sim_x86__abridged_tag(uint16_t tw);
uint16_t sim_x86__full_tag(uint8_t t);
void sim_x86__fxsave(struct sim_x86_vcpu *vp, uint64_t ptr, uintptr_t ra);
int sim_x86__xsave_get_state(struct sim_x86_vcpu *vp, void *buf, size_t *len);
int sim_x86__xsave_set_state(struct sim_x86_vcpu *vp, const void *buf, size_t len);

/* ---- cpuid.c ---- */
void sim_x86__cpuid_insn(struct sim_x86_vcpu *vp, uintptr_t ra);
bool sim_x86__vendor_intel(struct sim_x86_vcpu *vp);

/* ---- syscall.c (from the TCG helpers; ra: their return address) ---- */
void sim_x86__syscall(struct sim_x86_vcpu *vp, int insn_len, uintptr_t ra);
void sim_x86__sysret(struct sim_x86_vcpu *vp, bool op64, uintptr_t ra);
void sim_x86__sysenter(struct sim_x86_vcpu *vp, uintptr_t ra);
void sim_x86__sysexit(struct sim_x86_vcpu *vp, bool op64, uintptr_t ra);

/* ---- sse_align.c ---- */
bool sim_x86__sse_align16(const uint8_t *b, size_t n, bool long64);

/* ---- registers.c: architectural checks ---- */
bool sim_x86__cr_value_valid(struct sim_x86_vcpu *vp, int reg, uint64_t val);
int sim_x86__check_mov_cr(struct sim_x86_vcpu *vp, int reg, uint64_t val);
int sim_x86__check_wrmsr(struct sim_x86_vcpu *vp, uint32_t msr, uint64_t val);
int sim_x86__check_load_system_seg(struct sim_x86_vcpu *vp, bool ltr, uint32_t sel, uint32_t *ec);
bool sim_x86__lock_invalid(const uint8_t *b, size_t n, bool long64);
int sim_x86__dtr_fix(const uint8_t *b, size_t n, bool long64, uint8_t *off, uint8_t *val);
bool sim_x86__load_dtr(struct sim_x86_vcpu *vp, uint64_t addr, uintptr_t ra);
bool sim_x86__cs_limit_branch(struct sim_x86_vcpu *vp, uint64_t la, const uint8_t *b, size_t n, bool cs32);
bool sim_x86__cs_limit_fetch(struct sim_x86_vcpu *vp);
int sim_x86__smsw_fix(const uint8_t *b, size_t n, bool long64, bool cs32, unsigned cpl, uint8_t off[2],
		      uint8_t val[2]);

/* ---- unicorn_hooks.c ---- */
/* set-up: the replaced functions' originals, the VP's CPU in its new unicorn instance */
bool sim_x86__resolve_originals(void);
bool sim_x86__engine_attach(struct sim_x86_vcpu *vp);
/* state kept in unicorn's own encoding */
void sim_x86__get_segment(struct sim_x86_vcpu *vp, int s, struct hv_x64_segment_register *h);
void sim_x86__set_segment(struct sim_x86_vcpu *vp, int s, const struct hv_x64_segment_register *h);
void sim_x86__get_table(struct sim_x86_vcpu *vp, int s, struct hv_x64_table_register *t);
void sim_x86__set_table(struct sim_x86_vcpu *vp, int s, const struct hv_x64_table_register *t);
void sim_x86__recompute_hflags(struct sim_x86_vcpu *vp);
void sim_x86__reset_hflags(struct sim_x86_vcpu *vp);
unsigned sim_x86__cpl(struct sim_x86_vcpu *vp);
bool sim_x86__cs64(struct sim_x86_vcpu *vp);
bool sim_x86__long_mode(struct sim_x86_vcpu *vp);
bool sim_x86__interrupt_shadow(struct sim_x86_vcpu *vp);
void sim_x86__set_interrupt_shadow(struct sim_x86_vcpu *vp, bool on);
bool sim_x86__nmi_masked(struct sim_x86_vcpu *vp);
void sim_x86__set_nmi_masked(struct sim_x86_vcpu *vp, bool on);
/* unicorn's CPU and CPU loop */
void sim_x86__engine_cpuid(struct sim_x86_vcpu *vp, uint32_t index, uint32_t count, uint32_t *eax,
			   uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
void sim_x86__tlb_flush(struct sim_x86_vcpu *vp);
void sim_x86__tb_flush(struct sim_x86_vcpu *vp);
void sim_x86__cpu_exit(struct sim_x86_vcpu *vp);
/* Whether the root intercepts exception `vector` (core.c; under the intercepts lock). */
bool sim_x86__intercepted_exception(struct sim_x86_vcpu *vp, unsigned vector);
void sim_x86__update_irq_request(struct sim_x86_vcpu *vp);
bool sim_x86__irq_requested(struct sim_x86_vcpu *vp);
void *sim_x86__uc_region(struct sim_x86_vcpu *vp, uint64_t gpa);
/* around a run: the VP the replaced functions act for on this thread */
struct sim_x86_vcpu *sim_x86__enter(struct sim_x86_vcpu *vp);
void sim_x86__leave(struct sim_x86_vcpu *saved);
/* inside a run, from a TCG helper (ra: its return address) */
__attribute__((noreturn)) void sim_x86__stop_here(struct sim_x86_vcpu *vp, uintptr_t ra);
__attribute__((noreturn)) void sim_x86__raise_gp(struct sim_x86_vcpu *vp, uintptr_t ra);
__attribute__((noreturn)) void sim_x86__raise(struct sim_x86_vcpu *vp, int vector, uint32_t ec, uintptr_t ra);
uint64_t sim_x86__helper_rflags(struct sim_x86_vcpu *vp);
void sim_x86__helper_set_rflags(struct sim_x86_vcpu *vp, uint64_t val);
__attribute__((noreturn)) void sim_x86__run_insn_alone(struct sim_x86_vcpu *vp, uintptr_t ra);
void sim_x86__abandon_delivery(struct sim_x86_vcpu *vp);
uint64_t sim_x86__helper_load(struct sim_x86_vcpu *vp, uint64_t addr, unsigned size, int mmu_idx, uintptr_t ra);
void sim_x86__helper_store(struct sim_x86_vcpu *vp, uint64_t addr, uint64_t val, unsigned size, int mmu_idx,
			   uintptr_t ra);
int sim_x86__data_mmu_idx(struct sim_x86_vcpu *vp);
/* unicorn hooks (UC_HOOK_INTR, UC_HOOK_INSN_INVALID) */
void sim_x86__hook_intr(uc_engine *uc, uint32_t intno, void *user);
bool sim_x86__hook_invalid(uc_engine *uc, void *user);

/* ---- hyperv.c: synthetic MSRs, the hypervisor's pages, the features they need ---- */
#define HV_MSR_TIME_REF_COUNT 0x40000020u
#define HV_MSR_TSC_FREQUENCY 0x40000022u
#define HV_MSR_APIC_FREQUENCY 0x40000023u
#define HV_MSR_APIC_EOI 0x40000070u
#define HV_MSR_APIC_ICR 0x40000071u
#define HV_MSR_APIC_TPR 0x40000072u
#define HV_MSR_VP_ASSIST_PAGE 0x40000073u
/*
 * The VPs a partition may have: the hypervisor layer's HV_SIM_MAX_VPS
 * (hypervisor/hv.h), which this layer cannot include; CPUID 0x40000005
 * EAX reports it. tests/sim/hyperv_test.c checks the two agree.
 */
#define SIM_HV_MAX_VPS 256u
enum { HV_MSR_NOT_MINE, HV_MSR_DONE, HV_MSR_GP };
bool sim_x86__hv_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val);
int sim_x86__hv_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val);
bool sim_x86__hv_msr_read_only(uint32_t m);
void sim_x86__hv_tsc_changed(struct sim_x86_vcpu *vp);
uint64_t sim_x86__hv_hypercall_msr(struct sim_x86_vcpu *vp);

/* ---- guest_hypercalls.c ---- */
bool sim_x86__hypercall(struct sim_x86_vcpu *vp);
void sim_x86__tlb_flush_requests(struct sim_x86_vcpu *vp);
bool sim_x86__hv_msr_granted(const struct sim_x86_vcpu *vp, uint32_t m);
bool sim_x86__hv_feature(const struct sim_x86_vcpu *vp, unsigned bit);
/* bits of union hv_partition_synthetic_processor_features */
#define HV_FEAT_PRESENT 0
#define HV_FEAT_HV1 1
#define HV_FEAT_REF_COUNTER 3
#define HV_FEAT_SYNIC 4
#define HV_FEAT_STIMER 5
#define HV_FEAT_INTR_CTRL 6
#define HV_FEAT_HYPERCALL 7
#define HV_FEAT_VP_INDEX 8
#define HV_FEAT_REF_TSC 9
#define HV_FEAT_FREQUENCY 11
#define HV_FEAT_DIRECT_STIMER 22
#define HV_FEAT_EXT_PROCESSOR_MASKS 24
#define HV_FEAT_TB_FLUSH 25
#define HV_FEAT_CLUSTER_IPI 26

/* ---- synic.c ---- */
#define HV_MSR_SVERSION 0x40000081u
#define HV_MSR_STIMER0_CONFIG 0x400000b0u
#define HV_MSR_STIMER3_COUNT 0x400000b7u
/* TLFS status codes Linux's headers do not name */
#define SIM_HV_STATUS_INVALID_SYNIC_STATE 0x18
#define SIM_HV_STATUS_OBJECT_IN_USE 0x19
bool sim_x86__synic_msr(uint32_t m);
bool sim_x86__synic_msr_read(struct sim_x86_vcpu *vp, uint32_t m, uint64_t *val);
int sim_x86__synic_msr_write(struct sim_x86_vcpu *vp, uint32_t m, uint64_t val, bool guest);
uint64_t sim_x86__stimer_next_ns(const struct sim_x86_vcpu *vp);
bool sim_x86__synic_deliverable(struct sim_x86_vcpu *vp);
int sim_x86__synic_get_state(struct sim_x86_vcpu *vp, uint32_t type, void *buf, size_t *len);
int sim_x86__synic_set_state(struct sim_x86_vcpu *vp, uint32_t type, const void *buf, size_t len);
void sim_x86__stimer_check(struct sim_x86_vcpu *vp);

#pragma GCC visibility pop

#endif

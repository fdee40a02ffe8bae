/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: what depends on unicorn 2.0.1's internals, and the
 * only file that includes unicorn_internals.h: the layout of unicorn's
 * CPU state (the rest of the model reaches it through the pointers of
 * struct sim_x86_vcpu and the sim_x86__ functions here), the QEMU
 * functions it calls that are replaced here, and event delivery. The
 * decisions these make are the other files' (memory.c, apic.c, msr.c,
 * ...). How a VP stops where the hypervisor would:
 *
 *  - port IO, CPUID, RDMSR/WRMSR, HLT: our definitions of unicorn's TCG
 *    helpers (helper_inb_x86_64, ...) replace unicorn's (see
 *    unicorn_internals.h). They restore the guest state to the start of
 *    the instruction from the host return address (cpu_restore_state),
 *    record the intercept, and leave the translation block at once
 *    (uc_emu_stop + cpu_loop_exit), so nothing after the instruction runs.
 *  - memory: our softmmu slow-path helpers (helper_le_ldul_mmu_x86_64, ...)
 *    see every access that misses the TLB fast path, and our
 *    cpu_{ld,st}*_mmuidx_ra_x86_64 every access QEMU's own helpers make
 *    (event delivery, descriptor loads, FXSAVE, ...); they translate the
 *    linear address with our own page walk, emulate the local APIC page,
 *    and stop precisely on an unmapped or forbidden GPA (an event being
 *    delivered is left pending: abandon_delivery). Pages that are
 *    not plain writable RAM never enter the fast path (unassigned GPAs are
 *    MMIO to QEMU; read-only slots are QEMU-readonly), so no access to
 *    them escapes. memory_mapping() is replaced so that unicorn's own
 *    checks (done with the linear address) use the guest-physical one.
 *  - exceptions and INT n: UC_HOOK_INTR; delivered with QEMU's own
 *    x86_cpu_do_interrupt (IVT/IDT, error codes, stack switch) unless the
 *    vector is intercepted. #UD comes through UC_HOOK_INSN_INVALID. A
 *    triple fault ends in QEMU's qemu_system_reset_request, which we
 *    replace to report HVMSG_UNRECOVERABLE_EXCEPTION.
 *  - external interrupts: our x86_cpu_exec_enter raises QEMU's
 *    CPU_INTERRUPT_HARD/NMI request when the local APIC has something
 *    deliverable; our x86_cpu_exec_interrupt acknowledges the vector at the
 *    APIC and delivers it with do_interrupt_x86_hardirq, at an instruction
 *    boundary, honouring IF and the interrupt shadow as QEMU does.
 *  - MOV to/from CR8: our helper_read_crN/helper_write_crN make CR8 the
 *    local APIC's TPR (QEMU keeps a private copy); see apic.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "unicorn_internals.h"
#include "x86_cpu_internal.h"

/* The VP this thread is running: the one the interposed functions below act for. */
static __thread struct sim_x86_vcpu *cur_vp __attribute__((tls_model("initial-exec")));

struct sim_x86_vcpu *sim_x86__enter(struct sim_x86_vcpu *vp)
{
	struct sim_x86_vcpu *saved = cur_vp;
	cur_vp = vp;
	return saved;
}

void sim_x86__leave(struct sim_x86_vcpu *saved)
{
	cur_vp = saved;
}

/* ---------------------------------------------------------------------
 * Originals of the functions we interpose
 * --------------------------------------------------------------------- */
typedef uint64_t in_fn(void *env, uint32_t port);
typedef void out_fn(void *env, uint32_t port, uint32_t data);
typedef void env_fn(void *env);
typedef void hlt_fn(void *env, int addend);
typedef uint64_t ld_fn(void *env, uint64_t addr, uint32_t oi, uintptr_t ra);
typedef void st_fn(void *env, uint64_t addr, uint64_t val, uint32_t oi, uintptr_t ra);
typedef void *mm_fn(void *uc, uint64_t addr);
typedef void cs_fn(void *cs);
typedef bool exint_fn(void *cs, int req);
typedef void reset_fn(void *uc);
typedef void tlbset_fn(void *cs, uint64_t vaddr, uint64_t paddr, uint32_t attrs, int prot, int mmu_idx,
		       uint64_t size);
typedef uint32_t cpu_ld_fn(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
typedef int cpu_lds_fn(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
typedef void cpu_st_fn(void *env, uint64_t addr, uint32_t val, int mmu_idx, uintptr_t ra);
typedef void cpu_stq_fn(void *env, uint64_t addr, uint64_t val, int mmu_idx, uintptr_t ra);
typedef void raise_int_fn(void *env, int intno, int is_int, int error_code, int next_eip_addend);
typedef uint64_t rdcr_fn(void *env, int reg);
typedef void wrcr_fn(void *env, int reg, uint64_t val);

static struct {
	in_fn *inb, *inw, *inl;
	out_fn *outb, *outw, *outl;
	hlt_fn *hlt;
	env_fn *cpuid, *rdmsr, *wrmsr;
	rdcr_fn *read_cr;
	wrcr_fn *write_cr;
	ld_fn *ldub, *lduw, *ldul, *ldq;
	void (*stb)(void *, uint64_t, uint8_t, uint32_t, uintptr_t);
	void (*stw)(void *, uint64_t, uint16_t, uint32_t, uintptr_t);
	void (*stl)(void *, uint64_t, uint32_t, uint32_t, uintptr_t);
	void (*stq)(void *, uint64_t, uint64_t, uint32_t, uintptr_t);
	mm_fn *memory_mapping;
	cs_fn *exec_enter;
	exint_fn *exec_interrupt;
	reset_fn *reset_request;
	tlbset_fn *tlb_set_page;
	void *(*tb_gen)(void *cs, uint64_t pc, uint64_t cs_base, uint32_t flags, int cflags);
	cpu_ld_fn *cpu_ldub, *cpu_lduw, *cpu_ldl;
	cpu_lds_fn *cpu_ldsb, *cpu_ldsw;
	cpu_st_fn *cpu_stb, *cpu_stw, *cpu_stl;
	cpu_stq_fn *cpu_stq;
	raise_int_fn *raise_interrupt;
	void (*raise_err)(void *env, int exception_index, int error_code);
	void (*fxsave)(void *env, uint64_t ptr);
	void (*check_exit)(void *tcg_ctx);
	void (*set_dr)(void *env, int reg, uint64_t val);
	int (*bp_insert)(void *cs, uint64_t pc, int flags, void **bp);
	void (*ltr)(void *env, int sel);
	void (*gen_op2)(void *tcg_ctx, int opc, uintptr_t a1, uintptr_t a2);
	uint32_t (*ldub_code)(void *env, uint64_t addr);
	uint64_t (*read_eflags)(void *env);
	void (*lldt)(void *env, int sel);
	void (*syscall)(void *env, int next_eip_addend);
	void (*sysret)(void *env, int dflag);
	void (*sysenter)(void *env, int next_eip_addend);
	void (*sysexit)(void *env, int dflag);
	void (*invlpg)(void *env, uint64_t addr);
	void (*gen_ld_i64)(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop);
	void (*gen_st_i64)(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop);
	void (*lcall_real)(void *env, int new_cs, uint64_t new_eip, int shift, int next_eip);
	void (*exit_atomic)(void *cs, uintptr_t pc);
	bool ok;
} orig;

static void *find_orig(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		void *h = dlopen("libunicorn.so.2", RTLD_NOW | RTLD_NOLOAD);
		if (h)
			p = dlsym(h, name);
	}
	return p;
}

/*
 * The translation buffer. unicorn 2.0.1 gives each engine QEMU's default
 * code buffer, 1 GiB, and zeroes the whole buffer on every translation
 * flush (tcg_region_assign; unicorn dropped that memset only in 2.1.2),
 * including the first one, which every VP makes when its memory map is
 * set: about 1 GiB resident per VP, and a full memset per flush. unicorn
 * calls tcg_exec_init with tb_size 0 ("the default"); the CPU model,
 * loaded first and exporting the symbol, asks for SIM_TB_SIZE instead: a
 * VP then costs about 34 MiB resident (8 VPs: 271 MiB instead of 8.2 GiB)
 * and a flush a few milliseconds. A full buffer is flushed and refilled,
 * as QEMU does; 32 MiB holds about 300,000 hot guest instructions, far
 * more than the guests we run. sim_x86__engine_attach() checks that the
 * engine it attaches to went through here.
 */
#define SIM_TB_SIZE (32ul << 20)

static __thread void *tb_sized_uc; /* the engine this thread last sized */

void tcg_exec_init_x86_64(void *uc, unsigned long tb_size);
void tcg_exec_init_x86_64(void *uc, unsigned long tb_size)
{
	static void (*real)(void *, unsigned long);

	if (!real)
		*(void **)&real = find_orig("tcg_exec_init_x86_64");
	if (!real)
		return; /* cannot happen with the unicorn that called us; the attach check fails the VP */
	if (tb_size == 0) {
		tb_size = SIM_TB_SIZE;
		tb_sized_uc = uc;
	}
	real(uc, tb_size);
}

bool sim_x86__resolve_originals(void)
{
	if (orig.ok)
		return true;
#define R(field, name)                                  \
	do {                                            \
		*(void **)&orig.field = find_orig(name); \
		if (!orig.field)                        \
			return false;                   \
	} while (0)
	R(inb, "helper_inb_x86_64");
	R(inw, "helper_inw_x86_64");
	R(inl, "helper_inl_x86_64");
	R(outb, "helper_outb_x86_64");
	R(outw, "helper_outw_x86_64");
	R(outl, "helper_outl_x86_64");
	R(hlt, "helper_hlt_x86_64");
	R(cpuid, "helper_cpuid_x86_64");
	R(rdmsr, "helper_rdmsr_x86_64");
	R(wrmsr, "helper_wrmsr_x86_64");
	R(read_cr, "helper_read_crN_x86_64");
	R(write_cr, "helper_write_crN_x86_64");
	R(ldub, "helper_ret_ldub_mmu_x86_64");
	R(lduw, "helper_le_lduw_mmu_x86_64");
	R(ldul, "helper_le_ldul_mmu_x86_64");
	R(ldq, "helper_le_ldq_mmu_x86_64");
	R(stb, "helper_ret_stb_mmu_x86_64");
	R(stw, "helper_le_stw_mmu_x86_64");
	R(stl, "helper_le_stl_mmu_x86_64");
	R(stq, "helper_le_stq_mmu_x86_64");
	R(memory_mapping, "memory_mapping");
	R(exec_enter, "x86_cpu_exec_enter_x86_64");
	R(exec_interrupt, "x86_cpu_exec_interrupt_x86_64");
	R(reset_request, "qemu_system_reset_request");
	R(tlb_set_page, "tlb_set_page_with_attrs_x86_64");
	R(tb_gen, "tb_gen_code_x86_64");
	R(cpu_ldub, "cpu_ldub_mmuidx_ra_x86_64");
	R(cpu_ldsb, "cpu_ldsb_mmuidx_ra_x86_64");
	R(cpu_lduw, "cpu_lduw_mmuidx_ra_x86_64");
	R(cpu_ldsw, "cpu_ldsw_mmuidx_ra_x86_64");
	R(cpu_ldl, "cpu_ldl_mmuidx_ra_x86_64");
	R(cpu_stb, "cpu_stb_mmuidx_ra_x86_64");
	R(cpu_stw, "cpu_stw_mmuidx_ra_x86_64");
	R(cpu_stl, "cpu_stl_mmuidx_ra_x86_64");
	R(cpu_stq, "cpu_stq_mmuidx_ra_x86_64");
	R(raise_interrupt, "raise_interrupt_x86_64");
	R(raise_err, "raise_exception_err_x86_64");
	R(fxsave, "helper_fxsave_x86_64");
	R(check_exit, "check_exit_request_x86_64");
	R(set_dr, "helper_set_dr_x86_64");
	R(bp_insert, "cpu_breakpoint_insert_x86_64");
	R(ltr, "helper_ltr_x86_64");
	R(gen_op2, "tcg_gen_op2_x86_64");
	R(ldub_code, "cpu_ldub_code_x86_64");
	R(read_eflags, "helper_read_eflags_x86_64");
	R(lldt, "helper_lldt_x86_64");
	R(syscall, "helper_syscall_x86_64");
	R(sysret, "helper_sysret_x86_64");
	R(sysenter, "helper_sysenter_x86_64");
	R(sysexit, "helper_sysexit_x86_64");
	R(invlpg, "helper_invlpg_x86_64");
	R(gen_ld_i64, "tcg_gen_qemu_ld_i64_x86_64");
	R(gen_st_i64, "tcg_gen_qemu_st_i64_x86_64");
	R(lcall_real, "helper_lcall_real_x86_64");
	R(exit_atomic, "cpu_loop_exit_atomic_x86_64");
#undef R
	orig.ok = true;
	return true;
}

/* ---------------------------------------------------------------------
 * Raw CPU state access, the layout check, XSAVE
 * --------------------------------------------------------------------- */
#define ENV64(vp, off) (*(uint64_t *)((vp)->env + (off)))
#define ENV32(vp, off) (*(uint32_t *)((vp)->env + (off)))
#define ENVI(vp, off) (*(int32_t *)((vp)->env + (off)))
#define FEAT(vp, word) ENV64(vp, UCI_ENV_FEATURES + 8 * (word))

static inline struct uci_segment *seg(struct sim_x86_vcpu *vp, int i)
{
	return (struct uci_segment *)(vp->env + UCI_ENV_SEGS) + i;
}
static inline struct uci_segment *envseg(struct sim_x86_vcpu *vp, size_t off)
{
	return (struct uci_segment *)(vp->env + off);
}
static void seg_to_hv(const struct uci_segment *s, struct hv_x64_segment_register *h)
{
	memset(h, 0, sizeof(*h));
	h->base = s->base;
	h->limit = s->limit;
	h->selector = (uint16_t)s->selector;
	h->attributes = (uint16_t)(((s->flags >> 8) & 0xff) | (((s->flags >> 20) & 0xf) << 12));
}

static void hv_to_seg(const struct hv_x64_segment_register *h, struct uci_segment *s)
{
	s->selector = h->selector;
	s->base = h->base;
	s->limit = h->limit;
	s->flags = ((uint32_t)(h->attributes & 0xff) << 8) | ((uint32_t)((h->attributes >> 12) & 0xf) << 20);
}

/* Index s (S_ES .. S_IDTR) of the segment cache. */
static struct uci_segment *seg_cache(struct sim_x86_vcpu *vp, int s)
{
	switch (s) {
	case S_LDTR: return envseg(vp, UCI_ENV_LDT);
	case S_TR: return envseg(vp, UCI_ENV_TR);
	case S_GDTR: return envseg(vp, UCI_ENV_GDT);
	case S_IDTR: return envseg(vp, UCI_ENV_IDT);
	default: return seg(vp, s);
	}
}

void sim_x86__get_segment(struct sim_x86_vcpu *vp, int s, struct hv_x64_segment_register *h)
{
	seg_to_hv(seg_cache(vp, s), h);
}

void sim_x86__set_segment(struct sim_x86_vcpu *vp, int s, const struct hv_x64_segment_register *h)
{
	hv_to_seg(h, seg_cache(vp, s));
}

/* GDTR, IDTR: base and limit only (the cache's selector and flags stay) */
void sim_x86__get_table(struct sim_x86_vcpu *vp, int s, struct hv_x64_table_register *t)
{
	struct uci_segment *c = seg_cache(vp, s);
	t->base = c->base;
	t->limit = (uint16_t)c->limit;
}

void sim_x86__set_table(struct sim_x86_vcpu *vp, int s, const struct hv_x64_table_register *t)
{
	struct uci_segment *c = seg_cache(vp, s);
	c->base = t->base;
	c->limit = t->limit;
}

unsigned sim_x86__cpl(struct sim_x86_vcpu *vp)
{
	return ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_CPL_MASK;
}

bool sim_x86__cs64(struct sim_x86_vcpu *vp)
{
	return (ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_CS64_MASK) != 0;
}

bool sim_x86__long_mode(struct sim_x86_vcpu *vp)
{
	return (ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_LMA_MASK) != 0;
}

bool sim_x86__interrupt_shadow(struct sim_x86_vcpu *vp)
{
	return (ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_INHIBIT_IRQ_MASK) != 0;
}

void sim_x86__set_interrupt_shadow(struct sim_x86_vcpu *vp, bool on)
{
	if (on)
		ENV32(vp, UCI_ENV_HFLAGS) |= UCI_HF_INHIBIT_IRQ_MASK;
	else
		ENV32(vp, UCI_ENV_HFLAGS) &= ~UCI_HF_INHIBIT_IRQ_MASK;
}

bool sim_x86__nmi_masked(struct sim_x86_vcpu *vp)
{
	return (ENV32(vp, UCI_ENV_HFLAGS2) & UCI_HF2_NMI_MASK) != 0;
}

void sim_x86__set_nmi_masked(struct sim_x86_vcpu *vp, bool on)
{
	if (on)
		ENV32(vp, UCI_ENV_HFLAGS2) |= UCI_HF2_NMI_MASK;
	else
		ENV32(vp, UCI_ENV_HFLAGS2) &= ~UCI_HF2_NMI_MASK;
}

/* Recompute QEMU's derived hflags after a state change made from outside. */
void sim_x86__recompute_hflags(struct sim_x86_vcpu *vp)
{
	uint32_t h = ENV32(vp, UCI_ENV_HFLAGS);
	uint64_t cr0 = cr(vp, 0), cr4 = cr(vp, 4), efer = ENV64(vp, UCI_ENV_EFER);
	uint64_t rflags = ENV64(vp, UCI_ENV_EFLAGS);
	uint32_t keep = UCI_HF_INHIBIT_IRQ_MASK | (1u << 19) /* SMM */ | (1u << 20) /* SVME */ | (1u << 21) |
			(1u << 24) | (1u << 25) | (1u << 26);
	uint32_t n = h & keep;
	const struct uci_segment *cs_ = seg(vp, S_CS), *ss = seg(vp, S_SS);

	if (cr0 & CR0_PE) {
		n |= UCI_HF_PE_MASK;
		n |= (rflags & RFLAGS_VM) ? 3 : (ss->flags >> UCI_DESC_DPL_SHIFT) & 3;
	}
	n |= (uint32_t)((cr0 << (UCI_HF_MP_SHIFT - 1)) & (7u << UCI_HF_MP_SHIFT));
	if (efer & EFER_LMA)
		n |= UCI_HF_LMA_MASK;
	if ((efer & EFER_LMA) && (cs_->flags & UCI_DESC_L_MASK)) {
		n |= UCI_HF_CS32_MASK | UCI_HF_SS32_MASK | UCI_HF_CS64_MASK;
	} else {
		if (cs_->flags & UCI_DESC_B_MASK)
			n |= UCI_HF_CS32_MASK;
		if (ss->flags & UCI_DESC_B_MASK)
			n |= UCI_HF_SS32_MASK;
		if (!(cr0 & CR0_PE) || (rflags & RFLAGS_VM) || !(n & UCI_HF_CS32_MASK))
			n |= UCI_HF_ADDSEG_MASK;
		else if ((seg(vp, S_DS)->base | seg(vp, S_ES)->base | ss->base) != 0)
			n |= UCI_HF_ADDSEG_MASK;
	}
	if (rflags & RFLAGS_VM)
		n |= UCI_HF_VM_MASK;
	if (cr4 & CR4_OSFXSR)
		n |= UCI_HF_OSFXSR_MASK;
	if (cr4 & CR4_SMAP)
		n |= UCI_HF_SMAP_MASK;
	ENV32(vp, UCI_ENV_HFLAGS) = n;
}

/* The reset state's hflags (and GIF set, no exception in progress), then the derived ones. */
void sim_x86__reset_hflags(struct sim_x86_vcpu *vp)
{
	ENV32(vp, UCI_ENV_HFLAGS) = 0;
	ENV32(vp, UCI_ENV_HFLAGS2) = UCI_HF2_GIF_MASK;
	ENVI(vp, UCI_ENV_OLD_EXCEPTION) = -1;
	sim_x86__recompute_hflags(vp);
}

/* QEMU's CPUID (the qemu64 model's leaves, without the hypervisor's changes). */
void sim_x86__engine_cpuid(struct sim_x86_vcpu *vp, uint32_t index, uint32_t count, uint32_t *eax,
			   uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	cpu_x86_cpuid_x86_64(vp->env, index, count, eax, ebx, ecx, edx);
}

void sim_x86__tlb_flush(struct sim_x86_vcpu *vp)
{
	tlb_flush_x86_64(vp->cs);
}

void sim_x86__tb_flush(struct sim_x86_vcpu *vp)
{
	tb_flush_x86_64(vp->cs);
	sim_x86__vp_code_forget(vp);
}

/*
 * Drop this VP's translations of the guest code in host page `page`
 * (QEMU's tb_invalidate_phys_range over the page's RAM address in this
 * VP's engine); nothing when the page is not this VP's RAM.
 */
uint64_t qemu_ram_addr_from_host_x86_64(void *uc, void *ptr);
void tb_invalidate_phys_range_x86_64(void *uc, uint64_t start, uint64_t end);

void sim_x86__tb_invalidate_host_page(struct sim_x86_vcpu *vp, uintptr_t page)
{
	uint64_t ram = qemu_ram_addr_from_host_x86_64(vp->uc, (void *)page);

	if (ram != ~(uint64_t)0)
		tb_invalidate_phys_range_x86_64(vp->uc, ram, ram + 4096);
}

/* Make the CPU loop stop at its next check (any thread). */
SIM_SIGNAL_SAFE void sim_x86__cpu_exit(struct sim_x86_vcpu *vp)
{
	cpu_exit(vp->cs);
}

/*
 * Exit requests inside a translation block. unicorn 2.0.1 makes every
 * guest load and store it translates (tcg_gen_qemu_ld/st_*) end with
 * check_exit_request(): a test of the exit flag that cpu_exit() sets,
 * leaving the block with TB_EXIT_REQUESTED when it is set; cpu_tb_exec
 * then puts the PC back to the start of the block (synchronize_from_tb
 * with the block's pc), although the instructions before the access, and
 * the access itself, have run and changed registers and memory. They run
 * again: a cpu_exit() from another thread (a kick, an asserted interrupt)
 * or from a helper of this one (a local APIC write) that lands after a
 * memory access made `add %rax,%rdi; mov ..,(mem)` add twice, and a
 * self-IPI's block re-run after each interrupt, forever. QEMU itself
 * tests the flag only at the start of a block, where nothing has run
 * yet and the PC is exact (gen_tb_start); unicorn added the other tests
 * so that its own hooks can stop emulation right after an access. The
 * CPU model never stops that way (its helpers restore the state to the
 * instruction and leave with cpu_loop_exit), so for its VPs the test
 * after each access is not generated: an exit request is seen at the
 * start of the next block, every instruction runs exactly once, and an
 * interrupt is taken at an instruction boundary. (One unicorn path relied
 * on it: a store to memory no region maps and no hook handles. Our
 * memory_mapping and mem_access see every such store first; if one still
 * reached it, the store is dropped and the run stops at the end of the
 * block, reported by core.c's backstop, as imprecise as before.) The
 * translations are also smaller and faster without the tests.
 */
void check_exit_request_x86_64(void *tcg_ctx);
void check_exit_request_x86_64(void *tcg_ctx)
{
	if (cur_vp)
		return;
	orig.check_exit(tcg_ctx);
}

/*
 * Leave the block at the instruction of the helper that returns to ra and
 * run that instruction again alone, in a block of one instruction (QEMU's
 * cpu_io_recompile: the state is restored to the instruction, the next
 * block is made with an instruction count of 1), so that what the
 * instruction does takes effect at the boundary right after it.
 */
__attribute__((noreturn)) void sim_x86__run_insn_alone(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	cpu_io_recompile_x86_64(vp->cs, ra);
	__builtin_unreachable();
}

/* unicorn's region for a guest-physical address (unicorn's own memory_mapping) */
void *sim_x86__uc_region(struct sim_x86_vcpu *vp, uint64_t gpa)
{
	return orig.memory_mapping(vp->uc, gpa);
}

/*
 * The fast system call MSRs (QEMU 5.0's CPUX86State: sysenter_cs (32
 * bits), sysenter_esp, sysenter_eip, star, vm_hsave, lstar, cstar, fmask,
 * in that order, after the vector registers): found by a marker in STAR,
 * the others checked at their places with markers of their own, then all
 * written back as 0 (their reset value).
 */
static bool find_syscall_msrs(struct sim_x86_vcpu *vp)
{
	static const uint32_t msr[7] = {0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084};
	static const int rel[7] = {-24, -16, -8, 0, 16, 24, 32}; /* from star */
	size_t star = 0;
	bool ok = true;
	for (int i = 0; i < 7; i++) {
		uc_x86_msr m = {.rid = msr[i], .value = i == 0 ? 0x5a5au : 0x00005a5a12340000ull + (uint64_t)i};
		uc_reg_write(vp->uc, UC_X86_REG_MSR, &m);
	}
	for (size_t off = UCI_ENV_EFER + 8; off < 0x2000; off += 8) {
		if (ENV64(vp, off) == 0x00005a5a12340003ull) {
			star = off;
			break;
		}
	}
	if (!star)
		return false;
	for (int i = 0; i < 7; i++) {
		size_t off = (size_t)((ptrdiff_t)star + rel[i]);
		ok &= i == 0 ? ENV32(vp, off) == 0x5a5au : ENV64(vp, off) == 0x00005a5a12340000ull + (uint64_t)i;
		uc_x86_msr m = {.rid = msr[i], .value = 0};
		uc_reg_write(vp->uc, UC_X86_REG_MSR, &m);
	}
	vp->sysenter_cs = &ENV32(vp, star - 24);
	vp->sysenter_esp = &ENV64(vp, star - 16);
	vp->sysenter_eip = &ENV64(vp, star - 8);
	vp->star = &ENV64(vp, star);
	vp->lstar = &ENV64(vp, star + 16);
	vp->cstar = &ENV64(vp, star + 24);
	vp->fmask = &ENV64(vp, star + 32);
	return ok;
}

/* Check the layout facts of unicorn_internals.h against this libunicorn. */
static bool uci_check_layout(struct sim_x86_vcpu *vp)
{
	uint64_t v = 0x1122334455667788ull, rip = 0x123456789aull, cr3 = 0x5000, dr7 = 0x455;
	uint64_t rcx = 0x8877665544332211ull;
	uc_x86_mmr gdtr = {.base = 0xabcd000, .limit = 0x1ff};
	uc_x86_msr efer = {.rid = 0xc0000080, .value = EFER_LME};
	uint8_t xmm[16];
	size_t xmm_off = 0;
	bool ok = true;

	uc_reg_write(vp->uc, UC_X86_REG_RAX, &v);
	uc_reg_write(vp->uc, UC_X86_REG_RCX, &rcx);
	uc_reg_write(vp->uc, UC_X86_REG_RIP, &rip);
	uc_reg_write(vp->uc, UC_X86_REG_CR3, &cr3);
	uc_reg_write(vp->uc, UC_X86_REG_DR7, &dr7);
	uc_reg_write(vp->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(vp->uc, UC_X86_REG_MSR, &efer);
#define CK(c) do { if (!(c)) { fprintf(stderr, "mshv-sim: layout check failed: %s\n", #c); ok = false; } } while (0)
	CK(regs(vp)[0] == v && regs(vp)[1] == rcx);
	CK(ENV64(vp, UCI_ENV_EIP) == rip);
	CK(cr(vp, 3) == cr3);
	CK(ENV64(vp, UCI_ENV_DR + 7 * 8) == dr7);
	CK(envseg(vp, UCI_ENV_GDT)->base == gdtr.base && envseg(vp, UCI_ENV_GDT)->limit == gdtr.limit);
	CK((ENV64(vp, UCI_ENV_EFER) & ~EFER_LMA) == EFER_LME);
	CK(ENVI(vp, UCI_ENV_OLD_EXCEPTION) == -1 || ENVI(vp, UCI_ENV_OLD_EXCEPTION) == 0);
	CK(*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) == -1);

	/* find xmm_regs by a marker */
	for (int i = 0; i < 16; i++)
		xmm[i] = (uint8_t)(0xa5 ^ (i * 7));
	uc_reg_write(vp->uc, UC_X86_REG_XMM0, xmm);
	for (size_t off = UCI_ENV_EFER; off < 0x1400; off += 8) {
		if (!memcmp(vp->env + off, xmm, 16)) {
			xmm_off = off;
			break;
		}
	}
	if (xmm_off) {
		uint8_t x1[16];
		memset(x1, 0x3c, sizeof(x1));
		uc_reg_write(vp->uc, UC_X86_REG_XMM1, x1);
		CK(!memcmp(vp->env + xmm_off + 64, x1, 16));
		vp->xmm = vp->env + xmm_off;
	} else {
		CK(xmm_off != 0);
	}

	/* the arithmetic flags and DF as cpu_load_eflags keeps them */
	uint32_t fl = 0x403; /* CF, DF, bit 1 */
	uc_reg_write(vp->uc, UC_X86_REG_EFLAGS, &fl);
	CK(ENV64(vp, UCI_ENV_CC_SRC) == 1 && ENVI(vp, UCI_ENV_DF) == -1);
	fl = 0x2;
	uc_reg_write(vp->uc, UC_X86_REG_EFLAGS, &fl);
	CK(ENV64(vp, UCI_ENV_CC_SRC) == 0 && ENVI(vp, UCI_ENV_DF) == 1);
	CK(find_syscall_msrs(vp));

	/* CPUID feature words: leaf 1's EDX and ECX are the words themselves (OSXSAVE aside) */
	uint32_t a, b, c, d;
	cpu_x86_cpuid_x86_64(vp->env, 1, 0, &a, &b, &c, &d);
	CK((uint32_t)FEAT(vp, UCI_FEAT_1_EDX) == d && FEAT(vp, UCI_FEAT_1_EDX) >> 32 == 0);
	CK((uint32_t)FEAT(vp, UCI_FEAT_1_ECX) == (c & ~UCI_CPUID_1_ECX_OSXSAVE));
	/* XCR0: what XGETBV(0) returns (it needs CR4.OSXSAVE) */
	uint64_t cr4 = cr(vp, 4), xcr0 = ENV64(vp, UCI_ENV_XCR0);
	ENV64(vp, UCI_ENV_CR + 32) = cr4 | CR4_OSXSAVE;
	ENV64(vp, UCI_ENV_XCR0) = 0x5a5a0003ull;
	CK(helper_xgetbv_x86_64(vp->env, 0) == 0x5a5a0003ull);
	ENV64(vp, UCI_ENV_XCR0) = xcr0;
	ENV64(vp, UCI_ENV_CR + 32) = cr4;
#undef CK
	return ok;
}

/*
 * unicorn's CPU model (qemu64) has no XSAVE. Give it XSAVE with the x87
 * and SSE components, the state the partition's XSAVE blob carries
 * (HV_PARTITION_PROPERTY_XSAVE_STATES 3, 576 bytes): QEMU's TCG then runs
 * XSAVE, XRSTOR, XGETBV and XSETBV (on env->xcr0, the VP's XFEM register),
 * CPUID reports XSAVE (and OSXSAVE with CR4.OSXSAVE) and computes leaf 0xD
 * from these words. Before anything is translated: translations copy the
 * leaf 1 ECX word.
 */
static bool model_enable_xsave(struct sim_x86_vcpu *vp)
{
	uint32_t a, b, c, d;
	FEAT(vp, UCI_FEAT_1_ECX) |= UCI_CPUID_1_ECX_XSAVE;
	FEAT(vp, UCI_FEAT_XSAVE_COMP_LO) = XCR0_X87 | XCR0_SSE;
	FEAT(vp, UCI_FEAT_XSAVE_COMP_HI) = 0;
	FEAT(vp, UCI_FEAT_XSAVE) = 0; /* no XSAVEOPT, XSAVEC, XGETBV1 or XSAVES */
	cpu_x86_cpuid_x86_64(vp->env, 0xd, 0, &a, &b, &c, &d);
	return a == (XCR0_X87 | XCR0_SSE) && d == 0 && c == 576;
}

/*
 * The feature words of the processor the VP presents, set before anything
 * is translated. QEMU's translator copies them into each translation and
 * refuses (#UD) the instructions of a feature its word lacks (POPCNT,
 * MOVBE, CMPXCHG16B, the 0F 38/0F 3A tables, RDTSCP, FXSAVE, ...), and
 * its WRMSR of EFER keeps SCE and NXE clear unless leaf 0x80000001 EDX
 * has SYSCALL and NX; so these words are at once what CPUID reports and
 * what runs. Debian's libunicorn 2.0.1 starts the qemu64 model with thin
 * words (leaf 1 EDX 0x07088100: no FPU, PSE, TSC, MSR, PAE, PGE, ...;
 * 0x80000001 EDX without SYSCALL and NX) although its TCG runs all of
 * them. Chosen, from QEMU 5.0's TCG_*_FEATURES (what its TCG implements):
 *  leaf 1 EDX  FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV
 *              PAT PSE36 CLFSH MMX FXSR SSE SSE2 (not VME, which QEMU
 *              lacks; not ACPI, SS, HTT: thermal control and topology are
 *              not modelled). APIC follows IA32_APIC_BASE (cpuid.c).
 *  leaf 1 ECX  SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES
 *              XSAVE (model_enable_xsave) and the hypervisor bit; not
 *              MONITOR (QEMU's MWAIT halts outside the model's HLT path)
 *              nor RDRAND.
 *  0x80000001 EDX  the AMD copies of leaf 1 EDX (the vendor is
 *              AuthenticAMD), SYSCALL (unicorn's SYSCALL is replaced
 *              below), NX, PDPE1GB (both page walks take 1 GiB pages),
 *              RDTSCP, LM, 3DNow! (as Debian's words had it).
 *  0x80000001 ECX  LAHF_LM, ABM; not SKINIT (QEMU does nothing), not
 *              CR8LEG (LOCK MOV CR0 is #UD in the model: registers.c).
 *  leaf 7      as the engine has it: BMI1 BMI2 ADX SMAP.
 */
#define MODEL_1_EDX 0x078bfbfdu
#define MODEL_1_ECX 0x82d82203u /* XSAVE (bit 26): model_enable_xsave */
#define MODEL_8000_0001_EDX ((MODEL_1_EDX & 0x0183f3ffu) | (1u << 11) | (1u << 20) | (1u << 26) | \
			     (1u << 27) | (1u << 29) | (1u << 31))
#define MODEL_8000_0001_ECX 0x21u

static void model_set_features(struct sim_x86_vcpu *vp)
{
	FEAT(vp, UCI_FEAT_1_EDX) = MODEL_1_EDX;
	FEAT(vp, UCI_FEAT_1_ECX) = MODEL_1_ECX;
	FEAT(vp, UCI_FEAT_8000_0001_EDX) = MODEL_8000_0001_EDX;
	FEAT(vp, UCI_FEAT_8000_0001_ECX) = MODEL_8000_0001_ECX;
}

/*
 * Find the CPU of the VP's new unicorn instance, point the VP's register
 * pointers into its state, check the layout facts and give it XSAVE.
 */
bool sim_x86__engine_attach(struct sim_x86_vcpu *vp)
{
	/* unicorn builds the CPU lazily, on the first call that needs it */
	uint64_t dummy;
	tb_sized_uc = NULL;
	uc_reg_read(vp->uc, UC_X86_REG_RAX, &dummy);
	if (tb_sized_uc != (void *)vp->uc) {
		fprintf(stderr, "mshv-sim: unicorn's translation buffer was not sized (tcg_exec_init_x86_64 not reached)\n");
		return false;
	}
	/* unicorn never numbers its single CPU: cpu_index stays -1 */
	vp->cs = qemu_get_cpu_x86_64(vp->uc, -1);
	if (!vp->cs)
		vp->cs = qemu_get_cpu_x86_64(vp->uc, 0);
	if (!vp->cs)
		return false;
	vp->env = vp->cs + UCI_CS_ENV;
	vp->gpr = (uint64_t *)(vp->env + UCI_ENV_REGS);
	vp->rip = &ENV64(vp, UCI_ENV_EIP);
	vp->rflags = &ENV64(vp, UCI_ENV_EFLAGS);
	vp->cr = &ENV64(vp, UCI_ENV_CR);
	vp->efer = &ENV64(vp, UCI_ENV_EFER);
	vp->dr = &ENV64(vp, UCI_ENV_DR);
	vp->xcr0 = &ENV64(vp, UCI_ENV_XCR0);
	/* the TLB fast tables: as the CPU is made, every MMU mode's has 256 entries */
	vp->tlb_fast = vp->env + UCI_ENV_TLB_FAST;
	for (int i = 0; i < UCI_NB_MMU_MODES; i++) {
		const struct uci_tlb_fast *f = (const struct uci_tlb_fast *)vp->tlb_fast + i;
		if (f->mask != UCI_TLB_DEFAULT_MASK || !f->table) {
			fprintf(stderr, "mshv-sim: layout check failed: the TLB fast table of MMU mode %d\n", i);
			vp->tlb_fast = NULL;
		}
	}
	bool ok = vp->tlb_fast && uci_check_layout(vp);
	if (ok) {
		model_set_features(vp);
		ok = model_enable_xsave(vp);
	}
	if (!ok) {
		fprintf(stderr, "mshv-sim: this libunicorn does not match the 2.0.1 layout the CPU model needs\n");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Interrupt requests to the CPU loop
 * --------------------------------------------------------------------- */
/* Raise or clear QEMU's CPU_INTERRUPT_HARD/NMI from what the local APIC has deliverable. */
void sim_x86__update_irq_request(struct sim_x86_vcpu *vp)
{
	uint32_t *req = (uint32_t *)(vp->cs + UCI_CS_INTERRUPT_REQUEST);
	if (sim_x86__apic_deliverable(vp) >= 0 || atomic_load(&vp->extint_vector) >= 0 ||
	    sim_x86__injection_pending(vp))
		*req |= UCI_CPU_INTERRUPT_HARD;
	else
		*req &= ~UCI_CPU_INTERRUPT_HARD;
	if (atomic_load(&vp->nmi_pending))
		*req |= UCI_CPU_INTERRUPT_NMI;
}

/* An interrupt or NMI request is raised for the CPU loop. */
bool sim_x86__irq_requested(struct sim_x86_vcpu *vp)
{
	uint32_t req = *(uint32_t *)(vp->cs + UCI_CS_INTERRUPT_REQUEST);
	return (req & (UCI_CPU_INTERRUPT_HARD | UCI_CPU_INTERRUPT_NMI)) != 0;
}

/* ---------------------------------------------------------------------
 * Stopping the VP at an intercept (called from inside a TCG helper);
 * the instructions that exit
 * --------------------------------------------------------------------- */
/* #GP(0) at the instruction of the helper that returns to ra */
__attribute__((noreturn)) void sim_x86__raise_gp(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	raise_exception_err_ra_x86_64(vp->env, 13, 0, ra);
}

/* any exception at the instruction of the helper that returns to ra */
__attribute__((noreturn)) void sim_x86__raise(struct sim_x86_vcpu *vp, int vector, uint32_t ec, uintptr_t ra)
{
	raise_exception_err_ra_x86_64(vp->env, vector, (int)ec, ra);
}

/*
 * RFLAGS inside a TCG helper, where QEMU keeps the arithmetic flags in
 * cc_src/cc_op and DF in df: read (without RF and VM, as PUSHF's image;
 * the translator has synced cc_op before the fast system call helpers),
 * and written as cpu_load_eflags does with cc_op CC_OP_EFLAGS (these
 * helpers end their block, and the next one reads cc_op from the state).
 */
uint64_t sim_x86__helper_rflags(struct sim_x86_vcpu *vp)
{
	return orig.read_eflags(vp->env) & ~0x30000ull;
}

void sim_x86__helper_set_rflags(struct sim_x86_vcpu *vp, uint64_t val)
{
	const uint64_t arith = 0x8d5; /* OF SF ZF AF PF CF */
	ENV64(vp, UCI_ENV_CC_SRC) = val & arith;
	ENV32(vp, UCI_ENV_CC_OP) = UCI_CC_OP_EFLAGS;
	ENVI(vp, UCI_ENV_DF) = (val & 0x400) ? -1 : 1;
	ENV64(vp, UCI_ENV_EFLAGS) = (val & ~(arith | 0x400ull)) | 0x2;
}

__attribute__((noreturn)) void sim_x86__stop_here(struct sim_x86_vcpu *vp, uintptr_t ra)
{
	if (ra)
		cpu_restore_state_x86_64(vp->cs, ra, true);
	uc_emu_stop(vp->uc);
	cpu_loop_exit_x86_64(vp->cs);
}

static inline struct sim_x86_vcpu *vp_of(void *env)
{
	struct sim_x86_vcpu *vp = cur_vp;
	return (vp && (void *)vp->env == env) ? vp : NULL;
}

/*
 * An access QEMU made while delivering an event outside any translation
 * block (no host return address to restore from) is intercepted. QEMU
 * reads the gate and descriptors and pushes the frame before it changes
 * any register, so the state is still the one before the event: put the
 * event back so that it happens again when the VP next runs, as the
 * hypervisor re-delivers an event whose delivery faulted.
 */
void sim_x86__abandon_delivery(struct sim_x86_vcpu *vp)
{
	*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) = -1;
	ENVI(vp, UCI_ENV_OLD_EXCEPTION) = -1;
	switch (vp->deliver) {
	case DELIVER_EXCEPTION:
		ENV64(vp, UCI_ENV_EIP) = vp->deliver_rip;
		break;
	case DELIVER_IRQ: {
		int v = vp->deliver_vector;
		vp->apic[APIC_ISR + v / 32] &= ~(1u << (v % 32));
		vp->apic[APIC_IRR + v / 32] |= 1u << (v % 32);
		sim_x86__update_irq_request(vp);
		break;
	}
	case DELIVER_INJECTED:
		ENV64(vp, UCI_ENV_EIP) = vp->deliver_rip;
		vp->pend_intr = vp->deliver_inj->saved_intr;
		memcpy(vp->pend_event, vp->deliver_inj->saved_event, sizeof(vp->pend_event));
		if (vp->deliver_inj->nmi)
			ENV32(vp, UCI_ENV_HFLAGS2) &= ~UCI_HF2_NMI_MASK;
		sim_x86__update_irq_request(vp);
		break;
	case DELIVER_EXTINT: {
		int none = -1;
		atomic_compare_exchange_strong(&vp->extint_vector, &none, vp->deliver_vector);
		sim_x86__update_irq_request(vp);
		break;
	}
	case DELIVER_NMI:
		ENV32(vp, UCI_ENV_HFLAGS2) &= ~UCI_HF2_NMI_MASK;
		atomic_store(&vp->nmi_pending, true);
		sim_x86__update_irq_request(vp);
		break;
	case DELIVER_NONE:
		break;
	}
	vp->deliver = DELIVER_NONE;
}

/* ---- port IO ---- */
static __attribute__((noreturn)) void io_exit(struct sim_x86_vcpu *vp, uint32_t port, int size, bool in,
					      uintptr_t ra)
{
	vp->ex.kind = EXIT_IO;
	vp->ex.port = (uint16_t)port;
	vp->ex.size = (uint8_t)size;
	vp->ex.in = in;
	sim_x86__stop_here(vp, ra);
}

#define IN_HELPER(name, fld, sz)                                                      \
	uint64_t name(void *env, uint32_t port);                                      \
	uint64_t name(void *env, uint32_t port)                                       \
	{                                                                             \
		struct sim_x86_vcpu *vp = vp_of(env);                                 \
		if (!vp)                                                              \
			return orig.fld(env, port);                                   \
		io_exit(vp, port, sz, true, (uintptr_t)__builtin_return_address(0)); \
	}
#define OUT_HELPER(name, fld, sz)                                                      \
	void name(void *env, uint32_t port, uint32_t data);                            \
	void name(void *env, uint32_t port, uint32_t data)                             \
	{                                                                              \
		struct sim_x86_vcpu *vp = vp_of(env);                                  \
		if (!vp) {                                                             \
			orig.fld(env, port, data);                                     \
			return;                                                        \
		}                                                                      \
		io_exit(vp, port, sz, false, (uintptr_t)__builtin_return_address(0)); \
	}
IN_HELPER(helper_inb_x86_64, inb, 1)
IN_HELPER(helper_inw_x86_64, inw, 2)
IN_HELPER(helper_inl_x86_64, inl, 4)
OUT_HELPER(helper_outb_x86_64, outb, 1)
OUT_HELPER(helper_outw_x86_64, outw, 2)
OUT_HELPER(helper_outl_x86_64, outl, 4)

/* ---- the TSC: RDTSC, RDTSCP and RDMSR 0x10 read it through cpu_get_tsc (time.c) ---- */
uint64_t cpu_get_tsc_x86_64(void *env);
uint64_t cpu_get_tsc_x86_64(void *env)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	return vp ? sim_x86__guest_tsc(vp) : sim_x86__now_ns();
}

/* ---- HLT ---- */
void helper_hlt_x86_64(void *env, int next_eip_addend);
void helper_hlt_x86_64(void *env, int next_eip_addend)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.hlt(env, next_eip_addend);
		return;
	}
	/* EIP was synced to the HLT before the call */
	ENV64(vp, UCI_ENV_EIP) += (uint64_t)next_eip_addend;
	ENV32(vp, UCI_ENV_HFLAGS) &= ~UCI_HF_INHIBIT_IRQ_MASK;
	if (sim_x86__can_take_interrupt(vp)) {
		/* an interrupt is ready: it wakes the VP at once, no exit */
		sim_x86__update_irq_request(vp);
		cpu_loop_exit_x86_64(vp->cs);
	}
	vp->halted = true;
	vp->ex.kind = EXIT_HALT;
	sim_x86__stop_here(vp, 0);
}

/*
 * ---- far CALL in real mode ----
 * QEMU 5.0's helper keeps the new EIP in an int: an offset with bit 31 set
 * (a 32-bit operand: CS.D kept from protected mode) left RIP sign-extended,
 * bits 63:32 set outside 64-bit mode, and linear addresses with them (found
 * by sim_guest_fuzz). EIP has 32 bits there.
 */
void helper_lcall_real_x86_64(void *env, int new_cs, uint64_t new_eip, int shift, int next_eip);
void helper_lcall_real_x86_64(void *env, int new_cs, uint64_t new_eip, int shift, int next_eip)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	orig.lcall_real(env, new_cs, new_eip, shift, next_eip);
	if (vp)
		ENV64(vp, UCI_ENV_EIP) &= 0xffffffffull;
}

/* ---- CPUID: cpuid.c ---- */
void helper_cpuid_x86_64(void *env);
void helper_cpuid_x86_64(void *env)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.cpuid(env);
		return;
	}
	sim_x86__cpuid_insn(vp, (uintptr_t)__builtin_return_address(0));
}

/* ---- RDMSR, WRMSR: decided in msr.c ---- */
void helper_rdmsr_x86_64(void *env);
void helper_rdmsr_x86_64(void *env)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp || !sim_x86__rdmsr(vp, (uintptr_t)__builtin_return_address(0)))
		orig.rdmsr(env);
}

void helper_wrmsr_x86_64(void *env);
void helper_wrmsr_x86_64(void *env)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp) {
		if (sim_x86__wrmsr(vp, ra))
			return;
		/* QEMU implements the MSR: the value checks it lacks first (registers.c) */
		uint64_t *r = regs(vp);
		if (sim_x86__check_wrmsr(vp, (uint32_t)r[1], (uint32_t)r[0] | (r[2] << 32)))
			sim_x86__raise_gp(vp, ra);
	}
	orig.wrmsr(env);
}

/*
 * ---- SYSCALL, SYSRET, SYSENTER, SYSEXIT: syscall.c ----
 * The translator makes them #GP outside protected mode (SYSRET,
 * SYSENTER, SYSEXIT) and #UD in 64-bit mode on an AMD vendor (SYSENTER,
 * SYSEXIT) before calling these; dflag is 2 for a 64-bit operand.
 */
void helper_syscall_x86_64(void *env, int next_eip_addend);
void helper_syscall_x86_64(void *env, int next_eip_addend)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.syscall(env, next_eip_addend);
		return;
	}
	sim_x86__syscall(vp, next_eip_addend, (uintptr_t)__builtin_return_address(0));
}

void helper_sysret_x86_64(void *env, int dflag);
void helper_sysret_x86_64(void *env, int dflag)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.sysret(env, dflag);
		return;
	}
	sim_x86__sysret(vp, dflag == 2, (uintptr_t)__builtin_return_address(0));
}

void helper_sysenter_x86_64(void *env, int next_eip_addend);
void helper_sysenter_x86_64(void *env, int next_eip_addend)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.sysenter(env, next_eip_addend);
		return;
	}
	sim_x86__sysenter(vp, (uintptr_t)__builtin_return_address(0));
}

void helper_sysexit_x86_64(void *env, int dflag);
void helper_sysexit_x86_64(void *env, int dflag)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.sysexit(env, dflag);
		return;
	}
	sim_x86__sysexit(vp, dflag == 2, (uintptr_t)__builtin_return_address(0));
}

/* ---- LTR, LLDT: QEMU's, after registers.c's checks ---- */
static void load_system_seg(void *env, int selector, bool ltr, void (*qemu)(void *, int), uintptr_t ra)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	uint32_t ec;
	int vec;
	if (vp && (vec = sim_x86__check_load_system_seg(vp, ltr, (uint32_t)selector, &ec)))
		raise_exception_err_ra_x86_64(env, vec, (int)ec, ra);
	qemu(env, selector);
}

void helper_ltr_x86_64(void *env, int selector);
void helper_ltr_x86_64(void *env, int selector)
{
	load_system_seg(env, selector, true, orig.ltr, (uintptr_t)__builtin_return_address(0));
}

void helper_lldt_x86_64(void *env, int selector);
void helper_lldt_x86_64(void *env, int selector)
{
	load_system_seg(env, selector, false, orig.lldt, (uintptr_t)__builtin_return_address(0));
}

/* ---- INVLPG, and LGDT/LIDT in 64-bit mode translated as INVLPG (registers.c, sim_x86__dtr_fix) ---- */
void helper_invlpg_x86_64(void *env, uint64_t addr);
void helper_invlpg_x86_64(void *env, uint64_t addr)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp && sim_x86__load_dtr(vp, addr, ra))
		return;
	orig.invlpg(env, addr);
}

/* ---- MOV to/from CR8: the local APIC's TPR (apic.c) ---- */
uint64_t helper_read_crN_x86_64(void *env, int reg);
uint64_t helper_read_crN_x86_64(void *env, int reg)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp || reg != 8)
		return orig.read_cr(env, reg);
	return sim_x86__cr8_read(vp);
}

void helper_write_crN_x86_64(void *env, int reg, uint64_t val);
void helper_write_crN_x86_64(void *env, int reg, uint64_t val)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp && (reg == 0 || reg == 4)) {
		int vec = sim_x86__check_mov_cr(vp, reg, val);
		if (vec)
			raise_exception_err_ra_x86_64(env, vec, 0, (uintptr_t)__builtin_return_address(0));
	}
	if (!vp || reg != 8) {
		orig.write_cr(env, reg, val);
		return;
	}
	if (val & ~0xfull)
		raise_exception_err_ra_x86_64(env, 13, 0, (uintptr_t)__builtin_return_address(0));
	sim_x86__cr8_write(vp, val);
}

/*
 * PUSHF: the processor clears RF in the image it pushes (Intel SDM vol. 2B
 * "PUSHF/PUSHFD/PUSHFQ"); QEMU 5.0's helper_read_eflags returns RFLAGS with
 * RF. unicorn's own use of the helper (syncing EFLAGS before a UC_HOOK_CODE
 * callback, MSHV_SIM_DEBUG_CODE only) stores the result back: RF cleared
 * there does nothing, no instruction breakpoints being modelled. (VM,
 * which PUSHF in virtual-8086 mode also clears in the image, is left as
 * QEMU has it: clearing it in that store would leave virtual-8086 mode.)
 */
uint64_t helper_read_eflags_x86_64(void *env);
uint64_t helper_read_eflags_x86_64(void *env)
{
	uint64_t f = orig.read_eflags(env);
	return vp_of(env) ? f & ~0x10000ull : f;
}

/* ---- MOV to DRn: registers.c (no hardware breakpoints) ---- */
void helper_set_dr_x86_64(void *env, int reg, uint64_t val);
void helper_set_dr_x86_64(void *env, int reg, uint64_t val)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.set_dr(env, reg, val);
		return;
	}
	int vec = sim_x86__mov_to_dr(vp, reg, val);
	if (vec)
		raise_exception_err_ra_x86_64(env, vec, 0, ra);
}

/*
 * QEMU's other paths to a breakpoint (a task switch clearing DR7's local
 * enables calls cpu_x86_update_dr7) end in cpu_breakpoint_insert, whose
 * tb_flush would free the translation its caller runs from: for the
 * model's VPs it inserts nothing and fails, as QEMU's callers allow.
 */
int cpu_breakpoint_insert_x86_64(void *cs, uint64_t pc, int flags, void **bp);
int cpu_breakpoint_insert_x86_64(void *cs, uint64_t pc, int flags, void **bp)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (vp && (void *)vp->cs == cs) {
		if (bp)
			*bp = NULL;
		return -38; /* -ENOSYS */
	}
	return orig.bp_insert(cs, pc, flags, bp);
}

/* ---------------------------------------------------------------------
 * Memory: translated code, guest accesses, accesses of QEMU's helpers
 * --------------------------------------------------------------------- */
/*
 * Each new translation write-protects the host pages its code came from
 * (code_pages.c): the block's bytes, pc to pc + size - 1, lie on one page
 * or two (QEMU ends a block at a page boundary, but for the instruction
 * that crosses it). A page that had no translated code of this VP before
 * may have TLB entries that let stores bypass the slow path (the TLB fill
 * below), under any linear address that maps it: they get TLB_NOTDIRTY
 * back, so that the guest's stores to the code reach QEMU's check for
 * self-modifying code again.
 */
void *tb_gen_code_x86_64(void *cs, uint64_t pc, uint64_t cs_base, uint32_t flags, int cflags);
void *tb_gen_code_x86_64(void *cs, uint64_t pc, uint64_t cs_base, uint32_t flags, int cflags)
{
	struct sim_x86_vcpu *vp = cur_vp;
	void *tb;

	/*
	 * Outside 64-bit code EIP has 32 bits. QEMU 5.0's translator masks the
	 * target of JMP and CALL rel32 but not of Jcc, JMP rel8, LOOP and JCXZ
	 * in 32-bit code: a displacement wrapping below 0 left EIP
	 * 0xffffffff_xxxxxxxx (found by sim_guest_fuzz). Such a target needs a
	 * new block, made here from EIP modulo 2^32.
	 */
	if (vp && (void *)vp->cs == cs && !sim_x86__cs64(vp)) {
		if (ENV64(vp, UCI_ENV_EIP) >> 32) {
			ENV64(vp, UCI_ENV_EIP) &= 0xffffffffull;
			pc = cs_base + ENV64(vp, UCI_ENV_EIP);
		}
		if (sim_x86__cs_limit_fetch(vp))
			sim_x86__raise_gp(vp, 0); /* past the CS limit (registers.c): the branch's fault */
	}
	if (vp && (void *)vp->cs == cs)
		vp->tb_first_insn = true;
	tb = orig.tb_gen(cs, pc, cs_base, flags, cflags);

	if (vp && (void *)vp->cs == cs) {
		const struct uci_tb *t = tb;
		vp->translations++;
		/* a block without its size (not expected): the next 15 bytes, the longest instruction */
		uint64_t last = pc + (t && t->pc == pc && t->size ? t->size - 1u : 15u);

		for (uint64_t a = pc; a <= last; a = (a | 0xfff) + 1) {
			uintptr_t page = sim_x86__protect_code_page(vp, a);
			if (page)
				tlb_reset_dirty_x86_64(cs, page, 4096);
			if ((a | 0xfff) == ~0ull)
				break;
		}
	}
	return tb;
}

/*
 * Instructions the translator must not translate as QEMU would (invalid
 * LOCK forms, SMSW r32: registers.c). The x86 translator starts each
 * instruction with tcg_gen_insn_start(pc, cc_op), a tcg_gen_op2 of
 * INDEX_op_insn_start with the instruction's linear address, and then
 * fetches its bytes with cpu_ldub_code from that address on. Where the
 * processor does something else, up to two of those fetches return other
 * bytes: UD2 (0f 0b) at the start for a LOCK form it refuses, so QEMU
 * raises #UD at the instruction; MOV r32, CR0 for SMSW r32. Nothing else
 * changes: guest memory, the bytes an intercept message reports and every
 * other fetch are the real ones.
 */
/*
 * QEMU 5.0's x86 translator leaks TCG temps: AAD and AAM take their
 * immediate with tcg_const_i32 and never free it, and other instructions
 * do the same. Temps are not bounded in a release build, so a block of
 * 512 AADs (a guest's own data run as code: sim_guest_fuzz) allocated past
 * temps[511] over the op list and the translator crashed the VMM with a
 * SIGSEGV. A temp serves one instruction: the translator's own (T0, T1,
 * A0, ...) are allocated before the block's first instruction starts, and
 * everything else still allocated when an instruction starts is a leak of
 * an earlier one, freed here. (QEMU later frees all of an instruction's
 * temps at its end in the same way.) The layout is checked at each
 * block's first instruction; when it does not hold, nothing is freed.
 */
void tcg_temp_free_internal_x86_64(void *tcg_ctx, void *ts);
static atomic_bool tcg_layout_bad;

static inline uint32_t temp_flags(const uint8_t *temps, int i)
{
	uint32_t f;
	memcpy(&f, temps + (size_t)i * UCI_TCG_TEMP_SIZE + UCI_TCG_TEMP_FLAGS, sizeof(f));
	return f;
}

/*
 * LOCKed read-modify-writes atomic between VPs. unicorn 2.0.1 never sets
 * CF_PARALLEL (its curr_cflags() is 0: one CPU per engine), so TCG
 * translates LOCK CMPXCHG, XADD, XCHG, ... as a plain load and store, and
 * two VPs (two engines on one guest RAM) could both take a guest
 * spinlock. Setting CF_PARALLEL in the context's tb_cflags (not in the
 * block's, which its cache lookups compare) before the first instruction
 * is translated makes TCG emit its atomic helpers, which act on the host
 * memory with host atomics. Where those cannot (MMIO such as the APIC page,
 * a misaligned operand) they stop at cpu_loop_exit_atomic, which runs the
 * instruction again alone, in a one-instruction block left non-parallel
 * (cpu_loop_exit_atomic_x86_64 below). Not while page access tracking is
 * on: the atomic helpers bypass the access hooks that track.
 * CMPXCHG8B/16B test the block's own flags and stay non-atomic.
 */
static void parallel_block(struct sim_x86_vcpu *vp, uint8_t *ctx)
{
	uint32_t cf;

	memcpy(&cf, ctx + UCI_TCG_TB_CFLAGS, sizeof(cf));
	if ((cf & ~UCI_CF_KNOWN) || (cf & UCI_CF_COUNT_MASK) == 1 || vp->track_fn)
		return;
	cf |= UCI_CF_PARALLEL;
	memcpy(ctx + UCI_TCG_TB_CFLAGS, &cf, sizeof(cf));
}

void cpu_loop_exit_atomic_x86_64(void *cs, uintptr_t pc);
void cpu_loop_exit_atomic_x86_64(void *cs, uintptr_t pc)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (vp && (void *)vp->cs == cs)
		sim_x86__run_insn_alone(vp, pc);
	orig.exit_atomic(cs, pc);
	__builtin_unreachable();
}

static void free_leaked_temps(struct sim_x86_vcpu *vp, uint8_t *ctx)
{
	int nb_globals, nb_temps;
	uint8_t *temps = ctx + UCI_TCG_TEMPS;

	if (atomic_load_explicit(&tcg_layout_bad, memory_order_relaxed))
		return;
	memcpy(&nb_globals, ctx + UCI_TCG_NB_GLOBALS, sizeof(int));
	memcpy(&nb_temps, ctx + UCI_TCG_NB_TEMPS, sizeof(int));
	if (vp->tb_first_insn) {
		const char *name;

		memcpy(&name, temps + UCI_TCG_TEMP_NAME, sizeof(name));
		if (nb_globals < 1 || nb_globals > nb_temps || nb_temps > UCI_TCG_MAX_TEMPS ||
		    !(temp_flags(temps, 0) & UCI_TCG_TEMP_GLOBAL) || !name || strcmp(name, "env") != 0) {
			if (!atomic_exchange(&tcg_layout_bad, true))
				fprintf(stderr, "mshv-sim: unexpected TCGContext layout: leaked temps stay allocated\n");
			return;
		}
		vp->tb_first_insn = false;
		parallel_block(vp, ctx);
		memset(vp->tb_temps, 0, sizeof(vp->tb_temps));
		for (int i = nb_globals; i < nb_temps; i++)
			if (temp_flags(temps, i) & UCI_TCG_TEMP_ALLOCATED)
				vp->tb_temps[i / 64] |= 1ull << (i % 64);
		return;
	}
	if (nb_temps > UCI_TCG_MAX_TEMPS)
		nb_temps = UCI_TCG_MAX_TEMPS;
	for (int i = nb_globals; i < nb_temps; i++)
		if ((temp_flags(temps, i) & UCI_TCG_TEMP_ALLOCATED) && !(vp->tb_temps[i / 64] >> (i % 64) & 1))
			tcg_temp_free_internal_x86_64(ctx, temps + (size_t)i * UCI_TCG_TEMP_SIZE);
}

void tcg_gen_op2_x86_64(void *tcg_ctx, int opc, uintptr_t a1, uintptr_t a2);
void tcg_gen_op2_x86_64(void *tcg_ctx, int opc, uintptr_t a1, uintptr_t a2)
{
	struct sim_x86_vcpu *vp = cur_vp;
	orig.gen_op2(tcg_ctx, opc, a1, a2);
	if (!vp || opc != UCI_INDEX_OP_INSN_START)
		return;
	free_leaked_temps(vp, tcg_ctx);
	uint8_t b[15];
	size_t n = sim_x86__read_linear(vp, a1, b, sizeof(b));
	bool long64 = sim_x86__cs64(vp);
	vp->align16_next = sim_x86__sse_align16(b, n, long64);
	vp->subst_at = a1;
	vp->nsubst = 0;
	vp->subst_gp = !long64 && sim_x86__cs_limit_branch(vp, a1, b, n, (ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_CS32_MASK) != 0);
	if (vp->subst_gp) {
		/* a JMP or CALL past the CS limit: translated as too long an instruction (cpu_ldub_code) */
	} else if (sim_x86__lock_invalid(b, n, long64)) {
		vp->subst_off[0] = 0;
		vp->subst_val[0] = 0x0f;
		vp->subst_off[1] = 1;
		vp->subst_val[1] = 0x0b;
		vp->nsubst = 2;
	} else if (sim_x86__dtr_fix(b, n, long64, &vp->subst_off[0], &vp->subst_val[0])) {
		vp->nsubst = 1;
	} else {
		vp->nsubst = sim_x86__smsw_fix(b, n, long64, (ENV32(vp, UCI_ENV_HFLAGS) & UCI_HF_CS32_MASK) != 0,
					       sim_x86__cpl(vp), vp->subst_off, vp->subst_val);
	}
}

/*
 * The legacy SSE forms that need a 16-byte aligned operand (sse_align.c):
 * the translator loads and stores an m128 operand as two 8-byte accesses,
 * the first at the operand's address. That first access of such an
 * instruction asks for 16-byte alignment (MO_ALIGN_16): TCG's fast path
 * then misses for an unaligned address, and the helpers below raise
 * #GP(0) at the instruction before any access is made.
 */
static int align_memop(int memop)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (vp && vp->align16_next && (memop & UCI_MO_SIZE) == UCI_MO_64) {
		vp->align16_next = false;
		memop = (memop & ~UCI_MO_AMASK) | UCI_MO_ALIGN_16;
	}
	return memop;
}

void tcg_gen_qemu_ld_i64_x86_64(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop);
void tcg_gen_qemu_ld_i64_x86_64(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop)
{
	orig.gen_ld_i64(tcg_ctx, val, addr, idx, align_memop(memop));
}

void tcg_gen_qemu_st_i64_x86_64(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop);
void tcg_gen_qemu_st_i64_x86_64(void *tcg_ctx, void *val, void *addr, uintptr_t idx, int memop)
{
	orig.gen_st_i64(tcg_ctx, val, addr, idx, align_memop(memop));
}

/* An access whose memop asks for 16-byte alignment (only align_memop's do), at an unaligned address: #GP(0) */
static inline void check_align16(struct sim_x86_vcpu *vp, uint64_t addr, uint32_t oi, uintptr_t ra)
{
	if (((oi >> 4) & UCI_MO_AMASK) == UCI_MO_ALIGN_16 && (addr & 15) && vp)
		sim_x86__raise_gp(vp, ra);
}

uint32_t cpu_ldub_code_x86_64(void *env, uint64_t addr);
uint32_t cpu_ldub_code_x86_64(void *env, uint64_t addr)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp && vp->subst_gp) {
		if (addr - vp->subst_at <= 15)
			return 0x66; /* sixteen prefixes: QEMU raises #GP(0) at the instruction, as for any over 15 bytes */
		vp->subst_gp = false;
	}
	if (vp && vp->nsubst) {
		uint64_t off = addr - vp->subst_at;
		if (off > 14) {
			vp->nsubst = 0; /* another instruction: no substitution pending */
		} else {
			for (int i = 0; i < vp->nsubst; i++) {
				if (off == vp->subst_off[i]) {
					uint8_t v = vp->subst_val[i];
					if (i == vp->nsubst - 1)
						vp->nsubst = 0;
					return v;
				}
			}
		}
	}
	return orig.ldub_code(env, addr);
}

/* QEMU's own accesses (IDT, GDT, TSS) are supervisor ones */
static inline bool is_user(int mmu_idx)
{
	return mmu_idx == UCI_MMU_USER_IDX;
}

#define LD_HELPER(name, fld, sz)                                                                \
	uint64_t name(void *env, uint64_t addr, uint32_t oi, uintptr_t ra);                     \
	uint64_t name(void *env, uint64_t addr, uint32_t oi, uintptr_t ra)                      \
	{                                                                                       \
		struct sim_x86_vcpu *vp = vp_of(env);                                           \
		uint64_t v = 0;                                                                 \
		check_align16(vp, addr, oi, ra);                                                \
		if (vp && vp->in_run && sim_x86__mem_access(vp, addr, sz, false, &v, ra, is_user(UCI_OI_MMU_IDX(oi)))) \
			return v;                                                               \
		return orig.fld(env, addr, oi, ra);                                             \
	}
LD_HELPER(helper_ret_ldub_mmu_x86_64, ldub, 1)
LD_HELPER(helper_le_lduw_mmu_x86_64, lduw, 2)
LD_HELPER(helper_le_ldul_mmu_x86_64, ldul, 4)
LD_HELPER(helper_le_ldq_mmu_x86_64, ldq, 8)

#define ST_HELPER(name, fld, type, sz)                                                          \
	void name(void *env, uint64_t addr, type val, uint32_t oi, uintptr_t ra);               \
	void name(void *env, uint64_t addr, type val, uint32_t oi, uintptr_t ra)                \
	{                                                                                       \
		struct sim_x86_vcpu *vp = vp_of(env);                                           \
		uint64_t v = val;                                                               \
		check_align16(vp, addr, oi, ra);                                                \
		if (vp && vp->in_run && sim_x86__mem_access(vp, addr, sz, true, &v, ra, is_user(UCI_OI_MMU_IDX(oi)))) \
			return;                                                                 \
		orig.fld(env, addr, val, oi, ra);                                               \
	}
ST_HELPER(helper_ret_stb_mmu_x86_64, stb, uint8_t, 1)
ST_HELPER(helper_le_stw_mmu_x86_64, stw, uint16_t, 2)
ST_HELPER(helper_le_stl_mmu_x86_64, stl, uint32_t, 4)
ST_HELPER(helper_le_stq_mmu_x86_64, stq, uint64_t, 8)

/*
 * QEMU's helpers (interrupt and exception delivery, descriptor loads, far
 * transfers, IRET, task switches, FXSAVE/XSAVE, ...) access guest memory
 * through cpu_{ld,st}*_mmuidx_ra, whose slow path does not go through the
 * helpers above: the same decision here, with the helper's host return
 * address (0 when QEMU delivers an event outside a translation block).
 * cpu_ldq_mmuidx_ra calls helper_le_ldq_mmu, so it needs no wrapper.
 */
#define CPU_LD_WRAP(name, fld, type, vtype, sz)                                                 \
	type name(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);                         \
	type name(void *env, uint64_t addr, int mmu_idx, uintptr_t ra)                          \
	{                                                                                       \
		struct sim_x86_vcpu *vp = vp_of(env);                                           \
		uint64_t v = 0;                                                                 \
		if (vp && vp->in_run && sim_x86__mem_access(vp, addr, sz, false, &v, ra, is_user(mmu_idx)))       \
			return (type)(vtype)v;                                                  \
		return orig.fld(env, addr, mmu_idx, ra);                                        \
	}
CPU_LD_WRAP(cpu_ldub_mmuidx_ra_x86_64, cpu_ldub, uint32_t, uint8_t, 1)
CPU_LD_WRAP(cpu_ldsb_mmuidx_ra_x86_64, cpu_ldsb, int, int8_t, 1)
CPU_LD_WRAP(cpu_lduw_mmuidx_ra_x86_64, cpu_lduw, uint32_t, uint16_t, 2)
CPU_LD_WRAP(cpu_ldsw_mmuidx_ra_x86_64, cpu_ldsw, int, int16_t, 2)
CPU_LD_WRAP(cpu_ldl_mmuidx_ra_x86_64, cpu_ldl, uint32_t, uint32_t, 4)

#define CPU_ST_WRAP(name, fld, type, sz)                                                        \
	void name(void *env, uint64_t addr, type val, int mmu_idx, uintptr_t ra);               \
	void name(void *env, uint64_t addr, type val, int mmu_idx, uintptr_t ra)                \
	{                                                                                       \
		struct sim_x86_vcpu *vp = vp_of(env);                                           \
		uint64_t v = val;                                                               \
		if (vp && vp->in_run && sim_x86__mem_access(vp, addr, sz, true, &v, ra, is_user(mmu_idx)))        \
			return;                                                                 \
		orig.fld(env, addr, val, mmu_idx, ra);                                          \
	}
CPU_ST_WRAP(cpu_stb_mmuidx_ra_x86_64, cpu_stb, uint32_t, 1)
CPU_ST_WRAP(cpu_stw_mmuidx_ra_x86_64, cpu_stw, uint32_t, 2)
CPU_ST_WRAP(cpu_stl_mmuidx_ra_x86_64, cpu_stl, uint32_t, 4)
CPU_ST_WRAP(cpu_stq_mmuidx_ra_x86_64, cpu_stq, uint64_t, 8)

/* FXSAVE: fpu.c's, which stores FOP, FIP and FDP as a processor does (QEMU 5.0's does not) */
void helper_fxsave_x86_64(void *env, uint64_t ptr);
void helper_fxsave_x86_64(void *env, uint64_t ptr)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	struct sim_x86_vcpu *vp = vp_of(env);
	if (!vp) {
		orig.fxsave(env, ptr);
		return;
	}
	sim_x86__fxsave(vp, ptr, ra);
}

/* A load of QEMU's helpers (size 2 or 8), through the wrappers above */
uint64_t cpu_ldq_mmuidx_ra_x86_64(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
uint64_t sim_x86__helper_load(struct sim_x86_vcpu *vp, uint64_t addr, unsigned size, int mmu_idx, uintptr_t ra)
{
	if (size == 2)
		return cpu_lduw_mmuidx_ra_x86_64(vp->env, addr, mmu_idx, ra);
	return cpu_ldq_mmuidx_ra_x86_64(vp->env, addr, mmu_idx, ra);
}

/*
 * A store of QEMU's helpers (size 2, 4 or 8), through the wrappers above,
 * for fpu.c's FXSAVE.
 */
void sim_x86__helper_store(struct sim_x86_vcpu *vp, uint64_t addr, uint64_t val, unsigned size, int mmu_idx,
			   uintptr_t ra)
{
	if (size == 2)
		cpu_stw_mmuidx_ra_x86_64(vp->env, addr, (uint32_t)val, mmu_idx, ra);
	else if (size == 4)
		cpu_stl_mmuidx_ra_x86_64(vp->env, addr, (uint32_t)val, mmu_idx, ra);
	else
		cpu_stq_mmuidx_ra_x86_64(vp->env, addr, val, mmu_idx, ra);
}

/* The MMU index of a data access at the VP's CPL (SMAP and RFLAGS.AC for CPL 0-2), as QEMU's helpers use. */
int sim_x86__data_mmu_idx(struct sim_x86_vcpu *vp)
{
	uint32_t hf = ENV32(vp, UCI_ENV_HFLAGS);
	return (hf & UCI_HF_CPL_MASK) == 3 ? UCI_MMU_USER_IDX
	       : (!(hf & UCI_HF_SMAP_MASK) || (ENV64(vp, UCI_ENV_EFLAGS) & RFLAGS_AC)) ? UCI_MMU_KNOSMAP_IDX
										  : UCI_MMU_KSMAP_IDX;
}

/* unicorn checks permissions with the linear address; give it the guest-physical one */
void *memory_mapping(void *uc, uint64_t address);
void *memory_mapping(void *uc, uint64_t address)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (vp && vp->uc == uc && vp->in_run && (cr(vp, 0) & CR0_PG)) {
		uint64_t gpa;
		bool fault = vp->fault_page_armed && (address & ~0xfffull) == vp->fault_page;
		if (fault)
			vp->fault_page_armed = false; /* mem_access found this access faulting */
		if (fault || sim_x86__walk(vp, address, ACC_READ, false, false, false, &gpa) != HV_TRANSLATE_GVA_SUCCESS)
			return vp->full_mr ? vp->full_mr : orig.memory_mapping(uc, address);
		address = gpa;
	}
	return orig.memory_mapping(uc, address);
}

/*
 * unicorn 2.0.1's x86 page walk checks the guest page tables but then
 * installs the TLB entry with paddr = vaddr ("identity map guest virtual
 * address"); put the guest-physical address the walk found back.
 * (MemTxAttrs is a 4-byte bit-field struct, passed like a uint32_t.)
 *
 * Stores: QEMU gives every writable RAM entry TLB_NOTDIRTY (unicorn never
 * clears it: unicorn_internals.h), so each guest store went through the
 * slow path, our helpers' page walk and QEMU's check for translated code
 * on the page, about 100 ns. Where memory.c says a store to the page needs
 * none of that (plain writable RAM without translated code of this VP),
 * the flag is taken off the entry just made, and stores to the page run
 * in translated code, as loads do. QEMU's walk has already set the
 * guest's accessed and dirty bits and left write permission out of prot
 * unless the page table allows the write and the dirty bit is set (its
 * first store comes here again), so nothing of the guest's paging is
 * skipped; tb_gen_code above puts the flag back on a page that gets code.
 */
void tlb_set_page_with_attrs_x86_64(void *cs, uint64_t vaddr, uint64_t paddr, uint32_t attrs, int prot,
				    int mmu_idx, uint64_t size);
void tlb_set_page_with_attrs_x86_64(void *cs, uint64_t vaddr, uint64_t paddr, uint32_t attrs, int prot,
				    int mmu_idx, uint64_t size)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (!vp || (void *)vp->cs != cs) {
		orig.tlb_set_page(cs, vaddr, paddr, attrs, prot, mmu_idx, size);
		return;
	}
	uint64_t gpa = paddr;
	bool mapped = true;
	if (cr(vp, 0) & CR0_PG) {
		mapped = sim_x86__walk(vp, vaddr, ACC_READ, false, false, false, &gpa) == HV_TRANSLATE_GVA_SUCCESS;
		if (mapped)
			paddr = gpa & ~0xfffull;
	}
	orig.tlb_set_page(cs, vaddr, paddr, attrs, prot, mmu_idx, size);
	if (!mapped || !(prot & UCI_PAGE_WRITE) || !vp->tlb_fast || mmu_idx < 0 || mmu_idx >= UCI_NB_MMU_MODES ||
	    !sim_x86__store_fast_ok(vp, gpa & ~0xfffull))
		return;
	struct uci_tlb_fast *f = (struct uci_tlb_fast *)vp->tlb_fast + mmu_idx;
	uint64_t page = vaddr & ~0xfffull;
	struct uci_tlb_entry *e = &f->table[(page >> 12) & (f->mask >> UCI_TLB_ENTRY_BITS)];
	/* only a plain RAM entry: no MMIO, discarded writes, watchpoint or invalid flag */
	if (e->addr_write == (page | UCI_TLB_NOTDIRTY))
		e->addr_write = page;
}

/* ---------------------------------------------------------------------
 * Event delivery: kicks, interrupts, exceptions, triple fault
 * --------------------------------------------------------------------- */
/* INT n, INT3, INTO: remember the instruction's length, to report an intercepted delivery at it */
void raise_interrupt_x86_64(void *env, int intno, int is_int, int error_code, int next_eip_addend)
	__attribute__((noreturn));
void raise_interrupt_x86_64(void *env, int intno, int is_int, int error_code, int next_eip_addend)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp)
		vp->int_len = is_int ? next_eip_addend : 0;
	orig.raise_interrupt(env, intno, is_int, error_code, next_eip_addend);
	__builtin_unreachable();
}

/*
 * A fault raised while an event is delivered (vp->deliver), with the
 * error code of a gate (QEMU: #GP or #NP for the gate of the vector being
 * delivered): its error code is the vector as a selector index with IDT
 * (bit 1) set, and EXT (bit 0) set unless the event was INT n, INT3 or
 * INTO (Intel SDM vol. 3A 6.13; AMD APM vol. 2 8.4.1). QEMU 5.0's 64-bit
 * delivery puts the vector times 16 (the gate's offset) and no source of
 * QEMU's sets EXT. Other error codes (the gate's CS selector, the stack)
 * are QEMU's. The delivery is over either way: the fault replaces it.
 */
void raise_exception_err_x86_64(void *env, int exception_index, int error_code) __attribute__((noreturn));
void raise_exception_err_x86_64(void *env, int exception_index, int error_code)
{
	struct sim_x86_vcpu *vp = vp_of(env);
	if (vp && vp->deliver != DELIVER_NONE) {
		int v = vp->deliver_vector;
		if ((exception_index == 11 || exception_index == 13) && (cr(vp, 0) & CR0_PE) &&
		    (error_code == v * 8 + 2 || (sim_x86__long_mode(vp) && error_code == v * 16 + 2)))
			error_code = v * 8 + 2 + (vp->deliver_soft ? 0 : 1);
		vp->deliver = DELIVER_NONE;
	}
	orig.raise_err(env, exception_index, error_code);
	__builtin_unreachable();
}

void x86_cpu_exec_enter_x86_64(void *cs);
void x86_cpu_exec_enter_x86_64(void *cs)
{
	orig.exec_enter(cs);
	struct sim_x86_vcpu *vp = cur_vp;
	if (!vp || (void *)vp->cs != cs)
		return;
	vp->apic_write_alone = false; /* between blocks: the instruction re-run alone (if any) is done */
	if (vp->eoi_exit) {
		/* the instruction that wrote EOI has completed: report it (apic.c, APIC_EOI) */
		vp->ex.kind = EXIT_EOI;
		vp->ex.vector = (uint8_t)(vp->eoi_exit - 1);
		vp->eoi_exit = 0;
		uc_emu_stop(vp->uc);
		return;
	}
	if (atomic_load(&vp->kick) || atomic_load(&vp->init_pending) || sim_x86__code_pages_gen() != vp->code_gen) {
		uc_emu_stop(vp->uc); /* the run loop returns -EINTR, applies the INIT, or drops stale code */
		return;
	}
	sim_x86__tlb_flush_requests(vp); /* other VPs' flush hypercalls (guest_hypercalls.c) */
	sim_x86__apic_collect(vp);
	sim_x86__update_irq_request(vp);
}

bool x86_cpu_exec_interrupt_x86_64(void *cs, int req);
bool x86_cpu_exec_interrupt_x86_64(void *cs, int req)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (!vp || (void *)vp->cs != cs)
		return orig.exec_interrupt(cs, req);
	uint32_t *ireq = (uint32_t *)(vp->cs + UCI_CS_INTERRUPT_REQUEST);
	if (vp->ex.kind != EXIT_NONE)
		return false; /* stopping at an intercept: the state must stay the one it reports */
	struct sim_injection inj;
	if (sim_x86__next_injection(vp, &inj)) {
		/* an event the VMM injected (registers.c): before anything else, whatever IF */
		sim_x86__update_irq_request(vp);
		vp->apic_write_alone = false;
		vp->deliver_vector = inj.vector;
		vp->deliver_soft = inj.soft;
		if (inj.has_cr2)
			vp->cr[2] = inj.cr2;
		vp->deliver = DELIVER_INJECTED; /* an intercepted access of the delivery puts the event back */
		vp->deliver_inj = &inj;
		vp->deliver_rip = ENV64(vp, UCI_ENV_EIP);
		if (inj.external) {
			if (inj.nmi)
				ENV32(vp, UCI_ENV_HFLAGS2) |= UCI_HF2_NMI_MASK;
			do_interrupt_x86_hardirq_x86_64(vp->env, inj.vector, 1);
		} else {
			*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) = inj.vector;
			ENVI(vp, UCI_ENV_ERROR_CODE) = (int)inj.error_code;
			ENVI(vp, UCI_ENV_EXCEPTION_IS_INT) = inj.soft;
			ENV64(vp, UCI_ENV_EXCEPTION_NEXT_EIP) = ENV64(vp, UCI_ENV_EIP) + inj.len;
			x86_cpu_do_interrupt_x86_64(vp->cs);
			*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) = -1;
		}
		vp->deliver = DELIVER_NONE;
		return true;
	}
	int r = x86_cpu_pending_interrupt_x86_64(cs, req);
	if (r == (int)UCI_CPU_INTERRUPT_NMI) {
		*ireq &= ~UCI_CPU_INTERRUPT_NMI;
		atomic_store(&vp->nmi_pending, false);
		ENV32(vp, UCI_ENV_HFLAGS2) |= UCI_HF2_NMI_MASK;
		vp->deliver = DELIVER_NMI;
		vp->deliver_vector = 2;
		vp->deliver_soft = false;
		vp->apic_write_alone = false;
		do_interrupt_x86_hardirq_x86_64(vp->env, 2, 1);
		vp->deliver = DELIVER_NONE;
		return true;
	}
	if (r == (int)UCI_CPU_INTERRUPT_HARD && atomic_load(&vp->extint_vector) >= 0) {
		/* ExtINT: the PIC's vector, past the APIC's IRR and ISR (apic.c) */
		int v = atomic_exchange(&vp->extint_vector, -1);
		*ireq &= ~UCI_CPU_INTERRUPT_HARD;
		if (v < 0)
			return false;
		sim_x86__update_irq_request(vp);
		vp->deliver = DELIVER_EXTINT;
		vp->deliver_vector = v;
		vp->deliver_soft = false;
		vp->apic_write_alone = false;
		do_interrupt_x86_hardirq_x86_64(vp->env, v, 1);
		vp->deliver = DELIVER_NONE;
		return true;
	}
	if (r == (int)UCI_CPU_INTERRUPT_HARD) {
		sim_x86__apic_collect(vp);
		int v = sim_x86__apic_deliverable(vp);
		*ireq &= ~UCI_CPU_INTERRUPT_HARD;
		if (v < 0)
			return false;
		vp->apic[APIC_IRR + v / 32] &= ~(1u << (v % 32));
		/* a SINT with auto-EOI (synic.c) is accepted without entering ISR: no EOI follows */
		if (!(atomic_load(&vp->auto_eoi[v / 32]) & (1u << (v % 32))))
			vp->apic[APIC_ISR + v / 32] |= 1u << (v % 32);
		sim_x86__update_irq_request(vp);
		vp->deliver = DELIVER_IRQ;
		vp->deliver_vector = v;
		vp->deliver_soft = false;
		vp->apic_write_alone = false;
		do_interrupt_x86_hardirq_x86_64(vp->env, v, 1);
		vp->deliver = DELIVER_NONE;
		return true;
	}
	if (r == 0)
		return false;
	return orig.exec_interrupt(cs, req);
}

void qemu_system_reset_request(void *uc);
void qemu_system_reset_request(void *uc)
{
	struct sim_x86_vcpu *vp = cur_vp;
	if (vp && vp->uc == uc) {
		vp->ex.kind = EXIT_TRIPLE; /* check_exception returns EXCP_HLT: the CPU loop stops */
		return;
	}
	orig.reset_request(uc);
}

static bool vector_has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void sim_x86__hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
	struct sim_x86_vcpu *vp = user;
	(void)uc;
	bool is_int = ENVI(vp, UCI_ENV_EXCEPTION_IS_INT) != 0;
	uint64_t next = ENV64(vp, UCI_ENV_EXCEPTION_NEXT_EIP);

	if (sim_x86__intercepted_exception(vp, intno)) {
		bool soft = false;
		if (is_int) {
			/* INT3 (CC) and INTO (CE) are software exceptions; INT n is not intercepted */
			uint8_t b = 0;
			sim_x86__read_linear(vp, seg(vp, S_CS)->base + next - 1, &b, 1);
			soft = (intno == 3 && b == 0xcc) || (intno == 4 && b == 0xce);
			if (soft)
				ENV64(vp, UCI_ENV_EIP) = next - 1;
		}
		if (!is_int || soft) {
			vp->ex.kind = EXIT_EXCEPTION;
			vp->ex.vector = (uint8_t)intno;
			vp->ex.soft = soft;
			vp->ex.ec_valid = !is_int && vector_has_error_code(intno);
			vp->ex.error_code = (uint32_t)ENVI(vp, UCI_ENV_ERROR_CODE);
			vp->ex.param = intno == 14 ? cr(vp, 2) : intno == 1 ? ENV64(vp, UCI_ENV_DR + 6 * 8) : 0;
			ENVI(vp, UCI_ENV_OLD_EXCEPTION) = -1;
			uc_emu_stop(vp->uc);
			return;
		}
	}
	/*
	 * unicorn has already moved EIP past INT n / INT3 / INTO. Put it back
	 * at the instruction: a fault the delivery raises (a bad gate, the
	 * IDT limit, the stack) is a fault of the INT instruction, reported
	 * and pushed at it (Intel SDM vol. 3A 6.5); a delivery that succeeds
	 * pushes exception_next_eip whatever EIP holds.
	 */
	vp->deliver = DELIVER_EXCEPTION;
	vp->deliver_vector = (int)intno;
	vp->deliver_soft = is_int;
	vp->deliver_rip = is_int ? next - (uint64_t)vp->int_len : ENV64(vp, UCI_ENV_EIP);
	ENV64(vp, UCI_ENV_EIP) = vp->deliver_rip;
	x86_cpu_do_interrupt_x86_64(vp->cs);
	vp->deliver = DELIVER_NONE;
}

bool sim_x86__hook_invalid(uc_engine *uc, void *user)
{
	struct sim_x86_vcpu *vp = user;
	(void)uc;
	/* VMMCALL/VMCALL: QEMU's #UD (no SVM/VMX for the guest) is the hypervisor's hypercall (guest_hypercalls.c) */
	if (sim_x86__hypercall(vp)) {
		*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) = -1;
		return true;
	}
	/* #UD: unicorn stops instead of delivering; deliver (or intercept) it ourselves */
	if (sim_x86__intercepted_exception(vp, 6)) {
		vp->ex.kind = EXIT_EXCEPTION;
		vp->ex.vector = 6;
		vp->ex.soft = false;
		vp->ex.ec_valid = false;
		vp->ex.error_code = 0;
		vp->ex.param = 0;
	} else {
		vp->deliver = DELIVER_EXCEPTION;
		vp->deliver_vector = 6;
		vp->deliver_soft = false;
		vp->deliver_rip = ENV64(vp, UCI_ENV_EIP);
		x86_cpu_do_interrupt_x86_64(vp->cs);
		vp->deliver = DELIVER_NONE;
		ENVI(vp, UCI_ENV_OLD_EXCEPTION) = -1;
	}
	*(int32_t *)(vp->cs + UCI_CS_EXCEPTION_INDEX) = -1;
	return true;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: the few unicorn 2.0.1 (QEMU 5.0 x86_64 target) internals the
 * CPU engine depends on. Facts only, measured from the 2.0.1 sources and
 * from the disassembly of Debian's libunicorn.so.2 (2.0.1.post1); no code
 * of unicorn or QEMU is reproduced here. unicorn_hooks.c checks every layout
 * fact it can at VP creation (uci_check_layout) and refuses to create a VP
 * when one does not hold, so a different unicorn build fails loudly
 * instead of corrupting guest state.
 *
 * Interposition: libunicorn.so.2 calls its TCG helpers, memory_mapping()
 * and a few CPU class methods through relocations against exported
 * symbols, so a definition of the same name in the executable (exported:
 * link with -rdynamic) or in a preloaded library replaces unicorn's; the
 * original stays reachable through dlsym(RTLD_NEXT, name). Replaced in
 * unicorn_hooks.c:
 *   helper_{in,out}{b,w,l}_x86_64, helper_hlt/cpuid/rdmsr/wrmsr_x86_64   precise exits
 *   helper_read_crN_x86_64, helper_write_crN_x86_64   CR8 is the local APIC's TPR; CR0/CR4 checks
 *   helper_ltr_x86_64, helper_lldt_x86_64   canonical bases, LTR of a null selector
 *   helper_ret_ldub/le_lduw/le_ldul/le_ldq_mmu_x86_64,
 *   helper_ret_stb/le_stw/le_stl/le_stq_mmu_x86_64   MMIO/GPA intercepts, APIC page
 *   cpu_{ldub,ldsb,lduw,ldsw,ldl}_mmuidx_ra_x86_64,
 *   cpu_{stb,stw,stl,stq}_mmuidx_ra_x86_64   the same for the accesses of QEMU's own
 *                                     helpers (event delivery, descriptors, FXSAVE, ...)
 *   raise_interrupt_x86_64            the length of INT n / INT3 / INTO
 *   helper_read_eflags_x86_64         PUSHF's image without RF
 *   helper_set_dr_x86_64              MOV to DRn: checks, no breakpoints (registers.c)
 *   cpu_breakpoint_insert_x86_64      nothing inserted (its tb_flush ran under the caller)
 *   helper_syscall/sysret/sysenter/sysexit_x86_64   the fast system calls (syscall.c)
 *   helper_fxsave_x86_64              FXSAVE stores the x87 FOP, FIP and FDP (QEMU 5.0
 *                                     writes zeros for FIP/FDP and leaves FOP out)
 *   memory_mapping                    unicorn's permission checks use the linear address
 *   tlb_set_page_with_attrs_x86_64    unicorn 2.0.1 installs TLB entries with
 *                                     paddr = vaddr after its page walk; we put the GPA back,
 *                                     and let stores to plain RAM take the fast path
 *   tb_gen_code_x86_64                the pages of each new translation: watched for
 *                                     writes (code_pages.c), stores to them slow again
 *   x86_cpu_exec_enter_x86_64, x86_cpu_exec_interrupt_x86_64   kick, APIC interrupt delivery
 *   qemu_system_reset_request         triple fault
 *   tcg_gen_op2_x86_64, cpu_ldub_code_x86_64   invalid LOCK forms translated as UD2,
 *                                     SMSW r32 as MOV r32, CR0; the temps an instruction
 *                                     leaked freed before the next one
 *   check_exit_request_x86_64         no exit test after each guest access (a code generator
 *                                     function, called while translating)
 */
#ifndef MSHV_SIM_UNICORN_INTERNALS_H
#define MSHV_SIM_UNICORN_INTERNALS_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

/* CPUState (hw/core/cpu.h) field offsets; X86CPU embeds CPUX86State at UCI_CS_ENV. */
#define UCI_CS_INTERRUPT_REQUEST 0x1c   /* uint32_t; x86_cpu_exec_interrupt's "andl $..,0x1c(%rbx)" */
#define UCI_CS_EXCEPTION_INDEX 0x81a0   /* int32_t; x86_cpu_do_interrupt's first load */
#define UCI_CS_ENV 0x8750               /* CPUX86State; do_interrupt_x86_hardirq's "sub $0x8750,%rdi" */

/* CPUX86State (target/i386/cpu.h) field offsets. */
#define UCI_ENV_REGS 0x0        /* target_ulong regs[16] (RAX RCX RDX RBX RSP RBP RSI RDI R8..R15) */
#define UCI_ENV_EIP 0x80
#define UCI_ENV_EFLAGS 0x88     /* complete only outside cpu_exec (exec_exit folds CC_* in) */
#define UCI_ENV_CC_SRC 0x98     /* target_ulong: with cc_op CC_OP_EFLAGS, the arithmetic flags */
#define UCI_ENV_CC_OP 0xa8      /* uint32_t */
#define UCI_ENV_DF 0xac         /* int32_t: 1, or -1 when RFLAGS.DF is set */
#define UCI_CC_OP_EFLAGS 1
#define UCI_ENV_HFLAGS 0xb0
#define UCI_ENV_HFLAGS2 0xb4
#define UCI_ENV_SEGS 0xb8       /* SegmentCache segs[6]: ES CS SS DS FS GS */
#define UCI_ENV_LDT 0x148
#define UCI_ENV_TR 0x160
#define UCI_ENV_GDT 0x178
#define UCI_ENV_IDT 0x190
#define UCI_ENV_CR 0x1a8        /* target_ulong cr[5] */
#define UCI_ENV_EFER 0x230
#define UCI_ENV_ERROR_CODE 0x14e8      /* int */
#define UCI_ENV_EXCEPTION_IS_INT 0x14ec /* int */
#define UCI_ENV_EXCEPTION_NEXT_EIP 0x14f0
#define UCI_ENV_DR 0x14f8               /* target_ulong dr[8] */
#define UCI_ENV_OLD_EXCEPTION 0x1558    /* int */
#define UCI_ENV_XCR0 0x1308             /* uint64_t; helper_xgetbv's "mov 0x1308(%rdi),%rax" */
/*
 * FeatureWordArray features: uint64_t per CPUID feature word (QEMU 5.0's
 * FeatureWord order); cpu_x86_cpuid reads leaf 1 ECX/EDX at 0x15e8/0x15e0,
 * leaf 0xD's EAX/EDX at 0x1688/0x1690 and helper_xgetbv leaf 0xD.1 EAX at 0x1678.
 */
#define UCI_ENV_FEATURES 0x15e0
#define UCI_FEAT_1_EDX 0
#define UCI_FEAT_1_ECX 1
#define UCI_FEAT_7_0_EBX 2
#define UCI_FEAT_8000_0001_EDX 6
#define UCI_FEAT_8000_0001_ECX 7
#define UCI_FEAT_XSAVE 19          /* CPUID[0xD,1].EAX */
#define UCI_FEAT_XSAVE_COMP_LO 21  /* CPUID[0xD,0].EAX */
#define UCI_FEAT_XSAVE_COMP_HI 22  /* CPUID[0xD,0].EDX */
#define UCI_CPUID_1_ECX_XSAVE (1u << 26)
#define UCI_CPUID_1_ECX_OSXSAVE (1u << 27)

/* SegmentCache: { uint32_t selector; target_ulong base; uint32_t limit; uint32_t flags; } */
struct uci_segment {
	uint32_t selector;
	uint32_t pad;
	uint64_t base;
	uint32_t limit;
	uint32_t flags; /* descriptor bits 8..23 of the high dword, in place */
};

/* SegmentCache.flags bits (descriptor high dword positions) */
#define UCI_DESC_TYPE_SHIFT 8
#define UCI_DESC_S_MASK (1u << 12)
#define UCI_DESC_DPL_SHIFT 13
#define UCI_DESC_P_MASK (1u << 15)
#define UCI_DESC_AVL_MASK (1u << 20)
#define UCI_DESC_L_MASK (1u << 21)
#define UCI_DESC_B_MASK (1u << 22)
#define UCI_DESC_G_MASK (1u << 23)

/* hflags */
#define UCI_HF_CPL_MASK 3u
#define UCI_HF_INHIBIT_IRQ_MASK (1u << 3)
#define UCI_HF_CS32_MASK (1u << 4)
#define UCI_HF_SS32_MASK (1u << 5)
#define UCI_HF_ADDSEG_MASK (1u << 6)
#define UCI_HF_PE_MASK (1u << 7)
#define UCI_HF_MP_SHIFT 9 /* MP, EM, TS at 9, 10, 11 = CR0 bits 1, 2, 3 shifted by 8 */
#define UCI_HF_LMA_MASK (1u << 14)
#define UCI_HF_CS64_MASK (1u << 15)
#define UCI_HF_VM_MASK (1u << 17)
#define UCI_HF_OSFXSR_MASK (1u << 22)
#define UCI_HF_SMAP_MASK (1u << 23)
/* hflags2 */
#define UCI_HF2_GIF_MASK (1u << 0)
#define UCI_HF2_NMI_MASK (1u << 2)

/* interrupt_request bits */
#define UCI_CPU_INTERRUPT_HARD 0x0002u
#define UCI_CPU_INTERRUPT_NMI 0x0200u

/* MMU indexes (target/i386/cpu.h); a TCGMemOpIdx carries one in its low 4 bits */
#define UCI_MMU_KSMAP_IDX 0
#define UCI_MMU_USER_IDX 1
#define UCI_MMU_KNOSMAP_IDX 2
#define UCI_OI_MMU_IDX(oi) ((int)((oi) & 15))
/* MemOp (include/exec/memop.h): a TCGMemOpIdx is memop << 4 | mmu_idx */
#define UCI_MO_SIZE 3
#define UCI_MO_64 3
#define UCI_MO_AMASK (7 << 4)
#define UCI_MO_ALIGN_16 (4 << 4)

/*
 * TCGOpcode INDEX_op_insn_start (qemu/include/tcg/tcg-opc.h: the 130th DEF,
 * counted with the x86_64 host's definitions).
 */
#define UCI_INDEX_OP_INSN_START 129

/*
 * TCGContext (include/tcg/tcg.h), as the translator leaves it between
 * instructions: int nb_globals and nb_temps after the five pool pointers
 * and nb_labels (the disassembly's nb_ops, one int further, is at 0x38);
 * TCGTemp temps[TCG_MAX_TEMPS = 512] right before the op list, whose head
 * tcg_emit_op reaches at 0x7388. A TCGTemp is 56 bytes: four 8-bit fields,
 * then a word of 1-bit flags (temp_global bit 5, temp_allocated bit 7),
 * then val, mem_base, mem_offset and name (at 32; temps[0] is the global
 * "env"). tcg_temp_new takes a free temp of the type, else temps[nb_temps++]
 * with no bound check in a release build.
 */
#define UCI_TCG_NB_GLOBALS 0x2c
#define UCI_TCG_NB_TEMPS 0x30
/* TCGContext.tb_cflags (after reserved_regs, a uint32_t TCGRegSet on an x86_64 host) and its bits */
#define UCI_TCG_TB_CFLAGS 0x64
#define UCI_CF_COUNT_MASK 0x1ffu
#define UCI_CF_PARALLEL 0x80000u
#define UCI_CF_KNOWN 0xff0f81ffu /* count, LAST_IO, NOCACHE, USE_ICOUNT, INVALID, PARALLEL, cluster */
#define UCI_TCG_TEMPS 0x388
#define UCI_TCG_MAX_TEMPS 512
#define UCI_TCG_TEMP_SIZE 56
#define UCI_TCG_TEMP_FLAGS 4
#define UCI_TCG_TEMP_GLOBAL (1u << 5)
#define UCI_TCG_TEMP_ALLOCATED (1u << 7)
#define UCI_TCG_TEMP_NAME 32

/*
 * The softmmu TLB (include/exec/cpu-defs.h): CPUNegativeOffsetState sits
 * right before CPUX86State, and its CPUTLB ends with the fast tables
 * CPUTLBDescFast f[NB_MMU_MODES = 3] { uintptr_t mask; CPUTLBEntry *table; }
 * (16-byte aligned), then IcountDecr (4 bytes, padded to 16): f[i] at
 * env - 64 + 16 * i, what translated code indexes (TLB_MASK_TABLE_OFS).
 * mask is (entries - 1) << CPU_TLB_ENTRY_BITS, 256 entries when the CPU
 * is made (CPU_TLB_DYN_DEFAULT_BITS 8). A CPUTLBEntry is 32 bytes.
 */
#define UCI_ENV_TLB_FAST (-64)
#define UCI_NB_MMU_MODES 3
#define UCI_TLB_ENTRY_BITS 5
#define UCI_TLB_DEFAULT_MASK (255u << UCI_TLB_ENTRY_BITS)
struct uci_tlb_fast {
	uintptr_t mask;
	struct uci_tlb_entry *table;
};
struct uci_tlb_entry {
	uint64_t addr_read, addr_write, addr_code;
	uintptr_t addend;
};
/*
 * Flags in the low bits of addr_write (include/exec/cpu-all.h, page bits
 * 12): TLB_NOTDIRTY sends a store to the slow path, where
 * notdirty_write() checks the page for translated code. unicorn 2.0.1's
 * cpu_physical_memory_is_clean() always answers true, so every RAM entry
 * gets it and no store ever takes the fast path on its own.
 */
#define UCI_TLB_NOTDIRTY (1u << 10)
#define UCI_PAGE_WRITE 2 /* prot bit of tlb_set_page_with_attrs */

/* TranslationBlock (include/exec/exec-all.h): its first fields */
struct uci_tb {
	uint64_t pc, cs_base;
	uint32_t flags;
	uint16_t size; /* bytes of guest code */
	uint16_t icount;
};

/* exception_index values >= this are cpu-loop exits, not vectors */
#define UCI_EXCP_INTERRUPT 0x10000

/* Exported by libunicorn.so.2 (QEMU functions with the target suffix). */
void *qemu_get_cpu_x86_64(uc_engine *uc, int index);
bool cpu_restore_state_x86_64(void *cs, uintptr_t host_pc, bool will_exit);
void cpu_loop_exit_x86_64(void *cs) __attribute__((noreturn));
void x86_cpu_do_interrupt_x86_64(void *cs);
void do_interrupt_x86_hardirq_x86_64(void *env, int intno, int is_hw);
int x86_cpu_pending_interrupt_x86_64(void *cs, int interrupt_request);
void cpu_x86_cpuid_x86_64(void *env, uint32_t index, uint32_t count, uint32_t *eax, uint32_t *ebx,
			  uint32_t *ecx, uint32_t *edx);
void raise_exception_err_ra_x86_64(void *env, int exception_index, int error_code, uintptr_t retaddr)
	__attribute__((noreturn));
uint64_t helper_xgetbv_x86_64(void *env, uint32_t ecx); /* #UD unless CR4.OSXSAVE: set it first */
void tlb_flush_x86_64(void *cs);
void cpu_exit(void *cs);
/* restore the state to the instruction of ra, make the next block that one instruction alone, leave */
void cpu_io_recompile_x86_64(void *cs, uintptr_t retaddr) __attribute__((noreturn));
void tb_flush_x86_64(void *cs);
/* set TLB_NOTDIRTY in every clean RAM entry (all MMU modes, victim TLB) whose host page is in [start, +length) */
void tlb_reset_dirty_x86_64(void *cs, uintptr_t start, uintptr_t length);

#endif

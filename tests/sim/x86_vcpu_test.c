/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Engine test of mshv-sim's x86 CPU model (tools/simulator/cpu/x86_vcpu.h),
 * linked with the engine directly. Guest programs are assembled by the C
 * compiler's assembler from the top-level asm blocks below (each has a
 * fixed load address; absolute addresses are computed from it).
 *
 *   x86_vcpu_test          run every test, print failures and a summary
 *   x86_vcpu_test --bench  OUT exits/s (completed through the register page)
 *                          and guest instructions/s of a compute loop
 *
 * Build: cc -std=gnu11 -I. -Itools/simulator/cpu tools/simulator/cpu/[a-z]*.c
 *        tests/sim/x86_vcpu_test.c -rdynamic -lunicorn -lpthread -ldl
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "x86_vcpu.h"

/* ------------------------------------------------------------------ */
/* guest programs                                                      */
/* ------------------------------------------------------------------ */
#define PROG(name, text)                                                                  \
	__asm__(".pushsection .rodata\n.balign 16\n" #name "_start:\n" text "\n" #name "_end:\n" \
		".code64\n.popsection\n");                                              \
	extern const unsigned char name##_start[], name##_end[];

/* loaded at 0x1000, real mode: IN and OUT of sizes 1, 2, 4 */
PROG(p_io,
     ".code16\n"
     "in $0x60, %al\n"          /* exit: IN byte, port 0x60, imm8 form (2 bytes) */
     "mov %al, %bl\n"
     "mov $0x1234, %dx\n"
     "in (%dx), %ax\n"          /* exit: IN word, port in DX (1 byte) */
     "mov %ax, %cx\n"
     "inl $0x70, %eax\n"        /* exit: IN dword (66 e5 70, 3 bytes) */
     "mov %eax, %esi\n"
     "outw %ax, $0x80\n"        /* exit: OUT word */
     "outl %eax, (%dx)\n"       /* exit: OUT dword to port 0x1234 */
     "hlt\n")

/* loaded at 0x1000, real mode: rep outsb of DS:SI, rep insw to ES:DI */
PROG(p_str,
     ".code16\n"
     "mov $0x2000, %si\n"
     "mov $3, %cx\n"
     "mov $0x3f8, %dx\n"
     "rep outsb\n"              /* exit: string, rep, RCX 3, RSI 0x2000 */
     "mov $0x3000, %di\n"
     "mov $2, %cx\n"
     "mov $0x60, %dx\n"
     "rep insw\n"               /* exit: string, rep, RCX 2, RDI 0x3000, IN */
     "hlt\n")

/* loaded at 0x1000, real mode: memory intercepts (0xa0000 is unmapped, 0xc0000 read-only) */
PROG(p_mmio,
     ".code16\n"
     "mov $0x1111, %bx\n"
     "mov $0xa000, %ax\n"
     "mov %ax, %ds\n"
     "mov 0x10, %bx\n"          /* exit: unmapped read of GPA 0xa0010 (8b 1e 10 00) */
     "movw $0x5678, 0x20\n"     /* exit: unmapped write of GPA 0xa0020 (c7 06 20 00 78 56) */
     "mov $0xc000, %ax\n"
     "mov %ax, %es\n"
     "mov %es:4, %cx\n"         /* read-only slot: reads run */
     "movb $1, %es:0\n"         /* exit: GPA intercept, write to the read-only slot */
     "hlt\n")

/* loaded at 0x1000: real -> protected -> long mode, paging, high mapping, IDT, APIC */
#define LM_BASE 0x1000
#define LM_HI 0xffff800000002000ull /* maps the program's page at 0x1000 */
PROG(p_lm,
     ".code16\n"
     "cli\n"
     "lgdtl 0x5f0\n"
     "mov %cr0, %eax\n"
     "or $1, %eax\n"
     "mov %eax, %cr0\n"
     "ljmpl $0x08, $(p_lm_pm32 - p_lm_start + 0x1000)\n"
     ".code32\n"
     "p_lm_pm32:\n"
     "mov $0x10, %ax\n"
     "mov %ax, %ds\n"
     "mov %ax, %es\n"
     "mov %ax, %ss\n"
     "mov $0x7000, %esp\n"
     "mov $0x3f8, %dx\n"
     "mov $0x50, %al\n"
     "out %al, %dx\n"           /* exit 1: protected mode, CS 0x08 */
     "mov %cr4, %eax\n"
     "or $0x20, %eax\n"
     "mov %eax, %cr4\n"
     "mov $0x10000, %eax\n"
     "mov %eax, %cr3\n"
     "mov $0xc0000080, %ecx\n"
     "rdmsr\n"
     "or $0x100, %eax\n"
     "wrmsr\n"
     "mov %cr0, %eax\n"
     "or $0x80000000, %eax\n"
     "mov %eax, %cr0\n"
     "ljmp $0x18, $(p_lm_lm64 - p_lm_start + 0x1000)\n"
     ".code64\n"
     "p_lm_lm64:\n"
     "mov $0x3f8, %dx\n"
     "mov $0x4c, %al\n"
     "out %al, %dx\n"           /* exit 2: long mode */
     "lidt 0x5e0\n"
     "movabs $0xffff800000000000, %rbx\n"
     "movabs $(0xffff800000002000 + p_lm_hi - p_lm_start), %rax\n"
     "jmp *%rax\n"
     "p_lm_hi:\n"
     "mov (%rbx), %rax\n"       /* reads GPA 0x20000 through the high mapping */
     "out %eax, %dx\n"          /* exit 3: RIP in the high mapping */
     "movl $0xabcd, 0x1000(%rbx)\n" /* exit 4: unmapped GPA 0xa0000 via VA 0xffff800000001000 */
     "int $0x30\n"              /* IDT vector 0x30 -> p_lm_h30: exit 5 (port 0x80, al 0x30) */
     "xor %ecx, %ecx\n"
     "mov $7, %eax\n"
     "xor %edx, %edx\n"
     "div %ecx\n"               /* #DE -> p_lm_hde (ecx = 1): exit 6 (port 0x80, al 0) */
     "out %eax, $0x84\n"        /* exit 7: eax 7 */
     "ud2\n"                    /* exit 8: intercepted #UD */
     "mov $0xfee00000, %esi\n"
     "mov 0x20(%rsi), %eax\n"
     "out %eax, $0x85\n"        /* exit 9: APIC ID */
     "mov 0x30(%rsi), %eax\n"
     "out %eax, $0x85\n"        /* exit 10: APIC version */
     "movl $0x20, 0x80(%rsi)\n"
     "mov 0xa0(%rsi), %eax\n"
     "out %eax, $0x85\n"        /* exit 11: PPR 0x20 */
     "movl $0, 0x80(%rsi)\n"
     "sti\n"
     "hlt\n"                    /* exit 12: HALT; vector 0x41 -> p_lm_h41: exit 13 (port 0x81) */
     "out %al, $0x82\n"         /* exit 14: back after the handler */
     "hlt\n"
     "p_lm_h30:\n"
     "mov $0x30, %al\n"
     "out %al, $0x80\n"
     "iretq\n"
     "p_lm_hde:\n"
     "mov $1, %ecx\n"
     "push %rax\n"
     "mov $0, %al\n"
     "out %al, $0x80\n"
     "pop %rax\n"
     "iretq\n"
     "p_lm_h41:\n"
     "mov $0x41, %al\n"
     "out %al, $0x81\n"
     "mov $0xfee000b0, %edi\n"
     "movl $0, (%rdi)\n"        /* EOI */
     "iretq\n")

/* loaded at 0x1000, real mode: IVT delivery of INT n, INT3, #DE and an external interrupt */
PROG(p_rmint,
     ".code16\n"
     "int $0x21\n"              /* exit: port 0x80 al 0x21 */
     "int3\n"                   /* exit: port 0x80 al 3 */
     "xor %bl, %bl\n"
     "mov $10, %ax\n"
     "div %bl\n"                /* #DE: exit port 0x80 al 0; handler sets bl 1 */
     "out %al, $0x84\n"         /* exit: al 10 */
     "sti\n"
     "hlt\n"                    /* HALT; vector 0x40 -> exit port 0x81 */
     "out %al, $0x82\n"
     "hlt\n"
     "p_rmint_h21:\n"
     "mov $0x21, %al\n"
     "out %al, $0x80\n"
     "iret\n"
     "p_rmint_h3:\n"
     "mov $3, %al\n"
     "out %al, $0x80\n"
     "iret\n"
     "p_rmint_hde:\n"
     "mov $1, %bl\n"
     "push %ax\n"
     "mov $0, %al\n"
     "out %al, $0x80\n"
     "pop %ax\n"
     "iret\n"
     "p_rmint_h40:\n"
     "mov $0x40, %al\n"
     "out %al, $0x81\n"
     "iret\n")
extern const unsigned char p_rmint_h21[], p_rmint_h3[], p_rmint_hde[], p_rmint_h40[];
extern const unsigned char p_lm_h30[], p_lm_hde[], p_lm_h41[], p_lm_hi[];

/*
 * loaded at 0x1000, started in long mode (start_long): accesses QEMU's own
 * helpers make (IDT gate, exception frame, segment descriptor) to memory
 * that is not RAM. The high mapping HACC_HI (see start_long) puts GPAs
 * that no slot maps, or the read-only slot, under other virtual addresses.
 */
#define HACC_HI 0xffff800000000000ull
PROG(p_hacc,
     ".code64\n"
     "p_hacc_int21:\n"
     "int $0x21\n"               /* IDT under HI+0x1000 (GPA 0xa0000): read of the gate; then port 0x80 */
     "movabs $0xffff800000002000, %rsp\n"
     "xor %ecx, %ecx\n"
     "mov $7, %eax\n"
     "xor %edx, %edx\n"
     "p_hacc_div:\n"
     "div %ecx\n"                /* #DE, its frame pushed to GPA 0xa0000's page; then port 0x80 */
     "out %eax, $0x84\n"
     "movabs $0xffff800000004000, %rsp\n"
     "p_hacc_int22:\n"
     "int $0x22\n"               /* frame pushed to the read-only slot: GPA intercept; then port 0x80 */
     "lgdt 0x5d0\n"              /* GDT under HI+0x1000 */
     "mov $0x10, %eax\n"
     "p_hacc_movds:\n"
     "mov %eax, %ds\n"           /* read of descriptor 0x10 */
     "out %al, $0x85\n"
     "movabs $0xffff800000005000, %rbx\n"
     "p_hacc_pf:\n"
     "movl $1, (%rbx)\n"         /* read-only PTE over an unmapped GPA: #PF */
     "movabs $0xffff800000001000, %rbx\n"
     "p_hacc_fxsave:\n"
     "fxsave (%rbx)\n"           /* FXSAVE area over GPA 0xa0000: write of FCW, its first field */
     "sti\n"
     "hlt\n"
     "p_hacc_hlt_next:\n"
     "out %al, $0x86\n"
     "hlt\n"
     "p_hacc_h21:\n"
     "mov $0x21, %al\n"
     "out %al, $0x80\n"
     "iretq\n"
     "p_hacc_h22:\n"
     "mov $0x22, %al\n"
     "out %al, $0x80\n"
     "iretq\n"
     "p_hacc_hde:\n"
     "mov $1, %ecx\n"
     "push %rax\n"
     "mov $0, %al\n"
     "out %al, $0x80\n"
     "pop %rax\n"
     "iretq\n"
     "p_hacc_h41:\n"
     "mov $0x41, %al\n"
     "out %al, $0x81\n"
     "mov $0xfee000b0, %edi\n"
     "movl $0, (%rdi)\n"
     "iretq\n")
extern const unsigned char p_hacc_int21[], p_hacc_div[], p_hacc_int22[], p_hacc_movds[], p_hacc_pf[],
	p_hacc_fxsave[], p_hacc_hlt_next[], p_hacc_h21[], p_hacc_h22[], p_hacc_hde[], p_hacc_h41[];

/*
 * loaded at 0x1000, started in long mode (start_long): CR8 is the local
 * APIC's TPR[7:4]. Each value is reported through an OUT; vector 0x41's
 * handler reports through port 0x85.
 */
PROG(p_cr8,
     ".code64\n"
     "mov $0xfee00000, %esi\n"
     "mov $5, %eax\n"
     "mov %rax, %cr8\n"
     "mov 0x80(%rsi), %eax\n"
     "out %eax, $0x80\n"        /* TPR through the APIC page: 0x50 */
     "mov %cr8, %rax\n"
     "out %eax, $0x80\n"        /* CR8: 5 */
     "movl $0x30, 0x80(%rsi)\n"
     "mov %cr8, %rax\n"
     "out %eax, $0x81\n"        /* CR8 after an APIC-page TPR write of 0x30: 3 */
     "mov %cr8, %rax\n"
     "out %eax, $0x81\n"        /* CR8 after the VMM set HV_X64_REGISTER_CR8 = 9 */
     "mov 0x80(%rsi), %eax\n"
     "out %eax, $0x81\n"        /* TPR: 0x90 */
     "mov $0x10, %eax\n"
     "p_cr8_gp:\n"
     "mov %rax, %cr8\n"         /* reserved bit: #GP(0) */
     "mov 0x80(%rsi), %eax\n"
     "out %eax, $0x81\n"        /* TPR unchanged: 0x90 */
     "mov $0xf, %eax\n"
     "mov %rax, %cr8\n"
     "sti\n"
     "out %al, $0x82\n"         /* the VMM asserts vector 0x41 here */
     "out %al, $0x83\n"         /* masked by TPR 0xf0 */
     "mov $4, %eax\n"
     "mov %rax, %cr8\n"
     "out %al, $0x83\n"         /* still masked: class 4 is not above TPR 0x40 */
     "xor %eax, %eax\n"
     "p_cr8_lower:\n"
     "mov %rax, %cr8\n"         /* vector 0x41 is taken right after this */
     "p_cr8_after:\n"
     "out %al, $0x84\n"
     "hlt\n"
     "p_cr8_h41:\n"
     "mov $0x41, %al\n"
     "p_cr8_h41_out:\n"
     "out %al, $0x85\n"
     "movl $0, 0xb0(%rsi)\n"    /* EOI */
     "iretq\n")
extern const unsigned char p_cr8_gp[], p_cr8_lower[], p_cr8_after[], p_cr8_h41[], p_cr8_h41_out[];

/*
 * loaded at 0x1000, started in long mode (start_long) with CR4.OSFXSR and
 * CR4.OSXSAVE: XGETBV and XSETBV on the XCR0 the VMM sees as XFEM, and
 * FXSAVE64 of the x87 pointers the VMM set. No x87 instruction runs (one
 * with a memory operand would change FDP).
 */
PROG(p_xcr,
     ".code64\n"
     "xor %ecx, %ecx\n"
     "xgetbv\n"
     "out %eax, $0x80\n"        /* XCR0 at reset: 3 */
     "mov %edx, %eax\n"
     "out %eax, $0x80\n"        /* XCR0[63:32]: 0 */
     "xor %ecx, %ecx\n"
     "xgetbv\n"
     "out %eax, $0x81\n"        /* after the VMM set XFEM 1 */
     "mov $3, %eax\n"
     "xor %edx, %edx\n"
     "xor %ecx, %ecx\n"
     "xsetbv\n"
     "out %al, $0x82\n"         /* the VMM reads XFEM 3 */
     "mov $7, %eax\n"
     "p_xcr_gp:\n"
     "xsetbv\n"                 /* AVX is not supported: #GP(0), XCR0 unchanged */
     "xor %ecx, %ecx\n"
     "xgetbv\n"
     "out %eax, $0x83\n"        /* still 3 */
     "mov $0x3000, %ebx\n"
     "fxsave64 (%rbx)\n"
     "out %al, $0x84\n"         /* the FXSAVE image at GPA 0x3000 */
     "hlt\n")
extern const unsigned char p_xcr_gp[];

/*
 * loaded at 0x1000, started in long mode (start_long) with the IDT at 0x800:
 * local APIC writes that make an interrupt deliverable in the middle of a
 * translated block. Each instruction before the write runs once, and the
 * interrupt is taken right after the writing instruction (when IF allows).
 * The handlers keep every register but R8 (0x42 counts itself in R8).
 */
PROG(p_apicblk,
     ".code64\n"
     "mov $0xfee00000, %esi\n"
     "mov $0xf, %eax\n"
     "mov %rax, %cr8\n"
     "mov $5, %edi\n"
     "mov $3, %eax\n"
     "xor %r8d, %r8d\n"
     "sti\n"
     "out %al, $0x80\n"            /* the VMM asserts vector 0x41 (TPR 0xf0 masks it) */
     "add %rax, %rdi\n"            /* 8, in the same block as the TPR write */
     "movl $0, 0x80(%rsi)\n"       /* TPR 0: 0x41 is taken right after this */
     "p_apicblk_after_tpr:\n"
     "mov %edi, %eax\n"
     "out %eax, $0x81\n"           /* 8 */
     "mov $1, %edi\n"
     "out %al, $0x82\n"
     "add %rdi, %rdi\n"            /* 2 */
     "movl $0x40042, 0x300(%rsi)\n" /* self IPI, vector 0x42 */
     "p_apicblk_after_ipi:\n"
     "mov %r8d, %eax\n"
     "out %eax, $0x83\n"           /* the handler ran once: 1 */
     "mov %edi, %eax\n"
     "out %eax, $0x84\n"           /* 2 */
     "cli\n"
     "out %al, $0x85\n"
     "add %rdi, %rdi\n"            /* 4 */
     "movl $0x40042, 0x300(%rsi)\n" /* self IPI with IF clear: pending */
     "mov %r8d, %eax\n"
     "out %eax, $0x86\n"           /* still 1 */
     "sti\n"
     "p_apicblk_shadow:\n"
     "nop\n"                       /* the STI shadow; the IPI is taken after this */
     "p_apicblk_after_sti:\n"
     "mov %r8d, %eax\n"
     "out %eax, $0x87\n"           /* 2 */
     "mov %edi, %eax\n"
     "out %eax, $0x88\n"           /* 4 */
     "hlt\n"
     "p_apicblk_h41:\n"
     "push %rax\n"
     "mov 8(%rsp), %rax\n"
     "out %eax, $0x90\n"           /* the interrupted RIP */
     "movl $0, 0xb0(%rsi)\n"       /* EOI */
     "pop %rax\n"
     "iretq\n"
     "p_apicblk_h42:\n"
     "add $1, %r8\n"
     "push %rax\n"
     "mov 8(%rsp), %rax\n"
     "out %eax, $0x91\n"           /* the interrupted RIP */
     "pop %rax\n"
     "movl $0, 0xb0(%rsi)\n"       /* EOI */
     "iretq\n")
extern const unsigned char p_apicblk_after_tpr[], p_apicblk_after_ipi[], p_apicblk_after_sti[],
	p_apicblk_h41[], p_apicblk_h42[];

/*
 * loaded at 0x1000, started in long mode (start_long) with the IDT at 0x800:
 * a checksum over memory, repeated; each pass reports RAX through port 0x80.
 * Per byte b of 0x30000.. (8192 bytes) and qword q of 0x40000..:
 * rax = rax * 31 + b; q ^= rax; rax += q. Vector 0x43 counts itself at 0x600
 * and EOIs; other threads assert it and kick the VP while this runs.
 */
PROG(p_csum,
     ".code64\n"
     "mov $0xfee00000, %r12d\n"
     "sti\n"
     "p_csum_pass:\n"
     "mov $0x30000, %esi\n"
     "mov $0x40000, %edi\n"
     "mov $8192, %ecx\n"
     "xor %eax, %eax\n"
     "1:\n"
     "movzbl (%rsi), %ebx\n"
     "imul $31, %rax, %rax\n"
     "add %rbx, %rax\n"
     "xor %rax, (%rdi)\n"
     "add (%rdi), %rax\n"
     "inc %rsi\n"
     "add $8, %rdi\n"
     "dec %ecx\n"
     "jnz 1b\n"
     "out %eax, $0x80\n"
     "jmp p_csum_pass\n"
     "p_csum_h43:\n"
     "addq $1, 0x600\n"
     "movl $0, 0xb0(%r12)\n"       /* EOI */
     "iretq\n")
extern const unsigned char p_csum_h43[];

/*
 * loaded at 0x1000, started in long mode (start_long): MOV to debug
 * registers. Breakpoints are not modelled: armed ones never fire, and
 * arming one must not take the process down (unicorn 2.0.1 flushed its
 * translations from under the running one).
 */
PROG(p_dr,
     ".code64\n"
     "lea p_dr_bp(%rip), %rax\n"
     "mov %rax, %dr0\n"
     "mov $0x3, %eax\n"            /* L0 G0: execution breakpoint at DR0 */
     "mov %rax, %dr7\n"
     "mov %dr7, %rax\n"
     "out %eax, $0x80\n"           /* 0x403 */
     "p_dr_bp:\n"
     "nop\n"                       /* no #DB here */
     "mov $0x3f00a, %eax\n"        /* G1 and R/W0 LEN0, through DR5 (CR4.DE clear); reserved bits 11-15 */
     "mov %rax, %dr5\n"
     "mov %dr7, %rax\n"
     "out %eax, $0x81\n"           /* 0x3240a: bit 13 (GD) kept, 11, 12, 14, 15 read 0, 10 reads 1 */
     "xor %eax, %eax\n"
     "mov %rax, %dr7\n"
     "movabs $0x100000000, %rax\n"
     "p_dr_gp:\n"
     "mov %rax, %dr7\n"            /* bit 32: #GP(0) */
     "mov %dr6, %rax\n"
     "out %eax, $0x82\n"           /* 0xffff0ff0 */
     "mov $0xffffffff, %eax\n"
     "mov %rax, %dr4\n"            /* DR6 */
     "mov %dr6, %rax\n"
     "out %eax, $0x83\n"           /* 0xffffefff */
     "mov %cr4, %rax\n"
     "or $8, %eax\n"
     "mov %rax, %cr4\n"            /* CR4.DE */
     "p_dr_ud:\n"
     "mov %rax, %dr5\n"            /* #UD */
     "hlt\n")
extern const unsigned char p_dr_bp[], p_dr_gp[], p_dr_ud[];

/* loaded at 0x1000: an IDT of limit 0 makes INT3 a triple fault */
PROG(p_triple,
     ".code16\n"
     "lidt 0x5f8\n"
     "int3\n"
     "hlt\n")

/* loaded at 0x1000: CPUID leaf 0x40000000, results out through port 0x80 */
PROG(p_cpuid,
     ".code16\n"
     "mov $0x40000000, %eax\n"
     "cpuid\n"
     "outl %eax, $0x80\n"
     "mov %ebx, %eax\n"
     "outl %eax, $0x80\n"
     "hlt\n")

/*
 * loaded at 0x1000, long mode (start_long): the feature leaves, instructions
 * and EFER bits they report, and leaf 1's APIC bit after IA32_APIC_BASE's
 * global enable is cleared; each result out through a port of its own.
 */
PROG(p_feat,
     "mov $1, %eax\n"
     "cpuid\n"
     "mov %edx, %eax\n"
     "outl %eax, $0x80\n"       /* leaf 1 EDX */
     "mov %ecx, %eax\n"
     "outl %eax, $0x81\n"       /* leaf 1 ECX */
     "mov $0x80000001, %eax\n"
     "cpuid\n"
     "mov %edx, %eax\n"
     "outl %eax, $0x82\n"       /* 0x80000001 EDX */
     "mov $0xf0f0, %ebx\n"
     "popcnt %ebx, %eax\n"      /* reported, so it runs */
     "outl %eax, $0x83\n"
     "mov $0xc0000080, %ecx\n"
     "rdmsr\n"
     "or $0x801, %eax\n"        /* EFER.SCE, EFER.NXE */
     "wrmsr\n"
     "rdmsr\n"
     "outl %eax, $0x84\n"
     "mov %cr4, %rax\n"
     "or $0x9c, %rax\n"         /* DE PSE PGE ... reported in leaf 1 EDX: accepted */
     "mov %rax, %cr4\n"
     "mov %cr4, %rax\n"
     "outl %eax, $0x85\n"
     "mov $0x1b, %ecx\n"
     "rdmsr\n"
     "and $0xfffff7ff, %eax\n"  /* APIC globally disabled */
     "wrmsr\n"
     "mov $1, %eax\n"
     "cpuid\n"
     "mov %edx, %eax\n"
     "outl %eax, $0x86\n"
     "hlt\n")

/*
 * loaded at 0x1000, long mode (start_long, user pages): SYSRET to CPL 3
 * code, which SYSCALLs back to a handler that reports through port 0x80.
 * STAR: SYSCALL CS 0x18 (SS 0x20), SYSRET base 0x28 (SS 0x33, CS 0x3b).
 */
PROG(p_sysc,
     "mov $0xc0000080, %ecx\n"
     "rdmsr\n"
     "or $1, %eax\n"            /* EFER.SCE */
     "wrmsr\n"
     "mov $0xc0000081, %ecx\n"
     "xor %eax, %eax\n"
     "mov $0x00280018, %edx\n"
     "wrmsr\n"
     "mov $0xc0000082, %ecx\n"
     "mov $(p_sysc_handler - p_sysc_start + 0x1000), %eax\n"
     "xor %edx, %edx\n"
     "wrmsr\n"
     "mov $0xc0000084, %ecx\n"
     "mov $0x700, %eax\n"       /* SFMASK: TF IF DF */
     "wrmsr\n"
     "mov $(p_sysc_user - p_sysc_start + 0x1000), %ecx\n"
     "mov $0x203, %r11d\n"      /* user RFLAGS: IF CF */
     "sysretq\n"
     "p_sysc_user:\n"
     "mov %cs, %ebx\n"
     "mov %ss, %edx\n"
     "std\n"
     "mov $0x1234, %eax\n"
     "syscall\n"
     "p_sysc_after:\n"
     "hlt\n"
     "p_sysc_handler:\n"
     "out %al, $0x80\n"
     "hlt\n")
extern const unsigned char p_sysc_user[], p_sysc_after[], p_sysc_handler[];

/*
 * loaded at 0x1000, real mode: RDMSR then WRMSR of the MSR whose index is the
 * dword at 0x900, each result reported through port 0x80; the #GP handler
 * (IVT vector 13) reports through port 0x8d and resumes after the 2-byte
 * instruction.
 */
PROG(p_msr,
     ".code16\n"
     "mov $0x12345678, %eax\n"
     "mov $0x9abcdef0, %edx\n"
     "mov 0x900, %ecx\n"
     "p_msr_rd:\n"
     "rdmsr\n"
     "outl %eax, $0x80\n"      /* EAX after RDMSR */
     "mov %edx, %eax\n"
     "outl %eax, $0x80\n"      /* EDX after RDMSR */
     "mov $0x11223344, %eax\n"
     "mov $0x55667788, %edx\n"
     "p_msr_wr:\n"
     "wrmsr\n"
     "outl %eax, $0x81\n"      /* after WRMSR */
     "hlt\n"
     "p_msr_hgp:\n"
     "push %bp\n"
     "mov %sp, %bp\n"
     "addw $2, 2(%bp)\n"       /* return past the faulting RDMSR/WRMSR */
     "pop %bp\n"
     "push %ax\n"
     "mov $0x0d, %al\n"
     "out %al, $0x8d\n"
     "pop %ax\n"
     "iret\n")
extern const unsigned char p_msr_rd[], p_msr_wr[], p_msr_hgp[];

/* loaded at 0x1000 */
PROG(p_spin, ".code16\n" "1: jmp 1b\n")
PROG(p_outloop, ".code16\n" "1: out %al, $0x80\n" "jmp 1b\n")
PROG(p_compute,
     ".code16\n"
     "mov $50000000, %ecx\n"
     "1: add %eax, %ebx\n"
     "dec %ecx\n"
     "jnz 1b\n"
     "hlt\n")
PROG(p_track,
     ".code16\n"
     "movw $1, 0x5000\n"
     "mov 0x6000, %ax\n"
     "hlt\n")
PROG(p_outhlt, ".code16\n" "out %al, $0x80\n" "out %al, $0x80\n" "hlt\n")

/* ------------------------------------------------------------------ */
/* harness                                                             */
/* ------------------------------------------------------------------ */
static int passed, failed;
static const char *cur_test;

static void check_(int ok, const char *expr, int line, const char *fmt, ...)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s:%d [%s] %s", cur_test, line, expr, fmt ? "" : "\n");
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs(": ", stderr);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}
#define CHECK(c) check_(!!(c), #c, __LINE__, NULL)
#define CHECKV(c, ...) check_(!!(c), #c, __LINE__, __VA_ARGS__)
#define EQ(a, b)                                                                                   \
	do {                                                                                       \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);    \
		check_(a_ == b_, #a " == " #b, __LINE__, "0x%llx != 0x%llx", a_, b_);              \
	} while (0)

struct guest {
	struct sim_x86_vcpu *vp;
	uint8_t *ram; /* 1 MiB: GPA 0..0xa0000 RWX, 0xc0000 read-only page, 0xc1000.. RWX */
	uint8_t *rom; /* 64 KiB at 0xffff0000 */
	struct hv_message msg;
};

static void *xmap(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static int guest_init(struct guest *g, uint32_t vp_index)
{
	memset(g, 0, sizeof(*g));
	int r = sim_x86_vcpu_create(&g->vp, vp_index);
	if (r)
		return r;
	/* the hypervisor layer gives every VP its partition's features: mshv-ioctls' defaults here */
	sim_x86_vcpu_set_synthetic_features(g->vp, MSHV_DEFAULT_SYNTHETIC_FEATURES);
	if (vp_index != 0) {
		/* an AP starts waiting for INIT-SIPI: these tests start it themselves, as a VMM may */
		union hv_register_value run = {.reg64 = 0};
		sim_x86_vcpu_set_register(g->vp, HV_REGISTER_INTERNAL_ACTIVITY_STATE, &run);
	}
	g->ram = xmap(0x100000);
	g->rom = xmap(0x10000);
	struct sim_mem_slot s[4] = {
		{0, 0xa0000, g->ram, SIM_MEM_READ | SIM_MEM_WRITE | SIM_MEM_EXEC},
		{0xc0000, 0x1000, g->ram + 0xc0000, SIM_MEM_READ | SIM_MEM_EXEC},
		{0xc1000, 0x3f000, g->ram + 0xc1000, SIM_MEM_READ | SIM_MEM_WRITE | SIM_MEM_EXEC},
		{0xffff0000, 0x10000, g->rom, SIM_MEM_READ | SIM_MEM_EXEC},
	};
	return sim_x86_vcpu_set_memory(g->vp, s, 4);
}

static void guest_fini(struct guest *g)
{
	sim_x86_vcpu_destroy(g->vp);
	munmap(g->ram, 0x100000);
	munmap(g->rom, 0x10000);
}

static uint64_t getr(struct guest *g, uint32_t name)
{
	union hv_register_value v;
	uint64_t st = sim_x86_vcpu_get_register(g->vp, name, &v);
	if (st) {
		fprintf(stderr, "get_register 0x%x: status 0x%llx\n", name, (unsigned long long)st);
		failed++;
	}
	return v.reg64;
}

static void setr(struct guest *g, uint32_t name, uint64_t val)
{
	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.reg64 = val;
	if (sim_x86_vcpu_set_register(g->vp, name, &v)) {
		fprintf(stderr, "set_register 0x%x failed\n", name);
		failed++;
	}
}

/* real mode, CS = 0 (base 0), IP = ip, SS:SP = 0:0x7000 */
static void start_real(struct guest *g, const unsigned char *s, const unsigned char *e, uint32_t load)
{
	memcpy(g->ram + load, s, (size_t)(e - s));
	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.segment.base = 0;
	v.segment.limit = 0xffff;
	v.segment.selector = 0;
	v.segment.attributes = 0x9b;
	sim_x86_vcpu_set_register(g->vp, HV_X64_REGISTER_CS, &v);
	setr(g, HV_X64_REGISTER_RIP, load);
	setr(g, HV_X64_REGISTER_RSP, 0x7000);
}

static int run(struct guest *g)
{
	return sim_x86_vcpu_run(g->vp, &g->msg, NULL);
}

static struct hv_x64_io_port_intercept_message *io_of(struct guest *g)
{
	return (struct hv_x64_io_port_intercept_message *)g->msg.u.payload;
}

static void advance(struct guest *g, const struct hv_x64_intercept_message_header *h)
{
	setr(g, HV_X64_REGISTER_RIP, h->rip + h->instruction_length);
}

/* expect a port IO exit; complete it (IN: data into RAX); returns the message */
static struct hv_x64_io_port_intercept_message *expect_io(struct guest *g, int line, uint16_t port, int size,
							  bool in, uint64_t in_data)
{
	int r = run(g);
	struct hv_x64_io_port_intercept_message *io = io_of(g);
	check_(r == 0 && g->msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT, "io exit", line,
	       "run %d, message 0x%x", r, g->msg.header.message_type);
	if (g->msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
		return io;
	check_(io->port_number == port, "port", line, "port 0x%x != 0x%x", io->port_number, port);
	check_(io->access_info.access_size == size, "size", line, "size %d != %d", io->access_info.access_size,
	       size);
	check_(io->header.intercept_access_type == (in ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE),
	       "direction", line, "access %d", io->header.intercept_access_type);
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
		uint64_t rax = getr(g, HV_X64_REGISTER_RAX);
		rax = size == 4 ? (in_data & mask) : ((rax & ~mask) | (in_data & mask));
		setr(g, HV_X64_REGISTER_RAX, rax);
	}
	advance(g, &io->header);
	return io;
}

static void expect_halt(struct guest *g, int line)
{
	int r = run(g);
	check_(r == 0 && g->msg.header.message_type == HVMSG_X64_HALT, "halt", line, "run %d, message 0x%x", r,
	       g->msg.header.message_type);
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */
static void test_reset(void)
{
	struct guest g;
	cur_test = "reset";
	if (guest_init(&g, 0)) {
		CHECK(!"create");
		return;
	}
	union hv_register_value v;
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_CS, &v);
	EQ(v.segment.selector, 0xf000);
	EQ(v.segment.base, 0xffff0000);
	EQ(v.segment.limit, 0xffff);
	EQ(v.segment.attributes, 0x9b);
	EQ(getr(&g, HV_X64_REGISTER_RIP), 0xfff0);
	EQ(getr(&g, HV_X64_REGISTER_RFLAGS), 0x2);
	EQ(getr(&g, HV_X64_REGISTER_CR0), 0x60000010);
	EQ(getr(&g, HV_X64_REGISTER_EFER), 0);
	EQ(getr(&g, HV_X64_REGISTER_APIC_BASE), 0xfee00900);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_DS, &v);
	EQ(v.segment.base, 0);
	EQ(v.segment.attributes, 0x93);
	CHECK(sim_x86_vcpu_get_register(g.vp, 0x7fffffff, &v) == HV_STATUS_INVALID_PARAMETER);

	/* reset vector: mov $0x41,%al; mov $0x3f8,%dx; out %al,%dx; hlt at 0xfffffff0 */
	static const unsigned char rv[] = {0xb0, 0x41, 0xba, 0xf8, 0x03, 0xee, 0xf4};
	memcpy(g.rom + 0xfff0, rv, sizeof(rv));
	int r = run(&g);
	struct hv_x64_io_port_intercept_message *io = io_of(&g);
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_IO_PORT_INTERCEPT);
	EQ(g.msg.header.payload_size, sizeof(*io));
	EQ(io->port_number, 0x3f8);
	EQ(io->access_info.access_size, 1);
	EQ(io->access_info.string_op, 0);
	EQ(io->header.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	EQ(io->rax & 0xff, 0x41);
	EQ(io->header.rip, 0xfff5);
	EQ(io->header.instruction_length, 1);
	EQ(io->header.cs_segment.selector, 0xf000);
	EQ(io->header.cs_segment.base, 0xffff0000);
	EQ(io->header.execution_state.cr0_pe, 0);
	EQ(io->header.execution_state.efer_lma, 0);
	EQ(io->header.execution_state.cpl, 0);
	EQ(io->header.rflags, 0x2);
	EQ(io->header.vp_index, 0);
	EQ(io->instruction_byte_count > 0, 1);
	EQ(io->instruction_bytes[0], 0xee);
	/* not completed: running again repeats the same exit */
	r = run(&g);
	EQ(io_of(&g)->header.rip, 0xfff5);
	advance(&g, &io->header);
	expect_halt(&g, __LINE__);
	EQ(((struct hv_x64_halt_message *)g.msg.u.payload)->header.rip, 0xfff7);
	guest_fini(&g);

	struct guest g2;
	if (!guest_init(&g2, 3)) {
		EQ(getr(&g2, HV_X64_REGISTER_APIC_BASE), 0xfee00800);
		guest_fini(&g2);
	}
}

static void test_io_sizes(void)
{
	struct guest g;
	cur_test = "io-sizes";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_io_start, p_io_end, 0x1000);
	struct hv_x64_io_port_intercept_message *io;
	io = expect_io(&g, __LINE__, 0x60, 1, true, 0xab);
	EQ(io->header.instruction_length, 2);
	EQ(io->header.rip, 0x1000);
	io = expect_io(&g, __LINE__, 0x1234, 2, true, 0xbeef);
	EQ(io->header.instruction_length, 1);
	io = expect_io(&g, __LINE__, 0x70, 4, true, 0xdeadbeef);
	EQ(io->header.instruction_length, 3);
	io = expect_io(&g, __LINE__, 0x80, 2, false, 0);
	EQ(io->rax & 0xffff, 0xbeef);
	io = expect_io(&g, __LINE__, 0x1234, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xdeadbeef);
	EQ(io->header.instruction_length, 2);
	expect_halt(&g, __LINE__);
	EQ(getr(&g, HV_X64_REGISTER_RBX) & 0xff, 0xab);
	EQ(getr(&g, HV_X64_REGISTER_RCX) & 0xffff, 0xbeef);
	EQ(getr(&g, HV_X64_REGISTER_RSI) & 0xffffffff, 0xdeadbeef);
	guest_fini(&g);
}

static void test_string_io(void)
{
	struct guest g;
	cur_test = "string-io";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_str_start, p_str_end, 0x1000);
	memcpy(g.ram + 0x2000, "ABC", 3);
	int r = run(&g);
	struct hv_x64_io_port_intercept_message *io = io_of(&g);
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_IO_PORT_INTERCEPT);
	EQ(io->port_number, 0x3f8);
	EQ(io->access_info.string_op, 1);
	EQ(io->access_info.rep_prefix, 1);
	EQ(io->access_info.access_size, 1);
	EQ(io->rcx, 3);
	EQ(io->rsi, 0x2000);
	EQ(io->ds_segment.base, 0);
	EQ(io->header.instruction_length, 2);
	EQ(io->instruction_bytes[0], 0xf3);
	EQ(io->instruction_bytes[1], 0x6e);
	/* the VMM emulates the whole rep outsb: reads DS:SI, updates RSI/RCX */
	CHECK(!memcmp(g.ram + io->ds_segment.base + io->rsi, "ABC", 3));
	setr(&g, HV_X64_REGISTER_RSI, io->rsi + io->rcx);
	setr(&g, HV_X64_REGISTER_RCX, 0);
	advance(&g, &io->header);
	r = run(&g);
	io = io_of(&g);
	EQ(g.msg.header.message_type, HVMSG_X64_IO_PORT_INTERCEPT);
	EQ(io->port_number, 0x60);
	EQ(io->header.intercept_access_type, HV_INTERCEPT_ACCESS_READ);
	EQ(io->access_info.string_op, 1);
	EQ(io->access_info.rep_prefix, 1);
	EQ(io->access_info.access_size, 2);
	EQ(io->rcx, 2);
	EQ(io->rdi, 0x3000);
	EQ(io->es_segment.base, 0);
	memcpy(g.ram + io->es_segment.base + io->rdi, "\x11\x22\x33\x44", 4);
	setr(&g, HV_X64_REGISTER_RDI, io->rdi + 4);
	setr(&g, HV_X64_REGISTER_RCX, 0);
	advance(&g, &io->header);
	expect_halt(&g, __LINE__);
	EQ(getr(&g, HV_X64_REGISTER_RDI) & 0xffff, 0x3004);
	EQ(getr(&g, HV_X64_REGISTER_RSI) & 0xffff, 0x2003);
	CHECK(!memcmp(g.ram + 0x3000, "\x11\x22\x33\x44", 4));
	guest_fini(&g);
}

static void test_mmio(void)
{
	struct guest g;
	cur_test = "mmio";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_mmio_start, p_mmio_end, 0x1000);
	g.ram[0xc0004] = 0x34;
	g.ram[0xc0005] = 0x12;
	int r = run(&g);
	struct hv_x64_memory_intercept_message *m = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_UNMAPPED_GPA);
	EQ(m->header.intercept_access_type, HV_INTERCEPT_ACCESS_READ);
	EQ(m->guest_physical_address, 0xa0010);
	EQ(m->guest_virtual_address, 0xa0010);
	EQ(m->memory_access_info.gva_valid, 1);
	EQ(m->header.rip, 0x1008);
	EQ(m->header.instruction_length, 0); /* as the hypervisor: unknown for memory intercepts */
	CHECK(m->instruction_byte_count >= 4);
	CHECK(!memcmp(m->instruction_bytes, "\x8b\x1e\x10\x00", 4));
	EQ(getr(&g, HV_X64_REGISTER_RBX) & 0xffff, 0x1111); /* destination unchanged */
	/* the VMM emulates the load */
	setr(&g, HV_X64_REGISTER_RBX, 0x4242);
	setr(&g, HV_X64_REGISTER_RIP, m->header.rip + 4);
	r = run(&g);
	EQ(g.msg.header.message_type, HVMSG_UNMAPPED_GPA);
	EQ(m->header.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	EQ(m->guest_physical_address, 0xa0020);
	EQ(m->header.rip, 0x100c);
	CHECK(!memcmp(m->instruction_bytes, "\xc7\x06\x20\x00\x78\x56", 6));
	setr(&g, HV_X64_REGISTER_RIP, m->header.rip + 6);
	r = run(&g);
	EQ(g.msg.header.message_type, HVMSG_GPA_INTERCEPT);
	EQ(m->header.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	EQ(m->header.instruction_length, 0);
	EQ(m->guest_physical_address, 0xc0000);
	EQ(g.ram[0xc0000], 0); /* the write did not happen */
	EQ(getr(&g, HV_X64_REGISTER_RCX) & 0xffff, 0x1234); /* the read before it did */
	CHECK(!memcmp(m->instruction_bytes, "\x26\xc6\x06\x00\x00\x01", 6));
	setr(&g, HV_X64_REGISTER_RIP, m->header.rip + 6);
	expect_halt(&g, __LINE__);
	EQ(getr(&g, HV_X64_REGISTER_RBX) & 0xffff, 0x4242);
	guest_fini(&g);
}

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void idt64_gate(uint8_t *ram, uint64_t idt, unsigned vec, uint64_t handler)
{
	uint8_t *e = ram + idt + 16 * vec;
	memset(e, 0, 16);
	e[0] = handler & 0xff;
	e[1] = (handler >> 8) & 0xff;
	e[2] = 0x18; /* selector */
	e[5] = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	e[6] = (handler >> 16) & 0xff;
	e[7] = (handler >> 24) & 0xff;
	uint32_t hi = (uint32_t)(handler >> 32);
	memcpy(e + 8, &hi, 4);
}

static void setup_long_mode_tables(struct guest *g)
{
	uint8_t *ram = g->ram;
	/* GDT at 0x500: null, 32-bit code 0x08, data 0x10, 64-bit code 0x18; pointer at 0x5f0 */
	put64(ram, 0x500, 0);
	put64(ram, 0x508, 0x00cf9a000000ffffull);
	put64(ram, 0x510, 0x00cf92000000ffffull);
	put64(ram, 0x518, 0x00af9a000000ffffull);
	ram[0x5f0] = 0x1f;
	ram[0x5f1] = 0;
	put64(ram, 0x5f2, 0x500);
	/* IDT at 0x800, pointer at 0x5e0 */
	ram[0x5e0] = 0xff;
	ram[0x5e1] = 0x0f;
	put64(ram, 0x5e2, 0x800);
	idt64_gate(ram, 0x800, 0, LM_BASE + (uint64_t)(p_lm_hde - p_lm_start));
	idt64_gate(ram, 0x800, 0x30, LM_BASE + (uint64_t)(p_lm_h30 - p_lm_start));
	idt64_gate(ram, 0x800, 0x41, LM_BASE + (uint64_t)(p_lm_h41 - p_lm_start));
	/* 4-level paging: identity 0..2 MiB and the APIC's 2 MiB; 0xffff800000000000 -> 0x20000,
	 * +0x1000 -> 0xa0000 (unmapped GPA), +0x2000 -> 0x1000 (the program) */
	put64(ram, 0x10000, 0x11000 | 3);
	put64(ram, 0x10000 + 256 * 8, 0x13000 | 3);
	put64(ram, 0x11000, 0x12000 | 3);
	put64(ram, 0x11000 + 3 * 8, 0x16000 | 3);
	put64(ram, 0x12000, 0x0 | 0x83);
	put64(ram, 0x16000 + 0x1f7 * 8, 0xfee00000ull | 0x83);
	put64(ram, 0x13000, 0x14000 | 3);
	put64(ram, 0x14000, 0x15000 | 3);
	put64(ram, 0x15000, 0x20000 | 3);
	put64(ram, 0x15008, 0xa0000 | 3);
	put64(ram, 0x15010, 0x1000 | 3);
	put64(ram, 0x20000, 0x1122334455667788ull);
}

static void set_table(struct guest *g, uint32_t name, uint64_t base, uint16_t limit)
{
	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.table.base = base;
	v.table.limit = limit;
	sim_x86_vcpu_set_register(g->vp, name, &v);
}

static void set_seg(struct guest *g, uint32_t name, uint16_t sel, uint16_t attributes)
{
	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.segment.limit = 0xffffffff;
	v.segment.selector = sel;
	v.segment.attributes = attributes;
	sim_x86_vcpu_set_register(g->vp, name, &v);
}

/*
 * Long mode from the start (CR0.WP set), the program at 0x1000, GDT and IDT
 * as setup_long_mode_tables but the IDT's handlers are p_hacc's and IDTR
 * points at HACC_HI + 0x1000. 4-level paging: identity 0..2 MiB and the
 * APIC's 2 MiB; HACC_HI -> 0x20000, +0x1000 -> 0xa0000 (no slot),
 * +0x3000 -> 0xc0000 (read-only slot), +0x5000 -> 0xa0000 through a
 * read-only PTE. The pseudo-descriptor at 0x5d0 gives a GDT at HACC_HI + 0x1000.
 */
static void start_long(struct guest *g, const unsigned char *s, const unsigned char *e, uint32_t load)
{
	uint8_t *ram = g->ram;
	memcpy(ram + load, s, (size_t)(e - s));
	put64(ram, 0x500, 0);
	put64(ram, 0x508, 0x00cf9a000000ffffull);
	put64(ram, 0x510, 0x00cf92000000ffffull);
	put64(ram, 0x518, 0x00af9a000000ffffull);
	ram[0x5d0] = 0x1f;
	ram[0x5d1] = 0;
	put64(ram, 0x5d2, HACC_HI + 0x1000);
	idt64_gate(ram, 0x800, 0, load + (uint64_t)(p_hacc_hde - s));
	idt64_gate(ram, 0x800, 0x21, load + (uint64_t)(p_hacc_h21 - s));
	idt64_gate(ram, 0x800, 0x22, load + (uint64_t)(p_hacc_h22 - s));
	idt64_gate(ram, 0x800, 0x41, load + (uint64_t)(p_hacc_h41 - s));
	put64(ram, 0x10000, 0x11000 | 3);
	put64(ram, 0x10000 + 256 * 8, 0x13000 | 3);
	put64(ram, 0x11000, 0x12000 | 3);
	put64(ram, 0x11000 + 3 * 8, 0x16000 | 3);
	put64(ram, 0x12000, 0x0 | 0x83);
	put64(ram, 0x16000 + 0x1f7 * 8, 0xfee00000ull | 0x83);
	put64(ram, 0x13000, 0x14000 | 3);
	put64(ram, 0x14000, 0x15000 | 3);
	put64(ram, 0x15000, 0x20000 | 3);
	put64(ram, 0x15008, 0xa0000 | 3);
	put64(ram, 0x15018, 0xc0000 | 3);
	put64(ram, 0x15028, 0xa0000 | 1);

	setr(g, HV_X64_REGISTER_EFER, 0x500);
	setr(g, HV_X64_REGISTER_CR4, 0x20);
	setr(g, HV_X64_REGISTER_CR3, 0x10000);
	setr(g, HV_X64_REGISTER_CR0, 0x80010011);
	set_table(g, HV_X64_REGISTER_GDTR, 0x500, 0x1f);
	set_table(g, HV_X64_REGISTER_IDTR, HACC_HI + 0x1000, 0xfff);
	set_seg(g, HV_X64_REGISTER_DS, 0x10, 0xc093);
	set_seg(g, HV_X64_REGISTER_ES, 0x10, 0xc093);
	set_seg(g, HV_X64_REGISTER_SS, 0x10, 0xc093);
	set_seg(g, HV_X64_REGISTER_CS, 0x18, 0xa09b);
	setr(g, HV_X64_REGISTER_RSP, 0x7000);
	setr(g, HV_X64_REGISTER_RIP, load);
}

/* expect a memory intercept of type type and access acc at gpa (gva), at rip */
static struct hv_x64_memory_intercept_message *expect_mem(struct guest *g, int line, uint32_t type, uint8_t acc,
							   uint64_t gva, uint64_t gpa, uint64_t rip)
{
	int r = run(g);
	struct hv_x64_memory_intercept_message *m = (void *)g->msg.u.payload;
	check_(r == 0 && g->msg.header.message_type == type, "memory exit", line, "run %d, message 0x%x", r,
	       g->msg.header.message_type);
	check_(m->header.intercept_access_type == acc, "access", line, "access %d", m->header.intercept_access_type);
	check_(m->guest_physical_address == gpa, "gpa", line, "gpa 0x%llx != 0x%llx",
	       (unsigned long long)m->guest_physical_address, (unsigned long long)gpa);
	check_(m->guest_virtual_address == gva, "gva", line, "gva 0x%llx != 0x%llx",
	       (unsigned long long)m->guest_virtual_address, (unsigned long long)gva);
	check_(m->memory_access_info.gva_valid && m->memory_access_info.gva_gpa_valid, "gva_valid", line, NULL);
	check_(m->header.rip == rip, "rip", line, "rip 0x%llx != 0x%llx", (unsigned long long)m->header.rip,
	       (unsigned long long)rip);
	return m;
}

/* QEMU's own accesses (event delivery, descriptor loads) to memory that is not RAM */
static void test_helper_access(void)
{
	struct guest g;
	cur_test = "helper-access";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_hacc_start, p_hacc_end, 0x1000);
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 14};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
#define HACC(label) (0x1000 + (uint64_t)(label - p_hacc_start))
	struct hv_x64_memory_intercept_message *m;
	struct hv_x64_io_port_intercept_message *io;

	/* INT 0x21: its IDT gate (16 bytes at IDT base + 0x210) is read first */
	m = expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, HACC_HI + 0x1210, 0xa0210,
		       HACC(p_hacc_int21));
	CHECK(m->instruction_byte_count >= 2 && m->instruction_bytes[0] == 0xcd && m->instruction_bytes[1] == 0x21);
	EQ(getr(&g, HV_X64_REGISTER_RSP), 0x7000); /* nothing pushed */
	/* the same again: the VP state is the one before the INT */
	expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, HACC_HI + 0x1210, 0xa0210,
		   HACC(p_hacc_int21));
	set_table(&g, HV_X64_REGISTER_IDTR, 0x800, 0xfff);
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 0x21);
	EQ(getr(&g, HV_X64_REGISTER_RSP), 0x7000 - 40);

	/* #DE with RSP in a page over GPA 0xa0000: the first write is SS, at the (aligned) RSP - 8 */
	m = expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, HACC_HI + 0x1ff8, 0xa0ff8,
		       HACC(p_hacc_div));
	CHECK(m->instruction_bytes[0] == 0xf7);
	EQ(getr(&g, HV_X64_REGISTER_RSP), HACC_HI + 0x2000);
	EQ(getr(&g, HV_X64_REGISTER_RCX), 0);
	setr(&g, HV_X64_REGISTER_RSP, 0x7000); /* the VMM moves the stack: the #DE is delivered now */
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 0);
	io = expect_io(&g, __LINE__, 0x84, 4, false, 0);
	EQ(io->rax & 0xffffffff, 7);

	/* INT 0x22 with the stack in the read-only slot: GPA intercept, nothing written */
	m = expect_mem(&g, __LINE__, HVMSG_GPA_INTERCEPT, HV_INTERCEPT_ACCESS_WRITE, HACC_HI + 0x3ff8, 0xc0ff8,
		       HACC(p_hacc_int22));
	for (int i = 0xfd8; i < 0x1000; i++)
		CHECKV(g.ram[0xc0000 + i] == 0, "read-only slot written at 0x%x", i);
	setr(&g, HV_X64_REGISTER_RSP, 0x7000);
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 0x22);

	/* MOV to DS with the GDT under HACC_HI + 0x1000: read of the descriptor */
	m = expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, HACC_HI + 0x1010, 0xa0010,
		       HACC(p_hacc_movds));
	CHECK(m->instruction_bytes[0] == 0x8e);
	set_table(&g, HV_X64_REGISTER_GDTR, 0x500, 0x1f);
	io = expect_io(&g, __LINE__, 0x85, 1, false, 0);
	EQ(io->rax & 0xff, 0x10);

	/* a write through a read-only PTE (CR0.WP) is a #PF, even where the page maps no RAM */
	int r = run(&g);
	struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	EQ(x->exception_vector, 14);
	EQ(x->error_code, 3); /* present, write */
	EQ(x->exception_parameter, HACC_HI + 0x5000);
	EQ(x->header.rip, HACC(p_hacc_pf));
	setr(&g, HV_X64_REGISTER_RIP, x->header.rip + 6); /* c7 03 imm32 */

	/* FXSAVE (a helper inside a translation block) to a page over GPA 0xa0000 */
	m = expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, HACC_HI + 0x1000, 0xa0000,
		       HACC(p_hacc_fxsave));
	CHECK(m->instruction_byte_count >= 3 && !memcmp(m->instruction_bytes, "\x0f\xae\x03", 3));
	setr(&g, HV_X64_REGISTER_RIP, m->header.rip + 3); /* the VMM skips it */

	/* an external interrupt whose frame goes to a page over GPA 0xa0000: it stays pending */
	expect_halt(&g, __LINE__);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x41, false), 0);
	setr(&g, HV_X64_REGISTER_RSP, HACC_HI + 0x2000);
	expect_mem(&g, __LINE__, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, HACC_HI + 0x1ff8, 0xa0ff8,
		   HACC(p_hacc_hlt_next));
	uint8_t lapic[4096];
	size_t len = sizeof(lapic);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, lapic, &len), 0);
	const struct hv_local_interrupt_controller_state *ls = (const void *)lapic;
	EQ(ls->apic_irr[2], 1u << 1); /* vector 0x41 still requested, not in service */
	EQ(ls->apic_isr[2], 0);
	setr(&g, HV_X64_REGISTER_RSP, 0x7000);
	io = expect_io(&g, __LINE__, 0x81, 1, false, 0);
	EQ(io->rax & 0xff, 0x41);
	io = expect_io(&g, __LINE__, 0x86, 1, false, 0);
	EQ(io->header.rip, HACC(p_hacc_hlt_next));
	expect_halt(&g, __LINE__);
#undef HACC
	guest_fini(&g);
}

static void test_long_mode(void)
{
	struct guest g;
	cur_test = "long-mode";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	setup_long_mode_tables(&g);
	start_real(&g, p_lm_start, p_lm_end, LM_BASE);
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 6};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);

	struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x3f8, 1, false, 0);
	EQ(io->rax & 0xff, 0x50);
	EQ(io->header.execution_state.cr0_pe, 1);
	EQ(io->header.execution_state.efer_lma, 0);
	EQ(io->header.cs_segment.selector, 0x08);
	EQ(io->header.cs_segment._default, 1);
	io = expect_io(&g, __LINE__, 0x3f8, 1, false, 0);
	EQ(io->rax & 0xff, 0x4c);
	EQ(io->header.execution_state.efer_lma, 1);
	EQ(io->header.cs_segment._long, 1);
	CHECK((getr(&g, HV_X64_REGISTER_EFER) & 0x500) == 0x500);
	io = expect_io(&g, __LINE__, 0x3f8, 4, false, 0);
	EQ(io->rax, 0x1122334455667788ull);
	EQ(io->header.rip >> 32, 0xffff8000);
	EQ(io->header.rip, LM_HI + (uint64_t)(p_lm_hi - p_lm_start) + 3); /* after mov (%rbx),%rax */

	int r = run(&g);
	struct hv_x64_memory_intercept_message *m = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_UNMAPPED_GPA);
	EQ(m->header.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	EQ(m->guest_virtual_address, 0xffff800000001000ull);
	EQ(m->guest_physical_address, 0xa0000);
	EQ(m->instruction_bytes[0], 0xc7);
	setr(&g, HV_X64_REGISTER_RIP, m->header.rip + 10); /* movl $imm32, disp32(%rbx): c7 83 d32 i32 */

	uint32_t result;
	uint64_t gpa;
	sim_x86_vcpu_translate_gva(g.vp, 0xffff800000000008ull, HV_TRANSLATE_GVA_VALIDATE_READ, &result, &gpa);
	EQ(result, HV_TRANSLATE_GVA_SUCCESS);
	EQ(gpa, 0x20008);
	sim_x86_vcpu_translate_gva(g.vp, 0xffff800000005000ull, HV_TRANSLATE_GVA_VALIDATE_READ, &result, &gpa);
	EQ(result, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
	sim_x86_vcpu_translate_gva(g.vp, 0xffff800000001000ull, HV_TRANSLATE_GVA_VALIDATE_READ, &result, &gpa);
	EQ(result, HV_TRANSLATE_GVA_GPA_UNMAPPED);

	io = expect_io(&g, __LINE__, 0x80, 1, false, 0); /* INT 0x30 handler */
	EQ(io->rax & 0xff, 0x30);
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0); /* #DE handler */
	EQ(io->rax & 0xff, 0);
	io = expect_io(&g, __LINE__, 0x84, 4, false, 0);
	EQ(io->rax & 0xffffffff, 7);

	r = run(&g);
	struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	EQ(x->exception_vector, 6);
	EQ(x->instruction_bytes[0], 0x0f);
	EQ(x->instruction_bytes[1], 0x0b);
	EQ(x->exception_info.error_code_valid, 0);
	EQ(x->rax, 7);
	setr(&g, HV_X64_REGISTER_RIP, x->header.rip + 2);

	io = expect_io(&g, __LINE__, 0x85, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0); /* APIC ID of VP 0 */
	io = expect_io(&g, __LINE__, 0x85, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x50014);
	io = expect_io(&g, __LINE__, 0x85, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x20);
	expect_halt(&g, __LINE__);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x41, false), 0);
	io = expect_io(&g, __LINE__, 0x81, 1, false, 0);
	EQ(io->rax & 0xff, 0x41);
	io = expect_io(&g, __LINE__, 0x82, 1, false, 0);
	/* EOI cleared the in-service bit */
	uint8_t lapic[8192];
	size_t len = sizeof(lapic);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, lapic, &len), 0);
	const struct hv_local_interrupt_controller_state *ls = (const void *)lapic;
	EQ(ls->apic_isr[2], 0);
	EQ(ls->apic_irr[2], 0);
	expect_halt(&g, __LINE__);
	guest_fini(&g);
}

/*
 * loaded at 0x1000, started in long mode (start_long): APIC-page reads of
 * every size at offsets that are not a register's first dword, and writes
 * the APIC drops. Each value is reported through OUT 0x80.
 */
PROG(p_apicsub,
     ".code64\n"
     "mov $0xfee00000, %esi\n"
     "movl $0x5a, 0x80(%rsi)\n"  /* TPR 0x5a */
     "mov $-1, %rax\n"
     "movb 0x8f(%rsi), %al\n"    /* byte 15 of the TPR slot: 0 */
     "out %eax, $0x80\n"
     "movzbl 0x80(%rsi), %eax\n" /* byte 0: 0x5a */
     "out %eax, $0x80\n"
     "movzwl 0x31(%rsi), %eax\n" /* version 0x50014, bytes 1-2: 0x500 */
     "out %eax, $0x80\n"
     "movzwl 0x33(%rsi), %eax\n" /* byte 3 and byte 4 (reserved): 0 */
     "out %eax, $0x80\n"
     "mov 0x2c(%rsi), %rax\n"    /* ID slot bytes 12-15, version 0-3 */
     "out %eax, $0x80\n"
     "mov 0x84(%rsi), %rax\n"    /* TPR slot bytes 4-11: 0 */
     "out %eax, $0x80\n"
     "mov 0x7f(%rsi), %rax\n"    /* byte 15 of 0x70, TPR 0-3, bytes 4-6 */
     "out %eax, $0x80\n"
     "mov 0xff8(%rsi), %rax\n"   /* the page's last 8 bytes (reserved): 0 */
     "out %eax, $0x80\n"
     "mov 0x480(%rsi), %eax\n"   /* past the registers: 0, not the TPR */
     "out %eax, $0x80\n"
     "movl $0x20, 0x480(%rsi)\n" /* dropped: not the TPR */
     "movb $0x30, 0x80(%rsi)\n"  /* dropped: not 32 bits */
     "movl $0x40, 0x84(%rsi)\n"  /* dropped: not on 16 bytes */
     "mov 0x80(%rsi), %eax\n"    /* TPR still 0x5a */
     "out %eax, $0x80\n"
     "hlt\n")

/* Any size and offset of a guest access to the APIC page has one defined result */
static void test_apic_subdword(void)
{
	static const uint64_t want[] = {
		0xffffffffffffff00ull, 0x5a, 0x500, 0, 0x0005001400000000ull, 0, 0x5a00, 0, 0, 0x5a,
	};
	struct guest g;
	cur_test = "apic-subdword";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_apicsub_start, p_apicsub_end, 0x1000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
		check_(io->rax == want[i], "value", __LINE__, "read %zu: 0x%llx != 0x%llx", i,
		       (unsigned long long)io->rax, (unsigned long long)want[i]);
	}
	expect_halt(&g, __LINE__);
	guest_fini(&g);
}

/* Guest MOV to/from CR8 is the local APIC's TPR, for the guest, the APIC page and the VMM */
static void test_cr8_tpr(void)
{
	struct guest g;
	cur_test = "cr8-tpr";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
#define CR8A(label) (0x1000 + (uint64_t)(label - p_cr8_start))
	start_long(&g, p_cr8_start, p_cr8_end, 0x1000);
	idt64_gate(g.ram, 0x800, 0x41, CR8A(p_cr8_h41));
	set_table(&g, HV_X64_REGISTER_IDTR, 0x800, 0xfff);
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 13};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	struct hv_x64_io_port_intercept_message *io;

	/* the guest's CR8 write is the APIC's TPR, and its CR8 read gives it back */
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x50);
	EQ(getr(&g, HV_X64_REGISTER_CR8), 5);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax, 5);
	/* a TPR write through the APIC page shows in CR8 */
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax, 3);
	EQ(getr(&g, HV_X64_REGISTER_CR8), 3);
	/* and so does one of the VMM's through the register interface */
	setr(&g, HV_X64_REGISTER_CR8, 9);
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax, 9);
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x90);

	/* a reserved bit: #GP(0) at the MOV, TPR unchanged */
	int r = run(&g);
	struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	EQ(x->exception_vector, 13);
	EQ(x->exception_info.error_code_valid, 1);
	EQ(x->error_code, 0);
	EQ(x->header.rip, CR8A(p_cr8_gp));
	CHECK(x->instruction_byte_count >= 4 && !memcmp(x->instruction_bytes, "\x44\x0f\x22\xc0", 4));
	setr(&g, HV_X64_REGISTER_RIP, x->header.rip + 4); /* the VMM skips it */
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x90);
	EQ(getr(&g, HV_X64_REGISTER_CR8), 9);

	/* CR8 15 masks vector 0x41; so does 4; lowering CR8 to 0 lets it in at once */
	expect_io(&g, __LINE__, 0x82, 1, false, 0);
	EQ(getr(&g, HV_X64_REGISTER_CR8), 15);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x41, false), 0);
	io = expect_io(&g, __LINE__, 0x83, 1, false, 0);
	io = expect_io(&g, __LINE__, 0x83, 1, false, 0);
	EQ(getr(&g, HV_X64_REGISTER_CR8), 4);
	uint8_t lapic[4096];
	size_t len = sizeof(lapic);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, lapic, &len), 0);
	const struct hv_local_interrupt_controller_state *ls = (const void *)lapic;
	EQ(ls->apic_irr[2], 1u << 1); /* vector 0x41 requested, not taken */
	EQ(ls->apic_isr[2], 0);
	io = expect_io(&g, __LINE__, 0x85, 1, false, 0);
	EQ(io->header.rip, CR8A(p_cr8_h41_out));
	EQ(getr(&g, HV_X64_REGISTER_CR8), 0);
	EQ(getr(&g, HV_X64_REGISTER_RSP), 0x7000 - 40);
	uint64_t ret_rip;
	memcpy(&ret_rip, g.ram + 0x7000 - 40, 8);
	EQ(ret_rip, CR8A(p_cr8_after)); /* interrupted right after the MOV to CR8 */
	len = sizeof(lapic);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, lapic, &len), 0);
	EQ(ls->apic_irr[2], 0);
	EQ(ls->apic_isr[2], 1u << 1);
	io = expect_io(&g, __LINE__, 0x84, 1, false, 0);
	EQ(io->header.rip, CR8A(p_cr8_after));
	len = sizeof(lapic);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, lapic, &len), 0);
	EQ(ls->apic_isr[2], 0); /* EOI */
	expect_halt(&g, __LINE__);
#undef CR8A
	guest_fini(&g);
}

/* The real-mode interrupt guest at 0x1000, its handlers in the IVT (segment 0). */
static void start_rmint(struct guest *g)
{
	uint16_t ivt[256 * 2];

	start_real(g, p_rmint_start, p_rmint_end, 0x1000);
	memset(ivt, 0, sizeof(ivt));
	ivt[0x21 * 2] = (uint16_t)(0x1000 + (p_rmint_h21 - p_rmint_start));
	ivt[3 * 2] = (uint16_t)(0x1000 + (p_rmint_h3 - p_rmint_start));
	ivt[0 * 2] = (uint16_t)(0x1000 + (p_rmint_hde - p_rmint_start));
	ivt[0x40 * 2] = (uint16_t)(0x1000 + (p_rmint_h40 - p_rmint_start));
	memcpy(g->ram, ivt, sizeof(ivt));
}

static void test_real_mode_interrupts(void)
{
	struct guest g;
	cur_test = "real-mode-interrupts";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_rmint(&g);
	struct hv_x64_io_port_intercept_message *io;
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 0x21);
	EQ(getr(&g, HV_X64_REGISTER_RSP), 0x7000 - 6); /* FLAGS, CS, IP pushed */
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 3);
	io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xff, 0);
	io = expect_io(&g, __LINE__, 0x84, 1, false, 0);
	EQ(io->rax & 0xff, 10);
	expect_halt(&g, __LINE__);
	uint64_t rip_after_hlt = getr(&g, HV_X64_REGISTER_RIP);
	/* still halted, nothing asserted: a kick ends the wait */
	sim_x86_vcpu_kick(g.vp);
	EQ(run(&g), -EINTR);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x40, false), 0);
	io = expect_io(&g, __LINE__, 0x81, 1, false, 0);
	EQ(io->rax & 0xff, 0x40);
	io = expect_io(&g, __LINE__, 0x82, 1, false, 0);
	EQ(io->header.rip, rip_after_hlt);
	expect_halt(&g, __LINE__);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 3, false), HV_STATUS_INVALID_PARAMETER);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_SMI, 0x30, false), HV_STATUS_INVALID_PARAMETER);
	guest_fini(&g);
}

struct waker {
	struct guest *g;
	int delay_ms;
	int what; /* 0 kick, 1 interrupt 0x40 */
};

static void *waker_thread(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = {0, w->delay_ms * 1000000L};
	nanosleep(&ts, NULL);
	if (w->what == 0)
		sim_x86_vcpu_kick(w->g->vp);
	else
		sim_x86_vcpu_assert_interrupt(w->g->vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x40, false);
	return NULL;
}

static void test_async_wake(void)
{
	struct guest g;
	cur_test = "async-wake";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_rmint(&g);
	for (int i = 0; i < 4; i++)
		expect_io(&g, __LINE__, i == 3 ? 0x84 : 0x80, 1, false, 0);
	expect_halt(&g, __LINE__);
	/* the halted VP sleeps in run() until another thread asserts the interrupt */
	pthread_t t;
	struct waker w = {&g, 50, 1};
	pthread_create(&t, NULL, waker_thread, &w);
	expect_io(&g, __LINE__, 0x81, 1, false, 0);
	pthread_join(t, NULL);

	/* kick a spinning guest from another thread */
	start_real(&g, p_spin_start, p_spin_end, 0x4000);
	w.what = 0;
	pthread_create(&t, NULL, waker_thread, &w);
	EQ(run(&g), -EINTR);
	pthread_join(t, NULL);
	/* a kick before run is consumed by that run */
	sim_x86_vcpu_kick(g.vp);
	EQ(run(&g), -EINTR);
	guest_fini(&g);
}

/*
 * A watchdog for guests that might loop forever when the CPU model is
 * wrong: it kicks the VP after ms milliseconds (the run then gives
 * -EINTR, which the test reports) unless stopped first.
 */
struct watchdog {
	pthread_t t;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	int ms;
	struct sim_x86_vcpu *vp;
};

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += w->ms / 1000;
	ts.tv_nsec += (w->ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT) {
			sim_x86_vcpu_kick(w->vp);
			ts.tv_sec++; /* and again each second, in case a run started after the kick was consumed */
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void watchdog_start(struct watchdog *w, struct sim_x86_vcpu *vp, int ms)
{
	w->stop = false;
	w->ms = ms;
	w->vp = vp;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_create(&w->t, NULL, watchdog_thread, w);
}

static void watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->t, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

/* APIC writes in the middle of a block: no instruction twice, the interrupt right after the write */
static void test_apic_write_in_block(void)
{
	struct guest g;
	struct watchdog wd;
	struct hv_x64_io_port_intercept_message *io;
	cur_test = "apic-write-in-block";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
#define ABA(label) (0x1000 + (uint64_t)(label - p_apicblk_start))
	start_long(&g, p_apicblk_start, p_apicblk_end, 0x1000);
	idt64_gate(g.ram, 0x800, 0x41, ABA(p_apicblk_h41));
	idt64_gate(g.ram, 0x800, 0x42, ABA(p_apicblk_h42));
	set_table(&g, HV_X64_REGISTER_IDTR, 0x800, 0xfff);
	watchdog_start(&wd, g.vp, 3000);

	expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(sim_x86_vcpu_assert_interrupt(g.vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x41, false), 0);
	/* lowering TPR through the APIC page lets 0x41 in right after that MOV */
	io = expect_io(&g, __LINE__, 0x90, 4, false, 0);
	EQ(io->rax & 0xffffffff, ABA(p_apicblk_after_tpr));
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax & 0xffffffff, 8); /* the ADD before it ran once */
	if (g.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
		goto out;

	/* a self IPI is taken right after the ICR write, once */
	expect_io(&g, __LINE__, 0x82, 1, false, 0);
	io = expect_io(&g, __LINE__, 0x91, 4, false, 0);
	EQ(io->rax & 0xffffffff, ABA(p_apicblk_after_ipi));
	io = expect_io(&g, __LINE__, 0x83, 4, false, 0);
	EQ(io->rax & 0xffffffff, 1);
	io = expect_io(&g, __LINE__, 0x84, 4, false, 0);
	EQ(io->rax & 0xffffffff, 2);
	if (g.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
		goto out;

	/* with IF clear it stays pending (the guest goes on), and is taken after STI's shadow */
	expect_io(&g, __LINE__, 0x85, 1, false, 0);
	io = expect_io(&g, __LINE__, 0x86, 4, false, 0);
	EQ(io->rax & 0xffffffff, 1);
	io = expect_io(&g, __LINE__, 0x91, 4, false, 0);
	EQ(io->rax & 0xffffffff, ABA(p_apicblk_after_sti));
	io = expect_io(&g, __LINE__, 0x87, 4, false, 0);
	EQ(io->rax & 0xffffffff, 2);
	io = expect_io(&g, __LINE__, 0x88, 4, false, 0);
	EQ(io->rax & 0xffffffff, 4);
	expect_halt(&g, __LINE__);
out:
	watchdog_stop(&wd);
#undef ABA
	guest_fini(&g);
}

struct hammer {
	struct sim_x86_vcpu *vp;
	atomic_bool stop;
	atomic_ulong asserts, kicks;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	for (unsigned long i = 0; !atomic_load(&h->stop); i++) {
		if (i % 8 == 7) {
			sim_x86_vcpu_kick(h->vp);
			h->kicks++;
		} else {
			sim_x86_vcpu_assert_interrupt(h->vp, HV_X64_INTERRUPT_TYPE_FIXED, 0x43, false);
			h->asserts++;
		}
	}
	return NULL;
}

/* Interrupts asserted and kicks from another thread, at any moment, leave the guest's computation intact */
static void test_async_hammer(void)
{
	struct guest g;
	struct hammer h = {0};
	pthread_t t;
	enum { NBYTES = 8192, PASSES = 60 };
	static uint64_t shadow[NBYTES];
	cur_test = "async-hammer";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_csum_start, p_csum_end, 0x1000);
	idt64_gate(g.ram, 0x800, 0x43, 0x1000 + (uint64_t)(p_csum_h43 - p_csum_start));
	set_table(&g, HV_X64_REGISTER_IDTR, 0x800, 0xfff);
	for (int i = 0; i < NBYTES; i++)
		g.ram[0x30000 + i] = (uint8_t)(i * 151 + 7);
	memset(g.ram + 0x40000, 0, NBYTES * 8);
	memset(shadow, 0, sizeof(shadow));

	h.vp = g.vp;
	pthread_create(&t, NULL, hammer_thread, &h);
	/* on a loaded machine the thread may start late: the passes begin once it hammers */
	for (int i = 0; i < 5000 && atomic_load(&h.kicks) == 0; i++)
		usleep(1000);
	unsigned long eintr = 0;
	int bad = 0;
	for (int pass = 0; pass < PASSES && !bad; pass++) {
		uint64_t want = 0;
		for (int i = 0; i < NBYTES; i++) {
			want = want * 31 + g.ram[0x30000 + i];
			shadow[i] ^= want;
			want += shadow[i];
		}
		int r;
		while ((r = run(&g)) == -EINTR)
			eintr++;
		struct hv_x64_io_port_intercept_message *io = io_of(&g);
		if (r || g.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT || io->port_number != 0x80) {
			CHECKV(0, "pass %d: run %d, message 0x%x", pass, r, g.msg.header.message_type);
			bad = 1;
			break;
		}
		uint64_t rax = getr(&g, HV_X64_REGISTER_RAX);
		CHECKV(rax == want, "pass %d: checksum 0x%llx, expected 0x%llx", pass, (unsigned long long)rax,
		       (unsigned long long)want);
		bad = rax != want;
		advance(&g, &io->header);
	}
	atomic_store(&h.stop, true);
	pthread_join(t, NULL);
	uint64_t taken;
	memcpy(&taken, g.ram + 0x600, 8);
	CHECKV(taken > 0, "no interrupt taken (%lu asserted)", atomic_load(&h.asserts));
	CHECKV(eintr > 0, "no kick seen (%lu kicks)", atomic_load(&h.kicks));
	if (getenv("X86_VCPU_TEST_VERBOSE"))
		printf("async-hammer: %lu asserts, %lu kicks, %llu interrupts taken, %lu runs kicked\n",
		       atomic_load(&h.asserts), atomic_load(&h.kicks), (unsigned long long)taken, eintr);
	guest_fini(&g);
}

/* expect an intercepted exception of vector vec at rip */
static struct hv_x64_exception_intercept_message *expect_exc(struct guest *g, int line, uint8_t vec, uint64_t rip)
{
	int r = run(g);
	struct hv_x64_exception_intercept_message *x = (void *)g->msg.u.payload;
	check_(r == 0 && g->msg.header.message_type == HVMSG_X64_EXCEPTION_INTERCEPT, "exception exit", line,
	       "run %d, message 0x%x", r, g->msg.header.message_type);
	check_(x->exception_vector == vec, "vector", line, "vector %u != %u", x->exception_vector, vec);
	check_(x->header.rip == rip, "rip", line, "rip 0x%llx != 0x%llx", (unsigned long long)x->header.rip,
	       (unsigned long long)rip);
	return x;
}

/* MOV to DR0-DR7: the architectural checks; breakpoints are not modelled (and do not crash) */
static void test_debug_registers(void)
{
	struct guest g;
	struct hv_x64_io_port_intercept_message *io;
	cur_test = "debug-registers";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
#define DRA(label) (0x1000 + (uint64_t)(label - p_dr_start))
	start_long(&g, p_dr_start, p_dr_end, 0x1000);
	struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 1) | (1u << 6) | (1u << 13)};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x403);
	EQ(getr(&g, HV_X64_REGISTER_DR0), DRA(p_dr_bp));
	EQ(getr(&g, HV_X64_REGISTER_DR7), 0x403);
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0); /* no #DB at the breakpoint */
	EQ(io->rax & 0xffffffff, 0x3240a);
	struct hv_x64_exception_intercept_message *x = expect_exc(&g, __LINE__, 13, DRA(p_dr_gp));
	EQ(x->exception_info.error_code_valid, 1);
	EQ(x->error_code, 0);
	EQ(getr(&g, HV_X64_REGISTER_DR7), 0x400);
	setr(&g, HV_X64_REGISTER_RIP, DRA(p_dr_gp) + 3);
	io = expect_io(&g, __LINE__, 0x82, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xffff0ff0);
	io = expect_io(&g, __LINE__, 0x83, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xffffefff);
	expect_exc(&g, __LINE__, 6, DRA(p_dr_ud));
#undef DRA
	guest_fini(&g);
}

/*
 * One instruction sequence in long mode (start_long: CR0 0x80010011, CR4
 * PAE, EFER LME|LMA, CPL 0, #GP/#UD/#PF intercepted), copied to 0x1000 and
 * followed by HLT. want: the vector expected at code offset at (with error
 * code ec), or -1 for none (the HLT is reached).
 */
struct snip {
	const char *name;
	const uint8_t *code;
	size_t len;
	int at;
	int want;
	uint32_t ec;
};

static struct guest snip_guest;

static bool run_snip(const struct snip *t, int line)
{
	struct guest *g = &snip_guest;
	uint8_t buf[64];
	if (guest_init(g, 0)) {
		check_(0, "create", line, NULL);
		return false;
	}
	memcpy(buf, t->code, t->len);
	buf[t->len] = 0xf4;
	start_long(g, buf, buf + t->len + 1, 0x1000);
	struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13) | (1u << 14)};
	sim_x86_vcpu_set_intercepts(g->vp, &ic);
	int r = run(g);
	struct hv_x64_exception_intercept_message *x = (void *)g->msg.u.payload;
	bool ok;
	if (t->want < 0) {
		ok = r == 0 && g->msg.header.message_type == HVMSG_X64_HALT;
		check_(ok, t->name, line, "run %d, message 0x%x (vector %u at 0x%llx)", r, g->msg.header.message_type,
		       x->exception_vector, (unsigned long long)x->header.rip);
	} else {
		ok = r == 0 && g->msg.header.message_type == HVMSG_X64_EXCEPTION_INTERCEPT &&
		     x->exception_vector == t->want && x->header.rip == 0x1000u + (unsigned)t->at &&
		     (!x->exception_info.error_code_valid || x->error_code == t->ec);
		check_(ok, t->name, line, "run %d, message 0x%x, vector %u, rip 0x%llx, error code 0x%x", r,
		       g->msg.header.message_type, x->exception_vector, (unsigned long long)x->header.rip,
		       x->error_code);
	}
	return ok;
}

#define MOVABS_RAX(v) 0x48, 0xb8, (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24), \
	(uint8_t)((uint64_t)(v) >> 32), (uint8_t)((uint64_t)(v) >> 40), (uint8_t)((uint64_t)(v) >> 48), (uint8_t)((uint64_t)(v) >> 56)
#define MOV_RAX_CR0 0x0f, 0x22, 0xc0
#define MOV_RAX_CR4 0x0f, 0x22, 0xe0
#define SNIP(nm, at_, want_, ec_, ...)                                                          \
	do {                                                                                    \
		static const uint8_t c_[] = {__VA_ARGS__};                                      \
		struct snip t_ = {nm, c_, sizeof(c_), at_, want_, ec_};                         \
		run_snip(&t_, __LINE__);                                                        \
		guest_fini(&snip_guest);                                                        \
	} while (0)

/* MOV to CR4: reserved and unsupported bits #GP (unicorn 2.0.1 dropped or kept them silently) */
static void test_cr4_checks(void)
{
	cur_test = "cr4-checks";
	SNIP("PCIDE without CPUID.PCID", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 17)), MOV_RAX_CR4);
	SNIP("LA57 in long mode", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 12)), MOV_RAX_CR4);
	SNIP("PKE without PKU", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 22)), MOV_RAX_CR4);
	SNIP("SMEP without SMEP", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 20)), MOV_RAX_CR4);
	SNIP("FSGSBASE without FSGSBASE", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 16)), MOV_RAX_CR4);
	SNIP("VME without VME", 10, 13, 0, MOVABS_RAX(0x20 | 1ull), MOV_RAX_CR4);
	SNIP("bit 15", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 15)), MOV_RAX_CR4);
	SNIP("bit 28", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 28)), MOV_RAX_CR4);
	SNIP("bit 63", 10, 13, 0, MOVABS_RAX(0x20 | (1ull << 63)), MOV_RAX_CR4);
	SNIP("PAE cleared in long mode", 10, 13, 0, MOVABS_RAX(0), MOV_RAX_CR4);
	SNIP("supported: PGE OSFXSR OSXMMEXCPT SMAP OSXSAVE", -1, -1, 0,
	     MOVABS_RAX(0x20 | 0x80 | 0x200 | 0x400 | (1ull << 21) | (1ull << 18)), MOV_RAX_CR4);
	/* the rejected value left CR4 as it was */
	{
		static const uint8_t c[] = {MOVABS_RAX(0x20 | (1ull << 28)), MOV_RAX_CR4};
		struct snip t = {"CR4 unchanged", c, sizeof(c), 10, 13, 0};
		if (run_snip(&t, __LINE__))
			EQ(getr(&snip_guest, HV_X64_REGISTER_CR4), 0x20);
		guest_fini(&snip_guest);
	}
}

/* MOV to CR0: bits 63:32, clearing PG in 64-bit mode, PG without PE, NW without CD */
static void test_cr0_checks(void)
{
	cur_test = "cr0-checks";
	SNIP("bit 32", 10, 13, 0, MOVABS_RAX(0x180010011ull), MOV_RAX_CR0);
	SNIP("bit 63", 10, 13, 0, MOVABS_RAX(0x8000000080010011ull), MOV_RAX_CR0);
	SNIP("PG cleared in 64-bit mode", 10, 13, 0, MOVABS_RAX(0x00010011ull), MOV_RAX_CR0);
	SNIP("PG without PE", 10, 13, 0, MOVABS_RAX(0x80010010ull), MOV_RAX_CR0);
	SNIP("NW without CD", 10, 13, 0, MOVABS_RAX(0xa0010011ull), MOV_RAX_CR0);
	SNIP("MP and CD NW", -1, -1, 0, MOVABS_RAX(0xe0010013ull), MOV_RAX_CR0);
	{
		static const uint8_t c[] = {MOVABS_RAX(0x00010011ull), MOV_RAX_CR0};
		struct snip t = {"still in long mode", c, sizeof(c), 10, 13, 0};
		if (run_snip(&t, __LINE__)) {
			EQ(getr(&snip_guest, HV_X64_REGISTER_CR0), 0x80010011);
			EQ(getr(&snip_guest, HV_X64_REGISTER_EFER), 0x500);
		}
		guest_fini(&snip_guest);
	}
}

/* WRMSR of a non-canonical address to the base and entry-point MSRs */
static void test_wrmsr_canonical(void)
{
	cur_test = "wrmsr-canonical";
	/* mov $msr,%ecx; mov $lo,%eax; mov $hi,%edx; wrmsr */
#define WRMSR_SNIP(msr, lo, hi) 0xb9, (uint8_t)(msr), (uint8_t)((msr) >> 8), (uint8_t)((msr) >> 16), \
	(uint8_t)((msr) >> 24), 0xb8, (uint8_t)(lo), (uint8_t)((lo) >> 8), (uint8_t)((lo) >> 16), (uint8_t)((lo) >> 24), \
	0xba, (uint8_t)(hi), (uint8_t)((hi) >> 8), (uint8_t)((hi) >> 16), (uint8_t)((hi) >> 24), 0x0f, 0x30
	SNIP("FS_BASE", 15, 13, 0, WRMSR_SNIP(0xc0000100u, 0x1000u, 0x8000u));
	SNIP("GS_BASE", 15, 13, 0, WRMSR_SNIP(0xc0000101u, 0u, 0xffff0000u));
	SNIP("KERNEL_GS_BASE", 15, 13, 0, WRMSR_SNIP(0xc0000102u, 0u, 0x00010000u));
	SNIP("LSTAR", 15, 13, 0, WRMSR_SNIP(0xc0000082u, 0u, 0x7fff0000u));
	SNIP("GS_BASE canonical high", -1, -1, 0, WRMSR_SNIP(0xc0000101u, 0x1000u, 0xffff8000u));
	{
		static const uint8_t c[] = {WRMSR_SNIP(0xc0000100u, 0x2000u, 0x7fffu)};
		struct snip t = {"FS_BASE canonical", c, sizeof(c), -1, -1, 0};
		if (run_snip(&t, __LINE__)) {
			union hv_register_value v;
			sim_x86_vcpu_get_register(snip_guest.vp, HV_X64_REGISTER_FS, &v);
			EQ(v.segment.base, 0x7fff00002000ull);
		}
		guest_fini(&snip_guest);
	}
#undef WRMSR_SNIP
}

/* LTR and LLDT in long mode: a descriptor with a non-canonical base is #GP(selector); LTR 0 is #GP(0) */
static void test_ltr_lldt_canonical(void)
{
	static const uint8_t ltr20[] = {0xb8, 0x20, 0, 0, 0, 0x0f, 0x00, 0xd8, 0xf4};  /* mov $0x20,%eax; ltr %ax */
	static const uint8_t lldt30[] = {0xb8, 0x30, 0, 0, 0, 0x0f, 0x00, 0xd0, 0xf4}; /* mov $0x30,%eax; lldt %ax */
	cur_test = "ltr-lldt-canonical";
	for (int canon = 0; canon < 2; canon++) {
		for (int ldt = 0; ldt < 2; ldt++) {
			struct guest g;
			const char *nm = ldt ? "LLDT" : "LTR";
			if (guest_init(&g, 0))
				return (void)CHECK(!"create");
			start_long(&g, ldt ? lldt30 : ltr20, (ldt ? lldt30 : ltr20) + 9, 0x1000);
			/* 16-byte descriptors: available 64-bit TSS at 0x20 (base ..3000), LDT at 0x30
			 * (base ..4000); bits 63:32 of the bases 0x00008000 (not canonical) or ~0 */
			uint32_t hi = canon ? 0xffffffffu : 0x00008000u;
			put64(g.ram, 0x520, 0x0000890030000067ull);
			put64(g.ram, 0x528, hi);
			put64(g.ram, 0x530, 0x0000820040000fffull);
			put64(g.ram, 0x538, hi);
			set_table(&g, HV_X64_REGISTER_GDTR, 0x500, 0x3f);
			struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13) | (1u << 14)};
			sim_x86_vcpu_set_intercepts(g.vp, &ic);
			int r = run(&g);
			struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
			union hv_register_value v;
			sim_x86_vcpu_get_register(g.vp, ldt ? HV_X64_REGISTER_LDTR : HV_X64_REGISTER_TR, &v);
			if (canon) {
				CHECKV(r == 0 && g.msg.header.message_type == HVMSG_X64_HALT, "%s canonical: message 0x%x",
				       nm, g.msg.header.message_type);
				EQ(v.segment.base, (uint64_t)hi << 32 | (ldt ? 0x4000 : 0x3000));
				EQ(v.segment.selector, ldt ? 0x30 : 0x20);
			} else {
				CHECKV(r == 0 && g.msg.header.message_type == HVMSG_X64_EXCEPTION_INTERCEPT &&
					       x->exception_vector == 13 && x->header.rip == 0x1005 &&
					       x->error_code == (ldt ? 0x30u : 0x20u),
				       "%s: message 0x%x vector %u rip 0x%llx ec 0x%x", nm, g.msg.header.message_type,
				       x->exception_vector, (unsigned long long)x->header.rip, x->error_code);
				EQ(v.segment.selector, 0); /* unchanged */
				if (!ldt)
					EQ(g.ram[0x525], 0x89); /* the TSS was not marked busy */
			}
			guest_fini(&g);
		}
	}
	SNIP("LTR of the null selector", 2, 13, 0, 0x31, 0xc0, 0x0f, 0x00, 0xd8);
}

/*
 * LGDT and LIDT in 64-bit mode: a non-canonical base is #GP(0) and leaves
 * the register as it was (QEMU 5.0 loaded it); a canonical one loads; the
 * operand's own faults come first; INVLPG (0F 01 /7) still runs.
 */
static void test_lgdt_lidt_canonical(void)
{
	static const struct {
		const char *name;
		uint8_t code[8];
		size_t len;
		bool idt;
		uint64_t base;
		int want; /* vector, or -1 for none */
	} cases[] = {
		{"LGDT non-canonical", {0x0f, 0x01, 0x10}, 3, false, 0x0000800000000500ull, 13},
		{"LIDT non-canonical", {0x0f, 0x01, 0x18}, 3, true, 0x7fff000000000000ull | (1ull << 60), 13},
		{"66 LGDT non-canonical", {0x66, 0x0f, 0x01, 0x10}, 4, false, 0xfff0800000000000ull, 13},
		{"LGDT canonical high", {0x0f, 0x01, 0x10}, 3, false, 0xffff800000001000ull, -1},
		{"LIDT canonical low", {0x0f, 0x01, 0x18}, 3, true, 0x00007fffffff0000ull, -1},
		{"LIDT disp8 SIB", {0x0f, 0x01, 0x5c, 0x08, 0xf8}, 5, true, 0x0000900000000000ull, 13}, /* lidt -8(%rax,%rcx) */
		{"LGDT operand not present", {0x0f, 0x01, 0x10}, 3, false, 0, 14},
		{"INVLPG", {0x0f, 0x01, 0x38}, 3, false, 0x0000800000000000ull, -1},
	};
	cur_test = "lgdt-lidt-canonical";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest g;
		uint8_t code[32];
		size_t n = 0;
		if (guest_init(&g, 0))
			return (void)CHECK(!"create");
		/* mov $0x3000,%eax; mov $8,%ecx; [movabs $HACC_HI+0x4000,%rax for the fault case]; the instruction; hlt */
		const uint8_t pre[] = {0xb8, 0x00, 0x30, 0x00, 0x00, 0xb9, 0x08, 0x00, 0x00, 0x00};
		memcpy(code, pre, sizeof(pre));
		n = sizeof(pre);
		if (cases[i].want == 14) {
			uint64_t a = HACC_HI + 0x4000;
			code[n++] = 0x48, code[n++] = 0xb8;
			memcpy(code + n, &a, 8);
			n += 8;
		}
		size_t at = n;
		memcpy(code + n, cases[i].code, cases[i].len);
		n += cases[i].len;
		code[n++] = 0xf4;
		start_long(&g, code, code + n, 0x1000);
		g.ram[0x3000] = 0x37;
		g.ram[0x3001] = 0x01;
		put64(g.ram, 0x3002, cases[i].base);
		struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13) | (1u << 14)};
		sim_x86_vcpu_set_intercepts(g.vp, &ic);
		union hv_register_value before, after;
		uint32_t reg = cases[i].idt ? HV_X64_REGISTER_IDTR : HV_X64_REGISTER_GDTR;
		sim_x86_vcpu_get_register(g.vp, reg, &before);
		int r = run(&g);
		struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
		uint32_t mt = g.msg.header.message_type;
		sim_x86_vcpu_get_register(g.vp, reg, &after);
		if (cases[i].want < 0) {
			CHECKV(r == 0 && mt == HVMSG_X64_HALT, "%s: message 0x%x vector %u", cases[i].name, mt,
			       x->exception_vector);
			if (strcmp(cases[i].name, "INVLPG"))
				CHECKV(after.table.base == cases[i].base && after.table.limit == 0x137, "%s: base 0x%llx limit 0x%x",
				       cases[i].name, (unsigned long long)after.table.base, after.table.limit);
		} else {
			CHECKV(r == 0 && mt == HVMSG_X64_EXCEPTION_INTERCEPT && x->exception_vector == cases[i].want &&
				       x->header.rip == 0x1000 + at && (cases[i].want == 14 || x->error_code == 0),
			       "%s: message 0x%x vector %u rip 0x%llx ec 0x%x", cases[i].name, mt, x->exception_vector,
			       (unsigned long long)x->header.rip, x->error_code);
			CHECKV(after.table.base == before.table.base && after.table.limit == before.table.limit,
			       "%s: changed to base 0x%llx limit 0x%x", cases[i].name, (unsigned long long)after.table.base,
			       after.table.limit);
		}
		guest_fini(&g);
	}
}

/*
 * A fault raised while INT n, INT3 or INTO is delivered (a bad or absent
 * gate, a vector past the IDT's limit) is reported, and pushed, at the
 * INT instruction, not the next one (Intel SDM vol. 3A 6.5: such a fault
 * is a fault of the INT instruction). Its error code names the gate: the
 * vector as the selector index, IDT (bit 1), EXT (bit 0) unless INT n,
 * INT3 or INTO was delivered (Intel SDM vol. 3A 6.13; QEMU 5.0 put the
 * vector times 16 in 64-bit mode and never set EXT). IDT at 0x800
 * (start_long's gates elsewhere are zero).
 */
static void test_int_delivery_fault(void)
{
	static const struct {
		const char *name;
		uint8_t code[3];
		size_t len;
		int vector;
		uint32_t ec;
	} cases[] = {
		{"INT 0x50, empty gate", {0xcd, 0x50}, 2, 13, 0x50 * 8 + 2},
		{"INT 0x51, gate not present", {0xcd, 0x51}, 2, 11, 0x51 * 8 + 2},
		{"INT3, empty gate", {0xcc}, 1, 13, 3 * 8 + 2},
		{"INT 0x70, past the IDT limit", {0xcd, 0x70}, 2, 13, 0x70 * 8 + 2},
		{"INT 0x50, the #GP delivered", {0xcd, 0x50}, 2, -1, 0x50 * 8 + 2},
		/* an exception's delivery is not the program's: EXT (bit 0) set */
		{"#UD, empty gate", {0x0f, 0x0b}, 2, 13, 6 * 8 + 3},
	};
	cur_test = "int-delivery-fault";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest g;
		uint8_t code[8] = {0x90}; /* nop: the INT at 0x1001 */
		if (guest_init(&g, 0))
			return (void)CHECK(!"create");
		memcpy(code + 1, cases[i].code, cases[i].len);
		code[1 + cases[i].len] = 0xf4;
		start_long(&g, code, code + 2 + cases[i].len, 0x1000);
		set_table(&g, HV_X64_REGISTER_IDTR, 0x800, 0x6ff);
		idt64_gate(g.ram, 0x800, 0x51, 0x1100);
		g.ram[0x800 + 16 * 0x51 + 5] = 0x0e; /* not present */
		idt64_gate(g.ram, 0x800, 13, 0x1100);
		/* the #GP handler: pop %rax (error code); pop %rbx (RIP); hlt */
		g.ram[0x1100] = 0x58;
		g.ram[0x1101] = 0x5b;
		g.ram[0x1102] = 0xf4;
		struct sim_x86_intercepts ic = {.exception_bitmap = cases[i].vector < 0 ? 0 : (1u << 11) | (1u << 13)};
		sim_x86_vcpu_set_intercepts(g.vp, &ic);
		int r = run(&g);
		struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
		uint32_t mt = g.msg.header.message_type;
		if (cases[i].vector < 0) {
			CHECKV(r == 0 && mt == HVMSG_X64_HALT, "%s: message 0x%x", cases[i].name, mt);
			CHECKV(getr(&g, HV_X64_REGISTER_RBX) == 0x1001 && getr(&g, HV_X64_REGISTER_RAX) == cases[i].ec,
			       "%s: pushed RIP 0x%llx error code 0x%llx", cases[i].name,
			       (unsigned long long)getr(&g, HV_X64_REGISTER_RBX),
			       (unsigned long long)getr(&g, HV_X64_REGISTER_RAX));
		} else {
			CHECKV(r == 0 && mt == HVMSG_X64_EXCEPTION_INTERCEPT && x->exception_vector == cases[i].vector &&
				       x->error_code == cases[i].ec && x->header.rip == 0x1001,
			       "%s: message 0x%x vector %u ec 0x%x rip 0x%llx", cases[i].name, mt, x->exception_vector,
			       x->error_code, (unsigned long long)x->header.rip);
			EQ(getr(&g, HV_X64_REGISTER_RIP), 0x1001);
		}
		guest_fini(&g);
	}
}

/* LOCK on an instruction that does not allow it: #UD (it aborted the process or ran unlocked) */
static void test_lock_ud(void)
{
	cur_test = "lock-ud";
	SNIP("LOCK CMPSB", 0, 6, 0, 0xf0, 0xa6);
	SNIP("LOCK CMPSQ", 0, 6, 0, 0xf0, 0x48, 0xa7);
	SNIP("LOCK BT reg", 0, 6, 0, 0xf0, 0x0f, 0xa3, 0xc0);
	SNIP("LOCK BT mem, imm", 0, 6, 0, 0xf0, 0x0f, 0xba, 0x20, 0x01);
	SNIP("LOCK MOVSB", 0, 6, 0, 0xf0, 0xa4);
	SNIP("REP LOCK STOSB", 0, 6, 0, 0xf3, 0xf0, 0xaa);
	SNIP("LOCK LODSB", 0, 6, 0, 0xf0, 0xac);
	SNIP("LOCK ADD reg, reg", 0, 6, 0, 0xf0, 0x01, 0xc0);
	SNIP("LOCK CMP mem, imm", 0, 6, 0, 0xf0, 0x83, 0x38, 0x01);
	SNIP("LOCK MOV mem, reg", 0, 6, 0, 0xf0, 0x89, 0x08);
	SNIP("LOCK CMPXCHG16B reg", 0, 6, 0, 0xf0, 0x48, 0x0f, 0xc7, 0xc8);
	SNIP("after another instruction", 3, 6, 0, 0x48, 0x31, 0xc0, 0xf0, 0xa6); /* xor %rax,%rax; lock cmpsb */
	/* the forms that allow it run (RAX 0: the memory operand is RAM at 0) */
	SNIP("LOCK ADD mem, reg", -1, -1, 0, 0xf0, 0x01, 0x08);
	SNIP("LOCK BTS mem, imm", -1, -1, 0, 0xf0, 0x0f, 0xba, 0x28, 0x01);
	SNIP("66 LOCK REX.W XADD", -1, -1, 0, 0x66, 0xf0, 0x48, 0x0f, 0xc1, 0x08);
	SNIP("LOCK INC mem", -1, -1, 0, 0xf0, 0xff, 0x00);
	SNIP("LOCK NOT mem", -1, -1, 0, 0xf0, 0xf7, 0x10);
	SNIP("LOCK XCHG mem", -1, -1, 0, 0xf0, 0x87, 0x08);
	SNIP("LOCK CMPXCHG8B mem", -1, -1, 0, 0xf0, 0x0f, 0xc7, 0x08);

	/* real mode too */
	for (int k = 0; k < 2; k++) {
		static const uint8_t cmps[] = {0xf0, 0xa6, 0xf4}, bt[] = {0xf0, 0x0f, 0xa3, 0xc0, 0xf4};
		struct guest g;
		if (guest_init(&g, 0))
			return (void)CHECK(!"create");
		start_real(&g, k ? bt : cmps, k ? bt + 5 : cmps + 3, 0x1000);
		struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 6};
		sim_x86_vcpu_set_intercepts(g.vp, &ic);
		struct hv_x64_exception_intercept_message *x = expect_exc(&g, __LINE__, 6, 0x1000);
		EQ(x->instruction_byte_count >= 2 && x->instruction_bytes[0] == 0xf0, 1); /* the real bytes */
		guest_fini(&g);
	}
}

/*
 * A block of more than 512 instructions that each leak a TCG temp in
 * QEMU 5.0's translator (AAD and AAM: their immediate): the temps ran past
 * the translator's array and the VMM died of a SIGSEGV (sim_guest_fuzz,
 * guest data run as code). The block runs, with the architectural result.
 */
static void test_translator_temps(void)
{
	static uint8_t code[3 + 300 * 4 + 2 + 3];
	size_t n = 0;
	struct guest g;

	cur_test = "translator-temps";
	code[n++] = 0xb8; /* mov $0x0305, %ax */
	code[n++] = 0x05;
	code[n++] = 0x03;
	for (int i = 0; i < 300; i++) {
		code[n++] = 0xd5; /* aad $10: AL = 5 + 3 * 10, AH = 0 */
		code[n++] = 0x0a;
		code[n++] = 0xd4; /* aam $10: AH = 3, AL = 5 */
		code[n++] = 0x0a;
	}
	code[n++] = 0xd5;
	code[n++] = 0x0a;
	code[n++] = 0xe6; /* out %al, $0x80 */
	code[n++] = 0x80;
	code[n++] = 0xf4;
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, code, code + n, 0x1000);
	struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->rax & 0xffff, 0x23);
	EQ(io->header.rip, 0x1000 + n - 3);
	guest_fini(&g);
}

/*
 * Real mode, CS limit 0xffff: a branch past it faults at the branch with
 * #GP(0) and no side effect; falling through the limit faults at it.
 */
static void cs_limit_case(const char *name, const uint8_t *code, size_t len, uint32_t load, uint64_t rcx,
			  uint64_t gp_rip, uint64_t want_rcx, int line)
{
	struct guest g;
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 13};

	cur_test = name;
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	memset(g.ram + 0x10000, 0xf4, 0x100); /* HLTs past the limit: run, they would halt */
	start_real(&g, code, code + len, load);
	setr(&g, HV_X64_REGISTER_RCX, rcx);
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	if (gp_rip) {
		struct hv_x64_exception_intercept_message *x = expect_exc(&g, line, 13, gp_rip);
		EQ(x->error_code, 0);
		EQ(getr(&g, HV_X64_REGISTER_RSP), 0x7000); /* a CALL pushed nothing */
		EQ(getr(&g, HV_X64_REGISTER_RCX), want_rcx);
	} else {
		expect_io(&g, line, 0x80, 1, false, 0);
	}
	guest_fini(&g);
}

static void test_cs_limit(void)
{
	static const uint8_t jmp[] = { 0x66, 0xe9, 0x00, 0x00, 0x01, 0x00 };  /* jmp .+0x10006 */
	static const uint8_t call[] = { 0x66, 0xe8, 0x00, 0x00, 0x01, 0x00 }; /* call .+0x10006 */
	static const uint8_t jz_taken[] = { 0x31, 0xc0, 0x66, 0x0f, 0x84, 0x00, 0x00, 0x01, 0x00 }; /* xor; jz */
	static const uint8_t jnz_not[] = { 0x31, 0xc0, 0x66, 0x0f, 0x85, 0x00, 0x00, 0x01, 0x00, 0xe6, 0x80, 0xf4 };
	static const uint8_t jmp_in[] = { 0xe9, 0x00, 0xf0 }; /* 16-bit: the target wraps to 0x0003 */
	static const uint8_t loop[] = { 0x66, 0xe2, 0x7f };   /* at 0xfff0: loopd to 0x10072 */
	static const uint8_t fall[] = { 0x90, 0x90 };         /* at 0xfffe: IP reaches 0x10000 */

	cs_limit_case("cs-limit-jmp", jmp, sizeof(jmp), 0x1000, 0, 0x1000, 0, __LINE__);
	cs_limit_case("cs-limit-call", call, sizeof(call), 0x1000, 0, 0x1000, 0, __LINE__);
	cs_limit_case("cs-limit-jcc-taken", jz_taken, sizeof(jz_taken), 0x1000, 0, 0x1002, 0, __LINE__);
	cs_limit_case("cs-limit-jcc-not-taken", jnz_not, sizeof(jnz_not), 0x1000, 0, 0, 0, __LINE__);
	cs_limit_case("cs-limit-loop", loop, sizeof(loop), 0xfff0, 2, 0xfff0, 2, __LINE__);
	cs_limit_case("cs-limit-fall-through", fall, sizeof(fall), 0xfffe, 0, 0x10000, 0, __LINE__);
	{
		/* a 16-bit JMP wraps within the segment: to 0x0003, where OUT 0x80 waits */
		struct guest g;
		static const uint8_t out[] = { 0xe6, 0x80, 0xf4 };
		cur_test = "cs-limit-wrap";
		if (guest_init(&g, 0))
			return (void)CHECK(!"create");
		memcpy(g.ram + 3, out, sizeof(out));
		start_real(&g, jmp_in, jmp_in + sizeof(jmp_in), 0x1000);
		EQ(expect_io(&g, __LINE__, 0x80, 1, false, 0)->header.rip, 3);
		guest_fini(&g);
	}
}

/* SMSW r32 writes the whole register; SMSW r16 only its low half; PUSHF's image has RF clear */
static void test_smsw_pushf(void)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0xff, 0xff, 0xff, 0xff, /* mov $-1,%eax */
		0x66, 0x0f, 0x01, 0xe0,             /* smsw %eax */
		0x66, 0x89, 0xc3,                   /* mov %eax,%ebx */
		0x66, 0xb8, 0xff, 0xff, 0xff, 0xff, /* mov $-1,%eax */
		0x0f, 0x01, 0xe0,                   /* smsw %ax */
		0x66, 0x89, 0xc2,                   /* mov %eax,%edx */
		0x66, 0x9c,                         /* pushfl */
		0x66, 0x59,                         /* popl %ecx */
		0xf4};
	struct guest g;
	cur_test = "smsw-pushf";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, code, code + sizeof(code), 0x1000);
	setr(&g, HV_X64_REGISTER_RFLAGS, 0x10002); /* RF, as after a VMM's fault injection */
	expect_halt(&g, __LINE__);
	EQ(getr(&g, HV_X64_REGISTER_RBX), 0x60000010);
	EQ(getr(&g, HV_X64_REGISTER_RDX), 0xffff0010);
	EQ(getr(&g, HV_X64_REGISTER_RCX) & 0x10000, 0);
	guest_fini(&g);

	/* long mode: PUSHFQ */
	cur_test = "smsw-pushf-64";
	static const uint8_t c64[] = {0x9c, 0x59, 0x0f, 0x01, 0xe0}; /* pushfq; pop %rcx; smsw %eax */
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	uint8_t buf[8];
	memcpy(buf, c64, sizeof(c64));
	buf[sizeof(c64)] = 0xf4;
	start_long(&g, buf, buf + sizeof(c64) + 1, 0x1000);
	setr(&g, HV_X64_REGISTER_RFLAGS, 0x10002);
	setr(&g, HV_X64_REGISTER_RAX, ~0ull);
	expect_halt(&g, __LINE__);
	EQ(getr(&g, HV_X64_REGISTER_RCX) & 0x10000, 0);
	EQ(getr(&g, HV_X64_REGISTER_RAX), 0x80010011);
	guest_fini(&g);
}

static void test_triple_fault(void)
{
	struct guest g;
	cur_test = "triple-fault";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_triple_start, p_triple_end, 0x1000);
	int r = run(&g);
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_UNRECOVERABLE_EXCEPTION);
	EQ(g.msg.header.payload_size, sizeof(struct hv_x64_unrecoverable_exception_message));
	guest_fini(&g);
}

static void test_cpuid(void)
{
	struct guest g;
	cur_test = "cpuid";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_cpuid_start, p_cpuid_end, 0x1000);
	struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x4000000a);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x7263694d); /* "Micr" */

	start_real(&g, p_cpuid_start, p_cpuid_end, 0x1000);
	struct sim_x86_intercepts ic = {.cpuid = true};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	int r = run(&g);
	struct hv_x64_cpuid_intercept_message *c = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_CPUID_INTERCEPT);
	EQ(c->rax, 0x40000000);
	EQ(c->default_result_rax, 0x4000000a);
	EQ(c->default_result_rbx, 0x7263694d);
	EQ(c->header.instruction_length, 2);
	EQ(c->header.rip, 0x1006);
	setr(&g, HV_X64_REGISTER_RAX, 0x1234);
	setr(&g, HV_X64_REGISTER_RBX, 0x5678);
	advance(&g, &c->header);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x1234);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x5678);
	uint32_t out[4];
	sim_x86_vcpu_cpuid(g.vp, 1, 0, out);
	CHECK(out[2] & (1u << 31));
	guest_fini(&g);
}


/* The feature leaves report what the CPU model runs, and it runs what they report */
static void test_cpuid_features(void)
{
	struct guest g;
	struct hv_x64_io_port_intercept_message *io;
	cur_test = "cpuid-features";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_feat_start, p_feat_end, 0x1000);
	struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13)};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	/* FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
	EQ(io->rax & 0xffffffff, 0x078bfbfd);
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	/* SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE, hypervisor; no MONITOR */
	EQ(io->rax & 0xffffffff, 0x87d82203); /* with TSC-deadline (24) */
	io = expect_io(&g, __LINE__, 0x82, 4, false, 0);
	CHECK(io->rax & (1u << 11)); /* SYSCALL */
	CHECK(io->rax & (1u << 20)); /* NX */
	CHECK(io->rax & (1u << 29)); /* LM */
	io = expect_io(&g, __LINE__, 0x83, 4, false, 0);
	EQ(io->rax & 0xffffffff, 8);
	io = expect_io(&g, __LINE__, 0x84, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xd01); /* SCE LME LMA NXE */
	io = expect_io(&g, __LINE__, 0x85, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xbc);
	io = expect_io(&g, __LINE__, 0x86, 4, false, 0);
	EQ(io->rax & (1u << 9), 0); /* APIC reads 0 while globally disabled */
	expect_halt(&g, __LINE__);
	uint32_t out[4];
	sim_x86_vcpu_cpuid(g.vp, 5, 0, out);
	CHECK(!out[0] && !out[1] && !out[2] && !out[3]); /* no MONITOR leaf */
	/* a registered result still overrides */
	ic.ncpuid_results = 1;
	ic.cpuid_results[0].input.eax = 1;
	ic.cpuid_results[0].result.edx = 0;
	ic.cpuid_results[0].result.edx_mask = 1u << 6;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	sim_x86_vcpu_cpuid_registered(g.vp, 1, 0, out);
	EQ(out[3] & (1u << 6), 0);
	guest_fini(&g);
}

/* SYSCALL and SYSRET (unicorn 2.0.1's SYSCALL only advanced RIP) */
static void test_syscall(void)
{
	struct guest g;
	cur_test = "syscall";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_sysc_start, p_sysc_end, 0x1000);
	put64(g.ram, 0x520, 0x00cf92000000ffffull); /* 0x20 kernel data */
	put64(g.ram, 0x530, 0x00cff2000000ffffull); /* 0x30 user data */
	put64(g.ram, 0x538, 0x00affa000000ffffull); /* 0x38 user 64-bit code */
	set_table(&g, HV_X64_REGISTER_GDTR, 0x500, 0x3f);
	put64(g.ram, 0x10000, 0x11000 | 7); /* identity 0..2 MiB user-accessible */
	put64(g.ram, 0x11000, 0x12000 | 7);
	put64(g.ram, 0x12000, 0x0 | 0x87);
	struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13) | (1u << 14)};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x80, 1, false, 0);
	EQ(io->header.rip, 0x1000 + (uint64_t)(p_sysc_handler - p_sysc_start));
	EQ(getr(&g, HV_X64_REGISTER_RCX), 0x1000 + (uint64_t)(p_sysc_after - p_sysc_start));
	EQ(getr(&g, HV_X64_REGISTER_R11), 0x603); /* user RFLAGS: IF DF CF */
	EQ(getr(&g, HV_X64_REGISTER_RFLAGS), 0x3); /* SFMASK cleared IF and DF */
	EQ(getr(&g, HV_X64_REGISTER_RBX), 0x3b);   /* CS after SYSRET */
	EQ(getr(&g, HV_X64_REGISTER_RDX), 0x33);   /* SS after SYSRET */
	union hv_register_value v;
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_CS, &v);
	EQ(v.segment.selector, 0x18);
	EQ(v.segment.attributes, 0xa09b);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_SS, &v);
	EQ(v.segment.selector, 0x20);
	EQ(io->header.execution_state.cpl, 0);
	expect_halt(&g, __LINE__);
	guest_fini(&g);

	/* EFER.SCE clear: both #UD */
	SNIP("SYSCALL with SCE clear", 0, 6, 0, 0x0f, 0x05);
	SNIP("SYSRET with SCE clear", 0, 6, 0, 0x48, 0x0f, 0x07);
	/* SYSENTER in 64-bit mode on the model's vendor (AMD): #UD */
	SNIP("SYSENTER in long mode", 0, 6, 0, 0x0f, 0x34);
}

/* start_long with CR4.OSFXSR and CR4.OSXSAVE as well */
/*
 * The page walk's faults (start_long's tables; HACC_HI -> 0x20000 through
 * the PTE at 0x15000, under the PDPTE at 0x14000): XD with EFER.NXE set is
 * a protection fault of instruction fetches only (error code P|I/D), with
 * NXE clear a reserved bit of every access (P|RSVD; I/D is only defined
 * with NXE or SMEP set: AMD APM vol. 2 8.4.2, Intel SDM vol. 3A 4.7). PTE
 * address bits at or above MAXPHYADDR (CPUID 0x80000008 EAX[7:0]) and the
 * bits below a large page's size (but PAT) are reserved too: #PF with RSVD,
 * not an access to a guest-physical address beyond the partition's.
 */
static void test_page_faults(void)
{
	enum { FETCH, READ, WRITE };
	static const struct {
		const char *name;
		uint64_t at, val; /* one paging-structure entry rewritten: 0x13000 PDPTE, 0x14000 PDE, 0x15000 PTE */
		uint64_t efer;
		int acc;
		int ec; /* -1: no fault */
		uint32_t xlate; /* HVCALL_TRANSLATE_VIRTUAL_ADDRESS's result for acc */
	} cases[] = {
		{"NX fetch", 0x15000, 0x20003 | 1ull << 63, 0xd00, FETCH, 0x11, HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION},
		{"NX in the PDPTE, fetch", 0x13000, 0x14003 | 1ull << 63, 0xd00, FETCH, 0x11,
		 HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION},
		{"NX read", 0x15000, 0x20003 | 1ull << 63, 0xd00, READ, -1, HV_TRANSLATE_GVA_SUCCESS},
		{"NX write", 0x15000, 0x20003 | 1ull << 63, 0xd00, WRITE, -1, HV_TRANSLATE_GVA_SUCCESS},
		{"XD without NXE, fetch", 0x15000, 0x20003 | 1ull << 63, 0x500, FETCH, 0x9,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"XD without NXE, read", 0x15000, 0x20003 | 1ull << 63, 0x500, READ, 0x9,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"XD in the PDE without NXE, write", 0x14000, 0x15003 | 1ull << 63, 0x500, WRITE, 0xb,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"no XD, fetch", 0x15000, 0x20003, 0xd00, FETCH, -1, HV_TRANSLATE_GVA_SUCCESS},
		{"PTE bit 40, read", 0x15000, 0x20003 | 1ull << 40, 0xd00, READ, 0x9,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"PTE bit 51, write", 0x15000, 0x20003 | 1ull << 51, 0xd00, WRITE, 0xb,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"PTE bit 47, fetch", 0x15000, 0x20003 | 1ull << 47, 0xd00, FETCH, 0x19,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"PDPTE bit 45, read", 0x13000, 0x14003 | 1ull << 45, 0xd00, READ, 0x9,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"PTE bit 39 (below MAXPHYADDR), read", 0x15000, 0x20003 | 1ull << 39, 0xd00, READ, -2,
		 HV_TRANSLATE_GVA_GPA_UNMAPPED},
		{"2 MiB page bit 13, read", 0x14000, 0x83 | 1ull << 13, 0xd00, READ, 0x9,
		 HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS},
		{"2 MiB page, PAT bit 12, read", 0x14000, 0x83 | 1ull << 12, 0xd00, READ, -1, HV_TRANSLATE_GVA_SUCCESS},
	};
	/* movabs $HACC_HI,%rax; jmp *%rax / mov (%rax),%rbx / mov %rbx,(%rax); hlt */
	uint8_t code[16] = {0x48, 0xb8};
	cur_test = "page-faults";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest g;
		uint64_t hi = HACC_HI;
		size_t n = 10;
		if (guest_init(&g, 0))
			return (void)CHECK(!"create");
		memcpy(code + 2, &hi, 8);
		if (cases[i].acc == FETCH) {
			code[n++] = 0xff, code[n++] = 0xe0;
		} else {
			code[n++] = 0x48;
			code[n++] = cases[i].acc == READ ? 0x8b : 0x89;
			code[n++] = 0x18;
		}
		code[n++] = 0xf4;
		start_long(&g, code, code + n, 0x1000);
		g.ram[0x20000] = 0xf4; /* the fetch that succeeds halts there */
		put64(g.ram, cases[i].at, cases[i].val);
		setr(&g, HV_X64_REGISTER_EFER, cases[i].efer);
		struct sim_x86_intercepts ic = {.exception_bitmap = (1u << 6) | (1u << 13) | (1u << 14)};
		sim_x86_vcpu_set_intercepts(g.vp, &ic);

		uint32_t rc = 0;
		uint64_t gpa = 0, fl = cases[i].acc == FETCH ? HV_TRANSLATE_GVA_VALIDATE_EXECUTE
				       : cases[i].acc == WRITE ? HV_TRANSLATE_GVA_VALIDATE_WRITE
							       : HV_TRANSLATE_GVA_VALIDATE_READ;
		sim_x86_vcpu_translate_gva(g.vp, HACC_HI, fl, &rc, &gpa);
		CHECKV(rc == cases[i].xlate, "%s: translate result %u, want %u", cases[i].name, rc, cases[i].xlate);

		int r = run(&g);
		struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
		uint32_t mt = g.msg.header.message_type;
		if (cases[i].ec == -1) {
			CHECKV(r == 0 && mt == HVMSG_X64_HALT, "%s: message 0x%x vector %u ec 0x%x", cases[i].name, mt,
			       x->exception_vector, x->error_code);
		} else if (cases[i].ec == -2) {
			CHECKV(r == 0 && mt == HVMSG_UNMAPPED_GPA, "%s: message 0x%x", cases[i].name, mt);
		} else {
			uint64_t rip = cases[i].acc == FETCH ? HACC_HI : 0x100a;
			CHECKV(r == 0 && mt == HVMSG_X64_EXCEPTION_INTERCEPT && x->exception_vector == 14 &&
				       x->error_code == (uint32_t)cases[i].ec && x->exception_parameter == HACC_HI &&
				       x->header.rip == rip,
			       "%s: message 0x%x vector %u ec 0x%x cr2 0x%llx rip 0x%llx", cases[i].name, mt,
			       x->exception_vector, x->error_code, (unsigned long long)x->exception_parameter,
			       (unsigned long long)x->header.rip);
		}
		guest_fini(&g);
	}
}

/*
 * Legacy SSE with a 128-bit memory operand not 16-byte aligned: #GP(0),
 * but for the forms made for unaligned data and those whose operand is
 * 64 bits or less (QEMU 5.0 ran them all). CR4.OSFXSR is set first.
 */
#define SSE_PRE(addr) 0x0f, 0x20, 0xe0, 0x48, 0x0d, 0x00, 0x02, 0x00, 0x00, 0x0f, 0x22, 0xe0, \
	0x48, 0xc7, 0xc0, (uint8_t)(addr), (uint8_t)((addr) >> 8), (uint8_t)((addr) >> 16), 0x00
static void test_sse_alignment(void)
{
	cur_test = "sse-alignment";
	/* mov %cr4,%rax; or $0x200,%rax; mov %rax,%cr4; mov $addr,%rax: the instruction at 19, operand (%rax) */
	SNIP("MOVAPS load", 19, 13, 0, SSE_PRE(0x2008), 0x0f, 0x28, 0x00);
	SNIP("MOVAPS store", 19, 13, 0, SSE_PRE(0x2004), 0x0f, 0x29, 0x00);
	SNIP("MOVAPD load", 19, 13, 0, SSE_PRE(0x2001), 0x66, 0x0f, 0x28, 0x00);
	SNIP("MOVDQA load", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x6f, 0x00);
	SNIP("MOVDQA store", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x7f, 0x00);
	SNIP("MOVNTPS", 19, 13, 0, SSE_PRE(0x2008), 0x0f, 0x2b, 0x00);
	SNIP("MOVNTDQ", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0xe7, 0x00);
	SNIP("ADDPS", 19, 13, 0, SSE_PRE(0x2008), 0x0f, 0x58, 0x00);
	SNIP("PADDD", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0xfe, 0x00);
	SNIP("PSHUFD", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x70, 0x00, 0x1b);
	SNIP("CVTTPS2DQ", 19, 13, 0, SSE_PRE(0x2008), 0xf3, 0x0f, 0x5b, 0x00);
	SNIP("PSHUFB", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x38, 0x00, 0x00);
	SNIP("MOVNTDQA", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x38, 0x2a, 0x00);
	SNIP("PALIGNR", 19, 13, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x3a, 0x0f, 0x00, 0x04);
	SNIP("MOVAPS to XMM8 (REX)", 19, 13, 0, SSE_PRE(0x2008), 0x44, 0x0f, 0x28, 0x00);
	SNIP("MOVAPS, the operand at an unmapped GPA", 19, 13, 0, SSE_PRE(0xa0008), 0x0f, 0x28, 0x00);
	/* aligned, or forms without the rule */
	SNIP("MOVAPS aligned", -1, -1, 0, SSE_PRE(0x2010), 0x0f, 0x28, 0x00);
	SNIP("MOVDQA store aligned", -1, -1, 0, SSE_PRE(0x2010), 0x66, 0x0f, 0x7f, 0x00);
	SNIP("MOVUPS", -1, -1, 0, SSE_PRE(0x2008), 0x0f, 0x10, 0x00);
	SNIP("MOVDQU", -1, -1, 0, SSE_PRE(0x2008), 0xf3, 0x0f, 0x6f, 0x00);
	SNIP("66 F3 0F 6F is MOVDQU", -1, -1, 0, SSE_PRE(0x2008), 0x66, 0xf3, 0x0f, 0x6f, 0x00);
	SNIP("LDDQU", -1, -1, 0, SSE_PRE(0x2001), 0xf2, 0x0f, 0xf0, 0x00);
	SNIP("ADDSS", -1, -1, 0, SSE_PRE(0x2001), 0xf3, 0x0f, 0x58, 0x00);
	SNIP("CVTPS2PD (m64)", -1, -1, 0, SSE_PRE(0x2008), 0x0f, 0x5a, 0x00);
	SNIP("MOVQ MMX", -1, -1, 0, SSE_PRE(0x2004), 0x0f, 0x6f, 0x00);
	SNIP("PCMPESTRI", -1, -1, 0, SSE_PRE(0x2008), 0x66, 0x0f, 0x3a, 0x61, 0x00, 0x00);
	SNIP("MOV r64 unaligned", -1, -1, 0, SSE_PRE(0x2008), 0x48, 0x8b, 0x18);
}
#undef SSE_PRE

static void start_long_xsave(struct guest *g, const unsigned char *s, const unsigned char *e)
{
	start_long(g, s, e, 0x1000);
	setr(g, HV_X64_REGISTER_CR4, 0x20 | 0x200 | 0x40000);
}

static uint64_t set_status(struct guest *g, uint32_t name, uint64_t val)
{
	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.reg64 = val;
	return sim_x86_vcpu_set_register(g->vp, name, &v);
}

/* XFEM is the guest's XCR0: XGETBV/XSETBV, CPUID, the register page, refused values */
static void test_xcr0(void)
{
	struct guest g;
	cur_test = "xcr0";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	/* the CPU model has XSAVE with x87 and SSE state (576 bytes) */
	uint32_t out[4];
	sim_x86_vcpu_cpuid(g.vp, 1, 0, out);
	CHECK(out[2] & (1u << 26));   /* XSAVE */
	CHECK(!(out[2] & (1u << 27))); /* OSXSAVE: CR4.OSXSAVE is clear */
	sim_x86_vcpu_cpuid(g.vp, 0xd, 0, out);
	EQ(out[0], 3);
	EQ(out[2], 576);
	EQ(out[3], 0);
	EQ(getr(&g, HV_X64_REGISTER_XFEM), 3);

	/* refused, and nothing changes: x87 clear, AVX and bit 63 unsupported, AVX without SSE */
	static const uint64_t bad[] = {0, 2, 7, 5, 0x8000000000000003ull, 1ull << 9 | 3};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EQ(set_status(&g, HV_X64_REGISTER_XFEM, bad[i]), HV_STATUS_INVALID_REGISTER_VALUE);
		EQ(getr(&g, HV_X64_REGISTER_XFEM), 3);
	}
	EQ(set_status(&g, HV_X64_REGISTER_XFEM, 1), 0);
	EQ(getr(&g, HV_X64_REGISTER_XFEM), 1);
	EQ(set_status(&g, HV_X64_REGISTER_XFEM, 3), 0);
	EQ(getr(&g, HV_X64_REGISTER_XFEM), 3);

	start_long_xsave(&g, p_xcr_start, p_xcr_end);
	sim_x86_vcpu_cpuid(g.vp, 1, 0, out);
	CHECK(out[2] & (1u << 27)); /* OSXSAVE now */
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 13};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 3);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0);
	/* the VMM sets XCR0 = x87 only: the guest's XGETBV sees it; the register page carries it */
	EQ(set_status(&g, HV_X64_REGISTER_XFEM, 1), 0);
	struct hv_vp_register_page *rp = xmap(4096);
	int r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_IO_PORT_INTERCEPT);
	EQ(io->port_number, 0x81);
	EQ(io->rax & 0xffffffff, 1);
	EQ(rp->xfem, 1);
	advance(&g, &io->header);
	/* the guest's XSETBV 3: XFEM and the register page follow */
	r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	EQ(r, 0);
	EQ(io->port_number, 0x82);
	EQ(rp->xfem, 3);
	EQ(getr(&g, HV_X64_REGISTER_XFEM), 3);
	advance(&g, &io->header);
	/* XSETBV of an unsupported component: #GP(0), XCR0 unchanged */
	r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	EQ(x->exception_vector, 13);
	EQ(x->header.rip, 0x1000 + (uint64_t)(p_xcr_gp - p_xcr_start));
	EQ(getr(&g, HV_X64_REGISTER_XFEM), 3);
	EQ(rp->xfem, 3);
	setr(&g, HV_X64_REGISTER_RIP, x->header.rip + 3);
	io = expect_io(&g, __LINE__, 0x83, 4, false, 0);
	EQ(io->rax & 0xffffffff, 3);
	munmap(rp, 4096);
	guest_fini(&g);
}

/* FP_CONTROL_STATUS / XMM_CONTROL_STATUS: FOP, FIP, FDP are kept, and a guest FXSAVE stores them */
static void test_fp_control_status(void)
{
	struct guest g;
	cur_test = "fp-control-status";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	union hv_register_value v, w;
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &v);
	EQ(v.fp_control_status.fp_control, 0x37f);
	EQ(v.fp_control_status.last_fp_op, 0);
	EQ(v.fp_control_status.last_fp_rip, 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &v);
	EQ(v.xmm_control_status.last_fp_rdp, 0);
	EQ(v.xmm_control_status.xmm_status_control, 0x1f80);
	EQ(v.xmm_control_status.xmm_status_control_mask, 0xffff);

	memset(&v, 0, sizeof(v));
	v.fp_control_status.fp_control = 0x27f;
	v.fp_control_status.fp_status = 0x0081;
	v.fp_control_status.fp_tag = 0x81;
	v.fp_control_status.last_fp_op = 0x5d9;
	v.fp_control_status.last_fp_rip = 0xffff800012345678ull;
	EQ(sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &v), 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &w);
	EQ(w.fp_control_status.fp_control, 0x27f);
	EQ(w.fp_control_status.fp_status, 0x0081);
	EQ(w.fp_control_status.fp_tag, 0x81);
	EQ(w.fp_control_status.last_fp_op, 0x5d9);
	EQ(w.fp_control_status.last_fp_rip, 0xffff800012345678ull);
	/* FOP is 11 bits */
	v.fp_control_status.last_fp_op = 0xffff;
	EQ(sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &v), 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &w);
	EQ(w.fp_control_status.last_fp_op, 0x7ff);
	v.fp_control_status.last_fp_op = 0x5d9;
	EQ(sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_FP_CONTROL_STATUS, &v), 0);

	memset(&v, 0, sizeof(v));
	v.xmm_control_status.last_fp_rdp = 0x0000123456789ab0ull;
	v.xmm_control_status.xmm_status_control = 0x1fa0;
	v.xmm_control_status.xmm_status_control_mask = 0x1234; /* read-only: ignored */
	EQ(sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &v), 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &w);
	EQ(w.xmm_control_status.last_fp_rdp, 0x0000123456789ab0ull);
	EQ(w.xmm_control_status.xmm_status_control, 0x1fa0);
	EQ(w.xmm_control_status.xmm_status_control_mask, 0xffff);

	/* the XSAVE blob's legacy area carries them too */
	uint8_t buf[4096];
	size_t len = sizeof(buf);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_XSAVE, buf, &len), 0);
	uint16_t w16;
	uint64_t q;
	memcpy(&w16, buf + 6, 2);
	EQ(w16, 0x5d9);
	memcpy(&q, buf + 8, 8);
	EQ(q, 0xffff800012345678ull);
	memcpy(&q, buf + 16, 8);
	EQ(q, 0x0000123456789ab0ull);
	q = 0x4444;
	memcpy(buf + 16, &q, 8);
	EQ(sim_x86_vcpu_set_state(g.vp, MSHV_VP_STATE_XSAVE, buf, len), 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &w);
	EQ(w.xmm_control_status.last_fp_rdp, 0x4444);
	EQ(w.xmm_control_status.xmm_status_control, 0x1fa0);
	memset(&v, 0, sizeof(v));
	v.xmm_control_status.last_fp_rdp = 0x0000123456789ab0ull;
	v.xmm_control_status.xmm_status_control = 0x1fa0;
	EQ(sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &v), 0);

	/* a guest FXSAVE64 stores what was set */
	start_long_xsave(&g, p_xcr_start, p_xcr_end);
	struct sim_x86_intercepts ic = {.exception_bitmap = 1u << 13};
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	memset(&v, 0, sizeof(v));
	v.reg128.low_part = 0x0102030405060708ull;
	v.reg128.high_part = 0x1112131415161718ull;
	sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_XMM15, &v);
	memset(g.ram + 0x3000, 0xee, 512);
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	expect_io(&g, __LINE__, 0x81, 4, false, 0);
	expect_io(&g, __LINE__, 0x82, 1, false, 0);
	int r = run(&g);
	EQ(r, 0);
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	setr(&g, HV_X64_REGISTER_RIP, ((struct hv_x64_exception_intercept_message *)g.msg.u.payload)->header.rip + 3);
	expect_io(&g, __LINE__, 0x83, 4, false, 0);
	expect_io(&g, __LINE__, 0x84, 1, false, 0);
	const uint8_t *fx = g.ram + 0x3000;
	memcpy(&w16, fx + 0, 2);
	EQ(w16, 0x27f);
	memcpy(&w16, fx + 2, 2);
	EQ(w16, 0x0081);
	EQ(fx[4], 0x81);
	memcpy(&w16, fx + 6, 2);
	EQ(w16, 0x5d9);
	memcpy(&q, fx + 8, 8);
	EQ(q, 0xffff800012345678ull);
	memcpy(&q, fx + 16, 8);
	EQ(q, 0x0000123456789ab0ull);
	uint32_t d32;
	memcpy(&d32, fx + 24, 4);
	EQ(d32, 0x1fa0);
	memcpy(&d32, fx + 28, 4);
	EQ(d32, 0xffff);
	memcpy(&q, fx + 160 + 15 * 16, 8);
	EQ(q, 0x0102030405060708ull);
	memcpy(&q, fx + 168 + 15 * 16, 8);
	EQ(q, 0x1112131415161718ull);
	expect_halt(&g, __LINE__);
	guest_fini(&g);
}

/* ---- MSRs no one implements: #GP, ignored, or intercepted (cpu/msr.c) ---- */
#define MSR_RD_AT (0x1000 + (uint64_t)(p_msr_rd - p_msr_start))
#define MSR_WR_AT (0x1000 + (uint64_t)(p_msr_wr - p_msr_start))

static void start_msr(struct guest *g, uint32_t msr)
{
	start_real(g, p_msr_start, p_msr_end, 0x1000);
	memcpy(g->ram + 0x900, &msr, 4);
	uint16_t ivt13[2] = {(uint16_t)(0x1000 + (p_msr_hgp - p_msr_start)), 0};
	memcpy(g->ram + 13 * 4, ivt13, sizeof(ivt13));
}

static struct hv_x64_msr_intercept_message *expect_msr_exit(struct guest *g, int line, bool write, uint32_t msr,
							    uint64_t rip)
{
	struct hv_x64_msr_intercept_message *m = (void *)g->msg.u.payload;
	int r = run(g);
	check_(r == 0 && g->msg.header.message_type == HVMSG_X64_MSR_INTERCEPT, "msr exit", line,
	       "run %d, message 0x%x", r, g->msg.header.message_type);
	check_(g->msg.header.payload_size == sizeof(*m), "payload size", line, "%u", g->msg.header.payload_size);
	check_(m->header.intercept_access_type == (write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ),
	       "access", line, "access %u", m->header.intercept_access_type);
	check_(m->msr_number == msr, "msr_number", line, "0x%x != 0x%x", m->msr_number, msr);
	check_(m->header.rip == rip, "rip", line, "rip 0x%llx != 0x%llx", (unsigned long long)m->header.rip,
	       (unsigned long long)rip);
	check_(m->header.instruction_length == 2, "instruction_length", line, "%u", m->header.instruction_length);
	check_(getr(g, HV_X64_REGISTER_RIP) == rip, "VP stopped at the instruction", line, NULL);
	return m;
}

static void test_msr_unimplemented(void)
{
	struct guest g;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_x64_msr_intercept_message *m;
	struct sim_x86_intercepts ic;
	cur_test = "msr-unimplemented";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");

	/* default (FAULT): #GP through the guest's IVT for both, registers untouched */
	start_msr(&g, 0x777);
	io = expect_io(&g, __LINE__, 0x8d, 1, false, 0);
	EQ(io->rax & 0xff, 0x0d);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x12345678);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x9abcdef0);
	expect_io(&g, __LINE__, 0x8d, 1, false, 0);
	expect_io(&g, __LINE__, 0x81, 4, false, 0);
	expect_halt(&g, __LINE__);

	/* the machine-check banks MCG_CAP reports (10, bits 7:0) exist: no #GP for the last bank's MCi_MISC */
	start_msr(&g, 0x179);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xff, 10);
	start_msr(&g, 0x400 + 4 * 9 + 3);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	start_msr(&g, 0x400 + 4 * 10);
	io = expect_io(&g, __LINE__, 0x8d, 1, false, 0);
	EQ(io->rax & 0xff, 0x0d);

	/* FAULT with vector 13 intercepted: the #GP exits at the RDMSR, error code 0 */
	memset(&ic, 0, sizeof(ic));
	ic.exception_bitmap = 1u << 13;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x777);
	EQ(run(&g), 0);
	struct hv_x64_exception_intercept_message *x = (void *)g.msg.u.payload;
	EQ(g.msg.header.message_type, HVMSG_X64_EXCEPTION_INTERCEPT);
	EQ(x->exception_vector, 13);
	EQ(x->header.rip, MSR_RD_AT);
	EQ(x->error_code, 0);
	CHECK(x->instruction_byte_count >= 2 && !memcmp(x->instruction_bytes, "\x0f\x32", 2));

	/* IGNORE_WRITE_READ_ZERO: RDMSR gives EDX:EAX = 0 (RAX, RDX zero-extended), WRMSR does nothing */
	memset(&ic, 0, sizeof(ic));
	ic.msr_ignore = true;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x777);
	setr(&g, HV_X64_REGISTER_RAX, 0xffffffff00000000ull);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax, 0);
	EQ(io->header.rip, MSR_RD_AT + 2);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax, 0);
	io = expect_io(&g, __LINE__, 0x81, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x11223344);
	EQ(io->header.rip, MSR_WR_AT + 2);
	expect_halt(&g, __LINE__);

	/* HV_INTERCEPT_TYPE_X64_MSR, read and write: both exit, and win over IGNORE */
	ic.msr_all = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x777);
	m = expect_msr_exit(&g, __LINE__, false, 0x777, MSR_RD_AT);
	EQ(m->rax & 0xffffffff, 0x12345678);
	EQ(m->rdx & 0xffffffff, 0x9abcdef0);
	/* not completed: the RDMSR runs, and exits, again */
	expect_msr_exit(&g, __LINE__, false, 0x777, MSR_RD_AT);
	setr(&g, HV_X64_REGISTER_RAX, 0xaaaa5555);
	setr(&g, HV_X64_REGISTER_RDX, 0x1234);
	advance(&g, &m->header);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0xaaaa5555);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax & 0xffffffff, 0x1234);
	m = expect_msr_exit(&g, __LINE__, true, 0x777, MSR_WR_AT);
	EQ(m->rax & 0xffffffff, 0x11223344);
	EQ(m->rdx & 0xffffffff, 0x55667788);
	advance(&g, &m->header);
	expect_io(&g, __LINE__, 0x81, 4, false, 0);
	expect_halt(&g, __LINE__);

	/* read-only X64_MSR intercept: the WRMSR falls through to the action (FAULT) */
	memset(&ic, 0, sizeof(ic));
	ic.msr_all = HV_INTERCEPT_ACCESS_MASK_READ;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x777);
	m = expect_msr_exit(&g, __LINE__, false, 0x777, MSR_RD_AT);
	advance(&g, &m->header);
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	expect_io(&g, __LINE__, 0x8d, 1, false, 0);
	expect_io(&g, __LINE__, 0x81, 4, false, 0);
	expect_halt(&g, __LINE__);

	/* X64_MSR_INDEX: only its index and access; others follow the action */
	memset(&ic, 0, sizeof(ic));
	ic.nmsr_index = 2;
	ic.msr_index[0].msr = 0x778;
	ic.msr_index[0].access = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
	ic.msr_index[1].msr = 0x777;
	ic.msr_index[1].access = HV_INTERCEPT_ACCESS_MASK_WRITE;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x777);
	expect_io(&g, __LINE__, 0x8d, 1, false, 0); /* read of 0x777 is not intercepted: #GP */
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	expect_io(&g, __LINE__, 0x80, 4, false, 0);
	m = expect_msr_exit(&g, __LINE__, true, 0x777, MSR_WR_AT);
	advance(&g, &m->header);
	expect_io(&g, __LINE__, 0x81, 4, false, 0);
	expect_halt(&g, __LINE__);

	/* an MSR the hypervisor implements is emulated whatever the intercepts: VP_INDEX reads 0 */
	ic.msr_all = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
	ic.msr_index[0].msr = 0x40000002;
	ic.msr_index[0].access = HV_INTERCEPT_ACCESS_MASK_READ;
	sim_x86_vcpu_set_intercepts(g.vp, &ic);
	start_msr(&g, 0x40000002);
	io = expect_io(&g, __LINE__, 0x80, 4, false, 0);
	EQ(io->rax, 0);
	guest_fini(&g);
}

static void test_register_page(void)
{
	struct guest g;
	cur_test = "register-page";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_outhlt_start, p_outhlt_end, 0x1000);
	setr(&g, HV_X64_REGISTER_RAX, 0x11);
	struct hv_vp_register_page *rp = xmap(4096);
	int r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	EQ(r, 0);
	EQ(rp->version, HV_VP_REGISTER_PAGE_VERSION_1);
	EQ(rp->isvalid, 1);
	EQ(rp->dirty, 0);
	EQ(rp->rip, 0x1000);
	EQ(rp->rax, 0x11);
	EQ(rp->rsp, 0x7000);
	EQ(rp->rflags, 2);
	EQ(rp->cs.selector, 0);
	EQ(rp->cs.attributes, 0x9b);
	EQ(rp->cr0, 0x60000010);
	/* complete through the page: new RIP and RAX, an XMM value and a DS base */
	rp->rip += 2;
	rp->rax = 0x77;
	rp->xmm3.low_part = 0xfeedfacecafebeefull;
	rp->ds.base = 0x12340;
	rp->ds.selector = 0x1234;
	rp->dirty = (1u << HV_X64_REGISTER_CLASS_IP) | (1u << HV_X64_REGISTER_CLASS_GENERAL) |
		    (1u << HV_X64_REGISTER_CLASS_XMM) | (1u << HV_X64_REGISTER_CLASS_SEGMENT);
	r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	EQ(g.msg.header.message_type, HVMSG_X64_IO_PORT_INTERCEPT);
	EQ(io_of(&g)->rax, 0x77);
	EQ(io_of(&g)->header.rip, 0x1002);
	EQ(io_of(&g)->ds_segment.base, 0x12340);
	EQ(rp->xmm3.low_part, 0xfeedfacecafebeefull);
	union hv_register_value v;
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_XMM3, &v);
	EQ(v.reg128.low_part, 0xfeedfacecafebeefull);
	/* a class not marked dirty is not loaded */
	rp->rip += 2;
	rp->rbx = 0x999;
	rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP;
	r = sim_x86_vcpu_run(g.vp, &g.msg, rp);
	EQ(g.msg.header.message_type, HVMSG_X64_HALT);
	EQ(rp->rbx, 0);
	munmap(rp, 4096);
	guest_fini(&g);
}

static void test_state_blobs(void)
{
	struct guest g;
	cur_test = "state-blobs";
	if (guest_init(&g, 2))
		return (void)CHECK(!"create");
	uint8_t buf[8192];
	size_t len = 16;
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, buf, &len), -ENOSPC);
	CHECK(len > 16);
	len = sizeof(buf);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, buf, &len), 0);
	EQ(len, 4096); /* one page, the state struct at its start */
	struct hv_local_interrupt_controller_state *ls = (void *)buf;
	EQ(ls->apic_id, 2u << 24);
	EQ(ls->apic_version, 0x50014);
	ls->apic_ldr = 0x04000000;
	ls->apic_lvt_lint0 = 0x700;
	ls->apic_counter_value = 0; /* no initial count: the timer is stopped (apic_test counts it) */
	uint8_t before[4096], after[4096];
	memcpy(before, buf, 4096);
	EQ(sim_x86_vcpu_set_state(g.vp, MSHV_VP_STATE_LAPIC, buf, len), 0);
	memset(buf, 0xaa, sizeof(buf));
	len = sizeof(buf);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_LAPIC, buf, &len), 0);
	memcpy(after, buf, 4096);
	CHECK(!memcmp(before, after, 4096)); /* set then get: byte-identical */

	union hv_register_value v;
	memset(&v, 0, sizeof(v));
	v.reg128.low_part = 0x0102030405060708ull;
	v.reg128.high_part = 0x1112131415161718ull;
	sim_x86_vcpu_set_register(g.vp, HV_X64_REGISTER_XMM3, &v);
	len = sizeof(buf);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_XSAVE, buf, &len), 0);
	uint64_t lo;
	memcpy(&lo, buf + 160 + 3 * 16, 8);
	EQ(lo, 0x0102030405060708ull);
	lo = 0xaaaaaaaabbbbbbbbull;
	memcpy(buf + 160 + 3 * 16, &lo, 8);
	EQ(sim_x86_vcpu_set_state(g.vp, MSHV_VP_STATE_XSAVE, buf, len), 0);
	sim_x86_vcpu_get_register(g.vp, HV_X64_REGISTER_XMM3, &v);
	EQ(v.reg128.low_part, 0xaaaaaaaabbbbbbbbull);
	EQ(v.reg128.high_part, 0x1112131415161718ull);
	len = sizeof(buf);
	EQ(sim_x86_vcpu_get_state(g.vp, MSHV_VP_STATE_COUNT, buf, &len), -EINVAL);
	guest_fini(&g);
}

struct acc_log {
	int n;
	uint64_t gpfn[64];
	bool write[64];
};

static void on_access(void *opaque, uint64_t gpfn, bool write)
{
	struct acc_log *l = opaque;
	if (l->n < 64) {
		l->gpfn[l->n] = gpfn;
		l->write[l->n++] = write;
	}
}

/*
 * loaded at 0x1000, long mode (start_long): code the guest writes, runs,
 * rewrites and runs again in one run, at GPA 0x20000 (linear 0x20000,
 * and HACC_HI, an alias of the same page). The page is first written
 * through the alias, before it holds code; then rewritten through the
 * alias and through the address it runs at. RBX, RCX, RDX: what each run
 * of it returned (1, 2, 3); then OUT to port 0x10.
 */
PROG(p_smc,
     ".code64\n"
     "movabs $0xffff800000000000, %rsi\n"
     "mov $0x20000, %edi\n"
     "movabs $0x0000c300000001b8, %rax\n" /* mov $1, %eax; ret */
     "mov %rax, (%rsi)\n"
     "call *%rdi\n"
     "mov %eax, %ebx\n"
     "movb $2, 1(%rsi)\n"                 /* the immediate, through the alias */
     "call *%rdi\n"
     "mov %eax, %ecx\n"
     "movb $3, 1(%rdi)\n"                 /* through the address it runs at */
     "call *%rdi\n"
     "mov %eax, %edx\n"
     "out %al, $0x10\n"
     "hlt\n")

/*
 * Guest stores to a page of translated code reach QEMU's check for
 * self-modifying code, under every linear address of the page, also when
 * the page's TLB entries were made while it held no code (stores to such
 * pages take the TLB fast path).
 */
static void test_self_modifying(void)
{
	struct guest g;
	cur_test = "self-modifying";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_long(&g, p_smc_start, p_smc_end, 0x1000);
	expect_io(&g, __LINE__, 0x10, 1, false, 0);
	EQ(getr(&g, HV_X64_REGISTER_RBX), 1);
	EQ(getr(&g, HV_X64_REGISTER_RCX), 2);
	EQ(getr(&g, HV_X64_REGISTER_RDX), 3);
	guest_fini(&g);
}

/*
 * A VMM write to a page that holds translated code drops the translations
 * of that page only: the loop's other blocks survive. Before, every such
 * write flushed the VP's whole translation buffer (three blocks here, the
 * whole kernel for a Linux guest) before it ran on.
 */
static void test_code_write_per_page(void)
{
	static const unsigned char loop[] = {
		0xe8, 0xfd, 0x0f, /* 0x1000: call 0x2000 */
		0xe6, 0x30,       /* out %al, $0x30 */
		0xeb, 0xf9,       /* jmp 0x1000 */
	};
	static const unsigned char fn[] = { 0x43, 0xc3 }; /* 0x2000: inc %bx; ret */
	struct guest g;
	unsigned long before;
	cur_test = "code-write-per-page";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	memcpy(g.ram + 0x2000, fn, sizeof(fn));
	start_real(&g, loop, loop + sizeof(loop), 0x1000);
	for (int i = 0; i < 3; i++) {
		struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x30, 1, false, 0);
		advance(&g, &io->header);
	}
	before = sim_x86_vcpu_translations(g.vp);
	for (int i = 0; i < 50; i++) {
		g.ram[0x2080] = (unsigned char)i; /* the function's page, not its bytes */
		struct hv_x64_io_port_intercept_message *io = expect_io(&g, __LINE__, 0x30, 1, false, 0);
		advance(&g, &io->header);
	}
	/* the function's block again after each write (50), not the loop's too (150) */
	CHECKV(sim_x86_vcpu_translations(g.vp) - before <= 55, "%lu blocks translated for 50 writes",
	       sim_x86_vcpu_translations(g.vp) - before);
	EQ(getr(&g, HV_X64_REGISTER_RBX) & 0xffff, 53);
	guest_fini(&g);
}

static void test_tracking(void)
{
	struct guest g;
	cur_test = "access-tracking";
	if (guest_init(&g, 0))
		return (void)CHECK(!"create");
	start_real(&g, p_track_start, p_track_end, 0x1000);
	struct acc_log log = {0};
	sim_x86_vcpu_track_access(g.vp, on_access, &log);
	expect_halt(&g, __LINE__);
	bool w5 = false, r6 = false;
	for (int i = 0; i < log.n; i++) {
		w5 |= log.gpfn[i] == 5 && log.write[i];
		r6 |= log.gpfn[i] == 6 && !log.write[i];
	}
	CHECKV(w5, "page 5 write not reported (%d reports)", log.n);
	CHECKV(r6, "page 6 read not reported (%d reports)", log.n);
	sim_x86_vcpu_track_access(g.vp, NULL, NULL);
	log.n = 0;
	start_real(&g, p_track_start, p_track_end, 0x1000);
	expect_halt(&g, __LINE__);
	EQ(log.n, 0);
	guest_fini(&g);
}

struct par {
	struct guest g;
	int exits;
	int err;
};

static void *par_thread(void *arg)
{
	struct par *p = arg;
	struct hv_vp_register_page *rp = xmap(4096);
	for (int i = 0; i < 200000; i++) {
		if (sim_x86_vcpu_run(p->g.vp, &p->g.msg, rp) || p->g.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT) {
			p->err = 1;
			break;
		}
		rp->rip += 2;
		rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP;
		p->exits++;
	}
	munmap(rp, 4096);
	return NULL;
}

static void test_two_vps(void)
{
	struct par p[2];
	pthread_t t[2];
	cur_test = "two-vps";
	for (int i = 0; i < 2; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		if (guest_init(&p[i].g, (uint32_t)i))
			return (void)CHECK(!"create");
		start_real(&p[i].g, p_outloop_start, p_outloop_end, 0x1000);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, par_thread, &p[i]);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EQ(p[i].err, 0);
		EQ(p[i].exits, 200000);
		EQ(io_of(&p[i].g)->header.vp_index, (unsigned)i);
		guest_fini(&p[i].g);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(void)
{
	struct guest g;
	if (guest_init(&g, 0))
		return 1;
	start_real(&g, p_outloop_start, p_outloop_end, 0x1000);
	struct hv_vp_register_page *rp = xmap(4096);
	const int n = 2000000;
	for (int i = 0; i < 1000; i++) { /* warm up: translate the loop */
		sim_x86_vcpu_run(g.vp, &g.msg, rp);
		rp->rip += 2;
		rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP;
	}
	double t0 = now();
	for (int i = 0; i < n; i++) {
		sim_x86_vcpu_run(g.vp, &g.msg, rp);
		if (g.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT) {
			fprintf(stderr, "unexpected exit 0x%x\n", g.msg.header.message_type);
			return 1;
		}
		rp->rip += 2;
		rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP;
	}
	double t1 = now();
	printf("OUT exits round trip: %.0f/s (%.0f ns each, register page completion)\n", n / (t1 - t0),
	       (t1 - t0) / n * 1e9);

	start_real(&g, p_compute_start, p_compute_end, 0x8000); /* fresh address: no stale translation */
	t0 = now();
	sim_x86_vcpu_run(g.vp, &g.msg, NULL);
	t1 = now();
	if (g.msg.header.message_type != HVMSG_X64_HALT) {
		fprintf(stderr, "compute loop: unexpected exit 0x%x at 0x%llx\n", g.msg.header.message_type,
			(unsigned long long)((struct hv_x64_halt_message *)g.msg.u.payload)->header.rip);
		return 1;
	}
	double insns = 50000000.0 * 3 + 1;
	printf("compute loop: %.0f guest instructions/s (%.2f s for %.0f instructions)\n", insns / (t1 - t0), t1 - t0,
	       insns);
	munmap(rp, 4096);
	guest_fini(&g);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench();
	test_reset();
	test_io_sizes();
	test_string_io();
	test_mmio();
	test_long_mode();
	test_helper_access();
	test_cr8_tpr();
	test_apic_subdword();
	test_real_mode_interrupts();
	test_async_wake();
	test_apic_write_in_block();
	test_async_hammer();
	test_debug_registers();
	test_cr4_checks();
	test_cr0_checks();
	test_wrmsr_canonical();
	test_ltr_lldt_canonical();
	test_lgdt_lidt_canonical();
	test_int_delivery_fault();
	test_lock_ud();
	test_translator_temps();
	test_cs_limit();
	test_smsw_pushf();
	test_triple_fault();
	test_cpuid();
	test_cpuid_features();
	test_syscall();
	test_page_faults();
	test_sse_alignment();
	test_self_modifying();
	test_code_write_per_page();
	test_xcr0();
	test_fp_control_status();
	test_msr_unimplemented();
	test_register_page();
	test_state_blobs();
	test_tracking();
	test_two_vps();
	printf("x86_vcpu: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

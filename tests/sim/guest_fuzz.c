/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Hostile guests on mshv-sim (issue 15): generated guest code that does
 * what a guest must be allowed to do and the host must survive, run by a
 * VMM that checks every exit against what it knows of the guest.
 *
 * Each guest gets a new partition (1 or 2 VPs; a third VP index is created
 * and closed unrun now and then), starts in real mode, 32-bit protected
 * mode (flat, or 4 MiB pages) or long mode (4-level paging; sometimes at
 * CPL 3), with code built from one to three of these classes:
 *
 *   random     random bytes
 *   store      loads, stores and read-modify-writes (1 to 16 bytes, LOCKed
 *              or not) at RAM, unmapped GPAs, the read-only region, the
 *              APIC page, page-table pages, region boundaries
 *   pt         writes into its own page tables, then CR3 reloads, INVLPG
 *   desc       LGDT/LIDT of garbage, segment loads, LTR/LLDT, garbage in
 *              the GDT and IDT, UD2, #DE, INT3: triple faults
 *   smc        stores over the code about to run
 *   rep        REP MOVS/STOS/CMPS/SCAS/INS/OUTS with huge or random counts,
 *              either direction, across pages and regions
 *   cr         MOV to CR0/CR3/CR4/CR8 with reserved or random bits, XSETBV
 *   msr        RDMSR/WRMSR of known and random indexes, random values
 *   xsave      XRSTOR/FXRSTOR/LDMXCSR of garbage, XSAVE/FXSAVE anywhere
 *   apic       LAPIC registers at random offsets, ICR (INIT, SIPI, NMI,
 *              fixed; to itself, the other VP, all), the timer, then STI;HLT
 *   int        INT n, IRET/RETF of garbage, SYSCALL/SYSRET/SYSENTER,
 *              far JMP/CALL through garbage
 *   dr         MOV to and from DR0-DR7
 *   hlt        HLT with interrupts off and on, MONITOR/MWAIT, PAUSE
 *   lock       LOCK prefixes on whatever comes next
 *   io         IN/OUT of random ports and sizes
 *   hcall      the hypercall page enabled, VMMCALL of served (TLB flush,
 *              IPI), refused and random calls with random inputs; SynIC
 *              pages, SINTs and synthetic timers set up to fire, EOM
 *
 * The VMM completes exits as a real one would (port IO completed or
 * emulated, MMIO emulated with a pattern for reads or skipped, MSR and
 * CPUID intercepts answered when installed, HLT re-run or stopped) and
 * stops a guest after --max-exits exits or --guest-ms milliseconds (a
 * SIGUSR1 kick makes MSHV_RUN_VP return -EINTR). Every exit is checked:
 * a known message type with its payload size, the VP index, the header's
 * RIP, RFLAGS and CS against the register page, the instruction bytes
 * against guest memory (one-VP guests), the port, size, direction and
 * length of port IO against the instruction, and a memory intercept's
 * type and GPA against the memory map (no exits for RAM; writes only for
 * the read-only region; unmapped GPAs as HVMSG_UNMAPPED_GPA). After each
 * guest the read-only region must be as it was; guest RAM and the message
 * buffer sit between PROT_NONE guard pages, so a stray host access ends
 * the process. The process surviving (under ASan and UBSan too) is the
 * main check.
 *
 * guest_fuzz [--seed S] [--guests N] [--jobs J] [--guest-ms MS]
 *            [--max-exits N] [--guest G] [--first F] [--verbose]
 *
 * The seed is new each run (clock and pid) and printed first;
 * MSHV_GUEST_FUZZ_SEED=S (or --seed S) runs the same guests again (what
 * happens at a kick depends on time). Guest i's own seed derives from S and
 * i and is printed with any failure; --seed S --guest i runs that guest
 * alone (--verbose: its code and every exit), --first F starts at guest F.
 * --jobs J runs J guests at a time. The long campaign (README.md,
 * "Tests"), on one core:
 *
 *     nice -n 10 tools/mshv-sim build/native/tests/sim_guest_fuzz --guests 100000
 *
 * (its counters every 1,000 guests). The regression guests (seeds of what
 * the campaign found, regressions[]) run first, every time.
 *
 * Exits 0, 1 on any inconsistency or failure, 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"

/* ---- the guest's memory map ------------------------------------------------------ */

#define PAGE 0x1000u
#define RAM0_GPA 0x0u
#define RAM0_SIZE 0x40000u /* page tables, descriptor tables, code, stacks, scratch */
#define RO_GPA 0x40000u     /* read-only (read, execute): right after RAM0 */
#define RO_SIZE 0x2000u
#define HOLE_GPA 0x42000u   /* unmapped, between two regions */
#define RAM1_GPA 0x44000u
#define RAM1_SIZE 0x4000u
#define APIC_GPA 0xfee00000u

#define PML4_GPA 0x1000u
#define PDPT_GPA 0x2000u
#define PD0_GPA 0x3000u  /* 0-1 GiB: 2 MiB pages but the first, PT_GPA */
#define PD3_GPA 0x4000u  /* 3-4 GiB: 2 MiB pages (the APIC page) */
#define PT_GPA 0x5000u   /* 0-2 MiB in 4 KiB pages */
#define PD32_GPA 0x6000u /* 32-bit paging: 4 MiB pages, all 4 GiB */
#define GDT_GPA 0x7000u
#define IDT_GPA 0x8000u
#define HANDLER_GPA 0x9000u
#define TSS_GPA 0xa000u
#define CODE_GPA 0x10000u /* VP i's code at CODE_GPA + i * CODE_SIZE */
#define CODE_SIZE 0x8000u
#define STACK_TOP 0x28000u /* VP i's at STACK_TOP + i * 0x8000 - 16 */
#define SCRATCH_GPA 0x30000u
#define SCRATCH_SIZE 0x10000u

#define MAX_VPS 2

enum mode { M_REAL, M_PROT, M_PROT_PG, M_LONG, M_COUNT };
static const char *const mode_names[] = { "real", "prot32", "prot32-paging", "long" };

enum cls {
	C_RANDOM, C_STORE, C_PT, C_DESC, C_SMC, C_REP, C_CR, C_MSR, C_XSAVE, C_APIC, C_INT, C_DR, C_HLT, C_LOCK,
	C_IO, C_HCALL, C_COUNT
};
static const char *const class_names[] = { "random", "store", "pt", "desc", "smc", "rep", "cr", "msr",
					   "xsave", "apic", "int", "dr", "hlt", "lock", "io", "hcall" };

/* ---- random numbers ----------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t guest_seed(uint64_t seed, uint64_t i)
{
	uint64_t s = seed ^ (i * 0xd1b54a32d192ed03ull);

	return splitmix(&s);
}

#define RND(g) splitmix(&(g)->rng)
#define CHANCE(g, n) (RND(g) % (n) == 0) /* one in n */

/* ---- code generation ------------------------------------------------------------------- */

struct gen {
	uint8_t *buf;      /* host address of the code */
	uint32_t len, cap;
	uint64_t code_lin; /* linear address of buf[0] */
	enum mode mode;
	int vp;
	uint64_t rng;
};

static void emit(struct gen *g, const void *p, size_t n)
{
	if (g->len + n > g->cap)
		return;
	memcpy(g->buf + g->len, p, n);
	g->len += (uint32_t)n;
}

static void emit1(struct gen *g, uint8_t b)
{
	emit(g, &b, 1);
}

static void emit2(struct gen *g, uint8_t a, uint8_t b)
{
	uint8_t v[2] = { a, b };

	emit(g, v, 2);
}

static void emit3(struct gen *g, uint8_t a, uint8_t b, uint8_t c)
{
	uint8_t v[3] = { a, b, c };

	emit(g, v, 3);
}

static void emit32(struct gen *g, uint32_t v)
{
	emit(g, &v, 4);
}

static int bits(const struct gen *g)
{
	return g->mode == M_LONG ? 64 : g->mode == M_REAL ? 16 : 32;
}

/* reg (0-7) = v: zero-extended from 32 bits outside 64-bit mode */
static void mov_imm(struct gen *g, int reg, uint64_t v)
{
	if (bits(g) == 64 && v > 0xffffffffull) {
		emit2(g, 0x48, (uint8_t)(0xb8 + reg));
		emit(g, &v, 8);
		return;
	}
	if (bits(g) == 16)
		emit1(g, 0x66);
	emit1(g, (uint8_t)(0xb8 + reg));
	emit32(g, (uint32_t)v);
}

/* Sreg (ES 0, SS 2, DS 3, FS 4, GS 5) = v, through AX */
static void mov_sreg(struct gen *g, int sreg, uint16_t v)
{
	mov_imm(g, 0, v);
	emit2(g, 0x8e, (uint8_t)(0xc0 | sreg << 3));
}

/* reg (rBX 3, rSI 6, rDI 7) addresses linear lin: in real mode its segment (DS; ES for rDI) too */
static void set_addr(struct gen *g, int reg, uint64_t lin)
{
	if (bits(g) == 16) {
		mov_sreg(g, reg == 7 ? 0 : 3, (uint16_t)((lin & 0xfffff) >> 4));
		mov_imm(g, reg, lin & 0xf);
		return;
	}
	mov_imm(g, reg, bits(g) == 32 ? (uint32_t)lin : lin);
}

#define P_66 0x1u   /* operand-size prefix */
#define P_W 0x2u    /* REX.W in 64-bit mode */
#define P_LOCK 0x4u

/* op[0..n) with ModRM [rBX] and reg field r (a 67 prefix in 16-bit code: [EBX]) */
static void memop(struct gen *g, unsigned int pfx, const uint8_t *op, size_t n, int r)
{
	if (pfx & P_LOCK)
		emit1(g, 0xf0);
	if (pfx & P_66)
		emit1(g, 0x66);
	if (bits(g) == 16)
		emit1(g, 0x67);
	if ((pfx & P_W) && bits(g) == 64)
		emit1(g, 0x48);
	emit(g, op, n);
	emit1(g, (uint8_t)((r & 7) << 3 | 3));
}

/* An address worth touching: every kind of GPA and boundary; in real mode below 1 MiB. */
static uint64_t pick_addr(struct gen *g)
{
	uint64_t r = RND(g), a;

	switch (RND(g) % 16) {
	case 0: a = RAM0_GPA + r % RAM0_SIZE; break;
	case 1: a = PML4_GPA + r % (PD32_GPA + PAGE - PML4_GPA); break;          /* page tables */
	case 2: a = GDT_GPA + r % (TSS_GPA + PAGE - GDT_GPA); break;             /* GDT, IDT, handler, TSS */
	case 3: a = RO_GPA + r % RO_SIZE; break;
	case 4: a = RO_GPA - 8 + r % 16; break;                                  /* RAM0 | RO */
	case 5: a = HOLE_GPA - 8 + r % 16; break;                                /* RO | hole */
	case 6: a = HOLE_GPA + r % (RAM1_GPA - HOLE_GPA); break;
	case 7: a = RAM1_GPA - 8 + r % 16; break;                                /* hole | RAM1 */
	case 8: a = RAM1_GPA + RAM1_SIZE - 8 + r % 16; break;                    /* RAM1 | nothing */
	case 9: a = APIC_GPA + (r % 0x1000 & (r & 0x10000 ? ~0xfull : ~0ull)); break;
	case 10: a = APIC_GPA - 8 + r % 16; break;
	case 11: a = APIC_GPA + PAGE - 8 + r % 16; break;
	case 12: a = r & 0xffffffffull; break;
	case 13: a = r & (r & 1 ? 0xffffffffffffull : ~0ull); break;              /* beyond the map, maybe non-canonical */
	case 14: a = g->code_lin + g->len + 16 + r % 64; break;                  /* code just ahead */
	default: a = SCRATCH_GPA + r % SCRATCH_SIZE; break;
	}
	if (bits(g) == 16 && a >= 0x100000)
		a = r % 0x50000;
	return a;
}

/* a value for a register: small, a boundary, random */
static uint64_t pick_value(struct gen *g)
{
	static const uint64_t special[] = { 0, 1, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
					    0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull };
	uint64_t r = RND(g);

	switch (r % 4) {
	case 0: return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
	case 1: return (r >> 8) & 0xffff;
	default: return RND(g);
	}
}

static void gen_random(struct gen *g)
{
	unsigned int n = 4 + RND(g) % 60;

	for (unsigned int i = 0; i < n; i++)
		emit1(g, (uint8_t)RND(g));
}

/* one memory access through [rBX] after rBX = pick_addr, RAX = a value */
static void gen_store(struct gen *g)
{
	static const struct {
		uint8_t op[3], n, r; /* r 8: random reg field */
		unsigned int pfx;    /* allowed prefixes */
	} forms[] = {
		{ { 0x88 }, 1, 0, 0 },          { { 0x89 }, 1, 0, P_66 | P_W }, { { 0x8a }, 1, 1, 0 },
		{ { 0x8b }, 1, 1, P_66 | P_W }, { { 0x01 }, 1, 0, P_66 | P_W | P_LOCK }, { { 0x31 }, 1, 0, P_W | P_LOCK },
		{ { 0x87 }, 1, 0, P_W },        { { 0xff }, 1, 0, P_W | P_LOCK },        { { 0xf7 }, 1, 2, P_LOCK },
		{ { 0xff }, 1, 6, 0 },          { { 0x0f, 0x11 }, 2, 0, 0 },             { { 0x0f, 0x10 }, 2, 1, 0 },
		{ { 0x0f, 0xb1 }, 2, 2, P_W | P_LOCK }, { { 0x0f, 0xc7 }, 2, 1, P_W | P_LOCK },
		{ { 0x0f, 0xab }, 2, 0, P_LOCK }, { { 0x0f, 0xc3 }, 2, 0, P_W }, { { 0x0f, 0xae }, 2, 7, 0 },
		{ { 0x80 }, 1, 8, P_LOCK },     { { 0xc7 }, 1, 0, P_W }, { { 0x8f }, 1, 0, 0 },
	};
	unsigned int k = (unsigned int)(RND(g) % (sizeof(forms) / sizeof(forms[0])));
	unsigned int pfx = (unsigned int)RND(g) & forms[k].pfx;
	int r = forms[k].r == 8 ? (int)(RND(g) % 8) : forms[k].r;

	set_addr(g, 3, pick_addr(g));
	mov_imm(g, 0, pick_value(g));
	memop(g, pfx, forms[k].op, forms[k].n, r);
	if (forms[k].op[0] == 0x80)
		emit1(g, (uint8_t)RND(g));
	if (forms[k].op[0] == 0xc7)
		emit32(g, (uint32_t)RND(g));
}

static void flush_tlb(struct gen *g)
{
	if (CHANCE(g, 2)) {
		emit3(g, 0x0f, 0x20, 0xd8); /* mov cr3 -> rax */
		emit3(g, 0x0f, 0x22, 0xd8); /* mov rax -> cr3 */
	} else {
		uint8_t op[2] = { 0x0f, 0x01 };

		set_addr(g, 3, pick_addr(g));
		memop(g, 0, op, 2, 7); /* invlpg [rbx] */
	}
}

static void gen_pt(struct gen *g)
{
	uint64_t table = g->mode == M_PROT_PG ? PD32_GPA : PML4_GPA + PAGE * (RND(g) % 5);
	uint64_t v = RND(g);
	uint8_t op = 0x89;

	switch (RND(g) % 4) {
	case 0: v = (RND(g) % 0x80) * PAGE | 0x3; break;                            /* another page */
	case 1: v = ((RND(g) % 8) * PAGE + PML4_GPA) | 0x83 | (RND(g) & 0x8000000000000000ull); break;
	case 2: v = 1ull << (RND(g) % 64); op = 0x31; break;                        /* flip a bit */
	default: break;
	}
	set_addr(g, 3, table + (RND(g) % 512) * (g->mode == M_PROT_PG ? 4 : 8));
	mov_imm(g, 0, v);
	memop(g, P_W, &op, 1, 0);
	if (CHANCE(g, 4))
		gen_store(g);
	flush_tlb(g);
	gen_store(g);
}

static void gen_desc(struct gen *g)
{
	static const uint8_t sregs[] = { 0, 2, 3, 4, 5 };
	uint8_t op[2] = { 0x0f, 0x01 };

	switch (RND(g) % 9) {
	case 0: /* lgdt / lidt of whatever is there */
	case 1:
		set_addr(g, 3, CHANCE(g, 2) ? SCRATCH_GPA + RND(g) % SCRATCH_SIZE : pick_addr(g));
		memop(g, 0, op, 2, 2 + (int)(RND(g) % 2));
		break;
	case 2: /* a segment register of a random or nearby selector */
		mov_sreg(g, sregs[RND(g) % 5], (uint16_t)(CHANCE(g, 2) ? RND(g) : RND(g) % 0x50));
		break;
	case 3: /* ltr / lldt */
		mov_imm(g, 0, CHANCE(g, 2) ? RND(g) & 0xffff : 0x28);
		emit3(g, 0x0f, 0x00, (uint8_t)(CHANCE(g, 2) ? 0xd8 : 0xd0));
		break;
	case 4: /* garbage into the GDT or IDT */
		set_addr(g, 3, (CHANCE(g, 2) ? GDT_GPA : IDT_GPA) + (RND(g) % 64) * 8);
		mov_imm(g, 0, RND(g));
		memop(g, P_W, (const uint8_t[]){ 0x89 }, 1, 0);
		break;
	case 5: emit2(g, 0x0f, 0x0b); break; /* ud2 */
	case 6: emit2(g, 0x31, 0xc9); emit2(g, 0xf7, 0xf1); break; /* #DE */
	case 7: emit1(g, 0xcc); break;
	default: /* the stack somewhere hostile, then a push */
		set_addr(g, 4, pick_addr(g));
		emit1(g, 0x50);
		break;
	}
}

static void gen_smc(struct gen *g)
{
	unsigned int n = 1 + (unsigned int)(RND(g) % 4), i;

	for (i = 0; i < n; i++) {
		/* over the bytes just after this sequence, or a little later */
		uint64_t target = g->code_lin + g->len + 24 + RND(g) % 32;

		set_addr(g, 3, target);
		mov_imm(g, 0, CHANCE(g, 2) ? RND(g) : 0xf4f4e6e6ull); /* garbage, or out; hlt */
		memop(g, 0, (const uint8_t[]){ 0x89 }, 1, 0);
	}
	for (i = 0; i < 40; i++)
		emit1(g, 0x90);
}

static void gen_rep(struct gen *g)
{
	static const uint8_t ops[] = { 0xa4, 0xa5, 0xaa, 0xab, 0x6c, 0x6d, 0x6e, 0x6f, 0xa6, 0xae, 0xac };
	static const uint64_t counts[] = { 0, 1, 2, 0x1001, 0x10000, 0xffff, 0xffffffff, 0x100000000ull };
	uint64_t c = CHANCE(g, 3) ? RND(g) : counts[RND(g) % 8];
	uint8_t op = ops[RND(g) % sizeof(ops)];

	set_addr(g, 6, pick_addr(g));
	set_addr(g, 7, pick_addr(g));
	mov_imm(g, 1, bits(g) == 16 ? c & 0xffff : c);
	mov_imm(g, 2, CHANCE(g, 2) ? 0x80 + RND(g) % 0x10 : RND(g) & 0xffff);
	mov_imm(g, 0, RND(g));
	if (CHANCE(g, 3))
		emit1(g, 0xfd); /* std */
	emit1(g, CHANCE(g, 4) ? 0xf2 : 0xf3);
	if (CHANCE(g, 3))
		emit1(g, 0x66);
	if (CHANCE(g, 4))
		emit1(g, 0x67);
	if (bits(g) == 64 && CHANCE(g, 3))
		emit1(g, 0x48);
	emit1(g, op);
	emit1(g, 0xfc); /* cld */
}

static void gen_cr(struct gen *g)
{
	static const uint64_t base[] = { 0x80000011, 0x1000, 0x6b0, 0 };
	int cr = (int)(RND(g) % 5);
	uint64_t v = RND(g) % 2 ? base[RND(g) % 4] ^ (1ull << (RND(g) % 64)) : pick_value(g);

	if (cr == 4) { /* XSETBV / XGETBV */
		mov_imm(g, 1, CHANCE(g, 4) ? RND(g) % 4 : 0);
		mov_imm(g, 0, v & 0xffffffff);
		mov_imm(g, 2, CHANCE(g, 2) ? 0 : v >> 32);
		emit3(g, 0x0f, 0x01, (uint8_t)(CHANCE(g, 3) ? 0xd0 : 0xd1));
		return;
	}
	cr = (int[]){ 0, 3, 4, 8 }[cr];
	if (CHANCE(g, 4)) { /* read one, CR1/CR5-7 included (#UD) */
		emit3(g, 0x0f, 0x20, (uint8_t)(0xc0 | (RND(g) % 8) << 3));
		return;
	}
	mov_imm(g, 0, v);
	if (cr == 8) {
		if (bits(g) != 64)
			return;
		emit1(g, 0x44);
		cr = 0;
	}
	emit3(g, 0x0f, 0x22, (uint8_t)(0xc0 | cr << 3));
}

static const uint32_t msrs[] = {
	0x10, 0x1b, 0x3a, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x201, 0x20f,
	0x250, 0x258, 0x277, 0x2ff, 0x6e0, 0x802, 0x808, 0x80b, 0x80f, 0x830, 0x838, 0xc0000080, 0xc0000081,
	0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010000,
	0xc0010004, 0xc0010015, 0xc0010114, 0xc0011022, 0x40000000, 0x40000001, 0x40000002, 0x40000003,
	0x40000010, 0x40000020, 0x40000021, 0x40000022, 0x40000070, 0x40000071, 0x40000072, 0x40000073,
	0x40000080, 0x40000081, 0x40000082, 0x40000083, 0x40000084, 0x40000090, 0x4000009f, 0x400000b0,
	0x400000b1, 0x400000b7, 0x40000100, 0x40000104, 0x40000105,
};

static void gen_msr(struct gen *g)
{
	uint32_t idx = CHANCE(g, 4) ? (uint32_t)RND(g) : msrs[RND(g) % (sizeof(msrs) / sizeof(msrs[0]))];
	uint64_t v = pick_value(g);

	if (CHANCE(g, 8))
		idx += (uint32_t)(RND(g) % 16);
	mov_imm(g, 1, idx);
	mov_imm(g, 0, v & 0xffffffff);
	mov_imm(g, 2, v >> 32);
	emit2(g, 0x0f, CHANCE(g, 2) ? 0x30 : 0x32);
	if (CHANCE(g, 4)) { /* and a CPUID leaf */
		mov_imm(g, 0, CHANCE(g, 2) ? RND(g) % 0x20 : (uint32_t[]){ 0x40000000, 0x80000000, 0xd }[RND(g) % 3]
								     + RND(g) % 8);
		mov_imm(g, 1, RND(g) % 4);
		emit2(g, 0x0f, 0xa2);
	}
}

static void gen_xsave(struct gen *g)
{
	static const uint8_t r[] = { 5, 1, 2, 4, 0, 6, 5, 1 }; /* xrstor fxrstor ldmxcsr xsave fxsave xsaveopt */
	uint64_t a = CHANCE(g, 2) ? SCRATCH_GPA + (RND(g) % (SCRATCH_SIZE / 64 - 64)) * 64 : pick_addr(g);

	if (CHANCE(g, 4))
		a &= ~0x3full;
	set_addr(g, 3, a);
	mov_imm(g, 0, CHANCE(g, 2) ? pick_value(g) : 3);
	mov_imm(g, 2, CHANCE(g, 2) ? pick_value(g) : 0);
	memop(g, CHANCE(g, 2) ? P_W : 0, (const uint8_t[]){ 0x0f, 0xae }, 2, r[RND(g) % 8]);
}

static void gen_apic(struct gen *g)
{
	static const uint16_t regs[] = { 0x20, 0x30, 0x80, 0xb0, 0xd0, 0xe0, 0xf0, 0x280, 0x2f0, 0x300, 0x310,
					 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0, 0x100, 0x200 };
	uint32_t off = CHANCE(g, 4) ? (uint32_t)(RND(g) % 0x1000) : regs[RND(g) % (sizeof(regs) / 2)];
	uint32_t v = (uint32_t)pick_value(g);

	if (bits(g) == 16) { /* out of reach: the x2APIC MSRs instead */
		mov_imm(g, 1, 0x800 + off / 16);
		mov_imm(g, 0, v);
		mov_imm(g, 2, 0);
		emit2(g, 0x0f, 0x30);
		return;
	}
	switch (RND(g) % 4) {
	case 0: /* ICR: destination, then INIT, SIPI, NMI, fixed, ... to self, all, others */
		set_addr(g, 3, APIC_GPA + 0x310);
		mov_imm(g, 0, (uint32_t)(RND(g) % 4) << 24);
		memop(g, 0, (const uint8_t[]){ 0x89 }, 1, 0);
		v = (uint32_t)(RND(g) & 0xff) | (uint32_t)(RND(g) % 8) << 8 | (uint32_t)(RND(g) & 1) << 14 |
		    (uint32_t)(RND(g) % 4) << 18;
		off = 0x300;
		break;
	case 1: /* the timer: LVT, divide, initial count, then STI; HLT */
		set_addr(g, 3, APIC_GPA + 0x320);
		mov_imm(g, 0, (uint32_t)(0x20 + RND(g) % 0xe0) | (uint32_t)(RND(g) & 3) << 16);
		memop(g, 0, (const uint8_t[]){ 0x89 }, 1, 0);
		set_addr(g, 3, APIC_GPA + 0xf0);
		mov_imm(g, 0, 0x1ff);
		memop(g, 0, (const uint8_t[]){ 0x89 }, 1, 0);
		off = 0x380;
		v = (uint32_t)(RND(g) % 100000);
		break;
	default:
		break;
	}
	set_addr(g, 3, APIC_GPA + off);
	mov_imm(g, 0, v);
	memop(g, CHANCE(g, 8) ? P_66 : 0, (const uint8_t[]){ (uint8_t)(CHANCE(g, 6) ? 0x8b : 0x89) }, 1, 0);
	if (CHANCE(g, 3))
		emit2(g, 0xfb, 0xf4); /* sti; hlt */
}

static void gen_int(struct gen *g)
{
	int i;

	switch (RND(g) % 8) {
	case 0: emit2(g, 0xcd, (uint8_t)RND(g)); break;
	case 1: emit1(g, (uint8_t[]){ 0xce, 0xf1, 0xcc }[RND(g) % 3]); break;
	case 2: /* IRET or RETF of garbage on the stack */
	case 3:
		for (i = 0; i < 5; i++) {
			mov_imm(g, 0, CHANCE(g, 2) ? pick_value(g) : RND(g) % 0x50);
			emit1(g, 0x50);
		}
		if (bits(g) == 64 && CHANCE(g, 2))
			emit1(g, 0x48);
		emit1(g, RND(g) % 4 == 2 ? 0xcb : 0xcf);
		break;
	case 4: /* SYSCALL, SYSRET, SYSENTER, SYSEXIT, maybe after STAR/LSTAR/SYSENTER_CS */
		if (CHANCE(g, 2)) {
			mov_imm(g, 1, (uint32_t[]){ 0xc0000081, 0xc0000082, 0x174, 0xc0000084 }[RND(g) % 4]);
			mov_imm(g, 0, pick_value(g) & 0xffffffff);
			mov_imm(g, 2, RND(g) & 0xffffffff);
			emit2(g, 0x0f, 0x30);
		}
		if (bits(g) == 64 && CHANCE(g, 2))
			emit1(g, 0x48);
		emit2(g, 0x0f, (uint8_t[]){ 0x05, 0x07, 0x34, 0x35 }[RND(g) % 4]);
		break;
	case 5: /* far JMP or CALL through garbage */
		set_addr(g, 3, CHANCE(g, 2) ? SCRATCH_GPA + RND(g) % 0x1000 : pick_addr(g));
		memop(g, CHANCE(g, 3) ? P_W : 0, (const uint8_t[]){ 0xff }, 1, CHANCE(g, 2) ? 5 : 3);
		break;
	case 6: /* direct far JMP (not in 64-bit mode: #UD) */
		emit1(g, 0xea);
		if (bits(g) == 16)
			emit2(g, (uint8_t)RND(g), (uint8_t)RND(g));
		else
			emit32(g, (uint32_t)RND(g));
		emit2(g, (uint8_t)(RND(g) % 0x50), 0);
		break;
	default: /* a near jump or call to anywhere */
		set_addr(g, 3, pick_addr(g));
		emit2(g, 0xff, (uint8_t)(CHANCE(g, 2) ? 0xe3 : 0xd3));
		break;
	}
}

static void gen_dr(struct gen *g)
{
	int dr = (int)(RND(g) % 8);

	if (CHANCE(g, 3)) {
		emit3(g, 0x0f, 0x21, (uint8_t)(0xc0 | dr << 3));
		return;
	}
	mov_imm(g, 0, CHANCE(g, 2) ? pick_addr(g) : pick_value(g));
	emit3(g, 0x0f, 0x23, (uint8_t)(0xc0 | dr << 3));
}

static void gen_hlt(struct gen *g)
{
	switch (RND(g) % 5) {
	case 0: emit2(g, 0xfa, 0xf4); break;
	case 1: emit2(g, 0xfb, 0xf4); break;
	case 2: emit1(g, 0xf4); break;
	case 3: set_addr(g, 0, pick_addr(g)); emit3(g, 0x0f, 0x01, (uint8_t)(CHANCE(g, 2) ? 0xc8 : 0xc9)); break;
	default: emit2(g, 0xf3, 0x90); break;
	}
}

static void gen_io(struct gen *g)
{
	static const uint8_t ops[] = { 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef };
	uint8_t op = ops[RND(g) % 8];

	mov_imm(g, 2, CHANCE(g, 2) ? RND(g) & 0xffff : 0x3f8 + RND(g) % 8);
	if (CHANCE(g, 3))
		emit1(g, 0x66);
	if (CHANCE(g, 8))
		emit1(g, 0xf3);
	emit1(g, op);
	if (op < 0xe8)
		emit1(g, (uint8_t)RND(g));
}

static void wrmsr_imm(struct gen *g, uint32_t idx, uint64_t v)
{
	mov_imm(g, 1, idx);
	mov_imm(g, 0, v & 0xffffffff);
	mov_imm(g, 2, v >> 32);
	emit2(g, 0x0f, 0x30);
}

/* A page of the scratch area (the hypercall, SIMP and SIEFP pages' GPA). */
static uint64_t scratch_page(struct gen *g)
{
	return SCRATCH_GPA + (RND(g) % (SCRATCH_SIZE / PAGE)) * PAGE;
}

static void gen_hcall(struct gen *g)
{
	static const uint16_t codes[] = { 0x0002, 0x0003, 0x000b, 0x0013, 0x0014, 0x0015,
					  0x005c, 0x005d, 0x007e, 0x0001, 0x0046 };
	uint64_t input, in, out;

	if (CHANCE(g, 3)) { /* the SynIC on, a SINT, a synthetic timer about to fire */
		static const uint64_t configs[] = { 0x1003 | 0x300, 0x0009 | (2u << 16), 0x0001 | (1u << 16), 0x100b };
		unsigned t = (unsigned)(RND(g) % 4);
		wrmsr_imm(g, 0x40000083, scratch_page(g) | 1);
		wrmsr_imm(g, 0x40000082, scratch_page(g) | 1);
		wrmsr_imm(g, 0x40000090 + (uint32_t)(RND(g) % 16), (0x20 + RND(g) % 0xe0) | (CHANCE(g, 2) ? 1u << 17 : 0));
		wrmsr_imm(g, 0x40000080, 1);
		wrmsr_imm(g, 0x400000b0 + 2 * t, CHANCE(g, 4) ? pick_value(g) : configs[RND(g) % 4]);
		wrmsr_imm(g, 0x400000b1 + 2 * t, CHANCE(g, 4) ? pick_value(g) : 1 + RND(g) % 50000);
		if (CHANCE(g, 2))
			wrmsr_imm(g, 0x40000084, 0);
		return;
	}
	if (!CHANCE(g, 4)) { /* a guest OS id, the hypercall page */
		wrmsr_imm(g, 0x40000000, 0x8100060100000000ull);
		wrmsr_imm(g, 0x40000001, scratch_page(g) | 1);
	}
	input = CHANCE(g, 4) ? RND(g)
			     : codes[RND(g) % (sizeof(codes) / sizeof(codes[0]))] | (CHANCE(g, 3) ? 1u << 16 : 0) |
				       (CHANCE(g, 3) ? (RND(g) % 4) << 17 : 0) | (CHANCE(g, 3) ? (RND(g) % 8) << 32 : 0);
	in = CHANCE(g, 2) ? scratch_page(g) + (RND(g) % 64) * 8 : pick_value(g);
	out = CHANCE(g, 2) ? pick_addr(g) : pick_value(g);
	if (bits(g) == 64) {
		mov_imm(g, 1, input);
		mov_imm(g, 2, in);
		emit2(g, 0x49, 0xb8); /* mov r8, imm64 */
		emit(g, &out, 8);
	} else {
		mov_imm(g, 0, input & 0xffffffff);
		mov_imm(g, 2, input >> 32);
		mov_imm(g, 1, in & 0xffffffff);
		mov_imm(g, 3, in >> 32);
		mov_imm(g, 6, out & 0xffffffff);
		mov_imm(g, 7, out >> 32);
	}
	emit3(g, 0x0f, 0x01, 0xd9); /* VMMCALL */
}

static void gen_class(struct gen *g, enum cls c);

static void gen_lock(struct gen *g)
{
	emit1(g, 0xf0);
	if (CHANCE(g, 2))
		gen_random(g);
	else
		gen_class(g, (enum cls)(RND(g) % C_LOCK));
}

static void gen_class(struct gen *g, enum cls c)
{
	switch (c) {
	case C_RANDOM: gen_random(g); break;
	case C_STORE: gen_store(g); break;
	case C_PT: gen_pt(g); break;
	case C_DESC: gen_desc(g); break;
	case C_SMC: gen_smc(g); break;
	case C_REP: gen_rep(g); break;
	case C_CR: gen_cr(g); break;
	case C_MSR: gen_msr(g); break;
	case C_XSAVE: gen_xsave(g); break;
	case C_APIC: gen_apic(g); break;
	case C_INT: gen_int(g); break;
	case C_DR: gen_dr(g); break;
	case C_HLT: gen_hlt(g); break;
	case C_LOCK: gen_lock(g); break;
	case C_HCALL: gen_hcall(g); break;
	default: gen_io(g); break;
	}
}

/* ---- a guest ----------------------------------------------------------------------- */

struct guest_plan {
	uint64_t seed;
	enum mode mode;
	bool user;                 /* CPL 3 (protected and long mode) */
	unsigned int nvps;
	unsigned int classes[MAX_VPS]; /* bit per class */
	uint8_t handler;           /* 0 out+iret, 1 hlt loop, 2 ud2 */
	bool cpuid_icpt, msr_icpt, exc_icpt, extra_vp;
	uint32_t exc_vector;
};

/* What the VMM owns for one guest: guarded buffers. */
struct vmm {
	uint8_t *ram0, *ro, *ram1;
	uint8_t *ro_copy;
	bool ram1_mapped;
};

struct counters {
	atomic_ulong guests, exits, timeouts, inconsistencies, failures, skipped, emulated, io_rewritten;
	atomic_ulong by_type[16];
	atomic_ulong by_class[C_COUNT], by_mode[M_COUNT];
};
static struct counters cnt;

static const uint32_t msg_types[] = {
	HVMSG_X64_IO_PORT_INTERCEPT, HVMSG_UNMAPPED_GPA, HVMSG_GPA_INTERCEPT, HVMSG_X64_HALT,
	HVMSG_UNRECOVERABLE_EXCEPTION, HVMSG_X64_MSR_INTERCEPT, HVMSG_X64_CPUID_INTERCEPT,
	HVMSG_X64_EXCEPTION_INTERCEPT,
};
#define N_TYPES (sizeof(msg_types) / sizeof(msg_types[0]))
#define T_UNKNOWN N_TYPES
#define T_EINTR (N_TYPES + 1)

static size_t payload_size(uint32_t type)
{
	switch (type) {
	case HVMSG_X64_IO_PORT_INTERCEPT: return sizeof(struct hv_x64_io_port_intercept_message);
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT: return sizeof(struct hv_x64_memory_intercept_message);
	case HVMSG_X64_HALT: return sizeof(struct hv_x64_halt_message);
	case HVMSG_UNRECOVERABLE_EXCEPTION: return sizeof(struct hv_x64_unrecoverable_exception_message);
	case HVMSG_X64_MSR_INTERCEPT: return sizeof(struct hv_x64_msr_intercept_message);
	case HVMSG_X64_CPUID_INTERCEPT: return sizeof(struct hv_x64_cpuid_intercept_message);
	case HVMSG_X64_EXCEPTION_INTERCEPT: return sizeof(struct hv_x64_exception_intercept_message);
	default: return 0;
	}
}

static unsigned long guest_ms = 50, max_exits = 400;
static bool verbose;

/* one page of guard on each side: [guard][size bytes][guard] */
static void *guarded_alloc(size_t size)
{
	uint8_t *p = mmap(NULL, size + 2 * PAGE, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + PAGE, size, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, size + 2 * PAGE);
		return NULL;
	}
	return p + PAGE;
}

static void guarded_free(void *p, size_t size)
{
	if (p)
		munmap((uint8_t *)p - PAGE, size + 2 * PAGE);
}

/* the VMM's host address of [gpa, gpa + n) when RAM (ro: the read-only region counts), else NULL */
static uint8_t *host_of(struct vmm *v, uint64_t gpa, uint64_t n, bool ro)
{
	if (gpa + n < gpa)
		return NULL;
	if (gpa + n <= RAM0_GPA + RAM0_SIZE)
		return v->ram0 + (gpa - RAM0_GPA);
	if (ro && gpa >= RO_GPA && gpa + n <= RO_GPA + RO_SIZE)
		return v->ro + (gpa - RO_GPA);
	if (v->ram1_mapped && gpa >= RAM1_GPA && gpa + n <= RAM1_GPA + RAM1_SIZE)
		return v->ram1 + (gpa - RAM1_GPA);
	return NULL;
}

/* ---- the emulator's device: reads give a pattern, writes vanish ---------------------- */

static int dev_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct vmm *v = ctx;
	uint8_t *h = host_of(v, gpa, size, true);

	if (h)
		memcpy(data, h, size); /* the read-only region: its contents */
	else
		memset(data, (int)(0xa0 | (gpa & 0xf)), size);
	return 0;
}

static int dev_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	(void)ctx, (void)gpa, (void)size, (void)data;
	return 0;
}

static void *dev_ram(void *ctx, __u64 gpa, unsigned int size)
{
	return host_of(ctx, gpa, size, false);
}

static int port_read(void *ctx, __u16 port, unsigned int size, void *data)
{
	(void)ctx;
	memset(data, (int)(port & 0xff), size);
	return 0;
}

static int port_write(void *ctx, __u16 port, unsigned int size, const void *data)
{
	(void)ctx, (void)port, (void)size, (void)data;
	return 0;
}

static const struct mshv_x86_emulator_ops ops = { dev_read, dev_write, dev_ram, port_read, port_write, NULL };

/* ---- one VP's run loop ------------------------------------------------------------- */

struct vp_run {
	struct mshv_vcpu vcpu;
	struct vmm *vmm;
	const struct guest_plan *plan;
	struct hv_message *msg; /* between guard pages */
	pthread_t thread;
	uint64_t rng;
	unsigned int index;
	atomic_int stop, done;
	unsigned long exits;
	int error; /* a run or completion failed with this -errno */
	bool shared; /* another VP runs concurrently: guest memory may change under the checks */
	struct mshv_vm *vm;
};

static void report(struct vp_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct vp_run *r, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&cnt.inconsistencies, 1);
	fprintf(stderr, "INCONSISTENT: guest seed 0x%016" PRIx64 " (%s), VP %u, exit %lu: %s\n", r->plan->seed,
		mode_names[r->plan->mode], r->index, r->exits, line);
}

/* guest linear lin into buf (at most n bytes); the count that is RAM (or the read-only region) */
static size_t read_linear(struct vp_run *r, uint64_t lin, uint8_t *buf, size_t n, bool paging)
{
	size_t done = 0;

	while (done < n) {
		uint64_t la = lin + done, chunk = PAGE - (la & (PAGE - 1));
		__u64 gpa = la;
		uint8_t *h;

		if (paging) {
			union hv_translate_gva_result res;

			if (mshv_vcpu_translate_gva(&r->vcpu, la & ~(uint64_t)(PAGE - 1), 0, &gpa, &res, NULL) < 0 ||
			    res.result_code != HV_TRANSLATE_GVA_SUCCESS)
				break;
			gpa |= la & (PAGE - 1);
		}
		if (chunk > n - done)
			chunk = n - done;
		h = host_of(r->vmm, gpa, chunk, true);
		if (!h)
			break;
		memcpy(buf + done, h, chunk);
		done += chunk;
	}
	return done;
}

/* IN/OUT/INS/OUTS at bytes: the expected port-IO message fields; false when it is none of them */
struct io_expect {
	unsigned int len, size, in, string, rep, port_imm;
	int has_imm;
};

static bool io_decode(const uint8_t *b, size_t n, int bits16, bool long64, struct io_expect *e)
{
	size_t i = 0;
	bool opsz = false, rep = false, rex_w = false;
	uint8_t op;

	while (i < n && i < 15) {
		uint8_t c = b[i];

		if (long64 && (c & 0xf0) == 0x40) {
			rex_w = c & 0x8; /* counts only right before the opcode */
			i++;
			continue;
		}
		if (c == 0x66)
			opsz = true;
		else if (c == 0xf2 || c == 0xf3)
			rep = true;
		else if (!(c == 0x67 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65 ||
			   c == 0xf0))
			break;
		rex_w = false;
		i++;
	}
	if (i >= n)
		return false;
	op = b[i];
	memset(e, 0, sizeof(*e));
	if (op >= 0xe4 && op <= 0xe7) {
		if (i + 1 >= n)
			return false;
		e->has_imm = 1;
		e->port_imm = b[i + 1];
		e->len = (unsigned int)i + 2;
	} else if ((op >= 0xec && op <= 0xef) || (op >= 0x6c && op <= 0x6f)) {
		e->len = (unsigned int)i + 1;
	} else {
		return false;
	}
	e->in = op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed || op == 0x6c || op == 0x6d;
	e->string = op >= 0x6c && op <= 0x6f;
	e->rep = e->string && rep;
	/* REX.W makes the operand 64 bits, over 66; port IO then moves 32 */
	e->size = (op & 1) == 0 ? 1 : rex_w ? 4 : (bits16 ? !opsz : opsz) ? 2 : 4;
	return true;
}

enum region { R_RAM, R_RO, R_UNMAPPED, R_APIC };

static enum region region_of(struct vmm *v, uint64_t gpa)
{
	if (gpa < RAM0_GPA + RAM0_SIZE || (v->ram1_mapped && gpa >= RAM1_GPA && gpa < RAM1_GPA + RAM1_SIZE))
		return R_RAM;
	if (gpa >= RO_GPA && gpa < RO_GPA + RO_SIZE)
		return R_RO;
	if ((gpa & ~(uint64_t)(PAGE - 1)) == APIC_GPA)
		return R_APIC;
	return R_UNMAPPED;
}

/* The exit's contents against the register page, the instruction and the memory map. */
static void check_exit(struct vp_run *r, const struct hv_message *m)
{
	const struct hv_x64_intercept_message_header *h = (const void *)m->u.payload;
	const struct hv_vp_register_page *rp = r->vcpu.reg_page;
	size_t want = payload_size(m->header.message_type);
	bool paging, long64;
	uint64_t lin;
	uint8_t mem[16];
	size_t have;

	if (!want) {
		report(r, "unknown message type 0x%x", m->header.message_type);
		return;
	}
	if (m->header.payload_size != want)
		report(r, "message 0x%x: payload size %u, want %zu", m->header.message_type, m->header.payload_size,
		       want);
	if (h->vp_index != r->index)
		report(r, "message 0x%x: VP index %u", m->header.message_type, h->vp_index);
	if (h->intercept_access_type > HV_INTERCEPT_ACCESS_EXECUTE)
		report(r, "access type %u", h->intercept_access_type);
	if (rp && rp->isvalid) {
		if (rp->rip != h->rip)
			report(r, "message 0x%x: header RIP 0x%" PRIx64 ", register page 0x%" PRIx64,
			       m->header.message_type, (uint64_t)h->rip, (uint64_t)rp->rip);
		if (rp->rflags != h->rflags)
			report(r, "header RFLAGS 0x%" PRIx64 ", register page 0x%" PRIx64, (uint64_t)h->rflags,
			       (uint64_t)rp->rflags);
		if (memcmp(&rp->cs, &h->cs_segment, sizeof(h->cs_segment)) != 0)
			report(r, "header CS differs from the register page's");
		if (h->execution_state.cr0_pe != (rp->cr0 & 1) || h->execution_state.efer_lma != !!(rp->efer & 0x400))
			report(r, "execution state PE %u LMA %u, CR0 0x%" PRIx64 " EFER 0x%" PRIx64,
			       h->execution_state.cr0_pe, h->execution_state.efer_lma, (uint64_t)rp->cr0,
			       (uint64_t)rp->efer);
	} else if (rp) {
		report(r, "register page not valid after an exit");
		return;
	}
	if (!rp)
		return;
	paging = (rp->cr0 & 0x80000001) == 0x80000001;
	long64 = (rp->efer & 0x400) && h->cs_segment._long;
	if (!long64 && h->rip > 0xffffffffull)
		report(r, "RIP 0x%" PRIx64 " outside 64-bit mode", (uint64_t)h->rip);
	/* (real mode included: a guest that clears CR0.PE keeps a 32-bit CS, and EIP above 64 KiB) */
	lin = long64 ? h->rip : (h->cs_segment.base + h->rip) & 0xffffffffull;

	switch (m->header.message_type) {
	case HVMSG_X64_IO_PORT_INTERCEPT: {
		const struct hv_x64_io_port_intercept_message *io = (const void *)m->u.payload;
		struct io_expect e;
		/*
		 * CS.D, in real mode too: a guest that clears CR0.PE with a 32-bit CS
		 * goes on running 32-bit code (the CPU model does; mshv_x86_mode_of
		 * says 16 there)
		 */
		int mode16 = !long64 && ((h->rflags & (1u << 17)) || !h->cs_segment._default);

		if (io->instruction_byte_count > 16) {
			report(r, "port IO: %u instruction bytes", io->instruction_byte_count);
			break;
		}
		if (!r->shared) {
			have = read_linear(r, lin, mem, io->instruction_byte_count, paging);
			if (memcmp(mem, io->instruction_bytes, have) != 0)
				report(r, "port IO: instruction bytes differ from guest memory at 0x%" PRIx64, lin);
		}
		if (r->shared)
			break; /* the other VP may have rewritten the code since (cross-modifying code) */
		if (!io_decode(io->instruction_bytes, io->instruction_byte_count, mode16, long64, &e)) {
			/*
			 * Known, not counted as an inconsistency (open findings of the
			 * CPU model): a REP string instruction that overwrites its own
			 * bytes turns into what it wrote midway (unicorn re-decodes a
			 * REP at each iteration; the processor finishes it), e.g. REP
			 * STOSB into INSW: MSHV_GUEST_FUZZ_SEED=20261206 sim_guest_fuzz
			 * --guest 1744. And a guest that overwrote its page tables
			 * without a TLB flush runs on through the old translation, while
			 * the message's instruction bytes are read through the new
			 * tables (the hardware reports the bytes it fetched):
			 * MSHV_GUEST_FUZZ_SEED=20261207 sim_guest_fuzz --guest 236.
			 */
			if (atomic_fetch_add(&cnt.io_rewritten, 1) < 5)
				fprintf(stderr, "note: guest seed 0x%016" PRIx64 ": port IO exit at %02x %02x %02x %02x "
						"(rip 0x%" PRIx64 "): code rewritten under the instruction\n",
					r->plan->seed, io->instruction_bytes[0], io->instruction_bytes[1],
					io->instruction_bytes[2], io->instruction_bytes[3], (uint64_t)h->rip);
			break;
		}
		if (io->port_number != (e.has_imm ? e.port_imm : (rp->rdx & 0xffff)))
			report(r, "port IO: port 0x%x, instruction's 0x%x", io->port_number,
			       e.has_imm ? e.port_imm : (unsigned int)(rp->rdx & 0xffff));
		if (io->access_info.access_size != e.size || io->access_info.string_op != e.string ||
		    io->access_info.rep_prefix != e.rep)
			report(r, "port IO: size %u string %u rep %u, instruction's %u %u %u (%02x %02x %02x %02x, CS 0x%x "
				  "attributes 0x%x)",
			       io->access_info.access_size, io->access_info.string_op, io->access_info.rep_prefix,
			       e.size, e.string, e.rep, io->instruction_bytes[0], io->instruction_bytes[1],
			       io->instruction_bytes[2], io->instruction_bytes[3], h->cs_segment.selector,
			       h->cs_segment.attributes);
		if (h->intercept_access_type != (e.in ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE))
			report(r, "port IO: access type %u for %s", h->intercept_access_type, e.in ? "IN" : "OUT");
		if (h->instruction_length != e.len)
			report(r, "port IO: instruction length %u, decoded %u", h->instruction_length, e.len);
		break;
	}
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT: {
		const struct hv_x64_memory_intercept_message *mi = (const void *)m->u.payload;
		uint64_t gpa = mi->guest_physical_address;
		enum region reg = region_of(r->vmm, gpa);
		bool unmapped = m->header.message_type == HVMSG_UNMAPPED_GPA;

		if (mi->instruction_byte_count > 16)
			report(r, "memory: %u instruction bytes", mi->instruction_byte_count);
		if (reg == R_RAM)
			report(r, "%s at GPA 0x%" PRIx64 " (RAM), access %u", unmapped ? "unmapped GPA" : "GPA intercept",
			       gpa, h->intercept_access_type);
		else if (reg == R_RO && (unmapped || h->intercept_access_type != HV_INTERCEPT_ACCESS_WRITE))
			report(r, "%s at GPA 0x%" PRIx64 " (read-only region), access %u",
			       unmapped ? "unmapped GPA" : "GPA intercept", gpa, h->intercept_access_type);
		else if (reg == R_UNMAPPED && !unmapped)
			report(r, "GPA intercept at unmapped GPA 0x%" PRIx64, gpa);
		if (!(rp->efer & 0x400) && mi->memory_access_info.gva_valid && mi->guest_virtual_address > 0xffffffffull)
			report(r, "GVA 0x%" PRIx64 " outside IA-32e mode", (uint64_t)mi->guest_virtual_address);
		if (!paging && mi->memory_access_info.gva_valid && mi->guest_virtual_address != gpa)
			report(r, "paging off: GVA 0x%" PRIx64 " but GPA 0x%" PRIx64 " (%02x %02x %02x %02x %02x %02x)",
			       (uint64_t)mi->guest_virtual_address, gpa, mi->instruction_bytes[0], mi->instruction_bytes[1],
			       mi->instruction_bytes[2], mi->instruction_bytes[3], mi->instruction_bytes[4],
			       mi->instruction_bytes[5]);
		if (verbose)
			fprintf(stderr, "  rip 0x%llx rax 0x%llx rbx 0x%llx rsp 0x%llx cr0 0x%llx cs 0x%x/0x%x ds 0x%x base 0x%llx\n",
				(unsigned long long)h->rip, (unsigned long long)rp->rax, (unsigned long long)rp->rbx,
				(unsigned long long)rp->rsp, (unsigned long long)rp->cr0, h->cs_segment.selector,
				h->cs_segment.attributes, rp->ds.selector, (unsigned long long)rp->ds.base);
		if (!r->shared && mi->instruction_byte_count <= 16) {
			have = read_linear(r, lin, mem, mi->instruction_byte_count, paging);
			if (memcmp(mem, mi->instruction_bytes, have) != 0)
				report(r, "memory: instruction bytes differ from guest memory at 0x%" PRIx64, lin);
		}
		break;
	}
	case HVMSG_X64_MSR_INTERCEPT: {
		const struct hv_x64_msr_intercept_message *mm = (const void *)m->u.payload;

		if (mm->msr_number != (uint32_t)rp->rcx)
			report(r, "MSR 0x%x, ECX 0x%x", mm->msr_number, (uint32_t)rp->rcx);
		if (h->instruction_length != 2)
			report(r, "MSR: instruction length %u", h->instruction_length);
		if (!r->shared && read_linear(r, lin, mem, 2, paging) == 2 &&
		    (mem[0] != 0x0f || mem[1] != (h->intercept_access_type == HV_INTERCEPT_ACCESS_WRITE ? 0x30 : 0x32)))
			report(r, "MSR %s exit at %02x %02x", h->intercept_access_type ? "write" : "read", mem[0], mem[1]);
		break;
	}
	case HVMSG_X64_CPUID_INTERCEPT:
		if (h->instruction_length != 2)
			report(r, "CPUID: instruction length %u", h->instruction_length);
		if (!r->shared && read_linear(r, lin, mem, 2, paging) == 2 && (mem[0] != 0x0f || mem[1] != 0xa2))
			report(r, "CPUID exit at %02x %02x", mem[0], mem[1]);
		break;
	case HVMSG_X64_HALT:
		/* the VP has halted: RIP is past the HLT */
		if (h->instruction_length != 1)
			report(r, "HLT: instruction length %u", h->instruction_length);
		if (!r->shared && read_linear(r, lin - 1, mem, 1, paging) == 1 && mem[0] != 0xf4)
			report(r, "HLT exit after %02x", mem[0]);
		break;
	default:
		break;
	}
}

/* Complete the exit as a VMM would; false: stop this VP. */
static bool complete_exit(struct vp_run *r, const struct hv_message *m)
{
	const struct hv_x64_intercept_message_header *h = (const void *)m->u.payload;
	struct mshv_x86_insn insn;
	int ret;

	switch (m->header.message_type) {
	case HVMSG_X64_IO_PORT_INTERCEPT: {
		const struct hv_x64_io_port_intercept_message *io = (const void *)m->u.payload;

		if (io->access_info.string_op) {
			ret = mshv_vcpu_emulate_string_io(&r->vcpu, m, &ops, r->vmm, &insn, NULL);
			if (ret >= 0) {
				atomic_fetch_add(&cnt.emulated, 1);
				return true;
			}
			return mshv_vcpu_advance_rip(&r->vcpu, h, NULL) == 0;
		}
		return mshv_vcpu_complete_io(&r->vcpu, io, 0x5a5a5a5a, NULL) == 0;
	}
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:
		if (h->intercept_access_type == HV_INTERCEPT_ACCESS_EXECUTE)
			return false; /* code where there is no RAM: a VMM stops the VM */
		memset(&insn, 0, sizeof(insn));
		ret = mshv_vcpu_emulate_mmio(&r->vcpu, m, &ops, r->vmm, &insn, NULL);
		if (ret >= 0) {
			atomic_fetch_add(&cnt.emulated, 1);
			return true;
		}
		if (insn.length == 0) {
			const struct hv_x64_memory_intercept_message *mi = (const void *)m->u.payload;

			if (mshv_x86_decode(mi->instruction_bytes, mi->instruction_byte_count, mshv_x86_mode_of(h),
					    &insn) < 0 || !insn.length)
				return false;
		}
		atomic_fetch_add(&cnt.skipped, 1);
		return mshv_vcpu_set_rip(&r->vcpu, h->rip + insn.length, NULL) == 0;
	case HVMSG_X64_MSR_INTERCEPT:
		if (h->intercept_access_type == HV_INTERCEPT_ACCESS_READ &&
		    MSHV_SET_REGISTERS_64(&r->vcpu, NULL, { HV_X64_REGISTER_RAX, 0x12345678 },
					  { HV_X64_REGISTER_RDX, 0x9abcdef0 }) < 0)
			return false;
		return mshv_vcpu_advance_rip(&r->vcpu, h, NULL) == 0;
	case HVMSG_X64_CPUID_INTERCEPT: {
		const struct hv_x64_cpuid_intercept_message *c = (const void *)m->u.payload;

		if (MSHV_SET_REGISTERS_64(&r->vcpu, NULL, { HV_X64_REGISTER_RAX, c->default_result_rax },
					  { HV_X64_REGISTER_RBX, c->default_result_rbx },
					  { HV_X64_REGISTER_RCX, c->default_result_rcx },
					  { HV_X64_REGISTER_RDX, c->default_result_rdx }) < 0)
			return false;
		return mshv_vcpu_advance_rip(&r->vcpu, h, NULL) == 0;
	}
	case HVMSG_X64_HALT:
		/* interrupts on: wait for one; off: sometimes wait anyway (only the kick ends it) */
		return (h->rflags & 0x200) || splitmix(&r->rng) % 4 == 0;
	case HVMSG_UNRECOVERABLE_EXCEPTION:
		return splitmix(&r->rng) % 8 == 0; /* mostly a reset; now and then the VP is run again */
	default:
		return false;
	}
}

static int type_slot(uint32_t type)
{
	for (unsigned int i = 0; i < N_TYPES; i++)
		if (msg_types[i] == type)
			return (int)i;
	return T_UNKNOWN;
}

static int map(struct mshv_vm *vm, uint64_t gpa, void *host, uint64_t size, bool writable, bool unmap);

/*
 * One-VP guests: now and then the VMM unmaps RAM1 between two runs, or maps
 * it back (the VP's next run sees the new memory map).
 */
static void toggle_ram1(struct vp_run *r)
{
	struct vmm *v = r->vmm;
	bool unmap = v->ram1_mapped;

	if (r->shared || splitmix(&r->rng) % 32)
		return;
	if (map(r->vm, RAM1_GPA, v->ram1, RAM1_SIZE, true, unmap) == 0)
		v->ram1_mapped = !unmap;
	else
		report(r, "%s RAM1 failed", unmap ? "unmapping" : "mapping");
}

static void *vp_thread(void *p)
{
	struct vp_run *r = p;
	int ret;

	while (!atomic_load(&r->stop) && r->exits < max_exits) {
		ret = mshv_vcpu_run(&r->vcpu, r->msg);
		if (ret == -EINTR) {
			atomic_fetch_add(&cnt.by_type[T_EINTR], 1);
			continue;
		}
		if (ret < 0) {
			r->error = ret;
			break;
		}
		r->exits++;
		atomic_fetch_add(&cnt.exits, 1);
		atomic_fetch_add(&cnt.by_type[type_slot(r->msg->header.message_type)], 1);
		check_exit(r, r->msg);
		if (verbose)
			fprintf(stderr, "  VP %u exit 0x%x rip 0x%" PRIx64 "\n", r->index, r->msg->header.message_type,
				(uint64_t)((const struct hv_x64_intercept_message_header *)r->msg->u.payload)->rip);
		if (!complete_exit(r, r->msg))
			break;
		toggle_ram1(r);
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/* ---- setting a guest up ------------------------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void build_tables(struct vmm *v, const struct guest_plan *pl, uint64_t *rng)
{
	uint8_t *ram = v->ram0;
	static const uint64_t gdt[] = {
		0, 0x00af9b000000ffffull, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x000f9b000000ffffull,
		0, 0, 0x00affb000000ffffull, 0x00cff3000000ffffull, 0x00cffb000000ffffull,
	};
	unsigned int i;

	/* long mode: PML4[0] -> PDPT; PDPT[0] -> PD0, [3] -> PD3; PD0[0] -> PT */
	put64(ram + PML4_GPA, PDPT_GPA | 0x7);
	put64(ram + PDPT_GPA, PD0_GPA | 0x7);
	put64(ram + PDPT_GPA + 3 * 8, PD3_GPA | 0x7);
	for (i = 0; i < 512; i++) {
		put64(ram + PD0_GPA + i * 8, ((uint64_t)i << 21) | 0x87);
		put64(ram + PD3_GPA + i * 8, (0xc0000000ull + ((uint64_t)i << 21)) | 0x87 | (i == 503 ? 0x18 : 0));
		put64(ram + PT_GPA + i * 8, ((uint64_t)i << 12) | 0x7);
	}
	put64(ram + PD0_GPA, PT_GPA | 0x7);
	/* 32-bit paging: 4 MiB pages */
	for (i = 0; i < 1024; i++)
		put32(ram + PD32_GPA + i * 4, (i << 22) | 0x87);
	memcpy(ram + GDT_GPA, gdt, sizeof(gdt));
	/* the TSS descriptor at 0x28 (16 bytes in long mode) */
	put64(ram + GDT_GPA + 0x28, 0x0000890000000067ull | (uint64_t)TSS_GPA << 16);
	put32(ram + TSS_GPA + 4, STACK_TOP - 0x1000);         /* RSP0 / ESP0 */
	put32(ram + TSS_GPA + 8, pl->mode == M_LONG ? 0 : 0x18); /* SS0 (32-bit) */
	/* the handler every vector points at */
	{
		static const uint8_t h[3][4] = { { 0xe6, 0x80, 0xcf }, { 0xf4, 0xeb, 0xfd }, { 0x0f, 0x0b } };

		memcpy(ram + HANDLER_GPA, h[pl->handler], 4);
		if (pl->handler == 0 && pl->mode == M_LONG) {
			ram[HANDLER_GPA + 2] = 0x48;
			ram[HANDLER_GPA + 3] = 0xcf;
		}
	}
	for (i = 0; i < 256; i++) {
		if (pl->mode == M_LONG) {
			put64(ram + IDT_GPA + i * 16, (HANDLER_GPA & 0xffff) | 0x08ull << 16 | 0x8eull << 40 |
							      (uint64_t)(HANDLER_GPA >> 16) << 48);
			put64(ram + IDT_GPA + i * 16 + 8, 0);
		} else {
			put64(ram + IDT_GPA + i * 8, (HANDLER_GPA & 0xffff) | 0x10ull << 16 | 0x8eull << 40 |
							     (uint64_t)(HANDLER_GPA >> 16) << 48);
		}
		put32(ram + i * 4, (HANDLER_GPA >> 4) << 16); /* real mode IVT: 0900:0000 */
	}
	for (i = 0; i < SCRATCH_SIZE; i += 8)
		put64(ram + SCRATCH_GPA + i, splitmix(rng));
	for (i = 0; i < RAM1_SIZE; i += 8)
		put64(v->ram1 + i, splitmix(rng));
}

static void seg(struct mshv_segment_register *s, uint16_t sel, uint8_t type, bool code64, bool db, uint8_t dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->dpl = dpl;
	s->l = code64;
	s->db = db;
	s->g = 1;
}

static int setup_vp(struct vp_run *r, const struct guest_plan *pl, uint64_t *rng)
{
	struct mshv_special_registers s;
	struct mshv_standard_registers g;
	unsigned int i = r->index;
	uint8_t dpl = pl->user ? 3 : 0;
	int ret;

	if ((ret = mshv_vcpu_get_sregs(&r->vcpu, &s, NULL)) < 0)
		return ret;
	if ((ret = mshv_vcpu_get_regs(&r->vcpu, &g, NULL)) < 0)
		return ret;
	for (unsigned int k = 0; k < 16; k++)
		(&g.rax)[k] = splitmix(rng) % 4 ? splitmix(rng) & 0xffff : splitmix(rng);
	g.rflags = 0x2 | (splitmix(rng) % 4 == 0 ? 0x200 : 0);
	if (pl->mode == M_REAL) {
		s.cs.selector = (uint16_t)((CODE_GPA + i * CODE_SIZE) >> 4);
		s.cs.base = CODE_GPA + i * CODE_SIZE;
		s.ss.selector = (uint16_t)((STACK_TOP + i * 0x8000 - 0x8000) >> 4);
		s.ss.base = (uint64_t)s.ss.selector << 4;
		g.rip = 0;
		g.rsp = 0x7ff0;
		s.idt.base = 0;
		s.idt.limit = 0x3ff;
		s.cr4 |= 0x600; /* OSFXSR, OSXMMEXCPT: SSE usable */
	} else {
		bool lm = pl->mode == M_LONG;

		seg(&s.cs, (uint16_t)((lm ? (pl->user ? 0x38 : 0x08) : (pl->user ? 0x48 : 0x10)) | dpl), 11, lm, !lm,
		    dpl);
		seg(&s.ss, (uint16_t)((pl->user ? 0x40 : 0x18) | dpl), 3, false, true, dpl);
		s.ds = s.es = s.fs = s.gs = s.ss;
		memset(&s.tr, 0, sizeof(s.tr));
		s.tr.selector = 0x28;
		s.tr.base = TSS_GPA;
		s.tr.limit = 0x67;
		s.tr.type = 11;
		s.tr.present = 1;
		s.gdt.base = GDT_GPA;
		s.gdt.limit = 0x4f;
		s.idt.base = IDT_GPA;
		s.idt.limit = lm ? 0xfff : 0x7ff;
		s.cr0 = 0x11 | 0x20;
		s.cr4 = 0x600 | (splitmix(rng) % 2 ? 0x40000 : 0); /* OSFXSR, OSXMMEXCPT, maybe OSXSAVE */
		if (pl->mode == M_PROT_PG) {
			s.cr0 |= 0x80000000;
			s.cr4 |= 0x10; /* PSE */
			s.cr3 = PD32_GPA;
		}
		if (lm) {
			s.cr0 |= 0x80000000;
			s.cr4 |= 0x20; /* PAE */
			s.cr3 = PML4_GPA;
			s.efer = 0xd01; /* SCE, LME, LMA, NXE */
		}
		g.rip = CODE_GPA + i * CODE_SIZE;
		g.rsp = STACK_TOP + i * 0x8000 - 16;
	}
	if ((ret = mshv_vcpu_set_sregs(&r->vcpu, &s, NULL)) < 0)
		return ret;
	return mshv_vcpu_set_regs(&r->vcpu, &g, NULL);
}

static void plan_guest(struct guest_plan *pl, uint64_t seed)
{
	uint64_t s = seed;
	unsigned int i, n;

	memset(pl, 0, sizeof(*pl));
	pl->seed = seed;
	pl->mode = (enum mode)(splitmix(&s) % M_COUNT);
	pl->user = pl->mode != M_REAL && splitmix(&s) % 6 == 0;
	pl->nvps = splitmix(&s) % 4 == 0 ? 2 : 1;
	for (i = 0; i < pl->nvps; i++) {
		n = 1 + (unsigned int)(splitmix(&s) % 3);
		while (n--)
			pl->classes[i] |= 1u << (splitmix(&s) % C_COUNT);
	}
	pl->handler = (uint8_t)(splitmix(&s) % 3);
	pl->cpuid_icpt = splitmix(&s) % 4 == 0;
	pl->msr_icpt = splitmix(&s) % 4 == 0;
	pl->exc_icpt = splitmix(&s) % 8 == 0;
	pl->exc_vector = (uint32_t)(splitmix(&s) % 32);
	pl->extra_vp = splitmix(&s) % 8 == 0;
}

static void gen_code(struct gen *g, unsigned int classes)
{
	enum cls list[C_COUNT];
	unsigned int n = 0, i;

	for (i = 0; i < C_COUNT; i++)
		if (classes & (1u << i))
			list[n++] = (enum cls)i;
	while (g->len + 64 < g->cap - 8 && !(g->len > 256 && CHANCE(g, 24)))
		gen_class(g, list[RND(g) % n]);
	emit3(g, 0xf4, 0xeb, 0xfd); /* hlt; jmp back to it */
}

static void on_kick(int sig)
{
	(void)sig;
}

static void print_plan(FILE *f, const struct guest_plan *pl)
{
	fprintf(f, "guest seed 0x%016" PRIx64 ": %s%s, %u VP(s), classes", pl->seed, mode_names[pl->mode],
		pl->user ? " CPL3" : "", pl->nvps);
	for (unsigned int i = 0; i < pl->nvps; i++) {
		fprintf(f, " [");
		for (unsigned int c = 0; c < C_COUNT; c++)
			if (pl->classes[i] & (1u << c))
				fprintf(f, " %s", class_names[c]);
		fprintf(f, " ]");
	}
	fprintf(f, "%s%s%s\n", pl->cpuid_icpt ? " cpuid-icpt" : "", pl->msr_icpt ? " msr-icpt" : "",
		pl->exc_icpt ? " exception-icpt" : "");
}

static struct mshv_system sys;

static void fail(const struct guest_plan *pl, const char *what, int ret)
{
	atomic_fetch_add(&cnt.failures, 1);
	fprintf(stderr, "FAILED: %s: %s; ", what, mshv_strerror(ret));
	print_plan(stderr, pl);
}

static int map(struct mshv_vm *vm, uint64_t gpa, void *host, uint64_t size, bool writable, bool unmap)
{
	struct mshv_user_mem_region mr;

	memset(&mr, 0, sizeof(mr));
	mr.guest_pfn = gpa >> 12;
	mr.size = size;
	mr.userspace_addr = (uintptr_t)host;
	mr.flags = writable ? MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE)
			    : MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_EXECUTABLE);
	return unmap ? mshv_vm_unmap_user_memory(vm, &mr) : mshv_vm_map_user_memory(vm, &mr);
}

/* The VMM's buffers of one job: reused from guest to guest. */
struct job {
	struct vmm vmm;
	struct hv_message *msg[MAX_VPS];
	uint8_t *msg_pages;
};

static int job_init(struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->vmm.ram0 = guarded_alloc(RAM0_SIZE);
	j->vmm.ro = guarded_alloc(RO_SIZE);
	j->vmm.ram1 = guarded_alloc(RAM1_SIZE);
	j->vmm.ro_copy = malloc(RO_SIZE);
	/* each VP's message at the very end of its page, the guard right after it */
	j->msg_pages = guarded_alloc(MAX_VPS * 2 * PAGE);
	if (!j->vmm.ram0 || !j->vmm.ro || !j->vmm.ram1 || !j->vmm.ro_copy || !j->msg_pages)
		return -ENOMEM;
	for (unsigned int i = 0; i < MAX_VPS; i++) {
		uint8_t *page = j->msg_pages + i * 2 * PAGE;

		mprotect(page + PAGE, PAGE, PROT_NONE);
		j->msg[i] = (struct hv_message *)(void *)(page + PAGE - sizeof(struct hv_message));
	}
	return 0;
}

static void job_fini(struct job *j)
{
	guarded_free(j->vmm.ram0, RAM0_SIZE);
	guarded_free(j->vmm.ro, RO_SIZE);
	guarded_free(j->vmm.ram1, RAM1_SIZE);
	guarded_free(j->msg_pages, MAX_VPS * 2 * PAGE);
	free(j->vmm.ro_copy);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one guest; false when the host side failed (reported). */
static bool run_guest(struct job *j, uint64_t seed)
{
	struct guest_plan pl;
	struct vmm *v = &j->vmm;
	struct mshv_vm vm;
	struct vp_run vps[MAX_VPS];
	uint64_t rng = seed ^ 0x5bd1e995;
	unsigned int i, started = 0;
	double deadline;
	bool ok = true;
	int ret;

	plan_guest(&pl, seed);
	if (verbose)
		print_plan(stderr, &pl);
	atomic_fetch_add(&cnt.by_mode[pl.mode], 1);
	for (i = 0; i < pl.nvps; i++)
		for (unsigned int c = 0; c < C_COUNT; c++)
			if (pl.classes[i] & (1u << c))
				atomic_fetch_add(&cnt.by_class[c], 1);
	memset(vps, 0, sizeof(vps));
	for (i = 0; i < MAX_VPS; i++)
		vps[i].vcpu.fd = -1;
	vm.fd = -1;

	/* memory: page tables and the rest, code, the read-only region's pattern */
	memset(v->ram0, 0, RAM0_SIZE);
	build_tables(v, &pl, &rng);
	for (i = 0; i < RO_SIZE; i++)
		v->ro[i] = (uint8_t)(i * 31 + (seed & 0xff));
	memcpy(v->ro_copy, v->ro, RO_SIZE);
	for (i = 0; i < pl.nvps; i++) {
		struct gen g = {
			.buf = v->ram0 + CODE_GPA + i * CODE_SIZE,
			.cap = 0x400 + (uint32_t)(splitmix(&rng) % (CODE_SIZE - 0x800)),
			.code_lin = CODE_GPA + i * CODE_SIZE,
			.mode = pl.mode,
			.vp = (int)i,
			.rng = splitmix(&rng),
		};
		gen_code(&g, pl.classes[i]);
		if (verbose) { /* the code as generated (before the guest rewrites any of it) */
			fprintf(stderr, "  VP %u code at 0x%x:", i, CODE_GPA + i * CODE_SIZE);
			for (uint32_t k = 0; k < g.len; k++)
				fprintf(stderr, "%s%02x", k % 32 ? " " : "\n   ", g.buf[k]);
			fprintf(stderr, "\n");
		}
	}

	if ((ret = mshv_system_create_vm(&sys, &vm, NULL)) < 0 || (ret = mshv_vm_initialize(&vm)) < 0) {
		fail(&pl, "create partition", ret);
		ok = false;
		goto out;
	}
	v->ram1_mapped = true;
	if ((ret = map(&vm, RAM0_GPA, v->ram0, RAM0_SIZE, true, false)) < 0 ||
	    (ret = map(&vm, RO_GPA, v->ro, RO_SIZE, false, false)) < 0 ||
	    (ret = map(&vm, RAM1_GPA, v->ram1, RAM1_SIZE, true, false)) < 0) {
		fail(&pl, "map memory", ret);
		ok = false;
		goto out;
	}
	if (pl.cpuid_icpt || pl.msr_icpt || pl.exc_icpt) {
		struct mshv_install_intercept ic;

		memset(&ic, 0, sizeof(ic));
		ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE |
				      HV_INTERCEPT_ACCESS_MASK_EXECUTE;
		if (pl.cpuid_icpt) {
			ic.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
			if ((ret = mshv_vm_install_intercept(&vm, &ic, NULL)) < 0)
				fail(&pl, "CPUID intercept", ret), ok = false;
		}
		if (pl.msr_icpt) {
			ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
			ic.intercept_type = HV_INTERCEPT_TYPE_X64_MSR;
			if ((ret = mshv_vm_install_intercept(&vm, &ic, NULL)) < 0)
				fail(&pl, "MSR intercept", ret), ok = false;
		}
		if (pl.exc_icpt) {
			ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
			ic.intercept_type = HV_INTERCEPT_TYPE_EXCEPTION;
			ic.intercept_parameter.exception_vector = (uint16_t)pl.exc_vector;
			if ((ret = mshv_vm_install_intercept(&vm, &ic, NULL)) < 0)
				fail(&pl, "exception intercept", ret), ok = false;
		}
	}
	for (i = 0; i < pl.nvps; i++) {
		struct vp_run *r = &vps[i];

		r->index = i;
		r->vmm = v;
		r->plan = &pl;
		r->msg = j->msg[i];
		r->rng = splitmix(&rng);
		r->shared = pl.nvps > 1;
		r->vm = &vm;
		atomic_init(&r->stop, 0);
		atomic_init(&r->done, 0);
		if ((ret = mshv_vm_create_vcpu(&vm, i, &r->vcpu)) < 0) {
			fail(&pl, "create VP", ret);
			ok = false;
			goto out;
		}
		if ((ret = setup_vp(r, &pl, &rng)) < 0) {
			fail(&pl, "set up VP", ret);
			ok = false;
			goto out;
		}
	}
	if (pl.extra_vp) { /* a VP that lives and dies without running */
		struct mshv_vcpu extra;

		if (mshv_vm_create_vcpu(&vm, 2 + (uint32_t)(splitmix(&rng) % 6), &extra) == 0)
			mshv_vcpu_close(&extra);
	}
	for (started = 0; started < pl.nvps; started++)
		if ((ret = pthread_create(&vps[started].thread, NULL, vp_thread, &vps[started])) != 0) {
			fail(&pl, "pthread_create", -ret);
			ok = false;
			break;
		}
	/* wait for the VPs; at the deadline, kick them until they have stopped (10 s: a hang) */
	deadline = now_s() + guest_ms / 1000.0;
	for (;;) {
		bool all = true;
		double t = now_s();

		for (i = 0; i < started; i++)
			if (!atomic_load(&vps[i].done))
				all = false;
		if (all)
			break;
		if (t >= deadline) {
			for (i = 0; i < started; i++)
				if (!atomic_load(&vps[i].done)) {
					atomic_store(&vps[i].stop, 1);
					pthread_kill(vps[i].thread, SIGUSR1);
				}
			if (t > deadline + 10) {
				fprintf(stderr, "HANG: a VP does not return from MSHV_RUN_VP 10 s after the kick; ");
				print_plan(stderr, &pl);
				_exit(1);
			}
		}
		nanosleep(&(struct timespec){ 0, t >= deadline ? 2000000 : 500000 }, NULL);
	}
	if (now_s() > deadline)
		atomic_fetch_add(&cnt.timeouts, 1);
	for (i = 0; i < started; i++) {
		pthread_join(vps[i].thread, NULL);
		if (vps[i].error) {
			fail(&pl, "MSHV_RUN_VP", vps[i].error);
			ok = false;
		}
	}
	/* the read-only region as it was */
	if (memcmp(v->ro, v->ro_copy, RO_SIZE) != 0) {
		atomic_fetch_add(&cnt.inconsistencies, 1);
		fprintf(stderr, "INCONSISTENT: the read-only region changed; ");
		print_plan(stderr, &pl);
		ok = false;
	}
out:
	for (i = 0; i < MAX_VPS; i++)
		if (vps[i].vcpu.fd >= 0)
			mshv_vcpu_close(&vps[i].vcpu);
	if (vm.fd >= 0)
		mshv_vm_close(&vm);
	atomic_fetch_add(&cnt.guests, 1);
	return ok;
}

/* ---- regression guests, then the campaign ------------------------------------------- */

/* Guest seeds that once found something (see the commit that added each). */
static const uint64_t regressions[] = {
	0x51d41587d222d585ull, /* INT from CPL 3 through the busy TSS: the process aborted */
	0x98bb55437145bff1ull, /* real mode, 66 FF EE (JMP FAR through a register): tcg fatal error */
	0xb15c329e0b537ebbull, /* CR0.PE cleared with a 32-bit CS, then LCALL: RIP sign-extended */
	0x3b200766192fdb76ull, /* 32-bit Jcc rel32 wrapping below 0: RIP sign-extended */
	0x983aaf7b09bc50e0ull, /* real mode, REP INS over its own code, then 512 AADs: TCG temps overflowed */
};

/* The counters so far (at the end, and every 1,000 guests of a long run). */
static void summary(double secs)
{
	printf("guests: %lu in %.1f s (%lu hit the time limit); modes:", atomic_load(&cnt.guests), secs,
	       atomic_load(&cnt.timeouts));
	for (int m = 0; m < M_COUNT; m++)
		printf(" %s %lu", mode_names[m], atomic_load(&cnt.by_mode[m]));
	printf("\nclasses (per VP):");
	for (int c = 0; c < C_COUNT; c++)
		printf(" %s %lu", class_names[c], atomic_load(&cnt.by_class[c]));
	printf("\nexits: %lu;", atomic_load(&cnt.exits));
	for (unsigned int t = 0; t < N_TYPES; t++)
		printf(" %s %lu", mshv_hv_message_type_name(msg_types[t]) ? mshv_hv_message_type_name(msg_types[t]) : "?",
		       atomic_load(&cnt.by_type[t]));
	printf(" unknown %lu; -EINTR (kicks) %lu\n", atomic_load(&cnt.by_type[T_UNKNOWN]),
	       atomic_load(&cnt.by_type[T_EINTR]));
	printf("completed by the emulator %lu, instructions skipped %lu\n", atomic_load(&cnt.emulated),
	       atomic_load(&cnt.skipped));
	printf("inconsistencies %lu, failures %lu (port IO exits at rewritten code, not counted: %lu)\n",
	       atomic_load(&cnt.inconsistencies), atomic_load(&cnt.failures), atomic_load(&cnt.io_rewritten));
	fflush(stdout);
}

struct job_arg {
	uint64_t seed;
	unsigned long first, count, step;
	long only; /* >= 0: this guest alone */
	int rc;
	double t0;
};

static unsigned long inconsistencies_before(void)
{
	return atomic_load(&cnt.inconsistencies);
}

static void *job_thread(void *p)
{
	struct job_arg *a = p;
	struct job j;

	if (job_init(&j) < 0) {
		fprintf(stderr, "FAILED: guarded buffers\n");
		a->rc = 1;
		return NULL;
	}
	for (unsigned long i = a->first; i < a->count; i += a->step) {
		uint64_t gs = guest_seed(a->seed, a->only >= 0 ? (uint64_t)a->only : i);
		unsigned long before = inconsistencies_before();

		if (verbose)
			fprintf(stderr, "guest %lu: ", a->only >= 0 ? (unsigned long)a->only : i);
		if (a->count >= 5000 && i > a->first && (i - a->first) % (1000 * a->step) == 0)
			summary(now_s() - a->t0);
		if (!run_guest(&j, gs) || inconsistencies_before() != before) {
			fprintf(stderr, "  reproduce: MSHV_GUEST_FUZZ_SEED=%" PRIu64 " sim_guest_fuzz --guest %lu\n", a->seed,
				a->only >= 0 ? (unsigned long)a->only : i);
			a->rc = 1;
		}
	}
	job_fini(&j);
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid() << 20;
	unsigned long guests = 200, jobs = 1, first = 0;
	long only = -1;
	const char *env = getenv("MSHV_GUEST_FUZZ_SEED");
	struct sigaction sa;
	int ret, rc = 0;
	double t0;

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--verbose")) {
			verbose = true;
			continue;
		}
		if (!val) {
			fprintf(stderr, "usage: %s [--seed S] [--guests N] [--jobs J] [--guest-ms MS] [--max-exits N] "
					"[--guest G] [--first F] [--verbose]\n", argv[0]);
			return 2;
		}
		if (!strcmp(a, "--seed"))
			seed = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--guests"))
			guests = strtoul(val, NULL, 0);
		else if (!strcmp(a, "--jobs"))
			jobs = strtoul(val, NULL, 0);
		else if (!strcmp(a, "--guest-ms"))
			guest_ms = strtoul(val, NULL, 0);
		else if (!strcmp(a, "--max-exits"))
			max_exits = strtoul(val, NULL, 0);
		else if (!strcmp(a, "--guest"))
			only = strtol(val, NULL, 0);
		else if (!strcmp(a, "--first"))
			first = strtoul(val, NULL, 0);
		else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (jobs < 1)
		jobs = 1;
	if (jobs > 64)
		jobs = 64;
	printf("guest fuzz: seed %" PRIu64 " (MSHV_GUEST_FUZZ_SEED=%" PRIu64 " to repeat), %lu guests, %lu job(s), "
	       "%lu ms or %lu exits each\n",
	       seed, seed, only >= 0 ? 1 : guests, jobs, guest_ms, max_exits);
	fflush(stdout);
	ret = mshv_system_open(&sys);
	if (ret < 0) {
		printf("SKIP: mshv_system_open: %s (run under tools/mshv-sim)\n", mshv_strerror(ret));
		return 77;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	t0 = now_s();

	/* the regression guests, one job */
	{
		struct job j;

		if (job_init(&j) < 0)
			return 1;
		for (size_t k = 0; k < sizeof(regressions) / sizeof(regressions[0]); k++)
			if (regressions[k] && !run_guest(&j, regressions[k]))
				rc = 1;
		job_fini(&j);
	}

	{
		pthread_t th[64];
		struct job_arg args[64];
		unsigned long n = only >= 0 ? 1 : guests;

		for (unsigned long k = 0; k < jobs; k++) {
			args[k] = (struct job_arg){ seed, first + k, first + n, jobs, only, 0, t0 };
			if (pthread_create(&th[k], NULL, job_thread, &args[k]) != 0) {
				fprintf(stderr, "FAILED: pthread_create\n");
				return 1;
			}
		}
		for (unsigned long k = 0; k < jobs; k++) {
			pthread_join(th[k], NULL);
			rc |= args[k].rc;
		}
	}
	mshv_system_close(&sys);

	summary(now_s() - t0);
	if (atomic_load(&cnt.inconsistencies) || atomic_load(&cnt.failures))
		rc = 1;
	if (!atomic_load(&cnt.exits))
		rc = 1; /* nothing ran: the test tested nothing */
	printf("guest-fuzz: %s\n", rc ? "FAILED" : "ok");
	return rc;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Differential test of the x86 instruction emulator (mshv_x86_decode,
 * mshv_x86_emulate in mshv_x86_64.h) against unicorn 2.0.1's CPU model.
 *
 * For each instruction form the emulator supports, random cases: random
 * prefixes (66, 67, segment overrides, F2/F3, LOCK where it is valid),
 * REX, ModRM/SIB forms, displacements, immediates, in 16-, 32- and 64-bit
 * code, with random registers, arithmetic flags, memory contents and
 * segment bases (real mode: every segment; 64-bit code: FS and GS). The
 * registers are then fixed up so that the memory operand lands in a page
 * that unicorn serves as MMIO (uc_mmio_map: every access recorded in
 * order), one case in eight across its first or last byte into RAM;
 * string forms also reach a RAM page, INS/OUTS a port hook. Each
 * case runs once on unicorn and once through the emulator, whose callbacks
 * serve the same data; the general registers, RIP, RFLAGS (less the flags
 * the SDM leaves undefined for the operation), the sequence of (address,
 * size, value, direction) accesses, the MMIO and RAM contents afterwards
 * must all be equal. The decoder must also give the length the generator
 * built.
 *
 *   differential_test                 100000 cases (the CI run)
 *   differential_test --cases N       N cases (1000000: the full run)
 *   differential_test --seed S        another random sequence
 *   differential_test --bench         ns per decode + emulate of MMIO MOV loads, stores and an OR,
 *                                     and per mshv_vcpu_emulate_mmio through a register page
 *
 * Prints the cases per form and "N cases, 0 differences"; exits 1 on a
 * difference (each printed with its bytes and states, the first 20).
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicorn/unicorn.h>

#include "mshv.h"
#include "message.h"

#define CODE_ADDR 0x1000ull
#define MMIO_ADDR 0x9000ull
#define RAM_ADDR 0x6000ull /* string operands */
#define LOW_ADDR 0x8000ull /* the RAM pages around the MMIO page, for accesses that cross into it */
#define HIGH_ADDR 0xa000ull
#define PAGE 0x1000u

/* ---- random numbers: xorshift64*, reproducible by seed ---------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned int rndn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* A register value: random, or one of the edge values arithmetic trips on. */
static uint64_t rnd_value(void)
{
	static const uint64_t edges[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
					  0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull };

	switch (rndn(4)) {
	case 0:
		return edges[rndn(sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rnd() & 0xff;
	default:
		return rnd();
	}
}

/* ---- the forms ------------------------------------------------------------- */

#define FM_IMM8 0x1u    /* Ib */
#define FM_IMMZ 0x2u    /* Iz: 2 bytes with a 16-bit operand, else 4 */
#define FM_LOCK 0x4u    /* LOCK is valid (memory destination) */
#define FM_64ONLY 0x8u  /* 64-bit code only */
#define FM_NO64 0x10u   /* not in 64-bit code */
#define FM_NO66 0x20u   /* no 66, F2, F3 prefix (MOVNTI) */
#define FM_MOFFS 0x40u  /* A0-A3 */
#define FM_STRING 0x80u /* string instruction */
#define FM_BTREG 0x100u /* BT* with a register bit offset */
#define FM_PORT 0x200u  /* INS, OUTS */
#define FM_UNDEF_AF 0x400u       /* AF undefined (AND, OR, XOR, TEST) */
#define FM_UNDEF_BT 0x800u       /* OF SF AF PF undefined (BT*) */

struct form {
	const char *name;
	unsigned int map; /* 1, or 2 for 0F */
	unsigned int opcode;
	int digit; /* ModRM.reg fixed (/digit), or -1 */
	unsigned int flags;
	unsigned long cases, skipped;
};

static struct form forms[] = {
	{ "MOV Eb,Gb", 1, 0x88, -1, 0, 0, 0 },
	{ "MOV Ev,Gv", 1, 0x89, -1, 0, 0, 0 },
	{ "MOV Gb,Eb", 1, 0x8a, -1, 0, 0, 0 },
	{ "MOV Gv,Ev", 1, 0x8b, -1, 0, 0, 0 },
	{ "MOV Eb,Ib", 1, 0xc6, 0, FM_IMM8, 0, 0 },
	{ "MOV Ev,Iz", 1, 0xc7, 0, FM_IMMZ, 0, 0 },
	{ "MOV AL,moffs", 1, 0xa0, -1, FM_MOFFS, 0, 0 },
	{ "MOV rAX,moffs", 1, 0xa1, -1, FM_MOFFS, 0, 0 },
	{ "MOV moffs,AL", 1, 0xa2, -1, FM_MOFFS, 0, 0 },
	{ "MOV moffs,rAX", 1, 0xa3, -1, FM_MOFFS, 0, 0 },
	{ "MOVZX Gv,Eb", 2, 0xb6, -1, 0, 0, 0 },
	{ "MOVZX Gv,Ew", 2, 0xb7, -1, 0, 0, 0 },
	{ "MOVSX Gv,Eb", 2, 0xbe, -1, 0, 0, 0 },
	{ "MOVSX Gv,Ew", 2, 0xbf, -1, 0, 0, 0 },
	{ "MOVSXD Gv,Ed", 1, 0x63, -1, FM_64ONLY, 0, 0 },
	{ "MOVNTI My,Gy", 2, 0xc3, -1, FM_NO66, 0, 0 },
	{ "ADD Eb,Gb", 1, 0x00, -1, FM_LOCK, 0, 0 },
	{ "ADD Ev,Gv", 1, 0x01, -1, FM_LOCK, 0, 0 },
	{ "ADD Gb,Eb", 1, 0x02, -1, 0, 0, 0 },
	{ "ADD Gv,Ev", 1, 0x03, -1, 0, 0, 0 },
	{ "OR Eb,Gb", 1, 0x08, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "OR Ev,Gv", 1, 0x09, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "OR Gb,Eb", 1, 0x0a, -1, FM_UNDEF_AF, 0, 0 },
	{ "OR Gv,Ev", 1, 0x0b, -1, FM_UNDEF_AF, 0, 0 },
	{ "ADC Eb,Gb", 1, 0x10, -1, FM_LOCK, 0, 0 },
	{ "ADC Ev,Gv", 1, 0x11, -1, FM_LOCK, 0, 0 },
	{ "ADC Gb,Eb", 1, 0x12, -1, 0, 0, 0 },
	{ "ADC Gv,Ev", 1, 0x13, -1, 0, 0, 0 },
	{ "SBB Eb,Gb", 1, 0x18, -1, FM_LOCK, 0, 0 },
	{ "SBB Ev,Gv", 1, 0x19, -1, FM_LOCK, 0, 0 },
	{ "SBB Gb,Eb", 1, 0x1a, -1, 0, 0, 0 },
	{ "SBB Gv,Ev", 1, 0x1b, -1, 0, 0, 0 },
	{ "AND Eb,Gb", 1, 0x20, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "AND Ev,Gv", 1, 0x21, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "AND Gb,Eb", 1, 0x22, -1, FM_UNDEF_AF, 0, 0 },
	{ "AND Gv,Ev", 1, 0x23, -1, FM_UNDEF_AF, 0, 0 },
	{ "SUB Eb,Gb", 1, 0x28, -1, FM_LOCK, 0, 0 },
	{ "SUB Ev,Gv", 1, 0x29, -1, FM_LOCK, 0, 0 },
	{ "SUB Gb,Eb", 1, 0x2a, -1, 0, 0, 0 },
	{ "SUB Gv,Ev", 1, 0x2b, -1, 0, 0, 0 },
	{ "XOR Eb,Gb", 1, 0x30, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "XOR Ev,Gv", 1, 0x31, -1, FM_LOCK | FM_UNDEF_AF, 0, 0 },
	{ "XOR Gb,Eb", 1, 0x32, -1, FM_UNDEF_AF, 0, 0 },
	{ "XOR Gv,Ev", 1, 0x33, -1, FM_UNDEF_AF, 0, 0 },
	{ "CMP Eb,Gb", 1, 0x38, -1, 0, 0, 0 },
	{ "CMP Ev,Gv", 1, 0x39, -1, 0, 0, 0 },
	{ "CMP Gb,Eb", 1, 0x3a, -1, 0, 0, 0 },
	{ "CMP Gv,Ev", 1, 0x3b, -1, 0, 0, 0 },
	{ "grp1 Eb,Ib (80)", 1, 0x80, -1, FM_IMM8 | FM_LOCK, 0, 0 },
	{ "grp1 Ev,Iz (81)", 1, 0x81, -1, FM_IMMZ | FM_LOCK, 0, 0 },
	{ "grp1 Eb,Ib (82)", 1, 0x82, -1, FM_IMM8 | FM_LOCK | FM_NO64, 0, 0 },
	{ "grp1 Ev,Ib (83)", 1, 0x83, -1, FM_IMM8 | FM_LOCK, 0, 0 },
	{ "TEST Eb,Gb", 1, 0x84, -1, FM_UNDEF_AF, 0, 0 },
	{ "TEST Ev,Gv", 1, 0x85, -1, FM_UNDEF_AF, 0, 0 },
	{ "TEST Eb,Ib", 1, 0xf6, 0, FM_IMM8 | FM_UNDEF_AF, 0, 0 },
	{ "TEST Ev,Iz", 1, 0xf7, 0, FM_IMMZ | FM_UNDEF_AF, 0, 0 },
	{ "XCHG Eb,Gb", 1, 0x86, -1, FM_LOCK, 0, 0 },
	{ "XCHG Ev,Gv", 1, 0x87, -1, FM_LOCK, 0, 0 },
	{ "CMPXCHG Eb,Gb", 2, 0xb0, -1, FM_LOCK, 0, 0 },
	{ "CMPXCHG Ev,Gv", 2, 0xb1, -1, FM_LOCK, 0, 0 },
	{ "BT Ev,Gv", 2, 0xa3, -1, FM_BTREG | FM_UNDEF_BT, 0, 0 },
	{ "BTS Ev,Gv", 2, 0xab, -1, FM_BTREG | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "BTR Ev,Gv", 2, 0xb3, -1, FM_BTREG | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "BTC Ev,Gv", 2, 0xbb, -1, FM_BTREG | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "BT Ev,Ib", 2, 0xba, 4, FM_IMM8 | FM_UNDEF_BT, 0, 0 },
	{ "BTS Ev,Ib", 2, 0xba, 5, FM_IMM8 | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "BTR Ev,Ib", 2, 0xba, 6, FM_IMM8 | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "BTC Ev,Ib", 2, 0xba, 7, FM_IMM8 | FM_LOCK | FM_UNDEF_BT, 0, 0 },
	{ "INC Eb", 1, 0xfe, 0, FM_LOCK, 0, 0 },
	{ "DEC Eb", 1, 0xfe, 1, FM_LOCK, 0, 0 },
	{ "INC Ev", 1, 0xff, 0, FM_LOCK, 0, 0 },
	{ "DEC Ev", 1, 0xff, 1, FM_LOCK, 0, 0 },
	{ "NOT Eb", 1, 0xf6, 2, FM_LOCK, 0, 0 },
	{ "NEG Eb", 1, 0xf6, 3, FM_LOCK, 0, 0 },
	{ "NOT Ev", 1, 0xf7, 2, FM_LOCK, 0, 0 },
	{ "NEG Ev", 1, 0xf7, 3, FM_LOCK, 0, 0 },
	{ "MOVSB", 1, 0xa4, -1, FM_STRING, 0, 0 },
	{ "MOVSv", 1, 0xa5, -1, FM_STRING, 0, 0 },
	{ "CMPSB", 1, 0xa6, -1, FM_STRING, 0, 0 },
	{ "CMPSv", 1, 0xa7, -1, FM_STRING, 0, 0 },
	{ "STOSB", 1, 0xaa, -1, FM_STRING, 0, 0 },
	{ "STOSv", 1, 0xab, -1, FM_STRING, 0, 0 },
	{ "LODSB", 1, 0xac, -1, FM_STRING, 0, 0 },
	{ "LODSv", 1, 0xad, -1, FM_STRING, 0, 0 },
	{ "SCASB", 1, 0xae, -1, FM_STRING, 0, 0 },
	{ "SCASv", 1, 0xaf, -1, FM_STRING, 0, 0 },
	{ "INSB", 1, 0x6c, -1, FM_STRING | FM_PORT, 0, 0 },
	{ "INSv", 1, 0x6d, -1, FM_STRING | FM_PORT, 0, 0 },
	{ "OUTSB", 1, 0x6e, -1, FM_STRING | FM_PORT, 0, 0 },
	{ "OUTSv", 1, 0x6f, -1, FM_STRING | FM_PORT, 0, 0 },
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* ---- one side's world: MMIO page, RAM page, ports, the access log ----------- */

#define LOG_MAX 256

struct access {
	char kind; /* 'r'/'w' MMIO, 'i'/'o' port */
	uint64_t addr;
	unsigned int size;
	uint64_t value;
};

struct world {
	uint8_t mmio[PAGE];
	uint8_t ram[3][PAGE]; /* at ram_addr[] */
	uint32_t port_value; /* what a port read returns (then +1) */
	struct access log[LOG_MAX];
	unsigned int n;
	int overflow;
};

static void log_access(struct world *w, char kind, uint64_t addr, unsigned int size, uint64_t value)
{
	if (w->n == LOG_MAX) {
		w->overflow = 1;
		return;
	}
	w->log[w->n].kind = kind;
	w->log[w->n].addr = addr;
	w->log[w->n].size = size;
	w->log[w->n].value = value;
	w->n++;
}

static uint64_t le_get(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

static const uint64_t ram_addr[3] = { RAM_ADDR, LOW_ADDR, HIGH_ADDR };

/* unicorn's side */
static uint64_t uc_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	struct world *w = user;
	uint64_t v = offset + size <= PAGE ? le_get(w->mmio + offset, size) : 0;

	(void)uc;
	log_access(w, 'r', MMIO_ADDR + offset, size, v);
	return v;
}

static void uc_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
	struct world *w = user;

	(void)uc;
	if (offset + size <= PAGE)
		memcpy(w->mmio + offset, &value, size);
	log_access(w, 'w', MMIO_ADDR + offset, size, value & (size >= 8 ? ~0ull : (1ull << (8 * size)) - 1));
}

static uint32_t uc_port_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	struct world *w = user;
	uint32_t v = w->port_value & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1);

	(void)uc;
	w->port_value += 0x01010101u;
	log_access(w, 'i', port, (unsigned int)size, v);
	return v;
}

static void uc_port_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	struct world *w = user;

	(void)uc;
	log_access(w, 'o', port, (unsigned int)size, value & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1));
}

/* the emulator's side */
static int em_mmio_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct world *w = ctx;
	uint64_t v;

	if (gpa < MMIO_ADDR || gpa + size > MMIO_ADDR + PAGE)
		return -EFAULT;
	v = le_get(w->mmio + (gpa - MMIO_ADDR), size);
	memcpy(data, &v, size);
	log_access(w, 'r', gpa, size, v);
	return 0;
}

static int em_mmio_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct world *w = ctx;
	uint64_t v = 0;

	if (gpa < MMIO_ADDR || gpa + size > MMIO_ADDR + PAGE)
		return -EFAULT;
	memcpy(&v, data, size);
	memcpy(w->mmio + (gpa - MMIO_ADDR), data, size);
	log_access(w, 'w', gpa, size, v);
	return 0;
}

static void *em_guest_ram(void *ctx, __u64 gpa, unsigned int size)
{
	struct world *w = ctx;

	unsigned int i;

	for (i = 0; i < 3; i++)
		if (gpa >= ram_addr[i] && gpa + size <= ram_addr[i] + PAGE)
			return w->ram[i] + (gpa - ram_addr[i]);
	return NULL;
}

static int em_port_read(void *ctx, __u16 port, unsigned int size, void *data)
{
	struct world *w = ctx;
	uint32_t v = w->port_value & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1);

	w->port_value += 0x01010101u;
	memcpy(data, &v, size);
	log_access(w, 'i', port, size, v);
	return 0;
}

static int em_port_write(void *ctx, __u16 port, unsigned int size, const void *data)
{
	struct world *w = ctx;
	uint32_t v = 0;

	memcpy(&v, data, size);
	log_access(w, 'o', port, size, v);
	return 0;
}

/* no paging: linear = physical */
static int em_translate(void *ctx, __u64 gva, unsigned int write, __u64 *gpa)
{
	(void)ctx;
	(void)write;
	*gpa = gva;
	return 0;
}

static const struct mshv_x86_emulator_ops em_ops = { em_mmio_read, em_mmio_write, em_guest_ram,
						     em_port_read, em_port_write, em_translate };

/* ---- unicorn ------------------------------------------------------------------ */

struct engine {
	uc_engine *uc;
	unsigned int mode;
	struct world w;
};

static struct engine engines[3]; /* 16, 32, 64 */

static int engine_open(struct engine *e, unsigned int mode)
{
	uc_hook h1, h2;
	uc_mode m = mode == MSHV_X86_MODE_64 ? UC_MODE_64 : mode == MSHV_X86_MODE_32 ? UC_MODE_32 : UC_MODE_16;
	uc_err err;

	e->mode = mode;
	err = uc_open(UC_ARCH_X86, m, &e->uc);
	if (!err)
		err = uc_mem_map(e->uc, CODE_ADDR, PAGE, UC_PROT_ALL);
	if (!err)
		err = uc_mem_map(e->uc, RAM_ADDR, PAGE, UC_PROT_ALL);
	if (!err)
		err = uc_mem_map(e->uc, LOW_ADDR, PAGE, UC_PROT_ALL);
	if (!err)
		err = uc_mem_map(e->uc, HIGH_ADDR, PAGE, UC_PROT_ALL);
	if (!err)
		err = uc_mmio_map(e->uc, MMIO_ADDR, PAGE, uc_mmio_read, &e->w, uc_mmio_write, &e->w);
	if (!err)
		err = uc_hook_add(e->uc, &h1, UC_HOOK_INSN, (void *)uc_port_in, &e->w, 1, 0, UC_X86_INS_IN);
	if (!err)
		err = uc_hook_add(e->uc, &h2, UC_HOOK_INSN, (void *)uc_port_out, &e->w, 1, 0, UC_X86_INS_OUT);
	if (err) {
		fprintf(stderr, "unicorn: %s\n", uc_strerror(err));
		return -1;
	}
	return 0;
}

static const int uc_regs64[16] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
				   UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
				   UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
				   UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15 };
static const int uc_regs32[8] = { UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
				  UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI };

/* Run the instruction at CODE_ADDR on unicorn from *st; *st receives the result. */
static int engine_run(struct engine *e, const uint8_t *code, unsigned int len, struct mshv_x86_emulator_state *st)
{
	unsigned int i, nregs = e->mode == MSHV_X86_MODE_64 ? 16 : 8;
	int pc_reg = e->mode == MSHV_X86_MODE_64 ? UC_X86_REG_RIP : e->mode == MSHV_X86_MODE_32 ? UC_X86_REG_EIP : UC_X86_REG_IP;
	uint64_t v, zero = 0;
	uc_err err;

	uc_mem_write(e->uc, CODE_ADDR, code, len);
	uc_ctl_remove_cache(e->uc, CODE_ADDR, CODE_ADDR + PAGE);
	for (i = 0; i < 3; i++)
		uc_mem_write(e->uc, ram_addr[i], e->w.ram[i], PAGE);
	for (i = 0; i < nregs; i++) {
		v = st->gpr[i];
		uc_reg_write(e->uc, e->mode == MSHV_X86_MODE_64 ? uc_regs64[i] : uc_regs32[i], &v);
	}
	if (e->mode == MSHV_X86_MODE_64) {
		uc_reg_write(e->uc, UC_X86_REG_FS_BASE, &st->segment_base[MSHV_X86_SEG_FS]);
		uc_reg_write(e->uc, UC_X86_REG_GS_BASE, &st->segment_base[MSHV_X86_SEG_GS]);
	} else {
		static const int segs[6] = { UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS,
					     UC_X86_REG_DS, UC_X86_REG_FS, UC_X86_REG_GS };

		/* real mode: each base is its selector * 16 (CS stays 0); 32-bit code: flat */
		if (e->mode == MSHV_X86_MODE_16)
			for (i = 0; i < 6; i++) {
				uint64_t sel = st->segment_base[i] >> 4;

				uc_reg_write(e->uc, segs[i], i == MSHV_X86_SEG_CS ? &zero : &sel);
			}
	}
	v = st->rflags;
	uc_reg_write(e->uc, UC_X86_REG_EFLAGS, &v);
	v = CODE_ADDR;
	uc_reg_write(e->uc, pc_reg, &v);
	err = uc_emu_start(e->uc, CODE_ADDR, CODE_ADDR + len, 0, 0);
	if (err)
		return -(int)err - 1;
	for (i = 0; i < nregs; i++) {
		v = 0;
		uc_reg_read(e->uc, e->mode == MSHV_X86_MODE_64 ? uc_regs64[i] : uc_regs32[i], &v);
		st->gpr[i] = e->mode == MSHV_X86_MODE_64 ? v : (v & 0xffffffffull);
	}
	v = 0;
	uc_reg_read(e->uc, UC_X86_REG_EFLAGS, &v);
	st->rflags = v;
	v = 0;
	uc_reg_read(e->uc, pc_reg, &v);
	st->rip = v;
	for (i = 0; i < 3; i++)
		uc_mem_read(e->uc, ram_addr[i], e->w.ram[i], PAGE);
	return 0;
}

/* ---- building a case ----------------------------------------------------------- */

struct built {
	uint8_t code[24]; /* up to 20 built; over 15 is refused (#GP) and built again */
	unsigned int len;
	unsigned int disp_pos, disp_size; /* where the displacement is, to patch it */
};

/* Emit prefixes, REX, opcode, ModRM, SIB, displacement, immediate for form f. */
static void build(const struct form *f, unsigned int mode, struct built *b)
{
	unsigned int n = 0, i, lock = 0, adsize, opsize16 = 0, rex = 0, mod, rm, reg, digit;
	uint8_t pfx[8];
	unsigned int np = 0;

	memset(b, 0, sizeof(*b));
	digit = f->digit >= 0 ? (unsigned int)f->digit : rndn(8);
	/* legacy prefixes, each at most once, in random order */
	/*
	 * No 66 on MOVSXD: unicorn reads 4 bytes for 66 63 (MOVSXD r16,
	 * r/m16), which reads 2 in the SDM (and in the emulator).
	 */
	if (!(f->flags & FM_NO66) && !(f->opcode == 0x63 && f->map == 1) && rndn(3) == 0)
		pfx[np++] = 0x66, opsize16 = 1;
	if (rndn(4) == 0)
		pfx[np++] = 0x67;
	if (rndn(4) == 0) {
		static const uint8_t segs[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

		/* 16/32-bit code: all bases 0; 64-bit code: FS/GS carry a base, the rest are ignored */
		pfx[np++] = segs[rndn(6)];
	}
	if (!(f->flags & FM_NO66) && !(f->flags & FM_STRING) && rndn(5) == 0)
		pfx[np++] = rndn(2) ? 0xf3 : 0xf2; /* ignored (or XACQUIRE/XRELEASE hints) off string instructions */
	if ((f->flags & FM_STRING) && rndn(3))
		pfx[np++] = rndn(4) ? 0xf3 : 0xf2; /* not both: which one the CPU honours is not architectural */
	/*
	 * LOCK: not on CMP (grp1 /7: #UD), nor on NEG: unicorn 2.0.1's LOCK
	 * NEG (QEMU 5's compare-exchange loop) reads the operand twice and
	 * sets SF, ZF and PF from another value than the result (0x13 gives
	 * RFLAGS 0x13, not 0x95). NEG's flags do not depend on LOCK (SDM);
	 * the emulator's locked NEG is the unlocked one, which is compared.
	 */
	if ((f->flags & FM_LOCK) && rndn(4) == 0 && !(f->opcode >= 0x80 && f->opcode <= 0x83 && digit == 7) &&
	    !((f->opcode & 0xfe) == 0xf6 && digit == 3))
		pfx[np++] = 0xf0, lock = 1;
	for (i = np; i > 1; i--) {
		unsigned int j = rndn(i);
		uint8_t t = pfx[i - 1];

		pfx[i - 1] = pfx[j];
		pfx[j] = t;
	}
	for (i = 0; i < np; i++)
		b->code[n++] = pfx[i];
	(void)lock;
	(void)opsize16;
	if (mode == MSHV_X86_MODE_64 && rndn(3)) {
		rex = 0x40 | rndn(16);
		/*
		 * unicorn 2.0.1 (QEMU 5) takes REX.R into C6/C7's /0 and refuses
		 * the instruction (#UD); the CPU ignores REX.R in an opcode
		 * extension (SDM vol. 2, 2.2.1.2), as the decoder does. Not generated.
		 */
		if (f->opcode == 0xc6 || f->opcode == 0xc7)
			rex &= ~4u;
		if (rndn(8) == 0 && np) { /* a REX before a legacy prefix does nothing */
			memmove(b->code + 1, b->code, n);
			b->code[0] = (uint8_t)(0x40 | rndn(16));
			n++;
		}
		b->code[n++] = (uint8_t)rex;
	}
	if (f->map == 2)
		b->code[n++] = 0x0f;
	b->code[n++] = (uint8_t)f->opcode;
	adsize = mode == MSHV_X86_MODE_64 ? 8 : mode;
	for (i = 0; i < np; i++)
		if (pfx[i] == 0x67)
			adsize = mode == MSHV_X86_MODE_64 ? 4 : mode == MSHV_X86_MODE_32 ? 2 : 4;
	if (f->flags & FM_MOFFS) {
		b->disp_pos = n;
		b->disp_size = adsize;
		n += adsize; /* patched by the caller */
		b->len = n;
		return;
	}
	if (f->flags & FM_STRING) {
		b->len = n;
		return;
	}
	mod = rndn(3);
	rm = rndn(8);
	reg = digit;
	b->code[n++] = (uint8_t)((mod << 6) | (reg << 3) | rm);
	if (adsize == 2) {
		unsigned int dsz = mod == 1 ? 1 : mod == 2 ? 2 : (rm == 6 ? 2 : 0);

		b->disp_pos = n;
		b->disp_size = dsz;
		for (i = 0; i < dsz; i++)
			b->code[n++] = (uint8_t)rnd();
	} else {
		unsigned int dsz = mod == 1 ? 1 : mod == 2 ? 4 : 0;

		if (rm == 4) {
			uint8_t sib = (uint8_t)rnd();

			b->code[n++] = sib;
			if (mod == 0 && (sib & 7) == 5)
				dsz = 4;
		} else if (mod == 0 && rm == 5) {
			dsz = 4;
		}
		b->disp_pos = n;
		b->disp_size = dsz;
		for (i = 0; i < dsz; i++)
			b->code[n++] = (uint8_t)(rndn(2) ? rnd() : rndn(2) ? 0 : 0xff);
	}
	if (f->flags & (FM_IMM8 | FM_IMMZ)) {
		unsigned int isz = (f->flags & FM_IMM8) ? 1 : 4;

		if ((f->flags & FM_IMMZ) && (mode == MSHV_X86_MODE_16) != opsize16 && !(rex & 8))
			isz = 2;
		for (i = 0; i < isz; i++)
			b->code[n++] = (uint8_t)rnd();
	}
	b->len = n;
}

/* Store v (size bytes) at the displacement. */
static void patch_disp(struct built *b, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < b->disp_size; i++)
		b->code[b->disp_pos + i] = (uint8_t)(v >> (8 * i));
}

/* ---- comparing --------------------------------------------------------------- */

static unsigned long differences, unicorn_errors, compared;

static int same_log(const struct world *a, const struct world *b)
{
	unsigned int i;

	if (a->n != b->n || a->overflow || b->overflow)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->log[i].kind != b->log[i].kind || a->log[i].addr != b->log[i].addr ||
		    a->log[i].size != b->log[i].size || a->log[i].value != b->log[i].value)
			return 0;
	return 1;
}

static void print_state(const char *who, const struct mshv_x86_emulator_state *st, const struct world *w)
{
	unsigned int i;

	fprintf(stderr, "  %s: rip %#llx rflags %#llx\n   ", who, (unsigned long long)st->rip,
		(unsigned long long)st->rflags);
	for (i = 0; i < 16; i++)
		fprintf(stderr, " %llx", (unsigned long long)st->gpr[i]);
	fprintf(stderr, "\n");
	for (i = 0; i < w->n; i++)
		fprintf(stderr, "    %c %#" PRIx64 " %u %#" PRIx64 "\n", w->log[i].kind, w->log[i].addr, w->log[i].size,
			w->log[i].value);
}

static void report(const struct form *f, unsigned int mode, const struct built *b, const char *what,
		   const struct mshv_x86_emulator_state *in, const struct mshv_x86_emulator_state *u,
		   const struct world *uw, const struct mshv_x86_emulator_state *m, const struct world *mw)
{
	unsigned int i;

	differences++;
	if (differences > 20)
		return;
	fprintf(stderr, "DIFFERENCE (%s) %s, %u-bit code:", what, f->name, 8 * mode);
	for (i = 0; i < b->len; i++)
		fprintf(stderr, " %02x", b->code[i]);
	fprintf(stderr, "\n");
	print_state("before", in, &(struct world){ .n = 0 });
	print_state("unicorn", u, uw);
	print_state("emulator", m, mw);
}

/*
 * unicorn's log as the CPU would make it:
 *
 * - uc_mmio_map in unicorn 2.0.1 delivers at most 4 bytes per callback: an
 *   8-byte access arrives as two halves, the low one first. The CPU makes
 *   one access (and the emulator one callback): two halves of one
 *   naturally aligned 8-byte access are merged back into it.
 * - QEMU's INS first stores 0 to the destination (to take a page fault
 *   before the port is read), then reads the port and stores the value.
 *   The CPU stores once: that probe is dropped.
 */
static void normalize_unicorn_log(struct world *w, int eight, int ins)
{
	unsigned int i, o = 0;

	for (i = 0; i < w->n; i++) {
		struct access a = w->log[i];

		if (eight && a.size == 4 && !(a.addr & 7) && i + 1 < w->n && w->log[i + 1].kind == a.kind &&
		    w->log[i + 1].size == 4 && w->log[i + 1].addr == a.addr + 4) {
			a.size = 8;
			a.value |= w->log[i + 1].value << 32;
			i++;
		}
		if (ins && a.kind == 'w' && a.value == 0 && i + 1 < w->n && w->log[i + 1].kind == 'i')
			continue;
		w->log[o++] = a;
	}
	w->n = o;
}

/* ---- one case ---------------------------------------------------------------- */

static struct world initial; /* the memory both sides start from */

/* What a segment adds to an offset: FS and GS bases in 64-bit code, every base in real mode (32-bit: flat). */
static uint64_t seg_base(unsigned int mode, const struct mshv_x86_emulator_state *st, unsigned int seg)
{
	if (mode == MSHV_X86_MODE_64)
		return seg == MSHV_X86_SEG_FS || seg == MSHV_X86_SEG_GS ? st->segment_base[seg] : 0;
	return st->segment_base[seg];
}

/* The address the memory operand should hit: inside the MMIO page, aligned to its size. */
static uint64_t pick_target(unsigned int size)
{
	return MMIO_ADDR + 0x400 + (rndn(0x800) & ~(uint64_t)(size - 1));
}

static int run_case(struct form *f, unsigned int mode)
{
	struct engine *e = &engines[mode == MSHV_X86_MODE_16 ? 0 : mode == MSHV_X86_MODE_32 ? 1 : 2];
	struct mshv_x86_emulator_state in, u, m;
	struct mshv_x86_insn insn;
	struct built b;
	struct world *mw = malloc(sizeof(*mw));
	uint64_t vmask = mode == MSHV_X86_MODE_64 ? ~0ull : 0xffffffffull, ea, target = 0, fmask;
	unsigned int i, nregs = mode == MSHV_X86_MODE_64 ? 16 : 8;
	int ret, tries, crossing = 0;

	if (!mw)
		return -1;
	for (;;) {
		build(f, mode, &b);
		if (b.len <= 15)
			break;
		/* too long for the CPU (#GP): the decoder must say so, then another */
		if (mshv_x86_decode(b.code, b.len, mode, &insn) != -EILSEQ || insn.reject != MSHV_X86_REJECT_TOO_LONG) {
			fprintf(stderr, "DECODER: %u bytes not refused as too long\n", b.len);
			differences++;
		}
	}
	memset(&in, 0, sizeof(in));
	for (i = 0; i < nregs; i++)
		in.gpr[i] = rnd_value() & vmask;
	in.rip = CODE_ADDR;
	in.rflags = 0x2 | (rnd() & MSHV_X86_RFLAGS_ARITH) | ((f->flags & FM_STRING) && rndn(2) ? MSHV_X86_RFLAGS_DF : 0);
	if (mode == MSHV_X86_MODE_64 && rndn(2)) {
		in.segment_base[MSHV_X86_SEG_FS] = rndn(2) ? 0x1000 : 0;
		in.segment_base[MSHV_X86_SEG_GS] = rndn(2) ? 0x2000 : 0;
	}
	if (mode == MSHV_X86_MODE_16 && rndn(2))
		for (i = 0; i < 6; i++)
			if (i != MSHV_X86_SEG_CS)
				in.segment_base[i] = (uint64_t)rndn(0x40) << 4;
	ret = mshv_x86_decode(b.code, b.len, mode, &insn);
	if (ret != (int)b.len) {
		/* the generator builds only valid, supported forms: the decoder must take them all */
		fprintf(stderr, "DECODER: %s, %u-bit code: returned %d (reject %u), built %u bytes:", f->name, 8 * mode,
			ret, insn.reject, b.len);
		for (i = 0; i < b.len; i++)
			fprintf(stderr, " %02x", b.code[i]);
		fprintf(stderr, "\n");
		differences++;
		free(mw);
		return 0;
	}
	if (f->flags & FM_STRING) {
		/* RSI and RDI each in the MMIO or the RAM page, away from the edges; RCX small */
		uint64_t amask = insn.address_size == 8 ? ~0ull : insn.address_size == 4 ? 0xffffffffull : 0xffffull;
		uint64_t src_base = seg_base(mode, &in, insn.segment), dst_base = seg_base(mode, &in, MSHV_X86_SEG_ES);

		in.gpr[6] = (in.gpr[6] & ~amask) | ((rndn(2) ? MMIO_ADDR : RAM_ADDR) + 0x700 + rndn(0x40) * insn.operand_size - src_base);
		in.gpr[7] = (in.gpr[7] & ~amask) | ((rndn(2) || (f->flags & FM_PORT) ? MMIO_ADDR : RAM_ADDR) + 0x700 +
						    rndn(0x40) * insn.operand_size - dst_base);
		if (f->flags & FM_PORT)
			in.gpr[6] = (in.gpr[6] & ~amask) | (MMIO_ADDR + 0x700 + rndn(0x40) * insn.operand_size - src_base);
		in.gpr[1] = (in.gpr[1] & ~amask) | rndn(9);
		in.gpr[2] = (in.gpr[2] & ~0xffffull) | (rndn(2) ? 0x3f8 : rndn(0x10000));
		if (mode != MSHV_X86_MODE_64)
			for (i = 0; i < 8; i++)
				in.gpr[i] &= 0xffffffffull;
	} else {
		int64_t off = (int64_t)rndn(512) - 256; /* BT*'s register bit offset: small, signed */

		target = pick_target(insn.mem_size);
		if (insn.mem_size > 1 && !(f->flags & FM_BTREG) && rndn(8) == 0) {
			/*
			 * Across the MMIO page's first or last byte, into RAM: the
			 * emulator splits the access at the page. unicorn splits an
			 * unaligned MMIO access its own way (bytes), so registers and
			 * memory are compared, not the access sequence.
			 */
			unsigned int k = 1 + rndn(insn.mem_size - 1u);

			target = rndn(2) ? MMIO_ADDR + PAGE - k : MMIO_ADDR - k;
			crossing = 1;
		}
		for (tries = 0;; tries++) {
			uint64_t lin_base = seg_base(mode, &in, insn.segment);
			uint64_t amask = insn.address_size == 8 ? ~0ull : insn.address_size == 4 ? 0xffffffffull : 0xffffull;
			uint64_t want = target - lin_base, delta;

			if (f->flags & FM_BTREG) {
				/* the address moves by whole operands */
				unsigned int bits = 8 * insn.operand_size;
				int64_t words = off >= 0 ? off / bits : -((-off + bits - 1) / bits);

				if (insn.reg == insn.base || insn.reg == insn.index) {
					f->skipped++;
					free(mw);
					return 0;
				}
				in.gpr[insn.reg] = (in.gpr[insn.reg] & ~mshv__x86_mask(insn.operand_size)) |
						   ((uint64_t)off & mshv__x86_mask(insn.operand_size));
				want -= (uint64_t)(words * (int64_t)insn.operand_size);
			}
			ea = mshv_x86_insn_address(&insn, in.gpr, in.rip);
			delta = (want - ea) & amask;
			if (delta == 0)
				break;
			if (tries > 2) {
				f->skipped++;
				free(mw);
				return 0;
			}
			if (insn.base != MSHV_X86_REG_NONE && insn.base != insn.index) {
				in.gpr[insn.base] = (in.gpr[insn.base] + delta) & vmask;
			} else if (insn.index != MSHV_X86_REG_NONE && insn.scale == 1 && insn.base == MSHV_X86_REG_NONE) {
				in.gpr[insn.index] = (in.gpr[insn.index] + delta) & vmask;
			} else if (b.disp_size >= 2) {
				uint64_t d = ((uint64_t)insn.disp + delta) & amask;

				patch_disp(&b, d);
				if (mshv_x86_decode(b.code, b.len, mode, &insn) != (int)b.len)
					return -1;
				if ((uint64_t)insn.disp != d && b.disp_size < 8 &&
				    ((uint64_t)insn.disp & amask & mshv__x86_mask(b.disp_size)) != (d & mshv__x86_mask(b.disp_size))) {
					f->skipped++;
					free(mw);
					return 0;
				}
			} else {
				f->skipped++; /* a disp8 alone, or base = index: no register to steer it */
				free(mw);
				return 0;
			}
		}
	}
	f->cases++;
	compared++;

	/* unicorn */
	for (i = 0; i < PAGE; i++)
		initial.mmio[i] = (uint8_t)rnd();
	for (i = 0; i < sizeof(initial.ram); i++)
		initial.ram[i / PAGE][i % PAGE] = (uint8_t)rnd();
	initial.port_value = (uint32_t)rnd();
	if ((insn.op == MSHV_X86_OP_CMPXCHG || insn.op == MSHV_X86_OP_CMP) && !crossing && rndn(2)) {
		/* equal operands: CMPXCHG's store of the source, a zero result */
		uint64_t mem = le_get(initial.mmio + (target - MMIO_ADDR), insn.mem_size), mk = mshv__x86_mask(insn.mem_size);

		if (insn.op == MSHV_X86_OP_CMPXCHG && insn.base != 0 && insn.index != 0) /* RAX does not move the address */
			in.gpr[0] = (in.gpr[0] & ~mk) | mem;
	}
	if ((insn.op == MSHV_X86_OP_CMPS || insn.op == MSHV_X86_OP_SCAS) && rndn(2)) {
		/* runs of equal elements, so that REPE goes on and REPNE stops (and a few that differ) */
		uint8_t c = (uint8_t)rnd();

		memset(initial.mmio, c, PAGE);
		memset(initial.ram, c, sizeof(initial.ram));
		in.gpr[0] = (in.gpr[0] & ~0xffffffffull) | (0x01010101u * c);
		for (i = 0; i < 8; i++) {
			initial.mmio[0x6f0 + rndn(0x120)] = (uint8_t)rnd();
			initial.ram[0][0x6f0 + rndn(0x120)] = (uint8_t)rnd();
		}
	}
	memcpy(e->w.mmio, initial.mmio, PAGE);
	memcpy(e->w.ram, initial.ram, sizeof(initial.ram));
	e->w.port_value = initial.port_value;
	e->w.n = 0;
	e->w.overflow = 0;
	u = in;
	ret = engine_run(e, b.code, b.len, &u);
	if (ret < 0) {
		unicorn_errors++;
		if (unicorn_errors <= 5) {
			fprintf(stderr, "unicorn refused (%s) %s, %u-bit:", uc_strerror((uc_err)(-ret - 1)), f->name, 8 * mode);
			for (i = 0; i < b.len; i++)
				fprintf(stderr, " %02x", b.code[i]);
			fprintf(stderr, "\n");
		}
		free(mw);
		return 0;
	}

	/* the emulator, a REP in small chunks when it is one */
	memcpy(mw->mmio, initial.mmio, PAGE);
	memcpy(mw->ram, initial.ram, sizeof(initial.ram));
	mw->port_value = initial.port_value;
	mw->n = 0;
	mw->overflow = 0;
	m = in;
	m.rep_chunk = (f->flags & FM_STRING) ? 1 + rndn(4) : 0;
	for (i = 0; i < 100; i++) {
		ret = mshv_x86_emulate(&m, &insn, &em_ops, mw);
		if (ret != MSHV_X86_EMULATE_AGAIN)
			break;
	}
	if (ret != MSHV_X86_EMULATE_DONE) {
		fprintf(stderr, "emulator returned %d\n", ret);
		report(f, mode, &b, "emulator failed", &in, &u, &e->w, &m, mw);
		free(mw);
		return 0;
	}

	normalize_unicorn_log(&e->w, insn.mem_size == 8, insn.op == MSHV_X86_OP_INS);
	/*
	 * unicorn 2.0.1 (QEMU before 8.0) writes EAX after a 32-bit CMPXCHG
	 * that succeeded too, zeroing RAX's upper half. The SDM (CMPXCHG,
	 * Operation) loads the accumulator only when the comparison fails, and
	 * the CPU leaves RAX alone otherwise, as the emulator does: on success
	 * the low half is compared, the upper half against its value before.
	 */
	if (insn.op == MSHV_X86_OP_CMPXCHG && insn.operand_size == 4 && mode == MSHV_X86_MODE_64 &&
	    (u.rflags & MSHV_X86_RFLAGS_ZF) && u.gpr[0] == (in.gpr[0] & 0xffffffffull))
		u.gpr[0] = in.gpr[0];
	fmask = ~0ull;
	if (f->flags & FM_UNDEF_AF)
		fmask &= ~MSHV_X86_RFLAGS_AF;
	if (f->flags & FM_UNDEF_BT)
		fmask &= ~(MSHV_X86_RFLAGS_OF | MSHV_X86_RFLAGS_SF | MSHV_X86_RFLAGS_AF | MSHV_X86_RFLAGS_PF);
	if (memcmp(u.gpr, m.gpr, sizeof(u.gpr)))
		report(f, mode, &b, "registers", &in, &u, &e->w, &m, mw);
	else if (u.rip != m.rip)
		report(f, mode, &b, "rip", &in, &u, &e->w, &m, mw);
	else if ((u.rflags & fmask) != (m.rflags & fmask))
		report(f, mode, &b, "rflags", &in, &u, &e->w, &m, mw);
	else if (u.rflags != m.rflags && !(f->flags & (FM_UNDEF_AF | FM_UNDEF_BT)))
		report(f, mode, &b, "rflags", &in, &u, &e->w, &m, mw);
	else if (!crossing && !same_log(&e->w, mw))
		report(f, mode, &b, "accesses", &in, &u, &e->w, &m, mw);
	else if (memcmp(e->w.mmio, mw->mmio, PAGE) || memcmp(e->w.ram, mw->ram, sizeof(mw->ram)))
		report(f, mode, &b, "memory", &in, &u, &e->w, &m, mw);
	free(mw);
	return 0;
}

/* ---- benchmark ------------------------------------------------------------------- */

static int bench_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	(void)ctx;
	memcpy(data, &gpa, size);
	return 0;
}

static int bench_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	(void)gpa;
	memcpy(ctx, data, size);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void bench(void)
{
	static const struct {
		const char *name;
		uint8_t code[8];
		unsigned int len;
	} cases[] = {
		{ "mov (%rbx),%eax", { 0x8b, 0x03 }, 2 },
		{ "mov %r9,8(%rbx)", { 0x4c, 0x89, 0x4b, 0x08 }, 4 },
		{ "orq $1,(%rax)", { 0x48, 0x83, 0x08, 0x01 }, 4 },
	};
	const struct mshv_x86_emulator_ops ops = { bench_read, bench_write, NULL, NULL, NULL, NULL };
	uint64_t sink = 0;
	unsigned int c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct mshv_x86_emulator_state st;
		struct mshv_x86_insn insn;
		const long n = 10000000;
		double t0, t1;
		long i;

		memset(&st, 0, sizeof(st));
		st.gpr[0] = st.gpr[3] = MMIO_ADDR;
		st.known_gva = st.known_gpa = MMIO_ADDR;
		st.known_valid = 1;
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			st.rip = CODE_ADDR;
			if (mshv_x86_decode(cases[c].code, cases[c].len, MSHV_X86_MODE_64, &insn) < 0 ||
			    mshv_x86_emulate(&st, &insn, &ops, &sink) < 0) {
				fprintf(stderr, "bench: %s failed\n", cases[c].name);
				exit(1);
			}
		}
		t1 = now_ns();
		printf("bench: %-18s decode + emulate %.1f ns\n", cases[c].name, (t1 - t0) / n);
	}
	/*
	 * The whole entry point of a run loop, mshv_vcpu_emulate_mmio: the
	 * message, the registers from and back to a valid register page (a
	 * VP handle with no fd: it issues no system call), decode, emulate.
	 */
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		static union {
			struct hv_vp_register_page page;
			__u8 bytes[4096];
		} page;
		struct hv_message msg;
		struct mshv_vcpu vcpu;
		const long n = 10000000;
		double t0, t1;
		long i;

		memset(&page, 0, sizeof(page));
		vcpu.fd = -1;
		vcpu.index = 0;
		vcpu.quirks = 0;
		vcpu.reg_page = &page.page;
		page.page.gp_registers[0] = page.page.gp_registers[3] = MMIO_ADDR;
		test_memory_message(&msg, CODE_ADDR, MMIO_ADDR, cases[c].code, cases[c].len, HV_INTERCEPT_ACCESS_READ);
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			page.page.isvalid = 1;
			if (mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &sink, NULL, NULL) < 0) {
				fprintf(stderr, "bench: mshv_vcpu_emulate_mmio %s failed\n", cases[c].name);
				exit(1);
			}
		}
		t1 = now_ns();
		printf("bench: %-18s mshv_vcpu_emulate_mmio (register page) %.1f ns\n", cases[c].name, (t1 - t0) / n);
	}
}

int main(int argc, char **argv)
{
	unsigned long total = 100000, done = 0, i;
	unsigned int k;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--cases") && a + 1 < argc) {
			total = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "--seed") && a + 1 < argc) {
			rng_state = strtoull(argv[++a], NULL, 0) | 1;
		} else if (!strcmp(argv[a], "--bench")) {
			bench();
			return 0;
		} else {
			fprintf(stderr, "usage: %s [--cases N] [--seed S] [--bench]\n", argv[0]);
			return 2;
		}
	}
	if (engine_open(&engines[0], MSHV_X86_MODE_16) || engine_open(&engines[1], MSHV_X86_MODE_32) ||
	    engine_open(&engines[2], MSHV_X86_MODE_64))
		return 1;
	for (i = 0; compared < total; i++) {
		struct form *f = &forms[i % NFORMS];
		unsigned int mode = (i / NFORMS) % 3 == 0 ? MSHV_X86_MODE_16 : (i / NFORMS) % 3 == 1 ? MSHV_X86_MODE_32 : MSHV_X86_MODE_64;

		if ((f->flags & FM_64ONLY) && mode != MSHV_X86_MODE_64)
			continue;
		if ((f->flags & FM_NO64) && mode == MSHV_X86_MODE_64)
			continue;
		if (run_case(f, mode) < 0) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
	}
	done = compared;
	for (k = 0; k < NFORMS; k++)
		printf("  %-18s %8lu cases (%lu skipped: no register to steer the address)\n", forms[k].name, forms[k].cases,
		       forms[k].skipped);
	printf("differential: %lu cases over %u forms, %lu differences, %lu refused by unicorn\n", done, (unsigned)NFORMS,
	       differences, unicorn_errors);
	for (k = 0; k < 3; k++)
		uc_close(engines[k].uc);
	return differences || unicorn_errors ? 1 : 0;
}

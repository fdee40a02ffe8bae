/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The x86 decoder (mshv_x86_decode) on hostile bytes, and the emulator
 * (mshv_x86_emulate) on whatever it accepts.
 *
 * Random byte strings, 0-16 bytes, in 16-, 32- and 64-bit code: half
 * uniform, half drawn from the prefix and opcode bytes the decoder looks
 * at (so that deep paths are reached). Each string sits at the very end
 * of a page followed by an inaccessible page, so a read past the given
 * count faults (and ASan, in the sanitize build, sees any other bad
 * access; UBSan any undefined arithmetic). For each:
 *
 * - the result is a length 1..min(count, 15), or -ENODATA, -EILSEQ or
 *   -EOPNOTSUPP with the matching reject reason;
 * - an accepted instruction decodes the same from exactly its own bytes
 *   (it needs no byte past its length), and each shorter prefix of it is
 *   refused as truncated;
 * - its fields are in range (sizes, registers, segment, scale);
 * - it is emulated on random registers with callbacks that check each
 *   access (size 1-8, a page-crossing access split at the page), and
 *   returns DONE, AGAIN or a -errno.
 *
 * Then a table of known encodings with their length and operation.
 *
 *   decoder_fuzz [--iterations N] [--seed S]   (default 1000000)
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mshv.h"
#include "../check.h"

static unsigned long long rng = 0x243f6a8885a308d3ull;

static unsigned long long rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* ---- callbacks that check what they are asked --------------------------- */

static unsigned long bad_access;

static int check_size(unsigned int size)
{
	if (size < 1 || size > 8) {
		bad_access++;
		return -EINVAL;
	}
	return 0;
}

static int f_mmio_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	(void)ctx;
	if (check_size(size) || ((gpa & 0xfff) + size > 0x1000 && size > 1 && (bad_access += 1)))
		return -EINVAL;
	memset(data, (int)(gpa & 0xff), size);
	return 0;
}

static int f_mmio_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	(void)ctx;
	(void)data;
	if (check_size(size) || ((gpa & 0xfff) + size > 0x1000 && (bad_access += 1)))
		return -EINVAL;
	return 0;
}

static __u8 ram[0x1000];

static void *f_guest_ram(void *ctx, __u64 gpa, unsigned int size)
{
	(void)ctx;
	if (check_size(size))
		return NULL;
	return (gpa & 0x3000) == 0x1000 && (gpa & 0xfff) + size <= 0x1000 ? ram + (gpa & 0xfff) : NULL;
}

static int f_port_read(void *ctx, __u16 port, unsigned int size, void *data)
{
	(void)ctx;
	if (check_size(size) || size > 4)
		return bad_access++, -EINVAL;
	memset(data, port & 0xff, size);
	return 0;
}

static int f_port_write(void *ctx, __u16 port, unsigned int size, const void *data)
{
	(void)ctx;
	(void)port;
	(void)data;
	if (check_size(size) || size > 4)
		return bad_access++, -EINVAL;
	return 0;
}

static int f_translate(void *ctx, __u64 gva, unsigned int write, __u64 *gpa)
{
	(void)ctx;
	(void)write;
	if ((gva >> 40) == 0xdead)
		return -EFAULT; /* some addresses do not translate */
	*gpa = gva;
	return 0;
}

static const struct mshv_x86_emulator_ops ops = { f_mmio_read, f_mmio_write, f_guest_ram,
						  f_port_read, f_port_write, f_translate };

/* ---- the fuzz loop ------------------------------------------------------ */

static const __u8 interesting[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f,
	0x0f, 0x00, 0x01, 0x02, 0x03, 0x08, 0x0b, 0x10, 0x13, 0x18, 0x1b, 0x20, 0x23, 0x28, 0x2b, 0x30, 0x33,
	0x38, 0x3b, 0x63, 0x6c, 0x6d, 0x6e, 0x6f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
	0x8a, 0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0,
	0xb1, 0xb3, 0xb6, 0xb7, 0xba, 0xbb, 0xbe, 0xbf, 0xc3, 0xc6, 0xc7, 0xf6, 0xf7, 0xfe, 0xff, 0x04, 0x05,
	0x0c, 0x14, 0x24, 0x25, 0x44, 0x45, 0x84, 0x85, 0xc0, 0x3d, 0x15,
};

static unsigned long accepted, rejected[8], emulated, emulate_errors;

static void check_fields(const struct mshv_x86_insn *in)
{
	CHECK(in->op > MSHV_X86_OP_NONE && in->op <= MSHV_X86_OP_OUTS);
	CHECK(in->operand_size == 1 || in->operand_size == 2 || in->operand_size == 4 || in->operand_size == 8);
	CHECK(in->mem_size >= 1 && in->mem_size <= in->operand_size);
	CHECK(in->address_size == 2 || in->address_size == 4 || in->address_size == 8);
	CHECK(in->segment <= MSHV_X86_SEG_GS);
	CHECK(in->reg <= 15);
	CHECK(in->base <= 15 || in->base == MSHV_X86_REG_NONE);
	CHECK(in->index <= 15 || in->index == MSHV_X86_REG_NONE);
	CHECK(in->index == MSHV_X86_REG_NONE || in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
	CHECK(in->reject == MSHV_X86_REJECT_NONE);
	CHECK(in->address_size != 8 || in->mode == MSHV_X86_MODE_64);
	CHECK(in->operand_size != 8 || in->mode == MSHV_X86_MODE_64);
}

static void fuzz_one(__u8 *page_end, unsigned int mode)
{
	unsigned int count = (unsigned int)(rnd() % 17), i;
	__u8 *bytes = page_end - count;
	struct mshv_x86_insn in, again;
	int ret, r2;

	for (i = 0; i < count; i++)
		bytes[i] = (rnd() & 1) ? (__u8)rnd() : interesting[rnd() % sizeof(interesting)];
	ret = mshv_x86_decode(bytes, count, mode, &in);
	if (ret < 0) {
		int want = in.reject == MSHV_X86_REJECT_TRUNCATED ? -ENODATA
			   : (in.reject == MSHV_X86_REJECT_TOO_LONG || in.reject == MSHV_X86_REJECT_UNDEFINED) ? -EILSEQ
			   : -EOPNOTSUPP;

		CHECK(in.reject > MSHV_X86_REJECT_NONE && in.reject <= MSHV_X86_REJECT_AMBIGUOUS &&
		      in.reject != MSHV_X86_REJECT_INVALID_ARGUMENT);
		CHECK(ret == want);
		CHECK(in.reject != MSHV_X86_REJECT_TOO_LONG || count >= 15);
		rejected[in.reject & 7]++;
		return;
	}
	accepted++;
	CHECK(ret >= 1 && ret <= 15 && (unsigned int)ret <= count);
	CHECK(in.length == ret);
	check_fields(&in);
	/* the same from exactly its own bytes, at the page's end */
	memmove(page_end - ret, bytes, (size_t)ret);
	r2 = mshv_x86_decode(page_end - ret, (unsigned int)ret, mode, &again);
	CHECK(r2 == ret && memcmp(&in, &again, sizeof(in)) == 0);
	/* and truncated without its last byte */
	if (ret > 1) {
		r2 = mshv_x86_decode(page_end - ret, (unsigned int)ret - 1, mode, &again);
		CHECK(r2 == -ENODATA && again.reject == MSHV_X86_REJECT_TRUNCATED);
	}
	/* emulate it on random registers */
	{
		struct mshv_x86_emulator_state st;

		memset(&st, 0, sizeof(st));
		for (i = 0; i < 16; i++)
			st.gpr[i] = (rnd() & 1) ? rnd() : rnd() & 0x1fff;
		st.rip = rnd();
		st.rflags = rnd();
		for (i = 0; i < 6; i++)
			st.segment_base[i] = (rnd() & 3) ? 0 : rnd();
		st.rep_chunk = (__u32)(rnd() % 64);
		ret = mshv_x86_emulate(&st, &in, &ops, NULL);
		emulated++;
		if (ret < 0)
			emulate_errors++;
		CHECK(ret == MSHV_X86_EMULATE_DONE || ret == MSHV_X86_EMULATE_AGAIN || ret == -EFAULT ||
		      ret == -EINVAL);
	}
}

/* ---- known encodings ------------------------------------------------------ */

struct known {
	unsigned int mode, len, op, operand_size, flags_set;
	__u8 bytes[15];
	unsigned int count;
};

static const struct known knowns[] = {
	/* or qword [rax], 1 (the HPET read of issue 14) */
	{ MSHV_X86_MODE_64, 4, MSHV_X86_OP_OR, 8, MSHV_X86_INSN_MEM_DEST | MSHV_X86_INSN_IMM, { 0x48, 0x83, 0x08, 0x01 }, 4 },
	/* mov eax, [rbx] */
	{ MSHV_X86_MODE_64, 2, MSHV_X86_OP_MOV, 4, MSHV_X86_INSN_REG_DEST, { 0x8b, 0x03 }, 2 },
	/* addr32 mov r8d, [ebx] */
	{ MSHV_X86_MODE_64, 4, MSHV_X86_OP_MOV, 4, MSHV_X86_INSN_REG_DEST, { 0x67, 0x44, 0x8b, 0x03 }, 4 },
	/* mov r10, [0x10000008] (SIB, no base, no index) */
	{ MSHV_X86_MODE_64, 8, MSHV_X86_OP_MOV, 8, 0, { 0x4c, 0x8b, 0x14, 0x25, 0x08, 0x00, 0x00, 0x10 }, 8 },
	/* mov eax, [rip + 0x100] */
	{ MSHV_X86_MODE_64, 6, MSHV_X86_OP_MOV, 4, MSHV_X86_INSN_RIP_REL, { 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 }, 6 },
	/* movzx eax, byte [rdi] (readb) */
	{ MSHV_X86_MODE_64, 3, MSHV_X86_OP_MOVZX, 4, 0, { 0x0f, 0xb6, 0x07 }, 3 },
	/* movabs rax, [moffs64] */
	{ MSHV_X86_MODE_64, 10, MSHV_X86_OP_MOV, 8, 0, { 0x48, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 10 },
	/* rep movsb; rep insw (16-bit); outsb */
	{ MSHV_X86_MODE_64, 2, MSHV_X86_OP_MOVS, 1, MSHV_X86_INSN_REP | MSHV_X86_INSN_STRING, { 0xf3, 0xa4 }, 2 },
	{ MSHV_X86_MODE_16, 2, MSHV_X86_OP_INS, 2, MSHV_X86_INSN_REP, { 0xf3, 0x6d }, 2 },
	{ MSHV_X86_MODE_32, 1, MSHV_X86_OP_OUTS, 1, 0, { 0x6e }, 1 },
	/* lock bts dword [ecx], 3 (32-bit code) */
	{ MSHV_X86_MODE_32, 5, MSHV_X86_OP_BTS, 4, MSHV_X86_INSN_LOCK, { 0xf0, 0x0f, 0xba, 0x29, 0x03 }, 5 },
	/* mov word [bp+si+0x10], 0x1234 (16-bit code: SS) */
	{ MSHV_X86_MODE_16, 5, MSHV_X86_OP_MOV, 2, MSHV_X86_INSN_IMM, { 0xc7, 0x42, 0x10, 0x34, 0x12 }, 5 },
};

static void check_knowns(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(knowns) / sizeof(knowns[0]); i++) {
		const struct known *k = &knowns[i];
		struct mshv_x86_insn in;

		CHECK_RET(mshv_x86_decode(k->bytes, k->count, k->mode, &in), (long)k->len);
		CHECK(in.op == k->op);
		CHECK(in.operand_size == k->operand_size);
		CHECK((in.flags & k->flags_set) == k->flags_set);
	}
	/* the 16-bit BP form defaults to SS */
	{
		struct mshv_x86_insn in;
		static const __u8 b[] = { 0xc7, 0x42, 0x10, 0x34, 0x12 };

		CHECK_RET(mshv_x86_decode(b, sizeof(b), MSHV_X86_MODE_16, &in), 5);
		CHECK(in.segment == MSHV_X86_SEG_SS && in.base == 5 && in.index == 6 && in.disp == 0x10 && in.imm == 0x1234);
	}
	/* refusals, each with its reason */
	{
		struct mshv_x86_insn in;
		static const __u8 lock_mov[] = { 0xf0, 0x89, 0x03 }, reg_form[] = { 0x01, 0xc0 }, mul[] = { 0xf7, 0x23 },
				  both_rep[] = { 0xf2, 0xf3, 0xa6 }, b82[] = { 0x82, 0x00, 0x01 },
				  long15[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					       0x66, 0x66, 0x66, 0x89 };

		CHECK_RET(mshv_x86_decode(lock_mov, 3, MSHV_X86_MODE_64, &in), -EILSEQ);
		CHECK(in.reject == MSHV_X86_REJECT_UNDEFINED);
		CHECK_RET(mshv_x86_decode(reg_form, 2, MSHV_X86_MODE_64, &in), -EOPNOTSUPP);
		CHECK(in.reject == MSHV_X86_REJECT_NO_MEMORY);
		CHECK_RET(mshv_x86_decode(mul, 2, MSHV_X86_MODE_64, &in), -EOPNOTSUPP);
		CHECK(in.reject == MSHV_X86_REJECT_OPCODE);
		CHECK_RET(mshv_x86_decode(both_rep, 3, MSHV_X86_MODE_64, &in), -EOPNOTSUPP);
		CHECK(in.reject == MSHV_X86_REJECT_AMBIGUOUS);
		CHECK_RET(mshv_x86_decode(b82, 3, MSHV_X86_MODE_64, &in), -EILSEQ);
		CHECK_RET(mshv_x86_decode(b82, 3, MSHV_X86_MODE_32, &in), 3);
		CHECK_RET(mshv_x86_decode(long15, 16, MSHV_X86_MODE_64, &in), -EILSEQ);
		CHECK(in.reject == MSHV_X86_REJECT_TOO_LONG);
		CHECK_RET(mshv_x86_decode(long15, 15, MSHV_X86_MODE_64, &in), -EILSEQ);
		CHECK_RET(mshv_x86_decode(long15, 14, MSHV_X86_MODE_64, &in), -ENODATA);
		CHECK_RET(mshv_x86_decode(long15, 2, 3, &in), -EINVAL);
		CHECK(in.reject == MSHV_X86_REJECT_INVALID_ARGUMENT);
		CHECK_RET(mshv_x86_decode(NULL, 2, MSHV_X86_MODE_64, &in), -EINVAL);
		CHECK_RET(mshv_x86_decode(NULL, 0, MSHV_X86_MODE_64, &in), -EINVAL);
		CHECK_RET(mshv_x86_decode(long15, 0, MSHV_X86_MODE_64, &in), -ENODATA);
	}
	/* a missing callback: -EOPNOTSUPP, registers untouched */
	{
		static const __u8 load[] = { 0x8b, 0x03 };
		const struct mshv_x86_emulator_ops none = { NULL, NULL, NULL, NULL, NULL, NULL };
		struct mshv_x86_emulator_state st;
		struct mshv_x86_insn in;

		memset(&st, 0, sizeof(st));
		st.gpr[3] = 0x5000;
		st.rip = 0x1000;
		st.known_gva = st.known_gpa = 0x5000;
		st.known_valid = 1;
		CHECK_RET(mshv_x86_decode(load, 2, MSHV_X86_MODE_64, &in), 2);
		CHECK_RET(mshv_x86_emulate(&st, &in, &none, NULL), -EOPNOTSUPP);
		CHECK(st.rip == 0x1000 && st.gpr[0] == 0);
		CHECK_RET(mshv_x86_emulate(&st, &in, NULL, NULL), -EINVAL);
		in.reject = MSHV_X86_REJECT_OPCODE;
		CHECK_RET(mshv_x86_emulate(&st, &in, &ops, NULL), -EINVAL);
	}
}

int main(int argc, char **argv)
{
	unsigned long iterations = 1000000, i;
	static const unsigned int modes[3] = { MSHV_X86_MODE_16, MSHV_X86_MODE_32, MSHV_X86_MODE_64 };
	__u8 *mem;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--iterations") && a + 1 < argc)
			iterations = strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			rng = strtoull(argv[++a], NULL, 0) | 1;
		else {
			fprintf(stderr, "usage: %s [--iterations N] [--seed S]\n", argv[0]);
			return 2;
		}
	}
	mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem + 4096, 4096, PROT_NONE)) {
		perror("mmap");
		return 1;
	}
	check_knowns();
	for (i = 0; i < iterations; i++)
		fuzz_one(mem + 4096, modes[i % 3]);
	CHECK(bad_access == 0);
	printf("decoder fuzz: %lu byte strings: %lu accepted (%lu emulated, %lu with -errno), refused: "
	       "%lu truncated, %lu too long, %lu undefined, %lu not emulated, %lu no memory operand, %lu ambiguous\n",
	       iterations, accepted, emulated, emulate_errors, rejected[MSHV_X86_REJECT_TRUNCATED],
	       rejected[MSHV_X86_REJECT_TOO_LONG], rejected[MSHV_X86_REJECT_UNDEFINED], rejected[MSHV_X86_REJECT_OPCODE],
	       rejected[MSHV_X86_REJECT_NO_MEMORY], rejected[MSHV_X86_REJECT_AMBIGUOUS]);
	munmap(mem, 2 * 4096);
	return CHECK_REPORT("decoder-fuzz");
}

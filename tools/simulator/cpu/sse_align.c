/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the 16-byte alignment rule of legacy SSE.
 *
 * A legacy-encoded (not VEX) SSE instruction with a 128-bit memory
 * operand raises #GP(0) when that operand is not 16-byte aligned, except
 * the forms made for unaligned data: MOVUPS, MOVUPD, MOVDQU, LDDQU and
 * the SSE4.2 string compares (Intel SDM vol. 1 12.4 / 15.7.3 and each
 * instruction's exception table; AMD APM vol. 4 1.2.2; AMD's misaligned
 * SSE mode, CPUID 8000_0001 ECX[7], is not reported, so it never
 * applies). Forms whose memory operand is 64 bits or less (the scalar
 * forms, MOVLPS, MOVHPS, MOVDDUP, CVTPS2PD, CVTDQ2PD, PMOVSX/ZX, MMX
 * operands) have no such rule. QEMU 5.0 checks none of it; the
 * translator asks here before each instruction (unicorn_hooks.c), and
 * the instruction's first 8-byte access then carries a 16-byte alignment
 * requirement that the load/store helpers turn into #GP(0).
 */
#include "x86_cpu_internal.h"

/* 0F xx by mandatory prefix: bit xx of the 256-bit map */
struct opmap {
	uint32_t w[8];
};
static bool in_map(const struct opmap *m, uint8_t op)
{
	return (m->w[op / 32] >> (op % 32)) & 1;
}

/* build-time maps, written as ranges at first use */
static struct opmap map0f_np, map0f_66, map0f_f3, map0f_f2, map38_66, map3a_66;

static void set_range(struct opmap *m, unsigned lo, unsigned hi)
{
	for (unsigned op = lo; op <= hi; op++)
		m->w[op / 32] |= 1u << (op % 32);
}

static void build_maps(void)
{
	/* no prefix: packed single */
	set_range(&map0f_np, 0x14, 0x15); /* UNPCKLPS UNPCKHPS */
	set_range(&map0f_np, 0x28, 0x29); /* MOVAPS */
	set_range(&map0f_np, 0x2b, 0x2b); /* MOVNTPS */
	set_range(&map0f_np, 0x51, 0x59); /* SQRTPS RSQRTPS RCPPS ANDPS ANDNPS ORPS XORPS ADDPS MULPS */
	set_range(&map0f_np, 0x5b, 0x5f); /* CVTDQ2PS SUBPS MINPS DIVPS MAXPS (5A CVTPS2PD: m64) */
	set_range(&map0f_np, 0xc2, 0xc2); /* CMPPS */
	set_range(&map0f_np, 0xc6, 0xc6); /* SHUFPS */
	/* 66: packed double and 128-bit integer */
	set_range(&map0f_66, 0x14, 0x15);
	set_range(&map0f_66, 0x28, 0x29); /* MOVAPD */
	set_range(&map0f_66, 0x2b, 0x2b); /* MOVNTPD */
	set_range(&map0f_66, 0x51, 0x51);
	set_range(&map0f_66, 0x54, 0x5f); /* ... CVTPD2PS CVTPS2DQ ... */
	set_range(&map0f_66, 0x60, 0x6d); /* PUNPCK*, PACK*, PCMPGT* */
	set_range(&map0f_66, 0x6f, 0x70); /* MOVDQA, PSHUFD */
	set_range(&map0f_66, 0x74, 0x76); /* PCMPEQ* */
	set_range(&map0f_66, 0x7c, 0x7d); /* HADDPD HSUBPD */
	set_range(&map0f_66, 0x7f, 0x7f); /* MOVDQA store */
	set_range(&map0f_66, 0xc2, 0xc2);
	set_range(&map0f_66, 0xc6, 0xc6);
	set_range(&map0f_66, 0xd0, 0xd5); /* ADDSUBPD, PSRL*, PADDQ, PMULLW (D6 MOVQ m64, D7 PMOVMSKB) */
	set_range(&map0f_66, 0xd8, 0xef); /* ..., E6 CVTTPD2DQ, E7 MOVNTDQ, ... */
	set_range(&map0f_66, 0xf1, 0xf6); /* (F7 MASKMOVDQU: register operands) */
	set_range(&map0f_66, 0xf8, 0xfe);
	/* F3 */
	set_range(&map0f_f3, 0x12, 0x12); /* MOVSLDUP */
	set_range(&map0f_f3, 0x16, 0x16); /* MOVSHDUP */
	set_range(&map0f_f3, 0x5b, 0x5b); /* CVTTPS2DQ */
	set_range(&map0f_f3, 0x70, 0x70); /* PSHUFHW */
	/* F2 */
	set_range(&map0f_f2, 0x70, 0x70); /* PSHUFLW */
	set_range(&map0f_f2, 0x7c, 0x7d); /* HADDPS HSUBPS */
	set_range(&map0f_f2, 0xd0, 0xd0); /* ADDSUBPS */
	set_range(&map0f_f2, 0xe6, 0xe6); /* CVTPD2DQ */
	/* 66 0F 38: SSSE3, SSE4.1, AES (the unprefixed ones are MMX: m64) */
	set_range(&map38_66, 0x00, 0x0b);
	set_range(&map38_66, 0x10, 0x10);
	set_range(&map38_66, 0x14, 0x15);
	set_range(&map38_66, 0x17, 0x17);
	set_range(&map38_66, 0x1c, 0x1e);
	set_range(&map38_66, 0x28, 0x2b); /* PMULDQ PCMPEQQ MOVNTDQA PACKUSDW */
	set_range(&map38_66, 0x37, 0x41);
	set_range(&map38_66, 0xdb, 0xdf);
	/* 66 0F 3A (0A/0B ROUNDSS/SD scalar; 60-63 PCMPxSTRx: unaligned allowed) */
	set_range(&map3a_66, 0x08, 0x09);
	set_range(&map3a_66, 0x0c, 0x0f);
	set_range(&map3a_66, 0x40, 0x42);
	set_range(&map3a_66, 0x44, 0x44);
	set_range(&map3a_66, 0xdf, 0xdf);
}

/*
 * b[0..n): the bytes at the instruction (n short when the rest is not
 * mapped: false, QEMU takes the fetch fault). True: a legacy SSE form
 * whose memory operand must be 16-byte aligned.
 */
bool sim_x86__sse_align16(const uint8_t *b, size_t n, bool long64)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t i = 0;
	uint8_t rep = 0;
	bool opsize = false;

	pthread_once(&once, build_maps);
	for (; i < n && i < 15; i++) {
		uint8_t c = b[i];
		if (c == 0xf2 || c == 0xf3)
			rep = c; /* the last of them is the mandatory prefix */
		else if (c == 0x66)
			opsize = true;
		else if (c == 0xf0 || c == 0x67 || c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 ||
			 c == 0x65 || (long64 && (c & 0xf0) == 0x40))
			continue;
		else
			break;
	}
	if (i + 2 >= n || b[i] != 0x0f)
		return false;
	/* F2/F3 select the instruction over 66 (Intel SDM vol. 2A 2.1.2) */
	uint8_t op = b[i + 1], modrm;
	const struct opmap *m;
	if (op == 0x38 || op == 0x3a) {
		if (i + 3 >= n || rep || !opsize)
			return false;
		m = op == 0x38 ? &map38_66 : &map3a_66;
		op = b[i + 2];
		modrm = b[i + 3];
	} else {
		m = rep == 0xf3 ? &map0f_f3 : rep == 0xf2 ? &map0f_f2 : opsize ? &map0f_66 : &map0f_np;
		modrm = b[i + 2];
	}
	return (modrm >> 6) != 3 && in_map(m, op);
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_x86_64.h's control register and RFLAGS bit names have the values
 * of Linux's <asm/processor-flags.h> (checked at compile time; the EFER
 * bits, which no installed header carries, against the SDM's numbers),
 * and MSHV_X86_SEG_ATTR_* build the attribute word the kernel's bit fields
 * read back.
 */
#include <stdio.h>
#include <string.h>

#include <asm/processor-flags.h>

#include "mshv.h"

#define SAME(ours, linux) _Static_assert((ours) == (linux), #ours " differs from " #linux)

SAME(MSHV_X86_CR0_PE, X86_CR0_PE);
SAME(MSHV_X86_CR0_MP, X86_CR0_MP);
SAME(MSHV_X86_CR0_EM, X86_CR0_EM);
SAME(MSHV_X86_CR0_TS, X86_CR0_TS);
SAME(MSHV_X86_CR0_ET, X86_CR0_ET);
SAME(MSHV_X86_CR0_NE, X86_CR0_NE);
SAME(MSHV_X86_CR0_WP, X86_CR0_WP);
SAME(MSHV_X86_CR0_AM, X86_CR0_AM);
SAME(MSHV_X86_CR0_NW, X86_CR0_NW);
SAME(MSHV_X86_CR0_CD, X86_CR0_CD);
SAME(MSHV_X86_CR0_PG, X86_CR0_PG);
SAME(MSHV_X86_CR4_VME, X86_CR4_VME);
SAME(MSHV_X86_CR4_PVI, X86_CR4_PVI);
SAME(MSHV_X86_CR4_TSD, X86_CR4_TSD);
SAME(MSHV_X86_CR4_DE, X86_CR4_DE);
SAME(MSHV_X86_CR4_PSE, X86_CR4_PSE);
SAME(MSHV_X86_CR4_PAE, X86_CR4_PAE);
SAME(MSHV_X86_CR4_MCE, X86_CR4_MCE);
SAME(MSHV_X86_CR4_PGE, X86_CR4_PGE);
SAME(MSHV_X86_CR4_PCE, X86_CR4_PCE);
SAME(MSHV_X86_CR4_OSFXSR, X86_CR4_OSFXSR);
SAME(MSHV_X86_CR4_OSXMMEXCPT, X86_CR4_OSXMMEXCPT);
SAME(MSHV_X86_CR4_UMIP, X86_CR4_UMIP);
SAME(MSHV_X86_CR4_LA57, X86_CR4_LA57);
SAME(MSHV_X86_CR4_FSGSBASE, X86_CR4_FSGSBASE);
SAME(MSHV_X86_CR4_PCIDE, X86_CR4_PCIDE);
SAME(MSHV_X86_CR4_OSXSAVE, X86_CR4_OSXSAVE);
SAME(MSHV_X86_CR4_SMEP, X86_CR4_SMEP);
SAME(MSHV_X86_CR4_SMAP, X86_CR4_SMAP);
SAME(MSHV_X86_CR4_PKE, X86_CR4_PKE);
SAME(MSHV_X86_RFLAGS_CF, X86_EFLAGS_CF);
SAME(MSHV_X86_RFLAGS_FIXED, X86_EFLAGS_FIXED);
SAME(MSHV_X86_RFLAGS_PF, X86_EFLAGS_PF);
SAME(MSHV_X86_RFLAGS_AF, X86_EFLAGS_AF);
SAME(MSHV_X86_RFLAGS_ZF, X86_EFLAGS_ZF);
SAME(MSHV_X86_RFLAGS_SF, X86_EFLAGS_SF);
SAME(MSHV_X86_RFLAGS_TF, X86_EFLAGS_TF);
SAME(MSHV_X86_RFLAGS_IF, X86_EFLAGS_IF);
SAME(MSHV_X86_RFLAGS_DF, X86_EFLAGS_DF);
SAME(MSHV_X86_RFLAGS_OF, X86_EFLAGS_OF);
SAME(MSHV_X86_RFLAGS_RF, X86_EFLAGS_RF);
SAME(MSHV_X86_RFLAGS_VM, X86_EFLAGS_VM);
/* EFER (SDM vol. 3A 2.2.1, Table 2-1): SCE bit 0, LME 8, LMA 10, NXE 11 */
SAME(MSHV_X86_EFER_SCE, 0x1);
SAME(MSHV_X86_EFER_LME, 0x100);
SAME(MSHV_X86_EFER_LMA, 0x400);
SAME(MSHV_X86_EFER_NXE, 0x800);

/* MSHV_X86_SEG_ATTR_* against the kernel's bit fields of struct hv_x64_segment_register. */
static int segment_attributes(void)
{
	struct hv_x64_segment_register h;
	int bad = 0;

	memset(&h, 0, sizeof(h));
	h.attributes = MSHV_X86_SEG_ATTR_TYPE(0xb) | MSHV_X86_SEG_ATTR_S | MSHV_X86_SEG_ATTR_P | MSHV_X86_SEG_ATTR_L |
		       MSHV_X86_SEG_ATTR_G;
	bad |= h.attributes != 0xa09b;
	bad |= !(h.segment_type == 0xb && h.non_system_segment && h.present && h._long && h.granularity);
	bad |= h.descriptor_privilege_level != 0 || h._default || h.available;
	h.attributes = MSHV_X86_SEG_ATTR_DPL(3) | MSHV_X86_SEG_ATTR_DB | MSHV_X86_SEG_ATTR_AVL;
	bad |= !(h.descriptor_privilege_level == 3 && h._default && h.available && !h._long && !h.present);
	return bad;
}

int main(void)
{
	if (segment_attributes()) {
		puts("x86 bits: MSHV_X86_SEG_ATTR_* disagree with hv_x64_segment_register's bit fields");
		return 1;
	}
	printf("x86 bits: %d names as <asm/processor-flags.h> and the SDM, segment attributes as the bit fields\n",
	       11 + 19 + 12 + 4);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: the VP register page outside a run, through the CPU model's
 * register interface. (Around a run, sim_x86_vcpu_run() keeps the page
 * itself, on its fast path.) The page layout and its dirty classes are the
 * hypervisor's (struct hv_vp_register_page); cr0 and the fields after it
 * are read-only through the page.
 */
#include <string.h>

#include "x86_vcpu.h"

static const uint32_t gp_names[16] = {
	HV_X64_REGISTER_RAX, HV_X64_REGISTER_RCX, HV_X64_REGISTER_RDX, HV_X64_REGISTER_RBX,
	HV_X64_REGISTER_RSP, HV_X64_REGISTER_RBP, HV_X64_REGISTER_RSI, HV_X64_REGISTER_RDI,
	HV_X64_REGISTER_R8,  HV_X64_REGISTER_R9,  HV_X64_REGISTER_R10, HV_X64_REGISTER_R11,
	HV_X64_REGISTER_R12, HV_X64_REGISTER_R13, HV_X64_REGISTER_R14, HV_X64_REGISTER_R15,
};

static const uint32_t segment_names[6] = {
	HV_X64_REGISTER_ES, HV_X64_REGISTER_CS, HV_X64_REGISTER_SS,
	HV_X64_REGISTER_DS, HV_X64_REGISTER_FS, HV_X64_REGISTER_GS,
};

static void set64(struct sim_x86_vcpu *vcpu, uint32_t name, uint64_t v)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.reg64 = v;
	sim_x86_vcpu_set_register(vcpu, name, &val);
}

static uint64_t get64(struct sim_x86_vcpu *vcpu, uint32_t name)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	sim_x86_vcpu_get_register(vcpu, name, &val);
	return val.reg64;
}

void sim_x86_vcpu_load_register_page(struct sim_x86_vcpu *vcpu, struct hv_vp_register_page *regs)
{
	union hv_register_value val;
	uint32_t dirty = regs->dirty;
	int i;

	if (!regs->isvalid || !dirty)
		return;
	if (dirty & (1u << HV_X64_REGISTER_CLASS_GENERAL))
		for (i = 0; i < 16; i++)
			set64(vcpu, gp_names[i], regs->gp_registers[i]);
	if (dirty & (1u << HV_X64_REGISTER_CLASS_IP))
		set64(vcpu, HV_X64_REGISTER_RIP, regs->rip);
	if (dirty & (1u << HV_X64_REGISTER_CLASS_FLAGS))
		set64(vcpu, HV_X64_REGISTER_RFLAGS, regs->rflags);
	if (dirty & (1u << HV_X64_REGISTER_CLASS_XMM)) {
		for (i = 0; i < 6; i++) {
			memset(&val, 0, sizeof(val));
			memcpy(&val.reg128, &regs->xmm_registers[i], sizeof(val.reg128));
			sim_x86_vcpu_set_register(vcpu, HV_X64_REGISTER_XMM0 + (uint32_t)i, &val);
		}
	}
	if (dirty & (1u << HV_X64_REGISTER_CLASS_SEGMENT)) {
		for (i = 0; i < 6; i++) {
			memset(&val, 0, sizeof(val));
			memcpy(&val.segment, &regs->segment_registers[i], sizeof(val.segment));
			sim_x86_vcpu_set_register(vcpu, segment_names[i], &val);
		}
	}
	regs->dirty = 0;
}

void sim_x86_vcpu_store_register_page(struct sim_x86_vcpu *vcpu, struct hv_vp_register_page *regs)
{
	union hv_register_value val;
	int i;

	regs->version = HV_VP_REGISTER_PAGE_VERSION_1;
	for (i = 0; i < 16; i++)
		regs->gp_registers[i] = get64(vcpu, gp_names[i]);
	regs->rip = get64(vcpu, HV_X64_REGISTER_RIP);
	regs->rflags = get64(vcpu, HV_X64_REGISTER_RFLAGS);
	for (i = 0; i < 6; i++) {
		memset(&val, 0, sizeof(val));
		sim_x86_vcpu_get_register(vcpu, HV_X64_REGISTER_XMM0 + (uint32_t)i, &val);
		memcpy(&regs->xmm_registers[i], &val.reg128, sizeof(regs->xmm_registers[i]));
	}
	for (i = 0; i < 6; i++) {
		memset(&val, 0, sizeof(val));
		sim_x86_vcpu_get_register(vcpu, segment_names[i], &val);
		memcpy(&regs->segment_registers[i], &val.segment, sizeof(regs->segment_registers[i]));
	}
	regs->cr0 = get64(vcpu, HV_X64_REGISTER_CR0);
	regs->cr3 = get64(vcpu, HV_X64_REGISTER_CR3);
	regs->cr4 = get64(vcpu, HV_X64_REGISTER_CR4);
	regs->cr8 = get64(vcpu, HV_X64_REGISTER_CR8);
	regs->efer = get64(vcpu, HV_X64_REGISTER_EFER);
	regs->dr7 = get64(vcpu, HV_X64_REGISTER_DR7);
	regs->pending_interruption.as_uint64 = get64(vcpu, HV_REGISTER_PENDING_INTERRUPTION);
	regs->interrupt_state.as_uint64 = get64(vcpu, HV_REGISTER_INTERRUPT_STATE);
	regs->instruction_emulation_hints = 0;
	regs->xfem = get64(vcpu, HV_X64_REGISTER_XFEM);
	regs->dirty = 0;
	regs->isvalid = 1;
}

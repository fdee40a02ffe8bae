/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The NULL rule, with no device: every public function that takes a
 * pointer (handle, struct, buffer, out pointer; not the optional hv_status
 * and access_result) is called with NULL in each such parameter, and must
 * answer -EINVAL (the message views NULL, mshv_msg_instruction_bytes and
 * mshv_vcpu_reg_page_valid 0), leaving *hv_status HV_STATUS_SUCCESS. The
 * handles hold fd -1, and each function is also called once with every
 * pointer valid: that call reaches the system and gets -EBADF (or the
 * answer of a function that makes no system call), so the -EINVAL of the
 * NULL calls is the library's own, given before any system call. (What
 * an ioctl on fd -1 answers is measured first: EBADF, or ENOSYS under
 * qemu-user, which passes no mshv ioctl on.)
 *
 * `null_args_test --list` prints the cases ("function parameter"), which
 * null_args_list.py compares with the headers' pointer parameters: a new
 * public function or pointer parameter without a case here fails the suite.
 */
#define MSHV_IMPLEMENTATION
#include "mshv.h"

#include <stdlib.h>

#include "../check.h"

static int listing; /* --list: print the cases instead of running them */
static __u16 st;    /* every hv_status the calls below get */

/* fn(args...) with NULL in parameter `param`: -EINVAL, *hv_status (if passed as &st) HV_STATUS_SUCCESS. */
#define NULL_CASE(fn, param, args)                                          \
	do {                                                                \
		if (listing) {                                              \
			puts(#fn " " #param);                               \
			break;                                              \
		}                                                           \
		st = 0xbeef;                                                \
		CHECK_RET(fn args, -EINVAL);                                \
		if (strstr(#args, "&st"))                                   \
			CHECK(st == HV_STATUS_SUCCESS);                     \
	} while (0)

/* What an ioctl on fd -1 answers (-EBADF natively): a call that gets it made a system call. */
static int syscall_answer;
#define SYSCALL syscall_answer

/* fn(args...) with every pointer valid: `want` (SYSCALL: it made a system call on fd -1). */
#define VALID(fn, args, want)                 \
	do {                                  \
		if (!listing)                 \
			CHECK_RET(fn args, want); \
	} while (0)

/* A message view given no message: NULL. */
#define NULL_VIEW(name)                                              \
	do {                                                         \
		if (listing)                                         \
			puts("mshv_msg_" #name " msg");              \
		else                                                 \
			CHECK(mshv_msg_##name(NULL) == NULL);        \
	} while (0)

/* Handles on fd -1: a system call on them fails with EBADF. */
static struct mshv_system sys = { -1, MSHV_KERNEL_UNKNOWN };
static struct mshv_vm vm = { -1 };
static struct mshv_vcpu vcpu = { -1, 0, NULL, 0 };
static struct mshv_device dev = { -1, MSHV_ABI_LEGACY };

/* Arguments: zero, then made valid in main(). */
static struct mshv_system sys_out;
static struct mshv_vm vm_out;
static struct mshv_vcpu vcpu_out;
static struct mshv_device dev_out;
static __u8 hvcall_in[8];
static struct mshv_root_hvcall hvcall_args;
static __u64 value;
static union hv_partition_property_ex prop_ex;
static struct hv_partition_property_vmm_capabilities caps;
static struct mshv_create_partition_v2 create_args;
static struct mshv_install_intercept intercept;
static struct mshv_register_deliverabilty_notifications deliverability;
static struct mshv_user_mem_region region;
static struct mshv_user_irqfd irqfd;
static struct mshv_user_ioeventfd ioeventfd;
static struct mshv_user_irq_table irq_table;
static __u64 bitmap[1];
static struct mshv_modify_gpa_host_access host_access;
static struct mshv_import_isolated_pages import_pages;
static struct mshv_complete_isolated_import import_done;
static struct mshv_issue_psp_guest_request psp;
static struct mshv_sev_snp_ap_create ap_create;
static struct mshv_create_device create_device;
static struct hv_message msg;
static struct hv_register_assoc regs[1];
static union hv_register_value reg_value;
static struct mshv_register64 pairs[1];
static __u64 gpa;
static union hv_translate_gva_result gva_result;
static struct mshv_read_write_gpa rw;
static struct mshv_get_set_vp_state vp_state;
static struct mshv_device_attr attr;
static struct mshv_standard_registers std_regs;
#if defined(__x86_64__)
static struct mshv_assert_interrupt interrupt;
static struct mshv_signal_event_direct event;
static struct mshv_post_message_direct post;
static __u32 msr_indices[256];
static unsigned int msr_count;
static struct mshv_msr_entry msrs[1];
static struct mshv_special_registers sregs;
static struct mshv_floating_point_unit fpu;
static struct mshv_debug_registers dregs;
static struct mshv_vcpu_events events;
static struct mshv_xcrs xcrs;
static struct mshv_misc_regs misc;
static struct mshv_suspend_registers suspend;
static struct mshv_lapic_state lapic;
static struct mshv_xsave xsave;
static struct mshv_all_vp_state_components all_state;
static __u32 cpuid_out[4];
static struct mshv_cpuid_entry cpuid[1];
static struct hv_x64_intercept_message_header hdr;
static struct hv_x64_io_port_intercept_message io;
static struct hv_x64_msr_intercept_message msr_msg;
static struct hv_x64_cpuid_intercept_message cpuid_msg;
static const __u32 cpuid_mask[4];
static __u64 gpr16[16];
static struct mshv_standard_registers regs16; /* (not "&st..." in a NULL case: that means hv_status) */
/* the x86 emulator: a memory intercept (mov (%rbx),%eax in 64-bit code), a REP OUTSB one, no callbacks */
static struct hv_message emu_mmio_msg, emu_io_msg;
static const __u8 emu_bytes[2] = { 0x8b, 0x03 };
static struct mshv_x86_insn emu_insn;
static struct mshv_x86_emulator_state emu_state;
static const struct mshv_x86_emulator_ops emu_ops = { NULL, NULL, NULL, NULL, NULL, NULL };

static void emulator_messages(void)
{
	struct hv_x64_memory_intercept_message mem;
	struct hv_x64_io_port_intercept_message outs;

	memset(&mem, 0, sizeof(mem));
	mem.header.execution_state.cr0_pe = mem.header.execution_state.efer_lma = 1;
	mem.header.cs_segment._long = 1;
	mem.instruction_byte_count = 2;
	memcpy(mem.instruction_bytes, emu_bytes, 2);
	emu_mmio_msg.header.message_type = HVMSG_UNMAPPED_GPA;
	memcpy(emu_mmio_msg.u.payload, &mem, sizeof(mem));
	memset(&outs, 0, sizeof(outs));
	outs.header = mem.header;
	outs.access_info.access_size = 1;
	outs.access_info.string_op = outs.access_info.rep_prefix = 1;
	outs.instruction_byte_count = 2;
	outs.instruction_bytes[0] = 0xf3;
	outs.instruction_bytes[1] = 0x6e;
	emu_io_msg.header.message_type = HVMSG_X64_IO_PORT_INTERCEPT;
	memcpy(emu_io_msg.u.payload, &outs, sizeof(outs));
	mshv_x86_decode(emu_bytes, 2, MSHV_X86_MODE_64, &emu_insn);
}
#elif defined(__aarch64__)
static __u32 reg_names[64];
static unsigned int reg_count;
/* a data abort (LDR W1, [X0]) in a memory intercept */
static struct hv_message emu_mmio_msg;
static struct mshv_arm64_mmio_access emu_access;

static void emulator_messages(void)
{
	struct hv_arm64_memory_intercept_message mem;

	memset(&mem, 0, sizeof(mem));
	mem.syndrome = (0x24ull << 26) | (1ull << 25) | (1ull << 24) | (2ull << 22) | (1ull << 16);
	emu_mmio_msg.header.message_type = HVMSG_UNMAPPED_GPA;
	memcpy(emu_mmio_msg.u.payload, &mem, sizeof(mem));
}
#endif

static void system_cases(void)
{
	NULL_CASE(mshv_system_from_fd, sys, (NULL, 0));
	VALID(mshv_system_from_fd, (&sys_out, -1), -EBADF); /* the library's own -EBADF */
	NULL_CASE(mshv_system_open, sys, (NULL)); /* (its valid call would open the real /dev/mshv) */
	NULL_CASE(mshv_system_close, sys, (NULL));
	sys_out.fd = -1;
	VALID(mshv_system_close, (&sys_out), 0);
	NULL_CASE(mshv_system_hvcall, sys, (NULL, &hvcall_args));
	NULL_CASE(mshv_system_hvcall, args, (&sys, NULL));
	VALID(mshv_system_hvcall, (&sys, &hvcall_args), SYSCALL);
	NULL_CASE(mshv_system_get_host_partition_property, sys, (NULL, 0, &value, &st));
	NULL_CASE(mshv_system_get_host_partition_property, value, (&sys, 0, NULL, &st));
	VALID(mshv_system_get_host_partition_property, (&sys, 0, &value, &st), SYSCALL);
	NULL_CASE(mshv_system_get_host_partition_property_ex, sys, (NULL, 0, 0, &prop_ex, &st));
	NULL_CASE(mshv_system_get_host_partition_property_ex, out, (&sys, 0, 0, NULL, &st));
	VALID(mshv_system_get_host_partition_property_ex, (&sys, 0, 0, &prop_ex, &st), SYSCALL);
	NULL_CASE(mshv_system_get_vmm_caps, sys, (NULL, &caps, &st));
	NULL_CASE(mshv_system_get_vmm_caps, caps, (&sys, NULL, &st));
	VALID(mshv_system_get_vmm_caps, (&sys, &caps, &st), SYSCALL);
	NULL_CASE(mshv_system_default_synthetic_features, sys, (NULL, &value, &st));
	NULL_CASE(mshv_system_default_synthetic_features, mask, (&sys, NULL, &st));
	VALID(mshv_system_default_synthetic_features, (&sys, &value, &st), SYSCALL);
	NULL_CASE(mshv_system_default_partition_args, sys, (NULL, MSHV_VM_TYPE_NORMAL, &create_args, &st));
	NULL_CASE(mshv_system_default_partition_args, args, (&sys, MSHV_VM_TYPE_NORMAL, NULL, &st));
	VALID(mshv_system_default_partition_args, (&sys, MSHV_VM_TYPE_NORMAL, &create_args, &st), SYSCALL);
	memset(&create_args, 0, sizeof(create_args));
	NULL_CASE(mshv_system_create_vm_with_args, sys, (NULL, &create_args, &vm_out));
	NULL_CASE(mshv_system_create_vm_with_args, args, (&sys, NULL, &vm_out));
	NULL_CASE(mshv_system_create_vm_with_args, vm, (&sys, &create_args, NULL));
	VALID(mshv_system_create_vm_with_args, (&sys, &create_args, &vm_out), SYSCALL);
	NULL_CASE(mshv_system_create_vm_with_type, sys, (NULL, MSHV_VM_TYPE_NORMAL, &vm_out, &st));
	NULL_CASE(mshv_system_create_vm_with_type, vm, (&sys, MSHV_VM_TYPE_NORMAL, NULL, &st));
	VALID(mshv_system_create_vm_with_type, (&sys, MSHV_VM_TYPE_NORMAL, &vm_out, &st), SYSCALL);
	NULL_CASE(mshv_system_create_vm, sys, (NULL, &vm_out, &st));
	NULL_CASE(mshv_system_create_vm, vm, (&sys, NULL, &st));
	VALID(mshv_system_create_vm, (&sys, &vm_out, &st), SYSCALL);
	if (!listing)
		CHECK(vm_out.fd == -1);
#if defined(__x86_64__)
	msr_count = 256;
	NULL_CASE(mshv_system_get_msr_index_list, sys, (NULL, msr_indices, &msr_count));
	NULL_CASE(mshv_system_get_msr_index_list, indices, (&sys, NULL, &msr_count));
	NULL_CASE(mshv_system_get_msr_index_list, count, (&sys, msr_indices, NULL));
	VALID(mshv_system_get_msr_index_list, (&sys, msr_indices, &msr_count), 0); /* no system call */
#endif
}

static void vm_cases(void)
{
	NULL_CASE(mshv_vm_from_fd, vm, (NULL, 0));
	VALID(mshv_vm_from_fd, (&vm_out, -1), -EBADF);
	NULL_CASE(mshv_vm_close, vm, (NULL));
	VALID(mshv_vm_close, (&vm_out), 0);
	NULL_CASE(mshv_vm_initialize, vm, (NULL));
	VALID(mshv_vm_initialize, (&vm), SYSCALL);
	NULL_CASE(mshv_vm_hvcall, vm, (NULL, &hvcall_args));
	NULL_CASE(mshv_vm_hvcall, args, (&vm, NULL));
	VALID(mshv_vm_hvcall, (&vm, &hvcall_args), SYSCALL);
	NULL_CASE(mshv_vm_get_partition_property, vm, (NULL, 0, &value, &st));
	NULL_CASE(mshv_vm_get_partition_property, value, (&vm, 0, NULL, &st));
	VALID(mshv_vm_get_partition_property, (&vm, 0, &value, &st), SYSCALL);
	NULL_CASE(mshv_vm_get_partition_property_ex, vm, (NULL, 0, 0, &prop_ex, &st));
	NULL_CASE(mshv_vm_get_partition_property_ex, out, (&vm, 0, 0, NULL, &st));
	VALID(mshv_vm_get_partition_property_ex, (&vm, 0, 0, &prop_ex, &st), SYSCALL);
	NULL_CASE(mshv_vm_set_partition_property, vm, (NULL, 0, 0, &st));
	VALID(mshv_vm_set_partition_property, (&vm, 0, 0, &st), SYSCALL);
	NULL_CASE(mshv_vm_install_intercept, vm, (NULL, &intercept, &st));
	NULL_CASE(mshv_vm_install_intercept, args, (&vm, NULL, &st));
	VALID(mshv_vm_install_intercept, (&vm, &intercept, &st), SYSCALL);
	NULL_CASE(mshv_vm_register_deliverability_notifications, vm, (NULL, &deliverability, &st));
	NULL_CASE(mshv_vm_register_deliverability_notifications, args, (&vm, NULL, &st));
	VALID(mshv_vm_register_deliverability_notifications, (&vm, &deliverability, &st), SYSCALL);
	NULL_CASE(mshv_vm_set_guest_memory, vm, (NULL, &region));
	NULL_CASE(mshv_vm_set_guest_memory, region, (&vm, NULL));
	VALID(mshv_vm_set_guest_memory, (&vm, &region), SYSCALL);
	NULL_CASE(mshv_vm_map_user_memory, vm, (NULL, &region));
	NULL_CASE(mshv_vm_map_user_memory, region, (&vm, NULL));
	VALID(mshv_vm_map_user_memory, (&vm, &region), SYSCALL);
	NULL_CASE(mshv_vm_unmap_user_memory, vm, (NULL, &region));
	NULL_CASE(mshv_vm_unmap_user_memory, region, (&vm, NULL));
	VALID(mshv_vm_unmap_user_memory, (&vm, &region), SYSCALL);
	NULL_CASE(mshv_vm_irqfd, vm, (NULL, &irqfd));
	NULL_CASE(mshv_vm_irqfd, args, (&vm, NULL));
	VALID(mshv_vm_irqfd, (&vm, &irqfd), SYSCALL);
	NULL_CASE(mshv_vm_register_irqfd, vm, (NULL, 0, 0));
	VALID(mshv_vm_register_irqfd, (&vm, 0, 0), SYSCALL);
	NULL_CASE(mshv_vm_register_irqfd_with_resample, vm, (NULL, 0, 0, 0));
	VALID(mshv_vm_register_irqfd_with_resample, (&vm, 0, 0, 0), SYSCALL);
	NULL_CASE(mshv_vm_unregister_irqfd, vm, (NULL, 0, 0));
	VALID(mshv_vm_unregister_irqfd, (&vm, 0, 0), SYSCALL);
	NULL_CASE(mshv_vm_ioeventfd, vm, (NULL, &ioeventfd));
	NULL_CASE(mshv_vm_ioeventfd, args, (&vm, NULL));
	VALID(mshv_vm_ioeventfd, (&vm, &ioeventfd), SYSCALL);
	/* the PIO space is -EOPNOTSUPP: NULL is found first */
	NULL_CASE(mshv_vm_register_ioevent, vm, (NULL, 0, MSHV_IOEVENT_PIO, 0x1000, 0, 0));
	VALID(mshv_vm_register_ioevent, (&vm, 0, MSHV_IOEVENT_MMIO, 0x1000, 0, 0), SYSCALL);
	NULL_CASE(mshv_vm_unregister_ioevent, vm, (NULL, 0, MSHV_IOEVENT_PIO, 0x1000, 0, 0));
	VALID(mshv_vm_unregister_ioevent, (&vm, 0, MSHV_IOEVENT_MMIO, 0x1000, 0, 0), SYSCALL);
	NULL_CASE(mshv_vm_set_msi_routing, vm, (NULL, &irq_table));
	NULL_CASE(mshv_vm_set_msi_routing, table, (&vm, NULL));
	VALID(mshv_vm_set_msi_routing, (&vm, &irq_table), SYSCALL);
	NULL_CASE(mshv_vm_get_gpap_access_bitmap, vm, (NULL, 0, 64, 0, 0, bitmap, 1));
	NULL_CASE(mshv_vm_get_gpap_access_bitmap, bitmap, (&vm, 0, 64, 0, 0, NULL, 1));
	VALID(mshv_vm_get_gpap_access_bitmap, (&vm, 0, 64, 0, 0, bitmap, 1), SYSCALL);
	NULL_CASE(mshv_vm_get_dirty_log, vm, (NULL, 0, MSHV_HV_PAGE_SIZE, 0, bitmap, 1));
	NULL_CASE(mshv_vm_get_dirty_log, bitmap, (&vm, 0, MSHV_HV_PAGE_SIZE, 0, NULL, 1));
	VALID(mshv_vm_get_dirty_log, (&vm, 0, MSHV_HV_PAGE_SIZE, 0, bitmap, 1), SYSCALL);
	NULL_CASE(mshv_vm_enable_dirty_page_tracking, vm, (NULL, &st));
	VALID(mshv_vm_enable_dirty_page_tracking, (&vm, &st), SYSCALL);
	NULL_CASE(mshv_vm_disable_dirty_page_tracking, vm, (NULL, &st));
	VALID(mshv_vm_disable_dirty_page_tracking, (&vm, &st), SYSCALL);
	NULL_CASE(mshv_vm_modify_gpa_host_access, vm, (NULL, &host_access));
	NULL_CASE(mshv_vm_modify_gpa_host_access, args, (&vm, NULL));
	VALID(mshv_vm_modify_gpa_host_access, (&vm, &host_access), SYSCALL);
	NULL_CASE(mshv_vm_import_isolated_pages, vm, (NULL, &import_pages));
	NULL_CASE(mshv_vm_import_isolated_pages, args, (&vm, NULL));
	VALID(mshv_vm_import_isolated_pages, (&vm, &import_pages), SYSCALL);
	NULL_CASE(mshv_vm_complete_isolated_import, vm, (NULL, &import_done));
	NULL_CASE(mshv_vm_complete_isolated_import, args, (&vm, NULL));
	VALID(mshv_vm_complete_isolated_import, (&vm, &import_done), SYSCALL);
	NULL_CASE(mshv_vm_issue_psp_guest_request, vm, (NULL, &psp));
	NULL_CASE(mshv_vm_issue_psp_guest_request, args, (&vm, NULL));
	VALID(mshv_vm_issue_psp_guest_request, (&vm, &psp), SYSCALL);
	NULL_CASE(mshv_vm_sev_snp_ap_create, vm, (NULL, &ap_create));
	NULL_CASE(mshv_vm_sev_snp_ap_create, args, (&vm, NULL));
	VALID(mshv_vm_sev_snp_ap_create, (&vm, &ap_create), SYSCALL);
	NULL_CASE(mshv_device_from_fd, dev, (NULL, 0));
	VALID(mshv_device_from_fd, (&dev_out, -1), -EBADF);
	NULL_CASE(mshv_vm_create_device, vm, (NULL, &create_device, &dev_out));
	NULL_CASE(mshv_vm_create_device, args, (&vm, NULL, &dev_out));
	NULL_CASE(mshv_vm_create_device, dev, (&vm, &create_device, NULL));
	VALID(mshv_vm_create_device, (&vm, &create_device, &dev_out), SYSCALL);
	NULL_CASE(mshv_vm_create_vcpu, vm, (NULL, 0, &vcpu_out));
	NULL_CASE(mshv_vm_create_vcpu, vcpu, (&vm, 0, NULL));
	VALID(mshv_vm_create_vcpu, (&vm, 0, &vcpu_out), SYSCALL);
	if (!listing)
		CHECK(vcpu_out.fd == -1 && dev_out.fd == -1);
#if defined(__x86_64__)
	NULL_CASE(mshv_vm_request_virtual_interrupt, vm, (NULL, &interrupt, &st));
	NULL_CASE(mshv_vm_request_virtual_interrupt, req, (&vm, NULL, &st));
	VALID(mshv_vm_request_virtual_interrupt, (&vm, &interrupt, &st), SYSCALL);
	NULL_CASE(mshv_vm_signal_event_direct, vm, (NULL, &event, &st));
	NULL_CASE(mshv_vm_signal_event_direct, args, (&vm, NULL, &st));
	VALID(mshv_vm_signal_event_direct, (&vm, &event, &st), SYSCALL);
	NULL_CASE(mshv_vm_post_message_direct, vm, (NULL, &post, &st));
	NULL_CASE(mshv_vm_post_message_direct, args, (&vm, NULL, &st));
	VALID(mshv_vm_post_message_direct, (&vm, &post, &st), SYSCALL);
	msr_count = 256;
	NULL_CASE(mshv_vm_get_msr_index_list, vm, (NULL, msr_indices, &msr_count, &st));
	NULL_CASE(mshv_vm_get_msr_index_list, indices, (&vm, NULL, &msr_count, &st));
	NULL_CASE(mshv_vm_get_msr_index_list, count, (&vm, msr_indices, NULL, &st));
	VALID(mshv_vm_get_msr_index_list, (&vm, msr_indices, &msr_count, &st), SYSCALL);
#endif
}

static void vcpu_cases(void)
{
	NULL_CASE(mshv_vcpu_close, vcpu, (NULL));
	VALID(mshv_vcpu_close, (&vcpu_out), 0);
	NULL_CASE(mshv_vcpu_hvcall, vcpu, (NULL, &hvcall_args));
	NULL_CASE(mshv_vcpu_hvcall, args, (&vcpu, NULL));
	VALID(mshv_vcpu_hvcall, (&vcpu, &hvcall_args), SYSCALL);
	NULL_CASE(mshv_vcpu_run, vcpu, (NULL, &msg));
	NULL_CASE(mshv_vcpu_run, msg, (&vcpu, NULL));
	VALID(mshv_vcpu_run, (&vcpu, &msg), SYSCALL);
	NULL_CASE(mshv_vcpu_get_registers_legacy, vcpu, (NULL, regs, 1));
	NULL_CASE(mshv_vcpu_get_registers_legacy, regs, (&vcpu, NULL, 1));
	VALID(mshv_vcpu_get_registers_legacy, (&vcpu, regs, 1), SYSCALL);
	NULL_CASE(mshv_vcpu_set_registers_legacy, vcpu, (NULL, regs, 1));
	NULL_CASE(mshv_vcpu_set_registers_legacy, regs, (&vcpu, NULL, 1));
	VALID(mshv_vcpu_set_registers_legacy, (&vcpu, regs, 1), SYSCALL);
	NULL_CASE(mshv_vcpu_get_registers, vcpu, (NULL, regs, 1, &st));
	NULL_CASE(mshv_vcpu_get_registers, regs, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_get_registers, (&vcpu, regs, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_registers, vcpu, (NULL, regs, 1, &st));
	NULL_CASE(mshv_vcpu_set_registers, regs, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_set_registers, (&vcpu, regs, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_register, vcpu, (NULL, 0, &reg_value, &st));
	NULL_CASE(mshv_vcpu_get_register, value, (&vcpu, 0, NULL, &st));
	VALID(mshv_vcpu_get_register, (&vcpu, 0, &reg_value, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_register64, vcpu, (NULL, 0, 0, &st));
	VALID(mshv_vcpu_set_register64, (&vcpu, 0, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_registers64, vcpu, (NULL, pairs, 1, &st));
	NULL_CASE(mshv_vcpu_set_registers64, pairs, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_set_registers64, (&vcpu, pairs, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_translate_gva, vcpu, (NULL, 0, 0, &gpa, &gva_result, &st));
	NULL_CASE(mshv_vcpu_translate_gva, gpa, (&vcpu, 0, 0, NULL, &gva_result, &st));
	NULL_CASE(mshv_vcpu_translate_gva, result, (&vcpu, 0, 0, &gpa, NULL, &st));
	VALID(mshv_vcpu_translate_gva, (&vcpu, 0, 0, &gpa, &gva_result, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_gpa_read, vcpu, (NULL, &rw, NULL, &st));
	NULL_CASE(mshv_vcpu_gpa_read, rw, (&vcpu, NULL, NULL, &st));
	VALID(mshv_vcpu_gpa_read, (&vcpu, &rw, NULL, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_gpa_write, vcpu, (NULL, &rw, NULL, &st));
	NULL_CASE(mshv_vcpu_gpa_write, rw, (&vcpu, NULL, NULL, &st));
	VALID(mshv_vcpu_gpa_write, (&vcpu, &rw, NULL, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_vp_state, vcpu, (NULL, &vp_state));
	NULL_CASE(mshv_vcpu_get_vp_state, state, (&vcpu, NULL));
	VALID(mshv_vcpu_get_vp_state, (&vcpu, &vp_state), SYSCALL);
	NULL_CASE(mshv_vcpu_set_vp_state, vcpu, (NULL, &vp_state));
	NULL_CASE(mshv_vcpu_set_vp_state, state, (&vcpu, NULL));
	VALID(mshv_vcpu_set_vp_state, (&vcpu, &vp_state), SYSCALL);
	NULL_CASE(mshv_vcpu_get_regs, vcpu, (NULL, &std_regs, &st));
	NULL_CASE(mshv_vcpu_get_regs, r, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_regs, (&vcpu, &std_regs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_regs, vcpu, (NULL, &std_regs, &st));
	NULL_CASE(mshv_vcpu_set_regs, r, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_regs, (&vcpu, &std_regs, &st), SYSCALL);
#if defined(__x86_64__)
	NULL_CASE(mshv_vcpu_get_msrs, vcpu, (NULL, msrs, 1, &st));
	NULL_CASE(mshv_vcpu_get_msrs, msrs, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_get_msrs, (&vcpu, msrs, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_msrs, vcpu, (NULL, msrs, 1, &st));
	NULL_CASE(mshv_vcpu_set_msrs, msrs, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_set_msrs, (&vcpu, msrs, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_sregs, vcpu, (NULL, &sregs, &st));
	NULL_CASE(mshv_vcpu_get_sregs, s, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_sregs, (&vcpu, &sregs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_sregs, vcpu, (NULL, &sregs, &st));
	NULL_CASE(mshv_vcpu_set_sregs, s, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_sregs, (&vcpu, &sregs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_fpu, vcpu, (NULL, &fpu, &st));
	NULL_CASE(mshv_vcpu_get_fpu, f, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_fpu, (&vcpu, &fpu, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_fpu, vcpu, (NULL, &fpu, &st));
	NULL_CASE(mshv_vcpu_set_fpu, f, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_fpu, (&vcpu, &fpu, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_debug_regs, vcpu, (NULL, &dregs, &st));
	NULL_CASE(mshv_vcpu_get_debug_regs, d, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_debug_regs, (&vcpu, &dregs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_debug_regs, vcpu, (NULL, &dregs, &st));
	NULL_CASE(mshv_vcpu_set_debug_regs, d, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_debug_regs, (&vcpu, &dregs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_vcpu_events, vcpu, (NULL, &events, &st));
	NULL_CASE(mshv_vcpu_get_vcpu_events, e, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_vcpu_events, (&vcpu, &events, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_vcpu_events, vcpu, (NULL, &events, &st));
	NULL_CASE(mshv_vcpu_set_vcpu_events, e, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_vcpu_events, (&vcpu, &events, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_xcrs, vcpu, (NULL, &xcrs, &st));
	NULL_CASE(mshv_vcpu_get_xcrs, x, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_xcrs, (&vcpu, &xcrs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_xcrs, vcpu, (NULL, &xcrs, &st));
	NULL_CASE(mshv_vcpu_set_xcrs, x, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_xcrs, (&vcpu, &xcrs, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_misc_regs, vcpu, (NULL, &misc, &st));
	NULL_CASE(mshv_vcpu_get_misc_regs, m, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_misc_regs, (&vcpu, &misc, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_misc_regs, vcpu, (NULL, &misc, &st));
	NULL_CASE(mshv_vcpu_set_misc_regs, m, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_set_misc_regs, (&vcpu, &misc, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_suspend_regs, vcpu, (NULL, &suspend, &st));
	NULL_CASE(mshv_vcpu_get_suspend_regs, r, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_get_suspend_regs, (&vcpu, &suspend, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_sev_control_register, vcpu, (NULL, 0, &st));
	VALID(mshv_vcpu_set_sev_control_register, (&vcpu, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_get_lapic, vcpu, (NULL, &lapic));
	NULL_CASE(mshv_vcpu_get_lapic, l, (&vcpu, NULL));
	VALID(mshv_vcpu_get_lapic, (&vcpu, &lapic), SYSCALL);
	NULL_CASE(mshv_vcpu_set_lapic, vcpu, (NULL, &lapic));
	NULL_CASE(mshv_vcpu_set_lapic, l, (&vcpu, NULL));
	VALID(mshv_vcpu_set_lapic, (&vcpu, &lapic), SYSCALL);
	NULL_CASE(mshv_vcpu_get_xsave, vcpu, (NULL, &xsave));
	NULL_CASE(mshv_vcpu_get_xsave, x, (&vcpu, NULL));
	VALID(mshv_vcpu_get_xsave, (&vcpu, &xsave), SYSCALL);
	NULL_CASE(mshv_vcpu_set_xsave, vcpu, (NULL, &xsave));
	NULL_CASE(mshv_vcpu_set_xsave, x, (&vcpu, NULL));
	VALID(mshv_vcpu_set_xsave, (&vcpu, &xsave), SYSCALL);
	NULL_CASE(mshv_vcpu_get_all_vp_state_components, vcpu, (NULL, &all_state));
	NULL_CASE(mshv_vcpu_get_all_vp_state_components, a, (&vcpu, NULL));
	VALID(mshv_vcpu_get_all_vp_state_components, (&vcpu, &all_state), SYSCALL);
	NULL_CASE(mshv_vcpu_set_all_vp_state_components, vcpu, (NULL, &all_state));
	NULL_CASE(mshv_vcpu_set_all_vp_state_components, a, (&vcpu, NULL));
	VALID(mshv_vcpu_set_all_vp_state_components, (&vcpu, &all_state), SYSCALL);
	NULL_CASE(mshv_vcpu_get_cpuid_values, vcpu, (NULL, 0, 0, 0, 0, cpuid_out, &st));
	NULL_CASE(mshv_vcpu_get_cpuid_values, out, (&vcpu, 0, 0, 0, 0, NULL, &st));
	VALID(mshv_vcpu_get_cpuid_values, (&vcpu, 0, 0, 0, 0, cpuid_out, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid_entry, vcpu, (NULL, cpuid, 1, 0, &st));
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid_entry, e, (&vcpu, NULL, 1, 0, &st));
	VALID(mshv_vcpu_register_intercept_result_cpuid_entry, (&vcpu, cpuid, 1, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid_masked, vcpu, (NULL, cpuid, cpuid_mask, 1, 0, &st));
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid_masked, e, (&vcpu, NULL, cpuid_mask, 1, 0, &st));
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid_masked, mask, (&vcpu, cpuid, NULL, 1, 0, &st));
	VALID(mshv_vcpu_register_intercept_result_cpuid_masked, (&vcpu, cpuid, cpuid_mask, 1, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid, vcpu, (NULL, cpuid, 1, &st));
	NULL_CASE(mshv_vcpu_register_intercept_result_cpuid, e, (&vcpu, NULL, 1, &st));
	VALID(mshv_vcpu_register_intercept_result_cpuid, (&vcpu, cpuid, 1, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_rip, vcpu, (NULL, 0, &st));
	VALID(mshv_vcpu_set_rip, (&vcpu, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_advance_rip, vcpu, (NULL, &hdr, &st));
	NULL_CASE(mshv_vcpu_advance_rip, hdr, (&vcpu, NULL, &st));
	VALID(mshv_vcpu_advance_rip, (&vcpu, &hdr, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_set_gpr_and_rip, vcpu, (NULL, 0, 0, 0, &st));
	VALID(mshv_vcpu_set_gpr_and_rip, (&vcpu, 0, 0, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_complete_io, vcpu, (NULL, &io, 0, &st));
	NULL_CASE(mshv_vcpu_complete_io, io, (&vcpu, NULL, 0, &st));
	VALID(mshv_vcpu_complete_io, (&vcpu, &io, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_complete_msr, vcpu, (NULL, &msr_msg, 0, &st));
	NULL_CASE(mshv_vcpu_complete_msr, msr, (&vcpu, NULL, 0, &st));
	VALID(mshv_vcpu_complete_msr, (&vcpu, &msr_msg, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_complete_cpuid, vcpu, (NULL, &cpuid_msg, 0, 0, 0, 0, &st));
	NULL_CASE(mshv_vcpu_complete_cpuid, cpuid, (&vcpu, NULL, 0, 0, 0, 0, &st));
	VALID(mshv_vcpu_complete_cpuid, (&vcpu, &cpuid_msg, 0, 0, 0, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_inject_exception, vcpu, (NULL, 13, 1, 0, 0, &st));
	VALID(mshv_vcpu_inject_exception, (&vcpu, 13, 1, 0, 0, &st), SYSCALL);
	/* the emulator (ctx and decoded are optional): valid calls read the registers from the kernel */
	NULL_CASE(mshv_vcpu_emulate_mmio, vcpu, (NULL, &emu_mmio_msg, &emu_ops, NULL, &emu_insn, &st));
	NULL_CASE(mshv_vcpu_emulate_mmio, msg, (&vcpu, NULL, &emu_ops, NULL, &emu_insn, &st));
	NULL_CASE(mshv_vcpu_emulate_mmio, ops, (&vcpu, &emu_mmio_msg, NULL, NULL, &emu_insn, &st));
	VALID(mshv_vcpu_emulate_mmio, (&vcpu, &emu_mmio_msg, &emu_ops, NULL, NULL, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_emulate_string_io, vcpu, (NULL, &emu_io_msg, &emu_ops, NULL, &emu_insn, &st));
	NULL_CASE(mshv_vcpu_emulate_string_io, msg, (&vcpu, NULL, &emu_ops, NULL, &emu_insn, &st));
	NULL_CASE(mshv_vcpu_emulate_string_io, ops, (&vcpu, &emu_io_msg, NULL, NULL, &emu_insn, &st));
	VALID(mshv_vcpu_emulate_string_io, (&vcpu, &emu_io_msg, &emu_ops, NULL, NULL, &st), SYSCALL);
#elif defined(__aarch64__)
	reg_count = 64;
	NULL_CASE(mshv_vcpu_get_reg_list, vcpu, (NULL, reg_names, &reg_count));
	NULL_CASE(mshv_vcpu_get_reg_list, names, (&vcpu, NULL, &reg_count));
	NULL_CASE(mshv_vcpu_get_reg_list, count, (&vcpu, reg_names, NULL));
	VALID(mshv_vcpu_get_reg_list, (&vcpu, reg_names, &reg_count), 0); /* no system call */
	NULL_CASE(mshv_vcpu_complete_mmio, vcpu, (NULL, &emu_mmio_msg, 0, &st));
	NULL_CASE(mshv_vcpu_complete_mmio, msg, (&vcpu, NULL, 0, &st));
	VALID(mshv_vcpu_complete_mmio, (&vcpu, &emu_mmio_msg, 0, &st), SYSCALL);
	NULL_CASE(mshv_vcpu_mmio_store_value, vcpu, (NULL, &emu_mmio_msg, &value, &st));
	NULL_CASE(mshv_vcpu_mmio_store_value, msg, (&vcpu, NULL, &value, &st));
	NULL_CASE(mshv_vcpu_mmio_store_value, value, (&vcpu, &emu_mmio_msg, NULL, &st));
	VALID(mshv_vcpu_mmio_store_value, (&vcpu, &emu_mmio_msg, &value, &st), -EINVAL); /* a load: no store value */
#endif
}

static void device_cases(void)
{
	NULL_CASE(mshv_device_close, dev, (NULL));
	VALID(mshv_device_close, (&dev_out), 0);
	NULL_CASE(mshv_device_set_attr, dev, (NULL, &attr));
	NULL_CASE(mshv_device_set_attr, attr, (&dev, NULL));
	VALID(mshv_device_set_attr, (&dev, &attr), SYSCALL);
	NULL_CASE(mshv_device_has_attr, dev, (NULL, &attr));
	NULL_CASE(mshv_device_has_attr, attr, (&dev, NULL));
	VALID(mshv_device_has_attr, (&dev, &attr), SYSCALL);
	NULL_CASE(mshv_device_get_attr, dev, (NULL, &attr));
	NULL_CASE(mshv_device_get_attr, attr, (&dev, NULL));
	VALID(mshv_device_get_attr, (&dev, &attr), SYSCALL);
}

/* The bindings layer's pointer takers: no errno to give, so NULL and 0. */
static void message_cases(void)
{
	const __u8 *bytes = (const __u8 *)&msg;

#if defined(__x86_64__)
	NULL_VIEW(io_port);
	NULL_VIEW(memory);
	NULL_VIEW(gpa_attribute);
	NULL_VIEW(cpuid);
	NULL_VIEW(msr);
	NULL_VIEW(exception);
	NULL_VIEW(halt);
	NULL_VIEW(apic_eoi);
	NULL_VIEW(interruption_deliverable);
	NULL_VIEW(sint_deliverable);
	NULL_VIEW(sipi);
	NULL_VIEW(hypercall);
	NULL_VIEW(invalid_vp_register);
	NULL_VIEW(unrecoverable_exception);
	NULL_VIEW(unsupported_feature);
	NULL_VIEW(vmgexit);
	NULL_VIEW(opaque);
	/* a view still answers for a message of its type */
	if (!listing) {
		msg.header.message_type = HVMSG_X64_HALT;
		CHECK(mshv_msg_halt(&msg) != NULL && mshv_msg_io_port(&msg) == NULL);
		msg.header.message_type = 0;
	}
#elif defined(__aarch64__)
	NULL_VIEW(memory);
	NULL_VIEW(reset);
	NULL_VIEW(hypercall);
	NULL_VIEW(unrecoverable_exception);
#endif
	/* the x86 decoder and emulator (bindings layer); arm64's syndrome decoding */
#if defined(__x86_64__)
	NULL_CASE(mshv_x86_decode, bytes, (NULL, 2, MSHV_X86_MODE_64, &emu_insn));
	NULL_CASE(mshv_x86_decode, insn, (emu_bytes, 2, MSHV_X86_MODE_64, NULL));
	VALID(mshv_x86_decode, (emu_bytes, 2, MSHV_X86_MODE_64, &emu_insn), 2);
	NULL_CASE(mshv_x86_emulate, st, (NULL, &emu_insn, &emu_ops, NULL));
	NULL_CASE(mshv_x86_emulate, insn, (&emu_state, NULL, &emu_ops, NULL));
	NULL_CASE(mshv_x86_emulate, ops, (&emu_state, &emu_insn, NULL, NULL));
	VALID(mshv_x86_emulate, (&emu_state, &emu_insn, &emu_ops, NULL), -EOPNOTSUPP); /* no callbacks */
	NULL_CASE(mshv_x86_regs_from_gpr, regs, (NULL, gpr16));
	NULL_CASE(mshv_x86_regs_from_gpr, gpr, (&regs16, NULL));
	VALID(mshv_x86_regs_from_gpr, (&regs16, gpr16), 0);
	NULL_CASE(mshv_x86_regs_to_gpr, regs, (NULL, gpr16));
	NULL_CASE(mshv_x86_regs_to_gpr, gpr, (&regs16, NULL));
	VALID(mshv_x86_regs_to_gpr, (&regs16, gpr16), 0);
#elif defined(__aarch64__)
	NULL_CASE(mshv_arm64_decode_data_abort, a, (0x93810000ull, NULL));
	VALID(mshv_arm64_decode_data_abort, (0x93810000ull, &emu_access), 0);
#endif
	if (listing) {
		puts("mshv_msg_instruction_bytes msg");
		puts("mshv_msg_instruction_bytes bytes");
#if defined(__x86_64__)
		puts("mshv_vcpu_reg_page_valid vcpu");
		puts("mshv_x86_mode_of hdr");
		puts("mshv_x86_insn_address insn");
		puts("mshv_x86_insn_address gpr");
#elif defined(__aarch64__)
		puts("mshv_arm64_mmio_load_value a");
#endif
		return;
	}
	CHECK(mshv_msg_instruction_bytes(NULL, &bytes) == 0 && bytes == NULL);
	CHECK(mshv_msg_instruction_bytes(&msg, NULL) == 0);
#if defined(__x86_64__)
	CHECK(mshv_vcpu_reg_page_valid(NULL) == 0);
	CHECK(mshv_x86_mode_of(NULL) == 0);
	CHECK(mshv_x86_insn_address(NULL, emu_state.gpr, 0) == 0);
	CHECK(mshv_x86_insn_address(&emu_insn, NULL, 0) == 0);
#elif defined(__aarch64__)
	CHECK(mshv_arm64_mmio_load_value(NULL, 5) == 0);
#endif
}

int main(int argc, char **argv)
{
	listing = argc > 1 && !strcmp(argv[1], "--list");
	syscall_answer = ioctl(-1, MSHV_INITIALIZE_PARTITION, NULL) < 0 ? -errno : 0;
	if (!listing)
		CHECK(syscall_answer == -EBADF || syscall_answer == -ENOSYS);
	/* valid arguments: each would pass the library's checks */
	hvcall_args.code = HVCALL_GET_PARTITION_PROPERTY;
	hvcall_args.in_sz = sizeof(hvcall_in);
	hvcall_args.in_ptr = (__u64)(uintptr_t)hvcall_in;
	intercept.access_type_mask = HV_INTERCEPT_ACCESS_MASK_READ;
	region.size = MSHV_HV_PAGE_SIZE;
	region.userspace_addr = MSHV_HV_PAGE_SIZE;
	host_access.page_count = 1;
	import_pages.page_count = 1;
	rw.byte_count = 4;
	vp_state.buf_sz = MSHV_HV_PAGE_SIZE;
	regs[0].name = 0;
	pairs[0].name = 0;
#if defined(__x86_64__)
	msrs[0].index = 0x10; /* TSC */
	io.access_info.access_size = 1;
	io.header.intercept_access_type = HV_INTERCEPT_ACCESS_WRITE;
#endif
	emulator_messages();
	system_cases();
	vm_cases();
	vcpu_cases();
	device_cases();
	message_cases();
	if (listing)
		return 0;
	return CHECK_REPORT("null-args");
}

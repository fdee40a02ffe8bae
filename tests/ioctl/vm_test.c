/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The partition (VM) operations: every hardware test of mshv-ioctls
 * 0.7.0's vm.rs ported with its assertions (test_user_memory,
 * test_create_vcpu, test_assert_virtual_interrupt, test_install_intercept,
 * test_get_property, test_set_property, test_set_partition_property_invalid,
 * test_irqfd, test_ioeventfd, test_set_msi_routing, test_get_dirty_log_32M
 * and _8G, test_signal_event_direct, test_post_message_direct,
 * test_register_deliverabilty_notifications, test_get_msr_index_list),
 * plus each operation's bad input: refused on a handle whose fd is -1
 * with -EINVAL (no system call made), or by the kernel with its errno.
 */
#include "common.h"

static struct mshv_system sys;
static struct mshv_vm none = { -1 };

/* HVCALL_GET_PARTITION_PROPERTY through the passthrough (the Rust tests' hvcall_ variants). */
static __u64 hvcall_get_property(struct mshv_vm *vm, __u32 code)
{
	struct hv_input_get_partition_property in;
	__u64 out = 0;
	struct mshv_root_hvcall a;

	memset(&in, 0, sizeof(in));
	memset(&a, 0, sizeof(a));
	in.property_code = code;
	a.code = HVCALL_GET_PARTITION_PROPERTY;
	a.in_sz = sizeof(in);
	a.out_sz = sizeof(out);
	a.in_ptr = (uintptr_t)&in;
	a.out_ptr = (uintptr_t)&out;
	CHECK_RET(mshv_vm_hvcall(vm, &a), 0);
	CHECK(a.status == HV_STATUS_SUCCESS);
	return out;
}

static int hvcall_set_property(struct mshv_vm *vm, __u32 code, __u64 value, struct mshv_root_hvcall *a)
{
	struct hv_input_set_partition_property in;

	memset(&in, 0, sizeof(in));
	memset(a, 0, sizeof(*a));
	in.property_code = code;
	in.property_value = value;
	a->code = HVCALL_SET_PARTITION_PROPERTY;
	a->in_sz = sizeof(in);
	a->in_ptr = (uintptr_t)&in;
	return mshv_vm_hvcall(vm, a);
}

/* The kernel's answer to an unmap that names no region: -ENOENT from 6.19 (-EINVAL before). */
static int no_region_errno(void)
{
	const unsigned int k = expected_kernel();

	return k == MSHV_KERNEL_6_19 || k == MSHV_KERNEL_7_0 ? -ENOENT : -EINVAL;
}

static void test_user_memory(void)
{
	struct mshv_user_mem_region mem;
	struct mshv_vm vm;
	void *addr = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_SHARED | MAP_NORESERVE, -1, 0);

	create_initialized_vm(&sys, &vm);
	memset(&mem, 0, sizeof(mem));
	mem.flags = (1 << MSHV_SET_MEM_BIT_WRITABLE) | (1 << MSHV_SET_MEM_BIT_EXECUTABLE);
	mem.guest_pfn = 0x1;
	mem.size = 0x1000;
	mem.userspace_addr = (uintptr_t)addr;
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	/* the kernel's answers: the same range twice, an unmap that names no
	 * region (-ENOENT from 6.19, -EINVAL before) */
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), -EEXIST);
	mem.guest_pfn = 0x2;
	CHECK_RET(mshv_vm_unmap_user_memory(&vm, &mem), no_region_errno());
	/* the same user memory at another guest address: refused by 6.15-6.18 only */
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), expected_kernel() == MSHV_KERNEL_6_15 ? -EEXIST : 0);
	if (expected_kernel() != MSHV_KERNEL_6_15)
		CHECK_RET(mshv_vm_unmap_user_memory(&vm, &mem), 0);
	mem.guest_pfn = 0x1;
	CHECK_RET(mshv_vm_unmap_user_memory(&vm, &mem), 0);
	/* map_user_memory clears a stray UNMAP flag; set_guest_memory keeps it */
	mem.flags |= 1 << MSHV_SET_MEM_BIT_UNMAP;
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vm_set_guest_memory(&vm, &mem), 0); /* an unmap */
	CHECK_RET(mshv_vm_set_guest_memory(&vm, &mem), no_region_errno()); /* no such region any more */

	/* refused before the kernel */
	mem.flags = 1 << MSHV_SET_MEM_BIT_COUNT;
	CHECK_RET(mshv_vm_set_guest_memory(&none, &mem), -EINVAL);
	mem.flags = 3;
	mem.size = 0;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL);
	mem.size = 0x1800;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL);
	mem.size = 0x1000;
	mem.userspace_addr += 8;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL);
	mem.userspace_addr = ~0xfffull;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL); /* wraps */
	mem.userspace_addr = (uintptr_t)addr;
	mem.guest_pfn = ~0ull >> 12;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL); /* past the end of guest space */
	mem.guest_pfn = 1;
	mem.rsvd[6] = 1;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EINVAL);
	mem.rsvd[6] = 0;
	CHECK_RET(mshv_vm_map_user_memory(&none, &mem), -EBADF); /* valid: reaches the fd */
	CHECK_RET(mshv_vm_close(&vm), 0);
	munmap(addr, 0x2000);
}

static void test_create_vcpu(void)
{
	struct mshv_vcpu vcpu, again;
	struct mshv_vm vm;

	create_initialized_vm(&sys, &vm);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	CHECK(vcpu.fd >= 0 && vcpu.index == 0);
	CHECK(fcntl(vcpu.fd, F_GETFD) & FD_CLOEXEC);
	if (getenv("MSHV_SIM_LIB"))
		CHECK(vcpu.reg_page != NULL); /* mshv-sim always offers the register page */
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &again), -EEXIST);
	CHECK(again.fd == -1 && again.reg_page == NULL);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK(vcpu.fd == -1 && vcpu.reg_page == NULL);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

static void test_assert_virtual_interrupt(void)
{
#if defined(__x86_64__)
	struct mshv_get_set_vp_state state;
	struct mshv_assert_interrupt req;
	struct mshv_vcpu vcpu;
	struct mshv_vm vm;
	__u16 status = 0xffff;
	void *lapic = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u32 apic_id;

	create_initialized_vm(&sys, &vm);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	memset(&state, 0, sizeof(state));
	state.type = MSHV_VP_STATE_LAPIC;
	state.buf_sz = 4096;
	state.buf_ptr = (uintptr_t)lapic;
	CHECK_RET(mshv_vcpu_get_vp_state(&vcpu, &state), 0);
	memcpy(&apic_id, lapic, sizeof(apic_id));

	memset(&req, 0, sizeof(req));
	req.control.interrupt_type = HV_X64_INTERRUPT_TYPE_EXTINT;
	req.dest_addr = apic_id;
	req.vector = 0;
	CHECK_RET(mshv_vm_request_virtual_interrupt(&vm, &req, &status), 0);
	CHECK(status == HV_STATUS_SUCCESS);
	CHECK_RET(mshv_vm_request_virtual_interrupt(&vm, &req, &status), 0);

	/* refused before the kernel: reserved control bits, reserved field */
	req.control.rsvd = 1u << 28; /* mshv-ioctls' long_mode bit */
	CHECK_RET(mshv_vm_request_virtual_interrupt(&none, &req, &status), -EINVAL);
	CHECK(status == HV_STATUS_SUCCESS);
	req.control.rsvd = 0;
	req.rsvd = 1;
	CHECK_RET(mshv_vm_request_virtual_interrupt(&none, &req, NULL), -EINVAL);
	/* the kernel's answer for a bad state buffer */
	state.buf_ptr += 8;
	CHECK_RET(mshv_vcpu_get_vp_state(&vcpu, &state), -EINVAL);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
	munmap(lapic, 4096);
#endif
}

static void test_install_intercept(void)
{
#if defined(__x86_64__)
	struct mshv_install_intercept ic;
	struct mshv_vm vm;
	__u16 status = 0xffff;

	create_initialized_vm(&sys, &vm);
	memset(&ic, 0, sizeof(ic));
	ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
	ic.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	ic.intercept_parameter.cpuid_index = 0x100;
	CHECK_RET(mshv_vm_install_intercept(&vm, &ic, &status), 0);
	CHECK(status == HV_STATUS_SUCCESS);
	ic.intercept_parameter.as_uint64 = 0;
	ic.intercept_parameter.cpuid_index = 0x101;
	CHECK_RET(mshv_vm_install_intercept(&vm, &ic, &status), 0);
	/* the hypervisor's answer to an intercept type it does not know */
	ic.intercept_type = (enum hv_intercept_type)0x7777;
	CHECK_RET(mshv_vm_install_intercept(&vm, &ic, &status), -EINVAL);
	CHECK(status == HV_STATUS_INVALID_PARAMETER);
	/* refused before the kernel: an access mask bit that does not exist */
	ic.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	ic.access_type_mask = 8;
	CHECK_RET(mshv_vm_install_intercept(&none, &ic, &status), -EINVAL);
	CHECK(status == HV_STATUS_SUCCESS);
	CHECK_RET(mshv_vm_close(&vm), 0);
#endif
}

static void test_properties(void)
{
	static const __u32 codes[] = { HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE,
				       HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES,
				       HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY };
	const __u32 msr_action = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	union hv_partition_property_ex ex;
	struct mshv_root_hvcall a;
	struct mshv_vm vm;
	__u64 v = 0;
	__u16 status = 0xffff;
	unsigned int i;

	create_initialized_vm(&sys, &vm);
#if defined(__x86_64__)
	/* test_get_property */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		CHECK_RET(mshv_vm_get_partition_property(&vm, codes[i], &v, &status), 0);
		CHECK(status == HV_STATUS_SUCCESS);
		CHECK(v == hvcall_get_property(&vm, codes[i]));
	}
	CHECK_RET(mshv_vm_set_partition_property(&vm, msr_action, HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO,
						 NULL),
		  0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, msr_action, &v, NULL), 0);
	CHECK(v == HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO);
	CHECK(hvcall_get_property(&vm, msr_action) == v);

	/* test_set_property */
	CHECK_RET(mshv_vm_set_partition_property(&vm, msr_action, 1, NULL), 0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, msr_action, &v, NULL), 0);
	CHECK(v == 1);
	CHECK_RET(mshv_vm_set_partition_property(&vm, msr_action, HV_UNIMPLEMENTED_MSR_ACTION_FAULT, NULL), 0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, msr_action, &v, NULL), 0);
	CHECK(v == 0);
	CHECK_RET(hvcall_set_property(&vm, msr_action, 1, &a), 0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, msr_action, &v, NULL), 0);
	CHECK(v == 1);
	CHECK_RET(hvcall_set_property(&vm, msr_action, 0, &a), 0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, msr_action, &v, NULL), 0);
	CHECK(v == 0);
#else
	(void)codes;
	(void)msr_action;
	(void)i;
	(void)hvcall_get_property;
#endif

	/* test_set_partition_property_invalid */
	CHECK_RET(mshv_vm_set_partition_property(&vm, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, 0, &status),
		  hv_errno(HV_STATUS_INVALID_PARTITION_STATE));
	CHECK(status == HV_STATUS_INVALID_PARTITION_STATE);
	CHECK_RET(hvcall_set_property(&vm, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, 0, &a),
		  hv_errno(HV_STATUS_INVALID_PARTITION_STATE));
	CHECK(a.code == HVCALL_SET_PARTITION_PROPERTY && a.status == HV_STATUS_INVALID_PARTITION_STATE);

	/* the _EX form on the partition: not passed through before 6.19 */
	status = 0xffff;
	CHECK_RET(mshv_vm_get_partition_property_ex(&vm, HV_PARTITION_PROPERTY_VMM_CAPABILITIES, 0, &ex, &status),
		  expected_kernel() == MSHV_KERNEL_6_15 ? -EINVAL : 0);
	CHECK(status == HV_STATUS_SUCCESS);
	CHECK_RET(mshv_vm_get_partition_property(&vm, 0x7fffffff, &v, &status), hv_errno(HV_STATUS_UNKNOWN_PROPERTY));
	CHECK(status == HV_STATUS_UNKNOWN_PROPERTY);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

static void test_irqfd(void)
{
	struct mshv_user_irqfd raw;
	struct mshv_vm vm;
	int efd = eventfd(0, EFD_NONBLOCK), rfd = eventfd(0, EFD_NONBLOCK);

	__extension__ struct {
		struct mshv_user_irq_table head;
		struct mshv_user_irq_entry entry;
	} level = { { 1, 0 }, { 31, 0xfee00000, 0, 0x8031 } }; /* GSI 31: level-triggered vector 0x31 */

	create_initialized_vm(&sys, &vm);
	CHECK_RET(mshv_vm_register_irqfd(&vm, efd, 30), 0);
	CHECK_RET(mshv_vm_unregister_irqfd(&vm, efd, 30), 0);
	/* resampling needs a level-triggered route */
	CHECK_RET(mshv_vm_register_irqfd_with_resample(&vm, efd, rfd, 31), -EINVAL);
	CHECK_RET(mshv_vm_set_msi_routing(&vm, &level.head), 0);
	CHECK_RET(mshv_vm_register_irqfd_with_resample(&vm, efd, rfd, 31), 0);
	/* deassigning ignores resamplefd */
	memset(&raw, 0, sizeof(raw));
	raw.fd = efd;
	raw.resamplefd = -1;
	raw.gsi = 31;
	raw.flags = (1u << MSHV_IRQFD_BIT_DEASSIGN) | (1u << MSHV_IRQFD_BIT_RESAMPLE);
	CHECK_RET(mshv_vm_irqfd(&vm, &raw), 0);
	/* not an eventfd: the kernel's answer */
	CHECK_RET(mshv_vm_register_irqfd(&vm, sys.fd, 30), -EINVAL);
	/* refused before the kernel */
	CHECK_RET(mshv_vm_register_irqfd(&none, -1, 30), -EBADF);
	CHECK_RET(mshv_vm_register_irqfd_with_resample(&none, efd, -1, 30), -EBADF);
	memset(&raw, 0, sizeof(raw));
	raw.fd = efd;
	raw.flags = 1u << MSHV_IRQFD_BIT_COUNT;
	CHECK_RET(mshv_vm_irqfd(&none, &raw), -EINVAL);
	raw.flags = 0;
	CHECK_RET(mshv_vm_irqfd(&none, &raw), -EBADF); /* valid: reaches the fd */
	CHECK_RET(mshv_vm_close(&vm), 0);
	close(efd);
	close(rfd);
}

static void test_ioeventfd(void)
{
	struct mshv_user_ioeventfd raw;
	struct mshv_vm vm;
	int efd = eventfd(0, 0);
	const __u64 addr = 0xe7e85004;

	create_initialized_vm(&sys, &vm);
	CHECK_RET(mshv_vm_register_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 0, 0), 0);
	CHECK_RET(mshv_vm_unregister_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 0, 0), 0);
	/* with a datamatch (mshv-ioctls: a u32 datamatch) */
	CHECK_RET(mshv_vm_register_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 4, 0x1234), 0);
	CHECK_RET(mshv_vm_register_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 4, 0x1234), -EEXIST);
	CHECK_RET(mshv_vm_unregister_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 4, 0x1234), 0);
	CHECK_RET(mshv_vm_unregister_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, addr, 4, 0x1234), -ENOENT);
	/* refused before the kernel */
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_PIO, 0x3f8, 0, 0), -EOPNOTSUPP);
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, 7, addr, 0, 0), -EINVAL);
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_MMIO, addr, 3, 0), -EINVAL);
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_MMIO, addr, 0, 5), -EINVAL);
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_MMIO, addr, 1, 0x1234), -EINVAL); /* never matches */
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_MMIO, addr, 2, 0x1234), -EBADF);
	CHECK_RET(mshv_vm_register_ioevent(&none, efd, MSHV_IOEVENT_MMIO, ~0ull - 2, 8, 0), -EINVAL);
	CHECK_RET(mshv_vm_register_ioevent(&none, -1, MSHV_IOEVENT_MMIO, addr, 0, 0), -EBADF);
	memset(&raw, 0, sizeof(raw));
	raw.addr = addr;
	raw.fd = efd;
	raw.rsvd[3] = 1;
	CHECK_RET(mshv_vm_ioeventfd(&none, &raw), -EINVAL);
	raw.rsvd[3] = 0;
	raw.flags = 1u << MSHV_IOEVENTFD_BIT_DATAMATCH; /* length 0 with a datamatch: the driver allows it */
	CHECK_RET(mshv_vm_ioeventfd(&none, &raw), -EBADF);
	raw.flags = 1u << MSHV_IOEVENTFD_BIT_COUNT;
	CHECK_RET(mshv_vm_ioeventfd(&none, &raw), -EINVAL);
	raw.flags = 0;
	CHECK_RET(mshv_vm_ioeventfd(&none, &raw), -EBADF); /* valid: reaches the fd */
	CHECK_RET(mshv_vm_close(&vm), 0);
	close(efd);
}

static void test_set_msi_routing(void)
{
	__extension__ struct {
		struct mshv_user_irq_table head;
		struct mshv_user_irq_entry entries[2];
	} table;
	struct mshv_vm vm;

	create_initialized_vm(&sys, &vm);
	memset(&table, 0, sizeof(table));
	CHECK_RET(mshv_vm_set_msi_routing(&vm, &table.head), 0);
	table.head.nr = 2;
	table.entries[0].gsi = 30;
	table.entries[0].address_lo = 0xfee00000;
	table.entries[0].data = 0x30;
	table.entries[1].gsi = 31;
	table.entries[1].address_lo = 0xfee00000;
	table.entries[1].data = 0x31;
	CHECK_RET(mshv_vm_set_msi_routing(&vm, &table.head), 0);
	table.entries[1].gsi = 30; /* the kernel refuses a GSI routed twice */
	CHECK_RET(mshv_vm_set_msi_routing(&vm, &table.head), -EINVAL);
	table.head.rsvd = 1;
	CHECK_RET(mshv_vm_set_msi_routing(&none, &table.head), -EINVAL);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

/* _test_clear_set_get_dirty_log(mem_size) of vm.rs, on a caller bitmap. */
static void test_dirty_log(__u64 mem_size)
{
	size_t words = (size_t)(((mem_size + 4095) >> 12) / 64), i;
	__u64 *clear = calloc(words + 1, 8), *s0 = calloc(words + 1, 8), *s1 = calloc(words + 1, 8);
	struct mshv_user_mem_region mem;
	struct mshv_vm vm;
	void *load = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_SHARED | MAP_NORESERVE, -1, 0);
	int same = 1, zero = 1;

	CHECK(load != MAP_FAILED && clear && s0 && s1);
	create_initialized_vm(&sys, &vm);
	memset(&mem, 0, sizeof(mem));
	mem.flags = 3;
	mem.size = mem_size;
	mem.userspace_addr = (uintptr_t)load;
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	CHECK(mshv_vm_get_dirty_log(&vm, 0, mem_size, MSHV_GPAP_ACCESS_OP_NOOP, s0, words) < 0); /* off */
	CHECK_RET(mshv_vm_enable_dirty_page_tracking(&vm, NULL), 0);
	CHECK(words == (mem_size == 32ull << 20 ? 128 : 32768));
	s0[words] = s1[words] = clear[words] = 0x5a5a5a5a5a5a5a5aull; /* guards */
	CHECK_RET(mshv_vm_get_dirty_log(&vm, 0, mem_size, MSHV_GPAP_ACCESS_OP_CLEAR, s0, words), 0);
	CHECK_RET(mshv_vm_get_dirty_log(&vm, 0, mem_size, MSHV_GPAP_ACCESS_OP_SET, clear, words), 0);
	for (i = 0; i < words; i++)
		zero &= clear[i] == 0;
	CHECK(zero);
	CHECK_RET(mshv_vm_get_dirty_log(&vm, 0, mem_size, MSHV_GPAP_ACCESS_OP_NOOP, s0, words), 0);
	CHECK_RET(mshv_vm_get_dirty_log(&vm, 0, mem_size, MSHV_GPAP_ACCESS_OP_NOOP, s1, words), 0);
	for (i = 0; i < words; i++)
		same &= s0[i] == s1[i];
	CHECK(same);
	CHECK(s0[words] == 0x5a5a5a5a5a5a5a5aull && s1[words] == s0[words] && clear[words] == s0[words]);
	/* too small a bitmap, unknown op: refused before the kernel */
	CHECK_RET(mshv_vm_get_dirty_log(&none, 0, mem_size, MSHV_GPAP_ACCESS_OP_NOOP, s0, words - 1), -EINVAL);
	CHECK_RET(mshv_vm_get_dirty_log(&none, 0, mem_size, MSHV_GPAP_ACCESS_OP_COUNT, s0, words), -EINVAL);
	CHECK_RET(mshv_vm_get_dirty_log(&none, ~0ull, mem_size, MSHV_GPAP_ACCESS_OP_NOOP, s0, words), -EINVAL);
	CHECK_RET(mshv_vm_get_dirty_log(&none, 0, 4095, MSHV_GPAP_ACCESS_OP_NOOP, s0, 0), 0); /* no page */
	CHECK_RET(mshv_vm_get_dirty_log(&none, 0, 4095, MSHV_GPAP_ACCESS_OP_NOOP, NULL, 0), -EINVAL); /* NULL rule */
	CHECK_RET(mshv_vm_disable_dirty_page_tracking(&vm, NULL), 0);
	CHECK_RET(mshv_vm_unmap_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
	munmap(load, mem_size);
	free(clear);
	free(s0);
	free(s1);
}

static void test_gpap_access_bitmap(void)
{
	__u64 bitmap[2] = { ~0ull, ~0ull };

	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 0, MSHV_GPAP_ACCESS_TYPE_DIRTY, 0, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 8, MSHV_GPAP_ACCESS_TYPE_COUNT, 0, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 8, 0, MSHV_GPAP_ACCESS_OP_COUNT, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, ~0ull, 8, 0, 0, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 8, 0, 0, NULL, 2), -EINVAL);
	/* the caller's words are counted before anything is written: 2^40 pages, 2 words */
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 1ull << 40, 0, 0, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 129, 0, 0, bitmap, 2), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 70, 0, 0, bitmap, 1), -EINVAL);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, ~0ull, 0, 0, bitmap, 2), -EINVAL);
	CHECK(bitmap[0] == ~0ull && bitmap[1] == ~0ull);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 128, 0, 0, bitmap, 2), -EBADF);
	CHECK_RET(mshv_vm_get_gpap_access_bitmap(&none, 0, 70, 0, 0, bitmap, 2), -EBADF);
	CHECK(bitmap[0] == ~0ull && bitmap[1] == 0); /* the tail word is zeroed first */
}

static void test_synic(void)
{
#if defined(__x86_64__)
	struct mshv_signal_event_direct sig;
	struct mshv_post_message_direct post;
	struct mshv_register_deliverabilty_notifications dn;
	struct mshv_vcpu vcpu;
	struct mshv_vm vm;
	__u8 msg[HV_MESSAGE_SIZE + 1];
	__u16 status = 0xffff;

	create_initialized_vm(&sys, &vm);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	/* test_signal_event_direct */
	memset(&sig, 0, sizeof(sig));
	sig.vp = 0;
	sig.sint = 0;
	sig.flag = 1;
	CHECK_RET(mshv_vm_signal_event_direct(&vm, &sig, &status), 0);
	CHECK(status == HV_STATUS_SUCCESS);
	sig.vp = 5; /* no such VP: the hypervisor's answer */
	CHECK_RET(mshv_vm_signal_event_direct(&vm, &sig, &status), -EINVAL);
	CHECK(status == HV_STATUS_INVALID_VP_INDEX);

	/* test_post_message_direct: a whole hv_message */
	memset(msg, 0, sizeof(msg));
	memset(&post, 0, sizeof(post));
	post.length = sizeof(struct hv_message);
	post.message = msg;
	msg[0] = 1; /* a message type: HVMSG_NONE marks a free slot */
	/* the VP's SynIC is off: HV_STATUS_INVALID_SYNIC_STATE (0x18, the TLFS's; tests/sim/synic_test.c
	 * posts to a SynIC the guest enabled); the errno is the kernel's for a status it does not name
	 * (-EIO upstream, -ENOTRECOVERABLE on 6.6-era kernels) */
	CHECK(mshv_vm_post_message_direct(&vm, &post, &status) < 0);
	CHECK(status == 0x18);
	post.length = HV_MESSAGE_SIZE + 1;
	CHECK_RET(mshv_vm_post_message_direct(&none, &post, &status), -EINVAL);
	post.length = 8;
	post.message = NULL;
	CHECK_RET(mshv_vm_post_message_direct(&none, &post, &status), -EINVAL);

	/* test_register_deliverabilty_notifications */
	memset(&dn, 0, sizeof(dn));
	CHECK_RET(mshv_vm_register_deliverability_notifications(&vm, &dn, &status), 0);
	CHECK_RET(mshv_vm_register_deliverability_notifications(&vm, &dn, &status), 0);
	/* mshv-ioctls reports EIO for every failed hypercall; the kernel answers
	 * hv_result_to_errno(HV_STATUS_INVALID_PARAMETER) = EINVAL */
	dn.flag = 1;
	CHECK_RET(mshv_vm_register_deliverability_notifications(&vm, &dn, &status), -EINVAL);
	CHECK(status == HV_STATUS_INVALID_PARAMETER);
	dn.flag = 0;
	dn.pad = 1;
	CHECK_RET(mshv_vm_register_deliverability_notifications(&none, &dn, &status), -EINVAL);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
#endif
}

static void test_get_msr_index_list(void)
{
#if defined(__x86_64__)
	__u32 list[128];
	unsigned int n = 128, i, small = 1;
	struct mshv_vm vm;
	__u64 synthetic = 0;
	int found = 0, synic = 0;

	n = 128;
	CHECK_RET(mshv_system_get_msr_index_list(&sys, list, &n), 0);
	for (i = 0; i < n; i++)
		found |= list[i] == 0x174;
	CHECK(found);
	create_initialized_vm(&sys, &vm);
	n = 128;
	found = 0;
	CHECK_RET(mshv_vm_get_msr_index_list(&vm, list, &n, NULL), 0);
	for (i = 0; i < n; i++) {
		found |= list[i] == 0x174;
		synic |= list[i] == 0x40000083; /* SIMP */
	}
	CHECK(found && n >= 42 && n <= 73);
	CHECK_RET(mshv_vm_get_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, &synthetic, NULL),
		  0);
	CHECK(synic == !!(synthetic & (1ull << 4)));
	CHECK_RET(mshv_vm_get_msr_index_list(&vm, list, &small, NULL), -E2BIG);
	CHECK(small == n);
	/* every listed MSR reads and writes back through the VP (get_msrs, set_msrs) */
	{
		struct mshv_vcpu vcpu;
		struct mshv_msr_entry e;
		int errors = 0;

		CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
		for (i = 0; i < n; i++) {
			__u16 st = 0;

			e.index = list[i];
			e.reserved = 0;
			e.data = 0;
			if (mshv_vcpu_get_msrs(&vcpu, &e, 1, &st) != 1) {
				fprintf(stderr, "get_msrs 0x%x: status 0x%x\n", list[i], st);
				errors++;
			}
			if (mshv_vcpu_set_msrs(&vcpu, &e, 1, &st) != 1) {
				fprintf(stderr, "set_msrs 0x%x = 0x%llx: status 0x%x\n", list[i], (unsigned long long)e.data, st);
				errors++;
			}
		}
		CHECK(errors == 0);
		/* an MSR with no hypervisor register: refused before any call */
		e.index = 0x12345678;
		CHECK_RET(mshv_vcpu_get_msrs(&vcpu, &e, 1, NULL), -EINVAL);
		CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	}
	CHECK_RET(mshv_vm_close(&vm), 0);
#endif
}

static void test_hvcall_and_legacy_only(void)
{
	struct mshv_root_hvcall a;
	struct mshv_vm vm;
	__extension__ struct {
		struct mshv_modify_gpa_host_access head;
		__u64 pfn;
	} access;
	__extension__ struct {
		struct mshv_import_isolated_pages head;
		__u64 pfn;
	} import;
	struct mshv_issue_psp_guest_request psp = { 0, 0 };
	struct mshv_sev_snp_ap_create ap = { 0, 0 };
	int ret;

	create_initialized_vm(&sys, &vm);
	/* the passthrough reports the hypervisor's status in the struct */
	CHECK_RET(hvcall_set_property(&vm, 0x7fffffff, 0, &a), hv_errno(HV_STATUS_UNKNOWN_PROPERTY));
	CHECK(a.status == HV_STATUS_UNKNOWN_PROPERTY);
	memset(&a, 0, sizeof(a));
	a.code = 0x7777; /* not on the kernel's list */
	a.in_sz = 8;
	a.in_ptr = (uintptr_t)&psp;
	CHECK_RET(mshv_vm_hvcall(&vm, &a), -EINVAL);
	CHECK(a.status == HV_STATUS_SUCCESS);

	/* the 6.6-era-only ioctls: -ENOTTY upstream */
	memset(&access, 0, sizeof(access));
	memset(&import, 0, sizeof(import));
	access.head.page_count = 1;
	import.head.page_count = 1;
	ret = mshv_vm_modify_gpa_host_access(&vm, &access.head);
	if (expected_abi() == MSHV_ABI_UPSTREAM)
		CHECK_RET(ret, -ENOTTY);
	else if (expected_abi() == MSHV_ABI_LEGACY)
		CHECK(ret != -ENOTTY);
	ret = mshv_vm_issue_psp_guest_request(&vm, &psp);
	if (expected_abi() == MSHV_ABI_UPSTREAM)
		CHECK_RET(ret, -ENOTTY);
	else if (expected_abi() == MSHV_ABI_LEGACY)
		CHECK_RET(ret, -EOPNOTSUPP); /* not an SNP partition */
	ret = mshv_vm_sev_snp_ap_create(&vm, &ap);
	if (expected_abi() == MSHV_ABI_UPSTREAM)
		CHECK_RET(ret, -ENOTTY);
	ret = mshv_vm_import_isolated_pages(&vm, &import.head);
	if (expected_abi() == MSHV_ABI_UPSTREAM)
		CHECK_RET(ret, -ENOTTY);
	/* refused before the kernel */
	access.head.flags = 1u << MSHV_GPA_HOST_ACCESS_BIT_COUNT;
	CHECK_RET(mshv_vm_modify_gpa_host_access(&none, &access.head), -EINVAL);
	access.head.flags = 0;
	access.head.rsvd[0] = 1;
	CHECK_RET(mshv_vm_modify_gpa_host_access(&none, &access.head), -EINVAL);
	access.head.rsvd[0] = 0;
	access.head.page_count = 0;
	CHECK_RET(mshv_vm_modify_gpa_host_access(&none, &access.head), -EINVAL);
	import.head.page_type = MSHV_ISOLATED_PAGE_COUNT;
	CHECK_RET(mshv_vm_import_isolated_pages(&none, &import.head), -EINVAL);
	import.head.page_type = 0;
	import.head.rsvd[3] = 1;
	CHECK_RET(mshv_vm_import_isolated_pages(&none, &import.head), -EINVAL);
	CHECK_RET(mshv_vm_initialize(&none), -EBADF);
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK_RET(mshv_vm_from_fd(&vm, -1), -EBADF);
}

int main(void)
{
	open_or_skip(&sys);
	test_user_memory();
	test_create_vcpu();
	test_assert_virtual_interrupt();
	test_install_intercept();
	test_properties();
	test_irqfd();
	test_ioeventfd();
	test_set_msi_routing();
	test_dirty_log(32ull << 20);
	test_dirty_log(8ull << 30);
	test_gpap_access_bitmap();
	test_synic();
	test_get_msr_index_list();
	test_hvcall_and_legacy_only();
	mshv_system_close(&sys);
	return CHECK_REPORT("vm");
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The system (/dev/mshv) operations: mshv-ioctls 0.7.0's system.rs tests
 * ported (test_create_vm, test_get_host_ipa_limit,
 * test_create_vm_with_default_config, test_vmm_caps), what the defaults
 * really contain, the kernel generation learned on the way, the MSR list,
 * and every operation's bad input (on a closed handle, so that -EINVAL
 * proves no system call was made).
 */
#include "common.h"

/* HVCALL_GET_PARTITION_PROPERTY(_EX) on /dev/mshv without the library. */
static __u64 raw_host_property(int fd, __u32 code, size_t offset)
{
	struct hv_input_get_partition_property_ex in;
	union hv_partition_property_ex out;
	struct mshv_root_hvcall a;
	__u64 v = 0;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	memset(&a, 0, sizeof(a));
	in.property_code = code;
	a.code = offset ? HVCALL_GET_PARTITION_PROPERTY_EX : HVCALL_GET_PARTITION_PROPERTY;
	a.in_sz = offset ? sizeof(in) : sizeof(struct hv_input_get_partition_property);
	a.out_sz = offset ? sizeof(out) : sizeof(__u64);
	a.in_ptr = (uintptr_t)&in;
	a.out_ptr = (uintptr_t)&out;
	CHECK(ioctl(fd, MSHV_ROOT_HVCALL, &a) == 0 && a.status == HV_STATUS_SUCCESS);
	memcpy(&v, out.buffer + offset, sizeof(v));
	return v;
}

static void test_create_vm(struct mshv_system *sys)
{
	struct mshv_vm vm;
	__u64 mask = 0, value = 0;
	__u16 status = 0xffff;

	/* test_create_vm */
	CHECK_RET(mshv_system_create_vm(sys, &vm, &status), 0);
	CHECK(vm.fd >= 0);
	CHECK(status == HV_STATUS_SUCCESS);
	/* an upstream kernel before 6.19 (the simulator's upstream) refuses the
	 * CPU feature banks: the library fell back and noted it */
	if (expected_abi() != MSHV_ABI_AUTO)
		CHECK(!!(sys->quirks & MSHV_QUIRK_NO_CPU_FEATURE_BANKS) == (expected_abi() == MSHV_ABI_UPSTREAM));
	/* the synthetic features were set: the defaults the host can assign */
	CHECK_RET(mshv_system_default_synthetic_features(sys, &mask, NULL), 0);
	CHECK(mask == (MSHV_DEFAULT_SYNTHETIC_FEATURES &
		       raw_host_property(sys->fd, HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES, 8)));
	CHECK(mask != 0);
	CHECK_RET(mshv_vm_get_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, &value, NULL),
		  0);
	CHECK(value == mask);
	/* ... and the partition is not initialized: early properties still go in */
	CHECK_RET(mshv_vm_set_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, mask, NULL), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	CHECK_RET(mshv_vm_set_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, mask, &status),
		  hv_errno(HV_STATUS_INVALID_PARTITION_STATE));
	CHECK(status == HV_STATUS_INVALID_PARTITION_STATE);
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK(vm.fd == -1);

	/* A second system handle learns it again, from scratch. */
	{
		struct mshv_system again;
		struct mshv_vm vm2;

		open_or_skip(&again);
		CHECK(again.quirks == 0);
		CHECK_RET(mshv_system_create_vm_with_type(&again, MSHV_VM_TYPE_NORMAL, &vm2, NULL), 0);
		if (expected_abi() != MSHV_ABI_AUTO)
			CHECK(!!(again.quirks & MSHV_QUIRK_NO_CPU_FEATURE_BANKS) == (expected_abi() == MSHV_ABI_UPSTREAM));
		CHECK_RET(mshv_vm_close(&vm2), 0);
		CHECK_RET(mshv_system_close(&again), 0);
	}
}

static void test_default_config(struct mshv_system *sys)
{
	struct mshv_create_partition_v2 args;
	struct mshv_vm vm;
	int ret;

	/* test_create_vm_with_default_config: the 6.6-era argument */
	CHECK_RET(mshv_system_default_partition_args(sys, MSHV_VM_TYPE_NORMAL, &args, NULL), 0);
	CHECK(args.pt_flags == 0xF);
	CHECK(args.pt_isolation == MSHV_PT_ISOLATION_NONE);
	CHECK(args.pt_num_cpu_fbanks == 2);
#if defined(__x86_64__)
	CHECK(args.pt_cpu_fbanks[0] ==
	      (~raw_host_property(sys->fd, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0, 0) | (1ull << 63)));
	CHECK(args.pt_cpu_fbanks[1] == ~raw_host_property(sys->fd, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1, 0));
	CHECK(args.pt_disabled_xsave == 0xFFFFFFFFFFFFE7E0ull);
#endif
	ret = mshv_system_create_vm_with_args(sys, &args, &vm);
	if (expected_abi() == MSHV_ABI_LEGACY) {
		CHECK_RET(ret, 0);
		CHECK(vm.fd >= 0);
		CHECK_RET(mshv_vm_initialize(&vm), 0);
		CHECK_RET(mshv_vm_close(&vm), 0);
	} else if (expected_abi() == MSHV_ABI_UPSTREAM) {
		/* the simulator's upstream (before 6.19) knows no CPU feature banks */
		CHECK_RET(ret, -EINVAL);
		CHECK(vm.fd == -1);
	} else if (ret == 0) {
		mshv_vm_close(&vm);
	}
	/* the upstream argument works on both */
	memset(&args, 0, sizeof(args));
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM;
	CHECK_RET(mshv_system_create_vm_with_args(sys, &args, &vm), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);

	CHECK_RET(mshv_system_default_partition_args(sys, MSHV_VM_TYPE_SNP, &args, NULL), 0);
	CHECK(args.pt_isolation == MSHV_PT_ISOLATION_SNP);
	ret = mshv_system_create_vm_with_type(sys, MSHV_VM_TYPE_SNP, &vm, NULL);
	if (expected_abi() == MSHV_ABI_LEGACY) {
		CHECK_RET(ret, 0);
		mshv_vm_close(&vm);
	} else if (expected_abi() == MSHV_ABI_UPSTREAM) {
		CHECK(ret < 0 && vm.fd == -1); /* no SEV-SNP isolation upstream */
	}
}

static void test_host_properties(struct mshv_system *sys)
{
	struct hv_partition_property_vmm_capabilities caps;
	union hv_partition_property_ex ex;
	__u64 width = 0;
	__u16 status = 0xffff;

	/* test_get_host_ipa_limit */
	CHECK_RET(mshv_system_get_host_partition_property(sys, HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH, &width,
							  &status),
		  0);
	CHECK(status == HV_STATUS_SUCCESS);
	CHECK(width >= 32 && width <= 64);
	CHECK(width == raw_host_property(sys->fd, HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH, 0));

	/* test_vmm_caps */
	memset(&caps, 0xa5, sizeof(caps));
	CHECK_RET(mshv_system_get_vmm_caps(sys, &caps, &status), 0);
	CHECK(status == HV_STATUS_SUCCESS || status == HV_STATUS_ACCESS_DENIED);
	if (status == HV_STATUS_SUCCESS)
		CHECK(caps.as_uint64[0] ==
		      raw_host_property(sys->fd, HV_PARTITION_PROPERTY_VMM_CAPABILITIES, 8));
	CHECK_RET(mshv_system_get_host_partition_property_ex(sys, HV_PARTITION_PROPERTY_VMM_CAPABILITIES, 0, &ex, NULL),
		  0);

	/* an unknown property: the hypervisor's status comes back */
	CHECK_RET(mshv_system_get_host_partition_property(sys, 0x7fffffff, &width, &status),
		  hv_errno(HV_STATUS_UNKNOWN_PROPERTY));
	CHECK(status == HV_STATUS_UNKNOWN_PROPERTY);
}

static void test_msr_index_list(struct mshv_system *sys)
{
#if defined(__x86_64__)
	__u32 list[128];
	unsigned int n = 128, i, small = 10;
	int found = 0;

	CHECK_RET(mshv_system_get_msr_index_list(sys, list, &n), 0);
	CHECK(n == 73);
	for (i = 0; i < n; i++)
		found |= list[i] == 0x174; /* IA32_SYSENTER_CS, as the Rust test asks */
	CHECK(found);
	CHECK(list[0] == 0x10 && list[41] == 0x40000084 && list[42] == 0x6A0 && list[69] == 0xDA0 &&
	      list[72] == 0x40000000);
	/* too small: -E2BIG and the number needed */
	CHECK_RET(mshv_system_get_msr_index_list(sys, list, &small), -E2BIG);
	CHECK(small == 73);
#else
	(void)sys;
#endif
}

/* Bad input, refused before any system call: the handles' fds are -1. */
static void test_bad_input(void)
{
	struct mshv_system none = { -1, 0 };
	struct mshv_create_partition_v2 args;
	struct mshv_root_hvcall hc;
	struct mshv_vm vm;
	__u8 buf[16];

	memset(&args, 0, sizeof(args));
	args.pt_flags = 1ull << MSHV_PT_BIT_COUNT_LEGACY; /* unknown flag */
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EINVAL);
	CHECK(vm.fd == -1);
	args.pt_flags = 0;
	args.pt_isolation = MSHV_PT_ISOLATION_COUNT_LEGACY;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EINVAL);
	args.pt_isolation = 0;
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_LEGACY;
	args.pt_num_cpu_fbanks = 3;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EINVAL);
	args.pt_num_cpu_fbanks = 2;
	args.pt_rsvd[5] = 1;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EINVAL);
	args.pt_rsvd[5] = 0;
	args.pt_rsvd1[1] = 1;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EINVAL);
	CHECK_RET(mshv_system_create_vm_with_type(&none, MSHV_VM_TYPE_COUNT, &vm, NULL), -EINVAL);
	CHECK_RET(mshv_system_default_partition_args(&none, 7, &args, NULL), -EINVAL);

	memset(&hc, 0, sizeof(hc));
	hc.code = HVCALL_GET_PARTITION_PROPERTY;
	hc.in_sz = sizeof(buf);
	hc.in_ptr = (uintptr_t)buf;
	CHECK_RET(mshv_system_hvcall(&none, NULL), -EFAULT);
	hc.status = 1;
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.status = 0;
	hc.rsvd[2] = 1;
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.rsvd[2] = 0;
	hc.in_sz = 4;
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.in_sz = MSHV_HV_PAGE_SIZE + 1;
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.in_sz = sizeof(buf);
	hc.out_ptr = (uintptr_t)buf; /* an output buffer of no size */
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.out_sz = MSHV_HV_PAGE_SIZE + 1;
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EINVAL);
	hc.out_ptr = 0;
	hc.out_sz = 8; /* a size and no buffer: the kernel allows it */
	CHECK_RET(mshv_system_hvcall(&none, &hc), -EBADF); /* valid: reaches the (closed) fd */
	CHECK_RET(mshv_system_close(&none), 0);
	CHECK_RET(mshv_system_from_fd(&none, -1), -EBADF);
}

int main(void)
{
	struct mshv_system sys;

	open_or_skip(&sys);
	CHECK(sys.fd >= 0);
	CHECK(fcntl(sys.fd, F_GETFD) & FD_CLOEXEC);
	CHECK((fcntl(sys.fd, F_GETFL) & O_ACCMODE) == O_RDONLY); /* as mshv-ioctls */
	test_create_vm(&sys);
	test_default_config(&sys);
	test_host_properties(&sys);
	test_msr_index_list(&sys);
	test_bad_input();
	CHECK_RET(mshv_system_close(&sys), 0);
	CHECK(sys.fd == -1);
	return CHECK_REPORT("system");
}

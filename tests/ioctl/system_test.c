/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The system (/dev/mshv) operations: mshv-ioctls 0.7.0's system.rs tests
 * ported (test_create_vm, test_get_host_ipa_limit,
 * test_create_vm_with_default_config, test_vmm_caps), what the defaults
 * really contain on each kernel release, the release learned at open, the
 * partition flags each release has, the MSR list, a VTL kernel's
 * /dev/mshv, and every operation's bad input (on a closed handle, so that
 * -EINVAL or -EOPNOTSUPP proves no system call was made).
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

/* sys->kernel is what opening learns of the release under test (any release on a real /dev/mshv). */
static int known_open_kernel(const struct mshv_system *sys)
{
	if (expected_kernel() == MSHV_KERNEL_UNKNOWN)
		return sys->kernel != MSHV_KERNEL_UNKNOWN;
	return sys->kernel == expected_open_kernel();
}

static void test_create_vm(struct mshv_system *sys)
{
	const unsigned int k = expected_kernel();
	struct mshv_vm vm;
	__u64 mask = 0, value = 0;
	__u16 status = 0xffff;

	/* test_create_vm: with the best argument each release takes */
	CHECK_RET(mshv_system_create_vm(sys, &vm, &status), 0);
	CHECK(vm.fd >= 0);
	CHECK(status == HV_STATUS_SUCCESS);
	CHECK(known_open_kernel(sys)); /* nothing more learned */
	/* the synthetic features were set: the defaults the host can assign, or
	 * on 6.15-6.18 (no host property to read) the defaults unmasked */
	if (k == MSHV_KERNEL_6_15) {
		CHECK_RET(mshv_system_default_synthetic_features(sys, &mask, &status), -EOPNOTSUPP);
		CHECK(status == HV_STATUS_SUCCESS);
		mask = MSHV_DEFAULT_SYNTHETIC_FEATURES;
	} else {
		CHECK_RET(mshv_system_default_synthetic_features(sys, &mask, NULL), 0);
		CHECK(mask == (MSHV_DEFAULT_SYNTHETIC_FEATURES &
			       raw_host_property(sys->fd, HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES, 8)));
	}
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

	/* A second system handle learns it again, from scratch; so does one from an fd. */
	{
		struct mshv_system again, taken;
		struct mshv_vm vm2;

		open_or_skip(&again);
		CHECK(known_open_kernel(&again));
		CHECK_RET(mshv_system_create_vm_with_type(&again, MSHV_VM_TYPE_NORMAL, &vm2, NULL), 0);
		CHECK_RET(mshv_vm_close(&vm2), 0);
		CHECK_RET(mshv_system_from_fd(&taken, dup(again.fd)), 0);
		CHECK(taken.fd >= 0 && known_open_kernel(&taken));
		CHECK_RET(mshv_system_close(&taken), 0);
		CHECK_RET(mshv_system_close(&again), 0);
	}
}

static void test_default_config(struct mshv_system *sys)
{
	const unsigned int k = expected_kernel();
	struct mshv_create_partition_v2 args;
	struct mshv_vm vm;
	int ret;

	/* test_create_vm_with_default_config: the 6.6-era argument, which 6.19 on take too */
	ret = mshv_system_default_partition_args(sys, MSHV_VM_TYPE_NORMAL, &args, NULL);
	if (k == MSHV_KERNEL_6_15) {
		CHECK_RET(ret, -EOPNOTSUPP); /* no feature banks, no host properties */
		CHECK_RET(mshv_system_default_partition_args(sys, MSHV_VM_TYPE_SNP, &args, NULL), -EOPNOTSUPP);
	} else {
		CHECK_RET(ret, 0);
		CHECK(args.pt_flags == 0xF);
		CHECK(args.pt_isolation == MSHV_PT_ISOLATION_NONE);
		CHECK(args.pt_num_cpu_fbanks == 2);
#if defined(__x86_64__)
		CHECK(args.pt_cpu_fbanks[0] ==
		      (~raw_host_property(sys->fd, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0, 0) | (1ull << 63)));
		CHECK(args.pt_cpu_fbanks[1] ==
		      ~raw_host_property(sys->fd, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1, 0));
		CHECK(args.pt_disabled_xsave == 0xFFFFFFFFFFFFE7E0ull);
#endif
		ret = mshv_system_create_vm_with_args(sys, &args, &vm);
		if (k != MSHV_KERNEL_UNKNOWN)
			CHECK_RET(ret, 0);
		if (ret == 0) {
			CHECK(vm.fd >= 0);
			CHECK_RET(mshv_vm_initialize(&vm), 0);
			CHECK_RET(mshv_vm_close(&vm), 0);
		}
		CHECK_RET(mshv_system_default_partition_args(sys, MSHV_VM_TYPE_SNP, &args, NULL), 0);
		CHECK(args.pt_isolation == MSHV_PT_ISOLATION_SNP);
	}
	/* the 16-byte upstream argument works on every release */
	memset(&args, 0, sizeof(args));
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM;
	CHECK_RET(mshv_system_create_vm_with_args(sys, &args, &vm), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);

	/* SEV-SNP: 6.6-era kernels only */
	ret = mshv_system_create_vm_with_type(sys, MSHV_VM_TYPE_SNP, &vm, NULL);
	if (k == MSHV_KERNEL_6_6) {
		CHECK_RET(ret, 0);
		mshv_vm_close(&vm);
	} else if (k != MSHV_KERNEL_UNKNOWN) {
		CHECK_RET(ret, -EOPNOTSUPP);
		CHECK(vm.fd == -1);
	}
}

/* mshv_system_create_vm_with_args(sys, 16-byte argument with flags), closed again. */
static int create_with_flags(struct mshv_system *sys, __u64 flags)
{
	struct mshv_create_partition_v2 args;
	struct mshv_vm vm;
	int ret;

	memset(&args, 0, sizeof(args));
	args.pt_flags = flags;
	ret = mshv_system_create_vm_with_args(sys, &args, &vm);
	if (ret == 0) {
		CHECK_RET(mshv_vm_initialize(&vm), 0);
		CHECK_RET(mshv_vm_close(&vm), 0);
	} else {
		CHECK(vm.fd == -1);
	}
	return ret;
}

/*
 * The flag bits per release: bit 3 (feature banks) from 6.19, bits 4 and 5
 * (nested virtualization, SMT) from 7.0 and on 6.6-era kernels, refused
 * before the kernel with -EOPNOTSUPP where the release has not got them.
 * Asking for bit 4 is what tells 6.19 from 7.0 on a fresh handle.
 */
static void test_flags_per_release(void)
{
	const unsigned int k = expected_kernel();
	const __u64 nested = 1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION, smt = 1ull << MSHV_PT_BIT_SMT_ENABLED_GUEST;
	const int has_7_0_bits = k == MSHV_KERNEL_6_6 || k == MSHV_KERNEL_7_0;
	struct mshv_create_partition_v2 args;
	struct mshv_system sys;
	struct mshv_vm vm;

	if (k == MSHV_KERNEL_UNKNOWN)
		return;
	open_or_skip(&sys);
	CHECK(sys.kernel == expected_open_kernel());
	CHECK_RET(create_with_flags(&sys, MSHV_DEFAULT_PT_FLAGS_UPSTREAM | nested), has_7_0_bits ? 0 : -EOPNOTSUPP);
	CHECK(sys.kernel == k); /* now known exactly */
	CHECK_RET(create_with_flags(&sys, MSHV_DEFAULT_PT_FLAGS_UPSTREAM | smt), has_7_0_bits ? 0 : -EOPNOTSUPP);
	CHECK_RET(create_with_flags(&sys, nested | smt), has_7_0_bits ? 0 : -EOPNOTSUPP);
	CHECK_RET(create_with_flags(&sys, 1ull << 6), -EINVAL); /* no release has bit 6 */
	CHECK(sys.kernel == k);
	CHECK_RET(mshv_system_close(&sys), 0);

	/* SMT alone on a fresh handle tells them apart too */
	open_or_skip(&sys);
	CHECK_RET(create_with_flags(&sys, smt), has_7_0_bits ? 0 : -EOPNOTSUPP);
	CHECK(sys.kernel == k);
	CHECK_RET(mshv_system_close(&sys), 0);

	/* the feature-bank bit: from 6.19 with exactly 2 banks (6.6-era: up to 2) */
	open_or_skip(&sys);
	memset(&args, 0, sizeof(args));
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_LEGACY;
	args.pt_num_cpu_fbanks = 2;
	CHECK_RET(mshv_system_create_vm_with_args(&sys, &args, &vm), k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : 0);
	if (vm.fd >= 0)
		CHECK_RET(mshv_vm_close(&vm), 0);
	args.pt_num_cpu_fbanks = 1;
	CHECK_RET(mshv_system_create_vm_with_args(&sys, &args, &vm),
		  k == MSHV_KERNEL_6_6 ? 0 : k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EINVAL);
	if (vm.fd >= 0)
		CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK(sys.kernel == expected_open_kernel()); /* no flag probe needed for those */
	CHECK_RET(mshv_system_close(&sys), 0);
}

static void test_host_properties(struct mshv_system *sys)
{
	struct hv_partition_property_vmm_capabilities caps;
	union hv_partition_property_ex ex;
	__u64 width = 0;
	__u16 status = 0xffff;

	if (expected_kernel() == MSHV_KERNEL_6_15) {
		/* no hypercall on /dev/mshv before 6.19 */
		CHECK_RET(mshv_system_get_host_partition_property(sys, HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH,
								  &width, &status),
			  -ENOTTY);
		CHECK(status == HV_STATUS_SUCCESS);
		CHECK_RET(mshv_system_get_vmm_caps(sys, &caps, &status), -ENOTTY);
		CHECK_RET(mshv_system_get_host_partition_property_ex(sys, HV_PARTITION_PROPERTY_VMM_CAPABILITIES, 0, &ex,
								     NULL),
			  -ENOTTY);
		return;
	}
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

/*
 * What create_vm_with_args refuses on a closed handle that believes it is
 * release k (a pinned MSHV_ABI overrides the belief: only its own release
 * is tried then): -EOPNOTSUPP or -EINVAL before any system call, -EBADF
 * for what would reach the kernel.
 */
static void test_bad_flags_for(unsigned int k)
{
	struct mshv_system none = { -1, k };
	struct mshv_create_partition_v2 args;
	struct mshv_vm vm;
	__u64 mask = 1;
	__u16 status = 0xffff;
	const int upstream = k != MSHV_KERNEL_6_6;

	if (pinned_kernel() != MSHV_KERNEL_UNKNOWN && pinned_kernel() != k)
		return;
	memset(&args, 0, sizeof(args));
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_LEGACY;
	args.pt_num_cpu_fbanks = 2;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EBADF);
	args.pt_num_cpu_fbanks = 1;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm),
		  !upstream ? -EBADF : k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EINVAL);
	args.pt_num_cpu_fbanks = 0;
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM | (1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION);
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm),
		  k == MSHV_KERNEL_6_15 || k == MSHV_KERNEL_6_19 ? -EOPNOTSUPP : -EBADF);
	args.pt_flags = 1ull << MSHV_PT_BIT_SMT_ENABLED_GUEST;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm),
		  k == MSHV_KERNEL_6_15 || k == MSHV_KERNEL_6_19 ? -EOPNOTSUPP : -EBADF);
	CHECK(vm.fd == -1);
	args.pt_flags = 0;
	args.pt_isolation = MSHV_PT_ISOLATION_SNP;
	CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), upstream ? -EOPNOTSUPP : -EBADF);
	CHECK_RET(mshv_system_create_vm_with_type(&none, MSHV_VM_TYPE_SNP, &vm, &status),
		  k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EBADF);
	CHECK(status == HV_STATUS_SUCCESS && vm.fd == -1);
	CHECK_RET(mshv_system_default_partition_args(&none, MSHV_VM_TYPE_NORMAL, &args, &status),
		  k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EBADF);
	CHECK_RET(mshv_system_default_synthetic_features(&none, &mask, &status),
		  k == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : -EBADF);
	CHECK(mask == 1 && status == HV_STATUS_SUCCESS);
	CHECK(none.kernel == (pinned_kernel() != MSHV_KERNEL_UNKNOWN ? pinned_kernel() : k));
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
	/* valid for some release: the release probe itself reaches the (closed) fd */
	args.pt_rsvd1[1] = 0;
	if (pinned_kernel() == MSHV_KERNEL_UNKNOWN) {
		CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EBADF);
		CHECK(none.kernel == MSHV_KERNEL_UNKNOWN);
		/* a handle that knows "6.19 or later" probes for bit 4 on the fd */
		none.kernel = MSHV_KERNEL_6_19_OR_LATER;
		args.pt_flags = 1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION;
		CHECK_RET(mshv_system_create_vm_with_args(&none, &args, &vm), -EBADF);
		CHECK(none.kernel == MSHV_KERNEL_6_19_OR_LATER);
		none.kernel = MSHV_KERNEL_UNKNOWN;
	}
	test_bad_flags_for(MSHV_KERNEL_6_6);
	test_bad_flags_for(MSHV_KERNEL_6_15);
	test_bad_flags_for(MSHV_KERNEL_6_19);
	test_bad_flags_for(MSHV_KERNEL_7_0);

	memset(&hc, 0, sizeof(hc));
	hc.code = HVCALL_GET_PARTITION_PROPERTY;
	hc.in_sz = sizeof(buf);
	hc.in_ptr = (uintptr_t)buf;
	CHECK_RET(mshv_system_hvcall(&none, NULL), -EINVAL);
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

/*
 * A VTL kernel's /dev/mshv (mshv_vtl) is not a root driver: open says so
 * with -ENODEV and its own message, closing the fd; from_fd leaves the
 * caller's fd open.
 */
static int test_vtl(void)
{
	struct mshv_system sys;
	int fd;

	CHECK_RET(mshv_system_open(&sys), -ENODEV);
	CHECK(sys.fd == -1 && sys.kernel == MSHV_KERNEL_UNKNOWN);
	CHECK(strstr(mshv_strerror(-ENODEV), "VTL") != NULL);
	CHECK(strcmp(mshv_strerror(-ENODEV), mshv_strerror(-ENOENT)) != 0);
	fd = open("/dev/mshv", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_RET(mshv_system_from_fd(&sys, fd), -ENODEV);
	CHECK(sys.fd == -1);
	CHECK(fcntl(fd, F_GETFD) >= 0); /* still the caller's */
	CHECK(close(fd) == 0);
	test_bad_input();
	return CHECK_REPORT("system");
}

int main(void)
{
	struct mshv_system sys;

	if (expected_kernel() == KERNEL_VTL)
		return test_vtl();
	open_or_skip(&sys);
	CHECK(sys.fd >= 0);
	CHECK(fcntl(sys.fd, F_GETFD) & FD_CLOEXEC);
	CHECK((fcntl(sys.fd, F_GETFL) & O_ACCMODE) == O_RDONLY); /* as mshv-ioctls */
	CHECK(known_open_kernel(&sys));
	test_create_vm(&sys);
	test_default_config(&sys);
	test_flags_per_release();
	test_host_properties(&sys);
	test_msr_index_list(&sys);
	test_bad_input();
	CHECK_RET(mshv_system_close(&sys), 0);
	CHECK(sys.fd == -1);
	return CHECK_REPORT("system");
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Hypervisor memory on each kernel release: a hypercall that needs more
 * memory than the partition (or the root) has. Under mshv-sim the
 * shortage is made with MSHV_SIM_HV_SHORT=N[:STATUS] (each new partition
 * N pages short with HV_STATUS_INSUFFICIENT_MEMORY or _CONTIGUOUS_MEMORY;
 * the root N pages short with _ROOT_MEMORY or _CONTIGUOUS_ROOT_MEMORY)
 * and MSHV_SIM_DEPOSIT_FAIL=1 (every deposit fails); this program reads
 * both and asserts what each release makes of them:
 *
 *   6.15-6.18  deposit one page per INSUFFICIENT_MEMORY and answer
 *              -EAGAIN: the library calls again, MSHV_HVCALL_EAGAIN_RETRIES
 *              times at most, then -ENOMEM; the other statuses are -EIO.
 *   6.19       deposits and retries inside the kernel for
 *              INSUFFICIENT_MEMORY; the others are -EIO.
 *   7.0 on     deposits for all four statuses.
 *   a failed deposit: -ENOMEM.
 *
 * The hypercall is HVCALL_SET_PARTITION_PROPERTY (synthetic features, on
 * a partition not yet initialized), through mshv_vm_set_partition_property(),
 * through the passthrough mshv_vm_hvcall() and inside mshv_system_create_vm();
 * on 6.15 also raw, to show the protocol the library follows. With no
 * knob set everything simply succeeds.
 */
#include "common.h"

static unsigned int short_pages, short_status = HV_STATUS_INSUFFICIENT_MEMORY;
static int deposit_fails;
static unsigned int root_short; /* the root partition's shortage: one counter for the process */

static int root_level(void)
{
	return short_status == HV_STATUS_INSUFFICIENT_ROOT_MEMORY ||
	       short_status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY;
}

/*
 * What one allocating hypercall through the library returns on the
 * release under test, given *left pages short (updated by the deposits it
 * causes); *status receives the status it ends with.
 */
static int expect_call(unsigned int *left, __u16 *status)
{
	const unsigned int k = expected_kernel();
	/* 7.0 deposits for every status the knob makes, earlier releases for the first only */
	const int deposited = short_status == HV_STATUS_INSUFFICIENT_MEMORY || k == MSHV_KERNEL_7_0;

	*status = HV_STATUS_SUCCESS;
	if (*left == 0)
		return 0;
	*status = (__u16)short_status;
	if (!deposited || k == MSHV_KERNEL_6_6)
		return mshv_hv_status_to_errno_kernel(short_status, k);
	if (deposit_fails)
		return -ENOMEM;
	if (k == MSHV_KERNEL_6_15 && *left > MSHV_HVCALL_EAGAIN_RETRIES) {
		*left -= MSHV_HVCALL_EAGAIN_RETRIES + 1; /* one page per -EAGAIN */
		return -ENOMEM;
	}
	*left = 0;
	*status = HV_STATUS_SUCCESS;
	return 0;
}

/* The shortage a new partition's first allocating call meets. */
static unsigned int *shortage_of_new_partition(unsigned int *partition)
{
	*partition = short_pages;
	return root_level() ? &root_short : partition;
}

/* A partition made with the 16-byte argument (no hypercall), not initialized. */
static void new_partition(struct mshv_system *sys, struct mshv_vm *vm)
{
	struct mshv_create_partition_v2 args;

	memset(&args, 0, sizeof(args));
	args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM;
	CHECK_RET(mshv_system_create_vm_with_args(sys, &args, vm), 0);
}

/* The passthrough argument of the allocating call: synthetic features = the defaults. */
static void set_property_args(struct mshv_root_hvcall *a, struct hv_input_set_partition_property *in)
{
	memset(in, 0, sizeof(*in));
	in->property_code = HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES;
	in->property_value = MSHV_DEFAULT_SYNTHETIC_FEATURES;
	memset(a, 0, sizeof(*a));
	a->code = HVCALL_SET_PARTITION_PROPERTY;
	a->in_sz = sizeof(*in);
	a->in_ptr = (uintptr_t)in;
}

static void test_library_call(struct mshv_system *sys)
{
	struct mshv_vm vm;
	unsigned int partition, *left = shortage_of_new_partition(&partition);
	__u16 status = 0xffff, want_status;
	int want;

	new_partition(sys, &vm);
	want = expect_call(left, &want_status);
	CHECK_RET(mshv_vm_set_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
						 MSHV_DEFAULT_SYNTHETIC_FEATURES, &status),
		  want);
	CHECK(status == want_status);
	/* once more on the same partition: what is left of the shortage */
	want = expect_call(left, &want_status);
	CHECK_RET(mshv_vm_set_partition_property(&vm, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
						 MSHV_DEFAULT_SYNTHETIC_FEATURES, &status),
		  want);
	CHECK(status == want_status);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

static void test_passthrough(struct mshv_system *sys)
{
	struct hv_input_set_partition_property in;
	struct mshv_root_hvcall a;
	struct mshv_vm vm;
	unsigned int partition, *left = shortage_of_new_partition(&partition);
	__u16 want_status;
	int want;

	new_partition(sys, &vm);
	set_property_args(&a, &in);
	want = expect_call(left, &want_status);
	CHECK_RET(mshv_vm_hvcall(&vm, &a), want);
	CHECK(a.status == want_status && a.reps == 0 && a.code == HVCALL_SET_PARTITION_PROPERTY);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

/* 6.15-6.18's protocol, without the library: -EAGAIN after a deposit; a non-zero status is refused. */
static void test_raw_protocol(struct mshv_system *sys)
{
	struct hv_input_set_partition_property in;
	struct mshv_root_hvcall a;
	struct mshv_vm vm;

	if (expected_kernel() != MSHV_KERNEL_6_15 || short_status != HV_STATUS_INSUFFICIENT_MEMORY || short_pages < 2 ||
	    deposit_fails)
		return;
	new_partition(sys, &vm);
	set_property_args(&a, &in);
	CHECK_ERRNO(ioctl(vm.fd, MSHV_ROOT_HVCALL, &a), EAGAIN);
	CHECK(a.status == HV_STATUS_INSUFFICIENT_MEMORY);
	CHECK_ERRNO(ioctl(vm.fd, MSHV_ROOT_HVCALL, &a), EINVAL); /* why the library zeroes it */
	a.status = 0;
	if (short_pages > 2)
		CHECK_ERRNO(ioctl(vm.fd, MSHV_ROOT_HVCALL, &a), EAGAIN);
	else
		CHECK(ioctl(vm.fd, MSHV_ROOT_HVCALL, &a) == 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
}

static void test_create_vm(struct mshv_system *sys)
{
	struct mshv_vm vm;
	unsigned int partition, *left = shortage_of_new_partition(&partition);
	__u16 status = 0xffff, want_status;
	int want = expect_call(left, &want_status);

	CHECK_RET(mshv_system_create_vm(sys, &vm, &status), want);
	CHECK(status == want_status);
	if (want == 0) {
		CHECK(vm.fd >= 0);
		CHECK_RET(mshv_vm_close(&vm), 0);
	} else {
		CHECK(vm.fd == -1);
	}
}

int main(void)
{
	const char *knob = getenv("MSHV_SIM_HV_SHORT"), *fail = getenv("MSHV_SIM_DEPOSIT_FAIL");
	struct mshv_system sys;
	char *end = NULL;

	open_or_skip(&sys);
	if (expected_kernel() == MSHV_KERNEL_UNKNOWN) {
		/* a real kernel: no shortage to be had on demand; the plain call works */
		test_create_vm(&sys);
		return CHECK_REPORT("memory");
	}
	if (knob && *knob) {
		short_pages = (unsigned int)strtoul(knob, &end, 0);
		if (end && *end == ':')
			short_status = (unsigned int)strtoul(end + 1, NULL, 0);
	}
	deposit_fails = fail && !strcmp(fail, "1");
	root_short = short_pages;
	printf("kernel %u, %u pages short with status 0x%x%s\n", expected_kernel(), short_pages, short_status,
	       deposit_fails ? ", deposits fail" : "");
	test_raw_protocol(&sys);
	test_library_call(&sys);
	test_passthrough(&sys);
	test_create_vm(&sys);
	CHECK_RET(mshv_system_close(&sys), 0);
	return CHECK_REPORT("memory");
}

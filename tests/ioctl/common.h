/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Shared by the ioctl-layer tests: the check macros, opening /dev/mshv
 * (exit 77, "skipped", when there is none) and the kernel release the
 * simulator was told to be (MSHV_SIM_KERNEL or MSHV_SIM_ABI).
 */
#ifndef MSHV_TEST_IOCTL_COMMON_H
#define MSHV_TEST_IOCTL_COMMON_H

#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include "mshv.h"

#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../check.h"

/* Open /dev/mshv or skip the whole test (exit status 77). */
static inline void open_or_skip(struct mshv_system *sys)
{
	int ret = mshv_system_open(sys);

	if (ret < 0) {
		printf("SKIP: mshv_system_open: %s (run under tools/mshv-sim)\n", mshv_strerror(ret));
		exit(77);
	}
}

/* Not a root /dev/mshv at all: MSHV_SIM_KERNEL=vtl (test-only value). */
#define KERNEL_VTL 100

/* The release MSHV_ABI pins, or MSHV_KERNEL_UNKNOWN. */
static inline unsigned int pinned_kernel(void)
{
	switch (MSHV_ABI) {
	case MSHV_ABI_LEGACY:
		return MSHV_KERNEL_6_6;
	case MSHV_ABI_6_15:
		return MSHV_KERNEL_6_15;
	case MSHV_ABI_6_19:
		return MSHV_KERNEL_6_19;
	case MSHV_ABI_7_0:
		return MSHV_KERNEL_7_0;
	default:
		return MSHV_KERNEL_UNKNOWN;
	}
}

/*
 * The release the kernel under test is (MSHV_KERNEL_*, or KERNEL_VTL): the
 * simulator's MSHV_SIM_KERNEL, else its MSHV_SIM_ABI alias (legacy = 6.6,
 * upstream = 7.0), else the simulator's default (7.0); a pinned MSHV_ABI
 * on a real /dev/mshv; MSHV_KERNEL_UNKNOWN there otherwise.
 */
static inline unsigned int expected_kernel(void)
{
	static const struct {
		const char *name;
		unsigned int kernel;
	} names[] = { { "6.6", MSHV_KERNEL_6_6 },    { "legacy", MSHV_KERNEL_6_6 },  { "6.15", MSHV_KERNEL_6_15 },
		      { "6.16", MSHV_KERNEL_6_15 },  { "6.17", MSHV_KERNEL_6_15 },   { "6.18", MSHV_KERNEL_6_15 },
		      { "6.19", MSHV_KERNEL_6_19 },  { "7.0", MSHV_KERNEL_7_0 },     { "7.1", MSHV_KERNEL_7_0 },
		      { "7.2", MSHV_KERNEL_7_0 },    { "upstream", MSHV_KERNEL_7_0 }, { "vtl", KERNEL_VTL } };
	const char *name = getenv("MSHV_SIM_KERNEL");
	unsigned int i;

	if (!name || !*name)
		name = getenv("MSHV_SIM_ABI");
	if (!getenv("MSHV_SIM_LIB") && (!name || !*name))
		return pinned_kernel();
	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].kernel;
	return MSHV_KERNEL_7_0;
}

/*
 * What mshv_system_open() learns: the release, except that 6.19 and 7.0
 * look alike until flag bit 4 or 5 is asked for (unless pinned).
 */
static inline unsigned int expected_open_kernel(void)
{
	unsigned int k = expected_kernel();

	if (pinned_kernel() == MSHV_KERNEL_UNKNOWN && (k == MSHV_KERNEL_6_19 || k == MSHV_KERNEL_7_0))
		return MSHV_KERNEL_6_19_OR_LATER;
	return k;
}

/* The kernel generation: MSHV_ABI_LEGACY (6.6-era), _UPSTREAM, or _AUTO when unknown. */
static inline unsigned int expected_abi(void)
{
	unsigned int k = expected_kernel();

	return k == MSHV_KERNEL_UNKNOWN ? MSHV_ABI_AUTO : k == MSHV_KERNEL_6_6 ? MSHV_ABI_LEGACY : MSHV_ABI_UPSTREAM;
}

/* The errno the kernel under test makes of a failed hypercall's status. */
static inline int hv_errno(unsigned int status)
{
	return mshv_hv_status_to_errno_kernel(status, expected_kernel());
}

/* Like mshv-ioctls' tests: a default partition, initialized. */
static inline void create_initialized_vm(struct mshv_system *sys, struct mshv_vm *vm)
{
	CHECK_RET(mshv_system_create_vm(sys, vm, NULL), 0);
	CHECK_RET(mshv_vm_initialize(vm), 0);
}

#endif

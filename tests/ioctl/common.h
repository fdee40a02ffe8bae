/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Shared by the ioctl-layer tests: the check macros, opening /dev/mshv
 * (exit 77, "skipped", when there is none) and the generation the
 * simulator was told to be (MSHV_SIM_ABI), when it is the simulator.
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

/*
 * The generation the kernel should turn out to be: the simulator's
 * MSHV_SIM_ABI (default upstream), a pinned MSHV_ABI, or MSHV_ABI_AUTO when
 * unknown (a real /dev/mshv).
 */
static inline unsigned int expected_abi(void)
{
	const char *abi = getenv("MSHV_SIM_ABI");

	if (MSHV_ABI != MSHV_ABI_AUTO)
		return MSHV_ABI;
	if (!getenv("MSHV_SIM_LIB") && !abi)
		return MSHV_ABI_AUTO;
	return abi && !strcmp(abi, "legacy") ? MSHV_ABI_LEGACY : MSHV_ABI_UPSTREAM;
}

/* The errno the kernel under test makes of a failed hypercall's status. */
static inline int hv_errno(unsigned int status)
{
	return expected_abi() == MSHV_ABI_LEGACY ? mshv_hv_status_to_errno_legacy(status)
						  : mshv_hv_status_to_errno(status);
}

/* Like mshv-ioctls' tests: a default partition, initialized. */
static inline void create_initialized_vm(struct mshv_system *sys, struct mshv_vm *vm)
{
	CHECK_RET(mshv_system_create_vm(sys, vm, NULL), 0);
	CHECK_RET(mshv_vm_initialize(vm), 0);
}

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: /dev/mshv of a kernel built with mshv_vtl (6.19
 * on), which registers the device itself instead of mshv_root. It answers
 * MSHV_CHECK_EXTENSION and MSHV_CREATE_VTL; everything else, partition
 * creation and hypercalls included, is ENOTTY.
 */
#define _GNU_SOURCE
#include "driver_internal.h"

/*
 * MSHV_CHECK_EXTENSION: the argument is a __u32 capability (EFAULT when it
 * cannot be read); an unknown one is EOPNOTSUPP. MSHV_CAP_CORE_API_STABLE
 * is 0, as the driver answers it. The other three depend on the machine:
 * the register page on whether the hypervisor provides one for VTL 0, the
 * return action and DR6 sharing on the hypervisor's VSM capabilities. The
 * simulated hypervisor has no VSM (no VTL is modelled), so the simulator
 * answers 0 for them: absent (its choice of machine).
 */
static long check_extension(void *uarg)
{
	uint32_t cap;
	long err = copy_from_user(&cap, uarg, sizeof(cap));

	if (err)
		return err;
	switch (cap) {
	case MSHV_CAP_CORE_API_STABLE:
	case MSHV_CAP_REGISTER_PAGE:
	case MSHV_CAP_VTL_RETURN_ACTION:
	case MSHV_CAP_DR6_SHARED:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

long sim_vtl_system_ioctl(unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_CHECK_EXTENSION:
		return check_extension(arg);
	case MSHV_CREATE_VTL:
		/*
		 * The simulated hypervisor has no VSM, so there is no lower VTL
		 * to hand out: EOPNOTSUPP, the simulator's answer (no kernel
		 * source we read says what a machine without VSM gives here).
		 */
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}
}

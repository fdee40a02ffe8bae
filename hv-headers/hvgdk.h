/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Guest-visible hypervisor definitions beyond the core set.
 *
 * Source of mshv_hv_defs.h, written in the kernel dialect of
 * include/hyperv/*.h (u8..u64, __packed) so that it can be compared with
 * the kernel's headers line by line. tools/gen_hv_defs.py turns it into
 * the self-contained user-space header; edit here, then regenerate.
 */
#ifndef _HVGDK_H
#define _HVGDK_H

#include "hvgdk_mini.h"

#define HVGDK_H_VERSION 0x6225

#if defined(__x86_64__)
enum hv_unimplemented_msr_action {
	HV_UNIMPLEMENTED_MSR_ACTION_FAULT = 0,
	HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO = 1,
	HV_UNIMPLEMENTED_MSR_ACTION_COUNT = 2,
};
#endif

#endif /* _HVGDK_H */

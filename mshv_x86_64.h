/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_x86_64.h - the x86_64-only part of mshv.h's kernel interface.
 *
 * mshv.h includes this file on x86_64; including it directly is the same as
 * including mshv.h. The hypervisor's x86_64 definitions (HV_X64_REGISTER_*,
 * hv_x64_* intercept messages, the VP register page) are in mshv_hv_defs.h.
 */
#include "mshv.h" /* which includes this file back, at the right place */

#ifndef MSHV_X86_64_H
#define MSHV_X86_64_H

#if !defined(__x86_64__)
#error "mshv_x86_64.h is for x86_64 builds; include mshv.h, which picks the architecture"
#endif

#ifdef MSHV__DEFINES_DOWNSTREAM_ABI

/*
 * Downstream MSHV_CREATE_PARTITION argument with CPU feature banks
 * (pt_cpu_fbanks, 1 << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES in pt_flags) and
 * the XSAVE features to disable.
 */
struct mshv_create_partition_v2 {
	__u64 pt_flags;
	__u64 pt_isolation;
	__u16 pt_num_cpu_fbanks;
	__u8 pt_rsvd[6];
	__u64 pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
	__u64 pt_rsvd1[2];
	__u64 pt_disabled_xsave;
} MSHV_PACKED;

/* Argument of MSHV_VP_REGISTER_INTERCEPT_RESULT (CPUID and MSR results). */
struct mshv_register_intercept_result {
	__u32 intercept_type; /* HV_INTERCEPT_TYPE_X64_CPUID or _MSR */
	union hv_register_intercept_result_parameters parameters;
};

/* VP fd */
#define MSHV_VP_REGISTER_INTERCEPT_RESULT \
	_IOW(MSHV_IOCTL, 0xF3, struct mshv_register_intercept_result)

MSHV_STATIC_ASSERT(_IOC_SIZE(MSHV_VP_REGISTER_INTERCEPT_RESULT) == sizeof(struct mshv_register_intercept_result),
		   ioc_size_vp_register_intercept_result);

#endif /* MSHV__DEFINES_DOWNSTREAM_ABI */

#endif /* MSHV_X86_64_H */

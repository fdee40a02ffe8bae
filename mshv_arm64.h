/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_arm64.h - the arm64-only part of mshv.h's kernel interface.
 *
 * mshv.h includes this file on arm64; including it directly is the same as
 * including mshv.h. The hypervisor's arm64 definitions (HV_ARM64_REGISTER_*,
 * hv_arm64_* intercept messages) are in mshv_hv_defs.h.
 */
#include "mshv.h" /* which includes this file back, at the right place */

#ifndef MSHV_ARM64_H
#define MSHV_ARM64_H

#if !defined(__aarch64__)
#error "mshv_arm64.h is for arm64 (aarch64) builds; include mshv.h, which picks the architecture"
#endif

/* No arm64-only request numbers (see mshv.h's MSHV_IOCTL_NAMES). */
#define MSHV_IOCTL_NAMES_ARCH(X)

#ifdef MSHV__DEFINES_DOWNSTREAM_ABI

/*
 * Downstream MSHV_CREATE_PARTITION argument with CPU feature banks
 * (pt_cpu_fbanks, 1 << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES in pt_flags).
 * arm64 has no XSAVE: the last field is reserved.
 */
struct mshv_create_partition_v2 {
	__u64 pt_flags;
	__u64 pt_isolation;
	__u16 pt_num_cpu_fbanks;
	__u8 pt_rsvd[6];
	__u64 pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
	__u64 pt_rsvd1[2];
	__u64 pt_rsvd2;
} MSHV_PACKED;

#endif /* MSHV__DEFINES_DOWNSTREAM_ABI */

#endif /* MSHV_ARM64_H */

/* ========================================================================
 * The arm64 part of the ioctl layer (mshv.h includes this file a second
 * time, after its own ioctl layer): nothing yet.
 * ======================================================================== */
#if defined(MSHV__ARCH_IOCTL_LAYER) && !defined(MSHV_ARM64_IOCTL_LAYER)
#define MSHV_ARM64_IOCTL_LAYER 1
#endif /* MSHV__ARCH_IOCTL_LAYER */

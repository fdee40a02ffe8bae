/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Guest set-up steps the test programs share (x86_64, ioctl layer).
 */
#ifndef MSHV_TEST_GUEST_SETUP_H
#define MSHV_TEST_GUEST_SETUP_H

#include <string.h>

#include "mshv.h"

/*
 * A new VP starts in real mode with CS at the reset vector's segment
 * (base 0xffff0000): make CS selector and base 0, keeping its other
 * attributes, so that RIP is a plain address below 64 KiB. Returns 0 or
 * -errno.
 */
static inline int guest_real_mode_cs0(struct mshv_vcpu *vcpu)
{
	struct hv_register_assoc reg;
	union hv_register_value cs;
	int ret = mshv_vcpu_get_register(vcpu, HV_X64_REGISTER_CS, &cs, NULL);

	if (ret < 0)
		return ret;
	cs.segment.base = 0;
	cs.segment.selector = 0;
	memset(&reg, 0, sizeof(reg));
	reg.name = HV_X64_REGISTER_CS;
	reg.value = cs;
	return mshv_vcpu_set_registers(vcpu, &reg, 1, NULL);
}

#endif

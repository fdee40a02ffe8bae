/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * MSHV_ROOT_HVCALL for the raw-ioctl simulator tests: fills *hc (a local
 * one when hc is NULL) and issues the ioctl on fd; returns what ioctl does.
 */
#ifndef MSHV_SIM_TEST_RAW_HVCALL_H
#define MSHV_SIM_TEST_RAW_HVCALL_H

#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mshv.h"

static int hvcall(int fd, uint16_t code, uint16_t reps, void *in, size_t in_sz, void *out, size_t out_sz,
		  struct mshv_root_hvcall *hc)
{
	struct mshv_root_hvcall local;

	if (!hc)
		hc = &local;
	memset(hc, 0, sizeof(*hc));
	hc->code = code;
	hc->reps = reps;
	hc->in_sz = (uint16_t)in_sz;
	hc->out_sz = (uint16_t)out_sz;
	hc->in_ptr = (uintptr_t)in;
	hc->out_ptr = (uintptr_t)out;
	return ioctl(fd, MSHV_ROOT_HVCALL, hc);
}

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: hypercalls. MSHV_ROOT_HVCALL with the driver's
 * checks and allow-lists (from the hypervisor's table rows), the
 * hypercalls the driver makes for its own ioctls, and the errno a failed
 * status becomes.
 */
#define _GNU_SOURCE
#include <string.h>

#include "driver_internal.h"

/*
 * The errno the kernel turns a failed hypercall status into: upstream's
 * hv_result_to_errno, or the 6.6-era driver's hv_status_to_errno (both in
 * mshv.h).
 */
long sim_status_to_errno(uint64_t status)
{
	return sim_cfg.abi == SIM_ABI_LEGACY ? mshv_hv_status_to_errno_legacy((unsigned int)status)
					     : mshv_hv_status_to_errno((unsigned int)status);
}

/* One hypercall, with its MSHV_SIM_TRACE line. */
static uint64_t traced_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in, void *out,
			      uint16_t *done)
{
	struct hv_call call = { pt ? pt->hv : NULL, reps, in, out, 0 };
	uint64_t status = hv_hypercall(code, &call);
	const char *name = mshv_hvcall_name(code);

	*done = call.reps_done;
	if (sim_cfg.trace)
		sim_trace("mshv-sim: hvcall %s(0x%04x) reps %u -> status 0x%llx reps %u", name ? name : "HVCALL_?", code,
			  reps, (unsigned long long)status, *done);
	return status;
}

uint64_t sim_driver_hvcall_status(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in,
				  size_t in_size, void *out, size_t out_size)
{
	uint64_t page_in[MSHV_HV_PAGE_SIZE / 8], page_out[MSHV_HV_PAGE_SIZE / 8];
	uint16_t done;
	uint64_t status;

	memset(page_in, 0, sizeof(page_in));
	memset(page_out, 0, sizeof(page_out));
	memcpy(page_in, in, in_size);
	page_in[0] = pt ? hv_partition_id(pt->hv) : HV_PARTITION_ID_SELF;
	status = traced_hvcall(pt, code, reps, page_in, page_out, &done);
	if (status == HV_STATUS_SUCCESS && out_size)
		memcpy(out, page_out, out_size);
	return status;
}

long sim_driver_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in, size_t in_size,
		       void *out, size_t out_size)
{
	return sim_status_to_errno(sim_driver_hvcall_status(pt, code, reps, in, in_size, out, out_size));
}

/* Whether MSHV_ROOT_HVCALL passes code through on this kind of fd (the driver's allow-lists). */
static bool hvcall_allowed(enum sim_file_kind kind, const struct hv_hypercall *h)
{
	if (!h)
		return false;
	if (sim_cfg.abi == SIM_ABI_LEGACY)
		return h->allow & HV_ALLOW_LEGACY;
	return h->allow & (kind == SIM_FILE_SYSTEM ? HV_ALLOW_UPSTREAM_ROOT : HV_ALLOW_UPSTREAM_CHILD);
}

/* Calls that may complete asynchronously: the driver takes them on partition fds only. */
static bool hvcall_async(const struct hv_hypercall *h)
{
	return h->allow & (sim_cfg.abi == SIM_ABI_LEGACY ? HV_ASYNC_LEGACY : HV_ASYNC_UPSTREAM);
}

/*
 * MSHV_ROOT_HVCALL on /dev/mshv (pt NULL: the root partition itself), a
 * partition fd or a VP fd (whose mutex the caller holds). Checks in the
 * driver's order; the input's first 8 bytes become the partition id;
 * status and reps completed are always copied back, the output only on
 * success upstream; the 6.6-era driver copies the output page back
 * whatever the status (the elements a failed rep call completed are in it).
 */
long sim_root_hvcall(enum sim_file_kind kind, struct sim_partition *pt, void *uarg)
{
	struct mshv_root_hvcall args;
	const struct hv_hypercall *h;
	uint64_t in[MSHV_HV_PAGE_SIZE / 8], out[MSHV_HV_PAGE_SIZE / 8];
	uint16_t reps_done = 0;
	uint64_t status;
	long err;
	size_t i;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	if (args.status || !args.in_ptr || args.in_sz < 8 || args.in_sz > MSHV_HV_PAGE_SIZE)
		return -EINVAL;
	for (i = 0; i < sizeof(args.rsvd); i++)
		if (args.rsvd[i])
			return -EINVAL;
	if (args.out_ptr && (!args.out_sz || args.out_sz > MSHV_HV_PAGE_SIZE))
		return -EINVAL;
	h = hv_hypercall_find(args.code);
	if (!hvcall_allowed(kind, h))
		return -EINVAL;
	if (hvcall_async(h) && kind != SIM_FILE_PARTITION)
		return -EINVAL;
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	err = copy_from_user(in, (void *)(uintptr_t)args.in_ptr, args.in_sz);
	if (err)
		return err;
	in[0] = pt ? hv_partition_id(pt->hv) : HV_PARTITION_ID_SELF;
	status = traced_hvcall(pt, args.code, args.reps, in, out, &reps_done);
	args.status = (uint16_t)status;
	args.reps = reps_done;
	err = copy_to_user(uarg, &args, sizeof(args));
	if (err)
		return err;
	if ((status == HV_STATUS_SUCCESS || sim_cfg.abi == SIM_ABI_LEGACY) && args.out_ptr) {
		err = copy_to_user((void *)(uintptr_t)args.out_ptr, out, args.out_sz);
		if (err)
			return err;
	}
	return sim_status_to_errno(status);
}

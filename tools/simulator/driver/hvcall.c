/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: hypercalls. MSHV_ROOT_HVCALL with each release's
 * checks, allow-lists and result handling, the hypercalls the driver makes
 * for its own ioctls, memory deposits, and the errno a failed status
 * becomes.
 */
#define _GNU_SOURCE
#include <string.h>

#include "driver_internal.h"

/* ---- status to errno ------------------------------------------------------------ */

/*
 * hv_result_to_errno's table (drivers/hv/hv_common.c, hv_status_infos) as
 * 6.15 has it, unchanged through 6.19: the first entry of a status wins,
 * a status not in it is -EIO. Only the entries that are not -EIO are
 * listed (the table's own -EIO entries change nothing).
 */
static const struct {
	uint16_t status;
	int err;
} mainline_errnos[] = {
	{ HV_STATUS_SUCCESS, 0 },
	{ HV_STATUS_INVALID_HYPERCALL_CODE, -EINVAL },
	{ HV_STATUS_INVALID_HYPERCALL_INPUT, -EINVAL },
	{ HV_STATUS_INVALID_PARAMETER, -EINVAL },
	{ HV_STATUS_INSUFFICIENT_MEMORY, -ENOMEM },
	{ HV_STATUS_INVALID_PARTITION_ID, -EINVAL },
	{ HV_STATUS_INVALID_VP_INDEX, -EINVAL },
	{ HV_STATUS_INVALID_PORT_ID, -EINVAL },
	{ HV_STATUS_INVALID_CONNECTION_ID, -EINVAL },
	{ HV_STATUS_INVALID_LP_INDEX, -EINVAL },
	{ HV_STATUS_INVALID_REGISTER_VALUE, -EINVAL },
};

/* The statuses 7.0 added to the table (after INSUFFICIENT_MEMORY), all -ENOMEM; -EIO before. */
static bool memory_status_since_7_0(uint64_t status)
{
	return status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY || status == HV_STATUS_INSUFFICIENT_ROOT_MEMORY ||
	       status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY;
}

/*
 * The errno the kernel turns a failed hypercall status into: the 6.6-era
 * driver's hv_status_to_errno (mshv.h has it), or mainline's
 * hv_result_to_errno of the release.
 */
long sim_status_to_errno(uint64_t status)
{
	size_t i;

	if (sim_legacy())
		return mshv_hv_status_to_errno_legacy((unsigned int)status);
	status &= 0xffff; /* hv_result() */
	if (sim_mainline_since(SIM_KERNEL_7_0) && memory_status_since_7_0(status))
		return -ENOMEM;
	for (i = 0; i < sizeof(mainline_errnos) / sizeof(mainline_errnos[0]); i++)
		if (mainline_errnos[i].status == status)
			return mainline_errnos[i].err;
	return -EIO;
}

/* ---- deposits ------------------------------------------------------------------------ */

/*
 * The statuses after which the driver deposits memory and retries
 * (hv_result_needs_memory from 7.0; INSUFFICIENT_MEMORY alone before, and
 * in the 6.6-era driver).
 */
static bool needs_memory(uint64_t status)
{
	if (status == HV_STATUS_INSUFFICIENT_MEMORY)
		return true;
	return sim_mainline_since(SIM_KERNEL_7_0) && memory_status_since_7_0(status);
}

/*
 * hv_call_deposit_pages: pages allocated (MSHV_SIM_DEPOSIT_FAIL: the
 * allocation fails, -ENOMEM) and given to pt (NULL: the root partition
 * itself) with HvCallDepositMemory.
 */
static long deposit_pages(struct sim_partition *pt, uint64_t pages)
{
	uint64_t status;

	if (sim_cfg.deposit_fail) {
		if (sim_cfg.trace)
			sim_trace("mshv-sim: deposit %llu pages -> -ENOMEM (MSHV_SIM_DEPOSIT_FAIL)",
				  (unsigned long long)pages);
		return -ENOMEM;
	}
	status = hv_deposit_memory(pt ? pt->hv : NULL, pages);
	if (sim_cfg.trace)
		sim_trace("mshv-sim: deposit %llu pages to %s -> status 0x%llx", (unsigned long long)pages,
			  pt ? "partition" : "self", (unsigned long long)status);
	return sim_status_to_errno(status);
}

/*
 * The deposit for a status of needs_memory(): INSUFFICIENT_MEMORY puts
 * pages into pt (the caller's amount: 1 for most calls); from 7.0,
 * hv_deposit_memory's amounts: CONTIGUOUS_MEMORY 8 pages into pt
 * (HV_MAX_CONTIGUOUS_ALLOCATION_PAGES), ROOT_MEMORY 1 page and
 * CONTIGUOUS_ROOT_MEMORY 8 pages into the root partition itself.
 */
static long deposit_for(struct sim_partition *pt, uint64_t status, uint64_t pages)
{
	switch (status) {
	case HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY:
		return deposit_pages(pt, 8);
	case HV_STATUS_INSUFFICIENT_ROOT_MEMORY:
		return deposit_pages(NULL, 1);
	case HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY:
		return deposit_pages(NULL, 8);
	default:
		return deposit_pages(pt, pages);
	}
}

long sim_deposit_upfront(struct sim_partition *pt, uint64_t pages)
{
	return deposit_pages(pt, pages);
}

long sim_retry_after(struct sim_partition *pt, uint64_t status, uint64_t pages)
{
	if (!needs_memory(status))
		return sim_status_to_errno(status);
	return deposit_for(pt, status, pages);
}

/* ---- the driver's own hypercalls ------------------------------------------------------- */

/* One hypercall, with its MSHV_SIM_TRACE line. */
static uint64_t traced_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, uint16_t start,
			      const void *in, void *out, uint16_t *done)
{
	struct hv_call call = { pt ? pt->hv : NULL, reps, start, in, out, 0 };
	uint64_t status = hv_hypercall(code, &call);
	const char *name = mshv_hvcall_name(code);

	*done = call.reps_done;
	if (sim_cfg.trace)
		sim_trace("mshv-sim: hvcall %s(0x%04x) reps %u%s -> status 0x%llx reps %u", name ? name : "HVCALL_?",
			  code, reps, start ? " (restarted)" : "", (unsigned long long)status, *done);
	return status;
}

/*
 * The driver's hv_call_* helpers deposit and retry on a memory status in
 * every release (one page each time, restarting a rep call where it
 * stopped); another failure, or a failed deposit, ends the call.
 */
static uint64_t driver_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in, size_t in_size,
			      void *out, size_t out_size, long *err)
{
	uint64_t page_in[MSHV_HV_PAGE_SIZE / 8], page_out[MSHV_HV_PAGE_SIZE / 8];
	uint16_t done = 0;
	uint64_t status;

	memset(page_in, 0, sizeof(page_in));
	memset(page_out, 0, sizeof(page_out));
	memcpy(page_in, in, in_size);
	page_in[0] = pt ? hv_partition_id(pt->hv) : HV_PARTITION_ID_SELF;
	*err = 0;
	while ((status = traced_hvcall(pt, code, reps, done, page_in, page_out, &done)) != HV_STATUS_SUCCESS) {
		*err = sim_retry_after(pt, status, 1);
		if (*err)
			break;
	}
	if (status == HV_STATUS_SUCCESS && out_size)
		memcpy(out, page_out, out_size);
	return status;
}

uint64_t sim_driver_hvcall_status(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in,
				  size_t in_size, void *out, size_t out_size)
{
	long err;

	return driver_hvcall(pt, code, reps, in, in_size, out, out_size, &err);
}

long sim_driver_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in, size_t in_size,
		       void *out, size_t out_size)
{
	long err;

	driver_hvcall(pt, code, reps, in, in_size, out, out_size, &err);
	return err;
}

/* ---- MSHV_ROOT_HVCALL: allow-lists ---------------------------------------------------- */

/* mshv_passthru_hvcalls of 6.15-6.18: partition and VP fds. */
static const uint16_t list_6_15[] = {
	HVCALL_GET_PARTITION_PROPERTY,      HVCALL_SET_PARTITION_PROPERTY,    HVCALL_INSTALL_INTERCEPT,
	HVCALL_GET_VP_REGISTERS,            HVCALL_SET_VP_REGISTERS,          HVCALL_TRANSLATE_VIRTUAL_ADDRESS,
	HVCALL_CLEAR_VIRTUAL_INTERRUPT,     HVCALL_REGISTER_INTERCEPT_RESULT, HVCALL_ASSERT_VIRTUAL_INTERRUPT,
	HVCALL_GET_GPA_PAGES_ACCESS_STATES, HVCALL_SIGNAL_EVENT_DIRECT,       HVCALL_POST_MESSAGE_DIRECT,
	HVCALL_GET_VP_CPUID_VALUES,
};

/* 6.19 on partition and VP fds: 6.15's and HVCALL_GET_PARTITION_PROPERTY_EX. */
static const uint16_t list_6_19_extra[] = { HVCALL_GET_PARTITION_PROPERTY_EX };

/* 6.19 on /dev/mshv (mshv_self_passthru_hvcalls): the root partition's own properties. */
static const uint16_t list_self[] = { HVCALL_GET_PARTITION_PROPERTY, HVCALL_GET_PARTITION_PROPERTY_EX };

/* The 6.6-era driver, on every fd: 6.15's, _EX, GPA access and the SEV-SNP calls. */
static const uint16_t list_6_6_extra[] = {
	HVCALL_GET_PARTITION_PROPERTY_EX, HVCALL_READ_GPA, HVCALL_WRITE_GPA, HVCALL_IMPORT_ISOLATED_PAGES,
	HVCALL_COMPLETE_ISOLATED_IMPORT,  HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST,
};

static bool code_in(uint16_t code, const uint16_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == code)
			return true;
	return false;
}

#define IN_LIST(code, list) code_in(code, list, sizeof(list) / sizeof(list[0]))

/* Whether MSHV_ROOT_HVCALL passes code through on this kind of fd (the driver's allow-lists). */
static bool hvcall_allowed(enum sim_file_kind kind, uint16_t code)
{
	if (sim_legacy())
		return IN_LIST(code, list_6_15) || IN_LIST(code, list_6_6_extra);
	if (kind == SIM_FILE_SYSTEM)
		return IN_LIST(code, list_self); /* 6.19 on; 6.15 has no MSHV_ROOT_HVCALL there */
	if (IN_LIST(code, list_6_15))
		return true;
	return sim_mainline_since(SIM_KERNEL_6_19) && IN_LIST(code, list_6_19_extra);
}

/*
 * Calls that may complete asynchronously (HV_STATUS_CALL_PENDING): the
 * driver takes them on partition fds only. Mainline: setting a property;
 * the 6.6-era driver also the SEV-SNP import and PSP request.
 */
static bool hvcall_async(uint16_t code)
{
	if (code == HVCALL_SET_PARTITION_PROPERTY)
		return true;
	return sim_legacy() && (code == HVCALL_IMPORT_ISOLATED_PAGES || code == HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST);
}

/* ---- MSHV_ROOT_HVCALL: the call and its result, per release --------------------------- */

/* One MSHV_ROOT_HVCALL's hypercall: input page ready, output page zeroed. */
struct passthru {
	struct sim_partition *pt; /* NULL: the root partition itself */
	struct mshv_root_hvcall *args;
	const void *in;
	void *out;
};

/*
 * The 6.6-era driver: one call; status and reps completed copied back, the
 * output page too whatever the status (the elements a failed rep call
 * completed are in it). It deposits nothing here (as the simulator has
 * always modelled it).
 */
static long passthru_6_6(struct passthru *p, bool *copy_out)
{
	uint16_t done;
	uint64_t status = traced_hvcall(p->pt, p->args->code, p->args->reps, 0, p->in, p->out, &done);

	p->args->status = (uint16_t)status;
	p->args->reps = done;
	*copy_out = true;
	return sim_status_to_errno(status);
}

/*
 * 6.15-6.18: one call. HV_STATUS_INSUFFICIENT_MEMORY deposits one page
 * into the target partition and asks the caller to retry (-EAGAIN), or
 * gives the deposit's errno; status, reps (0 for a simple call) and the
 * output page are copied back whatever the result.
 */
static long passthru_6_15(struct passthru *p, bool *copy_out)
{
	uint16_t done;
	uint64_t status = traced_hvcall(p->pt, p->args->code, p->args->reps, 0, p->in, p->out, &done);
	long ret;

	if (status == HV_STATUS_INSUFFICIENT_MEMORY) {
		ret = deposit_pages(p->pt, 1);
		if (!ret)
			ret = -EAGAIN;
	} else {
		ret = sim_status_to_errno(status);
	}
	p->args->status = (uint16_t)status;
	p->args->reps = p->args->reps ? done : 0;
	*copy_out = true;
	return ret;
}

/*
 * 6.19 on: the driver deposits (needs_memory, deposit_for; into the
 * root itself for /dev/mshv) and retries until the call succeeds or fails
 * otherwise, a rep call restarting at the elements completed. Status and
 * reps completed are copied back always, the output page on success only.
 */
static long passthru_6_19(struct passthru *p, bool *copy_out)
{
	uint16_t done = 0;
	uint64_t status;
	long ret = 0;

	while ((status = traced_hvcall(p->pt, p->args->code, p->args->reps, done, p->in, p->out, &done)) !=
	       HV_STATUS_SUCCESS) {
		ret = sim_retry_after(p->pt, status, 1);
		if (ret)
			break;
	}
	p->args->status = (uint16_t)status;
	p->args->reps = p->args->reps ? done : 0;
	*copy_out = ret == 0;
	return ret;
}

/*
 * MSHV_ROOT_HVCALL on /dev/mshv (pt NULL: the root partition itself), a
 * partition fd or a VP fd (whose mutex the caller holds). Checks in the
 * driver's order; the input's first 8 bytes become the partition id; then
 * the release's way of calling and copying back. A copy-back that faults
 * makes the result -EFAULT, the output still being copied.
 */
long sim_root_hvcall(enum sim_file_kind kind, struct sim_partition *pt, void *uarg)
{
	struct mshv_root_hvcall args;
	uint64_t in[MSHV_HV_PAGE_SIZE / 8], out[MSHV_HV_PAGE_SIZE / 8];
	struct passthru p = { pt, &args, in, out };
	bool copy_out = false;
	long err, ret;
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
	if (!hvcall_allowed(kind, args.code))
		return -EINVAL;
	if (hvcall_async(args.code) && kind != SIM_FILE_PARTITION)
		return -EINVAL;
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	err = copy_from_user(in, (void *)(uintptr_t)args.in_ptr, args.in_sz);
	if (err)
		return err;
	in[0] = pt ? hv_partition_id(pt->hv) : HV_PARTITION_ID_SELF;
	if (sim_legacy())
		ret = passthru_6_6(&p, &copy_out);
	else if (sim_mainline_since(SIM_KERNEL_6_19))
		ret = passthru_6_19(&p, &copy_out);
	else
		ret = passthru_6_15(&p, &copy_out);
	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	if (copy_out && args.out_ptr && copy_to_user((void *)(uintptr_t)args.out_ptr, out, args.out_sz))
		ret = -EFAULT;
	return ret;
}

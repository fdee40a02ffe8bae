/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, hypervisor layer: the hypercalls a root partition issues, with
 * the hypervisor's input/output formats, rep counts and HV_STATUS results
 * (Hypervisor TLFS; layouts in mshv_hv_defs.h). One table row per
 * hypercall.
 *
 * Rep hypercalls process elements in order from rep_start and stop at the
 * first failing one: the status is that element's and reps_done counts the
 * elements completed before it, as the hypervisor reports partial
 * completion; the caller restarts a call at reps_done.
 */
#define _GNU_SOURCE
#include <string.h>

#include "hv_internal.h"

/* HV_GPA_ACCESS_RESULT_UNMAPPED (TLFS HvCallReadGpa): the only result code the headers lack. */
#define HV_SIM_GPA_ACCESS_RESULT_UNMAPPED 1

/*
 * The VP a call names, NULL when the partition has none at that index;
 * held (hv_vp_unref) so that closing it meanwhile waits for the call.
 */
static struct hv_vp *vp_of(struct hv_call *c, uint32_t index)
{
	return hv_partition_vp(c->pt, index);
}

/* Whether the partition has a VP at index (the calls that name one but do not work on it). */
static bool vp_exists(struct hv_call *c, uint32_t index)
{
	struct hv_vp *vp = hv_partition_vp(c->pt, index);

	if (vp)
		hv_vp_unref(vp);
	return vp != NULL;
}

/* ---- registers ------------------------------------------------------------- */

/*
 * The common start of HvCallGet/SetVpRegisters: reserved header fields, the
 * VP, exclusive access to it, and the root's pending register page writes.
 */
static uint64_t registers_begin(struct hv_call *c, uint32_t vp_index, uint8_t vtl, uint8_t rsvd_z8,
				uint16_t rsvd_z16, struct hv_vp **vp)
{
	uint64_t status;

	if (rsvd_z8 || rsvd_z16 || vtl)
		return HV_STATUS_INVALID_PARAMETER;
	*vp = vp_of(c, vp_index);
	if (!*vp)
		return HV_STATUS_INVALID_VP_INDEX;
	status = hv_vp_acquire(*vp);
	if (status != HV_STATUS_SUCCESS)
		hv_vp_unref(*vp);
	return status;
}

/* The end of HvCallGet/SetVpRegisters. */
static void registers_end(struct hv_vp *vp, bool changed)
{
	hv_vp_release(vp, changed);
	hv_vp_unref(vp);
}

static uint64_t get_vp_registers(struct hv_call *c)
{
	const struct hv_input_get_vp_registers *hdr = c->in;
	const uint8_t *names = (const uint8_t *)c->in + sizeof(*hdr);
	uint64_t status;
	struct hv_vp *vp;
	uint16_t i;

	if ((size_t)c->reps * sizeof(uint32_t) > MSHV_HV_PAGE_SIZE - sizeof(*hdr) ||
	    (size_t)c->reps * sizeof(union hv_register_value) > MSHV_HV_PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = registers_begin(c, hdr->vp_index, hdr->input_vtl.as_uint8, hdr->rsvd_z8, hdr->rsvd_z16, &vp);
	if (status != HV_STATUS_SUCCESS)
		return status;
	for (i = c->rep_start; i < c->reps; i++) {
		union hv_register_value v;
		uint32_t name;

		memcpy(&name, names + (size_t)i * sizeof(name), sizeof(name));
		status = hv_vp_get_register(vp, name, &v);
		if (status != HV_STATUS_SUCCESS)
			break;
		memcpy((uint8_t *)c->out + (size_t)i * sizeof(v), &v, sizeof(v));
	}
	registers_end(vp, false);
	c->reps_done = i;
	return status;
}

static uint64_t set_vp_registers(struct hv_call *c)
{
	const struct hv_input_set_vp_registers *hdr = c->in;
	const uint8_t *elems = (const uint8_t *)c->in + sizeof(*hdr);
	uint64_t status;
	struct hv_vp *vp;
	uint16_t i;

	if ((size_t)c->reps * sizeof(struct hv_register_assoc) > MSHV_HV_PAGE_SIZE - sizeof(*hdr))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = registers_begin(c, hdr->vp_index, hdr->input_vtl.as_uint8, hdr->rsvd_z8, hdr->rsvd_z16, &vp);
	if (status != HV_STATUS_SUCCESS)
		return status;
	for (i = c->rep_start; i < c->reps; i++) {
		struct hv_register_assoc a;
		union hv_register_value value;

		memcpy(&a, elems + (size_t)i * sizeof(a), sizeof(a));
		if (a.reserved1 || a.reserved2) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		memcpy(&value, (const uint8_t *)&a + offsetof(struct hv_register_assoc, value), sizeof(value));
		status = hv_vp_set_register(vp, a.name, &value);
		if (status != HV_STATUS_SUCCESS)
			break;
	}
	registers_end(vp, true);
	c->reps_done = i;
	return status;
}

/* ---- partition properties ------------------------------------------------------ */

/* A plain property value into the output page (both GET_PARTITION_PROPERTY forms). */
static uint64_t property_out(struct hv_call *c, uint32_t code)
{
	struct hv_output_get_partition_property o;
	uint64_t status, value;

	status = hv_partition_get_property(c->pt, code, &value);
	if (status == HV_STATUS_SUCCESS) {
		memset(&o, 0, sizeof(o));
		o.property_value = value;
		memcpy(c->out, &o, sizeof(o));
	}
	return status;
}

static uint64_t get_partition_property(struct hv_call *c)
{
	const struct hv_input_get_partition_property *a = c->in;

	return property_out(c, a->property_code);
}

static uint64_t set_partition_property(struct hv_call *c)
{
	const struct hv_input_set_partition_property *a = c->in;

	return hv_partition_set_property(c->pt, a->property_code, a->property_value);
}

static uint64_t get_partition_property_ex(struct hv_call *c)
{
	const struct hv_input_get_partition_property_ex *a = c->in;

	if (a->property_code == HV_PARTITION_PROPERTY_VMM_CAPABILITIES ||
	    a->property_code == HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES) {
		struct hv_partition_property_vmm_capabilities caps; /* {bank_count, reserved, banks[]} */

		memset(&caps, 0, sizeof(caps));
		caps.bank_count = 1;
		if (a->property_code == HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES)
			caps.as_uint64[0] = UINT64_MAX; /* every synthetic feature may be given to a guest */
		memcpy(c->out, &caps, sizeof(caps));
		return HV_STATUS_SUCCESS;
	}
	return property_out(c, a->property_code);
}

/* ---- intercepts and interrupts ----------------------------------------------------- */

static uint64_t install_intercept(struct hv_call *c)
{
	const struct hv_input_install_intercept *a = c->in;

	return hv_partition_install_intercept(c->pt, a->access_type, a->intercept_type, a->intercept_parameter);
}

static uint64_t assert_virtual_interrupt(struct hv_call *c)
{
	const struct hv_input_assert_virtual_interrupt *a = c->in;

	if (a->rsvd_z0 || a->rsvd_z1 || a->target_vtl)
		return HV_STATUS_INVALID_PARAMETER;
	if (a->control.interrupt_type >= HV_X64_INTERRUPT_TYPE_MAXIMUM || a->vector > 0xff)
		return HV_STATUS_INVALID_PARAMETER;
	return hv_partition_assert_interrupt(c->pt, a->control.interrupt_type, a->vector, a->dest_addr,
					     a->control.level_triggered, a->control.logical_dest_mode);
}

static uint64_t clear_virtual_interrupt(struct hv_call *c)
{
	(void)c;
	return HV_STATUS_SUCCESS;
}

static uint64_t register_intercept_result(struct hv_call *c)
{
	const struct hv_input_register_intercept_result *a = c->in;

	if (!vp_exists(c, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->intercept_type == HV_INTERCEPT_TYPE_X64_CPUID)
		return hv_partition_register_cpuid_result(c->pt, &a->parameters.cpuid);
	/*
	 * The per-MSR result (hv_register_x64_msr_result_parameters: index,
	 * access, an unimplemented-MSR action) is accepted and not modelled:
	 * no VMM we know of registers one and its semantics are undocumented.
	 */
	if (a->intercept_type == HV_INTERCEPT_TYPE_X64_MSR)
		return HV_STATUS_SUCCESS;
	return HV_STATUS_INVALID_PARAMETER;
}

/* ---- VP queries ---------------------------------------------------------------------- */

static uint64_t translate_virtual_address(struct hv_call *c)
{
	const struct hv_input_translate_virtual_address *a = c->in;
	struct hv_output_translate_virtual_address o;
	struct hv_vp *vp = vp_of(c, a->vp_index);
	uint32_t code = 0;
	uint64_t gpa = 0, status;

	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	status = hv_vp_acquire(vp);
	if (status == HV_STATUS_SUCCESS) {
		status = sim_x86_vcpu_translate_gva(vp->cpu, a->gva_page << 12, a->control_flags, &code, &gpa);
		hv_vp_release(vp, false);
	}
	hv_vp_unref(vp);
	if (status != HV_STATUS_SUCCESS)
		return status;
	memset(&o, 0, sizeof(o));
	o.translation_result.result_code = code;
	o.gpa_page = gpa >> 12;
	memcpy(c->out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t get_vp_cpuid_values(struct hv_call *c)
{
	const struct hv_input_get_vp_cpuid_values *a = c->in;
	const uint8_t *leaves = (const uint8_t *)c->in + sizeof(*a);
	struct hv_vp *vp;
	uint16_t i;

	if ((size_t)c->reps * sizeof(struct hv_cpuid_leaf_info) > MSHV_HV_PAGE_SIZE - sizeof(*a))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	vp = vp_of(c, a->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	for (i = c->rep_start; i < c->reps; i++) {
		struct hv_cpuid_leaf_info leaf;
		union hv_output_get_vp_cpuid_values r;

		memcpy(&leaf, leaves + (size_t)i * sizeof(leaf), sizeof(leaf));
		if (a->flags.apply_registered_values)
			sim_x86_vcpu_cpuid_registered(vp->cpu, leaf.eax, leaf.ecx, r.as_uint32);
		else
			sim_x86_vcpu_cpuid(vp->cpu, leaf.eax, leaf.ecx, r.as_uint32);
		memcpy((uint8_t *)c->out + (size_t)i * sizeof(r), &r, sizeof(r));
	}
	hv_vp_unref(vp);
	c->reps_done = i;
	return HV_STATUS_SUCCESS;
}

/* ---- SynIC: the root's direct messages and events (the CPU model's synic.c) -------- */

/*
 * HVCALL_SIGNAL_EVENT_DIRECT: sets the flag in the target SINT's event
 * flags (SIEFP page) and asserts the SINT when it was clear; output
 * newly_signaled. A SynIC, event page or SINT that is off signals nothing
 * (success, newly_signaled 0, as openvmm's hypervisor stand-in answers);
 * a flag past the SINT's 2048 is HV_STATUS_INVALID_PARAMETER.
 */
static uint64_t signal_event_direct(struct hv_call *c)
{
	const struct hv_input_signal_event_direct *a = c->in;
	struct hv_output_signal_event_direct o;
	struct hv_vp *vp;
	uint64_t status;
	bool newly;

	if (!(vp = hv_partition_vp(c->pt, a->target_vp)))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->target_sint >= 16 || a->target_vtl) {
		hv_vp_unref(vp);
		return HV_STATUS_INVALID_PARAMETER;
	}
	status = sim_x86_vcpu_signal_event(vp->cpu, a->target_sint, a->flag_number, &newly);
	hv_vp_unref(vp);
	memset(&o, 0, sizeof(o));
	o.newly_signaled = newly;
	memcpy(c->out, &o, sizeof(o));
	return status;
}

/*
 * HVCALL_POST_MESSAGE_DIRECT: the message into the target SINT's slot of
 * the SIMP page (synic.c: HV_STATUS_OBJECT_IN_USE while the slot is
 * taken, HV_STATUS_INVALID_SYNIC_STATE while the SynIC, page or SINT is
 * off). A message type of 0 (HVMSG_NONE, what marks a free slot), or a
 * payload longer than the 240 bytes a message holds, is
 * HV_STATUS_INVALID_PARAMETER.
 */
static uint64_t post_message_direct(struct hv_call *c)
{
	const struct hv_input_post_message_direct *a = c->in;
	struct hv_vp *vp;
	uint64_t status;
	uint32_t type;

	if (!(vp = hv_partition_vp(c->pt, a->vp_index)))
		return HV_STATUS_INVALID_VP_INDEX;
	memcpy(&type, a->message, sizeof(type));
	if (a->sint_index >= 16 || a->vtl || type == 0 || a->message[4] > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
		status = HV_STATUS_INVALID_PARAMETER;
	else
		status = sim_x86_vcpu_post_message(vp->cpu, a->sint_index, a->message);
	hv_vp_unref(vp);
	return status;
}

/* ---- guest memory ----------------------------------------------------------------- */

/* HVCALL_READ_GPA / HVCALL_WRITE_GPA: up to 16 bytes of guest memory, as the VP sees it. */
static uint64_t access_gpa(struct hv_call *c, bool write)
{
	const struct hv_input_write_gpa *a = c->in; /* the read input is its prefix */
	union hv_access_gpa_result result;
	uint8_t *host;

	if (!vp_exists(c, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->byte_count == 0 || a->byte_count > HV_READ_WRITE_GPA_MAX_SIZE)
		return HV_STATUS_INVALID_PARAMETER;
	memset(&result, 0, sizeof(result));
	host = hv_partition_gpa_to_host(c->pt, a->base_gpa, a->byte_count, write);
	if (!host) {
		result.result_code = HV_SIM_GPA_ACCESS_RESULT_UNMAPPED;
	} else if (write) {
		memcpy(host, a->data, a->byte_count);
	} else {
		struct hv_output_read_gpa o;

		memset(&o, 0, sizeof(o));
		memcpy(o.data, host, a->byte_count);
		memcpy(c->out, &o, sizeof(o));
	}
	memcpy(c->out, &result, sizeof(result));
	return HV_STATUS_SUCCESS;
}

static uint64_t read_gpa(struct hv_call *c)
{
	return access_gpa(c, false);
}

static uint64_t write_gpa(struct hv_call *c)
{
	return access_gpa(c, true);
}

/* HvCallGetGpaPagesAccessStates: one state byte per page (union hv_gpa_page_access_state). */
static uint64_t get_gpa_pages_access_states(struct hv_call *c)
{
	struct hv_input_get_gpa_pages_access_state a;
	struct hv_partition *pt = c->pt;
	uint16_t i;

	memcpy(&a, c->in, sizeof(a));
	if (a.flags.as_uint64 & ~0xfull)
		return HV_STATUS_INVALID_PARAMETER;
	if (c->reps > MSHV_HV_PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	pthread_mutex_lock(&pt->lock);
	if (!pt->access_tracking) {
		pthread_mutex_unlock(&pt->lock);
		return HV_STATUS_INVALID_PARTITION_STATE;
	}
	for (i = c->rep_start; i < c->reps; i++)
		((uint8_t *)c->out)[i] = hv_partition_page_state(pt, a.hv_gpa_page_number + i, a.flags.as_uint64);
	pthread_mutex_unlock(&pt->lock);
	c->reps_done = i;
	return HV_STATUS_SUCCESS;
}

/* ---- SEV-SNP: accepted on isolated partitions, not modelled further ------------------ */

static uint64_t isolated_only(struct hv_call *c)
{
	return c->pt->isolation ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_STATE;
}

/* ---- the table ------------------------------------------------------------------------- */

/*
 * The calls a root partition may make (the driver decides which of them a
 * VMM may pass through). "root": also on the root partition itself, whose
 * properties alone are modelled. "alloc": the calls that take hypervisor
 * memory for what they keep (a property, an intercept, a registered
 * result); the simulator's choice of the set, after the calls the kernel
 * surrounds with deposit-and-retry loops.
 */
static const struct hv_hypercall hypercalls[] = {
	/* code                               rep    root   alloc  handler */
	{ HVCALL_GET_PARTITION_PROPERTY,      false, true,  false, get_partition_property },
	{ HVCALL_SET_PARTITION_PROPERTY,      false, false, true,  set_partition_property },
	{ HVCALL_INSTALL_INTERCEPT,           false, false, true,  install_intercept },
	{ HVCALL_GET_VP_REGISTERS,            true,  false, false, get_vp_registers },
	{ HVCALL_SET_VP_REGISTERS,            true,  false, false, set_vp_registers },
	{ HVCALL_TRANSLATE_VIRTUAL_ADDRESS,   false, false, false, translate_virtual_address },
	{ HVCALL_READ_GPA,                    false, false, false, read_gpa },
	{ HVCALL_WRITE_GPA,                   false, false, false, write_gpa },
	{ HVCALL_CLEAR_VIRTUAL_INTERRUPT,     false, false, false, clear_virtual_interrupt },
	{ HVCALL_REGISTER_INTERCEPT_RESULT,   false, false, true,  register_intercept_result },
	{ HVCALL_ASSERT_VIRTUAL_INTERRUPT,    false, false, false, assert_virtual_interrupt },
	{ HVCALL_SIGNAL_EVENT_DIRECT,         false, false, false, signal_event_direct },
	{ HVCALL_POST_MESSAGE_DIRECT,         false, false, false, post_message_direct },
	{ HVCALL_GET_GPA_PAGES_ACCESS_STATES, true,  false, false, get_gpa_pages_access_states },
	{ HVCALL_IMPORT_ISOLATED_PAGES,       true,  false, false, isolated_only },
	{ HVCALL_COMPLETE_ISOLATED_IMPORT,    false, false, false, isolated_only },
	{ HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST, false, false, false, isolated_only },
	{ HVCALL_GET_VP_CPUID_VALUES,         true,  false, false, get_vp_cpuid_values },
	{ HVCALL_GET_PARTITION_PROPERTY_EX,   false, true,  false, get_partition_property_ex },
};

static const struct hv_hypercall *hypercall_find(uint16_t code)
{
	size_t i;

	for (i = 0; i < sizeof(hypercalls) / sizeof(hypercalls[0]); i++)
		if (hypercalls[i].code == code)
			return &hypercalls[i];
	return NULL;
}

uint64_t hv_hypercall(uint16_t code, struct hv_call *call)
{
	const struct hv_hypercall *h = hypercall_find(code);
	uint64_t status;

	call->reps_done = call->rep_start;
	if (!call->pt)
		/* The root partition itself: only its properties are modelled. */
		return h && h->root ? h->handler(call) : HV_STATUS_ACCESS_DENIED;
	if (!h)
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	if (!h->rep && (call->reps || call->rep_start))
		return HV_STATUS_INVALID_HYPERCALL_INPUT; /* TLFS: a simple call's rep count is zero */
	if (h->rep && call->rep_start > call->reps)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->allocates) {
		pthread_mutex_lock(&call->pt->lock);
		status = hv_partition_allocate(call->pt);
		pthread_mutex_unlock(&call->pt->lock);
		if (status != HV_STATUS_SUCCESS)
			return status;
	}
	return h->handler(call);
}

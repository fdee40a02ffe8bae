/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: the hypercalls a root partition issues through MSHV_ROOT_HVCALL,
 * with the hypervisor's input/output formats, rep counts and HV_STATUS
 * results (Hypervisor TLFS; layouts in mshv_hv_defs.h).
 *
 * Rep hypercalls process elements in order and stop at the first failing
 * one: the status is that element's and *reps_done counts the elements
 * completed before it, as the hypervisor reports partial completion.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim.h"

/* The driver's allowlist for MSHV_ROOT_HVCALL, with names for tracing. */
#define SIM_HVCALLS(X)                                  \
	X(HVCALL_GET_PARTITION_PROPERTY)                \
	X(HVCALL_SET_PARTITION_PROPERTY)                \
	X(HVCALL_INSTALL_INTERCEPT)                     \
	X(HVCALL_GET_VP_REGISTERS)                      \
	X(HVCALL_SET_VP_REGISTERS)                      \
	X(HVCALL_TRANSLATE_VIRTUAL_ADDRESS)             \
	X(HVCALL_CLEAR_VIRTUAL_INTERRUPT)               \
	X(HVCALL_REGISTER_INTERCEPT_RESULT)             \
	X(HVCALL_ASSERT_VIRTUAL_INTERRUPT)              \
	X(HVCALL_SIGNAL_EVENT_DIRECT)                   \
	X(HVCALL_POST_MESSAGE_DIRECT)                   \
	X(HVCALL_GET_VP_CPUID_VALUES)                   \
	X(HVCALL_GET_PARTITION_PROPERTY_EX)

const char *sim_hvcall_name(uint16_t code)
{
	switch (code) {
#define SIM_HVCALL_CASE(name) \
	case name:            \
		return #name;
		SIM_HVCALLS(SIM_HVCALL_CASE)
#undef SIM_HVCALL_CASE
	default:
		return NULL;
	}
}

static struct sim_vp *vp_by_index(struct sim_partition *pt, uint32_t index)
{
	return index < SIM_MAX_VPS ? pt->vps[index] : NULL;
}

/* ---- registers ------------------------------------------------------------- */

static uint64_t hv_get_vp_registers(struct sim_partition *pt, uint16_t reps, const void *in, size_t in_size,
				    void *out, size_t out_size, uint16_t *reps_done)
{
	const struct hv_input_get_vp_registers *hdr = in;
	union hv_register_value *values = out;
	struct sim_vp *vp;
	uint32_t names[(MSHV_HV_PAGE_SIZE - sizeof(*hdr)) / sizeof(uint32_t)];
	uint64_t status = HV_STATUS_SUCCESS;
	uint16_t i;

	if (in_size < sizeof(*hdr) + (size_t)reps * sizeof(uint32_t) ||
	    out_size < (size_t)reps * sizeof(union hv_register_value))
		return HV_STATUS_INVALID_PARAMETER;
	if (hdr->rsvd_z8 || hdr->rsvd_z16)
		return HV_STATUS_INVALID_PARAMETER;
	vp = vp_by_index(pt, hdr->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	memcpy(names, (const char *)in + sizeof(*hdr), (size_t)reps * sizeof(uint32_t));
	if (pthread_mutex_trylock(&vp->run_lock))
		return HV_STATUS_INVALID_VP_STATE;
	for (i = 0; i < reps; i++) {
		union hv_register_value v;

		status = sim_x86_vcpu_get_register(vp->cpu, names[i], &v);
		if (status != HV_STATUS_SUCCESS)
			break;
		memcpy(&values[i], &v, sizeof(v));
	}
	pthread_mutex_unlock(&vp->run_lock);
	*reps_done = i;
	return status;
}

static uint64_t hv_set_vp_registers(struct sim_partition *pt, uint16_t reps, const void *in, size_t in_size,
				    uint16_t *reps_done)
{
	const struct hv_input_set_vp_registers *hdr = in;
	const char *elems = (const char *)in + sizeof(*hdr);
	uint64_t status = HV_STATUS_SUCCESS;
	struct sim_vp *vp;
	uint16_t i;

	if (in_size < sizeof(*hdr) + (size_t)reps * sizeof(struct hv_register_assoc))
		return HV_STATUS_INVALID_PARAMETER;
	if (hdr->rsvd_z8 || hdr->rsvd_z16)
		return HV_STATUS_INVALID_PARAMETER;
	vp = vp_by_index(pt, hdr->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	if (pthread_mutex_trylock(&vp->run_lock))
		return HV_STATUS_INVALID_VP_STATE;
	for (i = 0; i < reps; i++) {
		struct hv_register_assoc a;
		union hv_register_value value;

		memcpy(&a, elems + (size_t)i * sizeof(a), sizeof(a));
		if (a.reserved1 || a.reserved2) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		memcpy(&value, (const char *)&a + offsetof(struct hv_register_assoc, value), sizeof(value));
		status = sim_x86_vcpu_set_register(vp->cpu, a.name, &value);
		if (status != HV_STATUS_SUCCESS)
			break;
	}
	/* The register page no longer shows the VP's state. */
	if (i && vp->regpage)
		vp->regpage->isvalid = 0;
	pthread_mutex_unlock(&vp->run_lock);
	*reps_done = i;
	return status;
}

/* ---- partition properties ------------------------------------------------------ */

static bool property_known(uint32_t code)
{
	switch (code) {
	case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
	case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
	case HV_PARTITION_PROPERTY_SUSPEND:
	case HV_PARTITION_PROPERTY_CPU_RESERVE:
	case HV_PARTITION_PROPERTY_CPU_CAP:
	case HV_PARTITION_PROPERTY_CPU_WEIGHT:
	case HV_PARTITION_PROPERTY_CPU_GROUP_ID:
	case HV_PARTITION_PROPERTY_TIME_FREEZE:
	case HV_PARTITION_PROPERTY_REFERENCE_TIME:
	case HV_PARTITION_PROPERTY_DEBUG_CHANNEL_ID:
	case HV_PARTITION_PROPERTY_VIRTUAL_TLB_PAGE_COUNT:
	case HV_PARTITION_PROPERTY_VSM_CONFIG:
	case HV_PARTITION_PROPERTY_ZERO_MEMORY_ON_RESET:
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
	case HV_PARTITION_PROPERTY_NESTED_TLB_SIZE:
	case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
	case HV_PARTITION_PROPERTY_ISOLATION_STATE:
	case HV_PARTITION_PROPERTY_ISOLATION_CONTROL:
	case HV_PARTITION_PROPERTY_ALLOCATION_ID:
	case HV_PARTITION_PROPERTY_MONITORING_ID:
	case HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS:
	case HV_PARTITION_PROPERTY_NON_ARCHITECTURAL_CORE_SHARING:
	case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
	case HV_PARTITION_PROPERTY_PROCESSOR_VENDOR:
	case HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES:
	case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
	case HV_PARTITION_PROPERTY_XSAVE_STATES:
	case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
	case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1:
	case HV_PARTITION_PROPERTY_GUEST_OS_ID:
	case HV_PARTITION_PROPERTY_PROCESSOR_VIRTUALIZATION_FEATURES:
		return true;
	default:
		return false;
	}
}

/* Values a fresh partition reports before the VMM sets anything. */
static uint64_t property_default(uint32_t code)
{
	switch (code) {
	case HV_PARTITION_PROPERTY_PROCESSOR_VENDOR:
		return 0; /* HV_PROCESSOR_VENDOR_INTEL */
	case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
		return 8; /* CPUID.1:EBX[15:8], in 8-byte units */
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
	case HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS:
		return 48;
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
		return 1;
	default:
		return 0;
	}
}

static struct sim_property *property_slot(struct sim_partition *pt, uint32_t code, bool create)
{
	size_t i;

	for (i = 0; i < pt->nprops; i++)
		if (pt->props[i].code == code)
			return &pt->props[i];
	if (!create || pt->nprops == SIM_MAX_PROPERTIES)
		return NULL;
	pt->props[pt->nprops].code = code;
	pt->props[pt->nprops].value = property_default(code);
	return &pt->props[pt->nprops++];
}

static uint64_t hv_get_partition_property(struct sim_partition *pt, const void *in, size_t in_size, void *out,
					  size_t out_size)
{
	const struct hv_input_get_partition_property *a = in;
	struct hv_output_get_partition_property o;
	struct sim_property *p;

	if (in_size < sizeof(*a) || out_size < sizeof(o))
		return HV_STATUS_INVALID_PARAMETER;
	if (!property_known(a->property_code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	pthread_mutex_lock(&pt->lock);
	p = property_slot(pt, a->property_code, false);
	o.property_value = p ? p->value : property_default(a->property_code);
	pthread_mutex_unlock(&pt->lock);
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_set_partition_property(struct sim_partition *pt, const void *in, size_t in_size)
{
	const struct hv_input_set_partition_property *a = in;
	struct sim_property *p;

	if (in_size < sizeof(*a))
		return HV_STATUS_INVALID_PARAMETER;
	if (!property_known(a->property_code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	pthread_mutex_lock(&pt->lock);
	p = property_slot(pt, a->property_code, true);
	if (p)
		p->value = a->property_value;
	pthread_mutex_unlock(&pt->lock);
	return p ? HV_STATUS_SUCCESS : HV_STATUS_INSUFFICIENT_MEMORY;
}

static uint64_t hv_get_partition_property_ex(struct sim_partition *pt, const void *in, size_t in_size,
					     void *out, size_t out_size)
{
	const struct hv_input_get_partition_property_ex *a = in;

	if (in_size < sizeof(*a))
		return HV_STATUS_INVALID_PARAMETER;
	if (a->property_code == HV_PARTITION_PROPERTY_VMM_CAPABILITIES) {
		struct hv_partition_property_vmm_capabilities caps;

		if (out_size < sizeof(caps))
			return HV_STATUS_INVALID_PARAMETER;
		memset(&caps, 0, sizeof(caps));
		caps.bank_count = 1;
		memcpy(out, &caps, sizeof(caps));
		return HV_STATUS_SUCCESS;
	}
	if (out_size < sizeof(uint64_t))
		return HV_STATUS_INVALID_PARAMETER;
	{
		struct hv_input_get_partition_property plain;

		plain.partition_id = a->partition_id;
		plain.property_code = a->property_code;
		plain.padding = 0;
		return hv_get_partition_property(pt, &plain, sizeof(plain), out, out_size);
	}
}

/* ---- intercepts and interrupts ----------------------------------------------------- */

static uint64_t hv_install_intercept(struct sim_partition *pt, const void *in, size_t in_size)
{
	const struct hv_input_install_intercept *a = in;
	size_t i;

	if (in_size < sizeof(*a))
		return HV_STATUS_INVALID_PARAMETER;
	if (a->access_type & ~(uint32_t)(HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE |
					 HV_INTERCEPT_ACCESS_MASK_EXECUTE))
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&pt->lock);
	switch (a->intercept_type) {
	case HV_INTERCEPT_TYPE_X64_CPUID:
	case HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID:
		pt->intercepts.cpuid = true;
		break;
	case HV_INTERCEPT_TYPE_X64_MSR:
	case HV_INTERCEPT_TYPE_X64_MSR_INDEX:
		pt->intercepts.msr = true;
		break;
	case HV_INTERCEPT_TYPE_EXCEPTION:
		if (a->intercept_parameter.as_uint64 >= 32) {
			pthread_mutex_unlock(&pt->lock);
			return HV_STATUS_INVALID_PARAMETER;
		}
		pt->intercepts.exception_bitmap |= 1u << a->intercept_parameter.as_uint64;
		break;
	case HV_INTERCEPT_TYPE_X64_IO_PORT:
	case HV_INTERCEPT_TYPE_MMIO:
	case HV_INTERCEPT_TYPE_HYPERCALL:
	case HV_INTERCEPT_TYPE_X64_APIC_SMI:
	case HV_INTERCEPT_TYPE_X64_APIC_INIT_SIPI:
	case HV_INTERCEPT_TYPE_X64_APIC_WRITE:
		break; /* port IO and unmapped GPAs always reach the root here */
	default:
		pthread_mutex_unlock(&pt->lock);
		return HV_STATUS_INVALID_PARAMETER;
	}
	for (i = 0; i < SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_x86_vcpu_set_intercepts(pt->vps[i]->cpu, &pt->intercepts);
	pthread_mutex_unlock(&pt->lock);
	return HV_STATUS_SUCCESS;
}

/* x86 MSI address: destination APIC ID in bits 19:12. */
uint64_t sim_assert_interrupt(struct sim_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
			      bool level, bool logical)
{
	uint64_t status = HV_STATUS_INVALID_VP_INDEX;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < SIM_MAX_VPS; i++) {
		struct sim_vp *vp = pt->vps[i];

		if (!vp)
			continue;
		if (logical ? (dest & (1ull << vp->index)) != 0 : dest == vp->index) {
			status = sim_x86_vcpu_assert_interrupt(vp->cpu, type, vector, level);
			if (!logical || status != HV_STATUS_SUCCESS)
				break;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

static uint64_t hv_assert_virtual_interrupt(struct sim_partition *pt, const void *in, size_t in_size)
{
	const struct hv_input_assert_virtual_interrupt *a = in;

	if (in_size < sizeof(*a))
		return HV_STATUS_INVALID_PARAMETER;
	if (a->rsvd_z0 || a->rsvd_z1 || a->control.rsvd)
		return HV_STATUS_INVALID_PARAMETER;
	if (a->vector > 0xff)
		return HV_STATUS_INVALID_PARAMETER;
	return sim_assert_interrupt(pt, a->control.interrupt_type, a->vector, a->dest_addr,
				    a->control.level_triggered, a->control.logical_dest_mode);
}

static uint64_t hv_translate_virtual_address(struct sim_partition *pt, const void *in, size_t in_size, void *out,
					     size_t out_size)
{
	const struct hv_input_translate_virtual_address *a = in;
	struct hv_output_translate_virtual_address o;
	struct sim_vp *vp;
	uint32_t code = 0;
	uint64_t gpa = 0, status;

	if (in_size < sizeof(*a) || out_size < sizeof(o))
		return HV_STATUS_INVALID_PARAMETER;
	vp = vp_by_index(pt, a->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	if (pthread_mutex_trylock(&vp->run_lock))
		return HV_STATUS_INVALID_VP_STATE;
	status = sim_x86_vcpu_translate_gva(vp->cpu, a->gva_page << 12, a->control_flags, &code, &gpa);
	pthread_mutex_unlock(&vp->run_lock);
	if (status != HV_STATUS_SUCCESS)
		return status;
	memset(&o, 0, sizeof(o));
	o.translation_result.result_code = code;
	o.gpa_page = gpa >> 12;
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_get_vp_cpuid_values(struct sim_partition *pt, uint16_t reps, const void *in, size_t in_size,
				       void *out, size_t out_size, uint16_t *reps_done)
{
	const struct hv_input_get_vp_cpuid_values *a = in;
	const char *leaves = (const char *)in + sizeof(*a);
	struct sim_vp *vp;
	uint16_t i;

	if (in_size < sizeof(*a) + (size_t)reps * sizeof(struct hv_cpuid_leaf_info) ||
	    out_size < (size_t)reps * sizeof(union hv_output_get_vp_cpuid_values))
		return HV_STATUS_INVALID_PARAMETER;
	vp = vp_by_index(pt, a->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	for (i = 0; i < reps; i++) {
		struct hv_cpuid_leaf_info leaf;
		union hv_output_get_vp_cpuid_values r;

		memcpy(&leaf, leaves + (size_t)i * sizeof(leaf), sizeof(leaf));
		sim_x86_vcpu_cpuid(vp->cpu, leaf.eax, leaf.ecx, r.as_uint32);
		memcpy((char *)out + (size_t)i * sizeof(r), &r, sizeof(r));
	}
	*reps_done = i;
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_signal_event_direct(struct sim_partition *pt, const void *in, size_t in_size, void *out,
				       size_t out_size)
{
	const struct hv_input_signal_event_direct *a = in;
	struct hv_output_signal_event_direct o;

	if (in_size < sizeof(*a) || out_size < sizeof(o))
		return HV_STATUS_INVALID_PARAMETER;
	if (!vp_by_index(pt, a->target_vp))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->target_sint >= 16)
		return HV_STATUS_INVALID_PARAMETER;
	/* The guest's SynIC event page is not modelled yet: the flag counts as newly signalled. */
	memset(&o, 0, sizeof(o));
	o.newly_signaled = 1;
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_post_message_direct(struct sim_partition *pt, const void *in, size_t in_size)
{
	const struct hv_input_post_message_direct *a = in;

	if (in_size < sizeof(*a))
		return HV_STATUS_INVALID_PARAMETER;
	if (!vp_by_index(pt, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->sint_index >= 16)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

uint64_t sim_hvcall(struct sim_partition *pt, struct sim_vp *vp, uint16_t code, uint16_t reps, const void *in,
		    size_t in_size, void *out, size_t out_size, uint16_t *reps_done)
{
	(void)vp;
	*reps_done = 0;
	switch (code) {
	case HVCALL_GET_VP_REGISTERS:
		return hv_get_vp_registers(pt, reps, in, in_size, out, out_size, reps_done);
	case HVCALL_SET_VP_REGISTERS:
		return hv_set_vp_registers(pt, reps, in, in_size, reps_done);
	case HVCALL_GET_PARTITION_PROPERTY:
		return hv_get_partition_property(pt, in, in_size, out, out_size);
	case HVCALL_SET_PARTITION_PROPERTY:
		return hv_set_partition_property(pt, in, in_size);
	case HVCALL_GET_PARTITION_PROPERTY_EX:
		return hv_get_partition_property_ex(pt, in, in_size, out, out_size);
	case HVCALL_INSTALL_INTERCEPT:
		return hv_install_intercept(pt, in, in_size);
	case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
		return hv_assert_virtual_interrupt(pt, in, in_size);
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
		return hv_translate_virtual_address(pt, in, in_size, out, out_size);
	case HVCALL_GET_VP_CPUID_VALUES:
		return hv_get_vp_cpuid_values(pt, reps, in, in_size, out, out_size, reps_done);
	case HVCALL_SIGNAL_EVENT_DIRECT:
		return hv_signal_event_direct(pt, in, in_size, out, out_size);
	case HVCALL_POST_MESSAGE_DIRECT:
		return hv_post_message_direct(pt, in, in_size);
	default:
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	}
}

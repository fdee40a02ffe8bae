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

#define SIM_HVCALL_GET_GPA_PAGES_ACCESS_STATES 0x00c9
#define SIM_HV_GPA_ACCESS_RESULT_UNMAPPED 1 /* HV_GPA_ACCESS_RESULT_UNMAPPED (TLFS) */

/* A hypercall's name for tracing (mshv.h's table, plus the one hv-headers/ lacks). */
const char *sim_hvcall_name(uint16_t code)
{
	if (code == SIM_HVCALL_GET_GPA_PAGES_ACCESS_STATES)
		return "HVCALL_GET_GPA_PAGES_ACCESS_STATES";
	return mshv_hvcall_name(code);
}

/*
 * The driver's allowlists for MSHV_ROOT_HVCALL. Upstream: the partition/VP
 * list (with GET_PARTITION_PROPERTY_EX), and on /dev/mshv the two property
 * reads. The downstream driver adds GPA read/write and the SNP import calls,
 * and accepts its whole list on /dev/mshv.
 */
bool sim_hvcall_allowed(enum sim_obj_kind kind, uint16_t code)
{
	bool legacy = sim_cfg.abi == SIM_ABI_LEGACY;

	if (kind == SIM_OBJ_SYSTEM && !legacy)
		return code == HVCALL_GET_PARTITION_PROPERTY || code == HVCALL_GET_PARTITION_PROPERTY_EX;
	switch (code) {
	case HVCALL_GET_PARTITION_PROPERTY:
	case HVCALL_SET_PARTITION_PROPERTY:
	case HVCALL_INSTALL_INTERCEPT:
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
	case HVCALL_CLEAR_VIRTUAL_INTERRUPT:
	case HVCALL_REGISTER_INTERCEPT_RESULT:
	case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
	case SIM_HVCALL_GET_GPA_PAGES_ACCESS_STATES:
	case HVCALL_SIGNAL_EVENT_DIRECT:
	case HVCALL_POST_MESSAGE_DIRECT:
	case HVCALL_GET_VP_CPUID_VALUES:
	case HVCALL_GET_PARTITION_PROPERTY_EX:
		return true;
	case HVCALL_READ_GPA:
	case HVCALL_WRITE_GPA:
	case HVCALL_IMPORT_ISOLATED_PAGES:
	case HVCALL_COMPLETE_ISOLATED_IMPORT:
	case HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST:
		return legacy;
	default:
		return false;
	}
}

/* Calls that may complete asynchronously: the driver takes them on partition fds only. */
bool sim_hvcall_is_async(uint16_t code)
{
	if (code == HVCALL_SET_PARTITION_PROPERTY)
		return true;
	return sim_cfg.abi == SIM_ABI_LEGACY &&
	       (code == HVCALL_IMPORT_ISOLATED_PAGES || code == HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST);
}

static struct sim_vp *vp_by_index(struct sim_partition *pt, uint32_t index)
{
	return index < SIM_MAX_VPS ? pt->vps[index] : NULL;
}

/*
 * Take a VP for register or state access. The VP fd's ioctls already hold
 * its run lock (they wait for MSHV_RUN_VP, as the driver's vp_mutex makes
 * them); from the partition fd a running VP is HV_STATUS_INVALID_VP_STATE.
 */
static uint64_t vp_acquire(struct sim_vp *vp, struct sim_vp *locked)
{
	if (vp == locked)
		return HV_STATUS_SUCCESS;
	return pthread_mutex_trylock(&vp->run_lock) ? HV_STATUS_INVALID_VP_STATE : HV_STATUS_SUCCESS;
}

static void vp_release(struct sim_vp *vp, struct sim_vp *locked)
{
	if (vp != locked)
		pthread_mutex_unlock(&vp->run_lock);
}

/* ---- registers ------------------------------------------------------------- */

/* Registers the hypervisor keeps for the root rather than in the CPU. */
static bool vp_get_special(struct sim_vp *vp, uint32_t name, union hv_register_value *v, uint64_t *status)
{
	memset(v, 0, sizeof(*v));
	*status = HV_STATUS_SUCCESS;
	switch (name) {
	case HV_REGISTER_EXPLICIT_SUSPEND:
		v->reg64 = vp->explicit_suspend;
		return true;
	case HV_REGISTER_INTERCEPT_SUSPEND:
		v->reg64 = vp->intercept_suspend;
		return true;
	case HV_REGISTER_DISPATCH_SUSPEND:
		return true;
	case HV_REGISTER_DELIVERABILITY_NOTIFICATIONS:
		v->reg64 = vp->deliverability_notifications;
		return true;
	default:
		return false;
	}
}

static bool vp_set_special(struct sim_vp *vp, uint32_t name, const union hv_register_value *v, uint64_t *status)
{
	*status = HV_STATUS_SUCCESS;
	switch (name) {
	case HV_REGISTER_EXPLICIT_SUSPEND:
	case HV_REGISTER_INTERCEPT_SUSPEND:
		if (v->reg64 > 1) {
			*status = HV_STATUS_INVALID_REGISTER_VALUE;
			return true;
		}
		if (name == HV_REGISTER_EXPLICIT_SUSPEND)
			vp->explicit_suspend = v->reg64;
		else
			vp->intercept_suspend = v->reg64;
		return true;
	case HV_REGISTER_DISPATCH_SUSPEND:
		*status = HV_STATUS_INVALID_PARAMETER;
		return true;
	case HV_REGISTER_DELIVERABILITY_NOTIFICATIONS:
		/* Only the SINT bits (16) are accepted: the simulator does not
		 * model interrupt-window or NMI deliverability notifications. */
		if (v->reg64 & ~0xffff0000ull) {
			*status = HV_STATUS_INVALID_PARAMETER;
			return true;
		}
		vp->deliverability_notifications = v->reg64;
		return true;
	default:
		return false;
	}
}

/*
 * The common start of HvCallGet/SetVpRegisters: reserved header fields, the
 * VP, exclusive access to it, and the VMM's pending register page writes.
 */
static uint64_t registers_begin(struct sim_partition *pt, struct sim_vp *locked, uint32_t vp_index, uint8_t vtl,
				uint8_t rsvd_z8, uint16_t rsvd_z16, struct sim_vp **vp)
{
	uint64_t status;

	if (rsvd_z8 || rsvd_z16 || vtl)
		return HV_STATUS_INVALID_PARAMETER;
	*vp = vp_by_index(pt, vp_index);
	if (!*vp)
		return HV_STATUS_INVALID_VP_INDEX;
	status = vp_acquire(*vp, locked);
	if (status == HV_STATUS_SUCCESS)
		sim_vp_apply_register_page(*vp);
	return status;
}

static uint64_t hv_get_vp_registers(struct sim_partition *pt, struct sim_vp *locked, uint16_t reps,
				    const void *in, void *out, uint16_t *reps_done)
{
	const struct hv_input_get_vp_registers *hdr = in;
	const uint8_t *names = (const uint8_t *)in + sizeof(*hdr);
	uint64_t status = HV_STATUS_SUCCESS;
	struct sim_vp *vp;
	uint16_t i;

	if ((size_t)reps * sizeof(uint32_t) > MSHV_HV_PAGE_SIZE - sizeof(*hdr) ||
	    (size_t)reps * sizeof(union hv_register_value) > MSHV_HV_PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = registers_begin(pt, locked, hdr->vp_index, hdr->input_vtl.as_uint8, hdr->rsvd_z8, hdr->rsvd_z16, &vp);
	if (status != HV_STATUS_SUCCESS)
		return status;
	for (i = 0; i < reps; i++) {
		union hv_register_value v;
		uint32_t name;

		memcpy(&name, names + (size_t)i * sizeof(name), sizeof(name));
		if (!vp_get_special(vp, name, &v, &status))
			status = sim_x86_vcpu_get_register(vp->cpu, name, &v);
		if (status != HV_STATUS_SUCCESS)
			break;
		memcpy((uint8_t *)out + (size_t)i * sizeof(v), &v, sizeof(v));
	}
	vp_release(vp, locked);
	*reps_done = i;
	return status;
}

static uint64_t hv_set_vp_registers(struct sim_partition *pt, struct sim_vp *locked, uint16_t reps,
				    const void *in, uint16_t *reps_done)
{
	const struct hv_input_set_vp_registers *hdr = in;
	const uint8_t *elems = (const uint8_t *)in + sizeof(*hdr);
	uint64_t status = HV_STATUS_SUCCESS;
	struct sim_vp *vp;
	uint16_t i;

	if ((size_t)reps * sizeof(struct hv_register_assoc) > MSHV_HV_PAGE_SIZE - sizeof(*hdr))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = registers_begin(pt, locked, hdr->vp_index, hdr->input_vtl.as_uint8, hdr->rsvd_z8, hdr->rsvd_z16, &vp);
	if (status != HV_STATUS_SUCCESS)
		return status;
	for (i = 0; i < reps; i++) {
		struct hv_register_assoc a;
		union hv_register_value value;

		memcpy(&a, elems + (size_t)i * sizeof(a), sizeof(a));
		if (a.reserved1 || a.reserved2) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		memcpy(&value, (const uint8_t *)&a + offsetof(struct hv_register_assoc, value), sizeof(value));
		if (!vp_set_special(vp, a.name, &value, &status))
			status = sim_x86_vcpu_set_register(vp->cpu, a.name, &value);
		if (status != HV_STATUS_SUCCESS)
			break;
	}
	sim_vp_refresh_register_page(vp);
	vp_release(vp, locked);
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

/* Values a fresh partition (and the root) reports before anything is set. */
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
	case HV_PARTITION_PROPERTY_XSAVE_STATES:
		return 0x3; /* x87 and SSE: what the CPU model saves */
	case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
		return 576; /* legacy area, XSAVE header: the compacted x87+SSE image */
	case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
		return 2000000000ull;
	case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
		return 0x00000000ffffffffull; /* the root's processor features, bank 0 */
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

static uint64_t hv_get_partition_property(struct sim_partition *pt, const void *in, void *out)
{
	const struct hv_input_get_partition_property *a = in;
	struct hv_output_get_partition_property o;
	struct sim_property *p = NULL;

	if (!property_known(a->property_code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	if (pt) {
		pthread_mutex_lock(&pt->lock);
		p = property_slot(pt, a->property_code, false);
		o.property_value = p ? p->value : property_default(a->property_code);
		pthread_mutex_unlock(&pt->lock);
	} else {
		o.property_value = property_default(a->property_code);
	}
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

/* Properties that only a partition being created may change. */
static bool property_early(uint32_t code)
{
	return code == HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS || code == HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES ||
	       code == HV_PARTITION_PROPERTY_PROCESSOR_VENDOR || code == HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0 ||
	       code == HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1 || code == HV_PARTITION_PROPERTY_XSAVE_STATES ||
	       code == HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE;
}

/* Every VP of the partition (pt->lock held) gets pt->intercepts. */
static void push_intercepts(struct sim_partition *pt)
{
	size_t i;

	for (i = 0; i < SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_x86_vcpu_set_intercepts(pt->vps[i]->cpu, &pt->intercepts);
}

static uint64_t hv_set_partition_property(struct sim_partition *pt, const void *in)
{
	const struct hv_input_set_partition_property *a = in;
	struct sim_property *p;
	uint64_t status = HV_STATUS_SUCCESS;

	if (!pt)
		return HV_STATUS_ACCESS_DENIED;
	if (!property_known(a->property_code))
		return HV_STATUS_UNKNOWN_PROPERTY;
	pthread_mutex_lock(&pt->lock);
	if (pt->initialized && property_early(a->property_code))
		status = HV_STATUS_INVALID_PARTITION_STATE;
	else if (a->property_code == HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING)
		status = a->property_value > 1 ? HV_STATUS_INVALID_PARAMETER
					       : sim_set_access_tracking(pt, a->property_value != 0);
	else if (a->property_code == HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION && a->property_value > 1)
		status = HV_STATUS_INVALID_PARAMETER;
	if (status == HV_STATUS_SUCCESS) {
		p = property_slot(pt, a->property_code, true);
		if (p)
			p->value = a->property_value;
		else
			status = HV_STATUS_INSUFFICIENT_MEMORY;
	}
	if (status == HV_STATUS_SUCCESS && a->property_code == HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION) {
		/* what RDMSR/WRMSR of an MSR nobody implements or intercepts does (x86_vcpu.c) */
		pt->intercepts.msr_ignore =
			a->property_value == HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO;
		push_intercepts(pt);
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

static uint64_t hv_get_partition_property_ex(struct sim_partition *pt, const void *in, void *out)
{
	const struct hv_input_get_partition_property_ex *a = in;
	struct hv_input_get_partition_property plain;

	if (a->property_code == HV_PARTITION_PROPERTY_VMM_CAPABILITIES ||
	    a->property_code == HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES) {
		struct hv_partition_property_vmm_capabilities caps; /* {bank_count, reserved, banks[]} */

		memset(&caps, 0, sizeof(caps));
		caps.bank_count = 1;
		if (a->property_code == HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES)
			caps.as_uint64[0] = UINT64_MAX; /* every synthetic feature may be given to a guest */
		memcpy(out, &caps, sizeof(caps));
		return HV_STATUS_SUCCESS;
	}
	plain.partition_id = a->partition_id;
	plain.property_code = a->property_code;
	plain.padding = 0;
	return hv_get_partition_property(pt, &plain, out);
}

/* ---- intercepts and interrupts ----------------------------------------------------- */

/*
 * MSR intercepts (semantics and sources at helper_rdmsr_x86_64 in
 * x86_vcpu.c): read and/or write only; a mask of NONE removes the
 * intercept; installing one again replaces its mask.
 */
static uint64_t install_msr_intercept(struct sim_x86_intercepts *ic, const struct hv_input_install_intercept *a)
{
	uint8_t mask = (uint8_t)a->access_type;
	uint32_t msr = a->intercept_parameter.msr_index;
	unsigned i;

	if (a->access_type & ~(uint32_t)(HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE))
		return HV_STATUS_INVALID_PARAMETER;
	if (a->intercept_type == HV_INTERCEPT_TYPE_X64_MSR) {
		ic->msr_all = mask;
		return HV_STATUS_SUCCESS;
	}
	for (i = 0; i < ic->nmsr_index && ic->msr_index[i].msr != msr; i++)
		;
	if (i == ic->nmsr_index) {
		if (!mask)
			return HV_STATUS_SUCCESS;
		if (i == SIM_MAX_MSR_INTERCEPTS)
			return HV_STATUS_INSUFFICIENT_MEMORY;
		ic->msr_index[i].msr = msr;
		ic->nmsr_index++;
	}
	ic->msr_index[i].access = mask;
	if (!mask)
		ic->msr_index[i] = ic->msr_index[--ic->nmsr_index];
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_install_intercept(struct sim_partition *pt, const void *in)
{
	const struct hv_input_install_intercept *a = in;

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
	case HV_INTERCEPT_TYPE_X64_MSR_INDEX: {
		uint64_t st = install_msr_intercept(&pt->intercepts, a);

		if (st != HV_STATUS_SUCCESS) {
			pthread_mutex_unlock(&pt->lock);
			return st;
		}
		break;
	}
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
		break; /* port IO and unmapped GPAs always reach the root of an exo partition */
	default:
		pthread_mutex_unlock(&pt->lock);
		return HV_STATUS_INVALID_PARAMETER;
	}
	push_intercepts(pt);
	pthread_mutex_unlock(&pt->lock);
	return HV_STATUS_SUCCESS;
}

uint64_t sim_assert_interrupt(struct sim_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
			      bool level, bool logical)
{
	uint64_t status = HV_STATUS_SUCCESS;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < SIM_MAX_VPS; i++) {
		struct sim_vp *vp = pt->vps[i];

		if (!vp)
			continue;
		/* Physical: the APIC ID (= VP index here); logical (flat model): a bit mask. */
		if (logical ? (i < 8 && (dest & (1ull << i))) : dest == i) {
			status = sim_x86_vcpu_assert_interrupt(vp->cpu, type, vector, level);
			if (status != HV_STATUS_SUCCESS)
				break;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

static uint64_t hv_assert_virtual_interrupt(struct sim_partition *pt, const void *in)
{
	const struct hv_input_assert_virtual_interrupt *a = in;

	if (a->rsvd_z0 || a->rsvd_z1 || a->target_vtl)
		return HV_STATUS_INVALID_PARAMETER;
	if (a->control.interrupt_type >= HV_X64_INTERRUPT_TYPE_MAXIMUM || a->vector > 0xff)
		return HV_STATUS_INVALID_PARAMETER;
	return sim_assert_interrupt(pt, a->control.interrupt_type, a->vector, a->dest_addr, a->control.level_triggered,
				    a->control.logical_dest_mode);
}

static uint64_t hv_translate_virtual_address(struct sim_partition *pt, struct sim_vp *locked, const void *in,
					     void *out)
{
	const struct hv_input_translate_virtual_address *a = in;
	struct hv_output_translate_virtual_address o;
	struct sim_vp *vp;
	uint32_t code = 0;
	uint64_t gpa = 0, status;

	vp = vp_by_index(pt, a->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	status = vp_acquire(vp, locked);
	if (status != HV_STATUS_SUCCESS)
		return status;
	sim_vp_apply_register_page(vp);
	status = sim_x86_vcpu_translate_gva(vp->cpu, a->gva_page << 12, a->control_flags, &code, &gpa);
	vp_release(vp, locked);
	if (status != HV_STATUS_SUCCESS)
		return status;
	memset(&o, 0, sizeof(o));
	o.translation_result.result_code = code;
	o.gpa_page = gpa >> 12;
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_get_vp_cpuid_values(struct sim_partition *pt, uint16_t reps, const void *in, void *out,
				       uint16_t *reps_done)
{
	const struct hv_input_get_vp_cpuid_values *a = in;
	const uint8_t *leaves = (const uint8_t *)in + sizeof(*a);
	struct sim_vp *vp;
	uint16_t i;

	if ((size_t)reps * sizeof(struct hv_cpuid_leaf_info) > MSHV_HV_PAGE_SIZE - sizeof(*a))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	vp = vp_by_index(pt, a->vp_index);
	if (!vp)
		return HV_STATUS_INVALID_VP_INDEX;
	for (i = 0; i < reps; i++) {
		struct hv_cpuid_leaf_info leaf;
		union hv_output_get_vp_cpuid_values r;

		memcpy(&leaf, leaves + (size_t)i * sizeof(leaf), sizeof(leaf));
		sim_x86_vcpu_cpuid(vp->cpu, leaf.eax, leaf.ecx, r.as_uint32);
		if (a->flags.apply_registered_values)
			sim_cpuid_apply_overrides(pt, leaf.eax, leaf.ecx, r.as_uint32);
		memcpy((uint8_t *)out + (size_t)i * sizeof(r), &r, sizeof(r));
	}
	*reps_done = i;
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_register_intercept_result(struct sim_partition *pt, const void *in)
{
	const struct hv_input_register_intercept_result *a = in;

	if (!vp_by_index(pt, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->intercept_type == HV_INTERCEPT_TYPE_X64_CPUID)
		return sim_cpuid_add_override(pt, &a->parameters.cpuid);
	/*
	 * The per-MSR result (hv_register_x64_msr_result_parameters: index,
	 * access, an unimplemented-MSR action) is accepted and not modelled:
	 * no VMM we know of registers one and its semantics are undocumented.
	 */
	if (a->intercept_type == HV_INTERCEPT_TYPE_X64_MSR)
		return HV_STATUS_SUCCESS;
	return HV_STATUS_INVALID_PARAMETER;
}

static uint64_t hv_signal_event_direct(struct sim_partition *pt, const void *in, void *out)
{
	const struct hv_input_signal_event_direct *a = in;
	struct hv_output_signal_event_direct o;

	if (!vp_by_index(pt, a->target_vp))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->target_sint >= 16 || a->target_vtl)
		return HV_STATUS_INVALID_PARAMETER;
	/* The guest's SynIC event page is not modelled: the flag counts as newly signalled. */
	memset(&o, 0, sizeof(o));
	o.newly_signaled = 1;
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static uint64_t hv_post_message_direct(struct sim_partition *pt, const void *in)
{
	const struct hv_input_post_message_direct *a = in;

	if (!vp_by_index(pt, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->sint_index >= 16 || a->vtl)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

/* HVCALL_READ_GPA / HVCALL_WRITE_GPA: up to 16 bytes of guest memory, as the VP sees it. */
static uint64_t hv_access_gpa(struct sim_partition *pt, const void *in, void *out, bool write)
{
	const struct hv_input_write_gpa *a = in; /* the read input is its prefix */
	union hv_access_gpa_result result;
	uint8_t *host;

	if (!vp_by_index(pt, a->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (a->byte_count == 0 || a->byte_count > HV_READ_WRITE_GPA_MAX_SIZE)
		return HV_STATUS_INVALID_PARAMETER;
	memset(&result, 0, sizeof(result));
	host = sim_gpa_to_host(pt, a->base_gpa, a->byte_count, write);
	if (!host) {
		result.result_code = SIM_HV_GPA_ACCESS_RESULT_UNMAPPED;
	} else if (write) {
		memcpy(host, a->data, a->byte_count);
	} else {
		struct hv_output_read_gpa o;

		memset(&o, 0, sizeof(o));
		memcpy(o.data, host, a->byte_count);
		memcpy(out, &o, sizeof(o));
	}
	memcpy(out, &result, sizeof(result));
	return HV_STATUS_SUCCESS;
}

/* HvCallGetGpaPagesAccessStates: one state byte per page (bit 0 accessed, bit 1 dirty). */
static uint64_t hv_get_gpa_access_states(struct sim_partition *pt, uint16_t reps, const void *in, void *out,
					 uint16_t *reps_done)
{
	struct {
		uint64_t partition_id;
		uint64_t flags;
		uint64_t gpa_page;
	} a;
	uint16_t i;

	memcpy(&a, in, sizeof(a));
	if (a.flags & ~0xfull)
		return HV_STATUS_INVALID_PARAMETER;
	if (reps > MSHV_HV_PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	pthread_mutex_lock(&pt->lock);
	if (!pt->dirty_tracking) {
		pthread_mutex_unlock(&pt->lock);
		return HV_STATUS_INVALID_PARTITION_STATE;
	}
	for (i = 0; i < reps; i++) {
		((uint8_t *)out)[i] = sim_page_access_state(pt, a.gpa_page + i, (unsigned)a.flags);
	}
	pthread_mutex_unlock(&pt->lock);
	*reps_done = i;
	return HV_STATUS_SUCCESS;
}

uint64_t sim_hvcall(struct sim_partition *pt, struct sim_vp *locked, uint16_t code, uint16_t reps, const void *in,
		    void *out, uint16_t *reps_done)
{
	*reps_done = 0;
	if (!pt) {
		/* The root partition itself: only its properties are modelled. */
		if (code == HVCALL_GET_PARTITION_PROPERTY)
			return hv_get_partition_property(NULL, in, out);
		if (code == HVCALL_GET_PARTITION_PROPERTY_EX)
			return hv_get_partition_property_ex(NULL, in, out);
		return HV_STATUS_ACCESS_DENIED;
	}
	switch (code) {
	case HVCALL_GET_VP_REGISTERS:
		return hv_get_vp_registers(pt, locked, reps, in, out, reps_done);
	case HVCALL_SET_VP_REGISTERS:
		return hv_set_vp_registers(pt, locked, reps, in, reps_done);
	case HVCALL_GET_PARTITION_PROPERTY:
		return hv_get_partition_property(pt, in, out);
	case HVCALL_SET_PARTITION_PROPERTY:
		return hv_set_partition_property(pt, in);
	case HVCALL_GET_PARTITION_PROPERTY_EX:
		return hv_get_partition_property_ex(pt, in, out);
	case HVCALL_INSTALL_INTERCEPT:
		return hv_install_intercept(pt, in);
	case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
		return hv_assert_virtual_interrupt(pt, in);
	case HVCALL_CLEAR_VIRTUAL_INTERRUPT:
		return HV_STATUS_SUCCESS;
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
		return hv_translate_virtual_address(pt, locked, in, out);
	case HVCALL_GET_VP_CPUID_VALUES:
		return hv_get_vp_cpuid_values(pt, reps, in, out, reps_done);
	case HVCALL_REGISTER_INTERCEPT_RESULT:
		return hv_register_intercept_result(pt, in);
	case HVCALL_SIGNAL_EVENT_DIRECT:
		return hv_signal_event_direct(pt, in, out);
	case HVCALL_POST_MESSAGE_DIRECT:
		return hv_post_message_direct(pt, in);
	case HVCALL_READ_GPA:
		return hv_access_gpa(pt, in, out, false);
	case HVCALL_WRITE_GPA:
		return hv_access_gpa(pt, in, out, true);
	case SIM_HVCALL_GET_GPA_PAGES_ACCESS_STATES:
		return hv_get_gpa_access_states(pt, reps, in, out, reps_done);
	case HVCALL_IMPORT_ISOLATED_PAGES:
	case HVCALL_COMPLETE_ISOLATED_IMPORT:
	case HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST:
		return pt->pt_isolation ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_STATE;
	default:
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	}
}

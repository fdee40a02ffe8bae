/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: the 6.6-era downstream ioctls (MSHV_SIM_KERNEL=6.6).
 * Each becomes the hypercall the downstream driver makes for it.
 */
#define _GNU_SOURCE
#include <string.h>

#include "driver_internal.h"

/* MSHV_GET_HOST_PARTITION_PROPERTY on /dev/mshv: a property of the root partition itself. */
long sim_legacy_system_ioctl(unsigned long request, void *arg)
{
	struct mshv_partition_property prop;
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	long err;

	if (request != MSHV_GET_HOST_PARTITION_PROPERTY)
		return -ENOTTY;
	err = copy_from_user(&prop, arg, sizeof(prop));
	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.property_code = (uint32_t)prop.property_code;
	err = sim_driver_hvcall(NULL, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out));
	if (err)
		return err;
	prop.property_value = out.property_value;
	return copy_to_user(arg, &prop, sizeof(prop));
}

static long legacy_partition_property(struct sim_partition *pt, void *uarg, bool set)
{
	struct mshv_partition_property p;
	long err = copy_from_user(&p, uarg, sizeof(p));

	if (err)
		return err;
	if (set) {
		struct hv_input_set_partition_property in;

		memset(&in, 0, sizeof(in));
		in.property_code = (uint32_t)p.property_code;
		in.property_value = p.property_value;
		return sim_driver_hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0);
	} else {
		struct hv_input_get_partition_property in;
		struct hv_output_get_partition_property out;

		memset(&in, 0, sizeof(in));
		in.property_code = (uint32_t)p.property_code;
		err = sim_driver_hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out));
		if (err)
			return err;
		p.property_value = out.property_value;
		return copy_to_user(uarg, &p, sizeof(p));
	}
}

static long legacy_install_intercept(struct sim_partition *pt, void *uarg)
{
	struct mshv_install_intercept a;
	struct hv_input_install_intercept in;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.access_type = a.access_type_mask;
	in.intercept_type = a.intercept_type;
	in.intercept_parameter = a.intercept_parameter;
	return sim_driver_hvcall(pt, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_assert_interrupt(struct sim_partition *pt, void *uarg)
{
	struct mshv_assert_interrupt a;
	struct hv_input_assert_virtual_interrupt in;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err; /* rsvd is not checked by the driver */
	memset(&in, 0, sizeof(in));
	in.control = a.control;
	in.dest_addr = a.dest_addr;
	in.vector = a.vector;
	return sim_driver_hvcall(pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_signal_event_direct(struct sim_partition *pt, void *uarg)
{
	struct mshv_signal_event_direct a;
	struct hv_input_signal_event_direct in;
	struct hv_output_signal_event_direct out;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.target_vp = a.vp;
	in.target_vtl = a.vtl;
	in.target_sint = a.sint;
	in.flag_number = a.flag;
	err = sim_driver_hvcall(pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in, sizeof(in), &out, sizeof(out));
	if (err)
		return err;
	a.newly_signaled = out.newly_signaled;
	return copy_to_user(uarg, &a, sizeof(a));
}

static long legacy_post_message_direct(struct sim_partition *pt, void *uarg)
{
	struct mshv_post_message_direct a;
	struct hv_input_post_message_direct in;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	if (a.length > sizeof(in.message))
		return -E2BIG;
	memset(&in, 0, sizeof(in));
	in.vp_index = a.vp;
	in.vtl = a.vtl;
	in.sint_index = a.sint;
	err = copy_from_user(in.message, a.message, a.length);
	if (err)
		return err;
	return sim_driver_hvcall(pt, HVCALL_POST_MESSAGE_DIRECT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_deliverability_notifications(struct sim_partition *pt, void *uarg)
{
	struct mshv_register_deliverabilty_notifications a;
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc reg;
	uint8_t in[sizeof(hdr) + sizeof(reg)];
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&hdr, 0, sizeof(hdr));
	memset(&reg, 0, sizeof(reg));
	hdr.vp_index = a.vp;
	reg.name = HV_REGISTER_DELIVERABILITY_NOTIFICATIONS;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &reg, sizeof(reg));
	memcpy(in + sizeof(hdr) + offsetof(struct hv_register_assoc, value), &a.flag, sizeof(a.flag));
	return sim_driver_hvcall(pt, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0);
}

/*
 * The SEV-SNP ioctls. The driver refuses them on other partitions with
 * EOPNOTSUPP; the simulator models no SNP guest, so SNP partitions get the
 * same answer.
 */
static long legacy_snp(struct sim_partition *pt)
{
	(void)pt;
	return -EOPNOTSUPP;
}

/* MSHV_GET/SET_VP_REGISTERS: at most MSHV_VP_MAX_REGISTERS; set refuses the suspend registers. */
static long legacy_vp_registers(struct sim_vp *vp, void *uarg, bool set)
{
	struct mshv_vp_registers_legacy a;
	struct hv_register_assoc regs[MSHV_VP_MAX_REGISTERS];
	struct hv_input_get_vp_registers hdr;
	uint8_t in[MSHV_HV_PAGE_SIZE], out[MSHV_HV_PAGE_SIZE];
	long err = copy_from_user(&a, uarg, sizeof(a));
	int i;

	if (err)
		return err;
	if (a.count > MSHV_VP_MAX_REGISTERS)
		return -EINVAL;
	if (a.count < 0)
		return -EFAULT; /* the driver's copy of count * 32 bytes fails */
	err = copy_from_user(regs, a.regs, (size_t)a.count * sizeof(regs[0]));
	if (err)
		return err;
	memset(in, 0, sizeof(in));
	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = vp->index;
	memcpy(in, &hdr, sizeof(hdr));
	if (set) {
		/* At most 127 registers fit one hypercall page: larger sets go in two. */
		const int batch = (MSHV_HV_PAGE_SIZE - (int)sizeof(struct hv_input_set_vp_registers)) /
				  (int)sizeof(regs[0]);
		int done, n;

		for (i = 0; i < a.count; i++)
			if (regs[i].name == HV_REGISTER_EXPLICIT_SUSPEND || regs[i].name == HV_REGISTER_INTERCEPT_SUSPEND)
				return -EINVAL;
		for (done = 0; done < a.count; done += n) {
			n = a.count - done < batch ? a.count - done : batch;
			memcpy(in + sizeof(struct hv_input_set_vp_registers), regs + done, (size_t)n * sizeof(regs[0]));
			err = sim_driver_hvcall(vp->pt, HVCALL_SET_VP_REGISTERS, (uint16_t)n, in,
					    sizeof(struct hv_input_set_vp_registers) + (size_t)n * sizeof(regs[0]), NULL, 0);
			if (err)
				return err;
		}
		return 0;
	}
	for (i = 0; i < a.count; i++)
		memcpy(in + sizeof(struct hv_input_get_vp_registers) + (size_t)i * 4, &regs[i].name, 4);
	err = sim_driver_hvcall(vp->pt, HVCALL_GET_VP_REGISTERS, (uint16_t)a.count, in,
			    sizeof(struct hv_input_get_vp_registers) + (size_t)a.count * 4, out,
			    (size_t)a.count * sizeof(union hv_register_value));
	if (err)
		return err;
	for (i = 0; i < a.count; i++)
		memcpy((char *)&regs[i] + offsetof(struct hv_register_assoc, value),
		       out + (size_t)i * sizeof(union hv_register_value), sizeof(union hv_register_value));
	return copy_to_user(a.regs, regs, (size_t)a.count * sizeof(regs[0]));
}

static long legacy_translate_gva(struct sim_vp *vp, void *uarg)
{
	struct mshv_translate_gva a;
	struct hv_input_translate_virtual_address in;
	struct hv_output_translate_virtual_address out;
	uint64_t gpa;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.vp_index = vp->index;
	in.control_flags = a.flags;
	in.gva_page = a.gva >> 12;
	err = sim_driver_hvcall(vp->pt, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in), &out, sizeof(out));
	if (err)
		return err;
	gpa = (out.gpa_page << 12) | (a.gva & 0xfff);
	err = copy_to_user(a.result, &out.translation_result, sizeof(out.translation_result));
	return err ? err : copy_to_user(a.gpa, &gpa, sizeof(gpa));
}

static long legacy_cpuid_values(struct sim_vp *vp, void *uarg)
{
	struct mshv_get_vp_cpuid_values a;
	struct hv_input_get_vp_cpuid_values hdr;
	struct hv_cpuid_leaf_info leaf;
	union hv_output_get_vp_cpuid_values out;
	uint8_t in[sizeof(hdr) + sizeof(leaf)];
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = vp->index;
	hdr.flags.use_vp_xfem_xss = 1;
	hdr.flags.apply_registered_values = 1;
	leaf.eax = a.function;
	leaf.ecx = a.index;
	leaf.xfem = a.xfem;
	leaf.xss = a.xss;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &leaf, sizeof(leaf));
	err = sim_driver_hvcall(vp->pt, HVCALL_GET_VP_CPUID_VALUES, 1, in, sizeof(in), &out, sizeof(out));
	if (err)
		return err;
	a.eax = out.as_uint32[0];
	a.ebx = out.as_uint32[1];
	a.ecx = out.as_uint32[2];
	a.edx = out.as_uint32[3];
	return copy_to_user(uarg, &a, sizeof(a));
}

/* MSHV_READ_GPA / MSHV_WRITE_GPA: the access result code is not reported (a failed access returns 0). */
static long legacy_read_write_gpa(struct sim_vp *vp, void *uarg, bool write)
{
	struct mshv_read_write_gpa a;
	struct hv_input_write_gpa in;
	struct hv_output_read_gpa out;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.vp_index = vp->index;
	in.byte_count = a.byte_count;
	in.base_gpa = a.base_gpa;
	in.control_flags.as_uint64 = a.flags;
	if (write)
		memcpy(in.data, a.data, sizeof(in.data));
	err = sim_driver_hvcall(vp->pt, write ? HVCALL_WRITE_GPA : HVCALL_READ_GPA, 0, &in,
			    write ? sizeof(struct hv_input_write_gpa) : sizeof(struct hv_input_read_gpa), &out,
			    write ? sizeof(struct hv_output_write_gpa) : sizeof(out));
	if (err || write)
		return err;
	memcpy(a.data, out.data, sizeof(a.data));
	return copy_to_user(uarg, &a, sizeof(a));
}

static long legacy_intercept_result(struct sim_vp *vp, void *uarg)
{
	struct mshv_register_intercept_result a;
	struct hv_input_register_intercept_result in;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.vp_index = vp->index;
	in.intercept_type = a.intercept_type;
	in.parameters = a.parameters;
	return sim_driver_hvcall(vp->pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0);
}

long sim_legacy_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_GET_PARTITION_PROPERTY:
		return legacy_partition_property(pt, arg, false);
	case MSHV_SET_PARTITION_PROPERTY:
		return legacy_partition_property(pt, arg, true);
	case MSHV_INSTALL_INTERCEPT:
		return legacy_install_intercept(pt, arg);
	case MSHV_ASSERT_INTERRUPT:
		return legacy_assert_interrupt(pt, arg);
	case MSHV_SIGNAL_EVENT_DIRECT:
		return legacy_signal_event_direct(pt, arg);
	case MSHV_POST_MESSAGE_DIRECT:
		return legacy_post_message_direct(pt, arg);
	case MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS:
		return legacy_deliverability_notifications(pt, arg);
	case MSHV_MODIFY_GPA_HOST_ACCESS:
	case MSHV_IMPORT_ISOLATED_PAGES:
	case MSHV_COMPLETE_ISOLATED_IMPORT:
	case MSHV_ISSUE_PSP_GUEST_REQUEST:
	case MSHV_SEV_SNP_AP_CREATE:
		return legacy_snp(pt);
	default:
		return -ENOTTY;
	}
}

long sim_legacy_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_GET_VP_REGISTERS_LEGACY:
		return legacy_vp_registers(vp, arg, false);
	case MSHV_SET_VP_REGISTERS_LEGACY:
		return legacy_vp_registers(vp, arg, true);
	case MSHV_VP_TRANSLATE_GVA:
		return legacy_translate_gva(vp, arg);
	case MSHV_GET_VP_CPUID_VALUES:
		return legacy_cpuid_values(vp, arg);
	case MSHV_READ_GPA:
		return legacy_read_write_gpa(vp, arg, false);
	case MSHV_WRITE_GPA:
		return legacy_read_write_gpa(vp, arg, true);
	case MSHV_VP_REGISTER_INTERCEPT_RESULT:
		return legacy_intercept_result(vp, arg);
	default:
		return -ENOTTY;
	}
}

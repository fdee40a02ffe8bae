/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Names and messages, with no device: every status, hypercall, message
 * type, partition property, intercept type and ioctl has its name; the
 * kernel's status-to-errno mapping; mshv_strerror; and, where there is no
 * /dev/mshv, the error mshv_system_open gives.
 */
#define MSHV_IMPLEMENTATION
#include "mshv.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"

/* Each listed name maps back to itself (the first of equal values: none here). */
#define CHECK_NAME(fn, value, name) CHECK(fn(value) && !strcmp(fn(value), name));
#define CHECK_NAME_STATUS(name) CHECK_NAME(mshv_hv_status_name, name, #name)
#define CHECK_NAME_HVCALL(name) CHECK_NAME(mshv_hvcall_name, name, #name)
#define CHECK_NAME_MESSAGE(name) CHECK_NAME(mshv_hv_message_type_name, name, #name)
#define CHECK_NAME_PROPERTY(name) CHECK_NAME(mshv_hv_partition_property_name, name, #name)
#define CHECK_NAME_INTERCEPT(name) CHECK_NAME(mshv_hv_intercept_type_name, name, #name)
/* every ioctl name maps back to itself, except the numbers two fd types share */
#define CHECK_NAME_IOCTL(name, size)                                                              \
	CHECK(mshv_ioctl_name(name) &&                                                            \
	      (!strcmp(mshv_ioctl_name(name), #name) || (name) == MSHV_GET_HOST_PARTITION_PROPERTY || \
	       (name) == MSHV_SINT_PAUSE_MESSAGE_STREAM));

int main(void)
{
	struct mshv_system sys;
	int ret;

	/* one source for value and name: every entry of the generated lists */
	MSHV_HV_STATUS_NAMES(CHECK_NAME_STATUS)
	MSHV_HV_STATUS_NAMES_ARCH(CHECK_NAME_STATUS)
	MSHV_HVCALL_NAMES(CHECK_NAME_HVCALL)
	MSHV_HVCALL_NAMES_ARCH(CHECK_NAME_HVCALL)
	MSHV_HV_MESSAGE_TYPE_NAMES(CHECK_NAME_MESSAGE)
	MSHV_HV_MESSAGE_TYPE_NAMES_ARCH(CHECK_NAME_MESSAGE)
	MSHV_HV_PARTITION_PROPERTY_NAMES(CHECK_NAME_PROPERTY)
	MSHV_HV_PARTITION_PROPERTY_NAMES_ARCH(CHECK_NAME_PROPERTY)
	MSHV_HV_INTERCEPT_TYPE_NAMES(CHECK_NAME_INTERCEPT)
	MSHV_HV_INTERCEPT_TYPE_NAMES_ARCH(CHECK_NAME_INTERCEPT)
	MSHV_IOCTL_NAMES(CHECK_NAME_IOCTL)
	CHECK(!strcmp(mshv_hv_status_name(HV_STATUS_INVALID_PARTITION_STATE), "HV_STATUS_INVALID_PARTITION_STATE"));
	CHECK(!strcmp(mshv_hv_status_name(0), "HV_STATUS_SUCCESS"));
	CHECK(mshv_hv_status_name(0xfffe) == NULL);
	CHECK(!strcmp(mshv_hvcall_name(0x45), "HVCALL_SET_PARTITION_PROPERTY"));
	CHECK(mshv_hvcall_name(0xffff) == NULL);
	CHECK(!strcmp(mshv_hv_message_type_name(0x80010000), "HVMSG_X64_IO_PORT_INTERCEPT"));
	CHECK(!strcmp(mshv_hv_message_type_name(HVMSG_UNMAPPED_GPA), "HVMSG_UNMAPPED_GPA"));
	CHECK(mshv_hv_message_type_name(0x12345) == NULL);
	CHECK(!strcmp(mshv_hv_partition_property_name(0x50017), "HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION"));
	CHECK(!strcmp(mshv_hv_intercept_type_name(HV_INTERCEPT_TYPE_MMIO), "HV_INTERCEPT_TYPE_MMIO"));
	CHECK(!strcmp(mshv_ioctl_name(MSHV_CREATE_VP), "MSHV_CREATE_VP"));
	CHECK(!strcmp(mshv_ioctl_name(0xC020B807), "MSHV_ROOT_HVCALL"));
	CHECK(!strcmp(mshv_ioctl_name(MSHV_GET_DEVICE_ATTR_LEGACY), "MSHV_HAS_DEVICE_ATTR_UPSTREAM"));
	CHECK(mshv_ioctl_name(0x1234) == NULL);

	/* hv_result_to_errno */
	CHECK(mshv_hv_status_to_errno(HV_STATUS_SUCCESS) == 0);
	CHECK(mshv_hv_status_to_errno(HV_STATUS_INVALID_PARAMETER) == -EINVAL);
	CHECK(mshv_hv_status_to_errno(HV_STATUS_INVALID_REGISTER_VALUE) == -EINVAL);
	CHECK(mshv_hv_status_to_errno(HV_STATUS_INSUFFICIENT_MEMORY) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno(HV_STATUS_ACCESS_DENIED) == -EIO);
	CHECK(mshv_hv_status_to_errno(0x7777) == -EIO);
	/* the 6.6-era kernel's hv_status_to_errno */
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_SUCCESS) == 0);
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_UNKNOWN_PROPERTY) == -EINVAL);
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED) == -EINVAL);
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_ACCESS_DENIED) == -EACCES);
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_INVALID_PARTITION_STATE) == -EBADFD);
	CHECK(mshv_hv_status_to_errno_legacy(HV_STATUS_INSUFFICIENT_MEMORY) == -ENOTRECOVERABLE);
	/* per release: 7.0 made the root and contiguous memory statuses -ENOMEM */
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_MEMORY, MSHV_KERNEL_6_6) == -ENOTRECOVERABLE);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_ACCESS_DENIED, MSHV_KERNEL_6_6) == -EACCES);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_MEMORY, MSHV_KERNEL_6_15) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_ROOT_MEMORY, MSHV_KERNEL_6_15) == -EIO);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY, MSHV_KERNEL_6_19) == -EIO);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY, MSHV_KERNEL_6_19) == -EIO);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INVALID_PARAMETER, MSHV_KERNEL_6_19) == -EINVAL);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_ROOT_MEMORY, MSHV_KERNEL_7_0) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY, MSHV_KERNEL_7_0) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY, MSHV_KERNEL_7_0) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno_kernel(HV_STATUS_INSUFFICIENT_ROOT_MEMORY, MSHV_KERNEL_6_19_OR_LATER) == -ENOMEM);
	CHECK(mshv_hv_status_to_errno_kernel(0x7777, MSHV_KERNEL_UNKNOWN) == -EIO);
	/* the ioctl names that share a number: the first of the list */
	CHECK(!strcmp(mshv_ioctl_name(MSHV_GET_HOST_PARTITION_PROPERTY), "MSHV_GET_VP_STATE"));
	CHECK(!strcmp(mshv_ioctl_name(MSHV_SINT_PAUSE_MESSAGE_STREAM), "MSHV_SET_POLL_FILE"));
	/* one name, two meanings: upstream's (mshv_vtl, 6.19) and the 6.6-era VP fd's */
	CHECK(!strcmp(mshv_ioctl_name(0xC010B805), "MSHV_GET_VP_REGISTERS"));
	CHECK(!strcmp(mshv_ioctl_name(0xC010B8F0), "MSHV_GET_VP_REGISTERS_LEGACY"));
	CHECK(!strcmp(mshv_ioctl_name(0x4010B8F1), "MSHV_SET_VP_REGISTERS_LEGACY"));

	CHECK(!strcmp(mshv_strerror(0), "success") && !strcmp(mshv_strerror(3), "success"));
	CHECK(strstr(mshv_strerror(-ENOENT), "/dev/mshv") != NULL);
	CHECK(strstr(mshv_strerror(-EACCES), "/dev/mshv") != NULL);
	CHECK(strstr(mshv_strerror(-ENODEV), "VTL") != NULL && strstr(mshv_strerror(-ENODEV), "ENODEV") != NULL);
	CHECK(strstr(mshv_strerror(-ENOTTY), "ENOTTY") != NULL);
	CHECK(!strcmp(mshv_strerror(-4095), "unknown error (see errno.h)"));
	/* INT_MIN has no negation: not looked up by one (the sanitize build's UBSan would say) */
	CHECK(!strcmp(mshv_strerror(INT_MIN), "unknown error (see errno.h)"));
	CHECK(!strcmp(mshv_strerror(INT_MIN + 1), "unknown error (see errno.h)"));
	CHECK(strstr(mshv_strerror(-ENXIO), "ENXIO") != NULL);
	CHECK(strstr(mshv_strerror(-EBADFD), "HV_STATUS") != NULL);
	CHECK(strstr(mshv_strerror(-ENOTRECOVERABLE), "HV_STATUS") != NULL);

	ret = mshv_system_open(&sys);
	if (access("/dev/mshv", F_OK) != 0) {
		CHECK_RET(ret, -ENOENT);
		CHECK(sys.fd == -1);
	} else if (ret == 0) {
		mshv_system_close(&sys);
	} else {
		CHECK(ret == -EACCES || ret == -EPERM);
	}
	return CHECK_REPORT("names");
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The device operations: mshv-ioctls 0.7.0's device.rs test_create_device
 * and its set_device_attr doctest ported, the device-attribute numbering
 * found at run time (or pinned), and bad input.
 */
#include "common.h"

int main(void)
{
	struct mshv_system sys;
	struct mshv_create_device cd;
	struct mshv_device dev, dup_dev, test_dev, none = { -1, MSHV_ABI };
	struct mshv_device_attr attr, copy;
	struct mshv_vm vm;
	int vfio_group[2];

	open_or_skip(&sys);

	/* the doctest: MSHV_CREATE_DEVICE_TEST, before initialize */
	CHECK_RET(mshv_system_create_vm(&sys, &vm, NULL), 0);
	memset(&cd, 0, sizeof(cd));
	cd.type = MSHV_DEV_TYPE_VFIO;
	cd.flags = MSHV_CREATE_DEVICE_TEST;
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &test_dev), 0);
	CHECK(test_dev.fd == -1); /* a test makes no fd */
	cd.type = MSHV_DEV_TYPE_MAX;
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &test_dev), -ENODEV);
	CHECK_RET(mshv_vm_close(&vm), 0);

	/* test_create_device */
	create_initialized_vm(&sys, &vm);
	memset(&cd, 0, sizeof(cd));
	cd.type = MSHV_DEV_TYPE_VFIO;
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &dev), 0);
	CHECK(dev.fd >= 0 && dev.fd == (int)cd.fd);
	if (expected_abi() != MSHV_ABI_AUTO)
		CHECK(dev.abi == expected_abi()); /* found at creation */
	CHECK(fcntl(dev.fd, F_GETFD) & FD_CLOEXEC);
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &test_dev), -EBUSY); /* one VFIO device per partition */
	CHECK_RET(mshv_device_from_fd(&dup_dev, dup(dev.fd)), 0);
	memset(&attr, 0, sizeof(attr));
	attr.group = MSHV_DEV_VFIO_FILE;
	attr.attr = MSHV_DEV_VFIO_FILE_ADD;
	attr.addr = 0;
	if (expected_abi() != MSHV_ABI_AUTO)
		CHECK(dup_dev.abi == expected_abi()); /* found again for the dup */
	CHECK_RET(mshv_device_has_attr(&dup_dev, &attr), 0);
	copy = attr;
	CHECK(mshv_device_get_attr(&dup_dev, &copy) < 0);
	if (expected_abi() == MSHV_ABI_UPSTREAM)
		CHECK_RET(mshv_device_get_attr(&dup_dev, &copy), -ENOTTY); /* no GET upstream */
	CHECK_RET(mshv_device_set_attr(&dup_dev, &attr), -EFAULT);

	/* an attribute the device does not have */
	attr.group = 7;
	CHECK_RET(mshv_device_has_attr(&dev, &attr), -ENXIO);
	/* a real group file: a pipe is no VFIO group, the kernel says so */
	CHECK(pipe(vfio_group) == 0);
	attr.group = MSHV_DEV_VFIO_FILE;
	attr.addr = (uintptr_t)&vfio_group[0];
	CHECK_RET(mshv_device_set_attr(&dev, &attr), -EINVAL);
	attr.attr = MSHV_DEV_VFIO_FILE_DEL; /* never added */
	CHECK_RET(mshv_device_set_attr(&dev, &attr), -ENOENT);
	attr.attr = MSHV_DEV_VFIO_FILE_ADD;

	/* refused before the kernel: flags must be zero */
	attr.flags = 1;
	CHECK_RET(mshv_device_set_attr(&none, &attr), -EINVAL);
	CHECK_RET(mshv_device_has_attr(&none, &attr), -EINVAL);
	CHECK_RET(mshv_device_get_attr(&none, &attr), -EINVAL);
	attr.flags = 0;
	CHECK_RET(mshv_device_set_attr(&none, &attr), -EBADF);
	CHECK_RET(mshv_device_has_attr(&none, &attr), -EBADF);
	cd.flags = 2;
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &test_dev), -EINVAL);

	CHECK_RET(mshv_device_close(&dup_dev), 0);
	CHECK_RET(mshv_device_close(&dev), 0);
	CHECK(dev.fd == -1);
	CHECK_RET(mshv_device_close(&dev), 0); /* closing twice is harmless */
	CHECK_RET(mshv_vm_close(&vm), 0);

	/* the numbering comes from the device, not from how the partition was made */
	{
		struct mshv_create_partition_v2 args;

		memset(&args, 0, sizeof(args));
		args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM;
		CHECK_RET(mshv_system_create_vm_with_args(&sys, &args, &vm), 0);
		CHECK_RET(mshv_vm_initialize(&vm), 0);
		memset(&cd, 0, sizeof(cd));
		CHECK_RET(mshv_vm_create_device(&vm, &cd, &dev), 0);
		if (expected_abi() != MSHV_ABI_AUTO)
			CHECK(dev.abi == expected_abi());
		attr.group = MSHV_DEV_VFIO_FILE;
		attr.attr = MSHV_DEV_VFIO_FILE_DEL;
		CHECK_RET(mshv_device_has_attr(&dev, &attr), 0);
		CHECK_RET(mshv_device_close(&dev), 0);
		CHECK_RET(mshv_vm_close(&vm), 0);
	}
	close(vfio_group[0]);
	close(vfio_group[1]);
	mshv_system_close(&sys);
	return CHECK_REPORT("device");
}

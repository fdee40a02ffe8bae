/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: the in-kernel VFIO device (MSHV_CREATE_DEVICE and
 * the device fd's attribute ioctls, in each release's numbering). It
 * keeps the VFIO files it is given; no device is passed through.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver_internal.h"

struct sim_device {
	struct sim_partition *pt; /* holds a reference to its file */
	int groups[16];           /* our dups of the VFIO group fds added */
	size_t ngroups;
};

/*
 * MSHV_CREATE_DEVICE: type VFIO only (ENODEV), MSHV_CREATE_DEVICE_TEST
 * creates nothing, one device per partition (EBUSY); the new fd is written
 * into the argument and the ioctl returns 0.
 */
long sim_partition_create_device(struct sim_partition *pt, void *uarg)
{
	struct mshv_create_device a;
	struct sim_device *dev;
	struct sim_file *file;
	long err = copy_from_user(&a, uarg, sizeof(a));
	int fd;

	if (err)
		return err;
	if (a.type >= MSHV_DEV_TYPE_MAX)
		return -ENODEV;
	if (a.flags & MSHV_CREATE_DEVICE_TEST)
		return 0;
	pthread_mutex_lock(&pt->lock);
	if (pt->has_device) {
		pthread_mutex_unlock(&pt->lock);
		return -EBUSY;
	}
	dev = calloc(1, sizeof(*dev));
	file = dev ? sim_file_new(SIM_FILE_DEVICE, dev) : NULL;
	if (!file) {
		pthread_mutex_unlock(&pt->lock);
		free(dev);
		return -ENOMEM;
	}
	dev->pt = pt;
	pt->has_device = true;
	sim_file_hold(pt->file);
	pthread_mutex_unlock(&pt->lock);
	fd = sim_host->fd_install(file, "anon_inode:mshv-vfio", true, 0, NULL);
	if (fd < 0) {
		sim_file_put(file);
		return fd;
	}
	a.fd = (uint32_t)fd;
	return copy_to_user(uarg, &a, sizeof(a));
}

void sim_device_free(void *priv)
{
	struct sim_device *dev = priv;
	size_t i;

	for (i = 0; i < dev->ngroups; i++)
		close(dev->groups[i]);
	pthread_mutex_lock(&dev->pt->lock);
	dev->pt->has_device = false;
	pthread_mutex_unlock(&dev->pt->lock);
	sim_file_put(dev->pt->file);
	free(dev);
}

/* A file of the VFIO driver: a group (/dev/vfio/N) or a device (/dev/vfio/devices/vfioN). */
static bool is_vfio_file(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = 0;
	return strncmp(target, "/dev/vfio/", 10) == 0;
}

/* Device attributes: group MSHV_DEV_VFIO_FILE, attributes ADD and DEL (ENXIO otherwise). */
static long device_attr(struct sim_device *dev, void *uarg, int op)
{
	struct mshv_device_attr a;
	int32_t gfd;
	size_t i;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	if (a.group != MSHV_DEV_VFIO_FILE)
		return -ENXIO;
	if (op == 'h')
		return (a.attr == MSHV_DEV_VFIO_FILE_ADD || a.attr == MSHV_DEV_VFIO_FILE_DEL) ? 0 : -ENXIO;
	if (a.attr != MSHV_DEV_VFIO_FILE_ADD && a.attr != MSHV_DEV_VFIO_FILE_DEL)
		return -ENXIO;
	err = copy_from_user(&gfd, (void *)(uintptr_t)a.addr, sizeof(gfd));
	if (err)
		return err;
	if (fcntl(gfd, F_GETFD) < 0)
		return -EBADF;
	/* mshv_vfio_file_add: only a VFIO group or device file (vfio_file_is_valid) */
	if (a.attr == MSHV_DEV_VFIO_FILE_ADD && !is_vfio_file(gfd))
		return -EINVAL;
	for (i = 0; i < dev->ngroups; i++) {
		if (!sim_same_file(dev->groups[i], gfd))
			continue;
		if (a.attr == MSHV_DEV_VFIO_FILE_ADD)
			return -EEXIST;
		close(dev->groups[i]);
		dev->groups[i] = dev->groups[--dev->ngroups];
		return 0;
	}
	if (a.attr == MSHV_DEV_VFIO_FILE_DEL)
		return -ENOENT;
	if (dev->ngroups == sizeof(dev->groups) / sizeof(dev->groups[0]))
		return -ENOSPC;
	dev->groups[dev->ngroups] = fcntl(gfd, F_DUPFD_CLOEXEC, 0);
	if (dev->groups[dev->ngroups] < 0)
		return -EBADF;
	dev->ngroups++;
	return 0;
}

long sim_device_ioctl(void *priv, unsigned long request, void *arg)
{
	struct sim_device *dev = priv;

	if (sim_legacy()) {
		if (request == MSHV_SET_DEVICE_ATTR_LEGACY)
			return device_attr(dev, arg, 's');
		if (request == MSHV_GET_DEVICE_ATTR_LEGACY)
			return -EPERM; /* the VFIO device has no get operation */
		if (request == MSHV_HAS_DEVICE_ATTR_LEGACY)
			return device_attr(dev, arg, 'h');
		return -ENOTTY;
	}
	if (request == MSHV_SET_DEVICE_ATTR_UPSTREAM)
		return device_attr(dev, arg, 's');
	if (request == MSHV_HAS_DEVICE_ATTR_UPSTREAM)
		return device_attr(dev, arg, 'h');
	return -ENOTTY;
}

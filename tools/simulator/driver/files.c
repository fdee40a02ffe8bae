/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: the driver's files. /dev/mshv, the files the
 * ioctls create, their references and release, and the entry points the
 * preload layer calls (ioctl, mmap, signal kicks, faults, tracing).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "driver_internal.h"

struct sim_config sim_cfg;
const struct sim_host_ops *sim_host;

/* initial-exec: the library is preloaded at start-up, and a run reads this on every signal */
static __thread struct sim_vp *thread_vp __attribute__((tls_model("initial-exec"))); /* the VP this thread runs */

void sim_driver_init(const struct sim_host_ops *ops, const struct sim_config *cfg)
{
	sim_host = ops;
	sim_cfg = *cfg;
	/* The hypervisor is the one short of memory; the driver is the one that deposits. */
	hv_set_memory_shortage(cfg->hv_short_pages, cfg->hv_short_status);
	if (ops->catches_faults)
		hv_host_faults_external();
}

void sim_trace(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static const char *kind_name(enum sim_file_kind kind)
{
	switch (kind) {
	case SIM_FILE_SYSTEM:
		return "mshv";
	case SIM_FILE_PARTITION:
		return "partition";
	case SIM_FILE_VP:
		return "vp";
	case SIM_FILE_DEVICE:
		return "device";
	}
	return "?";
}

struct sim_file *sim_file_new(enum sim_file_kind kind, void *priv)
{
	struct sim_file *file = calloc(1, sizeof(*file));

	if (!file)
		return NULL;
	file->kind = kind;
	atomic_init(&file->refs, 1);
	file->priv = priv;
	return file;
}

struct sim_file *sim_driver_open(void)
{
	return sim_file_new(SIM_FILE_SYSTEM, NULL);
}

void sim_file_hold(struct sim_file *file)
{
	atomic_fetch_add(&file->refs, 1);
}

void sim_file_put(struct sim_file *file)
{
	if (!file || atomic_fetch_sub(&file->refs, 1) != 1)
		return;
	if (sim_cfg.trace)
		sim_trace("mshv-sim: release %s", kind_name(file->kind));
	switch (file->kind) {
	case SIM_FILE_PARTITION:
		sim_partition_free(file->priv);
		break;
	case SIM_FILE_VP:
		sim_vp_free(file->priv);
		break;
	case SIM_FILE_DEVICE:
		sim_device_free(file->priv);
		break;
	case SIM_FILE_SYSTEM:
		break;
	}
	free(file);
}

/*
 * /dev/mshv: MSHV_CREATE_PARTITION in every release of mshv_root; its
 * MSHV_ROOT_HVCALL (on the root partition itself) from 6.19 and in the
 * 6.6-era driver, which also has ioctls of its own. A VTL kernel's
 * /dev/mshv is mshv_vtl's (vtl.c).
 */
static long system_ioctl(unsigned long request, void *arg)
{
	if (sim_cfg.kernel == SIM_KERNEL_VTL)
		return sim_vtl_system_ioctl(request, arg);
	if (request == MSHV_CREATE_PARTITION)
		return sim_system_create_partition(arg);
	if (request == MSHV_ROOT_HVCALL && sim_cfg.kernel != SIM_KERNEL_6_15)
		return sim_root_hvcall(SIM_FILE_SYSTEM, NULL, arg);
	return sim_legacy() ? sim_legacy_system_ioctl(request, arg) : -ENOTTY;
}

/* Every VP fd ioctl holds the VP's mutex, so it waits for a running MSHV_RUN_VP. */
static long vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	long ret;

	pthread_mutex_lock(&vp->mutex);
	if (request == MSHV_RUN_VP)
		thread_vp = vp;
	ret = sim_vp_ioctl(vp, request, arg);
	thread_vp = NULL;
	pthread_mutex_unlock(&vp->mutex);
	return ret;
}

long sim_driver_ioctl(struct sim_file *file, unsigned long request, void *arg)
{
	long ret;

	switch (file->kind) {
	case SIM_FILE_SYSTEM:
		ret = system_ioctl(request, arg);
		break;
	case SIM_FILE_PARTITION:
		ret = sim_partition_ioctl(file->priv, request, arg);
		break;
	case SIM_FILE_VP:
		ret = vp_ioctl(file->priv, request, arg);
		break;
	case SIM_FILE_DEVICE:
		ret = sim_device_ioctl(file->priv, request, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	if (sim_cfg.trace && request != MSHV_RUN_VP)
		sim_trace("mshv-sim: %s ioctl 0x%08lx -> %ld", kind_name(file->kind), request, ret);
	return ret;
}

int sim_driver_mmap_check(struct sim_file *file, size_t length, int prot, int flags, off_t offset)
{
	(void)length; /* the driver checks neither length nor protection */
	(void)prot;
	(void)flags;
	if (file->kind != SIM_FILE_VP)
		return -ENODEV;
	return sim_vp_mmap_check(file->priv, offset);
}

SIM_SIGNAL_SAFE void sim_driver_kick_current_thread(void)
{
	struct sim_vp *vp = thread_vp;

	if (vp && vp->hv)
		hv_vp_kick(vp->hv);
}

bool sim_driver_host_fault(void *addr)
{
	return hv_host_write_fault(addr);
}

void sim_driver_host_write_prepare(void *addr, size_t len)
{
	hv_host_write_prepare(addr, len);
}

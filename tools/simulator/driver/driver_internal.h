/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: the driver's records and helpers, shared by the
 * files of driver/ only.
 *
 * Locking: a partition's lock guards its memory regions, eventfd tables,
 * MSI routes and device flag. A VP's mutex serialises its fd's ioctls (the
 * driver's vp_mutex), so they wait for a running MSHV_RUN_VP. The driver
 * may call the hypervisor layer with its own locks held, never the other
 * way round.
 */
#ifndef MSHV_SIM_DRIVER_INTERNAL_H
#define MSHV_SIM_DRIVER_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "driver.h"
#include "hv.h"
#include "mshv.h"

#define SIM_PAGE_SIZE 4096u
#define SIM_MAX_VPS HV_SIM_MAX_VPS /* the driver's MSHV_MAX_VPS */
#define SIM_MAX_REGIONS 256
#define SIM_MAX_IRQFDS 256
#define SIM_MAX_IOEVENTFDS 256
#define SIM_MAX_MSI_ROUTES 4096 /* the driver's MSHV_MAX_GUEST_IRQS */

extern const struct sim_host_ops *sim_host;

/* The 6.6-era downstream driver (its own ioctls, numbers and errno mapping). */
static inline bool sim_legacy(void)
{
	return sim_cfg.kernel == SIM_KERNEL_6_6;
}

/* A mainline release at least k (6.15, 6.19 or 7.0); the VTL kernel is a 6.19 or later. */
static inline bool sim_mainline_since(enum sim_kernel k)
{
	return sim_cfg.kernel != SIM_KERNEL_6_6 && sim_cfg.kernel >= k;
}

/* A region of MSHV_SET_GUEST_MEMORY, as the driver keeps it. */
struct sim_region {
	uint64_t gfn;   /* first guest page */
	uint64_t npages;
	uint64_t uaddr; /* VMM address of the first page */
	uint8_t flags;  /* 1 << MSHV_SET_MEM_BIT_* */
};

struct sim_irqfd {
	int eventfd;    /* our dup of the VMM's eventfd */
	int resamplefd; /* -1 when none */
	uint32_t gsi;
};

struct sim_msi_route {
	bool valid;
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
};

struct sim_partition {
	pthread_mutex_t lock;
	struct sim_file *file;
	struct hv_partition *hv; /* the hypervisor keeps the isolation type */

	bool has_device; /* one VFIO device per partition */
	struct sim_region regions[SIM_MAX_REGIONS];
	size_t nregions;

	struct sim_irqfd irqfds[SIM_MAX_IRQFDS];
	size_t nirqfds;
	int irqfd_graveyard[2 * SIM_MAX_IRQFDS]; /* deassigned fds, closed by the irqfd thread */
	size_t ngraves;
	pthread_t irqfd_thread;
	bool irqfd_thread_started;
	atomic_bool irqfd_stop;
	int irqfd_control; /* eventfd: wakes the irqfd thread */
	struct sim_partition *irqfd_next; /* in the list of partitions with an irqfd thread (eventfds.c) */
	struct hv_doorbell ioeventfds[SIM_MAX_IOEVENTFDS];
	size_t nioeventfds;
	/*
	 * Deassigned ioeventfds a running VP may still signal (the doorbell
	 * set it runs with is older than gen): closed by
	 * sim_ioeventfd_graves_sweep() once hv_partition_doorbells_retired().
	 */
	struct sim_ioeventfd_grave {
		int fd;
		unsigned gen;
	} *ioeventfd_graves;
	size_t nioeventfd_graves;
	atomic_size_t ioeventfd_graves_pending; /* nioeventfd_graves, for the run path's unlocked look */
	struct sim_msi_route *msi_routes; /* SIM_MAX_MSI_ROUTES entries, by GSI */
	/*
	 * Every VP created, whether its fd is open or not (the kernel's
	 * pt_vp_array): a VP lives until its partition does. vps_lock also
	 * serialises MSHV_CREATE_VP, as the kernel's partition mutex does.
	 */
	pthread_mutex_t vps_lock;
	struct sim_vp *vps[SIM_MAX_VPS];
};

struct sim_vp {
	struct sim_partition *pt; /* the fd holds a reference to the partition's file */
	uint32_t index;
	struct hv_vp *hv;
	int backing_fd; /* memfd: page 0 register page, 1 intercept message, 2 GHCB */
	void *pages;    /* our mapping of pages 0 and 1 */
	pthread_mutex_t mutex;
	bool in_partition; /* created: in pt->vps until the partition's end */
};

/* ---- user memory (files.c) ---------------------------------------------------
 * The kernel's copy_from_user/copy_to_user fail with EFAULT on an address
 * the caller cannot read or write; so do these (the process's fault-safe
 * copy): garbage pointers in any argument give EFAULT, never a crash. */
static inline int user_range_ok(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	if (n == 0)
		return 1;
	return a >= 4096 && a + n > a;
}

static inline int copy_from_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(src, n))
		return -EFAULT;
	return sim_host->user_copy(dst, src, n);
}

static inline int copy_to_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return sim_host->user_copy(dst, src, n);
}

/* files.c */
struct sim_file *sim_file_new(enum sim_file_kind kind, void *priv);

/* partition.c */
long sim_system_create_partition(void *uarg);
long sim_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg);
void sim_partition_free(struct sim_partition *pt);

/* vp.c */
long sim_partition_create_vp(struct sim_partition *pt, void *uarg);
long sim_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg);
int sim_vp_mmap_check(struct sim_vp *vp, off_t offset);
void sim_vp_free(struct sim_vp *vp);
void sim_vp_destroy(struct sim_vp *vp);

/* hvcall.c */
/* The errno the kernel makes of a failed hypercall status (per release). */
long sim_status_to_errno(uint64_t status);
/* MSHV_ROOT_HVCALL on /dev/mshv (pt NULL), a partition fd, or a VP fd. */
long sim_root_hvcall(enum sim_file_kind kind, struct sim_partition *pt, void *uarg);
/*
 * A hypercall for one of the driver's own ioctls: in (in_size bytes) on a
 * zeroed input page whose first 8 bytes become the partition id; out_size
 * bytes of the output copied to out on success. Deposits and retries on a
 * memory status. Returns 0 or the errno of the status (or of the deposit).
 */
long sim_driver_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in, size_t in_size,
		       void *out, size_t out_size);
/* The same, returning the HV_STATUS itself. */
uint64_t sim_driver_hvcall_status(struct sim_partition *pt, uint16_t code, uint16_t reps, const void *in,
				  size_t in_size, void *out, size_t out_size);
/*
 * After a failed hypercall of the driver's own (status not SUCCESS): 0 when
 * it deposited what the status asks for and the call is to be retried
 * (INSUFFICIENT_MEMORY: pages into pt; the other memory statuses from 7.0:
 * hv_deposit_memory's amounts), else the errno that ends the call (the
 * status's, or the failed deposit's -ENOMEM).
 */
long sim_retry_after(struct sim_partition *pt, uint64_t status, uint64_t pages);
/* hv_call_deposit_pages of pages into pt before a call: 0 or -ENOMEM. */
long sim_deposit_upfront(struct sim_partition *pt, uint64_t pages);

/* eventfds.c */
long sim_partition_irqfd(struct sim_partition *pt, void *uarg);
long sim_partition_ioeventfd(struct sim_partition *pt, void *uarg);
long sim_partition_msi_routing(struct sim_partition *pt, void *uarg);
void sim_eventfds_free(struct sim_partition *pt);
/* Close the deassigned ioeventfds no running VP can signal any more (after a run, and on each change). */
void sim_ioeventfd_graves_sweep(struct sim_partition *pt);
/* Whether two fds refer to one open file (the kernel matches eventfds so). */
bool sim_same_file(int a, int b);

/* device.c */
long sim_partition_create_device(struct sim_partition *pt, void *uarg);
long sim_device_ioctl(void *dev, unsigned long request, void *arg);
void sim_device_free(void *dev);

/* vtl.c: /dev/mshv of a kernel with mshv_vtl (MSHV_SIM_KERNEL=vtl) */
long sim_vtl_system_ioctl(unsigned long request, void *arg);

/* legacy.c: the 6.6-era ioctls (MSHV_SIM_ABI=legacy) */
long sim_legacy_system_ioctl(unsigned long request, void *arg);
long sim_legacy_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg);
long sim_legacy_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg);

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim internals shared by the libc interposition layer (preload.c),
 * the kernel-driver model (driver.c) and the hypercall model
 * (hypercalls.c). Not an API: nothing outside tools/simulator includes it.
 */
#ifndef MSHV_SIM_H
#define MSHV_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mshv.h"
#include "x86_vcpu.h"

#define SIM_PAGE_SIZE 4096u
#define SIM_MAX_VPS 64           /* vp_index limit, as the driver's MSHV_MAX_VPS */
#define SIM_MAX_REGIONS 256
#define SIM_MAX_IRQFDS 256
#define SIM_MAX_IOEVENTFDS 256
#define SIM_MAX_MSI_ROUTES 4096  /* the driver's MSHV_MAX_GUEST_IRQS */
#define SIM_MAX_DEVICES 16
#define SIM_MAX_PROPERTIES 64

/* Which kernel generation the simulated driver behaves as (MSHV_SIM_ABI). */
enum sim_abi {
	SIM_ABI_UPSTREAM, /* 6.18-era upstream ioctl set and numbering */
	SIM_ABI_LEGACY,   /* 6.6-era downstream: adds the 0xF0+ ioctls, old device numbers */
};

struct sim_config {
	enum sim_abi abi;
	bool trace; /* MSHV_SIM_TRACE=1: one line per ioctl and hypercall on stderr */
};
extern struct sim_config sim_cfg;

enum sim_obj_kind {
	SIM_OBJ_SYSTEM = 1, /* an open /dev/mshv */
	SIM_OBJ_PARTITION,
	SIM_OBJ_VP,
	SIM_OBJ_DEVICE,
};

/* What a simulated fd refers to; shared by dup()ed fds, freed on last close. */
struct sim_obj {
	enum sim_obj_kind kind;
	atomic_int refs;
	void *priv; /* struct sim_partition / sim_vp / sim_device; NULL for SIM_OBJ_SYSTEM */
};

struct sim_region {
	uint64_t gfn;     /* first guest page */
	uint64_t npages;
	uint64_t uaddr;   /* VMM address of the first page */
	uint8_t flags;    /* 1 << MSHV_SET_MEM_BIT_* */
};

struct sim_irqfd {
	int eventfd;   /* our dup of the VMM's eventfd */
	int resamplefd; /* -1 when none */
	uint32_t gsi;
};

struct sim_ioeventfd {
	int eventfd;
	uint64_t addr;
	uint32_t len;       /* 0 (any), 1, 2, 4, 8 */
	bool has_datamatch;
	uint64_t datamatch;
};

struct sim_msi_route {
	bool valid;
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
};

struct sim_property {
	uint64_t code;
	uint64_t value;
};

struct sim_vp;

struct sim_partition {
	pthread_mutex_t lock;
	struct sim_obj *obj;
	uint64_t pt_flags;
	uint64_t pt_isolation;
	uint64_t partition_id;
	bool initialized;

	struct sim_region regions[SIM_MAX_REGIONS];
	size_t nregions;
	atomic_uint mem_generation; /* bumped on every map/unmap */

	struct sim_vp *vps[SIM_MAX_VPS];

	struct sim_irqfd irqfds[SIM_MAX_IRQFDS];
	size_t nirqfds;
	struct sim_ioeventfd ioeventfds[SIM_MAX_IOEVENTFDS];
	size_t nioeventfds;
	struct sim_msi_route *msi_routes; /* SIM_MAX_MSI_ROUTES entries, by GSI */

	struct sim_x86_intercepts intercepts;
	struct sim_property props[SIM_MAX_PROPERTIES];
	size_t nprops;

	/* Page access tracking (MSHV_GET_GPAP_ACCESS_BITMAP), by guest page. */
	bool dirty_tracking;
	_Atomic uint8_t *accessed; /* bit 0 accessed, bit 1 written; one byte per page of the highest region */
	uint64_t tracked_pages;
};

struct sim_vp {
	struct sim_partition *pt; /* holds a reference to the partition object */
	struct sim_obj *obj;
	uint32_t index;
	int backing_fd;                 /* memfd: page 0 register page, 1 intercept message, 2 GHCB */
	struct hv_vp_register_page *regpage;
	struct sim_x86_vcpu *cpu;
	unsigned mem_generation;        /* partition generation last given to the CPU */
	pthread_mutex_t run_lock;       /* one MSHV_RUN_VP at a time */
	atomic_bool running;
};

/* preload.c */
int sim_fd_install(struct sim_obj *obj, const char *name, bool cloexec, size_t backing_size, int *backing_fd);
struct sim_obj *sim_fd_get(int fd); /* +1 reference, NULL when fd is not simulated */
void sim_obj_put(struct sim_obj *obj);
void sim_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* driver.c */
long sim_ioctl(struct sim_obj *obj, unsigned long request, void *arg);
int sim_mmap_check(struct sim_obj *obj, size_t length, int prot, int flags, off_t offset);
void sim_obj_release(struct sim_obj *obj);
struct sim_obj *sim_system_new(void);
struct sim_vp *sim_current_vp(void);
void sim_kick_current_thread(void);

/* hypercalls.c: one hypercall as issued through MSHV_ROOT_HVCALL (or by the
 * driver itself); returns the HV_STATUS and, for rep calls, the reps done. */
uint64_t sim_hvcall(struct sim_partition *pt, struct sim_vp *vp, uint16_t code, uint16_t reps,
		    const void *in, size_t in_size, void *out, size_t out_size, uint16_t *reps_done);
const char *sim_hvcall_name(uint16_t code);
/* Deliver an interrupt to the VPs dest names (APIC ID, or a logical mask). */
uint64_t sim_assert_interrupt(struct sim_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
			      bool level, bool logical);

#endif

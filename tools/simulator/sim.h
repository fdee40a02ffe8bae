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
#define SIM_MAX_VPS 256          /* vp_index limit, the driver's MSHV_MAX_VPS */
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

	bool has_device;   /* one VFIO device per partition */
	struct sim_region regions[SIM_MAX_REGIONS];
	size_t nregions;
	atomic_uint mem_generation; /* bumped on every map/unmap */

	struct sim_vp *vps[SIM_MAX_VPS];

	struct sim_irqfd irqfds[SIM_MAX_IRQFDS];
	size_t nirqfds;
	int irqfd_graveyard[2 * SIM_MAX_IRQFDS]; /* deassigned fds, closed by the irqfd thread */
	size_t ngraves;
	pthread_t irqfd_thread;
	bool irqfd_thread_started;
	atomic_bool irqfd_stop;
	int irqfd_control; /* eventfd: wakes the irqfd thread */
	struct sim_ioeventfd ioeventfds[SIM_MAX_IOEVENTFDS];
	size_t nioeventfds;
	int *ioeventfd_graves; /* deassigned: a running VP may still signal them; closed with the partition */
	size_t nioeventfd_graves;
	struct sim_msi_route *msi_routes; /* SIM_MAX_MSI_ROUTES entries, by GSI */

	struct sim_x86_intercepts intercepts;
	struct sim_property props[SIM_MAX_PROPERTIES];
	size_t nprops;
	struct hv_register_x64_cpuid_result_parameters cpuid_overrides[64];
	size_t ncpuid_overrides;

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
	struct hv_message *msgpage;     /* page 1: the last intercept message */
	bool explicit_suspend;          /* HV_REGISTER_EXPLICIT_SUSPEND: set at creation */
	bool intercept_suspend;         /* HV_REGISTER_INTERCEPT_SUSPEND: set by each intercept */
	uint64_t deliverability_notifications;
	uint8_t simp[SIM_PAGE_SIZE];    /* MSHV_VP_STATE_SIMP / _SIEFP / _SYNTHETIC_TIMERS blobs */
	uint8_t siefp[SIM_PAGE_SIZE];
	uint8_t timers[sizeof(struct hv_synthetic_timers_state)];
	struct hv_vp_register_page *regpage;
	struct sim_x86_vcpu *cpu;
	unsigned mem_generation;        /* partition generation last given to the CPU */
	pthread_mutex_t run_lock;       /* one MSHV_RUN_VP at a time */
	atomic_bool running;
};

/* preload.c */
int sim_fd_install(struct sim_obj *obj, const char *name, bool cloexec, size_t backing_size, int *backing_fd);
/* Copy n bytes; -EFAULT (never a crash) when either side is not accessible. */
int sim_user_copy(void *dst, const void *src, size_t n);
/* libc's mmap, for the simulator's own mappings of its backing fds. */
void *sim_real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
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

/* The VMM's memory behind guest range [gpa, gpa + len) if one region maps it
 * all (with write access when write), else NULL. */
void *sim_gpa_to_host(struct sim_partition *pt, uint64_t gpa, size_t len, bool write);
/* HvCallGetGpaPagesAccessStates for one page: the state before flags
 * (bit 0 clear accessed, 1 set accessed, 2 clear dirty, 3 set dirty) apply. */
uint8_t sim_page_access_state(struct sim_partition *pt, uint64_t gfn, unsigned flags);
/* CPUID results registered with HVCALL_REGISTER_INTERCEPT_RESULT. */
uint64_t sim_cpuid_add_override(struct sim_partition *pt, const struct hv_register_x64_cpuid_result_parameters *p);
void sim_cpuid_apply_overrides(struct sim_partition *pt, uint32_t eax, uint32_t ecx, uint32_t r[4]);
/* Register page <-> CPU, with the VP's run lock held: load the classes the
 * VMM marked dirty; rewrite the page from the CPU (isvalid 1, dirty 0). */
void sim_vp_apply_register_page(struct sim_vp *vp);
void sim_vp_refresh_register_page(struct sim_vp *vp);

/* Page access tracking on or off (pt->lock held); returns an HV_STATUS. */
uint64_t sim_set_access_tracking(struct sim_partition *pt, bool on);

/* irqfd.c */
int sim_irqfd_changed(struct sim_partition *pt); /* with pt->lock held */
void sim_irqfd_stop(struct sim_partition *pt);
void sim_irqfd_inject(struct sim_partition *pt, uint32_t gsi);

/* hypercalls.c: one hypercall as issued through MSHV_ROOT_HVCALL (or by the
 * driver itself); returns the HV_STATUS and, for rep calls, the reps done. */
/* pt NULL: the call targets the root partition itself (HV_PARTITION_ID_SELF).
 * locked: a VP whose run_lock the caller already holds (the VP fd's ioctl lock). */
uint64_t sim_hvcall(struct sim_partition *pt, struct sim_vp *locked, uint16_t code, uint16_t reps,
		    const void *in, void *out, uint16_t *reps_done);
const char *sim_hvcall_name(uint16_t code);
/* Whether MSHV_ROOT_HVCALL passes code through on this kind of fd. */
bool sim_hvcall_allowed(enum sim_obj_kind kind, uint16_t code);
bool sim_hvcall_is_async(uint16_t code);
/* Deliver an interrupt to the VPs dest names (APIC ID, or a logical mask). */
uint64_t sim_assert_interrupt(struct sim_partition *pt, uint32_t type, uint32_t vector, uint64_t dest,
			      bool level, bool logical);

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, hypervisor layer: virtual processors. Creation, the run to
 * the next intercept (with the partition's current memory map given to the
 * CPU model first), the suspend registers, register access by the root
 * (the registers the hypervisor keeps itself, the rest from the CPU model,
 * the register page kept in step) and the VP state blobs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

/* The CPU model's view of guest memory from any thread (the SynIC's pages). */
static void *vp_gpa_to_host(void *pt, uint64_t gpa, size_t len, bool write)
{
	return hv_partition_gpa_to_host(pt, gpa, len, write);
}

int hv_vp_create(struct hv_partition *pt, uint32_t index, struct hv_vp **out, uint64_t *status)
{
	struct hv_vp *vp;
	int err;

	*status = HV_STATUS_SUCCESS;
	if (index >= HV_SIM_MAX_VPS)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->pt = pt;
	vp->index = index;
	vp->explicit_suspend = true;
	vp->map_generation = (unsigned)-1;
	atomic_init(&vp->busy, 0);
	atomic_init(&vp->lookups, 0);
	atomic_init(&vp->in_run, false);
	atomic_init(&vp->run_generation, 0);

	pthread_mutex_lock(&pt->lock);
	if (pt->vps[index]) {
		err = -EEXIST;
	} else if (!pt->initialized) {
		*status = HV_STATUS_INVALID_PARTITION_STATE;
		err = -EIO;
	} else {
		*status = hv_partition_allocate(pt);
		err = *status != HV_STATUS_SUCCESS ? -ENOMEM : sim_x86_vcpu_create(&vp->cpu, index);
	}
	if (err) {
		pthread_mutex_unlock(&pt->lock);
		free(vp);
		return err;
	}
	sim_x86_vcpu_set_time_base(vp->cpu, pt->created_ns);
	sim_x86_vcpu_set_intercepts(vp->cpu, &pt->intercepts);
	sim_x86_vcpu_set_ipi_handler(vp->cpu, hv_partition_send_ipi, pt);
	sim_x86_vcpu_set_vp_set_handler(vp->cpu, hv_partition_vp_set, pt);
	sim_x86_vcpu_set_partition_msrs(vp->cpu, &pt->msrs);
	sim_x86_vcpu_set_x2apic_capable(vp->cpu, pt->x2apic);
	sim_x86_vcpu_set_synthetic_features(vp->cpu,
					    hv_partition_property_locked(pt, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES));
	sim_x86_vcpu_set_gpa_resolver(vp->cpu, vp_gpa_to_host, pt);
	if (pt->access_tracking)
		sim_x86_vcpu_track_access(vp->cpu, hv_partition_track_access, pt);
	pt->vps[index] = vp;
	pthread_mutex_unlock(&pt->lock);
	*out = vp;
	return 0;
}

void hv_vp_attach_pages(struct hv_vp *vp, void *regpage, void *msgpage)
{
	vp->msgpage = msgpage;
	if (!vp->pt->isolation) {
		/* Isolated (SEV-SNP) partitions have no register page. */
		vp->regpage = regpage;
		sim_x86_vcpu_store_register_page(vp->cpu, vp->regpage);
	}
}

void hv_vp_destroy(struct hv_vp *vp)
{
	struct hv_partition *pt = vp->pt;

	pthread_mutex_lock(&pt->lock);
	if (pt->vps[vp->index] == vp)
		pt->vps[vp->index] = NULL;
	pthread_mutex_unlock(&pt->lock);
	/* No new lookup finds it now; the ones in flight end without blocking (their VP access is try-only). */
	while (atomic_load(&vp->lookups))
		sched_yield();
	sim_x86_vcpu_destroy(vp->cpu);
	free(vp);
}

struct hv_vp *hv_partition_vp(struct hv_partition *pt, uint32_t index)
{
	struct hv_vp *vp;

	if (index >= HV_SIM_MAX_VPS)
		return NULL;
	pthread_mutex_lock(&pt->lock);
	vp = pt->vps[index];
	if (vp)
		atomic_fetch_add(&vp->lookups, 1); /* under pt->lock: hv_vp_destroy cannot have passed its wait */
	pthread_mutex_unlock(&pt->lock);
	return vp;
}

void hv_vp_unref(struct hv_vp *vp)
{
	atomic_fetch_sub(&vp->lookups, 1);
}

bool hv_vp_has_register_page(const struct hv_vp *vp)
{
	return vp->regpage != NULL;
}

const struct hv_message *hv_vp_message(const struct hv_vp *vp)
{
	return vp->msgpage;
}

bool hv_vp_suspended(const struct hv_vp *vp, uint32_t reg)
{
	return reg == HV_REGISTER_EXPLICIT_SUSPEND ? vp->explicit_suspend : vp->intercept_suspend;
}

void hv_vp_set_suspended(struct hv_vp *vp, uint32_t reg, bool on)
{
	if (reg == HV_REGISTER_EXPLICIT_SUSPEND)
		vp->explicit_suspend = on;
	else
		vp->intercept_suspend = on;
}

/* ---- running ---------------------------------------------------------------- */

/* Give the VP's CPU the partition's current memory map and doorbells (VP taken). */
static int sync_memory(struct hv_vp *vp)
{
	struct hv_partition *pt = vp->pt;
	struct sim_mem_slot slots[HV_SIM_MAX_GPA_RANGES];
	struct sim_doorbell bells[HV_SIM_MAX_DOORBELLS];
	unsigned gen;
	size_t i, n, nbells;
	int err;

	gen = atomic_load(&pt->map_generation);
	if (gen == vp->map_generation)
		return 0;
	pthread_mutex_lock(&pt->lock);
	gen = atomic_load(&pt->map_generation);
	atomic_store(&vp->run_generation, gen); /* before the doorbells are copied: a removal from now on waits */
	n = pt->nranges;
	for (i = 0; i < n; i++) {
		const struct hv_gpa_range *r = &pt->ranges[i];

		slots[i].gpa = r->gfn * HV_SIM_PAGE_SIZE;
		slots[i].size = r->npages * HV_SIM_PAGE_SIZE;
		slots[i].host = (void *)(uintptr_t)r->uaddr;
		slots[i].flags = 0;
		if (r->flags & HV_MAP_GPA_READABLE)
			slots[i].flags |= SIM_MEM_READ;
		if (r->flags & HV_MAP_GPA_WRITABLE)
			slots[i].flags |= SIM_MEM_WRITE;
		if (r->flags & HV_MAP_GPA_EXECUTABLE)
			slots[i].flags |= SIM_MEM_EXEC;
	}
	nbells = pt->ndoorbells;
	memcpy(bells, pt->doorbells, nbells * sizeof(bells[0]));
	pthread_mutex_unlock(&pt->lock);
	err = sim_x86_vcpu_set_memory(vp->cpu, slots, n);
	if (!err)
		err = sim_x86_vcpu_set_doorbells(vp->cpu, bells, nbells);
	if (!err)
		vp->map_generation = gen;
	return err;
}

/* Take the VP, waiting while the root briefly holds it; hv_vp_put() gives it back. */
static void hv_vp_take(struct hv_vp *vp)
{
	int idle = 0;

	while (!atomic_compare_exchange_weak(&vp->busy, &idle, 1)) {
		idle = 0;
		sched_yield();
	}
}

static void hv_vp_put(struct hv_vp *vp)
{
	atomic_store(&vp->busy, 0);
}

int hv_vp_run(struct hv_vp *vp)
{
	int ret;

	hv_vp_take(vp);
	if (vp->explicit_suspend) {
		/* Suspended by the root: nothing runs until a kick. */
		ret = sim_x86_vcpu_wait_kick(vp->cpu);
		hv_vp_put(vp);
		return ret;
	}
	atomic_store(&vp->run_generation, vp->map_generation);
	atomic_store(&vp->in_run, true);
	ret = sync_memory(vp);
	if (!ret)
		ret = sim_x86_vcpu_run(vp->cpu, vp->msgpage, vp->regpage);
	atomic_store(&vp->in_run, false);
	if (!ret)
		vp->intercept_suspend = true; /* each intercept suspends the VP until the root resumes it */
	hv_vp_put(vp);
	return ret;
}

SIM_SIGNAL_SAFE void hv_vp_kick(struct hv_vp *vp)
{
	sim_x86_vcpu_kick(vp->cpu);
}

/* ---- registers --------------------------------------------------------------- */

uint64_t hv_vp_acquire(struct hv_vp *vp)
{
	int idle = 0;

	if (!atomic_compare_exchange_strong(&vp->busy, &idle, 1))
		return HV_STATUS_INVALID_VP_STATE; /* it runs */
	if (vp->regpage)
		sim_x86_vcpu_load_register_page(vp->cpu, vp->regpage);
	return HV_STATUS_SUCCESS;
}

void hv_vp_release(struct hv_vp *vp, bool changed)
{
	if (changed && vp->regpage)
		sim_x86_vcpu_store_register_page(vp->cpu, vp->regpage);
	hv_vp_put(vp);
}

/* Registers the hypervisor keeps for the root rather than in the CPU. */
uint64_t hv_vp_get_register(struct hv_vp *vp, uint32_t name, union hv_register_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (name) {
	case HV_REGISTER_EXPLICIT_SUSPEND:
		v->reg64 = vp->explicit_suspend;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_INTERCEPT_SUSPEND:
		v->reg64 = vp->intercept_suspend;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_DISPATCH_SUSPEND:
		return HV_STATUS_SUCCESS;
	default:
		return sim_x86_vcpu_get_register(vp->cpu, name, v);
	}
}

uint64_t hv_vp_set_register(struct hv_vp *vp, uint32_t name, const union hv_register_value *v)
{
	switch (name) {
	case HV_REGISTER_EXPLICIT_SUSPEND:
	case HV_REGISTER_INTERCEPT_SUSPEND:
		if (v->reg64 > 1)
			return HV_STATUS_INVALID_REGISTER_VALUE;
		hv_vp_set_suspended(vp, name, v->reg64);
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_DISPATCH_SUSPEND:
		return HV_STATUS_INVALID_PARAMETER;
	default:
		return sim_x86_vcpu_set_register(vp->cpu, name, v);
	}
}

/* ---- VP state blobs -------------------------------------------------------------- */

uint32_t hv_vp_state_size(struct hv_vp *vp, uint8_t type)
{
	uint64_t size;

	switch (type) {
	case MSHV_VP_STATE_XSAVE:
		if (hv_partition_get_property(vp->pt, HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE, &size) !=
		    HV_STATUS_SUCCESS)
			return HV_SIM_PAGE_SIZE;
		return (uint32_t)size;
	case MSHV_VP_STATE_SYNTHETIC_TIMERS:
		return sizeof(struct hv_synthetic_timers_state);
	default:
		return HV_SIM_PAGE_SIZE;
	}
}

/* The blob of type: the CPU model's (LAPIC, XSAVE, the SynIC's pages and timers). */
static int vp_state(struct hv_vp *vp, uint8_t type, void *buf, size_t *len, bool set)
{
	int err;

	hv_vp_take(vp);
	err = set ? sim_x86_vcpu_set_state(vp->cpu, type, buf, *len) : sim_x86_vcpu_get_state(vp->cpu, type, buf, len);
	hv_vp_put(vp);
	return err;
}

int hv_vp_get_state(struct hv_vp *vp, uint8_t type, void *buf, size_t *len)
{
	return vp_state(vp, type, buf, len, false);
}

int hv_vp_set_state(struct hv_vp *vp, uint8_t type, const void *buf, size_t len)
{
	return vp_state(vp, type, (void *)buf, &len, true);
}

/* ---- the root's own memory --------------------------------------------------------- */

bool hv_host_write_fault(void *addr)
{
	return sim_x86_code_write_fault(addr);
}

void hv_host_write_prepare(void *addr, size_t len)
{
	sim_x86_host_write_prepare(addr, len);
}

void hv_host_faults_external(void)
{
	sim_x86_code_fault_external = true;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: the kernel driver (drivers/hv/mshv_root_main.c and friends)
 * as a model: the objects behind /dev/mshv, partition and VP fds, their
 * ioctls with the driver's argument checks and errno values, and the
 * downstream (6.6-era) ioctls when MSHV_SIM_ABI=legacy.
 *
 * Locking: a partition's lock guards its memory map, VP array, eventfd
 * tables and properties. A VP's run_lock serialises MSHV_RUN_VP; the CPU
 * model is touched only by the thread that holds it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sim.h"

#define SIM_VP_PAGES MSHV_VP_MMAP_OFFSET_COUNT

struct sim_device;

static void device_free(struct sim_device *dev);
static long status_to_errno(uint64_t status);
static long root_hvcall(enum sim_obj_kind kind, struct sim_partition *pt, struct sim_vp *vp, void *uarg);
static bool same_file(int a, int b);

static atomic_ulong next_partition_id = 1;
static __thread struct sim_vp *thread_vp; /* the VP this thread is running, if any */

struct sim_vp *sim_current_vp(void)
{
	return thread_vp;
}

void sim_kick_current_thread(void)
{
	struct sim_vp *vp = thread_vp;

	if (vp && vp->cpu)
		sim_x86_vcpu_kick(vp->cpu);
}

static const char *kind_name(enum sim_obj_kind kind)
{
	switch (kind) {
	case SIM_OBJ_SYSTEM:
		return "mshv";
	case SIM_OBJ_PARTITION:
		return "partition";
	case SIM_OBJ_VP:
		return "vp";
	case SIM_OBJ_DEVICE:
		return "device";
	}
	return "?";
}

static struct sim_obj *obj_new(enum sim_obj_kind kind, void *priv)
{
	struct sim_obj *obj = calloc(1, sizeof(*obj));

	if (!obj)
		return NULL;
	obj->kind = kind;
	atomic_init(&obj->refs, 1);
	obj->priv = priv;
	return obj;
}

struct sim_obj *sim_system_new(void)
{
	return obj_new(SIM_OBJ_SYSTEM, NULL);
}

/* ---- user memory access ---------------------------------------------------
 * The kernel's copy_from_user/copy_to_user fail with EFAULT on an address
 * the caller cannot read or write; so do these (sim_user_copy catches the
 * fault): garbage pointers in any argument give EFAULT, never a crash. */
static int user_range_ok(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	if (n == 0)
		return 1;
	return a >= 4096 && a + n > a;
}

static int copy_from_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(src, n))
		return -EFAULT;
	return sim_user_copy(dst, src, n);
}

static int copy_to_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return sim_user_copy(dst, src, n);
}

/* ---- partitions -------------------------------------------------------- */

static void partition_free(struct sim_partition *pt)
{
	size_t i;

	sim_irqfd_stop(pt);
	for (i = 0; i < pt->ngraves; i++)
		close(pt->irqfd_graveyard[i]);
	for (i = 0; i < pt->nirqfds; i++) {
		close(pt->irqfds[i].eventfd);
		if (pt->irqfds[i].resamplefd >= 0)
			close(pt->irqfds[i].resamplefd);
	}
	for (i = 0; i < pt->nioeventfds; i++)
		close(pt->ioeventfds[i].eventfd);
	for (i = 0; i < pt->nioeventfd_graves; i++)
		close(pt->ioeventfd_graves[i]);
	free(pt->ioeventfd_graves);
	free(pt->msi_routes);
	free((void *)pt->accessed);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
}

static void vp_free(struct sim_vp *vp)
{
	struct sim_partition *pt = vp->pt;

	pthread_mutex_lock(&pt->lock);
	if (pt->vps[vp->index] == vp)
		pt->vps[vp->index] = NULL;
	pthread_mutex_unlock(&pt->lock);
	if (vp->cpu)
		sim_x86_vcpu_destroy(vp->cpu);
	if (vp->msgpage)
		munmap((char *)vp->msgpage - MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE * SIM_PAGE_SIZE, 2 * SIM_PAGE_SIZE);
	pthread_mutex_destroy(&vp->run_lock);
	sim_obj_put(pt->obj);
	free(vp);
}

void sim_obj_release(struct sim_obj *obj)
{
	if (sim_cfg.trace)
		sim_trace("mshv-sim: release %s", kind_name(obj->kind));
	switch (obj->kind) {
	case SIM_OBJ_PARTITION:
		partition_free(obj->priv);
		break;
	case SIM_OBJ_VP:
		vp_free(obj->priv);
		break;
	case SIM_OBJ_DEVICE:
		device_free(obj->priv);
		break;
	case SIM_OBJ_SYSTEM:
		break;
	}
	free(obj);
}

/*
 * MSHV_CREATE_PARTITION on /dev/mshv. Upstream accepts the three
 * MSHV_PT_BIT_* flags and no isolation; the downstream kernel also takes the
 * CPU-feature, nested and SMT bits, SNP isolation and, with
 * MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES, the longer v2 argument.
 */
static long system_create_partition(void *uarg)
{
	struct mshv_create_partition args;
	uint64_t flag_mask, iso_count;
	struct sim_partition *pt;
	struct sim_obj *obj;
	int fd, err;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	if (sim_cfg.abi == SIM_ABI_LEGACY) {
		flag_mask = (1ull << MSHV_PT_BIT_COUNT_LEGACY) - 1;
		iso_count = MSHV_PT_ISOLATION_COUNT_LEGACY;
	} else {
		/*
		 * The upstream driver modelled here is 6.15-6.18's: it knows the
		 * first three flag bits only (6.19 added bit 3, 7.0 bits 4 and 5;
		 * the header's MSHV_PT_FLAGS_MASK is the newest).
		 */
		flag_mask = (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES) - 1;
		iso_count = MSHV_PT_ISOLATION_COUNT;
	}
	if ((args.pt_flags & ~flag_mask) || args.pt_isolation >= iso_count)
		return -EINVAL;
	if (sim_cfg.abi == SIM_ABI_LEGACY && (args.pt_flags & (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES))) {
		struct mshv_create_partition_v2 v2;

		size_t i;

		err = copy_from_user(&v2, uarg, sizeof(v2));
		if (err)
			return err;
		if (v2.pt_num_cpu_fbanks > MSHV_NUM_CPU_FEATURES_BANKS)
			return -EINVAL;
		for (i = 0; i < sizeof(v2.pt_rsvd); i++)
			if (v2.pt_rsvd[i])
				return -EINVAL;
		if (v2.pt_rsvd1[0] || v2.pt_rsvd1[1])
			return -EINVAL;
	}

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->msi_routes = calloc(SIM_MAX_MSI_ROUTES, sizeof(*pt->msi_routes));
	obj = pt->msi_routes ? obj_new(SIM_OBJ_PARTITION, pt) : NULL;
	if (!obj) {
		free(pt->msi_routes);
		free(pt);
		return -ENOMEM;
	}
	pthread_mutex_init(&pt->lock, NULL);
	pt->irqfd_control = -1;
	pt->obj = obj;
	pt->pt_flags = args.pt_flags;
	pt->pt_isolation = args.pt_isolation;
	pt->partition_id = atomic_fetch_add(&next_partition_id, 1);

	fd = sim_fd_install(obj, "anon_inode:mshv_partition", true, 0, NULL);
	if (fd < 0)
		sim_obj_put(obj);
	return fd;
}

static long system_ioctl(unsigned long request, void *arg)
{
	if (request == MSHV_CREATE_PARTITION)
		return system_create_partition(arg);
	if (request == MSHV_ROOT_HVCALL)
		return root_hvcall(SIM_OBJ_SYSTEM, NULL, NULL, arg);
	if (sim_cfg.abi == SIM_ABI_LEGACY && request == MSHV_GET_HOST_PARTITION_PROPERTY) {
		struct mshv_partition_property prop;
		struct hv_input_get_partition_property in;
		struct hv_output_get_partition_property out;
		uint16_t done;
		uint64_t status;
		long err = copy_from_user(&prop, arg, sizeof(prop));

		if (err)
			return err;
		memset(&in, 0, sizeof(in));
		in.partition_id = UINT64_MAX; /* HV_PARTITION_ID_SELF */
		in.property_code = (uint32_t)prop.property_code;
		status = sim_hvcall(NULL, NULL, HVCALL_GET_PARTITION_PROPERTY, 0, &in, &out, &done);
		if (status != HV_STATUS_SUCCESS)
			return status_to_errno(status);
		prop.property_value = out.property_value;
		return copy_to_user(arg, &prop, sizeof(prop));
	}
	return -ENOTTY;
}

/* ---- guest memory ------------------------------------------------------- */

/* Whether [addr, addr + size) is mapped readable (and writable) memory, from /proc/self/maps. */
static bool user_range_mapped(uint64_t addr, uint64_t size, bool writable)
{
	FILE *f = fopen("/proc/self/maps", "re");
	uint64_t want = addr, end = addr + size;
	char line[512];

	if (!f)
		return false;
	while (want < end && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			continue;
		if (lo > want)
			break; /* a hole (the lines are sorted) */
		if (hi <= want)
			continue;
		if (perms[0] != 'r' || (writable && perms[1] != 'w'))
			break;
		want = hi;
	}
	fclose(f);
	return want >= end;
}


/*
 * MSHV_SET_GUEST_MEMORY. Checks in the driver's order: flags, size and
 * alignment, reserved bytes (EINVAL); for a map, the user range must be
 * mapped memory (EINVAL) and must not overlap a region (EEXIST), where, as
 * in the driver, only the new range's first and last page are looked up
 * (guest addresses; upstream also user addresses). An unmap names an
 * existing region exactly (EINVAL otherwise).
 */
static int partition_set_memory(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_mem_region mem;
	uint64_t npages, last_gfn, last_uaddr;
	unsigned char vec;
	size_t i;
	int err;

	err = copy_from_user(&mem, uarg, sizeof(mem));
	if (err)
		return err;
	if (!mem.size || (mem.size & (SIM_PAGE_SIZE - 1)) || (mem.userspace_addr & (SIM_PAGE_SIZE - 1)) ||
	    (mem.flags & ~MSHV_SET_MEM_FLAGS_MASK))
		return -EINVAL;
	for (i = 0; i < sizeof(mem.rsvd); i++)
		if (mem.rsvd[i])
			return -EINVAL;
	npages = mem.size / SIM_PAGE_SIZE;

	pthread_mutex_lock(&pt->lock);
	if (mem.flags & (1u << MSHV_SET_MEM_BIT_UNMAP)) {
		err = -EINVAL;
		for (i = 0; i < pt->nregions; i++) {
			struct sim_region *r = &pt->regions[i];

			if (mem.guest_pfn < r->gfn || mem.guest_pfn >= r->gfn + r->npages)
				continue;
			if (r->gfn == mem.guest_pfn && r->npages == npages && r->uaddr == mem.userspace_addr) {
				pt->regions[i] = pt->regions[--pt->nregions];
				err = 0;
			}
			break;
		}
		goto out;
	}
	last_gfn = mem.guest_pfn + npages - 1;
	last_uaddr = mem.userspace_addr + mem.size - 1;
	/* access_ok, then a VMA must contain the start address. */
	if (last_uaddr < mem.userspace_addr || last_uaddr >= (1ull << 47) ||
	    mincore((void *)(uintptr_t)mem.userspace_addr, SIM_PAGE_SIZE, &vec) < 0) {
		err = -EINVAL;
		goto out;
	}
	/* Pinning every page (writable ones for writing) fails with EFAULT. */
	if (!user_range_mapped(mem.userspace_addr, mem.size, (mem.flags & (1u << MSHV_SET_MEM_BIT_WRITABLE)) != 0)) {
		err = -EFAULT;
		goto out;
	}
	if (!pt->initialized) {
		/* HvCallMapGpaPages on a partition not yet initialized. */
		err = -EIO;
		goto out;
	}
	for (i = 0; i < pt->nregions; i++) {
		const struct sim_region *r = &pt->regions[i];
		uint64_t r_end = r->uaddr + r->npages * SIM_PAGE_SIZE;

		if ((mem.guest_pfn >= r->gfn && mem.guest_pfn < r->gfn + r->npages) ||
		    (last_gfn >= r->gfn && last_gfn < r->gfn + r->npages)) {
			err = -EEXIST;
			goto out;
		}
		if (sim_cfg.abi == SIM_ABI_UPSTREAM &&
		    ((mem.userspace_addr >= r->uaddr && mem.userspace_addr < r_end) ||
		     (last_uaddr >= r->uaddr && last_uaddr < r_end))) {
			err = -EEXIST;
			goto out;
		}
	}
	if (pt->nregions == SIM_MAX_REGIONS) {
		err = -ENOMEM;
		goto out;
	}
	pt->regions[pt->nregions].gfn = mem.guest_pfn;
	pt->regions[pt->nregions].npages = npages;
	pt->regions[pt->nregions].uaddr = mem.userspace_addr;
	pt->regions[pt->nregions].flags = mem.flags;
	pt->nregions++;
	err = 0;
out:
	if (!err)
		atomic_fetch_add(&pt->mem_generation, 1);
	pthread_mutex_unlock(&pt->lock);
	return err;
}

void *sim_gpa_to_host(struct sim_partition *pt, uint64_t gpa, size_t len, bool write)
{
	void *host = NULL;
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->nregions; i++) {
		const struct sim_region *r = &pt->regions[i];
		uint64_t base = r->gfn * SIM_PAGE_SIZE, size = r->npages * SIM_PAGE_SIZE;

		if (gpa >= base && gpa - base < size && len <= size - (gpa - base)) {
			if (!write || (r->flags & (1u << MSHV_SET_MEM_BIT_WRITABLE)))
				host = (void *)(uintptr_t)(r->uaddr + (gpa - base));
			break;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return host;
}

/* Give the VP's CPU the partition's current memory map. */
static int vp_sync_memory(struct sim_vp *vp)
{
	struct sim_partition *pt = vp->pt;
	struct sim_mem_slot slots[SIM_MAX_REGIONS];
	struct sim_doorbell bells[SIM_MAX_IOEVENTFDS];
	unsigned gen;
	size_t i, n, nbells;
	int err;

	gen = atomic_load(&pt->mem_generation);
	if (gen == vp->mem_generation)
		return 0;
	pthread_mutex_lock(&pt->lock);
	gen = atomic_load(&pt->mem_generation);
	n = pt->nregions;
	for (i = 0; i < n; i++) {
		const struct sim_region *r = &pt->regions[i];

		slots[i].gpa = r->gfn * SIM_PAGE_SIZE;
		slots[i].size = r->npages * SIM_PAGE_SIZE;
		slots[i].host = (void *)(uintptr_t)r->uaddr;
		slots[i].flags = SIM_MEM_READ;
		if (r->flags & (1u << MSHV_SET_MEM_BIT_WRITABLE))
			slots[i].flags |= SIM_MEM_WRITE;
		if (r->flags & (1u << MSHV_SET_MEM_BIT_EXECUTABLE))
			slots[i].flags |= SIM_MEM_EXEC;
	}
	nbells = pt->nioeventfds;
	for (i = 0; i < nbells; i++) {
		bells[i].gpa = pt->ioeventfds[i].addr;
		bells[i].len = pt->ioeventfds[i].len;
		bells[i].has_datamatch = pt->ioeventfds[i].has_datamatch;
		bells[i].datamatch = pt->ioeventfds[i].datamatch;
		bells[i].eventfd = pt->ioeventfds[i].eventfd;
	}
	pthread_mutex_unlock(&pt->lock);
	err = sim_x86_vcpu_set_memory(vp->cpu, slots, n);
	if (!err)
		err = sim_x86_vcpu_set_doorbells(vp->cpu, bells, nbells);
	if (!err)
		vp->mem_generation = gen;
	return err;
}

/* ---- VPs ------------------------------------------------------------------ */

static void track_access(void *opaque, uint64_t gpfn, bool write);

/*
 * MSHV_CREATE_VP: index below MSHV_MAX_VPS (EINVAL), unused (EEXIST). The
 * new VP is explicitly suspended, its register page (not for SNP
 * partitions) and intercept message page are live in the fd's mmap.
 */
static long partition_create_vp(struct sim_partition *pt, void *uarg)
{
	struct mshv_create_vp args;
	struct sim_vp *vp;
	struct sim_obj *obj;
	void *pages;
	int fd, err;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	if (args.vp_index >= SIM_MAX_VPS)
		return -EINVAL;

	vp = calloc(1, sizeof(*vp));
	obj = vp ? obj_new(SIM_OBJ_VP, vp) : NULL;
	if (!obj) {
		free(vp);
		return -ENOMEM;
	}
	vp->index = args.vp_index;
	vp->pt = pt;
	vp->obj = obj;
	vp->backing_fd = -1;
	vp->explicit_suspend = true;
	vp->mem_generation = (unsigned)-1;
	pthread_mutex_init(&vp->run_lock, NULL);

	pthread_mutex_lock(&pt->lock);
	if (pt->vps[args.vp_index])
		err = -EEXIST;
	else if (!pt->initialized)
		err = -EIO; /* HvCallCreateVp: HV_STATUS_INVALID_PARTITION_STATE */
	else
		err = sim_x86_vcpu_create(&vp->cpu, args.vp_index);
	if (err) {
		pthread_mutex_unlock(&pt->lock);
		pthread_mutex_destroy(&vp->run_lock);
		free(obj);
		free(vp);
		return err;
	}
	sim_x86_vcpu_set_intercepts(vp->cpu, &pt->intercepts);
	if (pt->dirty_tracking)
		sim_x86_vcpu_track_access(vp->cpu, track_access, pt);
	atomic_fetch_add(&pt->obj->refs, 1); /* the VP keeps its partition alive */
	pt->vps[args.vp_index] = vp;
	pthread_mutex_unlock(&pt->lock);

	fd = sim_fd_install(obj, "anon_inode:mshv_vp", true, SIM_VP_PAGES * SIM_PAGE_SIZE, &vp->backing_fd);
	if (fd < 0) {
		sim_obj_put(obj);
		return fd;
	}
	pages = sim_real_mmap(NULL, 2 * SIM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vp->backing_fd, 0);
	if (pages == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	vp->msgpage = (struct hv_message *)((char *)pages + MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE * SIM_PAGE_SIZE);
	if (!pt->pt_isolation) {
		vp->regpage = (struct hv_vp_register_page *)((char *)pages +
							    MSHV_VP_MMAP_OFFSET_REGISTERS * SIM_PAGE_SIZE);
		sim_x86_vcpu_store_register_page(vp->cpu, vp->regpage);
	}
	return fd;
}

void sim_vp_apply_register_page(struct sim_vp *vp)
{
	if (vp->regpage)
		sim_x86_vcpu_load_register_page(vp->cpu, vp->regpage);
}

void sim_vp_refresh_register_page(struct sim_vp *vp)
{
	if (vp->regpage)
		sim_x86_vcpu_store_register_page(vp->cpu, vp->regpage);
}

/*
 * MSHV_RUN_VP (the VP fd's lock is held). Releases the suspend that holds
 * the VP (the intercept suspend left by the last message, else the
 * explicit one), runs it to the next intercept, leaves it intercept-
 * suspended and copies the message from the intercept message page. A
 * signal (or a VP still explicitly suspended) gives -EINTR, nothing copied.
 */
static long vp_run(struct sim_vp *vp, void *uarg)
{
	long ret;

	if (vp->intercept_suspend)
		vp->intercept_suspend = false;
	else
		vp->explicit_suspend = false;
	if (vp->explicit_suspend) {
		/* The VMM suspended it through a hypercall: nothing runs until a signal. */
		thread_vp = vp;
		ret = sim_x86_vcpu_wait_kick(vp->cpu);
		thread_vp = NULL;
		return ret;
	}
	ret = vp_sync_memory(vp);
	if (ret)
		return ret;
	thread_vp = vp;
	ret = sim_x86_vcpu_run(vp->cpu, vp->msgpage, vp->regpage);
	thread_vp = NULL;
	if (ret) {
		vp->explicit_suspend = true; /* as the driver does on a signal: the page is valid */
		return ret;
	}
	vp->intercept_suspend = true;
	if (sim_cfg.trace)
		sim_trace("mshv-sim: vp %u: message 0x%08x", vp->index, vp->msgpage->header.message_type);
	return copy_to_user(uarg, vp->msgpage, sizeof(struct hv_message));
}

static uint32_t vp_state_size(struct sim_vp *vp, uint8_t type)
{
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	uint16_t done;

	switch (type) {
	case MSHV_VP_STATE_XSAVE:
		memset(&in, 0, sizeof(in));
		in.property_code = HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE;
		if (sim_hvcall(vp->pt, vp, HVCALL_GET_PARTITION_PROPERTY, 0, &in, &out, &done) != HV_STATUS_SUCCESS)
			return SIM_PAGE_SIZE;
		return (uint32_t)out.property_value;
	case MSHV_VP_STATE_SYNTHETIC_TIMERS:
		return sizeof(struct hv_synthetic_timers_state);
	default:
		return SIM_PAGE_SIZE;
	}
}

/*
 * MSHV_GET_VP_STATE / MSHV_SET_VP_STATE: type, reserved bytes, buffer size
 * and alignment (EINVAL), user range (EFAULT); the state's size is written
 * back to buf_sz before it is compared with the buffer (EINVAL when larger).
 */
static long vp_state(struct sim_vp *vp, void *uarg, bool set)
{
	struct mshv_get_set_vp_state st;
	uint8_t buf[SIM_PAGE_SIZE];
	uint32_t data_sz;
	void *ubuf;
	size_t len;
	long err;

	err = copy_from_user(&st, uarg, sizeof(st));
	if (err)
		return err;
	if (st.type >= MSHV_VP_STATE_COUNT || st.rsvd[0] || st.rsvd[1] || st.rsvd[2] || !st.buf_sz ||
	    (st.buf_sz & (SIM_PAGE_SIZE - 1)) || (st.buf_ptr & (SIM_PAGE_SIZE - 1)))
		return -EINVAL;
	ubuf = (void *)(uintptr_t)st.buf_ptr;
	if (!user_range_ok(ubuf, st.buf_sz))
		return -EFAULT;
	data_sz = vp_state_size(vp, st.type);
	err = copy_to_user((char *)uarg + offsetof(struct mshv_get_set_vp_state, buf_sz), &data_sz, sizeof(data_sz));
	if (err)
		return err;
	if (data_sz > st.buf_sz)
		return -EINVAL;
	if (data_sz > sizeof(buf))
		return -EINVAL;
	len = data_sz;
	memset(buf, 0, sizeof(buf));
	if (set) {
		err = copy_from_user(buf, ubuf, data_sz);
		if (err)
			return err;
	}
	switch (st.type) {
	case MSHV_VP_STATE_LAPIC:
	case MSHV_VP_STATE_XSAVE:
		if (set)
			err = sim_x86_vcpu_set_state(vp->cpu, st.type, buf, len);
		else
			err = sim_x86_vcpu_get_state(vp->cpu, st.type, buf, &len);
		if (err)
			return err == -ENOSPC ? -EINVAL : err;
		break;
	case MSHV_VP_STATE_SIMP:
		memcpy(set ? vp->simp : buf, set ? buf : vp->simp, len);
		break;
	case MSHV_VP_STATE_SIEFP:
		memcpy(set ? vp->siefp : buf, set ? buf : vp->siefp, len);
		break;
	default:
		memcpy(set ? vp->timers : buf, set ? buf : vp->timers, len);
		break;
	}
	return set ? 0 : copy_to_user(ubuf, buf, data_sz);
}

/*
 * mmap of a VP fd: the page is chosen by the offset (0 registers, 1
 * intercept message, 2 GHCB); the driver checks neither length nor
 * protection. A page the VP lacks is ENODEV; another offset EINVAL.
 */
int sim_mmap_check(struct sim_obj *obj, size_t length, int prot, int flags, off_t offset)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct sim_vp *vp = obj->priv;

	(void)length;
	(void)prot;
	(void)flags;
	if (obj->kind != SIM_OBJ_VP)
		return -ENODEV;
	if (offset < 0 || offset % psz)
		return -EINVAL;
	switch (offset / psz) {
	case MSHV_VP_MMAP_OFFSET_REGISTERS:
		return vp->regpage ? 0 : -ENODEV;
	case MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE:
		return 0;
	case MSHV_VP_MMAP_OFFSET_GHCB:
		return -ENODEV; /* SEV-SNP GHCB pages are not modelled */
	default:
		return -EINVAL;
	}
}


/* ---- hypercall results --------------------------------------------------- */

/*
 * The errno the kernel turns a failed hypercall status into: upstream's
 * hv_result_to_errno, or the 6.6-era driver's hv_status_to_errno (both in
 * mshv.h).
 */
static long status_to_errno(uint64_t status)
{
	return sim_cfg.abi == SIM_ABI_LEGACY ? mshv_hv_status_to_errno_legacy((unsigned int)status)
					     : mshv_hv_status_to_errno((unsigned int)status);
}

/* sim_hvcall, with its MSHV_SIM_TRACE line. */
static uint64_t traced_hvcall(struct sim_partition *pt, struct sim_vp *locked, uint16_t code, uint16_t reps,
			      const void *in, void *out, uint16_t *done)
{
	uint64_t status = sim_hvcall(pt, locked, code, reps, in, out, done);
	const char *name = sim_hvcall_name(code);

	if (sim_cfg.trace)
		sim_trace("mshv-sim: hvcall %s(0x%04x) reps %u -> status 0x%llx reps %u", name ? name : "HVCALL_?", code,
			  reps, (unsigned long long)status, *done);
	return status;
}

/*
 * Issue a hypercall for one of the driver's own ioctls: the input page
 * (4 KiB, zero beyond the struct) gets the partition id; the result is the
 * errno of the status.
 */
static long driver_hvcall(struct sim_partition *pt, struct sim_vp *locked, uint16_t code, uint16_t reps,
			  const void *in, size_t in_size, void *out, size_t out_size)
{
	uint64_t page_in[MSHV_HV_PAGE_SIZE / 8], page_out[MSHV_HV_PAGE_SIZE / 8];
	uint16_t done;
	uint64_t status;

	memset(page_in, 0, sizeof(page_in));
	memset(page_out, 0, sizeof(page_out));
	memcpy(page_in, in, in_size);
	page_in[0] = pt->partition_id;
	status = traced_hvcall(pt, locked, code, reps, page_in, page_out, &done);
	if (status == HV_STATUS_SUCCESS && out_size)
		memcpy(out, page_out, out_size);
	return status_to_errno(status);
}

/* ---- MSHV_ROOT_HVCALL ------------------------------------------------------ */

/*
 * MSHV_ROOT_HVCALL on /dev/mshv (pt NULL: the root partition itself), a
 * partition fd or a VP fd (vp, whose lock the caller holds). Checks in
 * the driver's order; the input's first 8 bytes become the partition id;
 * status and reps completed are always copied back, the output only on
 * success upstream; the 6.6-era driver copies the output page back
 * whatever the status (the elements a failed rep call completed are in it).
 */
static long root_hvcall(enum sim_obj_kind kind, struct sim_partition *pt, struct sim_vp *vp, void *uarg)
{
	struct mshv_root_hvcall args;
	uint64_t in[MSHV_HV_PAGE_SIZE / 8], out[MSHV_HV_PAGE_SIZE / 8];
	uint16_t reps_done = 0;
	uint64_t status;
	long err;
	size_t i;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	if (args.status || !args.in_ptr || args.in_sz < 8 || args.in_sz > MSHV_HV_PAGE_SIZE)
		return -EINVAL;
	for (i = 0; i < sizeof(args.rsvd); i++)
		if (args.rsvd[i])
			return -EINVAL;
	if (args.out_ptr && (!args.out_sz || args.out_sz > MSHV_HV_PAGE_SIZE))
		return -EINVAL;
	if (!sim_hvcall_allowed(kind, args.code))
		return -EINVAL;
	if (sim_hvcall_is_async(args.code) && kind != SIM_OBJ_PARTITION)
		return -EINVAL;
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	err = copy_from_user(in, (void *)(uintptr_t)args.in_ptr, args.in_sz);
	if (err)
		return err;
	in[0] = pt ? pt->partition_id : UINT64_MAX; /* HV_PARTITION_ID_SELF on /dev/mshv */
	status = traced_hvcall(pt, vp, args.code, args.reps, in, out, &reps_done);
	args.status = (uint16_t)status;
	args.reps = reps_done;
	err = copy_to_user(uarg, &args, sizeof(args));
	if (err)
		return err;
	if ((status == HV_STATUS_SUCCESS || sim_cfg.abi == SIM_ABI_LEGACY) && args.out_ptr) {
		err = copy_to_user((void *)(uintptr_t)args.out_ptr, out, args.out_sz);
		if (err)
			return err;
	}
	return status_to_errno(status);
}

/* ---- eventfds and MSI routing ------------------------------------------------ */

/* Whether two fds refer to one open file (the kernel matches eventfds so). */
static bool same_file(int a, int b)
{
	pid_t pid = getpid();

	return syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b) == 0;
}

/* Whether fd is an eventfd (the driver's eventfd_ctx_fdget). */
static int eventfd_check(int fd)
{
	char path[64], target[64];
	ssize_t n;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -EBADF;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

/*
 * MSHV_IRQFD. Assign: an eventfd (EBADF/EINVAL) not bound to any GSI of the
 * partition yet (EBUSY); with resample, a resample eventfd and a level-
 * triggered route for the GSI (EINVAL otherwise). Deassign removes the
 * (eventfd, GSI) binding and succeeds even when there was none.
 */
static long partition_irqfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irqfd a;
	bool resample;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if (a.flags & ~MSHV_IRQFD_FLAGS_MASK)
		return -EINVAL;
	err = eventfd_check(a.fd);
	if (err)
		return err;
	pthread_mutex_lock(&pt->lock);
	if (a.flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)) {
		for (i = 0; i < pt->nirqfds; i++) {
			struct sim_irqfd *f = &pt->irqfds[i];

			if (f->gsi != a.gsi || !same_file(f->eventfd, a.fd))
				continue;
			if (pt->ngraves + 2 > sizeof(pt->irqfd_graveyard) / sizeof(pt->irqfd_graveyard[0])) {
				err = -EAGAIN; /* the irqfd thread has not caught up */
				break;
			}
			/* The irqfd thread may be polling it: it closes them. */
			pt->irqfd_graveyard[pt->ngraves++] = f->eventfd;
			if (f->resamplefd >= 0)
				pt->irqfd_graveyard[pt->ngraves++] = f->resamplefd;
			pt->irqfds[i] = pt->irqfds[--pt->nirqfds];
			err = sim_irqfd_changed(pt);
			break;
		}
		goto out;
	}
	resample = a.flags & (1u << MSHV_IRQFD_BIT_RESAMPLE);
	if (resample) {
		err = eventfd_check(a.resamplefd);
		if (!err && (a.gsi >= SIM_MAX_MSI_ROUTES || !pt->msi_routes[a.gsi].valid ||
			     !((pt->msi_routes[a.gsi].data >> 15) & 1)))
			err = -EINVAL;
		if (err)
			goto out;
	}
	for (i = 0; i < pt->nirqfds; i++) {
		if (same_file(pt->irqfds[i].eventfd, a.fd)) {
			err = -EBUSY;
			goto out;
		}
	}
	if (pt->nirqfds == SIM_MAX_IRQFDS) {
		err = -ENOSPC;
		goto out;
	}
	{
		struct sim_irqfd *f = &pt->irqfds[pt->nirqfds];

		f->gsi = a.gsi;
		f->eventfd = fcntl(a.fd, F_DUPFD_CLOEXEC, 0);
		f->resamplefd = resample ? fcntl(a.resamplefd, F_DUPFD_CLOEXEC, 0) : -1;
		if (f->eventfd < 0 || (resample && f->resamplefd < 0)) {
			if (f->eventfd >= 0)
				close(f->eventfd);
			err = -EMFILE;
			goto out;
		}
		pt->nirqfds++;
		err = sim_irqfd_changed(pt);
		if (err) {
			pt->nirqfds--;
			close(f->eventfd);
			if (f->resamplefd >= 0)
				close(f->resamplefd);
		}
	}
out:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/*
 * MSHV_IOEVENTFD: flags and reserved bytes (EINVAL), port IO (EOPNOTSUPP,
 * also for deassign), then deassign (ENOENT when nothing matches the
 * eventfd, address, length and datamatch) or assign: length 0/1/2/4/8,
 * no wrap (EINVAL), an eventfd, no entry with the same address and length
 * whose datamatch could equal this one (EEXIST).
 */
static long partition_ioeventfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_ioeventfd a;
	bool datamatch;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if ((a.flags & ~MSHV_IOEVENTFD_FLAGS_MASK) || a.rsvd[0] || a.rsvd[1] || a.rsvd[2] || a.rsvd[3])
		return -EINVAL;
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_PIO))
		return -EOPNOTSUPP;
	datamatch = a.flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH);
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)) {
		err = eventfd_check(a.fd);
		if (err)
			return err;
		pthread_mutex_lock(&pt->lock);
		err = -ENOENT;
		for (i = 0; i < pt->nioeventfds; i++) {
			struct sim_ioeventfd *e = &pt->ioeventfds[i];

			if (e->addr == a.addr && e->len == a.len && e->has_datamatch == datamatch &&
			    (!datamatch || e->datamatch == a.datamatch) && same_file(e->eventfd, a.fd)) {
				int *graves = realloc(pt->ioeventfd_graves,
						      (pt->nioeventfd_graves + 1) * sizeof(*graves));

				if (!graves) {
					err = -ENOMEM;
					break;
				}
				pt->ioeventfd_graves = graves;
				graves[pt->nioeventfd_graves++] = e->eventfd;
				pt->ioeventfds[i] = pt->ioeventfds[--pt->nioeventfds];
				atomic_fetch_add(&pt->mem_generation, 1);
				err = 0;
				break;
			}
		}
		goto out_locked;
	}
	if ((a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8) || a.addr + a.len < a.addr)
		return -EINVAL;
	err = eventfd_check(a.fd);
	if (err)
		return err;
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->nioeventfds; i++) {
		struct sim_ioeventfd *e = &pt->ioeventfds[i];

		if (e->addr == a.addr && e->len == a.len &&
		    (!datamatch || !e->has_datamatch || e->datamatch == a.datamatch)) {
			err = -EEXIST;
			goto out_locked;
		}
	}
	if (pt->nioeventfds == SIM_MAX_IOEVENTFDS) {
		err = -ENOSPC;
		goto out_locked;
	}
	{
		struct sim_ioeventfd *e = &pt->ioeventfds[pt->nioeventfds];

		e->eventfd = fcntl(a.fd, F_DUPFD_CLOEXEC, 0);
		if (e->eventfd < 0) {
			err = -EMFILE;
			goto out_locked;
		}
		e->addr = a.addr;
		e->len = a.len;
		e->has_datamatch = datamatch;
		e->datamatch = a.datamatch;
		pt->nioeventfds++;
		atomic_fetch_add(&pt->mem_generation, 1); /* the VPs learn the new doorbell */
	}
out_locked:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/*
 * MSHV_SET_MSI_ROUTING: at most 4096 entries, reserved zero; each GSI below
 * 4096, once, with address_hi zero (EINVAL rejects the whole table and
 * keeps the old one). The new table replaces the old at once.
 */
static long partition_msi_routing(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irq_table head;
	struct mshv_user_irq_entry e;
	struct sim_msi_route *routes;
	const char *ents;
	uint32_t i;
	long err;

	err = copy_from_user(&head, uarg, sizeof(head));
	if (err)
		return err;
	if (head.nr > SIM_MAX_MSI_ROUTES || head.rsvd)
		return -EINVAL;
	ents = (const char *)uarg + sizeof(head);
	routes = calloc(SIM_MAX_MSI_ROUTES, sizeof(*routes));
	if (!routes)
		return -ENOMEM;
	for (i = 0; i < head.nr; i++) {
		err = copy_from_user(&e, ents + (size_t)i * sizeof(e), sizeof(e));
		if (err) {
			free(routes);
			return err;
		}
		if (e.gsi >= SIM_MAX_MSI_ROUTES || e.address_hi || routes[e.gsi].valid) {
			free(routes);
			return -EINVAL;
		}
		routes[e.gsi].valid = true;
		routes[e.gsi].address_lo = e.address_lo;
		routes[e.gsi].address_hi = e.address_hi;
		routes[e.gsi].data = e.data;
	}
	pthread_mutex_lock(&pt->lock);
	free(pt->msi_routes);
	pt->msi_routes = routes;
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

/* ---- downstream (6.6-era) ioctls, MSHV_SIM_ABI=legacy ------------------------ */

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
		return driver_hvcall(pt, NULL, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0);
	} else {
		struct hv_input_get_partition_property in;
		struct hv_output_get_partition_property out;

		memset(&in, 0, sizeof(in));
		in.property_code = (uint32_t)p.property_code;
		err = driver_hvcall(pt, NULL, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out));
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
	return driver_hvcall(pt, NULL, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0);
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
	return driver_hvcall(pt, NULL, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &in, sizeof(in), NULL, 0);
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
	err = driver_hvcall(pt, NULL, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in, sizeof(in), &out, sizeof(out));
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
	return driver_hvcall(pt, NULL, HVCALL_POST_MESSAGE_DIRECT, 0, &in, sizeof(in), NULL, 0);
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
	return driver_hvcall(pt, NULL, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0);
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
			err = driver_hvcall(vp->pt, vp, HVCALL_SET_VP_REGISTERS, (uint16_t)n, in,
					    sizeof(struct hv_input_set_vp_registers) + (size_t)n * sizeof(regs[0]), NULL, 0);
			if (err)
				return err;
		}
		return 0;
	}
	for (i = 0; i < a.count; i++)
		memcpy(in + sizeof(struct hv_input_get_vp_registers) + (size_t)i * 4, &regs[i].name, 4);
	err = driver_hvcall(vp->pt, vp, HVCALL_GET_VP_REGISTERS, (uint16_t)a.count, in,
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
	err = driver_hvcall(vp->pt, vp, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in), &out, sizeof(out));
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
	err = driver_hvcall(vp->pt, vp, HVCALL_GET_VP_CPUID_VALUES, 1, in, sizeof(in), &out, sizeof(out));
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
	err = driver_hvcall(vp->pt, vp, write ? HVCALL_WRITE_GPA : HVCALL_READ_GPA, 0, &in,
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
	return driver_hvcall(vp->pt, vp, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
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

static long legacy_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
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

/* ---- devices (VFIO bridge) --------------------------------------------------------- */

struct sim_device {
	struct sim_partition *pt; /* holds a reference */
	int groups[16];           /* our dups of the VFIO group fds added */
	size_t ngroups;
};

/*
 * MSHV_CREATE_DEVICE: type VFIO only (ENODEV), MSHV_CREATE_DEVICE_TEST
 * creates nothing, one device per partition (EBUSY); the new fd is written
 * into the argument and the ioctl returns 0.
 */
static long partition_create_device(struct sim_partition *pt, void *uarg)
{
	struct mshv_create_device a;
	struct sim_device *dev;
	struct sim_obj *obj;
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
	obj = dev ? obj_new(SIM_OBJ_DEVICE, dev) : NULL;
	if (!obj) {
		pthread_mutex_unlock(&pt->lock);
		free(dev);
		return -ENOMEM;
	}
	dev->pt = pt;
	pt->has_device = true;
	atomic_fetch_add(&pt->obj->refs, 1);
	pthread_mutex_unlock(&pt->lock);
	fd = sim_fd_install(obj, "anon_inode:mshv-vfio", true, 0, NULL);
	if (fd < 0) {
		sim_obj_put(obj);
		return fd;
	}
	a.fd = (uint32_t)fd;
	return copy_to_user(uarg, &a, sizeof(a));
}

static void device_free(struct sim_device *dev)
{
	size_t i;

	for (i = 0; i < dev->ngroups; i++)
		close(dev->groups[i]);
	pthread_mutex_lock(&dev->pt->lock);
	dev->pt->has_device = false;
	pthread_mutex_unlock(&dev->pt->lock);
	sim_obj_put(dev->pt->obj);
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
		if (!same_file(dev->groups[i], gfd))
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

static long device_ioctl(struct sim_device *dev, unsigned long request, void *arg)
{
	if (sim_cfg.abi == SIM_ABI_LEGACY) {
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

/* ---- page access tracking (MSHV_GET_GPAP_ACCESS_BITMAP) ------------------------ */

#define SIM_PAGE_ACCESSED 0x1
#define SIM_PAGE_DIRTY 0x2

static void track_access(void *opaque, uint64_t gpfn, bool write)
{
	struct sim_partition *pt = opaque;

	if (gpfn < pt->tracked_pages)
		atomic_fetch_or(&pt->accessed[gpfn], write ? SIM_PAGE_ACCESSED | SIM_PAGE_DIRTY : SIM_PAGE_ACCESSED);
}

/* Pages from 0 to the end of the highest region (pt->lock held). */
static uint64_t mapped_page_limit(const struct sim_partition *pt)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < pt->nregions; i++)
		if (pt->regions[i].gfn + pt->regions[i].npages > end)
			end = pt->regions[i].gfn + pt->regions[i].npages;
	return end;
}

/*
 * HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING: 1 turns tracking on
 * (every VP reports its guest's accesses), 0 off. The state array covers
 * guest pages up to the highest region mapped when tracking starts.
 */
uint64_t sim_set_access_tracking(struct sim_partition *pt, bool on)
{
	size_t i;

	if (on && !pt->dirty_tracking) {
		uint64_t pages = mapped_page_limit(pt);
		_Atomic uint8_t *a = calloc(pages ? pages : 1, 1);

		if (!a)
			return HV_STATUS_INSUFFICIENT_MEMORY;
		free((void *)pt->accessed);
		pt->accessed = a;
		pt->tracked_pages = pages;
	}
	pt->dirty_tracking = on;
	for (i = 0; i < SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_x86_vcpu_track_access(pt->vps[i]->cpu, on ? track_access : NULL, pt);
	return HV_STATUS_SUCCESS;
}

uint8_t sim_page_access_state(struct sim_partition *pt, uint64_t gfn, unsigned flags)
{
	uint8_t clear = 0, set = 0;

	if (gfn >= pt->tracked_pages)
		return 0;
	if (flags & 0x1)
		clear |= SIM_PAGE_ACCESSED;
	if (flags & 0x4)
		clear |= SIM_PAGE_DIRTY;
	if (flags & 0x2)
		set |= SIM_PAGE_ACCESSED;
	if (flags & 0x8)
		set |= SIM_PAGE_DIRTY;
	if (clear)
		return atomic_fetch_and(&pt->accessed[gfn], (uint8_t)~clear);
	if (set)
		return atomic_fetch_or(&pt->accessed[gfn], set);
	return atomic_load(&pt->accessed[gfn]);
}

/*
 * MSHV_GET_GPAP_ACCESS_BITMAP: the accessed or dirty bit of page_count pages
 * from gpap_base, one bit each (LSB first), as they were before the
 * optional clear or set (HvCallGetGpaPagesAccessStates in batches).
 */
static long partition_gpap_access_bitmap(struct sim_partition *pt, void *uarg)
{
	/* hypervisor flags: clear accessed 1, set accessed 2, clear dirty 4, set dirty 8 */
	static const unsigned op_flags[MSHV_GPAP_ACCESS_TYPE_COUNT][MSHV_GPAP_ACCESS_OP_COUNT] = {
		[MSHV_GPAP_ACCESS_TYPE_ACCESSED] = { 0, 0x1 | 0x4, 0x2 },
		[MSHV_GPAP_ACCESS_TYPE_DIRTY] = { 0, 0x4, 0x8 | 0x2 },
	};
	struct mshv_gpap_access_bitmap a;
	uint8_t bit, *bitmap;
	uint64_t i, done, chunk;
	size_t j;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if (a.access_type >= MSHV_GPAP_ACCESS_TYPE_COUNT || a.access_op >= MSHV_GPAP_ACCESS_OP_COUNT ||
	    !a.page_count || !a.bitmap_ptr)
		return -EINVAL;
	for (j = 0; j < sizeof(a.rsvd); j++)
		if (a.rsvd[j])
			return -EINVAL;
	bitmap = (uint8_t *)(uintptr_t)a.bitmap_ptr;
	if (!user_range_ok(bitmap, (a.page_count + 7) / 8))
		return -EFAULT;
	bit = a.access_type == MSHV_GPAP_ACCESS_TYPE_DIRTY ? SIM_PAGE_DIRTY : SIM_PAGE_ACCESSED;

	pthread_mutex_lock(&pt->lock);
	if (!pt->dirty_tracking) {
		pthread_mutex_unlock(&pt->lock);
		return -EIO; /* HV_STATUS_INVALID_PARTITION_STATE */
	}
	/* In chunks of 4096 bytes of bitmap (32768 pages), as the driver batches. */
	for (done = 0; done < a.page_count && !err; done += chunk) {
		uint8_t out[4096];

		chunk = a.page_count - done < sizeof(out) * 8 ? a.page_count - done : sizeof(out) * 8;
		memset(out, 0, sizeof(out));
		for (i = 0; i < chunk; i++) {
			if (sim_page_access_state(pt, a.gpap_base + done + i, op_flags[a.access_type][a.access_op]) & bit)
				out[i / 8] |= (uint8_t)(1u << (i % 8));
		}
		err = copy_to_user(bitmap + done / 8, out, (chunk + 7) / 8);
	}
	pthread_mutex_unlock(&pt->lock);
	return err;
}

uint64_t sim_cpuid_add_override(struct sim_partition *pt, const struct hv_register_x64_cpuid_result_parameters *p)
{
	uint64_t status = HV_STATUS_SUCCESS;
	size_t i, n;

	pthread_mutex_lock(&pt->lock);
	n = pt->ncpuid_overrides;
	for (i = 0; i < n; i++)
		if (pt->cpuid_overrides[i].input.eax == p->input.eax &&
		    pt->cpuid_overrides[i].input.ecx == p->input.ecx)
			break;
	if (i == sizeof(pt->cpuid_overrides) / sizeof(pt->cpuid_overrides[0]))
		status = HV_STATUS_INSUFFICIENT_MEMORY;
	else {
		memcpy(&pt->cpuid_overrides[i], p, sizeof(*p));
		if (i == n)
			pt->ncpuid_overrides++;
	}
	pthread_mutex_unlock(&pt->lock);
	return status;
}

void sim_cpuid_apply_overrides(struct sim_partition *pt, uint32_t eax, uint32_t ecx, uint32_t r[4])
{
	size_t i;

	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->ncpuid_overrides; i++) {
		const struct hv_register_x64_cpuid_result_parameters *o = &pt->cpuid_overrides[i];

		if (o->input.eax != eax || (o->input.subleaf_specific && o->input.ecx != ecx))
			continue;
		r[0] = (r[0] & ~o->result.eax_mask) | (o->result.eax & o->result.eax_mask);
		r[1] = (r[1] & ~o->result.ebx_mask) | (o->result.ebx & o->result.ebx_mask);
		r[2] = (r[2] & ~o->result.ecx_mask) | (o->result.ecx & o->result.ecx_mask);
		r[3] = (r[3] & ~o->result.edx_mask) | (o->result.edx & o->result.edx_mask);
	}
	pthread_mutex_unlock(&pt->lock);
}

/* ---- dispatch ------------------------------------------------------------------ */

static long partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_INITIALIZE_PARTITION:
		pthread_mutex_lock(&pt->lock);
		pt->initialized = true; /* a second call is a no-op */
		pthread_mutex_unlock(&pt->lock);
		return 0;
	case MSHV_CREATE_VP:
		return partition_create_vp(pt, arg);
	case MSHV_SET_GUEST_MEMORY:
		return partition_set_memory(pt, arg);
	case MSHV_IRQFD:
		return partition_irqfd(pt, arg);
	case MSHV_IOEVENTFD:
		return partition_ioeventfd(pt, arg);
	case MSHV_SET_MSI_ROUTING:
		return partition_msi_routing(pt, arg);
	case MSHV_GET_GPAP_ACCESS_BITMAP:
		return partition_gpap_access_bitmap(pt, arg);
	case MSHV_ROOT_HVCALL:
		return root_hvcall(SIM_OBJ_PARTITION, pt, NULL, arg);
	case MSHV_CREATE_DEVICE:
		return partition_create_device(pt, arg);
	default:
		return sim_cfg.abi == SIM_ABI_LEGACY ? legacy_partition_ioctl(pt, request, arg) : -ENOTTY;
	}
}

/* Every VP fd ioctl holds the VP's lock, so it waits for a running MSHV_RUN_VP. */
static long vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	long ret;

	pthread_mutex_lock(&vp->run_lock);
	switch (request) {
	case MSHV_RUN_VP:
		ret = vp_run(vp, arg);
		break;
	case MSHV_GET_VP_STATE:
		ret = vp_state(vp, arg, false);
		break;
	case MSHV_SET_VP_STATE:
		ret = vp_state(vp, arg, true);
		break;
	case MSHV_ROOT_HVCALL:
		ret = root_hvcall(SIM_OBJ_VP, vp->pt, vp, arg);
		break;
	default:
		ret = sim_cfg.abi == SIM_ABI_LEGACY ? legacy_vp_ioctl(vp, request, arg) : -ENOTTY;
		break;
	}
	pthread_mutex_unlock(&vp->run_lock);
	return ret;
}

long sim_ioctl(struct sim_obj *obj, unsigned long request, void *arg)
{
	long ret;

	switch (obj->kind) {
	case SIM_OBJ_SYSTEM:
		ret = system_ioctl(request, arg);
		break;
	case SIM_OBJ_PARTITION:
		ret = partition_ioctl(obj->priv, request, arg);
		break;
	case SIM_OBJ_VP:
		ret = vp_ioctl(obj->priv, request, arg);
		break;
	case SIM_OBJ_DEVICE:
		ret = device_ioctl(obj->priv, request, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	if (sim_cfg.trace && request != MSHV_RUN_VP)
		sim_trace("mshv-sim: %s ioctl 0x%08lx -> %ld", kind_name(obj->kind), request, ret);
	return ret;
}

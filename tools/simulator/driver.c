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
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sim.h"

#define SIM_VP_PAGES MSHV_VP_MMAP_OFFSET_COUNT

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
 * The kernel's copy_from_user/copy_to_user fail with EFAULT on a bad user
 * address; a simulator in the same address space cannot probe every
 * address, but it can refuse the null page and wrapping ranges. */
static int user_range_ok(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	if (n == 0)
		return 1;
	return a >= 4096 && a + n > a;
}

static int copy_from_user(void *dst, const void *src, size_t n)
{
	if (!user_range_ok(src, n))
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

static int copy_to_user(void *dst, const void *src, size_t n)
{
	if (!user_range_ok(dst, n))
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

/* ---- partitions -------------------------------------------------------- */

static void partition_free(struct sim_partition *pt)
{
	size_t i;

	for (i = 0; i < pt->nirqfds; i++) {
		close(pt->irqfds[i].eventfd);
		if (pt->irqfds[i].resamplefd >= 0)
			close(pt->irqfds[i].resamplefd);
	}
	for (i = 0; i < pt->nioeventfds; i++)
		close(pt->ioeventfds[i].eventfd);
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
	if (vp->regpage)
		munmap(vp->regpage, SIM_PAGE_SIZE);
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
		free(obj->priv);
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
		flag_mask = MSHV_PT_FLAGS_MASK;
		iso_count = MSHV_PT_ISOLATION_COUNT;
	}
	if ((args.pt_flags & ~flag_mask) || args.pt_isolation >= iso_count)
		return -EINVAL;
	if (sim_cfg.abi == SIM_ABI_LEGACY && (args.pt_flags & (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES))) {
		struct mshv_create_partition_v2 v2;

		err = copy_from_user(&v2, uarg, sizeof(v2));
		if (err)
			return err;
		if (v2.pt_num_cpu_fbanks != MSHV_NUM_CPU_FEATURES_BANKS)
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
	if (sim_cfg.abi == SIM_ABI_LEGACY && request == MSHV_GET_HOST_PARTITION_PROPERTY) {
		struct mshv_partition_property prop;
		int err = copy_from_user(&prop, arg, sizeof(prop));

		if (err)
			return err;
		prop.property_value = 0;
		return copy_to_user(arg, &prop, sizeof(prop));
	}
	return -ENOTTY;
}

/* ---- guest memory ------------------------------------------------------- */

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int partition_set_memory(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_mem_region mem;
	uint64_t npages;
	size_t i;
	int err;

	err = copy_from_user(&mem, uarg, sizeof(mem));
	if (err)
		return err;
	if ((mem.flags & ~MSHV_SET_MEM_FLAGS_MASK) || !mem.size || (mem.size & (SIM_PAGE_SIZE - 1)) ||
	    (mem.userspace_addr & (SIM_PAGE_SIZE - 1)))
		return -EINVAL;
	for (i = 0; i < sizeof(mem.rsvd); i++)
		if (mem.rsvd[i])
			return -EINVAL;
	npages = mem.size / SIM_PAGE_SIZE;
	if (mem.guest_pfn + npages < mem.guest_pfn || mem.userspace_addr + mem.size < mem.userspace_addr)
		return -EINVAL;

	pthread_mutex_lock(&pt->lock);
	if (mem.flags & (1u << MSHV_SET_MEM_BIT_UNMAP)) {
		err = -EINVAL;
		for (i = 0; i < pt->nregions; i++) {
			struct sim_region *r = &pt->regions[i];

			if (r->gfn == mem.guest_pfn && r->npages == npages && r->uaddr == mem.userspace_addr) {
				pt->regions[i] = pt->regions[--pt->nregions];
				err = 0;
				break;
			}
		}
	} else {
		err = 0;
		for (i = 0; i < pt->nregions && !err; i++) {
			struct sim_region *r = &pt->regions[i];

			if (ranges_overlap(r->gfn, r->npages, mem.guest_pfn, npages) ||
			    ranges_overlap(r->uaddr, r->npages * SIM_PAGE_SIZE, mem.userspace_addr, mem.size))
				err = -EEXIST;
		}
		if (!err && pt->nregions == SIM_MAX_REGIONS)
			err = -ENOSPC;
		if (!err) {
			struct sim_region *r = &pt->regions[pt->nregions++];

			r->gfn = mem.guest_pfn;
			r->npages = npages;
			r->uaddr = mem.userspace_addr;
			r->flags = mem.flags;
		}
	}
	if (!err)
		atomic_fetch_add(&pt->mem_generation, 1);
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* Give the VP's CPU the partition's current memory map. */
static int vp_sync_memory(struct sim_vp *vp)
{
	struct sim_partition *pt = vp->pt;
	struct sim_mem_slot slots[SIM_MAX_REGIONS];
	unsigned gen;
	size_t i, n;
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
	pthread_mutex_unlock(&pt->lock);
	err = sim_x86_vcpu_set_memory(vp->cpu, slots, n);
	if (!err)
		vp->mem_generation = gen;
	return err;
}

/* ---- VPs ------------------------------------------------------------------ */

static long partition_create_vp(struct sim_partition *pt, void *uarg)
{
	struct mshv_create_vp args;
	struct sim_vp *vp;
	struct sim_obj *obj;
	void *page;
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
	vp->mem_generation = (unsigned)-1;
	pthread_mutex_init(&vp->run_lock, NULL);

	pthread_mutex_lock(&pt->lock);
	if (pt->vps[args.vp_index]) {
		pthread_mutex_unlock(&pt->lock);
		pthread_mutex_destroy(&vp->run_lock);
		free(obj);
		free(vp);
		return -EEXIST;
	}
	err = sim_x86_vcpu_create(&vp->cpu, args.vp_index);
	if (!err)
		sim_x86_vcpu_set_intercepts(vp->cpu, &pt->intercepts);
	if (err) {
		pthread_mutex_unlock(&pt->lock);
		pthread_mutex_destroy(&vp->run_lock);
		free(obj);
		free(vp);
		return err;
	}
	atomic_fetch_add(&pt->obj->refs, 1); /* the VP keeps its partition alive */
	pt->vps[args.vp_index] = vp;
	pthread_mutex_unlock(&pt->lock);

	fd = sim_fd_install(obj, "anon_inode:mshv_vp", true, SIM_VP_PAGES * SIM_PAGE_SIZE, &vp->backing_fd);
	if (fd < 0) {
		sim_obj_put(obj);
		return fd;
	}
	page = mmap(NULL, SIM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vp->backing_fd,
		    MSHV_VP_MMAP_OFFSET_REGISTERS * (off_t)SIM_PAGE_SIZE);
	if (page != MAP_FAILED) {
		vp->regpage = page;
		vp->regpage->version = HV_VP_REGISTER_PAGE_VERSION_1;
	}
	return fd;
}

static long vp_run(struct sim_vp *vp, void *uarg)
{
	struct hv_message msg;
	long ret;

	if (!user_range_ok(uarg, sizeof(struct mshv_run_vp)))
		return -EFAULT;
	if (pthread_mutex_trylock(&vp->run_lock))
		return -EBUSY;
	ret = vp_sync_memory(vp);
	if (!ret) {
		thread_vp = vp;
		ret = sim_x86_vcpu_run(vp->cpu, &msg, vp->regpage);
		thread_vp = NULL;
	}
	pthread_mutex_unlock(&vp->run_lock);
	if (ret)
		return ret;
	if (sim_cfg.trace)
		sim_trace("mshv-sim: vp %u: message 0x%08x", vp->index, msg.header.message_type);
	memcpy(uarg, &msg, sizeof(msg));
	return 0;
}

static long vp_state(struct sim_vp *vp, void *uarg, bool set)
{
	struct mshv_get_set_vp_state st;
	size_t len;
	long err;

	err = copy_from_user(&st, uarg, sizeof(st));
	if (err)
		return err;
	if (st.type >= MSHV_VP_STATE_COUNT || st.rsvd[0] || st.rsvd[1] || st.rsvd[2])
		return -EINVAL;
	if (!st.buf_sz || (st.buf_sz & (SIM_PAGE_SIZE - 1)) || (st.buf_ptr & (SIM_PAGE_SIZE - 1)))
		return -EINVAL;
	if (!user_range_ok((void *)(uintptr_t)st.buf_ptr, st.buf_sz))
		return -EFAULT;
	if (st.type != MSHV_VP_STATE_LAPIC && st.type != MSHV_VP_STATE_XSAVE)
		return -EINVAL;
	len = st.buf_sz;
	if (pthread_mutex_trylock(&vp->run_lock))
		return -EBUSY;
	if (set)
		err = sim_x86_vcpu_set_state(vp->cpu, st.type, (void *)(uintptr_t)st.buf_ptr, len);
	else
		err = sim_x86_vcpu_get_state(vp->cpu, st.type, (void *)(uintptr_t)st.buf_ptr, &len);
	pthread_mutex_unlock(&vp->run_lock);
	if (err == -ENOSPC) {
		st.buf_sz = (uint32_t)((len + SIM_PAGE_SIZE - 1) & ~(size_t)(SIM_PAGE_SIZE - 1));
		copy_to_user(uarg, &st, sizeof(st));
		return -EINVAL;
	}
	if (err)
		return err;
	if (!set) {
		st.buf_sz = (uint32_t)((len + SIM_PAGE_SIZE - 1) & ~(size_t)(SIM_PAGE_SIZE - 1));
		return copy_to_user(uarg, &st, sizeof(st));
	}
	return 0;
}

int sim_mmap_check(struct sim_obj *obj, size_t length, int prot, int flags, off_t offset)
{
	(void)prot;
	(void)flags;
	if (obj->kind != SIM_OBJ_VP)
		return -ENODEV;
	if (offset < 0 || offset % SIM_PAGE_SIZE || length != SIM_PAGE_SIZE)
		return -EINVAL;
	switch (offset / SIM_PAGE_SIZE) {
	case MSHV_VP_MMAP_OFFSET_REGISTERS:
		return 0;
	case MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE:
		return 0;
	case MSHV_VP_MMAP_OFFSET_GHCB: {
		struct sim_vp *vp = obj->priv;

		return vp->pt->pt_isolation ? 0 : -ENODEV;
	}
	default:
		return -EINVAL;
	}
}

/* ---- hypercall results --------------------------------------------------- */

/* The errno the kernel turns a failed hypercall status into (hv_result_to_errno). */
static long status_to_errno(uint64_t status)
{
	switch (status) {
	case HV_STATUS_SUCCESS:
		return 0;
	case HV_STATUS_INVALID_HYPERCALL_CODE:
	case HV_STATUS_INVALID_HYPERCALL_INPUT:
	case HV_STATUS_INVALID_PARAMETER:
	case HV_STATUS_INVALID_PARTITION_ID:
	case HV_STATUS_INVALID_VP_INDEX:
	case HV_STATUS_INVALID_PORT_ID:
	case HV_STATUS_INVALID_CONNECTION_ID:
	case HV_STATUS_INVALID_LP_INDEX:
	case HV_STATUS_INVALID_REGISTER_VALUE:
		return -EINVAL;
	case HV_STATUS_INSUFFICIENT_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Issue one hypercall for a downstream ioctl; partition id filled in. */
static long driver_hvcall(struct sim_partition *pt, uint16_t code, uint16_t reps, void *in, size_t in_size,
			  void *out, size_t out_size)
{
	uint16_t done;
	uint64_t status;

	memcpy(in, &pt->partition_id, sizeof(uint64_t));
	status = sim_hvcall(pt, NULL, code, reps, in, in_size, out, out_size, &done);
	if (sim_cfg.trace)
		sim_trace("mshv-sim: hvcall %s(0x%04x) reps %u -> status 0x%llx reps %u", sim_hvcall_name(code), code,
			  reps, (unsigned long long)status, done);
	return status_to_errno(status);
}

/* ---- MSHV_ROOT_HVCALL ------------------------------------------------------ */

static long root_hvcall(struct sim_partition *pt, struct sim_vp *vp, void *uarg)
{
	struct mshv_root_hvcall args;
	uint8_t in[MSHV_HV_PAGE_SIZE], out[MSHV_HV_PAGE_SIZE];
	uint16_t reps_done = 0;
	uint64_t status;
	long err;
	size_t i;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	if (args.status || args.in_sz > MSHV_HV_PAGE_SIZE || args.out_sz > MSHV_HV_PAGE_SIZE)
		return -EINVAL;
	for (i = 0; i < sizeof(args.rsvd); i++)
		if (args.rsvd[i])
			return -EINVAL;
	if (!sim_hvcall_name(args.code))
		return -EINVAL; /* not on the driver's allowlist */
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	if (args.in_sz) {
		err = copy_from_user(in, (void *)(uintptr_t)args.in_ptr, args.in_sz);
		if (err)
			return err;
	}
	/* The driver fills in the caller's partition id. */
	if (args.in_sz >= sizeof(uint64_t))
		memcpy(in, &pt->partition_id, sizeof(uint64_t));
	status = sim_hvcall(pt, vp, args.code, args.reps, in, args.in_sz, out, args.out_sz, &reps_done);
	if (sim_cfg.trace)
		sim_trace("mshv-sim: hvcall %s(0x%04x) reps %u -> status 0x%llx reps %u", sim_hvcall_name(args.code),
			  args.code, args.reps, (unsigned long long)status, reps_done);
	args.status = (uint16_t)status;
	args.reps = reps_done;
	if (args.out_sz) {
		err = copy_to_user((void *)(uintptr_t)args.out_ptr, out, args.out_sz);
		if (err)
			return err;
	}
	err = copy_to_user(uarg, &args, sizeof(args));
	if (err)
		return err;
	return status_to_errno(status);
}

/* ---- eventfds and MSI routing ------------------------------------------------ */

/* Whether two fds refer to one open file (the kernel matches eventfds so). */
static bool same_file(int a, int b)
{
	pid_t pid = getpid();

	return syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b) == 0;
}

static long partition_irqfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irqfd a;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if (a.flags & ~MSHV_IRQFD_FLAGS_MASK)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	if (a.flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)) {
		err = -ENOENT;
		for (i = 0; i < pt->nirqfds; i++) {
			struct sim_irqfd *f = &pt->irqfds[i];

			if (f->gsi == a.gsi && same_file(f->eventfd, a.fd)) {
				close(f->eventfd);
				if (f->resamplefd >= 0)
					close(f->resamplefd);
				pt->irqfds[i] = pt->irqfds[--pt->nirqfds];
				err = 0;
				break;
			}
		}
	} else if (fcntl(a.fd, F_GETFD) < 0) {
		err = -EBADF;
	} else if (pt->nirqfds == SIM_MAX_IRQFDS) {
		err = -ENOSPC;
	} else {
		struct sim_irqfd *f = &pt->irqfds[pt->nirqfds];

		f->gsi = a.gsi;
		f->eventfd = fcntl(a.fd, F_DUPFD_CLOEXEC, 0);
		f->resamplefd = (a.flags & (1u << MSHV_IRQFD_BIT_RESAMPLE)) ? fcntl(a.resamplefd, F_DUPFD_CLOEXEC, 0) : -1;
		if (f->eventfd < 0 || ((a.flags & (1u << MSHV_IRQFD_BIT_RESAMPLE)) && f->resamplefd < 0)) {
			if (f->eventfd >= 0)
				close(f->eventfd);
			err = -EBADF;
		} else {
			pt->nirqfds++;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return err;
}

static long partition_ioeventfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_ioeventfd a;
	bool datamatch;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if (a.flags & ~MSHV_IOEVENTFD_FLAGS_MASK)
		return -EINVAL;
	if (a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8)
		return -EINVAL;
	if (a.addr + a.len < a.addr)
		return -EINVAL;
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_PIO))
		return -EOPNOTSUPP;
	datamatch = a.flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH);
	pthread_mutex_lock(&pt->lock);
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)) {
		err = -ENOENT;
		for (i = 0; i < pt->nioeventfds; i++) {
			struct sim_ioeventfd *e = &pt->ioeventfds[i];

			if (e->addr == a.addr && e->len == a.len && e->has_datamatch == datamatch &&
			    (!datamatch || e->datamatch == a.datamatch) && same_file(e->eventfd, a.fd)) {
				close(e->eventfd);
				pt->ioeventfds[i] = pt->ioeventfds[--pt->nioeventfds];
				err = 0;
				break;
			}
		}
	} else {
		err = 0;
		for (i = 0; i < pt->nioeventfds && !err; i++) {
			struct sim_ioeventfd *e = &pt->ioeventfds[i];

			if (e->addr == a.addr && e->len == a.len &&
			    (!datamatch || !e->has_datamatch || e->datamatch == a.datamatch))
				err = -EEXIST;
		}
		if (!err && pt->nioeventfds == SIM_MAX_IOEVENTFDS)
			err = -ENOSPC;
		if (!err) {
			struct sim_ioeventfd *e = &pt->ioeventfds[pt->nioeventfds];

			e->eventfd = fcntl(a.fd, F_DUPFD_CLOEXEC, 0);
			if (e->eventfd < 0) {
				err = -EBADF;
			} else {
				e->addr = a.addr;
				e->len = a.len;
				e->has_datamatch = datamatch;
				e->datamatch = a.datamatch;
				pt->nioeventfds++;
			}
		}
	}
	pthread_mutex_unlock(&pt->lock);
	return err;
}

static long partition_msi_routing(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irq_table head;
	struct mshv_user_irq_entry *ents;
	struct sim_msi_route *routes;
	uint32_t i;
	long err;

	err = copy_from_user(&head, uarg, sizeof(head));
	if (err)
		return err;
	if (head.nr > SIM_MAX_MSI_ROUTES || head.rsvd)
		return -EINVAL;
	ents = (struct mshv_user_irq_entry *)((char *)uarg + sizeof(head));
	if (!user_range_ok(ents, (size_t)head.nr * sizeof(*ents)))
		return -EFAULT;
	routes = calloc(SIM_MAX_MSI_ROUTES, sizeof(*routes));
	if (!routes)
		return -ENOMEM;
	for (i = 0; i < head.nr; i++) {
		if (ents[i].gsi >= SIM_MAX_MSI_ROUTES) {
			free(routes);
			return -EINVAL;
		}
		routes[ents[i].gsi].valid = true;
		routes[ents[i].gsi].address_lo = ents[i].address_lo;
		routes[ents[i].gsi].address_hi = ents[i].address_hi;
		routes[ents[i].gsi].data = ents[i].data;
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
		return driver_hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0);
	} else {
		struct hv_input_get_partition_property in;
		struct hv_output_get_partition_property out;

		memset(&in, 0, sizeof(in));
		in.property_code = (uint32_t)p.property_code;
		err = driver_hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out));
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
	return driver_hvcall(pt, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_assert_interrupt(struct sim_partition *pt, void *uarg)
{
	struct mshv_assert_interrupt a;
	struct hv_input_assert_virtual_interrupt in;
	long err = copy_from_user(&a, uarg, sizeof(a));

	if (err)
		return err;
	if (a.rsvd)
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.control = a.control;
	in.dest_addr = a.dest_addr;
	in.vector = a.vector;
	return driver_hvcall(pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &in, sizeof(in), NULL, 0);
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
	err = driver_hvcall(pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in, sizeof(in), &out, sizeof(out));
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
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.vp_index = a.vp;
	in.vtl = a.vtl;
	in.sint_index = a.sint;
	err = copy_from_user(in.message, a.message, a.length);
	if (err)
		return err;
	return driver_hvcall(pt, HVCALL_POST_MESSAGE_DIRECT, 0, &in, sizeof(in), NULL, 0);
}

static long legacy_vp_registers(struct sim_vp *vp, void *uarg, bool set)
{
	struct mshv_vp_registers a;
	struct hv_register_assoc regs[MSHV_VP_MAX_REGISTERS];
	uint8_t in[MSHV_HV_PAGE_SIZE], out[MSHV_HV_PAGE_SIZE];
	long err = copy_from_user(&a, uarg, sizeof(a));
	int i;

	if (err)
		return err;
	if (a.count <= 0 || a.count > MSHV_VP_MAX_REGISTERS)
		return -EINVAL;
	err = copy_from_user(regs, a.regs, (size_t)a.count * sizeof(regs[0]));
	if (err)
		return err;
	memset(in, 0, sizeof(in));
	{
		struct hv_input_get_vp_registers hdr;

		memset(&hdr, 0, sizeof(hdr));
		hdr.vp_index = vp->index;
		memcpy(in, &hdr, sizeof(hdr));
	}
	if (set) {
		memcpy(in + sizeof(struct hv_input_set_vp_registers), regs, (size_t)a.count * sizeof(regs[0]));
		return driver_hvcall(vp->pt, HVCALL_SET_VP_REGISTERS, (uint16_t)a.count, in,
				     sizeof(struct hv_input_set_vp_registers) + (size_t)a.count * sizeof(regs[0]),
				     NULL, 0);
	}
	for (i = 0; i < a.count; i++)
		memcpy(in + sizeof(struct hv_input_get_vp_registers) + (size_t)i * 4, &regs[i].name, 4);
	err = driver_hvcall(vp->pt, HVCALL_GET_VP_REGISTERS, (uint16_t)a.count, in,
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
	err = driver_hvcall(vp->pt, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in), &out, sizeof(out));
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
	leaf.eax = a.function;
	leaf.ecx = a.index;
	leaf.xfem = a.xfem;
	leaf.xss = a.xss;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &leaf, sizeof(leaf));
	err = driver_hvcall(vp->pt, HVCALL_GET_VP_CPUID_VALUES, 1, in, sizeof(in), &out, sizeof(out));
	if (err)
		return err;
	a.eax = out.as_uint32[0];
	a.ebx = out.as_uint32[1];
	a.ecx = out.as_uint32[2];
	a.edx = out.as_uint32[3];
	return copy_to_user(uarg, &a, sizeof(a));
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
	default:
		return -ENOTTY;
	}
}

static long legacy_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_GET_VP_REGISTERS:
		return legacy_vp_registers(vp, arg, false);
	case MSHV_SET_VP_REGISTERS:
		return legacy_vp_registers(vp, arg, true);
	case MSHV_VP_TRANSLATE_GVA:
		return legacy_translate_gva(vp, arg);
	case MSHV_GET_VP_CPUID_VALUES:
		return legacy_cpuid_values(vp, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- dispatch ------------------------------------------------------------------ */

static long partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
{
	long ret;

	if (request == MSHV_INITIALIZE_PARTITION) {
		pthread_mutex_lock(&pt->lock);
		pt->initialized = true;
		pthread_mutex_unlock(&pt->lock);
		return 0;
	}
	if (request == MSHV_ROOT_HVCALL)
		return root_hvcall(pt, NULL, arg);
	if (!pt->initialized)
		return -EBADFD;
	switch (request) {
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
	default:
		break;
	}
	ret = -ENOTTY;
	if (sim_cfg.abi == SIM_ABI_LEGACY)
		ret = legacy_partition_ioctl(pt, request, arg);
	return ret;
}

static long vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_RUN_VP:
		return vp_run(vp, arg);
	case MSHV_GET_VP_STATE:
		return vp_state(vp, arg, false);
	case MSHV_SET_VP_STATE:
		return vp_state(vp, arg, true);
	case MSHV_ROOT_HVCALL:
		return root_hvcall(vp->pt, vp, arg);
	default:
		if (sim_cfg.abi == SIM_ABI_LEGACY)
			return legacy_vp_ioctl(vp, request, arg);
		return -ENOTTY;
	}
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
	default:
		ret = -ENOTTY;
		break;
	}
	if (sim_cfg.trace && request != MSHV_RUN_VP)
		sim_trace("mshv-sim: %s ioctl 0x%08lx -> %ld", kind_name(obj->kind), request, ret);
	return ret;
}

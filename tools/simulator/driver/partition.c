/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: MSHV_CREATE_PARTITION and the partition fd.
 * Guest memory regions, page access bitmaps and the ioctl dispatch; VPs,
 * eventfds, devices and hypercalls have files of their own.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "driver_internal.h"

/* The MSHV_PT_BIT_* flags each release's driver knows (others: EINVAL). */
static uint64_t create_flag_mask(void)
{
	if (sim_legacy())
		return (1ull << MSHV_PT_BIT_COUNT_LEGACY) - 1;
	if (sim_mainline_since(SIM_KERNEL_7_0))
		return (1ull << (MSHV_PT_BIT_SMT_ENABLED_GUEST + 1)) - 1; /* 0x3f: nested, SMT */
	if (sim_mainline_since(SIM_KERNEL_6_19))
		return (1ull << (MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES + 1)) - 1; /* 0xf: feature banks */
	return (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES) - 1; /* 6.15-6.18: 0x7 */
}

/*
 * The fields of the v2 argument: the reserved ones zero, and the number of
 * feature banks (the features to disable, handed to the hypervisor as
 * they are) at most MSHV_NUM_CPU_FEATURES_BANKS in the 6.6-era driver,
 * exactly that (2) from 6.19. On arm64, 6.19 also wants pt_rsvd2 zero; the
 * simulator runs on x86_64 only, where that field is pt_disabled_xsave.
 */
static int check_v2(const struct mshv_create_partition_v2 *v2)
{
	size_t i;

	if (sim_legacy() ? v2->pt_num_cpu_fbanks > MSHV_NUM_CPU_FEATURES_BANKS
			 : v2->pt_num_cpu_fbanks != MSHV_NUM_CPU_FEATURES_BANKS)
		return -EINVAL;
	for (i = 0; i < sizeof(v2->pt_rsvd); i++)
		if (v2->pt_rsvd[i])
			return -EINVAL;
	return v2->pt_rsvd1[0] || v2->pt_rsvd1[1] ? -EINVAL : 0;
}

/*
 * MSHV_CREATE_PARTITION on /dev/mshv. The ioctl number encodes the 16-byte
 * argument; the driver copies that, checks the flags its release knows and
 * the isolation type (EINVAL). From 6.19 (and in the 6.6-era driver),
 * MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES means the argument is the 64-byte v2:
 * the driver copies it (EFAULT), checks its first 16 bytes again and then
 * the v2 fields. 6.15-6.18 refuse that bit.
 */
long sim_system_create_partition(void *uarg)
{
	struct mshv_create_partition args;
	uint64_t flag_mask = create_flag_mask(), iso_count;
	struct sim_partition *pt;
	struct sim_file *file;
	int fd, err;

	err = copy_from_user(&args, uarg, sizeof(args));
	if (err)
		return err;
	iso_count = sim_legacy() ? MSHV_PT_ISOLATION_COUNT_LEGACY : MSHV_PT_ISOLATION_COUNT;
	if ((args.pt_flags & ~flag_mask) || args.pt_isolation >= iso_count)
		return -EINVAL;
	if (args.pt_flags & flag_mask & (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES)) {
		struct mshv_create_partition_v2 v2;

		err = copy_from_user(&v2, uarg, sizeof(v2));
		if (err)
			return err;
		if ((v2.pt_flags & ~flag_mask) || v2.pt_isolation >= iso_count)
			return -EINVAL;
		args.pt_flags = v2.pt_flags;
		args.pt_isolation = v2.pt_isolation;
		err = check_v2(&v2);
		if (err)
			return err;
	}

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->msi_routes = calloc(SIM_MAX_MSI_ROUTES, sizeof(*pt->msi_routes));
	/* the kernel turns MSHV_PT_BIT_X2APIC into the creation flag X2APIC_CAPABLE */
	pt->hv = pt->msi_routes ? hv_partition_create(args.pt_isolation,
						      (args.pt_flags & (1ull << MSHV_PT_BIT_X2APIC))
							      ? HV_SIM_CREATION_FLAG_X2APIC_CAPABLE
							      : 0)
				: NULL;
	file = pt->hv ? sim_file_new(SIM_FILE_PARTITION, pt) : NULL;
	if (!file) {
		if (pt->hv)
			hv_partition_destroy(pt->hv);
		free(pt->msi_routes);
		free(pt);
		return -ENOMEM;
	}
	pthread_mutex_init(&pt->lock, NULL);
	pthread_mutex_init(&pt->vps_lock, NULL);
	pt->irqfd_control = -1;
	pt->file = file;

	fd = sim_host->fd_install(file, "anon_inode:mshv_partition", true, 0, NULL);
	if (fd < 0)
		sim_file_put(file);
	return fd;
}

void sim_partition_free(struct sim_partition *pt)
{
	sim_eventfds_free(pt);
	for (size_t i = 0; i < SIM_MAX_VPS; i++)
		if (pt->vps[i])
			sim_vp_destroy(pt->vps[i]);
	hv_partition_destroy(pt->hv);
	pthread_mutex_destroy(&pt->vps_lock);
	free(pt->msi_routes);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
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

/* The hypervisor's map flags for a region's MSHV_SET_MEM_BIT_* flags (readable always). */
static uint32_t map_flags(uint8_t flags)
{
	uint32_t f = HV_MAP_GPA_READABLE;

	if (flags & (1u << MSHV_SET_MEM_BIT_WRITABLE))
		f |= HV_MAP_GPA_WRITABLE;
	if (flags & (1u << MSHV_SET_MEM_BIT_EXECUTABLE))
		f |= HV_MAP_GPA_EXECUTABLE;
	return f;
}

/*
 * Whether a new region [gfn, gfn + npages) at uaddr overlaps one the
 * partition has (pt->lock held). 6.15-6.18 and the 6.6-era driver look up
 * the new region's first and last page only (a region strictly inside the
 * new one goes unnoticed), in guest addresses and, 6.15-6.18 only, in user
 * addresses; from 6.19 the whole guest range is compared and user
 * addresses may overlap.
 */
static bool region_overlaps(const struct sim_partition *pt, uint64_t gfn, uint64_t npages, uint64_t uaddr)
{
	uint64_t last_gfn = gfn + npages - 1, last_uaddr = uaddr + npages * SIM_PAGE_SIZE - 1;
	size_t i;

	for (i = 0; i < pt->nregions; i++) {
		const struct sim_region *r = &pt->regions[i];
		uint64_t r_end = r->uaddr + r->npages * SIM_PAGE_SIZE;

		if (sim_mainline_since(SIM_KERNEL_6_19)) {
			if (gfn < r->gfn + r->npages && r->gfn < gfn + npages)
				return true;
			continue;
		}
		if ((gfn >= r->gfn && gfn < r->gfn + r->npages) || (last_gfn >= r->gfn && last_gfn < r->gfn + r->npages))
			return true;
		if (!sim_legacy() && ((uaddr >= r->uaddr && uaddr < r_end) || (last_uaddr >= r->uaddr && last_uaddr < r_end)))
			return true;
	}
	return false;
}

/*
 * HvCallMapGpaPages as the driver issues it: on a memory status it
 * deposits HV_MAP_GPA_DEPOSIT_PAGES (256) pages into the partition and
 * retries. From 7.0 the root-memory statuses are deposited for with
 * hv_deposit_memory's amounts: the sources we read show the fixed 256-page
 * deposit into the partition for every status of hv_result_needs_memory,
 * which would never pay off a root shortage (the simulator's choice).
 */
static int map_gpa(struct sim_partition *pt, uint64_t gfn, uint64_t npages, uint64_t uaddr, uint32_t flags)
{
	uint64_t status;
	long err;

	while ((status = hv_partition_map_gpa(pt->hv, gfn, npages, uaddr, flags)) != HV_STATUS_SUCCESS) {
		err = sim_retry_after(pt, status, 256);
		if (err)
			return (int)err;
	}
	return 0;
}

/*
 * MSHV_SET_GUEST_MEMORY. Checks in the driver's order: flags, size and
 * alignment, reserved bytes (EINVAL); an unmap names an existing region
 * exactly (one containing guest_pfn: none is EINVAL before 6.19, ENOENT
 * from 6.19; another start or size EINVAL). For a map, the user range
 * must be mapped memory (EINVAL) and must not overlap a region
 * (region_overlaps, EEXIST). Then the hypervisor maps or unmaps the pages.
 */
static int partition_set_memory(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_mem_region mem;
	uint64_t npages, last_uaddr;
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
		err = sim_mainline_since(SIM_KERNEL_6_19) ? -ENOENT : -EINVAL;
		for (i = 0; i < pt->nregions; i++) {
			struct sim_region *r = &pt->regions[i];

			if (mem.guest_pfn < r->gfn || mem.guest_pfn >= r->gfn + r->npages)
				continue;
			err = -EINVAL;
			if (r->gfn == mem.guest_pfn && r->npages == npages && r->uaddr == mem.userspace_addr) {
				hv_partition_unmap_gpa(pt->hv, r->gfn, r->npages);
				pt->regions[i] = pt->regions[--pt->nregions];
				err = 0;
			}
			break;
		}
		goto out;
	}
	last_uaddr = mem.userspace_addr + mem.size - 1;
	/* access_ok, then a VMA must contain the start address. */
	if (last_uaddr < mem.userspace_addr || last_uaddr >= (1ull << 47) ||
	    mincore((void *)(uintptr_t)mem.userspace_addr, SIM_PAGE_SIZE, &vec) < 0) {
		err = -EINVAL;
		goto out;
	}
	/* Pinning every page (writable ones for writing) fails with EFAULT. */
	/* pages that held guest code are read-only only for the simulator's own watch (code_pages.c) */
	if (mem.flags & (1u << MSHV_SET_MEM_BIT_WRITABLE))
		hv_host_write_prepare((void *)(uintptr_t)mem.userspace_addr, mem.size);
	if (!user_range_mapped(mem.userspace_addr, mem.size, (mem.flags & (1u << MSHV_SET_MEM_BIT_WRITABLE)) != 0)) {
		err = -EFAULT;
		goto out;
	}
	if (!hv_partition_initialized(pt->hv)) {
		/* HvCallMapGpaPages on a partition not yet initialized. */
		err = -EIO;
		goto out;
	}
	if (region_overlaps(pt, mem.guest_pfn, npages, mem.userspace_addr)) {
		err = -EEXIST;
		goto out;
	}
	if (pt->nregions == SIM_MAX_REGIONS) {
		err = -ENOMEM;
		goto out;
	}
	err = map_gpa(pt, mem.guest_pfn, npages, mem.userspace_addr, map_flags(mem.flags));
	if (err)
		goto out;
	pt->regions[pt->nregions].gfn = mem.guest_pfn;
	pt->regions[pt->nregions].npages = npages;
	pt->regions[pt->nregions].uaddr = mem.userspace_addr;
	pt->regions[pt->nregions].flags = mem.flags;
	pt->nregions++;
out:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* ---- page access tracking (MSHV_GET_GPAP_ACCESS_BITMAP) ------------------------ */

/*
 * MSHV_GET_GPAP_ACCESS_BITMAP: the accessed or dirty bit of page_count pages
 * from gpap_base, one bit each (LSB first), as they were before the
 * optional clear or set, through HvCallGetGpaPagesAccessStates in batches.
 */
static long partition_gpap_access_bitmap(struct sim_partition *pt, void *uarg)
{
	/* flags of the hypercall: clear accessed 1, set accessed 2, clear dirty 4, set dirty 8 */
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
	bit = a.access_type == MSHV_GPAP_ACCESS_TYPE_DIRTY ? 0x2 : 0x1; /* union hv_gpa_page_access_state */

	/* In chunks of 4096 bytes of bitmap (32768 pages), as the driver batches. */
	for (done = 0; done < a.page_count && !err; done += chunk) {
		uint8_t out[4096];

		chunk = a.page_count - done < sizeof(out) * 8 ? a.page_count - done : sizeof(out) * 8;
		memset(out, 0, sizeof(out));
		for (i = 0; i < chunk && !err;) {
			struct hv_input_get_gpa_pages_access_state in;
			uint8_t states[MSHV_HV_PAGE_SIZE];
			uint64_t n = chunk - i < sizeof(states) ? chunk - i : sizeof(states), k;

			memset(&in, 0, sizeof(in));
			in.flags.as_uint64 = op_flags[a.access_type][a.access_op];
			in.hv_gpa_page_number = a.gpap_base + done + i;
			uint64_t status = sim_driver_hvcall_status(pt, HVCALL_GET_GPA_PAGES_ACCESS_STATES, (uint16_t)n,
								   &in, sizeof(in), states, (size_t)n);

			/*
			 * Tracking off (HV_STATUS_INVALID_PARTITION_STATE) is EIO in every
			 * release here (mainline's table says EIO too), as the simulator
			 * has always answered; the 6.6-era driver's own mapping would say
			 * EBADFD, which we have not confirmed against its source.
			 */
			err = status == HV_STATUS_INVALID_PARTITION_STATE ? -EIO : sim_status_to_errno(status);
			for (k = 0; k < n && !err; k++, i++)
				if (states[k] & bit)
					out[i / 8] |= (uint8_t)(1u << (i % 8));
		}
		if (!err)
			err = copy_to_user(bitmap + done / 8, out, (chunk + 7) / 8);
	}
	return err;
}

/* ---- initialization --------------------------------------------------------------- */

/*
 * MSHV_INITIALIZE_PARTITION: a second call is a no-op. The driver deposits
 * HV_INIT_PARTITION_DEPOSIT_PAGES (208) pages up front (its failure is the
 * ioctl's), then calls HvCallInitializePartition, depositing one page and
 * retrying on a memory status. Later releases changed the up-front amount
 * (one patch we read moves it to the ioctl with 128 pages, more for nested
 * partitions); the simulator keeps 208 for every release, which only
 * decides how short a hypervisor initialization pays off.
 */
static long partition_initialize(struct sim_partition *pt)
{
	uint64_t status;
	long err;

	if (hv_partition_initialized(pt->hv))
		return 0;
	err = sim_deposit_upfront(pt, 208);
	if (err)
		return err;
	while ((status = hv_partition_initialize(pt->hv)) != HV_STATUS_SUCCESS) {
		err = sim_retry_after(pt, status, 1);
		if (err)
			return err;
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

long sim_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_INITIALIZE_PARTITION:
		return partition_initialize(pt);
	case MSHV_CREATE_VP:
		return sim_partition_create_vp(pt, arg);
	case MSHV_SET_GUEST_MEMORY:
		return partition_set_memory(pt, arg);
	case MSHV_IRQFD:
		return sim_partition_irqfd(pt, arg);
	case MSHV_IOEVENTFD:
		return sim_partition_ioeventfd(pt, arg);
	case MSHV_SET_MSI_ROUTING:
		return sim_partition_msi_routing(pt, arg);
	case MSHV_GET_GPAP_ACCESS_BITMAP:
		return partition_gpap_access_bitmap(pt, arg);
	case MSHV_ROOT_HVCALL:
		return sim_root_hvcall(SIM_FILE_PARTITION, pt, arg);
	case MSHV_CREATE_DEVICE:
		return sim_partition_create_device(pt, arg);
	default:
		return sim_legacy() ? sim_legacy_partition_ioctl(pt, request, arg) : -ENOTTY;
	}
}

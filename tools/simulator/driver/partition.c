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

/*
 * MSHV_CREATE_PARTITION on /dev/mshv. Upstream accepts the three
 * MSHV_PT_BIT_* flags and no isolation; the downstream kernel also takes the
 * CPU-feature, nested and SMT bits, SNP isolation and, with
 * MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES, the longer v2 argument.
 */
long sim_system_create_partition(void *uarg)
{
	struct mshv_create_partition args;
	uint64_t flag_mask, iso_count;
	struct sim_partition *pt;
	struct sim_file *file;
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
	pt->hv = pt->msi_routes ? hv_partition_create(args.pt_isolation) : NULL;
	file = pt->hv ? sim_file_new(SIM_FILE_PARTITION, pt) : NULL;
	if (!file) {
		if (pt->hv)
			hv_partition_destroy(pt->hv);
		free(pt->msi_routes);
		free(pt);
		return -ENOMEM;
	}
	pthread_mutex_init(&pt->lock, NULL);
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
	hv_partition_destroy(pt->hv);
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
 * MSHV_SET_GUEST_MEMORY. Checks in the driver's order: flags, size and
 * alignment, reserved bytes (EINVAL); for a map, the user range must be
 * mapped memory (EINVAL) and must not overlap a region (EEXIST), where, as
 * in the driver, only the new range's first and last page are looked up
 * (guest addresses; upstream also user addresses). An unmap names an
 * existing region exactly (EINVAL otherwise). Then the hypervisor maps or
 * unmaps the pages.
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
				hv_partition_unmap_gpa(pt->hv, r->gfn, r->npages);
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
	if (!hv_partition_initialized(pt->hv)) {
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
	err = (int)sim_status_to_errno(hv_partition_map_gpa(pt->hv, mem.guest_pfn, npages, mem.userspace_addr,
							     map_flags(mem.flags)));
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
			 * Tracking off (HV_STATUS_INVALID_PARTITION_STATE) is EIO for both
			 * generations here, as the simulator has always answered; the
			 * 6.6-era driver's own mapping would say EBADFD, which we have not
			 * confirmed against its source.
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

/* ---- dispatch ------------------------------------------------------------------ */

long sim_partition_ioctl(struct sim_partition *pt, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_INITIALIZE_PARTITION:
		hv_partition_initialize(pt->hv); /* a second call is a no-op */
		return 0;
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
		return sim_cfg.abi == SIM_ABI_LEGACY ? sim_legacy_partition_ioctl(pt, request, arg) : -ENOTTY;
	}
}

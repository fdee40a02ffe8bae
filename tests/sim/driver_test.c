/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The kernel-driver half of mshv-sim, driven through raw ioctl() calls and
 * the ABI structs of mshv.h only (not through our wrapper layer, so each
 * side checks the other): objects and fds, partition lifecycle, guest
 * memory rules, VP creation, eventfds, MSI routing, MSHV_ROOT_HVCALL
 * checks and hypercall statuses, and the errno of each misuse; and each
 * kernel release's rules (MSHV_SIM_KERNEL), each asserted in every release
 * with that release's answer, the memory-pressure knobs included
 * (MSHV_SIM_HV_SHORT, MSHV_SIM_DEPOSIT_FAIL).
 *
 * Runs under tools/mshv-sim (LD_PRELOAD). Exits 77 when /dev/mshv cannot be
 * opened (neither the simulator nor a real device).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "raw_hvcall.h"
#include "sim_env.h"

/* What the simulator was told to be (the preload layer reads the same variables). */
static struct sim_config cfg;

static bool is_kernel(enum sim_kernel k)
{
	return cfg.kernel == k;
}

/* A mainline release at least k (the VTL kernel creates no partitions: never asked). */
static bool since(enum sim_kernel k)
{
	return cfg.kernel != SIM_KERNEL_6_6 && cfg.kernel >= k;
}

static int fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int create_partition(int mshv)
{
	struct mshv_create_partition args;

	memset(&args, 0, sizeof(args));
	args.pt_flags = (1ull << MSHV_PT_BIT_LAPIC) | (1ull << MSHV_PT_BIT_X2APIC);
	args.pt_isolation = MSHV_PT_ISOLATION_NONE;
	return ioctl(mshv, MSHV_CREATE_PARTITION, &args);
}

static void test_partition_lifecycle(int mshv)
{
	struct mshv_create_partition bad;
	struct mshv_create_vp vp = { 0 };
	int pt, flags;

	memset(&bad, 0, sizeof(bad));
	bad.pt_flags = 1ull << 40;
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, &bad), EINVAL);
	bad.pt_flags = 0;
	bad.pt_isolation = 77;
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, &bad), EINVAL);
	CHECK_ERRNO(ioctl(mshv, _IO(MSHV_IOCTL, 0x7f)), ENOTTY);

	pt = create_partition(mshv);
	CHECK(pt >= 0);
	flags = fcntl(pt, F_GETFD);
	CHECK(flags >= 0 && (flags & FD_CLOEXEC));

	/* Before MSHV_INITIALIZE_PARTITION the hypervisor refuses VPs
	 * (HV_STATUS_INVALID_PARTITION_STATE, which the driver reports as EIO). */
	CHECK_ERRNO(ioctl(pt, MSHV_CREATE_VP, &vp), EIO);
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0); /* twice is fine */
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);

	vp.vp_index = 0;
	int vpfd = ioctl(pt, MSHV_CREATE_VP, &vp);
	CHECK(vpfd >= 0);
	CHECK(vpfd >= 0 && (fcntl(vpfd, F_GETFD) & FD_CLOEXEC));
	CHECK_ERRNO(ioctl(pt, MSHV_CREATE_VP, &vp), EEXIST);
	vp.vp_index = 100000;
	CHECK_ERRNO(ioctl(pt, MSHV_CREATE_VP, &vp), EINVAL);
	CHECK_ERRNO(ioctl(pt, MSHV_RUN_VP, NULL), ENOTTY);     /* a VP ioctl on a partition fd */
	CHECK_ERRNO(ioctl(vpfd, MSHV_CREATE_VP, &vp), ENOTTY); /* and the reverse */

	/* The VP keeps the partition alive after the partition fd is closed. */
	close(pt);
	struct mshv_root_hvcall hc;
	memset(&hc, 0, sizeof(hc));
	CHECK_ERRNO(ioctl(vpfd, MSHV_ROOT_HVCALL, &hc), EINVAL); /* code 0 is not allowed */

	/* dup()ed fds refer to the same VP; closing one keeps the other working. */
	int dupfd = dup(vpfd);
	CHECK(dupfd >= 0);
	close(vpfd);
	CHECK_ERRNO(ioctl(dupfd, MSHV_ROOT_HVCALL, &hc), EINVAL);
	close(dupfd);
	CHECK_ERRNO(ioctl(dupfd, MSHV_ROOT_HVCALL, &hc), EBADF);
}

static void test_guest_memory(int mshv)
{
	const size_t size = 16 * 4096;
	struct mshv_user_mem_region r;
	uint8_t *mem = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pt = create_partition(mshv);

	munmap(mem + size, 4096); /* a hole right after the buffer */

	CHECK(mem != MAP_FAILED && pt >= 0);
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);

	memset(&r, 0, sizeof(r));
	r.size = 8 * 4096;
	r.guest_pfn = 0x100;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) == 0);

	/* Overlap in guest physical space, then in user space. */
	struct mshv_user_mem_region o = r;
	o.guest_pfn = 0x104;
	o.userspace_addr = (uintptr_t)mem + 8 * 4096;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EEXIST);
	o.guest_pfn = 0x200;
	o.userspace_addr = (uintptr_t)mem + 4096;
	o.size = 4096;
	if (!is_kernel(SIM_KERNEL_6_15)) {
		/* The 6.6-era driver and 6.19 on check guest addresses only. */
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o) == 0);
		o.flags |= 1u << MSHV_SET_MEM_BIT_UNMAP;
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o) == 0);
	} else {
		CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EEXIST);
	}
	/*
	 * A new region enclosing an old one in guest space: 6.15-6.18 and the
	 * 6.6-era driver look up its first and last page only, 6.19 on the
	 * whole range.
	 */
	{
		uint8_t *big = mmap(NULL, 10 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct mshv_user_mem_region e = r;

		e.guest_pfn = 0xff;
		e.size = 10 * 4096; /* 0xff..0x108 encloses 0x100..0x107 */
		e.userspace_addr = (uintptr_t)big;
		if (since(SIM_KERNEL_6_19)) {
			CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &e), EEXIST);
		} else {
			CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &e) == 0);
			e.flags = 1u << MSHV_SET_MEM_BIT_UNMAP;
			CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &e) == 0);
		}
		munmap(big, 10 * 4096);
	}
	/* The user range must be mapped memory. */
	o = r;
	o.guest_pfn = 0x400;
	o.userspace_addr = (uintptr_t)mem + size; /* just unmapped below */
	o.size = 4096;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);

	/* Bad arguments. */
	o = r;
	o.guest_pfn = 0x300;
	o.userspace_addr = (uintptr_t)mem + 8 * 4096;
	o.size = 0;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);
	o.size = 4096 + 1;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);
	o.size = 4096;
	o.userspace_addr += 8;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);
	o.userspace_addr -= 8;
	o.flags = 0x80;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);
	o.flags = 0;
	o.rsvd[3] = 1;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EINVAL);
	o.rsvd[3] = 0;
	CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o) == 0); /* the fixed-up region is fine */

	/* Read-only memory cannot back a writable region (pinning it for writing fails). */
	{
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct mshv_user_mem_region w = r;

		w.guest_pfn = 0x500;
		w.size = 4096;
		w.userspace_addr = (uintptr_t)ro;
		CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &w), EFAULT);
		w.flags = 0;
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &w) == 0);
		w.flags = 1u << MSHV_SET_MEM_BIT_UNMAP;
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &w) == 0);
		munmap(ro, 4096);
	}

	/* Unmap must name a region exactly. */
	struct mshv_user_mem_region u = r;
	u.flags = 1u << MSHV_SET_MEM_BIT_UNMAP;
	u.size = 4 * 4096;
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &u), EINVAL);
	u.size = r.size;
	CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &u) == 0);
	/* already gone: no region there (EINVAL before 6.19, ENOENT from 6.19) */
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &u), since(SIM_KERNEL_6_19) ? ENOENT : EINVAL);
	CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) == 0);          /* and can be mapped again */

	close(pt);
	munmap(mem, size);
}

static void test_eventfds(int mshv)
{
	int pt = create_partition(mshv);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct mshv_user_irqfd irq;
	struct mshv_user_ioeventfd io;

	CHECK(pt >= 0 && efd >= 0);
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);

	memset(&irq, 0, sizeof(irq));
	irq.fd = efd;
	irq.gsi = 5;
	CHECK(ioctl(pt, MSHV_IRQFD, &irq) == 0);
	irq.flags = 1u << MSHV_IRQFD_BIT_DEASSIGN;
	CHECK(ioctl(pt, MSHV_IRQFD, &irq) == 0);
	CHECK(ioctl(pt, MSHV_IRQFD, &irq) == 0); /* deassigning nothing succeeds */
	irq.flags = 0;
	CHECK(ioctl(pt, MSHV_IRQFD, &irq) == 0);
	irq.gsi = 6;
	CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &irq), EBUSY); /* one eventfd, one GSI */
	irq.fd = pt;
	CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &irq), EINVAL); /* not an eventfd */
	irq.fd = 999;
	CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &irq), EBADF);
	irq.fd = efd;
	irq.flags = 1u << MSHV_IRQFD_BIT_RESAMPLE;
	irq.resamplefd = efd;
	irq.gsi = 7;
	CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &irq), EINVAL); /* resample needs a level-triggered route */
	irq.flags = 0x80;
	CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &irq), EINVAL);

	memset(&io, 0, sizeof(io));
	io.fd = efd;
	io.addr = 0xd0000000;
	io.len = 4;
	CHECK(ioctl(pt, MSHV_IOEVENTFD, &io) == 0);
	CHECK_ERRNO(ioctl(pt, MSHV_IOEVENTFD, &io), EEXIST);
	io.flags = 1u << MSHV_IOEVENTFD_BIT_DEASSIGN;
	CHECK(ioctl(pt, MSHV_IOEVENTFD, &io) == 0);
	CHECK_ERRNO(ioctl(pt, MSHV_IOEVENTFD, &io), ENOENT);
	io.flags = 1u << MSHV_IOEVENTFD_BIT_PIO;
	io.addr = 0x3f8;
	CHECK_ERRNO(ioctl(pt, MSHV_IOEVENTFD, &io), EOPNOTSUPP);
	io.flags = 0;
	io.len = 3;
	CHECK_ERRNO(ioctl(pt, MSHV_IOEVENTFD, &io), EINVAL);

	/* MSI routing: a table of two entries, then bad ones (duplicate GSI, address_hi). */
	struct mshv_user_irq_table head;
	struct mshv_user_irq_entry ents[2];
	uint64_t tbl[(sizeof(head) + sizeof(ents)) / sizeof(uint64_t)];
	memset(&head, 0, sizeof(head));
	memset(ents, 0, sizeof(ents));
	head.nr = 2;
	ents[0].gsi = 1;
	ents[0].address_lo = 0xfee00000;
	ents[0].data = 0x30;
	ents[1].gsi = 2;
	ents[1].address_lo = 0xfee00000;
	ents[1].data = 0x31;
	memcpy(tbl, &head, sizeof(head));
	memcpy((char *)tbl + sizeof(head), ents, sizeof(ents));
	CHECK(ioctl(pt, MSHV_SET_MSI_ROUTING, tbl) == 0);
	head.rsvd = 1;
	memcpy(tbl, &head, sizeof(head));
	CHECK_ERRNO(ioctl(pt, MSHV_SET_MSI_ROUTING, tbl), EINVAL);
	head.rsvd = 0;
	memcpy(tbl, &head, sizeof(head));
	ents[1].gsi = 1;
	memcpy((char *)tbl + sizeof(head), ents, sizeof(ents));
	CHECK_ERRNO(ioctl(pt, MSHV_SET_MSI_ROUTING, tbl), EINVAL);
	ents[1].gsi = 2;
	ents[1].address_hi = 1;
	memcpy((char *)tbl + sizeof(head), ents, sizeof(ents));
	CHECK_ERRNO(ioctl(pt, MSHV_SET_MSI_ROUTING, tbl), EINVAL);

	close(efd);
	close(pt);
}

static void test_root_hvcall(int mshv)
{
	int pt = create_partition(mshv);
	struct mshv_root_hvcall hc;
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;

	CHECK(pt >= 0);
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);

	memset(&in, 0, sizeof(in));
	in.property_code = HV_PARTITION_PROPERTY_PROCESSOR_VENDOR;
	CHECK(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), &hc) == 0);
	CHECK(hc.status == HV_STATUS_SUCCESS);

	/* A property the hypervisor does not know: the call fails, status says why
	 * (the errno is upstream's hv_result_to_errno or the 6.6-era mapping). */
	in.property_code = 0x7fff0000;
	hc.status = 0;
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), is_kernel(SIM_KERNEL_6_6) ? EINVAL : EIO);
	CHECK(hc.status == HV_STATUS_UNKNOWN_PROPERTY);

	/* A simple (non-rep) hypercall with a rep count: the TLFS's invalid input. */
	in.property_code = HV_PARTITION_PROPERTY_PROCESSOR_VENDOR;
	CHECK(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 1, &in, sizeof(in), &out, sizeof(out), &hc) == -1);
	CHECK(hc.status == HV_STATUS_INVALID_HYPERCALL_INPUT && hc.reps == 0);

	/* Set then get a property. */
	struct hv_input_set_partition_property set;
	memset(&set, 0, sizeof(set));
	set.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	set.property_value = 1;
	CHECK(hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc) == 0);
	in.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	out.property_value = 0;
	CHECK(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), &hc) == 0 &&
	      out.property_value == 1);

	/* Driver-side checks, before any hypercall. */
	hc.rsvd[2] = 1;
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EINVAL);
	hc.rsvd[2] = 0;
	hc.status = 1;
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EINVAL);
	hc.status = 0;
	hc.in_sz = 4097;
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EINVAL);
	hc.in_sz = sizeof(in);
	hc.code = 0x0001; /* HvCallSwitchVirtualAddressSpace: not on the allowlist */
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EINVAL);
	hc.code = HVCALL_GET_PARTITION_PROPERTY;
	hc.in_ptr = 8; /* unmapped user address */
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EFAULT);

	/* Pointers to memory that is gone or read-only: EFAULT, as copy_*_user gives. */
	{
		uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct mshv_root_hvcall *ro = (struct mshv_root_hvcall *)page;

		munmap(page + 4096, 4096);
		memset(&hc, 0, sizeof(hc));
		hc.code = HVCALL_GET_PARTITION_PROPERTY;
		hc.in_sz = sizeof(in);
		hc.out_sz = sizeof(out);
		hc.in_ptr = (uintptr_t)(page + 4096); /* unmapped */
		hc.out_ptr = (uintptr_t)&out;
		CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EFAULT);
		hc.in_ptr = (uintptr_t)(page + 4096 - 8); /* runs into the hole */
		CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EFAULT);
		hc.in_ptr = (uintptr_t)&in;
		memcpy(ro, &hc, sizeof(hc));
		mprotect(page, 4096, PROT_READ); /* the status cannot be written back */
		CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, ro), EFAULT);
		munmap(page, 4096);
	}

	/* Registers of a VP that does not exist. */
	struct hv_input_get_vp_registers gh;
	uint8_t gin[sizeof(gh) + sizeof(uint32_t)];
	uint32_t name = HV_X64_REGISTER_RIP;
	union hv_register_value val;
	memset(&gh, 0, sizeof(gh));
	gh.vp_index = 3;
	memcpy(gin, &gh, sizeof(gh));
	memcpy(gin + sizeof(gh), &name, sizeof(name));
	memset(&hc, 0, sizeof(hc));
	hc.code = HVCALL_GET_VP_REGISTERS;
	hc.reps = 1;
	hc.in_sz = sizeof(gin);
	hc.out_sz = sizeof(val);
	hc.in_ptr = (uintptr_t)gin;
	hc.out_ptr = (uintptr_t)&val;
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc), EINVAL);
	CHECK(hc.status == HV_STATUS_INVALID_VP_INDEX && hc.reps == 0);

	close(pt);
}

static void test_vp_mmap(int mshv)
{
	int pt = create_partition(mshv);
	struct mshv_create_vp vp = { 0 };
	long psz = sysconf(_SC_PAGESIZE);

	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	int vpfd = ioctl(pt, MSHV_CREATE_VP, &vp);
	CHECK(vpfd >= 0);
	struct hv_vp_register_page *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vpfd,
						MSHV_VP_MMAP_OFFSET_REGISTERS * psz);
	CHECK(page != MAP_FAILED);
	if (page != MAP_FAILED) {
		CHECK(page->version == HV_VP_REGISTER_PAGE_VERSION_1);
		munmap(page, 4096);
	}
	/* No GHCB page without SNP isolation; no mmap of a partition fd. */
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, vpfd, MSHV_VP_MMAP_OFFSET_GHCB * psz) == MAP_FAILED &&
	      errno == ENODEV);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, pt, 0) == MAP_FAILED && errno == ENODEV);
	close(vpfd);
	close(pt);
}

/* Page access tracking: off, on, set, read back, clear; bad arguments. */
static void test_gpap_access_bitmap(int mshv)
{
	const size_t pages = 20;
	uint8_t *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pt = create_partition(mshv);
	struct mshv_user_mem_region r;
	struct mshv_gpap_access_bitmap b;
	struct hv_input_set_partition_property set;
	struct mshv_root_hvcall hc;
	uint8_t bits[4];

	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	memset(&r, 0, sizeof(r));
	r.size = pages * 4096;
	r.guest_pfn = 0x10;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = 1u << MSHV_SET_MEM_BIT_WRITABLE;
	CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) == 0);

	memset(&b, 0, sizeof(b));
	b.access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY;
	b.access_op = MSHV_GPAP_ACCESS_OP_NOOP;
	b.page_count = pages;
	b.gpap_base = 0x10;
	b.bitmap_ptr = (uintptr_t)bits;
	CHECK_ERRNO(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b), EIO); /* tracking is off */

	memset(&set, 0, sizeof(set));
	set.property_code = HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING;
	set.property_value = 1;
	CHECK(hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc) == 0);

	memset(bits, 0xee, sizeof(bits));
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0);
	CHECK(bits[0] == 0 && bits[1] == 0 && bits[2] == 0 && bits[3] == 0xee); /* no guest ran; 3 bytes written */

	/* SET reports the state before it; afterwards every page reads dirty. */
	b.access_op = MSHV_GPAP_ACCESS_OP_SET;
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0 && bits[2] == 0);
	b.access_op = MSHV_GPAP_ACCESS_OP_NOOP;
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0xff && bits[1] == 0xff && bits[2] == 0x0f);
	b.access_type = MSHV_GPAP_ACCESS_TYPE_ACCESSED; /* setting dirty also set accessed */
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0xff && bits[2] == 0x0f);
	b.access_op = MSHV_GPAP_ACCESS_OP_CLEAR; /* clears accessed and dirty */
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0xff);
	b.access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY;
	b.access_op = MSHV_GPAP_ACCESS_OP_NOOP;
	CHECK(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0 && bits[2] == 0);

	b.access_type = 2;
	CHECK_ERRNO(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b), EINVAL);
	b.access_type = 0;
	b.access_op = 3;
	CHECK_ERRNO(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b), EINVAL);
	b.access_op = 0;
	b.page_count = 0;
	CHECK_ERRNO(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b), EINVAL);
	b.page_count = pages;
	b.bitmap_ptr = 0;
	CHECK_ERRNO(ioctl(pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b), EINVAL);
	close(pt);
	munmap(mem, pages * 4096);
}

/*
 * MSHV_ROOT_HVCALL on /dev/mshv reaches the root partition's own
 * properties from 6.19 and in the 6.6-era driver; 6.15-6.18 have no such
 * ioctl there.
 */
static void test_system_hvcall(int mshv)
{
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	struct hv_input_set_partition_property set;
	struct mshv_root_hvcall hc;

	memset(&in, 0, sizeof(in));
	in.property_code = HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0;
	if (is_kernel(SIM_KERNEL_6_15)) {
		CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), &hc),
			    ENOTTY);
		CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, 4, &out, sizeof(out), &hc), ENOTTY);
		return;
	}
	CHECK(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), &hc) == 0);
	CHECK(hc.status == HV_STATUS_SUCCESS);
	CHECK(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY_EX, 0, &in, sizeof(in), &out, sizeof(out), &hc) == 0);
	CHECK(hc.status == HV_STATUS_SUCCESS && out.property_value == 0xffffffffull);
	/* Setting a property is asynchronous: only a partition fd may. */
	memset(&set, 0, sizeof(set));
	set.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	CHECK_ERRNO(hvcall(mshv, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc), EINVAL);
	/* Checks of the argument itself. */
	CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, 4, &out, sizeof(out), &hc), EINVAL);
	CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, NULL, 16, &out, sizeof(out), &hc), EINVAL);
	CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, 0, &hc), EINVAL);
	CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, 4097, &hc), EINVAL);
}

/*
 * The downstream 0xF0+ ioctls exist only in the legacy generation; with
 * MSHV_SIM_ABI set, the simulator must be the generation asked for.
 */
static void test_abi_generation(int mshv)
{
	int pt = create_partition(mshv);
	struct mshv_partition_property prop;
	int r;

	CHECK(pt >= 0 && ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	memset(&prop, 0, sizeof(prop));
	prop.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	prop.property_value = 1;
	errno = 0;
	r = ioctl(pt, MSHV_SET_PARTITION_PROPERTY, &prop);
	if (is_kernel(SIM_KERNEL_6_6))
		CHECK(r == 0);
	else
		CHECK(r == -1 && errno == ENOTTY);
	if (r == 0) {
		prop.property_value = 0;
		CHECK(ioctl(pt, MSHV_GET_PARTITION_PROPERTY, &prop) == 0 && prop.property_value == 1);
		prop.property_code = 0x7fff0000; /* HV_STATUS_UNKNOWN_PROPERTY */
		CHECK_ERRNO(ioctl(pt, MSHV_GET_PARTITION_PROPERTY, &prop), EINVAL); /* 6.6-era mapping */

		struct mshv_create_vp vpa = { 0 };
		int vpfd = ioctl(pt, MSHV_CREATE_VP, &vpa);
		struct mshv_vp_registers_legacy regs;
		struct hv_register_assoc suspend;
		regs.count = MSHV_VP_MAX_REGISTERS + 1;
		regs.regs = NULL;
		CHECK(vpfd >= 0);
		CHECK_ERRNO(ioctl(vpfd, MSHV_GET_VP_REGISTERS_LEGACY, &regs), EINVAL);
		/* The suspend registers belong to the driver: the legacy ioctl refuses them. */
		memset(&suspend, 0, sizeof(suspend));
		suspend.name = HV_REGISTER_EXPLICIT_SUSPEND;
		regs.count = 1;
		regs.regs = &suspend;
		CHECK_ERRNO(ioctl(vpfd, MSHV_SET_VP_REGISTERS_LEGACY, &regs), EINVAL);
		CHECK(ioctl(vpfd, MSHV_GET_VP_REGISTERS_LEGACY, &regs) == 0 && suspend.value.reg64 == 1); /* a new VP is suspended */

		/* A full set of 128 (more than one hypercall page holds) round-trips. */
		{
			static struct hv_register_assoc many[MSHV_VP_MAX_REGISTERS];
			int k;

			memset(many, 0, sizeof(many));
			for (k = 0; k < MSHV_VP_MAX_REGISTERS; k++) {
				many[k].name = (k % 2) ? HV_X64_REGISTER_RBX : HV_X64_REGISTER_RAX;
				many[k].value.reg64 = (k % 2) ? 0xb0b : 0xa0a;
			}
			regs.count = MSHV_VP_MAX_REGISTERS;
			regs.regs = many;
			CHECK(ioctl(vpfd, MSHV_SET_VP_REGISTERS_LEGACY, &regs) == 0);
			for (k = 0; k < MSHV_VP_MAX_REGISTERS; k++)
				many[k].value.reg64 = 0;
			CHECK(ioctl(vpfd, MSHV_GET_VP_REGISTERS_LEGACY, &regs) == 0);
			CHECK(many[0].value.reg64 == 0xa0a && many[127].value.reg64 == 0xb0b);
		}
		close(vpfd);
	}
	close(pt);
}

/* ---- per release ------------------------------------------------------------ */

/* MSHV_CREATE_PARTITION with arg: a partition (closed again) when ok, else EINVAL. */
static void expect_create(int mshv, const void *arg, bool ok)
{
	if (ok) {
		int fd = ioctl(mshv, MSHV_CREATE_PARTITION, arg);

		CHECK(fd >= 0);
		close(fd);
	} else {
		CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, arg), EINVAL);
	}
}

/* MSHV_CREATE_PARTITION: the flag bits each release knows, and the v2 argument. */
static void test_create_partition_release(int mshv)
{
	struct mshv_create_partition a;
	struct mshv_create_partition_v2 v2;
	uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (1ull << MSHV_PT_BIT_LAPIC) | (1ull << MSHV_PT_BIT_X2APIC) | (1ull << MSHV_PT_BIT_GPA_SUPER_PAGES);
	bool new_bits = since(SIM_KERNEL_7_0) || is_kernel(SIM_KERNEL_6_6);

	CHECK(page != MAP_FAILED);
	munmap(page + 4096, 4096); /* a hole after the first page */

	/* Bits 0-2: every release. */
	memset(&a, 0, sizeof(a));
	a.pt_flags = base;
	expect_create(mshv, &a, true);

	/* Bits 4 and 5 (nested, SMT): 7.0 and the 6.6-era driver; 6.15 and 6.19 refuse them. */
	for (int bit = MSHV_PT_BIT_NESTED_VIRTUALIZATION; bit <= MSHV_PT_BIT_SMT_ENABLED_GUEST; bit++) {
		a.pt_flags = base | (1ull << bit);
		expect_create(mshv, &a, new_bits);
	}
	a.pt_flags = 1ull << 6; /* known to none */
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, &a), EINVAL);

	/* Isolation: SNP only in the 6.6-era driver. */
	a.pt_flags = base;
	a.pt_isolation = 1;
	expect_create(mshv, &a, is_kernel(SIM_KERNEL_6_6));

	/* Bit 3: the v2 argument (6.19 on, 6.6-era); 6.15-6.18 refuse the bit. */
	memset(&v2, 0, sizeof(v2));
	v2.pt_flags = base | (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES);
	v2.pt_num_cpu_fbanks = MSHV_NUM_CPU_FEATURES_BANKS;
	v2.pt_cpu_fbanks[0] = 1ull << 3; /* a feature to disable */
	expect_create(mshv, &v2, !is_kernel(SIM_KERNEL_6_15));
	if (is_kernel(SIM_KERNEL_6_15)) {
		/* refused before the 64 bytes are read: 16 bytes at the end of a page do */
		memcpy(page + 4096 - 16, &v2, 16);
		CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, page + 4096 - 16), EINVAL);
	} else {
		/* the ioctl number says 16 bytes; with bit 3 the driver reads 64 (EFAULT past them) */
		memcpy(page + 4096 - 16, &v2, 16);
		CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, page + 4096 - 16), EFAULT);
		/* one bank: 6.19 wants exactly two, the 6.6-era driver at most two */
		v2.pt_num_cpu_fbanks = 1;
		expect_create(mshv, &v2, is_kernel(SIM_KERNEL_6_6));
		v2.pt_num_cpu_fbanks = 3;
		expect_create(mshv, &v2, false);
		v2.pt_num_cpu_fbanks = MSHV_NUM_CPU_FEATURES_BANKS;
		v2.pt_rsvd[5] = 1;
		expect_create(mshv, &v2, false);
		v2.pt_rsvd[5] = 0;
		v2.pt_rsvd1[1] = 1;
		expect_create(mshv, &v2, false);
		v2.pt_rsvd1[1] = 0;
		v2.pt_flags |= 1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION; /* checked in the v2 too */
		expect_create(mshv, &v2, new_bits);
	}
	munmap(page, 4096);
}

/* The ioctls /dev/mshv answers besides partition creation. */
static void test_system_ioctls(int mshv)
{
	uint32_t cap = MSHV_CAP_CORE_API_STABLE;
	char c = 0;

	/* mshv_root has no MSHV_CHECK_EXTENSION nor MSHV_CREATE_VTL in any release. */
	CHECK_ERRNO(ioctl(mshv, MSHV_CHECK_EXTENSION, &cap), ENOTTY);
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_VTL, &c), ENOTTY);
}

/* Every code the simulated hypervisor implements, and whether each release passes it through. */
static const uint16_t all_codes[] = {
	HVCALL_GET_PARTITION_PROPERTY,      HVCALL_SET_PARTITION_PROPERTY,    HVCALL_INSTALL_INTERCEPT,
	HVCALL_GET_VP_REGISTERS,            HVCALL_SET_VP_REGISTERS,          HVCALL_TRANSLATE_VIRTUAL_ADDRESS,
	HVCALL_READ_GPA,                    HVCALL_WRITE_GPA,                 HVCALL_CLEAR_VIRTUAL_INTERRUPT,
	HVCALL_REGISTER_INTERCEPT_RESULT,   HVCALL_ASSERT_VIRTUAL_INTERRUPT,  HVCALL_SIGNAL_EVENT_DIRECT,
	HVCALL_POST_MESSAGE_DIRECT,         HVCALL_GET_GPA_PAGES_ACCESS_STATES, HVCALL_IMPORT_ISOLATED_PAGES,
	HVCALL_COMPLETE_ISOLATED_IMPORT,    HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST, HVCALL_GET_VP_CPUID_VALUES,
	HVCALL_GET_PARTITION_PROPERTY_EX,
};

/* The 6.6-era driver's own additions to mainline's 13. */
static bool legacy_only(uint16_t code)
{
	return code == HVCALL_READ_GPA || code == HVCALL_WRITE_GPA || code == HVCALL_IMPORT_ISOLATED_PAGES ||
	       code == HVCALL_COMPLETE_ISOLATED_IMPORT || code == HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST;
}

/* Whether MSHV_ROOT_HVCALL on this fd (0 /dev/mshv, 1 partition, 2 VP) should reach the hypervisor. */
static bool expect_passed(uint16_t code, int fd_kind)
{
	bool async = code == HVCALL_SET_PARTITION_PROPERTY ||
		     (is_kernel(SIM_KERNEL_6_6) &&
		      (code == HVCALL_IMPORT_ISOLATED_PAGES || code == HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST));

	if (async && fd_kind != 1)
		return false; /* an asynchronous call: partition fds only */
	if (is_kernel(SIM_KERNEL_6_6))
		return true; /* its whole list on every fd */
	if (fd_kind == 0)
		return since(SIM_KERNEL_6_19) &&
		       (code == HVCALL_GET_PARTITION_PROPERTY || code == HVCALL_GET_PARTITION_PROPERTY_EX);
	if (code == HVCALL_GET_PARTITION_PROPERTY_EX)
		return since(SIM_KERNEL_6_19);
	return !legacy_only(code);
}

/*
 * The allow-lists: each code on each fd either reaches the hypervisor (the
 * ioctl succeeds or brings back a status) or is refused by the driver
 * (EINVAL, status untouched). Counts: 6.15 13/12/0 on partition, VP and
 * /dev/mshv fds; 6.19 and 7.0 14/13/2; the 6.6-era driver 19/16/16.
 */
static void test_passthru_lists(int mshv)
{
	int pt = create_partition(mshv);
	struct mshv_create_vp vpa = { 0 };
	int fds[3], passed_count[3] = { 0, 0, 0 };
	uint8_t in[64], out[64];

	CHECK(pt >= 0 && ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	fds[0] = mshv;
	fds[1] = pt;
	fds[2] = ioctl(pt, MSHV_CREATE_VP, &vpa);
	CHECK(fds[2] >= 0);
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizeof(all_codes) / sizeof(all_codes[0]); i++) {
			struct mshv_root_hvcall hc;
			int r;

			if (k == 0 && is_kernel(SIM_KERNEL_6_15))
				continue; /* no MSHV_ROOT_HVCALL there (test_system_hvcall) */
			memset(in, 0, sizeof(in));
			in[8] = 0x7f; /* property code, VP index and such: nothing that exists */
			errno = 0;
			r = hvcall(fds[k], all_codes[i], 0, in, sizeof(in), out, sizeof(out), &hc);
			bool reached = r == 0 || hc.status != 0;
			if (expect_passed(all_codes[i], k)) {
				CHECK(reached);
				passed_count[k]++;
			} else {
				CHECK(r == -1 && errno == EINVAL && hc.status == 0);
			}
			if (reached != expect_passed(all_codes[i], k))
				fprintf(stderr, "  code 0x%04x on fd kind %d: r %d errno %d status 0x%x\n", all_codes[i], k,
					r, errno, hc.status);
		}
	}
	if (is_kernel(SIM_KERNEL_6_6))
		CHECK(passed_count[1] == 19 && passed_count[2] == 16 && passed_count[0] == 16);
	else if (since(SIM_KERNEL_6_19))
		CHECK(passed_count[1] == 14 && passed_count[2] == 13 && passed_count[0] == 2);
	else
		CHECK(passed_count[1] == 13 && passed_count[2] == 12 && passed_count[0] == 0);
	close(fds[2]);
	close(pt);
}

/*
 * A failed rep call: reps completed always come back; the output page
 * (with the elements completed) only in 6.15-6.18 and the 6.6-era driver,
 * which copy it whatever the status; 6.19 on copy it on success only.
 */
static void test_output_on_failure(int mshv)
{
	int pt = create_partition(mshv);
	struct mshv_create_vp vpa = { 0 };
	struct hv_input_get_vp_registers gh;
	uint8_t gin[sizeof(gh) + 2 * sizeof(uint32_t)];
	uint32_t names[2] = { HV_X64_REGISTER_RIP, 0x7fffffff /* no such register */ };
	union hv_register_value vals[2];
	struct mshv_root_hvcall hc;
	int vp;

	CHECK(pt >= 0 && ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	vp = ioctl(pt, MSHV_CREATE_VP, &vpa);
	CHECK(vp >= 0);
	memset(&gh, 0, sizeof(gh));
	memcpy(gin, &gh, sizeof(gh));
	memcpy(gin + sizeof(gh), names, sizeof(names));
	memset(vals, 0xaa, sizeof(vals));
	CHECK(hvcall(vp, HVCALL_GET_VP_REGISTERS, 2, gin, sizeof(gin), vals, sizeof(vals), &hc) == -1);
	CHECK(hc.status != HV_STATUS_SUCCESS && hc.reps == 1);
	if (since(SIM_KERNEL_6_19))
		CHECK(vals[0].reg64 == 0xaaaaaaaaaaaaaaaaull); /* not copied */
	else
		CHECK(vals[0].reg64 == 0xfff0); /* the reset RIP, copied with the failure */
	close(vp);
	close(pt);
}

/*
 * The memory-pressure knobs (MSHV_SIM_HV_SHORT=N[:STATUS],
 * MSHV_SIM_DEPOSIT_FAIL=1), and without them that nothing is short: an
 * allocating passthrough call (HVCALL_SET_PARTITION_PROPERTY) on a new
 * partition, then MSHV_INITIALIZE_PARTITION (208 pages deposited up front,
 * then deposit-and-retry), each release's answer computed from the knobs.
 */
static void test_memory_pressure(int mshv)
{
	const uint16_t st = cfg.hv_short_status;
	const bool root = st == HV_STATUS_INSUFFICIENT_ROOT_MEMORY || st == HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY;
	const bool dep_ok = !cfg.deposit_fail;
	/* statuses the driver deposits for: INSUFFICIENT_MEMORY always, the other three from 7.0 */
	const bool deposits = st == HV_STATUS_INSUFFICIENT_MEMORY || since(SIM_KERNEL_7_0);
	uint64_t root_debt = root ? cfg.hv_short_pages : 0;
	struct hv_input_set_partition_property set;
	struct hv_input_get_partition_property get;
	struct hv_output_get_partition_property out;
	struct mshv_root_hvcall hc;
	int pt = create_partition(mshv), pt2, r;

	CHECK(pt >= 0);
	memset(&get, 0, sizeof(get));
	get.property_code = HV_PARTITION_PROPERTY_PROCESSOR_VENDOR;
	CHECK(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &get, sizeof(get), &out, sizeof(out), &hc) == 0);

	memset(&set, 0, sizeof(set));
	set.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	set.property_value = 1;
	r = hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc);
	if (!cfg.hv_short_pages) {
		CHECK(r == 0 && hc.status == 0);
	} else if (is_kernel(SIM_KERNEL_6_6)) {
		/* the passthrough deposits nothing: 6.6-era mapping of any memory status */
		CHECK(r == -1 && errno == ENOTRECOVERABLE && hc.status == st);
		/* its own MSHV_SET_PARTITION_PROPERTY deposits and retries (INSUFFICIENT_MEMORY only) */
		struct mshv_partition_property prop = { HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION, 1 };
		if (st == HV_STATUS_INSUFFICIENT_MEMORY && dep_ok)
			CHECK(ioctl(pt, MSHV_SET_PARTITION_PROPERTY, &prop) == 0);
		else
			CHECK_ERRNO(ioctl(pt, MSHV_SET_PARTITION_PROPERTY, &prop),
				    st == HV_STATUS_INSUFFICIENT_MEMORY ? ENOMEM : ENOTRECOVERABLE);
		if (st == HV_STATUS_INSUFFICIENT_MEMORY && dep_ok)
			root_debt = 0;
	} else if (is_kernel(SIM_KERNEL_6_15)) {
		if (st != HV_STATUS_INSUFFICIENT_MEMORY) {
			/* the other memory statuses are EIO before 7.0, nothing deposited */
			CHECK(r == -1 && errno == EIO && hc.status == st);
		} else if (!dep_ok) {
			CHECK(r == -1 && errno == ENOMEM && hc.status == st);
		} else {
			/* one page deposited per call, -EAGAIN until the partition is paid off */
			uint64_t eagain = 0;

			while (r == -1 && errno == EAGAIN && hc.status == st && eagain <= cfg.hv_short_pages) {
				eagain++;
				r = hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc);
			}
			CHECK(eagain == cfg.hv_short_pages);
			CHECK(r == 0 && hc.status == 0);
		}
	} else if (deposits && dep_ok) {
		/* 6.19 on: deposited and retried inside the ioctl */
		CHECK(r == 0 && hc.status == 0);
		root_debt = 0;
	} else {
		CHECK(r == -1 && errno == (deposits ? ENOMEM : EIO) && hc.status == st);
	}

	/* MSHV_INITIALIZE_PARTITION of a new partition: 208 pages up front, then deposit and retry. */
	pt2 = create_partition(mshv);
	CHECK(pt2 >= 0);
	uint64_t left = root ? root_debt : (cfg.hv_short_pages > 208 ? cfg.hv_short_pages - 208 : 0);
	bool own_deposits = st == HV_STATUS_INSUFFICIENT_MEMORY || since(SIM_KERNEL_7_0);
	if (!dep_ok) {
		CHECK_ERRNO(ioctl(pt2, MSHV_INITIALIZE_PARTITION), ENOMEM);
		struct mshv_create_vp vpa = { 0 };
		CHECK_ERRNO(ioctl(pt2, MSHV_CREATE_VP, &vpa), EIO); /* not initialized */
	} else if (!left || own_deposits) {
		CHECK(ioctl(pt2, MSHV_INITIALIZE_PARTITION) == 0);
		/* paid off: VPs and memory need no more */
		struct mshv_create_vp vpa = { 0 };
		int vp = ioctl(pt2, MSHV_CREATE_VP, &vpa);
		CHECK(vp >= 0);
		close(vp);
		r = hvcall(pt2, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, &hc);
		CHECK(r == 0);
	} else {
		CHECK_ERRNO(ioctl(pt2, MSHV_INITIALIZE_PARTITION), is_kernel(SIM_KERNEL_6_6) ? ENOTRECOVERABLE : EIO);
	}
	close(pt2);
	close(pt);
}

/* A VTL kernel's /dev/mshv (mshv_vtl's): MSHV_CHECK_EXTENSION, MSHV_CREATE_VTL, nothing else. */
static void test_vtl_device(int mshv)
{
	struct mshv_create_partition a;
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	uint32_t cap;
	char c = 0;

	for (cap = MSHV_CAP_CORE_API_STABLE; cap <= MSHV_CAP_DR6_SHARED; cap++)
		CHECK(ioctl(mshv, MSHV_CHECK_EXTENSION, &cap) == 0); /* core API: 0; the rest absent here */
	cap = 4;
	CHECK_ERRNO(ioctl(mshv, MSHV_CHECK_EXTENSION, &cap), EOPNOTSUPP);
	CHECK_ERRNO(ioctl(mshv, MSHV_CHECK_EXTENSION, (void *)8), EFAULT);
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_VTL, &c), EOPNOTSUPP); /* no VSM, no VTL (the simulator's answer) */
	memset(&a, 0, sizeof(a));
	CHECK_ERRNO(ioctl(mshv, MSHV_CREATE_PARTITION, &a), ENOTTY);
	memset(&in, 0, sizeof(in));
	CHECK_ERRNO(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), NULL), ENOTTY);
	CHECK_ERRNO(ioctl(mshv, MSHV_GET_HOST_PARTITION_PROPERTY, &out), ENOTTY);
}

int main(void)
{
	int before = fd_count();
	char msg[256];
	int mshv;

	if (sim_config_from_env(&cfg, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	mshv = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	if (is_kernel(SIM_KERNEL_VTL)) {
		test_vtl_device(mshv);
	} else if (cfg.hv_short_pages || cfg.deposit_fail) {
		test_memory_pressure(mshv); /* the rest expects a hypervisor with memory */
	} else {
		test_partition_lifecycle(mshv);
		test_guest_memory(mshv);
		test_eventfds(mshv);
		test_root_hvcall(mshv);
		test_vp_mmap(mshv);
		test_abi_generation(mshv);
		test_gpap_access_bitmap(mshv);
		test_system_hvcall(mshv);
		test_create_partition_release(mshv);
		test_system_ioctls(mshv);
		test_passthru_lists(mshv);
		test_output_on_failure(mshv);
		test_memory_pressure(mshv);
	}
	close(mshv);
	CHECK(fd_count() == before); /* no fd leaked, error paths included */
	printf("driver (%s): %d passed, %d failed\n", sim_env_kernel_name(cfg.kernel), passed, failed);
	return failed ? 1 : 0;
}

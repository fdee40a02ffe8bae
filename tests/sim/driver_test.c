/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The kernel-driver half of mshv-sim, driven through raw ioctl() calls and
 * the ABI structs of mshv.h only (not through our wrapper layer, so each
 * side checks the other): objects and fds, partition lifecycle, guest
 * memory rules, VP creation, eventfds, MSI routing, MSHV_ROOT_HVCALL
 * checks and hypercall statuses, and the errno of each misuse.
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
	const char *abi;

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
	abi = getenv("MSHV_SIM_ABI");
	if (abi && !strcmp(abi, "legacy")) {
		/* The 6.6-era driver checks guest addresses only. */
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o) == 0);
		o.flags |= 1u << MSHV_SET_MEM_BIT_UNMAP;
		CHECK(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o) == 0);
	} else {
		CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &o), EEXIST);
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
	CHECK_ERRNO(ioctl(pt, MSHV_SET_GUEST_MEMORY, &u), EINVAL); /* already gone */
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
	CHECK_ERRNO(ioctl(pt, MSHV_ROOT_HVCALL, &hc),
		    getenv("MSHV_SIM_ABI") && !strcmp(getenv("MSHV_SIM_ABI"), "legacy") ? EINVAL : EIO);
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

/* MSHV_ROOT_HVCALL on /dev/mshv reaches the root partition's own properties. */
static void test_system_hvcall(int mshv)
{
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	struct hv_input_set_partition_property set;
	struct mshv_root_hvcall hc;

	memset(&in, 0, sizeof(in));
	in.property_code = HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0;
	CHECK(hvcall(mshv, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), &hc) == 0);
	CHECK(hc.status == HV_STATUS_SUCCESS);
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
	const char *abi = getenv("MSHV_SIM_ABI");
	int pt = create_partition(mshv);
	struct mshv_partition_property prop;
	int r;

	CHECK(pt >= 0 && ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	memset(&prop, 0, sizeof(prop));
	prop.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	prop.property_value = 1;
	errno = 0;
	r = ioctl(pt, MSHV_SET_PARTITION_PROPERTY, &prop);
	if (abi && !strcmp(abi, "upstream"))
		CHECK(r == -1 && errno == ENOTTY);
	if (abi && !strcmp(abi, "legacy"))
		CHECK(r == 0);
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

int main(void)
{
	int before = fd_count();
	int mshv = open("/dev/mshv", O_RDWR | O_CLOEXEC);

	if (mshv < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	test_partition_lifecycle(mshv);
	test_guest_memory(mshv);
	test_eventfds(mshv);
	test_root_hvcall(mshv);
	test_vp_mmap(mshv);
	test_abi_generation(mshv);
	test_gpap_access_bitmap(mshv);
	test_system_hvcall(mshv);
	close(mshv);
	CHECK(fd_count() == before); /* no fd leaked, error paths included */
	printf("driver: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

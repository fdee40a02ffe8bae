/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Resident memory per VP: a partition with N VPs (1, then 8, in fresh
 * partitions), each running a guest that loops on OUT for 10,000 port-IO
 * exits and then a compute loop to HLT. The process's resident memory
 * (VmRSS) with all N VPs alive, less what it was before them, divided by
 * N, must stay within the bound.
 *
 * rss_per_vp [--max-mib M]   (default 64); under tools/mshv-sim, 77 without /dev/mshv
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mshv.h"
#include "raw_hvcall.h"

/* VmRSS in KiB. */
static long rss_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

static int run_vp(int pt, uint32_t index)
{
	struct mshv_create_vp vargs = { index };
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc regs[3];
	uint64_t in[(sizeof(hdr) + sizeof(regs)) / 8];
	struct hv_vp_register_page *page;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io = (const void *)msg.u.payload;
	int vp = ioctl(pt, MSHV_CREATE_VP, &vargs), i;

	if (vp < 0)
		return -1;
	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = index;
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_X64_REGISTER_CS;
	regs[0].value.segment.limit = 0xffff;
	regs[0].value.segment.attributes = 0x9b;
	regs[1].name = HV_X64_REGISTER_RIP;
	regs[1].value.reg64 = 0x1000;
	regs[2].name = HV_REGISTER_INTERNAL_ACTIVITY_STATE; /* an AP starts waiting for INIT-SIPI: start it */
	regs[2].value.reg64 = 0;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy((char *)in + sizeof(hdr), regs, sizeof(regs));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vp, MSHV_VP_MMAP_OFFSET_REGISTERS * 4096);
	if (page == MAP_FAILED || hvcall(vp, HVCALL_SET_VP_REGISTERS, 3, in, sizeof(in), NULL, 0, NULL) < 0)
		return -1;
	for (i = 0; i < 10000; i++) {
		if (ioctl(vp, MSHV_RUN_VP, &msg) < 0 || msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
			return -1;
		page->rip += io->header.instruction_length;
		page->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	}
	page->rip = 0x2000; /* the compute loop */
	page->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	if (ioctl(vp, MSHV_RUN_VP, &msg) < 0 || msg.header.message_type != HVMSG_X64_HALT)
		return -1;
	munmap(page, 4096);
	return vp; /* kept open: the VP stays resident until the partition goes */
}

/* RSS growth per VP, in MiB, of a partition with n VPs; -1 on failure. */
static double per_vp_mib(int mshv, uint8_t *mem, unsigned n)
{
	struct mshv_create_partition pargs;
	struct mshv_user_mem_region r;
	int pt, vps[8];
	long before, after;
	unsigned i;

	memset(&pargs, 0, sizeof(pargs));
	pt = ioctl(mshv, MSHV_CREATE_PARTITION, &pargs);
	if (pt < 0 || ioctl(pt, MSHV_INITIALIZE_PARTITION) < 0)
		return perror("partition"), -1;
	memset(&r, 0, sizeof(r));
	r.size = 0x10000;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	if (ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) < 0)
		return perror("guest memory"), -1;
	before = rss_kib();
	for (i = 0; i < n; i++)
		if ((vps[i] = run_vp(pt, i)) < 0)
			return fprintf(stderr, "VP %u: %s\n", i, strerror(errno)), -1;
	after = rss_kib();
	for (i = 0; i < n; i++)
		close(vps[i]);
	close(pt);
	return (double)(after - before) / 1024.0 / n;
}

int main(int argc, char **argv)
{
	static const uint8_t out_loop[] = { 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xfd }; /* mov dx,0x3f8; out; jmp */
	static const uint8_t compute[] = { 0x66, 0xb9, 0x40, 0x42, 0x0f, 0x00, 0x66, 0x49, 0x75, 0xfc, 0xf4 };
	double max_mib = argc == 3 && !strcmp(argv[1], "--max-mib") ? atof(argv[2]) : 64, one, eight;
	uint8_t *mem;
	int mshv = open("/dev/mshv", O_RDWR | O_CLOEXEC);

	if (mshv < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memcpy(mem + 0x1000, out_loop, sizeof(out_loop));
	memcpy(mem + 0x2000, compute, sizeof(compute)); /* mov ecx, 1000000; dec ecx; jnz; hlt */
	one = per_vp_mib(mshv, mem, 1);
	/*
	 * The CPU model keeps host pages it translated code from read-only
	 * until the VMM writes them (a known limit: mapping such a page
	 * writable again fails with EFAULT until then); write them first.
	 */
	((volatile uint8_t *)mem)[0x1000] = out_loop[0];
	((volatile uint8_t *)mem)[0x2000] = compute[0];
	eight = per_vp_mib(mshv, mem, 8);
	printf("resident memory per VP: %.1f MiB with 1 VP, %.1f MiB with 8 VPs (bound %.0f MiB)\n", one, eight,
	       max_mib);
	if (one < 0 || eight < 0 || one > max_mib || eight > max_mib) {
		printf("FAIL\n");
		return 1;
	}
	return 0;
}

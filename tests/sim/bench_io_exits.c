/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Round trips through /dev/mshv, raw ioctls only:
 *   - port IO exits per second: the guest loops on OUT; each MSHV_RUN_VP
 *     returns the intercept and the VMM steps over the instruction through
 *     the VP register page (RIP, dirty class IP), then re-enters;
 *   - guest instructions per second of a compute loop (a 100-million-
 *     iteration dec/jnz loop, then HLT), one MSHV_RUN_VP.
 *
 * bench_io_exits [--min-exits-per-sec N]   exits 1 when below N
 * Under tools/mshv-sim; 77 when there is no /dev/mshv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int set_cs_rip(int vpfd, uint16_t rip)
{
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc regs[2];
	uint64_t in[(sizeof(hdr) + sizeof(regs)) / 8];
	struct mshv_root_hvcall hc;

	memset(&hdr, 0, sizeof(hdr));
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_X64_REGISTER_CS;
	regs[0].value.segment.limit = 0xffff;
	regs[0].value.segment.attributes = 0x9b;
	regs[1].name = HV_X64_REGISTER_RIP;
	regs[1].value.reg64 = rip;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy((char *)in + sizeof(hdr), regs, sizeof(regs));
	memset(&hc, 0, sizeof(hc));
	hc.code = HVCALL_SET_VP_REGISTERS;
	hc.reps = 2;
	hc.in_sz = sizeof(in);
	hc.in_ptr = (uintptr_t)in;
	return ioctl(vpfd, MSHV_ROOT_HVCALL, &hc);
}

int main(int argc, char **argv)
{
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03, /* 0x1000: mov dx, 0x3f8 */
		0xee,             /* 0x1003: out dx, al */
		0xeb, 0xfd,       /* jmp 0x1003 */
	};
	static const uint8_t loop[] = {
		0x66, 0xb9, 0x00, 0xe1, 0xf5, 0x05, /* 0x2000: mov ecx, 100000000 */
		0x66, 0x49,                         /* 0x2006: dec ecx */
		0x75, 0xfc,                         /* jnz 0x2006 */
		0xf4,                               /* hlt */
	};
	const long iterations = 2000000;
	double min_rate = 0, t0, t1, rate, ips;
	struct mshv_create_partition pargs;
	struct mshv_user_mem_region r;
	struct mshv_create_vp vargs = { 0 };
	struct hv_vp_register_page *regs;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io = (const void *)msg.u.payload;
	uint8_t *mem;
	int mshv, pt, vp;
	long i;

	if (argc == 3 && !strcmp(argv[1], "--min-exits-per-sec"))
		min_rate = atof(argv[2]);
	mshv = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	memset(&pargs, 0, sizeof(pargs));
	pt = ioctl(mshv, MSHV_CREATE_PARTITION, &pargs);
	if (pt < 0 || ioctl(pt, MSHV_INITIALIZE_PARTITION) < 0)
		return perror("partition"), 1;
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	memcpy(mem + 0x2000, loop, sizeof(loop));
	memset(&r, 0, sizeof(r));
	r.size = 0x10000;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	vp = ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) ? -1 : ioctl(pt, MSHV_CREATE_VP, &vargs);
	if (vp < 0 || set_cs_rip(vp, 0x1000) < 0)
		return perror("vp"), 1;
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vp, MSHV_VP_MMAP_OFFSET_REGISTERS * 4096);
	if (regs == MAP_FAILED)
		return perror("register page"), 1;

	/* warm up (translation), then measure */
	for (i = 0; i < 1000; i++) {
		if (ioctl(vp, MSHV_RUN_VP, &msg) < 0)
			return perror("run"), 1;
		regs->rip += io->header.instruction_length;
		regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	}
	t0 = now();
	for (i = 0; i < iterations; i++) {
		if (ioctl(vp, MSHV_RUN_VP, &msg) < 0 || msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
			return fprintf(stderr, "unexpected exit at iteration %ld\n", i), 1;
		regs->rip += io->header.instruction_length;
		regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	}
	t1 = now();
	rate = (double)iterations / (t1 - t0);
	printf("io exits: %ld round trips in %.3f s: %.0f exits/s (%.0f ns each)\n", iterations, t1 - t0, rate,
	       1e9 / rate);

	if (set_cs_rip(vp, 0x2000) < 0)
		return perror("set rip"), 1;
	t0 = now();
	if (ioctl(vp, MSHV_RUN_VP, &msg) < 0 || msg.header.message_type != HVMSG_X64_HALT)
		return fprintf(stderr, "compute loop: no HALT\n"), 1;
	t1 = now();
	ips = 2.0 * 100000000.0 / (t1 - t0);
	printf("compute loop: 200000000 guest instructions in %.3f s: %.0f instructions/s\n", t1 - t0, ips);

	close(vp);
	close(pt);
	close(mshv);
	if (min_rate > 0 && rate < min_rate) {
		printf("FAIL: below %.0f exits/s\n", min_rate);
		return 1;
	}
	return 0;
}

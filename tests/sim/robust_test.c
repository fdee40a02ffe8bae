/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * What a VMM's misuse and races must not do to mshv-sim (issue 15): each
 * test is the regression test of one fix, in every kernel mode.
 *
 * - hypercalls naming VP k through the partition fd while another thread
 *   creates and closes VP k (a use-after-free once);
 * - ioeventfd assign/deassign cycles leave no fd behind (the simulator's
 *   copy was kept until the partition closed);
 *
 * Runs under tools/mshv-sim with raw ioctls; exits 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "raw_hvcall.h"

static int mshv_fd = -1;

static int partition_new(void)
{
	struct mshv_create_partition args;
	int pt;

	memset(&args, 0, sizeof(args));
	args.pt_flags = 1ull << MSHV_PT_BIT_LAPIC;
	pt = ioctl(mshv_fd, MSHV_CREATE_PARTITION, &args);
	CHECK(pt >= 0);
	CHECK(ioctl(pt, MSHV_INITIALIZE_PARTITION) == 0);
	return pt;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The process's open fds. */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

/* ---- VP lookup against a concurrent close ---------------------------------------- */

struct race {
	int pt;
	uint32_t index;
	atomic_bool stop;
	long calls, found;
};

/*
 * HvCallGetVpRegisters, HvCallSetVpRegisters (RIP: the register page is
 * rewritten) and HvCallTranslateVirtualAddress naming VP index, until stop.
 */
static void *hvcall_loop(void *p)
{
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		struct hv_input_get_vp_registers hdr;
		struct hv_input_translate_virtual_address tr;
		uint8_t in[sizeof(hdr) + sizeof(uint32_t)];
		uint8_t out[64];
		uint32_t name = HV_X64_REGISTER_RIP;

		memset(&hdr, 0, sizeof(hdr));
		hdr.vp_index = r->index;
		memcpy(in, &hdr, sizeof(hdr));
		memcpy(in + sizeof(hdr), &name, sizeof(name));
		if (hvcall(r->pt, HVCALL_GET_VP_REGISTERS, 1, in, sizeof(in), out, sizeof(out), NULL) == 0)
			r->found++;
		{
			struct hv_input_set_vp_registers sh;
			struct hv_register_assoc a;
			uint8_t sin[sizeof(sh) + sizeof(a)];

			memset(&sh, 0, sizeof(sh));
			memset(&a, 0, sizeof(a));
			sh.vp_index = r->index;
			a.name = HV_X64_REGISTER_RIP;
			a.value.reg64 = 0x1000;
			memcpy(sin, &sh, sizeof(sh));
			memcpy(sin + sizeof(sh), &a, sizeof(a));
			hvcall(r->pt, HVCALL_SET_VP_REGISTERS, 1, sin, sizeof(sin), NULL, 0, NULL);
		}
		memset(&tr, 0, sizeof(tr));
		tr.vp_index = r->index;
		hvcall(r->pt, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &tr, sizeof(tr), out, sizeof(out), NULL);
		r->calls++;
	}
	return NULL;
}

/*
 * Before the fix the hypercall's VP was looked up with no reference and
 * freed by the close under it: SIGSEGV within a fraction of a second.
 */
static void test_vp_lookup_vs_close(void)
{
	struct race r = { .index = 3 };
	pthread_t t;
	int cycles = 0;
	double end;

	r.pt = partition_new();
	atomic_init(&r.stop, false);
	CHECK(pthread_create(&t, NULL, hvcall_loop, &r) == 0);
	end = now() + 0.5;
	while (now() < end) {
		struct mshv_create_vp args = { r.index };
		int vp = ioctl(r.pt, MSHV_CREATE_VP, &args);

		if (vp < 0) {
			CHECK(vp >= 0);
			break;
		}
		close(vp);
		cycles++;
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	printf("vp lookup vs close: %d create/close cycles, %ld hypercall pairs, %ld found the VP\n", cycles, r.calls,
	       r.found);
	CHECK(cycles > 0 && r.calls > 0);
	close(r.pt);
}

/* ---- ioeventfd fds ------------------------------------------------------------------ */

/* Before the fix: one more fd per cycle (2,000 here) until the partition closed. */
static void test_ioeventfd_no_fd_leak(void)
{
	int pt = partition_new(), before, after, i;
	struct mshv_create_vp va = { 0 };
	int vp = ioctl(pt, MSHV_CREATE_VP, &va); /* a VP that never ran holds no doorbell set */

	CHECK(vp >= 0);
	before = fd_count();
	for (i = 0; i < 2000; i++) {
		struct mshv_user_ioeventfd io;
		int efd = eventfd(0, EFD_CLOEXEC);

		memset(&io, 0, sizeof(io));
		io.fd = efd;
		io.addr = 0xd0000;
		io.len = 4;
		if (ioctl(pt, MSHV_IOEVENTFD, &io) != 0) {
			CHECK(!"assign");
			close(efd);
			break;
		}
		io.flags = 1u << MSHV_IOEVENTFD_BIT_DEASSIGN;
		if (ioctl(pt, MSHV_IOEVENTFD, &io) != 0) {
			CHECK(!"deassign");
			close(efd);
			break;
		}
		close(efd);
	}
	after = fd_count();
	printf("ioeventfd: %d fds before 2000 assign/deassign cycles, %d after\n", before, after);
	CHECK(after == before);
	close(vp);
	close(pt);
}

int main(void)
{
	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	test_vp_lookup_vs_close();
	test_ioeventfd_no_fd_leak();
	close(mshv_fd);
	return CHECK_REPORT("robust");
}

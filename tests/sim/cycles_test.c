/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Create/destroy cycles of each object the simulator keeps (partitions,
 * VPs, guest memory regions, irqfds, ioeventfds) leave the process's fd
 * count, thread count and resident memory where they started (issue 15).
 *
 * Usage: cycles_test [--cycles N]  (default 1000 per object, what CI runs;
 * the figure is --cycles 10000, about 10 s more for the VPs).
 *
 * Each object gets a warm-up of N/10 cycles (at least 20) first: the first
 * ones grow malloc's arenas, unicorn's and libc's one-time state. Then fds
 * and threads must be exactly where they were; RSS may move by at most
 * RSS_SLACK_KIB: glibc keeps freed chunks in per-thread arenas and trims
 * them lazily, so a few hundred KiB come and go between samples with no
 * leak; a leak of even 256 bytes a cycle is 2.5 MiB over 10,000 cycles,
 * and a VP (a unicorn instance) leaked per cycle is far more.
 *
 * Runs under tools/mshv-sim with raw ioctls; exits 77 without /dev/mshv.
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
#include "sim_util.h"

#define RSS_SLACK_KIB 2048

static int mshv_fd = -1;

struct usage {
	int fds;
	int threads;
	long rss_kib;
};

static long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(name);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Where the process stands. Deassigned irqfds are closed by the
 * partition's irqfd thread once it wakes: up to a second is allowed for
 * the counts to settle on want (NULL: until two samples 10 ms apart agree).
 */
static struct usage usage_now(const struct usage *want)
{
	struct usage u;
	int tries = 0;

	for (;;) {
		u.fds = fd_count();
		u.threads = (int)status_field("Threads");
		u.rss_kib = status_field("VmRSS");
		if (want && ((u.fds == want->fds && u.threads == want->threads) || ++tries == 100))
			return u;
		usleep(10000);
		if (!want) {
			struct usage again = usage_now(&u); /* settled when two samples agree */

			if (again.fds == u.fds && again.threads == u.threads)
				return again;
		}
	}
}

/* ---- one cycle of each object; 0 or -1 -------------------------------------- */

static int cycle_partition(int pt, void *mem)
{
	(void)pt;
	(void)mem;
	pt = partition_new_on(mshv_fd);
	if (pt < 0)
		return -1;
	return close(pt);
}

/*
 * A VP lives until its partition does (closing its fd does not destroy
 * it, and its index cannot be created again): each cycle is a partition
 * with one VP.
 */
static int cycle_vp(int pt, void *mem)
{
	struct mshv_create_vp a = { 0 };
	int vp;

	(void)mem;
	pt = partition_new_on(mshv_fd);
	if (pt < 0)
		return -1;
	vp = ioctl(pt, MSHV_CREATE_VP, &a);
	if (vp < 0 || close(vp) < 0) {
		close(pt);
		return -1;
	}
	return close(pt);
}

static int cycle_region(int pt, void *mem)
{
	struct mshv_user_mem_region r;

	memset(&r, 0, sizeof(r));
	r.guest_pfn = 0x100;
	r.size = 16 * 4096;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = 1u << MSHV_SET_MEM_BIT_WRITABLE;
	if (ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) != 0)
		return -1;
	r.flags = 1u << MSHV_SET_MEM_BIT_UNMAP;
	return ioctl(pt, MSHV_SET_GUEST_MEMORY, &r);
}

/* The VMM's eventfd is its own: closed after the deassign. */
static int cycle_irqfd(int pt, void *mem)
{
	struct mshv_user_irqfd f;
	int efd = eventfd(0, EFD_CLOEXEC), err;

	(void)mem;
	if (efd < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.fd = efd;
	f.gsi = 5;
	err = ioctl(pt, MSHV_IRQFD, &f);
	f.flags = 1u << MSHV_IRQFD_BIT_DEASSIGN;
	if (!err)
		err = ioctl(pt, MSHV_IRQFD, &f);
	close(efd);
	return err;
}

static int cycle_ioeventfd(int pt, void *mem)
{
	struct mshv_user_ioeventfd io;
	int efd = eventfd(0, EFD_CLOEXEC), err;

	(void)mem;
	if (efd < 0)
		return -1;
	memset(&io, 0, sizeof(io));
	io.fd = efd;
	io.addr = 0xd0000;
	io.len = 4;
	err = ioctl(pt, MSHV_IOEVENTFD, &io);
	io.flags = 1u << MSHV_IOEVENTFD_BIT_DEASSIGN;
	if (!err)
		err = ioctl(pt, MSHV_IOEVENTFD, &io);
	close(efd);
	return err;
}

/* Warm up, sample, n cycles, sample again: fds and threads equal, RSS within the slack. */
static void run(const char *name, int (*cycle)(int, void *), int pt, void *mem, long n)
{
	long warm = n / 10 > 20 ? n / 10 : 20, i;
	struct usage before, after;
	double t0;

	for (i = 0; i < warm; i++)
		if (cycle(pt, mem) != 0)
			break;
	CHECK(i == warm);
	before = usage_now(NULL);
	t0 = now();
	for (i = 0; i < n; i++)
		if (cycle(pt, mem) != 0)
			break;
	if (i != n)
		fprintf(stderr, "%s: cycle %ld failed: %s\n", name, i, strerror(errno));
	CHECK(i == n);
	after = usage_now(&before);
	printf("%-10s %6ld cycles in %5.2f s: fds %d -> %d, threads %d -> %d, RSS %ld -> %ld KiB\n", name, n,
	       now() - t0, before.fds, after.fds, before.threads, after.threads, before.rss_kib, after.rss_kib);
	CHECK(after.fds == before.fds);
	CHECK(after.threads == before.threads);
	CHECK(after.rss_kib - before.rss_kib <= RSS_SLACK_KIB);
}

int main(int argc, char **argv)
{
	long n = 1000;
	void *mem;
	int pt;

	if (argc == 3 && !strcmp(argv[1], "--cycles"))
		n = strtol(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [--cycles N]\n", argv[0]);
		return 2;
	}
	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	mem = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pt = partition_new_on(mshv_fd);
	CHECK(mem != MAP_FAILED && pt >= 0);
	if (mem == MAP_FAILED || pt < 0)
		return CHECK_REPORT("cycles");
	run("partitions", cycle_partition, pt, mem, n);
	run("VPs", cycle_vp, pt, mem, n);
	run("regions", cycle_region, pt, mem, n);
	run("irqfds", cycle_irqfd, pt, mem, n);
	run("ioeventfds", cycle_ioeventfd, pt, mem, n);
	close(pt);
	close(mshv_fd);
	return CHECK_REPORT("cycles");
}

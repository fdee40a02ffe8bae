/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Coverage-guided fuzzing (libFuzzer) of mshv-sim's ioctl entry: the
 * simulator is linked into this program (its preload layer's ioctl()
 * and open() are the program's), every layer built with coverage, and
 * each input is a sequence of ioctls on /dev/mshv, a partition, a VP and
 * the fds the sequence itself creates. Built and run by
 * tests/fuzz/libfuzzer.sh.
 *
 * Input: records of [fd selector][request selector][argument length]
 * [argument bytes...]. Requests are every number mshv.h knows
 * (MSHV_IOCTL_NAMES), both ABIs. So that the simulator never writes into
 * this program's own memory (a VMM that hands the kernel its heap gets
 * what it asked for, but a fuzzer must not corrupt itself), every 8-byte
 * word of an argument that could be a user pointer is moved into a
 * scratch arena; small values stay as they are. A guest that runs forever
 * is stopped by a timer signal (MSHV_RUN_VP returns EINTR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "mshv.h"

#define ARENA_SIZE (1u << 20)
#define POOL 8

#define REQUEST(name, size) name,
static const unsigned long requests[] = { MSHV_IOCTL_NAMES(REQUEST) };
#define NREQUESTS (sizeof(requests) / sizeof(requests[0]))

static uint8_t *arena;
static int mshv_fd = -1, pt_fd = -1, vp_fd = -1;
static int pool[POOL] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static unsigned pool_next;

static void on_alarm(int sig)
{
	(void)sig; /* interrupts MSHV_RUN_VP */
}

static void setup(void)
{
	struct mshv_create_partition cp;
	struct mshv_user_mem_region r;
	struct mshv_create_vp vp = { 0 };
	struct sigaction sa;

	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	memset(&cp, 0, sizeof(cp));
	cp.pt_flags = 1ull << MSHV_PT_BIT_LAPIC;
	pt_fd = ioctl(mshv_fd, MSHV_CREATE_PARTITION, &cp);
	if (mshv_fd < 0 || pt_fd < 0 || ioctl(pt_fd, MSHV_INITIALIZE_PARTITION) != 0)
		abort();
	memset(&r, 0, sizeof(r));
	r.size = ARENA_SIZE / 2;
	r.userspace_addr = (uintptr_t)arena;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	if (ioctl(pt_fd, MSHV_SET_GUEST_MEMORY, &r) != 0)
		abort();
	vp_fd = ioctl(pt_fd, MSHV_CREATE_VP, &vp);
	if (vp_fd < 0)
		abort();
}

/* Words that could be pointers into this program go into the arena. */
static void confine(uint8_t *arg, size_t len)
{
	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t w;

		memcpy(&w, arg + off, 8);
		if (w >= 0x10000 && w < 0x0000800000000000ull) {
			w = (uintptr_t)arena + (w % ARENA_SIZE);
			memcpy(arg + off, &w, 8);
		}
	}
}

/* Whether fd is one the simulator made (its files are memfds named after the kernel's anon inodes). */
static int is_sim_fd(int fd)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, "/memfd:anon_inode:mshv", 22) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t arg[4096] __attribute__((aligned(4096)));
	struct itimerval t = { { 0, 0 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };

	if (!arena)
		setup();
	while (size >= 3) {
		unsigned sel = data[0] % 4, len = data[2];
		unsigned long req = requests[data[1] % NREQUESTS];
		int fd = sel == 0 ? mshv_fd : sel == 1 ? pt_fd : sel == 2 ? vp_fd : pool[data[1] % POOL];
		int ret;

		data += 3, size -= 3;
		if (len > size)
			len = (unsigned)size;
		memset(arg, 0, sizeof(arg));
		memcpy(arg, data, len);
		data += len, size -= len;
		confine(arg, sizeof(arg));
		if (fd < 0)
			continue;
		setitimer(ITIMER_REAL, &t, NULL);
		ret = ioctl(fd, req, arg);
		setitimer(ITIMER_REAL, &off, NULL);
		if (ret > 2 && ret != mshv_fd && ret != pt_fd && ret != vp_fd && is_sim_fd(ret)) {
			/* a new fd (partition, VP, device): keep a few to fuzz, close the oldest */
			unsigned i = pool_next++ % POOL;

			if (pool[i] >= 0)
				close(pool[i]);
			pool[i] = ret;
		}
	}
	return 0;
}

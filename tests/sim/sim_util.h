/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Helpers of the raw-ioctl simulator tests: an initialized partition, and
 * what they measure of their own process (open fds, the monotonic clock).
 */
#ifndef MSHV_SIM_TEST_UTIL_H
#define MSHV_SIM_TEST_UTIL_H

#include <dirent.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"

/* A partition (LAPIC) created on mshv and initialized; -1 when either fails. */
static inline int partition_new_on(int mshv)
{
	struct mshv_create_partition args;
	int pt;

	memset(&args, 0, sizeof(args));
	args.pt_flags = 1ull << MSHV_PT_BIT_LAPIC;
	pt = ioctl(mshv, MSHV_CREATE_PARTITION, &args);
	if (pt >= 0 && ioctl(pt, MSHV_INITIALIZE_PARTITION) != 0) {
		close(pt);
		return -1;
	}
	return pt;
}

/* The process's open fds, -1 when /proc is not there. */
static inline int fd_count(void)
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

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The assertion macros of the raw-ioctl simulator tests: each check counts
 * as passed or failed; a failure prints where and what. A test's main()
 * prints "NAME: N passed, N failed" from the two counters.
 */
#ifndef MSHV_SIM_TEST_CHECK_H
#define MSHV_SIM_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond) {                                                              \
			passed++;                                                        \
		} else {                                                                 \
			failed++;                                                        \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

/* The call fails with exactly this errno. */
#define CHECK_ERRNO(call, err)                                                                      \
	do {                                                                                        \
		errno = 0;                                                                          \
		int r_ = (call);                                                                    \
		if (r_ == -1 && errno == (err)) {                                                   \
			passed++;                                                                   \
		} else {                                                                            \
			failed++;                                                                   \
			fprintf(stderr, "%s:%d: FAILED: %s: got %d errno %d (%s), want errno %d (%s)\n", \
				__FILE__, __LINE__, #call, r_, errno, strerror(errno), err, strerror(err)); \
		}                                                                                   \
	} while (0)

#endif

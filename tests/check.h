/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The assertion macros of the test programs: each check counts as passed
 * or failed; a failure prints where and what. A test's main() prints
 * "NAME: N passed, N failed" from the two counters.
 */
#ifndef MSHV_TEST_CHECK_H
#define MSHV_TEST_CHECK_H

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

/* A library call returns exactly want (0, a count, or -errno). */
#define CHECK_RET(call, want)                                                                        \
	do {                                                                                         \
		long r_ = (long)(call), w_ = (long)(want);                                           \
		if (r_ == w_) {                                                                      \
			passed++;                                                                    \
		} else {                                                                             \
			failed++;                                                                    \
			fprintf(stderr, "%s:%d: FAILED: %s: got %ld (%s), want %ld (%s)\n", __FILE__, \
				__LINE__, #call, r_, r_ < 0 ? strerror((int)-r_) : "", w_,           \
				w_ < 0 ? strerror((int)-w_) : "");                                   \
		}                                                                                    \
	} while (0)

/* The counters as the test's last line and exit status. */
#define CHECK_REPORT(name)                                                     \
	(printf("%s: %d passed, %d failed\n", (name), passed, failed), failed ? 1 : 0)

#endif

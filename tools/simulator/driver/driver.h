/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: the Linux mshv driver (drivers/hv/mshv_root_*.c)
 * as a model. The files behind /dev/mshv, partition, VP and device fds,
 * their ioctls with the driver's argument checks, errno values and each
 * kernel release's numbering, copy-in/copy-out of user memory, and the
 * eventfd plumbing (irqfd, ioeventfd, MSI routing) as the kernel does it.
 *
 * Called by the preload layer (tools/simulator/preload/), which owns the
 * fd table and libc; calls the hypervisor layer (hypervisor/hv.h) and, for
 * what only the process can do (a new fd, a fault-safe copy, the real
 * mmap), the services the preload layer registers with sim_driver_init().
 */
#ifndef MSHV_SIM_DRIVER_H
#define MSHV_SIM_DRIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * On a function a signal handler calls (the kick that makes a run return
 * -EINTR): no ThreadSanitizer instrumentation in a TSan build, as the
 * handler may interrupt the TSan runtime itself, which its instrumentation
 * would re-enter (tests/meson.build, suite 'tsan'). Such functions touch
 * only atomics and make system calls.
 */
#ifndef SIM_SIGNAL_SAFE
#define SIM_SIGNAL_SAFE __attribute__((no_sanitize_thread))
#endif

/*
 * Which kernel release the simulated driver behaves as (MSHV_SIM_KERNEL):
 * the mainline .0 behaviour of each family. In release order, except the
 * VTL kernel, which stands apart.
 */
enum sim_kernel {
	SIM_KERNEL_6_6,  /* 6.6-era downstream (Azure Linux): the 0xF0+ ioctls, old device numbers */
	SIM_KERNEL_6_15, /* mainline 6.15-6.18 */
	SIM_KERNEL_6_19, /* mainline 6.19 */
	SIM_KERNEL_7_0,  /* mainline 7.0-7.2 */
	SIM_KERNEL_VTL,  /* 6.19+ built with mshv_vtl: /dev/mshv is the VTL driver's */
};

struct sim_config {
	enum sim_kernel kernel;
	/*
	 * MSHV_SIM_HV_SHORT=N[:STATUS]: the hypervisor starts hv_short_pages
	 * pages short, and while short its allocating hypercalls fail with
	 * hv_short_status (an HV_STATUS_INSUFFICIENT_* code).
	 */
	uint64_t hv_short_pages;
	uint16_t hv_short_status;
	bool deposit_fail; /* MSHV_SIM_DEPOSIT_FAIL=1: every deposit of the driver fails (-ENOMEM) */
	bool trace; /* MSHV_SIM_TRACE=1: one line per ioctl and hypercall on stderr */
};

enum sim_file_kind {
	SIM_FILE_SYSTEM = 1, /* an open /dev/mshv */
	SIM_FILE_PARTITION,
	SIM_FILE_VP,
	SIM_FILE_DEVICE,
};

/* An open file of the driver; shared by dup()ed fds, released on the last put. */
struct sim_file {
	enum sim_file_kind kind;
	atomic_int refs;
	void *priv; /* the driver's partition, VP or device; NULL for /dev/mshv */
};

/* What the process provides the driver (the kernel's VFS and uaccess). */
struct sim_host_ops {
	/*
	 * A new fd for file (which it takes one reference of), backed by a
	 * memfd of backing_size bytes (0: none; *backing_fd receives it when
	 * not NULL). Returns the fd or -errno.
	 */
	int (*fd_install)(struct sim_file *file, const char *name, bool cloexec, size_t backing_size,
			  int *backing_fd);
	/* Copy n bytes; -EFAULT (never a crash) when either side is not accessible. */
	int (*user_copy)(void *dst, const void *src, size_t n);
	/* libc's mmap, for the driver's own mappings of its backing fds. */
	void *(*real_mmap)(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
	/*
	 * true: the process catches SIGSEGV and passes host faults down
	 * (sim_driver_host_fault) before its own handling.
	 */
	bool catches_faults;
};

/* Once, before anything else. */
void sim_driver_init(const struct sim_host_ops *ops, const struct sim_config *cfg);
extern struct sim_config sim_cfg;

/* A new open /dev/mshv (one reference), NULL when out of memory. */
struct sim_file *sim_driver_open(void);
void sim_file_hold(struct sim_file *file);
void sim_file_put(struct sim_file *file);

/* ioctl() and mmap() on a driver file: >= 0 or -errno. */
long sim_driver_ioctl(struct sim_file *file, unsigned long request, void *arg);
int sim_driver_mmap_check(struct sim_file *file, size_t length, int prot, int flags, off_t offset);

/*
 * The process is about to close fd (close(), or dup2/dup3 over it), while
 * it is still open. Call before the close; cheap unless fd is an eventfd
 * an irqfd uses.
 */
void sim_driver_fd_closing(int fd);

/*
 * The process is about to have the kernel write [addr, addr + len) for it
 * (read(2) and the like): memory the simulator write-protected there is
 * made writable first, as a fault on it would.
 */
void sim_driver_host_write_prepare(void *addr, size_t len);

/* In a child after fork(), before it goes on: forget the parent's objects (left as they are). */
void sim_driver_forked_child(void);

/* A signal arrived on this thread: a VP it runs returns -EINTR (async-signal-safe). */
void sim_driver_kick_current_thread(void);
/* A SIGSEGV at addr: true when it was a write the simulator allows after all (retry it). */
bool sim_driver_host_fault(void *addr);

/* One line on stderr (MSHV_SIM_TRACE). */
void sim_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, preload layer: the libc entry points a program uses to reach
 * /dev/mshv, interposed with LD_PRELOAD (tools/mshv-sim sets it up).
 *
 * Every file of the simulated driver (the open /dev/mshv, a partition, a
 * VP, a device) is backed by a real file descriptor (a memfd), so fd
 * numbers, close(), close-on-exec, fork and poll behave as the kernel's do;
 * this layer keeps the table from fd number to driver file and hands
 * ioctl() and mmap() on those fds to the driver layer (driver/driver.h),
 * which it gives the process services it needs (new fds, fault-safe
 * copies, the real mmap). Everything else passes straight to libc.
 */
/* Define open() and open64() etc. as separate symbols, whatever the build's
 * off_t size: with 64-bit offsets libc's headers would rename open to open64. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "driver.h"
#include "sim_env.h"

#define SIM_MAX_FDS 65536
#define DEV_MSHV "/dev/mshv"

static struct sim_file *fd_table[SIM_MAX_FDS];
static pthread_rwlock_t fd_lock = PTHREAD_RWLOCK_INITIALIZER;

static struct {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*access)(const char *, int);
	int (*faccessat)(int, const char *, int, int);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread64)(int, void *, size_t, off_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*preadv64)(int, const struct iovec *, int, off_t);
	ssize_t (*preadv64v2)(int, const struct iovec *, int, off_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	size_t (*fread)(void *, size_t, size_t, FILE *);
	size_t (*fread_unlocked)(void *, size_t, size_t, FILE *);
	ssize_t (*read_chk)(int, void *, size_t, size_t);
	ssize_t (*pread64_chk)(int, void *, size_t, off_t, size_t);
	ssize_t (*recv_chk)(int, void *, size_t, size_t, int);
	ssize_t (*recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
	size_t (*fread_chk)(void *, size_t, size_t, size_t, FILE *);
	size_t (*fread_unlocked_chk)(void *, size_t, size_t, size_t, FILE *);
} real;

/*
 * ThreadSanitizer's runtime, preloaded first, reaches the functions here
 * that interpose libc's as its own "real" ones: sigaction() while it
 * initializes, before it can track a function entry; mmap(), open() and
 * close() while it symbolizes a report, where an access it checked would
 * re-enter it. Those entry points, and this layer's fd-table helpers they
 * use, are not instrumented in a TSan build of the simulator (no effect
 * otherwise); the fd table's rwlock is still seen through TSan's
 * interceptors, and the driver below is instrumented.
 */
#define SIM_NO_TSAN SIM_SIGNAL_SAFE

SIM_NO_TSAN static void resolve(void)
{
	real.open = dlsym(RTLD_NEXT, "open");
	real.openat = dlsym(RTLD_NEXT, "openat");
	real.close = dlsym(RTLD_NEXT, "close");
	real.read = dlsym(RTLD_NEXT, "read");
	real.pread64 = dlsym(RTLD_NEXT, "pread64");
	real.readv = dlsym(RTLD_NEXT, "readv");
	real.preadv64 = dlsym(RTLD_NEXT, "preadv64");
	real.preadv64v2 = dlsym(RTLD_NEXT, "preadv64v2");
	real.recv = dlsym(RTLD_NEXT, "recv");
	real.recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	real.recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	real.fread = dlsym(RTLD_NEXT, "fread");
	real.fread_unlocked = dlsym(RTLD_NEXT, "fread_unlocked");
	real.read_chk = dlsym(RTLD_NEXT, "__read_chk");
	real.pread64_chk = dlsym(RTLD_NEXT, "__pread64_chk");
	real.recv_chk = dlsym(RTLD_NEXT, "__recv_chk");
	real.recvfrom_chk = dlsym(RTLD_NEXT, "__recvfrom_chk");
	real.fread_chk = dlsym(RTLD_NEXT, "__fread_chk");
	real.fread_unlocked_chk = dlsym(RTLD_NEXT, "__fread_unlocked_chk");
	real.ioctl = dlsym(RTLD_NEXT, "ioctl");
	real.mmap = dlsym(RTLD_NEXT, "mmap");
	real.dup = dlsym(RTLD_NEXT, "dup");
	real.dup2 = dlsym(RTLD_NEXT, "dup2");
	real.dup3 = dlsym(RTLD_NEXT, "dup3");
	real.fcntl = dlsym(RTLD_NEXT, "fcntl");
	real.access = dlsym(RTLD_NEXT, "access");
	real.faccessat = dlsym(RTLD_NEXT, "faccessat");
	real.sigaction = dlsym(RTLD_NEXT, "sigaction");
}

/*
 * Resolve on first use too: a sanitizer runtime or another preload may call
 * open() or mmap() before our constructor has run.
 */
#define REAL(fn) (real.fn ? real.fn : (resolve(), real.fn))

static void install_fault_handler(int sig);
static int fd_install(struct sim_file *file, const char *name, bool cloexec, size_t backing_size, int *backing_fd);
static int user_copy(void *dst, const void *src, size_t n);
static void *real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);

static const struct sim_host_ops host_ops = {
	.fd_install = fd_install,
	.user_copy = user_copy,
	.real_mmap = real_mmap,
	.catches_faults = true, /* sim_fault_handler below */
};

/*
 * fork(). The kernel's fds are shared by parent and child: both reach the
 * same partitions and VPs. The simulator's objects live in the process's
 * memory, which fork() copies, so a child holding the parent's fds would
 * work on copies (two "same" VPs running apart, a VP index created twice)
 * while their shared pages mix the two. That is the one difference the
 * simulator cannot model, and it is enforced: in the child every fd that
 * referred to a simulated file at the fork is inherited (fd_inherited),
 * and ioctl() and mmap() on it fail with EOPNOTSUPP (a message on stderr
 * the first time); close() and dup*() work. The parent's objects are
 * untouched by anything the child does; the child may open /dev/mshv
 * anew and get partitions of its own. The copies are never freed in the
 * child (their threads did not come along).
 */
static bool fd_inherited[SIM_MAX_FDS];

static void after_fork_child(void)
{
	for (int fd = 0; fd < SIM_MAX_FDS; fd++) {
		fd_inherited[fd] = fd_table[fd] != NULL;
		fd_table[fd] = NULL; /* the copy is left alone: its threads stayed in the parent */
	}
	pthread_rwlock_init(&fd_lock, NULL);
	sim_driver_forked_child();
}

SIM_NO_TSAN static bool inherited(int fd)
{
	static atomic_bool told;

	if (fd < 0 || fd >= SIM_MAX_FDS || !fd_inherited[fd])
		return false;
	if (!atomic_exchange(&told, true))
		fprintf(stderr, "mshv-sim: fd %d came from the parent through fork(); the simulator cannot share "
				"partitions and VPs between processes (the kernel does), so it refuses them "
				"(EOPNOTSUPP): see tools/simulator/README.md\n",
			fd);
	return true;
}

__attribute__((constructor)) static void sim_init(void)
{
	struct sim_config cfg;
	char msg[256];

	resolve();
	pthread_atfork(NULL, NULL, after_fork_child);
	install_fault_handler(SIGSEGV);
	install_fault_handler(SIGBUS);
	if (sim_config_from_env(&cfg, msg, sizeof(msg))) {
		fprintf(stderr, "mshv-sim: %s\n", msg);
		_exit(2);
	}
	sim_driver_init(&host_ops, &cfg);
}

/* ---- fd table ----------------------------------------------------------- */

/* The driver file behind fd, with a reference; NULL when fd is not simulated. */
SIM_NO_TSAN static struct sim_file *fd_get(int fd)
{
	struct sim_file *file = NULL;

	if (fd < 0 || fd >= SIM_MAX_FDS)
		return NULL;
	pthread_rwlock_rdlock(&fd_lock);
	file = fd_table[fd];
	if (file)
		sim_file_hold(file);
	pthread_rwlock_unlock(&fd_lock);
	return file;
}

/* Point fd at file (taking over one reference); drops what fd referred to. */
SIM_NO_TSAN static void fd_point(int fd, struct sim_file *file)
{
	struct sim_file *old;

	pthread_rwlock_wrlock(&fd_lock);
	old = fd_table[fd];
	fd_table[fd] = file;
	pthread_rwlock_unlock(&fd_lock);
	if (old)
		sim_file_put(old);
}

static void *real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	return REAL(mmap)(addr, length, prot, flags, fd, offset);
}

static int fd_install(struct sim_file *file, const char *name, bool cloexec, size_t backing_size, int *backing_fd)
{
	int fd = memfd_create(name, cloexec ? MFD_CLOEXEC : 0);

	if (fd < 0)
		return -errno;
	if (fd >= SIM_MAX_FDS) {
		REAL(close)(fd);
		return -EMFILE;
	}
	if (backing_size && ftruncate(fd, (off_t)backing_size) < 0) {
		int err = -errno;

		REAL(close)(fd);
		return err;
	}
	if (backing_fd)
		*backing_fd = fd;
	fd_point(fd, file);
	return fd;
}

/* ---- open ---------------------------------------------------------------- */

static bool is_dev_mshv(int dirfd, const char *path)
{
	(void)dirfd;
	return path && !strcmp(path, DEV_MSHV);
}

static int open_dev_mshv(int flags)
{
	struct sim_file *file = sim_driver_open();
	int fd;

	if (!file) {
		errno = ENOMEM;
		return -1;
	}
	fd = fd_install(file, "mshv-sim:/dev/mshv", flags & O_CLOEXEC, 0, NULL);
	if (fd < 0) {
		sim_file_put(file);
		errno = -fd;
		return -1;
	}
	/* The open file gets the caller's access mode and status flags, as the device node's would. */
	if ((flags & O_ACCMODE) != O_RDWR || (flags & O_NONBLOCK)) {
		char path[40];
		int again;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		again = REAL(open)(path, (flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC, 0);
		if (again >= 0) {
			REAL(dup3)(again, fd, flags & O_CLOEXEC);
			REAL(close)(again);
		}
	}
	if (sim_cfg.trace)
		sim_trace("mshv-sim: open(\"%s\") = %d", DEV_MSHV, fd);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

SIM_NO_TSAN int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (is_dev_mshv(AT_FDCWD, path))
		return open_dev_mshv(flags);
	return REAL(open)(path, flags, mode);
}

SIM_NO_TSAN int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (is_dev_mshv(dirfd, path))
		return open_dev_mshv(flags);
	return REAL(openat)(dirfd, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

/* The _FORTIFY_SOURCE entry points (no mode argument). */
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}
int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));
int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}
int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));

int access(const char *path, int mode)
{
	if (is_dev_mshv(AT_FDCWD, path))
		return (mode & X_OK) ? (errno = EACCES, -1) : 0;
	return REAL(access)(path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	if (is_dev_mshv(dirfd, path))
		return (mode & X_OK) ? (errno = EACCES, -1) : 0;
	return REAL(faccessat)(dirfd, path, mode, flags);
}

/* ---- the kernel writing into guest memory -------------------------------
 * The simulator write-protects host pages that hold translated guest code
 * (cpu/code_pages.c) and catches the VMM's writes as faults; the kernel
 * writing for a system call takes no fault but fails with EFAULT. So the
 * buffers of the calls that read into memory are made writable first:
 * read, pread, readv, preadv(2), recv, recvfrom, recvmsg, and stdio's
 * fread (which reads large counts straight into the caller's buffer with
 * libc's internal read, out of our reach), with their _FORTIFY_SOURCE
 * entry points. Not seen: io_uring, syscall(2), another process writing
 * (process_vm_writev), AIO.
 */
#undef fread_unlocked /* a macro in glibc's <bits/stdio.h> when optimising */
static size_t times(size_t size, size_t n)
{
	return n && size > SIZE_MAX / n ? SIZE_MAX : size * n;
}

static void prepare_iov(const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt && i < 1024; i++) {
		struct iovec v;

		if (user_copy(&v, &iov[i], sizeof(v)))
			break; /* the kernel's EFAULT */
		sim_driver_host_write_prepare(v.iov_base, v.iov_len);
	}
}

SIM_NO_TSAN ssize_t read(int fd, void *buf, size_t n)
{
	sim_driver_host_write_prepare(buf, n);
	return REAL(read)(fd, buf, n);
}

SIM_NO_TSAN ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	sim_driver_host_write_prepare(buf, n);
	return REAL(pread64)(fd, buf, n, off);
}
ssize_t pread(int fd, void *buf, size_t n, off_t off) __attribute__((alias("pread64")));

SIM_NO_TSAN ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	prepare_iov(iov, cnt);
	return REAL(readv)(fd, iov, cnt);
}

SIM_NO_TSAN ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	prepare_iov(iov, cnt);
	return REAL(preadv64)(fd, iov, cnt, off);
}
ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off) __attribute__((alias("preadv64")));

SIM_NO_TSAN ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	prepare_iov(iov, cnt);
	return REAL(preadv64v2)(fd, iov, cnt, off, flags);
}
ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags) __attribute__((alias("preadv64v2")));

SIM_NO_TSAN ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	sim_driver_host_write_prepare(buf, n);
	return REAL(recv)(fd, buf, n, flags);
}

SIM_NO_TSAN ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	sim_driver_host_write_prepare(buf, n);
	return REAL(recvfrom)(fd, buf, n, flags, from, fromlen);
}

SIM_NO_TSAN ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	struct msghdr h;

	if (!user_copy(&h, m, sizeof(h)))
		prepare_iov(h.msg_iov, h.msg_iovlen > 1024 ? 1024 : (int)h.msg_iovlen);
	return REAL(recvmsg)(fd, m, flags);
}

SIM_NO_TSAN size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	sim_driver_host_write_prepare(buf, times(size, n));
	return REAL(fread)(buf, size, n, f);
}

SIM_NO_TSAN size_t fread_unlocked(void *buf, size_t size, size_t n, FILE *f)
{
	sim_driver_host_write_prepare(buf, times(size, n));
	return REAL(fread_unlocked)(buf, size, n, f);
}

SIM_NO_TSAN ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	sim_driver_host_write_prepare(buf, n < buflen ? n : buflen);
	return REAL(read_chk)(fd, buf, n, buflen);
}

SIM_NO_TSAN ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	sim_driver_host_write_prepare(buf, n < buflen ? n : buflen);
	return REAL(pread64_chk)(fd, buf, n, off, buflen);
}
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen) __attribute__((alias("__pread64_chk")));

SIM_NO_TSAN ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	sim_driver_host_write_prepare(buf, n < buflen ? n : buflen);
	return REAL(recv_chk)(fd, buf, n, buflen, flags);
}

SIM_NO_TSAN ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
				   socklen_t *fromlen)
{
	sim_driver_host_write_prepare(buf, n < buflen ? n : buflen);
	return REAL(recvfrom_chk)(fd, buf, n, buflen, flags, from, fromlen);
}

SIM_NO_TSAN size_t __fread_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *f)
{
	size_t len = times(size, n);

	sim_driver_host_write_prepare(buf, len < buflen ? len : buflen);
	return REAL(fread_chk)(buf, buflen, size, n, f);
}

SIM_NO_TSAN size_t __fread_unlocked_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *f)
{
	size_t len = times(size, n);

	sim_driver_host_write_prepare(buf, len < buflen ? len : buflen);
	return REAL(fread_unlocked_chk)(buf, buflen, size, n, f);
}

/* ---- close / dup --------------------------------------------------------- */

SIM_NO_TSAN int close(int fd)
{
	if (fd >= 0 && fd < SIM_MAX_FDS)
		fd_inherited[fd] = false;
	sim_driver_fd_closing(fd);
	if (fd >= 0 && fd < SIM_MAX_FDS && fd_table[fd])
		fd_point(fd, NULL);
	return REAL(close)(fd);
}

static int dup_result(int oldfd, int newfd)
{
	struct sim_file *file;

	if (newfd < 0)
		return newfd;
	if (newfd < SIM_MAX_FDS)
		fd_inherited[newfd] = oldfd >= 0 && oldfd < SIM_MAX_FDS && fd_inherited[oldfd];
	file = fd_get(oldfd);
	if (newfd >= SIM_MAX_FDS) {
		if (file)
			sim_file_put(file);
		return newfd;
	}
	fd_point(newfd, file); /* NULL when oldfd is not simulated */
	return newfd;
}

int dup(int oldfd)
{
	return dup_result(oldfd, REAL(dup)(oldfd));
}

int dup2(int oldfd, int newfd)
{
	if (oldfd == newfd)
		return REAL(dup2)(oldfd, newfd);
	if (fcntl(oldfd, F_GETFD) >= 0)
		sim_driver_fd_closing(newfd); /* dup2 closes newfd when oldfd is valid */
	return dup_result(oldfd, REAL(dup2)(oldfd, newfd));
}

int dup3(int oldfd, int newfd, int flags)
{
	if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0)
		sim_driver_fd_closing(newfd);
	return dup_result(oldfd, REAL(dup3)(oldfd, newfd, flags));
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int ret;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	ret = REAL(fcntl)(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return dup_result(fd, ret);
	return ret;
}
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* ---- ioctl / mmap -------------------------------------------------------- */

int ioctl(int fd, unsigned long request, ...)
{
	struct sim_file *file;
	va_list ap;
	void *arg;
	long ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	file = fd_get(fd);
	if (!file) {
		if (inherited(fd)) {
			errno = EOPNOTSUPP;
			return -1;
		}
		return REAL(ioctl)(fd, request, arg);
	}
	ret = sim_driver_ioctl(file, request, arg);
	sim_file_put(file);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}

SIM_NO_TSAN void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	struct sim_file *file = (flags & MAP_ANONYMOUS) ? NULL : fd_get(fd);
	int err;

	if (!file) {
		if (!(flags & MAP_ANONYMOUS) && inherited(fd)) {
			errno = EOPNOTSUPP;
			return MAP_FAILED;
		}
		return REAL(mmap)(addr, length, prot, flags, fd, offset);
	}
	err = sim_driver_mmap_check(file, length, prot, flags, offset);
	sim_file_put(file);
	if (err < 0) {
		errno = -err;
		return MAP_FAILED;
	}
	return REAL(mmap)(addr, length, prot, flags, fd, offset);
}
void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset) __attribute__((alias("mmap")));

/* ---- user memory: copies that fail with EFAULT instead of faulting ---------
 *
 * The driver layer reads and writes the caller's buffers as the kernel's
 * copy_from_user/copy_to_user do: a bad address is an error, not a crash.
 * A copy arms a per-thread jump buffer; our SIGSEGV/SIGBUS handler jumps
 * back when it is armed and otherwise passes the signal on to whatever the
 * program (or a sanitizer runtime) installed. The program's own
 * sigaction() calls for those two signals are recorded, not installed.
 */

static __thread sigjmp_buf *fault_jmp __attribute__((tls_model("initial-exec")));
static struct sigaction fault_next[NSIG]; /* the program's handler for SIGSEGV / SIGBUS */

typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

/* Plain loads and stores (no libc memcpy: a sanitizer's would check first). */
__attribute__((noinline, no_sanitize_address)) static void raw_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(unaligned_u64 *)d = *(const unaligned_u64 *)s;
	while (n--)
		*d++ = *s++;
}

static int user_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		fault_jmp = NULL;
		return -EFAULT;
	}
	fault_jmp = &jb;
	raw_copy(dst, src, n);
	fault_jmp = NULL;
	return 0;
}

static void sim_fault_handler(int sig, siginfo_t *info, void *uctx)
{
	struct sigaction *next = &fault_next[sig];

	if (sig == SIGSEGV && sim_driver_host_fault(info->si_addr))
		return; /* a VMM write to guest code: retried, now allowed */
	if (fault_jmp)
		siglongjmp(*fault_jmp, 1);
	if ((next->sa_flags & SA_SIGINFO) && next->sa_sigaction) {
		next->sa_sigaction(sig, info, uctx);
	} else if (next->sa_handler != SIG_DFL && next->sa_handler != SIG_IGN) {
		next->sa_handler(sig);
	} else {
		/* Default action: let the faulting instruction fault again without us. */
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		REAL(sigaction)(sig, &dfl, NULL);
	}
}

static void install_fault_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sim_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	REAL(sigaction)(sig, &sa, &fault_next[sig]);
}

/* ---- signals: a handled signal makes a running MSHV_RUN_VP return -EINTR -- */

static struct sigaction user_action[NSIG];

SIM_SIGNAL_SAFE static void sim_signal_trampoline(int sig, siginfo_t *info, void *uctx)
{
	struct sigaction *act = &user_action[sig];
	int saved = errno;

	sim_driver_kick_current_thread();
	errno = saved;
	if (act->sa_flags & SA_SIGINFO)
		act->sa_sigaction(sig, info, uctx);
	else if (act->sa_handler != SIG_IGN && act->sa_handler != SIG_DFL)
		act->sa_handler(sig);
}

SIM_NO_TSAN int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction mine, prev;
	int ret;

	if (sig == SIGSEGV || sig == SIGBUS) {
		if (old)
			*old = fault_next[sig];
		if (act)
			fault_next[sig] = *act;
		return 0;
	}
	if (sig <= 0 || sig >= NSIG || !act || act->sa_handler == SIG_IGN || act->sa_handler == SIG_DFL) {
		ret = REAL(sigaction)(sig, act, old ? &prev : NULL);
		if (ret == 0 && old)
			*old = (prev.sa_sigaction == sim_signal_trampoline) ? user_action[sig] : prev;
		return ret;
	}
	mine = *act;
	mine.sa_flags |= SA_SIGINFO;
	mine.sa_sigaction = sim_signal_trampoline;
	ret = REAL(sigaction)(sig, &mine, &prev);
	if (ret < 0)
		return ret;
	if (old)
		*old = (prev.sa_sigaction == sim_signal_trampoline) ? user_action[sig] : prev;
	user_action[sig] = *act;
	return 0;
}

sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

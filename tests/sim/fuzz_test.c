/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Garbage in, errors out: every mshv request number (both kernel
 * generations) and random ones, on /dev/mshv, partition, VP and device fds,
 * with random argument bytes, random pointers inside them and bad argument
 * pointers. The process must survive and each call must return 0 or -1 with
 * an errno the driver uses; MSHV_RUN_VP gets a SIGALRM kick, so a guest
 * running garbage cannot hang the test.
 *
 * A quarter of the calls are MSHV_ROOT_HVCALL with arguments the driver
 * passes on (a code of some release's allow-list, reserved fields zero,
 * sizes within a page, input and output in fenced buffers; inside the
 * input, VP indexes, register names and counts mostly small), so that
 * they reach the hypervisor's handlers in every kernel mode; the summary
 * lists, per code, the calls made and those the hypervisor answered (a
 * status came back, or success).
 *
 * fuzz_test [iterations [seed]] (default 20000). The seed is new each run
 * (clock and pid) and printed; MSHV_FUZZ_SEED=N (or the second argument)
 * makes the same calls again (what MSHV_RUN_VP answers depends on when the
 * 20 ms timer fires, so a count may differ by a call or two). Under tools/mshv-sim; 77 when there is no
 * /dev/mshv. Not for a real /dev/mshv: it would create and run random
 * guests there.
 *
 * The argument and guest memory buffers sit between inaccessible guard
 * pages. The driver reads an argument that runs off the end of its buffer
 * from the next page, and writes through the pointers it finds there (the
 * downstream MSHV_VP_TRANSLATE_GVA, for one, stores its result and GPA
 * through two): whatever the process had mapped next would be read as
 * arguments and written to, as the kernel would do it. Under ASan that was
 * the runtime's list of registered globals, and the GPA went into a global
 * descriptor of the simulator library, failing the check at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const unsigned long requests[] = {
	MSHV_CREATE_PARTITION, MSHV_INITIALIZE_PARTITION, MSHV_CREATE_VP, MSHV_SET_GUEST_MEMORY, MSHV_IRQFD,
	MSHV_IOEVENTFD, MSHV_SET_MSI_ROUTING, MSHV_GET_GPAP_ACCESS_BITMAP, MSHV_ROOT_HVCALL, MSHV_RUN_VP,
	MSHV_GET_VP_STATE, MSHV_SET_VP_STATE, MSHV_CREATE_DEVICE, MSHV_SET_DEVICE_ATTR_UPSTREAM,
	MSHV_HAS_DEVICE_ATTR_UPSTREAM, MSHV_GET_DEVICE_ATTR_LEGACY, MSHV_HAS_DEVICE_ATTR_LEGACY,
	MSHV_GET_HOST_PARTITION_PROPERTY, MSHV_MODIFY_GPA_HOST_ACCESS, MSHV_IMPORT_ISOLATED_PAGES,
	MSHV_INSTALL_INTERCEPT, MSHV_ASSERT_INTERRUPT, MSHV_SET_PARTITION_PROPERTY, MSHV_GET_PARTITION_PROPERTY,
	MSHV_COMPLETE_ISOLATED_IMPORT, MSHV_ISSUE_PSP_GUEST_REQUEST, MSHV_SEV_SNP_AP_CREATE,
	MSHV_SIGNAL_EVENT_DIRECT, MSHV_POST_MESSAGE_DIRECT, MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS,
	MSHV_GET_VP_REGISTERS_LEGACY, MSHV_SET_VP_REGISTERS_LEGACY, MSHV_VP_TRANSLATE_GVA, MSHV_VP_REGISTER_INTERCEPT_RESULT,
	MSHV_GET_VP_CPUID_VALUES, MSHV_READ_GPA, MSHV_WRITE_GPA,
};

/* Every code some release's driver passes through MSHV_ROOT_HVCALL (driver/hvcall.c's lists). */
static const uint16_t hvcall_codes[] = {
	HVCALL_GET_PARTITION_PROPERTY,      HVCALL_SET_PARTITION_PROPERTY,    HVCALL_INSTALL_INTERCEPT,
	HVCALL_GET_VP_REGISTERS,            HVCALL_SET_VP_REGISTERS,          HVCALL_TRANSLATE_VIRTUAL_ADDRESS,
	HVCALL_CLEAR_VIRTUAL_INTERRUPT,     HVCALL_REGISTER_INTERCEPT_RESULT, HVCALL_ASSERT_VIRTUAL_INTERRUPT,
	HVCALL_GET_GPA_PAGES_ACCESS_STATES, HVCALL_SIGNAL_EVENT_DIRECT,       HVCALL_POST_MESSAGE_DIRECT,
	HVCALL_GET_VP_CPUID_VALUES,         HVCALL_GET_PARTITION_PROPERTY_EX, HVCALL_READ_GPA,
	HVCALL_WRITE_GPA,                   HVCALL_IMPORT_ISOLATED_PAGES,     HVCALL_COMPLETE_ISOLATED_IMPORT,
	HVCALL_ISSUE_SNP_PSP_GUEST_REQUEST,
};
#define N_CODES (sizeof(hvcall_codes) / sizeof(hvcall_codes[0]))

/* Calls made per code, and answered by the hypervisor (status back, or success). */
static long hv_calls[N_CODES], hv_answered[N_CODES], hv_succeeded[N_CODES];

/* Register names of each class, for the input of the register calls. */
static const uint32_t reg_names[] = {
	HV_X64_REGISTER_RAX, HV_X64_REGISTER_RIP, HV_X64_REGISTER_RFLAGS, HV_X64_REGISTER_CR0,
	HV_X64_REGISTER_CR4, HV_X64_REGISTER_EFER, HV_X64_REGISTER_CS, HV_X64_REGISTER_GDTR,
	HV_X64_REGISTER_XMM0, HV_X64_REGISTER_FP_CONTROL_STATUS, HV_X64_REGISTER_XMM_CONTROL_STATUS,
	HV_X64_REGISTER_APIC_BASE, HV_REGISTER_EXPLICIT_SUSPEND, HV_REGISTER_INTERRUPT_STATE,
	HV_REGISTER_PENDING_INTERRUPTION, HV_X64_REGISTER_CR8, HV_X64_REGISTER_XFEM,
};

/*
 * MSHV_ROOT_HVCALL on fd with arguments the driver takes: a code from the
 * lists (one in 16 random), reps 0-3, input words mostly small (the
 * partition id the driver writes over; VP index 0 or 1, counts, register
 * names, GPAs in the guest's 64 KiB) and otherwise random. Returns what
 * ioctl does.
 */
static int fuzz_hvcall(int fd, uint64_t *in, uint64_t *out)
{
	struct mshv_root_hvcall hc;
	size_t k = next() % N_CODES;
	int ret;

	memset(&hc, 0, sizeof(hc));
	hc.code = next() % 16 ? hvcall_codes[k] : (uint16_t)next();
	hc.reps = (uint16_t)(next() % 4);
	hc.in_sz = (uint16_t)(8 + next() % 4089);
	if (next() % 4)
		hc.in_sz = (uint16_t)(8 * (2 + next() % 8));
	hc.in_ptr = (uintptr_t)in + 4096 - hc.in_sz;
	if (next() % 4) {
		hc.out_sz = (uint16_t)(1 + next() % 4096);
		hc.out_ptr = (uintptr_t)out + 4096 - hc.out_sz;
	}
	/* the words from the one holding the input's first byte (an odd size starts inside it) */
	uint64_t *w = in + (4096 - hc.in_sz) / 8;
	for (size_t j = 0; j < (size_t)(in + 512 - w); j++) {
		uint64_t v = next();
		switch (v % 8) {
		case 0: case 1: w[j] = (v >> 8) % 2; break;                              /* VP index, flag */
		case 2: w[j] = reg_names[(v >> 8) % (sizeof(reg_names) / sizeof(reg_names[0]))]; break;
		case 3: w[j] = (v >> 8) % 16; break;                                     /* a count, a type */
		case 4: w[j] = ((v >> 8) % 0x10000) & ~0xfffull; break;                  /* a GPA */
		case 5: w[j] = ((v >> 8) % 16) >> 4 ? 0 : (v >> 8) % 16; break;
		default: w[j] = next(); break;
		}
	}
	ret = ioctl(fd, MSHV_ROOT_HVCALL, &hc);
	if (hc.code == hvcall_codes[k]) {
		hv_calls[k]++;
		if (ret == 0 || hc.status)
			hv_answered[k]++;
		if (ret == 0)
			hv_succeeded[k]++;
	}
	return ret;
}

/* A seed for this run: MSHV_FUZZ_SEED, else the clock and pid (never 0). */
static uint64_t draw_seed(const char *arg)
{
	const char *e = getenv("MSHV_FUZZ_SEED");
	struct timespec ts;

	if (arg)
		e = arg;
	if (e && *e)
		return strtoull(e, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t z = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 40);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; /* splitmix64's finaliser */
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Every errno the driver model may answer with. */
static int expected_errno(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case ENOTTY: case EEXIST: case ENOENT: case EBADF: case EBUSY:
	case EIO: case ENOMEM: case ENODEV: case EOPNOTSUPP: case ENXIO: case EPERM: case E2BIG:
	case EINTR: case EAGAIN: case ENOSPC: case EMFILE: case EACCES:
	case EBADFD: case ENOTRECOVERABLE: /* the 6.6-era driver's status errnos (mshv.h) */
		return 1;
	default:
		return 0;
	}
}

/*
 * size bytes of read-write memory (flags: MAP_SHARED or MAP_PRIVATE) ending
 * at an inaccessible page, with another one before it; NULL on failure.
 */
static void *map_fenced(size_t size, int flags)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), inner = (size + psz - 1) / psz * psz;
	char *base = mmap(NULL, inner + 2 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	if (mmap(base + psz, inner, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return NULL;
	return base + psz + inner - size;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 20000, i, calls = 0, ok = 0, unexpected = 0;
	uint64_t seed = draw_seed(argc > 2 ? argv[2] : NULL);

	rng = seed | 1; /* xorshift64 must not start at 0 */
	printf("fuzz: seed 0x%016llx (again: MSHV_FUZZ_SEED=0x%016llx)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	fflush(stdout);
	uint8_t *scratch = map_fenced(1 << 16, MAP_SHARED);
	uint64_t *arg = map_fenced(8192, MAP_PRIVATE);
	uint64_t *hv_in = map_fenced(4096, MAP_PRIVATE), *hv_out = map_fenced(4096, MAP_PRIVATE);
	struct mshv_create_partition cp = { 0, 0 };
	struct mshv_create_vp cv = { 0 };
	struct mshv_user_mem_region r;
	struct sigaction sa;
	int fds[4];

	if (!scratch || !arg || !hv_in || !hv_out) {
		printf("FAIL: mmap: %s\n", strerror(errno));
		return 1;
	}
	fds[0] = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (fds[0] < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	fds[1] = ioctl(fds[0], MSHV_CREATE_PARTITION, &cp);
	ioctl(fds[1], MSHV_INITIALIZE_PARTITION);
	memset(&r, 0, sizeof(r));
	r.size = 1 << 16;
	r.userspace_addr = (uintptr_t)scratch;
	r.flags = 3;
	ioctl(fds[1], MSHV_SET_GUEST_MEMORY, &r);
	fds[2] = ioctl(fds[1], MSHV_CREATE_VP, &cv);
	{
		struct mshv_create_device cd = { MSHV_DEV_TYPE_VFIO, 0, 0 };

		fds[3] = ioctl(fds[1], MSHV_CREATE_DEVICE, &cd) == 0 ? (int)cd.fd : fds[1];
	}
	if (fds[1] < 0 || fds[2] < 0) {
		printf("FAIL: setup\n");
		return 1;
	}
	/* The guard page holds: an argument running into it is EFAULT, not bytes of some neighbour. */
	errno = 0;
	if (ioctl(fds[1], MSHV_SET_GUEST_MEMORY, (char *)arg + 8192 - 8) != -1 || errno != EFAULT) {
		printf("FAIL: an argument running off the end of its buffer: errno %d, expected EFAULT\n", errno);
		return 1;
	}

	for (i = 0; i < iterations; i++) {
		int fd = fds[next() % 4], ret, j;
		unsigned long req;
		void *p;

		if (next() % 4 == 0) {
			fd = fds[next() % 3];
			errno = 0;
			ret = fuzz_hvcall(fd, hv_in, hv_out);
			calls++;
			if (ret >= 0) {
				ok++;
			} else if (!expected_errno(errno)) {
				unexpected++;
				fprintf(stderr, "MSHV_ROOT_HVCALL on fd %d: errno %d (%s)\n", fd, errno, strerror(errno));
			}
			continue;
		}

		if (next() % 8 == 0)
			req = _IOC(next() % 4, MSHV_IOCTL, next() % 256, next() % 512);
		else
			req = requests[next() % (sizeof(requests) / sizeof(requests[0]))];
		for (j = 0; j < 1024; j++) {
			uint64_t v = next();

			switch (v % 8) {
			case 0: arg[j] = (uintptr_t)(scratch + (v >> 8) % 60000); break; /* a valid pointer */
			case 1: arg[j] = v >> 56; break;                               /* a small number */
			case 2: arg[j] = 0; break;
			default: arg[j] = next(); break;
			}
		}
		switch (next() % 16) {
		case 0: p = NULL; break;
		case 1: p = (void *)(uintptr_t)next(); break;
		case 2: p = (char *)arg + 8192 - 8; break; /* runs off the end into the guard page */
		default: p = arg; break;
		}
		if (req == MSHV_RUN_VP || req == MSHV_SET_GUEST_MEMORY) {
			struct itimerval t = { { 0, 0 }, { 0, 20000 } };

			setitimer(ITIMER_REAL, &t, NULL);
		}
		errno = 0;
		ret = ioctl(fd, req, p);
		calls++;
		if (ret >= 0) {
			ok++;
			if (ret > 2 && ret != fds[0] && ret != fds[1] && ret != fds[2] && ret != fds[3] &&
			    (req == MSHV_CREATE_PARTITION || req == MSHV_CREATE_VP))
				close(ret); /* keep the fd table small */
		} else if (!expected_errno(errno)) {
			unexpected++;
			fprintf(stderr, "request 0x%lx on fd %d: errno %d (%s)\n", req, fd, errno, strerror(errno));
		}
	}
	printf("fuzz: %ld calls, %ld succeeded, %ld failed with an expected errno, %ld unexpected\n", calls, ok,
	       calls - ok - unexpected, unexpected);
	long reached = 0;
	for (size_t k = 0; k < N_CODES; k++) {
		printf("fuzz: hvcall 0x%04x: %ld calls, %ld answered by the hypervisor, %ld succeeded\n", hvcall_codes[k],
		       hv_calls[k], hv_answered[k], hv_succeeded[k]);
		reached += hv_answered[k] != 0;
	}
	printf("fuzz: %ld of %zu hypercall codes reached the hypervisor (seed 0x%016llx)\n", reached, N_CODES,
	       (unsigned long long)seed);
	/* Every release passes at least 6.15's 13 codes on partition and VP fds (about 250 calls each here). */
	if (iterations >= 10000 && reached < 13) {
		printf("FAIL: only %ld hypercall codes reached the hypervisor, 13 expected\n", reached);
		return 1;
	}
	return unexpected ? 1 : 0;
}

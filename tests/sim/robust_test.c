/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * What a VMM's misuse and races must not do to mshv-sim (issue 15): each
 * test is the regression test of one fix, in every kernel mode.
 *
 * - hypercalls naming VP k through the partition fd while another thread
 *   creates and closes VP k (a use-after-free once);
 * - ioeventfd assign/deassign cycles leave no fd behind (the simulator's
 *   copy was kept until the partition closed);
 * - a region containing another: EEXIST from 6.19; accepted by 6.15 and
 *   the 6.6-era driver, after which the VP must still run (every
 *   MSHV_RUN_VP failed EINVAL); GFN 2^40, beyond the guest physical
 *   address width, refused;
 * - the simulator's limits (256 regions, irqfds, ioeventfds; 64 MSR-index
 *   intercepts, 64 CPUID results) each give their documented errno;
 * - register values and LAPIC/XSAVE blobs the hardware would refuse give
 *   HV_STATUS_INVALID_REGISTER_VALUE (EINVAL) and change nothing;
 * - an interrupt from CPL 3 through the busy TSS in TR (the process
 *   aborted), and a TR that is no present TSS refused.
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
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mshv.h"
#include "sim_env.h"
#include "../check.h"
#include "sim_util.h"
#include "raw_hvcall.h"

static int mshv_fd = -1;
static struct sim_config env;

static bool since(enum sim_kernel k)
{
	return env.kernel != SIM_KERNEL_6_6 && env.kernel >= k;
}

static int partition_new(void)
{
	int pt = partition_new_on(mshv_fd);

	CHECK(pt >= 0);
	return pt;
}

/* ---- VP lookup against a concurrent close ---------------------------------------- */

/* VP indices the race walks through (the kernel's MSHV_MAX_VPS is far more) */
#define SIM_MAX_VPS_TESTED 200

struct race {
	int pt;
	uint32_t index; /* __atomic: the VP the thread names */
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
		hdr.vp_index = __atomic_load_n(&r->index, __ATOMIC_ACQUIRE);
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
			sh.vp_index = hdr.vp_index;
			a.name = HV_X64_REGISTER_RIP;
			a.value.reg64 = 0x1000;
			memcpy(sin, &sh, sizeof(sh));
			memcpy(sin + sizeof(sh), &a, sizeof(a));
			hvcall(r->pt, HVCALL_SET_VP_REGISTERS, 1, sin, sizeof(sin), NULL, 0, NULL);
		}
		memset(&tr, 0, sizeof(tr));
		tr.vp_index = hdr.vp_index;
		hvcall(r->pt, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &tr, sizeof(tr), out, sizeof(out), NULL);
		r->calls++;
	}
	return NULL;
}

/*
 * A VP outlives its fd, as in the kernel (pt_vp_array keeps it until the
 * partition is destroyed): after the close, hypercalls naming it still
 * find it and MSHV_CREATE_VP of its index is EEXIST. Then hypercalls
 * naming VPs race with their fds' closes and with the partition's own
 * close (each VP index used once): before VP lookups held a reference
 * the close freed the VP under the lookup, SIGSEGV within 0.1 s.
 */
static void test_vp_lookup_vs_close(void)
{
	struct race r = { .index = 3 };
	pthread_t t;
	int cycles = 0;
	long found_before;
	double end;

	r.pt = partition_new();
	atomic_init(&r.stop, false);
	{
		struct mshv_create_vp args = { r.index };
		int vp = ioctl(r.pt, MSHV_CREATE_VP, &args);

		CHECK(vp >= 0);
		CHECK(close(vp) == 0);
		CHECK(ioctl(r.pt, MSHV_CREATE_VP, &args) == -1 && errno == EEXIST);
	}
	CHECK(pthread_create(&t, NULL, hvcall_loop, &r) == 0);
	end = now() + 0.5;
	while (now() < end && r.index < SIM_MAX_VPS_TESTED) {
		struct mshv_create_vp args = { r.index + 1 };
		int vp = ioctl(r.pt, MSHV_CREATE_VP, &args);

		if (vp < 0) {
			CHECK(vp >= 0);
			break;
		}
		/* the thread moves on to the new index while this one is closed */
		__atomic_store_n(&r.index, r.index + 1, __ATOMIC_RELEASE);
		close(vp);
		cycles++;
	}
	found_before = r.found;
	usleep(20000);
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	printf("vp lookup vs close: %d create/close cycles, %ld hypercall pairs, %ld found the VP\n", cycles, r.calls,
	       r.found);
	CHECK(cycles > 0 && r.calls > 0);
	CHECK(r.found > found_before); /* the last VP, its fd closed, is still there */
	close(r.pt);
}

/* ---- guest memory ---------------------------------------------------------------------- */

static int map_region(int pt, uint64_t gfn, void *mem, size_t size)
{
	struct mshv_user_mem_region r;

	memset(&r, 0, sizeof(r));
	r.guest_pfn = gfn;
	r.size = size;
	r.userspace_addr = (uintptr_t)mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	return ioctl(pt, MSHV_SET_GUEST_MEMORY, &r);
}

/* HVCALL_SET_VP_REGISTERS of one register; hc (may be NULL) gets the call back, status and all */
static int set_reg_vp_hc(int fd, uint32_t vp_index, uint32_t name, const union hv_register_value *val,
			 struct mshv_root_hvcall *hc)
{
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc a;
	uint8_t in[sizeof(hdr) + sizeof(a)];

	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = vp_index;
	memset(&a, 0, sizeof(a));
	a.name = name;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &a, sizeof(a));
	memcpy(in + sizeof(hdr) + offsetof(struct hv_register_assoc, value), val, sizeof(*val));
	return hvcall(fd, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0, hc);
}

static int set_reg_hc(int fd, uint32_t name, const union hv_register_value *val, struct mshv_root_hvcall *hc)
{
	return set_reg_vp_hc(fd, 0, name, val, hc);
}

static int set_reg(int fd, uint32_t name, const union hv_register_value *val)
{
	return set_reg_hc(fd, name, val, NULL);
}

/* VP 0 of pt runs "out 0x10, al; hlt" at GPA 0x1000 (mem: guest page 0 on): the port IO exit comes. */
static void check_vp_runs(int pt, uint8_t *mem)
{
	static const uint8_t code[] = { 0xe6, 0x10, 0xf4 };
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	int vp = ioctl(pt, MSHV_CREATE_VP, &va);

	CHECK(vp >= 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	memset(&v, 0, sizeof(v));
	v.segment.limit = 0xffff;
	v.segment.attributes = 0x9b;
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	memset(&v, 0, sizeof(v));
	v.reg64 = 0x1000;
	CHECK(set_reg(vp, HV_X64_REGISTER_RIP, &v) == 0);
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0);
	CHECK(msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	if (msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
		fprintf(stderr, "message 0x%x\n", msg.header.message_type);
	close(vp);
}

/*
 * A new region containing an existing one. 6.19 on compare the whole
 * range: EEXIST. 6.15 and the 6.6-era driver look at the first and last
 * page only and map it; the hypervisor's newer mapping replaces the older
 * one for the pages both cover. Before the fix both ranges went to the CPU
 * model, which refused the overlapping map at every run: EINVAL.
 */
static void test_region_containing(void)
{
	size_t size = 64 * 4096;
	uint8_t *outer = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *inner = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();

	CHECK(outer != MAP_FAILED && inner != MAP_FAILED);
	CHECK(map_region(pt, 0x10, inner, 4 * 4096) == 0);
	if (since(SIM_KERNEL_6_19)) {
		CHECK_ERRNO(map_region(pt, 0, outer, size), EEXIST);
		CHECK(map_region(pt, 0x20, outer, 16 * 4096) == 0);
		CHECK_ERRNO(map_region(pt, 0x1f, outer + 16 * 4096, 2 * 4096), EEXIST); /* the last page overlaps */
		CHECK(map_region(pt, 0, outer, 16 * 4096) == 0);
	} else {
		CHECK(map_region(pt, 0, outer, size) == 0);
	}
	check_vp_runs(pt, outer);
	close(pt);

	/*
	 * GFN 2^40: pages beyond the 48-bit guest physical address width. (A
	 * fresh buffer: the CPU model keeps the code page of outer read-only.)
	 */
	munmap(outer, size);
	outer = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(outer != MAP_FAILED);
	pt = partition_new();
	CHECK_ERRNO(map_region(pt, 1ull << 40, outer, 4096), EINVAL);
	CHECK_ERRNO(map_region(pt, (1ull << 36) - 1, outer, 2 * 4096), EINVAL); /* crosses the width */
	CHECK(map_region(pt, 0, outer, size) == 0);
	check_vp_runs(pt, outer);
	close(pt);
	munmap(outer, size);
	munmap(inner, 4 * 4096);
}

/* ---- the simulator's limits ------------------------------------------------------------ */

/* The errno of a full table of the hypervisor model (HV_STATUS_INSUFFICIENT_BUFFERS). */
static int full_errno(void)
{
	return env.kernel == SIM_KERNEL_6_6 ? ENOTRECOVERABLE : EIO;
}

static void test_limits(void)
{
	int pt = partition_new(), i, efds[257];
	uint8_t *mem = mmap(NULL, 257 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mshv_root_hvcall hc;

	CHECK(mem != MAP_FAILED);
	/* 256 regions; the 257th: ENOMEM. */
	for (i = 0; i < 256; i++)
		if (map_region(pt, (uint64_t)i * 2, mem + (size_t)i * 4096, 4096) != 0)
			break;
	CHECK(i == 256);
	CHECK_ERRNO(map_region(pt, 1000, mem + 256 * 4096, 4096), ENOMEM);

	/* 256 irqfds, 256 ioeventfds; the 257th of each: ENOSPC. */
	for (i = 0; i < 257; i++)
		efds[i] = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < 257; i++) {
		struct mshv_user_irqfd f;

		memset(&f, 0, sizeof(f));
		f.fd = efds[i];
		f.gsi = (uint32_t)i;
		if (i < 256)
			CHECK(ioctl(pt, MSHV_IRQFD, &f) == 0);
		else
			CHECK_ERRNO(ioctl(pt, MSHV_IRQFD, &f), ENOSPC);
	}
	for (i = 0; i < 257; i++) {
		struct mshv_user_ioeventfd io;

		memset(&io, 0, sizeof(io));
		io.fd = efds[i];
		io.addr = 0x100000000ull + (uint64_t)i * 8;
		io.len = 4;
		if (i < 256)
			CHECK(ioctl(pt, MSHV_IOEVENTFD, &io) == 0);
		else
			CHECK_ERRNO(ioctl(pt, MSHV_IOEVENTFD, &io), ENOSPC);
	}
	for (i = 0; i < 257; i++)
		close(efds[i]);

	/* 64 MSR-index intercepts, 64 CPUID results: then HV_STATUS_INSUFFICIENT_BUFFERS. */
	for (i = 0; i < 65; i++) {
		struct hv_input_install_intercept in;

		memset(&in, 0, sizeof(in));
		in.access_type = HV_INTERCEPT_ACCESS_MASK_READ;
		in.intercept_type = HV_INTERCEPT_TYPE_X64_MSR_INDEX;
		in.intercept_parameter.msr_index = 0x40001000u + (uint32_t)i;
		if (i < 64) {
			CHECK(hvcall(pt, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0, &hc) == 0);
		} else {
			CHECK_ERRNO(hvcall(pt, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0, &hc), full_errno());
			CHECK(hc.status == HV_STATUS_INSUFFICIENT_BUFFERS);
		}
	}
	{
		struct mshv_create_vp va = { 0 };
		int vp = ioctl(pt, MSHV_CREATE_VP, &va);

		CHECK(vp >= 0);
		for (i = 0; i < 65; i++) {
			struct hv_input_register_intercept_result in;

			memset(&in, 0, sizeof(in));
			in.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
			in.parameters.cpuid.input.eax = 0x40000100u + (uint32_t)i;
			if (i < 64) {
				CHECK(hvcall(pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0, &hc) == 0);
			} else {
				CHECK_ERRNO(hvcall(pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in, sizeof(in), NULL, 0, &hc),
					    full_errno());
				CHECK(hc.status == HV_STATUS_INSUFFICIENT_BUFFERS);
			}
		}
		close(vp);
	}
	close(pt);
	munmap(mem, 257 * 4096);
}

/* ---- irqfds whose eventfd the VMM closes ----------------------------------------------- */

/* The fd count once it is `want`, or after a second of waiting for it. */
static int settled_fd_count(int want)
{
	int n = fd_count();

	for (int i = 0; i < 100 && n != want; i++, n = fd_count())
		usleep(10000);
	return n;
}

static int irqfd_assign(int pt, int fd, uint32_t gsi)
{
	struct mshv_user_irqfd a;

	memset(&a, 0, sizeof(a));
	a.fd = fd;
	a.gsi = gsi;
	return ioctl(pt, MSHV_IRQFD, &a) == 0 ? 0 : -errno;
}

/*
 * Closing an irqfd's eventfd (its last fd) releases the file, and the
 * kernel's irqfd detaches itself on the EPOLLHUP: no deassign needed.
 * Before the fix the irqfd stayed registered with the simulator's dup
 * open: one fd more per cycle, and ENOSPC after 256. An fd still open
 * elsewhere (a dup) keeps the file, and the irqfd, alive.
 */
static void test_irqfd_eventfd_close(void)
{
	int pt = partition_new(), before, after, i, efd, d, err = 0;

	efd = eventfd(0, EFD_CLOEXEC); /* the first irqfd starts the partition's irqfd thread (one fd) */
	CHECK(irqfd_assign(pt, efd, 5) == 0);
	close(efd);
	usleep(50000); /* the irqfd thread closes detached irqfds' fds when it next wakes */
	before = fd_count();
	for (i = 0; i < 1000 && !err; i++) {
		efd = eventfd(0, EFD_CLOEXEC);
		err = irqfd_assign(pt, efd, 5);
		close(efd);
	}
	after = settled_fd_count(before);
	printf("irqfd: %d cycles of eventfd + irqfd + close, fds %d -> %d, last error %d\n", i, before, after, err);
	CHECK(err == 0 && i == 1000);
	CHECK(after == before);

	/* a dup keeps it: the same file cannot be bound again (EBUSY) until its last fd closes */
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(irqfd_assign(pt, efd, 6) == 0);
	d = dup(efd);
	close(efd);
	CHECK(irqfd_assign(pt, d, 7) == -EBUSY);
	efd = dup2(d, 100) == 100 ? 100 : -1; /* dup2 onto a free fd closes nothing */
	close(d);
	CHECK(efd == 100 && irqfd_assign(pt, efd, 8) == -EBUSY);
	close(efd);
	CHECK(settled_fd_count(before) == before);
	close(pt);
}

/* ---- fork() ---------------------------------------------------------------------------- */

/*
 * The kernel shares partitions and VPs between parent and child; the
 * simulator cannot (its objects are process memory) and refuses the
 * child's inherited fds (EOPNOTSUPP) instead of handing it copies. What
 * holds: the child cannot reach the parent's objects through them (no VP
 * created twice, nothing run twice), may close and dup them, and may open
 * /dev/mshv anew; the parent goes on as before. Before: the child created
 * VP 1 and ran VP 0 in its own copies.
 */
static uint64_t get_reg64(int fd, uint32_t name);

static void test_fork(void)
{
	int pt = partition_new(), status = -1, bad = 0;
	struct mshv_create_vp a0 = { 0 }, a1 = { 1 };
	int vp = ioctl(pt, MSHV_CREATE_VP, &a0);
	pid_t pid;

	CHECK(vp >= 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct hv_message msg;
		int d, mshv, pt2, vp2;

		bad |= !(ioctl(vp, MSHV_RUN_VP, &msg) == -1 && errno == EOPNOTSUPP) << 0;
		bad |= !(ioctl(pt, MSHV_CREATE_VP, &a1) == -1 && errno == EOPNOTSUPP) << 1;
		bad |= !(mmap(NULL, 4096, PROT_READ, MAP_SHARED, vp, 0) == MAP_FAILED && errno == EOPNOTSUPP) << 2;
		d = dup(pt);
		bad |= !(d >= 0 && ioctl(d, MSHV_CREATE_VP, &a1) == -1 && errno == EOPNOTSUPP) << 3;
		bad |= !(close(d) == 0 && close(vp) == 0) << 4;
		mshv = open("/dev/mshv", O_RDWR | O_CLOEXEC);
		pt2 = partition_new_on(mshv);
		vp2 = ioctl(pt2, MSHV_CREATE_VP, &a1);
		bad |= !(mshv >= 0 && pt2 >= 0 && vp2 >= 0) << 5;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("fork: the child's checks failed: status 0x%x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the parent's objects as they were: VP 1 was never created, VP 0 still answers */
	{
		int vp1 = ioctl(pt, MSHV_CREATE_VP, &a1);

		CHECK(vp1 >= 0);
		CHECK(get_reg64(vp, HV_X64_REGISTER_RIP) == 0xfff0);
		close(vp1);
	}
	close(vp);
	close(pt);
}

/* ---- the kernel writing into memory that held guest code -------------------------------- */

/*
 * The simulator write-protects host pages a VP translated code from (to
 * see the VMM's writes); the kernel writing there for the process takes
 * no fault and failed with EFAULT: read(2) into guest memory that held
 * code, and MSHV_SET_GUEST_MEMORY of such memory. Both work now, and the
 * VP runs what read(2) put there.
 */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen); /* glibc's _FORTIFY_SOURCE read */

static void test_kernel_writes_code_pages(void)
{
	int pt = partition_new(), fds[2], vp, n;
	struct mshv_create_vp va = { 0 };
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io = (const void *)msg.u.payload;
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static const uint8_t first[] = { 0xe6, 0x42, 0xf4 }, second[] = { 0xe6, 0x43, 0xf4 }; /* out $0x4x; hlt */

	CHECK(mem != MAP_FAILED && pipe(fds) == 0);
	memcpy(mem + 0xfff0, first, sizeof(first)); /* the reset vector, 0xfffffff0, in a region at 0xffff0000 */
	CHECK(map_region(pt, 0xffff0, mem, 0x10000) == 0);
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT &&
	      io->port_number == 0x42);
	/* the OUT is not completed: the VP runs it again, whatever is there by then */
	CHECK(write(fds[1], second, sizeof(second)) == (ssize_t)sizeof(second));
	n = (int)read(fds[0], mem + 0xfff0, sizeof(second));
	if (n < 0)
		printf("read(2) into a code page: %s\n", strerror(errno));
	CHECK(n == (int)sizeof(second));
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT &&
	      io->port_number == 0x43);
	/* the other ways a VMM reads into its memory, each after the VP ran the code there again */
	for (int way = 0; way < 6; way++) {
		static const char *const names[] = { "fread (unbuffered)", "preadv", "recv", "recvmsg",
						     "__read_chk", "read with a count of 2^30" };
		uint8_t next[] = { 0xe6, (uint8_t)(0x44 + way), 0xf4 };
		struct iovec iov = { mem + 0xfff0, sizeof(next) };
		struct msghdr mh;
		int sv[2];
		ssize_t got = -1;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (way <= 1) {
			FILE *f = tmpfile();

			CHECK(f && setvbuf(f, NULL, _IONBF, 0) == 0 && fwrite(next, 1, sizeof(next), f) == sizeof(next));
			rewind(f);
			got = way == 0 ? (ssize_t)fread(mem + 0xfff0, 1, sizeof(next), f) : preadv(fileno(f), &iov, 1, 0);
			fclose(f);
		} else if (way == 2 || way == 3) {
			CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && write(sv[1], next, sizeof(next)) == 3);
			got = way == 2 ? recv(sv[0], mem + 0xfff0, sizeof(next), 0) : recvmsg(sv[0], &mh, 0);
			close(sv[0]);
			close(sv[1]);
		} else {
			CHECK(write(fds[1], next, sizeof(next)) == (ssize_t)sizeof(next));
			if (way == 4)
				got = __read_chk(fds[0], mem + 0xfff0, sizeof(next), 16);
			else
				got = read(fds[0], mem + 0xfff0, (size_t)1 << 30); /* the pipe holds 3 bytes */
		}
		if (got != (ssize_t)sizeof(next))
			printf("%s into a code page: %zd (%s)\n", names[way], got, strerror(errno));
		CHECK(got == (ssize_t)sizeof(next));
		CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT &&
		      io->port_number == 0x44 + way);
	}
	/*
	 * The same memory mapped again, writable, at another guest address:
	 * 6.19 on take it (user addresses may overlap), 6.15 and 6.6 refuse
	 * the overlap (EEXIST); never EFAULT.
	 */
	if (map_region(pt, 0x200, mem, 0x10000) != 0) {
		printf("MSHV_SET_GUEST_MEMORY of a code page: %s\n", strerror(errno));
		CHECK(errno == EEXIST);
	}
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 || errno == EINTR);
	close(fds[0]);
	close(fds[1]);
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
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

/* ---- register values the hardware refuses -------------------------------------- */

/* HVCALL_SET_VP_REGISTERS of one value: its HV status (the ioctl's status field) */
static uint16_t set_reg_status(int fd, uint32_t name, const union hv_register_value *val)
{
	struct mshv_root_hvcall hc;

	if (set_reg_hc(fd, name, val, &hc) == 0)
		return HV_STATUS_SUCCESS;
	return hc.status;
}

static uint64_t get_reg64(int fd, uint32_t name)
{
	uint8_t in[sizeof(struct hv_input_get_vp_registers) + sizeof(uint32_t)];
	union hv_register_value out;
	struct hv_input_get_vp_registers hdr;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &name, sizeof(name));
	memset(&out, 0, sizeof(out));
	CHECK(hvcall(fd, HVCALL_GET_VP_REGISTERS, 1, in, sizeof(in), &out, sizeof(out), NULL) == 0);
	return out.reg64;
}

static int vp_state_ioctl(int vp, unsigned long req, uint8_t type, void *buf)
{
	struct mshv_get_set_vp_state st;

	memset(&st, 0, sizeof(st));
	st.type = type;
	st.buf_sz = 4096;
	st.buf_ptr = (uintptr_t)buf;
	return ioctl(vp, req, &st) == 0 ? 0 : -errno;
}

struct blob_patch {
	uint8_t type;
	uint16_t off;
	uint8_t len;
	uint8_t bytes[4];
};

/*
 * The VP's blob of type set back (accepted), all 0xa5 and with each of the
 * patches of that type in turn (refused: EINVAL); at the end it is as it was.
 */
static void check_blobs_refused(int vp, uint8_t type, const void *patches, size_t n)
{
	static uint8_t buf[4096] __attribute__((aligned(4096))), orig[4096] __attribute__((aligned(4096)));
	const struct blob_patch *p = patches;

	CHECK(vp_state_ioctl(vp, MSHV_GET_VP_STATE, type, orig) == 0);
	memcpy(buf, orig, sizeof(buf));
	CHECK(vp_state_ioctl(vp, MSHV_SET_VP_STATE, type, buf) == 0);
	memset(buf, 0xa5, sizeof(buf));
	CHECK(vp_state_ioctl(vp, MSHV_SET_VP_STATE, type, buf) == -EINVAL);
	for (size_t i = 0; i < n; i++) {
		if (p[i].type != type)
			continue;
		memcpy(buf, orig, sizeof(buf));
		memcpy(buf + p[i].off, p[i].bytes, p[i].len);
		CHECK(vp_state_ioctl(vp, MSHV_SET_VP_STATE, type, buf) == -EINVAL);
	}
	CHECK(vp_state_ioctl(vp, MSHV_GET_VP_STATE, type, buf) == 0);
	CHECK(memcmp(buf, orig, sizeof(buf)) == 0);
}

/*
 * CR0, CR4 and EFER = ~0, CR0 with PG but not PE or NW but not CD, MXCSR
 * with reserved bits: HV_STATUS_INVALID_REGISTER_VALUE, nothing changed.
 * The values a VMM sets to enter long mode are accepted one by one in any
 * order (each is judged alone). LAPIC and XSAVE blobs with values the
 * registers cannot hold: EINVAL, state unchanged (not in the 6.6-era
 * mode, whose state ioctls have other numbers).
 */
static void test_invalid_register_values(void)
{
	static const struct { uint32_t name; uint64_t val; } bad[] = {
		{ HV_X64_REGISTER_CR0, ~0ull },
		{ HV_X64_REGISTER_CR0, 1ull << 32 | 0x11 },
		{ HV_X64_REGISTER_CR0, 0x80000010 },  /* PG without PE */
		{ HV_X64_REGISTER_CR0, 0x20000011 },  /* NW without CD */
		{ HV_X64_REGISTER_CR4, ~0ull },
		{ HV_X64_REGISTER_CR4, 1ull << 63 },
		{ HV_X64_REGISTER_CR4, 1ull << 15 },
		{ HV_X64_REGISTER_EFER, ~0ull },
		{ HV_X64_REGISTER_EFER, 1ull << 2 },
	};
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	int vp = ioctl(pt, MSHV_CREATE_VP, &va);

	CHECK(vp >= 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = get_reg64(vp, bad[i].name);
		memset(&v, 0, sizeof(v));
		v.reg64 = bad[i].val;
		uint16_t st = set_reg_status(vp, bad[i].name, &v);
		CHECK(st == HV_STATUS_INVALID_REGISTER_VALUE);
		if (st != HV_STATUS_INVALID_REGISTER_VALUE)
			fprintf(stderr, "register 0x%x = 0x%llx: status 0x%x\n", bad[i].name,
				(unsigned long long)bad[i].val, st);
		CHECK(get_reg64(vp, bad[i].name) == before);
	}
	memset(&v, 0, sizeof(v));
	v.xmm_control_status.xmm_status_control = 0x11f80;
	CHECK(set_reg_status(vp, HV_X64_REGISTER_XMM_CONTROL_STATUS, &v) == HV_STATUS_INVALID_REGISTER_VALUE);
	/* long mode, EFER first with CR0.PG and CR4.PAE still clear, then CR0 before CR4 */
	static const struct { uint32_t name; uint64_t val; } entry[] = {
		{ HV_X64_REGISTER_EFER, 0xd01 }, { HV_X64_REGISTER_CR0, 0x80000011 }, { HV_X64_REGISTER_CR4, 0x20 },
	};
	for (size_t i = 0; i < sizeof(entry) / sizeof(entry[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.reg64 = entry[i].val;
		CHECK(set_reg_status(vp, entry[i].name, &v) == HV_STATUS_SUCCESS);
		CHECK(get_reg64(vp, entry[i].name) == entry[i].val);
	}

	if (since(SIM_KERNEL_6_15)) {
		static const struct blob_patch bad_blobs[] = {
			{ MSHV_VP_STATE_LAPIC, offsetof(struct hv_local_interrupt_controller_state, apic_spurious) + 2,
			  1, { 0x10 } },                                     /* SVR bit 20 */
			{ MSHV_VP_STATE_LAPIC, offsetof(struct hv_local_interrupt_controller_state, apic_irr), 1,
			  { 1 } },                                           /* IRR vector 0 */
			{ MSHV_VP_STATE_XSAVE, 26, 2, { 0xff, 0xff } },      /* MXCSR bits 31:16 */
			{ MSHV_VP_STATE_XSAVE, 527, 1, { 0 } },              /* XCOMP_BV without bit 63 */
			{ MSHV_VP_STATE_XSAVE, 540, 1, { 1 } },              /* header reserved bytes */
		};
		for (uint8_t type = MSHV_VP_STATE_LAPIC; type <= MSHV_VP_STATE_XSAVE; type++)
			check_blobs_refused(vp, type, bad_blobs, sizeof(bad_blobs) / sizeof(bad_blobs[0]));
	}
	close(vp);
	close(pt);
}

/* ---- TR: a busy TSS, as the processor holds it ------------------------------------ */

static void seg32(union hv_register_value *v, uint16_t sel, uint16_t attr)
{
	memset(v, 0, sizeof(*v));
	v->segment.selector = sel;
	v->segment.limit = 0xffffffff;
	v->segment.attributes = attr;
}

/*
 * A 32-bit guest at CPL 3 takes INT 0x80 through a ring-0 gate: the stack
 * switch reads SS0:ESP0 from the TSS that TR names, whose type is 11 (busy;
 * the reset value, and what a VMM sets). QEMU's delivery took the busy type
 * for an invalid TSS and aborted the process (found by sim_guest_fuzz).
 * A TR that is not a present TSS is refused and leaves TR as it was.
 */
static void test_tr_busy_tss(void)
{
	static const uint64_t gdt[] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x00cffb000000ffffull,
					0x00cff3000000ffffull };
	static const struct { uint32_t name; uint64_t val; } regs[] = {
		{ HV_X64_REGISTER_CR0, 0x11 }, { HV_X64_REGISTER_RIP, 0x1000 }, { HV_X64_REGISTER_RSP, 0x8000 },
		{ HV_X64_REGISTER_RFLAGS, 0x2 },
	};
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	uint64_t gate = 0x2000 | 0x08ull << 16 | 0xeeull << 40; /* 32-bit interrupt gate, DPL 3 */
	uint32_t esp0 = 0x7000, ss0 = 0x10;
	int vp;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	/* the reset TR reads as a busy 32-bit TSS */
	memset(&v, 0, sizeof(v));
	CHECK(get_reg64(vp, HV_X64_REGISTER_TR) == 0);
	{
		uint8_t in[sizeof(struct hv_input_get_vp_registers) + sizeof(uint32_t)];
		struct hv_input_get_vp_registers hdr;
		uint32_t name = HV_X64_REGISTER_TR;

		memset(&hdr, 0, sizeof(hdr));
		memcpy(in, &hdr, sizeof(hdr));
		memcpy(in + sizeof(hdr), &name, sizeof(name));
		CHECK(hvcall(vp, HVCALL_GET_VP_REGISTERS, 1, in, sizeof(in), &v, sizeof(v), NULL) == 0);
		CHECK(v.segment.attributes == 0x8b);
	}
	memcpy(mem + 0x500, gdt, sizeof(gdt));
	memcpy(mem + 0x604, &esp0, 4);
	memcpy(mem + 0x608, &ss0, 4);
	memcpy(mem + 0x700 + 0x80 * 8, &gate, 8);
	memcpy(mem + 0x1000, (const uint8_t[]){ 0xcd, 0x80 }, 2);          /* int $0x80 */
	memcpy(mem + 0x2000, (const uint8_t[]){ 0xe6, 0x10, 0xf4 }, 3);    /* out %al, $0x10; hlt */
	memset(&v, 0, sizeof(v));
	v.table.base = 0x500;
	v.table.limit = sizeof(gdt) - 1;
	CHECK(set_reg(vp, HV_X64_REGISTER_GDTR, &v) == 0);
	v.table.base = 0x700;
	v.table.limit = 0x7ff;
	CHECK(set_reg(vp, HV_X64_REGISTER_IDTR, &v) == 0);
	seg32(&v, 0x1b, 0xc0fb);
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	seg32(&v, 0x23, 0xc0f3);
	CHECK(set_reg(vp, HV_X64_REGISTER_SS, &v) == 0);
	CHECK(set_reg(vp, HV_X64_REGISTER_DS, &v) == 0);
	/* not a present TSS: refused, TR unchanged */
	memset(&v, 0, sizeof(v));
	v.segment.selector = 0x28;
	v.segment.base = 0x600;
	v.segment.limit = 0x67;
	v.segment.attributes = 0x0b;
	CHECK(set_reg_status(vp, HV_X64_REGISTER_TR, &v) == HV_STATUS_INVALID_REGISTER_VALUE);
	v.segment.attributes = 0x82;
	CHECK(set_reg_status(vp, HV_X64_REGISTER_TR, &v) == HV_STATUS_INVALID_REGISTER_VALUE);
	v.segment.attributes = 0x9b;
	CHECK(set_reg_status(vp, HV_X64_REGISTER_TR, &v) == HV_STATUS_INVALID_REGISTER_VALUE);
	CHECK(get_reg64(vp, HV_X64_REGISTER_TR) == 0); /* still the reset TR (base 0) */
	v.segment.attributes = 0x8b;
	CHECK(set_reg(vp, HV_X64_REGISTER_TR, &v) == 0);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.reg64 = regs[i].val;
		CHECK(set_reg(vp, regs[i].name, &v) == 0);
	}
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0);
	CHECK(msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	if (msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT) {
		struct hv_x64_io_port_intercept_message io;

		memcpy(&io, msg.u.payload, sizeof(io));
		CHECK(io.header.rip == 0x2000 && io.port_number == 0x10);
		CHECK(io.header.execution_state.cpl == 0);
	}
	/* the ring-0 stack from the TSS: SS, ESP, EFLAGS, CS, EIP of the user code */
	CHECK(get_reg64(vp, HV_X64_REGISTER_RSP) == esp0 - 20);
	{
		uint32_t frame[5];

		memcpy(frame, mem + esp0 - 20, sizeof(frame));
		CHECK(frame[0] == 0x1002 && frame[1] == 0x1b && frame[3] == 0x8000 && frame[4] == 0x23);
	}
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
}

/* ---- guest code pages written by two VPs at once --------------------------------- */

struct smc_vp {
	int vp;
	uint32_t index;
	atomic_bool *stop;
	long exits;
	int error;
};

static void *smc_loop(void *p)
{
	struct smc_vp *s = p;
	struct hv_message msg;

	while (!atomic_load(s->stop)) {
		union hv_register_value v;

		if (ioctl(s->vp, MSHV_RUN_VP, &msg) != 0) {
			if (errno == EINTR)
				continue;
			s->error = errno;
			break;
		}
		if (msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT) {
			fprintf(stderr, "code page race: VP %u: message 0x%x\n", s->index, msg.header.message_type);
			s->error = -1;
			break;
		}
		memset(&v, 0, sizeof(v));
		v.reg64 = ((struct hv_x64_io_port_intercept_message *)(void *)msg.u.payload)->header.rip + 2;
		set_reg_vp_hc(s->vp, s->index, HV_X64_REGISTER_RIP, &v, NULL);
		s->exits++;
	}
	return NULL;
}

/*
 * Two real-mode VPs run code from one page and store into that page, with
 * a port exit after each store: each run retranslates the page, which makes
 * its host page read-only again, and the stores of both VPs fault on it at
 * the same time. The fault handler lost the race: the second fault found
 * the page no longer listed (the first had made it writable) and took the
 * process down with SIGSEGV, or a fault came between the page turning
 * read-only and its being listed (found by sim_guest_fuzz).
 */
static void test_code_page_concurrent_faults(void)
{
	/* 0x1000 + 0x10 * i: mov %ax, 0x1800(%bx); out %al, $0x10; jmp back */
	static const uint8_t loop[] = { 0x89, 0x87, 0x00, 0x18, 0xe6, 0x10, 0xeb, 0xf8 };
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct smc_vp vps[2];
	pthread_t t[2];
	atomic_bool stop;
	double end;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	atomic_init(&stop, false);
	for (int i = 0; i < 2; i++) {
		struct mshv_create_vp va = { (uint32_t)i };
		union hv_register_value v;

		memcpy(mem + 0x1000 + 0x10 * i, loop, sizeof(loop));
		vps[i] = (struct smc_vp){ ioctl(pt, MSHV_CREATE_VP, &va), (uint32_t)i, &stop, 0, 0 };
		CHECK(vps[i].vp >= 0);
		memset(&v, 0, sizeof(v));
		v.segment.limit = 0xffff;
		v.segment.attributes = 0x9b;
		CHECK(set_reg_vp_hc(vps[i].vp, (uint32_t)i, HV_X64_REGISTER_CS, &v, NULL) == 0);
		memset(&v, 0, sizeof(v));
		v.reg64 = 0x1000 + 0x10 * (uint64_t)i;
		CHECK(set_reg_vp_hc(vps[i].vp, (uint32_t)i, HV_X64_REGISTER_RIP, &v, NULL) == 0);
		v.reg64 = 0x10 * (uint64_t)i;
		CHECK(set_reg_vp_hc(vps[i].vp, (uint32_t)i, HV_X64_REGISTER_RBX, &v, NULL) == 0);
		v.reg64 = 0; /* an AP waits for INIT-SIPI: this VMM starts it itself */
		CHECK(set_reg_vp_hc(vps[i].vp, (uint32_t)i, HV_REGISTER_INTERNAL_ACTIVITY_STATE, &v, NULL) == 0);
	}
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, smc_loop, &vps[i]) == 0);
	/* 1 s, or up to 5 s until each VP has made 200 exits (the sanitizer build is slow) */
	end = now() + 5.0;
	while (now() < end && (now() < end - 4.0 || vps[0].exits < 200 || vps[1].exits < 200))
		usleep(10000);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK(vps[i].error == 0 && vps[i].exits > 20);
		close(vps[i].vp);
	}
	printf("code page written by 2 VPs: %ld and %ld exits (errors %d, %d)\n", vps[0].exits, vps[1].exits,
	       vps[0].error, vps[1].error);
	close(pt);
	munmap(mem, 0x10000);
}

/*
 * A guest that writes its own code page over and over without an exit:
 * unicorn's self-modifying-code tracking gives the page a bitmap, which
 * its uc_close does not free. Closing the VP leaked it (LeakSanitizer, in
 * the sanitizer build; found by sim_guest_fuzz); now the CPU model drops its
 * translations first.
 */
static void test_smc_bitmap_freed(void)
{
	/* call 0x2000 (a RET: code on that page); mov $200, %cx; 1: mov %ax, 0x2800; loop 1b; out %al, $0x10 */
	static const uint8_t code[] = { 0xe8, 0xfd, 0x0f, 0xb9, 0xc8, 0x00, 0xa3, 0x00, 0x28, 0xe2, 0xfb, 0xe6, 0x10 };
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	int vp;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	mem[0x2000] = 0xc3;
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	memset(&v, 0, sizeof(v));
	v.segment.limit = 0xffff;
	v.segment.attributes = 0x9b;
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	memset(&v, 0, sizeof(v));
	v.reg64 = 0x1000;
	CHECK(set_reg(vp, HV_X64_REGISTER_RIP, &v) == 0);
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	CHECK(get_reg64(vp, HV_X64_REGISTER_RCX) == 0);
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
}

/*
 * Real mode: a store rewrites the instruction right after it, in the same
 * translation block, into 66 FF EE: JMP FAR with a register operand (#UD).
 * QEMU retranslates from the store and its code generator gave up ("tcg
 * fatal error": the process aborted; found by sim_guest_fuzz). The #UD
 * must go to the guest's vector 6, whose handler does an OUT.
 */
static void test_smc_into_jmp_far_reg(void)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0xff, 0xee, 0x7c, 0x22, /* mov $0x227ceeff, %eax */
		0x66, 0xbb, 0x10, 0x10, 0x00, 0x00, /* mov $0x1010, %ebx */
		0x67, 0x89, 0x03,                   /* 0x100c: mov %ax, (%ebx) */
		0x66, 0x90, 0x90, 0x90, 0x90,       /* 0x100f: becomes 66 ff ee 90 90 */
		0xf4,
	};
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	uint32_t ivt6 = 0x2000; /* 0000:2000 */
	int vp;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	memcpy(mem + 6 * 4, &ivt6, 4);
	memcpy(mem + 0x2000, (const uint8_t[]){ 0xe6, 0x10, 0xf4 }, 3);
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	memset(&v, 0, sizeof(v));
	v.segment.limit = 0xffff;
	v.segment.attributes = 0x9b;
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	memset(&v, 0, sizeof(v));
	v.reg64 = 0x1000;
	CHECK(set_reg(vp, HV_X64_REGISTER_RIP, &v) == 0);
	v.reg64 = 0x8000;
	CHECK(set_reg(vp, HV_X64_REGISTER_RSP, &v) == 0);
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	CHECK(((struct hv_x64_io_port_intercept_message *)(void *)msg.u.payload)->header.rip == 0x2000);
	CHECK(memcmp(mem + 0x100f, (const uint8_t[]){ 0x66, 0xff, 0xee, 0x90, 0x90 }, 5) == 0);
	{
		uint16_t ip;

		memcpy(&ip, mem + 0x8000 - 6, 2);
		CHECK(ip == 0x100f); /* the #UD's IP: the rewritten instruction */
	}
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
}

/*
 * A guest clears CR0.PE while its CS is a 32-bit segment: real mode that
 * still runs 32-bit code. A far CALL there to an offset with bit 31 set left
 * EIP sign-extended in QEMU (its real-mode CALL helper keeps the offset in
 * an int), so RIP read back with bits 63:32 set, outside 64-bit mode (found
 * by sim_guest_fuzz). The exit, at the unmapped target, must report
 * RIP 0x80000010.
 */
static void test_real_mode_lcall_eip(void)
{
	static const uint8_t code[] = {
		0xb8, 0x10, 0x00, 0x00, 0x00,             /* mov $0x10, %eax */
		0x0f, 0x22, 0xc0,                         /* mov %eax, %cr0: PE off */
		0x9a, 0x10, 0x00, 0x00, 0x80, 0x00, 0x00, /* lcall $0, $0x80000010 */
	};
	static const struct { uint32_t name; uint64_t val; } regs[] = {
		{ HV_X64_REGISTER_CR0, 0x11 }, { HV_X64_REGISTER_RIP, 0x1000 }, { HV_X64_REGISTER_RSP, 0x8000 },
	};
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	int vp;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	seg32(&v, 0x08, 0xc09b);
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	seg32(&v, 0x10, 0xc093);
	CHECK(set_reg(vp, HV_X64_REGISTER_SS, &v) == 0);
	CHECK(set_reg(vp, HV_X64_REGISTER_DS, &v) == 0);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.reg64 = regs[i].val;
		CHECK(set_reg(vp, regs[i].name, &v) == 0);
	}
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_UNMAPPED_GPA);
	{
		struct hv_x64_memory_intercept_message m;

		memcpy(&m, msg.u.payload, sizeof(m));
		CHECK(m.header.rip == 0x80000010);
		CHECK(m.guest_physical_address == 0x80000010);
		CHECK(m.guest_virtual_address == 0x80000010);
		if (m.header.rip != 0x80000010)
			fprintf(stderr, "lcall in real mode: RIP 0x%llx\n", (unsigned long long)m.header.rip);
	}
	CHECK(get_reg64(vp, HV_X64_REGISTER_RIP) == 0x80000010);
	{
		uint32_t ret[2];

		memcpy(ret, mem + 0x8000 - 8, sizeof(ret));
		CHECK(ret[0] == 0x100f && ret[1] == 0x08); /* EIP after the call, the old CS */
	}
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
}

/*
 * 32-bit code: a Jcc rel32 (or JMP rel8, LOOP) whose target wraps below 0
 * goes to EIP modulo 2^32. QEMU 5.0 adds the sign-extended displacement to
 * EIP in 64 bits and masks the result only for JMP/CALL rel32, so RIP came
 * back as 0xfffffffffffff000 (found by sim_guest_fuzz).
 */
static void test_jcc_eip_wraps(void)
{
	static const uint8_t code[] = {
		0x31, 0xc0,                         /* xor %eax, %eax: ZF */
		0x0f, 0x84, 0xf8, 0xdf, 0xff, 0xff, /* jz .-0x2000 (from 0x1008: 0xfffff000) */
	};
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pt = partition_new();
	struct mshv_create_vp va = { 0 };
	union hv_register_value v;
	struct hv_message msg;
	int vp;

	CHECK(mem != MAP_FAILED && map_region(pt, 0, mem, 0x10000) == 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	vp = ioctl(pt, MSHV_CREATE_VP, &va);
	CHECK(vp >= 0);
	seg32(&v, 0x08, 0xc09b);
	CHECK(set_reg(vp, HV_X64_REGISTER_CS, &v) == 0);
	seg32(&v, 0x10, 0xc093);
	CHECK(set_reg(vp, HV_X64_REGISTER_SS, &v) == 0);
	CHECK(set_reg(vp, HV_X64_REGISTER_DS, &v) == 0);
	memset(&v, 0, sizeof(v));
	v.reg64 = 0x11;
	CHECK(set_reg(vp, HV_X64_REGISTER_CR0, &v) == 0);
	v.reg64 = 0x1000;
	CHECK(set_reg(vp, HV_X64_REGISTER_RIP, &v) == 0);
	CHECK(ioctl(vp, MSHV_RUN_VP, &msg) == 0 && msg.header.message_type == HVMSG_UNMAPPED_GPA);
	{
		struct hv_x64_memory_intercept_message m;

		memcpy(&m, msg.u.payload, sizeof(m));
		CHECK(m.header.rip == 0xfffff000 && m.guest_physical_address == 0xfffff000);
		CHECK(m.guest_virtual_address == 0xfffff000);
		if (m.header.rip != 0xfffff000)
			fprintf(stderr, "jcc wrap: RIP 0x%llx\n", (unsigned long long)m.header.rip);
	}
	CHECK(get_reg64(vp, HV_X64_REGISTER_RIP) == 0xfffff000);
	close(vp);
	close(pt);
	munmap(mem, 0x10000);
}

int main(void)
{
	char msg[256];

	if (sim_config_from_env(&env, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	test_vp_lookup_vs_close();
	test_ioeventfd_no_fd_leak();
	test_irqfd_eventfd_close();
	test_fork();
	test_kernel_writes_code_pages();
	test_region_containing();
	test_limits();
	test_invalid_register_values();
	test_tr_busy_tss();
	test_code_page_concurrent_faults();
	test_smc_bitmap_freed();
	test_smc_into_jmp_far_reg();
	test_real_mode_lcall_eip();
	test_jcc_eip_wraps();
	close(mshv_fd);
	return CHECK_REPORT("robust");
}

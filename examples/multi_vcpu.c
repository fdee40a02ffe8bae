/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * multi_vcpu: several VPs of one partition, each run by its own thread,
 * stopped from outside with a signal.
 *
 * Every VP runs the same real-mode loop on its own counter:
 *
 *     0: mov $1024, %cx
 *     1: incl (%bx)        count, in guest memory at BX
 *        loop 1b           1024 times
 *        out %al, (%dx)    a heartbeat exit to port DX = 0x100 + VP index
 *        jmp 0b
 *
 * Each thread runs its VP (mshv_vcpu_run), completes the heartbeats in
 * place (mshv_vcpu_complete_io) and counts them. To stop a VP, main sets a
 * flag and sends its thread SIGUSR1 (pthread_kill) until the thread is
 * done: the handler, installed with sigaction and without SA_RESTART,
 * makes MSHV_RUN_VP return -EINTR, the thread sees the flag and leaves its
 * loop. A signal that lands while the thread is between two runs is just
 * handled, so main keeps kicking. The program reports each VP's exits and
 * counter and checks that the two agree.
 *
 * Runs on /dev/mshv, or anywhere under tools/mshv-sim; exits 77 (skipped)
 * when there is no /dev/mshv.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, pthread_kill, sigaction, nanosleep in C99 mode */
#define MSHV_IMPLEMENTATION
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mshv.h"

#define NR_VPS 4
#define RAM_SIZE 0x4000
#define CODE_GPA 0x1000
#define COUNTERS_GPA 0x2000 /* VP i counts at COUNTERS_GPA + 4 * i */
#define PORT_BASE 0x100
#define LOOP_COUNT 1024     /* increments per heartbeat */
#define MIN_HEARTBEATS 2    /* each VP's before it is stopped */

static const __u8 guest_code[] = {
	0xb9, 0x00, 0x04, /* 0: mov $1024, %cx */
	0x66, 0xff, 0x07, /* 1: incl (%bx) */
	0xe2, 0xfb,       /* loop 1b */
	0xee,             /* out %al, (%dx) */
	0xeb, 0xf5,       /* jmp 0b */
};

struct vp {
	struct mshv_vcpu vcpu;
	pthread_t thread;
	unsigned int index;
	int stop;                /* set by main, read by the thread after -EINTR (__atomic) */
	int done;                /* set by the thread when it has left its loop (__atomic) */
	unsigned long heartbeats; /* OUT exits (__atomic: main polls it) */
	unsigned long eintr;     /* MSHV_RUN_VP returned -EINTR */
	int error;               /* -errno, or -EPROTO for an unexpected exit */
};

static void on_kick(int sig)
{
	(void)sig; /* nothing to do: the point is to interrupt MSHV_RUN_VP */
}

static void *vp_thread(void *arg)
{
	struct vp *vp = arg;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int ret;

	for (;;) {
		ret = mshv_vcpu_run(&vp->vcpu, &msg);
		if (ret == -EINTR) {
			vp->eintr++;
			if (__atomic_load_n(&vp->stop, __ATOMIC_ACQUIRE))
				break; /* kicked out of the guest to stop */
			continue;
		}
		if (ret < 0) {
			vp->error = ret;
			break;
		}
		io = mshv_msg_io_port(&msg);
		if (!io || io->port_number != PORT_BASE + vp->index ||
		    io->header.intercept_access_type != HV_INTERCEPT_ACCESS_WRITE) {
			vp->error = -EPROTO;
			break;
		}
		__atomic_add_fetch(&vp->heartbeats, 1, __ATOMIC_RELAXED);
		ret = mshv_vcpu_complete_io(&vp->vcpu, io, 0, NULL);
		if (ret < 0) {
			vp->error = ret;
			break;
		}
	}
	__atomic_store_n(&vp->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Real mode at CODE_GPA with this VP's counter address and port. */
static int setup_vp(struct vp *vp, __u16 *status)
{
	union hv_register_value cs;
	struct hv_register_assoc reg;
	int ret;

	ret = mshv_vcpu_get_register(&vp->vcpu, HV_X64_REGISTER_CS, &cs, status);
	if (ret < 0)
		return ret;
	cs.segment.base = 0;
	cs.segment.selector = 0;
	memset(&reg, 0, sizeof(reg));
	reg.name = HV_X64_REGISTER_CS;
	reg.value = cs;
	ret = mshv_vcpu_set_registers(&vp->vcpu, &reg, 1, status);
	if (ret < 0)
		return ret;
	/*
	 * Every VP but the BSP is created waiting for an INIT-SIPI from the
	 * guest (startup suspend); this VMM starts them itself, at its code,
	 * by clearing that state.
	 */
	return MSHV_SET_REGISTERS_64(&vp->vcpu, status, { HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0 },
				     { HV_X64_REGISTER_RIP, CODE_GPA },
				     { HV_X64_REGISTER_RFLAGS, 0x2 },
				     { HV_X64_REGISTER_RBX, COUNTERS_GPA + 4 * vp->index },
				     { HV_X64_REGISTER_RDX, PORT_BASE + vp->index });
}

static int fail(const char *what, int ret, __u16 hv_status)
{
	const char *name = mshv_hv_status_name(hv_status);

	fprintf(stderr, "multi_vcpu: %s: %s", what, mshv_strerror(ret));
	if (hv_status)
		fprintf(stderr, " (%s)", name ? name : "?");
	fprintf(stderr, "\n");
	return 1;
}

int main(void)
{
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_user_mem_region mem;
	struct vp vps[NR_VPS];
	struct sigaction sa;
	__u16 status = 0;
	__u8 *ram;
	unsigned int i, started = 0, stopped_by_signal = 0, ok = 1;
	unsigned long total = 0, kicks = 0;
	int ret, rc = 1, waited;

	ret = mshv_system_open(&sys);
	if (ret == -ENOENT) {
		printf("SKIP: no /dev/mshv (run it under tools/mshv-sim)\n");
		return 77;
	}
	if (ret < 0)
		return fail("open /dev/mshv", ret, 0);
	vm.fd = -1;
	memset(vps, 0, sizeof(vps));
	for (i = 0; i < NR_VPS; i++)
		vps[i].vcpu.fd = -1;
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		perror("multi_vcpu: mmap");
		goto out;
	}
	memcpy(ram + CODE_GPA, guest_code, sizeof(guest_code));

	/* the kick: a handler without SA_RESTART, so that MSHV_RUN_VP returns EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("multi_vcpu: sigaction");
		goto out;
	}

	if ((ret = mshv_system_create_vm(&sys, &vm, &status)) < 0 || (ret = mshv_vm_initialize(&vm)) < 0) {
		fail("create VM", ret, status);
		goto out;
	}
	memset(&mem, 0, sizeof(mem));
	mem.size = RAM_SIZE;
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	if ((ret = mshv_vm_map_user_memory(&vm, &mem)) < 0) {
		fail("map guest memory", ret, 0);
		goto out;
	}
	for (i = 0; i < NR_VPS; i++) {
		vps[i].index = i;
		if ((ret = mshv_vm_create_vcpu(&vm, i, &vps[i].vcpu)) < 0) {
			fail("create VP", ret, 0);
			goto out;
		}
		if ((ret = setup_vp(&vps[i], &status)) < 0) {
			fail("set up VP", ret, status);
			goto out;
		}
	}
	for (started = 0; started < NR_VPS; started++) {
		ret = pthread_create(&vps[started].thread, NULL, vp_thread, &vps[started]);
		if (ret != 0) {
			fail("pthread_create", -ret, 0);
			goto stop;
		}
	}
	printf("%u VPs running on %u threads\n", NR_VPS, NR_VPS);

	/* let every VP beat a few times (at most 30 s) */
	for (waited = 0; waited < 3000; waited++) {
		for (i = 0; i < NR_VPS; i++)
			if (__atomic_load_n(&vps[i].heartbeats, __ATOMIC_RELAXED) < MIN_HEARTBEATS &&
			    !__atomic_load_n(&vps[i].done, __ATOMIC_ACQUIRE))
				break;
		if (i == NR_VPS)
			break;
		sleep_ms(10);
	}

stop:
	/* stop each VP: flag, then kick its thread until it has left the loop (at most 10 s each) */
	for (i = 0; i < started; i++) {
		__atomic_store_n(&vps[i].stop, 1, __ATOMIC_RELEASE);
		for (waited = 0; waited < 1000 && !__atomic_load_n(&vps[i].done, __ATOMIC_ACQUIRE); waited++) {
			pthread_kill(vps[i].thread, SIGUSR1);
			kicks++;
			sleep_ms(10);
		}
	}
	for (i = 0; i < started; i++)
		pthread_join(vps[i].thread, NULL);
	if (started < NR_VPS)
		goto out;

	for (i = 0; i < NR_VPS; i++) {
		const struct vp *vp = &vps[i];
		__u32 counter;

		memcpy(&counter, ram + COUNTERS_GPA + 4 * i, sizeof(counter));
		printf("VP %u: %lu heartbeat exits, guest counter %lu, MSHV_RUN_VP returned -EINTR %lu time(s)%s\n",
		       i, vp->heartbeats, (unsigned long)counter, vp->eintr, vp->error ? " (failed)" : "");
		if (vp->error) {
			fail("VP thread", vp->error, 0);
			ok = 0;
			continue;
		}
		/* stopped by the kick; the guest's count fits its heartbeats (the last lap interrupted) */
		if (vp->eintr > 0 && vp->done)
			stopped_by_signal++;
		if (vp->heartbeats < MIN_HEARTBEATS || counter < vp->heartbeats * LOOP_COUNT ||
		    counter > (vp->heartbeats + 1) * LOOP_COUNT) {
			fprintf(stderr, "multi_vcpu: VP %u: counter %lu does not fit %lu heartbeats\n", i,
				(unsigned long)counter, vp->heartbeats);
			ok = 0;
		}
		total += vp->heartbeats;
	}
	printf("%lu heartbeat exits in all, %lu kick(s) sent\n", total, kicks);
	if (stopped_by_signal == NR_VPS)
		printf("all %u VPs stopped by a signal: MSHV_RUN_VP returned -EINTR\n", NR_VPS);
	else
		ok = 0;
	rc = ok ? 0 : 1;
out:
	for (i = 0; i < NR_VPS; i++)
		if (vps[i].vcpu.fd >= 0)
			mshv_vcpu_close(&vps[i].vcpu);
	if (vm.fd >= 0)
		mshv_vm_close(&vm);
	mshv_system_close(&sys);
	if (ram != MAP_FAILED)
		munmap(ram, RAM_SIZE);
	return rc;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * stress_test: one partition, everything at once.
 *
 * Four VPs each run a real-mode loop on their own thread: 256 increments
 * of a counter, a heartbeat OUT to port 0x100 + index, then CPUID (with
 * interrupts off around it, as it clobbers the registers the loop keeps
 * its addresses in). Its interrupt handler counts and IRETs. Each VP
 * thread completes the heartbeats in place, and the CPUID exits once the
 * intercept is installed.
 *
 * Meanwhile other threads do what a VMM does to a running partition:
 *  - irqfd: routes GSI i to VP i (MSHV_SET_MSI_ROUTING), then over and
 *    over creates an eventfd, binds it to a GSI, signals it and lets it
 *    go (a deassign, or the close of its last fd), now and then with a
 *    new routing table;
 *  - assert: HVCALL_ASSERT_VIRTUAL_INTERRUPT to each VP in turn;
 *  - intercept: installs CPUID, MSR-index and exception intercepts;
 *  - translate: translates GVAs through each VP (real mode: to
 *    themselves), which may find it running (HV_STATUS_INVALID_VP_STATE);
 *  - dirty: dirty page tracking on, the log read and cleared, the bits
 *    set again, tracking off;
 *  - kick: SIGUSR1 to a VP thread (a handler without SA_RESTART), so that
 *    MSHV_RUN_VP returns -EINTR.
 *
 * After --seconds (2 by default) those threads stop, and main closes each
 * VP's fd while its thread is (most likely) inside MSHV_RUN_VP: the run
 * finishes, the next call on the fd fails with EBADF (or ENOTTY, when the
 * freed number was taken by another file meanwhile) and the thread
 * leaves. Then the partition goes.
 *
 * Checked: every operation returned success or an error documented for
 * the situation (counted per operation), every VP made progress and its
 * counter fits its heartbeats, the dirty log saw the counters' page
 * written, and the process has exactly the fds it had at the start.
 * Under ThreadSanitizer (suite 'tsan'), a report fails the test too.
 * `--skip NAME` leaves a side thread out, to narrow a failure down.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "sim_util.h"

#define NR_VPS 4
#define RAM_SIZE 0x10000
#define CODE_GPA 0x1000
#define DATA_GPA 0x2000    /* VP i: counter at + 16 * i, interrupts taken at + 4 */
#define HANDLER_GPA 0x3000
#define STACK_TOP 0x8000   /* VP i's stack below STACK_TOP - 0x400 * i */
#define PORT_BASE 0x100
#define LOOP_COUNT 256
#define VECTOR(k) (0x30 + 0x10 * ((k) % 12)) /* one per priority class: no EOI needed */

static const __u8 guest_code[] = {
	0xfb,             /* 0x1000: sti */
	0xb9, 0x00, 0x01, /* 0x1001: mov $256, %cx */
	0x66, 0xff, 0x07, /* 0x1004: incl (%bx) */
	0xe2, 0xfb,       /* loop 0x1004 */
	0xee,             /* out %al, (%dx): heartbeat */
	0xfa,             /* cli */
	0x53, 0x52,       /* push %bx; push %dx */
	0x66, 0x31, 0xc0, /* xor %eax, %eax */
	0x0f, 0xa2,       /* cpuid */
	0x5a, 0x5b,       /* pop %dx; pop %bx */
	0xfb,             /* sti */
	0xeb, 0xea,       /* jmp 0x1001 */
};
static const __u8 handler_code[] = {
	0x66, 0xff, 0x47, 0x04, /* incl 4(%bx) */
	0xcf,                   /* iret */
};

/* What each operation returned: success, a documented error, anything else. */
enum op { OP_RUN, OP_COMPLETE, OP_ROUTING, OP_IRQFD, OP_SIGNAL, OP_ASSERT, OP_INTERCEPT, OP_TRANSLATE,
	  OP_DIRTY, OP_KICK, OP_COUNT };
static const char *const op_name[OP_COUNT] = { "run", "complete", "msi-routing", "irqfd", "irqfd-signal",
					       "assert-interrupt", "install-intercept", "translate-gva",
					       "dirty-tracking", "kick" };
static struct { unsigned long ok, documented, unexpected; int first; } stats[OP_COUNT];

static void count(enum op op, int ret, int documented)
{
	if (ret >= 0)
		__atomic_add_fetch(&stats[op].ok, 1, __ATOMIC_RELAXED);
	else if (documented)
		__atomic_add_fetch(&stats[op].documented, 1, __ATOMIC_RELAXED);
	else if (__atomic_add_fetch(&stats[op].unexpected, 1, __ATOMIC_RELAXED) == 1)
		__atomic_store_n(&stats[op].first, ret, __ATOMIC_RELAXED);
}

static struct mshv_vm vm;
static __u8 *ram;
static int stop_side; /* the side threads stop (__atomic) */

struct vp {
	struct mshv_vcpu vcpu;
	struct mshv_vcpu other; /* the same VP as another thread sees it (its own quirks) */
	pthread_t thread;
	unsigned int index;
	int closed;             /* main closed the fd: EBADF is expected now (__atomic) */
	int in_run;             /* inside mshv_vcpu_run (__atomic) */
	unsigned long heartbeats, cpuid_exits, eintr;
	int done;               /* the thread left its loop (__atomic) */
};
static struct vp vps[NR_VPS];

static void on_kick(int sig)
{
	(void)sig;
}

/* ---- the VP threads -------------------------------------------------------- */

static int complete_cpuid(struct vp *vp, const struct hv_message *msg)
{
	const struct hv_x64_cpuid_intercept_message *c = (const void *)msg->u.payload;
	__u16 st;

	return MSHV_SET_REGISTERS_64(&vp->vcpu, &st,
				     { HV_X64_REGISTER_RIP, c->header.rip + c->header.instruction_length },
				     { HV_X64_REGISTER_RAX, c->default_result_rax },
				     { HV_X64_REGISTER_RBX, c->default_result_rbx },
				     { HV_X64_REGISTER_RCX, c->default_result_rcx },
				     { HV_X64_REGISTER_RDX, c->default_result_rdx });
}

/* ret is what a call on the VP's fd gives once main has closed it. */
static int gone(struct vp *vp, int ret)
{
	return (ret == -EBADF || ret == -ENOTTY) && __atomic_load_n(&vp->closed, __ATOMIC_ACQUIRE);
}

static void *vp_thread(void *arg)
{
	struct vp *vp = arg;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int ret;

	for (;;) {
		__atomic_store_n(&vp->in_run, 1, __ATOMIC_RELAXED);
		ret = mshv_vcpu_run(&vp->vcpu, &msg);
		__atomic_store_n(&vp->in_run, 0, __ATOMIC_RELAXED);
		/*
		 * After main closed the fd, EBADF ends the thread - or ENOTTY:
		 * the number is free, and whatever the process opens next (the
		 * sanitizer runtime did, once in a CI run) may take it, as on a
		 * kernel.
		 */
		if (gone(vp, ret)) {
			count(OP_RUN, ret, 1);
			break;
		}
		count(OP_RUN, ret, ret == -EINTR);
		if (ret == -EINTR) {
			vp->eintr++;
			continue;
		}
		if (ret < 0)
			break;
		if (msg.header.message_type == HVMSG_X64_CPUID_INTERCEPT) {
			vp->cpuid_exits++;
			ret = complete_cpuid(vp, &msg);
		} else if ((io = mshv_msg_io_port(&msg)) && io->port_number == PORT_BASE + vp->index &&
			   io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE) {
			__atomic_add_fetch(&vp->heartbeats, 1, __ATOMIC_RELAXED);
			ret = mshv_vcpu_complete_io(&vp->vcpu, io, 0, NULL);
		} else {
			fprintf(stderr, "stress: VP %u: unexpected message 0x%x\n", vp->index,
				msg.header.message_type);
			ret = -EPROTO;
		}
		count(OP_COMPLETE, ret, gone(vp, ret));
		if (ret < 0)
			break;
	}
	__atomic_store_n(&vp->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- the side threads ------------------------------------------------------- */

static int side_running(void)
{
	return !__atomic_load_n(&stop_side, __ATOMIC_ACQUIRE);
}

static void pause_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* GSI i to APIC id i, vectors of priority class `round`. */
static int set_routing(unsigned int round)
{
	__u64 buf[(sizeof(struct mshv_user_irq_table) + NR_VPS * sizeof(struct mshv_user_irq_entry)) / 8 + 1];
	struct mshv_user_irq_table *t = (void *)buf;
	unsigned int i;

	memset(buf, 0, sizeof(buf));
	t->nr = NR_VPS;
	for (i = 0; i < NR_VPS; i++) {
		t->entries[i].gsi = i;
		t->entries[i].address_lo = 0xfee00000u | (i << 12); /* physical destination APIC id i */
		t->entries[i].data = VECTOR(round + i);             /* fixed, edge */
	}
	return mshv_vm_set_msi_routing(&vm, t);
}

static void *irqfd_thread(void *arg)
{
	unsigned int n;
	int efd, ret;

	(void)arg;
	count(OP_ROUTING, set_routing(0), 0);
	for (n = 0; side_running(); n++) {
		if (n % 16 == 15)
			count(OP_ROUTING, set_routing(n / 16), 0);
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0) {
			count(OP_IRQFD, -errno, 0);
			continue;
		}
		ret = mshv_vm_register_irqfd(&vm, efd, n % NR_VPS);
		count(OP_IRQFD, ret, 0);
		count(OP_SIGNAL, eventfd_write(efd, 1) < 0 ? -errno : 0, 0);
		if (ret == 0 && n % 2)
			count(OP_IRQFD, mshv_vm_unregister_irqfd(&vm, efd, n % NR_VPS), 0);
		close(efd); /* on even rounds, this is what detaches it */
		pause_us(50);
	}
	return NULL;
}

static void *assert_thread(void *arg)
{
	struct mshv_assert_interrupt req;
	unsigned int n;
	__u16 st;

	(void)arg;
	for (n = 0; side_running(); n++) {
		memset(&req, 0, sizeof(req));
		req.control.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
		req.dest_addr = n % NR_VPS;
		req.vector = VECTOR(n / NR_VPS);
		count(OP_ASSERT, mshv_vm_request_virtual_interrupt(&vm, &req, &st), 0);
		pause_us(100);
	}
	return NULL;
}

static void *intercept_thread(void *arg)
{
	static const __u16 vectors[] = { 1, 3, 6 }; /* #DB, #BP, #UD: the guest raises none */
	struct mshv_install_intercept icpt;
	unsigned int n;
	__u16 st;

	(void)arg;
	pause_us(200000); /* first the VPs run without the CPUID intercept */
	for (n = 0; side_running(); n++) {
		memset(&icpt, 0, sizeof(icpt));
		icpt.access_type_mask = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
		switch (n % 3) {
		case 0:
			icpt.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
			break;
		case 1: /* 8 MSRs the guest never touches, over and over: the table does not fill */
			icpt.access_type_mask = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
			icpt.intercept_type = HV_INTERCEPT_TYPE_X64_MSR_INDEX;
			icpt.intercept_parameter.msr_index = 0x200 + (n / 3) % 8;
			break;
		default:
			icpt.intercept_type = HV_INTERCEPT_TYPE_EXCEPTION;
			icpt.intercept_parameter.exception_vector = vectors[(n / 3) % 3];
			break;
		}
		count(OP_INTERCEPT, mshv_vm_install_intercept(&vm, &icpt, &st), 0);
		pause_us(500);
	}
	return NULL;
}

static void *translate_thread(void *arg)
{
	union hv_translate_gva_result res;
	unsigned int n;
	__u64 gva, gpa;
	__u16 st;
	int ret;

	(void)arg;
	for (n = 0; side_running(); n++) {
		gva = (__u64)(n % 16) << 12 | 0x123;
		ret = mshv_vcpu_translate_gva(&vps[n % NR_VPS].other, gva, HV_TRANSLATE_GVA_VALIDATE_READ, &gpa,
					      &res, &st);
		if (ret == 0 && (res.result_code != HV_TRANSLATE_GVA_SUCCESS || gpa != gva)) {
			fprintf(stderr, "stress: GVA 0x%llx -> result %u, GPA 0x%llx\n", (unsigned long long)gva,
				res.result_code, (unsigned long long)gpa);
			ret = -EPROTO;
		}
		/* the hypervisor refuses a VP that is running */
		count(OP_TRANSLATE, ret, ret < 0 && st == HV_STATUS_INVALID_VP_STATE);
		pause_us(100);
	}
	return NULL;
}

static unsigned long data_page_dirty, dirty_rounds;

static void *dirty_thread(void *arg)
{
	__u64 bits[1];
	double until;
	__u16 st;
	int ret;

	(void)arg;
	/*
	 * Turning tracking on costs every VP a flush of its translated code
	 * (slow under ThreadSanitizer): on for half a second at a time, the
	 * log read and cleared every 2 ms meanwhile.
	 */
	while (side_running()) {
		count(OP_DIRTY, mshv_vm_enable_dirty_page_tracking(&vm, &st), 0);
		for (until = now() + 0.5; now() < until && side_running();) {
			count(OP_DIRTY, mshv_vm_get_dirty_log(&vm, 0, RAM_SIZE, MSHV_GPAP_ACCESS_OP_CLEAR, bits, 1), 0);
			pause_us(2000);
			ret = mshv_vm_get_dirty_log(&vm, 0, RAM_SIZE, MSHV_GPAP_ACCESS_OP_NOOP, bits, 1);
			count(OP_DIRTY, ret, 0);
			if (ret == 0 && (bits[0] >> (DATA_GPA >> 12) & 1))
				data_page_dirty++;
			dirty_rounds++;
		}
		/* every bit set again: the hypervisor lets tracking go */
		count(OP_DIRTY, mshv_vm_get_dirty_log(&vm, 0, RAM_SIZE, MSHV_GPAP_ACCESS_OP_SET, bits, 1), 0);
		count(OP_DIRTY, mshv_vm_disable_dirty_page_tracking(&vm, &st), 0);
		pause_us(20000);
	}
	return NULL;
}

static void *kick_thread(void *arg)
{
	unsigned int n;

	(void)arg;
	for (n = 0; side_running(); n++) {
		count(OP_KICK, -pthread_kill(vps[n % NR_VPS].thread, SIGUSR1), 0);
		pause_us(300);
	}
	return NULL;
}

/* ---- the story ---------------------------------------------------------------- */

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "stress: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                          \
		}                                                                          \
	} while (0)

static int setup_vp(struct vp *vp)
{
	union hv_register_value cs;
	struct hv_register_assoc reg;
	__u16 st;

	if (mshv_vcpu_get_register(&vp->vcpu, HV_X64_REGISTER_CS, &cs, &st) < 0)
		return -1;
	cs.segment.base = 0;
	cs.segment.selector = 0;
	memset(&reg, 0, sizeof(reg));
	reg.name = HV_X64_REGISTER_CS;
	reg.value = cs;
	if (mshv_vcpu_set_registers(&vp->vcpu, &reg, 1, &st) < 0)
		return -1;
	return MSHV_SET_REGISTERS_64(&vp->vcpu, &st, { HV_X64_REGISTER_RIP, CODE_GPA },
				     { HV_X64_REGISTER_RFLAGS, 0x2 },
				     { HV_X64_REGISTER_RSP, STACK_TOP - 0x400 * vp->index },
				     { HV_X64_REGISTER_RBX, DATA_GPA + 16 * vp->index },
				     { HV_X64_REGISTER_RDX, PORT_BASE + vp->index },
				     /* an AP waits for INIT-SIPI: this VMM starts every VP itself */
				     { HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0 });
}

int main(int argc, char **argv)
{
	void *(*const side[])(void *) = { irqfd_thread, assert_thread, intercept_thread,
					  translate_thread, dirty_thread, kick_thread };
	static const char *const side_name[] = { "irqfd", "assert", "intercept", "translate", "dirty", "kick" };
	unsigned int skip = 0; /* --skip NAME: a side thread left out (to narrow a failure down) */
	pthread_t side_threads[sizeof(side) / sizeof(side[0])];
	struct mshv_system sys;
	struct mshv_user_mem_region mem;
	struct sigaction sa;
	double seconds = 2, until;
	unsigned int i, k, closed_in_run = 0;
	unsigned long beats_before[NR_VPS];
	int fds_before, v, failed = 0;
	__u16 st;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < (unsigned int)argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--skip") && i + 1 < (unsigned int)argc)
			for (++i, k = 0; k < sizeof(side_name) / sizeof(side_name[0]); k++)
				if (!strcmp(argv[i], side_name[k]))
					skip |= 1u << k;
	}
	fds_before = fd_count();
	CHECK(fds_before > 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0); /* no SA_RESTART: a kick ends MSHV_RUN_VP */

	/* The partition: 64 KiB of RAM holding the loop, its handler in every IVT slot used. */
	CHECK(mshv_system_open(&sys) == 0);
	CHECK(mshv_system_create_vm(&sys, &vm, &st) == 0 && mshv_vm_initialize(&vm) == 0);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);
	memcpy(ram + CODE_GPA, guest_code, sizeof(guest_code));
	memcpy(ram + HANDLER_GPA, handler_code, sizeof(handler_code));
	for (k = 0; k < 12; k++) {
		__u16 ivt[2] = { HANDLER_GPA, 0 }; /* offset, segment */

		memcpy(ram + 4 * VECTOR(k), ivt, sizeof(ivt));
	}
	memset(&mem, 0, sizeof(mem));
	mem.size = RAM_SIZE;
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK(mshv_vm_map_user_memory(&vm, &mem) == 0);
	for (i = 0; i < NR_VPS; i++) {
		vps[i].index = i;
		CHECK(mshv_vm_create_vcpu(&vm, i, &vps[i].vcpu) == 0);
		CHECK(setup_vp(&vps[i]) == 0);
		vps[i].other = vps[i].vcpu;
		vps[i].other.reg_page = NULL;
	}

	/*
	 * The VPs first, until each has beaten once (a VP's first run sets up
	 * its CPU model, which takes a while under ThreadSanitizer); then
	 * everything at once, for the time given.
	 */
	for (i = 0; i < NR_VPS; i++)
		CHECK(pthread_create(&vps[i].thread, NULL, vp_thread, &vps[i]) == 0);
	for (until = now() + 60, i = 0; i < NR_VPS && now() < until;) {
		if (__atomic_load_n(&vps[i].heartbeats, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&vps[i].done, __ATOMIC_ACQUIRE))
			i++;
		else
			pause_us(1000);
	}
	for (i = 0; i < NR_VPS; i++)
		beats_before[i] = __atomic_load_n(&vps[i].heartbeats, __ATOMIC_RELAXED);
	for (i = 0; i < sizeof(side) / sizeof(side[0]); i++)
		if (!(skip & (1u << i)))
			CHECK(pthread_create(&side_threads[i], NULL, side[i], NULL) == 0);
	until = now() + seconds;
	while (now() < until)
		pause_us(10000);
	__atomic_store_n(&stop_side, 1, __ATOMIC_RELEASE);
	for (i = 0; i < sizeof(side) / sizeof(side[0]); i++)
		if (!(skip & (1u << i)))
			pthread_join(side_threads[i], NULL);

	/* Each VP's fd closed under its running thread: the run ends, EBADF follows. */
	for (i = 0; i < NR_VPS; i++) {
		__atomic_store_n(&vps[i].closed, 1, __ATOMIC_RELEASE);
		closed_in_run += __atomic_load_n(&vps[i].in_run, __ATOMIC_RELAXED);
		CHECK(close(vps[i].vcpu.fd) == 0);
	}
	for (i = 0; i < NR_VPS; i++) {
		pthread_join(vps[i].thread, NULL);
		CHECK(munmap(vps[i].vcpu.reg_page, MSHV_HV_PAGE_SIZE) == 0 || !vps[i].vcpu.reg_page);
	}
	CHECK(mshv_vm_close(&vm) == 0);
	CHECK(mshv_system_close(&sys) == 0);

	/* What happened. */
	for (i = 0; i < NR_VPS; i++) {
		__u32 counter, irqs;

		memcpy(&counter, ram + DATA_GPA + 16 * i, 4);
		memcpy(&irqs, ram + DATA_GPA + 16 * i + 4, 4);
		printf("VP %u: %lu heartbeats (%lu before the others started), counter %u, %lu CPUID exits, %u interrupts taken, %lu kicks seen\n",
		       i, vps[i].heartbeats, beats_before[i], counter, vps[i].cpuid_exits, irqs, vps[i].eintr);
		/* progress while everything else went on, too */
		if (vps[i].heartbeats <= beats_before[i] || counter < vps[i].heartbeats * LOOP_COUNT ||
		    counter > (vps[i].heartbeats + 1) * LOOP_COUNT) {
			fprintf(stderr, "stress: VP %u made no progress, or its counter does not fit\n", i);
			failed = 1;
		}
	}
	for (i = 0; i < OP_COUNT; i++) {
		printf("%-18s %8lu ok %6lu documented errors %4lu unexpected", op_name[i], stats[i].ok,
		       stats[i].documented, stats[i].unexpected);
		if (stats[i].unexpected)
			printf(" (first: %s)", mshv_strerror(stats[i].first));
		printf("\n");
		if (stats[i].unexpected || (!stats[i].ok && i != OP_COMPLETE))
			failed = 1;
	}
	printf("%lu of %lu dirty-log rounds saw the counters' page written; %u VP fds closed during a run\n",
	       data_page_dirty, dirty_rounds, closed_in_run);
	if (dirty_rounds && !data_page_dirty)
		failed = 1;
	v = fd_count();
	printf("fds: %d before, %d after\n", fds_before, v);
	if (v != fds_before)
		failed = 1;
	munmap(ram, RAM_SIZE);
	printf("%s\n", failed ? "FAILED" : "all checks passed");
	return failed;
}

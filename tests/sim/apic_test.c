/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The virtual local APIC through /dev/mshv, with real guest code: the
 * timer (one-shot and periodic, the divide configuration, the current
 * count, the LVT mask, expiry while halted and while running, the count
 * kept across MSHV_GET/SET_VP_STATE); HVMSG_X64_APIC_EOI for
 * level-triggered interrupts; ExtINT outside ISR; IA32_APIC_BASE's
 * checks; events injected through HV_REGISTER_PENDING_INTERRUPTION and
 * _PENDING_EVENT0/1; x2APIC mode; interprocessor interrupts between two
 * VPs (an AP created waiting for INIT-SIPI-SIPI, fixed, logical flat,
 * broadcast, NMI by shorthand, ICR delivery status, x2APIC IDs).
 *
 * The guests run in real mode with FS based at the APIC page (0xfee00000),
 * set by the VMM, so that `fs mov` reaches the APIC registers.
 *
 * Runs under tools/mshv-sim; exits 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "rm_guest.h"

/* ---- the timer ---- */

/* One-shot, 50 ms at divide-by-1: a halted VP wakes at expiry and takes the vector. */
static void test_timer_oneshot_halted(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	double t0, dt;

	handler(vm.mem, 0x2000, 0x40, true);
	apic_wr(&c, 0xf0, 0x1ff);     /* SVR: enabled */
	apic_wr(&c, 0x3e0, 0xb);      /* TDCR: divide by 1 */
	apic_wr(&c, 0x320, 0x40);     /* LVT timer: one-shot, vector 0x40 */
	apic_wr(&c, 0x380, 10000000); /* TMICT: 10,000,000 ticks at 200 MHz: 50 ms */
	out8(&c, 0x10);
	op1(&c, 0xfb);                /* sti */
	op1(&c, 0xf4);                /* hlt */
	apic_rd_out(&c, 0x390, 0x11); /* TMCCT after expiry */
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	t0 = now(); /* before the TMICT write */
	CHECK(run_to_out(&v) == 0x10);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);
	CHECK(run_to_out(&v) == 0x40); /* the timer woke the halted VP */
	dt = now() - t0;
	CHECK(dt >= 0.049 && dt < 5.0);
	CHECK(run_to_out(&v) == 0x11 && io_msg(&v)->rax == 0); /* a one-shot count stops at 0 */
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/*
 * Periodic at divide-by-16 (12.5 MHz): TMCCT counts down at that rate;
 * the LAPIC state blob carries the count; the interrupt arrives while the
 * VP runs a tight loop, once per period.
 */
static void test_timer_periodic_running(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	struct mshv_get_set_vp_state st;
	uint8_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct hv_local_interrupt_controller_state *lapic = (void *)buf;
	uint32_t c1, c2;
	double t0, ta, tb, t1, t2;

	handler(vm.mem, 0x2000, 0x41, true);
	apic_wr(&c, 0xf0, 0x1ff);
	apic_wr(&c, 0x3e0, 0x3);       /* divide by 16 */
	apic_wr(&c, 0x320, 0x20041);   /* periodic, vector 0x41 */
	apic_wr(&c, 0x380, 1000000);   /* 80 ms a period */
	apic_rd_out(&c, 0x390, 0x11);
	apic_rd_out(&c, 0x390, 0x12);
	apic_rd_out(&c, 0x3e0, 0x13);  /* TDCR reads back */
	op1(&c, 0xfb);                 /* sti */
	{
		uint8_t spin[] = { 0xeb, 0xfe }; /* jmp $ */
		emit(&c, spin, sizeof(spin));
	}
	vcpu_setup(&v, 0x1000);

	/*
	 * The bounds come from the host's clock around each run, not from
	 * fixed allowances: the guest wrote TMICT after t0 and read TMCCT
	 * before ta (a loaded host can take longer than any fixed allowance
	 * between the two); the second read came at least 10 ms after the
	 * first and before tb. A period is 80 ms: within 75 ms of t0 the
	 * count cannot have reloaded.
	 */
	t0 = now();
	CHECK(run_to_out(&v) == 0x11);
	ta = now();
	c1 = (uint32_t)io_msg(&v)->rax;
	CHECK(c1 > 0 && c1 <= 1000000);
	if (ta - t0 < 0.075)
		CHECK(c1 + (ta - t0) * 12.5e6 + 1000 >= 1000000); /* 12.5 MHz since the write, at most */
	usleep(10000);
	CHECK(run_to_out(&v) == 0x12);
	tb = now();
	c2 = (uint32_t)io_msg(&v)->rax;
	CHECK(c2 > 0 && c2 <= 1000000);
	if (tb - t0 < 0.075)
		CHECK(c2 < c1 && c1 - c2 >= 125000 - 1000 && c1 - c2 <= (tb - t0) * 12.5e6 + 1000);

	/* the count in the state blob, and back: it goes on counting */
	memset(&st, 0, sizeof(st));
	st.type = MSHV_VP_STATE_LAPIC;
	st.buf_sz = 4096;
	st.buf_ptr = (uintptr_t)buf;
	CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == 0);
	CHECK(lapic->apic_initial_count == 1000000 && lapic->apic_counter_value > 0 &&
	      lapic->apic_counter_value <= 1000000);
	if (now() - t0 < 0.075)
		CHECK(lapic->apic_counter_value <= c2);
	CHECK(lapic->apic_lvt_timer == 0x20041 && lapic->apic_divide_configuration == 3);
	st.buf_sz = 4096;
	CHECK(ioctl(v.fd, MSHV_SET_VP_STATE, &st) == 0);

	CHECK(run_to_out(&v) == 0x13 && io_msg(&v)->rax == 3);
	CHECK(run_to_out(&v) == 0x41); /* first period, taken in the loop */
	t1 = now();
	CHECK(t1 - t0 >= 0.05 && t1 - t0 < 5.0);
	CHECK(run_to_out(&v) == 0x41); /* and the next */
	t2 = now();
	/*
	 * Two periods from the start, whenever the first was taken: the
	 * count reloads at expiry, so a first interrupt taken late (a
	 * loaded host) is followed by the next sooner than a period after.
	 */
	CHECK(t2 - t0 >= 0.15 && t2 - t1 < 5.0);
	munmap(buf, 4096);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* rdtsc; add eax, delta; adc edx, 0; mov ecx, IA32_TSC_DEADLINE; wrmsr: a deadline delta TSC ticks ahead */
static void tsc_deadline_in(struct code *c, uint32_t delta)
{
	uint8_t b[] = { 0x0f, 0x31, 0x66, 0x05, (uint8_t)delta, (uint8_t)(delta >> 8), (uint8_t)(delta >> 16),
			(uint8_t)(delta >> 24), 0x66, 0x83, 0xd2, 0x00, 0x66, 0xb9, 0xe0, 0x06, 0, 0, 0x0f, 0x30 };
	emit(c, b, sizeof(b));
}

/* mov ecx, IA32_TSC_DEADLINE; rdmsr; out port, eax */
static void tsc_deadline_out(struct code *c, uint8_t port)
{
	uint8_t b[] = { 0x66, 0xb9, 0xe0, 0x06, 0, 0, 0x0f, 0x32, 0x66, 0xe7, port };
	emit(c, b, sizeof(b));
}

/*
 * TSC-deadline mode (LVT timer mode 10): CPUID 1 ECX[24]; the interrupt
 * when the TSC passes IA32_TSC_DEADLINE (50 ms ahead at 1 GHz), which
 * then reads 0; TMICT ignored and TMCCT 0 in that mode; leaving the mode
 * disarms a deadline.
 */
static void test_timer_tsc_deadline(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	static const uint8_t cpuid1[] = { 0x66, 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0x66, 0x89, 0xc8, 0x66, 0xe7, 0x30 };
	double t0, dt;

	handler(vm.mem, 0x2000, 0x40, true);
	emit(&c, cpuid1, sizeof(cpuid1)); /* out 0x30: CPUID 1 ECX */
	apic_wr(&c, 0xf0, 0x1ff);
	apic_wr(&c, 0x320, 0x40 | (2u << 17)); /* LVT timer: TSC-deadline, vector 0x40 */
	apic_wr(&c, 0x380, 1000);              /* TMICT: ignored in this mode */
	apic_rd_out(&c, 0x380, 0x12);
	tsc_deadline_in(&c, 50000000);         /* 50 ms */
	tsc_deadline_out(&c, 0x13);
	out8(&c, 0x10);
	op1(&c, 0xfb); /* sti */
	op1(&c, 0xf4); /* hlt: until the deadline */
	tsc_deadline_out(&c, 0x11);
	apic_rd_out(&c, 0x390, 0x14);
	tsc_deadline_in(&c, 0x40000000);       /* about a second ahead... */
	apic_wr(&c, 0x320, 0x40);              /* ...then one-shot mode: disarmed */
	apic_wr(&c, 0x320, 0x40 | (2u << 17));
	tsc_deadline_out(&c, 0x15);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x30 && (io_msg(&v)->rax & (1u << 24)));
	CHECK(run_to_out(&v) == 0x12 && io_msg(&v)->rax == 0);
	CHECK(run_to_out(&v) == 0x13 && io_msg(&v)->rax != 0);
	t0 = now();
	CHECK(run_to_out(&v) == 0x10);
	CHECK(run_to_out(&v) == 0x40); /* the deadline woke the halted VP */
	dt = now() - t0;
	CHECK(dt >= 0.045 && dt < 5.0);
	CHECK(run_to_out(&v) == 0x11 && io_msg(&v)->rax == 0); /* the MSR reads 0 once it fired */
	CHECK(run_to_out(&v) == 0x14 && io_msg(&v)->rax == 0);
	CHECK(run_to_out(&v) == 0x15 && io_msg(&v)->rax == 0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* A masked LVT timer counts down and raises nothing; TMICT 0 stops the count. */
static void test_timer_masked(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	double t0;

	handler(vm.mem, 0x2000, 0x42, true);
	apic_wr(&c, 0xf0, 0x1ff);
	apic_wr(&c, 0x3e0, 0xb);
	apic_wr(&c, 0x320, 0x10042);  /* masked, vector 0x42 */
	apic_wr(&c, 0x380, 4000000);  /* 20 ms */
	op1(&c, 0xfb);
	apic_rd_out(&c, 0x390, 0x11); /* counting */
	out8(&c, 0x12);               /* the VMM waits 40 ms here */
	apic_rd_out(&c, 0x390, 0x13); /* expired: 0, and no interrupt came */
	apic_wr(&c, 0x380, 200000000);
	apic_rd_out(&c, 0x390, 0x14);
	apic_wr(&c, 0x380, 0);
	apic_rd_out(&c, 0x390, 0x15); /* stopped */
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	t0 = now();
	CHECK(run_to_out(&v) == 0x11 && io_msg(&v)->rax <= 4000000);
	if (now() - t0 < 0.019) /* else a loaded host let it expire before the read */
		CHECK(io_msg(&v)->rax > 0);
	CHECK(run_to_out(&v) == 0x12);
	usleep(40000);
	CHECK(run_to_out(&v) == 0x13 && io_msg(&v)->rax == 0);
	t0 = now();
	CHECK(run_to_out(&v) == 0x14);
	if (now() - t0 < 0.5) /* 200 MHz: half the count left after 0.5 s */
		CHECK(io_msg(&v)->rax > 100000000);
	CHECK(run_to_out(&v) == 0x15 && io_msg(&v)->rax == 0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* ---- EOI of a level-triggered interrupt ---- */

static void assert_irq(struct vm *vm, uint32_t vector, bool level)
{
	struct hv_input_assert_virtual_interrupt ain;

	memset(&ain, 0, sizeof(ain));
	ain.control.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
	ain.control.level_triggered = level;
	ain.dest_addr = 0;
	ain.vector = vector;
	CHECK(hvcall(vm->pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == 0);
}

/* The EOI of a level-triggered vector exits to the VMM (HVMSG_X64_APIC_EOI) after the write; an edge one does not. */
static void test_level_eoi(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	const struct hv_x64_apic_eoi_message *m = (const void *)v.msg.u.payload;

	handler(vm.mem, 0x2000, 0x60, true);
	handler(vm.mem, 0x2020, 0x61, true);
	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb);
	out8(&c, 0x10);
	op1(&c, 0xf4);
	out8(&c, 0x11);
	op1(&c, 0x90);                  /* nop: the edge interrupt is taken before it */
	out8(&c, 0x12);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x10);
	assert_irq(&vm, 0x60, true);
	CHECK(run_to_out(&v) == 0x60);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_APIC_EOI);
	CHECK(v.msg.header.payload_size == sizeof(*m) && m->vp_index == 0 && m->interrupt_vector == 0x60);
	CHECK(v.regs->rip == 0x200c); /* after the EOI write, at the IRET */
	CHECK(run_to_out(&v) == 0x11);
	assert_irq(&vm, 0x61, false);
	CHECK(run_to_out(&v) == 0x61);
	CHECK(run_to_out(&v) == 0x12); /* no EOI message in between */
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* ---- ExtINT, IA32_APIC_BASE ---- */

/* An ExtINT is taken with its vector but never enters ISR; fixed ones do. */
static void test_extint(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	struct hv_input_assert_virtual_interrupt ain;

	for (unsigned vec = 0x70; vec <= 0x71; vec++) {
		struct code h = { vm.mem + 0x2000 + (vec - 0x70) * 0x40 };
		out8(&h, (uint8_t)vec);
		apic_rd_out(&h, 0x130, 0x18); /* ISR bits 127:96 */
		op1(&h, 0xcf);                /* iret, no EOI */
		set_ivt(vm.mem, vec, (uint16_t)(0x2000 + (vec - 0x70) * 0x40));
	}
	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb);
	out8(&c, 0x10);
	op1(&c, 0x90);
	out8(&c, 0x11);
	op1(&c, 0x90);
	out8(&c, 0x12);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x10);
	memset(&ain, 0, sizeof(ain));
	ain.control.interrupt_type = HV_X64_INTERRUPT_TYPE_EXTINT;
	ain.vector = 0x70;
	CHECK(hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == 0);
	CHECK(run_to_out(&v) == 0x70);
	CHECK(run_to_out(&v) == 0x18 && io_msg(&v)->rax == 0); /* not in ISR */
	CHECK(run_to_out(&v) == 0x11);
	ain.control.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
	ain.vector = 0x71;
	CHECK(hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == 0);
	CHECK(run_to_out(&v) == 0x71);
	CHECK(run_to_out(&v) == 0x18 && io_msg(&v)->rax == (1u << 17)); /* a fixed one is */
	CHECK(run_to_out(&v) == 0x12);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* WRMSR IA32_APIC_BASE: reserved bits #GP, BSP read-only, disabling resets the APIC. */
static void test_apic_base(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	static const uint8_t rd[] = { 0x66, 0xb9, 0x1b, 0, 0, 0, 0x0f, 0x32, 0x66, 0x89, 0xc3 }; /* ecx = 0x1b; rdmsr; ebx = eax */
	static const uint8_t x2[] = { 0x66, 0x89, 0xd8, 0x66, 0x0d, 0x00, 0x04, 0, 0, 0x0f, 0x30 }; /* eax = ebx | bit 10; wrmsr */
	static const uint8_t b9[] = { 0x66, 0x89, 0xd8, 0x66, 0x0d, 0x00, 0x02, 0, 0, 0x0f, 0x30 }; /* bit 9 */
	static const uint8_t hi[] = { 0x66, 0x89, 0xd8, 0x66, 0xba, 0, 0, 0x10, 0, 0x0f, 0x30,       /* edx = bit 52 */
				      0x66, 0x31, 0xd2 };                                       /* xor edx, edx */
	static const uint8_t nobsp[] = { 0x66, 0x89, 0xd8, 0x66, 0x25, 0xff, 0xfe, 0xff, 0xff, 0x0f, 0x30, /* clear BSP */
					 0x0f, 0x32, 0x66, 0xe7, 0x41 };                             /* rdmsr; out 0x41 */
	static const uint8_t off_on[] = { 0x66, 0x89, 0xd8, 0x66, 0x25, 0xff, 0xf7, 0xff, 0xff, 0x0f, 0x30, /* disable */
					  0x0f, 0x32, 0x66, 0xe7, 0x42,                               /* rdmsr; out 0x42 */
					  0x66, 0x89, 0xd8, 0x0f, 0x30 };                             /* enable */

	gp_skip2_handler(vm.mem, 0x2000);
	apic_wr(&c, 0xf0, 0x1ff);
	apic_wr(&c, 0x80, 0x20);       /* TPR */
	emit(&c, rd, sizeof(rd));
	emit(&c, x2, sizeof(x2));      /* x2APIC enable without x2APIC: #GP */
	out8(&c, 0x20);
	emit(&c, b9, sizeof(b9));      /* reserved bit 9: #GP */
	out8(&c, 0x21);
	emit(&c, hi, sizeof(hi));      /* beyond MAXPHYADDR: #GP */
	out8(&c, 0x22);
	emit(&c, nobsp, sizeof(nobsp));
	emit(&c, off_on, sizeof(off_on));
	apic_rd_out(&c, 0x80, 0x43);   /* TPR after the reset: 0 */
	apic_rd_out(&c, 0xf0, 0x44);   /* SVR: 0xff */
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x20);
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x21);
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x22);
	CHECK(run_to_out(&v) == 0x41 && io_msg(&v)->rax == 0xfee00900); /* BSP kept */
	CHECK(run_to_out(&v) == 0x42 && io_msg(&v)->rax == 0xfee00100);
	CHECK(run_to_out(&v) == 0x43 && io_msg(&v)->rax == 0);
	CHECK(run_to_out(&v) == 0x44 && io_msg(&v)->rax == 0xff);
	CHECK(get_reg64(&v, HV_X64_REGISTER_APIC_BASE) == 0xfee00900);
	CHECK(set_reg64(&v, HV_X64_REGISTER_APIC_BASE, 0xfee00d00) != 0); /* bit 10: refused */
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* ---- events the VMM injects ---- */

static int set_reg128(struct vcpu *v, uint32_t name, uint64_t lo, uint64_t hi)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.reg128.low_part = lo;
	val.reg128.high_part = hi;
	return set_reg(v, name, &val);
}

static void get_reg128(struct vcpu *v, uint32_t name, uint64_t *lo, uint64_t *hi)
{
	union hv_register_value out = get_reg(v, name);

	*lo = out.reg128.low_part;
	*hi = out.reg128.high_part;
}

/*
 * HV_REGISTER_PENDING_INTERRUPTION (an exception, an external interrupt
 * with IF clear) and PENDING_EVENT0 (#PF with its CR2) reach the guest's
 * vectors at the next run and read back as set until then.
 */
static void test_injection(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 };
	union hv_x64_pending_interruption_register pi;
	union hv_x64_pending_exception_event ev;
	uint64_t lo, hi;

	handler(vm.mem, 0x2000, 13, false);
	handler(vm.mem, 0x2020, 14, false);
	handler(vm.mem, 0x2040, 0x80, false);
	out8(&c, 0x10);
	out8(&c, 0x11);
	out8(&c, 0x12);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	memset(&pi, 0, sizeof(pi));
	pi.interruption_pending = 1;
	pi.interruption_type = HV_X64_PENDING_EXCEPTION;
	pi.interruption_vector = 13;
	pi.deliver_error_code = 1;
	pi.error_code = 0x1234;
	CHECK(set_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION, pi.as_uint64) == 0);
	CHECK(get_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION) == pi.as_uint64);
	CHECK(run_to_out(&v) == 13); /* #GP through the IVT, before the first instruction */
	CHECK(get_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION) == 0);
	CHECK(run_to_out(&v) == 0x10);

	memset(&ev, 0, sizeof(ev));
	ev.event_pending = 1;
	ev.event_type = 0; /* exception */
	ev.vector = 14;
	ev.deliver_error_code = 1;
	ev.error_code = 2;
	ev.exception_parameter = 0xdead000;
	CHECK(set_reg128(&v, HV_REGISTER_PENDING_EVENT0, ev.as_uint64[0], ev.as_uint64[1]) == 0);
	get_reg128(&v, HV_REGISTER_PENDING_EVENT0, &lo, &hi);
	CHECK(lo == ev.as_uint64[0] && hi == ev.as_uint64[1]);
	CHECK(run_to_out(&v) == 14);
	CHECK(get_reg64(&v, HV_X64_REGISTER_CR2) == 0xdead000);
	get_reg128(&v, HV_REGISTER_PENDING_EVENT0, &lo, &hi);
	CHECK(lo == 0 && hi == 0);
	CHECK(run_to_out(&v) == 0x11);

	memset(&pi, 0, sizeof(pi));
	pi.interruption_pending = 1;
	pi.interruption_type = HV_X64_PENDING_INTERRUPT;
	pi.interruption_vector = 0x80;
	CHECK((get_reg64(&v, HV_X64_REGISTER_RFLAGS) & 0x200) == 0);
	CHECK(set_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION, pi.as_uint64) == 0);
	CHECK(run_to_out(&v) == 0x80); /* injected whatever IF */
	CHECK(run_to_out(&v) == 0x12);

	pi.interruption_type = HV_X64_PENDING_EXCEPTION;
	pi.interruption_vector = 40; /* not an exception vector */
	CHECK(set_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION, pi.as_uint64) != 0);
	ev.event_type = 3; /* a virtualization fault: not modelled */
	CHECK(set_reg128(&v, HV_REGISTER_PENDING_EVENT1, ev.as_uint64[0], ev.as_uint64[1]) != 0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

static void put64(uint8_t *m, unsigned at, uint64_t v)
{
	memcpy(m + at, &v, 8);
}

/* 32-bit interrupt gate at IDT 0x800 for vec, to handler (selector 8). */
static void gate32(uint8_t *m, unsigned vec, uint32_t handler)
{
	put64(m, 0x800 + 8 * vec,
	      (handler & 0xffffull) | (8ull << 16) | (0x8eull << 40) | ((uint64_t)(handler >> 16) << 48));
}

/* In 32-bit protected mode an injected #GP pushes its error code; #PF from PENDING_EVENT1 too. */
static void test_injection_protected(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	union hv_register_value val;
	union hv_x64_pending_interruption_register pi;
	union hv_x64_pending_exception_event ev;
	static const uint8_t code[] = { 0xe6, 0x10, 0xe6, 0x11, 0xf4 };        /* out 0x10; out 0x11; hlt */
	static const uint8_t gp[] = { 0x58, 0xe7, 0x0d, 0xcf };                /* pop eax; out 0x0d, eax; iret */
	static const uint8_t pf[] = { 0x58, 0xe7, 0x0e, 0xcf };

	put64(vm.mem, 0x500, 0);
	put64(vm.mem, 0x508, 0x00cf9a000000ffffull); /* 32-bit code */
	put64(vm.mem, 0x510, 0x00cf92000000ffffull); /* data */
	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memcpy(vm.mem + 0x2000, gp, sizeof(gp));
	memcpy(vm.mem + 0x2020, pf, sizeof(pf));
	gate32(vm.mem, 13, 0x2000);
	gate32(vm.mem, 14, 0x2020);

	memset(&val, 0, sizeof(val));
	val.table.base = 0x500;
	val.table.limit = 0x17;
	CHECK(set_reg(&v, HV_X64_REGISTER_GDTR, &val) == 0);
	val.table.base = 0x800;
	val.table.limit = 0x7ff;
	CHECK(set_reg(&v, HV_X64_REGISTER_IDTR, &val) == 0);
	memset(&val, 0, sizeof(val));
	val.segment.limit = 0xffffffff;
	val.segment.selector = 8;
	val.segment.attributes = 0xc09b;
	CHECK(set_reg(&v, HV_X64_REGISTER_CS, &val) == 0);
	val.segment.selector = 0x10;
	val.segment.attributes = 0xc093;
	CHECK(set_reg(&v, HV_X64_REGISTER_DS, &val) == 0);
	CHECK(set_reg(&v, HV_X64_REGISTER_SS, &val) == 0);
	CHECK(set_reg(&v, HV_X64_REGISTER_ES, &val) == 0);
	CHECK(set_reg64(&v, HV_X64_REGISTER_CR0, 0x11) == 0);
	CHECK(set_reg64(&v, HV_X64_REGISTER_RIP, 0x1000) == 0);
	CHECK(set_reg64(&v, HV_X64_REGISTER_RSP, 0x8000) == 0);

	memset(&pi, 0, sizeof(pi));
	pi.interruption_pending = 1;
	pi.interruption_type = HV_X64_PENDING_EXCEPTION;
	pi.interruption_vector = 13;
	pi.deliver_error_code = 1;
	pi.error_code = 0x1234;
	CHECK(set_reg64(&v, HV_REGISTER_PENDING_INTERRUPTION, pi.as_uint64) == 0);
	CHECK(run_to_out(&v) == 13 && (uint32_t)io_msg(&v)->rax == 0x1234);
	CHECK(run_to_out(&v) == 0x10);

	memset(&ev, 0, sizeof(ev));
	ev.event_pending = 1;
	ev.vector = 14;
	ev.deliver_error_code = 1;
	ev.error_code = 6;
	ev.exception_parameter = 0x5000;
	memset(&val, 0, sizeof(val));
	val.reg128.low_part = ev.as_uint64[0];
	val.reg128.high_part = ev.as_uint64[1];
	CHECK(set_reg(&v, HV_REGISTER_PENDING_EVENT1, &val) == 0);
	CHECK(run_to_out(&v) == 14 && (uint32_t)io_msg(&v)->rax == 6);
	CHECK(get_reg64(&v, HV_X64_REGISTER_CR2) == 0x5000);
	CHECK(run_to_out(&v) == 0x11);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* ---- x2APIC ---- */

static void imm32(struct code *c, const uint8_t *op, size_t n, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	emit(c, op, n);
	emit(c, b, 4);
}

static void mov_ecx(struct code *c, uint32_t v) { static const uint8_t o[] = { 0x66, 0xb9 }; imm32(c, o, 2, v); }
static void mov_eax(struct code *c, uint32_t v) { static const uint8_t o[] = { 0x66, 0xb8 }; imm32(c, o, 2, v); }
static void mov_edx(struct code *c, uint32_t v) { static const uint8_t o[] = { 0x66, 0xba }; imm32(c, o, 2, v); }
static void rdmsr(struct code *c) { static const uint8_t o[] = { 0x0f, 0x32 }; emit(c, o, 2); }
static void wrmsr(struct code *c) { static const uint8_t o[] = { 0x0f, 0x30 }; emit(c, o, 2); }
static void out_eax(struct code *c, uint8_t port) { uint8_t o[] = { 0x66, 0xe7, port }; emit(c, o, 3); }

/* wrmsr(msr, edx:eax) */
static void wrmsr_imm(struct code *c, uint32_t msr, uint32_t hi, uint32_t lo)
{
	mov_ecx(c, msr);
	mov_edx(c, hi);
	mov_eax(c, lo);
	wrmsr(c);
}

/* A partition created x2APIC-capable (MSHV_PT_BIT_X2APIC): CPUID, the mode switch, the MSRs. */
static void test_x2apic(void)
{
	struct vm vm;
	struct vcpu v;
	struct code c;
	static const uint8_t cpuid1[] = { 0x66, 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0x66, 0x89, 0xc8, 0x66, 0xe7, 0x30 };

	vm = vm_create_with((1ull << MSHV_PT_BIT_LAPIC) | (1ull << MSHV_PT_BIT_X2APIC), 0);
	v = vcpu_create(&vm, 0);
	c.p = vm.mem + 0x1000;

	gp_skip2_handler(vm.mem, 0x2000);
	{
		/* vector 0x55: out 0x55; EOI by MSR; iret */
		struct code h = { vm.mem + 0x2100 };
		out8(&h, 0x55);
		wrmsr_imm(&h, 0x80b, 0, 0);
		op1(&h, 0xcf);
		set_ivt(vm.mem, 0x55, 0x2100);
		h.p = vm.mem + 0x2200;
		out8(&h, 0x57);
		wrmsr_imm(&h, 0x80b, 0, 0);
		op1(&h, 0xcf);
		set_ivt(vm.mem, 0x57, 0x2200);
	}
	emit(&c, cpuid1, sizeof(cpuid1)); /* out 0x30: CPUID 1 ECX */
	mov_ecx(&c, 0x802);
	rdmsr(&c);                         /* xAPIC mode: #GP */
	out8(&c, 0x31);
	wrmsr_imm(&c, 0x1b, 0, 0xfee00d00); /* x2APIC on */
	mov_ecx(&c, 0x802);
	rdmsr(&c);
	out_eax(&c, 0x32);                 /* ID: 0 */
	mov_ecx(&c, 0x80d);
	rdmsr(&c);
	out_eax(&c, 0x33);                 /* LDR: cluster 0, bit 0 */
	wrmsr_imm(&c, 0x80f, 0, 0x1ff);    /* SVR */
	op1(&c, 0xfb);
	wrmsr_imm(&c, 0x83f, 0, 0x55);     /* SELF IPI */
	out8(&c, 0x34);
	wrmsr_imm(&c, 0x830, 0, 0x57);     /* ICR, physical destination 0 (itself) */
	out8(&c, 0x35);
	mov_ecx(&c, 0x830);
	rdmsr(&c);
	out_eax(&c, 0x36);                 /* ICR reads back, delivery idle */
	mov_ecx(&c, 0x80b);
	rdmsr(&c);                         /* EOI is write-only: #GP */
	out8(&c, 0x37);
	wrmsr_imm(&c, 0x808, 0, 0x100);    /* TPR with a reserved bit: #GP */
	out8(&c, 0x38);
	wrmsr_imm(&c, 0x1b, 0, 0xfee00900); /* x2APIC -> xAPIC: #GP */
	out8(&c, 0x39);
	{
		static const uint8_t mmio[] = { 0x64, 0x66, 0xa1, 0x30, 0x00 }; /* mov eax, fs:[0x30] */
		emit(&c, mmio, sizeof(mmio));
	}
	out8(&c, 0x3a);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x30 && (io_msg(&v)->rax & (1u << 21)));
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x31);
	CHECK(run_to_out(&v) == 0x32 && io_msg(&v)->rax == 0);
	CHECK(run_to_out(&v) == 0x33 && io_msg(&v)->rax == 1);
	CHECK(run_to_out(&v) == 0x55 && run_to_out(&v) == 0x34);
	CHECK(run_to_out(&v) == 0x57 && run_to_out(&v) == 0x35);
	CHECK(run_to_out(&v) == 0x36 && io_msg(&v)->rax == 0x57 && v.regs->rdx == 0);
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x37);
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x38);
	CHECK(run_to_out(&v) == 0x0d && run_to_out(&v) == 0x39);
	CHECK(get_reg64(&v, HV_X64_REGISTER_APIC_BASE) == 0xfee00d00);
	{
		/* the LAPIC state blob round-trips in x2APIC mode (32-bit ID and LDR) */
		struct mshv_get_set_vp_state st;
		uint8_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		const struct hv_local_interrupt_controller_state *ls = (const void *)buf;
		memset(&st, 0, sizeof(st));
		st.type = MSHV_VP_STATE_LAPIC;
		st.buf_sz = 4096;
		st.buf_ptr = (uintptr_t)buf;
		CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == 0);
		CHECK(ls->apic_id == 0 && ls->apic_ldr == 1 && ls->apic_spurious == 0x1ff);
		st.buf_sz = 4096;
		CHECK(ioctl(v.fd, MSHV_SET_VP_STATE, &st) == 0);
		munmap(buf, 4096);
	}
	/* the APIC page is not decoded in x2APIC mode: the read reaches the (unmapped) GPA */
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_UNMAPPED_GPA);
	CHECK(((const struct hv_x64_memory_intercept_message *)v.msg.u.payload)->guest_physical_address ==
	      0xfee00030);
	v.regs->rip += 5;
	v.regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	CHECK(run_to_out(&v) == 0x3a);
	vcpu_destroy(&v);
	close(vm.pt);
	munmap(vm.mem, MEM_SIZE);

	/* without the flag: no x2APIC in CPUID, and IA32_APIC_BASE[10] is refused */
	vm = vm_create();
	v = vcpu_create(&vm, 0);
	c.p = vm.mem + 0x1000;
	emit(&c, cpuid1, sizeof(cpuid1));
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);
	CHECK(run_to_out(&v) == 0x30 && !(io_msg(&v)->rax & (1u << 21)));
	CHECK(set_reg64(&v, HV_X64_REGISTER_APIC_BASE, 0xfee00d00) != 0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* ---- interprocessor interrupts ---- */

struct ap {
	struct vcpu v;
	_Atomic int log[64];
	atomic_int n;
	atomic_bool done;
	uint64_t start_cs_base, start_rip;
};

static void *ap_thread(void *p)
{
	struct ap *a = p;

	while (!atomic_load(&a->done) && atomic_load(&a->n) < 64) {
		int port = run_to_out(&a->v);
		if (port == 0x30) {
			/* started by the SIPI: where, and then FS at the APIC page */
			a->start_cs_base = io_msg(&a->v)->header.cs_segment.base;
			a->start_rip = io_msg(&a->v)->header.rip;
			set_seg(&a->v, HV_X64_REGISTER_FS, 0xfee00000, 0);
		}
		a->log[atomic_load(&a->n)] = port;
		atomic_fetch_add(&a->n, 1);
		if (port < 0 || port == 0x3f)
			break;
	}
	return NULL;
}

/* Wait (at most 5 s) until the AP logged port. */
static bool ap_saw(struct ap *a, int port)
{
	for (int t = 0; t < 5000; t++) {
		for (int i = 0; i < atomic_load(&a->n); i++)
			if (a->log[i] == port)
				return true;
		usleep(1000);
	}
	return false;
}

static void test_ipis(void)
{
	struct vm vm = vm_create();
	struct vcpu bsp = vcpu_create(&vm, 0);
	struct ap *a = calloc(1, sizeof(*a));
	struct code c = { vm.mem + 0x1000 };
	pthread_t t;

	a->v = vcpu_create(&vm, 1);
	/* the AP is created waiting for a SIPI; the BSP is not */
	CHECK((get_reg64(&a->v, HV_REGISTER_INTERNAL_ACTIVITY_STATE) & 1) == 1);
	CHECK((get_reg64(&bsp, HV_REGISTER_INTERNAL_ACTIVITY_STATE) & 1) == 0);

	/* the AP's code at 0x3000 (SIPI vector 3), its handlers */
	{
		struct code ap = { vm.mem + 0x3000 };
		out8(&ap, 0x30);
		apic_wr(&ap, 0xf0, 0x1ff);       /* SVR: enabled */
		apic_wr(&ap, 0xd0, 0x01000000);  /* LDR: logical ID bit 0 (flat) */
		out8(&ap, 0x31);
		op1(&ap, 0xfb);                  /* sti */
		op1(&ap, 0xf4);                  /* hlt */
		uint8_t back[] = { 0xeb, 0xfd }; /* jmp to the hlt */
		emit(&ap, back, sizeof(back));
	}
	handler(vm.mem, 0x2000, 0x50, true);
	handler(vm.mem, 0x2020, 0x51, true);
	handler(vm.mem, 0x2040, 0x52, true);
	handler(vm.mem, 0x2060, 0x53, true);
	handler(vm.mem, 0x2080, 0x02, false); /* NMI */
	handler(vm.mem, 0x20a0, 0x54, true);

	apic_wr(&c, 0xf0, 0x1ff);
	apic_wr(&c, 0x310, 0x01000000); /* ICR high: APIC ID 1 */
	apic_wr(&c, 0x300, 0x0000c500); /* INIT, level assert */
	apic_wr(&c, 0x300, 0x00008500); /* INIT level de-assert: nothing */
	apic_wr(&c, 0x300, 0x00000603); /* SIPI, vector 3: 0x3000 */
	apic_wr(&c, 0x300, 0x00000604); /* the second SIPI is ignored */
	out8(&c, 0x10);
	apic_wr(&c, 0x300, 0x00000050); /* fixed, physical ID 1 */
	apic_rd_out(&c, 0x300, 0x11);   /* delivery status idle */
	apic_wr(&c, 0x310, 0x01000000);
	apic_wr(&c, 0x300, 0x00000851); /* fixed, logical 0x01: the AP (the BSP's LDR is 0) */
	out8(&c, 0x12);
	apic_wr(&c, 0x310, 0x04000000);
	apic_wr(&c, 0x300, 0x00000852); /* logical 0x04: nobody */
	apic_wr(&c, 0x310, 0xff000000);
	apic_wr(&c, 0x300, 0x00000853); /* physical broadcast */
	out8(&c, 0x13);
	apic_wr(&c, 0x300, 0x000c0400); /* NMI to all excluding self */
	out8(&c, 0x14);
	apic_wr(&c, 0x300, 0x000c0000 | 0x52); /* fixed 0x52 to all excluding self */
	out8(&c, 0x15);
	op1(&c, 0xf4);
	vcpu_setup(&bsp, 0x1000);

	pthread_create(&t, NULL, ap_thread, a);
	usleep(20000);
	CHECK(atomic_load(&a->n) == 0); /* still waiting for its SIPI */

	CHECK(run_to_out(&bsp) == 0x10);
	CHECK(ap_saw(a, 0x31));
	CHECK(a->start_cs_base == 0x3000 && a->start_rip == 0);
	CHECK((get_reg64(&bsp, HV_REGISTER_INTERNAL_ACTIVITY_STATE) & 1) == 0);
	CHECK(run_to_out(&bsp) == 0x11 && (io_msg(&bsp)->rax & (1u << 12)) == 0 &&
	      (io_msg(&bsp)->rax & 0xfff) == 0x050);
	CHECK(ap_saw(a, 0x50));
	CHECK(run_to_out(&bsp) == 0x12);
	CHECK(ap_saw(a, 0x51));
	CHECK(run_to_out(&bsp) == 0x13);
	CHECK(ap_saw(a, 0x53));
	CHECK(run_to_out(&bsp) == 0x14);
	CHECK(ap_saw(a, 0x02));
	CHECK(run_to_out(&bsp) == 0x15);
	CHECK(ap_saw(a, 0x52));
	{
		/* the VMM's interrupt to logical destination 0x01 goes to the APIC whose LDR has bit 0: the AP */
		struct hv_input_assert_virtual_interrupt ain;
		memset(&ain, 0, sizeof(ain));
		ain.control.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
		ain.control.logical_dest_mode = 1;
		ain.dest_addr = 0x01;
		ain.vector = 0x54;
		CHECK(hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == 0);
		CHECK(ap_saw(a, 0x54));
	}
	{
		/* exactly these, in this order: the logical 0x04 IPI reached nobody */
		static const int want[] = { 0x30, 0x31, 0x50, 0x51, 0x53, 0x02, 0x52, 0x54 };
		int n = atomic_load(&a->n);
		CHECK(n == (int)(sizeof(want) / sizeof(want[0])));
		for (int i = 0; i < n && i < 8; i++)
			CHECK(a->log[i] == want[i]);
	}
	atomic_store(&a->done, true);
	/* the AP sleeps in its HLT: a signal ends its run (EINTR), as a VMM stops a VP */
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	vcpu_destroy(&a->v);
	free(a);
	vcpu_destroy(&bsp);
	vm_destroy(&vm);
}

/* An AP whose VMM starts it itself: clearing startup suspend lets it run from its registers. */
struct kick_arg {
	struct vcpu *v;
	int ret, err;
	atomic_bool returned;
};

static void *run_once(void *p)
{
	struct kick_arg *k = p;

	k->ret = vcpu_run(k->v);
	k->err = errno;
	atomic_store(&k->returned, true);
	return NULL;
}

/*
 * An AP waits for a SIPI in MSHV_RUN_VP, sleeping (a signal ends the wait
 * with EINTR); a VMM that starts it itself clears startup suspend.
 */
static void test_ap_started_by_vmm(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 1);
	struct code c = { vm.mem + 0x1000 };
	struct kick_arg k = { &v, 0, 0, false };
	struct timespec c0, c1;
	pthread_t t;

	out8(&c, 0x20);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);
	CHECK(get_reg64(&v, HV_REGISTER_INTERNAL_ACTIVITY_STATE) == 1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	pthread_create(&t, NULL, run_once, &k);
	usleep(200000);
	CHECK(!atomic_load(&k.returned)); /* still waiting */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	/* asleep, not spinning: well under the 200 ms of CPU a busy wait would take */
	CHECK((c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6 < 100);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	CHECK(k.ret == -1 && k.err == EINTR);
	CHECK(get_reg64(&v, HV_REGISTER_INTERNAL_ACTIVITY_STATE) == 1);
	CHECK(set_reg64(&v, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0) == 0);
	CHECK(get_reg64(&v, HV_REGISTER_INTERNAL_ACTIVITY_STATE) == 0);
	CHECK(run_to_out(&v) == 0x20);
	CHECK(set_reg64(&v, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 4) != 0); /* idle suspend: refused */
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/*
 * Cross-modifying code: VP 1 spins on an instruction whose immediate VP 0
 * rewrites. Every processor sees the new instruction once the writer is
 * done (SDM vol. 3A 9.1.3; Linux's text patching relies on it while the
 * other CPUs run). Before the fix VP 1 kept executing its stale
 * translation until something else made it exit: here, forever.
 */
struct xmc_arg {
	struct vcpu *v;
	int port;
	atomic_bool done;
};

static void *xmc_run(void *p)
{
	struct xmc_arg *a = p;

	a->port = run_to_out(a->v);
	atomic_store(&a->done, true);
	return NULL;
}

static void test_cross_modifying_code(void)
{
	static const uint8_t spin[] = {
		0xb8, 0x00, 0x00,       /* 0x2000: mov $0, %ax  (VP 0 rewrites the immediate at 0x2001) */
		0x3d, 0x34, 0x12,       /* cmp $0x1234, %ax */
		0x75, 0xf8,             /* jne 0x2000 */
		0xe6, 0x21,             /* out %al, $0x21 */
		0xf4,                   /* hlt */
	};
	static const uint8_t patch[] = {
		0xc7, 0x06, 0x01, 0x20, 0x34, 0x12, /* movw $0x1234, 0x2001 */
		0xe6, 0x20,                         /* out %al, $0x20 */
		0xf4,
	};
	struct vm vm = vm_create();
	struct vcpu v0 = vcpu_create(&vm, 0), v1 = vcpu_create(&vm, 1);
	struct xmc_arg a = { &v1, 0, false };
	pthread_t t;
	double end;

	memcpy(vm.mem + 0x2000, spin, sizeof(spin));
	memcpy(vm.mem + 0x1000, patch, sizeof(patch));
	vcpu_setup(&v0, 0x1000);
	vcpu_setup(&v1, 0x2000);
	CHECK(set_reg64(&v1, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0) == 0);
	pthread_create(&t, NULL, xmc_run, &a);
	usleep(100000); /* VP 1 spins in its translation of the loop */
	CHECK(!atomic_load(&a.done));
	CHECK(run_to_out(&v0) == 0x20);
	for (end = now() + 2; now() < end && !atomic_load(&a.done);)
		usleep(1000);
	CHECK(atomic_load(&a.done)); /* VP 1 saw the new immediate */
	while (!atomic_load(&a.done)) {
		pthread_kill(t, SIGUSR1);
		usleep(1000);
	}
	pthread_join(t, NULL);
	CHECK(a.port == 0x21);
	vcpu_destroy(&v1);
	vcpu_destroy(&v0);
	vm_destroy(&vm);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* x2APIC IPIs between two VPs of an x2APIC-capable partition: physical, logical (cluster), broadcast. */
static void test_x2apic_ipis(void)
{
	struct vm vm;
	struct vcpu bsp;
	struct ap *a = calloc(1, sizeof(*a));
	struct code c;
	pthread_t t;

	vm = vm_create_with((1ull << MSHV_PT_BIT_LAPIC) | (1ull << MSHV_PT_BIT_X2APIC), 0);
	bsp = vcpu_create(&vm, 0);
	a->v = vcpu_create(&vm, 1);

	for (unsigned vec = 0x58; vec <= 0x5a; vec++) {
		struct code h = { vm.mem + 0x2000 + (vec - 0x58) * 0x40 };
		out8(&h, (uint8_t)vec);
		wrmsr_imm(&h, 0x80b, 0, 0); /* EOI */
		op1(&h, 0xcf);
		set_ivt(vm.mem, vec, (uint16_t)(0x2000 + (vec - 0x58) * 0x40));
	}
	/* the AP, started by the VMM at 0x3000: x2APIC on, SVR, then wait */
	c.p = vm.mem + 0x3000;
	wrmsr_imm(&c, 0x1b, 0, 0xfee00c00);
	wrmsr_imm(&c, 0x80f, 0, 0x1ff);
	mov_ecx(&c, 0x80d);
	rdmsr(&c);
	out_eax(&c, 0x31); /* LDR: cluster 0, bit 1 */
	op1(&c, 0xfb);
	op1(&c, 0xf4);
	{
		uint8_t back[] = { 0xeb, 0xfd };
		emit(&c, back, sizeof(back));
	}
	/* the BSP */
	c.p = vm.mem + 0x1000;
	wrmsr_imm(&c, 0x1b, 0, 0xfee00d00);
	wrmsr_imm(&c, 0x80f, 0, 0x1ff);
	out8(&c, 0x10);
	wrmsr_imm(&c, 0x830, 1, 0x58);          /* physical, x2APIC ID 1 */
	out8(&c, 0x11);
	wrmsr_imm(&c, 0x830, 0x00000002, 0x859); /* logical, cluster 0 bit 1 */
	out8(&c, 0x12);
	wrmsr_imm(&c, 0x830, 0x00010002, 0x858); /* logical, cluster 1: nobody */
	wrmsr_imm(&c, 0x830, 0xffffffff, 0x5a);  /* physical broadcast */
	out8(&c, 0x13);
	op1(&c, 0xf4);

	vcpu_setup(&bsp, 0x1000);
	vcpu_setup(&a->v, 0x3000);
	CHECK(set_reg64(&a->v, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0) == 0);
	pthread_create(&t, NULL, ap_thread, a);
	CHECK(ap_saw(a, 0x31));
	CHECK(a->log[0] == 0x31 && a->v.regs->rax == 2);
	CHECK(run_to_out(&bsp) == 0x10);
	CHECK(run_to_out(&bsp) == 0x11 && ap_saw(a, 0x58));
	CHECK(run_to_out(&bsp) == 0x12 && ap_saw(a, 0x59));
	CHECK(run_to_out(&bsp) == 0x13 && ap_saw(a, 0x5a));
	{
		static const int want[] = { 0x31, 0x58, 0x59, 0x5a };
		int n = atomic_load(&a->n);
		CHECK(n == 4);
		for (int i = 0; i < n && i < 4; i++)
			CHECK(a->log[i] == want[i]);
	}
	atomic_store(&a->done, true);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	vcpu_destroy(&a->v);
	free(a);
	vcpu_destroy(&bsp);
	close(vm.pt);
	munmap(vm.mem, MEM_SIZE);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "timer_oneshot_halted", test_timer_oneshot_halted },
		{ "timer_periodic_running", test_timer_periodic_running },
		{ "timer_masked", test_timer_masked },
		{ "timer_tsc_deadline", test_timer_tsc_deadline },
		{ "level_eoi", test_level_eoi },
		{ "extint", test_extint },
		{ "apic_base", test_apic_base },
		{ "injection", test_injection },
		{ "injection_protected", test_injection_protected },
		{ "x2apic", test_x2apic },
		{ "ap_started_by_vmm", test_ap_started_by_vmm },
		{ "ipis", test_ipis },
		{ "x2apic_ipis", test_x2apic_ipis },
		{ "cross_modifying_code", test_cross_modifying_code },
	};
	struct sigaction sa;

	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: MSHV_RUN_VP returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	alarm(50); /* a timer or IPI that never arrives must fail, not hang */
	/* all tests, or the one named (apic_test timer_masked) */
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			tests[i].fn();
	close(mshv_fd);
	printf("apic: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

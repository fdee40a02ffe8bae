/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The hypervisor's synthetic interrupt controller and synthetic timers as
 * a guest uses them, on raw /dev/mshv ioctls, with real-mode guest code:
 *
 *  - features: the partition's HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES
 *    decide CPUID's hypervisor leaves and the synthetic MSRs (none set: no
 *    hypervisor leaves and #GP; mshv-ioctls' defaults; without SynIC and
 *    timers); SINT and direct-mode vectors below 16 #GP;
 *  - messages and events the root sends (HVCALL_POST_MESSAGE_DIRECT,
 *    HVCALL_SIGNAL_EVENT_DIRECT): the slot and flag written, the SINT's
 *    interrupt, a taken slot (HV_STATUS_OBJECT_IN_USE and the
 *    message-pending flag), a masked SINT, auto-EOI (no ISR bit), the SIMP
 *    page zeroed when the guest enables it; deliverability notifications
 *    (HVMSG_SYNIC_SINT_DELIVERABLE once a refused SINT can take a message);
 *  - a one-shot timer in message mode (HVMSG_TIMER_EXPIRED, its payload),
 *    one that expires while its slot is taken (delivered after the guest's
 *    EOM), and a periodic timer in direct mode;
 *  - the pages and timers as VP state (MSHV_GET_VP_STATE).
 *
 * The guests run in real mode; FS is based at the APIC page. Runs under
 * tools/mshv-sim; exits 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "rm_guest.h"

#define MSR_SCONTROL 0x40000080u
#define MSR_SVERSION 0x40000081u
#define MSR_SIEFP 0x40000082u
#define MSR_SIMP 0x40000083u
#define MSR_EOM 0x40000084u
#define MSR_SINT(n) (0x40000090u + (n))
#define MSR_STIMER_CONFIG(n) (0x400000b0u + 2 * (n))
#define MSR_STIMER_COUNT(n) (0x400000b1u + 2 * (n))
#define MSR_TIME_REF_COUNT 0x40000020u
#define SINT_AUTO_EOI (1u << 17)
#define STIMER_ENABLE 0x1u
#define STIMER_PERIODIC 0x2u
#define STIMER_AUTO_ENABLE 0x8u
#define STIMER_DIRECT 0x1000u

#define SIMP 0x3000u
#define SIEFP 0x4000u
#define COUNTERS 0x5000u /* bytes the handlers count in */
#define SLOT(n) (SIMP + 256u * (n))
/* TLFS status codes Linux's headers do not name */
#define STATUS_INVALID_SYNIC_STATE 0x18
#define STATUS_OBJECT_IN_USE 0x19

/* ---- real-mode instructions ---- */

static void imm32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);
}

/* mov ecx, msr; mov eax, lo; mov edx, hi; wrmsr */
static void wrmsr_imm(struct code *c, uint32_t msr, uint64_t val)
{
	uint8_t b[20] = { 0x66, 0xb9, 0, 0, 0, 0, 0x66, 0xb8, 0, 0, 0, 0, 0x66, 0xba, 0, 0, 0, 0, 0x0f, 0x30 };

	imm32(b + 2, msr);
	imm32(b + 8, (uint32_t)val);
	imm32(b + 14, (uint32_t)(val >> 32));
	emit(c, b, sizeof(b));
}

/* mov ecx, msr; rdmsr; out port, eax */
static void rdmsr_out(struct code *c, uint32_t msr, uint8_t port)
{
	uint8_t b[11] = { 0x66, 0xb9, 0, 0, 0, 0, 0x0f, 0x32, 0x66, 0xe7, port };

	imm32(b + 2, msr);
	emit(c, b, sizeof(b));
}

/* mov eax, leaf; xor ecx, ecx; cpuid; out port, eax; (ebx, ecx, edx to port + 1, 2, 3) */
static void cpuid_out(struct code *c, uint32_t leaf, uint8_t port)
{
	uint8_t b[] = { 0x66, 0xb8, 0, 0, 0, 0, 0x66, 0x31, 0xc9, 0x0f, 0xa2, 0x66, 0xe7, port,
			0x66, 0x89, 0xd8, 0x66, 0xe7, (uint8_t)(port + 1), 0x66, 0x89, 0xc8, 0x66, 0xe7,
			(uint8_t)(port + 2), 0x66, 0x89, 0xd0, 0x66, 0xe7, (uint8_t)(port + 3) };

	imm32(b + 2, leaf);
	emit(c, b, sizeof(b));
}

/* mov eax, [addr]; out port, eax */
static void mem_out(struct code *c, uint16_t addr, uint8_t port)
{
	uint8_t b[] = { 0x66, 0xa1, (uint8_t)addr, (uint8_t)(addr >> 8), 0x66, 0xe7, port };

	emit(c, b, sizeof(b));
}

/* mov dword [addr], val */
static void mem_wr(struct code *c, uint16_t addr, uint32_t val)
{
	uint8_t b[9] = { 0x66, 0xc7, 0x06, (uint8_t)addr, (uint8_t)(addr >> 8) };

	imm32(b + 5, val);
	emit(c, b, sizeof(b));
}

/* inc byte [addr] */
static void mem_inc8(struct code *c, uint16_t addr)
{
	uint8_t b[] = { 0xfe, 0x06, (uint8_t)addr, (uint8_t)(addr >> 8) };

	emit(c, b, sizeof(b));
}

/* until byte [addr] == val: cmp byte [addr], val; jne back */
static void wait_byte(struct code *c, uint16_t addr, uint8_t val)
{
	uint8_t b[] = { 0x80, 0x3e, (uint8_t)addr, (uint8_t)(addr >> 8), val, 0x75, 0xf9 };

	emit(c, b, sizeof(b));
}

/* until byte [addr] & bit: test byte [addr], bit; jz back */
static void wait_bit(struct code *c, uint16_t addr, uint8_t bit)
{
	uint8_t b[] = { 0xf6, 0x06, (uint8_t)addr, (uint8_t)(addr >> 8), bit, 0x74, 0xf9 };

	emit(c, b, sizeof(b));
}

/* mov ecx, TIME_REF_COUNT; rdmsr; add eax, delta; adc edx, 0; mov ecx, msr; wrmsr: now + delta (100 ns) */
static void wrmsr_ref_plus(struct code *c, uint32_t msr, uint32_t delta)
{
	uint8_t b[] = { 0x66, 0xb9, 0, 0, 0, 0, 0x0f, 0x32, 0x66, 0x05, 0, 0, 0, 0,
			0x66, 0x83, 0xd2, 0x00, 0x66, 0xb9, 0, 0, 0, 0, 0x0f, 0x30 };

	imm32(b + 2, MSR_TIME_REF_COUNT);
	imm32(b + 10, delta);
	imm32(b + 20, msr);
	emit(c, b, sizeof(b));
}

/* ---- the root's side ---- */

static uint16_t post(struct vm *vm, uint32_t vp, uint32_t sint, uint32_t type, uint32_t word0)
{
	struct hv_input_post_message_direct in;
	struct mshv_root_hvcall hc;

	memset(&in, 0, sizeof(in));
	in.vp_index = vp;
	in.sint_index = sint;
	memcpy(in.message, &type, 4);
	in.message[4] = 4; /* payload_size */
	memcpy(in.message + 16, &word0, 4);
	hvcall(vm->pt, HVCALL_POST_MESSAGE_DIRECT, 0, &in, sizeof(in), NULL, 0, &hc);
	return hc.status;
}

static uint16_t signal_event(struct vm *vm, uint32_t vp, uint8_t sint, uint16_t flag, bool *newly)
{
	struct hv_input_signal_event_direct in;
	struct hv_output_signal_event_direct out;
	struct mshv_root_hvcall hc;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.target_vp = vp;
	in.target_sint = sint;
	in.flag_number = flag;
	hvcall(vm->pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in, sizeof(in), &out, sizeof(out), &hc);
	*newly = out.newly_signaled;
	return hc.status;
}

static uint32_t u32_at(const struct vm *vm, uint32_t gpa)
{
	uint32_t v;

	memcpy(&v, vm->mem + gpa, 4);
	return v;
}

static uint64_t u64_at(const struct vm *vm, uint32_t gpa)
{
	uint64_t v;

	memcpy(&v, vm->mem + gpa, 8);
	return v;
}

/* MSHV_GET_VP_STATE of type into a page-aligned buf (4 KiB); its size, or -1. */
static int get_state(struct vcpu *v, uint8_t type, uint8_t *buf)
{
	struct mshv_get_set_vp_state st;

	memset(&st, 0, sizeof(st));
	st.type = type;
	st.buf_sz = 4096;
	st.buf_ptr = (uintptr_t)buf;
	return ioctl(v->fd, MSHV_GET_VP_STATE, &st) == 0 ? (int)st.buf_sz : -1;
}

/* The value the guest wrote to port (the next port write must be to it). */
static uint32_t expect_out(struct vcpu *v, int port)
{
	int p = run_to_out(v);

	if (p != port) {
		printf("expected a write to port 0x%x, got 0x%x\n", port, p);
		CHECK(p == port);
	}
	return (uint32_t)io_msg(v)->rax;
}

/* ---- the tests ---- */

/*
 * CPUID and the synthetic MSRs follow the partition's features: none set
 * (no hypervisor leaves, CPUID 1 ECX[31] clear, the SynIC's MSRs #GP);
 * mshv-ioctls' defaults (0x4000000a leaves, EAX 0xa7e, EDX with the
 * frequency MSRs and direct timers, SVERSION 1); the defaults without
 * SynIC, timers and direct timers (EAX 0xa72: their MSRs #GP).
 */
static void test_features(void)
{
	static const uint64_t no_synic = MSHV_DEFAULT_SYNTHETIC_FEATURES & ~((1ull << 4) | (1ull << 5) | (1ull << 22));
	static const uint64_t sets[] = { 0, MSHV_DEFAULT_SYNTHETIC_FEATURES, no_synic };

	for (unsigned i = 0; i < 3; i++) {
		struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, sets[i]);
		struct vcpu v = vcpu_create(&vm, 0);
		struct code c = { vm.mem + 0x1000 };
		uint32_t l[4];

		gp_skip2_handler(vm.mem, 0x2000);
		cpuid_out(&c, 1, 0x20);
		cpuid_out(&c, 0x40000000, 0x24);
		cpuid_out(&c, 0x40000003, 0x28);
		rdmsr_out(&c, MSR_SVERSION, 0x30);
		rdmsr_out(&c, MSR_STIMER_CONFIG(0), 0x31);
		rdmsr_out(&c, MSR_TIME_REF_COUNT, 0x32);
		out8(&c, 0x33);
		op1(&c, 0xf4);
		vcpu_setup(&v, 0x1000);

		for (unsigned k = 0; k < 4; k++)
			l[k] = expect_out(&v, 0x20 + (int)k);
		CHECK(!!(l[2] & (1u << 31)) == (i != 0)); /* hypervisor present */
		for (unsigned k = 0; k < 4; k++)
			l[k] = expect_out(&v, 0x24 + (int)k);
		if (i == 0)
			CHECK(l[0] == 0 && l[1] == 0 && l[2] == 0 && l[3] == 0);
		else
			CHECK(l[0] == 0x4000000a && memcmp(&l[1], "Micr", 4) == 0);
		for (unsigned k = 0; k < 4; k++)
			l[k] = expect_out(&v, 0x28 + (int)k);
		CHECK(l[0] == (i == 0 ? 0 : i == 1 ? 0xa7eu : 0xa72u));
		CHECK(l[3] == (i == 0 ? 0 : i == 1 ? 0x80100u : 0x100u));
		if (i == 1) {
			CHECK(expect_out(&v, 0x30) == 1); /* SVERSION */
			CHECK(expect_out(&v, 0x31) == 0); /* a timer's reset configuration */
		} else {
			CHECK(run_to_out(&v) == 0x0d); /* SVERSION: #GP */
			CHECK(run_to_out(&v) == 0x30);
			CHECK(run_to_out(&v) == 0x0d); /* STIMER0_CONFIG: #GP */
			CHECK(run_to_out(&v) == 0x31);
		}
		if (i == 0)
			CHECK(run_to_out(&v) == 0x0d); /* TIME_REF_COUNT: #GP without the feature */
		CHECK(run_to_out(&v) == 0x32);
		CHECK(run_to_out(&v) == 0x33);
		vcpu_destroy(&v);
		vm_destroy(&vm);
	}
}

/* Vectors below 16 #GP for an unmasked SINT and a direct-mode timer; direct mode needs its feature. */
static void test_illegal_vectors(void)
{
	static const uint64_t no_direct = MSHV_DEFAULT_SYNTHETIC_FEATURES & ~(1ull << 22);
	static const uint64_t sets[] = { MSHV_DEFAULT_SYNTHETIC_FEATURES, no_direct };

	for (unsigned i = 0; i < 2; i++) {
		struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, sets[i]);
		struct vcpu v = vcpu_create(&vm, 0);
		struct code c = { vm.mem + 0x1000 };

		gp_skip2_handler(vm.mem, 0x2000);
		wrmsr_imm(&c, MSR_SINT(0), 0x05);            /* unmasked, vector 5: #GP */
		out8(&c, 0x20);
		wrmsr_imm(&c, MSR_SINT(0), 0x10005);         /* masked: any vector */
		out8(&c, 0x21);
		wrmsr_imm(&c, MSR_STIMER_CONFIG(0), STIMER_DIRECT | (0x08u << 4)); /* direct, vector 8: #GP */
		out8(&c, 0x22);
		wrmsr_imm(&c, MSR_STIMER_CONFIG(0), STIMER_DIRECT | (0x40u << 4)); /* #GP without the feature */
		out8(&c, 0x23);
		op1(&c, 0xf4);
		vcpu_setup(&v, 0x1000);

		CHECK(run_to_out(&v) == 0x0d);
		CHECK(run_to_out(&v) == 0x20);
		CHECK(run_to_out(&v) == 0x21);
		CHECK(run_to_out(&v) == 0x0d);
		CHECK(run_to_out(&v) == 0x22);
		if (i == 1)
			CHECK(run_to_out(&v) == 0x0d);
		CHECK(run_to_out(&v) == 0x23);
		vcpu_destroy(&v);
		vm_destroy(&vm);
	}
}

/*
 * The root posts and signals: SINT 2 (vector 0x50, EOI'd by its handler)
 * and SINT 4 (vector 0x51, auto-EOI, its handler sends no EOI).
 */
static void test_root_messages_and_events(void)
{
	struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, MSHV_DEFAULT_SYNTHETIC_FEATURES);
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 }, h = { vm.mem + 0x2000 };
	bool newly;

	/* vector 0x50: out 0x50; the slot's type and first payload word; ISR[95:64]; EOI; iret */
	set_ivt(vm.mem, 0x50, 0x2000);
	out8(&h, 0x50);
	mem_out(&h, SLOT(2), 0x60);
	mem_out(&h, SLOT(2) + 16, 0x61);
	apic_rd_out(&h, 0x120, 0x62);
	apic_wr(&h, 0xb0, 0);
	op1(&h, 0xcf);
	/* vector 0x51 (auto-EOI): out 0x51; ISR[95:64]; iret without EOI */
	set_ivt(vm.mem, 0x51, 0x2100);
	h.p = vm.mem + 0x2100;
	out8(&h, 0x51);
	apic_rd_out(&h, 0x120, 0x63);
	op1(&h, 0xcf);

	memset(vm.mem + SIMP, 0xff, 4096); /* enabling the page zeroes it */
	wrmsr_imm(&c, MSR_SIMP, SIMP | 1);
	wrmsr_imm(&c, MSR_SIEFP, SIEFP | 1);
	wrmsr_imm(&c, MSR_SINT(2), 0x50);
	wrmsr_imm(&c, MSR_SINT(4), 0x51 | SINT_AUTO_EOI);
	wrmsr_imm(&c, MSR_SCONTROL, 1);
	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb); /* sti */
	out8(&c, 0x10);
	op1(&c, 0xf4); /* hlt; jmp hlt */
	op1(&c, 0xeb);
	op1(&c, 0xfd);
	vcpu_setup(&v, 0x1000);

	/* before the SynIC is on: nothing can be delivered */
	CHECK(post(&vm, 0, 2, 0x100, 1) == STATUS_INVALID_SYNIC_STATE);
	CHECK(signal_event(&vm, 0, 2, 0, &newly) == HV_STATUS_SUCCESS && !newly);
	CHECK(run_to_out(&v) == 0x10);
	CHECK(vm.mem[SIMP] == 0 && vm.mem[SIMP + 4095] == 0);

	CHECK(post(&vm, 0, 2, 0x100, 0xabcd1234) == HV_STATUS_SUCCESS);
	CHECK(u32_at(&vm, SLOT(2)) == 0x100 && vm.mem[SLOT(2) + 4] == 4);
	CHECK(run_to_out(&v) == 0x50);
	CHECK(expect_out(&v, 0x60) == 0x100);
	CHECK(expect_out(&v, 0x61) == 0xabcd1234);
	CHECK(expect_out(&v, 0x62) & (1u << 16)); /* in service: 0x50 = 64 + 16 */
	/* the slot is still taken: refused, and the guest is asked for an EOM */
	CHECK(post(&vm, 0, 2, 0x101, 0) == STATUS_OBJECT_IN_USE);
	CHECK(u32_at(&vm, SLOT(2)) == 0x100 && (vm.mem[SLOT(2) + 5] & 1));
	CHECK(post(&vm, 0, 3, 0x100, 0) == STATUS_INVALID_SYNIC_STATE); /* SINT 3 is masked */
	CHECK(post(&vm, 0, 2, 0, 0) == HV_STATUS_INVALID_PARAMETER);    /* HVMSG_NONE */

	/* an event flag: set, the SINT's interrupt; set again: nothing new */
	CHECK(signal_event(&vm, 0, 2, 13, &newly) == HV_STATUS_SUCCESS && newly);
	CHECK(vm.mem[SIEFP + 2 * 256 + 1] == (1u << 5));
	CHECK(signal_event(&vm, 0, 2, 13, &newly) == HV_STATUS_SUCCESS && !newly);
	CHECK(signal_event(&vm, 0, 2, 2048, &newly) == HV_STATUS_INVALID_PARAMETER);
	CHECK(run_to_out(&v) == 0x50);
	expect_out(&v, 0x60);
	expect_out(&v, 0x61);
	expect_out(&v, 0x62);

	/* auto-EOI: taken without an ISR bit, so a second one of the same vector is taken too */
	CHECK(signal_event(&vm, 0, 4, 0, &newly) == HV_STATUS_SUCCESS && newly);
	CHECK(run_to_out(&v) == 0x51);
	CHECK((expect_out(&v, 0x63) & (1u << 17)) == 0);
	CHECK(signal_event(&vm, 0, 4, 1, &newly) == HV_STATUS_SUCCESS && newly);
	CHECK(run_to_out(&v) == 0x51);
	CHECK((expect_out(&v, 0x63) & (1u << 17)) == 0);
	CHECK(vm.mem[SIEFP + 4 * 256] == 3);
	/* the pages as VP state: what the guest sees */
	{
		uint8_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(get_state(&v, MSHV_VP_STATE_SIMP, buf) == 4096 && memcmp(buf, vm.mem + SIMP, 4096) == 0);
		CHECK(get_state(&v, MSHV_VP_STATE_SIEFP, buf) == 4096 && memcmp(buf, vm.mem + SIEFP, 4096) == 0);
		munmap(buf, 4096);
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/*
 * Timer 0 in message mode to SINT 3 (vector 0x52): a one-shot expiry 20 ms
 * ahead (HVMSG_TIMER_EXPIRED: timer 0, expiration = the count, delivered
 * no earlier, the timer disabled after); then one 10 ms ahead while the
 * guest holds the slot: the slot's message-pending flag is set, and the
 * message comes after the guest frees the slot and writes EOM.
 */
static void test_timer_message(void)
{
	struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, MSHV_DEFAULT_SYNTHETIC_FEATURES);
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 }, h = { vm.mem + 0x2000 };
	double t0, dt;
	uint64_t count;

	/* vector 0x52: out 0x52; type; timer index; expiration (low); size and flags; free; EOM; EOI */
	set_ivt(vm.mem, 0x52, 0x2000);
	out8(&h, 0x52);
	mem_out(&h, SLOT(3), 0x60);
	mem_out(&h, SLOT(3) + 16, 0x61);
	mem_out(&h, SLOT(3) + 24, 0x64);
	mem_out(&h, SLOT(3) + 4, 0x65);
	mem_wr(&h, SLOT(3), 0);
	wrmsr_imm(&h, MSR_EOM, 0);
	mem_inc8(&h, COUNTERS);
	apic_wr(&h, 0xb0, 0);
	op1(&h, 0xcf);

	wrmsr_imm(&c, MSR_SIMP, SIMP | 1);
	wrmsr_imm(&c, MSR_SINT(3), 0x52);
	wrmsr_imm(&c, MSR_SCONTROL, 1);
	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb);
	wrmsr_imm(&c, MSR_STIMER_CONFIG(0), (3u << 16) | STIMER_AUTO_ENABLE);
	wrmsr_ref_plus(&c, MSR_STIMER_COUNT(0), 200000); /* 20 ms: enables it (auto enable) */
	out8(&c, 0x10);
	wait_byte(&c, COUNTERS, 1);
	rdmsr_out(&c, MSR_STIMER_CONFIG(0), 0x11);
	/* the slot taken by a message the guest has not read */
	mem_wr(&c, SLOT(3), 0x100);
	wrmsr_ref_plus(&c, MSR_STIMER_COUNT(0), 100000);
	out8(&c, 0x20);
	wait_bit(&c, SLOT(3) + 5, 1); /* message pending */
	out8(&c, 0x21);
	mem_wr(&c, SLOT(3), 0);
	wrmsr_imm(&c, MSR_EOM, 0);
	wait_byte(&c, COUNTERS, 2);
	out8(&c, 0x22);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	t0 = now();
	CHECK(run_to_out(&v) == 0x10);
	CHECK(run_to_out(&v) == 0x52);
	dt = now() - t0;
	CHECK(dt >= 0.015 && dt < 5.0);
	CHECK(expect_out(&v, 0x60) == HVMSG_TIMER_EXPIRED);
	CHECK(expect_out(&v, 0x61) == 0); /* timer index */
	expect_out(&v, 0x64);
	CHECK((expect_out(&v, 0x65) & 0xffff) == 24); /* payload size, no flags */
	count = u64_at(&vm, SLOT(3) + 24);
	CHECK(u64_at(&vm, SLOT(3) + 32) >= count); /* delivered at or after the expiration */
	CHECK((expect_out(&v, 0x11) & STIMER_ENABLE) == 0); /* one-shot: disabled at expiry */
	{
		uint8_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		const struct hv_synthetic_timers_state *st = (const void *)buf;
		CHECK(get_state(&v, MSHV_VP_STATE_SYNTHETIC_TIMERS, buf) == (int)sizeof(*st));
		CHECK(st->timers[0].config == ((3u << 16) | STIMER_AUTO_ENABLE) && st->timers[0].count == count);
		CHECK(!st->timers[0].flags.undelivered_msg_pending);
		munmap(buf, 4096);
	}
	CHECK(run_to_out(&v) == 0x20);
	CHECK(run_to_out(&v) == 0x21); /* the expiry found the slot taken */
	CHECK(run_to_out(&v) == 0x52); /* and came after EOM */
	CHECK(expect_out(&v, 0x60) == HVMSG_TIMER_EXPIRED);
	expect_out(&v, 0x61);
	expect_out(&v, 0x64);
	CHECK((expect_out(&v, 0x65) & 0xffff) == 24);
	CHECK(u64_at(&vm, SLOT(3) + 24) > count);
	CHECK(run_to_out(&v) == 0x22);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/*
 * Deliverability notifications: the root, refused with OBJECT_IN_USE,
 * asks (HV_REGISTER_DELIVERABILITY_NOTIFICATIONS bit 48 + SINT) to hear
 * when SINT 2 can take a message: nothing while the slot is taken; after
 * the guest frees it and writes EOM, the run ends with
 * HVMSG_SYNIC_SINT_DELIVERABLE naming SINT 2, and the request is spent.
 * A request for a SINT whose slot is free ends the next run at once.
 */
static void test_deliverability(void)
{
	struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, MSHV_DEFAULT_SYNTHETIC_FEATURES);
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 }, h = { vm.mem + 0x2000 };
	const struct hv_x64_sint_deliverable_message *d = (const void *)v.msg.u.payload;
	bool newly;

	/* vector 0x50: out 0x50; when the slot's message-pending flag is set: free the slot, EOM; EOI; iret */
	set_ivt(vm.mem, 0x50, 0x2000);
	out8(&h, 0x50);
	emit(&h, (const uint8_t[]){ 0xf6, 0x06, (uint8_t)(SLOT(2) + 5), (uint8_t)((SLOT(2) + 5) >> 8), 1, 0x74, 29 }, 7);
	mem_wr(&h, SLOT(2), 0);
	wrmsr_imm(&h, MSR_EOM, 0);
	apic_wr(&h, 0xb0, 0);
	op1(&h, 0xcf);

	wrmsr_imm(&c, MSR_SIMP, SIMP | 1);
	wrmsr_imm(&c, MSR_SIEFP, SIEFP | 1);
	wrmsr_imm(&c, MSR_SINT(2), 0x50);
	wrmsr_imm(&c, MSR_SCONTROL, 1);
	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb);
	out8(&c, 0x10);
	op1(&c, 0xf4); /* hlt; jmp hlt */
	op1(&c, 0xeb);
	op1(&c, 0xfd);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x10);
	CHECK(post(&vm, 0, 2, 0x100, 1) == HV_STATUS_SUCCESS);
	CHECK(run_to_out(&v) == 0x50); /* the guest leaves the message in its slot */
	CHECK(post(&vm, 0, 2, 0x101, 2) == STATUS_OBJECT_IN_USE);
	CHECK(set_reg64(&v, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, 1ull << (48 + 2)) == 0);
	CHECK(get_reg64(&v, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) == 1ull << (48 + 2));
	CHECK(set_reg64(&v, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, 1) != 0); /* NMI notifications: not modelled */
	/* an event on SINT 2: the handler sees the pending flag, frees the slot and writes EOM */
	CHECK(signal_event(&vm, 0, 2, 0, &newly) == HV_STATUS_SUCCESS && newly);
	CHECK(run_to_out(&v) == 0x50);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_SYNIC_SINT_DELIVERABLE);
	CHECK(d->deliverable_sints == 1u << 2);
	CHECK(get_reg64(&v, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) == 0);
	CHECK(post(&vm, 0, 2, 0x101, 2) == HV_STATUS_SUCCESS);
	CHECK(run_to_out(&v) == 0x50);
	/* asked while the slot is free (the guest freed it: the flag was set by nothing): at once */
	CHECK(post(&vm, 0, 2, 0x102, 3) == STATUS_OBJECT_IN_USE);
	memset(vm.mem + SLOT(2), 0, 256);
	CHECK(set_reg64(&v, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, 1ull << (48 + 2)) == 0);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_SYNIC_SINT_DELIVERABLE);
	CHECK(d->deliverable_sints == 1u << 2);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* Timer 1 periodic in direct mode (vector 0x53, 10 ms): three interrupts, at least 30 ms. */
static void test_timer_direct_periodic(void)
{
	struct vm vm = vm_create_with(1ull << MSHV_PT_BIT_LAPIC, MSHV_DEFAULT_SYNTHETIC_FEATURES);
	struct vcpu v = vcpu_create(&vm, 0);
	struct code c = { vm.mem + 0x1000 }, h = { vm.mem + 0x2000 };
	double t0, dt;

	set_ivt(vm.mem, 0x53, 0x2000);
	mem_inc8(&h, COUNTERS);
	apic_wr(&h, 0xb0, 0);
	op1(&h, 0xcf);

	apic_wr(&c, 0xf0, 0x1ff);
	op1(&c, 0xfb);
	out8(&c, 0x10);
	wrmsr_imm(&c, MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_PERIODIC | STIMER_DIRECT | (0x53u << 4));
	wrmsr_imm(&c, MSR_STIMER_COUNT(1), 100000); /* 10 ms */
	wait_byte(&c, COUNTERS, 3);
	wrmsr_imm(&c, MSR_STIMER_CONFIG(1), 0);
	out8(&c, 0x11);
	op1(&c, 0xf4);
	vcpu_setup(&v, 0x1000);

	CHECK(run_to_out(&v) == 0x10);
	t0 = now();
	CHECK(run_to_out(&v) == 0x11);
	dt = now() - t0;
	CHECK(dt >= 0.028 && dt < 5.0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "features", test_features },
		{ "illegal_vectors", test_illegal_vectors },
		{ "root_messages_and_events", test_root_messages_and_events },
		{ "deliverability", test_deliverability },
		{ "timer_message", test_timer_message },
		{ "timer_direct_periodic", test_timer_direct_periodic },
	};

	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	alarm(50); /* an interrupt that never arrives must fail, not hang */
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
			tests[i].fn();
	close(mshv_fd);
	printf("synic: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

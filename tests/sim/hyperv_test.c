/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * What a guest finds of the hypervisor (the enlightenments a Linux guest
 * uses), through mshv.h: the CPUID leaves 0x40000000-0x4000000a, the
 * synthetic MSRs (guest OS id, hypercall page, VP index, reference
 * counter, reference TSC page, TSC and APIC frequencies, VP assist page)
 * and the register names that reach them, the TSC (its rate; WRMSR 0x10
 * sets it), MSRs an AMD processor does not have (0x3a, 0x3b: #GP), and
 * the hypercall instruction (VMMCALL) with the TLFS calling convention.
 *
 * The guest is 64-bit code at CPL 0, identity-mapped with one 2 MiB page.
 * Each step copies a few instructions ending in HLT to CODE and runs the
 * VP to the HLT (or to the #GP/#UD exception intercept); results come
 * back in the VP's registers.
 *
 * Runs under tools/mshv-sim; exits 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "sim_util.h"

#define RAM_SIZE (2ull << 20)
#define GDT 0x500ull
#define PML4 0x1000ull
#define PDPT 0x2000ull
#define PD 0x3000ull
#define CODE 0x10000ull
#define STACK_TOP 0x28000ull
#define HYPERCALL_PAGE 0x30000ull
#define TSC_PAGE 0x31000ull
#define ASSIST_PAGE 0x32000ull

#define MSR_GUEST_OS_ID 0x40000000u
#define MSR_HYPERCALL 0x40000001u
#define MSR_VP_INDEX 0x40000002u
#define MSR_TIME_REF_COUNT 0x40000020u
#define MSR_REFERENCE_TSC 0x40000021u
#define MSR_TSC_FREQUENCY 0x40000022u
#define MSR_APIC_FREQUENCY 0x40000023u
#define MSR_VP_ASSIST_PAGE 0x40000073u

#define VP_INDEX 3 /* not 0: VP_INDEX must tell */

__extension__ typedef unsigned __int128 u128;

static struct mshv_system sys;
static struct mshv_vm vm;
static struct mshv_vcpu vp;
static uint8_t *ram;
static struct hv_message msg;

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static uint64_t reg(uint32_t name)
{
	union hv_register_value v;

	memset(&v, 0, sizeof(v));
	CHECK(mshv_vcpu_get_register(&vp, name, &v, NULL) == 0);
	return v.reg64;
}

static void set_reg(uint32_t name, uint64_t val)
{
	CHECK(mshv_vcpu_set_register64(&vp, name, val, NULL) == 0);
}

/* Run code (ending in HLT) at CODE; returns the message type that stopped it. */
static uint32_t run(const uint8_t *code, size_t n)
{
	memcpy(ram + CODE, code, n);
	set_reg(HV_X64_REGISTER_RIP, CODE);
	set_reg(HV_X64_REGISTER_RSP, STACK_TOP);
	CHECK(mshv_vcpu_run(&vp, &msg) == 0);
	return msg.header.message_type;
}

static bool halted(uint32_t type)
{
	return type == HVMSG_X64_HALT;
}

/* The exception vector of an exception intercept, -1 for another message. */
static int exception(uint32_t type)
{
	const struct hv_x64_exception_intercept_message *x = (const void *)msg.u.payload;

	return type == HVMSG_X64_EXCEPTION_INTERCEPT ? x->exception_vector : -1;
}

static void cpuid(uint32_t leaf, uint32_t out[4])
{
	uint8_t c[] = { 0xb8, 0, 0, 0, 0, 0x31, 0xc9, 0x0f, 0xa2, 0xf4 }; /* mov eax, leaf; xor ecx, ecx; cpuid; hlt */

	memcpy(c + 1, &leaf, 4);
	CHECK(halted(run(c, sizeof(c))));
	out[0] = (uint32_t)reg(HV_X64_REGISTER_RAX);
	out[1] = (uint32_t)reg(HV_X64_REGISTER_RBX);
	out[2] = (uint32_t)reg(HV_X64_REGISTER_RCX);
	out[3] = (uint32_t)reg(HV_X64_REGISTER_RDX);
}

/* RDMSR: the message type; *val = EDX:EAX when it halted. */
static uint32_t rdmsr(uint32_t msr, uint64_t *val)
{
	uint8_t c[] = { 0xb9, 0, 0, 0, 0, 0x0f, 0x32, 0xf4 }; /* mov ecx, msr; rdmsr; hlt */
	uint32_t t;

	memcpy(c + 1, &msr, 4);
	t = run(c, sizeof(c));
	if (halted(t))
		*val = (reg(HV_X64_REGISTER_RAX) & 0xffffffffu) | (reg(HV_X64_REGISTER_RDX) << 32);
	return t;
}

static uint64_t rdmsr_ok(uint32_t msr)
{
	uint64_t v = 0;

	CHECK(halted(rdmsr(msr, &v)));
	return v;
}

static uint32_t wrmsr(uint32_t msr, uint64_t val)
{
	/* mov ecx, msr; mov eax, lo; mov edx, hi; wrmsr; hlt */
	uint8_t c[] = { 0xb9, 0, 0, 0, 0, 0xb8, 0, 0, 0, 0, 0xba, 0, 0, 0, 0, 0x0f, 0x30, 0xf4 };
	uint32_t lo = (uint32_t)val, hi = (uint32_t)(val >> 32);

	memcpy(c + 1, &msr, 4);
	memcpy(c + 6, &lo, 4);
	memcpy(c + 11, &hi, 4);
	return run(c, sizeof(c));
}

/* mov rcx, input; mov rax, HYPERCALL_PAGE; call rax; hlt: the hypercall's RAX. */
static uint32_t hypercall(uint32_t input, uint64_t *result)
{
	uint8_t c[] = { 0x48, 0xc7, 0xc1, 0, 0, 0, 0, 0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0xff, 0xd0, 0xf4 };
	uint32_t page = HYPERCALL_PAGE, t;

	memcpy(c + 3, &input, 4);
	memcpy(c + 10, &page, 4);
	set_reg(HV_X64_REGISTER_RAX, 0xdeadbeef);
	t = run(c, sizeof(c));
	*result = reg(HV_X64_REGISTER_RAX);
	return t;
}

/* rdtsc; shl rdx, 32; or rax, rdx; mov rbx, rax; mov ecx, TIME_REF_COUNT; rdmsr; shl rdx, 32; or rax, rdx; hlt */
static double tsc_and_ref_secs; /* host time the last tsc_and_ref() took */

static void tsc_and_ref(uint64_t *tsc, uint64_t *ref)
{
	struct timespec a, b;
	static const uint8_t c[] = { 0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x48, 0x89, 0xc3,
				     0xb9, 0x20, 0x00, 0x00, 0x40, 0x0f, 0x32, 0x48, 0xc1, 0xe2, 0x20, 0x48,
				     0x09, 0xd0, 0xf4 };

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(halted(run(c, sizeof(c))));
	clock_gettime(CLOCK_MONOTONIC, &b);
	tsc_and_ref_secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	*tsc = reg(HV_X64_REGISTER_RBX);
	*ref = reg(HV_X64_REGISTER_RAX);
}

static void setup(void)
{
	struct mshv_user_mem_region mem;
	struct mshv_special_registers s;
	struct mshv_install_intercept ic;

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);
	put64(GDT + 8, 0x00af9b000000ffffull);  /* 0x08: 64-bit code, DPL 0 */
	put64(GDT + 16, 0x00cf93000000ffffull); /* 0x10: data */
	put64(GDT + 24, 0x00affb000000ffffull); /* 0x1b: 64-bit code, DPL 3 */
	put64(GDT + 32, 0x00cff3000000ffffull); /* 0x23: data, DPL 3 */
	put64(PML4, PDPT | 7);
	put64(PDPT, PD | 7);
	put64(PD, 0x87); /* 2 MiB page at 0, user */

	CHECK(mshv_system_create_vm(&sys, &vm, NULL) == 0);
	CHECK(mshv_vm_initialize(&vm) == 0);
	memset(&mem, 0, sizeof(mem));
	mem.size = RAM_SIZE;
	mem.userspace_addr = (uintptr_t)ram;
	mem.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK(mshv_vm_map_user_memory(&vm, &mem) == 0);
	CHECK(mshv_vm_create_vcpu(&vm, VP_INDEX, &vp) == 0);
	/* an AP waits for INIT-SIPI; this VMM starts it itself, as a VMM booting directly does */
	CHECK(mshv_vcpu_set_register64(&vp, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0, NULL) == 0);

	CHECK(mshv_vcpu_get_sregs(&vp, &s, NULL) == 0);
	memset(&s.cs, 0, sizeof(s.cs));
	s.cs.limit = 0xffffffff;
	s.cs.selector = 0x08;
	s.cs.type = 0xb;
	s.cs.present = 1;
	s.cs.s = 1;
	s.cs.l = 1;
	s.cs.g = 1;
	s.ds = s.cs;
	s.ds.selector = 0x10;
	s.ds.type = 0x3;
	s.ds.l = 0;
	s.ds.db = 1;
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT;
	s.gdt.limit = 39;
	s.cr0 = 0x80000033; /* PG NE ET MP PE */
	s.cr3 = PML4;
	s.cr4 = 0x20;       /* PAE */
	s.efer = 0x500;     /* LMA LME */
	CHECK(mshv_vcpu_set_sregs(&vp, &s, NULL) == 0);
	set_reg(HV_X64_REGISTER_RFLAGS, 2);

	/* #UD and #GP come to us instead of the guest's (absent) IDT */
	memset(&ic, 0, sizeof(ic));
	ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
	ic.intercept_type = HV_INTERCEPT_TYPE_EXCEPTION;
	ic.intercept_parameter.exception_vector = 6;
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);
	ic.intercept_parameter.exception_vector = 13;
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);
}

static void test_cpuid(void)
{
	uint32_t l[4];
	struct mshv_vcpu extra;

	cpuid(1, l);
	CHECK(l[2] & (1u << 31)); /* hypervisor present */
	cpuid(0x40000000, l);
	CHECK(l[0] == 0x4000000a);
	CHECK(memcmp(&l[1], "Micr", 4) == 0 && memcmp(&l[2], "osof", 4) == 0 && memcmp(&l[3], "t Hv", 4) == 0);
	cpuid(0x40000001, l);
	CHECK(memcmp(&l[0], "Hv#1", 4) == 0 && l[1] == 0 && l[2] == 0 && l[3] == 0);
	cpuid(0x40000002, l);
	CHECK(l[0] == 20348 && l[1] == 0x000a0000 && l[2] == 0 && l[3] == 1);
	cpuid(0x40000003, l);
	/* mshv_system_create_vm()'s features: TIME_REF_COUNT SYNIC SYNTIMER APIC_ACCESS HYPERCALL VP_INDEX
	 * REFERENCE_TSC FREQUENCY_MSRS (synic_test.c: what other features give) */
	CHECK(l[0] == 0xa7e);
	CHECK(l[1] == 0x30 && l[2] == 0); /* EBX: PostMessages, SignalEvents */
	CHECK(l[3] == 0x80100); /* FREQUENCY_MSRS_AVAILABLE, STIMER_DIRECT_MODE_AVAILABLE */
	cpuid(0x40000004, l);
	/* relaxed timing; remote TLB flushes and IPIs by hypercall (tb_flush_hypercalls, synthetic_cluster_ipi) */
	CHECK(l[0] == 0x424 && l[1] == 0xffffffffu && l[2] == 0 && l[3] == 0);
	cpuid(0x40000005, l);
	CHECK(l[0] == 256 && l[1] == 2048 && l[2] == 0);
	/* the VP limit CPUID reports is the hypervisor's: index 255 is a VP, 256 is not */
	CHECK(mshv_vm_create_vcpu(&vm, l[0] - 1, &extra) == 0);
	mshv_vcpu_close(&extra);
	CHECK(mshv_vm_create_vcpu(&vm, l[0], &extra) < 0);
	cpuid(0x40000006, l);
	CHECK(l[0] == 0 && l[1] == 0 && l[2] == 0 && l[3] == 0);
}

static void test_hypercall_page(void)
{
	uint64_t r;

	/* no hypercall page: VMMCALL is #UD */
	CHECK(exception(run((const uint8_t[]){ 0x0f, 0x01, 0xd9, 0xf4 }, 4)) == 6);
	/* enabling with no guest OS id leaves the enable bit clear, and writes no page */
	memset(ram + HYPERCALL_PAGE, 0, 4096);
	CHECK(halted(wrmsr(MSR_HYPERCALL, HYPERCALL_PAGE | 1)));
	CHECK(rdmsr_ok(MSR_HYPERCALL) == HYPERCALL_PAGE);
	CHECK(ram[HYPERCALL_PAGE] == 0);
	/* a Linux guest OS id (hv_generate_guest_id: open source, Linux, 6.1) */
	CHECK(halted(wrmsr(MSR_GUEST_OS_ID, 0x8100060100000000ull)));
	CHECK(rdmsr_ok(MSR_GUEST_OS_ID) == 0x8100060100000000ull);
	CHECK(reg(HV_REGISTER_GUEST_OS_ID) == 0x8100060100000000ull);
	CHECK(halted(wrmsr(MSR_HYPERCALL, HYPERCALL_PAGE | 1)));
	CHECK(rdmsr_ok(MSR_HYPERCALL) == (HYPERCALL_PAGE | 1));
	CHECK(reg(HV_X64_REGISTER_HYPERCALL) == (HYPERCALL_PAGE | 1));
	/* VMMCALL; RET (AMD), the rest INT3 */
	CHECK(memcmp(ram + HYPERCALL_PAGE, "\x0f\x01\xd9\xc3", 4) == 0);
	CHECK(ram[HYPERCALL_PAGE + 4] == 0xcc && ram[HYPERCALL_PAGE + 4095] == 0xcc);

	/* calls through the page: RCX input value, RAX result */
	CHECK(halted(hypercall(0x0001, &r))); /* HvCallSwitchVirtualAddressSpace: not implemented */
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);
	CHECK(halted(hypercall(0x005c, &r))); /* HvCallPostMessage: the hypervisor knows no connection */
	CHECK(r == HV_STATUS_INVALID_CONNECTION_ID);
	CHECK(halted(hypercall(0x007e, &r))); /* HvCallRetargetDeviceInterrupt: no device it knows */
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);
	CHECK(halted(hypercall(0x0046, &r))); /* HvCallGetPartitionId: no AccessPartitionId */
	CHECK(r == HV_STATUS_ACCESS_DENIED);
	CHECK(halted(hypercall(0x0fff, &r)));
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);
	/* VMMCALL outside the page completes too, RIP after it */
	set_reg(HV_X64_REGISTER_RCX, 0x1234);
	CHECK(halted(run((const uint8_t[]){ 0x0f, 0x01, 0xd9, 0xf4 }, 4)));
	CHECK(reg(HV_X64_REGISTER_RAX) == HV_STATUS_INVALID_HYPERCALL_CODE);
	CHECK(reg(HV_X64_REGISTER_RIP) == CODE + 4);
	/* VMCALL is Intel's: #UD on the AMD model */
	CHECK(exception(run((const uint8_t[]){ 0x0f, 0x01, 0xc1, 0xf4 }, 4)) == 6);

	/* clearing the guest OS id disables the page: #UD again */
	CHECK(halted(wrmsr(MSR_GUEST_OS_ID, 0)));
	CHECK(rdmsr_ok(MSR_HYPERCALL) == HYPERCALL_PAGE);
	CHECK(exception(run((const uint8_t[]){ 0x0f, 0x01, 0xd9, 0xf4 }, 4)) == 6);
	/* a page beyond the physical address width: #GP */
	CHECK(exception(wrmsr(MSR_HYPERCALL, (1ull << 52) | 1)) == 13);
	/* locked: later writes change nothing */
	CHECK(halted(wrmsr(MSR_GUEST_OS_ID, 0x8100060100000000ull)));
	CHECK(halted(wrmsr(MSR_HYPERCALL, HYPERCALL_PAGE | 3)));
	CHECK(halted(wrmsr(MSR_HYPERCALL, 0)));
	CHECK(rdmsr_ok(MSR_HYPERCALL) == (HYPERCALL_PAGE | 3));
	CHECK(halted(hypercall(0x0001, &r)));
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);

	/* CPL 3: #UD (TLFS "Valid Hypercall Environments") */
	{
		struct mshv_special_registers sr, saved;

		CHECK(mshv_vcpu_get_sregs(&vp, &saved, NULL) == 0);
		sr = saved;
		sr.cs.selector = 0x1b;
		sr.cs.dpl = 3;
		sr.ss.selector = 0x23;
		sr.ss.dpl = 3;
		CHECK(mshv_vcpu_set_sregs(&vp, &sr, NULL) == 0);
		set_reg(HV_X64_REGISTER_RCX, 0x0001);
		CHECK(exception(run((const uint8_t[]){ 0x0f, 0x01, 0xd9, 0xf4 }, 4)) == 6);
		CHECK(reg(HV_X64_REGISTER_RIP) == CODE);
		CHECK(mshv_vcpu_set_sregs(&vp, &saved, NULL) == 0);
		CHECK(halted(run((const uint8_t[]){ 0x0f, 0x01, 0xd9, 0xf4 }, 4)));
		CHECK(reg(HV_X64_REGISTER_RAX) == HV_STATUS_INVALID_HYPERCALL_CODE);
	}
}

/*
 * Guest hypercalls the root takes: with HvInterceptTypeUnknownSynicConnection
 * (0xd) installed, HvCallPostMessage and HvCallSignalEvent stop the VP at
 * the VMMCALL with HVMSG_HYPERCALL_INTERCEPT; the root's RAX is the
 * result once it moves RIP past the instruction. HvCallRetargetDevice-
 * Interrupt needs its own intercept (0xf). Removing them (access mask 0)
 * restores the hypervisor's answers.
 */
static void test_hypercall_forwarding(void)
{
	const struct hv_x64_hypercall_intercept_message *m = (const void *)msg.u.payload;
	struct mshv_install_intercept ic;
	uint64_t r;

	CHECK(halted(wrmsr(MSR_GUEST_OS_ID, 0x8100060100000000ull)));
	CHECK(halted(wrmsr(MSR_HYPERCALL, HYPERCALL_PAGE | 1)));
	memset(&ic, 0, sizeof(ic));
	ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
	ic.intercept_type = 0xd; /* HvInterceptTypeUnknownSynicConnection */
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);

	set_reg(HV_X64_REGISTER_RDX, 0x7000);
	CHECK(hypercall(0x005c, &r) == HVMSG_HYPERCALL_INTERCEPT);
	CHECK(m->rcx == 0x005c && m->rdx == 0x7000);
	CHECK(m->header.instruction_length == 3 && m->header.rip == HYPERCALL_PAGE);
	CHECK(reg(HV_X64_REGISTER_RIP) == HYPERCALL_PAGE);
	set_reg(HV_X64_REGISTER_RAX, HV_STATUS_SUCCESS);
	set_reg(HV_X64_REGISTER_RIP, HYPERCALL_PAGE + 3);
	CHECK(mshv_vcpu_run(&vp, &msg) == 0 && halted(msg.header.message_type));
	CHECK(reg(HV_X64_REGISTER_RAX) == HV_STATUS_SUCCESS);
	CHECK(hypercall(0x005d | (1u << 16), &r) == HVMSG_HYPERCALL_INTERCEPT); /* HvCallSignalEvent, fast */
	CHECK(m->rcx == (0x005d | (1u << 16)));
	CHECK(hypercall(0x007e, &r) != HVMSG_HYPERCALL_INTERCEPT); /* retarget: not this intercept */
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);
	ic.intercept_type = 0xf; /* HvInterceptTypeRetargetInterruptWithUnknownDeviceId */
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);
	CHECK(hypercall(0x007e, &r) == HVMSG_HYPERCALL_INTERCEPT);
	CHECK(m->rcx == 0x007e);

	ic.access_type_mask = HV_INTERCEPT_ACCESS_MASK_NONE;
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);
	ic.intercept_type = 0xd;
	CHECK(mshv_vm_install_intercept(&vm, &ic, NULL) == 0);
	CHECK(halted(hypercall(0x005c, &r)));
	CHECK(r == HV_STATUS_INVALID_CONNECTION_ID);
	CHECK(halted(hypercall(0x007e, &r)));
	CHECK(r == HV_STATUS_INVALID_HYPERCALL_CODE);
}

/*
 * Hypercalls the hypervisor serves (mshv_system_create_vm()'s features
 * include tb_flush_hypercalls and synthetic_cluster_ipi):
 *  - HvCallFlushVirtualAddressSpace with HV_FLUSH_ALL_PROCESSORS: a PTE the
 *    guest rewrote without INVLPG takes effect only after it (the read
 *    before it still sees the old page: the TLB is real), and a flush of
 *    a VP that does not run returns at once;
 *  - HvCallSendSyntheticClusterIpi (fast: vector in RDX, VP mask in R8): the
 *    vector pending in the target's IRR; a vector below 16 is refused; a
 *    rep count on the simple call too.
 */
#define FLUSH_PD 0x4000ull
#define FLUSH_PT 0x5000ull
#define FLUSH_INPUT 0x6000ull
#define FLUSH_VA 0x40000000ull

static void test_served_hypercalls(void)
{
	static const uint8_t flush_code[] = {
		0x48, 0xc7, 0xc6, 0x00, 0x00, 0x00, 0x40, /* mov rsi, FLUSH_VA */
		0x48, 0x8b, 0x06,                         /* mov rax, [rsi]: the old page, now in the TLB */
		0x49, 0x89, 0xc1,                         /* mov r9, rax */
		0x48, 0xc7, 0xc7, 0x00, 0x50, 0x00, 0x00, /* mov rdi, FLUSH_PT */
		0x48, 0xc7, 0xc2, 0x03, 0x10, 0x04, 0x00, /* mov rdx, 0x41000 | P | W */
		0x48, 0x89, 0x17,                         /* mov [rdi], rdx: no INVLPG */
		0x48, 0x8b, 0x1e,                         /* mov rbx, [rsi] */
		0x48, 0xc7, 0xc1, 0x02, 0x00, 0x00, 0x00, /* mov rcx, HvCallFlushVirtualAddressSpace */
		0x48, 0xc7, 0xc2, 0x00, 0x60, 0x00, 0x00, /* mov rdx, FLUSH_INPUT */
		0x4d, 0x31, 0xc0,                         /* xor r8, r8 */
		0x48, 0xc7, 0xc0, 0x00, 0x00, 0x03, 0x00, /* mov rax, HYPERCALL_PAGE */
		0xff, 0xd0,                               /* call rax */
		0x48, 0x8b, 0x0e,                         /* mov rcx, [rsi] */
		0xf4,
	};
	struct mshv_vcpu idle;
	uint8_t *lapic = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mshv_get_set_vp_state st;
	uint32_t irr;
	uint64_t r;

	put64(PDPT + 8, FLUSH_PD | 3);
	put64(FLUSH_PD, FLUSH_PT | 3);
	put64(FLUSH_PT, 0x40000 | 3);
	put64(0x40000, 0x1111);
	put64(0x41000, 0x2222);
	put64(FLUSH_INPUT, 0);      /* address space */
	put64(FLUSH_INPUT + 8, 1);  /* HV_FLUSH_ALL_PROCESSORS */
	put64(FLUSH_INPUT + 16, 0); /* processor mask */
	CHECK(halted(run(flush_code, sizeof(flush_code))));
	CHECK(reg(HV_X64_REGISTER_RAX) == HV_STATUS_SUCCESS);
	CHECK(reg(HV_X64_REGISTER_R9) == 0x1111);
	CHECK(reg(HV_X64_REGISTER_RBX) == 0x1111); /* stale until the flush */
	CHECK(reg(HV_X64_REGISTER_RCX) == 0x2222);

	/* another VP that does not run: its flush is due before it runs, nothing to wait for */
	CHECK(mshv_vm_create_vcpu(&vm, 0, &idle) == 0);
	put64(FLUSH_INPUT + 8, 0);
	put64(FLUSH_INPUT + 16, 1); /* VP 0 */
	set_reg(HV_X64_REGISTER_RDX, FLUSH_INPUT);
	set_reg(HV_X64_REGISTER_R8, 0);
	CHECK(halted(hypercall(0x0002, &r)) && r == HV_STATUS_SUCCESS);
	CHECK(halted(hypercall(0x0002 | (1u << 17), &r)) && r == HV_STATUS_INVALID_HYPERCALL_INPUT); /* no variable header */
	set_reg(HV_X64_REGISTER_RDX, FLUSH_INPUT + 4);
	CHECK(halted(hypercall(0x0002, &r)) && r == HV_STATUS_INVALID_ALIGNMENT);
	mshv_vcpu_close(&idle);

	/* a self IPI by VP index (this VP is VP_INDEX), then one to nobody, then an illegal vector */
	set_reg(HV_X64_REGISTER_RDX, 0x47);
	set_reg(HV_X64_REGISTER_R8, 1ull << VP_INDEX);
	CHECK(halted(hypercall(0x000b | (1u << 16), &r)) && r == HV_STATUS_SUCCESS);
	memset(&st, 0, sizeof(st));
	st.type = MSHV_VP_STATE_LAPIC;
	st.buf_sz = 4096;
	st.buf_ptr = (uintptr_t)lapic;
	CHECK(mshv_vcpu_get_vp_state(&vp, &st) == 0);
	memcpy(&irr, lapic + offsetof(struct hv_local_interrupt_controller_state, apic_irr) + 4 * (0x47 / 32), 4);
	CHECK(irr & (1u << (0x47 % 32)));
	set_reg(HV_X64_REGISTER_R8, 1ull << 40);
	CHECK(halted(hypercall(0x000b | (1u << 16), &r)) && r == HV_STATUS_SUCCESS);
	set_reg(HV_X64_REGISTER_RDX, 0x0f);
	CHECK(halted(hypercall(0x000b | (1u << 16), &r)) && r == HV_STATUS_INVALID_PARAMETER);
	munmap(lapic, 4096);
}

/* A second VP (test_remote_flush, test_lock_atomic): runs its loop to HLT on its own thread. */
struct spinner {
	struct mshv_vcpu v;
	struct hv_message msg;
	int ret;
};

static void *spinner_run(void *p)
{
	struct spinner *sp = p;

	sp->ret = mshv_vcpu_run(&sp->v, &sp->msg);
	return NULL;
}

/* A second VP, index, in this VP's mode, started at rip (stack rsp) on thread *t. */
static void spinner_start(struct spinner *sp, uint32_t index, uint64_t rip, uint64_t rsp, pthread_t *t)
{
	struct mshv_special_registers sr;

	CHECK(mshv_vm_create_vcpu(&vm, index, &sp->v) == 0);
	CHECK(mshv_vcpu_set_register64(&sp->v, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0, NULL) == 0);
	CHECK(mshv_vcpu_get_sregs(&vp, &sr, NULL) == 0);
	CHECK(mshv_vcpu_set_sregs(&sp->v, &sr, NULL) == 0);
	CHECK(mshv_vcpu_set_register64(&sp->v, HV_X64_REGISTER_RFLAGS, 2, NULL) == 0);
	CHECK(mshv_vcpu_set_register64(&sp->v, HV_X64_REGISTER_RSP, rsp, NULL) == 0);
	CHECK(mshv_vcpu_set_register64(&sp->v, HV_X64_REGISTER_RIP, rip, NULL) == 0);
	CHECK(pthread_create(t, NULL, spinner_run, sp) == 0);
}

/*
 * A flush of another VP while it runs: VP 1 reads FLUSH_VA in a loop until
 * it sees the new page (or gives up after 50M reads); VP 3 rewrites the
 * PTE and flushes VPs 1 and 3 by mask. Without the remote flush VP 1 keeps
 * its stale TLB entry and gives up.
 */
static void test_remote_flush(void)
{
	static const uint8_t spin_code[] = {
		0xc6, 0x04, 0x25, 0x00, 0x70, 0x00, 0x00, 0x01, /* mov byte [0x7000], 1: running */
		0x48, 0xc7, 0xc6, 0x00, 0x00, 0x00, 0x40,       /* mov rsi, FLUSH_VA */
		0xb9, 0x80, 0xf0, 0xfa, 0x02,                   /* mov ecx, 50000000 */
		0x48, 0x8b, 0x06,                               /* loop: mov rax, [rsi] */
		0x48, 0x3d, 0x22, 0x22, 0x00, 0x00,             /* cmp rax, 0x2222 */
		0x74, 0x04,                                     /* je done */
		0xff, 0xc9,                                     /* dec ecx */
		0x75, 0xf1,                                     /* jnz loop */
		0xf4,                                           /* done: hlt */
	};
	static const uint8_t flush_code[] = {
		0x48, 0xc7, 0xc7, 0x00, 0x50, 0x00, 0x00, /* mov rdi, FLUSH_PT */
		0x48, 0xc7, 0xc2, 0x03, 0x10, 0x04, 0x00, /* mov rdx, 0x41000 | P | W */
		0x48, 0x89, 0x17,                         /* mov [rdi], rdx */
		0x48, 0xc7, 0xc1, 0x02, 0x00, 0x00, 0x00, /* mov rcx, HvCallFlushVirtualAddressSpace */
		0x48, 0xc7, 0xc2, 0x00, 0x60, 0x00, 0x00, /* mov rdx, FLUSH_INPUT */
		0x4d, 0x31, 0xc0,                         /* xor r8, r8 */
		0x48, 0xc7, 0xc0, 0x00, 0x00, 0x03, 0x00, /* mov rax, HYPERCALL_PAGE */
		0xff, 0xd0,                               /* call rax */
		0xf4,
	};
	struct spinner sp;
	pthread_t t;
	int waited;

	put64(FLUSH_PT, 0x40000 | 3);
	put64(FLUSH_INPUT, 0);
	put64(FLUSH_INPUT + 8, 0);
	put64(FLUSH_INPUT + 16, (1ull << 1) | (1ull << VP_INDEX));
	ram[0x7000] = 0;
	memcpy(ram + CODE + 0x800, spin_code, sizeof(spin_code));
	spinner_start(&sp, 1, CODE + 0x800, STACK_TOP - 0x1000, &t);
	for (waited = 0; waited < 5000 && !__atomic_load_n(&ram[0x7000], __ATOMIC_ACQUIRE); waited++)
		usleep(1000);
	CHECK(ram[0x7000] == 1);
	usleep(20000); /* VP 1's TLB holds the old page now */
	CHECK(halted(run(flush_code, sizeof(flush_code))));
	CHECK(reg(HV_X64_REGISTER_RAX) == HV_STATUS_SUCCESS);
	pthread_join(t, NULL);
	CHECK(sp.ret == 0 && halted(sp.msg.header.message_type));
	{
		union hv_register_value v;
		CHECK(mshv_vcpu_get_register(&sp.v, HV_X64_REGISTER_RAX, &v, NULL) == 0);
		CHECK(v.reg64 == 0x2222); /* VP 1 saw the new page */
		CHECK(mshv_vcpu_get_register(&sp.v, HV_X64_REGISTER_RCX, &v, NULL) == 0);
		CHECK(v.reg64 != 0); /* before giving up */
	}
	mshv_vcpu_close(&sp.v);
}

/*
 * LOCKed read-modify-writes are atomic between VPs, as on hardware: VP 2
 * (its own thread) and VP 3 each LOCK INC one counter 50 million times;
 * none is lost. (Each VP is its own unicorn engine; without atomic
 * helpers both would load, add and store over each other.)
 */
static void test_lock_atomic(void)
{
	static const uint8_t inc_code[] = {
		0x48, 0xc7, 0xc6, 0x00, 0x71, 0x00, 0x00, /* mov rsi, 0x7100 */
		0xb9, 0x80, 0xf0, 0xfa, 0x02,             /* mov ecx, 50000000 */
		0xf0, 0x48, 0xff, 0x06,                   /* lock inc qword [rsi] */
		0xff, 0xc9,                               /* dec ecx */
		0x75, 0xf8,                               /* jnz */
		0xf4,
	};
	struct spinner sp;
	pthread_t t;
	uint64_t count;

	put64(0x7100, 0);
	memcpy(ram + CODE + 0xa00, inc_code, sizeof(inc_code));
	spinner_start(&sp, 2, CODE + 0xa00, STACK_TOP - 0x2000, &t);
	CHECK(halted(run(inc_code, sizeof(inc_code))));
	pthread_join(t, NULL);
	CHECK(sp.ret == 0 && halted(sp.msg.header.message_type));
	memcpy(&count, ram + 0x7100, 8);
	if (count != 100000000)
		printf("lock_atomic: %llu of 100000000 increments\n", (unsigned long long)count);
	CHECK(count == 100000000);
	mshv_vcpu_close(&sp.v);
}

static void test_vp_index_and_read_only(void)
{
	static const uint32_t ro[] = { MSR_VP_INDEX, MSR_TIME_REF_COUNT, MSR_TSC_FREQUENCY, MSR_APIC_FREQUENCY };
	size_t i;

	CHECK(rdmsr_ok(MSR_VP_INDEX) == VP_INDEX);
	CHECK(reg(HV_REGISTER_VP_INDEX) == VP_INDEX);
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		union hv_register_value v;
		__u16 st = 0;

		CHECK(exception(wrmsr(ro[i], 5)) == 13);
		CHECK(reg(HV_X64_REGISTER_RIP) == CODE + 15); /* at the WRMSR */
		memset(&v, 0, sizeof(v));
		if (ro[i] == MSR_TIME_REF_COUNT) { /* the register name refuses a value too */
			struct hv_register_assoc a;
			memset(&a, 0, sizeof(a));
			a.name = HV_REGISTER_TIME_REF_COUNT;
			CHECK(mshv_vcpu_set_registers(&vp, &a, 1, &st) < 0 && st == HV_STATUS_INVALID_PARAMETER);
		}
	}
	CHECK(rdmsr_ok(MSR_VP_INDEX) == VP_INDEX);
	/* AMD has neither IA32_FEATURE_CONTROL nor IA32_TSC_ADJUST: #GP (the partition's default FAULT action) */
	CHECK(exception(rdmsr(0x3a, &(uint64_t){ 0 })) == 13);
	CHECK(exception(rdmsr(0x3b, &(uint64_t){ 0 })) == 13);
	CHECK(exception(wrmsr(0x3a, 0)) == 13);
	CHECK(exception(wrmsr(0x3b, 0)) == 13);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Rates: two readings a pause apart, each inside a host-clock window: the
 * guest's difference lies between the windows' inner and outer spans.
 */
static void test_rates(void)
{
	double h0, h1, h2, h3;
	uint64_t t0, t1, r0, r1;

	CHECK(rdmsr_ok(MSR_TSC_FREQUENCY) == 1000000000ull);
	CHECK(rdmsr_ok(MSR_APIC_FREQUENCY) == 200000000ull);

	h0 = now();
	tsc_and_ref(&t0, &r0);
	h1 = now();
	sleep_ms(200);
	h2 = now();
	tsc_and_ref(&t1, &r1);
	h3 = now();
	/* RDTSC at 1 GHz (the TSC_FREQUENCY MSR's rate), TIME_REF_COUNT at 10 MHz */
	CHECK((double)(t1 - t0) >= (h2 - h1) * 1e9 * 0.999 && (double)(t1 - t0) <= (h3 - h0) * 1e9 * 1.001);
	CHECK((double)(r1 - r0) >= (h2 - h1) * 1e7 * 0.999 && (double)(r1 - r0) <= (h3 - h0) * 1e7 * 1.001);
	fprintf(stderr, "TSC %.4f GHz, reference counter %.4f MHz\n", (t1 - t0) / (h2 - h1) / 1e9,
		(r1 - r0) / (h2 - h1) / 1e6);
	CHECK(reg(HV_REGISTER_TIME_REF_COUNT) >= r1);
}

/* The page's formula at the guest's TSC against TIME_REF_COUNT read just after it. */
static void check_tsc_page(void)
{
	uint64_t scale, tsc, ref;
	int64_t offset, d;
	uint32_t seq;

	memcpy(&seq, ram + TSC_PAGE, 4);
	memcpy(&scale, ram + TSC_PAGE + 8, 8);
	memcpy(&offset, ram + TSC_PAGE + 16, 8);
	CHECK(seq != 0 && seq != 0xffffffffu);
	CHECK(scale == 184467440737095516ull); /* 2^64 / 100, rounded down */
	tsc_and_ref(&tsc, &ref);
	d = (int64_t)ref - ((int64_t)(uint64_t)(((u128)tsc * scale) >> 64) + offset);
	/* the counter is read after the TSC: 0 or more, and no later than the run took (a loaded host: long) */
	CHECK(d >= -1 && d <= 1000 + (int64_t)(tsc_and_ref_secs * 1e7));
	if (d < -1 || d > 1000 + (int64_t)(tsc_and_ref_secs * 1e7))
		fprintf(stderr, "reference TSC page off by %lld (100 ns)\n", (long long)d);
}

static void test_reference_tsc_page(void)
{
	uint64_t tsc;
	uint32_t seq0, seq1;

	memset(ram + TSC_PAGE, 0, 4096);
	CHECK(halted(wrmsr(MSR_REFERENCE_TSC, TSC_PAGE))); /* not enabled: no page */
	CHECK(ram[TSC_PAGE + 8] == 0);
	CHECK(halted(wrmsr(MSR_REFERENCE_TSC, TSC_PAGE | 1)));
	CHECK(rdmsr_ok(MSR_REFERENCE_TSC) == (TSC_PAGE | 1));
	CHECK(reg(HV_REGISTER_REFERENCE_TSC) == (TSC_PAGE | 1));
	check_tsc_page();
	memcpy(&seq0, ram + TSC_PAGE, 4);

	/* WRMSR 0x10 sets the TSC, which counts on from it; the page follows */
	CHECK(halted(wrmsr(0x10, 5000000000000ull)));
	CHECK(halted(run((const uint8_t[]){ 0x0f, 0x31, 0xf4 }, 3)));
	tsc = (reg(HV_X64_REGISTER_RAX) & 0xffffffffu) | (reg(HV_X64_REGISTER_RDX) << 32);
	CHECK(tsc >= 5000000000000ull && tsc < 5000000000000ull + 1000000000ull);
	CHECK(rdmsr_ok(0x10) >= tsc);
	memcpy(&seq1, ram + TSC_PAGE, 4);
	CHECK(seq1 != seq0 && seq1 != 0);
	check_tsc_page();
	/* and the VMM's TSC register */
	set_reg(HV_X64_REGISTER_TSC, 1000);
	CHECK(reg(HV_X64_REGISTER_TSC) < 1000 + 1000000000ull && reg(HV_X64_REGISTER_TSC) >= 1000);
	check_tsc_page();
	CHECK(exception(wrmsr(MSR_REFERENCE_TSC, (1ull << 60) | 1)) == 13);
}

static void test_vp_assist_page(void)
{
	uint8_t zero[4096] = { 0 };

	memset(ram + ASSIST_PAGE, 0xab, 4096);
	CHECK(halted(wrmsr(MSR_VP_ASSIST_PAGE, ASSIST_PAGE | 1)));
	CHECK(rdmsr_ok(MSR_VP_ASSIST_PAGE) == (ASSIST_PAGE | 1));
	CHECK(reg(HV_REGISTER_VP_ASSIST_PAGE) == (ASSIST_PAGE | 1));
	CHECK(memcmp(ram + ASSIST_PAGE, zero, 4096) == 0);
	CHECK(halted(wrmsr(MSR_VP_ASSIST_PAGE, 0)));
	CHECK(rdmsr_ok(MSR_VP_ASSIST_PAGE) == 0);
}

int main(void)
{
	int ret = mshv_system_open(&sys);

	if (ret == -ENOENT) {
		printf("SKIP: no /dev/mshv (run it under tools/mshv-sim)\n");
		return 77;
	}
	CHECK(ret == 0);
	setup();
	test_cpuid();
	test_hypercall_page();
	test_hypercall_forwarding();
	test_served_hypercalls();
	test_remote_flush();
	test_lock_atomic();
	test_vp_index_and_read_only();
	test_rates();
	test_reference_tsc_page();
	test_vp_assist_page();
	mshv_vcpu_close(&vp);
	mshv_vm_close(&vm);
	mshv_system_close(&sys);
	munmap(ram, RAM_SIZE);
	printf("sim_hyperv_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

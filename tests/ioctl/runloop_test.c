/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * What a run loop needs beyond port IO and MMIO, on a real-mode guest:
 * handles that start closed (MSHV_*_INIT), RDMSR/WRMSR and CPUID
 * intercepts completed in one step (mshv_vcpu_complete_msr/_cpuid)
 * through the register page and through the hypercall path, an exception
 * injected into the guest (mshv_vcpu_inject_exception), CPUID results
 * that clear bits (..._cpuid_masked), the synthetic MSRs through
 * mshv_vcpu_get/set_msrs, and the general registers between the
 * encoding's order and struct mshv_standard_registers.
 */
#include "common.h"

#if defined(__x86_64__)
static struct mshv_system sys;

#define MSR_TEST 0x1234u /* an MSR the hypervisor does not implement: the intercept applies */

struct guest {
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	__u8 *mem; /* GPA 0-0x3fff: the IVT, code at 0x1000, a stack below 0x3000 */
	struct mshv_user_mem_region region;
};

/* A partition with 16 KiB of RAM at GPA 0 holding code at 0x1000, and VP 0 in real mode there. */
static void guest_start(struct guest *g, const __u8 *code, size_t len)
{
	struct mshv_register64 regs[4] = { { HV_X64_REGISTER_RIP, 0x1000 },
					   { HV_X64_REGISTER_RSP, 0x3000 },
					   { HV_X64_REGISTER_RFLAGS, MSHV_X86_RFLAGS_FIXED },
					   { HV_X64_REGISTER_RAX, 0xdeadbeefdeadbeefull } };
	union hv_register_value cs;

	create_initialized_vm(&sys, &g->vm);
	CHECK_RET(mshv_vm_create_vcpu(&g->vm, 0, &g->vcpu), 0);
	g->mem = (__u8 *)mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(g->mem != MAP_FAILED);
	memset(&g->region, 0, sizeof(g->region));
	g->region.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	g->region.size = 0x4000;
	g->region.userspace_addr = (uintptr_t)g->mem;
	CHECK_RET(mshv_vm_map_user_memory(&g->vm, &g->region), 0);
	memcpy(g->mem + 0x1000, code, len);
	CHECK_RET(mshv_vcpu_get_register(&g->vcpu, HV_X64_REGISTER_CS, &cs, NULL), 0);
	cs.segment.base = 0;
	cs.segment.selector = 0;
	CHECK_RET(mshv_vcpu_set_registers64(&g->vcpu, regs, 4, NULL), 0);
	{
		struct hv_register_assoc a;

		memset(&a, 0, sizeof(a));
		a.name = HV_X64_REGISTER_CS;
		a.value = cs;
		CHECK_RET(mshv_vcpu_set_registers(&g->vcpu, &a, 1, NULL), 0);
	}
}

static void guest_stop(struct guest *g)
{
	CHECK_RET(mshv_vm_unmap_user_memory(&g->vm, &g->region), 0);
	munmap(g->mem, 0x4000);
	CHECK_RET(mshv_vcpu_close(&g->vcpu), 0);
	CHECK_RET(mshv_vm_close(&g->vm), 0);
}

static void install(struct guest *g, __u32 type, __u32 access, __u32 msr)
{
	struct mshv_install_intercept ic;

	memset(&ic, 0, sizeof(ic));
	ic.access_type_mask = access;
	ic.intercept_type = type;
	ic.intercept_parameter.msr_index = msr;
	CHECK_RET(mshv_vm_install_intercept(&g->vm, &ic, NULL), 0);
}

/* The next exit: port IO at `port` (returned), or 0 after reporting what came instead. */
static const struct hv_x64_io_port_intercept_message *expect_out(struct guest *g, struct hv_message *msg,
								 unsigned int port)
{
	const struct hv_x64_io_port_intercept_message *io;

	CHECK_RET(mshv_vcpu_run(&g->vcpu, msg), 0);
	io = mshv_msg_io_port(msg);
	CHECK(io != NULL && io->port_number == port);
	if (!io || io->port_number != port) {
		printf("  wanted OUT to 0x%x, got message 0x%x\n", port, (unsigned int)msg->header.message_type);
		return NULL;
	}
	return io;
}

/* The handles' initialisers: closing one that was never opened does nothing, and succeeds. */
static void test_init_macros(void)
{
	struct mshv_system s = MSHV_SYSTEM_INIT;
	struct mshv_vm vm = MSHV_VM_INIT;
	struct mshv_vcpu vcpu = MSHV_VCPU_INIT;
	struct mshv_device dev = MSHV_DEVICE_INIT;

	CHECK(s.fd == -1 && vm.fd == -1 && vcpu.fd == -1 && dev.fd == -1 && vcpu.reg_page == NULL);
	CHECK_RET(mshv_system_close(&s), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_device_close(&dev), 0);
}

/*
 * RDMSR, WRMSR and CPUID, each intercepted and completed in one call; the
 * guest reports what it got. `path` 0: through the register page (a copy
 * of the handle whose fd is -1, so a system call would fail); 1: the
 * hypercall path (a copy without the page).
 */
static void test_complete_msr_cpuid(int path)
{
	static const __u8 code[] = {
		0x66, 0xb9, 0x34, 0x12, 0x00, 0x00,       /* mov $MSR_TEST,%ecx */
		0x66, 0xba, 0xff, 0xff, 0xff, 0xff,       /* mov $-1,%edx */
		0x0f, 0x32,                               /* rdmsr */
		0x66, 0xe7, 0x10,                         /* out %eax,$0x10 */
		0x66, 0x89, 0xd0,                         /* mov %edx,%eax */
		0x66, 0xe7, 0x11,                         /* out %eax,$0x11 */
		0x66, 0xb8, 0x78, 0x56, 0x34, 0x12,       /* mov $0x12345678,%eax */
		0x66, 0xba, 0x21, 0x43, 0x65, 0x87,       /* mov $0x87654321,%edx */
		0x0f, 0x30,                               /* wrmsr */
		0x66, 0xb8, 0x0b, 0x00, 0x00, 0x40,       /* mov $0x4000000b,%eax */
		0x0f, 0xa2,                               /* cpuid */
		0x66, 0xe7, 0x12,                         /* out %eax,$0x12 */
		0x66, 0x89, 0xd8,                         /* mov %ebx,%eax */
		0x66, 0xe7, 0x13,                         /* out %eax,$0x13 */
		0x66, 0x89, 0xc8,                         /* mov %ecx,%eax */
		0x66, 0xe7, 0x14,                         /* out %eax,$0x14 */
		0x66, 0x89, 0xd0,                         /* mov %edx,%eax */
		0x66, 0xe7, 0x15,                         /* out %eax,$0x15 */
		0xf4                                      /* hlt */
	};
	static const __u32 want_cpuid[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
	struct guest g;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	const struct hv_x64_msr_intercept_message *m;
	const struct hv_x64_cpuid_intercept_message *c;
	struct mshv_standard_registers r;
	struct mshv_vcpu use;
	__u16 st = 0xffff;
	int k;

	guest_start(&g, code, sizeof(code));
	install(&g, HV_INTERCEPT_TYPE_X64_MSR_INDEX, HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE,
		MSR_TEST);
	install(&g, HV_INTERCEPT_TYPE_X64_CPUID, HV_INTERCEPT_ACCESS_MASK_EXECUTE, 0);
	use = g.vcpu;
	if (path == 0) {
		CHECK(g.vcpu.reg_page != NULL);
		use.fd = -1;
	} else {
		use.reg_page = NULL;
	}

	CHECK_RET(mshv_vcpu_run(&g.vcpu, &msg), 0);
	m = mshv_msg_msr(&msg);
	CHECK(m != NULL);
	if (!m)
		goto out;
	CHECK(m->msr_number == MSR_TEST && m->header.intercept_access_type == HV_INTERCEPT_ACCESS_READ);
	CHECK(m->header.rip == 0x100c && m->header.instruction_length == 2);
	CHECK_RET(mshv_vcpu_complete_msr(&use, m, 0x0123456789abcdefull, &st), 0);
	CHECK(st == HV_STATUS_SUCCESS);
	io = expect_out(&g, &msg, 0x10);
	if (!io)
		goto out;
	CHECK(io->rax == 0x89abcdefull); /* EAX, zero-extended over the guest's garbage */
	CHECK_RET(mshv_vcpu_complete_io(&use, io, 0, NULL), 0);
	io = expect_out(&g, &msg, 0x11);
	if (!io)
		goto out;
	CHECK((__u32)io->rax == 0x01234567u);
	CHECK_RET(mshv_vcpu_get_regs(&g.vcpu, &r, NULL), 0);
	CHECK(r.rdx == 0x01234567u); /* RDX zero-extended */
	CHECK_RET(mshv_vcpu_complete_io(&use, io, 0, NULL), 0);

	CHECK_RET(mshv_vcpu_run(&g.vcpu, &msg), 0);
	m = mshv_msg_msr(&msg);
	CHECK(m != NULL);
	if (!m)
		goto out;
	CHECK(m->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE);
	CHECK(m->rdx == 0x87654321u && (__u32)m->rax == 0x12345678u);
	CHECK_RET(mshv_vcpu_complete_msr(&use, m, 0, &st), 0); /* the value is the VMM's to keep */

	CHECK_RET(mshv_vcpu_run(&g.vcpu, &msg), 0);
	c = mshv_msg_cpuid(&msg);
	CHECK(c != NULL);
	if (!c)
		goto out;
	CHECK(c->rax == 0x4000000b && c->header.instruction_length == 2);
	CHECK_RET(mshv_vcpu_complete_cpuid(&use, c, want_cpuid[0], want_cpuid[1], want_cpuid[2], want_cpuid[3], &st), 0);
	CHECK(st == HV_STATUS_SUCCESS);
	for (k = 0; k < 4; k++) {
		io = expect_out(&g, &msg, 0x12 + (unsigned int)k);
		if (!io)
			break;
		CHECK(io->rax == want_cpuid[k]);
		CHECK_RET(mshv_vcpu_complete_io(&use, io, 0, NULL), 0);
	}
	CHECK_RET(mshv_vcpu_run(&g.vcpu, &msg), 0);
	CHECK(mshv_msg_halt(&msg) != NULL);
out:
	guest_stop(&g);
}

/*
 * An exception injected through HV_REGISTER_PENDING_EVENT0 runs the
 * guest's handler (the IVT's entry 13) before its next instruction, with
 * FLAGS, CS and IP pushed; a vector above 31 is refused before any call.
 */
static void test_inject_exception(void)
{
	static const __u8 code[] = { 0xe6, 0x20, 0xf4 };    /* out %al,$0x20; hlt */
	static const __u8 handler[] = { 0xe6, 0x21, 0xf4 }; /* at 0x1100: out %al,$0x21; hlt */
	struct guest g;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	struct mshv_standard_registers r;
	__u16 st = 0xffff;

	guest_start(&g, code, sizeof(code));
	memcpy(g.mem + 0x1100, handler, sizeof(handler));
	g.mem[13 * 4] = 0x00; /* IVT[13] = 0000:1100 */
	g.mem[13 * 4 + 1] = 0x11;
	g.mem[13 * 4 + 2] = g.mem[13 * 4 + 3] = 0;
	io = expect_out(&g, &msg, 0x20);
	if (io)
		CHECK_RET(mshv_vcpu_complete_io(&g.vcpu, io, 0, NULL), 0);
	CHECK_RET(mshv_vcpu_inject_exception(&g.vcpu, 32, 0, 0, 0, &st), -EINVAL);
	CHECK(st == HV_STATUS_SUCCESS);
	CHECK_RET(mshv_vcpu_inject_exception(&g.vcpu, 13, 1, 0, 0, &st), 0);
	CHECK(st == HV_STATUS_SUCCESS);
	io = expect_out(&g, &msg, 0x21);
	if (io)
		CHECK(io->header.rip == 0x1100);
	CHECK_RET(mshv_vcpu_get_regs(&g.vcpu, &r, NULL), 0);
	CHECK(r.rsp == 0x3000 - 6);                                   /* FLAGS, CS, IP: no error code in real mode */
	CHECK(g.mem[0x3000 - 6] == 0x02 && g.mem[0x3000 - 5] == 0x10); /* the IP of the HLT not yet run */
	guest_stop(&g);
}

/*
 * CPUID results with masks: leaf 1's EDX loses bit 0 (FPU, which the
 * hypervisor reports) and ECX gains a bit it reports clear, the rest as
 * the hypervisor gives it. The guest's CPUID sees exactly that.
 */
static void test_cpuid_masked(void)
{
	static const __u8 code[] = {
		0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, /* mov $1,%eax */
		0x66, 0x31, 0xc9,                   /* xor %ecx,%ecx */
		0x0f, 0xa2,                         /* cpuid */
		0x66, 0x89, 0xc8,                   /* mov %ecx,%eax */
		0x66, 0xe7, 0x10,                   /* out %eax,$0x10 */
		0x66, 0x89, 0xd0,                   /* mov %edx,%eax */
		0x66, 0xe7, 0x11,                   /* out %eax,$0x11 */
		0xf4
	};
	struct guest g;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	struct mshv_cpuid_entry e;
	__u32 own[4], mask[4] = { 0, 0, 0, 0x1 }, clear_bit;
	__u16 st = 0xffff;
	int ret;

	guest_start(&g, code, sizeof(code));
	CHECK_RET(mshv_vcpu_get_cpuid_values(&g.vcpu, 1, 0, 0, 0, own, NULL), 0);
	for (clear_bit = 1; clear_bit < 31 && (own[2] & clear_bit); clear_bit <<= 1)
		; /* a bit of ECX the hypervisor reports clear */
	mask[2] = clear_bit;
	CHECK((own[3] & 1) == 1 && !(own[2] & clear_bit));
	memset(&e, 0, sizeof(e));
	e.function = 1;
	e.eax = 0xffffffff; /* masked out: not used */
	e.ecx = clear_bit;
	e.edx = 0;
	ret = mshv_vcpu_register_intercept_result_cpuid_masked(&g.vcpu, &e, mask, 1, 0, &st);
	CHECK_RET(ret, 0);
	CHECK(st == HV_STATUS_SUCCESS);
	io = expect_out(&g, &msg, 0x10);
	if (io)
		CHECK((__u32)io->rax == (own[2] | clear_bit));
	if (io)
		CHECK_RET(mshv_vcpu_complete_io(&g.vcpu, io, 0, NULL), 0);
	io = expect_out(&g, &msg, 0x11);
	if (io)
		CHECK((__u32)io->rax == (own[3] & ~1u));
	guest_stop(&g);
}

/* The synthetic MSRs with a register: the hypercall page MSR, VP index, reference counter, VP assist page. */
static void test_synthetic_msrs(void)
{
	struct guest g;
	struct mshv_msr_entry m[4];
	__u64 t0;

	CHECK(mshv_x86_msr_to_register(0x40000001) == HV_X64_REGISTER_HYPERCALL);
	CHECK(mshv_x86_msr_to_register(0x40000002) == HV_REGISTER_VP_INDEX);
	CHECK(mshv_x86_msr_to_register(0x40000020) == HV_REGISTER_TIME_REF_COUNT);
	CHECK(mshv_x86_msr_to_register(0x40000073) == HV_REGISTER_VP_ASSIST_PAGE);
	guest_start(&g, (const __u8 *)"\xf4", 1);
	memset(m, 0, sizeof(m));
	m[0].index = 0x40000000; /* the guest OS ID first: the hypercall page stays off while it is 0 (TLFS) */
	m[0].data = 0x8100000000000000ull;
	m[1].index = 0x40000001;
	m[1].data = 0x2000 | 1; /* the hypercall page at GPA 0x2000, enabled */
	m[2].index = 0x40000073;
	m[2].data = 0x3000 | 1;
	CHECK_RET(mshv_vcpu_set_msrs(&g.vcpu, m, 3, NULL), 3);
	memset(m, 0, sizeof(m));
	m[0].index = 0x40000001;
	m[1].index = 0x40000073;
	m[2].index = 0x40000002;
	m[3].index = 0x40000020;
	CHECK_RET(mshv_vcpu_get_msrs(&g.vcpu, m, 4, NULL), 4);
	CHECK(m[0].data == (0x2000 | 1) && m[1].data == (0x3000 | 1));
	CHECK(m[2].data == 0); /* VP 0 */
	t0 = m[3].data;
	usleep(2000);
	CHECK_RET(mshv_vcpu_get_msrs(&g.vcpu, &m[3], 1, NULL), 1);
	CHECK(m[3].data > t0); /* 100 ns units: it moved */
	guest_stop(&g);
}

/* Encoding order <-> struct mshv_standard_registers, and the register page agrees with it. */
static void test_gpr_order(void)
{
	struct mshv_standard_registers r, back;
	__u64 gpr[16], again[16];
	unsigned int i;

	for (i = 0; i < 16; i++)
		gpr[i] = 0x1000 + i;
	memset(&r, 0, sizeof(r));
	CHECK_RET(mshv_x86_regs_from_gpr(&r, gpr), 0);
	CHECK(r.rax == 0x1000 && r.rcx == 0x1001 && r.rdx == 0x1002 && r.rbx == 0x1003);
	CHECK(r.rsp == 0x1004 && r.rbp == 0x1005 && r.rsi == 0x1006 && r.rdi == 0x1007);
	CHECK(r.r8 == 0x1008 && r.r15 == 0x100f && r.rip == 0 && r.rflags == 0);
	CHECK_RET(mshv_x86_regs_to_gpr(&r, again), 0);
	CHECK(memcmp(gpr, again, sizeof(gpr)) == 0);
	{
		struct guest g;

		guest_start(&g, (const __u8 *)"\xf4", 1);
		r.rip = 0x1000;
		r.rflags = MSHV_X86_RFLAGS_FIXED;
		CHECK_RET(mshv_vcpu_set_regs(&g.vcpu, &r, NULL), 0);
		if (g.vcpu.reg_page) {
			struct mshv_vcpu hc = g.vcpu;

			hc.reg_page = NULL;
			CHECK_RET(mshv_vcpu_get_regs(&hc, &back, NULL), 0); /* the hypervisor's view */
			CHECK(memcmp(&back, &r, sizeof(r)) == 0);
		}
		guest_stop(&g);
	}
}
#endif

int main(void)
{
#if defined(__x86_64__)
	test_init_macros();
	open_or_skip(&sys);
	test_complete_msr_cpuid(0);
	test_complete_msr_cpuid(1);
	test_inject_exception();
	test_cpuid_masked();
	test_synthetic_msrs();
	test_gpr_order();
	mshv_system_close(&sys);
	return CHECK_REPORT("runloop");
#else
	puts("runloop: x86_64 only");
	return 77;
#endif
}

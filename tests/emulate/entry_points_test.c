/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv_vcpu_emulate_mmio and mshv_vcpu_emulate_string_io without a
 * hypervisor: on VP handles with fd -1 (a call that reached the kernel
 * would answer -EBADF) and a register page in this program's memory.
 *
 * - bad input is refused before any system call: no message, another
 *   message type, an instruction fetch's intercept, no ops, a string-IO
 *   message that is no string operation or whose bytes are not INS/OUTS,
 *   truncated or unsupported bytes (with insn->reject), a missing callback;
 * - through a valid register page, each family completes with no system
 *   call: the destination register, RIP, RFLAGS and exactly the dirty
 *   classes it changed (a store: IP only), the device seeing the GPA,
 *   size and data; on an error the page is untouched;
 * - without the register page the helpers go to the kernel (-EBADF).
 *
 *   entry_points_test   (suite 'emulate')
 */
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <string.h>

#include "mshv.h"
#include "../check.h"
#include "message.h"

#define GPA 0x10000000ull
#define RIP 0x401000ull

struct device {
	__u64 value; /* what a read returns */
	__u64 gpa, written;
	unsigned int size, reads, writes;
	__u16 port;
};

static int d_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct device *d = ctx;

	d->gpa = gpa;
	d->size = size;
	d->reads++;
	memcpy(data, &d->value, size);
	return 0;
}

static int d_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct device *d = ctx;

	d->gpa = gpa;
	d->size = size;
	d->writes++;
	d->written = 0;
	memcpy(&d->written, data, size);
	return 0;
}

static int d_failing_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	(void)ctx;
	(void)gpa;
	(void)size;
	(void)data;
	return -EIO;
}

static __u8 guest_ram[0x2000];

static void *d_ram(void *ctx, __u64 gpa, unsigned int size)
{
	(void)ctx;
	return gpa >= 0x1000 && gpa + size <= 0x3000 ? guest_ram + (gpa - 0x1000) : NULL;
}

static int d_port_write(void *ctx, __u16 port, unsigned int size, const void *data)
{
	struct device *d = ctx;

	d->port = port;
	d->size = size;
	d->writes++;
	d->written = 0;
	memcpy(&d->written, data, size);
	return 0;
}

static int identity(void *ctx, __u64 gva, unsigned int write, __u64 *gpa)
{
	(void)ctx;
	(void)write;
	*gpa = gva;
	return 0;
}

static const struct mshv_x86_emulator_ops ops = { d_read, d_write, d_ram, NULL, d_port_write, identity };

static union {
	struct hv_vp_register_page page;
	__u8 bytes[4096];
} page;

/* A memory intercept of 64-bit code at RIP for bytes at GPA, access type `access`. */
static void memory_message(struct hv_message *msg, const __u8 *bytes, unsigned int n, unsigned int access)
{
	test_memory_message(msg, RIP, GPA, bytes, n, access);
}

/* A valid register page: RBX = RAX = GPA, the rest recognisable. */
static void fresh_page(void)
{
	unsigned int i;

	memset(&page, 0, sizeof(page));
	page.page.isvalid = 1;
	for (i = 0; i < 16; i++)
		page.page.gp_registers[i] = 0x1111111111111111ull * i;
	page.page.rax = page.page.rbx = GPA;
	page.page.rip = RIP;
	page.page.rflags = 0x202;
}

int main(void)
{
	static const __u8 load[] = { 0x8b, 0x0b },                  /* mov (%rbx), %ecx */
		store[] = { 0x48, 0x89, 0x13 },                     /* mov %rdx, (%rbx) */
		or_imm[] = { 0x48, 0x83, 0x08, 0x01 },              /* orq $1, (%rax) */
		movzx[] = { 0x0f, 0xb6, 0x73, 0x03 },               /* movzbl 3(%rbx), %esi */
		mul[] = { 0xf7, 0x23 },                             /* mull (%rbx): not emulated */
		outsb[] = { 0xf3, 0x6e },                           /* rep outsb */
		movsb[] = { 0xa4 };                                 /* movsb: not port IO */
	const struct mshv_x86_emulator_ops no_read = { NULL, d_write, NULL, NULL, NULL, identity };
	const struct mshv_x86_emulator_ops failing = { d_failing_read, d_write, NULL, NULL, NULL, identity };
	struct mshv_vcpu vcpu;
	struct hv_message msg;
	struct mshv_x86_insn insn;
	struct device dev;
	__u16 st = 0xffff;
	unsigned int before;

	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.fd = -1;
	vcpu.reg_page = &page.page;
	memset(&dev, 0, sizeof(dev));

	/* refusals, before any system call and with the page untouched */
	fresh_page();
	memory_message(&msg, load, sizeof(load), HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, NULL, &ops, &dev, NULL, &st), -EINVAL);
	CHECK(st == HV_STATUS_SUCCESS);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, NULL, &dev, NULL, NULL), -EINVAL);
	CHECK_RET(mshv_vcpu_emulate_string_io(&vcpu, &msg, &ops, &dev, NULL, NULL), -EINVAL); /* not port IO */
	memory_message(&msg, load, sizeof(load), HV_INTERCEPT_ACCESS_EXECUTE);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, NULL, NULL), -EINVAL);
	memory_message(&msg, load, 1, HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, &insn, NULL), -ENODATA);
	CHECK(insn.reject == MSHV_X86_REJECT_TRUNCATED);
	memory_message(&msg, mul, sizeof(mul), HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, &insn, NULL), -EOPNOTSUPP);
	CHECK(insn.reject == MSHV_X86_REJECT_OPCODE);
	memory_message(&msg, load, sizeof(load), HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &no_read, &dev, NULL, NULL), -EOPNOTSUPP);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &failing, &dev, NULL, NULL), -EIO);
	CHECK(page.page.dirty == 0 && page.page.rcx == 0x1111111111111111ull && page.page.rip == RIP);
	CHECK(dev.reads == 0 && dev.writes == 0);

	/* a 32-bit load: ECX zero-extended, RIP past it; GENERAL and IP dirty, FLAGS not */
	dev.value = 0xaabbccdd99887766ull;
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, &insn, &st), MSHV_X86_EMULATE_DONE);
	CHECK(st == HV_STATUS_SUCCESS);
	CHECK(dev.reads == 1 && dev.gpa == GPA && dev.size == 4);
	CHECK(page.page.rcx == 0x99887766ull && page.page.rip == RIP + 2 && page.page.rflags == 0x202);
	CHECK(page.page.dirty == ((1u << HV_X64_REGISTER_CLASS_GENERAL) | (1u << HV_X64_REGISTER_CLASS_IP)));
	CHECK(insn.op == MSHV_X86_OP_MOV && insn.length == 2 && insn.reg == 1);

	/* a 64-bit store: the device gets RDX; only IP is dirty */
	fresh_page();
	memory_message(&msg, store, sizeof(store), HV_INTERCEPT_ACCESS_WRITE);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, NULL, NULL), MSHV_X86_EMULATE_DONE);
	CHECK(dev.writes == 1 && dev.gpa == GPA && dev.size == 8 && dev.written == 0x2222222222222222ull);
	CHECK(page.page.rip == RIP + 3 && page.page.dirty == (1u << HV_X64_REGISTER_CLASS_IP));

	/* orq $1, (%rax): read, write, RFLAGS (SF from bit 63; CF, OF clear), FLAGS and IP dirty */
	fresh_page();
	dev.value = 0x8000000000000000ull;
	memory_message(&msg, or_imm, sizeof(or_imm), HV_INTERCEPT_ACCESS_WRITE);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, NULL, NULL), MSHV_X86_EMULATE_DONE);
	CHECK(dev.written == 0x8000000000000001ull && dev.size == 8);
	CHECK(page.page.rflags == (0x202 | MSHV_X86_RFLAGS_SF));
	CHECK(page.page.dirty == ((1u << HV_X64_REGISTER_CLASS_IP) | (1u << HV_X64_REGISTER_CLASS_FLAGS)));

	/* movzbl 3(%rbx): the byte at GPA + 3 (same page as the message's) */
	fresh_page();
	dev.value = 0xfe;
	memory_message(&msg, movzx, sizeof(movzx), HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, NULL, NULL), MSHV_X86_EMULATE_DONE);
	CHECK(dev.gpa == GPA + 3 && dev.size == 1 && page.page.rsi == 0xfe && page.page.rip == RIP + 4);

	/* string port IO: REP OUTSB of guest RAM, in chunks; RSI, RCX through the page */
	{
		struct hv_x64_io_port_intercept_message io;
		unsigned int i, rounds = 0;
		int ret;

		for (i = 0; i < 300; i++)
			guest_ram[i] = (__u8)i;
		fresh_page();
		page.page.rsi = 0x1000;
		page.page.rcx = 300;
		page.page.rdx = 0x3f8;
		memset(&io, 0, sizeof(io));
		io.header.intercept_access_type = HV_INTERCEPT_ACCESS_WRITE;
		io.header.execution_state.cr0_pe = 1;
		io.header.execution_state.efer_lma = 1;
		io.header.cs_segment._long = 1;
		io.header.rip = RIP;
		io.header.rflags = 0x202;
		io.port_number = 0x3f8;
		io.access_info.access_size = 1;
		io.access_info.string_op = 1;
		io.access_info.rep_prefix = 1;
		io.instruction_byte_count = sizeof(outsb);
		memcpy(io.instruction_bytes, outsb, sizeof(outsb));
		memset(&msg, 0, sizeof(msg));
		msg.header.message_type = HVMSG_X64_IO_PORT_INTERCEPT;
		msg.header.payload_size = sizeof(io);
		memcpy(msg.u.payload, &io, sizeof(io));
		dev.writes = 0;
		do {
			/* as after each MSHV_RUN_VP: the page holds the registers */
			page.page.isvalid = 1;
			ret = mshv_vcpu_emulate_string_io(&vcpu, &msg, &ops, &dev, NULL, NULL);
			rounds++;
		} while (ret == MSHV_X86_EMULATE_AGAIN && rounds < 10);
		CHECK(ret == MSHV_X86_EMULATE_DONE && rounds == (300 + MSHV_X86_REP_CHUNK - 1) / MSHV_X86_REP_CHUNK);
		CHECK(dev.writes == 300 && dev.port == 0x3f8 && dev.size == 1 && dev.written == (299 & 0xff));
		CHECK(page.page.rsi == 0x1000 + 300 && page.page.rcx == 0 && page.page.rip == RIP + 2);
		/* not a string operation; bytes that are not INS/OUTS */
		io.access_info.string_op = 0;
		memcpy(msg.u.payload, &io, sizeof(io));
		CHECK_RET(mshv_vcpu_emulate_string_io(&vcpu, &msg, &ops, &dev, NULL, NULL), -EINVAL);
		io.access_info.string_op = 1;
		io.instruction_byte_count = sizeof(movsb);
		memcpy(io.instruction_bytes, movsb, sizeof(movsb));
		memcpy(msg.u.payload, &io, sizeof(io));
		CHECK_RET(mshv_vcpu_emulate_string_io(&vcpu, &msg, &ops, &dev, NULL, NULL), -EINVAL);
	}

	/* without the register page: the registers come from the kernel (fd -1: -EBADF), the device untouched */
	vcpu.reg_page = NULL;
	before = dev.reads;
	memory_message(&msg, load, sizeof(load), HV_INTERCEPT_ACCESS_READ);
	CHECK_RET(mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, &dev, NULL, NULL), -EBADF);
	CHECK(dev.reads == before);
	return CHECK_REPORT("emulate-entry-points");
}

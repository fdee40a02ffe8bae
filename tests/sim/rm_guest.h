/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Real-mode guests on raw /dev/mshv ioctls for the simulator's tests
 * (apic_test.c, synic_test.c): a partition with 64 KiB of RAM at 0, VPs
 * with their register page, registers through HVCALL_GET/SET_VP_REGISTERS,
 * a run loop that stops at port writes, the real-mode IVT, and a tiny
 * assembler for the instructions the tests need (APIC page accesses with
 * FS based at 0xfee00000, OUT, handlers that report their vector).
 */
#ifndef MSHV_SIM_TEST_RM_GUEST_H
#define MSHV_SIM_TEST_RM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "raw_hvcall.h"

#define MEM_SIZE (64 * 1024)

struct vm {
	int pt;
	uint8_t *mem;
};

struct vcpu {
	int fd;
	uint32_t index;
	struct hv_vp_register_page *regs;
	struct hv_message msg;
};

static int mshv_fd = -1; /* /dev/mshv, opened by the test's main() */

/*
 * A partition with MEM_SIZE bytes of RAM at GPA 0 (struct vm.mem): created
 * with pt_flags (1 << MSHV_PT_BIT_*), given the synthetic processor
 * features (HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES; 0 leaves the
 * property unset), initialized.
 */
static inline struct vm vm_create_with(uint64_t pt_flags, uint64_t features)
{
	struct mshv_create_partition args;
	struct mshv_user_mem_region r;
	struct vm vm;

	memset(&args, 0, sizeof(args));
	args.pt_flags = pt_flags;
	vm.pt = ioctl(mshv_fd, MSHV_CREATE_PARTITION, &args);
	CHECK(vm.pt >= 0);
	if (features) {
		struct hv_input_set_partition_property in;
		memset(&in, 0, sizeof(in));
		in.property_code = HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES;
		in.property_value = features;
		CHECK(hvcall(vm.pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0, NULL) == 0);
	}
	CHECK(ioctl(vm.pt, MSHV_INITIALIZE_PARTITION) == 0);
	vm.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(vm.mem != MAP_FAILED);
	memset(&r, 0, sizeof(r));
	r.size = MEM_SIZE;
	r.userspace_addr = (uintptr_t)vm.mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK(ioctl(vm.pt, MSHV_SET_GUEST_MEMORY, &r) == 0);
	return vm;
}

/* A partition with a local APIC and no synthetic features set. */
static inline struct vm vm_create(void)
{
	return vm_create_with(1ull << MSHV_PT_BIT_LAPIC, 0);
}

static inline void vm_destroy(struct vm *vm)
{
	close(vm->pt);
	munmap(vm->mem, MEM_SIZE);
}

static inline int set_reg(struct vcpu *v, uint32_t name, const union hv_register_value *val)
{
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc a;
	uint8_t in[sizeof(hdr) + sizeof(a)];

	memset(&hdr, 0, sizeof(hdr));
	memset(&a, 0, sizeof(a));
	hdr.vp_index = v->index;
	a.name = name;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &a, sizeof(a));
	memcpy(in + sizeof(hdr) + offsetof(struct hv_register_assoc, value), val, sizeof(*val));
	return hvcall(v->fd, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0, NULL);
}

static inline int set_reg64(struct vcpu *v, uint32_t name, uint64_t value)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.reg64 = value;
	return set_reg(v, name, &val);
}

static inline union hv_register_value get_reg(struct vcpu *v, uint32_t name)
{
	struct hv_input_get_vp_registers hdr;
	uint8_t in[sizeof(hdr) + sizeof(uint32_t)];
	union hv_register_value out;

	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = v->index;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &name, sizeof(name));
	memset(&out, 0, sizeof(out));
	CHECK(hvcall(v->fd, HVCALL_GET_VP_REGISTERS, 1, in, sizeof(in), &out, sizeof(out), NULL) == 0);
	return out;
}

static inline uint64_t get_reg64(struct vcpu *v, uint32_t name)
{
	return get_reg(v, name).reg64;
}

static inline void set_seg(struct vcpu *v, uint32_t name, uint64_t base, uint16_t sel)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.segment.base = base;
	val.segment.limit = 0xffff;
	val.segment.selector = sel;
	val.segment.attributes = name == HV_X64_REGISTER_CS ? 0x9b : 0x93;
	CHECK(set_reg(v, name, &val) == 0);
}

static inline struct vcpu vcpu_create(struct vm *vm, uint32_t index)
{
	struct mshv_create_vp args = { index };
	struct vcpu v;

	v.index = index;
	v.fd = ioctl(vm->pt, MSHV_CREATE_VP, &args);
	CHECK(v.fd >= 0);
	v.regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd,
		      MSHV_VP_MMAP_OFFSET_REGISTERS * sysconf(_SC_PAGESIZE));
	CHECK(v.regs != MAP_FAILED);
	return v;
}

static inline void vcpu_destroy(struct vcpu *v)
{
	munmap(v->regs, 4096);
	close(v->fd);
}

/* Real mode at 0:ip, stack at 0x8000, FS at the APIC page. */
static inline void vcpu_setup(struct vcpu *v, uint16_t ip)
{
	set_seg(v, HV_X64_REGISTER_CS, 0, 0);
	set_seg(v, HV_X64_REGISTER_FS, 0xfee00000, 0);
	CHECK(set_reg64(v, HV_X64_REGISTER_RIP, ip) == 0);
	CHECK(set_reg64(v, HV_X64_REGISTER_RSP, 0x8000) == 0);
}

static inline int vcpu_run(struct vcpu *v)
{
	return ioctl(v->fd, MSHV_RUN_VP, &v->msg);
}

static inline const struct hv_x64_io_port_intercept_message *io_msg(const struct vcpu *v)
{
	return (const struct hv_x64_io_port_intercept_message *)v->msg.u.payload;
}

/* Run until the next port write; returns its port (HLT exits are run through), -1 on anything else. */
static inline int run_to_out(struct vcpu *v)
{
	for (;;) {
		if (vcpu_run(v) != 0)
			return -1;
		if (v->msg.header.message_type == HVMSG_X64_HALT)
			continue;
		if (v->msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT)
			return -1;
		v->regs->rip += io_msg(v)->header.instruction_length;
		v->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
		return io_msg(v)->port_number;
	}
}

static inline void set_ivt(uint8_t *mem, unsigned vector, uint16_t offset)
{
	mem[vector * 4 + 0] = (uint8_t)offset;
	mem[vector * 4 + 1] = (uint8_t)(offset >> 8);
	mem[vector * 4 + 2] = 0;
	mem[vector * 4 + 3] = 0;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- a tiny real-mode assembler ---- */
struct code {
	uint8_t *p;
};

static inline void emit(struct code *c, const uint8_t *b, size_t n)
{
	memcpy(c->p, b, n);
	c->p += n;
}

/* mov dword fs:[off], imm32 */
static inline void apic_wr(struct code *c, uint16_t off, uint32_t val)
{
	uint8_t b[] = { 0x64, 0x66, 0xc7, 0x06, (uint8_t)off, (uint8_t)(off >> 8),
			(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24) };
	emit(c, b, sizeof(b));
}

/* mov eax, fs:[off]; out port, eax */
static inline void apic_rd_out(struct code *c, uint16_t off, uint8_t port)
{
	uint8_t b[] = { 0x64, 0x66, 0xa1, (uint8_t)off, (uint8_t)(off >> 8), 0x66, 0xe7, port };
	emit(c, b, sizeof(b));
}

static inline void out8(struct code *c, uint8_t port)
{
	uint8_t b[] = { 0xe6, port };
	emit(c, b, sizeof(b));
}

static inline void op1(struct code *c, uint8_t op)
{
	emit(c, &op, 1);
}

/* A handler at mem+at: out vector, al; EOI; iret. */
static inline void handler(uint8_t *mem, uint16_t at, unsigned vector, bool eoi)
{
	struct code c = { mem + at };

	out8(&c, (uint8_t)vector);
	if (eoi)
		apic_wr(&c, 0xb0, 0);
	op1(&c, 0xcf);
	set_ivt(mem, vector, at);
}


/* A #GP handler at mem+at: out 0x0d, al; then past the faulting 2-byte instruction (RDMSR, WRMSR); iret. */
static inline void gp_skip2_handler(uint8_t *mem, uint16_t at)
{
	static const uint8_t h[] = {
		0xe6, 0x0d,             /* out 0x0d, al */
		0x89, 0xe5,             /* mov bp, sp */
		0x83, 0x46, 0x00, 0x02, /* add word [bp], 2 */
		0xcf,                   /* iret */
	};
	memcpy(mem + at, h, sizeof(h));
	set_ivt(mem, 13, at);
}

#endif

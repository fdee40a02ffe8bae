/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Guest execution through /dev/mshv, driven by raw ioctls and the ABI
 * structs only: the reset vector, port IO completed through the VP register
 * page, HLT, a signal interrupting MSHV_RUN_VP, an irqfd-injected interrupt
 * taken through the real-mode IVT, dirty page tracking of guest writes,
 * an MMIO ioeventfd that fires with no exit, two VPs on two threads, and
 * RDMSR/WRMSR of an MSR no one implements under each unimplemented-MSR
 * action and an MSR-index intercept.
 *
 * Runs under tools/mshv-sim; unchanged on a real /dev/mshv; exits 77 when
 * there is neither.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "raw_hvcall.h"


#define MEM_SIZE (64 * 1024)

struct vm {
	int pt;
	uint8_t *mem; /* guest physical 0 .. MEM_SIZE */
};

struct vcpu {
	int fd;
	struct hv_vp_register_page *regs;
	struct hv_message msg;
};

static int mshv_fd = -1;

static struct vm vm_create(void)
{
	struct mshv_create_partition args;
	struct mshv_user_mem_region r;
	struct vm vm;

	memset(&args, 0, sizeof(args));
	args.pt_flags = 1ull << MSHV_PT_BIT_LAPIC;
	vm.pt = ioctl(mshv_fd, MSHV_CREATE_PARTITION, &args);
	CHECK(vm.pt >= 0);
	CHECK(ioctl(vm.pt, MSHV_INITIALIZE_PARTITION) == 0);
	vm.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(vm.mem != MAP_FAILED);
	memset(&r, 0, sizeof(r));
	r.size = MEM_SIZE;
	r.guest_pfn = 0;
	r.userspace_addr = (uintptr_t)vm.mem;
	r.flags = (1u << MSHV_SET_MEM_BIT_WRITABLE) | (1u << MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK(ioctl(vm.pt, MSHV_SET_GUEST_MEMORY, &r) == 0);
	return vm;
}

static void vm_destroy(struct vm *vm)
{
	close(vm->pt);
	munmap(vm->mem, MEM_SIZE);
}

static int set_reg(struct vcpu *v, uint32_t vp_index, uint32_t name, const union hv_register_value *val)
{
	struct hv_input_set_vp_registers hdr;
	struct hv_register_assoc a;
	uint8_t in[sizeof(hdr) + sizeof(a)];

	memset(&hdr, 0, sizeof(hdr));
	memset(&a, 0, sizeof(a));
	hdr.vp_index = vp_index;
	a.name = name;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &a, sizeof(a));
	memcpy(in + sizeof(hdr) + offsetof(struct hv_register_assoc, value), val, sizeof(*val));
	return hvcall(v->fd, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0, NULL);
}

static int set_reg64(struct vcpu *v, uint32_t vp_index, uint32_t name, uint64_t value)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.reg64 = value;
	return set_reg(v, vp_index, name, &val);
}

/* Real-mode interrupt vector table entry: vector -> segment:offset. */
static void set_ivt(uint8_t *mem, unsigned vector, uint16_t segment, uint16_t offset)
{
	mem[vector * 4 + 0] = (uint8_t)offset;
	mem[vector * 4 + 1] = (uint8_t)(offset >> 8);
	mem[vector * 4 + 2] = (uint8_t)segment;
	mem[vector * 4 + 3] = (uint8_t)(segment >> 8);
}

static uint64_t get_reg64(struct vcpu *v, uint32_t vp_index, uint32_t name)
{
	struct hv_input_get_vp_registers hdr;
	uint8_t in[sizeof(hdr) + sizeof(uint32_t)];
	union hv_register_value out;

	memset(&hdr, 0, sizeof(hdr));
	hdr.vp_index = vp_index;
	memcpy(in, &hdr, sizeof(hdr));
	memcpy(in + sizeof(hdr), &name, sizeof(name));
	memset(&out, 0, sizeof(out));
	CHECK(hvcall(v->fd, HVCALL_GET_VP_REGISTERS, 1, in, sizeof(in), &out, sizeof(out), NULL) == 0);
	return out.reg64;
}

static struct vcpu vcpu_create(struct vm *vm, uint32_t index)
{
	struct mshv_create_vp args = { index };
	struct vcpu v;

	v.fd = ioctl(vm->pt, MSHV_CREATE_VP, &args);
	CHECK(v.fd >= 0);
	v.regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd,
		      MSHV_VP_MMAP_OFFSET_REGISTERS * sysconf(_SC_PAGESIZE));
	CHECK(v.regs != MAP_FAILED);
	return v;
}

static void vcpu_destroy(struct vcpu *v)
{
	munmap(v->regs, 4096);
	close(v->fd);
}

/* Real mode, CS = 0 (base 0), IP = ip; flat data segments. */
static void vcpu_real_mode_at(struct vcpu *v, uint32_t index, uint16_t ip)
{
	union hv_register_value val;

	memset(&val, 0, sizeof(val));
	val.segment.base = 0;
	val.segment.limit = 0xffff;
	val.segment.selector = 0;
	val.segment.attributes = 0x9b;
	CHECK(set_reg(v, index, HV_X64_REGISTER_CS, &val) == 0);
	CHECK(set_reg64(v, index, HV_X64_REGISTER_RIP, ip) == 0);
	/* an AP is created waiting for INIT-SIPI: the VMM starts it itself */
	CHECK(set_reg64(v, index, HV_REGISTER_INTERNAL_ACTIVITY_STATE, 0) == 0);
}

static int vcpu_run(struct vcpu *v)
{
	return ioctl(v->fd, MSHV_RUN_VP, &v->msg);
}

static const struct hv_x64_io_port_intercept_message *io_msg(const struct vcpu *v)
{
	return (const struct hv_x64_io_port_intercept_message *)v->msg.u.payload;
}

/* Complete the intercept: step over the instruction through the register page. */
static void skip_instruction(struct vcpu *v)
{
	v->regs->rip += io_msg(v)->header.instruction_length;
	v->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
}

/* The VP starts at the architectural reset vector, firmware mapped just below 4 GiB. */
static void test_reset_vector(void)
{
	struct vm vm = vm_create();
	uint8_t *fw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mshv_user_mem_region r;
	struct vcpu v;

	/* at 0xfffffff0: out 0x80, al ; hlt */
	fw[0xff0] = 0xe6;
	fw[0xff1] = 0x80;
	fw[0xff2] = 0xf4;
	memset(&r, 0, sizeof(r));
	r.size = 4096;
	r.guest_pfn = 0xfffff;
	r.userspace_addr = (uintptr_t)fw;
	r.flags = 1u << MSHV_SET_MEM_BIT_EXECUTABLE;
	CHECK(ioctl(vm.pt, MSHV_SET_GUEST_MEMORY, &r) == 0);
	v = vcpu_create(&vm, 0);
	CHECK(v.regs->isvalid == 1 && v.regs->version == HV_VP_REGISTER_PAGE_VERSION_1);
	CHECK(v.regs->rip == 0xfff0 && v.regs->cs.selector == 0xf000 && v.regs->cs.base == 0xffff0000);
	CHECK(get_reg64(&v, 0, HV_REGISTER_EXPLICIT_SUSPEND) == 1);

	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	CHECK(io_msg(&v)->port_number == 0x80 && io_msg(&v)->access_info.access_size == 1);
	CHECK(io_msg(&v)->header.rip == 0xfff0 && io_msg(&v)->header.cs_segment.base == 0xffff0000);
	CHECK(io_msg(&v)->header.instruction_length == 2);
	CHECK(io_msg(&v)->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE);
	CHECK(get_reg64(&v, 0, HV_REGISTER_INTERCEPT_SUSPEND) == 1);
	skip_instruction(&v);
	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_HALT);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	munmap(fw, 4096);
}

/* OUT and IN completed through the register page, then HLT; the guest's store lands in our memory. */
static void test_port_io(void)
{
	static const uint8_t code[] = {
		0xb0, 0x41,       /* mov al, 0x41 */
		0xba, 0xf8, 0x03, /* mov dx, 0x3f8 */
		0xee,             /* out dx, al */
		0xec,             /* in al, dx */
		0xa2, 0x00, 0x50, /* mov [0x5000], al */
		0xf4,             /* hlt */
	};
	struct vm vm = vm_create();
	struct vcpu v;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);

	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	CHECK(io_msg(&v)->port_number == 0x3f8);
	CHECK(io_msg(&v)->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE);
	CHECK((io_msg(&v)->rax & 0xff) == 0x41);
	CHECK(io_msg(&v)->header.rip == 0x1005 && io_msg(&v)->header.instruction_length == 1);
	CHECK(io_msg(&v)->instruction_byte_count >= 1 && io_msg(&v)->instruction_bytes[0] == 0xee);
	CHECK(v.regs->isvalid && v.regs->rip == 0x1005 && (v.regs->rax & 0xff) == 0x41);
	skip_instruction(&v);

	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT);
	CHECK(io_msg(&v)->header.intercept_access_type == HV_INTERCEPT_ACCESS_READ);
	CHECK(io_msg(&v)->header.rip == 0x1006);
	v.regs->rax = 0x5a;
	v.regs->dirty |= 1u << HV_X64_REGISTER_CLASS_GENERAL;
	skip_instruction(&v);

	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_HALT);
	CHECK(vm.mem[0x5000] == 0x5a);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct spin_arg {
	struct vcpu *v;
	int ret, err;
	volatile int done;
};

static void *spin_thread(void *p)
{
	struct spin_arg *a = p;

	a->ret = vcpu_run(a->v);
	a->err = errno;
	a->done = 1;
	return NULL;
}

/* A handled signal makes MSHV_RUN_VP return EINTR; the VP resumes where it was. */
static void test_signal_eintr(void)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp $ */
	struct vm vm = vm_create();
	struct sigaction sa;
	struct spin_arg a;
	struct vcpu v;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
	memcpy(vm.mem + 0x1000, code, sizeof(code));
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	a.v = &v;
	a.done = 0;
	pthread_create(&t, NULL, spin_thread, &a);
	/* A signal that lands before the thread is inside MSHV_RUN_VP is just
	 * handled; keep signalling until the ioctl returns. A loaded machine can
	 * keep the thread from reaching the ioctl for a while: allow 30 s, then
	 * fail rather than wait for a guest that never stops. */
	int sent = 0;

	while (sent < 1500 && !a.done) {
		pthread_kill(t, SIGUSR1);
		sent++;
		usleep(20000);
	}
	if (sent > 100)
		fprintf(stderr, "signal-eintr: %d signals before MSHV_RUN_VP returned\n", sent);
	if (!a.done) {
		CHECK(!"MSHV_RUN_VP did not return EINTR within 30 s of signals");
		printf("run: %d passed, %d failed\n", passed, failed);
		exit(1);
	}
	pthread_join(t, NULL);
	CHECK(a.ret == -1 && a.err == EINTR);
	CHECK(v.regs->isvalid && v.regs->rip == 0x1000);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* An irqfd routed to vector 0x20 interrupts a halted real-mode guest through its IVT. */
static void test_irqfd_interrupt(void)
{
	static const uint8_t code[] = {
		0xfb,             /* 0x1000: sti */
		0xf4,             /* 0x1001: hlt */
		0xe6, 0x10,       /* 0x1002: out 0x10, al (after the handler returned) */
		0xf4,             /* hlt */
	};
	static const uint8_t handler[] = {
		0xe6, 0x21, /* 0x2000: out 0x21, al */
		0xcf,       /* iret */
	};
	struct vm vm = vm_create();
	struct mshv_user_irq_table head;
	struct mshv_user_irq_entry ent;
	uint64_t tbl[(sizeof(head) + sizeof(ent)) / 8];
	struct mshv_user_irqfd irq;
	struct vcpu v;
	int efd = eventfd(0, EFD_CLOEXEC);

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memcpy(vm.mem + 0x2000, handler, sizeof(handler));
	set_ivt(vm.mem, 0x20, 0, 0x2000);
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(set_reg64(&v, 0, HV_X64_REGISTER_RSP, 0x8000) == 0);

	memset(&head, 0, sizeof(head));
	memset(&ent, 0, sizeof(ent));
	head.nr = 1;
	ent.gsi = 3;
	ent.address_lo = 0xfee00000; /* APIC ID 0, physical */
	ent.data = 0x20;             /* fixed, edge, vector 0x20 */
	memcpy(tbl, &head, sizeof(head));
	memcpy((char *)tbl + sizeof(head), &ent, sizeof(ent));
	CHECK(ioctl(vm.pt, MSHV_SET_MSI_ROUTING, tbl) == 0);
	memset(&irq, 0, sizeof(irq));
	irq.fd = efd;
	irq.gsi = 3;
	CHECK(ioctl(vm.pt, MSHV_IRQFD, &irq) == 0);

	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_HALT);
	eventfd_write(efd, 1);
	CHECK(vcpu_run(&v) == 0); /* wakes, takes vector 0x20 */
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT && io_msg(&v)->port_number == 0x21);
	skip_instruction(&v);
	CHECK(vcpu_run(&v) == 0); /* iret back after the hlt */
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT && io_msg(&v)->port_number == 0x10);
	close(efd);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* Pages the guest wrote read dirty; pages it did not, clean. */
static void test_dirty_tracking(void)
{
	static const uint8_t code[] = {
		0xa2, 0x00, 0x50, /* mov [0x5000], al */
		0xa2, 0x00, 0x70, /* mov [0x7000], al */
		0xf4,             /* hlt */
	};
	struct vm vm = vm_create();
	struct hv_input_set_partition_property set;
	struct mshv_gpap_access_bitmap b;
	uint8_t bits[2];
	struct vcpu v;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memset(&set, 0, sizeof(set));
	set.property_code = HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING;
	set.property_value = 1;
	CHECK(hvcall(vm.pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set, sizeof(set), NULL, 0, NULL) == 0);
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);

	memset(&b, 0, sizeof(b));
	b.access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY;
	b.access_op = MSHV_GPAP_ACCESS_OP_CLEAR;
	b.page_count = 16;
	b.gpap_base = 0;
	b.bitmap_ptr = (uintptr_t)bits;
	CHECK(ioctl(vm.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0);
	CHECK(bits[0] == ((1u << 5) | (1u << 7)) && bits[1] == 0);
	b.access_op = MSHV_GPAP_ACCESS_OP_NOOP;
	CHECK(ioctl(vm.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && bits[0] == 0);
	b.access_type = MSHV_GPAP_ACCESS_TYPE_ACCESSED; /* the code page was read (fetched) */
	CHECK(ioctl(vm.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &b) == 0 && (bits[0] & (1u << 1)));
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* A guest write matching an MMIO ioeventfd signals it without an exit. */
static void test_ioeventfd(void)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0xd0,                   /* mov ax, 0xd000 */
		0x8e, 0xd8,                         /* mov ds, ax */
		0x66, 0xb9, 0x2a, 0x00, 0x00, 0x00, /* mov ecx, 42 */
		0x66, 0x89, 0x0e, 0x00, 0x00,       /* mov [0], ecx: GPA 0xd0000, unmapped */
		0xe6, 0x10,                         /* out 0x10, al */
		0xf4,                               /* hlt */
	};
	struct vm vm = vm_create();
	struct mshv_user_ioeventfd io;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	eventfd_t count = 0;
	struct vcpu v;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memset(&io, 0, sizeof(io));
	io.fd = efd;
	io.addr = 0xd0000;
	io.len = 4;
	io.datamatch = 42;
	io.flags = 1u << MSHV_IOEVENTFD_BIT_DATAMATCH;
	CHECK(ioctl(vm.pt, MSHV_IOEVENTFD, &io) == 0);
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT && io_msg(&v)->port_number == 0x10);
	CHECK(eventfd_read(efd, &count) == 0 && count == 1);
	close(efd);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

struct loop_arg {
	struct vcpu v;
	uint32_t index;
	int exits;
};

static void *out_loop_thread(void *p)
{
	struct loop_arg *a = p;
	int i;

	for (i = 0; i < 1000; i++) {
		if (vcpu_run(&a->v) || a->v.msg.header.message_type != HVMSG_X64_IO_PORT_INTERCEPT ||
		    io_msg(&a->v)->port_number != 0x100 + a->index)
			break;
		skip_instruction(&a->v);
		a->exits++;
	}
	return NULL;
}

/* Two VPs of one partition run at once on two threads, each with its own code. */
static void test_two_vps(void)
{
	struct vm vm = vm_create();
	struct loop_arg a[2];
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++) {
		uint8_t *c = vm.mem + 0x1000 + 0x100 * i;

		c[0] = 0xba; /* mov dx, 0x100 + i */
		c[1] = (uint8_t)i;
		c[2] = 0x01;
		c[3] = 0xee; /* out dx, al */
		c[4] = 0xeb; /* jmp -3 (to the out) */
		c[5] = 0xfd;
		a[i].index = (uint32_t)i;
		a[i].exits = 0;
		a[i].v = vcpu_create(&vm, (uint32_t)i);
		vcpu_real_mode_at(&a[i].v, (uint32_t)i, (uint16_t)(0x1000 + 0x100 * i));
	}
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, out_loop_thread, &a[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(a[0].exits == 1000 && a[1].exits == 1000);
	for (i = 0; i < 2; i++)
		vcpu_destroy(&a[i].v);
	vm_destroy(&vm);
}

/* MSHV_GET/SET_VP_STATE through the ioctl: sizes, round trips, bad arguments. */
static void test_vp_state(void)
{
	struct vm vm = vm_create();
	struct vcpu v = vcpu_create(&vm, 0);
	struct mshv_get_set_vp_state st;
	uint8_t *buf = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *copy = buf + 2 * 4096;
	struct hv_local_interrupt_controller_state *lapic = (void *)buf;
	int type;

	for (type = MSHV_VP_STATE_LAPIC; type < MSHV_VP_STATE_COUNT; type++) {
		memset(&st, 0, sizeof(st));
		st.type = (uint8_t)type;
		st.buf_sz = 2 * 4096;
		st.buf_ptr = (uintptr_t)buf;
		memset(buf, 0xcc, 2 * 4096);
		CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == 0);
		CHECK(st.buf_sz >= 1 && st.buf_sz <= 4096); /* the state's own size comes back */
		if (type == MSHV_VP_STATE_LAPIC) {
			CHECK(lapic->apic_id == 0 && (lapic->apic_version & 0xff) == 0x14);
			lapic->apic_ldr = 0x01000000;
		} else {
			buf[8] ^= 0x5a; /* any change must round-trip */
		}
		memcpy(copy, buf, st.buf_sz);
		st.buf_sz = 4096;
		CHECK(ioctl(v.fd, MSHV_SET_VP_STATE, &st) == 0);
		memset(buf, 0, 4096);
		st.buf_sz = 4096;
		CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == 0);
		CHECK(memcmp(copy, buf, st.buf_sz) == 0);
	}
	memset(&st, 0, sizeof(st));
	st.type = MSHV_VP_STATE_COUNT;
	st.buf_sz = 4096;
	st.buf_ptr = (uintptr_t)buf;
	CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == -1 && errno == EINVAL);
	st.type = MSHV_VP_STATE_LAPIC;
	st.buf_ptr = (uintptr_t)buf + 8;
	CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == -1 && errno == EINVAL);
	st.buf_ptr = (uintptr_t)buf;
	st.buf_sz = 100;
	CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == -1 && errno == EINVAL);
	st.buf_sz = 4096;
	st.rsvd[1] = 1;
	CHECK(ioctl(v.fd, MSHV_GET_VP_STATE, &st) == -1 && errno == EINVAL);
	munmap(buf, 3 * 4096);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* Hypercalls the VMM issues about a running guest. */
static void test_hypercalls(void)
{
	static const uint8_t code[] = {
		0x66, 0x31, 0xc0, /* xor eax, eax */
		0x0f, 0xa2,       /* cpuid: intercepted below */
		0xfb,             /* sti */
		0xf4,             /* hlt: woken by the asserted interrupt */
		0xf4,             /* hlt */
	};
	static const uint8_t handler[] = { 0xe6, 0x22, 0xcf }; /* out 0x22, al ; iret */
	struct vm vm = vm_create();
	struct vcpu v;
	struct hv_input_install_intercept icpt;
	struct hv_input_get_vp_cpuid_values cin;
	struct hv_cpuid_leaf_info leaf;
	union hv_output_get_vp_cpuid_values cout;
	uint8_t cbuf[sizeof(cin) + sizeof(leaf)];
	struct hv_input_translate_virtual_address tin;
	struct hv_output_translate_virtual_address tout;
	struct hv_input_assert_virtual_interrupt ain;
	struct hv_input_signal_event_direct sin;
	struct hv_output_signal_event_direct sout;
	const struct hv_x64_cpuid_intercept_message *cm = (const void *)v.msg.u.payload;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memcpy(vm.mem + 0x3000, handler, sizeof(handler));
	set_ivt(vm.mem, 0x40, 0, 0x3000);
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(set_reg64(&v, 0, HV_X64_REGISTER_RSP, 0x8000) == 0);

	/* CPUID values as the hypervisor presents them; leaf 0 has a max leaf >= 1. */
	memset(&cin, 0, sizeof(cin));
	memset(&leaf, 0, sizeof(leaf));
	memcpy(cbuf, &cin, sizeof(cin));
	memcpy(cbuf + sizeof(cin), &leaf, sizeof(leaf));
	CHECK(hvcall(v.fd, HVCALL_GET_VP_CPUID_VALUES, 1, cbuf, sizeof(cbuf), &cout, sizeof(cout), NULL) == 0);
	CHECK(cout.as_uint32[0] >= 1);

	/* With a CPUID intercept the guest's CPUID exits, defaults filled in. */
	memset(&icpt, 0, sizeof(icpt));
	icpt.access_type = HV_INTERCEPT_ACCESS_MASK_EXECUTE;
	icpt.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	CHECK(hvcall(vm.pt, HVCALL_INSTALL_INTERCEPT, 0, &icpt, sizeof(icpt), NULL, 0, NULL) == 0);
	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_CPUID_INTERCEPT);
	CHECK(cm->header.rip == 0x1003 && cm->rax == 0 && cm->default_result_rax == cout.as_uint32[0]);
	v.regs->rip += 2;
	v.regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);

	/* Real mode: a virtual address translates to itself. */
	memset(&tin, 0, sizeof(tin));
	tin.control_flags = HV_TRANSLATE_GVA_VALIDATE_READ;
	tin.gva_page = 0x5;
	CHECK(hvcall(v.fd, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &tin, sizeof(tin), &tout, sizeof(tout), NULL) == 0);
	CHECK(tout.translation_result.result_code == HV_TRANSLATE_GVA_SUCCESS && tout.gpa_page == 0x5);

	/* An asserted fixed interrupt wakes the halted VP and runs its handler. */
	memset(&ain, 0, sizeof(ain));
	ain.control.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
	ain.dest_addr = 0;
	ain.vector = 0x40;
	CHECK(hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == 0);
	CHECK(vcpu_run(&v) == 0);
	CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT && io_msg(&v)->port_number == 0x22);
	ain.control.interrupt_type = 0x7f; /* not an interrupt type */
	CHECK(hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &ain, sizeof(ain), NULL, 0, NULL) == -1 && errno == EINVAL);

	/* Signal event direct: accepted for an existing VP and SINT, refused otherwise. */
	memset(&sin, 0, sizeof(sin));
	sin.target_sint = 2;
	CHECK(hvcall(vm.pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &sin, sizeof(sin), &sout, sizeof(sout), NULL) == 0);
	sin.target_vp = 9;
	CHECK(hvcall(vm.pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &sin, sizeof(sin), &sout, sizeof(sout), NULL) == -1 &&
	      errno == EINVAL);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/*
 * A CPUID result registered with HVCALL_REGISTER_INTERCEPT_RESULT is what
 * the guest's own CPUID returns (the masked bits), and what
 * HVCALL_GET_VP_CPUID_VALUES reports when asked to apply registered values.
 */
static void test_cpuid_registered_result(void)
{
	static const uint8_t code[] = {
		0x66, 0x31, 0xc0, /* xor eax, eax */
		0x66, 0x31, 0xc9, /* xor ecx, ecx */
		0x0f, 0xa2,       /* cpuid: leaf 0 */
		0xf4,             /* hlt */
	};
	struct vm vm = vm_create();
	struct vcpu v;
	struct hv_input_register_intercept_result rin;
	struct hv_input_get_vp_cpuid_values cin;
	struct hv_cpuid_leaf_info leaf;
	union hv_output_get_vp_cpuid_values cout;
	uint8_t cbuf[sizeof(cin) + sizeof(leaf)];
	uint32_t raw_ecx;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	v = vcpu_create(&vm, 0);
	vcpu_real_mode_at(&v, 0, 0x1000);

	/* Leaf 0 as the hypervisor presents it, without registered values. */
	memset(&cin, 0, sizeof(cin));
	memset(&leaf, 0, sizeof(leaf));
	memcpy(cbuf, &cin, sizeof(cin));
	memcpy(cbuf + sizeof(cin), &leaf, sizeof(leaf));
	CHECK(hvcall(v.fd, HVCALL_GET_VP_CPUID_VALUES, 1, cbuf, sizeof(cbuf), &cout, sizeof(cout), NULL) == 0);
	raw_ecx = cout.as_uint32[2];

	/* Register EBX = "mshv" whole, and ECX's low byte only. */
	memset(&rin, 0, sizeof(rin));
	rin.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID;
	rin.parameters.cpuid.input.eax = 0;
	rin.parameters.cpuid.result.ebx = 0x7668736d;
	rin.parameters.cpuid.result.ebx_mask = 0xffffffff;
	rin.parameters.cpuid.result.ecx = 0x5a;
	rin.parameters.cpuid.result.ecx_mask = 0xff;
	CHECK(hvcall(vm.pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &rin, sizeof(rin), NULL, 0, NULL) == 0);

	/* The guest's CPUID returns them, the unmasked bits unchanged. */
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);
	CHECK(v.regs->rbx == 0x7668736d);
	CHECK(v.regs->rcx == ((raw_ecx & ~0xffu) | 0x5a));

	/* HVCALL_GET_VP_CPUID_VALUES: raw without the flag, registered with it. */
	CHECK(hvcall(v.fd, HVCALL_GET_VP_CPUID_VALUES, 1, cbuf, sizeof(cbuf), &cout, sizeof(cout), NULL) == 0);
	CHECK(cout.as_uint32[1] != 0x7668736d && cout.as_uint32[2] == raw_ecx);
	cin.flags.apply_registered_values = 1;
	memcpy(cbuf, &cin, sizeof(cin));
	CHECK(hvcall(v.fd, HVCALL_GET_VP_CPUID_VALUES, 1, cbuf, sizeof(cbuf), &cout, sizeof(cout), NULL) == 0);
	CHECK(cout.as_uint32[1] == 0x7668736d && cout.as_uint32[2] == ((raw_ecx & ~0xffu) | 0x5a));
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION value, or -1 */
static int64_t msr_action(struct vm *vm)
{
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;

	memset(&in, 0, sizeof(in));
	in.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	if (hvcall(vm->pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), NULL))
		return -1;
	return (int64_t)out.property_value;
}

static int set_msr_action(struct vm *vm, uint64_t action)
{
	struct hv_input_set_partition_property in;

	memset(&in, 0, sizeof(in));
	in.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION;
	in.property_value = action;
	return hvcall(vm->pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0, NULL);
}

static int install_msr_intercept(struct vm *vm, uint32_t type, uint32_t access, uint32_t msr)
{
	struct hv_input_install_intercept in;

	memset(&in, 0, sizeof(in));
	in.access_type = access;
	in.intercept_type = type;
	in.intercept_parameter.msr_index = msr;
	return hvcall(vm->pt, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0, NULL);
}

/* The next exit is port IO to this port; step over it. */
static void expect_out(struct vcpu *v, uint16_t port)
{
	CHECK(vcpu_run(v) == 0);
	CHECK(v->msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT && io_msg(v)->port_number == port);
	skip_instruction(v);
}

/*
 * RDMSR/WRMSR of an MSR neither the hypervisor nor an intercept handles:
 * #GP by default (FAULT), EDX:EAX = 0 and a no-op write with
 * IGNORE_WRITE_READ_ZERO, an HVMSG_X64_MSR_INTERCEPT with an MSR-index
 * intercept installed (which wins over the action).
 */
static void test_msr_action(void)
{
	static const uint8_t code[] = {
		0x66, 0xb9, 0x00, 0x1f, 0x00, 0x40, /* 0x1000: mov ecx, 0x40001f00 (no such MSR) */
		0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* 0x1006: mov eax, 0x12345678 */
		0x66, 0xba, 0xf0, 0xde, 0xbc, 0x9a, /* 0x100c: mov edx, 0x9abcdef0 */
		0x0f, 0x32,                         /* 0x1012: rdmsr */
		0x66, 0xe7, 0x80,                   /* 0x1014: out 0x80, eax */
		0x66, 0x89, 0xd0,                   /* 0x1017: mov eax, edx */
		0x66, 0xe7, 0x80,                   /* 0x101a: out 0x80, eax */
		0x0f, 0x30,                         /* 0x101d: wrmsr */
		0xe6, 0x81,                         /* 0x101f: out 0x81, al */
		0xf4,                               /* 0x1021: hlt */
	};
	static const uint8_t gp_handler[] = {
		0x55,                   /* 0x2000: push bp */
		0x89, 0xe5,             /* mov bp, sp */
		0x83, 0x46, 0x02, 0x02, /* add word [bp+2], 2: return past RDMSR/WRMSR */
		0x5d,                   /* pop bp */
		0xe6, 0x8d,             /* out 0x8d, al */
		0xcf,                   /* iret */
	};
	const struct hv_x64_msr_intercept_message *m = (const void *)NULL;
	struct vm vm = vm_create();
	struct vcpu v, v1;

	memcpy(vm.mem + 0x1000, code, sizeof(code));
	memcpy(vm.mem + 0x2000, gp_handler, sizeof(gp_handler));
	set_ivt(vm.mem, 13, 0, 0x2000);
	v = vcpu_create(&vm, 0);
	m = (const void *)v.msg.u.payload;
	CHECK(set_reg64(&v, 0, HV_X64_REGISTER_RSP, 0x8000) == 0);

	/* A partition starts at FAULT: both accesses raise #GP through the IVT, registers untouched. */
	CHECK(msr_action(&vm) == HV_UNIMPLEMENTED_MSR_ACTION_FAULT);
	vcpu_real_mode_at(&v, 0, 0x1000);
	expect_out(&v, 0x8d);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x80 && (uint32_t)io_msg(&v)->rax == 0x12345678);
	skip_instruction(&v);
	expect_out(&v, 0x80);
	expect_out(&v, 0x8d);
	expect_out(&v, 0x81);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);

	/* IGNORE_WRITE_READ_ZERO, set while the VP exists: reads give 0, writes vanish, no #GP. */
	CHECK(set_msr_action(&vm, HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO) == 0);
	CHECK(msr_action(&vm) == HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO);
	CHECK_ERRNO(set_msr_action(&vm, HV_UNIMPLEMENTED_MSR_ACTION_COUNT), EINVAL);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x80);
	CHECK(io_msg(&v)->header.rip == 0x1014 && io_msg(&v)->rax == 0 && v.regs->rdx == 0);
	skip_instruction(&v);
	expect_out(&v, 0x80);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x81 && io_msg(&v)->header.rip == 0x101f);
	skip_instruction(&v);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);

	/* A VP created afterwards has the partition's action too. */
	v1 = vcpu_create(&vm, 1);
	vcpu_real_mode_at(&v1, 1, 0x1000);
	CHECK(vcpu_run(&v1) == 0 && io_msg(&v1)->port_number == 0x80 && io_msg(&v1)->rax == 0);
	vcpu_destroy(&v1);

	/* An MSR-index intercept for this MSR: both accesses exit at the instruction, length 2. */
	CHECK_ERRNO(install_msr_intercept(&vm, HV_INTERCEPT_TYPE_X64_MSR_INDEX, HV_INTERCEPT_ACCESS_MASK_EXECUTE,
					  0x40001f00), EINVAL);
	CHECK(install_msr_intercept(&vm, HV_INTERCEPT_TYPE_X64_MSR_INDEX,
				    HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE, 0x40001f00) == 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_MSR_INTERCEPT);
	CHECK(v.msg.header.payload_size == sizeof(*m));
	CHECK(m->header.intercept_access_type == HV_INTERCEPT_ACCESS_READ && m->msr_number == 0x40001f00);
	CHECK(m->header.rip == 0x1012 && m->header.instruction_length == 2);
	CHECK((uint32_t)m->rax == 0x12345678 && (uint32_t)m->rdx == 0x9abcdef0);
	CHECK(v.regs->rip == 0x1012);
	/* the VMM completes the read through the register page */
	v.regs->rax = 0xfeed;
	v.regs->rdx = 0xbeef;
	v.regs->rip += m->header.instruction_length;
	v.regs->dirty |= (1u << HV_X64_REGISTER_CLASS_IP) | (1u << HV_X64_REGISTER_CLASS_GENERAL);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x80 && io_msg(&v)->rax == 0xfeed);
	skip_instruction(&v);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x80 && io_msg(&v)->rax == 0xbeef);
	skip_instruction(&v);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_MSR_INTERCEPT);
	CHECK(m->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE && m->msr_number == 0x40001f00);
	CHECK(m->header.rip == 0x101d && m->header.instruction_length == 2);
	CHECK((uint32_t)m->rax == 0xbeef && (uint32_t)m->rdx == 0xbeef);
	v.regs->rip += m->header.instruction_length;
	v.regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
	expect_out(&v, 0x81);
	CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);

	/* Access type NONE removes the intercept: the action applies again. */
	CHECK(install_msr_intercept(&vm, HV_INTERCEPT_TYPE_X64_MSR_INDEX, HV_INTERCEPT_ACCESS_MASK_NONE,
				    0x40001f00) == 0);
	vcpu_real_mode_at(&v, 0, 0x1000);
	CHECK(vcpu_run(&v) == 0 && io_msg(&v)->port_number == 0x80 && io_msg(&v)->rax == 0);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

/* Code the VMM rewrites after the guest ran it is what runs next. */
static void test_rewritten_code(void)
{
	struct vm vm = vm_create();
	struct vcpu v;
	int round;

	v = vcpu_create(&vm, 0);
	for (round = 0; round < 3; round++) {
		vm.mem[0x1000] = 0xe6; /* out imm8, al */
		vm.mem[0x1001] = (uint8_t)(0x10 + round);
		vm.mem[0x1002] = 0xf4; /* hlt */
		vcpu_real_mode_at(&v, 0, 0x1000);
		CHECK(vcpu_run(&v) == 0);
		CHECK(v.msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT &&
		      io_msg(&v)->port_number == 0x10 + round);
		skip_instruction(&v);
		CHECK(vcpu_run(&v) == 0 && v.msg.header.message_type == HVMSG_X64_HALT);
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

int main(void)
{
	mshv_fd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mshv_fd < 0) {
		printf("SKIP: /dev/mshv: %s (run under tools/mshv-sim)\n", strerror(errno));
		return 77;
	}
	test_reset_vector();
	test_port_io();
	test_signal_eintr();
	test_irqfd_interrupt();
	test_dirty_tracking();
	test_ioeventfd();
	test_two_vps();
	test_vp_state();
	test_hypercalls();
	test_cpuid_registered_result();
	test_msr_action();
	test_rewritten_code();
	close(mshv_fd);
	printf("run: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mmio_device: a memory-mapped device emulated by the VMM.
 *
 * Guest physical 0x10000000 is not RAM: a guest access there stops the VP
 * with a memory intercept (HVMSG_UNMAPPED_GPA) that carries the guest
 * physical address and the instruction's bytes, but no instruction length
 * (the hypervisor reports 0). mshv_vcpu_emulate_mmio does the rest: it
 * decodes the bytes (mshv_x86_decode), calls the device through the
 * VMM's callbacks (mshv_x86_emulator_ops: mmio_read, mmio_write with the
 * GPA, size and data), and writes the destination register, RFLAGS and
 * RIP back through the VP register page, so each MMIO exit costs one
 * system call, MSHV_RUN_VP.
 *
 * The device has three registers:
 *   0x0 COUNTER  32-bit, read-only: each read returns the number of reads so far
 *   0x4 ID       32-bit, read-only: 0x5648534d ("MSHV")
 *   0x8 SCRATCH  64-bit read/write (a 32-bit access reaches its low half)
 *
 * The guest, in 64-bit mode on identity-mapped 2 MiB pages, reads the
 * counter twice, stores the sum in SCRATCH, reads it back with a 64-bit
 * SIB load, stores and loads a 64-bit pattern through R9/R10, reads the
 * counter and ID through other encodings, sets SCRATCH's bit 0 with an OR
 * on the register (a read and a write in one exit, as drivers do with
 * HPET or APIC registers), reads the counter with MOVZX, then halts. The VMM prints each
 * access and checks the guest's registers against its device.
 *
 * Runs on /dev/mshv, or anywhere under tools/mshv-sim; exits 77 (skipped)
 * when there is no /dev/mshv.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS in C99 mode */
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mshv.h"

#define RAM_SIZE 0x10000
#define GDT_GPA 0x1000
#define PML4_GPA 0x2000
#define PDPT_GPA 0x3000
#define PD_GPA 0x4000
#define CODE_GPA 0x8000

#define MMIO_BASE 0x10000000ull
#define MMIO_SIZE 0x1000ull
#define REG_COUNTER 0x0
#define REG_ID 0x4
#define REG_SCRATCH 0x8
#define DEVICE_ID 0x5648534du

#define PATTERN 0x1122334455667788ull

static const __u8 guest_code[] = {
	0xbb, 0x00, 0x00, 0x00, 0x10,                               /* mov $0x10000000, %ebx */
	0x8b, 0x03,                                                 /* mov (%rbx), %eax          COUNTER */
	0x8b, 0x0b,                                                 /* mov (%rbx), %ecx          COUNTER */
	0x01, 0xc8,                                                 /* add %ecx, %eax */
	0x89, 0x43, 0x08,                                           /* mov %eax, 8(%rbx)         SCRATCH */
	0xbe, 0x01, 0x00, 0x00, 0x00,                               /* mov $1, %esi */
	0x48, 0x8b, 0x14, 0xf3,                                     /* mov (%rbx,%rsi,8), %rdx   SCRATCH */
	0x49, 0xb9, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* movabs $PATTERN, %r9 */
	0x4c, 0x89, 0x4b, 0x08,                                     /* mov %r9, 8(%rbx)          SCRATCH */
	0x4c, 0x8b, 0x14, 0x25, 0x08, 0x00, 0x00, 0x10,             /* mov 0x10000008, %r10      SCRATCH */
	0x44, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x10,             /* mov 0x10000000, %r11d     COUNTER */
	0x8b, 0x7b, 0x04,                                           /* mov 4(%rbx), %edi         ID */
	0x67, 0x44, 0x8b, 0x03,                                     /* addr32 mov (%ebx), %r8d   COUNTER */
	0x48, 0x83, 0x4b, 0x08, 0x01,                               /* orq $1, 8(%rbx)           SCRATCH */
	0x44, 0x0f, 0xb7, 0x23,                                     /* movzwl (%rbx), %r12d      COUNTER */
	0xf4,                                                       /* hlt */
};

/* ---- the device ---------------------------------------------------------- */

struct device {
	__u32 counter;
	__u64 scratch;
};

static const char *device_reg_name(__u64 offset)
{
	switch (offset) {
	case REG_COUNTER:
		return "COUNTER";
	case REG_ID:
		return "ID";
	case REG_SCRATCH:
		return "SCRATCH";
	}
	return "(none)";
}

static __u64 device_read(struct device *dev, __u64 offset, unsigned int size)
{
	switch (offset) {
	case REG_COUNTER:
		return ++dev->counter;
	case REG_ID:
		return DEVICE_ID;
	case REG_SCRATCH:
		return size == 8 ? dev->scratch : dev->scratch & 0xffffffffull;
	}
	return size == 8 ? ~0ull : 0xffffffffull; /* nothing there: all ones, as on a bus */
}

static void device_write(struct device *dev, __u64 offset, unsigned int size, __u64 value)
{
	if (offset == REG_SCRATCH)
		dev->scratch = size == 8 ? value : (dev->scratch & ~0xffffffffull) | (value & 0xffffffffull);
	/* COUNTER and ID are read-only: writes are dropped */
}

/* ---- the run loop ------------------------------------------------------------ */

/* One MMIO exit: the instruction and the device access it made. */
struct access {
	__u64 gpa, value, loaded; /* loaded: what a read-modify-write read */
	int load, store;
	struct mshv_x86_insn insn;
	__u8 bytes[16];
};

struct mmio_log {
	struct access accesses[16];
	unsigned int count;
	__u32 unexpected; /* the message that stopped the loop, if not HLT */
	__u64 bad_gpa;
	struct device *dev;
};

/* The emulator's callbacks: the device's registers, at the GPA the guest used. */
static int mmio_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct mmio_log *log = ctx;
	struct access *a = &log->accesses[log->count];
	__u64 v;

	if (gpa < MMIO_BASE || gpa + size > MMIO_BASE + MMIO_SIZE)
		return -EFAULT;
	v = device_read(log->dev, gpa - MMIO_BASE, size);
	memcpy(data, &v, size); /* little-endian: the low bytes */
	a->gpa = gpa;
	a->value = a->loaded = v & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
	a->load = 1;
	return 0;
}

static int mmio_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct mmio_log *log = ctx;
	struct access *a = &log->accesses[log->count];
	__u64 v = 0;

	if (gpa < MMIO_BASE || gpa + size > MMIO_BASE + MMIO_SIZE)
		return -EFAULT;
	memcpy(&v, data, size);
	device_write(log->dev, gpa - MMIO_BASE, size, v);
	a->gpa = gpa;
	a->value = v;
	a->store = 1;
	return 0;
}

static const struct mshv_x86_emulator_ops device_ops = { mmio_read, mmio_write, NULL, NULL, NULL, NULL };

/*
 * Run until HLT, emulating the device. Every intercept costs one system
 * call (MSHV_RUN_VP): mshv_vcpu_emulate_mmio reads and writes the
 * registers through the VP register page. tests/check_run_loop_inlined.sh
 * checks that, compiled at -O2 by gcc and clang, nothing this function
 * calls leaves the program but ioctl: the emulator's parts may stay out of
 * line, as functions of this program, and the device callbacks are
 * indirect calls into it.
 */
int run_loop(struct mshv_vcpu *vcpu, struct mmio_log *log);
int run_loop(struct mshv_vcpu *vcpu, struct mmio_log *log)
{
	struct hv_message msg;
	const struct hv_x64_memory_intercept_message *mem;
	struct access *a;
	const __u8 *bytes;
	unsigned int n;
	int ret;

	for (;;) {
		ret = mshv_vcpu_run(vcpu, &msg);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		if (mshv_msg_halt(&msg))
			return 0;
		mem = mshv_msg_memory(&msg);
		log->unexpected = msg.header.message_type;
		if (!mem || log->count == 16)
			return -EPROTO;
		log->bad_gpa = mem->guest_physical_address;
		a = &log->accesses[log->count];
		memset(a, 0, sizeof(*a));
		n = mshv_msg_instruction_bytes(&msg, &bytes);
		memcpy(a->bytes, bytes, n);
		/* decode, call the device, write back the registers and RIP */
		ret = mshv_vcpu_emulate_mmio(vcpu, &msg, &device_ops, log, &a->insn, NULL);
		if (ret == -EFAULT || a->insn.reject)
			return -EPROTO; /* not the device's page, or an instruction it cannot emulate */
		if (ret < 0)
			return ret;
		log->count++;
	}
}

/* ---- setup and report ------------------------------------------------------- */

static void put64(__u8 *ram, __u64 gpa, __u64 value)
{
	memcpy(ram + gpa, &value, sizeof(value));
}

static void build_guest(__u8 *ram)
{
	unsigned int i;

	put64(ram, GDT_GPA + 0x08, 0x00af9b000000ffffull); /* 64-bit code */
	put64(ram, GDT_GPA + 0x10, 0x00cf93000000ffffull); /* data */
	/* identity map of the first GiB in 2 MiB pages: RAM and the device's page alike */
	put64(ram, PML4_GPA, PDPT_GPA | 0x3);
	put64(ram, PDPT_GPA, PD_GPA | 0x3);
	for (i = 0; i < 512; i++)
		put64(ram, PD_GPA + 8 * i, ((__u64)i << 21) | 0x83); /* present, writable, 2 MiB */
	memcpy(ram + CODE_GPA, guest_code, sizeof(guest_code));
}

static int enter_long_mode(struct mshv_vcpu *vcpu, __u16 *status)
{
	struct mshv_special_registers s;
	struct mshv_standard_registers r;
	int ret;

	if ((ret = mshv_vcpu_get_sregs(vcpu, &s, status)) < 0)
		return ret;
	memset(&s.cs, 0, sizeof(s.cs));
	s.cs.limit = 0xffffffff;
	s.cs.selector = 0x08;
	s.cs.type = 0xb;
	s.cs.present = s.cs.s = s.cs.l = s.cs.g = 1;
	memset(&s.ds, 0, sizeof(s.ds));
	s.ds.limit = 0xffffffff;
	s.ds.selector = 0x10;
	s.ds.type = 0x3;
	s.ds.present = s.ds.s = s.ds.db = s.ds.g = 1;
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 3 * 8 - 1;
	s.cr0 = MSHV_X86_CR0_PE | MSHV_X86_CR0_MP | MSHV_X86_CR0_ET | MSHV_X86_CR0_NE | MSHV_X86_CR0_WP |
		MSHV_X86_CR0_PG;
	s.cr3 = PML4_GPA;
	s.cr4 = MSHV_X86_CR4_PAE;
	s.efer = MSHV_X86_EFER_LME | MSHV_X86_EFER_LMA;
	if ((ret = mshv_vcpu_set_sregs(vcpu, &s, status)) < 0)
		return ret;
	if ((ret = mshv_vcpu_get_regs(vcpu, &r, status)) < 0)
		return ret;
	/* garbage in the registers the guest loads, to show the zero extension */
	r.rax = r.rcx = r.rdx = r.rdi = r.r8 = r.r10 = r.r11 = r.r12 = 0xdeadbeefdeadbeefull;
	r.rip = CODE_GPA;
	r.rflags = 0x2;
	return mshv_vcpu_set_regs(vcpu, &r, status);
}

static const char *reg_name(unsigned int reg, unsigned int size)
{
	static const char *const names64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						 "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
	static const char *const names32[16] = { "eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
						 "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };

	return size == 8 ? names64[reg & 15] : names32[reg & 15];
}

static const char *op_name(unsigned int op)
{
	switch (op) {
	case MSHV_X86_OP_OR:
		return "or";
	case MSHV_X86_OP_AND:
		return "and";
	case MSHV_X86_OP_ADD:
		return "add";
	case MSHV_X86_OP_XCHG:
		return "xchg";
	}
	return "rmw";
}

static void print_access(const struct access *a)
{
	char hex[3 * 16 + 1] = "";
	unsigned int i, pos = 0;

	for (i = 0; i < a->insn.length && i < 16; i++)
		pos += (unsigned int)sprintf(hex + pos, "%s%02x", i ? " " : "", a->bytes[i]);
	if (a->load && a->store)
		printf("%-5s %-7s 0x%llx: 0x%llx -> 0x%llx  [%s] (%u bytes)\n", op_name(a->insn.op),
		       device_reg_name(a->gpa - MMIO_BASE), (unsigned long long)a->gpa, (unsigned long long)a->loaded,
		       (unsigned long long)a->value, hex, a->insn.length);
	else if (a->store)
		printf("store %-7s 0x%llx <- %-4s = 0x%llx  [%s] (%u bytes)\n", device_reg_name(a->gpa - MMIO_BASE),
		       (unsigned long long)a->gpa, reg_name(a->insn.reg, a->insn.operand_size), (unsigned long long)a->value,
		       hex, a->insn.length);
	else
		printf("load  %-7s 0x%llx -> %-4s = 0x%llx  [%s] (%u bytes)\n", device_reg_name(a->gpa - MMIO_BASE),
		       (unsigned long long)a->gpa, reg_name(a->insn.reg, a->insn.operand_size), (unsigned long long)a->value,
		       hex, a->insn.length);
}

static int fail(const char *what, int ret, __u16 hv_status)
{
	const char *name = mshv_hv_status_name(hv_status);

	fprintf(stderr, "mmio_device: %s: %s", what, mshv_strerror(ret));
	if (hv_status)
		fprintf(stderr, " (%s)", name ? name : "?");
	fprintf(stderr, "\n");
	return 1;
}

int main(void)
{
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct mshv_standard_registers r;
	struct device dev;
	struct mmio_log log;
	__u16 status = 0;
	__u8 *ram;
	unsigned int i;
	int ret, rc = 1;

	ret = mshv_system_open(&sys);
	if (ret == -ENOENT) {
		printf("SKIP: no /dev/mshv (run it under tools/mshv-sim)\n");
		return 77;
	}
	if (ret < 0)
		return fail("open /dev/mshv", ret, 0);
	vm.fd = -1;
	vcpu.fd = -1;
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		perror("mmio_device: mmap");
		goto out;
	}
	build_guest(ram);
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
	if ((ret = mshv_vm_create_vcpu(&vm, 0, &vcpu)) < 0) {
		fail("create VP 0", ret, 0);
		goto out;
	}
	if ((ret = enter_long_mode(&vcpu, &status)) < 0) {
		fail("enter long mode", ret, status);
		goto out;
	}

	memset(&dev, 0, sizeof(dev));
	memset(&log, 0, sizeof(log));
	log.dev = &dev;
	ret = run_loop(&vcpu, &log);
	for (i = 0; i < log.count; i++)
		print_access(&log.accesses[i]);
	if (ret == -EPROTO) {
		const char *name = mshv_hv_message_type_name(log.unexpected);

		fprintf(stderr, "mmio_device: cannot emulate: %s (0x%08x), GPA 0x%llx\n", name ? name : "?",
			(unsigned)log.unexpected, (unsigned long long)log.bad_gpa);
		goto out;
	}
	if (ret < 0) {
		fail("run", ret, 0);
		goto out;
	}
	if ((ret = mshv_vcpu_get_regs(&vcpu, &r, &status)) < 0) {
		fail("get regs", ret, status);
		goto out;
	}
	printf("after HLT: rax 0x%llx rcx 0x%llx rdx 0x%llx r10 0x%llx r11 0x%llx rdi 0x%llx r8 0x%llx r12 0x%llx\n",
	       (unsigned long long)r.rax, (unsigned long long)r.rcx, (unsigned long long)r.rdx,
	       (unsigned long long)r.r10, (unsigned long long)r.r11, (unsigned long long)r.rdi,
	       (unsigned long long)r.r8, (unsigned long long)r.r12);
	printf("device: %u reads of COUNTER, SCRATCH 0x%llx, %u MMIO exits\n", (unsigned)dev.counter,
	       (unsigned long long)dev.scratch, log.count);
	/* what the guest holds must be what the device gave it */
	if (log.count != 11 || dev.counter != 5 || r.rcx != 2 || r.rax != 1 + 2 || r.rdx != 1 + 2 ||
	    r.r10 != PATTERN || dev.scratch != (PATTERN | 1) || r.r11 != 3 || r.rdi != DEVICE_ID || r.r8 != 4 ||
	    r.r12 != 5) {
		fprintf(stderr, "mmio_device: the guest's registers disagree with the device\n");
		goto out;
	}
	printf("the guest's registers agree with the device\n");
	rc = 0;
out:
	if (vcpu.fd >= 0)
		mshv_vcpu_close(&vcpu);
	if (vm.fd >= 0)
		mshv_vm_close(&vm);
	mshv_system_close(&sys);
	if (ram != MAP_FAILED)
		munmap(ram, RAM_SIZE);
	return rc;
}

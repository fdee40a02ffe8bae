/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mmio_device: a memory-mapped device emulated by the VMM.
 *
 * Guest physical 0x10000000 is not RAM: a guest access there stops the VP
 * with a memory intercept (HVMSG_UNMAPPED_GPA) that carries the guest
 * physical address and the instruction's bytes, but no instruction length
 * (the hypervisor reports 0; see mshv_vcpu_set_gpr_and_rip). The VMM
 * decodes the instruction itself (here: MOV between a 32- or 64-bit
 * register and memory, opcodes 0x8B and 0x89, with their prefixes, REX,
 * ModRM, SIB and displacement), emulates the access on its device and
 * completes it in place through the VP register page:
 *
 *   load  (MOV reg, [mmio]): mshv_vcpu_set_gpr_and_rip(reg = value, RIP + length)
 *   store (MOV [mmio], reg): the register's value from mshv_vcpu_get_regs,
 *                            then mshv_vcpu_set_rip(RIP + length)
 *
 * The device has three registers:
 *   0x0 COUNTER  32-bit, read-only: each read returns the number of reads so far
 *   0x4 ID       32-bit, read-only: 0x5648534d ("MSHV")
 *   0x8 SCRATCH  64-bit read/write (a 32-bit access reaches its low half)
 *
 * The guest, in 64-bit mode on identity-mapped 2 MiB pages, reads the
 * counter twice, stores the sum in SCRATCH, reads it back with a 64-bit
 * SIB load, stores and loads a 64-bit pattern through R9/R10, reads the
 * counter and ID through other encodings, then halts. The VMM prints each
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

/* ---- the instruction decoder ---------------------------------------------- */

/* A decoded MOV between a general register and memory. */
struct mov_insn {
	unsigned int length; /* bytes, prefixes included */
	unsigned int reg;    /* 0-15: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
	unsigned int size;   /* 4 or 8 bytes */
	int store;           /* 1: MOV r/m, reg (0x89); 0: MOV reg, r/m (0x8B) */
};

/*
 * Decode MOV r32/r64 <-> memory (0x8B, 0x89) from b[0..n) in 64-bit
 * (long64) or 32-bit code. Prefixes: segment overrides, address size
 * (64-bit code only: 32-bit addressing has the same ModRM forms), REX in
 * 64-bit code. Returns 0, or -1 for anything else (8- or 16-bit operands,
 * 16-bit addressing, other opcodes, a register operand, too few bytes).
 */
static int decode_mov(const __u8 *b, unsigned int n, int long64, struct mov_insn *d)
{
	unsigned int i = 0, rex = 0, mod, rm, base;

	for (; i < n; i++) {
		if (b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x64 || b[i] == 0x65)
			continue; /* segment override: the GPA already says where */
		if (b[i] == 0x67 && long64)
			continue; /* 32-bit addressing in 64-bit code */
		break;
	}
	if (i < n && long64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++]; /* REX must come last, right before the opcode */
	if (i + 2 > n || (b[i] != 0x8b && b[i] != 0x89))
		return -1;
	d->store = b[i++] == 0x89;
	mod = b[i] >> 6;
	rm = b[i] & 7;
	d->reg = ((b[i] >> 3) & 7) | (rex & 0x4 ? 8 : 0); /* REX.R */
	d->size = rex & 0x8 ? 8 : 4;                     /* REX.W */
	i++;
	if (mod == 3)
		return -1; /* register to register: no memory access */
	if (rm == 4) { /* SIB byte */
		if (i >= n)
			return -1;
		base = b[i++] & 7;
		if (mod == 0 && base == 5)
			i += 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		i += 4; /* disp32 (RIP-relative in 64-bit code) */
	}
	if (mod == 1)
		i += 1;
	else if (mod == 2)
		i += 4;
	if (i > n)
		return -1;
	d->length = i;
	return 0;
}

/* ---- the run loop ------------------------------------------------------------ */

struct access {
	__u64 gpa, value;
	struct mov_insn insn;
	__u8 bytes[16];
};

struct mmio_log {
	struct access accesses[16];
	unsigned int count;
	__u32 unexpected; /* the message that stopped the loop, if not HLT */
	__u64 bad_gpa;
};

/* A general register's value by its encoding number, from the register set. */
static __u64 gpr_value(const struct mshv_standard_registers *r, unsigned int reg)
{
	const __u64 v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
			      r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

	return v[reg & 15];
}

/*
 * Run until HLT, emulating the device. Every intercept costs one system
 * call (MSHV_RUN_VP): the register reads and the completions go through
 * the VP register page.
 */
static int run_loop(struct mshv_vcpu *vcpu, struct device *dev, struct mmio_log *log)
{
	struct hv_message msg;
	const struct hv_x64_memory_intercept_message *mem;
	const __u8 *bytes;
	struct mshv_standard_registers regs;
	struct access *a;
	unsigned int n;
	int ret, long64;

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
		if (!mem || mem->guest_physical_address < MMIO_BASE ||
		    mem->guest_physical_address >= MMIO_BASE + MMIO_SIZE || log->count == 16)
			return -EPROTO;
		log->bad_gpa = mem->guest_physical_address;
		a = &log->accesses[log->count];
		a->gpa = mem->guest_physical_address;
		n = mshv_msg_instruction_bytes(&msg, &bytes);
		memset(a->bytes, 0, sizeof(a->bytes));
		memcpy(a->bytes, bytes, n);
		long64 = mem->header.execution_state.efer_lma && mem->header.cs_segment._long;
		if (decode_mov(bytes, n, long64, &a->insn) < 0)
			return -EPROTO;
		if (a->insn.store != (mem->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE))
			return -EPROTO; /* the instruction is not the access the hypervisor saw */
		if (a->insn.store) {
			ret = mshv_vcpu_get_regs(vcpu, &regs, NULL);
			if (ret < 0)
				return ret;
			a->value = gpr_value(&regs, a->insn.reg);
			if (a->insn.size == 4)
				a->value &= 0xffffffffull;
			device_write(dev, a->gpa - MMIO_BASE, a->insn.size, a->value);
			ret = mshv_vcpu_set_rip(vcpu, mem->header.rip + a->insn.length, NULL);
		} else {
			/* a 32-bit load zero-extends into the 64-bit register, as the CPU does */
			a->value = device_read(dev, a->gpa - MMIO_BASE, a->insn.size);
			ret = mshv_vcpu_set_gpr_and_rip(vcpu, a->insn.reg, a->value, mem->header.rip + a->insn.length,
							NULL);
		}
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
	s.cr0 = 0x80010033; /* PG, WP, NE, ET, MP, PE */
	s.cr3 = PML4_GPA;
	s.cr4 = 0x20;      /* PAE */
	s.efer = 0x500;    /* LMA, LME */
	if ((ret = mshv_vcpu_set_sregs(vcpu, &s, status)) < 0)
		return ret;
	if ((ret = mshv_vcpu_get_regs(vcpu, &r, status)) < 0)
		return ret;
	/* garbage in the registers the guest loads, to show the zero extension */
	r.rax = r.rcx = r.rdx = r.rdi = r.r8 = r.r10 = r.r11 = 0xdeadbeefdeadbeefull;
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

static void print_access(const struct access *a)
{
	char hex[3 * 16 + 1] = "";
	unsigned int i, pos = 0;

	for (i = 0; i < a->insn.length && i < 16; i++)
		pos += (unsigned int)sprintf(hex + pos, "%s%02x", i ? " " : "", a->bytes[i]);
	if (a->insn.store)
		printf("store %-7s 0x%llx <- %-4s = 0x%llx  [%s] (%u bytes)\n", device_reg_name(a->gpa - MMIO_BASE),
		       (unsigned long long)a->gpa, reg_name(a->insn.reg, a->insn.size), (unsigned long long)a->value,
		       hex, a->insn.length);
	else
		printf("load  %-7s 0x%llx -> %-4s = 0x%llx  [%s] (%u bytes)\n", device_reg_name(a->gpa - MMIO_BASE),
		       (unsigned long long)a->gpa, reg_name(a->insn.reg, a->insn.size), (unsigned long long)a->value,
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
	ret = run_loop(&vcpu, &dev, &log);
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
	printf("after HLT: rax 0x%llx rcx 0x%llx rdx 0x%llx r10 0x%llx r11 0x%llx rdi 0x%llx r8 0x%llx\n",
	       (unsigned long long)r.rax, (unsigned long long)r.rcx, (unsigned long long)r.rdx,
	       (unsigned long long)r.r10, (unsigned long long)r.r11, (unsigned long long)r.rdi,
	       (unsigned long long)r.r8);
	printf("device: %u reads of COUNTER, SCRATCH 0x%llx, %u MMIO exits\n", (unsigned)dev.counter,
	       (unsigned long long)dev.scratch, log.count);
	/* what the guest holds must be what the device gave it */
	if (log.count != 9 || dev.counter != 4 || r.rcx != 2 || r.rax != 1 + 2 || r.rdx != 1 + 2 ||
	    r.r10 != PATTERN || dev.scratch != PATTERN || r.r11 != 3 || r.rdi != DEVICE_ID || r.r8 != 4) {
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

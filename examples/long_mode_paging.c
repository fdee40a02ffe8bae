/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * long_mode_paging: a 64-bit guest started directly in long mode, as VMMs
 * boot kernels: no real-mode trampoline, the VMM writes a GDT and 4-level
 * page tables into guest memory and sets the segment, control and general
 * registers (mshv_vcpu_set_sregs, mshv_vcpu_set_regs).
 *
 * The mapping is not the identity: the guest runs at the kernel-style
 * virtual address 0xffffffff80000000, and its three virtual pages sit in
 * guest physical memory in another order:
 *
 *     GVA 0xffffffff80000000  code   -> GPA 0x9000
 *     GVA 0xffffffff80001000  data   -> GPA 0x8000
 *     GVA 0xffffffff80002000  stack  -> GPA 0xa000
 *
 * The guest sums an array of 64-bit numbers the VMM put in its data page,
 * stores the sum next to it, reports it with two 32-bit OUTs to port 0x3f8
 * and then writes a greeting a byte at a time before it halts. The VMM
 * checks the sum against its own, in the guest's memory too, and asks the
 * hypervisor to translate the result's virtual address.
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

#define RAM_SIZE 0x10000 /* guest physical 0 .. 64 KiB */

#define GDT_GPA 0x1000
#define PML4_GPA 0x2000
#define PDPT_GPA 0x3000
#define PD_GPA 0x4000
#define PT_GPA 0x5000
#define DATA_GPA 0x8000
#define CODE_GPA 0x9000
#define STACK_GPA 0xa000

#define CODE_GVA 0xffffffff80000000ull
#define DATA_GVA (CODE_GVA + 0x1000)
#define STACK_GVA (CODE_GVA + 0x2000)

/* the data page: count, count values; the result at 0xf00, the greeting at 0xf08 */
#define DATA_RESULT 0xf00
#define DATA_MSG 0xf08
#define COUNT 400

#define SERIAL_PORT 0x3f8
#define GREETING "hello from 64-bit long mode"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull

/* The guest program (GNU as syntax), position independent: data and result are RIP-relative. */
static const __u8 guest_code[] = {
	0x48, 0x8d, 0x35, 0xf9, 0x0f, 0x00, 0x00, /* lea data(%rip), %rsi      (GVA +0x1000) */
	0x48, 0x8b, 0x0e,                         /* mov (%rsi), %rcx          count */
	0x48, 0x83, 0xc6, 0x08,                   /* add $8, %rsi */
	0x31, 0xc0,                               /* xor %eax, %eax */
	0x48, 0x03, 0x06,                         /* 1: add (%rsi), %rax */
	0x48, 0x83, 0xc6, 0x08,                   /* add $8, %rsi */
	0x48, 0xff, 0xc9,                         /* dec %rcx */
	0x75, 0xf4,                               /* jnz 1b */
	0x50,                                     /* push %rax                 through the stack page */
	0x5b,                                     /* pop %rbx */
	0x48, 0x89, 0x1d, 0xdb, 0x1e, 0x00, 0x00, /* mov %rbx, result(%rip)    (GVA +0x1f00) */
	0x66, 0xba, 0xf8, 0x03,                   /* mov $0x3f8, %dx */
	0xef,                                     /* out %eax, (%dx)           low half */
	0x48, 0xc1, 0xe8, 0x20,                   /* shr $32, %rax */
	0xef,                                     /* out %eax, (%dx)           high half */
	0x48, 0x8d, 0x35, 0xd2, 0x1e, 0x00, 0x00, /* lea msg(%rip), %rsi       (GVA +0x1f08) */
	0xac,                                     /* 2: lodsb */
	0x84, 0xc0,                               /* test %al, %al */
	0x74, 0x03,                               /* jz 3f */
	0xee,                                     /* out %al, (%dx) */
	0xeb, 0xf8,                               /* jmp 2b */
	0xf4,                                     /* 3: hlt */
};

static void put64(__u8 *ram, __u64 gpa, __u64 value)
{
	memcpy(ram + gpa, &value, sizeof(value));
}

static __u64 get64(const __u8 *ram, __u64 gpa)
{
	__u64 v;

	memcpy(&v, ram + gpa, sizeof(v));
	return v;
}

/* GDT and page tables for the layout above; returns the sum the guest should find. */
static __u64 build_guest(__u8 *ram)
{
	__u64 sum = 0, x = 0x9e3779b97f4a7c15ull, i;

	/* GDT: null, 0x08 64-bit code (L=1, DPL 0), 0x10 data */
	put64(ram, GDT_GPA + 0x00, 0);
	put64(ram, GDT_GPA + 0x08, 0x00af9b000000ffffull);
	put64(ram, GDT_GPA + 0x10, 0x00cf93000000ffffull);

	/* 4-level paging, 4 KiB pages: PML4[511] -> PDPT[510] -> PD[0] -> PT[0..2] */
	put64(ram, PML4_GPA + 511 * 8, PDPT_GPA | PTE_P | PTE_RW);
	put64(ram, PDPT_GPA + 510 * 8, PD_GPA | PTE_P | PTE_RW);
	put64(ram, PD_GPA + 0 * 8, PT_GPA | PTE_P | PTE_RW);
	put64(ram, PT_GPA + 0 * 8, CODE_GPA | PTE_P);
	put64(ram, PT_GPA + 1 * 8, DATA_GPA | PTE_P | PTE_RW);
	put64(ram, PT_GPA + 2 * 8, STACK_GPA | PTE_P | PTE_RW);

	memcpy(ram + CODE_GPA, guest_code, sizeof(guest_code));

	/* the array: COUNT pseudo-random values whose sum needs more than 32 bits */
	put64(ram, DATA_GPA, COUNT);
	for (i = 0; i < COUNT; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		put64(ram, DATA_GPA + 8 + 8 * i, x >> 24);
		sum += x >> 24;
	}
	put64(ram, DATA_GPA + DATA_RESULT, 0);
	memcpy(ram + DATA_GPA + DATA_MSG, GREETING, sizeof(GREETING));
	return sum;
}

static void flat_segment(struct mshv_segment_register *s, __u16 selector, __u8 type, __u8 l, __u8 db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

/* Long mode with paging on, straight away: segments, GDTR, CR0/CR3/CR4, EFER; then RIP, RSP, RFLAGS. */
static int enter_long_mode(struct mshv_vcpu *vcpu, __u16 *status)
{
	struct mshv_special_registers s;
	struct mshv_standard_registers r;
	int ret;

	ret = mshv_vcpu_get_sregs(vcpu, &s, status); /* keep TR, LDTR, IDTR, APIC base as they are */
	if (ret < 0)
		return ret;
	flat_segment(&s.cs, 0x08, 0xb, 1, 0); /* execute/read, accessed; 64-bit */
	flat_segment(&s.ds, 0x10, 0x3, 0, 1); /* read/write, accessed */
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 3 * 8 - 1;
	s.cr0 = MSHV_X86_CR0_PE | MSHV_X86_CR0_MP | MSHV_X86_CR0_ET | MSHV_X86_CR0_NE | MSHV_X86_CR0_WP |
		MSHV_X86_CR0_PG;
	s.cr3 = PML4_GPA;
	s.cr4 = MSHV_X86_CR4_PAE;
	s.efer = MSHV_X86_EFER_LME | MSHV_X86_EFER_LMA;
	ret = mshv_vcpu_set_sregs(vcpu, &s, status);
	if (ret < 0)
		return ret;

	ret = mshv_vcpu_get_regs(vcpu, &r, status);
	if (ret < 0)
		return ret;
	r.rip = CODE_GVA;
	r.rsp = STACK_GVA + 0x1000;
	r.rflags = 0x2;
	return mshv_vcpu_set_regs(vcpu, &r, status);
}

struct guest_output {
	__u32 words[2];      /* the 32-bit OUTs */
	unsigned int nwords;
	char text[64];       /* the byte OUTs */
	unsigned int len;
	__u32 unexpected;    /* the message that stopped the loop, if not HLT */
};

/* Run to HLT; OUTs to the serial port are recorded and completed in place. */
static int run_loop(struct mshv_vcpu *vcpu, struct guest_output *out)
{
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int ret;

	for (;;) {
		ret = mshv_vcpu_run(vcpu, &msg);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		if (mshv_msg_halt(&msg))
			return 0;
		io = mshv_msg_io_port(&msg);
		if (!io || io->header.intercept_access_type != HV_INTERCEPT_ACCESS_WRITE ||
		    io->port_number != SERIAL_PORT || io->access_info.string_op) {
			out->unexpected = msg.header.message_type;
			return -EPROTO;
		}
		if (io->access_info.access_size == 4 && out->nwords < 2)
			out->words[out->nwords++] = (__u32)io->rax;
		else if (io->access_info.access_size == 1 && out->len < sizeof(out->text) - 1)
			out->text[out->len++] = (char)io->rax;
		else {
			out->unexpected = msg.header.message_type;
			return -EPROTO;
		}
		ret = mshv_vcpu_complete_io(vcpu, io, 0, NULL);
		if (ret < 0)
			return ret;
	}
}

static int fail(const char *what, int ret, __u16 hv_status)
{
	const char *name = mshv_hv_status_name(hv_status);

	fprintf(stderr, "long_mode_paging: %s: %s", what, mshv_strerror(ret));
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
	struct mshv_special_registers s;
	struct mshv_standard_registers r;
	struct guest_output out;
	union hv_translate_gva_result tr;
	__u64 expected, reported, gpa;
	__u16 status = 0;
	__u8 *ram;
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
		perror("long_mode_paging: mmap");
		goto out;
	}
	expected = build_guest(ram);

	if ((ret = mshv_system_create_vm(&sys, &vm, &status)) < 0) {
		fail("create VM", ret, status);
		goto out;
	}
	if ((ret = mshv_vm_initialize(&vm)) < 0) {
		fail("initialize VM", ret, 0);
		goto out;
	}
	memset(&mem, 0, sizeof(mem));
	mem.guest_pfn = 0;
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
	if ((ret = mshv_vcpu_get_sregs(&vcpu, &s, &status)) < 0) {
		fail("get sregs", ret, status);
		goto out;
	}
	printf("VP 0: CS.L=%u, CR0=0x%llx, CR3=0x%llx, CR4=0x%llx, EFER=0x%llx, RIP=0x%llx\n", (unsigned)s.cs.l,
	       (unsigned long long)s.cr0, (unsigned long long)s.cr3, (unsigned long long)s.cr4,
	       (unsigned long long)s.efer, (unsigned long long)CODE_GVA);

	memset(&out, 0, sizeof(out));
	ret = run_loop(&vcpu, &out);
	if (ret == -EPROTO) {
		const char *name = mshv_hv_message_type_name(out.unexpected);

		fprintf(stderr, "long_mode_paging: unexpected exit: %s (0x%08x)\n", name ? name : "?",
			(unsigned)out.unexpected);
		goto out;
	}
	if (ret < 0) {
		fail("run", ret, 0);
		goto out;
	}
	reported = (__u64)out.words[0] | (__u64)out.words[1] << 32;
	printf("guest: sum of %u values = 0x%llx (reported in %u OUTs), VMM: 0x%llx\n", COUNT,
	       (unsigned long long)reported, out.nwords, (unsigned long long)expected);
	printf("guest said: \"%s\"\n", out.text);
	if (out.nwords != 2 || reported != expected || strcmp(out.text, GREETING) != 0) {
		fprintf(stderr, "long_mode_paging: wrong sum or greeting\n");
		goto out;
	}
	/* what the guest stored, read where it landed (GPA), and RBX after HLT */
	if ((ret = mshv_vcpu_get_regs(&vcpu, &r, &status)) < 0) {
		fail("get regs", ret, status);
		goto out;
	}
	if (get64(ram, DATA_GPA + DATA_RESULT) != expected || r.rbx != expected) {
		fprintf(stderr, "long_mode_paging: stored 0x%llx, RBX 0x%llx\n",
			(unsigned long long)get64(ram, DATA_GPA + DATA_RESULT), (unsigned long long)r.rbx);
		goto out;
	}
	ret = mshv_vcpu_translate_gva(&vcpu, DATA_GVA + DATA_RESULT, HV_TRANSLATE_GVA_VALIDATE_READ, &gpa, &tr,
				      &status);
	if (ret < 0) {
		fail("translate GVA", ret, status);
		goto out;
	}
	printf("result at GVA 0x%llx -> GPA 0x%llx (translation result %u), RBX 0x%llx\n",
	       (unsigned long long)(DATA_GVA + DATA_RESULT), (unsigned long long)gpa,
	       (unsigned)tr.result_code, (unsigned long long)r.rbx);
	if (tr.result_code != HV_TRANSLATE_GVA_SUCCESS || gpa != DATA_GPA + DATA_RESULT) {
		fprintf(stderr, "long_mode_paging: translation differs from the page tables\n");
		goto out;
	}
	printf("sum matches: in the guest's memory, in RBX and on the serial port\n");
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

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * A VMM built on the x86 emulator, on a running guest: every supported
 * instruction family against a device page, and string port IO.
 *
 * A real-mode guest (the code below, assembled by the C compiler) works
 * on the page at 0x9000 with MOV (every form), MOVZX/MOVSX, ADD..CMP,
 * TEST, XCHG, CMPXCHG, BT*, INC/DEC/NOT/NEG (one LOCKed), and the string
 * instructions with and without REP (forwards and backwards, RAM to the
 * page and back, REPs longer than MSHV_X86_REP_CHUNK), saving RFLAGS on
 * its stack after each, then moves strings through ports (REP OUTSB of
 * 300 bytes, REP INSW and REP INSB, OUTSW) and halts.
 *
 * It runs four times:
 *   reference  the page is guest RAM: the CPU model does the accesses;
 *              string port IO (which always exits) through the emulator
 *   mmio       the page is not RAM: every access to it is an intercept
 *              completed by mshv_vcpu_emulate_mmio on a device that is an
 *              array of bytes, registers through the VP register page
 *   hypercall  the same without the register page (registers by hypercall)
 *   no GVA     the device run with each message's GVA marked invalid (the
 *              operand's address and the GPA, or a translation, instead)
 *
 * The general registers, RFLAGS, RIP, the guest's RAM (its stack of
 * saved flags included), the page's contents and the port log must be the
 * same in all four, and the mmio runs must have taken an intercept for
 * every access to the page. Run under tools/mshv-sim in every kernel
 * release; exits 77 without /dev/mshv.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mshv.h"
#include "../check.h"
#include "../guest_setup.h"

#define RAM_SIZE 0x10000
#define CODE_GPA 0x1000
#define SRC_GPA 0x2000
#define DEVICE_GPA 0x9000
#define PAGE 0x1000

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	"guest_start:\n"
	".code16\n"
	"xor %ax, %ax\n"
	"mov %ax, %ds\n"
	"mov %ax, %es\n"
	"mov %ax, %ss\n"
	"mov $0x8000, %sp\n"
	"mov $0x9000, %bx\n"
	/* MOV: stores (88/89, C6/C7, A2/A3), loads (8A/8B, A0/A1), MOVZX, MOVSX */
	"mov $0x12345678, %eax\n"
	"mov %eax, (%bx)\n"
	"movl $0x87654321, 4(%bx)\n"
	"movb $0x5a, 8(%bx)\n"
	"mov %ah, 9(%bx)\n"
	"mov (%bx), %ecx\n"
	"mov 5(%bx), %dh\n"
	"movzbl 1(%bx), %edx\n"
	"movswl 6(%bx), %esi\n"
	"mov 0x9004, %al\n"
	"mov %ax, 0x9010\n"
	"mov 0x9010, %edi\n"
	"mov $0x40, %bp\n"
	"mov %edi, 0x9000(%bp, %si)\n"
	/* ADD..CMP, TEST, each followed by its flags on the stack */
	"addl %ecx, (%bx)\n pushf\n"
	"orw $0x8001, 4(%bx)\n pushf\n"
	"adcb $0x7f, 8(%bx)\n pushf\n"
	"sbbl (%bx), %edx\n pushf\n"
	"andl $0xf0f0f0f0, (%bx)\n pushf\n"
	"subw %cx, 6(%bx)\n pushf\n"
	"xorl %eax, (%bx)\n pushf\n"
	"cmpb $0x5a, 8(%bx)\n pushf\n"
	"cmp 4(%bx), %cx\n pushf\n"
	"addw $-3, 12(%bx)\n pushf\n"
	"testl $0x80000000, (%bx)\n pushf\n"
	"test %dl, 1(%bx)\n pushf\n"
	/* XCHG, CMPXCHG (equal, then not), BT* */
	"xchg %edx, 12(%bx)\n"
	"mov (%bx), %eax\n"
	"cmpxchg %ecx, (%bx)\n pushf\n"
	"cmpxchg %esi, (%bx)\n pushf\n"
	"movl $0x0f0f0f0f, 16(%bx)\n"
	/*
	 * BT* leave OF SF AF PF undefined (SDM): the emulator keeps them, the
	 * CPU model computes them one way or another by what ran before.
	 * Saved: CF and ZF (unaffected) only, through AX.
	 */
	"btsl $5, 16(%bx)\n pushf\n pop %ax\n and $0x41, %ax\n push %ax\n"
	"mov $3, %cx\n"
	"btrw %cx, 16(%bx)\n pushf\n pop %ax\n and $0x41, %ax\n push %ax\n"
	"mov $-9, %cx\n"
	"btw %cx, 20(%bx)\n pushf\n pop %ax\n and $0x41, %ax\n push %ax\n"
	"btcl $31, 16(%bx)\n pushf\n pop %ax\n and $0x41, %ax\n push %ax\n"
	/* INC, DEC, NOT, NEG */
	"incl 20(%bx)\n pushf\n"
	"decw 20(%bx)\n pushf\n"
	"notl 24(%bx)\n pushf\n"
	"negb 24(%bx)\n pushf\n"
	"lock incl 28(%bx)\n pushf\n"
	/* strings: RAM -> page, page -> RAM, STOS longer than a REP chunk, LODS, CMPS, SCAS, backwards */
	"cld\n"
	"mov $0x2000, %si\n mov $0x9100, %di\n mov $40, %cx\n rep movsb\n"
	"mov $0x9100, %si\n mov $0x3000, %di\n mov $20, %cx\n rep movsw\n"
	"mov $0x9200, %di\n mov $0xdeadbeef, %eax\n mov $600, %cx\n rep stosl\n"
	"mov $0x9100, %si\n lodsb\n lodsw\n lodsl\n"
	"mov $0x9100, %si\n mov $0x2000, %di\n mov $40, %cx\n repe cmpsb\n pushf\n"
	"mov $0x9200, %di\n mov $0xdeadbeef, %eax\n mov $100, %cx\n repe scasl\n pushf\n"
	"mov $0x9200, %di\n mov $0xbe, %al\n mov $100, %cx\n repne scasb\n pushf\n"
	"std\n mov $0x9110, %si\n mov $0x3100, %di\n mov $8, %cx\n rep movsb\n cld\n"
	"mov $0x9400, %di\n movsl\n stosw\n"
	/* string port IO */
	"mov $0x2000, %si\n mov $0x3f8, %dx\n mov $300, %cx\n rep outsb\n"
	"mov $0x3400, %di\n mov $0x60, %dx\n mov $4, %cx\n rep insw\n"
	"mov $0x9300, %di\n mov $3, %cx\n rep insb\n"
	"mov $0x9300, %si\n outsw\n"
	"hlt\n"
	"guest_end:\n"
	".code64\n"
	".popsection\n");
extern const unsigned char guest_start[], guest_end[];

/* ---- the VMM's devices -------------------------------------------------------- */

#define PORT_LOG 1024

struct vmm {
	__u8 *ram;         /* guest physical 0 .. RAM_SIZE */
	int device_is_ram; /* the reference run: the page is RAM */
	__u8 device[PAGE]; /* the page, when it is a device */
	unsigned long mmio_exits, string_io_exits, again;
	unsigned int nports;
	struct {
		__u16 port;
		__u8 size, out;
		__u32 value;
	} ports[PORT_LOG];
	__u16 in_next;
};

static int dev_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct vmm *v = ctx;

	if (v->device_is_ram || gpa < DEVICE_GPA || gpa + size > DEVICE_GPA + PAGE)
		return -EFAULT;
	memcpy(data, v->device + (gpa - DEVICE_GPA), size);
	return 0;
}

static int dev_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct vmm *v = ctx;

	if (v->device_is_ram || gpa < DEVICE_GPA || gpa + size > DEVICE_GPA + PAGE)
		return -EFAULT;
	memcpy(v->device + (gpa - DEVICE_GPA), data, size);
	return 0;
}

static void *guest_ram(void *ctx, __u64 gpa, unsigned int size)
{
	struct vmm *v = ctx;

	if (gpa + size > RAM_SIZE || gpa + size < gpa)
		return NULL;
	if (!v->device_is_ram && gpa + size > DEVICE_GPA && gpa < DEVICE_GPA + PAGE)
		return NULL;
	return v->ram + gpa;
}

static void log_port(struct vmm *v, __u16 port, unsigned int size, int out, __u32 value)
{
	if (v->nports < PORT_LOG) {
		v->ports[v->nports].port = port;
		v->ports[v->nports].size = (__u8)size;
		v->ports[v->nports].out = (__u8)out;
		v->ports[v->nports].value = value;
	}
	v->nports++;
}

static int port_read(void *ctx, __u16 port, unsigned int size, void *data)
{
	struct vmm *v = ctx;
	__u32 value = 0x01010101u * (v->in_next++ & 0xff);

	memcpy(data, &value, size);
	log_port(v, port, size, 0, size == 4 ? value : value & ((1u << (8 * size)) - 1));
	return 0;
}

static int port_write(void *ctx, __u16 port, unsigned int size, const void *data)
{
	__u32 value = 0;

	memcpy(&value, data, size);
	log_port(ctx, port, size, 1, value);
	return 0;
}

static const struct mshv_x86_emulator_ops vmm_ops = { dev_read, dev_write, guest_ram, port_read, port_write, NULL };

/* ---- one run --------------------------------------------------------------------- */

struct result {
	struct mshv_standard_registers regs;
	__u8 ram[RAM_SIZE];
	struct vmm vmm;
};

/* How a run differs from the reference. */
#define RUN_DEVICE 0x1      /* the page is a device, not RAM */
#define RUN_NO_REG_PAGE 0x2 /* registers by hypercall */
#define RUN_NO_GVA 0x4      /* memory intercepts as if they carried no GVA */

static int run_guest(struct mshv_system *sys, unsigned int how, struct result *res)
{
	struct vmm *v = &res->vmm;
	int device_is_ram = !(how & RUN_DEVICE), use_reg_page = !(how & RUN_NO_REG_PAGE);
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct hv_message msg;
	struct mshv_x86_insn insn;
	__u8 *ram;
	unsigned int i;
	int ret, rc = -1;

	memset(res, 0, sizeof(*res));
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return -1;
	v->ram = ram;
	v->device_is_ram = device_is_ram;
	memcpy(ram + CODE_GPA, guest_start, (size_t)(guest_end - guest_start));
	for (i = 0; i < 0x200; i++)
		ram[SRC_GPA + i] = (__u8)(i * 7 + 1);
	for (i = 0; i < PAGE; i++)
		v->device[i] = (__u8)(i * 13 + 5);
	if (device_is_ram)
		memcpy(ram + DEVICE_GPA, v->device, PAGE);

	CHECK_RET(mshv_system_create_vm(sys, &vm, NULL), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	memset(&mem, 0, sizeof(mem));
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.size = device_is_ram ? RAM_SIZE : DEVICE_GPA;
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	if (!device_is_ram) {
		mem.guest_pfn = (DEVICE_GPA + PAGE) >> 12;
		mem.userspace_addr = (__u64)(uintptr_t)(ram + DEVICE_GPA + PAGE);
		mem.size = RAM_SIZE - DEVICE_GPA - PAGE;
		CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	}
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	CHECK_RET(guest_real_mode_cs0(&vcpu), 0);
	CHECK_RET(MSHV_SET_REGISTERS_64(&vcpu, NULL, { HV_X64_REGISTER_RIP, CODE_GPA }, { HV_X64_REGISTER_RFLAGS, 2 }), 0);
	if (failed)
		goto out;
	if (!use_reg_page)
		vcpu.reg_page = NULL; /* as on a kernel that maps none: registers by hypercall */

	for (i = 0; i < 100000; i++) {
		const struct hv_x64_io_port_intercept_message *io;

		ret = mshv_vcpu_run(&vcpu, &msg);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "run: %s\n", mshv_strerror(ret));
			goto out;
		}
		if (mshv_msg_halt(&msg))
			break;
		if (mshv_msg_memory(&msg)) {
			struct hv_x64_memory_intercept_message *mem = (struct hv_x64_memory_intercept_message *)(void *)
									      msg.u.payload;

			if (how & RUN_NO_GVA)
				mem->memory_access_info.gva_valid = 0;
			v->mmio_exits++;
			ret = mshv_vcpu_emulate_mmio(&vcpu, &msg, &vmm_ops, v, &insn, NULL);
		} else if ((io = mshv_msg_io_port(&msg)) != NULL && io->access_info.string_op) {
			v->string_io_exits++;
			ret = mshv_vcpu_emulate_string_io(&vcpu, &msg, &vmm_ops, v, &insn, NULL);
		} else {
			fprintf(stderr, "unexpected exit 0x%08x\n", (unsigned)msg.header.message_type);
			goto out;
		}
		if (ret == MSHV_X86_EMULATE_AGAIN)
			v->again++;
		if (ret < 0) {
			fprintf(stderr, "emulating at rip 0x%llx: %s (reject %u)\n",
				(unsigned long long)mshv_msg_memory(&msg)->header.rip, mshv_strerror(ret), insn.reject);
			goto out;
		}
	}
	CHECK_RET(mshv_vcpu_get_regs(&vcpu, &res->regs, NULL), 0);
	memcpy(res->ram, ram, RAM_SIZE);
	if (device_is_ram)
		memcpy(v->device, ram + DEVICE_GPA, PAGE);
	memset(res->ram + DEVICE_GPA, 0, PAGE);
	rc = 0;
out:
	mshv_vcpu_close(&vcpu);
	mshv_vm_close(&vm);
	munmap(ram, RAM_SIZE);
	v->ram = NULL;
	return rc;
}

static void compare(const char *what, const struct result *ref, const struct result *r)
{
	unsigned int i;

	printf("%s: %lu MMIO exits, %lu string port-IO exits (%lu REP chunks re-entered), %u port accesses\n", what,
	       r->vmm.mmio_exits, r->vmm.string_io_exits, r->vmm.again, r->vmm.nports);
	CHECK(memcmp(&ref->regs, &r->regs, sizeof(r->regs)) == 0);
	CHECK(memcmp(ref->ram, r->ram, RAM_SIZE) == 0);
	CHECK(memcmp(ref->vmm.device, r->vmm.device, PAGE) == 0);
	CHECK(ref->vmm.nports == r->vmm.nports && memcmp(ref->vmm.ports, r->vmm.ports, sizeof(r->vmm.ports)) == 0);
	for (i = 0; i < RAM_SIZE; i++)
		if (ref->ram[i] != r->ram[i]) {
			fprintf(stderr, "%s: RAM differs first at 0x%x: %02x, reference %02x\n", what, i, r->ram[i],
				ref->ram[i]);
			break;
		}
	for (i = 0; i < PAGE; i++)
		if (ref->vmm.device[i] != r->vmm.device[i]) {
			fprintf(stderr, "%s: the page differs first at +0x%x: %02x, reference %02x\n", what, i,
				r->vmm.device[i], ref->vmm.device[i]);
			break;
		}
	if (memcmp(&ref->regs, &r->regs, sizeof(r->regs))) {
		const __u64 *a = (const __u64 *)&ref->regs, *b = (const __u64 *)&r->regs;

		for (i = 0; i < sizeof(r->regs) / 8; i++)
			if (a[i] != b[i])
				fprintf(stderr, "%s: register %u (struct order): 0x%llx, reference 0x%llx\n", what, i,
					(unsigned long long)b[i], (unsigned long long)a[i]);
	}
}

int main(void)
{
	static struct result ref, mmio, hcall, nogva;
	struct mshv_system sys;
	int ret = mshv_system_open(&sys);

	if (ret < 0) {
		printf("SKIP: mshv_system_open: %s (run under tools/mshv-sim)\n", mshv_strerror(ret));
		return 77;
	}
	CHECK_RET(run_guest(&sys, 0, &ref), 0);
	CHECK_RET(run_guest(&sys, RUN_DEVICE, &mmio), 0);
	CHECK_RET(run_guest(&sys, RUN_DEVICE | RUN_NO_REG_PAGE, &hcall), 0);
	CHECK_RET(run_guest(&sys, RUN_DEVICE | RUN_NO_GVA, &nogva), 0);
	if (!failed) {
		compare("reference (the page is RAM)", &ref, &ref);
		compare("mmio (register page)", &ref, &mmio);
		compare("mmio (hypercalls)", &ref, &hcall);
		compare("mmio (no GVA in the messages)", &ref, &nogva);
		/* the device runs took an exit for each access to the page; the reference none */
		CHECK(ref.vmm.mmio_exits == 0);
		CHECK(mmio.vmm.mmio_exits >= 50 && hcall.vmm.mmio_exits == mmio.vmm.mmio_exits);
		CHECK(ref.vmm.string_io_exits >= 4 && ref.vmm.again >= 1);
		/* the guest did what it was told: 300 bytes out, 8 + 3 in, one word out */
		CHECK(ref.vmm.nports == 300 + 4 + 3 + 1);
		CHECK(ref.regs.rip == CODE_GPA + (__u64)(guest_end - guest_start));
	}
	mshv_system_close(&sys);
	return CHECK_REPORT("emulate-sim-guest");
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * System calls per intercept of the canonical run loop, counted.
 *
 * The ioctl layer promises that handling an intercept costs one system
 * call, MSHV_RUN_VP: the completion helpers write the VP register page
 * while it is valid. This program runs that loop for four kinds of exit,
 * each N times after a warm-up:
 *
 *   OUT   out %al,(%dx)          mshv_vcpu_complete_io (RIP past the OUT)
 *   IN    in (%dx),%eax          mshv_vcpu_complete_io (EAX = the VMM's value)
 *   HLT   hlt                    mshv_vcpu_set_rip (back to the HLT)
 *   MMIO  mov (%bx),%eax (load)  decoded from the message's instruction
 *                                bytes, mshv_vcpu_set_gpr_and_rip
 *   EMU   the same load, and a   mshv_vcpu_emulate_mmio (the x86 emulator:
 *         store mov %edi,4(%bx)  decode, device callbacks, registers and
 *         in turn                RIP through the register page)
 *
 * and counts the calls the library makes: this executable defines ioctl,
 * mmap, mmap64, munmap, open, open64 and close itself (the library is
 * inlined here, so its calls bind to these definitions), counts each call
 * whose caller is this executable (its return address inside our own
 * mapping: the simulator's and libc's calls pass uncounted) and forwards it
 * to the next definition (dlsym(RTLD_NEXT): the simulator, then libc). It
 * asserts exactly one system call, an MSHV_RUN_VP ioctl, per intercept,
 * checks that the guest saw the values the VMM supplied, and prints the
 * figures and the exits per second.
 *
 * run_loop_syscalls [--iterations N]
 * Under tools/mshv-sim (suite 'bench', native build); on a real /dev/mshv
 * unchanged; exits 77 when there is neither.
 */
#undef _FILE_OFFSET_BITS /* plain open/mmap (the same ABI on 64-bit hosts) */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"
#include "../check.h"
#include "../guest_setup.h"

/* ---- counting: the executable's own definitions ---------------------------- */

struct counts {
	unsigned long ioctl, run_vp, mmap, munmap, open, close;
};

static struct counts calls;
static uintptr_t exe_lo, exe_hi; /* this executable's mapping */

static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size;
	(void)data;
	/* the first object is the main program */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (!exe_lo || info->dlpi_addr + ph->p_vaddr < exe_lo)
			exe_lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > exe_hi)
			exe_hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	return 1;
}

/* The call was made by code in this executable (the inlined library, or the test). */
static int from_exe(const void *ret_addr)
{
	if (!exe_hi)
		dl_iterate_phdr(find_exe, NULL);
	return (uintptr_t)ret_addr >= exe_lo && (uintptr_t)ret_addr < exe_hi;
}

/* fn = the next definition of name (the simulator's, else libc's); memcpy: ISO C has no object-to-function cast */
#define NEXT(fn, name)                                  \
	do {                                            \
		void *p_ = dlsym(RTLD_NEXT, (name));    \
		if (!p_)                                \
			abort();                        \
		memcpy(&(fn), &p_, sizeof(p_));         \
	} while (0)

int ioctl(int fd, unsigned long request, ...)
{
	static int (*next)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (from_exe(__builtin_return_address(0))) {
		calls.ioctl++;
		calls.run_vp += request == MSHV_RUN_VP;
	}
	if (!next)
		NEXT(next, "ioctl");
	return next(fd, request, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*next)(void *, size_t, int, int, int, off_t);

	if (from_exe(__builtin_return_address(0)))
		calls.mmap++;
	if (!next)
		NEXT(next, "mmap");
	return next(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*next)(void *, size_t, int, int, int, off_t);

	if (from_exe(__builtin_return_address(0)))
		calls.mmap++;
	if (!next)
		NEXT(next, "mmap64");
	return next(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	static int (*next)(void *, size_t);

	if (from_exe(__builtin_return_address(0)))
		calls.munmap++;
	if (!next)
		NEXT(next, "munmap");
	return next(addr, len);
}

static int open_common(const char *sym, const void *caller, const char *path, int flags, mode_t mode)
{
	int (*next)(const char *, int, ...);

	NEXT(next, sym);
	if (from_exe(caller))
		calls.open++;
	return next(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open_common("open", __builtin_return_address(0), path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open_common("open64", __builtin_return_address(0), path, flags, mode);
}

int close(int fd)
{
	static int (*next)(int);

	if (from_exe(__builtin_return_address(0)))
		calls.close++;
	if (!next)
		NEXT(next, "close");
	return next(fd);
}

static unsigned long total(const struct counts *c)
{
	return c->ioctl + c->mmap + c->munmap + c->open + c->close;
}

/* ---- the guest -------------------------------------------------------------------- */

#define RAM_SIZE 0x8000 /* guest physical 0 .. 32 KiB; 0x9000 is the device */
#define MMIO_GPA 0x9000
#define OUT_CODE 0x1000
#define IN_CODE 0x1100
#define HLT_CODE 0x1200
#define MMIO_CODE 0x1300
#define EMU_CODE 0x1400

static const __u8 out_code[] = {
	0xee,       /* 1: out %al, (%dx) */
	0xeb, 0xfd, /* jmp 1b */
};
static const __u8 in_code[] = {
	0x66, 0xed,       /* 1: in (%dx), %eax */
	0x66, 0x01, 0xc6, /* add %eax, %esi */
	0xeb, 0xf9,       /* jmp 1b */
};
static const __u8 hlt_code[] = {
	0xf4, /* hlt (the VMM moves RIP back to it) */
};
static const __u8 mmio_code[] = {
	0x66, 0x8b, 0x07, /* 1: mov (%bx), %eax */
	0x66, 0x01, 0xc7, /* add %eax, %edi */
	0xeb, 0xf8,       /* jmp 1b */
};

static const __u8 emu_code[] = {
	0x66, 0x8b, 0x07,       /* 1: mov (%bx), %eax */
	0x66, 0x01, 0xc7,       /* add %eax, %edi */
	0x66, 0x89, 0x7f, 0x04, /* mov %edi, 4(%bx) */
	0xeb, 0xf4,             /* jmp 1b */
};

/* The emulator's device: loads return the next value, stores are kept. */
struct emu_device {
	__u32 next, stored;
	unsigned long loads, stores;
};

static int emu_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct emu_device *dev = ctx;

	if (gpa != MMIO_GPA || size != 4)
		return -EFAULT;
	memcpy(data, &dev->next, 4);
	dev->loads++;
	return 0;
}

static int emu_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct emu_device *dev = ctx;

	if (gpa != MMIO_GPA + 4 || size != 4)
		return -EFAULT;
	memcpy(&dev->stored, data, 4);
	dev->stores++;
	return 0;
}

static const struct mshv_x86_emulator_ops emu_ops = { emu_read, emu_write, NULL, NULL, NULL, NULL };
static struct emu_device emu_dev;

/*
 * Length and destination register of MOV r16/r32, r/m (0x8B) in 16-bit
 * code with 16-bit addressing: an operand-size prefix, ModRM, disp8 or
 * disp16. -1 for anything else.
 */
static int decode_load16(const __u8 *b, unsigned int n, unsigned int *len, unsigned int *reg, unsigned int *size)
{
	unsigned int i = 0, mod, rm;

	*size = 2;
	if (i < n && b[i] == 0x66) {
		*size = 4;
		i++;
	}
	if (i + 2 > n || b[i] != 0x8b)
		return -1;
	mod = b[i + 1] >> 6;
	rm = b[i + 1] & 7;
	*reg = (b[i + 1] >> 3) & 7;
	i += 2;
	if (mod == 3)
		return -1;
	if (mod == 1)
		i += 1;
	else if (mod == 2 || (mod == 0 && rm == 6))
		i += 2;
	if (i > n)
		return -1;
	*len = i;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum kind { OUT, IN, HLT, MMIO, EMU, KINDS };
static const char *const kind_names[KINDS] = { "OUT", "IN", "HLT", "MMIO", "EMU" };
static const __u64 kind_rip[KINDS] = { OUT_CODE, IN_CODE, HLT_CODE, MMIO_CODE, EMU_CODE };

/*
 * The canonical loop: run, look at the message, complete in place.
 * Returns the number of intercepts handled (n), or -1 on an unexpected exit.
 * *sum accumulates the values handed to the guest (IN, MMIO).
 */
static long run_loop(struct mshv_vcpu *vcpu, enum kind kind, long n, __u32 *sum)
{
	struct hv_message msg;
	long i;

	for (i = 0; i < n; i++) {
		int ret = mshv_vcpu_run(vcpu, &msg);

		if (ret < 0) {
			fprintf(stderr, "%s: run: %s\n", kind_names[kind], mshv_strerror(ret));
			return -1;
		}
		switch (kind) {
		case OUT:
		case IN: {
			const struct hv_x64_io_port_intercept_message *io = mshv_msg_io_port(&msg);
			__u32 value = (__u32)i * 2654435761u;

			if (!io || io->header.intercept_access_type !=
					   (kind == IN ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE))
				goto unexpected;
			ret = mshv_vcpu_complete_io(vcpu, io, value, NULL);
			if (kind == IN)
				*sum += value;
			break;
		}
		case HLT: {
			if (!mshv_msg_halt(&msg))
				goto unexpected;
			ret = mshv_vcpu_set_rip(vcpu, HLT_CODE, NULL);
			break;
		}
		case MMIO: {
			const struct hv_x64_memory_intercept_message *mem = mshv_msg_memory(&msg);
			const __u8 *bytes;
			unsigned int len, reg, size, count;
			__u32 value = (__u32)i * 40503u + 7;

			if (!mem || mem->guest_physical_address != MMIO_GPA ||
			    mem->header.intercept_access_type != HV_INTERCEPT_ACCESS_READ)
				goto unexpected;
			count = mshv_msg_instruction_bytes(&msg, &bytes);
			if (decode_load16(bytes, count, &len, &reg, &size) < 0 || size != 4)
				goto unexpected;
			/* a 32-bit load: the upper half of RAX is zeroed */
			ret = mshv_vcpu_set_gpr_and_rip(vcpu, reg, value, mem->header.rip + len, NULL);
			*sum += value;
			break;
		}
		case EMU: {
			/* loads and stores in turn; the device hands out a new value per load */
			if (!mshv_msg_memory(&msg))
				goto unexpected;
			emu_dev.next = (__u32)i * 40503u + 7;
			ret = mshv_vcpu_emulate_mmio(vcpu, &msg, &emu_ops, &emu_dev, NULL, NULL);
			if (mshv_msg_memory(&msg)->header.intercept_access_type == HV_INTERCEPT_ACCESS_READ)
				*sum += emu_dev.next;
			break;
		}
		default:
			goto unexpected;
		}
		if (ret < 0) {
			fprintf(stderr, "%s: completion: %s\n", kind_names[kind], mshv_strerror(ret));
			return -1;
		}
	}
	return n;
unexpected:
	fprintf(stderr, "%s: unexpected exit 0x%08x at iteration %ld\n", kind_names[kind],
		(unsigned)msg.header.message_type, i);
	return -1;
}

/* Point the VP at a snippet (setup: not counted). */
static int start_at(struct mshv_vcpu *vcpu, enum kind kind)
{
	return MSHV_SET_REGISTERS_64(vcpu, NULL, { HV_X64_REGISTER_RIP, kind_rip[kind] },
				     { HV_X64_REGISTER_RDX, 0x3f8 }, { HV_X64_REGISTER_RBX, MMIO_GPA },
				     { HV_X64_REGISTER_RSI, 0 }, { HV_X64_REGISTER_RDI, 0 });
}

int main(int argc, char **argv)
{
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct mshv_standard_registers regs;
	struct hv_message msg;
	struct counts before, d, setup;
	long iterations = 200000, warmup = 1000;
	__u8 *ram;
	int k, ret;

	if (argc == 3 && !strcmp(argv[1], "--iterations"))
		iterations = atol(argv[2]);
	if (iterations <= 0)
		return fprintf(stderr, "usage: run_loop_syscalls [--iterations N]\n"), 2;

	memset(&before, 0, sizeof(before));
	ret = mshv_system_open(&sys);
	if (ret < 0) {
		printf("SKIP: mshv_system_open: %s (run under tools/mshv-sim)\n", mshv_strerror(ret));
		return 77;
	}
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);
	if (ram == MAP_FAILED)
		return 1;
	memcpy(ram + OUT_CODE, out_code, sizeof(out_code));
	memcpy(ram + IN_CODE, in_code, sizeof(in_code));
	memcpy(ram + HLT_CODE, hlt_code, sizeof(hlt_code));
	memcpy(ram + MMIO_CODE, mmio_code, sizeof(mmio_code));
	memcpy(ram + EMU_CODE, emu_code, sizeof(emu_code));

	CHECK_RET(mshv_system_create_vm(&sys, &vm, NULL), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	memset(&mem, 0, sizeof(mem));
	mem.size = RAM_SIZE;
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	CHECK(vcpu.reg_page != NULL);
	/* real mode, CS = 0 */
	CHECK_RET(guest_real_mode_cs0(&vcpu), 0);
	if (failed)
		return CHECK_REPORT("run_loop_syscalls");
	setup = calls;
	printf("setup (open, VM, memory, VP, registers): %lu calls: %lu ioctl, %lu mmap, %lu open\n", total(&setup),
	       setup.ioctl, setup.mmap, setup.open);

	for (k = 0; k < KINDS; k++) {
		__u32 sum = 0;
		double t0, t1;
		long n;

		CHECK_RET(start_at(&vcpu, (enum kind)k), 0);
		if (run_loop(&vcpu, (enum kind)k, warmup, &sum) != warmup) {
			CHECK(!"warm-up");
			break;
		}
		/* the measured run starts afresh: accumulators 0, at the snippet's first instruction */
		sum = 0;
		memset(&emu_dev, 0, sizeof(emu_dev));
		CHECK_RET(start_at(&vcpu, (enum kind)k), 0);
		before = calls;
		t0 = now();
		n = run_loop(&vcpu, (enum kind)k, iterations, &sum);
		t1 = now();
		d.ioctl = calls.ioctl - before.ioctl;
		d.run_vp = calls.run_vp - before.run_vp;
		d.mmap = calls.mmap - before.mmap;
		d.munmap = calls.munmap - before.munmap;
		d.open = calls.open - before.open;
		d.close = calls.close - before.close;
		if (n != iterations) {
			CHECK(!"run loop");
			break;
		}
		printf("%-4s: %ld intercepts, %lu system calls (%lu ioctl, %lu of them MSHV_RUN_VP; %lu mmap, "
		       "%lu munmap, %lu open, %lu close): %.2f per intercept, %.0f exits/s\n",
		       kind_names[k], n, total(&d), d.ioctl, d.run_vp, d.mmap, d.munmap, d.open, d.close,
		       (double)total(&d) / (double)n, (double)n / (t1 - t0));
		CHECK(d.ioctl == (unsigned long)n);
		CHECK(d.run_vp == (unsigned long)n);
		CHECK(total(&d) == (unsigned long)n);
		/* the completions reached the guest: one more run, and it has added the last value too */
		CHECK_RET(mshv_vcpu_run(&vcpu, &msg), 0);
		CHECK(msg.header.message_type == (k == MMIO || k == EMU ? HVMSG_UNMAPPED_GPA
				     : k == HLT ? HVMSG_X64_HALT : HVMSG_X64_IO_PORT_INTERCEPT));
		CHECK(mshv_vcpu_reg_page_valid(&vcpu));
		memset(&regs, 0, sizeof(regs));
		CHECK_RET(mshv_vcpu_get_regs(&vcpu, &regs, NULL), 0);
		if (k == IN)
			CHECK((__u32)regs.rsi == sum);
		if (k == MMIO || k == EMU)
			CHECK((__u32)regs.rdi == sum);
		if (k == EMU) { /* loads and stores in turn; a store after the last load wrote the sum */
			CHECK(emu_dev.loads == (unsigned long)(n + 1) / 2 && emu_dev.stores == (unsigned long)n / 2);
			CHECK(n % 2 || emu_dev.stored == sum);
		}
	}

	/*
	 * Control: the counting sees a completion that is a system call. With
	 * the register page hidden from the handle (as on a kernel that offers
	 * none), each OUT costs MSHV_RUN_VP plus one set-registers hypercall.
	 */
	{
		struct hv_vp_register_page *page = vcpu.reg_page;
		__u32 sum = 0;
		long n;

		CHECK_RET(start_at(&vcpu, OUT), 0);
		vcpu.reg_page = NULL;
		before = calls;
		n = run_loop(&vcpu, OUT, 1000, &sum);
		d.ioctl = calls.ioctl - before.ioctl;
		d.run_vp = calls.run_vp - before.run_vp;
		vcpu.reg_page = page;
		printf("control, OUT without the register page: %ld intercepts, %lu ioctl (%lu MSHV_RUN_VP)\n", n,
		       d.ioctl, d.run_vp);
		CHECK(n == 1000 && d.run_vp == 1000 && d.ioctl == 2000);
	}
	/*
	 * ... and the emulator's fallback: without the register page each MMIO
	 * exit reads the registers (one get-registers hypercall) and writes
	 * back what changed (one set-registers hypercall); the guest still
	 * sees every value.
	 */
	{
		struct hv_vp_register_page *page = vcpu.reg_page;
		__u32 sum = 0;
		long n;

		CHECK_RET(start_at(&vcpu, EMU), 0);
		memset(&emu_dev, 0, sizeof(emu_dev));
		vcpu.reg_page = NULL;
		before = calls;
		n = run_loop(&vcpu, EMU, 1000, &sum);
		d.ioctl = calls.ioctl - before.ioctl;
		d.run_vp = calls.run_vp - before.run_vp;
		printf("control, EMU without the register page: %ld intercepts, %lu ioctl (%lu MSHV_RUN_VP)\n", n,
		       d.ioctl, d.run_vp);
		CHECK(n == 1000 && d.run_vp == 1000 && d.ioctl == 3000);
		CHECK(emu_dev.loads == 500 && emu_dev.stores == 500 && emu_dev.stored == sum);
		memset(&regs, 0, sizeof(regs));
		CHECK_RET(mshv_vcpu_get_regs(&vcpu, &regs, NULL), 0);
		CHECK((__u32)regs.rdi == sum && regs.rip == EMU_CODE + 10); /* past the last store, at the jmp */
		vcpu.reg_page = page;
	}

	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK_RET(mshv_system_close(&sys), 0);
	munmap(ram, RAM_SIZE);
	/* the counting itself saw the setup's calls: it works */
	CHECK(setup.open == 1 && setup.mmap >= 2 && setup.ioctl >= 5);
	return CHECK_REPORT("run_loop_syscalls");
}

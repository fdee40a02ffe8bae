/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The ioctl layer never allocates from the heap.
 *
 * This executable defines malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc itself, forwarding each to
 * glibc's __libc_* entry points, and attributes every call to the object
 * that made it (its return address, __builtin_return_address(0), inside
 * this executable's own mapping or not). The library is inlined into this
 * file, so a heap call of the library's is a call from this executable;
 * calls from libc's internals, the simulator's library or unicorn are
 * counted apart and do not matter.
 *
 * Around a full run (open /dev/mshv, create and initialize a VM, ask for
 * the nested-virtualization flag (the 6.19/7.0 probe), map
 * memory, create a vCPU with its register page, run a real-mode guest
 * through OUT, IN and HLT with in-place completions, get and set every
 * register set and VP state blob, MSRs, CPUID, GVA translation, the same
 * again without the register page, unmap and close everything) the count
 * from this executable must be 0. A self-check first: one deliberate
 * malloc/free from here must be counted once each (and is then taken out).
 * With --deliberate-malloc the program allocates inside the measured run;
 * that run must fail (meson: should_fail), so the assertion can fail.
 *
 * Limits: a heap allocation made by a libc function the library called
 * (strdup, fopen...) has libc as its caller and is not seen here; the
 * library calls none (its imports are open, close, ioctl, mmap, munmap,
 * sysconf and the mem* functions).
 *
 * Under tools/mshv-sim, both kernel generations; unchanged on a real
 * /dev/mshv; 77 when there is neither. Not built with the sanitizers,
 * whose runtimes own malloc.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mshv.h"
#include "check.h"
#include "guest_setup.h"

/* ---- the heap, counted by caller ------------------------------------------- */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

struct heap_counts {
	unsigned long exe_allocs, exe_frees; /* made by code in this executable: the library, this test */
	unsigned long other_allocs;          /* made by libc, the simulator, unicorn... */
};

static struct heap_counts heap;
static uintptr_t exe_lo, exe_hi;

static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size;
	(void)data;
	for (i = 0; i < info->dlpi_phnum; i++) { /* the first object: the main program */
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		if (!exe_lo || lo < exe_lo)
			exe_lo = lo;
		if (hi > exe_hi)
			exe_hi = hi;
	}
	return 1;
}

static void count(const void *caller, int alloc)
{
	if ((uintptr_t)caller >= exe_lo && (uintptr_t)caller < exe_hi) {
		if (alloc)
			__atomic_add_fetch(&heap.exe_allocs, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&heap.exe_frees, 1, __ATOMIC_RELAXED);
	} else if (alloc) {
		__atomic_add_fetch(&heap.other_allocs, 1, __ATOMIC_RELAXED);
	}
}

void *malloc(size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_realloc(p, size);
}

void free(void *p)
{
	if (p)
		count(__builtin_return_address(0), 0);
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	count(__builtin_return_address(0), 1);
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_memalign(align, size);
}

void *valloc(size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_memalign(4096, size);
}

void *pvalloc(size_t size)
{
	count(__builtin_return_address(0), 1);
	return __libc_memalign(4096, (size + 4095) & ~(size_t)4095);
}

/* ---- the run ------------------------------------------------------------------ */

#define RAM_SIZE 0x4000

/* real mode at 0x1000: OUT 'A' to 0x3f8, IN from 0x3f8 into AL, store it, HLT */
static const __u8 guest_code[] = {
	0xb0, 0x41,       /* mov $0x41, %al */
	0xba, 0xf8, 0x03, /* mov $0x3f8, %dx */
	0xee,             /* out %al, (%dx) */
	0xec,             /* in (%dx), %al */
	0xa2, 0x00, 0x30, /* mov %al, 0x3000 */
	0xf4,             /* hlt */
};

static struct mshv_all_vp_state_components all_state;
static struct mshv_lapic_state lapic;
static struct mshv_xsave xsave;
static __u32 msr_indices[512];
static struct mshv_msr_entry msrs[512];
static struct hv_register_assoc many_regs[300];

/* Every register set: get, set back, get again and compare where the layer is lossless. */
static void register_sets(struct mshv_vcpu *vcpu)
{
	struct mshv_standard_registers r, r2;
	struct mshv_special_registers s, s2;
	struct mshv_floating_point_unit f, f2;
	struct mshv_debug_registers dr, dr2;
	struct mshv_vcpu_events ev;
	struct mshv_xcrs x;
	struct mshv_misc_regs m;
	struct mshv_suspend_registers sus;
	__u32 cpuid[4];
	unsigned int i;

	memset(&r2, 0, sizeof(r2));
	memset(&s2, 0, sizeof(s2));
	memset(&f2, 0, sizeof(f2));
	memset(&dr2, 0, sizeof(dr2));
	CHECK_RET(mshv_vcpu_get_regs(vcpu, &r, NULL), 0);
	CHECK_RET(mshv_vcpu_set_regs(vcpu, &r, NULL), 0);
	CHECK_RET(mshv_vcpu_get_regs(vcpu, &r2, NULL), 0);
	CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	CHECK_RET(mshv_vcpu_get_sregs(vcpu, &s, NULL), 0);
	CHECK_RET(mshv_vcpu_set_sregs(vcpu, &s, NULL), 0);
	CHECK_RET(mshv_vcpu_get_sregs(vcpu, &s2, NULL), 0);
	CHECK(s.cr0 == s2.cr0 && s.cs.base == s2.cs.base && s.gdt.limit == s2.gdt.limit);
	CHECK_RET(mshv_vcpu_get_fpu(vcpu, &f, NULL), 0);
	CHECK_RET(mshv_vcpu_set_fpu(vcpu, &f, NULL), 0);
	CHECK_RET(mshv_vcpu_get_fpu(vcpu, &f2, NULL), 0);
	CHECK(memcmp(f.xmm, f2.xmm, sizeof(f.xmm)) == 0 && f.fcw == f2.fcw && f.mxcsr == f2.mxcsr);
	CHECK_RET(mshv_vcpu_get_debug_regs(vcpu, &dr, NULL), 0);
	CHECK_RET(mshv_vcpu_set_debug_regs(vcpu, &dr, NULL), 0);
	CHECK_RET(mshv_vcpu_get_debug_regs(vcpu, &dr2, NULL), 0);
	CHECK(memcmp(&dr, &dr2, sizeof(dr)) == 0);
	CHECK_RET(mshv_vcpu_get_vcpu_events(vcpu, &ev, NULL), 0);
	CHECK_RET(mshv_vcpu_set_vcpu_events(vcpu, &ev, NULL), 0);
	CHECK_RET(mshv_vcpu_get_xcrs(vcpu, &x, NULL), 0);
	CHECK_RET(mshv_vcpu_set_xcrs(vcpu, &x, NULL), 0);
	CHECK_RET(mshv_vcpu_get_misc_regs(vcpu, &m, NULL), 0);
	CHECK_RET(mshv_vcpu_set_misc_regs(vcpu, &m, NULL), 0);
	CHECK_RET(mshv_vcpu_get_suspend_regs(vcpu, &sus, NULL), 0);
	CHECK_RET(mshv_vcpu_get_lapic(vcpu, &lapic), 0);
	CHECK_RET(mshv_vcpu_set_lapic(vcpu, &lapic), 0);
	CHECK_RET(mshv_vcpu_get_xsave(vcpu, &xsave), 0);
	CHECK_RET(mshv_vcpu_set_xsave(vcpu, &xsave), 0);
	CHECK_RET(mshv_vcpu_get_all_vp_state_components(vcpu, &all_state), 0);
	CHECK_RET(mshv_vcpu_set_all_vp_state_components(vcpu, &all_state), 0);
	CHECK_RET(mshv_vcpu_get_cpuid_values(vcpu, 0, 0, 0, 0, cpuid, NULL), 0);
	CHECK(cpuid[0] >= 1);
	/* registers by name, more than one hypercall's worth (split and continued) */
	memset(many_regs, 0, sizeof(many_regs));
	for (i = 0; i < 300; i++)
		many_regs[i].name = i % 2 ? HV_X64_REGISTER_RIP : HV_X64_REGISTER_RFLAGS;
	CHECK_RET(mshv_vcpu_get_registers(vcpu, many_regs, 300, NULL), 0);
	CHECK(many_regs[299].value.reg64 == r.rip && many_regs[298].value.reg64 == r.rflags);
	CHECK_RET(mshv_vcpu_set_registers(vcpu, many_regs, 300, NULL), 0);
	CHECK_RET(MSHV_SET_REGISTERS_64(vcpu, NULL, { HV_X64_REGISTER_RIP, r.rip }, { HV_X64_REGISTER_RFLAGS, r.rflags }),
		  0);
}

/* Run the guest to HLT, completing the OUT and the IN in place. Returns the OUT's byte. */
static int run_guest(struct mshv_vcpu *vcpu)
{
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int out = -1, ret;

	for (;;) {
		ret = mshv_vcpu_run(vcpu, &msg);
		if (ret == -EINTR)
			continue;
		CHECK_RET(ret, 0);
		if (ret < 0 || mshv_msg_halt(&msg))
			return out;
		io = mshv_msg_io_port(&msg);
		CHECK(io != NULL);
		if (!io)
			return -1;
		if (io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE)
			out = (int)(io->rax & 0xff);
		CHECK_RET(mshv_vcpu_complete_io(vcpu, io, 0x5a, NULL), 0);
	}
}

/*
 * Partition flag bit 4, which on a 6.19-or-later kernel takes the probe
 * that tells 6.19 from 7.0 (a guard-page mapping, not the heap); whatever
 * the release answers, no allocation.
 */
static void nested_flag(struct mshv_system *sys)
{
	struct mshv_create_partition_v2 args;
	struct mshv_vm vm;
	int ret;

	memset(&args, 0, sizeof(args));
	args.pt_flags = 1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION;
	ret = mshv_system_create_vm_with_args(sys, &args, &vm);
	CHECK(ret == 0 || ret == -EOPNOTSUPP);
	if (ret == 0)
		CHECK_RET(mshv_vm_close(&vm), 0);
}

static void full_run(int deliberate_malloc)
{
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct hv_vp_register_page *page;
	union hv_translate_gva_result tr;
	unsigned int n;
	__u64 gpa;
	__u8 *ram;
	int i;

	CHECK_RET(mshv_system_open(&sys), 0);
	n = 512;
	CHECK_RET(mshv_system_get_msr_index_list(&sys, msr_indices, &n), 0);
	CHECK_RET(mshv_system_create_vm(&sys, &vm, NULL), 0);
	CHECK_RET(mshv_vm_initialize(&vm), 0);
	nested_flag(&sys);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);
	memcpy(ram + 0x1000, guest_code, sizeof(guest_code));
	memset(&mem, 0, sizeof(mem));
	mem.size = RAM_SIZE;
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	CHECK(vcpu.reg_page != NULL);

	/* real mode at 0x1000 */
	CHECK_RET(guest_real_mode_cs0(&vcpu), 0);
	CHECK_RET(mshv_vcpu_set_register64(&vcpu, HV_X64_REGISTER_RIP, 0x1000, NULL), 0);
	if (deliberate_malloc) {
		void *volatile p = malloc(16); /* what the assertion is there to catch */

		free(p);
	}
	CHECK(run_guest(&vcpu) == 0x41);
	CHECK(ram[0x3000] == 0x5a); /* the IN's completion reached the guest */

	/* every register set, through the register page and without it */
	register_sets(&vcpu);
	page = vcpu.reg_page;
	vcpu.reg_page = NULL;
	register_sets(&vcpu);
	vcpu.reg_page = page;

	/* MSRs of the partition's list: get, then set back */
	n = 512;
	CHECK_RET(mshv_vm_get_msr_index_list(&vm, msr_indices, &n, NULL), 0);
	CHECK(n > 0);
	for (i = 0; i < (int)n; i++) {
		msrs[i].index = msr_indices[i];
		msrs[i].data = 0;
	}
	CHECK_RET(mshv_vcpu_get_msrs(&vcpu, msrs, n, NULL), (int)n);
	CHECK_RET(mshv_vcpu_set_msrs(&vcpu, msrs, n, NULL), (int)n);
	/* real mode, no paging: a GVA is its GPA */
	CHECK_RET(mshv_vcpu_translate_gva(&vcpu, 0x1000, HV_TRANSLATE_GVA_VALIDATE_READ, &gpa, &tr, NULL), 0);
	CHECK(tr.result_code == HV_TRANSLATE_GVA_SUCCESS && (gpa & ~0xfffull) == 0x1000);

	CHECK_RET(mshv_vm_unmap_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK_RET(mshv_system_close(&sys), 0);
	munmap(ram, RAM_SIZE);
}

int main(int argc, char **argv)
{
	int deliberate = argc > 1 && !strcmp(argv[1], "--deliberate-malloc");
	struct mshv_system probe;
	struct heap_counts before;

	dl_iterate_phdr(find_exe, NULL);
	if (mshv_system_open(&probe) < 0) {
		printf("SKIP: no /dev/mshv (run under tools/mshv-sim)\n");
		return 77;
	}
	mshv_system_close(&probe);

	/* self-check: a malloc and a free from here are seen, once each */
	before = heap;
	{
		void *volatile p = malloc(32);

		free(p);
	}
	CHECK(heap.exe_allocs - before.exe_allocs == 1 && heap.exe_frees - before.exe_frees == 1);
	printf("self-check: 1 malloc and 1 free from this executable counted as %lu and %lu\n",
	       heap.exe_allocs - before.exe_allocs, heap.exe_frees - before.exe_frees);

	fflush(stdout); /* stdio's buffer is allocated before the run, not during it */
	before = heap;
	full_run(deliberate);
	printf("full run: %lu heap allocations and %lu frees by the library (this executable), "
	       "%lu by libc, the simulator and the rest\n",
	       heap.exe_allocs - before.exe_allocs, heap.exe_frees - before.exe_frees,
	       heap.other_allocs - before.other_allocs);
	CHECK(heap.exe_allocs - before.exe_allocs == 0);
	CHECK(heap.exe_frees - before.exe_frees == 0);
	return CHECK_REPORT(deliberate ? "no-malloc (with a deliberate malloc)" : "no-malloc");
}

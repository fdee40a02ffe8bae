/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Guest memory accesses on mshv-sim against raw unicorn 2.0.1 (issue 13).
 *
 * The same 64-bit guest code, in long mode with 4-level paging and 4 KiB
 * pages identity-mapping the guest's RAM (as Linux runs), once on
 * /dev/mshv through mshv.h and once on a bare unicorn engine
 * (uc_open, uc_mem_map_ptr, the same page tables, uc_emu_start) in a
 * child process started without the simulator library preloaded:
 *
 *   store   8-byte stores over a buffer (64 MiB by default), several passes
 *   load    8-byte loads summed over the same buffer
 *   bytes   an XZ-like loop over a 1 MiB window: a byte load and a byte
 *           read-modify-write at the next address, per byte
 *
 * Each is run --reps times (passes each); the best run counts, so that a
 * busy machine slows a measurement without failing it. Prints ns per
 * access of each, the ratio sim/raw, and one "store_bench:" line with the
 * raw numbers. Fails (1) when a ratio of stores or loads is above
 * --max-ratio (default 1.5), or when the guest's results are wrong.
 *
 *   store_bench [--mib N] [--passes N] [--reps N] [--max-ratio R]
 * Under tools/mshv-sim; 77 when there is no /dev/mshv.
 */
#define _GNU_SOURCE
#define MSHV_IMPLEMENTATION
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <unicorn/unicorn.h>

#include "mshv.h"

#define GDT_GPA 0x2000ull
#define PML4_GPA 0x10000ull
#define PDPT_GPA 0x11000ull
#define PD_GPA 0x12000ull
#define PT_GPA 0x13000ull   /* one page table per 2 MiB, as many as the RAM needs */
#define BUF_GPA 0x1000000ull /* the buffer: 16 MiB on */
#define WINDOW_SIZE (1ull << 20)

/* the code: rdi = start, rsi = end, rcx = passes; each ends with HLT */
#define STORE_GPA 0x1000ull
#define LOAD_GPA 0x1100ull
#define BYTES_GPA 0x1200ull
static const uint8_t store_code[] = {
	0x48, 0x89, 0xf8,       /* 0: mov %rdi, %rax */
	0x48, 0x89, 0x00,       /* 1: mov %rax, (%rax) */
	0x48, 0x83, 0xc0, 0x08, /* add $8, %rax */
	0x48, 0x39, 0xf0,       /* cmp %rsi, %rax */
	0x72, 0xf4,             /* jb 1b */
	0x48, 0xff, 0xc9,       /* dec %rcx */
	0x75, 0xec,             /* jnz 0b */
	0xf4,                   /* hlt */
};
static const uint8_t load_code[] = {
	0x48, 0x89, 0xf8,       /* 0: mov %rdi, %rax */
	0x48, 0x03, 0x18,       /* 1: add (%rax), %rbx */
	0x48, 0x83, 0xc0, 0x08, /* add $8, %rax */
	0x48, 0x39, 0xf0,       /* cmp %rsi, %rax */
	0x72, 0xf4,             /* jb 1b */
	0x48, 0xff, 0xc9,       /* dec %rcx */
	0x75, 0xec,             /* jnz 0b */
	0xf4,                   /* hlt */
};
static const uint8_t bytes_code[] = {
	0x48, 0x89, 0xf8, /* 0: mov %rdi, %rax */
	0x0f, 0xb6, 0x10, /* 1: movzbl (%rax), %edx */
	0x00, 0x50, 0x01, /* add %dl, 1(%rax) */
	0x48, 0xff, 0xc0, /* inc %rax */
	0x48, 0x39, 0xf0, /* cmp %rsi, %rax */
	0x72, 0xf2,       /* jb 1b */
	0x48, 0xff, 0xc9, /* dec %rcx */
	0x75, 0xea,       /* jnz 0b */
	0xf4,             /* hlt */
};

enum { W_STORE, W_LOAD, W_BYTES, NW };
static const char *const wname[NW] = { "store", "load", "bytes" };

struct opts {
	uint64_t mib, passes, reps;
	double max_ratio;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static uint64_t ram_size(const struct opts *o)
{
	return BUF_GPA + (o->mib << 20);
}

/* GDT, identity page tables over the whole RAM (4 KiB pages, writable), the three loops */
static void build_guest(uint8_t *ram, uint64_t size)
{
	uint64_t npt = (size + (2u << 20) - 1) >> 21;

	put64(ram, GDT_GPA + 0x08, 0x00af9b000000ffffull);
	put64(ram, GDT_GPA + 0x10, 0x00cf93000000ffffull);
	put64(ram, PML4_GPA, PDPT_GPA | 3);
	put64(ram, PDPT_GPA, PD_GPA | 3);
	for (uint64_t i = 0; i < npt; i++)
		put64(ram, PD_GPA + 8 * i, (PT_GPA + 0x1000 * i) | 3);
	for (uint64_t p = 0; p < size >> 12; p++)
		put64(ram, PT_GPA + 8 * p, (p << 12) | 3);
	memcpy(ram + STORE_GPA, store_code, sizeof(store_code));
	memcpy(ram + LOAD_GPA, load_code, sizeof(load_code));
	memcpy(ram + BYTES_GPA, bytes_code, sizeof(bytes_code));
}

/* the loop of workload w: entry, start, end, passes, accesses per run */
static void workload(const struct opts *o, int w, uint64_t *rip, uint64_t *start, uint64_t *end, uint64_t *passes,
		     double *accesses)
{
	*start = BUF_GPA;
	*passes = o->passes;
	if (w == W_BYTES) {
		*rip = BYTES_GPA;
		*end = BUF_GPA + WINDOW_SIZE;
		*passes = o->passes * 8; /* about as many accesses as the others at 64 MiB */
		*accesses = (double)WINDOW_SIZE * (double)*passes;
		return;
	}
	*rip = w == W_STORE ? STORE_GPA : LOAD_GPA;
	*end = BUF_GPA + (o->mib << 20);
	*accesses = (double)(o->mib << 20) / 8 * (double)*passes;
}

/* The guest's results after a run of w: every 8-byte word its own address (store), the sum (load). */
static int check_result(const struct opts *o, const uint8_t *ram, int w, uint64_t rbx_before, uint64_t rbx)
{
	uint64_t start, end, passes, rip, sum = 0, v;
	double n;

	workload(o, w, &rip, &start, &end, &passes, &n);
	if (w == W_BYTES)
		return 0;
	for (uint64_t a = start; a < end; a += 8) {
		memcpy(&v, ram + a, 8);
		if (w == W_STORE && v != a) {
			fprintf(stderr, "store_bench: word at 0x%llx is 0x%llx\n", (unsigned long long)a,
				(unsigned long long)v);
			return -1;
		}
		sum += v;
	}
	if (w == W_LOAD && rbx - rbx_before != sum * passes) {
		fprintf(stderr, "store_bench: loads summed 0x%llx, expected 0x%llx\n",
			(unsigned long long)(rbx - rbx_before), (unsigned long long)(sum * passes));
		return -1;
	}
	return 0;
}

/* ---- raw unicorn (in a child without the simulator preloaded) ---- */
static int raw_run(const struct opts *o, double best[NW])
{
	uint64_t size = ram_size(o), cr0, cr3 = PML4_GPA, cr4 = 0x20;
	uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uc_engine *uc;
	uc_err err;

	if (ram == MAP_FAILED)
		return -1;
	build_guest(ram, size);
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK ||
	    uc_mem_map_ptr(uc, 0, size, UC_PROT_ALL, ram) != UC_ERR_OK)
		return -1;
	/* UC_MODE_64 starts in long mode (EFER.LME/LMA, CR0.PE, 64-bit CS): paging on */
	uc_reg_read(uc, UC_X86_REG_CR0, &cr0);
	cr0 |= 0x80000000ull;
	uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
	uc_reg_write(uc, UC_X86_REG_CR3, &cr3);
	uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	for (int w = 0; w < NW; w++) {
		uint64_t rip, start, end, passes, rbx0 = 0, rbx;
		double n;

		workload(o, w, &rip, &start, &end, &passes, &n);
		best[w] = 1e30;
		for (uint64_t r = 0; r < o->reps; r++) {
			uc_reg_write(uc, UC_X86_REG_RDI, &start);
			uc_reg_write(uc, UC_X86_REG_RSI, &end);
			uc_reg_write(uc, UC_X86_REG_RCX, &passes);
			uc_reg_read(uc, UC_X86_REG_RBX, &rbx0);
			double t0 = now();
			err = uc_emu_start(uc, rip, rip + (w == W_BYTES ? sizeof(bytes_code) : sizeof(store_code)) - 1,
					   0, 0);
			double t = now() - t0;
			if (err != UC_ERR_OK) {
				fprintf(stderr, "store_bench: raw unicorn: %s\n", uc_strerror(err));
				return -1;
			}
			uc_reg_read(uc, UC_X86_REG_RBX, &rbx);
			if (check_result(o, ram, w, rbx0, rbx))
				return -1;
			if (t / n * 1e9 < best[w])
				best[w] = t / n * 1e9;
		}
	}
	uc_close(uc);
	return 0;
}

/* Run raw_run in a child, started again without the simulator library in LD_PRELOAD. */
static int raw_in_child(char **argv, const struct opts *o, double best[NW])
{
	int fd[2];
	pid_t pid;
	int st;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *lib = getenv("MSHV_SIM_LIB"), *pre = getenv("LD_PRELOAD");
		char keep[4096] = "", fdarg[16], *save = NULL, *tok, *copy = strdup(pre ? pre : "");

		/* the preloads other than the simulator (a sanitizer runtime) stay */
		for (tok = strtok_r(copy, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save)) {
			if ((lib && !strcmp(tok, lib)) || strstr(tok, "libmshv-sim"))
				continue;
			if (strlen(keep) + strlen(tok) + 2 < sizeof(keep))
				strcat(strcat(keep, *keep ? ":" : ""), tok);
		}
		if (*keep)
			setenv("LD_PRELOAD", keep, 1);
		else
			unsetenv("LD_PRELOAD");
		close(fd[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", fd[1]);
		char mib[24], passes[24], reps[24];
		snprintf(mib, sizeof(mib), "%llu", (unsigned long long)o->mib);
		snprintf(passes, sizeof(passes), "%llu", (unsigned long long)o->passes);
		snprintf(reps, sizeof(reps), "%llu", (unsigned long long)o->reps);
		execl("/proc/self/exe", argv[0], "--raw-child", fdarg, "--mib", mib, "--passes", passes, "--reps", reps,
		      (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], best, sizeof(double) * NW);
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    got != (ssize_t)(sizeof(double) * NW))
		return -1;
	return 0;
}

/* ---- mshv-sim through mshv.h ---- */
static void flat(struct mshv_segment_register *s, uint16_t sel, uint8_t type, uint8_t l, uint8_t db)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

static int sim_run(const struct opts *o, double best[NW])
{
	uint64_t size = ram_size(o);
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct mshv_special_registers s;
	struct mshv_standard_registers r;
	struct hv_message msg;
	uint16_t status = 0;
	uint8_t *ram;
	int ret;

	ret = mshv_system_open(&sys);
	if (ret == -ENOENT) {
		printf("SKIP: no /dev/mshv (run it under tools/mshv-sim)\n");
		exit(77);
	}
	ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ret < 0 || ram == MAP_FAILED)
		return -1;
	build_guest(ram, size);
	if (mshv_system_create_vm(&sys, &vm, &status) < 0 || mshv_vm_initialize(&vm) < 0)
		return -1;
	memset(&mem, 0, sizeof(mem));
	mem.size = size;
	mem.userspace_addr = (uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	if (mshv_vm_map_user_memory(&vm, &mem) < 0 || mshv_vm_create_vcpu(&vm, 0, &vcpu) < 0 ||
	    mshv_vcpu_get_sregs(&vcpu, &s, &status) < 0)
		return -1;
	flat(&s.cs, 0x08, 0xb, 1, 0);
	flat(&s.ds, 0x10, 0x3, 0, 1);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 3 * 8 - 1;
	s.cr0 = 0x80000033ull; /* PE MP ET NE PG */
	s.cr3 = PML4_GPA;
	s.cr4 = 0x20; /* PAE */
	s.efer = 0x500; /* LME LMA */
	if (mshv_vcpu_set_sregs(&vcpu, &s, &status) < 0)
		return -1;
	for (int w = 0; w < NW; w++) {
		uint64_t rip, start, end, passes, rbx0;
		double n;

		workload(o, w, &rip, &start, &end, &passes, &n);
		best[w] = 1e30;
		for (uint64_t i = 0; i < o->reps; i++) {
			if (mshv_vcpu_get_regs(&vcpu, &r, &status) < 0)
				return -1;
			r.rip = rip;
			r.rdi = start;
			r.rsi = end;
			r.rcx = passes;
			r.rflags = 2;
			rbx0 = r.rbx;
			if (mshv_vcpu_set_regs(&vcpu, &r, &status) < 0)
				return -1;
			double t0 = now();
			do
				ret = mshv_vcpu_run(&vcpu, &msg);
			while (ret == -EINTR);
			double t = now() - t0;
			if (ret < 0 || !mshv_msg_halt(&msg)) {
				fprintf(stderr, "store_bench: %s: no HLT (message 0x%x)\n", wname[w],
					(unsigned)msg.header.message_type);
				return -1;
			}
			if (mshv_vcpu_get_regs(&vcpu, &r, &status) < 0 || check_result(o, ram, w, rbx0, r.rbx))
				return -1;
			if (t / n * 1e9 < best[w])
				best[w] = t / n * 1e9;
		}
	}
	mshv_vcpu_close(&vcpu);
	mshv_vm_close(&vm);
	mshv_system_close(&sys);
	munmap(ram, size);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .mib = 64, .passes = 2, .reps = 3, .max_ratio = 1.5 };
	double sim[NW], raw[NW];
	int raw_fd = -1, rc = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mib"))
			o.mib = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--passes"))
			o.passes = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--reps"))
			o.reps = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--max-ratio"))
			o.max_ratio = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--raw-child"))
			raw_fd = atoi(argv[i + 1]);
		else
			return fprintf(stderr, "usage: store_bench [--mib N] [--passes N] [--reps N] [--max-ratio R]\n"), 2;
	}
	if (!o.mib || !o.passes || !o.reps)
		return fprintf(stderr, "store_bench: --mib, --passes and --reps must be positive\n"), 2;
	if (raw_fd >= 0) {
		if (raw_run(&o, raw))
			return 1;
		return write(raw_fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw) ? 0 : 1;
	}
	if (sim_run(&o, sim)) {
		fprintf(stderr, "store_bench: the mshv-sim run failed\n");
		return 1;
	}
	if (raw_in_child(argv, &o, raw)) {
		fprintf(stderr, "store_bench: the raw unicorn run failed\n");
		return 1;
	}
	printf("%llu MiB buffer, %llu passes, best of %llu (bytes: 1 MiB window, %llu passes)\n",
	       (unsigned long long)o.mib, (unsigned long long)o.passes, (unsigned long long)o.reps,
	       (unsigned long long)o.passes * 8);
	for (int w = 0; w < NW; w++) {
		double ratio = sim[w] / raw[w];
		bool checked = w != W_BYTES;

		printf("%-5s  mshv-sim %7.2f ns  raw unicorn %7.2f ns  ratio %5.2f%s\n", wname[w], sim[w], raw[w], ratio,
		       !checked ? "" : ratio <= o.max_ratio ? "  ok" : "  FAIL");
		if (checked && ratio > o.max_ratio)
			rc = 1;
	}
	printf("store_bench: store_ns sim=%.2f raw=%.2f ratio=%.2f; load_ns sim=%.2f raw=%.2f ratio=%.2f; "
	       "bytes_ns sim=%.2f raw=%.2f ratio=%.2f (max ratio %.2f)\n",
	       sim[W_STORE], raw[W_STORE], sim[W_STORE] / raw[W_STORE], sim[W_LOAD], raw[W_LOAD],
	       sim[W_LOAD] / raw[W_LOAD], sim[W_BYTES], raw[W_BYTES], sim[W_BYTES] / raw[W_BYTES], o.max_ratio);
	return rc;
}

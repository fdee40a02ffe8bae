/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * real_mode_serial: the smallest complete VM, the example of mshv-ioctls'
 * documentation in C.
 *
 * A 16-bit real-mode guest at guest physical address 0x1000 adds RAX and
 * RBX (2 + 2), turns the sum into an ASCII digit, writes it to the serial
 * port 0x3f8, writes a NUL to end its output and halts:
 *
 *     mov $0x3f8, %dx
 *     add %bl, %al
 *     add $'0', %al
 *     out %al, (%dx)
 *     mov $0, %al
 *     out %al, (%dx)
 *     hlt
 *
 * The VMM creates a partition, maps one page of guest memory, creates VP 0,
 * points CS at segment 0 and sets RAX, RBX, RIP and RFLAGS (one
 * set-registers call), then runs the VP: each OUT arrives as an IO-port
 * intercept, completed in place with mshv_vcpu_complete_io(), until the
 * HLT. It prints what the guest wrote and exits 0 when that is "4".
 *
 * Runs on /dev/mshv, or anywhere under the simulator:
 *     tools/mshv-sim build/native/examples/real_mode_serial
 * Exits 77 (skipped) when there is no /dev/mshv.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS in C99 mode */
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mshv.h"

#define GUEST_CODE_GPA 0x1000
#define SERIAL_PORT 0x3f8

/* What the guest did, filled by run_loop(). */
struct serial_log {
	char text[64];         /* the bytes written to SERIAL_PORT up to the NUL */
	unsigned int len;      /* ... how many */
	unsigned int io_exits; /* port-IO intercepts handled */
	int nul_written;       /* the guest ended its output with a NUL */
	__u32 unexpected;      /* the message type that stopped the loop, if not HLT */
	__u16 bad_port;        /* a port other than SERIAL_PORT */
};

/*
 * The run loop: run VP until it halts, emulating OUTs to the serial port.
 * Every intercept costs one system call (MSHV_RUN_VP): the completion
 * writes RIP into the VP register page. tests/check_run_loop_inlined.sh
 * checks that, compiled at -O2 by gcc and clang, this function calls
 * nothing but ioctl (and errno's __errno_location): mshv_vcpu_run, the
 * message views and mshv_vcpu_complete_io are inlined. Only the helpers'
 * fallback for a VP without a valid register page (a set-registers
 * hypercall) may stay out of line.
 * Returns 0 at HLT, -EPROTO on anything unexpected, or another -errno.
 */
int run_loop(struct mshv_vcpu *vcpu, struct serial_log *log);
int run_loop(struct mshv_vcpu *vcpu, struct serial_log *log)
{
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int ret;

	for (;;) {
		ret = mshv_vcpu_run(vcpu, &msg);
		if (ret == -EINTR)
			continue; /* a signal for this thread: just run again */
		if (ret < 0)
			return ret;
		if (mshv_msg_halt(&msg))
			return 0;
		io = mshv_msg_io_port(&msg);
		if (!io || io->header.intercept_access_type != HV_INTERCEPT_ACCESS_WRITE || io->access_info.string_op ||
		    io->access_info.access_size != 1 || io->port_number != SERIAL_PORT) {
			log->unexpected = msg.header.message_type;
			log->bad_port = io ? io->port_number : 0;
			return -EPROTO;
		}
		log->io_exits++;
		if ((io->rax & 0xff) == 0)
			log->nul_written = 1;
		else if (!log->nul_written && log->len < sizeof(log->text) - 1)
			log->text[log->len++] = (char)(io->rax & 0xff);
		/* OUT: resume after the instruction (RIP + instruction length) */
		ret = mshv_vcpu_complete_io(vcpu, io, 0, NULL);
		if (ret < 0)
			return ret;
	}
}

static int fail(const char *what, int ret, __u16 hv_status)
{
	fprintf(stderr, "real_mode_serial: %s: %s", what, mshv_strerror(ret));
	if (hv_status)
		fprintf(stderr, " (%s)", mshv_hv_status_name(hv_status) ? mshv_hv_status_name(hv_status) : "?");
	fprintf(stderr, "\n");
	return 1;
}

int main(void)
{
	static const __u8 code[] = {
		0xba, 0xf8, 0x03, /* mov $0x3f8, %dx */
		0x00, 0xd8,       /* add %bl, %al */
		0x04, '0',        /* add $'0', %al */
		0xee,             /* out %al, (%dx) */
		0xb0, 0x00,       /* mov $0, %al */
		0xee,             /* out %al, (%dx) */
		0xf4,             /* hlt */
	};
	struct mshv_system sys;
	struct mshv_vm vm;
	struct mshv_vcpu vcpu;
	struct mshv_user_mem_region mem;
	struct hv_register_assoc regs[5];
	union hv_register_value cs;
	struct serial_log log;
	__u16 status = 0;
	void *ram;
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
	vcpu.reg_page = NULL;
	ram = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		perror("real_mode_serial: mmap");
		goto out;
	}
	memcpy(ram, code, sizeof(code));

	ret = mshv_system_create_vm(&sys, &vm, &status);
	if (ret < 0) {
		fail("create VM", ret, status);
		goto out;
	}
	ret = mshv_vm_initialize(&vm);
	if (ret < 0) {
		fail("initialize VM", ret, 0);
		goto out;
	}
	/* one page of RAM at guest physical 0x1000 */
	memset(&mem, 0, sizeof(mem));
	mem.guest_pfn = GUEST_CODE_GPA >> 12;
	mem.size = 0x1000;
	mem.userspace_addr = (__u64)(uintptr_t)ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	ret = mshv_vm_map_user_memory(&vm, &mem);
	if (ret < 0) {
		fail("map guest memory", ret, 0);
		goto out;
	}
	ret = mshv_vm_create_vcpu(&vm, 0, &vcpu);
	if (ret < 0) {
		fail("create VP 0", ret, 0);
		goto out;
	}

	/* CS as the VP has it after reset, moved to segment 0 (base and selector 0) */
	ret = mshv_vcpu_get_register(&vcpu, HV_X64_REGISTER_CS, &cs, &status);
	if (ret < 0) {
		fail("get CS", ret, status);
		goto out;
	}
	cs.segment.base = 0;
	cs.segment.selector = 0;
	memset(regs, 0, sizeof(regs));
	regs[0].name = HV_X64_REGISTER_CS;
	regs[0].value = cs;
	regs[1].name = HV_X64_REGISTER_RAX;
	regs[1].value.reg64 = 2;
	regs[2].name = HV_X64_REGISTER_RBX;
	regs[2].value.reg64 = 2;
	regs[3].name = HV_X64_REGISTER_RIP;
	regs[3].value.reg64 = GUEST_CODE_GPA;
	regs[4].name = HV_X64_REGISTER_RFLAGS;
	regs[4].value.reg64 = 0x2;
	ret = mshv_vcpu_set_registers(&vcpu, regs, 5, &status);
	if (ret < 0) {
		fail("set CS, RAX, RBX, RIP, RFLAGS", ret, status);
		goto out;
	}

	memset(&log, 0, sizeof(log));
	ret = run_loop(&vcpu, &log);
	if (ret == -EPROTO) {
		const char *name = mshv_hv_message_type_name(log.unexpected);

		fprintf(stderr, "real_mode_serial: unexpected exit: %s (0x%08x), port 0x%x\n", name ? name : "?",
			(unsigned)log.unexpected, (unsigned)log.bad_port);
		goto out;
	}
	if (ret < 0) {
		fail("run", ret, 0);
		goto out;
	}
	printf("guest wrote to port 0x%x: \"%s\"%s (%u port-IO exits), then HLT\n", SERIAL_PORT, log.text,
	       log.nul_written ? " and NUL" : "", log.io_exits);
	/* the guest computed RAX + RBX + '0' */
	if (strcmp(log.text, "4") != 0 || !log.nul_written || log.io_exits != 2) {
		fprintf(stderr, "real_mode_serial: expected \"4\" and NUL in 2 exits\n");
		goto out;
	}
	printf("2 + 2 = %s\n", log.text);
	rc = 0;
out:
	if (vcpu.fd >= 0)
		mshv_vcpu_close(&vcpu);
	if (vm.fd >= 0)
		mshv_vm_close(&vm);
	mshv_system_close(&sys);
	if (ram != MAP_FAILED)
		munmap(ram, 0x1000);
	return rc;
}

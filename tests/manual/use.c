/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * A file of a program whose define.c defines the functions: with
 * MSHV_INLINE_DECL_ONLY it sees prototypes only, so every call below links
 * to define.c's symbols (a missing prototype would not compile under
 * -Werror; a missing symbol would not link). It calls functions of both
 * layers: bindings (names, a message view, the decoder) and ioctl (a
 * handle refused before any system call, a run-loop function).
 * Exits 0 when every answer is the one expected.
 * (Compiled as C by the build and as C++11/17 by inline_compile.sh.)
 */
#define MSHV_INLINE_DECL_ONLY
#include <stdio.h>
#include <string.h>

#include "mshv.h"

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

int main(void)
{
	struct hv_message msg;
	struct mshv_system sys;
	struct mshv_vm vm;
	const char *s = mshv_strerror(-ENOENT);
	const char *name = mshv_hv_status_name(HV_STATUS_INVALID_PARAMETER);

	expect(s && strstr(s, "ENOENT") != NULL, "mshv_strerror(-ENOENT) names ENOENT");
	expect(name && strcmp(name, "HV_STATUS_INVALID_PARAMETER") == 0, "mshv_hv_status_name");
	memset(&msg, 0, sizeof(msg));
	msg.header.message_type = HVMSG_UNMAPPED_GPA;
	expect(mshv_msg_memory(&msg) != NULL && mshv_msg_memory(NULL) == NULL, "mshv_msg_memory (a view)");
#if defined(__x86_64__)
	{
		static const __u8 mov[] = { 0x89, 0x03 }; /* mov %eax, (%rbx) */
		struct mshv_x86_insn insn;

		expect(mshv_x86_decode(mov, 2, MSHV_X86_MODE_64, &insn) == 2, "mshv_x86_decode");
	}
#else
	{
		struct mshv_arm64_mmio_access a;

		expect(mshv_arm64_decode_data_abort(0, &a) == -EINVAL, "mshv_arm64_decode_data_abort");
	}
#endif
	sys.fd = 3;
	expect(mshv_system_from_fd(&sys, -1) == -EBADF && sys.fd == -1, "mshv_system_from_fd(-1): -EBADF");
	vm.fd = -1;
	expect(mshv_vm_close(&vm) == 0, "mshv_vm_close of a closed handle");
	expect(mshv_vcpu_run(NULL, &msg) == -EINVAL, "mshv_vcpu_run(NULL): -EINVAL");
	return failures ? 1 : 0;
}

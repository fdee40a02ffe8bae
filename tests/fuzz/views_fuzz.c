/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Coverage-guided fuzzing (libFuzzer) of mshv.h's bindings layer: the
 * intercept-message views, the instruction-bytes accessor, the name
 * tables, the errno mappings and the x86 instruction decoder, on
 * arbitrary bytes. Built and run by tests/fuzz/libfuzzer.sh.
 *
 * What must hold for any input: no crash or sanitizer report; a view is
 * NULL or the message's own payload; instruction bytes lie inside the
 * message; a name is NULL or a short NUL-terminated string; a decoded
 * instruction is at most 15 bytes and no longer than what it was given.
 */
#define MSHV_IMPLEMENTATION
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mshv.h"

#define REQUIRE(c) ((c) ? (void)0 : abort())

static void name_ok(const char *s)
{
	if (s)
		REQUIRE(strnlen(s, 256) < 256);
}

static void view_ok(const struct hv_message *m, const void *view)
{
	REQUIRE(!view || view == (const void *)m->u.payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_message msg;
	const __u8 *bytes = NULL;
	struct mshv_x86_insn insn;
	unsigned int n, mode;
	__u32 word = 0;
	int e;

	memset(&msg, 0, sizeof(msg));
	memcpy(&msg, data, size < sizeof(msg) ? size : sizeof(msg));
	view_ok(&msg, mshv_msg_io_port(&msg));
	view_ok(&msg, mshv_msg_memory(&msg));
	view_ok(&msg, mshv_msg_gpa_attribute(&msg));
	view_ok(&msg, mshv_msg_cpuid(&msg));
	view_ok(&msg, mshv_msg_msr(&msg));
	view_ok(&msg, mshv_msg_exception(&msg));
	view_ok(&msg, mshv_msg_halt(&msg));
	view_ok(&msg, mshv_msg_apic_eoi(&msg));
	view_ok(&msg, mshv_msg_interruption_deliverable(&msg));
	view_ok(&msg, mshv_msg_sint_deliverable(&msg));
	view_ok(&msg, mshv_msg_sipi(&msg));
	view_ok(&msg, mshv_msg_hypercall(&msg));
	view_ok(&msg, mshv_msg_invalid_vp_register(&msg));
	view_ok(&msg, mshv_msg_unrecoverable_exception(&msg));
	view_ok(&msg, mshv_msg_unsupported_feature(&msg));
	view_ok(&msg, mshv_msg_vmgexit(&msg));
	view_ok(&msg, mshv_msg_opaque(&msg));
	n = mshv_msg_instruction_bytes(&msg, &bytes);
	REQUIRE(n <= 16);
	REQUIRE(!n || (bytes >= (const __u8 *)&msg && bytes + n <= (const __u8 *)(&msg + 1)));

	memcpy(&word, data, size < sizeof(word) ? size : sizeof(word));
	name_ok(mshv_hv_message_type_name(word));
	name_ok(mshv_hv_status_name(word & 0xffff));
	name_ok(mshv_hvcall_name(word & 0xffff));
	name_ok(mshv_hv_partition_property_name(word));
	name_ok(mshv_hv_intercept_type_name(word));
	name_ok(mshv_ioctl_name(word));
	name_ok(mshv_strerror((int)word));
	e = mshv_hv_status_to_errno((__u16)word);
	REQUIRE(e <= 0);
	e = mshv_hv_status_to_errno_legacy((__u16)word);
	REQUIRE(e <= 0);
	for (unsigned int k = 0; k < 8; k++)
		REQUIRE(mshv_hv_status_to_errno_kernel((__u16)word, k) <= 0);

	/* the decoder: the bytes after the first one, in the mode the first one picks */
	if (size >= 1) {
		static const unsigned int modes[] = { MSHV_X86_MODE_16, MSHV_X86_MODE_32, MSHV_X86_MODE_64, 0 };

		mode = modes[data[0] % 4]; /* 0: an invalid mode, refused */
		memset(&insn, 0, sizeof(insn));
		e = mshv_x86_decode(data + 1, size - 1 > 32 ? 32 : (unsigned int)(size - 1), mode, &insn);
		if (e >= 0) {
			REQUIRE(insn.length >= 1 && insn.length <= 15 && insn.length <= size - 1);
		}
	}
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The emulator tests' stand-in for the hypervisor: a memory intercept
 * message as it stops 64-bit code, built in the VMM's buffer.
 */
#ifndef MSHV_TEST_EMULATE_MESSAGE_H
#define MSHV_TEST_EMULATE_MESSAGE_H

#include <string.h>

#include "mshv.h"

/*
 * *msg = HVMSG_UNMAPPED_GPA of 64-bit code at rip, instruction bytes[0..n),
 * RFLAGS 0x202, the access (HV_INTERCEPT_ACCESS_*) at guest virtual and
 * physical address `address` (GVA valid).
 */
static inline void test_memory_message(struct hv_message *msg, __u64 rip, __u64 address, const __u8 *bytes,
				       unsigned int n, unsigned int access)
{
	struct hv_x64_memory_intercept_message mem;

	memset(msg, 0, sizeof(*msg));
	memset(&mem, 0, sizeof(mem));
	mem.header.intercept_access_type = (__u8)access;
	mem.header.execution_state.cr0_pe = 1;
	mem.header.execution_state.efer_lma = 1;
	mem.header.cs_segment._long = 1;
	mem.header.rip = rip;
	mem.header.rflags = 0x202;
	mem.memory_access_info.gva_valid = 1;
	mem.guest_virtual_address = address;
	mem.guest_physical_address = address;
	mem.instruction_byte_count = (__u8)n;
	memcpy(mem.instruction_bytes, bytes, n);
	msg->header.message_type = HVMSG_UNMAPPED_GPA;
	msg->header.payload_size = sizeof(mem);
	memcpy(msg->u.payload, &mem, sizeof(mem));
}

#endif

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * decode_io_intercept: the bindings layer on its own.
 *
 * MSHV_RUN_VP fills a struct mshv_run_vp with a struct hv_message. This
 * program lays out, byte for byte, the message the hypervisor sends when a
 * real-mode guest runs `out %al, (%dx)` with DX = 0x3f8 and AL = 'A', then
 * decodes it as a VMM's run loop does and prints what the guest did and
 * where it resumes. Runs anywhere: no /dev/mshv needed.
 */
#include <stdio.h>
#include <string.h>

#include "mshv.h"

/* What the hypervisor would write for the guest's OUT instruction. */
static void fake_out_intercept(struct mshv_run_vp *run)
{
	struct hv_message *msg = (struct hv_message *)run->msg_buf;
	struct hv_x64_io_port_intercept_message *io = (struct hv_x64_io_port_intercept_message *)msg->u.payload;

	memset(run, 0, sizeof(*run));
	msg->header.message_type = HVMSG_X64_IO_PORT_INTERCEPT;
	msg->header.payload_size = (uint8_t)sizeof(*io);
	io->header.vp_index = 0;
	io->header.instruction_length = 1;
	io->header.intercept_access_type = HV_INTERCEPT_ACCESS_WRITE;
	io->header.rip = 0x1000;
	io->header.rflags = 0x2;
	io->header.cs_segment.selector = 0;
	io->port_number = 0x3f8;
	io->access_info.access_size = 1;
	io->rax = 'A';
}

int main(void)
{
	struct mshv_run_vp run;
	const struct hv_message *msg;
	const struct hv_x64_io_port_intercept_message *io;

	fake_out_intercept(&run);
	msg = (const struct hv_message *)run.msg_buf;
	/* the view checks the type and the payload size: NULL for any other message */
	io = mshv_msg_io_port(msg);
	if (!io) {
		const char *name = mshv_hv_message_type_name(msg->header.message_type);
		fprintf(stderr, "unexpected message 0x%x (%s)\n", (unsigned)msg->header.message_type, name ? name : "unknown");
		return 1;
	}
	printf("message 0x%08x, payload %u bytes\n", (unsigned)msg->header.message_type,
	       (unsigned)msg->header.payload_size);
	printf("%s port 0x%x, %u byte(s), value 0x%02llx ('%c')\n",
	       io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE ? "OUT to" : "IN from",
	       (unsigned)io->port_number, (unsigned)io->access_info.access_size,
	       (unsigned long long)(io->rax & 0xff), (char)(io->rax & 0xff));
	printf("rip 0x%llx + %u -> resume at 0x%llx\n", (unsigned long long)io->header.rip,
	       (unsigned)io->header.instruction_length,
	       (unsigned long long)(io->header.rip + io->header.instruction_length));
	return 0;
}

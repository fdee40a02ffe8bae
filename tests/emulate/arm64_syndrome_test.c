/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * arm64's MMIO emulation: a memory intercept's data-abort syndrome decoded
 * (mshv_arm64_decode_data_abort), the loaded value extended as the CPU
 * extends it (mshv_arm64_mmio_load_value), and the completion helpers'
 * refusals, all before any system call (a VP handle with fd -1: a call
 * that got as far as the kernel would answer -EBADF).
 *
 * Syndromes as the architecture encodes them (ESR_ELx): EC [31:26] 0x24 or
 * 0x25, IL [25], ISV [24], SAS [23:22], SSE [21], SRT [20:16], SF [15],
 * AR [14], WnR [6]. Built for arm64 and run under qemu-aarch64 (suite
 * 'emulate').
 */
#define MSHV_IMPLEMENTATION
#include <stdio.h>
#include <string.h>

#include "mshv.h"
#include "../check.h"

/* A data abort from a lower EL with a valid ISS. */
static __u64 esr(unsigned int sas, unsigned int sse, unsigned int srt, unsigned int sf, unsigned int ar,
		 unsigned int wnr)
{
	return (0x24ull << 26) | (1ull << 25) | (1ull << 24) | ((__u64)sas << 22) | ((__u64)sse << 21) |
	       ((__u64)srt << 16) | ((__u64)sf << 15) | ((__u64)ar << 14) | ((__u64)wnr << 6);
}

static void message(struct hv_message *msg, __u64 syndrome)
{
	struct hv_arm64_memory_intercept_message mem;

	memset(msg, 0, sizeof(*msg));
	memset(&mem, 0, sizeof(mem));
	mem.header.pc = 0x80001000;
	mem.guest_physical_address = 0x10000000;
	mem.syndrome = syndrome;
	msg->header.message_type = HVMSG_UNMAPPED_GPA;
	msg->header.payload_size = sizeof(mem);
	memcpy(msg->u.payload, &mem, sizeof(mem));
}

int main(void)
{
	struct mshv_arm64_mmio_access a;
	struct mshv_vcpu vcpu;
	struct hv_message msg;
	__u64 value = 1;
	int ret;

	/* ldr w1, [x0] */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(2, 0, 1, 0, 0, 0), &a), 0);
	CHECK(a.size == 4 && a.reg == 1 && !a.sign_extend && !a.reg64 && !a.write && a.insn_length == 4);
	CHECK(mshv_arm64_mmio_load_value(&a, 0xffffffff80000000ull) == 0x80000000ull);
	/* ldrsb x3, [x0] */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(0, 1, 3, 1, 0, 0), &a), 0);
	CHECK(a.size == 1 && a.reg == 3 && a.sign_extend && a.reg64);
	CHECK(mshv_arm64_mmio_load_value(&a, 0x1280) == 0xffffffffffffff80ull);
	CHECK(mshv_arm64_mmio_load_value(&a, 0x7f) == 0x7f);
	/* ldrsh w2, [x0]: sign-extended to 32 bits, the upper half zero */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(1, 1, 2, 0, 0, 0), &a), 0);
	CHECK(mshv_arm64_mmio_load_value(&a, 0x8000) == 0xffff8000ull);
	/* ldrh w2: zero-extended */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(1, 0, 2, 0, 0, 0), &a), 0);
	CHECK(mshv_arm64_mmio_load_value(&a, 0x18000) == 0x8000);
	/* ldar x30, [x0] */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(3, 0, 30, 1, 1, 0), &a), 0);
	CHECK(a.size == 8 && a.reg == 30 && a.reg64 && a.acquire_release);
	CHECK(mshv_arm64_mmio_load_value(&a, 0x8877665544332211ull) == 0x8877665544332211ull);
	/* str x5, [x0]; data abort at the same EL (EC 0x25); a 16-bit T32 instruction (IL 0) */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(3, 0, 5, 1, 0, 1), &a), 0);
	CHECK(a.size == 8 && a.reg == 5 && a.write);
	CHECK_RET(mshv_arm64_decode_data_abort((esr(3, 0, 5, 1, 0, 1) & ~(0x3full << 26)) | (0x25ull << 26), &a), 0);
	CHECK_RET(mshv_arm64_decode_data_abort(esr(2, 0, 5, 0, 0, 0) & ~(1ull << 25), &a), 0);
	CHECK(a.insn_length == 2);
	/* refused: ISV clear (LDP, writeback...), not a data abort */
	CHECK_RET(mshv_arm64_decode_data_abort(esr(3, 0, 5, 1, 0, 0) & ~(1ull << 24), &a), -EOPNOTSUPP);
	CHECK_RET(mshv_arm64_decode_data_abort((0x20ull << 26) | (1ull << 24), &a), -EINVAL);
	CHECK_RET(mshv_arm64_decode_data_abort(0, &a), -EINVAL);

	/* the completion helpers: bad input before any system call */
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.fd = -1;
	CHECK_RET(mshv_vcpu_complete_mmio(&vcpu, NULL, 0, NULL), -EINVAL);
	message(&msg, esr(2, 0, 1, 0, 0, 0));
	msg.header.message_type = HVMSG_HYPERCALL_INTERCEPT;
	CHECK_RET(mshv_vcpu_complete_mmio(&vcpu, &msg, 0, NULL), -EINVAL);
	message(&msg, esr(2, 0, 1, 0, 0, 0) & ~(1ull << 24));
	CHECK_RET(mshv_vcpu_complete_mmio(&vcpu, &msg, 0, NULL), -EOPNOTSUPP);
	CHECK_RET(mshv_vcpu_mmio_store_value(&vcpu, &msg, &value, NULL), -EOPNOTSUPP);
	message(&msg, (0x15ull << 26) | (1ull << 24));
	CHECK_RET(mshv_vcpu_complete_mmio(&vcpu, &msg, 0, NULL), -EINVAL);
	/* a load has no store value; a store of WZR is 0 without asking the VP */
	message(&msg, esr(2, 0, 1, 0, 0, 0));
	CHECK_RET(mshv_vcpu_mmio_store_value(&vcpu, &msg, &value, NULL), -EINVAL);
	message(&msg, esr(2, 0, 31, 0, 0, 1));
	CHECK_RET(mshv_vcpu_mmio_store_value(&vcpu, &msg, &value, NULL), 0);
	CHECK(value == 0);
	/*
	 * valid input goes as far as the kernel: fd -1 answers -EBADF (under
	 * qemu-aarch64, which passes no ioctl it does not know: -ENOSYS)
	 */
	message(&msg, esr(2, 0, 1, 0, 0, 0));
	ret = mshv_vcpu_complete_mmio(&vcpu, &msg, 0x1234, NULL);
	CHECK(ret == -EBADF || ret == -ENOSYS);
	message(&msg, esr(3, 0, 7, 1, 0, 1));
	ret = mshv_vcpu_mmio_store_value(&vcpu, &msg, &value, NULL);
	CHECK(ret == -EBADF || ret == -ENOSYS);
	return CHECK_REPORT("emulate-arm64-syndrome");
}

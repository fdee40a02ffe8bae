/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: the guest's hypercalls (VMMCALL on the AMD model,
 * VMCALL on Intel, through the hypercall page hyperv.c writes). Those the
 * hypervisor serves itself: the TLB flushes of other VPs
 * (HvCallFlushVirtualAddressSpace/List and their Ex forms) and IPIs by VP
 * index (HvCallSendSyntheticClusterIpi and Ex), each while the partition
 * has its feature (tb_flush_hypercalls, synthetic_cluster_ipi,
 * extended_processor_masks for the Ex forms); those it leaves to the root
 * (HVMSG_HYPERCALL_INTERCEPT); and the statuses of the rest.
 *
 * Sources: the TLFS ("Hypercall Interface": the input value, fast calls,
 * rep and variable-size headers, the result value; "Virtual Processor
 * Management" and "Virtual MMU": the four flush calls, processor masks
 * and HV_VP_SET; "Virtual Interrupt Controller": the IPI calls), and what
 * a Linux 6.1 guest passes (arch/x86/hyperv/mmu.c, irqdomain.c, ipi in
 * hv_apic.c: memory inputs except the fast HvCallSendSyntheticClusterIpi).
 *
 * The simulator's choices where the TLFS leaves room:
 *
 *  - A flush flushes each target VP's whole TLB (more than an address
 *    list asks: always allowed) and returns once every target has done
 *    so or is not running guest code (it flushes before it does again).
 *    A target that does not answer within two seconds is not waited for
 *    further (the caller must never hang; a VP stuck that long runs no
 *    guest code that could use a stale entry anyway).
 *  - Input that cannot be read (not 8-byte aligned: HV_STATUS_INVALID_
 *    ALIGNMENT; crossing a page or outside RAM: HV_STATUS_INVALID_
 *    HYPERCALL_INPUT), a rep count on a simple call or a variable header
 *    on a call without one: HV_STATUS_INVALID_HYPERCALL_INPUT, as KVM's
 *    emulation answers. An IPI vector below 16: HV_STATUS_INVALID_PARAMETER.
 *    A fast call that needs more than the two registers (the XMM input
 *    the TLFS offers is not reported in CPUID): HV_STATUS_INVALID_HYPERCALL_INPUT.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "x86_cpu_internal.h"

#define HYPERCALL_ENABLE 0x1ull
#define HVCALL_FLUSH_VA_SPACE 0x0002
#define HVCALL_FLUSH_VA_LIST 0x0003
#define HVCALL_SEND_IPI 0x000b
#define HVCALL_FLUSH_VA_SPACE_EX 0x0013
#define HVCALL_FLUSH_VA_LIST_EX 0x0014
#define HVCALL_SEND_IPI_EX 0x0015
#define HVCALL_GET_PARTITION_ID_CODE 0x0046
#define HVCALL_POST_MESSAGE_CODE 0x005c
#define HVCALL_SIGNAL_EVENT_CODE 0x005d
#define HVCALL_RETARGET_INTERRUPT_CODE 0x007e
#define HV_FLUSH_ALL_PROCESSORS 0x1ull
#define HV_GENERIC_SET_SPARSE_4K 0
#define HV_GENERIC_SET_ALL 1
#define MAX_BANKS ((SIM_HV_MAX_VPS + 63) / 64)

void sim_x86_vcpu_set_vp_set_handler(struct sim_x86_vcpu *vp, sim_vp_set_fn *fn, void *opaque)
{
	vp->vp_set_fn = fn;
	vp->vp_set_opaque = opaque;
}

/* One guest hypercall's input, decoded from the input value and registers. */
struct hcall {
	uint16_t code;
	bool fast;
	unsigned varhead; /* variable header size, 8-byte units */
	unsigned reps, rep_start;
	uint64_t in_gpa, out_gpa; /* or, for a fast call, its two input registers */
};

/* Input bytes [off, off + n) of a call: from the input page, or the two registers of a fast call. */
static uint16_t read_input(struct sim_x86_vcpu *vp, const struct hcall *h, size_t off, void *buf, size_t n)
{
	if (h->fast) {
		uint64_t in[2] = { h->in_gpa, h->out_gpa };
		if (off + n > sizeof(in))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		memcpy(buf, (uint8_t *)in + off, n);
		return HV_STATUS_SUCCESS;
	}
	if (h->in_gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if ((h->in_gpa & 0xfff) + off + n > PAGE_SIZE_4K)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	const struct sim_mem_slot *s = sim_x86__find_slot(vp, h->in_gpa);
	if (!s || s->size - (h->in_gpa - s->gpa) < off + n)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memcpy(buf, (const uint8_t *)s->host + (h->in_gpa - s->gpa) + off, n);
	return HV_STATUS_SUCCESS;
}

/*
 * A processor set at offset off of the input: a 64-bit mask of VPs 0-63
 * (ex false), or an HV_VP_SET (format, valid_bank_mask, then one 64-bit
 * bank per bit of the mask, in the variable header). *all: every VP.
 */
static uint16_t read_vp_set(struct sim_x86_vcpu *vp, const struct hcall *h, size_t off, bool ex, uint64_t *banks,
			    unsigned *nbanks, bool *all)
{
	uint64_t hdr[2], valid;
	uint16_t st;
	unsigned n = 0;

	memset(banks, 0, MAX_BANKS * sizeof(*banks));
	*all = false;
	if (!ex) {
		*nbanks = 1;
		return read_input(vp, h, off, &banks[0], 8);
	}
	if ((st = read_input(vp, h, off, hdr, sizeof(hdr))) != HV_STATUS_SUCCESS)
		return st;
	if (hdr[0] == HV_GENERIC_SET_ALL) {
		*all = true;
		*nbanks = 0;
		return HV_STATUS_SUCCESS;
	}
	if (hdr[0] != HV_GENERIC_SET_SPARSE_4K)
		return HV_STATUS_INVALID_PARAMETER;
	valid = hdr[1];
	if ((unsigned)__builtin_popcountll(valid) != h->varhead)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	for (unsigned b = 0; b < 64; b++) {
		uint64_t bank;
		if (!((valid >> b) & 1))
			continue;
		if ((st = read_input(vp, h, off + sizeof(hdr) + 8 * n++, &bank, 8)) != HV_STATUS_SUCCESS)
			return st;
		if (b < MAX_BANKS)
			banks[b] = bank; /* VPs past the partition's limit: none to reach */
	}
	*nbanks = MAX_BANKS;
	return HV_STATUS_SUCCESS;
}

/* This VP's TLB, when other VPs asked for a flush (run thread: before guest code runs, at block starts). */
void sim_x86__tlb_flush_requests(struct sim_x86_vcpu *vp)
{
	uint32_t req = atomic_load(&vp->tlb_flush_req);

	if (req != atomic_load(&vp->tlb_flush_done)) {
		sim_x86__tlb_flush(vp);
		atomic_store(&vp->tlb_flush_done, req);
	}
}

/* Flush the TLB of every VP in the set and wait as the file's comment says. */
static void flush_vps(struct sim_x86_vcpu *vp, const uint64_t *banks, unsigned nbanks, bool all)
{
	struct sim_x86_vcpu *set[SIM_HV_MAX_VPS];
	uint32_t want[SIM_HV_MAX_VPS];
	size_t n = vp->vp_set_fn ? vp->vp_set_fn(vp->vp_set_opaque, banks, nbanks, all, set, SIM_HV_MAX_VPS) : 0;
	uint64_t give_up = sim_x86__now_ns() + 2000000000ull;

	for (size_t i = 0; i < n; i++) {
		if (set[i] == vp) {
			sim_x86__tlb_flush(vp);
			continue;
		}
		want[i] = atomic_fetch_add(&set[i]->tlb_flush_req, 1) + 1;
		if (atomic_load(&set[i]->in_guest))
			sim_x86__cpu_exit(set[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (set[i] == vp)
			continue;
		while ((int32_t)(atomic_load(&set[i]->tlb_flush_done) - want[i]) < 0 &&
		       atomic_load(&set[i]->in_guest) && sim_x86__now_ns() < give_up) {
			sim_x86__tlb_flush_requests(vp); /* one waiting for us while we wait for it */
			sched_yield();
		}
	}
}

/* Assert fixed interrupt vector on every VP in the set. */
static void ipi_vps(struct sim_x86_vcpu *vp, const uint64_t *banks, unsigned nbanks, bool all, uint32_t vector)
{
	struct sim_x86_vcpu *set[SIM_HV_MAX_VPS];
	size_t n = vp->vp_set_fn ? vp->vp_set_fn(vp->vp_set_opaque, banks, nbanks, all, set, SIM_HV_MAX_VPS) : 0;

	for (size_t i = 0; i < n; i++)
		sim_x86_vcpu_assert_interrupt(set[i], HV_X64_INTERRUPT_TYPE_FIXED, vector, false);
}

/*
 * The calls the hypervisor serves: the status, *reps_done the reps
 * completed. Returns -1 for a call it does not serve.
 */
static int served(struct sim_x86_vcpu *vp, const struct hcall *h, uint16_t *status, unsigned *reps_done)
{
	uint64_t banks[MAX_BANKS], hdr[2];
	unsigned nbanks;
	bool all, ex = h->code == HVCALL_FLUSH_VA_SPACE_EX || h->code == HVCALL_FLUSH_VA_LIST_EX ||
		       h->code == HVCALL_SEND_IPI_EX;
	bool list = h->code == HVCALL_FLUSH_VA_LIST || h->code == HVCALL_FLUSH_VA_LIST_EX;

	*reps_done = 0;
	switch (h->code) {
	case HVCALL_FLUSH_VA_SPACE:
	case HVCALL_FLUSH_VA_LIST:
	case HVCALL_FLUSH_VA_SPACE_EX:
	case HVCALL_FLUSH_VA_LIST_EX:
		if (!sim_x86__hv_feature(vp, HV_FEAT_TB_FLUSH) || (ex && !sim_x86__hv_feature(vp, HV_FEAT_EXT_PROCESSOR_MASKS)))
			return -1;
		if ((!list && h->reps) || (!ex && h->varhead)) {
			*status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			return 0;
		}
		/* address space, flags, then the processor mask or set */
		if ((*status = read_input(vp, h, 0, hdr, sizeof(hdr))) != HV_STATUS_SUCCESS ||
		    (*status = read_vp_set(vp, h, 16, ex, banks, &nbanks, &all)) != HV_STATUS_SUCCESS)
			return 0;
		flush_vps(vp, banks, nbanks, all || (hdr[1] & HV_FLUSH_ALL_PROCESSORS));
		*reps_done = list ? h->reps : 0;
		return 0;
	case HVCALL_SEND_IPI:
	case HVCALL_SEND_IPI_EX: {
		uint32_t vector;
		if (!sim_x86__hv_feature(vp, HV_FEAT_CLUSTER_IPI) || (ex && !sim_x86__hv_feature(vp, HV_FEAT_EXT_PROCESSOR_MASKS)))
			return -1;
		if (h->reps || (!ex && h->varhead)) {
			*status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			return 0;
		}
		/* vector, reserved, then the processor mask or set */
		if ((*status = read_input(vp, h, 0, &vector, 4)) != HV_STATUS_SUCCESS ||
		    (*status = read_vp_set(vp, h, 8, ex, banks, &nbanks, &all)) != HV_STATUS_SUCCESS)
			return 0;
		if (vector < 16 || vector > 255) {
			*status = HV_STATUS_INVALID_PARAMETER;
			return 0;
		}
		ipi_vps(vp, banks, nbanks, all, vector);
		return 0;
	}
	}
	return -1;
}

/*
 * The status of a guest hypercall the hypervisor does not serve (served):
 * a call the TLFS ties to a partition privilege that CPUID 0x40000003 EBX
 * does not grant is HV_STATUS_ACCESS_DENIED, as the TLFS lists for each of
 * them: the partition management calls
 * (CreatePartitions, 0x40-0x45), HvCallGetPartitionId (AccessPartitionId),
 * the memory pool calls (AccessMemoryPool: deposit, withdraw, balance,
 * 0x48-0x4a). HvCallPostMessage and HvCallSignalEvent (PostMessages and
 * SignalEvents are granted, EBX 0x30: cpuid.c) name a connection, and the
 * hypervisor knows none (ports are not modelled):
 * HV_STATUS_INVALID_CONNECTION_ID, unless the root takes them
 * (hypercall_forwarded). Every other code is
 * HV_STATUS_INVALID_HYPERCALL_CODE. A Linux 6.1 guest makes no call but
 * the served ones while it boots: spinlock notification is not
 * recommended (0x40000004), extended hypercalls (HvExtCallQueryCapabilities)
 * and the partition id are not granted, and without a VMBus device it
 * neither posts messages nor signals events (its SynIC only takes the
 * synthetic timer's interrupts).
 */
static uint16_t hypercall_status(uint16_t code)
{
	if ((code >= 0x40 && code <= 0x45) || code == HVCALL_GET_PARTITION_ID_CODE || (code >= 0x48 && code <= 0x4a))
		return HV_STATUS_ACCESS_DENIED;
	if (code == HVCALL_POST_MESSAGE_CODE || code == HVCALL_SIGNAL_EVENT_CODE)
		return HV_STATUS_INVALID_CONNECTION_ID;
	return HV_STATUS_INVALID_HYPERCALL_CODE;
}

/*
 * Whether the root takes the guest hypercall `code`: HvCallPostMessage and
 * HvCallSignalEvent to a connection the hypervisor does not know (every
 * one) when the root installed HvInterceptTypeUnknownSynicConnection, and
 * HvCallRetargetDeviceInterrupt for a device it does not know (every one)
 * with HvInterceptTypeRetargetInterruptWithUnknownDeviceId (the
 * hypervisor layer's install_intercept names both). The VP then stops at
 * the instruction with HVMSG_HYPERCALL_INTERCEPT (RAX, RBX, RCX, RDX, R8,
 * RSI, RDI, XMM0-5, instruction length 3); the root writes the result to
 * RAX and moves RIP past it, as openvmm's virt_mshv does for these three
 * calls. HV_INTERCEPT_TYPE_HYPERCALL itself, which openvmm installs with
 * them, forwards no call the simulator knows of: the simulator's choice,
 * since the sources do not say what it adds.
 */
static bool hypercall_forwarded(struct sim_x86_vcpu *vp, uint16_t code)
{
	bool fwd = false;

	pthread_mutex_lock(&vp->icpt_lock);
	if (code == HVCALL_POST_MESSAGE_CODE || code == HVCALL_SIGNAL_EVENT_CODE)
		fwd = vp->icpt.unknown_synic_connection;
	else if (code == HVCALL_RETARGET_INTERRUPT_CODE)
		fwd = vp->icpt.unknown_device_retarget;
	pthread_mutex_unlock(&vp->icpt_lock);
	return fwd;
}

/*
 * VMMCALL (AMD) or VMCALL (Intel) at RIP, the #UD QEMU raised for it
 * (unicorn_hooks.c, sim_x86__hook_invalid; QEMU has no SVM/VMX for the
 * guest). Returns false when it stays a #UD: another instruction, the
 * other vendor's, the hypercall page not enabled, real or virtual-8086
 * mode, CPL > 0 (TLFS "Valid Hypercall Environments": #UD). Otherwise the
 * hypercall completes: 64-bit mode takes the input value in RCX (input
 * and output GPAs in RDX and R8, unused here) and returns the result in
 * RAX; other modes take EDX:EAX (EBX:ECX, EDI:ESI) and return it in
 * EDX:EAX. The result: status in bits 15:0, reps completed in 43:32.
 * RIP moves past the instruction. A call from outside the hypercall page
 * is served too (the TLFS does not promise a #UD for it).
 */
bool sim_x86__hypercall(struct sim_x86_vcpu *vp)
{
	uint8_t b[3];
	uint64_t *r = regs(vp), input, result;
	struct hcall h;
	uint16_t status;
	unsigned reps_done = 0;

	if (sim_x86__read_linear(vp, sim_x86__cur_rip_linear(vp), b, 3) != 3 || b[0] != 0x0f || b[1] != 0x01 ||
	    b[2] != (sim_x86__vendor_intel(vp) ? 0xc1 : 0xd9))
		return false;
	if (!(sim_x86__hv_hypercall_msr(vp) & HYPERCALL_ENABLE) || !(cr(vp, 0) & CR0_PE) || (*vp->rflags & RFLAGS_VM) ||
	    sim_x86__cpl(vp) != 0)
		return false;
	if (sim_x86__cs64(vp)) {
		input = r[1];
		h.in_gpa = r[2];
		h.out_gpa = r[8];
	} else {
		input = (uint32_t)r[0] | (r[2] << 32);
		h.in_gpa = (uint32_t)r[1] | ((uint64_t)(uint32_t)r[3] << 32);
		h.out_gpa = (uint32_t)r[6] | ((uint64_t)(uint32_t)r[7] << 32);
	}
	h.code = (uint16_t)input;
	h.fast = (input >> 16) & 1;
	h.varhead = (unsigned)(input >> 17) & 0x3ff;
	h.reps = (unsigned)(input >> 32) & 0xfff;
	h.rep_start = (unsigned)(input >> 48) & 0xfff;
	if (hypercall_forwarded(vp, h.code)) {
		vp->ex.kind = EXIT_HYPERCALL; /* RIP stays at the instruction */
		return true;
	}
	if (served(vp, &h, &status, &reps_done) < 0)
		status = hypercall_status(h.code);
	result = status | ((uint64_t)reps_done << 32);
	if (sim_x86__cs64(vp)) {
		r[0] = result;
	} else {
		r[0] = (uint32_t)result;
		r[2] = result >> 32;
	}
	*vp->rip += 3;
	return true;
}

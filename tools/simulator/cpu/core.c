/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: a VP's life. Creation (a unicorn instance per VP,
 * its hooks, the reset state) and destruction, the run loop that enters
 * the guest until the VP reaches an intercept point and builds the
 * hypervisor's message for it, kicks, and waiting for one. How the VP
 * stops at those points is described in unicorn_hooks.c.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "x86_cpu_internal.h"

/* ---------------------------------------------------------------------
 * Creation and destruction
 * --------------------------------------------------------------------- */
/* MSHV_SIM_DEBUG_CODE=1: trace every guest instruction (slow; debugging only) */
static void hook_code_debug(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct sim_x86_vcpu *vp = user;
	uint64_t gpa = 0;
	(void)uc;
	sim_x86__walk(vp, address, ACC_READ, false, false, false, &gpa);
	fprintf(stderr, "mshv-sim: vp %u: exec 0x%llx (gpa 0x%llx, %u bytes) rax 0x%llx\n", vp->vp_index,
		(unsigned long long)address, (unsigned long long)gpa, size, (unsigned long long)regs(vp)[0]);
}

int sim_x86_vcpu_create(struct sim_x86_vcpu **out, uint32_t vp_index)
{
	if (!sim_x86__resolve_originals())
		return -ENOSYS;
	struct sim_x86_vcpu *vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	pthread_mutex_init(&vp->track_lock, NULL);
	pthread_mutex_init(&vp->icpt_lock, NULL);
	pthread_mutex_init(&vp->synic_lock, NULL);
	pthread_mutex_init(&vp->own_pmsr.lock, NULL);
	vp->pmsr = &vp->own_pmsr;
	sim_x86__code_fault_handler_install();
	vp->vp_index = vp_index;
	for (int i = 0; i < 16; i++)
		vp->sint[i] = 1ull << 16; /* the SynIC's SINTx start masked (TLFS) */
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &vp->uc) != UC_ERR_OK) {
		free(vp);
		return -ENOMEM;
	}
	if (!sim_x86__engine_attach(vp))
		goto fail;
	{
		/* MAXPHYADDR as the guest reads it; the bits above it, up to 51, are reserved in PTEs */
		uint32_t a, b, c, d;
		sim_x86__engine_cpuid(vp, 0x80000008u, 0, &a, &b, &c, &d);
		unsigned bits = a & 0xff;
		vp->pa_rsvd = bits >= 52 ? 0 : 0x000fffffffffffffull & ~((1ull << bits) - 1);
	}
	/*
	 * An empty exit set: without it every uc_emu_start registers `until` as
	 * an exit and afterwards invalidates the translation at until - 1,
	 * translating that linear address with the guest's paging (a page
	 * fault outside the CPU loop when it is not mapped).
	 */
	if (uc_ctl(vp->uc, UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), 1) != UC_ERR_OK)
		goto fail;
	if (uc_hook_add(vp->uc, &vp->hooks[0], UC_HOOK_INTR, (void *)sim_x86__hook_intr, vp, 1, 0) ||
	    uc_hook_add(vp->uc, &vp->hooks[1], UC_HOOK_INSN_INVALID, (void *)sim_x86__hook_invalid, vp, 1, 0) ||
	    uc_hook_add(vp->uc, &vp->hooks[2], UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_FETCH_PROT,
			(void *)sim_x86__hook_fetch_bad, vp, 1, 0) ||
	    uc_hook_add(vp->uc, &vp->hooks[3],
			UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_READ_PROT |
				UC_HOOK_MEM_WRITE_PROT,
			(void *)sim_x86__hook_data_bad, vp, 1, 0))
		goto fail;
	if (getenv("MSHV_SIM_DEBUG_CODE")) {
		uc_hook h;
		uc_hook_add(vp->uc, &h, UC_HOOK_CODE, (void *)hook_code_debug, vp, 1, 0);
	}
	sim_x86__reset_state(vp);
	/*
	 * Every VP but the BSP starts in the startup-suspend state: it waits
	 * for an INIT-SIPI from the guest (apic.c) or for the VMM to clear
	 * HV_REGISTER_INTERNAL_ACTIVITY_STATE.
	 */
	atomic_store(&vp->sipi_vector, -1);
	atomic_store(&vp->extint_vector, -1);
	atomic_store(&vp->wait_sipi, vp_index != 0);
	sim_x86__code_watchers(vp, true);
	*out = vp;
	return 0;
fail:
	uc_close(vp->uc);
	free(vp);
	return -ENOSYS;
}

void sim_x86_vcpu_destroy(struct sim_x86_vcpu *vp)
{
	if (!vp)
		return;
	sim_x86__apic_timer_stop(vp);
	sim_x86__code_watchers(vp, false);
	/*
	 * unicorn's uc_close frees the page descriptors but not the bitmaps its
	 * self-modifying-code tracking hangs on them (a guest writing a page it
	 * runs code from); a flush frees those first.
	 */
	sim_x86__tb_flush(vp);
	uc_close(vp->uc);
	free(vp->slots);
	free(vp->doorbells);
	pthread_mutex_destroy(&vp->track_lock);
	pthread_mutex_destroy(&vp->icpt_lock);
	pthread_mutex_destroy(&vp->synic_lock);
	pthread_mutex_destroy(&vp->own_pmsr.lock);
	free(vp);
}

void sim_x86_vcpu_set_intercepts(struct sim_x86_vcpu *vp, const struct sim_x86_intercepts *icpt)
{
	pthread_mutex_lock(&vp->icpt_lock);
	vp->icpt = *icpt;
	pthread_mutex_unlock(&vp->icpt_lock);
}

bool sim_x86__intercepted_exception(struct sim_x86_vcpu *vp, unsigned vector)
{
	bool on;

	pthread_mutex_lock(&vp->icpt_lock);
	on = vector < 32 && (vp->icpt.exception_bitmap & (1u << vector));
	pthread_mutex_unlock(&vp->icpt_lock);
	return on;
}

/* ---------------------------------------------------------------------
 * Intercept messages
 * --------------------------------------------------------------------- */
static void fill_header(struct sim_x86_vcpu *vp, struct hv_x64_intercept_message_header *h, uint8_t access,
			unsigned ilen)
{
	memset(h, 0, sizeof(*h));
	h->vp_index = vp->vp_index;
	h->instruction_length = ilen & 0xf;
	h->cr8 = (vp->apic[APIC_TPR] >> 4) & 0xf;
	h->intercept_access_type = access;
	h->execution_state.cpl = sim_x86__cpl(vp);
	h->execution_state.cr0_pe = (cr(vp, 0) & CR0_PE) != 0;
	h->execution_state.cr0_am = (cr(vp, 0) & CR0_AM) != 0;
	h->execution_state.efer_lma = (*vp->efer & EFER_LMA) != 0;
	h->execution_state.debug_active = (vp->dr[7] & 0xff) != 0;
	h->execution_state.interrupt_shadow = sim_x86__interrupt_shadow(vp);
	sim_x86__get_segment(vp, S_CS, &h->cs_segment);
	h->rip = *vp->rip;
	h->rflags = *vp->rflags;
}

/* length of an IN/OUT/INS/OUTS instruction: prefixes, opcode, imm8 for E4-E7 */
static unsigned io_insn_decode(struct sim_x86_vcpu *vp, const uint8_t *b, size_t n, bool *rep, uint8_t *op)
{
	bool long64 = sim_x86__cs64(vp);
	size_t i = 0;
	*rep = false;
	while (i < n && i < 14) {
		uint8_t c = b[i];
		if (c == 0xf3 || c == 0xf2)
			*rep = true;
		else if (!(c == 0x66 || c == 0x67 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 ||
			   c == 0x65 || c == 0xf0 || (long64 && (c & 0xf0) == 0x40)))
			break;
		i++;
	}
	*op = i < n ? b[i] : 0;
	if (*op >= 0xe4 && *op <= 0xe7)
		return (unsigned)i + 2;
	return (unsigned)i + 1;
}

static void build_message(struct sim_x86_vcpu *vp, struct hv_message *msg)
{
	uint64_t *r = regs(vp);
	memset(&msg->header, 0, sizeof(msg->header));
	switch (vp->ex.kind) {
	case EXIT_IO: {
		struct hv_x64_io_port_intercept_message *m = (void *)msg->u.payload;
		uint8_t b[16];
		size_t n = sim_x86__read_linear(vp, sim_x86__cur_rip_linear(vp), b, sizeof(b));
		bool rep;
		uint8_t op;
		unsigned ilen = io_insn_decode(vp, b, n, &rep, &op);
		bool string = op >= 0x6c && op <= 0x6f;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, vp->ex.in ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE, ilen);
		m->port_number = vp->ex.port;
		m->access_info.access_size = vp->ex.size;
		m->access_info.string_op = string;
		m->access_info.rep_prefix = string && rep;
		m->instruction_byte_count = (uint8_t)n;
		memcpy(m->instruction_bytes, b, n);
		m->rax = r[0];
		sim_x86__get_segment(vp, S_DS, &m->ds_segment);
		sim_x86__get_segment(vp, S_ES, &m->es_segment);
		m->rcx = r[1];
		m->rsi = r[6];
		m->rdi = r[7];
		msg->header.message_type = HVMSG_X64_IO_PORT_INTERCEPT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_MEM: {
		/*
		 * header.instruction_length stays 0, as from the hypervisor: it
		 * reports 0 when it does not know the length and guarantees it
		 * only for CPUID, port IO and MSR intercepts (WDK
		 * HV_X64_INTERCEPT_MESSAGE_HEADER). The hardware does not know it
		 * either: Intel defines the VM-exit instruction length of an EPT
		 * violation only when it happens while delivering a software
		 * interrupt or exception, and AMD zeroes nRIP on a nested page
		 * fault. What the message carries instead is the instruction's
		 * bytes and their count (AMD's decode assists), and every consumer
		 * decodes those: Cloud Hypervisor and QEMU (target/i386/mshv)
		 * emulate instruction_bytes[0..instruction_byte_count), openvmm's
		 * virt_mshv hands them to its x86 emulator, and openvmm's WHP-based
		 * stand-in for the hypervisor (virt_whp) sends these messages with
		 * a length of 0.
		 */
		struct hv_x64_memory_intercept_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, vp->ex.access, 0);
		m->cache_type = vp->ex.msg_type == HVMSG_UNMAPPED_GPA ? 0 /* UC */ : 6 /* WB */;
		m->instruction_byte_count = (uint8_t)sim_x86__read_linear(vp, sim_x86__cur_rip_linear(vp),
									    m->instruction_bytes,
									    sizeof(m->instruction_bytes));
		m->memory_access_info.gva_valid = vp->ex.gva_valid;
		m->memory_access_info.gva_gpa_valid = vp->ex.gva_valid;
		m->tpr_priority = (uint8_t)(vp->apic[APIC_TPR] >> 4);
		m->guest_virtual_address = vp->ex.gva;
		m->guest_physical_address = vp->ex.gpa;
		msg->header.message_type = vp->ex.msg_type;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_CPUID: {
		struct hv_x64_cpuid_intercept_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, 2);
		m->rax = r[0];
		m->rcx = r[1];
		m->rdx = r[2];
		m->rbx = r[3];
		m->default_result_rax = vp->ex.def[0];
		m->default_result_rbx = vp->ex.def[1];
		m->default_result_rcx = vp->ex.def[2];
		m->default_result_rdx = vp->ex.def[3];
		msg->header.message_type = HVMSG_X64_CPUID_INTERCEPT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_MSR: {
		struct hv_x64_msr_intercept_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, vp->ex.msr_write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ, 2);
		m->msr_number = vp->ex.msr;
		m->rdx = r[2];
		m->rax = r[0];
		msg->header.message_type = HVMSG_X64_MSR_INTERCEPT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_EXCEPTION: {
		struct hv_x64_exception_intercept_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, vp->ex.soft ? 1 : 0);
		m->exception_vector = vp->ex.vector;
		m->exception_info.error_code_valid = vp->ex.ec_valid;
		m->exception_info.software_exception = vp->ex.soft;
		m->instruction_byte_count = (uint8_t)sim_x86__read_linear(vp, sim_x86__cur_rip_linear(vp),
									    m->instruction_bytes,
									    sizeof(m->instruction_bytes));
		m->error_code = vp->ex.ec_valid ? vp->ex.error_code : 0;
		m->exception_parameter = vp->ex.param;
		sim_x86__get_segment(vp, S_DS, &m->ds_segment);
		sim_x86__get_segment(vp, S_SS, &m->ss_segment);
		m->rax = r[0];
		m->rcx = r[1];
		m->rdx = r[2];
		m->rbx = r[3];
		m->rsp = r[4];
		m->rbp = r[5];
		m->rsi = r[6];
		m->rdi = r[7];
		m->r8 = r[8];
		m->r9 = r[9];
		m->r10 = r[10];
		m->r11 = r[11];
		m->r12 = r[12];
		m->r13 = r[13];
		m->r14 = r[14];
		m->r15 = r[15];
		msg->header.message_type = HVMSG_X64_EXCEPTION_INTERCEPT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_HALT: {
		struct hv_x64_halt_message *m = (void *)msg->u.payload;
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, 1);
		msg->header.message_type = HVMSG_X64_HALT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_EOI: {
		struct hv_x64_apic_eoi_message *m = (void *)msg->u.payload;
		m->vp_index = vp->vp_index;
		m->interrupt_vector = vp->ex.vector;
		msg->header.message_type = HVMSG_X64_APIC_EOI;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_SINT_DELIVERABLE: {
		struct hv_x64_sint_deliverable_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, 0);
		m->deliverable_sints = (uint16_t)vp->ex.param;
		msg->header.message_type = HVMSG_SYNIC_SINT_DELIVERABLE;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_HYPERCALL: {
		/* the VP stays at the VMMCALL/VMCALL: the root sets RAX (the result) and moves RIP past it */
		struct hv_x64_hypercall_intercept_message *m = (void *)msg->u.payload;
		memset(m, 0, sizeof(*m));
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, 3);
		m->rax = r[0];
		m->rbx = r[3];
		m->rcx = r[1];
		m->rdx = r[2];
		m->r8 = r[8];
		m->rsi = r[6];
		m->rdi = r[7];
		for (int i = 0; i < 6; i++)
			memcpy(&m->xmmregisters[i], vp->xmm + 64 * i, 16);
		msg->header.message_type = HVMSG_HYPERCALL_INTERCEPT;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	case EXIT_TRIPLE:
	default: {
		struct hv_x64_unrecoverable_exception_message *m = (void *)msg->u.payload;
		fill_header(vp, &m->header, HV_INTERCEPT_ACCESS_EXECUTE, 0);
		msg->header.message_type = HVMSG_UNRECOVERABLE_EXCEPTION;
		msg->header.payload_size = sizeof(*m);
		break;
	}
	}
}

/* ---------------------------------------------------------------------
 * Running, kicks
 * --------------------------------------------------------------------- */
static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

/* Wait while *w is val, at most until deadline_ns on CLOCK_MONOTONIC (0: no limit). */
void sim_x86__futex_wait_until(_Atomic uint32_t *w, uint32_t val, uint64_t deadline_ns)
{
	if (!deadline_ns) {
		futex_wait(w, val);
		return;
	}
	struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000ull),
			      .tv_nsec = (long)(deadline_ns % 1000000000ull)};
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_BITSET_PRIVATE, val, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

SIM_SIGNAL_SAFE void sim_x86__futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

int sim_x86_vcpu_run(struct sim_x86_vcpu *vp, struct hv_message *msg, struct hv_vp_register_page *rp)
{
	int ret = 0;
	if (rp)
		sim_x86_vcpu_load_register_page(vp, rp);

	struct sim_x86_vcpu *saved = sim_x86__enter(vp);
	atomic_store(&vp->running, true);
	if (atomic_load(&vp->track_changed))
		sim_x86__track_apply(vp);
	for (;;) {
		/*
		 * Code this VP had translated was written (by the VMM, or by
		 * another VP: cross-modifying code, as Linux's text patching
		 * does while the other CPUs run): its translations go before it
		 * runs on. A write while it runs stops it between blocks
		 * (code_pages.c kicks the running VPs; x86_cpu_exec_enter).
		 */
		sim_x86__code_catch_up(vp);
		if (atomic_exchange(&vp->kick, 0)) {
			ret = -EINTR;
			break;
		}
		if (sim_x86__synic_deliverable(vp)) { /* a SINT the root waits on can take a message (synic.c) */
			build_message(vp, msg);
			break;
		}
		{
			/* an AP waiting for a SIPI sleeps until an INIT or SIPI arrives (apic.c) */
			uint32_t w = atomic_load(&vp->wake);
			if (sim_x86__apic_init_sipi(vp)) {
				if (!atomic_load(&vp->kick))
					futex_wait(&vp->wake, w);
				continue;
			}
		}
		if (vp->halted) {
			uint32_t w = atomic_load(&vp->wake);
			if (!sim_x86__can_take_interrupt(vp)) {
				if (atomic_load(&vp->kick))
					continue;
				/* until an interrupt is asserted, or the APIC timer's next expiry */
				sim_x86__futex_wait_until(&vp->wake, w, sim_x86__apic_next_deadline(vp));
				atomic_store(&vp->timer_due, true); /* look at the timer again */
				continue;
			}
			vp->halted = false;
		}
		vp->ex.kind = EXIT_NONE;
		vp->deliver = DELIVER_NONE;
		vp->fault_page_armed = false;
		vp->in_run = true;
		atomic_store(&vp->in_guest, true);
		sim_x86__tlb_flush_requests(vp); /* after in_guest: a flush asked before waits for us, or is seen here */
		uc_err err = uc_emu_start(vp->uc, *vp->rip, 0, 0, 0);
		atomic_store(&vp->in_guest, false);
		vp->in_run = false;
		if (vp->ex.kind != EXIT_NONE) {
			build_message(vp, msg);
			break;
		}
		if (err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_READ_PROT ||
		    err == UC_ERR_WRITE_PROT || err == UC_ERR_MAP) {
			/* unicorn refused an access that neither mem_access nor hook_data_bad saw
			 * (not expected): report it at the current RIP, address unknown */
			vp->ex.kind = EXIT_MEM;
			vp->ex.msg_type = HVMSG_UNMAPPED_GPA;
			vp->ex.access = (err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_WRITE_PROT)
						? HV_INTERCEPT_ACCESS_WRITE
						: HV_INTERCEPT_ACCESS_READ;
			vp->ex.gva_valid = false;
			vp->ex.gva = vp->ex.gpa = 0;
			build_message(vp, msg);
			break;
		}
		if (err != UC_ERR_OK && err != UC_ERR_FETCH_UNMAPPED && err != UC_ERR_FETCH_PROT &&
		    err != UC_ERR_INSN_INVALID) {
			if (getenv("MSHV_SIM_DEBUG"))
				fprintf(stderr, "mshv-sim: vp %u: unicorn stopped with %s at rip 0x%llx\n", vp->vp_index,
					uc_strerror(err), (unsigned long long)*vp->rip);
			vp->ex.kind = EXIT_TRIPLE;
			build_message(vp, msg);
			break;
		}
		/* stopped for no intercept (kick, #UD delivered, interrupt window): go on */
	}
	atomic_store(&vp->running, false);
	sim_x86__leave(saved);
	if (rp)
		sim_x86_vcpu_store_register_page(vp, rp);
	return ret;
}

int sim_x86_vcpu_wait_kick(struct sim_x86_vcpu *vp)
{
	for (;;) {
		uint32_t w = atomic_load(&vp->wake);

		if (atomic_exchange(&vp->kick, 0))
			return -EINTR;
		futex_wait(&vp->wake, w);
	}
}

SIM_SIGNAL_SAFE void sim_x86_vcpu_kick(struct sim_x86_vcpu *vp)
{
	atomic_store(&vp->kick, 1);
	atomic_fetch_add(&vp->wake, 1);
	if (atomic_load(&vp->running))
		sim_x86__cpu_exit(vp);
	sim_x86__futex_wake(&vp->wake);
}

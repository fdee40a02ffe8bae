/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: guest memory. The VMM's slots (mapped into unicorn
 * with their permissions), the page walk of the VP's paging mode, what
 * becomes of a guest data access (RAM, the local APIC page, a doorbell,
 * or an intercept), the backstop for accesses unicorn refuses without
 * asking, HVCALL_TRANSLATE_VIRTUAL_ADDRESS and page access tracking.
 * The unicorn helpers that see the accesses are in unicorn_hooks.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "x86_cpu_internal.h"

/* ---------------------------------------------------------------------
 * Slots
 * --------------------------------------------------------------------- */
static int slot_cmp(const void *a, const void *b)
{
	const struct sim_mem_slot *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

int sim_x86_vcpu_set_memory(struct sim_x86_vcpu *vp, const struct sim_mem_slot *slots, size_t n)
{
	struct sim_mem_slot *copy = NULL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, slots, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), slot_cmp);
		for (size_t i = 0; i < n; i++) {
			if (!copy[i].size || (copy[i].gpa | copy[i].size | (uintptr_t)copy[i].host) & 0xfff ||
			    (i && copy[i - 1].gpa + copy[i - 1].size > copy[i].gpa)) {
				free(copy);
				return -EINVAL;
			}
		}
	}
	sim_x86__code_pages_release();
	for (size_t i = 0; i < vp->nslots; i++)
		uc_mem_unmap(vp->uc, vp->slots[i].gpa, vp->slots[i].size);
	free(vp->slots);
	vp->slots = copy;
	vp->nslots = n;
	vp->full_mr = NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t perms = UC_PROT_READ | ((copy[i].flags & SIM_MEM_WRITE) ? UC_PROT_WRITE : 0) |
				 ((copy[i].flags & SIM_MEM_EXEC) ? UC_PROT_EXEC : 0);
		if (uc_mem_map_ptr(vp->uc, copy[i].gpa, copy[i].size, UC_PROT_ALL, copy[i].host) != UC_ERR_OK)
			return -EINVAL;
		if (perms != UC_PROT_ALL)
			uc_mem_protect(vp->uc, copy[i].gpa, copy[i].size, perms);
		else if (!vp->full_mr)
			vp->full_mr = sim_x86__uc_region(vp, copy[i].gpa);
	}
	uc_ctl_flush_tlb(vp->uc);
	return 0;
}

/* ---------------------------------------------------------------------
 * Page walk and reads of guest memory
 * --------------------------------------------------------------------- */
const struct sim_mem_slot *sim_x86__find_slot(const struct sim_x86_vcpu *vp, uint64_t gpa)
{
	size_t lo = 0, hi = vp->nslots;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct sim_mem_slot *s = &vp->slots[mid];
		if (gpa < s->gpa)
			hi = mid;
		else if (gpa - s->gpa >= s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static void *gpa_host(const struct sim_x86_vcpu *vp, uint64_t gpa)
{
	const struct sim_mem_slot *s = sim_x86__find_slot(vp, gpa);
	return s ? (uint8_t *)s->host + (gpa - s->gpa) : NULL;
}

/*
 * Page walk of the VP's current paging mode. Returns an HV_TRANSLATE_GVA_*
 * result (SUCCESS, PAGE_NOT_PRESENT, PRIVILEGE_VIOLATION,
 * INVALIDE_PAGE_TABLE_FLAGS); check: apply access rights (acc, user);
 * set_ad: set accessed/dirty bits as the hardware walker does.
 */
int sim_x86__walk(struct sim_x86_vcpu *vp, uint64_t va, int acc, bool user, bool check, bool set_ad,
		  uint64_t *gpa)
{
	uint64_t cr0 = cr(vp, 0), cr4 = cr(vp, 4), efer = *vp->efer;

	if (!(cr0 & CR0_PG)) {
		*gpa = (efer & EFER_LMA) ? va : (va & 0xffffffffull);
		return HV_TRANSLATE_GVA_SUCCESS;
	}
	bool wr_ok = true, us_ok = true, nx = false;
	const uint64_t amask = 0x000ffffffffff000ull;
	uint64_t pa;

	if (!(cr4 & CR4_PAE)) {
		uint32_t *pde = gpa_host(vp, (cr(vp, 3) & 0xfffff000ull) + ((va >> 22) & 0x3ff) * 4);
		if (!pde || !(*pde & 1))
			return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
		wr_ok &= (*pde >> 1) & 1;
		us_ok &= (*pde >> 2) & 1;
		if ((*pde & 0x80) && (cr4 & CR4_PSE)) {
			/* bits 20:13 are PA bits 39:32 (all below MAXPHYADDR 40); bit 21 is reserved */
			if (*pde & 0x200000u)
				return HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS;
			if (set_ad)
				*pde |= 0x20 | (acc == ACC_WRITE ? 0x40 : 0);
			pa = ((uint64_t)(*pde & 0xffc00000u)) | ((uint64_t)((*pde >> 13) & 0xff) << 32) |
			     (va & 0x3fffff);
		} else {
			uint32_t *pte = gpa_host(vp, (*pde & 0xfffff000u) + ((va >> 12) & 0x3ff) * 4);
			if (!pte || !(*pte & 1))
				return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
			wr_ok &= (*pte >> 1) & 1;
			us_ok &= (*pte >> 2) & 1;
			if (set_ad) {
				*pde |= 0x20;
				*pte |= 0x20 | (acc == ACC_WRITE ? 0x40 : 0);
			}
			pa = (*pte & 0xfffff000u) | (va & 0xfff);
		}
	} else {
		int level;
		uint64_t table;
		/*
		 * Reserved in every entry: address bits at or above MAXPHYADDR
		 * (vp->pa_rsvd, from CPUID 0x80000008) and, with EFER.NXE clear,
		 * XD. A fault on a reserved bit is #PF with RSVD set (AMD APM
		 * vol. 2 5.3.x, Intel SDM vol. 3A 4.13), never an access to the
		 * address the bits would name. The same checks as QEMU's walk,
		 * which raises the fault: the two must agree on every entry.
		 */
		uint64_t rsvd = vp->pa_rsvd | ((efer & EFER_NXE) ? 0 : 1ull << 63);
		if (efer & EFER_LMA) {
			level = (cr4 & CR4_LA57) ? 5 : 4;
			table = cr(vp, 3) & amask;
		} else {
			uint64_t *pdpte = gpa_host(vp, (cr(vp, 3) & 0xffffffe0ull) + ((va >> 30) & 3) * 8);
			if (!pdpte || !(*pdpte & 1))
				return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
			/*
			 * PAE PDPTEs: also bits 63:52 (no XD there). Bits 2:1 and
			 * 8:5 are reserved on hardware too, but QEMU's walk, which
			 * raises the fault, does not check them; the two walks must
			 * agree, so they are not checked here either.
			 */
			if (*pdpte & (rsvd | 0xfff0000000000000ull))
				return HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS;
			table = *pdpte & amask;
			level = 2;
		}
		for (;;) {
			unsigned shift = 12 + 9 * (level - 1);
			uint64_t *e = gpa_host(vp, table + ((va >> shift) & 0x1ff) * 8);
			if (!e || !(*e & 1))
				return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
			uint64_t ent = *e;
			bool leaf = level == 1 || ((ent & 0x80) && level <= 3);
			/* PS is reserved in PML5E and PML4E; a large page's address bits below its size (but PAT, bit 12) */
			uint64_t r = rsvd | ((ent & 0x80) && level > 3 ? 0x80 : 0) |
				     (leaf && level > 1 ? ((1ull << (12 + 9 * (level - 1))) - 1) & amask & ~0x1000ull : 0);
			if (ent & r)
				return HV_TRANSLATE_GVA_INVALIDE_PAGE_TABLE_FLAGS;
			wr_ok &= (ent >> 1) & 1;
			us_ok &= (ent >> 2) & 1;
			nx |= (ent >> 63) & 1;
			if (set_ad)
				*e |= 0x20 | ((leaf && acc == ACC_WRITE) ? 0x40 : 0);
			if (leaf) {
				uint64_t psize = 1ull << shift;
				pa = (ent & amask & ~(psize - 1)) | (va & (psize - 1));
				break;
			}
			table = ent & amask;
			level--;
		}
	}
	if (check) {
		if (user && !us_ok)
			return HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION;
		if (acc == ACC_WRITE && !wr_ok && (user || (cr0 & CR0_WP)))
			return HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION;
		if (acc == ACC_EXEC && nx)
			return HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION;
		if (acc == ACC_EXEC && !user && us_ok && (cr4 & CR4_SMEP))
			return HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION;
	}
	*gpa = pa;
	return HV_TRANSLATE_GVA_SUCCESS;
}

/* Copy up to n bytes at linear address la (stops at an untranslatable or unmapped byte). */
size_t sim_x86__read_linear(struct sim_x86_vcpu *vp, uint64_t la, uint8_t *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		uint64_t gpa;
		if (sim_x86__walk(vp, la + done, ACC_READ, false, false, false, &gpa) != HV_TRANSLATE_GVA_SUCCESS)
			break;
		const struct sim_mem_slot *s = sim_x86__find_slot(vp, gpa);
		if (!s)
			break;
		size_t chunk = PAGE_SIZE_4K - (gpa & 0xfff);
		if (chunk > n - done)
			chunk = n - done;
		memcpy(buf + done, (uint8_t *)s->host + (gpa - s->gpa), chunk);
		done += chunk;
	}
	return done;
}

uint64_t sim_x86__cur_rip_linear(struct sim_x86_vcpu *vp)
{
	struct hv_x64_segment_register cs;
	sim_x86__get_segment(vp, S_CS, &cs);
	return cs.base + *vp->rip;
}

uint64_t sim_x86_vcpu_translate_gva(struct sim_x86_vcpu *vp, uint64_t gva, uint64_t flags, uint32_t *result_code,
				    uint64_t *gpa)
{
	int acc = (flags & HV_TRANSLATE_GVA_VALIDATE_EXECUTE) ? ACC_EXEC
		  : (flags & HV_TRANSLATE_GVA_VALIDATE_WRITE) ? ACC_WRITE
							      : ACC_READ;
	bool user = (flags & HV_TRANSLATE_GVA_USER_ACCESS) ||
		    (!(flags & HV_TRANSLATE_GVA_SUPERVISOR_ACCESS) && sim_x86__cpl(vp) == 3);
	bool check = !(flags & HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT) &&
		     (flags & (HV_TRANSLATE_GVA_VALIDATE_READ | HV_TRANSLATE_GVA_VALIDATE_WRITE |
			       HV_TRANSLATE_GVA_VALIDATE_EXECUTE));
	uint64_t pa = 0;
	int rc = sim_x86__walk(vp, gva, acc, user, check, (flags & HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS) != 0, &pa);
	if (rc == HV_TRANSLATE_GVA_SUCCESS) {
		const struct sim_mem_slot *s = sim_x86__find_slot(vp, pa);
		if (!s && !sim_x86__is_apic_gpa(vp, pa))
			rc = HV_TRANSLATE_GVA_GPA_UNMAPPED;
		else if (s && (flags & HV_TRANSLATE_GVA_VALIDATE_READ) && !(s->flags & SIM_MEM_READ))
			rc = HV_TRANSLATE_GVA_GPA_NO_READ_ACCESS;
		else if (s && (flags & HV_TRANSLATE_GVA_VALIDATE_WRITE) && !(s->flags & SIM_MEM_WRITE))
			rc = HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS;
	}
	*result_code = (uint32_t)rc;
	*gpa = pa;
	return HV_STATUS_SUCCESS;
}


/* ---------------------------------------------------------------------
 * Data accesses: RAM, the APIC page, doorbells, intercepts
 * --------------------------------------------------------------------- */
/* A write of size bytes of val at an unmapped gpa: a matching doorbell is signalled instead of an exit. */
static bool ring_doorbell(struct sim_x86_vcpu *vp, uint64_t gpa, unsigned size, uint64_t val)
{
	uint64_t mask = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	size_t i;

	for (i = 0; i < vp->ndoorbells; i++) {
		const struct sim_doorbell *d = &vp->doorbells[i];

		if (d->gpa != gpa || (d->len && d->len != size))
			continue;
		if (d->has_datamatch && (d->datamatch & mask) != (val & mask))
			continue;
		eventfd_write(d->eventfd, 1);
		return true;
	}
	return false;
}

int sim_x86_vcpu_set_doorbells(struct sim_x86_vcpu *vp, const struct sim_doorbell *doorbells, size_t n)
{
	struct sim_doorbell *copy = NULL;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, doorbells, n * sizeof(*copy));
	}
	free(vp->doorbells);
	vp->doorbells = copy;
	vp->ndoorbells = n;
	return 0;
}

/*
 * A guest read of size bytes (1, 2, 4 or 8) at offset off of the APIC
 * page, off + size <= 4096. The SDM (vol. 3 11.4.1) has software access
 * the xAPIC registers only with 32-bit loads and stores aligned on 16
 * bytes; anything else is model specific, and the TLFS says nothing of
 * it. Chosen here, so that every size and offset has one defined result:
 * each 16-byte slot reads as its 32-bit register in bytes 0-3 followed by
 * 12 zero bytes (what the reserved bytes 4-15 of a slot give on the
 * processors that allow it), and a read takes every byte from the slot it
 * falls in, so one straddling two slots sees both registers. (KVM refuses
 * reads past byte 3 of a slot and leaves the destination as it was; a
 * value that depends on what the register held before is no better a
 * model.) The registers end at 0x3f0; the rest of the page is reserved
 * and reads as zeros (sim_x86__apic_read would wrap round to the ID).
 * Writes other than 32-bit aligned ones, and writes past 0x3ff, are
 * dropped (the caller).
 */
static uint64_t apic_read_bytes(struct sim_x86_vcpu *vp, uint32_t off, unsigned size)
{
	uint64_t v = 0;
	uint32_t slot = UINT32_MAX, reg = 0;

	for (unsigned i = 0; i < size && i < 8; i++) {
		uint32_t b = off + i, in = b & 0xf;
		if ((b & ~0xfu) != slot) {
			slot = b & ~0xfu;
			reg = slot < 0x400 ? sim_x86__apic_read(vp, slot) : 0;
		}
		if (in < 4)
			v |= (uint64_t)((reg >> (in * 8)) & 0xff) << (i * 8);
	}
	return v;
}

/*
 * Decide about one data access of size bytes at linear address la
 * (user: a CPL 3 access; QEMU's own accesses to the IDT, GDT and TSS are
 * supervisor ones). Returns 0: let unicorn do it; 1: done here (APIC),
 * *val read. Does not return when the access is intercepted.
 */
int sim_x86__mem_access(struct sim_x86_vcpu *vp, uint64_t la, unsigned size, bool write, uint64_t *val,
			uintptr_t ra, bool user)
{
	uint64_t gpa;
	uint64_t pages[2] = {la, la + size - 1};
	int npages = ((la ^ (la + size - 1)) & ~0xfffull) ? 2 : 1;

	vp->fault_page_armed = false;
	for (int i = 0; i < npages; i++) {
		uint64_t a = i ? (pages[1] & ~0xfffull) : la;
		if (sim_x86__walk(vp, a, write ? ACC_WRITE : ACC_READ, user, true, false, &gpa) !=
		    HV_TRANSLATE_GVA_SUCCESS) {
			/* QEMU's own walk raises the page fault, even where the page maps no RAM */
			vp->fault_page = a & ~0xfffull;
			vp->fault_page_armed = true;
			return 0;
		}
		const struct sim_mem_slot *s = sim_x86__find_slot(vp, gpa);
		if (s) {
			if (!(s->flags & (write ? SIM_MEM_WRITE : SIM_MEM_READ))) {
				vp->ex.msg_type = HVMSG_GPA_INTERCEPT;
				goto intercept;
			}
			continue;
		}
		if (npages == 1 && sim_x86__is_apic_gpa(vp, gpa)) {
			uint32_t off = (uint32_t)(gpa & 0xfff);
			if (write) {
				if (size == 4 && !(off & 0xf) && off < 0x400)
					sim_x86__apic_write(vp, off, (uint32_t)*val, ra);
			} else {
				*val = apic_read_bytes(vp, off, size);
			}
			return 1;
		}
		if (write && npages == 1 && ring_doorbell(vp, gpa, size, *val))
			return 1;
		vp->ex.msg_type = HVMSG_UNMAPPED_GPA;
intercept:
		vp->ex.kind = EXIT_MEM;
		vp->ex.access = write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ;
		vp->ex.gva_valid = true;
		vp->ex.gva = a;
		vp->ex.gpa = gpa;
		if (!ra)
			sim_x86__abandon_delivery(vp);
		sim_x86__stop_here(vp, ra);
	}
	return 0;
}

/*
 * Whether the VP's guest stores to the page at gpa may take unicorn's TLB
 * fast path, where no helper of ours sees them (unicorn_hooks.c, the TLB
 * fill): only plain RAM of a slot the guest may write, and only while this
 * VP has no translated code from the page (a store there must reach QEMU's
 * check for self-modifying code). Unmapped GPAs (the APIC page, doorbells,
 * intercepts) and read-only slots are not RAM to QEMU's TLB and never
 * reach this question; access tracking has unicorn send every access to
 * its hooks whatever the TLB says.
 */
bool sim_x86__store_fast_ok(const struct sim_x86_vcpu *vp, uint64_t gpa)
{
	const struct sim_mem_slot *s = sim_x86__find_slot(vp, gpa);

	if (!s || !(s->flags & SIM_MEM_WRITE))
		return false;
	return !sim_x86__vp_code_page(vp, ((uintptr_t)s->host + (uintptr_t)(gpa - s->gpa)) & ~(uintptr_t)0xfff);
}

/* ---------------------------------------------------------------------
 * Backstop: accesses unicorn refuses itself
 * --------------------------------------------------------------------- */
bool sim_x86__hook_fetch_bad(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
			     void *user)
{
	struct sim_x86_vcpu *vp = user;
	uint64_t gpa = address;
	(void)uc;
	(void)size;
	(void)value;
	sim_x86__walk(vp, address, ACC_EXEC, false, false, false, &gpa);
	vp->ex.kind = EXIT_MEM;
	vp->ex.msg_type = type == UC_MEM_FETCH_PROT ? HVMSG_GPA_INTERCEPT : HVMSG_UNMAPPED_GPA;
	vp->ex.access = HV_INTERCEPT_ACCESS_EXECUTE;
	vp->ex.gva_valid = true;
	vp->ex.gva = address;
	vp->ex.gpa = gpa;
	return false;
}

/*
 * Backstop: a data access unicorn finds unmapped or forbidden although it
 * did not go through mem_access first. Record its address and type; it
 * is reported at the state unicorn stops in (it cannot restart it).
 */
bool sim_x86__hook_data_bad(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
			    void *user)
{
	struct sim_x86_vcpu *vp = user;
	bool write = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT;
	uint64_t gpa = address;
	(void)uc;
	(void)size;
	(void)value;
	if (vp->ex.kind != EXIT_NONE) /* a store is not stopped: keep the first */
		return false;
	sim_x86__walk(vp, address, write ? ACC_WRITE : ACC_READ, false, false, false, &gpa);
	vp->ex.kind = EXIT_MEM;
	vp->ex.msg_type = (type == UC_MEM_READ_PROT || type == UC_MEM_WRITE_PROT) ? HVMSG_GPA_INTERCEPT
										  : HVMSG_UNMAPPED_GPA;
	vp->ex.access = write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ;
	vp->ex.gva_valid = true;
	vp->ex.gva = address;
	vp->ex.gpa = gpa;
	return false;
}

/* ---------------------------------------------------------------------
 * Page access tracking
 * --------------------------------------------------------------------- */
static void hook_track(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
	struct sim_x86_vcpu *vp = user;
	uint64_t gpa;
	(void)uc;
	(void)value;
	if (!vp->track_fn)
		return;
	bool w = type == UC_MEM_WRITE;
	for (uint64_t a = address & ~0xfffull; a <= ((address + (uint64_t)size - 1) & ~0xfffull); a += 4096) {
		if (sim_x86__walk(vp, a, ACC_READ, false, false, false, &gpa) == HV_TRANSLATE_GVA_SUCCESS &&
		    sim_x86__find_slot(vp, gpa))
			vp->track_fn(vp->track_opaque, gpa >> 12, w);
	}
}

static void hook_track_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	hook_track(uc, UC_MEM_FETCH, address, size ? (int)size : 1, 0, user);
}

/* Switch the access hooks on or off: on the VP's own thread, at the start of a run. */
void sim_x86__track_apply(struct sim_x86_vcpu *vp)
{
	pthread_mutex_lock(&vp->track_lock);
	vp->track_fn = vp->track_want_fn;
	vp->track_opaque = vp->track_want_opaque;
	atomic_store(&vp->track_changed, false);
	pthread_mutex_unlock(&vp->track_lock);
	if (vp->track_fn && !vp->track_hook) {
		uc_hook_add(vp->uc, &vp->track_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)hook_track, vp, 1, 0);
		uc_hook_add(vp->uc, &vp->track_block_hook, UC_HOOK_BLOCK, (void *)hook_track_block, vp, 1, 0);
		uc_ctl_flush_tlb(vp->uc);
		sim_x86__tb_flush(vp); /* block hooks are compiled into translations: start afresh */
	} else if (!vp->track_fn && vp->track_hook) {
		uc_hook_del(vp->uc, vp->track_hook);
		uc_hook_del(vp->uc, vp->track_block_hook);
		vp->track_hook = 0;
		vp->track_block_hook = 0;
		uc_ctl_flush_tlb(vp->uc);
	}
}

/* Any thread: takes effect when the VP next enters (or re-enters) the guest. */
void sim_x86_vcpu_track_access(struct sim_x86_vcpu *vp, sim_access_fn *fn, void *opaque)
{
	pthread_mutex_lock(&vp->track_lock);
	vp->track_want_fn = fn;
	vp->track_want_opaque = opaque;
	atomic_store(&vp->track_changed, true);
	pthread_mutex_unlock(&vp->track_lock);
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim CPU model: code the VMM rewrites.
 *
 * unicorn notices guest writes to translated code (QEMU's own SMC
 * detection) but not the VMM's writes to the same host memory. So each
 * host page that translated code came from is made read-only in the
 * process; a write to it from anywhere faults, sim_x86_code_write_fault()
 * makes it writable again and bumps a generation, and every VP drops its
 * translations before it next runs guest code.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "x86_cpu_internal.h"

bool sim_x86_code_fault_external;

#define CODE_PAGES 16384 /* open-addressed set of host page addresses (64 MiB of code) */
/*
 * A slot's page with this bit set: it held code and was made writable
 * again (a write to it). It stays in the set until the set is cleared,
 * so that a second thread whose write to the page faulted before the
 * first one's fault made it writable finds it (and writes again) instead
 * of taking the fault for a crash; the page is read-only again when code
 * is next translated from it.
 */
#define PAGE_RELEASED ((uintptr_t)1)

static struct {
	_Atomic uintptr_t page[CODE_PAGES]; /* 0: empty; a page; a page | PAGE_RELEASED */
	atomic_uint gen;
	atomic_bool ever; /* a page was ever made read-only */
	atomic_bool releasing;        /* sim_x86__code_pages_release is dropping every watch */
	pthread_mutex_t lock; /* adding and clearing; the fault path only reads and tombstones */
} code_pages = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Which page each generation's write was to, so that a VP catching up
 * drops the translations of those pages only (sim_x86__code_catch_up). A
 * generation whose entry is 0 (every watch dropped), overwritten, or not
 * written yet, makes the VP drop all of its translations.
 */
#define WRITES 1024
static struct {
	_Atomic uintptr_t page;
	atomic_uint gen;
} writes[WRITES];

static void note_write(uintptr_t page)
{
	unsigned g = atomic_fetch_add(&code_pages.gen, 1) + 1;

	atomic_store(&writes[g % WRITES].gen, 0);
	atomic_store(&writes[g % WRITES].page, page);
	atomic_store(&writes[g % WRITES].gen, g);
}

static size_t code_slot(uintptr_t page)
{
	return (size_t)((page >> 12) * 0x9e3779b97f4a7c15ull >> 50) % CODE_PAGES;
}

static size_t vp_code_slot(uintptr_t page)
{
	return (size_t)((page >> 12) * 0x9e3779b97f4a7c15ull >> 40) % SIM_VP_CODE_SET;
}

/*
 * Record host page in this VP's set of pages with translated code:
 * 0 when it was there already (or the set is full), 1 when it is new,
 * 2 when the set has just become full.
 */
static int vp_code_note(struct sim_x86_vcpu *vp, uintptr_t page)
{
	size_t i, n;

	if (vp->code_set_full)
		return 0;
	for (i = vp_code_slot(page), n = 0; n < SIM_VP_CODE_SET; i = (i + 1) % SIM_VP_CODE_SET, n++) {
		if (vp->code_set[i] == page)
			return 0;
		if (!vp->code_set[i])
			break;
	}
	/* kept at most three quarters full, so that a lookup ends soon at an empty entry */
	if (vp->code_set_n + 1 > SIM_VP_CODE_SET / 4 * 3) {
		vp->code_set_full = true;
		return 2;
	}
	vp->code_set[i] = page;
	vp->code_set_n++;
	return 1;
}

/* Whether this VP may have translated code from host page (a full set: every page may). */
bool sim_x86__vp_code_page(const struct sim_x86_vcpu *vp, uintptr_t page)
{
	size_t i, n;

	if (vp->code_set_full)
		return true;
	for (i = vp_code_slot(page), n = 0; n < SIM_VP_CODE_SET; i = (i + 1) % SIM_VP_CODE_SET, n++) {
		if (vp->code_set[i] == page)
			return true;
		if (!vp->code_set[i])
			return false;
	}
	return true;
}

/* The VP's translations are all gone (its translation buffer was flushed). */
void sim_x86__vp_code_forget(struct sim_x86_vcpu *vp)
{
	memset(vp->code_set, 0, sizeof(vp->code_set));
	vp->code_set_n = 0;
	vp->code_set_full = false;
}

/*
 * A translation of this VP took code from linear address la: note its
 * host page in the VP's set, and make the page read-only in the process
 * (once) so that a write to it from elsewhere is seen. Returns the host
 * page when the VP's set did not have it yet (the caller makes the VP's
 * TLB send the guest's stores to it through the slow path again), else 0.
 */
uintptr_t sim_x86__protect_code_page(struct sim_x86_vcpu *vp, uint64_t la)
{
	const struct sim_mem_slot *slot;
	uint64_t gpa = la;
	uintptr_t page;
	size_t i, n;
	int fresh;

	if ((cr(vp, 0) & CR0_PG) &&
	    sim_x86__walk(vp, la, ACC_READ, false, false, false, &gpa) != HV_TRANSLATE_GVA_SUCCESS)
		return 0;
	slot = sim_x86__find_slot(vp, gpa);
	if (!slot || !(slot->flags & SIM_MEM_WRITE))
		return 0;
	page = ((uintptr_t)slot->host + (uintptr_t)(gpa - slot->gpa)) & ~(uintptr_t)0xfff;
	fresh = vp_code_note(vp, page);
	if (fresh == 2) {
		/* from now on no page is sent to the fast path: drop the entries that were */
		sim_x86__tlb_flush(vp);
		fresh = 0;
	}
	pthread_mutex_lock(&code_pages.lock);
	for (i = code_slot(page), n = 0; n < CODE_PAGES; i = (i + 1) % CODE_PAGES, n++) {
		uintptr_t v = atomic_load(&code_pages.page[i]);

		if (v == page)
			break; /* already read-only */
		if (v == 0 || v == (page | PAGE_RELEASED)) {
			/*
			 * Recorded before it is made read-only: a write that faults
			 * from then on finds it (recorded after, a VMM write in
			 * between found nothing and killed the process).
			 */
			atomic_store(&code_pages.page[i], page);
			atomic_store(&code_pages.ever, true);
			if (mprotect((void *)page, 4096, PROT_READ) != 0)
				atomic_store(&code_pages.page[i], page | PAGE_RELEASED);
			else if (atomic_load(&code_pages.page[i]) != page)
				/*
				 * A fault on it (from an earlier watch) released it between
				 * the store and the mprotect: it must not stay read-only
				 * while marked released, or the next write's fault would be
				 * taken for a real one (a crash: found by robust_test's
				 * concurrent faults under load).
				 */
				mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
			break;
		}
	}
	pthread_mutex_unlock(&code_pages.lock); /* a full set: the page stays writable (and unwatched) */
	return fresh ? page : 0;
}

/*
 * The VPs to stop when code is written (sim_x86__code_watchers): a write
 * fault makes every running VP leave its translated code at the next
 * block boundary and drop its translations, as every processor sees a
 * cross-modified instruction once the writer has serialised (SDM vol. 3A
 * 9.1.3). Slots are taken and cleared under code_pages.lock; the fault
 * path reads them, and a VP is cleared only after its slot was
 * (in_fault counts fault handlers that may still hold one).
 */
#define WATCHERS 1024
static _Atomic(struct sim_x86_vcpu *) watchers[WATCHERS];
static atomic_int in_fault;

void sim_x86__code_watchers(struct sim_x86_vcpu *vp, bool add)
{
	pthread_mutex_lock(&code_pages.lock);
	for (size_t i = 0; i < WATCHERS; i++) {
		struct sim_x86_vcpu *cur = atomic_load(&watchers[i]);

		if (add && !cur) {
			atomic_store(&watchers[i], vp);
			break;
		}
		if (!add && cur == vp) {
			atomic_store(&watchers[i], NULL);
			break;
		}
	}
	pthread_mutex_unlock(&code_pages.lock);
	while (!add && atomic_load(&in_fault))
		; /* a fault handler in flight may still look at vp: a few instructions */
}

static void stop_running_vps(void)
{
	atomic_fetch_add(&in_fault, 1);
	for (size_t i = 0; i < WATCHERS; i++) {
		struct sim_x86_vcpu *vp = atomic_load(&watchers[i]);

		if (vp && atomic_load(&vp->running))
			sim_x86__cpu_exit(vp);
	}
	atomic_fetch_sub(&in_fault, 1);
}

/*
 * Async-signal-safe: a write fault at addr; true when it was a watched code
 * page (now writable) and the write is to be tried again. For a page not
 * listed, the thread's last retry (page, generation) tells a second fault
 * in a row with nothing released in between: a real one.
 */
static __thread uintptr_t code_fault_retried __attribute__((tls_model("initial-exec")));
static __thread unsigned code_fault_retried_gen __attribute__((tls_model("initial-exec")));

/*
 * Async-signal-safe: a write is coming to page. A watched page is made
 * writable (and the VPs drop its translations): true, as for a page
 * released already; false when the set does not list the page.
 */
static bool release_page(uintptr_t page)
{
	size_t i, n;

	for (i = code_slot(page), n = 0; n < CODE_PAGES; i = (i + 1) % CODE_PAGES, n++) {
		uintptr_t v = atomic_load(&code_pages.page[i]);

		if (v == 0)
			break;
		if (v == page) {
			/*
			 * Claimed before it is made writable: marked released after
			 * the mprotect, a protect_code_page in between (listing it,
			 * making it read-only) was undone by the mark, and the page
			 * stayed read-only while marked released: every later write
			 * to it faulted for ever.
			 */
			if (!atomic_compare_exchange_strong(&code_pages.page[i], &v, page | PAGE_RELEASED))
				return true; /* another fault claimed it first: write again */
			mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
			note_write(page);
			stop_running_vps();
			return true;
		}
		if (v == (page | PAGE_RELEASED))
			/*
			 * Released: made writable by another thread's fault, or
			 * read-only for a moment while protect_code_page lists it
			 * again. The write is tried again, as often as it faults
			 * here. (Treating a second fault in a row as real crashed
			 * the process under concurrent faults; the cost is that a
			 * VMM that makes such a page read-only itself and then writes
			 * it spins here instead of dying of the SIGSEGV.)
			 */
			return true;
	}
	return false;
}

bool sim_x86_code_write_fault(void *addr)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)0xfff;

	if (release_page(page)) {
		code_fault_retried = 0;
		return true;
	}
	/*
	 * Not listed. Every watch may have been dropped (the memory map
	 * changed: sim_x86__code_pages_release) between the fault and this
	 * look, the page made writable just now or about to be: the write is
	 * tried once more. A second fault in a row at the page with no watch
	 * dropped or released in between is a real one.
	 */
	{
		unsigned gen = atomic_load(&code_pages.gen);

		if (atomic_load(&code_pages.ever) && !(code_fault_retried == page && code_fault_retried_gen == gen)) {
			while (atomic_load(&code_pages.releasing))
				; /* the release's mprotects are under way: a few system calls */
			code_fault_retried = page;
			code_fault_retried_gen = gen;
			return true;
		}
	}
	code_fault_retried = 0;
	return false;
}

/*
 * The process is about to write [addr, addr + len) where the CPU cannot
 * fault for it (the kernel on its behalf: read(2) into the buffer, the
 * kernel checking a region is writable): the watched code pages in it
 * are released as a write fault would release them, so the write
 * succeeds and the VPs drop those pages' translations. (Before, read(2)
 * into a page that held code failed with EFAULT, and so did
 * MSHV_SET_GUEST_MEMORY of such memory.)
 */
void sim_x86_host_write_prepare(void *addr, size_t len)
{
	uintptr_t first = (uintptr_t)addr & ~(uintptr_t)0xfff;
	uintptr_t end = (uintptr_t)addr + len < (uintptr_t)addr ? UINTPTR_MAX : (uintptr_t)addr + len;

	if (!len || !atomic_load(&code_pages.ever))
		return;
	if ((end - first) / 4096 <= CODE_PAGES) {
		for (uintptr_t page = first; page < end && page >= first; page += 4096)
			release_page(page);
		return;
	}
	/*
	 * A larger range (read(2) of a file's whole size, or of a count far
	 * beyond what will come): the listed pages in it, not every page.
	 */
	for (size_t i = 0; i < CODE_PAGES; i++) {
		uintptr_t v = atomic_load(&code_pages.page[i]);

		if (v && !(v & PAGE_RELEASED) && v >= first && v < end)
			release_page(v);
	}
}

/* Stop watching every page (the memory map changed): all translations go. */
void sim_x86__code_pages_release(void)
{
	size_t i;

	pthread_mutex_lock(&code_pages.lock);
	atomic_store(&code_pages.releasing, true);
	for (i = 0; i < CODE_PAGES; i++) {
		uintptr_t v = atomic_exchange(&code_pages.page[i], 0);

		if (v && !(v & PAGE_RELEASED))
			mprotect((void *)v, 4096, PROT_READ | PROT_WRITE);
	}
	note_write(0);
	atomic_store(&code_pages.releasing, false);
	pthread_mutex_unlock(&code_pages.lock);
	/* no page is watched now: a VP running on in its old translations would miss writes to them */
	stop_running_vps();
}

/*
 * Before the VP runs on: drop its translations of the code pages written
 * since it last looked (tb_invalidate for each page; everything when it
 * cannot tell which). Invalidation per page: a write to one code page
 * used to cost every VP its whole translation buffer (Linux's
 * decompressor and text patching made 1,655 full flushes in one boot).
 */
void sim_x86__code_catch_up(struct sim_x86_vcpu *vp)
{
	unsigned now = atomic_load(&code_pages.gen), g;

	if (now == vp->code_gen)
		return;
	if (now - vp->code_gen > WRITES) {
		sim_x86__tb_flush(vp);
		vp->code_gen = now;
		return;
	}
	for (g = vp->code_gen + 1; g != now + 1; g++) {
		unsigned seen = atomic_load(&writes[g % WRITES].gen);
		uintptr_t page = atomic_load(&writes[g % WRITES].page);

		if (seen != g || atomic_load(&writes[g % WRITES].gen) != g || !page) {
			sim_x86__tb_flush(vp);
			break;
		}
		sim_x86__tb_invalidate_host_page(vp, page);
	}
	vp->code_gen = now;
}

/* The generation: it changes whenever a watched page was written or the set was cleared. */
unsigned sim_x86__code_pages_gen(void)
{
	return atomic_load(&code_pages.gen);
}

/* Without mshv-sim's preload library (the CPU model's own tests), handle the faults here. */
static struct sigaction code_fault_next;

static void code_fault_handler(int sig, siginfo_t *info, void *uctx)
{
	if (sim_x86_code_write_fault(info->si_addr))
		return;
	if (code_fault_next.sa_flags & SA_SIGINFO)
		code_fault_next.sa_sigaction(sig, info, uctx);
	else if (code_fault_next.sa_handler != SIG_DFL && code_fault_next.sa_handler != SIG_IGN)
		code_fault_next.sa_handler(sig);
	else
		signal(sig, SIG_DFL);
}

void sim_x86__code_fault_handler_install(void)
{
	static atomic_bool done;
	struct sigaction sa;

	if (sim_x86_code_fault_external || atomic_exchange(&done, true))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = code_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &code_fault_next);
}

unsigned long sim_x86_vcpu_translations(const struct sim_x86_vcpu *vp)
{
	return vp->translations;
}

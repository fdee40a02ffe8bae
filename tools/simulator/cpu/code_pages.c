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

#define CODE_PAGES 4096 /* open-addressed set of host page addresses */

static struct {
	_Atomic uintptr_t page[CODE_PAGES]; /* 0: empty; page | 1: was watched, now writable */
	atomic_uint gen;
	pthread_mutex_t lock; /* adding and clearing; the fault path only reads and tombstones */
} code_pages = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t code_slot(uintptr_t page)
{
	return (size_t)((page >> 12) * 0x9e3779b97f4a7c15ull >> 52) % CODE_PAGES;
}

void sim_x86__protect_code_page(struct sim_x86_vcpu *vp, uint64_t la)
{
	const struct sim_mem_slot *slot;
	uint64_t gpa = la;
	uintptr_t page;
	size_t i, n;

	if ((cr(vp, 0) & CR0_PG) &&
	    sim_x86__walk(vp, la, ACC_READ, false, false, false, &gpa) != HV_TRANSLATE_GVA_SUCCESS)
		return;
	slot = sim_x86__find_slot(vp, gpa);
	if (!slot || !(slot->flags & SIM_MEM_WRITE))
		return;
	page = ((uintptr_t)slot->host + (uintptr_t)(gpa - slot->gpa)) & ~(uintptr_t)0xfff;
	pthread_mutex_lock(&code_pages.lock);
	for (i = code_slot(page), n = 0; n < CODE_PAGES; i = (i + 1) % CODE_PAGES, n++) {
		uintptr_t v = atomic_load(&code_pages.page[i]);

		if (v == page)
			break; /* already read-only */
		/*
		 * A free slot, or one of a page made writable (its own, or another's:
		 * a fault on that other page still looking for its mark now would
		 * miss it, a window of a few instructions against keeping every mark
		 * until the memory map changes).
		 */
		if (v == 0 || (v & 1)) {
			/* listed before it turns read-only: a write faulting on it then finds it */
			atomic_store(&code_pages.page[i], page);
			if (mprotect((void *)page, 4096, PROT_READ) != 0)
				atomic_store(&code_pages.page[i], page | 1);
			break;
		}
	}
	pthread_mutex_unlock(&code_pages.lock); /* a full set: the page stays writable (and unwatched) */
}

/*
 * Async-signal-safe: a write fault at addr; true when it was a watched code
 * page (now writable). A page made writable stays listed as page | 1: two
 * threads (VPs, or a VP and the VMM) writing a read-only page fault at
 * once, and the second to look finds the first one's mark and retries its
 * write. (Before, the second found nothing and the process died of the
 * SIGSEGV.) A thread's second fault in a row there, with the page still
 * marked writable and no page made writable in between (the generation),
 * is a real one: the page was replaced by a read-only mapping since.
 */
static __thread uintptr_t code_fault_retried __attribute__((tls_model("initial-exec")));
static __thread unsigned code_fault_retried_gen __attribute__((tls_model("initial-exec")));

bool sim_x86_code_write_fault(void *addr)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)0xfff;
	size_t i, n;

	for (i = code_slot(page), n = 0; n < CODE_PAGES; i = (i + 1) % CODE_PAGES, n++) {
		uintptr_t v = atomic_load(&code_pages.page[i]);

		if (v == 0)
			break;
		if (v == page) {
			mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
			atomic_store(&code_pages.page[i], page | 1);
			atomic_fetch_add(&code_pages.gen, 1);
			code_fault_retried = 0;
			return true;
		}
		if (v == (page | 1)) {
			unsigned gen = atomic_load(&code_pages.gen);

			if (code_fault_retried == page && code_fault_retried_gen == gen)
				break;
			code_fault_retried = page; /* another thread's fault made it writable */
			code_fault_retried_gen = gen;
			return true;
		}
	}
	code_fault_retried = 0;
	return false;
}

/* Stop watching every page (the memory map changed): all translations go. */
void sim_x86__code_pages_release(void)
{
	size_t i;

	pthread_mutex_lock(&code_pages.lock);
	for (i = 0; i < CODE_PAGES; i++) {
		uintptr_t v = atomic_exchange(&code_pages.page[i], 0);

		if (v && !(v & 1))
			mprotect((void *)v, 4096, PROT_READ | PROT_WRITE);
	}
	atomic_fetch_add(&code_pages.gen, 1);
	pthread_mutex_unlock(&code_pages.lock);
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

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: eventfds and MSI routing, as the kernel does
 * them. MSHV_IRQFD, MSHV_IOEVENTFD, MSHV_SET_MSI_ROUTING, and irqfd
 * delivery: one thread per partition (started with its first irqfd) waits
 * on the partition's irqfds; a signalled eventfd is consumed, its GSI
 * looked up in the MSI routing table as it is at that moment, the MSI
 * decoded (x86: destination APIC ID in address bits 19:12, logical
 * destination mode in bit 2; vector in data bits 7:0, delivery mode in
 * 10:8, level trigger in bit 15) and asserted at the target VP, as the
 * driver does with HVCALL_ASSERT_VIRTUAL_INTERRUPT. An ioeventfd's guest
 * write is completed by the hypervisor layer without an intercept
 * (hv_partition_set_doorbells says why).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "driver_internal.h"

bool sim_same_file(int a, int b)
{
	pid_t pid = getpid();

	return syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b) == 0;
}

/*
 * The eventfds the driver holds itself (its dups of the VMM's, the irqfd
 * threads' control fds), by fd number: their closes are the driver's own,
 * not the VMM's (sim_driver_fd_closing), and they are not the VMM's
 * references to a file.
 */
#define OWN_FDS_MAX 65536
static _Atomic uint64_t own_fds[OWN_FDS_MAX / 64];

static bool own_fd(int fd)
{
	return fd >= 0 && fd < OWN_FDS_MAX && (atomic_load(&own_fds[fd / 64]) >> (fd % 64)) & 1;
}

static int own_mark(int fd)
{
	if (fd >= 0 && fd < OWN_FDS_MAX)
		atomic_fetch_or(&own_fds[fd / 64], 1ull << (fd % 64));
	return fd;
}

static int own_dup(int fd)
{
	return own_mark(fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

/* Set while this thread closes an fd of the driver's own: sim_driver_fd_closing() lets it be. */
static __thread bool closing_own;

static void own_close(int fd)
{
	if (fd >= 0 && fd < OWN_FDS_MAX)
		atomic_fetch_and(&own_fds[fd / 64], ~(1ull << (fd % 64)));
	closing_own = true;
	close(fd);
	closing_own = false;
}

/* Whether fd is an eventfd (the driver's eventfd_ctx_fdget). */
static int eventfd_check(int fd)
{
	char path[64], target[64];
	ssize_t n;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -EBADF;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

/* ---- irqfd delivery ----------------------------------------------------------- */

static uint32_t msi_interrupt_type(uint32_t data)
{
	switch ((data >> 8) & 7) {
	case 1:
		return HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY;
	case 4:
		return HV_X64_INTERRUPT_TYPE_NMI;
	case 7:
		return HV_X64_INTERRUPT_TYPE_EXTINT;
	default:
		return HV_X64_INTERRUPT_TYPE_FIXED;
	}
}

static void irqfd_inject(struct sim_partition *pt, uint32_t gsi)
{
	struct sim_msi_route r = { false, 0, 0, 0 };
	uint32_t type;

	pthread_mutex_lock(&pt->lock);
	if (gsi < SIM_MAX_MSI_ROUTES)
		r = pt->msi_routes[gsi];
	pthread_mutex_unlock(&pt->lock);
	if (!r.valid)
		return; /* no route: the kernel drops the interrupt */
	type = msi_interrupt_type(r.data);
	if (type == HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY)
		type = HV_X64_INTERRUPT_TYPE_FIXED;
	hv_partition_assert_interrupt(pt->hv, type, r.data & 0xff, (r.address_lo >> 12) & 0xff, (r.data >> 15) & 1,
				      (r.address_lo >> 2) & 1);
	if (sim_cfg.trace)
		sim_trace("mshv-sim: irqfd gsi %u -> vector %u dest %u", gsi, r.data & 0xff,
			  (r.address_lo >> 12) & 0xff);
}

static void *irqfd_thread(void *arg)
{
	struct sim_partition *pt = arg;
	struct pollfd fds[SIM_MAX_IRQFDS + 1];
	uint32_t gsis[SIM_MAX_IRQFDS];

	for (;;) {
		size_t i, n = 0;

		fds[n].fd = pt->irqfd_control;
		fds[n].events = POLLIN;
		n++;
		pthread_mutex_lock(&pt->lock);
		for (i = 0; i < pt->ngraves; i++)
			own_close(pt->irqfd_graveyard[i]);
		pt->ngraves = 0;
		for (i = 0; i < pt->nirqfds; i++) {
			fds[n].fd = pt->irqfds[i].eventfd;
			fds[n].events = POLLIN;
			gsis[n - 1] = pt->irqfds[i].gsi;
			n++;
		}
		pthread_mutex_unlock(&pt->lock);

		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (fds[0].revents) {
			eventfd_t v;

			if (eventfd_read(pt->irqfd_control, &v) == 0 && atomic_load(&pt->irqfd_stop))
				return NULL;
			continue; /* the irqfd set changed */
		}
		for (i = 1; i < n; i++) {
			eventfd_t v;

			if ((fds[i].revents & POLLIN) && eventfd_read(fds[i].fd, &v) == 0)
				irqfd_inject(pt, gsis[i - 1]);
		}
	}
}

/*
 * Partitions that were ever given an irqfd, for sim_driver_fd_closing(): a
 * list under irqfd_pts_lock, which is taken before any partition's lock,
 * never while one is held (so a partition joins the list before
 * MSHV_IRQFD takes its lock, and leaves it when it is freed).
 */
static pthread_mutex_t irqfd_pts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_partition *irqfd_pts;
static atomic_int irqfd_pts_count;

/* List pt, once (pt->lock not held). */
static void irqfd_pts_add(struct sim_partition *pt)
{
	struct sim_partition *p;

	pthread_mutex_lock(&irqfd_pts_lock);
	for (p = irqfd_pts; p && p != pt; p = p->irqfd_next)
		;
	if (!p) {
		pt->irqfd_next = irqfd_pts;
		irqfd_pts = pt;
		atomic_fetch_add(&irqfd_pts_count, 1);
	}
	pthread_mutex_unlock(&irqfd_pts_lock);
}

static void irqfd_pts_remove(struct sim_partition *pt)
{
	pthread_mutex_lock(&irqfd_pts_lock);
	for (struct sim_partition **p = &irqfd_pts; *p; p = &(*p)->irqfd_next) {
		if (*p == pt) {
			*p = pt->irqfd_next;
			atomic_fetch_sub(&irqfd_pts_count, 1);
			break;
		}
	}
	pthread_mutex_unlock(&irqfd_pts_lock);
}

void sim_driver_forked_child(void)
{
	/* the parent's partitions stay in its memory copy, unused; their irqfd threads did not come along */
	pthread_mutex_init(&irqfd_pts_lock, NULL);
	irqfd_pts = NULL;
	atomic_store(&irqfd_pts_count, 0);
}

/* Remove irqfd i, its fds to the graveyard (pt->lock held; the caller checked there is room). */
static void irqfd_remove(struct sim_partition *pt, size_t i)
{
	struct sim_irqfd *f = &pt->irqfds[i];

	pt->irqfd_graveyard[pt->ngraves++] = f->eventfd;
	if (f->resamplefd >= 0)
		pt->irqfd_graveyard[pt->ngraves++] = f->resamplefd;
	pt->irqfds[i] = pt->irqfds[--pt->nirqfds];
}

static int irqfd_changed(struct sim_partition *pt);

/* Whether an fd of the process other than `closing` and the simulator's own refers to file `ours`. */
static bool other_fd_refers(int ours, int closing)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	bool found = false;

	if (!d)
		return true; /* cannot tell: keep the irqfd, as a live file would */
	while (!found && (e = readdir(d))) {
		char *end;
		long n = strtol(e->d_name, &end, 10);

		if (*end || n == closing || n == ours || n == dirfd(d))
			continue;
		if (!sim_same_file((int)n, ours))
			continue;
		/* another of our own dups (the same eventfd behind two irqfds or an ioeventfd) does not count */
		found = !own_fd((int)n);
	}
	closedir(d);
	return found;
}

/* pt's irqfd on fd's eventfd, if any, detaches when fd is the file's last fd in the process. */
static void irqfd_release_if_last(struct sim_partition *pt, int fd)
{
	int ours = -1;

	pthread_mutex_lock(&pt->lock);
	for (size_t i = 0; i < pt->nirqfds && ours < 0; i++)
		if (sim_same_file(pt->irqfds[i].eventfd, fd))
			ours = pt->irqfds[i].eventfd;
	pthread_mutex_unlock(&pt->lock);
	if (ours < 0 || other_fd_refers(ours, fd))
		return;
	pthread_mutex_lock(&pt->lock);
	for (size_t i = 0; i < pt->nirqfds; i++) {
		if (pt->irqfds[i].eventfd != ours)
			continue;
		if (pt->ngraves + 2 <= sizeof(pt->irqfd_graveyard) / sizeof(pt->irqfd_graveyard[0])) {
			irqfd_remove(pt, i);
			irqfd_changed(pt);
		}
		break;
	}
	pthread_mutex_unlock(&pt->lock);
}

/*
 * The VMM closes an fd. The kernel's irqfd holds the eventfd's context,
 * not its file: when the last fd of the file goes, the file is released,
 * the eventfd wakes its waiters with EPOLLHUP and the irqfd detaches itself
 * from the partition (mshv_irqfd_wakeup -> deactivate), as if deassigned.
 * The simulator holds a dup of the file, so it looks for the release here:
 * fd is an eventfd one of the partitions' irqfds uses, and no other fd of
 * the process (but the simulator's own) refers to it. The simulator's
 * choice where it cannot see: references held elsewhere (another process
 * after fork(), an SCM_RIGHTS message in flight, an epoll set) are not
 * counted, so the irqfd goes with the process's last fd.
 */
void sim_driver_fd_closing(int fd)
{
	static __thread bool busy; /* opendir/closedir below close fds too */

	if (fd < 0 || busy || closing_own || own_fd(fd) || !atomic_load(&irqfd_pts_count) || eventfd_check(fd))
		return;
	busy = true;
	pthread_mutex_lock(&irqfd_pts_lock);
	for (struct sim_partition *pt = irqfd_pts; pt; pt = pt->irqfd_next)
		irqfd_release_if_last(pt, fd);
	pthread_mutex_unlock(&irqfd_pts_lock);
	busy = false;
}

/* The irqfd set changed (pt->lock held): start the thread, or wake it to re-read the set. */
static int irqfd_changed(struct sim_partition *pt)
{
	if (!pt->irqfd_thread_started) {
		pt->irqfd_control = own_mark(eventfd(0, EFD_CLOEXEC));
		if (pt->irqfd_control < 0)
			return -errno;
		if (pthread_create(&pt->irqfd_thread, NULL, irqfd_thread, pt)) {
			own_close(pt->irqfd_control);
			pt->irqfd_control = -1;
			return -EAGAIN;
		}
		pt->irqfd_thread_started = true;
		return 0;
	}
	eventfd_write(pt->irqfd_control, 1);
	return 0;
}

void sim_eventfds_free(struct sim_partition *pt)
{
	size_t i;

	irqfd_pts_remove(pt);
	if (pt->irqfd_thread_started) {
		atomic_store(&pt->irqfd_stop, true);
		eventfd_write(pt->irqfd_control, 1);
		pthread_join(pt->irqfd_thread, NULL);
		own_close(pt->irqfd_control);
		pt->irqfd_thread_started = false;
	}
	for (i = 0; i < pt->ngraves; i++)
		own_close(pt->irqfd_graveyard[i]);
	for (i = 0; i < pt->nirqfds; i++) {
		own_close(pt->irqfds[i].eventfd);
		if (pt->irqfds[i].resamplefd >= 0)
			own_close(pt->irqfds[i].resamplefd);
	}
	for (i = 0; i < pt->nioeventfds; i++)
		own_close(pt->ioeventfds[i].eventfd);
	for (i = 0; i < pt->nioeventfd_graves; i++)
		own_close(pt->ioeventfd_graves[i].fd); /* no VP runs: the partition has no file left */
	free(pt->ioeventfd_graves);
}

/* ---- MSHV_IRQFD ------------------------------------------------------------------ */

/*
 * MSHV_IRQFD. Assign: an eventfd (EBADF/EINVAL) not bound to any GSI of the
 * partition yet (EBUSY); with resample, a resample eventfd and a level-
 * triggered route for the GSI (EINVAL otherwise). Deassign removes the
 * (eventfd, GSI) binding and succeeds even when there was none.
 */
long sim_partition_irqfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irqfd a;
	bool resample;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if (a.flags & ~MSHV_IRQFD_FLAGS_MASK)
		return -EINVAL;
	err = eventfd_check(a.fd);
	if (err)
		return err;
	if (!(a.flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)))
		irqfd_pts_add(pt);
	pthread_mutex_lock(&pt->lock);
	if (a.flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)) {
		for (i = 0; i < pt->nirqfds; i++) {
			struct sim_irqfd *f = &pt->irqfds[i];

			if (f->gsi != a.gsi || !sim_same_file(f->eventfd, a.fd))
				continue;
			if (pt->ngraves + 2 > sizeof(pt->irqfd_graveyard) / sizeof(pt->irqfd_graveyard[0])) {
				err = -EAGAIN; /* the irqfd thread has not caught up */
				break;
			}
			/* The irqfd thread may be polling it: it closes them. */
			irqfd_remove(pt, i);
			err = irqfd_changed(pt);
			break;
		}
		goto out;
	}
	resample = a.flags & (1u << MSHV_IRQFD_BIT_RESAMPLE);
	if (resample) {
		err = eventfd_check(a.resamplefd);
		if (!err && (a.gsi >= SIM_MAX_MSI_ROUTES || !pt->msi_routes[a.gsi].valid ||
			     !((pt->msi_routes[a.gsi].data >> 15) & 1)))
			err = -EINVAL;
		if (err)
			goto out;
	}
	for (i = 0; i < pt->nirqfds; i++) {
		if (sim_same_file(pt->irqfds[i].eventfd, a.fd)) {
			err = -EBUSY;
			goto out;
		}
	}
	if (pt->nirqfds == SIM_MAX_IRQFDS) {
		err = -ENOSPC;
		goto out;
	}
	{
		struct sim_irqfd *f = &pt->irqfds[pt->nirqfds];

		f->gsi = a.gsi;
		f->eventfd = own_dup(a.fd);
		f->resamplefd = resample ? own_dup(a.resamplefd) : -1;
		if (f->eventfd < 0 || (resample && f->resamplefd < 0)) {
			if (f->eventfd >= 0)
				own_close(f->eventfd);
			err = -EMFILE;
			goto out;
		}
		pt->nirqfds++;
		err = irqfd_changed(pt);
		if (err) {
			pt->nirqfds--;
			own_close(f->eventfd);
			if (f->resamplefd >= 0)
				own_close(f->resamplefd);
		}
	}
out:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* ---- MSHV_IOEVENTFD -------------------------------------------------------------- */

/* pt->lock held. */
static void graves_sweep_locked(struct sim_partition *pt)
{
	size_t i = 0;

	while (i < pt->nioeventfd_graves) {
		struct sim_ioeventfd_grave *g = &pt->ioeventfd_graves[i];

		if (!hv_partition_doorbells_retired(pt->hv, g->gen)) {
			i++;
			continue;
		}
		own_close(g->fd);
		*g = pt->ioeventfd_graves[--pt->nioeventfd_graves];
	}
	atomic_store(&pt->ioeventfd_graves_pending, pt->nioeventfd_graves);
}

void sim_ioeventfd_graves_sweep(struct sim_partition *pt)
{
	if (!atomic_load(&pt->ioeventfd_graves_pending))
		return;
	pthread_mutex_lock(&pt->lock);
	graves_sweep_locked(pt);
	pthread_mutex_unlock(&pt->lock);
}

/*
 * MSHV_IOEVENTFD: flags and reserved bytes (EINVAL), port IO (EOPNOTSUPP,
 * also for deassign), then deassign (ENOENT when nothing matches the
 * eventfd, address, length and datamatch) or assign: length 0/1/2/4/8,
 * no wrap (EINVAL), an eventfd, no entry with the same address and length
 * whose datamatch could equal this one (EEXIST). Every change is handed to
 * the hypervisor layer's doorbells (pt->lock held).
 */
long sim_partition_ioeventfd(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_ioeventfd a;
	bool datamatch;
	size_t i;
	long err;

	err = copy_from_user(&a, uarg, sizeof(a));
	if (err)
		return err;
	if ((a.flags & ~MSHV_IOEVENTFD_FLAGS_MASK) || a.rsvd[0] || a.rsvd[1] || a.rsvd[2] || a.rsvd[3])
		return -EINVAL;
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_PIO))
		return -EOPNOTSUPP;
	datamatch = a.flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH);
	if (a.flags & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)) {
		err = eventfd_check(a.fd);
		if (err)
			return err;
		pthread_mutex_lock(&pt->lock);
		err = -ENOENT;
		for (i = 0; i < pt->nioeventfds; i++) {
			struct hv_doorbell *e = &pt->ioeventfds[i];

			if (e->gpa == a.addr && e->len == a.len && e->has_datamatch == datamatch &&
			    (!datamatch || e->datamatch == a.datamatch) && sim_same_file(e->eventfd, a.fd)) {
				struct sim_ioeventfd_grave *graves = realloc(
					pt->ioeventfd_graves, (pt->nioeventfd_graves + 1) * sizeof(*graves));
				int fd = e->eventfd;

				if (!graves) {
					err = -ENOMEM;
					break;
				}
				pt->ioeventfd_graves = graves;
				pt->ioeventfds[i] = pt->ioeventfds[--pt->nioeventfds];
				graves[pt->nioeventfd_graves].fd = fd;
				graves[pt->nioeventfd_graves++].gen =
					hv_partition_set_doorbells(pt->hv, pt->ioeventfds, pt->nioeventfds);
				graves_sweep_locked(pt); /* mostly closed at once: no VP runs an older set */
				err = 0;
				break;
			}
		}
		goto out_locked;
	}
	if ((a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8) || a.addr + a.len < a.addr)
		return -EINVAL;
	err = eventfd_check(a.fd);
	if (err)
		return err;
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->nioeventfds; i++) {
		struct hv_doorbell *e = &pt->ioeventfds[i];

		if (e->gpa == a.addr && e->len == a.len &&
		    (!datamatch || !e->has_datamatch || e->datamatch == a.datamatch)) {
			err = -EEXIST;
			goto out_locked;
		}
	}
	if (pt->nioeventfds == SIM_MAX_IOEVENTFDS) {
		err = -ENOSPC;
		goto out_locked;
	}
	{
		struct hv_doorbell *e = &pt->ioeventfds[pt->nioeventfds];

		e->eventfd = own_dup(a.fd);
		if (e->eventfd < 0) {
			err = -EMFILE;
			goto out_locked;
		}
		e->gpa = a.addr;
		e->len = a.len;
		e->has_datamatch = datamatch;
		e->datamatch = a.datamatch;
		pt->nioeventfds++;
		hv_partition_set_doorbells(pt->hv, pt->ioeventfds, pt->nioeventfds); /* the VPs learn it */
	}
out_locked:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* ---- MSHV_SET_MSI_ROUTING -------------------------------------------------------- */

/*
 * MSHV_SET_MSI_ROUTING: at most 4096 entries, reserved zero; each GSI below
 * 4096, once, with address_hi zero (EINVAL rejects the whole table and
 * keeps the old one). The new table replaces the old at once.
 */
long sim_partition_msi_routing(struct sim_partition *pt, void *uarg)
{
	struct mshv_user_irq_table head;
	struct mshv_user_irq_entry e;
	struct sim_msi_route *routes;
	const char *ents;
	uint32_t i;
	long err;

	err = copy_from_user(&head, uarg, sizeof(head));
	if (err)
		return err;
	if (head.nr > SIM_MAX_MSI_ROUTES || head.rsvd)
		return -EINVAL;
	ents = (const char *)uarg + sizeof(head);
	routes = calloc(SIM_MAX_MSI_ROUTES, sizeof(*routes));
	if (!routes)
		return -ENOMEM;
	for (i = 0; i < head.nr; i++) {
		err = copy_from_user(&e, ents + (size_t)i * sizeof(e), sizeof(e));
		if (err) {
			free(routes);
			return err;
		}
		if (e.gsi >= SIM_MAX_MSI_ROUTES || e.address_hi || routes[e.gsi].valid) {
			free(routes);
			return -EINVAL;
		}
		routes[e.gsi].valid = true;
		routes[e.gsi].address_lo = e.address_lo;
		routes[e.gsi].address_hi = e.address_hi;
		routes[e.gsi].data = e.data;
	}
	pthread_mutex_lock(&pt->lock);
	free(pt->msi_routes);
	pt->msi_routes = routes;
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

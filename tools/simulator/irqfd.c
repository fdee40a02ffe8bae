/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim: irqfd delivery. One thread per partition (started with its
 * first irqfd) waits on the partition's irqfds; a signalled eventfd is
 * consumed, its GSI looked up in the MSI routing table as it is at that
 * moment, the MSI decoded (x86: destination APIC ID in address bits 19:12,
 * logical destination mode in bit 2; vector in data bits 7:0, delivery
 * mode in 10:8, level trigger in bit 15) and asserted at the target VP,
 * as the driver does with HVCALL_ASSERT_VIRTUAL_INTERRUPT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim.h"

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

void sim_irqfd_inject(struct sim_partition *pt, uint32_t gsi)
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
	sim_assert_interrupt(pt, type, r.data & 0xff, (r.address_lo >> 12) & 0xff, (r.data >> 15) & 1,
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
			close(pt->irqfd_graveyard[i]);
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
				sim_irqfd_inject(pt, gsis[i - 1]);
		}
	}
}

/* Called with pt->lock held after the irqfd set changed. */
int sim_irqfd_changed(struct sim_partition *pt)
{
	if (!pt->irqfd_thread_started) {
		pt->irqfd_control = eventfd(0, EFD_CLOEXEC);
		if (pt->irqfd_control < 0)
			return -errno;
		if (pthread_create(&pt->irqfd_thread, NULL, irqfd_thread, pt)) {
			close(pt->irqfd_control);
			pt->irqfd_control = -1;
			return -EAGAIN;
		}
		pt->irqfd_thread_started = true;
		return 0;
	}
	eventfd_write(pt->irqfd_control, 1);
	return 0;
}

void sim_irqfd_stop(struct sim_partition *pt)
{
	if (!pt->irqfd_thread_started)
		return;
	atomic_store(&pt->irqfd_stop, true);
	eventfd_write(pt->irqfd_control, 1);
	pthread_join(pt->irqfd_thread, NULL);
	close(pt->irqfd_control);
	pt->irqfd_thread_started = false;
}

/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, driver layer: MSHV_CREATE_VP and the VP fd. Running the VP,
 * its state blobs, and which of its pages the fd can map.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver_internal.h"

#define SIM_VP_PAGES MSHV_VP_MMAP_OFFSET_COUNT

/* HvCallCreateVp and the VP's fd (vps_lock held). */
static long create_vp(struct sim_partition *pt, uint32_t index)
{
	struct sim_vp *vp;
	struct sim_file *file;
	uint64_t status;
	int fd, err;

	vp = calloc(1, sizeof(*vp));
	file = vp ? sim_file_new(SIM_FILE_VP, vp) : NULL;
	if (!file) {
		free(vp);
		return -ENOMEM;
	}
	vp->index = index;
	vp->pt = pt;
	vp->backing_fd = -1;
	pthread_mutex_init(&vp->mutex, NULL);
	/* HvCallCreateVp: deposit one page and retry on a memory status (hv_call_create_vp). */
	for (;;) {
		err = hv_vp_create(pt->hv, index, &vp->hv, &status);
		if (err != -ENOMEM || status == HV_STATUS_SUCCESS)
			break;
		err = (int)sim_retry_after(pt, status, 1);
		if (err)
			break;
	}
	if (err) {
		vp->hv = NULL;
		sim_file_put(file);
		return err;
	}
	sim_file_hold(pt->file); /* the fd keeps its partition alive */

	/* The VP's pages live in the fd's memfd, so the VMM's mmap shares them. */
	fd = sim_host->fd_install(file, "anon_inode:mshv_vp", true, SIM_VP_PAGES * SIM_PAGE_SIZE, &vp->backing_fd);
	if (fd < 0) {
		sim_file_put(file);
		return fd;
	}
	vp->pages = sim_host->real_mmap(NULL, 2 * SIM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vp->backing_fd, 0);
	if (vp->pages == MAP_FAILED) {
		vp->pages = NULL;
		close(fd);
		return -ENOMEM;
	}
	hv_vp_attach_pages(vp->hv, (char *)vp->pages + MSHV_VP_MMAP_OFFSET_REGISTERS * SIM_PAGE_SIZE,
			   (char *)vp->pages + MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE * SIM_PAGE_SIZE);
	vp->in_partition = true;
	pt->vps[index] = vp;
	return fd;
}

/*
 * MSHV_CREATE_VP: index below MSHV_MAX_VPS (EINVAL), never used in this
 * partition (EEXIST, even after the VP's fd was closed: the kernel keeps a
 * VP, its hypervisor object and its pages, until the partition is
 * destroyed, and has no way to hand out a second fd for it). The new VP
 * is explicitly suspended, its register page (not for SNP partitions) and
 * intercept message page are live in the fd's mmap.
 */
long sim_partition_create_vp(struct sim_partition *pt, void *uarg)
{
	struct mshv_create_vp args;
	long ret;

	ret = copy_from_user(&args, uarg, sizeof(args));
	if (ret)
		return ret;
	if (args.vp_index >= SIM_MAX_VPS)
		return -EINVAL;
	pthread_mutex_lock(&pt->vps_lock);
	ret = pt->vps[args.vp_index] ? -EEXIST : create_vp(pt, args.vp_index);
	pthread_mutex_unlock(&pt->vps_lock);
	return ret;
}

/* The VP fd's last reference: the partition keeps the VP; the fd's hold on the partition ends. */
void sim_vp_free(struct sim_vp *vp)
{
	struct sim_file *pt_file = vp->hv ? vp->pt->file : NULL;

	if (!vp->in_partition)
		sim_vp_destroy(vp); /* its creation failed */
	sim_file_put(pt_file); /* may destroy the partition, and a VP in it with it */
}

/* The partition's end (or a failed creation): the VP's hypervisor object, pages and memory. */
void sim_vp_destroy(struct sim_vp *vp)
{
	if (vp->hv)
		hv_vp_destroy(vp->hv);
	if (vp->pages)
		munmap(vp->pages, 2 * SIM_PAGE_SIZE);
	pthread_mutex_destroy(&vp->mutex);
	free(vp);
}

/*
 * MSHV_RUN_VP (the VP fd's mutex is held). Releases the suspend that holds
 * the VP (the intercept suspend left by the last message, else the
 * explicit one), runs it to the next intercept, leaves it intercept-
 * suspended and copies the message from the intercept message page. A
 * signal (or a VP still explicitly suspended) gives -EINTR, nothing copied.
 */
static long vp_run(struct sim_vp *vp, void *uarg)
{
	const struct hv_message *msg;
	long ret;

	if (hv_vp_suspended(vp->hv, HV_REGISTER_INTERCEPT_SUSPEND))
		hv_vp_set_suspended(vp->hv, HV_REGISTER_INTERCEPT_SUSPEND, false);
	else
		hv_vp_set_suspended(vp->hv, HV_REGISTER_EXPLICIT_SUSPEND, false);
	ret = hv_vp_run(vp->hv);
	sim_ioeventfd_graves_sweep(vp->pt); /* this VP's old doorbell set is gone */
	if (ret) {
		/* as the driver does on a signal: the register page stays valid */
		hv_vp_set_suspended(vp->hv, HV_REGISTER_EXPLICIT_SUSPEND, true);
		return ret;
	}
	msg = hv_vp_message(vp->hv);
	if (sim_cfg.trace)
		sim_trace("mshv-sim: vp %u: message 0x%08x", vp->index, msg->header.message_type);
	return copy_to_user(uarg, msg, sizeof(struct hv_message));
}

/*
 * MSHV_GET_VP_STATE / MSHV_SET_VP_STATE: type, reserved bytes, buffer size
 * and alignment (EINVAL), user range (EFAULT); the state's size is written
 * back to buf_sz before it is compared with the buffer (EINVAL when larger).
 */
static long vp_state(struct sim_vp *vp, void *uarg, bool set)
{
	struct mshv_get_set_vp_state st;
	uint8_t buf[SIM_PAGE_SIZE];
	uint32_t data_sz;
	void *ubuf;
	size_t len;
	long err;

	err = copy_from_user(&st, uarg, sizeof(st));
	if (err)
		return err;
	if (st.type >= MSHV_VP_STATE_COUNT || st.rsvd[0] || st.rsvd[1] || st.rsvd[2] || !st.buf_sz ||
	    (st.buf_sz & (SIM_PAGE_SIZE - 1)) || (st.buf_ptr & (SIM_PAGE_SIZE - 1)))
		return -EINVAL;
	ubuf = (void *)(uintptr_t)st.buf_ptr;
	if (!user_range_ok(ubuf, st.buf_sz))
		return -EFAULT;
	data_sz = hv_vp_state_size(vp->hv, st.type);
	err = copy_to_user((char *)uarg + offsetof(struct mshv_get_set_vp_state, buf_sz), &data_sz, sizeof(data_sz));
	if (err)
		return err;
	if (data_sz > st.buf_sz)
		return -EINVAL;
	if (data_sz > sizeof(buf))
		return -EINVAL;
	len = data_sz;
	memset(buf, 0, sizeof(buf));
	if (set) {
		err = copy_from_user(buf, ubuf, data_sz);
		if (err)
			return err;
		err = hv_vp_set_state(vp->hv, st.type, buf, len);
	} else {
		err = hv_vp_get_state(vp->hv, st.type, buf, &len);
	}
	if (err)
		return err == -ENOSPC ? -EINVAL : err;
	return set ? 0 : copy_to_user(ubuf, buf, data_sz);
}

/*
 * mmap of a VP fd: the page is chosen by the offset (0 registers, 1
 * intercept message, 2 GHCB); the driver checks neither length nor
 * protection. A page the VP lacks is ENODEV; another offset EINVAL.
 */
int sim_vp_mmap_check(struct sim_vp *vp, off_t offset)
{
	long psz = sysconf(_SC_PAGESIZE);

	if (offset < 0 || offset % psz)
		return -EINVAL;
	switch (offset / psz) {
	case MSHV_VP_MMAP_OFFSET_REGISTERS:
		return hv_vp_has_register_page(vp->hv) ? 0 : -ENODEV;
	case MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE:
		return 0;
	case MSHV_VP_MMAP_OFFSET_GHCB:
		return -ENODEV; /* SEV-SNP GHCB pages are not modelled */
	default:
		return -EINVAL;
	}
}

long sim_vp_ioctl(struct sim_vp *vp, unsigned long request, void *arg)
{
	switch (request) {
	case MSHV_RUN_VP:
		return vp_run(vp, arg);
	case MSHV_GET_VP_STATE:
		return vp_state(vp, arg, false);
	case MSHV_SET_VP_STATE:
		return vp_state(vp, arg, true);
	case MSHV_ROOT_HVCALL:
		return sim_root_hvcall(SIM_FILE_VP, vp->pt, arg);
	default:
		return sim_legacy() ? sim_legacy_vp_ioctl(vp, request, arg) : -ENOTTY;
	}
}

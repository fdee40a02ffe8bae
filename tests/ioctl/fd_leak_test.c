/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * No fd leaks: the process's fd table (/proc/self/fd, numbers and targets)
 * is the same before and after a full create / map / irqfd / ioeventfd /
 * vCPU / device / destroy cycle that also takes every error path of the
 * creating calls. The cycle runs twice: the second run must not need more
 * fds than the first.
 */
#include "common.h"

#include <dirent.h>

#define MAX_FDS 256

static int fd_table(char names[MAX_FDS][64])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300];
		int fd = atoi(e->d_name);
		ssize_t len;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fd >= MAX_FDS)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, names[fd], 63);
		names[fd][len > 0 ? len : 0] = 0;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int tables_equal(char a[MAX_FDS][64], char b[MAX_FDS][64])
{
	int i, same = 1;

	for (i = 0; i < MAX_FDS; i++)
		if (strcmp(a[i], b[i])) {
			fprintf(stderr, "fd %d: before '%s', after '%s'\n", i, a[i], b[i]);
			same = 0;
		}
	return same;
}

static void cycle(void)
{
	struct mshv_system sys;
	struct mshv_create_partition_v2 bad;
	struct mshv_user_mem_region mem;
	struct mshv_create_device cd;
	struct mshv_device dev, dev2;
	struct mshv_vcpu vcpu, vcpu2;
	struct mshv_vm vm, vm2;
	int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC);
	void *ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	__extension__ struct {
		struct mshv_user_irq_table head;
		struct mshv_user_irq_entry entry;
	} level = { { 1, 0 }, { 6, 0xfee00000, 0, 0x8040 } }; /* level-triggered */

	open_or_skip(&sys);
	/* failing creations leave nothing behind */
	memset(&bad, 0, sizeof(bad));
	bad.pt_flags = 1ull << 40;
	CHECK_RET(mshv_system_create_vm_with_args(&sys, &bad, &vm2), -EINVAL);
	CHECK_RET(mshv_system_create_vm_with_type(&sys, 9, &vm2, NULL), -EINVAL);
	CHECK(vm2.fd == -1);
	/* the nested-virtualization bit: on a 6.19-or-later kernel first the
	 * probe that tells 6.19 from 7.0 (which maps and unmaps a guard page) */
	bad.pt_flags = 1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION;
	if (mshv_system_create_vm_with_args(&sys, &bad, &vm2) == 0)
		CHECK_RET(mshv_vm_close(&vm2), 0);
	CHECK(vm2.fd == -1);

	create_initialized_vm(&sys, &vm);
	memset(&mem, 0, sizeof(mem));
	mem.size = 1 << 20;
	mem.userspace_addr = (uintptr_t)ram;
	mem.flags = 3;
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), 0);
	CHECK_RET(mshv_vm_map_user_memory(&vm, &mem), -EEXIST);
	CHECK_RET(mshv_vm_register_irqfd(&vm, efd, 5), 0);
	CHECK_RET(mshv_vm_register_irqfd_with_resample(&vm, rfd, efd, 6), -EINVAL); /* no level route */
	CHECK_RET(mshv_vm_set_msi_routing(&vm, &level.head), 0);
	CHECK_RET(mshv_vm_register_irqfd_with_resample(&vm, rfd, efd, 6), 0);
	CHECK_RET(mshv_vm_register_irqfd(&vm, sys.fd, 7), -EINVAL);
	CHECK_RET(mshv_vm_register_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, 0xd0000000, 0, 0), 0);
	CHECK_RET(mshv_vm_register_ioevent(&vm, efd, MSHV_IOEVENT_MMIO, 0xd0000000, 0, 0), -EEXIST);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu), 0);
	CHECK_RET(mshv_vm_create_vcpu(&vm, 0, &vcpu2), -EEXIST);
	CHECK(vcpu2.fd == -1);
	memset(&cd, 0, sizeof(cd));
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &dev), 0);
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &dev2), -EBUSY);
	CHECK(dev2.fd == -1);
	cd.type = 99;
	CHECK_RET(mshv_vm_create_device(&vm, &cd, &dev2), -ENODEV);

	/* destroy in an order that leaves the partition alive the longest */
	CHECK_RET(mshv_vm_close(&vm), 0);
	CHECK_RET(mshv_device_close(&dev), 0);
	CHECK_RET(mshv_vcpu_close(&vcpu), 0);
	CHECK_RET(mshv_system_close(&sys), 0);
	close(efd);
	close(rfd);
	munmap(ram, 1 << 20);
}

int main(void)
{
	static char before[MAX_FDS][64], after[MAX_FDS][64];
	int n_before, n_after = -1, tries;

	n_before = fd_table(before);
	cycle();
	/* mshv-sim may release an object's fds from its irqfd thread: allow it 2 s */
	for (tries = 0; tries < 200; tries++) {
		memset(after, 0, sizeof(after));
		n_after = fd_table(after);
		if (n_after == n_before)
			break;
		usleep(10000);
	}
	CHECK(n_after == n_before);
	CHECK(tables_equal(before, after));
	cycle();
	memset(after, 0, sizeof(after));
	for (tries = 0; tries < 200 && fd_table(after) != n_before; tries++) {
		memset(after, 0, sizeof(after));
		usleep(10000);
	}
	CHECK(tables_equal(before, after));
	printf("fd table: %d fds before, %d after\n", n_before, n_after);
	return CHECK_REPORT("fd-leak");
}

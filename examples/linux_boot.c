/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * linux_boot: a small VMM that boots an x86_64 Linux kernel (a bzImage,
 * compressed as distributions ship it) with an initramfs, on /dev/mshv or
 * under tools/mshv-sim.
 *
 *     linux_boot [-c VCPUS] [-m MIB] [-a CMDLINE] [-t SECONDS] BZIMAGE INITRD
 *
 * The machine is a PC without firmware, ACPI or PCI, as small as Linux
 * takes it:
 *
 *   - RAM from 0, with the 64 KiB below 1 MiB the PC keeps for itself left
 *     out of the memory map (e820) handed to the kernel.
 *   - The kernel is entered in 64-bit mode (the 64-bit boot protocol of
 *     Documentation/arch/x86/boot.rst): the VMM loads the bzImage's
 *     protected-mode part at its preferred address, fills in the zero page
 *     (boot_params: setup header, e820 map, command line, initramfs), and
 *     starts the boot VP at the image's 64-bit entry with identity-mapped
 *     page tables. The kernel decompresses itself.
 *   - An MP table (Intel MultiProcessor Specification 1.4) tells the
 *     kernel its CPUs, one I/O APIC and how the ISA interrupts reach it.
 *     Every VP is created up front; the ones after the first wait until
 *     the kernel starts them with INIT and STARTUP IPIs (the hypervisor's
 *     virtual local APIC does that); their threads just call MSHV_RUN_VP.
 *   - A 16550A UART at 0x3f8 (ttyS0, IRQ 4) whose output is this program's
 *     standard output. Its interrupt goes through the I/O APIC emulated
 *     here (MMIO at 0xfec00000): each redirection entry the kernel programs
 *     becomes an MSI route (MSHV_SET_MSI_ROUTING), and the UART raising
 *     its line signals an irqfd (MSHV_IRQFD) for that route, so the
 *     interrupt reaches the VP through the kernel's irqfd path.
 *   - A CMOS real-time clock (0x70/0x71) with the host's time, and the two
 *     ways a PC resets: the keyboard controller's 0xfe command (port 0x64;
 *     the kernel's reboot=k) and the reset control register (0xcf9,
 *     reboot=pci). A PC without ACPI cannot switch itself off, so the
 *     guest's way to end the run is to reboot; this program then exits 0.
 *   - Any other port reads as all ones (nothing there) and ignores writes;
 *     other MMIO is refused.
 *
 * The kernel finds the Microsoft Hypervisor through CPUID, as on Azure,
 * and uses its enlightenments (hypercall page, reference TSC page, the
 * frequency MSRs). Exit status: 0 when the guest rebooted, 1 on an error
 * or a guest crash, 2 when the time limit passed, 77 without /dev/mshv.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, pthread_kill, sigaction, eventfd in C99 mode */
#define MSHV_IMPLEMENTATION
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mshv.h"

#define MAX_VCPUS 8
#define DEFAULT_MEM_MIB 256
#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1"

/* Guest physical layout */
#define GDT_GPA 0x1000
#define BOOT_PARAMS_GPA 0x7000
#define PML4_GPA 0x9000
#define PDPT_GPA 0xa000
#define PD_GPA 0xb000 /* four pages: 4 GiB of 2 MiB pages */
#define CMDLINE_GPA 0x20000
#define CMDLINE_MAX 2048
#define MPTABLE_GPA 0x9fc00 /* the last KiB of base memory, where the kernel looks */
#define BASE_MEM_END 0xa0000
#define HIGH_MEM_START 0x100000
#define IOAPIC_GPA 0xfec00000ull
#define LAPIC_GPA 0xfee00000ull

/* The zero page (struct boot_params) and the setup header in it: byte offsets */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1 /* the setup header, copied from the image */
#define BP_SETUP_SECTS 0x1f1
#define BP_VID_MODE 0x1fa
#define BP_HEADER_MAGIC 0x202 /* "HdrS" */
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define E820_RAM 1
#define E820_RESERVED 2

/* Ports */
#define COM1 0x3f8
#define COM1_IRQ 4
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define KBD_COMMAND 0x64
#define KBD_RESET 0xfe
#define RESET_CONTROL 0xcf9

#define IOAPIC_PINS 24

static void put8(__u8 *p, __u8 v) { p[0] = v; }
static void put16(__u8 *p, __u16 v) { memcpy(p, &v, 2); }
static void put32(__u8 *p, __u32 v) { memcpy(p, &v, 4); }
static void put64(__u8 *p, __u64 v) { memcpy(p, &v, 8); }
static __u16 get16(const __u8 *p) { __u16 v; memcpy(&v, p, 2); return v; }
static __u32 get32(const __u8 *p) { __u32 v; memcpy(&v, p, 4); return v; }
static __u64 get64(const __u8 *p) { __u64 v; memcpy(&v, p, 8); return v; }

/* ---- the machine ------------------------------------------------------------------ */

struct uart {
	__u8 ier, lcr, mcr, scr, dll, dlm;
	int thre_pending; /* the "transmitter holding register empty" interrupt, until IIR is read */
	int line;         /* the IRQ line as last driven */
};

struct ioapic {
	__u32 select;
	__u32 id;
	__u64 redir[IOAPIC_PINS];
	int irqfd[IOAPIC_PINS]; /* eventfd per pin that has a device, else -1 */
};

struct machine {
	struct mshv_vm vm;
	__u8 *ram;
	__u64 ram_size;
	unsigned int nr_vcpus;
	pthread_mutex_t lock; /* the devices below: VPs exit on several threads */
	struct uart uart;
	struct ioapic ioapic;
	__u8 cmos_index;
	int done;   /* 1: the guest reset; 2: an error; 3: time is up (__atomic) */
	int crash;  /* what stopped a VP, for the report */
	__u32 crash_msg;
	__u64 crash_rip;
};

struct vcpu_thread {
	struct machine *m;
	struct mshv_vcpu vcpu;
	unsigned int index;
	pthread_t thread;
	int started;
	int exited; /* __atomic */
	unsigned long io, mmio, halt, other; /* exits, for the report */
};

/*
 * The I/O APIC's routes as MSIs: an unmasked redirection entry is a message
 * to the APIC(s) in its destination field, with its vector, delivery mode,
 * destination mode and trigger mode (Intel 82093AA datasheet; the MSI
 * address and data formats of the SDM vol. 3 11.11). Called with m->lock.
 */
static int ioapic_update_routes(struct machine *m)
{
	union {
		struct mshv_user_irq_table t;
		__u8 bytes[sizeof(struct mshv_user_irq_table) + IOAPIC_PINS * sizeof(struct mshv_user_irq_entry)];
	} u;
	unsigned int pin, n = 0;

	memset(&u, 0, sizeof(u));
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		__u64 e = m->ioapic.redir[pin];
		struct mshv_user_irq_entry *r = &u.t.entries[n];

		if (e & (1ull << 16)) /* masked */
			continue;
		r->gsi = pin;
		r->address_lo = 0xfee00000u | (__u32)((e >> 56) << 12) | (__u32)(((e >> 11) & 1) << 2);
		r->address_hi = 0;
		r->data = (__u32)(e & 0xff) | (__u32)(((e >> 8) & 7) << 8) | (__u32)(((e >> 15) & 1) << 15) |
			  (1u << 14);
		n++;
	}
	u.t.nr = n;
	return mshv_vm_set_msi_routing(&m->vm, &u.t);
}

/* An edge on pin: the irqfd the kernel turns into its MSI (nothing when masked, as on the chip). */
static void ioapic_edge(struct machine *m, unsigned int pin)
{
	__u64 one = 1;

	if (m->ioapic.irqfd[pin] >= 0 && !(m->ioapic.redir[pin] & (1ull << 16)))
		if (write(m->ioapic.irqfd[pin], &one, sizeof(one)) != sizeof(one))
			m->done = 2;
}

static __u32 ioapic_read(struct machine *m, __u32 reg)
{
	unsigned int pin;

	switch (reg) {
	case 0: return m->ioapic.id << 24;
	case 1: return 0x11 | ((IOAPIC_PINS - 1) << 16); /* version 0x11, 24 entries */
	case 2: return m->ioapic.id << 24;               /* arbitration id */
	}
	if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
		pin = (reg - 0x10) / 2;
		return (reg & 1) ? (__u32)(m->ioapic.redir[pin] >> 32) : (__u32)m->ioapic.redir[pin];
	}
	return 0xffffffff;
}

static int ioapic_write(struct machine *m, __u32 reg, __u32 val)
{
	unsigned int pin;
	__u64 old;

	if (reg == 0) {
		m->ioapic.id = (val >> 24) & 0xf;
		return 0;
	}
	if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_PINS)
		return 0; /* read-only or nothing there */
	pin = (reg - 0x10) / 2;
	old = m->ioapic.redir[pin];
	if (reg & 1)
		m->ioapic.redir[pin] = (old & 0xffffffffull) | ((__u64)val << 32);
	else /* delivery status (12) and remote IRR (14) are read-only */
		m->ioapic.redir[pin] = (old & (0xffffffff00000000ull | (1u << 12) | (1u << 14))) |
				       (val & ~((1u << 12) | (1u << 14)));
	return m->ioapic.redir[pin] == old ? 0 : ioapic_update_routes(m);
}

/* The UART's interrupt output: an edge to the I/O APIC when it rises (ISA lines are edge-triggered). */
static void uart_update_irq(struct machine *m)
{
	struct uart *u = &m->uart;
	int line = (u->mcr & 0x08) /* OUT2 gates the line on a PC */ && (u->ier & 0x02) && u->thre_pending;

	if (line && !u->line)
		ioapic_edge(m, COM1_IRQ);
	u->line = line;
}

static __u8 uart_read(struct machine *m, unsigned int reg)
{
	struct uart *u = &m->uart;
	__u8 v = 0;

	switch (reg) {
	case 0: v = (u->lcr & 0x80) ? u->dll : 0; break;            /* RBR: never any input */
	case 1: v = (u->lcr & 0x80) ? u->dlm : u->ier; break;
	case 2:                                                       /* IIR, FIFOs on */
		if ((u->ier & 0x02) && u->thre_pending) {
			v = 0xc2;
			u->thre_pending = 0; /* reading IIR with THRE the cause clears it */
		} else {
			v = 0xc1;
		}
		break;
	case 3: v = u->lcr; break;
	case 4: v = u->mcr; break;
	case 5: v = 0x60; break; /* LSR: transmitter empty, never any data */
	case 6:                  /* MSR: in loopback the modem inputs follow MCR */
		v = (u->mcr & 0x10) ? (__u8)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
					     ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4))
				    : 0xb0; /* CTS, DSR, DCD */
		break;
	case 7: v = u->scr; break;
	}
	uart_update_irq(m);
	return v;
}

static void uart_write(struct machine *m, unsigned int reg, __u8 v)
{
	struct uart *u = &m->uart;

	switch (reg) {
	case 0:
		if (u->lcr & 0x80) {
			u->dll = v;
		} else {
			if (!(u->mcr & 0x10)) /* in loopback nothing leaves */
				(void)fwrite(&v, 1, 1, stdout), fflush(stdout);
			u->thre_pending = 1; /* sent at once: the holding register is empty again */
		}
		break;
	case 1:
		if (u->lcr & 0x80) {
			u->dlm = v;
		} else {
			/* enabling the THRE interrupt while the register is empty raises it (16550A) */
			if ((v & 0x02) && !(u->ier & 0x02))
				u->thre_pending = 1;
			u->ier = v & 0x0f;
		}
		break;
	case 2: break; /* FCR: the FIFOs are always on and always empty */
	case 3: u->lcr = v; break;
	case 4: u->mcr = v & 0x1f; break;
	case 7: u->scr = v; break;
	}
	uart_update_irq(m);
}

static __u8 bcd(int v)
{
	return (__u8)(((v / 10) << 4) | (v % 10));
}

/* The CMOS clock: the host's UTC time, BCD, 24-hour mode, never mid-update. */
static __u8 cmos_read(struct machine *m)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (m->cmos_index & 0x7f) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);
	case 0x0a: return 0x26; /* divider on, 1024 Hz; UIP clear */
	case 0x0b: return 0x02; /* 24-hour, BCD */
	case 0x0d: return 0x80; /* valid RAM and time */
	default: return 0;
	}
}

/* A port access; *val in and out. Returns 1 when the guest asked for a reset. */
static int port_io(struct machine *m, __u16 port, unsigned int size, int write, __u32 *val)
{
	int reset = 0;

	pthread_mutex_lock(&m->lock);
	if (port >= COM1 && port < COM1 + 8 && size == 1) {
		if (write)
			uart_write(m, port - COM1, (__u8)*val);
		else
			*val = uart_read(m, port - COM1);
	} else if (port == CMOS_INDEX && size == 1) {
		if (write)
			m->cmos_index = (__u8)*val;
		else
			*val = 0xff;
	} else if (port == CMOS_DATA && size == 1) {
		if (!write)
			*val = cmos_read(m);
	} else if (port == KBD_COMMAND && size == 1 && write && (__u8)*val == KBD_RESET) {
		reset = 1;
	} else if (port == RESET_CONTROL && size == 1 && write && (*val & 0x04)) {
		reset = 1;
	} else if (!write) {
		*val = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
	}
	pthread_mutex_unlock(&m->lock);
	return reset;
}

/* ---- MMIO: the I/O APIC ------------------------------------------------------------ */

static int mmio_read(void *ctx, __u64 gpa, unsigned int size, void *data)
{
	struct machine *m = ctx;
	__u32 v = 0xffffffff;

	if (gpa < IOAPIC_GPA || gpa + size > IOAPIC_GPA + 0x20 || size != 4)
		return -EFAULT;
	pthread_mutex_lock(&m->lock);
	if (gpa == IOAPIC_GPA)
		v = m->ioapic.select;
	else if (gpa == IOAPIC_GPA + 0x10)
		v = ioapic_read(m, m->ioapic.select);
	pthread_mutex_unlock(&m->lock);
	memcpy(data, &v, 4);
	return 0;
}

static int mmio_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
{
	struct machine *m = ctx;
	__u32 v;
	int ret = 0;

	if (gpa < IOAPIC_GPA || gpa + size > IOAPIC_GPA + 0x20 || size != 4)
		return -EFAULT;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&m->lock);
	if (gpa == IOAPIC_GPA)
		m->ioapic.select = v & 0xff;
	else if (gpa == IOAPIC_GPA + 0x10)
		ret = ioapic_write(m, m->ioapic.select, v);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

static void *guest_ram(void *ctx, __u64 gpa, unsigned int size)
{
	struct machine *m = ctx;

	return gpa < m->ram_size && size <= m->ram_size - gpa ? m->ram + gpa : NULL;
}

static const struct mshv_x86_emulator_ops mmio_ops = { mmio_read, mmio_write, guest_ram, NULL, NULL, NULL };

/* ---- running a VP ------------------------------------------------------------------ */

static void stop_all(struct machine *m, int why)
{
	int expected = 0;

	__atomic_compare_exchange_n(&m->done, &expected, why, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct machine *m = t->m;
	struct hv_message msg;
	const struct hv_x64_io_port_intercept_message *io;
	int ret;

	while (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE)) {
		ret = mshv_vcpu_run(&t->vcpu, &msg);
		if (ret == -EINTR)
			continue; /* kicked: look at m->done */
		if (ret < 0) {
			fprintf(stderr, "linux_boot: VP %u: MSHV_RUN_VP: %s\n", t->index, mshv_strerror(ret));
			stop_all(m, 2);
			break;
		}
		io = mshv_msg_io_port(&msg);
		if (io)
			t->io++;
		else if (mshv_msg_memory(&msg))
			t->mmio++;
		else if (mshv_msg_halt(&msg))
			t->halt++;
		else
			t->other++;
		if (io && !io->access_info.string_op) {
			__u32 val = (__u32)io->rax;
			unsigned int size = io->access_info.access_size;
			int write = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;

			if (port_io(m, io->port_number, size, write, &val)) {
				stop_all(m, 1);
				break;
			}
			ret = mshv_vcpu_complete_io(&t->vcpu, io, val, NULL);
		} else if (msg.header.message_type == HVMSG_UNMAPPED_GPA ||
			   msg.header.message_type == HVMSG_GPA_INTERCEPT) {
			ret = mshv_vcpu_emulate_mmio(&t->vcpu, &msg, &mmio_ops, m, NULL, NULL);
			if (ret > 0)
				ret = 0; /* a REP chunk: the VP comes back for the rest */
		} else if (mshv_msg_halt(&msg)) {
			ret = 0; /* the hypervisor holds the VP until an interrupt when it runs again */
		} else {
			const struct hv_x64_intercept_message_header *h = (const void *)msg.u.payload;

			m->crash_msg = msg.header.message_type;
			m->crash_rip = h->rip;
			stop_all(m, 2);
			break;
		}
		if (ret < 0) {
			fprintf(stderr, "linux_boot: VP %u: completing message 0x%x: %s\n", t->index,
				msg.header.message_type, mshv_strerror(ret));
			stop_all(m, 2);
			break;
		}
	}
	__atomic_store_n(&t->exited, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- loading the kernel ------------------------------------------------------------ */

static __u8 *read_file(const char *path, size_t *size)
{
	struct stat st;
	__u8 *buf;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*size = got;
	return buf;
}

/* The MP floating pointer and configuration table at MPTABLE_GPA. */
static void build_mptable(struct machine *m)
{
	__u8 *fp = m->ram + MPTABLE_GPA, *t = fp + 16, *e = t + 44;
	unsigned int i, n = 0, sum;
	__u8 ioapic_id = (__u8)m->nr_vcpus;

	memset(fp, 0, BASE_MEM_END - MPTABLE_GPA);
	for (i = 0; i < m->nr_vcpus; i++, n++, e += 20) { /* processors */
		e[0] = 0;
		e[1] = (__u8)i;                       /* local APIC id = VP index */
		e[2] = 0x14;                          /* its version */
		e[3] = (__u8)(1 | (i == 0 ? 2 : 0));  /* enabled; the first is the bootstrap processor */
		put32(e + 4, 0x600);                  /* CPU signature: family 6 */
		put32(e + 8, 0x201);                  /* features: FPU, APIC */
	}
	e[0] = 1, e[1] = 0, memcpy(e + 2, "ISA   ", 6), e += 8, n++; /* bus 0: ISA */
	e[0] = 2, e[1] = ioapic_id, e[2] = 0x11, e[3] = 1, put32(e + 4, (__u32)IOAPIC_GPA), e += 8, n++;
	for (i = 0; i < 16; i++, n++, e += 8) { /* ISA IRQ i on pin i, bus defaults (edge, high) */
		e[0] = 3, e[1] = 0, put16(e + 2, 0), e[4] = 0, e[5] = (__u8)i, e[6] = ioapic_id, e[7] = (__u8)i;
	}
	/* the local APICs' LINT0 takes external (8259) interrupts, LINT1 NMIs */
	e[0] = 4, e[1] = 3, put16(e + 2, 0), e[4] = 0, e[5] = 0, e[6] = 0xff, e[7] = 0, e += 8, n++;
	e[0] = 4, e[1] = 1, put16(e + 2, 0), e[4] = 0, e[5] = 0, e[6] = 0xff, e[7] = 1, e += 8, n++;

	memcpy(t, "PCMP", 4);
	put16(t + 4, (__u16)(e - t));
	t[6] = 4; /* spec 1.4 */
	memcpy(t + 8, "MSHV.H  ", 8);
	memcpy(t + 16, "LINUX_BOOT  ", 12);
	put16(t + 34, (__u16)n);
	put32(t + 36, (__u32)LAPIC_GPA);
	for (sum = 0, i = 0; i < (unsigned int)(e - t); i++)
		sum += t[i];
	t[7] = (__u8)-sum;

	memcpy(fp, "_MP_", 4);
	put32(fp + 4, MPTABLE_GPA + 16);
	fp[8] = 1; /* 16 bytes */
	fp[9] = 4;
	for (sum = 0, i = 0; i < 16; i++)
		sum += fp[i];
	fp[10] = (__u8)-sum;
}

/*
 * The bzImage's protected-mode part at its preferred address, the initramfs
 * near the top of RAM, the zero page, command line, GDT and page tables.
 * Returns the 64-bit entry point, or 0 (with a message) when the image is
 * not one this can boot.
 */
static __u64 load_linux(struct machine *m, const __u8 *img, size_t img_size, const __u8 *initrd,
			size_t initrd_size, const char *cmdline)
{
	__u8 *bp = m->ram + BOOT_PARAMS_GPA;
	size_t setup_size, kernel_size, hdr_end;
	__u64 load, initrd_gpa, top, i;
	unsigned int n = 0;

	if (img_size < 0x300 || get32(img + BP_HEADER_MAGIC) != 0x53726448 /* "HdrS" */ ||
	    get16(img + BP_VERSION) < 0x20c || !(get16(img + BP_XLOADFLAGS) & XLF_KERNEL_64)) {
		fprintf(stderr, "linux_boot: not a bzImage with a 64-bit entry (boot protocol 2.12+)\n");
		return 0;
	}
	setup_size = ((size_t)(img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4) + 1) * 512;
	kernel_size = img_size - setup_size;
	load = get64(img + BP_PREF_ADDRESS);
	if (setup_size >= img_size || load < HIGH_MEM_START || load + get32(img + BP_INIT_SIZE) > m->ram_size / 2) {
		fprintf(stderr, "linux_boot: the kernel does not fit in %llu MiB\n",
			(unsigned long long)(m->ram_size >> 20));
		return 0;
	}
	memcpy(m->ram + load, img + setup_size, kernel_size);

	top = m->ram_size < 0x40000000ull ? m->ram_size : 0x40000000ull;
	if (get32(img + BP_INITRD_ADDR_MAX) + 1ull < top)
		top = get32(img + BP_INITRD_ADDR_MAX) + 1ull;
	initrd_gpa = (top - initrd_size) & ~0xfffull;
	if (initrd_size > top || initrd_gpa < load + get32(img + BP_INIT_SIZE)) {
		fprintf(stderr, "linux_boot: no room for the initramfs\n");
		return 0;
	}
	memcpy(m->ram + initrd_gpa, initrd, initrd_size);

	/* the zero page: the image's setup header, then what a boot loader fills in */
	memset(bp, 0, 4096);
	hdr_end = 0x202 + img[0x201];
	memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	put16(bp + BP_VID_MODE, 0xffff); /* "normal" */
	put8(bp + BP_TYPE_OF_LOADER, 0xff);
	put8(bp + BP_LOADFLAGS, (__u8)(bp[BP_LOADFLAGS] | LOADED_HIGH | CAN_USE_HEAP));
	put16(bp + BP_HEAP_END_PTR, 0xfe00);
	put32(bp + BP_CMD_LINE_PTR, CMDLINE_GPA);
	put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	put32(bp + BP_RAMDISK_IMAGE, (__u32)initrd_gpa);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (__u32)(initrd_gpa >> 32));
	put32(bp + BP_RAMDISK_SIZE, (__u32)initrd_size);
	put32(bp + BP_EXT_RAMDISK_SIZE, 0);
	snprintf((char *)m->ram + CMDLINE_GPA, CMDLINE_MAX, "%s", cmdline);
	if (strlen(cmdline) >= CMDLINE_MAX || strlen(cmdline) > get32(img + BP_CMDLINE_SIZE)) {
		fprintf(stderr, "linux_boot: command line too long\n");
		return 0;
	}
	/* e820: base memory below the MP table, then everything from 1 MiB */
	put64(bp + BP_E820_TABLE + 20 * n, 0), put64(bp + BP_E820_TABLE + 20 * n + 8, MPTABLE_GPA);
	put32(bp + BP_E820_TABLE + 20 * n++ + 16, E820_RAM);
	put64(bp + BP_E820_TABLE + 20 * n, MPTABLE_GPA), put64(bp + BP_E820_TABLE + 20 * n + 8, BASE_MEM_END - MPTABLE_GPA);
	put32(bp + BP_E820_TABLE + 20 * n++ + 16, E820_RESERVED);
	put64(bp + BP_E820_TABLE + 20 * n, HIGH_MEM_START);
	put64(bp + BP_E820_TABLE + 20 * n + 8, m->ram_size - HIGH_MEM_START);
	put32(bp + BP_E820_TABLE + 20 * n++ + 16, E820_RAM);
	put8(bp + BP_E820_ENTRIES, (__u8)n);

	/* GDT: the boot protocol's __BOOT_CS (0x10, 64-bit code) and __BOOT_DS (0x18) */
	put64(m->ram + GDT_GPA + 0x10, 0x00af9b000000ffffull);
	put64(m->ram + GDT_GPA + 0x18, 0x00cf93000000ffffull);
	/* the first 4 GiB identity-mapped with 2 MiB pages */
	put64(m->ram + PML4_GPA, PDPT_GPA | 0x3);
	for (i = 0; i < 4; i++)
		put64(m->ram + PDPT_GPA + 8 * i, (PD_GPA + 0x1000 * i) | 0x3);
	for (i = 0; i < 4 * 512; i++)
		put64(m->ram + PD_GPA + 8 * i, (i << 21) | 0x83); /* present, writable, 2 MiB */

	build_mptable(m);
	return load + 0x200; /* startup_64 */
}

static void segment(struct mshv_segment_register *s, __u16 selector, __u8 type, __u8 l, __u8 db)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

/* The boot VP at the 64-bit entry: long mode, paging on, RSI = the zero page, interrupts off. */
static int boot_vp_setup(struct mshv_vcpu *vcpu, __u64 entry, __u16 *status)
{
	struct mshv_special_registers s;
	struct mshv_standard_registers r;
	int ret;

	ret = mshv_vcpu_get_sregs(vcpu, &s, status);
	if (ret < 0)
		return ret;
	segment(&s.cs, 0x10, 0xb, 1, 0);
	segment(&s.ds, 0x18, 0x3, 0, 1);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 0x20 - 1;
	s.cr0 = MSHV_X86_CR0_PE | MSHV_X86_CR0_MP | MSHV_X86_CR0_ET | MSHV_X86_CR0_NE | MSHV_X86_CR0_WP |
		MSHV_X86_CR0_AM | MSHV_X86_CR0_PG;
	s.cr3 = PML4_GPA;
	s.cr4 = MSHV_X86_CR4_PAE;
	s.efer = MSHV_X86_EFER_LME | MSHV_X86_EFER_LMA;
	ret = mshv_vcpu_set_sregs(vcpu, &s, status);
	if (ret < 0)
		return ret;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsi = BOOT_PARAMS_GPA;
	r.rflags = 0x2;
	return mshv_vcpu_set_regs(vcpu, &r, status);
}

static void on_kick(int sig)
{
	(void)sig; /* makes MSHV_RUN_VP return -EINTR */
}

static int fail(const char *what, int ret, __u16 hv_status)
{
	const char *name = mshv_hv_status_name(hv_status);

	fprintf(stderr, "linux_boot: %s: %s", what, mshv_strerror(ret));
	if (hv_status)
		fprintf(stderr, " (%s)", name ? name : "?");
	fprintf(stderr, "\n");
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: linux_boot [-c VCPUS] [-m MIB] [-a CMDLINE] [-t SECONDS] BZIMAGE INITRD\n");
}

int main(int argc, char **argv)
{
	static struct machine m;
	static struct vcpu_thread vps[MAX_VCPUS];
	struct mshv_system sys;
	struct mshv_user_mem_region mem;
	struct sigaction sa;
	struct timespec start, now;
	const char *cmdline = DEFAULT_CMDLINE;
	__u8 *img = NULL, *initrd = NULL;
	size_t img_size = 0, initrd_size = 0;
	unsigned long mem_mib = DEFAULT_MEM_MIB, timeout = 0;
	unsigned int i;
	__u64 entry;
	__u16 status = 0;
	int opt, ret, rc = 1;

	m.nr_vcpus = 1;
	while ((opt = getopt(argc, argv, "c:m:a:t:")) != -1) {
		switch (opt) {
		case 'c': m.nr_vcpus = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'm': mem_mib = strtoul(optarg, NULL, 0); break;
		case 'a': cmdline = optarg; break;
		case 't': timeout = strtoul(optarg, NULL, 0); break;
		default: usage(); return 1;
		}
	}
	if (argc - optind != 2 || m.nr_vcpus < 1 || m.nr_vcpus > MAX_VCPUS || mem_mib < 64 || mem_mib > 3072) {
		usage();
		return 1;
	}
	ret = mshv_system_open(&sys);
	if (ret == -ENOENT) {
		printf("SKIP: no /dev/mshv (run it under tools/mshv-sim)\n");
		return 77;
	}
	if (ret < 0)
		return fail("open /dev/mshv", ret, 0);
	m.vm.fd = -1;
	for (i = 0; i < MAX_VCPUS; i++)
		vps[i].vcpu.fd = -1;
	for (i = 0; i < IOAPIC_PINS; i++)
		m.ioapic.irqfd[i] = -1, m.ioapic.redir[i] = 1ull << 16; /* masked at reset */
	m.ioapic.id = m.nr_vcpus;
	pthread_mutex_init(&m.lock, NULL);
	if (!(img = read_file(argv[optind], &img_size)) || !(initrd = read_file(argv[optind + 1], &initrd_size)))
		goto out;

	m.ram_size = (__u64)mem_mib << 20;
	m.ram = mmap(NULL, m.ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m.ram == MAP_FAILED) {
		perror("linux_boot: mmap");
		goto out;
	}
	entry = load_linux(&m, img, img_size, initrd, initrd_size, cmdline);
	if (!entry)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("linux_boot: sigaction");
		goto out;
	}
	if ((ret = mshv_system_create_vm(&sys, &m.vm, &status)) < 0 || (ret = mshv_vm_initialize(&m.vm)) < 0) {
		fail("create VM", ret, status);
		goto out;
	}
	memset(&mem, 0, sizeof(mem));
	mem.size = m.ram_size;
	mem.userspace_addr = (__u64)(uintptr_t)m.ram;
	mem.flags = MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE);
	if ((ret = mshv_vm_map_user_memory(&m.vm, &mem)) < 0) {
		fail("map guest memory", ret, 0);
		goto out;
	}
	/* the UART's pin: an eventfd the kernel turns into the pin's MSI */
	m.ioapic.irqfd[COM1_IRQ] = eventfd(0, EFD_CLOEXEC);
	if (m.ioapic.irqfd[COM1_IRQ] < 0 ||
	    (ret = mshv_vm_register_irqfd(&m.vm, m.ioapic.irqfd[COM1_IRQ], COM1_IRQ)) < 0) {
		fail("irqfd", m.ioapic.irqfd[COM1_IRQ] < 0 ? -errno : ret, 0);
		goto out;
	}
	for (i = 0; i < m.nr_vcpus; i++) {
		vps[i].m = &m;
		vps[i].index = i;
		if ((ret = mshv_vm_create_vcpu(&m.vm, i, &vps[i].vcpu)) < 0) {
			fail("create VP", ret, 0);
			goto out;
		}
	}
	if ((ret = boot_vp_setup(&vps[0].vcpu, entry, &status)) < 0) {
		fail("boot VP registers", ret, status);
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < m.nr_vcpus; i++) {
		if (pthread_create(&vps[i].thread, NULL, vcpu_main, &vps[i]) != 0) {
			stop_all(&m, 2);
			break;
		}
		vps[i].started = 1;
	}
	while (!__atomic_load_n(&m.done, __ATOMIC_ACQUIRE)) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && (unsigned long)(now.tv_sec - start.tv_sec) >= timeout)
			stop_all(&m, 3);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* the other VPs are in MSHV_RUN_VP: a signal takes each out, and it sees m.done */
	for (i = 0; i < m.nr_vcpus; i++) {
		if (!vps[i].started)
			continue;
		while (!__atomic_load_n(&vps[i].exited, __ATOMIC_ACQUIRE)) {
			struct timespec tick = { 0, 1000 * 1000 };

			pthread_kill(vps[i].thread, SIGUSR1);
			nanosleep(&tick, NULL);
		}
		pthread_join(vps[i].thread, NULL);
	}
	fflush(stdout);
	for (i = 0; i < m.nr_vcpus; i++)
		fprintf(stderr, "linux_boot: VP %u: %lu port IO, %lu MMIO, %lu HLT, %lu other exits\n", i, vps[i].io,
			vps[i].mmio, vps[i].halt, vps[i].other);
	switch (m.done) {
	case 1:
		fprintf(stderr, "linux_boot: the guest reset after %.2f s; done\n",
			(double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9);
		rc = 0;
		break;
	case 3:
		fprintf(stderr, "linux_boot: no reset within %lu s\n", timeout);
		rc = 2;
		break;
	default:
		if (m.crash_msg)
			fprintf(stderr, "linux_boot: a VP stopped with %s at rip 0x%llx\n",
				mshv_hv_message_type_name(m.crash_msg) ? mshv_hv_message_type_name(m.crash_msg) : "?",
				(unsigned long long)m.crash_rip);
		break;
	}
out:
	for (i = 0; i < MAX_VCPUS; i++)
		mshv_vcpu_close(&vps[i].vcpu);
	if (m.ioapic.irqfd[COM1_IRQ] >= 0)
		close(m.ioapic.irqfd[COM1_IRQ]);
	mshv_vm_close(&m.vm);
	mshv_system_close(&sys);
	free(img);
	free(initrd);
	return rc;
}

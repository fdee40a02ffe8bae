/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv.h - a header-only C99 API for Linux's /dev/mshv, the interface through
 * which Linux, running as the root partition of the Microsoft Hypervisor,
 * creates and runs guest VMs. Its version: MSHV_VERSION_MAJOR, _MINOR and
 * _PATCH below.
 *
 * Contents: this comment (the manual), then the section banners of the
 * files, in order:
 *
 *   Quick start: a complete run loop
 *   Compile-time options
 *   Contracts: return values, NULL, hypercall status, EINTR, threads, releases
 *   Function index
 *   mshv.h        Kernel interface, part 1: upstream <linux/mshv.h>
 *                 Kernel interface, part 2: in-kernel devices
 *                 Kernel interface, part 3: the 6.6-era downstream ABI
 *                 Every request number
 *                 Names and messages
 *                 Handles and defaults
 *                 Prototypes of this file's functions
 *                 The ioctl layer
 *                 The architecture's own part
 *   mshv_x86_64.h MSRs and the hypervisor registers that hold them
 *                 Register sets of mshv-ioctls' VcpuFd
 *                 x86 instruction decoding and emulation for memory intercepts
 *                 The x86_64 part of the ioctl layer
 *                 Prototypes of the x86_64 functions
 *   mshv_arm64.h  Registers and the arm64 part of the ioctl layer
 *                 Prototypes of the arm64 functions
 *
 * Two layers. Without MSHV_IMPLEMENTATION you get the bindings layer: every
 * type, constant and request number of the kernel interface (<linux/mshv.h>,
 * upstream and the 6.6-era downstream ABI) and of the hypervisor
 * (mshv_hv_defs.h), and the functions that make no system call (names,
 * message views, the x86 decoder and emulator). With it, the ioctl layer:
 * the handles' system calls. Names are those of the kernel and of
 * Microsoft's hv headers (struct hv_message, HVMSG_X64_IO_PORT_INTERCEPT,
 * HV_X64_REGISTER_RIP, MSHV_CREATE_PARTITION), with the kernel's layout on
 * x86_64 and arm64.
 *
 * The kernel names are those of the newest upstream header (Linux 7.1);
 * where the 6.6-era downstream kernel gave a name another meaning, that
 * meaning is *_LEGACY (MSHV_GET_VP_REGISTERS_LEGACY, ...). A system
 * <linux/mshv.h> of any upstream release may be included before or after
 * this header: mshv.h includes it itself when it can, each definition is
 * made once, and the system header's values are the ones in force.
 *
 * Files, each included once: mshv.h (this: kernel interface, bindings,
 * ioctl layer), mshv_hv_defs.h (hypervisor definitions, generated from
 * hv-headers/, included first), mshv_x86_64.h or mshv_arm64.h (the
 * architecture's part, included last; not for direct inclusion).
 * tools/amalgamate.py pastes them into one file for vendoring.
 *
 * ---- Quick start: a complete run loop ----------------------------------------
 *
 * A real-mode guest at the reset vector writes 'A' to port 0x80, stores it
 * to guest physical 0x1000 (no RAM there: an MMIO intercept) and halts.
 * x86_64; error handling cut to the bone. The tests take this text from
 * here, compile it with -std=c99 -pedantic-errors -Wall -Wextra -Werror
 * and run it on mshv-sim as every kernel release (tests/manual/).
 *
 * BEGIN SNIPPET
 *     #define _DEFAULT_SOURCE // MAP_ANONYMOUS, in strict C99
 *     #define MSHV_IMPLEMENTATION
 *     #include "mshv.h"
 *     #include <stdio.h>
 *     #include <string.h>
 *     #include <sys/mman.h>
 *
 *     static int mmio_write(void *ctx, __u64 gpa, unsigned int size, const void *data)
 *     {
 *         (void)ctx; // the ctx argument of mshv_vcpu_emulate_mmio()
 *         printf("MMIO write at 0x%llx: %u byte(s), 0x%02x\n", (unsigned long long)gpa, size, *(const __u8 *)data);
 *         return 0; // or -errno, which mshv_vcpu_emulate_mmio() returns
 *     }
 *
 *     int main(void)
 *     {
 *         int ret;
 *         static const __u8 code[] = { 0xe6, 0x80, 0xa2, 0x00, 0x10, 0xf4 }; // out %al,$0x80; mov %al,0x1000; hlt
 *         struct mshv_x86_emulator_ops ops = { NULL, mmio_write, NULL, NULL, NULL, NULL };
 *         __u8 *ram = (__u8 *)mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
 *         struct mshv_user_mem_region mem = { 0x1000, 0xfffff, (__u64)(uintptr_t)ram, // the reset vector's page
 *             MSHV_SET_BITS(__u8, MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE), { 0 } };
 *         struct mshv_system sys; struct mshv_vm vm; struct mshv_vcpu vcpu; struct hv_message msg;
 *         const struct hv_x64_io_port_intercept_message *io;
 *
 *         if (ram == MAP_FAILED || mshv_system_open(&sys) < 0 || mshv_system_create_vm(&sys, &vm, NULL) < 0 ||
 *             mshv_vm_initialize(&vm) < 0 || mshv_vm_map_user_memory(&vm, &mem) < 0 || mshv_vm_create_vcpu(&vm, 0, &vcpu) < 0)
 *             return 1;
 *         memcpy(ram + 0xff0, code, sizeof(code)); // at CS.base 0xffff0000 + IP 0xfff0, where a VP starts
 *         for (ret = mshv_vcpu_set_register64(&vcpu, HV_X64_REGISTER_RAX, 'A', NULL); ret >= 0;) {
 *             if ((ret = mshv_vcpu_run(&vcpu, &msg)) == -EINTR)
 *                 continue; // a signal interrupted the VP: run it again
 *             if (ret < 0 || mshv_msg_halt(&msg))
 *                 break;
 *             if ((io = mshv_msg_io_port(&msg)) != NULL)
 *                 printf("OUT to port 0x%x: 0x%02x\n", io->port_number, (unsigned int)(io->rax & 0xff));
 *             ret = io ? mshv_vcpu_complete_io(&vcpu, io, 0, NULL) // RIP past the OUT (an IN: RAX too)
 *                      : mshv_vcpu_emulate_mmio(&vcpu, &msg, &ops, NULL, NULL, NULL); // the MOV, through ops
 *         }
 *         printf("%s\n", ret < 0 ? mshv_strerror(ret) : "HLT");
 *         mshv_vcpu_close(&vcpu), mshv_vm_close(&vm), mshv_system_close(&sys); // each fd, once
 *         return ret < 0;
 *     }
 * END SNIPPET
 *
 * ---- Compile-time options --------------------------------------------------------
 *
 * Each is a macro defined before the first #include of mshv.h in a
 * translation unit (or with -D). "Every TU": it changes types or
 * signatures, so all files of a program that pass mshv types to each
 * other must agree on it; the others may differ from file to file.
 *
 *   MSHV_IMPLEMENTATION   compile the ioctl layer in this TU. The wrappers
 *                         are `static inline`, so every C or C++ file that
 *                         calls one defines it: there is no single
 *                         "implementation file" unless you make one (below).
 *   MSHV_INLINE           storage class of every function; default `static
 *                         inline`. Define it empty (or to a visibility
 *                         attribute) together with MSHV_IMPLEMENTATION in ONE
 *                         C file to emit every function as a real symbol (a
 *                         shared library, another language's FFI); the other
 *                         files then use MSHV_INLINE_DECL_ONLY. `inline` (C99
 *                         inline definitions) compiles warning-free as well.
 *   MSHV_INLINE_DECL_ONLY prototypes of every function of both layers (in
 *                         C++ with extern "C") and no definitions, for the
 *                         files of a program one C file of which defines them
 *                         as above. MSHV_INLINE then defaults to nothing
 *                         (extern functions). tests/manual/ links two files
 *                         so.
 *   MSHV_HOT_INLINE       storage class of the run loop's functions (run,
 *                         message views, intercept completion); default
 *                         MSHV_INLINE plus always_inline (GCC, clang) when
 *                         MSHV_INLINE is the default, else MSHV_INLINE. The
 *                         loop then compiles into the caller with no call
 *                         but the ioctl.
 *   MSHV_NO_SYSTEM_HEADER every TU: do not include the system's
 *                         <linux/mshv.h> from here (see "Kernel interface,
 *                         part 1").
 *   MSHV_ABI              per TU with MSHV_IMPLEMENTATION: pin the kernel
 *                         release instead of probing it (MSHV_ABI_AUTO,
 *                         _UPSTREAM, _LEGACY, _6_15, _6_19, _7_0; see "Kernel
 *                         releases and MSHV_ABI").
 *   MSHV_HVCALL_EAGAIN_RETRIES  per TU: how often a hypercall is made again
 *                         after 6.15-6.18's -EAGAIN (default 64; see
 *                         "Hypercall status" below).
 *   MSHV_X86_REP_CHUNK    per TU: most iterations of a REP string
 *                         instruction one emulation carries out (default 256;
 *                         a nonzero st->rep_chunk overrides it per call).
 *   MSHV_PACKED           every TU: the packed attribute of the hypervisor
 *                         records; default __attribute__((__packed__)).
 *   MSHV_FLEX_ARRAY       every TU: the dimension of a flexible array member;
 *                         default empty in C, 0 in C++.
 *
 * ---- Contracts -------------------------------------------------------------------
 *
 * Return values: every function of the ioctl layer returns >= 0 on
 * success or -errno; no function allocates, prints, sets errno for the
 * caller or keeps global state. Arguments the library can judge
 * (alignment, sizes, overflow, flags, reserved fields) are checked before
 * any system call and give -EINVAL (-EBADF for a negative fd).
 * mshv_strerror() turns any return value into a message. Each function's
 * comment ends with an Errors: line: first what the library itself
 * returns, then "kernel:" what the ioctl passes through. Any ioctl may
 * also give -EFAULT (a bad pointer inside an argument), -EBADF or -ENOTTY
 * (a closed fd, or an fd of another kind), listed only where they mean
 * more.
 *
 * NULL pointers: every pointer a function takes - the handle (struct
 * mshv_system/vm/vcpu/device *), a struct argument, a buffer, an out
 * pointer - is -EINVAL when NULL, checked before any system call and
 * before anything is written, whatever a count says (a NULL buffer with
 * count 0 is -EINVAL too). The exceptions say so: `__u16 *hv_status` and
 * the access_result of mshv_vcpu_gpa_read/write() are optional (NULL: not
 * wanted), as is post_message_direct's args->message when args->length is
 * 0. Functions that answer with a pointer or a count rather than an errno
 * (the message views mshv_msg_*(), mshv_msg_instruction_bytes(),
 * mshv_vcpu_reg_page_valid()) answer NULL or 0. A function that is handed
 * a NULL handle and an out handle still marks the out handle closed (fd
 * -1) when it can. tests/ioctl/null_args_test.c calls every public
 * function with NULL in each pointer parameter.
 *
 * Hypercall status: functions that issue a hypercall (through
 * MSHV_ROOT_HVCALL) take a last argument `__u16 *hv_status` (NULL: not
 * wanted) that receives the hypervisor's HV_STATUS_* code. It is
 * HV_STATUS_SUCCESS when the hypercall succeeded or was never made (the
 * library or the kernel refused the call first: the return value says why).
 * The status is the precise answer; the return value is the errno the
 * kernel makes of it, which depends on the release
 * (mshv_hv_status_to_errno_kernel()):
 *
 *   6.6-era     -EINVAL, -EACCES, -EBADFD or -ENOTRECOVERABLE
 *               (mshv_hv_status_to_errno_legacy()).
 *   6.15-6.19   -EINVAL, -ENOMEM (HV_STATUS_INSUFFICIENT_MEMORY only) or
 *               -EIO (all else, the other "insufficient memory" statuses too).
 *   7.0 on      -EINVAL, -ENOMEM (HV_STATUS_INSUFFICIENT_MEMORY,
 *               _ROOT_MEMORY, _CONTIGUOUS_MEMORY, _CONTIGUOUS_ROOT_MEMORY)
 *               or -EIO (mshv_hv_status_to_errno()).
 *
 * Hypervisor memory: when a hypercall needs more, 6.19 and later deposit
 * it and call again inside the kernel (-ENOMEM if a deposit fails). 6.15-
 * 6.18 deposit one page and fail the ioctl with -EAGAIN (status
 * HV_STATUS_INSUFFICIENT_MEMORY); the library then calls again, at most
 * MSHV_HVCALL_EAGAIN_RETRIES times, and when those run out returns what
 * 6.19 would end with: -ENOMEM and HV_STATUS_INSUFFICIENT_MEMORY. A failed
 * deposit is -ENOMEM there too. Functions below say "hypercall errors as
 * in Hypercall status" for all this.
 *
 * EINTR: mshv_vcpu_run() returns -EINTR when a signal arrives for the
 * thread that runs the VP (the VP stops; call it again). The library never
 * retries -EINTR itself.
 *
 * Threads: the library has no global state; calls on different handles
 * may run on any threads at once. A struct mshv_vcpu is written by its
 * register calls (quirks), and its register page is the VP's: use a VP
 * handle from one thread at a time (the kernel serialises a VP's ioctls
 * anyway), normally the thread that runs it. mshv_system_create_vm*() may
 * refine sys->kernel: not on one system handle from two threads at once.
 * Partition and device handles are not written after they are made: share
 * them. Closing a handle another thread uses is the caller's race, as with
 * close(2).
 *
 * Kernel releases: the driver families behind /dev/mshv (6.6-era
 * downstream, upstream 6.15-6.18, 6.19, 7.0 on) differ in ioctls,
 * argument sizes and errnos. The ioctl layer learns the release once per
 * system handle with probes that change nothing, or MSHV_ABI pins it; see
 * "Kernel releases" (MSHV_KERNEL_*) and "Kernel releases and MSHV_ABI"
 * below. A call a release lacks fails as its Errors: line says (mostly
 * -ENOTTY).
 *
 * ---- Function index ----------------------------------------------------------------
 *
 * Every public function, one line each, by the handle it takes
 * (tests/manual/header_manual.py checks that this list and the headers'
 * functions are the same). [x86], [arm64]: that architecture only.
 *
 * System: struct mshv_system, /dev/mshv
 *     mshv_system_open                          open /dev/mshv, learn the kernel release
 *     mshv_system_from_fd                       take an open /dev/mshv fd, learn the release
 *     mshv_system_close                         close /dev/mshv
 *     mshv_system_hvcall                        the caller's MSHV_ROOT_HVCALL on /dev/mshv
 *     mshv_system_get_host_partition_property   a root partition property (hypercall)
 *     mshv_system_get_host_partition_property_ex  ... with an argument (hypercall)
 *     mshv_system_get_vmm_caps                  the host's VMM capabilities
 *     mshv_system_default_synthetic_features    default synthetic features the host can give
 *     mshv_system_default_partition_args        the creation argument of a default partition
 *     mshv_system_create_vm                     create a default partition
 *     mshv_system_create_vm_with_type           ... of a type (normal, SEV-SNP)
 *     mshv_system_create_vm_with_args           ... from a creation argument
 *     mshv_system_get_msr_index_list            [x86] every MSR a VMM may save (no syscall)
 *
 * Partition: struct mshv_vm, a partition fd
 *     mshv_vm_from_fd                           take an existing partition fd
 *     mshv_vm_close                             close the partition fd
 *     mshv_vm_initialize                        MSHV_INITIALIZE_PARTITION
 *     mshv_vm_hvcall                            the caller's MSHV_ROOT_HVCALL
 *     mshv_vm_get_partition_property            a partition property (hypercall)
 *     mshv_vm_get_partition_property_ex         ... with an argument (hypercall)
 *     mshv_vm_set_partition_property            set a partition property (hypercall)
 *     mshv_vm_install_intercept                 intercept a kind of guest access (hypercall)
 *     mshv_vm_register_deliverability_notifications  notify when a VP can take an interrupt
 *     mshv_vm_set_guest_memory                  MSHV_SET_GUEST_MEMORY as given (map or unmap)
 *     mshv_vm_map_user_memory                   map host memory into guest physical space
 *     mshv_vm_unmap_user_memory                 unmap such a region
 *     mshv_vm_irqfd                             MSHV_IRQFD as given
 *     mshv_vm_register_irqfd                    an eventfd that injects an MSI
 *     mshv_vm_register_irqfd_with_resample      ... level-triggered, with a resample eventfd
 *     mshv_vm_unregister_irqfd                  remove an irqfd
 *     mshv_vm_ioeventfd                         MSHV_IOEVENTFD as given
 *     mshv_vm_register_ioevent                  an eventfd signalled by a guest MMIO write
 *     mshv_vm_unregister_ioevent                remove an ioeventfd
 *     mshv_vm_set_msi_routing                   replace the MSI routing table
 *     mshv_vm_get_gpap_access_bitmap            accessed/dirty bits of guest pages
 *     mshv_vm_get_dirty_log                     dirty bits of a memory range, in batches
 *     mshv_vm_enable_dirty_page_tracking        start dirty page tracking (hypercall)
 *     mshv_vm_disable_dirty_page_tracking       stop it (hypercall)
 *     mshv_vm_modify_gpa_host_access            host access to guest pages (6.6-era)
 *     mshv_vm_import_isolated_pages             import SEV-SNP pages (6.6-era)
 *     mshv_vm_complete_isolated_import          finish the SEV-SNP import (6.6-era)
 *     mshv_vm_issue_psp_guest_request           forward a guest's PSP request (6.6-era)
 *     mshv_vm_sev_snp_ap_create                 start an SEV-SNP AP from its VMSA (6.6-era)
 *     mshv_vm_create_vcpu                       create a VP, map its register page
 *     mshv_vm_create_device                     create an in-kernel device
 *     mshv_vm_request_virtual_interrupt         [x86] assert an interrupt (hypercall)
 *     mshv_vm_signal_event_direct               [x86] set a SynIC event flag (hypercall)
 *     mshv_vm_post_message_direct               [x86] post a SynIC message (hypercall)
 *     mshv_vm_get_msr_index_list                [x86] the MSRs this partition has
 *
 * VP: struct mshv_vcpu, a VP fd
 *     mshv_vcpu_close                           unmap the register page, close the VP fd
 *     mshv_vcpu_hvcall                          the caller's MSHV_ROOT_HVCALL
 *     mshv_vcpu_run                             run until the next intercept message
 *     mshv_vcpu_get_registers                   registers by name (hypercall)
 *     mshv_vcpu_set_registers                   set registers by name (hypercall)
 *     mshv_vcpu_get_register                    one register by name
 *     mshv_vcpu_set_register64                  one 64-bit register
 *     mshv_vcpu_set_registers64                 64-bit {name, value} pairs
 *     mshv_vcpu_get_registers_legacy            registers by the 6.6-era ioctl
 *     mshv_vcpu_set_registers_legacy            set registers by the 6.6-era ioctl
 *     mshv_vcpu_translate_gva                   guest virtual -> guest physical
 *     mshv_vcpu_gpa_read                        read up to 16 bytes of guest memory (6.6-era)
 *     mshv_vcpu_gpa_write                       write up to 16 bytes of guest memory (6.6-era)
 *     mshv_vcpu_get_vp_state                    MSHV_GET_VP_STATE: one state component
 *     mshv_vcpu_set_vp_state                    MSHV_SET_VP_STATE
 *     mshv_vcpu_get_regs                        general registers (register page or hypercall)
 *     mshv_vcpu_set_regs                        set them
 *     mshv_vcpu_reg_page_valid                  [x86] the register page holds the registers now
 *     mshv_vcpu_get_sregs                       [x86] segment, table, control registers
 *     mshv_vcpu_set_sregs                       [x86] set them
 *     mshv_vcpu_get_fpu                         [x86] x87, MMX, XMM state
 *     mshv_vcpu_set_fpu                         [x86] set it
 *     mshv_vcpu_get_debug_regs                  [x86] DR0-3, DR6, DR7
 *     mshv_vcpu_set_debug_regs                  [x86] set them
 *     mshv_vcpu_get_vcpu_events                 [x86] pending events, interrupt state
 *     mshv_vcpu_set_vcpu_events                 [x86] set them
 *     mshv_vcpu_get_xcrs                        [x86] XCR0
 *     mshv_vcpu_set_xcrs                        [x86] set XCR0
 *     mshv_vcpu_get_misc_regs                   [x86] hypercall MSR, interrupt vectors
 *     mshv_vcpu_set_misc_regs                   [x86] set them
 *     mshv_vcpu_get_suspend_regs                [x86] explicit and intercept suspend
 *     mshv_vcpu_set_sev_control_register        [x86] HV_X64_REGISTER_SEV_CONTROL
 *     mshv_vcpu_get_msrs                        [x86] MSRs through their registers
 *     mshv_vcpu_set_msrs                        [x86] set MSRs
 *     mshv_vcpu_get_lapic                       [x86] the local APIC's registers
 *     mshv_vcpu_set_lapic                       [x86] set them
 *     mshv_vcpu_get_xsave                       [x86] the XSAVE area
 *     mshv_vcpu_set_xsave                       [x86] set it
 *     mshv_vcpu_get_all_vp_state_components     [x86] every state component
 *     mshv_vcpu_set_all_vp_state_components     [x86] set them
 *     mshv_vcpu_get_cpuid_values                [x86] what CPUID returns in the VP
 *     mshv_vcpu_register_intercept_result_cpuid_entry  [x86] a CPUID result to return
 *     mshv_vcpu_register_intercept_result_cpuid_masked  [x86] ... with masks: bits cleared too
 *     mshv_vcpu_register_intercept_result_cpuid [x86] ... for a list of entries
 *     mshv_vcpu_set_rip                         [x86] RIP = value (register page or hypercall)
 *     mshv_vcpu_advance_rip                     [x86] resume after the intercepted instruction
 *     mshv_vcpu_set_gpr_and_rip                 [x86] one general register and RIP
 *     mshv_vcpu_complete_io                     [x86] finish a port-IO intercept
 *     mshv_vcpu_complete_msr                    [x86] finish an MSR intercept (RDMSR: EDX:EAX too)
 *     mshv_vcpu_complete_cpuid                  [x86] finish a CPUID intercept (EAX-EDX and RIP)
 *     mshv_vcpu_inject_exception                [x86] make the VP take an exception (hypercall)
 *     mshv_vcpu_emulate_mmio                    [x86] finish a memory intercept by emulation
 *     mshv_vcpu_emulate_string_io               [x86] finish an INS/OUTS intercept by emulation
 *     mshv_vcpu_get_reg_list                    [arm64] the system registers to save
 *     mshv_vcpu_mmio_store_value                [arm64] the value an intercepted store writes
 *     mshv_vcpu_complete_mmio                   [arm64] finish a memory intercept
 *
 * Device: struct mshv_device, an in-kernel device fd
 *     mshv_device_from_fd                       take an existing device fd
 *     mshv_device_close                         close it
 *     mshv_device_set_attr                      MSHV_SET_DEVICE_ATTR
 *     mshv_device_has_attr                      MSHV_HAS_DEVICE_ATTR (either numbering)
 *     mshv_device_get_attr                      MSHV_GET_DEVICE_ATTR (6.6-era)
 *
 * Bindings layer: no handle, no system call
 *     mshv_strerror                             a message for any return value
 *     mshv_hv_status_name                       HV_STATUS_* -> its name
 *     mshv_hvcall_name                          HVCALL_* -> its name
 *     mshv_hv_message_type_name                 HVMSG_* -> its name
 *     mshv_hv_partition_property_name           HV_PARTITION_PROPERTY_* -> its name
 *     mshv_hv_intercept_type_name               HV_INTERCEPT_TYPE_* -> its name
 *     mshv_ioctl_name                           an mshv request number -> its name
 *     mshv_hv_status_to_errno                   a status -> the errno of 7.0 and later
 *     mshv_hv_status_to_errno_legacy            ... of the 6.6-era kernel
 *     mshv_hv_status_to_errno_kernel            ... of a given release
 *     mshv_msg_instruction_bytes                an intercept's instruction bytes
 *     mshv_x86_msr_to_register                  [x86] the hypervisor register of an MSR
 *     mshv_x86_regs_from_gpr                    [x86] general registers, encoding order -> struct
 *     mshv_x86_regs_to_gpr                      [x86] ... struct -> encoding order
 *     mshv_arm64_decode_data_abort              [arm64] a data abort's access, from its syndrome
 *     mshv_arm64_mmio_load_value                [arm64] a load's register value
 *
 * Message views: the payload of a struct hv_message as its type, or NULL
 *     mshv_msg_memory                           memory intercept (unmapped GPA, GPA intercept)
 *     mshv_msg_hypercall                        hypercall intercept
 *     mshv_msg_unrecoverable_exception          unrecoverable exception
 *     mshv_msg_io_port                          [x86] port IO
 *     mshv_msg_gpa_attribute                    [x86] GPA attribute intercept
 *     mshv_msg_cpuid                            [x86] CPUID
 *     mshv_msg_msr                              [x86] RDMSR/WRMSR
 *     mshv_msg_exception                        [x86] exception
 *     mshv_msg_halt                             [x86] HLT
 *     mshv_msg_apic_eoi                         [x86] APIC EOI
 *     mshv_msg_interruption_deliverable         [x86] interruption deliverable
 *     mshv_msg_sint_deliverable                 [x86] SINT deliverable
 *     mshv_msg_sipi                             [x86] SIPI
 *     mshv_msg_invalid_vp_register              [x86] invalid VP register value
 *     mshv_msg_unsupported_feature              [x86] unsupported feature
 *     mshv_msg_vmgexit                          [x86] SEV VMGEXIT
 *     mshv_msg_opaque                           [x86] opaque intercept
 *     mshv_msg_reset                            [arm64] reset intercept
 *
 * x86 instruction emulator (bindings layer)
 *     mshv_x86_mode_of                          an intercept's code mode (16, 32, 64)
 *     mshv_x86_decode                           decode one instruction
 *     mshv_x86_insn_address                     a decoded memory operand's offset
 *     mshv_x86_emulate                          carry out a decoded instruction
 *
 * ---- End of the manual -------------------------------------------------------------
 */
#ifndef MSHV_H
#define MSHV_H

/* This header's version (tests/manual/ checks it against meson.build and CHANGELOG.md). */
#define MSHV_VERSION_MAJOR 0
#define MSHV_VERSION_MINOR 1
#define MSHV_VERSION_PATCH 0
/* A version as one number that grows with it (minor and patch below 1000), usable in #if. */
#define MSHV_VERSION_NUMBER(major, minor, patch) ((major) * 1000000L + (minor) * 1000L + (patch))
#define MSHV_VERSION MSHV_VERSION_NUMBER(MSHV_VERSION_MAJOR, MSHV_VERSION_MINOR, MSHV_VERSION_PATCH)
/* Whether this mshv.h is version major.minor.patch or later: #if MSHV_VERSION_AT_LEAST(0, 1, 0). */
#define MSHV_VERSION_AT_LEAST(major, minor, patch) (MSHV_VERSION >= MSHV_VERSION_NUMBER(major, minor, patch))

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "mshv.h: /dev/mshv exists on x86_64 and arm64 (aarch64) only; this architecture is not supported"
#endif

#include <errno.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/ioctl.h>

#include "mshv_hv_defs.h"

#if defined(MSHV_INLINE_DECL_ONLY) && defined(__cplusplus)
extern "C" { /* the functions are defined by a C file */
#endif

#ifndef MSHV_INLINE
#ifdef MSHV_INLINE_DECL_ONLY
#define MSHV_INLINE /* prototypes of the functions another file defines */
#else
#define MSHV_INLINE static inline
#define MSHV__DEFAULT_INLINE 1
#endif
#endif
#ifndef MSHV_HOT_INLINE
/* always_inline only on the default `static inline`: it needs an inline function with a body at hand */
#if defined(__GNUC__) && defined(MSHV__DEFAULT_INLINE)
#define MSHV_HOT_INLINE MSHV_INLINE __attribute__((__always_inline__))
#else
#define MSHV_HOT_INLINE MSHV_INLINE
#endif
#endif

/* Compile-time assertion usable at file scope in C99 and C++. */
#define MSHV__CONCAT2(a, b) a##b
#define MSHV__CONCAT(a, b) MSHV__CONCAT2(a, b)
#define MSHV_STATIC_ASSERT(cond, tag) \
	typedef char MSHV__CONCAT(mshv__static_assert_, tag)[(cond) ? 1 : -1]

/* ========================================================================
 * Kernel interface, part 1: upstream <linux/mshv.h>, as of Linux 7.1
 *
 * Include order does not matter, and the system's values win:
 *   - When the compiler can look (__has_include) and a <linux/mshv.h> is on
 *     the include path, it is included here, first; define
 *     MSHV_NO_SYSTEM_HEADER before including mshv.h to stop that.
 *   - What that header (or one the caller included before mshv.h: its guard
 *     is _LINUX_MSHV_H when installed, _UAPI_LINUX_MSHV_H in a kernel tree)
 *     already defines is not defined again. The upstream header grew by
 *     release, so each later group below is guarded by a macro that arrived
 *     in the same release: an older system header gets the newer groups
 *     from here.
 *   - Enumerators added to an existing enum (the partition flag bits of
 *     6.19 and 7.0) cannot be added to the system's enum; they become
 *     macros with the same value. MSHV_PT_BIT_COUNT and MSHV_PT_FLAGS_MASK
 *     stay the system header's (3 before 6.19, 4 in 6.19, 6 from 7.0): the
 *     ioctl layer uses neither.
 *   - Both guards are defined at the end, so a later #include
 *     <linux/mshv.h> (installed or from a kernel tree) is a no-op.
 * ======================================================================== */
#if !defined(MSHV_NO_SYSTEM_HEADER) && !defined(_LINUX_MSHV_H) && !defined(_UAPI_LINUX_MSHV_H) && \
	defined(__has_include)
#if __has_include(<linux/mshv.h>)
#include <linux/mshv.h>
#endif
#endif

#if !defined(_LINUX_MSHV_H) && !defined(_UAPI_LINUX_MSHV_H)
#define MSHV__OWN_UAPI 1 /* no system header: everything below is ours */

/* ---- Linux 6.15: the first upstream header ---- */

#define MSHV_IOCTL 0xB8

/*
 * /dev/mshv: partition creation flags (bit numbers) and isolation types.
 * Bits 3 (6.19) and 4, 5 (7.0) were first the 6.6-era downstream kernel's.
 */
enum {
	MSHV_PT_BIT_LAPIC,
	MSHV_PT_BIT_X2APIC,
	MSHV_PT_BIT_GPA_SUPER_PAGES,
	MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES, /* 6.19: struct mshv_create_partition_v2 */
	MSHV_PT_BIT_NESTED_VIRTUALIZATION,  /* 7.0 */
	MSHV_PT_BIT_SMT_ENABLED_GUEST,      /* 7.0 */
	MSHV_PT_BIT_COUNT
};

#define MSHV_PT_FLAGS_MASK ((1 << MSHV_PT_BIT_COUNT) - 1)

enum {
	MSHV_PT_ISOLATION_NONE,
	MSHV_PT_ISOLATION_COUNT
};

/* Argument of MSHV_CREATE_PARTITION; the ioctl returns the partition fd. */
struct mshv_create_partition {
	__u64 pt_flags;     /* 1 << MSHV_PT_BIT_* */
	__u64 pt_isolation; /* MSHV_PT_ISOLATION_* */
};

#define MSHV_CREATE_PARTITION _IOW(MSHV_IOCTL, 0x00, struct mshv_create_partition)

/* Partition fd */
struct mshv_create_vp {
	__u32 vp_index;
};

enum {
	MSHV_SET_MEM_BIT_WRITABLE,
	MSHV_SET_MEM_BIT_EXECUTABLE,
	MSHV_SET_MEM_BIT_UNMAP,
	MSHV_SET_MEM_BIT_COUNT
};

#define MSHV_SET_MEM_FLAGS_MASK ((1 << MSHV_SET_MEM_BIT_COUNT) - 1)

/* Page size of the hypervisor, whatever the kernel's page size. */
#define MSHV_HV_PAGE_SIZE 0x1000

/*
 * Argument of MSHV_SET_GUEST_MEMORY: maps (or, with MSHV_SET_MEM_BIT_UNMAP,
 * unmaps) size bytes of the caller's memory at userspace_addr to guest page
 * guest_pfn. size and userspace_addr are multiples of MSHV_HV_PAGE_SIZE;
 * regions never overlap, in guest or user space; an unmap names an existing
 * region exactly; rsvd is zero.
 */
struct mshv_user_mem_region {
	__u64 size;
	__u64 guest_pfn;
	__u64 userspace_addr;
	__u8 flags;   /* 1 << MSHV_SET_MEM_BIT_* */
	__u8 rsvd[7];
};

enum {
	MSHV_IRQFD_BIT_DEASSIGN,
	MSHV_IRQFD_BIT_RESAMPLE,
	MSHV_IRQFD_BIT_COUNT
};

#define MSHV_IRQFD_FLAGS_MASK ((1 << MSHV_IRQFD_BIT_COUNT) - 1)

/* Argument of MSHV_IRQFD: an eventfd that injects the MSI routed at gsi. */
struct mshv_user_irqfd {
	__s32 fd;
	__s32 resamplefd; /* with MSHV_IRQFD_BIT_RESAMPLE: signalled on EOI */
	__u32 gsi;
	__u32 flags;      /* 1 << MSHV_IRQFD_BIT_* */
};

enum {
	MSHV_IOEVENTFD_BIT_DATAMATCH,
	MSHV_IOEVENTFD_BIT_PIO,
	MSHV_IOEVENTFD_BIT_DEASSIGN,
	MSHV_IOEVENTFD_BIT_COUNT
};

#define MSHV_IOEVENTFD_FLAGS_MASK ((1 << MSHV_IOEVENTFD_BIT_COUNT) - 1)

/* Argument of MSHV_IOEVENTFD: a guest write to addr signals fd. */
struct mshv_user_ioeventfd {
	__u64 datamatch;
	__u64 addr;   /* MMIO (or PIO) address */
	__u32 len;    /* 1, 2, 4 or 8 */
	__s32 fd;
	__u32 flags;  /* 1 << MSHV_IOEVENTFD_BIT_* */
	__u8 rsvd[4];
};

/* One MSI route: gsi -> (address, data). */
struct mshv_user_irq_entry {
	__u32 gsi;
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
};

/* Argument of MSHV_SET_MSI_ROUTING: replaces the whole table. */
struct mshv_user_irq_table {
	__u32 nr;
	__u32 rsvd;
	__extension__ struct mshv_user_irq_entry entries[MSHV_FLEX_ARRAY];
};

enum {
	MSHV_GPAP_ACCESS_TYPE_ACCESSED,
	MSHV_GPAP_ACCESS_TYPE_DIRTY,
	MSHV_GPAP_ACCESS_TYPE_COUNT
};

enum {
	MSHV_GPAP_ACCESS_OP_NOOP,
	MSHV_GPAP_ACCESS_OP_CLEAR,
	MSHV_GPAP_ACCESS_OP_SET,
	MSHV_GPAP_ACCESS_OP_COUNT
};

/*
 * Argument of MSHV_GET_GPAP_ACCESS_BITMAP: reads one bit per guest page
 * (accessed or dirty) for page_count pages from gpap_base into the buffer at
 * bitmap_ptr ((page_count + 7) / 8 bytes), then optionally clears or sets
 * those states.
 */
struct mshv_gpap_access_bitmap {
	__u8 access_type; /* MSHV_GPAP_ACCESS_TYPE_* */
	__u8 access_op;   /* MSHV_GPAP_ACCESS_OP_* */
	__u8 rsvd[6];
	__u64 page_count;
	__u64 gpap_base;
	__u64 bitmap_ptr;
};

/*
 * Argument of MSHV_ROOT_HVCALL: issues hypercall `code` with the input at
 * in_ptr (in_sz bytes, rep data included) and the output buffer at out_ptr.
 * reps: in, the rep count; out, reps completed. status: out, the HV_STATUS_*.
 * Sizes are at most MSHV_HV_PAGE_SIZE; status and rsvd are zero on input. On
 * a partition or VP fd the kernel fills in the partition id.
 */
struct mshv_root_hvcall {
	__u16 code;
	__u16 reps;
	__u16 in_sz;
	__u16 out_sz;
	__u16 status;
	__u8 rsvd[6];
	__u64 in_ptr;
	__u64 out_ptr;
};

#define MSHV_INITIALIZE_PARTITION   _IO(MSHV_IOCTL, 0x00)
#define MSHV_CREATE_VP              _IOW(MSHV_IOCTL, 0x01, struct mshv_create_vp)
#define MSHV_SET_GUEST_MEMORY       _IOW(MSHV_IOCTL, 0x02, struct mshv_user_mem_region)
#define MSHV_IRQFD                  _IOW(MSHV_IOCTL, 0x03, struct mshv_user_irqfd)
#define MSHV_IOEVENTFD              _IOW(MSHV_IOCTL, 0x04, struct mshv_user_ioeventfd)
#define MSHV_SET_MSI_ROUTING        _IOW(MSHV_IOCTL, 0x05, struct mshv_user_irq_table)
#define MSHV_GET_GPAP_ACCESS_BITMAP _IOWR(MSHV_IOCTL, 0x06, struct mshv_gpap_access_bitmap)
#define MSHV_ROOT_HVCALL            _IOWR(MSHV_IOCTL, 0x07, struct mshv_root_hvcall)

/* VP fd */
#define MSHV_RUN_VP_BUF_SZ 256

/*
 * Pages a VP fd can mmap(): the offset is the value times the system page
 * size (sysconf(_SC_PAGESIZE)), the length MSHV_HV_PAGE_SIZE.
 */
enum {
	MSHV_VP_MMAP_OFFSET_REGISTERS,
	MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE,
	MSHV_VP_MMAP_OFFSET_GHCB,
	MSHV_VP_MMAP_OFFSET_COUNT
};

/* Argument of MSHV_RUN_VP: receives the intercept message (struct hv_message). */
struct mshv_run_vp {
	__u8 msg_buf[MSHV_RUN_VP_BUF_SZ];
};

enum {
	MSHV_VP_STATE_LAPIC,            /* local interrupt controller */
	MSHV_VP_STATE_XSAVE,            /* x86_64: XSAVE area, compacted format */
	MSHV_VP_STATE_SIMP,
	MSHV_VP_STATE_SIEFP,
	MSHV_VP_STATE_SYNTHETIC_TIMERS,
	MSHV_VP_STATE_COUNT
};

/*
 * Argument of MSHV_GET_VP_STATE and MSHV_SET_VP_STATE. buf_ptr and buf_sz
 * are 4 KiB aligned; on output buf_sz is the size of the state (compare it
 * when the call fails with EINVAL: the buffer was too small).
 */
struct mshv_get_set_vp_state {
	__u8 type;    /* MSHV_VP_STATE_* */
	__u8 rsvd[3];
	__u32 buf_sz;
	__u64 buf_ptr;
};

#define MSHV_RUN_VP       _IOR(MSHV_IOCTL, 0x00, struct mshv_run_vp)
#define MSHV_GET_VP_STATE _IOWR(MSHV_IOCTL, 0x01, struct mshv_get_set_vp_state)
#define MSHV_SET_VP_STATE _IOWR(MSHV_IOCTL, 0x02, struct mshv_get_set_vp_state)
/* MSHV_ROOT_HVCALL (above) also works on a VP fd. */

#endif /* no system header */

/* ---- Linux 6.19: partition creation with CPU and XSAVE features ---- */
#ifndef MSHV_NUM_CPU_FEATURES_BANKS

#define MSHV_NUM_CPU_FEATURES_BANKS 2

/*
 * MSHV_CREATE_PARTITION's argument when pt_flags has
 * 1 << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES. The request number still encodes
 * the 16-byte struct mshv_create_partition: the kernel reads those 16
 * bytes, and only when that bit is set the whole 64. pt_num_cpu_fbanks is
 * MSHV_NUM_CPU_FEATURES_BANKS; pt_cpu_fbanks are the processor features to
 * *disable* (bits of union hv_partition_processor_features), and on x86_64
 * pt_disabled_xsave the XSAVE features to disable, both handed to the
 * hypervisor unchanged; the reserved fields are zero.
 */
struct mshv_create_partition_v2 {
	__u64 pt_flags;
	__u64 pt_isolation;
	__u16 pt_num_cpu_fbanks;
	__u8 pt_rsvd[6];
	__u64 pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
	__u64 pt_rsvd1[2];
#if defined(__x86_64__)
	__u64 pt_disabled_xsave;
#else
	__u64 pt_rsvd2;
#endif
} MSHV_PACKED;

#endif /* MSHV_NUM_CPU_FEATURES_BANKS */

/*
 * ---- Linux 6.19: /dev/mshv capabilities and the mshv_vtl driver ----
 *
 * A kernel running in VTL2 (OpenHCL-style paravisors) has the mshv_vtl
 * driver instead of mshv_root: its /dev/mshv answers MSHV_CHECK_EXTENSION
 * and MSHV_CREATE_VTL, the VTL fd runs the lower VTL's VPs. Note that
 * MSHV_GET_VP_REGISTERS and MSHV_SET_VP_REGISTERS here are mshv_vtl's
 * (0x05/0x06); the 6.6-era root driver's are *_LEGACY (part 3).
 */
#ifndef MSHV_CHECK_EXTENSION

/* Capabilities of MSHV_CHECK_EXTENSION (argument: a __u32, result: > 0 when present) */
#define MSHV_CAP_CORE_API_STABLE   0x0
#define MSHV_CAP_REGISTER_PAGE     0x1
#define MSHV_CAP_VTL_RETURN_ACTION 0x2
#define MSHV_CAP_DR6_SHARED        0x3
#define MSHV_MAX_RUN_MSG_SIZE      256

#ifndef MSHV_GET_VP_REGISTERS /* a 6.6-era system header gave these names the other meaning */
/* Argument of mshv_vtl's MSHV_GET_VP_REGISTERS/MSHV_SET_VP_REGISTERS: one register. */
struct mshv_vp_registers {
	__u32 count;    /* 1 */
	__u32 reserved;
	__u64 regs_ptr; /* struct hv_register_assoc * */
};
#define MSHV_GET_VP_REGISTERS _IOWR(MSHV_IOCTL, 0x05, struct mshv_vp_registers)
#define MSHV_SET_VP_REGISTERS _IOW(MSHV_IOCTL, 0x06, struct mshv_vp_registers)
#endif

/* MSHV_SINT_SET_EVENTFD: the eventfd a synthetic interrupt signals. */
struct mshv_vtl_set_eventfd {
	__s32 fd;
	__u32 flag;
};

/* MSHV_SINT_SIGNAL_EVENT: signal an event flag on a connection. */
struct mshv_vtl_signal_event {
	__u32 connection_id;
	__u32 flag;
};

/* MSHV_SINT_POST_MESSAGE: post a message (payload_size <= HV_MESSAGE_PAYLOAD_BYTE_COUNT). */
struct mshv_vtl_sint_post_msg {
	__u64 message_type;
	__u32 connection_id;
	__u32 payload_size;
	__u64 payload_ptr;
};

/* MSHV_ADD_VTL0_MEMORY: guest pages [start_pfn, last_pfn) (last_pfn excluded). */
struct mshv_vtl_ram_disposition {
	__u64 start_pfn;
	__u64 last_pfn;
};

/* MSHV_SET_POLL_FILE: a file polled while a CPU runs the lower VTL. */
struct mshv_vtl_set_poll_file {
	__u32 cpu;
	__u32 fd;
};

/* MSHV_HVCALL_SETUP: the hypercalls the hvcall fd may make (a bitmap of bitmap_array_size bytes). */
struct mshv_vtl_hvcall_setup {
	__u64 bitmap_array_size;
	__u64 allow_bitmap_ptr;
};

/* MSHV_HVCALL: one hypercall through the hvcall fd; status is the output. */
struct mshv_vtl_hvcall {
	__u64 control;
	__u64 input_size;
	__u64 input_ptr;
	__u64 status;
	__u64 output_size;
	__u64 output_ptr;
};

/* MSHV_SINT_PAUSE_MESSAGE_STREAM: mask != 0 pauses. */
struct mshv_sint_mask {
	__u8 mask;
	__u8 reserved[7];
};

/* /dev/mshv */
#define MSHV_CHECK_EXTENSION _IOW(MSHV_IOCTL, 0x00, __u32)

/* mshv_vtl's /dev/mshv and VTL fd */
#define MSHV_CREATE_VTL          _IOR(MSHV_IOCTL, 0x1D, char)
#define MSHV_ADD_VTL0_MEMORY     _IOW(MSHV_IOCTL, 0x21, struct mshv_vtl_ram_disposition)
#define MSHV_SET_POLL_FILE       _IOW(MSHV_IOCTL, 0x25, struct mshv_vtl_set_poll_file)
#define MSHV_RETURN_TO_LOWER_VTL _IO(MSHV_IOCTL, 0x27)

/* mshv_vtl's VMBus (synic) device; 0x25 repeats MSHV_SET_POLL_FILE's number on another fd */
#define MSHV_SINT_SIGNAL_EVENT         _IOW(MSHV_IOCTL, 0x22, struct mshv_vtl_signal_event)
#define MSHV_SINT_POST_MESSAGE         _IOW(MSHV_IOCTL, 0x23, struct mshv_vtl_sint_post_msg)
#define MSHV_SINT_SET_EVENTFD          _IOW(MSHV_IOCTL, 0x24, struct mshv_vtl_set_eventfd)
#define MSHV_SINT_PAUSE_MESSAGE_STREAM _IOW(MSHV_IOCTL, 0x25, struct mshv_sint_mask)

/* mshv_vtl's hvcall device */
#define MSHV_HVCALL_SETUP _IOW(MSHV_IOCTL, 0x1E, struct mshv_vtl_hvcall_setup)
#define MSHV_HVCALL       _IOWR(MSHV_IOCTL, 0x1F, struct mshv_vtl_hvcall)

#endif /* MSHV_CHECK_EXTENSION */

#ifndef MSHV__OWN_UAPI
/* The flag bits a system header before 6.19 (bit 3) or 7.0 (bits 4, 5) lacks. */
#ifndef MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES
#define MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES 3
#endif
#ifndef MSHV_PT_BIT_NESTED_VIRTUALIZATION
#define MSHV_PT_BIT_NESTED_VIRTUALIZATION 4
#endif
#ifndef MSHV_PT_BIT_SMT_ENABLED_GUEST
#define MSHV_PT_BIT_SMT_ENABLED_GUEST 5
#endif
#endif

#ifndef _LINUX_MSHV_H
#define _LINUX_MSHV_H
#endif
#ifndef _UAPI_LINUX_MSHV_H
#define _UAPI_LINUX_MSHV_H
#endif

/* ========================================================================
 * Kernel interface, part 2: in-kernel devices (VFIO passthrough)
 *
 * Upstream numbers under the plain names. The 6.6-era downstream kernel
 * numbered the device-fd ioctls differently; those numbers are below under
 * *_LEGACY names (MSHV_GET_DEVICE_ATTR exists only there).
 * ======================================================================== */
#ifndef MSHV_CREATE_DEVICE

#define MSHV_CREATE_DEVICE_TEST 1 /* flags: only check that the type exists */

enum {
	MSHV_DEV_TYPE_VFIO,
	MSHV_DEV_TYPE_MAX
};

/* Argument of MSHV_CREATE_DEVICE (partition fd); fd is the new device fd. */
struct mshv_create_device {
	__u32 type;  /* MSHV_DEV_TYPE_* */
	__u32 fd;    /* out */
	__u32 flags; /* MSHV_CREATE_DEVICE_TEST */
};

#define MSHV_DEV_VFIO_FILE     1 /* group */
#define MSHV_DEV_VFIO_FILE_ADD 1 /* attributes of that group */
#define MSHV_DEV_VFIO_FILE_DEL 2

/* Argument of the device attribute ioctls (device fd). */
struct mshv_device_attr {
	__u32 flags; /* zero */
	__u32 group; /* device-defined */
	__u64 attr;  /* group-defined */
	__u64 addr;  /* user address of the attribute's data */
};

#define MSHV_CREATE_DEVICE   _IOWR(MSHV_IOCTL, 0x08, struct mshv_create_device)
#define MSHV_SET_DEVICE_ATTR _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)

#endif /* MSHV_CREATE_DEVICE */

/* The device-fd numbers of the upstream ABI, under names that say so. */
#define MSHV_SET_DEVICE_ATTR_UPSTREAM _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR_UPSTREAM _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)
/* ... and of the 6.6-era downstream ABI (as used by mshv-ioctls 0.7.0). */
#define MSHV_SET_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x00, struct mshv_device_attr)
#define MSHV_GET_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x01, struct mshv_device_attr)
#define MSHV_HAS_DEVICE_ATTR_LEGACY   _IOW(MSHV_IOCTL, 0x02, struct mshv_device_attr)
/*
 * Exists only in the downstream ABI. Careful: its number is upstream's
 * MSHV_HAS_DEVICE_ATTR, so issue it only to a kernel known to be 6.6-era.
 */
#ifndef MSHV_GET_DEVICE_ATTR
#define MSHV_GET_DEVICE_ATTR MSHV_GET_DEVICE_ATTR_LEGACY
#endif

/* ========================================================================
 * Kernel interface, part 3: the 6.6-era downstream ABI (Azure Linux), which
 * rust-vmm's mshv-ioctls 0.7.0 drives: SEV-SNP isolation, and the 0xF0+
 * ioctls that predate MSHV_ROOT_HVCALL.
 *
 * Where upstream gives a name another meaning, the plain name is upstream's
 * and the downstream meaning is *_LEGACY: MSHV_PT_ISOLATION_COUNT_LEGACY,
 * MSHV_GET_VP_REGISTERS_LEGACY and MSHV_SET_VP_REGISTERS_LEGACY with struct
 * mshv_vp_registers_legacy, and the device-attribute numbers (part 2);
 * README.md lists every such pair. The plain-named rest is skipped when a
 * 6.6-era system <linux/mshv.h> already defined it.
 * ======================================================================== */

/* The downstream values of names upstream uses too. */
#define MSHV_PT_BIT_COUNT_LEGACY 6       /* upstream 7.0 reached the same bits */
#define MSHV_PT_ISOLATION_COUNT_LEGACY 2 /* NONE and SNP; upstream: 1 */

/*
 * Argument of the 6.6-era VP-fd MSHV_GET_VP_REGISTERS_LEGACY and
 * MSHV_SET_VP_REGISTERS_LEGACY (the crate's struct mshv_vp_registers).
 */
struct mshv_vp_registers_legacy {
	int count; /* at most MSHV_VP_MAX_REGISTERS */
	struct hv_register_assoc *regs;
};

#define MSHV_GET_VP_REGISTERS_LEGACY _IOWR(MSHV_IOCTL, 0xF0, struct mshv_vp_registers_legacy)
#define MSHV_SET_VP_REGISTERS_LEGACY _IOW(MSHV_IOCTL, 0xF1, struct mshv_vp_registers_legacy)

#ifndef MSHV_INSTALL_INTERCEPT

#define MSHV_VP_MAX_REGISTERS       128

/* /dev/mshv sibling ioctl types of the downstream driver */
#define MSHV_DIAG_IOCTL  0xB9
#define MSHV_TRACE_IOCTL 0xBA

/* Isolation type after upstream's MSHV_PT_ISOLATION_NONE */
enum {
	MSHV_PT_ISOLATION_SNP = 1
};

struct mshv_install_intercept {
	__u32 access_type_mask; /* HV_INTERCEPT_ACCESS_MASK_* */
	enum hv_intercept_type intercept_type;
	union hv_intercept_parameters intercept_parameter;
};

struct mshv_assert_interrupt {
	union hv_interrupt_control control;
	__u64 dest_addr;
	__u32 vector;
	__u32 rsvd;
};

struct mshv_translate_gva {
	__u64 gva;
	__u64 flags; /* HV_TRANSLATE_GVA_* */
	union hv_translate_gva_result *result;
	__u64 *gpa;
};

struct mshv_signal_event_direct {
	__u32 vp;
	__u8 vtl;
	__u8 sint;
	__u16 flag;
	__u8 newly_signaled; /* out */
};

struct mshv_post_message_direct {
	__u32 vp;
	__u8 vtl;
	__u8 sint;
	__u16 length;
	__u8 *message;
};

struct mshv_register_deliverabilty_notifications {
	__u32 vp;
	__u32 pad;
	__u64 flag;
};

struct mshv_get_vp_cpuid_values {
	__u32 function;
	__u32 index;
	__u64 xfem;
	__u64 xss;
	__u32 eax; /* out */
	__u32 ebx; /* out */
	__u32 ecx; /* out */
	__u32 edx; /* out */
};

struct mshv_read_write_gpa {
	__u64 base_gpa;
	__u32 byte_count; /* at most 16 */
	__u32 flags;
	__u8 data[16];
};

struct mshv_sev_snp_ap_create {
	__u64 vp_id;
	__u64 vmsa_gpa;
};

struct mshv_issue_psp_guest_request {
	__u64 req_gpa;
	__u64 rsp_gpa;
};

struct mshv_complete_isolated_import {
	union hv_partition_complete_isolated_import_data import_data;
};

enum {
	MSHV_VTL_CAP_BIT_REGISTER_PAGE,
	MSHV_VTL_CAP_BIT_RETURN_ACTION,
	MSHV_VTL_CAP_BIT_DR6_SHARED,
	MSHV_VTL_CAP_BIT_COUNT
};

struct mshv_vtl_capabilities {
	__u64 bits; /* 1 << MSHV_VTL_CAP_BIT_* */
};

/* Argument of MSHV_GET_HOST_PARTITION_PROPERTY and the partition property ioctls. */
struct mshv_partition_property {
	__u64 property_code; /* HV_PARTITION_PROPERTY_* */
	__u64 property_value;
};

enum {
	MSHV_GPA_HOST_ACCESS_BIT_ACQUIRE,
	MSHV_GPA_HOST_ACCESS_BIT_READABLE,
	MSHV_GPA_HOST_ACCESS_BIT_WRITABLE,
	MSHV_GPA_HOST_ACCESS_BIT_LARGE_PAGE,
	MSHV_GPA_HOST_ACCESS_BIT_COUNT
};

struct mshv_modify_gpa_host_access {
	__u8 flags; /* 1 << MSHV_GPA_HOST_ACCESS_BIT_* */
	__u8 rsvd[7];
	__u64 page_count;
	__extension__ __u64 guest_pfns[MSHV_FLEX_ARRAY];
};

enum {
	MSHV_ISOLATED_PAGE_NORMAL,
	MSHV_ISOLATED_PAGE_VMSA,
	MSHV_ISOLATED_PAGE_ZERO,
	MSHV_ISOLATED_PAGE_UNMEASURED,
	MSHV_ISOLATED_PAGE_SECRETS,
	MSHV_ISOLATED_PAGE_CPUID,
	MSHV_ISOLATED_PAGE_COUNT
};

struct mshv_import_isolated_pages {
	__u8 page_type; /* MSHV_ISOLATED_PAGE_* */
	__u8 rsvd[7];
	__u64 page_count;
	__extension__ __u64 guest_pfns[MSHV_FLEX_ARRAY];
};

/* Argument of the downstream tracing ioctls (MSHV_TRACE_IOCTL type). */
struct mshv_trace_config {
	__u32 mode;
	__u32 max_buffers_count;
	__u32 pages_per_buffer;
	__u32 buffers_threshold;
	__u32 time_basis;
	__u64 system_time;
};

/* /dev/mshv */
#define MSHV_GET_HOST_PARTITION_PROPERTY _IOWR(MSHV_IOCTL, 0x01, struct mshv_partition_property)

/* Partition fd */
#define MSHV_MODIFY_GPA_HOST_ACCESS      _IOW(MSHV_IOCTL, 0x09, struct mshv_modify_gpa_host_access)
#define MSHV_IMPORT_ISOLATED_PAGES       _IOW(MSHV_IOCTL, 0x0A, struct mshv_import_isolated_pages)
#define MSHV_INSTALL_INTERCEPT           _IOW(MSHV_IOCTL, 0xF0, struct mshv_install_intercept)
#define MSHV_ASSERT_INTERRUPT            _IOW(MSHV_IOCTL, 0xF1, struct mshv_assert_interrupt)
#define MSHV_SET_PARTITION_PROPERTY      _IOW(MSHV_IOCTL, 0xF2, struct mshv_partition_property)
#define MSHV_GET_PARTITION_PROPERTY      _IOWR(MSHV_IOCTL, 0xF3, struct mshv_partition_property)
#define MSHV_COMPLETE_ISOLATED_IMPORT    _IOW(MSHV_IOCTL, 0xF4, struct mshv_complete_isolated_import)
#define MSHV_ISSUE_PSP_GUEST_REQUEST     _IOW(MSHV_IOCTL, 0xF5, struct mshv_issue_psp_guest_request)
#define MSHV_SEV_SNP_AP_CREATE           _IOW(MSHV_IOCTL, 0xF6, struct mshv_sev_snp_ap_create)
#define MSHV_SIGNAL_EVENT_DIRECT         _IOWR(MSHV_IOCTL, 0xF7, struct mshv_signal_event_direct)
#define MSHV_POST_MESSAGE_DIRECT         _IOW(MSHV_IOCTL, 0xF8, struct mshv_post_message_direct)
#define MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS \
	_IOW(MSHV_IOCTL, 0xF9, struct mshv_register_deliverabilty_notifications)

/* VP fd */
#define MSHV_VP_TRANSLATE_GVA            _IOWR(MSHV_IOCTL, 0xF2, struct mshv_translate_gva)
#define MSHV_GET_VP_CPUID_VALUES         _IOWR(MSHV_IOCTL, 0xF4, struct mshv_get_vp_cpuid_values)
#define MSHV_READ_GPA                    _IOWR(MSHV_IOCTL, 0xF5, struct mshv_read_write_gpa)
#define MSHV_WRITE_GPA                   _IOW(MSHV_IOCTL, 0xF6, struct mshv_read_write_gpa)

#if defined(__x86_64__)
/* Argument of MSHV_VP_REGISTER_INTERCEPT_RESULT (CPUID and MSR results). */
struct mshv_register_intercept_result {
	__u32 intercept_type; /* HV_INTERCEPT_TYPE_X64_CPUID or _MSR */
	union hv_register_intercept_result_parameters parameters;
};

/* VP fd */
#define MSHV_VP_REGISTER_INTERCEPT_RESULT _IOW(MSHV_IOCTL, 0xF3, struct mshv_register_intercept_result)
#endif

#endif /* MSHV_INSTALL_INTERCEPT */

/* The device-creation number of both ABIs (they agree). */
#define MSHV_CREATE_DEVICE_LEGACY   MSHV_CREATE_DEVICE
#define MSHV_CREATE_DEVICE_UPSTREAM MSHV_CREATE_DEVICE

/*
 * A typed view of an intercept message's payload: mshv_msg_<name>(msg) is
 * the payload as struct <type> when the message type satisfies cond (t is
 * the type), else (and for a NULL msg) NULL. The architecture headers define the views.
 * Issues nothing. Errors: none (NULL is the only "no").
 */
#ifdef MSHV_INLINE_DECL_ONLY
#define MSHV__MESSAGE_VIEW(name, type, cond) \
	MSHV_HOT_INLINE const struct type *mshv_msg_##name(const struct hv_message *msg);
#else
#define MSHV__MESSAGE_VIEW(name, type, cond)                                                \
	MSHV_HOT_INLINE const struct type *mshv_msg_##name(const struct hv_message *msg)    \
	{                                                                                   \
		__u32 t = msg ? msg->header.message_type : 0;                               \
		return msg && (cond) ? (const struct type *)(const void *)((const char *)(const void *)msg + \
								    sizeof(struct hv_message_header))          \
			      : NULL;                                                       \
	}
#endif

/* ========================================================================
 * Every request number: X(name, argument size), upstream names first. The
 * list gives mshv_ioctl_name() and checks each number's encoded size
 * (_IOC_SIZE) against its argument at compile time.
 * ======================================================================== */
#define MSHV_IOCTL_NAMES(X) \
	X(MSHV_CREATE_PARTITION, sizeof(struct mshv_create_partition)) \
	X(MSHV_INITIALIZE_PARTITION, 0) \
	X(MSHV_CREATE_VP, sizeof(struct mshv_create_vp)) \
	X(MSHV_SET_GUEST_MEMORY, sizeof(struct mshv_user_mem_region)) \
	X(MSHV_IRQFD, sizeof(struct mshv_user_irqfd)) \
	X(MSHV_IOEVENTFD, sizeof(struct mshv_user_ioeventfd)) \
	X(MSHV_SET_MSI_ROUTING, sizeof(struct mshv_user_irq_table)) \
	X(MSHV_GET_GPAP_ACCESS_BITMAP, sizeof(struct mshv_gpap_access_bitmap)) \
	X(MSHV_ROOT_HVCALL, sizeof(struct mshv_root_hvcall)) \
	X(MSHV_RUN_VP, sizeof(struct mshv_run_vp)) \
	X(MSHV_GET_VP_STATE, sizeof(struct mshv_get_set_vp_state)) \
	X(MSHV_SET_VP_STATE, sizeof(struct mshv_get_set_vp_state)) \
	X(MSHV_CHECK_EXTENSION, sizeof(__u32)) \
	X(MSHV_CREATE_VTL, sizeof(char)) \
	X(MSHV_ADD_VTL0_MEMORY, sizeof(struct mshv_vtl_ram_disposition)) \
	X(MSHV_SET_POLL_FILE, sizeof(struct mshv_vtl_set_poll_file)) \
	X(MSHV_RETURN_TO_LOWER_VTL, 0) \
	X(MSHV_GET_VP_REGISTERS, sizeof(struct mshv_vp_registers)) \
	X(MSHV_SET_VP_REGISTERS, sizeof(struct mshv_vp_registers)) \
	X(MSHV_SINT_SIGNAL_EVENT, sizeof(struct mshv_vtl_signal_event)) \
	X(MSHV_SINT_POST_MESSAGE, sizeof(struct mshv_vtl_sint_post_msg)) \
	X(MSHV_SINT_SET_EVENTFD, sizeof(struct mshv_vtl_set_eventfd)) \
	X(MSHV_SINT_PAUSE_MESSAGE_STREAM, sizeof(struct mshv_sint_mask)) \
	X(MSHV_HVCALL_SETUP, sizeof(struct mshv_vtl_hvcall_setup)) \
	X(MSHV_HVCALL, sizeof(struct mshv_vtl_hvcall)) \
	X(MSHV_CREATE_DEVICE, sizeof(struct mshv_create_device)) \
	X(MSHV_SET_DEVICE_ATTR_UPSTREAM, sizeof(struct mshv_device_attr)) \
	X(MSHV_HAS_DEVICE_ATTR_UPSTREAM, sizeof(struct mshv_device_attr)) \
	X(MSHV_HAS_DEVICE_ATTR_LEGACY, sizeof(struct mshv_device_attr)) \
	X(MSHV_GET_HOST_PARTITION_PROPERTY, sizeof(struct mshv_partition_property)) \
	X(MSHV_MODIFY_GPA_HOST_ACCESS, sizeof(struct mshv_modify_gpa_host_access)) \
	X(MSHV_IMPORT_ISOLATED_PAGES, sizeof(struct mshv_import_isolated_pages)) \
	X(MSHV_INSTALL_INTERCEPT, sizeof(struct mshv_install_intercept)) \
	X(MSHV_ASSERT_INTERRUPT, sizeof(struct mshv_assert_interrupt)) \
	X(MSHV_SET_PARTITION_PROPERTY, sizeof(struct mshv_partition_property)) \
	X(MSHV_GET_PARTITION_PROPERTY, sizeof(struct mshv_partition_property)) \
	X(MSHV_COMPLETE_ISOLATED_IMPORT, sizeof(struct mshv_complete_isolated_import)) \
	X(MSHV_ISSUE_PSP_GUEST_REQUEST, sizeof(struct mshv_issue_psp_guest_request)) \
	X(MSHV_SEV_SNP_AP_CREATE, sizeof(struct mshv_sev_snp_ap_create)) \
	X(MSHV_SIGNAL_EVENT_DIRECT, sizeof(struct mshv_signal_event_direct)) \
	X(MSHV_POST_MESSAGE_DIRECT, sizeof(struct mshv_post_message_direct)) \
	X(MSHV_REGISTER_DELIVERABILITY_NOTIFICATIONS, sizeof(struct mshv_register_deliverabilty_notifications)) \
	X(MSHV_GET_VP_REGISTERS_LEGACY, sizeof(struct mshv_vp_registers_legacy)) \
	X(MSHV_SET_VP_REGISTERS_LEGACY, sizeof(struct mshv_vp_registers_legacy)) \
	X(MSHV_VP_TRANSLATE_GVA, sizeof(struct mshv_translate_gva)) \
	X(MSHV_GET_VP_CPUID_VALUES, sizeof(struct mshv_get_vp_cpuid_values)) \
	X(MSHV_READ_GPA, sizeof(struct mshv_read_write_gpa)) \
	X(MSHV_WRITE_GPA, sizeof(struct mshv_read_write_gpa)) \
	MSHV__IOCTL_NAMES_ARCH(X)
#if defined(__x86_64__)
#define MSHV__IOCTL_NAMES_ARCH(X) \
	X(MSHV_VP_REGISTER_INTERCEPT_RESULT, sizeof(struct mshv_register_intercept_result))
#else
#define MSHV__IOCTL_NAMES_ARCH(X)
#endif

#define MSHV__CHECK_IOC_SIZE(req, size) MSHV_STATIC_ASSERT(_IOC_SIZE(req) == (size), ioc_size_##req);
MSHV_IOCTL_NAMES(MSHV__CHECK_IOC_SIZE)
/* The plain device names are upstream's (or a system header's): check them too. */
MSHV__CHECK_IOC_SIZE(MSHV_SET_DEVICE_ATTR, sizeof(struct mshv_device_attr))
MSHV__CHECK_IOC_SIZE(MSHV_HAS_DEVICE_ATTR, sizeof(struct mshv_device_attr))
MSHV__CHECK_IOC_SIZE(MSHV_GET_DEVICE_ATTR, sizeof(struct mshv_device_attr))

/* ========================================================================
 * Names and messages (bindings layer: no system call, no state)
 * ======================================================================== */

/* One name table lookup: the first entry whose value is v, else NULL. */
#define MSHV__NAME_ENTRY(name) { (unsigned long long)(name), #name },
#define MSHV__NAME_ENTRY2(name, size) { (unsigned long long)(name), #name },
#define MSHV__NAME_LOOKUP(table, v)                                        \
	do {                                                               \
		unsigned int mshv__i;                                      \
		for (mshv__i = 0; mshv__i < sizeof(table) / sizeof(table[0]); mshv__i++) \
			if (table[mshv__i].value == (v))                   \
				return table[mshv__i].name;                \
		return NULL;                                               \
	} while (0)

struct mshv__name {
	unsigned long long value;
	const char *name;
};

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * The name of an HV_STATUS_* code ("HV_STATUS_INVALID_PARAMETER"), or NULL.
 * Errors: none (NULL for an unknown status).
 */
MSHV_INLINE const char *mshv_hv_status_name(unsigned int status)
{
	static const struct mshv__name table[] = {
		MSHV_HV_STATUS_NAMES(MSHV__NAME_ENTRY) MSHV_HV_STATUS_NAMES_ARCH(MSHV__NAME_ENTRY)
	};
	MSHV__NAME_LOOKUP(table, status);
}

/*
 * The name of an HVCALL_* hypercall code, or NULL.
 * Errors: none (NULL for an unknown code).
 */
MSHV_INLINE const char *mshv_hvcall_name(unsigned int code)
{
	static const struct mshv__name table[] = {
		MSHV_HVCALL_NAMES(MSHV__NAME_ENTRY) MSHV_HVCALL_NAMES_ARCH(MSHV__NAME_ENTRY)
	};
	MSHV__NAME_LOOKUP(table, code);
}

/*
 * The name of an HVMSG_* message type (hv_message.header.message_type), or
 * NULL.
 * Errors: none (NULL for an unknown type).
 */
MSHV_INLINE const char *mshv_hv_message_type_name(__u32 type)
{
	static const struct mshv__name table[] = {
		MSHV_HV_MESSAGE_TYPE_NAMES(MSHV__NAME_ENTRY) MSHV_HV_MESSAGE_TYPE_NAMES_ARCH(MSHV__NAME_ENTRY)
	};
	MSHV__NAME_LOOKUP(table, type);
}

/*
 * The name of an HV_PARTITION_PROPERTY_* code, or NULL.
 * Errors: none (NULL for an unknown code).
 */
MSHV_INLINE const char *mshv_hv_partition_property_name(__u32 code)
{
	static const struct mshv__name table[] = {
		MSHV_HV_PARTITION_PROPERTY_NAMES(MSHV__NAME_ENTRY)
		MSHV_HV_PARTITION_PROPERTY_NAMES_ARCH(MSHV__NAME_ENTRY)
	};
	MSHV__NAME_LOOKUP(table, code);
}

/*
 * The name of an HV_INTERCEPT_TYPE_* value, or NULL.
 * Errors: none (NULL for an unknown type).
 */
MSHV_INLINE const char *mshv_hv_intercept_type_name(__u32 type)
{
	static const struct mshv__name table[] = {
		MSHV_HV_INTERCEPT_TYPE_NAMES(MSHV__NAME_ENTRY) MSHV_HV_INTERCEPT_TYPE_NAMES_ARCH(MSHV__NAME_ENTRY)
	};
	MSHV__NAME_LOOKUP(table, type);
}

/*
 * The name of an mshv ioctl request number ("MSHV_CREATE_VP"), or NULL.
 * Numbers are per fd type, so a few coincide and the first name in
 * MSHV_IOCTL_NAMES is given: MSHV_GET_VP_STATE is also /dev/mshv's
 * MSHV_GET_HOST_PARTITION_PROPERTY, MSHV_HAS_DEVICE_ATTR_UPSTREAM the
 * 6.6-era MSHV_GET_DEVICE_ATTR, and MSHV_SET_POLL_FILE mshv_vtl's
 * MSHV_SINT_PAUSE_MESSAGE_STREAM.
 * Errors: none (NULL for an unknown number).
 */
MSHV_INLINE const char *mshv_ioctl_name(unsigned long request)
{
	static const struct mshv__name table[] = { MSHV_IOCTL_NAMES(MSHV__NAME_ENTRY2) };
	MSHV__NAME_LOOKUP(table, request);
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/*
 * Kernel releases: the /dev/mshv driver families a VMM meets (struct
 * mshv_system's kernel, MSHV_ABI). Among the upstream values a larger one
 * means more is known to be there: kernel >= MSHV_KERNEL_6_19_OR_LATER is
 * "at least 6.19".
 *
 *   MSHV_KERNEL_6_6   the 6.6-era downstream driver (Azure Linux;
 *                     mshv-ioctls 0.7.0's ABI).
 *   MSHV_KERNEL_6_15  upstream 6.15-6.18: the 16-byte partition argument
 *                     with flag bits 0-2, no hypercall on /dev/mshv,
 *                     -EAGAIN when the hypervisor needs memory.
 *   MSHV_KERNEL_6_19  upstream 6.19: flag bit 3 (CPU and XSAVE feature
 *                     banks), property reads on /dev/mshv, memory deposited
 *                     by the kernel.
 *   MSHV_KERNEL_7_0   upstream 7.0 and later: flag bits 4 and 5 (nested
 *                     virtualization, SMT), three more "needs memory"
 *                     statuses handled.
 *   MSHV_KERNEL_6_19_OR_LATER  6.19 or 7.0+, not told apart yet: that
 *                     takes a probe, made when a caller asks for bit 4 or 5.
 */
#define MSHV_KERNEL_UNKNOWN 0
#define MSHV_KERNEL_6_6 1
#define MSHV_KERNEL_6_15 2
#define MSHV_KERNEL_6_19_OR_LATER 3
#define MSHV_KERNEL_6_19 4
#define MSHV_KERNEL_7_0 5

#ifndef MSHV_INLINE_DECL_ONLY
/*
 * The errno the newest upstream kernel (7.0 on) turns a hypercall status
 * into (hv_result_to_errno in drivers/hv/hv_common.c): 0, -EINVAL, -ENOMEM
 * or -EIO. Other releases: mshv_hv_status_to_errno_kernel(). Code that
 * needs the reason should look at the status itself.
 * Errors: none (it maps; it issues nothing).
 */
MSHV_INLINE int mshv_hv_status_to_errno(unsigned int status)
{
	switch (status) {
	case HV_STATUS_SUCCESS:
		return 0;
	case HV_STATUS_INVALID_HYPERCALL_CODE:
	case HV_STATUS_INVALID_HYPERCALL_INPUT:
	case HV_STATUS_INVALID_PARAMETER:
	case HV_STATUS_INVALID_PARTITION_ID:
	case HV_STATUS_INVALID_VP_INDEX:
	case HV_STATUS_INVALID_PORT_ID:
	case HV_STATUS_INVALID_CONNECTION_ID:
	case HV_STATUS_INVALID_LP_INDEX:
	case HV_STATUS_INVALID_REGISTER_VALUE:
		return -EINVAL;
	case HV_STATUS_INSUFFICIENT_MEMORY:
	case HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY:      /* Linux 7.0 */
	case HV_STATUS_INSUFFICIENT_ROOT_MEMORY:            /* Linux 7.0 */
	case HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY: /* Linux 7.0 */
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * The errno the 6.6-era downstream kernel turns a hypercall status into
 * (its hv_status_to_errno): 0, -EINVAL, -EACCES, -EBADFD or
 * -ENOTRECOVERABLE.
 * Errors: none (it maps; it issues nothing).
 */
MSHV_INLINE int mshv_hv_status_to_errno_legacy(unsigned int status)
{
	switch (status) {
	case HV_STATUS_SUCCESS:
		return 0;
	case HV_STATUS_INVALID_PARAMETER:
	case HV_STATUS_UNKNOWN_PROPERTY:
	case HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE:
	case HV_STATUS_INVALID_VP_INDEX:
	case HV_STATUS_INVALID_REGISTER_VALUE:
	case HV_STATUS_INVALID_LP_INDEX:
	case HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED:
		return -EINVAL;
	case HV_STATUS_ACCESS_DENIED:
	case HV_STATUS_OPERATION_DENIED:
		return -EACCES;
	case HV_STATUS_NOT_ACKNOWLEDGED:
	case HV_STATUS_INVALID_VP_STATE:
	case HV_STATUS_INVALID_PARTITION_STATE:
		return -EBADFD;
	default:
		return -ENOTRECOVERABLE;
	}
}

/*
 * The errno a failed hypercall's status becomes on release `kernel`
 * (MSHV_KERNEL_*): mshv_hv_status_to_errno_legacy() on MSHV_KERNEL_6_6;
 * on 6.15-6.19 as mshv_hv_status_to_errno() but -EIO for
 * HV_STATUS_INSUFFICIENT_ROOT_MEMORY, _CONTIGUOUS_MEMORY and
 * _CONTIGUOUS_ROOT_MEMORY (which 7.0 made -ENOMEM); for a release not
 * known exactly (MSHV_KERNEL_UNKNOWN, _6_19_OR_LATER) the newest mapping.
 * Errors: none (it maps; it issues nothing).
 */
MSHV_INLINE int mshv_hv_status_to_errno_kernel(unsigned int status, unsigned int kernel)
{
	if (kernel == MSHV_KERNEL_6_6)
		return mshv_hv_status_to_errno_legacy(status);
	if ((kernel == MSHV_KERNEL_6_15 || kernel == MSHV_KERNEL_6_19) &&
	    (status == HV_STATUS_INSUFFICIENT_ROOT_MEMORY || status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY ||
	     status == HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY))
		return -EIO;
	return mshv_hv_status_to_errno(status);
}

/*
 * A message for any return value of this library: "success" for ret >= 0,
 * otherwise what -ret means for an mshv caller. Constant strings, no
 * allocation, safe from any thread.
 * Errors: none (a message for every value).
 */
MSHV_INLINE const char *mshv_strerror(int ret)
{
	static const struct {
		int err;
		const char *msg;
	} table[] = {
		{ EPERM, "operation not permitted (EPERM)" },
		{ ENOENT, "no such file or object (ENOENT); from mshv_system_open: /dev/mshv does not exist: "
		     "Linux is not running as the root partition of the Microsoft Hypervisor, or mshv_root "
		     "is not loaded" },
		{ EINTR, "interrupted by a signal (EINTR): call again" },
		{ EIO, "I/O error (EIO): the hypervisor refused the call; see its HV_STATUS" },
		{ EBADF, "bad file descriptor (EBADF)" },
		{ EAGAIN, "try again (EAGAIN)" },
		{ ENOMEM, "out of memory (ENOMEM)" },
		{ EACCES, "permission denied (EACCES); from mshv_system_open: /dev/mshv is accessible to root only" },
		{ EFAULT, "bad address (EFAULT): a pointer in the argument is not valid user memory" },
		{ EBUSY, "busy (EBUSY)" },
		{ EEXIST, "already exists (EEXIST): overlapping region, duplicate registration or VP index" },
		{ ENODEV, "no such device (ENODEV); from mshv_system_open: /dev/mshv is the VTL driver's (mshv_vtl: "
			  "Linux runs in a virtual trust level, as a paravisor), which creates no partitions" },
		{ EINVAL, "invalid argument (EINVAL)" },
		{ EMFILE, "too many open files (EMFILE)" },
		{ ENOTTY, "not supported by this kernel (ENOTTY): the ioctl does not exist in this driver generation" },
		{ ENOSPC, "no space left (ENOSPC)" },
		{ EOPNOTSUPP, "operation not supported (EOPNOTSUPP)" },
		{ E2BIG, "argument list too long (E2BIG): the buffer is too small" },
		{ ENXIO, "no such device or address (ENXIO): the device has no such attribute" },
		{ EBADFD, "file descriptor in bad state (EBADFD); from a 6.6-era kernel: the hypervisor found the "
			  "partition or VP in the wrong state, see its HV_STATUS" },
		{ ENOTRECOVERABLE, "state not recoverable (ENOTRECOVERABLE); from a 6.6-era kernel: the hypervisor "
				   "refused the call, see its HV_STATUS" },
		{ ERANGE, "result out of range (ERANGE)" },
		{ EOVERFLOW, "value too large (EOVERFLOW)" },
		{ ENOBUFS, "no buffer space (ENOBUFS)" },
		{ ESRCH, "no such process (ESRCH)" },
		{ ENOSYS, "function not implemented (ENOSYS)" },
		{ ETIMEDOUT, "timed out (ETIMEDOUT)" },
	};
	unsigned int i;

	if (ret >= 0)
		return "success";
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (-table[i].err == ret) /* not -ret: INT_MIN has no negation */
			return table[i].msg;
	return "unknown error (see errno.h)";
}
#endif /* !MSHV_INLINE_DECL_ONLY */

/* ========================================================================
 * Handles and defaults (bindings layer: plain data, usable without
 * MSHV_IMPLEMENTATION, for example to pass handles between files)
 * ======================================================================== */

/*
 * Kernel releases and MSHV_ABI. What a VMM meets behind /dev/mshv depends
 * on the kernel release (MSHV_KERNEL_*, above); the ioctl layer learns it
 * once per system handle, with probes that change nothing (see
 * mshv_system_from_fd()), and keeps it in sys->kernel. Defining MSHV_ABI
 * before the include pins it at compile time instead:
 *
 *     MSHV_ABI_AUTO      (default) probe everything.
 *     MSHV_ABI_UPSTREAM  an upstream kernel: skip the 6.6-era probe, probe
 *                        the release.
 *     MSHV_ABI_LEGACY    the 6.6-era downstream kernel (MSHV_KERNEL_6_6).
 *     MSHV_ABI_6_15      upstream 6.15-6.18 (MSHV_KERNEL_6_15).
 *     MSHV_ABI_6_19      upstream 6.19 (MSHV_KERNEL_6_19).
 *     MSHV_ABI_7_0       upstream 7.0 and later (MSHV_KERNEL_7_0).
 *
 * The last four make no probe at all (and so do not notice a VTL kernel's
 * /dev/mshv either). The device-attribute numbering (struct mshv_device)
 * is one of two generations, MSHV_ABI_UPSTREAM or MSHV_ABI_LEGACY.
 */
#define MSHV_ABI_AUTO 0
#define MSHV_ABI_UPSTREAM 1
#define MSHV_ABI_LEGACY 2
#define MSHV_ABI_6_15 3
#define MSHV_ABI_6_19 4
#define MSHV_ABI_7_0 5
#ifndef MSHV_ABI
#define MSHV_ABI MSHV_ABI_AUTO
#endif
#if MSHV_ABI < MSHV_ABI_AUTO || MSHV_ABI > MSHV_ABI_7_0
#error "mshv.h: MSHV_ABI must be MSHV_ABI_AUTO, _UPSTREAM, _LEGACY, _6_15, _6_19 or _7_0"
#endif
/* The release MSHV_ABI pins (MSHV_KERNEL_UNKNOWN: probed) and its device-attribute generation. */
#define MSHV__ABI_KERNEL                                                                        \
	(MSHV_ABI == MSHV_ABI_LEGACY ? MSHV_KERNEL_6_6 : MSHV_ABI == MSHV_ABI_6_15 ? MSHV_KERNEL_6_15 \
	 : MSHV_ABI == MSHV_ABI_6_19 ? MSHV_KERNEL_6_19 : MSHV_ABI == MSHV_ABI_7_0 ? MSHV_KERNEL_7_0    \
										     : MSHV_KERNEL_UNKNOWN)
#define MSHV__ABI_GENERATION \
	(MSHV_ABI == MSHV_ABI_AUTO ? MSHV_ABI_AUTO : MSHV_ABI == MSHV_ABI_LEGACY ? MSHV_ABI_LEGACY : MSHV_ABI_UPSTREAM)

/*
 * /dev/mshv, opened by mshv_system_open() or taken by mshv_system_from_fd().
 * kernel (MSHV_KERNEL_*) is the release the library learned (or MSHV_ABI
 * pinned); mshv_system_create_vm*() may refine MSHV_KERNEL_6_19_OR_LATER
 * into MSHV_KERNEL_6_19 or MSHV_KERNEL_7_0, so do not run them on one
 * handle from two threads at once. A handle filled in by hand with
 * kernel = MSHV_KERNEL_UNKNOWN is probed by the first call that needs to
 * know.
 */
struct mshv_system {
	int fd;
	unsigned int kernel;
};

/* A partition (VM) fd, from mshv_system_create_vm*(). */
struct mshv_vm {
	int fd;
};

/*
 * An in-kernel device fd, from mshv_vm_create_device() or
 * mshv_device_from_fd(), which also find its attribute numbering (abi,
 * MSHV_ABI_UPSTREAM or MSHV_ABI_LEGACY): the handle is not written after.
 */
struct mshv_device {
	int fd;
	unsigned int abi;
};

/*
 * A VP (vCPU) fd, from mshv_vm_create_vcpu(). quirks (MSHV_QUIRK_*) is
 * updated by the register calls: use a VP handle from one thread at a time
 * (as the kernel serialises a VP's ioctls anyway).
 */
struct mshv_vcpu {
	int fd;
	__u32 index;
	struct hv_vp_register_page *reg_page; /* NULL: the kernel offers none */
	unsigned int quirks;
};

/*
 * Initialisers of never-opened handles: fd -1, so that closing one (on an
 * error path, say) is a no-op that returns 0.
 *     struct mshv_vcpu vcpu = MSHV_VCPU_INIT;
 */
#define MSHV_SYSTEM_INIT { -1, 0 }
#define MSHV_VM_INIT { -1 }
#define MSHV_DEVICE_INIT { -1, 0 }
#define MSHV_VCPU_INIT { -1, 0, 0, 0 }

/* No MSHV_ROOT_HVCALL on VP fds (older downstream kernels): registers go through MSHV_GET/SET_VP_REGISTERS. */
#define MSHV_QUIRK_NO_ROOT_HVCALL 0x2u
/* MSHV_VP_TRANSLATE_GVA answered ENOTTY: translate by hypercall. */
#define MSHV_QUIRK_NO_TRANSLATE_IOCTL 0x4u

/* Registers per HVCALL_GET_VP_REGISTERS call: the 4 KiB output page holds 256 values. */
#define MSHV_GET_REGISTERS_PER_CALL 256
/* ... per HVCALL_SET_VP_REGISTERS call: the input page holds the header and 127 name/value pairs. */
#define MSHV_SET_REGISTERS_PER_CALL 127

/* What MSHV_RUN_VP fills is a struct hv_message. */
MSHV_STATIC_ASSERT(sizeof(struct hv_message) == MSHV_RUN_VP_BUF_SZ, run_vp_buffer_is_a_message);

/* A 64-bit register and its value (MSHV_SET_REGISTERS_64). */
struct mshv_register64 {
	__u32 name; /* HV_*_REGISTER_* */
	__u64 value;
};

/*
 * MSHV_SET_REGISTERS_64(vcpu, hv_status, {name, value}, ...) - mshv-ioctls'
 * set_registers_64!: mshv_vcpu_set_registers64() on the listed pairs, as
 * one expression (0 or -errno). C only (a compound literal); in C++ pass
 * an array to mshv_vcpu_set_registers64().
 */
#define MSHV_SET_REGISTERS_64(vcpu, hv_status, ...)                                                      \
	mshv_vcpu_set_registers64((vcpu), (const struct mshv_register64[]){ __VA_ARGS__ },               \
				  sizeof((const struct mshv_register64[]){ __VA_ARGS__ }) /                    \
					  sizeof(struct mshv_register64),                                       \
				  (hv_status))

/*
 * MSHV_SET_BITS(type, bit, ...) - mshv-ioctls' set_bits!: the value of
 * `type` with the given bit numbers set, e.g. MSHV_SET_BITS(__u8,
 * MSHV_SET_MEM_BIT_WRITABLE, MSHV_SET_MEM_BIT_EXECUTABLE) == 3. Up to 8 bits.
 */
#define MSHV_SET_BITS(type, ...) ((type)MSHV__SET_BITS_N(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)(type, __VA_ARGS__))
#define MSHV__SET_BITS_N(a, b, c, d, e, f, g, h, n, ...) MSHV__SET_BITS_##n
#define MSHV__SET_BITS_1(t, a) ((t)1 << (a))
#define MSHV__SET_BITS_2(t, a, b) (MSHV__SET_BITS_1(t, a) | ((t)1 << (b)))
#define MSHV__SET_BITS_3(t, a, b, c) (MSHV__SET_BITS_2(t, a, b) | ((t)1 << (c)))
#define MSHV__SET_BITS_4(t, a, b, c, d) (MSHV__SET_BITS_3(t, a, b, c) | ((t)1 << (d)))
#define MSHV__SET_BITS_5(t, a, b, c, d, e) (MSHV__SET_BITS_4(t, a, b, c, d) | ((t)1 << (e)))
#define MSHV__SET_BITS_6(t, a, b, c, d, e, f) (MSHV__SET_BITS_5(t, a, b, c, d, e) | ((t)1 << (f)))
#define MSHV__SET_BITS_7(t, a, b, c, d, e, f, g) (MSHV__SET_BITS_6(t, a, b, c, d, e, f) | ((t)1 << (g)))
#define MSHV__SET_BITS_8(t, a, b, c, d, e, f, g, h) (MSHV__SET_BITS_7(t, a, b, c, d, e, f, g) | ((t)1 << (h)))

/* Partition types of mshv_system_create_vm_with_type(). */
enum {
	MSHV_VM_TYPE_NORMAL,
	MSHV_VM_TYPE_SNP, /* SEV-SNP isolation (6.6-era kernels) */
	MSHV_VM_TYPE_COUNT
};

/* Address spaces of mshv_vm_register_ioevent(). */
enum {
	MSHV_IOEVENT_MMIO,
	MSHV_IOEVENT_PIO /* no kernel supports it: -EOPNOTSUPP */
};

/*
 * The synthetic processor features a new partition gets by default (bits
 * of union hv_partition_synthetic_processor_features), before they are
 * masked with what the host can assign: those of mshv-ioctls 0.7.0.
 */
#define MSHV__BIT(n) (1ull << (n))
#define MSHV_DEFAULT_SYNTHETIC_FEATURES_COMMON                                                      \
	(MSHV__BIT(0) /* hypervisor_present */ | MSHV__BIT(1) /* hv1 */ |                           \
	 MSHV__BIT(3) /* access_partition_reference_counter */ | MSHV__BIT(4) /* access_synic_regs */ | \
	 MSHV__BIT(5) /* access_synthetic_timer_regs */ | MSHV__BIT(6) /* access_intr_ctrl_regs */ |  \
	 MSHV__BIT(7) /* access_hypercall_regs */ | MSHV__BIT(8) /* access_vp_index */ |             \
	 MSHV__BIT(9) /* access_partition_reference_tsc */ | MSHV__BIT(11) /* access_frequency_regs */ | \
	 MSHV__BIT(22) /* direct_synthetic_timers */ | MSHV__BIT(26) /* synthetic_cluster_ipi */ |    \
	 MSHV__BIT(38) /* access_vp_regs */)
#if defined(__x86_64__)
#define MSHV_DEFAULT_SYNTHETIC_FEATURES                                                          \
	(MSHV_DEFAULT_SYNTHETIC_FEATURES_COMMON | MSHV__BIT(10) /* access_guest_idle_reg */ |     \
	 MSHV__BIT(25) /* tb_flush_hypercalls */ | MSHV__BIT(53) /* flush_guest_physical_address_space */)
/*
 * XSAVE features a default partition disables (pt_disabled_xsave): all but
 * xsave, xsaveopt, avx, avx2, fma, compacted and supervisor state.
 */
#define MSHV_DEFAULT_DISABLED_XSAVE                                                              \
	(~(MSHV__BIT(0) | MSHV__BIT(1) | MSHV__BIT(2) | MSHV__BIT(3) | MSHV__BIT(4) | MSHV__BIT(11) | \
	   MSHV__BIT(12)))
#else
#define MSHV_DEFAULT_SYNTHETIC_FEATURES MSHV_DEFAULT_SYNTHETIC_FEATURES_COMMON
#endif

/* Creation flags of a default partition on each generation. */
#define MSHV_DEFAULT_PT_FLAGS_UPSTREAM \
	(MSHV__BIT(MSHV_PT_BIT_LAPIC) | MSHV__BIT(MSHV_PT_BIT_X2APIC) | MSHV__BIT(MSHV_PT_BIT_GPA_SUPER_PAGES))
#define MSHV_DEFAULT_PT_FLAGS_LEGACY (MSHV_DEFAULT_PT_FLAGS_UPSTREAM | MSHV__BIT(MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES))

/* Pages per MSHV_GET_GPAP_ACCESS_BITMAP call of mshv_vm_get_dirty_log(). */
#define MSHV_DIRTY_LOG_BATCH_PAGES 0x10000
/* ... a multiple of 64: each batch fills whole words of the caller's bitmap */
MSHV_STATIC_ASSERT(MSHV_DIRTY_LOG_BATCH_PAGES % 64 == 0, dirty_log_batch_whole_words);

/* ========================================================================
 * Prototypes of this file's functions: what MSHV_INLINE_DECL_ONLY declares
 * ======================================================================== */
#if defined(MSHV_INLINE_DECL_ONLY) || defined(MSHV__CHECK_PROTOTYPES)
MSHV_INLINE const char *mshv_hv_status_name(unsigned int status);
MSHV_INLINE const char *mshv_hvcall_name(unsigned int code);
MSHV_INLINE const char *mshv_hv_message_type_name(__u32 type);
MSHV_INLINE const char *mshv_hv_partition_property_name(__u32 code);
MSHV_INLINE const char *mshv_hv_intercept_type_name(__u32 type);
MSHV_INLINE const char *mshv_ioctl_name(unsigned long request);
MSHV_INLINE int mshv_hv_status_to_errno(unsigned int status);
MSHV_INLINE int mshv_hv_status_to_errno_legacy(unsigned int status);
MSHV_INLINE int mshv_hv_status_to_errno_kernel(unsigned int status, unsigned int kernel);
MSHV_INLINE const char *mshv_strerror(int ret);
#if defined(MSHV_IMPLEMENTATION) || defined(MSHV_INLINE_DECL_ONLY)
MSHV_INLINE int mshv_system_from_fd(struct mshv_system *sys, int fd);
MSHV_INLINE int mshv_system_open(struct mshv_system *sys);
MSHV_INLINE int mshv_system_close(struct mshv_system *sys);
MSHV_INLINE int mshv_system_hvcall(struct mshv_system *sys, struct mshv_root_hvcall *args);
MSHV_INLINE int mshv_system_get_host_partition_property(struct mshv_system *sys, __u32 code, __u64 *value,
							__u16 *hv_status);
MSHV_INLINE int mshv_system_get_host_partition_property_ex(struct mshv_system *sys, __u32 code, __u64 arg,
							   union hv_partition_property_ex *out, __u16 *hv_status);
MSHV_INLINE int mshv_system_get_vmm_caps(struct mshv_system *sys, struct hv_partition_property_vmm_capabilities *caps,
					 __u16 *hv_status);
MSHV_INLINE int mshv_system_default_synthetic_features(struct mshv_system *sys, __u64 *mask, __u16 *hv_status);
MSHV_INLINE int mshv_system_default_partition_args(struct mshv_system *sys, unsigned int vm_type,
						   struct mshv_create_partition_v2 *args, __u16 *hv_status);
MSHV_INLINE int mshv_system_create_vm_with_args(struct mshv_system *sys, const struct mshv_create_partition_v2 *args,
						struct mshv_vm *vm);
MSHV_INLINE int mshv_system_create_vm_with_type(struct mshv_system *sys, unsigned int vm_type, struct mshv_vm *vm,
						__u16 *hv_status);
MSHV_INLINE int mshv_system_create_vm(struct mshv_system *sys, struct mshv_vm *vm, __u16 *hv_status);
MSHV_INLINE int mshv_vm_from_fd(struct mshv_vm *vm, int fd);
MSHV_INLINE int mshv_vm_close(struct mshv_vm *vm);
MSHV_INLINE int mshv_vm_initialize(struct mshv_vm *vm);
MSHV_INLINE int mshv_vm_hvcall(struct mshv_vm *vm, struct mshv_root_hvcall *args);
MSHV_INLINE int mshv_vm_get_partition_property(struct mshv_vm *vm, __u32 code, __u64 *value, __u16 *hv_status);
MSHV_INLINE int mshv_vm_get_partition_property_ex(struct mshv_vm *vm, __u32 code, __u64 arg,
						  union hv_partition_property_ex *out, __u16 *hv_status);
MSHV_INLINE int mshv_vm_set_partition_property(struct mshv_vm *vm, __u32 code, __u64 value, __u16 *hv_status);
MSHV_INLINE int mshv_vm_install_intercept(struct mshv_vm *vm, const struct mshv_install_intercept *args,
					  __u16 *hv_status);
MSHV_INLINE int mshv_vm_register_deliverability_notifications(
	struct mshv_vm *vm, const struct mshv_register_deliverabilty_notifications *args, __u16 *hv_status);
MSHV_INLINE int mshv_vm_set_guest_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region);
MSHV_INLINE int mshv_vm_map_user_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region);
MSHV_INLINE int mshv_vm_unmap_user_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region);
MSHV_INLINE int mshv_vm_irqfd(struct mshv_vm *vm, const struct mshv_user_irqfd *args);
MSHV_INLINE int mshv_vm_register_irqfd(struct mshv_vm *vm, int fd, __u32 gsi);
MSHV_INLINE int mshv_vm_register_irqfd_with_resample(struct mshv_vm *vm, int fd, int resamplefd, __u32 gsi);
MSHV_INLINE int mshv_vm_unregister_irqfd(struct mshv_vm *vm, int fd, __u32 gsi);
MSHV_INLINE int mshv_vm_ioeventfd(struct mshv_vm *vm, const struct mshv_user_ioeventfd *args);
MSHV_INLINE int mshv_vm_register_ioevent(struct mshv_vm *vm, int fd, unsigned int space, __u64 addr, __u32 len,
					 __u64 datamatch);
MSHV_INLINE int mshv_vm_unregister_ioevent(struct mshv_vm *vm, int fd, unsigned int space, __u64 addr, __u32 len,
					   __u64 datamatch);
MSHV_INLINE int mshv_vm_set_msi_routing(struct mshv_vm *vm, const struct mshv_user_irq_table *table);
MSHV_INLINE int mshv_vm_get_gpap_access_bitmap(struct mshv_vm *vm, __u64 base_pfn, __u64 page_count,
					       __u8 access_type, __u8 access_op, __u64 *bitmap, size_t bitmap_words);
MSHV_INLINE int mshv_vm_get_dirty_log(struct mshv_vm *vm, __u64 base_pfn, __u64 memory_size, __u8 access_op,
				      __u64 *bitmap, size_t bitmap_words);
MSHV_INLINE int mshv_vm_enable_dirty_page_tracking(struct mshv_vm *vm, __u16 *hv_status);
MSHV_INLINE int mshv_vm_disable_dirty_page_tracking(struct mshv_vm *vm, __u16 *hv_status);
MSHV_INLINE int mshv_vm_modify_gpa_host_access(struct mshv_vm *vm, const struct mshv_modify_gpa_host_access *args);
MSHV_INLINE int mshv_vm_import_isolated_pages(struct mshv_vm *vm, const struct mshv_import_isolated_pages *args);
MSHV_INLINE int mshv_vm_complete_isolated_import(struct mshv_vm *vm, const struct mshv_complete_isolated_import *args);
MSHV_INLINE int mshv_vm_issue_psp_guest_request(struct mshv_vm *vm, const struct mshv_issue_psp_guest_request *args);
MSHV_INLINE int mshv_vm_sev_snp_ap_create(struct mshv_vm *vm, const struct mshv_sev_snp_ap_create *args);
MSHV_INLINE int mshv_device_from_fd(struct mshv_device *dev, int fd);
MSHV_INLINE int mshv_vm_create_device(struct mshv_vm *vm, struct mshv_create_device *args, struct mshv_device *dev);
MSHV_INLINE int mshv_vm_create_vcpu(struct mshv_vm *vm, __u32 index, struct mshv_vcpu *vcpu);
MSHV_INLINE int mshv_vcpu_close(struct mshv_vcpu *vcpu);
MSHV_INLINE int mshv_vcpu_hvcall(struct mshv_vcpu *vcpu, struct mshv_root_hvcall *args);
MSHV_HOT_INLINE int mshv_vcpu_run(struct mshv_vcpu *vcpu, struct hv_message *msg);
MSHV_INLINE int mshv_vcpu_get_registers_legacy(struct mshv_vcpu *vcpu, struct hv_register_assoc *regs, size_t count);
MSHV_INLINE int mshv_vcpu_set_registers_legacy(struct mshv_vcpu *vcpu, const struct hv_register_assoc *regs,
					       size_t count);
MSHV_INLINE int mshv_vcpu_get_registers(struct mshv_vcpu *vcpu, struct hv_register_assoc *regs, size_t count,
					__u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_registers(struct mshv_vcpu *vcpu, const struct hv_register_assoc *regs, size_t count,
					__u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_register(struct mshv_vcpu *vcpu, __u32 name, union hv_register_value *value,
				       __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_register64(struct mshv_vcpu *vcpu, __u32 name, __u64 value, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_set_registers64(struct mshv_vcpu *vcpu, const struct mshv_register64 *pairs, size_t count,
					  __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_translate_gva(struct mshv_vcpu *vcpu, __u64 gva, __u64 flags, __u64 *gpa,
					union hv_translate_gva_result *result, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_gpa_read(struct mshv_vcpu *vcpu, struct mshv_read_write_gpa *rw, __u64 *access_result,
				   __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_gpa_write(struct mshv_vcpu *vcpu, const struct mshv_read_write_gpa *rw,
				    __u64 *access_result, __u16 *hv_status);
MSHV_INLINE int mshv_vcpu_get_vp_state(struct mshv_vcpu *vcpu, struct mshv_get_set_vp_state *state);
MSHV_INLINE int mshv_vcpu_set_vp_state(struct mshv_vcpu *vcpu, struct mshv_get_set_vp_state *state);
MSHV_INLINE int mshv_device_close(struct mshv_device *dev);
MSHV_INLINE int mshv_device_set_attr(struct mshv_device *dev, const struct mshv_device_attr *attr);
MSHV_INLINE int mshv_device_has_attr(struct mshv_device *dev, const struct mshv_device_attr *attr);
MSHV_INLINE int mshv_device_get_attr(struct mshv_device *dev, struct mshv_device_attr *attr);
#endif
#endif /* MSHV_INLINE_DECL_ONLY || MSHV__CHECK_PROTOTYPES */

/* ========================================================================
 * The ioctl layer (MSHV_IMPLEMENTATION)
 *
 * System calls on the handles. The rules every function here keeps are
 * at the top of this file ("Contracts"); each function's comment names
 * what it issues and ends with its Errors: line.
 * ======================================================================== */

/* Calls again after -EAGAIN from a 6.15-6.18 kernel (one page deposited each time); overridable. */
#ifndef MSHV_HVCALL_EAGAIN_RETRIES
#define MSHV_HVCALL_EAGAIN_RETRIES 64
#endif

#if defined(MSHV_IMPLEMENTATION) && !defined(MSHV_INLINE_DECL_ONLY)
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef O_CLOEXEC
#define MSHV__O_CLOEXEC O_CLOEXEC
#else
#define MSHV__O_CLOEXEC 02000000 /* strict ISO C mode hides it; the same value on x86_64 and arm64 */
#endif
#ifdef MAP_ANONYMOUS
#define MSHV__MAP_ANONYMOUS MAP_ANONYMOUS
#else
#define MSHV__MAP_ANONYMOUS 0x20 /* likewise */
#endif

#define MSHV__PTR(p) ((__u64)(uintptr_t)(p))

/* ioctl() as -errno. */
MSHV_HOT_INLINE int mshv__ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

/* Whether the n bytes at p are all zero (reserved fields). */
MSHV_INLINE int mshv__zero(const void *p, size_t n)
{
	const __u8 *b = (const __u8 *)p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* A call refused before any system call (a NULL pointer): *hv_status, when wanted, HV_STATUS_SUCCESS; -EINVAL. */
MSHV_HOT_INLINE int mshv__einval(__u16 *hv_status)
{
	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	return -EINVAL;
}

/*
 * MSHV_ROOT_HVCALL on fd with *args, through the 6.15-6.18 deposit
 * protocol: an -EAGAIN with HV_STATUS_INSUFFICIENT_MEMORY and no rep
 * completed (the kernel deposited a page) is called again with the
 * caller's reps and a zero status (the kernel refuses any other), at most
 * MSHV_HVCALL_EAGAIN_RETRIES times, then -ENOMEM (status left
 * HV_STATUS_INSUFFICIENT_MEMORY). An -EAGAIN after some reps completed is
 * returned: args->reps says how many, the caller continues from there.
 */
MSHV_HOT_INLINE int mshv__root_hvcall(int fd, struct mshv_root_hvcall *args)
{
	__u16 reps = args->reps;
	unsigned int tries = 0;
	int ret;

	for (;;) {
		ret = mshv__ioctl(fd, MSHV_ROOT_HVCALL, args);
		if (ret != -EAGAIN || args->status != HV_STATUS_INSUFFICIENT_MEMORY || (reps && args->reps))
			return ret;
		if (tries++ == MSHV_HVCALL_EAGAIN_RETRIES)
			return -ENOMEM;
		args->status = HV_STATUS_SUCCESS;
		args->reps = reps;
	}
}

/*
 * MSHV_ROOT_HVCALL on fd: hypercall `code` with `reps` repetitions (0 for a
 * simple call), input in[in_sz] (its leading partition id is filled in by
 * the kernel) and output out[out_sz], retried as mshv__root_hvcall(). The
 * kernel completes every rep of a successful call; one reported short
 * anyway is -EIO (not -EINTR, which is kept for signals).
 */
MSHV_HOT_INLINE int mshv__hvcall(int fd, __u16 code, __u16 reps, const void *in, size_t in_sz, void *out,
				 size_t out_sz, __u16 *hv_status)
{
	struct mshv_root_hvcall args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.code = code;
	args.reps = reps;
	args.in_sz = (__u16)in_sz;
	args.out_sz = (__u16)out_sz;
	args.in_ptr = MSHV__PTR(in);
	args.out_ptr = MSHV__PTR(out);
	ret = mshv__root_hvcall(fd, &args);
	if (hv_status)
		*hv_status = args.status;
	if (ret < 0)
		return ret;
	return args.reps == reps ? 0 : -EIO;
}

/* The caller's MSHV_ROOT_HVCALL, checked as the kernel does before it, retried as mshv__root_hvcall(). */
MSHV_INLINE int mshv__hvcall_passthrough(int fd, struct mshv_root_hvcall *args)
{
	if (!args)
		return -EINVAL;
	if (!mshv__zero(args->rsvd, sizeof(args->rsvd)))
		return -EINVAL;
	if (args->status || args->in_sz < sizeof(__u64) || args->in_sz > MSHV_HV_PAGE_SIZE || !args->in_ptr ||
	    (args->out_ptr && (!args->out_sz || args->out_sz > MSHV_HV_PAGE_SIZE)))
		return -EINVAL;
	return mshv__root_hvcall(fd, args);
}

/* HVCALL_GET_PARTITION_PROPERTY on fd (/dev/mshv: the root partition; a partition fd: that partition). */
MSHV_INLINE int mshv__get_property(int fd, __u32 code, __u64 *value, __u16 *hv_status)
{
	struct hv_input_get_partition_property in;
	struct hv_output_get_partition_property out;
	int ret;

	if (!value)
		return mshv__einval(hv_status);
	memset(&in, 0, sizeof(in));
	in.property_code = code;
	out.property_value = 0;
	ret = mshv__hvcall(fd, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &out, sizeof(out), hv_status);
	if (ret == 0)
		*value = out.property_value;
	return ret;
}

/* HVCALL_GET_PARTITION_PROPERTY_EX on fd, as above. */
MSHV_INLINE int mshv__get_property_ex(int fd, __u32 code, __u64 arg, union hv_partition_property_ex *out,
				      __u16 *hv_status)
{
	struct hv_input_get_partition_property_ex in;

	if (!out)
		return mshv__einval(hv_status);
	memset(&in, 0, sizeof(in));
	in.property_code = code;
	in.arg = arg;
	return mshv__hvcall(fd, HVCALL_GET_PARTITION_PROPERTY_EX, 0, &in, sizeof(in), out, sizeof(*out), hv_status);
}

/* HVCALL_SET_PARTITION_PROPERTY on a partition fd. */
MSHV_INLINE int mshv__set_property(int fd, __u32 code, __u64 value, __u16 *hv_status)
{
	struct hv_input_set_partition_property in;

	memset(&in, 0, sizeof(in));
	in.property_code = code;
	in.property_value = value;
	return mshv__hvcall(fd, HVCALL_SET_PARTITION_PROPERTY, 0, &in, sizeof(in), NULL, 0, hv_status);
}

/* Close an fd field and mark it closed (-1). */
MSHV_INLINE int mshv__close(int *fd)
{
	int ret = 0;

	if (*fd >= 0 && close(*fd) < 0)
		ret = -errno;
	*fd = -1;
	return ret;
}

/* ---- system: /dev/mshv --------------------------------------------------- */

/*
 * Whether the driver behind fd has `request`: sent with no argument, a
 * driver that has it fails copying the argument (EFAULT: 1), one that has
 * not answers ENOTTY (0); nothing is changed either way. Any other answer
 * is returned as -errno.
 */
MSHV_INLINE int mshv__has_ioctl(int fd, unsigned long request)
{
	int ret = mshv__ioctl(fd, request, NULL);

	if (ret == -EFAULT || ret == -ENOTTY)
		return ret == -EFAULT;
	return ret < 0 ? ret : -EIO;
}

/*
 * The release behind /dev/mshv fd (MSHV_KERNEL_*), from up to three probes
 * with no argument (mshv__has_ioctl):
 *   MSHV_CREATE_PARTITION: every root driver has it; the VTL driver's
 *     /dev/mshv has not: -ENODEV.
 *   MSHV_GET_HOST_PARTITION_PROPERTY: the 6.6-era driver only (skipped
 *     when MSHV_ABI is MSHV_ABI_UPSTREAM).
 *   MSHV_ROOT_HVCALL on /dev/mshv: upstream from 6.19 (ENOTTY on 6.15-6.18).
 * Returns the release or -errno.
 */
MSHV_INLINE int mshv__kernel_probe(int fd)
{
	int ret = mshv__has_ioctl(fd, MSHV_CREATE_PARTITION);

	if (ret <= 0)
		return ret < 0 ? ret : -ENODEV;
	if (MSHV_ABI != MSHV_ABI_UPSTREAM) {
		ret = mshv__has_ioctl(fd, MSHV_GET_HOST_PARTITION_PROPERTY);
		if (ret != 0)
			return ret < 0 ? ret : MSHV_KERNEL_6_6;
	}
	ret = mshv__has_ioctl(fd, MSHV_ROOT_HVCALL);
	if (ret < 0)
		return ret;
	return ret ? MSHV_KERNEL_6_19_OR_LATER : MSHV_KERNEL_6_15;
}

/*
 * 6.19 or 7.0+, told apart without creating a partition: MSHV_CREATE_PARTITION
 * with flag bits 3 and 4 in a 16-byte argument that ends where an
 * unreadable (PROT_NONE) page begins. 6.19 checks the flags of the first 16
 * bytes before it copies the 64 bytes that bit 3 asks for, and does not
 * know bit 4: EINVAL. 7.0 knows bit 4, goes on to copy 64 bytes and faults
 * on the guard page: EFAULT. The two pages are an anonymous mapping made
 * for the probe and unmapped before returning: a system call, not the
 * heap, because only a page boundary guarantees that the bytes right after
 * the argument cannot be read. Returns MSHV_KERNEL_6_19, _7_0 or -errno.
 */
MSHV_INLINE int mshv__probe_7_0(int fd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct mshv_create_partition head;
	__u8 *map;
	int ret;

	map = (__u8 *)mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MSHV__MAP_ANONYMOUS, -1, 0);
	if (map == (__u8 *)MAP_FAILED)
		return -errno;
	ret = mprotect(map + page, page, PROT_NONE) < 0 ? -errno : 0;
	if (ret == 0) {
		memset(&head, 0, sizeof(head));
		head.pt_flags = MSHV__BIT(MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES) | MSHV__BIT(MSHV_PT_BIT_NESTED_VIRTUALIZATION);
		memcpy(map + page - sizeof(head), &head, sizeof(head));
		ret = mshv__ioctl(fd, MSHV_CREATE_PARTITION, map + page - sizeof(head));
	}
	munmap(map, 2 * page);
	if (ret >= 0) { /* cannot happen: the argument was never whole */
		close(ret);
		return -EIO;
	}
	if (ret == -EINVAL || ret == -EFAULT)
		return ret == -EINVAL ? MSHV_KERNEL_6_19 : MSHV_KERNEL_7_0;
	return ret;
}

/* sys->kernel: MSHV_ABI's release when pinned, else probed when still unknown. Returns it or -errno. */
MSHV_INLINE int mshv__system_kernel(struct mshv_system *sys)
{
	int ret;

	if (MSHV__ABI_KERNEL != MSHV_KERNEL_UNKNOWN)
		sys->kernel = MSHV__ABI_KERNEL;
	if (sys->kernel == MSHV_KERNEL_UNKNOWN) {
		ret = mshv__kernel_probe(sys->fd);
		if (ret < 0)
			return ret;
		sys->kernel = (unsigned int)ret;
	}
	return (int)sys->kernel;
}

/*
 * mshv_system_from_fd - take an already open /dev/mshv fd into *sys and
 * learn its release into sys->kernel: up to three ioctls with no argument,
 * which change nothing (MSHV_CREATE_PARTITION, the 6.6-era
 * MSHV_GET_HOST_PARTITION_PROPERTY, MSHV_ROOT_HVCALL; see MSHV_ABI for
 * what pins skip). Returns 0; -EBADF for fd < 0; -ENODEV when fd is the VTL
 * driver's /dev/mshv (mshv_vtl, 6.19+ kernels in a virtual trust level),
 * which makes no partitions; or a probe's unexpected -errno. On failure
 * sys->fd is -1 and fd is left open (it is still the caller's).
 * Errors: -EINVAL (sys NULL), -EBADF (fd < 0), -ENODEV (the VTL driver's
 * /dev/mshv), -EIO (a probe answered success); kernel: a probe's unexpected
 * errno.
 */
MSHV_INLINE int mshv_system_from_fd(struct mshv_system *sys, int fd)
{
	int ret;

	if (!sys)
		return -EINVAL;
	sys->fd = fd;
	sys->kernel = MSHV_KERNEL_UNKNOWN;
	ret = fd < 0 ? -EBADF : mshv__system_kernel(sys);
	if (ret < 0) {
		sys->fd = -1;
		sys->kernel = MSHV_KERNEL_UNKNOWN;
		return ret;
	}
	return 0;
}

/*
 * mshv_system_open - open /dev/mshv (read-only, as mshv-ioctls does: no
 * ioctl needs more; close-on-exec) into *sys, then learn its release as
 * mshv_system_from_fd(). Returns 0, -ENOENT when there is no /dev/mshv (not
 * the root partition of the Microsoft Hypervisor, or mshv_root not loaded),
 * -EACCES when the caller may not open it, -ENODEV when it is the VTL
 * driver's, or another -errno of open(2) or a probe. On failure the fd is
 * closed and sys->fd is -1.
 * Errors: -EINVAL (sys NULL), -ENODEV (the VTL driver's /dev/mshv), -EIO (a
 * probe answered success); open(2): -ENOENT, -EACCES, -EMFILE, ...; kernel: a
 * probe's unexpected errno.
 */
MSHV_INLINE int mshv_system_open(struct mshv_system *sys)
{
	int fd, ret;

	if (!sys)
		return -EINVAL;
	fd = open("/dev/mshv", O_RDONLY | MSHV__O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		mshv_system_from_fd(sys, -1);
		return ret;
	}
	ret = mshv_system_from_fd(sys, fd);
	if (ret < 0)
		close(fd);
	return ret;
}

/*
 * mshv_system_close - close /dev/mshv (sys->fd becomes -1). Returns 0 or
 * -errno of close(2).
 * Errors: -EINVAL (sys NULL); close(2): -EBADF, -EIO.
 */
MSHV_INLINE int mshv_system_close(struct mshv_system *sys)
{
	return sys ? mshv__close(&sys->fd) : -EINVAL;
}

/*
 * mshv_system_hvcall - MSHV_ROOT_HVCALL on /dev/mshv: the caller's
 * hypercall, on the root partition itself (6.19 on, and only
 * HVCALL_GET_PARTITION_PROPERTY(_EX); -ENOTTY on 6.15-6.18). An -EAGAIN of
 * 6.15-6.18 with no rep completed is retried as in "Hypercall status"
 * (args->reps restored, args->status zeroed each time). Returns 0 or
 * -errno; args->status holds the HV_STATUS_* and args->reps the
 * repetitions completed; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer; args->rsvd or args->status not zero, in_sz
 * < 8 or > 4096, no input, an output size 0 or > 4096), -ENOMEM (retries used
 * up); kernel: -ENOTTY (6.6-era, 6.15-6.18), -EINVAL (a hypercall the kernel
 * does not pass), -EAGAIN (after some reps); hypercall: as in Hypercall
 * status.
 */
MSHV_INLINE int mshv_system_hvcall(struct mshv_system *sys, struct mshv_root_hvcall *args)
{
	return sys ? mshv__hvcall_passthrough(sys->fd, args) : -EINVAL;
}

/*
 * mshv_system_get_host_partition_property - HVCALL_GET_PARTITION_PROPERTY
 * (through MSHV_ROOT_HVCALL on /dev/mshv) for the root partition: property
 * `code` (HV_PARTITION_PROPERTY_*) into *value. Returns 0 or -errno
 * (-ENOTTY on 6.15-6.18, which have no hypercall on /dev/mshv); hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (6.6-era, 6.15-6.18: no
 * hypercall on /dev/mshv); hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_system_get_host_partition_property(struct mshv_system *sys, __u32 code, __u64 *value,
							__u16 *hv_status)
{
	return sys ? mshv__get_property(sys->fd, code, value, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_system_get_host_partition_property_ex -
 * HVCALL_GET_PARTITION_PROPERTY_EX (MSHV_ROOT_HVCALL on /dev/mshv) for the
 * root partition: property `code` with argument `arg` into *out (the whole
 * 4072-byte union). Returns 0 or -errno, as
 * mshv_system_get_host_partition_property().
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (6.6-era, 6.15-6.18);
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_system_get_host_partition_property_ex(struct mshv_system *sys, __u32 code, __u64 arg,
							   union hv_partition_property_ex *out, __u16 *hv_status)
{
	return sys ? mshv__get_property_ex(sys->fd, code, arg, out, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_system_get_vmm_caps - the host's VMM capabilities
 * (HV_PARTITION_PROPERTY_VMM_CAPABILITIES through
 * HVCALL_GET_PARTITION_PROPERTY_EX on /dev/mshv) into *caps. A hypervisor
 * without the property (HV_STATUS_ACCESS_DENIED) gives all-zero
 * capabilities and 0, as mshv-ioctls does. Returns 0 or -errno (-ENOTTY on
 * 6.15-6.18); hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (6.6-era, 6.15-6.18);
 * hypercall: as in Hypercall status (but HV_STATUS_ACCESS_DENIED is 0).
 */
MSHV_INLINE int mshv_system_get_vmm_caps(struct mshv_system *sys, struct hv_partition_property_vmm_capabilities *caps,
					 __u16 *hv_status)
{
	union hv_partition_property_ex out;
	__u16 status = HV_STATUS_SUCCESS;
	int ret;

	if (!sys || !caps)
		return mshv__einval(hv_status);
	memset(&out, 0, sizeof(out));
	ret = mshv_system_get_host_partition_property_ex(sys, HV_PARTITION_PROPERTY_VMM_CAPABILITIES, 0, &out,
							 &status);
	if (hv_status)
		*hv_status = status;
	if (ret < 0 && status == HV_STATUS_ACCESS_DENIED) {
		memset(caps, 0, sizeof(*caps));
		return 0;
	}
	if (ret == 0)
		*caps = out.vmm_capabilities;
	return ret;
}

/*
 * Whether the root partition's properties can be read here: not on
 * 6.15-6.18 (-EOPNOTSUPP, no system call beyond the release probe).
 * Returns the release or -errno.
 */
MSHV_INLINE int mshv__system_host_readable(struct mshv_system *sys)
{
	int kernel = mshv__system_kernel(sys);

	return kernel == MSHV_KERNEL_6_15 ? -EOPNOTSUPP : kernel;
}

/*
 * mshv_system_default_synthetic_features - MSHV_DEFAULT_SYNTHETIC_FEATURES
 * masked with the synthetic features the host can assign
 * (HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES, bank 0, through
 * HVCALL_GET_PARTITION_PROPERTY_EX on /dev/mshv) into *mask. Returns 0 or
 * -errno: -EOPNOTSUPP on 6.15-6.18, where the root's properties cannot be
 * read (mshv_system_create_vm() sets the defaults unmasked there); hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer), -EOPNOTSUPP (6.15-6.18), a release
 * probe's; hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_system_default_synthetic_features(struct mshv_system *sys, __u64 *mask, __u16 *hv_status)
{
	union hv_partition_property_ex out;
	__u64 assignable;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!sys || !mask)
		return -EINVAL;
	ret = mshv__system_host_readable(sys);
	if (ret < 0)
		return ret;
	memset(&out, 0, sizeof(out));
	ret = mshv_system_get_host_partition_property_ex(sys, HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES,
							 0, &out, hv_status);
	if (ret < 0)
		return ret;
	/* u16 bank count, three reserved u16, then the banks */
	memcpy(&assignable, out.buffer + 8, sizeof(assignable));
	*mask = MSHV_DEFAULT_SYNTHETIC_FEATURES & assignable;
	return 0;
}

/*
 * mshv_system_default_partition_args - the MSHV_CREATE_PARTITION argument
 * of a default partition of `vm_type` (MSHV_VM_TYPE_*), in the form
 * mshv-ioctls 0.7.0 uses, which the 6.6-era kernel and upstream from 6.19
 * take: LAPIC, x2APIC, super pages, CPU and XSAVE feature banks (every
 * feature the host lacks disabled, from
 * HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0/1 through
 * HVCALL_GET_PARTITION_PROPERTY on /dev/mshv) and
 * MSHV_DEFAULT_DISABLED_XSAVE. Returns 0 or -errno: -EINVAL for an unknown
 * vm_type; -EOPNOTSUPP on 6.15-6.18, which take no feature banks and whose
 * root properties cannot be read (their default argument is the 16-byte
 * MSHV_DEFAULT_PT_FLAGS_UPSTREAM); hypercall errors as in Hypercall status.
 * Upstream kernels refuse the SNP isolation this fills in for
 * MSHV_VM_TYPE_SNP at creation.
 * Errors: -EINVAL (a NULL pointer, vm_type unknown), -EOPNOTSUPP (6.15-6.18),
 * a release probe's; hypercall: as in Hypercall
 * status.
 */
MSHV_INLINE int mshv_system_default_partition_args(struct mshv_system *sys, unsigned int vm_type,
						   struct mshv_create_partition_v2 *args, __u16 *hv_status)
{
	__u64 features[MSHV_NUM_CPU_FEATURES_BANKS] = { 0, 0 }; /* gcc 12 -O1 cannot see they are set */
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (vm_type >= MSHV_VM_TYPE_COUNT || !sys || !args)
		return -EINVAL;
	ret = mshv__system_host_readable(sys);
	if (ret >= 0)
		ret = mshv_system_get_host_partition_property(sys, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0,
							      &features[0], hv_status);
	if (ret == 0)
		ret = mshv_system_get_host_partition_property(sys, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1,
							      &features[1], hv_status);
	if (ret < 0)
		return ret;
	memset(args, 0, sizeof(*args));
	args->pt_flags = MSHV_DEFAULT_PT_FLAGS_LEGACY;
	args->pt_isolation = vm_type == MSHV_VM_TYPE_SNP ? (__u64)MSHV_PT_ISOLATION_SNP : (__u64)MSHV_PT_ISOLATION_NONE;
	args->pt_num_cpu_fbanks = MSHV_NUM_CPU_FEATURES_BANKS;
	/* The host reports 1 = supported; the argument takes 1 = disabled. */
	args->pt_cpu_fbanks[0] = ~features[0];
	args->pt_cpu_fbanks[1] = ~features[1];
#if defined(__x86_64__)
	args->pt_cpu_fbanks[0] |= MSHV__BIT(63); /* reserved_bank0 */
	args->pt_disabled_xsave = MSHV_DEFAULT_DISABLED_XSAVE;
#else
	args->pt_cpu_fbanks[1] |= 0xfull << 60; /* reserved_bank1 */
#endif
	return 0;
}

/* The partition flag bits that arrived in 7.0 (6.6-era kernels had them too). */
#define MSHV__PT_FLAGS_7_0 (MSHV__BIT(MSHV_PT_BIT_NESTED_VIRTUALIZATION) | MSHV__BIT(MSHV_PT_BIT_SMT_ENABLED_GUEST))

/*
 * The checks of mshv_system_create_vm_with_args() that need the release
 * (probing it, and for flag bits 4 and 5 on a 6.19-or-later kernel telling
 * 6.19 from 7.0 with mshv__probe_7_0()). Returns 0 or -errno.
 */
MSHV_INLINE int mshv__create_args_check(struct mshv_system *sys, const struct mshv_create_partition_v2 *args)
{
	int kernel = mshv__system_kernel(sys);

	if (kernel < 0 || kernel == MSHV_KERNEL_6_6)
		return kernel < 0 ? kernel : 0;
	if (args->pt_isolation != MSHV_PT_ISOLATION_NONE)
		return -EOPNOTSUPP;
	if (args->pt_flags & MSHV__BIT(MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES)) {
		if (kernel == MSHV_KERNEL_6_15)
			return -EOPNOTSUPP;
		if (args->pt_num_cpu_fbanks != MSHV_NUM_CPU_FEATURES_BANKS)
			return -EINVAL;
	}
	if (!(args->pt_flags & MSHV__PT_FLAGS_7_0))
		return 0;
	if (kernel == MSHV_KERNEL_6_19_OR_LATER) {
		kernel = mshv__probe_7_0(sys->fd);
		if (kernel < 0)
			return kernel;
		sys->kernel = (unsigned int)kernel;
	}
	return kernel == MSHV_KERNEL_7_0 ? 0 : -EOPNOTSUPP;
}

/*
 * mshv_system_create_vm_with_args - MSHV_CREATE_PARTITION on /dev/mshv
 * with *args: the first 16 bytes, or the whole 64-byte argument when
 * pt_flags has MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES. On success *vm holds the
 * new partition fd (created, not initialized). Checked first, with no
 * system call but the release probes (see mshv_system_from_fd; telling
 * 6.19 from 7.0 on a handle that does not know yet takes one more, which
 * creates nothing: bits 4 or 5 on MSHV_KERNEL_6_19_OR_LATER):
 *   -EINVAL  a flag bit beyond the newest (MSHV_PT_BIT_SMT_ENABLED_GUEST),
 *            an isolation type no kernel has; with the feature-bank bit,
 *            more than 2 banks or a reserved field not zero, and upstream
 *            a bank count other than 2.
 *   -EOPNOTSUPP  what this release does not have: upstream, any isolation
 *            (SEV-SNP is 6.6-era only), the feature-bank bit before 6.19,
 *            the nested-virtualization and SMT bits (4, 5) before 7.0.
 * Returns 0 or -errno (those, or the kernel's).
 * Errors: -EINVAL and -EOPNOTSUPP as above, a release probe's (-ENODEV,
 * -EIO), the 6.19/7.0 probe's mmap(2)/mprotect(2) -ENOMEM; kernel: -EINVAL
 * (an argument it refuses), -ENOMEM, -EMFILE, -EFAULT; the creation
 * hypercall's errno (Hypercall status, without the status).
 */
MSHV_INLINE int mshv_system_create_vm_with_args(struct mshv_system *sys, const struct mshv_create_partition_v2 *args,
						struct mshv_vm *vm)
{
	int ret;

	if (!vm)
		return -EINVAL;
	vm->fd = -1;
	if (!sys || !args)
		return -EINVAL;
	if ((args->pt_flags & ~((1ull << MSHV_PT_BIT_COUNT_LEGACY) - 1)) ||
	    args->pt_isolation >= MSHV_PT_ISOLATION_COUNT_LEGACY)
		return -EINVAL;
	if (args->pt_flags & MSHV__BIT(MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES)) {
		if (args->pt_num_cpu_fbanks > MSHV_NUM_CPU_FEATURES_BANKS || args->pt_rsvd1[0] || args->pt_rsvd1[1])
			return -EINVAL;
		if (!mshv__zero(args->pt_rsvd, sizeof(args->pt_rsvd)))
			return -EINVAL;
#if defined(__aarch64__)
		if (args->pt_rsvd2)
			return -EINVAL;
#endif
	}
	ret = mshv__create_args_check(sys, args);
	if (ret == 0)
		ret = mshv__ioctl(sys->fd, MSHV_CREATE_PARTITION, (void *)(uintptr_t)args);
	if (ret < 0)
		return ret;
	vm->fd = ret;
	return 0;
}

/*
 * mshv_system_create_vm_with_type - a default partition of `vm_type`
 * (MSHV_VM_TYPE_*), with the best argument the release takes, then
 * HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES set
 * (HVCALL_SET_PARTITION_PROPERTY on the new fd):
 *   6.6-era, 6.19 on: as mshv-ioctls' create_vm_with_type, the
 *     mshv_system_default_partition_args() argument and
 *     mshv_system_default_synthetic_features().
 *   6.15-6.18: as QEMU there, the 16-byte MSHV_DEFAULT_PT_FLAGS_UPSTREAM
 *     argument and MSHV_DEFAULT_SYNTHETIC_FEATURES unmasked (the root's
 *     properties cannot be read); MSHV_VM_TYPE_SNP is -EOPNOTSUPP.
 * Upstream kernels have no SEV-SNP: MSHV_VM_TYPE_SNP is -EOPNOTSUPP on all.
 * The partition is not initialized: call mshv_vm_initialize() after
 * setting any other early property. Returns 0 with *vm filled, or -errno
 * (-EINVAL for an unknown vm_type; hypercall errors as in Hypercall
 * status) and no fd left open.
 * Errors: -EINVAL (a NULL pointer, vm_type unknown), -EOPNOTSUPP (SEV-SNP
 * upstream), and those of mshv_system_default_partition_args(),
 * mshv_system_default_synthetic_features(),
 * mshv_system_create_vm_with_args(); kernel: as those; hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_system_create_vm_with_type(struct mshv_system *sys, unsigned int vm_type, struct mshv_vm *vm,
						__u16 *hv_status)
{
	struct mshv_create_partition_v2 args;
	__u64 features = MSHV_DEFAULT_SYNTHETIC_FEATURES;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vm)
		return -EINVAL;
	vm->fd = -1;
	if (vm_type >= MSHV_VM_TYPE_COUNT || !sys)
		return -EINVAL;
	ret = mshv__system_kernel(sys);
	if (ret == MSHV_KERNEL_6_15) {
		memset(&args, 0, sizeof(args));
		args.pt_flags = MSHV_DEFAULT_PT_FLAGS_UPSTREAM;
		args.pt_isolation = vm_type == MSHV_VM_TYPE_SNP ? (__u64)MSHV_PT_ISOLATION_SNP : 0; /* refused below */
	} else if (ret >= 0) {
		ret = mshv_system_default_partition_args(sys, vm_type, &args, hv_status);
		if (ret == 0)
			ret = mshv_system_default_synthetic_features(sys, &features, hv_status);
	}
	if (ret >= 0)
		ret = mshv_system_create_vm_with_args(sys, &args, vm);
	if (ret == 0)
		ret = mshv__set_property(vm->fd, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES, features, hv_status);
	if (ret < 0)
		mshv__close(&vm->fd);
	return ret;
}

/*
 * mshv_system_create_vm - mshv_system_create_vm_with_type(sys,
 * MSHV_VM_TYPE_NORMAL, vm, hv_status).
 * Errors: as mshv_system_create_vm_with_type().
 */
MSHV_INLINE int mshv_system_create_vm(struct mshv_system *sys, struct mshv_vm *vm, __u16 *hv_status)
{
	return mshv_system_create_vm_with_type(sys, MSHV_VM_TYPE_NORMAL, vm, hv_status);
}

/* ---- partition (VM) fd ------------------------------------------------------- */

/*
 * mshv_vm_from_fd - take an existing partition fd into *vm. Returns 0, or
 * -EBADF for fd < 0.
 * Errors: -EINVAL (vm NULL), -EBADF (fd < 0).
 */
MSHV_INLINE int mshv_vm_from_fd(struct mshv_vm *vm, int fd)
{
	if (!vm)
		return -EINVAL;
	vm->fd = fd;
	return fd < 0 ? -EBADF : 0;
}

/*
 * mshv_vm_close - close the partition fd (vm->fd becomes -1). The
 * partition goes away when its last fd (VP and device fds hold one) is
 * closed. Returns 0 or -errno.
 * Errors: -EINVAL (vm NULL); close(2): -EBADF, -EIO.
 */
MSHV_INLINE int mshv_vm_close(struct mshv_vm *vm)
{
	return vm ? mshv__close(&vm->fd) : -EINVAL;
}

/*
 * mshv_vm_initialize - MSHV_INITIALIZE_PARTITION on the partition fd. Returns
 * 0 or -errno.
 * Errors: -EINVAL (vm NULL); kernel: -ENOMEM (a memory deposit failed),
 * the initialization hypercall's errno (Hypercall status, without the
 * status). Once initialized, another call changes nothing and returns 0.
 */
MSHV_INLINE int mshv_vm_initialize(struct mshv_vm *vm)
{
	return vm ? mshv__ioctl(vm->fd, MSHV_INITIALIZE_PARTITION, NULL) : -EINVAL;
}

/*
 * mshv_vm_hvcall - MSHV_ROOT_HVCALL on the partition fd: the caller's
 * hypercall (one the kernel allows), with the partition id filled in. An
 * -EAGAIN of 6.15-6.18 with no rep completed is retried as in "Hypercall
 * status" (args->reps restored, args->status zeroed each time); after
 * some reps it is returned, args->reps saying how many. Returns 0 or
 * -errno; args->status holds the HV_STATUS_*, args->reps the repetitions
 * completed; hypercall errors as in Hypercall status.
 * Errors: as mshv_system_hvcall(), but kernel: -EINVAL for a hypercall the
 * kernel does not allow on a partition fd (no -ENOTTY except on the 6.6-era
 * kernel).
 */
MSHV_INLINE int mshv_vm_hvcall(struct mshv_vm *vm, struct mshv_root_hvcall *args)
{
	return vm ? mshv__hvcall_passthrough(vm->fd, args) : -EINVAL;
}

/*
 * mshv_vm_get_partition_property - HVCALL_GET_PARTITION_PROPERTY (through
 * MSHV_ROOT_HVCALL on the partition fd): property `code` into *value.
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (6.6-era: no
 * MSHV_ROOT_HVCALL); hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_get_partition_property(struct mshv_vm *vm, __u32 code, __u64 *value, __u16 *hv_status)
{
	return vm ? mshv__get_property(vm->fd, code, value, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_vm_get_partition_property_ex - HVCALL_GET_PARTITION_PROPERTY_EX
 * (MSHV_ROOT_HVCALL on the partition fd): property `code` with argument
 * `arg` into *out. Returns 0 or -errno; hypercall errors as in Hypercall
 * status.
 * Errors: -EINVAL (a NULL pointer); hypercall: as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vm_get_partition_property_ex(struct mshv_vm *vm, __u32 code, __u64 arg,
						  union hv_partition_property_ex *out, __u16 *hv_status)
{
	return vm ? mshv__get_property_ex(vm->fd, code, arg, out, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_vm_set_partition_property - HVCALL_SET_PARTITION_PROPERTY
 * (MSHV_ROOT_HVCALL on the partition fd): property `code` = value. Early
 * properties must be set before mshv_vm_initialize(). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer); hypercall: as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vm_set_partition_property(struct mshv_vm *vm, __u32 code, __u64 value, __u16 *hv_status)
{
	return vm ? mshv__set_property(vm->fd, code, value, hv_status) : mshv__einval(hv_status);
}

/*
 * mshv_vm_install_intercept - HVCALL_INSTALL_INTERCEPT (MSHV_ROOT_HVCALL on
 * the partition fd): intercept args->intercept_type (HV_INTERCEPT_TYPE_*)
 * for the accesses in args->access_type_mask (HV_INTERCEPT_ACCESS_MASK_*).
 * HV_INTERCEPT_ACCESS_MASK_NONE removes an intercept. The type decides
 * what the parameter
 * (args->intercept_parameter) and the mask's bits mean (x86):
 *   type                  parameter         READ          WRITE         EXECUTE
 *   X64_IO_PORT           io_port           IN, INS       OUT, OUTS     -
 *   X64_MSR               (none: every MSR the hypervisor does not
 *                         implement)        RDMSR         WRMSR         -
 *   X64_MSR_INDEX         msr_index         RDMSR         WRMSR         -
 *   X64_CPUID             cpuid_index       -             -             CPUID
 *   X64_GLOBAL_CPUID      (none: every leaf) -            -             CPUID
 *   EXCEPTION             exception_vector  -             -             the exception
 *   X64_APIC_WRITE        apic_write_mask   -             the registers -
 * Each intercept produces its message (HVMSG_X64_IO_PORT_INTERCEPT,
 * _MSR_INTERCEPT, _CPUID_INTERCEPT, _EXCEPTION_INTERCEPT ...): finish
 * them with mshv_vcpu_complete_io(), _complete_msr(), _complete_cpuid(),
 * or mshv_vcpu_inject_exception() to make the guest take a fault.
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, access_type_mask beyond READ | WRITE |
 * EXECUTE); hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vm_install_intercept(struct mshv_vm *vm, const struct mshv_install_intercept *args,
					  __u16 *hv_status)
{
	struct hv_input_install_intercept in;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vm || !args)
		return -EINVAL;
	if (args->access_type_mask & ~(__u32)(HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE |
					       HV_INTERCEPT_ACCESS_MASK_EXECUTE))
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.access_type = args->access_type_mask;
	in.intercept_type = (__u32)args->intercept_type;
	in.intercept_parameter = args->intercept_parameter;
	return mshv__hvcall(vm->fd, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in), NULL, 0, hv_status);
}

/*
 * mshv_vm_register_deliverability_notifications - sets
 * HV_REGISTER_DELIVERABILITY_NOTIFICATIONS of VP args->vp to args->flag
 * (HVCALL_SET_VP_REGISTERS, one register, through MSHV_ROOT_HVCALL on the
 * partition fd). args->pad must be zero. Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, args->pad not zero); hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vm_register_deliverability_notifications(
	struct mshv_vm *vm, const struct mshv_register_deliverabilty_notifications *args, __u16 *hv_status)
{
	struct hv_input_set_vp_registers head;
	struct hv_register_assoc reg;
	__u8 in[sizeof(head) + sizeof(reg)];

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vm || !args || args->pad)
		return -EINVAL;
	memset(&head, 0, sizeof(head));
	memset(&reg, 0, sizeof(reg));
	head.vp_index = args->vp;
	reg.name = HV_REGISTER_DELIVERABILITY_NOTIFICATIONS;
	reg.value.reg64 = args->flag;
	memcpy(in, &head, sizeof(head));
	memcpy(in + sizeof(head), &reg, sizeof(reg));
	return mshv__hvcall(vm->fd, HVCALL_SET_VP_REGISTERS, 1, in, sizeof(in), NULL, 0, hv_status);
}

/*
 * mshv_vm_set_guest_memory - MSHV_SET_GUEST_MEMORY on the partition fd with
 * *region as given: maps (or, with 1 << MSHV_SET_MEM_BIT_UNMAP, unmaps)
 * region->size bytes at region->userspace_addr to guest page
 * region->guest_pfn. Size and address are page multiples, size is not zero,
 * neither range wraps, flags and rsvd are valid. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown flag, size 0 or not whole
 * pages, userspace_addr not page aligned, a range that wraps, rsvd not zero);
 * kernel: -EINVAL (a region it refuses; an unmap naming no region before
 * 6.19), -ENOENT (6.19 on: an unmap naming no region), -EEXIST (overlapping
 * regions), -EFAULT (memory that cannot be pinned), -ENOMEM; the map
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_set_guest_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region)
{
	if (!vm || !region)
		return -EINVAL;
	if ((region->flags & ~MSHV_SET_MEM_FLAGS_MASK) || !region->size || (region->size % MSHV_HV_PAGE_SIZE) ||
	    (region->userspace_addr % MSHV_HV_PAGE_SIZE) || region->userspace_addr + region->size < region->size ||
	    region->guest_pfn > (~0ull - region->size) / MSHV_HV_PAGE_SIZE)
		return -EINVAL;
	if (!mshv__zero(region->rsvd, sizeof(region->rsvd)))
		return -EINVAL;
	return mshv__ioctl(vm->fd, MSHV_SET_GUEST_MEMORY, (void *)(uintptr_t)region);
}

/*
 * mshv_vm_map_user_memory - mshv_vm_set_guest_memory() with the UNMAP flag
 * cleared: maps region (flags: 1 << MSHV_SET_MEM_BIT_WRITABLE /
 * _EXECUTABLE). Returns 0 or -errno.
 * Errors: as mshv_vm_set_guest_memory().
 */
MSHV_INLINE int mshv_vm_map_user_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region)
{
	struct mshv_user_mem_region r;

	if (!region)
		return -EINVAL;
	r = *region;
	r.flags &= (__u8)~MSHV__BIT(MSHV_SET_MEM_BIT_UNMAP);
	return mshv_vm_set_guest_memory(vm, &r);
}

/*
 * mshv_vm_unmap_user_memory - mshv_vm_set_guest_memory() with flags exactly
 * 1 << MSHV_SET_MEM_BIT_UNMAP: unmaps the region mapped with the same
 * guest_pfn, size and userspace_addr. Returns 0 or -errno.
 * Errors: as mshv_vm_set_guest_memory().
 */
MSHV_INLINE int mshv_vm_unmap_user_memory(struct mshv_vm *vm, const struct mshv_user_mem_region *region)
{
	struct mshv_user_mem_region r;

	if (!region)
		return -EINVAL;
	r = *region;
	r.flags = (__u8)MSHV__BIT(MSHV_SET_MEM_BIT_UNMAP);
	return mshv_vm_set_guest_memory(vm, &r);
}

/*
 * mshv_vm_irqfd - MSHV_IRQFD on the partition fd with *args as given.
 * Returns 0 or -errno (-EBADF for a negative fd or, when assigning with
 * resampling, a negative resamplefd).
 * Errors: -EINVAL (a NULL pointer, an unknown flag), -EBADF (fd < 0, or
 * resamplefd < 0 when assigning with resampling); kernel: -EBADF, -EINVAL
 * (not an eventfd, or no MSI route), -EBUSY (the eventfd is registered
 * already), -ENOMEM.
 */
MSHV_INLINE int mshv_vm_irqfd(struct mshv_vm *vm, const struct mshv_user_irqfd *args)
{
	if (!vm || !args)
		return -EINVAL;
	if (args->flags & ~(__u32)MSHV_IRQFD_FLAGS_MASK)
		return -EINVAL;
	if (args->fd < 0 || ((args->flags & MSHV__BIT(MSHV_IRQFD_BIT_RESAMPLE)) &&
			     !(args->flags & MSHV__BIT(MSHV_IRQFD_BIT_DEASSIGN)) && args->resamplefd < 0))
		return -EBADF;
	return mshv__ioctl(vm->fd, MSHV_IRQFD, (void *)(uintptr_t)args);
}

/*
 * mshv_vm_register_irqfd - MSHV_IRQFD: eventfd fd injects the MSI routed at
 * gsi. Returns 0 or -errno.
 * Errors: as mshv_vm_irqfd().
 */
MSHV_INLINE int mshv_vm_register_irqfd(struct mshv_vm *vm, int fd, __u32 gsi)
{
	struct mshv_user_irqfd args = { fd, 0, gsi, 0 };

	return mshv_vm_irqfd(vm, &args);
}

/*
 * mshv_vm_register_irqfd_with_resample - MSHV_IRQFD with
 * MSHV_IRQFD_BIT_RESAMPLE: as mshv_vm_register_irqfd(), level-triggered,
 * resamplefd signalled when the guest acknowledges. Returns 0 or -errno.
 * Errors: as mshv_vm_irqfd().
 */
MSHV_INLINE int mshv_vm_register_irqfd_with_resample(struct mshv_vm *vm, int fd, int resamplefd, __u32 gsi)
{
	struct mshv_user_irqfd args = { fd, resamplefd, gsi, (__u32)MSHV__BIT(MSHV_IRQFD_BIT_RESAMPLE) };

	return mshv_vm_irqfd(vm, &args);
}

/*
 * mshv_vm_unregister_irqfd - MSHV_IRQFD with MSHV_IRQFD_BIT_DEASSIGN for (fd,
 * gsi). Returns 0 or -errno.
 * Errors: as mshv_vm_irqfd().
 */
MSHV_INLINE int mshv_vm_unregister_irqfd(struct mshv_vm *vm, int fd, __u32 gsi)
{
	struct mshv_user_irqfd args = { fd, 0, gsi, (__u32)MSHV__BIT(MSHV_IRQFD_BIT_DEASSIGN) };

	return mshv_vm_irqfd(vm, &args);
}

/*
 * mshv_vm_ioeventfd - MSHV_IOEVENTFD on the partition fd with *args as
 * given (len 0 for any size, or 1, 2, 4 or 8; the range does not wrap;
 * rsvd zero). Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown flag, len not 0, 1, 2, 4 or 8,
 * a range that wraps, rsvd not zero), -EBADF (fd < 0); kernel: -EOPNOTSUPP
 * (MSHV_IOEVENTFD_BIT_PIO), -EEXIST (registered already), -ENOENT
 * (deassigning what is not there), -EBADF, -EINVAL, -ENOMEM.
 */
MSHV_INLINE int mshv_vm_ioeventfd(struct mshv_vm *vm, const struct mshv_user_ioeventfd *args)
{
	if (!vm || !args)
		return -EINVAL;
	if ((args->flags & ~(__u32)MSHV_IOEVENTFD_FLAGS_MASK) ||
	    (args->len != 0 && args->len != 1 && args->len != 2 && args->len != 4 && args->len != 8) ||
	    args->addr + args->len < args->addr)
		return -EINVAL;
	if (!mshv__zero(args->rsvd, sizeof(args->rsvd)))
		return -EINVAL;
	if (args->fd < 0)
		return -EBADF;
	return mshv__ioctl(vm->fd, MSHV_IOEVENTFD, (void *)(uintptr_t)args);
}

/* The ioeventfd argument of mshv_vm_(un)register_ioevent(). */
MSHV_INLINE int mshv__ioevent(struct mshv_vm *vm, int fd, unsigned int space, __u64 addr, __u32 len, __u64 datamatch,
			      __u32 flags)
{
	struct mshv_user_ioeventfd args;

	if (!vm)
		return -EINVAL;
	if (space == MSHV_IOEVENT_PIO)
		return -EOPNOTSUPP;
	/* a datamatch needs a length, and must fit in it (else it never matches) */
	if (space != MSHV_IOEVENT_MMIO || (!len && datamatch) || (len && len < 8 && (datamatch >> (8 * len))))
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.datamatch = datamatch;
	args.addr = addr;
	args.len = len;
	args.fd = fd;
	args.flags = flags | (len ? (__u32)MSHV__BIT(MSHV_IOEVENTFD_BIT_DATAMATCH) : 0);
	return mshv_vm_ioeventfd(vm, &args);
}

/*
 * mshv_vm_register_ioevent - MSHV_IOEVENTFD: a guest write to `addr`
 * (MSHV_IOEVENT_MMIO; MSHV_IOEVENT_PIO gives -EOPNOTSUPP, as no kernel
 * implements it) signals eventfd fd instead of exiting. len 0: any write
 * (datamatch must be 0: mshv-ioctls' NoDatamatch); len 1, 2, 4 or 8: only
 * writes of that size whose value is datamatch. Returns 0 or -errno.
 * Errors: -EOPNOTSUPP (MSHV_IOEVENT_PIO), -EINVAL (vm NULL, an unknown space,
 * a datamatch wider than len or without len), and those of
 * mshv_vm_ioeventfd().
 */
MSHV_INLINE int mshv_vm_register_ioevent(struct mshv_vm *vm, int fd, unsigned int space, __u64 addr, __u32 len,
					 __u64 datamatch)
{
	return mshv__ioevent(vm, fd, space, addr, len, datamatch, 0);
}

/*
 * mshv_vm_unregister_ioevent - MSHV_IOEVENTFD with
 * MSHV_IOEVENTFD_BIT_DEASSIGN, same arguments. Returns 0 or -errno.
 * Errors: as mshv_vm_register_ioevent().
 */
MSHV_INLINE int mshv_vm_unregister_ioevent(struct mshv_vm *vm, int fd, unsigned int space, __u64 addr, __u32 len,
					   __u64 datamatch)
{
	return mshv__ioevent(vm, fd, space, addr, len, datamatch, (__u32)MSHV__BIT(MSHV_IOEVENTFD_BIT_DEASSIGN));
}

/*
 * mshv_vm_set_msi_routing - MSHV_SET_MSI_ROUTING on the partition fd:
 * replaces the routing table with table->nr entries (table->entries;
 * table->rsvd zero). Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, table->rsvd not zero); kernel: -EINVAL
 * (too many entries, a bad entry), -EFAULT, -ENOMEM.
 */
MSHV_INLINE int mshv_vm_set_msi_routing(struct mshv_vm *vm, const struct mshv_user_irq_table *table)
{
	if (!vm || !table || table->rsvd)
		return -EINVAL;
	return mshv__ioctl(vm->fd, MSHV_SET_MSI_ROUTING, (void *)(uintptr_t)table);
}

/*
 * mshv_vm_get_gpap_access_bitmap - MSHV_GET_GPAP_ACCESS_BITMAP on the
 * partition fd: one bit per page for page_count pages from guest page
 * base_pfn, of access_type (MSHV_GPAP_ACCESS_TYPE_ACCESSED or _DIRTY), into
 * bitmap (bitmap_words words; (page_count + 63) / 64 of them are written,
 * bit k = page base_pfn + k, unused high bits zero), then access_op
 * (MSHV_GPAP_ACCESS_OP_NOOP, _CLEAR, _SET) on those states. Returns 0 or
 * -errno: -EINVAL, before anything is written or asked, for a NULL vm or
 * bitmap, bitmap_words below (page_count + 63) / 64, no pages, a range
 * that wraps, or an unknown access_type or access_op.
 * Errors: -EINVAL (a NULL pointer, an unknown access_type or access_op,
 * page_count 0, a range that wraps, bitmap_words too small); kernel: -EINVAL,
 * -EFAULT, -ENOMEM; the hypercall's errno.
 */
MSHV_INLINE int mshv_vm_get_gpap_access_bitmap(struct mshv_vm *vm, __u64 base_pfn, __u64 page_count,
					       __u8 access_type, __u8 access_op, __u64 *bitmap, size_t bitmap_words)
{
	struct mshv_gpap_access_bitmap args;

	if (access_type >= MSHV_GPAP_ACCESS_TYPE_COUNT || access_op >= MSHV_GPAP_ACCESS_OP_COUNT || !page_count ||
	    base_pfn + page_count < base_pfn || !vm || !bitmap || bitmap_words < page_count / 64 + (page_count % 64 != 0))
		return -EINVAL;
	bitmap[(page_count - 1) / 64] = 0; /* the kernel writes whole bytes only */
	memset(&args, 0, sizeof(args));
	args.access_type = access_type;
	args.access_op = access_op;
	args.page_count = page_count;
	args.gpap_base = base_pfn;
	args.bitmap_ptr = MSHV__PTR(bitmap);
	return mshv__ioctl(vm->fd, MSHV_GET_GPAP_ACCESS_BITMAP, &args);
}

/*
 * mshv_vm_get_dirty_log - the dirty bits of memory_size bytes of guest
 * memory from page base_pfn (whole pages: memory_size / MSHV_HV_PAGE_SIZE),
 * into bitmap (bitmap_words words of 64 pages, at least one per 64 pages),
 * then access_op on them, as mshv-ioctls' get_dirty_log: one
 * MSHV_GET_GPAP_ACCESS_BITMAP per MSHV_DIRTY_LOG_BATCH_PAGES pages, each
 * writing its part of the caller's bitmap in place. On an error, the words
 * of the batches before the failing one are valid (and their access_op
 * applied). Dirty page tracking must be on. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown access_op, a range that wraps,
 * bitmap_words too small), and those of mshv_vm_get_gpap_access_bitmap().
 */
MSHV_INLINE int mshv_vm_get_dirty_log(struct mshv_vm *vm, __u64 base_pfn, __u64 memory_size, __u8 access_op,
				      __u64 *bitmap, size_t bitmap_words)
{
	__u64 pages = memory_size / MSHV_HV_PAGE_SIZE, done = 0, n;
	int ret;

	if (access_op >= MSHV_GPAP_ACCESS_OP_COUNT || base_pfn + pages < base_pfn || !vm || !bitmap ||
	    bitmap_words < (pages + 63) / 64)
		return -EINVAL;
	while (done < pages) {
		n = pages - done < MSHV_DIRTY_LOG_BATCH_PAGES ? pages - done : MSHV_DIRTY_LOG_BATCH_PAGES;
		ret = mshv_vm_get_gpap_access_bitmap(vm, base_pfn + done, n, MSHV_GPAP_ACCESS_TYPE_DIRTY, access_op,
						     bitmap + done / 64, bitmap_words - done / 64);
		if (ret < 0)
			return ret;
		done += n;
	}
	return 0;
}

/*
 * mshv_vm_enable_dirty_page_tracking -
 * HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING = 1
 * (HVCALL_SET_PARTITION_PROPERTY on the partition fd). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 * Errors: -EINVAL (vm NULL); hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vm_enable_dirty_page_tracking(struct mshv_vm *vm, __u16 *hv_status)
{
	return mshv_vm_set_partition_property(vm, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING, 1, hv_status);
}

/*
 * mshv_vm_disable_dirty_page_tracking -
 * HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING = 0. The hypervisor
 * refuses while dirty bits are cleared: set them first
 * (MSHV_GPAP_ACCESS_OP_SET over the whole memory). Returns 0 or -errno;
 * hypercall errors as in Hypercall status.
 * Errors: -EINVAL (vm NULL); hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vm_disable_dirty_page_tracking(struct mshv_vm *vm, __u16 *hv_status)
{
	return mshv_vm_set_partition_property(vm, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING, 0, hv_status);
}

/*
 * mshv_vm_modify_gpa_host_access - MSHV_MODIFY_GPA_HOST_ACCESS on the
 * partition fd (6.6-era kernels; -ENOTTY upstream): host access flags
 * (1 << MSHV_GPA_HOST_ACCESS_BIT_*) for args->page_count pages listed in
 * args->guest_pfns. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown flag, page_count 0, rsvd not
 * zero); kernel: -ENOTTY (upstream), -EINVAL, -EFAULT, -ENOMEM; the
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_modify_gpa_host_access(struct mshv_vm *vm, const struct mshv_modify_gpa_host_access *args)
{
	if (!vm || !args)
		return -EINVAL;
	if ((args->flags & ~((1u << MSHV_GPA_HOST_ACCESS_BIT_COUNT) - 1)) || !args->page_count)
		return -EINVAL;
	if (!mshv__zero(args->rsvd, sizeof(args->rsvd)))
		return -EINVAL;
	return mshv__ioctl(vm->fd, MSHV_MODIFY_GPA_HOST_ACCESS, (void *)(uintptr_t)args);
}

/*
 * mshv_vm_import_isolated_pages - MSHV_IMPORT_ISOLATED_PAGES on the
 * partition fd (6.6-era kernels, SEV-SNP partitions): args->page_count
 * pages of args->page_type (MSHV_ISOLATED_PAGE_*) at args->guest_pfns.
 * Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown page_type, page_count 0, rsvd
 * not zero); kernel: -ENOTTY (upstream), -EINVAL, -EFAULT, -ENOMEM; the
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_import_isolated_pages(struct mshv_vm *vm, const struct mshv_import_isolated_pages *args)
{
	if (!vm || !args)
		return -EINVAL;
	if (args->page_type >= MSHV_ISOLATED_PAGE_COUNT || !args->page_count)
		return -EINVAL;
	if (!mshv__zero(args->rsvd, sizeof(args->rsvd)))
		return -EINVAL;
	return mshv__ioctl(vm->fd, MSHV_IMPORT_ISOLATED_PAGES, (void *)(uintptr_t)args);
}

/*
 * mshv_vm_complete_isolated_import - MSHV_COMPLETE_ISOLATED_IMPORT on the
 * partition fd (6.6-era kernels, SEV-SNP): ends the import with the launch
 * data in *args. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (upstream), -EFAULT; the
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_complete_isolated_import(struct mshv_vm *vm, const struct mshv_complete_isolated_import *args)
{
	return vm && args ? mshv__ioctl(vm->fd, MSHV_COMPLETE_ISOLATED_IMPORT, (void *)(uintptr_t)args) : -EINVAL;
}

/*
 * mshv_vm_issue_psp_guest_request - MSHV_ISSUE_PSP_GUEST_REQUEST on the
 * partition fd (6.6-era kernels, SEV-SNP): forwards the guest's request
 * page args->req_gpa to the PSP, response to args->rsp_gpa. Returns 0 or
 * -errno.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (upstream), -EFAULT; the
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_issue_psp_guest_request(struct mshv_vm *vm, const struct mshv_issue_psp_guest_request *args)
{
	return vm && args ? mshv__ioctl(vm->fd, MSHV_ISSUE_PSP_GUEST_REQUEST, (void *)(uintptr_t)args) : -EINVAL;
}

/*
 * mshv_vm_sev_snp_ap_create - MSHV_SEV_SNP_AP_CREATE on the partition fd
 * (6.6-era kernels, SEV-SNP): starts VP args->vp_id from the VMSA at
 * args->vmsa_gpa. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer); kernel: -ENOTTY (upstream), -EFAULT; the
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_sev_snp_ap_create(struct mshv_vm *vm, const struct mshv_sev_snp_ap_create *args)
{
	return vm && args ? mshv__ioctl(vm->fd, MSHV_SEV_SNP_AP_CREATE, (void *)(uintptr_t)args) : -EINVAL;
}

/*
 * mshv_device_from_fd - take an existing device fd into *dev and find its
 * attribute numbering (dev->abi), unless MSHV_ABI pins it: 6.6-era kernels
 * number SET 0x00, GET 0x01, HAS 0x02, upstream SET 0x00, HAS 0x01 (the old
 * GET number). 0x02 exists only in the former: sent with no argument it
 * fails with EFAULT there and ENOTTY upstream, changing nothing. (This
 * assumes upstream never numbers a device ioctl 0x02 with this size.)
 * Returns 0, -EBADF for fd < 0, or the probe's unexpected -errno.
 * Errors: -EINVAL (dev NULL), -EBADF (fd < 0), -EIO (the probe answered
 * success); kernel: the probe's unexpected errno.
 */
MSHV_INLINE int mshv_device_from_fd(struct mshv_device *dev, int fd)
{
	int ret;

	if (!dev)
		return -EINVAL;
	dev->abi = MSHV__ABI_GENERATION;
	dev->fd = fd;
	if (fd < 0)
		return -EBADF;
	if (MSHV_ABI != MSHV_ABI_AUTO)
		return 0;
	ret = mshv__has_ioctl(fd, MSHV_HAS_DEVICE_ATTR_LEGACY);
	if (ret < 0)
		return ret;
	dev->abi = ret ? MSHV_ABI_LEGACY : MSHV_ABI_UPSTREAM;
	return 0;
}

/*
 * mshv_vm_create_device - MSHV_CREATE_DEVICE on the partition fd: a device
 * of args->type (MSHV_DEV_TYPE_*). On success args->fd and *dev hold the
 * new device fd, with its attribute numbering found (see
 * mshv_device_from_fd); with args->flags = MSHV_CREATE_DEVICE_TEST only the
 * type is checked, no fd is made and dev->fd is -1. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, a flag other than
 * MSHV_CREATE_DEVICE_TEST), and those of mshv_device_from_fd(); kernel:
 * -ENODEV (an unknown type), -EEXIST (created already), -ENOMEM, -EMFILE.
 */
MSHV_INLINE int mshv_vm_create_device(struct mshv_vm *vm, struct mshv_create_device *args, struct mshv_device *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	dev->fd = -1;
	dev->abi = MSHV__ABI_GENERATION;
	if (!vm || !args || (args->flags & ~(__u32)MSHV_CREATE_DEVICE_TEST))
		return -EINVAL;
	ret = mshv__ioctl(vm->fd, MSHV_CREATE_DEVICE, args);
	if (ret < 0 || (args->flags & MSHV_CREATE_DEVICE_TEST))
		return ret < 0 ? ret : 0;
	ret = mshv_device_from_fd(dev, (int)args->fd);
	if (ret < 0) {
		close((int)args->fd);
		dev->fd = -1;
	}
	return ret;
}

/*
 * mshv_vm_create_vcpu - MSHV_CREATE_VP on the partition fd for VP `index`,
 * then mmap of its register page (MSHV_VP_MMAP_OFFSET_REGISTERS); a kernel
 * without one (-ENODEV) leaves vcpu->reg_page NULL. Returns 0 with *vcpu
 * filled, or -errno (and no fd left open): -EINVAL for an index the kernel
 * does not take, -EEXIST for one created before in this partition (even
 * if its fd was closed since: see mshv_vcpu_close()).
 * Errors: -EINVAL (a NULL pointer); mmap(2) of the register page: -ENOMEM,
 * ... (-ENODEV is no error: no page); kernel: -EINVAL (index beyond the
 * partition's VPs), -EEXIST (the VP exists), -ENOMEM, -EMFILE; the creation
 * hypercall's errno.
 */
MSHV_INLINE int mshv_vm_create_vcpu(struct mshv_vm *vm, __u32 index, struct mshv_vcpu *vcpu)
{
	struct mshv_create_vp args;
	void *page;
	int fd, err;

	if (!vcpu)
		return -EINVAL;
	vcpu->fd = -1;
	vcpu->index = index;
	vcpu->reg_page = NULL;
	vcpu->quirks = 0;
	if (!vm)
		return -EINVAL;
	args.vp_index = index;
	fd = mshv__ioctl(vm->fd, MSHV_CREATE_VP, &args);
	if (fd < 0)
		return fd;
	page = mmap(NULL, MSHV_HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)MSHV_VP_MMAP_OFFSET_REGISTERS * sysconf(_SC_PAGESIZE));
	if (page == MAP_FAILED) {
		err = errno;
		if (err != ENODEV) {
			close(fd);
			return -err;
		}
		page = NULL;
	}
	vcpu->fd = fd;
	vcpu->reg_page = (struct hv_vp_register_page *)page;
	return 0;
}

/* ---- VP (vCPU) fd ------------------------------------------------------------ */

/*
 * mshv_vcpu_close - unmap the register page and close the VP fd (vcpu->fd
 * becomes -1). The VP itself lives on until its partition is destroyed
 * (the kernel keeps it: hypercalls naming its index still reach it, and
 * mshv_vm_create_vcpu() of the same index gives -EEXIST). Returns 0 or
 * -errno.
 * Errors: -EINVAL (vcpu NULL); munmap(2): -EINVAL; close(2): -EBADF, -EIO.
 */
MSHV_INLINE int mshv_vcpu_close(struct mshv_vcpu *vcpu)
{
	int ret = 0, err;

	if (!vcpu)
		return -EINVAL;
	if (vcpu->reg_page && munmap(vcpu->reg_page, MSHV_HV_PAGE_SIZE) < 0)
		ret = -errno;
	vcpu->reg_page = NULL;
	err = mshv__close(&vcpu->fd);
	return err ? err : ret;
}

/*
 * mshv_vcpu_hvcall - MSHV_ROOT_HVCALL on the VP fd: the caller's
 * hypercall, retried as mshv_vm_hvcall(). Returns 0 or -errno;
 * args->status holds the HV_STATUS_*, args->reps the repetitions
 * completed; hypercall errors as in Hypercall status.
 * Errors: as mshv_vm_hvcall().
 */
MSHV_INLINE int mshv_vcpu_hvcall(struct mshv_vcpu *vcpu, struct mshv_root_hvcall *args)
{
	return vcpu ? mshv__hvcall_passthrough(vcpu->fd, args) : -EINVAL;
}

/*
 * mshv_vcpu_run - MSHV_RUN_VP on the VP fd: runs the VP until its next
 * intercept, whose message the kernel writes into *msg (in place: no
 * copy). Returns 0, -EINTR when a signal arrived first (call again), or
 * another -errno.
 * Errors: -EINVAL (a NULL pointer); kernel: -EINTR (a signal: call again),
 * -EINVAL (the partition is not initialized), -EFAULT,
 * -EBADFD/-ENOTRECOVERABLE (6.6-era) or -EIO (the hypervisor refused to run
 * the VP), -ENOMEM.
 */
MSHV_HOT_INLINE int mshv_vcpu_run(struct mshv_vcpu *vcpu, struct hv_message *msg)
{
	return vcpu && msg ? mshv__ioctl(vcpu->fd, MSHV_RUN_VP, msg) : -EINVAL;
}

/* One rep hypercall on the VP fd; *done receives the repetitions completed. */
MSHV_INLINE int mshv__vcpu_hvcall_rep(struct mshv_vcpu *vcpu, __u16 code, size_t reps, const void *in, size_t in_sz,
				      void *out, size_t out_sz, size_t *done, __u16 *hv_status)
{
	struct mshv_root_hvcall args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.code = code;
	args.reps = (__u16)reps;
	args.in_sz = (__u16)in_sz;
	args.out_sz = (__u16)out_sz;
	args.in_ptr = MSHV__PTR(in);
	args.out_ptr = MSHV__PTR(out);
	ret = mshv__root_hvcall(vcpu->fd, &args);
	if (hv_status)
		*hv_status = args.status;
	*done = args.reps <= reps ? args.reps : reps;
	if (ret == -EAGAIN && *done)
		return 0; /* 6.15-6.18 deposited memory after some reps: the caller continues */
	return ret < 0 ? ret : 0;
}

/* MSHV_GET_VP_REGISTERS_LEGACY or MSHV_SET_VP_REGISTERS_LEGACY (request) over regs[0..count), MSHV_VP_MAX_REGISTERS per call. */
MSHV_INLINE int mshv__registers_legacy(struct mshv_vcpu *vcpu, unsigned long request, struct hv_register_assoc *regs,
				       size_t count)
{
	struct mshv_vp_registers_legacy args;
	size_t done;
	int ret;

	if (!count || !regs || !vcpu)
		return -EINVAL;
	for (done = 0; done < count; done += (size_t)args.count) {
		args.count = (int)(count - done < MSHV_VP_MAX_REGISTERS ? count - done : MSHV_VP_MAX_REGISTERS);
		args.regs = regs + done;
		ret = mshv__ioctl(vcpu->fd, request, &args);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * mshv_vcpu_get_registers_legacy - MSHV_GET_VP_REGISTERS_LEGACY (6.6-era VP fd
 * ioctl) for regs[0..count), MSHV_VP_MAX_REGISTERS per call. Returns 0 or
 * -errno (-ENOTTY upstream).
 * Errors: -EINVAL (a NULL pointer, count 0); kernel: -ENOTTY (upstream),
 * -EINVAL, -EFAULT; the hypercall's errno (6.6-era mapping).
 */
MSHV_INLINE int mshv_vcpu_get_registers_legacy(struct mshv_vcpu *vcpu, struct hv_register_assoc *regs, size_t count)
{
	return mshv__registers_legacy(vcpu, MSHV_GET_VP_REGISTERS_LEGACY, regs, count);
}

/*
 * mshv_vcpu_set_registers_legacy - MSHV_SET_VP_REGISTERS_LEGACY (6.6-era), as
 * above. Returns 0 or -errno.
 * Errors: as mshv_vcpu_get_registers_legacy().
 */
MSHV_INLINE int mshv_vcpu_set_registers_legacy(struct mshv_vcpu *vcpu, const struct hv_register_assoc *regs,
					       size_t count)
{
	/* the kernel only reads them */
	return mshv__registers_legacy(vcpu, MSHV_SET_VP_REGISTERS_LEGACY, (struct hv_register_assoc *)(uintptr_t)regs, count);
}

/*
 * mshv_vcpu_get_registers - the values of regs[0..count) (HV_*_REGISTER_*
 * names in .name, values into .value): HVCALL_GET_VP_REGISTERS through
 * MSHV_ROOT_HVCALL on the VP fd, MSHV_GET_REGISTERS_PER_CALL names per
 * call, any count, on the stack (no allocation); a call that completes only
 * part of its repetitions (also one that 6.15-6.18 end with -EAGAIN after
 * some, having deposited memory) is continued from there. A kernel without
 * MSHV_ROOT_HVCALL on VP fds (-ENOTTY) gets
 * mshv_vcpu_get_registers_legacy() instead, remembered in vcpu->quirks. On
 * an error the registers of the calls that completed before the failing one
 * hold their values; those of the failing call keep what they had (upstream
 * kernels from 6.19 do not copy the output of a failed hypercall back).
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, count 0), -EIO (a call completed no
 * register); kernel: -EINVAL, -EFAULT, and those of
 * mshv_vcpu_get_registers_legacy() where it falls back; hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_get_registers(struct mshv_vcpu *vcpu, struct hv_register_assoc *regs, size_t count,
					__u16 *hv_status)
{
	struct hv_input_get_vp_registers head;
	__u8 in[sizeof(struct hv_input_get_vp_registers) + 4 * MSHV_GET_REGISTERS_PER_CALL];
	union hv_register_value out[MSHV_GET_REGISTERS_PER_CALL];
	size_t done = 0, n, k, i;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!count || !regs || !vcpu)
		return -EINVAL;
	if (vcpu->quirks & MSHV_QUIRK_NO_ROOT_HVCALL)
		return mshv_vcpu_get_registers_legacy(vcpu, regs, count);
	memset(&head, 0, sizeof(head));
	head.vp_index = vcpu->index;
	memcpy(in, &head, sizeof(head));
	while (done < count) {
		n = count - done < MSHV_GET_REGISTERS_PER_CALL ? count - done : MSHV_GET_REGISTERS_PER_CALL;
		for (i = 0; i < n; i++)
			memcpy(in + sizeof(head) + 4 * i, &regs[done + i].name, 4);
		ret = mshv__vcpu_hvcall_rep(vcpu, HVCALL_GET_VP_REGISTERS, n, in, sizeof(head) + 4 * n, out,
					    sizeof(out[0]) * n, &k, hv_status);
		if (ret == -ENOTTY && done == 0) {
			vcpu->quirks |= MSHV_QUIRK_NO_ROOT_HVCALL;
			return mshv_vcpu_get_registers_legacy(vcpu, regs, count);
		}
		if (ret < 0)
			return ret; /* out[] may be stale: the kernel copies it back on success only */
		for (i = 0; i < k; i++)
			memcpy(&regs[done + i].value, &out[i], sizeof(out[0]));
		if (k == 0)
			return -EIO; /* success without progress: never loop on it */
		done += k;
	}
	return 0;
}

/*
 * mshv_vcpu_set_registers - set regs[0..count) (name and value of each):
 * HVCALL_SET_VP_REGISTERS through MSHV_ROOT_HVCALL on the VP fd,
 * MSHV_SET_REGISTERS_PER_CALL per call, any count, no allocation, partial
 * completion continued, the legacy ioctl on kernels without the
 * passthrough; as mshv_vcpu_get_registers(). Returns 0 or -errno; hypercall
 * errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, count 0), -EIO (a call completed no
 * register); kernel: -EINVAL, -EFAULT, and those of
 * mshv_vcpu_set_registers_legacy() where it falls back; hypercall: as in
 * Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_set_registers(struct mshv_vcpu *vcpu, const struct hv_register_assoc *regs, size_t count,
					__u16 *hv_status)
{
	struct hv_input_set_vp_registers head;
	__u8 in[sizeof(struct hv_input_set_vp_registers) + sizeof(struct hv_register_assoc) * MSHV_SET_REGISTERS_PER_CALL];
	size_t done = 0, n, k;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!count || !regs || !vcpu)
		return -EINVAL;
	if (vcpu->quirks & MSHV_QUIRK_NO_ROOT_HVCALL)
		return mshv_vcpu_set_registers_legacy(vcpu, regs, count);
	memset(&head, 0, sizeof(head));
	head.vp_index = vcpu->index;
	memcpy(in, &head, sizeof(head));
	while (done < count) {
		n = count - done < MSHV_SET_REGISTERS_PER_CALL ? count - done : MSHV_SET_REGISTERS_PER_CALL;
		memcpy(in + sizeof(head), regs + done, sizeof(regs[0]) * n);
		ret = mshv__vcpu_hvcall_rep(vcpu, HVCALL_SET_VP_REGISTERS, n, in, sizeof(head) + sizeof(regs[0]) * n, NULL, 0,
					    &k, hv_status);
		if (ret == -ENOTTY && done == 0) {
			vcpu->quirks |= MSHV_QUIRK_NO_ROOT_HVCALL;
			return mshv_vcpu_set_registers_legacy(vcpu, regs, count);
		}
		if (ret < 0)
			return ret;
		if (k == 0)
			return -EIO;
		done += k;
	}
	return 0;
}

/*
 * mshv_vcpu_get_register - one register `name` (HV_*_REGISTER_*) into *value:
 * mshv_vcpu_get_registers().
 * Errors: -EINVAL (a NULL pointer), and those of mshv_vcpu_get_registers().
 */
MSHV_INLINE int mshv_vcpu_get_register(struct mshv_vcpu *vcpu, __u32 name, union hv_register_value *value,
				       __u16 *hv_status)
{
	struct hv_register_assoc reg;
	int ret;

	if (!value)
		return mshv__einval(hv_status);
	memset(&reg, 0, sizeof(reg));
	reg.name = name;
	ret = mshv_vcpu_get_registers(vcpu, &reg, 1, hv_status);
	if (ret == 0)
		*value = reg.value;
	return ret;
}

/*
 * mshv_vcpu_set_register64 - one 64-bit register `name` = value:
 * mshv_vcpu_set_registers().
 * Errors: -EINVAL (vcpu NULL), and those of mshv_vcpu_set_registers().
 */
MSHV_INLINE int mshv_vcpu_set_register64(struct mshv_vcpu *vcpu, __u32 name, __u64 value, __u16 *hv_status)
{
	struct hv_register_assoc reg;

	memset(&reg, 0, sizeof(reg));
	reg.name = name;
	reg.value.reg64 = value;
	return mshv_vcpu_set_registers(vcpu, &reg, 1, hv_status);
}

/*
 * mshv_vcpu_set_registers64 - set 64-bit registers from count {name,
 * value} pairs: mshv_vcpu_set_registers(), MSHV_SET_REGISTERS_PER_CALL at
 * a time. Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (a NULL pointer, count 0), and those of
 * mshv_vcpu_set_registers().
 */
MSHV_INLINE int mshv_vcpu_set_registers64(struct mshv_vcpu *vcpu, const struct mshv_register64 *pairs, size_t count,
					  __u16 *hv_status)
{
	struct hv_register_assoc regs[MSHV_SET_REGISTERS_PER_CALL];
	size_t done, n, i;
	int ret = -EINVAL;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vcpu || !pairs)
		return -EINVAL;
	for (done = 0; done < count; done += n) {
		n = count - done < MSHV_SET_REGISTERS_PER_CALL ? count - done : MSHV_SET_REGISTERS_PER_CALL;
		memset(regs, 0, sizeof(regs[0]) * n);
		for (i = 0; i < n; i++) {
			regs[i].name = pairs[done + i].name;
			regs[i].value.reg64 = pairs[done + i].value;
		}
		ret = mshv_vcpu_set_registers(vcpu, regs, n, hv_status);
		if (ret < 0)
			return ret;
	}
	return ret;
}

/* ---- address translation and guest memory through a VP ------------------ */

/*
 * mshv_vcpu_translate_gva - translate guest virtual address gva with
 * HV_TRANSLATE_GVA_* flags: the 6.6-era MSHV_VP_TRANSLATE_GVA ioctl, or
 * (kernel without it: -ENOTTY, remembered in vcpu->quirks)
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS through MSHV_ROOT_HVCALL. *gpa and
 * *result receive the answer; check result->result_code
 * (HV_TRANSLATE_GVA_SUCCESS). Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 * Errors: -EINVAL (a NULL pointer); kernel: -EINVAL, -EFAULT; hypercall: as
 * in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_translate_gva(struct mshv_vcpu *vcpu, __u64 gva, __u64 flags, __u64 *gpa,
					union hv_translate_gva_result *result, __u16 *hv_status)
{
	struct hv_input_translate_virtual_address in;
	struct hv_output_translate_virtual_address out;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vcpu || !gpa || !result)
		return -EINVAL;
	if (!(vcpu->quirks & MSHV_QUIRK_NO_TRANSLATE_IOCTL)) {
		struct mshv_translate_gva args;

		args.gva = gva;
		args.flags = flags;
		args.result = result;
		args.gpa = gpa;
		result->as_uint64 = 0;
		*gpa = 0;
		ret = mshv__ioctl(vcpu->fd, MSHV_VP_TRANSLATE_GVA, &args);
		if (ret != -ENOTTY)
			return ret;
		vcpu->quirks |= MSHV_QUIRK_NO_TRANSLATE_IOCTL;
	}
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.vp_index = vcpu->index;
	in.control_flags = flags;
	in.gva_page = gva >> 12;
	ret = mshv__hvcall(vcpu->fd, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in), &out, sizeof(out), hv_status);
	if (ret == 0) {
		*result = out.translation_result;
		*gpa = (out.gpa_page << 12) | (gva & 0xfff);
	}
	return ret;
}

/*
 * HVCALL_READ_GPA or HVCALL_WRITE_GPA for rw: the write input is the read
 * input followed by the data, and both outputs start with the access result.
 */
MSHV_INLINE int mshv__gpa_access(struct mshv_vcpu *vcpu, struct mshv_read_write_gpa *rw, int write,
				 __u64 *access_result, __u16 *hv_status)
{
	struct hv_input_write_gpa in;
	struct hv_output_read_gpa out;
	int ret;

	if (hv_status)
		*hv_status = HV_STATUS_SUCCESS;
	if (!vcpu || !rw || !rw->byte_count || rw->byte_count > sizeof(rw->data))
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.vp_index = vcpu->index;
	in.byte_count = rw->byte_count;
	in.base_gpa = rw->base_gpa;
	in.control_flags.as_uint64 = rw->flags;
	if (write)
		memcpy(in.data, rw->data, rw->byte_count);
	ret = mshv__hvcall(vcpu->fd, write ? HVCALL_WRITE_GPA : HVCALL_READ_GPA, 0, &in,
			   write ? sizeof(in) : sizeof(struct hv_input_read_gpa), &out,
			   write ? sizeof(struct hv_output_write_gpa) : sizeof(out), hv_status);
	if (ret == 0 && !write)
		memcpy(rw->data, out.data, rw->byte_count);
	if (ret == 0 && access_result)
		*access_result = out.access_result.as_uint64;
	return ret;
}

/*
 * mshv_vcpu_gpa_read - HVCALL_READ_GPA (MSHV_ROOT_HVCALL on the VP fd,
 * 6.6-era kernels): rw->byte_count (1-16) bytes at guest physical
 * rw->base_gpa as this VP sees them, into rw->data; *access_result (may be
 * NULL) receives the hypervisor's access result (HV_GPA_ACCESS_*).
 * Returns 0 or -errno; hypercall errors as in Hypercall status.
 * Errors: -EINVAL (vcpu or rw NULL, byte_count 0 or > 16); kernel: -ENOTTY
 * (no passthrough), -EINVAL (upstream: a hypercall it does not allow);
 * hypercall: as in Hypercall status.
 */
MSHV_INLINE int mshv_vcpu_gpa_read(struct mshv_vcpu *vcpu, struct mshv_read_write_gpa *rw, __u64 *access_result,
				   __u16 *hv_status)
{
	return mshv__gpa_access(vcpu, rw, 0, access_result, hv_status);
}

/*
 * mshv_vcpu_gpa_write - HVCALL_WRITE_GPA: rw->data[0..byte_count) to
 * rw->base_gpa, as above. Returns 0 or -errno; hypercall errors as in
 * Hypercall status.
 * Errors: as mshv_vcpu_gpa_read().
 */
MSHV_INLINE int mshv_vcpu_gpa_write(struct mshv_vcpu *vcpu, const struct mshv_read_write_gpa *rw,
				    __u64 *access_result, __u16 *hv_status)
{
	/* only read from: the data goes to the guest */
	return mshv__gpa_access(vcpu, (struct mshv_read_write_gpa *)(uintptr_t)rw, 1, access_result, hv_status);
}

/* The checks of MSHV_GET/SET_VP_STATE (4 KiB aligned buffer and size, known type). */
MSHV_INLINE int mshv__vp_state_check(const struct mshv_get_set_vp_state *state)
{
	if (!state || state->type >= MSHV_VP_STATE_COUNT || state->rsvd[0] || state->rsvd[1] || state->rsvd[2] ||
	    !state->buf_sz || (state->buf_sz % MSHV_HV_PAGE_SIZE) || (state->buf_ptr % MSHV_HV_PAGE_SIZE))
		return -EINVAL;
	return 0;
}

/*
 * mshv_vcpu_get_vp_state - MSHV_GET_VP_STATE on the VP fd: state
 * state->type (MSHV_VP_STATE_*) into the buffer at state->buf_ptr
 * (state->buf_sz bytes, both 4 KiB aligned); state->buf_sz receives the
 * state's size. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, an unknown type, rsvd not zero, a buffer
 * of the wrong size or alignment); kernel: -EINVAL, -EFAULT, -ENOMEM; the
 * hypercall's errno (Hypercall status, without the status).
 */
MSHV_INLINE int mshv_vcpu_get_vp_state(struct mshv_vcpu *vcpu, struct mshv_get_set_vp_state *state)
{
	int ret = mshv__vp_state_check(state);

	if (!vcpu)
		return -EINVAL;
	return ret ? ret : mshv__ioctl(vcpu->fd, MSHV_GET_VP_STATE, state);
}

/*
 * mshv_vcpu_set_vp_state - MSHV_SET_VP_STATE on the VP fd, arguments as
 * above. Returns 0 or -errno.
 * Errors: as mshv_vcpu_get_vp_state().
 */
MSHV_INLINE int mshv_vcpu_set_vp_state(struct mshv_vcpu *vcpu, struct mshv_get_set_vp_state *state)
{
	int ret = mshv__vp_state_check(state);

	if (!vcpu)
		return -EINVAL;
	return ret ? ret : mshv__ioctl(vcpu->fd, MSHV_SET_VP_STATE, state);
}

/* ---- in-kernel device fd ---------------------------------------------------- */

/*
 * mshv_device_close - close the device fd (dev->fd becomes -1). Returns 0 or
 * -errno.
 * Errors: -EINVAL (dev NULL); close(2): -EBADF, -EIO.
 */
MSHV_INLINE int mshv_device_close(struct mshv_device *dev)
{
	return dev ? mshv__close(&dev->fd) : -EINVAL;
}

/*
 * mshv_device_set_attr - MSHV_SET_DEVICE_ATTR on the device fd (the same
 * number in both generations): sets attr->attr of attr->group from the
 * data at attr->addr. attr->flags must be zero. Returns 0 or -errno.
 * Errors: -EINVAL (a NULL pointer, attr->flags not zero); kernel: -ENXIO (no
 * such group or attribute), -EFAULT, -EINVAL, -EBUSY, -ENOMEM.
 */
MSHV_INLINE int mshv_device_set_attr(struct mshv_device *dev, const struct mshv_device_attr *attr)
{
	if (!dev || !attr || attr->flags)
		return -EINVAL;
	return mshv__ioctl(dev->fd, MSHV_SET_DEVICE_ATTR_UPSTREAM, (void *)(uintptr_t)attr);
}

/*
 * mshv_device_has_attr - MSHV_HAS_DEVICE_ATTR on the device fd, in this
 * kernel's numbering: 0 when the device has attribute attr->attr of
 * attr->group, else -errno (-ENXIO: it has not).
 * Errors: -EINVAL (a NULL pointer, attr->flags not zero); kernel: -ENXIO (the
 * answer no), -EFAULT.
 */
MSHV_INLINE int mshv_device_has_attr(struct mshv_device *dev, const struct mshv_device_attr *attr)
{
	if (!dev || !attr || attr->flags)
		return -EINVAL;
	return mshv__ioctl(dev->fd,
			   dev->abi == MSHV_ABI_LEGACY ? MSHV_HAS_DEVICE_ATTR_LEGACY : MSHV_HAS_DEVICE_ATTR_UPSTREAM,
			   (void *)(uintptr_t)attr);
}

/*
 * mshv_device_get_attr - MSHV_GET_DEVICE_ATTR on the device fd (6.6-era
 * kernels only; upstream has no such ioctl: -ENOTTY): the value of
 * attr->attr of attr->group into the buffer at attr->addr. Returns 0 or
 * -errno.
 * Errors: -EINVAL (a NULL pointer, attr->flags not zero), -ENOTTY (an
 * upstream device: no such ioctl); kernel: -ENXIO, -EFAULT.
 */
MSHV_INLINE int mshv_device_get_attr(struct mshv_device *dev, struct mshv_device_attr *attr)
{
	if (!dev || !attr || attr->flags)
		return -EINVAL;
	if (dev->abi != MSHV_ABI_LEGACY)
		return -ENOTTY;
	return mshv__ioctl(dev->fd, MSHV_GET_DEVICE_ATTR_LEGACY, attr);
}

#endif /* MSHV_IMPLEMENTATION */

/* ========================================================================
 * The architecture's own part: its bindings (register sets, message views)
 * and its part of the ioctl layer
 * ======================================================================== */
#if defined(__x86_64__)
#include "mshv_x86_64.h"
#elif defined(__aarch64__)
#include "mshv_arm64.h"
#endif

#if defined(MSHV_INLINE_DECL_ONLY) && defined(__cplusplus)
}
#endif

#endif /* MSHV_H */

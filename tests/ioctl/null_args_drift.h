/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/* Not compiled: a public function without a NULL case, for ioctl-null-args-complete-detects-drift. */
MSHV_INLINE int mshv_vm_not_in_the_test(struct mshv_vm *vm, const struct mshv_user_irqfd *args)
{
	return vm && args ? 0 : -EINVAL;
}

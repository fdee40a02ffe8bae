/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * Not a header: header_manual.py reads it as part of the headers in the
 * header-manual-detects-drift test, which must fail. A new public function
 * that the manual does not list, whose comment has no errors line and that
 * has no prototype.
 */

/* mshv_vm_drifted - what a new function looks like before it is documented. */
MSHV_INLINE int mshv_vm_drifted(struct mshv_vm *vm)
{
	return vm ? 0 : -EINVAL;
}

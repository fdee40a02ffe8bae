/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * The one file of a program that defines the library's functions as real
 * symbols (the liburing ffi.c pattern): MSHV_INLINE as a visibility
 * attribute, with MSHV_IMPLEMENTATION. use.c gets prototypes only
 * (MSHV_INLINE_DECL_ONLY) and calls them.
 */
#define MSHV_INLINE __attribute__((__visibility__("default")))
#define MSHV_IMPLEMENTATION
#include "mshv.h"

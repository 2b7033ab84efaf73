/* SPDX-License-Identifier: GPL-2.0-only */
/* Executable class of a file from its first bytes: ELF (libelf) or #! script. */
#ifndef SW_ELFCLASS_H
#define SW_ELFCLASS_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/* How many leading bytes of a file callers should keep for exec_classify(). */
#define SW_CLASSIFY_HEAD (64 * 1024)

/*
 * Classify a regular file from @head, the first @len bytes of it (a prefix
 * of at most SW_CLASSIFY_HEAD bytes; @file_size is the whole file's size).
 * Sets *ret_class and, for PIE/exec with PT_INTERP or scripts, a malloc'd
 * interpreter path in *ret_interp (else NULL). A PT_INTERP lying beyond the
 * prefix leaves interp NULL. Never fails on hostile bytes: garbage is
 * SW_EXEC_NONE or SW_EXEC_ELF_OTHER. Returns 0 or -ENOMEM.
 */
int exec_classify(const unsigned char *head, size_t len, uint64_t file_size,
		  enum sw_exec_class *ret_class, char **ret_interp);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* Compare a baseline with the entries of an image or tree (offline `scan`). */
#ifndef SW_SCAN_H
#define SW_SCAN_H

#include <stddef.h>

#include "entry.h"

struct sw_baseline;
struct sw_image;

enum scan_change {
	SCAN_MODIFIED, /* content (sha256) differs */
	SCAN_ADDED, /* in the target only */
	SCAN_REMOVED, /* in the baseline only */
	SCAN_CHANGED, /* same content, other metadata (mode, owner, type, link, caps) */
	SCAN__COUNT,
};

enum {
	SCAN_F_TYPE = 1 << 0,
	SCAN_F_SHA256 = 1 << 1,
	SCAN_F_SIZE = 1 << 2,
	SCAN_F_MODE = 1 << 3,
	SCAN_F_UID = 1 << 4,
	SCAN_F_GID = 1 << 5,
	SCAN_F_LINK = 1 << 6,
	SCAN_F_CAPS = 1 << 7,
	SCAN_F_DEVICE = 1 << 8,
};

/* Called once per differing path; @expected or @actual is NULL for added/removed. */
typedef int (*scan_cb)(enum scan_change change, unsigned int fields,
		       const struct sw_entry *expected, const struct sw_entry *actual, void *ctx);

/* Merge-join of two path-sorted lists; counts[] per change. Returns the first cb error. */
int scan_compare(const struct sw_entry *base, size_t n_base, struct sw_entry *const *actual,
		 size_t n_actual, scan_cb cb, void *ctx, size_t counts[SCAN__COUNT]);

/* Bit mask of the fields in which @a and @b differ (0 when equal). */
unsigned int scan_entry_diff(const struct sw_entry *a, const struct sw_entry *b);

const char *scan_change_name(enum scan_change change);
/* Name of a single SCAN_F_* bit. */
const char *scan_field_name(unsigned int bit);

#endif

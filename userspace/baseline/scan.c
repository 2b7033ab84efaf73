// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "scan.h"

static const char *const change_names[SCAN__COUNT] = {
	[SCAN_MODIFIED] = "modified",
	[SCAN_ADDED] = "added",
	[SCAN_REMOVED] = "removed",
	[SCAN_CHANGED] = "changed",
};

const char *scan_change_name(enum scan_change change)
{
	return change < SCAN__COUNT ? change_names[change] : "?";
}

const char *scan_field_name(unsigned int bit)
{
	switch (bit) {
	case SCAN_F_TYPE:
		return "type";
	case SCAN_F_SHA256:
		return "sha256";
	case SCAN_F_SIZE:
		return "size";
	case SCAN_F_MODE:
		return "mode";
	case SCAN_F_UID:
		return "uid";
	case SCAN_F_GID:
		return "gid";
	case SCAN_F_LINK:
		return "link";
	case SCAN_F_CAPS:
		return "caps";
	case SCAN_F_DEVICE:
		return "device";
	default:
		return "?";
	}
}

static int str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

unsigned int scan_entry_diff(const struct sw_entry *a, const struct sw_entry *b)
{
	unsigned int f = 0;

	/* a hardlink is another name of a file: compare what the inode holds */
	if (entry_is_content(a) != entry_is_content(b) ||
	    (!entry_is_content(a) && a->type != b->type))
		return SCAN_F_TYPE;
	if (entry_is_content(a)) {
		if (a->size != b->size)
			f |= SCAN_F_SIZE;
		if (a->has_sha256 != b->has_sha256 || memcmp(a->sha256, b->sha256, SW_SHA256_LEN))
			f |= SCAN_F_SHA256;
	}
	/* directories a layer created implicitly have no recorded mode or owner */
	if (!(a->flags & SW_ENTRY_IMPLICIT) && !(b->flags & SW_ENTRY_IMPLICIT)) {
		if (a->mode != b->mode)
			f |= SCAN_F_MODE;
		if (a->uid != b->uid)
			f |= SCAN_F_UID;
		if (a->gid != b->gid)
			f |= SCAN_F_GID;
	}
	if (a->type == SW_FT_SYMLINK && str_differs(a->link, b->link))
		f |= SCAN_F_LINK;
	if (a->caps_len != b->caps_len || (a->caps_len && memcmp(a->caps, b->caps, a->caps_len)))
		f |= SCAN_F_CAPS;
	if ((a->type == SW_FT_CHAR || a->type == SW_FT_BLOCK) &&
	    (a->rdev_major != b->rdev_major || a->rdev_minor != b->rdev_minor))
		f |= SCAN_F_DEVICE;
	return f;
}

int scan_compare(const struct sw_entry *base, size_t n_base, struct sw_entry *const *actual,
		 size_t n_actual, scan_cb cb, void *ctx, size_t counts[SCAN__COUNT])
{
	size_t i = 0, j = 0;
	int ret = 0;

	memset(counts, 0, SCAN__COUNT * sizeof(counts[0]));
	while (!ret && (i < n_base || j < n_actual)) {
		int cmp = i == n_base	? 1 :
			  j == n_actual ? -1 :
					  strcmp(base[i].path, actual[j]->path);

		if (cmp < 0) {
			counts[SCAN_REMOVED]++;
			ret = cb(SCAN_REMOVED, 0, &base[i++], NULL, ctx);
		} else if (cmp > 0) {
			counts[SCAN_ADDED]++;
			ret = cb(SCAN_ADDED, 0, NULL, actual[j++], ctx);
		} else {
			unsigned int f = scan_entry_diff(&base[i], actual[j]);

			if (f) {
				enum scan_change c = f & (SCAN_F_SHA256 | SCAN_F_SIZE) ?
							     SCAN_MODIFIED :
							     SCAN_CHANGED;

				counts[c]++;
				ret = cb(c, f, &base[i], actual[j], ctx);
			}
			i++;
			j++;
		}
	}
	return ret;
}

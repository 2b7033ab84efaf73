// SPDX-License-Identifier: GPL-2.0-only
/* decide.c: a verdict for one hashed file, and the baseline's content index (decide.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "path.h"
#include "scan.h"
#include "decide.h"

/* 4 bytes an entry: positions in b->entries, not pointers */
struct baseline_index {
	const struct sw_entry *entries;
	uint32_t *by_hash; /* content entries sorted by sha256, then path */
	size_t n;
};

static int cmp_by_hash(const void *a, const void *b, void *arg)
{
	const struct sw_entry *v = arg, *x = &v[*(const uint32_t *)a],
			      *y = &v[*(const uint32_t *)b];
	int c = memcmp(x->sha256, y->sha256, SW_SHA256_LEN);

	return c ? c : strcmp(x->path, y->path);
}

int baseline_index_build(const struct sw_baseline *b, struct baseline_index **ret)
{
	struct baseline_index *idx;

	if (b->n_entries > UINT32_MAX)
		return -EFBIG;
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	idx->by_hash = malloc((b->n_entries ? b->n_entries : 1) * sizeof(*idx->by_hash));
	if (!idx->by_hash) {
		free(idx);
		return -ENOMEM;
	}
	idx->entries = b->entries;
	for (size_t i = 0; i < b->n_entries; i++)
		if (b->entries[i].has_sha256)
			idx->by_hash[idx->n++] = (uint32_t)i;
	qsort_r(idx->by_hash, idx->n, sizeof(*idx->by_hash), cmp_by_hash, (void *)b->entries);
	*ret = idx;
	return 0;
}

void baseline_index_free(struct baseline_index *idx)
{
	if (!idx)
		return;
	free(idx->by_hash);
	free(idx);
}

const struct sw_entry *baseline_index_find(const struct baseline_index *idx,
					   const unsigned char sha256[SW_SHA256_LEN])
{
	size_t lo = 0, hi = idx ? idx->n : 0;

	/* lower bound: the first path in path order with this content */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(idx->entries[idx->by_hash[mid]].sha256, sha256, SW_SHA256_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (idx && lo < idx->n &&
	    !memcmp(idx->entries[idx->by_hash[lo]].sha256, sha256, SW_SHA256_LEN))
		return &idx->entries[idx->by_hash[lo]];
	return NULL;
}

/* What of a file (content, mode, owner, capabilities) differs from its entry: SCAN_F_* bits. */
static unsigned int file_diff(const struct sw_entry *e, const unsigned char sha256[SW_SHA256_LEN],
			      uint64_t size, const struct sw_file_meta *meta)
{
	struct sw_entry actual = {
		.type = SW_FT_FILE,
		.size = size,
		.has_sha256 = 1,
		.mode = e->mode,
		.uid = e->uid,
		.gid = e->gid,
		.caps = e->caps,
		.caps_len = e->caps_len,
	};

	memcpy(actual.sha256, sha256, SW_SHA256_LEN);
	if (meta) {
		actual.mode = meta->mode;
		actual.uid = meta->owner_unknown ? e->uid : meta->uid;
		actual.gid = meta->owner_unknown ? e->gid : meta->gid;
		actual.caps = meta->caps_len ? (unsigned char *)meta->caps : NULL;
		actual.caps_len = meta->caps_len;
	}
	return scan_entry_diff(e, &actual) &
	       (SCAN_F_SHA256 | SCAN_F_SIZE | SCAN_F_MODE | SCAN_F_UID | SCAN_F_GID | SCAN_F_CAPS);
}

void verdict_decide(const struct sw_baseline *b, const struct baseline_index *idx, const char *path,
		    const unsigned char sha256[SW_SHA256_LEN], uint64_t size,
		    const struct sw_file_meta *meta, struct sw_verdict_result *out)
{
	const struct sw_entry *e = baseline_lookup(b, path);

	snprintf(out->resolved_path, sizeof(out->resolved_path), "%s", path);
	out->expected = NULL;
	out->same_content_as = NULL;
	out->reason = NULL;
	out->fields = 0;
	if (e && entry_is_content(e) && e->has_sha256) {
		out->expected = e;
		out->fields = file_diff(e, sha256, size, meta);
		if (!out->fields) {
			out->verdict = SW_VERDICT_OK;
			return;
		}
		out->verdict = SW_VERDICT_MODIFIED;
		out->reason = out->fields & (SCAN_F_SHA256 | SCAN_F_SIZE) ?
				      "content differs from the baseline" :
				      "mode, owner or capabilities differ from the baseline";
		return;
	}
	out->verdict = SW_VERDICT_UNKNOWN;
	out->reason =
		e ? "path is not a regular file in the baseline" : "path is not in the baseline";
	e = baseline_index_find(idx, sha256);
	if (e)
		out->same_content_as = e->path;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * baseline_parse() on arbitrary bytes. Whatever it accepts must be written
 * back by baseline_write() as the very same bytes (plus the final newline
 * when the input lacked it), and those bytes must parse again. Compacted
 * (baseline_compact(), the daemon's store) it must write the same bytes again,
 * find every entry by its path and every content entry by its digest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "decide.h"
#include "errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *write_all(struct sw_baseline *b, struct sw_entry **ptrs, size_t *ret_len)
{
	struct sw_error err = { { 0 } };
	char *out = NULL;
	FILE *f;
	int r;

	for (size_t i = 0; i < b->n_entries; i++)
		ptrs[i] = &b->entries[i];
	f = open_memstream(&out, ret_len);
	if (!f)
		abort();
	r = baseline_write(f, &b->hdr, ptrs, b->n_entries, &err);
	fclose(f);
	if (r) {
		fprintf(stderr, "accepted baseline does not write back: %s\n", err.msg);
		abort();
	}
	return out;
}

/* The compacted baseline writes @out again and finds what it holds. */
static void check_compact(struct sw_baseline *b, struct sw_entry **ptrs, const char *out,
			  size_t out_len)
{
	struct baseline_index *idx = NULL;
	size_t len = 0;
	char *again;

	if (baseline_compact(b))
		return;
	again = write_all(b, ptrs, &len);
	if (len != out_len || memcmp(again, out, len)) {
		fprintf(stderr, "compacted baseline is not written back byte for byte\n");
		abort();
	}
	free(again);
	if (baseline_index_build(b, &idx))
		abort();
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct sw_entry *e = &b->entries[i], *same;

		if (baseline_lookup(b, e->path) != e)
			abort();
		same = e->has_sha256 ? baseline_index_find(idx, e->sha256) : NULL;
		if (e->has_sha256 && (!same || memcmp(same->sha256, e->sha256, SW_SHA256_LEN)))
			abort();
	}
	baseline_index_free(idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_baseline *b = NULL, *again = NULL;
	struct sw_entry **ptrs = NULL;
	struct sw_error err = { { 0 } };
	char *out = NULL;
	size_t out_len = 0;

	if (baseline_parse((const char *)data, size, &b, &err))
		return 0;
	ptrs = calloc(b->n_entries + 1, sizeof(*ptrs));
	if (!ptrs)
		abort();
	out = write_all(b, ptrs, &out_len);
	if (!(out_len == size && memcmp(out, data, size) == 0) &&
	    !(out_len == size + 1 && size > 0 && data[size - 1] != '\n' &&
	      memcmp(out, data, size) == 0 && out[size] == '\n')) {
		fprintf(stderr, "accepted baseline is not written back byte for byte\n");
		abort();
	}
	if (baseline_parse(out, out_len, &again, &err)) {
		fprintf(stderr, "written baseline does not parse: %s\n", err.msg);
		abort();
	}
	if (again->n_entries != b->n_entries)
		abort();
	check_compact(b, ptrs, out, out_len);
	baseline_free(again);
	free(out);
	free(ptrs);
	baseline_free(b);
	return 0;
}

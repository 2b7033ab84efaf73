// SPDX-License-Identifier: GPL-2.0-only
/*
 * baseline_parse() on arbitrary bytes. Whatever it accepts must be written
 * back by baseline_write() as the very same bytes (plus the final newline
 * when the input lacked it), and those bytes must parse again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_baseline *b = NULL, *again = NULL;
	struct sw_entry **ptrs = NULL;
	struct sw_error err = { { 0 } };
	char *out = NULL;
	size_t out_len = 0;
	FILE *f;
	int r;

	if (baseline_parse((const char *)data, size, &b, &err))
		return 0;
	ptrs = calloc(b->n_entries + 1, sizeof(*ptrs));
	if (!ptrs)
		abort();
	for (size_t i = 0; i < b->n_entries; i++)
		ptrs[i] = &b->entries[i];
	f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	r = baseline_write(f, &b->hdr, ptrs, b->n_entries, &err);
	fclose(f);
	if (r) {
		fprintf(stderr, "accepted baseline does not write back: %s\n", err.msg);
		abort();
	}
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
	baseline_free(again);
	free(out);
	free(ptrs);
	baseline_free(b);
	return 0;
}

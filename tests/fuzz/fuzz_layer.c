// SPDX-License-Identifier: GPL-2.0-only
/*
 * A layer blob (tar, tar+gzip or tar+zstd) from the fuzzer, streamed through
 * layer_read() and merged with layer_apply() twice (a lower and an upper
 * layer), as `sealwatch baseline` does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "layer.h"
#include "tree.h"

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct sw_error *err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->off;

	(void)err;
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_limits limits = {
		.max_bytes = 64 << 20,
		.max_entries = 20000,
		.max_ratio = 1000,
		.allow_devices = size & 1,
	};
	struct layer_desc desc = { .compression = LAYER_COMPRESSION_ANY,
				   .size = -1,
				   .name = "fuzz" };
	struct sw_tree *tree = NULL;
	struct sw_error err;

	if (tree_new(&tree))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		struct mem m = { .p = data, .len = size };
		struct byte_source src = { .read = mem_read, .ctx = &m };
		struct layer_counters counters = { 0 };
		struct layer_result r;

		if (layer_read(&src, &desc, &limits, &counters, &r, &err))
			break;
		if (layer_apply(tree, &r, &err))
			break;
	}
	tree_free(tree);
	return 0;
}

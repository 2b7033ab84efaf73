/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the fuzz_sigstore_* targets: the trusted roots they verify against. */
#ifndef SW_SIGSTORE_FUZZ_H
#define SW_SIGSTORE_FUZZ_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"
#include "sigstore.h"

/*
 * tests/fuzz/run.sh runs the targets from the repository root; elsewhere set
 * SW_SIGSTORE_CONFORMANCE to tests/conformance/sigstore.
 */
static inline struct sigstore_trusted_root *fuzz_load_root(const char *rel)
{
	const char *dir = getenv("SW_SIGSTORE_CONFORMANCE");
	struct sigstore_trusted_root *root = NULL;
	struct sw_error e = { { 0 } };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/conformance/sigstore", rel);
	if (sigstore_trusted_root_load(path, &root, &e) < 0) {
		fprintf(stderr, "fuzz: %s (set SW_SIGSTORE_CONFORMANCE)\n", e.msg);
		abort();
	}
	return root;
}

/* A small file of the conformance directory into @buf; its length. */
static inline size_t fuzz_read(const char *rel, unsigned char *buf, size_t size)
{
	const char *dir = getenv("SW_SIGSTORE_CONFORMANCE");
	char path[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/conformance/sigstore", rel);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz: cannot open %s (set SW_SIGSTORE_CONFORMANCE)\n", path);
		abort();
	}
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

/* sigstore_verify()'s contract: one of these, with a message. */
static inline void fuzz_check_verify_result(int r, const struct sw_error *e)
{
	if (r != 0 && r != -EKEYREJECTED && r != -EBADMSG && r != -ENOTSUP && r != -EINVAL &&
	    r != -ENOMEM)
		abort();
	if (r < 0 && !e->msg[0])
		abort();
}

#endif

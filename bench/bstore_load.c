// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's start-up cost of its baseline store (bench/sigstore.sh): load a
 * directory of keyless baselines (NAME.jsonl + NAME.jsonl.sigstore.json) and the
 * same directory with key signatures (NAME.jsonl.sig), as bstore_load() does at
 * start and at every reload. Median of RUNS loads each, in milliseconds.
 *
 *   bstore_load KEYLESS_DIR TRUSTED_ROOT ID ISSUER KEYED_DIR PUB RUNS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bstore.h"
#include "crypto.h"
#include "errors.h"
#include "sigstore.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int refused;

static void report(void *ctx, const char *path, int err, const char *msg)
{
	(void)ctx;
	if (err) {
		fprintf(stderr, "bench: %s refused: %s\n", path, msg);
		refused++;
	}
}

static double load(const struct bstore_opts *o, size_t *ret_n)
{
	struct sw_error e = { { 0 } };
	struct sw_bstore *s = NULL;
	double t0 = now_ms(), t;

	if (bstore_load(o, &s, &e)) {
		fprintf(stderr, "bench: %s\n", e.msg);
		exit(1);
	}
	t = now_ms() - t0;
	*ret_n = bstore_count(s);
	bstore_unref(s);
	return t;
}

int main(int argc, char **argv)
{
	struct sigstore_trusted_root *root = NULL;
	struct sw_pubkey *key = NULL;
	struct sw_error e = { { 0 } };
	double *tk, *ts;
	size_t n_keyless = 0, n_keyed = 0;
	int runs;

	if (argc != 8 || (runs = atoi(argv[7])) < 3) {
		fprintf(stderr, "usage: %s KEYLESS_DIR ROOT ID ISSUER KEYED_DIR PUB RUNS\n",
			argv[0]);
		return 2;
	}
	if (sigstore_trusted_root_load(argv[2], &root, &e) ||
	    crypto_pubkey_load(argv[6], &key, &e)) {
		fprintf(stderr, "bench: %s\n", e.msg);
		return 1;
	}
	struct sigstore_policy id = { .identity = argv[3], .issuer = argv[4] };
	struct bstore_keyless kl = { .root = root, .identities = &id, .n_identities = 1 };
	struct bstore_opts keyless = { .dir = argv[1], .keyless = &kl, .report = report };
	struct bstore_opts keyed = { .dir = argv[5], .keys = &key, .n_keys = 1, .report = report };

	tk = calloc((size_t)runs, sizeof(*tk));
	ts = calloc((size_t)runs, sizeof(*ts));
	if (!tk || !ts)
		return 1;
	for (int i = 0; i < runs; i++) {
		tk[i] = load(&keyless, &n_keyless);
		ts[i] = load(&keyed, &n_keyed);
	}
	if (refused)
		return 1;
	qsort(tk, (size_t)runs, sizeof(*tk), cmp);
	qsort(ts, (size_t)runs, sizeof(*ts), cmp);
	printf("  %-44s median %8.1f ms   (%zu baselines, %d loads)\n",
	       "store load, keyless (bundles)", tk[runs / 2], n_keyless, runs);
	printf("  %-44s median %8.1f ms   (%zu baselines, %d loads)\n",
	       "store load, key signatures (.sig)", ts[runs / 2], n_keyed, runs);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-process cost of verifying one Sigstore bundle (parse + every check)
 * beside one detached key signature over the same file (bench/sigstore.sh).
 *
 *   sigstore_verify ROOT BUNDLE ID ISSUER FILE PUB SIG ITERATIONS
 *
 * Prints the median and the 10th/90th percentiles of each, in microseconds.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "errors.h"
#include "fileio.h"
#include "sigstore.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *label, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-44s median %8.1f us   p10 %8.1f   p90 %8.1f   (%d runs)\n", label, t[n / 2],
	       t[n / 10], t[n * 9 / 10], n);
}

int main(int argc, char **argv)
{
	struct sigstore_trusted_root *root = NULL;
	struct sigstore_policy policy = { 0 };
	struct sigstore_artifact art = { 0 };
	struct sw_pubkey *key = NULL;
	struct sw_error e = { { 0 } };
	char *bundle_text, *data, *sig;
	size_t bundle_len, len, sig_len;
	double *t_bundle, *t_key;
	int n;

	if (argc != 9) {
		fprintf(stderr, "usage: %s ROOT BUNDLE ID ISSUER FILE PUB SIG ITERATIONS\n",
			argv[0]);
		return 2;
	}
	n = atoi(argv[8]);
	if (n < 10 || sigstore_trusted_root_load(argv[1], &root, &e) < 0 ||
	    file_read_all(argv[2], 1 << 24, &bundle_text, &bundle_len, &e) < 0 ||
	    file_read_all(argv[5], 1 << 30, &data, &len, &e) < 0 ||
	    crypto_pubkey_load(argv[6], &key, &e) < 0 ||
	    file_read_all(argv[7], 1 << 16, &sig, &sig_len, &e) < 0) {
		fprintf(stderr, "bench: %s\n", e.msg);
		return 1;
	}
	policy.identity = argv[3];
	policy.issuer = argv[4];
	art.data = (const unsigned char *)data;
	art.len = len;
	EVP_Digest(data, len, art.sha256, NULL, EVP_sha256(), NULL);
	t_bundle = calloc((size_t)n, sizeof(double));
	t_key = calloc((size_t)n, sizeof(double));
	if (!t_bundle || !t_key)
		return 1;
	for (int i = 0; i < n; i++) {
		struct sigstore_bundle *b = NULL;
		double t0 = now_us();
		int r = sigstore_bundle_parse(bundle_text, bundle_len, &b, &e);

		if (!r)
			r = sigstore_verify(root, b, &art, &policy, time(NULL), NULL, &e);
		t_bundle[i] = now_us() - t0;
		sigstore_bundle_free(b);
		if (r) {
			fprintf(stderr, "bench: bundle refused: %s\n", e.msg);
			return 1;
		}
		t0 = now_us();
		r = crypto_verify(key, (const unsigned char *)data, len, sig, sig_len, &e);
		t_key[i] = now_us() - t0;
		if (r) {
			fprintf(stderr, "bench: signature refused: %s\n", e.msg);
			return 1;
		}
	}
	report("Sigstore bundle (parse + all checks)", t_bundle, n);
	report("detached ECDSA P-256 signature (key)", t_key, n);
	return 0;
}

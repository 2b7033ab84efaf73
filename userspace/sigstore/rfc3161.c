// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 3161 signed timestamps over the bundle's signature: the response must be
 * granted, its message imprint the SHA-256 of the signature bytes, and its
 * CMS signature made by a timestamp authority of the trusted root, whose
 * chain is valid at the time stamped and whose validity window holds it.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "errors.h"
#include "sigstore_internal.h"

#define REFUSE(...) sw_error_set(err, -EKEYREJECTED, "timestamp: " __VA_ARGS__)

/* Verify @resp with one authority at time @t_ms; 0 when it verifies. */
static int verify_with(const struct ss_authority *tsa, TS_RESP *resp, const unsigned char *sig,
		       size_t sig_len, int64_t t_ms)
{
	X509 *root = sk_X509_value(tsa->certs, sk_X509_num(tsa->certs) - 1);
	STACK_OF(X509) *certs = NULL;
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	unsigned char *imprint;
	int ok = 0;

	ctx = TS_VERIFY_CTX_new();
	store = X509_STORE_new();
	imprint = OPENSSL_malloc(32);
	certs = sk_X509_new_null();
	if (!ctx || !store || !imprint || !certs)
		goto out;
	if (!X509_STORE_add_cert(store, root))
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)(t_ms / 1000));
	/* the whole chain as candidates: a token may carry no certificate */
	for (int i = 0; i < sk_X509_num(tsa->certs); i++) {
		X509 *c = sk_X509_value(tsa->certs, i);

		if (!X509_up_ref(c))
			goto out;
		if (!sk_X509_push(certs, c)) {
			X509_free(c);
			goto out;
		}
	}
	ss_sha256(sig, sig_len, imprint);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_store(ctx, store);
	store = NULL;
	TS_VERIFY_CTX_set_certs(ctx, certs);
	certs = NULL;
	TS_VERIFY_CTX_set_imprint(ctx, imprint, 32);
	imprint = NULL;
	ok = TS_RESP_verify_response(ctx, resp) == 1;
out:
	OPENSSL_free(imprint);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -EKEYREJECTED;
}

int ss_rfc3161_verify(const struct sigstore_trusted_root *root, const unsigned char *tsr,
		      size_t len, const unsigned char *sig, size_t sig_len, int64_t *ret_ms,
		      struct sw_error *err)
{
	const unsigned char *p = tsr;
	const ASN1_GENERALIZEDTIME *gt;
	TS_TST_INFO *info;
	bool in_window = false;
	TS_RESP *resp;
	int64_t t_ms;
	int r = -EKEYREJECTED;

	resp = d2i_TS_RESP(NULL, &p, (long)len);
	if (!resp || p != tsr + len) {
		TS_RESP_free(resp);
		ERR_clear_error();
		return REFUSE("malformed RFC 3161 response");
	}
	info = TS_RESP_get_tst_info(resp);
	gt = info ? TS_TST_INFO_get_time(info) : NULL;
	t_ms = ss_asn1_time_ms(gt);
	if (t_ms == INT64_MIN) {
		r = REFUSE("RFC 3161 response without a time");
		goto out;
	}
	for (size_t i = 0; i < root->n_tsas; i++) {
		if (!ss_window_contains(&root->tsas[i].valid, t_ms))
			continue;
		in_window = true;
		if (verify_with(&root->tsas[i], resp, sig, sig_len, t_ms) == 0) {
			*ret_ms = t_ms;
			r = 0;
			goto out;
		}
	}
	if (!root->n_tsas)
		r = REFUSE("the trusted root has no timestamp authority");
	else if (!in_window)
		r = REFUSE("time stamped outside every timestamp authority's validity");
	else
		r = REFUSE("not a valid timestamp of a trusted authority over this signature");
out:
	TS_RESP_free(resp);
	ERR_clear_error();
	return r;
}

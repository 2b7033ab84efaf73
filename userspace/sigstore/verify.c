// SPDX-License-Identifier: GPL-2.0-only
/*
 * sigstore_verify(): every check a bundle must pass, in this order —
 * the signer (certificate or managed key) against the policy's kind, the
 * signature over the artifact (message or DSSE + in-toto subject), the
 * RFC 3161 timestamps, the transparency-log entries (body, inclusion proof,
 * checkpoint, SET), at least one verified time, the certificate chain and its
 * validity at every verified time, the SCT, and the identity policy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sigstore_internal.h"
#include "sigstore.h"

#define MAX_TIMES (2 * SS_MAX_ENTRIES)
#define IN_TOTO "application/vnd.in-toto+json"

static EVP_PKEY *load_pem_key(const char *pem, size_t len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (ss_pem_to_der((const unsigned char *)pem, len, &cert, &key) < 0)
		return NULL;
	X509_free(cert);
	return key;
}

static int verify_signature(const struct sigstore_bundle *b, const struct sigstore_artifact *art,
			    EVP_PKEY *key, struct sw_error *err)
{
	int r;

	if (b->is_dsse) {
		unsigned char *pae;
		size_t len;

		if (strcmp(b->payload_type, IN_TOTO))
			return sw_error_set(err, -EKEYREJECTED,
					    "dsse: payload type '%s', not an in-toto statement",
					    b->payload_type);
		r = ss_dsse_pae(b->payload_type, b->payload, b->payload_len, &pae, &len);
		if (r < 0)
			return sw_error_set(err, r, "dsse: %s", strerror(-r));
		r = ss_verify_data(key, pae, len, b->sig, b->sig_len);
		free(pae);
		if (r == -ENOTSUP)
			return sw_error_set(err, -ENOTSUP, "signature: unsupported key type");
		if (r < 0)
			return sw_error_set(err, -EKEYREJECTED,
					    "signature: the DSSE signature does not verify");
		return ss_intoto_subject_matches(b->payload, b->payload_len, art->sha256, err);
	}
	if (b->has_digest && memcmp(b->digest, art->sha256, 32))
		return sw_error_set(err, -EKEYREJECTED,
				    "signature: the bundle's message digest is not the artifact's");
	if (art->data)
		r = ss_verify_data(key, art->data, art->len, b->sig, b->sig_len);
	else
		r = ss_verify_prehash(key, art->sha256, b->sig, b->sig_len);
	if (r == -ENOTSUP)
		return sw_error_set(err, -ENOTSUP,
				    art->data ?
					    "signature: unsupported key type" :
					    "signature: this key type cannot be verified over a "
					    "digest alone; give the file");
	if (r < 0)
		return sw_error_set(err, -EKEYREJECTED,
				    "signature: does not verify over the artifact");
	return 0;
}

static int check_certificate(const struct sigstore_trusted_root *root, X509 *leaf,
			     const int64_t *times, size_t n_times,
			     const struct sigstore_policy *policy, struct sigstore_result *res,
			     struct sw_error *err)
{
	STACK_OF(X509) *chain = NULL;
	char issuer[256];
	int r;

	for (size_t i = 0; i < n_times; i++) {
		r = ss_cert_verify_chain(root, leaf, times[i], chain ? NULL : &chain, err);
		if (r < 0)
			goto out;
	}
	if (sk_X509_num(chain) < 2) {
		r = sw_error_set(err, -EKEYREJECTED, "certificate: no issuer in the chain");
		goto out;
	}
	r = ss_cert_verify_sct(root, leaf, sk_X509_value(chain, 1), err);
	if (r < 0)
		goto out;
	r = ss_cert_identity(leaf, policy->identity, policy->identity_regexp, res->san,
			     sizeof(res->san), err);
	if (r < 0)
		goto out;
	if (ss_cert_issuer(leaf, issuer, sizeof(issuer)) < 0) {
		r = sw_error_set(err, -EKEYREJECTED,
				 "identity: the certificate names no OIDC issuer");
		goto out;
	}
	if (strcmp(issuer, policy->issuer)) {
		r = sw_error_set(err, -EKEYREJECTED,
				 "identity: the certificate's OIDC issuer is '%s', not '%s'",
				 issuer, policy->issuer);
		goto out;
	}
	snprintf(res->issuer, sizeof(res->issuer), "%s", issuer);
out:
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/*
 * The signer's key the policy asks for: a managed key (*@managed, to free)
 * or the leaf certificate's (*@leaf, owned by the bundle).
 */
static int signer_key(const struct sigstore_bundle *b, const struct sigstore_policy *policy,
		      EVP_PKEY **managed, X509 **leaf, EVP_PKEY **key, struct sw_error *err)
{
	if (policy->key_pem) {
		if (!b->has_public_key)
			return sw_error_set(err, -EKEYREJECTED,
					    "bundle: signed with a certificate, not a managed key");
		*managed = load_pem_key(policy->key_pem, policy->key_pem_len);
		if (!*managed)
			return sw_error_set(err, -EBADMSG, "key: not a PEM public key");
		*key = *managed;
		return 0;
	}
	if (!policy->issuer || !!policy->identity == !!policy->identity_regexp)
		return sw_error_set(err, -EINVAL,
				    "policy: an OIDC issuer and one identity are required");
	if (b->has_public_key || !b->chain)
		return sw_error_set(err, -EKEYREJECTED,
				    "bundle: signed with a managed key; verify with its key");
	*leaf = sk_X509_value(b->chain, 0);
	*key = X509_get0_pubkey(*leaf);
	if (!*key)
		return sw_error_set(err, -EBADMSG, "certificate: unreadable public key");
	return 0;
}

/* The verified times (milliseconds): every RFC 3161 timestamp's, then every SET's. */
struct verified_times {
	int64_t all[MAX_TIMES];
	size_t n;
	int64_t tsa[SS_MAX_ENTRIES]; /* the RFC 3161 ones alone */
	size_t n_tsa;
};

static int check_timestamps(const struct sigstore_trusted_root *root,
			    const struct sigstore_bundle *b, struct verified_times *t,
			    struct sw_error *err)
{
	for (size_t i = 0; i < b->n_tsr; i++) {
		int r = ss_rfc3161_verify(root, b->tsr[i], b->tsr_len[i], b->sig, b->sig_len,
					  &t->tsa[t->n_tsa], err);

		if (r < 0)
			return r;
		t->all[t->n++] = t->tsa[t->n_tsa++];
	}
	return 0;
}

/*
 * Every transparency-log entry; one with a verified SET adds its time, one
 * without needs its log's key valid at every time stamped.
 */
static int check_tlog(const struct sigstore_trusted_root *root, const struct sigstore_bundle *b,
		      const struct sigstore_artifact *art, EVP_PKEY *key, int64_t now,
		      struct verified_times *t, struct sw_error *err)
{
	if (!b->n_entries)
		return sw_error_set(err, -EKEYREJECTED, "tlog: no transparency-log entry");
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct ss_tlog_entry *e = &b->entries[i];
		const struct ss_log_key *log;
		bool set_ok;
		int r = ss_tlog_verify_entry(root, b, e, art->sha256, key, now, &set_ok, err);

		if (r < 0)
			return r;
		if (set_ok) {
			t->all[t->n++] = e->integrated_time * 1000;
			continue;
		}
		log = ss_find_log(root->tlogs, root->n_tlogs, e->log_id, e->log_id_len);
		for (size_t k = 0; k < t->n_tsa; k++)
			if (!ss_window_contains(&log->valid, t->tsa[k]))
				return sw_error_set(err, -EKEYREJECTED,
						    "tlog: the log key was not valid at the "
						    "time stamped");
	}
	return 0;
}

int sigstore_verify(const struct sigstore_trusted_root *root, const struct sigstore_bundle *b,
		    const struct sigstore_artifact *art, const struct sigstore_policy *policy,
		    int64_t now, struct sigstore_result *ret, struct sw_error *err)
{
	struct sigstore_result res = { 0 };
	struct verified_times t = { .n = 0 };
	EVP_PKEY *managed = NULL, *key = NULL;
	X509 *leaf = NULL;
	int r;

	r = signer_key(b, policy, &managed, &leaf, &key, err);
	if (r >= 0)
		r = verify_signature(b, art, key, err);
	if (r >= 0)
		r = check_timestamps(root, b, &t, err);
	if (r >= 0)
		r = check_tlog(root, b, art, key, now, &t, err);
	if (r >= 0 && !t.n)
		r = sw_error_set(err, -EKEYREJECTED,
				 "timestamp: no verified time (neither a signed entry timestamp "
				 "nor an RFC 3161 timestamp)");
	if (r >= 0 && leaf)
		r = check_certificate(root, leaf, t.all, t.n, policy, &res, err);
	if (r < 0)
		goto out;
	res.signed_at = t.all[0] / 1000;
	for (size_t i = 1; i < t.n; i++)
		if (t.all[i] / 1000 < res.signed_at)
			res.signed_at = t.all[i] / 1000;
	res.n_timestamps = (unsigned)t.n;
	res.n_tlog_entries = (unsigned)b->n_entries;
	if (ret)
		*ret = res;
	r = 0;
out:
	EVP_PKEY_free(managed);
	return r;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transparency-log entries (Rekor v1 and v2): the entry's body must describe
 * exactly this bundle's signature, key and artifact; its inclusion is proved
 * by a Merkle proof up to a checkpoint signed by the log, and (Rekor v1) by a
 * signed entry timestamp (SET) over the entry and its integrated time.
 */
#include <errno.h>
#include <openssl/err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "hexutil.h"
#include "sigstore_internal.h"

#define REFUSE(...) sw_error_set(err, -EKEYREJECTED, "tlog: " __VA_ARGS__)

const struct ss_log_key *ss_find_log(const struct ss_log_key *keys, size_t n,
				     const unsigned char *id, size_t id_len)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].pkey && keys[i].id_len == id_len && !memcmp(keys[i].id, id, id_len))
			return &keys[i];
	return NULL;
}

/* A verifier named by the body (PEM cert or key, or DER): is it the bundle's? */
static bool verifier_is_ours(const struct sigstore_bundle *b, EVP_PKEY *signing_key, X509 *cert,
			     EVP_PKEY *key)
{
	if (b->chain)
		return cert && !X509_cmp(cert, sk_X509_value(b->chain, 0));
	return key && EVP_PKEY_eq(key, signing_key) == 1;
}

static bool pem_b64_is_ours(const struct sigstore_bundle *b, EVP_PKEY *signing_key, const char *b64)
{
	unsigned char *pem = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len;
	bool ok = false;

	if (ss_b64_decode(b64, &pem, &len) < 0)
		return false;
	if (ss_pem_to_der(pem, len, &cert, &key) == 0)
		ok = verifier_is_ours(b, signing_key, cert, key);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(pem);
	return ok;
}

/* Rekor v2 verifier: {x509Certificate:{rawBytes}} or {publicKey:{rawBytes}} */
static bool v2_verifier_is_ours(const struct sigstore_bundle *b, EVP_PKEY *signing_key,
				json_t *verifier)
{
	const char *c = json_string_value(
		json_object_get(json_object_get(verifier, "x509Certificate"), "rawBytes"));
	const char *k = json_string_value(
		json_object_get(json_object_get(verifier, "publicKey"), "rawBytes"));
	unsigned char *der = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len;
	bool ok = false;

	if (!!c == !!k || ss_b64_decode(c ? c : k, &der, &len) < 0)
		return false;
	if (c) {
		const unsigned char *p = der;

		cert = d2i_X509(NULL, &p, (long)len);
		if (cert && p != der + len) {
			X509_free(cert);
			cert = NULL;
		}
	} else {
		key = ss_pubkey_from_der(der, len);
	}
	if (cert || key)
		ok = verifier_is_ours(b, signing_key, cert, key);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(der);
	ERR_clear_error();
	return ok;
}

static bool b64_equals(const char *b64, const unsigned char *want, size_t want_len)
{
	unsigned char *got;
	size_t len;
	bool eq;

	if (ss_b64_decode(b64, &got, &len) < 0)
		return false;
	eq = len == want_len && !memcmp(got, want, len);
	free(got);
	return eq;
}

static bool hex_equals(const char *hex, const unsigned char d[32])
{
	char want[65];

	hex_encode(d, 32, want);
	return hex && !strcasecmp(hex, want);
}

/* The digest a hashedrekord entry must record: the artifact's, or the PAE's. */
static int signed_digest(const struct sigstore_bundle *b, const unsigned char artifact[32],
			 unsigned char out[32])
{
	unsigned char *pae;
	size_t len;
	int r;

	if (!b->is_dsse) {
		memcpy(out, artifact, 32);
		return 0;
	}
	r = ss_dsse_pae(b->payload_type, b->payload, b->payload_len, &pae, &len);
	if (r < 0)
		return r;
	ss_sha256(pae, len, out);
	free(pae);
	return 0;
}

static int match_hashedrekord_v1(const struct sigstore_bundle *b, json_t *spec,
				 const unsigned char artifact[32], EVP_PKEY *signing_key,
				 struct sw_error *err)
{
	json_t *hash = json_object_get(json_object_get(spec, "data"), "hash");
	json_t *sig = json_object_get(spec, "signature");
	const char *alg = json_string_value(json_object_get(hash, "algorithm"));

	if (b->is_dsse)
		return REFUSE("a hashedrekord v0.0.1 entry for a DSSE envelope");
	if (!alg || strcmp(alg, "sha256") ||
	    !hex_equals(json_string_value(json_object_get(hash, "value")), artifact))
		return REFUSE("the log entry records another artifact digest");
	if (!b64_equals(json_string_value(json_object_get(sig, "content")), b->sig, b->sig_len))
		return REFUSE("the log entry records another signature");
	if (!pem_b64_is_ours(b, signing_key,
			     json_string_value(json_object_get(json_object_get(sig, "publicKey"),
							       "content"))))
		return REFUSE("the log entry records another certificate or key");
	return 0;
}

static int match_hashedrekord_v2(const struct sigstore_bundle *b, json_t *spec,
				 const unsigned char artifact[32], EVP_PKEY *signing_key,
				 struct sw_error *err)
{
	json_t *v2 = json_object_get(spec, "hashedRekordV002");
	json_t *data = json_object_get(v2, "data"), *sig = json_object_get(v2, "signature");
	const char *alg = json_string_value(json_object_get(data, "algorithm"));
	unsigned char want[32];
	int r;

	r = signed_digest(b, artifact, want);
	if (r < 0)
		return sw_error_set(err, r, "tlog: %s", strerror(-r));
	if (!alg || strcmp(alg, "SHA2_256") ||
	    !b64_equals(json_string_value(json_object_get(data, "digest")), want, 32))
		return REFUSE("the log entry records another digest");
	if (!b64_equals(json_string_value(json_object_get(sig, "content")), b->sig, b->sig_len))
		return REFUSE("the log entry records another signature");
	if (!v2_verifier_is_ours(b, signing_key, json_object_get(sig, "verifier")))
		return REFUSE("the log entry records another certificate or key");
	return 0;
}

/* Where a DSSE entry kind records the payload hash, the signature and its verifier. */
struct dsse_fields {
	const char *alg; /* the payload hash's algorithm name */
	const char *digest_key; /* the payload hash: hex ("value") or base64 ("digest") */
	bool hex;
	const char *sig_key; /* each signature's base64 */
	bool v2_verifier; /* a Rekor v2 verifier object, else a base64 PEM */
};

static int match_dsse(const struct sigstore_bundle *b, json_t *fields, const struct dsse_fields *f,
		      EVP_PKEY *signing_key, struct sw_error *err)
{
	json_t *ph = json_object_get(fields, "payloadHash"),
	       *sigs = json_object_get(fields, "signatures");
	const char *alg = json_string_value(json_object_get(ph, "algorithm"));
	const char *digest = json_string_value(json_object_get(ph, f->digest_key));
	json_t *s0 = json_array_get(sigs, 0), *verifier = json_object_get(s0, "verifier");
	unsigned char d[32];

	if (!b->is_dsse)
		return REFUSE("a dsse entry for a message signature");
	ss_sha256(b->payload, b->payload_len, d);
	if (!alg || strcmp(alg, f->alg) ||
	    !(f->hex ? hex_equals(digest, d) : b64_equals(digest, d, 32)))
		return REFUSE("the log entry records another DSSE payload");
	if (json_array_size(sigs) != 1 ||
	    !b64_equals(json_string_value(json_object_get(s0, f->sig_key)), b->sig, b->sig_len))
		return REFUSE("the log entry records other DSSE signatures");
	if (!(f->v2_verifier ? v2_verifier_is_ours(b, signing_key, verifier) :
			       pem_b64_is_ours(b, signing_key, json_string_value(verifier))))
		return REFUSE("the log entry records another certificate or key");
	return 0;
}

/* dsse v0.0.1 (Rekor v1) */
static int match_dsse_v1(const struct sigstore_bundle *b, json_t *spec, EVP_PKEY *signing_key,
			 struct sw_error *err)
{
	static const struct dsse_fields v1 = { "sha256", "value", true, "signature", false };

	return match_dsse(b, spec, &v1, signing_key, err);
}

/* dsseV002 (Rekor v2) */
static int match_dsse_v2(const struct sigstore_bundle *b, json_t *spec, EVP_PKEY *signing_key,
			 struct sw_error *err)
{
	static const struct dsse_fields v2 = { "SHA2_256", "digest", false, "content", true };

	return match_dsse(b, json_object_get(spec, "dsseV002"), &v2, signing_key, err);
}

/* intoto v0.0.2: the envelope again, payload and signatures base64 twice. */
static int match_intoto_v2(const struct sigstore_bundle *b, json_t *spec, EVP_PKEY *signing_key,
			   struct sw_error *err)
{
	json_t *content = json_object_get(spec, "content");
	json_t *env = json_object_get(content, "envelope");
	json_t *ph = json_object_get(content, "payloadHash");
	json_t *sigs = json_object_get(env, "signatures"), *s0 = json_array_get(sigs, 0);
	const char *alg = json_string_value(json_object_get(ph, "algorithm"));
	unsigned char d[32], *inner = NULL;
	size_t len;
	bool ok;

	if (!b->is_dsse)
		return REFUSE("an intoto entry for a message signature");
	ss_sha256(b->payload, b->payload_len, d);
	if (!alg || strcmp(alg, "sha256") ||
	    !hex_equals(json_string_value(json_object_get(ph, "value")), d))
		return REFUSE("the log entry records another DSSE payload");
	if (json_array_size(sigs) != 1 ||
	    ss_b64_decode(json_string_value(json_object_get(s0, "sig")), &inner, &len) < 0)
		return REFUSE("the log entry records other DSSE signatures");
	inner = realloc(inner, len + 1);
	if (!inner)
		return sw_error_set(err, -ENOMEM, "out of memory");
	inner[len] = 0;
	ok = b64_equals((const char *)inner, b->sig, b->sig_len);
	free(inner);
	if (!ok)
		return REFUSE("the log entry records other DSSE signatures");
	if (!pem_b64_is_ours(b, signing_key, json_string_value(json_object_get(s0, "publicKey"))))
		return REFUSE("the log entry records another certificate or key");
	return 0;
}

static int match_body(const struct sigstore_bundle *b, const struct ss_tlog_entry *e,
		      const unsigned char artifact[32], EVP_PKEY *signing_key, struct sw_error *err)
{
	const char *kind, *version;
	json_t *j, *spec;
	json_error_t je;
	int r;

	j = json_loadb((const char *)e->body, e->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return REFUSE("the log entry body is not JSON");
	kind = json_string_value(json_object_get(j, "kind"));
	version = json_string_value(json_object_get(j, "apiVersion"));
	spec = json_object_get(j, "spec");
	if (!kind || !version || strcmp(kind, e->kind) || strcmp(version, e->version) ||
	    !json_is_object(spec)) {
		r = REFUSE("the log entry body does not match its kindVersion %s/%s", e->kind,
			   e->version);
	} else if (!strcmp(kind, "hashedrekord") && !strcmp(version, "0.0.1")) {
		r = match_hashedrekord_v1(b, spec, artifact, signing_key, err);
	} else if (!strcmp(kind, "hashedrekord") && !strcmp(version, "0.0.2")) {
		r = match_hashedrekord_v2(b, spec, artifact, signing_key, err);
	} else if (!strcmp(kind, "dsse") && !strcmp(version, "0.0.1")) {
		r = match_dsse_v1(b, spec, signing_key, err);
	} else if (!strcmp(kind, "dsse") && !strcmp(version, "0.0.2")) {
		r = match_dsse_v2(b, spec, signing_key, err);
	} else if (!strcmp(kind, "intoto") && !strcmp(version, "0.0.2")) {
		r = match_intoto_v2(b, spec, signing_key, err);
	} else {
		r = sw_error_set(err, -EKEYREJECTED, "tlog: unsupported entry kind %s/%s", kind,
				 version);
	}
	json_decref(j);
	return r;
}

/* SET: the log's signature over canonical JSON of (body, integratedTime, logID, logIndex). */
static int verify_set(const struct ss_tlog_entry *e, const struct ss_log_key *log,
		      struct sw_error *err)
{
	char hex[129], *text;
	int n, r;

	hex_encode(e->log_id, e->log_id_len, hex);
	n = asprintf(&text,
		     "{\"body\":\"%s\",\"integratedTime\":%" PRId64 ",\"logID\":\"%s\","
		     "\"logIndex\":%" PRId64 "}",
		     e->body_b64, e->integrated_time, hex, e->log_index);
	if (n < 0)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = ss_verify_data(log->pkey, (const unsigned char *)text, (size_t)n, e->set, e->set_len);
	free(text);
	if (r < 0)
		return REFUSE("the signed entry timestamp does not verify with the log's key");
	return 0;
}

int ss_tlog_verify_entry(const struct sigstore_trusted_root *root,
			 const struct sigstore_bundle *bundle, const struct ss_tlog_entry *e,
			 const unsigned char artifact_sha256[32], EVP_PKEY *signing_key,
			 int64_t now, bool *ret_set_verified, struct sw_error *err)
{
	const struct ss_log_key *log;
	struct ss_checkpoint cp;
	int r;

	*ret_set_verified = false;
	log = ss_find_log(root->tlogs, root->n_tlogs, e->log_id, e->log_id_len);
	if (!log)
		return REFUSE("entry %" PRId64 " is from a log that is not in the trusted root",
			      e->log_index);
	r = match_body(bundle, e, artifact_sha256, signing_key, err);
	if (r < 0)
		return r;
	if (bundle->minor == 1 && !e->set)
		return REFUSE("a v0.1 bundle's entry needs an inclusion promise (SET)");
	if (bundle->minor >= 2 && !e->has_proof)
		return REFUSE("entry %" PRId64 " has no inclusion proof", e->log_index);
	if (e->set && !e->has_integrated_time)
		return REFUSE("a signed entry timestamp without an integrated time");
	if (!e->set && !e->has_proof)
		return REFUSE("entry %" PRId64 " has neither an inclusion proof nor a SET",
			      e->log_index);
	if (e->has_integrated_time && e->integrated_time > now)
		return REFUSE("integrated time %" PRId64 " is in the future", e->integrated_time);
	if (e->has_proof) {
		unsigned char leaf[32], *buf;

		buf = malloc(e->body_len + 1);
		if (!buf)
			return sw_error_set(err, -ENOMEM, "out of memory");
		buf[0] = 0;
		memcpy(buf + 1, e->body, e->body_len);
		ss_sha256(buf, e->body_len + 1, leaf);
		free(buf);
		if (ss_merkle_verify(e->proof_index, e->tree_size, leaf,
				     (const unsigned char(*)[32])e->hashes, e->n_hashes,
				     e->root_hash) < 0)
			return REFUSE("the inclusion proof does not lead to the root hash");
		r = ss_checkpoint_verify(e->checkpoint, log, &cp, err);
		if (r < 0)
			return r;
		if (cp.size != e->tree_size || memcmp(cp.root_hash, e->root_hash, 32))
			return REFUSE(
				"the checkpoint is for another tree than the inclusion proof");
	}
	if (e->set) {
		if (!ss_window_contains(&log->valid, e->integrated_time * 1000))
			return REFUSE("integrated time outside the log key's validity");
		r = verify_set(e, log, err);
		if (r < 0)
			return r;
		*ret_set_verified = true;
	}
	return 0;
}

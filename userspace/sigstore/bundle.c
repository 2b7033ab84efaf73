// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sigstore bundle parsing (protobuf-specs Bundle as JSON, v0.1–v0.3): the
 * verification material, the transparency-log entries, the RFC 3161
 * timestamps and the content (a message signature or a DSSE envelope).
 * Structure only; sigstore_verify() decides what the material proves.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "fileio.h"
#include "sigstore_internal.h"
#include "sigstore.h"

#define BAD(...) sw_error_set(err, -EBADMSG, "bundle: " __VA_ARGS__)

static int media_type_minor(const char *mt)
{
	static const struct {
		const char *name;
		int minor;
	} known[] = {
		{ "application/vnd.dev.sigstore.bundle+json;version=0.1", 1 },
		{ "application/vnd.dev.sigstore.bundle+json;version=0.2", 2 },
		{ "application/vnd.dev.sigstore.bundle+json;version=0.3", 3 },
		{ "application/vnd.dev.sigstore.bundle.v0.3+json", 3 },
	};

	for (size_t i = 0; mt && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(mt, known[i].name))
			return known[i].minor;
	return -1;
}

static int push_der_cert(STACK_OF(X509) * sk, json_t *c)
{
	const unsigned char *p;
	unsigned char *der;
	size_t len;
	X509 *x;

	if (ss_b64_decode(json_string_value(json_object_get(c, "rawBytes")), &der, &len) < 0)
		return -EBADMSG;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len || !sk_X509_push(sk, x)) {
		X509_free(x);
		free(der);
		ERR_clear_error();
		return -EBADMSG;
	}
	free(der);
	return 0;
}

static int parse_material(json_t *vm, struct sigstore_bundle *b, struct sw_error *err)
{
	json_t *chain = json_object_get(vm, "x509CertificateChain");
	json_t *cert = json_object_get(vm, "certificate");
	json_t *pk = json_object_get(vm, "publicKey");
	int kinds = !!chain + !!cert + !!pk;

	if (kinds != 1)
		return BAD("verificationMaterial needs exactly one of certificate, "
			   "x509CertificateChain, publicKey");
	if (pk) {
		if (!json_is_object(pk))
			return BAD("malformed publicKey");
		b->has_public_key = true;
		return 0;
	}
	b->chain = sk_X509_new_null();
	if (!b->chain)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (cert) {
		if (b->minor < 3)
			return BAD("'certificate' needs bundle v0.3");
		if (push_der_cert(b->chain, cert) < 0)
			return BAD("malformed certificate");
		return 0;
	}
	if (b->minor >= 3)
		return BAD("v0.3 bundles carry one 'certificate', not a chain");
	json_t *certs = json_object_get(chain, "certificates"), *c;
	size_t i;

	if (!json_is_array(certs) || !json_array_size(certs))
		return BAD("empty certificate chain");
	if (json_array_size(certs) > SS_MAX_CERTS)
		return BAD("certificate chain longer than %d", SS_MAX_CERTS);
	json_array_foreach(certs, i, c) {
		if (push_der_cert(b->chain, c) < 0)
			return BAD("malformed certificate %zu in the chain", i);
	}
	/* roots come from the trusted root only, never from the bundle */
	for (int k = 0; k < sk_X509_num(b->chain); k++) {
		X509 *x = sk_X509_value(b->chain, k);

		if (X509_check_issued(x, x) == X509_V_OK) {
			ERR_clear_error();
			return BAD("the certificate chain holds a root (self-signed) certificate");
		}
	}
	ERR_clear_error();
	return 0;
}

static int parse_proof(json_t *p, struct ss_tlog_entry *e, struct sw_error *err)
{
	json_t *hashes = json_object_get(p, "hashes"), *h;
	const char *cp;
	size_t i;

	if (!json_is_object(p))
		return BAD("malformed inclusionProof");
	if (ss_json_int64(json_object_get(p, "logIndex"), &e->proof_index) < 0 ||
	    ss_json_int64(json_object_get(p, "treeSize"), &e->tree_size) < 0)
		return BAD("inclusionProof: malformed logIndex or treeSize");
	if (ss_b64_decode_fixed(json_string_value(json_object_get(p, "rootHash")), e->root_hash, 32,
				NULL) < 0)
		return BAD("inclusionProof: malformed rootHash");
	if (hashes && !json_is_array(hashes))
		return BAD("inclusionProof: malformed hashes");
	if (json_array_size(hashes) > SS_MAX_PROOF_HASHES)
		return BAD("inclusionProof: more than %d hashes", SS_MAX_PROOF_HASHES);
	e->hashes = calloc(json_array_size(hashes) + 1, 32);
	if (!e->hashes)
		return sw_error_set(err, -ENOMEM, "out of memory");
	json_array_foreach(hashes, i, h) {
		if (ss_b64_decode_fixed(json_string_value(h), e->hashes[i], 32, NULL) < 0)
			return BAD("inclusionProof: malformed hash %zu", i);
		e->n_hashes = i + 1;
	}
	cp = json_string_value(json_object_get(json_object_get(p, "checkpoint"), "envelope"));
	if (cp) {
		e->checkpoint = strdup(cp);
		if (!e->checkpoint)
			return sw_error_set(err, -ENOMEM, "out of memory");
	}
	e->has_proof = true;
	return 0;
}

static int parse_entry(json_t *j, struct ss_tlog_entry *e, struct sw_error *err)
{
	json_t *kv = json_object_get(j, "kindVersion"), *v;
	const char *kind = json_string_value(json_object_get(kv, "kind"));
	const char *version = json_string_value(json_object_get(kv, "version"));
	const char *body = json_string_value(json_object_get(j, "canonicalizedBody"));

	if (!json_is_object(j))
		return BAD("malformed tlog entry");
	if (ss_json_int64(json_object_get(j, "logIndex"), &e->log_index) < 0)
		return BAD("tlog entry: malformed or negative logIndex");
	if (ss_b64_decode_fixed(
		    json_string_value(json_object_get(json_object_get(j, "logId"), "keyId")),
		    e->log_id, sizeof(e->log_id), &e->log_id_len) < 0 ||
	    !e->log_id_len)
		return BAD("tlog entry: malformed logId");
	if (!kind || !version || strlen(kind) >= sizeof(e->kind) ||
	    strlen(version) >= sizeof(e->version))
		return BAD("tlog entry: malformed kindVersion");
	strcpy(e->kind, kind);
	strcpy(e->version, version);
	v = json_object_get(j, "integratedTime");
	if (v && !(json_is_string(v) && !*json_string_value(v))) {
		if (ss_json_int64(v, &e->integrated_time) < 0)
			return BAD("tlog entry: malformed integratedTime");
		e->has_integrated_time = e->integrated_time != 0;
	}
	v = json_object_get(j, "inclusionPromise");
	if (v) {
		if (ss_b64_decode(json_string_value(json_object_get(v, "signedEntryTimestamp")),
				  &e->set, &e->set_len) < 0)
			return BAD("tlog entry: malformed signedEntryTimestamp");
	}
	v = json_object_get(j, "inclusionProof");
	if (v && parse_proof(v, e, err) < 0)
		return -EBADMSG;
	if (!body || ss_b64_decode(body, &e->body, &e->body_len) < 0)
		return BAD("tlog entry: malformed canonicalizedBody");
	e->body_b64 = strdup(body);
	if (!e->body_b64)
		return sw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_tlog(json_t *arr, struct sigstore_bundle *b, struct sw_error *err)
{
	size_t i, n = json_array_size(arr);
	json_t *j;

	if (arr && !json_is_array(arr))
		return BAD("malformed tlogEntries");
	if (n > SS_MAX_ENTRIES)
		return BAD("more than %d tlog entries", SS_MAX_ENTRIES);
	b->entries = calloc(n + 1, sizeof(*b->entries));
	if (!b->entries)
		return sw_error_set(err, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, j) {
		b->n_entries = i + 1;
		if (parse_entry(j, &b->entries[i], err) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int parse_timestamps(json_t *tvd, struct sigstore_bundle *b, struct sw_error *err)
{
	json_t *arr = json_object_get(tvd, "rfc3161Timestamps"), *j;
	size_t i, n = json_array_size(arr);

	if (arr && !json_is_array(arr))
		return BAD("malformed rfc3161Timestamps");
	if (n > SS_MAX_ENTRIES)
		return BAD("more than %d RFC 3161 timestamps", SS_MAX_ENTRIES);
	b->tsr = calloc(n + 1, sizeof(*b->tsr));
	b->tsr_len = calloc(n + 1, sizeof(*b->tsr_len));
	if (!b->tsr || !b->tsr_len)
		return sw_error_set(err, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, j) {
		if (ss_b64_decode(json_string_value(json_object_get(j, "signedTimestamp")),
				  &b->tsr[i], &b->tsr_len[i]) < 0)
			return BAD("malformed RFC 3161 timestamp %zu", i);
		b->n_tsr = i + 1;
	}
	return 0;
}

static int parse_content(json_t *j, struct sigstore_bundle *b, struct sw_error *err)
{
	json_t *ms = json_object_get(j, "messageSignature");
	json_t *env = json_object_get(j, "dsseEnvelope");

	if (!!ms + !!env != 1)
		return BAD("needs exactly one of messageSignature, dsseEnvelope");
	if (ms) {
		json_t *md = json_object_get(ms, "messageDigest");

		if (md) {
			const char *alg = json_string_value(json_object_get(md, "algorithm"));

			if (!alg || strcmp(alg, "SHA2_256"))
				return sw_error_set(err, -ENOTSUP,
						    "bundle: message digest algorithm '%s' "
						    "(only SHA2_256)",
						    alg ? alg : "(none)");
			if (ss_b64_decode_fixed(json_string_value(json_object_get(md, "digest")),
						b->digest, 32, NULL) < 0)
				return BAD("malformed messageDigest");
			b->has_digest = true;
		}
		if (ss_b64_decode(json_string_value(json_object_get(ms, "signature")), &b->sig,
				  &b->sig_len) < 0 ||
		    !b->sig_len)
			return BAD("malformed or empty signature");
		return 0;
	}
	json_t *sigs = json_object_get(env, "signatures");
	const char *type = json_string_value(json_object_get(env, "payloadType"));

	b->is_dsse = true;
	if (!type || ss_b64_decode(json_string_value(json_object_get(env, "payload")), &b->payload,
				   &b->payload_len) < 0)
		return BAD("malformed DSSE envelope");
	b->payload_type = strdup(type);
	if (!b->payload_type)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (!json_is_array(sigs) || json_array_size(sigs) != 1)
		return BAD("a DSSE envelope needs exactly one signature");
	if (ss_b64_decode(json_string_value(json_object_get(json_array_get(sigs, 0), "sig")),
			  &b->sig, &b->sig_len) < 0 ||
	    !b->sig_len)
		return BAD("malformed DSSE signature");
	return 0;
}

void sigstore_bundle_free(struct sigstore_bundle *b)
{
	if (!b)
		return;
	sk_X509_pop_free(b->chain, X509_free);
	for (size_t i = 0; i < b->n_entries; i++) {
		struct ss_tlog_entry *e = &b->entries[i];

		free(e->set);
		free(e->hashes);
		free(e->checkpoint);
		free(e->body_b64);
		free(e->body);
	}
	free(b->entries);
	for (size_t i = 0; i < b->n_tsr; i++)
		free(b->tsr[i]);
	free(b->tsr);
	free(b->tsr_len);
	free(b->sig);
	free(b->payload);
	free(b->payload_type);
	free(b);
}

int sigstore_bundle_parse(const char *text, size_t len, struct sigstore_bundle **ret,
			  struct sw_error *err)
{
	struct sigstore_bundle *b = NULL;
	json_t *j, *vm;
	json_error_t je;
	const char *mt;
	int r;

	*ret = NULL;
	if (len > SS_MAX_JSON)
		return sw_error_set(err, -EFBIG, "bundle: larger than %u bytes", SS_MAX_JSON);
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return BAD("not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(j)) {
		r = BAD("not a JSON object");
		goto out;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	mt = json_string_value(json_object_get(j, "mediaType"));
	b->minor = media_type_minor(mt);
	if (b->minor < 0) {
		r = sw_error_set(err, -ENOTSUP, "bundle: unsupported mediaType '%s'",
				 mt ? mt : "(none)");
		goto out;
	}
	vm = json_object_get(j, "verificationMaterial");
	if (!json_is_object(vm)) {
		r = BAD("no verificationMaterial");
		goto out;
	}
	r = parse_material(vm, b, err);
	if (r < 0)
		goto out;
	r = parse_tlog(json_object_get(vm, "tlogEntries"), b, err);
	if (r < 0)
		goto out;
	r = parse_timestamps(json_object_get(vm, "timestampVerificationData"), b, err);
	if (r < 0)
		goto out;
	r = parse_content(j, b, err);
	if (r < 0)
		goto out;
	*ret = b;
	b = NULL;
out:
	sigstore_bundle_free(b);
	json_decref(j);
	return r;
}

int sigstore_bundle_load(const char *path, struct sigstore_bundle **ret, struct sw_error *err)
{
	char *buf = NULL;
	size_t len;
	int r;

	r = file_read_all(path, SS_MAX_JSON, &buf, &len, err);
	if (r == -EFBIG)
		return sw_error_set(err, -EFBIG, "%s: bundle larger than %u bytes", path,
				    SS_MAX_JSON);
	if (r < 0)
		return r;
	r = sigstore_bundle_parse(buf, len, ret, err);
	free(buf);
	return r;
}

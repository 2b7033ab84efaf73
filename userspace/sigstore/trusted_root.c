// SPDX-License-Identifier: GPL-2.0-only
/* trusted_root.json: Fulcio CAs, Rekor and CT log keys, TSAs, validity windows. */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "fileio.h"
#include "sigstore_internal.h"
#include "sigstore.h"

static int parse_certs(json_t *chain, STACK_OF(X509) * *ret)
{
	json_t *certs = json_object_get(chain, "certificates"), *c;
	STACK_OF(X509) * sk;
	size_t i;

	if (!json_is_array(certs) || !json_array_size(certs) ||
	    json_array_size(certs) > SS_MAX_CERTS)
		return -EBADMSG;
	sk = sk_X509_new_null();
	if (!sk)
		return -ENOMEM;
	json_array_foreach(certs, i, c) {
		unsigned char *der;
		const unsigned char *p;
		size_t len;
		X509 *x;

		if (ss_b64_decode(json_string_value(json_object_get(c, "rawBytes")), &der, &len) <
		    0)
			goto bad;
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
		if (!x || p != der + len || !sk_X509_push(sk, x)) {
			X509_free(x);
			free(der);
			goto bad;
		}
		free(der);
	}
	*ret = sk;
	return 0;
bad:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	return -EBADMSG;
}

static int parse_authorities(json_t *arr, struct ss_authority **ret, size_t *ret_n)
{
	size_t i, n = json_array_size(arr);
	struct ss_authority *a;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || n > SS_MAX_KEYS)
		return -EBADMSG;
	a = calloc(n ? n : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*ret = a;
	json_array_foreach(arr, i, v) {
		int r = parse_certs(json_object_get(v, "certChain"), &a[i].certs);

		if (r < 0)
			return r;
		*ret_n = i + 1;
		if (ss_parse_window(json_object_get(v, "validFor"), &a[i].valid) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int parse_logs(json_t *arr, struct ss_log_key **ret, size_t *ret_n)
{
	size_t i, n = json_array_size(arr);
	struct ss_log_key *k;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || n > SS_MAX_KEYS)
		return -EBADMSG;
	k = calloc(n ? n : 1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	*ret = k;
	json_array_foreach(arr, i, v) {
		json_t *pk = json_object_get(v, "publicKey");
		unsigned char *der;
		size_t len;

		if (ss_b64_decode(json_string_value(json_object_get(pk, "rawBytes")), &der, &len) <
		    0)
			return -EBADMSG;
		k[i].pkey = ss_pubkey_from_der(der, len);
		if (!k[i].pkey &&
		    !strncmp(json_string_value(json_object_get(pk, "keyDetails")) ?: "",
			     "PKCS1_RSA_", 10)) {
			const unsigned char *p = der;

			/* a bare PKCS#1 RSAPublicKey */
			k[i].pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
			if (k[i].pkey && p != der + len) {
				EVP_PKEY_free(k[i].pkey);
				k[i].pkey = NULL;
			}
			ERR_clear_error();
		}
		free(der);
		/* a key we cannot read stays in the list, unusable: never matched */
		*ret_n = i + 1;
		if (ss_b64_decode_fixed(json_string_value(json_object_get(
						json_object_get(v, "logId"), "keyId")),
					k[i].id, sizeof(k[i].id), &k[i].id_len) < 0 ||
		    !k[i].id_len)
			return -EBADMSG;
		if (ss_parse_window(json_object_get(pk, "validFor"), &k[i].valid) < 0)
			return -EBADMSG;
	}
	return 0;
}

void sigstore_trusted_root_free(struct sigstore_trusted_root *root)
{
	if (!root)
		return;
	for (size_t i = 0; i < root->n_tlogs; i++)
		EVP_PKEY_free(root->tlogs[i].pkey);
	for (size_t i = 0; i < root->n_ctlogs; i++)
		EVP_PKEY_free(root->ctlogs[i].pkey);
	for (size_t i = 0; i < root->n_cas; i++)
		sk_X509_pop_free(root->cas[i].certs, X509_free);
	for (size_t i = 0; i < root->n_tsas; i++)
		sk_X509_pop_free(root->tsas[i].certs, X509_free);
	free(root->tlogs);
	free(root->ctlogs);
	free(root->cas);
	free(root->tsas);
	free(root);
}

int sigstore_trusted_root_parse(const char *text, size_t len, struct sigstore_trusted_root **ret,
				struct sw_error *err)
{
	struct sigstore_trusted_root *root = NULL;
	const char *mt;
	json_error_t je;
	json_t *j;
	int r;

	*ret = NULL;
	if (len > SS_MAX_JSON)
		return sw_error_set(err, -EFBIG, "trusted root: larger than %u bytes", SS_MAX_JSON);
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return sw_error_set(err, -EBADMSG, "trusted root: not JSON: %s (line %d)", je.text,
				    je.line);
	mt = json_string_value(json_object_get(j, "mediaType"));
	if (!mt || (strcmp(mt, "application/vnd.dev.sigstore.trustedroot+json;version=0.1") &&
		    strcmp(mt, "application/vnd.dev.sigstore.trustedroot.v0.1+json") &&
		    strcmp(mt, "application/vnd.dev.sigstore.trustedroot.v0.2+json"))) {
		r = sw_error_set(err, -EBADMSG, "trusted root: unknown mediaType '%s'",
				 mt ? mt : "(none)");
		goto out;
	}
	root = calloc(1, sizeof(*root));
	if (!root) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = parse_logs(json_object_get(j, "tlogs"), &root->tlogs, &root->n_tlogs);
	if (r < 0) {
		sw_error_set(err, r, "trusted root: malformed tlogs");
		goto out;
	}
	r = parse_logs(json_object_get(j, "ctlogs"), &root->ctlogs, &root->n_ctlogs);
	if (r < 0) {
		sw_error_set(err, r, "trusted root: malformed ctlogs");
		goto out;
	}
	r = parse_authorities(json_object_get(j, "certificateAuthorities"), &root->cas,
			      &root->n_cas);
	if (r < 0) {
		sw_error_set(err, r, "trusted root: malformed certificateAuthorities");
		goto out;
	}
	r = parse_authorities(json_object_get(j, "timestampAuthorities"), &root->tsas,
			      &root->n_tsas);
	if (r < 0) {
		sw_error_set(err, r, "trusted root: malformed timestampAuthorities");
		goto out;
	}
	*ret = root;
	root = NULL;
out:
	sigstore_trusted_root_free(root);
	json_decref(j);
	return r;
}

int sigstore_trusted_root_load(const char *path, struct sigstore_trusted_root **ret,
			       struct sw_error *err)
{
	char *buf = NULL;
	size_t len;
	int r;

	r = file_read_all(path, SS_MAX_JSON, &buf, &len, err);
	if (r == -EFBIG)
		return sw_error_set(err, -EFBIG, "%s: trusted root larger than %u bytes", path,
				    SS_MAX_JSON);
	if (r < 0)
		return r;
	r = sigstore_trusted_root_parse(buf, len, ret, err);
	free(buf);
	if (r < 0)
		return sw_error_prefix(err, r, "%s", path);
	return 0;
}

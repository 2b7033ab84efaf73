// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signing certificate: its chain to a Fulcio CA of the trusted root at a
 * verified signing time, its embedded SCT against the CT log keys, and the
 * identity it binds (SAN and OIDC issuer extensions of Fulcio).
 */
#include <errno.h>
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sigstore_internal.h"

#define REFUSE(...) sw_error_set(err, -EKEYREJECTED, "certificate: " __VA_ARGS__)

/* Fulcio's OIDC issuer: .1.8 (a DER UTF8String) and the older .1.1 (raw bytes). */
#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"
#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"

static int verify_with_ca(const struct ss_authority *ca, X509 *leaf, int64_t t_ms,
			  STACK_OF(X509) * *ret_chain)
{
	int n = sk_X509_num(ca->certs), ok = 0;
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;

	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (!store || !untrusted || !ctx)
		goto out;
	if (!X509_STORE_add_cert(store, sk_X509_value(ca->certs, n - 1)))
		goto out;
	for (int i = 0; i < n - 1; i++)
		if (!sk_X509_push(untrusted, sk_X509_value(ca->certs, i)))
			goto out;
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, (time_t)(t_ms / 1000));
	if (X509_verify_cert(ctx) == 1) {
		ok = 1;
		if (ret_chain)
			*ret_chain = X509_STORE_CTX_get1_chain(ctx);
	}
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok ? 0 : -EKEYREJECTED;
}

/* A code-signing leaf: not a CA, digitalSignature, EKU codeSigning. */
static int check_leaf(X509 *leaf, struct sw_error *err)
{
	uint32_t ku = X509_get_key_usage(leaf), xku = X509_get_extended_key_usage(leaf);

	if (X509_check_ca(leaf))
		return REFUSE("the signing certificate is a CA certificate");
	if (!(ku & KU_DIGITAL_SIGNATURE))
		return REFUSE("the signing certificate lacks the digitalSignature key usage");
	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) || !(xku & XKU_CODE_SIGN))
		return REFUSE("the signing certificate lacks the codeSigning extended key usage");
	return 0;
}

int ss_cert_verify_chain(const struct sigstore_trusted_root *root, X509 *leaf, int64_t t_ms,
			 STACK_OF(X509) * *ret_chain, struct sw_error *err)
{
	int64_t nb = ss_asn1_time_ms(X509_get0_notBefore(leaf));
	int64_t na = ss_asn1_time_ms(X509_get0_notAfter(leaf));
	bool any_window = false;
	int r;

	r = check_leaf(leaf, err);
	if (r < 0)
		return r;
	if (nb == INT64_MIN || na == INT64_MIN || t_ms < nb || t_ms > na)
		return REFUSE("signed outside the certificate's validity");
	for (size_t i = 0; i < root->n_cas; i++) {
		if (!ss_window_contains(&root->cas[i].valid, t_ms))
			continue;
		any_window = true;
		if (verify_with_ca(&root->cas[i], leaf, t_ms, ret_chain) == 0)
			return 0;
	}
	if (!any_window)
		return REFUSE("no certificate authority of the trusted root was valid at the "
			      "signing time");
	return REFUSE("does not chain to a certificate authority of the trusted root");
}

/* The precertificate TBS: the final certificate's without the SCT list extension. */
static int precert_tbs(X509 *leaf, unsigned char **ret, int *ret_len)
{
	X509 *dup = X509_dup(leaf);
	int idx, len;

	if (!dup)
		return -ENOMEM;
	idx = X509_get_ext_by_NID(dup, NID_ct_precert_scts, -1);
	if (idx < 0) {
		X509_free(dup);
		return -EBADMSG;
	}
	X509_EXTENSION_free(X509_delete_ext(dup, idx));
	*ret = NULL;
	len = i2d_re_X509_tbs(dup, ret);
	X509_free(dup);
	if (len <= 0)
		return -EBADMSG;
	*ret_len = len;
	return 0;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/*
 * RFC 6962 §3.2: the log signed (version 0, certificate_timestamp, timestamp,
 * precert_entry, SHA-256 of the issuer's SPKI, TBS<2^24>, extensions<2^16>).
 */
static int verify_one_sct(const SCT *sct, EVP_PKEY *log_key, const unsigned char issuer_hash[32],
			  const unsigned char *tbs, int tbs_len)
{
	unsigned char *ext, *sig, *buf, *p;
	size_t ext_len = SCT_get0_extensions(sct, &ext), sig_len = SCT_get0_signature(sct, &sig);
	size_t len = 1 + 1 + 8 + 2 + 32 + 3 + (size_t)tbs_len + 2 + ext_len;
	int r;

	if (SCT_get_version(sct) != SCT_VERSION_V1 || (size_t)tbs_len >= (1u << 24) ||
	    ext_len >= (1u << 16) || !sig_len)
		return -EKEYREJECTED;
	buf = p = malloc(len);
	if (!buf)
		return -ENOMEM;
	*p++ = 0; /* v1 */
	*p++ = 0; /* certificate_timestamp */
	put_be(p, SCT_get_timestamp(sct), 8);
	p += 8;
	put_be(p, 1, 2); /* precert_entry */
	p += 2;
	memcpy(p, issuer_hash, 32);
	p += 32;
	put_be(p, (uint64_t)tbs_len, 3);
	p += 3;
	memcpy(p, tbs, (size_t)tbs_len);
	p += tbs_len;
	put_be(p, ext_len, 2);
	p += 2;
	if (ext_len)
		memcpy(p, ext, ext_len);
	r = ss_verify_data(log_key, buf, len, sig, sig_len);
	free(buf);
	return r;
}

int ss_cert_verify_sct(const struct sigstore_trusted_root *root, X509 *leaf, X509 *issuer,
		       struct sw_error *err)
{
	unsigned char *tbs = NULL, *spki = NULL, issuer_hash[32];
	STACK_OF(SCT) * scts;
	int n, tbs_len, spki_len, r;
	bool known = false;

	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	ERR_clear_error();
	if (!scts || !(n = sk_SCT_num(scts))) {
		r = REFUSE("no embedded SCT");
		goto out;
	}
	spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (spki_len <= 0 || precert_tbs(leaf, &tbs, &tbs_len) < 0) {
		r = REFUSE("cannot rebuild the precertificate for its SCT");
		goto out;
	}
	ss_sha256(spki, (size_t)spki_len, issuer_hash);
	for (int i = 0; i < n; i++) {
		const SCT *sct = sk_SCT_value(scts, i);
		const struct ss_log_key *log;
		unsigned char *id;
		size_t id_len = SCT_get0_log_id(sct, &id);

		log = ss_find_log(root->ctlogs, root->n_ctlogs, id, id_len);
		if (!log)
			continue;
		known = true;
		if (SCT_get_timestamp(sct) > INT64_MAX ||
		    !ss_window_contains(&log->valid, (int64_t)SCT_get_timestamp(sct)))
			continue;
		if (verify_one_sct(sct, log->pkey, issuer_hash, tbs, tbs_len) == 0) {
			r = 0;
			goto out;
		}
	}
	r = known ? REFUSE("no embedded SCT verifies with a CT log key valid at its time") :
		    REFUSE("no embedded SCT is from a CT log of the trusted root");
out:
	OPENSSL_free(tbs);
	OPENSSL_free(spki);
	SCT_LIST_free(scts);
	ERR_clear_error();
	return r;
}

static bool san_matches(const char *san, const char *want, const char *want_re, bool *re_error)
{
	regex_t re;
	bool m;

	if (want)
		return !strcmp(san, want);
	if (regcomp(&re, want_re, REG_EXTENDED | REG_NOSUB)) {
		*re_error = true;
		return false;
	}
	m = regexec(&re, san, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* ASN1 string as a C string without embedded NULs; NULL otherwise. */
static bool asn1_to_cstr(const ASN1_STRING *s, char *out, size_t size)
{
	int len = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);

	if (len <= 0 || (size_t)len >= size || memchr(d, 0, (size_t)len))
		return false;
	memcpy(out, d, (size_t)len);
	out[len] = 0;
	return true;
}

int ss_cert_identity(X509 *leaf, const char *want, const char *want_re, char *ret_san,
		     size_t san_size, struct sw_error *err)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	char first[256] = "", buf[1024];
	bool re_error = false;
	int r = -EKEYREJECTED;

	ERR_clear_error();
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s = NULL;

		if (gn->type == GEN_URI)
			s = gn->d.uniformResourceIdentifier;
		else if (gn->type == GEN_EMAIL)
			s = gn->d.rfc822Name;
		else if (gn->type == GEN_OTHERNAME &&
			 gn->d.otherName->value->type == V_ASN1_UTF8STRING)
			s = gn->d.otherName->value->value.utf8string;
		if (!s || !asn1_to_cstr(s, buf, sizeof(buf)))
			continue;
		if (!first[0])
			snprintf(first, sizeof(first), "%s", buf);
		if (san_matches(buf, want, want_re, &re_error)) {
			snprintf(ret_san, san_size, "%s", buf);
			r = 0;
			break;
		}
	}
	GENERAL_NAMES_free(names);
	if (re_error)
		return sw_error_set(err, -EINVAL, "identity: invalid regular expression '%s'",
				    want_re);
	if (r < 0)
		return sw_error_set(err, -EKEYREJECTED,
				    "identity: the certificate is for '%s', not %s'%s'",
				    first[0] ? first : "(no identity)", want ? "" : "a match of ",
				    want ? want : want_re);
	return 0;
}

int ss_cert_issuer(X509 *leaf, char *out, size_t size)
{
	ASN1_OBJECT *v2 = OBJ_txt2obj(OID_ISSUER_V2, 1), *v1 = OBJ_txt2obj(OID_ISSUER_V1, 1);
	int idx, r = -ENOENT;

	if (!v1 || !v2)
		goto out;
	idx = X509_get_ext_by_OBJ(leaf, v2, -1);
	if (idx >= 0) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
		const unsigned char *p = ASN1_STRING_get0_data(os);
		ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));

		if (u && p == ASN1_STRING_get0_data(os) + ASN1_STRING_length(os) &&
		    asn1_to_cstr(u, out, size))
			r = 0;
		ASN1_UTF8STRING_free(u);
		goto out;
	}
	idx = X509_get_ext_by_OBJ(leaf, v1, -1);
	if (idx >= 0 && asn1_to_cstr(X509_EXTENSION_get_data(X509_get_ext(leaf, idx)), out, size))
		r = 0;
out:
	ASN1_OBJECT_free(v1);
	ASN1_OBJECT_free(v2);
	ERR_clear_error();
	return r;
}

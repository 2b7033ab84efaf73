// SPDX-License-Identifier: GPL-2.0-only
/* Small helpers of the Sigstore verifier: base64, times, digests, signatures. */
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "sigstore_internal.h"

int ss_b64_decode(const char *text, unsigned char **ret, size_t *ret_len)
{
	size_t len, max;
	unsigned char *out;

	if (!text)
		return -EBADMSG;
	len = strlen(text);
	max = base64_decoded_max(len) + 1;
	out = malloc(max);
	if (!out)
		return -ENOMEM;
	if (base64_decode(text, len, BASE64_WRAPPED, out, max, ret_len, NULL) < 0) {
		free(out);
		return -EBADMSG;
	}
	*ret = out;
	return 0;
}

int ss_b64_decode_fixed(const char *text, unsigned char *out, size_t size, size_t *ret_len)
{
	size_t n;

	if (!text || base64_decode(text, strlen(text), 0, out, size, &n, NULL) < 0)
		return -EBADMSG;
	if (ret_len)
		*ret_len = n;
	else if (n != size)
		return -EBADMSG;
	return 0;
}

/*
 * protobuf JSON: int64 as a decimal string or a JSON integer; never negative.
 * An absent field is proto3's default, 0 (serializers omit zero values).
 */
int ss_json_int64(json_t *v, int64_t *ret)
{
	const char *s;
	char *end;
	long long n;

	if (!v) {
		*ret = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -EBADMSG;
		*ret = json_integer_value(v);
		return 0;
	}
	s = json_string_value(v);
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EBADMSG;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end || n < 0)
		return -EBADMSG;
	*ret = n;
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* RFC 3339 as protobuf's Timestamp JSON: YYYY-MM-DDTHH:MM:SS[.fff…]Z or ±HH:MM. */
int ss_parse_rfc3339_ms(const char *s, int64_t *ret_ms)
{
	struct tm tm = { 0 };
	int64_t ms = 0, off = 0;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 20 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
	    s[7] != '-' || !all_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
	    !all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
	    !all_digits(s + 17, 2))
		return -EBADMSG;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EBADMSG;
	p = s + 19;
	if (*p == '.') {
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (!digits || digits > 9)
			return -EBADMSG;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && all_digits(p + 1, 2) && p[3] == ':' &&
		   all_digits(p + 4, 2)) {
		off = (atoi(p + 1) * 60 + atoi(p + 4)) * 60;
		if (*p == '+')
			off = -off;
		p += 6;
	} else {
		return -EBADMSG;
	}
	if (*p)
		return -EBADMSG;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EBADMSG;
	*ret_ms = ((int64_t)t + off) * 1000 + ms;
	return 0;
}

/* TimeRange {start, end?}: a key or CA without a start is never valid. */
int ss_parse_window(json_t *valid_for, struct ss_window *ret)
{
	json_t *start, *end;

	memset(ret, 0, sizeof(*ret));
	if (!valid_for)
		return 0;
	if (!json_is_object(valid_for))
		return -EBADMSG;
	start = json_object_get(valid_for, "start");
	end = json_object_get(valid_for, "end");
	if (start && !json_is_null(start)) {
		if (ss_parse_rfc3339_ms(json_string_value(start), &ret->start_ms) < 0)
			return -EBADMSG;
		ret->has_start = true;
	}
	if (end && !json_is_null(end)) {
		if (ss_parse_rfc3339_ms(json_string_value(end), &ret->end_ms) < 0)
			return -EBADMSG;
		ret->has_end = true;
	}
	return 0;
}

bool ss_window_contains(const struct ss_window *w, int64_t t_ms)
{
	if (!w->has_start || t_ms < w->start_ms)
		return false;
	return !w->has_end || t_ms <= w->end_ms;
}

int64_t ss_asn1_time_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return INT64_MIN;
	return (int64_t)timegm(&tm) * 1000;
}

void ss_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/* The digest a key signs with: ECDSA by curve size, RSA SHA-256, none for EdDSA. */
static const EVP_MD *key_md(EVP_PKEY *key, bool *ret_ok)
{
	*ret_ok = true;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return NULL;
	case EVP_PKEY_EC:
		switch (EVP_PKEY_get_bits(key)) {
		case 256:
			return EVP_sha256();
		case 384:
			return EVP_sha384();
		case 521:
			return EVP_sha512();
		}
		break;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return EVP_sha256();
	}
	*ret_ok = false;
	return NULL;
}

int ss_verify_data(EVP_PKEY *key, const unsigned char *data, size_t len, const unsigned char *sig,
		   size_t sig_len)
{
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	bool ok;
	int r;

	md = key_md(key, &ok);
	if (!ok)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	r = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r ? 0 : -EKEYREJECTED;
}

int ss_verify_prehash(EVP_PKEY *key, const unsigned char digest[32], const unsigned char *sig,
		      size_t sig_len)
{
	EVP_PKEY_CTX *ctx;
	const EVP_MD *md;
	bool ok;
	int r;

	md = key_md(key, &ok);
	if (!ok || md != EVP_sha256())
		return -ENOTSUP;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (!ctx)
		return -ENOMEM;
	r = EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
	    EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r ? 0 : -EKEYREJECTED;
}

EVP_PKEY *ss_pubkey_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (len > LONG_MAX)
		return NULL;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (k && p != der + len) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	ERR_clear_error();
	return k;
}

/* One PEM block: a CERTIFICATE or a PUBLIC KEY. */
int ss_pem_to_der(const unsigned char *pem, size_t len, X509 **ret_cert, EVP_PKEY **ret_key)
{
	BIO *bio;

	*ret_cert = NULL;
	*ret_key = NULL;
	if (len > INT_MAX)
		return -EBADMSG;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	*ret_cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!*ret_cert) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)len);
		if (!bio)
			return -ENOMEM;
		*ret_key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	ERR_clear_error();
	return *ret_cert || *ret_key ? 0 : -EBADMSG;
}

void sigstore_check_name(const char *msg, char *out, size_t size)
{
	const char *colon = strchr(msg, ':');
	size_t n = colon ? (size_t)(colon - msg) : 0;
	const char *space = strchr(msg, ' ');

	if (!size)
		return;
	if (!n || n >= size || (space && space < colon)) {
		snprintf(out, size, "bundle");
		return;
	}
	memcpy(out, msg, n);
	out[n] = 0;
}

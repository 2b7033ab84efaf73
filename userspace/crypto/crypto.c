// SPDX-License-Identifier: GPL-2.0-only
/*
 * Detached signatures (crypto.h): OpenSSL 3 EVP, PEM keys, base64 text.
 * ECDSA P-256 signs SHA-256 of the bytes (DER signature, like cosign and
 * `openssl dgst -sha256 -sign`); Ed25519 is pure (`openssl pkeyutl -rawin`).
 * Private keys are read into buffers that are wiped before they are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"

/* Decoded signature bytes: DER ECDSA P-256 is at most 72, Ed25519 is 64. */
#define SIG_RAW_MAX 128
#define ED25519_SIG_LEN 64

static const char *const key_type_names[] = {
	[SW_KEY_ECDSA_P256] = "ecdsa-p256",
	[SW_KEY_ED25519] = "ed25519",
};

int crypto_key_type_from_name(const char *name, enum sw_key_type *ret)
{
	for (size_t i = 0; i < sizeof(key_type_names) / sizeof(key_type_names[0]); i++) {
		if (name && !strcmp(name, key_type_names[i])) {
			*ret = (enum sw_key_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The last OpenSSL error as text, for messages; clears the queue. */
const char *crypto_ossl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r ? r : "unknown OpenSSL error";
}

/* Create @path (must not exist) with @mode; returns an fd or a negative errno. */
static int create_new(const char *path, mode_t mode, struct sw_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd >= 0)
		return fd;
	if (errno == EEXIST)
		return sw_error_set(err, -EEXIST, "%s already exists; refusing to overwrite it",
				    path);
	return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
}

static int write_all_sync(int fd, const char *path, const char *data, size_t len,
			  struct sw_error *err)
{
	int r = fd_write_all(fd, data, len);

	if (r)
		return sw_error_set(err, r, "%s: %s", path, strerror(-r));
	if (fsync(fd) < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int crypto_keygen(enum sw_key_type type, const char *priv_path, const char *pub_path,
		  struct sw_error *err)
{
	BIO *priv_bio = NULL, *pub_bio = NULL;
	int priv_fd = -1, pub_fd = -1, r;
	EVP_PKEY *pkey = NULL;
	char *priv_pem, *pub_pem;
	long priv_len, pub_len;

	if (type == SW_KEY_ECDSA_P256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (type == SW_KEY_ED25519)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return sw_error_set(err, -EINVAL, "unknown key type %d", (int)type);
	if (!pkey)
		return sw_error_set(err, -ENOMEM, "key generation failed: %s",
				    crypto_ossl_reason());

	/* secure memory BIO: wiped when freed */
	priv_bio = BIO_new(BIO_s_secmem());
	pub_bio = BIO_new(BIO_s_mem());
	if (!priv_bio || !pub_bio ||
	    !PEM_write_bio_PrivateKey(priv_bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pub_bio, pkey)) {
		r = sw_error_set(err, -ENOMEM, "cannot encode key: %s", crypto_ossl_reason());
		goto cleanup;
	}
	priv_len = BIO_get_mem_data(priv_bio, &priv_pem);
	pub_len = BIO_get_mem_data(pub_bio, &pub_pem);

	priv_fd = r = create_new(priv_path, 0600, err);
	if (r < 0)
		goto cleanup;
	pub_fd = r = create_new(pub_path, 0644, err);
	if (r < 0)
		goto cleanup;
	r = write_all_sync(priv_fd, priv_path, priv_pem, (size_t)priv_len, err);
	if (r < 0)
		goto cleanup;
	r = write_all_sync(pub_fd, pub_path, pub_pem, (size_t)pub_len, err);
cleanup:
	if (priv_fd >= 0 && close(priv_fd) < 0 && r == 0)
		r = sw_error_set(err, -errno, "%s: %s", priv_path, strerror(errno));
	if (pub_fd >= 0 && close(pub_fd) < 0 && r == 0)
		r = sw_error_set(err, -errno, "%s: %s", pub_path, strerror(errno));
	if (r < 0 && priv_fd >= 0)
		unlink(priv_path);
	if (r < 0 && pub_fd >= 0)
		unlink(pub_path);
	BIO_free(priv_bio);
	BIO_free(pub_bio);
	EVP_PKEY_free(pkey);
	return r < 0 ? r : 0;
}

int crypto_sign(const char *key_path, const unsigned char *data, size_t len, char **ret_b64,
		struct sw_error *err)
{
	unsigned char *sig = NULL;
	enum sw_key_type type;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t sig_len = 0;
	char *b64 = NULL;
	int r;

	r = crypto_privkey_load(key_path, &pkey, &type, err);
	if (r < 0)
		return r;
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	/* Ed25519 is pure: no digest of its own */
	if (EVP_DigestSignInit_ex(ctx, NULL, type == SW_KEY_ECDSA_P256 ? "SHA256" : NULL, NULL,
				  NULL, pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, data, len) != 1) {
		r = sw_error_set(err, -EIO, "%s: cannot sign: %s", key_path, crypto_ossl_reason());
		goto cleanup;
	}
	sig = OPENSSL_malloc(sig_len);
	if (!sig) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if (EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1) {
		r = sw_error_set(err, -EIO, "%s: cannot sign: %s", key_path, crypto_ossl_reason());
		goto cleanup;
	}
	if (base64_encode(sig, sig_len, &b64) < 0) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	*ret_b64 = b64;
	b64 = NULL;
	r = 0;
cleanup:
	free(b64);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

/*
 * The signature's base64 into @out (SIG_RAW_MAX bytes): strict standard base64,
 * whitespace around it and line breaks inside it (wrapped output of `base64`
 * or `openssl base64`); anything else is -EBADMSG.
 */
static int sig_decode(const char *text, size_t len, unsigned char *out, size_t *ret_len,
		      struct sw_error *err)
{
	struct base64_error e;

	if (!base64_decode(text, len, BASE64_WRAPPED, out, SIG_RAW_MAX, ret_len, &e))
		return 0;
	switch (e.fault) {
	case BASE64_EMPTY:
		return sw_error_set(err, -EBADMSG, "malformed signature: empty");
	case BASE64_BAD_BYTE:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: not base64 (byte 0x%02x at offset %zu)",
				    e.byte, e.offset);
	case BASE64_AFTER_PAD:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: data after base64 padding");
	case BASE64_TOO_LONG:
		return sw_error_set(err, -EBADMSG, "malformed signature: longer than %d bytes",
				    SIG_RAW_MAX);
	case BASE64_BAD_LENGTH:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: base64 length %zu is not a multiple "
				    "of 4 (truncated?)",
				    e.chars);
	default:
		return sw_error_set(err, -EBADMSG, "malformed signature: non-canonical base64");
	}
}

/* A DER ECDSA-Sig-Value, exactly (no BER, no trailing bytes). */
static bool ecdsa_sig_is_der(const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *es;
	bool ok = false;
	int der_len;

	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (es && p == sig + len) {
		der_len = i2d_ECDSA_SIG(es, &der);
		ok = der_len == (int)len && !memcmp(der, sig, len);
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return ok;
}

int crypto_verify(const struct sw_pubkey *key, const unsigned char *data, size_t len,
		  const char *sig, size_t sig_len, struct sw_error *err)
{
	unsigned char raw[SIG_RAW_MAX];
	EVP_MD_CTX *ctx = NULL;
	size_t raw_len = 0;
	int r;

	r = sig_decode(sig, sig_len, raw, &raw_len, err);
	if (r < 0)
		return r;
	if (key->type == SW_KEY_ED25519 && raw_len != ED25519_SIG_LEN)
		return sw_error_set(
			err, -EBADMSG, "malformed signature: %zu bytes%s, Ed25519 key %s needs 64",
			raw_len, ecdsa_sig_is_der(raw, raw_len) ? " (an ECDSA signature?)" : "",
			key->id);
	if (key->type == SW_KEY_ECDSA_P256 && !ecdsa_sig_is_der(raw, raw_len))
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: not DER ECDSA (%zu bytes%s) for ECDSA "
				    "P-256 key %s",
				    raw_len,
				    raw_len == ED25519_SIG_LEN ? ", an Ed25519 signature?" : "",
				    key->id);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit_ex(ctx, NULL, key->type == SW_KEY_ECDSA_P256 ? "SHA256" : NULL,
				    NULL, NULL, key->pkey, NULL) != 1) {
		r = sw_error_set(err, -EIO, "cannot verify: %s", crypto_ossl_reason());
		goto cleanup;
	}
	if (EVP_DigestVerify(ctx, raw, raw_len, data, len) == 1)
		r = 0;
	else
		r = sw_error_set(err, -EKEYREJECTED, "signature does not verify with key %s",
				 key->id);
cleanup:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

int crypto_verify_any(struct sw_pubkey *const *keys, size_t n, const unsigned char *data,
		      size_t len, const char *sig, size_t sig_len, struct sw_error *err)
{
	struct sw_error malformed = { { 0 } }, one;
	size_t rejected = 0;

	if (!n)
		return sw_error_set(err, -ENOKEY, "no public key to verify with");
	for (size_t i = 0; i < n; i++) {
		int r = crypto_verify(keys[i], data, len, sig, sig_len, &one);

		if (r == 0)
			return 0;
		if (r == -EKEYREJECTED) {
			rejected++;
		} else if (r == -EBADMSG) {
			if (!malformed.msg[0])
				malformed = one;
		} else {
			return sw_error_set(err, r, "%s", one.msg);
		}
	}
	/* well-formed for at least one key's type: it is a bad signature */
	if (rejected == 1 && n == 1)
		return sw_error_set(err, -EKEYREJECTED, "%s", one.msg);
	if (rejected)
		return sw_error_set(err, -EKEYREJECTED,
				    "signature does not verify with any of the %zu keys", n);
	return sw_error_set(err, -EBADMSG, "%s", malformed.msg);
}

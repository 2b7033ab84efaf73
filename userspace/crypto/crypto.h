/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Detached signatures over exact file bytes, OpenSSL EVP, PEM keys.
 * ECDSA P-256: SHA-256, DER signature, base64 — what `cosign sign-blob --key`
 * and `openssl dgst -sha256 -sign` produce. Ed25519: pure Ed25519 over the
 * bytes, 64-byte signature, base64 (`openssl pkeyutl -sign -rawin`).
 */
#ifndef SW_CRYPTO_H
#define SW_CRYPTO_H

#include <stddef.h>

struct sw_error;
struct sw_pubkey;

enum sw_key_type {
	SW_KEY_ECDSA_P256,
	SW_KEY_ED25519,
};

/* Parse "ecdsa-p256" or "ed25519"; -EINVAL otherwise. */
int crypto_key_type_from_name(const char *name, enum sw_key_type *ret);

/*
 * Generate a key pair: PKCS#8 PEM private key at @priv_path (mode 0600,
 * refuses to overwrite) and SubjectPublicKeyInfo PEM at @pub_path.
 */
int crypto_keygen(enum sw_key_type type, const char *priv_path, const char *pub_path,
		  struct sw_error *err);

/*
 * Sign @len bytes with the PEM private key at @key_path (EC P-256 or Ed25519;
 * any other key type is -ENOTSUP with a message naming it). *ret_b64 is a
 * malloc'd base64 signature without newline.
 */
int crypto_sign(const char *key_path, const unsigned char *data, size_t len, char **ret_b64,
		struct sw_error *err);

/* Load a PEM public key (SPKI). Rejects private keys and unsupported types. */
int crypto_pubkey_load(const char *path, struct sw_pubkey **ret, struct sw_error *err);
int crypto_pubkey_load_mem(const char *pem, size_t len, struct sw_pubkey **ret,
			   struct sw_error *err);
void crypto_pubkey_free(struct sw_pubkey *key);
/* "sha256:<hex>" of the key's DER SubjectPublicKeyInfo (its key id). */
const char *crypto_pubkey_id(const struct sw_pubkey *key);

/*
 * Verify a signature file's text (@sig, @sig_len: base64, surrounding
 * whitespace allowed) over @len bytes. 0 when valid; -EKEYREJECTED when it
 * does not verify with this key; -EBADMSG when the text is not a well-formed
 * signature for the key's type.
 */
int crypto_verify(const struct sw_pubkey *key, const unsigned char *data, size_t len,
		  const char *sig, size_t sig_len, struct sw_error *err);

/* Verify with any of @n keys; 0 when one of them verifies. */
int crypto_verify_any(struct sw_pubkey *const *keys, size_t n, const unsigned char *data,
		      size_t len, const char *sig, size_t sig_len, struct sw_error *err);

#endif

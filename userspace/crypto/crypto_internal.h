/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to crypto/: what crypto.c (sign, verify) and crypto_keys.c (PEM keys) share. */
#ifndef SW_CRYPTO_INTERNAL_H
#define SW_CRYPTO_INTERNAL_H

#include <openssl/evp.h>

#include "crypto.h"

struct sw_error;

struct sw_pubkey {
	EVP_PKEY *pkey;
	enum sw_key_type type;
	char id[72]; /* "sha256:<64 hex>" */
};

/* The last OpenSSL error as text, for messages; clears the queue. */
const char *crypto_ossl_reason(void);

/*
 * Read and parse the PEM private key at @path (EC P-256 or Ed25519); the
 * file's bytes are wiped before they are freed.
 */
int crypto_privkey_load(const char *path, EVP_PKEY **ret_pkey, enum sw_key_type *ret_type,
			struct sw_error *err);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for userspace/crypto/ (crypto_keys.c, crypto.c): arbitrary bytes as signature text
 * (base64 decoding, DER and length checks, EVP verify) against a fixed
 * ECDSA P-256 and a fixed Ed25519 public key, and as PEM public key text.
 * Seeds in tests/fuzz/seeds/fuzz_signature/ are valid signatures over
 * MESSAGE by the keys below, and the two keys themselves.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "errors.h"

#define MESSAGE "sealwatch fuzz message\n"

static const char ec_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3kMQKBrSfvdq1GF82z00dpdN0pj4\n"
			     "f1mnhr6pR3Bx7eQyzsfojHqt2GF6MbNtIzb4V7JAF6p9Qewdfzmrw6ic6g==\n"
			     "-----END PUBLIC KEY-----\n";
static const char ed_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			     "MCowBQYDK2VwAyEArff0/MMJLNE92S98Q40oy3cw2qwHsCpPrn2YyxbCaxg=\n"
			     "-----END PUBLIC KEY-----\n";
/* valid signatures over MESSAGE by the keys above */
static const char ec_sig[] = "MEYCIQCJ/gMyNL+2FYXLS2qMC/UTBBUr54CX7Ar/EodLd/aumAIhAP++rI6NHgL6c1cm"
			     "rM7haE6YZtsgKUKXPKrIpgAVj8qG";
static const char ed_sig[] = "0Ydzt9JnLXCAuQEpFXVTfZBm9216q91U3tI95nxPTzf96bqZXuUatpQuJRexfklPIuEJ"
			     "an8CEXvtFEYpsIEwAA==";

static struct sw_pubkey *ec_key, *ed_key;

static void load(const char *pem, struct sw_pubkey **ret)
{
	if (crypto_pubkey_load_mem(pem, strlen(pem), ret, NULL) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	load(ec_pem, &ec_key);
	load(ed_pem, &ed_key);
	/* the harness itself must be right: the seeds' signatures verify */
	if (crypto_verify(ec_key, (const unsigned char *)MESSAGE, strlen(MESSAGE), ec_sig,
			  strlen(ec_sig), NULL) ||
	    crypto_verify(ed_key, (const unsigned char *)MESSAGE, strlen(MESSAGE), ed_sig,
			  strlen(ed_sig), NULL))
		abort();
	return 0;
}

/* crypto_verify's contract: 0, -EKEYREJECTED or -EBADMSG, with a message. */
static int verify_checked(struct sw_pubkey *key, const char *text, size_t len)
{
	struct sw_error e = { { 0 } };
	int r = crypto_verify(key, (const unsigned char *)MESSAGE, strlen(MESSAGE), text, len, &e);

	if (r != 0 && r != -EKEYREJECTED && r != -EBADMSG)
		abort();
	if (r < 0 && !e.msg[0])
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_pubkey *keys[2] = { ec_key, ed_key }, *key = NULL;
	const char *text = (const char *)data;
	struct sw_error e = { { 0 } };
	int r_ec, r_ed, r;

	r_ec = verify_checked(ec_key, text, size);
	r_ed = verify_checked(ed_key, text, size);
	r = crypto_verify_any(keys, 2, (const unsigned char *)MESSAGE, strlen(MESSAGE), text, size,
			      &e);
	if ((r == 0) != (r_ec == 0 || r_ed == 0))
		abort();
	if (r && r != (r_ec == -EKEYREJECTED || r_ed == -EKEYREJECTED ? -EKEYREJECTED : -EBADMSG))
		abort();

	r = crypto_pubkey_load_mem(text, size, &key, &e);
	if (r == 0) {
		const char *id = crypto_pubkey_id(key);

		if (strncmp(id, "sha256:", 7) || strlen(id) != 71)
			abort();
		verify_checked(key, ec_sig, strlen(ec_sig));
		verify_checked(key, ed_sig, strlen(ed_sig));
		crypto_pubkey_free(key);
	} else if (key || !e.msg[0]) {
		abort();
	}
	return 0;
}

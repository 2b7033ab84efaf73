// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sigstore bundles from the fuzzer: sigstore_bundle_parse(), then the whole of
 * sigstore_verify() (tlog bodies, proofs, checkpoints, SETs, RFC 3161
 * responses, certificates, SCTs, DSSE) against the public-good and a Rekor v2
 * trusted root, keyless and with a managed key. Seeds: conformance bundles.
 * Invariants: parse returns 0 with a bundle or an error with a message and no
 * bundle; verify keeps its error contract; a bundle never verifies for an
 * artifact digest nobody signed.
 */
#include <stdint.h>
#include <openssl/evp.h>
#include <string.h>

#include "sigstore_fuzz.h"

static struct sigstore_trusted_root *prod, *v2;
static unsigned char a_txt[4096]; /* the conformance artifact a.txt */
static size_t a_len;

static const char managed_key[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\n"
	"fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n"
	"-----END PUBLIC KEY-----\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	prod = fuzz_load_root("trusted_root.production.json");
	v2 = fuzz_load_root("cases/rekor2-happy-path/trusted_root.json");
	a_len = fuzz_read("a.txt", a_txt, sizeof(a_txt));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigstore_policy keyless = {
		.identity_regexp = ".",
		.issuer = "https://token.actions.githubusercontent.com",
	};
	struct sigstore_policy keyed = { .key_pem = managed_key,
					 .key_pem_len = sizeof(managed_key) - 1 };
	struct sigstore_artifact art = { .data = a_txt, .len = a_len }, nobody = { 0 };
	struct sigstore_bundle *b = NULL;
	struct sw_error e = { { 0 } };
	int r;

	r = sigstore_bundle_parse((const char *)data, size, &b, &e);
	if ((r == 0) != (b != NULL) || (r < 0 && !e.msg[0]))
		abort();
	if (r < 0)
		return 0;
	EVP_Digest(a_txt, a_len, art.sha256, NULL, EVP_sha256(), NULL);
	memset(nobody.sha256, 0x5a, 32);
	for (int i = 0; i < 2; i++) {
		struct sigstore_trusted_root *root = i ? v2 : prod;

		e.msg[0] = 0;
		r = sigstore_verify(root, b, &art, &keyless, 1760000000, NULL, &e);
		fuzz_check_verify_result(r, &e);
		e.msg[0] = 0;
		r = sigstore_verify(root, b, &art, &keyed, 1760000000, NULL, &e);
		fuzz_check_verify_result(r, &e);
		if (sigstore_verify(root, b, &nobody, &keyless, 1760000000, NULL, &e) == 0 ||
		    sigstore_verify(root, b, &nobody, &keyed, 1760000000, NULL, &e) == 0)
			abort();
	}
	sigstore_bundle_free(b);
	return 0;
}

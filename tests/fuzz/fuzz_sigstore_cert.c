// SPDX-License-Identifier: GPL-2.0-only
/*
 * Certificates from the fuzzer (DER): the identity and issuer extensions, the
 * chain to a Fulcio CA of the public-good trusted root at a fixed time, the
 * embedded SCT list (with the input itself as issuer), and the input as an
 * RFC 3161 response against the Rekor v2 root's TSA. Seeds: Fulcio leaf
 * certificates and timestamp responses of the conformance cases.
 * Invariants: the error contracts; no input is a valid timestamp over the
 * bytes "sig"; an exact identity match reports that identity.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

#include "sigstore_internal.h"
#include "sigstore_fuzz.h"

static struct sigstore_trusted_root *prod, *v2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	prod = fuzz_load_root("trusted_root.production.json");
	v2 = fuzz_load_root("cases/rekor2-happy-path/trusted_root.json");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	struct sw_error e = { { 0 } };
	char san[256], issuer[256];
	int64_t t_ms;
	X509 *x;
	int r;

	r = ss_rfc3161_verify(v2, data, size, (const unsigned char *)"sig", 3, &t_ms, &e);
	if (r != -EKEYREJECTED || !e.msg[0])
		abort(); /* nobody timestamped "sig" */

	x = d2i_X509(NULL, &p, (long)size);
	ERR_clear_error();
	if (!x)
		return 0;
	r = ss_cert_identity(x, NULL, "^https://", san, sizeof(san), &e);
	if (r != 0 && r != -EKEYREJECTED)
		abort();
	r = ss_cert_identity(x, "https://example.com/x", NULL, san, sizeof(san), &e);
	if (r == 0 && strcmp(san, "https://example.com/x"))
		abort();
	if (ss_cert_issuer(x, issuer, sizeof(issuer)) == 0 && strlen(issuer) >= sizeof(issuer))
		abort();
	r = ss_cert_verify_sct(prod, x, x, &e);
	if (r != 0 && r != -EKEYREJECTED && r != -ENOMEM)
		abort();
	r = ss_cert_verify_chain(prod, x, ss_asn1_time_ms(X509_get0_notBefore(x)), NULL, &e);
	if (r != 0 && r != -EKEYREJECTED)
		abort();
	X509_free(x);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * trusted_root.json from the fuzzer: sigstore_trusted_root_parse(). Seeds: the
 * public-good, staging and Rekor v2 roots. Invariants: 0 with a root or an
 * error with a message and no root; every authority parsed holds at least one
 * certificate; every window with both ends is read as given.
 */
#include <stdint.h>

#include "sigstore_internal.h"
#include "sigstore_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigstore_trusted_root *root = NULL;
	struct sw_error e = { { 0 } };
	int r;

	r = sigstore_trusted_root_parse((const char *)data, size, &root, &e);
	if ((r == 0) != (root != NULL) || (r < 0 && !e.msg[0]))
		abort();
	if (r < 0)
		return 0;
	for (size_t i = 0; i < root->n_cas; i++)
		if (sk_X509_num(root->cas[i].certs) < 1)
			abort();
	for (size_t i = 0; i < root->n_tsas; i++)
		if (sk_X509_num(root->tsas[i].certs) < 1)
			abort();
	for (size_t i = 0; i < root->n_tlogs; i++)
		if (!root->tlogs[i].id_len || root->tlogs[i].id_len > sizeof(root->tlogs[i].id))
			abort();
	sigstore_trusted_root_free(root);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoints (signed notes) and Merkle proofs from the fuzzer:
 * ss_checkpoint_parse(), ss_checkpoint_verify() with the public-good Rekor key
 * and the Rekor v2 staging key, and ss_merkle_verify() over a proof taken
 * from the input's tail. Seeds: the conformance cases' checkpoints.
 * Invariants: a parsed text ends at a newline inside the input, its origin is
 * non-empty, a verified note also parses to the same values; a proof for a
 * hashed leaf never verifies against a root hash nobody computed (all 0x5a):
 * that would take a SHA-256 preimage.
 */
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
	const struct ss_log_key *keys[2] = { &prod->tlogs[0], &v2->tlogs[1] };
	struct ss_checkpoint cp, cp2;
	struct sw_error e = { { 0 } };
	unsigned char root[32], leaf[32];
	size_t text_len;
	char *note;
	int parsed;

	note = malloc(size + 1);
	if (!note)
		return 0;
	memcpy(note, data, size);
	note[size] = 0;
	parsed = ss_checkpoint_parse(note, &cp, &text_len) == 0;
	if (parsed &&
	    (text_len > strlen(note) || note[text_len - 1] != '\n' || !cp.origin[0] || cp.size < 0))
		abort();
	for (int i = 0; i < 2; i++) {
		int r = ss_checkpoint_verify(note, keys[i], &cp2, &e);

		if (r != 0 && r != -EKEYREJECTED)
			abort();
		if (r == 0 &&
		    (!parsed || cp2.size != cp.size || memcmp(cp2.root_hash, cp.root_hash, 32) ||
		     strcmp(cp2.origin, cp.origin)))
			abort();
	}
	free(note);

	/* a Merkle proof: index and size from the first 16 bytes, hashes after */
	if (size >= 16 + 32) {
		int64_t index, tree;
		size_t n = (size - 16 - 32) / 32;

		memcpy(&index, data, 8);
		memcpy(&tree, data + 8, 8);
		/* a leaf hash, not a leaf: with size 1 the leaf is the root */
		ss_sha256(data + 16, 32, leaf);
		memset(root, 0x5a, 32);
		if (n > SS_MAX_PROOF_HASHES)
			n = SS_MAX_PROOF_HASHES;
		if (ss_merkle_verify(index, tree, leaf, (const unsigned char(*)[32])(data + 48), n,
				     root) == 0)
			abort();
	}
	return 0;
}

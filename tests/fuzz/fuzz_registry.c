// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a registry sends, and what a user types: the first byte picks the
 * parser, the rest is its input — 0: an image index or referrers response
 * (reg_parse_index, with and without an artifactType filter), 1: an image or
 * artifact manifest (reg_parse_manifest), 2: an image reference
 * (reg_ref_parse), 3: an image name split into host and repository
 * (fetcher_split_name). Checks what the parsers promise: NUL-terminated,
 * well-formed digests and at most the asked-for number of descriptors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "fetcher.h"
#include "registry.h"

static void check_digest(const char *d)
{
	if (strlen(d) != 71 || strncmp(d, "sha256:", 7))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_descriptor out[8];
	struct sw_error err;
	char *s;
	size_t n = 99;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (!reg_parse_index(s, size - 1, NULL, out, 8, &n, &err)) {
			if (n > 8)
				abort();
			for (size_t i = 0; i < n; i++)
				check_digest(out[i].digest);
		}
		if (!reg_parse_index(s, size - 1, REG_ARTIFACT_BASELINE, out, 8, &n, &err))
			for (size_t i = 0; i < n; i++)
				if (strcmp(out[i].artifact_type, REG_ARTIFACT_BASELINE))
					abort();
		break;
	case 1: {
		struct reg_manifest m;

		if (!reg_parse_manifest(s, size - 1, &m, &err)) {
			check_digest(m.config.digest);
			for (size_t i = 0; i < m.n_layers; i++)
				check_digest(m.layers[i].digest);
			if (m.subject[0])
				check_digest(m.subject);
			reg_manifest_clear(&m);
		}
		break;
	}
	case 2: {
		struct reg_ref r;

		if (!reg_ref_parse(s, &r, &err)) {
			if (!r.host || !r.repo || (!r.tag && !r.digest[0]))
				abort();
			if (r.digest[0])
				check_digest(r.digest);
			reg_ref_clear(&r);
		}
		break;
	}
	default: {
		char host[64], repo[64];

		if (fetcher_split_name(s, host, sizeof(host), repo, sizeof(repo)) &&
		    (!repo[0] || strlen(repo) >= sizeof(repo)))
			abort();
		break;
	}
	}
	free(s);
	return 0;
}

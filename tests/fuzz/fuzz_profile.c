// SPDX-License-Identifier: GPL-2.0-only
/*
 * A profile file (stored or exported form), from the fuzzer, through
 * profile_parse() with small caps. Beyond "no crash": an accepted profile
 * stays within its caps, and its JSON (stored and exported) parses again
 * to the same export, byte for byte (the export is deterministic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile_limits lim;
	struct profile *p = NULL, *q = NULL;
	struct sw_error err;
	size_t n_exes, n_edges, n_users, len;
	char *exported, *stored, *again;

	profile_limits_default(&lim);
	lim.max_executables = 16;
	lim.max_edges = 16;
	lim.max_users = 8;
	if (profile_parse((const char *)data, size, &lim, &p, &err))
		return 0;
	profile_sizes(p, &n_exes, &n_edges, &n_users);
	if (n_exes > 16 || n_edges > 16 || n_users > 8)
		abort();
	exported = profile_json(p, true, &len);
	stored = profile_json(p, false, NULL);
	if (!exported || !stored)
		abort();
	if (profile_parse(stored, strlen(stored), &lim, &q, &err))
		abort(); /* what we write, we read */
	again = profile_json(q, true, NULL);
	if (!again || strcmp(again, exported))
		abort();
	profile_free(q);
	q = NULL;
	if (profile_parse(exported, len, &lim, &q, &err) || profile_get_state(q) != PROFILE_LOCKED)
		abort();
	free(again);
	free(exported);
	free(stored);
	profile_free(q);
	profile_free(p);
	return 0;
}

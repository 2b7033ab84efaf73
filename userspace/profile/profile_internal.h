/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside profile/: the profile itself and its element sets (profile.h). */
#ifndef SW_PROFILE_INTERNAL_H
#define SW_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/*
 * A set of strings (escaped paths, so no NUL and no control character:
 * '\n' separates the parts of an element), open addressing, grown by
 * doubling, never past @max elements.
 */
struct pset {
	char **slots;
	size_t n, n_slots;
};

/* 1 added, 0 already there, -E2BIG at @max elements, -ENOMEM. */
int pset_add(struct pset *s, const char *item, size_t max);
bool pset_has(const struct pset *s, const char *item);
/* The items sorted bytewise (malloc'd array of borrowed pointers; NULL when empty). */
const char **pset_sorted(const struct pset *s);
void pset_clear(struct pset *s);
/* Heap bytes held (slots and strings). */
size_t pset_bytes(const struct pset *s);

#define PROFILE_IMAGE_ID_LEN 71 /* "sha256:" + 64 hex */

struct profile {
	char image_id[PROFILE_IMAGE_ID_LEN + 1];
	enum profile_state state;
	bool is_signed; /* loaded from a verified signed file: locked, never written */
	int64_t created, last_new; /* Unix seconds */
	uint64_t execs, execs_since_new;
	uint64_t anomalies, capped;
	/* "PATH\nSHA256HEX", "PARENT\nCHILD", "UID" */
	struct pset exes, edges, users;
};

/* "sha256:" + 64 lowercase hex digits? */
bool profile_image_id_ok(const char *s);

#endif

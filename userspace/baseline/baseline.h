/* SPDX-License-Identifier: GPL-2.0-only */
/* The baseline format v1 (docs/baseline-format.md): write and parse. */
#ifndef SW_BASELINE_H
#define SW_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "entry.h"

struct sw_error;

#define SW_BASELINE_SCHEMA "sealwatch.baseline/v1"

struct sw_baseline_header {
	char *source; /* "oci", "docker-archive", "registry" or "dir" */
	char *image_name; /* image reference or directory; may be NULL */
	char *config_digest; /* "sha256:…", the image ID; NULL for dir */
	char *manifest_digest; /* "sha256:…"; NULL for dir */
	char *platform; /* "linux/amd64"; NULL for dir */
	char **diff_ids; /* "sha256:…" per layer, bottom first */
	size_t n_diff_ids;
	uint64_t entries; /* number of entry lines */
	char *generator; /* "sealwatch X.Y.Z" */
};

struct sw_baseline {
	struct sw_baseline_header hdr;
	struct sw_entry *entries; /* sorted by raw path bytes, unique */
	size_t n_entries;
	unsigned char digest[32]; /* sha256 of the exact file bytes */
	/*
	 * NULL, or the one block that holds every string of the entries (path,
	 * link, interp, caps) after baseline_compact(): then the entries are
	 * read-only and freed only with the baseline.
	 */
	char *strings;
};

/*
 * Write header and entries (already sorted, unique) as v1 JSON Lines.
 * Deterministic: same input, same bytes. hdr->entries is ignored; @n is used.
 */
int baseline_write(FILE *f, const struct sw_baseline_header *hdr, struct sw_entry *const *entries,
		   size_t n, struct sw_error *err);

/*
 * Parse a whole baseline held in memory. Strict: unknown schema, missing or
 * mistyped fields, unsorted or duplicate paths, an entry count that differs
 * from the header, bad escapes, lines over 1 MiB, or trailing garbage give
 * -EBADMSG with a message naming the line. Sets ret->digest.
 */
int baseline_parse(const char *buf, size_t len, struct sw_baseline **ret, struct sw_error *err);

/* Read @path and parse it. */
int baseline_load(const char *path, struct sw_baseline **ret, struct sw_error *err);

void baseline_free(struct sw_baseline *b);

/*
 * Rebuild a parsed baseline for a long life read-only (the daemon's store):
 * the entries in one exact array, their strings in one block, a link or
 * interpreter equal to a path of the baseline sharing that path's bytes.
 * Same entries, same values, same lookups; no entry may be changed or
 * cleared afterwards. -ENOMEM leaves @b as it was.
 */
int baseline_compact(struct sw_baseline *b);
void baseline_header_clear(struct sw_baseline_header *hdr);

/* One entry as the JSON object of its baseline line (for scan output and events). */
struct json_t;
int baseline_entry_to_json(const struct sw_entry *e, struct json_t **ret);

/* Binary search by raw path; NULL when absent. */
const struct sw_entry *baseline_lookup(const struct sw_baseline *b, const char *path);

#endif

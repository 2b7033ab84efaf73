/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to baseline.c (writer) and baseline_parse.c (parser): the one
 * encoding of a header or an entry as its v1 line. The parser accepts a line
 * only when these functions give back its exact bytes.
 */
#ifndef SW_BASELINE_JSON_H
#define SW_BASELINE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;
struct sw_baseline_header;
struct sw_entry;

#define BASELINE_LINE_MAX (1024 * 1024)
#define BASELINE_CAPS_MAX (64 * 1024) /* XATTR_SIZE_MAX */

/* A reusable buffer for one compact JSON line. */
struct baseline_linebuf {
	char *buf;
	size_t cap, len;
};

/* Printable-ASCII copy of @s for messages (one line, bounded). */
const char *baseline_printable(const char *s, char out[96]);

/* "/a/b": absolute, not "/", no empty, "." or ".." component, no trailing slash. */
bool baseline_path_is_canonical(const char *p);

/* The exec classes that may carry "interp". */
bool baseline_interp_allowed(unsigned int class);

/* "oci", "docker-archive", "registry" or "dir". */
bool baseline_source_known(const char *s);

/* "sha256:<64 lowercase hex>". */
bool baseline_digest_ok(const char *s);

/* The JSON object of an entry's line; -EINVAL with *why for an inconsistent entry. */
int baseline_json_entry(const struct sw_entry *e, struct json_t **ret, const char **why);

/* The JSON object of the header line for @n entries; -EINVAL with *why when invalid. */
int baseline_json_header(const struct sw_baseline_header *hdr, uint64_t n, struct json_t **ret,
			 const char **why);

/* Compact JSON of @o into @lb (no newline). 0 or -ENOMEM. */
int baseline_json_dump(const struct json_t *o, struct baseline_linebuf *lb);

#endif

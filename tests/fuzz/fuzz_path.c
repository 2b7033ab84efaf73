// SPDX-License-Identifier: GPL-2.0-only
/*
 * path.c on arbitrary bytes: escape/unescape round trip both ways, and
 * member-name normalization gives canonical, idempotent results.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_canonical(const char *p)
{
	char parent[64];

	if (p[0] != '/')
		abort();
	if (strcmp(p, "/") == 0)
		return;
	if (p[strlen(p) - 1] == '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
		abort();
	if ((strlen(p) >= 2 && strcmp(p + strlen(p) - 2, "/.") == 0) ||
	    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
		abort();
	path_dirname(p, parent, sizeof(parent));
	if (parent[0] != '/' || strlen(path_basename(p)) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *esc, *raw = NULL, *norm = NULL, *norm2 = NULL;
	struct sw_error err = { { 0 } };
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* raw -> escaped -> raw */
	esc = path_escape(s);
	if (!esc)
		abort();
	for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	if (path_unescape(esc, &raw) || strcmp(raw, s))
		abort();
	free(raw);
	raw = NULL;
	free(esc);

	/* escaped -> raw -> the same escaped form */
	r = path_unescape(s, &raw);
	if (r == 0) {
		esc = path_escape(raw);
		if (!esc || strcmp(esc, s))
			abort();
		free(esc);
	} else if (r != -EBADMSG) {
		abort();
	}
	free(raw);

	r = path_normalize_member(s, &norm, &err);
	if (r == 0) {
		check_canonical(norm);
		/* normalizing the normalized name (made relative) changes nothing */
		if (path_normalize_member(norm + 1, &norm2, &err) || strcmp(norm, norm2))
			abort();
	} else if (r != -EBADMSG || err.msg[0] == '\0') {
		abort();
	}
	free(norm);
	free(norm2);
	free(s);
	return 0;
}

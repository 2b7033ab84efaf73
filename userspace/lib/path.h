/* SPDX-License-Identifier: GPL-2.0-only */
/* Path normalization (tar member names) and reversible escaping for baselines. */
#ifndef SW_PATH_H
#define SW_PATH_H

#include <stddef.h>

struct sw_error;

/*
 * Turn a tar member name into a normalized absolute path: leading "./" and
 * "/" are only accepted as the "./" prefix tar tools write; "." components
 * and repeated or trailing slashes are dropped. "" or "." gives "/".
 * Returns 0 and a malloc'd path in *ret, or -EBADMSG (with a message) for a
 * name with a ".." component, an absolute name ("/etc/x"), an empty
 * component list after a prefix, or a name longer than PATH_MAX.
 */
int path_normalize_member(const char *name, char **ret, struct sw_error *err);

/*
 * Reversible escaping for baseline lines: every byte that is not part of a
 * well-formed UTF-8 sequence, every C0/C1 control character, DEL, and '%'
 * itself become "%XX" (uppercase hex). Valid printable UTF-8 is kept as is.
 * Returns a malloc'd string or NULL (ENOMEM).
 */
char *path_escape(const char *raw);

/*
 * Inverse of path_escape. Rejects (-EBADMSG) a '%' not followed by two hex
 * digits, "%00", and any byte that path_escape would have escaped but that
 * appears literally (so each raw path has exactly one escaped form).
 */
int path_unescape(const char *escaped, char **ret);

/* Parent of a normalized absolute path, written to @out ("/" for "/x"). */
void path_dirname(const char *path, char *out, size_t out_size);
/* Pointer to the last component of @path (inside @path). */
const char *path_basename(const char *path);

#endif

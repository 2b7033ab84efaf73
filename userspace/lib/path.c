// SPDX-License-Identifier: GPL-2.0-only
/* Tar member-name normalization and the reversible path escaping of baselines. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "path.h"

int path_normalize_member(const char *name, char **ret, struct sw_error *err)
{
	size_t len = strlen(name), out_len = 0;
	const char *p = name;
	char *out;

	if (len > PATH_MAX)
		return sw_error_set(err, -EBADMSG, "member name longer than %d bytes", PATH_MAX);
	if (name[0] == '/')
		return sw_error_set(err, -EBADMSG, "absolute member name \"%.200s\"", name);
	/* "/" + components joined by "/" is never longer than "/" + name */
	out = malloc(len + 2);
	if (!out)
		return sw_error_set(err, -ENOMEM, "out of memory");
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return sw_error_set(err, -EBADMSG,
					    "member name \"%.200s\" has a \"..\" component", name);
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			out[out_len++] = '/';
			memcpy(out + out_len, p, n);
			out_len += n;
		}
		p = *end ? end + 1 : end;
	}
	if (out_len == 0)
		out[out_len++] = '/';
	out[out_len] = '\0';
	*ret = out;
	return 0;
}

/*
 * Length of the well-formed UTF-8 sequence at @s (at most @avail bytes), or 0
 * when the bytes there are not one: overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences are all rejected (RFC 3629 table).
 */
static size_t utf8_sequence_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, F5..FF */
	}
	if (avail < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

static bool byte_needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7F || c == '%';
}

static char *escape_bytes(const unsigned char *s, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out, *o;
	size_t i = 0;

	/* worst case every byte becomes "%XX" */
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	while (i < len) {
		size_t n = utf8_sequence_len(s + i, len - i);
		bool escape;

		if (n == 1)
			escape = byte_needs_escape(s[i]);
		else if (n == 2 && s[i] == 0xC2 && s[i + 1] <= 0x9F)
			escape = true; /* C1 controls U+0080..U+009F */
		else
			escape = n == 0;
		if (n == 0)
			n = 1; /* resynchronize on the next byte */
		for (size_t k = 0; k < n; k++, i++) {
			if (escape) {
				*o++ = '%';
				*o++ = digits[s[i] >> 4];
				*o++ = digits[s[i] & 0xF];
			} else {
				*o++ = (char)s[i];
			}
		}
	}
	*o = '\0';
	return out;
}

char *path_escape(const char *raw)
{
	return escape_bytes((const unsigned char *)raw, strlen(raw));
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int path_unescape(const char *escaped, char **ret)
{
	size_t len = strlen(escaped), out_len = 0;
	char *out, *again = NULL;
	int err;

	out = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (escaped[i] != '%') {
			out[out_len++] = escaped[i];
			continue;
		}
		hi = i + 1 < len ? hex_nibble(escaped[i + 1]) : -1;
		lo = i + 2 < len ? hex_nibble(escaped[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			err = -EBADMSG;
			goto cleanup;
		}
		out[out_len++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[out_len] = '\0';
	/*
	 * Canonical form: escaping the result must give back the input exactly.
	 * This rejects lowercase hex, escapes of bytes that need none, and
	 * literal bytes that path_escape() would have escaped.
	 */
	again = escape_bytes((const unsigned char *)out, out_len);
	if (!again) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (strcmp(again, escaped) != 0) {
		err = -EBADMSG;
		goto cleanup;
	}
	*ret = out;
	out = NULL;
	err = 0;
cleanup:
	free(again);
	free(out);
	return err;
}

void path_dirname(const char *path, char *out, size_t out_size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (out_size == 0)
		return;
	/* "/x" and "/" have parent "/"; a name without a slash gets "." */
	if (!slash) {
		n = 1;
		path = ".";
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
	}
	if (n >= out_size)
		n = out_size - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return path;
	/* the root's last component is the root itself */
	if (slash[1] == '\0' && slash == path)
		return path;
	return slash + 1;
}

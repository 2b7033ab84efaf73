// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "imageref.h"

#define REF_MAX 1024

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i == n)
			return false; /* a separator must be followed by more */
	}
	return n > 0;
}

/* host labels [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? joined by ".", then an optional :PORT */
static bool domain_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t)(colon - s) : n;

	if (!host)
		return false;
	for (size_t i = 0; i < host;) {
		size_t start = i;

		while (i < host && (is_alnum(s[i]) || s[i] == '-'))
			i++;
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		if (i < host && s[i++] != '.')
			return false;
		if (i == host && s[i - 1] == '.')
			return false;
	}
	if (colon) {
		if (colon + 1 == s + n)
			return false;
		for (const char *p = colon + 1; p < s + n; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static bool tag_ok(const char *s, size_t n)
{
	if (!n || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* ALGORITHM:HEX, e.g. sha256:<hex> */
static bool digest_ok(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s || !colon[1])
		return false;
	for (const char *p = s; p < colon; p++)
		if (!is_lower_alnum(*p))
			return false;
	for (const char *p = colon + 1; *p; p++)
		if (!is_hex(*p))
			return false;
	return true;
}

int imageref_normalize(const char *in, char *out, size_t size)
{
	char buf[REF_MAX + 1];
	const char *digest = NULL, *tag = NULL, *domain = "docker.io", *path;
	char *at, *slash, *last, *colon;
	size_t dlen = 9;
	bool hub;
	int n;

	if (!in || !in[0] || strlen(in) > REF_MAX)
		return -EINVAL;
	strcpy(buf, in);
	at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		digest = at + 1;
		if (!digest_ok(digest))
			return -EINVAL;
	}
	path = buf;
	slash = strchr(buf, '/');
	if (slash) {
		size_t first = (size_t)(slash - buf);

		if (memchr(buf, '.', first) || memchr(buf, ':', first) ||
		    (first == 9 && !strncmp(buf, "localhost", 9))) {
			if (!domain_ok(buf, first))
				return -EINVAL;
			domain = buf;
			dlen = first;
			path = slash + 1;
		}
	}
	if (dlen == 15 && !strncmp(domain, "index.docker.io", 15)) {
		domain = "docker.io";
		dlen = 9;
	}
	last = strrchr(path, '/');
	last = last ? last + 1 : (char *)path;
	colon = strchr(last, ':');
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		if (!tag_ok(tag, strlen(tag)))
			return -EINVAL;
	}
	for (const char *p = path;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!path_component_ok(p, len))
			return -EINVAL;
		if (!end)
			break;
		p = end + 1;
	}
	hub = dlen == 9 && !strncmp(domain, "docker.io", 9);
	n = snprintf(out, size, "%.*s/%s%s%s%s%s%s", (int)dlen, domain,
		     hub && !strchr(path, '/') ? "library/" : "", path, tag ? ":" : "",
		     tag ? tag : "", digest ? "@" : "", digest ? digest : "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (!tag && !digest) {
		if ((size_t)n + 7 >= size)
			return -ENAMETOOLONG;
		strcat(out, ":latest");
	}
	return 0;
}

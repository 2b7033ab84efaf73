// SPDX-License-Identifier: GPL-2.0-only
/* Sink specs: "SCHEME:TARGET?key=value&…" and typed option values. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sink_internal.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX-decode in place; -EBADMSG on a bad or NUL escape. */
static int percent_decode(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '%') {
			int hi = r[1] ? hexval(r[1]) : -1, lo = hi >= 0 && r[2] ? hexval(r[2]) : -1;

			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -EBADMSG;
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

char *sink_spec_redact(const char *text)
{
	const char *auth = strstr(text, "://"), *end, *at = NULL;
	char *out;

	if (!auth)
		return strdup(text);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			at = c;
	if (!at)
		return strdup(text);
	if (asprintf(&out, "%.*sREDACTED%s", (int)(auth - text), text, at) < 0)
		return NULL;
	return out;
}

void sink_spec_clear(struct sink_spec *spec)
{
	free(spec->text);
	free(spec->scheme);
	free(spec->target);
	for (size_t i = 0; i < spec->n_opts; i++)
		free(spec->opts[i].key); /* value points into the same allocation */
	memset(spec, 0, sizeof(*spec));
}

static int add_opt(struct sink_spec *spec, const char *item, size_t len, struct sw_error *err)
{
	char *key, *eq;

	if (!len)
		return 0;
	if (spec->n_opts == SINK_MAX_OPTS)
		return sw_error_set(err, -EBADMSG, "output '%s': too many options", spec->text);
	key = strndup(item, len);
	if (!key)
		return sw_error_set(err, -ENOMEM, "out of memory");
	eq = strchr(key, '=');
	if (!eq || eq == key) {
		sw_error_set(err, -EBADMSG, "output '%s': option '%s' is not key=value", spec->text,
			     key);
		free(key);
		return -EBADMSG;
	}
	*eq = '\0';
	if (percent_decode(eq + 1)) {
		sw_error_set(err, -EBADMSG, "output '%s': option '%s' has a bad %%-escape",
			     spec->text, key);
		free(key);
		return -EBADMSG;
	}
	for (size_t i = 0; i < spec->n_opts; i++)
		if (!strcmp(spec->opts[i].key, key)) {
			sw_error_set(err, -EBADMSG, "output '%s': option '%s' given twice",
				     spec->text, key);
			free(key);
			return -EBADMSG;
		}
	spec->opts[spec->n_opts].key = key;
	spec->opts[spec->n_opts].value = eq + 1;
	spec->n_opts++;
	return 0;
}

int sink_spec_parse(const char *text, struct sink_spec *spec, struct sw_error *err)
{
	const char *colon, *q, *p;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->raw = text;
	spec->text = sink_spec_redact(text);
	if (!spec->text)
		return sw_error_set(err, -ENOMEM, "out of memory");
	q = strchr(text, '?');
	colon = strchr(text, ':');
	if (colon && q && colon > q)
		colon = NULL;
	if (colon) {
		spec->scheme = strndup(text, (size_t)(colon - text));
		spec->target = q ? strndup(colon + 1, (size_t)(q - colon - 1)) : strdup(colon + 1);
	} else {
		spec->scheme = q ? strndup(text, (size_t)(q - text)) : strdup(text);
		spec->target = strdup("");
	}
	if (!spec->scheme || !spec->target) {
		sink_spec_clear(spec);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	for (p = q ? q + 1 : NULL; p;) {
		const char *amp = strchr(p, '&');

		r = add_opt(spec, p, amp ? (size_t)(amp - p) : strlen(p), err);
		if (r) {
			sink_spec_clear(spec);
			return r;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static struct sink_opt *find(struct sink_spec *spec, const char *key)
{
	for (size_t i = 0; i < spec->n_opts; i++)
		if (!strcmp(spec->opts[i].key, key)) {
			spec->opts[i].used = true;
			return &spec->opts[i];
		}
	return NULL;
}

static int bad(struct sink_spec *spec, const char *key, const char *value, const char *why,
	       struct sw_error *err)
{
	return sw_error_set(err, -EBADMSG, "output '%s': option %s=%s: %s", spec->text, key, value,
			    why);
}

int sink_opt_str(struct sink_spec *spec, const char *key, const char **ret)
{
	struct sink_opt *o = find(spec, key);

	if (o)
		*ret = o->value;
	return 0;
}

/* A number with an optional unit; @units: suffix → multiplier, "" first. */
struct unit {
	const char *suffix;
	uint64_t mult;
};

static int parse_units(const char *s, const struct unit *units, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (const struct unit *u = units; u->suffix; u++)
		if (!strcmp(end, u->suffix)) {
			if (v > UINT64_MAX / u->mult)
				return -EINVAL;
			*ret = v * u->mult;
			return 0;
		}
	return -EINVAL;
}

int sink_opt_size(struct sink_spec *spec, const char *key, uint64_t *ret, struct sw_error *err)
{
	static const struct unit units[] = {
		{ "", 1 },
		{ "K", 1ULL << 10 },
		{ "KiB", 1ULL << 10 },
		{ "M", 1ULL << 20 },
		{ "MiB", 1ULL << 20 },
		{ "G", 1ULL << 30 },
		{ "GiB", 1ULL << 30 },
		{ NULL, 0 },
	};
	struct sink_opt *o = find(spec, key);

	if (o && parse_units(o->value, units, ret))
		return bad(spec, key, o->value, "want a size such as 4096, 512K, 100M, 2G", err);
	return 0;
}

int sink_opt_ms(struct sink_spec *spec, const char *key, unsigned int *ret, struct sw_error *err)
{
	static const struct unit units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60000 },
		{ NULL, 0 },
	};
	struct sink_opt *o = find(spec, key);
	uint64_t v;

	if (!o)
		return 0;
	if (parse_units(o->value, units, &v) || v > 3600 * 1000)
		return bad(spec, key, o->value,
			   "want a duration such as 500ms, 5s, 1m (at most 1h)", err);
	*ret = (unsigned int)v;
	return 0;
}

int sink_opt_uint(struct sink_spec *spec, const char *key, unsigned int min, unsigned int max,
		  unsigned int *ret, struct sw_error *err)
{
	static const struct unit units[] = { { "", 1 }, { NULL, 0 } };
	struct sink_opt *o = find(spec, key);
	uint64_t v;

	if (!o)
		return 0;
	if (parse_units(o->value, units, &v) || v < min || v > max) {
		char why[64];

		snprintf(why, sizeof(why), "want an integer from %u to %u", min, max);
		return bad(spec, key, o->value, why, err);
	}
	*ret = (unsigned int)v;
	return 0;
}

int sink_opt_bool(struct sink_spec *spec, const char *key, bool *ret, struct sw_error *err)
{
	struct sink_opt *o = find(spec, key);

	if (!o)
		return 0;
	if (!strcmp(o->value, "1") || !strcmp(o->value, "true") || !strcmp(o->value, "yes"))
		*ret = true;
	else if (!strcmp(o->value, "0") || !strcmp(o->value, "false") || !strcmp(o->value, "no"))
		*ret = false;
	else
		return bad(spec, key, o->value, "want true or false", err);
	return 0;
}

int sink_parse_hostport(const char *target, char **host, char **port, const char **path,
			struct sw_error *err)
{
	const char *h, *end, *colon, *slash;
	size_t hlen;

	if (strncmp(target, "//", 2))
		return sw_error_set(err, -EBADMSG, "want //HOST:PORT");
	h = target + 2;
	slash = strchr(h, '/');
	end = slash ? slash : h + strlen(h);
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || rb[1] != ':')
			return sw_error_set(err, -EBADMSG, "want //[IPV6]:PORT");
		colon = rb + 1;
		h++;
		hlen = (size_t)(rb - h);
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (!colon)
			return sw_error_set(err, -EBADMSG, "missing :PORT");
		hlen = (size_t)(colon - h);
	}
	if (!hlen || colon + 1 == end || (size_t)(end - colon - 1) > 5)
		return sw_error_set(err, -EBADMSG, "want //HOST:PORT");
	for (const char *c = colon + 1; c < end; c++)
		if (!isdigit((unsigned char)*c))
			return sw_error_set(err, -EBADMSG, "port must be a number");
	if (atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return sw_error_set(err, -EBADMSG, "port out of range");
	*host = strndup(h, hlen);
	*port = strndup(colon + 1, (size_t)(end - colon - 1));
	if (!*host || !*port) {
		free(*host);
		free(*port);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	if (path)
		*path = slash;
	return 0;
}

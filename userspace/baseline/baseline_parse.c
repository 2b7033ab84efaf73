// SPDX-License-Identifier: GPL-2.0-only
/*
 * Baseline format v1, the strict parser (docs/baseline-format.md). Each line
 * is parsed, then encoded again with the writer's code (baseline_json.h): a
 * line is accepted only when that gives back its exact bytes, so a baseline
 * has one encoding, one digest and one signature.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base64.h"
#include "baseline.h"
#include "baseline_json.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "path.h"

#define LOAD_MAX_BYTES ((size_t)4 << 30)
/* shortest entry line: {"path":"/a","type":"dir","mode":"0755","uid":0,"gid":0} */
#define MIN_ENTRY_LINE 48

enum entry_key {
	K_PATH,
	K_TYPE,
	K_MODE,
	K_UID,
	K_GID,
	K_SIZE,
	K_SHA256,
	K_EXEC,
	K_INTERP,
	K_CAPS,
	K_LINK,
	K_MAJOR,
	K_MINOR,
	K_IMPLICIT,
	K__COUNT
};

/* in the order of an entry line */
static const char *const entry_keys[K__COUNT] = {
	[K_PATH] = "path",     [K_TYPE] = "type",	  [K_MODE] = "mode",
	[K_UID] = "uid",       [K_GID] = "gid",		  [K_SIZE] = "size",
	[K_SHA256] = "sha256", [K_EXEC] = "exec",	  [K_INTERP] = "interp",
	[K_CAPS] = "caps",     [K_LINK] = "link",	  [K_MAJOR] = "major",
	[K_MINOR] = "minor",   [K_IMPLICIT] = "implicit",
};

/*
 * "caps": standard base64 with padding and nothing else, of 1 to 64 KiB.
 * Non-zero trailing bits decode but do not re-encode to the same text: the
 * line check rejects them, as it rejects any other non-canonical line.
 */
static int caps_decode(const char *s, unsigned char **ret, uint32_t *ret_len)
{
	size_t len = strlen(s), size, n;
	unsigned char *out;

	if (!len || len > base64_encoded_len(BASELINE_CAPS_MAX))
		return -EBADMSG;
	size = base64_decoded_max(len);
	if (size > BASELINE_CAPS_MAX)
		size = BASELINE_CAPS_MAX;
	out = malloc(size);
	if (!out)
		return -ENOMEM;
	if (base64_decode(s, len, BASE64_TRAILING_BITS, out, size, &n, NULL)) {
		free(out);
		return -EBADMSG;
	}
	*ret = out;
	*ret_len = (uint32_t)n;
	return 0;
}

struct parser {
	struct sw_error *err;
	size_t line;
	char msg[160];
};

static int bad(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return sw_error_set(p->err, -EBADMSG, "line %zu: %s", p->line, p->msg);
}

static int nomem(struct parser *p)
{
	return sw_error_set(p->err, -ENOMEM, "line %zu: out of memory", p->line);
}

static int key_index(const char *const *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return (int)i;
	return -1;
}

static int get_uint(struct parser *p, json_t *v, const char *key, uint64_t max, uint64_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return bad(p, "\"%s\" is not an integer", key);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max)
		return bad(p, "\"%s\" out of range", key);
	*out = (uint64_t)x;
	return 0;
}

/* An escaped string field into a malloc'd raw string. */
static int get_unescaped(struct parser *p, json_t *v, const char *key, char **out)
{
	int r;

	if (!json_is_string(v))
		return bad(p, "\"%s\" is not a string", key);
	r = path_unescape(json_string_value(v), out);
	if (r == -ENOMEM)
		return nomem(p);
	return r ? bad(p, "\"%s\" has a bad escape or a byte that must be escaped", key) : 0;
}

static int get_strdup(struct parser *p, json_t *v, const char *key, char **out)
{
	if (!json_is_string(v))
		return bad(p, "\"%s\" is not a string", key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : nomem(p);
}

static int get_digest(struct parser *p, json_t *v, const char *key, char **out)
{
	if (!json_is_string(v) || !baseline_digest_ok(json_string_value(v)))
		return bad(p, "\"%s\" is not sha256:<64 lowercase hex>", key);
	return get_strdup(p, v, key, out);
}

static const char *const header_keys[] = { "schema", "hash",	"source",
					   "image",  "entries", "generator" };
static const char *const image_keys[] = { "name", "config_digest", "manifest_digest", "platform",
					  "diff_ids" };

static int parse_diff_ids(struct parser *p, json_t *v, struct sw_baseline_header *hdr)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	json_t *id;
	size_t i;

	if (n == 0)
		return bad(p, "\"diff_ids\" is not a non-empty array");
	hdr->diff_ids = calloc(n, sizeof(*hdr->diff_ids));
	if (!hdr->diff_ids)
		return nomem(p);
	json_array_foreach(v, i, id) {
		int r = get_digest(p, id, "diff_ids", &hdr->diff_ids[i]);

		if (r)
			return r;
		hdr->n_diff_ids++;
	}
	return 0;
}

static int parse_image(struct parser *p, json_t *img, struct sw_baseline_header *hdr)
{
	const char *key;
	char pb[96];
	json_t *v;

	if (!json_is_object(img))
		return bad(p, "\"image\" is not an object");
	json_object_foreach(img, key, v) {
		int r;

		switch (key_index(image_keys, 5, key)) {
		case 0:
			r = get_unescaped(p, v, key, &hdr->image_name);
			break;
		case 1:
			r = get_digest(p, v, key, &hdr->config_digest);
			break;
		case 2:
			r = get_digest(p, v, key, &hdr->manifest_digest);
			break;
		case 3:
			r = get_strdup(p, v, key, &hdr->platform);
			break;
		case 4:
			r = parse_diff_ids(p, v, hdr);
			break;
		default:
			r = bad(p, "unknown key \"%s\" in \"image\"", baseline_printable(key, pb));
		}
		if (r)
			return r;
	}
	return 0;
}

static int parse_header(struct parser *p, json_t *o, struct sw_baseline_header *hdr)
{
	json_t *schema = json_object_get(o, "schema"), *v;
	unsigned seen = 0;
	const char *key;
	char pb[96];
	uint64_t n;

	if (!json_is_string(schema) || strcmp(json_string_value(schema), SW_BASELINE_SCHEMA))
		return bad(p, "not a baseline: \"schema\" must be \"%s\"", SW_BASELINE_SCHEMA);
	json_object_foreach(o, key, v) {
		int k = key_index(header_keys, 6, key), r = 0;

		if (k < 0)
			return bad(p, "unknown key \"%s\" in header", baseline_printable(key, pb));
		seen |= 1u << k;
		switch (k) {
		case 1:
			if (!json_is_string(v) || strcmp(json_string_value(v), "sha256"))
				r = bad(p, "unsupported \"hash\" (only sha256)");
			break;
		case 2:
			r = get_strdup(p, v, key, &hdr->source);
			if (!r && !baseline_source_known(hdr->source))
				r = bad(p, "unknown \"source\" \"%s\"",
					baseline_printable(hdr->source, pb));
			break;
		case 3:
			r = parse_image(p, v, hdr);
			break;
		case 4:
			r = get_uint(p, v, key, INT64_MAX, &n);
			hdr->entries = n;
			break;
		case 5:
			r = get_strdup(p, v, key, &hdr->generator);
			break;
		}
		if (r)
			return r;
	}
	for (int k = 0; k < 6; k++)
		if (!(seen & 1u << k))
			return bad(p, "header lacks \"%s\"", header_keys[k]);
	return 0;
}

static int get_mode(struct parser *p, json_t *v, uint32_t *out)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	if (strlen(s) != 4 || strspn(s, "01234567") != 4)
		return bad(p, "\"mode\" is not 4 octal digits");
	*out = (uint32_t)strtoul(s, NULL, 8);
	return 0;
}

static int get_sha256(struct parser *p, json_t *v, unsigned char out[SW_SHA256_LEN])
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	if (strlen(s) != 2 * SW_SHA256_LEN || strspn(s, "0123456789abcdef") != 2 * SW_SHA256_LEN ||
	    hex_decode(s, out, SW_SHA256_LEN))
		return bad(p, "\"sha256\" is not 64 lowercase hex digits");
	return 0;
}

static int parse_entry_field(struct parser *p, int k, json_t *v, struct sw_entry *e)
{
	const char *key = entry_keys[k];
	uint64_t x = 0;
	int r = 0, c;

	switch (k) {
	case K_PATH:
	case K_INTERP:
	case K_LINK:
		r = get_unescaped(p, v, key,
				  k == K_PATH	? &e->path :
				  k == K_INTERP ? &e->interp :
						  &e->link);
		break;
	case K_TYPE:
		c = json_is_string(v) ? entry_type_from_name(json_string_value(v)) : -1;
		if (c < 0)
			return bad(p, "unknown \"type\"");
		e->type = (uint8_t)c;
		break;
	case K_MODE:
		return get_mode(p, v, &e->mode);
	case K_UID:
	case K_GID:
	case K_MAJOR:
	case K_MINOR:
		r = get_uint(p, v, key, UINT32_MAX, &x);
		*(k == K_UID   ? &e->uid :
		  k == K_GID   ? &e->gid :
		  k == K_MAJOR ? &e->rdev_major :
				 &e->rdev_minor) = (uint32_t)x;
		break;
	case K_SIZE:
		r = get_uint(p, v, key, INT64_MAX, &e->size);
		break;
	case K_SHA256:
		e->has_sha256 = 1;
		return get_sha256(p, v, e->sha256);
	case K_EXEC:
		c = json_is_string(v) ? entry_exec_class_from_name(json_string_value(v)) : -1;
		/* "none" is written by leaving the key out */
		if (c <= SW_EXEC_NONE)
			return bad(p, "unknown \"exec\" class");
		e->exec_class = (uint8_t)c;
		break;
	case K_CAPS:
		r = json_is_string(v) ? caps_decode(json_string_value(v), &e->caps, &e->caps_len) :
					-EBADMSG;
		if (r == -ENOMEM)
			return nomem(p);
		if (r)
			return bad(p, "\"caps\" is not base64 of 1 to 65536 bytes");
		break;
	case K_IMPLICIT:
		if (!json_is_true(v))
			return bad(p, "\"implicit\" must be true when present");
		e->flags |= SW_ENTRY_IMPLICIT;
		break;
	}
	return r;
}

static int parse_entry(struct parser *p, json_t *o, struct sw_entry *e)
{
	unsigned seen = 0, required, allowed;
	const char *key, *type;
	char pb[96];
	json_t *v;

	if (!json_object_get(o, "type"))
		return bad(p, "entry lacks \"type\"");
	json_object_foreach(o, key, v) {
		int k = key_index(entry_keys, K__COUNT, key), r;

		if (k < 0)
			return bad(p, "unknown key \"%s\"", baseline_printable(key, pb));
		seen |= 1u << k;
		r = parse_entry_field(p, k, v, e);
		if (r)
			return r;
	}
	required = 1u << K_PATH | 1u << K_TYPE | 1u << K_MODE | 1u << K_UID | 1u << K_GID;
	allowed = 1u << K_CAPS;
	switch (e->type) {
	case SW_FT_HARDLINK:
		required |= 1u << K_LINK;
		/* fallthrough */
	case SW_FT_FILE:
		required |= 1u << K_SIZE | 1u << K_SHA256;
		allowed |= 1u << K_EXEC | 1u << K_INTERP;
		break;
	case SW_FT_SYMLINK:
		required |= 1u << K_LINK;
		break;
	case SW_FT_CHAR:
	case SW_FT_BLOCK:
		required |= 1u << K_MAJOR | 1u << K_MINOR;
		break;
	case SW_FT_DIR:
		allowed |= 1u << K_IMPLICIT;
		break;
	}
	allowed |= required;
	type = entry_type_name(e->type);
	for (int k = 0; k < K__COUNT; k++) {
		if ((required & ~seen) & 1u << k)
			return bad(p, "%s entry lacks \"%s\"", type, entry_keys[k]);
		if ((seen & ~allowed) & 1u << k)
			return bad(p, "\"%s\" is not allowed on a %s entry", entry_keys[k], type);
	}
	if (!baseline_path_is_canonical(e->path))
		return bad(p, "path \"%s\" is not a normalized absolute path below \"/\"",
			   baseline_printable(e->path, pb));
	if (e->interp && !baseline_interp_allowed(e->exec_class))
		return bad(p, "\"interp\" needs \"exec\" elf_exec, elf_pie or script");
	if (e->interp && !e->interp[0])
		return bad(p, "empty \"interp\"");
	if (e->link && !e->link[0])
		return bad(p, "empty \"link\"");
	if (e->type == SW_FT_HARDLINK && !baseline_path_is_canonical(e->link))
		return bad(p, "hardlink target \"%s\" is not absolute and normalized",
			   baseline_printable(e->link, pb));
	return 0;
}

/* The writer's bytes for @o must equal the line: one encoding per baseline. */
static int check_canonical(struct parser *p, json_t *o, const char *line, size_t len,
			   struct baseline_linebuf *lb)
{
	int r = baseline_json_dump(o, lb);

	json_decref(o);
	if (r)
		return nomem(p);
	if (lb->len != len || memcmp(lb->buf, line, len))
		return bad(p, "not in canonical form (key order, spacing or escapes differ)");
	return 0;
}

static int parse_line(struct parser *p, struct sw_baseline *b, const char *line, size_t len,
		      struct baseline_linebuf *lb)
{
	const char *why;
	json_error_t jerr;
	json_t *root, *out;
	char pb[96];
	int r;

	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(p, "invalid JSON at column %d: %s", jerr.column,
			   baseline_printable(jerr.text, pb));
	if (!json_is_object(root)) {
		r = bad(p, "not a JSON object");
		goto cleanup;
	}
	if (p->line == 1) {
		r = parse_header(p, root, &b->hdr);
		if (r)
			goto cleanup;
		r = baseline_json_header(&b->hdr, b->hdr.entries, &out, &why);
	} else {
		struct sw_entry *e = &b->entries[b->n_entries];

		r = parse_entry(p, root, e);
		b->n_entries++; /* now owned by @b, even if half filled */
		if (r)
			goto cleanup;
		if (b->n_entries > 1 && strcmp(e[-1].path, e->path) >= 0) {
			r = bad(p, "path \"%s\" %s", baseline_printable(e->path, pb),
				strcmp(e[-1].path, e->path) ?
					"is not sorted after the previous one" :
					"is a duplicate");
			goto cleanup;
		}
		r = baseline_json_entry(e, &out, &why);
	}
	if (r) {
		r = r == -ENOMEM ? nomem(p) : bad(p, "%s", why);
		goto cleanup;
	}
	r = check_canonical(p, out, line, len, lb);
cleanup:
	json_decref(root);
	return r;
}

static int reserve_entries(struct parser *p, struct sw_baseline *b, size_t *cap, size_t len)
{
	struct sw_entry *ne;
	size_t want;

	if (b->n_entries < *cap)
		return 0;
	/* the header's count, but never more than the bytes could hold */
	want = *cap ? *cap * 2 : (size_t)b->hdr.entries;
	if (want > len / MIN_ENTRY_LINE + 1)
		want = len / MIN_ENTRY_LINE + 1;
	if (want <= b->n_entries)
		want = b->n_entries + 1;
	ne = realloc(b->entries, want * sizeof(*ne));
	if (!ne)
		return nomem(p);
	memset(ne + b->n_entries, 0, (want - b->n_entries) * sizeof(*ne));
	b->entries = ne;
	*cap = want;
	return 0;
}

int baseline_parse(const char *buf, size_t len, struct sw_baseline **ret, struct sw_error *err)
{
	struct parser p = { .err = err };
	struct baseline_linebuf lb = { 0 };
	struct sw_baseline *b;
	size_t pos = 0, cap = 0;
	int r = 0;

	b = calloc(1, sizeof(*b));
	if (!b)
		return sw_error_set(err, -ENOMEM, "out of memory");
	while (pos < len) {
		size_t avail = len - pos, n;
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n',
					avail > BASELINE_LINE_MAX ? BASELINE_LINE_MAX + 1 : avail);

		p.line++;
		n = nl ? (size_t)(nl - line) : avail;
		if (n > BASELINE_LINE_MAX) {
			r = bad(&p, "longer than 1 MiB");
			goto cleanup;
		}
		if (n == 0) {
			r = bad(&p, "empty line");
			goto cleanup;
		}
		if (line[n - 1] == '\r') {
			r = bad(&p, "CRLF line ending");
			goto cleanup;
		}
		if (p.line > 1 && b->n_entries >= b->hdr.entries) {
			r = bad(&p, "more entry lines than the header's \"entries\" (%llu)",
				(unsigned long long)b->hdr.entries);
			goto cleanup;
		}
		if (p.line > 1) {
			r = reserve_entries(&p, b, &cap, len);
			if (r)
				goto cleanup;
		}
		r = parse_line(&p, b, line, n, &lb);
		if (r)
			goto cleanup;
		pos += n + (nl ? 1 : 0);
	}
	p.line++;
	if (p.line == 1) {
		r = bad(&p, "empty file, no header");
		goto cleanup;
	}
	if (b->n_entries != b->hdr.entries) {
		r = bad(&p, "end of file after %zu entries, the header says %llu", b->n_entries,
			(unsigned long long)b->hdr.entries);
		goto cleanup;
	}
	if (b->n_entries && b->n_entries < cap) {
		struct sw_entry *ne = realloc(b->entries, b->n_entries * sizeof(*ne));

		if (ne)
			b->entries = ne;
	}
	if (EVP_Digest(buf, len, b->digest, NULL, EVP_sha256(), NULL) != 1) {
		r = sw_error_set(err, -EIO, "sha256 failed");
		goto cleanup;
	}
	*ret = b;
	b = NULL;
cleanup:
	free(lb.buf);
	baseline_free(b);
	return r;
}

int baseline_load(const char *path, struct sw_baseline **ret, struct sw_error *err)
{
	size_t len;
	char *buf;
	int r;

	r = file_read_all(path, LOAD_MAX_BYTES, &buf, &len, err);
	if (r)
		return r;
	r = baseline_parse(buf, len, ret, err);
	if (r)
		sw_error_prefix(err, r, "%s", path);
	free(buf);
	return r;
}

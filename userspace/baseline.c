// SPDX-License-Identifier: GPL-2.0-only
/*
 * Baseline format v1 (docs/baseline-format.md): JSON Lines, one compact
 * object per line, keys in a fixed order. The same code turns a header or an
 * entry into its line for the writer and for the parser, which accepts a line
 * only when it is byte for byte what the writer would produce: one image,
 * one file, one signature.
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

#include "baseline.h"
#include "commands.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "path.h"

#define LINE_MAX_BYTES (1024 * 1024)
#define CAPS_MAX_BYTES (64 * 1024) /* XATTR_SIZE_MAX */
#define LOAD_MAX_BYTES ((size_t)4 << 30)
/* shortest entry line: {"path":"/a","type":"dir","mode":"0755","uid":0,"gid":0} */
#define MIN_ENTRY_LINE 48
#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

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

struct linebuf {
	char *buf;
	size_t cap, len;
};

/* Printable-ASCII copy of @s for messages (one line, bounded). */
static const char *printable(const char *s, char out[96])
{
	size_t i;

	for (i = 0; s[i] && i < 95; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '?';
	out[i] = '\0';
	return out;
}

/* "/a/b": absolute, not "/", no empty, "." or ".." component, no trailing slash. */
static bool path_is_canonical(const char *p)
{
	if (p[0] != '/' || p[1] == '\0')
		return false;
	while (*p) {
		const char *c = p + 1, *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = end;
	}
	return true;
}

#define B64_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/*
 * Standard base64 with padding and nothing else. Non-zero trailing bits
 * decode but do not re-encode to the same text: the line check rejects them.
 */
static int base64_decode(const char *s, unsigned char **ret, uint32_t *ret_len)
{
	size_t len = strlen(s), pad;
	unsigned char *out;
	int n;

	if (len < 4 || len % 4 || len / 4 * 3 > CAPS_MAX_BYTES + 2)
		return -EBADMSG;
	pad = s[len - 1] == '=' ? 1 + (s[len - 2] == '=') : 0;
	if (strspn(s, B64_CHARS) != len - pad)
		return -EBADMSG;
	out = malloc(len / 4 * 3);
	if (!out)
		return -ENOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n - pad == 0 || (size_t)n - pad > CAPS_MAX_BYTES) {
		free(out);
		return -EBADMSG;
	}
	*ret = out;
	*ret_len = (uint32_t)((size_t)n - pad);
	return 0;
}

static int set_new(json_t *obj, const char *key, json_t *val)
{
	/* json_object_set_new() releases @val on failure */
	return val && json_object_set_new(obj, key, val) == 0 ? 0 : -ENOMEM;
}

static int set_escaped(json_t *obj, const char *key, const char *raw)
{
	char *esc = path_escape(raw);
	int ret;

	if (!esc)
		return -ENOMEM;
	ret = set_new(obj, key, json_string(esc));
	free(esc);
	return ret;
}

static bool interp_allowed(unsigned class)
{
	return class == SW_EXEC_ELF_EXEC || class == SW_EXEC_ELF_PIE || class == SW_EXEC_SCRIPT;
}

/* The JSON object of an entry's line; -EINVAL with *why for an inconsistent entry. */
static int entry_to_json(const struct sw_entry *e, json_t **ret, const char **why)
{
	bool content = entry_is_content(e);
	json_t *o;
	char buf[96];
	int r = -EINVAL;

	if (!e->path || !path_is_canonical(e->path))
		return *why = "path is not absolute and normalized", -EINVAL;
	if (e->type >= SW_FT__COUNT)
		return *why = "unknown type", -EINVAL;
	if (content && !e->has_sha256)
		return *why = "regular file without sha256", -EINVAL;
	if (content && e->size > INT64_MAX)
		return *why = "size too large", -EINVAL;
	if (e->exec_class >= SW_EXEC__COUNT || (!content && e->exec_class != SW_EXEC_NONE))
		return *why = "exec class on a non-file or unknown", -EINVAL;
	if (e->interp && (!content || !interp_allowed(e->exec_class) || !e->interp[0]))
		return *why = "interp without an exec class that has one, or empty", -EINVAL;
	if (e->caps && (e->caps_len == 0 || e->caps_len > CAPS_MAX_BYTES))
		return *why = "caps empty or larger than 64 KiB", -EINVAL;
	if ((e->type == SW_FT_SYMLINK || e->type == SW_FT_HARDLINK) != (e->link != NULL))
		return *why = "link target missing, or present on a type without one", -EINVAL;
	if (e->link && !e->link[0])
		return *why = "empty link target", -EINVAL;
	if (e->type == SW_FT_HARDLINK && !path_is_canonical(e->link))
		return *why = "hardlink target is not absolute and normalized", -EINVAL;
	if ((e->flags & SW_ENTRY_IMPLICIT) && e->type != SW_FT_DIR)
		return *why = "implicit flag on a non-directory", -EINVAL;

	*why = "out of memory";
	o = json_object();
	if (!o)
		return -ENOMEM;
	snprintf(buf, sizeof(buf), "%04o", e->mode & 07777);
	if (set_escaped(o, "path", e->path) ||
	    set_new(o, "type", json_string(entry_type_name(e->type))) ||
	    set_new(o, "mode", json_string(buf)) ||
	    set_new(o, "uid", json_integer((json_int_t)e->uid)) ||
	    set_new(o, "gid", json_integer((json_int_t)e->gid)))
		goto fail;
	if (content) {
		hex_encode(e->sha256, SW_SHA256_LEN, buf);
		if (set_new(o, "size", json_integer((json_int_t)e->size)) ||
		    set_new(o, "sha256", json_string(buf)))
			goto fail;
		if (e->exec_class != SW_EXEC_NONE &&
		    set_new(o, "exec", json_string(entry_exec_class_name(e->exec_class))))
			goto fail;
		if (e->interp && set_escaped(o, "interp", e->interp))
			goto fail;
	}
	if (e->caps) {
		char *b64 = malloc(((size_t)e->caps_len + 2) / 3 * 4 + 1);

		if (!b64)
			goto fail;
		EVP_EncodeBlock((unsigned char *)b64, e->caps, (int)e->caps_len);
		r = set_new(o, "caps", json_string(b64));
		free(b64);
		if (r)
			goto fail;
	}
	if (e->link && set_escaped(o, "link", e->link))
		goto fail;
	if ((e->type == SW_FT_CHAR || e->type == SW_FT_BLOCK) &&
	    (set_new(o, "major", json_integer((json_int_t)e->rdev_major)) ||
	     set_new(o, "minor", json_integer((json_int_t)e->rdev_minor))))
		goto fail;
	if ((e->flags & SW_ENTRY_IMPLICIT) && set_new(o, "implicit", json_true()))
		goto fail;
	*ret = o;
	return 0;
fail:
	json_decref(o);
	return -ENOMEM;
}

int baseline_entry_to_json(const struct sw_entry *e, json_t **ret)
{
	const char *why;

	return entry_to_json(e, ret, &why);
}

static bool source_known(const char *s)
{
	return !strcmp(s, "oci") || !strcmp(s, "docker-archive") || !strcmp(s, "dir");
}

static bool digest_ok(const char *s)
{
	unsigned char d[32];

	return digest_parse_sha256(s, d) == 0;
}

static int header_to_json(const struct sw_baseline_header *hdr, uint64_t n, json_t **ret,
			  const char **why)
{
	const char *gen = hdr->generator ? hdr->generator : "sealwatch " SW_VERSION;
	json_t *o = NULL, *img = NULL, *ids = NULL;
	int r = -ENOMEM;

	*why = "out of memory";
	if (!hdr->source || !source_known(hdr->source))
		return *why = "source is not oci, docker-archive or dir", -EINVAL;
	if ((hdr->config_digest && !digest_ok(hdr->config_digest)) ||
	    (hdr->manifest_digest && !digest_ok(hdr->manifest_digest)))
		return *why = "image digest is not sha256:<64 lowercase hex>", -EINVAL;
	for (size_t i = 0; i < hdr->n_diff_ids; i++)
		if (!hdr->diff_ids[i] || !digest_ok(hdr->diff_ids[i]))
			return *why = "diff_id is not sha256:<64 lowercase hex>", -EINVAL;
	if (n > INT64_MAX)
		return *why = "too many entries", -EINVAL;

	o = json_object();
	img = json_object();
	if (!o || !img)
		goto fail;
	if (hdr->image_name && set_escaped(img, "name", hdr->image_name))
		goto fail;
	if (hdr->config_digest && set_new(img, "config_digest", json_string(hdr->config_digest)))
		goto fail;
	if (hdr->manifest_digest &&
	    set_new(img, "manifest_digest", json_string(hdr->manifest_digest)))
		goto fail;
	if (hdr->platform && set_new(img, "platform", json_string(hdr->platform))) {
		*why = "platform is not valid UTF-8";
		r = -EINVAL;
		goto fail;
	}
	if (hdr->n_diff_ids) {
		ids = json_array();
		if (!ids)
			goto fail;
		for (size_t i = 0; i < hdr->n_diff_ids; i++)
			if (json_array_append_new(ids, json_string(hdr->diff_ids[i])))
				goto fail;
		if (json_object_set(img, "diff_ids", ids))
			goto fail;
	}
	if (set_new(o, "schema", json_string(SW_BASELINE_SCHEMA)) ||
	    set_new(o, "hash", json_string("sha256")) ||
	    set_new(o, "source", json_string(hdr->source)) || json_object_set(o, "image", img) ||
	    set_new(o, "entries", json_integer((json_int_t)n)))
		goto fail;
	if (set_new(o, "generator", json_string(gen))) {
		*why = "generator is not valid UTF-8";
		r = -EINVAL;
		goto fail;
	}
	json_decref(ids);
	json_decref(img);
	*ret = o;
	return 0;
fail:
	json_decref(ids);
	json_decref(img);
	json_decref(o);
	return r;
}

/* Compact JSON of @o into @lb (no newline). */
static int dump_line(const json_t *o, struct linebuf *lb)
{
	for (;;) {
		size_t need = json_dumpb(o, lb->buf, lb->cap, DUMP_FLAGS);
		char *nb;

		if (need == 0)
			return -ENOMEM;
		if (need <= lb->cap) {
			lb->len = need;
			return 0;
		}
		nb = realloc(lb->buf, need + 256);
		if (!nb)
			return -ENOMEM;
		lb->buf = nb;
		lb->cap = need + 256;
	}
}

static int write_line(FILE *f, json_t *o, struct linebuf *lb)
{
	int r = dump_line(o, lb);

	json_decref(o);
	if (r)
		return r;
	if (lb->len > LINE_MAX_BYTES)
		return -E2BIG;
	if (fwrite(lb->buf, 1, lb->len, f) != lb->len || putc('\n', f) == EOF)
		return -EIO;
	return 0;
}

int baseline_write(FILE *f, const struct sw_baseline_header *hdr, struct sw_entry *const *entries,
		   size_t n, struct sw_error *err)
{
	struct linebuf lb = { 0 };
	const char *why;
	char pb[96];
	json_t *o;
	int r;

	r = header_to_json(hdr, n, &o, &why);
	if (r) {
		sw_error_set(err, r, "baseline header: %s", why);
		goto cleanup;
	}
	r = write_line(f, o, &lb);
	if (r) {
		sw_error_set(err, r, "writing baseline header: %s", strerror(-r));
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_entry *e = entries[i];

		r = entry_to_json(e, &o, &why);
		if (r == 0 && i > 0 && strcmp(entries[i - 1]->path, e->path) >= 0) {
			json_decref(o);
			why = "paths not sorted or not unique";
			r = -EINVAL;
		}
		if (r) {
			sw_error_set(err, r, "baseline entry \"%s\": %s",
				     printable(e->path ? e->path : "", pb), why);
			goto cleanup;
		}
		r = write_line(f, o, &lb);
		if (r) {
			sw_error_set(err, r, "writing baseline entry \"%s\": %s",
				     printable(e->path, pb),
				     r == -E2BIG ? "line longer than 1 MiB" : strerror(-r));
			goto cleanup;
		}
	}
	if (fflush(f) == EOF || ferror(f))
		r = sw_error_set(err, -EIO, "writing baseline: %s", strerror(errno));
cleanup:
	free(lb.buf);
	return r;
}

void baseline_header_clear(struct sw_baseline_header *hdr)
{
	if (!hdr)
		return;
	free(hdr->source);
	free(hdr->image_name);
	free(hdr->config_digest);
	free(hdr->manifest_digest);
	free(hdr->platform);
	for (size_t i = 0; i < hdr->n_diff_ids; i++)
		free(hdr->diff_ids[i]);
	free(hdr->diff_ids);
	free(hdr->generator);
	memset(hdr, 0, sizeof(*hdr));
}

void baseline_free(struct sw_baseline *b)
{
	if (!b)
		return;
	baseline_header_clear(&b->hdr);
	for (size_t i = 0; i < b->n_entries; i++)
		entry_clear(&b->entries[i]);
	free(b->entries);
	free(b);
}

const struct sw_entry *baseline_lookup(const struct sw_baseline *b, const char *path)
{
	size_t lo = 0, hi = b->n_entries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, b->entries[mid].path);

		if (c == 0)
			return &b->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- parser ---- */

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
	if (!json_is_string(v) || !digest_ok(json_string_value(v)))
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
			r = bad(p, "unknown key \"%s\" in \"image\"", printable(key, pb));
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
			return bad(p, "unknown key \"%s\" in header", printable(key, pb));
		seen |= 1u << k;
		switch (k) {
		case 1:
			if (!json_is_string(v) || strcmp(json_string_value(v), "sha256"))
				r = bad(p, "unsupported \"hash\" (only sha256)");
			break;
		case 2:
			r = get_strdup(p, v, key, &hdr->source);
			if (!r && !source_known(hdr->source))
				r = bad(p, "unknown \"source\" \"%s\"", printable(hdr->source, pb));
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
		r = json_is_string(v) ?
			    base64_decode(json_string_value(v), &e->caps, &e->caps_len) :
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
			return bad(p, "unknown key \"%s\"", printable(key, pb));
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
	if (!path_is_canonical(e->path))
		return bad(p, "path \"%s\" is not a normalized absolute path below \"/\"",
			   printable(e->path, pb));
	if (e->interp && !interp_allowed(e->exec_class))
		return bad(p, "\"interp\" needs \"exec\" elf_exec, elf_pie or script");
	if (e->interp && !e->interp[0])
		return bad(p, "empty \"interp\"");
	if (e->link && !e->link[0])
		return bad(p, "empty \"link\"");
	if (e->type == SW_FT_HARDLINK && !path_is_canonical(e->link))
		return bad(p, "hardlink target \"%s\" is not absolute and normalized",
			   printable(e->link, pb));
	return 0;
}

/* The writer's bytes for @o must equal the line: one encoding per baseline. */
static int check_canonical(struct parser *p, json_t *o, const char *line, size_t len,
			   struct linebuf *lb)
{
	int r = dump_line(o, lb);

	json_decref(o);
	if (r)
		return nomem(p);
	if (lb->len != len || memcmp(lb->buf, line, len))
		return bad(p, "not in canonical form (key order, spacing or escapes differ)");
	return 0;
}

static int parse_line(struct parser *p, struct sw_baseline *b, const char *line, size_t len,
		      struct linebuf *lb)
{
	const char *why;
	json_error_t jerr;
	json_t *root, *out;
	char pb[96];
	int r;

	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(p, "invalid JSON at column %d: %s", jerr.column,
			   printable(jerr.text, pb));
	if (!json_is_object(root)) {
		r = bad(p, "not a JSON object");
		goto cleanup;
	}
	if (p->line == 1) {
		r = parse_header(p, root, &b->hdr);
		if (r)
			goto cleanup;
		r = header_to_json(&b->hdr, b->hdr.entries, &out, &why);
	} else {
		struct sw_entry *e = &b->entries[b->n_entries];

		r = parse_entry(p, root, e);
		b->n_entries++; /* now owned by @b, even if half filled */
		if (r)
			goto cleanup;
		if (b->n_entries > 1 && strcmp(e[-1].path, e->path) >= 0) {
			r = bad(p, "path \"%s\" %s", printable(e->path, pb),
				strcmp(e[-1].path, e->path) ?
					"is not sorted after the previous one" :
					"is a duplicate");
			goto cleanup;
		}
		r = entry_to_json(e, &out, &why);
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
	struct linebuf lb = { 0 };
	struct sw_baseline *b;
	size_t pos = 0, cap = 0;
	int r = 0;

	b = calloc(1, sizeof(*b));
	if (!b)
		return sw_error_set(err, -ENOMEM, "out of memory");
	while (pos < len) {
		size_t avail = len - pos, n;
		const char *line = buf + pos;
		const char *nl =
			memchr(line, '\n', avail > LINE_MAX_BYTES ? LINE_MAX_BYTES + 1 : avail);

		p.line++;
		n = nl ? (size_t)(nl - line) : avail;
		if (n > LINE_MAX_BYTES) {
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

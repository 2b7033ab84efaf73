// SPDX-License-Identifier: GPL-2.0-only
/*
 * Baseline format v1 (docs/baseline-format.md): JSON Lines, one compact
 * object per line, keys in a fixed order. This file turns a header or an
 * entry into its line, for the writer here and for the parser
 * (baseline_parse.c), which accepts a line only when it is byte for byte what
 * the writer would produce: one image, one file, one signature.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "baseline.h"
#include "baseline_json.h"
#include "version.h"
#include "errors.h"
#include "hexutil.h"
#include "path.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

const char *baseline_printable(const char *s, char out[96])
{
	size_t i;

	for (i = 0; s[i] && i < 95; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '?';
	out[i] = '\0';
	return out;
}

bool baseline_path_is_canonical(const char *p)
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

bool baseline_interp_allowed(unsigned int class)
{
	return class == SW_EXEC_ELF_EXEC || class == SW_EXEC_ELF_PIE || class == SW_EXEC_SCRIPT;
}

int baseline_json_entry(const struct sw_entry *e, json_t **ret, const char **why)
{
	bool content = entry_is_content(e);
	json_t *o;
	char buf[96];
	int r = -EINVAL;

	if (!e->path || !baseline_path_is_canonical(e->path))
		return *why = "path is not absolute and normalized", -EINVAL;
	if (e->type >= SW_FT__COUNT)
		return *why = "unknown type", -EINVAL;
	if (content && !e->has_sha256)
		return *why = "regular file without sha256", -EINVAL;
	if (content && e->size > INT64_MAX)
		return *why = "size too large", -EINVAL;
	if (e->exec_class >= SW_EXEC__COUNT || (!content && e->exec_class != SW_EXEC_NONE))
		return *why = "exec class on a non-file or unknown", -EINVAL;
	if (e->interp && (!content || !baseline_interp_allowed(e->exec_class) || !e->interp[0]))
		return *why = "interp without an exec class that has one, or empty", -EINVAL;
	if (e->caps && (e->caps_len == 0 || e->caps_len > BASELINE_CAPS_MAX))
		return *why = "caps empty or larger than 64 KiB", -EINVAL;
	if ((e->type == SW_FT_SYMLINK || e->type == SW_FT_HARDLINK) != (e->link != NULL))
		return *why = "link target missing, or present on a type without one", -EINVAL;
	if (e->link && !e->link[0])
		return *why = "empty link target", -EINVAL;
	if (e->type == SW_FT_HARDLINK && !baseline_path_is_canonical(e->link))
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
		char *b64;

		if (base64_encode(e->caps, e->caps_len, &b64))
			goto fail;
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

	return baseline_json_entry(e, ret, &why);
}

bool baseline_source_known(const char *s)
{
	return !strcmp(s, "oci") || !strcmp(s, "docker-archive") || !strcmp(s, "dir") ||
	       !strcmp(s, "registry");
}

bool baseline_digest_ok(const char *s)
{
	unsigned char d[32];

	return digest_parse_sha256(s, d) == 0;
}

int baseline_json_header(const struct sw_baseline_header *hdr, uint64_t n, json_t **ret,
			 const char **why)
{
	const char *gen = hdr->generator ? hdr->generator : "sealwatch " SW_VERSION;
	json_t *o = NULL, *img = NULL, *ids = NULL;
	int r = -ENOMEM;

	*why = "out of memory";
	if (!hdr->source || !baseline_source_known(hdr->source))
		return *why = "source is not oci, docker-archive, registry or dir", -EINVAL;
	if ((hdr->config_digest && !baseline_digest_ok(hdr->config_digest)) ||
	    (hdr->manifest_digest && !baseline_digest_ok(hdr->manifest_digest)))
		return *why = "image digest is not sha256:<64 lowercase hex>", -EINVAL;
	for (size_t i = 0; i < hdr->n_diff_ids; i++)
		if (!hdr->diff_ids[i] || !baseline_digest_ok(hdr->diff_ids[i]))
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

int baseline_json_dump(const json_t *o, struct baseline_linebuf *lb)
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

static int write_line(FILE *f, json_t *o, struct baseline_linebuf *lb)
{
	int r = baseline_json_dump(o, lb);

	json_decref(o);
	if (r)
		return r;
	if (lb->len > BASELINE_LINE_MAX)
		return -E2BIG;
	if (fwrite(lb->buf, 1, lb->len, f) != lb->len || putc('\n', f) == EOF)
		return -EIO;
	return 0;
}

int baseline_write(FILE *f, const struct sw_baseline_header *hdr, struct sw_entry *const *entries,
		   size_t n, struct sw_error *err)
{
	struct baseline_linebuf lb = { 0 };
	const char *why;
	char pb[96];
	json_t *o;
	int r;

	r = baseline_json_header(hdr, n, &o, &why);
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

		r = baseline_json_entry(e, &o, &why);
		if (r == 0 && i > 0 && strcmp(entries[i - 1]->path, e->path) >= 0) {
			json_decref(o);
			why = "paths not sorted or not unique";
			r = -EINVAL;
		}
		if (r) {
			sw_error_set(err, r, "baseline entry \"%s\": %s",
				     baseline_printable(e->path ? e->path : "", pb), why);
			goto cleanup;
		}
		r = write_line(f, o, &lb);
		if (r) {
			sw_error_set(err, r, "writing baseline entry \"%s\": %s",
				     baseline_printable(e->path, pb),
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
	if (!b->strings) /* compact: the strings are one block */
		for (size_t i = 0; i < b->n_entries; i++)
			entry_clear(&b->entries[i]);
	free(b->entries);
	free(b->strings);
	free(b);
}

/* The entry whose path is @s, else NULL: its bytes can be shared. */
static const struct sw_entry *shared_path(const struct sw_baseline *b, const char *s)
{
	return s && s[0] == '/' ? baseline_lookup(b, s) : NULL;
}

/* Bytes of the block for @e's strings: its path, and what no path of @b holds. */
static size_t compact_len(const struct sw_baseline *b, const struct sw_entry *e)
{
	size_t n = strlen(e->path) + 1 + (e->caps ? e->caps_len : 0);

	if (e->link && !shared_path(b, e->link))
		n += strlen(e->link) + 1;
	if (e->interp && !shared_path(b, e->interp))
		n += strlen(e->interp) + 1;
	return n;
}

static char *compact_put(char **pos, const void *s, size_t n)
{
	char *at = *pos;

	memcpy(at, s, n);
	*pos += n;
	return at;
}

/* @s as stored in @v: the placed path of the entry named @s, else a copy. */
static char *compact_str(const struct sw_baseline *b, const struct sw_entry *v, char **pos,
			 const char *s)
{
	const struct sw_entry *same = shared_path(b, s);

	if (!s)
		return NULL;
	return same ? v[same - b->entries].path : compact_put(pos, s, strlen(s) + 1);
}

int baseline_compact(struct sw_baseline *b)
{
	struct sw_entry *v;
	size_t total = 0;
	char *block, *pos;

	if (b->strings || !b->n_entries)
		return 0;
	for (size_t i = 0; i < b->n_entries; i++)
		total += compact_len(b, &b->entries[i]);
	v = malloc(b->n_entries * sizeof(*v));
	block = malloc(total);
	if (!v || !block) {
		free(v);
		free(block);
		return -ENOMEM;
	}
	pos = block;
	/* every path first, so that links and interpreters can point at them */
	for (size_t i = 0; i < b->n_entries; i++) {
		v[i] = b->entries[i];
		v[i].path = compact_put(&pos, b->entries[i].path, strlen(b->entries[i].path) + 1);
	}
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct sw_entry *e = &b->entries[i];

		v[i].link = compact_str(b, v, &pos, e->link);
		v[i].interp = compact_str(b, v, &pos, e->interp);
		if (e->caps)
			v[i].caps = (unsigned char *)compact_put(&pos, e->caps, e->caps_len);
	}
	for (size_t i = 0; i < b->n_entries; i++)
		entry_clear(&b->entries[i]);
	free(b->entries);
	b->entries = v;
	b->strings = block;
	return 0;
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

// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "content.h"
#include "entry.h"
#include "errors.h"
#include "layer.h"
#include "layer_internal.h"
#include "path.h"
#include "tree.h"

#define MAX_CAPS_LEN 1024
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"

static int result_push(struct layer_result *r, struct sw_entry *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct sw_entry *ne = realloc(r->entries, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		r->entries = ne;
		r->cap = cap;
	}
	r->entries[r->n++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

void layer_result_free(struct layer_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		entry_clear(&r->entries[i]);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

static const char *entry_name(struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);

	return name ? name : archive_entry_pathname_utf8(ae);
}

/* Turn "DIR/.wh.NAME" or "DIR/.wh..wh..opq" into a whiteout record. */
static int whiteout_from_path(char *path, struct sw_entry *e, struct sw_error *err)
{
	const char *base = path_basename(path);
	char dir[4096];

	path_dirname(path, dir, sizeof(dir));
	if (!strcmp(base, OPAQUE_MARKER)) {
		e->flags = SW_ENTRY_OPAQUE;
		e->path = strdup(dir);
	} else if (!strncmp(base, WHITEOUT_PREFIX WHITEOUT_PREFIX, 8)) {
		return 1; /* AUFS metadata (.wh..wh.plnk …): not part of the tree */
	} else {
		const char *name = base + strlen(WHITEOUT_PREFIX);

		if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
			return sw_error_set(err, -EBADMSG, "invalid whiteout %s", path);
		e->flags = SW_ENTRY_WHITEOUT;
		if (asprintf(&e->path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) < 0)
			e->path = NULL;
	}
	e->type = SW_FT_FILE;
	return e->path ? 0 : sw_error_set(err, -ENOMEM, "out of memory");
}

static int read_caps(struct archive_entry *ae, struct sw_entry *e, struct sw_error *err)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
		if (strcmp(name, "security.capability"))
			continue;
		if (size == 0 || size > MAX_CAPS_LEN)
			return sw_error_set(err, -EBADMSG, "%s: invalid security.capability",
					    e->path);
		free(e->caps);
		e->caps = malloc(size);
		if (!e->caps)
			return sw_error_set(err, -ENOMEM, "out of memory");
		memcpy(e->caps, value, size);
		e->caps_len = (uint32_t)size;
	}
	return 0;
}

static int hash_file_data(struct archive *a, struct archive_entry *ae, struct content_hash *ch,
			  struct tar_reader *tr, struct sw_entry *e, struct sw_error *err)
{
	int64_t declared = archive_entry_size(ae);
	uint64_t pos = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ret = content_hash_reset(ch);

	while (!ret && (r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < pos)
			return sw_error_set(err, -EBADMSG, "%s: bad sparse map", e->path);
		if ((uint64_t)off > pos)
			ret = content_hash_zeros(ch, (uint64_t)off - pos);
		if (!ret)
			ret = content_hash_update(ch, buf, len);
		pos = (uint64_t)off + len;
	}
	if (ret)
		return sw_error_set(err, ret, "%s: hashing failed", e->path);
	if (r != ARCHIVE_EOF)
		return tr->error ? tr->error :
				   sw_error_set(err, -EBADMSG, "%s: %s", e->path,
						archive_error_string(a));
	if (pos < (uint64_t)declared) {
		if (archive_entry_sparse_count(ae) == 0)
			return sw_error_set(err, -EBADMSG, "%s: truncated data", e->path);
		ret = content_hash_zeros(ch, (uint64_t)declared - pos); /* trailing hole */
		if (ret)
			return sw_error_set(err, ret, "%s: hashing failed", e->path);
	}
	ret = content_hash_final(ch, e);
	return ret ? sw_error_set(err, ret, "%s: hashing failed", e->path) : 0;
}

static int convert_entry(struct archive *a, struct archive_entry *ae, struct content_hash *ch,
			 struct tar_reader *tr, struct sw_entry *e, struct sw_error *err)
{
	const char *name = entry_name(ae), *target;
	la_int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);
	int ret;

	if (!name)
		return sw_error_set(err, -EBADMSG, "entry without a usable name");
	ret = path_normalize_member(name, &e->path, err);
	if (ret)
		return ret;
	if (!strncmp(path_basename(e->path), WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX))) {
		char *p = e->path;

		e->path = NULL;
		ret = whiteout_from_path(p, e, err);
		free(p);
		return ret;
	}
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
		return sw_error_set(err, -EBADMSG, "%s: uid/gid out of range", e->path);
	if (archive_entry_size(ae) < 0)
		return sw_error_set(err, -EBADMSG, "%s: negative size", e->path);
	e->uid = (uint32_t)uid;
	e->gid = (uint32_t)gid;
	e->mode = archive_entry_perm(ae) & 07777;

	target = archive_entry_hardlink(ae);
	if (target) {
		e->type = SW_FT_HARDLINK;
		return path_normalize_member(target, &e->link, err);
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		e->type = SW_FT_FILE;
		ret = read_caps(ae, e, err);
		return ret ? ret : hash_file_data(a, ae, ch, tr, e, err);
	case AE_IFDIR:
		e->type = SW_FT_DIR;
		return 0;
	case AE_IFLNK:
		e->type = SW_FT_SYMLINK;
		target = archive_entry_symlink(ae);
		if (!target)
			target = archive_entry_symlink_utf8(ae);
		if (!target || !*target)
			return sw_error_set(err, -EBADMSG, "%s: symlink without target", e->path);
		e->link = strdup(target);
		return e->link ? 0 : sw_error_set(err, -ENOMEM, "out of memory");
	case AE_IFCHR:
	case AE_IFBLK:
		if (!tr->limits->allow_devices)
			return sw_error_set(err, -EBADMSG,
					    "%s: device node in a layer (use --allow-devices to "
					    "record it)",
					    e->path);
		e->type = archive_entry_filetype(ae) == AE_IFCHR ? SW_FT_CHAR : SW_FT_BLOCK;
		e->rdev_major = (uint32_t)archive_entry_rdevmajor(ae);
		e->rdev_minor = (uint32_t)archive_entry_rdevminor(ae);
		return 0;
	case AE_IFIFO:
		e->type = SW_FT_FIFO;
		return 0;
	case AE_IFSOCK:
		e->type = SW_FT_SOCKET;
		return 0;
	default:
		return sw_error_set(err, -EBADMSG, "%s: unsupported entry type 0%o", e->path,
				    archive_entry_filetype(ae));
	}
}

/*
 * libarchive warns when a pax name is not valid UTF-8 (Go's archive/tar, and
 * so buildah and docker, write raw bytes there) and then keeps the raw bytes,
 * which is what we record. Every other warning means part of a header was
 * skipped or guessed at (e.g. a malformed pax record): that fails the layer.
 */
static bool harmless_warning(struct archive *a, int r)
{
	const char *msg = archive_error_string(a);

	return r == ARCHIVE_WARN && archive_errno(a) == EILSEQ /* libarchive's FILE_FORMAT */ &&
	       msg && strstr(msg, "can't be converted from");
}

/* Every tar entry of the layer into @out (whiteouts and opaque markers included). */
static int read_entries(struct archive *inner, struct tar_reader *tr, struct layer_result *out,
			struct sw_error *err)
{
	const struct layer_desc *desc = tr->blob->desc;
	const struct layer_limits *limits = tr->limits;
	struct content_hash ch = { 0 };
	struct archive_entry *ae;
	struct sw_entry e = { 0 };
	int r, ret;

	if (content_hash_init(&ch))
		return sw_error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		r = archive_read_next_header(inner, &ae);
		if (r == ARCHIVE_EOF) {
			ret = 0;
			break;
		}
		if (r != ARCHIVE_OK && !harmless_warning(inner, r)) {
			ret = tr->error ?
				      tr->error :
				      sw_error_set(err, -EBADMSG, "%s: not a valid tar stream: %s",
						   desc->name, archive_error_string(inner));
			break;
		}
		if (limits->max_entries &&
		    __atomic_add_fetch(&tr->counters->entries, 1, __ATOMIC_RELAXED) >
			    limits->max_entries) {
			ret = sw_error_set(err, -E2BIG,
					   "%s: more than %llu entries (see --max-entries)",
					   desc->name, (unsigned long long)limits->max_entries);
			break;
		}
		ret = convert_entry(inner, ae, &ch, tr, &e, err);
		if (ret == 1) { /* skipped */
			entry_clear(&e);
			continue;
		}
		if (ret) {
			if (!tr->error)
				sw_error_prefix(err, ret, "%s", desc->name);
			break;
		}
		ret = result_push(out, &e);
		if (ret) {
			sw_error_set(err, ret, "out of memory");
			break;
		}
	}
	entry_clear(&e);
	content_hash_free(&ch);
	return ret;
}

int layer_read(const struct byte_source *src, const struct layer_desc *desc,
	       const struct layer_limits *limits, struct layer_counters *counters,
	       struct layer_result *out, struct sw_error *err)
{
	struct blob_reader br = { .src = src, .desc = desc, .err = err };
	struct tar_reader tr = { .blob = &br, .limits = limits, .counters = counters, .err = err };
	struct archive *inner = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	br.md = EVP_MD_CTX_new();
	tr.md = EVP_MD_CTX_new();
	br.buf = malloc(CHUNK);
	tr.buf = malloc(CHUNK);
	tr.outer = archive_read_new();
	inner = archive_read_new();
	if (!br.md || !tr.md || !br.buf || !tr.buf || !tr.outer || !inner) {
		ret = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	EVP_DigestInit_ex(br.md, EVP_sha256(), NULL);
	EVP_DigestInit_ex(tr.md, EVP_sha256(), NULL);
	ret = layer_stream_open(&tr, &br, err);
	if (ret)
		goto cleanup;
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, &tr, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
		ret = tr.error ? tr.error :
				 sw_error_set(err, -EBADMSG, "%s: %s", desc->name,
					      archive_error_string(inner));
		goto cleanup;
	}
	ret = read_entries(inner, &tr, out, err);
	if (!ret)
		ret = layer_stream_check(&tr, &br, err);
cleanup:
	if (ret)
		layer_result_free(out);
	if (tr.gz.active)
		inflateEnd(&tr.gz.zs);
	archive_read_free(inner);
	archive_read_free(tr.outer);
	EVP_MD_CTX_free(br.md);
	EVP_MD_CTX_free(tr.md);
	free(br.buf);
	free(tr.buf);
	return ret;
}

int layer_apply(struct sw_tree *t, struct layer_result *r, struct sw_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct sw_entry *e = &r->entries[i];

		if (e->flags & SW_ENTRY_WHITEOUT)
			tree_remove(t, e->path);
		else if (e->flags & SW_ENTRY_OPAQUE)
			tree_clear_children(t, e->path);
	}
	for (size_t i = 0; i < r->n && !ret; i++) {
		struct sw_entry *e = &r->entries[i];

		if (!(e->flags & (SW_ENTRY_WHITEOUT | SW_ENTRY_OPAQUE)))
			ret = tree_put(t, e, err);
	}
	layer_result_free(r);
	return ret;
}

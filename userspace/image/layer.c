// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "content.h"
#include "entry.h"
#include "errors.h"
#include "hexutil.h"
#include "layer.h"
#include "path.h"
#include "tree.h"

#define CHUNK (256 * 1024)
#define RATIO_CHECK_AFTER (256ULL << 20)
#define MAX_CAPS_LEN 1024
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"

/* Compressed side: the blob as stored, hashed and size-checked. */
struct blob_reader {
	const struct byte_source *src;
	const struct layer_desc *desc;
	EVP_MD_CTX *md;
	uint64_t bytes;
	unsigned char *buf;
	size_t pending; /* bytes already in buf, returned by the next read (sniffing) */
	struct sw_error *err;
	int error; /* first failure, negative errno */
};

/*
 * gzip layers are inflated with zlib rather than libarchive's gzip filter,
 * which does not check the CRC32 and ISIZE trailer of each member.
 */
struct gunzip {
	z_stream zs;
	bool active;
	bool member_done;
	bool input_eof;
};

/* Uncompressed side: the tar stream, hashed (diff_id) and bounded. */
struct tar_reader {
	struct archive *outer;
	struct blob_reader *blob;
	const struct layer_limits *limits;
	struct layer_counters *counters;
	struct gunzip gz;
	EVP_MD_CTX *md;
	uint64_t bytes;
	unsigned char *buf;
	struct sw_error *err;
	int error;
};

static la_ssize_t blob_read_cb(struct archive *a, void *data, const void **ret_buf)
{
	struct blob_reader *br = data;
	size_t want = CHUNK;
	ssize_t n;

	if (br->pending) {
		n = (ssize_t)br->pending;
		br->pending = 0;
		*ret_buf = br->buf;
		return n;
	}
	if (br->desc->size >= 0) {
		if (br->bytes >= (uint64_t)br->desc->size) {
			/* never read past the declared size: probe one byte */
			unsigned char probe;

			n = br->src->read(br->src->ctx, &probe, 1, br->err);
			if (n > 0) {
				br->error = sw_error_set(br->err, -EBADMSG,
							 "%s: blob is larger than its declared "
							 "size %lld",
							 br->desc->name, (long long)br->desc->size);
				if (a)
					archive_set_error(a, EBADMSG, "%s",
							  br->err ? br->err->msg : "");
				return -1;
			}
			if (n < 0)
				goto fail;
			return 0;
		}
		if ((uint64_t)br->desc->size - br->bytes < want)
			want = (size_t)((uint64_t)br->desc->size - br->bytes);
	}
	n = br->src->read(br->src->ctx, br->buf, want, br->err);
	if (n < 0)
		goto fail;
	if (n > 0 && EVP_DigestUpdate(br->md, br->buf, (size_t)n) != 1) {
		n = -EIO;
		goto fail;
	}
	br->bytes += (uint64_t)n;
	*ret_buf = br->buf;
	return n;
fail:
	br->error = (int)n;
	if (a)
		archive_set_error(a, (int)-n, "%s", br->err ? br->err->msg : "read error");
	return -1;
}

static int limits_check(struct tar_reader *tr, size_t n)
{
	const struct layer_limits *lim = tr->limits;
	uint64_t total = __atomic_add_fetch(&tr->counters->raw_bytes, n, __ATOMIC_RELAXED);

	if (lim->max_bytes && total > lim->max_bytes)
		return sw_error_set(tr->err, -EFBIG,
				    "%s: image expands past the limit of %llu bytes "
				    "(decompression bomb? see --max-bytes)",
				    tr->blob->desc->name, (unsigned long long)lim->max_bytes);
	if (lim->max_ratio && tr->bytes > RATIO_CHECK_AFTER &&
	    tr->bytes / (tr->blob->bytes ? tr->blob->bytes : 1) > lim->max_ratio)
		return sw_error_set(tr->err, -EFBIG,
				    "%s: expands more than %u:1 (decompression bomb? see "
				    "--max-ratio)",
				    tr->blob->desc->name, lim->max_ratio);
	return 0;
}

static la_ssize_t gunzip_fail(struct tar_reader *tr, const char *what)
{
	if (tr->blob->error)
		return -1;
	tr->blob->error =
		sw_error_set(tr->err, -EBADMSG, "%s: %s gzip stream%s%s", tr->blob->desc->name,
			     what, tr->gz.zs.msg ? ": " : "", tr->gz.zs.msg ? tr->gz.zs.msg : "");
	return -1;
}

/* Inflate the next bytes of a (possibly multi-member) gzip blob into @out. */
static la_ssize_t gunzip_read(struct tar_reader *tr, unsigned char *out, size_t len)
{
	struct gunzip *gz = &tr->gz;
	z_stream *zs = &gz->zs;

	zs->next_out = out;
	zs->avail_out = (uInt)len;
	while (zs->avail_out == len) {
		int r;

		if (zs->avail_in == 0 && !gz->input_eof) {
			const void *p;
			la_ssize_t n = blob_read_cb(NULL, tr->blob, &p);

			if (n < 0)
				return -1;
			gz->input_eof = n == 0;
			zs->next_in = (Bytef *)p;
			zs->avail_in = (uInt)n;
		}
		if (gz->member_done) {
			if (zs->avail_in == 0 && gz->input_eof)
				return 0;
			if (zs->avail_in == 0)
				continue;
			/* another member follows; anything else is an invalid header */
			inflateReset(zs);
			gz->member_done = false;
		}
		if (zs->avail_in == 0 && gz->input_eof)
			return gunzip_fail(tr, "truncated");
		r = inflate(zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			gz->member_done = true;
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return gunzip_fail(tr, "corrupt");
	}
	return (la_ssize_t)(len - zs->avail_out);
}

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **ret_buf)
{
	struct tar_reader *tr = data;
	la_ssize_t n = tr->gz.active ? gunzip_read(tr, tr->buf, CHUNK) :
				       archive_read_data(tr->outer, tr->buf, CHUNK);
	int ret;

	if (n < 0) {
		if (tr->blob->error)
			tr->error = tr->blob->error;
		else
			tr->error =
				sw_error_set(tr->err, -EBADMSG, "%s: decompression failed: %s",
					     tr->blob->desc->name, archive_error_string(tr->outer));
		if (a)
			archive_set_error(a, EBADMSG, "%s", tr->err ? tr->err->msg : "");
		return -1;
	}
	if (n == 0)
		return 0;
	ret = limits_check(tr, (size_t)n);
	if (!ret && EVP_DigestUpdate(tr->md, tr->buf, (size_t)n) != 1)
		ret = -EIO;
	if (ret) {
		tr->error = ret;
		if (a)
			archive_set_error(a, (int)-ret, "%s", tr->err ? tr->err->msg : "");
		return -1;
	}
	tr->bytes += (uint64_t)n;
	*ret_buf = tr->buf;
	return n;
}

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

static int expected_filter(enum layer_compression c)
{
	switch (c) {
	case LAYER_COMPRESSION_NONE:
		return ARCHIVE_FILTER_NONE;
	case LAYER_COMPRESSION_ZSTD:
		return ARCHIVE_FILTER_ZSTD;
	default:
		return -1;
	}
}

/* Read what libarchive left unread so that both digests cover every byte. */
static int drain(struct tar_reader *tr, struct blob_reader *br)
{
	la_ssize_t n;
	const void *buf;

	do {
		n = tar_read_cb(NULL, tr, &buf);
	} while (n > 0);
	if (n < 0)
		return tr->error ? tr->error : -EBADMSG;
	do {
		n = blob_read_cb(tr->outer, br, &buf);
	} while (n > 0);
	return n < 0 ? (br->error ? br->error : -EBADMSG) : 0;
}

static int check_digest(EVP_MD_CTX *md, const unsigned char want[32], const char *what,
			const char *name, struct sw_error *err)
{
	unsigned char got[32];
	char want_s[72], got_s[72];
	unsigned int len;

	if (EVP_DigestFinal_ex(md, got, &len) != 1)
		return sw_error_set(err, -EIO, "%s: digest failed", name);
	if (!memcmp(got, want, 32))
		return 0;
	digest_format_sha256(want, want_s);
	digest_format_sha256(got, got_s);
	return sw_error_set(err, -EBADMSG, "%s: %s mismatch: expected %s, got %s", name, what,
			    want_s, got_s);
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

int layer_read(const struct byte_source *src, const struct layer_desc *desc,
	       const struct layer_limits *limits, struct layer_counters *counters,
	       struct layer_result *out, struct sw_error *err)
{
	struct blob_reader br = { .src = src, .desc = desc, .err = err };
	struct tar_reader tr = { .blob = &br, .limits = limits, .counters = counters, .err = err };
	struct archive *inner = NULL;
	struct archive_entry *ae;
	struct content_hash ch = { 0 };
	struct sw_entry e = { 0 };
	int r, ret, want_filter;

	memset(out, 0, sizeof(*out));
	br.md = EVP_MD_CTX_new();
	tr.md = EVP_MD_CTX_new();
	br.buf = malloc(CHUNK);
	tr.buf = malloc(CHUNK);
	tr.outer = archive_read_new();
	inner = archive_read_new();
	ret = content_hash_init(&ch);
	if (ret || !br.md || !tr.md || !br.buf || !tr.buf || !tr.outer || !inner) {
		ret = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	EVP_DigestInit_ex(br.md, EVP_sha256(), NULL);
	EVP_DigestInit_ex(tr.md, EVP_sha256(), NULL);

	want_filter = expected_filter(desc->compression);
	if (desc->compression == LAYER_COMPRESSION_ANY) {
		/* sniff: gzip goes to zlib, the rest to libarchive */
		const void *p;
		la_ssize_t n = blob_read_cb(NULL, &br, &p);

		if (n < 0) {
			ret = br.error;
			goto cleanup;
		}
		br.pending = (size_t)n;
		tr.gz.active = n >= 2 && br.buf[0] == 0x1f && br.buf[1] == 0x8b;
	} else {
		tr.gz.active = desc->compression == LAYER_COMPRESSION_GZIP;
	}
	if (tr.gz.active) {
		if (inflateInit2(&tr.gz.zs, 15 + 16) != Z_OK) { /* gzip wrapper only */
			tr.gz.active = false;
			ret = sw_error_set(err, -ENOMEM, "out of memory");
			goto cleanup;
		}
	} else {
		if (desc->compression == LAYER_COMPRESSION_ANY ||
		    desc->compression == LAYER_COMPRESSION_ZSTD)
			archive_read_support_filter_zstd(tr.outer);
		archive_read_support_format_raw(tr.outer);
		if (archive_read_open(tr.outer, &br, NULL, blob_read_cb, NULL) != ARCHIVE_OK ||
		    archive_read_next_header(tr.outer, &ae) != ARCHIVE_OK) {
			ret = br.error ? br.error :
					 sw_error_set(err, -EBADMSG, "%s: cannot read layer: %s",
						      desc->name, archive_error_string(tr.outer));
			goto cleanup;
		}
		if (want_filter >= 0 && archive_filter_code(tr.outer, 0) != want_filter) {
			ret = sw_error_set(err, -EBADMSG,
					   "%s: compression is %s, not what the manifest says",
					   desc->name, archive_filter_name(tr.outer, 0));
			goto cleanup;
		}
	}

	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, &tr, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
		ret = tr.error ? tr.error :
				 sw_error_set(err, -EBADMSG, "%s: %s", desc->name,
					      archive_error_string(inner));
		goto cleanup;
	}
	for (;;) {
		r = archive_read_next_header(inner, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && !harmless_warning(inner, r)) {
			ret = tr.error ?
				      tr.error :
				      sw_error_set(err, -EBADMSG, "%s: not a valid tar stream: %s",
						   desc->name, archive_error_string(inner));
			goto cleanup;
		}
		if (limits->max_entries &&
		    __atomic_add_fetch(&counters->entries, 1, __ATOMIC_RELAXED) >
			    limits->max_entries) {
			ret = sw_error_set(err, -E2BIG,
					   "%s: more than %llu entries (see --max-entries)",
					   desc->name, (unsigned long long)limits->max_entries);
			goto cleanup;
		}
		ret = convert_entry(inner, ae, &ch, &tr, &e, err);
		if (ret == 1) { /* skipped */
			entry_clear(&e);
			continue;
		}
		if (ret) {
			if (!tr.error)
				sw_error_prefix(err, ret, "%s", desc->name);
			goto cleanup;
		}
		ret = result_push(out, &e);
		if (ret) {
			sw_error_set(err, ret, "out of memory");
			goto cleanup;
		}
	}
	ret = drain(&tr, &br);
	if (ret)
		goto cleanup;
	if (desc->size >= 0 && br.bytes != (uint64_t)desc->size) {
		ret = sw_error_set(err, -EBADMSG, "%s: blob is %llu bytes, manifest says %lld",
				   desc->name, (unsigned long long)br.bytes, (long long)desc->size);
		goto cleanup;
	}
	if (desc->check_digest) {
		ret = check_digest(br.md, desc->digest, "digest", desc->name, err);
		if (ret)
			goto cleanup;
	}
	if (desc->check_diff_id)
		ret = check_digest(tr.md, desc->diff_id, "diff_id", desc->name, err);
cleanup:
	if (ret)
		layer_result_free(out);
	entry_clear(&e);
	content_hash_free(&ch);
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

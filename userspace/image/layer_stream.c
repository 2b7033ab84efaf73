// SPDX-License-Identifier: GPL-2.0-only
/* layer_stream.c: a layer blob read, inflated, hashed and bounded (layer_internal.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "errors.h"
#include "hexutil.h"
#include "layer_internal.h"

la_ssize_t blob_read_cb(struct archive *a, void *data, const void **ret_buf)
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

la_ssize_t tar_read_cb(struct archive *a, void *data, const void **ret_buf)
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

int layer_stream_drain(struct tar_reader *tr, struct blob_reader *br)
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

int layer_stream_open(struct tar_reader *tr, struct blob_reader *br, struct sw_error *err)
{
	const struct layer_desc *desc = br->desc;
	int want_filter = expected_filter(desc->compression);
	struct archive_entry *ae;

	if (desc->compression == LAYER_COMPRESSION_ANY) {
		/* sniff: gzip goes to zlib, the rest to libarchive */
		const void *p;
		la_ssize_t n = blob_read_cb(NULL, br, &p);

		if (n < 0)
			return br->error;
		br->pending = (size_t)n;
		tr->gz.active = n >= 2 && br->buf[0] == 0x1f && br->buf[1] == 0x8b;
	} else {
		tr->gz.active = desc->compression == LAYER_COMPRESSION_GZIP;
	}
	if (tr->gz.active) {
		if (inflateInit2(&tr->gz.zs, 15 + 16) != Z_OK) { /* gzip wrapper only */
			tr->gz.active = false;
			return sw_error_set(err, -ENOMEM, "out of memory");
		}
		return 0;
	}
	if (desc->compression == LAYER_COMPRESSION_ANY ||
	    desc->compression == LAYER_COMPRESSION_ZSTD)
		archive_read_support_filter_zstd(tr->outer);
	archive_read_support_format_raw(tr->outer);
	if (archive_read_open(tr->outer, br, NULL, blob_read_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(tr->outer, &ae) != ARCHIVE_OK)
		return br->error ? br->error :
				   sw_error_set(err, -EBADMSG, "%s: cannot read layer: %s",
						desc->name, archive_error_string(tr->outer));
	if (want_filter >= 0 && archive_filter_code(tr->outer, 0) != want_filter)
		return sw_error_set(err, -EBADMSG,
				    "%s: compression is %s, not what the manifest says", desc->name,
				    archive_filter_name(tr->outer, 0));
	return 0;
}

int layer_stream_check(struct tar_reader *tr, struct blob_reader *br, struct sw_error *err)
{
	const struct layer_desc *desc = br->desc;
	int ret = layer_stream_drain(tr, br);

	if (ret)
		return ret;
	if (desc->size >= 0 && br->bytes != (uint64_t)desc->size)
		return sw_error_set(err, -EBADMSG, "%s: blob is %llu bytes, manifest says %lld",
				    desc->name, (unsigned long long)br->bytes,
				    (long long)desc->size);
	if (desc->check_digest) {
		ret = check_digest(br->md, desc->digest, "digest", desc->name, err);
		if (ret)
			return ret;
	}
	if (desc->check_diff_id)
		return check_digest(tr->md, desc->diff_id, "diff_id", desc->name, err);
	return 0;
}

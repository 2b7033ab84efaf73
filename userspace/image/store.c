// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "errors.h"
#include "layer.h"
#include "path.h"
#include "store.h"

#define MAX_MEMBERS 100000

struct member {
	char *name; /* normalized, absolute ("/index.json") */
	size_t index;
	bool regular;
};

struct store {
	char *path;
	int dirfd; /* OCI layout directory, or -1 for a tar */
	struct member *members;
	size_t n_members;
	const struct store_ops *ops; /* store_open_ops(), else NULL */
	void *ops_ctx;
};

struct tar_stream {
	struct archive *a;
};

struct fd_stream {
	int fd;
};

int store_open_dir(const char *path, struct store **ret, struct sw_error *err)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st)
		return sw_error_set(err, -ENOMEM, "out of memory");
	st->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		int rc = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));

		free(st);
		return rc == -ENOTDIR ? -EBADMSG : rc;
	}
	st->path = strdup(path);
	*ret = st;
	return 0;
}

int store_open_ops(const char *name, const struct store_ops *ops, void *ctx, struct store **ret,
		   struct sw_error *err)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st || !(st->path = strdup(name))) {
		free(st);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	st->dirfd = -1;
	st->ops = ops;
	st->ops_ctx = ctx;
	*ret = st;
	return 0;
}

static struct archive *tar_open(const char *path)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK)
		return a; /* caller reads the error */
	return a;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

int store_open_tar(const char *path, struct store **ret, struct sw_error *err)
{
	struct store *st = calloc(1, sizeof(*st));
	struct archive_entry *ae;
	struct archive *a = NULL;
	size_t cap = 0;
	int r, rc = 0;

	if (!st)
		return sw_error_set(err, -ENOMEM, "out of memory");
	st->dirfd = -1;
	st->path = strdup(path);
	a = tar_open(path);
	if (!st->path || !a) {
		rc = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t idx = 0;
	     (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN; idx++) {
		const char *name = archive_entry_pathname(ae);
		struct member *m;
		char *norm;

		if (idx == MAX_MEMBERS) {
			rc = sw_error_set(err, -E2BIG, "%s: more than %d members", path,
					  MAX_MEMBERS);
			goto cleanup;
		}
		/* unsafe names are never looked up: such members just cannot be found */
		if (!name || path_normalize_member(name, &norm, NULL))
			continue;
		if (st->n_members >= cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct member *nm = realloc(st->members, ncap * sizeof(*nm));

			if (!nm) {
				free(norm);
				rc = sw_error_set(err, -ENOMEM, "out of memory");
				goto cleanup;
			}
			st->members = nm;
			cap = ncap;
		}
		m = &st->members[st->n_members++];
		m->name = norm;
		m->index = idx;
		m->regular = archive_entry_filetype(ae) == AE_IFREG && !archive_entry_hardlink(ae);
	}
	if (r != ARCHIVE_EOF) {
		rc = sw_error_set(err, archive_errno(a) == ENOENT ? -ENOENT : -EBADMSG,
				  "%s: not a readable tar archive: %s", path,
				  archive_error_string(a));
		goto cleanup;
	}
	qsort(st->members, st->n_members, sizeof(*st->members), cmp_member);
	*ret = st;
	st = NULL;
cleanup:
	archive_read_free(a);
	store_free(st);
	return rc;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	if (st->ops && st->ops->free)
		st->ops->free(st->ops_ctx);
	if (st->dirfd >= 0)
		close(st->dirfd);
	for (size_t i = 0; i < st->n_members; i++)
		free(st->members[i].name);
	free(st->members);
	free(st->path);
	free(st);
}

/* The unique member named @member; -ENOENT absent, -EBADMSG duplicate/irregular. */
static int member_find(struct store *st, const char *member, const struct member **ret,
		       struct sw_error *err)
{
	char key[4200];
	struct member k = { .name = key }, *m;

	snprintf(key, sizeof(key), "/%s", member);
	m = bsearch(&k, st->members, st->n_members, sizeof(*m), cmp_member);
	if (!m)
		return sw_error_set(err, -ENOENT, "%s: no member %s", st->path, member);
	if ((m > st->members && !strcmp(m[-1].name, key)) ||
	    (m + 1 < st->members + st->n_members && !strcmp(m[1].name, key)))
		return sw_error_set(err, -EBADMSG, "%s: member %s appears more than once", st->path,
				    member);
	if (!m->regular)
		return sw_error_set(err, -EBADMSG, "%s: member %s is not a regular file", st->path,
				    member);
	*ret = m;
	return 0;
}

bool store_has(struct store *st, const char *member)
{
	const struct member *m;
	struct stat s;

	if (st->ops)
		return st->ops->has(st->ops_ctx, member);
	if (st->dirfd >= 0)
		return fstatat(st->dirfd, member, &s, AT_SYMLINK_NOFOLLOW) == 0;
	return member_find(st, member, &m, NULL) != -ENOENT;
}

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct sw_error *err)
{
	struct fd_stream *fs = ctx;

	for (;;) {
		ssize_t n = read(fs->fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return sw_error_set(err, -errno, "read: %s", strerror(errno));
	}
}

static ssize_t tar_read(void *ctx, void *buf, size_t len, struct sw_error *err)
{
	struct tar_stream *ts = ctx;
	la_ssize_t n = archive_read_data(ts->a, buf, len);

	if (n < 0)
		return sw_error_set(err, -EBADMSG, "%s", archive_error_string(ts->a));
	return n;
}

int store_stream_open(struct store *st, const char *member, struct byte_source *src,
		      struct sw_error *err)
{
	const struct member *m;
	struct archive_entry *ae;
	struct tar_stream *ts;
	int ret;

	if (st->ops)
		return st->ops->stream(st->ops_ctx, member, src, err);
	if (st->dirfd >= 0) {
		struct fd_stream *fs = malloc(sizeof(*fs));
		struct stat s;

		if (!fs)
			return sw_error_set(err, -ENOMEM, "out of memory");
		fs->fd = openat(st->dirfd, member, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fs->fd < 0) {
			ret = -errno;
			free(fs);
			return sw_error_set(err, ret == -ENOENT || ret == -ELOOP ? -EBADMSG : ret,
					    "%s/%s: %s", st->path, member, strerror(-ret));
		}
		if (fstat(fs->fd, &s) < 0 || !S_ISREG(s.st_mode)) {
			close(fs->fd);
			free(fs);
			return sw_error_set(err, -EBADMSG, "%s/%s: not a regular file", st->path,
					    member);
		}
		src->read = fd_read;
		src->ctx = fs;
		return 0;
	}
	ret = member_find(st, member, &m, err);
	if (ret)
		return ret == -ENOENT ? -EBADMSG : ret;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return sw_error_set(err, -ENOMEM, "out of memory");
	ts->a = tar_open(st->path);
	if (!ts->a) {
		free(ts);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0;; i++) {
		int r = archive_read_next_header(ts->a, &ae);

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			ret = sw_error_set(err, -EBADMSG, "%s: %s changed while reading", st->path,
					   member);
			archive_read_free(ts->a);
			free(ts);
			return ret;
		}
		if (i == m->index)
			break;
	}
	src->read = tar_read;
	src->ctx = ts;
	return 0;
}

void store_stream_close(struct byte_source *src)
{
	if (!src || !src->ctx)
		return;
	if (src->close) {
		src->close(src->ctx);
		src->ctx = NULL;
		return;
	}
	if (src->read == tar_read) {
		archive_read_free(((struct tar_stream *)src->ctx)->a);
	} else {
		close(((struct fd_stream *)src->ctx)->fd);
	}
	free(src->ctx);
	src->ctx = NULL;
}

int store_read(struct store *st, const char *member, size_t max, char **ret_buf, size_t *ret_len,
	       struct sw_error *err)
{
	struct byte_source src = { 0 };
	size_t len = 0, cap = 4096;
	char *buf;
	int ret;

	if (st->ops)
		return st->ops->read(st->ops_ctx, member, max, ret_buf, ret_len, err);
	if (st->dirfd >= 0 && !store_has(st, member))
		return sw_error_set(err, -ENOENT, "%s: no %s", st->path, member);
	ret = store_stream_open(st, member, &src, err);
	if (ret)
		return ret;
	buf = malloc(cap);
	if (!buf) {
		ret = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > max + 1) {
				ret = sw_error_set(err, -EBADMSG, "%s: %s is larger than %zu bytes",
						   st->path, member, max);
				goto cleanup;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = sw_error_set(err, -ENOMEM, "out of memory");
				goto cleanup;
			}
			buf = nb;
		}
		n = src.read(src.ctx, buf + len, cap - 1 - len, err);
		if (n < 0) {
			ret = (int)n;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			ret = sw_error_set(err, -EBADMSG, "%s: %s is larger than %zu bytes",
					   st->path, member, max);
			goto cleanup;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	ret = 0;
cleanup:
	free(buf);
	store_stream_close(&src);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * dir:ROOTFS — a host or extracted tree. Walked without following symlinks
 * or crossing mount points, sorted, then regular files hashed in parallel.
 * Files sharing an inode become hardlinks to the first of their names in
 * path order, so the result does not depend on directory order.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "content.h"
#include "entry.h"
#include "errors.h"
#include "image.h"

struct walk_item {
	struct sw_entry e;
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
};

struct walk {
	const char *root;
	size_t root_len;
	bool walking_root; /* level 0 is the root itself, not a recorded path */
	const struct sw_image_opts *opts;
	struct walk_item *items;
	size_t n, cap;
	struct sw_error *err;
	int ret;
	/* hashing phase */
	size_t next;
	int failed;
	struct sw_error hash_err;
	int hash_ret;
	pthread_mutex_t lock;
};

static __thread struct walk *current_walk;

static int fail(struct walk *w, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err->msg, sizeof(w->err->msg), fmt, ap);
	va_end(ap);
	w->ret = ret;
	return FTW_STOP;
}

static bool excluded(const struct walk *w, const char *path)
{
	for (size_t i = 0; i < w->opts->n_excludes; i++)
		if (!fnmatch(w->opts->excludes[i], path, 0))
			return true;
	return false;
}

static int read_symlink(const char *fpath, const struct stat *sb, char **ret)
{
	size_t size = sb->st_size > 0 && sb->st_size < 65536 ? (size_t)sb->st_size + 1 : 4097;
	char *buf = malloc(size);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = readlink(fpath, buf, size);
	if (n < 0 || (size_t)n >= size) {
		free(buf);
		return n < 0 ? -errno : -ENAMETOOLONG;
	}
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

static int read_caps(const char *fpath, struct sw_entry *e)
{
	unsigned char buf[1024];
	ssize_t n = lgetxattr(fpath, "security.capability", buf, sizeof(buf));

	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? 0 : -errno;
	if (n == 0)
		return 0;
	e->caps = malloc((size_t)n);
	if (!e->caps)
		return -ENOMEM;
	memcpy(e->caps, buf, (size_t)n);
	e->caps_len = (uint32_t)n;
	return 0;
}

static int visit(const char *fpath, const struct stat *sb, int flag, struct FTW *ftw)
{
	struct walk *w = current_walk;
	struct walk_item *it;
	const char *rel = fpath + w->root_len;
	int ret;

	if (flag == FTW_NS || flag == FTW_DNR)
		return fail(w, -EACCES, "%s: cannot %s", fpath, flag == FTW_NS ? "stat" : "read");
	if (ftw->level == 0 && w->walking_root)
		return FTW_CONTINUE; /* the root itself */
	if (excluded(w, rel))
		return flag == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct walk_item *ni = realloc(w->items, cap * sizeof(*ni));

		if (!ni)
			return fail(w, -ENOMEM, "out of memory");
		w->items = ni;
		w->cap = cap;
	}
	if (w->opts->limits.max_entries && w->n >= w->opts->limits.max_entries)
		return fail(w, -E2BIG, "%s: more than %llu entries (see --max-entries)", w->root,
			    (unsigned long long)w->opts->limits.max_entries);
	it = &w->items[w->n];
	memset(it, 0, sizeof(*it));
	it->dev = sb->st_dev;
	it->ino = sb->st_ino;
	it->nlink = sb->st_nlink;
	it->e.path = strdup(rel);
	if (!it->e.path)
		return fail(w, -ENOMEM, "out of memory");
	w->n++;
	it->e.mode = sb->st_mode & 07777;
	it->e.uid = sb->st_uid;
	it->e.gid = sb->st_gid;
	switch (sb->st_mode & S_IFMT) {
	case S_IFREG:
		it->e.type = SW_FT_FILE;
		it->e.size = (uint64_t)sb->st_size;
		ret = read_caps(fpath, &it->e);
		break;
	case S_IFDIR:
		it->e.type = SW_FT_DIR;
		ret = 0;
		break;
	case S_IFLNK:
		it->e.type = SW_FT_SYMLINK;
		ret = read_symlink(fpath, sb, &it->e.link);
		break;
	case S_IFCHR:
	case S_IFBLK:
		it->e.type = S_ISCHR(sb->st_mode) ? SW_FT_CHAR : SW_FT_BLOCK;
		it->e.rdev_major = major(sb->st_rdev);
		it->e.rdev_minor = minor(sb->st_rdev);
		ret = 0;
		break;
	case S_IFIFO:
		it->e.type = SW_FT_FIFO;
		ret = 0;
		break;
	default:
		it->e.type = SW_FT_SOCKET;
		ret = 0;
		break;
	}
	if (ret)
		return fail(w, ret, "%s: %s", fpath, strerror(-ret));
	return FTW_CONTINUE;
}

static int cmp_item_path(const void *a, const void *b)
{
	return strcmp(((const struct walk_item *)a)->e.path, ((const struct walk_item *)b)->e.path);
}

static int cmp_item_inode(const void *a, const void *b)
{
	const struct walk_item *const *x = a, *const *y = b;

	if ((*x)->dev != (*y)->dev)
		return (*x)->dev < (*y)->dev ? -1 : 1;
	if ((*x)->ino != (*y)->ino)
		return (*x)->ino < (*y)->ino ? -1 : 1;
	return *x < *y ? -1 : *x > *y; /* path order: items are sorted by path */
}

/* Later names of an inode become hardlinks to its first name. */
static int mark_hardlinks(struct walk *w)
{
	struct walk_item **multi = malloc((w->n ? w->n : 1) * sizeof(*multi));
	size_t m = 0;

	if (!multi)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (w->items[i].e.type == SW_FT_FILE && w->items[i].nlink > 1)
			multi[m++] = &w->items[i];
	qsort(multi, m, sizeof(*multi), cmp_item_inode);
	for (size_t i = 1; i < m; i++) {
		size_t first = i - 1;

		while (i < m && multi[i]->dev == multi[first]->dev &&
		       multi[i]->ino == multi[first]->ino) {
			multi[i]->e.type = SW_FT_HARDLINK;
			multi[i]->e.link = strdup(multi[first]->e.path);
			if (!multi[i]->e.link) {
				free(multi);
				return -ENOMEM;
			}
			i++;
		}
	}
	free(multi);
	return 0;
}

static int hash_item(struct walk *w, struct content_hash *ch, struct walk_item *it,
		     struct sw_error *err)
{
	char path[8192];
	struct stat st;
	int fd, ret;

	if (snprintf(path, sizeof(path), "%.*s%s", (int)w->root_len, w->root, it->e.path) >=
	    (int)sizeof(path))
		return sw_error_set(err, -ENAMETOOLONG, "%s: path too long", it->e.path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME | O_NONBLOCK);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_dev != it->dev || st.st_ino != it->ino) {
		close(fd);
		return sw_error_set(err, -ESTALE, "%s: replaced while the tree was read", path);
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	ret = content_hash_fd(ch, fd, &it->e, err);
	close(fd);
	if (ret)
		return sw_error_prefix(err, ret, "%s", path);
	return 0;
}

static void *hash_worker(void *arg)
{
	struct walk *w = arg;
	struct content_hash ch;
	struct sw_error err;
	size_t i;
	int ret = content_hash_init(&ch);

	if (ret) {
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	while (!__atomic_load_n(&w->failed, __ATOMIC_RELAXED) &&
	       (i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n) {
		if (w->items[i].e.type != SW_FT_FILE)
			continue;
		ret = hash_item(w, &ch, &w->items[i], &err);
		if (ret) {
			pthread_mutex_lock(&w->lock);
			if (!w->hash_ret) {
				w->hash_ret = ret;
				w->hash_err = err;
			}
			pthread_mutex_unlock(&w->lock);
			__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
		}
	}
	content_hash_free(&ch);
	return NULL;
}

static int hash_all(struct walk *w)
{
	long cpus = w->opts->jobs ? (long)w->opts->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t threads[64];
	int started = 0;

	if (cpus < 1)
		cpus = 1;
	if (cpus > 64)
		cpus = 64;
	for (long t = 1; t < cpus; t++)
		if (!pthread_create(&threads[started], NULL, hash_worker, w))
			started++;
	hash_worker(w);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (w->hash_ret) {
		*w->err = w->hash_err;
		return w->hash_ret;
	}
	if (w->failed)
		return sw_error_set(w->err, -ENOMEM, "out of memory");
	/* hardlinks share their first name's content */
	for (size_t i = 0; i < w->n; i++) {
		struct sw_entry *e = &w->items[i].e;

		if (e->type == SW_FT_HARDLINK) {
			struct walk_item key = { .e.path = e->link }, *t;

			t = bsearch(&key, w->items, w->n, sizeof(*t), cmp_item_path);
			if (!t || entry_copy_content(e, &t->e))
				return sw_error_set(w->err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Overlapping --include subtrees record a path twice: keep the first. */
static void dedupe(struct walk *w)
{
	size_t out = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (out && !strcmp(w->items[out - 1].e.path, w->items[i].e.path)) {
			entry_clear(&w->items[i].e);
			continue;
		}
		w->items[out++] = w->items[i];
	}
	w->n = out;
}

/* Walk each included subtree, recording its parent directories too. */
static int walk_includes(struct walk *w, const char *root)
{
	for (size_t i = 0; i < w->opts->n_includes; i++) {
		const char *inc = w->opts->includes[i];
		char full[8192], prefix[4096];
		struct FTW ftw = { 0 };
		struct stat st;
		int r;

		if (inc[0] != '/' || strstr(inc, "/../") || strstr(inc, "/./"))
			return sw_error_set(w->err, -EINVAL, "--include %s: not an absolute path",
					    inc);
		/* parents, so that symlinked directories (/bin -> usr/bin) are known */
		for (const char *p = strchr(inc + 1, '/'); p; p = strchr(p + 1, '/')) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(p - inc), inc);
			snprintf(full, sizeof(full), "%.*s%s", (int)w->root_len, root, prefix);
			if (lstat(full, &st))
				return sw_error_set(w->err, -errno, "%s: %s", full,
						    strerror(errno));
			ftw.level = 1;
			if (visit(full, &st, S_ISDIR(st.st_mode) ? FTW_D : FTW_F, &ftw) == FTW_STOP)
				return w->ret;
		}
		snprintf(full, sizeof(full), "%.*s%s", (int)w->root_len, root, inc);
		r = nftw(full, visit, 64, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
		if (w->ret)
			return w->ret;
		if (r)
			return sw_error_set(w->err, -errno ? -errno : -EIO, "%s: walk failed",
					    full);
	}
	return 0;
}

/*
 * The walk's items as a plain entry array, in place: entry i moves to offset
 * i * sizeof(entry), never past item i's own start, so no item is
 * overwritten before it is moved. w->items is consumed.
 */
static struct sw_entry *compact(struct walk *w)
{
	struct sw_entry *flat = (struct sw_entry *)w->items, *shrunk;

	_Static_assert(sizeof(struct sw_entry) <= sizeof(struct walk_item), "compaction");
	for (size_t i = 0; i < w->n; i++)
		memmove(&flat[i], &w->items[i].e, sizeof(*flat));
	w->items = NULL;
	shrunk = realloc(flat, (w->n ? w->n : 1) * sizeof(*flat));
	return shrunk ? shrunk : flat;
}

int dirwalk_load(const char *root, const struct sw_image_opts *opts, struct sw_entry **ret,
		 size_t *ret_n, struct sw_error *err)
{
	struct walk w = { .root = root, .opts = opts, .err = err };
	struct sw_error local;
	char *trimmed = NULL;
	struct stat st;
	int r;

	if (!err)
		w.err = &local;
	if (stat(root, &st) < 0)
		return sw_error_set(err, -errno, "%s: %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sw_error_set(err, -EINVAL, "%s: not a directory", root);
	/* nftw paths are ROOT + "/" + relative path: trim ROOT's trailing slashes */
	trimmed = strdup(root);
	if (!trimmed)
		return sw_error_set(err, -ENOMEM, "out of memory");
	w.root_len = strlen(trimmed);
	while (w.root_len > 1 && trimmed[w.root_len - 1] == '/')
		trimmed[--w.root_len] = '\0';
	if (!strcmp(trimmed, "/"))
		w.root_len = 0; /* dir:/ — the walked paths are the paths */
	w.root = trimmed;
	pthread_mutex_init(&w.lock, NULL);
	current_walk = &w;
	if (!opts->n_includes) {
		w.walking_root = true;
		r = nftw(trimmed, visit, 64, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	} else {
		r = walk_includes(&w, trimmed);
	}
	current_walk = NULL;
	if (w.ret) {
		r = w.ret;
		goto cleanup;
	}
	if (r != 0) {
		r = sw_error_set(err, -errno ? -errno : -EIO, "%s: walk failed", root);
		goto cleanup;
	}
	if (w.n && w.n < w.cap) {
		struct walk_item *shrunk = realloc(w.items, w.n * sizeof(*w.items));

		if (shrunk)
			w.items = shrunk;
	}
	qsort(w.items, w.n, sizeof(*w.items), cmp_item_path);
	dedupe(&w);
	r = mark_hardlinks(&w);
	if (r) {
		sw_error_set(err, r, "out of memory");
		goto cleanup;
	}
	r = hash_all(&w);
	if (r)
		goto cleanup;
	*ret = compact(&w);
	*ret_n = w.n;
	free(trimmed);
	pthread_mutex_destroy(&w.lock);
	return 0;
cleanup:
	for (size_t i = 0; i < w.n; i++)
		entry_clear(&w.items[i].e);
	free(w.items);
	free(trimmed);
	pthread_mutex_destroy(&w.lock);
	return r;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The on-disk spool of an http sink: a directory of segment files
 * "seg-NNNNNNNNNNNNNNNN.ndjson", one event line per line, oldest first. The
 * total size stays under a bound; lines past it are not written and their
 * count goes back to the caller (reported as lost). Segments left over by a
 * previous run are replayed first. A segment is read only once sealed (no
 * longer appended to), so reads and writes never share a file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "fileio.h"
#include "sink_internal.h"

#define SEGMENT_MAX (4u << 20)

struct sink_spool {
	char *dir;
	uint64_t max, bytes;
	uint64_t first, next; /* segments [first, next) exist; next-1 may be open */
	int wfd; /* open segment next-1, or -1 */
	uint64_t wsize;
	uint64_t seg_max;
	/* the head segment, loaded */
	char *rbuf;
	size_t rlen, roff, rsize_on_disk;
	bool rloaded;
};

static void seg_path(const struct sink_spool *sp, uint64_t n, char *out, size_t size)
{
	snprintf(out, size, "%s/seg-%016llu.ndjson", sp->dir, (unsigned long long)n);
}

static int mkdirs(const char *dir)
{
	char *p = strdup(dir);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s && !r; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) && errno != EEXIST)
				r = -errno;
			*s = '/';
		}
	if (!r && mkdir(p, 0700) && errno != EEXIST)
		r = -errno;
	free(p);
	return r;
}

int spool_open(const char *dir, uint64_t max_bytes, struct sink_spool **ret, struct sw_error *err)
{
	struct sink_spool *sp = calloc(1, sizeof(*sp));
	struct dirent *de;
	DIR *d;
	int r;

	if (!sp || !(sp->dir = strdup(dir))) {
		free(sp);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	sp->max = max_bytes;
	sp->wfd = -1;
	sp->seg_max = max_bytes / 8 < SEGMENT_MAX ? max_bytes / 8 : SEGMENT_MAX;
	if (sp->seg_max < 4096)
		sp->seg_max = 4096;
	r = mkdirs(dir);
	d = r ? NULL : opendir(dir);
	if (!d) {
		r = r ? r : -errno;
		spool_close(sp);
		return sw_error_set(err, r, "spool %s: %s", dir, strerror(-r));
	}
	sp->first = UINT64_MAX;
	while ((de = readdir(d))) {
		unsigned long long n;
		char path[4096], tail[16];
		struct stat st;

		if (sscanf(de->d_name, "seg-%16llu.ndjso%1s", &n, tail) != 2 || strcmp(tail, "n"))
			continue;
		seg_path(sp, n, path, sizeof(path));
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		sp->bytes += (uint64_t)st.st_size;
		if (n < sp->first)
			sp->first = n;
		if (n + 1 > sp->next)
			sp->next = n + 1;
	}
	closedir(d);
	if (sp->first == UINT64_MAX)
		sp->first = sp->next = 0;
	*ret = sp;
	return 0;
}

static void seal(struct sink_spool *sp)
{
	if (sp->wfd >= 0) {
		fdatasync(sp->wfd);
		close(sp->wfd);
		sp->wfd = -1;
	}
}

void spool_close(struct sink_spool *sp)
{
	if (!sp)
		return;
	seal(sp);
	free(sp->rbuf);
	free(sp->dir);
	free(sp);
}

bool spool_empty(const struct sink_spool *sp)
{
	return sp->first == sp->next;
}

uint64_t spool_bytes(const struct sink_spool *sp)
{
	return sp->bytes;
}

uint64_t spool_append(struct sink_spool *sp, char **lines, size_t n, int *ret_err)
{
	uint64_t lost = 0;
	char path[4096];

	*ret_err = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		int r;

		if (sp->bytes + len + 1 > sp->max) {
			lost++;
			continue;
		}
		if (sp->wfd >= 0 && sp->wsize + len + 1 > sp->seg_max)
			seal(sp);
		if (sp->wfd < 0) {
			seg_path(sp, sp->next, path, sizeof(path));
			sp->wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (sp->wfd < 0) {
				*ret_err = -errno;
				lost += n - i;
				break;
			}
			sp->next++;
			sp->wsize = 0;
		}
		r = fd_write_all(sp->wfd, lines[i], len);
		if (!r)
			r = fd_write_all(sp->wfd, "\n", 1);
		if (r) {
			/* a torn line would replay as garbage: drop this segment's tail */
			if (ftruncate(sp->wfd, (off_t)sp->wsize) == 0)
				(void)lseek(sp->wfd, 0, SEEK_END);
			*ret_err = r;
			lost += n - i;
			break;
		}
		sp->wsize += len + 1;
		sp->bytes += len + 1;
	}
	return lost;
}

static int load_head(struct sink_spool *sp)
{
	char path[4096];
	int r;

	if (sp->rloaded)
		return 0;
	if (sp->first + 1 == sp->next)
		seal(sp); /* reading the segment being written: seal it first */
	seg_path(sp, sp->first, path, sizeof(path));
	r = file_read_all(path, 1ULL << 30, &sp->rbuf, &sp->rlen, NULL);
	if (r == -ENOENT) { /* removed behind our back: skip it */
		sp->first++;
		return spool_empty(sp) ? 0 : load_head(sp);
	}
	if (r)
		return r;
	sp->rsize_on_disk = sp->rlen;
	sp->roff = 0;
	sp->rloaded = true;
	return 0;
}

static void drop_head(struct sink_spool *sp)
{
	char path[4096];

	seg_path(sp, sp->first, path, sizeof(path));
	unlink(path);
	sp->bytes = sp->bytes > sp->rsize_on_disk ? sp->bytes - sp->rsize_on_disk : 0;
	free(sp->rbuf);
	sp->rbuf = NULL;
	sp->rloaded = false;
	sp->first++;
	if (spool_empty(sp))
		sp->bytes = 0;
}

/* End of the line at @off: its '\n' (or the '\0' a previous peek put there); NULL if torn. */
static char *line_end(struct sink_spool *sp, size_t off)
{
	for (char *c = sp->rbuf + off; c < sp->rbuf + sp->rlen; c++)
		if (*c == '\n' || *c == '\0')
			return c;
	return NULL;
}

int spool_peek(struct sink_spool *sp, char **lines, size_t max, size_t *ret_n)
{
	size_t n = 0, off;
	int r;

	*ret_n = 0;
	while (!spool_empty(sp)) {
		r = load_head(sp);
		if (r)
			return r;
		if (sp->rloaded && line_end(sp, sp->roff))
			break;
		if (sp->rloaded)
			drop_head(sp); /* empty, or only a torn line (crash while writing) */
	}
	if (spool_empty(sp))
		return 0;
	/* lines are NUL-terminated in place: the buffer is ours until consumed */
	for (off = sp->roff; n < max && off < sp->rlen;) {
		char *end = line_end(sp, off);

		if (!end)
			break;
		*end = '\0';
		if (end > sp->rbuf + off)
			lines[n++] = sp->rbuf + off;
		off = (size_t)(end - sp->rbuf) + 1;
	}
	*ret_n = n;
	return 0;
}

void spool_consume(struct sink_spool *sp, size_t n)
{
	while (sp->rloaded && sp->roff < sp->rlen) {
		char *end = line_end(sp, sp->roff);

		if (!end)
			break;
		if (end > sp->rbuf + sp->roff) {
			if (!n)
				break;
			n--;
		}
		sp->roff = (size_t)(end - sp->rbuf) + 1;
	}
	if (sp->rloaded && !line_end(sp, sp->roff))
		drop_head(sp);
}

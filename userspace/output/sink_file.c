// SPDX-License-Identifier: GPL-2.0-only
/* stdout and file:PATH[?max_size=SIZE&keep=N] (size-based rotation: PATH.1 … PATH.N). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "fileio.h"
#include "log.h"
#include "sink_internal.h"

struct file_sink {
	int fd;
	bool owned;
	char *path;
	uint64_t max_size; /* 0: never rotate */
	unsigned int keep;
	uint64_t size;
	struct sink_buf buf;
};

static int check_format(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	if (k->format != SINK_FORMAT_JSON && k->format != SINK_FORMAT_FALCO)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': option format: %s takes json or falco",
				    spec->text, spec->scheme);
	return 0;
}

static int stdout_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	struct file_sink *f;

	if (*spec->target)
		return sw_error_set(err, -EBADMSG, "output '%s': stdout takes no path", spec->text);
	if (check_format(k, spec, err))
		return -EBADMSG;
	f = calloc(1, sizeof(*f));
	if (!f)
		return sw_error_set(err, -ENOMEM, "out of memory");
	f->fd = STDOUT_FILENO;
	k->priv = f;
	k->batch = 256;
	return 0;
}

static int file_open_fd(struct file_sink *f)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

static int file_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	struct file_sink *f;
	int r;

	if (!*spec->target)
		return sw_error_set(err, -EBADMSG, "output '%s': file: needs a path", spec->text);
	if (check_format(k, spec, err))
		return -EBADMSG;
	f = calloc(1, sizeof(*f));
	if (!f)
		return sw_error_set(err, -ENOMEM, "out of memory");
	f->fd = -1;
	f->owned = true;
	f->keep = 5;
	k->priv = f;
	k->batch = 256;
	f->path = strdup(spec->target);
	if (!f->path)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = sink_opt_size(spec, "max_size", &f->max_size, err);
	if (!r)
		r = sink_opt_uint(spec, "keep", 1, 1000, &f->keep, err);
	if (r)
		return r;
	if (f->max_size && f->max_size < 4096)
		return sw_error_set(err, -EBADMSG, "output '%s': option max_size: at least 4K",
				    spec->text);
	r = file_open_fd(f);
	if (r)
		return sw_error_set(err, r, "output %s: %s", spec->target, strerror(-r));
	return 0;
}

/* PATH.keep is removed, PATH.i → PATH.i+1, PATH → PATH.1, a new PATH. */
static int rotate(struct file_sink *f)
{
	size_t len = strlen(f->path) + 16;
	char *from = malloc(len), *to = malloc(len);
	int r = 0;

	if (!from || !to) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(to, len, "%s.%u", f->path, f->keep);
	unlink(to);
	for (unsigned int i = f->keep; i > 1; i--) {
		snprintf(from, len, "%s.%u", f->path, i - 1);
		snprintf(to, len, "%s.%u", f->path, i);
		if (rename(from, to) && errno != ENOENT) {
			r = -errno;
			goto out;
		}
	}
	snprintf(to, len, "%s.1", f->path);
	if (rename(f->path, to) && errno != ENOENT) {
		r = -errno;
		goto out;
	}
	close(f->fd);
	r = file_open_fd(f);
out:
	free(from);
	free(to);
	return r;
}

/*
 * The file after a rotation (SIGUSR1: sinks_reopen) or a failed reopen: the
 * path opened again, created when the rotation renamed it away.
 */
static int file_reopen_if_asked(struct sink *k, struct file_sink *f)
{
	if (!f->owned)
		return 0;
	if (__atomic_exchange_n(&k->reopen, 0, __ATOMIC_ACQ_REL) && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	return f->fd < 0 ? file_open_fd(f) : 0;
}

static int file_deliver(struct sink *k, char **lines, size_t n)
{
	struct file_sink *f = k->priv;
	size_t done = 0;
	int r = file_reopen_if_asked(k, f);

	if (r) {
		log_warn("output file:%s: %s", f->path, strerror(-r));
		return r;
	}

	while (done < n && !r) {
		f->buf.len = 0;
		/* fill up to the rotation point: one write(2) per chunk */
		for (; done < n; done++) {
			size_t before = f->buf.len;

			r = sink_format_line(k->format, lines[done], NULL, &f->buf);
			if (r == -EBADMSG) { /* not JSON: cannot be a Falco alert */
				f->buf.len = before;
				sink_error(k);
				r = 0;
				continue;
			}
			if (r)
				return r;
			if (f->max_size && f->size + f->buf.len > f->max_size && f->buf.len > 0) {
				if (before) { /* write what fits, rotate, then this line */
					f->buf.len = before;
					break;
				}
				if (f->size) {
					r = rotate(f);
					if (r)
						return r;
				}
			}
		}
		if (f->buf.len) {
			r = fd_write_all(f->fd, f->buf.data, f->buf.len);
			if (!r)
				f->size += f->buf.len;
		}
	}
	/*
	 * A failure after a partial write makes the core retry the whole batch:
	 * at-least-once, never silently short.
	 */
	return r;
}

static void file_close(struct sink *k)
{
	struct file_sink *f = k->priv;

	if (!f)
		return;
	if (f->owned && f->fd >= 0)
		close(f->fd);
	sink_buf_free(&f->buf);
	free(f->path);
	free(f);
	k->priv = NULL;
}

static const char *const file_options[] = { "max_size", "keep", NULL };

const struct sink_driver sink_stdout_driver = {
	.scheme = "stdout",
	.open = stdout_open,
	.deliver = file_deliver,
	.close = file_close,
};

const struct sink_driver sink_file_driver = {
	.options = file_options,
	.scheme = "file",
	.open = file_open,
	.deliver = file_deliver,
	.close = file_close,
};

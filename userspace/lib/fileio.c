// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "fileio.h"

int file_read_all(const char *path, size_t max, char **ret_buf, size_t *ret_len,
		  struct sw_error *err)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = sw_error_set(err, -EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = sw_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > max) {
				ret = sw_error_set(err, -EFBIG, "%s: larger than %zu bytes", path,
						   max);
				goto out;
			}
			cap = cap * 2 + 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = sw_error_set(err, -ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		if (!buf) {
			buf = malloc(cap);
			if (!buf) {
				ret = sw_error_set(err, -ENOMEM, "%s: out of memory", path);
				goto out;
			}
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			ret = sw_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct sw_error *err)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return sw_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto fail;
	ret = fd_write_all(fd, data, len);
	if (ret) {
		errno = -ret;
		goto fail;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

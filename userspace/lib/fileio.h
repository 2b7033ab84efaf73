/* SPDX-License-Identifier: GPL-2.0-only */
/* Small file helpers: whole files in and out, every byte of a buffer to an fd. */
#ifndef SW_FILEIO_H
#define SW_FILEIO_H

#include <stddef.h>

struct sw_error;

/*
 * Read a whole regular file of at most @max bytes into a malloc'd buffer
 * (NUL-terminated, *ret_len excludes the NUL). -EFBIG when larger.
 */
int file_read_all(const char *path, size_t max, char **ret_buf, size_t *ret_len,
		  struct sw_error *err);

/*
 * Write @len bytes to @path atomically: a temporary file in the same
 * directory, fsync, rename. @mode applies to a new file.
 */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct sw_error *err);

/* Write all @len bytes to @fd (retrying short writes and EINTR): 0 or -errno. */
int fd_write_all(int fd, const void *data, size_t len);

#endif

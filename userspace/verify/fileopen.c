// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "verifier.h"

/*
 * Reopen an O_PATH fd for reading once fstat() says it is a regular file:
 * a FIFO, socket or device never gets a real open (a FIFO would block the
 * caller forever, a device open may have side effects). -1 with errno
 * EINVAL for a file that is not regular.
 */
static int reopen_regular(int pfd)
{
	struct stat st, st2;
	char link[64];
	int fd;

	if (fstat(pfd, &st))
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
	fd = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st2) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino ||
	    !S_ISREG(st2.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* reopen_regular(@pfd) (a @pfd < 0 passes through), @pfd closed, errno kept. */
static int reopen_closing(int pfd)
{
	int fd, e;

	if (pfd < 0)
		return -1;
	fd = reopen_regular(pfd);
	e = errno;
	close(pfd);
	errno = e;
	return fd;
}

int verifier_open_regular(const char *path)
{
	int pfd = open(path, O_PATH | O_CLOEXEC);

	return reopen_closing(pfd);
}

int verifier_open_at_root(int root_fd, const char *path)
{
	/* the final component may be a symlink too: resolved, but never out of the root */
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int pfd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return reopen_closing(pfd);
}

int verifier_open_in_root(const char *rootfs, const char *path)
{
	int dfd = open(rootfs ? rootfs : "/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd, e;

	if (dfd < 0)
		return -1;
	fd = verifier_open_at_root(dfd, path);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

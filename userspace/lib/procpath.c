// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procpath.h"

#define AT_FDCWD_VALUE -100

int procpath_normalize(const char *in, char *out, size_t size)
{
	size_t n = 0;
	const char *p = in;

	if (!in || in[0] != '/' || size < 2)
		return -EINVAL;
	while (*p) {
		const char *start;
		size_t len;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - start);
		if (!len || (len == 1 && start[0] == '.'))
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash before the removed component */
			continue;
		}
		if (n + 1 + len + 1 > size)
			return -ENAMETOOLONG;
		out[n++] = '/';
		memcpy(out + n, start, len);
		n += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

int procpath_resolve(int pid, int dirfd, const char *path, char *out, size_t size)
{
	char link[64], base[4096], joined[8192];
	ssize_t n;

	if (path[0] == '/')
		return procpath_normalize(path, out, size);
	if (dirfd == AT_FDCWD_VALUE)
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dirfd);
	n = readlink(link, base, sizeof(base) - 1);
	if (n <= 0)
		return -ESRCH;
	base[n] = '\0';
	if (base[0] != '/')
		return -ESRCH; /* "pipe:[…]", "anon_inode:…": not a directory */
	if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", base, path) >= sizeof(joined))
		return -ENAMETOOLONG;
	return procpath_normalize(joined, out, size);
}

int procpath_from_dentries(const char *names, size_t n, char *out, size_t size)
{
	const char *parts[64];
	size_t k = 0, o = 0;

	for (size_t i = 0; i < n && names[i] && k < 64; i += strlen(names + i) + 1) {
		if (strnlen(names + i, n - i) == n - i)
			break; /* unterminated */
		parts[k++] = names + i;
	}
	if (!k)
		return -EINVAL;
	while (k--) {
		size_t len = strlen(parts[k]);

		if (o + 1 + len + 1 > size)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, parts[k], len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

/* O_PATH open of @path inside the root directory @dfd; fd or a negative errno. */
static int open_at_root(int dfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* O_PATH open of @path inside the host directory @root; fd or a negative errno. */
static int open_in_root(const char *root, const char *path)
{
	int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return -ESRCH;
	fd = open_at_root(dfd, path);
	close(dfd);
	return fd;
}

int procpath_real_in_root(int root_fd, const char *rootfs, const char *path, bool follow, char *out,
			  size_t size, struct stat *st)
{
	char dir[4096], link[64], real[4096];
	const char *base = "", *strip = NULL, *target = path;
	size_t n_strip = 0;
	ssize_t n;
	int fd, r;

	if (path[0] != '/')
		return -EINVAL;
	if (!follow) {
		const char *slash = strrchr(path, '/');
		size_t len = (size_t)(slash - path);

		if (len >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, len);
		dir[len] = '\0';
		if (!len)
			strcpy(dir, "/");
		base = slash + 1;
		target = dir;
	}
	fd = root_fd >= 0 ? open_at_root(root_fd, target) : -ESRCH;
	if (fd == -ESRCH && root_fd < 0 && rootfs) {
		fd = open_in_root(rootfs, target);
		strip = rootfs;
		n_strip = strlen(rootfs);
		while (n_strip > 1 && rootfs[n_strip - 1] == '/')
			n_strip--;
	}
	if (fd < 0)
		return fd;
	r = st && fstat(fd, st) ? -errno : 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = r ? -1 : readlink(link, real, sizeof(real) - 1);
	close(fd);
	if (r)
		return r;
	if (n <= 0)
		return -ESRCH;
	real[n] = '\0';
	/*
	 * through a process's root the kernel names it from the root of the
	 * process's mount namespace; through @rootfs from the host's root
	 */
	if (strip && n_strip > 1) {
		if (strncmp(real, strip, n_strip) || (real[n_strip] != '/' && real[n_strip]))
			return -ESRCH;
		memmove(real, real + n_strip, (size_t)n - n_strip + 1);
		if (!real[0])
			strcpy(real, "/");
	}
	if (real[0] != '/')
		return -ESRCH;
	if (follow || !base[0])
		return procpath_normalize(real, out, size);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", real, base) >= sizeof(dir))
		return -ENAMETOOLONG;
	return procpath_normalize(dir, out, size);
}

// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

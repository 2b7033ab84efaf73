/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths as another process sees them (write events, scripts): a path from a
 * syscall argument made absolute with the process's cwd or dirfd, and the
 * leaf-first dentry names the BPF side sends for mappings.
 */
#ifndef SW_PROCPATH_H
#define SW_PROCPATH_H

#include <stddef.h>

/*
 * Lexically normalize absolute @in into @out: "." components and repeated
 * slashes dropped, ".." removes the previous component (never above "/").
 * 0, -EINVAL (not absolute), -ENAMETOOLONG.
 */
int procpath_normalize(const char *in, char *out, size_t size);

/*
 * @path as process @pid passed it with @dirfd (-100: AT_FDCWD), absolute and
 * normalized in @out: relative paths are joined to readlink(/proc/PID/cwd) or
 * readlink(/proc/PID/fd/DIRFD). -ESRCH when the process (or the fd) is gone.
 */
int procpath_resolve(int pid, int dirfd, const char *path, char *out, size_t size);

/*
 * Leaf-first NUL-separated names (@n bytes, SW_EF_PATH_DENTRY) → "/a/b/c".
 * 0 or -ENAMETOOLONG / -EINVAL (no names).
 */
int procpath_from_dentries(const char *names, size_t n, char *out, size_t size);

#endif

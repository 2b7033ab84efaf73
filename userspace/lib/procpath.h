/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths as another process sees them (write events, scripts): a path from a
 * syscall argument made absolute with the process's cwd or dirfd, and the
 * leaf-first dentry names the BPF side sends for mappings.
 */
#ifndef SW_PROCPATH_H
#define SW_PROCPATH_H

#include <stdbool.h>
#include <stddef.h>

struct stat;

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

/*
 * The real path of absolute @path in a process's root, the directory fd
 * @root_fd (nsroot.h; -1 when there is none: then the host directory @rootfs,
 * NULL: none): the kernel resolves every symlink and ".." of its directories inside
 * that root (openat2 RESOLVE_IN_ROOT, O_PATH: never blocks, never opens a
 * device) and the final component too when @follow. @st (may be NULL) gets
 * fstat() of what was found (of the directory when !@follow). 0, or a
 * negative errno (-ENOENT: not there, -ESRCH: no root to look in).
 */
int procpath_real_in_root(int root_fd, const char *rootfs, const char *path, bool follow, char *out,
			  size_t size, struct stat *st);

#endif

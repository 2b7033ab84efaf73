// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attacker's syscalls for tests/integration/test_blind.sh, each one the
 * way a shell cannot do it:
 *   openat DIR NAME      openat(open(DIR), NAME, O_WRONLY|O_APPEND), append "#x"
 *   openat2 DIR NAME     the same through openat2
 *   truncate PATH        truncate(PATH, 1)
 *   ftruncate PATH       open(PATH, O_WRONLY), then ftruncate(fd, 1)
 *   renameat DIR OLD NEW [hold]  renameat(dfd, OLD, dfd, NEW); hold: then wait for EOF on stdin
 *   renameat2dirs ODIR OLD NDIR NEW  renameat(open(ODIR), OLD, open(NDIR), NEW)
 *   unlinkat DIR NAME    unlinkat(dfd, NAME, 0)
 *   mmapwrite PATH       open O_RDWR, mmap MAP_SHARED, flip one byte
 *   setcap PATH          security.capability: cap_chown permitted, effective (in podman's
 *                        bounding set: a capability outside it makes the exec fail)
 *   reopen PATH          open(PATH, O_PATH), then open("/proc/self/fd/N", O_WRONLY|O_APPEND)
 * Exits 0 when the call worked.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static int dir_fd(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		perror(dir);
	return fd;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	int fd, dfd;

	if (!strcmp(op, "openat") && argc == 4) {
		if ((dfd = dir_fd(argv[2])) < 0)
			return 1;
		fd = openat(dfd, argv[3], O_WRONLY | O_APPEND);
		return fd < 0 || write(fd, "#x", 2) != 2;
	}
	if (!strcmp(op, "openat2") && argc == 4) {
		struct open_how how = { .flags = O_WRONLY | O_APPEND };

		if ((dfd = dir_fd(argv[2])) < 0)
			return 1;
		fd = (int)syscall(SYS_openat2, dfd, argv[3], &how, sizeof(how));
		return fd < 0 || write(fd, "#x", 2) != 2;
	}
	if (!strcmp(op, "truncate") && argc == 3)
		return truncate(argv[2], 1) != 0;
	if (!strcmp(op, "ftruncate") && argc == 3) {
		fd = open(argv[2], O_WRONLY);
		return fd < 0 || ftruncate(fd, 1) != 0;
	}
	if (!strcmp(op, "renameat") && (argc == 5 || (argc == 6 && !strcmp(argv[5], "hold")))) {
		char c;

		if ((dfd = dir_fd(argv[2])) < 0 || renameat(dfd, argv[3], dfd, argv[4]))
			return 1;
		/* "hold": stay alive (dirfd open) until stdin closes */
		while (argc == 6 && read(0, &c, 1) > 0)
			;
		return 0;
	}
	if (!strcmp(op, "renameat2dirs") && argc == 6) {
		int ndfd;

		if ((dfd = dir_fd(argv[2])) < 0 || (ndfd = dir_fd(argv[4])) < 0)
			return 1;
		return renameat(dfd, argv[3], ndfd, argv[5]) != 0;
	}
	if (!strcmp(op, "unlinkat") && argc == 4) {
		if ((dfd = dir_fd(argv[2])) < 0)
			return 1;
		return unlinkat(dfd, argv[3], 0) != 0;
	}
	if (!strcmp(op, "mmapwrite") && argc == 3) {
		struct stat st;
		char *p;

		fd = open(argv[2], O_RDWR);
		if (fd < 0 || fstat(fd, &st))
			return 1;
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		p[st.st_size / 2] ^= 0x55;
		return msync(p, (size_t)st.st_size, MS_SYNC) != 0;
	}
	if (!strcmp(op, "setcap") && argc == 3) {
		/* struct vfs_cap_data, VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, little-endian */
		unsigned char cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x01 };

		return setxattr(argv[2], "security.capability", cap, sizeof(cap), 0) != 0;
	}
	if (!strcmp(op, "reopen") && argc == 3) {
		char magic[64];

		dfd = open(argv[2], O_PATH);
		if (dfd < 0)
			return 1;
		snprintf(magic, sizeof(magic), "/proc/self/fd/%d", dfd);
		fd = open(magic, O_WRONLY | O_APPEND);
		return fd < 0 || write(fd, "#x", 2) != 2;
	}
	fprintf(stderr,
		"usage: blind_tool openat|openat2|truncate|ftruncate|renameat|unlinkat|mmapwrite|setcap|reopen ...\n");
	return 2;
}

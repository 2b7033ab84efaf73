// SPDX-License-Identifier: GPL-2.0-only
/* nsroot.c: the pinned root of a process gone, through its namespace's mounts, never another root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nsroot.h"
#include "procpath.h"

/* The root key of process @pid, as the kernel's event would carry it. */
static struct nsroot_key key_of(int pid)
{
	struct nsroot_key k = { 0, 0, 0 };
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", pid);
	if (!stat(p, &st))
		k.mntns = (uint32_t)st.st_ino;
	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	if (!stat(p, &st)) {
		k.dev = (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));
		k.ino = st.st_ino;
	}
	return k;
}

/* A pid that was ours and is gone (reaped). */
static int dead_pid(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

TEST(pin_own_root)
{
	struct nsroot_key k = key_of(getpid()), other = k;
	char link[64], out[PATH_MAX];
	ssize_t n;
	int fd = nsroot_pin_pid(getpid(), &k);

	CHECK(k.mntns != 0 && k.ino != 0);
	CHECK(fd >= 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, sizeof(out) - 1);
	CHECK(n > 0);
	if (n > 0) {
		out[n] = '\0';
		CHECK_STR(out, "/");
	}
	if (fd >= 0)
		close(fd);
	/* another namespace, or another root in the same one: no root lent */
	other.mntns++;
	CHECK_INT(nsroot_pin_pid(getpid(), &other), -ESRCH);
	other = k;
	other.ino++;
	CHECK_INT(nsroot_pin_pid(getpid(), &other), -ESRCH);
	CHECK_INT(nsroot_pin_pid(dead_pid(), &k), -ESRCH);
	CHECK_INT(nsroot_pin_pid(0, &k), -ESRCH);
}

TEST(gone_process_another_with_its_root)
{
	struct nsroot_key k = key_of(getpid());
	struct nsroot *t;
	int fd;

	CHECK_INT(nsroot_new(4, &t), 0);
	/* nothing learned yet: found by the scan of /proc */
	fd = nsroot_open(t, dead_pid(), &k);
	CHECK(fd >= 0);
	CHECK(nsroot_count(t) == 1);
	if (fd >= 0)
		close(fd);
	/* learned now: no scan needed (and none allowed within the second) */
	fd = nsroot_open(t, dead_pid(), &k);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	nsroot_free(t);
}

TEST(reused_pid_never_lends_its_root)
{
	struct nsroot_key k = key_of(getpid()), other = k;
	struct nsroot *t;

	other.mntns ^= 0x5a5a5a;
	CHECK_INT(nsroot_new(4, &t), 0);
	/* the table says our pid stands for @other: it is not in @other */
	nsroot_learn(t, &other, getpid());
	CHECK(nsroot_count(t) == 1);
	nsroot_open(t, dead_pid(), &k); /* (uses up this second's scan) */
	CHECK_INT(nsroot_open(t, dead_pid(), &other), -ESRCH);
	CHECK(nsroot_count(t) == 1); /* dropped; k learned by the scan remains */
	nsroot_free(t);
}

TEST(full_table_gives_up_slots)
{
	struct nsroot_key a = { 1, 1, 1 }, b = { 2, 1, 1 }, c = { 3, 1, 1 };
	struct nsroot *t;

	CHECK_INT(nsroot_new(2, &t), 0);
	nsroot_learn(t, &a, 1);
	nsroot_learn(t, &b, 1);
	nsroot_learn(t, &b, 5); /* known: kept */
	nsroot_learn(t, &c, 1);
	CHECK(nsroot_count(t) == 2);
	nsroot_free(t);
}

/*
 * A process in its own mount namespace with a bind mount over a file, and
 * one chrooted beside it: through the pinned root a path leads to the file
 * as that process saw it; through the host directory to the file underneath.
 */
TEST(through_the_namespace_mounts)
{
	char dir[] = "/tmp/sw-unit-nsroot.XXXXXX", a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
	struct stat sa, sb, st;
	int go[2], ready[2], fd, status;
	struct nsroot_key k, chrooted;
	struct nsroot *t;
	pid_t child, cchild;
	char c = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	fd = open(a, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "a", 1) == 1);
	close(fd);
	fd = open(b, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "bb", 2) == 2);
	close(fd);
	CHECK(!stat(a, &sa) && !stat(b, &sb));
	CHECK(pipe(go) == 0 && pipe(ready) == 0);
	child = fork();
	if (!child) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(b, a, NULL, MS_BIND, NULL))
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	cchild = fork(); /* same namespace as ours, another root */
	if (!cchild) {
		if (chroot(dir) || write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	k = key_of(child);
	chrooted = key_of(cchild);
	CHECK_INT(nsroot_new(0, &t), 0);
	nsroot_learn(t, &k, child);
	nsroot_learn(t, &chrooted, cchild);
	fd = nsroot_open(t, dead_pid(), &k);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(procpath_real_in_root(fd, NULL, a, true, out, sizeof(out), &st), 0);
		CHECK_STR(out, a);
		CHECK(st.st_ino == sb.st_ino); /* the mounted file */
		close(fd);
	}
	CHECK_INT(procpath_real_in_root(-1, "/", a, true, out, sizeof(out), &st), 0);
	CHECK(st.st_ino == sa.st_ino); /* the host's view: the file underneath */
	/* the chrooted process's root: "/a" there is our dir's a */
	fd = nsroot_open(t, dead_pid(), &chrooted);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(procpath_real_in_root(fd, NULL, "/a", true, out, sizeof(out), &st), 0);
		CHECK(st.st_ino == sa.st_ino);
		close(fd);
	}
	CHECK(write(go[1], "gg", 2) == 2);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	waitpid(cchild, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the namespace is gone with its last process: no root */
	CHECK_INT(nsroot_open(t, dead_pid(), &k), -ESRCH);
	nsroot_free(t);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	RUN(pin_own_root);
	RUN(gone_process_another_with_its_root);
	RUN(reused_pid_never_lends_its_root);
	RUN(full_table_gives_up_slots);
	if (getuid() == 0)
		RUN(through_the_namespace_mounts);
	else
		printf("SKIP: unit/test_nsroot.c/through_the_namespace_mounts — needs root\n");
	return check_exit();
}

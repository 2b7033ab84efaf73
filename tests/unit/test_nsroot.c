// SPDX-License-Identifier: GPL-2.0-only
/* nsroot.c: the pinned root of a mount namespace, through its mounts, never a reused pid's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nsroot.h"
#include "procpath.h"

static uint32_t mntns_of(int pid)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", pid);
	return stat(p, &st) ? 0 : (uint32_t)st.st_ino;
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
	uint32_t ns = mntns_of(getpid());
	char link[64], out[PATH_MAX];
	ssize_t n;
	int fd = nsroot_pin_pid(getpid(), ns);

	CHECK(ns != 0);
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
	/* another namespace than the process's: no root lent */
	CHECK_INT(nsroot_pin_pid(getpid(), ns + 1), -ESRCH);
	CHECK_INT(nsroot_pin_pid(dead_pid(), ns), -ESRCH);
	CHECK_INT(nsroot_pin_pid(0, ns), -ESRCH);
}

TEST(gone_process_another_of_its_namespace)
{
	struct nsroot *t;
	uint32_t ns = mntns_of(getpid());
	int fd;

	CHECK_INT(nsroot_new(4, &t), 0);
	/* nothing learned yet: found by the scan of /proc */
	fd = nsroot_open(t, dead_pid(), ns);
	CHECK(fd >= 0);
	CHECK(nsroot_count(t) == 1);
	if (fd >= 0)
		close(fd);
	/* learned now: no scan needed (and none allowed within the second) */
	fd = nsroot_open(t, dead_pid(), ns);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	nsroot_free(t);
}

TEST(reused_pid_never_lends_its_root)
{
	struct nsroot *t;
	uint32_t ns = mntns_of(getpid()), other = ns ^ 0x5a5a5a;

	CHECK_INT(nsroot_new(4, &t), 0);
	/* the table says our pid stands for @other: it is not in @other */
	nsroot_learn(t, other, getpid());
	CHECK(nsroot_count(t) == 1);
	nsroot_open(t, dead_pid(), ns); /* (uses up this second's scan) */
	CHECK_INT(nsroot_open(t, dead_pid(), other), -ESRCH);
	CHECK(nsroot_count(t) == 1); /* dropped; ns learned by the scan remains */
	nsroot_free(t);
}

TEST(full_table_gives_up_slots)
{
	struct nsroot *t;

	CHECK_INT(nsroot_new(2, &t), 0);
	nsroot_learn(t, 1, 1);
	nsroot_learn(t, 2, 1);
	nsroot_learn(t, 2, 5); /* known: kept */
	nsroot_learn(t, 3, 1);
	CHECK(nsroot_count(t) == 2);
	nsroot_free(t);
}

/*
 * A namespace whose bind mount covers a file: through the pinned root the
 * path leads to the mounted file, as the process saw it; through the host
 * directory to the file underneath.
 */
TEST(through_the_namespace_mounts)
{
	char dir[] = "/tmp/sw-unit-nsroot.XXXXXX", a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
	struct stat sa, sb, st;
	int go[2], ready[2], fd, status;
	struct nsroot *t;
	pid_t child;
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
	CHECK_INT(nsroot_new(0, &t), 0);
	nsroot_learn(t, mntns_of(child), child);
	fd = nsroot_open(t, dead_pid(), mntns_of(child));
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(procpath_real_in_root(fd, NULL, a, true, out, sizeof(out), &st), 0);
		CHECK_STR(out, a);
		CHECK(st.st_ino == sb.st_ino); /* the mounted file */
		close(fd);
	}
	CHECK_INT(procpath_real_in_root(-1, "/", a, true, out, sizeof(out), &st), 0);
	CHECK(st.st_ino == sa.st_ino); /* the host's view: the file underneath */
	CHECK(write(go[1], "g", 1) == 1);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the namespace is gone with its last process: no root */
	CHECK_INT(nsroot_open(t, dead_pid(), mntns_of(getpid()) ^ 1), -ESRCH);
	nsroot_free(t);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	RUN(pin_own_root);
	RUN(gone_process_another_of_its_namespace);
	RUN(reused_pid_never_lends_its_root);
	RUN(full_table_gives_up_slots);
	if (getuid() == 0)
		RUN(through_the_namespace_mounts);
	else
		printf("SKIP: unit/test_nsroot.c/through_the_namespace_mounts — needs root\n");
	return check_exit();
}

// SPDX-License-Identifier: GPL-2.0-only
/* nsroot.c: a live process's root per mount namespace, pinned (nsroot.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsroot.h"

#define NSROOT_DEFAULT_CAP 1024
#define NSROOT_SCAN_MAX 65536 /* /proc entries looked at by one scan */

struct nsroot_ent {
	uint32_t mntns;
	int pid;
};

struct nsroot {
	struct nsroot_ent *ents;
	size_t cap, n, next; /* next: the slot a full table gives up */
	time_t last_scan; /* CLOCK_MONOTONIC seconds of the last scan on a miss */
};

int nsroot_new(size_t cap, struct nsroot **ret)
{
	struct nsroot *t = calloc(1, sizeof(*t));

	if (!cap)
		cap = NSROOT_DEFAULT_CAP;
	if (t)
		t->ents = calloc(cap, sizeof(*t->ents));
	if (!t || !t->ents) {
		free(t);
		return -ENOMEM;
	}
	t->cap = cap;
	t->last_scan = -1;
	*ret = t;
	return 0;
}

void nsroot_free(struct nsroot *t)
{
	if (!t)
		return;
	free(t->ents);
	free(t);
}

size_t nsroot_count(const struct nsroot *t)
{
	return t->n;
}

/* The mount namespace of the process whose /proc directory is @pfd; 0 when gone. */
static uint32_t mntns_at(int pfd)
{
	struct stat st;

	return fstatat(pfd, "ns/mnt", &st, 0) ? 0 : (uint32_t)st.st_ino;
}

int nsroot_pin_pid(int pid, uint32_t mntns)
{
	char dir[32];
	int pfd, fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	/* the directory holds that very process: a reused pid is another directory */
	pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -ESRCH;
	fd = -ESRCH;
	if (!mntns || mntns_at(pfd) == mntns) {
		fd = openat(pfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -ESRCH;
		/* it may have changed namespace in between: then the root proves nothing */
		else if (mntns && mntns_at(pfd) != mntns) {
			close(fd);
			fd = -ESRCH;
		}
	}
	close(pfd);
	return fd;
}

static struct nsroot_ent *find(struct nsroot *t, uint32_t mntns)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ents[i].mntns == mntns)
			return &t->ents[i];
	return NULL;
}

static void drop(struct nsroot *t, struct nsroot_ent *e)
{
	*e = t->ents[--t->n];
}

void nsroot_learn(struct nsroot *t, uint32_t mntns, int pid)
{
	if (!mntns || pid <= 0 || find(t, mntns))
		return;
	if (t->n < t->cap) {
		t->ents[t->n++] = (struct nsroot_ent){ mntns, pid };
		return;
	}
	/* full: namespaces come and go; give up slots in turn */
	t->ents[t->next] = (struct nsroot_ent){ mntns, pid };
	t->next = (t->next + 1) % t->cap;
}

/* /proc's processes in turn: @fn(pid, its mntns) until it returns true. */
static void scan_proc(bool (*fn)(void *ctx, int pid, uint32_t mntns), void *ctx)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t seen = 0;

	if (!dir)
		return;
	while ((de = readdir(dir)) && seen++ < NSROOT_SCAN_MAX) {
		char path[48];
		struct stat st;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", de->d_name);
		if (stat(path, &st))
			continue;
		if (fn(ctx, atoi(de->d_name), (uint32_t)st.st_ino))
			break;
	}
	closedir(dir);
}

static bool seed_one(void *ctx, int pid, uint32_t mntns)
{
	nsroot_learn(ctx, mntns, pid);
	return false;
}

size_t nsroot_seed(struct nsroot *t)
{
	size_t before = t->n;

	scan_proc(seed_one, t);
	return t->n - before;
}

struct scan_for {
	uint32_t mntns;
	int pid;
};

static bool found_one(void *ctx, int pid, uint32_t mntns)
{
	struct scan_for *s = ctx;

	if (mntns != s->mntns)
		return false;
	s->pid = pid;
	return true;
}

static time_t monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int nsroot_open(struct nsroot *t, int pid, uint32_t mntns)
{
	struct nsroot_ent *e;
	struct scan_for s = { mntns, 0 };
	int fd = nsroot_pin_pid(pid, mntns);
	time_t now;

	if (fd >= 0) {
		nsroot_learn(t, mntns, pid);
		return fd;
	}
	if (!mntns)
		return -ESRCH;
	e = find(t, mntns);
	if (e) {
		fd = nsroot_pin_pid(e->pid, mntns);
		if (fd >= 0)
			return fd;
		drop(t, e); /* that one is gone too */
	}
	now = monotonic_sec();
	if (t->last_scan >= 0 && now - t->last_scan < 1)
		return -ESRCH;
	t->last_scan = now;
	scan_proc(found_one, &s);
	if (!s.pid)
		return -ESRCH;
	fd = nsroot_pin_pid(s.pid, mntns);
	if (fd >= 0)
		nsroot_learn(t, mntns, s.pid);
	return fd;
}

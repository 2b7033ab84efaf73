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
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "nsroot.h"

#define NSROOT_DEFAULT_CAP 1024
#define NSROOT_SCAN_MAX 65536 /* /proc entries looked at by one scan */

struct nsroot_ent {
	struct nsroot_key key;
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

static bool key_eq(const struct nsroot_key *a, const struct nsroot_key *b)
{
	return a->mntns == b->mntns && a->dev == b->dev && a->ino == b->ino;
}

static bool key_any(const struct nsroot_key *k)
{
	return !k->mntns && !k->dev && !k->ino;
}

/* The root of the process whose /proc directory is @pfd, in *@key; false when gone. */
static bool key_at(int pfd, struct nsroot_key *key)
{
	struct stat ns, root;

	if (fstatat(pfd, "ns/mnt", &ns, 0) || fstatat(pfd, "root", &root, 0))
		return false;
	key->mntns = (uint32_t)ns.st_ino;
	key->dev = (uint32_t)(major(root.st_dev) << 20 | minor(root.st_dev));
	key->ino = (uint64_t)root.st_ino;
	return true;
}

int nsroot_pin_pid(int pid, const struct nsroot_key *key)
{
	struct nsroot_key now;
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
	if (key_any(key) || (key_at(pfd, &now) && key_eq(&now, key))) {
		fd = openat(pfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -ESRCH;
		/* it may have changed root or namespace in between: then it proves nothing */
		else if (!key_any(key) && (!key_at(pfd, &now) || !key_eq(&now, key))) {
			close(fd);
			fd = -ESRCH;
		}
	}
	close(pfd);
	return fd;
}

static struct nsroot_ent *find(struct nsroot *t, const struct nsroot_key *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (key_eq(&t->ents[i].key, key))
			return &t->ents[i];
	return NULL;
}

static void drop(struct nsroot *t, struct nsroot_ent *e)
{
	*e = t->ents[--t->n];
}

void nsroot_learn(struct nsroot *t, const struct nsroot_key *key, int pid)
{
	if (key_any(key) || pid <= 0 || find(t, key))
		return;
	if (t->n < t->cap) {
		t->ents[t->n++] = (struct nsroot_ent){ *key, pid };
		return;
	}
	/* full: roots come and go; give up slots in turn */
	t->ents[t->next] = (struct nsroot_ent){ *key, pid };
	t->next = (t->next + 1) % t->cap;
}

/* /proc's processes in turn: @fn(pid, its root) until it returns true. */
static void scan_proc(bool (*fn)(void *ctx, int pid, const struct nsroot_key *key), void *ctx)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t seen = 0;

	if (!dir)
		return;
	while ((de = readdir(dir)) && seen++ < NSROOT_SCAN_MAX) {
		struct nsroot_key key;
		int pfd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pfd = openat(dirfd(dir), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		if (key_at(pfd, &key) && fn(ctx, atoi(de->d_name), &key)) {
			close(pfd);
			break;
		}
		close(pfd);
	}
	closedir(dir);
}

static bool seed_one(void *ctx, int pid, const struct nsroot_key *key)
{
	nsroot_learn(ctx, key, pid);
	return false;
}

size_t nsroot_seed(struct nsroot *t)
{
	size_t before = t->n;

	scan_proc(seed_one, t);
	return t->n - before;
}

struct scan_for {
	struct nsroot_key key; /* what is looked for; the root found when any_root */
	bool any_root; /* the namespace only */
	int pid;
};

static bool found_one(void *ctx, int pid, const struct nsroot_key *key)
{
	struct scan_for *s = ctx;

	if (s->any_root ? key->mntns != s->key.mntns : !key_eq(key, &s->key))
		return false;
	s->key = *key;
	s->pid = pid;
	return true;
}

static time_t monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * On a miss: a process of @s->key in /proc, learned; at most one scan a
 * second (a flood of misses costs one bounded scan). Its pid, or 0.
 */
static int scan_miss(struct nsroot *t, struct scan_for *s)
{
	time_t now = monotonic_sec();

	if (t->last_scan >= 0 && now - t->last_scan < 1)
		return 0;
	t->last_scan = now;
	scan_proc(found_one, s);
	if (s->pid)
		nsroot_learn(t, &s->key, s->pid);
	return s->pid;
}

int nsroot_open(struct nsroot *t, int pid, const struct nsroot_key *key)
{
	struct nsroot_ent *e;
	struct scan_for s = { *key, false, 0 };
	int fd = nsroot_pin_pid(pid, key);

	if (fd >= 0) {
		nsroot_learn(t, key, pid);
		return fd;
	}
	if (key_any(key))
		return -ESRCH;
	e = find(t, key);
	if (e) {
		fd = nsroot_pin_pid(e->pid, key);
		if (fd >= 0)
			return fd;
		drop(t, e); /* that one is gone too */
	}
	return scan_miss(t, &s) ? nsroot_pin_pid(s.pid, key) : -ESRCH;
}

int nsroot_pid_of(struct nsroot *t, uint32_t mntns)
{
	struct scan_for s = { { mntns, 0, 0 }, true, 0 };

	if (!mntns)
		return 0;
	for (size_t i = 0; i < t->n;) {
		struct nsroot_ent *e = &t->ents[i];
		int fd;

		if (e->key.mntns != mntns) {
			i++;
			continue;
		}
		fd = nsroot_pin_pid(e->pid, &e->key);
		if (fd >= 0) {
			close(fd);
			return e->pid;
		}
		drop(t, e); /* gone: the slot now holds another entry, look at it */
	}
	return scan_miss(t, &s);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The root of a mount namespace, pinned: an O_PATH directory fd of the root
 * of a live process in that namespace. A file named by an event is looked up
 * through it as the event's process saw it — across that namespace's mounts
 * (a bind mount over an image path, a volume) — even when the process itself
 * exited at once. The host's view of a container's rootfs (its overlay
 * merged dir) has none of those mounts.
 *
 * A root is told by its mount namespace and its directory (a chroot in the
 * same namespace is another root). Which process stands for one is learned
 * from events whose process was alive, seeded from /proc at start, and
 * searched for in /proc on a miss (at most once per second: a tenant's flood
 * of exiting processes costs the event loop one bounded scan a second). A
 * pid is trusted only through a /proc/PID directory fd whose ns/mnt and root
 * are the ones asked for, so a reused pid never lends another root.
 */
#ifndef SW_NSROOT_H
#define SW_NSROOT_H

#include <stddef.h>
#include <stdint.h>

struct nsroot;

/* A process's root: its mount namespace (inode number) and root directory. */
struct nsroot_key {
	uint32_t mntns;
	uint32_t dev; /* kernel encoding: MAJOR << 20 | MINOR */
	uint64_t ino;
};

/* A table of at most @cap namespaces (0: a default). 0 or -ENOMEM. */
int nsroot_new(size_t cap, struct nsroot **ret);
void nsroot_free(struct nsroot *t);

/*
 * The root of process @pid when it is still @key's (a key of zeros: any),
 * pinned. fd, or -ESRCH.
 */
int nsroot_pin_pid(int pid, const struct nsroot_key *key);

/* Remember that @pid (alive now) has root @key, if the root has no one yet. */
void nsroot_learn(struct nsroot *t, const struct nsroot_key *key, int pid);

/*
 * The root @key of event process @pid: its own while it lives, else that of
 * another live process with the same root. fd, or -ESRCH.
 */
int nsroot_open(struct nsroot *t, int pid, const struct nsroot_key *key);

/*
 * A live process of mount namespace @mntns (any root): one learned, else
 * found in /proc (at most one scan a second). Its pid, or 0.
 */
int nsroot_pid_of(struct nsroot *t, uint32_t mntns);

/* Learn one process of every root from /proc (at start). Roots learned. */
size_t nsroot_seed(struct nsroot *t);

/* Roots known now. */
size_t nsroot_count(const struct nsroot *t);

#endif

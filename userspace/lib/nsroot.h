/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The root of a mount namespace, pinned: an O_PATH directory fd of the root
 * of a live process in that namespace. A file named by an event is looked up
 * through it as the event's process saw it — across that namespace's mounts
 * (a bind mount over an image path, a volume) — even when the process itself
 * exited at once. The host's view of a container's rootfs (its overlay
 * merged dir) has none of those mounts.
 *
 * Which process stands for a namespace is learned from events whose process
 * was alive, seeded from /proc at start, and searched for in /proc on a miss
 * (at most once per second: a tenant's flood of exiting processes costs the
 * event loop one bounded scan a second). A pid is trusted only through a
 * /proc/PID directory fd whose ns/mnt is the namespace asked for, so a
 * reused pid never lends another namespace's root.
 */
#ifndef SW_NSROOT_H
#define SW_NSROOT_H

#include <stddef.h>
#include <stdint.h>

struct nsroot;

/* A table of at most @cap namespaces (0: a default). 0 or -ENOMEM. */
int nsroot_new(size_t cap, struct nsroot **ret);
void nsroot_free(struct nsroot *t);

/*
 * The root of process @pid when it still lives in mount namespace @mntns
 * (inode number; 0: any), pinned. fd, or -ESRCH.
 */
int nsroot_pin_pid(int pid, uint32_t mntns);

/* Remember that @pid (alive now) is in @mntns, if the namespace has no one yet. */
void nsroot_learn(struct nsroot *t, uint32_t mntns, int pid);

/*
 * The root of event process @pid in @mntns: its own while it lives, else
 * that of another live process of the namespace. fd, or -ESRCH.
 */
int nsroot_open(struct nsroot *t, int pid, uint32_t mntns);

/* Learn one process of every namespace from /proc (at start). Namespaces learned. */
size_t nsroot_seed(struct nsroot *t);

/* Namespaces known now. */
size_t nsroot_count(const struct nsroot *t);

#endif

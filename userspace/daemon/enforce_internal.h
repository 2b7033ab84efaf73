/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enforce_internal.h: the fanotify backend's state, shared by enforce.c
 * (threads, set-up), enforce_decide.c (one decision) and enforce_watchdog.c
 * (the watchdog process). Private to daemon/ (docs/enforce.md).
 */
#ifndef SW_ENFORCE_INTERNAL_H
#define SW_ENFORCE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/fanotify.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "enforce.h"
#include "policy.h"

struct bstore_baseline;
struct content_hash;
struct resolver;
struct sw_error;
struct vcache;

#define ENFORCE_SLOTS 1024 /* permission events held at once; more: fallback at once */
#define ENFORCE_TICK_MS 5 /* the deadline thread's period, and the heartbeat's */
#define ENFORCE_WATCHDOG_POLL_MS 20
#define ENFORCE_MAX_MARKS 8
#define ENFORCE_LAT_BUCKETS 12
#define ENFORCE_SCOPE_CACHE 256 /* mount namespaces whose scope is known */

#ifndef NS_GET_MNTNS_ID /* linux/nsfs.h of 6.8+: a mount namespace's 64-bit id, never reused */
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

enum answered_by {
	BY_NONE,
	BY_DECIDER,
	BY_DEADLINE,
	BY_WATCHDOG,
};

/* One permission event held until it is answered and its verdict reported. */
struct slot {
	bool in_use;
	int fd; /* the event's fd: the exact file */
	pid_t pid;
	uint64_t mask;
	uint64_t t0_ns; /* CLOCK_MONOTONIC when read */
	uint64_t boot_ns; /* CLOCK_BOOTTIME when read (the report's latency) */
	uint64_t mntns_id; /* the reader's reading, 0: unknown */
	enum answered_by by;
	enum sw_decision taken; /* what was answered */
	bool picked; /* a decider has it */
	bool scoped; /* mode/strict below are the event's scope's */
	enum sw_mode mode;
	bool strict;
};

/*
 * Shared with the watchdog process (MAP_SHARED): the daemon's heartbeat and
 * the event fds it holds, so that the watchdog can answer them when the
 * daemon stops answering.
 */
struct enforce_shared {
	uint64_t heartbeat_ms; /* CLOCK_MONOTONIC ms, written by the deadline thread */
	uint32_t deadline_ms;
	int32_t stop;
	uint64_t answered; /* events the watchdog answered */
	int32_t fds[ENFORCE_SLOTS]; /* -1: free */
};

struct enforce {
	struct daemon *d;
	int fan_fd, stop_fd;
	int life[2]; /* the watchdog reads [0]; [1], ours, closes when we exit */
	pid_t self, watchdog;
	struct enforce_shared *sh;
	pthread_mutex_t lock; /* slots, queue, policy, store, answers */
	pthread_cond_t cond;
	bool stopping;
	struct slot slots[ENFORCE_SLOTS];
	int free_list[ENFORCE_SLOTS];
	size_t n_free;
	int queue[ENFORCE_SLOTS]; /* FIFO of slot indices for the deciders */
	size_t q_head, q_count;
	struct sw_policy policy;
	struct sw_bstore *store;
	struct vcache *cache; /* this backend's own: reset with the store */
	pthread_mutex_t resolver_lock;
	struct resolver *resolver; /* this backend's own (resolvers are not thread-safe) */
	bool image_mismatch, libraries;
	__u32 host_mntns, host_userns;
	char storage_roots[3][PATH_MAX];
	pthread_t reader, deadline, *deciders;
	unsigned int n_deciders;
	bool reader_started, deadline_started;
	/*
	 * mount namespace id → its scope, filled by the deciders: the reader
	 * answers a verified file of a known container (decision cache hit) at
	 * once, without a hand-off. Cleared with the store and the policy.
	 */
	struct scope_entry {
		uint64_t mntns_id; /* 0: free */
		enum sw_mode mode;
		bool strict;
		const struct bstore_baseline *bl; /* in e->store */
	} scopes[ENFORCE_SCOPE_CACHE];
	unsigned int scope_next;
	struct enforce_stats stats; /* atomics */
	uint64_t lat[ENFORCE_LAT_BUCKETS + 1]; /* atomics; the last: +Inf */
	uint64_t lat_sum_us;
};

static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* Write one answer; false when the kernel no longer holds the event (answered elsewhere). */
static inline bool respond(int fan_fd, int fd, bool allow)
{
	struct fanotify_response r = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	return write(fan_fd, &r, sizeof(r)) == (ssize_t)sizeof(r);
}

/* enforce.c */
bool enforce_answer_locked(struct enforce *e, int i, enum sw_decision dec, enum answered_by by);

/* enforce_decide.c */
__u32 enforce_ns_inode(pid_t pid, const char *ns);
uint64_t enforce_mntns_id(pid_t pid);
/* Decide slot @i (a decider thread): scope, baseline, verdict, policy; answer; report. */
void enforce_decide(struct enforce *e, int i, struct content_hash *ch);
/* The reader's fast path: a verified file of a known container. */
bool enforce_cached_ok(struct enforce *e, const struct fanotify_event_metadata *m, uint64_t ns_id);

/* enforce_watchdog.c: fork the watchdog process (after the group exists). */
int enforce_watchdog_start(struct enforce *e, struct sw_error *err);

#endif

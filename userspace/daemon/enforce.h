/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prevention by baseline, fanotify backend (docs/enforce.md): permission
 * events (FAN_OPEN_EXEC_PERM, and FAN_OPEN_PERM for shared objects with
 * enforce_libraries) on the filesystems that hold the host and the runtimes'
 * storage; each is decided by the policy core (verify/policy.h) on the
 * verdict of the exact file the event's fd is, and answered within the
 * decision deadline.
 *
 * Threads: a reader (reads the fanotify fd, answers what needs no decision:
 * the daemon itself, monitor-mode host processes), deciders (scope, cache,
 * hash, decide, answer), a deadline thread (answers what is overdue with the
 * scope's fallback). Outputs are the sinks' own queues: a slow sink never
 * holds a decision. A watchdog process (fork()ed at start) shares the
 * fanotify group: when the daemon stops answering (SIGSTOP, a hang) it
 * answers pending and new events with allow until the daemon answers again.
 */
#ifndef SW_ENFORCE_H
#define SW_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct enforce;
struct sw_bstore;
struct sw_error;
struct sw_policy;

/* Start the backend (prevent_start() in prevent.c decides whether, and which); no-op when it runs. */
int enforce_start(struct daemon *d, struct sw_error *err);
/* Stop: pending events are answered (allow), the fanotify group closed. NULL ok. */
void enforce_stop(struct enforce *e);
/* The deadline thread ran recently (the systemd watchdog is fed only then); true without a backend. */
bool enforce_alive(struct enforce *e);
/* A new baseline store (reload): the decision cache is cleared. */
void enforce_set_store(struct enforce *e, struct sw_bstore *s);
/* A new policy (reload). */
void enforce_set_policy(struct enforce *e, const struct sw_policy *p);
/* Once a second: the counters and the decision latency histogram into the metrics. */
void enforce_sample_metrics(struct enforce *e);
/* The HELP/TYPE of the enforce metric families (once, at start). */
void enforce_describe_metrics(void);

struct enforce_stats {
	uint64_t events; /* permission events read */
	uint64_t decided; /* answered after a decision (not the fast path) */
	uint64_t allowed, denied, would_deny;
	uint64_t fallbacks; /* answered by the deadline thread or a full queue */
	uint64_t watchdog; /* answered by the watchdog process */
	uint64_t cached; /* allowed by the reader from the decision cache */
};
void enforce_stats(struct enforce *e, struct enforce_stats *out);

#endif

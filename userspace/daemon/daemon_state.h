/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's loss record (--state-file): once a second the counters of
 * what is not yet safe — events waiting in the outputs, hash jobs waiting —
 * and of what was dropped, written atomically; "clean": true at a clean stop.
 * A kill -9 or a crash leaves a record without it: the next start reports
 * what the previous run may have lost (a previous_run_lost alert).
 */
#ifndef SW_DAEMON_STATE_H
#define SW_DAEMON_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct sw_error;

struct daemon_state {
	int64_t pid;
	int64_t started; /* Unix seconds */
	int64_t updated; /* Unix seconds of this record */
	uint64_t undelivered; /* events in the outputs' queues and batches */
	uint64_t hash_pending; /* hash jobs not yet decided */
	uint64_t sink_dropped; /* events the outputs dropped since start */
	uint64_t kernel_lost; /* events lost in the kernel since start */
	bool clean;
};

/* Write @st to @path (temporary file + rename, mode 0600). */
int daemon_state_save(const char *path, const struct daemon_state *st, struct sw_error *err);
/* Read @path; -ENOENT when there is none, -EBADMSG when malformed. */
int daemon_state_load(const char *path, struct daemon_state *st, struct sw_error *err);
/*
 * At start: the previous record, as a previous_run_lost alert line (malloc'd)
 * when it did not end clean, else NULL.
 */
char *daemon_state_previous_report(const char *path);

#endif

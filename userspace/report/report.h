/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way out for everything the daemon concludes (docs/architecture.md):
 * a verdict becomes one ECS event (ecs.h), is counted in the report's stats
 * and, unless it is an "ok" nobody asked for, handed to the outputs (sink.h).
 * Thread-safe: the event loop and the hash workers report at the same time.
 * Metrics are sampled from report_stats(), never pushed from here.
 */
#ifndef SW_REPORT_H
#define SW_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "ecs.h"
#include "verdict.h"

struct json_t;
struct sw_sinks;

/* The event.action values of verdicts, in a fixed order for the stats. */
enum report_action {
	REPORT_ACTION_EXEC,
	REPORT_ACTION_EXEC_SCRIPT,
	REPORT_ACTION_MMAP_EXEC,
	REPORT_ACTION_SCRIPT_OPEN,
	REPORT_ACTION_READ_OPEN,
	REPORT_ACTION_OPEN_WRITE,
	REPORT_ACTION_UNLINK,
	REPORT_ACTION_RENAME,
	REPORT_ACTION_TRUNCATE,
	REPORT_ACTION_IMAGE_MISMATCH,
	REPORT_ACTION__COUNT,
};

/* The daemon's own alerts (event.kind "alert" of ecs_daemon_json). */
enum report_alert {
	REPORT_ALERT_EVENTS_LOST,
	REPORT_ALERT_BASELINE_REFUSED,
	REPORT_ALERT_CONFIG_ERROR,
	REPORT_ALERT_PROFILE_REFUSED,
	REPORT_ALERT__COUNT,
};

struct report_stats {
	uint64_t verdicts[REPORT_ACTION__COUNT][SW_VERDICT__COUNT];
	uint64_t alerts[REPORT_ALERT__COUNT];
	uint64_t folded; /* repeats of a finding folded into a summary, not emitted */
	uint64_t summaries; /* summary events emitted */
};

struct report;

/* @sinks stays the caller's. */
int report_new(struct sw_sinks *sinks, bool all_events, struct report **ret);
void report_free(struct report *r);
/* Emit ok verdicts too (config reload); takes effect for the next verdict. */
void report_set_all_events(struct report *r, bool all_events);

/*
 * Folding (docs/events.md, "Repeats"): the first occurrence of a finding
 * (same container, file, action, verdict, content hash, reason) is emitted at
 * once; its repeats within @window_s seconds are counted, and emitted as one
 * summary event (the last repeat with sealwatch.repeats.count) when the
 * window closes. 0: off, every verdict emitted. ok verdicts are never folded.
 */
void report_set_fold_window(struct report *r, unsigned int window_s);
/* Emit the summaries of the windows that closed (@all: every open one, at exit). */
void report_fold_flush(struct report *r, bool all);

/*
 * Verdict → ECS event → count → sinks. @x->severity is used as given: take
 * it from verdict_severity() unless a policy says otherwise (no_baseline).
 */
void report_verdict(struct report *r, const struct ecs_exec *x);

/*
 * A daemon event (start, stop, baselines_loaded, events_lost, …): event.kind
 * @kind ("event" or "alert"), @extra (may be NULL, stolen) under "sealwatch".
 */
void report_daemon(struct report *r, const char *kind, const char *action, int severity,
		   struct json_t *extra, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

void report_stats(struct report *r, struct report_stats *out);
/*
 * The @q quantile (0.99) of the latency from the kernel's event to the
 * emitted verdict event over the run, in seconds (a bucket's upper bound: at
 * most 12.5 % high), and how many events it covers.
 */
void report_latency(struct report *r, double q, uint64_t *ret_count, double *ret_seconds);
const char *report_action_name(enum report_action a);
const char *report_alert_name(enum report_alert a);

#endif

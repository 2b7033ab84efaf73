// SPDX-License-Identifier: GPL-2.0-only
/* report.c: verdict → ECS event → count → sinks (report.h). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ecs.h"
#include "events.h"
#include "fold.h"
#include "report.h"
#include "sink.h"

/*
 * Verdict latency (exec in the kernel → event emitted), for every emitted
 * verdict event: a log-linear histogram of microseconds, 8 buckets per power
 * of two (at most 12.5 % high), over the whole run.
 */
#define LAT_SUB 8
#define LAT_OCTAVES 40
#define LAT_BUCKETS (LAT_OCTAVES * LAT_SUB)

struct report {
	struct sw_sinks *sinks;
	bool all_events;
	struct report_stats stats; /* updated with atomics */
	uint64_t latency[LAT_BUCKETS]; /* updated with atomics */
	pthread_mutex_t fold_lock;
	struct fold *fold; /* NULL: folding off */
};

static unsigned int latency_bucket(uint64_t us)
{
	unsigned int octave, sub;

	if (us < LAT_SUB)
		return (unsigned int)us;
	octave = 63 - (unsigned int)__builtin_clzll(us); /* >= 3 */
	sub = (unsigned int)(us >> (octave - 3)) & (LAT_SUB - 1);
	return octave - 2 >= LAT_OCTAVES ? LAT_BUCKETS - 1 : (octave - 2) * LAT_SUB + sub;
}

/* The upper bound (microseconds) of bucket @i. */
static uint64_t latency_bound(unsigned int i)
{
	unsigned int octave = i / LAT_SUB + 2, sub = i % LAT_SUB;

	if (i < LAT_SUB)
		return i + 1;
	return ((uint64_t)(LAT_SUB + sub + 1)) << (octave - 3);
}

static void latency_note(struct report *r, const struct sw_exec_event *ev)
{
	struct timespec now;
	uint64_t ns;

	if (!ev || !ev->boot_ns || clock_gettime(CLOCK_BOOTTIME, &now))
		return;
	ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	if (ns < ev->boot_ns)
		return;
	__atomic_add_fetch(&r->latency[latency_bucket((ns - ev->boot_ns) / 1000)], 1,
			   __ATOMIC_RELAXED);
}

void report_latency(struct report *r, double q, uint64_t *ret_count, double *ret_seconds)
{
	uint64_t total = 0, seen = 0, want;

	for (unsigned int i = 0; i < LAT_BUCKETS; i++)
		total += __atomic_load_n(&r->latency[i], __ATOMIC_RELAXED);
	*ret_count = total;
	*ret_seconds = 0;
	if (!total)
		return;
	want = (uint64_t)(q * (double)total + 0.999999);
	for (unsigned int i = 0; i < LAT_BUCKETS; i++) {
		seen += __atomic_load_n(&r->latency[i], __ATOMIC_RELAXED);
		if (seen >= want) {
			*ret_seconds = (double)latency_bound(i) / 1e6;
			return;
		}
	}
}

static const char *const action_names[REPORT_ACTION__COUNT] = {
	[REPORT_ACTION_EXEC] = "exec",		 [REPORT_ACTION_EXEC_SCRIPT] = "exec_script",
	[REPORT_ACTION_MMAP_EXEC] = "mmap_exec", [REPORT_ACTION_SCRIPT_OPEN] = "script_open",
	[REPORT_ACTION_READ_OPEN] = "read_open", [REPORT_ACTION_OPEN_WRITE] = "open_write",
	[REPORT_ACTION_UNLINK] = "unlink",	 [REPORT_ACTION_RENAME] = "rename",
	[REPORT_ACTION_TRUNCATE] = "truncate",	 [REPORT_ACTION_IMAGE_MISMATCH] = "image_mismatch",
};

static const char *const alert_names[REPORT_ALERT__COUNT] = {
	[REPORT_ALERT_EVENTS_LOST] = "events_lost",
	[REPORT_ALERT_BASELINE_REFUSED] = "baseline_refused",
	[REPORT_ALERT_CONFIG_ERROR] = "config_error",
	[REPORT_ALERT_PROFILE_REFUSED] = "profile_refused",
};

const char *report_action_name(enum report_action a)
{
	return a < REPORT_ACTION__COUNT ? action_names[a] : "?";
}

const char *report_alert_name(enum report_alert a)
{
	return a < REPORT_ALERT__COUNT ? alert_names[a] : "?";
}

/* Index of @name in @names, or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static void emit_line(struct report *r, char *line)
{
	if (line) {
		sinks_emit(r->sinks, line);
		free(line);
	}
}

int report_new(struct sw_sinks *sinks, bool all_events, struct report **ret)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->sinks = sinks;
	r->all_events = all_events;
	pthread_mutex_init(&r->fold_lock, NULL);
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	if (r->fold)
		fold_reset(r->fold);
	free(r->fold);
	pthread_mutex_destroy(&r->fold_lock);
	free(r);
}

void report_set_fold_window(struct report *r, unsigned int window_s)
{
	pthread_mutex_lock(&r->fold_lock);
	if (!window_s && r->fold) {
		fold_reset(r->fold);
		free(r->fold);
		r->fold = NULL;
	} else if (window_s && !r->fold) {
		r->fold = calloc(1, sizeof(*r->fold));
	}
	if (r->fold)
		r->fold->window = window_s;
	pthread_mutex_unlock(&r->fold_lock);
}

void report_fold_flush(struct report *r, bool all)
{
	char *lines[64];
	size_t n;

	do {
		pthread_mutex_lock(&r->fold_lock);
		n = r->fold ? fold_flush(r->fold, all, lines, 64) : 0;
		pthread_mutex_unlock(&r->fold_lock);
		for (size_t i = 0; i < n; i++) {
			__atomic_add_fetch(&r->stats.summaries, 1, __ATOMIC_RELAXED);
			emit_line(r, lines[i]);
		}
	} while (n == 64);
}

/* A repeat of a finding already reported in this window: counted, not emitted. */
static bool folded(struct report *r, const struct ecs_exec *x, const char *line)
{
	const char *path = x->executable ? x->executable : x->ev->filename;
	bool seen = false;
	uint64_t key;

	if (x->verdict == SW_VERDICT_OK || !__atomic_load_n(&r->fold, __ATOMIC_RELAXED))
		return false;
	/* an anomaly is one finding however the file was reached: its reason names the elements */
	if (x->verdict == SW_VERDICT_ANOMALY)
		path = NULL;
	key = fold_key(x->container ? x->container->id : NULL, path, x->action, x->verdict,
		       x->sha256, x->sha256 ? SW_SHA256_LEN : 0, x->reason);
	key = fold_key_decision(key, x->decision);
	pthread_mutex_lock(&r->fold_lock);
	if (r->fold)
		seen = fold_seen(r->fold, key, line);
	pthread_mutex_unlock(&r->fold_lock);
	if (seen)
		__atomic_add_fetch(&r->stats.folded, 1, __ATOMIC_RELAXED);
	return seen;
}

void report_set_all_events(struct report *r, bool all_events)
{
	__atomic_store_n(&r->all_events, all_events, __ATOMIC_RELAXED);
}

void report_verdict(struct report *r, const struct ecs_exec *x)
{
	int a = name_index(action_names, REPORT_ACTION__COUNT, x->action);

	if (a >= 0 && x->verdict < SW_VERDICT__COUNT)
		__atomic_add_fetch(&r->stats.verdicts[a][x->verdict], 1, __ATOMIC_RELAXED);
	/* ok is reported only with all_events, unless a permission decision says more (denied) */
	if (x->verdict != SW_VERDICT_OK || x->decision ||
	    __atomic_load_n(&r->all_events, __ATOMIC_RELAXED)) {
		char *line = ecs_exec_json(x);

		if (line && folded(r, x, line)) {
			free(line);
			return;
		}
		latency_note(r, x->ev);
		emit_line(r, line);
	}
}

void report_daemon(struct report *r, const char *kind, const char *action, int severity,
		   json_t *extra, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!strcmp(kind, "alert")) {
		int a = name_index(alert_names, REPORT_ALERT__COUNT, action);

		if (a >= 0)
			__atomic_add_fetch(&r->stats.alerts[a], 1, __ATOMIC_RELAXED);
	}
	emit_line(r, ecs_daemon_json(kind, action, severity, msg, extra));
}

void report_stats(struct report *r, struct report_stats *out)
{
	uint64_t *dst = (uint64_t *)out, *src = (uint64_t *)&r->stats;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

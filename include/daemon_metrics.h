/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's metric families (every one documented in docs/metrics.md):
 * declared once at start, counted on the event path by the verifier, and
 * sampled from the BPF counters, ring buffer, cache and queues once a second
 * by the event loop.
 */
#ifndef SW_DAEMON_METRICS_H
#define SW_DAEMON_METRICS_H

#include <stdint.h>

#include "verdict.h"

struct bpf_loader;
struct vcache;
struct verifier;

/* HELP/TYPE of every family, build info and start time. Call once. */
void daemon_metrics_describe(void);
/* One verdict of @action ("exec") — also an alert unless ok. */
void daemon_metrics_verdict(const char *action, enum sw_verdict v);
/* A daemon alert (events_lost, baseline_refused, config_error…). */
void daemon_metrics_daemon_alert(const char *action);
void daemon_metrics_baselines(size_t loaded);
void daemon_metrics_baseline_refused(void);
void daemon_metrics_reload(int ok);

struct daemon_metrics_sources {
	struct bpf_loader *bpf;
	struct vcache *cache;
	struct verifier *verifier;
	uint64_t events; /* exec events read from the ring buffer */
	uint64_t host_unmonitored;
	uint64_t sink_dropped; /* events the outputs dropped, in all */
};
/* Copy the current values of everything sampled (once a second). */
void daemon_metrics_sample(const struct daemon_metrics_sources *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's metric families (every one documented in docs/metrics.md):
 * declared once at start, then sampled once a second by the event loop from
 * the stats of each module (BPF counters, ring buffer, verdict cache, hash
 * queue, report, the daemon's own counts). No module pushes into them.
 */
#ifndef SW_DAEMON_METRICS_H
#define SW_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

struct bpf_loader;
struct daemon_stats;
struct report;
struct vcache;
struct verifier;
struct fetcher;
struct profile_store;

/* HELP/TYPE of every family, build info and start time. Call once. */
void daemon_metrics_describe(void);

/* Everything the daemon's metrics are sampled from; any pointer may be NULL. */
struct daemon_metrics_sources {
	struct bpf_loader *bpf;
	struct vcache *cache;
	struct verifier *verifier;
	struct report *report;
	uint64_t sink_dropped; /* events the outputs dropped, in all */
	const struct daemon_stats *stats;
	size_t baselines_loaded;
	struct fetcher *fetcher; /* baselines from registries, NULL when off */
	struct profile_store *profiles; /* learned behaviour, NULL when off */
};
/* Copy the current values of everything sampled (once a second). */
void daemon_metrics_sample(const struct daemon_metrics_sources *s);
/* The BPF programs of @mode ("tp_btf", …) are detached: sealwatch_attach_info 0. */
void daemon_metrics_detached(const char *mode);

#endif

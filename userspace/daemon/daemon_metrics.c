// SPDX-License-Identifier: GPL-2.0-only
/* daemon_metrics.c: the daemon's metric families (daemon_metrics.h). */
#include <stdio.h>
#include <time.h>

#include "bpf_loader.h"
#include "daemon.h"
#include "version.h"
#include "daemon_metrics.h"
#include "fetcher.h"
#include "metrics.h"
#include "metrics_http.h"
#include "profile.h"
#include "report.h"
#include "vcache.h"
#include "verifier.h"

static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
} families[] = {
	{ "sealwatch_build_info", METRIC_GAUGE, "Version of the running sealwatch (always 1)." },
	{ "sealwatch_start_time_seconds", METRIC_GAUGE,
	  "Start time of the daemon since the Unix epoch in seconds." },
	{ "sealwatch_config_reloads_total", METRIC_COUNTER,
	  "Configuration reloads (SIGHUP) by result: ok or error (old config kept)." },
	{ "sealwatch_exec_events_total", METRIC_COUNTER,
	  "Exec events read from the kernel ring buffer." },
	{ "sealwatch_folded_repeats_total", METRIC_COUNTER,
	  "Repeats of a finding folded into a summary event instead of emitted (fold_window)." },
	{ "sealwatch_fold_summaries_total", METRIC_COUNTER,
	  "Summary events emitted for folded repeats." },
	{ "sealwatch_events_total", METRIC_COUNTER,
	  "Verdicts reached, by action and verdict (ok included, emitted or not)." },
	{ "sealwatch_alerts_total", METRIC_COUNTER,
	  "Alerts emitted for execs, by verdict (every verdict but ok)." },
	{ "sealwatch_daemon_alerts_total", METRIC_COUNTER,
	  "Alerts about the daemon itself, by action (events_lost, baseline_refused, ...)." },
	{ "sealwatch_host_unmonitored_total", METRIC_COUNTER,
	  "Host execs not checked because no host baseline is configured." },
/* the BPF programs' counters, one family each (include/events.h) */
#define KERNEL_FAMILY(id, name, metric, help) { metric, METRIC_COUNTER, help },
	SW_COUNTERS(KERNEL_FAMILY)
#undef KERNEL_FAMILY
		{ "sealwatch_ringbuf_bad_records_total", METRIC_COUNTER,
		  "Ring buffer records of an unexpected size (dropped)." },
	{ "sealwatch_ringbuf_used_bytes", METRIC_GAUGE,
	  "Bytes written to the ring buffer and not yet consumed." },
	{ "sealwatch_ringbuf_size_bytes", METRIC_GAUGE, "Size of the ring buffer." },
	{ "sealwatch_ringbuf_fill_ratio", METRIC_GAUGE,
	  "Ring buffer fill (used / size, 0 to 1) when last sampled." },
	{ "sealwatch_verdict_cache_hits_total", METRIC_COUNTER,
	  "Verdicts answered from the verdict cache (no hashing)." },
	{ "sealwatch_verdict_cache_misses_total", METRIC_COUNTER,
	  "Verdict cache lookups that missed." },
	{ "sealwatch_hashed_files_total", METRIC_COUNTER, "Executed files hashed in full." },
	{ "sealwatch_hashed_bytes_total", METRIC_COUNTER, "Bytes of executed files hashed." },
	{ "sealwatch_hash_queue_depth", METRIC_GAUGE, "Hash jobs waiting for a worker." },
	{ "sealwatch_hash_queue_capacity", METRIC_GAUGE,
	  "Hash jobs that fit in the queue (queue_size)." },
	{ "sealwatch_hash_queue_full_total", METRIC_COUNTER,
	  "Execs reported unverified because the hash queue was full." },
	{ "sealwatch_hash_skipped_total", METRIC_COUNTER,
	  "Files decided without hashing, by reason: too_large (over hash_max_size) or "
	  "queue_full (no room for their container: unknown or size-differs verdicts)." },
	{ "sealwatch_verdict_latency_seconds", METRIC_GAUGE,
	  "Latency from the exec (kernel time) to its emitted event, quantiles over the run "
	  "(log-linear buckets, at most 12.5 % high)." },
	{ "sealwatch_verdict_latency_events", METRIC_GAUGE,
	  "Emitted exec events the latency quantiles cover." },
	{ "sealwatch_hash_workers_stalled", METRIC_GAUGE,
	  "Hash workers busy on one file for 60 s or more (/healthz fails)." },
	{ "sealwatch_baselines_loaded", METRIC_GAUGE,
	  "Verified baselines in the current store (host baseline included)." },
	{ "sealwatch_baselines_refused_total", METRIC_COUNTER,
	  "Baselines refused at load (bad or missing signature, malformed)." },
	{ "sealwatch_registry_fetches_total", METRIC_COUNTER,
	  "Baseline fetches from registries by result (fetched, absent, refused, unreachable)." },
	{ "sealwatch_registry_pending_images", METRIC_GAUGE,
	  "Images whose baseline is being fetched (their events say baseline.pending)." },
	{ "sealwatch_baseline_cache_evictions_total", METRIC_COUNTER,
	  "Fetched baselines evicted from the on-disk cache (least recently used)." },
	{ "sealwatch_file_doors_active", METRIC_GAUGE,
	  "1 when the mmap/open/path-event programs and the in-kernel cache are "
	  "loaded; 0 when this kernel refused them (exec verification only)" },
	{ "sealwatch_profiles", METRIC_GAUGE,
	  "Image profiles by state: learning, locked or refused (docs/profiles.md)." },
	{ "sealwatch_profiles_signed", METRIC_GAUGE,
	  "Profiles loaded from a verified signed file." },
	{ "sealwatch_profile_elements", METRIC_GAUGE,
	  "Elements (executables, edges, users) of every profile, summed." },
	{ "sealwatch_profile_memory_bytes", METRIC_GAUGE,
	  "Heap held by the profiles (element sets and strings, entries)." },
	{ "sealwatch_profile_anomalies_total", METRIC_COUNTER,
	  "Execs with an element new to a locked profile (anomaly events before folding)." },
	{ "sealwatch_profile_capped_total", METRIC_COUNTER,
	  "Elements not learned because a profile's cap was hit (the profile locked)." },
	{ "sealwatch_profile_untracked_total", METRIC_COUNTER,
	  "Execs of images beyond the profile count cap (not profiled)." },
	{ "sealwatch_profile_write_errors_total", METRIC_COUNTER,
	  "Profile files that could not be written." },
	{ "sealwatch_attach_info", METRIC_GAUGE,
	  "BPF attach mode in use (lsm, tp_btf or tp): 1 for the active one" },
};

static void alerts_set(enum sw_verdict v, uint64_t n)
{
	char labels[64];

	snprintf(labels, sizeof(labels), "verdict=\"%s\"", verdict_name(v));
	metrics_set("sealwatch_alerts_total", labels, (double)n);
}

static void verdict_set(const char *action, enum sw_verdict v, uint64_t n)
{
	char labels[96];

	snprintf(labels, sizeof(labels), "action=\"%s\",verdict=\"%s\"", action, verdict_name(v));
	metrics_set("sealwatch_events_total", labels, (double)n);
}

void daemon_metrics_describe(void)
{
	char labels[96];

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		metrics_describe(families[i].name, families[i].type, families[i].help);
	snprintf(labels, sizeof(labels), "version=\"%s\"", SW_VERSION);
	metrics_set("sealwatch_build_info", labels, 1);
	metrics_set("sealwatch_start_time_seconds", NULL, (double)time(NULL));
	/* the series every dashboard expects, present at 0 from the start */
	for (int v = 0; v < SW_VERDICT__COUNT; v++)
		verdict_set("exec", (enum sw_verdict)v, 0);
	for (int v = 0; v < SW_VERDICT__COUNT; v++)
		if (v != SW_VERDICT_OK)
			alerts_set((enum sw_verdict)v, 0);
	metrics_add("sealwatch_config_reloads_total", "result=\"ok\"", 0);
	metrics_add("sealwatch_config_reloads_total", "result=\"error\"", 0);
	metrics_add("sealwatch_baselines_refused_total", NULL, 0);
}

/* the BPF programs' counters, each as its own family (described in families[]) */
static const char *const kernel_counters[SW_CNT__MAX] = {
#define KERNEL_METRIC(id, name, metric, help) [SW_CNT_##id] = metric,
	SW_COUNTERS(KERNEL_METRIC)
#undef KERNEL_METRIC
};

/*
 * Verdicts by action (the exec series always, the others once reached) and
 * alerts by verdict, all actions summed; the daemon's own alerts by action.
 */
static void sample_report(struct report *r)
{
	struct report_stats rs;
	char labels[64];

	report_stats(r, &rs);
	for (int v = 0; v < SW_VERDICT__COUNT; v++) {
		uint64_t alerts = 0;

		for (int a = 0; a < REPORT_ACTION__COUNT; a++) {
			if (a == REPORT_ACTION_EXEC || rs.verdicts[a][v])
				verdict_set(report_action_name((enum report_action)a),
					    (enum sw_verdict)v, rs.verdicts[a][v]);
			alerts += rs.verdicts[a][v];
		}
		if (v != SW_VERDICT_OK)
			alerts_set((enum sw_verdict)v, alerts);
	}
	for (int a = 0; a < REPORT_ALERT__COUNT; a++) {
		if (!rs.alerts[a])
			continue;
		snprintf(labels, sizeof(labels), "action=\"%s\"",
			 report_alert_name((enum report_alert)a));
		metrics_set("sealwatch_daemon_alerts_total", labels, (double)rs.alerts[a]);
	}
	metrics_set("sealwatch_folded_repeats_total", NULL, (double)rs.folded);
	metrics_set("sealwatch_fold_summaries_total", NULL, (double)rs.summaries);
}

static void sample_daemon(const struct daemon_stats *st, size_t baselines_loaded)
{
	metrics_set("sealwatch_exec_events_total", NULL, (double)st->events);
	metrics_set("sealwatch_host_unmonitored_total", NULL, (double)st->host_unmonitored);
	metrics_set("sealwatch_config_reloads_total", "result=\"ok\"", (double)st->reloads_ok);
	metrics_set("sealwatch_config_reloads_total", "result=\"error\"",
		    (double)st->reloads_failed);
	metrics_set("sealwatch_baselines_refused_total", NULL, (double)st->baselines_refused);
	metrics_set("sealwatch_baselines_loaded", NULL, (double)baselines_loaded);
}

static void attach_set(const char *mode, double value)
{
	char labels[32];

	snprintf(labels, sizeof(labels), "mode=\"%s\"", mode);
	metrics_set("sealwatch_attach_info", labels, value);
}

void daemon_metrics_detached(const char *mode)
{
	if (mode)
		attach_set(mode, 0);
}

static void sample_profiles(struct profile_store *p)
{
	struct profile_stats ps;

	profile_store_stats(p, &ps);
	metrics_set("sealwatch_profiles", "state=\"learning\"", (double)ps.learning);
	metrics_set("sealwatch_profiles", "state=\"locked\"", (double)ps.locked);
	metrics_set("sealwatch_profiles", "state=\"refused\"", (double)ps.refused);
	metrics_set("sealwatch_profiles_signed", NULL, (double)ps.signed_profiles);
	metrics_set("sealwatch_profile_elements", NULL, (double)ps.elements);
	metrics_set("sealwatch_profile_memory_bytes", NULL, (double)ps.bytes);
	metrics_set("sealwatch_profile_anomalies_total", NULL, (double)ps.anomalies);
	metrics_set("sealwatch_profile_capped_total", NULL, (double)ps.capped);
	metrics_set("sealwatch_profile_untracked_total", NULL, (double)ps.untracked);
	metrics_set("sealwatch_profile_write_errors_total", NULL, (double)ps.write_errors);
}

static void sample_fetcher(struct fetcher *f)
{
	struct fetcher_stats fs;

	fetcher_get_stats(f, &fs);
	metrics_set("sealwatch_registry_fetches_total", "result=\"fetched\"", (double)fs.fetched);
	metrics_set("sealwatch_registry_fetches_total", "result=\"absent\"", (double)fs.absent);
	metrics_set("sealwatch_registry_fetches_total", "result=\"refused\"", (double)fs.refused);
	metrics_set("sealwatch_registry_fetches_total", "result=\"unreachable\"",
		    (double)fs.unreachable);
	metrics_set("sealwatch_registry_pending_images", NULL, (double)fs.pending);
	metrics_set("sealwatch_baseline_cache_evictions_total", NULL, (double)fs.evicted);
}

/* The loader's attach mode, the kernel's counters and the ring buffer; events the kernel dropped. */
static uint64_t sample_kernel(struct bpf_loader *bpf)
{
	static __u64 ringbuf_full_seen;
	__u64 cnt[SW_CNT__MAX], used, size;
	bool have_cnt = !bpf_loader_counters(bpf, cnt);
	uint64_t dropped = 0;

	attach_set(bpf_loader_mode_name(bpf_loader_mode(bpf)), 1);
	metrics_set("sealwatch_file_doors_active", NULL, bpf_loader_doors_active(bpf));
	for (size_t i = 0; have_cnt && i < SW_CNT__MAX; i++)
		metrics_set(kernel_counters[i], NULL, (double)cnt[i]);
	metrics_set("sealwatch_ringbuf_bad_records_total", NULL,
		    (double)bpf_loader_bad_records(bpf));
	bpf_loader_ringbuf_fill(bpf, &used, &size);
	metrics_set("sealwatch_ringbuf_used_bytes", NULL, (double)used);
	metrics_set("sealwatch_ringbuf_size_bytes", NULL, (double)size);
	/* the peak while the backlog was read; full when the kernel dropped since */
	used = bpf_loader_ringbuf_peak(bpf);
	if (have_cnt) {
		if (cnt[SW_CNT_RINGBUF_FULL] > ringbuf_full_seen)
			used = size;
		ringbuf_full_seen = cnt[SW_CNT_RINGBUF_FULL];
		dropped += cnt[SW_CNT_RINGBUF_FULL];
	}
	metrics_set("sealwatch_ringbuf_fill_ratio", NULL, size ? (double)used / (double)size : 0);
	return dropped;
}

/* The hash workers and their queue; jobs the full queue refused. */
static uint64_t sample_verifier(struct verifier *v)
{
	struct verifier_stats vs;

	verifier_stats(v, &vs);
	metrics_set("sealwatch_hashed_files_total", NULL, (double)vs.files_hashed);
	metrics_set("sealwatch_hashed_bytes_total", NULL, (double)vs.bytes_hashed);
	metrics_set("sealwatch_hash_queue_depth", NULL, (double)vs.depth);
	metrics_set("sealwatch_hash_queue_capacity", NULL, (double)vs.capacity);
	metrics_set("sealwatch_hash_queue_full_total", NULL, (double)vs.queue_full);
	metrics_set("sealwatch_hash_skipped_total", "reason=\"too_large\"", (double)vs.too_large);
	metrics_set("sealwatch_hash_skipped_total", "reason=\"queue_full\"", (double)vs.unhashed);
	metrics_set("sealwatch_hash_workers_stalled", NULL, (double)vs.stalled);
	health_set_workers_stalled(vs.stalled, vs.oldest_busy_sec);
	return vs.queue_full;
}

static void sample_latency(struct report *r)
{
	uint64_t n;
	double p99, p50;

	report_latency(r, 0.99, &n, &p99);
	report_latency(r, 0.5, &n, &p50);
	metrics_set("sealwatch_verdict_latency_seconds", "quantile=\"0.99\"", p99);
	metrics_set("sealwatch_verdict_latency_seconds", "quantile=\"0.5\"", p50);
	metrics_set("sealwatch_verdict_latency_events", NULL, (double)n);
}

void daemon_metrics_sample(const struct daemon_metrics_sources *s)
{
	uint64_t hits, misses, dropped = 0;

	if (s->stats)
		sample_daemon(s->stats, s->baselines_loaded);
	if (s->fetcher)
		sample_fetcher(s->fetcher);
	if (s->report)
		sample_report(s->report);
	if (s->profiles)
		sample_profiles(s->profiles);
	if (s->bpf)
		dropped += sample_kernel(s->bpf);
	if (s->cache) {
		vcache_stats(s->cache, &hits, &misses);
		metrics_set("sealwatch_verdict_cache_hits_total", NULL, (double)hits);
		metrics_set("sealwatch_verdict_cache_misses_total", NULL, (double)misses);
	}
	if (s->verifier)
		dropped += sample_verifier(s->verifier);
	if (s->report)
		sample_latency(s->report);
	health_note_dropped(dropped + s->sink_dropped);
}

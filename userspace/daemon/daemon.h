/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon (docs/architecture.md, "daemon/"): kernel events → scope
 * (container, image, baseline) → verdict, reported through report.h.
 *
 * The event loop (one thread) never hashes: per event it resolves the scope,
 * answers from the verdict cache, or opens the exact file through /proc at
 * once (before the process can exit) and hands it to the hash workers.
 *
 * struct daemon is the daemon's state; the event handlers take it and a
 * kernel event (include/events.h) and report what they decide, so that a
 * unit test can drive them with a state of its own (tests/unit/test_events.c).
 */
#ifndef SW_DAEMON_H
#define SW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/types.h>

#include "config.h"
#include "verdict.h"

struct bpf_loader;
struct ecs_exec;
struct enforce;
struct fetcher;
struct metrics_http;
struct prevent;
struct report;
struct resolver;
struct sw_bstore;
struct sw_container;
struct sw_error;
struct sigstore_policy;
struct sw_exec_event;
struct sw_policy;
struct sw_pubkey;
struct sw_sinks;
struct exec_names;
struct profile_store;
struct vcache;
struct vcache_hit;
struct verifier;
struct verify_job;

/* Counted on the event loop thread; sampled into the metrics (daemon_metrics.h). */
struct daemon_stats {
	uint64_t events; /* events read from the ring buffer */
	uint64_t host_unmonitored; /* host execs without a host baseline */
	uint64_t reloads_ok, reloads_failed;
	uint64_t baselines_refused;
	uint64_t baselines_fetched;
};

#define DAEMON_MISMATCH_TOLD 256
#define SW_CONTAINER_ID_MAX 64

struct daemon {
	struct sw_config cfg;
	struct sw_pubkey *keys[SW_CONFIG_MAX_LIST];
	size_t n_keys;
	struct sw_sinks *sinks;
	struct report *report; /* every event goes out through it */
	struct sw_bstore *store; /* current snapshot */
	struct vcache *cache;
	struct verifier *verifier;
	struct resolver *resolver;
	struct nsroot *nsroot; /* a live process's root per mount namespace */
	struct bpf_loader *bpf; /* NULL in unit tests: no in-kernel cache */
	struct metrics_http *http;
	struct fetcher *fetcher; /* baselines from registries, NULL when none configured */
	struct loader *loader; /* the baseline load running off the event loop, or NULL */
	struct enforce *enforce; /* prevention (enforce.h), NULL when every scope monitors */
	struct prevent *prevent; /* which backend, the policy the monitor path decides by */
	int argc; /* the command line, parsed again on each SIGHUP reload */
	char **argv;
	const char *config_file; /* --config, or NULL */
	int sigfd, inofd;
	__u32 host_mntns; /* PID 1's mount namespace: the host's */
	bool reload_pending; /* baselines (inotify) */
	bool config_reload_pending; /* config file and baselines (SIGHUP) */
	struct timespec reload_at;
	__u64 lost_reported;
	time_t started; /* Unix seconds of the start event (the loss record's) */
	struct daemon_stats stats;
	bool kcache; /* insert ok verdicts into the in-kernel cache */
	struct profile_store *profiles; /* learned behaviour (on_profile.c), NULL when off */
	struct exec_names *exec_names; /* the name each recent process was run by */
	/* containers told image_mismatch already (a ring: once per container) */
	char mismatch_told[DAEMON_MISMATCH_TOLD][SW_CONTAINER_ID_MAX + 1];
	unsigned int mismatch_next;
};

/* `sealwatch daemon` (listed in the command table, cli/commands.h). */
int cmd_daemon(int argc, char **argv);

/* ---- event handlers (on_event.c, on_exec.c, on_file.c) ---- */

/* The ring buffer callback: one kernel event, dispatched by type. Returns 0. */
int daemon_on_event(void *ctx, const struct sw_exec_event *ev);
/* After an "ok" verdict on a hashed file: skip it in the kernel next time. */
void daemon_kcache_learn(void *ctx, const struct verify_job *job);
/* Any thread, after an "ok" verdict (@sha256 its content): kcache, then the profile. */
void daemon_on_ok(void *ctx, const struct verify_job *job, const unsigned char *sha256);

/* ---- learned behaviour (on_profile.c, docs/profiles.md) ---- */

/* Open the profile store when profiles are on (cfg.profile_dir). */
int profiles_start(struct daemon *d, struct sw_error *err);
/* Write what changed, free the store. */
void profiles_stop(struct daemon *d);
/* Once a second: lock the stable, take in the CLI's changes, write. */
void profiles_tick(struct daemon *d);
/* An exec's scope is known (event loop): its parent's name into @job, its own remembered. */
void profiles_note_exec(struct daemon *d, struct verify_job *job);

int daemon_on_exec(struct daemon *d, const struct sw_exec_event *ev);
int daemon_on_file(struct daemon *d, const struct sw_exec_event *ev);
int daemon_on_write(struct daemon *d, const struct sw_exec_event *ev);

/* ---- prevention: the backend, the monitor path's part (prevent.c, docs/enforce.md) ---- */

/* The policy the monitor path decides by, no backend yet (prevent_start() calls it). 0 or -ENOMEM. */
int prevent_init(struct daemon *d);
/* Start a backend when a scope decides: BPF LSM when the loader can, else fanotify. */
int prevent_start(struct daemon *d, struct sw_error *err);
/* A new policy (reload); baselines that changed (the kernel's decisions are forgotten). */
void prevent_set_policy(struct daemon *d, const struct sw_policy *p);
void prevent_baselines_changed(struct daemon *d);
/* The event loop: the BPF LSM backend's heartbeat. */
void prevent_tick(struct daemon *d);
/* Stop whichever backend runs (pending fanotify events allowed, the kernel's switch off). */
void prevent_stop(struct daemon *d);
/*
 * Before a verdict on @job is reported (any thread): the decision the event
 * carries and the kernel's next decision (BPF LSM), or false when the
 * fanotify backend reported this finding already (then it is not reported).
 */
bool prevent_on_report(void *ctx, const struct verify_job *job, struct ecs_exec *x);

/* ---- jobs: one event's file, process and scope (job.c) ---- */

struct verify_job *job_new(struct daemon *d, const struct sw_exec_event *ev, const char *action);
/*
 * job->root_fd: the root the event's process saw, pinned (nsroot.h) — its
 * own while it lives, else another live process's with the same root. For
 * what is looked up by name; a no-op once pinned.
 */
void job_pin_root(struct daemon *d, struct verify_job *job);
/* readlink(/proc/PID/WHAT) as a malloc'd string, or NULL. */
char *proc_link(__u32 pid, const char *what);
/* Open /proc/PID/WHAT (the exact file) into job->exe_fd and its path into job->exe_path. */
bool job_open_proc(struct verify_job *job, const char *what);
/* NUL-separated /proc/PID/cmdline → at most DAEMON_MAX_ARGS strings in job->args. */
void read_args(__u32 pid, struct verify_job *job);
/*
 * The scope of an event: its container's image baseline or the host
 * baseline (job->bl, NULL when there is none). Returns false when the event
 * was answered already (container runtime state unusable).
 */
bool job_scope(struct daemon *d, struct verify_job *job);
/* Verify job->exe_fd (or the fallback path): cache, else the hash workers. Frees @job. */
void job_verify(struct daemon *d, struct verify_job *job);
/* Report a verdict decided without hashing (no_baseline, fileless, cache hits, …). */
void emit_now(struct daemon *d, struct verify_job *job, enum sw_verdict verdict, const char *reason,
	      const struct vcache_hit *hit);
/*
 * An absolute path in the task's root from what the kernel sent in @field
 * (ev->filename or ev->old_path), when it says where the file is. 0, or -1.
 */
int event_path(const struct sw_exec_event *ev, const char *field, char *out, size_t size);

/* ---- configuration from argv and the config file (args.c) ---- */

/*
 * The effective configuration: built-in defaults, then the --config file,
 * then the flags (lists given as flags replace the file's). Run at start and
 * again on every SIGHUP. Returns 1 after --help, 0, -EBADMSG for a bad config
 * file or --metrics-listen value, -EINVAL for a bad command line.
 */
int config_from_args(struct sw_config *cfg, int argc, char **argv, const char **ret_config_file,
		     struct sw_error *err);

/* ---- baselines and reload (reload.c) ---- */

/* Build a new baseline store from d->cfg and swap it in, at once (start-up). */
int load_store(struct daemon *d, struct sw_error *err);
/* The baselines_loaded event. */
void emit_loaded(struct daemon *d);
/* Watch the baseline dir and the host baseline's dir for changes. */
void watch_baselines(struct daemon *d, const struct sw_config *cfg);
/* Reload the baselines @delay_ms from now (inotify: let a writer finish). */
void schedule_reload(struct daemon *d, int delay_ms);
/*
 * SIGHUP: the config file, command line and baselines again, all or
 * nothing. The config is checked at once; the baselines are loaded by the
 * loader thread and the whole applied by reload_poll() when it is done.
 * Nothing is started while a load runs (see reload_busy()).
 */
void reload_config(struct daemon *d);
/* The baselines again (inotify), through the loader thread. */
void reload_baselines(struct daemon *d);
/* A load is running: true, and for how long in *@seconds (may be NULL). */
bool reload_busy(struct daemon *d, long long *seconds);
/* On the event loop: apply the load that finished, if any. */
void reload_poll(struct daemon *d);
/* At exit: wait for a running load and drop it. */
void reload_stop(struct daemon *d);

/* ---- baselines from registries (on_fetch.c) ---- */

/* Start the fetcher when registries are configured (d->fetcher stays NULL otherwise). */
int fetch_start(struct daemon *d, struct sw_error *err);
/* @cfg's trusted identities as Sigstore policies into @out (room for 16; strings borrowed). */
size_t identity_policies(const struct sw_config *cfg, struct sigstore_policy *out);
/* A container without a baseline: ask the fetcher; true when its baseline is pending. */
bool fetch_want(struct daemon *d, const struct sw_container *c);
/* The fetcher's eventfd is readable: report results, reload the store for new baselines. */
void fetch_results(struct daemon *d);

#endif

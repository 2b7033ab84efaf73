// SPDX-License-Identifier: GPL-2.0-only
/*
 * sealwatch daemon: set-up, the event loop (ring buffer, signals, inotify,
 * reloads, sampling once a second) and teardown. What happens to one event:
 * on_exec.c, on_file.c, job.c; the big picture: docs/architecture.md.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "bpf_loader.h"
#include "bstore.h"
#include "fetcher.h"
#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "daemon_metrics.h"
#include "daemon_state.h"
#include "enforce.h"
#include "errors.h"
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "nsroot.h"
#include "report.h"
#include "resolver.h"
#include "sdnotify.h"
#include "sink.h"
#include "vcache.h"
#include "verifier.h"
#include "version.h"

static void check_counters(struct daemon *d)
{
	__u64 cnt[SW_CNT__MAX];

	if (bpf_loader_counters(d->bpf, cnt))
		return;
	if (cnt[SW_CNT_RINGBUF_FULL] > d->lost_reported) {
		__u64 lost = cnt[SW_CNT_RINGBUF_FULL] - d->lost_reported;

		d->lost_reported = cnt[SW_CNT_RINGBUF_FULL];
		report_daemon(d->report, "alert", "events_lost", SW_SEVERITY_HIGH,
			      json_pack("{s:I,s:I}", "lost", (json_int_t)lost, "lost_total",
					(json_int_t)cnt[SW_CNT_RINGBUF_FULL]),
			      "%llu exec events lost in the kernel (ring buffer full)",
			      (unsigned long long)lost);
	}
}

static bool due(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Returns true when asked to stop. */
static bool handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading %s",
				 d->config_file ? "config and baselines" : "baselines");
			d->config_reload_pending = true;
		} else if (si.ssi_signo == SIGUSR1) {
			log_info("SIGUSR1: reopening the file outputs");
			sinks_reopen(d->sinks);
		} else {
			stop = true;
		}
	}
	return stop;
}

static void handle_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	while (read(d->inofd, buf, sizeof(buf)) > 0)
		changed = true;
	if (changed) /* let a writer finish NAME.jsonl and NAME.jsonl.sig */
		schedule_reload(d, 300);
}

static void sample_metrics(struct daemon *d)
{
	struct daemon_metrics_sources src = {
		.bpf = d->bpf,
		.cache = d->cache,
		.verifier = d->verifier,
		.report = d->report,
		.stats = &d->stats,
		.baselines_loaded = bstore_count(d->store),
		.sink_dropped = sinks_dropped(d->sinks),
		.fetcher = d->fetcher,
		.profiles = d->profiles,
	};

	daemon_metrics_sample(&src);
	enforce_sample_metrics(d->enforce);
}

/* The loss record (--state-file): what a kill -9 now would lose. */
static void save_state(struct daemon *d, bool clean)
{
	struct verifier_stats vs = { 0 };
	struct sw_error err = { { 0 } };
	struct daemon_state st = {
		.pid = getpid(),
		.started = d->started,
		.updated = time(NULL),
		.undelivered = clean || !d->sinks ? 0 : sinks_pending(d->sinks),
		.sink_dropped = d->sinks ? sinks_dropped(d->sinks) : 0,
		.kernel_lost = d->lost_reported,
		.clean = clean,
	};

	if (!d->cfg.state_file)
		return;
	if (d->verifier) {
		verifier_stats(d->verifier, &vs);
		st.hash_pending = vs.queued > vs.done ? vs.queued - vs.done : 0;
	}
	if (daemon_state_save(d->cfg.state_file, &st, &err))
		log_debug("state file: %s", err.msg);
}

static int run(struct daemon *d)
{
	struct timespec last_tick = { 0 }, now;
	int r;

	for (;;) {
		r = bpf_loader_poll(d->bpf, 100);
		if (r < 0 && r != -EINTR) {
			log_error("ring buffer poll failed: %s", strerror(-r));
			return r;
		}
		health_tick();
		prevent_tick(d);
		report_fold_flush(d->report, false);
		if (handle_signals(d))
			return 0;
		if (d->inofd >= 0)
			handle_inotify(d);
		fetch_results(d);
		reload_poll(d);
		/* one load at a time: what is asked for meanwhile waits its turn */
		if (d->config_reload_pending && !reload_busy(d, NULL)) {
			d->config_reload_pending = false;
			d->reload_pending = false; /* the baselines are reloaded too */
			reload_config(d);
		}
		if (d->reload_pending && due(&d->reload_at) && !reload_busy(d, NULL)) {
			d->reload_pending = false;
			reload_baselines(d);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last_tick.tv_sec) {
			long long loading = 0;

			reload_busy(d, &loading);
			health_set_loader_busy((uint64_t)loading);
			last_tick = now;
			check_counters(d);
			sample_metrics(d);
			/* systemd's watchdog: fed while the loop and the enforce deadline thread run */
			if (sdnotify_watchdog_usec() && enforce_alive(d->enforce))
				sdnotify_send("WATCHDOG=1");
			save_state(d, false);
			profiles_tick(d);
			if (now.tv_sec % 10 == 0)
				resolver_prune(d->resolver);
		}
	}
}

/*
 * The host's mount namespace: PID 1's when we may look at it (a DaemonSet
 * runs with hostPID and its own mount namespace), else our own.
 */
static int host_mount_ns(__u32 *ret, struct sw_error *err)
{
	struct stat st;

	if (!stat("/proc/1/ns/mnt", &st)) {
		*ret = (__u32)st.st_ino;
		return 0;
	}
	log_debug("/proc/1/ns/mnt: %s; taking our own mount namespace as the host's",
		  strerror(errno));
	if (stat("/proc/self/ns/mnt", &st))
		return sw_error_set(err, -errno, "/proc/self/ns/mnt: %s", strerror(errno));
	*ret = (__u32)st.st_ino;
	return 0;
}

/* SIGINT, SIGTERM, SIGHUP, SIGUSR1: read from a signalfd by the event loop. */
static void daemon_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGUSR1);
}

/* Outputs, keys, caches, the resolver, the baselines and the hash workers. */
static int setup_verification(struct daemon *d, struct sw_error *err)
{
	struct verifier_opts vo = { .workers = d->cfg.hash_workers,
				    .queue_size = d->cfg.queue_size,
				    .hash_max_size = d->cfg.hash_max_size };
	struct resolver_opts ro = { .root = "",
				    .storage_root = d->cfg.storage_root,
				    .docker_root = d->cfg.docker_root,
				    .containerd_root = d->cfg.containerd_root };
	char tasks[4096];
	int r;

	r = sinks_new(d->cfg.outputs, d->cfg.n_outputs, &d->sinks, err);
	if (r)
		return r;
	r = report_new(d->sinks, d->cfg.all_events, &d->report);
	if (r)
		return sw_error_set(err, r, "out of memory");
	report_set_fold_window(d->report, d->cfg.fold_window);
	r = host_mount_ns(&d->host_mntns, err);
	if (r)
		return r;
	for (size_t i = 0; i < d->cfg.n_trusted_keys; i++) {
		r = crypto_pubkey_load(d->cfg.trusted_keys[i], &d->keys[i], err);
		if (r)
			return r;
		d->n_keys++;
	}
	r = vcache_new(d->cfg.cache_size, &d->cache);
	if (r)
		return sw_error_set(err, r, "out of memory");
	r = nsroot_new(0, &d->nsroot);
	if (r)
		return sw_error_set(err, r, "out of memory");
	log_debug("%zu mount namespaces seen in /proc", nsroot_seed(d->nsroot));
	if (d->cfg.containerd_state) {
		snprintf(tasks, sizeof(tasks), "%s/io.containerd.runtime.v2.task",
			 d->cfg.containerd_state);
		ro.containerd_tasks = tasks;
	}
	r = resolver_new(&ro, &d->resolver, err);
	if (r)
		return r;
	r = fetch_start(d, err);
	if (r)
		return r;
	r = load_store(d, err);
	if (r)
		return r;
	vo.report = d->report;
	vo.cache = d->cache;
	vo.on_ok = daemon_on_ok;
	vo.on_report = prevent_on_report;
	vo.ctx = d;
	r = config_default_interpreters(&d->cfg) ?: config_default_layer_stores(&d->cfg);
	if (r)
		return sw_error_set(err, r, "out of memory");
	r = profiles_start(d, err);
	if (r)
		return r;
	r = verifier_new(&vo, &d->verifier);
	if (r)
		return sw_error_set(err, r, "cannot start hash workers");
	return 0;
}

/* What the event loop waits on besides the ring buffer; the metrics endpoint. */
static int setup_loop(struct daemon *d, struct sw_error *err)
{
	sigset_t mask;
	int r;

	daemon_signal_mask(&mask);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return sw_error_set(err, -errno, "signalfd: %s", strerror(errno));
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inofd < 0)
		log_warn("inotify: %s: reload with SIGHUP", strerror(errno));
	watch_baselines(d, &d->cfg);
	if (d->cfg.metrics_listen) {
		r = metrics_http_start(d->cfg.metrics_listen, &d->http, err);
		if (r)
			return r == -EINVAL ? -EBADMSG : r;
		log_info("metrics on http://%s/metrics", d->cfg.metrics_listen);
	}
	return 0;
}

/* Load and attach the BPF programs: events flow from here on. */
/*
 * The runtimes' layer stores that exist here, as (inode, kernel dev_t) for
 * the kernel: a host write below one is an event (SW_EF_NODE_STORAGE).
 */
static size_t layer_store_roots(const struct sw_config *cfg,
				struct sw_kcache_key roots[SW_MAX_STORAGE_ROOTS])
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_layer_stores && n < SW_MAX_STORAGE_ROOTS; i++) {
		struct stat st;

		if (stat(cfg->layer_stores[i], &st) || !S_ISDIR(st.st_mode))
			continue; /* that runtime is not installed: nothing to watch */
		roots[n].ino = st.st_ino;
		roots[n].dev = major(st.st_dev) << 20 | minor(st.st_dev);
		n++;
	}
	return n;
}

static int setup_kernel(struct daemon *d, struct sw_error *err)
{
	struct sw_kcache_key roots[SW_MAX_STORAGE_ROOTS] = { { 0 } };
	struct bpf_loader_opts bo = {
		.on_event = daemon_on_event,
		.ctx = d,
		.force_tp = d->cfg.force_tracepoint,
		.attach = (enum bpf_loader_attach)d->cfg.attach,
		.verbose = d->cfg.verbose,
		.no_kernel_cache = d->cfg.no_kernel_cache || d->cfg.all_events,
		.host_scripts = d->cfg.host_baseline != NULL,
		.host_mntns = d->host_mntns,
		.interpreters = d->cfg.interpreters,
		.n_interpreters = d->cfg.n_interpreters,
		.read_paths = d->cfg.verify_read_paths,
		.n_read_paths = d->cfg.n_verify_read_paths,
		.storage_roots = roots,
		.n_storage_roots = layer_store_roots(&d->cfg, roots),
	};
	int r = bpf_loader_open(&bo, &d->bpf, err);

	if (r) /* a kernel without what we need is a system problem, not bad input */
		return r == -ENOTSUP || r == -EINVAL ? -ENODEV : r;
	d->kcache = bpf_loader_kcache_enabled(d->bpf);
	return 0;
}

static int setup(struct daemon *d, struct sw_error *err)
{
	int r = setup_verification(d, err);
	char *previous;

	if (!r)
		r = setup_loop(d, err);
	if (!r)
		r = setup_kernel(d, err);
	if (!r)
		r = prevent_start(d, err);
	if (r)
		return r;
	/*
	 * loading the BPF object parsed the kernel's BTF (megabytes, freed by
	 * now but held in the heap below live allocations): give it back
	 */
	malloc_trim(0);
	sample_metrics(d);
	health_tick();
	health_set_attached(true);
	emit_loaded(d);
	report_daemon(d->report, "event", "start", SW_SEVERITY_INFO,
		      json_pack("{s:s,s:s}", "version", SW_VERSION, "attach_mode",
				bpf_loader_attach_mode(d->bpf)),
		      "sealwatch %s watching execs (%s)", SW_VERSION,
		      bpf_loader_attach_mode(d->bpf));
	log_info("watching execs (%s), %zu baselines", bpf_loader_attach_mode(d->bpf),
		 bstore_count(d->store));
	d->started = time(NULL);
	previous = daemon_state_previous_report(d->cfg.state_file);
	if (previous) {
		log_warn("the previous run ended without a clean stop: losses reported");
		sinks_emit(d->sinks, previous);
		free(previous);
	}
	save_state(d, false);
	sdnotify_send("READY=1");
	return 0;
}

static void teardown(struct daemon *d)
{
	bool started = d->bpf != NULL;

	health_set_attached(false);
	sdnotify_send("STOPPING=1");
	/* answer what is held, close the fanotify group: execs never wait on a dead daemon */
	prevent_stop(d);
	reload_stop(d); /* the loader thread uses the keys, fetcher and report */
	/* no new events while nobody polls; finish queued jobs (they may use d->bpf) */
	if (d->verifier) {
		verifier_free(d->verifier);
		d->verifier = NULL;
	}
	profiles_stop(d); /* after the workers: they observe */
	if (d->bpf) {
		const char *mode = bpf_loader_mode_name(bpf_loader_mode(d->bpf));

		bpf_loader_close(d->bpf);
		daemon_metrics_detached(mode);
		d->bpf = NULL;
	}
	if (d->report)
		report_fold_flush(d->report, true);
	if (d->report && started)
		report_daemon(d->report, "event", "stop", SW_SEVERITY_INFO,
			      json_pack("{s:I}", "events", (json_int_t)d->stats.events),
			      "sealwatch stopped after %llu exec events",
			      (unsigned long long)d->stats.events);
	metrics_http_stop(d->http); /* reads the registry only: no daemon state */
	fetcher_free(d->fetcher);
	resolver_free(d->resolver);
	bstore_unref(d->store);
	vcache_free(d->cache);
	nsroot_free(d->nsroot);
	report_free(d->report);
	sinks_free(d->sinks);
	d->sinks = NULL;
	if (started) /* everything flushed (or counted dropped): a clean end */
		save_state(d, true);
	for (size_t i = 0; i < d->n_keys; i++)
		crypto_pubkey_free(d->keys[i]);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->inofd >= 0)
		close(d->inofd);
	config_clear(&d->cfg);
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon d = { .sigfd = -1, .inofd = -1 };
	struct sw_error err = { { 0 } };
	int r, code;

	sigset_t mask;

	/* before any thread exists, so that every thread inherits the mask */
	daemon_signal_mask(&mask);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	/* a closed stdout or a reset connection is a sink error (counted), never a kill */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * blocks of 512 KiB or more (a store's entry arrays and string blocks, the
	 * baseline files read whole) come from mmap and go back whole when freed;
	 * glibc's default threshold rises with every such free and would put
	 * them in the heaps, where each reload leaves some behind
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	config_init(&d.cfg);
	log_set_timestamps(1);
	d.argc = argc;
	d.argv = argv;
	r = config_from_args(&d.cfg, argc, argv, &d.config_file, &err);
	if (r == 1) {
		config_clear(&d.cfg);
		return SW_EXIT_OK;
	}
	if (r) {
		log_error("daemon: %s", err.msg);
		config_clear(&d.cfg);
		return r == -EINVAL ? SW_EXIT_USAGE : sw_exit_from_errno(r);
	}
	if (d.cfg.verbose)
		log_set_level(SW_LOG_DEBUG);
	log_set_json(d.cfg.log_json);
	daemon_metrics_describe();
	enforce_describe_metrics();
	health_set_config_loaded(true);
	r = setup(&d, &err);
	if (!r)
		r = run(&d);
	else
		log_error("daemon: %s", err.msg[0] ? err.msg : strerror(-r));
	code = r ? sw_exit_from_errno(r) : SW_EXIT_OK;
	teardown(&d);
	return code;
}

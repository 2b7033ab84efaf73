// SPDX-License-Identifier: GPL-2.0-only
/*
 * enforce.c: the fanotify backend of prevention by baseline (enforce.h,
 * docs/enforce.md). The policy is verify/policy.c's; the verdict is the
 * verifier's (verifier_check_fd() on the event's fd: the exact file the
 * kernel is about to run); the event goes out through report_verdict().
 * This file: the threads and the set-up; one decision is enforce_decide.c,
 * the watchdog process enforce_watchdog.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "baseline.h"
#include "bstore.h"
#include "content.h"
#include "daemon.h"
#include "decide.h"
#include "enforce.h"
#include "enforce_internal.h"
#include "errors.h"
#include "events.h"
#include "idmap.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "resolver.h"
#include "strutil.h"
#include "vcache.h"
#include "verifier.h"

/* Decision latency buckets (seconds), for sealwatch_enforce_decision_seconds. */
static const double lat_bounds[ENFORCE_LAT_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001,
							0.0025, 0.005,	 0.01,	 0.05,
							0.1,	0.5,	 1,	 5 };

static void note_latency(struct enforce *e, uint64_t t0_ns)
{
	double s = (double)(now_ns(CLOCK_MONOTONIC) - t0_ns) / 1e9;
	unsigned int i = 0;

	while (i < ENFORCE_LAT_BUCKETS && s > lat_bounds[i])
		i++;
	count(&e->lat[i]);
	__atomic_add_fetch(&e->lat_sum_us, (uint64_t)(s * 1e6), __ATOMIC_RELAXED);
}

/* Answer slot @i with @dec unless answered already (lock held). True when this call answered. */
bool enforce_answer_locked(struct enforce *e, int i, enum sw_decision dec, enum answered_by by)
{
	struct slot *s = &e->slots[i];

	if (s->by != BY_NONE)
		return false;
	s->by = respond(e->fan_fd, s->fd, !policy_decision_denies(dec)) ? by : BY_WATCHDOG;
	s->taken = s->by == BY_WATCHDOG ? SW_DECISION_FALLBACK_ALLOW : dec;
	note_latency(e, s->t0_ns);
	switch (s->taken) {
	case SW_DECISION_DENY:
		count(&e->stats.denied);
		break;
	case SW_DECISION_WOULD_DENY:
		count(&e->stats.would_deny);
		break;
	case SW_DECISION_FALLBACK_DENY:
		count(&e->stats.denied);
		break;
	default:
		count(&e->stats.allowed);
	}
	if (by == BY_DEADLINE)
		count(&e->stats.fallbacks);
	return s->by == by;
}

static void release_locked(struct enforce *e, int i)
{
	struct slot *s = &e->slots[i];

	/* the watchdog forgets the fd before its number can be reused */
	if (e->sh)
		__atomic_store_n(&e->sh->fds[i], -1, __ATOMIC_RELEASE);
	close(s->fd);
	s->in_use = false;
	e->free_list[e->n_free++] = i;
}

/* ---- threads ---- */

static void *decider_main(void *arg)
{
	struct enforce *e = arg;
	struct content_hash ch;
	bool have_ch = content_hash_init(&ch) == 0;

	for (;;) {
		int i;

		pthread_mutex_lock(&e->lock);
		while (!e->q_count && !e->stopping)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!e->q_count) {
			pthread_mutex_unlock(&e->lock);
			break;
		}
		i = e->queue[e->q_head];
		e->q_head = (e->q_head + 1) % ENFORCE_SLOTS;
		e->q_count--;
		e->slots[i].picked = true;
		pthread_mutex_unlock(&e->lock);
		if (have_ch) {
			enforce_decide(e, i, &ch);
		} else {
			pthread_mutex_lock(&e->lock);
			enforce_answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DECIDER);
			pthread_mutex_unlock(&e->lock);
		}
		pthread_mutex_lock(&e->lock);
		release_locked(e, i);
		pthread_mutex_unlock(&e->lock);
	}
	if (have_ch)
		content_hash_free(&ch);
	return NULL;
}

/*
 * The fast path: the daemon itself, and host processes when the host's scope
 * monitors or there is no host baseline.
 */
static bool answer_at_once(struct enforce *e, const struct fanotify_event_metadata *m)
{
	enum sw_mode mode;
	bool strict, at_once;

	if (m->pid == e->self || m->pid == e->watchdog)
		return true;
	if (enforce_ns_inode(m->pid, "mnt") != e->host_mntns)
		return false;
	pthread_mutex_lock(&e->lock);
	policy_match(&e->policy, false, NULL, NULL, &mode, &strict);
	/* a host without a host baseline is never denied: nothing to decide */
	at_once = !policy_mode_decides(mode) || !bstore_host(e->store);
	pthread_mutex_unlock(&e->lock);
	return at_once;
}

static void take_event(struct enforce *e, const struct fanotify_event_metadata *m)
{
	uint64_t ns_id = 0;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int i;

	count(&e->stats.events);
	if (!(m->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM)) || answer_at_once(e, m)) {
		respond(e->fan_fd, m->fd, true);
		close(m->fd);
		return;
	}
	ns_id = enforce_mntns_id(m->pid);
	if (enforce_cached_ok(e, m, ns_id)) {
		respond(e->fan_fd, m->fd, true);
		close(m->fd);
		count(&e->stats.allowed);
		count(&e->stats.cached);
		note_latency(e, t0);
		return;
	}
	pthread_mutex_lock(&e->lock);
	if (!e->n_free) {
		enum sw_mode mode;
		bool strict;

		/* every slot busy: the default scope's fallback, at once */
		policy_match(&e->policy, false, NULL, NULL, &mode, &strict);
		pthread_mutex_unlock(&e->lock);
		respond(e->fan_fd, m->fd, !policy_decision_denies(policy_fallback(mode, strict)));
		close(m->fd);
		count(&e->stats.fallbacks);
		return;
	}
	i = e->free_list[--e->n_free];
	e->slots[i] = (struct slot){
		.in_use = true,
		.fd = m->fd,
		.pid = m->pid,
		.mask = m->mask,
		.t0_ns = now_ns(CLOCK_MONOTONIC),
		.boot_ns = now_ns(CLOCK_BOOTTIME),
		.mntns_id = ns_id,
	};
	if (e->sh)
		__atomic_store_n(&e->sh->fds[i], m->fd, __ATOMIC_RELEASE);
	e->queue[(e->q_head + e->q_count) % ENFORCE_SLOTS] = i;
	e->q_count++;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

static void *reader_main(void *arg)
{
	struct enforce *e = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));

	for (;;) {
		struct pollfd p[2] = { { .fd = e->fan_fd, .events = POLLIN },
				       { .fd = e->stop_fd, .events = POLLIN } };
		struct fanotify_event_metadata *m;
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		n = read(e->fan_fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			log_error("fanotify read: %s", n ? strerror(errno) : "end of file");
			break;
		}
		for (m = (void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
				continue;
			take_event(e, m);
		}
	}
	return NULL;
}

/* The deadline: every event not answered by then takes its scope's fallback. */
static void *deadline_main(void *arg)
{
	struct enforce *e = arg;
	struct timespec tick = { 0, ENFORCE_TICK_MS * 1000000L };

	for (;;) {
		struct {
			pid_t pid;
			bool picked;
			const char *phase;
			size_t q;
			enum sw_decision dec;
			char path[256];
		} told[16];
		size_t n_told = 0;
		uint64_t now = now_ns(CLOCK_MONOTONIC), limit;
		bool stop;

		pthread_mutex_lock(&e->lock);
		stop = e->stopping;
		limit = (uint64_t)e->policy.deadline_ms * 1000000ULL;
		if (e->sh) {
			__atomic_store_n(&e->sh->heartbeat_ms, now / 1000000ULL, __ATOMIC_RELEASE);
			__atomic_store_n(&e->sh->deadline_ms, e->policy.deadline_ms,
					 __ATOMIC_RELAXED);
		}
		for (int i = 0; i < ENFORCE_SLOTS && !stop; i++) {
			struct slot *s = &e->slots[i];
			enum sw_mode mode = e->policy.default_mode;
			bool strict = e->policy.default_strict;
			enum sw_decision dec;

			/* an event read after @now was sampled is not overdue (no underflow) */
			if (!s->in_use || s->by != BY_NONE || s->t0_ns > now ||
			    now - s->t0_ns < limit)
				continue;
			if (s->scoped) {
				mode = s->mode;
				strict = s->strict;
			}
			dec = policy_fallback(mode, strict);
			if (enforce_answer_locked(e, i, dec, BY_DEADLINE) && n_told < 16) {
				char link[64];
				ssize_t k;

				told[n_told].pid = s->pid;
				told[n_told].picked = s->picked;
				told[n_told].q = e->q_count;
				told[n_told].phase = s->picked ? "deciding" : "queued";
				told[n_told].dec = dec;
				snprintf(link, sizeof(link), "/proc/self/fd/%d", s->fd);
				k = readlink(link, told[n_told].path, sizeof(told[0].path) - 1);
				told[n_told].path[k > 0 ? k : 0] = '\0';
				n_told++;
			}
		}
		pthread_mutex_unlock(&e->lock);
		for (size_t k = 0; k < n_told; k++)
			report_daemon(e->d->report, "alert", "decision_deadline", SW_SEVERITY_HIGH,
				      json_pack("{s:s,s:i,s:s,s:s,s:i}", "decision",
						policy_decision_name(told[k].dec), "pid",
						(int)told[k].pid, "path", told[k].path, "state",
						told[k].phase, "queue", (int)told[k].q),
				      "no decision within %u ms for %s (pid %d, %s): %s",
				      e->policy.deadline_ms, told[k].path, (int)told[k].pid,
				      told[k].phase, policy_decision_name(told[k].dec));
		if (stop)
			break;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* ---- set-up ---- */

/* Filesystem marks on "/" and the runtimes' storage (one per filesystem). */
static int add_marks(struct enforce *e, const struct sw_config *cfg, struct sw_error *err)
{
	const char *paths[] = { "/",
				cfg->storage_root ? cfg->storage_root :
						    "/var/lib/containers/storage",
				cfg->docker_root ? cfg->docker_root : "/var/lib/docker",
				cfg->containerd_root ? cfg->containerd_root : "/var/lib/containerd",
				"/run/containers/storage" };
	dev_t marked[ENFORCE_MAX_MARKS];
	size_t n_marked = 0;
	uint64_t mask = FAN_OPEN_EXEC_PERM | (e->libraries ? FAN_OPEN_PERM : 0);

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct stat st;
		bool seen = false;

		if (stat(paths[i], &st))
			continue;
		for (size_t k = 0; k < n_marked; k++)
			seen |= marked[k] == st.st_dev;
		if (seen)
			continue;
		if (fanotify_mark(e->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD,
				  paths[i]))
			return sw_error_set(err, -errno, "fanotify_mark %s: %s", paths[i],
					    strerror(errno));
		log_info("enforce: fanotify filesystem mark on %s", paths[i]);
		marked[n_marked++] = st.st_dev;
	}
	return 0;
}

/* A backend's state from the daemon's configuration, not started yet; NULL: out of memory. */
static struct enforce *enforce_new(struct daemon *d)
{
	const struct sw_config *cfg = &d->cfg;
	struct enforce *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->d = d;
	e->fan_fd = e->stop_fd = -1;
	e->life[0] = e->life[1] = -1;
	e->self = getpid();
	e->policy = cfg->policy;
	e->image_mismatch = cfg->image_mismatch;
	e->libraries = cfg->enforce_libraries;
	e->host_mntns = d->host_mntns;
	e->host_userns = enforce_ns_inode(1, "user");
	e->store = bstore_ref(d->store);
	snprintf(e->storage_roots[0], PATH_MAX, "%s",
		 cfg->storage_root ? cfg->storage_root : "/var/lib/containers/storage");
	snprintf(e->storage_roots[1], PATH_MAX, "%s",
		 cfg->docker_root ? cfg->docker_root : "/var/lib/docker");
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->resolver_lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	for (int i = ENFORCE_SLOTS - 1; i >= 0; i--)
		e->free_list[e->n_free++] = i;
	return e;
}

/* The deciders, the deadline thread and the reader. */
static int enforce_threads(struct enforce *e, const struct sw_config *cfg, struct sw_error *err)
{
	int r;

	e->n_deciders = cfg->hash_workers ? cfg->hash_workers : 2;
	e->deciders = calloc(e->n_deciders, sizeof(*e->deciders));
	if (!e->deciders)
		return sw_error_set(err, -ENOMEM, "out of memory");
	for (unsigned int i = 0; i < e->n_deciders; i++) {
		r = pthread_create(&e->deciders[i], NULL, decider_main, e);
		if (r) {
			e->n_deciders = i;
			return sw_error_set(err, -r, "pthread_create: %s", strerror(r));
		}
	}
	r = pthread_create(&e->deadline, NULL, deadline_main, e);
	if (r)
		return sw_error_set(err, -r, "pthread_create: %s", strerror(r));
	e->deadline_started = true;
	r = pthread_create(&e->reader, NULL, reader_main, e);
	if (r)
		return sw_error_set(err, -r, "pthread_create: %s", strerror(r));
	e->reader_started = true;
	return 0;
}

int enforce_start(struct daemon *d, struct sw_error *err)
{
	const struct sw_config *cfg = &d->cfg;
	struct resolver_opts ro = { .root = "",
				    .storage_root = cfg->storage_root,
				    .docker_root = cfg->docker_root,
				    .containerd_root = cfg->containerd_root };
	struct enforce *e;
	int r;

	if (d->enforce)
		return 0;
	e = enforce_new(d);
	if (!e)
		return sw_error_set(err, -ENOMEM, "out of memory");
	d->enforce = e; /* enforce_stop() undoes a partial start */
	r = vcache_new(cfg->cache_size, &e->cache);
	if (r)
		return sw_error_set(err, r, "out of memory");
	r = resolver_new(&ro, &e->resolver, err);
	if (r)
		return r;
	e->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_QUEUE,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (e->fan_fd < 0)
		return sw_error_set(err, -errno,
				    "fanotify_init (permission events, enforce mode): %s",
				    strerror(errno));
	e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->stop_fd < 0)
		return sw_error_set(err, -errno, "eventfd: %s", strerror(errno));
	r = enforce_watchdog_start(e, err) ?: enforce_threads(e, cfg, err);
	if (r)
		return r;
	/* marks last: from here on execs wait for our answers */
	r = add_marks(e, cfg, err);
	if (r)
		return r;
	log_info("enforce: fanotify backend, default mode %s%s, %zu scopes, deadline %u ms, "
		 "watchdog pid %d",
		 policy_mode_name(e->policy.default_mode),
		 e->policy.default_strict ? ",strict" : "", e->policy.n_scopes,
		 e->policy.deadline_ms, (int)e->watchdog);
	return 0;
}

void enforce_stop(struct enforce *e)
{
	uint64_t one = 1;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (e->stop_fd >= 0 && write(e->stop_fd, &one, sizeof(one)) < 0)
		log_debug("eventfd: %s", strerror(errno));
	if (e->reader_started)
		pthread_join(e->reader, NULL);
	for (unsigned int i = 0; i < e->n_deciders; i++)
		pthread_join(e->deciders[i], NULL);
	if (e->deadline_started)
		pthread_join(e->deadline, NULL);
	/* whatever is still held is allowed; closing the group releases the rest */
	for (int i = 0; i < ENFORCE_SLOTS; i++)
		if (e->slots[i].in_use) {
			enforce_answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DEADLINE);
			release_locked(e, i);
		}
	if (e->sh) {
		__atomic_store_n(&e->sh->stop, 1, __ATOMIC_RELEASE);
		if (e->watchdog > 0) {
			kill(e->watchdog, SIGKILL);
			waitpid(e->watchdog, NULL, 0);
		}
		munmap(e->sh, sizeof(*e->sh));
	}
	if (e->fan_fd >= 0)
		close(e->fan_fd);
	for (int k = 0; k < 2; k++)
		if (e->life[k] >= 0)
			close(e->life[k]);
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	free(e->deciders);
	resolver_free(e->resolver);
	vcache_free(e->cache);
	bstore_unref(e->store);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->resolver_lock);
	pthread_cond_destroy(&e->cond);
	free(e);
}

bool enforce_alive(struct enforce *e)
{
	uint64_t beat, now = now_ns(CLOCK_MONOTONIC) / 1000000ULL;

	if (!e || !e->sh)
		return true;
	beat = __atomic_load_n(&e->sh->heartbeat_ms, __ATOMIC_ACQUIRE);
	return beat + 2ULL * e->policy.deadline_ms + 1000 >= now;
}

void enforce_set_store(struct enforce *e, struct sw_bstore *s)
{
	struct sw_bstore *old;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	old = e->store;
	e->store = bstore_ref(s);
	/* entries point into the old snapshot: deciders holding it finish on their own ref */
	vcache_reset(e->cache);
	memset(e->scopes, 0, sizeof(e->scopes));
	pthread_mutex_unlock(&e->lock);
	bstore_unref(old);
}

void enforce_set_policy(struct enforce *e, const struct sw_policy *p)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->policy = *p;
	memset(e->scopes, 0, sizeof(e->scopes));
	pthread_mutex_unlock(&e->lock);
}

void enforce_stats(struct enforce *e, struct enforce_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!e)
		return;
	out->events = __atomic_load_n(&e->stats.events, __ATOMIC_RELAXED);
	out->decided = __atomic_load_n(&e->stats.decided, __ATOMIC_RELAXED);
	out->allowed = __atomic_load_n(&e->stats.allowed, __ATOMIC_RELAXED);
	out->denied = __atomic_load_n(&e->stats.denied, __ATOMIC_RELAXED);
	out->would_deny = __atomic_load_n(&e->stats.would_deny, __ATOMIC_RELAXED);
	out->fallbacks = __atomic_load_n(&e->stats.fallbacks, __ATOMIC_RELAXED);
	out->cached = __atomic_load_n(&e->stats.cached, __ATOMIC_RELAXED);
	out->watchdog = e->sh ? __atomic_load_n(&e->sh->answered, __ATOMIC_RELAXED) : 0;
}

void enforce_sample_metrics(struct enforce *e)
{
	struct enforce_stats st;
	uint64_t cum = 0;
	char le[64];

	if (!e)
		return;
	enforce_stats(e, &st);
	metrics_set("sealwatch_enforce_events_total", NULL, (double)st.events);
	metrics_set("sealwatch_enforce_decisions_total", "decision=\"allowed\"",
		    (double)st.allowed);
	metrics_set("sealwatch_enforce_decisions_total", "decision=\"denied\"", (double)st.denied);
	metrics_set("sealwatch_enforce_decisions_total", "decision=\"would_deny\"",
		    (double)st.would_deny);
	metrics_set("sealwatch_enforce_fallbacks_total", "by=\"deadline\"", (double)st.fallbacks);
	metrics_set("sealwatch_enforce_cached_total", NULL, (double)st.cached);
	metrics_set("sealwatch_enforce_fallbacks_total", "by=\"watchdog\"", (double)st.watchdog);
	for (unsigned int i = 0; i <= ENFORCE_LAT_BUCKETS; i++) {
		cum += __atomic_load_n(&e->lat[i], __ATOMIC_RELAXED);
		if (i < ENFORCE_LAT_BUCKETS)
			snprintf(le, sizeof(le), "le=\"%g\"", lat_bounds[i]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		metrics_set("sealwatch_enforce_decision_seconds_bucket", le, (double)cum);
	}
	metrics_set("sealwatch_enforce_decision_seconds_count", NULL, (double)cum);
	metrics_set("sealwatch_enforce_decision_seconds_sum", NULL,
		    (double)__atomic_load_n(&e->lat_sum_us, __ATOMIC_RELAXED) / 1e6);
}

void enforce_describe_metrics(void)
{
	metrics_describe("sealwatch_enforce_events_total", METRIC_COUNTER,
			 "fanotify permission events read (enforce/audit)");
	metrics_describe("sealwatch_enforce_decisions_total", METRIC_COUNTER,
			 "permission answers by decision (fallbacks included)");
	metrics_describe("sealwatch_enforce_cached_total", METRIC_COUNTER,
			 "permissions allowed by the reader from the decision cache (no hand-off)");
	metrics_describe("sealwatch_enforce_fallbacks_total", METRIC_COUNTER,
			 "permissions answered without a decision: past the deadline or by "
			 "the watchdog process");
}

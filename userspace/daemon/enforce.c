// SPDX-License-Identifier: GPL-2.0-only
/*
 * enforce.c: the fanotify backend of prevention by baseline (enforce.h,
 * docs/enforce.md). The policy is verify/policy.c's; the verdict is the
 * verifier's (verifier_check_fd() on the event's fd: the exact file the
 * kernel is about to run); the event goes out through report_verdict().
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

#define ENFORCE_SLOTS 1024 /* permission events held at once; more: fallback at once */
#define ENFORCE_TICK_MS 5 /* the deadline thread's period, and the heartbeat's */
#define ENFORCE_WATCHDOG_POLL_MS 20
#define ENFORCE_MAX_MARKS 8
#define ENFORCE_LAT_BUCKETS 12
#define ENFORCE_SCOPE_CACHE 256 /* mount namespaces whose scope is known */

#ifndef NS_GET_MNTNS_ID /* linux/nsfs.h of 6.8+: a mount namespace's 64-bit id, never reused */
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

/* Decision latency buckets (seconds), for sealwatch_enforce_decision_seconds. */
static const double lat_bounds[ENFORCE_LAT_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001,
							0.0025, 0.005,	 0.01,	 0.05,
							0.1,	0.5,	 1,	 5 };

enum answered_by {
	BY_NONE,
	BY_DECIDER,
	BY_DEADLINE,
	BY_WATCHDOG,
};

/* One permission event held until it is answered and its verdict reported. */
struct slot {
	bool in_use;
	int fd; /* the event's fd: the exact file */
	pid_t pid;
	uint64_t mask;
	uint64_t t0_ns; /* CLOCK_MONOTONIC when read */
	uint64_t boot_ns; /* CLOCK_BOOTTIME when read (the report's latency) */
	uint64_t mntns_id; /* the reader's reading, 0: unknown */
	enum answered_by by;
	enum sw_decision taken; /* what was answered */
	bool picked; /* a decider has it */
	bool scoped; /* mode/strict below are the event's scope's */
	enum sw_mode mode;
	bool strict;
};

/*
 * Shared with the watchdog process (MAP_SHARED): the daemon's heartbeat and
 * the event fds it holds, so that the watchdog can answer them when the
 * daemon stops answering.
 */
struct enforce_shared {
	uint64_t heartbeat_ms; /* CLOCK_MONOTONIC ms, written by the deadline thread */
	uint32_t deadline_ms;
	int32_t stop;
	uint64_t answered; /* events the watchdog answered */
	int32_t fds[ENFORCE_SLOTS]; /* -1: free */
};

struct enforce {
	struct daemon *d;
	int fan_fd, stop_fd;
	int life[2]; /* the watchdog reads [0]; [1], ours, closes when we exit */
	pid_t self, watchdog;
	struct enforce_shared *sh;
	pthread_mutex_t lock; /* slots, queue, policy, store, answers */
	pthread_cond_t cond;
	bool stopping;
	struct slot slots[ENFORCE_SLOTS];
	int free_list[ENFORCE_SLOTS];
	size_t n_free;
	int queue[ENFORCE_SLOTS]; /* FIFO of slot indices for the deciders */
	size_t q_head, q_count;
	struct sw_policy policy;
	struct sw_bstore *store;
	struct vcache *cache; /* this backend's own: reset with the store */
	pthread_mutex_t resolver_lock;
	struct resolver *resolver; /* this backend's own (resolvers are not thread-safe) */
	bool image_mismatch, libraries;
	__u32 host_mntns, host_userns;
	char storage_roots[3][PATH_MAX];
	pthread_t reader, deadline, *deciders;
	unsigned int n_deciders;
	bool reader_started, deadline_started;
	/*
	 * mount namespace id → its scope, filled by the deciders: the reader
	 * answers a verified file of a known container (decision cache hit) at
	 * once, without a hand-off. Cleared with the store and the policy.
	 */
	struct scope_entry {
		uint64_t mntns_id; /* 0: free */
		enum sw_mode mode;
		bool strict;
		const struct bstore_baseline *bl; /* in e->store */
	} scopes[ENFORCE_SCOPE_CACHE];
	unsigned int scope_next;
	struct enforce_stats stats; /* atomics */
	uint64_t lat[ENFORCE_LAT_BUCKETS + 1]; /* atomics; the last: +Inf */
	uint64_t lat_sum_us;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static __u32 ns_inode(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	return stat(path, &st) ? 0 : (__u32)st.st_ino;
}

/* The never-reused id of @pid's mount namespace; 0 when unknown. */
static uint64_t mntns_id(pid_t pid)
{
	char path[64];
	__u64 id = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (ioctl(fd, NS_GET_MNTNS_ID, &id))
		id = 0;
	close(fd);
	return id;
}

/* Write one answer; false when the kernel no longer holds the event (answered elsewhere). */
static bool respond(int fan_fd, int fd, bool allow)
{
	struct fanotify_response r = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	return write(fan_fd, &r, sizeof(r)) == (ssize_t)sizeof(r);
}

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
static bool answer_locked(struct enforce *e, int i, enum sw_decision dec, enum answered_by by)
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

/* ---- the container path of a file the event's fd names ---- */

/*
 * readlink of the event's fd: for a file of a container's overlay mount that
 * the daemon's mount namespace cannot reach, the kernel already gives the
 * path from the container's root ("/usr/bin/x"); a merged or layer directory
 * the daemon can see ("<storage>/overlay/ID/merged/usr/bin/x", ".../diff/...")
 * is cut to the same.
 */
static void container_path(const struct enforce *e, char *path)
{
	for (size_t r = 0; r < 3; r++) {
		const char *root = e->storage_roots[r], *p, *id;
		size_t n = strlen(root);

		if (!n || strncmp(path, root, n))
			continue;
		p = path + n;
		if (!strncmp(p, "/overlay/", 9))
			id = p + 9;
		else if (!strncmp(p, "/overlay2/", 10))
			id = p + 10;
		else
			continue;
		p = strchr(id, '/');
		if (!p)
			continue;
		if (!strncmp(p, "/merged/", 8))
			p += 7;
		else if (!strncmp(p, "/diff/", 6))
			p += 5;
		else
			continue;
		memmove(path, p, strlen(p) + 1);
		return;
	}
}

/* The container of @pid from /proc/PID/cgroup (any level of any hierarchy). */
static bool container_of(pid_t pid, char id[SW_CONTAINER_ID_LEN + 1], const char **hint)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *comp, *save = NULL;

		line[strcspn(line, "\n")] = '\0';
		p = p ? strchr(p + 1, ':') : NULL;
		for (comp = p ? strtok_r(p + 1, "/", &save) : NULL; comp && !found;
		     comp = strtok_r(NULL, "/", &save))
			found = !resolver_container_id(comp, id, hint);
	}
	fclose(f);
	return found;
}

/* The process's container, image and ID maps into @job; false: not resolvable. */
static bool resolve_container(struct enforce *e, struct verify_job *job, const char *id,
			      const char *hint)
{
	const struct sw_container *c = NULL;
	struct sw_error err = { { 0 } };
	bool ok;

	job->in_container = true;
	pthread_mutex_lock(&e->resolver_lock);
	ok = !resolver_lookup(e->resolver, id, hint, &c, &err);
	if (ok) {
		strdup_opt(&job->c_id, c->id);
		strdup_opt(&job->c_runtime, c->runtime);
		strdup_opt(&job->c_name, c->name);
		strdup_opt(&job->c_image_id, c->image_id);
		strdup_opt(&job->c_image_name, c->image_name);
		strdup_opt(&job->c_pod, c->pod_name);
		strdup_opt(&job->c_ns, c->pod_namespace);
		strdup_opt(&job->c_cname, c->k8s_container_name);
	} else {
		job->c_id = strdup(id);
	}
	pthread_mutex_unlock(&e->resolver_lock);
	if (job->ev.userns && job->ev.userns == e->host_userns) {
		job->uid_map = (struct sw_idmap){ 1, { { 0, 0, UINT32_MAX } } };
		job->gid_map = job->uid_map;
	} else {
		idmap_read((int)job->ev.tgid, "uid_map", &job->uid_map);
		idmap_read((int)job->ev.tgid, "gid_map", &job->gid_map);
	}
	return ok;
}

/* The process and file of slot @s into a new job (no fd: the slot keeps it). */
static struct verify_job *job_of(struct enforce *e, const struct slot *s, char *path, size_t size)
{
	struct verify_job *job = calloc(1, sizeof(*job));
	char link[64], buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	if (!job)
		return NULL;
	job->exe_fd = -1;
	job->action = s->mask & FAN_OPEN_EXEC_PERM ? "exec" : "mmap_exec";
	job->ev.type = SW_EVENT_EXEC;
	job->ev.boot_ns = s->boot_ns;
	job->ev.pid = job->ev.tgid = (__u32)s->pid;
	job->ev.mntns = ns_inode(s->pid, "mnt");
	job->ev.userns = ns_inode(s->pid, "user");
	snprintf(link, sizeof(link), "/proc/%d", s->pid);
	if (!stat(link, &st)) {
		job->ev.uid = st.st_uid;
		job->ev.gid = st.st_gid;
	}
	snprintf(link, sizeof(link), "/proc/%d/comm", s->pid);
	fd = open(link, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(job->ev.comm, sizeof(job->ev.comm), "%s", buf);
		}
	}
	if (!fstat(s->fd, &st)) {
		job->ev.file.dev = major(st.st_dev) << 20 | minor(st.st_dev);
		job->ev.file.ino = st.st_ino;
		job->ev.file.size = (__u64)st.st_size;
		job->ev.file.ctime_sec = st.st_ctim.tv_sec;
		job->ev.file.ctime_nsec = (__u32)st.st_ctim.tv_nsec;
		job->ev.file.nlink = (__u32)st.st_nlink;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s->fd);
	n = readlink(link, path, size - 1);
	path[n > 0 ? n : 0] = '\0';
	container_path(e, path);
	snprintf(job->ev.filename, sizeof(job->ev.filename), "%s", path);
	job->exe_path = strdup(path);
	return job;
}

/* A shared object (ELF ET_DYN)? Only those are decided for FAN_OPEN_PERM. */
static bool is_shared_object(int fd)
{
	unsigned char h[18];

	return pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && !memcmp(h, "\177ELF", 4) &&
	       h[16] == 3 /* ET_DYN */ && h[17] == 0;
}

struct outcome {
	enum sw_verdict verdict;
	const char *reason;
	struct sw_verdict_result res;
	struct sw_entry actual;
	struct sw_file_meta meta;
	struct vcache_hit hit;
	bool hashed, cached;
};

/* The verdict on the slot's file against job->bl (set). */
static void judge(struct enforce *e, struct verify_job *job, int fd, const char *path,
		  struct content_hash *ch, struct outcome *o)
{
	const char *why;

	if (!job->ev.file.nlink) {
		o->verdict = SW_VERDICT_FILELESS;
		o->reason = "executed file has been deleted";
		return;
	}
	if (vcache_get(e->cache, &job->ev.file, job->bl, path, &o->hit)) {
		o->verdict = o->hit.verdict;
		o->reason = o->hit.reason;
		o->cached = true;
		return;
	}
	why = verifier_check_fd(job, fd, path, ch, &o->res, &o->actual, &o->meta);
	if (why) {
		o->verdict = SW_VERDICT_UNVERIFIED;
		o->reason = why;
		return;
	}
	o->hashed = true;
	o->verdict = o->res.verdict;
	o->reason = o->res.reason;
	memset(&o->hit, 0, sizeof(o->hit));
	o->hit.verdict = o->res.verdict;
	memcpy(o->hit.sha256, o->actual.sha256, SW_SHA256_LEN);
	o->hit.expected = o->res.expected;
	o->hit.same_content_as = o->res.same_content_as;
	o->hit.reason = o->res.reason;
	o->hit.fields = o->res.fields;
	o->hit.meta = o->meta;
	snprintf(o->hit.path, sizeof(o->hit.path), "%s", o->res.resolved_path);
	vcache_put(e->cache, &job->ev.file, job->bl, path, &o->hit);
}

static void report_decision(struct enforce *e, struct verify_job *job, const struct outcome *o,
			    const struct slot *s, const char *path)
{
	struct ecs_container c;
	struct ecs_exec x;

	verify_job_event(job, &x, &c);
	x.verdict = o->verdict;
	x.reason = o->reason;
	x.severity = verdict_severity(o->verdict);
	x.executable = path;
	if (o->hashed || o->cached) {
		x.sha256 = o->hit.sha256;
		x.expected = o->hit.expected;
		x.same_content_as = o->hit.same_content_as;
		x.fields = o->hit.fields;
		x.actual = &o->hit.meta;
	}
	x.decision = s->by == BY_WATCHDOG ? "watchdog_allow" : policy_decision_name(s->taken);
	x.mode = policy_mode_name(s->mode);
	x.decision_ms = (double)(now_ns(CLOCK_MONOTONIC) - s->t0_ns) / 1e6;
	report_verdict(e->d->report, &x);
}

/* Decide slot @i: scope, baseline, verdict, policy; answer; report. */
static void decide(struct enforce *e, int i, struct content_hash *ch)
{
	struct slot *s = &e->slots[i];
	char path[PATH_MAX], id[SW_CONTAINER_ID_LEN + 1];
	const char *hint = NULL;
	struct outcome o = { .verdict = SW_VERDICT_OK };
	struct sw_policy pol;
	struct verify_job *job;
	enum sw_decision dec = SW_DECISION_ALLOW;
	bool in_container, resolved = true;
	enum sw_mode mode;
	bool strict;

	job = job_of(e, s, path, sizeof(path));
	if (!job) {
		pthread_mutex_lock(&e->lock);
		answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DECIDER);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	in_container =
		job->ev.mntns && job->ev.mntns != e->host_mntns && container_of(s->pid, id, &hint);
	if (in_container)
		resolved = resolve_container(e, job, id, hint);
	pthread_mutex_lock(&e->lock);
	pol = e->policy;
	policy_match(&pol, in_container, job->c_image_name, job->c_ns, &mode, &strict);
	s->mode = mode;
	s->strict = strict;
	s->scoped = true;
	job->store = bstore_ref(e->store);
	pthread_mutex_unlock(&e->lock);

	if (!policy_mode_decides(mode) ||
	    ((s->mask & FAN_OPEN_PERM) && !(s->mask & FAN_OPEN_EXEC_PERM) &&
	     !is_shared_object(s->fd)))
		goto answer;
	if (!resolved) {
		o.verdict = SW_VERDICT_UNVERIFIED;
		o.reason = "container not found in any runtime's state";
	} else if (in_container) {
		int by_name = 0;

		job->bl =
			bstore_find_image(job->store, job->c_image_id, job->c_image_name, &by_name);
		job->baseline_match = by_name ? "image_name" : "image_id";
		if (!job->bl) {
			const struct bstore_baseline *named =
				job->c_image_name ?
					bstore_find_name(job->store, job->c_image_name) :
					NULL;

			if (named && named->b->hdr.config_digest && job->c_image_id &&
			    e->image_mismatch) {
				job->bl = named;
				job->baseline_match = "image_mismatch";
				o.verdict = SW_VERDICT_IMAGE_MISMATCH;
				o.reason = "the image ID is not the one the signed baseline of its "
					   "name records";
			} else {
				o.verdict = SW_VERDICT_NO_BASELINE;
				o.reason = "the container's image has no verified baseline";
			}
		}
	} else {
		job->bl = bstore_host(job->store);
		job->baseline_match = "host";
		if (!job->bl) /* a host without a host baseline is never denied */
			goto answer;
	}
	if (job->bl && o.verdict == SW_VERDICT_OK && in_container && s->mntns_id) {
		pthread_mutex_lock(&e->lock);
		if (bstore_find_image(e->store, job->c_image_id, job->c_image_name, &(int){ 0 }) ==
		    job->bl) { /* still the current store's */
			struct scope_entry *se = NULL;

			for (unsigned int k = 0; k < ENFORCE_SCOPE_CACHE && !se; k++)
				if (e->scopes[k].mntns_id == s->mntns_id)
					se = &e->scopes[k];
			if (!se) {
				se = &e->scopes[e->scope_next];
				e->scope_next = (e->scope_next + 1) % ENFORCE_SCOPE_CACHE;
			}
			*se = (struct scope_entry){ s->mntns_id, mode, strict, job->bl };
		}
		pthread_mutex_unlock(&e->lock);
	}
	if (job->bl && o.verdict == SW_VERDICT_OK)
		judge(e, job, s->fd, path, ch, &o);
	dec = policy_decide(&pol, mode, strict, o.verdict);
answer:
	pthread_mutex_lock(&e->lock);
	answer_locked(e, i, dec, BY_DECIDER);
	pthread_mutex_unlock(&e->lock);
	count(&e->stats.decided);
	if (now_ns(CLOCK_MONOTONIC) - s->t0_ns > 100000000ULL)
		log_debug(
			"enforce: slow decision on %s (pid %d): %.1f ms from the event, verdict %s",
			path, (int)s->pid, (double)(now_ns(CLOCK_MONOTONIC) - s->t0_ns) / 1e6,
			verdict_name(o.verdict));
	if (s->taken != SW_DECISION_ALLOW)
		report_decision(e, job, &o, s, path);
	entry_clear(&o.actual);
	verify_job_free(job);
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
			decide(e, i, &ch);
		} else {
			pthread_mutex_lock(&e->lock);
			answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DECIDER);
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
	if (ns_inode(m->pid, "mnt") != e->host_mntns)
		return false;
	pthread_mutex_lock(&e->lock);
	policy_match(&e->policy, false, NULL, NULL, &mode, &strict);
	/* a host without a host baseline is never denied: nothing to decide */
	at_once = !policy_mode_decides(mode) || !bstore_host(e->store);
	pthread_mutex_unlock(&e->lock);
	return at_once;
}

/*
 * A file of a container whose scope is known (its mount namespace) that the
 * decision cache holds as ok: allowed by the reader, no hand-off. Only
 * non-blocking calls on the event's fd and /proc (never a file of the
 * filesystems we mark: the reader answers the daemon's own opens).
 */
static bool cached_ok(struct enforce *e, const struct fanotify_event_metadata *m, uint64_t ns_id)
{
	struct sw_file_id id = { 0 };
	struct vcache_hit hit;
	char link[64], path[PATH_MAX];
	const struct bstore_baseline *bl = NULL;
	struct stat st;
	ssize_t n;
	bool ok;

	if (!ns_id || fstat(m->fd, &st) || !S_ISREG(st.st_mode) || !st.st_nlink)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	container_path(e, path);
	id.dev = major(st.st_dev) << 20 | minor(st.st_dev);
	id.ino = st.st_ino;
	id.size = (__u64)st.st_size;
	id.ctime_sec = st.st_ctim.tv_sec;
	id.ctime_nsec = (__u32)st.st_ctim.tv_nsec;
	id.nlink = (__u32)st.st_nlink;
	/* one hold of the lock: the store (and so @bl) cannot change in between */
	pthread_mutex_lock(&e->lock);
	for (unsigned int k = 0; k < ENFORCE_SCOPE_CACHE && !bl; k++)
		if (e->scopes[k].mntns_id == ns_id && policy_mode_decides(e->scopes[k].mode))
			bl = e->scopes[k].bl;
	ok = bl && vcache_get(e->cache, &id, bl, path, &hit) && hit.verdict == SW_VERDICT_OK;
	pthread_mutex_unlock(&e->lock);
	return ok;
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
	ns_id = mntns_id(m->pid);
	if (cached_ok(e, m, ns_id)) {
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
			if (answer_locked(e, i, dec, BY_DEADLINE) && n_told < 16) {
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

/*
 * The watchdog process: holds the same fanotify group. While the daemon's
 * heartbeat is fresh it only watches; when it is older than the deadline
 * (the daemon is stopped or hung), it answers every event fd the daemon holds
 * and every new event with allow. Only async-signal-safe calls (it is a
 * fork() of a threaded process). Dies with the daemon (PR_SET_PDEATHSIG).
 */
static void watchdog_main(struct enforce_shared *sh, int fan_fd, int life_fd, pid_t parent)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd life = { .fd = life_fd, .events = POLLIN };
	int lo = fan_fd < life_fd ? fan_fd : life_fd, hi = fan_fd ^ life_fd ^ lo;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "sealwatch-wd");
	/* keep the group and the read end of the life pipe only */
	if (lo > 0)
		close_range(0, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0U, 0);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = now_ns(CLOCK_MONOTONIC) / 1000000ULL;
		uint64_t beat = __atomic_load_n(&sh->heartbeat_ms, __ATOMIC_ACQUIRE);
		uint64_t limit = __atomic_load_n(&sh->deadline_ms, __ATOMIC_RELAXED);

		if (beat && now > beat + limit) {
			struct pollfd p = { .fd = fan_fd, .events = POLLIN };
			ssize_t n;

			for (int i = 0; i < ENFORCE_SLOTS; i++) {
				int fd = __atomic_load_n(&sh->fds[i], __ATOMIC_ACQUIRE);

				if (fd >= 0 && respond(fan_fd, fd, true))
					__atomic_add_fetch(&sh->answered, 1, __ATOMIC_RELAXED);
			}
			while (poll(&p, 1, 0) > 0 && (n = read(fan_fd, buf, sizeof(buf))) > 0) {
				struct fanotify_event_metadata *m;

				for (m = (void *)buf; FAN_EVENT_OK(m, n);
				     m = FAN_EVENT_NEXT(m, n)) {
					if (m->fd < 0)
						continue;
					if (m->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM) &&
					    respond(fan_fd, m->fd, true))
						__atomic_add_fetch(&sh->answered, 1,
								   __ATOMIC_RELAXED);
					close(m->fd);
				}
			}
			if (getppid() != parent)
				_exit(0);
			/* while the daemon is stopped, answer new events promptly */
			p.revents = 0;
			poll(&p, 1, ENFORCE_WATCHDOG_POLL_MS);
		}
		/*
		 * The daemon's end of the life pipe closes as soon as it exits
		 * (before its exit completes, which PR_SET_PDEATHSIG waits for):
		 * then leave at once, so that the group closes and the kernel
		 * releases the pending events.
		 */
		life.revents = 0;
		if (poll(&life, 1, ENFORCE_WATCHDOG_POLL_MS) > 0 && life.revents)
			_exit(0);
	}
	_exit(0);
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

static int start_watchdog(struct enforce *e, struct sw_error *err)
{
	pid_t parent = getpid(), pid;

	e->sh = mmap(NULL, sizeof(*e->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (e->sh == MAP_FAILED) {
		e->sh = NULL;
		return sw_error_set(err, -errno, "mmap: %s", strerror(errno));
	}
	for (int i = 0; i < ENFORCE_SLOTS; i++)
		e->sh->fds[i] = -1;
	e->sh->deadline_ms = e->policy.deadline_ms;
	if (pipe2(e->life, O_CLOEXEC))
		return sw_error_set(err, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return sw_error_set(err, -errno, "fork: %s", strerror(errno));
	if (!pid)
		watchdog_main(e->sh, e->fan_fd, e->life[0], parent);
	close(e->life[0]);
	e->life[0] = -1;
	e->watchdog = pid;
	return 0;
}

int enforce_start(struct daemon *d, struct sw_error *err)
{
	const struct sw_config *cfg = &d->cfg;
	struct resolver_opts ro = { .root = "",
				    .storage_root = cfg->storage_root,
				    .docker_root = cfg->docker_root,
				    .containerd_root = cfg->containerd_root };
	bool decides = policy_mode_decides(cfg->policy.default_mode);
	struct enforce *e;
	int r;

	for (size_t i = 0; i < cfg->policy.n_scopes; i++)
		decides |= policy_mode_decides(cfg->policy.scopes[i].mode);
	if (!decides || d->enforce)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return sw_error_set(err, -ENOMEM, "out of memory");
	e->d = d;
	e->fan_fd = e->stop_fd = -1;
	e->life[0] = e->life[1] = -1;
	e->self = getpid();
	e->policy = cfg->policy;
	e->image_mismatch = cfg->image_mismatch;
	e->libraries = cfg->enforce_libraries;
	e->host_mntns = d->host_mntns;
	e->host_userns = ns_inode(1, "user");
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
	r = start_watchdog(e, err);
	if (r)
		return r;
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
			answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DEADLINE);
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * enforce_decide.c: one permission decision of the fanotify backend
 * (enforce_internal.h): the process and its container, the container path of
 * the event's fd, the baseline, the verdict (decision cache, else
 * verifier_check_fd() on the exact file), the policy, the answer, the event.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "baseline.h"
#include "bstore.h"
#include "content.h"
#include "daemon.h"
#include "decide.h"
#include "enforce_internal.h"
#include "errors.h"
#include "events.h"
#include "idmap.h"
#include "log.h"
#include "policy.h"
#include "report.h"
#include "resolver.h"
#include "strutil.h"
#include "vcache.h"
#include "verifier.h"

__u32 enforce_ns_inode(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	return stat(path, &st) ? 0 : (__u32)st.st_ino;
}

/* The never-reused id of @pid's mount namespace; 0 when unknown. */
uint64_t enforce_mntns_id(pid_t pid)
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
	if (ok)
		verify_job_set_container(job, c, e->host_userns);
	else
		job->c_id = strdup(id);
	pthread_mutex_unlock(&e->resolver_lock);
	return ok;
}

/* The process and file of slot @s into a new job (no fd: the slot keeps it). */
static struct verify_job *job_of(struct enforce *e, const struct slot *s, char *path, size_t size)
{
	struct verify_job *job = verify_job_alloc();
	char link[64], buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	if (!job)
		return NULL;
	job->action = s->mask & FAN_OPEN_EXEC_PERM ? "exec" : "mmap_exec";
	job->ev.type = SW_EVENT_EXEC;
	job->ev.boot_ns = s->boot_ns;
	job->ev.pid = job->ev.tgid = (__u32)s->pid;
	job->ev.mntns = enforce_ns_inode(s->pid, "mnt");
	job->ev.userns = enforce_ns_inode(s->pid, "user");
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
	if (!fstat(s->fd, &st))
		verify_job_file_from_stat(job, &st);
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

/*
 * The baseline of the slot's process into job->bl, or the verdict reached
 * without one (@o): unresolvable container, no_baseline, image_mismatch.
 * False: a host without a host baseline (never denied, nothing to decide).
 */
static bool find_baseline(struct enforce *e, struct verify_job *job, bool in_container,
			  bool resolved, struct outcome *o)
{
	int by_name = 0;

	if (!resolved) {
		o->verdict = SW_VERDICT_UNVERIFIED;
		o->reason = "container not found in any runtime's state";
		return true;
	}
	if (!in_container) {
		job->bl = bstore_host(job->store);
		job->baseline_match = "host";
		return job->bl != NULL;
	}
	job->bl = bstore_find_image(job->store, job->c_image_id, job->c_image_name, &by_name);
	job->baseline_match = by_name ? "image_name" : "image_id";
	if (!job->bl) {
		const struct bstore_baseline *named =
			job->c_image_name ? bstore_find_name(job->store, job->c_image_name) : NULL;

		if (named && named->b->hdr.config_digest && job->c_image_id && e->image_mismatch) {
			job->bl = named;
			job->baseline_match = "image_mismatch";
			o->verdict = SW_VERDICT_IMAGE_MISMATCH;
			o->reason = "the image ID is not the one the signed baseline of its "
				    "name records";
		} else {
			o->verdict = SW_VERDICT_NO_BASELINE;
			o->reason = "the container's image has no verified baseline";
		}
	}
	return true;
}

/* The container's mount namespace → its scope, for the reader's fast path. */
static void remember_scope(struct enforce *e, const struct slot *s, const struct verify_job *job)
{
	struct scope_entry *se = NULL;

	pthread_mutex_lock(&e->lock);
	/* still the current store's baseline */
	if (bstore_find_image(e->store, job->c_image_id, job->c_image_name, &(int){ 0 }) ==
	    job->bl) {
		for (unsigned int k = 0; k < ENFORCE_SCOPE_CACHE && !se; k++)
			if (e->scopes[k].mntns_id == s->mntns_id)
				se = &e->scopes[k];
		if (!se) {
			se = &e->scopes[e->scope_next];
			e->scope_next = (e->scope_next + 1) % ENFORCE_SCOPE_CACHE;
		}
		*se = (struct scope_entry){ s->mntns_id, s->mode, s->strict, job->bl };
	}
	pthread_mutex_unlock(&e->lock);
}

/* Answer slot @i with @dec, then report it unless it was a plain allow. */
static void answer_and_report(struct enforce *e, int i, enum sw_decision dec,
			      struct verify_job *job, const struct outcome *o, const char *path)
{
	struct slot *s = &e->slots[i];

	pthread_mutex_lock(&e->lock);
	enforce_answer_locked(e, i, dec, BY_DECIDER);
	pthread_mutex_unlock(&e->lock);
	count(&e->stats.decided);
	if (now_ns(CLOCK_MONOTONIC) - s->t0_ns > 100000000ULL)
		log_debug(
			"enforce: slow decision on %s (pid %d): %.1f ms from the event, verdict %s",
			path, (int)s->pid, (double)(now_ns(CLOCK_MONOTONIC) - s->t0_ns) / 1e6,
			verdict_name(o->verdict));
	if (s->taken != SW_DECISION_ALLOW)
		report_decision(e, job, o, s, path);
}

/* Decide slot @i: scope, baseline, verdict, policy; answer; report. */
void enforce_decide(struct enforce *e, int i, struct content_hash *ch)
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
		enforce_answer_locked(e, i, SW_DECISION_FALLBACK_ALLOW, BY_DECIDER);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	in_container = job->ev.mntns && job->ev.mntns != e->host_mntns &&
		       !resolver_container_of_pid(s->pid, id, &hint);
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
	     !is_shared_object(s->fd)) ||
	    !find_baseline(e, job, in_container, resolved, &o))
		goto answer;
	if (job->bl && o.verdict == SW_VERDICT_OK && in_container && s->mntns_id)
		remember_scope(e, s, job);
	if (job->bl && o.verdict == SW_VERDICT_OK)
		judge(e, job, s->fd, path, ch, &o);
	dec = policy_decide(&pol, mode, strict, o.verdict);
answer:
	answer_and_report(e, i, dec, job, &o, path);
	entry_clear(&o.actual);
	verify_job_free(job);
}

/*
 * A file of a container whose scope is known (its mount namespace) that the
 * decision cache holds as ok: allowed by the reader, no hand-off. Only
 * non-blocking calls on the event's fd and /proc (never a file of the
 * filesystems we mark: the reader answers the daemon's own opens).
 */
bool enforce_cached_ok(struct enforce *e, const struct fanotify_event_metadata *m, uint64_t ns_id)
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

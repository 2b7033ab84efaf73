// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "bstore.h"
#include "content.h"
#include "errors.h"
#include "report.h"
#include "strutil.h"
#include "vcache.h"
#include "decide.h"
#include "resolver.h"
#include "verifier.h"

struct verifier {
	struct verifier_opts o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct verify_queue *q;
	bool stopping;
	pthread_t *threads;
	long long *busy_since; /* per worker: CLOCK_MONOTONIC s its job started, 0 idle */
	unsigned int n_threads;
	struct verifier_stats stats;
};

static long long monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * The kernel's identity of the executed inode must equal what fstat() sees
 * on the file we are about to hash; else the file was replaced in between.
 */
static bool identity_matches(const struct sw_file_id *id, const struct stat *st)
{
	return major(st->st_dev) == id->dev >> 20 && minor(st->st_dev) == (id->dev & 0xfffff) &&
	       (__u64)st->st_ino == id->ino && (__u64)st->st_size == id->size &&
	       st->st_ctim.tv_sec == id->ctime_sec && (__u32)st->st_ctim.tv_nsec == id->ctime_nsec;
}

/* The real path of @fd inside @rootfs (NULL: the host root), in @buf. */
static const char *real_path_in_root(int fd, const char *rootfs, char *buf, size_t size)
{
	char link[64];
	size_t n_root = rootfs ? strlen(rootfs) : 0;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (n_root > 1 && rootfs[n_root - 1] == '/')
		n_root--;
	if (!rootfs || n_root <= 1)
		return buf[0] == '/' ? buf : NULL;
	if (strncmp(buf, rootfs, n_root) || buf[n_root] != '/')
		return NULL;
	return buf + n_root;
}

/*
 * A verdict on @job reached without hashing, as verify_job_report() builds it
 * (@path: the file's path when it differs from the job's), through the
 * on_report hook (prevention: its decision, or not reported at all).
 */
static void report_job(struct verifier *v, const struct verify_job *job, enum sw_verdict verdict,
		       const char *reason, int severity, const struct sw_entry *expected,
		       const char *path)
{
	struct verify_job_verdict jv = { verdict, reason, severity, expected, path };
	struct ecs_container c;
	struct ecs_exec x;

	verify_job_verdict(job, &jv, &x, &c);
	if (!v->o.on_report || v->o.on_report(v->o.ctx, job, &x))
		report_verdict(v->o.report, &x);
}

/*
 * The real path of the job's file known without opening anything by name:
 * the link of the file opened at event time, or the kernel's dentry walk.
 * NULL for a script found by path (its name may hold symlinks).
 */
static const char *known_real_path(const struct verify_job *job)
{
	__u32 walked = job->ev.type == SW_EVENT_EXEC ? SW_EF_EXE_DENTRY : SW_EF_PATH_DENTRY;

	if (job->by_path)
		return NULL;
	if (job->exe_fd >= 0)
		return job->exe_path;
	if (job->fallback_path && (job->ev.flags & walked))
		return job->fallback_path;
	return NULL;
}

/*
 * What can be said without hashing, when the file may not be hashed
 * (@too_large: over hash_max_size) or cannot be now (no room in the queue):
 * a path outside the baseline is unknown, a size other than the baseline's
 * is modified, and a file too large to hash is unverified at alert severity.
 * Returns true when a verdict was emitted.
 */
static bool decide_unhashed(struct verifier *v, struct verify_job *job, bool too_large)
{
	const char *path = known_real_path(job);
	const struct sw_entry *e = path && job->bl ? baseline_lookup(job->bl->b, path) : NULL;
	bool in_baseline = e && entry_is_content(e) && e->has_sha256;

	if (path && job->bl && !in_baseline) {
		report_job(v, job, SW_VERDICT_UNKNOWN,
			   e ? (too_large ? "path is not a regular file in the baseline (not "
					    "hashed: too large)" :
					    "path is not a regular file in the baseline (not "
					    "hashed: hash queue full)") :
			   too_large ? "path is not in the baseline (not hashed: too large)" :
				       "path is not in the baseline (not hashed: hash queue full)",
			   SW_SEVERITY_HIGH, NULL, path);
		return true;
	}
	if (in_baseline && e->size != job->ev.file.size) {
		report_job(v, job, SW_VERDICT_MODIFIED,
			   "content differs from the baseline (size differs, not hashed)",
			   SW_SEVERITY_CRITICAL, e, path);
		return true;
	}
	if (too_large) {
		report_job(v, job, SW_VERDICT_UNVERIFIED,
			   "file too large to hash (over hash_max_size)", SW_SEVERITY_HIGH, NULL,
			   path ? path : job->exe_path);
		return true;
	}
	return false;
}

/*
 * The process is gone and its path no longer leads to a regular file
 * (removed, or a FIFO put there): a path the kernel saw outside the baseline
 * is still unknown — never reported weaker. True when emitted.
 */
static bool unknown_unopened(struct verifier *v, struct verify_job *job)
{
	const char *path = known_real_path(job);
	const struct sw_entry *e = path ? baseline_lookup(job->bl->b, path) : NULL;
	int saved = errno;

	if (!path || (e && entry_is_content(e) && e->has_sha256)) {
		errno = saved;
		return false;
	}
	report_job(v, job, SW_VERDICT_UNKNOWN,
		   e ? "path is not a regular file in the baseline (not hashed: the process "
		       "exited and its path no longer holds the file)" :
		       "path is not in the baseline (not hashed: the process exited and its "
		       "path no longer holds the file)",
		   SW_SEVERITY_HIGH, NULL, path);
	return true;
}

/*
 * Mode, owner and security.capability of the open file @fd (fstat'ed into
 * @st); the owner as the job's process sees it (its user namespace's maps).
 */
static void file_meta(const struct verify_job *job, int fd, const struct stat *st,
		      struct sw_file_meta *meta)
{
	ssize_t n;

	memset(meta, 0, sizeof(*meta));
	meta->mode = st->st_mode & 07777;
	meta->uid = st->st_uid;
	meta->gid = st->st_gid;
	if (job->in_container && (!job->uid_map.n || !job->gid_map.n ||
				  !idmap_inside(&job->uid_map, (uint32_t)st->st_uid, &meta->uid) ||
				  !idmap_inside(&job->gid_map, (uint32_t)st->st_gid, &meta->gid)))
		meta->owner_unknown = 1;
	n = fgetxattr(fd, "security.capability", meta->caps, sizeof(meta->caps));
	/* larger than any vfs_cap_data: still not the baseline's, keep what fits */
	if (n < 0 && errno == ERANGE)
		n = sizeof(meta->caps);
	meta->caps_len = n > 0 ? (uint32_t)n : 0;
}

/*
 * The file of @job and the path to verify it under: job->exe_fd, else (the
 * process is gone) the same file found by name in its root, opened into
 * *@fd. NULL with *@reason when there is none to verify.
 */
static const char *job_file(const struct verify_job *job, int *fd, char *real, size_t size,
			    const char **reason)
{
	const struct sw_exec_event *ev = &job->ev;
	const char *path = job->exe_path;

	*fd = job->exe_fd;
	if (*fd >= 0 && path)
		return path;
	*reason = "process exited and its file's path cannot be told";
	if (*fd >= 0) /* the process exited between the open and the readlink: ask our fd */
		return real_path_in_root(*fd, NULL, real, size);
	/* the process is gone: find the same file by name in its root */
	path = job->fallback_path	 ? job->fallback_path :
	       ev->type != SW_EVENT_EXEC ? "" :
	       ev->flags & SW_EF_SCRIPT	 ? ev->interp :
					   ev->filename;
	if (path[0] != '/') {
		*reason = "process exited before its file was opened (relative path)";
		return NULL;
	}
	/* as the process saw it (its mounts) while another of its namespace lives */
	if (job->root_fd >= 0)
		*fd = verifier_open_at_root(job->root_fd, path);
	else
		*fd = verifier_open_in_root(job->rootfs, path);
	if (*fd < 0) {
		/* errno stays: EINVAL for a FIFO, socket or device put there (never opened) */
		*reason = errno == EINVAL ? "process exited and its path now holds a file that is "
					    "not regular (FIFO, socket, device)" :
					    "process exited and its file cannot be found";
		return NULL;
	}
	/* the name may run through symlinks: verify under the real path */
	return real_path_in_root(*fd, job->root_fd >= 0 ? NULL : job->rootfs, real, size);
}

/* Hash the open @fd when it is still the file the kernel ran: NULL, or why not. */
static const char *hash_exact(const struct sw_file_id *id, int fd, struct content_hash *ch,
			      struct sw_entry *actual)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !identity_matches(id, &st))
		return "file replaced since the exec (identity differs)";
	if (lseek(fd, 0, SEEK_SET) < 0)
		return "read error while hashing";
	/* never more than the identity's size: a file growing while read holds no worker */
	r = content_hash_fd_max(ch, fd, id->size, actual, NULL);
	if (r)
		return r == -EFBIG ? "file changed while it was hashed" :
				     "read error while hashing";
	/* the file may have been written while we read it: then the hash proves nothing */
	if (fstat(fd, &st) || !identity_matches(id, &st))
		return "file changed while it was hashed";
	return NULL;
}

/* The verdict on a hashed file, for the next exec of the same identity. */
static void remember(struct verifier *v, const struct verify_job *job,
		     const struct sw_verdict_result *res, const unsigned char *sha256,
		     const struct sw_file_meta *meta)
{
	struct vcache_hit hit;

	memset(&hit, 0, sizeof(hit));
	hit.verdict = res->verdict;
	memcpy(hit.sha256, sha256, SW_SHA256_LEN);
	hit.expected = res->expected;
	hit.same_content_as = res->same_content_as;
	hit.reason = res->reason;
	hit.fields = res->fields;
	hit.meta = *meta;
	snprintf(hit.path, sizeof(hit.path), "%s", res->resolved_path);
	vcache_put(v->o.cache, &job->ev.file, job->bl, res->resolved_path, &hit);
	if (res->verdict == SW_VERDICT_OK && v->o.on_ok)
		v->o.on_ok(v->o.ctx, job, sha256);
}

static void verify(struct verifier *v, struct verify_job *job, struct content_hash *ch)
{
	struct ecs_container c;
	struct ecs_exec x;
	struct sw_verdict_result res;
	struct sw_entry actual = { 0 };
	struct sw_file_meta meta;
	char real[PATH_MAX];
	struct stat st;
	const char *path;
	int fd;

	verify_job_event(job, &x, &c);
	x.executable = NULL;
	x.verdict = SW_VERDICT_UNVERIFIED;
	x.severity = 0;
	path = job_file(job, &fd, real, sizeof(real), &x.reason);
	if (!path) {
		bool odd = fd < 0 && errno == EINVAL; /* a FIFO, socket or device: never opened */

		/* not opened by name: the kernel's path may still say unknown */
		if (fd < 0 && job->exe_fd < 0 && unknown_unopened(v, job))
			goto done;
		/*
		 * the process is gone, its file cannot be read (a volume's file is
		 * not in the container's rootfs), and the path the kernel resolved
		 * for it (a dentry walk) is not in the baseline: unknown whatever it
		 * holds. (A file that can be read is hashed: same_content_as may
		 * name it.)
		 */
		if (job->exe_fd < 0 && job->fallback_real && job->fallback_path &&
		    !baseline_lookup(job->bl->b, job->fallback_path)) {
			x.verdict = SW_VERDICT_UNKNOWN;
			x.reason = "path is not in the baseline (not hashed: the process exited)";
			x.executable = job->fallback_path;
			goto emit;
		}
		if (odd) {
			x.executable = job->fallback_path;
			x.severity = SW_SEVERITY_HIGH;
		}
		goto emit;
	}
	x.executable = path;
	x.reason = hash_exact(&job->ev.file, fd, ch, &actual);
	if (x.reason) {
		/* another file took the name: the kernel's path still says unknown */
		if (fd != job->exe_fd && unknown_unopened(v, job))
			goto done;
		goto emit;
	}
	__atomic_add_fetch(&v->stats.bytes_hashed, actual.size, __ATOMIC_RELAXED);
	__atomic_add_fetch(&v->stats.files_hashed, 1, __ATOMIC_RELAXED);
	if (fstat(fd, &st)) {
		x.reason = "read error while hashing";
		goto emit;
	}
	file_meta(job, fd, &st, &meta);
	verdict_decide(job->bl->b, job->bl->idx, path, actual.sha256, actual.size, &meta, &res);
	x.verdict = res.verdict;
	x.fields = res.fields;
	x.actual = &meta;
	x.reason = res.reason;
	x.sha256 = actual.sha256;
	x.expected = res.expected;
	x.same_content_as = res.same_content_as;
	x.executable = res.resolved_path;
	remember(v, job, &res, actual.sha256, &meta);
emit:
	if (!x.severity)
		x.severity = verdict_severity(x.verdict);
	if (!v->o.on_report || v->o.on_report(v->o.ctx, job, &x))
		report_verdict(v->o.report, &x);
done:
	if (fd >= 0 && fd != job->exe_fd)
		close(fd);
	entry_clear(&actual);
}

const char *verifier_check_fd(const struct verify_job *job, int fd, const char *path,
			      struct content_hash *ch, struct sw_verdict_result *res,
			      struct sw_entry *actual, struct sw_file_meta *meta)
{
	struct stat st;
	const char *why;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return "not a regular file";
	why = hash_exact(&job->ev.file, fd, ch, actual);
	if (why)
		return why;
	file_meta(job, fd, &st, meta);
	verdict_decide(job->bl->b, job->bl->idx, path, actual->sha256, actual->size, meta, res);
	return NULL;
}

struct worker_arg {
	struct verifier *v;
	unsigned int slot;
};

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct verifier *v = wa->v;
	long long *busy = &v->busy_since[wa->slot];
	struct content_hash ch;
	bool have_ch = content_hash_init(&ch) == 0;

	free(wa);
	for (;;) {
		struct verify_job *job;

		pthread_mutex_lock(&v->lock);
		while (!verify_queue_count(v->q) && !v->stopping)
			pthread_cond_wait(&v->cond, &v->lock);
		job = verify_queue_pop(v->q);
		if (!job) {
			pthread_mutex_unlock(&v->lock);
			break;
		}
		__atomic_store_n(busy, monotonic_sec(), __ATOMIC_RELAXED);
		pthread_mutex_unlock(&v->lock);
		if (have_ch)
			verify(v, job, &ch);
		else
			report_job(v, job, SW_VERDICT_UNVERIFIED, "out of memory",
				   verdict_severity(SW_VERDICT_UNVERIFIED), NULL, NULL);
		verify_job_free(job);
		__atomic_store_n(busy, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&v->stats.done, 1, __ATOMIC_RELAXED);
	}
	if (have_ch)
		content_hash_free(&ch);
	return NULL;
}

int verifier_new(const struct verifier_opts *o, struct verifier **ret)
{
	struct verifier *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->o = *o;
	v->threads = calloc(o->workers, sizeof(*v->threads));
	v->busy_since = calloc(o->workers, sizeof(*v->busy_since));
	if (!v->threads || !v->busy_since || verify_queue_new(o->queue_size, &v->q)) {
		free(v->threads);
		free(v->busy_since);
		free(v);
		return -ENOMEM;
	}
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	for (unsigned int i = 0; i < o->workers; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));

		if (!wa)
			break;
		wa->v = v;
		wa->slot = v->n_threads;
		if (!pthread_create(&v->threads[v->n_threads], NULL, worker, wa))
			v->n_threads++;
		else
			free(wa);
	}
	if (!v->n_threads) {
		verifier_free(v);
		return -EAGAIN;
	}
	*ret = v;
	return 0;
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->stopping = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	for (unsigned int i = 0; i < v->n_threads; i++)
		pthread_join(v->threads[i], NULL);
	verify_queue_free(v->q); /* jobs left only when no worker could start */
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->threads);
	free(v->busy_since);
	free(v);
}

int verifier_submit(struct verifier *v, struct verify_job *job)
{
	int ret;
	/* bounded work: a file over the cap is never read, its verdict is definite now */
	uint64_t max = __atomic_load_n(&v->o.hash_max_size, __ATOMIC_RELAXED);

	if (max && job->ev.file.size > max) {
		__atomic_add_fetch(&v->stats.too_large, 1, __ATOMIC_RELAXED);
		decide_unhashed(v, job, true);
		verify_job_free(job);
		return 0;
	}
	pthread_mutex_lock(&v->lock);
	ret = v->stopping ? -EAGAIN : verify_queue_push(v->q, job);
	if (!ret) {
		v->stats.queued++;
		pthread_cond_signal(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
	if (!ret)
		return 0;
	/* no room for this scope: what needs no hash is still decided */
	if (decide_unhashed(v, job, false)) {
		__atomic_add_fetch(&v->stats.unhashed, 1, __ATOMIC_RELAXED);
		verify_job_free(job);
		return 0;
	}
	__atomic_add_fetch(&v->stats.queue_full, 1, __ATOMIC_RELAXED);
	return -EAGAIN;
}

void verifier_set_hash_max_size(struct verifier *v, uint64_t max)
{
	__atomic_store_n(&v->o.hash_max_size, max, __ATOMIC_RELAXED);
}

void verifier_stats(struct verifier *v, struct verifier_stats *out)
{
	long long now = monotonic_sec();

	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	out->depth = verify_queue_count(v->q);
	out->capacity = v->o.queue_size;
	out->stalled = 0;
	out->oldest_busy_sec = 0;
	for (unsigned int i = 0; i < v->n_threads; i++) {
		long long since = __atomic_load_n(&v->busy_since[i], __ATOMIC_RELAXED);

		if (since && now - since > (long long)out->oldest_busy_sec)
			out->oldest_busy_sec = (uint64_t)(now - since);
		if (since && now - since >= VERIFIER_STALL_SEC)
			out->stalled++;
	}
	pthread_mutex_unlock(&v->lock);
}

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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "baseline.h"
#include "bstore.h"
#include "content.h"
#include "errors.h"
#include "report.h"
#include "vcache.h"
#include "decide.h"
#include "verifier.h"

struct verifier {
	struct verifier_opts o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct verify_job **q;
	size_t head, count;
	bool stopping;
	pthread_t *threads;
	unsigned int n_threads;
	struct verifier_stats stats;
};

void verify_job_container(const struct verify_job *job, struct ecs_container *c)
{
	*c = (struct ecs_container){
		.id = job->c_id,
		.runtime = job->c_runtime,
		.name = job->c_name,
		.image_id = job->c_image_id,
		.image_name = job->c_image_name,
		.pod_name = job->c_pod,
		.pod_namespace = job->c_ns,
		.k8s_container_name = job->c_cname,
	};
}

void verify_job_event(const struct verify_job *job, struct ecs_exec *x, struct ecs_container *c)
{
	*x = (struct ecs_exec){
		.ev = &job->ev,
		.action = job->action,
		.process_exe = job->proc_exe,
		.executable = job->exe_path,
		.baseline_digest = job->bl ? job->bl->digest : NULL,
		.baseline_match = job->baseline_match,
		.baseline_status = job->baseline_pending ? "pending" : NULL,
		.args = job->args,
		.n_args = job->n_args,
	};
	if (job->in_container) {
		verify_job_container(job, c);
		x->container = c;
	}
}

void verify_job_report(struct report *r, const struct verify_job *job, enum sw_verdict verdict,
		       const char *reason, int severity)
{
	struct ecs_container c;
	struct ecs_exec x;

	verify_job_event(job, &x, &c);
	x.verdict = verdict;
	x.reason = reason;
	x.severity = severity;
	report_verdict(r, &x);
}

void verify_job_free(struct verify_job *job)
{
	if (!job)
		return;
	if (job->exe_fd >= 0)
		close(job->exe_fd);
	free(job->exe_path);
	free(job->fallback_path);
	free(job->proc_exe);
	free(job->rootfs);
	bstore_unref(job->store);
	free(job->c_id);
	free(job->c_runtime);
	free(job->c_name);
	free(job->c_image_id);
	free(job->c_image_name);
	free(job->c_pod);
	free(job->c_ns);
	free(job->c_cname);
	for (size_t i = 0; i < job->n_args; i++)
		free(job->args[i]);
	free(job->args);
	free(job);
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

int verifier_open_in_root(const char *rootfs, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dfd = open(rootfs ? rootfs : "/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return -1;
	how.flags &= ~(__u64)O_NOFOLLOW; /* the final component may be a symlink too */
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	close(dfd);
	return fd;
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
	*fd = verifier_open_in_root(job->rootfs, path);
	if (*fd < 0) {
		*reason = "process exited and its file cannot be found";
		return NULL;
	}
	/* the name may run through symlinks: verify under the real path */
	return real_path_in_root(*fd, job->rootfs, real, size);
}

/* Hash the open @fd when it is still the file the kernel ran: NULL, or why not. */
static const char *hash_exact(const struct sw_file_id *id, int fd, struct content_hash *ch,
			      struct sw_entry *actual)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !identity_matches(id, &st))
		return "file replaced since the exec (identity differs)";
	if (lseek(fd, 0, SEEK_SET) < 0 || content_hash_fd(ch, fd, actual, NULL))
		return "read error while hashing";
	/* the file may have been written while we read it: then the hash proves nothing */
	if (fstat(fd, &st) || !identity_matches(id, &st))
		return "file changed while it was hashed";
	return NULL;
}

/* The verdict on a hashed file, for the next exec of the same identity. */
static void remember(struct verifier *v, const struct verify_job *job,
		     const struct sw_verdict_result *res, const unsigned char *sha256)
{
	struct vcache_hit hit;

	memset(&hit, 0, sizeof(hit));
	hit.verdict = res->verdict;
	memcpy(hit.sha256, sha256, SW_SHA256_LEN);
	hit.expected = res->expected;
	hit.same_content_as = res->same_content_as;
	hit.reason = res->reason;
	snprintf(hit.path, sizeof(hit.path), "%s", res->resolved_path);
	vcache_put(v->o.cache, &job->ev.file, job->bl, res->resolved_path, &hit);
	if (res->verdict == SW_VERDICT_OK && v->o.on_ok)
		v->o.on_ok(v->o.ctx, job);
}

static void verify(struct verifier *v, struct verify_job *job, struct content_hash *ch)
{
	struct ecs_container c;
	struct ecs_exec x;
	struct sw_verdict_result res;
	struct sw_entry actual = { 0 };
	char real[PATH_MAX];
	const char *path;
	int fd;

	verify_job_event(job, &x, &c);
	x.executable = NULL;
	x.verdict = SW_VERDICT_UNVERIFIED;
	path = job_file(job, &fd, real, sizeof(real), &x.reason);
	if (!path)
		goto emit;
	x.executable = path;
	x.reason = hash_exact(&job->ev.file, fd, ch, &actual);
	if (x.reason)
		goto emit;
	__atomic_add_fetch(&v->stats.bytes_hashed, actual.size, __ATOMIC_RELAXED);
	__atomic_add_fetch(&v->stats.files_hashed, 1, __ATOMIC_RELAXED);
	verdict_decide(job->bl->b, job->bl->idx, path, actual.sha256, &res);
	x.verdict = res.verdict;
	x.reason = res.reason;
	x.sha256 = actual.sha256;
	x.expected = res.expected;
	x.same_content_as = res.same_content_as;
	x.executable = res.resolved_path;
	remember(v, job, &res, actual.sha256);
emit:
	x.severity = verdict_severity(x.verdict);
	report_verdict(v->o.report, &x);
	if (fd >= 0 && fd != job->exe_fd)
		close(fd);
	entry_clear(&actual);
}

static void *worker(void *arg)
{
	struct verifier *v = arg;
	struct content_hash ch;
	bool have_ch = content_hash_init(&ch) == 0;

	for (;;) {
		struct verify_job *job;

		pthread_mutex_lock(&v->lock);
		while (!v->count && !v->stopping)
			pthread_cond_wait(&v->cond, &v->lock);
		if (!v->count) {
			pthread_mutex_unlock(&v->lock);
			break;
		}
		job = v->q[v->head];
		v->head = (v->head + 1) % v->o.queue_size;
		v->count--;
		pthread_mutex_unlock(&v->lock);
		if (have_ch)
			verify(v, job, &ch);
		else
			verify_job_report(v->o.report, job, SW_VERDICT_UNVERIFIED, "out of memory",
					  verdict_severity(SW_VERDICT_UNVERIFIED));
		verify_job_free(job);
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
	v->q = calloc(o->queue_size, sizeof(*v->q));
	v->threads = calloc(o->workers, sizeof(*v->threads));
	if (!v->q || !v->threads) {
		free(v->q);
		free(v->threads);
		free(v);
		return -ENOMEM;
	}
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	for (unsigned int i = 0; i < o->workers; i++)
		if (!pthread_create(&v->threads[v->n_threads], NULL, worker, v))
			v->n_threads++;
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
	while (v->count) { /* only when no worker could start */
		verify_job_free(v->q[v->head]);
		v->head = (v->head + 1) % v->o.queue_size;
		v->count--;
	}
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->threads);
	free(v->q);
	free(v);
}

int verifier_submit(struct verifier *v, struct verify_job *job)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->stopping || v->count == v->o.queue_size) {
		ret = -EAGAIN;
		v->stats.queue_full++;
	} else {
		v->q[(v->head + v->count) % v->o.queue_size] = job;
		v->count++;
		v->stats.queued++;
		pthread_cond_signal(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void verifier_stats(struct verifier *v, struct verifier_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	out->depth = v->count;
	out->capacity = v->o.queue_size;
	pthread_mutex_unlock(&v->lock);
}

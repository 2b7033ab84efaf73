// SPDX-License-Identifier: GPL-2.0-only
/* job.c: one event's file, process and scope; verdicts decided without hashing (daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "bpf_loader.h"
#include "bstore.h"
#include "daemon.h"
#include "errors.h"
#include "events.h"
#include "fetcher.h"
#include "log.h"
#include "nsroot.h"
#include "procpath.h"
#include "report.h"
#include "resolver.h"
#include "strutil.h"
#include "vcache.h"
#include "verifier.h"

#define MAX_ARGS 32
#define MAX_ARGS_BYTES 4096

char *proc_link(__u32 pid, const char *what)
{
	char path[96], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, what);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

void read_args(__u32 pid, struct verify_job *job)
{
	char path[64], buf[MAX_ARGS_BYTES];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	job->args = calloc(MAX_ARGS, sizeof(char *));
	if (!job->args)
		return;
	for (char *p = buf; p < buf + n && job->n_args < MAX_ARGS; p += strlen(p) + 1) {
		job->args[job->n_args] = strdup(p);
		if (!job->args[job->n_args])
			break;
		job->n_args++;
	}
}

/* PID 1's user namespace inode (the host's), read once; 0 when unknown. */
static __u32 host_userns(void)
{
	static __u32 ino;
	struct stat st;

	if (!ino && !stat("/proc/1/ns/user", &st))
		ino = (__u32)st.st_ino;
	return ino;
}

struct verify_job *job_new(struct daemon *d, const struct sw_exec_event *ev, const char *action)
{
	struct verify_job *job = verify_job_alloc();

	if (!job)
		return NULL;
	job->ev = *ev;
	job->action = action;
	job->store = bstore_ref(d->store);
	return job;
}

void job_pin_root(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	struct nsroot_key root = { ev->mntns, ev->root_dev, ev->root_ino };

	if (job->root_fd >= 0 || !d->nsroot)
		return;
	job->root_fd = nsroot_open(d->nsroot, (int)ev->tgid, &root);
	if (job->root_fd < 0)
		job->root_fd = -1;
}

bool job_open_proc(struct verify_job *job, const char *what)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%u/%s", job->ev.tgid, what);
	/* an fd may have been swapped for a FIFO (dup2): regular files only, never blocks */
	job->exe_fd = verifier_open_regular(path);
	if (job->exe_fd < 0)
		return false;
	free(job->exe_path);
	job->exe_path = proc_link(job->ev.tgid, what);
	return true;
}

/*
 * The container of an exec: from the cgroup leaf name the kernel gave, else
 * (a container that made cgroups of its own) from any level of the full
 * /proc/PID/cgroup paths.
 */
static bool container_id_of(const struct sw_exec_event *ev, char *id, const char **hint)
{
	if (!resolver_container_id(ev->cgroup_name, id, hint))
		return true;
	return !resolver_container_of_pid((int)ev->tgid, id, hint);
}

/*
 * The registry swap: the container's image name is the name a signed baseline
 * records, its image ID is not that baseline's. Told once per container (a
 * critical alert), then its files are verified against that baseline by path,
 * so that the swapped files show as modified by name.
 */
static void image_mismatch(struct daemon *d, struct verify_job *job, const struct sw_container *c)
{
	const struct bstore_baseline *named = bstore_find_name(job->store, c->image_name);
	const char *id = job->c_id ? job->c_id : "";
	struct ecs_container ec;
	struct ecs_exec x;

	if (!named || !named->b->hdr.config_digest)
		return;
	job->bl = named;
	job->baseline_match = "image_mismatch";
	for (unsigned int i = 0; i < DAEMON_MISMATCH_TOLD; i++)
		if (!strcmp(d->mismatch_told[i], id))
			return;
	snprintf(d->mismatch_told[d->mismatch_next], sizeof(d->mismatch_told[0]), "%s", id);
	d->mismatch_next = (d->mismatch_next + 1) % DAEMON_MISMATCH_TOLD;
	verify_job_event(job, &x, &ec);
	x.action = "image_mismatch";
	x.verdict = SW_VERDICT_IMAGE_MISMATCH;
	x.severity = verdict_severity(SW_VERDICT_IMAGE_MISMATCH);
	x.reason = "the image ID is not the one the signed baseline of its name records "
		   "(a swapped image; a tag moved on purpose needs a new signed baseline)";
	x.expected_image_id = named->b->hdr.config_digest;
	x.baseline_image_name = named->b->hdr.image_name;
	report_verdict(d->report, &x);
}

/* The scope of container @id: its baseline (or why none), as for its own processes. */
static bool container_scope(struct daemon *d, struct verify_job *job, const char *id,
			    const char *hint)
{
	const struct sw_container *c = NULL;
	struct sw_error err = { { 0 } };
	int by_name = 0;
	int lr = resolver_lookup(d->resolver, id, hint, &c, &err);

	if (lr) {
		job->in_container = true;
		job->c_id = strdup(id);
		if (lr != -ENOENT)
			log_warn("container %.12s: %s", id, err.msg);
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 lr == -ENOENT ? "container not found in any runtime's state" :
			 lr == -E2BIG  ? "container cache full" :
					 "container runtime state unreadable",
			 NULL);
		return false;
	}
	verify_job_set_container(job, c, host_userns());
	job->bl = bstore_find_image(job->store, c->image_id, c->image_name, &by_name);
	job->baseline_match = by_name ? "image_name" : "image_id";
	if (d->fetcher) {
		if (!job->bl)
			job->baseline_pending = fetch_want(d, c);
		else
			fetcher_touch(d->fetcher, job->bl->path);
	}
	if (!job->bl && !job->baseline_pending && c->image_id && d->cfg.image_mismatch)
		image_mismatch(d, job, c);
	return true;
}

bool job_scope(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	char id[SW_CONTAINER_ID_LEN + 1];
	const char *hint = NULL;
	int pid;

	/*
	 * A host process writing a file of another mount namespace's mount
	 * (/proc/PID/root of a container process): judged in the container that
	 * namespace is, found through a live process of it.
	 */
	if ((ev->flags & SW_EF_FOREIGN_MOUNT) && d->nsroot &&
	    (pid = nsroot_pid_of(d->nsroot, ev->file_mntns)) > 0 &&
	    !resolver_container_of_pid(pid, id, &hint))
		return container_scope(d, job, id, hint);
	/*
	 * A container process is in a container's cgroup *and* out of the host's
	 * mount namespace: runc/crun re-exec themselves ("runc init") inside the
	 * container's cgroup before switching namespaces — host binaries, checked
	 * against the host baseline like any other host process.
	 */
	if (ev->mntns != d->host_mntns && container_id_of(ev, id, &hint))
		return container_scope(d, job, id, hint);
	job->bl = bstore_host(job->store);
	job->baseline_match = "host";
	return true;
}

void emit_now(struct daemon *d, struct verify_job *job, enum sw_verdict verdict, const char *reason,
	      const struct vcache_hit *hit)
{
	struct ecs_container c;
	struct ecs_exec x;

	verify_job_event(job, &x, &c);
	x.verdict = verdict;
	x.reason = reason;
	x.severity = verdict == SW_VERDICT_NO_BASELINE ? d->cfg.no_baseline_severity :
							 verdict_severity(verdict);
	if (hit) {
		x.sha256 = hit->sha256;
		x.expected = hit->expected;
		x.same_content_as = hit->same_content_as;
		x.executable = hit->path;
		x.fields = hit->fields;
		x.actual = &hit->meta;
	}
	if (prevent_on_report(d, job, &x))
		report_verdict(d->report, &x);
}

void daemon_kcache_learn(void *ctx, const struct verify_job *job)
{
	struct daemon *d = ctx;
	int r;

	/* a profiled container's execs must all reach userspace: new edges, new users */
	if (!d->kcache || job->by_path || !d->bpf || (d->profiles && job->in_container))
		return;
	r = bpf_loader_kcache_put(d->bpf, &job->ev.file, job->ev.scope);
	if (r)
		log_debug("in-kernel cache insert: %s", strerror(-r));
}

void job_verify(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	struct nsroot_key root = { ev->mntns, ev->root_dev, ev->root_ino };
	struct vcache_hit hit;

	/*
	 * its file was opened at the event: the process lived then, and may
	 * stand for its root when another of that root is gone (job_pin_root)
	 */
	if (job->exe_fd >= 0 && d->nsroot)
		nsroot_learn(d->nsroot, &root, (int)ev->tgid);

	/* code run from memory needs no baseline to be reported, in any scope */
	if (ev->flags & (SW_EF_MEMFD | SW_EF_DELETED)) {
		emit_now(d, job, SW_VERDICT_FILELESS,
			 ev->flags & SW_EF_MEMFD ? "executed from memory (memfd/shmem)" :
						   "executed file has been deleted",
			 NULL);
		goto done;
	}
	if (!job->bl && job->baseline_pending) {
		/* never ok before the baseline is known: every event says so (no hashing) */
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "baseline.pending: the image's baseline is being fetched from a registry",
			 NULL);
		goto done;
	}
	if (!job->bl) {
		/* exec reports it; every library mapping of such a container would be noise */
		if (job->in_container && ev->type == SW_EVENT_EXEC && !job->by_path)
			emit_now(d, job, SW_VERDICT_NO_BASELINE,
				 "the container's image has no verified baseline", NULL);
		else if (!job->in_container)
			d->stats.host_unmonitored++;
		goto done;
	}
	if (job->exe_path && vcache_get(d->cache, &ev->file, job->bl, job->exe_path, &hit)) {
		emit_now(d, job, hit.verdict, hit.reason, &hit);
		if (hit.verdict == SW_VERDICT_OK)
			daemon_on_ok(d, job, hit.sha256);
		goto done;
	}
	/* the worker looks the file up by name when the exact file could not be opened */
	if (job->exe_fd < 0)
		job_pin_root(d, job);
	if (!verifier_submit(d->verifier, job))
		return;
	emit_now(d, job, SW_VERDICT_UNVERIFIED, "hash queue full", NULL);
done:
	verify_job_free(job);
}

/*
 * An absolute path in the task's root from what the kernel sent in @field
 * (ev->filename or ev->old_path), when it says where the file is: a dentry walk
 * that reached the task's root (leaf first: reversed), a bpf_d_path(), or an
 * absolute path given to the syscall. 0, or -1 when it does not.
 */
int event_path(const struct sw_exec_event *ev, const char *field, char *out, size_t size)
{
	if (ev->flags & SW_EF_PATH_DENTRY) {
		if ((ev->flags & (SW_EF_PATH_TOP | SW_EF_FILENAME_TRUNC)) != SW_EF_PATH_TOP)
			return -1;
		return procpath_from_dentries(field, SW_FILENAME_LEN, out, size);
	}
	if (field[0] != '/')
		return -1;
	return procpath_normalize(field, out, size);
}

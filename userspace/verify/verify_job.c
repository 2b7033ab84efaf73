// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bstore.h"
#include "idmap.h"
#include "report.h"
#include "resolver.h"
#include "strutil.h"
#include "verifier.h"

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

void verify_job_verdict(const struct verify_job *job, const struct verify_job_verdict *v,
			struct ecs_exec *x, struct ecs_container *c)
{
	verify_job_event(job, x, c);
	x->verdict = v->verdict;
	x->reason = v->reason;
	x->severity = v->severity;
	x->expected = v->expected;
	if (v->path)
		x->executable = v->path;
}

void verify_job_report(struct report *r, const struct verify_job *job, enum sw_verdict verdict,
		       const char *reason, int severity, const struct sw_entry *expected,
		       const char *path)
{
	struct verify_job_verdict v = { verdict, reason, severity, expected, path };
	struct ecs_container c;
	struct ecs_exec x;

	verify_job_verdict(job, &v, &x, &c);
	report_verdict(r, &x);
}

void verify_job_set_container(struct verify_job *job, const struct sw_container *c,
			      __u32 host_userns)
{
	job->in_container = true;
	/*
	 * file owners in the container's terms: the host's IDs when it shares
	 * the host's user namespace, else its maps (read while the process lives)
	 */
	if (job->ev.userns && job->ev.userns == host_userns) {
		job->uid_map = (struct sw_idmap){ 1, { { 0, 0, UINT32_MAX } } };
		job->gid_map = job->uid_map;
	} else {
		idmap_read((int)job->ev.tgid, "uid_map", &job->uid_map);
		idmap_read((int)job->ev.tgid, "gid_map", &job->gid_map);
	}
	strdup_opt(&job->c_id, c->id);
	strdup_opt(&job->c_runtime, c->runtime);
	strdup_opt(&job->c_name, c->name);
	strdup_opt(&job->c_image_id, c->image_id);
	strdup_opt(&job->c_image_name, c->image_name);
	strdup_opt(&job->c_pod, c->pod_name);
	strdup_opt(&job->c_ns, c->pod_namespace);
	strdup_opt(&job->c_cname, c->k8s_container_name);
	strdup_opt(&job->rootfs, c->rootfs);
}

void verify_job_file_from_stat(struct verify_job *job, const struct stat *st)
{
	job->ev.file.dev = major(st->st_dev) << 20 | minor(st->st_dev);
	job->ev.file.ino = st->st_ino;
	job->ev.file.size = (__u64)st->st_size;
	job->ev.file.ctime_sec = st->st_ctim.tv_sec;
	job->ev.file.ctime_nsec = (__u32)st->st_ctim.tv_nsec;
	job->ev.file.nlink = (__u32)st->st_nlink;
}

struct verify_job *verify_job_alloc(void)
{
	struct verify_job *job = calloc(1, sizeof(*job));

	if (job)
		job->exe_fd = job->root_fd = -1;
	return job;
}

void verify_job_free(struct verify_job *job)
{
	if (!job)
		return;
	if (job->exe_fd >= 0)
		close(job->exe_fd);
	if (job->root_fd >= 0)
		close(job->root_fd);
	free(job->exe_path);
	free(job->fallback_path);
	free(job->proc_exe);
	free(job->parent_exe);
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

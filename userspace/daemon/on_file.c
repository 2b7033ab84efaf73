// SPDX-License-Identifier: GPL-2.0-only
/* on_file.c: mappings, script and read opens, writes to the image's files (daemon.h). */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "bstore.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "procpath.h"
#include "report.h"
#include "vcache.h"
#include "verifier.h"

/*
 * A read_open the kernel sent on a prefix: does the path (made absolute)
 * match one of the verify_read_paths globs? fnmatch without FNM_PATHNAME:
 * "*" crosses "/", so a trailing "**" (or "*") takes the whole subtree.
 */
static bool read_path_wanted(struct daemon *d, const struct sw_exec_event *ev, char *path,
			     size_t size)
{
	if (procpath_resolve((int)ev->tgid, ev->fd, ev->filename, path, size))
		return false;
	for (size_t i = 0; i < d->cfg.n_verify_read_paths; i++)
		if (!fnmatch(d->cfg.verify_read_paths[i], path, 0))
			return true;
	return false;
}

/* mmap_exec, script_open, read_open: the exact file through /proc while it is mapped or open. */
int daemon_on_file(struct daemon *d, const struct sw_exec_event *ev)
{
	struct verify_job *job;
	char what[96], path[PATH_MAX];

	d->stats.events++;
	if (ev->type == SW_EVENT_READ_OPEN && !read_path_wanted(d, ev, path, sizeof(path)))
		return 0;
	job = job_new(d, ev,
		      ev->type == SW_EVENT_MMAP_EXEC   ? "mmap_exec" :
		      ev->type == SW_EVENT_SCRIPT_OPEN ? "script_open" :
							 "read_open");
	if (!job)
		return 0;
	/*
	 * The exact file first (identity is checked before hashing): the
	 * mapping (not there yet for lsm/mmap_file: addr 0), else the fd; the
	 * path in the task's root when the process is gone.
	 */
	if (ev->type == SW_EVENT_MMAP_EXEC) {
		bool opened = false;

		if (ev->len) {
			snprintf(what, sizeof(what), "map_files/%llx-%llx",
				 (unsigned long long)ev->addr,
				 (unsigned long long)(ev->addr + ev->len));
			opened = job_open_proc(job, what);
		}
		if (!opened && ev->fd >= 0) {
			snprintf(what, sizeof(what), "fd/%d", ev->fd);
			job_open_proc(job, what);
		}
	} else if (ev->fd2 >= 0) {
		snprintf(what, sizeof(what), "fd/%d", ev->fd2);
		job_open_proc(job, what);
	}
	if (!event_path(ev, ev->filename, path, sizeof(path)))
		job->fallback_path = strdup(path);
	job->proc_exe = proc_link(ev->tgid, "exe");
	read_args(ev->tgid, job);
	if (!job_scope(d, job)) {
		verify_job_free(job);
		return 0;
	}
	if (job->exe_fd < 0 && !job->bl) {
		verify_job_free(job);
		return 0;
	}
	job_verify(d, job);
	return 0;
}

/* "/etc/ld.so.preload" makes every dynamic program load a library: always an alert. */
#define LD_SO_PRELOAD "/etc/ld.so.preload"

/* What a write event names: the path given, the real path opened, a rename's old path. */
struct write_paths {
	char given[PATH_MAX], real[PATH_MAX], old[PATH_MAX];
	char *real_link; /* readlink of the opened fd, or NULL */
	bool have_given, have_old;
};

static void write_paths_read(const struct sw_exec_event *ev, struct write_paths *p)
{
	char what[64];

	/* the path hooks (lsm mode) walk the dentries: never relative to a cwd */
	if (ev->flags & SW_EF_PATH_DENTRY)
		p->have_given = !event_path(ev, ev->filename, p->given, sizeof(p->given));
	else
		p->have_given = !procpath_resolve((int)ev->tgid, ev->fd, ev->filename, p->given,
						  sizeof(p->given));
	if (ev->type == SW_EVENT_OPEN_WRITE && ev->fd2 >= 0) {
		/* the real path of what was opened (symlinks resolved), while it is open */
		snprintf(what, sizeof(what), "fd/%d", ev->fd2);
		p->real_link = proc_link(ev->tgid, what);
		if (p->real_link && procpath_normalize(p->real_link, p->real, sizeof(p->real)))
			p->real[0] = '\0';
	}
	if (ev->type == SW_EVENT_RENAME)
		p->have_old = ev->flags & SW_EF_PATH_DENTRY ?
				      !event_path(ev, ev->old_path, p->old, sizeof(p->old)) :
				      !procpath_resolve((int)ev->tgid, ev->fd2, ev->old_path,
							p->old, sizeof(p->old));
}

/*
 * The file of the baseline a write event touched, in *@ret_entry, and the
 * path it was found under; NULL when none (then perhaps reported unverified:
 * a path that could not be told cannot be called harmless).
 */
static const char *write_target(struct daemon *d, struct verify_job *job,
				const struct write_paths *p, const struct sw_entry **ret_entry)
{
	const struct sw_exec_event *ev = &job->ev;
	const struct sw_baseline *b = job->bl ? job->bl->b : NULL;

	if (!b)
		return NULL; /* nothing to compare with (exec reports no_baseline) */
	if (p->real_link && p->real[0] && (*ret_entry = baseline_lookup(b, p->real)))
		return p->real;
	if (p->have_given && (*ret_entry = baseline_lookup(b, p->given)))
		return p->given;
	if (p->have_old && (*ret_entry = baseline_lookup(b, p->old)))
		return p->old;
	if (!p->have_given && (ev->flags & SW_EF_PATH_DENTRY))
		/* the kernel's walk did not reach the task's root */
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "the path written could not be told (too deep, or outside the "
			 "process's root)",
			 NULL);
	else if (!p->have_given && ev->filename[0] != '/' && !p->real_link)
		/* a relative path of a process that is gone */
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "process exited before the relative path it wrote could be resolved",
			 NULL);
	return NULL;
}

static const char *write_reason(__u32 type)
{
	return type == SW_EVENT_OPEN_WRITE ? "a file of the image opened for writing" :
	       type == SW_EVENT_UNLINK	   ? "a file of the image removed" :
	       type == SW_EVENT_RENAME	   ? "a file of the image replaced or moved" :
					     "a file of the image truncated";
}

/*
 * open_write, unlink, rename, truncate: a path of the baseline written,
 * removed or replaced — reported at once (tamper), nothing to hash.
 */
int daemon_on_write(struct daemon *d, const struct sw_exec_event *ev)
{
	static const char *const actions[] = {
		[SW_EVENT_OPEN_WRITE] = "open_write",
		[SW_EVENT_UNLINK] = "unlink",
		[SW_EVENT_RENAME] = "rename",
		[SW_EVENT_TRUNCATE] = "truncate",
	};
	struct write_paths p = { .real_link = NULL };
	const struct sw_entry *entry = NULL;
	struct ecs_container c;
	struct verify_job *job;
	struct ecs_exec x;
	const char *hit_path, *reason;
	bool preload;

	d->stats.events++;
	job = job_new(d, ev, actions[ev->type]);
	if (!job)
		return 0;
	job->proc_exe = proc_link(ev->tgid, "exe");
	write_paths_read(ev, &p);
	preload = (p.have_given && !strcmp(p.given, LD_SO_PRELOAD)) ||
		  (p.real_link && !strcmp(p.real, LD_SO_PRELOAD));
	if (!job_scope(d, job))
		goto done;
	if (preload) {
		hit_path = LD_SO_PRELOAD;
		reason = "/etc/ld.so.preload written: every dynamically linked program will "
			 "load the libraries it names";
	} else {
		hit_path = write_target(d, job, &p, &entry);
		reason = write_reason(ev->type);
	}
	if (!hit_path)
		goto done;
	verify_job_event(job, &x, &c);
	x.verdict = SW_VERDICT_TAMPER;
	x.reason = reason;
	x.severity = verdict_severity(SW_VERDICT_TAMPER);
	x.executable = hit_path;
	x.expected = entry;
	x.old_path = p.have_old ? p.old : NULL;
	report_verdict(d->report, &x);
done:
	free(p.real_link);
	verify_job_free(job);
	return 0;
}

int daemon_on_event(void *ctx, const struct sw_exec_event *ev)
{
	struct daemon *d = ctx;

	switch (ev->type) {
	case SW_EVENT_EXEC:
		return daemon_on_exec(d, ev);
	case SW_EVENT_MMAP_EXEC:
	case SW_EVENT_SCRIPT_OPEN:
	case SW_EVENT_READ_OPEN:
		return daemon_on_file(d, ev);
	case SW_EVENT_OPEN_WRITE:
	case SW_EVENT_UNLINK:
	case SW_EVENT_RENAME:
	case SW_EVENT_TRUNCATE:
		return daemon_on_write(d, ev);
	default:
		log_warn("unknown event type %u from the kernel", ev->type);
		return 0;
	}
}

// SPDX-License-Identifier: GPL-2.0-only
/* on_exec.c: exec events, #! scripts included (daemon.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "daemon.h"
#include "events.h"
#include "procpath.h"
#include "verifier.h"

/*
 * The script of a #! exec: the kernel sends the interpreter's identity only
 * (bprm->file after binfmt_script), so the script is opened by the path
 * execve was given, inside the process's root, at once; the verdict is on
 * the file found there (ev.file becomes its fstat()).
 */
static void script_of_exec(struct daemon *d, const struct sw_exec_event *ev, char **args,
			   size_t n_args)
{
	struct verify_job *job = job_new(d, ev, "exec_script");
	char path[PATH_MAX];
	struct stat st;

	if (!job)
		return;
	job->by_path = true;
	job->proc_exe = proc_link(ev->tgid, "exe");
	if (n_args && (job->args = calloc(n_args, sizeof(char *))))
		for (size_t i = 0; i < n_args; i++) {
			job->args[i] = strdup(args[i]);
			if (!job->args[i])
				break;
			job->n_args++;
		}
	job->ev.flags &=
		~(__u32)(SW_EF_MEMFD | SW_EF_DELETED | SW_EF_OVERLAY_UPPER | SW_EF_UPPER_KNOWN);
	memset(&job->ev.file, 0, sizeof(job->ev.file));
	if (!job_scope(d, job)) {
		verify_job_free(job);
		return;
	}
	profiles_note_exec(d, job);
	if (procpath_resolve((int)ev->tgid, -100, ev->filename, path, sizeof(path))) {
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "process exited before its script was found (relative path)", NULL);
		verify_job_free(job);
		return;
	}
	job->exe_path = strdup(path);
	/* in the root the process saw, else the container's rootfs */
	job_pin_root(d, job);
	if (job->root_fd >= 0)
		job->exe_fd = verifier_open_at_root(job->root_fd, path);
	else
		job->exe_fd = verifier_open_in_root(job->in_container ? job->rootfs : NULL, path);
	if (job->exe_fd >= 0 && !fstat(job->exe_fd, &st)) {
		verify_job_file_from_stat(job, &st);
	} else {
		if (errno == EINVAL) /* a FIFO, socket or device: never opened */
			verify_job_report(d->report, job, SW_VERDICT_UNVERIFIED,
					  "the script's path holds a file that is not regular "
					  "(FIFO, socket, device)",
					  SW_SEVERITY_HIGH, NULL, NULL);
		else
			emit_now(d, job, SW_VERDICT_UNVERIFIED,
				 "script not found in the process's root", NULL);
		verify_job_free(job);
		return;
	}
	job_verify(d, job);
}

/*
 * The tp/sched fallback has no bprm->interp: a #! script shows as its
 * interpreter. Tell it here: the name given to execve (filename) is another
 * file than the one running, and it starts with "#!".
 */
static bool tp_exec_is_script(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	char path[PATH_MAX], head[2];
	struct stat st;
	bool script = false;
	int fd;

	if (!(ev->flags & SW_EF_FALLBACK_TP) ||
	    procpath_resolve((int)ev->tgid, -100, ev->filename, path, sizeof(path)))
		return false;
	job_pin_root(d, job);
	if (job->root_fd < 0)
		return false;
	fd = verifier_open_at_root(job->root_fd, path);
	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    ((__u64)st.st_ino != ev->file.ino ||
	     (__u32)(major(st.st_dev) << 20 | minor(st.st_dev)) != ev->file.dev) &&
	    pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) && head[0] == '#' &&
	    head[1] == '!')
		script = true;
	close(fd);
	return script;
}

/*
 * The process is gone before /proc/PID/exe could be opened: the kernel's
 * dentry walk of the executed file (SW_EF_EXE_DENTRY) says where it is in the
 * process's root, even when the name given to execve does not (/proc/self/exe,
 * a relative path). Its identity is still checked before hashing.
 */
static void exe_fallback_path(struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	char path[PATH_MAX];

	if ((ev->flags & (SW_EF_EXE_DENTRY | SW_EF_PATH_TOP | SW_EF_FILENAME_TRUNC)) !=
		    (SW_EF_EXE_DENTRY | SW_EF_PATH_TOP) ||
	    procpath_from_dentries(ev->exe_dentries, sizeof(ev->exe_dentries), path, sizeof(path)))
		return;
	free(job->fallback_path);
	job->fallback_path = strdup(path);
	job->fallback_real = job->fallback_path != NULL;
}

/*
 * An exec the BPF LSM prevention backend denied (SW_EF_DENIED): the file is
 * found by its d_path in the process's root (the kernel's identity is checked
 * before hashing), never through /proc/PID/exe, which is the caller's image.
 */
static int exec_denied(struct daemon *d, struct verify_job *job)
{
	if (!job_scope(d, job)) {
		verify_job_free(job);
		return 0;
	}
	if (job->ev.flags & SW_EF_DPATH) {
		job->fallback_path = strdup(job->ev.filename);
		job->fallback_real = job->fallback_path != NULL;
	}
	job_verify(d, job);
	return 0;
}

int daemon_on_exec(struct daemon *d, const struct sw_exec_event *ev)
{
	struct verify_job *job;

	d->stats.events++;
	job = job_new(d, ev, "exec");
	if (!job)
		return 0;
	if (ev->flags & SW_EF_DENIED) /* the process runs its old image: not /proc/PID/exe */
		return exec_denied(d, job);
	/* open the exact file first: the process may be gone in a millisecond */
	job_open_proc(job, "exe");
	read_args(ev->tgid, job);
	if (!job_scope(d, job)) {
		verify_job_free(job);
		return 0;
	}
	profiles_note_exec(d, job);
	if ((ev->flags & SW_EF_SCRIPT) || tp_exec_is_script(d, job))
		script_of_exec(d, ev, job->args, job->n_args);
	else if (job->exe_fd < 0)
		exe_fallback_path(job);
	job_verify(d, job);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * on_profile.c: learned behaviour (docs/profiles.md): the facts of each
 * verified exec handed to profile/, anomalies reported (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "daemon.h"
#include "errors.h"
#include "events.h"
#include "log.h"
#include "profile.h"
#include "report.h"
#include "verifier.h"

/*
 * The name each recent process was executed by (event loop only), so that
 * an edge names its parent as it was run ("/bin/sh", "/srv/web") and not
 * the file behind it ("/bin/busybox" for every applet). A slot per pid
 * modulo the size: a miss falls back to /proc/PPID/exe.
 */
#define EXEC_NAMES 2048
#define EXEC_NAME_LEN 160

struct exec_names {
	struct {
		__u32 tgid;
		char name[EXEC_NAME_LEN];
	} slot[EXEC_NAMES];
};

int profiles_start(struct daemon *d, struct sw_error *err)
{
	struct profile_limits lim;
	int r;

	if (!d->cfg.profile_dir)
		return 0;
	profile_limits_default(&lim);
	if (d->cfg.profile_quiet)
		lim.quiet_s = d->cfg.profile_quiet;
	if (d->cfg.profile_min_execs)
		lim.min_execs = d->cfg.profile_min_execs;
	if (d->cfg.profile_max_learning)
		lim.max_learning_s = d->cfg.profile_max_learning;
	r = profile_store_new(d->cfg.profile_dir, &lim, d->cfg.trusted_keys, d->cfg.n_trusted_keys,
			      &d->profiles, err);
	if (r)
		return sw_error_prefix(err, r, "--profile-dir");
	d->exec_names = calloc(1, sizeof(*d->exec_names));
	if (!d->exec_names)
		return sw_error_set(err, -ENOMEM, "out of memory");
	log_info("profiles in %s", d->cfg.profile_dir);
	return 0;
}

void profiles_stop(struct daemon *d)
{
	if (d->profiles)
		profile_store_tick(d->profiles, time(NULL), NULL);
	profile_store_free(d->profiles);
	d->profiles = NULL;
	free(d->exec_names);
	d->exec_names = NULL;
}

void profiles_tick(struct daemon *d)
{
	unsigned int locked = 0;

	if (!d->profiles)
		return;
	profile_store_tick(d->profiles, time(NULL), &locked);
	if (locked)
		log_info("%u profile(s) locked: stable", locked);
}

/* The path an exec ran by: the name given to execve when absolute, else the file's. */
static const char *exec_name(const struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;

	if (!strcmp(job->action, "exec") && (ev->flags & SW_EF_SCRIPT) && ev->interp[0] == '/')
		return ev->interp; /* the interpreter of a #! script */
	if (ev->filename[0] == '/' && !(ev->flags & SW_EF_FILENAME_TRUNC) &&
	    memchr(ev->filename, '\0', sizeof(ev->filename)))
		return ev->filename;
	return job->exe_path;
}

/* @path inside the root of @pid is the file /proc/PID/exe is (symlinks followed in the root). */
static bool is_exe_of(__u32 pid, const char *path, const struct stat *exe)
{
	char root[48];
	struct stat st;
	bool same;
	int fd;

	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	fd = verifier_open_in_root(root, path);
	if (fd < 0)
		return false;
	same = !fstat(fd, &st) && st.st_dev == exe->st_dev && st.st_ino == exe->st_ino;
	close(fd);
	return same;
}

/* @path inside the root of @pid is a #! script naming @interp on its first line. */
static bool is_script_of(__u32 pid, const char *path, const char *interp)
{
	char root[48], head[256];
	ssize_t n;
	int fd;

	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	fd = verifier_open_in_root(root, path);
	if (fd < 0)
		return false;
	n = pread(fd, head, sizeof(head) - 1, 0);
	close(fd);
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return false;
	head[n] = '\0';
	head[strcspn(head, "\n")] = '\0';
	return strstr(head, interp) != NULL;
}

/*
 * The name a process was run by when the daemon did not see its exec (it
 * started before the daemon): rebuilt from /proc the way exec_name() would
 * have named it — a #! script by its path (argv: interpreter, script), a
 * binary by argv[0] when that is the file running, or found on the default
 * PATH; else the file's real path.
 */
static char *name_from_proc(__u32 pid)
{
	static const char *const path_dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
						 "/usr/bin",	    "/sbin",	      "/bin" };
	char file[64], buf[1024], cand[PATH_MAX];
	const char *a0 = buf, *a1 = NULL;
	struct stat exe;
	ssize_t n = -1;
	int fd;

	snprintf(file, sizeof(file), "/proc/%u/cmdline", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	snprintf(file, sizeof(file), "/proc/%u/exe", pid);
	if (n <= 0 || stat(file, &exe))
		return proc_link(pid, "exe");
	buf[n] = '\0';
	if ((size_t)n > strlen(buf) + 1)
		a1 = buf + strlen(buf) + 1;
	if (a1 && a0[0] == '/' && a1[0] == '/' && is_exe_of(pid, a0, &exe) &&
	    is_script_of(pid, a1, a0))
		return strdup(a1);
	if (a0[0] == '/' && is_exe_of(pid, a0, &exe))
		return strdup(a0);
	for (size_t i = 0; a0[0] && !strchr(a0, '/') && i < sizeof(path_dirs) / sizeof(*path_dirs);
	     i++) {
		snprintf(cand, sizeof(cand), "%s/%s", path_dirs[i], a0);
		if (is_exe_of(pid, cand, &exe))
			return strdup(cand);
	}
	return proc_link(pid, "exe");
}

/*
 * A parent outside the container: the runtime (conmon, runc, a shim) or a
 * host process entering it. Which of the runtime's processes is the parent
 * of a `podman exec` is a race (runc, or conmon once runc has exited): one
 * name for them all, not a new edge each time the race goes the other way.
 */
#define HOST_PARENT "/(host)"

static bool in_host_mntns(struct daemon *d, __u32 pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/ns/mnt", pid);
	return !stat(path, &st) && (__u32)st.st_ino == d->host_mntns;
}

void profiles_note_exec(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	const char *name;

	if (!d->exec_names || !job->in_container)
		return;
	if (d->exec_names->slot[ev->ppid % EXEC_NAMES].tgid == ev->ppid && ev->ppid)
		job->parent_exe = strdup(d->exec_names->slot[ev->ppid % EXEC_NAMES].name);
	else if (in_host_mntns(d, ev->ppid))
		job->parent_exe = strdup(HOST_PARENT);
	else
		job->parent_exe = name_from_proc(ev->ppid);
	name = exec_name(job);
	if (name) {
		d->exec_names->slot[ev->tgid % EXEC_NAMES].tgid = ev->tgid;
		snprintf(d->exec_names->slot[ev->tgid % EXEC_NAMES].name, EXEC_NAME_LEN, "%s",
			 name);
	}
}

static json_t *anomaly_json(const struct profile_finding *f)
{
	json_t *nw = json_array();

	if (f->new_elements & PROFILE_EL_EXECUTABLE)
		json_array_append_new(nw, json_string("executable"));
	if (f->new_elements & PROFILE_EL_EDGE)
		json_array_append_new(nw, json_string("edge"));
	if (f->new_elements & PROFILE_EL_USER)
		json_array_append_new(nw, json_string("user"));
	return json_pack("{s:o,s:s,s:s*,s:I,s:{s:b,s:I,s:{s:I,s:I,s:I}}}", "new", nw, "executable",
			 f->exe, "parent", f->parent[0] ? f->parent : NULL, "user",
			 (json_int_t)f->uid, "profile", "signed", f->is_signed, "age_s",
			 (json_int_t)f->age_s, "size", "executables", (json_int_t)f->n_executables,
			 "edges", (json_int_t)f->n_edges, "users", (json_int_t)f->n_users);
}

static void report_anomaly(struct daemon *d, const struct verify_job *job,
			   const unsigned char *sha256, const struct profile_finding *f)
{
	char reason[768];
	struct ecs_container c;
	struct ecs_exec x;
	json_t *a = anomaly_json(f);

	/* the elements in the reason: distinct findings are never folded together */
	snprintf(reason, sizeof(reason), "new to the image's locked profile:%s%s%s%s%s%s%s",
		 f->new_elements & PROFILE_EL_EXECUTABLE ? " executable " : "",
		 f->new_elements & PROFILE_EL_EXECUTABLE ? f->exe : "",
		 f->new_elements & PROFILE_EL_EDGE ? " edge " : "",
		 f->new_elements & PROFILE_EL_EDGE ? f->parent : "",
		 f->new_elements & PROFILE_EL_EDGE ? " → " : "",
		 f->new_elements & PROFILE_EL_EDGE ? f->exe : "",
		 f->new_elements & PROFILE_EL_USER ? " user" : "");
	verify_job_event(job, &x, &c);
	x.verdict = SW_VERDICT_ANOMALY;
	x.severity = verdict_severity(SW_VERDICT_ANOMALY);
	x.reason = reason;
	x.sha256 = sha256;
	x.anomaly = a;
	report_verdict(d->report, &x);
	json_decref(a);
}

/* An ok verdict on an exec (event loop or hash worker): learn it, or check it. */
static void profile_exec(struct daemon *d, const struct verify_job *job,
			 const unsigned char *sha256)
{
	struct profile_fact f = { 0 };
	struct profile_finding out;

	if (!d->profiles || !job->in_container || !job->c_image_id || !sha256 ||
	    (strcmp(job->action, "exec") && strcmp(job->action, "exec_script")))
		return;
	f.image_id = job->c_image_id;
	f.exe = exec_name(job);
	f.sha256 = sha256;
	/* a #! script's interpreter: the edge is the script's (exec_script), not parent → sh */
	if (!strcmp(job->action, "exec") && (job->ev.flags & SW_EF_SCRIPT))
		f.parent = NULL;
	else
		f.parent = job->parent_exe;
	f.uid = job->ev.uid;
	profile_observe(d->profiles, &f, time(NULL), &out);
	if (out.refused[0])
		report_daemon(
			d->report, "alert", "profile_refused", SW_SEVERITY_MEDIUM,
			json_pack("{s:s,s:s}", "image_id", job->c_image_id, "reason", out.refused),
			"profile of image %s refused (not learned, not checked): %s",
			job->c_image_id, out.refused);
	if (out.new_elements)
		report_anomaly(d, job, sha256, &out);
}

void daemon_on_ok(void *ctx, const struct verify_job *job, const unsigned char *sha256)
{
	struct daemon *d = ctx;

	daemon_kcache_learn(d, job);
	profile_exec(d, job, sha256);
}

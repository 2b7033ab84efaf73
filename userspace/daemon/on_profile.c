// SPDX-License-Identifier: GPL-2.0-only
/*
 * on_profile.c: learned behaviour (docs/profiles.md): the facts of each
 * verified exec handed to profile/, anomalies reported (daemon.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void profiles_note_exec(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	const char *name;

	if (!d->exec_names || !job->in_container)
		return;
	if (d->exec_names->slot[ev->ppid % EXEC_NAMES].tgid == ev->ppid && ev->ppid)
		job->parent_exe = strdup(d->exec_names->slot[ev->ppid % EXEC_NAMES].name);
	else
		job->parent_exe = proc_link(ev->ppid, "exe");
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
	f.parent = job->parent_exe;
	f.uid = job->ev.uid;
	profile_observe(d->profiles, &f, time(NULL), &out);
	if (out.refused[0])
		report_daemon(d->report, "alert", "profile_refused", SW_SEVERITY_MEDIUM,
			      json_pack("{s:s,s:s}", "image_id", job->c_image_id, "reason",
					out.refused),
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

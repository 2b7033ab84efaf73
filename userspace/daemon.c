// SPDX-License-Identifier: GPL-2.0-only
/*
 * sealwatch daemon: BPF exec events → container/image → signed baseline →
 * verdict → JSON events (DESIGN.md §1, §4–7).
 *
 * The event loop (this thread) never hashes: per exec it resolves the scope,
 * answers from the verdict cache, or opens /proc/PID/exe at once (before the
 * process can exit) and hands the open file to the hash workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/types.h>

#include "bpf_loader.h"
#include "bstore.h"
#include "commands.h"
#include "config.h"
#include "crypto.h"
#include "daemon_metrics.h"
#include "ecs.h"
#include "errors.h"
#include "events.h"
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "baseline.h"
#include "procpath.h"
#include "metrics_http.h"
#include "resolver.h"
#include "sigstore/sigstore.h"
#include "sink.h"
#include "vcache.h"
#include "verifier.h"

#define MAX_ARGS 32
#define MAX_ARGS_BYTES 4096

struct daemon {
	struct sw_config cfg;
	struct sw_pubkey *keys[SW_CONFIG_MAX_LIST];
	size_t n_keys;
	struct sw_sinks *sinks;
	struct sw_bstore *store; /* current snapshot */
	struct vcache *cache;
	struct verifier *verifier;
	struct resolver *resolver;
	struct bpf_loader *bpf;
	struct metrics_http *http;
	int argc; /* the command line, parsed again on each SIGHUP reload */
	char **argv;
	const char *config_file; /* --config, or NULL */
	int sigfd, inofd;
	__u32 host_mntns; /* PID 1's mount namespace: the host's */
	bool reload_pending; /* baselines (inotify) */
	bool config_reload_pending; /* config file and baselines (SIGHUP) */
	struct timespec reload_at;
	__u64 lost_reported;
	uint64_t events, host_unmonitored;
	bool kcache; /* insert ok verdicts into the in-kernel cache */
};

static void emit_daemon(struct daemon *d, const char *kind, const char *action, int severity,
			json_t *extra, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void emit_daemon(struct daemon *d, const char *kind, const char *action, int severity,
			json_t *extra, const char *fmt, ...)
{
	char msg[1024], *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!strcmp(kind, "alert"))
		daemon_metrics_daemon_alert(action);
	line = ecs_daemon_json(kind, action, severity, msg, extra);
	if (line) {
		sinks_emit(d->sinks, line);
		free(line);
	}
}

static void report_baseline(void *ctx, const char *path, int err, const char *msg)
{
	struct daemon *d = ctx;

	if (err) {
		char check[32];
		json_t *extra = json_pack("{s:{s:s},s:s}", "baseline", "path", path, "reason", msg);

		/* a keyless refusal names the Sigstore check that failed */
		if (extra && bstore_refusal_check(msg, check, sizeof(check)))
			json_object_set_new(json_object_get(extra, "baseline"), "check",
					    json_string(check));
		log_warn("baseline %s refused: %s", path, msg);
		daemon_metrics_baseline_refused();
		emit_daemon(d, "alert", "baseline_refused", SW_SEVERITY_HIGH, extra,
			    "baseline %s refused: %s", path, msg);
	} else {
		log_info("baseline %s loaded", path);
	}
}

static void emit_loaded(struct daemon *d)
{
	emit_daemon(
		d, "event", "baselines_loaded", SW_SEVERITY_INFO,
		json_pack("{s:{s:I}}", "baselines", "count", (json_int_t)bstore_count(d->store)),
		"%zu verified baselines loaded", bstore_count(d->store));
}

/* A new store snapshot from @cfg's baselines verified with @keys. */
static int build_store(struct daemon *d, const struct sw_config *cfg, struct sw_pubkey *const *keys,
		       size_t n_keys, struct sw_bstore **ret, struct sw_error *err)
{
	struct sigstore_policy ids[SW_CONFIG_MAX_LIST];
	struct bstore_keyless keyless = { .identities = ids };
	struct sigstore_trusted_root *root = NULL;
	struct bstore_opts o = {
		.dir = cfg->baseline_dir,
		.host_baseline = cfg->host_baseline,
		.keys = keys,
		.n_keys = n_keys,
		.keyless = &keyless,
		.report = report_baseline,
		.ctx = d,
	};
	int r;

	if (cfg->trusted_root) {
		/* read at every (re)load: the user updates it like any package file */
		r = sigstore_trusted_root_load(cfg->trusted_root, &root, err);
		if (r)
			return r;
		keyless.root = root;
		for (size_t i = 0; i < cfg->n_trusted_identities; i++)
			ids[i] = (struct sigstore_policy){
				.issuer = cfg->trusted_identities[i].issuer,
				.identity = cfg->trusted_identities[i].identity,
				.identity_regexp = cfg->trusted_identities[i].identity_regexp,
			};
		keyless.n_identities = cfg->n_trusted_identities;
	}
	r = bstore_load(&o, ret, err);
	sigstore_trusted_root_free(root);
	return r;
}

static void swap_store(struct daemon *d, struct sw_bstore *s)
{
	/* cache entries point into the old snapshot: reset before it can be freed */
	vcache_reset(d->cache);
	if (d->bpf) {
		int n = bpf_loader_kcache_flush(d->bpf);

		if (n < 0)
			log_warn("in-kernel cache flush failed: %s", strerror(-n));
	}
	bstore_unref(d->store);
	d->store = s;
	daemon_metrics_baselines(bstore_count(s));
	if (d->bpf) /* at start-up, announced once the programs are attached */
		emit_loaded(d);
}

static int load_store(struct daemon *d, struct sw_error *err)
{
	struct sw_bstore *s;
	int r = build_store(d, &d->cfg, d->keys, d->n_keys, &s, err);

	if (r)
		return r;
	swap_store(d, s);
	return 0;
}

/* NUL-separated /proc/PID/cmdline → at most MAX_ARGS strings. */
static void read_args(__u32 pid, struct verify_job *job)
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

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void set_container(struct verify_job *job, const struct sw_container *c)
{
	job->in_container = true;
	job->c_id = dup_opt(c->id);
	job->c_runtime = dup_opt(c->runtime);
	job->c_name = dup_opt(c->name);
	job->c_image_id = dup_opt(c->image_id);
	job->c_image_name = dup_opt(c->image_name);
	job->c_pod = dup_opt(c->pod_name);
	job->c_ns = dup_opt(c->pod_namespace);
	job->c_cname = dup_opt(c->k8s_container_name);
	job->rootfs = dup_opt(c->rootfs);
}

/* Emit a verdict decided without hashing (no_baseline, fileless, cache hits, …). */
static void emit_now(struct daemon *d, struct verify_job *job, enum sw_verdict verdict,
		     const char *reason, int severity, const struct vcache_hit *hit)
{
	struct ecs_container c;
	struct ecs_exec x = {
		.ev = &job->ev,
		.action = job->action,
		.process_exe = job->proc_exe,
		.verdict = verdict,
		.reason = reason,
		.severity = severity,
		.executable = job->exe_path,
		.baseline_digest = job->bl ? job->bl->digest : NULL,
		.baseline_match = job->baseline_match,
		.args = job->args,
		.n_args = job->n_args,
	};

	if (job->in_container) {
		verify_job_container(job, &c);
		x.container = &c;
	}
	if (hit) {
		x.sha256 = hit->sha256;
		x.expected = hit->expected;
		x.same_content_as = hit->same_content_as;
		x.executable = hit->path;
	}
	verifier_count(d->verifier, verdict);
	if (verdict != SW_VERDICT_OK || d->cfg.all_events)
		verifier_emit(d->sinks, &x);
}

static int severity_of_hit(enum sw_verdict v)
{
	return v == SW_VERDICT_MODIFIED ? SW_SEVERITY_CRITICAL :
	       v == SW_VERDICT_OK	? SW_SEVERITY_INFO :
					  SW_SEVERITY_HIGH;
}

/*
 * The container of an exec: from the cgroup leaf name the kernel gave, else
 * (a container that made cgroups of its own) from any level of the full
 * /proc/PID/cgroup paths.
 */
static bool container_id_of(const struct sw_exec_event *ev, char *id, const char **hint)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	if (!resolver_container_id(ev->cgroup_name, id, hint))
		return true;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", ev->tgid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *comp;

		line[strcspn(line, "\n")] = '\0';
		p = p ? strchr(p + 1, ':') : NULL;
		for (comp = p ? strtok(p + 1, "/") : NULL; comp && !found; comp = strtok(NULL, "/"))
			found = !resolver_container_id(comp, id, hint);
	}
	fclose(f);
	return found;
}

/* Worker thread, after an "ok" verdict on a hashed file: skip it in the kernel next time. */
static void kcache_learn(void *ctx, const struct verify_job *job)
{
	struct daemon *d = ctx;
	int r;

	if (!d->kcache || job->by_path || !d->bpf)
		return;
	r = bpf_loader_kcache_put(d->bpf, &job->ev.file, job->ev.scope);
	if (r)
		log_debug("in-kernel cache insert: %s", strerror(-r));
}

static struct verify_job *job_new(struct daemon *d, const struct sw_exec_event *ev,
				  const char *action)
{
	struct verify_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->ev = *ev;
	job->action = action;
	job->exe_fd = -1;
	job->store = bstore_ref(d->store);
	return job;
}

/* readlink(/proc/PID/WHAT) as a malloc'd string, or NULL. */
static char *proc_link(__u32 pid, const char *what)
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

/* Open /proc/PID/WHAT (the exact file) into job->exe_fd and its path into job->exe_path. */
static bool job_open_proc(struct verify_job *job, const char *what)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%u/%s", job->ev.tgid, what);
	job->exe_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (job->exe_fd < 0)
		return false;
	free(job->exe_path);
	job->exe_path = proc_link(job->ev.tgid, what);
	return true;
}

/*
 * The scope of an event: its container's image baseline or the host
 * baseline (job->bl, NULL when there is none). Returns false when the event
 * was answered already (container runtime state unusable).
 */
static bool job_scope(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	const struct sw_container *c = NULL;
	char id[SW_CONTAINER_ID_LEN + 1];
	const char *hint = NULL;
	int by_name = 0;

	/*
	 * A container process is in a container's cgroup *and* out of the host's
	 * mount namespace: runc/crun re-exec themselves ("runc init") inside the
	 * container's cgroup before switching namespaces — host binaries, checked
	 * against the host baseline like any other host process.
	 */
	if (ev->mntns != d->host_mntns && container_id_of(ev, id, &hint)) {
		struct sw_error err = { { 0 } };
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
				 SW_SEVERITY_MEDIUM, NULL);
			return false;
		}
		set_container(job, c);
		job->bl = bstore_find_image(job->store, c->image_id, c->image_name, &by_name);
		job->baseline_match = by_name ? "image_name" : "image_id";
	} else {
		job->bl = bstore_host(job->store);
		job->baseline_match = "host";
	}
	return true;
}

/* Verify job->exe_fd (or the fallback path): cache, else the hash workers. Frees @job. */
static void job_verify(struct daemon *d, struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	struct vcache_hit hit;

	/* code run from memory needs no baseline to be reported, in any scope */
	if (ev->flags & (SW_EF_MEMFD | SW_EF_DELETED)) {
		emit_now(d, job, SW_VERDICT_FILELESS,
			 ev->flags & SW_EF_MEMFD ? "executed from memory (memfd/shmem)" :
						   "executed file has been deleted",
			 SW_SEVERITY_HIGH, NULL);
		goto done;
	}
	if (!job->bl) {
		/* exec reports it; every library mapping of such a container would be noise */
		if (job->in_container && ev->type == SW_EVENT_EXEC && !job->by_path)
			emit_now(d, job, SW_VERDICT_NO_BASELINE,
				 "the container's image has no verified baseline",
				 d->cfg.no_baseline_severity, NULL);
		else if (!job->in_container)
			d->host_unmonitored++;
		goto done;
	}
	if (job->exe_path && vcache_get(d->cache, &ev->file, job->bl, job->exe_path, &hit)) {
		emit_now(d, job, hit.verdict, hit.reason, severity_of_hit(hit.verdict), &hit);
		if (hit.verdict == SW_VERDICT_OK)
			kcache_learn(d, job);
		goto done;
	}
	if (!verifier_submit(d->verifier, job))
		return;
	emit_now(d, job, SW_VERDICT_UNVERIFIED, "hash queue full", SW_SEVERITY_MEDIUM, NULL);
done:
	verify_job_free(job);
}

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
	char path[PATH_MAX], root[64];
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
	if (procpath_resolve((int)ev->tgid, -100, ev->filename, path, sizeof(path))) {
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "process exited before its script was found (relative path)",
			 SW_SEVERITY_MEDIUM, NULL);
		verify_job_free(job);
		return;
	}
	job->exe_path = strdup(path);
	snprintf(root, sizeof(root), "/proc/%u/root", ev->tgid);
	job->exe_fd = verifier_open_in_root(job->in_container ? root : NULL, path);
	if (job->exe_fd < 0 && job->in_container && job->rootfs) /* the process is gone */
		job->exe_fd = verifier_open_in_root(job->rootfs, path);
	if (job->exe_fd >= 0 && !fstat(job->exe_fd, &st)) {
		job->ev.file.dev = major(st.st_dev) << 20 | minor(st.st_dev);
		job->ev.file.ino = st.st_ino;
		job->ev.file.size = (__u64)st.st_size;
		job->ev.file.ctime_sec = st.st_ctim.tv_sec;
		job->ev.file.ctime_nsec = (__u32)st.st_ctim.tv_nsec;
		job->ev.file.nlink = (__u32)st.st_nlink;
	} else {
		emit_now(d, job, SW_VERDICT_UNVERIFIED, "script not found in the process's root",
			 SW_SEVERITY_MEDIUM, NULL);
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
static bool tp_exec_is_script(const struct verify_job *job)
{
	const struct sw_exec_event *ev = &job->ev;
	char path[PATH_MAX], root[64], head[2];
	struct stat st;
	bool script = false;
	int fd;

	if (!(ev->flags & SW_EF_FALLBACK_TP) ||
	    procpath_resolve((int)ev->tgid, -100, ev->filename, path, sizeof(path)))
		return false;
	snprintf(root, sizeof(root), "/proc/%u/root", ev->tgid);
	fd = verifier_open_in_root(job->in_container ? root : NULL, path);
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
	    procpath_from_dentries(ev->interp, sizeof(ev->interp), path, sizeof(path)))
		return;
	free(job->fallback_path);
	job->fallback_path = strdup(path);
}

static int on_exec(struct daemon *d, const struct sw_exec_event *ev)
{
	struct verify_job *job;

	d->events++;
	job = job_new(d, ev, "exec");
	if (!job)
		return 0;
	/* open the exact file first: the process may be gone in a millisecond */
	job_open_proc(job, "exe");
	read_args(ev->tgid, job);
	if (!job_scope(d, job)) {
		verify_job_free(job);
		return 0;
	}
	if ((ev->flags & SW_EF_SCRIPT) || tp_exec_is_script(job))
		script_of_exec(d, ev, job->args, job->n_args);
	else if (job->exe_fd < 0)
		exe_fallback_path(job);
	job_verify(d, job);
	return 0;
}

/*
 * An absolute path in the task's root from what the kernel sent in @field
 * (ev->filename or ev->interp), when it says where the file is: a dentry walk
 * that reached the task's root (leaf first: reversed), a bpf_d_path(), or an
 * absolute path given to the syscall. 0, or -1 when it does not.
 */
static int event_path(const struct sw_exec_event *ev, const char *field, char *out, size_t size)
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
static int on_file(struct daemon *d, const struct sw_exec_event *ev)
{
	struct verify_job *job;
	char what[96], path[PATH_MAX];

	d->events++;
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

/*
 * open_write, unlink, rename, truncate: a path of the baseline written,
 * removed or replaced — reported at once (tamper), nothing to hash.
 */
static int on_write(struct daemon *d, const struct sw_exec_event *ev)
{
	static const char *const actions[] = {
		[SW_EVENT_OPEN_WRITE] = "open_write",
		[SW_EVENT_UNLINK] = "unlink",
		[SW_EVENT_RENAME] = "rename",
		[SW_EVENT_TRUNCATE] = "truncate",
	};
	char given[PATH_MAX], real[PATH_MAX], old[PATH_MAX], what[64];
	const char *hit_path = NULL, *reason = NULL;
	const struct sw_entry *entry = NULL;
	struct vcache_hit h;
	struct verify_job *job;
	char *real_link = NULL;
	bool have_given, have_old = false, preload;

	d->events++;
	job = job_new(d, ev, actions[ev->type]);
	if (!job)
		return 0;
	job->proc_exe = proc_link(ev->tgid, "exe");
	/* the path hooks (lsm mode) walk the dentries: never relative to a cwd */
	if (ev->flags & SW_EF_PATH_DENTRY)
		have_given = !event_path(ev, ev->filename, given, sizeof(given));
	else
		have_given = !procpath_resolve((int)ev->tgid, ev->fd, ev->filename, given,
					       sizeof(given));
	if (ev->type == SW_EVENT_OPEN_WRITE && ev->fd2 >= 0) {
		/* the real path of what was opened (symlinks resolved), while it is open */
		snprintf(what, sizeof(what), "fd/%d", ev->fd2);
		real_link = proc_link(ev->tgid, what);
		if (real_link && procpath_normalize(real_link, real, sizeof(real)))
			real[0] = '\0';
	}
	if (ev->type == SW_EVENT_RENAME)
		have_old = ev->flags & SW_EF_PATH_DENTRY ?
				   !event_path(ev, ev->interp, old, sizeof(old)) :
				   !procpath_resolve((int)ev->tgid, ev->fd2, ev->interp, old,
						     sizeof(old));
	preload = (have_given && !strcmp(given, LD_SO_PRELOAD)) ||
		  (real_link && !strcmp(real, LD_SO_PRELOAD));
	if (!job_scope(d, job))
		goto done;
	if (preload) {
		hit_path = LD_SO_PRELOAD;
		reason = "/etc/ld.so.preload written: every dynamically linked program will "
			 "load the libraries it names";
	} else if (!job->bl) {
		goto done; /* nothing to compare with (exec reports no_baseline) */
	} else if (real_link && real[0] && (entry = baseline_lookup(job->bl->b, real))) {
		hit_path = real;
	} else if (have_given && (entry = baseline_lookup(job->bl->b, given))) {
		hit_path = given;
	} else if (have_old && (entry = baseline_lookup(job->bl->b, old))) {
		hit_path = old;
	} else if (!have_given && (ev->flags & SW_EF_PATH_DENTRY)) {
		/* the kernel's walk did not reach the task's root: cannot say it was harmless */
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "the path written could not be told (too deep, or outside the "
			 "process's root)",
			 SW_SEVERITY_MEDIUM, NULL);
		goto done;
	} else if (!have_given && ev->filename[0] != '/' && !real_link) {
		/* a relative path of a process that is gone: cannot say it was harmless */
		emit_now(d, job, SW_VERDICT_UNVERIFIED,
			 "process exited before the relative path it wrote could be resolved",
			 SW_SEVERITY_MEDIUM, NULL);
		goto done;
	} else {
		goto done;
	}
	if (!reason)
		reason = ev->type == SW_EVENT_OPEN_WRITE ?
				 "a file of the image opened for writing" :
			 ev->type == SW_EVENT_UNLINK ? "a file of the image removed" :
			 ev->type == SW_EVENT_RENAME ? "a file of the image replaced or moved" :
						       "a file of the image truncated";
	memset(&h, 0, sizeof(h));
	h.expected = entry;
	snprintf(h.path, sizeof(h.path), "%s", hit_path);
	{
		struct ecs_container c;
		struct ecs_exec x = {
			.ev = &job->ev,
			.action = job->action,
			.verdict = SW_VERDICT_TAMPER,
			.reason = reason,
			.severity = SW_SEVERITY_CRITICAL,
			.executable = hit_path,
			.process_exe = job->proc_exe,
			.expected = entry,
			.old_path = have_old ? old : NULL,
			.baseline_digest = job->bl ? job->bl->digest : NULL,
			.baseline_match = job->bl ? job->baseline_match : NULL,
		};

		if (job->in_container) {
			verify_job_container(job, &c);
			x.container = &c;
		}
		verifier_count(d->verifier, SW_VERDICT_TAMPER);
		verifier_emit(d->sinks, &x);
	}
done:
	free(real_link);
	verify_job_free(job);
	return 0;
}

static int on_event(void *ctx, const struct sw_exec_event *ev)
{
	struct daemon *d = ctx;

	switch (ev->type) {
	case SW_EVENT_EXEC:
		return on_exec(d, ev);
	case SW_EVENT_MMAP_EXEC:
	case SW_EVENT_SCRIPT_OPEN:
	case SW_EVENT_READ_OPEN:
		return on_file(d, ev);
	case SW_EVENT_OPEN_WRITE:
	case SW_EVENT_UNLINK:
	case SW_EVENT_RENAME:
	case SW_EVENT_TRUNCATE:
		return on_write(d, ev);
	default:
		log_warn("unknown event type %u from the kernel", ev->type);
		return 0;
	}
}

static void check_counters(struct daemon *d)
{
	__u64 cnt[SW_CNT__MAX];

	if (bpf_loader_counters(d->bpf, cnt))
		return;
	if (cnt[SW_CNT_RINGBUF_FULL] > d->lost_reported) {
		__u64 lost = cnt[SW_CNT_RINGBUF_FULL] - d->lost_reported;

		d->lost_reported = cnt[SW_CNT_RINGBUF_FULL];
		emit_daemon(d, "alert", "events_lost", SW_SEVERITY_HIGH,
			    json_pack("{s:I,s:I}", "lost", (json_int_t)lost, "lost_total",
				      (json_int_t)cnt[SW_CNT_RINGBUF_FULL]),
			    "%llu exec events lost in the kernel (ring buffer full)",
			    (unsigned long long)lost);
	}
}

static void daemon_usage(FILE *out)
{
	fprintf(out,
		"Usage: sealwatch daemon [OPTIONS]\n\n"
		"Verify every exec on this host against signed baselines; JSON events out.\n\n"
		"Options (each also a config key, docs/daemon.md):\n"
		"  -c, --config FILE          JSON config file\n"
		"  -b, --baseline-dir DIR     signed baselines: NAME.jsonl + NAME.jsonl.sig\n"
		"  -k, --trusted-key PUB.pem  public key baselines must be signed with (repeatable)\n"
		"      --trusted-root FILE    Sigstore trusted_root.json: NAME.jsonl.sigstore.json\n"
		"                             bundles are verified keyless, offline\n"
		"      --trusted-identity ISSUER=IDENTITY  a keyless signer (repeatable)\n"
		"      --host-baseline FILE   signed baseline of this host (bare metal)\n"
		"  -o, --output SINK          stdout (default), file:PATH, syslog+udp|tcp|tls://H:P,\n"
		"                             http(s)://… with ?options (repeatable, docs/siem.md)\n"
		"  -a, --all-events           also emit verified (ok) execs\n"
		"      --hash-workers N       hashing threads (default 2)\n"
		"      --queue-size N         pending hash jobs (default 4096)\n"
		"      --cache-size N         verdict cache entries (default 65536)\n"
		"      --no-baseline-severity info|low|medium|high|critical (default medium)\n"
		"      --force-tracepoint     use tp/sched_process_exec, not tp_btf\n"
		"      --attach MODE          auto (default: lsm, else tp_btf, else tp), lsm,\n"
		"                             tp_btf or tp: only that mode, fail if unavailable\n"
		"      --no-kernel-cache      send every exec/mapping to userspace (no BPF cache)\n"
		"      --interpreter NAME     verify files this program reads as scripts\n"
		"                             (repeatable, \"python*\" a prefix; default list\n"
		"                             in docs/daemon.md)\n"
		"      --verify-read-path GLOB  verify files read under GLOB (\"/etc/ssl/**\"),\n"
		"                             repeatable\n"
		"      --metrics-listen ADDR:PORT  serve /metrics and /healthz (e.g. 127.0.0.1:9464)\n"
		"  -v, --verbose              debug logging (also libbpf)\n"
		"  -h, --help                 this help\n\n"
		"Signals: SIGHUP reloads the config file and baselines; SIGINT/SIGTERM stop.\n"
		"Exit codes: 0 stopped cleanly, 2 usage, 3 bad config, 5 system error\n"
		"(not root, no BTF, BPF load failure).\n");
}

static int parse_count(const char *flag, const char *arg, long min, long max, unsigned int *ret,
		       struct sw_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min || v > max)
		return sw_error_set(err, -EINVAL, "%s: '%s' is not an integer in %ld-%ld", flag,
				    arg, min, max);
	*ret = (unsigned int)v;
	return 0;
}

/*
 * The effective configuration: built-in defaults, then the --config file,
 * then the flags (lists given as flags replace the file's). Run at start and
 * again on every SIGHUP. Returns 1 after --help, 0, -EBADMSG for a bad config
 * file or --metrics-listen value, -EINVAL for a bad command line.
 */
static int config_from_args(struct sw_config *cfg, int argc, char **argv,
			    const char **ret_config_file, struct sw_error *err)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "baseline-dir", required_argument, NULL, 'b' },
		{ "trusted-key", required_argument, NULL, 'k' },
		{ "trusted-root", required_argument, NULL, 'G' },
		{ "trusted-identity", required_argument, NULL, 'Y' },
		{ "host-baseline", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "all-events", no_argument, NULL, 'a' },
		{ "hash-workers", required_argument, NULL, 'W' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "cache-size", required_argument, NULL, 'C' },
		{ "no-baseline-severity", required_argument, NULL, 'S' },
		{ "force-tracepoint", no_argument, NULL, 'T' },
		{ "attach", required_argument, NULL, 'A' },
		{ "no-kernel-cache", no_argument, NULL, 'K' },
		{ "interpreter", required_argument, NULL, 'I' },
		{ "verify-read-path", required_argument, NULL, 'R' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sw_config flags;
	const char *config_file = NULL;
	bool set_all = false, set_force = false, set_verbose = false, set_no_kcache = false;
	int c, r = 0;

	config_init(&flags);
	/* first pass: only --config, so that flags override the file */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:b:k:o:avh", opts, NULL)) != -1)
		if (c == 'c')
			config_file = optarg;
	*ret_config_file = config_file;
	if (config_file) {
		r = config_load_file(cfg, config_file, err);
		if (r)
			return r == -EBADMSG || r == -ENOENT || r == -EINVAL ? -EBADMSG : r;
	}
	optind = 1;
	while (!r && (c = getopt_long(argc, argv, "c:b:k:o:avh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'b':
			free(cfg->baseline_dir);
			cfg->baseline_dir = strdup(optarg);
			break;
		case 'H':
			free(cfg->host_baseline);
			cfg->host_baseline = strdup(optarg);
			break;
		case 'M': {
			struct sockaddr_storage sa;
			socklen_t len;

			r = metrics_http_parse_addr(optarg, &sa, &len, err);
			if (r) {
				r = sw_error_prefix(err, -EBADMSG, "--metrics-listen");
				break;
			}
			free(cfg->metrics_listen);
			cfg->metrics_listen = strdup(optarg);
			break;
		}
		case 'k':
			if (config_list_add(flags.trusted_keys, &flags.n_trusted_keys, optarg))
				r = sw_error_set(err, -EINVAL, "too many --trusted-key");
			break;
		case 'G':
			free(cfg->trusted_root);
			cfg->trusted_root = strdup(optarg);
			break;
		case 'Y': {
			int ir = config_identity_add(&flags, optarg);

			if (ir == -E2BIG)
				r = sw_error_set(err, -EINVAL, "too many --trusted-identity");
			else if (ir)
				r = sw_error_set(
					err, -EINVAL,
					"--trusted-identity wants ISSUER=IDENTITY, not '%s'",
					optarg);
			break;
		}
		case 'o':
			if (config_list_add(flags.outputs, &flags.n_outputs, optarg))
				r = sw_error_set(err, -EINVAL, "too many --output");
			break;
		case 'a':
			set_all = true;
			break;
		case 'W':
			r = parse_count("--hash-workers", optarg, 1, 64, &cfg->hash_workers, err);
			break;
		case 'Q':
			r = parse_count("--queue-size", optarg, 16, 1 << 20, &cfg->queue_size, err);
			break;
		case 'C':
			r = parse_count("--cache-size", optarg, 16, 1 << 24, &cfg->cache_size, err);
			break;
		case 'S':
			if (config_severity_from_name(optarg, &cfg->no_baseline_severity))
				r = sw_error_set(err, -EINVAL,
						 "--no-baseline-severity: use info, low, "
						 "medium, high or critical");
			break;
		case 'T':
			set_force = true;
			break;
		case 'A': {
			enum bpf_loader_attach a;

			if (bpf_loader_attach_parse(optarg, &a))
				r = sw_error_set(err, -EINVAL,
						 "--attach: use auto, lsm, tp_btf or tp");
			else
				cfg->attach = (int)a;
			break;
		}
		case 'K':
			set_no_kcache = true;
			break;
		case 'R':
			if (optarg[0] != '/')
				r = sw_error_set(err, -EINVAL,
						 "--verify-read-path: '%s' is not absolute",
						 optarg);
			else if (config_list_add(flags.verify_read_paths,
						 &flags.n_verify_read_paths, optarg))
				r = sw_error_set(err, -EINVAL, "too many --verify-read-path");
			break;
		case 'I':
			if (config_list_add(flags.interpreters, &flags.n_interpreters, optarg))
				r = sw_error_set(err, -EINVAL, "too many --interpreter");
			break;
		case 'v':
			set_verbose = true;
			break;
		case 'h':
			daemon_usage(stdout);
			r = 1;
			break;
		default:
			r = sw_error_set(err, -EINVAL,
					 "unknown option or missing value in '%s' (see --help)",
					 argv[optind - 1]);
		}
	}
	if (!r && optind != argc)
		r = sw_error_set(err, -EINVAL, "unexpected argument '%s'", argv[optind]);
	if (r) {
		config_clear(&flags);
		return r;
	}
	/* list flags replace the file's lists */
	if (flags.n_trusted_keys) {
		for (size_t i = 0; i < cfg->n_trusted_keys; i++)
			free(cfg->trusted_keys[i]);
		memcpy(cfg->trusted_keys, flags.trusted_keys, sizeof(flags.trusted_keys));
		cfg->n_trusted_keys = flags.n_trusted_keys;
		flags.n_trusted_keys = 0;
	}
	if (flags.n_trusted_identities) {
		for (size_t i = 0; i < cfg->n_trusted_identities; i++) {
			free(cfg->trusted_identities[i].issuer);
			free(cfg->trusted_identities[i].identity);
			free(cfg->trusted_identities[i].identity_regexp);
		}
		memcpy(cfg->trusted_identities, flags.trusted_identities,
		       sizeof(flags.trusted_identities));
		cfg->n_trusted_identities = flags.n_trusted_identities;
		flags.n_trusted_identities = 0;
	}
	if (flags.n_outputs) {
		for (size_t i = 0; i < cfg->n_outputs; i++)
			free(cfg->outputs[i]);
		memcpy(cfg->outputs, flags.outputs, sizeof(flags.outputs));
		cfg->n_outputs = flags.n_outputs;
		flags.n_outputs = 0;
	}
	if (flags.n_interpreters) {
		for (size_t i = 0; i < cfg->n_interpreters; i++)
			free(cfg->interpreters[i]);
		memcpy(cfg->interpreters, flags.interpreters, sizeof(flags.interpreters));
		cfg->n_interpreters = flags.n_interpreters;
		cfg->interpreters_set = true;
		flags.n_interpreters = 0;
	}
	if (flags.n_verify_read_paths) {
		for (size_t i = 0; i < cfg->n_verify_read_paths; i++)
			free(cfg->verify_read_paths[i]);
		memcpy(cfg->verify_read_paths, flags.verify_read_paths,
		       sizeof(flags.verify_read_paths));
		cfg->n_verify_read_paths = flags.n_verify_read_paths;
		flags.n_verify_read_paths = 0;
	}
	cfg->no_kernel_cache |= set_no_kcache;
	cfg->all_events |= set_all;
	cfg->force_tracepoint |= set_force;
	cfg->verbose |= set_verbose;
	config_clear(&flags);
	if (!cfg->n_outputs && config_list_add(cfg->outputs, &cfg->n_outputs, "stdout"))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (!cfg->trusted_root != !cfg->n_trusted_identities)
		return sw_error_set(err, -EINVAL,
				    cfg->trusted_root ?
					    "--trusted-root needs at least one --trusted-identity" :
					    "--trusted-identity needs --trusted-root");
	if ((cfg->baseline_dir || cfg->host_baseline) && !cfg->n_trusted_keys && !cfg->trusted_root)
		return sw_error_set(
			err, -EINVAL,
			"baselines need at least one --trusted-key (or --trusted-root and "
			"--trusted-identity) to verify them");
	return 0;
}

static void schedule_reload(struct daemon *d, int delay_ms)
{
	clock_gettime(CLOCK_MONOTONIC, &d->reload_at);
	d->reload_at.tv_nsec += (long)delay_ms * 1000000L;
	d->reload_at.tv_sec += d->reload_at.tv_nsec / 1000000000L;
	d->reload_at.tv_nsec %= 1000000000L;
	d->reload_pending = true;
}

static bool due(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Returns true when asked to stop. */
static bool handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading %s",
				 d->config_file ? "config and baselines" : "baselines");
			d->config_reload_pending = true;
		} else {
			stop = true;
		}
	}
	return stop;
}

static void handle_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	while (read(d->inofd, buf, sizeof(buf)) > 0)
		changed = true;
	if (changed) /* let a writer finish NAME.jsonl and NAME.jsonl.sig */
		schedule_reload(d, 300);
}

static void sample_metrics(struct daemon *d)
{
	struct daemon_metrics_sources src = {
		.bpf = d->bpf,
		.cache = d->cache,
		.verifier = d->verifier,
		.events = d->events,
		.host_unmonitored = d->host_unmonitored,
	};

	daemon_metrics_sample(&src);
}

/* Reload when a baseline or signature in @dir is written, renamed or deleted. */
static void watch_dir(struct daemon *d, const char *dir)
{
	if (!dir || d->inofd < 0)
		return;
	if (inotify_add_watch(d->inofd, dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0)
		log_warn("cannot watch %s (%s): reload with SIGHUP", dir, strerror(errno));
}

/* Watch the baseline dir and the host baseline's dir (adding a watch twice is harmless). */
static void watch_baselines(struct daemon *d, const struct sw_config *cfg)
{
	watch_dir(d, cfg->baseline_dir);
	if (cfg->host_baseline) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", cfg->host_baseline);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		watch_dir(d, slash ? dir : ".");
	}
}

static void config_failed(struct daemon *d, const char *key, const char *msg)
{
	json_t *c =
		json_pack("{s:s,s:s}", "path", d->config_file ? d->config_file : "", "error", msg);

	if (key && *key)
		json_object_set_new(c, "key", json_string(key));
	log_error("reload failed, keeping the running config: %s", msg);
	daemon_metrics_reload(0);
	emit_daemon(d, "alert", "config_error", SW_SEVERITY_MEDIUM, json_pack("{s:o}", "config", c),
		    "config reload failed, running config kept: %s", msg);
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static bool list_differs(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return true;
	return false;
}

/*
 * Keys that shape threads, sockets, the BPF programs or the sinks set at
 * start: a reload keeps their running values (moved into @nc) and says which
 * changed. Returns the number of such keys, their names in @keys.
 */
static size_t keep_restart_keys(struct daemon *d, struct sw_config *nc, json_t *keys)
{
	struct sw_config *old = &d->cfg;

	if (list_differs(old->outputs, old->n_outputs, nc->outputs, nc->n_outputs))
		json_array_append_new(keys, json_string("outputs"));
	for (size_t i = 0; i < nc->n_outputs; i++)
		free(nc->outputs[i]);
	memcpy(nc->outputs, old->outputs, sizeof(old->outputs));
	nc->n_outputs = old->n_outputs;
	old->n_outputs = 0;
	if (nc->hash_workers != old->hash_workers)
		json_array_append_new(keys, json_string("hash_workers"));
	if (nc->queue_size != old->queue_size)
		json_array_append_new(keys, json_string("queue_size"));
	if (nc->cache_size != old->cache_size)
		json_array_append_new(keys, json_string("cache_size"));
	if (nc->force_tracepoint != old->force_tracepoint)
		json_array_append_new(keys, json_string("force_tracepoint"));
	if (nc->attach != old->attach)
		json_array_append_new(keys, json_string("attach"));
	if (str_differs(nc->metrics_listen, old->metrics_listen))
		json_array_append_new(keys, json_string("metrics_listen"));
	/* compiled into the BPF programs' read-only data at load */
	if (list_differs(old->interpreters, old->n_interpreters, nc->interpreters,
			 nc->n_interpreters))
		json_array_append_new(keys, json_string("interpreters"));
	if (list_differs(old->verify_read_paths, old->n_verify_read_paths, nc->verify_read_paths,
			 nc->n_verify_read_paths))
		json_array_append_new(keys, json_string("verify_read_paths"));
	for (size_t i = 0; i < nc->n_interpreters; i++)
		free(nc->interpreters[i]);
	memcpy(nc->interpreters, old->interpreters, sizeof(old->interpreters));
	nc->n_interpreters = old->n_interpreters;
	nc->interpreters_set = old->interpreters_set;
	old->n_interpreters = 0;
	for (size_t i = 0; i < nc->n_verify_read_paths; i++)
		free(nc->verify_read_paths[i]);
	memcpy(nc->verify_read_paths, old->verify_read_paths, sizeof(old->verify_read_paths));
	nc->n_verify_read_paths = old->n_verify_read_paths;
	old->n_verify_read_paths = 0;
	nc->hash_workers = old->hash_workers;
	nc->queue_size = old->queue_size;
	nc->cache_size = old->cache_size;
	nc->force_tracepoint = old->force_tracepoint;
	nc->attach = old->attach;
	free(nc->metrics_listen);
	nc->metrics_listen = old->metrics_listen;
	old->metrics_listen = NULL;
	return json_array_size(keys);
}

/*
 * SIGHUP: read the config file and command line again and validate all of
 * it — config, trusted keys, baseline store — before anything changes; on
 * any error the running config stays and a config_error alert names the key.
 * Runs on the event loop thread between two ring buffer polls: events wait in
 * the ring buffer meanwhile, none is dropped.
 */
static void reload_config(struct daemon *d)
{
	struct sw_pubkey *keys[SW_CONFIG_MAX_LIST] = { 0 };
	struct sw_error err = { { 0 } };
	struct sw_bstore *store = NULL;
	const char *config_file;
	struct sw_config nc;
	size_t n_keys = 0;
	char key[64];
	json_t *restart;
	int r;

	if (!d->config_file) { /* nothing to re-read: the baselines only */
		if (load_store(d, &err))
			log_error("reload failed, keeping the previous baselines: %s", err.msg);
		return;
	}
	config_init(&nc);
	r = config_from_args(&nc, d->argc, d->argv, &config_file, &err);
	if (r) {
		config_error_key(err.msg, key, sizeof(key));
		config_failed(d, key, err.msg);
		goto out;
	}
	if (config_default_interpreters(&nc)) { /* as at start: compared with the running list */
		config_failed(d, "interpreters", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nc.n_trusted_keys; i++, n_keys++) {
		r = crypto_pubkey_load(nc.trusted_keys[i], &keys[i], &err);
		if (r) {
			config_failed(d, "trusted_keys", err.msg);
			goto out;
		}
	}
	r = build_store(d, &nc, keys, n_keys, &store, &err);
	if (r) { /* only system errors: an unreadable baseline_dir */
		config_failed(d,
			      nc.baseline_dir && !strncmp(err.msg, nc.baseline_dir,
							  strlen(nc.baseline_dir)) ?
				      "baseline_dir" :
				      NULL,
			      err.msg);
		goto out;
	}

	/* all checked: apply */
	restart = json_array();
	if (keep_restart_keys(d, &nc, restart)) {
		char *names = json_dumps(restart, JSON_COMPACT);

		log_warn("reload: %s changed; they take effect at the next restart",
			 names ? names : "some keys");
		emit_daemon(d, "event", "config_restart_needed", SW_SEVERITY_LOW,
			    json_pack("{s:{s:s,s:O}}", "config", "path", d->config_file,
				      "restart_keys", restart),
			    "config keys %s changed: they take effect at the next restart",
			    names ? names : "");
		free(names);
	}
	json_decref(restart);
	for (size_t i = 0; i < d->n_keys; i++)
		crypto_pubkey_free(d->keys[i]);
	memcpy(d->keys, keys, sizeof(keys));
	d->n_keys = n_keys;
	n_keys = 0;
	config_clear(&d->cfg);
	d->cfg = nc;
	config_init(&nc);
	log_set_level(d->cfg.verbose ? SW_LOG_DEBUG : SW_LOG_INFO);
	verifier_set_all_events(d->verifier, d->cfg.all_events);
	/* all events must reach userspace: no in-kernel skipping then */
	d->kcache = !d->cfg.no_kernel_cache && !d->cfg.all_events;
	if (d->bpf && bpf_loader_kcache_set(d->bpf, d->kcache)) {
		log_warn("reload: the in-kernel cache cannot be switched %s",
			 d->kcache ? "on" : "off");
		d->kcache = bpf_loader_kcache_enabled(d->bpf);
	}
	watch_baselines(d, &d->cfg);
	daemon_metrics_reload(1);
	emit_daemon(d, "event", "config_reloaded", SW_SEVERITY_INFO,
		    json_pack("{s:{s:s}}", "config", "path", d->config_file), "config %s reloaded",
		    d->config_file);
	swap_store(d, store);
	log_info("config %s reloaded, %zu baselines", d->config_file, bstore_count(d->store));
out:
	for (size_t i = 0; i < n_keys; i++)
		crypto_pubkey_free(keys[i]);
	config_clear(&nc);
}

static int run(struct daemon *d)
{
	struct timespec last_tick = { 0 }, now;
	int r;

	for (;;) {
		r = bpf_loader_poll(d->bpf, 100);
		if (r < 0 && r != -EINTR) {
			log_error("ring buffer poll failed: %s", strerror(-r));
			return r;
		}
		health_tick();
		if (handle_signals(d))
			return 0;
		if (d->inofd >= 0)
			handle_inotify(d);
		if (d->config_reload_pending) {
			d->config_reload_pending = false;
			d->reload_pending = false; /* the baselines are reloaded too */
			reload_config(d);
		}
		if (d->reload_pending && due(&d->reload_at)) {
			struct sw_error err = { { 0 } };

			d->reload_pending = false;
			if (load_store(d, &err))
				log_error("reload failed, keeping the previous baselines: %s",
					  err.msg);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last_tick.tv_sec) {
			last_tick = now;
			check_counters(d);
			sample_metrics(d);
			if (now.tv_sec % 10 == 0)
				resolver_prune(d->resolver);
		}
	}
}

/*
 * The host's mount namespace: PID 1's when we may look at it (a DaemonSet
 * runs with hostPID and its own mount namespace), else our own.
 */
static int host_mount_ns(__u32 *ret, struct sw_error *err)
{
	struct stat st;

	if (!stat("/proc/1/ns/mnt", &st)) {
		*ret = (__u32)st.st_ino;
		return 0;
	}
	log_debug("/proc/1/ns/mnt: %s; taking our own mount namespace as the host's",
		  strerror(errno));
	if (stat("/proc/self/ns/mnt", &st))
		return sw_error_set(err, -errno, "/proc/self/ns/mnt: %s", strerror(errno));
	*ret = (__u32)st.st_ino;
	return 0;
}

/* SIGINT, SIGTERM, SIGHUP: read from a signalfd by the event loop. */
static void daemon_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

static int setup(struct daemon *d, struct sw_error *err)
{
	struct bpf_loader_opts bo = { .on_event = on_event,
				      .ctx = d,
				      .force_tp = d->cfg.force_tracepoint,
				      .attach = (enum bpf_loader_attach)d->cfg.attach,
				      .verbose = d->cfg.verbose,
				      .no_kernel_cache =
					      d->cfg.no_kernel_cache || d->cfg.all_events,
				      .host_scripts = d->cfg.host_baseline != NULL,
				      .interpreters = d->cfg.interpreters,
				      .n_interpreters = d->cfg.n_interpreters,
				      .read_paths = d->cfg.verify_read_paths,
				      .n_read_paths = d->cfg.n_verify_read_paths };
	struct verifier_opts vo = { .workers = d->cfg.hash_workers,
				    .queue_size = d->cfg.queue_size,
				    .all_events = d->cfg.all_events };
	struct resolver_opts ro = { .root = "" };
	sigset_t mask;
	int r;

	r = sinks_new(d->cfg.outputs, d->cfg.n_outputs, &d->sinks, err);
	if (r)
		return r;
	r = host_mount_ns(&d->host_mntns, err);
	if (r)
		return r;
	for (size_t i = 0; i < d->cfg.n_trusted_keys; i++) {
		r = crypto_pubkey_load(d->cfg.trusted_keys[i], &d->keys[i], err);
		if (r)
			return r;
		d->n_keys++;
	}
	r = vcache_new(d->cfg.cache_size, &d->cache);
	if (r)
		return sw_error_set(err, r, "out of memory");
	r = resolver_new(&ro, &d->resolver, err);
	if (r)
		return r;
	r = load_store(d, err);
	if (r)
		return r;
	vo.sinks = d->sinks;
	vo.cache = d->cache;
	vo.on_ok = kcache_learn;
	vo.ctx = d;
	r = config_default_interpreters(&d->cfg);
	if (r)
		return sw_error_set(err, r, "out of memory");
	bo.n_interpreters = d->cfg.n_interpreters;
	bo.host_mntns = d->host_mntns;
	r = verifier_new(&vo, &d->verifier);
	if (r)
		return sw_error_set(err, r, "cannot start hash workers");

	daemon_signal_mask(&mask);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return sw_error_set(err, -errno, "signalfd: %s", strerror(errno));
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inofd < 0)
		log_warn("inotify: %s: reload with SIGHUP", strerror(errno));
	watch_baselines(d, &d->cfg);
	if (d->cfg.metrics_listen) {
		r = metrics_http_start(d->cfg.metrics_listen, &d->http, err);
		if (r)
			return r == -EINVAL ? -EBADMSG : r;
		log_info("metrics on http://%s/metrics", d->cfg.metrics_listen);
	}
	r = bpf_loader_open(&bo, &d->bpf, err);
	if (r) /* a kernel without what we need is a system problem, not bad input */
		return r == -ENOTSUP || r == -EINVAL ? -ENODEV : r;
	d->kcache = bpf_loader_kcache_enabled(d->bpf);
	sample_metrics(d);
	health_tick();
	health_set_attached(true);
	emit_loaded(d);
	emit_daemon(d, "event", "start", SW_SEVERITY_INFO,
		    json_pack("{s:s,s:s}", "version", SW_VERSION, "attach_mode",
			      bpf_loader_attach_mode(d->bpf)),
		    "sealwatch %s watching execs (%s)", SW_VERSION, bpf_loader_attach_mode(d->bpf));
	log_info("watching execs (%s), %zu baselines", bpf_loader_attach_mode(d->bpf),
		 bstore_count(d->store));
	return 0;
}

static void teardown(struct daemon *d)
{
	struct verifier_stats st = { 0 };

	bool started = d->bpf != NULL;

	health_set_attached(false);
	/* no new events while nobody polls; finish queued jobs (they may use d->bpf) */
	if (d->verifier) {
		verifier_free(d->verifier);
		d->verifier = NULL;
	}
	bpf_loader_close(d->bpf);
	d->bpf = NULL;
	if (d->sinks && started)
		emit_daemon(d, "event", "stop", SW_SEVERITY_INFO,
			    json_pack("{s:I}", "events", (json_int_t)d->events),
			    "sealwatch stopped after %llu exec events",
			    (unsigned long long)d->events);
	(void)st;
	metrics_http_stop(d->http); /* reads the registry only: no daemon state */
	resolver_free(d->resolver);
	bstore_unref(d->store);
	vcache_free(d->cache);
	sinks_free(d->sinks);
	for (size_t i = 0; i < d->n_keys; i++)
		crypto_pubkey_free(d->keys[i]);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->inofd >= 0)
		close(d->inofd);
	config_clear(&d->cfg);
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon d = { .sigfd = -1, .inofd = -1 };
	struct sw_error err = { { 0 } };
	int r, code;

	sigset_t mask;

	/* before any thread exists, so that every thread inherits the mask */
	daemon_signal_mask(&mask);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	/* a closed stdout or a reset connection is a sink error (counted), never a kill */
	signal(SIGPIPE, SIG_IGN);
	config_init(&d.cfg);
	log_set_timestamps(1);
	d.argc = argc;
	d.argv = argv;
	r = config_from_args(&d.cfg, argc, argv, &d.config_file, &err);
	if (r == 1) {
		config_clear(&d.cfg);
		return SW_EXIT_OK;
	}
	if (r) {
		log_error("daemon: %s", err.msg);
		config_clear(&d.cfg);
		return r == -EINVAL ? SW_EXIT_USAGE : sw_exit_from_errno(r);
	}
	if (d.cfg.verbose)
		log_set_level(SW_LOG_DEBUG);
	daemon_metrics_describe();
	health_set_config_loaded(true);
	r = setup(&d, &err);
	if (!r)
		r = run(&d);
	else
		log_error("daemon: %s", err.msg[0] ? err.msg : strerror(-r));
	code = r ? sw_exit_from_errno(r) : SW_EXIT_OK;
	teardown(&d);
	return code;
}

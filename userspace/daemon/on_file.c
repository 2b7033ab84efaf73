// SPDX-License-Identifier: GPL-2.0-only
/* on_file.c: mappings, script and read opens, writes to the image's files (daemon.h). */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <jansson.h>

#include "baseline.h"
#include "bstore.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "procpath.h"
#include "resolver.h"
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
	if ((ev->flags & (SW_EF_OPEN_DENTRY | SW_EF_PATH_TOP | SW_EF_FILENAME_TRUNC)) ==
		    (SW_EF_OPEN_DENTRY | SW_EF_PATH_TOP) &&
	    !procpath_from_dentries(ev->open_dentries, sizeof(ev->open_dentries), path,
				    sizeof(path))) {
		job->fallback_path = strdup(path);
		job->fallback_real = job->fallback_path != NULL;
	} else if (!event_path(ev, ev->filename, path, sizeof(path))) {
		job->fallback_path = strdup(path);
		job->fallback_real =
			job->fallback_path && (ev->flags & (SW_EF_PATH_DENTRY | SW_EF_DPATH));
	}
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
 * What a write event names: the path given, the real path opened, a rename's
 * old path, and the real paths of those in the process's root (symlinked
 * directories and ".." resolved by the kernel).
 */
struct write_paths {
	char given[PATH_MAX], real[PATH_MAX], old[PATH_MAX];
	char given_real[PATH_MAX], old_real[PATH_MAX];
	/* given and old made absolute, ".." kept: for the kernel to resolve in the root */
	char raw[PATH_MAX], raw_old[PATH_MAX];
	char *real_link; /* readlink of the opened fd, or NULL */
	bool have_given, have_old, have_given_real, have_old_real;
	struct stat st; /* truncate: the file found at given_real */
	bool have_st;
};

/*
 * The paths of a write event resolved by the kernel inside the process's
 * root: the kernel's own dentry walk of an opened file (SW_EF_OPEN_DENTRY),
 * else the directories of the given and old paths opened in that root (the
 * file itself too for truncate, which follows a final symlink; unlink and
 * rename act on the name).
 */
static void write_paths_real(const struct verify_job *job, struct write_paths *p)
{
	const struct sw_exec_event *ev = &job->ev;

	__u32 top = ev->flags & SW_EF_FOREIGN_MOUNT ? SW_EF_PATH_NS_TOP : SW_EF_PATH_TOP;

	/* (another namespace's file: the walk ends at that namespace's root) */
	if ((ev->flags & (SW_EF_OPEN_DENTRY | top | SW_EF_FILENAME_TRUNC)) ==
	    (SW_EF_OPEN_DENTRY | top))
		p->have_given_real =
			!procpath_from_dentries(ev->open_dentries, sizeof(ev->open_dentries),
						p->given_real, sizeof(p->given_real));
	else if (p->have_given && !(ev->flags & (SW_EF_DPATH | SW_EF_PATH_DENTRY)))
		p->have_given_real = !procpath_real_in_root(
			job->root_fd, job->rootfs, p->raw, ev->type == SW_EVENT_TRUNCATE,
			p->given_real, sizeof(p->given_real),
			ev->type == SW_EVENT_TRUNCATE ? &p->st : NULL);
	p->have_st = p->have_given_real && ev->type == SW_EVENT_TRUNCATE;
	if (p->have_old && !(ev->flags & SW_EF_PATH_DENTRY))
		p->have_old_real =
			!procpath_real_in_root(job->root_fd, job->rootfs, p->raw_old, false,
					       p->old_real, sizeof(p->old_real), NULL);
}

/*
 * A file with more than one name: is one of them a file of the baseline?
 * (ln /usr/bin/x /tmp/y, then a write through /tmp/y.) Every regular file of
 * the baseline is looked up in the process's root and compared by inode.
 * Only for writes to multiply linked files that missed the baseline by name.
 */
#define HARDLINK_SCAN_MAX 200000
static const struct sw_entry *hardlink_of(const struct verify_job *job, const struct sw_baseline *b,
					  __u32 dev, __u64 ino)
{
	for (size_t i = 0; i < b->n_entries && i < HARDLINK_SCAN_MAX; i++) {
		const struct sw_entry *e = &b->entries[i];
		char real[PATH_MAX];
		struct stat st;

		if (!entry_is_content(e))
			continue;
		if (procpath_real_in_root(job->root_fd, job->rootfs, e->path, true, real,
					  sizeof(real), &st) ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((__u64)st.st_ino == ino && (major(st.st_dev) << 20 | minor(st.st_dev)) == dev)
			return e;
	}
	return NULL;
}

/*
 * @path as the process passed it with @dirfd, made absolute but not
 * normalized ("a/../b" can only be told by the kernel, in the process's
 * root): joined to the directory the kernel walked at the syscall
 * (SW_EF_DIR_DENTRY), else to readlink(/proc/PID/cwd or fd/DIRFD).
 */
static bool raw_path(const struct sw_exec_event *ev, int dirfd, const char *path, bool walked,
		     char *out, size_t size)
{
	char dir[PATH_MAX], what[64];
	ssize_t n;

	if (path[0] == '/')
		return (size_t)snprintf(out, size, "%s", path) < size;
	if (!path[0])
		return false;
	if (walked) {
		if (procpath_from_dentries(ev->dir_dentries, sizeof(ev->dir_dentries), dir,
					   sizeof(dir)))
			return false;
	} else {
		if (dirfd == -100)
			snprintf(what, sizeof(what), "/proc/%u/cwd", ev->tgid);
		else
			snprintf(what, sizeof(what), "/proc/%u/fd/%d", ev->tgid, dirfd);
		n = readlink(what, dir, sizeof(dir) - 1);
		if (n <= 0)
			return false;
		dir[n] = '\0';
		if (dir[0] != '/')
			return false; /* "pipe:[…]": not a directory */
	}
	return (size_t)snprintf(out, size, "%s/%s", strcmp(dir, "/") ? dir : "", path) < size;
}

static void write_paths_read(const struct sw_exec_event *ev, struct write_paths *p)
{
	bool walked = (ev->flags & (SW_EF_DIR_DENTRY | SW_EF_PATH_TOP | SW_EF_FILENAME_TRUNC)) ==
		      (SW_EF_DIR_DENTRY | SW_EF_PATH_TOP);
	char what[64];

	/* the path hooks (lsm mode) walk the dentries: never relative to a cwd */
	if (ev->flags & SW_EF_PATH_DENTRY)
		p->have_given = !event_path(ev, ev->filename, p->given, sizeof(p->given));
	else
		p->have_given =
			raw_path(ev, ev->fd, ev->filename, walked, p->raw, sizeof(p->raw)) &&
			!procpath_normalize(p->raw, p->given, sizeof(p->given));
	if (ev->type == SW_EVENT_OPEN_WRITE && ev->fd2 >= 0) {
		/* the real path of what was opened (symlinks resolved), while it is open */
		snprintf(what, sizeof(what), "fd/%d", ev->fd2);
		p->real_link = proc_link(ev->tgid, what);
		if (p->real_link && procpath_normalize(p->real_link, p->real, sizeof(p->real)))
			p->real[0] = '\0';
	}
	/* a rename's other path: in this event unless the kernel sent one per path */
	if (ev->type != SW_EVENT_RENAME || (ev->flags & (SW_EF_RENAME_OLD | SW_EF_DIR_DENTRY)))
		return;
	if (ev->flags & SW_EF_PATH_DENTRY)
		p->have_old = !event_path(ev, ev->old_path, p->old, sizeof(p->old));
	else
		p->have_old = raw_path(ev, ev->fd2, ev->old_path, false, p->raw_old,
				       sizeof(p->raw_old)) &&
			      !procpath_normalize(p->raw_old, p->old, sizeof(p->old));
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
	if (p->have_given_real && (*ret_entry = baseline_lookup(b, p->given_real)))
		return p->given_real;
	if (p->real_link && p->real[0] && (*ret_entry = baseline_lookup(b, p->real)))
		return p->real;
	if (p->have_given && (*ret_entry = baseline_lookup(b, p->given)))
		return p->given;
	if (p->have_old_real && (*ret_entry = baseline_lookup(b, p->old_real)))
		return p->old_real;
	if (p->have_old && (*ret_entry = baseline_lookup(b, p->old)))
		return p->old;
	/* another name of a file of the image */
	if (job->in_container && ev->type == SW_EVENT_OPEN_WRITE &&
	    !(ev->flags & SW_EF_NO_FILE_ID) && ev->file.nlink > 1 &&
	    (*ret_entry = hardlink_of(job, b, ev->file.dev, ev->file.ino)))
		return (*ret_entry)->path;
	if (job->in_container && p->have_st && p->st.st_nlink > 1 &&
	    (*ret_entry = hardlink_of(job, b, major(p->st.st_dev) << 20 | minor(p->st.st_dev),
				      p->st.st_ino)))
		return (*ret_entry)->path;
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

static const char *write_reason(const struct sw_exec_event *ev)
{
	/* io_uring's are seen when submitted: the request may still fail */
	if (ev->flags & SW_EF_IOURING)
		return ev->type == SW_EVENT_OPEN_WRITE ?
			       "a file of the image opened for writing (io_uring request)" :
		       ev->type == SW_EVENT_UNLINK ?
			       "a file of the image removed (io_uring request)" :
			       "a file of the image replaced or moved "
			       "(io_uring request)";
	return ev->type == SW_EVENT_OPEN_WRITE ? "a file of the image opened for writing" :
	       ev->type == SW_EVENT_UNLINK     ? "a file of the image removed" :
	       ev->type == SW_EVENT_RENAME     ? "a file of the image replaced or moved" :
						 "a file of the image truncated";
}

/* Runtimes that write layer files on the node when they unpack a new layer (exe base name). */
static bool is_runtime(const char *exe, const char *comm)
{
	static const char *const names[] = {
		"podman", "buildah", "skopeo", "crio", "containerd", "dockerd",
		"k3s",	  "rke2",    "conmon", "runc", "crun",	     "containerd-shim-runc-v2",
	};
	const char *base = exe ? strrchr(exe, '/') : NULL;

	base = base ? base + 1 : comm;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(base, names[i]))
			return true;
	return false;
}

/*
 * A write on the node into a runtime's layer store (SW_EF_NODE_STORAGE):
 * an image's files changed behind overlay's back, seen by every container
 * of every image that shares the layer. Tamper, naming the layer and (for
 * containers-storage) the images and containers that use it; silent when
 * the writer is a runtime unpacking a layer.
 */
static void node_layer_write(struct daemon *d, struct verify_job *job, const struct write_paths *p)
{
	const struct sw_exec_event *ev = &job->ev;
	char comm[SW_COMM_LEN + 1], store_dir[PATH_MAX], layer_id[256];
	const char *path = p->have_given_real ? p->given_real :
			   p->real_link	      ? p->real :
			   p->have_given      ? p->given :
						NULL;
	const char *store = NULL;
	size_t n = 0;
	struct ecs_container c;
	struct ecs_exec x;
	json_t *layer;

	memcpy(comm, ev->comm, SW_COMM_LEN);
	comm[SW_COMM_LEN] = '\0';
	if (is_runtime(job->proc_exe, comm) || !path)
		return;
	for (size_t i = 0; i < d->cfg.n_layer_stores; i++) {
		size_t len = strlen(d->cfg.layer_stores[i]);

		if (len > n && !strncmp(path, d->cfg.layer_stores[i], len) && path[len] == '/') {
			store = d->cfg.layer_stores[i];
			n = len;
		}
	}
	layer_id[0] = '\0';
	if (store)
		snprintf(layer_id, sizeof(layer_id), "%.*s", (int)strcspn(path + n + 1, "/"),
			 path + n + 1);
	layer = json_pack("{s:s,s:s,s:[],s:[]}", "store", store ? store : "", "id", layer_id,
			  "images", "containers");
	if (!layer)
		return;
	/* containers-storage: <graph>/overlay holds the layers, <graph>/overlay-* the indexes */
	if (store && n > 8 && !strcmp(store + n - 8, "/overlay")) {
		snprintf(store_dir, sizeof(store_dir), "%.*s", (int)(n - 8), store);
		resolver_layer_users(store_dir, layer_id, json_object_get(layer, "images"),
				     json_object_get(layer, "containers"));
	}
	verify_job_event(job, &x, &c);
	x.verdict = SW_VERDICT_TAMPER;
	x.reason = "a layer file of a runtime's image store written on the node: every container "
		   "of the images using the layer sees it";
	x.severity = verdict_severity(SW_VERDICT_TAMPER);
	x.executable = path;
	x.layer = layer;
	report_verdict(d->report, &x);
	json_decref(layer);
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
	if (!job_scope(d, job))
		goto done;
	job_pin_root(d, job); /* the written paths are resolved in it */
	write_paths_real(job, &p);
	if (ev->flags & SW_EF_NODE_STORAGE) {
		node_layer_write(d, job, &p);
		goto done;
	}
	preload = (p.have_given && !strcmp(p.given, LD_SO_PRELOAD)) ||
		  (p.have_given_real && !strcmp(p.given_real, LD_SO_PRELOAD)) ||
		  (p.real_link && !strcmp(p.real, LD_SO_PRELOAD));
	if (preload) {
		hit_path = LD_SO_PRELOAD;
		reason = "/etc/ld.so.preload written: every dynamically linked program will "
			 "load the libraries it names";
	} else {
		hit_path = write_target(d, job, &p, &entry);
		reason = write_reason(ev);
	}
	if (!hit_path)
		goto done;
	verify_job_event(job, &x, &c);
	x.verdict = SW_VERDICT_TAMPER;
	x.reason = reason;
	x.severity = verdict_severity(SW_VERDICT_TAMPER);
	x.executable = hit_path;
	x.expected = entry;
	x.old_path = p.have_old_real ? p.old_real : p.have_old ? p.old : NULL;
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

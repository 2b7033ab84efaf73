/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hash workers: verify the exact file an exec ran off the event loop
 * (docs/architecture.md, "verify/"). Jobs wait in a bounded queue; a job that does not fit is not
 * dropped silently: the caller reports it unverified.
 */
#ifndef SW_VERIFIER_H
#define SW_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "ecs.h"
#include "events.h"
#include "idmap.h"

struct bstore_baseline;
struct sw_bstore;
struct report;
struct vcache;

struct verify_job {
	struct sw_exec_event ev;
	const char *action; /* ECS event.action: "exec", "mmap_exec", … (static string) */
	int exe_fd; /* the file: /proc/PID/exe (map_files, fd) opened at event time, or -1 */
	char *exe_path; /* readlink of it (in the process's namespace), or NULL */
	char *fallback_path; /* absolute path to look for when exe_fd is -1, or NULL */
	bool fallback_real; /* ... resolved by the kernel (dentry walk, d_path): no symlinks */
	char *proc_exe; /* non-exec actions: the process's executable, or NULL */
	bool by_path; /* ev.file is fstat() of exe_fd, not the kernel's: never cached in BPF */
	/*
	 * the root the process saw, pinned at event time (nsroot.h): its own,
	 * else another live process's of its mount namespace; -1 when none
	 * (then rootfs)
	 */
	int root_fd;
	char *rootfs; /* host path of the container's root (fallback), NULL = "/" */
	struct sw_bstore *store; /* reference held by the job */
	const struct bstore_baseline *bl;
	const char *baseline_match;
	bool baseline_pending; /* no baseline yet: being fetched from a registry */
	bool in_container;
	char *c_id, *c_runtime, *c_name, *c_image_id, *c_image_name, *c_pod, *c_ns, *c_cname;
	char **args;
	size_t n_args;
	/* exec: the parent's executable as the daemon knew it at the event, or NULL */
	char *parent_exe;
	struct verify_job *qnext; /* hash queue link (verifier.c) */
	/* the process's ID maps read at event time (n 0: unknown, owners not compared) */
	struct sw_idmap uid_map, gid_map;
};

struct verifier_opts {
	unsigned int workers;
	unsigned int queue_size;
	struct report *report; /* where verdicts go (report.h) */
	uint64_t hash_max_size; /* larger files are decided without hashing; 0 = no cap */
	struct vcache *cache;
	/* called from a worker after an "ok" verdict on a hashed file, its content (may be NULL) */
	void (*on_ok)(void *ctx, const struct verify_job *job, const unsigned char *sha256);
	/*
	 * called before a verdict on a job is reported (may be NULL): may set
	 * the event's decision; false: the verdict is not reported
	 */
	bool (*on_report)(void *ctx, const struct verify_job *job, struct ecs_exec *x);
	void *ctx;
};

struct verifier;
struct stat;
struct sw_container;

int verifier_new(const struct verifier_opts *o, struct verifier **ret);
/* Stop accepting jobs, finish the queued ones, join the workers. */
void verifier_free(struct verifier *v);
/*
 * Queue @job, or decide it at once where no hash is needed (ownership passes
 * on success): a file over hash_max_size gets its verdict without hashing;
 * when the job's scope has no room in the queue, a path outside the baseline
 * is still unknown and a size other than the baseline's still modified.
 * -EAGAIN when nothing could be decided: the caller reports it unverified.
 */
int verifier_submit(struct verifier *v, struct verify_job *job);
/*
 * Container @c's names, image, rootfs into @job (copies), and the ID maps of
 * its process (read now; the host's when the process is in @host_userns).
 */
void verify_job_set_container(struct verify_job *job, const struct sw_container *c,
			      __u32 host_userns);
/* ev.file from fstat() of the file found (not the kernel's identity). */
void verify_job_file_from_stat(struct verify_job *job, const struct stat *st);
/* A zeroed job with no fds (exe_fd, root_fd -1); NULL when out of memory. */
struct verify_job *verify_job_alloc(void);
void verify_job_free(struct verify_job *job);

/*
 * Open @path inside @rootfs (NULL: "/") without ever leaving it, for reading,
 * only if it is a regular file (never blocks on a FIFO, never opens a
 * device); fd or -1 with errno (EINVAL: not a regular file).
 */
int verifier_open_in_root(const char *rootfs, const char *path);
/* The same inside the root directory fd @root_fd. */
int verifier_open_at_root(int root_fd, const char *path);
/* Open @path (e.g. /proc/PID/fd/N) for reading, the same way: regular files only. */
int verifier_open_regular(const char *path);

/*
 * The hash queue: per scope (container id, or the host) FIFOs served round
 * robin; one scope holds at most cap / (other scopes with jobs + 2) jobs.
 * Not locked (the verifier holds its lock around it).
 */
struct verify_queue;
int verify_queue_new(size_t cap, struct verify_queue **ret);
/* Frees the jobs still queued. */
void verify_queue_free(struct verify_queue *q);
/* 0; -EAGAIN when the queue is full, -EDQUOT when the job's scope has its share. */
int verify_queue_push(struct verify_queue *q, struct verify_job *job);
/* The next job (round robin over scopes), or NULL when empty. */
struct verify_job *verify_queue_pop(struct verify_queue *q);
size_t verify_queue_count(const struct verify_queue *q);

/* Fill an ecs_container view from a job's strings. */
void verify_job_container(const struct verify_job *job, struct ecs_container *c);

/*
 * The event of a job: process, container, baseline and the opened file's
 * path filled in from @job; verdict, reason and severity left to the caller.
 */
void verify_job_event(const struct verify_job *job, struct ecs_exec *x, struct ecs_container *c);
/* A verdict reached on a job: what verify_job_verdict() puts in its event. */
struct verify_job_verdict {
	enum sw_verdict verdict;
	const char *reason;
	int severity;
	const struct sw_entry *expected; /* the baseline entry, may be NULL */
	const char *path; /* the file's path when it differs from the job's, NULL: the job's */
};
/* The event of a verdict on @job: verify_job_event() with @v filled in. */
void verify_job_verdict(const struct verify_job *job, const struct verify_job_verdict *v,
			struct ecs_exec *x, struct ecs_container *c);

/*
 * A verdict reached without hashing (or none possible), reported at once;
 * @expected the baseline entry (may be NULL), @path the file's path when it
 * differs from the job's (NULL: the job's).
 */
void verify_job_report(struct report *r, const struct verify_job *job, enum sw_verdict verdict,
		       const char *reason, int severity, const struct sw_entry *expected,
		       const char *path);

/*
 * Hash the open regular file @fd now, in the caller's thread, and decide it
 * against job->bl under @path (the file's real path in the job's root); its
 * identity must stay job->ev.file while it is read. NULL with @res, @actual
 * (sha256, size; entry_clear() it) and @meta filled, else why it could not be
 * verified (an unverified verdict). For permission backends (daemon/enforce.c).
 */
struct content_hash;
struct sw_entry;
struct sw_file_meta;
struct sw_verdict_result;
const char *verifier_check_fd(const struct verify_job *job, int fd, const char *path,
			      struct content_hash *ch, struct sw_verdict_result *res,
			      struct sw_entry *actual, struct sw_file_meta *meta);

/* a worker on one job this long is stalled (/healthz says so) */
#define VERIFIER_STALL_SEC 60

struct verifier_stats {
	uint64_t queued, done, queue_full, bytes_hashed, files_hashed;
	uint64_t too_large; /* files over hash_max_size, decided without hashing */
	uint64_t unhashed; /* decided without hashing because the queue had no room */
	uint64_t stalled, oldest_busy_sec; /* workers on one job >= VERIFIER_STALL_SEC; longest */
	uint64_t depth, capacity; /* jobs waiting now; queue_size */
};
void verifier_stats(struct verifier *v, struct verifier_stats *out);
/* The hash size cap (config reload); takes effect for the next job. */
void verifier_set_hash_max_size(struct verifier *v, uint64_t max);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Path operations in containers from the syscall tracepoints (part of the
 * exec_bpf object, see exec.bpf.c): unlink, unlinkat, rename, renameat,
 * renameat2, truncate; and the same operations and write opens submitted
 * through io_uring, which no syscall tracepoint sees. No file identity: the
 * daemon looks the path up in the baseline (tamper). The LSM flavour:
 * lsm_path.bpf.c (its file_open and path hooks see io_uring's operations too).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"
#include "pending.bpf.h"

static __always_inline void path_enter(__u32 kind, long dfd, const char *upath, long dfd2,
				       const char *upath2)
{
	struct path_op *op;

	if (!in_container())
		return;
	op = scratch();
	if (!op)
		return;
	op->kind = kind;
	op->flags = 0;
	op->fd = (__s32)dfd;
	op->fd2 = (__s32)dfd2;
	if (bpf_probe_read_user_str(op->path, sizeof(op->path), upath) < 0)
		op->path[0] = '\0';
	op->path2[0] = '\0';
	if (upath2 && bpf_probe_read_user_str(op->path2, sizeof(op->path2), upath2) < 0)
		op->path2[0] = '\0';
	pending_store(op);
}

/*
 * The directory a relative path is relative to (the cwd for AT_FDCWD, else
 * the directory of @dirfd), walked now: the process may be gone before the
 * daemon could read /proc/PID/cwd (SW_EF_DIR_DENTRY).
 */
static __always_inline void dir_walk(struct sw_exec_event *e, struct task_struct *task, __s32 dirfd)
{
	struct dentry *d = NULL;
	struct vfsmount *mnt = NULL;

	if (dirfd == -100 /* AT_FDCWD */) {
		d = BPF_CORE_READ(task, fs, pwd.dentry);
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *dir = fd_file(task, dirfd);

		if (dir) {
			d = BPF_CORE_READ(dir, f_path.dentry);
			mnt = BPF_CORE_READ(dir, f_path.mnt);
		}
	}
	e->flags |= SW_EF_DIR_DENTRY | walk_dentries(e->dir_dentries, d, mnt, task);
}

/*
 * A path event of @kind from the current task, its file identity empty and
 * no old path yet; NULL when the ring buffer is full. Fill e->filename, then
 * path_event_submit().
 */
static __always_inline struct sw_exec_event *path_event_start(struct task_struct *task, __u32 kind,
							      __u32 flags)
{
	struct sw_exec_event *e = event_reserve(kind);

	if (!e)
		return NULL;
	e->flags = SW_EF_NO_FILE_ID | flags;
	__builtin_memset(&e->file, 0, sizeof(e->file));
	fill_task(e, task);
	e->old_path[0] = '\0';
	return e;
}

/*
 * Send @e, with the walk of @dirfd's directory when its path is relative
 * (the old path's walk of a split rename is left out where the verifier
 * wants small programs).
 */
static __always_inline void path_event_submit(struct sw_exec_event *e, struct task_struct *task,
					      __s32 dirfd)
{
	e->fd = dirfd;
	if (e->filename[0] != '/' && (!(e->flags & SW_EF_RENAME_OLD) || deep_walks))
		dir_walk(e, task, dirfd);
	event_submit(e);
}

/*
 * One event of @op: its path (a rename's new path), or with @old a
 * rename's old path (SW_EF_RENAME_OLD). A relative path comes with the walk
 * of its directory; a rename whose paths are both absolute is one event
 * with both (@both), any other rename two, one path each, so that each
 * relative path has its own walk (they may be relative to two dirfds).
 */
static __always_inline void path_event(struct task_struct *task, const struct path_op *op, bool old,
				       bool both)
{
	struct sw_exec_event *e = path_event_start(task, op->kind, old ? SW_EF_RENAME_OLD : 0);

	if (!e)
		return;
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), old ? op->path2 : op->path))
		e->filename[0] = '\0';
	e->fd2 = old ? -1 : op->fd2;
	if (e->filename[0] == '/' && both &&
	    bpf_probe_read_kernel(e->old_path, sizeof(e->old_path), op->path2))
		e->old_path[0] = '\0';
	path_event_submit(e, task, old ? op->fd2 : op->fd);
}

static __always_inline void path_exit(long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct path_op *op;
	bool both;

	op = bpf_map_lookup_elem(&path_pending, &id);
	if (!op)
		return;
	if (ret)
		goto out;
	if (op->kind != SW_EVENT_RENAME) {
		path_event(task, op, false, false);
		goto out;
	}
	both = op->path[0] == '/' && op->path2[0] == '/';
	path_event(task, op, false, both);
	if (!both)
		path_event(task, op, true, false);
out:
	bpf_map_delete_elem(&path_pending, &id);
}

SEC("tp/syscalls/sys_enter_unlink")
int sw_unlink_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_UNLINK, -100, (const char *)ctx->args[0], -1, NULL);
	return 0;
}

SEC("tp/syscalls/sys_enter_unlinkat")
int sw_unlinkat_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_UNLINK, (int)ctx->args[0], (const char *)ctx->args[1], -1, NULL);
	return 0;
}

SEC("tp/syscalls/sys_enter_rename")
int sw_rename_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_RENAME, -100, (const char *)ctx->args[1], -100,
		   (const char *)ctx->args[0]);
	return 0;
}

SEC("tp/syscalls/sys_enter_renameat")
int sw_renameat_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_RENAME, (int)ctx->args[2], (const char *)ctx->args[3],
		   (int)ctx->args[0], (const char *)ctx->args[1]);
	return 0;
}

SEC("tp/syscalls/sys_enter_renameat2")
int sw_renameat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_RENAME, (int)ctx->args[2], (const char *)ctx->args[3],
		   (int)ctx->args[0], (const char *)ctx->args[1]);
	return 0;
}

SEC("tp/syscalls/sys_enter_truncate")
int sw_truncate_enter(struct trace_event_raw_sys_enter *ctx)
{
	path_enter(SW_EVENT_TRUNCATE, -100, (const char *)ctx->args[0], -1, NULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_unlink")
int sw_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_exit_unlinkat")
int sw_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_exit_rename")
int sw_rename_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_exit_renameat")
int sw_renameat_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_exit_renameat2")
int sw_renameat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_exit_truncate")
int sw_truncate_exit(struct trace_event_raw_sys_exit *ctx)
{
	path_exit(ctx->ret);
	return 0;
}

/* io_uring opcodes (uapi, stable) */
#define SW_IORING_OP_OPENAT 18
#define SW_IORING_OP_OPENAT2 28
#define SW_IORING_OP_RENAMEAT 35
#define SW_IORING_OP_UNLINKAT 36
#define SW_O_WRITES (01 /* O_WRONLY */ | 02 /* O_RDWR */ | 0100 /* O_CREAT */ | 01000 /* O_TRUNC */)

/* One event of an io_uring request: @name relative to @dfd, as given. */
static __always_inline void iouring_event(struct task_struct *task, __u32 kind, __u32 flags,
					  int dfd, struct filename *name, __u32 open_flags)
{
	struct sw_exec_event *e = path_event_start(task, kind, SW_EF_IOURING | flags);
	const char *s = name ? BPF_CORE_READ(name, name) : NULL;

	if (!e)
		return;
	if (!s || bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), s) < 0)
		e->filename[0] = '\0';
	e->fd2 = -1;
	e->open_flags = open_flags;
	/* (io threads share the submitter's fs and files: its cwd and dirfds) */
	path_event_submit(e, task, dfd);
}

/*
 * A request submitted to an io_uring: write opens, unlinks and renames by
 * container processes, read from the prepared request (its filename is
 * already copied in). Types of the kernel's io_uring internals are checked
 * at load (CO-RE); a kernel without them sends nothing.
 */
SEC("tp/io_uring/io_uring_submit_req")
int sw_iouring_submit(struct trace_event_raw_io_uring_submit_req *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct io_kiocb *req = ctx->req;
	__u8 op = ctx->opcode;
	void *cmd;

	if (op != SW_IORING_OP_OPENAT && op != SW_IORING_OP_OPENAT2 &&
	    op != SW_IORING_OP_RENAMEAT && op != SW_IORING_OP_UNLINKAT)
		return 0;
	if (!req || !in_container())
		return 0;
	cmd = &req->cmd;
	if ((op == SW_IORING_OP_OPENAT || op == SW_IORING_OP_OPENAT2) &&
	    bpf_core_type_exists(struct io_open)) {
		struct io_open *o = cmd;
		__u64 how = BPF_CORE_READ(o, how.flags);

		if (how & SW_O_WRITES)
			iouring_event(task, SW_EVENT_OPEN_WRITE, 0, BPF_CORE_READ(o, dfd),
				      BPF_CORE_READ(o, filename), (__u32)how);
	} else if (op == SW_IORING_OP_UNLINKAT && bpf_core_type_exists(struct io_unlink)) {
		struct io_unlink *u = cmd;

		iouring_event(task, SW_EVENT_UNLINK, 0, BPF_CORE_READ(u, dfd),
			      BPF_CORE_READ(u, filename), 0);
	} else if (op == SW_IORING_OP_RENAMEAT && bpf_core_type_exists(struct io_rename)) {
		struct io_rename *r = cmd;

		iouring_event(task, SW_EVENT_RENAME, 0, BPF_CORE_READ(r, new_dfd),
			      BPF_CORE_READ(r, newpath), 0);
		iouring_event(task, SW_EVENT_RENAME, SW_EF_RENAME_OLD, BPF_CORE_READ(r, old_dfd),
			      BPF_CORE_READ(r, oldpath), 0);
	}
	return 0;
}

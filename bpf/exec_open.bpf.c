// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opens from the syscall tracepoints (part of the exec_bpf object, see
 * exec.bpf.c): open, openat, openat2, creat. Write-opens invalidate the
 * in-kernel cache (reported in containers and for ld.so.preload), read-opens
 * by interpreters are scripts (script_open), read-opens under a verified
 * prefix are read_open; ftruncate invalidates the cache. The decisions are
 * the LSM hook's (lsm_open.bpf.c): doors.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"
#include "pending.bpf.h"

static __always_inline void open_enter(long dfd, const char *upath, __u64 flags)
{
	__u32 kind = open_kind((flags & O_ACCMODE) || (flags & (O_TRUNC | O_CREAT)));
	struct path_op *op;

	if (!kind)
		return;
	op = scratch();
	if (!op)
		return;
	op->kind = kind;
	op->flags = (__u32)flags;
	op->fd = (__s32)dfd;
	op->fd2 = -1;
	if (bpf_probe_read_user_str(op->path, sizeof(op->path), upath) < 0)
		op->path[0] = '\0';
	if (kind == SW_EVENT_READ_OPEN && !read_verified(op->path))
		return;
	op->path2[0] = '\0';
	pending_store(op);
}

static __always_inline void open_exit(long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct sw_exec_event *e;
	struct path_op *op;
	struct file *file;
	__u32 node = 0, fns = 0;

	op = bpf_map_lookup_elem(&path_pending, &id);
	if (!op)
		return;
	if (ret < 0)
		goto out;
	file = fd_file(task, ret);
	if (!file)
		goto out;
	/* a write-open: the fd exists only now, no write through it can have landed yet */
	if (op->kind == SW_EVENT_OPEN_WRITE ? !open_write_reported(file, &node, &fns) :
					      !open_read_reported(file, task_scope(task)))
		goto out;
	e = event_reserve(op->kind);
	if (!e)
		goto out;
	e->flags = node;
	fill_file(e, file);
	fill_task(e, task);
	e->file_mntns = fns;
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	/*
	 * where the file really is: the name given may run through symlinks,
	 * "..", a dirfd (without the deep walks the daemon resolves the name in
	 * the process's root instead)
	 */
	if (deep_walks)
		e->flags |= SW_EF_OPEN_DENTRY |
			    walk_dentries(e->open_dentries, BPF_CORE_READ(file, f_path.dentry),
					  BPF_CORE_READ(file, f_path.mnt), task);
	e->fd = op->fd;
	e->fd2 = (__s32)ret;
	e->open_flags = op->flags;
	event_submit(e);
out:
	bpf_map_delete_elem(&path_pending, &id);
}

SEC("tp/syscalls/sys_enter_openat")
int sw_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	open_enter((int)ctx->args[0], (const char *)ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int sw_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	open_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_open")
int sw_open_enter(struct trace_event_raw_sys_enter *ctx)
{
	open_enter(-100 /* AT_FDCWD */, (const char *)ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tp/syscalls/sys_exit_open")
int sw_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	open_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_creat")
int sw_creat_enter(struct trace_event_raw_sys_enter *ctx)
{
	open_enter(-100, (const char *)ctx->args[0], O_CREAT | O_TRUNC | 1 /* O_WRONLY */);
	return 0;
}

SEC("tp/syscalls/sys_exit_creat")
int sw_creat_exit(struct trace_event_raw_sys_exit *ctx)
{
	open_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat2")
int sw_openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	if (bpf_probe_read_user(&how, sizeof(how.flags), (void *)ctx->args[2]))
		return 0;
	open_enter((int)ctx->args[0], (const char *)ctx->args[1], how.flags);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat2")
int sw_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	open_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_ftruncate")
int sw_ftruncate_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct file *file =
		fd_file((struct task_struct *)bpf_get_current_task(), (int)ctx->args[0]);

	if (file)
		kcache_invalidate(file);
	return 0;
}

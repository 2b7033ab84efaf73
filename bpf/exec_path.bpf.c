// SPDX-License-Identifier: GPL-2.0-only
/*
 * Path operations in containers from the syscall tracepoints (part of the
 * exec_bpf object, see exec.bpf.c): unlink, unlinkat, rename, renameat,
 * renameat2, truncate. No file identity: the daemon looks the path up in the
 * baseline (tamper). The LSM flavour: lsm_path.bpf.c.
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

static __always_inline void path_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sw_exec_event *e;
	struct path_op *op;

	op = bpf_map_lookup_elem(&path_pending, &id);
	if (!op)
		return;
	if (ret)
		goto out;
	e = event_reserve(op->kind);
	if (!e)
		goto out;
	e->flags = SW_EF_NO_FILE_ID;
	__builtin_memset(&e->file, 0, sizeof(e->file));
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	if (bpf_probe_read_kernel(e->old_path, sizeof(e->old_path), op->path2))
		e->old_path[0] = '\0';
	e->fd = op->fd;
	e->fd2 = op->fd2;
	event_submit(e);
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Executable mappings from the syscall tracepoints (part of the exec_bpf
 * object, see exec.bpf.c): mmap() with PROT_EXEC of a file, and
 * mprotect(PROT_EXEC) onto a file mapping that was not executable.
 *   sw_mmap_enter/exit  syscalls/sys_{enter,exit}_mmap: the file is taken from
 *                       the fd at enter, the event sent at exit with the
 *                       address, so /proc/PID/map_files works
 *   sw_mprotect_enter   syscalls/sys_enter_mprotect (bpf_find_vma, 5.17+)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"

/* mmap_pending: thread (pid_tgid) → the file and length seen at sys_enter_mmap. */
struct mmap_pending {
	struct file *file;
	__u64 len;
	__s32 fd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct mmap_pending);
} mmap_pending SEC(".maps");

SEC("tp/syscalls/sys_enter_mmap")
int sw_mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long prot = ctx->args[2], flags = ctx->args[3];
	long fd = (int)ctx->args[4];
	__u64 id = bpf_get_current_pid_tgid();
	struct mmap_pending p = {};

	if (!(prot & PROT_EXEC) || (flags & MAP_ANONYMOUS) || fd < 0)
		return 0;
	p.file = fd_file(task, fd);
	if (!p.file)
		return 0;
	p.len = (ctx->args[1] + 4095) & ~4095UL;
	p.fd = (__s32)fd;
	if (bpf_map_update_elem(&mmap_pending, &id, &p, BPF_ANY))
		count(SW_CNT_PENDING_FULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_mmap")
int sw_mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;
	struct mmap_pending *pp, p;

	pp = bpf_map_lookup_elem(&mmap_pending, &id);
	if (!pp)
		return 0;
	p = *pp;
	bpf_map_delete_elem(&mmap_pending, &id);
	if ((unsigned long)ctx->ret >= (unsigned long)-MAX_ERRNO)
		return 0;
	/* the new vma holds a reference on p.file now */
	if (kcache_ok(p.file, task_scope(task)))
		return 0;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return 0;
	fill_file(e, p.file);
	fill_task(e, task);
	read_dentry_path(e, task, p.file);
	e->interp[0] = '\0';
	e->addr = (unsigned long)ctx->ret;
	e->len = p.len;
	e->fd = p.fd;
	event_submit(e);
	return 0;
}

struct vma_probe {
	struct file *file;
	__u64 start, end;
};

/* bpf_find_vma callback: a file mapping that is not executable yet */
static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_probe *v = data;
	unsigned long vm_flags = BPF_CORE_READ(vma, vm_flags);

	if (vm_flags & VM_EXEC)
		return 0;
	v->file = BPF_CORE_READ(vma, vm_file);
	v->start = BPF_CORE_READ(vma, vm_start);
	v->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/*
 * mprotect(PROT_EXEC) of a file mapping: reported at enter, before the pages
 * become executable; the vma (found with bpf_find_vma) gives the file and the
 * map_files range. Only the vma holding @start is looked at.
 */
SEC("tp/syscalls/sys_enter_mprotect")
int sw_mprotect_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* bpf_find_vma wants a trusted task pointer */
	struct task_struct *task = bpf_get_current_task_btf();
	struct vma_probe v = {};
	struct sw_exec_event *e;

	if (!(ctx->args[2] & PROT_EXEC))
		return 0;
	if (bpf_find_vma(task, ctx->args[0], vma_cb, &v, 0) || !v.file)
		return 0;
	if (kcache_ok(v.file, task_scope(task)))
		return 0;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return 0;
	e->flags = SW_EF_MPROTECT;
	fill_file(e, v.file);
	fill_task(e, task);
	read_dentry_path(e, task, v.file);
	e->interp[0] = '\0';
	e->addr = v.start;
	e->len = v.end - v.start;
	event_submit(e);
	return 0;
}

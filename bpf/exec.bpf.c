// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec events (DESIGN.md §4, §7): one struct sw_exec_event (include/events.h)
 * per successful execve/execveat, built in place in the ring buffer.
 *
 * Two programs; the loader (userspace/kernel/bpf_loader.c) loads exactly one:
 *   sw_exec_btf  tp_btf/sched_process_exec   needs BTF-typed tracepoints (5.5+);
 *                gets struct linux_binprm: the file run, filename, interp
 *   sw_exec_tp   tp/sched/sched_process_exec  any kernel with the tracepoint;
 *                the file is current->mm->exe_file, no interp (SW_EF_FALLBACK_TP)
 *
 * File identity. The daemon opens /proc/PID/exe and compares fstat() with the
 * identity sent here, so it must be what stat() reports. Checked on linux 6.18
 * (podman + runc, overlay with all layers on one ext4):
 *   - host ext4, tmpfs (/dev/shm), memfd: the executed file's f_inode is the
 *     one stat() reports: st_dev == new_encode_dev(i_sb->s_dev), st_ino, size,
 *     ctime, nlink (memfd: nlink 0, dev 0:1, on the internal shm mount).
 *   - overlayfs: bprm->file (== mm->exe_file) is the overlay file and f_inode
 *     (== d_inode(f_path.dentry)) the overlay inode. Its s_dev (0:NN), its
 *     i_ino (the real inode's number, or the lower "origin" number after a
 *     copy-up), its size and ctime match stat(). The real inode
 *     (__upperdentry / lowerstack / ovl_file->realfile) has the ext4 s_dev and,
 *     after a copy-up, another i_ino: not what userspace sees. So the overlay
 *     inode it is. (Overlay keeps a copy of the real inode's ctime; it only
 *     differs if a layer is modified behind overlay's back.)
 *   - the ext4 inode's i_ctime_nsec carries I_CTIME_QUERIED (bit 31) on 6.13+:
 *     masked (core_fixes.bpf.h).
 * Not checked here: btrfs reports per-subvolume anonymous st_dev values that
 * differ from i_sb->s_dev.
 *
 * Beyond exec (issue 4), same struct, other event types, all tracepoints:
 *   sw_mmap_enter/exit     syscalls/sys_{enter,exit}_mmap: PROT_EXEC mapping of a
 *                          file (the file is taken from the fd at enter, the event
 *                          sent at exit with the address, so /proc/PID/map_files works)
 *   sw_mprotect_enter      syscalls/sys_enter_mprotect: PROT_EXEC onto a file-backed
 *                          mapping that was not executable (bpf_find_vma, 5.17+)
 *   sw_open*_enter/exit    open, openat, openat2, creat: write-opens (invalidate the
 *                          in-kernel cache; event in containers and for ld.so.preload)
 *                          and read-opens by interpreters (script_open)
 *   sw_{unlink,rename,truncate}*  path operations in containers (no file identity)
 *   sw_ftruncate_enter     invalidates the in-kernel cache
 * The in-kernel verdict cache (map kcache) lets exec, mmap_exec and script_open
 * skip the ring buffer for files the daemon verified ok in the same scope.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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

/*
 * path_pending: thread → what sys_enter_{open*,unlink*,rename*,truncate} saw,
 * for the matching sys_exit (which knows whether it worked, and the new fd).
 * Built in path_scratch (per CPU: too big for the stack).
 */
struct path_op {
	__u32 kind; /* enum sw_event_type */
	__u32 flags; /* open flags */
	__s32 fd; /* dirfd (new dirfd for rename) */
	__s32 fd2; /* old dirfd for rename */
	char path[SW_FILENAME_LEN]; /* the path (new path for rename) as passed */
	char path2[SW_FILENAME_LEN]; /* the old path for rename */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct path_op);
} path_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_op);
} path_scratch SEC(".maps");

/* Where the executed @file is, for the daemon when the process is gone: SW_EF_EXE_DENTRY. */
static __always_inline void exe_dentry_path(struct sw_exec_event *e, struct task_struct *task,
					    struct file *file)
{
	if (!file) {
		e->interp[0] = '\0';
		return;
	}
	e->flags |= SW_EF_EXE_DENTRY | walk_dentries(e->interp, BPF_CORE_READ(file, f_path.dentry),
						     BPF_CORE_READ(file, f_path.mnt), task);
}

/*
 * The tracepoint fires in exec_binprm() once the new image is committed. For a
 * script bprm->file is the interpreter (binfmt_script swapped it in),
 * bprm->filename the script and bprm->interp the interpreter path; both point
 * to the same string otherwise.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sw_exec_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	const char *filename, *interp;
	struct sw_exec_event *e;
	struct file *file;

	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	file = BPF_CORE_READ(bprm, file);
	/* a #! script must reach the daemon: the script itself is verified there */
	if ((!interp || interp == filename) && kcache_ok(file, task_scope(task)))
		return 0;
	e = event_reserve(SW_EVENT_EXEC);
	if (!e)
		return 0;
	fill_file(e, file);
	fill_task(e, task);
	read_path(e->filename, filename, &e->flags);
	if (interp && interp != filename) {
		e->flags |= SW_EF_SCRIPT;
		read_path(e->interp, interp, &e->flags);
	} else {
		exe_dentry_path(e, task, file);
	}
	sw_debug("exec tgid=%u file=%s flags=%x", e->tgid, e->filename, e->flags);
	event_submit(e);
	return 0;
}

/*
 * Fallback without BTF-typed tracepoints: the raw tracepoint record has the
 * filename (bprm->filename) and pids; the file is the new mm's exe_file, which
 * begin_new_exec() already set to bprm->file. No interp: SW_EF_SCRIPT is never
 * set here.
 */
SEC("tp/sched/sched_process_exec")
int sw_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned int loc = ctx->__data_loc_filename;
	struct sw_exec_event *e;

	e = event_reserve(SW_EVENT_EXEC);
	if (!e)
		return 0;
	e->flags = SW_EF_FALLBACK_TP;
	fill_file(e, BPF_CORE_READ(task, mm, exe_file));
	/* no kcache here: without interp a #! script cannot be told from its interpreter */
	fill_task(e, task);
	/* __data_loc: offset in the low 16 bits, length in the high 16 */
	read_path(e->filename, (const char *)ctx + (loc & 0xffff), &e->flags);
	exe_dentry_path(e, task, BPF_CORE_READ(task, mm, exe_file));
	sw_debug("exec(tp) tgid=%u file=%s flags=%x", e->tgid, e->filename, e->flags);
	event_submit(e);
	return 0;
}

/* ---- executable mappings ------------------------------------------------ */

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

/* ---- opens: writes to image files, scripts read by interpreters ---------- */

static __always_inline struct path_op *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&path_scratch, &zero);
}

static __always_inline void pending_store(struct path_op *op)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&path_pending, &id, op, BPF_ANY))
		count(SW_CNT_PENDING_FULL);
}

static __always_inline void open_enter(long dfd, const char *upath, __u64 flags)
{
	bool write = (flags & O_ACCMODE) || (flags & (O_TRUNC | O_CREAT));
	struct path_op *op;
	__u32 kind;

	if (write)
		kind = SW_EVENT_OPEN_WRITE; /* everywhere: the cache must learn of it */
	else if (!host_scripts && !in_container())
		return;
	else if (is_interpreter())
		kind = SW_EVENT_SCRIPT_OPEN;
	else if (read_prefixes[0].len)
		kind = SW_EVENT_READ_OPEN; /* decided below, once the path is read */
	else
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
	__u32 node = 0;

	op = bpf_map_lookup_elem(&path_pending, &id);
	if (!op)
		return;
	if (ret < 0)
		goto out;
	file = fd_file(task, ret);
	if (!file)
		goto out;
	if (op->kind == SW_EVENT_OPEN_WRITE) {
		/* the fd exists only now: no write through it can have landed yet */
		kcache_invalidate(file);
		if (!regular_data_file(file))
			goto out;
		if (!in_container() && !is_ld_so_preload(file)) {
			/* on the node: only writes into a runtime's image layers */
			if (!in_layer_store(file))
				goto out;
			node = SW_EF_NODE_STORAGE;
		}
	} else if (!regular_data_file(file)) {
		goto out;
	}
	if (op->kind != SW_EVENT_OPEN_WRITE && kcache_ok(file, task_scope(task)))
		goto out;
	e = event_reserve(op->kind);
	if (!e)
		goto out;
	e->flags = node;
	fill_file(e, file);
	fill_task(e, task);
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	/* where the file really is: the name given may run through symlinks, "..", a dirfd */
	e->flags |= SW_EF_OPEN_DENTRY | walk_dentries(e->interp, BPF_CORE_READ(file, f_path.dentry),
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

/* ---- path operations in containers: unlink, rename, truncate ----------- */

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
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
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
	fill_task(e, task);
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	if (op->kind != SW_EVENT_RENAME && e->filename[0] != '/') {
		/* relative: where it is relative to, walked now (the cwd may be gone later) */
		struct dentry *d = NULL;
		struct vfsmount *mnt = NULL;

		if (op->fd == -100 /* AT_FDCWD */) {
			d = BPF_CORE_READ(task, fs, pwd.dentry);
			mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		} else {
			struct file *dir = fd_file(task, op->fd);

			if (dir) {
				d = BPF_CORE_READ(dir, f_path.dentry);
				mnt = BPF_CORE_READ(dir, f_path.mnt);
			}
		}
		e->flags |= SW_EF_DIR_DENTRY | walk_dentries(e->interp, d, mnt, task);
	} else if (bpf_probe_read_kernel(e->interp, sizeof(e->interp), op->path2)) {
		e->interp[0] = '\0';
	}
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec events (docs/architecture.md, "Kernel side"): one struct sw_exec_event
 * (include/events.h) per successful execve/execveat, built in place in the
 * ring buffer.
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
 * The tracepoint object (skeleton exec_bpf) is linked from this file, which
 * defines the maps and configuration all its files share (SW_OBJECT_OWNER),
 * and one file per hook family beyond exec, same struct, other event types:
 *   exec_mmap.bpf.c   sw_mmap_enter/exit, sw_mprotect_enter: PROT_EXEC mappings
 *   exec_open.bpf.c   sw_open*_enter/exit, sw_ftruncate_enter: write-opens,
 *                     script and read opens
 *   exec_path.bpf.c   sw_{unlink,rename,truncate}*: path operations in containers
 * The in-kernel verdict cache (map kcache) lets exec, mmap_exec and script_open
 * skip the ring buffer for files the daemon verified ok in the same scope.
 */
#define SW_OBJECT_OWNER
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"
#include "pending.bpf.h"
#include "enforce.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Where the executed @file is, for the daemon when the process is gone: SW_EF_EXE_DENTRY. */
static __always_inline void exe_dentry_path(struct sw_exec_event *e, struct task_struct *task,
					    struct file *file)
{
	if (!file) {
		e->exe_dentries[0] = '\0';
		return;
	}
	e->flags |= SW_EF_EXE_DENTRY |
		    walk_dentries(e->exe_dentries, BPF_CORE_READ(file, f_path.dentry),
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
	enforce_kill_memfd(e, task);
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
	enforce_kill_memfd(e, task);
	sw_debug("exec(tp) tgid=%u file=%s flags=%x", e->tgid, e->filename, e->flags);
	event_submit(e);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events from BPF LSM hooks (docs/architecture.md, "Kernel side"), for kernels that run BPF LSM
 * programs: CONFIG_BPF_LSM=y *and* "bpf" in the active LSM list (lsm= on the
 * command line). Without the latter the programs load and attach and are
 * never called: the loader checks /sys/kernel/security/lsm first.
 *
 * Monitoring programs return the verdict they were handed (0, or what an
 * earlier BPF LSM program decided). Prevention (enforce.bpf.h, off unless
 * the daemon switches it on) denies in lsm_enforce.bpf.c's
 * bprm_check_security and in lsm_mmap.bpf.c's mmap_file and file_mprotect.
 *
 * The LSM object (skeleton lsm_bpf) is linked from this file, which defines
 * the maps and configuration all its files share (SW_OBJECT_OWNER), and one
 * file per hook family: lsm_mmap.bpf.c, lsm_open.bpf.c, lsm_path.bpf.c.
 *
 *   sw_lsm_exec      lsm/bprm_committed_creds  SW_EVENT_EXEC
 *   sw_lsm_enforce_exec lsm/bprm_check_security SW_EVENT_EXEC with SW_EF_DENIED (prevention:
 *                                              an exec denied, EPERM)
 *   sw_lsm_mmap      lsm/mmap_file             SW_EVENT_MMAP_EXEC (PROT_EXEC file maps)
 *   sw_lsm_mprotect  lsm/file_mprotect         SW_EVENT_MMAP_EXEC (PROT_EXEC onto a
 *                                              file mapping that was not executable)
 *   sw_lsm_open      lsm/file_open             SW_EVENT_OPEN_WRITE (write opens: the
 *                                              cache entry goes; event in containers
 *                                              and for ld.so.preload), SW_EVENT_SCRIPT_OPEN
 *                                              (read-opens by interpreters),
 *                                              SW_EVENT_READ_OPEN (verified prefixes)
 *   sw_lsm_unlink    lsm/path_unlink, lsm/path_rmdir  SW_EVENT_UNLINK (containers)
 *   sw_lsm_rename    lsm/path_rename           SW_EVENT_RENAME (containers)
 *   sw_lsm_truncate  lsm/path_truncate         SW_EVENT_TRUNCATE (containers; the cache
 *                                              entry goes)
 *   sw_lsm_ftruncate lsm/file_truncate (6.2+)  the cache entry goes (ftruncate; before
 *                                              6.2 ftruncate goes through path_truncate)
 *
 * These are the same doors as the syscall tracepoints (exec_*.bpf.c), decided
 * the same way (bpf/doors.bpf.h), with two differences: the hooks run inside
 * the operation, on the very file the kernel resolved (no user-memory path,
 * no dirfd, no relative path the daemon must resolve later), and exec,
 * mmap_file and file_open get the real path from bpf_d_path(). A hook runs
 * before the operation is final, so an event may describe an attempt that
 * failed afterwards (a denied open, say): for tamper alerts that is the
 * conservative side. The path hooks need CONFIG_SECURITY_PATH (Debian: y);
 * the loader leaves out the hooks this kernel's BTF lacks.
 *
 * Why bprm_committed_creds and not bprm_check_security for execs: the check
 * hook runs before the point of no return, once per binfmt pass (for a script
 * first with bprm->file the script, then again with the interpreter), the
 * exec may still fail, and /proc/PID/exe still shows the old image — the
 * daemon, which opens /proc/PID/exe for the exact file, would hash the caller.
 * bprm_committed_creds runs in begin_new_exec() after the new mm (and its
 * exe_file == bprm->file) is installed: the same moment and the same bprm
 * fields as tp_btf/sched_process_exec, so the daemon sees identical semantics
 * whichever mode the loader picked.
 *
 * mmap_file and file_open get their path from bpf_d_path(): allowed in LSM
 * programs on the hooks the kernel lists as sleepable (kernel/bpf/bpf_lsm.c,
 * bpf_lsm_is_sleepable_hook(), checked by bpf_d_path_allowed()); both are on
 * that list in 6.1. The path is relative to the task's root (a chrooted or
 * containerised task sees its own "/"). When d_path fails (a path longer than
 * the buffer: -ENAMETOOLONG), the dentry walk's names are sent instead
 * (SW_EF_PATH_DENTRY, with SW_EF_FILENAME_TRUNC when they did not fit either).
 *
 * file_mprotect and the path hooks are not on that list: their paths come
 * from the dentry walk (doors.bpf.h), leaf first, like the tracepoints'.
 */
#define SW_OBJECT_OWNER
/*
 * The LSM object leaves out what made Debian 6.1's verifier refuse its
 * programs (E2BIG): the overlay real-inode lookup and the layer-store walk
 * (event.bpf.h, doors.bpf.h).
 */
#define SW_LSM_OBJECT
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"
#include "lsm.bpf.h"
#include "enforce.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Overwrite the name of the executed file with its d_path (see sw_lsm_exec). */
static __always_inline void exec_real_path(struct sw_exec_event *e, struct linux_binprm *bprm)
{
	bool script = e->flags & SW_EF_SCRIPT;
	char *dst = script ? e->interp : e->filename;
	struct file *file = bprm->file;
	long n;

	if (!file)
		return;
	/* f_path is const in newer vmlinux.h; the helper only reads it */
	n = bpf_d_path((struct path *)&file->f_path, dst, SW_FILENAME_LEN);
	if (n > 0) {
		e->flags |= SW_EF_DPATH;
		return;
	}
	/* the buffer may hold part of a path now: the given name again */
	count(SW_CNT_READ_FAIL);
	read_path(dst, script ? BPF_CORE_READ(bprm, interp) : BPF_CORE_READ(bprm, filename),
		  &e->flags);
}

/*
 * After the point of no return (see the top). bprm->file is what runs: the
 * interpreter for a script (binfmt_script swapped it in), bprm->filename the
 * path given to execve, bprm->interp the interpreter's path.
 *
 * Then the field that names the file run (interp for a script, else
 * filename) is overwritten with bpf_d_path() of bprm->file: the absolute
 * path of the very file, whatever was given ("/proc/self/exe", "./x", a
 * symlink), in the task's root. The daemon falls back to that name when the
 * process is gone before it opens /proc/PID/exe (busybox re-executing itself
 * through /proc/self/exe, for one). bprm_committed_creds is on the kernel's
 * sleepable-hook list, so bpf_d_path() is allowed; bprm->file is read
 * directly (not with a probe read) so that the verifier keeps it a
 * BTF-typed pointer, which the helper requires.
 */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(sw_lsm_exec, struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const char *filename, *interp;
	struct sw_exec_event *e;

	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	/* a #! script must reach the daemon: the script itself is verified there */
	if ((!interp || interp == filename) && kcache_ok(bprm->file, task_scope(task)))
		return 0;
	e = event_reserve(SW_EVENT_EXEC);
	if (!e)
		return 0;
	e->flags = SW_EF_LSM;
	fill_task(e, task);
	fill_file(e, BPF_CORE_READ(bprm, file));
	read_path(e->filename, filename, &e->flags);
	if (interp && interp != filename) {
		e->flags |= SW_EF_SCRIPT;
		read_path(e->interp, interp, &e->flags);
	} else {
		e->interp[0] = '\0';
	}
	exec_real_path(e, bprm);
	sw_debug("lsm exec tgid=%u file=%s flags=%x", e->tgid, e->filename, e->flags);
	event_submit(e);
	return 0;
}

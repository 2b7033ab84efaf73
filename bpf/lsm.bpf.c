// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events from BPF LSM hooks (DESIGN.md §7), for kernels that run BPF LSM
 * programs: CONFIG_BPF_LSM=y *and* "bpf" in the active LSM list (lsm= on the
 * command line). Without the latter the programs load and attach and are
 * never called: the loader checks /sys/kernel/security/lsm first.
 *
 * Monitoring only: every program returns the verdict it was handed (0, or
 * what an earlier BPF LSM program decided), never a denial of its own.
 *
 *   sw_lsm_exec   lsm/bprm_committed_creds  SW_EVENT_EXEC
 *   sw_lsm_mmap   lsm/mmap_file             SW_EVENT_MMAP_EXEC (PROT_EXEC file maps)
 *   sw_lsm_open   lsm/file_open             SW_EVENT_OPEN_WRITE (write opens of
 *                                           regular files)
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
 * the buffer: -ENAMETOOLONG), the dentry's own name is sent without
 * SW_EF_DPATH.
 *
 * path_rename/path_unlink (CONFIG_SECURITY_PATH=y in Debian's 6.1) are not
 * hooked: include/events.h has no event type for them yet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"

/* include/uapi/asm-generic/mman-common.h, include/linux/fs.h, include/uapi/linux/stat.h */
#define PROT_EXEC 0x4
#define FMODE_WRITE 0x2
#define S_IFMT 00170000
#define S_IFREG 0100000

char LICENSE[] SEC("license") = "GPL";

/* bpf_d_path() of @file into e->filename; else the dentry's name. */
static __always_inline void read_file_path(struct sw_exec_event *e, struct file *file)
{
	const unsigned char *name;
	long n;

	/* f_path is const in newer vmlinux.h; the helper only reads it */
	n = bpf_d_path((struct path *)&file->f_path, e->filename, sizeof(e->filename));
	if (n > 0) {
		e->flags |= SW_EF_DPATH;
		return;
	}
	count(SW_CNT_READ_FAIL);
	e->flags |= SW_EF_FILENAME_TRUNC;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (!name || bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), name) < 0)
		e->filename[0] = '\0';
}

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

/* One event about @file (not an exec): task, identity, path; interp empty. */
static __always_inline void send_file_event(enum sw_event_type type, struct file *file)
{
	struct sw_exec_event *e;

	e = event_reserve(type);
	if (!e)
		return;
	e->flags = SW_EF_LSM;
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	fill_file(e, file);
	read_file_path(e, file);
	e->interp[0] = '\0';
	event_submit(e);
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

	e = event_reserve(SW_EVENT_EXEC);
	if (!e)
		return 0;
	e->flags = SW_EF_LSM;
	fill_task(e, task);
	fill_file(e, BPF_CORE_READ(bprm, file));
	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
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

/*
 * Every mmap() of a file with PROT_EXEC: shared libraries, dlopen(), the ELF
 * loader's own maps of the binary and its interpreter, code loaded by hand.
 * @prot is what the kernel will map (READ_IMPLIES_EXEC applied); anonymous
 * maps have no file. A later mprotect(PROT_EXEC) goes through the
 * file_mprotect hook instead: not hooked here.
 */
SEC("lsm/mmap_file")
int BPF_PROG(sw_lsm_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret || !file || !(prot & PROT_EXEC))
		return ret;
	send_file_event(SW_EVENT_MMAP_EXEC, file);
	return ret;
}

/* Opens of regular files for writing (O_WRONLY, O_RDWR; O_TRUNC implies one). */
SEC("lsm/file_open")
int BPF_PROG(sw_lsm_open, struct file *file, int ret)
{
	unsigned int f_mode = BPF_CORE_READ(file, f_mode);
	umode_t i_mode = BPF_CORE_READ(file, f_inode, i_mode);

	if (ret || !(f_mode & FMODE_WRITE) || (i_mode & S_IFMT) != S_IFREG)
		return ret;
	send_file_event(SW_EVENT_OPEN_WRITE, file);
	return ret;
}

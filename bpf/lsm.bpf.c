// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events from BPF LSM hooks (docs/architecture.md, "Kernel side"), for kernels that run BPF LSM
 * programs: CONFIG_BPF_LSM=y *and* "bpf" in the active LSM list (lsm= on the
 * command line). Without the latter the programs load and attach and are
 * never called: the loader checks /sys/kernel/security/lsm first.
 *
 * Monitoring only: every program returns the verdict it was handed (0, or
 * what an earlier BPF LSM program decided), never a denial of its own.
 *
 *   sw_lsm_exec      lsm/bprm_committed_creds  SW_EVENT_EXEC
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
 * These are the same doors as bpf/exec.bpf.c's syscall tracepoints, decided
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
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "event.bpf.h"
#include "doors.bpf.h"

/* include/linux/fs.h */
#define FMODE_WRITE 0x2
#define AT_FDCWD -100

char LICENSE[] SEC("license") = "GPL";

/*
 * bpf_d_path() of @file into e->filename; when it fails (a path longer than
 * the buffer) the dentry walk, which flags what it could not do.
 */
static __always_inline void read_file_path(struct sw_exec_event *e, struct file *file)
{
	long n;

	/* f_path is const in newer vmlinux.h; the helper only reads it */
	n = bpf_d_path((struct path *)&file->f_path, e->filename, sizeof(e->filename));
	if (n > 0) {
		e->flags |= SW_EF_DPATH;
		return;
	}
	count(SW_CNT_READ_FAIL);
	read_dentry_path(e, (struct task_struct *)bpf_get_current_task(), file);
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

/*
 * Every mmap() of a file with PROT_EXEC: shared libraries, dlopen(), the ELF
 * loader's own maps of the binary and its interpreter, code loaded by hand.
 * @prot is what the kernel will map (READ_IMPLIES_EXEC applied); anonymous
 * maps have no file. The mapping does not exist yet (no address): the daemon
 * opens the file by its d_path in the task's root and checks its identity.
 */
SEC("lsm/mmap_file")
int BPF_PROG(sw_lsm_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;

	if (ret || !file || !(prot & PROT_EXEC))
		return ret;
	if (kcache_ok(file, task_scope(task)))
		return ret;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return ret;
	e->flags = SW_EF_LSM;
	fill_task(e, task);
	fill_file(e, file);
	read_file_path(e, file);
	e->interp[0] = '\0';
	event_submit(e);
	return ret;
}

/*
 * mprotect(PROT_EXEC) of a file mapping that was not executable: code
 * written into a private file mapping, or a library mapped read-only first.
 * The vma exists: the daemon opens it through /proc/PID/map_files.
 */
SEC("lsm/file_mprotect")
int BPF_PROG(sw_lsm_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;
	struct file *file;

	if (ret || !(prot & PROT_EXEC) || (BPF_CORE_READ(vma, vm_flags) & VM_EXEC))
		return ret;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file || kcache_ok(file, task_scope(task)))
		return ret;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return ret;
	e->flags = SW_EF_LSM | SW_EF_MPROTECT;
	fill_task(e, task);
	fill_file(e, file);
	read_dentry_path(e, task, file);
	e->interp[0] = '\0';
	e->addr = BPF_CORE_READ(vma, vm_start);
	e->len = BPF_CORE_READ(vma, vm_end) - e->addr;
	event_submit(e);
	return ret;
}

/* d_path scratch for the read-prefix test (per CPU: too big for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[SW_FILENAME_LEN]);
} path_buf SEC(".maps");

/* Is @file's path under one of the verified read prefixes? */
static __always_inline bool read_open_wanted(struct file *file)
{
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&path_buf, &zero);

	/* f_path is const in newer vmlinux.h; the helper only reads it */
	if (!buf || bpf_d_path((struct path *)&file->f_path, buf, SW_FILENAME_LEN) <= 0)
		return false;
	return read_verified(buf);
}

/*
 * Every open of a file (do_dentry_open, before the fd exists): a write-open
 * drops the file's cache entry before any write can land, and is reported in
 * containers (and /etc/ld.so.preload everywhere); a read-open by an
 * interpreter is a script to verify; a read-open under a verified prefix is
 * verified too. The same decisions as the open tracepoints (open_enter/exit
 * in exec.bpf.c).
 */
SEC("lsm/file_open")
int BPF_PROG(sw_lsm_open, struct file *file, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned int f_mode = BPF_CORE_READ(file, f_mode);
	unsigned int f_flags = BPF_CORE_READ(file, f_flags);
	struct sw_exec_event *e;
	__u32 kind;

	if (ret)
		return ret;
	if ((f_mode & FMODE_WRITE) || (f_flags & O_TRUNC)) {
		kcache_invalidate(file);
		if (!regular_data_file(file) || (!in_container() && !is_ld_so_preload(file)))
			return ret;
		kind = SW_EVENT_OPEN_WRITE;
	} else {
		if (!host_scripts && !in_container())
			return ret;
		if (is_interpreter())
			kind = SW_EVENT_SCRIPT_OPEN;
		else if (read_prefixes[0].len)
			kind = SW_EVENT_READ_OPEN; /* decided below, once the path is known */
		else
			return ret;
		if (!regular_data_file(file) || kcache_ok(file, task_scope(task)))
			return ret;
	}
	/* a read-open outside the verified prefixes costs no ring buffer space */
	if (kind == SW_EVENT_READ_OPEN && !read_open_wanted(file))
		return ret;
	e = event_reserve(kind);
	if (!e)
		return ret;
	e->flags = SW_EF_LSM;
	fill_file(e, file);
	read_file_path(e, file);
	fill_task(e, task);
	e->interp[0] = '\0';
	e->fd = AT_FDCWD; /* the path is absolute in the task's root */
	e->open_flags = f_flags;
	event_submit(e);
	return ret;
}

/* ---- path operations in containers: unlink, rename, truncate ----------- */

/* An event without a file identity about the path (@mnt, @d). */
static __always_inline struct sw_exec_event *path_event(enum sw_event_type type,
							struct vfsmount *mnt, struct dentry *d)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;

	e = event_reserve(type);
	if (!e)
		return NULL;
	e->flags = SW_EF_LSM | SW_EF_NO_FILE_ID | SW_EF_PATH_DENTRY;
	__builtin_memset(&e->file, 0, sizeof(e->file));
	fill_task(e, task);
	e->flags |= walk_dentries(e->filename, d, mnt, task);
	e->interp[0] = '\0';
	e->fd = AT_FDCWD;
	return e;
}

static __always_inline void unlink_event(const struct path *dir, struct dentry *dentry)
{
	struct sw_exec_event *e;

	if (!in_container())
		return;
	e = path_event(SW_EVENT_UNLINK, BPF_CORE_READ(dir, mnt), dentry);
	if (e)
		event_submit(e);
}

SEC("lsm/path_unlink")
int BPF_PROG(sw_lsm_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (!ret)
		unlink_event(dir, dentry);
	return ret;
}

SEC("lsm/path_rmdir")
int BPF_PROG(sw_lsm_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (!ret)
		unlink_event(dir, dentry);
	return ret;
}

/*
 * rename: filename is the new path (what gets replaced), old_path the old one.
 * SW_EF_PATH_TOP only when both walks reached the task's root.
 */
SEC("lsm/path_rename")
int BPF_PROG(sw_lsm_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;
	__u32 old_flags;

	/* the verdict handed in is passed on: another BPF LSM may have denied */
	if (ret || !in_container())
		return ret;
	e = path_event(SW_EVENT_RENAME, BPF_CORE_READ(new_dir, mnt), new_dentry);
	if (!e)
		return ret;
	old_flags = walk_dentries(e->old_path, old_dentry, BPF_CORE_READ(old_dir, mnt), task);
	if (!(old_flags & SW_EF_PATH_TOP))
		e->flags &= ~SW_EF_PATH_TOP;
	e->flags |= old_flags & SW_EF_FILENAME_TRUNC;
	event_submit(e);
	return ret;
}

/* truncate(2), open(O_TRUNC), and ftruncate(2) before linux 6.2 */
SEC("lsm/path_truncate")
int BPF_PROG(sw_lsm_truncate, const struct path *path, int ret)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	struct sw_exec_event *e;

	if (ret)
		return ret;
	kcache_invalidate_inode(BPF_CORE_READ(d, d_inode));
	if (!in_container())
		return ret;
	e = path_event(SW_EVENT_TRUNCATE, BPF_CORE_READ(path, mnt), d);
	if (e)
		event_submit(e);
	return ret;
}

/* ftruncate(2) from linux 6.2: the cache entry goes (the write-open reported it) */
SEC("lsm/file_truncate")
int BPF_PROG(sw_lsm_ftruncate, struct file *file, int ret)
{
	if (!ret)
		kcache_invalidate(file);
	return ret;
}

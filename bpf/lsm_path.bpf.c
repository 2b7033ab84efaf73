// SPDX-License-Identifier: GPL-2.0-only
/*
 * Path operations in containers from BPF LSM hooks (part of the lsm_bpf
 * object, see lsm.bpf.c): lsm/path_unlink, path_rmdir, path_rename,
 * path_truncate (CONFIG_SECURITY_PATH), and file_truncate (6.2+), which only
 * invalidates the in-kernel cache. The tracepoint flavour: exec_path.bpf.c.
 */
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

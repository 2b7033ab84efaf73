/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the file doors share (docs/architecture.md, "Kernel side"): the
 * syscall tracepoints (exec_*.bpf.c) and the LSM hooks (lsm_*.bpf.c) decide
 * the same things the same way — is this file in the in-kernel verdict cache,
 * is the task in a container, is it an interpreter, is the path under a
 * verified prefix, is an open reported, what is the file's path when
 * bpf_d_path() is not allowed. Include after event.bpf.h; each object gets
 * its own copy of the configuration and of map kcache (the loader loads one
 * object per mode).
 */
#ifndef SW_DOORS_BPF_H
#define SW_DOORS_BPF_H

#include "event.bpf.h"

/* include/uapi/linux/magic.h */
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define DEVPTS_SUPER_MAGIC 0x1cd1
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define SECURITYFS_MAGIC 0x73636673
#define BPF_FS_MAGIC 0xcafe4a11

/* uapi: asm-generic/mman-common.h, asm-generic/fcntl.h, linux/stat.h, linux/mm.h */
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20
#define O_ACCMODE 00000003
#define O_CREAT 00000100
#define O_TRUNC 00001000
#define S_IFMT 00170000
#define S_IFREG 0100000
#define VM_EXEC 0x00000004
#define MAX_ERRNO 4095

/*
 * Consult map kcache (off: --no-kernel-cache, --all-events). In .data, not
 * .rodata: the daemon switches it at run time (a reload that turns
 * all_events on), through the skeleton's mmap of the section.
 */
#ifdef SW_OBJECT_OWNER
volatile bool use_kcache = true;

/* Set by the loader before load (userspace/kernel/load.c). */
const volatile bool host_scripts = false; /* script_open on the host too (a host baseline) */
const volatile __u32 host_mntns = 0; /* mount namespace inode of the host */
const volatile struct sw_interp interpreters[SW_MAX_INTERPRETERS] = {};
const volatile struct sw_read_prefix read_prefixes[SW_MAX_READ_PREFIXES] = {};
const volatile struct sw_kcache_key storage_roots[SW_MAX_STORAGE_ROOTS] = {};
#else
extern volatile bool use_kcache;
extern const volatile bool host_scripts;
extern const volatile __u32 host_mntns;
extern const volatile struct sw_interp interpreters[SW_MAX_INTERPRETERS];
extern const volatile struct sw_read_prefix read_prefixes[SW_MAX_READ_PREFIXES];
extern const volatile struct sw_kcache_key storage_roots[SW_MAX_STORAGE_ROOTS];
#endif

/*
 * kcache: struct sw_kcache_key (inode) → struct sw_kcache_val (identity +
 * scopes), see include/events.h. Inserted by the daemon after an "ok"
 * verdict (nlink 1 files only), looked up here, deleted here by write-opens
 * and ftruncate, flushed by the daemon on baseline reload.
 */
SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sw_kcache_key);
	__type(value, struct sw_kcache_val);
} kcache SEC(".maps");

/*
 * Was @file (its identity incl. ctime) verified ok in @scope? Checked before
 * any ring buffer space is reserved: a hit costs a few reads and one lookup.
 */
static __always_inline bool kcache_ok(struct file *file, __u64 scope)
{
	struct sw_kcache_key key = {};
	struct sw_kcache_val *v;
	struct inode *inode;
	__s64 ctime_sec = 0;
	__u32 ctime_nsec = 0;
	__u64 size = 0;

	if (!use_kcache || !file)
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return false;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	v = bpf_map_lookup_elem(&kcache, &key);
	/* overlay: the real inode's ctime, which a write on the node changes too */
	if (!v || BPF_CORE_READ(inode, i_nlink) != 1 ||
	    inode_read_state(inode, &ctime_sec, &ctime_nsec, &size) || size != v->size ||
	    v->ctime_sec != ctime_sec || v->ctime_nsec != ctime_nsec)
		return false;
#pragma unroll
	for (int i = 0; i < SW_KCACHE_SCOPES; i++) {
		if (i < v->n_scopes && v->scopes[i] == scope) {
			count(SW_CNT_KCACHE_HIT);
			return true;
		}
	}
	return false;
}

/* Drop the cached verdict of @file's inode (before a write can land). */
static __always_inline void kcache_invalidate_inode(struct inode *inode)
{
	struct sw_kcache_key key = {};

	if (!inode)
		return;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (!bpf_map_delete_elem(&kcache, &key))
		count(SW_CNT_KCACHE_INVALIDATE);
}

static __always_inline void kcache_invalidate(struct file *file)
{
	kcache_invalidate_inode(BPF_CORE_READ(file, f_inode));
}

/* The open file behind @fd of the current task: files->fdt->fd[fd], bounds-checked. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;
	unsigned int max;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return NULL;
	max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* A regular file on a real filesystem (not proc, sysfs, cgroupfs, …)? */
static __always_inline bool regular_data_file(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	unsigned long magic;
	umode_t mode;

	if (!inode)
		return false;
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) != S_IFREG)
		return false;
	magic = BPF_CORE_READ(inode, i_sb, s_magic);
	return magic != PROC_SUPER_MAGIC && magic != SYSFS_MAGIC && magic != CGROUP_SUPER_MAGIC &&
	       magic != CGROUP2_SUPER_MAGIC && magic != DEVPTS_SUPER_MAGIC &&
	       magic != DEBUGFS_MAGIC && magic != TRACEFS_MAGIC && magic != SECURITYFS_MAGIC &&
	       magic != BPF_FS_MAGIC;
}

/* a name of up to 79 bytes: a layer store's 64-hex layer directories fit */
#define DENTRY_NAME_MAX 80
#define DENTRY_DEPTH 32

/*
 * Best-effort path of (@mnt, @d) without bpf_d_path (allowed only in a few
 * LSM hooks, never from tracepoints): the dentry names leaf first, each
 * NUL-terminated, into @buf (SW_FILENAME_LEN bytes); the daemon reverses them
 * (procpath_from_dentries). The walk crosses mount points (struct mount's
 * mnt_mountpoint and mnt_parent) and stops at the task's root (fs->root: a
 * chroot's directory or a container's root). Returns SW_EF_PATH_TOP when it
 * got there — then the names are the path as the task sees it — and
 * SW_EF_FILENAME_TRUNC when names or depth did not fit; 0 when the file is
 * outside the task's root or the walk broke off.
 */
static __always_inline __u32 walk_dentries(char *buf, struct dentry *d, struct vfsmount *mnt,
					   struct task_struct *task)
{
	struct dentry *top = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *top_mnt = BPF_CORE_READ(task, fs, root.mnt);
	__u64 off = 0;

	__builtin_memset(buf, 0, SW_FILENAME_LEN);
	for (int i = 0; i < DENTRY_DEPTH; i++) {
		const unsigned char *name;
		struct dentry *parent;
		long n;

		if (!d || !mnt)
			return 0;
		if (d == top && mnt == top_mnt)
			return SW_EF_PATH_TOP;
		if (d == BPF_CORE_READ(mnt, mnt_root)) {
			/* the root of a mount: go on from its mount point */
			__u32 at = bpf_core_field_offset(struct mount, mnt);
			struct mount *m = (void *)mnt - at;
			struct mount *up = BPF_CORE_READ(m, mnt_parent);

			if (!up || up == m) /* the top of a tree that is not the task's */
				return up == m ? SW_EF_PATH_NS_TOP : 0;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			mnt = (void *)up + at;
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			return 0;
		if (off > SW_FILENAME_LEN - DENTRY_NAME_MAX)
			return SW_EF_FILENAME_TRUNC;
		name = BPF_CORE_READ(d, d_name.name);
		n = bpf_probe_read_kernel_str(&buf[off], DENTRY_NAME_MAX, name);
		if (n <= 0) {
			count(SW_CNT_READ_FAIL);
			return 0;
		}
		if (n == DENTRY_NAME_MAX)
			return SW_EF_FILENAME_TRUNC;
		off += n;
		d = parent;
	}
	return SW_EF_FILENAME_TRUNC;
}

/* The dentry-walk path of @file into e->filename (SW_EF_PATH_DENTRY). */
static __always_inline void read_dentry_path(struct sw_exec_event *e, struct task_struct *task,
					     struct file *file)
{
	e->flags |=
		SW_EF_PATH_DENTRY | walk_dentries(e->filename, BPF_CORE_READ(file, f_path.dentry),
						  BPF_CORE_READ(file, f_path.mnt), task);
}

/*
 * Is @file below one of storage_roots (a runtime's layer store on the node)?
 * Its ancestors are compared by inode, up to DENTRY_DEPTH levels, crossing
 * mount points like walk_dentries(): a layer file itself, and a file of a
 * container's overlay mounted inside the store (…/overlay/<id>/merged). Only
 * host write-opens get here, and only when storage roots are configured.
 */
static __always_inline bool in_layer_store(struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *mnt = BPF_CORE_READ(file, f_path.mnt);

#ifdef SW_LSM_OBJECT
	return false; /* see lsm.bpf.c: node-side layer writes in the tracepoint modes only */
#endif
	if (!deep_walks || !storage_roots[0].ino)
		return false;
	for (int i = 0; i < DENTRY_DEPTH; i++) {
		struct dentry *parent;
		struct inode *inode;
		__u64 ino;
		__u32 dev;

		if (!d || !mnt)
			return false;
		if (d == BPF_CORE_READ(mnt, mnt_root)) {
			/* the root of a mount: on from its mount point */
			__u32 at = bpf_core_field_offset(struct mount, mnt);
			struct mount *m = (void *)mnt - at;
			struct mount *up = BPF_CORE_READ(m, mnt_parent);

			if (!up || up == m)
				return false;
			parent = BPF_CORE_READ(m, mnt_mountpoint);
			mnt = (void *)up + at;
		} else {
			parent = BPF_CORE_READ(d, d_parent);
			if (!parent || parent == d)
				return false;
		}
		d = parent;
		inode = BPF_CORE_READ(d, d_inode);
		if (!inode)
			return false;
		ino = BPF_CORE_READ(inode, i_ino);
		dev = BPF_CORE_READ(inode, i_sb, s_dev);
		for (int j = 0; j < SW_MAX_STORAGE_ROOTS; j++)
			if (storage_roots[j].ino && storage_roots[j].ino == ino &&
			    storage_roots[j].dev == dev)
				return true;
	}
	return false;
}

/* Is the current task an interpreter of the configured list (by comm)? */
static __always_inline bool is_interpreter(void)
{
	char comm[SW_COMM_LEN] = {};

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < SW_MAX_INTERPRETERS; i++) {
		__u32 len = interpreters[i].len;
		bool match = len > 0;

		if (!len)
			break;
		for (int j = 0; j < SW_COMM_LEN; j++) {
			if (j >= len) {
				/* a whole name must end here too */
				if (!interpreters[i].prefix && comm[j])
					match = false;
				break;
			}
			if (comm[j] != interpreters[i].name[j]) {
				match = false;
				break;
			}
		}
		if (match)
			return true;
	}
	return false;
}

/* Does @path (read from user memory) start with one of read_prefixes? */
static __always_inline bool read_verified(const char *path)
{
	for (int i = 0; i < SW_MAX_READ_PREFIXES; i++) {
		__u32 len = read_prefixes[i].len;
		bool match = true;

		if (!len)
			break;
		for (int j = 0; j < SW_READ_PREFIX_LEN; j++) {
			if (j >= len)
				break;
			if (path[j] != read_prefixes[i].prefix[j]) {
				match = false;
				break;
			}
		}
		if (match)
			return true;
	}
	return false;
}

static __always_inline bool in_container(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) != host_mntns;
}

/* The mount namespace (inode number) @file's mount belongs to; 0 when none. */
static __always_inline __u32 file_mntns(struct file *file)
{
	struct vfsmount *mnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);

	return mnt ? BPF_CORE_READ(m, mnt_ns, ns.inum) : 0;
}

/* "ld.so.preload": the dentry name of /etc/ld.so.preload */
static __always_inline bool is_ld_so_preload(struct file *file)
{
	const char want[] = "ld.so.preload";
	char name[sizeof(want)] = {};
	const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);

	if (!p || bpf_probe_read_kernel(name, sizeof(name), p))
		return false;
#pragma unroll
	for (int i = 0; i < (int)sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/*
 * The open door, before the file is known: a write-open always (the cache
 * must learn of it), a read-open by an interpreter (script_open) or one a
 * verified read prefix may want (read_open, decided once the path is known)
 * in a container or, with a host baseline, anywhere. 0: not reported.
 */
static __always_inline __u32 open_kind(bool write)
{
	if (write)
		return SW_EVENT_OPEN_WRITE;
	if (!host_scripts && !in_container())
		return 0;
	if (is_interpreter())
		return SW_EVENT_SCRIPT_OPEN;
	if (read_prefixes[0].len)
		return SW_EVENT_READ_OPEN;
	return 0;
}

/*
 * A write-open of @file: its cache entry goes at once (before any write can
 * land); reported for regular files in containers, for ld.so.preload, and on
 * the node below a runtime's layer store (then *@flags gets
 * SW_EF_NODE_STORAGE).
 */
static __always_inline bool open_write_reported(struct file *file, __u32 *flags, __u32 *file_ns)
{
	kcache_invalidate(file);
	if (!regular_data_file(file))
		return false;
	if (in_container() || is_ld_so_preload(file))
		return true;
	/* a host process writing into another namespace's mount: /proc/PID/root */
	*file_ns = file_mntns(file);
	if (*file_ns && *file_ns != host_mntns) {
		*flags |= SW_EF_FOREIGN_MOUNT;
		return true;
	}
	*file_ns = 0;
	if (!in_layer_store(file))
		return false;
	*flags |= SW_EF_NODE_STORAGE;
	return true;
}

/* A read-open of @file is reported unless the file was verified ok in @scope. */
static __always_inline bool open_read_reported(struct file *file, __u64 scope)
{
	return regular_data_file(file) && !kcache_ok(file, scope);
}

#endif /* SW_DOORS_BPF_H */

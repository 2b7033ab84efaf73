// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec events (DESIGN.md §4, §7): one struct sw_exec_event (include/events.h)
 * per successful execve/execveat, built in place in the ring buffer.
 *
 * Two programs; the loader (userspace/bpf_loader.c) loads exactly one:
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

#include "events.h"
#include "core_fixes.bpf.h"

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
#define TMPFS_MAGIC 0x01021994
#define HUGETLBFS_MAGIC 0x958458f6
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* mm/memfd.c names every memfd "memfd:<name>" */
#define MEMFD_PREFIX "memfd:"
#define MEMFD_PREFIX_LEN 6

#ifdef DEBUG
#define sw_debug(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)
#else
#define sw_debug(fmt, ...) \
	do {               \
	} while (0)
#endif

char LICENSE[] SEC("license") = "GPL";

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
volatile bool use_kcache = true;

/* Set by the loader before load (userspace/bpf_loader.c). */
const volatile bool host_scripts =
	false; /* script_open on the host too (a host baseline is loaded) */
const volatile __u32 host_mntns = 0; /* mount namespace inode of the host */
const volatile struct sw_interp interpreters[SW_MAX_INTERPRETERS] = {};
const volatile struct sw_read_prefix read_prefixes[SW_MAX_READ_PREFIXES] = {};

/*
 * kcache: struct sw_kcache_key (inode) → struct sw_kcache_val (identity +
 * scopes), see include/events.h. Inserted by the daemon after an "ok"
 * verdict (nlink 1 files only), looked up here, deleted here by write-opens
 * and ftruncate, flushed by the daemon on baseline reload.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sw_kcache_key);
	__type(value, struct sw_kcache_val);
} kcache SEC(".maps");

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

/*
 * events: struct sw_exec_event records. Written by both programs, read by
 * bpf_loader_poll(). The loader may change max_entries before load (a power of
 * two, a multiple of the page size); 8 MiB holds ~11000 events.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/*
 * counters: key enum sw_counter, value one __u64 per CPU. Incremented here
 * (events sent, reserve failures, read failures), summed over CPUs by
 * bpf_loader_counters(). Never reset.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(enum sw_counter counter)
{
	__u32 key = counter;
	__u64 *value;

	value = bpf_map_lookup_elem(&counters, &key);
	if (value)
		*value += 1; /* per-CPU slot, and these programs do not nest */
}

static __always_inline struct sw_exec_event *event_reserve(void)
{
	struct sw_exec_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SW_CNT_RINGBUF_FULL);
		return NULL;
	}
	/* the slot holds an older record's bytes: every field below is written */
	e->type = SW_EVENT_EXEC;
	e->flags = 0;
	e->addr = 0;
	e->len = 0;
	e->fd = -1;
	e->fd2 = -1;
	e->open_flags = 0;
	e->pad2 = 0;
	return e;
}

static __always_inline void event_submit(struct sw_exec_event *e)
{
	bpf_ringbuf_submit(e, 0);
	count(SW_CNT_EVENTS);
}

/*
 * Copy a NUL-terminated kernel string into a SW_FILENAME_LEN buffer; flag it
 * when it did not fit (a full buffer whose source goes on).
 */
static __always_inline void read_path(char *dst, const char *src, __u32 *flags)
{
	long n;
	char c = 0;

	n = bpf_probe_read_kernel_str(dst, SW_FILENAME_LEN, src);
	if (n < 0) {
		/* the helper zeroed dst */
		count(SW_CNT_READ_FAIL);
		return;
	}
	if (n == SW_FILENAME_LEN && !bpf_probe_read_kernel(&c, 1, src + SW_FILENAME_LEN - 1) && c)
		*flags |= SW_EF_FILENAME_TRUNC;
}

/*
 * Leaf name of the task's cgroup: the v2 (default hierarchy) cgroup, or, when
 * that is the root (hybrid hosts where runtimes only use v1 controllers), the
 * v1 "pids" cgroup: podman/docker/CRI-O name both after the container id.
 */
static __always_inline void read_cgroup_name(struct sw_exec_event *e, struct task_struct *task)
{
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset;
	const char *name;
	__u32 id;
	long n;

	cset = BPF_CORE_READ(task, cgroups);
	if (!cset) {
		count(SW_CNT_READ_FAIL);
		e->cgroup_name[0] = '\0';
		return;
	}
	name = BPF_CORE_READ(cset, dfl_cgrp, kn, name);
	if (name) {
		n = bpf_probe_read_kernel_str(e->cgroup_name, sizeof(e->cgroup_name), name);
		/* the root's name is "" ("/" in some kernels) */
		if (n > 1 && !(n == 2 && e->cgroup_name[0] == '/'))
			return;
	}
	e->cgroup_name[0] = '\0';

	/* CONFIG_CGROUP_PIDS may be off: then there is no v1 fallback */
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
		return;
	id = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	if (id >= bpf_core_field_size(cset->subsys) / sizeof(cset->subsys[0]))
		return;
	if (bpf_core_read(&css, sizeof(css), &cset->subsys[id]) || !css)
		return; /* pids controller not mounted as v1 */
	name = BPF_CORE_READ(css, cgroup, kn, name);
	if (!name)
		return;
	n = bpf_probe_read_kernel_str(e->cgroup_name, sizeof(e->cgroup_name), name);
	if (n > 1 && !(n == 2 && e->cgroup_name[0] == '/'))
		e->flags |= SW_EF_CGROUP_V1;
	else
		e->cgroup_name[0] = '\0';
}

/*
 * The in-kernel cache's scope of a task: its mount namespace's ns_id (64 bits,
 * never reused; linux 6.9+ "nsfs: add ns_id to ns_common" family), else the
 * namespace's inode number (reusable once the namespace is gone).
 */
static __always_inline __u64 task_scope(struct task_struct *task)
{
	struct mnt_namespace *ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	__u64 id = 0;

	if (!ns)
		return 0;
	if (bpf_core_field_exists(ns->ns.ns_id))
		id = BPF_CORE_READ(ns, ns.ns_id);
	return id ?: BPF_CORE_READ(ns, ns.inum);
}

/* Everything that comes from the current task. */
static __always_inline void fill_task(struct sw_exec_event *e, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();

	e->boot_ns = bpf_ktime_get_boot_ns();
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->scope = task_scope(task);
	e->cgroup_id = bpf_get_current_cgroup_id();
	if (bpf_get_current_comm(e->comm, sizeof(e->comm)))
		count(SW_CNT_READ_FAIL);
	read_cgroup_name(e, task);
}

static __always_inline bool is_memfd_name(const char prefix[MEMFD_PREFIX_LEN])
{
	const char want[] = MEMFD_PREFIX;

#pragma unroll
	for (int i = 0; i < MEMFD_PREFIX_LEN; i++)
		if (prefix[i] != want[i])
			return false;
	return true;
}

/* The identity of the executed file as stat() reports it (see the top). */
static __always_inline void fill_file(struct sw_exec_event *e, struct file *file)
{
	struct super_block *sb = NULL;
	struct inode *inode = NULL;
	unsigned long magic = 0;
	unsigned long ino = 0;
	long long size = 0;
	__u32 nlink = 0;
	dev_t dev = 0;
	int err;

	__builtin_memset(&e->file, 0, sizeof(e->file));
	if (!file) {
		count(SW_CNT_NO_FILE);
		return;
	}
	err = bpf_core_read(&inode, sizeof(inode), &file->f_inode);
	if (err || !inode) {
		count(SW_CNT_NO_FILE);
		return;
	}
	err = bpf_core_read(&ino, sizeof(ino), &inode->i_ino);
	err = err ?: bpf_core_read(&size, sizeof(size), &inode->i_size);
	err = err ?: bpf_core_read(&nlink, sizeof(nlink), &inode->i_nlink);
	err = err ?: bpf_core_read(&sb, sizeof(sb), &inode->i_sb);
	err = err ?: bpf_core_read(&dev, sizeof(dev), &sb->s_dev);
	err = err ?: bpf_core_read(&magic, sizeof(magic), &sb->s_magic);
	err = err ?: inode_read_ctime(inode, &e->file.ctime_sec, &e->file.ctime_nsec);
	if (err)
		count(SW_CNT_READ_FAIL);
	e->file.ino = ino;
	e->file.size = size;
	e->file.nlink = nlink;
	e->file.dev = dev;

	if (nlink == 0)
		e->flags |= SW_EF_DELETED;

	if (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC) {
		/* a memfd, not just any file on a tmpfs such as /dev/shm or /tmp */
		char prefix[MEMFD_PREFIX_LEN] = {};
		const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);

		if (name && !bpf_probe_read_kernel(prefix, sizeof(prefix), name) &&
		    is_memfd_name(prefix))
			e->flags |= SW_EF_MEMFD;
	} else if (magic == OVERLAYFS_SUPER_MAGIC) {
		e->flags |= SW_EF_OVERLAY;
		/* upper: created or copied up (data or, with metacopy, metadata) */
		if (bpf_core_type_exists(struct ovl_inode___sw) &&
		    bpf_core_field_exists(struct ovl_inode___sw, __upperdentry)) {
			struct ovl_inode___sw *oi;
			struct dentry *upper = NULL;

			oi = (void *)inode -
			     bpf_core_field_offset(struct ovl_inode___sw, vfs_inode);
			if (bpf_core_read(&upper, sizeof(upper), &oi->__upperdentry)) {
				count(SW_CNT_READ_FAIL);
			} else {
				e->flags |= SW_EF_UPPER_KNOWN;
				if (upper)
					e->flags |= SW_EF_OVERLAY_UPPER;
			}
		}
	}
}

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

	if (!use_kcache || !file)
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return false;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	v = bpf_map_lookup_elem(&kcache, &key);
	if (!v || BPF_CORE_READ(inode, i_nlink) != 1 ||
	    (__u64)BPF_CORE_READ(inode, i_size) != v->size ||
	    inode_read_ctime(inode, &ctime_sec, &ctime_nsec) || v->ctime_sec != ctime_sec ||
	    v->ctime_nsec != ctime_nsec)
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
static __always_inline void kcache_invalidate(struct file *file)
{
	struct sw_kcache_key key = {};
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	if (!inode)
		return;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (!bpf_map_delete_elem(&kcache, &key))
		count(SW_CNT_KCACHE_INVALIDATE);
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

#define DENTRY_NAME_MAX 64
#define DENTRY_DEPTH 24

/*
 * Best-effort path of @file without bpf_d_path (not allowed from tracepoints):
 * dentry names leaf first, NUL-terminated, into e->filename. SW_EF_PATH_TOP
 * when the walk reached the root of the file's mount and that mount is the
 * task's root mount (then the names are the path as the task sees it).
 */
static __always_inline void read_dentry_path(struct sw_exec_event *e, struct task_struct *task,
					     struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *mnt = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *root = BPF_CORE_READ(mnt, mnt_root);
	__u32 off = 0;

	__builtin_memset(e->filename, 0, sizeof(e->filename));
	e->flags |= SW_EF_PATH_DENTRY;
	for (int i = 0; i < DENTRY_DEPTH; i++) {
		const unsigned char *name;
		struct dentry *parent;
		long n;

		if (!d)
			return;
		if (d == root) {
			if (mnt == BPF_CORE_READ(task, fs, root.mnt))
				e->flags |= SW_EF_PATH_TOP;
			return;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			return;
		if (off > SW_FILENAME_LEN - DENTRY_NAME_MAX) {
			e->flags |= SW_EF_FILENAME_TRUNC;
			return;
		}
		name = BPF_CORE_READ(d, d_name.name);
		n = bpf_probe_read_kernel_str(&e->filename[off], DENTRY_NAME_MAX, name);
		if (n <= 0) {
			count(SW_CNT_READ_FAIL);
			return;
		}
		if (n == DENTRY_NAME_MAX)
			e->flags |= SW_EF_FILENAME_TRUNC;
		off += n;
		d = parent;
	}
	e->flags |= SW_EF_FILENAME_TRUNC;
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
	e = event_reserve();
	if (!e)
		return 0;
	fill_file(e, file);
	fill_task(e, task);
	read_path(e->filename, filename, &e->flags);
	if (interp && interp != filename) {
		e->flags |= SW_EF_SCRIPT;
		read_path(e->interp, interp, &e->flags);
	} else {
		e->interp[0] = '\0';
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

	e = event_reserve();
	if (!e)
		return 0;
	e->flags = SW_EF_FALLBACK_TP;
	fill_file(e, BPF_CORE_READ(task, mm, exe_file));
	/* no kcache here: without interp a #! script cannot be told from its interpreter */
	fill_task(e, task);
	/* __data_loc: offset in the low 16 bits, length in the high 16 */
	read_path(e->filename, (const char *)ctx + (loc & 0xffff), &e->flags);
	e->interp[0] = '\0';
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
	e = event_reserve();
	if (!e)
		return 0;
	e->type = SW_EVENT_MMAP_EXEC;
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
	e = event_reserve();
	if (!e)
		return 0;
	e->type = SW_EVENT_MMAP_EXEC;
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

static __always_inline void open_exit(long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct sw_exec_event *e;
	struct path_op *op;
	struct file *file;

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
		if (!regular_data_file(file) || (!in_container() && !is_ld_so_preload(file)))
			goto out;
	} else if (!regular_data_file(file)) {
		goto out;
	}
	if (op->kind != SW_EVENT_OPEN_WRITE && kcache_ok(file, task_scope(task)))
		goto out;
	e = event_reserve();
	if (!e)
		goto out;
	e->type = op->kind;
	fill_file(e, file);
	fill_task(e, task);
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	e->interp[0] = '\0';
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
	__u64 id = bpf_get_current_pid_tgid();
	struct sw_exec_event *e;
	struct path_op *op;

	op = bpf_map_lookup_elem(&path_pending, &id);
	if (!op)
		return;
	if (ret)
		goto out;
	e = event_reserve();
	if (!e)
		goto out;
	e->type = op->kind;
	e->flags = SW_EF_NO_FILE_ID;
	__builtin_memset(&e->file, 0, sizeof(e->file));
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	if (bpf_probe_read_kernel(e->filename, sizeof(e->filename), op->path))
		e->filename[0] = '\0';
	if (bpf_probe_read_kernel(e->interp, sizeof(e->interp), op->path2))
		e->interp[0] = '\0';
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

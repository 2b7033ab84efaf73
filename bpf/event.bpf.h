/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every event-producing BPF object shares: the ring buffer and counter
 * maps, and the helpers that fill a struct sw_exec_event (include/events.h)
 * from the current task and a struct file. Include once per object, after
 * vmlinux.h; each object gets its own maps.
 *
 * Used by bpf/exec.bpf.c and bpf/lsm.bpf.c; the file doors' decisions are in
 * bpf/doors.bpf.h.
 *
 * File identity: see the notes at the top of bpf/exec.bpf.c (what stat()
 * reports on ext4, tmpfs, memfd and overlayfs).
 */
#ifndef SW_EVENT_BPF_H
#define SW_EVENT_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "events.h"
#include "core_fixes.bpf.h"

/*
 * One BPF object (one skeleton) is linked from several program files, one
 * hook family each (bpftool gen object, see the Makefile). The maps and the
 * configuration they share are defined by the one file that defines
 * SW_OBJECT_OWNER before its includes (exec.bpf.c, lsm.bpf.c) and declared
 * extern in the others; the linker resolves them to one.
 */
#ifdef SW_OBJECT_OWNER
#define SW_SHARED
#else
#define SW_SHARED extern
#endif

/*
 * The two deep walks (the overlay real inode, ovl_real_inode; the layer-store
 * walk of node-side writes, in_layer_store): set false by the loader when a
 * kernel's verifier refuses the doors with them (Debian 6.1: E2BIG), so the
 * doors load without them; a known constant at load, the verifier drops the
 * code.
 */
#ifdef SW_OBJECT_OWNER
const volatile bool deep_walks = true;
#else
extern const volatile bool deep_walks;
#endif

/* include/uapi/linux/magic.h */
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

/*
 * events: struct sw_exec_event records. Written by the programs of the
 * object, read by bpf_loader_poll(). The loader may change max_entries before
 * load (a power of two, a multiple of the page size); 8 MiB holds ~11000 events.
 */
SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/*
 * counters: key enum sw_counter, value one __u64 per CPU. Incremented here
 * (events sent, reserve failures, read failures), summed over CPUs by
 * bpf_loader_counters(). Never reset.
 */
SW_SHARED struct {
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
	/*
	 * per-CPU slot; atomic all the same: LSM programs run under
	 * migrate_disable() only, so two may interleave on one CPU
	 */
	if (value)
		__sync_fetch_and_add(value, 1);
}

static __always_inline struct sw_exec_event *event_reserve(enum sw_event_type type)
{
	struct sw_exec_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SW_CNT_RINGBUF_FULL);
		return NULL;
	}
	/* the slot holds an older record's bytes: every field below is written */
	e->type = type;
	e->flags = 0;
	/* the doors' fields: set by the programs that have them */
	e->scope = 0;
	e->addr = 0;
	e->len = 0;
	e->fd = -1;
	e->fd2 = -1;
	e->open_flags = 0;
	e->userns = 0;
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
	e->userns = BPF_CORE_READ(task, cred, user_ns, ns.inum);
	e->root_ino = BPF_CORE_READ(task, fs, root.dentry, d_inode, i_ino);
	e->root_dev = BPF_CORE_READ(task, fs, root.dentry, d_sb, s_dev);
	e->file_mntns = 0;
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

/*
 * The real inode behind an overlay inode: the upper one once the file was
 * written or copied up in the container, else the first lower one (the
 * image's layer file on the node). NULL when it cannot be told. stat() of an
 * overlay file reports the real inode's times and size (ovl_getattr), while
 * the overlay inode keeps a copy that a write into a layer on the node, behind
 * overlay's back, does not update: verdicts are keyed on the real ones.
 * (With metacopy=on the data may sit in a lower data layer: not followed.)
 */
static __always_inline struct inode *ovl_real_inode(struct inode *inode)
{
	struct ovl_inode___sw *oi;
	struct ovl_entry___sw *oe = NULL;
	struct dentry *d = NULL;
	unsigned int n = 0;

#ifdef SW_LSM_OBJECT
	return NULL; /* see lsm.bpf.c: the overlay inode's own copy then */
#endif
	if (!deep_walks || !bpf_core_type_exists(struct ovl_inode___sw) ||
	    !bpf_core_field_exists(struct ovl_inode___sw, __upperdentry))
		return NULL;
	oi = (void *)inode - bpf_core_field_offset(struct ovl_inode___sw, vfs_inode);
	if (bpf_core_read(&d, sizeof(d), &oi->__upperdentry))
		return NULL;
	if (d)
		return BPF_CORE_READ(d, d_inode);
	if (!bpf_core_field_exists(struct ovl_inode___sw, oe) ||
	    bpf_core_read(&oe, sizeof(oe), &oi->oe) || !oe ||
	    bpf_core_read(&n, sizeof(n), &oe->__numlower) || !n)
		return NULL;
	if (bpf_core_read(&d, sizeof(d), &oe->__lowerstack[0].dentry) || !d)
		return NULL;
	return BPF_CORE_READ(d, d_inode);
}

/*
 * ctime and size of @inode as stat() reports them: an overlay inode's from
 * its real inode (ovl_real_inode). 0 or a negative error.
 */
static __always_inline int inode_read_state(struct inode *inode, __s64 *ctime_sec,
					    __u32 *ctime_nsec, __u64 *size)
{
	struct inode *real = NULL;

	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC)
		real = ovl_real_inode(inode);
	if (real)
		inode = real;
	*size = BPF_CORE_READ(inode, i_size);
	return inode_read_ctime(inode, ctime_sec, ctime_nsec);
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
		struct inode *real = ovl_real_inode(inode);

		e->flags |= SW_EF_OVERLAY;
		/* stat() reports the real inode's times and size (ovl_getattr) */
		if (real && !inode_read_ctime(real, &e->file.ctime_sec, &e->file.ctime_nsec))
			e->file.size = BPF_CORE_READ(real, i_size);
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

#endif

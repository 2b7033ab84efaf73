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
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "events.h"
#include "core_fixes.bpf.h"

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

char LICENSE[] SEC("license") = "GPL";

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

	e = event_reserve();
	if (!e)
		return 0;
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
	fill_task(e, task);
	fill_file(e, BPF_CORE_READ(task, mm, exe_file));
	/* __data_loc: offset in the low 16 bits, length in the high 16 */
	read_path(e->filename, (const char *)ctx + (loc & 0xffff), &e->flags);
	e->interp[0] = '\0';
	sw_debug("exec(tp) tgid=%u file=%s flags=%x", e->tgid, e->filename, e->flags);
	event_submit(e);
	return 0;
}

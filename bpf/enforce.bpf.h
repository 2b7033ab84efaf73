/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prevention in the kernel, the BPF LSM backend (docs/enforce.md): the
 * decision the exec and mapping hooks take (lsm_enforce.bpf.c:
 * bprm_check_security; lsm_mmap.bpf.c: mmap_file, file_mprotect) from what
 * the daemon wrote (include/events.h, "Prevention in the kernel"). Include
 * after event.bpf.h and doors.bpf.h. The tracepoint object uses only
 * enforce_kill_memfd() (at the end).
 *
 * An LSM hook cannot wait for userspace: the daemon decides each file once
 * (it hashes the exact file, as for the monitor) and writes the decision into
 * map enforce_files; a file it has not decided yet is a miss, which takes the
 * scope's fallback (deny in a strict scope, else allow, and the daemon then
 * decides it for the next time). A daemon that stops refreshing its heartbeat
 * for longer than the deadline (killed: then the programs are detached
 * anyway; SIGSTOPped, hung) makes every hook allow: a daemon problem never
 * takes the node's execs down. The daemon and its children are never denied.
 */
#ifndef SW_ENFORCE_BPF_H
#define SW_ENFORCE_BPF_H

#include "event.bpf.h"
#include "doors.bpf.h"

#define EPERM 1

/*
 * .bss (all start at 0), written by the daemon at run time through the skeleton's mmap of
 * the section: enforcement on, the daemon's tgid, its heartbeat
 * (bpf_ktime_get_boot_ns() clock: CLOCK_BOOTTIME) and the deadline after
 * which a heartbeat is stale.
 */
#ifdef SW_OBJECT_OWNER
volatile bool enforce_on = false;
volatile __u32 enforce_tgid = 0;
volatile __u64 enforce_heartbeat_ns = 0;
volatile __u64 enforce_deadline_ns = 0;
#else
extern volatile bool enforce_on;
extern volatile __u32 enforce_tgid;
extern volatile __u64 enforce_heartbeat_ns;
extern volatile __u64 enforce_deadline_ns;
#endif

/* scope → struct sw_enforce_scope; key 0: the default. Written by the daemon. */
SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct sw_enforce_scope);
} enforce_scopes SEC(".maps");

/* (inode, scope) → the daemon's decision on that file. Written by the daemon. */
SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sw_enforce_key);
	__type(value, struct sw_enforce_val);
} enforce_files SEC(".maps");

/* A memfd (the name memfd_create() gives, on shmem/hugetlbfs): always fileless. */
static __always_inline bool enforce_is_memfd(struct file *file, unsigned long magic)
{
	char prefix[MEMFD_PREFIX_LEN] = {};
	const unsigned char *name;

	if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC)
		return false;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	return name && !bpf_probe_read_kernel(prefix, sizeof(prefix), name) &&
	       is_memfd_name(prefix);
}

/* The decision on @file, whose identity is known; @sc the scope's mode. */
static __always_inline int enforce_file_decision(struct file *file, struct inode *inode,
						 __u64 scope, const struct sw_enforce_scope *sc)
{
	struct sw_enforce_key key = {};
	struct sw_enforce_val *v;
	__s64 ctime_sec = 0;
	__u32 ctime_nsec = 0;
	__u64 size = 0;

	/* fileless: a memfd, or a file unlinked and run through its fd */
	if (BPF_CORE_READ(inode, i_nlink) == 0 ||
	    enforce_is_memfd(file, BPF_CORE_READ(inode, i_sb, s_magic)))
		return -EPERM;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.scope = scope;
	v = bpf_map_lookup_elem(&enforce_files, &key);
	if (v && !inode_read_state(inode, &ctime_sec, &ctime_nsec, &size) && v->size == size &&
	    v->ctime_sec == ctime_sec && v->ctime_nsec == ctime_nsec)
		return v->decision == SW_KDEC_DENY ? -EPERM : 0;
	count(SW_CNT_ENFORCE_MISS);
	return sc->strict ? -EPERM : 0;
}

/*
 * 0 (allow) or -EPERM for running @file's code in the current task. Only an
 * enforced scope denies; audit scopes are decided by the daemon from the
 * monitor's events (the code runs).
 */
static __always_inline int enforce_decide(struct file *file, struct task_struct *task)
{
	const struct sw_enforce_scope *sc;
	struct inode *inode;
	__u64 scope, zero = 0, now;
	__u32 tgid;
	int ret;

	if (!enforce_on || !file)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == enforce_tgid || BPF_CORE_READ(task, real_parent, tgid) == enforce_tgid)
		return 0; /* the daemon and its children */
	scope = task_scope(task);
	sc = bpf_map_lookup_elem(&enforce_scopes, &scope);
	if (!sc)
		sc = bpf_map_lookup_elem(&enforce_scopes, &zero);
	if (!sc || sc->mode != SW_KMODE_ENFORCE)
		return 0;
	now = bpf_ktime_get_boot_ns();
	if (now > enforce_heartbeat_ns && now - enforce_heartbeat_ns > enforce_deadline_ns) {
		count(SW_CNT_ENFORCE_STALE);
		return 0;
	}
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return 0;
	ret = enforce_file_decision(file, inode, scope, sc);
	if (ret)
		count(SW_CNT_ENFORCE_DENIED);
	return ret;
}

/*
 * The tracepoint object (exec.bpf.c): sched_process_exec runs after the point
 * of no return, so an exec cannot fail there any more. A memfd exec (which no
 * fanotify mark reaches: the fanotify backend cannot deny it) in an enforced
 * scope is killed instead: SIGKILL from bpf_send_signal() is delivered on the
 * way back to userspace, before the first instruction of the new image.
 * Same exemptions and heartbeat as enforce_decide(). True when killed.
 */
#define SIGKILL 9
static __always_inline bool enforce_kill_memfd(struct sw_exec_event *e, struct task_struct *task)
{
	const struct sw_enforce_scope *sc;
	__u64 scope, zero = 0, now;

	if (!enforce_on || !(e->flags & SW_EF_MEMFD) || e->tgid == enforce_tgid ||
	    e->ppid == enforce_tgid)
		return false;
	scope = e->scope;
	sc = bpf_map_lookup_elem(&enforce_scopes, &scope);
	if (!sc)
		sc = bpf_map_lookup_elem(&enforce_scopes, &zero);
	if (!sc || sc->mode != SW_KMODE_ENFORCE)
		return false;
	now = bpf_ktime_get_boot_ns();
	if (now > enforce_heartbeat_ns && now - enforce_heartbeat_ns > enforce_deadline_ns) {
		count(SW_CNT_ENFORCE_STALE);
		return false;
	}
	if (bpf_send_signal(SIGKILL))
		return false;
	count(SW_CNT_ENFORCE_DENIED);
	e->flags |= SW_EF_DENIED;
	return true;
}

#endif /* SW_ENFORCE_BPF_H */

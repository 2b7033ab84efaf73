/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one definition of what the BPF programs send to userspace over the
 * ring buffer, and of the per-CPU counters. Included by the bpf/ programs (after
 * vmlinux.h) and by userspace (it includes <linux/types.h> then). Every field is
 * naturally aligned, padding is explicit, and userspace asserts the sizes
 * (bpf_loader.c) so that both sides always agree.
 */
#ifndef SW_EVENTS_H
#define SW_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* BPF programs get __u32 & co from vmlinux.h */
#endif

#define SW_COMM_LEN 16
#define SW_CGROUP_NAME_LEN 128
#define SW_FILENAME_LEN 256

enum sw_event_type {
	SW_EVENT_EXEC = 1, /* a successful execve/execveat */
	SW_EVENT_MMAP_EXEC = 2, /* reserved: executable file mapping (issue 4) */
	SW_EVENT_OPEN_WRITE = 3, /* reserved: write-open of a file (issue 4) */
};

enum sw_event_flags {
	SW_EF_DELETED = 1 << 0, /* the executed inode has nlink == 0 */
	SW_EF_MEMFD = 1 << 1, /* a memfd: "memfd:*" on shmem/hugetlbfs (not /dev/shm) */
	SW_EF_OVERLAY = 1 << 2, /* the executed file is on overlayfs */
	SW_EF_OVERLAY_UPPER = 1 << 3, /* ... and in the upper (writable) layer */
	SW_EF_UPPER_KNOWN = 1 << 4, /* SW_EF_OVERLAY_UPPER was determined */
	SW_EF_SCRIPT = 1 << 5, /* bprm->interp differs from bprm->filename (#!) */
	SW_EF_FILENAME_TRUNC = 1 << 6, /* filename or interp did not fit */
	SW_EF_CGROUP_V1 = 1 << 7, /* cgroup_name came from a v1 hierarchy */
	SW_EF_FALLBACK_TP = 1 << 8, /* sent by the tp/sched fallback (no linux_binprm) */
	SW_EF_LSM = 1 << 9, /* sent by a BPF LSM program (bpf/lsm.bpf.c) */
	/*
	 * the name of the file the event is about is its absolute path from
	 * bpf_d_path() (in the task's root), not the name the task used: for
	 * SW_EVENT_EXEC the interp field of a script, else filename; for the
	 * other types filename
	 */
	SW_EF_DPATH = 1 << 10,
};

/*
 * Identity of an inode as the kernel saw it: the values fstat() of
 * /proc/PID/exe reports (on overlayfs: the overlay inode, see bpf/exec.bpf.c).
 * dev is the kernel's internal dev_t (MAJOR << 20 | MINOR), not the userspace
 * encoding: compare with major(st_dev) << 20 | minor(st_dev).
 */
struct sw_file_id {
	__u64 ino;
	__u64 size;
	__s64 ctime_sec;
	__u32 ctime_nsec;
	__u32 dev;
	__u32 nlink;
	__u32 pad;
};

struct sw_exec_event {
	__u32 type; /* enum sw_event_type */
	__u32 flags; /* enum sw_event_flags */
	__u64 boot_ns; /* bpf_ktime_get_boot_ns() */
	__u32 pid; /* thread id */
	__u32 tgid; /* process id */
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 mntns; /* mount namespace inode number */
	__u64 cgroup_id; /* cgroup v2 id (bpf_get_current_cgroup_id) */
	struct sw_file_id file; /* the file the kernel runs (the interpreter for #!) */
	char comm[SW_COMM_LEN];
	char cgroup_name[SW_CGROUP_NAME_LEN]; /* leaf name: libpod-<id>, docker-<id>.scope, … */
	char filename[SW_FILENAME_LEN]; /* bprm->filename as given to execve */
	char interp[SW_FILENAME_LEN]; /* with SW_EF_SCRIPT: bprm->interp, else "" */
};

/* Per-CPU counters (array map "counters", one __u64 slot each). */
enum sw_counter {
	SW_CNT_EVENTS, /* events submitted */
	SW_CNT_RINGBUF_FULL, /* bpf_ringbuf_reserve failed: event lost */
	SW_CNT_READ_FAIL, /* a bpf_probe_read_* / CO-RE read failed */
	SW_CNT_NO_FILE, /* exec without a readable file (should not happen) */
	SW_CNT__MAX,
};

#endif

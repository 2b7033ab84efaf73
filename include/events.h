/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one definition of what the BPF programs send to userspace over the
 * ring buffer, and of the per-CPU counters. Included by the bpf/ programs (after
 * vmlinux.h) and by userspace (it includes <linux/types.h> then). Every field is
 * naturally aligned, padding is explicit, and the sizes and offsets are
 * asserted at the end of this file, on both sides, so that they always agree
 * (docs/architecture.md, "The kernel/user ABI").
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
	SW_EVENT_MMAP_EXEC = 2, /* mmap/mprotect with PROT_EXEC of a file (addr, len, fd) */
	SW_EVENT_OPEN_WRITE = 3, /* a successful open for writing, O_TRUNC or O_CREAT */
	SW_EVENT_SCRIPT_OPEN =
		4, /* an interpreter (list in map "interpreters") read-opens a file */
	SW_EVENT_UNLINK = 5, /* a successful unlink/unlinkat/rmdir of filename (no file id) */
	SW_EVENT_RENAME = 6, /* a successful rename*: interp → filename (no file id) */
	SW_EVENT_TRUNCATE = 7, /* a successful truncate(path) (no file id) */
	SW_EVENT_READ_OPEN = 8, /* a read-open of a path under a verified prefix (read_prefixes) */
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
	/*
	 * filename holds the dentry names of the file from the leaf up, each
	 * NUL-terminated ("libc.so.6\0lib\0usr\0"): the path where there is
	 * no user string and no bpf_d_path() (mmap_exec from tracepoints and
	 * file_mprotect, the LSM path hooks; for rename interp holds the old
	 * path's names too). With SW_EF_PATH_TOP the walk, crossing mount
	 * points, reached the task's root (all walks of the event did);
	 * without it the path is partial or outside that root.
	 */
	SW_EF_PATH_DENTRY = 1 << 11,
	SW_EF_PATH_TOP = 1 << 12,
	SW_EF_MPROTECT = 1 << 13, /* mmap_exec from mprotect(PROT_EXEC), not mmap */
	SW_EF_NO_FILE_ID = 1 << 14, /* file is not filled (unlink, rename, truncate) */
	/*
	 * SW_EVENT_EXEC from the tracepoints, not a script: interp holds the
	 * dentry walk of the executed file (as SW_EF_PATH_DENTRY describes;
	 * SW_EF_PATH_TOP when it reached the task's root). The daemon's way
	 * to the file when the process is gone before it opened /proc/PID/exe
	 * and the name given to execve does not lead there (/proc/self/exe, a
	 * relative path, a symlink since removed).
	 */
	SW_EF_EXE_DENTRY = 1 << 15,
	/*
	 * open_write, script_open, read_open from the tracepoints: interp holds
	 * the dentry walk of the file opened (as SW_EF_PATH_DENTRY describes;
	 * SW_EF_PATH_TOP when it reached the task's root): its real path in
	 * the task's root, symlinked directories, "..", dirfds and volumes
	 * resolved by the kernel, and known even when the process is gone
	 * before the daemon reads /proc/PID/fd.
	 */
	SW_EF_OPEN_DENTRY = 1 << 16,
	/*
	 * open_write on the host of a file under one of storage_roots (a
	 * runtime's image layer store, e.g. /var/lib/containers/storage/overlay):
	 * a write into an image's layer files behind overlay's back.
	 */
	SW_EF_NODE_STORAGE = 1 << 17,
	/*
	 * unlink/truncate/rename from the tracepoints with a relative path:
	 * dir_dentries holds the dentry walk of the directory it is relative to (the cwd, or
	 * the dirfd's directory), as SW_EF_PATH_DENTRY describes (SW_EF_PATH_TOP
	 * when it reached the task's root): known even when the process is
	 * gone before the daemon reads /proc/PID/cwd.
	 */
	SW_EF_DIR_DENTRY = 1 << 18,
	/*
	 * rename from the tracepoints, unless both paths are absolute: two
	 * events, one per path, each with its directory's walk when relative;
	 * this one's filename is the old path (fd its dirfd), the other's the
	 * new path (and old_path empty).
	 */
	SW_EF_RENAME_OLD = 1 << 19,
	/*
	 * open_write/unlink/rename submitted through io_uring (no syscall
	 * tracepoint sees those): sent when the request is submitted, before
	 * it runs (it may still fail); the path as given, with its directory's
	 * walk when relative.
	 */
	SW_EF_IOURING = 1 << 20,
	/*
	 * open_write by a host process of a file whose mount belongs to another
	 * mount namespace (a container's root reached through /proc/PID/root,
	 * an fd passed out of a container): file_mntns names it, the daemon
	 * judges the write against that container's baseline.
	 */
	SW_EF_FOREIGN_MOUNT = 1 << 21,
	/*
	 * a dentry walk that ended at the root of its mount namespace, not at
	 * the task's root: with SW_EF_FOREIGN_MOUNT, the file's path in that
	 * namespace (ignored everywhere else)
	 */
	SW_EF_PATH_NS_TOP = 1 << 22,
	/*
	 * the BPF LSM prevention backend (bpf/enforce.bpf.h) denied this exec
	 * (lsm/bprm_check_security) or mapping with EPERM: filename is the
	 * d_path of the file refused (for an exec the process still runs its
	 * old image: /proc/PID/exe is not that file). From the tracepoint
	 * object: a memfd exec in an enforced scope, killed (SIGKILL) before
	 * its new image ran (enforce_kill_memfd)
	 */
	SW_EF_DENIED = 1 << 23,
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
	/* one field, three meanings: which one the type and flags say */
	union {
		char interp[SW_FILENAME_LEN]; /* exec with SW_EF_SCRIPT: bprm->interp */
		char old_path[SW_FILENAME_LEN]; /* rename: the old path (or its dentry walk) */
		/* exec with SW_EF_EXE_DENTRY: the dentry walk of the executed file */
		char exe_dentries[SW_FILENAME_LEN];
		/* open_write, script_open, read_open (SW_EF_OPEN_DENTRY): the opened file's walk */
		char open_dentries[SW_FILENAME_LEN];
		/*
		 * unlink, truncate, rename (SW_EF_DIR_DENTRY): the walk of the
		 * directory a relative path is in
		 */
		char dir_dentries[SW_FILENAME_LEN];
	};
	/*
	 * Scope of the in-kernel verdict cache: the mount namespace's 64-bit id
	 * (never reused; its inode number when the kernel has no ns_id).
	 */
	__u64 scope;
	__u64 addr; /* mmap_exec: start of the mapping (map_files name) */
	__u64 len; /* mmap_exec: its length, page-aligned */
	__s32 fd; /* mmap_exec: the mapped fd; open/unlink/rename/truncate: the dirfd */
	__s32 fd2; /* open_write/script_open: the returned fd; rename: the old dirfd */
	__u32 open_flags; /* open_write/script_open: the open flags */
	/*
	 * the task's user namespace inode: the daemon maps file owners into it
	 * (a container with its own user namespace sees other IDs than the host)
	 */
	__u32 userns;
	/*
	 * the task's root directory (fs->root): its inode and its filesystem's
	 * dev_t (kernel encoding). The daemon finds files of a process that is
	 * gone through the root of another live process with the same mount
	 * namespace and root (a chroot is another root).
	 */
	__u64 root_ino;
	__u32 root_dev;
	/* open_write with SW_EF_FOREIGN_MOUNT: the mount namespace of the file's mount */
	__u32 file_mntns;
};

/*
 * In-kernel verdict cache (map "kcache", LRU hash): files the daemon verified
 * ok. Keyed by inode so that a write-open can remove it at once; the value
 * holds what makes the verdict valid: the identity (ctime changes on every
 * write, truncate, chmod, link and rename, and cannot be set from userspace)
 * and the scopes (struct sw_exec_event.scope) it was verified in.
 */
#define SW_KCACHE_SCOPES 6
struct sw_kcache_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

/*
 * The directories of the runtimes' layer stores (rodata "storage_roots", set
 * before load): a host write-open of a file below one becomes an event
 * (SW_EF_NODE_STORAGE). Same key as the cache: inode and kernel dev_t.
 * ino 0: empty slot.
 */
#define SW_MAX_STORAGE_ROOTS 6

struct sw_kcache_val {
	__s64 ctime_sec;
	__u64 size;
	__u32 ctime_nsec;
	__u32 n_scopes;
	__u64 scopes[SW_KCACHE_SCOPES];
};

/*
 * Map "interpreters" (array, SW_MAX_INTERPRETERS slots, written by the daemon
 * before attach): a task whose comm equals name (prefix: starts with its first
 * len bytes) is an interpreter; its read-opens become SW_EVENT_SCRIPT_OPEN.
 * len 0: empty slot.
 */
#define SW_MAX_INTERPRETERS 16

/*
 * Read-verified paths (config verify_read_paths): the literal prefix of each
 * glob, up to its first wildcard. A read-open whose path argument starts with
 * one (absolute paths only) becomes SW_EVENT_READ_OPEN; the daemon matches
 * the full glob. len 0: empty slot.
 */
#define SW_MAX_READ_PREFIXES 8
#define SW_READ_PREFIX_LEN 64
struct sw_read_prefix {
	char prefix[SW_READ_PREFIX_LEN];
	__u32 len;
	__u32 pad;
};
struct sw_interp {
	char name[SW_COMM_LEN];
	__u32 len;
	__u32 prefix;
};

/*
 * Prevention in the kernel: the BPF LSM backend (bpf/enforce.bpf.h,
 * docs/enforce.md). Two maps and four .bss words, all written by the daemon
 * (userspace/kernel/kenforce.c), read by the exec and mapping hooks.
 *
 * Map "enforce_scopes" (hash): scope (struct sw_exec_event.scope, the mount
 * namespace's id) → struct sw_enforce_scope, filled as the daemon resolves
 * processes to scopes; key 0 is the default for a scope not (yet) in the map.
 *
 * Map "enforce_files" (LRU hash): struct sw_enforce_key (inode in a scope) →
 * struct sw_enforce_val: the daemon's decision on that exact file, valid
 * while ctime (sec, nsec) and size are the same. ctime, not mtime or
 * i_version: the kernel sets it on every write, truncate, chmod, chown, link
 * and rename, userspace cannot set it (utimensat() sets mtime), and every
 * filesystem keeps it (i_version is not kept by all). The LSM object reads the
 * overlay inode's own copy (bpf/event.bpf.h, SW_LSM_OBJECT).
 */
enum sw_kmode {
	SW_KMODE_MONITOR = 0,
	SW_KMODE_AUDIT = 1,
	SW_KMODE_ENFORCE = 2,
};

struct sw_enforce_scope {
	__u32 mode; /* enum sw_kmode */
	__u32 strict; /* 1: a file with no decision yet (a miss) is denied, else allowed */
};

enum sw_kdecision {
	SW_KDEC_ALLOW = 1, /* verified ok in this scope */
	SW_KDEC_DENY = 2, /* the baseline refuses it in this scope */
};

struct sw_enforce_key {
	__u64 ino;
	__u64 scope;
	__u32 dev; /* kernel dev_t */
	__u32 pad;
};

struct sw_enforce_val {
	__s64 ctime_sec;
	__u64 size;
	__u32 ctime_nsec;
	__u32 decision; /* enum sw_kdecision */
};

/* Per-CPU counters (array map "counters", one __u64 slot each). */
/*
 * The BPF programs' per-CPU counters (map "counters", indexed by enum
 * sw_counter), each defined here once: X(ID, name in `sealwatch trace`,
 * metric family, its help). The enum, the trace names and the metrics are
 * all generated from this list.
 */
#define SW_COUNTERS(X)                                                                          \
	X(EVENTS, "events", "sealwatch_kernel_events_total",                                    \
	  "Events the BPF programs submitted to the ring buffer.")                              \
	X(RINGBUF_FULL, "ringbuf_full", "sealwatch_kernel_dropped_events_total",                \
	  "Events lost in the kernel because the ring buffer was full.")                        \
	X(READ_FAIL, "read_fail", "sealwatch_kernel_read_failures_total",                       \
	  "Kernel memory reads that failed in the BPF programs (fields left empty).")           \
	X(NO_FILE, "no_file", "sealwatch_kernel_no_file_total",                                 \
	  "Execs the BPF programs saw without a readable file.")                                \
	X(KCACHE_HIT, "kcache_hit", "sealwatch_kernel_cache_hits_total",                        \
	  "Execs, mappings and script opens of files verified ok that the in-kernel cache "     \
	  "kept from userspace.")                                                               \
	X(KCACHE_INVALIDATE, "kcache_invalidate", "sealwatch_kernel_cache_invalidations_total", \
	  "Write-opens and truncations that removed a file from the in-kernel cache.")          \
	X(PENDING_FULL, "pending_full", "sealwatch_kernel_pending_overflows_total",             \
	  "Syscall enter states (mmap, open, path operations) that did not fit: such a call "   \
	  "is not reported.")                                                                   \
	X(ENFORCE_DENIED, "enforce_denied", "sealwatch_kernel_enforce_denied_total",            \
	  "Execs and executable mappings the BPF LSM prevention backend denied (EPERM).")       \
	X(ENFORCE_MISS, "enforce_miss", "sealwatch_kernel_enforce_misses_total",                \
	  "Execs and mappings in an enforced scope of a file the daemon had not decided yet "   \
	  "(the scope's fallback: deny when strict, else allow).")                              \
	X(ENFORCE_STALE, "enforce_stale", "sealwatch_kernel_enforce_stale_total",               \
	  "Execs and mappings allowed because the daemon's heartbeat was older than the "       \
	  "deadline (a stopped or hung daemon).")

enum sw_counter {
#define SW_COUNTER_ENUM(id, name, metric, help) SW_CNT_##id,
	SW_COUNTERS(SW_COUNTER_ENUM)
#undef SW_COUNTER_ENUM
		SW_CNT__MAX,
};

/*
 * The contract, checked wherever this header is compiled (BPF objects and
 * userspace): fixed sizes, 8-byte multiples, the offsets the other side reads.
 */
_Static_assert(sizeof(struct sw_file_id) == 40, "sw_file_id layout");
_Static_assert(__builtin_offsetof(struct sw_file_id, ctime_sec) == 16, "sw_file_id layout");
_Static_assert(__builtin_offsetof(struct sw_file_id, dev) == 28, "sw_file_id layout");
_Static_assert(__builtin_offsetof(struct sw_file_id, pad) == 36, "sw_file_id layout");
_Static_assert(sizeof(struct sw_exec_event) == 800, "sw_exec_event layout");
_Static_assert(sizeof(struct sw_exec_event) % 8 == 0, "sw_exec_event size");
_Static_assert(__builtin_offsetof(struct sw_exec_event, boot_ns) == 8, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, mntns) == 36, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, cgroup_id) == 40, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, file) == 48, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, comm) == 88, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, cgroup_name) == 104,
	       "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, filename) == 232, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, interp) == 488, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, scope) == 744, "sw_exec_event layout");
_Static_assert(__builtin_offsetof(struct sw_exec_event, fd) == 768, "sw_exec_event layout");
_Static_assert(sizeof(struct sw_kcache_key) == 16, "sw_kcache_key layout");
_Static_assert(sizeof(struct sw_kcache_val) == 72, "sw_kcache_val layout");
_Static_assert(sizeof(struct sw_interp) == 24, "sw_interp layout");
_Static_assert(sizeof(struct sw_read_prefix) == 72, "sw_read_prefix layout");
_Static_assert(sizeof(struct sw_enforce_scope) == 8, "sw_enforce_scope layout");
_Static_assert(sizeof(struct sw_enforce_key) == 24, "sw_enforce_key layout");
_Static_assert(__builtin_offsetof(struct sw_enforce_key, dev) == 16, "sw_enforce_key layout");
_Static_assert(sizeof(struct sw_enforce_val) == 24, "sw_enforce_val layout");
_Static_assert(__builtin_offsetof(struct sw_enforce_val, decision) == 20, "sw_enforce_val layout");

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The syscall tracepoints' enter → exit state of opens and path operations
 * (exec_open.bpf.c, exec_path.bpf.c): what sys_enter saw, kept per thread
 * for the sys_exit that knows whether the call worked. Include after
 * event.bpf.h.
 */
#ifndef SW_PENDING_BPF_H
#define SW_PENDING_BPF_H

#include "event.bpf.h"

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

SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct path_op);
} path_pending SEC(".maps");

SW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_op);
} path_scratch SEC(".maps");

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

#endif /* SW_PENDING_BPF_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opens from the BPF LSM hook lsm/file_open (part of the lsm_bpf object, see
 * lsm.bpf.c). The decisions are the open tracepoints' (exec_open.bpf.c):
 * doors.bpf.h.
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
	__u32 kind, node = 0, fns = 0;

	if (ret)
		return ret;
	kind = open_kind((f_mode & FMODE_WRITE) || (f_flags & O_TRUNC));
	if (!kind)
		return ret;
	if (kind == SW_EVENT_OPEN_WRITE ? !open_write_reported(file, &node, &fns) :
					  !open_read_reported(file, task_scope(task)))
		return ret;
	/* a read-open outside the verified prefixes costs no ring buffer space */
	if (kind == SW_EVENT_READ_OPEN && !read_open_wanted(file))
		return ret;
	e = event_reserve(kind);
	if (!e)
		return ret;
	e->flags = SW_EF_LSM | node;
	fill_file(e, file);
	read_file_path(e, file);
	fill_task(e, task);
	e->file_mntns = fns;
	e->interp[0] = '\0';
	e->fd = AT_FDCWD; /* the path is absolute in the task's root */
	e->open_flags = f_flags;
	event_submit(e);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* What the LSM program files (lsm*.bpf.c) share beyond doors.bpf.h. Include after it. */
#ifndef SW_LSM_BPF_H
#define SW_LSM_BPF_H

#include "event.bpf.h"
#include "doors.bpf.h"

/* include/linux/fs.h */
#define FMODE_WRITE 0x2
#define AT_FDCWD -100

/*
 * bpf_d_path() of @file into e->filename; when it fails (a path longer than
 * the buffer) the dentry walk, which flags what it could not do.
 */
static __always_inline void read_file_path(struct sw_exec_event *e, struct file *file)
{
	long n;

	/* f_path is const in newer vmlinux.h; the helper only reads it */
	n = bpf_d_path((struct path *)&file->f_path, e->filename, sizeof(e->filename));
	if (n > 0) {
		e->flags |= SW_EF_DPATH;
		return;
	}
	count(SW_CNT_READ_FAIL);
	read_dentry_path(e, (struct task_struct *)bpf_get_current_task(), file);
}

#endif /* SW_LSM_BPF_H */

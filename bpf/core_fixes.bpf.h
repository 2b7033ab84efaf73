/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CO-RE fixes: kernel structs whose layout changed between releases. Each
 * "___flavor" struct names the fields as an older (or optional) kernel had
 * them; libbpf matches it by the name before "___" and relocates the
 * accesses, and bpf_core_field_exists()/bpf_core_type_exists() pick the
 * variant the running kernel has at load time. Include after vmlinux.h.
 */
#ifndef SW_CORE_FIXES_BPF_H
#define SW_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * linux >= 6.11: "fs: switch timespec64 fields in inode to discrete integers"
 * (a flavor too, so this builds against any vmlinux.h)
 */
struct inode___post611 {
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

/* linux 6.6-6.10: "fs: rename i_ctime field to __i_ctime" */
struct inode___pre611 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

/* linux <= 6.5: the original field */
struct inode___pre66 {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

/*
 * linux 6.13 (multigrain timestamps, "fs: add infrastructure for multigrain
 * timestamps") keeps I_CTIME_QUERIED in bit 31 of i_ctime_nsec;
 * inode_get_ctime_nsec() masks it. A valid tv_nsec is < 2^30, so masking is
 * harmless on every kernel.
 */
#define SW_I_CTIME_QUERIED (1U << 31)

/*
 * The inode's ctime (seconds, nanoseconds), whichever way the kernel stores it:
 * linux 6.11 ("fs: switch timespec64 fields in inode to discrete integers")
 * split it into i_ctime_sec/i_ctime_nsec; 6.6-6.10 have the timespec64
 * __i_ctime; older kernels i_ctime. Returns 0 or a negative error.
 */
static __always_inline int inode_read_ctime(const struct inode *inode, __s64 *sec, __u32 *nsec)
{
	int err;

	if (bpf_core_field_exists(((struct inode___post611 *)inode)->i_ctime_sec)) {
		const struct inode___post611 *in = (const void *)inode;
		__u32 ns = 0;

		err = bpf_core_read(sec, sizeof(*sec), &in->i_ctime_sec);
		err = err ?: bpf_core_read(&ns, sizeof(ns), &in->i_ctime_nsec);
		*nsec = ns & ~SW_I_CTIME_QUERIED;
		return err;
	}

	struct timespec64 ts = {};

	if (bpf_core_field_exists(((struct inode___pre611 *)inode)->__i_ctime))
		err = bpf_core_read(&ts, sizeof(ts), &((struct inode___pre611 *)inode)->__i_ctime);
	else
		err = bpf_core_read(&ts, sizeof(ts), &((struct inode___pre66 *)inode)->i_ctime);
	*sec = ts.tv_sec;
	*nsec = (__u32)ts.tv_nsec & ~SW_I_CTIME_QUERIED;
	return err;
}

/*
 * overlayfs' private inode (fs/overlayfs/ovl_entry.h). Since linux 4.13 ("ovl:
 * move __upperdentry to ovl_inode") it holds __upperdentry: the upper-layer dentry, NULL while the file only exists in a
 * lower layer. The type is in vmlinux BTF when overlay is built in and in the
 * "overlay" module's BTF otherwise (libbpf searches module BTF for CO-RE
 * candidates); without either, bpf_core_type_exists() is false and the upper
 * flag stays unknown.
 */
struct ovl_inode___sw {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
	struct ovl_entry___sw *oe;
} __attribute__((preserve_access_index));

/*
 * The lower stack of an overlay inode: linux 6.5 ("ovl: move ovl_entry into
 * ovl_inode") put it in ovl_inode->oe; before, it hung off the dentry
 * (d_fsdata) and the lower inode is not looked for (the overlay inode's copy
 * of the times is used, as before).
 */
struct ovl_path___sw {
	const void *layer;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct ovl_entry___sw {
	unsigned int __numlower;
	struct ovl_path___sw __lowerstack[0];
} __attribute__((preserve_access_index));

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Executable mappings from BPF LSM hooks (part of the lsm_bpf object, see
 * lsm.bpf.c): lsm/mmap_file, lsm/file_mprotect. The tracepoint flavour:
 * exec_mmap.bpf.c.
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
#include "enforce.bpf.h"

/*
 * Every mmap() of a file with PROT_EXEC: shared libraries, dlopen(), the ELF
 * loader's own maps of the binary and its interpreter, code loaded by hand.
 * @prot is what the kernel will map (READ_IMPLIES_EXEC applied); anonymous
 * maps have no file. The mapping does not exist yet (no address): the daemon
 * opens the file by its d_path in the task's root and checks its identity.
 * Prevention (enforce.bpf.h) may deny it: the event then says so (SW_EF_DENIED).
 */
SEC("lsm/mmap_file")
int BPF_PROG(sw_lsm_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;
	int deny;

	if (ret || !file || !(prot & PROT_EXEC))
		return ret;
	deny = enforce_decide(file, task);
	if (!deny && kcache_ok(file, task_scope(task)))
		return ret;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return deny;
	e->flags = SW_EF_LSM | (deny ? SW_EF_DENIED : 0);
	fill_task(e, task);
	fill_file(e, file);
	read_file_path(e, file);
	e->interp[0] = '\0';
	event_submit(e);
	return deny;
}

/*
 * mprotect(PROT_EXEC) of a file mapping that was not executable: code
 * written into a private file mapping, or a library mapped read-only first.
 * The vma exists: the daemon opens it through /proc/PID/map_files.
 */
SEC("lsm/file_mprotect")
int BPF_PROG(sw_lsm_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sw_exec_event *e;
	struct file *file;
	int deny;

	if (ret || !(prot & PROT_EXEC) || (BPF_CORE_READ(vma, vm_flags) & VM_EXEC))
		return ret;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file)
		return ret;
	deny = enforce_decide(file, task);
	if (!deny && kcache_ok(file, task_scope(task)))
		return ret;
	e = event_reserve(SW_EVENT_MMAP_EXEC);
	if (!e)
		return deny;
	e->flags = SW_EF_LSM | SW_EF_MPROTECT | (deny ? SW_EF_DENIED : 0);
	fill_task(e, task);
	fill_file(e, file);
	read_dentry_path(e, task, file);
	e->interp[0] = '\0';
	e->addr = BPF_CORE_READ(vma, vm_start);
	e->len = BPF_CORE_READ(vma, vm_end) - e->addr;
	event_submit(e);
	return deny;
}

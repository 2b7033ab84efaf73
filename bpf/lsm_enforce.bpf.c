// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prevention of execs, BPF LSM backend (part of the lsm_bpf object, see
 * lsm.bpf.c; the decision: enforce.bpf.h). lsm/bprm_check_security runs
 * before the point of no return, once per binfmt pass: for a #! script first
 * with bprm->file the script, then with its interpreter; a denial makes
 * execve() fail with EPERM and the caller keeps running its own image.
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
 * A denied exec becomes an SW_EVENT_EXEC with SW_EF_DENIED: filename the
 * d_path of the refused file (bprm_check_security is on 6.1's sleepable-hook
 * list, so bpf_d_path() is allowed), identity the file's. Allowed execs send
 * nothing here: bprm_committed_creds reports them.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(sw_lsm_enforce_exec, struct linux_binprm *bprm, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *file = bprm->file;
	struct sw_exec_event *e;
	int deny;

	if (ret || !file)
		return ret;
	deny = enforce_decide(file, task);
	if (!deny)
		return 0;
	e = event_reserve(SW_EVENT_EXEC);
	if (!e)
		return deny;
	e->flags = SW_EF_LSM | SW_EF_DENIED;
	fill_task(e, task);
	fill_file(e, file);
	read_file_path(e, file);
	e->interp[0] = '\0';
	event_submit(e);
	return deny;
}

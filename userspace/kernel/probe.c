// SPDX-License-Identifier: GPL-2.0-only
/* probe.c: what this kernel allows, asked before anything is loaded (loader_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "loader_internal.h"
#include "log.h"

/* libbpf's output → the log module. */
static bool libbpf_verbose;
/* during the tp_btf trial a failure is expected: its warnings become debug */
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum sw_log_level to = SW_LOG_DEBUG;
	char *text, *line, *save = NULL;

	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (level == LIBBPF_WARN && !libbpf_quiet)
		to = SW_LOG_WARN;
	if (to > log_get_level())
		return 0;
	/* one call may carry a whole verifier log: one log line per line */
	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(to, "%s", line);
	free(text);
	return 0;
}

void loader_log_setup(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

void loader_log_quiet(bool quiet)
{
	libbpf_quiet = quiet;
}

/* CAP_BPF + CAP_PERFMON (5.8+) or CAP_SYS_ADMIN in the effective set. */
bool loader_privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = (__u64)data[1].effective << 32 | data[0].effective;
#define HAS(cap) (eff & (1ULL << (cap)))
	return HAS(CAP_SYS_ADMIN) || (HAS(CAP_BPF) && HAS(CAP_PERFMON));
#undef HAS
}

/*
 * Can tp_btf/sched_process_exec work? Only a cheap negative answer here: the
 * trial load decides. (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING)
 * loads an fentry-style program: it says "no" on kernels that refuse
 * trampolines yet run tp_btf, such as the 6.18 hosts in ENVIRONMENT.md.)
 */
bool loader_tp_btf_possible(const char **why)
{
	if (libbpf_find_vmlinux_btf_id("sched_process_exec", BPF_TRACE_RAW_TP) < 0) {
		*why = "no btf_trace_sched_process_exec in the kernel's BTF";
		return false;
	}
	return true;
}

/* libbpf finds tracepoint ids in tracefs: make sure one is reachable. */
int loader_ensure_tracefs(struct bpf_loader *l, struct sw_error *err)
{
	if (!access(TRACEFS "/events", F_OK) || !access(DEBUGFS_TRACING "/events", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return sw_error_set(err, -errno, "mount tracefs on %s: %s", TRACEFS,
				    strerror(errno));
	l->mounted_tracefs = true;
	log_info("mounted tracefs on %s (needed by %s)", TRACEFS, loader_mode_names[BPF_LOADER_TP]);
	return 0;
}

/*
 * Is "bpf" in the active LSM list? Without it LSM programs load and attach
 * and are never called (ENVIRONMENT.md): a successful trial load proves
 * nothing. securityfs is mounted for the look when it is not, and unmounted.
 */
bool loader_lsm_bpf_active(const char **why)
{
	char buf[512], *tok, *save = NULL;
	bool mounted = false, found = false;
	ssize_t n = -1;
	int fd;

	fd = open(ACTIVE_LSMS, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !mount("securityfs", SECURITYFS, "securityfs", 0, NULL)) {
		mounted = true;
		fd = open(ACTIVE_LSMS, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (mounted)
		umount2(SECURITYFS, UMOUNT_NOFOLLOW);
	if (n < 0) {
		*why = "cannot read " ACTIVE_LSMS;
		return false;
	}
	buf[n] = '\0';
	for (tok = strtok_r(buf, ",\n", &save); tok && !found; tok = strtok_r(NULL, ",\n", &save))
		found = !strcmp(tok, "bpf");
	if (!found)
		*why = "\"bpf\" is not an active LSM (boot with lsm=...,bpf)";
	return found;
}

/* Does this kernel have the LSM hook @name (its bpf_lsm_<name> stub in BTF)? */
bool loader_lsm_hook_exists(const struct btf *btf, const char *name)
{
	char fn[64];

	snprintf(fn, sizeof(fn), "bpf_lsm_%s", name);
	return !btf || btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0;
}

bool loader_btf_struct_exists(const char *btf_path, const char *name)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
	btf__free(btf);
	return found;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Load, attach and read the exec BPF programs (include/bpf_loader.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "errors.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "exec.skel.h"
#include "lsm.skel.h"

/* The contract with bpf/exec.bpf.c: fixed sizes, 8-byte multiples. */
_Static_assert(sizeof(struct sw_file_id) == 40, "sw_file_id layout");
_Static_assert(offsetof(struct sw_file_id, ctime_sec) == 16, "sw_file_id layout");
_Static_assert(offsetof(struct sw_file_id, dev) == 28, "sw_file_id layout");
_Static_assert(offsetof(struct sw_file_id, pad) == 36, "sw_file_id layout");
_Static_assert(sizeof(struct sw_exec_event) == 784, "sw_exec_event layout");
_Static_assert(sizeof(struct sw_exec_event) % 8 == 0, "sw_exec_event size");
_Static_assert(offsetof(struct sw_exec_event, boot_ns) == 8, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, mntns) == 36, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, cgroup_id) == 40, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, file) == 48, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, comm) == 88, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, cgroup_name) == 104, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, filename) == 232, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, interp) == 488, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, scope) == 744, "sw_exec_event layout");
_Static_assert(offsetof(struct sw_exec_event, fd) == 768, "sw_exec_event layout");
_Static_assert(sizeof(struct sw_kcache_key) == 16, "sw_kcache_key layout");
_Static_assert(sizeof(struct sw_kcache_val) == 72, "sw_kcache_val layout");
_Static_assert(sizeof(struct sw_interp) == 24, "sw_interp layout");
_Static_assert(sizeof(struct sw_read_prefix) == 72, "sw_read_prefix layout");

#define DEFAULT_RINGBUF_BYTES (8UL << 20)
#define MAX_RINGBUF_BYTES (1UL << 30)
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define SECURITYFS "/sys/kernel/security"
#define ACTIVE_LSMS SECURITYFS "/lsm"

struct bpf_loader {
	struct exec_bpf *skel; /* tp_btf and tp modes */
	struct lsm_bpf *lsm; /* lsm mode */
	struct bpf_map *events_map, *counters_map; /* of whichever is loaded */
	struct ring_buffer *rb;
	bpf_loader_event_fn on_event;
	void *ctx;
	enum bpf_loader_mode mode;
	__u64 bad_records;
	/* read-only views of the ring buffer's position pages */
	const volatile unsigned long *consumer_pos;
	const volatile unsigned long *producer_pos;
	size_t page_size;
	unsigned long ringbuf_bytes;
	unsigned long fill_peak; /* most bytes seen waiting since the last sample (atomic) */
	unsigned long records;
	bool mounted_tracefs;
	bool published; /* sealwatch_attach_info set for mode */
	bool doors_failed; /* the kernel refused the file doors: exec only */
	bool use_kcache;
	/* the loaded object's map kcache and its use_kcache switch (.data, mmap'ed) */
	struct bpf_map *kcache_map;
	bool *kcache_switch;
};

static const char *const mode_names[] = {
	[BPF_LOADER_TP_BTF] = "tp_btf/sched_process_exec",
	[BPF_LOADER_TP] = "tp/sched/sched_process_exec",
	[BPF_LOADER_LSM] = "lsm/bprm_committed_creds",
};

static const char *const mode_short_names[] = {
	[BPF_LOADER_TP_BTF] = "tp_btf",
	[BPF_LOADER_TP] = "tp",
	[BPF_LOADER_LSM] = "lsm",
};

static const char *const counter_names[SW_CNT__MAX] = {
	[SW_CNT_EVENTS] = "events",
	[SW_CNT_RINGBUF_FULL] = "ringbuf_full",
	[SW_CNT_READ_FAIL] = "read_fail",
	[SW_CNT_NO_FILE] = "no_file",
	[SW_CNT_KCACHE_HIT] = "kcache_hit",
	[SW_CNT_KCACHE_INVALIDATE] = "kcache_invalidate",
	[SW_CNT_PENDING_FULL] = "pending_full",
};

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

/* CAP_BPF + CAP_PERFMON (5.8+) or CAP_SYS_ADMIN in the effective set. */
static bool privileged(void)
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
static bool tp_btf_possible(const char **why)
{
	if (libbpf_find_vmlinux_btf_id("sched_process_exec", BPF_TRACE_RAW_TP) < 0) {
		*why = "no btf_trace_sched_process_exec in the kernel's BTF";
		return false;
	}
	return true;
}

/* libbpf finds tracepoint ids in tracefs: make sure one is reachable. */
static int ensure_tracefs(struct bpf_loader *l, struct sw_error *err)
{
	if (!access(TRACEFS "/events", F_OK) || !access(DEBUGFS_TRACING "/events", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return sw_error_set(err, -errno, "mount tracefs on %s: %s", TRACEFS,
				    strerror(errno));
	l->mounted_tracefs = true;
	log_info("mounted tracefs on %s (needed by %s)", TRACEFS, mode_names[BPF_LOADER_TP]);
	return 0;
}

/*
 * What the loader sets before load and reads after it, the same in either
 * object (exec.bpf.c and lsm.bpf.c share event.bpf.h and doors.bpf.h, so the
 * skeletons have the same member names): OBJECT_PARTS(skel) takes them.
 */
struct object_parts {
	struct bpf_map *events, *counters, *kcache;
	bool *use_kcache; /* .data: switched at run time */
	bool *host_scripts;
	__u32 *host_mntns;
	struct sw_interp *interpreters;
	struct sw_read_prefix *read_prefixes;
};

#define OBJECT_PARTS(skel)                                                               \
	((struct object_parts){                                                          \
		.events = (skel)->maps.events,                                           \
		.counters = (skel)->maps.counters,                                       \
		.kcache = (skel)->maps.kcache,                                           \
		.use_kcache = (bool *)&(skel)->data->use_kcache,                         \
		.host_scripts = (bool *)&(skel)->rodata->host_scripts,                   \
		.host_mntns = (__u32 *)&(skel)->rodata->host_mntns,                      \
		.interpreters = (struct sw_interp *)(skel)->rodata->interpreters,        \
		.read_prefixes = (struct sw_read_prefix *)(skel)->rodata->read_prefixes, \
	})

/*
 * Before load: the doors' configuration (bpf/doors.bpf.h: host_scripts,
 * host_mntns, the interpreters' comm names, the literal prefixes of the
 * verified read paths), the cache switch and the ring buffer's size.
 */
static int prepare_object(struct bpf_loader *l, const struct bpf_loader_opts *o, bool doors,
			  const struct object_parts *p, struct sw_error *err)
{
	struct sw_interp *interpreters = p->interpreters;
	struct sw_read_prefix *read_prefixes = p->read_prefixes;
	int ret;

	/* without the write-open doors nothing could invalidate the cache in time */
	*p->use_kcache = doors && l->use_kcache;
	*p->host_scripts = o->host_scripts;
	*p->host_mntns = o->host_mntns;
	for (size_t i = 0, n = 0; i < o->n_interpreters && n < SW_MAX_INTERPRETERS; i++) {
		const char *name = o->interpreters[i];
		size_t len = strlen(name);
		struct sw_interp *in = &interpreters[n];

		in->prefix = len && name[len - 1] == '*';
		len -= in->prefix;
		if (!len || len >= SW_COMM_LEN)
			continue; /* comm holds 15 bytes: a longer name never matches */
		memcpy(in->name, name, len);
		in->len = (__u32)len;
		n++;
	}
	for (size_t i = 0, n = 0; i < o->n_read_paths && n < SW_MAX_READ_PREFIXES; i++) {
		struct sw_read_prefix *rp = &read_prefixes[n];
		size_t len = strcspn(o->read_paths[i], "*?[");

		if (len >= SW_READ_PREFIX_LEN)
			len = SW_READ_PREFIX_LEN - 1; /* a shorter prefix only sends more */
		if (!len)
			continue;
		memcpy(rp->prefix, o->read_paths[i], len);
		rp->len = (__u32)len;
		n++;
	}
	ret = bpf_map__set_max_entries(p->events, l->ringbuf_bytes);
	if (ret)
		return sw_error_set(err, ret, "ring buffer size %lu: %s", l->ringbuf_bytes,
				    strerror(-ret));
	return 0;
}

/* After load and attach: the maps and the cache switch the loader uses. */
static void adopt_object(struct bpf_loader *l, enum bpf_loader_mode mode,
			 const struct object_parts *p)
{
	l->mode = mode;
	l->events_map = p->events;
	l->counters_map = p->counters;
	l->kcache_map = p->kcache;
	l->kcache_switch = p->use_kcache;
}

/*
 * Open, load and attach bpf/exec.bpf.c's exec program of @mode (tp_btf or
 * tp) and, with @doors, its syscall-tracepoint doors (mmap, opens, path
 * events, the in-kernel cache); on failure nothing is left.
 */
static int load_mode(struct bpf_loader *l, enum bpf_loader_mode mode,
		     const struct bpf_loader_opts *o, const char *btf_path, bool doors,
		     struct sw_error *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
	struct object_parts parts;
	struct exec_bpf *skel;
	struct bpf_link *link;
	int ret;

	skel = exec_bpf__open_opts(&open_opts);
	if (!skel) {
		ret = -errno;
		return sw_error_set(err, ret, "open BPF object: %s", strerror(-ret));
	}
	if (!doors) { /* exec only: every other program stays out */
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_autoload(prog, false);
	}
	bpf_program__set_autoload(skel->progs.sw_exec_btf, mode == BPF_LOADER_TP_BTF);
	bpf_program__set_autoload(skel->progs.sw_exec_tp, mode == BPF_LOADER_TP);
	/* mprotect(PROT_EXEC) needs bpf_find_vma (linux 5.17) from tracepoints */
	if (doors &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_find_vma, NULL) != 1) {
		bpf_program__set_autoload(skel->progs.sw_mprotect_enter, false);
		log_info("no bpf_find_vma: mprotect(PROT_EXEC) of file mappings not watched");
	}
	parts = OBJECT_PARTS(skel);
	ret = prepare_object(l, o, doors, &parts, err);
	if (ret)
		goto cleanup;
	ret = exec_bpf__load(skel);
	if (ret) {
		sw_error_set(err, ret, "load %s%s: %s", mode_names[mode],
			     doors ? " + file doors (mmap, opens, path events)" : "",
			     strerror(-ret));
		goto cleanup;
	}
	/* the syscall tracepoints (mmap, open, …) always need tracefs */
	ret = ensure_tracefs(l, err);
	if (ret)
		goto cleanup;
	link = bpf_program__attach(mode == BPF_LOADER_TP_BTF ? skel->progs.sw_exec_btf :
							       skel->progs.sw_exec_tp);
	if (!link) {
		ret = -errno;
		sw_error_set(err, ret, "attach %s: %s", mode_names[mode], strerror(-ret));
		goto cleanup;
	}
	/* the skeleton owns the link: exec_bpf__destroy() detaches it */
	if (mode == BPF_LOADER_TP_BTF)
		skel->links.sw_exec_btf = link;
	else
		skel->links.sw_exec_tp = link;
	/* the other doors (the exec link above is already set: attach skips it) */
	ret = exec_bpf__attach(skel);
	if (ret) {
		sw_error_set(err, ret, "attach syscall tracepoints: %s", strerror(-ret));
		goto cleanup;
	}
	l->skel = skel;
	adopt_object(l, mode, &parts);
	return 0;

cleanup:
	exec_bpf__destroy(skel);
	return ret;
}

static void doors_published(bool active)
{
	metrics_describe("sealwatch_file_doors_active", METRIC_GAUGE,
			 "1 when the mmap/open/path-event programs and the in-kernel cache are "
			 "loaded; 0 when this kernel refused them (exec verification only)");
	metrics_set("sealwatch_file_doors_active", NULL, active);
}

static void doors_refused(struct bpf_loader *l, const struct sw_error *why)
{
	log_warn("file doors (mmap_exec, opens, unlink/rename/truncate, in-kernel cache) "
		 "refused by this kernel, exec verification only: %s",
		 why->msg);
	doors_published(false);
	l->use_kcache = false;
	l->doors_failed = true;
}

/*
 * load_mode() with the file doors (mmap, opens, unlink/rename/truncate, the
 * in-kernel cache); when the kernel's verifier refuses them, exec verification
 * must not go down with them: retry with the exec program only, say so loudly
 * (log, sealwatch_file_doors_active 0).
 */
static int load_mode_doors(struct bpf_loader *l, enum bpf_loader_mode mode,
			   const struct bpf_loader_opts *o, const char *btf_path,
			   struct sw_error *err)
{
	struct sw_error doors_err = { "" };
	int r = load_mode(l, mode, o, btf_path, true, &doors_err);

	if (!r) {
		doors_published(true);
		return 0;
	}
	r = load_mode(l, mode, o, btf_path, false, err);
	if (!r)
		doors_refused(l, &doors_err);
	return r;
}

/* ---- LSM mode (bpf/lsm.bpf.c) ---- */

/*
 * Is "bpf" in the active LSM list? Without it LSM programs load and attach
 * and are never called (ENVIRONMENT.md): a successful trial load proves
 * nothing. securityfs is mounted for the look when it is not, and unmounted.
 */
static bool lsm_bpf_active(const char **why)
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
static bool lsm_hook_exists(const struct btf *btf, const char *name)
{
	char fn[64];

	snprintf(fn, sizeof(fn), "bpf_lsm_%s", name);
	return !btf || btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0;
}

/*
 * Open, load and attach bpf/lsm.bpf.c: the exec hook and, with @doors, the
 * file doors (mmap_file, file_mprotect, file_open, the path hooks, the
 * in-kernel cache). Hooks the kernel lacks (file_truncate before 6.2, the
 * path hooks without CONFIG_SECURITY_PATH) stay out. On failure nothing is left.
 */
static int load_lsm(struct bpf_loader *l, const struct bpf_loader_opts *o, bool doors,
		    const struct btf *btf, struct sw_error *err)
{
	struct object_parts parts;
	struct bpf_program *prog;
	struct lsm_bpf *skel;
	int ret;

	skel = lsm_bpf__open();
	if (!skel) {
		ret = -errno;
		return sw_error_set(err, ret, "open LSM BPF object: %s", strerror(-ret));
	}
	bpf_object__for_each_program(prog, skel->obj) {
		/* "lsm/path_unlink" → path_unlink */
		const char *hook = strchr(bpf_program__section_name(prog), '/');
		bool want = prog == skel->progs.sw_lsm_exec || doors;

		if (want && hook && !lsm_hook_exists(btf, hook + 1)) {
			log_info("no LSM hook %s in this kernel: %s not loaded", hook + 1,
				 bpf_program__name(prog));
			want = false;
		}
		bpf_program__set_autoload(prog, want);
	}
	parts = OBJECT_PARTS(skel);
	ret = prepare_object(l, o, doors, &parts, err);
	if (ret)
		goto cleanup;
	ret = lsm_bpf__load(skel);
	if (ret) {
		sw_error_set(err, ret, "load %s%s: %s", mode_names[BPF_LOADER_LSM],
			     doors ? " + file doors (mmap_file, file_open, path hooks)" : "",
			     strerror(-ret));
		goto cleanup;
	}
	ret = lsm_bpf__attach(skel);
	if (ret) {
		sw_error_set(err, ret, "attach the LSM programs: %s", strerror(-ret));
		goto cleanup;
	}
	l->lsm = skel;
	adopt_object(l, BPF_LOADER_LSM, &parts);
	return 0;

cleanup:
	lsm_bpf__destroy(skel);
	return ret;
}

/*
 * load_lsm() with the doors; when they are refused (a verifier on another
 * kernel) but the exec hook alone loads, exec verification goes on without
 * them, loudly (see load_mode_doors). When neither loads, LSM mode is out and
 * nothing is changed.
 */
static int load_lsm_doors(struct bpf_loader *l, const struct bpf_loader_opts *o,
			  struct sw_error *err)
{
	/* for the hook check; libbpf finds the kernel's BTF itself for the load */
	struct btf *btf = btf__load_vmlinux_btf();
	struct sw_error exec_only = { "" };
	int r;

	if (!btf)
		log_debug("no vmlinux BTF for the LSM hook check: %s", strerror(errno));
	r = load_lsm(l, o, true, btf, err);
	if (!r) {
		doors_published(true);
	} else if (!load_lsm(l, o, false, btf, &exec_only)) {
		doors_refused(l, err);
		r = 0;
	}
	btf__free(btf);
	return r;
}

int bpf_loader_attach_parse(const char *s, enum bpf_loader_attach *ret)
{
	static const char *const names[] = {
		[BPF_LOADER_ATTACH_AUTO] = "auto",
		[BPF_LOADER_ATTACH_LSM] = "lsm",
		[BPF_LOADER_ATTACH_TP_BTF] = "tp_btf",
		[BPF_LOADER_ATTACH_TP] = "tp",
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*ret = (enum bpf_loader_attach)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* the chosen mode, for operators: sealwatch_attach_info{mode="..."} 1 (0 once closed) */
static void publish_mode(enum bpf_loader_mode mode, double value)
{
	char labels[32];

	metrics_describe("sealwatch_attach_info", METRIC_GAUGE,
			 "BPF attach mode in use (lsm, tp_btf or tp): 1 for the active one");
	snprintf(labels, sizeof(labels), "mode=\"%s\"", mode_short_names[mode]);
	metrics_set("sealwatch_attach_info", labels, value);
}

/* ---- end of LSM mode ---- */

static int handle_record(void *ctx, void *data, size_t size)
{
	struct bpf_loader *l = ctx;

	if (size != sizeof(struct sw_exec_event)) {
		l->bad_records++;
		return 0;
	}
	/*
	 * The fill as the backlog is read (every 64 records): sampled once a
	 * second after the loop caught up, it would read 0 during an overflow.
	 */
	if (!(l->records++ & 63) && l->consumer_pos && l->producer_pos) {
		unsigned long used = __atomic_load_n(l->producer_pos, __ATOMIC_ACQUIRE) -
				     __atomic_load_n(l->consumer_pos, __ATOMIC_ACQUIRE);

		if (used > __atomic_load_n(&l->fill_peak, __ATOMIC_RELAXED))
			__atomic_store_n(&l->fill_peak, used, __ATOMIC_RELAXED);
	}
	return l->on_event(l->ctx, data);
}

static int map_positions(struct bpf_loader *l, struct sw_error *err)
{
	int fd = bpf_map__fd(l->events_map);
	void *p;

	/* page 0: consumer position; page 1: producer position (both read-only here) */
	p = mmap(NULL, l->page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return sw_error_set(err, -errno, "mmap ring buffer: %s", strerror(errno));
	l->consumer_pos = p;
	p = mmap(NULL, l->page_size, PROT_READ, MAP_SHARED, fd, (off_t)l->page_size);
	if (p == MAP_FAILED)
		return sw_error_set(err, -errno, "mmap ring buffer: %s", strerror(errno));
	l->producer_pos = p;
	return 0;
}

int bpf_loader_open(const struct bpf_loader_opts *opts, struct bpf_loader **ret,
		    struct sw_error *err)
{
	enum bpf_loader_mode mode = BPF_LOADER_TP_BTF;
	enum bpf_loader_attach want;
	const char *why = NULL, *lsm_why = NULL;
	struct bpf_loader *l;
	struct sw_error trial = { "" };
	int r;

	*ret = NULL;
	if (!opts || !opts->on_event)
		return sw_error_set(err, -EINVAL, "no event callback");
	l = calloc(1, sizeof(*l));
	if (!l)
		return sw_error_set(err, -ENOMEM, "out of memory");
	l->on_event = opts->on_event;
	l->ctx = opts->ctx;
	l->use_kcache = !opts->no_kernel_cache;
	l->page_size = (size_t)sysconf(_SC_PAGESIZE);
	l->ringbuf_bytes = opts->ringbuf_bytes ? opts->ringbuf_bytes : DEFAULT_RINGBUF_BYTES;
	if (l->ringbuf_bytes & (l->ringbuf_bytes - 1) || l->ringbuf_bytes < l->page_size ||
	    l->ringbuf_bytes > MAX_RINGBUF_BYTES) {
		r = sw_error_set(err, -EINVAL,
				 "ring buffer size %lu: need a power of two from %zu to %lu",
				 l->ringbuf_bytes, l->page_size, MAX_RINGBUF_BYTES);
		goto cleanup;
	}
	if (!privileged()) {
		r = sw_error_set(err, -EPERM,
				 "loading BPF programs needs root (CAP_BPF and CAP_PERFMON, "
				 "or CAP_SYS_ADMIN)");
		goto cleanup;
	}
	if (opts->btf_path ? access(opts->btf_path, R_OK) : access(KERNEL_BTF, R_OK)) {
		if (opts->btf_path)
			r = sw_error_set(err, -errno, "BTF file %s: %s", opts->btf_path,
					 strerror(errno));
		else
			r = sw_error_set(err, -ENOTSUP,
					 "kernel has no BTF (%s missing: needs "
					 "CONFIG_DEBUG_INFO_BTF=y, or pass a BTF file)",
					 KERNEL_BTF);
		goto cleanup;
	}
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 0) {
		r = sw_error_set(err, -ENOTSUP, "kernel lacks BPF ring buffers (linux 5.8+)");
		goto cleanup;
	}

	want = opts->force_tp ? BPF_LOADER_ATTACH_TP : opts->attach;
	if (want == BPF_LOADER_ATTACH_LSM && opts->btf_path) {
		r = sw_error_set(err, -EINVAL, "lsm attach mode needs the kernel's own BTF");
		goto cleanup;
	}
	if (want == BPF_LOADER_ATTACH_AUTO || want == BPF_LOADER_ATTACH_LSM) {
		if (opts->btf_path) {
			lsm_why = "external BTF file";
		} else if (lsm_bpf_active(&lsm_why)) {
			/* a trial in AUTO mode: its failure is expected on many kernels */
			libbpf_quiet = want == BPF_LOADER_ATTACH_AUTO;
			r = load_lsm_doors(l, opts, &trial);
			libbpf_quiet = false;
			if (!r) {
				log_info("exec events from %s%s", mode_names[BPF_LOADER_LSM],
					 l->doors_failed ?
						 "" :
						 " (+ file doors: mmap_file, file_mprotect, "
						 "file_open, path hooks)");
				goto attached;
			}
			lsm_why = trial.msg;
		}
		if (want == BPF_LOADER_ATTACH_LSM) {
			r = sw_error_set(err, -ENOTSUP, "lsm attach mode unavailable: %s", lsm_why);
			goto cleanup;
		}
		log_info("BPF LSM unavailable: %s", lsm_why);
	}

	if (want == BPF_LOADER_ATTACH_TP) {
		mode = BPF_LOADER_TP;
		why = "forced";
	} else if (opts->btf_path) {
		mode = BPF_LOADER_TP;
		why = "external BTF file";
	} else if (!tp_btf_possible(&why)) {
		mode = BPF_LOADER_TP;
	}

	if (mode == BPF_LOADER_TP_BTF) {
		/* the trial load: the probe cannot see every reason for EPERM/EINVAL */
		libbpf_quiet = want == BPF_LOADER_ATTACH_AUTO;
		r = load_mode_doors(l, BPF_LOADER_TP_BTF, opts, NULL, &trial);
		libbpf_quiet = false;
		if (r) {
			why = trial.msg;
			mode = BPF_LOADER_TP;
		}
	}
	if (mode == BPF_LOADER_TP && want == BPF_LOADER_ATTACH_TP_BTF) {
		r = sw_error_set(err, -ENOTSUP, "tp_btf attach mode unavailable: %s",
				 why ? why : "?");
		goto cleanup;
	}
	if (mode == BPF_LOADER_TP) {
		r = load_mode_doors(l, BPF_LOADER_TP, opts, opts->btf_path, err);
		if (r) {
			if (why)
				sw_error_prefix(err, r, "no usable exec tracepoint (tp_btf: %s)",
						why);
			goto cleanup;
		}
		log_info("exec events from %s (%s unavailable: %s)", mode_names[mode],
			 mode_names[BPF_LOADER_TP_BTF], why ? why : "?");
	} else {
		log_info("exec events from %s", mode_names[mode]);
	}

attached:
	publish_mode(l->mode, 1);
	l->published = true;
	l->rb = ring_buffer__new(bpf_map__fd(l->events_map), handle_record, l, NULL);
	if (!l->rb) {
		r = sw_error_set(err, -errno, "ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	r = map_positions(l, err);
	if (r)
		goto cleanup;
	*ret = l;
	return 0;

cleanup:
	bpf_loader_close(l);
	return r;
}

int bpf_loader_poll(struct bpf_loader *l, int timeout_ms)
{
	int r = ring_buffer__poll(l->rb, timeout_ms);

	/*
	 * The kernel only wakes the consumer when it has caught up: should a
	 * notification ever be missed, records would wait forever. Consume on
	 * every timeout too (cheap when empty).
	 */
	if (r == 0)
		r = ring_buffer__consume(l->rb);
	return r;
}

int bpf_loader_epoll_fd(const struct bpf_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

enum bpf_loader_mode bpf_loader_mode(const struct bpf_loader *l)
{
	return l->mode;
}

const char *bpf_loader_attach_mode(const struct bpf_loader *l)
{
	return mode_names[l->mode];
}

const char *bpf_loader_mode_name(enum bpf_loader_mode mode)
{
	return (unsigned int)mode <= BPF_LOADER_LSM ? mode_short_names[mode] : NULL;
}

int bpf_loader_counters(const struct bpf_loader *l, __u64 out[SW_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *values;
	int ret = 0;

	memset(out, 0, sizeof(__u64) * SW_CNT__MAX);
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	values = calloc((size_t)ncpu, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (__u32 key = 0; key < SW_CNT__MAX; key++) {
		ret = bpf_map__lookup_elem(l->counters_map, &key, sizeof(key), values,
					   sizeof(*values) * (size_t)ncpu, 0);
		if (ret)
			break;
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[key] += values[cpu];
	}
	free(values);
	return ret;
}

const char *bpf_loader_counter_name(enum sw_counter c)
{
	return (unsigned int)c < SW_CNT__MAX ? counter_names[c] : NULL;
}

__u64 bpf_loader_bad_records(const struct bpf_loader *l)
{
	return l->bad_records;
}

void bpf_loader_ringbuf_fill(const struct bpf_loader *l, __u64 *ret_used, __u64 *ret_size)
{
	unsigned long cons = __atomic_load_n(l->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(l->producer_pos, __ATOMIC_ACQUIRE);

	*ret_used = prod - cons;
	*ret_size = l->ringbuf_bytes;
}

__u64 bpf_loader_ringbuf_peak(struct bpf_loader *l)
{
	unsigned long peak = __atomic_exchange_n(&l->fill_peak, 0, __ATOMIC_RELAXED);
	__u64 used, size;

	bpf_loader_ringbuf_fill(l, &used, &size);
	return used > peak ? used : peak;
}

bool bpf_loader_kcache_enabled(const struct bpf_loader *l)
{
	return l->use_kcache;
}

int bpf_loader_kcache_set(struct bpf_loader *l, bool on)
{
	if (!l->kcache_switch || l->doors_failed)
		return on ? -ENOTSUP : 0;
	if (l->use_kcache == on)
		return 0;
	/* the programs read it on every event (the .data section is mmap'ed) */
	__atomic_store_n(l->kcache_switch, on, __ATOMIC_RELEASE);
	l->use_kcache = on;
	/* off: nothing may be skipped any more; on: start from an empty cache */
	return bpf_loader_kcache_flush(l) < 0 ? -EIO : 0;
}

int bpf_loader_kcache_put(struct bpf_loader *l, const struct sw_file_id *id, __u64 scope)
{
	struct sw_kcache_key key = { .ino = id->ino, .dev = id->dev };
	struct sw_kcache_val v = { 0 };
	struct bpf_map *map;
	int r;

	if (!l->use_kcache || id->nlink != 1 || !id->ino)
		return 0; /* another name of the inode may be outside the baseline */
	map = l->kcache_map;
	r = bpf_map__lookup_elem(map, &key, sizeof(key), &v, sizeof(v), 0);
	if (r || v.ctime_sec != id->ctime_sec || v.ctime_nsec != id->ctime_nsec ||
	    v.size != id->size || v.n_scopes > SW_KCACHE_SCOPES) {
		memset(&v, 0, sizeof(v));
		v.ctime_sec = id->ctime_sec;
		v.ctime_nsec = id->ctime_nsec;
		v.size = id->size;
	}
	for (__u32 i = 0; i < v.n_scopes; i++)
		if (v.scopes[i] == scope)
			return 0;
	if (v.n_scopes == SW_KCACHE_SCOPES) /* full: the oldest scope goes */
		memmove(v.scopes, v.scopes + 1, sizeof(v.scopes[0]) * --v.n_scopes);
	v.scopes[v.n_scopes++] = scope;
	/*
	 * Racing with a write-open that deletes the entry in the kernel is
	 * harmless: a write changes ctime, so the re-inserted value never matches.
	 */
	return bpf_map__update_elem(map, &key, sizeof(key), &v, sizeof(v), BPF_ANY);
}

int bpf_loader_kcache_flush(struct bpf_loader *l)
{
	struct bpf_map *map;
	struct sw_kcache_key key, next;
	int n = 0;

	map = l->kcache_map;
	if (!map || l->doors_failed) /* without the doors: no cache */
		return 0;

	/* always restart from the first key: the one just deleted has no successor */
	while (!bpf_map__get_next_key(map, NULL, &next, sizeof(next))) {
		key = next;
		if (bpf_map__delete_elem(map, &key, sizeof(key), 0))
			return -errno;
		n++;
	}
	return n;
}

void bpf_loader_close(struct bpf_loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	if (l->consumer_pos)
		munmap((void *)l->consumer_pos, l->page_size);
	if (l->producer_pos)
		munmap((void *)l->producer_pos, l->page_size);
	exec_bpf__destroy(l->skel);
	lsm_bpf__destroy(l->lsm);
	if (l->published)
		publish_mode(l->mode, 0);
	/* best effort: someone may have started using it (EBUSY) */
	if (l->mounted_tracefs)
		umount2(TRACEFS, UMOUNT_NOFOLLOW);
	free(l);
}

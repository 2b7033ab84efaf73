/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF objects (bpf/exec*.bpf.c, bpf/lsm*.bpf.c) as the daemon sees
 * them: probe the kernel, load and attach the best programs, deliver events,
 * read counters.
 *
 *	struct bpf_loader_opts o = { .on_event = handle, .ctx = state };
 *	err = bpf_loader_open(&o, &l, &e);      // checks, probes, loads, attaches
 *	while (!stop)
 *		bpf_loader_poll(l, 100);         // handle() once per event
 *	bpf_loader_close(l);                    // detaches everything
 *
 * Functions return 0 (or a count) or a negative errno; bpf_loader_open also
 * fills the struct sw_error. Nothing here logs an error it returns; the
 * attach-mode choice is logged at info level, libbpf's own output goes to the
 * log module (its debug output only with opts.verbose).
 */
#ifndef SW_BPF_LOADER_H
#define SW_BPF_LOADER_H

#include <stdbool.h>
#include <linux/types.h>

#include "events.h"

struct bpf_loader;
struct sw_error;

/*
 * Called by bpf_loader_poll() for each complete event, in ring-buffer order.
 * @e is only valid during the call. A negative return stops the poll, which
 * returns it; other values are ignored.
 */
typedef int (*bpf_loader_event_fn)(void *ctx, const struct sw_exec_event *e);

/* What the caller asks for: AUTO tries lsm, then tp_btf, then tp. */
enum bpf_loader_attach {
	BPF_LOADER_ATTACH_AUTO,
	BPF_LOADER_ATTACH_LSM, /* only LSM: fail if the kernel cannot run it */
	BPF_LOADER_ATTACH_TP_BTF, /* only tp_btf */
	BPF_LOADER_ATTACH_TP, /* only the plain tracepoint */
};

struct bpf_loader_opts {
	bpf_loader_event_fn on_event; /* required */
	void *ctx; /* passed to on_event */
	/* ring buffer size: 0 for 8 MiB, else a power of two >= the page size */
	unsigned long ringbuf_bytes;
	enum bpf_loader_attach attach; /* default AUTO */
	bool force_tp; /* same as attach = BPF_LOADER_ATTACH_TP (kept for callers) */
	bool verbose; /* pass libbpf's debug output to log_debug() */
	const char *btf_path; /* NULL: the kernel's BTF; else a BTF file for CO-RE (implies tp) */
	bool no_kernel_cache; /* never skip events in the kernel (--no-kernel-cache, all events) */
	bool host_scripts; /* report interpreters' read-opens on the host too */
	__u32 host_mntns; /* the host's mount namespace inode: container scope is the rest */
	char *const *interpreters; /* comm names ("python3*": prefix) for script_open */
	size_t n_interpreters;
	/* globs whose read-opens are verified (read_open); their literal prefixes go to BPF */
	char *const *read_paths;
	size_t n_read_paths;
	/* runtimes' layer stores: host write-opens below them are events (SW_EF_NODE_STORAGE) */
	const struct sw_kcache_key *storage_roots;
	size_t n_storage_roots;
};

enum bpf_loader_mode {
	BPF_LOADER_TP_BTF, /* tp_btf/sched_process_exec: struct linux_binprm, interp */
	BPF_LOADER_TP, /* tp/sched/sched_process_exec: fallback, SW_EF_FALLBACK_TP */
	BPF_LOADER_LSM, /* lsm/bprm_committed_creds (+ mmap_file, file_open): SW_EF_LSM */
};

/* "auto", "lsm", "tp_btf", "tp" → @ret. 0 or -EINVAL. */
int bpf_loader_attach_parse(const char *s, enum bpf_loader_attach *ret);

/*
 * Check privileges (CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN) and BTF, pick the
 * attach points, load and attach. AUTO: lsm when "bpf" is an active LSM
 * (/sys/kernel/security/lsm; securityfs is mounted for the look if needed)
 * and a trial load and attach succeed, else tp_btf unless probing or a trial
 * load says no, else tp. A mode asked for explicitly is the only one tried.
 * The choice is logged at info level; the daemon samples it into the gauge
 * sealwatch_attach_info{mode="lsm|tp_btf|tp"} (bpf_loader_mode_name()).
 * Errors: -EPERM (not privileged), -ENOTSUP (no BTF, or the kernel
 * lacks both tracepoints, or the mode asked for), -EINVAL (bad options),
 * else what the kernel said.
 * The tp fallback needs tracefs: it is mounted on /sys/kernel/tracing if no
 * tracefs is reachable, and unmounted again by bpf_loader_close().
 */
int bpf_loader_open(const struct bpf_loader_opts *opts, struct bpf_loader **ret,
		    struct sw_error *err);

/*
 * Wait up to @timeout_ms (-1: forever, 0: don't) for events and deliver them.
 * Returns the number of records consumed, -EINTR when a signal arrived (not
 * an error: check your stop flag), or a negative errno / on_event's return.
 */
int bpf_loader_poll(struct bpf_loader *l, int timeout_ms);

/* An epoll fd that is readable when events wait (for the daemon's own loop). */
int bpf_loader_epoll_fd(const struct bpf_loader *l);

enum bpf_loader_mode bpf_loader_mode(const struct bpf_loader *l);
/* "tp_btf/sched_process_exec", "tp/sched/sched_process_exec" or "lsm/bprm_committed_creds" */
const char *bpf_loader_attach_mode(const struct bpf_loader *l);
/* "tp_btf", "tp" or "lsm" (the metric label); NULL when out of range */
const char *bpf_loader_mode_name(enum bpf_loader_mode mode);

/* The file doors (mmap, opens, path events, in-kernel cache) are loaded: not refused. */
bool bpf_loader_doors_active(const struct bpf_loader *l);

/* Sum the per-CPU counters (enum sw_counter) into @out. 0 or -errno. */
int bpf_loader_counters(const struct bpf_loader *l, __u64 out[SW_CNT__MAX]);
/* "events", "ringbuf_full", "read_fail", "no_file"; NULL when out of range */
const char *bpf_loader_counter_name(enum sw_counter c);

/* Records whose size was not sizeof(struct sw_exec_event): counted, dropped. */
__u64 bpf_loader_bad_records(const struct bpf_loader *l);

/* Bytes written but not yet consumed, and the ring buffer's size. */
void bpf_loader_ringbuf_fill(const struct bpf_loader *l, __u64 *ret_used, __u64 *ret_size);
/* The most bytes waiting seen since the last call (while the backlog was read), or now. */
__u64 bpf_loader_ringbuf_peak(struct bpf_loader *l);

/*
 * In-kernel verdict cache (include/events.h, map kcache): record that @id was
 * verified ok in @scope (struct sw_exec_event.scope); files with nlink != 1
 * are never cached. 0 or -errno. Flush: remove everything (baseline reload);
 * returns the number of entries removed or -errno.
 */
int bpf_loader_kcache_put(struct bpf_loader *l, const struct sw_file_id *id, __u64 scope);
int bpf_loader_kcache_flush(struct bpf_loader *l);
bool bpf_loader_kcache_enabled(const struct bpf_loader *l);
/* Switch the in-kernel cache at run time (reload of all_events/kernel_cache); flushes it. */
int bpf_loader_kcache_set(struct bpf_loader *l, bool on);

/*
 * Prevention in the kernel (BPF LSM backend, include/events.h, docs/enforce.md):
 * possible in LSM mode with the file doors; in the tracepoint modes the same
 * switches and maps serve the kill of memfd execs only. Switch: on/off, the daemon's tgid
 * (it and its children are never denied) and the heartbeat deadline; the
 * heartbeat is refreshed by the daemon's event loop. Scope: the mode of a
 * scope (0: the default). File: the decision on a file identity in a scope.
 * Flush: forget the decisions (and the scopes). 0 or -errno (-ENOTSUP: not possible).
 */
bool bpf_loader_enforce_possible(const struct bpf_loader *l);
int bpf_loader_enforce_switch(struct bpf_loader *l, bool on, __u32 tgid, __u64 deadline_ns);
void bpf_loader_enforce_heartbeat(struct bpf_loader *l);
int bpf_loader_enforce_scope(struct bpf_loader *l, __u64 scope, enum sw_kmode mode, bool strict);
int bpf_loader_enforce_file(struct bpf_loader *l, const struct sw_file_id *id, __u64 scope,
			    enum sw_kdecision decision);
int bpf_loader_enforce_flush(struct bpf_loader *l, bool scopes_too);
int bpf_loader_enforce_flush_scopes(struct bpf_loader *l);

/* Detach and unload everything, free @l. Accepts NULL. */
void bpf_loader_close(struct bpf_loader *l);

#endif

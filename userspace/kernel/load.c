// SPDX-License-Identifier: GPL-2.0-only
/*
 * load.c: open, configure, load and attach one BPF object (bpf/exec*.bpf.c in
 * tp_btf or tp mode, bpf/lsm*.bpf.c in lsm mode), with the file doors or,
 * when this kernel refuses them, the exec program alone (loader_internal.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "events.h"
#include "loader_internal.h"
#include "log.h"
#include "exec.skel.h"
#include "lsm.skel.h"

/*
 * What the loader sets before load and reads after it, the same in either
 * object (both share event.bpf.h and doors.bpf.h, so the
 * skeletons have the same member names): OBJECT_PARTS(skel) takes them.
 */
struct object_parts {
	struct bpf_map *events, *counters, *kcache;
	bool *use_kcache; /* .data: switched at run time */
	bool *host_scripts;
	__u32 *host_mntns;
	struct sw_interp *interpreters;
	struct sw_read_prefix *read_prefixes;
	struct sw_kcache_key *storage_roots;
	bool *deep_walks;
	/* prevention (bpf/enforce.bpf.h): .bss, switched at run time, and the maps */
	struct bpf_map *enforce_scopes, *enforce_files;
	bool *enforce_on;
	__u32 *enforce_tgid;
	__u64 *enforce_heartbeat_ns, *enforce_deadline_ns;
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
		.storage_roots = (struct sw_kcache_key *)(skel)->rodata->storage_roots,  \
		.deep_walks = (bool *)&(skel)->rodata->deep_walks,                       \
		.enforce_scopes = (skel)->maps.enforce_scopes,                           \
		.enforce_files = (skel)->maps.enforce_files,                             \
		.enforce_on = (bool *)&(skel)->bss->enforce_on,                          \
		.enforce_tgid = (__u32 *)&(skel)->bss->enforce_tgid,                     \
		.enforce_heartbeat_ns = (__u64 *)&(skel)->bss->enforce_heartbeat_ns,     \
		.enforce_deadline_ns = (__u64 *)&(skel)->bss->enforce_deadline_ns,       \
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
	*p->deep_walks = !l->no_deep_walks;
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
	for (size_t i = 0; i < o->n_storage_roots && i < SW_MAX_STORAGE_ROOTS; i++)
		p->storage_roots[i] = o->storage_roots[i];
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
	l->enforce_scopes = p->enforce_scopes;
	l->enforce_files = p->enforce_files;
	l->enforce_on = p->enforce_on;
	l->enforce_tgid = p->enforce_tgid;
	l->enforce_heartbeat_ns = p->enforce_heartbeat_ns;
	l->enforce_deadline_ns = p->enforce_deadline_ns;
}

/*
 * Open, load and attach the tracepoint object's exec program of @mode (tp_btf
 * or tp, bpf/exec.bpf.c) and, with @doors, its syscall-tracepoint doors (mmap, opens, path
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
	/* io_uring's requests: only where its tracepoint is (CONFIG_IO_URING, 5.19+) */
	if (doors && !loader_btf_struct_exists(btf_path, "trace_event_raw_io_uring_submit_req")) {
		bpf_program__set_autoload(skel->progs.sw_iouring_submit, false);
		log_info("no io_uring_submit_req tracepoint: io_uring file operations not watched");
	}
	parts = OBJECT_PARTS(skel);
	ret = prepare_object(l, o, doors, &parts, err);
	if (ret)
		goto cleanup;
	ret = exec_bpf__load(skel);
	if (ret) {
		sw_error_set(err, ret, "load %s%s: %s", loader_mode_names[mode],
			     doors ? " + file doors (mmap, opens, path events)" : "",
			     strerror(-ret));
		goto cleanup;
	}
	/* the syscall tracepoints (mmap, open, …) always need tracefs */
	ret = loader_ensure_tracefs(l, err);
	if (ret)
		goto cleanup;
	link = bpf_program__attach(mode == BPF_LOADER_TP_BTF ? skel->progs.sw_exec_btf :
							       skel->progs.sw_exec_tp);
	if (!link) {
		ret = -errno;
		sw_error_set(err, ret, "attach %s: %s", loader_mode_names[mode], strerror(-ret));
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

static void doors_refused(struct bpf_loader *l, const struct sw_error *why)
{
	log_warn("file doors (mmap_exec, opens, unlink/rename/truncate, in-kernel cache) "
		 "refused by this kernel, exec verification only: %s",
		 why->msg);
	l->doors_active = false;
	l->use_kcache = false;
	l->doors_failed = true;
}

/*
 * load_mode() with the file doors (mmap, opens, unlink/rename/truncate, the
 * in-kernel cache); when the kernel's verifier refuses them, exec verification
 * must not go down with them: retry with the exec program only, say so loudly
 * (log, sealwatch_file_doors_active 0).
 */
int loader_load_mode_doors(struct bpf_loader *l, enum bpf_loader_mode mode,
			   const struct bpf_loader_opts *o, const char *btf_path,
			   struct sw_error *err)
{
	struct sw_error doors_err = { "" }, shallow_err = { "" };
	int r = load_mode(l, mode, o, btf_path, true, &doors_err);

	if (!r) {
		l->doors_active = true;
		return 0;
	}
	/* the doors without the deep walks first: only those cost this verifier too much */
	l->no_deep_walks = true;
	if (!load_mode(l, mode, o, btf_path, true, &shallow_err)) {
		log_warn(
			"node-side layer-write alerts, overlay real-inode cache keys and the "
			"kernel's walk of opened files are off: this kernel's verifier refused them "
			"(%s); the file doors stay",
			doors_err.msg);
		l->doors_active = true;
		return 0;
	}
	l->no_deep_walks = false;
	r = load_mode(l, mode, o, btf_path, false, err);
	if (!r)
		doors_refused(l, &doors_err);
	return r;
}

/*
 * Open, load and attach the LSM object (bpf/lsm*.bpf.c): the exec hook and, with @doors, the
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

		if (want && hook && !loader_lsm_hook_exists(btf, hook + 1)) {
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
		sw_error_set(err, ret, "load %s%s: %s", loader_mode_names[BPF_LOADER_LSM],
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
 * them, loudly (see loader_load_mode_doors). When neither loads, LSM mode is out and
 * nothing is changed.
 */
int loader_load_lsm_doors(struct bpf_loader *l, const struct bpf_loader_opts *o,
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
		l->doors_active = true;
	} else if (!load_lsm(l, o, false, btf, &exec_only)) {
		doors_refused(l, err);
		r = 0;
	}
	btf__free(btf);
	return r;
}

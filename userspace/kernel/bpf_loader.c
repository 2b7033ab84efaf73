// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load, attach and read the exec BPF programs (bpf_loader.h): the lifecycle
 * and the choice of mode. The rest of the loader: loader_internal.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "errors.h"
#include "events.h"
#include "loader_internal.h"
#include "log.h"
#include "exec.skel.h"
#include "lsm.skel.h"

const char *const loader_mode_names[] = {
	[BPF_LOADER_TP_BTF] = "tp_btf/sched_process_exec",
	[BPF_LOADER_TP] = "tp/sched/sched_process_exec",
	[BPF_LOADER_LSM] = "lsm/bprm_committed_creds",
};

static const char *const mode_short_names[] = {
	[BPF_LOADER_TP_BTF] = "tp_btf",
	[BPF_LOADER_TP] = "tp",
	[BPF_LOADER_LSM] = "lsm",
};

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

/* What every mode needs: privileges, BTF, ring buffers. */
static int check_prerequisites(const struct bpf_loader_opts *opts, struct sw_error *err)
{
	if (!loader_privileged())
		return sw_error_set(err, -EPERM,
				    "loading BPF programs needs root (CAP_BPF and CAP_PERFMON, "
				    "or CAP_SYS_ADMIN)");
	if (opts->btf_path ? access(opts->btf_path, R_OK) : access(KERNEL_BTF, R_OK)) {
		if (opts->btf_path)
			return sw_error_set(err, -errno, "BTF file %s: %s", opts->btf_path,
					    strerror(errno));
		return sw_error_set(err, -ENOTSUP,
				    "kernel has no BTF (%s missing: needs "
				    "CONFIG_DEBUG_INFO_BTF=y, or pass a BTF file)",
				    KERNEL_BTF);
	}
	loader_log_setup(opts->verbose);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 0)
		return sw_error_set(err, -ENOTSUP, "kernel lacks BPF ring buffers (linux 5.8+)");
	return 0;
}

/*
 * LSM mode: 0 when loaded; 1 when unavailable (AUTO goes on with the
 * tracepoints, the reason is logged), or an error when LSM was the only mode
 * asked for.
 */
static int try_lsm(struct bpf_loader *l, const struct bpf_loader_opts *opts,
		   enum bpf_loader_attach want, struct sw_error *err)
{
	struct sw_error trial = { "" };
	const char *why = NULL;
	int r;

	if (opts->btf_path) {
		why = "external BTF file";
	} else if (loader_lsm_bpf_active(&why)) {
		/* a trial in AUTO mode: its failure is expected on many kernels */
		loader_log_quiet(want == BPF_LOADER_ATTACH_AUTO);
		r = loader_load_lsm_doors(l, opts, &trial);
		loader_log_quiet(false);
		if (!r) {
			log_info("exec events from %s%s", loader_mode_names[BPF_LOADER_LSM],
				 l->doors_failed ? "" :
						   " (+ file doors: mmap_file, file_mprotect, "
						   "file_open, path hooks)");
			return 0;
		}
		why = trial.msg;
	}
	if (want == BPF_LOADER_ATTACH_LSM)
		return sw_error_set(err, -ENOTSUP, "lsm attach mode unavailable: %s", why);
	log_info("BPF LSM unavailable: %s", why);
	return 1;
}

/* tp_btf, else the plain tracepoint (unless @want names one). */
static int load_tracepoints(struct bpf_loader *l, const struct bpf_loader_opts *opts,
			    enum bpf_loader_attach want, struct sw_error *err)
{
	enum bpf_loader_mode mode = BPF_LOADER_TP_BTF;
	struct sw_error trial = { "" };
	const char *why = NULL;
	int r;

	if (want == BPF_LOADER_ATTACH_TP) {
		mode = BPF_LOADER_TP;
		why = "forced";
	} else if (opts->btf_path) {
		mode = BPF_LOADER_TP;
		why = "external BTF file";
	} else if (!loader_tp_btf_possible(&why)) {
		mode = BPF_LOADER_TP;
	}
	if (mode == BPF_LOADER_TP_BTF) {
		/* the trial load: the probe cannot see every reason for EPERM/EINVAL */
		loader_log_quiet(want == BPF_LOADER_ATTACH_AUTO);
		r = loader_load_mode_doors(l, BPF_LOADER_TP_BTF, opts, NULL, &trial);
		loader_log_quiet(false);
		if (!r) {
			log_info("exec events from %s", loader_mode_names[mode]);
			return 0;
		}
		why = trial.msg;
		mode = BPF_LOADER_TP;
	}
	if (want == BPF_LOADER_ATTACH_TP_BTF)
		return sw_error_set(err, -ENOTSUP, "tp_btf attach mode unavailable: %s",
				    why ? why : "?");
	r = loader_load_mode_doors(l, BPF_LOADER_TP, opts, opts->btf_path, err);
	if (r) {
		if (why)
			sw_error_prefix(err, r, "no usable exec tracepoint (tp_btf: %s)", why);
		return r;
	}
	log_info("exec events from %s (%s unavailable: %s)", loader_mode_names[mode],
		 loader_mode_names[BPF_LOADER_TP_BTF], why ? why : "?");
	return 0;
}

int bpf_loader_open(const struct bpf_loader_opts *opts, struct bpf_loader **ret,
		    struct sw_error *err)
{
	enum bpf_loader_attach want;
	struct bpf_loader *l;
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
	r = check_prerequisites(opts, err);
	if (r)
		goto cleanup;
	want = opts->force_tp ? BPF_LOADER_ATTACH_TP : opts->attach;
	if (want == BPF_LOADER_ATTACH_LSM && opts->btf_path) {
		r = sw_error_set(err, -EINVAL, "lsm attach mode needs the kernel's own BTF");
		goto cleanup;
	}
	r = 1;
	if (want == BPF_LOADER_ATTACH_AUTO || want == BPF_LOADER_ATTACH_LSM)
		r = try_lsm(l, opts, want, err);
	if (r == 1)
		r = load_tracepoints(l, opts, want, err);
	if (!r)
		r = loader_ringbuf_open(l, err);
	if (r)
		goto cleanup;
	*ret = l;
	return 0;

cleanup:
	bpf_loader_close(l);
	return r;
}

enum bpf_loader_mode bpf_loader_mode(const struct bpf_loader *l)
{
	return l->mode;
}

const char *bpf_loader_attach_mode(const struct bpf_loader *l)
{
	return loader_mode_names[l->mode];
}

const char *bpf_loader_mode_name(enum bpf_loader_mode mode)
{
	return (unsigned int)mode <= BPF_LOADER_LSM ? mode_short_names[mode] : NULL;
}

bool bpf_loader_doors_active(const struct bpf_loader *l)
{
	return l->doors_active;
}

void bpf_loader_close(struct bpf_loader *l)
{
	if (!l)
		return;
	loader_ringbuf_close(l);
	exec_bpf__destroy(l->skel);
	lsm_bpf__destroy(l->lsm);
	/* best effort: someone may have started using it (EBUSY) */
	if (l->mounted_tracefs)
		umount2(TRACEFS, UMOUNT_NOFOLLOW);
	free(l);
}

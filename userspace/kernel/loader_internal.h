/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the BPF loader (bpf_loader.h), one file per concern like Falco's
 * libpman: bpf_loader.c the lifecycle and the mode choice, probe.c what the
 * kernel allows, load.c the objects' configure/load/attach sequence,
 * ringbuf.c the ring buffer, kcache.c the in-kernel verdict cache,
 * counters.c the per-CPU counters. Not a public interface.
 */
#ifndef SW_LOADER_INTERNAL_H
#define SW_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf_loader.h"

struct btf;
struct sw_error;

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
	bool no_deep_walks; /* the doors loaded without the deep walks (bpf/event.bpf.h) */
	bool doors_failed; /* the kernel refused the file doors: exec only */
	bool doors_active; /* the file doors are loaded (sealwatch_file_doors_active) */
	bool use_kcache;
	/* the loaded object's map kcache and its use_kcache switch (.data, mmap'ed) */
	struct bpf_map *kcache_map;
	bool *kcache_switch;
	/* prevention (bpf/enforce.bpf.h, kenforce.c): the maps and .bss of the loaded object */
	struct bpf_map *enforce_scopes, *enforce_files;
	bool *enforce_on;
	__u32 *enforce_tgid;
	__u64 *enforce_heartbeat_ns, *enforce_deadline_ns;
};

extern const char *const loader_mode_names[];

/* probe.c */
/* libbpf's output → the log module; @quiet: its warnings become debug (trial loads). */
void loader_log_setup(bool verbose);
void loader_log_quiet(bool quiet);
bool loader_privileged(void);
bool loader_tp_btf_possible(const char **why);
int loader_ensure_tracefs(struct bpf_loader *l, struct sw_error *err);
bool loader_lsm_bpf_active(const char **why);
bool loader_lsm_hook_exists(const struct btf *btf, const char *name);
/* The kernel's BTF (@btf_path, NULL: vmlinux) has struct @name (a tracepoint's record, …). */
bool loader_btf_struct_exists(const char *btf_path, const char *name);

/* load.c: one object of @mode with the file doors, else exec only (loudly) */
int loader_load_mode_doors(struct bpf_loader *l, enum bpf_loader_mode mode,
			   const struct bpf_loader_opts *o, const char *btf_path,
			   struct sw_error *err);
int loader_load_lsm_doors(struct bpf_loader *l, const struct bpf_loader_opts *o,
			  struct sw_error *err);

/* ringbuf.c: the ring buffer of the loaded object and views of its positions */
int loader_ringbuf_open(struct bpf_loader *l, struct sw_error *err);
void loader_ringbuf_close(struct bpf_loader *l);

#endif

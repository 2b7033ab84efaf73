/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON events with Elastic Common Schema field names (docs/events.md). */
#ifndef SW_ECS_H
#define SW_ECS_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "verdict.h"

struct json_t;
struct sw_exec_event;

struct ecs_container {
	const char *id, *runtime, *name, *image_id, *image_name;
	const char *pod_name, *pod_namespace, *k8s_container_name;
};

struct ecs_exec {
	const struct sw_exec_event *ev;
	const char *action; /* "exec", "exec_script", "mmap_exec", "script_open", "open_write", … */
	enum sw_verdict verdict;
	const char *reason;
	int severity;
	const char *executable; /* resolved path of the file; NULL: ev->filename */
	/*
	 * Events about a file other than the process's executable (every action
	 * but "exec"): process.executable is @process_exe (omitted when NULL),
	 * file.path is @executable.
	 */
	const char *process_exe;
	const char *old_path; /* rename: the path the file had before */
	const unsigned char *sha256; /* actual content, NULL when not hashed */
	const struct sw_entry *expected; /* baseline entry */
	/*
	 * modified: what differs from @expected (SCAN_F_* bits, baseline/scan.h),
	 * and the file's metadata as found (NULL when not read)
	 */
	unsigned int fields;
	const struct sw_file_meta *actual;
	const char *same_content_as;
	const struct ecs_container *container; /* NULL for a host process */
	const char *baseline_digest; /* "sha256:…" of the baseline file */
	const char *baseline_match; /* "image_id", "image_name", "image_mismatch", "host" */
	/* "pending": the image's baseline is being fetched from a registry (registry/fetcher.h) */
	const char *baseline_status;
	/* a node-side write into a layer store: sealwatch.layer (borrowed), else NULL */
	struct json_t *layer;
	/* anomaly: sealwatch.anomaly (borrowed; profile.h, docs/events.md), else NULL */
	struct json_t *anomaly;
	/* image_mismatch: the image ID and name the baseline records */
	const char *expected_image_id, *baseline_image_name;
	char *const *args;
	size_t n_args;
	/*
	 * prevention (docs/enforce.md): "denied", "would_deny", "fallback_allow",
	 * "fallback_deny" or "allowed" (sealwatch.decision), the scope's mode
	 * (sealwatch.mode), NULL for monitor events; denied ones carry
	 * event.type "denied" and event.outcome "failure"
	 */
	const char *decision, *mode;
	double decision_ms; /* how long the decision took; < 0: not given */
};

/* One event as a JSON line (no newline), malloc'd; NULL on ENOMEM. */
char *ecs_exec_json(const struct ecs_exec *x);

/*
 * A daemon event (start, stop, baseline loaded/refused, events lost, …):
 * event.kind @kind ("event" or "alert"), event.action @action, @message, and
 * @extra (may be NULL; stolen) merged under "sealwatch".
 */
char *ecs_daemon_json(const char *kind, const char *action, int severity, const char *message,
		      struct json_t *extra);

/* Current time as ECS @timestamp ("2026-11-24T11:00:00.123Z"). */
void ecs_timestamp(char out[32]);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* Verdicts (DESIGN.md §4): what the daemon concludes about one exec. */
#ifndef SW_VERDICT_H
#define SW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "entry.h"

struct sw_baseline;
struct baseline_index;

enum sw_verdict {
	SW_VERDICT_OK, /* in the baseline, hash matches */
	SW_VERDICT_MODIFIED, /* in the baseline, content differs */
	SW_VERDICT_UNKNOWN, /* not in the baseline (drift) */
	SW_VERDICT_FILELESS, /* memfd, deleted or anonymous file */
	SW_VERDICT_NO_BASELINE, /* the image has no verified baseline */
	SW_VERDICT_UNVERIFIED, /* the exact file could not be hashed */
	SW_VERDICT_TAMPER, /* a file of the baseline opened for writing, renamed, removed */
	SW_VERDICT__COUNT,
};

/* ECS event.severity values (numeric, like risk scores). */
enum sw_severity {
	SW_SEVERITY_INFO = 0,
	SW_SEVERITY_LOW = 21,
	SW_SEVERITY_MEDIUM = 47,
	SW_SEVERITY_HIGH = 73,
	SW_SEVERITY_CRITICAL = 99,
};

struct sw_verdict_result {
	enum sw_verdict verdict;
	const char *reason; /* static string, may be NULL */
	const struct sw_entry *expected; /* baseline entry (modified/ok), else NULL */
	const char *same_content_as; /* unknown: a baseline path with the same sha256 */
	char resolved_path[4096]; /* the path it was looked up under */
};

const char *verdict_name(enum sw_verdict v);
int verdict_from_name(const char *name); /* -1 if unknown */

/*
 * Decide for a file whose real path (no symlinks: what the kernel reports for
 * /proc/PID/exe, in the process's mount namespace) is @path and whose content
 * hashes to @sha256. A path the baseline records as a symlink or directory is
 * "unknown": something else now stands where the image had a link.
 */
void verdict_decide(const struct sw_baseline *b, const struct baseline_index *idx, const char *path,
		    const unsigned char sha256[SW_SHA256_LEN], struct sw_verdict_result *out);

/* sha256 → first path with that content, for "renamed copy" notes. */
int baseline_index_build(const struct sw_baseline *b, struct baseline_index **ret);
void baseline_index_free(struct baseline_index *idx);
const struct sw_entry *baseline_index_find(const struct baseline_index *idx,
					   const unsigned char sha256[SW_SHA256_LEN]);

#endif

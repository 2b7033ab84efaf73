/* SPDX-License-Identifier: GPL-2.0-only */
/* Deciding a verdict for one hashed file against its baseline (docs/architecture.md). */
#ifndef SW_DECIDE_H
#define SW_DECIDE_H

#include <stdint.h>

#include "entry.h"
#include "verdict.h"

struct sw_baseline;
struct baseline_index;

struct sw_verdict_result {
	enum sw_verdict verdict;
	const char *reason; /* static string, may be NULL */
	const struct sw_entry *expected; /* baseline entry (modified/ok), else NULL */
	const char *same_content_as; /* unknown: a baseline path with the same sha256 */
	unsigned int fields; /* modified: SCAN_F_* bits of what differs (scan.h) */
	char resolved_path[4096]; /* the path it was looked up under */
};

/*
 * Decide for a file whose real path (no symlinks: what the kernel reports for
 * /proc/PID/exe, in the process's mount namespace) is @path, whose content
 * hashes to @sha256 (@size bytes) and whose metadata is @meta (NULL: not
 * compared). Content, mode (setuid, setgid, execute bits and the rest),
 * owner and security.capability must all equal the baseline's for "ok"; any
 * difference is "modified" with out->fields naming it. A path the baseline
 * records as a symlink or directory is "unknown": something else now stands
 * where the image had a link.
 */
void verdict_decide(const struct sw_baseline *b, const struct baseline_index *idx, const char *path,
		    const unsigned char sha256[SW_SHA256_LEN], uint64_t size,
		    const struct sw_file_meta *meta, struct sw_verdict_result *out);

/* sha256 → first path with that content, for "renamed copy" notes. */
int baseline_index_build(const struct sw_baseline *b, struct baseline_index **ret);
void baseline_index_free(struct baseline_index *idx);
const struct sw_entry *baseline_index_find(const struct baseline_index *idx,
					   const unsigned char sha256[SW_SHA256_LEN]);

#endif

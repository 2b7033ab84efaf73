/* SPDX-License-Identifier: GPL-2.0-only */
/* Verdicts and severities: the vocabulary of every event (docs/events.md). */
#ifndef SW_VERDICT_H
#define SW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

enum sw_verdict {
	SW_VERDICT_OK, /* in the baseline, hash matches */
	SW_VERDICT_MODIFIED, /* in the baseline, content differs */
	SW_VERDICT_UNKNOWN, /* not in the baseline (drift) */
	SW_VERDICT_FILELESS, /* memfd, deleted or anonymous file */
	SW_VERDICT_NO_BASELINE, /* the image has no verified baseline */
	SW_VERDICT_UNVERIFIED, /* the exact file could not be hashed */
	SW_VERDICT_TAMPER, /* a file of the baseline opened for writing, renamed, removed */
	/* the container's image ID is not the one the signed baseline of its name records */
	SW_VERDICT_IMAGE_MISMATCH,
	/* integrity ok, but an element new to the image's locked profile (profile.h) */
	SW_VERDICT_ANOMALY,
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

const char *verdict_name(enum sw_verdict v);
int verdict_from_name(const char *name); /* -1 if unknown */
/* The one severity of each verdict (no_baseline: the default of a config key). */
int verdict_severity(enum sw_verdict v);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/* verdict.c: names and severities of the verdicts (verdict.h). */
#include <string.h>

#include "verdict.h"

static const char *const verdict_names[SW_VERDICT__COUNT] = {
	[SW_VERDICT_OK] = "ok",
	[SW_VERDICT_MODIFIED] = "modified",
	[SW_VERDICT_UNKNOWN] = "unknown",
	[SW_VERDICT_FILELESS] = "fileless",
	[SW_VERDICT_NO_BASELINE] = "no_baseline",
	[SW_VERDICT_UNVERIFIED] = "unverified",
	[SW_VERDICT_TAMPER] = "tamper",
	[SW_VERDICT_IMAGE_MISMATCH] = "image_mismatch",
	[SW_VERDICT_ANOMALY] = "anomaly",
};

const char *verdict_name(enum sw_verdict v)
{
	return v < SW_VERDICT__COUNT ? verdict_names[v] : "?";
}

int verdict_from_name(const char *name)
{
	for (int i = 0; i < SW_VERDICT__COUNT; i++)
		if (!strcmp(name, verdict_names[i]))
			return i;
	return -1;
}

int verdict_severity(enum sw_verdict v)
{
	switch (v) {
	case SW_VERDICT_MODIFIED:
	case SW_VERDICT_TAMPER:
	case SW_VERDICT_IMAGE_MISMATCH:
		return SW_SEVERITY_CRITICAL;
	case SW_VERDICT_UNKNOWN:
	case SW_VERDICT_FILELESS:
		return SW_SEVERITY_HIGH;
	case SW_VERDICT_UNVERIFIED:
	case SW_VERDICT_NO_BASELINE:
		return SW_SEVERITY_MEDIUM;
	case SW_VERDICT_ANOMALY: /* below every integrity finding */
		return SW_SEVERITY_LOW;
	default:
		return SW_SEVERITY_INFO;
	}
}

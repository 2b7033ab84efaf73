/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prevention by baseline (docs/enforce.md): the mode of each scope and the
 * decision on one verdict. Pure logic, no I/O: the backends (daemon/enforce.c
 * for fanotify) ask it what to answer.
 *
 * A scope is "image:PATTERN" (fnmatch on the container's normalized image
 * name), "namespace:PATTERN" (its Kubernetes namespace) or "host"; written
 * with its mode as "image:registry.example/app*=enforce", with ",strict" at
 * the end for a scope whose fallback is deny. The first scope that matches
 * decides; a container no scope matches, and the host when no "host" scope is
 * given, take the default mode.
 */
#ifndef SW_POLICY_H
#define SW_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "verdict.h"

enum sw_mode {
	SW_MODE_MONITOR, /* report only (the default): no permission asked */
	SW_MODE_AUDIT, /* decide as if enforcing, allow, report "would deny" */
	SW_MODE_ENFORCE, /* deny what the signed baseline does not vouch for */
};

enum sw_scope_kind {
	SW_SCOPE_IMAGE,
	SW_SCOPE_NAMESPACE,
	SW_SCOPE_HOST,
};

#define SW_POLICY_MAX_SCOPES 16
#define SW_POLICY_PATTERN_LEN 256

struct sw_policy_scope {
	enum sw_scope_kind kind;
	char pattern[SW_POLICY_PATTERN_LEN]; /* "" for the host */
	enum sw_mode mode;
	bool strict; /* a decision past its deadline (or unverifiable) is denied */
};

struct sw_policy {
	enum sw_mode default_mode;
	bool default_strict;
	struct sw_policy_scope scopes[SW_POLICY_MAX_SCOPES];
	size_t n_scopes;
	bool deny_no_baseline; /* no_baseline is denied in enforce (allowed by default) */
	unsigned int deadline_ms; /* a permission not decided by then takes the fallback */
};

#define SW_POLICY_DEADLINE_DEFAULT_MS 3000
#define SW_POLICY_DEADLINE_MAX_MS 60000

/* What a backend answers, and what the event says. */
enum sw_decision {
	SW_DECISION_ALLOW, /* vouched for (or a scope that never denies) */
	SW_DECISION_DENY, /* enforce: the syscall fails with EPERM */
	SW_DECISION_WOULD_DENY, /* audit: allowed, the event says it would be denied */
	SW_DECISION_FALLBACK_ALLOW, /* no decision in time / not verifiable: allowed, alerted */
	SW_DECISION_FALLBACK_DENY, /* the same in a strict scope: denied, alerted */
};

void policy_init(struct sw_policy *p);
const char *policy_mode_name(enum sw_mode m);
/* "monitor", "audit", "enforce" → *ret; -EINVAL otherwise. */
int policy_mode_from_name(const char *name, enum sw_mode *ret);
/* "image:PAT=MODE[,strict]", "namespace:PAT=MODE[,strict]", "host=MODE[,strict]"; -EINVAL. */
int policy_scope_parse(const char *spec, struct sw_policy_scope *ret);
/* Append a parsed scope; -EINVAL (bad spec), -E2BIG (full). */
int policy_scope_add(struct sw_policy *p, const char *spec);
/* "image:PAT=MODE[,strict]" back into @out (logs, the start event). */
void policy_scope_format(const struct sw_policy_scope *s, char *out, size_t size);

/*
 * The mode of a process: @in_container with its image name and Kubernetes
 * namespace (either may be NULL), else the host. *@ret_strict says whether
 * its fallback is deny; the matching scope (NULL: the default) is returned.
 */
const struct sw_policy_scope *policy_match(const struct sw_policy *p, bool in_container,
					   const char *image_name, const char *k8s_namespace,
					   enum sw_mode *ret_mode, bool *ret_strict);
/* True for every mode but monitor: the backend must be asked for this scope. */
static inline bool policy_mode_decides(enum sw_mode m)
{
	return m != SW_MODE_MONITOR;
}

/*
 * Does the baseline refuse @v? modified, unknown, fileless, image_mismatch
 * always; no_baseline when the policy says so; ok never. unverified and
 * tamper are not refusals by the baseline: see policy_decide().
 */
bool policy_verdict_refused(const struct sw_policy *p, enum sw_verdict v);

/*
 * The decision on verdict @v in @mode: refused → deny (enforce) or would_deny
 * (audit); unverified (the file could not be hashed) → the fallback of the
 * scope (@strict: deny); anything else allowed. monitor always allows.
 */
enum sw_decision policy_decide(const struct sw_policy *p, enum sw_mode mode, bool strict,
			       enum sw_verdict v);
/* The fallback when no decision was reached by the deadline. */
enum sw_decision policy_fallback(enum sw_mode mode, bool strict);
/* True when the backend must answer deny. */
bool policy_decision_denies(enum sw_decision d);
/* "allowed", "denied", "would_deny", "fallback_allow", "fallback_deny". */
const char *policy_decision_name(enum sw_decision d);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/* policy.c: modes per scope and the decision on a verdict (policy.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "imageref.h"
#include "policy.h"

static const char *const mode_names[] = {
	[SW_MODE_MONITOR] = "monitor",
	[SW_MODE_AUDIT] = "audit",
	[SW_MODE_ENFORCE] = "enforce",
};

void policy_init(struct sw_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_mode = SW_MODE_MONITOR;
	p->deadline_ms = SW_POLICY_DEADLINE_DEFAULT_MS;
}

const char *policy_mode_name(enum sw_mode m)
{
	return m <= SW_MODE_ENFORCE ? mode_names[m] : "?";
}

int policy_mode_from_name(const char *name, enum sw_mode *ret)
{
	for (unsigned int i = 0; name && i <= SW_MODE_ENFORCE; i++)
		if (!strcmp(name, mode_names[i])) {
			*ret = (enum sw_mode)i;
			return 0;
		}
	return -EINVAL;
}

int policy_scope_parse(const char *spec, struct sw_policy_scope *ret)
{
	struct sw_policy_scope s = { 0 };
	const char *eq = spec ? strrchr(spec, '=') : NULL, *pat;
	char mode[32];
	size_t n;

	if (!eq)
		return -EINVAL;
	n = strlen(eq + 1);
	if (n >= sizeof(mode))
		return -EINVAL;
	memcpy(mode, eq + 1, n + 1);
	if (n > 7 && !strcmp(mode + n - 7, ",strict")) {
		s.strict = true;
		mode[n - 7] = '\0';
	}
	if (policy_mode_from_name(mode, &s.mode))
		return -EINVAL;
	if (!strncmp(spec, "host", 4) && spec + 4 == eq) {
		s.kind = SW_SCOPE_HOST;
	} else {
		if (!strncmp(spec, "image:", 6)) {
			s.kind = SW_SCOPE_IMAGE;
			pat = spec + 6;
		} else if (!strncmp(spec, "namespace:", 10)) {
			s.kind = SW_SCOPE_NAMESPACE;
			pat = spec + 10;
		} else {
			return -EINVAL;
		}
		n = (size_t)(eq - pat);
		if (!n || n >= sizeof(s.pattern))
			return -EINVAL;
		memcpy(s.pattern, pat, n);
		s.pattern[n] = '\0';
	}
	*ret = s;
	return 0;
}

int policy_scope_add(struct sw_policy *p, const char *spec)
{
	struct sw_policy_scope s;

	if (policy_scope_parse(spec, &s))
		return -EINVAL;
	if (p->n_scopes >= SW_POLICY_MAX_SCOPES)
		return -E2BIG;
	p->scopes[p->n_scopes++] = s;
	return 0;
}

void policy_scope_format(const struct sw_policy_scope *s, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s=%s%s",
		 s->kind == SW_SCOPE_HOST  ? "host" :
		 s->kind == SW_SCOPE_IMAGE ? "image:" :
					     "namespace:",
		 s->pattern, "", policy_mode_name(s->mode), s->strict ? ",strict" : "");
}

/* An image pattern matches the name as written and its normalized form. */
static bool image_matches(const char *pattern, const char *name)
{
	char norm[512];

	if (!name)
		return false;
	if (!fnmatch(pattern, name, 0))
		return true;
	return !imageref_normalize(name, norm, sizeof(norm)) && !fnmatch(pattern, norm, 0);
}

const struct sw_policy_scope *policy_match(const struct sw_policy *p, bool in_container,
					   const char *image_name, const char *k8s_namespace,
					   enum sw_mode *ret_mode, bool *ret_strict)
{
	for (size_t i = 0; i < p->n_scopes; i++) {
		const struct sw_policy_scope *s = &p->scopes[i];
		bool hit = s->kind == SW_SCOPE_HOST ? !in_container :
			   !in_container	    ? false :
			   s->kind == SW_SCOPE_IMAGE ?
					   image_matches(s->pattern, image_name) :
					   k8s_namespace && !fnmatch(s->pattern, k8s_namespace, 0);

		if (hit) {
			*ret_mode = s->mode;
			*ret_strict = s->strict;
			return s;
		}
	}
	*ret_mode = p->default_mode;
	*ret_strict = p->default_strict;
	return NULL;
}

bool policy_verdict_refused(const struct sw_policy *p, enum sw_verdict v)
{
	switch (v) {
	case SW_VERDICT_MODIFIED:
	case SW_VERDICT_UNKNOWN:
	case SW_VERDICT_FILELESS:
	case SW_VERDICT_IMAGE_MISMATCH:
		return true;
	case SW_VERDICT_NO_BASELINE:
		return p->deny_no_baseline;
	default:
		return false;
	}
}

enum sw_decision policy_fallback(enum sw_mode mode, bool strict)
{
	return mode == SW_MODE_ENFORCE && strict ? SW_DECISION_FALLBACK_DENY :
						   SW_DECISION_FALLBACK_ALLOW;
}

enum sw_decision policy_decide(const struct sw_policy *p, enum sw_mode mode, bool strict,
			       enum sw_verdict v)
{
	if (mode == SW_MODE_MONITOR)
		return SW_DECISION_ALLOW;
	if (policy_verdict_refused(p, v))
		return mode == SW_MODE_ENFORCE ? SW_DECISION_DENY : SW_DECISION_WOULD_DENY;
	if (v == SW_VERDICT_UNVERIFIED)
		return policy_fallback(mode, strict);
	return SW_DECISION_ALLOW;
}

bool policy_decision_denies(enum sw_decision d)
{
	return d == SW_DECISION_DENY || d == SW_DECISION_FALLBACK_DENY;
}

const char *policy_decision_name(enum sw_decision d)
{
	switch (d) {
	case SW_DECISION_ALLOW:
		return "allowed";
	case SW_DECISION_DENY:
		return "denied";
	case SW_DECISION_WOULD_DENY:
		return "would_deny";
	case SW_DECISION_FALLBACK_ALLOW:
		return "fallback_allow";
	case SW_DECISION_FALLBACK_DENY:
		return "fallback_deny";
	}
	return "?";
}

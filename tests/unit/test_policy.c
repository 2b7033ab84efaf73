// SPDX-License-Identifier: GPL-2.0-only
/* policy.c: modes per scope and the decision on a verdict (docs/enforce.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "ecs.h"
#include "events.h"
#include "errors.h"
#include "policy.h"

TEST(modes_by_name)
{
	enum sw_mode m;

	CHECK_INT(policy_mode_from_name("monitor", &m), 0);
	CHECK_INT(m, SW_MODE_MONITOR);
	CHECK_INT(policy_mode_from_name("audit", &m), 0);
	CHECK_INT(m, SW_MODE_AUDIT);
	CHECK_INT(policy_mode_from_name("enforce", &m), 0);
	CHECK_INT(m, SW_MODE_ENFORCE);
	CHECK_INT(policy_mode_from_name("Enforce", &m), -EINVAL);
	CHECK_INT(policy_mode_from_name("", &m), -EINVAL);
	CHECK_INT(policy_mode_from_name(NULL, &m), -EINVAL);
	CHECK_STR(policy_mode_name(SW_MODE_AUDIT), "audit");
}

TEST(scope_specs)
{
	struct sw_policy_scope s;
	char out[300];

	CHECK_INT(policy_scope_parse("image:registry.example/app*=enforce,strict", &s), 0);
	CHECK_INT(s.kind, SW_SCOPE_IMAGE);
	CHECK_STR(s.pattern, "registry.example/app*");
	CHECK_INT(s.mode, SW_MODE_ENFORCE);
	CHECK(s.strict);
	policy_scope_format(&s, out, sizeof(out));
	CHECK_STR(out, "image:registry.example/app*=enforce,strict");
	CHECK_INT(policy_scope_parse("namespace:prod-*=audit", &s), 0);
	CHECK_INT(s.kind, SW_SCOPE_NAMESPACE);
	CHECK_STR(s.pattern, "prod-*");
	CHECK(!s.strict);
	CHECK_INT(policy_scope_parse("host=monitor", &s), 0);
	CHECK_INT(s.kind, SW_SCOPE_HOST);
	CHECK_STR(s.pattern, "");
	/* an image name may hold '=' only before the last one: the mode is after it */
	CHECK_INT(policy_scope_parse("image:a=b=audit", &s), 0);
	CHECK_STR(s.pattern, "a=b");
	CHECK_INT(policy_scope_parse("image:=enforce", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("image:x", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("image:x=block", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("image:x=enforce,lax", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("pod:x=enforce", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("hostile=enforce", &s), -EINVAL);
	CHECK_INT(policy_scope_parse("host:x=enforce", &s), -EINVAL);
}

TEST(first_matching_scope_decides)
{
	struct sw_policy p;
	enum sw_mode m;
	bool strict;

	policy_init(&p);
	CHECK_INT(p.default_mode, SW_MODE_MONITOR);
	CHECK_INT(p.deadline_ms, SW_POLICY_DEADLINE_DEFAULT_MS);
	p.default_mode = SW_MODE_ENFORCE;
	CHECK_INT(policy_scope_add(&p, "image:localhost/dev-*=monitor"), 0);
	CHECK_INT(policy_scope_add(&p, "namespace:staging=audit"), 0);
	CHECK_INT(policy_scope_add(&p, "image:docker.io/library/nginx:*=enforce,strict"), 0);
	CHECK_INT(policy_scope_add(&p, "host=audit"), 0);

	CHECK(policy_match(&p, true, "localhost/dev-tools:1", NULL, &m, &strict) == &p.scopes[0]);
	CHECK_INT(m, SW_MODE_MONITOR);
	/* the image scope comes first even in the staging namespace */
	policy_match(&p, true, "localhost/dev-x:2", "staging", &m, &strict);
	CHECK_INT(m, SW_MODE_MONITOR);
	policy_match(&p, true, "quay.io/app:1", "staging", &m, &strict);
	CHECK_INT(m, SW_MODE_AUDIT);
	/* a short name matches in its normalized form */
	policy_match(&p, true, "nginx:1.25", NULL, &m, &strict);
	CHECK_INT(m, SW_MODE_ENFORCE);
	CHECK(strict);
	/* no scope: the default */
	CHECK(policy_match(&p, true, "quay.io/other:1", "prod", &m, &strict) == NULL);
	CHECK_INT(m, SW_MODE_ENFORCE);
	CHECK(!strict);
	/* no image name: only namespace scopes and the default can match */
	policy_match(&p, true, NULL, NULL, &m, &strict);
	CHECK_INT(m, SW_MODE_ENFORCE);
	/* the host: its own scope, never an image or namespace scope */
	policy_match(&p, false, "localhost/dev-tools:1", "staging", &m, &strict);
	CHECK_INT(m, SW_MODE_AUDIT);
	p.n_scopes = 3;
	policy_match(&p, false, NULL, NULL, &m, &strict);
	CHECK_INT(m, SW_MODE_ENFORCE);
	for (int i = 0; i < SW_POLICY_MAX_SCOPES; i++)
		policy_scope_add(&p, "host=monitor");
	CHECK_INT(policy_scope_add(&p, "host=monitor"), -E2BIG);
	CHECK_INT(p.n_scopes, SW_POLICY_MAX_SCOPES);
}

TEST(decisions)
{
	struct sw_policy p;

	policy_init(&p);
	/* the deny set */
	for (enum sw_verdict v = 0; v < SW_VERDICT__COUNT; v++) {
		bool refused = v == SW_VERDICT_MODIFIED || v == SW_VERDICT_UNKNOWN ||
			       v == SW_VERDICT_FILELESS || v == SW_VERDICT_IMAGE_MISMATCH;

		CHECK_INT(policy_verdict_refused(&p, v), refused);
		CHECK_INT(policy_decide(&p, SW_MODE_MONITOR, true, v), SW_DECISION_ALLOW);
		if (refused) {
			CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, false, v), SW_DECISION_DENY);
			CHECK_INT(policy_decide(&p, SW_MODE_AUDIT, false, v),
				  SW_DECISION_WOULD_DENY);
		}
	}
	CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, false, SW_VERDICT_OK), SW_DECISION_ALLOW);
	/* no_baseline: allowed unless the policy says deny */
	CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, false, SW_VERDICT_NO_BASELINE),
		  SW_DECISION_ALLOW);
	p.deny_no_baseline = true;
	CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, false, SW_VERDICT_NO_BASELINE),
		  SW_DECISION_DENY);
	CHECK_INT(policy_decide(&p, SW_MODE_AUDIT, false, SW_VERDICT_NO_BASELINE),
		  SW_DECISION_WOULD_DENY);
	/* not verifiable: the scope's fallback */
	CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, false, SW_VERDICT_UNVERIFIED),
		  SW_DECISION_FALLBACK_ALLOW);
	CHECK_INT(policy_decide(&p, SW_MODE_ENFORCE, true, SW_VERDICT_UNVERIFIED),
		  SW_DECISION_FALLBACK_DENY);
	CHECK_INT(policy_decide(&p, SW_MODE_AUDIT, true, SW_VERDICT_UNVERIFIED),
		  SW_DECISION_FALLBACK_ALLOW);
	CHECK_INT(policy_fallback(SW_MODE_ENFORCE, true), SW_DECISION_FALLBACK_DENY);
	CHECK_INT(policy_fallback(SW_MODE_ENFORCE, false), SW_DECISION_FALLBACK_ALLOW);
	CHECK_INT(policy_fallback(SW_MODE_MONITOR, true), SW_DECISION_FALLBACK_ALLOW);
	CHECK(policy_decision_denies(SW_DECISION_DENY));
	CHECK(policy_decision_denies(SW_DECISION_FALLBACK_DENY));
	CHECK(!policy_decision_denies(SW_DECISION_WOULD_DENY));
	CHECK(!policy_decision_denies(SW_DECISION_FALLBACK_ALLOW));
	CHECK_STR(policy_decision_name(SW_DECISION_WOULD_DENY), "would_deny");
	CHECK_STR(policy_decision_name(SW_DECISION_DENY), "denied");
}

TEST(config_keys)
{
	struct sw_config c;
	struct sw_error err = { { 0 } };
	char path[] = "/tmp/sw-test-policy.XXXXXX";
	int fd = mkstemp(path);
	const char *text = "{\"mode\": \"enforce,strict\", \"scopes\": [\"image:a*=audit\", "
			   "\"host=monitor\"], \"no_baseline_action\": \"deny\", "
			   "\"decision_deadline_ms\": 250, \"enforce_libraries\": true}";

	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	config_init(&c);
	CHECK_INT(config_load_file(&c, path, &err), 0);
	CHECK_INT(c.policy.default_mode, SW_MODE_ENFORCE);
	CHECK(c.policy.default_strict);
	CHECK_INT(c.policy.n_scopes, 2);
	CHECK_INT(c.policy.scopes[1].kind, SW_SCOPE_HOST);
	CHECK(c.policy.deny_no_baseline);
	CHECK_INT(c.policy.deadline_ms, 250);
	CHECK(c.enforce_libraries);
	config_clear(&c);

	fd = open(path, O_WRONLY | O_TRUNC);
	text = "{\"scopes\": [\"image:a*=block\"]}";
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	config_init(&c);
	CHECK_INT(config_load_file(&c, path, &err), -EBADMSG);
	CHECK(strstr(err.msg, "'scopes'") != NULL);
	config_clear(&c);
	unlink(path);
}

/* The event of a decision: ECS event.type/outcome and sealwatch.decision (docs/events.md). */
TEST(decision_event_fields)
{
	struct sw_exec_event ev = { .type = SW_EVENT_EXEC, .pid = 7, .tgid = 7 };
	struct ecs_exec x = { .ev = &ev,
			      .action = "exec",
			      .verdict = SW_VERDICT_UNKNOWN,
			      .severity = SW_SEVERITY_HIGH,
			      .executable = "/tmp/x" };
	char *line;

	line = ecs_exec_json(&x); /* monitor: no decision fields */
	CHECK(line && !strstr(line, "outcome") && !strstr(line, "decision"));
	free(line);
	x.decision = "denied";
	x.mode = "enforce";
	x.decision_ms = 1.5;
	line = ecs_exec_json(&x);
	CHECK(line && strstr(line, "\"type\":[\"start\",\"denied\"]"));
	CHECK(line && strstr(line, "\"outcome\":\"failure\""));
	CHECK(line && strstr(line, "\"decision\":\"denied\""));
	CHECK(line && strstr(line, "\"mode\":\"enforce\""));
	free(line);
	x.decision = "would_deny";
	x.mode = "audit";
	line = ecs_exec_json(&x);
	CHECK(line && strstr(line, "\"type\":[\"start\",\"allowed\"]"));
	CHECK(line && strstr(line, "\"outcome\":\"success\""));
	free(line);
	x.action = "mmap_exec";
	x.decision = "fallback_deny";
	line = ecs_exec_json(&x);
	CHECK(line && strstr(line, "\"type\":[\"access\",\"denied\"]"));
	CHECK(line && strstr(line, "\"outcome\":\"failure\""));
	free(line);
}

int main(void)
{
	RUN(modes_by_name);
	RUN(scope_specs);
	RUN(first_matching_scope_decides);
	RUN(decisions);
	RUN(config_keys);
	RUN(decision_event_fields);
	return check_exit();
}

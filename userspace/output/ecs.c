// SPDX-License-Identifier: GPL-2.0-only
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/types.h>

#include "ecs.h"
#include "events.h"
#include "hexutil.h"
#include "path.h"
#include "procpath.h"
#include "scan.h"

void ecs_timestamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static char host_name[256];

static void host_name_init(void)
{
	if (gethostname(host_name, sizeof(host_name) - 1))
		strcpy(host_name, "unknown");
}

/* Read once (sink workers build events too: pthread_once, not a racy static). */
static const char *hostname(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, host_name_init);
	return host_name;
}

/* Raw bytes (paths, comm) as a JSON string: escaped like baselines when not UTF-8. */
static json_t *jstr_raw(const char *raw)
{
	char *esc;
	json_t *j;

	if (!raw)
		return json_null();
	esc = path_escape(raw);
	j = esc ? json_string(esc) : NULL;
	free(esc);
	return j ? j : json_null();
}

static json_t *jstr_bounded(const char *s, size_t max)
{
	char buf[SW_FILENAME_LEN + 1];
	size_t n = strnlen(s, max < sizeof(buf) - 1 ? max : sizeof(buf) - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
	return jstr_raw(buf);
}

/*
 * ev->filename as a path: a leaf-first dentry walk (SW_EF_PATH_DENTRY) is put
 * in order, never printed as its raw names; one that did not reach the
 * task's root is marked so ("…" before the part found).
 */
#define EVENT_FILENAME_LEN (SW_FILENAME_LEN + 8)
static const char *event_filename(const struct sw_exec_event *ev, char path[EVENT_FILENAME_LEN])
{
	if (!(ev->flags & SW_EF_PATH_DENTRY)) {
		size_t n = strnlen(ev->filename, SW_FILENAME_LEN);

		memcpy(path, ev->filename, n);
		path[n] = '\0';
		return path;
	}
	if (procpath_from_dentries(ev->filename, SW_FILENAME_LEN, path + 3, EVENT_FILENAME_LEN - 3))
		return "";
	if ((ev->flags & (SW_EF_PATH_TOP | SW_EF_FILENAME_TRUNC)) == SW_EF_PATH_TOP)
		return path + 3;
	memcpy(path, "\xe2\x80\xa6", 3);
	return path;
}

static json_t *jhex(const unsigned char *d)
{
	char hex[2 * SW_SHA256_LEN + 1];

	hex_encode(d, SW_SHA256_LEN, hex);
	return json_string(hex);
}

static void set_opt(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static const char *rule_name(enum sw_verdict v)
{
	switch (v) {
	case SW_VERDICT_MODIFIED:
		return "sealwatch.modified_executable";
	case SW_VERDICT_UNKNOWN:
		return "sealwatch.unknown_executable";
	case SW_VERDICT_FILELESS:
		return "sealwatch.fileless_execution";
	case SW_VERDICT_NO_BASELINE:
		return "sealwatch.no_baseline";
	case SW_VERDICT_UNVERIFIED:
		return "sealwatch.unverified_execution";
	case SW_VERDICT_TAMPER:
		return "sealwatch.image_file_tamper";
	case SW_VERDICT_IMAGE_MISMATCH:
		return "sealwatch.image_mismatch";
	case SW_VERDICT_ANOMALY:
		return "sealwatch.anomaly";
	default:
		return "sealwatch.verified_execution";
	}
}

/* ECS event.category and event.type of an action. */
static void action_categories(const char *action, const char **category, const char **type)
{
	*category = "file";
	if (!strcmp(action, "image_mismatch")) {
		*category = "process";
		*type = "info";
	} else if (!strcmp(action, "exec") || !strcmp(action, "exec_script")) {
		*category = "process";
		*type = "start";
	} else if (!strcmp(action, "mmap_exec") || !strcmp(action, "script_open") ||
		   !strcmp(action, "read_open")) {
		*type = "access";
	} else if (!strcmp(action, "unlink")) {
		*type = "deletion";
	} else {
		*type = "change"; /* open_write, rename, truncate */
	}
}

static json_t *caps_json(const unsigned char *caps, uint32_t len)
{
	char hex[2 * SW_CAPS_MAX + 1];

	if (!len)
		return json_null();
	hex_encode(caps, len > SW_CAPS_MAX ? SW_CAPS_MAX : len, hex);
	return json_string(hex);
}

/* Add the metadata fields of @fields to @o: mode as octal text, uid, gid, caps as hex. */
static void meta_json(json_t *o, unsigned int fields, uint32_t mode, uint32_t uid, uint32_t gid,
		      const unsigned char *caps, uint32_t caps_len)
{
	char m[8];

	snprintf(m, sizeof(m), "%04o", mode & 07777);
	if (fields & SCAN_F_MODE)
		json_object_set_new(o, "mode", json_string(m));
	if (fields & SCAN_F_UID)
		json_object_set_new(o, "uid", json_integer(uid));
	if (fields & SCAN_F_GID)
		json_object_set_new(o, "gid", json_integer(gid));
	if (fields & SCAN_F_CAPS)
		json_object_set_new(o, "caps", caps_json(caps, caps_len));
}

/*
 * modified: sealwatch.fields (what differs), the differing metadata beside
 * expected.sha256, and the file's own values under sealwatch.actual.
 */
static void fields_json(json_t *sw, const struct ecs_exec *x)
{
	const struct sw_entry *e = x->expected;
	json_t *names = json_array(), *exp = json_object_get(sw, "expected"), *act;

	for (unsigned int bit = 1; bit && bit <= x->fields; bit <<= 1)
		if (x->fields & bit)
			json_array_append_new(names, json_string(scan_field_name(bit)));
	json_object_set_new(sw, "fields", names);
	if (!exp) {
		exp = json_object();
		json_object_set_new(sw, "expected", exp);
	}
	meta_json(exp, x->fields, e->mode, e->uid, e->gid, e->caps, e->caps_len);
	if (!x->actual)
		return;
	act = json_object();
	meta_json(act, x->fields, x->actual->mode, x->actual->uid, x->actual->gid, x->actual->caps,
		  x->actual->caps_len);
	if (x->fields & SCAN_F_SIZE)
		json_object_set_new(act, "size", json_integer((json_int_t)x->ev->file.size));
	json_object_set_new(sw, "actual", act);
}

static json_t *container_json(const struct ecs_container *c)
{
	json_t *o = json_object(), *img = json_object();

	set_opt(o, "id", c->id);
	set_opt(o, "name", c->name);
	set_opt(o, "runtime", c->runtime);
	set_opt(img, "name", c->image_name);
	set_opt(img, "id", c->image_id);
	json_object_set_new(o, "image", img);
	return o;
}

static json_t *event_json(const struct ecs_exec *x)
{
	json_t *event = json_object();
	const char *category, *type;

	action_categories(x->action, &category, &type);
	json_object_set_new(event, "kind",
			    json_string(x->verdict == SW_VERDICT_OK ? "event" : "alert"));
	json_object_set_new(event, "category", json_pack("[s]", category));
	if (x->decision) {
		/* a permission decision: ECS event.type allowed/denied, the syscall's outcome */
		bool denied =
			!strcmp(x->decision, "denied") || !strcmp(x->decision, "fallback_deny");

		json_object_set_new(event, "type",
				    json_pack("[s,s]", type, denied ? "denied" : "allowed"));
		json_object_set_new(event, "outcome", json_string(denied ? "failure" : "success"));
	} else {
		json_object_set_new(event, "type", json_pack("[s]", type));
	}
	json_object_set_new(event, "action", json_string(x->action));
	json_object_set_new(event, "severity", json_integer(x->severity));
	json_object_set_new(event, "module", json_string("sealwatch"));
	return event;
}

/* process.*: for "exec" the executable is the file; else the process's own. */
static json_t *process_json(const struct ecs_exec *x, bool is_exec)
{
	const struct sw_exec_event *ev = x->ev;
	json_t *proc = json_object(), *args;

	json_object_set_new(proc, "pid", json_integer(ev->tgid));
	json_object_set_new(proc, "thread", json_pack("{s:I}", "id", (json_int_t)ev->pid));
	json_object_set_new(proc, "name", jstr_bounded(ev->comm, SW_COMM_LEN));
	if (!is_exec) {
		if (x->process_exe)
			json_object_set_new(proc, "executable", jstr_raw(x->process_exe));
	} else if (x->executable) {
		json_object_set_new(proc, "executable", jstr_raw(x->executable));
	} else {
		json_object_set_new(proc, "executable",
				    jstr_bounded(ev->filename, SW_FILENAME_LEN));
	}
	if (x->n_args) {
		args = json_array();
		for (size_t i = 0; i < x->n_args; i++)
			json_array_append_new(args, jstr_raw(x->args[i]));
		json_object_set_new(proc, "args", args);
	}
	json_object_set_new(proc, "parent", json_pack("{s:I}", "pid", (json_int_t)ev->ppid));
	return proc;
}

static json_t *file_json(const struct ecs_exec *x)
{
	const struct sw_exec_event *ev = x->ev;
	json_t *file = json_object();
	char buf[32], fname[EVENT_FILENAME_LEN];

	if (x->executable)
		json_object_set_new(file, "path", jstr_raw(x->executable));
	else
		json_object_set_new(file, "path", jstr_raw(event_filename(ev, fname)));
	if (!(ev->flags & SW_EF_NO_FILE_ID)) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ev->file.ino);
		json_object_set_new(file, "inode", json_string(buf));
		snprintf(buf, sizeof(buf), "%u:%u", ev->file.dev >> 20, ev->file.dev & 0xfffff);
		json_object_set_new(file, "device", json_string(buf));
		json_object_set_new(file, "size", json_integer((json_int_t)ev->file.size));
	}
	if (x->sha256)
		json_object_set_new(file, "hash", json_pack("{s:o}", "sha256", jhex(x->sha256)));
	return file;
}

/* container.* and, for a Kubernetes pod, orchestrator.* into @root. */
static void container_add(json_t *root, const struct ecs_container *c)
{
	json_object_set_new(root, "container", container_json(c));
	if (c->pod_name || c->pod_namespace) {
		json_t *orc = json_object(), *res = json_object();

		json_object_set_new(orc, "type", json_string("kubernetes"));
		set_opt(orc, "namespace", c->pod_namespace);
		json_object_set_new(res, "type", json_string("pod"));
		set_opt(res, "name", c->pod_name);
		json_object_set_new(orc, "resource", res);
		json_object_set_new(root, "orchestrator", orc);
	}
}

/* sealwatch.*: the verdict, why, what the baseline expected. */
static json_t *sealwatch_json(const struct ecs_exec *x)
{
	const struct sw_exec_event *ev = x->ev;
	json_t *sw = json_object();

	json_object_set_new(sw, "verdict", json_string(verdict_name(x->verdict)));
	set_opt(sw, "reason", x->reason);
	if (x->expected && x->expected->has_sha256)
		json_object_set_new(sw, "expected",
				    json_pack("{s:o}", "sha256", jhex(x->expected->sha256)));
	if (x->fields && x->expected)
		fields_json(sw, x);
	if (x->same_content_as)
		json_object_set_new(sw, "same_content_as", jstr_raw(x->same_content_as));
	if (x->baseline_digest) {
		json_t *b = json_pack("{s:s}", "digest", x->baseline_digest);

		set_opt(b, "match", x->baseline_match);
		set_opt(b, "image_name", x->baseline_image_name);
		json_object_set_new(sw, "baseline", b);
	} else if (x->baseline_status) {
		json_object_set_new(sw, "baseline",
				    json_pack("{s:s}", "status", x->baseline_status));
	}
	if (x->expected_image_id) {
		json_object_set_new(sw, "expected",
				    json_pack("{s:s}", "image_id", x->expected_image_id));
		if (x->container && x->container->image_id)
			json_object_set_new(sw, "actual",
					    json_pack("{s:s}", "image_id", x->container->image_id));
	}
	if (ev->flags & SW_EF_UPPER_KNOWN) /* written or copied up inside the container */
		json_object_set_new(sw, "overlay_upper",
				    json_boolean(ev->flags & SW_EF_OVERLAY_UPPER));
	if (!(ev->flags & SW_EF_NO_FILE_ID))
		json_object_set_new(sw, "file_ctime",
				    json_pack("{s:I,s:I}", "sec", (json_int_t)ev->file.ctime_sec,
					      "nsec", (json_int_t)ev->file.ctime_nsec));
	if (x->old_path)
		json_object_set_new(sw, "old_path", jstr_raw(x->old_path));
	if (x->layer)
		json_object_set(sw, "layer", x->layer);
	if (x->anomaly)
		json_object_set(sw, "anomaly", x->anomaly);
	if (x->decision) {
		json_object_set_new(sw, "decision", json_string(x->decision));
		set_opt(sw, "mode", x->mode);
		if (x->decision_ms >= 0)
			json_object_set_new(sw, "decision_ms", json_real(x->decision_ms));
	}
	return sw;
}

char *ecs_exec_json(const struct ecs_exec *x)
{
	const struct sw_exec_event *ev = x->ev;
	const struct ecs_container *c = x->container;
	json_t *root = json_object();
	bool is_exec = !strcmp(x->action, "exec");
	char ts[32], msg[512], fname[EVENT_FILENAME_LEN];
	char *line;

	ecs_timestamp(ts);
	json_object_set_new(root, "@timestamp", json_string(ts));
	json_object_set_new(root, "event", event_json(x));
	json_object_set_new(root, "rule", json_pack("{s:s}", "name", rule_name(x->verdict)));
	json_object_set_new(root, "process", process_json(x, is_exec));
	snprintf(msg, sizeof(msg), "%u", ev->uid);
	json_object_set_new(root, "user", json_pack("{s:s}", "id", msg));
	snprintf(msg, sizeof(msg), "%u", ev->gid);
	json_object_set_new(root, "group", json_pack("{s:s}", "id", msg));
	json_object_set_new(root, "file", file_json(x));
	if (c)
		container_add(root, c);
	json_object_set_new(root, "host", json_pack("{s:s}", "hostname", hostname()));
	json_object_set_new(root, "sealwatch", sealwatch_json(x));
	snprintf(msg, sizeof(msg), "%s %s %s%s%s", verdict_name(x->verdict),
		 is_exec ? "executable" : x->action,
		 x->executable ? x->executable : event_filename(ev, fname),
		 c ? " in container " : " on the host", c ? (c->name ? c->name : c->id) : "");
	json_object_set_new(root, "message", jstr_raw(msg));
	line = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return line;
}

char *ecs_daemon_json(const char *kind, const char *action, int severity, const char *message,
		      json_t *extra)
{
	json_t *root = json_object();
	char ts[32], *line;

	ecs_timestamp(ts);
	json_object_set_new(root, "@timestamp", json_string(ts));
	json_object_set_new(root, "event",
			    json_pack("{s:s,s:[s],s:s,s:i,s:s}", "kind", kind, "category",
				      "configuration", "action", action, "severity", severity,
				      "module", "sealwatch"));
	json_object_set_new(root, "message", jstr_raw(message));
	json_object_set_new(root, "host", json_pack("{s:s}", "hostname", hostname()));
	if (extra)
		json_object_set_new(root, "sealwatch", extra);
	line = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return line;
}

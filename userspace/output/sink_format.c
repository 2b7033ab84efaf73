// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an ECS event line becomes on the wire: as is, a Falco alert for
 * falcosidekick, a Splunk HEC envelope, an Elasticsearch _bulk pair; and the
 * fields a syslog header needs (docs/siem.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sink_internal.h"
#include "verdict.h"

int sink_buf_add(struct sink_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void sink_buf_free(struct sink_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int sink_format_parse(const char *name, enum sink_format *ret)
{
	static const struct {
		const char *name;
		enum sink_format f;
	} names[] = {
		{ "json", SINK_FORMAT_JSON },
		{ "falco", SINK_FORMAT_FALCO },
		{ "splunk-hec", SINK_FORMAT_SPLUNK_HEC },
		{ "elastic-bulk", SINK_FORMAT_ELASTIC_BULK },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*ret = names[i].f;
			return 0;
		}
	return -EINVAL;
}

static json_t *path_get(json_t *root, const char *a, const char *b)
{
	json_t *o = json_object_get(root, a);

	return b ? json_object_get(o, b) : o;
}

static int severity_of(json_t *root)
{
	json_t *s = path_get(root, "event", "severity");

	return json_is_integer(s) ? (int)json_integer_value(s) : SW_SEVERITY_INFO;
}

/* ECS severity (0-100, verdict.h) → Falco priority, syslog severity. */
static const char *falco_priority(int sev)
{
	if (sev >= SW_SEVERITY_CRITICAL)
		return "Critical";
	if (sev >= SW_SEVERITY_HIGH)
		return "Error";
	if (sev >= SW_SEVERITY_MEDIUM)
		return "Warning";
	if (sev >= SW_SEVERITY_LOW)
		return "Notice";
	return "Informational";
}

static int syslog_severity(int sev)
{
	if (sev >= SW_SEVERITY_CRITICAL)
		return 2; /* crit */
	if (sev >= SW_SEVERITY_HIGH)
		return 3; /* err */
	if (sev >= SW_SEVERITY_MEDIUM)
		return 4; /* warning */
	if (sev >= SW_SEVERITY_LOW)
		return 5; /* notice */
	return 6; /* info */
}

/* Nested objects → "a.b.c" keys (Falco's output_fields are flat). */
static void flatten(json_t *out, const char *prefix, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (json_is_object(v))
			flatten(out, name, v);
		else if (strcmp(name, "@timestamp") && strcmp(name, "message"))
			json_object_set(out, name, v);
	}
}

static json_t *falco_alert(json_t *root)
{
	json_t *fields = json_object(), *tags = json_array(), *out;
	const char *action = json_string_value(path_get(root, "event", "action"));
	const char *verdict = json_string_value(path_get(root, "sealwatch", "verdict"));
	const char *rule = json_string_value(path_get(root, "rule", "name"));
	const char *msg = json_string_value(json_object_get(root, "message"));
	const char *ts = json_string_value(json_object_get(root, "@timestamp"));
	const char *host = json_string_value(path_get(root, "host", "hostname"));
	char rulebuf[128], output[2048];

	flatten(fields, "", root);
	json_array_append_new(tags, json_string("sealwatch"));
	json_array_append_new(tags, json_string("integrity"));
	if (verdict)
		json_array_append_new(tags, json_string(verdict));
	if (!rule) {
		snprintf(rulebuf, sizeof(rulebuf), "sealwatch.%s", action ? action : "event");
		rule = rulebuf;
	}
	/* Falco's output starts with the time and priority; keep that shape */
	snprintf(output, sizeof(output), "%s: %s %s", ts ? ts : "-",
		 falco_priority(severity_of(root)), msg && *msg ? msg : rule);
	out = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:s}", "output", output, "priority",
			falco_priority(severity_of(root)), "rule", rule, "time", ts ? ts : "",
			"output_fields", fields, "source", "sealwatch", "tags", tags, "hostname",
			host ? host : "");
	return out;
}

/* "2026-11-24T11:00:00.123Z" → seconds since the epoch with milliseconds. */
static int epoch_of(const char *ts, char *out, size_t size)
{
	struct tm tm = { 0 };
	const char *rest = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long ms = 0;

	if (!rest)
		return -EINVAL;
	if (*rest == '.')
		ms = strtol(rest + 1, NULL, 10) % 1000;
	snprintf(out, size, "%lld.%03ld", (long long)timegm(&tm), ms);
	return 0;
}

static int add_json(struct sink_buf *out, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int r;

	if (!s)
		return -ENOMEM;
	r = sink_buf_add(out, s, strlen(s));
	free(s);
	return r ? r : sink_buf_add(out, "\n", 1);
}

int sink_format_line(enum sink_format format, const char *line, const char *index,
		     struct sink_buf *out)
{
	json_t *root, *j = NULL;
	char epoch[40];
	int r;

	if (format == SINK_FORMAT_JSON) {
		r = sink_buf_add(out, line, strlen(line));
		return r ? r : sink_buf_add(out, "\n", 1);
	}
	root = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return -EBADMSG;
	}
	switch (format) {
	case SINK_FORMAT_FALCO:
		j = falco_alert(root);
		break;
	case SINK_FORMAT_SPLUNK_HEC:
		if (epoch_of(json_string_value(json_object_get(root, "@timestamp")), epoch,
			     sizeof(epoch)))
			snprintf(epoch, sizeof(epoch), "%lld", (long long)time(NULL));
		/* "time" as a JSON number: jansson's real would round, so splice it in */
		j = json_pack("{s:s,s:s,s:s,s:O}", "host",
			      json_string_value(path_get(root, "host", "hostname")) ?: "", "source",
			      "sealwatch", "sourcetype", "sealwatch", "event", root);
		if (j) {
			char *s = json_dumps(j, JSON_COMPACT);

			json_decref(j);
			j = NULL;
			if (!s) {
				r = -ENOMEM;
				goto out;
			}
			r = sink_buf_add(out, "{\"time\":", 8);
			if (!r)
				r = sink_buf_add(out, epoch, strlen(epoch));
			if (!r)
				r = sink_buf_add(out, ",", 1);
			if (!r)
				r = sink_buf_add(out, s + 1, strlen(s + 1));
			if (!r)
				r = sink_buf_add(out, "\n", 1);
			free(s);
			goto out;
		}
		break;
	case SINK_FORMAT_ELASTIC_BULK:
		j = index ? json_pack("{s:{s:s}}", "create", "_index", index) :
			    json_pack("{s:{}}", "create");
		r = add_json(out, j);
		json_decref(j);
		j = NULL;
		if (!r) {
			r = sink_buf_add(out, line, strlen(line));
			if (!r)
				r = sink_buf_add(out, "\n", 1);
		}
		goto out;
	default:
		break;
	}
	r = add_json(out, j);
out:
	json_decref(j);
	json_decref(root);
	return r;
}

void sink_syslog_fields(const char *line, int *severity, char *msgid, size_t msgid_size,
			char *timestamp, size_t ts_size)
{
	json_t *root = json_loads(line, 0, NULL);
	const char *action = json_string_value(path_get(root, "event", "action"));
	const char *ts = json_string_value(json_object_get(root, "@timestamp"));
	size_t n = 0;

	*severity = syslog_severity(severity_of(root));
	/* MSGID: 1-32 printable US-ASCII characters, else NILVALUE */
	if (action)
		for (; action[n] && n < 32 && n + 1 < msgid_size; n++) {
			if (action[n] < 33 || action[n] > 126)
				break;
			msgid[n] = action[n];
		}
	if (!n || (action && action[n]))
		snprintf(msgid, msgid_size, "-");
	else
		msgid[n] = '\0';
	/* our @timestamp is RFC 3339 UTC already; anything else: NILVALUE */
	if (ts && strlen(ts) < ts_size && strlen(ts) >= 20 && !strpbrk(ts, " \t"))
		snprintf(timestamp, ts_size, "%s", ts);
	else
		snprintf(timestamp, ts_size, "-");
	json_decref(root);
}

// SPDX-License-Identifier: GPL-2.0-only
/* Sink specs, wire formats and the spool, without any receiver. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "errors.h"
#include "metrics.h"
#include "sink.h"
#include "sink_internal.h"

static const char *event =
	"{\"@timestamp\":\"2026-11-24T11:00:00.250Z\",\"event\":{\"kind\":\"alert\","
	"\"action\":\"exec\",\"severity\":73},\"message\":\"unknown /tmp/x\","
	"\"host\":{\"hostname\":\"node1\"},\"file\":{\"path\":\"/tmp/x\"},"
	"\"sealwatch\":{\"verdict\":\"unknown\"}}";

TEST(spec_options_and_errors)
{
	struct sw_error err = { { 0 } };
	struct sink_spec spec;
	const char *s = NULL;
	uint64_t size = 0;
	unsigned int ms = 0;
	bool b = false;

	CHECK_INT(sink_spec_parse("file:/var/log/x.jsonl?max_size=100M&keep=5&ca=%2Fa%20b", &spec,
				  &err),
		  0);
	CHECK_STR(spec.scheme, "file");
	CHECK_STR(spec.target, "/var/log/x.jsonl");
	CHECK_INT(sink_opt_size(&spec, "max_size", &size, &err), 0);
	CHECK(size == 100ULL << 20);
	sink_opt_str(&spec, "ca", &s);
	CHECK_STR(s, "/a b");
	CHECK(!spec.opts[1].used); /* keep: never asked for */
	sink_spec_clear(&spec);

	CHECK_INT(sink_spec_parse("stdout", &spec, &err), 0);
	CHECK_STR(spec.scheme, "stdout");
	CHECK_INT(spec.n_opts, 0);
	sink_spec_clear(&spec);

	CHECK_INT(sink_spec_parse("x:y?t=15s&u=250ms&v=yes&w=2x", &spec, &err), 0);
	CHECK_INT(sink_opt_ms(&spec, "t", &ms, &err), 0);
	CHECK_INT(ms, 15000);
	CHECK_INT(sink_opt_ms(&spec, "u", &ms, &err), 0);
	CHECK_INT(ms, 250);
	CHECK_INT(sink_opt_bool(&spec, "v", &b, &err), 0);
	CHECK(b);
	CHECK_INT(sink_opt_size(&spec, "w", &size, &err), -EBADMSG);
	CHECK(strstr(err.msg, "option w=2x") != NULL);
	sink_spec_clear(&spec);

	CHECK_INT(sink_spec_parse("x:y?a=1&a=2", &spec, &err), -EBADMSG);
	CHECK_INT(sink_spec_parse("x:y?novalue", &spec, &err), -EBADMSG);
	CHECK_INT(sink_spec_parse("x:y?a=%00", &spec, &err), -EBADMSG);
}

TEST(hostport)
{
	struct sw_error err = { { 0 } };
	char *h = NULL, *p = NULL;
	const char *path = NULL;

	CHECK_INT(sink_parse_hostport("//[::1]:6514", &h, &p, &path, &err), 0);
	CHECK_STR(h, "::1");
	CHECK_STR(p, "6514");
	free(h);
	free(p);
	CHECK_INT(sink_parse_hostport("//siem.example:514/", &h, &p, &path, &err), 0);
	CHECK_STR(h, "siem.example");
	CHECK_STR(path, "/");
	free(h);
	free(p);
	CHECK_INT(sink_parse_hostport("//h", &h, &p, &path, &err), -EBADMSG);
	CHECK_INT(sink_parse_hostport("//h:99999", &h, &p, &path, &err), -EBADMSG);
	CHECK_INT(sink_parse_hostport("//h:5x", &h, &p, &path, &err), -EBADMSG);
	CHECK_INT(sink_parse_hostport("h:514", &h, &p, &path, &err), -EBADMSG);
}

TEST(formats)
{
	struct sink_buf b = { 0 };
	json_t *j;

	CHECK_INT(sink_format_line(SINK_FORMAT_SPLUNK_HEC, event, NULL, &b), 0);
	CHECK(b.len && b.data[b.len - 1] == '\n');
	CHECK(!strncmp(b.data, "{\"time\":1795518000.250,", 23));
	j = json_loads(b.data, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(j, "sourcetype")), "sealwatch");
	CHECK_STR(json_string_value(json_object_get(j, "host")), "node1");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "event"), "message")),
		  "unknown /tmp/x");
	json_decref(j);

	b.len = 0;
	CHECK_INT(sink_format_line(SINK_FORMAT_ELASTIC_BULK, event, "idx", &b), 0);
	CHECK(!strncmp(b.data, "{\"create\":{\"_index\":\"idx\"}}\n{\"@timestamp\"", 41));

	b.len = 0;
	CHECK_INT(sink_format_line(SINK_FORMAT_FALCO, event, NULL, &b), 0);
	j = json_loads(b.data, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(j, "priority")), "Error");
	CHECK_STR(json_string_value(json_object_get(j, "rule")), "sealwatch.exec");
	CHECK_STR(json_string_value(json_object_get(j, "time")), "2026-11-24T11:00:00.250Z");
	CHECK_STR(json_string_value(
			  json_object_get(json_object_get(j, "output_fields"), "file.path")),
		  "/tmp/x");
	json_decref(j);

	b.len = 0;
	CHECK_INT(sink_format_line(SINK_FORMAT_FALCO, "not json", NULL, &b), -EBADMSG);
	CHECK_INT(sink_format_line(SINK_FORMAT_JSON, "as is", NULL, &b), 0);
	CHECK_STR(b.data, "as is\n");
	sink_buf_free(&b);
}

TEST(syslog_fields)
{
	char msgid[40], ts[64];
	int sev;

	sink_syslog_fields(event, &sev, msgid, sizeof(msgid), ts, sizeof(ts));
	CHECK_INT(sev, 3);
	CHECK_STR(msgid, "exec");
	CHECK_STR(ts, "2026-11-24T11:00:00.250Z");
	sink_syslog_fields("{\"event\":{\"action\":\"has space\"}}", &sev, msgid, sizeof(msgid), ts,
			   sizeof(ts));
	CHECK_STR(msgid, "-");
	CHECK_STR(ts, "-");
	CHECK_INT(sev, 6);
}

static size_t count_segments(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		n += !strncmp(de->d_name, "seg-", 4);
	if (d)
		closedir(d);
	return n;
}

TEST(spool_order_bound_and_restart)
{
	char dir[] = "/tmp/sw-unit-spool.XXXXXX", line[200], *lines[64], *out[64];
	struct sink_spool *sp;
	struct sw_error err;
	size_t n, total = 0;
	int werr, expect = 0;
	uint64_t lost;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(spool_open(dir, 8192, &sp, &err), 0);
	CHECK(spool_empty(sp));
	for (int i = 0; i < 64; i++) {
		snprintf(line, sizeof(line), "{\"n\":%d,\"pad\":\"%090d\"}", i, 0);
		lines[i] = strdup(line);
	}
	lost = spool_append(sp, lines, 64, &werr); /* ~110 bytes each: about 74 fit */
	CHECK_INT(werr, 0);
	CHECK_INT(lost, 0);
	lost = spool_append(sp, lines, 64, &werr);
	CHECK(lost > 0 && lost < 64);
	CHECK(spool_bytes(sp) <= 8192);
	CHECK(count_segments(dir) >= 2);
	spool_close(sp);

	/* a new process finds the segments and replays them oldest first */
	CHECK_INT(spool_open(dir, 8192, &sp, &err), 0);
	while (!spool_empty(sp)) {
		CHECK_INT(spool_peek(sp, out, 10, &n), 0);
		if (!n)
			break;
		for (size_t i = 0; i < n; i++) {
			json_t *j = json_loads(out[i], 0, NULL);

			CHECK_INT(json_integer_value(json_object_get(j, "n")), expect % 64);
			expect++;
			json_decref(j);
		}
		/* consume part, peek again: the same lines come back */
		spool_consume(sp, n > 3 ? 3 : n);
		total += n > 3 ? 3 : n;
		expect -= (int)(n - (n > 3 ? 3 : n));
	}
	CHECK_INT(total, 128 - lost);
	CHECK(spool_empty(sp));
	CHECK_INT(count_segments(dir), 0);
	spool_close(sp);
	for (int i = 0; i < 64; i++)
		free(lines[i]);
	rmdir(dir);
}

TEST(sinks_new_rejects_bad_specs)
{
	char *bad[] = { "file:/nonexistent/dir/x?frobnicate=1" };
	char *bad2[] = { "stdout", "syslog+udp://h:1?format=elastic-bulk" };
	struct sw_error err = { { 0 } };
	struct sw_sinks *s = NULL;

	CHECK_INT(sinks_new(bad, 1, &s, &err), -EBADMSG);
	CHECK(strstr(err.msg, "unknown option 'frobnicate'") != NULL);
	CHECK_INT(sinks_new(bad2, 2, &s, &err), -EBADMSG);
	CHECK(strstr(err.msg, "syslog takes json or falco") != NULL);
}

/* Issue 18: credentials in an output URL never reach names, labels or messages. */
TEST(url_credentials_redacted)
{
	struct sw_sinks *s = NULL;
	struct sw_error err = { { 0 } };
	char *specs[] = { "http://user:S3CRET@127.0.0.1:1/in" };
	char *bad[] = { "http://user:S3CRET@127.0.0.1:1/in?nosuch=1" };
	char *r, *text;

	r = sink_spec_redact("https://u:p@host:8088/services?format=json");
	CHECK_STR(r, "https://REDACTED@host:8088/services?format=json");
	free(r);
	r = sink_spec_redact("http://host/a@b");
	CHECK_STR(r, "http://host/a@b");
	free(r);
	r = sink_spec_redact("file:/var/log/x@y");
	CHECK_STR(r, "file:/var/log/x@y");
	free(r);
	CHECK_INT(sinks_new(specs, 1, &s, &err), 0);
	text = metrics_render();
	CHECK(text && !strstr(text, "S3CRET") && strstr(text, "REDACTED@127.0.0.1:1/in"));
	free(text);
	sinks_free(s);
	CHECK(sinks_check(bad, 1, &err) != 0);
	CHECK(!strstr(err.msg, "S3CRET") && strstr(err.msg, "nosuch"));
}

/* Issue 18: a spool directory open to others is refused; planted segments are never read. */
TEST(spool_trusts_nothing)
{
	char dir[] = "/tmp/sw-spool-XXXXXX", path[512], secret[512], *lines[4];
	struct sink_spool *sp = NULL;
	struct sw_error err = { { 0 } };
	char *line = "{\"ours\":1}";
	size_t n = 0;
	int e, fd;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(chmod(dir, 0777), 0);
	CHECK_INT(spool_open(dir, 1 << 20, &sp, &err), -EBADMSG);
	CHECK(strstr(err.msg, "writable by group or others") != NULL);
	CHECK_INT(chmod(dir, 0700), 0);
	snprintf(secret, sizeof(secret), "%s.secret", dir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "{\"root_only\":1}\n", 16) == 16);
	close(fd);
	snprintf(path, sizeof(path), "%s/seg-0000000000000000.ndjson", dir);
	CHECK_INT(symlink(secret, path), 0);
	CHECK_INT(spool_open(dir, 1 << 20, &sp, &err), 0);
	if (!sp)
		return;
	CHECK_INT(spool_ignored(sp), 1);
	CHECK_INT(spool_append(sp, &line, 1, &e), 0);
	CHECK_INT(e, 0);
	CHECK_INT(spool_peek(sp, lines, 4, &n), 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_STR(lines[0], "{\"ours\":1}");
	spool_close(sp);
	unlink(path);
	snprintf(path, sizeof(path), "rm -rf '%s' '%s'", dir, secret);
	CHECK_INT(system(path), 0);
}

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* SIGUSR1's log rotation: a renamed file output is reopened (created) before its next line. */
TEST(file_reopened_after_rotation)
{
	char dir[] = "/tmp/sw-rot-XXXXXX", spec[300], path[256], old[280];
	struct sw_error err = { { 0 } };
	struct sw_sinks *s = NULL;
	char *specs[] = { spec };

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ev.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_INT(sinks_new(specs, 1, &s, &err), 0);
	if (!s)
		return;
	sinks_emit(s, event);
	/* the worker writes asynchronously: wait for the line (a hang guard, not a timing) */
	for (int i = 0; i < 3000 && lines_in(path) < 1; i++)
		usleep(10000);
	CHECK_INT(lines_in(path), 1);
	CHECK_INT(rename(path, old), 0);
	sinks_reopen(s);
	sinks_reopen(s);
	sinks_emit(s, event);
	sinks_emit(s, event);
	sinks_free(s); /* flushes */
	CHECK_INT(lines_in(old), 1);
	CHECK_INT(lines_in(path), 2);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

int main(void)
{
	RUN(url_credentials_redacted);
	RUN(spool_trusts_nothing);
	RUN(spec_options_and_errors);
	RUN(hostport);
	RUN(formats);
	RUN(syslog_fields);
	RUN(spool_order_bound_and_restart);
	RUN(sinks_new_rejects_bad_specs);
	RUN(file_reopened_after_rotation);
	return check_exit();
}

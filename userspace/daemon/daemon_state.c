// SPDX-License-Identifier: GPL-2.0-only
/* daemon_state.c: the loss record across crashes (include/daemon_state.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon_state.h"
#include "ecs.h"
#include "errors.h"
#include "fileio.h"
#include "verdict.h"

int daemon_state_save(const char *path, const struct daemon_state *st, struct sw_error *err)
{
	char tmp[PATH_MAX], *text;
	json_t *o;
	size_t len;
	ssize_t n;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return sw_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "pid", (json_int_t)st->pid, "started",
		      (json_int_t)st->started, "updated", (json_int_t)st->updated, "undelivered",
		      (json_int_t)st->undelivered, "hash_pending", (json_int_t)st->hash_pending,
		      "sink_dropped", (json_int_t)st->sink_dropped, "kernel_lost",
		      (json_int_t)st->kernel_lost, "clean", st->clean);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return sw_error_set(err, -ENOMEM, "out of memory");
	len = strlen(text);
	/* no fsync: a kill -9 keeps the page cache; this runs every second */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = sw_error_set(err, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	n = write(fd, text, len);
	if (n != (ssize_t)len || close(fd)) {
		r = sw_error_set(err, n < 0 ? -errno : -EIO, "%s: write failed", tmp);
		if (n != (ssize_t)len)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		r = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(text);
	return r;
}

int daemon_state_load(const char *path, struct daemon_state *st, struct sw_error *err)
{
	json_error_t jerr;
	json_int_t pid = 0, started = 0, updated = 0, undelivered = 0, pending = 0, dropped = 0,
		   lost = 0;
	int clean = 0, r;
	char *buf;
	size_t len;
	json_t *o;

	r = file_read_all(path, 4096, &buf, &len, err);
	if (r)
		return r;
	o = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!o ||
	    json_unpack(o, "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "pid", &pid, "started", &started,
			"updated", &updated, "undelivered", &undelivered, "hash_pending", &pending,
			"sink_dropped", &dropped, "kernel_lost", &lost, "clean", &clean)) {
		json_decref(o);
		return sw_error_set(err, -EBADMSG, "%s: not a sealwatch state record", path);
	}
	json_decref(o);
	*st = (struct daemon_state){
		.pid = pid,
		.started = started,
		.updated = updated,
		.undelivered = undelivered < 0 ? 0 : (uint64_t)undelivered,
		.hash_pending = pending < 0 ? 0 : (uint64_t)pending,
		.sink_dropped = dropped < 0 ? 0 : (uint64_t)dropped,
		.kernel_lost = lost < 0 ? 0 : (uint64_t)lost,
		.clean = clean,
	};
	return 0;
}

char *daemon_state_previous_report(const char *path)
{
	struct sw_error err = { { 0 } };
	struct daemon_state st;
	char msg[512];

	if (!path || daemon_state_load(path, &st, &err) || st.clean)
		return NULL;
	snprintf(msg, sizeof(msg),
		 "the previous run (pid %lld) ended without a clean stop: at its last record "
		 "%llu events were not yet delivered and %llu hash jobs not yet decided (lost); "
		 "its outputs had dropped %llu events",
		 (long long)st.pid, (unsigned long long)st.undelivered,
		 (unsigned long long)st.hash_pending, (unsigned long long)st.sink_dropped);
	return ecs_daemon_json(
		"alert", "previous_run_lost", SW_SEVERITY_HIGH, msg,
		json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "previous_run", "pid",
			  (json_int_t)st.pid, "started", (json_int_t)st.started, "last_record",
			  (json_int_t)st.updated, "undelivered", (json_int_t)st.undelivered,
			  "hash_pending", (json_int_t)st.hash_pending, "sink_dropped",
			  (json_int_t)st.sink_dropped, "kernel_lost", (json_int_t)st.kernel_lost));
}

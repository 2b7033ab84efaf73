// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

static enum sw_log_level log_level = SW_LOG_INFO;
static int log_timestamps;
static int log_json;
static int log_journald = -1; /* unknown until the first line */

static const char *const level_names[] = {
	[SW_LOG_ERROR] = "error",
	[SW_LOG_WARN] = "warning",
	[SW_LOG_INFO] = "info",
	[SW_LOG_DEBUG] = "debug",
};

/* sd-daemon(3)'s priority prefixes: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int level_priorities[] = {
	[SW_LOG_ERROR] = 3,
	[SW_LOG_WARN] = 4,
	[SW_LOG_INFO] = 6,
	[SW_LOG_DEBUG] = 7,
};

void log_set_level(enum sw_log_level level)
{
	log_level = level;
}

enum sw_log_level log_get_level(void)
{
	return log_level;
}

void log_set_timestamps(int on)
{
	log_timestamps = on;
}

void log_set_json(int on)
{
	log_json = on;
}

/*
 * stderr is journald's stream when $JOURNAL_STREAM names its device and inode
 * (systemd.exec(5)): then each line gets its priority as a "<N>" prefix and
 * no timestamp of ours (the journal keeps its own).
 */
static int journald_stream(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	int off;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = (int)strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	off += snprintf(buf + off, size - off, ".%03ldZ", ts.tv_nsec / 1000000);
	return off;
}

/* One ECS-shaped JSON object for @msg (bytes that are not UTF-8 become '?'). */
static char *json_line(enum sw_log_level level, char *msg)
{
	char ts[64];
	json_t *m = json_string(msg), *o;
	char *out;

	if (!m) {
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		m = json_string(msg);
	}
	timestamp(ts, sizeof(ts));
	o = json_pack("{s:s,s:{s:s,s:s},s:o*}", "@timestamp", ts, "log", "level",
		      level_names[level], "logger", "sealwatch", "message", m);
	out = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return out;
}

void log_msg(enum sw_log_level level, const char *fmt, ...)
{
	char line[2048], prefix[8] = "";
	char *json = NULL;
	int off = 0;
	va_list ap;

	if (level > log_level)
		return;
	if (log_journald < 0)
		log_journald = journald_stream();
	if (log_journald)
		snprintf(prefix, sizeof(prefix), "<%d>", level_priorities[level]);
	if (!log_json) {
		if (log_timestamps && !log_journald) {
			off = timestamp(line, sizeof(line) - 1);
			line[off++] = ' ';
		}
		off += snprintf(line + off, sizeof(line) - off,
				"sealwatch: %s: ", level_names[level]);
	}
	va_start(ap, fmt);
	if (off < (int)sizeof(line))
		vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	if (log_json)
		json = json_line(level, line);
	/* one write per line so concurrent writers do not interleave */
	fprintf(stderr, "%s%s\n", prefix, json ? json : line);
	free(json);
}

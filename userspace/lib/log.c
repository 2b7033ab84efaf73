// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static enum sw_log_level log_level = SW_LOG_INFO;
static int log_timestamps;

static const char *const level_names[] = {
	[SW_LOG_ERROR] = "error",
	[SW_LOG_WARN] = "warning",
	[SW_LOG_INFO] = "info",
	[SW_LOG_DEBUG] = "debug",
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

void log_msg(enum sw_log_level level, const char *fmt, ...)
{
	char line[2048];
	int off = 0;
	va_list ap;

	if (level > log_level)
		return;
	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		off = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		off += snprintf(line + off, sizeof(line) - off, ".%03ldZ ", ts.tv_nsec / 1000000);
	}
	off += snprintf(line + off, sizeof(line) - off, "sealwatch: %s: ", level_names[level]);
	va_start(ap, fmt);
	if (off < (int)sizeof(line))
		vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	/* one write per line so concurrent writers do not interleave */
	fprintf(stderr, "%s\n", line);
}

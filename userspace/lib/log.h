/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one log module: levels, timestamps, to stderr; as JSON lines on request;
 * with sd-daemon priority prefixes ("<3>") when stderr is journald's stream.
 */
#ifndef SW_LOG_H
#define SW_LOG_H

enum sw_log_level {
	SW_LOG_ERROR,
	SW_LOG_WARN,
	SW_LOG_INFO,
	SW_LOG_DEBUG,
};

void log_set_level(enum sw_log_level level);
enum sw_log_level log_get_level(void);
/* Timestamps are off for the one-shot CLI commands and on for the daemon. */
void log_set_timestamps(int on);
/* JSON lines: {"@timestamp":…,"log":{"level":…,"logger":"sealwatch"},"message":…}. */
void log_set_json(int on);
void log_msg(enum sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(SW_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(SW_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(SW_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(SW_LOG_DEBUG, __VA_ARGS__)

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Process-wide metrics registry: counters and gauges with optional labels,
 * rendered in the Prometheus text exposition format (version 0.0.4). Every
 * call is thread-safe and cheap enough for the per-event path (a mutex and a
 * short linear search: a few dozen series at most). Names carry the
 * `sealwatch_` prefix themselves; @labels is the inside of the braces,
 * already escaped (`action="exec",verdict="ok"`), or NULL for none.
 *
 * A family must be declared with metrics_describe() before it is rendered
 * with HELP/TYPE lines; undeclared families render as untyped.
 */
#ifndef SW_METRICS_H
#define SW_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
};

void metrics_describe(const char *name, enum metric_type type, const char *help);
/* Counters only go up. */
void metrics_add(const char *name, const char *labels, uint64_t n);
void metrics_set(const char *name, const char *labels, double v);
/* The current value of one series (0 when absent): for tests and health checks. */
double metrics_get(const char *name, const char *labels);
/* Prometheus text; caller frees. NULL when out of memory. */
char *metrics_render(void);
/* Escape a label value (\\, \", \n) into @out; truncates, always terminates. */
void metrics_escape_label(const char *value, char *out, size_t size);
/* Drop every family and series (tests, shutdown). */
void metrics_reset(void);

#endif /* SW_METRICS_H */

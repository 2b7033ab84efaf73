/* SPDX-License-Identifier: GPL-2.0-only */
/* Where event lines go: stdout, file:PATH. Thread-safe; one write(2) per line. */
#ifndef SW_SINK_H
#define SW_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sw_error;
struct sw_sinks;

/* @specs: "stdout" or "file:PATH" (appended to, created 0640). */
int sinks_new(char *const *specs, size_t n, struct sw_sinks **ret, struct sw_error *err);
void sinks_free(struct sw_sinks *s);
/* Write @line plus '\n' to every sink; failures are counted, never block others. */
void sinks_emit(struct sw_sinks *s, const char *line);
uint64_t sinks_errors(const struct sw_sinks *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where event lines go (docs/siem.md): stdout, file:PATH, syslog+udp|tcp|tls://HOST:PORT,
 * http(s)://… webhooks. Options follow the spec as a URL query ("?key=value&…").
 *
 * Every sink owns a bounded in-memory queue and one worker thread: sinks_emit()
 * only copies the line into each queue and never waits for I/O, so a slow or dead
 * sink delays neither the caller nor the other sinks. A full queue drops the line
 * for that sink and counts it (sealwatch_sink_dropped_total); the count is reported
 * to the sink as a `sink_events_lost` event once it delivers again.
 */
#ifndef SW_SINK_H
#define SW_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sw_error;
struct sw_sinks;

/*
 * Parse and open every spec, start the workers. A bad spec or option is
 * -EBADMSG with "output 'SPEC': …" in @err (exit code 3); an unusable file
 * or directory is its errno.
 */
int sinks_new(char *const *specs, size_t n, struct sw_sinks **ret, struct sw_error *err);
/*
 * Validate @specs exactly as sinks_new() would (parse, options, the drivers'
 * open: files, keys, spool directory checks), then close them again: no
 * thread, no delivery. A reload runs it before anything changes.
 */
int sinks_check(char *const *specs, size_t n, struct sw_error *err);
/* Flush every queue (bounded: SINK_FLUSH_TIMEOUT_MS in all), stop the workers. NULL ok. */
void sinks_free(struct sw_sinks *s);
/*
 * SIGUSR1 (log rotation): every file output reopens its path before it writes
 * its next line, so lines queued before go to the renamed file's successor,
 * never after the rename into the old one once the worker has seen the request.
 * Only sets a flag: safe from the event loop, never blocks.
 */
void sinks_reopen(struct sw_sinks *s);
/* Queue @line (one JSON object, no newline) for every sink; never blocks on I/O. */
void sinks_emit(struct sw_sinks *s, const char *line);
/* Delivery errors of every sink so far (also in sealwatch_sink_errors_total). */
/* Events dropped by all outputs (queue full, refused, spool full) since start. */
uint64_t sinks_dropped(const struct sw_sinks *s);
/* Events queued or held by the outputs' workers, not yet delivered (in all). */
uint64_t sinks_pending(struct sw_sinks *s);
uint64_t sinks_errors(const struct sw_sinks *s);

#endif

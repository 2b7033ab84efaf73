/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's HTTP endpoint (--metrics-listen ADDR:PORT), served by
 * libmicrohttpd on its own thread:
 *   GET /metrics  the metrics registry (userspace/lib/metrics.h), Prometheus text 0.0.4
 *   GET /healthz  200 "ok" when the config is loaded, the BPF programs are
 *                 attached, the event loop ticked within the last
 *                 METRICS_HTTP_STALL_SEC seconds, no hash worker and no
 *                 baseline load is stuck; else 503 and the reason
 * The health state is set by the daemon through the health_* calls below
 * (atomic, callable from any thread, also when no endpoint runs).
 */
#ifndef SW_METRICS_HTTP_H
#define SW_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sw_error;
struct metrics_http;

#define METRICS_HTTP_STALL_SEC 5
/* a baseline load (off the event loop) busy this long fails /healthz */
#define METRICS_HTTP_LOADER_STALL_SEC 120
/* /healthz says "degraded" (200) this long after work was last dropped */
#define METRICS_HTTP_DROP_WINDOW_SEC 60

/*
 * "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" (numeric host, port 1-65535)
 * → socket address. -EINVAL with a message naming the problem.
 */
int metrics_http_parse_addr(const char *spec, struct sockaddr_storage *ret, socklen_t *ret_len,
			    struct sw_error *err);

/* Parse @spec and listen on it. -EINVAL: bad address; else a system error (bind). */
int metrics_http_start(const char *spec, struct metrics_http **ret, struct sw_error *err);
/* Stop the server thread and free. Accepts NULL. */
void metrics_http_stop(struct metrics_http *h);

void health_set_config_loaded(bool loaded);
void health_set_attached(bool attached);
/* The event loop calls this on every iteration. */
void health_tick(void);
/* Hash workers busy on one file too long (verifier): 503 while any is. */
void health_set_workers_stalled(uint64_t stalled, uint64_t longest_sec);
/* The running total of dropped work (ring buffer, hash queue, outputs). */
void health_note_dropped(uint64_t total);
/*
 * Seconds the running baseline load has taken (0: none). Loads run off the
 * event loop; one busy METRICS_HTTP_LOADER_STALL_SEC or more fails /healthz.
 */
void health_set_loader_busy(uint64_t sec);
/* true when healthy; else false and the reason in @reason. */
bool health_check(char *reason, size_t size);

#endif

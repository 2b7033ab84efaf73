// SPDX-License-Identifier: GPL-2.0-only
/* The sink core: specs → drivers, one bounded queue and one worker per sink, metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "metrics.h"
#include "sink.h"
#include "sink_internal.h"

struct sw_sinks {
	struct sink **v;
	size_t n;
};

static const struct sink_driver *const drivers[] = {
	&sink_stdout_driver,	 &sink_file_driver,	  &sink_syslog_udp_driver,
	&sink_syslog_tcp_driver, &sink_syslog_tls_driver, &sink_http_driver,
	&sink_https_driver,
};

static void describe_metrics(void)
{
	metrics_describe(SINK_M_EVENTS, METRIC_COUNTER, "Events delivered, by sink.");
	metrics_describe(SINK_M_ERRORS, METRIC_COUNTER,
			 "Failed delivery attempts (connect, write, HTTP status), by sink.");
	metrics_describe(SINK_M_DROPPED, METRIC_COUNTER,
			 "Events a sink lost: queue full, spool full, or not delivered "
			 "before shutdown.");
	metrics_describe(SINK_M_QUEUE, METRIC_GAUGE, "Events waiting in a sink's memory queue.");
	metrics_describe("sealwatch_sink_spool_bytes", METRIC_GAUGE,
			 "Bytes in a sink's on-disk spool.");
}
/* --- lifecycle --- */

static void sink_destroy(struct sink *k)
{
	if (!k)
		return;
	if (k->drv && k->drv->close)
		k->drv->close(k);
	if (k->q) {
		char *line;

		while (sink_take_nowait(k, &line, 1))
			free(line);
	}
	free(k->q);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static bool known_option(const struct sink_driver *drv, const char *key)
{
	static const char *const core[] = { "format", "queue", "retry_max", "timeout", NULL };

	for (const char *const *o = core; *o; o++)
		if (!strcmp(*o, key))
			return true;
	for (const char *const *o = drv->options; o && *o; o++)
		if (!strcmp(*o, key))
			return true;
	return false;
}

static int sink_open_mode(const char *text, size_t pos, struct sw_sinks *all, bool check,
			  struct sink **ret, struct sw_error *err);

static int sink_open(const char *text, size_t pos, struct sw_sinks *all, struct sink **ret,
		     struct sw_error *err)
{
	return sink_open_mode(text, pos, all, false, ret, err);
}

/* A sink with its lock and its condition (on CLOCK_MONOTONIC); NULL when out of memory. */
static struct sink *sink_alloc(void)
{
	struct sink *k = calloc(1, sizeof(*k));
	pthread_condattr_t ca;

	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cond, &ca);
	pthread_condattr_destroy(&ca);
	return k;
}

/* k->name and k->label from the spec (@pos: its place, for a target given twice). */
static void sink_set_name(struct sink *k, const struct sink_spec *spec, size_t pos,
			  const struct sw_sinks *all)
{
	const char *q;
	char esc[256];

	/* the name shows in metrics labels, logs and events: never a credential */
	q = strchr(spec->text, '?');
	snprintf(k->name, sizeof(k->name), "%.*s",
		 q ? (int)(q - spec->text) : (int)strlen(spec->text), spec->text);
	for (size_t i = 0; i < all->n; i++) /* the same target twice: tell their metrics apart */
		if (!strcmp(all->v[i]->name, k->name)) {
			size_t len = strlen(k->name);

			snprintf(k->name + len, sizeof(k->name) - len, "#%zu", pos + 1);
			break;
		}
	metrics_escape_label(k->name, esc, sizeof(esc));
	snprintf(k->label, sizeof(k->label), "sink=\"%s\"", esc);
}

/* k->drv from the spec's scheme; every option must be one it (or the core) takes. */
static int sink_set_driver(struct sink *k, const struct sink_spec *spec, struct sw_error *err)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(spec->scheme, drivers[i]->scheme))
			k->drv = drivers[i];
	if (!k->drv)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': unknown kind '%s' (stdout, file:PATH, "
				    "syslog+udp|tcp|tls://HOST:PORT, http(s)://…)",
				    spec->text, spec->scheme);
	for (size_t i = 0; i < spec->n_opts; i++) /* before open(): no file created for nothing */
		if (!known_option(k->drv, spec->opts[i].key))
			return sw_error_set(err, -EBADMSG, "output '%s': unknown option '%s'",
					    spec->text, spec->opts[i].key);
	return 0;
}

/* The core's options (format, queue, retry_max, timeout) over the defaults; allocates the queue. */
static int sink_set_core_options(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	unsigned int cap = SINK_DEFAULT_QUEUE;
	const char *fmt = NULL;
	int r;

	k->batch = 1;
	k->retry_min_ms = 200;
	k->retry_max_ms = 30000;
	k->timeout_ms = 10000;
	sink_opt_str(spec, "format", &fmt);
	if (fmt && sink_format_parse(fmt, &k->format))
		return sw_error_set(err, -EBADMSG,
				    "output '%s': option format=%s: want json, falco, splunk-hec "
				    "or elastic-bulk",
				    spec->text, fmt);
	r = sink_opt_uint(spec, "queue", 16, 1u << 22, &cap, err);
	if (!r)
		r = sink_opt_ms(spec, "retry_max", &k->retry_max_ms, err);
	if (!r)
		r = sink_opt_ms(spec, "timeout", &k->timeout_ms, err);
	if (r)
		return r;
	if (k->retry_max_ms < k->retry_min_ms)
		k->retry_min_ms = k->retry_max_ms ? k->retry_max_ms : 1;
	k->cap = cap;
	k->q = calloc(k->cap, sizeof(*k->q));
	if (!k->q)
		return sw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* @check: validate only (a reload), no metric series for it. */
static int sink_open_mode(const char *text, size_t pos, struct sw_sinks *all, bool check,
			  struct sink **ret, struct sw_error *err)
{
	struct sink_spec spec;
	struct sink *k;
	int r;

	r = sink_spec_parse(text, &spec, err);
	if (r)
		return r;
	k = sink_alloc();
	if (!k) {
		sink_spec_clear(&spec);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	sink_set_name(k, &spec, pos, all);
	r = sink_set_driver(k, &spec, err);
	if (!r)
		r = sink_set_core_options(k, &spec, err);
	if (!r)
		r = k->drv->open(k, &spec, err);
	if (!r && !check) {
		metrics_add(SINK_M_EVENTS, k->label, 0);
		metrics_add(SINK_M_ERRORS, k->label, 0);
		metrics_add(SINK_M_DROPPED, k->label, 0);
		metrics_set(SINK_M_QUEUE, k->label, 0);
	}
	sink_spec_clear(&spec);
	if (r) {
		sink_destroy(k);
		return r;
	}
	*ret = k;
	return 0;
}

int sinks_check(char *const *specs, size_t n, struct sw_error *err)
{
	struct sw_sinks s = { 0 };
	struct sink *k;
	int r = 0;

	for (size_t i = 0; i < n && !r; i++) {
		r = sink_open_mode(specs[i], i, &s, true, &k, err);
		if (!r)
			sink_destroy(k);
	}
	return r;
}

int sinks_new(char *const *specs, size_t n, struct sw_sinks **ret, struct sw_error *err)
{
	struct sw_sinks *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
	describe_metrics();
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v) {
		free(s);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !r; i++) {
		r = sink_open(specs[i], i, s, &s->v[s->n], err);
		if (!r)
			s->n++;
	}
	for (size_t i = 0; i < s->n && !r; i++) {
		r = -pthread_create(&s->v[i]->thread, NULL, sink_worker, s->v[i]);
		if (r)
			sw_error_set(err, r, "output %s: cannot start its thread", s->v[i]->name);
		else
			s->v[i]->started = true;
	}
	if (r) {
		sinks_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void sinks_free(struct sw_sinks *s)
{
	struct timespec deadline;

	if (!s)
		return;
	deadline = sink_now_mono();
	sink_timespec_add_ms(&deadline, SINK_FLUSH_TIMEOUT_MS);
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = s->v[i];

		pthread_mutex_lock(&k->lock);
		k->stop = true;
		k->deadline = deadline;
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->lock);
	}
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = s->v[i];

		if (k->started)
			pthread_join(k->thread, NULL);
		pthread_mutex_lock(&k->lock);
		if (k->count) /* only when a worker gave up early */
			metrics_add(SINK_M_DROPPED, k->label, k->count);
		pthread_mutex_unlock(&k->lock);
		sink_destroy(k);
	}
	free(s->v);
	free(s);
}

void sinks_reopen(struct sw_sinks *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		__atomic_store_n(&s->v[i]->reopen, 1, __ATOMIC_RELEASE);
}

void sinks_emit(struct sw_sinks *s, const char *line)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = s->v[i];
		char *copy = strdup(line);
		bool queued = false;

		pthread_mutex_lock(&k->lock);
		if (copy && !k->stop && k->count < k->cap) {
			k->q[(k->head + k->count) % k->cap] = copy;
			k->count++;
			queued = true;
			/*
			 * The worker waits only for a first line or for a full batch:
			 * waking it for every line costs more than the write.
			 */
			if (k->count == 1 || k->count == k->batch)
				pthread_cond_signal(&k->cond);
		}
		pthread_mutex_unlock(&k->lock);
		if (!queued) {
			free(copy);
			sink_count_dropped(k, 1, false);
		}
	}
}

uint64_t sinks_pending(struct sw_sinks *s)
{
	uint64_t n = 0;

	for (size_t i = 0; s && i < s->n; i++) {
		pthread_mutex_lock(&s->v[i]->lock);
		n += s->v[i]->count + s->v[i]->held;
		pthread_mutex_unlock(&s->v[i]->lock);
	}
	return n;
}

uint64_t sinks_dropped(const struct sw_sinks *s)
{
	uint64_t n = 0;

	for (size_t i = 0; s && i < s->n; i++)
		n += (uint64_t)metrics_get(SINK_M_DROPPED, s->v[i]->label);
	return n;
}

uint64_t sinks_errors(const struct sw_sinks *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += (uint64_t)metrics_get(SINK_M_ERRORS, s->v[i]->label);
	return n;
}

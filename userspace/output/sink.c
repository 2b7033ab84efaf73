// SPDX-License-Identifier: GPL-2.0-only
/* The sink core: specs → drivers, one bounded queue and one worker per sink, metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ecs.h"
#include "errors.h"
#include "log.h"
#include "metrics.h"
#include "sink.h"
#include "sink_internal.h"
#include "verdict.h"

struct sw_sinks {
	struct sink **v;
	size_t n;
};

static const struct sink_driver *const drivers[] = {
	&sink_stdout_driver,	 &sink_file_driver,	  &sink_syslog_udp_driver,
	&sink_syslog_tcp_driver, &sink_syslog_tls_driver, &sink_http_driver,
	&sink_https_driver,
};

#define M_EVENTS "sealwatch_sink_events_total"
#define M_ERRORS "sealwatch_sink_errors_total"
#define M_DROPPED "sealwatch_sink_dropped_total"
#define M_QUEUE "sealwatch_sink_queue_depth"

static void describe_metrics(void)
{
	metrics_describe(M_EVENTS, METRIC_COUNTER, "Events delivered, by sink.");
	metrics_describe(M_ERRORS, METRIC_COUNTER,
			 "Failed delivery attempts (connect, write, HTTP status), by sink.");
	metrics_describe(M_DROPPED, METRIC_COUNTER,
			 "Events a sink lost: queue full, spool full, or not delivered "
			 "before shutdown.");
	metrics_describe(M_QUEUE, METRIC_GAUGE, "Events waiting in a sink's memory queue.");
	metrics_describe("sealwatch_sink_spool_bytes", METRIC_GAUGE,
			 "Bytes in a sink's on-disk spool.");
}

void sink_timespec_add_ms(struct timespec *t, unsigned int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

int sink_timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

static struct timespec now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

void sink_free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
}

void sink_set_gauge(struct sink *k, const char *name, double v)
{
	metrics_set(name, k->label, v);
}

void sink_delivered(struct sink *k, size_t n)
{
	metrics_add(M_EVENTS, k->label, n);
}

void sink_error(struct sink *k)
{
	metrics_add(M_ERRORS, k->label, 1);
}

void sink_dropped(struct sink *k, uint64_t n)
{
	if (!n)
		return;
	metrics_add(M_DROPPED, k->label, n);
	pthread_mutex_lock(&k->lock);
	k->lost += n;
	pthread_mutex_unlock(&k->lock);
}

char *sink_take_lost_report(struct sink *k)
{
	char msg[512], *line;
	uint64_t n;

	pthread_mutex_lock(&k->lock);
	n = k->lost;
	k->lost = 0;
	pthread_mutex_unlock(&k->lock);
	if (!n)
		return NULL;
	log_warn("output %s: %llu events were lost while it was unavailable", k->name,
		 (unsigned long long)n);
	snprintf(msg, sizeof(msg), "%llu events were lost by output %s", (unsigned long long)n,
		 k->name);
	line = ecs_daemon_json(
		"alert", "sink_events_lost", SW_SEVERITY_HIGH, msg,
		json_pack("{s:{s:s,s:I}}", "sink", "name", k->name, "lost", (json_int_t)n));
	if (!line) { /* out of memory: keep the count for the next try */
		pthread_mutex_lock(&k->lock);
		k->lost += n;
		pthread_mutex_unlock(&k->lock);
	}
	return line;
}

void sink_restore_lost(struct sink *k, char *report)
{
	json_t *root = report ? json_loads(report, 0, NULL) : NULL;
	json_int_t n = json_integer_value(json_object_get(
		json_object_get(json_object_get(root, "sealwatch"), "sink"), "lost"));

	if (n > 0) {
		pthread_mutex_lock(&k->lock);
		k->lost += (uint64_t)n;
		pthread_mutex_unlock(&k->lock);
	}
	json_decref(root);
	free(report);
}

/* --- the queue, worker side --- */

static size_t pop_locked(struct sink *k, char **lines, size_t max)
{
	size_t n = 0;

	while (n < max && k->count) {
		lines[n++] = k->q[k->head];
		k->head = (k->head + 1) % k->cap;
		k->count--;
	}
	return n;
}

size_t sink_take_nowait(struct sink *k, char **lines, size_t max)
{
	size_t n;

	pthread_mutex_lock(&k->lock);
	n = pop_locked(k, lines, max);
	pthread_mutex_unlock(&k->lock);
	if (n)
		metrics_set(M_QUEUE, k->label, (double)k->count);
	return n;
}

size_t sink_take(struct sink *k, char **lines, size_t max, unsigned int wait_ms)
{
	size_t n;

	pthread_mutex_lock(&k->lock);
	while (!k->count && !k->stop)
		pthread_cond_wait(&k->cond, &k->lock);
	if (wait_ms && k->count < max && !k->stop) {
		struct timespec until = now_mono();

		sink_timespec_add_ms(&until, wait_ms);
		while (k->count < max && !k->stop &&
		       pthread_cond_timedwait(&k->cond, &k->lock, &until) != ETIMEDOUT)
			;
	}
	n = pop_locked(k, lines, max);
	pthread_mutex_unlock(&k->lock);
	metrics_set(M_QUEUE, k->label, (double)k->count);
	return n;
}

void sink_wait(struct sink *k, const struct timespec *until)
{
	struct timespec t = *until;

	pthread_mutex_lock(&k->lock);
	if (k->stop && sink_timespec_cmp(&k->deadline, &t) < 0)
		t = k->deadline;
	while (!k->count) {
		bool was_stopping = k->stop;

		if (pthread_cond_timedwait(&k->cond, &k->lock, &t) == ETIMEDOUT)
			break;
		if (k->stop && !was_stopping) /* stop began: the deadline may be sooner */
			break;
	}
	pthread_mutex_unlock(&k->lock);
}

bool sink_stopping(struct sink *k)
{
	bool s;

	pthread_mutex_lock(&k->lock);
	s = k->stop;
	pthread_mutex_unlock(&k->lock);
	return s;
}

bool sink_past_deadline(struct sink *k)
{
	struct timespec now = now_mono();
	bool past;

	pthread_mutex_lock(&k->lock);
	past = k->stop && sink_timespec_cmp(&now, &k->deadline) >= 0;
	pthread_mutex_unlock(&k->lock);
	return past;
}

unsigned int sink_io_timeout_ms(struct sink *k)
{
	struct timespec now = now_mono();
	unsigned int ms = k->timeout_ms;

	pthread_mutex_lock(&k->lock);
	if (k->stop) {
		long long left = (long long)(k->deadline.tv_sec - now.tv_sec) * 1000 +
				 (k->deadline.tv_nsec - now.tv_nsec) / 1000000;

		if (left < (long long)ms)
			ms = left > 1 ? (unsigned int)left : 1;
	}
	pthread_mutex_unlock(&k->lock);
	return ms;
}

void sink_send_lost_report(struct sink *k)
{
	char *report = sink_take_lost_report(k);
	int r;

	if (!report)
		return;
	r = k->drv->deliver(k, &report, 1);
	if (!r || r == -ECANCELED) {
		if (!r)
			sink_delivered(k, 1);
		free(report);
	} else {
		sink_error(k);
		sink_restore_lost(k, report);
	}
}

/*
 * Deliver @lines, retrying with exponential backoff until it works or the
 * shutdown deadline passes (then they are counted as dropped). After a
 * success, a pending lost-events report goes out too.
 */
static void deliver_retrying(struct sink *k, char **lines, size_t n)
{
	unsigned int backoff = k->retry_min_ms;

	for (;;) {
		struct timespec until;
		int r = k->drv->deliver(k, lines, n);

		if (r == -ECANCELED) /* refused for good; the driver counted the drop */
			return;
		if (!r) {
			sink_delivered(k, n);
			sink_send_lost_report(k);
			return;
		}
		sink_error(k);
		if (sink_past_deadline(k)) {
			sink_dropped(k, n);
			return;
		}
		until = now_mono();
		sink_timespec_add_ms(&until, backoff);
		/* new lines must not cut the backoff short: wait the whole time */
		for (struct timespec step = now_mono();
		     sink_timespec_cmp(&step, &until) < 0 && !sink_past_deadline(k);
		     step = now_mono()) {
			sink_timespec_add_ms(&step, 100);
			if (sink_timespec_cmp(&step, &until) > 0)
				step = until;
			pthread_mutex_lock(&k->lock);
			if (k->stop && sink_timespec_cmp(&k->deadline, &step) < 0)
				step = k->deadline;
			pthread_cond_timedwait(&k->cond, &k->lock, &step);
			pthread_mutex_unlock(&k->lock);
		}
		backoff = backoff * 2 > k->retry_max_ms ? k->retry_max_ms : backoff * 2;
	}
}

static void default_run(struct sink *k)
{
	char **lines = calloc(k->batch, sizeof(*lines));
	size_t n;

	if (!lines) {
		log_error("output %s: out of memory, worker stopped", k->name);
		return;
	}
	while ((n = sink_take(k, lines, k->batch, k->batch_wait_ms))) {
		deliver_retrying(k, lines, n);
		sink_free_lines(lines, n);
	}
	free(lines);
}

static void *worker(void *arg)
{
	struct sink *k = arg;

	if (!k->drv->run || !k->drv->run(k))
		default_run(k);
	return NULL;
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

static int sink_open(const char *text, size_t pos, struct sw_sinks *all, struct sink **ret,
		     struct sw_error *err)
{
	struct sink_spec spec;
	struct sink *k;
	const char *fmt = NULL, *q;
	unsigned int cap = SINK_DEFAULT_QUEUE;
	char esc[256];
	int r;

	r = sink_spec_parse(text, &spec, err);
	if (r)
		return r;
	k = calloc(1, sizeof(*k));
	if (!k) {
		sink_spec_clear(&spec);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&k->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&k->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	q = strchr(text, '?');
	snprintf(k->name, sizeof(k->name), "%.*s", q ? (int)(q - text) : (int)strlen(text), text);
	for (size_t i = 0; i < all->n; i++) /* the same target twice: tell their metrics apart */
		if (!strcmp(all->v[i]->name, k->name)) {
			size_t len = strlen(k->name);

			snprintf(k->name + len, sizeof(k->name) - len, "#%zu", pos + 1);
			break;
		}
	metrics_escape_label(k->name, esc, sizeof(esc));
	snprintf(k->label, sizeof(k->label), "sink=\"%s\"", esc);
	k->batch = 1;
	k->retry_min_ms = 200;
	k->retry_max_ms = 30000;
	k->timeout_ms = 10000;

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(spec.scheme, drivers[i]->scheme))
			k->drv = drivers[i];
	if (!k->drv) {
		r = sw_error_set(err, -EBADMSG,
				 "output '%s': unknown kind '%s' (stdout, file:PATH, "
				 "syslog+udp|tcp|tls://HOST:PORT, http(s)://…)",
				 text, spec.scheme);
		goto out;
	}
	for (size_t i = 0; i < spec.n_opts; i++) /* before open(): no file created for nothing */
		if (!known_option(k->drv, spec.opts[i].key)) {
			r = sw_error_set(err, -EBADMSG, "output '%s': unknown option '%s'", text,
					 spec.opts[i].key);
			goto out;
		}
	sink_opt_str(&spec, "format", &fmt);
	if (fmt && sink_format_parse(fmt, &k->format)) {
		r = sw_error_set(err, -EBADMSG,
				 "output '%s': option format=%s: want json, falco, splunk-hec "
				 "or elastic-bulk",
				 text, fmt);
		goto out;
	}
	r = sink_opt_uint(&spec, "queue", 16, 1u << 22, &cap, err);
	if (!r)
		r = sink_opt_ms(&spec, "retry_max", &k->retry_max_ms, err);
	if (!r)
		r = sink_opt_ms(&spec, "timeout", &k->timeout_ms, err);
	if (r)
		goto out;
	if (k->retry_max_ms < k->retry_min_ms)
		k->retry_min_ms = k->retry_max_ms ? k->retry_max_ms : 1;
	k->cap = cap;
	k->q = calloc(k->cap, sizeof(*k->q));
	if (!k->q) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = k->drv->open(k, &spec, err);
	if (r)
		goto out;
	metrics_add(M_EVENTS, k->label, 0);
	metrics_add(M_ERRORS, k->label, 0);
	metrics_add(M_DROPPED, k->label, 0);
	metrics_set(M_QUEUE, k->label, 0);
out:
	sink_spec_clear(&spec);
	if (r) {
		sink_destroy(k);
		return r;
	}
	*ret = k;
	return 0;
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
		r = -pthread_create(&s->v[i]->thread, NULL, worker, s->v[i]);
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
	deadline = now_mono();
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
			metrics_add(M_DROPPED, k->label, k->count);
		pthread_mutex_unlock(&k->lock);
		sink_destroy(k);
	}
	free(s->v);
	free(s);
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
			sink_dropped(k, 1);
		}
	}
}

uint64_t sinks_errors(const struct sw_sinks *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += (uint64_t)metrics_get(M_ERRORS, s->v[i]->label);
	return n;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * A sink's worker side: taking lines from its bounded queue, delivering them
 * with retries, and the accounting (metrics, the lost-events report).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ecs.h"
#include "log.h"
#include "metrics.h"
#include "sink_internal.h"

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

struct timespec sink_now_mono(void)
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

/*
 * The queue-depth gauge counts every line not yet delivered, dropped or
 * spooled: those waiting in the queue and those the worker holds (a batch
 * being retried while the output is down).
 */
static void settle(struct sink *k, uint64_t n)
{
	double depth;

	pthread_mutex_lock(&k->lock);
	k->held = k->held > n ? k->held - n : 0;
	depth = (double)(k->count + k->held);
	pthread_mutex_unlock(&k->lock);
	metrics_set(SINK_M_QUEUE, k->label, depth);
}

void sink_settled(struct sink *k, size_t n)
{
	settle(k, n);
}

void sink_delivered(struct sink *k, size_t n)
{
	metrics_add(SINK_M_EVENTS, k->label, n);
	settle(k, n);
}

void sink_error(struct sink *k)
{
	metrics_add(SINK_M_ERRORS, k->label, 1);
}

/* @n lines lost; @held: lines the worker held (else never queued: the queue was full). */
void sink_count_dropped(struct sink *k, uint64_t n, bool held)
{
	if (!n)
		return;
	metrics_add(SINK_M_DROPPED, k->label, n);
	pthread_mutex_lock(&k->lock);
	k->lost += n;
	pthread_mutex_unlock(&k->lock);
	if (held)
		settle(k, n);
}

void sink_dropped(struct sink *k, uint64_t n)
{
	sink_count_dropped(k, n, true);
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
	k->held += n;
	return n;
}

size_t sink_take_nowait(struct sink *k, char **lines, size_t max)
{
	double depth;
	size_t n;

	pthread_mutex_lock(&k->lock);
	n = pop_locked(k, lines, max);
	depth = (double)(k->count + k->held);
	pthread_mutex_unlock(&k->lock);
	if (n)
		metrics_set(SINK_M_QUEUE, k->label, depth);
	return n;
}

size_t sink_take(struct sink *k, char **lines, size_t max, unsigned int wait_ms)
{
	double depth;
	size_t n;

	pthread_mutex_lock(&k->lock);
	while (!k->count && !k->stop)
		pthread_cond_wait(&k->cond, &k->lock);
	if (wait_ms && k->count < max && !k->stop) {
		struct timespec until = sink_now_mono();

		sink_timespec_add_ms(&until, wait_ms);
		while (k->count < max && !k->stop &&
		       pthread_cond_timedwait(&k->cond, &k->lock, &until) != ETIMEDOUT)
			;
	}
	n = pop_locked(k, lines, max);
	depth = (double)(k->count + k->held);
	pthread_mutex_unlock(&k->lock);
	metrics_set(SINK_M_QUEUE, k->label, depth);
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
	struct timespec now = sink_now_mono();
	bool past;

	pthread_mutex_lock(&k->lock);
	past = k->stop && sink_timespec_cmp(&now, &k->deadline) >= 0;
	pthread_mutex_unlock(&k->lock);
	return past;
}

unsigned int sink_io_timeout_ms(struct sink *k)
{
	struct timespec now = sink_now_mono();
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
		until = sink_now_mono();
		sink_timespec_add_ms(&until, backoff);
		/* new lines must not cut the backoff short: wait the whole time */
		for (struct timespec step = sink_now_mono();
		     sink_timespec_cmp(&step, &until) < 0 && !sink_past_deadline(k);
		     step = sink_now_mono()) {
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

void *sink_worker(void *arg)
{
	struct sink *k = arg;

	if (!k->drv->run || !k->drv->run(k))
		default_run(k);
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0-only
/* metrics.c: counters, gauges, labels and the Prometheus text rendering. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

TEST(counter_and_gauge_render)
{
	char *text;

	metrics_reset();
	metrics_describe("sealwatch_events_total", METRIC_COUNTER, "Exec events by verdict.");
	metrics_add("sealwatch_events_total", "action=\"exec\",verdict=\"ok\"", 2);
	metrics_add("sealwatch_events_total", "action=\"exec\",verdict=\"ok\"", 3);
	metrics_add("sealwatch_events_total", "action=\"exec\",verdict=\"modified\"", 1);
	metrics_describe("sealwatch_ringbuf_fill_ratio", METRIC_GAUGE, "Ring buffer fill.");
	metrics_set("sealwatch_ringbuf_fill_ratio", NULL, 0.25);
	metrics_set("sealwatch_ringbuf_fill_ratio", NULL, 0.5);
	CHECK(metrics_get("sealwatch_events_total", "action=\"exec\",verdict=\"ok\"") == 5);
	CHECK(metrics_get("sealwatch_nothing", NULL) == 0);
	text = metrics_render();
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(strstr(text,
		     "# HELP sealwatch_events_total Exec events by verdict.\n"
		     "# TYPE sealwatch_events_total counter\n"
		     "sealwatch_events_total{action=\"exec\",verdict=\"ok\"} 5\n"
		     "sealwatch_events_total{action=\"exec\",verdict=\"modified\"} 1\n") != NULL);
	CHECK(strstr(text, "# TYPE sealwatch_ringbuf_fill_ratio gauge\n"
			   "sealwatch_ringbuf_fill_ratio 0.5\n") != NULL);
	free(text);
	metrics_reset();
}

TEST(label_escaping)
{
	char out[32];

	metrics_escape_label("a\"b\\c\nd", out, sizeof(out));
	CHECK_STR(out, "a\\\"b\\\\c\\nd");
	metrics_escape_label("abcdef", out, 4);
	CHECK_STR(out, "abc");
	metrics_escape_label("x\"", out, 3); /* never splits an escape */
	CHECK_STR(out, "x");
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++)
		metrics_add("sealwatch_t_total", NULL, 1);
	return NULL;
}

TEST(threads_do_not_lose_counts)
{
	pthread_t t[4];

	metrics_reset();
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(metrics_get("sealwatch_t_total", NULL) == 40000);
	metrics_reset();
}

int main(void)
{
	RUN(counter_and_gauge_render);
	RUN(label_escaping);
	RUN(threads_do_not_lose_counts);
	return check_exit();
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * http(s)://… webhooks through libcurl: batches of NDJSON (or Splunk HEC,
 * Elasticsearch _bulk, one Falco alert per request for falcosidekick),
 * retried with exponential backoff. With spool=DIR, batches that cannot be
 * delivered go to disk (bounded by spool_max) and are replayed in order when
 * the receiver is back; what overflowed is reported as a sink_events_lost event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "errors.h"
#include "fileio.h"
#include "log.h"
#include "sink_internal.h"

#define RESPONSE_MAX (64u << 10)

struct http_sink {
	CURL *curl;
	char *url;
	char *index; /* elastic-bulk: _index of each document */
	char *auth_header;
	char *userpwd;
	char *ca;
	bool insecure;
	struct curl_slist *headers;
	struct sink_buf body, response;
	struct sink_spool *spool;
	char last_error[256];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A secret from a file: first line, trailing whitespace trimmed, not empty. */
static int read_secret(struct sink_spec *spec, const char *opt, const char *path, char **ret,
		       struct sw_error *err)
{
	char *buf;
	size_t len;
	int r = file_read_all(path, 4096, &buf, &len, err);

	if (r) /* a setting that cannot work: a config error, like a missing CA file */
		return sw_error_prefix(err, -EBADMSG, "output '%s': %s", spec->text, opt);
	buf[strcspn(buf, "\r\n")] = '\0';
	len = strlen(buf);
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (!len) {
		free(buf);
		return sw_error_set(err, -EBADMSG, "output '%s': %s %s is empty", spec->text, opt,
				    path);
	}
	*ret = buf;
	return 0;
}

static size_t on_response(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink_buf *b = ctx;
	size_t n = size * nmemb;

	if (b->len < RESPONSE_MAX)
		sink_buf_add(b, data, n > RESPONSE_MAX - b->len ? RESPONSE_MAX - b->len : n);
	return n;
}

/* Abort a transfer in flight once the shutdown deadline has passed. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return sink_past_deadline(ctx) ? 1 : 0;
}

/* The options http_open() reads besides the core's and those it stores at once. */
struct http_open_options {
	const char *token_file, *auth_file, *spool, *ca, *index;
	uint64_t spool_max;
};

static int http_read_options(struct sink *k, struct http_sink *h, struct sink_spec *spec,
			     struct http_open_options *o, struct sw_error *err)
{
	int r;

	sink_opt_str(spec, "token_file", &o->token_file);
	sink_opt_str(spec, "basic_auth_file", &o->auth_file);
	sink_opt_str(spec, "spool", &o->spool);
	sink_opt_str(spec, "ca", &o->ca);
	sink_opt_str(spec, "index", &o->index);
	r = sink_opt_uint(spec, "batch", 1, 100000, &k->batch, err);
	if (!r)
		r = sink_opt_ms(spec, "batch_wait", &k->batch_wait_ms, err);
	if (!r)
		r = sink_opt_size(spec, "spool_max", &o->spool_max, err);
	if (!r)
		r = sink_opt_bool(spec, "insecure", &h->insecure, err);
	if (r)
		return r;
	if (k->format == SINK_FORMAT_FALCO)
		k->batch = 1; /* falcosidekick takes one alert per request */
	return 0;
}

/* Options that exclude or need each other. */
static int http_check_options(const struct sink *k, const struct http_sink *h,
			      const struct sink_spec *spec, const struct http_open_options *o,
			      struct sw_error *err)
{
	if (o->index && k->format != SINK_FORMAT_ELASTIC_BULK)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': option index needs format=elastic-bulk",
				    spec->text);
	if (o->token_file && o->auth_file)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': options token_file and basic_auth_file exclude "
				    "each other",
				    spec->text);
	if (k->format == SINK_FORMAT_SPLUNK_HEC && !o->token_file)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': format=splunk-hec needs token_file", spec->text);
	if (o->spool_max < 4096)
		return sw_error_set(err, -EBADMSG, "output '%s': option spool_max: at least 4K",
				    spec->text);
	if ((o->ca || h->insecure) && strcmp(spec->scheme, "https"))
		return sw_error_set(err, -EBADMSG,
				    "output '%s': options ca and insecure need https", spec->text);
	return 0;
}

/* h->auth_header from token_file, h->userpwd from basic_auth_file. */
static int http_read_credentials(const struct sink *k, struct http_sink *h, struct sink_spec *spec,
				 const struct http_open_options *o, struct sw_error *err)
{
	int r;

	if (o->token_file) {
		char *tok;

		r = read_secret(spec, "token_file", o->token_file, &tok, err);
		if (r)
			return r;
		r = asprintf(&h->auth_header, "Authorization: %s %s",
			     k->format == SINK_FORMAT_SPLUNK_HEC ? "Splunk" : "Bearer", tok);
		free(tok);
		if (r < 0)
			return sw_error_set(err, -ENOMEM, "out of memory");
	}
	if (o->auth_file) {
		r = read_secret(spec, "basic_auth_file", o->auth_file, &h->userpwd, err);
		if (r)
			return r;
		if (!strchr(h->userpwd, ':'))
			return sw_error_set(err, -EBADMSG,
					    "output '%s': basic_auth_file must hold USER:PASSWORD",
					    spec->text);
	}
	return 0;
}

/* The request headers and the curl handle. */
static int http_new_handle(const struct sink *k, struct http_sink *h, struct sw_error *err)
{
	h->headers = curl_slist_append(NULL, k->format == SINK_FORMAT_FALCO ||
							     k->format == SINK_FORMAT_SPLUNK_HEC ?
						     "Content-Type: application/json" :
						     "Content-Type: application/x-ndjson");
	if (h->headers && h->auth_header)
		h->headers = curl_slist_append(h->headers, h->auth_header);
	if (h->headers)
		h->headers = curl_slist_append(h->headers, "Expect:");
	h->curl = curl_easy_init();
	if (!h->headers || !h->curl)
		return sw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int http_open_spool(struct sink *k, struct http_sink *h, const struct sink_spec *spec,
			   const struct http_open_options *o, struct sw_error *err)
{
	int r = spool_open(o->spool, o->spool_max, &h->spool, err);

	if (r)
		return sw_error_prefix(err, r, "output '%s'", spec->text);
	sink_set_gauge(k, "sealwatch_sink_spool_bytes", (double)spool_bytes(h->spool));
	if (spool_ignored(h->spool))
		log_warn("output %s: spool %s: %llu files named like segments are not ours "
			 "(symlinks, other owners, links): never shipped",
			 k->name, o->spool, (unsigned long long)spool_ignored(h->spool));
	return 0;
}

static int http_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	struct http_sink *h = calloc(1, sizeof(*h));
	struct http_open_options o = { .spool_max = 256ULL << 20 };
	const char *q = strchr(spec->raw, '?');
	int r;

	if (!h)
		return sw_error_set(err, -ENOMEM, "out of memory");
	k->priv = h;
	k->batch = 500;
	k->batch_wait_ms = 1000;
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return sw_error_set(err, -ENOMEM, "libcurl: %s",
				    curl_easy_strerror(curl_init_result));
	if (strncmp(spec->target, "//", 2) || !spec->target[2])
		return sw_error_set(err, -EBADMSG, "output '%s': want %s://HOST[:PORT]/PATH",
				    spec->text, spec->scheme);
	h->url = strndup(spec->raw, q ? (size_t)(q - spec->raw) : strlen(spec->raw));
	if (!h->url)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = http_read_options(k, h, spec, &o, err);
	if (!r)
		r = http_check_options(k, h, spec, &o, err);
	if (r)
		return r;
	if (o.ca && !(h->ca = strdup(o.ca)))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (o.index && !(h->index = strdup(o.index)))
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = http_read_credentials(k, h, spec, &o, err);
	if (!r)
		r = http_new_handle(k, h, err);
	if (!r && o.spool)
		r = http_open_spool(k, h, spec, &o, err);
	return r;
}

static void note(struct sink *k, const char *msg)
{
	struct http_sink *h = k->priv;

	if (strcmp(msg, h->last_error)) {
		log_warn("output %s: %s", k->name, msg);
		snprintf(h->last_error, sizeof(h->last_error), "%s", msg);
	}
}

/*
 * POST @n lines. 0: delivered; -ECANCELED: refused for good (counted as
 * dropped already); -EAGAIN: try again later.
 */
static int http_deliver(struct sink *k, char **lines, size_t n)
{
	struct http_sink *h = k->priv;
	unsigned int ms = sink_io_timeout_ms(k);
	char msg[256];
	long status = 0;
	CURLcode c;

	h->body.len = 0;
	for (size_t i = 0; i < n; i++) {
		int r = sink_format_line(k->format, lines[i], h->index, &h->body);

		if (r == -EBADMSG) {
			sink_error(k); /* not JSON: cannot take this shape */
			continue;
		}
		if (r)
			return r;
	}
	if (!h->body.len)
		return 0;
	if (k->format == SINK_FORMAT_FALCO && h->body.data[h->body.len - 1] == '\n')
		h->body.len--;
	h->response.len = 0;
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, h->body.data);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body.len);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ms);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_response);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->response);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "sealwatch");
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, k);
	if (h->userpwd) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERPWD, h->userpwd);
	}
	if (h->ca)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca);
	if (h->insecure) {
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	c = curl_easy_perform(h->curl);
	if (c != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s", curl_easy_strerror(c));
		note(k, msg);
		return -EAGAIN;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		h->last_error[0] = '\0';
		/* _bulk answers 200 with per-item failures */
		if (k->format == SINK_FORMAT_ELASTIC_BULK && h->response.data &&
		    strstr(h->response.data, "\"errors\":true")) {
			sink_error(k);
			note(k, "Elasticsearch refused some documents (\"errors\":true)");
		}
		return 0;
	}
	snprintf(msg, sizeof(msg), "HTTP status %ld", status);
	note(k, msg);
	if (status == 408 || status == 429 || status >= 500)
		return -EAGAIN;
	/* any other 4xx will not change by resending the same bytes: drop, counted */
	sink_error(k);
	sink_dropped(k, n);
	return -ECANCELED;
}

static void update_gauge(struct sink *k)
{
	struct http_sink *h = k->priv;

	sink_set_gauge(k, "sealwatch_sink_spool_bytes", (double)spool_bytes(h->spool));
}

static void to_spool(struct sink *k, char **lines, size_t n)
{
	struct http_sink *h = k->priv;
	int err;
	uint64_t lost = spool_append(h->spool, lines, n, &err);

	if (err) {
		char msg[128];

		snprintf(msg, sizeof(msg), "spool: %s", strerror(-err));
		note(k, msg);
		sink_error(k);
	}
	sink_dropped(k, lost);
	sink_settled(k, n - lost);
	update_gauge(k);
}

/*
 * With a spool: memory → (receiver up, spool empty) → POST; otherwise memory →
 * spool, and the spool's oldest lines → POST whenever the backoff allows.
 * Stopping: keep trying until the deadline, then leave the rest on disk.
 */
static void spool_run(struct sink *k)
{
	struct http_sink *h = k->priv;
	char **lines = calloc(k->batch, sizeof(*lines));
	unsigned int backoff = k->retry_min_ms;
	struct timespec next_try = sink_now_mono();
	size_t n;

	if (!lines) {
		log_error("output %s: out of memory, worker stopped", k->name);
		return;
	}
	for (;;) {
		struct timespec now = sink_now_mono();
		bool may_try = sink_timespec_cmp(&now, &next_try) >= 0;

		int r;

		if (spool_empty(h->spool) && may_try) {
			n = sink_take(k, lines, k->batch, k->batch_wait_ms);
			if (!n)
				break;
			r = http_deliver(k, lines, n);
			if (!r || r == -ECANCELED) {
				if (!r)
					sink_delivered(k, n);
				sink_send_lost_report(k);
				backoff = k->retry_min_ms;
			} else {
				sink_error(k);
				to_spool(k, lines, n);
				next_try = sink_now_mono();
				sink_timespec_add_ms(&next_try, backoff);
				backoff = backoff * 2 > k->retry_max_ms ? k->retry_max_ms :
									  backoff * 2;
			}
			sink_free_lines(lines, n);
			continue;
		}
		/* outage: park new lines on disk so the memory queue never fills */
		while ((n = sink_take_nowait(k, lines, k->batch))) {
			to_spool(k, lines, n);
			sink_free_lines(lines, n);
		}
		if (may_try && !spool_empty(h->spool)) {
			r = spool_peek(h->spool, lines, k->batch, &n);
			if (r) {
				note(k, "spool: cannot read a segment");
				sink_error(k);
			} else if (!(r = http_deliver(k, lines, n)) || r == -ECANCELED) {
				if (!r)
					sink_delivered(k, n);
				spool_consume(h->spool, n);
				update_gauge(k);
				backoff = k->retry_min_ms;
				if (spool_empty(h->spool))
					sink_send_lost_report(k);
				continue;
			} else {
				sink_error(k);
			}
			next_try = sink_now_mono();
			sink_timespec_add_ms(&next_try, backoff);
			backoff = backoff * 2 > k->retry_max_ms ? k->retry_max_ms : backoff * 2;
		}
		if (sink_past_deadline(k)) {
			while ((n = sink_take_nowait(k, lines, k->batch))) {
				to_spool(k, lines, n);
				sink_free_lines(lines, n);
			}
			if (!spool_empty(h->spool))
				log_warn(
					"output %s: %llu bytes left in the spool for the next start",
					k->name, (unsigned long long)spool_bytes(h->spool));
			break;
		}
		sink_wait(k, &next_try);
	}
	free(lines);
}

static void http_close(struct sink *k)
{
	struct http_sink *h = k->priv;

	if (!h)
		return;
	spool_close(h->spool);
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	sink_buf_free(&h->body);
	sink_buf_free(&h->response);
	free(h->url);
	free(h->index);
	free(h->ca);
	if (h->auth_header)
		explicit_bzero(h->auth_header, strlen(h->auth_header));
	if (h->userpwd)
		explicit_bzero(h->userpwd, strlen(h->userpwd));
	free(h->auth_header);
	free(h->userpwd);
	free(h);
	k->priv = NULL;
}

/* Without a spool the core's loop (retry in memory, drop when the queue is full) fits. */
static bool http_run(struct sink *k)
{
	struct http_sink *h = k->priv;

	if (!h->spool)
		return false;
	spool_run(k);
	return true;
}

static const char *const http_options[] = {
	"token_file", "basic_auth_file", "spool", "spool_max",	"ca",
	"insecure",   "index",		 "batch", "batch_wait", NULL
};

/* http and https: one driver, two schemes */
#define HTTP_DRIVER(name)                                                      \
	{                                                                      \
		.options = http_options, .scheme = name, .open = http_open,    \
		.deliver = http_deliver, .run = http_run, .close = http_close, \
	}

const struct sink_driver sink_http_driver = HTTP_DRIVER("http");
const struct sink_driver sink_https_driver = HTTP_DRIVER("https");

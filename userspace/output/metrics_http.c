// SPDX-License-Identifier: GPL-2.0-only
/* metrics_http.c: /metrics and /healthz over libmicrohttpd (metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "errors.h"
#include "metrics.h"
#include "metrics_http.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct metrics_http {
	struct MHD_Daemon *mhd;
};

static bool config_loaded, attached;
static long long last_tick_sec; /* CLOCK_MONOTONIC seconds of the last tick, 0 = never */

static long long monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void health_set_config_loaded(bool loaded)
{
	__atomic_store_n(&config_loaded, loaded, __ATOMIC_RELAXED);
}

void health_set_attached(bool on)
{
	__atomic_store_n(&attached, on, __ATOMIC_RELAXED);
}

void health_tick(void)
{
	__atomic_store_n(&last_tick_sec, monotonic_sec(), __ATOMIC_RELAXED);
}

bool health_check(char *reason, size_t size)
{
	long long tick = __atomic_load_n(&last_tick_sec, __ATOMIC_RELAXED);

	if (!__atomic_load_n(&config_loaded, __ATOMIC_RELAXED)) {
		snprintf(reason, size, "configuration not loaded");
		return false;
	}
	if (!__atomic_load_n(&attached, __ATOMIC_RELAXED)) {
		snprintf(reason, size, "BPF programs not attached");
		return false;
	}
	if (!tick || monotonic_sec() - tick > METRICS_HTTP_STALL_SEC) {
		snprintf(reason, size, "event loop stalled (no ring buffer poll for %lld s)",
			 tick ? monotonic_sec() - tick : -1LL);
		return false;
	}
	snprintf(reason, size, "ok");
	return true;
}

int metrics_http_parse_addr(const char *spec, struct sockaddr_storage *ret, socklen_t *ret_len,
			    struct sw_error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	size_t hlen;
	char *end;
	long p;
	int r;

	if (!spec || !*spec)
		return sw_error_set(err, -EINVAL, "metrics address is empty (use ADDR:PORT)");
	if (spec[0] == '[') { /* [v6]:port */
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return sw_error_set(err, -EINVAL, "'%s': use [IPV6]:PORT", spec);
		hlen = (size_t)(close - spec - 1);
		colon = close + 1;
		spec++;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return sw_error_set(err, -EINVAL, "'%s': use ADDR:PORT or [IPV6]:PORT",
					    spec);
		hlen = (size_t)(colon - spec);
	}
	port = colon + 1;
	errno = 0;
	p = strtol(port, &end, 10);
	if (!*port || *end || errno || p < 1 || p > 65535)
		return sw_error_set(err, -EINVAL, "'%s': port must be 1-65535", port);
	if (!hlen || hlen >= sizeof(host))
		return sw_error_set(err, -EINVAL, "address missing or too long before ':%s'", port);
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	r = getaddrinfo(host, port, &hints, &ai);
	if (r || !ai)
		return sw_error_set(err, -EINVAL, "'%s' is not a numeric IPv4/IPv6 address", host);
	memcpy(ret, ai->ai_addr, ai->ai_addrlen);
	*ret_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static mhd_result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			char *body, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), body, mode);
	mhd_result ret;

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static mhd_result handle(void *cls, struct MHD_Connection *conn, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_size, void **req_cls)
{
	char reason[160], *body;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     "method not allowed\n", MHD_RESPMEM_PERSISTENT);
	if (*upload_size)
		return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "no body expected\n",
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		body = metrics_render();
		if (!body)
			return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				     "out of memory\n", MHD_RESPMEM_PERSISTENT);
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/healthz")) {
		bool ok = health_check(reason, sizeof(reason) - 1);

		strcat(reason, "\n");
		return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			     reason, MHD_RESPMEM_MUST_COPY);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
		     "not found: try /metrics or /healthz\n", MHD_RESPMEM_PERSISTENT);
}

int metrics_http_start(const char *spec, struct metrics_http **ret, struct sw_error *err)
{
	struct sockaddr_storage sa;
	struct metrics_http *h;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	socklen_t len;
	int r = metrics_http_parse_addr(spec, &sa, &len, err);

	if (r)
		return r;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = calloc(1, sizeof(*h));
	if (!h)
		return sw_error_set(err, -ENOMEM, "out of memory");
	errno = 0;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_LIMIT, 32U, MHD_OPTION_CONNECTION_TIMEOUT,
				  10U, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8U, MHD_OPTION_END);
	if (!h->mhd) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		free(h);
		return sw_error_set(err, r, "cannot listen on %s: %s", spec, strerror(-r));
	}
	*ret = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}

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

/*
 * Connection limits. MHD's own limit is a hard ceiling (fds); below it we
 * keep at most METRICS_HTTP_MAX_CONN connections, METRICS_HTTP_MAX_PER_IP per
 * client address: a new connection over either bound shuts down the oldest
 * connection of the address holding the most. Idle or trickling connections
 * (slowloris) can never keep a fresh /healthz probe out: it is the newest,
 * answered in a millisecond, and evicted last. Idle ones also time out.
 */
#define METRICS_HTTP_MAX_CONN 32
#define METRICS_HTTP_MAX_PER_IP 8
#define METRICS_HTTP_HARD_LIMIT 128U
#define METRICS_HTTP_IDLE_SEC 5U

struct tracked_conn {
	int fd;
	bool evicted; /* shut down, waiting for MHD to close it */
	unsigned long long seq; /* arrival order */
	struct sockaddr_storage addr;
};

struct metrics_http {
	struct MHD_Daemon *mhd;
	/* touched only by MHD's single polling thread (connection notifications) */
	struct tracked_conn conns[METRICS_HTTP_HARD_LIMIT];
	size_t n_conns;
	unsigned long long seq, evicted;
};

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return true;
}

/* Live (not evicted) connections, in all or from @addr's address. */
static size_t count_live(const struct metrics_http *h, const struct sockaddr_storage *addr)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n_conns; i++)
		n += !h->conns[i].evicted && (!addr || same_ip(&h->conns[i].addr, addr));
	return n;
}

/* Shut down the oldest live connection from @addr's address. */
static void evict_oldest_of(struct metrics_http *h, const struct sockaddr_storage *addr)
{
	size_t best = h->n_conns;

	for (size_t i = 0; i < h->n_conns; i++)
		if (!h->conns[i].evicted && same_ip(&h->conns[i].addr, addr) &&
		    (best == h->n_conns || h->conns[i].seq < h->conns[best].seq))
			best = i;
	if (best == h->n_conns)
		return;
	shutdown(h->conns[best].fd, SHUT_RDWR); /* MHD reads EOF and closes it */
	h->conns[best].evicted = true;
	h->evicted++;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct metrics_http *h = cls;
	const union MHD_ConnectionInfo *fdi, *ai;
	struct tracked_conn *c;

	(void)socket_context;
	fdi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!fdi)
		return;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		/* before MHD closes the socket: the fd still names this connection */
		for (size_t i = 0; i < h->n_conns; i++)
			if (h->conns[i].fd == fdi->connect_fd) {
				h->conns[i] = h->conns[--h->n_conns];
				break;
			}
		return;
	}
	if (h->n_conns == METRICS_HTTP_HARD_LIMIT)
		return; /* cannot happen: MHD's own limit is the same */
	c = &h->conns[h->n_conns++];
	memset(c, 0, sizeof(*c));
	c->fd = fdi->connect_fd;
	c->seq = h->seq++;
	ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ai && ai->client_addr)
		memcpy(&c->addr, ai->client_addr,
		       ai->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
								sizeof(struct sockaddr_in));
	if (count_live(h, &c->addr) > METRICS_HTTP_MAX_PER_IP) {
		evict_oldest_of(h, &c->addr);
	} else if (count_live(h, NULL) > METRICS_HTTP_MAX_CONN) {
		/* the address holding the most connections gives up its oldest */
		size_t top = h->n_conns, top_n = 0;

		for (size_t i = 0; i < h->n_conns; i++) {
			size_t n = h->conns[i].evicted ? 0 : count_live(h, &h->conns[i].addr);

			if (n > top_n) {
				top_n = n;
				top = i;
			}
		}
		if (top < h->n_conns)
			evict_oldest_of(h, &h->conns[top].addr);
	}
}

static bool config_loaded, attached;
static long long last_tick_sec; /* CLOCK_MONOTONIC seconds of the last tick, 0 = never */
static uint64_t workers_stalled, stalled_sec; /* hash workers on one file too long */
static uint64_t loader_busy_sec; /* the running baseline load, 0 = none */
static uint64_t dropped_total; /* events and verdicts dropped (ring buffer, queues, outputs) */
static long long dropped_at; /* CLOCK_MONOTONIC seconds when dropped_total last grew */

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

void health_set_workers_stalled(uint64_t stalled, uint64_t longest_sec)
{
	__atomic_store_n(&stalled_sec, longest_sec, __ATOMIC_RELAXED);
	__atomic_store_n(&workers_stalled, stalled, __ATOMIC_RELAXED);
}

void health_set_loader_busy(uint64_t sec)
{
	__atomic_store_n(&loader_busy_sec, sec, __ATOMIC_RELAXED);
}

void health_note_dropped(uint64_t total)
{
	if (total > __atomic_load_n(&dropped_total, __ATOMIC_RELAXED)) {
		__atomic_store_n(&dropped_at, monotonic_sec(), __ATOMIC_RELAXED);
		__atomic_store_n(&dropped_total, total, __ATOMIC_RELAXED);
	}
}

bool health_check(char *reason, size_t size)
{
	uint64_t stalled = __atomic_load_n(&workers_stalled, __ATOMIC_RELAXED);
	long long drop_at = __atomic_load_n(&dropped_at, __ATOMIC_RELAXED);
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
	if (stalled) {
		snprintf(reason, size, "%llu hash workers stalled (one file for %llu s)",
			 (unsigned long long)stalled,
			 (unsigned long long)__atomic_load_n(&stalled_sec, __ATOMIC_RELAXED));
		return false;
	}
	if (__atomic_load_n(&loader_busy_sec, __ATOMIC_RELAXED) >= METRICS_HTTP_LOADER_STALL_SEC) {
		snprintf(reason, size, "baseline loader busy for %llu s",
			 (unsigned long long)__atomic_load_n(&loader_busy_sec, __ATOMIC_RELAXED));
		return false;
	}
	/* still serving, but say so: a restart would not bring the work back */
	if (drop_at && monotonic_sec() - drop_at < METRICS_HTTP_DROP_WINDOW_SEC) {
		snprintf(reason, size,
			 "degraded: %llu events or verdicts dropped, the last %lld s ago",
			 (unsigned long long)__atomic_load_n(&dropped_total, __ATOMIC_RELAXED),
			 monotonic_sec() - drop_at);
		return true;
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
	/* no MHD per-IP limit: it would refuse the probe; on_connection() evicts instead */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_LIMIT, METRICS_HTTP_HARD_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, METRICS_HTTP_IDLE_SEC,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog+udp|tcp|tls://HOST:PORT: RFC 5424 messages, the event's JSON as MSG.
 * UDP: one datagram per event, cut at SYSLOG_UDP_MAX bytes. TCP and TLS: octet
 * counting (RFC 6587 §3.4.1), reconnecting with backoff. TLS through OpenSSL,
 * verifying the server's chain (ca=FILE, else the system store) and name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "errors.h"
#include "log.h"
#include "sink_internal.h"

#define SYSLOG_UDP_MAX 8192 /* whole datagram, header included */

enum transport { T_UDP, T_TCP, T_TLS };

struct syslog_sink {
	enum transport t;
	char *host, *port;
	int facility;
	char hostname[256];
	char procid[16];
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	bool insecure;
	struct sink_buf buf;
	char last_error[256];
};

static int facility_from_name(const char *name)
{
	static const char *const names[] = { "kern",	 "user",   "mail",   "daemon", "auth",
					     "syslog",	 "lpr",	   "news",   "uucp",   "cron",
					     "authpriv", "ftp",	   "ntp",    "audit",  "alert",
					     "clock",	 "local0", "local1", "local2", "local3",
					     "local4",	 "local5", "local6", "local7" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

static int syslog_open(struct sink *k, struct sink_spec *spec, enum transport t,
		       struct sw_error *err)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	const char *fac = NULL, *ca = NULL, *cert = NULL, *key = NULL, *path = NULL;
	int r;

	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
	k->priv = s;
	s->t = t;
	s->fd = -1;
	s->facility = 3; /* daemon */
	k->batch = 64;
	if (k->format != SINK_FORMAT_JSON && k->format != SINK_FORMAT_FALCO)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': option format: syslog takes json or falco",
				    spec->text);
	r = sink_parse_hostport(spec->target, &s->host, &s->port, &path, err);
	if (r)
		return sw_error_prefix(err, r, "output '%s'", spec->text);
	if (path && strcmp(path, "/"))
		return sw_error_set(err, -EBADMSG, "output '%s': syslog takes no path", spec->text);
	sink_opt_str(spec, "facility", &fac);
	if (fac && (s->facility = facility_from_name(fac)) < 0)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': option facility=%s: want a syslog facility "
				    "name (daemon, auth, local0…)",
				    spec->text, fac);
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) || !s->hostname[0])
		snprintf(s->hostname, sizeof(s->hostname), "-");
	snprintf(s->procid, sizeof(s->procid), "%d", (int)getpid());
	if (t != T_TLS)
		return 0;

	sink_opt_str(spec, "ca", &ca);
	sink_opt_str(spec, "cert", &cert);
	sink_opt_str(spec, "key", &key);
	r = sink_opt_bool(spec, "insecure", &s->insecure, err);
	if (r)
		return r;
	if (!cert != !key)
		return sw_error_set(err, -EBADMSG, "output '%s': options cert and key go together",
				    spec->text);
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ctx)
		return sw_error_set(err, -ENOMEM, "output '%s': cannot create a TLS context",
				    spec->text);
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	if (ca ? SSL_CTX_load_verify_locations(s->ctx, ca, NULL) != 1 :
		 SSL_CTX_set_default_verify_paths(s->ctx) != 1)
		return sw_error_set(err, -EBADMSG,
				    "output '%s': cannot load CA certificates from %s", spec->text,
				    ca ? ca : "the system store");
	if (cert && (SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1 ||
		     SSL_CTX_check_private_key(s->ctx) != 1))
		return sw_error_set(err, -EBADMSG,
				    "output '%s': cannot load client cert %s / key %s", spec->text,
				    cert, key);
	SSL_CTX_set_verify(s->ctx, s->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	return 0;
}

static int udp_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	return syslog_open(k, spec, T_UDP, err);
}

static int tcp_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	return syslog_open(k, spec, T_TCP, err);
}

static int tls_open(struct sink *k, struct sink_spec *spec, struct sw_error *err)
{
	return syslog_open(k, spec, T_TLS, err);
}

static void disconnect(struct syslog_sink *s)
{
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Log a delivery problem once per distinct message (the core counts every one). */
static void note(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct sink *k, const char *fmt, ...)
{
	struct syslog_sink *s = k->priv;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, s->last_error)) {
		log_warn("output %s: %s", k->name, msg);
		snprintf(s->last_error, sizeof(s->last_error), "%s", msg);
	}
}

static int connect_timeout(int fd, const struct sockaddr *a, socklen_t len, unsigned int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int flags = fcntl(fd, F_GETFL), soerr = 0, r;
	socklen_t sl = sizeof(soerr);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	r = connect(fd, a, len);
	if (r && errno == EINPROGRESS) {
		r = poll(&p, 1, (int)ms);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			return -errno;
		if (soerr)
			return -soerr;
	} else if (r) {
		return -errno;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static bool is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static int do_connect(struct sink *k)
{
	struct syslog_sink *s = k->priv;
	struct addrinfo hints = { .ai_socktype = s->t == T_UDP ? SOCK_DGRAM : SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	unsigned int ms = sink_io_timeout_ms(k);
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	int r = getaddrinfo(s->host, s->port, &hints, &res);

	if (r) {
		note(k, "cannot resolve %s: %s", s->host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	r = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		s->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s->fd < 0) {
			r = -errno;
			continue;
		}
		r = connect_timeout(s->fd, ai->ai_addr, ai->ai_addrlen, ms);
		if (!r)
			break;
		close(s->fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	if (r) {
		note(k, "cannot connect to %s:%s: %s", s->host, s->port, strerror(-r));
		return r;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (s->t != T_TLS)
		return 0;

	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
		disconnect(s);
		return -ENOMEM;
	}
	if (is_ip_literal(s->host)) { /* no SNI for addresses; match the cert's IP SANs */
		if (!s->insecure &&
		    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->host) != 1) {
			disconnect(s);
			return -ENOMEM;
		}
	} else if (SSL_set_tlsext_host_name(s->ssl, s->host) != 1 ||
		   (!s->insecure && SSL_set1_host(s->ssl, s->host) != 1)) {
		disconnect(s);
		return -ENOMEM;
	}
	if (SSL_connect(s->ssl) != 1) {
		long v = SSL_get_verify_result(s->ssl);
		unsigned long e = ERR_get_error();

		ERR_clear_error();
		if (v != X509_V_OK)
			note(k, "TLS: server certificate refused: %s",
			     X509_verify_cert_error_string(v));
		else
			note(k, "TLS handshake failed: %s",
			     e ? ERR_reason_error_string(e) : "connection closed");
		disconnect(s);
		return -ECONNREFUSED;
	}
	return 0;
}

/* The peer closed (or reset) the connection since the last write? */
static bool peer_gone(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int send_stream(struct syslog_sink *s)
{
	const char *p = s->buf.data;
	size_t left = s->buf.len;

	while (left) {
		ssize_t n;

		if (s->ssl) {
			int w = SSL_write(s->ssl, p, left > INT32_MAX ? INT32_MAX : (int)left);

			if (w <= 0) {
				ERR_clear_error();
				return -EPIPE;
			}
			n = w;
		} else {
			n = send(s->fd, p, left, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* "<PRI>1 TIMESTAMP HOSTNAME sealwatch PROCID MSGID - MSG" (RFC 5424 §6). */
static int add_message(struct sink *k, const char *line, struct sink_buf *msg)
{
	struct syslog_sink *s = k->priv;
	char head[512], ts[64], msgid[40];
	int sev, n, r;

	sink_syslog_fields(line, &sev, msgid, sizeof(msgid), ts, sizeof(ts));
	n = snprintf(head, sizeof(head), "<%d>1 %s %s sealwatch %s %s - ", s->facility * 8 + sev,
		     ts, s->hostname, s->procid, msgid);
	r = sink_buf_add(msg, head, (size_t)n);
	if (!r)
		r = sink_format_line(k->format, line, NULL, msg);
	if (!r && msg->len && msg->data[msg->len - 1] == '\n')
		msg->data[--msg->len] = '\0'; /* no trailing newline inside MSG */
	return r;
}

static int syslog_deliver(struct sink *k, char **lines, size_t n)
{
	struct syslog_sink *s = k->priv;
	struct sink_buf msg = { 0 };
	int r = 0;

	if (s->fd >= 0 && s->t != T_UDP && peer_gone(s))
		disconnect(s);
	if (s->fd < 0) {
		r = do_connect(k);
		if (r)
			return r;
		s->last_error[0] = '\0';
	}
	s->buf.len = 0;
	for (size_t i = 0; i < n && !r; i++) {
		char len[24];

		msg.len = 0;
		r = add_message(k, lines[i], &msg);
		if (r == -EBADMSG) {
			sink_error(k);
			r = 0;
			continue;
		}
		if (r)
			break;
		if (s->t == T_UDP) {
			size_t size = msg.len > SYSLOG_UDP_MAX ? SYSLOG_UDP_MAX : msg.len;

			/* connected UDP: a refused port shows up as ECONNREFUSED on a later send */
			if (send(s->fd, msg.data, size, MSG_NOSIGNAL) < 0) {
				r = -errno;
				note(k, "send: %s", strerror(errno));
			}
			continue;
		}
		snprintf(len, sizeof(len), "%zu ", msg.len);
		r = sink_buf_add(&s->buf, len, strlen(len));
		if (!r)
			r = sink_buf_add(&s->buf, msg.data, msg.len);
	}
	sink_buf_free(&msg);
	if (!r && s->t != T_UDP) {
		r = send_stream(s);
		if (r) {
			note(k, "send: %s", strerror(-r));
			disconnect(s);
		}
	}
	return r;
}

static void syslog_close(struct sink *k)
{
	struct syslog_sink *s = k->priv;

	if (!s)
		return;
	disconnect(s);
	SSL_CTX_free(s->ctx);
	sink_buf_free(&s->buf);
	free(s->host);
	free(s->port);
	free(s);
	k->priv = NULL;
}

static const char *const syslog_options[] = { "facility", NULL };

const struct sink_driver sink_syslog_udp_driver = {
	.options = syslog_options,
	.scheme = "syslog+udp",
	.open = udp_open,
	.deliver = syslog_deliver,
	.close = syslog_close,
};

const struct sink_driver sink_syslog_tcp_driver = {
	.options = syslog_options,
	.scheme = "syslog+tcp",
	.open = tcp_open,
	.deliver = syslog_deliver,
	.close = syslog_close,
};

static const char *const tls_options[] = { "facility", "ca", "cert", "key", "insecure", NULL };

const struct sink_driver sink_syslog_tls_driver = {
	.options = tls_options,
	.scheme = "syslog+tls",
	.open = tls_open,
	.deliver = syslog_deliver,
	.close = syslog_close,
};

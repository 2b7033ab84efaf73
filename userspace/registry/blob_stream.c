// SPDX-License-Identifier: GPL-2.0-only
/* A blob read as a stream (reg_blob_stream): a thread writes into a socketpair the reader reads. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "errors.h"
#include "hexutil.h"
#include "layer.h"
#include "registry.h"
#include "registry_internal.h"

/* ---- streamed blobs: a thread writes into a socketpair the reader reads ---- */

struct blob_stream {
	pthread_t thread;
	int rd, wr;
	CURL *h;
	struct curl_slist *hdrs;
	char url[4096];
	long status;
	CURLcode cc;
	bool joined;
	char host[256];
};

static size_t stream_body(char *p, size_t size, size_t n, void *ud)
{
	struct blob_stream *s = ud;
	size_t len = size * n, off = 0;
	long status = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return len; /* an error page: not the blob */
	while (off < len) {
		ssize_t w = send(s->wr, p + off, len - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return 0; /* reader gone */
		}
		off += (size_t)w;
	}
	return len;
}

static void *stream_main(void *arg)
{
	struct blob_stream *s = arg;

	s->cc = curl_easy_perform(s->h);
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	shutdown(s->wr, SHUT_WR);
	return NULL;
}

static int stream_join(struct blob_stream *s)
{
	if (!s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	return s->cc == CURLE_OK && s->status == 200 ? 0 : -1;
}

static ssize_t stream_read(void *ctx, void *buf, size_t len, struct sw_error *err)
{
	struct blob_stream *s = ctx;

	for (;;) {
		ssize_t n = read(s->rd, buf, len);

		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sw_error_set(err, -errno, "%s: read: %s", s->host, strerror(errno));
		if (stream_join(s))
			return s->cc != CURLE_OK ?
				       sw_error_set(err, -EHOSTUNREACH, "%s: %s", s->host,
						    curl_easy_strerror(s->cc)) :
				       sw_error_set(err,
						    s->status == 404 ? -EBADMSG : -EHOSTUNREACH,
						    "%s: blob: HTTP %ld", s->host, s->status);
		return 0;
	}
}

static void stream_close(void *ctx)
{
	struct blob_stream *s = ctx;

	if (!s)
		return;
	close(s->rd); /* the writer's next send fails: the transfer ends */
	stream_join(s);
	close(s->wr);
	curl_slist_free_all(s->hdrs);
	curl_easy_cleanup(s->h);
	free(s);
}

int reg_blob_stream(struct reg_client *c, const char *repo, const char *digest,
		    struct byte_source *src, struct sw_error *err)
{
	struct blob_stream *s;
	int sv[2];
	int r;

	/* authenticate first (and learn that the blob exists) with a HEAD */
	r = reg_blob_exists(c, repo, digest, err);
	if (r)
		return r == -ENOENT ? sw_error_set(err, -EBADMSG, "%s/%s: blob %s missing", c->host,
						   repo, digest) :
				      r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(s);
		return sw_error_set(err, -errno, "socketpair: %s", strerror(errno));
	}
	s->rd = sv[0];
	s->wr = sv[1];
	snprintf(s->host, sizeof(s->host), "%s", c->host);
	snprintf(s->url, sizeof(s->url), "%s/v2/%s/blobs/%s", c->base, repo, digest);
	s->h = curl_easy_init();
	if (!s->h)
		goto nomem;
	pthread_mutex_lock(&c->lock);
	if (c->authz)
		s->hdrs = curl_slist_append(s->hdrs, c->authz);
	pthread_mutex_unlock(&c->lock);
	reg_curl_common(c, s->h, s->hdrs, true);
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, stream_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	if (pthread_create(&s->thread, NULL, stream_main, s))
		goto nomem;
	src->read = stream_read;
	src->close = stream_close;
	src->ctx = s;
	return 0;
nomem:
	close(sv[0]);
	close(sv[1]);
	curl_slist_free_all(s->hdrs);
	if (s->h)
		curl_easy_cleanup(s->h);
	free(s);
	return sw_error_set(err, -ENOMEM, "out of memory");
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to userspace/registry/: one HTTP request of the client (client.c). */
#ifndef SW_REGISTRY_INTERNAL_H
#define SW_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "registry.h"

/* One client per registry host (client.c); shared by manifest.c and blob_stream.c. */
struct reg_client {
	/*
	 * Guards curl and authz: a registry store (regstore.c) is read by the
	 * image reader's layer threads at once, one client for all.
	 */
	pthread_mutex_t lock;
	CURL *curl;
	char *host;
	char *base; /* "https://host" */
	struct reg_opts o;
	char *ca_file, *token_file, *auth_file;
	char *authz; /* "Authorization: …" header, NULL = anonymous */
	char *basic; /* base64 "user:pass" from config.json, NULL when none */
};
struct sw_error;

struct reg_req {
	const char *method; /* GET, HEAD, PUT, POST */
	const char *path; /* "/v2/…" on the client's host, or an absolute URL */
	const char *accept; /* a whole "Accept: …" header, or NULL */
	const char *content_type;
	const void *body;
	size_t body_len;
	const char *scope; /* token scope asked for after a Bearer challenge */
};

struct reg_resp {
	long status;
	char *body; /* NUL-terminated, NULL when empty */
	size_t len, cap, max;
	bool too_big;
	char content_type[192];
	char digest[80];
	char location[2048];
	char www_auth[1024];
	bool oci_subject;
};

/*
 * Send @q; a 401 with a challenge is answered once (token or Basic) and the
 * request repeated. 2xx: 0; 404: -ENOENT; 401/403: -EACCES; 5xx, 429 and
 * transport failures: -EHOSTUNREACH; anything else -EBADMSG. @resp->max bounds
 * the body (0: REG_MANIFEST_MAX); clear @resp with reg_resp_clear().
 */
int reg_request(struct reg_client *c, const struct reg_req *q, struct reg_resp *resp,
		struct sw_error *err);
void reg_resp_clear(struct reg_resp *r);
/* The options every request of @c sets on @h: redirects, protocols, timeouts, TLS. */
int reg_curl_common(struct reg_client *c, CURL *h, struct curl_slist *hdrs, bool stream);
/* "sha256:<hex>" of @len bytes into @out (>= 72 bytes). */
void reg_sha256_str(const void *data, size_t len, char *out);

#endif

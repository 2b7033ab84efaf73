// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTTP side of the registry client (registry.h): one libcurl easy handle
 * per client (connections reused), the distribution API's auth dance
 * (WWW-Authenticate: Bearer realm/service/scope → anonymous or Basic token
 * request; Basic challenges answered from config.json). Manifests, blobs and
 * referrers are in manifest.c, streamed blobs in blob_stream.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "base64.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "layer.h"
#include "registry.h"
#include "registry_internal.h"

#define AUTH_MAX 8192

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *reg_client_host(const struct reg_client *c)
{
	return c->host;
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* config.json "auths" → base64 "user:pass" for @host (keys may carry a scheme). */
static char *basic_from_config(const char *path, const char *host)
{
	json_t *j = json_load_file(path, 0, NULL), *auths, *v;
	const char *key, *auth;
	char *ret = NULL;

	auths = json_object_get(j, "auths");
	json_object_foreach(auths, key, v) {
		const char *k = key;

		if (!strncmp(k, "https://", 8))
			k += 8;
		else if (!strncmp(k, "http://", 7))
			k += 7;
		if (strncmp(k, host, strlen(host)) || (k[strlen(host)] && k[strlen(host)] != '/'))
			continue;
		auth = json_string_value(json_object_get(v, "auth"));
		if (auth && *auth) {
			ret = strdup(auth);
			break;
		}
	}
	json_decref(j);
	return ret;
}

int reg_client_new(const struct reg_opts *o, const char *host, struct reg_client **ret,
		   struct sw_error *err)
{
	struct reg_client *c;
	int r = -ENOMEM;

	pthread_once(&curl_once, curl_init_once);
	c = calloc(1, sizeof(*c));
	if (!c)
		return sw_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	c->o = *o;
	c->host = strdup(host);
	c->ca_file = dup_opt(o->ca_file);
	c->token_file = dup_opt(o->token_file);
	c->auth_file = dup_opt(o->auth_file);
	c->o.ca_file = c->ca_file;
	c->o.token_file = c->token_file;
	c->o.auth_file = c->auth_file;
	if (!c->host || asprintf(&c->base, "%s://%s", o->insecure ? "http" : "https", host) < 0) {
		c->base = NULL;
		goto fail;
	}
	c->curl = curl_easy_init();
	if (!c->curl)
		goto fail;
	if (c->token_file) {
		char *tok = NULL;
		size_t len;

		r = file_read_all(c->token_file, AUTH_MAX, &tok, &len, err);
		if (r)
			goto fail;
		while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
			tok[--len] = '\0';
		r = asprintf(&c->authz, "Authorization: Bearer %s", tok) < 0 ? -ENOMEM : 0;
		free(tok);
		if (r) {
			c->authz = NULL;
			goto fail;
		}
	}
	if (c->auth_file)
		c->basic = basic_from_config(c->auth_file, host);
	*ret = c;
	return 0;
fail:
	reg_client_free(c);
	return r == -ENOMEM ? sw_error_set(err, -ENOMEM, "out of memory") : r;
}

void reg_client_free(struct reg_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->host);
	free(c->base);
	free(c->ca_file);
	free(c->token_file);
	free(c->auth_file);
	free(c->authz);
	free(c->basic);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- one request ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reg_resp *r = ud;
	size_t len = size * n;

	if (r->len + len > r->max) {
		r->too_big = true;
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		size_t ncap = r->cap ? r->cap : 4096;
		char *nb;

		while (ncap < r->len + len + 1)
			ncap *= 2;
		nb = realloc(r->body, ncap);
		if (!nb)
			return 0;
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);

	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(out, line, len);
	out[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct reg_resp *r = ud;
	size_t len = size * n;
	char subject[8] = "";

	if (len > 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (after a redirect) */
		r->content_type[0] = r->digest[0] = r->location[0] = r->www_auth[0] = '\0';
		r->oci_subject = false;
	}
	header_value(p, len, "Content-Type", r->content_type, sizeof(r->content_type));
	header_value(p, len, "Docker-Content-Digest", r->digest, sizeof(r->digest));
	header_value(p, len, "Location", r->location, sizeof(r->location));
	header_value(p, len, "WWW-Authenticate", r->www_auth, sizeof(r->www_auth));
	header_value(p, len, "OCI-Subject", subject, sizeof(subject));
	if (subject[0])
		r->oci_subject = true;
	return len;
}

void reg_resp_clear(struct reg_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int reg_curl_common(struct reg_client *c, CURL *h, struct curl_slist *hdrs, bool stream)
{
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	/* blobs may be redirected to storage elsewhere; never downgrade to plain HTTP */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, c->o.insecure ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->o.insecure ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 c->o.connect_timeout_s ? c->o.connect_timeout_s : 10L);
	if (stream) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->o.timeout_s ? c->o.timeout_s : 60L);
	}
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->o.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sealwatch");
	return 0;
}

/* "key=\"value\"" of a WWW-Authenticate challenge. */
static bool challenge_param(const char *ch, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);

	for (const char *p = ch; (p = strcasestr(p, key)); p += kl) {
		const char *v, *end;

		if (p > ch && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (p[kl] != '=')
			continue;
		v = p + kl + 1;
		if (*v == '"') {
			end = strchr(++v, '"');
		} else {
			end = v + strcspn(v, ",");
		}
		if (!end || (size_t)(end - v) >= size)
			return false;
		memcpy(out, v, end - v);
		out[end - v] = '\0';
		return true;
	}
	return false;
}

/* The client's "Authorization: @scheme @cred" header from now on. */
static int set_authz(struct reg_client *c, const char *scheme, const char *cred,
		     struct sw_error *err)
{
	free(c->authz);
	if (asprintf(&c->authz, "Authorization: %s %s", scheme, cred) < 0) {
		c->authz = NULL;
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* GET the token endpoint @realm for @service and @scope (Basic when configured): its JSON. */
static int token_request(struct reg_client *c, const char *realm, const char *service,
			 const char *scope, json_t **ret, struct sw_error *err)
{
	struct reg_resp resp = { .max = 1 << 20 };
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *hdr = NULL, *esc_s, *esc_sc;
	long status = 0;
	CURL *h = curl_easy_init();
	int r;

	if (!h)
		return sw_error_set(err, -ENOMEM, "out of memory");
	esc_s = curl_easy_escape(h, service, 0);
	esc_sc = curl_easy_escape(h, scope, 0);
	if (!esc_s || !esc_sc ||
	    asprintf(&url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", esc_s,
		     esc_sc) < 0) {
		url = NULL;
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if (c->basic) {
		if (asprintf(&hdr, "Authorization: Basic %s", c->basic) < 0) {
			hdr = NULL;
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto cleanup;
		}
		hdrs = curl_slist_append(hdrs, hdr);
	}
	reg_curl_common(c, h, hdrs, false);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	if (curl_easy_perform(h) != CURLE_OK) {
		r = sw_error_set(err, -EHOSTUNREACH, "%s: token request failed", c->host);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		r = sw_error_set(err, status >= 500 ? -EHOSTUNREACH : -EACCES,
				 "%s: token request refused (HTTP %ld)", c->host, status);
		goto cleanup;
	}
	*ret = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
	r = 0;
cleanup:
	curl_free(esc_s);
	curl_free(esc_sc);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	reg_resp_clear(&resp);
	free(url);
	free(hdr);
	return r;
}

/* Answer a 401: a bearer token from the realm (anonymous or Basic), or Basic. */
static int authenticate(struct reg_client *c, const char *challenge, const char *scope,
			struct sw_error *err)
{
	char realm[1024], service[256] = "", ch_scope[512] = "";
	const char *tok;
	json_t *j = NULL;
	int r;

	if (!strncasecmp(challenge, "Basic", 5)) {
		if (!c->basic)
			return sw_error_set(err, -EACCES,
					    "%s: the registry wants credentials (Basic) and "
					    "none are configured for it",
					    c->host);
		return set_authz(c, "Basic", c->basic, err);
	}
	if (strncasecmp(challenge, "Bearer", 6) ||
	    !challenge_param(challenge, "realm", realm, sizeof(realm)))
		return sw_error_set(err, -EACCES, "%s: unsupported authentication challenge",
				    c->host);
	if (strncmp(realm, "https://", 8) && !(c->o.insecure && !strncmp(realm, "http://", 7)))
		return sw_error_set(err, -EACCES, "%s: token realm %.200s is not https", c->host,
				    realm);
	challenge_param(challenge, "service", service, sizeof(service));
	challenge_param(challenge, "scope", ch_scope, sizeof(ch_scope));
	r = token_request(c, realm, service, ch_scope[0] ? ch_scope : scope, &j, err);
	if (r)
		return r;
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok || strlen(tok) > AUTH_MAX)
		r = sw_error_set(err, -EACCES, "%s: token response without a token", c->host);
	else
		r = set_authz(c, "Bearer", tok, err);
	json_decref(j);
	return r;
}

static int request_locked(struct reg_client *c, const struct reg_req *q, struct reg_resp *resp,
			  struct sw_error *err)
{
	size_t max = resp->max ? resp->max : REG_MANIFEST_MAX;

	for (int attempt = 0; attempt < 2; attempt++) {
		struct curl_slist *hdrs = NULL;
		char url[4096], ctype[192];
		CURLcode cc;

		reg_resp_clear(resp);
		resp->max = max;
		if (!strncmp(q->path, "http://", 7) || !strncmp(q->path, "https://", 8))
			snprintf(url, sizeof(url), "%s", q->path);
		else
			snprintf(url, sizeof(url), "%s%s", c->base, q->path);
		if (q->accept)
			hdrs = curl_slist_append(hdrs, q->accept);
		if (c->authz)
			hdrs = curl_slist_append(hdrs, c->authz);
		if (q->content_type) {
			snprintf(ctype, sizeof(ctype), "Content-Type: %s", q->content_type);
			hdrs = curl_slist_append(hdrs, ctype);
		}
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_reset(c->curl);
		reg_curl_common(c, c->curl, hdrs, false);
		curl_easy_setopt(c->curl, CURLOPT_URL, url);
		curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp);
		curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp);
		if (!strcmp(q->method, "HEAD")) {
			curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(q->method, "PUT") || !strcmp(q->method, "POST")) {
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, q->method);
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, q->body ? q->body : "");
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)q->body_len);
		}
		cc = curl_easy_perform(c->curl);
		curl_slist_free_all(hdrs);
		if (resp->too_big)
			return sw_error_set(err, -EFBIG, "%s%s: response larger than %zu bytes",
					    c->host, q->path, max);
		if (cc != CURLE_OK)
			return sw_error_set(err, -EHOSTUNREACH, "%s: %s", c->host,
					    curl_easy_strerror(cc));
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		if (resp->status == 401 && attempt == 0 && resp->www_auth[0]) {
			int r = authenticate(c, resp->www_auth, q->scope, err);

			if (r)
				return r;
			continue;
		}
		break;
	}
	if (resp->status == 401 || resp->status == 403)
		return sw_error_set(err, -EACCES, "%s%s: access denied (HTTP %ld)", c->host,
				    q->path, resp->status);
	if (resp->status == 404)
		return sw_error_set(err, -ENOENT, "%s%s: not found", c->host, q->path);
	if (resp->status >= 500 || resp->status == 429)
		return sw_error_set(err, -EHOSTUNREACH, "%s%s: HTTP %ld", c->host, q->path,
				    resp->status);
	if (resp->status < 200 || resp->status >= 300)
		return sw_error_set(err, -EBADMSG, "%s %s%s: HTTP %ld", q->method, c->host, q->path,
				    resp->status);
	return 0;
}

int reg_request(struct reg_client *c, const struct reg_req *q, struct reg_resp *resp,
		struct sw_error *err)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = request_locked(c, q, resp, err);
	pthread_mutex_unlock(&c->lock);
	return r;
}

// SPDX-License-Identifier: GPL-2.0-only
/* The distribution API on a client (client.c): manifests, blobs and referrers. */
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

#define ACCEPT_MANIFESTS                                                                 \
	"Accept: " REG_MT_OCI_MANIFEST ", " REG_MT_OCI_INDEX ", " REG_MT_DOCKER_MANIFEST \
	", " REG_MT_DOCKER_LIST

/* ---- manifests and blobs ---- */

static void scope_of(char *out, size_t n, const char *repo, bool push)
{
	snprintf(out, n, "repository:%s:%s", repo, push ? "pull,push" : "pull");
}

void reg_sha256_str(const void *data, size_t len, char *out)
{
	unsigned char d[32];

	EVP_Digest(data, len, d, NULL, EVP_sha256(), NULL);
	digest_format_sha256(d, out);
}

/*
 * GET (or HEAD: @ret_resp NULL) /v2/@repo/@kind/@reference, "manifests" or
 * "blobs". A GET of a blob, or of a manifest by digest, is checked against it; *@ret_resp holds the
 * answer (caller clears it), its body never NULL. @ret_digest (may be NULL):
 * the body's digest.
 */
static int get_checked(struct reg_client *c, const char *repo, const char *kind,
		       const char *reference, const char *accept, size_t max,
		       struct reg_resp *ret_resp, char *ret_digest, struct sw_error *err)
{
	char path[1024], scope[512], digest[72];
	struct reg_resp head = { 0 }, *resp = ret_resp ? ret_resp : &head;
	struct reg_req q = {
		.method = ret_resp ? "GET" : "HEAD", .path = path, .accept = accept, .scope = scope
	};
	int r;

	resp->max = max;
	snprintf(path, sizeof(path), "/v2/%s/%s/%s", repo, kind, reference);
	scope_of(scope, sizeof(scope), repo, false);
	r = reg_request(c, &q, resp, err);
	if (r || !ret_resp) {
		reg_resp_clear(&head);
		return r;
	}
	reg_sha256_str(resp->body ? resp->body : "", resp->len, digest);
	/* a blob always, a manifest when asked by digest (not by tag) */
	if ((!strcmp(kind, "blobs") || !strncmp(reference, "sha256:", 7)) &&
	    strcmp(reference, digest))
		return sw_error_set(err, -EBADMSG, "%s/%s: %.*s %s has digest %s", c->host, repo,
				    (int)strlen(kind) - 1, kind, reference, digest);
	if (!resp->body && !(resp->body = strdup("")))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (ret_digest)
		strcpy(ret_digest, digest);
	return 0;
}

int reg_manifest_get(struct reg_client *c, const char *repo, const char *reference, char **ret_body,
		     size_t *ret_len, char *ret_media_type, char *ret_digest, struct sw_error *err)
{
	struct reg_resp resp = { 0 };
	json_t *j;
	int r;

	r = get_checked(c, repo, "manifests", reference, ACCEPT_MANIFESTS, REG_MANIFEST_MAX, &resp,
			ret_digest, err);
	if (r)
		goto cleanup;
	ret_media_type[0] = '\0';
	j = json_loadb(resp.body, resp.len, 0, NULL);
	if (json_is_string(json_object_get(j, "mediaType")))
		snprintf(ret_media_type, 128, "%s",
			 json_string_value(json_object_get(j, "mediaType")));
	json_decref(j);
	if (!ret_media_type[0]) {
		size_t n = strcspn(resp.content_type, ";");

		snprintf(ret_media_type, 128, "%.*s", (int)(n < 127 ? n : 127), resp.content_type);
	}
	*ret_body = resp.body;
	*ret_len = resp.len;
	resp.body = NULL;
cleanup:
	reg_resp_clear(&resp);
	return r;
}

int reg_manifest_exists(struct reg_client *c, const char *repo, const char *reference,
			struct sw_error *err)
{
	return get_checked(c, repo, "manifests", reference, ACCEPT_MANIFESTS, 0, NULL, NULL, err);
}

int reg_manifest_put(struct reg_client *c, const char *repo, const char *reference,
		     const char *media_type, const void *body, size_t len, bool *ret_subject,
		     struct sw_error *err)
{
	char path[1024], scope[512];
	struct reg_resp resp = { 0 };
	struct reg_req q = { .method = "PUT",
			     .path = path,
			     .content_type = media_type,
			     .body = body,
			     .body_len = len,
			     .scope = scope };
	int r;

	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", repo, reference);
	scope_of(scope, sizeof(scope), repo, true);
	r = reg_request(c, &q, &resp, err);
	if (!r && ret_subject)
		*ret_subject = resp.oci_subject;
	reg_resp_clear(&resp);
	return r;
}

int reg_blob_get(struct reg_client *c, const char *repo, const char *digest, size_t max,
		 char **ret_body, size_t *ret_len, struct sw_error *err)
{
	struct reg_resp resp = { 0 };
	int r;

	r = get_checked(c, repo, "blobs", digest, NULL, max, &resp, NULL, err);
	if (!r) {
		*ret_body = resp.body;
		*ret_len = resp.len;
		resp.body = NULL;
	}
	reg_resp_clear(&resp);
	return r;
}

int reg_blob_exists(struct reg_client *c, const char *repo, const char *digest,
		    struct sw_error *err)
{
	return get_checked(c, repo, "blobs", digest, NULL, 0, NULL, NULL, err);
}

int reg_blob_put(struct reg_client *c, const char *repo, const void *body, size_t len,
		 char *ret_digest, struct sw_error *err)
{
	char path[1024], scope[512], put[4200];
	struct reg_resp resp = { 0 };
	struct reg_req q = { .method = "POST", .path = path, .scope = scope };
	int r;

	reg_sha256_str(body, len, ret_digest);
	r = reg_blob_exists(c, repo, ret_digest, err);
	if (r != -ENOENT)
		return r;
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", repo);
	scope_of(scope, sizeof(scope), repo, true);
	r = reg_request(c, &q, &resp, err);
	if (r)
		goto cleanup;
	if (!resp.location[0]) {
		r = sw_error_set(err, -EBADMSG, "%s: blob upload without a Location", c->host);
		goto cleanup;
	}
	if (resp.location[0] == '/')
		snprintf(put, sizeof(put), "%s%s%sdigest=%s", c->base, resp.location,
			 strchr(resp.location, '?') ? "&" : "?", ret_digest);
	else
		snprintf(put, sizeof(put), "%s%sdigest=%s", resp.location,
			 strchr(resp.location, '?') ? "&" : "?", ret_digest);
	q = (struct reg_req){ .method = "PUT",
			      .path = put,
			      .content_type = "application/octet-stream",
			      .body = body,
			      .body_len = len,
			      .scope = scope };
	r = reg_request(c, &q, &resp, err);
cleanup:
	reg_resp_clear(&resp);
	return r;
}

/* ---- referrers ---- */

int reg_referrers(struct reg_client *c, const char *repo, const char *digest,
		  const char *artifact_type, json_t **ret_index, bool *ret_api,
		  struct sw_error *err)
{
	char path[1024], scope[512], tag[80], mt[128], got[72], *body = NULL, *esc = NULL;
	struct reg_resp resp = { .max = REG_MANIFEST_MAX };
	struct reg_req q = {
		.method = "GET", .path = path, .accept = "Accept: " REG_MT_OCI_INDEX, .scope = scope
	};
	size_t len;
	json_t *j;
	int r;

	if (strncmp(digest, "sha256:", 7) || strlen(digest) != 71)
		return sw_error_set(err, -EINVAL, "%s: not a sha256 digest", digest);
	scope_of(scope, sizeof(scope), repo, false);
	if (artifact_type)
		esc = curl_easy_escape(c->curl, artifact_type, 0);
	snprintf(path, sizeof(path), "/v2/%s/referrers/%s%s%s", repo, digest,
		 esc ? "?artifactType=" : "", esc ? esc : "");
	curl_free(esc);
	r = reg_request(c, &q, &resp, err);
	if (!r && strncmp(resp.content_type, REG_MT_OCI_INDEX, strlen(REG_MT_OCI_INDEX)))
		r = -ENOENT; /* a 200 that is not an index: no API (some proxies) */
	if (!r) {
		j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
		reg_resp_clear(&resp);
		if (!json_is_object(j)) {
			json_decref(j);
			return sw_error_set(err, -EBADMSG, "%s/%s: referrers: not a JSON object",
					    c->host, repo);
		}
		*ret_index = j;
		*ret_api = true;
		return 0;
	}
	reg_resp_clear(&resp);
	if (r != -ENOENT && r != -EBADMSG)
		return r;
	/* no referrers API (404, or 400 as some registries answer): the tag schema */
	snprintf(tag, sizeof(tag), "sha256-%s", digest + 7);
	r = reg_manifest_get(c, repo, tag, &body, &len, mt, got, err);
	*ret_api = false;
	if (r == -ENOENT) {
		*ret_index = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
				       REG_MT_OCI_INDEX, "manifests");
		return *ret_index ? 0 : sw_error_set(err, -ENOMEM, "out of memory");
	}
	if (r)
		return r;
	j = json_loadb(body, len, 0, NULL);
	free(body);
	if (!json_is_object(j)) {
		json_decref(j);
		return sw_error_set(err, -EBADMSG, "%s/%s: referrers tag %s: not a JSON object",
				    c->host, repo, tag);
	}
	*ret_index = j;
	return 0;
}

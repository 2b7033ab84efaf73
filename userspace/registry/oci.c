// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parsers of what a registry sends (registry.h): image references, image
 * indexes and referrers responses, image and artifact manifests. Pure
 * functions of their input; tests/fuzz/fuzz_registry.c feeds them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "hexutil.h"
#include "registry.h"

#define MAX_LAYERS 1000

static bool valid_repo(const char *s)
{
	/* distribution's grammar, loosely: lowercase alnum and . _ - / separators */
	if (!*s || *s == '/' || strlen(s) > 255 || strstr(s, "//") || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-/", *s)))
			return false;
	return true;
}

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 128 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return false;
	return true;
}

static bool valid_host(const char *s, size_t n)
{
	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(".-:[]", s[i])))
			return false;
	return true;
}

void reg_ref_clear(struct reg_ref *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

const char *reg_ref_reference(const struct reg_ref *r)
{
	return r->tag ? r->tag : r->digest;
}

int reg_ref_parse(const char *s, struct reg_ref *ret, struct sw_error *err)
{
	const char *slash, *at, *rest, *colon;
	unsigned char d[32];
	char *repo = NULL;

	memset(ret, 0, sizeof(*ret));
	if (!strncmp(s, "registry://", 11))
		s += 11;
	slash = strchr(s, '/');
	if (!slash || !valid_host(s, slash - s))
		return sw_error_set(err, -EINVAL,
				    "%.200s: not HOST[:PORT]/REPOSITORY[:TAG][@DIGEST]", s);
	ret->host = strndup(s, slash - s);
	rest = slash + 1;
	at = strchr(rest, '@');
	if (at) {
		if (digest_parse_sha256(at + 1, d)) {
			reg_ref_clear(ret);
			return sw_error_set(err, -EINVAL, "%.200s: digest is not sha256:<64 hex>",
					    s);
		}
		digest_format_sha256(d, ret->digest);
		repo = strndup(rest, at - rest);
	} else {
		repo = strdup(rest);
	}
	if (!ret->host || !repo) {
		free(repo);
		reg_ref_clear(ret);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	colon = strrchr(repo, ':');
	if (colon) {
		ret->tag = strdup(colon + 1);
		repo[colon - repo] = '\0';
		if (!ret->tag || !valid_tag(ret->tag)) {
			free(repo);
			reg_ref_clear(ret);
			return sw_error_set(err, -EINVAL, "%.200s: malformed tag", s);
		}
	}
	if (!valid_repo(repo)) {
		free(repo);
		reg_ref_clear(ret);
		return sw_error_set(err, -EINVAL, "%.200s: malformed repository name", s);
	}
	ret->repo = repo;
	if (!strcmp(ret->host, "docker.io")) {
		free(ret->host);
		ret->host = strdup("registry-1.docker.io");
		if (!ret->host) {
			reg_ref_clear(ret);
			return sw_error_set(err, -ENOMEM, "out of memory");
		}
	}
	if (!ret->tag && !ret->digest[0] && !(ret->tag = strdup("latest"))) {
		reg_ref_clear(ret);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static void copy_str(char *out, size_t n, json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(out, n, "%s", s ? s : "");
}

static int parse_desc(json_t *j, const char *what, struct reg_descriptor *d, struct sw_error *err)
{
	json_t *mt = json_object_get(j, "mediaType"), *dg = json_object_get(j, "digest"),
	       *sz = json_object_get(j, "size"), *p = json_object_get(j, "platform");
	unsigned char bin[32];

	memset(d, 0, sizeof(*d));
	if (!json_is_object(j) || !json_is_string(mt) || !json_is_string(dg) ||
	    !json_is_integer(sz) || json_integer_value(sz) < 0)
		return sw_error_set(err, -EBADMSG, "%s: descriptor needs mediaType, digest, size",
				    what);
	if (json_string_length(mt) >= sizeof(d->media_type))
		return sw_error_set(err, -EBADMSG, "%s: media type too long", what);
	if (digest_parse_sha256(json_string_value(dg), bin))
		return sw_error_set(err, -EBADMSG, "%s: digest is not sha256:<64 hex>", what);
	copy_str(d->media_type, sizeof(d->media_type), mt);
	digest_format_sha256(bin, d->digest);
	d->size = json_integer_value(sz);
	copy_str(d->artifact_type, sizeof(d->artifact_type), json_object_get(j, "artifactType"));
	copy_str(d->title, sizeof(d->title),
		 json_object_get(json_object_get(j, "annotations"),
				 "org.opencontainers.image.title"));
	if (json_is_object(p)) {
		const char *os = json_string_value(json_object_get(p, "os")),
			   *arch = json_string_value(json_object_get(p, "architecture")),
			   *var = json_string_value(json_object_get(p, "variant"));

		if (os && arch)
			snprintf(d->platform, sizeof(d->platform), "%.20s/%.20s%s%.16s", os, arch,
				 var ? "/" : "", var ? var : "");
	}
	return 0;
}

static json_t *load_object(const char *body, size_t len, const char *what, struct sw_error *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!json_is_object(j)) {
		json_decref(j);
		sw_error_set(err, -EBADMSG, "%s: not a JSON object%s%s", what, j ? "" : ": ",
			     j ? "" : jerr.text);
		return NULL;
	}
	if (!json_is_integer(json_object_get(j, "schemaVersion")) ||
	    json_integer_value(json_object_get(j, "schemaVersion")) != 2) {
		json_decref(j);
		sw_error_set(err, -EBADMSG, "%s: schemaVersion must be 2", what);
		return NULL;
	}
	return j;
}

int reg_parse_index(const char *body, size_t len, const char *artifact_type,
		    struct reg_descriptor *out, size_t max, size_t *ret_n, struct sw_error *err)
{
	json_t *j = load_object(body, len, "index", err), *m, *v;
	size_t i, n = 0;
	int r = 0;

	if (!j)
		return -EBADMSG;
	m = json_object_get(j, "manifests");
	if (!json_is_array(m)) {
		r = sw_error_set(err, -EBADMSG, "index: no manifests array");
		goto out;
	}
	json_array_foreach(m, i, v) {
		struct reg_descriptor d;

		r = parse_desc(v, "index", &d, err);
		if (r)
			goto out;
		if (artifact_type && strcmp(d.artifact_type, artifact_type))
			continue;
		if (n == max) {
			r = sw_error_set(err, -E2BIG, "index: more than %zu entries", max);
			goto out;
		}
		out[n++] = d;
	}
	*ret_n = n;
out:
	json_decref(j);
	return r;
}

void reg_manifest_clear(struct reg_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

int reg_parse_manifest(const char *body, size_t len, struct reg_manifest *ret, struct sw_error *err)
{
	json_t *j = load_object(body, len, "manifest", err), *layers, *l, *subject;
	size_t i;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!j)
		return -EBADMSG;
	r = parse_desc(json_object_get(j, "config"), "manifest config", &ret->config, err);
	if (r)
		goto out;
	layers = json_object_get(j, "layers");
	if (!json_is_array(layers) || json_array_size(layers) > MAX_LAYERS) {
		r = sw_error_set(err, -EBADMSG, "manifest: layers must be an array of at most %d",
				 MAX_LAYERS);
		goto out;
	}
	ret->layers = calloc(json_array_size(layers) + 1, sizeof(*ret->layers));
	if (!ret->layers) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(layers, i, l) {
		r = parse_desc(l, "manifest layer", &ret->layers[i], err);
		if (r)
			goto out;
		ret->n_layers++;
	}
	copy_str(ret->artifact_type, sizeof(ret->artifact_type),
		 json_object_get(j, "artifactType"));
	if (!ret->artifact_type[0])
		snprintf(ret->artifact_type, sizeof(ret->artifact_type), "%s",
			 ret->config.media_type);
	subject = json_object_get(j, "subject");
	if (subject) {
		struct reg_descriptor s;

		r = parse_desc(subject, "manifest subject", &s, err);
		if (r)
			goto out;
		memcpy(ret->subject, s.digest, sizeof(ret->subject));
	}
	copy_str(ret->image_id, sizeof(ret->image_id),
		 json_object_get(json_object_get(j, "annotations"), REG_ANN_IMAGE_ID));
out:
	json_decref(j);
	if (r)
		reg_manifest_clear(ret);
	return r;
}

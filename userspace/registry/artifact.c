// SPDX-License-Identifier: GPL-2.0-only
/*
 * Baseline artifacts (docs/registry.md): one OCI 1.1 manifest per signed
 * baseline, attached to the image manifest it describes:
 *
 *   mediaType  application/vnd.oci.image.manifest.v1+json
 *   artifactType  application/vnd.sealwatch.baseline.v1
 *   config     application/vnd.oci.empty.v1+json ("{}")
 *   layers     [baseline .jsonl, signature (.sig text or Sigstore bundle)]
 *   subject    the image manifest (for an index: the platform manifest whose
 *              config digest is the baseline's image ID)
 *   annotations  dev.sealwatch.baseline.image.id = that config digest
 *
 * Found again through the referrers API, or the referrers tag schema
 * ("sha256-<hex>" index) on registries without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "registry.h"
#include "registry_internal.h"

#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define MAX_INDEX 256
#define BASELINE_MAX (512ul << 20)
#define SIG_MAX (1ul << 20)

static bool is_index(const char *mt)
{
	return !strcmp(mt, REG_MT_OCI_INDEX) || !strcmp(mt, REG_MT_DOCKER_LIST);
}

/* The image manifest @ref names whose config is @image_id: its digest, media type, size. */
static int find_subject(struct reg_client *c, const struct reg_ref *ref, const char *image_id,
			struct reg_descriptor *ret, struct sw_error *err)
{
	char *body = NULL, mt[128], digest[72];
	struct reg_descriptor *list = NULL;
	struct reg_manifest m = { 0 };
	size_t len, n = 0;
	int r;

	r = reg_manifest_get(c, ref->repo, reg_ref_reference(ref), &body, &len, mt, digest, err);
	if (r)
		return r;
	if (ref->digest[0] && strcmp(ref->digest, digest)) {
		r = sw_error_set(err, -EBADMSG, "%s: manifest digest is %s", ref->digest, digest);
		goto out;
	}
	if (is_index(mt)) {
		list = calloc(MAX_INDEX, sizeof(*list));
		if (!list) {
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = reg_parse_index(body, len, NULL, list, MAX_INDEX, &n, err);
		if (r)
			goto out;
		for (size_t i = 0; i < n; i++) {
			char *mb = NULL, mmt[128], md[72];
			size_t ml;

			if (is_index(list[i].media_type) || list[i].artifact_type[0])
				continue;
			r = reg_manifest_get(c, ref->repo, list[i].digest, &mb, &ml, mmt, md, err);
			if (r)
				goto out;
			r = reg_parse_manifest(mb, ml, &m, err);
			free(mb);
			if (r)
				goto out;
			if (image_id && !strcmp(m.config.digest, image_id)) {
				*ret = list[i];
				goto out;
			}
			reg_manifest_clear(&m);
		}
		r = sw_error_set(err, -EBADMSG,
				 "%s/%s: no image of this index has config %s (the baseline's "
				 "image ID)",
				 ref->host, ref->repo, image_id ? image_id : "(none)");
		goto out;
	}
	r = reg_parse_manifest(body, len, &m, err);
	if (r)
		goto out;
	if (image_id && strcmp(m.config.digest, image_id)) {
		r = sw_error_set(
			err, -EBADMSG,
			"%s/%s: image config is %s, the baseline is for %s (image_mismatch)",
			ref->host, ref->repo, m.config.digest, image_id);
		goto out;
	}
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->media_type, sizeof(ret->media_type), "%s", mt);
	snprintf(ret->digest, sizeof(ret->digest), "%s", digest);
	ret->size = (int64_t)len;
out:
	reg_manifest_clear(&m);
	free(list);
	free(body);
	return r;
}

static json_t *desc_json(const char *mt, const char *digest, size_t size, const char *title)
{
	json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", digest, "size",
			      (json_int_t)size);

	if (d && title)
		json_object_set_new(d, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.title", title));
	return d;
}

/* Add the artifact to the "sha256-<hex>" tag index (referrers tag schema). */
static int update_tag_index(struct reg_client *c, const struct reg_ref *ref, const char *subject,
			    const char *art_digest, size_t art_size, const char *image_id,
			    struct sw_error *err)
{
	char tag[80], *body = NULL, mt[128], got[72], *out = NULL;
	json_t *idx = NULL, *list, *v, *d;
	size_t len, i;
	int r;

	snprintf(tag, sizeof(tag), "sha256-%s", subject + 7);
	r = reg_manifest_get(c, ref->repo, tag, &body, &len, mt, got, err);
	if (r == -ENOENT) {
		idx = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", REG_MT_OCI_INDEX,
				"manifests");
	} else if (!r) {
		idx = json_loadb(body, len, 0, NULL);
		if (!json_is_array(json_object_get(idx, "manifests"))) {
			r = sw_error_set(err, -EBADMSG, "%s/%s:%s: not an image index", ref->host,
					 ref->repo, tag);
			goto out;
		}
	} else {
		goto out;
	}
	if (!idx) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	list = json_object_get(idx, "manifests");
	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "digest")) ?: "", art_digest)) {
			r = 0; /* already listed: pushing the same baseline twice is a no-op */
			goto out;
		}
	}
	d = desc_json(REG_MT_OCI_MANIFEST, art_digest, art_size, NULL);
	if (!d) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(d, "artifactType", json_string(REG_ARTIFACT_BASELINE));
	if (image_id)
		json_object_set_new(d, "annotations",
				    json_pack("{s:s}", REG_ANN_IMAGE_ID, image_id));
	json_array_append_new(list, d);
	out = json_dumps(idx, JSON_COMPACT);
	if (!out) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = reg_manifest_put(c, ref->repo, tag, REG_MT_OCI_INDEX, out, strlen(out), NULL, err);
out:
	free(out);
	free(body);
	json_decref(idx);
	return r;
}

int reg_push_baseline(struct reg_client *c, const struct reg_ref *ref, const char *image_id,
		      const void *baseline, size_t len, const void *sig, size_t sig_len,
		      const char *sig_media_type, struct reg_push_result *ret, struct sw_error *err)
{
	char cfg_digest[72], bl_digest[72], sig_digest[72], art_digest[72];
	struct reg_descriptor subject;
	json_t *m = NULL, *layers;
	char *body = NULL;
	bool api = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = find_subject(c, ref, image_id, &subject, err);
	if (r)
		return r;
	r = reg_blob_put(c, ref->repo, "{}", 2, cfg_digest, err);
	if (!r)
		r = reg_blob_put(c, ref->repo, baseline, len, bl_digest, err);
	if (!r)
		r = reg_blob_put(c, ref->repo, sig, sig_len, sig_digest, err);
	if (r)
		return r;
	layers = json_array();
	json_array_append_new(layers, desc_json(REG_MT_BASELINE, bl_digest, len, "baseline.jsonl"));
	json_array_append_new(layers, desc_json(sig_media_type, sig_digest, sig_len,
						!strcmp(sig_media_type, REG_MT_SIGNATURE) ?
							"baseline.jsonl.sig" :
							"baseline.jsonl.sigstore.json"));
	m = json_pack("{s:i,s:s,s:s,s:o,s:o,s:o}", "schemaVersion", 2, "mediaType",
		      REG_MT_OCI_MANIFEST, "artifactType", REG_ARTIFACT_BASELINE, "config",
		      desc_json(REG_MT_EMPTY, cfg_digest, 2, NULL), "layers", layers, "subject",
		      desc_json(subject.media_type, subject.digest, (size_t)subject.size, NULL));
	if (m && image_id)
		json_object_set_new(m, "annotations",
				    json_pack("{s:s}", REG_ANN_IMAGE_ID, image_id));
	body = m ? json_dumps(m, JSON_COMPACT) : NULL;
	if (!body) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* by digest: the artifact needs no tag of its own */
	{
		struct reg_manifest check;

		r = reg_parse_manifest(body, strlen(body), &check, err);
		reg_manifest_clear(&check);
		if (r)
			goto out;
	}
	reg_sha256_str(body, strlen(body), art_digest);
	r = reg_manifest_put(c, ref->repo, art_digest, REG_MT_OCI_MANIFEST, body, strlen(body),
			     &api, err);
	if (r)
		goto out;
	if (!api)
		r = update_tag_index(c, ref, subject.digest, art_digest, strlen(body), image_id,
				     err);
	if (r)
		goto out;
	snprintf(ret->image_digest, sizeof(ret->image_digest), "%s", subject.digest);
	snprintf(ret->artifact_digest, sizeof(ret->artifact_digest), "%s", art_digest);
	ret->referrers_api = api;
out:
	free(body);
	json_decref(m);
	return r;
}

void reg_baseline_clear(struct reg_baseline *b)
{
	free(b->baseline);
	free(b->sig);
	memset(b, 0, sizeof(*b));
}

/* One artifact: its manifest (subject and type checked), then its two blobs. */
static int fetch_one(struct reg_client *c, const char *repo, const char *subject,
		     const struct reg_descriptor *d, struct reg_baseline *b, struct sw_error *err)
{
	const struct reg_descriptor *bl = NULL, *sig = NULL;
	struct reg_manifest m = { 0 };
	char *body = NULL, mt[128], got[72];
	size_t len;
	int r;

	memset(b, 0, sizeof(*b));
	r = reg_manifest_get(c, repo, d->digest, &body, &len, mt, got, err);
	if (r)
		return r;
	r = reg_parse_manifest(body, len, &m, err);
	free(body);
	if (r)
		return r;
	if (strcmp(m.subject, subject) || strcmp(m.artifact_type, REG_ARTIFACT_BASELINE)) {
		r = sw_error_set(err, -EBADMSG, "artifact %s: not a baseline of %s", d->digest,
				 subject);
		goto out;
	}
	for (size_t i = 0; i < m.n_layers; i++) {
		if (!strcmp(m.layers[i].media_type, REG_MT_BASELINE) && !bl)
			bl = &m.layers[i];
		else if ((!strcmp(m.layers[i].media_type, REG_MT_SIGNATURE) ||
			  !strcmp(m.layers[i].media_type, REG_MT_SIGSTORE_BUNDLE)) &&
			 !sig)
			sig = &m.layers[i];
	}
	if (!bl || !sig) {
		r = sw_error_set(err, -EBADMSG, "artifact %s: needs a baseline and a signature",
				 d->digest);
		goto out;
	}
	if ((uint64_t)bl->size > BASELINE_MAX || (uint64_t)sig->size > SIG_MAX) {
		r = sw_error_set(err, -EFBIG, "artifact %s: baseline or signature too large",
				 d->digest);
		goto out;
	}
	r = reg_blob_get(c, repo, bl->digest, (size_t)bl->size, &b->baseline, &b->len, err);
	if (!r)
		r = reg_blob_get(c, repo, sig->digest, (size_t)sig->size, &b->sig, &b->sig_len,
				 err);
	if (r)
		goto out;
	snprintf(b->sig_media_type, sizeof(b->sig_media_type), "%s", sig->media_type);
	snprintf(b->artifact_digest, sizeof(b->artifact_digest), "%s", d->digest);
	snprintf(b->image_id, sizeof(b->image_id), "%s", m.image_id);
out:
	reg_manifest_clear(&m);
	if (r)
		reg_baseline_clear(b);
	return r;
}

int reg_fetch_baselines(struct reg_client *c, const char *repo, const char *digest,
			struct reg_baseline *out, size_t max, size_t *ret_n, struct sw_error *err)
{
	struct reg_descriptor *list = NULL;
	struct sw_error first = { { 0 } };
	json_t *idx = NULL;
	char *text = NULL;
	size_t n = 0, got = 0;
	bool api;
	int r, first_r = 0;

	*ret_n = 0;
	r = reg_referrers(c, repo, digest, REG_ARTIFACT_BASELINE, &idx, &api, err);
	if (r)
		return r;
	text = json_dumps(idx, JSON_COMPACT);
	list = calloc(MAX_INDEX, sizeof(*list));
	if (!text || !list) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = reg_parse_index(text, strlen(text), REG_ARTIFACT_BASELINE, list, MAX_INDEX, &n, err);
	if (r)
		goto out;
	/* the tag schema appends: newest last */
	for (size_t i = n; i-- > 0 && got < max;) {
		r = fetch_one(c, repo, digest, &list[i], &out[got], err);
		if (!r) {
			got++;
			continue;
		}
		if (r == -EHOSTUNREACH || r == -ENOMEM)
			goto out;
		if (!first_r) {
			first_r = r;
			first = *err;
		}
	}
	if (!got) {
		r = first_r ? first_r : -ENOENT;
		if (first_r && err)
			*err = first;
		else
			sw_error_set(err, -ENOENT, "%s/%s@%s: no baseline attached",
				     reg_client_host(c), repo, digest);
		goto out;
	}
	*ret_n = got;
	r = 0;
out:
	if (r)
		for (size_t i = 0; i < got; i++)
			reg_baseline_clear(&out[i]);
	free(list);
	free(text);
	json_decref(idx);
	return r;
}

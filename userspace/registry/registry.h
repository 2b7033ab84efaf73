/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OCI distribution client (docs/registry.md): manifests, blobs and referrers
 * over HTTP(S) with libcurl. Anonymous by default; a bearer token file or the
 * node's docker config.json where a registry needs credentials. TLS is
 * always verified (a CA file may be given); "insecure" means plain HTTP, for
 * labs and tests.
 *
 * Every blob and every manifest fetched by digest is checked against that
 * digest before it is returned; streamed blobs are checked by the reader
 * (layer.h checks digest and size as the bytes pass).
 *
 * Library module: never logs; returns 0 or a negative errno and fills the
 * optional struct sw_error. -ENOENT: the registry answered "not found";
 * -EHOSTUNREACH: the registry could not be reached or answered 5xx (worth a
 * retry); -EACCES: refused credentials.
 *
 * Threads: a client is used by one thread at a time.
 */
#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct byte_source;
struct json_t;
struct store;
struct sw_error;

#define REG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MT_EMPTY "application/vnd.oci.empty.v1+json"

/* Our artifact (docs/registry.md): one manifest, the baseline and its signature as layers. */
#define REG_ARTIFACT_BASELINE "application/vnd.sealwatch.baseline.v1"
#define REG_MT_BASELINE "application/vnd.sealwatch.baseline.v1+jsonl"
#define REG_MT_SIGNATURE "application/vnd.sealwatch.baseline.signature.v1+base64"
#define REG_MT_SIGSTORE_BUNDLE "application/vnd.dev.sigstore.bundle.v0.3+json"
#define REG_ANN_IMAGE_ID "dev.sealwatch.baseline.image.id"

#define REG_MANIFEST_MAX (4u << 20)

/* HOST[:PORT]/REPO[:TAG][@sha256:HEX]; "registry://" prefix allowed. */
struct reg_ref {
	char *host; /* "127.0.0.1:5000", "docker.io" is mapped to registry-1.docker.io */
	char *repo; /* "library/busybox" */
	char *tag; /* NULL when absent */
	char digest[72]; /* "" when absent */
};

int reg_ref_parse(const char *s, struct reg_ref *ret, struct sw_error *err);
void reg_ref_clear(struct reg_ref *r);
/* The tag, else the digest: what to put in /v2/REPO/manifests/<here>. */
const char *reg_ref_reference(const struct reg_ref *r);

struct reg_opts {
	bool insecure; /* plain HTTP */
	const char *ca_file; /* PEM bundle for TLS, NULL = system store */
	const char *token_file; /* a bearer token sent as is, NULL = none */
	const char *auth_file; /* docker config.json ("auths"), NULL = none */
	long timeout_s; /* whole request; 0 = 60 s (blobs: no limit, low-speed abort) */
	long connect_timeout_s; /* 0 = 10 s */
};

struct reg_client;

/* A client for one registry host. */
int reg_client_new(const struct reg_opts *o, const char *host, struct reg_client **ret,
		   struct sw_error *err);
void reg_client_free(struct reg_client *c);
const char *reg_client_host(const struct reg_client *c);

/*
 * GET /v2/REPO/manifests/REFERENCE (a tag or digest). *ret_body is
 * NUL-terminated; @ret_media_type (>= 128 bytes) gets its media type and
 * @ret_digest (>= 72 bytes) the sha256 of the exact bytes. A REFERENCE that is
 * a digest must match them (-EBADMSG otherwise).
 */
int reg_manifest_get(struct reg_client *c, const char *repo, const char *reference, char **ret_body,
		     size_t *ret_len, char *ret_media_type, char *ret_digest, struct sw_error *err);
/* HEAD /v2/REPO/manifests/REFERENCE: 0 exists, -ENOENT. */
int reg_manifest_exists(struct reg_client *c, const char *repo, const char *reference,
			struct sw_error *err);
/*
 * PUT /v2/REPO/manifests/REFERENCE. *ret_subject (may be NULL) tells whether
 * the registry answered with OCI-Subject, i.e. keeps the referrers itself.
 */
int reg_manifest_put(struct reg_client *c, const char *repo, const char *reference,
		     const char *media_type, const void *body, size_t len, bool *ret_subject,
		     struct sw_error *err);

/* GET a blob of at most @max bytes, checked against @digest ("sha256:…"). */
int reg_blob_get(struct reg_client *c, const char *repo, const char *digest, size_t max,
		 char **ret_body, size_t *ret_len, struct sw_error *err);
/* HEAD a blob: 0 exists, -ENOENT. */
int reg_blob_exists(struct reg_client *c, const char *repo, const char *digest,
		    struct sw_error *err);
/* Upload @len bytes (monolithic POST + PUT) unless present; @ret_digest >= 72 bytes. */
int reg_blob_put(struct reg_client *c, const char *repo, const void *body, size_t len,
		 char *ret_digest, struct sw_error *err);
/*
 * Stream a blob: a thread feeds @src (close with the stream's own close). The
 * bytes are not checked here: the reader checks digest and size. A transfer
 * that fails ends the stream with an error, never with a clean EOF.
 */
int reg_blob_stream(struct reg_client *c, const char *repo, const char *digest,
		    struct byte_source *src, struct sw_error *err);

/*
 * The referrers of manifest @digest with @artifact_type (NULL = all), as an
 * image index (json, caller's reference): the referrers API when the
 * registry has it (*ret_api = true), else the referrers tag schema
 * ("sha256-<hex>"). No referrers: an index with an empty "manifests" array.
 */
int reg_referrers(struct reg_client *c, const char *repo, const char *digest,
		  const char *artifact_type, struct json_t **ret_index, bool *ret_api,
		  struct sw_error *err);

/*
 * The image @ref names as a store the image readers take (regstore.c;
 * image_load_store()): index.json lists what @ref resolves to. *ret_name is
 * "HOST/REPO:TAG" or "HOST/REPO@DIGEST", malloc'd.
 */
int reg_open_store(const struct reg_opts *o, const struct reg_ref *ref, struct store **ret,
		   char **ret_name, struct sw_error *err);

/* ---- parsers (oci.c; pure, fuzzed by tests/fuzz/fuzz_registry.c) ---- */

struct reg_descriptor {
	char media_type[128];
	char artifact_type[128];
	char digest[72];
	int64_t size;
	char title[128]; /* org.opencontainers.image.title annotation, "" when absent */
	char platform[64]; /* "os/arch[/variant]", "" when absent */
};

/*
 * The descriptors of an image index (or referrers response): at most @max,
 * malformed ones fail the whole parse (-EBADMSG); those whose artifactType
 * differs from @artifact_type (when not NULL) are skipped.
 */
int reg_parse_index(const char *body, size_t len, const char *artifact_type,
		    struct reg_descriptor *out, size_t max, size_t *ret_n, struct sw_error *err);

/*
 * An image or artifact manifest: its config descriptor, its layers (at most
 * @max), its artifactType ("" when absent; the config media type otherwise
 * as the image-spec says) and its subject digest ("" when absent).
 */
struct reg_manifest {
	struct reg_descriptor config;
	struct reg_descriptor *layers;
	size_t n_layers;
	char artifact_type[128];
	char subject[72];
	char image_id[72]; /* REG_ANN_IMAGE_ID annotation, "" when absent */
};

int reg_parse_manifest(const char *body, size_t len, struct reg_manifest *ret,
		       struct sw_error *err);
void reg_manifest_clear(struct reg_manifest *m);

/* ---- baseline artifacts (artifact.c) ---- */

struct reg_push_result {
	char image_digest[72]; /* the manifest the baseline is attached to */
	char artifact_digest[72];
	bool referrers_api; /* the registry indexes referrers itself */
};

/*
 * Attach @baseline (bytes) and @sig (a .sig text or a Sigstore bundle, per
 * @sig_media_type) to the image @ref as one artifact: manifest, layers and an
 * empty config; then, unless the registry indexes it itself, add it to the
 * "sha256-<hex>" referrers tag index. @image_id is the baseline header's config
 * digest: an image (or, for an index, the platform image) whose config differs
 * is refused with -EBADMSG.
 */
int reg_push_baseline(struct reg_client *c, const struct reg_ref *ref, const char *image_id,
		      const void *baseline, size_t len, const void *sig, size_t sig_len,
		      const char *sig_media_type, struct reg_push_result *ret,
		      struct sw_error *err);

/* One baseline artifact, fetched; bytes checked against the artifact's digests. */
struct reg_baseline {
	char *baseline;
	size_t len;
	char *sig;
	size_t sig_len;
	char sig_media_type[128];
	char artifact_digest[72];
	char image_id[72]; /* annotation, "" when absent */
};
void reg_baseline_clear(struct reg_baseline *b);

/*
 * The baseline artifacts attached to manifest @digest of @repo, newest
 * first as listed, at most @max: *ret_n of them in @out (caller clears each).
 * -ENOENT when there are none.
 */
int reg_fetch_baselines(struct reg_client *c, const char *repo, const char *digest,
			struct reg_baseline *out, size_t max, size_t *ret_n, struct sw_error *err);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers of the runtime readers (resolver_internal.h): JSON state files,
 * ids, names, host paths, Kubernetes labels, image names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "fileio.h"
#include "resolver.h"
#include "imageref.h"
#include "resolver_internal.h"

int rs_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rs_is_hex_id(const char *s)
{
	size_t i;

	for (i = 0; i < SW_CONTAINER_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* A single path component we may join into a path: no '/', not "." or "..". */
int rs_safe_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

int rs_load_json(const char *path, size_t max, json_t **ret, struct sw_error *err)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len;
	json_t *j;
	int r;

	*ret = NULL;
	r = file_read_all(path, max, &buf, &len, err);
	if (r < 0)
		return r;
	j = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!j)
		return sw_error_set(err, -EBADMSG, "%s: malformed JSON at line %d: %s", path,
				    jerr.line, jerr.text);
	*ret = j;
	return 0;
}

/* The non-empty string at @key of @obj, else NULL. */
const char *rs_json_str(const json_t *obj, const char *key)
{
	const char *s;

	if (!json_is_object(obj))
		return NULL;
	s = json_string_value(json_object_get(obj, key));
	return s && s[0] ? s : NULL;
}

/* Copy @src (NULL allowed) into *dst, which must be NULL. */
int rs_dup(char **dst, const char *src, const char *what, struct sw_error *err)
{
	if (!src)
		return 0;
	if (strlen(src) > RS_MAX_FIELD)
		return sw_error_set(err, -EBADMSG, "%s longer than %d bytes", what, RS_MAX_FIELD);
	*dst = strdup(src);
	return *dst ? 0 : sw_error_set(err, -ENOMEM, "out of memory");
}

int rs_add_image_digest(struct sw_container *c, const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 71 ||
	    !rs_is_hex_id(digest + 7) || c->n_image_digests == SW_CONTAINER_MAX_DIGESTS)
		return 0;
	for (size_t i = 0; i < c->n_image_digests; i++)
		if (!strcmp(c->image_digests[i], digest))
			return 0;
	c->image_digests[c->n_image_digests] = strdup(digest);
	if (!c->image_digests[c->n_image_digests])
		return -ENOMEM;
	c->n_image_digests++;
	return 0;
}

/* Set c->image_id from "sha256:<hex>" or a bare 64-hex id; anything else is ignored. */
int rs_set_image_id(struct sw_container *c, const char *ref)
{
	if (!ref || c->image_id)
		return 0;
	if (!strncmp(ref, "sha256:", 7))
		ref += 7;
	if (!rs_is_hex_id(ref))
		return 0;
	return rs_asprintf(&c->image_id, "sha256:%s", ref);
}

/*
 * A host path from a runtime's state as this process sees it: absolute paths
 * get the root prefix, relative ones are relative to @bundle (already
 * prefixed). NULL @path gives NULL.
 */
int rs_host_path(const struct resolver *r, const char *bundle, const char *path, char **ret)
{
	*ret = NULL;
	if (!path || !path[0] || strlen(path) > RS_MAX_FIELD)
		return 0;
	if (path[0] == '/')
		return rs_asprintf(ret, "%s%s", r->root, path);
	if (!bundle)
		return 0;
	return rs_asprintf(ret, "%s/%s", bundle, path);
}

/*
 * Kubernetes identity from the labels the kubelet puts on every container
 * (CRI-O copies them into the OCI annotations, Docker keeps them as labels).
 * Only fills what is still NULL.
 */
int rs_set_k8s(struct sw_container *c, const json_t *kv, struct sw_error *err)
{
	int r = 0;

	if (!c->pod_name)
		r = rs_dup(&c->pod_name, rs_json_str(kv, "io.kubernetes.pod.name"), "pod name",
			   err);
	if (!r && !c->pod_namespace)
		r = rs_dup(&c->pod_namespace, rs_json_str(kv, "io.kubernetes.pod.namespace"),
			   "pod namespace", err);
	if (!r && !c->k8s_container_name)
		r = rs_dup(&c->k8s_container_name, rs_json_str(kv, "io.kubernetes.container.name"),
			   "container name", err);
	return r;
}

void rs_container_clear(struct sw_container *c)
{
	free(c->name);
	free(c->image_id);
	free(c->image_name);
	for (size_t i = 0; i < c->n_image_digests; i++)
		free(c->image_digests[i]);
	free(c->pod_name);
	free(c->pod_namespace);
	free(c->k8s_container_name);
	free(c->rootfs);
	memset(c, 0, sizeof(*c));
}

/* ---- image names ---- */

int resolver_normalize_image_name(const char *name, char **ret)
{
	char out[1100];

	*ret = NULL;
	if (!name || !name[0] || strlen(name) > 1024)
		return -EINVAL;
	/* an image ID, not a name */
	if (!strncmp(name, "sha256:", 7) || rs_is_hex_id(name))
		return 0;
	if (imageref_normalize(name, out, sizeof(out)))
		return -EINVAL;
	*ret = strdup(out);
	return *ret ? 0 : -ENOMEM;
}

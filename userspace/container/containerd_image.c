// SPDX-License-Identifier: GPL-2.0-only
/*
 * containerd_image.c: the image ID of a containerd container (docs/architecture.md, container/).
 *
 * Why this way. The image ID is the image config's digest. containerd keeps
 *   - in its metadata DB (bbolt, <root>/io.containerd.metadata.v1.bolt/meta.db)
 *     v1/<namespace>/containers/<id>/image          the image name
 *     v1/<namespace>/images/<name>/target/digest    the manifest or index digest
 *   - in its content store (<root>/io.containerd.content.v1.content/blobs/
 *     sha256/<hex>) the manifest (or index → manifest per platform), whose
 *     config.digest is the image ID; the target (and an index's manifest of
 *     this platform) are the manifest digests registries know the image by.
 * The alternatives: the CRI socket (ContainerStatus.image_ref) needs gRPC over
 * HTTP/2 and protobuf, a running containerd and the CRI plugin (not there for
 * ctr/nerdctl/Docker-managed containerd); the content store alone cannot tell
 * which image a container runs. The DB is read without any lock (containerd
 * holds bbolt's flock): bbolt never overwrites the pages of the last committed
 * transaction, every read is bounds-checked (bolt.c), and a failed read only
 * leaves image_id NULL. Blobs are content-addressed: their digest is checked
 * here before they are believed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "bolt.h"
#include "errors.h"
#include "hexutil.h"
#include "resolver.h"
#include "resolver_internal.h"

#define META_MAX (512u << 20)
#define BLOB_MAX (4u << 20)
#define NAME_MAX_LEN 1024

/* A content blob "sha256:<hex>", checked against its digest; NULL when absent or wrong. */
static json_t *load_blob(const struct resolver *r, const char *digest)
{
	unsigned char md[32];
	char path[4096], hex[65];
	unsigned char *buf = NULL;
	json_t *j = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (strncmp(digest, "sha256:", 7) || !rs_is_hex_id(digest + 7))
		return NULL;
	snprintf(path, sizeof(path), "%s/io.containerd.content.v1.content/blobs/sha256/%s",
		 r->containerd_root, digest + 7);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= BLOB_MAX &&
	    (buf = malloc((size_t)st.st_size)))
		n = pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (n == st.st_size && EVP_Digest(buf, (size_t)n, md, NULL, EVP_sha256(), NULL)) {
		hex_encode(md, sizeof(md), hex);
		if (!strcmp(hex, digest + 7))
			j = json_loadb((const char *)buf, (size_t)n, 0, NULL);
	}
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* GOARCH of this machine */
static const char *go_arch(void)
{
	static struct utsname u;

	if (uname(&u))
		return "amd64";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

/*
 * The config digest of the manifest (or of this platform's manifest of the
 * index) @digest; *@ret_platform: that platform manifest's digest (index only).
 */
static char *config_digest(const struct resolver *r, const char *digest, char **ret_platform)
{
	json_t *m = load_blob(r, digest), *list;
	char *id = NULL;
	size_t i;
	json_t *e;

	if (!m)
		return NULL;
	list = json_object_get(m, "manifests");
	if (json_is_array(list)) {
		json_array_foreach(list, i, e) {
			json_t *p = json_object_get(e, "platform");
			const char *os = rs_json_str(p, "os"),
				   *arch = rs_json_str(p, "architecture");
			const char *d = rs_json_str(e, "digest");

			if (d && os && arch && !strcmp(os, "linux") && !strcmp(arch, go_arch())) {
				json_t *sub = load_blob(r, d);
				const char *cd =
					rs_json_str(json_object_get(sub, "config"), "digest");

				id = cd ? strdup(cd) : NULL;
				if (id)
					*ret_platform = strdup(d);
				json_decref(sub);
				break;
			}
		}
	} else {
		const char *cd = rs_json_str(json_object_get(m, "config"), "digest");

		id = cd ? strdup(cd) : NULL;
	}
	json_decref(m);
	return id;
}

/* A bolt value as a C string (copied), NULL when absent or too long. */
static char *bolt_str(const struct bolt *b, const char *const *path, size_t n, const char *key)
{
	size_t len;
	const char *v = bolt_get(b, path, n, key, &len);
	char *s;

	if (!v || !len || len > NAME_MAX_LEN || memchr(v, '\0', len))
		return NULL;
	s = malloc(len + 1);
	if (s) {
		memcpy(s, v, len);
		s[len] = '\0';
	}
	return s;
}

int rs_containerd_image(struct resolver *r, const char *bundle, struct sw_container *c)
{
	char meta[4096], ns[256], *name = NULL, *target = NULL, *id = NULL, *platform = NULL;
	const char *slash_id, *slash_ns;
	struct bolt *b = NULL;
	int ret = 0;

	/* <tasks>/<namespace>/<id> */
	slash_id = strrchr(bundle, '/');
	if (!slash_id || slash_id == bundle)
		return 0;
	slash_ns = slash_id - 1;
	while (slash_ns > bundle && *slash_ns != '/')
		slash_ns--;
	if (*slash_ns != '/' || (size_t)(slash_id - slash_ns - 1) >= sizeof(ns))
		return 0;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash_id - slash_ns - 1), slash_ns + 1);
	snprintf(meta, sizeof(meta), "%s/io.containerd.metadata.v1.bolt/meta.db",
		 r->containerd_root);
	if (bolt_open(meta, META_MAX, &b))
		return 0;
	{
		const char *cpath[] = { "v1", ns, "containers", c->id };

		name = bolt_str(b, cpath, 4, "image");
	}
	if (name) {
		const char *ipath[] = { "v1", ns, "images", name, "target" };

		target = bolt_str(b, ipath, 5, "digest");
	}
	if (target)
		id = config_digest(r, target, &platform);
	if (id && !strncmp(id, "sha256:", 7) && rs_is_hex_id(id + 7)) {
		free(c->image_id);
		c->image_id = id;
		id = NULL;
		/*
		 * The manifest digests the registry knows the image by (its
		 * baseline is attached to one of them: registry/fetcher.h): the
		 * image's target, and this platform's manifest of an index.
		 */
		ret = rs_add_image_digest(c, target);
		if (!ret)
			ret = rs_add_image_digest(c, platform);
	}
	if (!ret && name && !c->image_name) {
		ret = resolver_normalize_image_name(name, &c->image_name);
		ret = ret == -EINVAL ? 0 : ret;
	}
	free(id);
	free(platform);
	free(target);
	free(name);
	bolt_close(b);
	return ret;
}

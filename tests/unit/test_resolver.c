// SPDX-License-Identifier: GPL-2.0-only
/*
 * resolver.c and its runtime readers against the trees that
 * tests/fixtures/make-runtime-fixtures.sh builds (run from the repository
 * root, or set SW_TOP).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"
#include "errors.h"
#include "resolver.h"

#define MAX_IDS 64
#define CHURN 1000

static char tmp[64];
static char node[PATH_MAX];
static struct {
	char key[64];
	char id[65];
} ids[MAX_IDS];
static int nids;

static const char *idof(const char *key)
{
	for (int i = 0; i < nids; i++)
		if (!strcmp(ids[i].key, key))
			return ids[i].id;
	fprintf(stderr, "  no id for %s in the fixture\n", key);
	return "0000000000000000000000000000000000000000000000000000000000000000";
}

static int setup(void)
{
	const char *top = getenv("SW_TOP");
	char cmd[PATH_MAX * 2], path[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "/tmp/sw-resolver.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/fixtures/make-runtime-fixtures.sh' '%s' >&2",
		 top ? top : ".", tmp);
	if (system(cmd) != 0)
		return -1;
	snprintf(node, sizeof(node), "%s/node", tmp);
	snprintf(path, sizeof(path), "%s/ids", tmp);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (nids < MAX_IDS && fscanf(f, "%63s %64s", ids[nids].key, ids[nids].id) == 2)
		nids++;
	fclose(f);
	return nids > 0 ? 0 : -1;
}

static struct resolver *open_at(const char *root, const struct resolver_opts *base)
{
	struct resolver_opts o = { 0 };
	struct sw_error err = { { 0 } };
	struct resolver *r = NULL;

	if (base)
		o = *base;
	o.root = root;
	if (resolver_new(&o, &r, &err) < 0)
		fprintf(stderr, "  resolver_new: %s\n", err.msg);
	return r;
}

static const struct sw_container *get(struct resolver *r, const char *key, const char *hint)
{
	struct sw_error err = { { 0 } };
	const struct sw_container *c = NULL;
	int ret = resolver_lookup(r, idof(key), hint, &c, &err);

	if (ret < 0)
		fprintf(stderr, "  lookup %s: %d %s\n", key, ret, err.msg);
	return c;
}

static int lookup_err(struct resolver *r, const char *id, struct sw_error *err)
{
	const struct sw_container *c = (void *)1;
	int ret = resolver_lookup(r, id, NULL, &c, err);

	CHECK(ret == 0 || c == NULL);
	return ret;
}

static void check_path(const char *got, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check_path(const char *got, const char *fmt, ...)
{
	char want[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	CHECK_STR(got, want);
}

static char *sha(const char *hex)
{
	static char buf[8][80];
	static int n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "sha256:%s", hex);
	return buf[n];
}

/* "sha256:" + hexid("manifest-<image id>"): the fixture's manifest digest of an image */
static char *manifest_of(const char *image_key)
{
	static char buf[80];
	unsigned char d[32];
	char in[128], hex[65];

	snprintf(in, sizeof(in), "manifest-%s", idof(image_key));
	EVP_Digest(in, strlen(in), d, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(buf, sizeof(buf), "sha256:%s", hex);
	return buf;
}

/* ---- cgroup names ---- */

static void check_cg(const char *name, const char *want_id, const char *want_hint)
{
	char id[65] = "";
	const char *hint = "unset";
	int ret = resolver_container_id(name, id, &hint);

	if (!want_id) {
		CHECK_INT(ret, -ENOENT);
		if (ret != -ENOENT)
			fprintf(stderr, "  accepted %s\n", name);
		return;
	}
	CHECK_INT(ret, 0);
	CHECK_STR(id, want_id);
	if (want_hint)
		CHECK_STR(hint, want_hint);
	else
		CHECK(hint == NULL);
	if (ret)
		fprintf(stderr, "  rejected %s\n", name);
}

TEST(cgroup_names_all_schemes)
{
	const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char b[512];

#define CG(want, hint, ...)                          \
	do {                                         \
		snprintf(b, sizeof(b), __VA_ARGS__); \
		check_cg(b, want, hint);             \
	} while (0)
	/* systemd driver */
	CG(h, "docker", "docker-%s.scope", h);
	CG(h, "docker", "/system.slice/docker-%s.scope", h);
	CG(h, "cri-o", "crio-%s.scope", h);
	CG(h, "cri-o",
	   "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234_5678.slice/crio-%s.scope",
	   h);
	CG(h, "containerd", "cri-containerd-%s.scope", h);
	CG(h, "containerd",
	   "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab_cd.slice/cri-containerd-%s.scope",
	   h);
	CG(h, "podman", "libpod-%s.scope", h);
	CG(h, "podman", "/machine.slice/libpod-%s.scope/container", h); /* crun's nested cgroup */
	CG(h, "podman", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope",
	   h);
	/* cgroupfs driver */
	CG(h, "podman", "libpod-%s", h);
	CG(h, "podman", "/libpod_parent/libpod-%s", h);
	CG(h, "cri-o", "/kubepods/besteffort/pod1234-5678/crio-%s", h);
	CG(h, "docker", "/docker/%s", h);
	CG(h, NULL, "%s", h);
	CG(h, NULL, "/kubepods/burstable/pod9f0c1c5e-8d1a-4c55-b2a2-1b2c3d4e5f60/%s", h);
	CG(h, NULL, "/kubepods/%s", h);
	/* whole /proc/PID/cgroup lines, v1 and v2 */
	CG(h, "podman", "9:name=systemd:/libpod_parent/libpod-%s", h);
	CG(h, "docker", "4:memory:/docker/%s\n", h);
	CG(h, "containerd", "0::/kubepods.slice/x.slice/cri-containerd-%s.scope", h);
	CG(h, "docker", "0::/system.slice/docker-%s.scope/init.scope", h); /* nested */
	/* conmon and friends are not the container */
	CG(NULL, NULL, "libpod-conmon-%s.scope", h);
	CG(NULL, NULL, "libpod-conmon-%s", h);
	CG(NULL, NULL, "crio-conmon-%s.scope", h);
	CG(NULL, NULL, "/kubepods.slice/kubepods-pod1.slice/crio-conmon-%s.scope", h);
	CG(NULL, NULL, "0::/libpod-conmon-%s.scope/x", h);
	/* not containers */
	CG(NULL, NULL, "%s", "/");
	CG(NULL, NULL, "%s", "");
	CG(NULL, NULL, "%s", "container");
	CG(NULL, NULL, "%s", "/system.slice/sshd.service");
	CG(NULL, NULL, "%s", "0::/user.slice/user-0.slice/session-3.scope");
	CG(NULL, NULL, "%s", "/kubepods/burstable/pod9f0c1c5e-8d1a-4c55-b2a2-1b2c3d4e5f60");
	CG(NULL, NULL, "docker-%.63s.scope", h); /* short */
	CG(NULL, NULL, "docker-%sa.scope", h); /* long */
	CG(NULL, NULL, "docker-%.63sG.scope", h); /* not hex */
	CG(NULL, NULL, "docker-%.63sA.scope", h); /* ids are lowercase */
	CG(NULL, NULL, "podman-%s.scope", h);
	CG(NULL, NULL, "%s.scope", "docker-");
#undef CG
	{
		char id[65];

		CHECK_INT(resolver_container_id(NULL, id, NULL), -EINVAL);
		CHECK_INT(resolver_container_id(h, id, NULL), 0); /* hint optional */
	}
}

TEST(normalizes_image_names)
{
	static const char *const cases[][2] = {
		{ "nginx", "docker.io/library/nginx:latest" },
		{ "nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "library/nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "bitnami/redis", "docker.io/bitnami/redis:latest" },
		{ "docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "index.docker.io/library/nginx", "docker.io/library/nginx:latest" },
		{ "localhost/bbtest:1", "localhost/bbtest:1" },
		{ "localhost:5000/a/b", "localhost:5000/a/b:latest" },
		{ "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9" },
		{ "quay.io/x/y@sha256:abc", "quay.io/x/y@sha256:abc" },
		{ "nginx@sha256:abc", "docker.io/library/nginx@sha256:abc" },
		{ "myregistry:5000/app", "myregistry:5000/app:latest" },
	};
	char *out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = NULL;
		CHECK_INT(resolver_normalize_image_name(cases[i][0], &out), 0);
		CHECK_STR(out, cases[i][1]);
		free(out);
	}
	CHECK_INT(resolver_normalize_image_name("sha256:0123", &out), 0);
	CHECK(out == NULL);
	CHECK_INT(resolver_normalize_image_name("", &out), -EINVAL);
	CHECK_INT(resolver_normalize_image_name("a b", &out), -EINVAL);
	CHECK_INT(resolver_normalize_image_name("docker.io/", &out), -EINVAL);
}

/* ---- every field, per runtime ---- */

TEST(podman_fields)
{
	struct resolver *r = open_at(node, NULL);
	const struct sw_container *c;

	c = get(r, "podman.web", "podman");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->id, idof("podman.web"));
		CHECK_STR(c->runtime, "podman");
		CHECK_STR(c->name, "web");
		CHECK_STR(c->image_id, sha(idof("image.nginx")));
		CHECK_STR(c->image_name, "docker.io/library/nginx:1.25");
		/* images.json "digest": what a registry attaches baselines to */
		CHECK_INT(c->n_image_digests, 1);
		if (c->n_image_digests)
			CHECK_STR(c->image_digests[0], manifest_of("image.nginx"));
		CHECK(!c->pod_name && !c->pod_namespace && !c->k8s_container_name);
		check_path(c->rootfs, "%s/var/lib/containers/storage/overlay/%s/merged", node,
			   idof("podman.web.layer"));
	}
	/* run by image ID, never started: name from images.json, rootfs from the layer */
	c = get(r, "podman.tool", NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "podman");
		CHECK_STR(c->name, "tool");
		CHECK_STR(c->image_id, sha(idof("image.alpine")));
		CHECK_STR(c->image_name, "docker.io/library/alpine:3.19");
		check_path(c->rootfs, "%s/var/lib/containers/storage/overlay/%s/merged", node,
			   idof("podman.tool.layer"));
	}
	resolver_free(r);
}

TEST(crio_fields)
{
	struct resolver *r = open_at(node, NULL);
	const struct sw_container *c;

	c = get(r, "crio.nginx", "cri-o");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "cri-o");
		CHECK(!strncmp(c->name ? c->name : "", "k8s_nginx_web-0_default_", 24));
		CHECK_STR(c->image_id, sha(idof("image.nginx")));
		CHECK_STR(c->image_name, "docker.io/library/nginx:1.25");
		CHECK_STR(c->pod_name, "web-0");
		CHECK_STR(c->pod_namespace, "default");
		CHECK_STR(c->k8s_container_name, "nginx");
		check_path(c->rootfs, "%s/var/lib/containers/storage/overlay/%s/merged", node,
			   idof("crio.nginx.layer"));
	}
	/* the sandbox: config.json only under the run root */
	c = get(r, "crio.sandbox", "cri-o");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "cri-o");
		CHECK_STR(c->image_id, sha(idof("image.pause")));
		CHECK_STR(c->image_name, "registry.k8s.io/pause:3.9");
		CHECK_STR(c->pod_name, "web-0");
		CHECK_STR(c->pod_namespace, "default");
		CHECK(c->k8s_container_name == NULL);
		check_path(c->rootfs, "%s/var/lib/containers/storage/overlay/%s/merged", node,
			   idof("crio.sandbox.layer"));
	}
	/* old CRI-O: no manager annotation, ImageRef a repo digest */
	c = get(r, "crio.legacy", NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "cri-o");
		CHECK_STR(c->image_id, sha(idof("image.alpine")));
		CHECK_STR(c->image_name, "docker.io/library/alpine:3.19");
		CHECK_STR(c->k8s_container_name, "sidecar");
		CHECK_STR(c->pod_name, "web-0");
	}
	resolver_free(r);
}

TEST(docker_fields)
{
	struct resolver *r = open_at(node, NULL);
	const struct sw_container *c;

	/* also a task in containerd's "moby" namespace: Docker's state wins */
	c = get(r, "docker.web", NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "docker");
		CHECK_STR(c->name, "web");
		CHECK_STR(c->image_id, sha(idof("docker-image.nginx")));
		CHECK_STR(c->image_name, "docker.io/library/nginx:1.25");
		/* repositories.json: the repo digest of the image */
		CHECK_INT(c->n_image_digests, 1);
		if (c->n_image_digests)
			CHECK_STR(c->image_digests[0], manifest_of("docker-image.nginx"));
		CHECK(!c->pod_name && !c->pod_namespace && !c->k8s_container_name);
		check_path(c->rootfs, "%s/var/lib/docker/overlay2/%s/merged", node,
			   idof("docker.web.mount"));
	}
	c = get(r, "docker.api", "docker");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "docker");
		CHECK(!strncmp(c->name ? c->name : "", "k8s_api_api-7d9f8-xk2p_prod_", 28));
		CHECK_STR(c->image_id, sha(idof("docker-image.api")));
		CHECK(!strncmp(c->image_name ? c->image_name : "",
			       "registry.example.com/team/api@sha256:", 37));
		CHECK_STR(c->pod_name, "api-7d9f8-xk2p");
		CHECK_STR(c->pod_namespace, "prod");
		CHECK_STR(c->k8s_container_name, "api");
		check_path(c->rootfs, "%s/var/lib/docker/overlay2/%s/merged", node,
			   idof("docker.api.mount"));
	}
	/* containerd image store: "Image" is no config digest */
	c = get(r, "docker.c8d", "docker");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->name, "cache");
		CHECK(c->image_id == NULL);
		CHECK_STR(c->image_name, "docker.io/library/alpine:latest");
		check_path(c->rootfs, "%s/var/lib/docker/rootfs/overlayfs/%s", node,
			   idof("docker.c8d"));
	}
	resolver_free(r);
}

TEST(containerd_fields)
{
	struct resolver *r = open_at(node, NULL);
	const struct sw_container *c;

#define TASKS "%s/run/containerd/io.containerd.runtime.v2.task"
	c = get(r, "containerd.postgres", "containerd");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "containerd");
		CHECK_STR(c->name, "postgres");
		CHECK(c->image_id == NULL); /* only in containerd's bolt DB */
		CHECK_STR(c->image_name, "docker.io/library/postgres:16");
		CHECK_STR(c->pod_name, "db-0");
		CHECK_STR(c->pod_namespace, "data");
		CHECK_STR(c->k8s_container_name, "postgres");
		check_path(c->rootfs, TASKS "/k8s.io/%s/rootfs", node, idof("containerd.postgres"));
	}
	c = get(r, "containerd.sandbox", NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "containerd");
		CHECK_STR(c->image_name, "registry.k8s.io/pause:3.9");
		CHECK_STR(c->pod_name, "db-0");
		CHECK_STR(c->pod_namespace, "data");
		CHECK(c->k8s_container_name == NULL && c->name == NULL);
		check_path(c->rootfs, TASKS "/k8s.io/%s/rootfs", node, idof("containerd.sandbox"));
	}
	c = get(r, "containerd.plain", NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->runtime, "containerd");
		CHECK(!c->name && !c->image_id && !c->image_name && !c->pod_name);
		check_path(c->rootfs, TASKS "/default/%s/rootfs", node, idof("containerd.plain"));
	}
	/* a hint only orders the search: Docker's own task, asked as containerd */
	c = get(r, "docker.web", "containerd");
	CHECK(c != NULL && !strcmp(c->runtime, "containerd"));
	resolver_free(r);
#undef TASKS
}

/* ---- errors ---- */

TEST(unknown_and_invalid_ids)
{
	struct resolver *r = open_at(node, NULL);
	struct sw_error err = { { 0 } };
	const struct sw_container *c;

	CHECK_INT(lookup_err(r, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			     &err),
		  -ENOENT);
	CHECK(err.msg[0] != '\0');
	CHECK_INT(lookup_err(r, "../../etc/passwd", &err), -EINVAL);
	CHECK_INT(lookup_err(r, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
			     &err),
		  -EINVAL);
	CHECK_INT(resolver_lookup(r, NULL, NULL, &c, &err), -EINVAL);
	CHECK_INT(resolver_cache_size(r), 0);
	resolver_free(r);
	resolver_free(NULL);
	resolver_prune(NULL);
	{
		struct resolver_opts o = { .storage_driver = "../x" };

		r = (void *)1;
		CHECK_INT(resolver_new(&o, &r, &err), -EINVAL);
		CHECK(r == NULL);
		CHECK_INT(resolver_new(NULL, &r, &err), 0); /* production defaults */
		resolver_free(r);
	}
}

TEST(malformed_state_is_an_error)
{
	struct resolver *r = open_at(node, NULL);
	const char *keys[] = { "crio.broken", "docker.broken", "containerd.broken" };
	struct sw_error err;
	char root[PATH_MAX];

	for (size_t i = 0; i < 3; i++) {
		memset(&err, 0, sizeof(err));
		CHECK_INT(lookup_err(r, idof(keys[i]), &err), -EBADMSG);
		CHECK(strstr(err.msg, "malformed") != NULL);
	}
	/* the others are unharmed */
	CHECK(get(r, "crio.nginx", NULL) != NULL);
	resolver_free(r);

	/* truncated containers.json: storage lookups fail, Docker still answers */
	snprintf(root, sizeof(root), "%s/broken-storage", tmp);
	r = open_at(root, NULL);
	memset(&err, 0, sizeof(err));
	CHECK_INT(lookup_err(r, idof("podman.web"), &err), -EBADMSG);
	CHECK(strstr(err.msg, "containers.json") != NULL);
	CHECK_INT(lookup_err(r, idof("docker.web"), &err), 0);
	CHECK_INT(resolver_cache_size(r), 1);
	resolver_prune(r); /* an unreadable index proves nothing: keeps entries */
	CHECK_INT(resolver_cache_size(r), 1);
	resolver_free(r);
}

TEST(size_limits)
{
	struct resolver_opts o = { .max_config_size = 1024 };
	struct resolver *r = open_at(node, &o);
	struct sw_error err = { { 0 } };

	CHECK_INT(lookup_err(r, idof("docker.web"), &err), -EFBIG);
	CHECK(strstr(err.msg, "config.v2.json") != NULL);
	resolver_free(r);
	o = (struct resolver_opts){ .max_index_size = 512 };
	r = open_at(node, &o);
	CHECK_INT(lookup_err(r, idof("podman.web"), &err), -EFBIG);
	resolver_free(r);
	o = (struct resolver_opts){ .max_cache_entries = 2 };
	r = open_at(node, &o);
	CHECK(get(r, "podman.web", NULL) && get(r, "docker.web", NULL));
	CHECK_INT(lookup_err(r, idof("crio.nginx"), &err), -E2BIG);
	CHECK_INT(resolver_cache_size(r), 2);
	resolver_free(r);
}

/* ---- cache ---- */

TEST(cache_parses_index_once_per_change)
{
	struct resolver *r = open_at(node, NULL);
	const struct sw_container *a, *b;
	struct resolver_stats st;
	unsigned long loads;

	a = get(r, "podman.web", NULL);
	b = get(r, "podman.web", NULL);
	CHECK(a && a == b);
	get(r, "crio.nginx", NULL);
	get(r, "crio.sandbox", NULL);
	get(r, "docker.web", NULL);
	resolver_get_stats(r, &st);
	CHECK_INT(st.lookups, 5);
	CHECK_INT(st.hits, 1);
	loads = st.index_loads;
	CHECK(loads >= 2 && loads <= 4); /* containers.json, volatile-containers.json */
	for (int i = 0; i < 50; i++)
		resolver_prune(r);
	get(r, "crio.legacy", NULL);
	resolver_get_stats(r, &st);
	CHECK_INT(st.index_loads, loads);
	CHECK_INT(resolver_cache_size(r), 5);
	CHECK_INT(st.pruned, 0);
	resolver_free(r);
}

static int write_file(const char *path, const char *data)
{
	char tmpname[PATH_MAX];
	FILE *f;

	snprintf(tmpname, sizeof(tmpname), "%s.tmp", path);
	f = fopen(tmpname, "w");
	if (!f)
		return -1;
	fputs(data, f);
	if (fclose(f))
		return -1;
	return rename(tmpname, path); /* as containers-storage does */
}

/* mkdir -p @dir, then write @name in it */
static int make_file(const char *dir, const char *name, const char *data)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_file(path, data);
}

static void churn_id(char *id, const char *kind, int i)
{
	snprintf(id, 65, "%.8x%-56.56s", (unsigned)i, kind);
	for (char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			*p = 'e';
}

TEST(churn_prunes_everything)
{
	char root[PATH_MAX], path[PATH_MAX * 2], cmd[PATH_MAX * 3], id[65];
	struct sw_error err = { { 0 } };
	const struct sw_container *c;
	struct resolver_stats st;
	struct resolver *r;
	char *json, *p;
	size_t cap = (size_t)CHURN * 320 + 16;

	snprintf(root, sizeof(root), "%s/churn", tmp);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/var/lib/containers/storage/overlay-containers "
		 "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io",
		 root, root);
	CHECK_INT(system(cmd), 0);
	r = open_at(root, NULL);

	/* podman: one containers.json with CHURN containers */
	p = json = malloc(cap);
	p += sprintf(p, "[");
	for (int i = 0; i < CHURN; i++) {
		churn_id(id, "ab", i);
		p += sprintf(
			p,
			"%s{\"id\":\"%s\",\"names\":[\"c%d\"],\"image\":\"%064d\",\"layer\":\"%s\"}",
			i ? "," : "", id, i, i, id);
	}
	sprintf(p, "]");
	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/containers.json", root);
	CHECK_INT(write_file(path, json), 0);
	free(json);
	/* Docker and containerd: CHURN/2 each */
	for (int i = 0; i < CHURN / 2; i++) {
		churn_id(id, "cd", i);
		snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s", root, id);
		snprintf(cmd, sizeof(cmd), "{\"ID\":\"%s\",\"Name\":\"/d%d\"}", id, i);
		CHECK_INT(make_file(path, "config.v2.json", cmd), 0);
		churn_id(id, "ef", i);
		snprintf(path, sizeof(path),
			 "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s", root, id);
		CHECK_INT(make_file(path, "config.json", "{\"root\":{\"path\":\"rootfs\"}}"), 0);
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < CHURN; i++) {
			churn_id(id, "ab", i);
			CHECK_INT(resolver_lookup(r, id, "podman", &c, &err), 0);
			if (i < CHURN / 2) {
				churn_id(id, "cd", i);
				CHECK_INT(resolver_lookup(r, id, "docker", &c, &err), 0);
				churn_id(id, "ef", i);
				CHECK_INT(resolver_lookup(r, id, NULL, &c, &err), 0);
				CHECK(c && !strcmp(c->runtime, "containerd"));
			}
		}
	}
	CHECK_INT(resolver_cache_size(r), 2 * CHURN);
	resolver_get_stats(r, &st);
	CHECK_INT(st.hits, 2 * CHURN);
	CHECK(st.index_loads <= 3); /* containers.json parsed once, not per lookup */
	resolver_prune(r);
	CHECK_INT(resolver_cache_size(r), 2 * CHURN);

	/* the containers go away */
	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/containers.json", root);
	CHECK_INT(write_file(path, "[]"), 0);
	snprintf(
		cmd, sizeof(cmd),
		"rm -rf %s/var/lib/docker/containers %s/run/containerd/io.containerd.runtime.v2.task/k8s.io/*",
		root, root);
	CHECK_INT(system(cmd), 0);
	resolver_prune(r);
	CHECK_INT(resolver_cache_size(r), 0);
	resolver_get_stats(r, &st);
	CHECK_INT(st.pruned, 2 * CHURN);
	churn_id(id, "ab", 7);
	CHECK_INT(resolver_lookup(r, id, NULL, &c, &err), -ENOENT);

	/* a containers.json of the wrong shape */
	CHECK_INT(write_file(path, "{\"id\":1}"), 0);
	CHECK_INT(resolver_lookup(r, id, NULL, &c, &err), -EBADMSG);
	CHECK(strstr(err.msg, "not a JSON array") != NULL);
	CHECK_INT(write_file(path, "[1,\"x\",{},{\"id\":\"short\"},null]"), 0);
	CHECK_INT(resolver_lookup(r, id, NULL, &c, &err), -ENOENT);
	resolver_free(r);
}

int main(void)
{
	char cmd[128];

	if (setup() < 0) {
		printf("FAIL: unit/test_resolver.c/setup\n");
		return 1;
	}
	RUN(cgroup_names_all_schemes);
	RUN(normalizes_image_names);
	RUN(podman_fields);
	RUN(crio_fields);
	RUN(docker_fields);
	RUN(containerd_fields);
	RUN(unknown_and_invalid_ids);
	RUN(malformed_state_is_an_error);
	RUN(size_limits);
	RUN(cache_parses_index_once_per_change);
	RUN(churn_prunes_everything);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_exit();
}

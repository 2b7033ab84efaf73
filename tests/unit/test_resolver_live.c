// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helper for tests/integration/test_resolver_podman.sh (not a unit test: run
 * without arguments, as tests/run.sh does, it prints nothing and exits 0).
 *
 *   test_resolver_live [--root DIR] [--prune] CGROUP
 *
 * CGROUP is a cgroup name, path or /proc/PID/cgroup line. Prints one JSON
 * object per line: the resolved container (or {"error", "errno"}) with the
 * cache size. With --prune it then waits for a line (or EOF) on stdin, calls
 * resolver_prune() and prints {"cache_size", "lookup_errno"} for a second
 * lookup of the same id. Exit 0 when the first lookup succeeded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "resolver.h"

static void print(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	printf("%s\n", s ? s : "{}");
	fflush(stdout);
	free(s);
	json_decref(j);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int main(int argc, char **argv)
{
	const struct sw_container *c = NULL;
	struct resolver_opts o = { 0 };
	struct sw_error err = { { 0 } };
	struct resolver *r = NULL;
	const char *hint = NULL, *cgroup = NULL;
	int prune = 0, ret, i;
	char id[SW_CONTAINER_ID_LEN + 1], line[64];

	if (argc < 2)
		return 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			o.root = argv[++i];
		else if (!strcmp(argv[i], "--prune"))
			prune = 1;
		else
			cgroup = argv[i];
	}
	if (!cgroup) {
		fprintf(stderr, "usage: %s [--root DIR] [--prune] CGROUP\n", argv[0]);
		return 2;
	}
	ret = resolver_container_id(cgroup, id, &hint);
	if (ret < 0) {
		print(json_pack("{s:s, s:i}", "error", "names no container", "errno", -ret));
		return 1;
	}
	ret = resolver_new(&o, &r, &err);
	if (ret < 0)
		goto cleanup;
	ret = resolver_lookup(r, id, hint, &c, &err);
	if (ret < 0)
		goto cleanup;
	print(json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "id", c->id,
			"runtime", c->runtime, "hint", str_or_null(hint), "name",
			str_or_null(c->name), "image_id", str_or_null(c->image_id), "image_name",
			str_or_null(c->image_name), "pod_name", str_or_null(c->pod_name),
			"pod_namespace", str_or_null(c->pod_namespace), "k8s_container_name",
			str_or_null(c->k8s_container_name), "rootfs", str_or_null(c->rootfs),
			"cache_size", (json_int_t)resolver_cache_size(r)));
	if (prune) {
		int again;

		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';
		resolver_prune(r);
		c = NULL;
		again = resolver_lookup(r, id, hint, &c, NULL);
		print(json_pack("{s:I, s:i}", "cache_size", (json_int_t)resolver_cache_size(r),
				"lookup_errno", -again));
	}
cleanup:
	if (ret < 0)
		print(json_pack("{s:s, s:i}", "error", err.msg, "errno", -ret));
	resolver_free(r);
	return ret < 0 ? 1 : 0;
}

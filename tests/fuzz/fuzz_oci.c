// SPDX-License-Identifier: GPL-2.0-only
/*
 * index.json, manifest and config from the fuzzer, split on "\n--\n". The
 * harness stores the manifest and config as blobs under their real digests
 * so the fuzzer reaches manifest and config parsing, then resolves the
 * layout with image_plan_oci() (layers are not read: blobs are absent).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "errors.h"
#include "hexutil.h"
#include "image.h"
#include "store.h"

static char root[4096];

static void put(const char *name, const uint8_t *p, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		abort();
	if (len && write(fd, p, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void put_blob(const uint8_t *p, size_t len)
{
	unsigned char d[32];
	char hex[65], name[128];

	EVP_Digest(p, len, d, NULL, EVP_sha256(), NULL);
	hex_encode(d, 32, hex);
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
	put(name, p, len);
}

static const uint8_t *split(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
	for (const uint8_t *q = p; q + 4 <= end; q++)
		if (!memcmp(q, "\n--\n", 4)) {
			*next = q + 4;
			return q;
		}
	*next = end;
	return end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *p = data, *next, *stop;
	struct image_plan plan;
	struct store *st;
	char cmd[4200];

	if (!root[0]) {
		snprintf(root, sizeof(root), "%s/sw-fuzz-oci.%d",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
		mkdir(root, 0755);
		snprintf(cmd, sizeof(cmd), "%s/blobs", root);
		mkdir(cmd, 0755);
		snprintf(cmd, sizeof(cmd), "%s/blobs/sha256", root);
		mkdir(cmd, 0755);
	}
	stop = split(p, end, &next);
	put("index.json", p, (size_t)(stop - p));
	for (int i = 0; i < 2 && next < end; i++) {
		p = next;
		stop = split(p, end, &next);
		put_blob(p, (size_t)(stop - p));
	}
	if (store_open_dir(root, &st, NULL))
		return 0;
	if (!image_plan_oci(st, NULL, NULL, &plan, NULL))
		image_plan_clear(&plan);
	if (!image_plan_oci(st, "latest", "linux/arm64", &plan, NULL))
		image_plan_clear(&plan);
	store_free(st);
	return 0;
}

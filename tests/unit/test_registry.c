// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry/: references, image names, index/referrers and manifest parsing,
 * and the fetcher's state machine against a registry that cannot be reached
 * (127.0.0.1 port 1: refused at once, no network beyond loopback).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"
#include "errors.h"
#include "fetcher.h"
#include "registry.h"

#define D1 "sha256:ad3997777810284533e1cb280a17485a669a34dfc0aa21b6b9fedc0e521d551b"
#define D2 "sha256:33c26506abe1e8257ec26a2aca2145ba041a51affe03838541b6ef775f805a4e"

TEST(refs)
{
	struct reg_ref r;

	CHECK_INT(reg_ref_parse("registry://127.0.0.1:5000/swrg/app:1.2@" D1, &r, NULL), 0);
	CHECK_STR(r.host, "127.0.0.1:5000");
	CHECK_STR(r.repo, "swrg/app");
	CHECK_STR(r.tag, "1.2");
	CHECK_STR(r.digest, D1);
	reg_ref_clear(&r);
	CHECK_INT(reg_ref_parse("docker.io/library/nginx", &r, NULL), 0);
	CHECK_STR(r.host, "registry-1.docker.io");
	CHECK_STR(r.tag, "latest");
	CHECK_STR(reg_ref_reference(&r), "latest");
	reg_ref_clear(&r);
	CHECK_INT(reg_ref_parse("h:1/a@" D2, &r, NULL), 0);
	CHECK(r.tag == NULL);
	CHECK_STR(reg_ref_reference(&r), D2);
	reg_ref_clear(&r);
	CHECK_INT(reg_ref_parse("nohost", &r, NULL), -EINVAL);
	CHECK_INT(reg_ref_parse("h/UPPER", &r, NULL), -EINVAL);
	CHECK_INT(reg_ref_parse("h/a/../b", &r, NULL), -EINVAL);
	CHECK_INT(reg_ref_parse("h/a@sha256:12", &r, NULL), -EINVAL);
	CHECK_INT(reg_ref_parse("h/a:bad/tag", &r, NULL), -EINVAL);
}

TEST(image_names)
{
	char host[64], repo[64];

	CHECK(fetcher_split_name("127.0.0.1:5000/swrg/img:1", host, 64, repo, 64));
	CHECK_STR(host, "127.0.0.1:5000");
	CHECK_STR(repo, "swrg/img");
	CHECK(fetcher_split_name("localhost/app@" D1, host, 64, repo, 64));
	CHECK_STR(host, "localhost");
	CHECK_STR(repo, "app");
	CHECK(fetcher_split_name("library/busybox:1.36", host, 64, repo, 64));
	CHECK_STR(host, "");
	CHECK_STR(repo, "library/busybox");
	CHECK(!fetcher_split_name("reg.example:443/", host, 64, repo, 64));
}

TEST(index_filter)
{
	const char *idx =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1
		"\",\"size\":10,\"artifactType\":\"" REG_ARTIFACT_BASELINE "\"},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2
		"\",\"size\":5,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";
	struct reg_descriptor d[4];
	size_t n = 0;

	CHECK_INT(reg_parse_index(idx, strlen(idx), NULL, d, 4, &n, NULL), 0);
	CHECK_INT(n, 2);
	CHECK_STR(d[1].platform, "linux/arm64/v8");
	CHECK_INT(reg_parse_index(idx, strlen(idx), REG_ARTIFACT_BASELINE, d, 4, &n, NULL), 0);
	CHECK_INT(n, 1);
	CHECK_STR(d[0].digest, D1);
	CHECK_INT(reg_parse_index(idx, strlen(idx), NULL, d, 1, &n, NULL), -E2BIG);
	CHECK_INT(reg_parse_index("{\"schemaVersion\":1}", 19, NULL, d, 4, &n, NULL), -EBADMSG);
}

TEST(artifact_manifest)
{
	const char *m = "{\"schemaVersion\":2,\"artifactType\":\"" REG_ARTIFACT_BASELINE "\","
			"\"config\":{\"mediaType\":\"" REG_MT_EMPTY "\",\"digest\":\"" D1
			"\",\"size\":2},\"layers\":[{\"mediaType\":\"" REG_MT_BASELINE
			"\",\"digest\":\"" D2 "\",\"size\":7}],\"subject\":{\"mediaType\":"
			"\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2
			"\",\"size\":3},\"annotations\":{\"" REG_ANN_IMAGE_ID "\":\"" D1 "\"}}";
	struct reg_manifest man;

	CHECK_INT(reg_parse_manifest(m, strlen(m), &man, NULL), 0);
	CHECK_STR(man.artifact_type, REG_ARTIFACT_BASELINE);
	CHECK_STR(man.subject, D2);
	CHECK_STR(man.image_id, D1);
	CHECK_INT(man.n_layers, 1);
	CHECK_INT(man.layers[0].size, 7);
	reg_manifest_clear(&man);
	/* a digest with upper-case hex or another algorithm is not ours to follow */
	{
		const char *bad = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
				  "\"digest\":\"sha512:00\",\"size\":1},\"layers\":[]}";

		CHECK_INT(reg_parse_manifest(bad, strlen(bad), &man, NULL), -EBADMSG);
	}
}

static void collect(void *ctx, const struct fetch_result *r)
{
	*(struct fetch_result *)ctx = *r;
}

/* Unreachable registry: pending (never absent), a result with a backoff, still pending. */
/* A fetcher's scratch: @dir (a mkdtemp template), a key pair in it, @cache below it. */
static void fetch_setup(char *dir, char *pub, char *key, char *cache)
{
	CHECK(mkdtemp(dir) != NULL);
	snprintf(pub, 128, "%s/k.pub", dir);
	snprintf(key, 128, "%s/k.key", dir);
	snprintf(cache, 160, "%s/cache", dir);
	CHECK_INT(crypto_keygen(SW_KEY_ECDSA_P256, key, pub, NULL), 0);
}

static void fetch_teardown(const char *dir, const char *pub, const char *key, const char *cache)
{
	unlink(pub);
	unlink(key);
	rmdir(cache);
	rmdir(dir);
}

TEST(fetcher_unreachable_stays_pending)
{
	char dir[] = "/tmp/sw-unit-fetch.XXXXXX", pub[128], key[128], cache[160];
	char *regs[] = { "127.0.0.1:1" }, *digests[] = { D2 };
	char *keys[1] = { pub };
	struct fetch_result got = { .state = FETCH_READY };
	struct fetcher_opts o = {
		.registries = regs,
		.n_registries = 1,
		.reg = { .insecure = true, .connect_timeout_s = 2 },
		.cache_dir = cache,
		.key_paths = keys,
		.n_keys = 1,
		.retry_max_s = 60,
	};
	struct fetcher *f = NULL;
	struct pollfd pfd;

	fetch_setup(dir, pub, key, cache);
	CHECK_INT(fetcher_new(&o, &f, NULL), 0);
	if (!f)
		return;
	CHECK_INT(fetcher_want(f, D1, "127.0.0.1:1/swrg/x:1", digests, 1), FETCH_PENDING);
	pfd = (struct pollfd){ .fd = fetcher_fd(f), .events = POLLIN };
	CHECK_INT(poll(&pfd, 1, 20000), 1); /* hang guard: connection refused is immediate */
	CHECK_INT(fetcher_drain(f, collect, &got), 1);
	CHECK_INT(got.state, FETCH_PENDING);
	CHECK(got.transient);
	CHECK_INT(got.retry_in_s, 1);
	CHECK_STR(got.image_id, D1);
	CHECK_INT(fetcher_want(f, D1, NULL, NULL, 0), FETCH_PENDING);
	/* no image ID: nothing to bind a baseline to */
	CHECK_INT(fetcher_want(f, NULL, "127.0.0.1:1/swrg/x:1", digests, 1), FETCH_ABSENT);
	fetcher_free(f);
	fetch_teardown(dir, pub, key, cache);
}

/* A registry that answers 404 to every request (nothing attached anywhere). */
static void *answer_404(void *arg)
{
	static const char resp[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	int ls = *(int *)arg, c;
	char buf[4096];

	while ((c = accept(ls, NULL, NULL)) >= 0) {
		if (read(c, buf, sizeof(buf)) > 0 && write(c, resp, sizeof(resp) - 1) < 0) {
			/* the client went away: nothing to do */
		}
		close(c);
	}
	return NULL;
}

TEST(fetcher_mirror_down_other_answers_absent)
{
	char dir[] = "/tmp/sw-unit-fetch.XXXXXX", pub[128], key[128], cache[160], live[64];
	char *regs[] = { "127.0.0.1:1", live }, *digests[] = { D2 };
	char *keys[1] = { pub };
	struct fetch_result got = { .state = FETCH_READY };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct fetcher_opts o = {
		.registries = regs,
		.n_registries = 2,
		.reg = { .insecure = true, .connect_timeout_s = 2, .timeout_s = 5 },
		.cache_dir = cache,
		.key_paths = keys,
		.n_keys = 1,
		.retry_max_s = 60,
		.negative_s = 3600,
	};
	struct fetcher *f = NULL;
	struct pollfd pfd;
	pthread_t t;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(ls >= 0 && !bind(ls, (struct sockaddr *)&sa, sizeof(sa)) && !listen(ls, 16) &&
	      !getsockname(ls, (struct sockaddr *)&sa, &sl));
	snprintf(live, sizeof(live), "127.0.0.1:%u", ntohs(sa.sin_port));
	CHECK(!pthread_create(&t, NULL, answer_404, &ls));
	fetch_setup(dir, pub, key, cache);
	CHECK_INT(fetcher_new(&o, &f, NULL), 0);
	if (f) {
		/* the image's own registry is neither: the mirrors in order, the first down */
		CHECK_INT(fetcher_want(f, D1, "registry.example/swrg/x:1", digests, 1),
			  FETCH_PENDING);
		pfd = (struct pollfd){ .fd = fetcher_fd(f), .events = POLLIN };
		CHECK_INT(poll(&pfd, 1, 20000), 1); /* hang guard */
		CHECK_INT(fetcher_drain(f, collect, &got), 1);
		CHECK_INT(got.state, FETCH_ABSENT);
		CHECK(got.partial);
		CHECK_INT(got.retry_in_s, 60); /* sooner than negative_s */
		CHECK(strstr(got.msg, "127.0.0.1:1 unreachable") != NULL);
		CHECK_INT(fetcher_want(f, D1, NULL, NULL, 0), FETCH_ABSENT);
		fetcher_free(f);
	}
	shutdown(ls, SHUT_RDWR);
	close(ls);
	pthread_join(t, NULL);
	fetch_teardown(dir, pub, key, cache);
}

int main(void)
{
	RUN(refs);
	RUN(image_names);
	RUN(index_filter);
	RUN(artifact_manifest);
	RUN(fetcher_unreachable_stays_pending);
	RUN(fetcher_mirror_down_other_answers_absent);
	return check_exit();
}

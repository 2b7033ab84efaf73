// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 12, the pure logic: image references normalized alike everywhere,
 * metadata compared with the baseline (verdict_decide), and folding of
 * repeated findings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "check.h"
#include "decide.h"
#include "fold.h"
#include "imageref.h"
#include "scan.h"

TEST(imageref_one_name_for_many_spellings)
{
	static const char *const cases[][2] = {
		{ "nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "index.docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "library/nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "nginx", "docker.io/library/nginx:latest" },
		{ "localhost/app:1", "localhost/app:1" },
		{ "localhost:5000/a/b", "localhost:5000/a/b:latest" },
		{ "Registry.Example.com/team/app:v1.2-rc_3",
		  "Registry.Example.com/team/app:v1.2-rc_3" },
		{ "quay.io/a__b/c-d.e:1", "quay.io/a__b/c-d.e:1" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(imageref_normalize(cases[i][0], out, sizeof(out)), 0);
		CHECK_STR(out, cases[i][1]);
	}
}

TEST(imageref_refuses_what_is_no_reference)
{
	static const char *const bad[] = {
		"",	      "UPPER/Case::bad", "Nginx:1", "nginx:",	"nginx::1", "a//b",
		"/nginx",     "nginx/",		 "a b",	    "nginx@",	"x@sha256", "-a/b",
		"a.b/-c",     "a.b:/c",		 "a..b/c",  "nginx:.x", "a/b_/c",   "a/b-",
		"ex ample/x",
	};
	char out[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (imageref_normalize(bad[i], out, sizeof(out)) != -EINVAL) {
			fprintf(stderr, "  accepted '%s' as '%s'\n", bad[i], out);
			CHECK(0);
		}
	CHECK_INT(imageref_normalize("nginx:1.25", out, 10), -ENAMETOOLONG);
}

/* A one-entry baseline: /usr/bin/x, mode 0755, root, content 0x11… */
static void one_entry(struct sw_baseline *b, struct sw_entry *e, unsigned char *caps,
		      uint32_t caps_len)
{
	memset(b, 0, sizeof(*b));
	memset(e, 0, sizeof(*e));
	e->path = (char *)"/usr/bin/x";
	e->type = SW_FT_FILE;
	e->mode = 0755;
	e->size = 10;
	e->has_sha256 = 1;
	e->caps = caps;
	e->caps_len = caps_len;
	memset(e->sha256, 0x11, SW_SHA256_LEN);
	b->entries = e;
	b->n_entries = 1;
}

TEST(metadata_is_content)
{
	unsigned char sha[SW_SHA256_LEN], other[SW_SHA256_LEN], caps[4] = { 1, 2, 3, 4 };
	struct sw_file_meta meta = { .mode = 0755 };
	struct sw_verdict_result res;
	struct sw_baseline b;
	struct sw_entry e;

	memset(sha, 0x11, sizeof(sha));
	memset(other, 0x22, sizeof(other));
	one_entry(&b, &e, NULL, 0);
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.verdict, SW_VERDICT_OK);
	CHECK_INT(res.fields, 0);

	meta.mode = 04755; /* chmod u+s */
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.verdict, SW_VERDICT_MODIFIED);
	CHECK_INT(res.fields, SCAN_F_MODE);

	meta.mode = 0755;
	meta.uid = 1;
	meta.gid = 2;
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.verdict, SW_VERDICT_MODIFIED);
	CHECK_INT(res.fields, SCAN_F_UID | SCAN_F_GID);

	meta.uid = meta.gid = 0;
	memcpy(meta.caps, caps, sizeof(caps));
	meta.caps_len = sizeof(caps); /* setcap */
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.fields, SCAN_F_CAPS);

	one_entry(&b, &e, caps, sizeof(caps)); /* the baseline has them: the same is ok */
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.verdict, SW_VERDICT_OK);
	meta.caps_len = 0; /* removed */
	verdict_decide(&b, NULL, "/usr/bin/x", sha, 10, &meta, &res);
	CHECK_INT(res.fields, SCAN_F_CAPS);

	one_entry(&b, &e, NULL, 0);
	verdict_decide(&b, NULL, "/usr/bin/x", other, 11, &meta, &res);
	CHECK_INT(res.verdict, SW_VERDICT_MODIFIED);
	CHECK_INT(res.fields, SCAN_F_SHA256 | SCAN_F_SIZE);
	CHECK_STR(res.reason, "content differs from the baseline");
}

TEST(fold_first_at_once_repeats_counted_others_never)
{
	struct fold *f = calloc(1, sizeof(*f));
	unsigned char h1[SW_SHA256_LEN] = { 1 }, h2[SW_SHA256_LEN] = { 2 };
	uint64_t k1 = fold_key("c1", "/usr/bin/x", "exec", SW_VERDICT_MODIFIED, h1, 32, "r");
	char *out[8];
	size_t n;

	CHECK(f != NULL);
	if (!f)
		return;
	/* every part of a finding makes another finding */
	CHECK(k1 != fold_key("c2", "/usr/bin/x", "exec", SW_VERDICT_MODIFIED, h1, 32, "r"));
	CHECK(k1 != fold_key("c1", "/usr/bin/y", "exec", SW_VERDICT_MODIFIED, h1, 32, "r"));
	CHECK(k1 != fold_key("c1", "/usr/bin/x", "mmap_exec", SW_VERDICT_MODIFIED, h1, 32, "r"));
	CHECK(k1 != fold_key("c1", "/usr/bin/x", "exec", SW_VERDICT_UNKNOWN, h1, 32, "r"));
	CHECK(k1 != fold_key("c1", "/usr/bin/x", "exec", SW_VERDICT_MODIFIED, h2, 32, "r"));
	CHECK(k1 != fold_key("c1", "/usr/bin/x", "exec", SW_VERDICT_MODIFIED, NULL, 0, "r"));
	CHECK(k1 != fold_key(NULL, "c1/usr/bin/x", "exec", SW_VERDICT_MODIFIED, h1, 32, "r"));

	f->window = 3600;
	CHECK(!fold_seen(f, k1, "{\"a\":1}")); /* first: emitted */
	CHECK(fold_seen(f, k1, "{\"a\":2}")); /* repeats: folded */
	CHECK(fold_seen(f, k1, "{\"a\":3}"));
	CHECK(!fold_seen(f, k1 + 1, "{}")); /* another finding: emitted */
	CHECK_INT(fold_flush(f, false, out, 8), 0); /* window still open */
	n = fold_flush(f, true, out, 8);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK(strstr(out[0], "\"a\":3") != NULL);
		CHECK(strstr(out[0], "\"repeats\":{\"count\":2,\"window_seconds\":3600}") != NULL);
		free(out[0]);
	}
	CHECK(!fold_seen(f, k1, "{}")); /* after the flush: the next one is a first again */

	f->window = 1; /* a closed window with no repeats: nothing, the slot is freed */
	sleep(1);
	CHECK_INT(fold_flush(f, false, out, 8), 0);
	CHECK(!fold_seen(f, k1 + 1, "{}"));
	fold_reset(f);
	free(f);
}

int main(void)
{
	RUN(imageref_one_name_for_many_spellings);
	RUN(imageref_refuses_what_is_no_reference);
	RUN(metadata_is_content);
	RUN(fold_first_at_once_repeats_counted_others_never);
	return check_exit();
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 12, the pure logic: image references normalized alike everywhere,
 * metadata compared with the baseline (verdict_decide), and folding of
 * repeated findings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "bolt.h"
#include "check.h"
#include "decide.h"
#include "fold.h"
#include "idmap.h"
#include "imageref.h"
#include "procpath.h"
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
	/* a denial is another outcome than the run it follows (prevention, docs/enforce.md) */
	CHECK(fold_key_decision(k1, NULL) == k1);
	CHECK(fold_key_decision(k1, "denied") != k1);
	CHECK(fold_key_decision(k1, "denied") != fold_key_decision(k1, "fallback_allow"));

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

/* ---- a small bbolt file built by hand (the layout bolt.c documents) ---- */

struct kv {
	uint32_t flags; /* 1: bucket (value = bucket header + inline page) */
	const char *key;
	const unsigned char *val;
	size_t vlen;
};

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A leaf page (header + elements + data) of @n sorted @kv into @out; its length. */
static size_t leaf(unsigned char *out, uint64_t id, const struct kv *kv, size_t n)
{
	size_t data = 16 + n * 16;

	put_le(out, id, 8);
	put_le(out + 8, 0x02, 2);
	put_le(out + 10, n, 2);
	put_le(out + 12, 0, 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = out + 16 + i * 16;
		size_t kl = strlen(kv[i].key);

		put_le(e, kv[i].flags, 4);
		put_le(e + 4, data - (16 + i * 16), 4);
		put_le(e + 8, kl, 4);
		put_le(e + 12, kv[i].vlen, 4);
		memcpy(out + data, kv[i].key, kl);
		memcpy(out + data + kl, kv[i].val, kv[i].vlen);
		data += kl + kv[i].vlen;
	}
	return data;
}

/* An inline bucket value holding @kv: root 0, sequence 0, then the leaf page. */
static size_t inline_bucket(unsigned char *out, const struct kv *kv, size_t n)
{
	memset(out, 0, 16);
	return 16 + leaf(out + 16, 0, kv, n);
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void meta(unsigned char *page, uint64_t id, uint64_t txid)
{
	unsigned char *m = page + 16;

	put_le(page, id, 8);
	put_le(page + 8, 0x04, 2);
	put_le(m, 0xED0CDAED, 4);
	put_le(m + 4, 2, 4);
	put_le(m + 8, 4096, 4);
	put_le(m + 16, 3, 8); /* root bucket's page */
	put_le(m + 32, 2, 8); /* freelist */
	put_le(m + 40, 4, 8); /* high water */
	put_le(m + 48, txid, 8);
	put_le(m + 56, fnv(m, 56), 8);
}

TEST(bolt_reads_nested_buckets)
{
	static unsigned char db[4 * 4096], target[512], image[1024], images[2048], ctr[512],
		ctrs[1024], ns[4096], v1[4096];
	const char *dig = "sha256:abc";
	struct kv t[] = { { 0, "digest", (const unsigned char *)dig, strlen(dig) },
			  { 0, "mediatype", (const unsigned char *)"x", 1 } };
	struct kv im[2] = { { 0, "createdat", (const unsigned char *)"t", 1 },
			    { 1, "target", target, inline_bucket(target, t, 2) } };
	struct kv ims[] = { { 1, "docker.io/library/a:1", image, inline_bucket(image, im, 2) } };
	struct kv c[] = { { 0, "image", (const unsigned char *)"docker.io/library/a:1", 21 } };
	struct kv cs[] = { { 1, "cid", ctr, inline_bucket(ctr, c, 1) } };
	struct kv n[] = { { 1, "containers", ctrs, inline_bucket(ctrs, cs, 1) },
			  { 1, "images", images, inline_bucket(images, ims, 1) } };
	struct kv v[] = { { 1, "default", ns, inline_bucket(ns, n, 2) } };
	struct kv root[] = { { 1, "v1", v1, inline_bucket(v1, v, 1) } };
	const char *cpath[] = { "v1", "default", "containers", "cid" };
	const char *ipath[] = { "v1", "default", "images", "docker.io/library/a:1", "target" };
	const char *bad[] = { "v1", "nope" };
	struct bolt *b = NULL;
	const char *val;
	size_t len = 0;

	meta(db, 0, 7);
	meta(db + 4096, 1, 8);
	leaf(db + 3 * 4096, 3, root, 1);
	CHECK_INT(bolt_open_mem(db, sizeof(db), &b), 0);
	if (!b)
		return;
	CHECK(bolt_txid(b) == 8);
	val = bolt_get(b, cpath, 4, "image", &len);
	CHECK(val && len == 21 && !memcmp(val, "docker.io/library/a:1", 21));
	val = bolt_get(b, ipath, 5, "digest", &len);
	CHECK(val && len == strlen(dig) && !memcmp(val, dig, len));
	CHECK(bolt_get(b, ipath, 5, "nothing", &len) == NULL);
	CHECK(bolt_get(b, bad, 2, "x", &len) == NULL);
	CHECK(bolt_get(b, ipath, 4, "target", &len) == NULL); /* a bucket, not a value */
	bolt_close(b);

	/* a broken checksum on both metas; then every truncation: refused or read safely */
	db[16 + 48] ^= 1;
	db[4096 + 16 + 48] ^= 1;
	CHECK_INT(bolt_open_mem(db, sizeof(db), &b), -EBADMSG);
	db[16 + 48] ^= 1;
	db[4096 + 16 + 48] ^= 1;
	for (size_t cut = 0; cut < sizeof(db); cut += 509) {
		b = NULL;
		if (!bolt_open_mem(db, cut, &b)) {
			bolt_get(b, cpath, 4, "image", &len);
			bolt_close(b);
		}
	}
	/* garbage in the root page: lookups fail, never crash */
	for (size_t i = 0; i < 4096; i += 7)
		db[3 * 4096 + i] ^= (unsigned char)(i * 31);
	if (!bolt_open_mem(db, sizeof(db), &b)) {
		bolt_get(b, cpath, 4, "image", &len);
		bolt_get(b, ipath, 5, "digest", &len);
		bolt_close(b);
	}
}

/* A usr-merged tree: paths through its symlinks resolve inside it, never outside. */
TEST(real_path_in_root)
{
	char root[] = "/tmp/sw-unit-root.XXXXXX", p[512], out[512];
	struct stat st;
	int fd;

	if (!mkdtemp(root)) {
		CHECK(0);
		return;
	}
	snprintf(p, sizeof(p), "%s/usr", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/bin", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/lib", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/bin/x", root);
	fd = open(p, O_CREAT | O_WRONLY, 0755);
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/bin", root);
	CHECK_INT(symlink("usr/bin", p), 0);
	snprintf(p, sizeof(p), "%s/lib", root);
	CHECK_INT(symlink("usr/lib", p), 0);
	snprintf(p, sizeof(p), "%s/abs", root);
	CHECK_INT(symlink("/usr/bin", p), 0); /* absolute: inside the root, not the host's */
	snprintf(p, sizeof(p), "%s/usr/bin/link", root);
	CHECK_INT(symlink("x", p), 0);

	CHECK_INT(procpath_real_in_root(-1, root, "/bin/x", false, out, sizeof(out), NULL), 0);
	CHECK_STR(out, "/usr/bin/x");
	CHECK_INT(procpath_real_in_root(-1, root, "/lib/../bin/x", false, out, sizeof(out), NULL),
		  0);
	CHECK_STR(out, "/usr/bin/x");
	CHECK_INT(procpath_real_in_root(-1, root, "/abs/x", false, out, sizeof(out), NULL), 0);
	CHECK_STR(out, "/usr/bin/x");
	/* unlink/rename act on the name: a final symlink is not followed ... */
	CHECK_INT(procpath_real_in_root(-1, root, "/bin/link", false, out, sizeof(out), NULL), 0);
	CHECK_STR(out, "/usr/bin/link");
	/* ... truncate follows it, and tells what it found */
	CHECK_INT(procpath_real_in_root(-1, root, "/bin/link", true, out, sizeof(out), &st), 0);
	CHECK_STR(out, "/usr/bin/x");
	CHECK(S_ISREG(st.st_mode));
	/* ".." never leaves the root */
	CHECK_INT(procpath_real_in_root(-1, root, "/../../../bin/x", false, out, sizeof(out), NULL),
		  0);
	CHECK_STR(out, "/usr/bin/x");
	CHECK_INT(procpath_real_in_root(-1, root, "/nope/x", false, out, sizeof(out), NULL),
		  -ENOENT);
	CHECK_INT(procpath_real_in_root(-1, NULL, "/bin/x", false, out, sizeof(out), NULL), -ESRCH);
	CHECK_INT(procpath_real_in_root(-1, root, "bin/x", false, out, sizeof(out), NULL), -EINVAL);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	CHECK_INT(system(p), 0);
}

TEST(idmap_maps_host_ids_into_the_namespace)
{
	struct sw_idmap m = { 2, { { 0, 100000, 65536 }, { 65536, 1000, 1 } } };
	uint32_t in = 7;

	CHECK(idmap_inside(&m, 100000, &in) && in == 0);
	CHECK(idmap_inside(&m, 100005, &in) && in == 5);
	CHECK(idmap_inside(&m, 1000, &in) && in == 65536);
	CHECK(!idmap_inside(&m, 0, &in)); /* the host's root is nobody inside */
	CHECK(!idmap_inside(&m, 165536, &in));
	CHECK_INT(idmap_read(getpid(), "uid_map", &m), 0);
	CHECK(m.n >= 1);
	CHECK_INT(idmap_read(0x7ffffffe, "uid_map", &m), -ENOENT);
}

int main(void)
{
	RUN(imageref_one_name_for_many_spellings);
	RUN(imageref_refuses_what_is_no_reference);
	RUN(metadata_is_content);
	RUN(fold_first_at_once_repeats_counted_others_never);
	RUN(bolt_reads_nested_buckets);
	RUN(real_path_in_root);
	RUN(idmap_maps_host_ids_into_the_namespace);
	return check_exit();
}

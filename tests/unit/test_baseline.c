// SPDX-License-Identifier: GPL-2.0-only
/* baseline.c: v1 writer and strict parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "baseline.h"
#include "check.h"
#include "errors.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define HEX_AB "abababababababababababababababababababababababababababababababab"

static char *dup_s(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void add(struct sw_entry *e, size_t *n, const char *path, enum sw_file_type type,
		uint32_t mode)
{
	struct sw_entry *x = &e[(*n)++];

	memset(x, 0, sizeof(*x));
	x->path = dup_s(path);
	x->type = (uint8_t)type;
	x->mode = mode;
	if (type == SW_FT_FILE || type == SW_FT_HARDLINK) {
		x->has_sha256 = 1;
		memset(x->sha256, 0xab, sizeof(x->sha256));
		x->size = 1000 + *n;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct sw_entry *)a)->path, ((const struct sw_entry *)b)->path);
}

/* Every field and type: the sample the round trip tests use. */
static size_t sample_entries(struct sw_entry *e)
{
	static const unsigned char caps[20] = { 1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0 };
	size_t n = 0;

	add(e, &n, "/bin", SW_FT_SYMLINK, 0777);
	e[n - 1].link = dup_s("usr/bin");
	add(e, &n, "/dev/null", SW_FT_CHAR, 0666);
	e[n - 1].rdev_major = 1;
	e[n - 1].rdev_minor = 3;
	add(e, &n, "/dev/sda", SW_FT_BLOCK, 0660);
	e[n - 1].rdev_major = 8;
	e[n - 1].gid = 6;
	add(e, &n, "/etc", SW_FT_DIR, 0755);
	e[n - 1].flags = SW_ENTRY_IMPLICIT;
	add(e, &n, "/run/fifo", SW_FT_FIFO, 0600);
	add(e, &n, "/run/sock", SW_FT_SOCKET, 0755);
	add(e, &n, "/tmp", SW_FT_DIR, 01777);
	add(e, &n, "/usr/bin/ls", SW_FT_FILE, 0755);
	e[n - 1].exec_class = SW_EXEC_ELF_PIE;
	e[n - 1].interp = dup_s("/lib64/ld-linux-x86-64.so.2");
	add(e, &n, "/usr/bin/dir", SW_FT_HARDLINK, 0755);
	e[n - 1].link = dup_s("/usr/bin/ls");
	e[n - 1].exec_class = SW_EXEC_ELF_PIE;
	e[n - 1].interp = dup_s("/lib64/ld-linux-x86-64.so.2");
	add(e, &n, "/usr/bin/passwd", SW_FT_FILE, 04755);
	e[n - 1].exec_class = SW_EXEC_ELF_EXEC;
	add(e, &n, "/usr/bin/ping", SW_FT_FILE, 0755);
	e[n - 1].exec_class = SW_EXEC_ELF_PIE;
	e[n - 1].caps = malloc(sizeof(caps));
	memcpy(e[n - 1].caps, caps, sizeof(caps));
	e[n - 1].caps_len = sizeof(caps);
	add(e, &n, "/usr/bin/script", SW_FT_FILE, 0755);
	e[n - 1].exec_class = SW_EXEC_SCRIPT;
	e[n - 1].interp = dup_s("/bin/sh");
	add(e, &n, "/usr/lib/libc.so.6", SW_FT_FILE, 0644);
	e[n - 1].exec_class = SW_EXEC_ELF_SHARED;
	e[n - 1].uid = 4294967295u;
	e[n - 1].gid = 4294967295u;
	add(e, &n, "/weird/new\nline \"q\" \\", SW_FT_FILE, 0);
	e[n - 1].size = 0;
	add(e, &n, "/weird/\xff%25 caf\xc3\xa9\x7f\xc2\x85", SW_FT_SYMLINK, 0777);
	e[n - 1].link = dup_s("../\x01\xfe target");
	qsort(e, n, sizeof(*e), cmp_entry);
	return n;
}

static const struct sw_baseline_header oci_header = {
	.source = (char *)"oci",
	.image_name = (char *)"docker.io/library/debian:12",
	.config_digest = (char *)D1,
	.manifest_digest = (char *)D2,
	.platform = (char *)"linux/amd64",
	.diff_ids = (char *[]){ (char *)D3, (char *)D1 },
	.n_diff_ids = 2,
	.generator = (char *)"sealwatch 0.1.0",
};

static char *write_mem(const struct sw_baseline_header *hdr, struct sw_entry *e, size_t n,
		       size_t *len, int *ret)
{
	struct sw_entry **ptrs = calloc(n + 1, sizeof(*ptrs));
	struct sw_error err = { { 0 } };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	for (size_t i = 0; i < n; i++)
		ptrs[i] = &e[i];
	*ret = baseline_write(f, hdr, ptrs, n, &err);
	fclose(f);
	free(ptrs);
	if (*ret && getenv("SW_PRINT_ERRORS"))
		printf("  baseline_write: %d %s\n", *ret, err.msg);
	return buf;
}

static void free_entries(struct sw_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_clear(&e[i]);
}

static int parse_str(const char *text, struct sw_error *err)
{
	struct sw_baseline *b = NULL;
	int r = baseline_parse(text, strlen(text), &b, err);

	baseline_free(b);
	return r;
}

static void check_entry_eq(const struct sw_entry *a, const struct sw_entry *b)
{
	CHECK_STR(a->path, b->path);
	CHECK_INT(a->type, b->type);
	CHECK_INT(a->mode, b->mode);
	CHECK_INT(a->uid, b->uid);
	CHECK_INT(a->gid, b->gid);
	CHECK_INT(a->size, b->size);
	CHECK_INT(a->has_sha256, b->has_sha256);
	CHECK(memcmp(a->sha256, b->sha256, sizeof(a->sha256)) == 0 || !a->has_sha256);
	CHECK_INT(a->exec_class, b->exec_class);
	CHECK((a->interp == NULL) == (b->interp == NULL));
	if (a->interp && b->interp)
		CHECK_STR(a->interp, b->interp);
	CHECK((a->link == NULL) == (b->link == NULL));
	if (a->link && b->link)
		CHECK_STR(a->link, b->link);
	CHECK_INT(a->caps_len, b->caps_len);
	CHECK(a->caps_len == 0 || memcmp(a->caps, b->caps, a->caps_len) == 0);
	if (a->type == SW_FT_CHAR || a->type == SW_FT_BLOCK) {
		CHECK_INT(a->rdev_major, b->rdev_major);
		CHECK_INT(a->rdev_minor, b->rdev_minor);
	}
	CHECK_INT(a->flags & SW_ENTRY_IMPLICIT, b->flags & SW_ENTRY_IMPLICIT);
}

TEST(round_trip_every_field)
{
	struct sw_entry e[32];
	size_t n = sample_entries(e), len = 0, len2 = 0;
	struct sw_error err = { { 0 } };
	struct sw_baseline *b = NULL;
	unsigned char digest[32];
	char *buf, *buf2 = NULL;
	int r;

	buf = write_mem(&oci_header, e, n, &len, &r);
	CHECK_INT(r, 0);
	if (getenv("SW_PRINT_SAMPLE"))
		fwrite(buf, 1, len, stdout);
	r = baseline_parse(buf, len, &b, &err);
	CHECK_INT(r, 0);
	if (r) {
		fprintf(stderr, "  %s\n", err.msg);
		goto cleanup;
	}
	CHECK_INT(b->n_entries, n);
	CHECK_INT(b->hdr.entries, n);
	CHECK_STR(b->hdr.source, "oci");
	CHECK_STR(b->hdr.image_name, oci_header.image_name);
	CHECK_STR(b->hdr.config_digest, D1);
	CHECK_STR(b->hdr.manifest_digest, D2);
	CHECK_STR(b->hdr.platform, "linux/amd64");
	CHECK_INT(b->hdr.n_diff_ids, 2);
	CHECK_STR(b->hdr.diff_ids[0], D3);
	CHECK_STR(b->hdr.generator, "sealwatch 0.1.0");
	for (size_t i = 0; i < n && i < b->n_entries; i++)
		check_entry_eq(&b->entries[i], &e[i]);
	EVP_Digest(buf, len, digest, NULL, EVP_sha256(), NULL);
	CHECK(memcmp(digest, b->digest, 32) == 0);
	/* the parsed baseline writes the same bytes */
	buf2 = write_mem(&b->hdr, b->entries, b->n_entries, &len2, &r);
	CHECK_INT(r, 0);
	CHECK(len == len2 && memcmp(buf, buf2, len) == 0);
	/* lookups by raw path */
	CHECK(baseline_lookup(b, "/usr/bin/ls") != NULL);
	CHECK_STR(baseline_lookup(b, "/weird/new\nline \"q\" \\")->path,
		  "/weird/new\nline \"q\" \\");
	CHECK(baseline_lookup(b, "/usr/bin") == NULL);
	CHECK(baseline_lookup(b, "/") == NULL);
	CHECK(baseline_lookup(b, "/zzz") == NULL);
	for (size_t i = 0; i < b->n_entries; i++)
		CHECK(baseline_lookup(b, b->entries[i].path) == &b->entries[i]);
cleanup:
	baseline_free(b);
	free(buf);
	free(buf2);
	free_entries(e, n);
}

/* The daemon's store layout: same entries, same bytes, same lookups, one block of strings. */
TEST(compact_keeps_every_field)
{
	struct sw_entry e[32];
	size_t n = sample_entries(e), len = 0, len2 = 0;
	struct sw_error err = { { 0 } };
	struct sw_baseline *b = NULL;
	const struct sw_entry *hl, *ls;
	char *buf, *buf2 = NULL;
	int r;

	buf = write_mem(&oci_header, e, n, &len, &r);
	CHECK_INT(r, 0);
	r = baseline_parse(buf, len, &b, &err);
	CHECK_INT(r, 0);
	if (r)
		goto cleanup;
	CHECK_INT(baseline_compact(b), 0);
	CHECK(b->strings != NULL);
	CHECK_INT(b->n_entries, n);
	for (size_t i = 0; i < n && i < b->n_entries; i++)
		check_entry_eq(&b->entries[i], &e[i]);
	buf2 = write_mem(&b->hdr, b->entries, b->n_entries, &len2, &r);
	CHECK_INT(r, 0);
	CHECK(len == len2 && memcmp(buf, buf2, len) == 0);
	CHECK_STR(baseline_lookup(b, "/weird/new\nline \"q\" \\")->path,
		  "/weird/new\nline \"q\" \\");
	CHECK(baseline_lookup(b, "/usr/bin") == NULL);
	for (size_t i = 0; i < b->n_entries; i++)
		CHECK(baseline_lookup(b, b->entries[i].path) == &b->entries[i]);
	/* a hardlink's target is the bytes of its target's path, not a copy */
	hl = baseline_lookup(b, "/usr/bin/dir");
	ls = baseline_lookup(b, "/usr/bin/ls");
	CHECK(hl && ls && hl->link == ls->path);
	CHECK_INT(baseline_compact(b), 0); /* once is enough */
cleanup:
	baseline_free(b);
	free(buf);
	free(buf2);
	free_entries(e, n);
}

TEST(known_bytes)
{
	static const char want[] =
		"{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		"\"image\":{\"name\":\"/srv/root%0A\"},\"entries\":3,\"generator\":\"sealwatch 0.1.0\"}\n"
		"{\"path\":\"/etc\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"implicit\":true}\n"
		"{\"path\":\"/usr/bin/ls\",\"type\":\"file\",\"mode\":\"4755\",\"uid\":0,\"gid\":0,"
		"\"size\":1002,\"sha256\":\"" HEX_AB "\",\"exec\":\"elf_pie\","
		"\"interp\":\"/lib64/ld-linux-x86-64.so.2\",\"caps\":\"AQID\"}\n"
		"{\"path\":\"/usr/bin/x\",\"type\":\"hardlink\",\"mode\":\"0755\",\"uid\":1,\"gid\":2,"
		"\"size\":1003,\"sha256\":\"" HEX_AB "\",\"link\":\"/usr/bin/ls\"}\n";
	struct sw_baseline_header hdr = { .source = (char *)"dir",
					  .image_name = (char *)"/srv/root\n" };
	struct sw_entry e[3];
	size_t n = 0, len;
	char *buf;
	int r;

	add(e, &n, "/etc", SW_FT_DIR, 0755);
	e[0].flags = SW_ENTRY_IMPLICIT;
	add(e, &n, "/usr/bin/ls", SW_FT_FILE, 04755 | 0100000);
	e[1].exec_class = SW_EXEC_ELF_PIE;
	e[1].interp = dup_s("/lib64/ld-linux-x86-64.so.2");
	e[1].caps = malloc(3);
	memcpy(e[1].caps, "\x01\x02\x03", 3);
	e[1].caps_len = 3;
	add(e, &n, "/usr/bin/x", SW_FT_HARDLINK, 0755);
	e[2].link = dup_s("/usr/bin/ls");
	e[2].uid = 1;
	e[2].gid = 2;
	buf = write_mem(&hdr, e, n, &len, &r);
	CHECK_INT(r, 0);
	CHECK_STR(buf, want);
	CHECK_INT(parse_str(buf, NULL), 0);
	free(buf);
	free_entries(e, n);
}

TEST(empty_and_missing_final_newline)
{
	struct sw_baseline_header hdr = { .source = (char *)"dir" };
	static const char one[] =
		"{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		"\"image\":{},\"entries\":1,\"generator\":\"sealwatch 0.1.0\"}\n"
		"{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}";
	struct sw_baseline *b = NULL;
	size_t len;
	char *buf;
	int r;

	buf = write_mem(&hdr, NULL, 0, &len, &r);
	CHECK_INT(r, 0);
	CHECK_INT(baseline_parse(buf, len, &b, NULL), 0);
	CHECK(b && b->n_entries == 0 && baseline_lookup(b, "/a") == NULL);
	baseline_free(b);
	b = NULL;
	CHECK_INT(baseline_parse(buf, len - 1, &b, NULL), 0); /* no final newline */
	baseline_free(b);
	b = NULL;
	free(buf);
	CHECK_INT(baseline_parse(one, strlen(one), &b, NULL), 0);
	CHECK(b && b->n_entries == 1 && baseline_lookup(b, "/a") == &b->entries[0]);
	baseline_free(b);
}

TEST(load_from_file)
{
	char path[] = "/tmp/sw-test-baseline.XXXXXX";
	struct sw_error err = { { 0 } };
	struct sw_entry e[32];
	size_t n = sample_entries(e), len;
	struct sw_baseline *b = NULL;
	char *buf = write_mem(&oci_header, e, n, &len, &(int){ 0 });
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, buf, len) == (ssize_t)len);
	close(fd);
	CHECK_INT(baseline_load(path, &b, &err), 0);
	CHECK(b && b->n_entries == n);
	baseline_free(b);
	b = NULL;
	CHECK(truncate(path, (off_t)len - 10) == 0);
	CHECK_INT(baseline_load(path, &b, &err), -EBADMSG);
	CHECK(strstr(err.msg, path) == err.msg && strstr(err.msg, ": line "));
	CHECK_INT(baseline_load("/nonexistent/x.jsonl", &b, &err), -ENOENT);
	unlink(path);
	free(buf);
	free_entries(e, n);
}

TEST(writer_rejects_inconsistent_entries)
{
	struct sw_baseline_header hdr = { .source = (char *)"dir" };
	struct sw_entry e[2];
	size_t n = 0, len;
	char *buf;
	int r;

	add(e, &n, "/b", SW_FT_DIR, 0755);
	add(e, &n, "/a", SW_FT_DIR, 0755);
	free(write_mem(&hdr, e, 2, &len, &r)); /* unsorted */
	CHECK_INT(r, -EINVAL);
	free(e[1].path);
	e[1].path = dup_s("/b");
	free(write_mem(&hdr, e, 2, &len, &r)); /* duplicate */
	CHECK_INT(r, -EINVAL);
	free(write_mem(&hdr, e, 1, &len, &r));
	CHECK_INT(r, 0);
	free(e[0].path);
	e[0].path = dup_s("/b/");
	free(write_mem(&hdr, e, 1, &len, &r));
	CHECK_INT(r, -EINVAL);
	free(e[0].path);
	e[0].path = dup_s("/");
	free(write_mem(&hdr, e, 1, &len, &r));
	CHECK_INT(r, -EINVAL);
	entry_clear(&e[0]);
	n = 0;
	add(e, &n, "/f", SW_FT_FILE, 0755);
	e[0].has_sha256 = 0;
	free(write_mem(&hdr, e, 1, &len, &r)); /* file without a hash */
	CHECK_INT(r, -EINVAL);
	e[0].has_sha256 = 1;
	e[0].interp = dup_s("/bin/sh"); /* interp without exec class */
	free(write_mem(&hdr, e, 1, &len, &r));
	CHECK_INT(r, -EINVAL);
	entry_clear(&e[0]);
	entry_clear(&e[1]);
	hdr.source = (char *)"ftp";
	buf = write_mem(&hdr, NULL, 0, &len, &r);
	CHECK_INT(r, -EINVAL);
	free(buf);
}

#define HDR(n)                                                                          \
	"{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\"," \
	"\"image\":{\"name\":\"/r\"},\"entries\":" #n ",\"generator\":\"sealwatch 0.1.0\"}\n"
#define DIR_A "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n"
#define DIR_B "{\"path\":\"/b\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n"
#define FILE_F(sha, rest)                                                                      \
	"{\"path\":\"/f\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"size\":1," \
	"\"sha256\":\"" sha "\"" rest "}\n"

TEST(rejects_malformed)
{
	static const struct {
		const char *name, *text, *line;
	} cases[] = {
		{ "valid control", NULL, NULL },
		{ "empty file", "", "line 1:" },
		{ "wrong schema", "{\"schema\":\"sealwatch.baseline/v2\"}\n", "line 1:" },
		{ "hash not sha256",
		  "{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha512\",\"source\":\"dir\","
		  "\"image\":{},\"entries\":0,\"generator\":\"g\"}\n",
		  "line 1:" },
		{ "unknown header key",
		  "{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		  "\"image\":{},\"entries\":0,\"generator\":\"g\",\"x\":1}\n",
		  "line 1:" },
		{ "unknown image key",
		  "{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		  "\"image\":{\"tag\":\"x\"},\"entries\":0,\"generator\":\"g\"}\n",
		  "line 1:" },
		{ "header lacks generator",
		  "{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		  "\"image\":{},\"entries\":0}\n",
		  "line 1:" },
		{ "bad config digest",
		  "{\"schema\":\"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"oci\","
		  "\"image\":{\"config_digest\":\"sha256:ABC\"},\"entries\":0,\"generator\":\"g\"}\n",
		  "line 1:" },
		{ "header keys reordered",
		  "{\"hash\":\"sha256\",\"schema\":\"sealwatch.baseline/v1\",\"source\":\"dir\","
		  "\"image\":{},\"entries\":0,\"generator\":\"g\"}\n",
		  "line 1:" },
		{ "spaces in header",
		  "{\"schema\": \"sealwatch.baseline/v1\",\"hash\":\"sha256\",\"source\":\"dir\","
		  "\"image\":{},\"entries\":0,\"generator\":\"g\"}\n",
		  "line 1:" },
		{ "count too high", HDR(2) DIR_A, "line 3:" },
		{ "count too low", HDR(1) DIR_A DIR_B, "line 3:" },
		{ "unsorted", HDR(2) DIR_B DIR_A, "line 3:" },
		{ "duplicate", HDR(2) DIR_A DIR_A, "line 3:" },
		{ "blank line", HDR(2) DIR_A "\n" DIR_B, "line 3:" },
		{ "trailing blank line", HDR(1) DIR_A "\n", "line 3:" },
		{ "CRLF",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\r\n",
		  "line 2:" },
		{ "truncated last line",
		  HDR(2) DIR_A "{\"path\":\"/b\",\"type\":\"dir\",\"mode\":\"07", "line 3:" },
		{ "trailing garbage", HDR(1) DIR_A "garbage", "line 3:" },
		{ "unknown entry key",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
			 "\"mtime\":1}\n",
		  "line 2:" },
		{ "mode 3 digits",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "mode not octal",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0789\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "mode as number",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":755,\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "negative uid",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":-1,\"gid\":0}\n",
		  "line 2:" },
		{ "gid too large",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			 "\"gid\":4294967296}\n",
		  "line 2:" },
		{ "uid as float",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0.0,\"gid\":0}\n",
		  "line 2:" },
		{ "bad hex", HDR(1) FILE_F("zz" HEX_AB, ""), "line 2:" },
		{ "uppercase hex",
		  HDR(1) FILE_F("ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB",
				""),
		  "line 2:" },
		{ "short hex", HDR(1) FILE_F("abab", ""), "line 2:" },
		{ "file without sha256",
		  HDR(1) "{\"path\":\"/f\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,"
			 "\"size\":1}\n",
		  "line 2:" },
		{ "sha256 on a dir",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
			 "\"sha256\":\"" HEX_AB "\"}\n",
		  "line 2:" },
		{ "symlink without link",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"symlink\",\"mode\":\"0777\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "char without major",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"char\",\"mode\":\"0666\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "unknown type",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"door\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "exec none written", HDR(1) FILE_F(HEX_AB, ",\"exec\":\"none\""), "line 2:" },
		{ "interp without exec", HDR(1) FILE_F(HEX_AB, ",\"interp\":\"/bin/sh\""),
		  "line 2:" },
		{ "implicit false",
		  HDR(1) "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
			 "\"implicit\":false}\n",
		  "line 2:" },
		{ "bad base64 caps", HDR(1) FILE_F(HEX_AB, ",\"caps\":\"AQI\""), "line 2:" },
		{ "non-canonical base64", HDR(1) FILE_F(HEX_AB, ",\"caps\":\"AQJ=\""), "line 2:" },
		{ "root entry",
		  HDR(1) "{\"path\":\"/\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "relative path",
		  HDR(1) "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "dotdot path",
		  HDR(1) "{\"path\":\"/a/../b\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			 "\"gid\":0}\n",
		  "line 2:" },
		{ "trailing slash",
		  HDR(1) "{\"path\":\"/a/\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "unescaped newline in path",
		  HDR(1) "{\"path\":\"/a\\n\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "bad escape",
		  HDR(1) "{\"path\":\"/a%zz\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "lowercase escape",
		  HDR(1) "{\"path\":\"/a%0a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "JSON \\u escape",
		  HDR(1) "{\"path\":\"/\\u0061\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			 "\"gid\":0}\n",
		  "line 2:" },
		{ "entry keys reordered",
		  HDR(1) "{\"type\":\"dir\",\"path\":\"/a\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "duplicate key",
		  HDR(1) "{\"path\":\"/a\",\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\","
			 "\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
		{ "array line", HDR(1) "[1]\n", "line 2:" },
		{ "invalid UTF-8 in JSON",
		  HDR(1) "{\"path\":\"/\xff\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}\n",
		  "line 2:" },
	};
	char *big;
	size_t len;

	for (size_t i = 1; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_error err = { { 0 } };
		int r = parse_str(cases[i].text, &err);

		if (getenv("SW_PRINT_ERRORS"))
			printf("  %-28s %s\n", cases[i].name, err.msg);
		if (r != -EBADMSG || strncmp(err.msg, cases[i].line, strlen(cases[i].line))) {
			fprintf(stderr, "  case \"%s\": %d \"%s\"\n", cases[i].name, r, err.msg);
			check_current_failed = 1;
		}
	}
	/* the fixtures' valid parts really are valid */
	CHECK_INT(parse_str(HDR(2) DIR_A DIR_B, NULL), 0);
	CHECK_INT(parse_str(HDR(1) FILE_F(HEX_AB, ",\"exec\":\"script\",\"interp\":\"/bin/sh\""),
			    NULL),
		  0);
	CHECK_INT(parse_str(HDR(1) FILE_F(HEX_AB, ",\"caps\":\"AQI=\""), NULL), 0);
	/* a line over 1 MiB */
	big = malloc(2 << 20);
	strcpy(big, HDR(1) "{\"path\":\"/");
	len = strlen(big);
	memset(big + len, 'a', (1 << 20) + 10);
	big[len + (1 << 20) + 10] = '\0';
	{
		struct sw_error err = { { 0 } };

		CHECK_INT(parse_str(big, &err), -EBADMSG);
		CHECK(strstr(err.msg, "line 2: longer than 1 MiB") != NULL);
	}
	free(big);
}

int main(void)
{
	RUN(round_trip_every_field);
	RUN(compact_keeps_every_field);
	RUN(known_bytes);
	RUN(empty_and_missing_final_newline);
	RUN(load_from_file);
	RUN(writer_rejects_inconsistent_entries);
	RUN(rejects_malformed);
	return check_exit();
}

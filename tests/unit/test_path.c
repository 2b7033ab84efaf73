// SPDX-License-Identifier: GPL-2.0-only
/* path.c: tar member-name normalization and the reversible escaping of baselines. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "errors.h"
#include "path.h"

static void check_norm(const char *name, const char *want)
{
	struct sw_error err = { { 0 } };
	char *out = NULL;
	int r = path_normalize_member(name, &out, &err);

	if (want) {
		CHECK_INT(r, 0);
		CHECK_STR(out, want);
	} else {
		CHECK_INT(r, -EBADMSG);
		CHECK(err.msg[0] != '\0');
		if (r != -EBADMSG)
			fprintf(stderr, "  accepted \"%s\"\n", name);
	}
	free(out);
}

TEST(normalize_accepts_tar_forms)
{
	check_norm("./x", "/x");
	check_norm("x", "/x");
	check_norm("x/", "/x");
	check_norm("./", "/");
	check_norm(".", "/");
	check_norm("", "/");
	check_norm("./usr/bin/ls", "/usr/bin/ls");
	check_norm("usr//bin/./ls/", "/usr/bin/ls");
	check_norm("././a/.//b", "/a/b");
	check_norm("...", "/...");
	check_norm("..a/b..", "/..a/b..");
	check_norm("a/.hidden", "/a/.hidden");
	check_norm("a b/\xff\n", "/a b/\xff\n");
}

TEST(normalize_rejects_escapes_and_absolute)
{
	char *long_name = malloc(PATH_MAX + 2);

	check_norm("..", NULL);
	check_norm("../etc/passwd", NULL);
	check_norm("a/../../b", NULL);
	check_norm("a/..", NULL);
	check_norm("./a/../b", NULL);
	check_norm("/etc/passwd", NULL);
	check_norm("/", NULL);
	check_norm("//x", NULL);
	memset(long_name, 'a', PATH_MAX + 1);
	long_name[PATH_MAX + 1] = '\0';
	check_norm(long_name, NULL);
	free(long_name);
}

static void check_escape(const char *raw, const char *want)
{
	char *esc = path_escape(raw), *back = NULL;

	CHECK_STR(esc, want);
	CHECK_INT(path_unescape(esc, &back), 0);
	CHECK_STR(back, raw);
	free(esc);
	free(back);
}

TEST(normalize_length_limit)
{
	char *name = malloc(PATH_MAX + 1), *out = NULL;

	memset(name, 'a', PATH_MAX);
	name[PATH_MAX] = '\0';
	CHECK_INT(path_normalize_member(name, &out, NULL), 0);
	CHECK(out && strlen(out) == PATH_MAX + 1);
	free(out);
	free(name);
}

TEST(escape_known_forms)
{
	check_escape("/usr/bin/ls", "/usr/bin/ls");
	check_escape("/a b\"c\\d", "/a b\"c\\d");
	check_escape("/new\nline", "/new%0Aline");
	check_escape("/tab\there\r", "/tab%09here%0D");
	check_escape("/100%", "/100%25");
	check_escape("/del\x7f", "/del%7F");
	check_escape("/caf\xc3\xa9", "/caf\xc3\xa9"); /* é kept */
	check_escape("/\xe2\x82\xac\xf0\x9f\x98\x80", "/\xe2\x82\xac\xf0\x9f\x98\x80"); /* € 😀 */
	check_escape("/\xef\xbf\xbf", "/\xef\xbf\xbf"); /* U+FFFF is valid UTF-8 */
	check_escape("/c1\xc2\x80\xc2\x9f", "/c1%C2%80%C2%9F"); /* C1 controls */
	check_escape("/nbsp\xc2\xa0", "/nbsp\xc2\xa0"); /* U+00A0 kept */
	check_escape("/latin1\xe9", "/latin1%E9"); /* lone byte */
	check_escape("/\xc0\xaf", "/%C0%AF"); /* overlong '/' */
	check_escape("/\xe0\x80\xaf", "/%E0%80%AF"); /* overlong 3-byte */
	check_escape("/\xf0\x80\x80\xaf", "/%F0%80%80%AF"); /* overlong 4-byte */
	check_escape("/\xed\xa0\x80", "/%ED%A0%80"); /* surrogate U+D800 */
	check_escape("/\xf4\x90\x80\x80", "/%F4%90%80%80"); /* > U+10FFFF */
	check_escape("/\xf5\x80\x80\x80", "/%F5%80%80%80");
	check_escape("/\xe2\x82", "/%E2%82"); /* truncated at end */
	check_escape("/\xe2\x82x", "/%E2%82x"); /* truncated mid */
	check_escape("/\x80", "/%80"); /* lone continuation */
	check_escape("/\xf0\x9f\x98", "/%F0%9F%98");
	check_escape("", "");
}

TEST(unescape_rejects_non_canonical)
{
	static const char *const bad[] = {
		"%",	 "%4",	     "%G0",	     "%00",
		"/a%2f", "%2F", /* '/' needs no escape */
		"%41",	 "%e9",	     "\n",	     "/a\tb",
		"\x7f",	 "\xc2\x85", /* literal C1 */
		"\xe9",	 "\xc0\xaf", "\xed\xa0\x80", "%C3%A9", /* valid UTF-8 escaped */
		"%0a",	 "%%",	     "100%",	     "%E2%82%AC",
	};
	static const char *const good[] = { "%0A",  "%25",    "%C3",	"%C2",
					    "%C3x", "%C2%85", "%E9%E9", "%7F" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		int r = path_unescape(bad[i], &out);

		CHECK_INT(r, -EBADMSG);
		if (r != -EBADMSG)
			fprintf(stderr, "  accepted bad[%zu]\n", i);
		free(out);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *out = NULL;

		CHECK_INT(path_unescape(good[i], &out), 0);
		free(out);
	}
}

static unsigned rng_state = 12345;

static unsigned rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

TEST(round_trip_random_bytes)
{
	static const unsigned char pool[] = { 0x01, 0x0a, 0x1f, 0x20, '%',  '/',  'a',	0x7f,
					      0x80, 0x9f, 0xbf, 0xc0, 0xc2, 0xc3, 0xdf, 0xe0,
					      0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x90 };
	char raw[64];

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rng() % (sizeof(raw) - 1);
		char *esc, *back = NULL;

		for (size_t i = 0; i < n; i++)
			raw[i] = (char)(iter & 1 ? pool[rng() % sizeof(pool)] : (rng() % 255) + 1);
		raw[n] = '\0';
		esc = path_escape(raw);
		CHECK(esc != NULL);
		if (!esc)
			return;
		/* the escaped form holds no control byte, DEL or bare '%' */
		for (const unsigned char *p = (unsigned char *)esc; *p; p++) {
			CHECK(*p >= 0x20 && *p != 0x7f);
			if (*p == '%')
				CHECK(p[1] && p[2]);
		}
		CHECK_INT(path_unescape(esc, &back), 0);
		CHECK(back && strcmp(back, raw) == 0);
		free(esc);
		free(back);
		if (check_current_failed)
			return;
	}
}

TEST(dirname_basename)
{
	char buf[64];

	path_dirname("/usr/bin/ls", buf, sizeof(buf));
	CHECK_STR(buf, "/usr/bin");
	path_dirname("/x", buf, sizeof(buf));
	CHECK_STR(buf, "/");
	path_dirname("/", buf, sizeof(buf));
	CHECK_STR(buf, "/");
	path_dirname("/abcdef/g", buf, 4);
	CHECK_STR(buf, "/ab");
	CHECK_STR(path_basename("/usr/bin/ls"), "ls");
	CHECK_STR(path_basename("/x"), "x");
	CHECK_STR(path_basename("/"), "/");
	CHECK_STR(path_basename("name"), "name");
}

int main(void)
{
	RUN(normalize_accepts_tar_forms);
	RUN(normalize_rejects_escapes_and_absolute);
	RUN(normalize_length_limit);
	RUN(escape_known_forms);
	RUN(unescape_rejects_non_canonical);
	RUN(round_trip_random_bytes);
	RUN(dirname_basename);
	return check_exit();
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal unit-test harness. Each test prints "PASS: unit/<file>/<name>" or
 * "FAIL: …"; tests/run.sh counts those lines.
 *
 *   TEST(parses_header) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *   int main(void) { RUN(parses_header); return check_exit(); }
 */
#ifndef SW_TEST_CHECK_H
#define SW_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_current_failed;
static int check_any_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			check_current_failed = 1;                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                          \
	do {                                                                                     \
		const char *check_a_ = (a), *check_b_ = (b);                                     \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {                      \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,       \
				check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
			check_current_failed = 1;                                                \
		}                                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                                   \
	do {                                                                              \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);           \
		if (check_a_ != check_b_) {                                               \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, \
				__LINE__, #a, check_a_, check_b_);                        \
			check_current_failed = 1;                                         \
		}                                                                         \
	} while (0)

#define TEST(name) static void name(void)

#define RUN(name)                                                                  \
	do {                                                                       \
		check_current_failed = 0;                                          \
		name();                                                            \
		printf("%s: unit/%s/%s\n", check_current_failed ? "FAIL" : "PASS", \
		       check_basename(__FILE__), #name);                           \
		fflush(stdout);                                                    \
		check_any_failed |= check_current_failed;                          \
	} while (0)

static inline const char *check_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static inline int check_exit(void)
{
	return check_any_failed ? 1 : 0;
}

#endif

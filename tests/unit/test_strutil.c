// SPDX-License-Identifier: GPL-2.0-only
/* strutil.c: the edit distance and the "did you mean" pick of the CLI. */
#include <string.h>

#include "check.h"
#include "strutil.h"

TEST(distance)
{
	CHECK_INT(str_distance("scan", "scan", 2), 0);
	CHECK_INT(str_distance("sacn", "scan", 2), 1); /* two neighbours swapped */
	CHECK_INT(str_distance("basline", "baseline", 2), 1);
	CHECK_INT(str_distance("daemn", "daemon", 2), 1);
	CHECK_INT(str_distance("kitten", "sitting", 3), 3);
	CHECK_INT(str_distance("kitten", "sitting", 2), 3); /* more than max: max + 1 */
	CHECK_INT(str_distance("", "abc", 5), 3);
	CHECK_INT(str_distance("a", "abcdefgh", 2), 3); /* lengths alone rule it out */
	{
		char long_word[200];

		memset(long_word, 'a', sizeof(long_word) - 1);
		long_word[sizeof(long_word) - 1] = '\0';
		/* longer than the table: never a match, never a read past it */
		CHECK_INT(str_distance(long_word, long_word, 2), 3);
	}
}

TEST(closest)
{
	static const char *const cmds[] = { "baseline", "scan", "verify", "verify-bundle",
					    "push",	"pull", "version" };
	size_t n = sizeof(cmds) / sizeof(cmds[0]);
	const char *r;

	r = str_closest("basline", cmds, n);
	CHECK(r && !strcmp(r, "baseline"));
	r = str_closest("verfy", cmds, n);
	CHECK(r && !strcmp(r, "verify"));
	r = str_closest("verify-bundel", cmds, n);
	CHECK(r && !strcmp(r, "verify-bundle"));
	r = str_closest("sca", cmds, n); /* a prefix of one */
	CHECK(r && !strcmp(r, "scan"));
	CHECK(str_closest("pu", cmds, n) == NULL); /* push or pull: no guess */
	CHECK(str_closest("ver", cmds, n) == NULL);
	CHECK(str_closest("xyz", cmds, n) == NULL);
	CHECK(str_closest("", cmds, n) == NULL);
	r = str_closest("pusx", cmds, n); /* one edit from push, two from pull */
	CHECK(r && !strcmp(r, "push"));
	CHECK(str_closest("pulh", cmds, n) == NULL); /* one edit from both: no guess */
}

int main(void)
{
	RUN(distance);
	RUN(closest);
	return check_exit();
}

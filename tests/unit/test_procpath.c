// SPDX-License-Identifier: GPL-2.0-only
/* procpath.c: lexical normalization, relative paths against a real cwd, dentry names. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "procpath.h"

static const char *norm(const char *in)
{
	static char out[PATH_MAX];

	return procpath_normalize(in, out, sizeof(out)) ? NULL : out;
}

TEST(normalize)
{
	CHECK_STR(norm("/"), "/");
	CHECK_STR(norm("//etc//passwd/"), "/etc/passwd");
	CHECK_STR(norm("/etc/./ld.so.preload"), "/etc/ld.so.preload");
	CHECK_STR(norm("/usr/bin/../lib/x.so"), "/usr/lib/x.so");
	CHECK_STR(norm("/../../etc/passwd"), "/etc/passwd");
	CHECK_STR(norm("/a/.."), "/");
	CHECK(norm("etc/passwd") == NULL);
}

TEST(normalize_too_long)
{
	char out[8];

	CHECK_INT(procpath_normalize("/abcdefgh", out, sizeof(out)), -ENAMETOOLONG);
	CHECK_INT(procpath_normalize("/abc", out, sizeof(out)), 0);
}

TEST(resolve_relative_to_cwd)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 8];

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/x.sh", strcmp(cwd, "/") ? cwd : "");
	CHECK_INT(procpath_resolve(getpid(), -100, "./sub/../x.sh", out, sizeof(out)), 0);
	CHECK_STR(out, want);
	CHECK_INT(procpath_resolve(getpid(), -100, "/etc//hosts", out, sizeof(out)), 0);
	CHECK_STR(out, "/etc/hosts");
	/* an fd that is not a directory, and a process that does not exist */
	CHECK_INT(procpath_resolve(getpid(), 0, "x", out, sizeof(out)) == 0 && out[0] != '/', 0);
	CHECK_INT(procpath_resolve(INT_MAX, -100, "x", out, sizeof(out)), -ESRCH);
}

TEST(dentries)
{
	char out[256];
	const char names[] = "libc.so.6\0x86_64-linux-gnu\0lib\0usr\0";

	CHECK_INT(procpath_from_dentries(names, sizeof(names), out, sizeof(out)), 0);
	CHECK_STR(out, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	CHECK_INT(procpath_from_dentries("", 1, out, sizeof(out)), -EINVAL);
	CHECK_INT(procpath_from_dentries(names, sizeof(names), out, 10), -ENAMETOOLONG);
}

int main(void)
{
	RUN(normalize);
	RUN(normalize_too_long);
	RUN(resolve_relative_to_cwd);
	RUN(dentries);
	return check_exit();
}

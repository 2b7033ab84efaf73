// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for tests/integration/test_enforce.sh, linked statically so it
 * runs inside minimal containers:
 *   enforce_try PATH [ARGV0 ARGS…]  execv(PATH, [ARGV0 ARGS…]) (ARGV0 defaults to
 *                            PATH; busybox wants an applet name); when it fails,
 *                            print "errno=N (NAME)" and exit 100 + N
 * So the test asserts the exact errno a denied exec got (EPERM = 1: exit 101).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int e;

	if (argc < 2)
		return 2;
	if (argc > 2)
		execv(argv[1], argv + 2);
	else
		execv(argv[1], argv + 1);
	e = errno;
	printf("errno=%d (%s)\n", e, e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : strerror(e));
	return 100 + e;
}

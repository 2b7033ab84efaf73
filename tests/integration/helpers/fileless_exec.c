// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper, linked statically so it runs inside minimal containers:
 *   fileless_exec memfd SRC ARGS…    copy SRC into a memfd and fexecve it
 *   fileless_exec deleted SRC ARGS…  copy SRC to a temp file, unlink it, exec it
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static int copy(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char path[64], tmpl[] = "/tmp/fileless.XXXXXX";
	int in, fd;

	if (argc < 3)
		return 2;
	in = open(argv[2], O_RDONLY);
	if (in < 0)
		return 3;
	if (!strcmp(argv[1], "memfd")) {
		fd = memfd_create("payload", 0);
	} else {
		fd = mkstemp(tmpl);
		if (fd >= 0)
			fchmod(fd, 0755);
	}
	if (fd < 0 || copy(in, fd))
		return 4;
	if (strcmp(argv[1], "memfd")) {
		/* reopen read-only (an fd open for writing cannot be executed), then unlink */
		int ro = open(tmpl, O_RDONLY | O_CLOEXEC);

		close(fd);
		fd = ro;
		unlink(tmpl);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	execve(path, argv + 2, environ);
	perror("execve");
	return 5;
}

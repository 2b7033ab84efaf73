// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's loss record (--state-file), from the fuzzer, through daemon_state_load(). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon_state.h"
#include "errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	struct daemon_state st;
	struct sw_error err;
	char *report;
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/sw-fuzz-state.%d.json",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	daemon_state_load(path, &st, &err);
	report = daemon_state_previous_report(path);
	free(report);
	return 0;
}

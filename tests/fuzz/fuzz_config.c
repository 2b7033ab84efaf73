// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's JSON config file, from the fuzzer, through config_load_file(). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	struct sw_config c;
	struct sw_error err;
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/sw-fuzz-config.%d.json",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	config_init(&c);
	config_load_file(&c, path, &err);
	config_clear(&c);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * A dynamically linked program for tests/integration/test_doors.sh: links
 * libsw.so (the image's library) and, with "dlopen LIB", loads another one.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int sw_lib_value(void);

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "dlopen") && !dlopen(argv[2], RTLD_NOW)) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	printf("%d\n", sw_lib_value());
	return 0;
}

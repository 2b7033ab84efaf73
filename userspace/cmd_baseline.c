// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"
#include "exitcode.h"

int cmd_baseline(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sealwatch: baseline: not implemented\n");
	return SW_EXIT_IO;
}

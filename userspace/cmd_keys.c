// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"
#include "exitcode.h"

int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sealwatch: keygen: not implemented\n");
	return SW_EXIT_IO;
}

int cmd_sign(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sealwatch: sign: not implemented\n");
	return SW_EXIT_IO;
}

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sealwatch: verify: not implemented\n");
	return SW_EXIT_IO;
}

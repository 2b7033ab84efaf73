// SPDX-License-Identifier: GPL-2.0-only
/* Usage errors of the subcommands (commands.h): one line, one exit code. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcode.h"
#include "log.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s: %s (try 'sealwatch %s --help')", cmd, msg, cmd);
	return SW_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' requires an argument", arg);
	if (!strncmp(arg, "--", 2))
		return cli_usage_error(cmd, "unknown or malformed option '%s'", arg);
	return cli_usage_error(cmd, "unknown option '-%c'", optopt ? optopt : '?');
}

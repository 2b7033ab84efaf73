/* SPDX-License-Identifier: GPL-2.0-only */
/* Subcommand entry points: argv[0] is the subcommand name; return an exit code. */
#ifndef SW_COMMANDS_H
#define SW_COMMANDS_H

#include "version.h"

int cmd_baseline(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_emit(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);

/* $DOCKER_CONFIG/config.json or ~/.docker/config.json when it exists, else NULL (static). */
const char *cli_default_auth_file(void);

#endif

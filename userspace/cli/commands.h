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
int cmd_profile(int argc, char **argv);

/* One usage error line for subcommand @cmd ("… (try 'sealwatch CMD --help')"); SW_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long returned '?' or ':' (opterr 0): the one line for it; SW_EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);

/* $DOCKER_CONFIG/config.json or ~/.docker/config.json when it exists, else NULL (static). */
const char *cli_default_auth_file(void);

int cmd_verify_bundle(int argc, char **argv);

/* Keyless verification shared by `verify --bundle` and `verify-bundle` (cmd_sigstore.c). */
#include <stdbool.h>
#define SIGSTORE_DEFAULT_ROOT_DIR "/etc/sealwatch/sigstore"
struct sigstore_cli_args {
	const char *bundle, *identity, *identity_regexp, *issuer, *key, *trusted_root, *input;
	bool staging;
};
/* 0 when the arguments are complete, else SW_EXIT_USAGE after one error line. */
int sigstore_cli_check_args(const char *cmd, const struct sigstore_cli_args *a);
/* Verify and print one line; returns the exit code. */
int sigstore_cli_verify(const struct sigstore_cli_args *a);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to cli/: the long options several subcommands share, as entries of
 * their getopt_long tables and as one handler per group. Each handler takes
 * getopt_long's return value and tells whether it was one of its options.
 */
#ifndef SW_CLI_OPTIONS_H
#define SW_CLI_OPTIONS_H

#include <stdbool.h>

struct reg_opts;
struct sigstore_cli_args;
struct sw_image_opts;

/* long-only codes, above any short option's */
enum cli_option {
	CLI_OPT_INSECURE = 0x100,
	CLI_OPT_CA_FILE,
	CLI_OPT_AUTH_FILE,
	CLI_OPT_TOKEN_FILE,
	CLI_OPT_IDENTITY,
	CLI_OPT_IDENTITY_REGEXP,
	CLI_OPT_ISSUER,
	CLI_OPT_TRUSTED_ROOT,
	CLI_OPT_PLATFORM,
	CLI_OPT_EXCLUDE,
	CLI_OPT_ALLOW_DEVICES,
};

/* a registry's connection (struct reg_opts) */
#define CLI_REGISTRY_OPTIONS                                                 \
	{ "insecure", no_argument, NULL, CLI_OPT_INSECURE },                 \
		{ "ca-file", required_argument, NULL, CLI_OPT_CA_FILE },     \
		{ "auth-file", required_argument, NULL, CLI_OPT_AUTH_FILE }, \
	{                                                                    \
		"token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE    \
	}
bool cli_registry_option(int c, struct reg_opts *ro);

/* the keyless signer and the trusted root (struct sigstore_cli_args, not the bundle) */
#define CLI_KEYLESS_OPTIONS                                                             \
	{ "certificate-identity", required_argument, NULL, CLI_OPT_IDENTITY },          \
		{ "certificate-identity-regexp", required_argument, NULL,               \
		  CLI_OPT_IDENTITY_REGEXP },                                            \
		{ "certificate-oidc-issuer", required_argument, NULL, CLI_OPT_ISSUER }, \
	{                                                                               \
		"trusted-root", required_argument, NULL, CLI_OPT_TRUSTED_ROOT           \
	}
bool cli_keyless_option(int c, struct sigstore_cli_args *kl);

/* reading an image (struct sw_image_opts): --platform, --exclude, --allow-devices */
#define CLI_IMAGE_OPTIONS                                                 \
	{ "platform", required_argument, NULL, CLI_OPT_PLATFORM },        \
		{ "exclude", required_argument, NULL, CLI_OPT_EXCLUDE },  \
	{                                                                 \
		"allow-devices", no_argument, NULL, CLI_OPT_ALLOW_DEVICES \
	}
bool cli_image_option(int c, struct sw_image_opts *o);

#endif

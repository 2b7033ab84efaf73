// SPDX-License-Identifier: GPL-2.0-only
/* The long options several subcommands share (cli_options.h). */
#include <getopt.h>
#include <stddef.h>

#include "cli_options.h"
#include "commands.h"
#include "image.h"
#include "registry.h"

bool cli_registry_option(int c, struct reg_opts *ro)
{
	switch (c) {
	case CLI_OPT_INSECURE:
		ro->insecure = true;
		return true;
	case CLI_OPT_CA_FILE:
		ro->ca_file = optarg;
		return true;
	case CLI_OPT_AUTH_FILE:
		ro->auth_file = optarg;
		return true;
	case CLI_OPT_TOKEN_FILE:
		ro->token_file = optarg;
		return true;
	}
	return false;
}

bool cli_keyless_option(int c, struct sigstore_cli_args *kl)
{
	switch (c) {
	case CLI_OPT_IDENTITY:
		kl->identity = optarg;
		return true;
	case CLI_OPT_IDENTITY_REGEXP:
		kl->identity_regexp = optarg;
		return true;
	case CLI_OPT_ISSUER:
		kl->issuer = optarg;
		return true;
	case CLI_OPT_TRUSTED_ROOT:
		kl->trusted_root = optarg;
		return true;
	}
	return false;
}

bool cli_image_option(int c, struct sw_image_opts *o)
{
	switch (c) {
	case CLI_OPT_PLATFORM:
		o->platform = optarg;
		return true;
	case CLI_OPT_EXCLUDE:
		o->excludes[o->n_excludes++] = optarg;
		return true;
	case CLI_OPT_ALLOW_DEVICES:
		o->limits.allow_devices = true;
		return true;
	}
	return false;
}

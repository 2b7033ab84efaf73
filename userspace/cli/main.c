// SPDX-License-Identifier: GPL-2.0-only
/* sealwatch: one binary, subcommands (docs/cli.md, docs/architecture.md). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcode.h"
#include "strutil.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "baseline", cmd_baseline, "hash every file of an image or tree into a baseline" },
	{ "keygen", cmd_keygen, "generate a signing key pair (ECDSA P-256 or Ed25519)" },
	{ "sign", cmd_sign, "sign a baseline (writes FILE.sig)" },
	{ "verify", cmd_verify, "verify a baseline's detached signature" },
	{ "verify-bundle", cmd_verify_bundle,
	  "verify a Sigstore bundle (conformance CLI protocol)" },
	{ "push", cmd_push, "attach a signed baseline to its image in an OCI registry" },
	{ "pull", cmd_pull, "fetch and verify the baselines attached to an image in a registry" },
	{ "scan", cmd_scan, "compare an image or tree with its signed baseline" },
	{ "profile", cmd_profile,
	  "an image's learned behaviour: lock, unlock, reset, show, export (docs/profiles.md)" },
	{ "daemon", cmd_daemon, "monitor every exec against signed baselines (needs root)" },
	{ "emit", cmd_emit, "send JSON event lines through the sinks (checks a SIEM setup)" },
	{ "trace", cmd_trace, "debug: print the BPF exec events as JSON (needs root)" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: sealwatch COMMAND [OPTIONS]\n\n"
		     "Host runtime file-integrity monitor: signed per-file baselines of\n"
		     "container images, checked offline or at every exec.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-10s %s\n", "version", "print the version");
	fprintf(out, "\nRun 'sealwatch COMMAND --help' for a command's options.\n"
		     "Exit codes: 0 ok, 1 scan found differences, 2 usage, 3 bad input,\n"
		     "4 bad or missing signature, 5 I/O error, 6 safety limit exceeded.\n");
}

static void unknown_command(const char *word)
{
	const char *names[sizeof(commands) / sizeof(commands[0]) + 1];
	size_t n = 0;
	const char *near;

	for (; n < sizeof(commands) / sizeof(commands[0]); n++)
		names[n] = commands[n].name;
	names[n++] = "version";
	near = str_closest(word, names, n);
	if (near)
		fprintf(stderr,
			"sealwatch: error: unknown command '%s'; did you mean '%s'? (try "
			"'sealwatch --help')\n",
			word, near);
	else
		fprintf(stderr, "sealwatch: error: unknown command '%s' (try 'sealwatch --help')\n",
			word);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return SW_EXIT_OK;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("sealwatch %s\n", SW_VERSION);
		return SW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	unknown_command(argv[1]);
	return SW_EXIT_USAGE;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sealwatch emit --output SPEC… [FILE]`: send JSON event lines (FILE or stdin)
 * through the daemon's sinks, then flush them. Checks a SIEM setup end to end
 * without waiting for an alert, and lets tests drive every sink without BPF.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "config.h"
#include "errors.h"
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "sink.h"

#define EMIT_LINE_MAX (1u << 20)

static void usage(FILE *out)
{
	fprintf(out, "Usage: sealwatch emit --output SINK [--output SINK…] [FILE]\n\n"
		     "Send JSON event lines (one object per line, from FILE or stdin) to the\n"
		     "sinks, as the daemon would, and wait for them to be delivered (at most\n"
		     "5 s after the input ends). SINK is any daemon --output (docs/siem.md).\n\n"
		     "  -o, --output SINK   where to send (repeatable, required)\n"
		     "      --metrics       print the sink metrics on stderr at the end\n"
		     "  -h, --help          this text\n\n"
		     "Exit codes: 0 every line queued, 2 usage, 3 bad sink spec or a line that\n"
		     "is not a JSON object, 5 I/O error. Delivery failures are in the metrics.\n");
}

/* Every line of @in to @sinks, each checked to be one JSON object: an exit code. */
static int emit_lines(FILE *in, struct sw_sinks *sinks)
{
	size_t cap = 0, lineno = 0;
	char *line = NULL;
	int code = SW_EXIT_OK;
	ssize_t len;

	while ((len = getline(&line, &cap, in)) >= 0) {
		json_t *j;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		j = (size_t)len <= EMIT_LINE_MAX ? json_loads(line, JSON_REJECT_DUPLICATES, NULL) :
						   NULL;
		if (!json_is_object(j) || strchr(line, '\n')) {
			json_decref(j);
			fprintf(stderr, "sealwatch emit: line %zu: not a JSON object\n", lineno);
			code = SW_EXIT_BAD_INPUT;
			break;
		}
		json_decref(j);
		sinks_emit(sinks, line);
	}
	free(line);
	return code;
}

int cmd_emit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *outputs[SW_CONFIG_MAX_LIST];
	size_t n_outputs = 0;
	struct sw_error err = { { 0 } };
	struct sw_sinks *sinks = NULL;
	bool show_metrics = false;
	FILE *in = stdin;
	int c, code = SW_EXIT_OK, r;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (config_list_add(outputs, &n_outputs, optarg)) {
				fprintf(stderr, "sealwatch emit: too many --output\n");
				code = SW_EXIT_USAGE;
				goto out;
			}
			break;
		case 'm':
			show_metrics = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			code = SW_EXIT_USAGE;
			goto out;
		}
	}
	if (!n_outputs || argc - optind > 1) {
		fprintf(stderr, "sealwatch emit: %s\n",
			n_outputs ? "at most one input file" : "--output is required");
		code = SW_EXIT_USAGE;
		goto out;
	}
	if (optind < argc) {
		in = fopen(argv[optind], "re");
		if (!in) {
			fprintf(stderr, "sealwatch emit: %s: %s\n", argv[optind], strerror(errno));
			code = SW_EXIT_IO;
			goto out;
		}
	}
	r = sinks_new(outputs, n_outputs, &sinks, &err);
	if (r) {
		fprintf(stderr, "sealwatch emit: %s\n", err.msg);
		code = sw_exit_from_errno(r);
		goto out;
	}
	code = emit_lines(in, sinks);
	sinks_free(sinks);
	if (show_metrics) {
		char *m = metrics_render();

		if (m)
			fputs(m, stderr);
		free(m);
	}
out:
	if (in && in != stdin)
		fclose(in);
	for (size_t i = 0; i < n_outputs; i++)
		free(outputs[i]);
	return code;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sink specs and wire formats on arbitrary bytes. The first line is a sink
 * spec: parsed, its host:port split, every typed option read. The rest is an
 * event line: turned into every format and into syslog header fields, which
 * must stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sink_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl, *line;
	struct sw_error err = { { 0 } };
	struct sink_spec spec;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	line = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';
	if (!sink_spec_parse(s, &spec, &err)) {
		char *host = NULL, *port = NULL;
		const char *path = NULL, *str = NULL;
		uint64_t size_v;
		unsigned int u;
		bool b;

		for (size_t i = 0; i < spec.n_opts; i++) {
			const char *k = spec.opts[i].key;

			sink_opt_str(&spec, k, &str);
			sink_opt_size(&spec, k, &size_v, &err);
			sink_opt_ms(&spec, k, &u, &err);
			sink_opt_uint(&spec, k, 0, 1000, &u, &err);
			sink_opt_bool(&spec, k, &b, &err);
		}
		if (!sink_parse_hostport(spec.target, &host, &port, &path, &err)) {
			if (!*host || strlen(port) > 5)
				abort();
			free(host);
			free(port);
		}
		sink_spec_clear(&spec);
	}
	for (int f = SINK_FORMAT_JSON; f <= SINK_FORMAT_ELASTIC_BULK; f++) {
		struct sink_buf out = { 0 };

		if (!sink_format_line((enum sink_format)f, line, "idx", &out) &&
		    (!out.len || out.data[out.len - 1] != '\n'))
			abort();
		sink_buf_free(&out);
	}
	{
		char msgid[40], ts[64];
		int sev;

		sink_syslog_fields(line, &sev, msgid, sizeof(msgid), ts, sizeof(ts));
		if (sev < 0 || sev > 7 || strlen(msgid) > 32 || !*msgid || !*ts)
			abort();
	}
	free(s);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* args.c: the daemon's command line over its config file (daemon.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf_loader.h"
#include "config.h"
#include "daemon.h"
#include "errors.h"
#include "metrics_http.h"

static void daemon_usage(FILE *out)
{
	fprintf(out,
		"Usage: sealwatch daemon [OPTIONS]\n\n"
		"Verify every exec on this host against signed baselines; JSON events out.\n\n"
		"Options (each also a config key, docs/daemon.md):\n"
		"  -c, --config FILE          JSON config file\n"
		"  -b, --baseline-dir DIR     signed baselines: NAME.jsonl + NAME.jsonl.sig\n"
		"  -k, --trusted-key PUB.pem  public key baselines must be signed with (repeatable)\n"
		"      --host-baseline FILE   signed baseline of this host (bare metal)\n"
		"  -o, --output SINK          stdout (default), file:PATH, syslog+udp|tcp|tls://H:P,\n"
		"                             http(s)://… with ?options (repeatable, docs/siem.md)\n"
		"  -a, --all-events           also emit verified (ok) execs\n"
		"      --hash-workers N       hashing threads (default 2)\n"
		"      --queue-size N         pending hash jobs (default 4096)\n"
		"      --cache-size N         verdict cache entries (default 65536)\n"
		"      --no-baseline-severity info|low|medium|high|critical (default medium)\n"
		"      --force-tracepoint     use tp/sched_process_exec, not tp_btf\n"
		"      --attach MODE          auto (default: lsm, else tp_btf, else tp), lsm,\n"
		"                             tp_btf or tp: only that mode, fail if unavailable\n"
		"      --no-kernel-cache      send every exec/mapping to userspace (no BPF cache)\n"
		"      --interpreter NAME     verify files this program reads as scripts\n"
		"                             (repeatable, \"python*\" a prefix; default list\n"
		"                             in docs/daemon.md)\n"
		"      --verify-read-path GLOB  verify files read under GLOB (\"/etc/ssl/**\"),\n"
		"                             repeatable\n"
		"      --metrics-listen ADDR:PORT  serve /metrics and /healthz (e.g. 127.0.0.1:9464)\n"
		"      --registry HOST[:PORT] fetch baselines of images without a local one from\n"
		"                             this OCI registry (repeatable: mirrors, in order;\n"
		"                             docs/registry.md)\n"
		"      --registry-insecure    plain HTTP to the registries (labs and tests)\n"
		"      --registry-ca-file PEM CA bundle for the registries' TLS\n"
		"      --registry-auth-file JSON  docker config.json with credentials\n"
		"      --registry-token-file F    bearer token for the registries\n"
		"      --baseline-cache DIR   fetched baselines (default\n"
		"                             " SW_DEFAULT_BASELINE_CACHE ")\n"
		"      --baseline-cache-max N baselines kept in the cache (default 256, LRU)\n"
		"      --registry-retry-max S backoff cap for unreachable registries (default 300)\n"
		"      --registry-negative-ttl S  \"none attached\" remembered S seconds (600)\n"
		"  -v, --verbose              debug logging (also libbpf)\n"
		"  -h, --help                 this help\n\n"
		"Signals: SIGHUP reloads the config file and baselines; SIGINT/SIGTERM stop.\n"
		"Exit codes: 0 stopped cleanly, 2 usage, 3 bad config, 5 system error\n"
		"(not root, no BTF, BPF load failure).\n");
}

enum {
	OPT_REGISTRY = 256,
	OPT_REGISTRY_INSECURE,
	OPT_REGISTRY_CA,
	OPT_REGISTRY_AUTH,
	OPT_REGISTRY_TOKEN,
	OPT_BASELINE_CACHE,
	OPT_BASELINE_CACHE_MAX,
	OPT_REGISTRY_RETRY,
	OPT_REGISTRY_NEGATIVE,
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_count(const char *flag, const char *arg, long min, long max, unsigned int *ret,
		       struct sw_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min || v > max)
		return sw_error_set(err, -EINVAL, "%s: '%s' is not an integer in %ld-%ld", flag,
				    arg, min, max);
	*ret = (unsigned int)v;
	return 0;
}

/*
 * The effective configuration: built-in defaults, then the --config file,
 * then the flags (lists given as flags replace the file's). Run at start and
 * again on every SIGHUP. Returns 1 after --help, 0, -EBADMSG for a bad config
 * file or --metrics-listen value, -EINVAL for a bad command line.
 */
int config_from_args(struct sw_config *cfg, int argc, char **argv, const char **ret_config_file,
		     struct sw_error *err)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "baseline-dir", required_argument, NULL, 'b' },
		{ "trusted-key", required_argument, NULL, 'k' },
		{ "host-baseline", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "all-events", no_argument, NULL, 'a' },
		{ "hash-workers", required_argument, NULL, 'W' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "cache-size", required_argument, NULL, 'C' },
		{ "no-baseline-severity", required_argument, NULL, 'S' },
		{ "force-tracepoint", no_argument, NULL, 'T' },
		{ "attach", required_argument, NULL, 'A' },
		{ "no-kernel-cache", no_argument, NULL, 'K' },
		{ "interpreter", required_argument, NULL, 'I' },
		{ "verify-read-path", required_argument, NULL, 'R' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "registry", required_argument, NULL, OPT_REGISTRY },
		{ "registry-insecure", no_argument, NULL, OPT_REGISTRY_INSECURE },
		{ "registry-ca-file", required_argument, NULL, OPT_REGISTRY_CA },
		{ "registry-auth-file", required_argument, NULL, OPT_REGISTRY_AUTH },
		{ "registry-token-file", required_argument, NULL, OPT_REGISTRY_TOKEN },
		{ "baseline-cache", required_argument, NULL, OPT_BASELINE_CACHE },
		{ "baseline-cache-max", required_argument, NULL, OPT_BASELINE_CACHE_MAX },
		{ "registry-retry-max", required_argument, NULL, OPT_REGISTRY_RETRY },
		{ "registry-negative-ttl", required_argument, NULL, OPT_REGISTRY_NEGATIVE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sw_config flags;
	const char *config_file = NULL;
	bool set_all = false, set_force = false, set_verbose = false, set_no_kcache = false;
	bool set_reg_insecure = false;
	int c, r = 0;

	config_init(&flags);
	/* first pass: only --config, so that flags override the file */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:b:k:o:avh", opts, NULL)) != -1)
		if (c == 'c')
			config_file = optarg;
	*ret_config_file = config_file;
	if (config_file) {
		r = config_load_file(cfg, config_file, err);
		if (r)
			return r == -EBADMSG || r == -ENOENT || r == -EINVAL ? -EBADMSG : r;
	}
	optind = 1;
	while (!r && (c = getopt_long(argc, argv, "c:b:k:o:avh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'b':
			free(cfg->baseline_dir);
			cfg->baseline_dir = strdup(optarg);
			break;
		case 'H':
			free(cfg->host_baseline);
			cfg->host_baseline = strdup(optarg);
			break;
		case 'M': {
			struct sockaddr_storage sa;
			socklen_t len;

			r = metrics_http_parse_addr(optarg, &sa, &len, err);
			if (r) {
				r = sw_error_prefix(err, -EBADMSG, "--metrics-listen");
				break;
			}
			free(cfg->metrics_listen);
			cfg->metrics_listen = strdup(optarg);
			break;
		}
		case 'k':
			if (config_list_add(flags.trusted_keys, &flags.n_trusted_keys, optarg))
				r = sw_error_set(err, -EINVAL, "too many --trusted-key");
			break;
		case 'o':
			if (config_list_add(flags.outputs, &flags.n_outputs, optarg))
				r = sw_error_set(err, -EINVAL, "too many --output");
			break;
		case 'a':
			set_all = true;
			break;
		case 'W':
			r = parse_count("--hash-workers", optarg, 1, 64, &cfg->hash_workers, err);
			break;
		case 'Q':
			r = parse_count("--queue-size", optarg, 16, 1 << 20, &cfg->queue_size, err);
			break;
		case 'C':
			r = parse_count("--cache-size", optarg, 16, 1 << 24, &cfg->cache_size, err);
			break;
		case 'S':
			if (config_severity_from_name(optarg, &cfg->no_baseline_severity))
				r = sw_error_set(err, -EINVAL,
						 "--no-baseline-severity: use info, low, "
						 "medium, high or critical");
			break;
		case 'T':
			set_force = true;
			break;
		case 'A': {
			enum bpf_loader_attach a;

			if (bpf_loader_attach_parse(optarg, &a))
				r = sw_error_set(err, -EINVAL,
						 "--attach: use auto, lsm, tp_btf or tp");
			else
				cfg->attach = (int)a;
			break;
		}
		case 'K':
			set_no_kcache = true;
			break;
		case 'R':
			if (optarg[0] != '/')
				r = sw_error_set(err, -EINVAL,
						 "--verify-read-path: '%s' is not absolute",
						 optarg);
			else if (config_list_add(flags.verify_read_paths,
						 &flags.n_verify_read_paths, optarg))
				r = sw_error_set(err, -EINVAL, "too many --verify-read-path");
			break;
		case 'I':
			if (config_list_add(flags.interpreters, &flags.n_interpreters, optarg))
				r = sw_error_set(err, -EINVAL, "too many --interpreter");
			break;
		case OPT_REGISTRY:
			if (!config_registry_ok(optarg))
				r = sw_error_set(err, -EINVAL,
						 "--registry: '%s' is not HOST[:PORT]", optarg);
			else if (config_list_add(flags.registries, &flags.n_registries, optarg))
				r = sw_error_set(err, -EINVAL, "too many --registry");
			break;
		case OPT_REGISTRY_INSECURE:
			set_reg_insecure = true;
			break;
		case OPT_REGISTRY_CA:
			r = set_str(&cfg->registry_ca_file, optarg);
			break;
		case OPT_REGISTRY_AUTH:
			r = set_str(&cfg->registry_auth_file, optarg);
			break;
		case OPT_REGISTRY_TOKEN:
			r = set_str(&cfg->registry_token_file, optarg);
			break;
		case OPT_BASELINE_CACHE:
			r = set_str(&cfg->baseline_cache, optarg);
			break;
		case OPT_BASELINE_CACHE_MAX:
			r = parse_count("--baseline-cache-max", optarg, 1, 1 << 20,
					&cfg->baseline_cache_max, err);
			break;
		case OPT_REGISTRY_RETRY:
			r = parse_count("--registry-retry-max", optarg, 1, 86400,
					&cfg->registry_retry_max, err);
			break;
		case OPT_REGISTRY_NEGATIVE:
			r = parse_count("--registry-negative-ttl", optarg, 1, 7 * 86400,
					&cfg->registry_negative_ttl, err);
			break;
		case 'v':
			set_verbose = true;
			break;
		case 'h':
			daemon_usage(stdout);
			r = 1;
			break;
		default:
			r = sw_error_set(err, -EINVAL,
					 "unknown option or missing value in '%s' (see --help)",
					 argv[optind - 1]);
		}
	}
	if (!r && optind != argc)
		r = sw_error_set(err, -EINVAL, "unexpected argument '%s'", argv[optind]);
	if (r) {
		config_clear(&flags);
		return r;
	}
	/* list flags replace the file's lists */
	if (flags.n_trusted_keys) {
		for (size_t i = 0; i < cfg->n_trusted_keys; i++)
			free(cfg->trusted_keys[i]);
		memcpy(cfg->trusted_keys, flags.trusted_keys, sizeof(flags.trusted_keys));
		cfg->n_trusted_keys = flags.n_trusted_keys;
		flags.n_trusted_keys = 0;
	}
	if (flags.n_outputs) {
		for (size_t i = 0; i < cfg->n_outputs; i++)
			free(cfg->outputs[i]);
		memcpy(cfg->outputs, flags.outputs, sizeof(flags.outputs));
		cfg->n_outputs = flags.n_outputs;
		flags.n_outputs = 0;
	}
	if (flags.n_interpreters) {
		for (size_t i = 0; i < cfg->n_interpreters; i++)
			free(cfg->interpreters[i]);
		memcpy(cfg->interpreters, flags.interpreters, sizeof(flags.interpreters));
		cfg->n_interpreters = flags.n_interpreters;
		cfg->interpreters_set = true;
		flags.n_interpreters = 0;
	}
	if (flags.n_verify_read_paths) {
		for (size_t i = 0; i < cfg->n_verify_read_paths; i++)
			free(cfg->verify_read_paths[i]);
		memcpy(cfg->verify_read_paths, flags.verify_read_paths,
		       sizeof(flags.verify_read_paths));
		cfg->n_verify_read_paths = flags.n_verify_read_paths;
		flags.n_verify_read_paths = 0;
	}
	if (flags.n_registries) {
		for (size_t i = 0; i < cfg->n_registries; i++)
			free(cfg->registries[i]);
		memcpy(cfg->registries, flags.registries, sizeof(flags.registries));
		cfg->n_registries = flags.n_registries;
		flags.n_registries = 0;
	}
	cfg->registry_insecure |= set_reg_insecure;
	cfg->no_kernel_cache |= set_no_kcache;
	cfg->all_events |= set_all;
	cfg->force_tracepoint |= set_force;
	cfg->verbose |= set_verbose;
	config_clear(&flags);
	if (!cfg->n_outputs && config_list_add(cfg->outputs, &cfg->n_outputs, "stdout"))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (cfg->n_registries && !cfg->baseline_cache &&
	    set_str(&cfg->baseline_cache, SW_DEFAULT_BASELINE_CACHE))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if ((cfg->baseline_dir || cfg->host_baseline || cfg->n_registries) && !cfg->n_trusted_keys)
		return sw_error_set(err, -EINVAL,
				    "baselines need at least one --trusted-key to verify them");
	return 0;
}

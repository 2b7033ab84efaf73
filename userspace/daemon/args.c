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
		"      --trusted-root FILE    Sigstore trusted_root.json: NAME.jsonl.sigstore.json\n"
		"                             bundles are verified keyless, offline\n"
		"      --trusted-identity ISSUER=IDENTITY  a keyless signer (repeatable)\n"
		"      --host-baseline FILE   signed baseline of this host (bare metal)\n"
		"  -o, --output SINK          stdout (default), file:PATH, syslog+udp|tcp|tls://H:P,\n"
		"                             http(s)://… with ?options (repeatable, docs/siem.md)\n"
		"  -a, --all-events           also emit verified (ok) execs\n"
		"      --hash-workers N       hashing threads (default 2)\n"
		"      --queue-size N         pending hash jobs (default 4096)\n"
		"      --cache-size N         verdict cache entries (default 65536)\n"
		"      --hash-max-size SIZE   larger files are judged without hashing (default 1G)\n"
		"      --baseline-max-size SIZE  larger baseline files are refused (default 256M)\n"
		"      --state-file PATH      record what a crash would lose; reported at next start\n"
		"      --no-baseline-severity info|low|medium|high|critical (default medium)\n"
		"      --force-tracepoint     use tp/sched_process_exec, not tp_btf\n"
		"      --attach MODE          auto (default: lsm, else tp_btf, else tp), lsm,\n"
		"                             tp_btf or tp: only that mode, fail if unavailable\n"
		"      --no-kernel-cache      send every exec/mapping to userspace (no BPF cache)\n"
		"      --fold-window SECONDS  fold repeats of one finding into a summary (default 10,\n"
		"                             0: off)\n"
		"      --no-image-mismatch    a container whose image ID is not the signed one of its\n"
		"                             name is no_baseline, not image_mismatch\n"
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
		"      --mode MODE            monitor (default), audit or enforce: the mode of\n"
		"                             every scope no --scope names (\",strict\": deny\n"
		"                             when no decision is reached; docs/enforce.md)\n"
		"      --scope SCOPE=MODE     image:PATTERN, namespace:PATTERN or host, with its\n"
		"                             mode (\",strict\" may follow); repeatable, first match\n"
		"      --no-baseline-action allow|deny  no_baseline in enforce (default allow)\n"
		"      --decision-deadline MS answer a permission by then, else the fallback\n"
		"                             (allow+alert; deny+alert when strict; default 3000)\n"
		"      --enforce-libraries    also decide opens of shared objects (FAN_OPEN_PERM)\n"
		"      --log-format text|json log lines as text (default) or JSON objects;\n"
		"                             under systemd with sd-daemon priority prefixes\n"
		"      --profiles             learn what each image runs, alert on what it never\n"
		"                             did (docs/profiles.md), profiles in\n"
		"                             " SW_DEFAULT_PROFILE_DIR "\n"
		"      --profile-dir DIR      the same, profiles in DIR\n"
		"      --profile-quiet S      locked after S seconds without a new element (3600)…\n"
		"      --profile-min-execs N  …and N execs since the last new one (1000)\n"
		"      --profile-max-learning S  locked S seconds after creation whatever (604800)\n"
		"  -v, --verbose              debug logging (also libbpf)\n"
		"  -h, --help                 this help\n\n"
		"Signals: SIGHUP reloads the config file and baselines; SIGUSR1 reopens file\n"
		"outputs (log rotation); SIGINT/SIGTERM stop.\n"
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
	OPT_MODE,
	OPT_SCOPE,
	OPT_NO_BASELINE_ACTION,
	OPT_DECISION_DEADLINE,
	OPT_ENFORCE_LIBRARIES,
	OPT_LOG_FORMAT,
	OPT_PROFILES,
	OPT_PROFILE_DIR,
	OPT_PROFILE_QUIET,
	OPT_PROFILE_MIN_EXECS,
	OPT_PROFILE_MAX_LEARNING,
};

static int set_str(char **dst, const char *v, struct sw_error *err)
{
	char *s = strdup(v);

	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
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

static const struct option daemon_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "baseline-dir", required_argument, NULL, 'b' },
	{ "trusted-key", required_argument, NULL, 'k' },
	{ "trusted-root", required_argument, NULL, 'G' },
	{ "trusted-identity", required_argument, NULL, 'Y' },
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
	{ "hash-max-size", required_argument, NULL, 'Z' },
	{ "baseline-max-size", required_argument, NULL, 'B' },
	{ "state-file", required_argument, NULL, 'P' },
	{ "fold-window", required_argument, NULL, 'F' },
	{ "no-image-mismatch", no_argument, NULL, 'N' },
	{ "registry", required_argument, NULL, OPT_REGISTRY },
	{ "registry-insecure", no_argument, NULL, OPT_REGISTRY_INSECURE },
	{ "registry-ca-file", required_argument, NULL, OPT_REGISTRY_CA },
	{ "registry-auth-file", required_argument, NULL, OPT_REGISTRY_AUTH },
	{ "registry-token-file", required_argument, NULL, OPT_REGISTRY_TOKEN },
	{ "baseline-cache", required_argument, NULL, OPT_BASELINE_CACHE },
	{ "baseline-cache-max", required_argument, NULL, OPT_BASELINE_CACHE_MAX },
	{ "registry-retry-max", required_argument, NULL, OPT_REGISTRY_RETRY },
	{ "registry-negative-ttl", required_argument, NULL, OPT_REGISTRY_NEGATIVE },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "no-baseline-action", required_argument, NULL, OPT_NO_BASELINE_ACTION },
	{ "decision-deadline", required_argument, NULL, OPT_DECISION_DEADLINE },
	{ "enforce-libraries", no_argument, NULL, OPT_ENFORCE_LIBRARIES },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "profiles", no_argument, NULL, OPT_PROFILES },
	{ "profile-dir", required_argument, NULL, OPT_PROFILE_DIR },
	{ "profile-quiet", required_argument, NULL, OPT_PROFILE_QUIET },
	{ "profile-min-execs", required_argument, NULL, OPT_PROFILE_MIN_EXECS },
	{ "profile-max-learning", required_argument, NULL, OPT_PROFILE_MAX_LEARNING },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};
#define DAEMON_SHORT_OPTS "c:b:k:o:avh"

/* What the flags say besides the values they set in the config directly. */
struct flag_state {
	struct sw_config lists; /* list flags: they replace the file's lists */
	bool all_events, force_tracepoint, verbose, no_kernel_cache, registry_insecure;
	bool enforce_libraries;
	struct sw_policy scopes; /* --scope: they replace the file's scopes */
};

/* The flags without a value that only switch something on. */
static int switch_flag(int c, struct flag_state *st)
{
	bool *on = c == 'a' ? &st->all_events :
		   c == 'T' ? &st->force_tracepoint :
		   c == 'K' ? &st->no_kernel_cache :
			      &st->verbose;

	*on = true;
	return 0;
}

/* The prevention flags (docs/enforce.md). */
static int policy_flag(int c, struct sw_config *cfg, struct flag_state *st, struct sw_error *err)
{
	int r;

	switch (c) {
	case OPT_MODE:
		if (config_mode_from_name(optarg, &cfg->policy))
			return sw_error_set(err, -EINVAL,
					    "--mode: use monitor, audit or enforce (\",strict\" "
					    "may follow), not '%s'",
					    optarg);
		return 0;
	case OPT_SCOPE:
		r = policy_scope_add(&st->scopes, optarg);
		if (r == -E2BIG)
			return sw_error_set(err, -EINVAL, "too many --scope");
		if (r)
			return sw_error_set(
				err, -EINVAL,
				"--scope wants image:PATTERN=MODE, namespace:PATTERN=MODE "
				"or host=MODE (\",strict\" may follow), not '%s'",
				optarg);
		return 0;
	case OPT_NO_BASELINE_ACTION:
		if (strcmp(optarg, "allow") && strcmp(optarg, "deny"))
			return sw_error_set(err, -EINVAL,
					    "--no-baseline-action: use allow or deny");
		cfg->policy.deny_no_baseline = !strcmp(optarg, "deny");
		return 0;
	case OPT_DECISION_DEADLINE:
		return parse_count("--decision-deadline", optarg, 1, SW_POLICY_DEADLINE_MAX_MS,
				   &cfg->policy.deadline_ms, err);
	default: /* OPT_ENFORCE_LIBRARIES */
		st->enforce_libraries = true;
		return 0;
	}
}

/* The registry flags (docs/registry.md); --registry is a list like the others. */
static int registry_flag(int c, struct sw_config *cfg, struct flag_state *st, struct sw_error *err)
{
	struct sw_config *l = &st->lists;

	switch (c) {
	case OPT_REGISTRY:
		if (!config_registry_ok(optarg))
			return sw_error_set(err, -EINVAL, "--registry: '%s' is not HOST[:PORT]",
					    optarg);
		if (config_list_add(l->registries, &l->n_registries, optarg))
			return sw_error_set(err, -EINVAL, "too many --registry");
		return 0;
	case OPT_REGISTRY_INSECURE:
		st->registry_insecure = true;
		return 0;
	case OPT_REGISTRY_CA:
		return set_str(&cfg->registry_ca_file, optarg, err);
	case OPT_REGISTRY_AUTH:
		return set_str(&cfg->registry_auth_file, optarg, err);
	case OPT_REGISTRY_TOKEN:
		return set_str(&cfg->registry_token_file, optarg, err);
	case OPT_BASELINE_CACHE:
		return set_str(&cfg->baseline_cache, optarg, err);
	case OPT_BASELINE_CACHE_MAX:
		return parse_count("--baseline-cache-max", optarg, 1, 1 << 20,
				   &cfg->baseline_cache_max, err);
	case OPT_REGISTRY_RETRY:
		return parse_count("--registry-retry-max", optarg, 1, 86400,
				   &cfg->registry_retry_max, err);
	default: /* OPT_REGISTRY_NEGATIVE */
		return parse_count("--registry-negative-ttl", optarg, 1, 7 * 86400,
				   &cfg->registry_negative_ttl, err);
	}
}

/* The flags that take a list item (repeatable): into st->lists. */
static int list_flag(int c, struct flag_state *st, struct sw_error *err)
{
	struct sw_config *l = &st->lists;

	switch (c) {
	case 'k':
		if (config_list_add(l->trusted_keys, &l->n_trusted_keys, optarg))
			return sw_error_set(err, -EINVAL, "too many --trusted-key");
		return 0;
	case 'o':
		if (config_list_add(l->outputs, &l->n_outputs, optarg))
			return sw_error_set(err, -EINVAL, "too many --output");
		return 0;
	case 'Y': {
		int r = config_identity_add(l, optarg);

		if (r == -E2BIG)
			return sw_error_set(err, -EINVAL, "too many --trusted-identity");
		if (r)
			return sw_error_set(err, -EINVAL,
					    "--trusted-identity wants ISSUER=IDENTITY, not '%s'",
					    optarg);
		return 0;
	}
	case 'R':
		if (optarg[0] != '/')
			return sw_error_set(err, -EINVAL,
					    "--verify-read-path: '%s' is not absolute", optarg);
		if (config_list_add(l->verify_read_paths, &l->n_verify_read_paths, optarg))
			return sw_error_set(err, -EINVAL, "too many --verify-read-path");
		return 0;
	default: /* 'I' */
		if (config_list_add(l->interpreters, &l->n_interpreters, optarg))
			return sw_error_set(err, -EINVAL, "too many --interpreter");
		return 0;
	}
}

static int metrics_listen_flag(struct sw_config *cfg, struct sw_error *err)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (metrics_http_parse_addr(optarg, &sa, &len, err))
		return sw_error_prefix(err, -EBADMSG, "--metrics-listen");
	free(cfg->metrics_listen);
	cfg->metrics_listen = strdup(optarg);
	return 0;
}

static int attach_flag(struct sw_config *cfg, struct sw_error *err)
{
	enum bpf_loader_attach a;

	if (bpf_loader_attach_parse(optarg, &a))
		return sw_error_set(err, -EINVAL, "--attach: use auto, lsm, tp_btf or tp");
	cfg->attach = (int)a;
	return 0;
}

static int size_flag(const char *flag, uint64_t max, const char *range, uint64_t *ret,
		     struct sw_error *err)
{
	if (config_parse_size(optarg, SW_CONFIG_SIZE_MIN, max, ret))
		return sw_error_set(err, -EINVAL, "%s: '%s' is not a size in %s", flag, optarg,
				    range);
	return 0;
}

/* The learned-behaviour flags (docs/profiles.md). */
static int profile_flag(int c, struct sw_config *cfg, struct sw_error *err)
{
	switch (c) {
	case OPT_PROFILES:
		if (cfg->profile_dir)
			return 0;
		cfg->profile_dir = strdup(SW_DEFAULT_PROFILE_DIR);
		return cfg->profile_dir ? 0 : -ENOMEM;
	case OPT_PROFILE_DIR:
		free(cfg->profile_dir);
		cfg->profile_dir = strdup(optarg);
		return cfg->profile_dir ? 0 : -ENOMEM;
	case OPT_PROFILE_QUIET:
		return parse_count("--profile-quiet", optarg, 1, 365 * 86400, &cfg->profile_quiet,
				   err);
	case OPT_PROFILE_MIN_EXECS:
		return parse_count("--profile-min-execs", optarg, 1, 1u << 30,
				   &cfg->profile_min_execs, err);
	default: /* OPT_PROFILE_MAX_LEARNING */
		return parse_count("--profile-max-learning", optarg, 1, 365 * 86400,
				   &cfg->profile_max_learning, err);
	}
}

/* One flag of getopt_long() (@c, optarg): 0, 1 after --help, or a negative errno. */
static int apply_flag(int c, struct sw_config *cfg, struct flag_state *st, char **argv,
		      struct sw_error *err)
{
	switch (c) {
	case 'c':
		return 0;
	case 'b':
		free(cfg->baseline_dir);
		cfg->baseline_dir = strdup(optarg);
		return 0;
	case 'H':
		free(cfg->host_baseline);
		cfg->host_baseline = strdup(optarg);
		return 0;
	case 'G':
		free(cfg->trusted_root);
		cfg->trusted_root = strdup(optarg);
		return 0;
	case 'P':
		free(cfg->state_file);
		cfg->state_file = strdup(optarg);
		return 0;
	case 'M':
		return metrics_listen_flag(cfg, err);
	case 'Z':
		return size_flag("--hash-max-size", SW_CONFIG_HASH_MAX_LIMIT, "4K-1T",
				 &cfg->hash_max_size, err);
	case 'B':
		return size_flag("--baseline-max-size", SW_CONFIG_BASELINE_MAX_LIMIT, "4K-4G",
				 &cfg->baseline_max_size, err);
	case 'k':
	case 'o':
	case 'R':
	case 'I':
	case 'Y':
		return list_flag(c, st, err);
	case 'W':
		return parse_count("--hash-workers", optarg, 1, 64, &cfg->hash_workers, err);
	case 'Q':
		return parse_count("--queue-size", optarg, 16, 1 << 20, &cfg->queue_size, err);
	case 'C':
		return parse_count("--cache-size", optarg, 16, 1 << 24, &cfg->cache_size, err);
	case 'S':
		if (config_severity_from_name(optarg, &cfg->no_baseline_severity))
			return sw_error_set(err, -EINVAL,
					    "--no-baseline-severity: use info, low, medium, high "
					    "or critical");
		return 0;
	case 'A':
		return attach_flag(cfg, err);
	case 'a':
	case 'T':
	case 'K':
	case 'v':
		return switch_flag(c, st);
	case 'F':
		return parse_count("--fold-window", optarg, 0, 86400, &cfg->fold_window, err);
	case 'N':
		cfg->image_mismatch = false;
		return 0;
	case OPT_LOG_FORMAT:
		if (strcmp(optarg, "text") && strcmp(optarg, "json"))
			return sw_error_set(err, -EINVAL, "--log-format: use text or json");
		cfg->log_json = !strcmp(optarg, "json");
		return 0;
	case 'h':
		daemon_usage(stdout);
		return 1;
	case OPT_REGISTRY ... OPT_REGISTRY_NEGATIVE:
		return registry_flag(c, cfg, st, err);
	case OPT_MODE ... OPT_ENFORCE_LIBRARIES:
		return policy_flag(c, cfg, st, err);
	case OPT_PROFILES ... OPT_PROFILE_MAX_LEARNING:
		return profile_flag(c, cfg, err);
	default:
		return sw_error_set(err, -EINVAL,
				    "unknown option or missing value in '%s' (see --help)",
				    argv[optind - 1]);
	}
}

/* A list given as flags replaces the file's: @src's items move into @dst. */
static void replace_list(char **dst, size_t *n_dst, char **src, size_t *n_src)
{
	if (!*n_src)
		return;
	for (size_t i = 0; i < *n_dst; i++)
		free(dst[i]);
	memcpy(dst, src, SW_CONFIG_MAX_LIST * sizeof(*dst));
	*n_dst = *n_src;
	*n_src = 0;
}

static void apply_flag_state(struct sw_config *cfg, struct flag_state *st)
{
	struct sw_config *l = &st->lists;

	replace_list(cfg->trusted_keys, &cfg->n_trusted_keys, l->trusted_keys, &l->n_trusted_keys);
	replace_list(cfg->outputs, &cfg->n_outputs, l->outputs, &l->n_outputs);
	if (l->n_trusted_identities) {
		for (size_t i = 0; i < cfg->n_trusted_identities; i++)
			config_identity_clear(&cfg->trusted_identities[i]);
		memcpy(cfg->trusted_identities, l->trusted_identities,
		       sizeof(l->trusted_identities));
		cfg->n_trusted_identities = l->n_trusted_identities;
		l->n_trusted_identities = 0;
	}
	if (l->n_interpreters)
		cfg->interpreters_set = true;
	replace_list(cfg->interpreters, &cfg->n_interpreters, l->interpreters, &l->n_interpreters);
	replace_list(cfg->verify_read_paths, &cfg->n_verify_read_paths, l->verify_read_paths,
		     &l->n_verify_read_paths);
	replace_list(cfg->registries, &cfg->n_registries, l->registries, &l->n_registries);
	cfg->registry_insecure |= st->registry_insecure;
	cfg->no_kernel_cache |= st->no_kernel_cache;
	cfg->all_events |= st->all_events;
	cfg->force_tracepoint |= st->force_tracepoint;
	cfg->verbose |= st->verbose;
	cfg->enforce_libraries |= st->enforce_libraries;
	if (st->scopes.n_scopes) {
		memcpy(cfg->policy.scopes, st->scopes.scopes, sizeof(st->scopes.scopes));
		cfg->policy.n_scopes = st->scopes.n_scopes;
	}
}

/* First pass: only --config, so that the flags can override the file. */
static int load_config_file(struct sw_config *cfg, int argc, char **argv,
			    const char **ret_config_file, struct sw_error *err)
{
	const char *config_file = NULL;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, DAEMON_SHORT_OPTS, daemon_opts, NULL)) != -1)
		if (c == 'c')
			config_file = optarg;
	*ret_config_file = config_file;
	if (!config_file)
		return 0;
	r = config_load_file(cfg, config_file, err);
	if (r)
		return r == -EBADMSG || r == -ENOENT || r == -EINVAL ? -EBADMSG : r;
	return 0;
}

int config_from_args(struct sw_config *cfg, int argc, char **argv, const char **ret_config_file,
		     struct sw_error *err)
{
	struct flag_state st = { .all_events = false };
	int c, r;

	config_init(&st.lists);
	r = load_config_file(cfg, argc, argv, ret_config_file, err);
	optind = 1;
	while (!r && (c = getopt_long(argc, argv, DAEMON_SHORT_OPTS, daemon_opts, NULL)) != -1)
		r = apply_flag(c, cfg, &st, argv, err);
	if (!r && optind != argc)
		r = sw_error_set(err, -EINVAL, "unexpected argument '%s'", argv[optind]);
	if (!r)
		apply_flag_state(cfg, &st);
	config_clear(&st.lists);
	if (r)
		return r;
	if (!cfg->n_outputs && config_list_add(cfg->outputs, &cfg->n_outputs, "stdout"))
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (cfg->n_registries && !cfg->baseline_cache &&
	    set_str(&cfg->baseline_cache, SW_DEFAULT_BASELINE_CACHE, err))
		return -ENOMEM;
	if (!cfg->trusted_root != !cfg->n_trusted_identities)
		return sw_error_set(err, -EINVAL,
				    cfg->trusted_root ?
					    "--trusted-root needs at least one --trusted-identity" :
					    "--trusted-identity needs --trusted-root");
	if ((cfg->baseline_dir || cfg->host_baseline || cfg->n_registries) &&
	    !cfg->n_trusted_keys && !cfg->trusted_root)
		return sw_error_set(
			err, -EINVAL,
			"baselines need at least one --trusted-key (or --trusted-root and "
			"--trusted-identity) to verify them");
	return 0;
}

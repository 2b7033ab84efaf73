// SPDX-License-Identifier: GPL-2.0-only
/* `sealwatch push` and `sealwatch pull`: baselines as OCI artifacts (docs/registry.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "baseline.h"
#include "cli_options.h"
#include "commands.h"
#include "crypto.h"
#include "errors.h"
#include "exitcode.h"
#include "fileio.h"
#include "log.h"
#include "registry.h"
#include "sigstore.h"

#define BASELINE_FILE_MAX (512ul << 20)
#define SIG_FILE_MAX (1ul << 20)
#define MAX_KEYS 16
#define MAX_FETCH 16

const char *cli_default_auth_file(void)
{
	static char path[PATH_MAX];
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dir)
		snprintf(path, sizeof(path), "%s/config.json", dir);
	else if (home)
		snprintf(path, sizeof(path), "%s/.docker/config.json", home);
	else
		return NULL;
	return access(path, R_OK) ? NULL : path;
}

static int fail(const char *cmd, int err, const struct sw_error *e)
{
	log_error("%s: %s", cmd, e->msg[0] ? e->msg : strerror(-err));
	return sw_exit_from_errno(err);
}

#define REGISTRY_OPTIONS_HELP                                                            \
	"      --insecure        plain HTTP (labs and tests; never on real networks)\n"  \
	"      --ca-file PEM     CA bundle for the registry's TLS (default: system)\n"   \
	"      --auth-file JSON  docker config.json with credentials (default:\n"        \
	"                        $DOCKER_CONFIG/config.json or ~/.docker/config.json)\n" \
	"      --token-file F    a bearer token for the registry\n"

/* The options push and pull share, and the end of their tables. */
#define REGISTRY_LONG_OPTIONS                                          \
	{ "key", required_argument, NULL, 'k' }, CLI_REGISTRY_OPTIONS, \
		{ "help", no_argument, NULL, 'h' },                    \
	{                                                              \
		NULL, 0, NULL, 0                                       \
	}

/* What push and pull take from the command line (each its own option table). */
struct reg_cli {
	struct reg_opts ro;
	const char *baseline, *signature, *output;
	/* pull: Sigstore bundles verified offline against these (trusted root, identity) */
	struct sigstore_cli_args kl;
	char *key_paths[MAX_KEYS];
	size_t n_keys;
	struct reg_ref ref;
};

/*
 * Parse @argv with @opts/@shortopts (a subset of the options below) and its
 * one operand, a reference (@operand names it in the error). -1 to go on,
 * else the exit code (help printed, or a usage error).
 */
static int parse_cli(const char *cmd, int argc, char **argv, const struct option *opts,
		     const char *shortopts, void (*usage)(void), const char *operand,
		     struct reg_cli *a)
{
	struct sw_error e = { { 0 } };
	int c;

	a->ro.auth_file = cli_default_auth_file();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (cli_registry_option(c, &a->ro) || cli_keyless_option(c, &a->kl))
			continue;
		switch (c) {
		case 'b':
			a->baseline = optarg;
			break;
		case 's':
			a->signature = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'k':
			if (a->n_keys == MAX_KEYS)
				return cli_usage_error(cmd, "at most %d --key", MAX_KEYS);
			a->key_paths[a->n_keys++] = optarg;
			break;
		case 'h':
			usage();
			return SW_EXIT_OK;
		default:
			return cli_usage_error(cmd, "unknown or malformed option '%s'",
					       argv[optind - 1]);
		}
	}
	if (!strcmp(cmd, "push") && !a->baseline)
		return cli_usage_error(cmd, "--baseline is required");
	if (!strcmp(cmd, "pull") && !a->output)
		return cli_usage_error(cmd, "-o DIR is required");
	if ((a->kl.identity || a->kl.identity_regexp || a->kl.issuer) && !a->kl.trusted_root)
		return cli_usage_error(cmd, "a certificate identity needs --trusted-root");
	if (a->kl.trusted_root && (!a->kl.issuer || !a->kl.identity == !a->kl.identity_regexp))
		return cli_usage_error(cmd, "--trusted-root needs --certificate-oidc-issuer and "
					    "one of --certificate-identity(-regexp)");
	if (argc - optind != 1)
		return cli_usage_error(cmd, "exactly one %s", operand);
	if (reg_ref_parse(argv[optind], &a->ref, &e))
		return cli_usage_error(cmd, "%s", e.msg);
	return -1;
}

static void push_usage(void)
{
	printf("Usage: sealwatch push --baseline FILE [--signature SIG] [OPTIONS] IMAGE_REF\n\n"
	       "Attach a signed baseline to its image in an OCI registry: one OCI 1.1\n"
	       "artifact (artifactType " REG_ARTIFACT_BASELINE ") whose subject\n"
	       "is the image manifest, holding the baseline and its signature. Found\n"
	       "again through the referrers API, or the referrers tag schema\n"
	       "(sha256-<digest>) on registries without it. IMAGE_REF is\n"
	       "HOST[:PORT]/REPO[:TAG|@DIGEST]; the image's config digest must be the\n"
	       "baseline's image ID (for an index: one of its images).\n\n"
	       "  -b, --baseline FILE   the baseline (JSON Lines)\n"
	       "  -s, --signature SIG   its signature (default: FILE.sigstore.json when\n"
	       "                        present, else FILE.sig)\n"
	       "  -k, --key PUB.pem     verify the signature before pushing (repeatable)\n" REGISTRY_OPTIONS_HELP
	       "  -h, --help            show this help\n\n"
	       "Exit codes: 0 pushed, 2 usage, 3 bad input (including a baseline for\n"
	       "another image), 4 signature missing or not verified, 5 I/O or registry\n"
	       "error.\n");
}

static int load_keys(char *const *paths, size_t n, struct sw_pubkey **keys, struct sw_error *e)
{
	for (size_t i = 0; i < n; i++) {
		int r = crypto_pubkey_load(paths[i], &keys[i], e);

		if (r)
			return r;
	}
	return 0;
}

/* The signature given, else FILE.sigstore.json when it exists, else FILE.sig. */
static const char *push_signature_path(const char *path, const char *given, char *buf, size_t size)
{
	struct stat st;

	if (given)
		return given;
	snprintf(buf, size, "%s.sigstore.json", path);
	if (stat(buf, &st))
		snprintf(buf, size, "%s.sig", path);
	return buf;
}

/* The baseline at @path (an image's, not the host's) and its signature's bytes. */
static int push_read(const char *path, const char *sig_path, char **data, size_t *len, char **sig,
		     size_t *sig_len, struct sw_baseline **b, struct sw_error *e)
{
	int r = file_read_all(path, BASELINE_FILE_MAX, data, len, e);

	if (r)
		return r;
	r = file_read_all(sig_path, SIG_FILE_MAX, sig, sig_len, e);
	if (r == -ENOENT)
		r = sw_error_set(e, -ENOKEY, "%s: signature missing: %s", path, sig_path);
	if (r)
		return r;
	r = baseline_parse(*data, *len, b, e);
	if (r)
		return sw_error_prefix(e, r, "%s", path);
	if (!(*b)->hdr.config_digest)
		return sw_error_set(e, -EBADMSG,
				    "%s: a host baseline (no image ID) has no image to "
				    "travel with",
				    path);
	return 0;
}

/* With --key: the .sig signature verifies with one of the keys (a bundle is refused). */
static int push_check_signature(const struct reg_cli *a, struct sw_pubkey **keys,
				const char *sig_path, const char *sig_mt, const char *data,
				size_t len, const char *sig, size_t sig_len, struct sw_error *e)
{
	int r = load_keys(a->key_paths, a->n_keys, keys, e);

	if (r)
		return r;
	if (a->n_keys && !strcmp(sig_mt, REG_MT_SIGSTORE_BUNDLE))
		return sw_error_set(e, -ENOTSUP, "%s: --key checks .sig signatures, not bundles",
				    sig_path);
	if (a->n_keys)
		return crypto_verify_any(keys, a->n_keys, (const unsigned char *)data, len, sig,
					 sig_len, e);
	return 0;
}

int cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "signature", required_argument, NULL, 's' },
		REGISTRY_LONG_OPTIONS,
	};
	struct reg_cli a = { 0 };
	const char *path, *sig_path, *sig_mt = REG_MT_SIGNATURE;
	char sig_default[PATH_MAX], *data = NULL, *sig = NULL;
	struct sw_pubkey *keys[MAX_KEYS] = { NULL };
	struct reg_push_result res;
	struct reg_client *client = NULL;
	struct sw_baseline *b = NULL;
	struct sw_error e = { { 0 } };
	size_t len, sig_len;
	int r, ret;

	ret = parse_cli("push", argc, argv, opts, ":b:s:k:h", push_usage, "IMAGE_REF", &a);
	if (ret >= 0)
		return ret;
	path = a.baseline;
	sig_path = push_signature_path(path, a.signature, sig_default, sizeof(sig_default));
	if (strlen(sig_path) > 14 && !strcmp(sig_path + strlen(sig_path) - 14, ".sigstore.json"))
		sig_mt = REG_MT_SIGSTORE_BUNDLE;
	r = push_read(path, sig_path, &data, &len, &sig, &sig_len, &b, &e);
	if (!r)
		r = push_check_signature(&a, keys, sig_path, sig_mt, data, len, sig, sig_len, &e);
	if (!r)
		r = reg_client_new(&a.ro, a.ref.host, &client, &e);
	if (!r)
		r = reg_push_baseline(client, &a.ref, b->hdr.config_digest, data, len, sig, sig_len,
				      sig_mt, &res, &e);
	if (!r)
		printf("pushed: %s -> %s/%s@%s (artifact %s, %s)\n", path, a.ref.host, a.ref.repo,
		       res.image_digest, res.artifact_digest,
		       res.referrers_api ? "referrers API" : "referrers tag schema");
	ret = r ? fail("push", r, &e) : SW_EXIT_OK;
	for (size_t i = 0; i < a.n_keys; i++)
		crypto_pubkey_free(keys[i]);
	reg_client_free(client);
	baseline_free(b);
	reg_ref_clear(&a.ref);
	free(data);
	free(sig);
	return ret;
}

static void pull_usage(void)
{
	printf("Usage: sealwatch pull [OPTIONS] HOST[:PORT]/REPO[:TAG]@DIGEST -o DIR\n\n"
	       "Fetch the baselines attached to an image manifest (see 'sealwatch push'),\n"
	       "check every byte against its digest, the baseline's image ID against the\n"
	       "image's config and, with --key, the signature; write the newest that\n"
	       "passes to DIR/<image-id-hex>.jsonl and its signature beside it\n"
	       "(.jsonl.sig, or .jsonl.sigstore.json for a bundle). A tag instead of\n"
	       "@DIGEST is resolved first.\n\n"
	       "  -o, --output DIR      directory to write to (created)\n"
	       "  -k, --key PUB.pem     trusted public key (repeatable) for .sig signatures\n"
	       "      --trusted-root F  Sigstore trusted_root.json: keyless bundles verified\n"
	       "                        offline, signed by this identity:\n"
	       "      --certificate-identity ID | --certificate-identity-regexp RE\n"
	       "      --certificate-oidc-issuer URL\n"
	       "                        Without --key nor --trusted-root the signature is\n"
	       "                        fetched but not checked (the daemon checks it when it\n"
	       "                        loads the baseline); with either, an artifact whose\n"
	       "                        signature kind has no trust given is refused.\n" REGISTRY_OPTIONS_HELP
	       "  -h, --help            show this help\n\n"
	       "Exit codes: 0 written, 2 usage, 3 bad input (malformed artifact, baseline\n"
	       "for another image), 4 no baseline verifies with the keys, 5 I/O or\n"
	       "registry error (including none attached).\n");
}

/* The image @ref names, config digest: what the baseline's header must say. */
static int image_config_of(struct reg_client *c, const struct reg_ref *ref, char *digest,
			   char *config, struct sw_error *e)
{
	char *body = NULL, mt[128];
	struct reg_manifest m;
	size_t len;
	int r;

	r = reg_manifest_get(c, ref->repo, ref->digest[0] ? ref->digest : ref->tag, &body, &len, mt,
			     digest, e);
	if (r)
		return r;
	if (!strcmp(mt, REG_MT_OCI_INDEX) || !strcmp(mt, REG_MT_DOCKER_LIST)) {
		free(body);
		return sw_error_set(e, -EINVAL,
				    "%s/%s: an index; name the platform image's manifest digest",
				    ref->host, ref->repo);
	}
	r = reg_parse_manifest(body, len, &m, e);
	free(body);
	if (r)
		return r;
	snprintf(config, 72, "%s", m.config.digest);
	reg_manifest_clear(&m);
	return 0;
}

/* A pulled baseline's Sigstore bundle, verified offline against @root and the identity. */
static int verify_pulled_bundle(const struct reg_cli *a, const struct sigstore_trusted_root *root,
				const struct reg_baseline *rb, struct sw_error *e)
{
	struct sigstore_policy policy = {
		.identity = a->kl.identity,
		.identity_regexp = a->kl.identity_regexp,
		.issuer = a->kl.issuer,
	};
	struct sigstore_artifact art = { .data = (const unsigned char *)rb->baseline,
					 .len = rb->len };
	struct sigstore_bundle *bundle = NULL;
	int r;

	if (!root)
		return sw_error_set(
			e, -EKEYREJECTED,
			"a Sigstore bundle: give --trusted-root and the signer's identity");
	EVP_Digest(art.data, art.len, art.sha256, NULL, EVP_sha256(), NULL);
	r = sigstore_bundle_parse(rb->sig, rb->sig_len, &bundle, e);
	if (!r)
		r = sigstore_verify(root, bundle, &art, &policy, (int64_t)time(NULL), NULL, e);
	sigstore_bundle_free(bundle);
	/* any refusal of the signature: exit 4, as for a key */
	return r ? -EKEYREJECTED : 0;
}

static int write_pulled(const char *dir, const struct reg_baseline *rb, const char *image_id,
			char *out_path, struct sw_error *e)
{
	char sig_path[PATH_MAX + 32];
	bool bundle = !strcmp(rb->sig_media_type, REG_MT_SIGSTORE_BUNDLE);
	int r;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return sw_error_set(e, -errno, "%s: %s", dir, strerror(errno));
	snprintf(out_path, PATH_MAX, "%s/%s.jsonl", dir, image_id + 7);
	snprintf(sig_path, sizeof(sig_path), "%s%s", out_path, bundle ? ".sigstore.json" : ".sig");
	/* signature first: a watcher of DIR never sees the baseline without it */
	r = file_write_atomic(sig_path, rb->sig, rb->sig_len, 0644, e);
	if (!r)
		r = file_write_atomic(out_path, rb->baseline, rb->len, 0644, e);
	return r;
}

/* A pulled artifact's signature, when trust was given: a bundle against @root, else the keys. */
static int pull_verify_signature(const struct reg_cli *a, const struct sigstore_trusted_root *root,
				 struct sw_pubkey *const *keys, const struct reg_baseline *rb,
				 struct sw_error *e)
{
	int r;

	if (!a->n_keys && !root)
		return 0;
	if (!strcmp(rb->sig_media_type, REG_MT_SIGSTORE_BUNDLE))
		r = verify_pulled_bundle(a, root, rb, e);
	else if (!a->n_keys)
		r = sw_error_set(e, -EKEYREJECTED, "a key signature: give --key to check it");
	else
		r = crypto_verify_any(keys, a->n_keys, (unsigned char *)rb->baseline, rb->len,
				      rb->sig, rb->sig_len, e);
	if (r)
		sw_error_prefix(e, r, "artifact %s", rb->artifact_digest);
	return r;
}

/* A pulled artifact is a baseline of the image (@config) with a signature that verifies. */
static int pull_check(const struct reg_cli *a, const struct sigstore_trusted_root *root,
		      struct sw_pubkey *const *keys, const struct reg_baseline *rb,
		      const char *config, struct sw_error *e)
{
	struct sw_baseline *b = NULL;
	int r = baseline_parse(rb->baseline, rb->len, &b, e);

	if (!r && (!b->hdr.config_digest || strcmp(b->hdr.config_digest, config)))
		r = sw_error_set(e, -EBADMSG,
				 "artifact %s: baseline is for image %s, not %s "
				 "(image_mismatch)",
				 rb->artifact_digest,
				 b->hdr.config_digest ? b->hdr.config_digest : "(none)", config);
	baseline_free(b);
	if (!r)
		r = pull_verify_signature(a, root, keys, rb, e);
	return r;
}

int cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		CLI_KEYLESS_OPTIONS,
		REGISTRY_LONG_OPTIONS,
	};
	struct sigstore_trusted_root *root = NULL;
	struct reg_cli a = { 0 };
	struct reg_baseline got[MAX_FETCH];
	char digest[72], config[72], out_path[PATH_MAX];
	struct sw_pubkey *keys[MAX_KEYS] = { NULL };
	struct sw_error e = { { 0 } }, why = { { 0 } };
	struct reg_client *client = NULL;
	size_t n = 0;
	int r, why_r = 0, ret;

	ret = parse_cli("pull", argc, argv, opts, ":o:k:h", pull_usage, "REF@DIGEST", &a);
	if (ret >= 0)
		return ret;
	r = load_keys(a.key_paths, a.n_keys, keys, &e);
	if (!r && a.kl.trusted_root)
		r = sigstore_trusted_root_load(a.kl.trusted_root, &root, &e);
	if (!r)
		r = reg_client_new(&a.ro, a.ref.host, &client, &e);
	if (!r)
		r = image_config_of(client, &a.ref, digest, config, &e);
	if (!r)
		r = reg_fetch_baselines(client, a.ref.repo, digest, got, MAX_FETCH, &n, &e);
	if (r)
		goto out;
	r = -ENOKEY;
	for (size_t i = 0; i < n; i++) {
		struct sw_error be = { { 0 } };
		int br = pull_check(&a, root, keys, &got[i], config, &be);

		if (br) { /* keep the first refusal, or a signature's */
			if (!why_r || br == -EKEYREJECTED) {
				why_r = br;
				why = be;
			}
			continue;
		}
		r = write_pulled(a.output, &got[i], config, out_path, &e);
		if (!r)
			printf("pulled: %s/%s@%s -> %s (artifact %s, signature %s)\n", a.ref.host,
			       a.ref.repo, digest, out_path, got[i].artifact_digest,
			       a.n_keys || root ? "verified" :
						  "NOT checked: no --key, no --trusted-root");
		break;
	}
	if (r == -ENOKEY && why_r) {
		r = why_r;
		e = why;
	}
out:
	ret = r ? fail("pull", r, &e) : SW_EXIT_OK;
	for (size_t i = 0; i < n; i++)
		reg_baseline_clear(&got[i]);
	for (size_t i = 0; i < a.n_keys; i++)
		crypto_pubkey_free(keys[i]);
	sigstore_trusted_root_free(root);
	reg_client_free(client);
	reg_ref_clear(&a.ref);
	return ret;
}

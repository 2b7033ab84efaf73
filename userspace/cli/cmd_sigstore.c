// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keyless (Sigstore) verification on the command line: `sealwatch verify
 * --bundle …` and `sealwatch verify-bundle …`, the latter speaking the public
 * conformance CLI protocol (sigstore-conformance docs/cli_protocol.md).
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "errors.h"
#include "exitcode.h"
#include "fileio.h"
#include "hexutil.h"
#include "log.h"
#include "sigstore.h"

#define ARTIFACT_MAX (1024UL * 1024 * 1024)
#define KEY_MAX (64 * 1024)

static int fail(int err, const struct sw_error *e)
{
	log_error("%s", e->msg[0] ? e->msg : strerror(-err));
	return sw_exit_from_errno(err);
}

static int read_artifact(const char *input, struct sigstore_artifact *art, char **ret_data,
			 struct sw_error *e)
{
	size_t len;
	int r;

	*ret_data = NULL;
	memset(art, 0, sizeof(*art));
	if (!strncmp(input, "sha256:", 7)) {
		if (digest_parse_sha256(input, art->sha256) < 0 &&
		    hex_decode(input + 7, art->sha256, 32) < 0)
			return sw_error_set(e, -EINVAL, "'%s' is not a sha256:<64 hex> digest",
					    input);
		if (strlen(input) != 7 + 64)
			return sw_error_set(e, -EINVAL, "'%s' is not a sha256:<64 hex> digest",
					    input);
		return 0;
	}
	r = file_read_all(input, ARTIFACT_MAX, ret_data, &len, e);
	if (r < 0)
		return r;
	art->data = (const unsigned char *)*ret_data;
	art->len = len;
	EVP_Digest(art->data, len, art->sha256, NULL, EVP_sha256(), NULL);
	return 0;
}

int sigstore_cli_verify(const struct sigstore_cli_args *a)
{
	struct sigstore_trusted_root *root = NULL;
	struct sigstore_bundle *bundle = NULL;
	struct sigstore_policy policy = { 0 };
	struct sigstore_result res = { 0 };
	struct sigstore_artifact art;
	struct sw_error e = { { 0 } };
	char *data = NULL, *key = NULL;
	const char *root_path = a->trusted_root;
	size_t key_len = 0;
	int r, ret;

	if (!root_path)
		root_path = a->staging ? SIGSTORE_DEFAULT_ROOT_DIR "/trusted_root.staging.json" :
					 SIGSTORE_DEFAULT_ROOT_DIR "/trusted_root.json";
	r = sigstore_trusted_root_load(root_path, &root, &e);
	if (r < 0)
		goto out;
	r = sigstore_bundle_load(a->bundle, &bundle, &e);
	if (r < 0) {
		sw_error_prefix(&e, r, "%s", a->bundle);
		goto out;
	}
	if (a->key) {
		r = file_read_all(a->key, KEY_MAX, &key, &key_len, &e);
		if (r < 0)
			goto out;
		policy.key_pem = key;
		policy.key_pem_len = key_len;
	} else {
		policy.identity = a->identity;
		policy.identity_regexp = a->identity_regexp;
		policy.issuer = a->issuer;
	}
	r = read_artifact(a->input, &art, &data, &e);
	if (r < 0)
		goto out;
	r = sigstore_verify(root, bundle, &art, &policy, (int64_t)time(NULL), &res, &e);
	if (r < 0) {
		sw_error_prefix(&e, r, "%s: REFUSED bundle %s", a->input, a->bundle);
		goto out;
	}
	if (a->key)
		printf("verified: %s (bundle %s, managed key %s, %u timestamps)\n", a->input,
		       a->bundle, a->key, res.n_timestamps);
	else
		printf("verified: %s (bundle %s, identity %s, issuer %s, %u timestamps)\n",
		       a->input, a->bundle, res.san, res.issuer, res.n_timestamps);
out:
	ret = r < 0 ? fail(r, &e) : SW_EXIT_OK;
	free(data);
	free(key);
	sigstore_bundle_free(bundle);
	sigstore_trusted_root_free(root);
	return ret;
}

static void usage(void)
{
	printf("Usage: sealwatch verify-bundle [--staging] --bundle BUNDLE\n"
	       "         (--certificate-identity ID --certificate-oidc-issuer URL | --key PUB.pem)\n"
	       "         [--trusted-root FILE] FILE|sha256:HEX\n\n"
	       "Verify a Sigstore bundle offline (the conformance CLI protocol). The same\n"
	       "checks as 'sealwatch verify --bundle'; see docs/signing.md.\n\n"
	       "  --bundle FILE                      the bundle (*.sigstore.json)\n"
	       "  --certificate-identity ID          the signer's identity (SAN), exactly\n"
	       "  --certificate-identity-regexp RE   or a POSIX extended regex over it\n"
	       "  --certificate-oidc-issuer URL      the OIDC issuer, exactly\n"
	       "  --key PUB.pem                      a managed key instead of an identity\n"
	       "  --trusted-root FILE                trusted_root.json (default " SIGSTORE_DEFAULT_ROOT_DIR
	       "/trusted_root.json)\n"
	       "  --staging                          default to trusted_root.staging.json\n"
	       "  -h, --help                         show this help\n\n"
	       "Exit codes: 0 verified, 2 usage, 3 malformed bundle, trusted root, key or\n"
	       "digest, 4 refused (a check failed), 5 I/O error.\n");
}

/* Options shared with `verify --bundle`; 0 on success or an exit code. */
int sigstore_cli_check_args(const char *cmd, const struct sigstore_cli_args *a)
{
	if (!a->bundle) {
		log_error("%s: --bundle is required (try 'sealwatch %s --help')", cmd, cmd);
		return SW_EXIT_USAGE;
	}
	if (a->key && (a->identity || a->identity_regexp || a->issuer)) {
		log_error("%s: --key and --certificate-* exclude each other", cmd);
		return SW_EXIT_USAGE;
	}
	if (!a->key && (!a->issuer || !!a->identity == !!a->identity_regexp)) {
		log_error("%s: give --certificate-oidc-issuer and one of --certificate-identity, "
			  "--certificate-identity-regexp (or --key)",
			  cmd);
		return SW_EXIT_USAGE;
	}
	if (!a->input) {
		log_error("%s: missing FILE (try 'sealwatch %s --help')", cmd, cmd);
		return SW_EXIT_USAGE;
	}
	return 0;
}

int cmd_verify_bundle(int argc, char **argv)
{
	enum { O_BUNDLE = 256, O_ID, O_ID_RE, O_ISSUER, O_KEY, O_ROOT, O_STAGING };
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "certificate-identity", required_argument, NULL, O_ID },
		{ "certificate-identity-regexp", required_argument, NULL, O_ID_RE },
		{ "certificate-oidc-issuer", required_argument, NULL, O_ISSUER },
		{ "key", required_argument, NULL, O_KEY },
		{ "trusted-root", required_argument, NULL, O_ROOT },
		{ "staging", no_argument, NULL, O_STAGING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigstore_cli_args a = { 0 };
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_BUNDLE:
			a.bundle = optarg;
			break;
		case O_ID:
			a.identity = optarg;
			break;
		case O_ID_RE:
			a.identity_regexp = optarg;
			break;
		case O_ISSUER:
			a.issuer = optarg;
			break;
		case O_KEY:
			a.key = optarg;
			break;
		case O_ROOT:
			a.trusted_root = optarg;
			break;
		case O_STAGING:
			a.staging = true;
			break;
		case 'h':
			usage();
			return SW_EXIT_OK;
		case ':':
			log_error("verify-bundle: option '%s' requires an argument",
				  argv[optind - 1]);
			return SW_EXIT_USAGE;
		default:
			log_error(
				"verify-bundle: unknown option '%s' (try 'sealwatch verify-bundle "
				"--help')",
				argv[optind - 1]);
			return SW_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		log_error("verify-bundle: exactly one FILE or sha256:HEX");
		return SW_EXIT_USAGE;
	}
	a.input = optind < argc ? argv[optind] : NULL;
	r = sigstore_cli_check_args("verify-bundle", &a);
	if (r)
		return r;
	return sigstore_cli_verify(&a);
}

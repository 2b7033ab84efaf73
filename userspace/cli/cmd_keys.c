// SPDX-License-Identifier: GPL-2.0-only
/* `sealwatch keygen`, `sign` and `verify` (docs/signing.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "commands.h"
#include "crypto.h"
#include "errors.h"
#include "exitcode.h"
#include "fileio.h"
#include "log.h"

/* The largest file sign/verify read into memory. */
#define SIGNED_FILE_MAX (1024UL * 1024 * 1024)
#define SIG_FILE_MAX (64 * 1024)
#define MAX_KEYS 64

/* Log a module's error and turn its errno into an exit code. */
static int fail(int err, const struct sw_error *e)
{
	log_error("%s", e->msg[0] ? e->msg : strerror(-err));
	return sw_exit_from_errno(err);
}

static void keygen_usage(void)
{
	printf("Usage: sealwatch keygen [--type ecdsa-p256|ed25519] [-o PREFIX]\n\n"
	       "Generate a signing key pair: PREFIX.key (PKCS#8 PEM private key, mode 0600)\n"
	       "and PREFIX.pub (SubjectPublicKeyInfo PEM). Existing files are never\n"
	       "overwritten.\n\n"
	       "  -t, --type TYPE      ecdsa-p256 (default; cosign compatible) or ed25519\n"
	       "  -o, --output PREFIX  output path prefix (default: sealwatch)\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 ok, 2 usage (including an unknown type), 5 I/O error\n"
	       "(including an output file that already exists).\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *type_name = "ecdsa-p256", *prefix = "sealwatch";
	char priv_path[PATH_MAX], pub_path[PATH_MAX];
	struct sw_pubkey *pub = NULL;
	struct sw_error e = { { 0 } };
	enum sw_key_type type;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type_name = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		case 'h':
			keygen_usage();
			return SW_EXIT_OK;
		default:
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (crypto_key_type_from_name(type_name, &type) < 0)
		return cli_usage_error("keygen", "unknown key type '%s' (ecdsa-p256 or ed25519)",
				       type_name);
	if (!*prefix)
		return cli_usage_error("keygen", "empty output prefix");
	if (snprintf(priv_path, sizeof(priv_path), "%s.key", prefix) >= (int)sizeof(priv_path) ||
	    snprintf(pub_path, sizeof(pub_path), "%s.pub", prefix) >= (int)sizeof(pub_path))
		return cli_usage_error("keygen", "output prefix too long");

	r = crypto_keygen(type, priv_path, pub_path, &e);
	if (r < 0)
		return fail(r, &e);
	r = crypto_pubkey_load(pub_path, &pub, &e);
	if (r < 0)
		return fail(r, &e);
	printf("private key: %s (keep it secret)\npublic key:  %s (%s)\n", priv_path, pub_path,
	       crypto_pubkey_id(pub));
	crypto_pubkey_free(pub);
	return SW_EXIT_OK;
}

static void sign_usage(void)
{
	printf("Usage: sealwatch sign --key KEY.pem FILE [-o SIG]\n\n"
	       "Write a detached signature over the exact bytes of FILE to FILE.sig:\n"
	       "base64 and a newline. ECDSA P-256 keys sign SHA-256 (DER signature, as\n"
	       "'cosign sign-blob --key' and 'openssl dgst -sha256 -sign'); Ed25519 keys\n"
	       "sign the bytes themselves (as 'openssl pkeyutl -sign -rawin').\n\n"
	       "  -k, --key KEY.pem   unencrypted PEM private key (PKCS#8 or SEC1 EC)\n"
	       "  -o, --output SIG    signature path (default: FILE.sig)\n"
	       "  -h, --help          show this help\n\n"
	       "Exit codes: 0 ok, 2 usage, 3 bad or unsupported key, 5 I/O error,\n"
	       "6 FILE larger than 1 GiB.\n");
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *sig_path = NULL, *path;
	char default_sig[PATH_MAX], *data = NULL, *b64 = NULL, *text = NULL;
	struct sw_error e = { { 0 } };
	size_t len = 0;
	int c, r, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (key_path)
				return cli_usage_error("sign", "only one --key");
			key_path = optarg;
			break;
		case 'o':
			sig_path = optarg;
			break;
		case 'h':
			sign_usage();
			return SW_EXIT_OK;
		default:
			return cli_bad_option("sign", c, argv);
		}
	}
	if (!key_path)
		return cli_usage_error("sign", "--key is required");
	if (argc - optind != 1)
		return cli_usage_error("sign",
				       argc == optind ? "missing FILE" : "exactly one FILE");
	path = argv[optind];
	if (!sig_path) {
		if (snprintf(default_sig, sizeof(default_sig), "%s.sig", path) >=
		    (int)sizeof(default_sig))
			return cli_usage_error("sign", "path too long");
		sig_path = default_sig;
	}

	r = file_read_all(path, SIGNED_FILE_MAX, &data, &len, &e);
	if (r < 0)
		goto cleanup;
	r = crypto_sign(key_path, (const unsigned char *)data, len, &b64, &e);
	if (r < 0)
		goto cleanup;
	if (asprintf(&text, "%s\n", b64) < 0) {
		text = NULL;
		r = sw_error_set(&e, -ENOMEM, "out of memory");
		goto cleanup;
	}
	r = file_write_atomic(sig_path, text, strlen(text), 0644, &e);
	if (r < 0)
		goto cleanup;
	printf("signed: %s (signature %s)\n", path, sig_path);
cleanup:
	ret = r < 0 ? fail(r, &e) : SW_EXIT_OK;
	free(text);
	free(b64);
	free(data);
	return ret;
}

static void verify_usage(void)
{
	printf("Usage: sealwatch verify --key PUB.pem [--key PUB2.pem ...] FILE [--signature SIG]\n"
	       "       sealwatch verify --bundle FILE.sigstore.json (--certificate-identity ID |\n"
	       "         --certificate-identity-regexp RE) --certificate-oidc-issuer URL\n"
	       "         [--trusted-root FILE] FILE\n"
	       "       sealwatch verify --bundle FILE.sigstore.json --key PUB.pem [--trusted-root FILE] FILE\n\n"
	       "Check FILE's detached signature (default FILE.sig: base64, as written by\n"
	       "'sealwatch sign', 'cosign sign-blob --key' or openssl) with each public key\n"
	       "until one verifies; or, with --bundle, a Sigstore bundle offline against a\n"
	       "trusted root and the signer's identity (docs/signing.md).\n\n"
	       "  -k, --key PUB.pem       PEM public key (SubjectPublicKeyInfo); repeatable\n"
	       "  -s, --signature SIG     signature file (default: FILE.sig)\n"
	       "  -b, --bundle BUNDLE     Sigstore bundle (keyless, or one --key)\n"
	       "  --certificate-identity ID, --certificate-identity-regexp RE,\n"
	       "  --certificate-oidc-issuer URL   who must have signed the bundle\n"
	       "  --trusted-root FILE     default " SIGSTORE_DEFAULT_ROOT_DIR "/trusted_root.json\n"
	       "  -h, --help              show this help\n\n"
	       "Exit codes: 0 verified, 2 usage, 3 malformed or unsupported key or\n"
	       "malformed signature text or bundle, 4 signature missing or not made by these\n"
	       "keys, or a bundle refused, 5 I/O error (e.g. a key or FILE that cannot be\n"
	       "read), 6 FILE over 1 GiB.\n");
}

/*
 * One key after another; the first that verifies wins. A signature that is
 * well-formed for some key's type but verifies with none is a bad signature
 * (exit 4); one that is malformed for every key is bad input (exit 3).
 */
static int verify_keys(struct sw_pubkey *const *keys, size_t n, const char *path,
		       const char *sig_path, const char *data, size_t len, const char *sig,
		       size_t sig_len)
{
	struct sw_error e, malformed = { { 0 } };
	size_t rejected = 0;

	for (size_t i = 0; i < n; i++) {
		int r = crypto_verify(keys[i], (const unsigned char *)data, len, sig, sig_len, &e);

		if (r == 0) {
			printf("verified: %s (key %s)\n", path, crypto_pubkey_id(keys[i]));
			return SW_EXIT_OK;
		}
		if (r == -EKEYREJECTED)
			rejected++;
		else if (r == -EBADMSG && !malformed.msg[0])
			malformed = e;
		else if (r != -EBADMSG)
			return fail(r, &e);
	}
	if (!rejected) {
		log_error("%s: %s", sig_path, malformed.msg);
		return SW_EXIT_BAD_INPUT;
	}
	if (n == 1)
		log_error("%s: BAD signature %s: does not verify with key %s", path, sig_path,
			  crypto_pubkey_id(keys[0]));
	else
		log_error("%s: BAD signature %s: does not verify with any of the %zu keys", path,
			  sig_path, n);
	return SW_EXIT_BAD_SIGNATURE;
}

/* `verify --bundle`: keyless or one managed key, see cmd_sigstore.c. */
static int verify_bundle(struct sigstore_cli_args *a, const char *sig_path, size_t n_keys,
			 const char *const *key_paths, int argc, char **argv)
{
	int r;

	if (sig_path)
		return cli_usage_error("verify", "--signature and --bundle exclude each other");
	if (n_keys > 1)
		return cli_usage_error("verify", "one --key with --bundle");
	a->key = n_keys ? key_paths[0] : NULL;
	if (argc - optind > 1)
		return cli_usage_error("verify", "exactly one FILE");
	a->input = optind < argc ? argv[optind] : NULL;
	r = sigstore_cli_check_args("verify", a);
	return r ? r : sigstore_cli_verify(a);
}

/* What `verify` takes from the command line. */
struct verify_args {
	const char *key_paths[MAX_KEYS];
	size_t n_keys;
	const char *sig_path;
	struct sigstore_cli_args bundle; /* --bundle and the keyless signer */
};

/* The options into @a: -1 to go on, else the exit code (help printed, or a usage error). */
static int parse_verify_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "signature", required_argument, NULL, 's' },
		{ "bundle", required_argument, NULL, 'b' },
		CLI_KEYLESS_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:s:b:h", opts, NULL)) != -1) {
		if (cli_keyless_option(c, &a->bundle))
			continue;
		switch (c) {
		case 'k':
			if (a->n_keys == MAX_KEYS)
				return cli_usage_error("verify", "at most %d --key options",
						       MAX_KEYS);
			a->key_paths[a->n_keys++] = optarg;
			break;
		case 's':
			a->sig_path = optarg;
			break;
		case 'b':
			a->bundle.bundle = optarg;
			break;
		case 'h':
			verify_usage();
			return SW_EXIT_OK;
		default:
			return cli_bad_option("verify", c, argv);
		}
	}
	return -1;
}

/* Verify @path's signature at @sig_path with the keys of @a. */
static int verify_with_keys(const struct verify_args *a, const char *path, const char *sig_path)
{
	struct sw_pubkey *keys[MAX_KEYS] = { NULL };
	char *data = NULL, *sig = NULL;
	size_t len = 0, sig_len = 0;
	struct sw_error e = { { 0 } };
	int r, ret = SW_EXIT_OK;

	for (size_t i = 0; i < a->n_keys; i++) {
		r = crypto_pubkey_load(a->key_paths[i], &keys[i], &e);
		if (r < 0)
			goto cleanup;
	}
	r = file_read_all(sig_path, SIG_FILE_MAX, &sig, &sig_len, &e);
	if (r == -ENOENT)
		r = sw_error_set(&e, -ENOKEY, "%s: signature missing: %s", path, sig_path);
	else if (r == -EFBIG)
		r = sw_error_set(&e, -EBADMSG, "%s: malformed signature: larger than %d bytes",
				 sig_path, SIG_FILE_MAX);
	if (r < 0)
		goto cleanup;
	r = file_read_all(path, SIGNED_FILE_MAX, &data, &len, &e);
	if (r < 0)
		goto cleanup;
	ret = verify_keys(keys, a->n_keys, path, sig_path, data, len, sig, sig_len);
cleanup:
	if (r < 0)
		ret = fail(r, &e);
	for (size_t i = 0; i < a->n_keys; i++)
		crypto_pubkey_free(keys[i]);
	free(sig);
	free(data);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { .n_keys = 0 };
	char default_sig[PATH_MAX];
	const char *path;
	int r;

	r = parse_verify_args(argc, argv, &a);
	if (r >= 0)
		return r;
	if (a.bundle.bundle)
		return verify_bundle(&a.bundle, a.sig_path, a.n_keys, a.key_paths, argc, argv);
	if (a.bundle.identity || a.bundle.identity_regexp || a.bundle.issuer ||
	    a.bundle.trusted_root)
		return cli_usage_error("verify",
				       "--certificate-* and --trusted-root need --bundle");
	if (!a.n_keys)
		return cli_usage_error("verify", "--key is required");
	if (argc - optind != 1)
		return cli_usage_error("verify",
				       argc == optind ? "missing FILE" : "exactly one FILE");
	path = argv[optind];
	if (a.sig_path)
		return verify_with_keys(&a, path, a.sig_path);
	if (snprintf(default_sig, sizeof(default_sig), "%s.sig", path) >= (int)sizeof(default_sig))
		return cli_usage_error("verify", "path too long");
	return verify_with_keys(&a, path, default_sig);
}

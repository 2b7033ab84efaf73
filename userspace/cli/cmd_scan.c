// SPDX-License-Identifier: GPL-2.0-only
/* sealwatch scan --baseline FILE --key PUB.pem IMAGE|dir:ROOTFS */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "baseline.h"
#include "cli_options.h"
#include "bstore.h"
#include "commands.h"
#include "crypto.h"
#include "errors.h"
#include "exitcode.h"
#include "image.h"
#include "log.h"
#include "scan.h"
#include "sigstore.h"

#define MAX_KEYS 16

static void scan_usage(FILE *out)
{
	fprintf(out,
		"Usage: sealwatch scan --baseline FILE --key PUB.pem [OPTIONS] IMAGE|dir:ROOTFS\n\n"
		"Verify the baseline's signature, then report every file of the image or tree\n"
		"that differs from it: one JSON object per line on stdout, a summary on stderr.\n\n"
		"Options:\n"
		"  -b, --baseline FILE        the baseline (JSON Lines)\n"
		"  -k, --key PUB.pem          trusted public key (repeatable)\n"
		"  -s, --signature SIG        detached signature (default FILE.sig)\n"
		"      --bundle B             Sigstore bundle (default FILE.sigstore.json, used\n"
		"                             when it exists or no --key is given)\n"
		"      --certificate-identity ID | --certificate-identity-regexp RE\n"
		"      --certificate-oidc-issuer URL   the keyless signer (docs/signing.md)\n"
		"      --trusted-root FILE    default " SIGSTORE_DEFAULT_ROOT_DIR
		"/trusted_root.json\n"
		"      --insecure-skip-verify do not check the signature (never in production)\n"
		"      --platform P           os/arch[/variant] to pick from an index\n"
		"  -j, --jobs N               worker threads\n"
		"      --exclude GLOB         dir: skip paths matching GLOB (repeatable)\n"
		"      --allow-devices        accept device nodes in layers\n"
		"  -h, --help                 this help\n\n"
		"Exit codes: 0 identical, 1 differs, 2 usage, 3 bad input,\n"
		"4 bad or missing signature, 5 I/O error, 6 limit exceeded.\n");
}

struct scan_out {
	int error;
};

static int emit_change(enum scan_change change, unsigned int fields,
		       const struct sw_entry *expected, const struct sw_entry *actual, void *ctx)
{
	struct scan_out *so = ctx;
	json_t *o = json_object(), *list = json_array(), *je = NULL, *ja = NULL;
	char *line;
	int ret = -ENOMEM;

	if (!o || !list)
		goto cleanup;
	json_object_set_new(o, "change", json_string(scan_change_name(change)));
	if (expected && baseline_entry_to_json(expected, &je))
		goto cleanup;
	if (actual && baseline_entry_to_json(actual, &ja))
		goto cleanup;
	json_object_set(o, "path", json_object_get(je ? je : ja, "path"));
	for (unsigned int bit = 1; bit <= SCAN_F_DEVICE; bit <<= 1)
		if (fields & bit)
			json_array_append_new(list, json_string(scan_field_name(bit)));
	if (json_array_size(list))
		json_object_set(o, "fields", list);
	if (je)
		json_object_set(o, "expected", je);
	if (ja)
		json_object_set(o, "actual", ja);
	line = json_dumps(o, JSON_COMPACT);
	if (!line)
		goto cleanup;
	puts(line);
	free(line);
	ret = 0;
cleanup:
	json_decref(je);
	json_decref(ja);
	json_decref(list);
	json_decref(o);
	if (ret)
		so->error = ret;
	return ret;
}

/* The image's identity: a rebuilt or re-pushed image has another config digest. */
static int compare_identity(const struct sw_baseline *b, const struct sw_image *img)
{
	json_t *o;
	char *line;

	if (!img->hdr.config_digest || !b->hdr.config_digest ||
	    !strcmp(img->hdr.config_digest, b->hdr.config_digest))
		return 0;
	o = json_pack("{s:s, s:s, s:s, s:s}", "change", "image", "field", "config_digest",
		      "expected", b->hdr.config_digest, "actual", img->hdr.config_digest);
	line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		puts(line);
	free(line);
	json_decref(o);
	return 1;
}

/*
 * Verify the signature over the exact bytes that will then be parsed: the
 * Sigstore bundle when keyless is asked for (@kl->issuer) and the bundle exists
 * or no key is given, else the detached signature.
 */
static int load_verified(const char *path, const char *sig_path, char **keys, size_t n_keys,
			 const struct sigstore_cli_args *kl, bool skip_verify,
			 struct sw_baseline **ret, struct sw_error *err)
{
	struct sigstore_policy policy = { .identity = kl->identity,
					  .identity_regexp = kl->identity_regexp,
					  .issuer = kl->issuer };
	struct bstore_keyless keyless = { .identities = &policy, .n_identities = 1 };
	struct sigstore_trusted_root *root = NULL;
	struct sw_pubkey *pub[MAX_KEYS] = { 0 };
	int r = 0;

	if (skip_verify) {
		log_warn("scan: --insecure-skip-verify: the baseline's signature is NOT checked");
		return baseline_load(path, ret, err);
	}
	if (kl->issuer) {
		r = sigstore_trusted_root_load(kl->trusted_root ? kl->trusted_root :
								  SIGSTORE_DEFAULT_ROOT_DIR
						       "/trusted_root.json",
					       &root, err);
		keyless.root = root;
	}
	for (size_t i = 0; i < n_keys && !r; i++)
		r = crypto_pubkey_load(keys[i], &pub[i], err);
	if (!r)
		r = baseline_load_verified_ex(path, sig_path, kl->bundle, pub, n_keys, &keyless,
					      ret, err);
	for (size_t i = 0; i < n_keys; i++)
		crypto_pubkey_free(pub[i]);
	sigstore_trusted_root_free(root);
	return r;
}

struct scan_args {
	char *keys[MAX_KEYS];
	size_t n_keys;
	const char *baseline_path, *sig_path, *image;
	bool skip_verify;
	struct sigstore_cli_args kl; /* keyless: bundle, identity, issuer, trusted root */
};

/* The verification the arguments ask for is complete: 0, or -1 (logged). */
static int check_scan_args(const struct scan_args *a)
{
	const struct sigstore_cli_args *kl = &a->kl;

	if ((kl->identity || kl->identity_regexp || kl->issuer) &&
	    (!kl->issuer || !!kl->identity == !!kl->identity_regexp)) {
		log_error("scan: keyless needs --certificate-oidc-issuer and one of "
			  "--certificate-identity, --certificate-identity-regexp");
		return -1;
	}
	if ((kl->bundle || kl->trusted_root) && !kl->issuer) {
		log_error("scan: --bundle and --trusted-root need --certificate-oidc-issuer");
		return -1;
	}
	if (!a->n_keys && !kl->issuer && !a->skip_verify) {
		log_error("scan: need --key PUB.pem or a keyless identity to verify the baseline "
			  "(or --insecure-skip-verify)");
		return -1;
	}
	return 0;
}

static const struct option scan_options[] = {
	{ "baseline", required_argument, NULL, 'b' },
	{ "key", required_argument, NULL, 'k' },
	{ "signature", required_argument, NULL, 's' },
	{ "insecure-skip-verify", no_argument, NULL, 'I' },
	{ "jobs", required_argument, NULL, 'j' },
	CLI_IMAGE_OPTIONS,
	{ "bundle", required_argument, NULL, 'B' },
	CLI_KEYLESS_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* One option of scan's own (not an image's or the keyless signer's): 0, 1 after --help, or -1. */
static int scan_option(int c, struct scan_args *a, struct sw_image_opts *o)
{
	switch (c) {
	case 'b':
		a->baseline_path = optarg;
		return 0;
	case 'k':
		if (a->n_keys == MAX_KEYS) {
			log_error("scan: at most %d keys", MAX_KEYS);
			return -1;
		}
		a->keys[a->n_keys++] = optarg;
		return 0;
	case 's':
		a->sig_path = optarg;
		return 0;
	case 'I':
		a->skip_verify = true;
		return 0;
	case 'j':
		o->jobs = (unsigned int)atoi(optarg);
		if (o->jobs < 1 || o->jobs > 64) {
			log_error("scan: --jobs wants 1..64, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'B':
		a->kl.bundle = optarg;
		return 0;
	case 'h':
		scan_usage(stdout);
		return 1;
	default:
		log_error("scan: try 'sealwatch scan --help'");
		return -1;
	}
}

/* The command line into @a and @o: 0, 1 after --help, or -1 (usage error, logged). */
static int parse_scan_args(int argc, char **argv, struct scan_args *a, struct sw_image_opts *o)
{
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:k:s:j:h", scan_options, NULL)) != -1) {
		if (cli_image_option(c, o) || cli_keyless_option(c, &a->kl))
			continue;
		r = scan_option(c, a, o);
		if (r)
			return r;
	}
	if (optind != argc - 1 || !a->baseline_path) {
		log_error("scan: need --baseline FILE and one IMAGE (see --help)");
		return -1;
	}
	a->image = argv[optind];
	return check_scan_args(a);
}

/* The one-line summary on stderr and the exit code: differs or matches. */
static int scan_summary(const struct scan_args *a, const struct sw_baseline *b, int identity,
			const size_t counts[SCAN__COUNT])
{
	if (identity || counts[SCAN_MODIFIED] || counts[SCAN_ADDED] || counts[SCAN_REMOVED] ||
	    counts[SCAN_CHANGED]) {
		fprintf(stderr,
			"sealwatch: scan: %s DIFFERS from %s: %zu modified, %zu added, %zu "
			"removed, %zu changed%s (%zu entries in the baseline)\n",
			a->image, a->baseline_path, counts[SCAN_MODIFIED], counts[SCAN_ADDED],
			counts[SCAN_REMOVED], counts[SCAN_CHANGED],
			identity ? ", image ID differs" : "", b->n_entries);
		return SW_EXIT_DIFFERS;
	}
	fprintf(stderr, "sealwatch: scan: %s matches %s (%zu entries%s)\n", a->image,
		a->baseline_path, b->n_entries,
		a->skip_verify ? ", signature NOT verified" : ", signature verified");
	return SW_EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { .n_keys = 0 };
	size_t counts[SCAN__COUNT];
	struct sw_image_opts o;
	struct sw_baseline *b = NULL;
	struct sw_image *img = NULL;
	struct sw_error err = { { 0 } };
	struct scan_out so = { 0 };
	int ret, code = SW_EXIT_USAGE, identity;

	image_opts_init(&o);
	o.excludes = calloc((size_t)argc, sizeof(char *));
	if (!o.excludes)
		return SW_EXIT_IO;
	ret = parse_scan_args(argc, argv, &a, &o);
	if (ret) {
		code = ret > 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
		goto out;
	}
	ret = load_verified(a.baseline_path, a.sig_path, a.keys, a.n_keys, &a.kl, a.skip_verify, &b,
			    &err);
	if (!ret)
		ret = image_load(a.image, &o, &img, &err);
	if (ret) {
		log_error("scan: %s", err.msg[0] ? err.msg : strerror(-ret));
		code = sw_exit_from_errno(ret);
		goto out;
	}
	identity = compare_identity(b, img);
	ret = scan_compare(b->entries, b->n_entries, img->entries, img->n, emit_change, &so,
			   counts);
	if (ret || fflush(stdout)) {
		log_error("scan: cannot write results: %s", strerror(ret ? -ret : errno));
		code = SW_EXIT_IO;
		goto out;
	}
	code = scan_summary(&a, b, identity, counts);
out:
	baseline_free(b);
	image_free(img);
	free(o.excludes);
	return code;
}

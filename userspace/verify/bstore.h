/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's baseline store: every NAME.jsonl of a directory whose
 * detached signature NAME.jsonl.sig verifies with a trusted key, plus an
 * optional host baseline. A store is an immutable snapshot with a reference
 * count: a reload builds a new one and swaps it in, while workers finish on
 * the snapshot they hold.
 */
#ifndef SW_BSTORE_H
#define SW_BSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct baseline_index;
struct sw_baseline;
struct sw_error;
struct sw_pubkey;
struct sigstore_policy;
struct sigstore_trusted_root;

/*
 * Keyless baselines: NAME.jsonl.sigstore.json, a Sigstore bundle verified
 * offline against @root, signed by one of @identities. When keyless is on and
 * the bundle exists, it decides (a refused bundle refuses the baseline, whatever
 * NAME.jsonl.sig says); otherwise NAME.jsonl.sig is checked with the keys.
 */
struct bstore_keyless {
	const struct sigstore_trusted_root *root; /* NULL: keyless off */
	const struct sigstore_policy *identities;
	size_t n_identities;
};

/* Read @path, verify @sig_path (NULL: @path.sig) over the exact bytes, parse them. */
int baseline_load_verified(const char *path, const char *sig_path, struct sw_pubkey *const *keys,
			   size_t n_keys, struct sw_baseline **ret, struct sw_error *err);
/* The same, keyless first (@bundle_path NULL: @path.sigstore.json); @keyless may be NULL. */
int baseline_load_verified_ex(const char *path, const char *sig_path, const char *bundle_path,
			      struct sw_pubkey *const *keys, size_t n_keys,
			      const struct bstore_keyless *keyless, struct sw_baseline **ret,
			      struct sw_error *err);
/*
 * The check that refused a keyless baseline, from its error message ("tlog",
 * "certificate", "identity", …) into @out; false for other refusals.
 */
bool bstore_refusal_check(const char *msg, char *out, size_t size);

struct bstore_baseline {
	char *path;
	struct sw_baseline *b;
	struct baseline_index *idx;
	char digest[72]; /* "sha256:<hex>" of the baseline file */
	char *name; /* hdr.image_name normalized (imageref.h), else as written; may be NULL */
	/* keyless, signed by identities limited to these image-name patterns (sigstore.h) */
	bool restricted;
	char **images;
	size_t n_images;
};

/* Whether a container of image @image_name may be judged by @e (its signer's patterns). */
bool bstore_allows_image(const struct bstore_baseline *e, const char *image_name);

struct sw_bstore;

/* Told about every file considered: err 0 = loaded, else refused with @msg. */
typedef void (*bstore_report_fn)(void *ctx, const char *path, int err, const char *msg);

struct bstore_opts {
	const char *dir; /* may be NULL */
	const char *cache_dir; /* baselines fetched from registries (fetcher.h), may be NULL */
	const char *host_baseline; /* may be NULL */
	struct sw_pubkey *const *keys;
	size_t n_keys;
	uint64_t max_size; /* larger baseline files are refused unread; 0 = 4 GiB */
	const struct bstore_keyless *keyless; /* may be NULL */
	bstore_report_fn report;
	void *ctx;
};

/* Fails only on system errors; refused baselines are reported and skipped. */
int bstore_load(const struct bstore_opts *o, struct sw_bstore **ret, struct sw_error *err);
struct sw_bstore *bstore_ref(struct sw_bstore *s);
void bstore_unref(struct sw_bstore *s);
size_t bstore_count(const struct sw_bstore *s);
/* The same baselines (by file digest, host and images alike), whatever their order? */
bool bstore_same(const struct sw_bstore *a, const struct sw_bstore *b);

/*
 * The baseline of an image: by config digest ("sha256:…"), else — only when
 * the runtime records no image ID — by image name. *ret_by_name tells which.
 * A keyless baseline whose signer is limited to some image names is found by
 * ID only for a container whose @image_name matches one of them.
 */
const struct bstore_baseline *bstore_find_image(const struct sw_bstore *s, const char *image_id,
						const char *image_name, int *ret_by_name);
const struct bstore_baseline *bstore_host(const struct sw_bstore *s);
/*
 * The baseline whose image name is @image_name (both normalized): for a
 * container whose image ID matched none, the baseline it should have had
 * (image_mismatch). NULL when none.
 */
const struct bstore_baseline *bstore_find_name(const struct sw_bstore *s, const char *image_name);

#endif

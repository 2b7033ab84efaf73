/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Offline verification of Sigstore bundles (v0.1, v0.2, v0.3) against a
 * trusted root (Fulcio CAs, Rekor and CT log keys, TSAs, each with its
 * validity window) and an identity policy or a managed public key.
 *
 * Nothing here touches the network or the clock beyond time(NULL) for the
 * "integrated time is in the future" check. Every check that cannot be proved
 * refuses: the caller gets -EKEYREJECTED (a check failed), -EBADMSG (a bundle
 * or trusted root that is not well formed) or -ENOTSUP (a feature we do not
 * verify), and a one-line message whose first word names the check
 * (see sigstore_check_name()).
 */
#ifndef SW_SIGSTORE_H
#define SW_SIGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_error;
struct sigstore_bundle;
struct sigstore_trusted_root;

/* Parse a trusted_root.json (media type trustedroot v0.1/v0.2). */
int sigstore_trusted_root_parse(const char *json, size_t len, struct sigstore_trusted_root **ret,
				struct sw_error *err);
int sigstore_trusted_root_load(const char *path, struct sigstore_trusted_root **ret,
			       struct sw_error *err);
void sigstore_trusted_root_free(struct sigstore_trusted_root *root);

/* Parse a bundle (*.sigstore.json). Structural checks only. */
int sigstore_bundle_parse(const char *json, size_t len, struct sigstore_bundle **ret,
			  struct sw_error *err);
int sigstore_bundle_load(const char *path, struct sigstore_bundle **ret, struct sw_error *err);
void sigstore_bundle_free(struct sigstore_bundle *bundle);

/* What the signer must be: a certificate identity, or a managed key. */
struct sigstore_policy {
	const char *identity; /* exact SAN (URI, email, or Fulcio username) */
	const char *identity_regexp; /* POSIX extended regex over the SAN, unanchored */
	const char *issuer; /* exact OIDC issuer (Fulcio extension .1.8 or .1.1) */
	const char *key_pem; /* managed key: PEM SubjectPublicKeyInfo text */
	size_t key_pem_len;
	/*
	 * The images this signer may sign baselines of: glob patterns over
	 * normalized image names (imageref.h), '*' not crossing '/'. NULL/0: any.
	 */
	const char *const *images;
	size_t n_images;
};

/* The artifact: its bytes (optional) and always its SHA-256. */
struct sigstore_artifact {
	const unsigned char *data; /* NULL when only the digest is known */
	size_t len;
	unsigned char sha256[32];
};

/* What a successful verification proved. */
struct sigstore_result {
	char san[256]; /* the signer's identity (empty with a managed key) */
	char issuer[256];
	int64_t signed_at; /* earliest verified timestamp, seconds since the epoch */
	unsigned n_timestamps; /* verified timestamps (SETs and RFC 3161) */
	unsigned n_tlog_entries;
};

/*
 * Verify @bundle over @artifact against @root and @policy. @now is the
 * current time (seconds since the epoch) for the future-time check.
 * 0 when every check passed (and @res, may be NULL, is filled).
 */
int sigstore_verify(const struct sigstore_trusted_root *root, const struct sigstore_bundle *bundle,
		    const struct sigstore_artifact *artifact, const struct sigstore_policy *policy,
		    int64_t now, struct sigstore_result *res, struct sw_error *err);

/*
 * sigstore_verify() with each of @policies (at most 32): bit i of
 * *@ret_matched is set when policies[i] accepted the bundle (the rest are not
 * tried once one without image patterns accepted it). 0 when one did;
 * else the error of the first policy that failed on a check other than
 * "identity" (they all meet the same checks first), or of the first one.
 */
int sigstore_verify_any(const struct sigstore_trusted_root *root,
			const struct sigstore_bundle *bundle,
			const struct sigstore_artifact *artifact,
			const struct sigstore_policy *policies, size_t n_policies, int64_t now,
			uint32_t *ret_matched, struct sigstore_result *res, struct sw_error *err);

/*
 * Whether one of the policies of @matched (bits of @policies) lets its signer
 * sign a baseline of image @image_name (NULL: a baseline that names no image,
 * allowed only by a policy without image patterns).
 */
bool sigstore_policies_allow_image(const struct sigstore_policy *policies, size_t n_policies,
				   uint32_t matched, const char *image_name);
/* Whether @image_name matches one of @policy's patterns (true when it has none). */
bool sigstore_policy_allows_image(const struct sigstore_policy *policy, const char *image_name);
/*
 * "P1, P2, …" of the patterns of the policies of @matched into @out
 * (for refusal messages).
 */
void sigstore_policies_images(const struct sigstore_policy *policies, size_t n_policies,
			      uint32_t matched, char *out, size_t size);

/*
 * The check named at the start of a sigstore_verify() message (up to the
 * first ':'), e.g. "tlog", "certificate", "identity"; "bundle" otherwise.
 * Copies at most @size-1 bytes into @out.
 */
void sigstore_check_name(const char *msg, char *out, size_t size);

#endif

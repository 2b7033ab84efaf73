// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which signers are trusted, and for which images (sigstore.h): a bundle is
 * tried with every configured identity; the identities that accepted it say
 * which image names its baseline may carry (docs/signing.md).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "imageref.h"
#include "sigstore.h"

int sigstore_verify_any(const struct sigstore_trusted_root *root,
			const struct sigstore_bundle *bundle,
			const struct sigstore_artifact *artifact,
			const struct sigstore_policy *policies, size_t n_policies, int64_t now,
			uint32_t *ret_matched, struct sigstore_result *res, struct sw_error *err)
{
	struct sw_error e = { { 0 } };
	uint32_t matched = 0;
	int r, r_first = 0;

	*ret_matched = 0;
	if (!n_policies) /* fail closed: no identity is no trust */
		return sw_error_set(err, -ENOKEY, "policy: no trusted identity to verify it with");
	if (n_policies > 32)
		n_policies = 32;
	for (size_t i = 0; i < n_policies; i++) {
		r = sigstore_verify(root, bundle, artifact, &policies[i], now, matched ? NULL : res,
				    &e);
		if (!r) {
			matched |= 1u << i;
			if (!policies[i].n_images)
				break; /* a signer of any image: the others cannot add to it */
			continue;
		}
		/* every identity meets the same checks before the identity: keep the first */
		if (!r_first || !strncmp(err->msg, "identity:", 9)) {
			r_first = r;
			*err = e;
		}
	}
	*ret_matched = matched;
	return matched ? 0 : r_first;
}

bool sigstore_policy_allows_image(const struct sigstore_policy *p, const char *image_name)
{
	char norm[1100];
	const char *name = image_name;

	if (!p->n_images)
		return true;
	if (!image_name)
		return false;
	if (!imageref_normalize(image_name, norm, sizeof(norm)))
		name = norm;
	for (size_t i = 0; i < p->n_images; i++)
		if (p->images[i] && !fnmatch(p->images[i], name, FNM_PATHNAME))
			return true;
	return false;
}

bool sigstore_policies_allow_image(const struct sigstore_policy *policies, size_t n_policies,
				   uint32_t matched, const char *image_name)
{
	for (size_t i = 0; i < n_policies && i < 32; i++)
		if ((matched & (1u << i)) && sigstore_policy_allows_image(&policies[i], image_name))
			return true;
	return false;
}

void sigstore_policies_images(const struct sigstore_policy *policies, size_t n_policies,
			      uint32_t matched, char *out, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n_policies && i < 32; i++) {
		if (!(matched & (1u << i)))
			continue;
		for (size_t k = 0; k < policies[i].n_images; k++) {
			int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
					 policies[i].images[k]);

			if (n < 0 || (size_t)n >= size - used)
				return;
			used += (size_t)n;
		}
	}
}

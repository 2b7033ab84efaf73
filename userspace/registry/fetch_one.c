// SPDX-License-Identifier: GPL-2.0-only
/*
 * One fetch of the fetcher's worker (fetcher_internal.h): the registries in
 * order, each candidate verified (key or Sigstore bundle, image ID, the
 * signer's images), the first accepted one written to the cache.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "baseline.h"
#include "crypto.h"
#include "errors.h"
#include "fetcher_internal.h"
#include "fileio.h"
#include "registry.h"
#include "sigstore.h"

/*
 * A Sigstore bundle over the baseline's bytes, with the trusted root and
 * identities; *@ret_matched: the identities that accepted it. @check gets
 * the failed check's name.
 */
static int verify_bundle(struct fetcher *f, const struct reg_baseline *b, uint32_t *ret_matched,
			 char *check, size_t check_size, struct sw_error *err)
{
	struct sigstore_artifact art = { .data = (const unsigned char *)b->baseline,
					 .len = b->len };
	struct sigstore_trusted_root *root = NULL;
	struct sigstore_bundle *bundle = NULL;
	int r;

	if (!f->trusted_root) {
		snprintf(check, check_size, "policy");
		return sw_error_set(err, -ENOKEY,
				    "a Sigstore bundle, and this daemon has no trusted root");
	}
	/* read at every fetch: the user updates it like any package file */
	r = sigstore_trusted_root_load(f->trusted_root, &root, err);
	if (r) {
		snprintf(check, check_size, "policy");
		return sw_error_prefix(err, r, "trusted root");
	}
	r = sigstore_bundle_parse(b->sig, b->sig_len, &bundle, err);
	if (r) {
		snprintf(check, check_size, "bundle");
		sw_error_prefix(err, r, "bundle");
		goto out;
	}
	EVP_Digest(b->baseline, b->len, art.sha256, NULL, EVP_sha256(), NULL);
	r = sigstore_verify_any(root, bundle, &art, f->ids, f->n_ids, (int64_t)time(NULL),
				ret_matched, NULL, err);
	if (r)
		sigstore_check_name(err->msg, check, check_size);
out:
	sigstore_bundle_free(bundle);
	sigstore_trusted_root_free(root);
	return r;
}

/*
 * Check one candidate: the signature (or bundle), the image ID, and for a
 * bundle that its signer may sign this image (by the baseline's image name
 * and by the name the runtime gave); write it to the cache.
 */
static int accept_candidate(struct fetcher *f, const struct fetch_job *j,
			    const struct reg_baseline *b, struct fetch_result *res,
			    struct sw_error *err)
{
	bool keyless = !strcmp(b->sig_media_type, REG_MT_SIGSTORE_BUNDLE);
	char sig_path[PATH_MAX + 32];
	struct sw_baseline *bl = NULL;
	uint32_t matched = 0;
	int r;

	res->check[0] = '\0';
	if (keyless)
		r = verify_bundle(f, b, &matched, res->check, sizeof(res->check), err);
	else
		r = crypto_verify_any(f->keys, f->n_keys, (const unsigned char *)b->baseline,
				      b->len, b->sig, b->sig_len, err);
	if (r)
		return r;
	r = baseline_parse(b->baseline, b->len, &bl, err);
	if (r)
		return r;
	if (!bl->hdr.config_digest || strcmp(bl->hdr.config_digest, j->id)) {
		r = sw_error_set(err, -EBADMSG, "baseline is for image %s (image_mismatch)",
				 bl->hdr.config_digest ? bl->hdr.config_digest : "(none)");
	} else if (keyless) {
		const char *bad =
			!sigstore_policies_allow_image(f->ids, f->n_ids, matched,
						       bl->hdr.image_name) ?
				(bl->hdr.image_name ? bl->hdr.image_name : "(none named)") :
			!sigstore_policies_allow_image(f->ids, f->n_ids, matched, j->name) ?
				j->name :
				NULL;

		if (bad) {
			char pats[400];

			sigstore_policies_images(f->ids, f->n_ids, matched, pats, sizeof(pats));
			snprintf(res->check, sizeof(res->check), "image");
			r = sw_error_set(err, -EKEYREJECTED,
					 "image: the signer may sign baselines of images %s only, "
					 "not of %s",
					 pats, bad);
		}
	}
	baseline_free(bl);
	if (r)
		return r;
	snprintf(res->path, sizeof(res->path), "%s/%s.jsonl", f->cache_dir, j->id + 7);
	snprintf(sig_path, sizeof(sig_path), "%s%s", res->path,
		 keyless ? ".sigstore.json" : ".sig");
	/* signature first: the store never sees a baseline without it */
	r = file_write_atomic(sig_path, b->sig, b->sig_len, 0644, err);
	if (!r) {
		/* the other kind from an earlier fetch would decide instead (bstore.h) */
		snprintf(sig_path, sizeof(sig_path), "%s%s", res->path,
			 keyless ? ".sig" : ".sigstore.json");
		unlink(sig_path);
		r = file_write_atomic(res->path, b->baseline, b->len, 0644, err);
	}
	return r;
}

/* What the registries said so far, for the verdict when none gave a baseline. */
struct fetch_tally {
	bool unreachable, refused, answered;
	char refused_check[sizeof(((struct fetch_result *)0)->check)];
	char down[256], down_msg[256];
};

static void tally_down(struct fetch_tally *t, const char *registry, const char *msg)
{
	t->unreachable = true;
	snprintf(t->down, sizeof(t->down), "%s", registry);
	snprintf(t->down_msg, sizeof(t->down_msg), "%s", msg);
}

/* The candidates one registry gave for a digest: true when one was accepted. */
static bool take_candidates(struct fetcher *f, const struct fetch_job *j, struct reg_baseline *got,
			    size_t n, struct fetch_result *res, struct fetch_tally *t)
{
	struct sw_error err = { { 0 } };

	for (size_t k = 0; k < n; k++) {
		if (res->state != FETCH_READY) {
			if (!accept_candidate(f, j, &got[k], res, &err)) {
				res->state = FETCH_READY;
				snprintf(res->msg, sizeof(res->msg), "artifact %s verified",
					 got[k].artifact_digest);
			} else {
				t->refused = true;
				snprintf(res->msg, sizeof(res->msg), "artifact %s: %s",
					 got[k].artifact_digest, err.msg);
				snprintf(t->refused_check, sizeof(t->refused_check), "%s",
					 res->check);
			}
		}
		reg_baseline_clear(&got[k]);
	}
	return res->state == FETCH_READY;
}

/* Ask registry @ri for each of the image's digests: true when a baseline was accepted. */
static bool try_registry(struct fetcher *f, const struct fetch_job *j, size_t ri, const char *repo,
			 struct fetch_result *res, struct fetch_tally *t)
{
	struct sw_error err = { { 0 } };

	if (!f->clients[ri] &&
	    reg_client_new(&f->o.reg, f->registries[ri], &f->clients[ri], &err)) {
		tally_down(t, f->registries[ri], err.msg);
		return false;
	}
	for (size_t di = 0; di < j->n_digests; di++) {
		struct reg_baseline got[MAX_CANDIDATES];
		size_t n = 0;
		int r = reg_fetch_baselines(f->clients[ri], repo, j->digests[di], got,
					    MAX_CANDIDATES, &n, &err);

		if (r == -ENOENT)
			continue;
		if (r == -EHOSTUNREACH || r == -EACCES || r == -ENOMEM) {
			tally_down(t, f->registries[ri], err.msg);
			return false; /* this registry: try the next one */
		}
		snprintf(res->source, sizeof(res->source), "registry://%s/%s@%s", f->registries[ri],
			 repo, j->digests[di]);
		if (r) {
			t->refused = true;
			snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
			continue;
		}
		if (take_candidates(f, j, got, n, res, t))
			return true;
	}
	t->answered = true;
	return false;
}

/* No registry gave an accepted baseline: refused, pending or none attached. */
static void conclude(const struct fetch_job *j, size_t n_order, const struct fetch_tally *t,
		     struct fetch_result *res)
{
	if (t->refused) {
		res->state = FETCH_REFUSED;
		snprintf(res->check, sizeof(res->check), "%s", t->refused_check);
	} else if (t->unreachable && !t->answered) {
		res->state = FETCH_PENDING;
		res->transient = true;
		snprintf(res->msg, sizeof(res->msg), "%s", t->down_msg);
	} else if (t->unreachable) {
		/*
		 * Mirrors hold the same content: one that answered "none
		 * attached" settles it (no_baseline, never pending for ever
		 * behind a mirror that is down); asked again sooner, though.
		 */
		res->partial = true;
		snprintf(res->msg, sizeof(res->msg),
			 "no baseline attached to %s in %zu registries (%s unreachable: %.150s)",
			 j->digests[0], n_order, t->down, t->down_msg);
	}
}

void fetcher_fetch_one(struct fetcher *f, const struct fetch_job *j, struct fetch_result *res)
{
	char host[256], repo[256];
	struct fetch_tally t = { 0 };
	size_t order[16], n_order = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->image_id, sizeof(res->image_id), "%s", j->id);
	res->state = FETCH_ABSENT;
	if (!j->n_digests || !j->name[0] ||
	    !fetcher_split_name(j->name, host, sizeof(host), repo, sizeof(repo))) {
		snprintf(res->msg, sizeof(res->msg), "%s",
			 j->name[0] ? "the runtime records no manifest digest for this image" :
				      "the runtime records no image name (no repository to ask)");
		return;
	}
	/* the image's own registry first when configured, then the others (mirrors) */
	for (size_t i = 0; i < f->o.n_registries && n_order < 16; i++)
		if (!strcmp(f->registries[i], host))
			order[n_order++] = i;
	for (size_t i = 0; i < f->o.n_registries && n_order < 16; i++)
		if (strcmp(f->registries[i], host))
			order[n_order++] = i;
	snprintf(res->msg, sizeof(res->msg), "no baseline attached to %s in %zu registries",
		 j->digests[0], n_order);
	for (size_t oi = 0; oi < n_order; oi++)
		if (try_registry(f, j, order[oi], repo, res, &t))
			return;
	conclude(j, n_order, &t, res);
}

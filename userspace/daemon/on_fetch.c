// SPDX-License-Identifier: GPL-2.0-only
/*
 * on_fetch.c: baselines from registries (daemon.h, docs/registry.md). The
 * fetcher (registry/fetcher.h) works in its own thread; here the event loop
 * asks it about containers without a baseline and takes its results: a new
 * baseline reloads the store, a refused one is a baseline_refused alert
 * (with the Sigstore check that refused a keyless one).
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "daemon.h"
#include "errors.h"
#include "fetcher.h"
#include "log.h"
#include "report.h"
#include "resolver.h"
#include "sigstore.h"

int fetch_start(struct daemon *d, struct sw_error *err)
{
	const struct sw_config *c = &d->cfg;
	struct sigstore_policy ids[SW_CONFIG_MAX_LIST];
	struct fetcher_opts o = {
		.registries = c->registries,
		.n_registries = c->n_registries,
		.reg = {
			.insecure = c->registry_insecure,
			.ca_file = c->registry_ca_file,
			.auth_file = c->registry_auth_file,
			.token_file = c->registry_token_file,
		},
		.cache_dir = c->baseline_cache,
		.cache_max = c->baseline_cache_max,
		.key_paths = c->trusted_keys,
		.n_keys = c->n_trusted_keys,
		.retry_max_s = c->registry_retry_max,
		.negative_s = c->registry_negative_ttl,
		.trusted_root = c->trusted_root,
		.identities = ids,
	};
	int r;

	if (!c->n_registries)
		return 0;
	/* the same identities as the store's (reload.c): the fetcher copies them */
	if (c->trusted_root)
		o.n_identities = identity_policies(c, ids);
	r = fetcher_new(&o, &d->fetcher, err);
	if (r)
		return r;
	log_info("baselines on demand from %zu registr%s, cache %s (at most %u)", c->n_registries,
		 c->n_registries == 1 ? "y" : "ies", c->baseline_cache, c->baseline_cache_max);
	return 0;
}

bool fetch_want(struct daemon *d, const struct sw_container *c)
{
	enum fetch_state st = fetcher_want(d->fetcher, c->image_id, c->image_name, c->image_digests,
					   c->n_image_digests);

	/* READY: fetched, the store reload has not happened yet */
	return st == FETCH_PENDING || st == FETCH_READY;
}

static void on_result(void *ctx, const struct fetch_result *r)
{
	struct daemon *d = ctx;

	switch (r->state) {
	case FETCH_READY:
		log_info("baseline of image %.19s fetched from %s: %s", r->image_id, r->source,
			 r->msg);
		d->stats.baselines_fetched++;
		schedule_reload(d, 0);
		break;
	case FETCH_PENDING:
		log_warn("baseline of image %.19s: registries unreachable (%s); retry in %u s",
			 r->image_id, r->msg, r->retry_in_s);
		break;
	case FETCH_ABSENT:
		log_info("baseline of image %.19s: %s; asked again in %u s", r->image_id, r->msg,
			 r->retry_in_s);
		break;
	case FETCH_REFUSED: {
		json_t *extra = json_pack("{s:{s:s},s:s}", "baseline", "path",
					  r->source[0] ? r->source : r->image_id, "reason", r->msg);

		log_warn("baseline %s refused: %s", r->source, r->msg);
		d->stats.baselines_refused++;
		/* a fetched Sigstore bundle: the check that refused it, as for local ones */
		if (extra && r->check[0])
			json_object_set_new(json_object_get(extra, "baseline"), "check",
					    json_string(r->check));
		report_daemon(d->report, "alert", "baseline_refused", SW_SEVERITY_HIGH, extra,
			      "baseline %s refused: %s", r->source, r->msg);
		break;
	}
	}
}

void fetch_results(struct daemon *d)
{
	if (d->fetcher)
		fetcher_drain(d->fetcher, on_result, d);
}

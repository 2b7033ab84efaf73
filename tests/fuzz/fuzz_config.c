// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's JSON config file, from the fuzzer, through config_load_file().
 * Beyond "no crash": an accepted trusted_identities list holds items with an
 * issuer and exactly one of identity/identity_regexp, and 0-16 non-empty image
 * patterns each, which the matcher (sigstore_policy_allows_image) takes against
 * a few image names without crashing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "sigstore.h"

static void check_identities(const struct sw_config *c)
{
	static const char *const names[] = {
		"registry.example/team-a/app:1", "nginx", NULL,
		"localhost:5000/a/b/c@sha256:"
		"0000000000000000000000000000000000000000000000000000000000000000"
	};

	if (c->n_trusted_identities > SW_CONFIG_MAX_LIST)
		abort();
	for (size_t i = 0; i < c->n_trusted_identities; i++) {
		const struct sw_config_identity *id = &c->trusted_identities[i];
		struct sigstore_policy p = { .issuer = id->issuer,
					     .identity = id->identity,
					     .identity_regexp = id->identity_regexp,
					     .images = (const char *const *)id->images,
					     .n_images = id->n_images };

		if (!id->issuer || !id->issuer[0] || !id->identity == !id->identity_regexp ||
		    id->n_images > SW_CONFIG_MAX_LIST)
			abort();
		for (size_t k = 0; k < id->n_images; k++)
			if (!id->images[k] || !id->images[k][0])
				abort();
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!id->n_images && !sigstore_policy_allows_image(&p, names[k]))
				abort(); /* no pattern: any image */
			else
				sigstore_policy_allows_image(&p, names[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	struct sw_config c;
	struct sw_error err;
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/sw-fuzz-config.%d.json",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	config_init(&c);
	if (!config_load_file(&c, path, &err))
		check_identities(&c);
	config_clear(&c);
	return 0;
}

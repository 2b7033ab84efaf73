// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"
#include "errors.h"
#include "verdict.h"

void config_init(struct sw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hash_workers = 2;
	c->queue_size = 4096;
	c->cache_size = 65536;
	c->no_baseline_severity = SW_SEVERITY_MEDIUM;
	c->fold_window = 10;
	c->image_mismatch = true;
	c->hash_max_size = SW_CONFIG_HASH_MAX_DEFAULT;
	c->baseline_max_size = SW_CONFIG_BASELINE_MAX_DEFAULT;
	c->baseline_cache_max = 256;
	c->registry_retry_max = 300;
	c->registry_negative_ttl = 600;
	policy_init(&c->policy);
}

int config_mode_from_name(const char *text, struct sw_policy *p)
{
	char mode[32];
	size_t n = text ? strlen(text) : 0;
	bool strict = false;

	if (!n || n >= sizeof(mode))
		return -EINVAL;
	memcpy(mode, text, n + 1);
	if (n > 7 && !strcmp(mode + n - 7, ",strict")) {
		strict = true;
		mode[n - 7] = '\0';
	}
	if (policy_mode_from_name(mode, &p->default_mode))
		return -EINVAL;
	p->default_strict = strict;
	return 0;
}

int config_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (shift && v > (max >> shift))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

void config_clear(struct sw_config *c)
{
	free(c->baseline_dir);
	free(c->host_baseline);
	free(c->metrics_listen);
	free(c->state_file);
	free(c->storage_root);
	free(c->docker_root);
	free(c->containerd_root);
	free(c->containerd_state);
	free(c->registry_ca_file);
	free(c->registry_auth_file);
	free(c->registry_token_file);
	free(c->baseline_cache);
	free(c->profile_dir);
	for (size_t i = 0; i < c->n_registries; i++)
		free(c->registries[i]);
	for (size_t i = 0; i < c->n_trusted_keys; i++)
		free(c->trusted_keys[i]);
	free(c->trusted_root);
	for (size_t i = 0; i < c->n_trusted_identities; i++)
		config_identity_clear(&c->trusted_identities[i]);
	for (size_t i = 0; i < c->n_outputs; i++)
		free(c->outputs[i]);
	for (size_t i = 0; i < c->n_interpreters; i++)
		free(c->interpreters[i]);
	for (size_t i = 0; i < c->n_verify_read_paths; i++)
		free(c->verify_read_paths[i]);
	for (size_t i = 0; i < c->n_layer_stores; i++)
		free(c->layer_stores[i]);
	memset(c, 0, sizeof(*c));
}

int config_list_add(char **list, size_t *n, const char *value)
{
	if (*n >= SW_CONFIG_MAX_LIST)
		return -E2BIG;
	list[*n] = strdup(value);
	if (!list[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* @values appended to a list the file and the flags left unset. */
static int list_defaults(char **list, size_t *n, bool set, const char *const *values,
			 size_t n_values)
{
	int r = 0;

	if (set)
		return 0;
	for (size_t i = 0; i < n_values && !r; i++)
		r = config_list_add(list, n, values[i]);
	return r;
}

int config_default_interpreters(struct sw_config *c)
{
	static const char *const names[] = {
		"sh",	 "bash",  "dash", "ash",  "zsh",  "ksh*",   "busybox", "python*",
		"perl*", "ruby*", "node", "php*", "lua*", "tclsh*", "Rscript", "pwsh",
	};

	return list_defaults(c->interpreters, &c->n_interpreters, c->interpreters_set, names,
			     sizeof(names) / sizeof(names[0]));
}

int config_default_layer_stores(struct sw_config *c)
{
	static const char *const dirs[] = {
		"/var/lib/containers/storage/overlay",
		"/var/lib/docker/overlay2",
		"/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots",
		"/var/lib/rancher/k3s/agent/containerd/io.containerd.snapshotter.v1.overlayfs/"
		"snapshots",
		"/var/lib/rancher/rke2/agent/containerd/io.containerd.snapshotter.v1.overlayfs/"
		"snapshots",
	};

	return list_defaults(c->layer_stores, &c->n_layer_stores, c->layer_stores_set, dirs,
			     sizeof(dirs) / sizeof(dirs[0]));
}

int config_severity_from_name(const char *name, int *ret)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "info", SW_SEVERITY_INFO },	      { "low", SW_SEVERITY_LOW },
		{ "medium", SW_SEVERITY_MEDIUM },     { "high", SW_SEVERITY_HIGH },
		{ "critical", SW_SEVERITY_CRITICAL },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*ret = names[i].value;
			return 0;
		}
	return -EINVAL;
}

bool config_registry_ok(const char *s)
{
	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-:[]", *s)))
			return false;
	return true;
}

void config_identity_clear(struct sw_config_identity *id)
{
	free(id->issuer);
	free(id->identity);
	free(id->identity_regexp);
	for (size_t i = 0; i < id->n_images; i++)
		free(id->images[i]);
	memset(id, 0, sizeof(*id));
}

int config_identity_push(struct sw_config *c, const char *issuer, const char *identity,
			 const char *identity_regexp)
{
	struct sw_config_identity *id;

	if (c->n_trusted_identities >= SW_CONFIG_MAX_LIST)
		return -E2BIG;
	id = &c->trusted_identities[c->n_trusted_identities];
	id->issuer = strdup(issuer);
	id->identity = identity ? strdup(identity) : NULL;
	id->identity_regexp = identity_regexp ? strdup(identity_regexp) : NULL;
	c->n_trusted_identities++;
	if (!id->issuer || (identity && !id->identity) || (identity_regexp && !id->identity_regexp))
		return -ENOMEM;
	return 0;
}

int config_identity_add(struct sw_config *c, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *issuer;
	int r;

	if (!eq || eq == spec || !eq[1])
		return -EINVAL;
	issuer = strndup(spec, (size_t)(eq - spec));
	if (!issuer)
		return -ENOMEM;
	r = config_identity_push(c, issuer, eq + 1, NULL);
	free(issuer);
	return r;
}
bool config_error_key(const char *msg, char *key, size_t size)
{
	const char *p = msg ? strstr(msg, ": key '") : NULL, *end;

	if (size)
		*key = '\0';
	if (!p || !size)
		return false;
	p += strlen(": key '");
	end = strchr(p, '\'');
	if (!end || (size_t)(end - p) >= size)
		return false;
	memcpy(key, p, (size_t)(end - p));
	key[end - p] = '\0';
	return true;
}

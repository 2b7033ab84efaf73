// SPDX-License-Identifier: GPL-2.0-only
/* profile_set.c: the element sets of a profile (profile_internal.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile_internal.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t slot_of(char **slots, size_t n_slots, const char *item)
{
	size_t i = (size_t)hash_str(item) & (n_slots - 1);

	while (slots[i] && strcmp(slots[i], item))
		i = (i + 1) & (n_slots - 1);
	return i;
}

static int grow(struct pset *s)
{
	size_t n_slots = s->n_slots ? s->n_slots * 2 : 16;
	char **slots = calloc(n_slots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i])
			slots[slot_of(slots, n_slots, s->slots[i])] = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->n_slots = n_slots;
	return 0;
}

bool pset_has(const struct pset *s, const char *item)
{
	return s->n_slots && s->slots[slot_of(s->slots, s->n_slots, item)];
}

int pset_add(struct pset *s, const char *item, size_t max)
{
	size_t i;

	if (pset_has(s, item))
		return 0;
	if (s->n >= max)
		return -E2BIG;
	/* at most half full */
	if ((s->n + 1) * 2 > s->n_slots && grow(s))
		return -ENOMEM;
	i = slot_of(s->slots, s->n_slots, item);
	s->slots[i] = strdup(item);
	if (!s->slots[i])
		return -ENOMEM;
	s->n++;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **pset_sorted(const struct pset *s)
{
	const char **out;
	size_t k = 0;

	if (!s->n || !(out = calloc(s->n, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i])
			out[k++] = s->slots[i];
	qsort(out, k, sizeof(*out), cmp_str);
	return out;
}

void pset_clear(struct pset *s)
{
	for (size_t i = 0; i < s->n_slots; i++)
		free(s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

size_t pset_bytes(const struct pset *s)
{
	size_t b = s->n_slots * sizeof(char *);

	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i])
			b += strlen(s->slots[i]) + 1;
	return b;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * fold.c: one finding, one alert (report.h). A small open-addressing table of
 * the findings seen in the current window, keyed by a hash of what makes a
 * finding: container, file path, action, verdict, content hash, reason.
 * Called with the report's fold lock held.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fold.h"

/* FNV-1a over the parts of a finding, each followed by a separator byte. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return mix(h, s ? s : "", s ? strlen(s) : 0);
}

uint64_t fold_key(const char *container, const char *path, const char *action, int verdict,
		  const unsigned char *sha256, size_t sha_len, const char *reason)
{
	static const unsigned char none[1];
	uint64_t h = 0xcbf29ce484222325ULL;

	h = mix_str(h, container);
	h = mix_str(h, path);
	h = mix_str(h, action);
	h = mix(h, &verdict, sizeof(verdict));
	h = mix(h, sha256 ? sha256 : none, sha256 ? sha_len : 0);
	h = mix_str(h, reason);
	return h ? h : 1;
}

uint64_t fold_key_decision(uint64_t key, const char *decision)
{
	uint64_t h;

	if (!decision)
		return key;
	h = mix_str(key, decision);
	return h ? h : 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct fold_slot *find(struct fold *f, uint64_t key, bool *found)
{
	size_t i = key & (FOLD_SLOTS - 1);
	struct fold_slot *empty = NULL;

	for (size_t n = 0; n < FOLD_PROBE; n++, i = (i + 1) & (FOLD_SLOTS - 1)) {
		if (f->slots[i].key == key) {
			*found = true;
			return &f->slots[i];
		}
		if (!f->slots[i].key && !empty)
			empty = &f->slots[i];
	}
	*found = false;
	return empty;
}

bool fold_seen(struct fold *f, uint64_t key, const char *line)
{
	struct fold_slot *s;
	bool found;
	double t = now_s();

	s = find(f, key, &found);
	if (!s)
		return false; /* table full here: emit, never lose a finding */
	if (found && t - s->opened < f->window) {
		s->count++;
		free(s->last);
		s->last = line ? strdup(line) : NULL;
		return true;
	}
	/* a new finding, or one whose window closed with no repeats pending */
	if (found && s->count)
		return false; /* its summary is due: the flush emits it first */
	free(s->last);
	*s = (struct fold_slot){ .key = key, .opened = t };
	return false;
}

/* The summary of @s: its last repeat with sealwatch.repeats {count, window_seconds}. */
static char *summary(const struct fold *f, const struct fold_slot *s)
{
	json_t *root = s->last ? json_loads(s->last, 0, NULL) : NULL, *sw;
	char *line;

	if (!root)
		return NULL;
	sw = json_object_get(root, "sealwatch");
	if (!sw) {
		sw = json_object();
		json_object_set_new(root, "sealwatch", sw);
	}
	json_object_set_new(sw, "repeats",
			    json_pack("{s:I,s:I}", "count", (json_int_t)s->count, "window_seconds",
				      (json_int_t)f->window));
	line = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return line;
}

size_t fold_flush(struct fold *f, bool all, char **out, size_t max)
{
	double t = now_s();
	size_t n = 0;

	for (size_t i = 0; i < FOLD_SLOTS && n < max; i++) {
		struct fold_slot *s = &f->slots[i];

		if (!s->key || (!all && t - s->opened < f->window))
			continue;
		if (s->count) {
			char *line = summary(f, s);

			if (line)
				out[n++] = line;
			/* a new window starts with the summary: repeats go on folding */
			s->count = 0;
			s->opened = t;
			free(s->last);
			s->last = NULL;
			if (!all)
				continue;
		}
		free(s->last);
		*s = (struct fold_slot){ 0 };
	}
	return n;
}

void fold_reset(struct fold *f)
{
	for (size_t i = 0; i < FOLD_SLOTS; i++)
		free(f->slots[i].last);
	memset(f->slots, 0, sizeof(f->slots));
}

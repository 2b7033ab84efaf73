// SPDX-License-Identifier: GPL-2.0-only
/*
 * profile_file.c: a profile as JSON, stored or exported (docs/profiles.md),
 * its parser and its file (profile.h). Never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "fileio.h"
#include "path.h"
#include "profile_internal.h"

#define PROFILE_FORMAT 1
#define ELEMENT_MAX 4096 /* bytes of one escaped path */

static const char *const state_names[] = {
	[PROFILE_LEARNING] = "learning",
	[PROFILE_LOCKED] = "locked",
	[PROFILE_REFUSED] = "refused",
};

const char *profile_state_name(enum profile_state st)
{
	return st <= PROFILE_REFUSED ? state_names[st] : "?";
}

enum profile_state profile_get_state(const struct profile *p)
{
	return p->state;
}

void profile_set_state(struct profile *p, enum profile_state st, time_t now)
{
	p->state = st;
	if (st == PROFILE_LEARNING) {
		p->created = p->last_new = now;
		p->execs_since_new = 0;
	}
}

void profile_sizes(const struct profile *p, size_t *exes, size_t *edges, size_t *users)
{
	*exes = p->exes.n;
	*edges = p->edges.n;
	*users = p->users.n;
}

bool profile_image_id_ok(const char *s)
{
	if (strncmp(s, "sha256:", 7) || strlen(s) != PROFILE_IMAGE_ID_LEN)
		return false;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	pset_clear(&p->exes);
	pset_clear(&p->edges);
	pset_clear(&p->users);
	free(p);
}

/* ---- writing ---- */

/* Split "A\nB" into two JSON strings under @ka and @kb. */
static json_t *pair_json(const char *item, const char *ka, const char *kb)
{
	const char *nl = strchr(item, '\n');

	if (!nl)
		return NULL;
	return json_pack("{s:s%,s:s}", ka, item, (size_t)(nl - item), kb, nl + 1);
}

static json_t *set_json(const struct pset *s, const char *ka, const char *kb)
{
	const char **items = pset_sorted(s);
	json_t *a = json_array();

	for (size_t i = 0; a && items && i < s->n; i++) {
		json_t *v = ka ? pair_json(items[i], ka, kb) :
				 json_integer(strtoll(items[i], NULL, 10));

		if (v)
			json_array_append_new(a, v);
	}
	free(items);
	return a;
}

/* User IDs sort as numbers, not text. */
static int cmp_int(const void *a, const void *b)
{
	json_int_t x = json_integer_value(*(json_t *const *)a);
	json_int_t y = json_integer_value(*(json_t *const *)b);

	return x < y ? -1 : x > y;
}

static json_t *users_json(const struct pset *s)
{
	json_t *a = set_json(s, NULL, NULL), *sorted = json_array();
	size_t n = a ? json_array_size(a) : 0;
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(a, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp_int);
	for (size_t i = 0; v && sorted && i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(a);
	return sorted;
}

char *profile_json(const struct profile *p, bool exported, size_t *ret_len)
{
	json_t *o = json_pack(
		"{s:i,s:s,s:s,s:o,s:o,s:o}", "sealwatch_profile", PROFILE_FORMAT, "image_id",
		p->image_id, "state", exported ? "locked" : profile_state_name(p->state),
		"executables", set_json(&p->exes, "path", "sha256"), "edges",
		set_json(&p->edges, "parent", "child"), "users", users_json(&p->users));
	char *text, *out = NULL;

	if (!o)
		return NULL;
	if (!exported) {
		json_object_set_new(o, "learning",
				    json_pack("{s:I,s:I,s:I,s:I}", "created",
					      (json_int_t)p->created, "last_new",
					      (json_int_t)p->last_new, "execs",
					      (json_int_t)p->execs, "execs_since_new",
					      (json_int_t)p->execs_since_new));
		json_object_set_new(o, "counters",
				    json_pack("{s:I,s:I}", "anomalies", (json_int_t)p->anomalies,
					      "capped", (json_int_t)p->capped));
	}
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(o);
	if (text && asprintf(&out, "%s\n", text) < 0)
		out = NULL;
	free(text);
	if (out && ret_len)
		*ret_len = strlen(out);
	return out;
}

int profile_save(const struct profile *p, const char *path, struct sw_error *err)
{
	size_t len;
	char *text = profile_json(p, false, &len);
	int r;

	if (!text)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = file_write_atomic(path, text, len, 0600, err);
	free(text);
	return r;
}

/* ---- parsing ---- */

/* An escaped absolute path: one escaped form, no control character. */
static bool path_ok(const char *s)
{
	char *raw = NULL;
	bool ok = s[0] == '/' && strlen(s) < ELEMENT_MAX && !path_unescape(s, &raw);

	free(raw);
	return ok;
}

static bool sha256_ok(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int add_pair(struct pset *s, json_t *v, const char *ka, const char *kb, size_t max,
		    struct sw_error *err)
{
	const char *a = json_string_value(json_object_get(v, ka));
	const char *b = json_string_value(json_object_get(v, kb));
	char *item;
	int r;

	if (!a || !b || !path_ok(a) || (strcmp(kb, "sha256") ? !path_ok(b) : !sha256_ok(b)))
		return sw_error_set(err, -EBADMSG, "a malformed %s/%s element", ka, kb);
	if (asprintf(&item, "%s\n%s", a, b) < 0)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = pset_add(s, item, max);
	free(item);
	if (r == -E2BIG)
		return sw_error_set(err, r, "more %s elements than the cap (%zu)", ka, max);
	return r < 0 ? sw_error_set(err, r, "out of memory") : 0;
}

static int parse_sets(struct profile *p, json_t *o, const struct profile_limits *lim,
		      struct sw_error *err)
{
	json_t *exes = json_object_get(o, "executables"), *edges = json_object_get(o, "edges");
	json_t *users = json_object_get(o, "users"), *v;
	size_t i;
	int r;

	if (!json_is_array(exes) || !json_is_array(edges) || !json_is_array(users))
		return sw_error_set(err, -EBADMSG, "executables, edges and users must be arrays");
	json_array_foreach(exes, i, v)
		if ((r = add_pair(&p->exes, v, "path", "sha256", lim->max_executables, err)))
			return r;
	json_array_foreach(edges, i, v)
		if ((r = add_pair(&p->edges, v, "parent", "child", lim->max_edges, err)))
			return r;
	json_array_foreach(users, i, v) {
		char uid[16];

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return sw_error_set(err, -EBADMSG, "a user is not a number 0..4294967295");
		snprintf(uid, sizeof(uid), "%lld", (long long)json_integer_value(v));
		r = pset_add(&p->users, uid, lim->max_users);
		if (r < 0)
			return sw_error_set(
				err, r, r == -E2BIG ? "more users than the cap" : "out of memory");
	}
	return 0;
}

static int parse_learning(struct profile *p, json_t *o, struct sw_error *err)
{
	json_t *l = json_object_get(o, "learning"), *c = json_object_get(o, "counters");
	json_int_t v[6] = { 0 };

	if ((l && json_unpack(l, "{s:I,s:I,s:I,s:I}", "created", &v[0], "last_new", &v[1], "execs",
			      &v[2], "execs_since_new", &v[3])) ||
	    (c && json_unpack(c, "{s:I,s:I}", "anomalies", &v[4], "capped", &v[5])))
		return sw_error_set(err, -EBADMSG, "malformed learning or counters");
	for (int i = 0; i < 6; i++)
		if (v[i] < 0)
			return sw_error_set(err, -EBADMSG, "a negative time or count");
	p->created = v[0];
	p->last_new = v[1];
	p->execs = (uint64_t)v[2];
	p->execs_since_new = (uint64_t)v[3];
	p->anomalies = (uint64_t)v[4];
	p->capped = (uint64_t)v[5];
	return 0;
}

int profile_parse(const char *buf, size_t len, const struct profile_limits *lim,
		  struct profile **ret, struct sw_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	struct profile *p = NULL;
	const char *id, *state;
	int r;

	if (!json_is_object(o)) {
		r = sw_error_set(err, -EBADMSG, "not a JSON object: %s", jerr.text);
		goto cleanup;
	}
	if (json_integer_value(json_object_get(o, "sealwatch_profile")) != PROFILE_FORMAT) {
		r = sw_error_set(err, -EBADMSG, "not a sealwatch profile (format %d)",
				 PROFILE_FORMAT);
		goto cleanup;
	}
	id = json_string_value(json_object_get(o, "image_id"));
	state = json_string_value(json_object_get(o, "state"));
	if (!id || !profile_image_id_ok(id) || !state ||
	    (strcmp(state, "learning") && strcmp(state, "locked"))) {
		r = sw_error_set(err, -EBADMSG, "image_id or state missing or malformed");
		goto cleanup;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	snprintf(p->image_id, sizeof(p->image_id), "%s", id);
	p->state = strcmp(state, "locked") ? PROFILE_LEARNING : PROFILE_LOCKED;
	r = parse_sets(p, o, lim, err);
	if (!r)
		r = parse_learning(p, o, err);
cleanup:
	json_decref(o);
	if (r)
		profile_free(p);
	else
		*ret = p;
	return r;
}

int profile_load(const char *path, const struct profile_limits *lim, struct profile **ret,
		 struct sw_error *err)
{
	char *buf = NULL;
	size_t len;
	int r = file_read_all(path, PROFILE_FILE_MAX, &buf, &len, err);

	if (r == -EFBIG)
		r = sw_error_set(err, -EFBIG, "larger than %u bytes", PROFILE_FILE_MAX);
	if (!r)
		r = profile_parse(buf, len, lim, ret, err);
	free(buf);
	if (r)
		sw_error_prefix(err, r, "%s", path);
	return r;
}

/* ---- which file ---- */

static bool hex_only(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int profile_path(const char *dir, const char *image_id, char *out, size_t size,
		 struct sw_error *err)
{
	const char *hex = strncmp(image_id, "sha256:", 7) ? image_id : image_id + 7;
	char found[80] = "";
	struct dirent *de;
	DIR *dh;

	if (!hex_only(hex, 64))
		return sw_error_set(err, -EINVAL,
				    "%s: not an image ID (sha256:HEX or a HEX prefix)", image_id);
	if (strlen(hex) == 64) {
		snprintf(found, sizeof(found), "%s", hex);
		goto done;
	}
	dh = opendir(dir);
	if (!dh)
		return sw_error_set(err, -errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name);

		if (n != 69 || strcmp(de->d_name + 64, ".json") ||
		    strncmp(de->d_name, hex, strlen(hex)))
			continue;
		if (found[0]) {
			closedir(dh);
			return sw_error_set(err, -EINVAL, "%s: more than one profile matches",
					    image_id);
		}
		snprintf(found, sizeof(found), "%.64s", de->d_name);
	}
	closedir(dh);
	if (!found[0])
		return sw_error_set(err, -ENOENT, "%s: no profile in %s", image_id, dir);
done:
	if (snprintf(out, size, "%s/%s.json", dir, found) >= (int)size)
		return sw_error_set(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* profile.c: the profiles of a node, learning and checking execs (profile.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "path.h"
#include "profile_internal.h"

#define MAX_KEYS 16
#define SIG_MAX 4096

/* One image's profile and its file. */
struct pentry {
	char image_id[PROFILE_IMAGE_ID_LEN + 1];
	char path[PATH_MAX];
	struct profile *p; /* NULL when refused */
	enum profile_state state; /* p->state, or PROFILE_REFUSED */
	char refused[384]; /* why, until reported (then "") */
	bool dirty; /* changed since written */
	/* the file as last read or written (ino 0: none on disk) */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
};

struct profile_store {
	pthread_mutex_t lock;
	char *dir;
	struct profile_limits lim;
	struct sw_pubkey *keys[MAX_KEYS];
	size_t n_keys;
	struct pentry **entries;
	size_t n, last; /* entries; the last one looked up */
	uint64_t anomalies, capped, untracked, write_errors;
};

void profile_limits_default(struct profile_limits *l)
{
	*l = (struct profile_limits){
		.quiet_s = PROFILE_DEFAULT_QUIET_S,
		.min_execs = PROFILE_DEFAULT_MIN_EXECS,
		.max_learning_s = PROFILE_DEFAULT_MAX_LEARNING_S,
		.max_executables = PROFILE_DEFAULT_MAX_EXECUTABLES,
		.max_edges = PROFILE_DEFAULT_MAX_EDGES,
		.max_users = PROFILE_DEFAULT_MAX_USERS,
		.max_profiles = PROFILE_DEFAULT_MAX_PROFILES,
	};
}

int profile_store_new(const char *dir, const struct profile_limits *lim, char *const *key_paths,
		      size_t n_keys, struct profile_store **ret, struct sw_error *err)
{
	struct profile_store *s;
	int r;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return sw_error_set(err, -errno, "%s: %s", dir, strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	s->lim = *lim;
	pthread_mutex_init(&s->lock, NULL);
	for (size_t i = 0; i < n_keys && i < MAX_KEYS; i++) {
		r = crypto_pubkey_load(key_paths[i], &s->keys[i], err);
		if (r) {
			profile_store_free(s);
			return r;
		}
		s->n_keys++;
	}
	*ret = s;
	return 0;
}

static void entry_free(struct pentry *e)
{
	if (e)
		profile_free(e->p);
	free(e);
}

void profile_store_free(struct profile_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_free(s->entries[i]);
	for (size_t i = 0; i < s->n_keys; i++)
		crypto_pubkey_free(s->keys[i]);
	free(s->entries);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void note_disk(struct pentry *e, const struct stat *st)
{
	e->dev = st ? st->st_dev : 0;
	e->ino = st ? st->st_ino : 0;
	e->mtime = st ? st->st_mtim : (struct timespec){ 0 };
}

/* A signed profile: verify FILE.sig over the exact bytes, then parse them. */
static int load_signed(struct profile_store *s, const char *path, const char *sig_path,
		       struct profile **ret, struct sw_error *err)
{
	char *buf = NULL, *sig = NULL;
	size_t len, sig_len;
	int r;

	if (!s->n_keys)
		return sw_error_set(err, -ENOKEY, "%s is signed but no trusted key is configured",
				    path);
	r = file_read_all(sig_path, SIG_MAX, &sig, &sig_len, err);
	if (!r)
		r = file_read_all(path, PROFILE_FILE_MAX, &buf, &len, err);
	if (!r)
		r = crypto_verify_any(s->keys, s->n_keys, (const unsigned char *)buf, len, sig,
				      sig_len, err);
	if (!r)
		r = profile_parse(buf, len, &s->lim, ret, err);
	if (r)
		sw_error_prefix(err, r, "%s", path);
	free(buf);
	free(sig);
	return r;
}

/*
 * (Re)read the file of @e: absent → a new learning profile; a signature →
 * verified, locked for good; unreadable, corrupt, over a cap, another
 * image's, or a bad signature → refused (fail closed: nothing is learned
 * over it and it is never overwritten; `sealwatch profile reset` clears it).
 */
static void entry_load(struct profile_store *s, struct pentry *e, time_t now)
{
	char sig_path[PATH_MAX + 8];
	struct sw_error err = { { 0 } };
	struct profile *p = NULL;
	struct stat st;
	int r;

	profile_free(e->p);
	e->p = NULL;
	e->dirty = false;
	e->refused[0] = '\0';
	snprintf(sig_path, sizeof(sig_path), "%s.sig", e->path);
	if (stat(e->path, &st)) {
		note_disk(e, NULL);
		p = calloc(1, sizeof(*p));
		if (!p) {
			e->state = PROFILE_REFUSED;
			return;
		}
		snprintf(p->image_id, sizeof(p->image_id), "%s", e->image_id);
		p->created = p->last_new = now;
		e->p = p;
		e->state = PROFILE_LEARNING;
		e->dirty = true;
		return;
	}
	note_disk(e, &st);
	if (!access(sig_path, F_OK))
		r = load_signed(s, e->path, sig_path, &p, &err);
	else
		r = profile_load(e->path, &s->lim, &p, &err);
	if (!r && strcmp(p->image_id, e->image_id))
		r = sw_error_set(&err, -EBADMSG, "%s: the profile of another image (%s)", e->path,
				 p->image_id);
	if (r) {
		profile_free(p);
		e->state = PROFILE_REFUSED;
		snprintf(e->refused, sizeof(e->refused), "%s", err.msg);
		return;
	}
	if (!access(sig_path, F_OK)) {
		p->is_signed = true;
		p->state = PROFILE_LOCKED;
		if (!p->created)
			p->created = now;
	}
	e->p = p;
	e->state = p->state;
}

static struct pentry *entry_get(struct profile_store *s, const char *image_id, time_t now)
{
	struct pentry *e, **grown;

	if (s->last < s->n && !strcmp(s->entries[s->last]->image_id, image_id))
		return s->entries[s->last];
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i]->image_id, image_id)) {
			s->last = i;
			return s->entries[i];
		}
	if (s->n >= s->lim.max_profiles || !profile_image_id_ok(image_id))
		return NULL;
	grown = realloc(s->entries, (s->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->entries = grown;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->image_id, sizeof(e->image_id), "%s", image_id);
	snprintf(e->path, sizeof(e->path), "%s/%s.json", s->dir, image_id + 7);
	entry_load(s, e, now);
	s->last = s->n;
	s->entries[s->n++] = e;
	return e;
}

/* The elements of @f, escaped: "PATH\nSHA", "PARENT\nCHILD" (NULL: no parent), "UID". */
struct fact_items {
	char *exe, *edge, uid[16];
	char *exe_esc, *parent_esc;
};

static int fact_items(const struct profile_fact *f, struct fact_items *it)
{
	char hex[65];

	memset(it, 0, sizeof(*it));
	hex_encode(f->sha256, 32, hex);
	snprintf(it->uid, sizeof(it->uid), "%u", f->uid);
	it->exe_esc = path_escape(f->exe);
	if (!it->exe_esc || asprintf(&it->exe, "%s\n%s", it->exe_esc, hex) < 0)
		return -ENOMEM;
	if (!f->parent)
		return 0;
	it->parent_esc = path_escape(f->parent);
	if (!it->parent_esc || asprintf(&it->edge, "%s\n%s", it->parent_esc, it->exe_esc) < 0)
		return -ENOMEM;
	return 0;
}

static void fact_items_clear(struct fact_items *it)
{
	free(it->exe);
	free(it->edge);
	free(it->exe_esc);
	free(it->parent_esc);
}

/*
 * Learning: add an element. A cap hit while learning is counted and locks
 * the profile at once (it cannot grow further, so it can only be as stable
 * as it is); the element is then new to a locked profile.
 */
static unsigned int learn(struct profile_store *s, struct pentry *e, struct pset *set,
			  const char *item, size_t max, unsigned int bit, time_t now)
{
	struct profile *p = e->p;
	int r = pset_add(set, item, max);

	if (r == 1) {
		p->last_new = now;
		p->execs_since_new = 0;
		e->dirty = true;
		return 0;
	}
	if (r == -E2BIG) {
		p->capped++;
		s->capped++;
		p->state = e->state = PROFILE_LOCKED;
		e->dirty = true;
		return bit;
	}
	return 0;
}

/* One element: learned while learning, else (locked, or locked by a cap just now) checked. */
static unsigned int element(struct profile_store *s, struct pentry *e, struct pset *set,
			    const char *item, size_t max, unsigned int bit, time_t now)
{
	if (e->state == PROFILE_LEARNING)
		return learn(s, e, set, item, max, bit, now);
	return pset_has(set, item) ? 0 : bit;
}

static unsigned int check(struct profile_store *s, struct pentry *e, const struct fact_items *it,
			  time_t now)
{
	struct profile *p = e->p;
	unsigned int new_bits;

	if (e->state == PROFILE_LEARNING) {
		p->execs++;
		p->execs_since_new++;
	}
	new_bits = element(s, e, &p->exes, it->exe, s->lim.max_executables, PROFILE_EL_EXECUTABLE,
			   now);
	if (it->edge)
		new_bits |=
			element(s, e, &p->edges, it->edge, s->lim.max_edges, PROFILE_EL_EDGE, now);
	return new_bits | element(s, e, &p->users, it->uid, s->lim.max_users, PROFILE_EL_USER, now);
}

void profile_observe(struct profile_store *s, const struct profile_fact *f, time_t now,
		     struct profile_finding *out)
{
	struct fact_items it;
	struct pentry *e;

	memset(out, 0, sizeof(*out));
	if (!f->image_id || !f->exe || !f->sha256)
		return;
	if (fact_items(f, &it)) {
		fact_items_clear(&it);
		return;
	}
	pthread_mutex_lock(&s->lock);
	e = entry_get(s, f->image_id, now);
	if (!e) {
		s->untracked++;
		goto unlock;
	}
	if (e->refused[0]) {
		snprintf(out->refused, sizeof(out->refused), "%s", e->refused);
		e->refused[0] = '\0';
	}
	if (!e->p || e->state == PROFILE_REFUSED)
		goto unlock;
	out->new_elements = check(s, e, &it, now);
	if (out->new_elements) {
		e->p->anomalies++;
		s->anomalies++;
		e->dirty = e->dirty || !e->p->is_signed;
	}
	out->is_signed = e->p->is_signed;
	out->age_s = now - e->p->created;
	out->n_executables = e->p->exes.n;
	out->n_edges = e->p->edges.n;
	out->n_users = e->p->users.n;
	out->uid = f->uid;
	snprintf(out->exe, sizeof(out->exe), "%s", it.exe_esc);
	if (it.parent_esc)
		snprintf(out->parent, sizeof(out->parent), "%s", it.parent_esc);
unlock:
	pthread_mutex_unlock(&s->lock);
	fact_items_clear(&it);
}

static bool stable(const struct profile_limits *l, const struct profile *p, time_t now)
{
	if (now - p->created >= (int64_t)l->max_learning_s)
		return true;
	return now - p->last_new >= (int64_t)l->quiet_s && p->execs_since_new >= l->min_execs;
}

/*
 * The file changed under us (sealwatch profile lock/unlock/reset, or a
 * signed profile put there): true when @e is to be dropped (file gone) or
 * was reloaded.
 */
static bool changed_on_disk(struct pentry *e)
{
	struct stat st;

	if (stat(e->path, &st))
		return e->ino != 0; /* reset: it was on disk */
	return st.st_ino != e->ino || st.st_dev != e->dev || st.st_mtim.tv_sec != e->mtime.tv_sec ||
	       st.st_mtim.tv_nsec != e->mtime.tv_nsec;
}

static void entry_write(struct profile_store *s, struct pentry *e)
{
	struct sw_error err;
	struct stat st;

	e->dirty = false;
	if (!e->p || e->p->is_signed || e->state == PROFILE_REFUSED)
		return;
	if (profile_save(e->p, e->path, &err) || stat(e->path, &st)) {
		s->write_errors++;
		e->dirty = true; /* tried again at the next tick */
		return;
	}
	note_disk(e, &st);
}

void profile_store_tick(struct profile_store *s, time_t now, unsigned int *locked_now)
{
	unsigned int locked = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		struct pentry *e = s->entries[i];

		if (changed_on_disk(e)) {
			/* a reset starts over: the entry is made again at the next exec */
			if (access(e->path, F_OK)) {
				entry_free(e);
				s->entries[i--] = s->entries[--s->n];
				s->last = 0;
				continue;
			}
			entry_load(s, e, now);
		}
		if (e->p && e->state == PROFILE_LEARNING && stable(&s->lim, e->p, now)) {
			e->p->state = e->state = PROFILE_LOCKED;
			e->dirty = true;
			locked++;
		}
		if (e->dirty)
			entry_write(s, e);
	}
	pthread_mutex_unlock(&s->lock);
	if (locked_now)
		*locked_now = locked;
}

void profile_store_stats(struct profile_store *s, struct profile_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		const struct pentry *e = s->entries[i];

		if (e->state == PROFILE_LEARNING)
			out->learning++;
		else if (e->state == PROFILE_LOCKED)
			out->locked++;
		else
			out->refused++;
		if (e->p) {
			out->signed_profiles += e->p->is_signed;
			out->elements += e->p->exes.n + e->p->edges.n + e->p->users.n;
			out->bytes += sizeof(*e->p) + pset_bytes(&e->p->exes) +
				      pset_bytes(&e->p->edges) + pset_bytes(&e->p->users);
		}
		out->bytes += sizeof(*e) + sizeof(e);
	}
	out->anomalies = s->anomalies;
	out->capped = s->capped;
	out->untracked = s->untracked;
	out->write_errors = s->write_errors;
	pthread_mutex_unlock(&s->lock);
}

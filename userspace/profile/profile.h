/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Learned behaviour per image (docs/profiles.md): which executables an
 * image's containers run (invoked path + content hash), the parent→child
 * exec edges and the users, learned until stable, then locked; after that
 * an exec with a new element is an anomaly. The daemon hands facts down
 * (profile_observe) and reports what comes back; this room never logs and
 * never calls up. Thread-safe: the event loop and the hash workers observe.
 */
#ifndef SW_PROFILE_H
#define SW_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sw_error;

enum profile_state {
	PROFILE_LEARNING,
	PROFILE_LOCKED,
	/* its file is corrupt, oversized or its signature does not verify: not used */
	PROFILE_REFUSED,
};

/* The elements of a profile (bits of profile_finding.new_elements). */
enum profile_element {
	PROFILE_EL_EXECUTABLE = 1,
	PROFILE_EL_EDGE = 2,
	PROFILE_EL_USER = 4,
};

struct profile_limits {
	unsigned int quiet_s; /* no new element for this long … */
	uint64_t min_execs; /* … and this many execs since the last new one: locked */
	unsigned int max_learning_s; /* locked this long after creation, stable or not */
	unsigned int max_executables, max_edges, max_users; /* per profile */
	unsigned int max_profiles; /* images tracked at once */
};

#define PROFILE_DEFAULT_QUIET_S 3600
#define PROFILE_DEFAULT_MIN_EXECS 1000
#define PROFILE_DEFAULT_MAX_LEARNING_S (7 * 86400)
#define PROFILE_DEFAULT_MAX_EXECUTABLES 1024
#define PROFILE_DEFAULT_MAX_EDGES 4096
#define PROFILE_DEFAULT_MAX_USERS 64
#define PROFILE_DEFAULT_MAX_PROFILES 1024
#define PROFILE_FILE_MAX (4u << 20) /* larger profile files are refused unread */

void profile_limits_default(struct profile_limits *l);

/* One exec, as the daemon saw and verified it. Paths raw (escaped here). */
struct profile_fact {
	const char *image_id; /* "sha256:<64 hex>" */
	const char *exe; /* the path executed (the name given to execve, absolute) */
	const unsigned char *sha256; /* its content, 32 bytes */
	const char *parent; /* the parent's executable, NULL when unknown (no edge) */
	uint32_t uid;
};

struct profile_finding {
	unsigned int new_elements; /* PROFILE_EL_* new to a locked profile: an anomaly */
	bool is_signed;
	int64_t age_s; /* since the profile was created */
	size_t n_executables, n_edges, n_users;
	char parent[256]; /* the edge's parent (escaped) when PROFILE_EL_EDGE */
	char exe[256]; /* the executable (escaped) */
	uint32_t uid;
	/* a profile file refused just now: report it once (the message) */
	char refused[384];
};

struct profile_stats {
	uint64_t learning, locked, refused, signed_profiles;
	uint64_t elements; /* over every profile */
	uint64_t anomalies; /* execs with a new element in a locked profile */
	uint64_t capped; /* elements not learned: a cap was hit */
	uint64_t untracked; /* execs of images beyond max_profiles */
	uint64_t write_errors;
	uint64_t bytes; /* heap held by the profiles (sets, strings, entries) */
};

struct profile_store;

/*
 * Profiles kept in @dir (created 0700 if missing); a profile with a
 * detached signature (FILE.sig) must verify with one of @key_paths (PEM
 * public keys, the baselines' trusted keys) and is then locked for good.
 */
int profile_store_new(const char *dir, const struct profile_limits *lim, char *const *key_paths,
		      size_t n_keys, struct profile_store **ret, struct sw_error *err);
void profile_store_free(struct profile_store *s);
/* Learn or check one exec at @now (Unix seconds). @out zeroed then filled. */
void profile_observe(struct profile_store *s, const struct profile_fact *f, time_t now,
		     struct profile_finding *out);
/*
 * Once in a while (every second): locks the stable, takes in changes made
 * on disk (sealwatch profile lock/unlock/reset), writes the changed ones.
 * @locked_now (may be NULL) gets how many locked by stability.
 */
void profile_store_tick(struct profile_store *s, time_t now, unsigned int *locked_now);
void profile_store_stats(struct profile_store *s, struct profile_stats *out);

/* ---- one profile file, for the CLI (profile_file.c) ---- */

struct profile;

/* The file of image @image_id ("sha256:HEX", "HEX", or a unique HEX prefix) in @dir. */
int profile_path(const char *dir, const char *image_id, char *out, size_t size,
		 struct sw_error *err);
/* Parse a profile (stored or exported form); -EBADMSG, -E2BIG over @lim's caps. */
int profile_parse(const char *buf, size_t len, const struct profile_limits *lim,
		  struct profile **ret, struct sw_error *err);
/* Read and parse @path (at most PROFILE_FILE_MAX bytes). */
int profile_load(const char *path, const struct profile_limits *lim, struct profile **ret,
		 struct sw_error *err);
/*
 * JSON text (malloc'd, ends in '\n'): @exported: the deterministic form
 * (sorted elements, no times or counts: the same behaviour gives the same
 * bytes), to review and sign; else the stored form.
 */
char *profile_json(const struct profile *p, bool exported, size_t *ret_len);
/* Write @p to @path atomically (temporary file, fsync, rename). */
int profile_save(const struct profile *p, const char *path, struct sw_error *err);
void profile_free(struct profile *p);
enum profile_state profile_get_state(const struct profile *p);
/* Lock, or learn again from @now (the stability and learning clocks restart). */
void profile_set_state(struct profile *p, enum profile_state st, time_t now);
/* Elements of each kind. */
void profile_sizes(const struct profile *p, size_t *exes, size_t *edges, size_t *users);
const char *profile_state_name(enum profile_state st);

#endif

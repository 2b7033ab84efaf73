// SPDX-License-Identifier: GPL-2.0-only
/*
 * profile/: learning, locking by stability and by a cap, anomalies of a
 * locked profile, the file (restart, corrupt, oversized, another image's),
 * the deterministic export, signed profiles, changes made on disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"
#include "errors.h"
#include "fileio.h"
#include "profile.h"

#define IMG "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define IMG_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define T0 1800000000

static const unsigned char SHA_A[32] = { 0xaa }, SHA_B[32] = { 0xbb };
static char dir[64], file[128];

static void fresh_dir(void)
{
	char cmd[128];

	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	snprintf(dir, sizeof(dir), "/tmp/sw-unit-profile.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(file, sizeof(file), "%s/%s.json", dir, IMG_HEX);
}

static struct profile_store *store(unsigned int max_exes, char *const *keys, size_t n_keys)
{
	struct profile_limits lim;
	struct profile_store *s = NULL;
	struct sw_error e;

	profile_limits_default(&lim);
	lim.quiet_s = 10;
	lim.min_execs = 3;
	lim.max_learning_s = 1000;
	lim.max_executables = max_exes;
	if (profile_store_new(dir, &lim, keys, n_keys, &s, &e))
		fprintf(stderr, "  store: %s\n", e.msg);
	return s;
}

static unsigned int see(struct profile_store *s, const char *exe, const unsigned char *sha,
			const char *parent, uint32_t uid, time_t now)
{
	struct profile_fact f = { IMG, exe, sha, parent, uid };
	struct profile_finding out;

	profile_observe(s, &f, now, &out);
	return out.new_elements;
}

static void workload(struct profile_store *s, time_t now)
{
	see(s, "/srv/web", SHA_A, "/usr/bin/conmon", 0, now);
	see(s, "/bin/sleep", SHA_B, "/srv/web", 0, now);
	see(s, "/bin/cat", SHA_B, "/srv/web", 0, now);
}

TEST(learns_then_locks_by_stability)
{
	struct profile_store *s;
	struct profile_stats st;
	unsigned int locked = 9;

	fresh_dir();
	s = store(100, NULL, 0);
	workload(s, T0);
	profile_store_tick(s, T0 + 5, &locked);
	CHECK_INT(locked, 0);
	/* quiet long enough, but too few execs since the last new element */
	profile_store_tick(s, T0 + 11, &locked);
	CHECK_INT(locked, 0);
	for (int i = 0; i < 3; i++)
		CHECK_INT(see(s, "/bin/sleep", SHA_B, "/srv/web", 0, T0 + 12), 0);
	profile_store_tick(s, T0 + 12, &locked);
	CHECK_INT(locked, 1);
	profile_store_stats(s, &st);
	CHECK_INT(st.locked, 1);
	CHECK_INT(st.learning, 0);
	CHECK_INT(st.elements, 3 + 3 + 1);
	/* what it did: nothing new; a shell from the service, cat from a shell, a new user */
	CHECK_INT(see(s, "/bin/cat", SHA_B, "/srv/web", 0, T0 + 20), 0);
	CHECK_INT(see(s, "/bin/sh", SHA_B, "/srv/web", 0, T0 + 20),
		  PROFILE_EL_EXECUTABLE | PROFILE_EL_EDGE);
	CHECK_INT(see(s, "/bin/cat", SHA_B, "/bin/sh", 0, T0 + 20), PROFILE_EL_EDGE);
	CHECK_INT(see(s, "/bin/sleep", SHA_B, "/srv/web", 1000, T0 + 20), PROFILE_EL_USER);
	/* the same path with other content is another executable */
	CHECK_INT(see(s, "/bin/cat", SHA_A, "/srv/web", 0, T0 + 20), PROFILE_EL_EXECUTABLE);
	/* a locked profile never grows */
	CHECK_INT(see(s, "/bin/sh", SHA_B, "/srv/web", 0, T0 + 21),
		  PROFILE_EL_EXECUTABLE | PROFILE_EL_EDGE);
	profile_store_stats(s, &st);
	CHECK_INT(st.anomalies, 5);
	CHECK_INT(st.elements, 7);
	profile_store_free(s);
}

TEST(locks_after_max_learning)
{
	struct profile_store *s;
	unsigned int locked = 0;

	fresh_dir();
	s = store(1000, NULL, 0);
	for (int t = 0; t < 1000; t += 5) { /* a new element every 5 s: never quiet */
		char exe[32];

		snprintf(exe, sizeof(exe), "/bin/x%d", t);
		see(s, exe, SHA_A, "/srv/web", 0, T0 + t);
	}
	profile_store_tick(s, T0 + 999, &locked);
	CHECK_INT(locked, 0);
	profile_store_tick(s, T0 + 1000, &locked);
	CHECK_INT(locked, 1);
	profile_store_free(s);
}

TEST(cap_while_learning_locks)
{
	struct profile_store *s;
	struct profile_stats st;
	char exe[32];

	fresh_dir();
	s = store(4, NULL, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(exe, sizeof(exe), "/bin/x%d", i);
		CHECK_INT(see(s, exe, SHA_A, "/srv/web", 0, T0), 0);
	}
	/* the fifth executable: not learned, the profile locks, it is an anomaly */
	CHECK_INT(see(s, "/bin/x4", SHA_A, "/srv/web", 0, T0) & PROFILE_EL_EXECUTABLE,
		  PROFILE_EL_EXECUTABLE);
	CHECK_INT(see(s, "/bin/x5", SHA_A, "/srv/web", 0, T0) & PROFILE_EL_EXECUTABLE,
		  PROFILE_EL_EXECUTABLE);
	profile_store_stats(s, &st);
	CHECK_INT(st.capped, 1);
	CHECK_INT(st.locked, 1);
	CHECK_INT(st.elements, 4 + 4 + 1);
	profile_store_free(s);
}

TEST(restart_keeps_the_profile)
{
	struct profile_store *s;
	struct profile_stats st;
	struct sw_error e;

	fresh_dir();
	s = store(100, NULL, 0);
	workload(s, T0);
	profile_store_tick(s, T0, NULL);
	CHECK(access(file, F_OK) == 0);
	profile_store_free(s);
	/* locked on disk by the CLI, then a restart */
	{
		struct profile_limits lim;
		struct profile *p = NULL;

		profile_limits_default(&lim);
		CHECK_INT(profile_load(file, &lim, &p, &e), 0);
		if (p) {
			profile_set_state(p, PROFILE_LOCKED, T0 + 1);
			CHECK_INT(profile_save(p, file, &e), 0);
		}
		profile_free(p);
	}
	s = store(100, NULL, 0);
	CHECK_INT(see(s, "/bin/cat", SHA_B, "/srv/web", 0, T0 + 2), 0);
	CHECK_INT(see(s, "/bin/sh", SHA_B, "/srv/web", 0, T0 + 2),
		  PROFILE_EL_EXECUTABLE | PROFILE_EL_EDGE);
	profile_store_stats(s, &st);
	CHECK_INT(st.locked, 1);
	profile_store_free(s);
}

TEST(disk_changes_taken_in)
{
	struct profile_store *s;
	struct profile_stats st;
	struct profile_limits lim;
	struct profile *p = NULL;
	struct sw_error e;

	fresh_dir();
	profile_limits_default(&lim);
	s = store(100, NULL, 0);
	workload(s, T0);
	profile_store_tick(s, T0, NULL);
	/* sealwatch profile lock, while the daemon runs */
	CHECK_INT(profile_load(file, &lim, &p, &e), 0);
	if (p) {
		profile_set_state(p, PROFILE_LOCKED, T0);
		usleep(10000); /* another mtime */
		CHECK_INT(profile_save(p, file, &e), 0);
	}
	profile_free(p);
	profile_store_tick(s, T0 + 1, NULL);
	CHECK_INT(see(s, "/bin/id", SHA_B, "/srv/web", 0, T0 + 2),
		  PROFILE_EL_EXECUTABLE | PROFILE_EL_EDGE);
	/* sealwatch profile reset: learned again from scratch */
	CHECK_INT(unlink(file), 0);
	profile_store_tick(s, T0 + 3, NULL);
	CHECK_INT(see(s, "/bin/id", SHA_B, "/srv/web", 0, T0 + 4), 0);
	profile_store_stats(s, &st);
	CHECK_INT(st.learning, 1);
	CHECK_INT(st.elements, 3);
	profile_store_free(s);
}

TEST(corrupt_file_refused_once)
{
	static const char *const bad[] = {
		"{\"sealwatch_profile\":1,", /* truncated */
		"[]",
		"{\"sealwatch_profile\":2,\"image_id\":\"" IMG "\",\"state\":\"locked\","
		"\"executables\":[],\"edges\":[],\"users\":[]}",
		"{\"sealwatch_profile\":1,\"image_id\":\"" IMG "\",\"state\":\"locked\","
		"\"executables\":[{\"path\":\"/a%zz\",\"sha256\":\"" IMG_HEX "\"}],"
		"\"edges\":[],\"users\":[]}",
		"{\"sealwatch_profile\":1,\"image_id\":\"" IMG "\",\"state\":\"locked\","
		"\"executables\":[{\"path\":\"rel\",\"sha256\":\"" IMG_HEX "\"}],"
		"\"edges\":[],\"users\":[]}",
		"{\"sealwatch_profile\":1,\"image_id\":\"" IMG "\",\"state\":\"locked\","
		"\"executables\":[],\"edges\":[],\"users\":[-1]}",
		"{\"sealwatch_profile\":1,\"image_id\":\"sha256:2222222222222222222222222222222"
		"222222222222222222222222222222222\",\"state\":\"locked\","
		"\"executables\":[],\"edges\":[],\"users\":[]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct profile_store *s;
		struct profile_fact f = { IMG, "/bin/sh", SHA_A, "/srv/web", 0 };
		struct profile_finding out;
		struct profile_stats st;
		struct sw_error e;

		fresh_dir();
		CHECK_INT(file_write_atomic(file, bad[i], strlen(bad[i]), 0600, &e), 0);
		s = store(100, NULL, 0);
		profile_observe(s, &f, T0, &out);
		CHECK(out.refused[0] != '\0');
		CHECK_INT(out.new_elements, 0);
		profile_observe(s, &f, T0, &out);
		CHECK(out.refused[0] == '\0'); /* told once */
		profile_store_tick(s, T0 + 1, NULL);
		profile_store_stats(s, &st);
		CHECK_INT(st.refused, 1);
		profile_store_free(s);
		/* never overwritten */
		{
			char *buf = NULL;
			size_t len;

			CHECK_INT(file_read_all(file, 1 << 20, &buf, &len, &e), 0);
			CHECK(buf && !strcmp(buf, bad[i]));
			free(buf);
		}
	}
}

TEST(oversized_refused)
{
	struct profile_limits lim;
	struct profile *p = NULL;
	struct sw_error e;
	size_t n = PROFILE_FILE_MAX + 10;
	char *big = malloc(n);
	FILE *f;

	fresh_dir();
	profile_limits_default(&lim);
	memset(big, ' ', n);
	f = fopen(file, "w");
	CHECK(f && fwrite(big, 1, n, f) == n);
	if (f)
		fclose(f);
	CHECK_INT(profile_load(file, &lim, &p, &e), -EFBIG);
	free(big);
	/* more elements than a cap */
	lim.max_users = 2;
	{
		const char *t = "{\"sealwatch_profile\":1,\"image_id\":\"" IMG "\","
				"\"state\":\"locked\",\"executables\":[],\"edges\":[],"
				"\"users\":[1,2,3]}";

		CHECK_INT(profile_parse(t, strlen(t), &lim, &p, &e), -E2BIG);
	}
}

static char *export_of(struct profile_store *s, bool reverse)
{
	struct profile_limits lim;
	struct profile *p = NULL;
	struct sw_error e;
	char *text = NULL;

	if (reverse) {
		see(s, "/bin/cat", SHA_B, "/srv/web", 7, T0 + 3);
		see(s, "/bin/sleep", SHA_B, "/srv/web", 0, T0 + 2);
		see(s, "/srv/web", SHA_A, "/usr/bin/conmon", 0, T0 + 1);
	} else {
		workload(s, T0);
		see(s, "/bin/cat", SHA_B, "/srv/web", 7, T0 + 9);
	}
	profile_store_tick(s, T0 + 10, NULL);
	profile_limits_default(&lim);
	if (!profile_load(file, &lim, &p, &e))
		text = profile_json(p, true, NULL);
	profile_free(p);
	return text;
}

TEST(export_is_deterministic)
{
	struct profile_store *s;
	char *a, *b;

	fresh_dir();
	s = store(100, NULL, 0);
	a = export_of(s, false);
	profile_store_free(s);
	fresh_dir();
	s = store(100, NULL, 0);
	b = export_of(s, true);
	profile_store_free(s);
	CHECK(a && b && !strcmp(a, b));
	CHECK(a && strstr(a, "\"state\": \"locked\"") && !strstr(a, "created"));
	CHECK(a && strstr(a, "0,\n  7") != NULL); /* users as numbers, sorted */
	free(a);
	free(b);
}

TEST(signed_profile_locked_tampered_refused)
{
	char key[160], pub[160], sigp[160], *keys[1] = { pub }, *text, *b64 = NULL;
	struct profile_store *s;
	struct profile_finding out;
	struct profile_fact f = { IMG, "/bin/sh", SHA_B, "/srv/web", 0 };
	struct sw_error e;
	size_t len;

	fresh_dir();
	s = store(100, NULL, 0);
	text = export_of(s, false);
	profile_store_free(s);
	CHECK(text != NULL);
	if (!text)
		return;
	snprintf(key, sizeof(key), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	snprintf(sigp, sizeof(sigp), "%s.sig", file);
	CHECK_INT(crypto_keygen(SW_KEY_ECDSA_P256, key, pub, &e), 0);
	len = strlen(text);
	CHECK_INT(crypto_sign(key, (const unsigned char *)text, len, &b64, &e), 0);
	CHECK_INT(file_write_atomic(file, text, len, 0600, &e), 0);
	CHECK_INT(file_write_atomic(sigp, b64, strlen(b64), 0600, &e), 0);
	s = store(100, keys, 1);
	CHECK(s != NULL);
	profile_observe(s, &f, T0, &out);
	CHECK(out.is_signed);
	CHECK_INT(out.new_elements, PROFILE_EL_EXECUTABLE | PROFILE_EL_EDGE);
	profile_store_tick(s, T0 + 5, NULL);
	profile_store_free(s);
	/* never rewritten */
	{
		char *now = NULL;

		CHECK_INT(file_read_all(file, 1 << 20, &now, &len, &e), 0);
		CHECK(now && !strcmp(now, text));
		free(now);
	}
	/* one byte changed: refused */
	text[strlen(text) - 3] ^= 1;
	CHECK_INT(file_write_atomic(file, text, strlen(text), 0600, &e), 0);
	s = store(100, keys, 1);
	profile_observe(s, &f, T0, &out);
	CHECK(strstr(out.refused, "signature") || strstr(out.refused, "verif"));
	CHECK_INT(out.new_elements, 0);
	profile_store_free(s);
	/* signed, but no trusted key */
	s = store(100, NULL, 0);
	profile_observe(s, &f, T0, &out);
	CHECK(strstr(out.refused, "no trusted key") != NULL);
	profile_store_free(s);
	free(text);
	free(b64);
}

int main(void)
{
	RUN(learns_then_locks_by_stability);
	RUN(locks_after_max_learning);
	RUN(cap_while_learning_locks);
	RUN(restart_keeps_the_profile);
	RUN(disk_changes_taken_in);
	RUN(corrupt_file_refused_once);
	RUN(oversized_refused);
	RUN(export_is_deterministic);
	RUN(signed_profile_locked_tampered_refused);
	fresh_dir(); /* leaves an empty one */
	rmdir(dir);
	return check_exit();
}

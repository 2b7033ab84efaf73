// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verdict cache: a hit only for the same file identity, baseline and
 * path; paths of 512 bytes or more are never cached; a reset forgets all;
 * evictions free what they held (ASan runs this too).
 */
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "check.h"
#include "events.h"
#include "vcache.h"

static const int baseline_a, baseline_b;

static struct sw_file_id file_id(__u64 ino)
{
	struct sw_file_id id = {
		.ino = ino, .size = 100, .ctime_sec = 5, .ctime_nsec = 6, .dev = 7
	};

	return id;
}

static void put(struct vcache *c, const struct sw_file_id *id, const void *bl, const char *path,
		enum sw_verdict verdict)
{
	struct vcache_hit v = { .verdict = verdict, .reason = "r", .fields = 3 };

	v.sha256[0] = 0xab;
	v.meta.mode = 0755;
	v.meta.caps_len = 2;
	v.meta.caps[1] = 9;
	snprintf(v.path, sizeof(v.path), "%s", path);
	vcache_put(c, id, bl, path, &v);
}

TEST(hit_only_for_the_same_key)
{
	struct sw_file_id id = file_id(1), other = id;
	struct vcache_hit out;
	struct vcache *c;

	CHECK_INT(vcache_new(64, &c), 0);
	put(c, &id, &baseline_a, "/usr/bin/ls", SW_VERDICT_MODIFIED);
	memset(&out, 0, sizeof(out));
	CHECK(vcache_get(c, &id, &baseline_a, "/usr/bin/ls", &out));
	CHECK_INT(out.verdict, SW_VERDICT_MODIFIED);
	CHECK_STR(out.path, "/usr/bin/ls");
	CHECK_STR(out.reason, "r");
	CHECK_INT(out.fields, 3);
	CHECK_INT(out.sha256[0], 0xab);
	CHECK_INT(out.meta.mode, 0755);
	CHECK(out.meta.caps_len == 2 && out.meta.caps[1] == 9);
	CHECK(!vcache_get(c, &id, &baseline_a, "/usr/bin/dir", &out)); /* another name */
	CHECK(!vcache_get(c, &id, &baseline_b, "/usr/bin/ls", &out)); /* another baseline */
	other.ctime_nsec++;
	CHECK(!vcache_get(c, &other, &baseline_a, "/usr/bin/ls", &out)); /* changed inode */
	other = id;
	other.size++;
	CHECK(!vcache_get(c, &other, &baseline_a, "/usr/bin/ls", &out));
	/* the same key again replaces the verdict */
	put(c, &id, &baseline_a, "/usr/bin/ls", SW_VERDICT_OK);
	CHECK(vcache_get(c, &id, &baseline_a, "/usr/bin/ls", &out));
	CHECK_INT(out.verdict, SW_VERDICT_OK);
	vcache_reset(c);
	CHECK(!vcache_get(c, &id, &baseline_a, "/usr/bin/ls", &out));
	vcache_free(c);
}

TEST(long_paths_are_not_cached)
{
	struct sw_file_id id = file_id(2);
	struct vcache_hit out;
	char path[600];
	struct vcache *c;

	CHECK_INT(vcache_new(64, &c), 0);
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[511] = '\0'; /* 511 bytes: kept whole */
	put(c, &id, &baseline_a, path, SW_VERDICT_OK);
	CHECK(vcache_get(c, &id, &baseline_a, path, &out));
	CHECK_STR(out.path, path);
	path[511] = 'a';
	path[512] = '\0'; /* 512 bytes: not cached */
	put(c, &id, &baseline_a, path, SW_VERDICT_OK);
	CHECK(!vcache_get(c, &id, &baseline_a, path, &out));
	vcache_free(c);
}

TEST(evictions_keep_the_rest_right)
{
	struct vcache_hit out;
	struct vcache *c;
	char path[64];
	int hits = 0;

	CHECK_INT(vcache_new(16, &c), 0);
	for (int i = 0; i < 200; i++) {
		struct sw_file_id id = file_id((__u64)i);

		snprintf(path, sizeof(path), "/bin/f%d", i);
		put(c, &id, &baseline_a, path, SW_VERDICT_OK);
	}
	for (int i = 0; i < 200; i++) {
		struct sw_file_id id = file_id((__u64)i);

		snprintf(path, sizeof(path), "/bin/f%d", i);
		if (vcache_get(c, &id, &baseline_a, path, &out)) {
			hits++;
			CHECK_STR(out.path, path);
		}
	}
	CHECK(hits > 0 && hits <= 16);
	vcache_free(c);
}

int main(void)
{
	RUN(hit_only_for_the_same_key);
	RUN(long_paths_are_not_cached);
	RUN(evictions_keep_the_rest_right);
	return check_exit();
}

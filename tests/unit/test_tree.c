// SPDX-License-Identifier: GPL-2.0-only
/* OCI layer semantics of the merged tree (image-spec layer.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "entry.h"
#include "errors.h"
#include "layer.h"
#include "tree.h"

static struct layer_result layer;

static void add(const char *path, enum sw_file_type type, const char *link, unsigned char fill)
{
	struct sw_entry *e;

	if (layer.n == layer.cap) {
		layer.cap = layer.cap ? layer.cap * 2 : 16;
		layer.entries = realloc(layer.entries, layer.cap * sizeof(*e));
	}
	e = &layer.entries[layer.n++];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	e->type = (uint8_t)type;
	e->mode = type == SW_FT_DIR ? 0755 : 0644;
	e->link = link ? strdup(link) : NULL;
	if (type == SW_FT_FILE) {
		e->has_sha256 = 1;
		e->size = fill;
		memset(e->sha256, fill, sizeof(e->sha256));
	}
}

static void whiteout(const char *path, unsigned flag)
{
	add(path, SW_FT_FILE, NULL, 0);
	layer.entries[layer.n - 1].flags = (uint8_t)flag;
}

static int apply(struct sw_tree *t, struct sw_error *err)
{
	int ret = layer_apply(t, &layer, err);

	memset(&layer, 0, sizeof(layer));
	return ret;
}

TEST(whiteout_removes_lower_subtree)
{
	struct sw_tree *t;

	CHECK(!tree_new(&t));
	add("/a", SW_FT_DIR, NULL, 0);
	add("/a/b", SW_FT_FILE, NULL, 1);
	add("/a/c", SW_FT_DIR, NULL, 0);
	add("/a/c/d", SW_FT_FILE, NULL, 2);
	CHECK(!apply(t, NULL));
	whiteout("/a/c", SW_ENTRY_WHITEOUT);
	CHECK(!apply(t, NULL));
	CHECK(tree_lookup(t, "/a/b"));
	CHECK(!tree_lookup(t, "/a/c"));
	CHECK(!tree_lookup(t, "/a/c/d"));
	CHECK_INT(tree_count(t), 2);
	tree_free(t);
}

TEST(whiteout_hides_lower_only)
{
	struct sw_tree *t;
	struct sw_entry *e;

	CHECK(!tree_new(&t));
	add("/x", SW_FT_FILE, NULL, 1);
	CHECK(!apply(t, NULL));
	/* the same layer deletes /x and adds it again: the new one stays */
	add("/x", SW_FT_FILE, NULL, 7);
	whiteout("/x", SW_ENTRY_WHITEOUT);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/x");
	CHECK(e && e->sha256[0] == 7);
	tree_free(t);
}

TEST(opaque_dir_keeps_same_layer_children)
{
	struct sw_tree *t;

	CHECK(!tree_new(&t));
	add("/d", SW_FT_DIR, NULL, 0);
	add("/d/old1", SW_FT_FILE, NULL, 1);
	add("/d/sub", SW_FT_DIR, NULL, 0);
	add("/d/sub/old2", SW_FT_FILE, NULL, 1);
	CHECK(!apply(t, NULL));
	add("/d", SW_FT_DIR, NULL, 0);
	add("/d/new", SW_FT_FILE, NULL, 2);
	whiteout("/d", SW_ENTRY_OPAQUE);
	CHECK(!apply(t, NULL));
	CHECK(tree_lookup(t, "/d"));
	CHECK(tree_lookup(t, "/d/new"));
	CHECK(!tree_lookup(t, "/d/old1"));
	CHECK(!tree_lookup(t, "/d/sub"));
	CHECK(!tree_lookup(t, "/d/sub/old2"));
	CHECK_INT(tree_count(t), 2);
	tree_free(t);
}

TEST(hardlink_to_earlier_layer_keeps_content)
{
	struct sw_tree *t;
	struct sw_entry *e, **v;
	size_t n;

	CHECK(!tree_new(&t));
	add("/bin", SW_FT_DIR, NULL, 0);
	add("/bin/a", SW_FT_FILE, NULL, 3);
	CHECK(!apply(t, NULL));
	add("/bin/b", SW_FT_HARDLINK, "/bin/a", 0);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/bin/b");
	CHECK(e && e->type == SW_FT_HARDLINK && e->has_sha256 && e->sha256[0] == 3);
	/* a later layer replaces /bin/a: /bin/b keeps the old inode, now its only name */
	add("/bin/a", SW_FT_FILE, NULL, 9);
	CHECK(!apply(t, NULL));
	CHECK(!tree_sorted(t, &v, &n));
	free(v);
	e = tree_lookup(t, "/bin/b");
	CHECK(e && e->type == SW_FT_FILE && e->has_sha256 && e->sha256[0] == 3);
	CHECK(e && e->size == 3 && !e->link);
	e = tree_lookup(t, "/bin/a");
	CHECK(e && e->type == SW_FT_FILE && e->sha256[0] == 9);
	tree_free(t);
}

TEST(hardlink_chain_names_first_path)
{
	struct sw_tree *t;
	struct sw_entry *e;

	CHECK(!tree_new(&t));
	add("/a", SW_FT_FILE, NULL, 4);
	add("/b", SW_FT_HARDLINK, "/a", 0);
	add("/c", SW_FT_HARDLINK, "/b", 0);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/c");
	CHECK_STR(e ? e->link : NULL, "/a");
	CHECK(e && e->sha256[0] == 4);
	tree_free(t);
}

TEST(hardlink_to_missing_or_dir_fails)
{
	struct sw_tree *t;
	struct sw_error err = { { 0 } };

	CHECK(!tree_new(&t));
	add("/l", SW_FT_HARDLINK, "/nowhere", 0);
	CHECK_INT(apply(t, &err), -EBADMSG);
	CHECK(strstr(err.msg, "missing") != NULL);
	add("/d", SW_FT_DIR, NULL, 0);
	add("/l", SW_FT_HARDLINK, "/d", 0);
	CHECK_INT(apply(t, &err), -EBADMSG);
	tree_free(t);
}

TEST(write_through_symlink_fails)
{
	struct sw_tree *t;
	struct sw_error err = { { 0 } };

	CHECK(!tree_new(&t));
	add("/etc", SW_FT_SYMLINK, "/tmp", 0);
	add("/etc/passwd", SW_FT_FILE, NULL, 1);
	CHECK_INT(apply(t, &err), -EBADMSG);
	CHECK(strstr(err.msg, "symlink") != NULL);
	tree_free(t);
}

TEST(write_through_symlink_of_lower_layer_fails)
{
	struct sw_tree *t;
	struct sw_error err = { { 0 } };

	CHECK(!tree_new(&t));
	add("/lib", SW_FT_SYMLINK, "../../..", 0);
	CHECK(!apply(t, NULL));
	add("/lib/x/evil", SW_FT_FILE, NULL, 1);
	CHECK_INT(apply(t, &err), -EBADMSG);
	tree_free(t);
}

TEST(parent_is_file_fails)
{
	struct sw_tree *t;

	CHECK(!tree_new(&t));
	add("/f", SW_FT_FILE, NULL, 1);
	add("/f/g", SW_FT_FILE, NULL, 1);
	CHECK_INT(apply(t, NULL), -EBADMSG);
	tree_free(t);
}

TEST(dir_replaced_by_file_loses_children)
{
	struct sw_tree *t;
	struct sw_entry *e;

	CHECK(!tree_new(&t));
	add("/d", SW_FT_DIR, NULL, 0);
	add("/d/x", SW_FT_FILE, NULL, 1);
	CHECK(!apply(t, NULL));
	add("/d", SW_FT_FILE, NULL, 5);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/d");
	CHECK(e && e->type == SW_FT_FILE);
	CHECK(!tree_lookup(t, "/d/x"));
	CHECK_INT(tree_count(t), 1);
	tree_free(t);
}

TEST(dir_over_dir_keeps_children_updates_mode)
{
	struct sw_tree *t;
	struct sw_entry *e;

	CHECK(!tree_new(&t));
	add("/d", SW_FT_DIR, NULL, 0);
	add("/d/x", SW_FT_FILE, NULL, 1);
	CHECK(!apply(t, NULL));
	add("/d", SW_FT_DIR, NULL, 0);
	layer.entries[0].mode = 01777;
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/d");
	CHECK(e && e->mode == 01777);
	CHECK(tree_lookup(t, "/d/x"));
	tree_free(t);
}

TEST(hardlinks_named_by_first_path)
{
	struct sw_tree *t;
	struct sw_entry **v;
	size_t n;

	/* tar order names /z first; path order makes /a the file */
	CHECK(!tree_new(&t));
	add("/z", SW_FT_FILE, NULL, 6);
	add("/a", SW_FT_HARDLINK, "/z", 0);
	add("/m", SW_FT_HARDLINK, "/a", 0);
	CHECK(!apply(t, NULL));
	CHECK(!tree_sorted(t, &v, &n));
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK(v[0]->type == SW_FT_FILE && !v[0]->link);
		CHECK(v[1]->type == SW_FT_HARDLINK);
		CHECK_STR(v[1]->link, "/a");
		CHECK(v[2]->type == SW_FT_HARDLINK);
		CHECK_STR(v[2]->link, "/a");
		CHECK(v[2]->sha256[0] == 6);
	}
	free(v);
	tree_free(t);
}

TEST(implicit_parents_and_sorted_output)
{
	struct sw_tree *t;
	struct sw_entry **v, *e;
	size_t n;

	CHECK(!tree_new(&t));
	add("/a/b/c", SW_FT_FILE, NULL, 1);
	add("/a.b", SW_FT_FILE, NULL, 1);
	add("/a/b2", SW_FT_FILE, NULL, 1);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/a/b");
	CHECK(e && e->type == SW_FT_DIR && (e->flags & SW_ENTRY_IMPLICIT) && e->mode == 0755);
	CHECK(!tree_sorted(t, &v, &n));
	CHECK_INT(n, 5);
	/* raw byte order: '.' (0x2e) sorts before '/' (0x2f) */
	if (n == 5) {
		CHECK_STR(v[0]->path, "/a");
		CHECK_STR(v[1]->path, "/a.b");
		CHECK_STR(v[2]->path, "/a/b");
		CHECK_STR(v[3]->path, "/a/b/c");
		CHECK_STR(v[4]->path, "/a/b2");
	}
	free(v);
	tree_free(t);
}

TEST(same_layer_later_entry_wins)
{
	struct sw_tree *t;
	struct sw_entry *e;

	CHECK(!tree_new(&t));
	add("/x", SW_FT_FILE, NULL, 1);
	add("/x", SW_FT_SYMLINK, "y", 0);
	CHECK(!apply(t, NULL));
	e = tree_lookup(t, "/x");
	CHECK(e && e->type == SW_FT_SYMLINK);
	tree_free(t);
}

TEST(many_whiteouts_are_cheap)
{
	struct sw_tree *t;
	char p[64];

	/* 20k files then 20k whiteouts: must stay linear (no full-tree scans) */
	CHECK(!tree_new(&t));
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/d%d/f", i % 100);
		snprintf(p + strlen(p), sizeof(p) - strlen(p), "%d", i);
		add(p, SW_FT_FILE, NULL, 1);
	}
	CHECK(!apply(t, NULL));
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/d%d/f%d", i % 100, i);
		whiteout(p, SW_ENTRY_WHITEOUT);
	}
	CHECK(!apply(t, NULL));
	CHECK_INT(tree_count(t), 100);
	tree_free(t);
}

int main(void)
{
	RUN(whiteout_removes_lower_subtree);
	RUN(whiteout_hides_lower_only);
	RUN(opaque_dir_keeps_same_layer_children);
	RUN(hardlink_to_earlier_layer_keeps_content);
	RUN(hardlink_chain_names_first_path);
	RUN(hardlink_to_missing_or_dir_fails);
	RUN(write_through_symlink_fails);
	RUN(write_through_symlink_of_lower_layer_fails);
	RUN(parent_is_file_fails);
	RUN(dir_replaced_by_file_loses_children);
	RUN(dir_over_dir_keeps_children_updates_mode);
	RUN(hardlinks_named_by_first_path);
	RUN(implicit_parents_and_sorted_output);
	RUN(same_layer_later_entry_wins);
	RUN(many_whiteouts_are_cheap);
	return check_exit();
}

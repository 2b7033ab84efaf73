/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The merged file tree of an image: layers applied bottom-up with OCI
 * semantics (image-spec layer.md): whiteouts and opaque directories hide
 * lower layers only, later entries replace earlier ones, a directory that is
 * replaced by a non-directory loses its children, hardlinks resolve against
 * the tree as it stands, and no entry may be created through a symlink or a
 * non-directory.
 */
#ifndef SW_TREE_H
#define SW_TREE_H

#include <stddef.h>

#include "entry.h"

struct sw_error;
struct sw_tree;

int tree_new(struct sw_tree **ret);
void tree_free(struct sw_tree *t);
size_t tree_count(const struct sw_tree *t);

/* The entry at a normalized absolute path, or NULL ("/" is never listed). */
struct sw_entry *tree_lookup(const struct sw_tree *t, const char *path);

/*
 * Add or replace the entry at e->path. Takes ownership of @e's members on
 * success and on failure (e is cleared either way). Missing parents are
 * created as implicit 0755 root directories. A SW_FT_HARDLINK entry takes its
 * content from the regular file at e->link, which must exist in the tree.
 * Fails with -EBADMSG when a parent is a symlink or not a directory, or the
 * hardlink target is missing or not a regular file.
 */
int tree_put(struct sw_tree *t, struct sw_entry *e, struct sw_error *err);

/* Delete @path and everything below it (a whiteout). Absent: no-op. */
void tree_remove(struct sw_tree *t, const char *path);
/* Delete everything below directory @path, keeping @path (an opaque dir). */
void tree_clear_children(struct sw_tree *t, const char *path);

/*
 * All entries sorted by raw path bytes, as an array of pointers into the
 * tree (valid until the tree changes). Caller frees the array only. Names of
 * one inode are normalized: the first in path order is the file, the others
 * hardlinks to it (as a walk of the extracted tree would find them).
 */
int tree_sorted(struct sw_tree *t, struct sw_entry ***ret, size_t *ret_n);

#endif

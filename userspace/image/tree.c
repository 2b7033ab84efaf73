// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "path.h"
#include "tree.h"

/*
 * Nodes are found by full path in a chained hash table and linked to their
 * parent's child list, so removing a subtree costs the size of the subtree.
 */
struct tree_node {
	struct sw_entry e; /* e.path is the full path; key of the hash table */
	struct tree_node *parent;
	struct tree_node *first_child, *next_sibling, *prev_sibling;
	struct tree_node *hash_next;
	uint64_t hash;
	uint64_t inode; /* regular files: names sharing an inode share this id */
};

_Static_assert(offsetof(struct tree_node, e) == 0, "entries are cast back to their node");

struct sw_tree {
	struct tree_node **buckets;
	size_t n_buckets; /* power of two */
	size_t count;
	uint64_t next_inode;
	struct tree_node root; /* "/", not counted, not listed */
};

static uint64_t path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int tree_new(struct sw_tree **ret)
{
	struct sw_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->n_buckets = 1024;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	t->root.e.path = strdup("/");
	if (!t->buckets || !t->root.e.path) {
		tree_free(t);
		return -ENOMEM;
	}
	t->root.e.type = SW_FT_DIR;
	t->root.e.mode = 0755;
	*ret = t;
	return 0;
}

static void node_free_subtree(struct tree_node *n)
{
	while (n) {
		struct tree_node *next = n->next_sibling;

		node_free_subtree(n->first_child);
		entry_clear(&n->e);
		free(n);
		n = next;
	}
}

void tree_free(struct sw_tree *t)
{
	if (!t)
		return;
	node_free_subtree(t->root.first_child);
	entry_clear(&t->root.e);
	free(t->buckets);
	free(t);
}

size_t tree_count(const struct sw_tree *t)
{
	return t->count;
}

static struct tree_node *node_find(const struct sw_tree *t, const char *path)
{
	uint64_t h;

	if (!strcmp(path, "/"))
		return (struct tree_node *)&t->root;
	h = path_hash(path);
	for (struct tree_node *n = t->buckets[h & (t->n_buckets - 1)]; n; n = n->hash_next)
		if (n->hash == h && !strcmp(n->e.path, path))
			return n;
	return NULL;
}

struct sw_entry *tree_lookup(const struct sw_tree *t, const char *path)
{
	struct tree_node *n = node_find(t, path);

	return n && n != &t->root ? &n->e : NULL;
}

static int tree_grow(struct sw_tree *t)
{
	size_t n_new = t->n_buckets * 2;
	struct tree_node **nb = calloc(n_new, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct tree_node *n = t->buckets[i];

		while (n) {
			struct tree_node *next = n->hash_next;
			size_t b = n->hash & (n_new - 1);

			n->hash_next = nb[b];
			nb[b] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->n_buckets = n_new;
	return 0;
}

static void hash_unlink(struct sw_tree *t, struct tree_node *n)
{
	struct tree_node **pp = &t->buckets[n->hash & (t->n_buckets - 1)];

	while (*pp != n)
		pp = &(*pp)->hash_next;
	*pp = n->hash_next;
}

static void sibling_unlink(struct tree_node *n)
{
	if (n->prev_sibling)
		n->prev_sibling->next_sibling = n->next_sibling;
	else
		n->parent->first_child = n->next_sibling;
	if (n->next_sibling)
		n->next_sibling->prev_sibling = n->prev_sibling;
	n->prev_sibling = n->next_sibling = NULL;
}

/* Remove the children of @n from the table and free them (iteratively deep). */
static void node_drop_children(struct sw_tree *t, struct tree_node *n)
{
	while (n->first_child) {
		struct tree_node *c = n->first_child;

		node_drop_children(t, c);
		sibling_unlink(c);
		hash_unlink(t, c);
		entry_clear(&c->e);
		free(c);
		t->count--;
	}
}

void tree_remove(struct sw_tree *t, const char *path)
{
	struct tree_node *n = node_find(t, path);

	if (!n)
		return;
	if (n == &t->root) {
		node_drop_children(t, n);
		return;
	}
	node_drop_children(t, n);
	sibling_unlink(n);
	hash_unlink(t, n);
	entry_clear(&n->e);
	free(n);
	t->count--;
}

void tree_clear_children(struct sw_tree *t, const char *path)
{
	struct tree_node *n = node_find(t, path);

	if (n)
		node_drop_children(t, n);
}

/* Insert a new node for @e (path not present, parent exists). Takes @e. */
static int node_insert(struct sw_tree *t, struct tree_node *parent, struct sw_entry *e,
		       uint64_t inode, struct tree_node **ret)
{
	struct tree_node *n;
	size_t b;

	if (t->count + 1 > t->n_buckets && tree_grow(t))
		return -ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->e = *e;
	memset(e, 0, sizeof(*e));
	n->inode = inode;
	n->hash = path_hash(n->e.path);
	b = n->hash & (t->n_buckets - 1);
	n->hash_next = t->buckets[b];
	t->buckets[b] = n;
	n->parent = parent;
	n->next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = n;
	parent->first_child = n;
	t->count++;
	if (ret)
		*ret = n;
	return 0;
}

/* Find or create (implicitly) the directory @dir; refuse symlinks and files. */
static int ensure_dir(struct sw_tree *t, const char *dir, const char *for_path,
		      struct tree_node **ret, struct sw_error *err)
{
	struct tree_node *n = node_find(t, dir), *parent;
	char pdir[4096];
	struct sw_entry e = { 0 };
	int ret_err;

	if (n) {
		if (n->e.type == SW_FT_SYMLINK)
			return sw_error_set(err, -EBADMSG,
					    "entry %s would be created through symlink %s",
					    for_path, dir);
		if (n->e.type != SW_FT_DIR)
			return sw_error_set(err, -EBADMSG, "entry %s: parent %s is not a directory",
					    for_path, dir);
		*ret = n;
		return 0;
	}
	path_dirname(dir, pdir, sizeof(pdir));
	ret_err = ensure_dir(t, pdir, for_path, &parent, err);
	if (ret_err)
		return ret_err;
	e.path = strdup(dir);
	if (!e.path)
		return sw_error_set(err, -ENOMEM, "out of memory");
	e.type = SW_FT_DIR;
	e.mode = 0755;
	e.flags = SW_ENTRY_IMPLICIT;
	ret_err = node_insert(t, parent, &e, 0, ret);
	if (ret_err) {
		entry_clear(&e);
		return sw_error_set(err, ret_err, "out of memory");
	}
	return 0;
}

static int resolve_hardlink(struct sw_tree *t, struct sw_entry *e, uint64_t *ret_inode,
			    struct sw_error *err)
{
	struct tree_node *target = node_find(t, e->link);
	char *link;
	int ret;

	if (!target || target == &t->root)
		return sw_error_set(err, -EBADMSG, "hardlink %s points to missing %s", e->path,
				    e->link);
	if (!entry_is_content(&target->e))
		return sw_error_set(err, -EBADMSG,
				    "hardlink %s points to %s, which is not a regular file",
				    e->path, e->link);
	if (target->e.type == SW_FT_HARDLINK) {
		/* always name the first path of the inode, like tar does */
		link = strdup(target->e.link);
		if (!link)
			return sw_error_set(err, -ENOMEM, "out of memory");
		free(e->link);
		e->link = link;
	}
	ret = entry_copy_content(e, &target->e);
	if (ret)
		return sw_error_set(err, ret, "out of memory");
	/* one inode: the metadata is the target's */
	*ret_inode = target->inode;
	e->mode = target->e.mode;
	e->uid = target->e.uid;
	e->gid = target->e.gid;
	return 0;
}

int tree_put(struct sw_tree *t, struct sw_entry *e, struct sw_error *err)
{
	struct tree_node *parent, *old;
	uint64_t inode = 0;
	char dir[4096];
	int ret;

	if (!strcmp(e->path, "/")) {
		/* the root's own metadata is not part of a baseline */
		entry_clear(e);
		return 0;
	}
	path_dirname(e->path, dir, sizeof(dir));
	ret = ensure_dir(t, dir, e->path, &parent, err);
	if (ret)
		goto fail;
	if (e->type == SW_FT_HARDLINK) {
		ret = resolve_hardlink(t, e, &inode, err);
		if (ret)
			goto fail;
	} else if (e->type == SW_FT_FILE) {
		inode = ++t->next_inode;
	}
	old = node_find(t, e->path);
	if (old) {
		if (old->e.type == SW_FT_DIR && e->type == SW_FT_DIR) {
			/* a directory entry over a directory updates metadata, keeps children */
			entry_clear(&old->e);
			old->e = *e;
			memset(e, 0, sizeof(*e));
			return 0;
		}
		tree_remove(t, e->path);
	}
	ret = node_insert(t, parent, e, inode, NULL);
	if (ret) {
		sw_error_set(err, ret, "out of memory");
		goto fail;
	}
	return 0;
fail:
	entry_clear(e);
	return ret;
}

static int cmp_entry_path(const void *a, const void *b)
{
	const struct sw_entry *const *ea = a, *const *eb = b;

	return strcmp((*ea)->path, (*eb)->path);
}

struct inode_name {
	uint64_t inode;
	size_t index; /* position in path order */
};

static int cmp_inode_name(const void *a, const void *b)
{
	const struct inode_name *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Name each inode by its first path in path order: that one is the file, the
 * others hardlinks to it. A hardlink whose target a later layer replaced
 * thereby becomes a file, and the result matches a walk of the extracted tree.
 */
static int normalize_hardlinks(struct sw_entry **arr, size_t n)
{
	struct inode_name *v = malloc((n ? n : 1) * sizeof(*v));
	size_t m = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (entry_is_content(arr[i]))
			v[m++] = (struct inode_name){ .inode = ((struct tree_node *)arr[i])->inode,
						      .index = i };
	qsort(v, m, sizeof(*v), cmp_inode_name);
	for (size_t i = 0; i < m; i++) {
		struct sw_entry *e = arr[v[i].index];
		bool first = i == 0 || v[i - 1].inode != v[i].inode;
		const char *link = first ? NULL : arr[v[i - 1].index]->link;
		char *copy = NULL;

		if (!first) {
			/* the previous name is the first one or links to it */
			link = link ? link : arr[v[i - 1].index]->path;
			copy = strdup(link);
			if (!copy) {
				free(v);
				return -ENOMEM;
			}
		}
		free(e->link);
		e->link = copy;
		e->type = first ? SW_FT_FILE : SW_FT_HARDLINK;
	}
	free(v);
	return 0;
}

int tree_sorted(struct sw_tree *t, struct sw_entry ***ret, size_t *ret_n)
{
	struct sw_entry **arr = malloc((t->count ? t->count : 1) * sizeof(*arr));
	size_t n = 0;
	int err;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++)
		for (struct tree_node *nd = t->buckets[i]; nd; nd = nd->hash_next)
			arr[n++] = &nd->e;
	qsort(arr, n, sizeof(*arr), cmp_entry_path);
	err = normalize_hardlinks(arr, n);
	if (err) {
		free(arr);
		return err;
	}
	*ret = arr;
	*ret_n = n;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where an image's files live: an OCI layout directory or a tar file
 * (docker-archive). Members are named by relative path ("index.json",
 * "blobs/sha256/<hex>"); nothing is ever extracted to disk.
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct byte_source;
struct sw_error;
struct store;

int store_open_dir(const char *path, struct store **ret, struct sw_error *err);
/* Indexes the tar's member names; duplicate or unsafe names needed later fail then. */
int store_open_tar(const char *path, struct store **ret, struct sw_error *err);
/*
 * A store whose members come from elsewhere (a registry: registry/regstore.c).
 * @ops->read returns -ENOENT for an absent member; streams close through
 * their byte_source's close. @ctx is freed with @ops->free by store_free().
 */
struct store_ops {
	bool (*has)(void *ctx, const char *member);
	int (*read)(void *ctx, const char *member, size_t max, char **ret_buf, size_t *ret_len,
		    struct sw_error *err);
	int (*stream)(void *ctx, const char *member, struct byte_source *src, struct sw_error *err);
	void (*free)(void *ctx);
};
int store_open_ops(const char *name, const struct store_ops *ops, void *ctx, struct store **ret,
		   struct sw_error *err);
void store_free(struct store *st);

bool store_has(struct store *st, const char *member);
/* Read a member of at most @max bytes (NUL-terminated). -ENOENT when absent. */
int store_read(struct store *st, const char *member, size_t max, char **ret_buf, size_t *ret_len,
	       struct sw_error *err);
/* Open a member as a stream; close with store_stream_close(src). */
int store_stream_open(struct store *st, const char *member, struct byte_source *src,
		      struct sw_error *err);
void store_stream_close(struct byte_source *src);

#endif

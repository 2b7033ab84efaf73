/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A read-only reader of bbolt database files (go.etcd.io/bbolt, file format
 * version 2), enough to look up values under nested buckets: containerd keeps
 * its image and container records in one (io.containerd.metadata.v1.bolt/
 * meta.db). The whole file is read into memory and checked (meta page
 * checksum, every page id and offset in bounds), so a database being written
 * meanwhile can only make a lookup fail, never read out of bounds; the reader
 * never locks the file (containerd holds an exclusive flock on it).
 */
#ifndef SW_BOLT_H
#define SW_BOLT_H

#include <stddef.h>
#include <stdint.h>

struct bolt;

/* Read and check @path (at most @max_size bytes). 0, -ENOENT, -EFBIG, -EBADMSG, -ENOMEM. */
int bolt_open(const char *path, size_t max_size, struct bolt **ret);
/* The same from bytes (copied). */
int bolt_open_mem(const void *data, size_t size, struct bolt **ret);
void bolt_close(struct bolt *b);
/* The transaction id of the meta page read. */
uint64_t bolt_txid(const struct bolt *b);

/*
 * The value of key @key in the bucket reached through the @n_path bucket
 * names @path from the root: a pointer into the database and its length in
 * *@ret_len (valid until bolt_close). NULL when a bucket or the key is
 * missing, or the key names a bucket.
 */
const void *bolt_get(const struct bolt *b, const char *const *path, size_t n_path, const char *key,
		     size_t *ret_len);

#endif

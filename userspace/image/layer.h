/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read one image layer as a stream — never extracted — into a list of
 * entries, hashing regular files as they pass. The chain:
 *
 *   source (compressed blob) ─► [sha256 = layer digest, size] ─► libarchive
 *   decompression ─► [sha256 = diff_id, bomb limits] ─► libarchive tar ─► entries
 *
 * Both digests are checked at the end of the stream; a mismatch fails.
 */
#ifndef SW_LAYER_H
#define SW_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sw_entry;
struct sw_error;
struct sw_tree;

/* A stream of bytes: read() returns >0 bytes, 0 at EOF, or a negative errno. */
struct byte_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct sw_error *err);
	void (*close)(void *ctx); /* NULL: the store's own streams (store_stream_close) */
	void *ctx;
};

enum layer_compression {
	LAYER_COMPRESSION_ANY, /* docker legacy layers: none, gzip or zstd */
	LAYER_COMPRESSION_NONE,
	LAYER_COMPRESSION_GZIP,
	LAYER_COMPRESSION_ZSTD,
};

struct layer_desc {
	enum layer_compression compression;
	bool check_digest; /* blob sha256 (compressed bytes) */
	unsigned char digest[32];
	int64_t size; /* blob size, -1 when unknown */
	bool check_diff_id; /* sha256 of the uncompressed tar */
	unsigned char diff_id[32];
	const char *name; /* for messages, e.g. "layer 2 (sha256:…)" */
};

struct layer_limits {
	uint64_t max_bytes; /* uncompressed bytes, all layers together */
	uint64_t max_entries; /* tar entries, all layers together */
	uint32_t max_ratio; /* uncompressed : compressed, checked past 256 MiB */
	bool allow_devices; /* record char/block nodes instead of failing */
};

/* Shared across the threads reading the layers of one image. */
struct layer_counters {
	uint64_t raw_bytes; /* atomic */
	uint64_t entries; /* atomic */
};

struct layer_result {
	struct sw_entry *entries; /* in tar order; whiteouts flagged SW_ENTRY_WHITEOUT/OPAQUE */
	size_t n, cap;
};

int layer_read(const struct byte_source *src, const struct layer_desc *desc,
	       const struct layer_limits *limits, struct layer_counters *counters,
	       struct layer_result *out, struct sw_error *err);
void layer_result_free(struct layer_result *r);

/*
 * Apply a layer onto the merged tree: its whiteouts and opaque markers first
 * (they only hide lower layers), then its entries in order (a later entry of
 * the same path wins). Consumes the entries of @r.
 */
int layer_apply(struct sw_tree *t, struct layer_result *r, struct sw_error *err);

#endif

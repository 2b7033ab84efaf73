/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside layer_read() (layer.h): the blob side (compressed, hashed into the
 * digest, size-checked) and the tar side (uncompressed, hashed into the
 * diff_id, bounded), in layer_stream.c; the tar entries in layer.c. Not a
 * public interface.
 */
#ifndef SW_LAYER_INTERNAL_H
#define SW_LAYER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <archive.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "layer.h"

#define CHUNK (256 * 1024)
#define RATIO_CHECK_AFTER (256ULL << 20)

struct sw_error;

/* Compressed side: the blob as stored, hashed and size-checked. */
struct blob_reader {
	const struct byte_source *src;
	const struct layer_desc *desc;
	EVP_MD_CTX *md;
	uint64_t bytes;
	unsigned char *buf;
	size_t pending; /* bytes already in buf, returned by the next read (sniffing) */
	struct sw_error *err;
	int error; /* first failure, negative errno */
};

/*
 * gzip layers are inflated with zlib rather than libarchive's gzip filter,
 * which does not check the CRC32 and ISIZE trailer of each member.
 */
struct gunzip {
	z_stream zs;
	bool active;
	bool member_done;
	bool input_eof;
};

/* Uncompressed side: the tar stream, hashed (diff_id) and bounded. */
struct tar_reader {
	struct archive *outer;
	struct blob_reader *blob;
	const struct layer_limits *limits;
	struct layer_counters *counters;
	struct gunzip gz;
	EVP_MD_CTX *md;
	uint64_t bytes;
	unsigned char *buf;
	struct sw_error *err;
	int error;
};

/* libarchive read callbacks: the blob (@data: struct blob_reader), the tar stream (tar_reader). */
la_ssize_t blob_read_cb(struct archive *a, void *data, const void **ret_buf);
la_ssize_t tar_read_cb(struct archive *a, void *data, const void **ret_buf);

/*
 * Open the blob side: sniff or take the compression the manifest names, gzip
 * through zlib, the rest through libarchive's filters into @tr->outer.
 */
int layer_stream_open(struct tar_reader *tr, struct blob_reader *br, struct sw_error *err);
/* Read what libarchive left unread so that both digests cover every byte. */
int layer_stream_drain(struct tar_reader *tr, struct blob_reader *br);
/* After the last entry: the blob's size and both digests against the manifest and config. */
int layer_stream_check(struct tar_reader *tr, struct blob_reader *br, struct sw_error *err);

#endif

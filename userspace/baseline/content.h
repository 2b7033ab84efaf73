/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hash a regular file's content (SHA-256, OpenSSL EVP) while keeping its
 * first bytes to classify it (elfclass.h). One hasher per thread, reused
 * across files with content_hash_reset().
 */
#ifndef SW_CONTENT_H
#define SW_CONTENT_H

#include <stddef.h>
#include <stdint.h>

struct sw_entry;
struct sw_error;
struct evp_md_ctx_st;

struct content_hash {
	struct evp_md_ctx_st *md;
	unsigned char *head; /* SW_CLASSIFY_HEAD bytes */
	size_t head_len;
	uint64_t size;
};

int content_hash_init(struct content_hash *c);
void content_hash_free(struct content_hash *c);
int content_hash_reset(struct content_hash *c);
int content_hash_update(struct content_hash *c, const void *data, size_t len);
/* Feed @len zero bytes (holes of sparse files). */
int content_hash_zeros(struct content_hash *c, uint64_t len);
/* Sets e->sha256, has_sha256, size, exec_class and interp (replacing any). */
int content_hash_final(struct content_hash *c, struct sw_entry *e);

/* Hash everything readable from @fd (from its current offset) into @e. */
int content_hash_fd(struct content_hash *c, int fd, struct sw_entry *e, struct sw_error *err);
/* The same, reading at most @max bytes: -EFBIG past it (a file growing while read). */
int content_hash_fd_max(struct content_hash *c, int fd, uint64_t max, struct sw_entry *e,
			struct sw_error *err);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * bolt.c: read-only bbolt lookups (bolt.h). The format (bbolt page.go,
 * meta.go, bucket.go), all little-endian:
 *   page header (16 bytes): id u64, flags u16 (branch 0x01, leaf 0x02,
 *     meta 0x04, freelist 0x10), count u16, overflow u32; then the data.
 *   meta (page 0 and 1): magic 0xED0CDAED, version 2, page_size, flags,
 *     root bucket {root pgid u64, sequence u64}, freelist, pgid (high water),
 *     txid, checksum = FNV-1a 64 of the 56 bytes before it. The valid meta
 *     with the higher txid is the current one.
 *   branch element (16): pos u32, ksize u32, pgid u64 — key at elem + pos.
 *   leaf element (16): flags u32 (0x01: bucket), pos u32, ksize u32, vsize
 *     u32 — key at elem + pos, value right after it.
 *   bucket value: {root pgid u64, sequence u64}; root 0 means an inline
 *     bucket whose (leaf) page follows the 16 bytes in the value.
 * Keys in a page are sorted bytewise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt.h"

#define BOLT_MAGIC 0xED0CDAEDu
#define BOLT_VERSION 2
#define PAGE_HEADER 16
#define ELEM 16
#define F_BRANCH 0x01
#define F_LEAF 0x02
#define F_META 0x04
#define LEAF_BUCKET 0x01
#define MAX_DEPTH 64

struct bolt {
	unsigned char *data;
	size_t size;
	uint32_t page_size;
	uint64_t root; /* root bucket's root page */
	uint64_t high; /* pages in use: ids below it */
	uint64_t txid;
};

/* A page in memory: its bytes and how many there are (overflow included). */
struct page {
	const unsigned char *p;
	size_t len;
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The meta page at @off, when valid: its page size, root, high water, txid. */
static bool meta_read(const unsigned char *data, size_t size, size_t off, struct bolt *out)
{
	const unsigned char *m;

	if (off + PAGE_HEADER + 64 > size)
		return false;
	m = data + off + PAGE_HEADER;
	if (!(le16(data + off + 8) & F_META) || le32(m) != BOLT_MAGIC ||
	    le32(m + 4) != BOLT_VERSION || fnv1a64(m, 56) != le64(m + 56))
		return false;
	out->page_size = le32(m + 8);
	out->root = le64(m + 16);
	out->high = le64(m + 40);
	out->txid = le64(m + 48);
	return out->page_size >= 512 && out->page_size <= (1u << 20) &&
	       !(out->page_size & (out->page_size - 1));
}

static int bolt_check(struct bolt *b)
{
	struct bolt m0 = { 0 }, m1 = { 0 };
	bool ok0, ok1;

	ok0 = meta_read(b->data, b->size, 0, &m0);
	/* the second meta page sits one page in: that page size comes from the first */
	ok1 = meta_read(b->data, b->size, ok0 ? m0.page_size : 4096, &m1);
	if (!ok0 && !ok1)
		return -EBADMSG;
	if (!ok0 || (ok1 && m1.txid > m0.txid))
		m0 = m1;
	b->page_size = m0.page_size;
	b->root = m0.root;
	b->high = m0.high;
	b->txid = m0.txid;
	return b->high * b->page_size > b->size ? -EBADMSG : 0;
}

int bolt_open_mem(const void *data, size_t size, struct bolt **ret)
{
	struct bolt *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->data = malloc(size ? size : 1);
	if (!b->data) {
		free(b);
		return -ENOMEM;
	}
	memcpy(b->data, data, size);
	b->size = size;
	r = bolt_check(b);
	if (r) {
		bolt_close(b);
		return r;
	}
	*ret = b;
	return 0;
}

int bolt_open(const char *path, size_t max_size, struct bolt **ret)
{
	struct bolt *b;
	struct stat st;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	if ((uint64_t)st.st_size > max_size) {
		close(fd);
		return -EFBIG;
	}
	b = calloc(1, sizeof(*b));
	if (b)
		b->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b || !b->data) {
		free(b);
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, b->data + got, (size_t)st.st_size - got, (off_t)got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b->size = got;
	r = bolt_check(b);
	if (r) {
		bolt_close(b);
		return r;
	}
	*ret = b;
	return 0;
}

void bolt_close(struct bolt *b)
{
	if (!b)
		return;
	free(b->data);
	free(b);
}

uint64_t bolt_txid(const struct bolt *b)
{
	return b->txid;
}

static bool page_at(const struct bolt *b, uint64_t id, struct page *out)
{
	uint64_t off, len;

	if (id < 2 || id >= b->high)
		return false;
	off = id * b->page_size;
	if (off + PAGE_HEADER > b->size)
		return false;
	len = ((uint64_t)le32(b->data + off + 12) + 1) * b->page_size;
	if (len > b->size - off)
		return false;
	out->p = b->data + off;
	out->len = (size_t)len;
	return true;
}

/* Element @i's key (and, for a leaf, value) inside page @pg; false when out of bounds. */
static bool elem(const struct page *pg, unsigned int i, bool leaf, const unsigned char **key,
		 size_t *klen, const unsigned char **val, size_t *vlen, uint64_t *pgid,
		 uint32_t *flags)
{
	size_t e = PAGE_HEADER + (size_t)i * ELEM, pos, ks, vs = 0;

	if (e + ELEM > pg->len)
		return false;
	if (leaf) {
		*flags = le32(pg->p + e);
		pos = le32(pg->p + e + 4);
		ks = le32(pg->p + e + 8);
		vs = le32(pg->p + e + 12);
	} else {
		pos = le32(pg->p + e);
		ks = le32(pg->p + e + 4);
		*pgid = le64(pg->p + e + 8);
	}
	if (pos > pg->len - e || ks > pg->len - e - pos || vs > pg->len - e - pos - ks)
		return false;
	*key = pg->p + e + pos;
	*klen = ks;
	if (leaf) {
		*val = *key + ks;
		*vlen = vs;
	}
	return true;
}

static int keycmp(const unsigned char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/*
 * Find @key in the bucket whose root is page @root (0: the inline page
 * @inl): the leaf element's flags, value and its length.
 */
static bool bucket_find(const struct bolt *b, uint64_t root, const struct page *inl,
			const char *key, uint32_t *flags, const unsigned char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	struct page pg;

	if (root) {
		if (!page_at(b, root, &pg))
			return false;
	} else {
		pg = *inl;
	}
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		uint16_t pflags, count;

		if (pg.len < PAGE_HEADER)
			return false;
		pflags = le16(pg.p + 8);
		count = le16(pg.p + 10);
		if (pflags & F_LEAF) {
			for (unsigned int i = 0; i < count; i++) {
				const unsigned char *k, *v;
				size_t kl, vl;
				uint32_t f;

				if (!elem(&pg, i, true, &k, &kl, &v, &vl, NULL, &f))
					return false;
				if (!keycmp(k, kl, key, klen)) {
					*flags = f;
					*val = v;
					*vlen = vl;
					return true;
				}
			}
			return false;
		}
		if (!(pflags & F_BRANCH) || !count || !root)
			return false;
		/* the last element whose key is <= @key (the first when none) */
		{
			uint64_t next = 0;

			for (unsigned int i = 0; i < count; i++) {
				const unsigned char *k;
				size_t kl;
				uint64_t id;

				if (!elem(&pg, i, false, &k, &kl, NULL, NULL, &id, NULL))
					return false;
				if (i == 0 || keycmp(k, kl, key, klen) <= 0)
					next = id;
				else
					break;
			}
			if (!page_at(b, next, &pg))
				return false;
		}
	}
	return false;
}

const void *bolt_get(const struct bolt *b, const char *const *path, size_t n_path, const char *key,
		     size_t *ret_len)
{
	uint64_t root = b->root;
	struct page inl = { 0 };
	const unsigned char *v;
	size_t vlen;
	uint32_t flags;

	for (size_t i = 0; i < n_path; i++) {
		if (!bucket_find(b, root, &inl, path[i], &flags, &v, &vlen) ||
		    !(flags & LEAF_BUCKET) || vlen < 16)
			return NULL;
		root = le64(v);
		if (!root) {
			inl.p = v + 16;
			inl.len = vlen - 16;
		}
	}
	if (!bucket_find(b, root, &inl, key, &flags, &v, &vlen) || (flags & LEAF_BUCKET))
		return NULL;
	*ret_len = vlen;
	return v;
}

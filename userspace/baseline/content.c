// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "content.h"
#include "elfclass.h"
#include "entry.h"
#include "errors.h"

#define READ_CHUNK (256 * 1024)

int content_hash_init(struct content_hash *c)
{
	memset(c, 0, sizeof(*c));
	c->md = EVP_MD_CTX_new();
	c->head = malloc(SW_CLASSIFY_HEAD);
	if (!c->md || !c->head) {
		content_hash_free(c);
		return -ENOMEM;
	}
	return content_hash_reset(c);
}

void content_hash_free(struct content_hash *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c->head);
	memset(c, 0, sizeof(*c));
}

int content_hash_reset(struct content_hash *c)
{
	c->head_len = 0;
	c->size = 0;
	return EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int content_hash_update(struct content_hash *c, const void *data, size_t len)
{
	if (c->head_len < SW_CLASSIFY_HEAD) {
		size_t take = SW_CLASSIFY_HEAD - c->head_len;

		if (take > len)
			take = len;
		memcpy(c->head + c->head_len, data, take);
		c->head_len += take;
	}
	c->size += len;
	return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -EIO;
}

int content_hash_zeros(struct content_hash *c, uint64_t len)
{
	static const unsigned char zeros[64 * 1024];

	while (len) {
		size_t n = len > sizeof(zeros) ? sizeof(zeros) : (size_t)len;
		int err = content_hash_update(c, zeros, n);

		if (err)
			return err;
		len -= n;
	}
	return 0;
}

int content_hash_final(struct content_hash *c, struct sw_entry *e)
{
	enum sw_exec_class class;
	char *interp = NULL;
	unsigned int len = 0;
	int err;

	if (EVP_DigestFinal_ex(c->md, e->sha256, &len) != 1 || len != SW_SHA256_LEN)
		return -EIO;
	err = exec_classify(c->head, c->head_len, c->size, &class, &interp);
	if (err)
		return err;
	free(e->interp);
	e->interp = interp;
	e->exec_class = (uint8_t) class;
	e->size = c->size;
	e->has_sha256 = 1;
	return 0;
}

int content_hash_fd(struct content_hash *c, int fd, struct sw_entry *e, struct sw_error *err)
{
	return content_hash_fd_max(c, fd, UINT64_MAX, e, err);
}

int content_hash_fd_max(struct content_hash *c, int fd, uint64_t max, struct sw_entry *e,
			struct sw_error *err)
{
	unsigned char *buf;
	uint64_t total = 0;
	int ret;

	buf = malloc(READ_CHUNK);
	if (!buf)
		return sw_error_set(err, -ENOMEM, "out of memory");
	ret = content_hash_reset(c);
	if (ret)
		goto cleanup;
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = sw_error_set(err, -errno, "read: %s", strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) { /* a file that keeps growing must not hold a worker */
			ret = sw_error_set(err, -EFBIG, "more than %llu bytes",
					   (unsigned long long)max);
			goto cleanup;
		}
		ret = content_hash_update(c, buf, (size_t)n);
		if (ret)
			goto cleanup;
	}
	ret = content_hash_final(c, e);
	if (ret)
		sw_error_set(err, ret, "hashing failed: %s", strerror(-ret));
cleanup:
	free(buf);
	return ret;
}

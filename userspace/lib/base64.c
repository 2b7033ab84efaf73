// SPDX-License-Identifier: GPL-2.0-only
/*
 * Standard base64 (base64.h). Encoding is OpenSSL's EVP_EncodeBlock;
 * decoding is by hand: EVP_DecodeBlock skips surrounding whitespace, zero-fills
 * padding and ignores non-canonical bits, and says nothing about where the
 * text went wrong.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "base64.h"

size_t base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

size_t base64_decoded_max(size_t len)
{
	return (len + 3) / 4 * 3;
}

int base64_encode(const void *data, size_t len, char **ret)
{
	char *out;

	/* EVP_EncodeBlock counts in int, output included */
	if (len > (size_t)INT_MAX / 4 * 3)
		return -EOVERFLOW;
	out = malloc(base64_encoded_len(len) + 1);
	if (!out)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	*ret = out;
	return 0;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* isspace() in the C locale, whatever the process locale is */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int fail(struct base64_error *ret_err, enum base64_fault fault, int err)
{
	if (ret_err)
		ret_err->fault = fault;
	return err;
}

int base64_decode(const char *text, size_t len, unsigned int flags, unsigned char *out, size_t size,
		  size_t *ret_len, struct base64_error *ret_err)
{
	bool wrapped = flags & BASE64_WRAPPED;
	size_t n = 0, chars = 0, pad = 0;
	unsigned int acc = 0, bits = 0;

	if (ret_err)
		*ret_err = (struct base64_error){ .fault = BASE64_OK };
	while (wrapped && len && is_space(text[0])) {
		text++;
		len--;
	}
	while (wrapped && len && is_space(text[len - 1]))
		len--;
	if (!len)
		return fail(ret_err, BASE64_EMPTY, -EBADMSG);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (wrapped && (c == '\n' || c == '\r'))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		v = value_of(c);
		if (v < 0) {
			if (ret_err) {
				ret_err->offset = i;
				ret_err->byte = c;
			}
			return fail(ret_err, BASE64_BAD_BYTE, -EBADMSG);
		}
		if (pad)
			return fail(ret_err, BASE64_AFTER_PAD, -EBADMSG);
		chars++;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == size)
				return fail(ret_err, BASE64_TOO_LONG, -ENOBUFS);
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chars % 4 || pad > 2) {
		if (ret_err)
			ret_err->chars = chars;
		return fail(ret_err, BASE64_BAD_LENGTH, -EBADMSG);
	}
	/* leftover bits must be zero: one text per byte string */
	if (acc && !(flags & BASE64_TRAILING_BITS))
		return fail(ret_err, BASE64_NONCANONICAL, -EBADMSG);
	*ret_len = n;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hexutil.h"

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, unsigned char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]), lo;

		if (hi < 0)
			return -EBADMSG;
		lo = hex_value(in[2 * i + 1]);
		if (lo < 0)
			return -EBADMSG;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return in[2 * len] == '\0' ? 0 : -EBADMSG;
}

int digest_parse_sha256(const char *s, unsigned char out[32])
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return -EBADMSG;
	if (colon - s != 6 || strncmp(s, "sha256", 6) != 0)
		return -ENOTSUP;
	/* OCI: the encoded part of a sha256 digest is lowercase hex */
	for (const char *p = colon + 1; *p; p++)
		if ((*p < '0' || *p > '9') && (*p < 'a' || *p > 'f'))
			return -EBADMSG;
	if (strlen(colon + 1) != 64)
		return -EBADMSG;
	return hex_decode(colon + 1, out, 32);
}

void digest_format_sha256(const unsigned char d[32], char *out)
{
	memcpy(out, "sha256:", 7);
	hex_encode(d, 32, out + 7);
}

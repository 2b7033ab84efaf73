/* SPDX-License-Identifier: GPL-2.0-only */
/* Hex and digest-string helpers ("sha256:<64 hex>"). */
#ifndef SW_HEXUTIL_H
#define SW_HEXUTIL_H

#include <stddef.h>

/* Write 2*len lowercase hex digits and a NUL to @out (size >= 2*len+1). */
void hex_encode(const unsigned char *in, size_t len, char *out);
/* Decode exactly 2*len lowercase or uppercase hex digits; 0 or -EBADMSG. */
int hex_decode(const char *in, unsigned char *out, size_t len);
/*
 * Parse an OCI digest "sha256:<64 lowercase hex>" into 32 bytes.
 * Returns 0, -ENOTSUP for another algorithm, -EBADMSG when malformed.
 */
int digest_parse_sha256(const char *s, unsigned char out[32]);
/* Format "sha256:<hex>" into @out (size >= 72). */
void digest_format_sha256(const unsigned char d[32], char *out);

#endif

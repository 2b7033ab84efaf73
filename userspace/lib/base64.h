/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Standard base64 (RFC 4648 §4): padded, strict, canonical. The encoder
 * writes what `base64 -w0` writes; the decoder accepts exactly that text, and
 * with BASE64_WRAPPED also whitespace around it and line breaks inside it.
 */
#ifndef SW_BASE64_H
#define SW_BASE64_H

#include <stddef.h>

enum base64_flags {
	/* whitespace around the text, CR and LF inside it (`base64`, `openssl base64`) */
	BASE64_WRAPPED = 1u << 0,
	/*
	 * Accept non-zero bits after the last byte ("AQJ=" as "AQI="): only for
	 * callers that re-encode the result and compare it with the text.
	 */
	BASE64_TRAILING_BITS = 1u << 1,
};

/* Why base64_decode() refused a text: the first fault in text order. */
enum base64_fault {
	BASE64_OK,
	BASE64_EMPTY, /* no base64 characters (after trimming) */
	BASE64_BAD_BYTE, /* a byte outside the alphabet: .byte at .offset */
	BASE64_AFTER_PAD, /* a base64 character after '=' padding */
	BASE64_TOO_LONG, /* decodes to more than the output holds (-ENOBUFS) */
	BASE64_BAD_LENGTH, /* .chars is not a multiple of 4, or more than two '=' */
	BASE64_NONCANONICAL, /* non-zero bits after the last byte */
};

struct base64_error {
	enum base64_fault fault;
	size_t offset; /* BASE64_BAD_BYTE: from the first non-whitespace byte */
	unsigned char byte; /* BASE64_BAD_BYTE */
	size_t chars; /* BASE64_BAD_LENGTH: characters counted, padding included */
};

/* Length of the encoding of @len bytes, without the terminating NUL. */
size_t base64_encoded_len(size_t len);

/* Bytes that decoding @len characters may write (enough for any text). */
size_t base64_decoded_max(size_t len);

/*
 * Encode @len bytes as padded standard base64 into a malloc'd NUL-terminated
 * string, no line breaks. 0, -ENOMEM, or -EOVERFLOW for more than ~1.5 GiB.
 */
int base64_encode(const void *data, size_t len, char **ret);

/*
 * Decode @len characters of @text into @out (@size bytes). 0 with *ret_len
 * set; -EBADMSG for malformed text, -ENOBUFS when it decodes to more than
 * @size bytes; then @ret_err (may be NULL) names the fault and @out holds
 * garbage. @flags: enum base64_flags.
 */
int base64_decode(const char *text, size_t len, unsigned int flags, unsigned char *out, size_t size,
		  size_t *ret_len, struct base64_error *ret_err);

#endif

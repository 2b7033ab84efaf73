// SPDX-License-Identifier: GPL-2.0-only
/*
 * base64.c: RFC 4648 vectors, round trips, and every rejection the signature
 * reader (BASE64_WRAPPED) and the baseline "caps" field (no flags,
 * BASE64_TRAILING_BITS) rely on.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "check.h"

#define OUT_MAX 512

/* Decode @text (NUL-terminated) with @flags into a static buffer; *ret_len set on success. */
static int dec(const char *text, unsigned int flags, size_t size, size_t *ret_len,
	       struct base64_error *ret_err)
{
	static unsigned char out[OUT_MAX];

	return base64_decode(text, strlen(text), flags, out, size, ret_len, ret_err);
}

static void check_decodes(const char *text, unsigned int flags, const char *want)
{
	unsigned char out[OUT_MAX];
	struct base64_error e;
	size_t n = 0;
	int r = base64_decode(text, strlen(text), flags, out, sizeof(out), &n, &e);

	CHECK_INT(r, 0);
	CHECK_INT(e.fault, BASE64_OK);
	CHECK_INT(n, strlen(want));
	CHECK(r != 0 || memcmp(out, want, n) == 0);
	if (r)
		fprintf(stderr, "  rejected \"%s\" (flags %u)\n", text, flags);
}

/* Rejected with @fault; returns the error for more checks. */
static struct base64_error check_rejects(const char *text, unsigned int flags,
					 enum base64_fault fault)
{
	struct base64_error e;
	size_t n = 0;
	int r = dec(text, flags, OUT_MAX, &n, &e);

	CHECK_INT(r, fault == BASE64_TOO_LONG ? -ENOBUFS : -EBADMSG);
	CHECK_INT(e.fault, fault);
	if (e.fault != fault)
		fprintf(stderr, "  \"%s\" (flags %u): fault %d, expected %d\n", text, flags,
			(int)e.fault, (int)fault);
	return e;
}

static void check_encodes(const char *raw, const char *want)
{
	char *out = NULL;

	CHECK_INT(base64_encode(raw, strlen(raw), &out), 0);
	CHECK_STR(out, want);
	CHECK_INT(base64_encoded_len(strlen(raw)), strlen(want));
	free(out);
}

/* RFC 4648 §10 */
static const char *const rfc_vectors[][2] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

TEST(rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		check_encodes(rfc_vectors[i][0], rfc_vectors[i][1]);
		if (!rfc_vectors[i][0][0])
			continue;
		check_decodes(rfc_vectors[i][1], 0, rfc_vectors[i][0]);
		check_decodes(rfc_vectors[i][1], BASE64_WRAPPED, rfc_vectors[i][0]);
		check_decodes(rfc_vectors[i][1], BASE64_TRAILING_BITS, rfc_vectors[i][0]);
	}
	/* the whole alphabet, in order */
	{
		static const unsigned char raw[48] = {
			0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
			0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
			0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
			0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf,
		};
		static const char text[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned char out[48];
		char *enc = NULL;
		size_t n = 0;

		CHECK_INT(base64_encode(raw, sizeof(raw), &enc), 0);
		CHECK_STR(enc, text);
		free(enc);
		CHECK_INT(base64_decode(text, strlen(text), 0, out, sizeof(out), &n, NULL), 0);
		CHECK_INT(n, sizeof(raw));
		CHECK(memcmp(out, raw, sizeof(raw)) == 0);
	}
}

TEST(round_trips)
{
	unsigned char raw[300], out[OUT_MAX];
	unsigned int seed = 12345;

	for (size_t len = 1; len <= sizeof(raw); len++) {
		char *text = NULL;
		size_t n = 0;

		for (size_t i = 0; i < len; i++)
			raw[i] = (unsigned char)(rand_r(&seed) >> 7);
		CHECK_INT(base64_encode(raw, len, &text), 0);
		if (!text)
			continue;
		CHECK_INT(strlen(text), base64_encoded_len(len));
		CHECK(base64_decoded_max(strlen(text)) >= len);
		for (unsigned int flags = 0; flags < 4; flags++) {
			n = 0;
			CHECK_INT(base64_decode(text, strlen(text), flags, out, sizeof(out), &n,
						NULL),
				  0);
			CHECK_INT(n, len);
			CHECK(memcmp(out, raw, len) == 0);
		}
		/* exactly enough room, and one byte too little */
		CHECK_INT(base64_decode(text, strlen(text), 0, out, len, &n, NULL), 0);
		CHECK_INT(base64_decode(text, strlen(text), 0, out, len - 1, &n, NULL), -ENOBUFS);
		free(text);
	}
}

TEST(wrapped_text)
{
	/* `base64` wraps at 76 with LF; `openssl base64` at 64; Windows tools use CRLF */
	check_decodes("Zm9v\nYmFy\n", BASE64_WRAPPED, "foobar");
	check_decodes("Zm9v\r\nYmFy\r\n", BASE64_WRAPPED, "foobar");
	check_decodes("Zm\n9vYg=\n=", BASE64_WRAPPED, "foob");
	check_decodes(" \t\v\f\r\nZm9vYg==\n\f\v\t ", BASE64_WRAPPED, "foob");
	check_decodes("Zm9v\n\n\r\rYmFy", BASE64_WRAPPED, "foobar");
}

TEST(rejects_empty)
{
	check_rejects("", 0, BASE64_EMPTY);
	check_rejects("", BASE64_WRAPPED, BASE64_EMPTY);
	check_rejects(" \n\t\r\v\f", BASE64_WRAPPED, BASE64_EMPTY);
	check_rejects("", BASE64_TRAILING_BITS, BASE64_EMPTY);
}

TEST(rejects_whitespace_unless_wrapped)
{
	struct base64_error e;

	e = check_rejects(" Zm9v", 0, BASE64_BAD_BYTE);
	CHECK_INT(e.offset, 0);
	CHECK_INT(e.byte, ' ');
	e = check_rejects("Zm9v\n", 0, BASE64_BAD_BYTE);
	CHECK_INT(e.offset, 4);
	CHECK_INT(e.byte, '\n');
	check_rejects("Zm9v\r\nYmFy", 0, BASE64_BAD_BYTE);
	check_rejects("Zm9v\r\nYmFy", BASE64_TRAILING_BITS, BASE64_BAD_BYTE);
	/* inside the text only CR and LF, even when wrapped */
	e = check_rejects("  Zm9v YmFy", BASE64_WRAPPED, BASE64_BAD_BYTE);
	CHECK_INT(e.offset, 4); /* counted from the first non-whitespace byte */
	CHECK_INT(e.byte, ' ');
	e = check_rejects("Zm9v\tYmFy", BASE64_WRAPPED, BASE64_BAD_BYTE);
	CHECK_INT(e.byte, '\t');
	check_rejects("Zm9v\vYmFy", BASE64_WRAPPED, BASE64_BAD_BYTE);
}

TEST(rejects_bytes_outside_the_alphabet)
{
	static const char *const bad[] = { "Zm9v-mFy",	  "Zm9v_mFy",	 "Zm9v.mFy", "Zm9v*mFy",
					   "Zm9v\x80mFy", "Zm9v\xffmFy", "Zm9v%3D" };
	struct base64_error e;
	unsigned char out[8];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = check_rejects(bad[i], 0, BASE64_BAD_BYTE);
		CHECK_INT(e.offset, 4);
		CHECK_INT(e.byte, (unsigned char)bad[i][4]);
		check_rejects(bad[i], BASE64_WRAPPED, BASE64_BAD_BYTE);
	}
	/* a NUL inside the counted length */
	CHECK_INT(base64_decode("Zm\0v", 4, 0, out, sizeof(out), &n, &e), -EBADMSG);
	CHECK_INT(e.fault, BASE64_BAD_BYTE);
	CHECK_INT(e.byte, 0);
	CHECK_INT(e.offset, 2);
}

TEST(rejects_padding_errors)
{
	struct base64_error e;

	for (unsigned int flags = 0; flags < 4; flags++) {
		check_rejects("Zg=a", flags, BASE64_AFTER_PAD);
		check_rejects("Zg==Zg==", flags, BASE64_AFTER_PAD);
		check_rejects("=Zm9", flags, BASE64_AFTER_PAD);
		check_rejects("Zm9=v", flags, BASE64_AFTER_PAD);
		e = check_rejects("Zg", flags, BASE64_BAD_LENGTH);
		CHECK_INT(e.chars, 2);
		e = check_rejects("Zm9", flags, BASE64_BAD_LENGTH);
		CHECK_INT(e.chars, 3);
		check_rejects("Zm9vY", flags, BASE64_BAD_LENGTH);
		check_rejects("Zg=", flags, BASE64_BAD_LENGTH);
		check_rejects("Zg===", flags, BASE64_BAD_LENGTH);
		e = check_rejects("Z===", flags, BASE64_BAD_LENGTH); /* three '=' */
		CHECK_INT(e.chars, 4);
		check_rejects("====", flags, BASE64_BAD_LENGTH);
		check_rejects("=", flags, BASE64_BAD_LENGTH);
		check_rejects("Zm9v====", flags, BASE64_BAD_LENGTH);
	}
	/* line breaks do not count as characters */
	e = check_rejects("Zm9\nvY\n", BASE64_WRAPPED, BASE64_BAD_LENGTH);
	CHECK_INT(e.chars, 5);
	/* a bad byte is found before the length is judged */
	check_rejects("Zg!", 0, BASE64_BAD_BYTE);
	/* '=' is counted before the byte after it is looked at */
	check_rejects("Zg=!", 0, BASE64_BAD_BYTE);
}

TEST(non_canonical_trailing_bits)
{
	size_t n = 0;

	/* "Zg==" is "f"; "Zh==" sets a bit that no byte holds */
	check_rejects("Zh==", 0, BASE64_NONCANONICAL);
	check_rejects("Zh==", BASE64_WRAPPED, BASE64_NONCANONICAL);
	check_rejects("Zm9=", 0, BASE64_NONCANONICAL);
	check_rejects("AQJ=", 0, BASE64_NONCANONICAL);
	/* the baseline parser decodes them and lets its line check reject the text */
	check_decodes("Zh==", BASE64_TRAILING_BITS, "f");
	check_decodes("AQJ=", BASE64_TRAILING_BITS, "\x01\x02");
	/* full groups have no spare bits */
	CHECK_INT(dec("////", 0, OUT_MAX, &n, NULL), 0);
	CHECK_INT(n, 3);
}

TEST(rejects_too_long)
{
	struct base64_error e;
	size_t n = 0;

	CHECK_INT(dec("Zm9vYmFy", 0, 6, &n, &e), 0);
	CHECK_INT(n, 6);
	CHECK_INT(dec("Zm9vYmFy", 0, 5, &n, &e), -ENOBUFS);
	CHECK_INT(e.fault, BASE64_TOO_LONG);
	CHECK_INT(dec("Zm9vYg==", BASE64_WRAPPED, 0, &n, &e), -ENOBUFS);
	/* found at the byte that does not fit, before what follows it */
	CHECK_INT(dec("Zm9vYmFy!", 0, 3, &n, &e), -ENOBUFS);
	CHECK_INT(e.fault, BASE64_TOO_LONG);
	CHECK_INT(dec("Zm9vYmFy!", 0, 6, &n, &e), -EBADMSG);
	CHECK_INT(e.fault, BASE64_BAD_BYTE);
	/* padding writes nothing: "Zg==" needs one byte */
	CHECK_INT(dec("Zg==", 0, 1, &n, &e), 0);
	CHECK_INT(n, 1);
	/* a NULL error is fine */
	CHECK_INT(dec("Zm9vYmFy", 0, 1, &n, NULL), -ENOBUFS);
	CHECK_INT(dec("Zm9v!", 0, OUT_MAX, &n, NULL), -EBADMSG);
}

TEST(sizes)
{
	char *out = NULL;

	CHECK_INT(base64_encoded_len(0), 0);
	CHECK_INT(base64_encoded_len(1), 4);
	CHECK_INT(base64_encoded_len(3), 4);
	CHECK_INT(base64_encoded_len(4), 8);
	CHECK_INT(base64_encoded_len(64 * 1024), 87384);
	CHECK_INT(base64_decoded_max(0), 0);
	CHECK_INT(base64_decoded_max(1), 3);
	CHECK_INT(base64_decoded_max(4), 3);
	CHECK_INT(base64_decoded_max(5), 6);
	/* refused before the data is read */
	CHECK_INT(base64_encode(NULL, SIZE_MAX, &out), -EOVERFLOW);
	CHECK(out == NULL);
}

int main(void)
{
	RUN(rfc4648_vectors);
	RUN(round_trips);
	RUN(wrapped_text);
	RUN(rejects_empty);
	RUN(rejects_whitespace_unless_wrapped);
	RUN(rejects_bytes_outside_the_alphabet);
	RUN(rejects_padding_errors);
	RUN(non_canonical_trailing_bits);
	RUN(rejects_too_long);
	RUN(sizes);
	return check_exit();
}

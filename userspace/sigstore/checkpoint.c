// SPDX-License-Identifier: GPL-2.0-only
/*
 * Merkle inclusion proofs (RFC 9162 §2.1.3.2) and signed tree heads as
 * checkpoints in the signed-note format (C2SP tlog-checkpoint, signed-note):
 *
 *   <origin>\n<tree size>\n<root hash, base64>\n[<extension lines>\n]
 *   \n
 *   — <key name> <base64(4-byte key hint || signature)>\n   (one or more)
 *
 * The signature covers the text before the blank line, final newline included.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sigstore_internal.h"

static void hash_children(const unsigned char l[32], const unsigned char r[32],
			  unsigned char out[32])
{
	unsigned char buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	ss_sha256(buf, sizeof(buf), out);
}

int ss_merkle_verify(int64_t index, int64_t size, const unsigned char leaf[32],
		     const unsigned char (*proof)[32], size_t n, const unsigned char root[32])
{
	uint64_t fn, sn;
	unsigned char r[32];

	if (index < 0 || size <= 0 || index >= size)
		return -EKEYREJECTED;
	fn = (uint64_t)index;
	sn = (uint64_t)size - 1;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return -EKEYREJECTED;
		if ((fn & 1) || fn == sn) {
			hash_children(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			hash_children(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, 32) ? 0 : -EKEYREJECTED;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

int ss_checkpoint_parse(const char *note, struct ss_checkpoint *ret, size_t *ret_text_len)
{
	const char *blank = strstr(note, "\n\n"), *p = note, *e, *end;
	char num[24], b64[64];
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (!blank)
		return -EBADMSG;
	end = blank + 1;
	/* origin */
	e = line_end(p, end);
	n = (size_t)(e - p);
	if (!n || n >= sizeof(ret->origin) || e == end)
		return -EBADMSG;
	memcpy(ret->origin, p, n);
	p = e + 1;
	/* tree size: decimal, no sign, no leading zero */
	e = line_end(p, end);
	n = (size_t)(e - p);
	if (!n || n >= sizeof(num) || e == end || (n > 1 && *p == '0'))
		return -EBADMSG;
	memcpy(num, p, n);
	num[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (num[i] < '0' || num[i] > '9')
			return -EBADMSG;
	ret->size = strtoll(num, NULL, 10);
	if (ret->size < 0 || n > 19)
		return -EBADMSG;
	p = e + 1;
	/* root hash */
	e = line_end(p, end);
	n = (size_t)(e - p);
	if (!n || n >= sizeof(b64) || e == end)
		return -EBADMSG;
	memcpy(b64, p, n);
	b64[n] = 0;
	if (ss_b64_decode_fixed(b64, ret->root_hash, 32, NULL) < 0)
		return -EBADMSG;
	*ret_text_len = (size_t)(end - note);
	return 0;
}

#define EM_DASH "\xe2\x80\x94 "

int ss_checkpoint_verify(const char *note, const struct ss_log_key *key, struct ss_checkpoint *ret,
			 struct sw_error *err)
{
	const char *p, *end;
	size_t text_len;
	bool any_line = false;

	if (!note)
		return sw_error_set(err, -EKEYREJECTED,
				    "tlog: inclusion proof without a checkpoint");
	if (ss_checkpoint_parse(note, ret, &text_len) < 0)
		return sw_error_set(err, -EKEYREJECTED, "tlog: malformed checkpoint");
	end = note + strlen(note);
	p = note + text_len + 1;
	while (p < end) {
		const char *e = line_end(p, end), *space;
		unsigned char sig[600];
		char b64[800];
		size_t n, sig_len;

		if (e == end || (size_t)(e - p) < sizeof(EM_DASH) ||
		    memcmp(p, EM_DASH, sizeof(EM_DASH) - 1))
			return sw_error_set(err, -EKEYREJECTED,
					    "tlog: malformed checkpoint signature line");
		any_line = true;
		p += sizeof(EM_DASH) - 1;
		space = memchr(p, ' ', (size_t)(e - p));
		if (!space || space == p)
			return sw_error_set(err, -EKEYREJECTED,
					    "tlog: malformed checkpoint signature line");
		n = (size_t)(e - space - 1);
		if (n >= sizeof(b64))
			return sw_error_set(err, -EKEYREJECTED,
					    "tlog: checkpoint signature too long");
		memcpy(b64, space + 1, n);
		b64[n] = 0;
		if (ss_b64_decode_fixed(b64, sig, sizeof(sig), &sig_len) < 0 || sig_len < 5)
			return sw_error_set(err, -EKEYREJECTED,
					    "tlog: malformed checkpoint signature");
		if (key->id_len >= 4 && !memcmp(sig, key->id, 4) &&
		    ss_verify_data(key->pkey, (const unsigned char *)note, text_len, sig + 4,
				   sig_len - 4) == 0)
			return 0;
		p = e + 1;
	}
	if (!any_line)
		return sw_error_set(err, -EKEYREJECTED, "tlog: checkpoint is not signed");
	return sw_error_set(err, -EKEYREJECTED,
			    "tlog: checkpoint has no valid signature by the log's key");
}

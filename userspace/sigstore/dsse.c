// SPDX-License-Identifier: GPL-2.0-only
/* DSSE envelopes: the pre-authentication encoding, in-toto statement subjects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "hexutil.h"
#include "sigstore_internal.h"

/* PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body */
int ss_dsse_pae(const char *type, const unsigned char *payload, size_t len, unsigned char **ret,
		size_t *ret_len)
{
	size_t tlen = strlen(type), head;
	unsigned char *out;
	char prefix[96];

	if (tlen > 4096)
		return -EBADMSG;
	head = (size_t)snprintf(prefix, sizeof(prefix), "DSSEv1 %zu ", tlen);
	out = malloc(head + tlen + 24 + len);
	if (!out)
		return -ENOMEM;
	memcpy(out, prefix, head);
	memcpy(out + head, type, tlen);
	head += tlen;
	head += (size_t)sprintf((char *)out + head, " %zu ", len);
	memcpy(out + head, payload, len);
	*ret = out;
	*ret_len = head + len;
	return 0;
}

/* An in-toto Statement (v0.1 or v1) naming the artifact's SHA-256 as a subject. */
int ss_intoto_subject_matches(const unsigned char *payload, size_t len,
			      const unsigned char sha256[32], struct sw_error *err)
{
	json_t *j, *subjects, *s;
	const char *type;
	char hex[65];
	json_error_t je;
	size_t i;
	int r = -EKEYREJECTED;

	j = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return sw_error_set(err, -EKEYREJECTED,
				    "dsse: payload is not a JSON in-toto statement");
	type = json_string_value(json_object_get(j, "_type"));
	if (!type || (strcmp(type, "https://in-toto.io/Statement/v1") &&
		      strcmp(type, "https://in-toto.io/Statement/v0.1"))) {
		r = sw_error_set(err, -EKEYREJECTED, "dsse: not an in-toto statement (_type '%s')",
				 type ? type : "(none)");
		goto out;
	}
	hex_encode(sha256, 32, hex);
	subjects = json_object_get(j, "subject");
	json_array_foreach(subjects, i, s) {
		const char *d =
			json_string_value(json_object_get(json_object_get(s, "digest"), "sha256"));

		if (d && !strcasecmp(d, hex)) {
			r = 0;
			goto out;
		}
	}
	r = sw_error_set(err, -EKEYREJECTED,
			 "dsse: no subject of the in-toto statement has the artifact's digest "
			 "sha256:%s",
			 hex);
out:
	json_decref(j);
	return r;
}

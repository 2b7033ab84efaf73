/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the files of userspace/sigstore/ only. */
#ifndef SW_SIGSTORE_INTERNAL_H
#define SW_SIGSTORE_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_error;

/* Upper bounds on what a bundle or trusted root may hold. */
#define SS_MAX_JSON (16u << 20)
#define SS_MAX_ENTRIES 16
#define SS_MAX_CERTS 16
#define SS_MAX_PROOF_HASHES 64
#define SS_MAX_KEYS 64

/* A validity window in milliseconds since the epoch; end inclusive. */
struct ss_window {
	bool has_start, has_end;
	int64_t start_ms, end_ms;
};

/* A transparency log (Rekor) or CT log key of the trusted root. */
struct ss_log_key {
	EVP_PKEY *pkey;
	unsigned char id[32]; /* logId.keyId */
	size_t id_len;
	struct ss_window valid;
};

/* A certificate authority (Fulcio) or timestamp authority. */
struct ss_authority {
	STACK_OF(X509) * certs; /* leaf-most first, root last */
	struct ss_window valid;
};

struct sigstore_trusted_root {
	struct ss_log_key *tlogs, *ctlogs;
	size_t n_tlogs, n_ctlogs;
	struct ss_authority *cas, *tsas;
	size_t n_cas, n_tsas;
};

struct ss_tlog_entry {
	int64_t log_index;
	unsigned char log_id[64];
	size_t log_id_len;
	char kind[32], version[16];
	bool has_integrated_time;
	int64_t integrated_time;
	unsigned char *set; /* inclusionPromise.signedEntryTimestamp */
	size_t set_len;
	bool has_proof;
	int64_t proof_index, tree_size;
	unsigned char root_hash[32];
	unsigned char (*hashes)[32];
	size_t n_hashes;
	char *checkpoint; /* NULL when absent */
	char *body_b64; /* canonicalizedBody as given (for the SET) */
	unsigned char *body;
	size_t body_len;
};

struct sigstore_bundle {
	int minor; /* 1, 2 or 3 */
	STACK_OF(X509) * chain; /* [0] the leaf; NULL with a public key */
	bool has_public_key; /* verificationMaterial.publicKey */
	struct ss_tlog_entry *entries;
	size_t n_entries;
	unsigned char **tsr; /* RFC 3161 TimeStampResp DER */
	size_t *tsr_len;
	size_t n_tsr;
	bool is_dsse;
	/* messageSignature */
	bool has_digest;
	unsigned char digest[32];
	/* the signature: messageSignature.signature or the one DSSE signature */
	unsigned char *sig;
	size_t sig_len;
	/* dsseEnvelope */
	unsigned char *payload;
	size_t payload_len;
	char *payload_type;
};

/* util.c */
int ss_b64_decode(const char *text, unsigned char **ret, size_t *ret_len);
int ss_b64_decode_fixed(const char *text, unsigned char *out, size_t size, size_t *ret_len);
int ss_json_int64(json_t *v, int64_t *ret);
int ss_parse_rfc3339_ms(const char *s, int64_t *ret_ms);
int ss_parse_window(json_t *valid_for, struct ss_window *ret);
bool ss_window_contains(const struct ss_window *w, int64_t t_ms);
int64_t ss_asn1_time_ms(const ASN1_TIME *t);
void ss_sha256(const void *data, size_t len, unsigned char out[32]);
/* Signature over @data (hashed per the key type) or over a SHA-256 prehash. */
int ss_verify_data(EVP_PKEY *key, const unsigned char *data, size_t len, const unsigned char *sig,
		   size_t sig_len);
int ss_verify_prehash(EVP_PKEY *key, const unsigned char digest[32], const unsigned char *sig,
		      size_t sig_len);
EVP_PKEY *ss_pubkey_from_der(const unsigned char *der, size_t len);
int ss_pem_to_der(const unsigned char *pem, size_t len, X509 **ret_cert, EVP_PKEY **ret_key);

/* dsse.c */
int ss_dsse_pae(const char *type, const unsigned char *payload, size_t len, unsigned char **ret,
		size_t *ret_len);
int ss_intoto_subject_matches(const unsigned char *payload, size_t len,
			      const unsigned char sha256[32], struct sw_error *err);

/* tlog.c */
int ss_merkle_verify(int64_t index, int64_t size, const unsigned char leaf[32],
		     const unsigned char (*proof)[32], size_t n, const unsigned char root[32]);
struct ss_checkpoint {
	char origin[256];
	int64_t size;
	unsigned char root_hash[32];
};
int ss_checkpoint_parse(const char *note, struct ss_checkpoint *ret, size_t *ret_text_len);
int ss_checkpoint_verify(const char *note, const struct ss_log_key *key, struct ss_checkpoint *ret,
			 struct sw_error *err);
const struct ss_log_key *ss_find_log(const struct ss_log_key *keys, size_t n,
				     const unsigned char *id, size_t id_len);
/* signing key: the leaf's key or the managed key */
int ss_tlog_verify_entry(const struct sigstore_trusted_root *root,
			 const struct sigstore_bundle *bundle, const struct ss_tlog_entry *entry,
			 const unsigned char artifact_sha256[32], EVP_PKEY *signing_key,
			 int64_t now, bool *ret_set_verified, struct sw_error *err);

/* rfc3161.c */
int ss_rfc3161_verify(const struct sigstore_trusted_root *root, const unsigned char *tsr,
		      size_t len, const unsigned char *sig, size_t sig_len, int64_t *ret_ms,
		      struct sw_error *err);

/* cert.c */
int ss_cert_verify_chain(const struct sigstore_trusted_root *root, X509 *leaf, int64_t t_ms,
			 STACK_OF(X509) * *ret_chain, struct sw_error *err);
int ss_cert_verify_sct(const struct sigstore_trusted_root *root, X509 *leaf, X509 *issuer,
		       struct sw_error *err);
int ss_cert_identity(X509 *leaf, const char *want, const char *want_re, char *ret_san,
		     size_t san_size, struct sw_error *err);
int ss_cert_issuer(X509 *leaf, char *out, size_t size);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * PEM keys (crypto.h): public keys (SubjectPublicKeyInfo) and private keys
 * (PKCS#8, SEC1), with a message naming whatever else was given. Private keys
 * are read into buffers that are wiped before they are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"

#define KEY_FILE_MAX (64 * 1024)

/* Short name of an ASN.1 object, or its dotted form. */
static void oid_name(const ASN1_OBJECT *obj, char *out, size_t size)
{
	int nid = obj ? OBJ_obj2nid(obj) : NID_undef;

	if (nid != NID_undef)
		snprintf(out, size, "%s", OBJ_nid2sn(nid));
	else if (!obj || OBJ_obj2txt(out, (int)size, obj, 1) <= 0)
		snprintf(out, size, "unknown");
}

/* Accept EC keys on P-256 and Ed25519 keys; name anything else. */
static int key_check_type(EVP_PKEY *pkey, const char *what, enum sw_key_type *ret,
			  struct sw_error *err)
{
	char group[80];
	const char *name, *nist;
	size_t group_len = 0;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*ret = SW_KEY_ED25519;
		return 0;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), &group_len)) {
			ERR_clear_error();
			return sw_error_set(err, -ENOTSUP,
					    "%s: EC key without a named curve is not supported "
					    "(only P-256)",
					    what);
		}
		if (strcmp(group, "prime256v1") && strcmp(group, "P-256")) {
			nist = EC_curve_nid2nist(OBJ_sn2nid(group));
			return sw_error_set(err, -ENOTSUP,
					    "%s: EC key on curve %s%s%s%s is not supported "
					    "(only P-256)",
					    what, group, nist ? " (" : "", nist ? nist : "",
					    nist ? ")" : "");
		}
		*ret = SW_KEY_ECDSA_P256;
		return 0;
	}
	name = EVP_PKEY_get0_type_name(pkey);
	return sw_error_set(err, -ENOTSUP,
			    "%s: %s keys are not supported (use ECDSA P-256 or Ed25519)", what,
			    name ? name : "this type of");
}

static bool label_is_private(const char *label)
{
	size_t n = strlen(label), s = strlen("PRIVATE KEY");

	return n >= s && !strcmp(label + n - s, "PRIVATE KEY");
}

static bool label_is_encrypted(const char *label, const char *header)
{
	return !strncmp(label, "ENCRYPTED ", 10) || (header && strstr(header, "ENCRYPTED"));
}

/*
 * The first PEM block of @buf that is not "EC PARAMETERS" (what
 * `openssl ecparam -genkey` puts before the key). *ret_data is wiped and
 * freed by pem_block_free().
 */
struct pem_block {
	char *label;
	char *header;
	unsigned char *data;
	long len;
};

static void pem_block_free(struct pem_block *b)
{
	if (b->data)
		OPENSSL_secure_clear_free(b->data, (size_t)b->len);
	OPENSSL_secure_free(b->label);
	OPENSSL_secure_free(b->header);
	memset(b, 0, sizeof(*b));
}

static int pem_first_block(const void *buf, size_t len, const char *what, struct pem_block *b,
			   struct sw_error *err)
{
	BIO *bio;
	int ret;

	memset(b, 0, sizeof(*b));
	if (len > KEY_FILE_MAX)
		return sw_error_set(err, -EFBIG, "%s: larger than %d bytes, not a key", what,
				    KEY_FILE_MAX);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		return sw_error_set(err, -ENOMEM, "%s: out of memory", what);
	for (;;) {
		if (!PEM_read_bio_ex(bio, &b->label, &b->header, &b->data, &b->len,
				     PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
			unsigned long e = ERR_peek_last_error();

			ERR_clear_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				ret = sw_error_set(err, -EBADMSG, "%s: no PEM key found", what);
			else
				ret = sw_error_set(err, -EBADMSG, "%s: malformed PEM (%s)", what,
						   ERR_reason_error_string(e) ?: "bad base64");
			memset(b, 0, sizeof(*b));
			goto cleanup;
		}
		if (strcmp(b->label, "EC PARAMETERS"))
			break;
		pem_block_free(b);
	}
	ret = 0;
cleanup:
	BIO_free(bio);
	return ret;
}

/* Refuse a PEM block that is not a public key, naming what it is. */
static int pubkey_check_label(const struct pem_block *b, const char *what, struct sw_error *err)
{
	if (label_is_private(b->label))
		return sw_error_set(err, -EINVAL,
				    "%s is a private key; verifying needs the public key "
				    "(openssl pkey -in KEY -pubout)",
				    what);
	if (!strcmp(b->label, "RSA PUBLIC KEY"))
		return sw_error_set(err, -ENOTSUP,
				    "%s: RSA keys are not supported (use ECDSA P-256 or Ed25519)",
				    what);
	if (!strcmp(b->label, "CERTIFICATE"))
		return sw_error_set(err, -ENOTSUP,
				    "%s is a certificate; extract its key with "
				    "'openssl x509 -pubkey -noout'",
				    what);
	if (strcmp(b->label, "PUBLIC KEY"))
		return sw_error_set(err, -EBADMSG, "%s: PEM block \"%.40s\" is not a public key",
				    what, b->label);
	return 0;
}

/* The key of a DER SPKI; a message naming its algorithm when OpenSSL has none. */
static int pubkey_from_spki(X509_PUBKEY *xpk, const char *what, EVP_PKEY **ret,
			    struct sw_error *err)
{
	ASN1_OBJECT *alg = NULL;
	char name[80];
	int nid;

	*ret = X509_PUBKEY_get(xpk);
	if (*ret)
		return 0;
	ERR_clear_error();
	X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk);
	oid_name(alg, name, sizeof(name));
	nid = alg ? OBJ_obj2nid(alg) : NID_undef;
	if (nid == NID_X9_62_id_ecPublicKey || nid == NID_ED25519)
		return sw_error_set(err, -EBADMSG, "%s: malformed %s public key", what, name);
	return sw_error_set(err, -ENOTSUP,
			    "%s: key algorithm %s is not supported "
			    "(use ECDSA P-256 or Ed25519)",
			    what, name);
}

/* key->id: "sha256:" and the hex SHA-256 of the key's DER SPKI. */
static int pubkey_set_id(struct sw_pubkey *key, const char *what, struct sw_error *err)
{
	unsigned char md[32], *der = NULL;
	int der_len = i2d_PUBKEY(key->pkey, &der);
	int r = 0;

	if (der_len <= 0 || !EVP_Digest(der, (size_t)der_len, md, NULL, EVP_sha256(), NULL))
		r = sw_error_set(err, -ENOMEM, "%s: cannot encode key: %s", what,
				 crypto_ossl_reason());
	else
		digest_format_sha256(md, key->id);
	OPENSSL_free(der);
	return r;
}

/* Parse a PEM public key (SubjectPublicKeyInfo) into a sw_pubkey. */
static int pubkey_parse(const void *buf, size_t len, const char *what, struct sw_pubkey **ret,
			struct sw_error *err)
{
	const unsigned char *p;
	struct sw_pubkey *key = NULL;
	struct pem_block b;
	X509_PUBKEY *xpk = NULL;
	int r;

	r = pem_first_block(buf, len, what, &b, err);
	if (r < 0)
		return r;
	r = pubkey_check_label(&b, what, err);
	if (r < 0)
		goto cleanup;
	p = b.data;
	xpk = d2i_X509_PUBKEY(NULL, &p, b.len);
	if (!xpk || p != b.data + b.len) {
		ERR_clear_error();
		r = sw_error_set(err, -EBADMSG, "%s: malformed public key (not DER SPKI)", what);
		goto cleanup;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		r = sw_error_set(err, -ENOMEM, "%s: out of memory", what);
		goto cleanup;
	}
	r = pubkey_from_spki(xpk, what, &key->pkey, err);
	if (r < 0)
		goto cleanup;
	r = key_check_type(key->pkey, what, &key->type, err);
	if (r < 0)
		goto cleanup;
	r = pubkey_set_id(key, what, err);
	if (r < 0)
		goto cleanup;
	*ret = key;
	key = NULL;
cleanup:
	X509_PUBKEY_free(xpk);
	crypto_pubkey_free(key);
	pem_block_free(&b);
	return r;
}

/* Refuse the PEM blocks that are not a private key we sign with, naming what they are. */
static int privkey_check_label(const struct pem_block *b, const char *what, struct sw_error *err)
{
	if (!strcmp(b->label, "PUBLIC KEY") || !strcmp(b->label, "RSA PUBLIC KEY"))
		return sw_error_set(err, -EINVAL,
				    "%s is a public key; signing needs the private key", what);
	if (strstr(b->label, "SIGSTORE") || strstr(b->label, "COSIGN"))
		return sw_error_set(err, -ENOTSUP,
				    "%s: cosign's encrypted private keys are not supported "
				    "(sign with 'cosign sign-blob --key', same format)",
				    what);
	if (label_is_encrypted(b->label, b->header))
		return sw_error_set(err, -ENOTSUP,
				    "%s: encrypted private keys are not supported "
				    "(decrypt with 'openssl pkey -in KEY -out PLAIN.key')",
				    what);
	if (!strcmp(b->label, "OPENSSH PRIVATE KEY"))
		return sw_error_set(err, -ENOTSUP,
				    "%s: OpenSSH private keys are not supported (use PEM PKCS#8)",
				    what);
	if (!strcmp(b->label, "RSA PRIVATE KEY") || !strcmp(b->label, "DSA PRIVATE KEY"))
		return sw_error_set(err, -ENOTSUP,
				    "%s: %.3s keys are not supported (use ECDSA P-256 or Ed25519)",
				    what, b->label);
	return 0;
}

/* A PKCS#8 "PRIVATE KEY" block. */
static int privkey_from_pkcs8(const struct pem_block *b, const char *what, EVP_PKEY **ret,
			      struct sw_error *err)
{
	const unsigned char *p = b->data;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, b->len);
	const ASN1_OBJECT *alg = NULL;
	char name[80];
	int r = 0;

	if (!p8 || p != b->data + b->len) {
		ERR_clear_error();
		r = sw_error_set(err, -EBADMSG, "%s: malformed PKCS#8 private key", what);
		goto cleanup;
	}
	*ret = EVP_PKCS82PKEY(p8);
	if (!*ret) {
		ERR_clear_error();
		if (PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) != 1)
			alg = NULL;
		oid_name(alg, name, sizeof(name));
		r = sw_error_set(err, -ENOTSUP,
				 "%s: private key algorithm %s is not supported "
				 "(use ECDSA P-256 or Ed25519)",
				 what, name);
	}
cleanup:
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

/* A SEC1 "EC PRIVATE KEY" block. */
static int privkey_from_sec1(const struct pem_block *b, const char *what, EVP_PKEY **ret,
			     struct sw_error *err)
{
	const unsigned char *p = b->data;

	*ret = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, b->len);
	if (!*ret || p != b->data + b->len) {
		ERR_clear_error();
		return sw_error_set(err, -EBADMSG, "%s: malformed EC private key", what);
	}
	return 0;
}

/* Parse a PEM private key: PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY". */
static int privkey_parse(const void *buf, size_t len, const char *what, EVP_PKEY **ret_pkey,
			 enum sw_key_type *ret_type, struct sw_error *err)
{
	EVP_PKEY *pkey = NULL;
	struct pem_block b;
	int r;

	r = pem_first_block(buf, len, what, &b, err);
	if (r < 0)
		return r;
	r = privkey_check_label(&b, what, err);
	if (r < 0)
		goto cleanup;
	if (!strcmp(b.label, "PRIVATE KEY"))
		r = privkey_from_pkcs8(&b, what, &pkey, err);
	else if (!strcmp(b.label, "EC PRIVATE KEY"))
		r = privkey_from_sec1(&b, what, &pkey, err);
	else if (label_is_private(b.label))
		r = sw_error_set(err, -ENOTSUP, "%s: \"%.40s\" keys are not supported", what,
				 b.label);
	else
		r = sw_error_set(err, -EBADMSG, "%s: PEM block \"%.40s\" is not a private key",
				 what, b.label);
	if (r < 0)
		goto cleanup;
	r = key_check_type(pkey, what, ret_type, err);
	if (r < 0)
		goto cleanup;
	*ret_pkey = pkey;
	pkey = NULL;
cleanup:
	EVP_PKEY_free(pkey);
	pem_block_free(&b);
	return r;
}

/* Read a secret file into a buffer that the caller wipes with OPENSSL_clear_free. */
static int secret_read(const char *path, unsigned char **ret_buf, size_t *ret_len,
		       struct sw_error *err)
{
	const size_t cap = KEY_FILE_MAX + 1;
	unsigned char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		r = sw_error_set(err, -EINVAL, "%s: not a regular file", path);
		goto cleanup;
	}
	buf = OPENSSL_malloc(cap);
	if (!buf) {
		r = sw_error_set(err, -ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX) {
		r = sw_error_set(err, -EFBIG, "%s: larger than %d bytes, not a key", path,
				 KEY_FILE_MAX);
		goto cleanup;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
cleanup:
	OPENSSL_clear_free(buf, cap);
	close(fd);
	return r;
}

int crypto_privkey_load(const char *path, EVP_PKEY **ret_pkey, enum sw_key_type *ret_type,
			struct sw_error *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	r = secret_read(path, &buf, &len, err);
	if (r < 0)
		return r;
	r = privkey_parse(buf, len, path, ret_pkey, ret_type, err);
	OPENSSL_clear_free(buf, len);
	return r;
}

int crypto_pubkey_load(const char *path, struct sw_pubkey **ret, struct sw_error *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	/* also wipes the file's bytes: they may be a private key given by mistake */
	r = secret_read(path, &buf, &len, err);
	if (r < 0)
		return r;
	r = pubkey_parse(buf, len, path, ret, err);
	OPENSSL_clear_free(buf, len);
	return r;
}

int crypto_pubkey_load_mem(const char *pem, size_t len, struct sw_pubkey **ret,
			   struct sw_error *err)
{
	return pubkey_parse(pem, len, "public key", ret, err);
}

void crypto_pubkey_free(struct sw_pubkey *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *crypto_pubkey_id(const struct sw_pubkey *key)
{
	return key->id;
}

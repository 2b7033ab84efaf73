// SPDX-License-Identifier: GPL-2.0-only
/*
 * Detached signatures (crypto.h): OpenSSL 3 EVP, PEM keys, base64 text.
 * ECDSA P-256 signs SHA-256 of the bytes (DER signature, like cosign and
 * `openssl dgst -sha256 -sign`); Ed25519 is pure (`openssl pkeyutl -rawin`).
 * Private keys are read into buffers that are wiped before they are freed.
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
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"

#define KEY_FILE_MAX (64 * 1024)
/* Decoded signature bytes: DER ECDSA P-256 is at most 72, Ed25519 is 64. */
#define SIG_RAW_MAX 128
#define ED25519_SIG_LEN 64

struct sw_pubkey {
	EVP_PKEY *pkey;
	enum sw_key_type type;
	char id[72]; /* "sha256:<64 hex>" */
};

static const char *const key_type_names[] = {
	[SW_KEY_ECDSA_P256] = "ecdsa-p256",
	[SW_KEY_ED25519] = "ed25519",
};

int crypto_key_type_from_name(const char *name, enum sw_key_type *ret)
{
	for (size_t i = 0; i < sizeof(key_type_names) / sizeof(key_type_names[0]); i++) {
		if (name && !strcmp(name, key_type_names[i])) {
			*ret = (enum sw_key_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The last OpenSSL error as text, for messages; clears the queue. */
static const char *ossl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r ? r : "unknown OpenSSL error";
}

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

/* Parse a PEM public key (SubjectPublicKeyInfo) into a sw_pubkey. */
static int pubkey_parse(const void *buf, size_t len, const char *what, struct sw_pubkey **ret,
			struct sw_error *err)
{
	unsigned char md[32], *der = NULL;
	const unsigned char *p;
	struct sw_pubkey *key = NULL;
	struct pem_block b;
	X509_PUBKEY *xpk = NULL;
	int r, der_len;

	r = pem_first_block(buf, len, what, &b, err);
	if (r < 0)
		return r;
	if (label_is_private(b.label)) {
		r = sw_error_set(err, -EINVAL,
				 "%s is a private key; verifying needs the public key "
				 "(openssl pkey -in KEY -pubout)",
				 what);
		goto cleanup;
	}
	if (!strcmp(b.label, "RSA PUBLIC KEY")) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s: RSA keys are not supported (use ECDSA P-256 or Ed25519)",
				 what);
		goto cleanup;
	}
	if (!strcmp(b.label, "CERTIFICATE")) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s is a certificate; extract its key with "
				 "'openssl x509 -pubkey -noout'",
				 what);
		goto cleanup;
	}
	if (strcmp(b.label, "PUBLIC KEY")) {
		r = sw_error_set(err, -EBADMSG, "%s: PEM block \"%.40s\" is not a public key", what,
				 b.label);
		goto cleanup;
	}
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
	key->pkey = X509_PUBKEY_get(xpk);
	if (!key->pkey) {
		ASN1_OBJECT *alg = NULL;
		char name[80];
		int nid;

		ERR_clear_error();
		X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk);
		oid_name(alg, name, sizeof(name));
		nid = alg ? OBJ_obj2nid(alg) : NID_undef;
		if (nid == NID_X9_62_id_ecPublicKey || nid == NID_ED25519)
			r = sw_error_set(err, -EBADMSG, "%s: malformed %s public key", what, name);
		else
			r = sw_error_set(err, -ENOTSUP,
					 "%s: key algorithm %s is not supported "
					 "(use ECDSA P-256 or Ed25519)",
					 what, name);
		goto cleanup;
	}
	r = key_check_type(key->pkey, what, &key->type, err);
	if (r < 0)
		goto cleanup;
	der_len = i2d_PUBKEY(key->pkey, &der);
	if (der_len <= 0 || !EVP_Digest(der, (size_t)der_len, md, NULL, EVP_sha256(), NULL)) {
		r = sw_error_set(err, -ENOMEM, "%s: cannot encode key: %s", what, ossl_reason());
		goto cleanup;
	}
	digest_format_sha256(md, key->id);
	*ret = key;
	key = NULL;
	r = 0;
cleanup:
	OPENSSL_free(der);
	X509_PUBKEY_free(xpk);
	crypto_pubkey_free(key);
	pem_block_free(&b);
	return r;
}

/* Parse a PEM private key: PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY". */
static int privkey_parse(const void *buf, size_t len, const char *what, EVP_PKEY **ret_pkey,
			 enum sw_key_type *ret_type, struct sw_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p;
	struct pem_block b;
	int r;

	r = pem_first_block(buf, len, what, &b, err);
	if (r < 0)
		return r;
	p = b.data;
	if (!strcmp(b.label, "PUBLIC KEY") || !strcmp(b.label, "RSA PUBLIC KEY")) {
		r = sw_error_set(err, -EINVAL, "%s is a public key; signing needs the private key",
				 what);
	} else if (strstr(b.label, "SIGSTORE") || strstr(b.label, "COSIGN")) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s: cosign's encrypted private keys are not supported "
				 "(sign with 'cosign sign-blob --key', same format)",
				 what);
	} else if (label_is_encrypted(b.label, b.header)) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s: encrypted private keys are not supported "
				 "(decrypt with 'openssl pkey -in KEY -out PLAIN.key')",
				 what);
	} else if (!strcmp(b.label, "OPENSSH PRIVATE KEY")) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s: OpenSSH private keys are not supported (use PEM PKCS#8)",
				 what);
	} else if (!strcmp(b.label, "RSA PRIVATE KEY") || !strcmp(b.label, "DSA PRIVATE KEY")) {
		r = sw_error_set(err, -ENOTSUP,
				 "%s: %.3s keys are not supported (use ECDSA P-256 or Ed25519)",
				 what, b.label);
	} else if (!strcmp(b.label, "PRIVATE KEY")) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, b.len);
		if (!p8 || p != b.data + b.len) {
			ERR_clear_error();
			r = sw_error_set(err, -EBADMSG, "%s: malformed PKCS#8 private key", what);
			goto cleanup;
		}
		pkey = EVP_PKCS82PKEY(p8);
		if (!pkey) {
			const ASN1_OBJECT *alg = NULL;
			char name[80];

			ERR_clear_error();
			if (PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) != 1)
				alg = NULL;
			oid_name(alg, name, sizeof(name));
			r = sw_error_set(err, -ENOTSUP,
					 "%s: private key algorithm %s is not supported "
					 "(use ECDSA P-256 or Ed25519)",
					 what, name);
			goto cleanup;
		}
		r = 0;
	} else if (!strcmp(b.label, "EC PRIVATE KEY")) {
		pkey = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, b.len);
		if (!pkey || p != b.data + b.len) {
			ERR_clear_error();
			r = sw_error_set(err, -EBADMSG, "%s: malformed EC private key", what);
			goto cleanup;
		}
		r = 0;
	} else if (label_is_private(b.label)) {
		r = sw_error_set(err, -ENOTSUP, "%s: \"%.40s\" keys are not supported", what,
				 b.label);
	} else {
		r = sw_error_set(err, -EBADMSG, "%s: PEM block \"%.40s\" is not a private key",
				 what, b.label);
	}
	if (r < 0)
		goto cleanup;
	r = key_check_type(pkey, what, ret_type, err);
	if (r < 0)
		goto cleanup;
	*ret_pkey = pkey;
	pkey = NULL;
cleanup:
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8);
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

/* Create @path (must not exist) with @mode; returns an fd or a negative errno. */
static int create_new(const char *path, mode_t mode, struct sw_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd >= 0)
		return fd;
	if (errno == EEXIST)
		return sw_error_set(err, -EEXIST, "%s already exists; refusing to overwrite it",
				    path);
	return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
}

static int write_all_sync(int fd, const char *path, const char *data, size_t len,
			  struct sw_error *err)
{
	int r = fd_write_all(fd, data, len);

	if (r)
		return sw_error_set(err, r, "%s: %s", path, strerror(-r));
	if (fsync(fd) < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int crypto_keygen(enum sw_key_type type, const char *priv_path, const char *pub_path,
		  struct sw_error *err)
{
	BIO *priv_bio = NULL, *pub_bio = NULL;
	int priv_fd = -1, pub_fd = -1, r;
	EVP_PKEY *pkey = NULL;
	char *priv_pem, *pub_pem;
	long priv_len, pub_len;

	if (type == SW_KEY_ECDSA_P256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (type == SW_KEY_ED25519)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return sw_error_set(err, -EINVAL, "unknown key type %d", (int)type);
	if (!pkey)
		return sw_error_set(err, -ENOMEM, "key generation failed: %s", ossl_reason());

	/* secure memory BIO: wiped when freed */
	priv_bio = BIO_new(BIO_s_secmem());
	pub_bio = BIO_new(BIO_s_mem());
	if (!priv_bio || !pub_bio ||
	    !PEM_write_bio_PrivateKey(priv_bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pub_bio, pkey)) {
		r = sw_error_set(err, -ENOMEM, "cannot encode key: %s", ossl_reason());
		goto cleanup;
	}
	priv_len = BIO_get_mem_data(priv_bio, &priv_pem);
	pub_len = BIO_get_mem_data(pub_bio, &pub_pem);

	priv_fd = r = create_new(priv_path, 0600, err);
	if (r < 0)
		goto cleanup;
	pub_fd = r = create_new(pub_path, 0644, err);
	if (r < 0)
		goto cleanup;
	r = write_all_sync(priv_fd, priv_path, priv_pem, (size_t)priv_len, err);
	if (r < 0)
		goto cleanup;
	r = write_all_sync(pub_fd, pub_path, pub_pem, (size_t)pub_len, err);
cleanup:
	if (priv_fd >= 0 && close(priv_fd) < 0 && r == 0)
		r = sw_error_set(err, -errno, "%s: %s", priv_path, strerror(errno));
	if (pub_fd >= 0 && close(pub_fd) < 0 && r == 0)
		r = sw_error_set(err, -errno, "%s: %s", pub_path, strerror(errno));
	if (r < 0 && priv_fd >= 0)
		unlink(priv_path);
	if (r < 0 && pub_fd >= 0)
		unlink(pub_path);
	BIO_free(priv_bio);
	BIO_free(pub_bio);
	EVP_PKEY_free(pkey);
	return r < 0 ? r : 0;
}

int crypto_sign(const char *key_path, const unsigned char *data, size_t len, char **ret_b64,
		struct sw_error *err)
{
	unsigned char *key_buf = NULL, *sig = NULL;
	enum sw_key_type type;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t key_len = 0, sig_len = 0;
	char *b64 = NULL;
	int r;

	r = secret_read(key_path, &key_buf, &key_len, err);
	if (r < 0)
		return r;
	r = privkey_parse(key_buf, key_len, key_path, &pkey, &type, err);
	if (r < 0)
		goto cleanup;
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	/* Ed25519 is pure: no digest of its own */
	if (EVP_DigestSignInit_ex(ctx, NULL, type == SW_KEY_ECDSA_P256 ? "SHA256" : NULL, NULL,
				  NULL, pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, data, len) != 1) {
		r = sw_error_set(err, -EIO, "%s: cannot sign: %s", key_path, ossl_reason());
		goto cleanup;
	}
	sig = OPENSSL_malloc(sig_len);
	if (!sig) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if (EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1) {
		r = sw_error_set(err, -EIO, "%s: cannot sign: %s", key_path, ossl_reason());
		goto cleanup;
	}
	if (base64_encode(sig, sig_len, &b64) < 0) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	*ret_b64 = b64;
	b64 = NULL;
	r = 0;
cleanup:
	free(b64);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OPENSSL_clear_free(key_buf, key_len);
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

/*
 * The signature's base64 into @out (SIG_RAW_MAX bytes): strict standard base64,
 * whitespace around it and line breaks inside it (wrapped output of `base64`
 * or `openssl base64`); anything else is -EBADMSG.
 */
static int sig_decode(const char *text, size_t len, unsigned char *out, size_t *ret_len,
		      struct sw_error *err)
{
	struct base64_error e;

	if (!base64_decode(text, len, BASE64_WRAPPED, out, SIG_RAW_MAX, ret_len, &e))
		return 0;
	switch (e.fault) {
	case BASE64_EMPTY:
		return sw_error_set(err, -EBADMSG, "malformed signature: empty");
	case BASE64_BAD_BYTE:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: not base64 (byte 0x%02x at offset %zu)",
				    e.byte, e.offset);
	case BASE64_AFTER_PAD:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: data after base64 padding");
	case BASE64_TOO_LONG:
		return sw_error_set(err, -EBADMSG, "malformed signature: longer than %d bytes",
				    SIG_RAW_MAX);
	case BASE64_BAD_LENGTH:
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: base64 length %zu is not a multiple "
				    "of 4 (truncated?)",
				    e.chars);
	default:
		return sw_error_set(err, -EBADMSG, "malformed signature: non-canonical base64");
	}
}

/* A DER ECDSA-Sig-Value, exactly (no BER, no trailing bytes). */
static bool ecdsa_sig_is_der(const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *es;
	bool ok = false;
	int der_len;

	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (es && p == sig + len) {
		der_len = i2d_ECDSA_SIG(es, &der);
		ok = der_len == (int)len && !memcmp(der, sig, len);
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return ok;
}

int crypto_verify(const struct sw_pubkey *key, const unsigned char *data, size_t len,
		  const char *sig, size_t sig_len, struct sw_error *err)
{
	unsigned char raw[SIG_RAW_MAX];
	EVP_MD_CTX *ctx = NULL;
	size_t raw_len = 0;
	int r;

	r = sig_decode(sig, sig_len, raw, &raw_len, err);
	if (r < 0)
		return r;
	if (key->type == SW_KEY_ED25519 && raw_len != ED25519_SIG_LEN)
		return sw_error_set(
			err, -EBADMSG, "malformed signature: %zu bytes%s, Ed25519 key %s needs 64",
			raw_len, ecdsa_sig_is_der(raw, raw_len) ? " (an ECDSA signature?)" : "",
			key->id);
	if (key->type == SW_KEY_ECDSA_P256 && !ecdsa_sig_is_der(raw, raw_len))
		return sw_error_set(err, -EBADMSG,
				    "malformed signature: not DER ECDSA (%zu bytes%s) for ECDSA "
				    "P-256 key %s",
				    raw_len,
				    raw_len == ED25519_SIG_LEN ? ", an Ed25519 signature?" : "",
				    key->id);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit_ex(ctx, NULL, key->type == SW_KEY_ECDSA_P256 ? "SHA256" : NULL,
				    NULL, NULL, key->pkey, NULL) != 1) {
		r = sw_error_set(err, -EIO, "cannot verify: %s", ossl_reason());
		goto cleanup;
	}
	if (EVP_DigestVerify(ctx, raw, raw_len, data, len) == 1)
		r = 0;
	else
		r = sw_error_set(err, -EKEYREJECTED, "signature does not verify with key %s",
				 key->id);
cleanup:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

int crypto_verify_any(struct sw_pubkey *const *keys, size_t n, const unsigned char *data,
		      size_t len, const char *sig, size_t sig_len, struct sw_error *err)
{
	struct sw_error malformed = { { 0 } }, one;
	size_t rejected = 0;

	if (!n)
		return sw_error_set(err, -ENOKEY, "no public key to verify with");
	for (size_t i = 0; i < n; i++) {
		int r = crypto_verify(keys[i], data, len, sig, sig_len, &one);

		if (r == 0)
			return 0;
		if (r == -EKEYREJECTED) {
			rejected++;
		} else if (r == -EBADMSG) {
			if (!malformed.msg[0])
				malformed = one;
		} else {
			return sw_error_set(err, r, "%s", one.msg);
		}
	}
	/* well-formed for at least one key's type: it is a bad signature */
	if (rejected == 1 && n == 1)
		return sw_error_set(err, -EKEYREJECTED, "%s", one.msg);
	if (rejected)
		return sw_error_set(err, -EKEYREJECTED,
				    "signature does not verify with any of the %zu keys", n);
	return sw_error_set(err, -EBADMSG, "%s", malformed.msg);
}

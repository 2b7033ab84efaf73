// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for userspace/crypto/crypto.c: keys, sign/verify, strict base64, rejections. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check.h"
#include "crypto.h"
#include "errors.h"
#include "hexutil.h"

static char tmpdir[] = "/tmp/sw-test-crypto.XXXXXX";

static const unsigned char msg[] = "sealwatch.baseline/v1 test data\n";
#define MSG_LEN (sizeof(msg) - 1)

/* Generated once by `openssl`: interop known answers. */
static const char openssl_ec_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3kMQKBrSfvdq1GF82z00dpdN0pj4\n"
	"f1mnhr6pR3Bx7eQyzsfojHqt2GF6MbNtIzb4V7JAF6p9Qewdfzmrw6ic6g==\n"
	"-----END PUBLIC KEY-----\n";
/* openssl dgst -sha256 -sign ec.key <(printf 'hello sealwatch\n') | base64 -w0 */
static const char openssl_ec_sig[] = "MEUCIQCQu5w7UC01Y7/XUk2/jAN0QNijXW34rXIsHhL5xolt1gIgezxBMoP"
				     "GotGeohNPWlmG0GBLOrl4PW2R8f04h7t7caM=";

/* RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one byte 0x72). */
static const char rfc8032_pub1[] = "-----BEGIN PUBLIC KEY-----\n"
				   "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
				   "-----END PUBLIC KEY-----\n";
static const char rfc8032_sig1[] = "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+"
				   "bRr0lv18FlbviRlUUFDjnoQCw==";
static const char rfc8032_pub2[] = "-----BEGIN PUBLIC KEY-----\n"
				   "MCowBQYDK2VwAyEAPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n"
				   "-----END PUBLIC KEY-----\n";
static const char rfc8032_sig2[] =
	"kqAJqfDUyrhyDoILX2QlQKKye1QWUD+Ps3YiI+vbadoIWsHkPhWZbkWPNhPQ8R2MO"
	"HsurrQwKu6wDSkWErsMAA==";

static const char *tpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A path inside the temp dir (rotating static buffers). */
static const char *tpath(const char *fmt, ...)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	int off;
	va_list ap;

	off = snprintf(b, 512, "%s/", tmpdir);
	va_start(ap, fmt);
	vsnprintf(b + off, 512 - off, fmt, ap);
	va_end(ap);
	return b;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static char *read_text(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Write a foreign key (any OpenSSL type) as PEM files; 0 on success. */
enum pem_form { FORM_PKCS8, FORM_PUB, FORM_TRADITIONAL, FORM_ENCRYPTED };

static int write_key(EVP_PKEY *pkey, enum pem_form form, const char *path)
{
	BIO *bio = BIO_new_file(path, "w");
	int ok = 0;

	if (!bio)
		return -1;
	switch (form) {
	case FORM_PKCS8:
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
		break;
	case FORM_PUB:
		ok = PEM_write_bio_PUBKEY(bio, pkey);
		break;
	case FORM_TRADITIONAL:
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL);
		break;
	case FORM_ENCRYPTED:
		ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), "secret", 6, NULL,
						   NULL);
		break;
	}
	BIO_free(bio);
	return ok ? 0 : -1;
}

static int foreign_keypair(EVP_PKEY *pkey, const char *name)
{
	int r;

	if (!pkey)
		return -1;
	r = write_key(pkey, FORM_PKCS8, tpath("%s.key", name));
	if (!r)
		r = write_key(pkey, FORM_PUB, tpath("%s.pub", name));
	EVP_PKEY_free(pkey);
	return r;
}

static struct sw_pubkey *load_pub(const char *path)
{
	struct sw_pubkey *key = NULL;
	struct sw_error e = { { 0 } };
	int r = crypto_pubkey_load(path, &key, &e);

	if (r < 0)
		fprintf(stderr, "  load %s: %d %s\n", path, r, e.msg);
	return key;
}

static struct sw_pubkey *load_pub_mem(const char *pem)
{
	struct sw_pubkey *key = NULL;

	if (crypto_pubkey_load_mem(pem, strlen(pem), &key, NULL) < 0)
		return NULL;
	return key;
}

static int verify_text(const struct sw_pubkey *key, const void *data, size_t len, const char *sig)
{
	return crypto_verify(key, data, len, sig, strlen(sig), NULL);
}

/* base64 of raw bytes (test helper, static buffer). */
static const char *b64(const unsigned char *raw, size_t len)
{
	static char out[512];

	EVP_EncodeBlock((unsigned char *)out, raw, (int)len);
	return out;
}

/* Decode a canonical base64 string with OpenSSL (test helper). */
static size_t unb64(const char *text, unsigned char *out)
{
	size_t n = strlen(text);
	int len = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);

	while (n && text[n - 1] == '=') {
		n--;
		len--;
	}
	return len < 0 ? 0 : (size_t)len;
}

/* Re-wrap base64 into lines of @width characters joined by @eol. */
static void wrap(const char *in, size_t width, const char *eol, char *out, size_t size)
{
	size_t off = 0, n = strlen(in);

	for (size_t i = 0; i < n && off + width + 3 < size; i += width) {
		size_t chunk = n - i < width ? n - i : width;

		memcpy(out + off, in + i, chunk);
		off += chunk;
		off += (size_t)snprintf(out + off, size - off, "%s", eol);
	}
	out[off] = '\0';
}

TEST(key_type_names)
{
	enum sw_key_type t;

	CHECK_INT(crypto_key_type_from_name("ecdsa-p256", &t), 0);
	CHECK_INT(t, SW_KEY_ECDSA_P256);
	CHECK_INT(crypto_key_type_from_name("ed25519", &t), 0);
	CHECK_INT(t, SW_KEY_ED25519);
	CHECK_INT(crypto_key_type_from_name("rsa", &t), -EINVAL);
	CHECK_INT(crypto_key_type_from_name("", &t), -EINVAL);
	CHECK_INT(crypto_key_type_from_name(NULL, &t), -EINVAL);
}

TEST(keygen_writes_pkcs8_and_spki)
{
	struct sw_error e = { { 0 } };
	struct sw_pubkey *key = NULL;
	unsigned char *der = NULL, md[32];
	char want[80], before[4096];
	EVP_PKEY *pkey;
	struct stat st;
	const char *text;
	BIO *bio;
	int r, der_len;

	r = crypto_keygen(SW_KEY_ECDSA_P256, tpath("kg.key"), tpath("kg.pub"), &e);
	CHECK_INT(r, 0);
	CHECK(stat(tpath("kg.key"), &st) == 0 && (st.st_mode & 07777) == 0600);
	text = read_text(tpath("kg.key"));
	CHECK(text && !strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28));
	snprintf(before, sizeof(before), "%s", text ? text : "");
	text = read_text(tpath("kg.pub"));
	CHECK(text && !strncmp(text, "-----BEGIN PUBLIC KEY-----\n", 27));

	/* key id: sha256 of the DER SubjectPublicKeyInfo */
	key = load_pub(tpath("kg.pub"));
	CHECK(key != NULL);
	bio = BIO_new_file(tpath("kg.pub"), "r");
	pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	der_len = pkey ? i2d_PUBKEY(pkey, &der) : -1;
	CHECK(der_len == 91);
	if (key && der_len > 0) {
		EVP_Digest(der, (size_t)der_len, md, NULL, EVP_sha256(), NULL);
		digest_format_sha256(md, want);
		CHECK_STR(crypto_pubkey_id(key), want);
	}
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	crypto_pubkey_free(key);

	/* never overwrites: neither file changes, nothing new is left behind */
	r = crypto_keygen(SW_KEY_ED25519, tpath("kg.key"), tpath("kg.pub"), &e);
	CHECK_INT(r, -EEXIST);
	CHECK(strstr(e.msg, "kg.key") != NULL);
	CHECK_STR(read_text(tpath("kg.key")), before);
	r = crypto_keygen(SW_KEY_ED25519, tpath("kg2.key"), tpath("kg.pub"), &e);
	CHECK_INT(r, -EEXIST);
	CHECK(access(tpath("kg2.key"), F_OK) != 0);
	r = crypto_keygen(SW_KEY_ED25519, tpath("nodir/x.key"), tpath("nodir/x.pub"), &e);
	CHECK_INT(r, -ENOENT);
}

/* Everything both key types must do; @other is a key of the other type. */
static void roundtrip(enum sw_key_type type, const char *name, const char *other_pub)
{
	struct sw_pubkey *key, *wrong, *other;
	struct sw_error e = { { 0 } };
	unsigned char data[sizeof(msg)], raw[256];
	char *sig = NULL, text[1024];
	size_t sig_len, raw_len;

	CHECK_INT(crypto_keygen(type, tpath("%s.key", name), tpath("%s.pub", name), &e), 0);
	CHECK_INT(crypto_keygen(type, tpath("%s-b.key", name), tpath("%s-b.pub", name), &e), 0);
	key = load_pub(tpath("%s.pub", name));
	wrong = load_pub(tpath("%s-b.pub", name));
	other = load_pub(other_pub);
	CHECK(key && wrong && other);
	CHECK_INT(crypto_sign(tpath("%s.key", name), msg, MSG_LEN, &sig, &e), 0);
	if (!key || !wrong || !other || !sig)
		goto cleanup;
	sig_len = strlen(sig);
	CHECK(!strchr(sig, '\n'));
	raw_len = unb64(sig, raw);
	if (type == SW_KEY_ED25519)
		CHECK_INT(raw_len, 64);
	else
		CHECK(raw_len >= 8 && raw_len <= 72 && raw[0] == 0x30);

	CHECK_INT(crypto_verify(key, msg, MSG_LEN, sig, sig_len, &e), 0);
	CHECK(strcmp(crypto_pubkey_id(key), crypto_pubkey_id(wrong)));

	/* whitespace around, trailing newline, wrapped lines */
	snprintf(text, sizeof(text), "%s\n", sig);
	CHECK_INT(verify_text(key, msg, MSG_LEN, text), 0);
	snprintf(text, sizeof(text), "  \t%s\r\n\n", sig);
	CHECK_INT(verify_text(key, msg, MSG_LEN, text), 0);
	wrap(sig, 16, "\n", text, sizeof(text));
	CHECK_INT(verify_text(key, msg, MSG_LEN, text), 0);
	wrap(sig, 64, "\r\n", text, sizeof(text));
	CHECK_INT(verify_text(key, msg, MSG_LEN, text), 0);

	/* one tampered byte of the data */
	memcpy(data, msg, sizeof(msg));
	data[5] ^= 1;
	CHECK_INT(crypto_verify(key, data, MSG_LEN, sig, sig_len, &e), -EKEYREJECTED);
	CHECK(strstr(e.msg, crypto_pubkey_id(key)) != NULL);
	CHECK_INT(crypto_verify(key, msg, MSG_LEN - 1, sig, sig_len, NULL), -EKEYREJECTED);

	/* another key of the same type; a key of the other type */
	CHECK_INT(crypto_verify(wrong, msg, MSG_LEN, sig, sig_len, NULL), -EKEYREJECTED);
	CHECK_INT(crypto_verify(other, msg, MSG_LEN, sig, sig_len, NULL), -EBADMSG);

	/* truncated text: a multiple of 4 or not */
	CHECK_INT(crypto_verify(key, msg, MSG_LEN, sig, sig_len - 4, NULL), -EBADMSG);
	CHECK_INT(crypto_verify(key, msg, MSG_LEN, sig, sig_len - 1, NULL), -EBADMSG);
	/* a space inside the text is not a line break */
	snprintf(text, sizeof(text), "%.8s %s", sig, sig + 8);
	CHECK_INT(verify_text(key, msg, MSG_LEN, text), -EBADMSG);
	/* one extra byte after the signature */
	raw[raw_len] = 0;
	CHECK_INT(verify_text(key, msg, MSG_LEN, b64(raw, raw_len + 1)), -EBADMSG);
	/* one flipped bit of an Ed25519 signature keeps its shape */
	if (type == SW_KEY_ED25519) {
		raw[10] ^= 0x40;
		CHECK_INT(verify_text(key, msg, MSG_LEN, b64(raw, raw_len)), -EKEYREJECTED);
	} else {
		raw[raw_len - 1] ^= 0x01; /* last byte of s */
		CHECK_INT(verify_text(key, msg, MSG_LEN, b64(raw, raw_len)), -EKEYREJECTED);
	}
	free(sig);
	sig = NULL;

	/* empty data signs and verifies */
	CHECK_INT(crypto_sign(tpath("%s.key", name), (const unsigned char *)"", 0, &sig, &e), 0);
	if (sig)
		CHECK_INT(verify_text(key, "", 0, sig), 0);
cleanup:
	free(sig);
	crypto_pubkey_free(key);
	crypto_pubkey_free(wrong);
	crypto_pubkey_free(other);
}

TEST(roundtrip_ecdsa_p256)
{
	roundtrip(SW_KEY_ECDSA_P256, "rt-ec", tpath("kg-ed.pub"));
}

TEST(roundtrip_ed25519)
{
	roundtrip(SW_KEY_ED25519, "rt-ed", tpath("kg.pub"));
}

TEST(openssl_and_rfc8032_known_answers)
{
	struct sw_pubkey *ec = load_pub_mem(openssl_ec_pub);
	struct sw_pubkey *ed1 = load_pub_mem(rfc8032_pub1);
	struct sw_pubkey *ed2 = load_pub_mem(rfc8032_pub2);
	const char *hello = "hello sealwatch\n";

	CHECK(ec && ed1 && ed2);
	if (!ec || !ed1 || !ed2)
		goto cleanup;
	CHECK_INT(verify_text(ec, hello, strlen(hello), openssl_ec_sig), 0);
	CHECK_INT(verify_text(ec, hello, strlen(hello) - 1, openssl_ec_sig), -EKEYREJECTED);
	CHECK_INT(verify_text(ed1, "", 0, rfc8032_sig1), 0);
	CHECK_INT(verify_text(ed1, "r", 1, rfc8032_sig1), -EKEYREJECTED);
	CHECK_INT(verify_text(ed2, "r", 1, rfc8032_sig2), 0);
	CHECK_INT(verify_text(ed2, "r", 1, rfc8032_sig1), -EKEYREJECTED);
	CHECK_INT(verify_text(ed1, "", 0, openssl_ec_sig), -EBADMSG);
cleanup:
	crypto_pubkey_free(ec);
	crypto_pubkey_free(ed1);
	crypto_pubkey_free(ed2);
}

TEST(garbage_signature_text_is_ebadmsg)
{
	static const char *const bad[] = {
		"",
		"   \n\t",
		"!!!!",
		"abc",
		"abcde",
		"====",
		"A===",
		"QQ=",
		"QR==", /* non-canonical: unused bits set */
		"QUJD=QUJD",
		"QUJD\x00QUJD",
		"QUJD,QUJD",
		"-_-_",
		"MEUCIQ", /* truncated, no padding */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		rfc8032_sig1, /* 64 bytes: not DER for ECDSA */
	};
	struct sw_pubkey *ec = load_pub_mem(openssl_ec_pub), *ed = load_pub_mem(rfc8032_pub1);
	struct sw_error e = { { 0 } };

	CHECK(ec && ed);
	for (size_t i = 0; ec && ed && i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 10 ? 9 : strlen(bad[i]);
		int r = crypto_verify(ec, msg, MSG_LEN, bad[i], len, &e);

		if (r != -EBADMSG)
			fprintf(stderr, "  ecdsa bad[%zu]: %d\n", i, r);
		CHECK_INT(r, -EBADMSG);
		CHECK(!strncmp(e.msg, "malformed signature", 19));
		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			continue;
		r = crypto_verify(ed, msg, MSG_LEN, bad[i], len, &e);
		if (r != -EBADMSG)
			fprintf(stderr, "  ed25519 bad[%zu]: %d\n", i, r);
		CHECK_INT(r, -EBADMSG);
	}
	/* a BER (non-DER) length form of a valid ECDSA signature */
	if (ec) {
		unsigned char raw[128], ber[130];
		size_t n = unb64(openssl_ec_sig, raw);

		ber[0] = 0x30;
		ber[1] = 0x81;
		memcpy(ber + 2, raw + 1, n - 1);
		CHECK_INT(verify_text(ec, "hello sealwatch\n", 16, b64(ber, n + 1)), -EBADMSG);
	}
	crypto_pubkey_free(ec);
	crypto_pubkey_free(ed);
}

TEST(unsupported_key_types_are_enotsup)
{
	static const struct {
		const char *name, *word;
	} foreign[] = {
		{ "rsa", "RSA" },
		{ "p384", "P-384" },
		{ "ed448", "ED448" },
		{ "x25519", "X25519" },
	};
	struct sw_error e = { { 0 } };
	struct sw_pubkey *key = NULL;
	char *sig = NULL;

	CHECK_INT(foreign_keypair(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), "rsa"), 0);
	CHECK_INT(foreign_keypair(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), "p384"), 0);
	CHECK_INT(foreign_keypair(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), "ed448"), 0);
	CHECK_INT(foreign_keypair(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), "x25519"), 0);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		e.msg[0] = '\0';
		CHECK_INT(crypto_sign(tpath("%s.key", foreign[i].name), msg, MSG_LEN, &sig, &e),
			  -ENOTSUP);
		CHECK(strstr(e.msg, foreign[i].word) != NULL);
		CHECK(sig == NULL);
		e.msg[0] = '\0';
		CHECK_INT(crypto_pubkey_load(tpath("%s.pub", foreign[i].name), &key, &e), -ENOTSUP);
		CHECK(strstr(e.msg, foreign[i].word) != NULL);
		CHECK(key == NULL);
	}
	/* PKCS#1 "RSA PRIVATE KEY" */
	{
		EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

		CHECK_INT(write_key(rsa, FORM_TRADITIONAL, tpath("rsa1.key")), 0);
		EVP_PKEY_free(rsa);
		CHECK_INT(crypto_sign(tpath("rsa1.key"), msg, MSG_LEN, &sig, &e), -ENOTSUP);
		CHECK(strstr(e.msg, "RSA") != NULL);
	}
}

TEST(private_and_public_keys_not_interchangeable)
{
	struct sw_error e = { { 0 } };
	struct sw_pubkey *key = NULL;
	char *sig = NULL;

	CHECK_INT(crypto_pubkey_load(tpath("kg.key"), &key, &e), -EINVAL);
	CHECK(strstr(e.msg, "private key") != NULL);
	CHECK(key == NULL);
	CHECK_INT(crypto_sign(tpath("kg.pub"), msg, MSG_LEN, &sig, &e), -EINVAL);
	CHECK(strstr(e.msg, "public key") != NULL);
	CHECK(sig == NULL);
}

TEST(private_key_forms)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct sw_error e = { { 0 } };
	struct sw_pubkey *key = NULL;
	char *sig = NULL, *pem, both[4096];
	FILE *f;

	CHECK(pkey != NULL);
	if (!pkey)
		return;
	CHECK_INT(write_key(pkey, FORM_PUB, tpath("forms.pub")), 0);
	CHECK_INT(write_key(pkey, FORM_TRADITIONAL, tpath("sec1.key")), 0);
	CHECK_INT(write_key(pkey, FORM_ENCRYPTED, tpath("enc.key")), 0);
	EVP_PKEY_free(pkey);
	key = load_pub(tpath("forms.pub"));
	CHECK(key != NULL);

	/* SEC1 "EC PRIVATE KEY", alone or after "EC PARAMETERS" (openssl ecparam -genkey) */
	CHECK_INT(crypto_sign(tpath("sec1.key"), msg, MSG_LEN, &sig, &e), 0);
	if (key && sig)
		CHECK_INT(verify_text(key, msg, MSG_LEN, sig), 0);
	free(sig);
	sig = NULL;
	pem = read_text(tpath("sec1.key"));
	snprintf(both, sizeof(both),
		 "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
		 "-----END EC PARAMETERS-----\n%s",
		 pem ? pem : "");
	CHECK_INT(write_file(tpath("params.key"), both, strlen(both)), 0);
	CHECK_INT(crypto_sign(tpath("params.key"), msg, MSG_LEN, &sig, &e), 0);
	if (key && sig)
		CHECK_INT(verify_text(key, msg, MSG_LEN, sig), 0);
	free(sig);
	sig = NULL;

	/* encrypted PKCS#8 and traditional encrypted PEM */
	CHECK_INT(crypto_sign(tpath("enc.key"), msg, MSG_LEN, &sig, &e), -ENOTSUP);
	CHECK(strstr(e.msg, "encrypted") != NULL);
	f = fopen(tpath("enc2.key"), "w");
	if (f) {
		fputs("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
		      "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
		      "QUJDRA==\n-----END EC PRIVATE KEY-----\n",
		      f);
		fclose(f);
	}
	CHECK_INT(crypto_sign(tpath("enc2.key"), msg, MSG_LEN, &sig, &e), -ENOTSUP);
	CHECK(strstr(e.msg, "encrypted") != NULL);
	f = fopen(tpath("cosign.key"), "w");
	if (f) {
		fputs("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nQUJDRA==\n"
		      "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
		      f);
		fclose(f);
	}
	CHECK_INT(crypto_sign(tpath("cosign.key"), msg, MSG_LEN, &sig, &e), -ENOTSUP);
	CHECK(strstr(e.msg, "encrypted") != NULL);
	CHECK(sig == NULL);
	crypto_pubkey_free(key);
}

TEST(malformed_keys)
{
	static const char *const bad[] = {
		"",
		"not a key\n",
		"-----BEGIN PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKx\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIa"
		"aPcHURoA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN FOO-----\nQUJD\n-----END FOO-----\n",
	};
	static const char cert[] = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n";
	struct sw_error e = { { 0 } };
	struct sw_pubkey *key = NULL;
	char *sig = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = crypto_pubkey_load_mem(bad[i], strlen(bad[i]), &key, &e);

		if (r != -EBADMSG)
			fprintf(stderr, "  bad[%zu]: %d %s\n", i, r, e.msg);
		CHECK_INT(r, -EBADMSG);
		CHECK(key == NULL);
	}
	CHECK_INT(crypto_pubkey_load_mem(cert, strlen(cert), &key, &e), -ENOTSUP);
	CHECK_INT(crypto_pubkey_load(tpath("does-not-exist.pub"), &key, &e), -ENOENT);
	CHECK(strstr(e.msg, "does-not-exist.pub") != NULL);
	CHECK_INT(crypto_pubkey_load(tmpdir, &key, &e), -EINVAL);
	CHECK_INT(crypto_sign(tpath("does-not-exist.key"), msg, MSG_LEN, &sig, &e), -ENOENT);
	CHECK_INT(write_file(tpath("garbage.key"), "garbage", 7), 0);
	CHECK_INT(crypto_sign(tpath("garbage.key"), msg, MSG_LEN, &sig, &e), -EBADMSG);
	CHECK(key == NULL && sig == NULL);
	crypto_pubkey_free(NULL);
}

TEST(verify_any)
{
	struct sw_pubkey *ec = load_pub_mem(openssl_ec_pub), *ed = load_pub_mem(rfc8032_pub1);
	struct sw_pubkey *ec_other = load_pub(tpath("kg.pub")),
			 *ed_other = load_pub_mem(rfc8032_pub2);
	const char *hello = "hello sealwatch\n";
	struct sw_error e = { { 0 } };
	size_t hl = strlen(hello), s1 = strlen(rfc8032_sig1), se = strlen(openssl_ec_sig);

	CHECK(ec && ed && ec_other && ed_other);
	if (ec && ed && ec_other && ed_other) {
		struct sw_pubkey *both[] = { ed, ec }, *others[] = { ed_other, ec_other };

		CHECK_INT(crypto_verify_any(both, 2, (const unsigned char *)hello, hl,
					    openssl_ec_sig, se, &e),
			  0);
		CHECK_INT(crypto_verify_any(both, 2, (const unsigned char *)"", 0, rfc8032_sig1, s1,
					    &e),
			  0);
		/* well-formed for one key's type, verifies with none: rejected */
		CHECK_INT(crypto_verify_any(others, 2, (const unsigned char *)hello, hl,
					    openssl_ec_sig, se, &e),
			  -EKEYREJECTED);
		CHECK(strstr(e.msg, "2 keys") != NULL);
		CHECK_INT(crypto_verify_any(others + 1, 1, (const unsigned char *)hello, hl,
					    openssl_ec_sig, se, &e),
			  -EKEYREJECTED);
		CHECK_INT(crypto_verify_any(both, 2, msg, MSG_LEN, "QUJD", 4, &e), -EBADMSG);
		CHECK_INT(crypto_verify_any(both, 0, msg, MSG_LEN, "QUJD", 4, &e), -ENOKEY);
	}
	crypto_pubkey_free(ec);
	crypto_pubkey_free(ed);
	crypto_pubkey_free(ec_other);
	crypto_pubkey_free(ed_other);
}

int main(void)
{
	struct sw_error e = { { 0 } };
	char cmd[600];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (crypto_keygen(SW_KEY_ED25519, tpath("kg-ed.key"), tpath("kg-ed.pub"), &e) < 0) {
		fprintf(stderr, "keygen: %s\n", e.msg);
		return 1;
	}
	RUN(key_type_names);
	RUN(keygen_writes_pkcs8_and_spki);
	RUN(roundtrip_ecdsa_p256);
	RUN(roundtrip_ed25519);
	RUN(openssl_and_rfc8032_known_answers);
	RUN(garbage_signature_text_is_ebadmsg);
	RUN(unsupported_key_types_are_enotsup);
	RUN(private_and_public_keys_not_interchangeable);
	RUN(private_key_forms);
	RUN(malformed_keys);
	RUN(verify_any);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_exit();
}

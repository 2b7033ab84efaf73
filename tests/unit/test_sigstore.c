// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Sigstore verifier's pure parts: Merkle inclusion proofs against trees
 * built here by RFC 6962's definitions, checkpoint (signed note) parsing and
 * signatures, RFC 3339 times and validity windows, DSSE PAE, and the bundle
 * and trusted-root parsers' refusals. The whole chain is exercised by the
 * conformance cases in tests/integration/test_sigstore.sh.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "bstore.h"
#include "check.h"
#include "errors.h"
#include "sigstore_internal.h"
#include "sigstore.h"

/* RFC 6962 §2.1: MTH over leaves[lo, hi) */
static void leaf_hash(unsigned i, unsigned char out[32])
{
	unsigned char buf[5] = { 0, (unsigned char)i, (unsigned char)(i >> 8), 0x5a, 0xa5 };

	ss_sha256(buf, sizeof(buf), out);
}

static unsigned split(unsigned n)
{
	unsigned k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void mth(unsigned lo, unsigned hi, unsigned char out[32])
{
	unsigned char buf[65];

	if (hi - lo == 1) {
		leaf_hash(lo, out);
		return;
	}
	buf[0] = 1;
	mth(lo, lo + split(hi - lo), buf + 1);
	mth(lo + split(hi - lo), hi, buf + 33);
	ss_sha256(buf, sizeof(buf), out);
}

/* RFC 6962 §2.1.1: PATH(m, D[lo:hi]), appended bottom-up */
static void path(unsigned m, unsigned lo, unsigned hi, unsigned char (*out)[32], size_t *n)
{
	unsigned k;

	if (hi - lo == 1)
		return;
	k = split(hi - lo);
	if (m < k) {
		path(m, lo, lo + k, out, n);
		mth(lo + k, hi, out[(*n)++]);
	} else {
		path(m - k, lo + k, hi, out, n);
		mth(lo, lo + k, out[(*n)++]);
	}
}

TEST(merkle_every_leaf_of_every_tree_up_to_40)
{
	int bad = 0;

	for (unsigned size = 1; size <= 40; size++) {
		unsigned char root[32], proof[16][32], leaf[32];

		mth(0, size, root);
		for (unsigned i = 0; i < size; i++) {
			size_t n = 0;

			path(i, 0, size, proof, &n);
			leaf_hash(i, leaf);
			if (ss_merkle_verify(i, size, leaf, (const unsigned char(*)[32])proof, n,
					     root)) {
				fprintf(stderr, "  valid proof refused: leaf %u of %u\n", i, size);
				bad++;
			}
			/* the same proof for another index or leaf must fail */
			if (size > 1 &&
			    !ss_merkle_verify((i + 1) % size, size, leaf,
					      (const unsigned char(*)[32])proof, n, root))
				bad++;
			/* one hash too many */
			memset(proof[n], 0x11, 32);
			if (!ss_merkle_verify(i, size, leaf, (const unsigned char(*)[32])proof,
					      n + 1, root))
				bad++;
			leaf[0] ^= 1;
			if (!ss_merkle_verify(i, size, leaf, (const unsigned char(*)[32])proof, n,
					      root))
				bad++;
			leaf[0] ^= 1;
			if (n) {
				proof[n - 1][31] ^= 0x80;
				if (!ss_merkle_verify(i, size, leaf,
						      (const unsigned char(*)[32])proof, n, root))
					bad++;
				/* a proof one hash short */
				if (!ss_merkle_verify(i, size, leaf,
						      (const unsigned char(*)[32])proof, n - 1,
						      root))
					bad++;
			}
		}
	}
	CHECK_INT(bad, 0);
}

TEST(merkle_refuses_bad_indices)
{
	unsigned char h[32] = { 0 };

	CHECK(ss_merkle_verify(0, 0, h, NULL, 0, h) < 0);
	CHECK(ss_merkle_verify(1, 1, h, NULL, 0, h) < 0);
	CHECK(ss_merkle_verify(-1, 4, h, NULL, 0, h) < 0);
	CHECK(ss_merkle_verify(0, 1, h, NULL, 0, h) == 0);
}

static const char note_text[] = "example.org/log\n42\n"
				"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

TEST(checkpoint_parses_origin_size_root)
{
	struct ss_checkpoint cp;
	char note[512];
	size_t text_len;

	snprintf(note, sizeof(note), "%s\n\xe2\x80\x94 example.org/log AAAAAAAA\n", note_text);
	CHECK_INT(ss_checkpoint_parse(note, &cp, &text_len), 0);
	CHECK_STR(cp.origin, "example.org/log");
	CHECK_INT(cp.size, 42);
	CHECK_INT(cp.root_hash[31], 31);
	CHECK_INT(text_len, strlen(note_text));
}

TEST(checkpoint_refuses_malformed_bodies)
{
	static const char *bad[] = {
		"example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", /* no blank */
		"42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n", /* no origin */
		"o\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n", /* no size */
		"o\n42\n\n", /* no root */
		"o\n-42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
		"o\n042\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
		"o\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n\n", /* 31 bytes */
		"\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
		"o\n99999999999999999999\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
	};
	struct ss_checkpoint cp;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ss_checkpoint_parse(bad[i], &cp, &len) == 0) {
			fprintf(stderr, "  accepted bad checkpoint %zu\n", i);
			check_current_failed = 1;
		}
}

/* Sign a note with a fresh Ed25519 key: only the log key's hint and signature count. */
TEST(checkpoint_signature_by_the_log_key)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
		 *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct ss_log_key key = { .pkey = pk, .id = { 1, 2, 3, 4 }, .id_len = 32 };
	unsigned char sig[4 + 64];
	size_t sig_len = 64;
	char *b64, note[1024];
	struct sw_error e;
	struct ss_checkpoint cp;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	CHECK(pk && other && ctx);
	memcpy(sig, key.id, 4);
	CHECK(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) == 1);
	CHECK(EVP_DigestSign(ctx, sig + 4, &sig_len, (const unsigned char *)note_text,
			     strlen(note_text)) == 1);
	CHECK(base64_encode(sig, sizeof(sig), &b64) == 0);

	snprintf(note, sizeof(note), "%s\n\xe2\x80\x94 witness AAAAAAAA\n\xe2\x80\x94 log %s\n",
		 note_text, b64);
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), 0);
	snprintf(note, sizeof(note), "%s\n\xe2\x80\x94 log %s\n", note_text, b64);
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), 0);
	/* another hint */
	key.id[0] = 9;
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), -EKEYREJECTED);
	key.id[0] = 1;
	/* another key */
	key.pkey = other;
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), -EKEYREJECTED);
	key.pkey = pk;
	/* the text changed */
	note[strlen("example.org/log\n4")] = '3';
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), -EKEYREJECTED);
	/* no signature line, or a line without the em dash */
	snprintf(note, sizeof(note), "%s\n", note_text);
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), -EKEYREJECTED);
	snprintf(note, sizeof(note), "%s\n- log %s\n", note_text, b64);
	CHECK_INT(ss_checkpoint_verify(note, &key, &cp, &e), -EKEYREJECTED);
	free(b64);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
}

TEST(rfc3339_and_windows)
{
	struct ss_window w = { 0 };
	int64_t ms;

	CHECK_INT(ss_parse_rfc3339_ms("2022-12-31T23:59:59.999Z", &ms), 0);
	CHECK_INT(ms, 1672531199999LL);
	CHECK_INT(ss_parse_rfc3339_ms("2021-01-12T11:53:27Z", &ms), 0);
	CHECK_INT(ms, 1610452407000LL);
	CHECK_INT(ss_parse_rfc3339_ms("2021-01-12T12:53:27+01:00", &ms), 0);
	CHECK_INT(ms, 1610452407000LL);
	CHECK(ss_parse_rfc3339_ms("2021-01-12 11:53:27Z", &ms) < 0);
	CHECK(ss_parse_rfc3339_ms("2021-01-12T11:53:27", &ms) < 0);
	CHECK(ss_parse_rfc3339_ms("2021-13-12T11:53:27Z", &ms) < 0);
	CHECK(ss_parse_rfc3339_ms("2021-01-12T11:53:27.Z", &ms) < 0);

	/* no start: never valid; the end is inclusive */
	CHECK(!ss_window_contains(&w, 0));
	w.has_start = true;
	w.start_ms = 1000;
	CHECK(!ss_window_contains(&w, 999));
	CHECK(ss_window_contains(&w, 1000));
	CHECK(ss_window_contains(&w, INT64_MAX));
	w.has_end = true;
	w.end_ms = 2000;
	CHECK(ss_window_contains(&w, 2000));
	CHECK(!ss_window_contains(&w, 2001));
}

TEST(dsse_pae)
{
	unsigned char *pae;
	size_t len;

	CHECK_INT(ss_dsse_pae("http://example.com/HelloWorld", (const unsigned char *)"hello world",
			      11, &pae, &len),
		  0);
	CHECK_INT(len, strlen("DSSEv1 29 http://example.com/HelloWorld 11 hello world"));
	CHECK(!memcmp(pae, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", len));
	free(pae);
}

TEST(intoto_subject)
{
	static const char st[] =
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\","
		"\"digest\":{\"sha256\":\"A0CFC71271D6E278E57CD332FF957C3F7043FDDA354C4CBB190A30D56E"
		"FA01BF\"}}],\"predicateType\":\"x\",\"predicate\":{}}";
	unsigned char d[32];
	struct sw_error e;

	ss_sha256("hello, world!\n", 0, d); /* any digest but the subject's */
	CHECK_INT(ss_intoto_subject_matches((const unsigned char *)st, strlen(st), d, &e),
		  -EKEYREJECTED);
	for (int i = 0; i < 32; i++) {
		static const char hex[] =
			"a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		d[i] = (unsigned char)v;
	}
	CHECK_INT(ss_intoto_subject_matches((const unsigned char *)st, strlen(st), d, &e), 0);
	CHECK_INT(ss_intoto_subject_matches((const unsigned char *)"{\"_type\":\"x\"}", 13, d, &e),
		  -EKEYREJECTED);
}

static int parse_bundle(const char *json)
{
	struct sigstore_bundle *b = NULL;
	struct sw_error e = { { 0 } };
	int r = sigstore_bundle_parse(json, strlen(json), &b, &e);

	CHECK((r == 0) == (b != NULL));
	CHECK(r == 0 || e.msg[0]);
	sigstore_bundle_free(b);
	return r;
}

TEST(bundle_refusals)
{
	CHECK_INT(parse_bundle("[]"), -EBADMSG);
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;"
			       "version=0.4\"}"),
		  -ENOTSUP);
	/* no material, two kinds of material, an empty chain */
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			       "\"verificationMaterial\":{}}"),
		  -EBADMSG);
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			       "\"verificationMaterial\":{\"publicKey\":{},\"certificate\":{}}}"),
		  -EBADMSG);
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;"
			       "version=0.1\",\"verificationMaterial\":{\"x509CertificateChain\":"
			       "{\"certificates\":[]}}}"),
		  -EBADMSG);
	/* a key, but no content; then two signatures in a DSSE envelope */
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			       "\"verificationMaterial\":{\"publicKey\":{}}}"),
		  -EBADMSG);
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			       "\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{"
			       "\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":["
			       "{\"sig\":\"AA==\"},{\"sig\":\"AA==\"}]}}"),
		  -EBADMSG);
	CHECK_INT(parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			       "\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{"
			       "\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":["
			       "{\"sig\":\"AA==\"}]}}"),
		  0);
	/* a negative log index */
	CHECK_INT(
		parse_bundle("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			     "\"verificationMaterial\":{\"publicKey\":{},\"tlogEntries\":[{"
			     "\"logIndex\":\"-1\"}]},\"messageSignature\":{\"signature\":\"AA==\"}"
			     "}"),
		-EBADMSG);
}

TEST(trusted_root_refusals)
{
	struct sigstore_trusted_root *root = NULL;
	struct sw_error e;
	const char *ok = "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;"
			 "version=0.1\"}";
	const char *bad_mt = "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;"
			     "version=9\"}";
	const char *bad_time = "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;"
			       "version=0.1\",\"certificateAuthorities\":[{\"certChain\":{"
			       "\"certificates\":[]}}]}";

	CHECK_INT(sigstore_trusted_root_parse(ok, strlen(ok), &root, &e), 0);
	CHECK(root && !root->n_tlogs && !root->n_cas);
	sigstore_trusted_root_free(root);
	CHECK_INT(sigstore_trusted_root_parse(bad_mt, strlen(bad_mt), &root, &e), -EBADMSG);
	CHECK(!root);
	CHECK_INT(sigstore_trusted_root_parse(bad_time, strlen(bad_time), &root, &e), -EBADMSG);
	CHECK(!root);
}

TEST(check_names)
{
	char name[32];

	sigstore_check_name("tlog: the inclusion proof does not lead to the root hash", name,
			    sizeof(name));
	CHECK_STR(name, "tlog");
	sigstore_check_name("identity: the certificate is for 'x'", name, sizeof(name));
	CHECK_STR(name, "identity");
	sigstore_check_name("no check named here: x", name, sizeof(name));
	CHECK_STR(name, "bundle");
}

/*
 * A baseline store entry verified keyless: the conformance artifact a.txt as
 * NAME.jsonl with its bundle beside it (it verifies, then fails to parse as a
 * baseline: proof that verification passed), with a wrong identity, and with
 * no identity at all (refused before anything is read).
 */
TEST(bstore_keyless_decisions)
{
	static const char conf[] = "tests/conformance/sigstore";
	struct sigstore_policy good = {
		.identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-"
			    "oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@"
			    "refs/heads/main",
		.issuer = "https://token.actions.githubusercontent.com",
	};
	struct sigstore_policy bad = { .identity = "https://github.com/evil/x",
				       .issuer = good.issuer };
	struct sigstore_trusted_root *root = NULL;
	struct bstore_keyless kl = { 0 };
	struct sw_baseline *b = NULL;
	struct sw_error e = { { 0 } };
	char dir[] = "/tmp/sw-unit-sigstore.XXXXXX", path[256], cmd[1024], check[32];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/x.jsonl", dir);
	snprintf(cmd, sizeof(cmd),
		 "cp %s/a.txt %s && cp %s/cases/happy-path-v0.3/bundle.sigstore.json "
		 "%s.sigstore.json",
		 conf, path, conf, path);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "%s/trusted_root.production.json", conf);
	CHECK_INT(sigstore_trusted_root_load(cmd, &root, &e), 0);
	kl.root = root;

	kl.identities = &good;
	kl.n_identities = 0;
	CHECK_INT(baseline_load_verified_ex(path, NULL, NULL, NULL, 0, &kl, &b, &e), -ENOKEY);
	kl.n_identities = 1;
	CHECK_INT(baseline_load_verified_ex(path, NULL, NULL, NULL, 0, &kl, &b, &e), -EBADMSG);
	CHECK(!bstore_refusal_check(e.msg, check, sizeof(check)));
	kl.identities = &bad;
	CHECK_INT(baseline_load_verified_ex(path, NULL, NULL, NULL, 0, &kl, &b, &e), -EKEYREJECTED);
	CHECK(bstore_refusal_check(e.msg, check, sizeof(check)));
	CHECK_STR(check, "identity");
	/* no bundle and no key: missing */
	snprintf(cmd, sizeof(cmd), "%s.sigstore.json", path);
	unlink(cmd);
	kl.identities = &good;
	CHECK_INT(baseline_load_verified_ex(path, NULL, NULL, NULL, 0, &kl, &b, &e), -ENOKEY);
	CHECK(b == NULL);
	unlink(path);
	rmdir(dir);
	sigstore_trusted_root_free(root);
}

TEST(identity_image_patterns)
{
	static const char *const a[] = { "registry.example/team-a/*" };
	static const char *const lib[] = { "docker.io/library/nginx:*", "quay.io/x/y@sha256:*" };
	struct sigstore_policy p[3] = {
		{ .issuer = "i", .identity = "a", .images = a, .n_images = 1 },
		{ .issuer = "i", .identity = "b", .images = lib, .n_images = 2 },
		{ .issuer = "i", .identity = "c" }, /* any image */
	};
	char pats[128];

	CHECK(sigstore_policy_allows_image(&p[0], "registry.example/team-a/app:1"));
	/* '*' does not cross '/' */
	CHECK(!sigstore_policy_allows_image(&p[0], "registry.example/team-a/sub/app:1"));
	CHECK(!sigstore_policy_allows_image(&p[0], "registry.example/team-b/app:1"));
	CHECK(!sigstore_policy_allows_image(&p[0], "registry.example/team-ab/app:1"));
	CHECK(!sigstore_policy_allows_image(&p[0], "evil.example/registry.example/team-a/app:1"));
	CHECK(!sigstore_policy_allows_image(&p[0], NULL)); /* no name: no pattern matches */
	/* names are normalized before matching */
	CHECK(sigstore_policy_allows_image(&p[1], "nginx:1.25"));
	CHECK(sigstore_policy_allows_image(&p[1], "index.docker.io/library/nginx:1.25"));
	CHECK(!sigstore_policy_allows_image(&p[1], "nginx/nginx:1.25"));
	CHECK(sigstore_policy_allows_image(&p[2], NULL));
	CHECK(sigstore_policy_allows_image(&p[2], "anything.example/x:1"));
	/* only the policies that accepted the bundle count */
	CHECK(!sigstore_policies_allow_image(p, 3, 1u << 0, "nginx:1"));
	CHECK(sigstore_policies_allow_image(p, 3, (1u << 0) | (1u << 1), "nginx:1"));
	CHECK(sigstore_policies_allow_image(p, 3, 1u << 2, "nginx:1"));
	CHECK(!sigstore_policies_allow_image(p, 3, 0, "nginx:1"));
	sigstore_policies_images(p, 3, 3, pats, sizeof(pats));
	CHECK_STR(pats,
		  "registry.example/team-a/*, docker.io/library/nginx:*, quay.io/x/y@sha256:*");
}

int main(void)
{
	RUN(merkle_every_leaf_of_every_tree_up_to_40);
	RUN(merkle_refuses_bad_indices);
	RUN(checkpoint_parses_origin_size_root);
	RUN(checkpoint_refuses_malformed_bodies);
	RUN(checkpoint_signature_by_the_log_key);
	RUN(rfc3339_and_windows);
	RUN(dsse_pae);
	RUN(intoto_subject);
	RUN(bundle_refusals);
	RUN(trusted_root_refusals);
	RUN(check_names);
	RUN(bstore_keyless_decisions);
	RUN(identity_image_patterns);
	return check_exit();
}

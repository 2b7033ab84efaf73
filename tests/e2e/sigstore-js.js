// SPDX-License-Identifier: GPL-2.0-only
// Keyless signing and verification with sigstore-js against its mock services
// (@sigstore/mock: Fulcio, CT log, Rekor, TSA; in-process, no network), for
// tests/integration/test_sigstore_js.sh. Run with NODE_PATH at a node_modules
// holding @sigstore/{mock,sign,verify,bundle,protobuf-specs}.
//
//   node sigstore-js.js sign FILE OUTDIR IDENTITY ISSUER
//       writes OUTDIR/{message,dsse,other}.sigstore.json and OUTDIR/trusted_root.json
//       (other: a message signature by IDENTITY/other, same CA and logs)
//   node sigstore-js.js sign-dir DIR IDENTITY ISSUER
//       signs every DIR/*.jsonl into DIR/NAME.jsonl.sigstore.json (one CA and log),
//       writes DIR.trusted_root.json (bench/sigstore.sh); a DIR/NAME.jsonl.identity
//       file names another signer identity for that one (tests/integration/test_registry.sh)
//   node sigstore-js.js verify BUNDLE FILE TRUSTED_ROOT IDENTITY ISSUER
//       prints "verified" (exit 0) or "refused: …" (exit 1)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const mock = require('@sigstore/mock');
const { mock: intercept } = require('@sigstore/mock/dist/mock');
const sign = require('@sigstore/sign');
const verify = require('@sigstore/verify');
const { bundleToJSON, bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const FULCIO = 'https://fulcio.mock.test';
const REKOR = 'https://rekor.mock.test';
const TSA = 'https://tsa.mock.test';

const b64 = (buf) => Buffer.from(buf).toString('base64');
const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const spki = (keyPair) => keyPair.publicKey.export({ format: 'der', type: 'spki' });
const ecKeyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const window = { start: new Date(Date.now() - 3600e3).toISOString() };

async function signAll(file, outdir, identity, issuer, dir) {
	const caKeys = ecKeyPair(), ctKeys = ecKeyPair(), tlogKeys = ecKeyPair(), tsaKeys = ecKeyPair();
	const ctlog = await mock.initializeCTLog(ctKeys);
	const ca = await mock.initializeCA(caKeys, ctlog);
	const tlog = await mock.initializeTLog(REKOR, tlogKeys);
	const tsa = await mock.initializeTSA(tsaKeys);
	// unsigned OIDC token: the mock Fulcio reads its claims, as a real one would after checking it
	const token = (sub) => `${b64url({ alg: 'none' })}.${b64url({ iss: issuer, sub, aud: 'sigstore' })}.`;
	const witnesses = () => [new sign.RekorWitness({ rekorBaseURL: REKOR }), new sign.TSAWitness({ tsaBaseURL: TSA })];
	const signer = (sub) => new sign.FulcioSigner({ fulcioBaseURL: FULCIO,
		identityProvider: { getToken: async () => token(sub) } });
	const bundles = {};
	const jobs = dir ? fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).map((n) => [n, path.join(dir, n)])
		: ['message', 'dsse', 'other'].map((k) => [k, file]);
	for (const [kind, input] of jobs) {
		const data = fs.readFileSync(input);
		const idFile = `${input}.identity`;
		const sub = dir && fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim()
			: kind === 'other' ? `${identity}/other` : identity;
		for (let i = 0; i < 3; i++) {
			// one request per mock interceptor
			intercept(FULCIO, mock.fulcioHandler(ca, { strict: true }));
			intercept(REKOR, mock.rekorHandler(tlog));
			intercept(TSA, mock.tsaHandler(tsa));
		}
		const builder = kind !== 'dsse'
			? new sign.MessageSignatureBundleBuilder({ signer: signer(sub), witnesses: witnesses() })
			: new sign.DSSEBundleBuilder({ signer: signer(sub), witnesses: witnesses() });
		const artifact = kind !== 'dsse' ? { data } : {
			data: Buffer.from(JSON.stringify({
				_type: 'https://in-toto.io/Statement/v1',
				subject: [{ name: path.basename(file), digest: { sha256: crypto.createHash('sha256').update(data).digest('hex') } }],
				predicateType: 'https://sealwatch.dev/baseline/v1',
				predicate: {},
			})),
			type: 'application/vnd.in-toto+json',
		};
		bundles[kind] = bundleToJSON(await builder.create(artifact));
	}
	const root = {
		mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
		tlogs: [{ baseUrl: REKOR, hashAlgorithm: 'SHA2_256',
			publicKey: { rawBytes: b64(spki(tlogKeys)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: window },
			logId: { keyId: b64(crypto.createHash('sha256').update(spki(tlogKeys)).digest()) } }],
		certificateAuthorities: [{ subject: { organization: 'mock', commonName: 'mock' }, uri: FULCIO,
			certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: window }],
		ctlogs: [{ baseUrl: 'https://ctlog.mock.test', hashAlgorithm: 'SHA2_256',
			publicKey: { rawBytes: b64(spki(ctKeys)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: window },
			logId: { keyId: b64(ctlog.logID) } }],
		timestampAuthorities: [{ subject: { organization: 'mock', commonName: 'mock-tsa' }, uri: TSA,
			certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
			validFor: window }],
	};
	if (dir) {
		for (const name of Object.keys(bundles))
			fs.writeFileSync(path.join(dir, `${name}.sigstore.json`), JSON.stringify(bundles[name]));
		fs.writeFileSync(`${dir.replace(/\/$/, '')}.trusted_root.json`, JSON.stringify(root, null, 1));
		return;
	}
	fs.mkdirSync(outdir, { recursive: true });
	for (const kind of Object.keys(bundles))
		fs.writeFileSync(path.join(outdir, `${kind}.sigstore.json`), JSON.stringify(bundles[kind]));
	fs.writeFileSync(path.join(outdir, 'trusted_root.json'), JSON.stringify(root, null, 1));
}

function verifyOne(bundlePath, file, rootPath, identity, issuer) {
	try {
		const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath)));
		const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath)));
		const verifier = new verify.Verifier(verify.toTrustMaterial(root));
		const data = bundle.content.$case === 'dsseEnvelope' ? undefined : fs.readFileSync(file);
		// sigstore-js takes the identity as an unanchored JavaScript regex ("ID"
		// also accepts "ID/other"): anchor and escape it for the exact match
		// sealwatch's --certificate-identity means
		const exact = `^${identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
		verifier.verify(verify.toSignedEntity(bundle, data),
			{ subjectAlternativeName: exact, extensions: { issuer } });
		if (bundle.content.$case === 'dsseEnvelope') {
			// sigstore-js checks the envelope; the statement's subject is ours to check
			const st = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString());
			const want = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
			if (!(st.subject || []).some((s) => s.digest && s.digest.sha256 === want))
				throw new Error('no subject with the artifact digest');
		}
		console.log('verified');
		return 0;
	} catch (e) {
		console.log(`refused: ${e.message}`);
		return 1;
	}
}

async function main() {
	const [cmd, ...args] = process.argv.slice(2);
	if (cmd === 'sign' && args.length === 4)
		return signAll(...args).then(() => 0);
	if (cmd === 'sign-dir' && args.length === 3)
		return signAll(null, null, args[1], args[2], args[0]).then(() => 0);
	if (cmd === 'verify' && args.length === 5)
		return verifyOne(...args);
	console.error('usage: sigstore-js.js sign FILE OUTDIR ID ISSUER | verify BUNDLE FILE ROOT ID ISSUER');
	return 2;
}
main().then((code) => process.exit(code), (e) => { console.error(e.stack || e); process.exit(3); });

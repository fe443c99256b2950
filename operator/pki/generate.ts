/**
 * The SelfSigned CA: a root and an intermediate signing CA for istiod's plug-in CA, and a
 * new intermediate under the same root when the old one nears expiry. Pure apart from
 * randomness: no Kubernetes, no clock (the caller passes `now`).
 *
 * Two levels, not one: istiod signs with the intermediate, so the root key can stay out of
 * `cacerts` (see secret-layout.ts) and the intermediate can be rotated without changing
 * the trust anchor every workload already holds.
 */
import { createPrivateKey, X509Certificate as NodeCertificate, webcrypto } from "node:crypto";
import { certificatePem, issueCaCertificate } from "./ca-certificate.ts";
import { generateKeyPair, importSigningKey, privateKeyPem, type KeyAlgorithm } from "./keys.ts";
import type { CacertsData, RootCa } from "./secret-layout.ts";
import { x509 } from "./x509-library.ts";

export interface GenerateCaOptions {
  organization: string;
  rootValidityMs: number;
  intermediateValidityMs: number;
  keyAlgorithm: KeyAlgorithm;
  now: Date;
}

export type RenewIntermediateOptions = Omit<GenerateCaOptions, "rootValidityMs">;

export interface CaBundle {
  /** Exactly the four keys of Istio's `cacerts` Secret. Holds no root key. */
  cacerts: CacertsData;
  /** The root's private key (PKCS#8 PEM): for `meshkeeper-root-ca` only, never logged. */
  rootKey: string;
  rootNotAfter: Date;
  intermediateNotAfter: Date;
}

/**
 * Certificates start a little in the past so that istiod, sidecars and other clusters
 * whose clocks run slightly behind the operator's do not see a CA that is not valid yet.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

const ROOT_CN = "Meshkeeper Root CA";
const INTERMEDIATE_CN = "Meshkeeper Intermediate CA";

function subject(organization: string, commonName: string): x509.Name {
  // JSON form, not "O=...": an organization with commas or '=' needs no escaping.
  return new x509.Name([{ O: [organization] }, { CN: [commonName] }]);
}

/** X.509 times have whole seconds; rounding here keeps returned dates equal to the certs'. */
function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds`);
  }
}

async function keyIdentifier(publicKey: webcrypto.CryptoKey): Promise<string> {
  return (await x509.SubjectKeyIdentifierExtension.create(publicKey)).keyId;
}

interface Issuer {
  name: x509.Name;
  keyId: string;
  privateKey: webcrypto.CryptoKey;
  algorithm: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
}

async function issueIntermediate(issuer: Issuer, options: RenewIntermediateOptions) {
  requirePositive("intermediateValidityMs", options.intermediateValidityMs);
  const now = options.now.getTime();
  // Never valid outside the root: a verifier would reject the part that sticks out.
  const notBefore = wholeSeconds(Math.max(now - CLOCK_SKEW_MS, issuer.notBefore.getTime()));
  const notAfter = wholeSeconds(
    Math.min(now + options.intermediateValidityMs, issuer.notAfter.getTime()),
  );
  if (notAfter.getTime() <= now) {
    throw new Error("the root CA has expired; a new intermediate under it would not be valid");
  }
  const keys = await generateKeyPair(options.keyAlgorithm);
  const certificate = await issueCaCertificate({
    subject: subject(options.organization, INTERMEDIATE_CN),
    publicKey: keys.publicKey,
    issuer: { name: issuer.name, keyId: issuer.keyId, privateKey: issuer.privateKey },
    issuerAlgorithm: issuer.algorithm,
    pathLength: 0,
    notBefore,
    notAfter,
  });
  return { certPem: certificatePem(certificate), keyPem: privateKeyPem(keys.privateKey), notAfter };
}

type IssuedIntermediate = Awaited<ReturnType<typeof issueIntermediate>>;

function bundle(root: RootCa, rootNotAfter: Date, intermediate: IssuedIntermediate): CaBundle {
  return {
    cacerts: {
      "ca-cert.pem": intermediate.certPem,
      "ca-key.pem": intermediate.keyPem,
      "root-cert.pem": root.certPem,
      "cert-chain.pem": intermediate.certPem + root.certPem,
    },
    rootKey: root.keyPem,
    rootNotAfter,
    intermediateNotAfter: intermediate.notAfter,
  };
}

/** A new root and intermediate. Only for a mesh with no CA yet: a new root is a new mesh. */
export async function generateCa(options: GenerateCaOptions): Promise<CaBundle> {
  requirePositive("rootValidityMs", options.rootValidityMs);
  const now = options.now.getTime();
  const notBefore = wholeSeconds(now - CLOCK_SKEW_MS);
  const notAfter = wholeSeconds(now + options.rootValidityMs);
  const keys = await generateKeyPair(options.keyAlgorithm);
  const name = subject(options.organization, ROOT_CN);
  const keyId = await keyIdentifier(keys.publicKey);
  const self = { name, keyId, privateKey: keys.privateKey, algorithm: options.keyAlgorithm };
  const root = await issueCaCertificate({
    subject: name,
    publicKey: keys.publicKey,
    issuer: self,
    issuerAlgorithm: options.keyAlgorithm,
    pathLength: 1,
    notBefore,
    notAfter,
  });
  const intermediate = await issueIntermediate({ ...self, notBefore, notAfter }, options);
  const rootCa = { certPem: certificatePem(root), keyPem: privateKeyPem(keys.privateKey) };
  return bundle(rootCa, notAfter, intermediate);
}

function importRootKey(pem: string): ReturnType<typeof importSigningKey> {
  try {
    return importSigningKey(pem);
  } catch (error) {
    // WebCrypto checks the key's consistency on import; its message names no key bytes.
    throw new Error("the root private key is damaged or of an unsupported type", { cause: error });
  }
}

/**
 * A new intermediate (new key, new serial) under the existing root: workloads keep trusting
 * the same root, so istiod can roll onto it without a trust break. The intermediate's key
 * algorithm follows options; the signature algorithm follows the root's key.
 */
export async function renewIntermediate(
  root: RootCa,
  options: RenewIntermediateOptions,
): Promise<CaBundle> {
  const nodeRoot = new NodeCertificate(root.certPem);
  if (!nodeRoot.checkPrivateKey(createPrivateKey(root.keyPem))) {
    throw new Error("the root private key does not belong to the root certificate");
  }
  const rootCertificate = new x509.X509Certificate(root.certPem);
  const signing = importRootKey(root.keyPem);
  const identifier = rootCertificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const issuer: Issuer = {
    name: rootCertificate.subjectName,
    // Reuse the root's own identifier so the intermediate's AKI matches it byte for byte.
    keyId:
      identifier?.keyId ??
      (await x509.SubjectKeyIdentifierExtension.create(rootCertificate.publicKey)).keyId,
    privateKey: signing.key,
    algorithm: signing.algorithm,
    notBefore: rootCertificate.notBefore,
    notAfter: rootCertificate.notAfter,
  };
  const intermediate = await issueIntermediate(issuer, options);
  // checkPrivateKey compares public halves only; a damaged private half would sign garbage.
  // Never hand istiod a chain that does not verify.
  if (!new NodeCertificate(intermediate.certPem).verify(nodeRoot.publicKey)) {
    throw new Error("the root private key is damaged: the new intermediate does not verify");
  }
  return bundle(root, rootCertificate.notAfter, intermediate);
}

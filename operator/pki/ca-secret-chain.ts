/**
 * The cryptographic checks of a bring-your-own CA: the key belongs to the signing
 * certificate, every certificate that signs is a CA, and cert-chain.pem leads from
 * ca-cert.pem to a self-signed root in root-cert.pem, link by link (names, key
 * identifiers, signatures, path lengths). This is what istiod relies on when it hands out
 * cert-chain.pem to workloads, so a break here is a mesh-wide mTLS outage later.
 */
import { sign, verify, type KeyObject, type X509Certificate as NodeCertificate } from "node:crypto";
import type { Certificate, ParsedCaSecret } from "./ca-secret-parse.ts";
import { failure, type CaSecretFailure } from "./ca-secret-result.ts";
import { CA_CERT, CA_KEY, CERT_CHAIN, ROOT_CERT } from "./secret-layout.ts";

/** The certificates from ca-cert.pem up to and including the root. */
export type CertificationPath = Certificate[];

/** openssl's check: issuer/subject names, key identifiers, then the signature itself. */
function issued(child: Certificate, parent: Certificate): boolean {
  return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
}

/**
 * Comparing public keys (checkPrivateKey) is not enough: a PKCS#8 or SEC1 key carries its
 * own copy of the public key, so a damaged private half would still "match". Signing with
 * the key and verifying with the certificate proves the pair works.
 */
function signsForCertificate(key: KeyObject, certificate: NodeCertificate): boolean {
  const probe = Buffer.from("meshkeeper key check");
  const type = key.asymmetricKeyType;
  const digest = type === "ed25519" || type === "ed448" ? null : "sha256";
  try {
    return verify(digest, probe, certificate.publicKey, sign(digest, probe, key));
  } catch {
    return false;
  }
}

export function checkKeyMatches(secret: ParsedCaSecret): CaSecretFailure | undefined {
  const { caCert, caKey } = secret;
  if (caCert.node.checkPrivateKey(caKey) && signsForCertificate(caKey, caCert.node)) {
    return undefined;
  }
  return failure("KeyMismatch", `${CA_KEY} is not the private key of ${CA_CERT}`);
}

function checkIsCa(certificate: Certificate): CaSecretFailure | undefined {
  if (!certificate.isCa) {
    return failure("NotACA", `${certificate.where} is not a CA certificate (basicConstraints CA)`);
  }
  if (!certificate.canSignCertificates) {
    return failure("NotACA", `${certificate.where} is a CA without the keyCertSign key usage`);
  }
  return undefined;
}

function findRoot(last: Certificate, roots: Certificate[]): Certificate | undefined {
  const exact = roots.find((root) => root.node.raw.equals(last.node.raw));
  if (exact) return exact;
  // A self-issued certificate at the chain's end claims to be the root: only the very
  // root of root-cert.pem may stand there, not a damaged or different copy of it (parts
  // of a certificate, like its outer signature algorithm, are outside its signature).
  if (last.node.subject === last.node.issuer) return undefined;
  return roots.find((root) => issued(last, root));
}

function checkLinks(chain: Certificate[]): CaSecretFailure | undefined {
  for (let index = 0; index + 1 < chain.length; index += 1) {
    const child = chain[index];
    const parent = chain[index + 1];
    if (child && parent && !issued(child, parent)) {
      return failure(
        "ChainInvalid",
        `${child.where} is not signed by ${parent.where}: order the chain from ${CA_CERT} up to the root`,
      );
    }
  }
  return undefined;
}

/** A CA's path length limits how many intermediates may sit below it; index = that count. */
function checkPathLengths(path: CertificationPath): CaSecretFailure | undefined {
  for (const [index, certificate] of path.entries()) {
    if (certificate.pathLength !== undefined && certificate.pathLength < index) {
      return failure(
        "ChainInvalid",
        `${certificate.where} allows ${certificate.pathLength} intermediate CA(s) below it; the chain has ${index}`,
      );
    }
  }
  return undefined;
}

function pathFrom(secret: ParsedCaSecret): CertificationPath | CaSecretFailure {
  const { caCert, chain, roots } = secret;
  if (!chain[0]?.node.raw.equals(caCert.node.raw)) {
    return failure("ChainInvalid", `${CERT_CHAIN} must start with ${CA_CERT}`);
  }
  const broken = checkLinks(chain);
  if (broken) return broken;
  const last = chain[chain.length - 1] ?? caCert;
  const root = findRoot(last, roots);
  if (!root) {
    return failure(
      "ChainInvalid",
      `${CERT_CHAIN} does not end at (or under) a certificate in ${ROOT_CERT}`,
    );
  }
  if (!issued(root, root)) {
    return failure("ChainInvalid", `${root.where} is not a self-signed root certificate`);
  }
  // The chain as istiod serves it, plus the root when the chain stops just below it.
  const path = root.node.raw.equals(last.node.raw) ? [...chain] : [...chain, root];
  path[0] = caCert; // same bytes; keeps "ca-cert.pem" in messages
  return path;
}

/** Every CA check in order; the first failure wins, or the verified path. */
export function checkChain(secret: ParsedCaSecret): CertificationPath | CaSecretFailure {
  const caProblem = checkIsCa(secret.caCert);
  if (caProblem) return caProblem;
  const path = pathFrom(secret);
  if (!Array.isArray(path)) return path;
  for (const certificate of path) {
    const problem = checkIsCa(certificate);
    if (problem) return problem;
  }
  return checkPathLengths(path) ?? path;
}

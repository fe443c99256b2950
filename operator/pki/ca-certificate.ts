/**
 * One CA certificate (root or intermediate) with the extensions RFC 5280 asks of a CA and
 * that istiod, Go's x509 and openssl check.
 */
import { randomBytes, webcrypto } from "node:crypto";
import { x509 } from "./x509-library.ts";
import { signingAlgorithm, type KeyAlgorithm } from "./keys.ts";

export interface CaCertificateRequest {
  subject: x509.Name;
  /** The subject's public key, i.e. the key the certificate certifies. */
  publicKey: webcrypto.CryptoKey;
  /**
   * Who signs: the root itself for the root, the root for an intermediate. keyId is the
   * issuer's subject key identifier (hex), copied into the authority key identifier.
   */
  issuer: { name: x509.Name; keyId: string; privateKey: webcrypto.CryptoKey };
  /** Algorithm of the issuer's key (it decides the signature algorithm). */
  issuerAlgorithm: KeyAlgorithm;
  /** How many CA certificates may follow this one down the chain: root 1, intermediate 0. */
  pathLength: number;
  notBefore: Date;
  notAfter: Date;
}

/**
 * A random positive 128-bit serial number, as hex. RFC 5280 allows up to 20 octets and asks
 * for unpredictability; clearing the top bit keeps the DER INTEGER positive without a pad.
 * (Random serials also mean two generations never collide, even with the same subject.)
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  // The top bit cleared; a first octet left at zero is made 1, so the serial keeps all 16
  // octets (DER drops a leading zero, and the next octet may have its top bit set).
  const first = (bytes[0] ?? 0) & 0x7f;
  bytes[0] = first === 0 ? 1 : first;
  return bytes.toString("hex");
}

/** keyCertSign and cRLSign make it a CA; digitalSignature lets it sign OCSP/protocol data. */
// (A bit-or of flags is a plain number to TypeScript; the cast names what it is.)
const CA_KEY_USAGE = (x509.KeyUsageFlags.keyCertSign |
  x509.KeyUsageFlags.cRLSign |
  x509.KeyUsageFlags.digitalSignature) as x509.KeyUsageFlags;

export async function issueCaCertificate(
  request: CaCertificateRequest,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: request.subject,
    issuer: request.issuer.name,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: request.publicKey,
    signingKey: request.issuer.privateKey,
    signingAlgorithm: signingAlgorithm(request.issuerAlgorithm),
    extensions: [
      // Critical, so a verifier that does not understand them must reject the certificate.
      new x509.BasicConstraintsExtension(true, request.pathLength, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      // Key identifiers let verifiers pick the right issuer when a root is re-issued.
      await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      new x509.AuthorityKeyIdentifierExtension(request.issuer.keyId),
    ],
  });
}

/** PEM with a trailing newline, so concatenating certificates gives a valid bundle. */
export function certificatePem(certificate: x509.X509Certificate): string {
  return `${certificate.toString("pem").trimEnd()}\n`;
}

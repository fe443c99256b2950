/**
 * Key pairs for the mesh CA: the spec's algorithm names mapped to WebCrypto, and the PEM
 * forms istiod reads.
 *
 * Keys are generated with WebCrypto (what @peculiar/x509 signs with) and converted to PEM
 * with node:crypto's KeyObject, which writes the standard 64-column PKCS#8 that istiod,
 * openssl and Go all read.
 */
import { createPrivateKey, KeyObject, webcrypto } from "node:crypto";
import type { KEY_ALGORITHMS } from "../api/certificate-authority.ts";

export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

type WebCryptoKey = webcrypto.CryptoKey;
export type WebCryptoKeyPair = webcrypto.CryptoKeyPair;

/** Key generation and signing parameters. SHA-256 everywhere: what Istio's own CA uses. */
interface AlgorithmParameters {
  generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;
  sign: webcrypto.EcdsaParams | webcrypto.AlgorithmIdentifier;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]); // 65537

function rsa(modulusLength: number): AlgorithmParameters {
  const name = "RSASSA-PKCS1-v1_5";
  return {
    generate: { name, modulusLength, publicExponent: RSA_EXPONENT, hash: "SHA-256" },
    sign: { name },
  };
}

const PARAMETERS: Record<KeyAlgorithm, AlgorithmParameters> = {
  "ECDSA-P256": {
    generate: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  },
  "RSA-2048": rsa(2048),
  "RSA-4096": rsa(4096),
};

export function signingAlgorithm(algorithm: KeyAlgorithm): AlgorithmParameters["sign"] {
  return PARAMETERS[algorithm].sign;
}

/** A fresh key pair; extractable because the private key must be written to a Secret. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<WebCryptoKeyPair> {
  return webcrypto.subtle.generateKey(PARAMETERS[algorithm].generate, true, ["sign", "verify"]);
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY"): the form Istio's plug-in CA documents for ca-key.pem. */
export function privateKeyPem(key: WebCryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }).toString();
}

/** Which spec algorithm a stored key is, so a renewal signs the way the root was made. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return "ECDSA-P256";
  if (key.asymmetricKeyType === "rsa" && details?.modulusLength === 2048) return "RSA-2048";
  if (key.asymmetricKeyType === "rsa" && details?.modulusLength === 4096) return "RSA-4096";
  throw new Error(
    `unsupported CA key: ${key.asymmetricKeyType ?? "unknown"} (expected ECDSA P-256 or RSA 2048/4096)`,
  );
}

/** A PEM private key (PKCS#8, SEC1 or PKCS#1) as a WebCrypto signing key and its algorithm. */
export function importSigningKey(pem: string): { key: WebCryptoKey; algorithm: KeyAlgorithm } {
  const keyObject = createPrivateKey(pem);
  const algorithm = keyAlgorithmOf(keyObject);
  const key = keyObject.toCryptoKey(PARAMETERS[algorithm].generate, false, ["sign"]);
  return { key, algorithm };
}

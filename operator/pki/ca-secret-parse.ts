/**
 * From a CA Secret's raw data to parsed certificates and key, with the checks that come
 * before any cryptography: presence, size, base64, PEM, block types, DER.
 */
import { createPrivateKey, KeyObject, X509Certificate as NodeCertificate } from "node:crypto";
import { failure, type CaSecretFailure } from "./ca-secret-result.ts";
import { decodePem, type PemBlock } from "./pem.ts";
import { CA_CERT, CA_KEY, CACERTS_KEYS, CERT_CHAIN, ROOT_CERT } from "./secret-layout.ts";
import type { CacertsData } from "./secret-layout.ts";
import { x509 } from "./x509-library.ts";

/** Real CA files are a few KiB; the limit bounds parsing work on hostile input. */
export const MAX_VALUE_BYTES = 64 * 1024;
const MAX_ENCODED_LENGTH = Math.ceil(MAX_VALUE_BYTES / 3) * 4;
/** Bounds signature checks while matching a chain against roots. */
export const MAX_CERTIFICATES = 16;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Certificate {
  /** Where it came from, for messages: "ca-cert.pem", "cert-chain.pem certificate 2". */
  where: string;
  node: NodeCertificate;
  isCa: boolean;
  canSignCertificates: boolean;
  pathLength: number | undefined;
}

export interface ParsedCaSecret {
  text: CacertsData;
  caCert: Certificate;
  caKey: KeyObject;
  chain: Certificate[];
  roots: Certificate[];
}

function decodeValue(key: string, value: string): string | CaSecretFailure {
  if (value.length > MAX_ENCODED_LENGTH) {
    return failure("TooLarge", `${key} is larger than ${MAX_VALUE_BYTES} bytes`);
  }
  const compact = value.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    return failure("InvalidPEM", `${key} is not base64-encoded Secret data`);
  }
  const bytes = Buffer.from(compact, "base64");
  if (bytes.length > MAX_VALUE_BYTES) {
    return failure("TooLarge", `${key} is larger than ${MAX_VALUE_BYTES} bytes`);
  }
  return bytes.toString("latin1");
}

function blocksOf(key: string, text: string): PemBlock[] | CaSecretFailure {
  const pem = decodePem(text);
  if (!pem.ok) return failure("InvalidPEM", `${key}: ${pem.problem}`);
  if (pem.blocks.length > MAX_CERTIFICATES) {
    return failure("TooLarge", `${key} holds more than ${MAX_CERTIFICATES} PEM blocks`);
  }
  return pem.blocks;
}

function certificate(where: string, der: Buffer): Certificate {
  const node = new NodeCertificate(der);
  const parsed = new x509.X509Certificate(der);
  const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
  const usage = parsed.getExtension(x509.KeyUsagesExtension);
  return {
    where,
    node,
    isCa: constraints?.ca === true,
    canSignCertificates: usage !== null && (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0,
    pathLength: constraints?.pathLength,
  };
}

function certificates(key: string, text: string): Certificate[] | CaSecretFailure {
  const blocks = blocksOf(key, text);
  if (!Array.isArray(blocks)) return blocks;
  const parsed: Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    const where = blocks.length === 1 ? key : `${key} certificate ${index + 1}`;
    if (block.label !== "CERTIFICATE") {
      return failure("InvalidPEM", `${where} is a ${block.label} block, not a CERTIFICATE`);
    }
    try {
      parsed.push(certificate(where, block.der));
    } catch {
      // The parser's own message may quote bytes of the input: never pass it on.
      return failure("InvalidPEM", `${where} is not a valid X.509 certificate`);
    }
  }
  return parsed;
}

const KEY_TYPES: Record<string, "pkcs8" | "sec1" | "pkcs1"> = {
  "PRIVATE KEY": "pkcs8",
  "EC PRIVATE KEY": "sec1",
  "RSA PRIVATE KEY": "pkcs1",
};

function privateKey(text: string): KeyObject | CaSecretFailure {
  const blocks = blocksOf(CA_KEY, text);
  if (!Array.isArray(blocks)) return blocks;
  // openssl ecparam -genkey writes an EC PARAMETERS block before the key: harmless.
  const keys = blocks.filter((block) => block.label !== "EC PARAMETERS");
  const [block] = keys;
  if (keys.length !== 1 || !block) {
    return failure("InvalidPEM", `${CA_KEY} must hold exactly one private key`);
  }
  const type = KEY_TYPES[block.label];
  if (block.label === "ENCRYPTED PRIVATE KEY" || block.hasHeaders) {
    return failure("InvalidPEM", `${CA_KEY} is encrypted; istiod needs an unencrypted key`);
  }
  if (!type) return failure("InvalidPEM", `${CA_KEY} is a ${block.label} block, not a private key`);
  try {
    return createPrivateKey({ key: block.der, format: "der", type });
  } catch {
    return failure("InvalidPEM", `${CA_KEY} is not a valid ${block.label}`);
  }
}

function isFailure(value: unknown): value is CaSecretFailure {
  return typeof value === "object" && value !== null && "ok" in value;
}

function decodeAll(data: Record<string, string>): CacertsData | CaSecretFailure {
  const missing = CACERTS_KEYS.filter((key) => !data[key]);
  if (missing.length > 0) {
    return failure("MissingKey", `the Secret has no (or an empty) ${missing.join(", ")}`);
  }
  const text: Partial<CacertsData> = {};
  for (const key of CACERTS_KEYS) {
    const decoded = decodeValue(key, data[key] ?? "");
    if (isFailure(decoded)) return decoded;
    text[key] = decoded;
  }
  return text as CacertsData;
}

export function parseCaSecret(data: Record<string, string>): ParsedCaSecret | CaSecretFailure {
  const text = decodeAll(data);
  if (isFailure(text)) return text;
  const caCerts = certificates(CA_CERT, text[CA_CERT]);
  if (isFailure(caCerts)) return caCerts;
  const [caCert] = caCerts;
  if (caCerts.length !== 1 || !caCert) {
    return failure("InvalidPEM", `${CA_CERT} must hold exactly one certificate`);
  }
  const caKey = privateKey(text[CA_KEY]);
  if (isFailure(caKey)) return caKey;
  const chain = certificates(CERT_CHAIN, text[CERT_CHAIN]);
  if (isFailure(chain)) return chain;
  const roots = certificates(ROOT_CERT, text[ROOT_CERT]);
  if (isFailure(roots)) return roots;
  return { text, caCert, caKey, chain, roots };
}

/**
 * The answer of validating a bring-your-own CA Secret. Reasons are CamelCase words for the
 * CAReady condition; messages say what is wrong and where (key name, certificate number),
 * and NEVER quote the Secret's contents: they end up in status, Events and logs.
 */

export type CaSecretReason =
  | "MissingKey" // a required key is absent or empty
  | "TooLarge" // a value exceeds the size limit (checked before parsing)
  | "InvalidPEM" // not base64, not PEM, truncated, wrong block type, unparsable DER
  | "KeyMismatch" // ca-key.pem is not the key of ca-cert.pem
  | "NotACA" // a certificate that must sign certificates is not a CA with keyCertSign
  | "ChainInvalid" // cert-chain.pem does not lead from ca-cert.pem to a root in root-cert.pem
  | "NotYetValid" // a certificate's validity starts in the future
  | "Expired" // a certificate has expired
  | "ExpiringSoon"; // a certificate expires within renewBefore

export interface CaSecretSummary {
  /** Earliest expiry among ca-cert.pem and the intermediates above it. */
  intermediateNotAfter: Date;
  /** Expiry of the root the chain ends at. */
  rootNotAfter: Date;
  /** caBundleHash of the Secret's certificates, for istiod's pod template. */
  hash: string;
}

export type CaSecretValidation =
  { ok: true; summary: CaSecretSummary } | { ok: false; reason: CaSecretReason; message: string };

export type CaSecretFailure = Extract<CaSecretValidation, { ok: false }>;

export function failure(reason: CaSecretReason, message: string): CaSecretFailure {
  return { ok: false, reason, message };
}

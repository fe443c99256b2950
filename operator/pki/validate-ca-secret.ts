/**
 * Validation of a bring-your-own CA Secret (type Secret), also usable on an existing
 * `cacerts` before adopting it. Pure: the caller passes the Secret's data (base64, as the
 * API returns it) and the time. Never throws on any input; every problem is a reason and
 * a message that quote no Secret contents (ca-secret-result.ts).
 */
import { caBundleHash } from "./bundle-hash.ts";
import { checkChain, checkKeyMatches, type CertificationPath } from "./ca-secret-chain.ts";
import { parseCaSecret } from "./ca-secret-parse.ts";
import { failure, type CaSecretFailure, type CaSecretValidation } from "./ca-secret-result.ts";
import { CLOCK_SKEW_MS } from "./generate.ts";

function checkValidity(
  path: CertificationPath,
  now: Date,
  renewBeforeMs: number,
): CaSecretFailure | undefined {
  const time = now.getTime();
  for (const { where, node } of path) {
    // The same tolerance generateCa backdates by: a CA minted "now" elsewhere is fine.
    if (node.validFromDate.getTime() > time + CLOCK_SKEW_MS) {
      return failure(
        "NotYetValid",
        `${where} is not valid before ${node.validFromDate.toISOString()}`,
      );
    }
    if (node.validToDate.getTime() <= time) {
      return failure("Expired", `${where} expired at ${node.validToDate.toISOString()}`);
    }
  }
  for (const { where, node } of path) {
    if (node.validToDate.getTime() <= time + renewBeforeMs) {
      return failure(
        "ExpiringSoon",
        `${where} expires at ${node.validToDate.toISOString()}, within renewBefore: replace the CA`,
      );
    }
  }
  return undefined;
}

function validate(
  data: Record<string, string>,
  now: Date,
  renewBeforeMs: number,
): CaSecretValidation {
  const secret = parseCaSecret(data);
  if ("ok" in secret) return secret;
  const mismatch = checkKeyMatches(secret);
  if (mismatch) return mismatch;
  const path = checkChain(secret);
  if (!Array.isArray(path)) return path;
  const expiry = checkValidity(path, now, renewBeforeMs);
  if (expiry) return expiry;
  const root = path[path.length - 1] ?? secret.caCert;
  const intermediates = path.length > 1 ? path.slice(0, -1) : path;
  const intermediateNotAfter = Math.min(
    ...intermediates.map(({ node }) => node.validToDate.getTime()),
  );
  return {
    ok: true,
    summary: {
      intermediateNotAfter: new Date(intermediateNotAfter),
      rootNotAfter: root.node.validToDate,
      hash: caBundleHash(secret.text),
    },
  };
}

export function validateCaSecret(
  data: Record<string, string>,
  now: Date,
  renewBeforeMs: number,
): CaSecretValidation {
  try {
    return validate(data, now, renewBeforeMs);
  } catch {
    // Defence in depth: a parser corner case must not crash the reconcile or leak its
    // message (which may quote input bytes) into a condition.
    return failure("InvalidPEM", "the CA Secret could not be parsed");
  }
}

/**
 * A fingerprint of the CA that istiod serves, for the istiod pod template annotation: when
 * the CA changes (rotation, a user's new Secret) the template changes and istiod rolls,
 * because istiod reads `cacerts` only at start-up.
 *
 * Only public parts go in: the private key never feeds a value that ends up in an object
 * anyone can read, and a new intermediate always comes with a new certificate anyway.
 */
import { createHash } from "node:crypto";
import { CA_CERT, CERT_CHAIN, ROOT_CERT, type CacertsData } from "./secret-layout.ts";

const HASHED = [CA_CERT, ROOT_CERT, CERT_CHAIN] as const;

export function caBundleHash(bundle: Pick<CacertsData, (typeof HASHED)[number]>): string {
  const hash = createHash("sha256");
  for (const key of HASHED) {
    // Name and NUL separators: moving bytes from one key to the next changes the hash.
    hash.update(key).update("\0").update(bundle[key]).update("\0");
  }
  return hash.digest("hex");
}

/**
 * What the CA Secrets hold, by name. Istio's plug-in CA reads exactly these keys from the
 * Secret `cacerts` in the control-plane namespace; the names are Istio's, not ours.
 *
 * The root's private key is deliberately NOT in `cacerts`: istiod signs workload
 * certificates with the intermediate key only, and every pod that mounts `cacerts` would
 * otherwise hold the key that can mint a new intermediate. The reconciler keeps it in its
 * own Secret (ROOT_CA_SECRET_NAME, same namespace, read only by the operator, never
 * logged) so that rotating the intermediate can happen under the same root.
 *
 * How the reconciler is expected to use operator/pki (it does the I/O, pki stays pure):
 * - SelfSigned, no `cacerts`: generateCa; create `meshkeeper-root-ca` (rootCaSecretData)
 *   first, then `cacerts` (bundle.cacerts), both create-if-absent, never apply: a lost
 *   race means adopt the winner's CA, not overwrite it. If `meshkeeper-root-ca` exists but
 *   `cacerts` does not (a crash between the two), renewIntermediate from that root: never
 *   a second root.
 * - existing `cacerts`: validateCaSecret(data, now, 0) to adopt it (renewBefore 0: an
 *   intermediate near expiry is a renewal to do, not a reason to reject), then
 *   expiryStatus(summary, now, renewBefore): intermediateDueForRenewal -> renewIntermediate
 *   with the root from `meshkeeper-root-ca`; rootExpiringSoon -> condition + Warning Event.
 *   No `meshkeeper-root-ca` means the operator did not create this CA: never rewrite it.
 * - type Secret: validateCaSecret(data, now, renewBefore); any failure -> CAReady=False
 *   with its reason and message, nothing written.
 * - istiod's pod template: summary.hash (or caBundleHash(bundle.cacerts)).
 */

export const CACERTS_SECRET_NAME = "cacerts";

export const CA_CERT = "ca-cert.pem"; // the intermediate (signing) certificate
export const CA_KEY = "ca-key.pem"; // the intermediate's private key, PKCS#8 PEM
export const ROOT_CERT = "root-cert.pem"; // the root certificate(s): the mesh's trust anchor
export const CERT_CHAIN = "cert-chain.pem"; // intermediate first, then up to the root

export const CACERTS_KEYS = [CA_CERT, CA_KEY, ROOT_CERT, CERT_CHAIN] as const;
export type CacertsKey = (typeof CACERTS_KEYS)[number];

/** The data of `cacerts` as PEM text (a Secret's stringData). */
export type CacertsData = Record<CacertsKey, string>;

/** The operator's own Secret with the root CA, needed only to issue new intermediates. */
export const ROOT_CA_SECRET_NAME = "meshkeeper-root-ca";
export const ROOT_CA_CERT = "root-cert.pem";
export const ROOT_CA_KEY = "root-key.pem";

export interface RootCa {
  certPem: string;
  keyPem: string;
}

/** The data of `meshkeeper-root-ca` as PEM text (a Secret's stringData). */
export function rootCaSecretData(root: RootCa): Record<string, string> {
  return { [ROOT_CA_CERT]: root.certPem, [ROOT_CA_KEY]: root.keyPem };
}

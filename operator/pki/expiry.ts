/**
 * When the CA needs attention. The two answers differ on purpose: an intermediate due for
 * renewal is renewed by the operator (same root, istiod rolls); a root expiring soon is
 * only reported (condition + Warning Event), because a new root breaks trust with every
 * workload and other cluster that holds the old one, so a human decides.
 */

export interface CaExpiry {
  intermediateNotAfter: Date;
  rootNotAfter: Date;
}

export interface ExpiryStatus {
  intermediateDueForRenewal: boolean;
  rootExpiringSoon: boolean;
}

export function expiryStatus(expiry: CaExpiry, now: Date, renewBeforeMs: number): ExpiryStatus {
  const horizon = now.getTime() + renewBeforeMs;
  return {
    // "<=": at exactly renewBefore the renewal is due, as cert-manager reads renewBefore.
    intermediateDueForRenewal: expiry.intermediateNotAfter.getTime() <= horizon,
    rootExpiringSoon: expiry.rootNotAfter.getTime() <= horizon,
  };
}

/**
 * Whether a new intermediate would outlive the current one. An intermediate never outlives
 * its root, so near the root's end a renewal can give nothing more: renewing anyway would
 * write a new `cacerts` (and roll istiod) on every reconcile. One second of slack for the
 * whole-second notAfter of generated certificates.
 */
export function renewalExtendsValidity(
  expiry: CaExpiry,
  now: Date,
  intermediateValidityMs: number,
): boolean {
  const renewedNotAfter = Math.min(
    now.getTime() + intermediateValidityMs,
    expiry.rootNotAfter.getTime(),
  );
  return renewedNotAfter > expiry.intermediateNotAfter.getTime() + 1000;
}

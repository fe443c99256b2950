/**
 * Remembers which CA Secrets validated, by resourceVersion, so a no-op reconcile does not
 * parse PEM and prove key possession by signing again (milliseconds each time). Only the
 * date checks depend on the clock: a remembered Secret is reused while the clock has not
 * gone back since it validated (so no start date can lie ahead) and everything in it is
 * valid beyond renewBefore, and validated in full otherwise, so the answer is always the
 * one validateCaSecret would give. Holds summaries (dates, a hash), never key material.
 */
import type { CaSecretSummary, CaSecretValidation } from "./ca-secret-result.ts";
import { validateCaSecret } from "./validate-ca-secret.ts";

export class CaValidationCache {
  private readonly valid = new Map<
    string,
    { resourceVersion: string; validatedAt: number; summary: CaSecretSummary }
  >();

  validate(
    secret: { namespace: string; name: string; resourceVersion?: string | undefined },
    data: Record<string, string>,
    now: Date,
    renewBeforeMs: number,
  ): CaSecretValidation {
    const key = `${secret.namespace}/${secret.name}`;
    const known = this.valid.get(key);
    const same = known?.resourceVersion === secret.resourceVersion && secret.resourceVersion;
    if (known && same && now.getTime() >= known.validatedAt) {
      const { intermediateNotAfter, rootNotAfter } = known.summary;
      const earliest = Math.min(intermediateNotAfter.getTime(), rootNotAfter.getTime());
      if (earliest > now.getTime() + renewBeforeMs) return { ok: true, summary: known.summary };
    }
    const result = validateCaSecret(data, now, renewBeforeMs);
    if (result.ok && secret.resourceVersion)
      this.valid.set(key, {
        resourceVersion: secret.resourceVersion,
        validatedAt: now.getTime(),
        summary: result.summary,
      });
    else this.valid.delete(key);
    return result;
  }
}

import { beforeAll, describe, expect, it } from "vitest";
import { CaValidationCache } from "../../../operator/pki/validation-cache.ts";
import type { CaBundle } from "../../../operator/pki/generate.ts";
import { DAY, secretData, testCa } from "../../fixtures/pki/test-ca.ts";

const now = new Date();
let ca: CaBundle;
beforeAll(async () => {
  ca = await testCa({ now, intermediateValidityMs: 100 * DAY });
});

const at = (days: number) => new Date(now.getTime() + days * DAY);
const ref = (resourceVersion: string) => ({ namespace: "ns", name: "cacerts", resourceVersion });

describe("CaValidationCache", () => {
  it("reuses a valid answer while the resourceVersion is the same", () => {
    const cache = new CaValidationCache();
    const first = cache.validate(ref("7"), secretData(ca.cacerts), now, 0);
    expect(first.ok).toBe(true);
    // Same version: the (here deliberately different) data is not parsed again.
    expect(cache.validate(ref("7"), {}, at(1), 0)).toEqual(first);
  });

  it("validates again when the Secret changed", () => {
    const cache = new CaValidationCache();
    cache.validate(ref("7"), secretData(ca.cacerts), now, 0);
    expect(cache.validate(ref("8"), {}, now, 0)).toMatchObject({ ok: false, reason: "MissingKey" });
  });

  it("validates in full once the dates matter: expired, or within renewBefore", () => {
    const cache = new CaValidationCache();
    cache.validate(ref("7"), secretData(ca.cacerts), now, 0);
    expect(cache.validate(ref("7"), secretData(ca.cacerts), at(101), 0)).toMatchObject({
      ok: false,
      reason: "Expired",
    });
    cache.validate(ref("7"), secretData(ca.cacerts), now, 0);
    expect(cache.validate(ref("7"), secretData(ca.cacerts), at(80), 30 * DAY)).toMatchObject({
      ok: false,
      reason: "ExpiringSoon",
    });
  });

  it("remembers nothing without a resourceVersion, and no failure", () => {
    const cache = new CaValidationCache();
    cache.validate({ namespace: "ns", name: "cacerts" }, secretData(ca.cacerts), now, 0);
    expect(cache.validate({ namespace: "ns", name: "cacerts" }, {}, now, 0).ok).toBe(false);
    cache.validate(ref("9"), {}, now, 0);
    expect(cache.validate(ref("9"), secretData(ca.cacerts), now, 0).ok).toBe(true);
  });

  it("validates in full when the clock went back since the Secret validated", () => {
    const cache = new CaValidationCache();
    cache.validate(ref("7"), secretData(ca.cacerts), at(1), 0);
    // Before the CA's start (less the allowed clock skew): only a full check can say so.
    expect(cache.validate(ref("7"), secretData(ca.cacerts), at(-1), 0)).toMatchObject({
      ok: false,
      reason: "NotYetValid",
    });
  });
});

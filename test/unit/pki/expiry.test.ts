import { describe, expect, it } from "vitest";
import { expiryStatus, renewalExtendsValidity } from "../../../operator/pki/expiry.ts";

const DAY = 86_400_000;
const now = new Date("2030-01-01T00:00:00Z");
const at = (days: number) => new Date(now.getTime() + days * DAY);

describe("expiryStatus", () => {
  it("is quiet while both certificates outlive renewBefore", () => {
    expect(
      expiryStatus({ intermediateNotAfter: at(31), rootNotAfter: at(3650) }, now, 30 * DAY),
    ).toEqual({
      intermediateDueForRenewal: false,
      rootExpiringSoon: false,
    });
  });

  it("marks the intermediate due at exactly renewBefore, and after", () => {
    for (const days of [30, 29, 0, -1]) {
      const status = expiryStatus(
        { intermediateNotAfter: at(days), rootNotAfter: at(3650) },
        now,
        30 * DAY,
      );
      expect(status).toEqual({ intermediateDueForRenewal: true, rootExpiringSoon: false });
    }
  });

  it("reports the root separately (it is warned about, never rotated silently)", () => {
    const status = expiryStatus(
      { intermediateNotAfter: at(20), rootNotAfter: at(25) },
      now,
      30 * DAY,
    );
    expect(status).toEqual({ intermediateDueForRenewal: true, rootExpiringSoon: true });
  });
});

describe("renewalExtendsValidity", () => {
  it("is true when a new intermediate would end later than the current one", () => {
    const expiry = { intermediateNotAfter: at(20), rootNotAfter: at(3650) };
    expect(renewalExtendsValidity(expiry, now, 365 * DAY)).toBe(true);
  });

  it("is true near the root's end while the intermediate still ends before the root", () => {
    const expiry = { intermediateNotAfter: at(10), rootNotAfter: at(25) };
    expect(renewalExtendsValidity(expiry, now, 365 * DAY)).toBe(true);
  });

  it("is false once the intermediate already ends with the root: renewing gains nothing", () => {
    const expiry = { intermediateNotAfter: at(25), rootNotAfter: at(25) };
    expect(renewalExtendsValidity(expiry, now, 365 * DAY)).toBe(false);
  });
});

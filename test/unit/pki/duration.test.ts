import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../operator/pki/duration.ts";

describe("parseDuration", () => {
  it.each([
    ["87600h", 87_600 * 3_600_000],
    ["8760h", 8760 * 3_600_000],
    ["720h", 720 * 3_600_000],
    ["90m", 90 * 60_000],
    ["45s", 45_000],
    ["1h30m", 90 * 60_000],
    ["1h30m15s", 5_415_000],
    ["1.5h", 90 * 60_000],
    ["250ms", 250],
    ["1m30s500ms", 90_500],
    ["0s", 0],
  ])("reads %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    "",
    "10",
    "10d",
    "1y",
    "-1h",
    "+1h",
    "1h ",
    " 1h",
    "1 h",
    "h",
    "1.h",
    ".5h",
    "1H",
    "1us",
    "5ns",
    "1h-30m",
    "1e3s",
    "Infinityh",
  ])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });

  it("rejects durations too long to be a validity", () => {
    expect(() => parseDuration("9".repeat(30) + "h")).toThrow(/invalid duration/);
    expect(() => parseDuration("1h".repeat(17))).toThrow(/invalid duration/);
  });

  it("accepts exactly what the API schema's regex accepts", () => {
    const schema = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9hms.]{1,12}$/), (text) => {
        let parsed = true;
        try {
          parseDuration(text);
        } catch {
          parsed = false;
        }
        expect(parsed).toBe(schema.test(text));
      }),
    );
  });
});

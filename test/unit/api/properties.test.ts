import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { validSpec } from "../../fixtures/meshconfig-arbitraries.ts";

describe("MeshConfig schema properties", () => {
  it("accepts every generated valid spec", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const result = validateSpec(spec);
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("is idempotent: a defaulted spec parses to itself", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const once = validateSpec(spec);
        const twice = once.ok ? validateSpec(once.spec) : once;
        expect(twice).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws, whatever JSON it is given", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => validateSpec(value)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

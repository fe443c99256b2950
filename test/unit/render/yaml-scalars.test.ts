import fc from "fast-check";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { flowValue, quoteString } from "../../../operator/render/yaml-scalars.ts";

// Strings the way an attacker would write them, plus every kind of code unit.
const hostile = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    'a"\nkind: Secret\n---\nkind: Namespace',
    "x: y",
    "- item",
    "{{evil}}",
    "'; drop",
    "\u0085\u2028\u2029\ufeff\u007f\u0000",
    "\ud800",
    "#comment",
    "&anchor *alias !tag",
  ),
);

describe("YAML scalar quoting", () => {
  it("round-trips every string as one scalar on one line", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const quoted = quoteString(value);
        expect(quoted).not.toMatch(/[\n\r]/);
        const docs = parseAllDocuments(`key: ${quoted}\nafter: 1\n`);
        expect(docs).toHaveLength(1);
        expect(docs[0]?.errors).toEqual([]);
        expect(docs[0]?.toJS()).toEqual({ key: value, after: 1 });
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips any JSON value in flow style", () => {
    fc.assert(
      fc.property(
        fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown),
        (value) => {
          expect(parse(`v: ${flowValue(value)}\n`)).toEqual({ v: value });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("refuses values that have no JSON form", () => {
    expect(() => flowValue(Number.NaN)).toThrow(TypeError);
    expect(() => flowValue(() => 1)).toThrow(TypeError);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowValue, quoteString } from "../../../operator/render/yaml-scalars.ts";

/**
 * The escaping rule written out code point by code point, as quoteString did before it
 * became one regular expression (docs/footprint.md): the fast version must print exactly
 * the same bytes for every string.
 */
function isPlain(codePoint: number): boolean {
  if (codePoint >= 0x20 && codePoint <= 0x7e) return codePoint !== 0x22 && codePoint !== 0x5c;
  if (codePoint >= 0xa0 && codePoint <= 0xd7ff) return codePoint !== 0x2028 && codePoint !== 0x2029;
  if (codePoint >= 0xe000 && codePoint <= 0xfffd) return codePoint !== 0xfeff;
  return codePoint >= 0x10000 && codePoint <= 0x10ffff;
}

function escapeOne(codePoint: number): string {
  const named: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x09: "\\t" };
  return named[codePoint] ?? `\\u${codePoint.toString(16).padStart(4, "0")}`;
}

function referenceQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += isPlain(codePoint) ? char : escapeOne(codePoint);
  }
  return `${out}"`;
}

const edges = fc.constantFrom(
  "\u0000\u0009\u000a\u001f\u007f\u0080\u009f\u00a0",
  "\u2027\u2028\u2029\u202a",
  "\ud7ff\ud800\udbff\udc00\udfff\ue000",
  "\ud83d\ude00 pair, \ude00\ud83d reversed",
  "\ufefe\ufeff\ufffd\ufffe\uffff",
  'quote " backslash \\ done',
  "plain ascii only",
  "",
);

describe("quoteString, fast path", () => {
  it("prints what the code-point-by-code-point rule prints, for every string", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), edges),
        (value) => {
          expect(quoteString(value)).toBe(referenceQuote(value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps a long mostly-plain text exact (the injector's templates)", () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i}: "q" \\ \t`).join("\n");
    expect(quoteString(text)).toBe(referenceQuote(text));
  });
});

describe("flowValue", () => {
  it("prints JSON-shaped values as flow YAML, skipping undefined members", () => {
    expect(flowValue({ a: 1, b: undefined, c: [true, null, "x"], d: {} })).toBe(
      '{"a": 1, "c": [true, null, "x"], "d": {}}',
    );
    expect(flowValue([])).toBe("[]");
    expect(flowValue({ b: undefined, a: [1, [2]] })).toBe('{"a": [1, [2]]}');
  });
});

import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { yamlText } from "../../../operator/render/yaml-text.ts";

const print = (value: unknown, indentSeq?: boolean) =>
  stringify(value, { lineWidth: 0, ...(indentSeq === undefined ? {} : { indentSeq }) });

describe("yamlText", () => {
  it("prints what the yaml package prints, remembered or not", () => {
    const values: unknown[] = [
      { a: 1, b: ["x", "y"], c: { d: null, e: true } },
      { text: "line one\nline two\n", empty: "", quoted: 'say "hi": now' },
      [{ key: "k", values: ["v"] }],
      "plain",
      42,
    ];
    for (const value of values) {
      expect(yamlText(value)).toBe(print(value));
      expect(yamlText(value)).toBe(print(value)); // the second time from memory
      expect(yamlText(value, { indentSeq: false })).toBe(print(value, false));
    }
  });

  it("tells apart values whose JSON is the same (-0 and 0, non-finite numbers and null)", () => {
    expect(yamlText({ n: 0 })).toBe(print({ n: 0 }));
    expect(yamlText({ n: -0 })).toBe(print({ n: -0 }));
    expect(print({ n: -0 })).not.toBe(print({ n: 0 }));
    expect(yamlText({ n: null })).toBe(print({ n: null }));
    expect(yamlText({ n: Number.NaN })).toBe(print({ n: Number.NaN }));
    expect(yamlText({ n: Number.POSITIVE_INFINITY })).toBe(print({ n: Number.POSITIVE_INFINITY }));
  });

  it("prints values that are not plain data every time (undefined members, dates)", () => {
    const date = new Date(0);
    expect(yamlText({ at: date })).toBe(print({ at: date }));
    expect(yamlText({ at: date.toISOString() })).toBe(print({ at: date.toISOString() }));
    expect(yamlText({ a: 1, b: undefined })).toBe(print({ a: 1, b: undefined }));
    expect(yamlText([1, undefined])).toBe(print([1, undefined]));
    expect(yamlText([1, null])).toBe(print([1, null]));
  });

  it("keeps giving the right text beyond the number of texts it remembers", () => {
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < 20; i += 1) expect(yamlText({ i })).toBe(print({ i }));
    }
  });
});

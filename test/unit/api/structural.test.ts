import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toStructural } from "../../../operator/api/structural.ts";
import { lintStructural } from "../../../operator/api/structural-lint.ts";

const convert = (schema: z.ZodType) => toStructural(z.toJSONSchema(schema, { io: "input" }));

describe("structural post-processor", () => {
  it("turns integer-or-string unions into int-or-string", () => {
    const node = convert(
      z.union([
        z.int32(),
        z
          .string()
          .max(8)
          .regex(/^[a-z]+$/),
      ]),
    );
    expect(node).toEqual({
      anyOf: [{ type: "integer" }, { type: "string" }],
      "x-kubernetes-int-or-string": true,
      pattern: "^[a-z]+$",
      maxLength: 8,
    });
    expect(lintStructural(node)).toEqual([]);
  });

  it("replaces zod's integer bounds with formats and keeps real bounds", () => {
    expect(convert(z.int32().min(1))).toEqual({ type: "integer", format: "int32", minimum: 1 });
    expect(convert(z.int())).toEqual({ type: "integer", format: "int64" });
  });

  it("removes what Kubernetes rejects from objects and maps", () => {
    const node = convert(
      z.object({ a: z.string().max(1), m: z.record(z.string(), z.string().max(2)) }),
    );
    expect(node.$schema).toBeUndefined();
    expect(node.additionalProperties).toBeUndefined();
    expect((node.properties as Record<string, Record<string, unknown>>).m).toEqual({
      type: "object",
      additionalProperties: { type: "string", maxLength: 2 },
    });
  });

  it("maps a record of unknown values to preserve-unknown-fields", () => {
    expect(convert(z.record(z.string(), z.unknown()))).toEqual({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("rewrites numeric exclusive bounds to OpenAPI v3.0 booleans", () => {
    expect(convert(z.number().positive())).toEqual({
      type: "number",
      minimum: 0,
      exclusiveMinimum: true,
    });
  });

  it("lets the lint catch what cannot be expressed", () => {
    const problems = lintStructural(
      convert(z.object({ n: z.string().nullable(), l: z.array(z.string()) })),
    );
    expect(problems).toContain(
      '.n: type must be one of object, array, string, integer, number, boolean, not ["string","null"]',
    );
    expect(problems).toContain(".l: an array needs maxItems");
    expect(problems).toContain(".l[*]: a string needs a maxLength (CEL cost and input size)");
  });
});

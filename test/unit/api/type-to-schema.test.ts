import { writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { TypeToSchema } from "../../../operator/api/type-to-schema.ts";
import { scratchDir } from "../../scratch.ts";

function schemaOf(declaration: string): unknown {
  const file = join(scratchDir("types"), "model.d.ts");
  writeFileSync(file, `export interface IModel {\n${declaration}\n}\n`);
  const program = ts.createProgram([file], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const model = program.getSourceFile(file)?.statements.find(ts.isInterfaceDeclaration);
  if (!model) throw new Error("no interface");
  return new TypeToSchema(checker, model).schemaOf(checker.getTypeAtLocation(model.name));
}

describe("TypeScript type to structural schema", () => {
  it("maps scalars, enums, lists, maps and descriptions", () => {
    expect(
      schemaOf(`
        /** The name. */
        "name": string;
        "mode"?: "STRICT" | "PERMISSIVE";
        "ports"?: Array<number>;
        "labels"?: { [key: string]: string };
        "port"?: number | string;
        "enabled"?: boolean;`),
    ).toEqual({
      type: "object",
      properties: {
        name: { description: "The name.", type: "string" },
        mode: { type: "string", enum: ["STRICT", "PERMISSIVE"] },
        ports: { type: "array", items: { type: "number" } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        port: { "x-kubernetes-int-or-string": true },
        enabled: { type: "boolean" },
      },
      required: ["name"],
    });
  });

  it("merges oneOf shapes and keeps arrays that come out as intersections", () => {
    const schema = schemaOf(`
      "spec"?: ({ "a"?: string; "b": string } | { "c"?: string; "b": string });
      "rules"?: Array<{ "x"?: string }> & ({} | {});`) as { properties: Record<string, unknown> };
    expect(schema.properties.spec).toEqual({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" }, c: { type: "string" } },
      required: ["b"],
    });
    expect(schema.properties.rules).toEqual({
      type: "array",
      items: { type: "object", properties: { x: { type: "string" } } },
    });
  });

  it("keeps anything untyped as preserve-unknown-fields", () => {
    expect(schemaOf(`"value"?: any; "struct"?: { [key: string]: unknown };`)).toEqual({
      type: "object",
      properties: {
        value: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        struct: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      },
    });
  });
});

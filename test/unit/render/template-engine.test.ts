import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileTemplate,
  RenderError,
  renderTemplate,
  unsafeOutputs,
} from "../../../operator/render/template-engine.ts";

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{quote name}}
  labels: {{json labels}}
data:
  greeting: {{quote greeting}}
{{#if extra}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{quote extraName}}
{{/if}}
`;

const template = compileTemplate("test/config-map.yaml.hbs", CONFIG_MAP);

describe("template engine", () => {
  it("renders documents into objects", () => {
    const objects = renderTemplate(template, {
      name: "a",
      extraName: "a-extra",
      labels: { app: "x" },
      greeting: "hi",
      extra: true,
    });
    expect(objects).toEqual([
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "a", labels: { app: "x" } },
        data: { greeting: "hi" },
      },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a-extra" } },
    ]);
  });

  it("fails on a value the context lacks instead of printing nothing", () => {
    expect(() => renderTemplate(template, { name: "a", labels: {} })).toThrow(RenderError);
    expect(() => renderTemplate(template, { name: "a", labels: {} })).toThrow(
      "template test/config-map.yaml.hbs: line 7: quote expects a string, got undefined",
    );
  });

  it("refuses templates that print a value without quote or json", () => {
    expect(
      unsafeOutputs("a: {{x}}\nb: {{{y}}}\nc: {{quote z}}\n{{#if w}}d: {{json v}}{{/if}}\n{{> p}}"),
    ).toEqual([
      "line 1: {{x ...}} prints without quote or json",
      "line 2: {{y ...}} prints without quote or json",
      "line 5: partials are not allowed",
    ]);
    expect(() => compileTemplate("t/bad.yaml.hbs", "name: {{name}}")).toThrow(
      "template t/bad.yaml.hbs: line 1",
    );
  });

  it("refuses unknown helpers at compile time", () => {
    expect(() => compileTemplate("bad", "{{lookup x}}").render({ x: 1 })).toThrow();
  });

  it("names the template when the output is not Kubernetes objects", () => {
    const broken = compileTemplate("test/broken.yaml.hbs", "just: text\n");
    expect(() => renderTemplate(broken, {})).toThrow(
      "template test/broken.yaml.hbs: every document must be",
    );
  });

  it("never lets a string add a key, an object or a line", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), fc.string(), (name, greeting) => {
        const objects = renderTemplate(template, {
          name,
          labels: { [greeting]: name },
          greeting,
          extra: false,
        });
        expect(objects).toHaveLength(1);
        expect(Object.keys(objects[0] ?? {})).toEqual(["apiVersion", "kind", "metadata", "data"]);
        expect(objects[0]?.metadata.name).toBe(name);
        expect(objects[0]?.data).toEqual({ greeting });
      }),
      { numRuns: 1000 },
    );
  });
});

/**
 * block-yaml.ts against the `yaml` package: wherever the fast reader gives an answer it is
 * the package's answer, it answers for every template the render inputs produce (so the
 * render really takes the fast path), and it declines what lies outside its subset.
 */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { renderInputs } from "../../fixtures/samples.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import { parseYaml, readTemplateYaml } from "../../../operator/render/block-yaml.ts";
import * as contexts from "../../../operator/render/contexts.ts";
import { resolve } from "../../../operator/render/effective-config.ts";
import { COMPONENTS, type Component } from "../../../operator/render/render.ts";
import { cniContext, ztunnelContext } from "../../../operator/render/ambient-contexts.ts";
import { tagContext } from "../../../operator/render/revisions.ts";
import { compileTemplate, loadComponent } from "../../../operator/render/template-engine.ts";

/** What the yaml package reads: every document's value, empty documents dropped. */
function byYamlPackage(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null);
}

const fast = (text: string) => readTemplateYaml(text)?.filter((value) => value !== null);

function componentContexts(path: string): [Component, object][] {
  const input = (parse(readFileSync(path, "utf8")) as { spec: unknown }).spec;
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const mesh = resolve(result.spec);
  return [
    ["namespaces", contexts.namespacesContext(mesh)],
    ["base", contexts.baseContext(mesh)],
    ["istiod", contexts.istiodContext(mesh)],
    ["injector", contexts.injectorContext(mesh)],
    ["revision-tag", tagContext(mesh)],
    ...mesh.gateways.map((g): [Component, object] => ["gateway", contexts.gatewayContext(mesh, g)]),
    ["policies", contexts.policiesContext(mesh)],
    ...(mesh.ambient
      ? ([
          ["cni", cniContext(mesh)],
          ["ztunnel", ztunnelContext(mesh)],
        ] as [Component, object][])
      : []),
  ];
}

describe("every template of every render input", () => {
  for (const { name, path } of renderInputs()) {
    it(`${name}: read by the fast path, with the yaml package's values`, () => {
      const pairs = componentContexts(path);
      // Every component the renderer has (gateways and the ambient node agents only where
      // the spec has them; ambient.yaml does).
      const covered = new Set<Component>([
        "gateway",
        "cni",
        "ztunnel",
        ...pairs.map(([component]) => component),
      ]);
      expect(covered).toEqual(new Set(COMPONENTS));
      for (const [component, context] of pairs) {
        for (const template of loadComponent(component)) {
          const text = template.render(context);
          const values = fast(text);
          expect(values, `${template.name} left the fast path`).toBeDefined();
          expect(values, template.name).toEqual(byYamlPackage(text));
        }
      }
    });
  }
});

describe("every generated CRD in crds/", () => {
  const dir = new URL("../../../crds/", import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    it(`${file}: read by the fast path, with the yaml package's values`, () => {
      const text = readFileSync(new URL(file, dir), "utf8");
      const values = fast(text);
      expect(values, `${file} left the fast path`).toBeDefined();
      expect(values).toEqual(byYamlPackage(text));
      expect(parseYaml(text)).toEqual(parse(text));
    });
  }
});

describe("values printed by the helpers", () => {
  const template = compileTemplate(
    "property",
    [
      "kind: Test",
      "data: {{json value}}",
      "list:",
      "  - {{quote text}}",
      "  - { key: {{json value}}, name: {{quote text}} } # a comment",
      "  - name: {{quote text}}",
      "    value: {{json value}}",
      "{{quote text}}: {{json value}}",
      "---",
      "- [{{json value}}, {{quote text}}]",
    ].join("\n"),
  );
  it("read as the yaml package reads them, whatever they hold", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
        const rendered = template.render({ value, text });
        const expected = byYamlPackage(rendered);
        const values = fast(rendered);
        if (values !== undefined) expect(values).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("outside the subset", () => {
  const declined = [
    "a:\tb",
    "a: &x b\nc: *x",
    "a: !!str 1",
    "a: >-\n  text",
    "a: 'two\n  lines'",
    "a: |+\n  kept\n",
    "a: |2\n   indented",
    "a: |\n      \n  more spaces than the content",
    "a: -0",
    "a: True",
    "a: ~",
    "a: 0x1F",
    "a: 1e3",
    "a: .5",
    "a: 1.0",
    "a: 1234567890123456",
    "a: b\na: c",
    "{ a: 1 }: b",
    "a: [b, ]",
    "a: { b: c,\n  d: e }",
    "a: plain\n  continued",
    'a: "quoted\n  on two lines"',
    'a: "\\x41"',
    "a: b: c",
    "a:b",
    "%YAML 1.2\n---\na: b",
    "a: b\n...\n",
    "__proto__: b",
    "1: b",
    "true: b",
  ];
  for (const text of declined) {
    it(`declines ${JSON.stringify(text)}`, () => {
      expect(readTemplateYaml(text)).toBeUndefined();
    });
  }

  it("reads the block forms the templates use exactly as the yaml package does", () => {
    const text = [
      "# a comment",
      "a: plain text with spaces",
      "b:",
      "- compact",
      "- 8080",
      "c:",
      "  - name: x # trailing comment",
      '    list: [a, "b", { c: d }]',
      "  -",
      "    nested: true",
      "  - - inner",
      "d: { url: http://x:80/y, empty: {}, none: [] }",
      "e:",
      "f: null",
      '"quoted key": false',
      "---",
      "---",
      "g: 0",
      "h: -12",
      "i: 'it''s: single-quoted'",
      "j: [.spec.host, -x, 2m, 'q']",
      "k: |-",
      "",
      "    first line, after a blank one",
      "      # not a comment: content",
      "",
      "    last",
      "",
      "l: |",
      "    clipped",
      "m:",
      "  - |-",
      "    in a sequence",
      "  - done",
    ].join("\n");
    expect(fast(text)).toEqual(byYamlPackage(text));
  });
});

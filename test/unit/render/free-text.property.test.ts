/**
 * Every string field of the spec reaches the rendered objects as data and never as
 * structure: a spec whose free-text fields hold placeholders and the same spec with
 * arbitrary strings in their place render to the same objects once each string is
 * mapped back to its placeholder. Any string that added a key, an object, a line of YAML
 * or a document would leave a difference. ConfigMap data that is itself YAML or JSON (the
 * mesh config, the injector's values) is parsed and compared as structure too.
 */
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { LABEL_VALUE, QUALIFIED_NAME } from "../../../operator/api/kubernetes-types.ts";
import type { MeshConfigSpecInput } from "../../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import { render } from "../../../operator/render/render.ts";

const FIELDS = [
  "nodeSelectorKey",
  "nodeSelectorValue",
  "tolerationKey",
  "tolerationValue",
  "affinityValue",
  "meshConfigKey",
  "meshConfigValue",
  "proxyMetadataKey",
  "proxyMetadataValue",
  "annotationKey",
  "annotationValue",
] as const;
type Texts = Record<(typeof FIELDS)[number], string>;

function specWith(t: Texts): MeshConfigSpecInput {
  return {
    version: "1.31.1",
    controlPlane: {
      nodeSelector: { [t.nodeSelectorKey]: t.nodeSelectorValue },
      tolerations: [{ key: t.tolerationKey, operator: "Equal", value: t.tolerationValue }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "zone", operator: "In", values: [t.affinityValue] }] },
            ],
          },
        },
      },
    },
    meshConfig: {
      [t.meshConfigKey]: t.meshConfigValue,
      defaultConfig: { proxyMetadata: { [t.proxyMetadataKey]: t.proxyMetadataValue } },
    },
    gateways: [
      {
        name: "ingress",
        namespace: "istio-ingress",
        type: "ingress",
        service: { annotations: { [t.annotationKey]: t.annotationValue } },
      },
      { name: "egress", namespace: "istio-egress", type: "egress" },
    ],
    security: { authorization: "DenyAll" },
    telemetry: { tracing: { address: "collector.observability:4317" } },
  };
}

const PLACEHOLDERS = Object.fromEntries(
  FIELDS.map((f) => [f, `placeholder-${f.toLowerCase()}`]),
) as Texts;

/** The rendered objects, with embedded YAML/JSON documents parsed, as plain data. */
function rendered(t: Texts): unknown[] {
  const result = validateSpec(specWith(t));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return render(result.spec).map(({ object }) => {
    if (object.kind !== "ConfigMap") return object;
    const data = object.data as Record<string, string>;
    const parsed = Object.fromEntries(
      Object.entries(data).map(([key, text]) => {
        try {
          const document: unknown = parse(text);
          return [key, typeof document === "object" ? document : text];
        } catch {
          return [key, text]; // Go templates: not YAML, and hold no free text
        }
      }),
    );
    return { ...object, data: parsed };
  });
}

/** Maps each fuzzed string back to its placeholder, in keys and values alike. */
function restored(value: unknown, back: Map<string, string>): unknown {
  if (typeof value === "string") return back.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => restored(item, back));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [back.get(k) ?? k, restored(v, back)]),
    );
  return value;
}

function strings(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === "string") into.add(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, into);
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      strings(v, into);
    }
  return into;
}

describe("free-text fields", () => {
  const baseline = rendered(PLACEHOLDERS);
  const taken = strings(baseline);

  it("change values in the rendered objects, never their structure", () => {
    const text = (maxLength: number) =>
      fc.oneof(
        fc.string({ unit: "binary", maxLength }),
        fc.constantFrom("\n- kind: Secret", "a: b\nc: d", "{{ .Values }}", "'\"", "--- x", "&a *a"),
      );
    // Keys and label values follow Kubernetes' grammar (the schema refuses anything else),
    // so they are fuzzed within it; the rest is free text.
    const qualifiedName = fc.stringMatching(QUALIFIED_NAME).filter((k) => k.length <= 316);
    const labelValue = fc.stringMatching(LABEL_VALUE).filter((v) => v.length <= 63);
    // Validation refuses a "__proto__" key (docs/api.md): nothing to render.
    const mapKey = (maxLength: number) => text(maxLength).filter((k) => k !== "__proto__");
    const texts = fc.record({
      nodeSelectorKey: qualifiedName,
      nodeSelectorValue: labelValue,
      tolerationKey: qualifiedName,
      tolerationValue: labelValue,
      affinityValue: text(200),
      meshConfigKey: mapKey(60),
      meshConfigValue: text(200),
      proxyMetadataKey: mapKey(60),
      proxyMetadataValue: text(200),
      annotationKey: qualifiedName,
      annotationValue: text(4096),
    });
    fc.assert(
      fc.property(texts, (t) => {
        const values = Object.values(t);
        // Each string must be told apart from the others and from what the render holds anyway.
        fc.pre(new Set(values).size === values.length && values.every((v) => !taken.has(v)));
        fc.pre(!values.some((v) => Object.values(PLACEHOLDERS).includes(v)));
        const back = new Map(FIELDS.map((f) => [t[f], PLACEHOLDERS[f]]));
        expect(restored(rendered(t), back)).toEqual(baseline);
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it("reach the objects they configure", () => {
    // The comparison above is only meaningful if the placeholders are really rendered.
    const all = strings(baseline);
    for (const placeholder of Object.values(PLACEHOLDERS)) expect(all).toContain(placeholder);
  });
});

/**
 * Each Istio minor installs its own CRD set (the version table's data), cut out of crds/.
 * Whether that data is true to what each minor ships is checked against Istio's own
 * modules in test/istio/istio-crds.test.ts; here: the cut, the generator and the render.
 */
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { generatedCrdFacts, type IstioCrdSet } from "../../../operator/api/istio-crd-sets.ts";
import { istioCrds } from "../../../operator/api/istio-crds.ts";
import { istioCrdObjects, istioCrdObjectsFor } from "../../../operator/render/istio-crds.ts";
import {
  ISTIO_MINORS,
  lookupVersion,
  type IstioMinor,
} from "../../../operator/render/istio-versions.ts";
import { render } from "../../../operator/render/render.ts";
import { validateSpec } from "../../../operator/api/validate.ts";

type Crd = {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; storage: boolean }[];
  };
};

const summary = (crds: readonly unknown[]) =>
  (crds as Crd[]).map((c) => ({
    kind: c.spec.names.kind,
    group: c.spec.group,
    versions: c.spec.versions.map((v) => `${v.name}${v.storage ? "*" : ""}`),
  }));

const minor = (name: string): IstioMinor => {
  const found = ISTIO_MINORS.find((m) => m.minor === name);
  if (!found) throw new Error(`no minor ${name}`);
  return found;
};

describe("Istio CRD sets per minor", () => {
  it("install fourteen kinds on 1.29 and add TrafficExtension from 1.30 on", () => {
    const kinds = (m: string) => summary(istioCrdObjectsFor(minor(m))).map((c) => c.kind);
    expect(kinds("1.29")).toHaveLength(14);
    expect(kinds("1.29")).not.toContain("TrafficExtension");
    for (const m of ["1.30", "1.31"]) {
      expect(kinds(m)).toHaveLength(15);
      expect(kinds(m)).toEqual(expect.arrayContaining([...kinds("1.29"), "TrafficExtension"]));
    }
  });

  it("serve exactly the versions the table lists, storing the one it names", () => {
    for (const m of ISTIO_MINORS) {
      const expected = m.crds.crds
        .map((f) => ({
          kind: f.kind,
          group: f.group,
          versions: f.versions.map((v) => `${v}${v === f.storage ? "*" : ""}`),
        }))
        .sort((a, b) => a.kind.localeCompare(b.kind));
      const rendered = summary(istioCrdObjectsFor(m)).sort((a, b) => a.kind.localeCompare(b.kind));
      expect(rendered, m.minor).toEqual(expected);
      for (const crd of istioCrdObjectsFor(m) as unknown as readonly Crd[])
        expect(
          crd.spec.versions.filter((v) => v.storage),
          crd.metadata.name,
        ).toHaveLength(1);
    }
    // Telemetry serves v1 but Istio still stores v1alpha1.
    const telemetry = summary(istioCrdObjectsFor(minor("1.31"))).find(
      (c) => c.kind === "Telemetry",
    );
    expect(telemetry?.versions).toEqual(["v1", "v1alpha1*"]);
  });

  it("are what a mesh of that version renders", () => {
    for (const [version, count] of [
      ["1.29.2", 14],
      ["1.30.5", 15],
      ["1.31.1", 15],
    ] as const) {
      const result = validateSpec({ version });
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      const crds = render(result.spec)
        .map((r) => r.object)
        .filter(
          (o) => o.kind === "CustomResourceDefinition" && o.metadata.name.endsWith(".istio.io"),
        );
      expect(crds, version).toHaveLength(count);
      // The same objects, with our labels added by render.
      expect(crds.map((c) => c.metadata.name)).toEqual(
        istioCrdObjectsFor(lookupVersion(version)).map((c) => c.metadata.name),
      );
      expect(summary(crds)).toEqual(summary(istioCrdObjectsFor(lookupVersion(version))));
    }
  });

  it("never change the shared crds/ objects they are cut from", () => {
    const before = JSON.stringify(istioCrdObjects());
    for (const m of ISTIO_MINORS) istioCrdObjectsFor(m);
    expect(JSON.stringify(istioCrdObjects())).toBe(before);
    expect(istioCrdObjectsFor(minor("1.29"))).toBe(istioCrdObjectsFor(minor("1.29")));
  });

  it("refuse a table entry crds/ cannot satisfy, naming it", () => {
    const base = minor("1.31");
    const unknownKind: IstioMinor = {
      ...base,
      minor: "9.1",
      crds: {
        apiModuleVersion: "v9.1.0",
        crds: [
          { kind: "Frobnicator", group: "networking.istio.io", versions: ["v1"], storage: "v1" },
        ],
      },
    };
    expect(() => istioCrdObjectsFor(unknownKind)).toThrow(
      /crds\/ lacks Frobnicator.networking.istio.io/,
    );
    const unknownVersion: IstioMinor = {
      ...base,
      minor: "9.2",
      crds: {
        apiModuleVersion: "v9.2.0",
        crds: [{ kind: "Sidecar", group: "networking.istio.io", versions: ["v2"], storage: "v2" }],
      },
    };
    expect(() => istioCrdObjectsFor(unknownVersion)).toThrow(/crds\/ has no Sidecar v2/);
  });
});

describe("the facts crds/ is generated from", () => {
  const set = (version: string, crds: IstioCrdSet["crds"]): IstioCrdSet => ({
    apiModuleVersion: version,
    crds,
  });

  it("keep every version any minor serves and the newest minor's storage", () => {
    const older = set("v1.1.0", [
      { kind: "Widget", group: "g", versions: ["v1beta1", "v1alpha1"], storage: "v1beta1" },
      { kind: "Gone", group: "g", versions: ["v1"], storage: "v1" },
    ]);
    const newer = set("v1.2.0", [
      { kind: "Widget", group: "g", versions: ["v1", "v1beta1"], storage: "v1" },
    ]);
    const facts = generatedCrdFacts([older, newer]);
    expect(facts.get("Widget")).toEqual({
      kind: "Widget",
      group: "g",
      versions: ["v1", "v1beta1", "v1alpha1"],
      storage: "v1",
    });
    expect(facts.get("Gone")?.versions).toEqual(["v1"]);
  });

  it("give valid CustomResourceDefinitions for every kind of every minor", () => {
    const generated = istioCrds();
    const kinds = new Set(ISTIO_MINORS.flatMap((m) => m.crds.crds.map((f) => f.kind)));
    expect(generated.size).toBe(kinds.size);
    for (const [file, crd] of generated) {
      expect(() => {
        new CustomResourceDefinition(crd as never).validate();
      }, file).not.toThrow();
      expect((crd as Crd).metadata.name.endsWith(".istio.io")).toBe(true);
    }
  });
});

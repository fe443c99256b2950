/**
 * Versions as data, checked: the CRDs each supported Istio minor installs are the ones that
 * minor ships. The source of truth is Istio's own CRD file, in the istio.io/api module of
 * each minor and in the istio.io/istio module the real-Istio tier builds from
 * (tools/istio/go.mod), both fetched from the Go module proxy (the module cache after the
 * first time). Nothing of Istio's is stored in this repository.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { upstreamCrds, type CrdDocument } from "../../operator/api/upstream-crds.ts";
import { istioCrdObjectsFor } from "../../operator/render/istio-crds.ts";
import { ISTIO_MINORS, type IstioMinor } from "../../operator/render/istio-versions.ts";

type Schema = Record<string, unknown>;

interface CrdSummary {
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly scope: string;
  readonly shortNames: readonly string[];
  readonly versions: readonly string[];
}

function summary(crds: readonly unknown[]): CrdSummary[] {
  return (crds as (CrdDocument & { spec: { scope: string; names: { shortNames?: string[] } } })[])
    .map((crd) => ({
      name: crd.metadata.name,
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      scope: crd.spec.scope,
      shortNames: crd.spec.names.shortNames ?? [],
      // served and storage of each version, in one readable word: v1(served,storage)
      versions: crd.spec.versions
        .map((v) => `${v.name}(${v.served ? "served" : "unserved"}${v.storage ? ",storage" : ""})`)
        .sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every field path a schema accepts (pruning drops a field whose path is missing). */
function fieldPaths(schema: Schema | undefined, prefix = ""): string[] {
  const children: [string, Schema | undefined][] = [
    ...Object.entries((schema?.properties ?? {}) as Record<string, Schema>),
    ...(schema?.items ? ([["[]", schema.items as Schema]] as [string, Schema][]) : []),
    ...(typeof schema?.additionalProperties === "object"
      ? ([["{}", schema.additionalProperties as Schema]] as [string, Schema][])
      : []),
  ];
  return children.flatMap(([key, child]) => [
    `${prefix}${key}`,
    ...fieldPaths(child, `${prefix}${key}.`),
  ]);
}

function specOf(crd: unknown, version: string): Schema | undefined {
  const versions = (crd as CrdDocument).spec.versions;
  const properties = versions.find((v) => v.name === version)?.schema?.openAPIV3Schema
    ?.properties as Record<string, Schema> | undefined;
  return properties?.spec;
}

/** The istio.io/istio pin of the real-Istio tier, and the Istio minor it is (from its api pin). */
function toolsIstioPin(): { istio: string; minor: string } {
  const goMod = readFileSync(new URL("../../tools/istio/go.mod", import.meta.url), "utf8");
  const istio = /^\s*istio\.io\/istio (\S+)/m.exec(goMod)?.[1];
  const api = /^\s*istio\.io\/api v(\d+\.\d+)\./m.exec(goMod)?.[1];
  if (!istio || !api) throw new Error("tools/istio/go.mod pins no istio.io/istio or istio.io/api");
  return { istio, minor: api };
}

describe.each(ISTIO_MINORS.map((m) => [m.minor, m] as [string, IstioMinor]))(
  "Istio %s",
  (name, minor) => {
    const ours = istioCrdObjectsFor(minor);
    const upstream = upstreamCrds("istio.io/api", minor.crds.apiModuleVersion);

    it("is checked against a release of its own minor", () => {
      expect(minor.crds.apiModuleVersion.startsWith(`v${name}.`)).toBe(true);
    });

    it("installs exactly the kinds, groups, versions, served and storage flags it ships", () => {
      expect(summary(ours)).toEqual(summary(upstream));
    });

    it("accepts every field its own CRDs accept (the API server prunes nothing it knows)", () => {
      const missing: string[] = [];
      for (const crd of upstream)
        for (const version of crd.spec.versions) {
          const mine = new Set(
            fieldPaths(
              specOf(
                ours.find((o) => o.metadata.name === crd.metadata.name),
                version.name,
              ),
            ),
          );
          for (const path of fieldPaths(specOf(crd, version.name)))
            if (!mine.has(path))
              missing.push(`${crd.spec.names.kind} ${version.name}: spec.${path}`);
        }
      expect(missing).toEqual([]);
    });
  },
);

describe("the newest minor", () => {
  const newest = ISTIO_MINORS.at(-1);
  if (!newest) throw new Error("the version table is empty");

  it("validates with exactly its own spec schemas", () => {
    const upstream = upstreamCrds("istio.io/api", newest.crds.apiModuleVersion);
    for (const crd of istioCrdObjectsFor(newest))
      for (const version of (crd as unknown as CrdDocument).spec.versions)
        expect(specOf(crd, version.name), `${crd.metadata.name} ${version.name}`).toEqual(
          specOf(
            upstream.find((u) => u.metadata.name === crd.metadata.name),
            version.name,
          ),
        );
  });

  it("matches the CRDs of the Istio build the real-Istio tier runs (tools/istio)", () => {
    const pin = toolsIstioPin();
    const minor = ISTIO_MINORS.find((m) => m.minor === pin.minor);
    expect(
      minor,
      `tools/istio builds Istio ${pin.minor}, which the version table lacks`,
    ).toBeDefined();
    if (!minor) return;
    const charted = upstreamCrds("istio.io/istio", pin.istio);
    expect(summary(istioCrdObjectsFor(minor))).toEqual(summary(charted));
    expect(charted.map((c) => c.spec.names.kind)).toContain("TrafficExtension");
  });
});

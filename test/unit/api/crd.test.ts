import { readFileSync } from "node:fs";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { CRD_FILE, meshConfigCrd } from "../../../operator/api/crd.ts";
import { lintStructural } from "../../../operator/api/structural-lint.ts";
import { generatedCrds } from "../../../operator/cli/crds.ts";

type Schema = Record<string, any>;

const crd: Schema = meshConfigCrd();
const version = crd.spec.versions[0];
const root = version.schema.openAPIV3Schema;
const spec = root.properties.spec;

describe("MeshConfig CRD", () => {
  it("is committed exactly as generated (run `npm run generate` when this fails)", () => {
    for (const [name, text] of generatedCrds()) {
      expect(readFileSync(new URL(`../../../crds/${name}`, import.meta.url), "utf8"), name).toBe(
        text,
      );
    }
  });

  it("is a valid CustomResourceDefinition by the kubernetes-models schema", () => {
    expect(() => {
      new CustomResourceDefinition(crd as never).validate();
    }).not.toThrow();
  });

  it("passes the structural lint", () => {
    expect(lintStructural(spec, ".spec")).toEqual([]);
    expect(lintStructural(root.properties.status, ".status")).toEqual([]);
    expect(CRD_FILE).toBe("meshkeeper.dev_meshconfigs.yaml");
  });

  it("is a cluster-scoped singleton with a status subresource and the agreed columns", () => {
    expect(crd.spec.scope).toBe("Cluster");
    expect(version.subresources).toEqual({ status: {} });
    expect(root["x-kubernetes-validations"][0].rule).toBe("self.metadata.name == 'default'");
    expect(version.additionalPrinterColumns.map((c: Schema) => c.name)).toEqual([
      "Ready",
      "Version",
      "Namespace",
      "Reason",
      "Age",
    ]);
  });

  it("never defaults the version and does not enumerate supported versions", () => {
    expect(root.required).toEqual(["spec"]);
    expect(spec.required).toEqual(["version"]);
    expect(spec.properties.version.default).toBeUndefined();
    expect(spec.properties.version.enum).toBeUndefined();
  });

  it("describes every field, so kubectl explain has something to say", () => {
    const undocumented: string[] = [];
    const walk = (node: Schema, path: string) => {
      if (!node.description) undocumented.push(path);
      for (const [key, child] of Object.entries<Schema>(node.properties ?? {}))
        walk(child, `${path}.${key}`);
      if (node.items) walk(node.items, `${path}[*]`);
      if (node.additionalProperties) walk(node.additionalProperties, `${path}.*`);
    };
    walk(spec, "spec");
    walk(root.properties.status, "status");
    expect(undocumented).toEqual([]);
  });

  it("keys lists by their identity and makes immutable what must be", () => {
    expect(spec.properties.gateways["x-kubernetes-list-map-keys"]).toEqual(["namespace", "name"]);
    expect(root.properties.status.properties.conditions["x-kubernetes-list-map-keys"]).toEqual([
      "type",
    ]);
    expect(spec.properties.namespace["x-kubernetes-validations"][0].rule).toBe("self == oldSelf");
    expect(root.properties.status.properties.observedGeneration.default).toBe(-1);
  });
});

/**
 * config/argocd: the argocd-cm snippet is generated from the Lua script and must not be
 * stale; the example Applications carry the sync waves and options docs/gitops.md names.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import {
  HEALTH_KEY,
  LUA_FILE,
  PATCH_FILE,
  argocdCmPatch,
  expectedPatch,
} from "../../../tools/argocd-cm/generate.ts";

const ARGOCD = new URL("../../../config/argocd/", import.meta.url);
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

function yamlFile(name: string): any {
  return parse(readFileSync(new URL(name, ARGOCD), "utf8"));
}

describe("config/argocd/argocd-cm-patch.yaml", () => {
  it("is the generator's output for the committed Lua script (else: node tools/argocd-cm/generate.ts)", () => {
    expect(readFileSync(PATCH_FILE, "utf8")).toBe(expectedPatch());
  });

  it("holds the script byte for byte under the health key of meshkeeper.dev/MeshConfig", () => {
    const patch = parse(readFileSync(PATCH_FILE, "utf8"));
    expect(patch).toMatchObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "argocd-cm", namespace: "argocd" },
    });
    expect(Object.keys(patch.data)).toEqual([HEALTH_KEY]);
    expect(patch.data[HEALTH_KEY]).toBe(readFileSync(LUA_FILE, "utf8"));
  });

  it("keeps any script intact through YAML, blank lines and all", () => {
    const lua = 'local hs = {}\n\n-- "quoted": #not a comment\nhs.status = "Healthy"\nreturn hs\n';
    expect(parse(argocdCmPatch(lua)).data[HEALTH_KEY]).toBe(lua);
  });
});

describe("the example Applications", () => {
  const operator = yamlFile("application-operator.yaml");
  const mesh = yamlFile("application-meshconfig.yaml");

  it("install the operator first (wave -1), then the MeshConfig (wave 1)", () => {
    expect(operator.metadata.annotations["argocd.argoproj.io/sync-wave"]).toBe("-1");
    expect(mesh.metadata.annotations["argocd.argoproj.io/sync-wave"]).toBe("1");
  });

  it("apply server-side, and the MeshConfig skips the dry run while its CRD is missing", () => {
    expect(operator.spec.syncPolicy.syncOptions).toEqual(["ServerSideApply=true"]);
    expect(mesh.spec.syncPolicy.syncOptions).toEqual([
      "ServerSideApply=true",
      "SkipDryRunOnMissingResource=true",
    ]);
    for (const app of [operator, mesh]) {
      expect(app.metadata.annotations["argocd.argoproj.io/compare-options"]).toBe(
        "ServerSideDiff=true",
      );
      expect(app.spec.ignoreDifferences).toBeUndefined();
    }
  });

  it("point at kustomize folders of this repository", () => {
    expect(operator.spec.source.path).toBe("config/default");
    for (const app of [operator, mesh])
      expect(existsSync(`${REPO}${app.spec.source.path}/kustomization.yaml`)).toBe(true);
    const samples = parseAllDocuments(
      readFileSync(`${REPO}config/samples/production.yaml`, "utf8"),
    ).map((d) => d.toJS());
    expect(samples.map((s) => `${s.apiVersion}/${s.kind}/${s.metadata.name}`)).toEqual([
      "meshkeeper.dev/v1alpha1/MeshConfig/default",
    ]);
  });

  it("are what config/argocd/kustomization.yaml lists", () => {
    expect(yamlFile("kustomization.yaml").resources).toEqual([
      "application-operator.yaml",
      "application-meshconfig.yaml",
    ]);
  });
});

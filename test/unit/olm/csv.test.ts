/**
 * The ClusterServiceVersion says what config/ says (Deployment, RBAC), lists what the
 * operator needs (every supported Istio version's images) and carries the OperatorHub
 * metadata issue 7 asks for. Read from the committed bundle, which bundle.test.ts keeps
 * equal to the generator's output.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_DIR, CATALOG_DIR, SAMPLE } from "../../../operator/olm/bundle.ts";
import { withoutCrdWrites } from "../../../operator/olm/csv.ts";
import { findObject as findTyped, kustomize, REPO_ROOT } from "../../../operator/olm/kustomize.ts";
import { ISTIO_MINORS } from "../../../operator/render/istio-versions.ts";

/** Tests walk the rendered objects freely. */
const findObject = (list: readonly any[], kind: string, name?: string): any =>
  findTyped(list, kind, name);

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
const csv: any = parse(read(`${BUNDLE_DIR}/manifests/meshkeeper.clusterserviceversion.yaml`));
const bundleCrds: any[] = readdirSync(join(REPO_ROOT, BUNDLE_DIR, "manifests"))
  .filter((file) => !file.includes("clusterserviceversion"))
  .map((file) => parse(read(`${BUNDLE_DIR}/manifests/${file}`)));
const istioCrdNames = readdirSync(join(REPO_ROOT, "crds"))
  .filter((file) => file.includes(".istio.io_"))
  .map((file) => {
    const [group, plural] = file.replace(/\.yaml$/, "").split("_");
    return `${plural ?? ""}.${group ?? ""}`;
  })
  .sort();
let config: any[] = [];

beforeAll(async () => {
  config = [...(await kustomize("config/rbac")), ...(await kustomize("config/manager"))];
});

describe("ClusterServiceVersion", () => {
  it("is meshkeeper.v<package version>, installable in all namespaces only", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(csv.metadata.name).toBe(`meshkeeper.v${pkg.version}`);
    expect(csv.spec.version).toBe(pkg.version);
    expect(csv.spec.installModes.filter((m: any) => m.supported)).toEqual([
      { type: "AllNamespaces", supported: true },
    ]);
    expect(csv.spec.installModes).toHaveLength(4);
  });

  it("carries the OperatorHub listing", () => {
    const { annotations } = csv.metadata;
    expect(annotations.categories).toBe("Networking,Security");
    expect(annotations.capabilities).toBe("Seamless Upgrades");
    expect(annotations.containerImage).toBe(
      findObject(config, "Deployment").spec.template.spec.containers[0].image,
    );
    for (const field of ["displayName", "description", "keywords", "maintainers", "provider"])
      expect(csv.spec[field], field).toBeTruthy();
    expect(csv.spec.links.length).toBeGreaterThan(0);
    expect(csv.spec.maturity).toBe("alpha");
    expect(csv.spec.minKubeVersion).toMatch(/^1\.\d+\.0$/);
    expect(csv.spec.icon[0].mediatype).toBe("image/svg+xml");
    expect(Buffer.from(csv.spec.icon[0].base64data, "base64").toString()).toContain("<svg");
  });

  it("runs the Deployment of config/manager and grants the RBAC of config/rbac", () => {
    const { spec } = csv.spec.install;
    const deployment = findObject(config, "Deployment");
    // The same Deployment, told that OLM (not the operator) installs Istio's CRDs.
    const container = deployment.spec.template.spec.containers[0];
    const args = [...(container?.args ?? []), "--istio-crds=external"];
    const expected = structuredClone(deployment.spec);
    const [first] = expected.template.spec.containers;
    if (first) first.args = args;
    expect(spec.deployments).toEqual([
      { name: "meshkeeper", label: deployment.metadata.labels, spec: expected },
    ]);
    expect(spec.permissions).toEqual([
      { serviceAccountName: "meshkeeper", rules: findObject(config, "Role").rules },
    ]);
    const clusterRules = findObject(config, "ClusterRole").rules;
    expect(spec.clusterPermissions).toEqual([
      { serviceAccountName: "meshkeeper", rules: withoutCrdWrites(clusterRules) },
    ]);
    // Under OLM the bundle installs the CRDs: only the rule writing Istio's CRDs is left out.
    expect(clusterRules.length - withoutCrdWrites(clusterRules).length).toBe(1);
    expect(JSON.stringify(spec.clusterPermissions)).not.toMatch(/"\*"/);
  });

  it("owns the MeshConfig CRD and Istio's, which are internal objects", () => {
    const owned = csv.spec.customresourcedefinitions.owned;
    expect(owned.map((o: any) => o.name).sort()).toEqual(
      ["meshconfigs.meshkeeper.dev", ...istioCrdNames].sort(),
    );
    expect(bundleCrds.map((crd) => crd.metadata.name).sort()).toEqual(
      owned.map((o: any) => o.name).sort(),
    );
    expect(
      JSON.parse(csv.metadata.annotations["operators.operatorframework.io/internal-objects"]).sort(),
    ).toEqual(istioCrdNames);
    for (const o of owned) expect(o.description, o.name).toBeTruthy();
  });

  it("gives one example per owned kind, the MeshConfig one being the production sample", () => {
    const examples = JSON.parse(csv.metadata.annotations["alm-examples"]);
    expect(examples[0]).toEqual(parse(read(SAMPLE)));
    const kinds = (list: any[]) => list.map((o) => `${o.kind}`).sort();
    expect(kinds(examples)).toEqual(kinds(csv.spec.customresourcedefinitions.owned));
    for (const example of examples) {
      const crd = bundleCrds.find((c) => c.spec.names.kind === example.kind);
      const served = crd.spec.versions.map((v: any) => `${crd.spec.group}/${v.name}`);
      expect(served, example.kind).toContain(example.apiVersion);
    }
  });

  it("describes spec and status fields that exist in the CRD", () => {
    const mesh = csv.spec.customresourcedefinitions.owned[0];
    const crd = bundleCrds.find((c) => c.metadata.name === mesh.name);
    const root = crd.spec.versions[0].schema.openAPIV3Schema.properties;
    const exists = (schema: any, path: string) =>
      path.split(".").reduce((node, key) => node?.properties?.[key], schema) !== undefined;
    for (const d of mesh.specDescriptors) expect(exists(root.spec, d.path), d.path).toBe(true);
    for (const d of mesh.statusDescriptors) expect(exists(root.status, d.path), d.path).toBe(true);
    expect(mesh.statusDescriptors.map((d: any) => d.path)).toContain("conditions");
  });

  it("lists the operator image and every supported Istio version's images", () => {
    const images = csv.spec.relatedImages.map((r: any) => r.image);
    expect(images).toContain(csv.metadata.annotations.containerImage);
    for (const minor of ISTIO_MINORS)
      for (const patch of minor.patches)
        for (const name of ["pilot", "proxyv2"])
          expect(images).toContain(`docker.io/istio/${name}:${minor.minor}.${patch}`);
    const names = csv.spec.relatedImages.map((r: any) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("is listed in the file-based catalog's stable channel", () => {
    const docs = parseAllDocuments(read(`${CATALOG_DIR}/meshkeeper/catalog.yaml`)).map((d) =>
      d.toJS(),
    );
    expect(docs.map((d) => d.schema)).toEqual(["olm.package", "olm.channel", "olm.bundle"]);
    expect(docs[1]).toMatchObject({ name: "stable", entries: [{ name: csv.metadata.name }] });
    expect(docs[2].name).toBe(csv.metadata.name);
    expect(docs[2].image).toMatch(/^quay\.io\/meshkeeper\/meshkeeper-bundle:v/);
  });
});

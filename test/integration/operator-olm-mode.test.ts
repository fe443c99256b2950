/**
 * Under OLM (`run --istio-crds=external`) the bundle installs Istio's CRDs and the CSV
 * grants no CRD writes: the operator must wait for them and never write one. It runs here
 * with exactly the permissions the committed CSV grants (clusterPermissions and
 * permissions, under a ServiceAccount token), and fails on any 403.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import type { PolicyRule } from "../../operator/olm/csv.ts";
import { CRDS_DIR } from "../../operator/render/istio-crds.ts";
import { lookupVersion } from "../../operator/render/istio-versions.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness, until } from "./operator-harness.ts";
import { RestrictedIdentity } from "./restricted-identity.ts";

const CSV = new URL(
  "../../olm/bundle/manifests/meshkeeper.clusterserviceversion.yaml",
  import.meta.url,
);

interface InstallSpec {
  clusterPermissions: { rules: PolicyRule[] }[];
  permissions: { rules: PolicyRule[] }[];
}

const identity = new RestrictedIdentity();
let harness: OperatorHarness;

beforeAll(async () => {
  await installMeshConfigCrd();
  const csv = parse(readFileSync(CSV, "utf8")) as { spec: { install: { spec: InstallSpec } } };
  const install = csv.spec.install.spec;
  await identity.grant(
    install.clusterPermissions.flatMap((p) => p.rules),
    install.permissions.flatMap((p) => p.rules),
  );
  // What OLM does from the bundle: Istio's CRDs are there before the operator needs them.
  for (const file of readdirSync(CRDS_DIR).filter((f) => f.includes(".istio.io_")))
    await identity.apply(parse(readFileSync(`${CRDS_DIR}${file}`, "utf8")) as ApplyTarget);
  // The Gateway API's are the cluster's under OLM (the bundle has none): a platform installed
  // the standard channel the mesh's Istio minor needs.
  const gatewayApi = `${CRDS_DIR}gateway-api/${lookupVersion(mesh().spec.version).gatewayAPI}/`;
  for (const file of readdirSync(gatewayApi))
    await identity.apply(parse(readFileSync(`${gatewayApi}${file}`, "utf8")) as ApplyTarget);
  harness = new OperatorHarness(await identity.kubeConfig(), {
    istioCrds: "external",
    log: identity.log,
    identity: "olm-0",
    leaderElection: { namespace: identity.namespace, name: "meshkeeper-leader" },
  });
  await harness.start();
}, 120_000);

afterAll(async () => {
  try {
    await harness.deleteMeshConfig(60_000, identity.admin);
  } finally {
    try {
      await harness.stop();
    } finally {
      await identity.remove();
    }
  }
}, 120_000);

describe("the operator under OLM", () => {
  it("reaches Ready on CRDs someone else installed, with the CSV's permissions only", async () => {
    await identity.apply(mesh({ gateways: [] }));
    await until(
      "Ready=True without a 403",
      async () => {
        identity.assertNoRefusal();
        const mc = await harness.meshConfig();
        const current = mc?.status?.observedGeneration === mc?.metadata.generation;
        return current && harness.condition(mc, "Ready")?.status === "True";
      },
      90_000,
    );
    const metrics = await harness.manager.metrics.text();
    expect(metrics).toMatch(/meshkeeper_api_writes_total\{verb="apply",kind="Deployment"\} [1-9]/);
    expect(metrics).not.toMatch(/kind="CustomResourceDefinition"/);
    expect(identity.forbidden()).toEqual([]);
  }, 120_000);
});

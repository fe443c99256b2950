/**
 * Under OLM (`run --istio-crds=external`) the bundle installs Istio's CRDs and the CSV
 * grants no CRD writes: the operator must wait for them and never write one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { CRDS_DIR } from "../../operator/render/istio-crds.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";

let harness: OperatorHarness;

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = new OperatorHarness(adminConfig(), { istioCrds: "external" });
  // What OLM does from the bundle: Istio's CRDs are there before the operator needs them.
  for (const file of readdirSync(CRDS_DIR).filter((f) => f.includes(".istio.io_")))
    await harness.applyAsUser(parse(readFileSync(`${CRDS_DIR}${file}`, "utf8")) as ApplyTarget);
  await harness.start();
});

afterAll(async () => {
  await harness.client.send({ method: "DELETE", path: MESH_PATH }).catch(() => undefined);
  await until("the MeshConfig to be gone", async () => !(await harness.meshConfig()), 60_000);
  await harness.stop();
});

describe("the operator under OLM", () => {
  it("reaches Ready on CRDs someone else installed, writing none of them", async () => {
    await harness.applyAsUser(mesh({ gateways: [] }));
    await harness.waitForCondition("Ready", "True");
    const metrics = await harness.manager.metrics.text();
    expect(metrics).toMatch(/meshkeeper_api_writes_total\{verb="apply",kind="Deployment"\} [1-9]/);
    expect(metrics).not.toMatch(/kind="CustomResourceDefinition"/);
  });
});

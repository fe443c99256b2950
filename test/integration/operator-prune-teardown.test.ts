/**
 * The operator's edges on the real API server: pruning what a disabled feature and a
 * changed revision leave behind, `deletionPolicy: Delete` taking the generated CA with the
 * mesh, and a teardown that someone else's finalizer blocks: status says what it waits
 * for, and the finalizer is released after the teardown deadline instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { EGRESS, INGRESS, mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";

const TEARDOWN_TIMEOUT_MS = 8_000;
const HOLD = "example.com/hold";
const CA_SECRETS = ["cacerts", "meshkeeper-root-ca"];

let harness: OperatorHarness;

const deployment = (name: string, namespace: string): ApplyTarget => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
});
const secret = (name: string): ApplyTarget => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "istio-system" },
});

async function list(path: string): Promise<{ metadata: { name: string; namespace?: string } }[]> {
  return (
    await harness.client.send<{ items: { metadata: { name: string; namespace?: string } }[] }>({
      method: "GET",
      path,
      query: { labelSelector: "app.kubernetes.io/managed-by=meshkeeper" },
    })
  ).items;
}

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig(), {
    teardownTimeoutMs: TEARDOWN_TIMEOUT_MS,
  }).start();
  await harness.deleteMeshConfig();
});

afterAll(async () => {
  const held = deployment(INGRESS.name, INGRESS.namespace);
  if (await harness.get(held)) await harness.edit(held, { metadata: { finalizers: null } });
  await harness.deleteMeshConfig();
  for (const name of CA_SECRETS) await harness.ssa.delete(secret(name));
  await harness.stop();
});

describe("the operator's pruning and teardown", () => {
  it("prunes the objects of a feature turned off: DenyAll's policies, a gateway's autoscaler", async () => {
    await harness.applyAsUser(mesh());
    await harness.waitForCondition("Ready", "True");
    const policiesPath = "/apis/security.istio.io/v1/authorizationpolicies";
    const autoscalersPath = "/apis/autoscaling/v2/horizontalpodautoscalers";
    expect((await list(policiesPath)).length).toBeGreaterThanOrEqual(3); // allow-nothing + 2 gateways
    expect((await list(autoscalersPath)).map((o) => o.metadata.name)).toEqual([INGRESS.name]);
    const deploymentsBefore = (await list("/apis/apps/v1/deployments")).length;

    await harness.applyAsUser(
      mesh({
        security: { mtls: "STRICT", authorization: "AllowAll" },
        gateways: [{ ...INGRESS, replicas: 1, autoscaling: { enabled: false } }, EGRESS],
      }),
    );
    await until("DenyAll's policies to be pruned", async () => !(await list(policiesPath)).length);
    await until("the autoscaler to be pruned", async () => !(await list(autoscalersPath)).length);
    await harness.waitForCondition("Ready", "True");
    // Nothing else went: the workloads are all still there.
    expect((await list("/apis/apps/v1/deployments")).length).toBe(deploymentsBefore);
  });

  it("replaces the control plane's objects when the revision changes, pruning the old names", async () => {
    await harness.applyAsUser(mesh({ revision: "canary" }));
    await until(
      "istiod-canary to exist and istiod to be pruned",
      async () =>
        (await harness.get(deployment("istiod-canary", "istio-system"))) !== undefined &&
        (await harness.get(deployment("istiod", "istio-system"))) === undefined,
      60_000,
    );
    await harness.waitForCondition("Ready", "True");
    const names = (await list("/api/v1/namespaces/istio-system/services")).map(
      (o) => o.metadata.name,
    );
    expect(names).toContain("istiod-canary");
    expect(names).not.toContain("istiod");
  });

  it("deletes the generated CA with the mesh when deletionPolicy is Delete", async () => {
    await harness.applyAsUser(
      mesh({ certificateAuthority: { type: "SelfSigned", deletionPolicy: "Delete" } }),
    );
    await harness.waitForCondition("Ready", "True");
    for (const name of CA_SECRETS) expect(await harness.get(secret(name))).toBeDefined();
    await harness.deleteMeshConfig();
    for (const name of CA_SECRETS) expect(await harness.get(secret(name))).toBeUndefined();
  });

  it("reports what blocks a teardown, and releases the finalizer after the deadline", async () => {
    // deletionPolicy Delete: a teardown that completed would take the CA with it.
    await harness.applyAsUser(
      mesh({ certificateAuthority: { type: "SelfSigned", deletionPolicy: "Delete" } }),
    );
    const mc = await harness.waitForCondition("Ready", "True");
    // Someone else's finalizer keeps the ingress gateway from ever going away.
    const held = deployment(INGRESS.name, INGRESS.namespace);
    await harness.edit(held, { metadata: { finalizers: [HOLD] } });
    await harness.client.send({ method: "DELETE", path: MESH_PATH });
    let deletedAt = Number.NaN;
    const blocked = await until("status to say what the teardown waits for", async () => {
      const live = await harness.meshConfig();
      // The deadline runs from deletionTimestamp, which has whole seconds.
      deletedAt = Date.parse(live?.metadata.deletionTimestamp ?? "");
      const reconciling = harness.condition(live, "Reconciling");
      return reconciling?.reason === "Deleting" && reconciling.message.includes(INGRESS.name)
        ? reconciling
        : undefined;
    });
    expect(blocked.message).toMatch(/^tearing the mesh down: /);
    await until("the finalizer to be released", async () => !(await harness.meshConfig()), 60_000);
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(TEARDOWN_TIMEOUT_MS);
    const events = await harness.client.send<{
      items: { reason: string; type: string; note: string; regarding: { uid: string } }[];
    }>({ method: "GET", path: "/apis/events.k8s.io/v1/namespaces/default/events" });
    const timedOut = events.items.find(
      (e) => e.reason === "TeardownTimedOut" && e.regarding.uid === mc.metadata.uid,
    );
    expect(timedOut?.type).toBe("Warning");
    expect(timedOut?.note).toContain(INGRESS.name);
    // Released, not finished: the CA of a teardown that did not complete stays, even
    // under deletionPolicy Delete.
    for (const name of CA_SECRETS) expect(await harness.get(secret(name))).toBeDefined();
  });
});

/**
 * Data-plane skew on the real API server: pods in the shape Istio's injector leaves them
 * (sidecar.istio.io/status with the revision, an istio-proxy container at the proxy
 * version, the canonical-name label), scheduled onto KWOK nodes; the operator counts them
 * per revision in status.revisions. After an in-place upgrade every pod still runs the old
 * proxy, so status says they are outdated; as pods are recreated with the new proxy the
 * count falls, and a count that did not change costs no write. The operator never touches
 * the pods (it may only list them).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RevisionStatus } from "../../operator/api/mesh-config-status.ts";
import { injectedPod as fixturePod } from "../fixtures/injected-pod.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness, until } from "./operator-harness.ts";

const NAMESPACE = "skew-apps";
const OLD = "1.30.5";
const NEW = "1.31.1";
const RESYNC_MS = 500;

let harness: OperatorHarness;

function injectedPod(name: string, proxy: string, revision = "default") {
  return fixturePod({ name, namespace: NAMESPACE, revision, proxy });
}

/** A pod nobody injected (no status annotation): never counted, whatever its labels. */
function plainPod(name: string) {
  const pod = injectedPod(name, OLD);
  return { ...pod, metadata: { ...pod.metadata, annotations: {} } };
}

async function createPod(pod: object): Promise<void> {
  await harness.client.send({
    method: "POST",
    path: `/api/v1/namespaces/${NAMESPACE}/pods`,
    body: pod,
  });
}

async function deletePod(name: string): Promise<void> {
  await harness.client.send({
    method: "DELETE",
    path: `/api/v1/namespaces/${NAMESPACE}/pods/${name}`,
    body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 },
  });
}

async function revisions(): Promise<RevisionStatus[]> {
  return (await harness.meshConfig())?.status?.revisions ?? [];
}

async function untilCounts(
  what: string,
  expected: { pods: number; outdatedProxies: number },
  ms = 60_000,
): Promise<RevisionStatus> {
  return until(
    what,
    async () => {
      const found = (await revisions()).find((r) => r.name === "default");
      return (
        found?.pods === expected.pods && found.outdatedProxies === expected.outdatedProxies && found
      );
    },
    ms,
  );
}

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig(), { dataPlaneResyncMs: RESYNC_MS }).start();
  await harness.deleteMeshConfig();
  await harness.client
    .send({
      method: "POST",
      path: "/api/v1/namespaces",
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
    })
    .catch((error: unknown) => {
      if ((error as { status?: number }).status !== 409) throw error;
    });
});

afterAll(async () => {
  await harness.deleteMeshConfig();
  await harness.client.send({ method: "DELETE", path: `/api/v1/namespaces/${NAMESPACE}` });
  await harness.stop();
});

describe("data-plane skew in status.revisions", () => {
  it("counts injected pods per revision; none is outdated at the mesh's version", async () => {
    await harness.applyAsUser(mesh({ version: OLD }));
    await harness.waitForCondition("Ready", "True", undefined, 120_000);
    for (const name of ["shop-a", "shop-b", "shop-c"]) await createPod(injectedPod(name, OLD));
    await createPod(plainPod("not-injected"));
    const entry = await untilCounts("3 pods at the current proxy", { pods: 3, outdatedProxies: 0 });
    expect(entry.version).toBe(OLD);
  }, 240_000);

  it("after an in-place upgrade, status says every pod runs an older proxy", async () => {
    await harness.applyAsUser(mesh({ version: NEW }));
    const entry = await untilCounts("3 outdated proxies", { pods: 3, outdatedProxies: 3 }, 120_000);
    expect(entry.version).toBe(NEW);
    await harness.waitForCondition("Ready", "True", undefined, 120_000);
    // The operator never restarts user workloads by default: the pods are the same ones.
    const pod = await harness.client.send<{ metadata: { deletionTimestamp?: string } }>({
      method: "GET",
      path: `/api/v1/namespaces/${NAMESPACE}/pods/shop-a`,
    });
    expect(pod.metadata.deletionTimestamp).toBeUndefined();
  }, 240_000);

  it("counts fall as pods come back with the new proxy; an unchanged count writes nothing", async () => {
    await deletePod("shop-a");
    await createPod(injectedPod("shop-a2", NEW));
    await untilCounts("2 outdated proxies", { pods: 3, outdatedProxies: 2 });
    // Several data-plane resyncs with nothing changed: zero writes of any kind.
    await harness.settle();
    const before = harness.writes();
    await sleep(RESYNC_MS * 8);
    expect(harness.writes()).toBe(before);
    // A pod injected by another control plane (revision canary) is not this revision's.
    await createPod(injectedPod("other-rev", NEW, "canary"));
    await sleep(RESYNC_MS * 4);
    expect((await revisions()).find((r) => r.name === "default")).toMatchObject({
      pods: 3,
      outdatedProxies: 2,
    });
  }, 120_000);
});

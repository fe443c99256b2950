/**
 * In-place upgrades on the real API server (scheduler, controller-manager, KWOK):
 *   - a minor upgrade whose new istiod pod is held unready (the node it must run on is taken
 *     away, so it stays Pending beside the old pod): sampled all along, status never says
 *     Ready for the rolling generation, names istiod in status.rollout, and the gateway keeps
 *     its old proxy until istiod has rolled out; released, everything rolls and Ready follows;
 *   - a patch downgrade inside the minor converges;
 *   - a jump of two minors is refused (Stalled, the reason names spec.version) and touches
 *     nothing; going back to a supported step converges again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../operator/kube/object.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { KWOK_NODE_LABEL } from "../../operator/local/kwok-stages.ts";
import { rolloutOf } from "../../operator/reconcile/rollout.ts";
import { EGRESS, mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness, until } from "./operator-harness.ts";

/** istiod runs only on nodes with this label; taking it off holds new istiod pods Pending. */
const HOLD_LABEL = "meshkeeper.dev/upgrade-test";
const CA_SECRETS = ["cacerts", "meshkeeper-root-ca"];
const ISTIOD: ApplyTarget = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "istiod", namespace: "istio-system" },
};
const GATEWAY: ApplyTarget = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: EGRESS.name, namespace: EGRESS.namespace },
};

const spec = (version: string) =>
  mesh({
    version,
    controlPlane: {
      replicas: 1,
      autoscaling: { enabled: false },
      nodeSelector: { [HOLD_LABEL]: "run" },
    },
    gateways: [EGRESS],
  });

let harness: OperatorHarness;

async function nodeNames(): Promise<string[]> {
  const nodes = await harness.client.send<{ items: { metadata: { name: string } }[] }>({
    method: "GET",
    path: "/api/v1/nodes",
    query: { labelSelector: KWOK_NODE_LABEL },
  });
  return nodes.items.map((n) => n.metadata.name);
}

/** Puts the label on every KWOK node (value "run") or takes it off (null). */
async function labelNodes(value: "run" | null): Promise<void> {
  for (const name of await nodeNames())
    await harness.client.send({
      method: "PATCH",
      path: `/api/v1/nodes/${name}`,
      body: { metadata: { labels: { [HOLD_LABEL]: value } } },
      contentType: "application/merge-patch+json",
    });
}

const proxyVersionOf = (gateway: KubeObject | undefined) =>
  (
    gateway?.spec as
      { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined
  )?.template?.metadata?.annotations?.["meshkeeper.dev/proxy-version"];

async function ready(ms = 120_000) {
  try {
    return await harness.waitForCondition("Ready", "True", undefined, ms);
  } catch (error) {
    const conditions = (await harness.meshConfig())?.status?.conditions ?? [];
    const why = conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join("\n");
    throw new Error(`${(error as Error).message}\n${why}`, { cause: error });
  }
}

interface Sample {
  readonly readyForTarget: boolean;
  readonly rolling: string | undefined;
  readonly istiodDone: boolean;
  readonly gatewayProxy: string | undefined;
}

async function sample(target: number): Promise<Sample> {
  const mc = await harness.meshConfig();
  const readyCondition = mc?.status?.conditions?.find((c) => c.type === "Ready");
  return {
    readyForTarget:
      mc?.metadata.generation === target &&
      mc.status?.observedGeneration === target &&
      readyCondition?.status === "True",
    rolling: (mc?.status as { rollout?: { component?: string } } | undefined)?.rollout?.component,
    istiodDone: rolloutOf(await harness.get<KubeObject>(ISTIOD)).done,
    gatewayProxy: proxyVersionOf(await harness.get<KubeObject>(GATEWAY)),
  };
}

/** The 1.30.5 -> 1.31.1 upgrade with the nodes taken away from istiod, then given back. */
async function heldUpgrade(): Promise<void> {
  const target = ((await harness.meshConfig())?.metadata.generation ?? 0) + 1;
  await harness.applyAsUser(spec("1.31.1"));
  // The new istiod pod is created and stays Pending beside the old one.
  await until("the new istiod pod Pending", async () => {
    const pods = await harness.client.send<{ items: { status?: { phase?: string } }[] }>({
      method: "GET",
      path: "/api/v1/namespaces/istio-system/pods",
      query: { labelSelector: "app=istiod" },
    });
    return pods.items.some((p) => p.status?.phase === "Pending");
  });
  const held: Sample[] = [];
  const end = Date.now() + 4_000;
  while (Date.now() < end) {
    held.push(await sample(target));
    await sleep(100);
  }
  expect(held.filter((s) => s.readyForTarget)).toEqual([]);
  expect(held.every((s) => !s.istiodDone)).toBe(true);
  expect(held.at(-1)?.rolling).toMatch(/^istiod /);
  // The gateway is applied only after istiod's rollout: it still runs the old proxy.
  expect(held.every((s) => s.gatewayProxy === "1.30.5")).toBe(true);
  const status = (await harness.meshConfig())?.status;
  const controlPlane = status?.conditions?.find((c) => c.type === "ControlPlaneReady");
  expect(controlPlane?.status).toBe("False");

  // Released: sample until Ready; no Ready before both rolled out.
  await labelNodes("run");
  const released: Sample[] = [];
  await until(
    "Ready for the upgraded generation",
    async () => {
      const s = await sample(target);
      released.push(s);
      return s.readyForTarget;
    },
    120_000,
  );
  const early = released.filter(
    (s) => s.readyForTarget && (!s.istiodDone || s.gatewayProxy !== "1.31.1"),
  );
  expect(early).toEqual([]);
  const gateway = await harness.get<KubeObject>(GATEWAY);
  expect(proxyVersionOf(gateway)).toBe("1.31.1");
  expect(rolloutOf(gateway).done).toBe(true);
  const after = await harness.meshConfig();
  expect(after?.status?.istioVersion).toBe("1.31.1");
  expect((after?.status as { rollout?: unknown }).rollout).toBeUndefined();
}

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig()).start();
  await labelNodes("run");
  await harness.deleteMeshConfig();
});

afterAll(async () => {
  await labelNodes("run");
  await harness.deleteMeshConfig(120_000);
  for (const name of CA_SECRETS)
    await harness.ssa.delete({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "istio-system" },
    });
  await labelNodes(null);
  await harness.stop();
});

describe("in-place upgrades on the local control plane", () => {
  it("installs 1.30.5", async () => {
    await harness.applyAsUser(spec("1.30.5"));
    await ready();
    expect(proxyVersionOf(await harness.get<KubeObject>(GATEWAY))).toBe("1.30.5");
  }, 180_000);

  it("a minor upgrade held mid-rollout never reports Ready, then rolls istiod before the gateway", async () => {
    await labelNodes(null);
    try {
      await heldUpgrade();
    } finally {
      await labelNodes("run");
    }
  }, 240_000);

  it("a patch downgrade inside the minor converges", async () => {
    await harness.applyAsUser(spec("1.31.0"));
    await ready();
    expect(proxyVersionOf(await harness.get<KubeObject>(GATEWAY))).toBe("1.31.0");
  }, 180_000);

  it("refuses a jump of two minors and touches nothing, then takes a supported step", async () => {
    const before = await harness.get<KubeObject>(ISTIOD);
    await harness.applyAsUser(spec("1.29.9"));
    const stalled = await harness.waitForCondition("Stalled", "True", "UnsupportedVersion");
    const message = stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "";
    expect(message).toContain("spec.version");
    expect(message).toContain("1.31.0");
    await harness.settle();
    const after = await harness.get<KubeObject>(ISTIOD);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    await harness.applyAsUser(spec("1.30.5"));
    await ready();
    expect(proxyVersionOf(await harness.get<KubeObject>(GATEWAY))).toBe("1.30.5");
  }, 180_000);
});

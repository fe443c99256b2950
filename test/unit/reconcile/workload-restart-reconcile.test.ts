/**
 * spec.updateStrategy.updateWorkloads through reconcile(), against the in-memory API server:
 * after an in-place upgrade, the Deployments of injected pods on the old proxy (found from
 * the pods through their ReplicaSets) are restarted a batch at a time, each batch awaited;
 * off, nothing is touched; while istiod still rolls, nothing starts; status and events say
 * how far it is, and a new reconciler (an operator restart) carries on from the cluster.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RESTARTED_FOR_ANNOTATION } from "../../../operator/api/distribution.ts";
import { INJECTED_POD_SELECTOR } from "../../../operator/reconcile/data-plane.ts";
import { Reconciler } from "../../../operator/reconcile/reconciler.ts";
import { RESTARTED_AT_ANNOTATION } from "../../../operator/reconcile/workload-restart.ts";
import { injectedPod } from "../../fixtures/injected-pod.ts";
import { World } from "./reconcile-world.ts";

const APPS = ["cart", "shop", "web"];

function podReconciler(world: World): Reconciler {
  return new Reconciler({
    cache: world.cluster,
    meshConfigs: world.cluster,
    api: world.cluster,
    log: pino({ level: "silent" }),
    clock: { now: () => world.now },
    events: {
      record: (_regarding, type, reason, note) => {
        world.events.push({ type, reason, note });
      },
    },
    pods: {
      list: () =>
        Promise.resolve(
          world.cluster
            .all()
            .filter((o) => o.kind === "Pod" && o.metadata.labels?.[INJECTED_POD_SELECTOR]),
        ),
    },
  });
}

/** A Deployment, its ReplicaSet and one injected pod of it at the old proxy. */
async function app(world: World, name: string, proxy = "1.30.5"): Promise<void> {
  const owner = (kind: string, n: string) => [
    { apiVersion: "apps/v1", kind, name: n, uid: `${n}-uid`, controller: true },
  ];
  await world.cluster.put({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "apps" },
    spec: { replicas: 1, template: { metadata: { annotations: {} } } },
  });
  await world.cluster.put({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${name}-5d9f`,
      namespace: "apps",
      ownerReferences: owner("Deployment", name),
    },
  });
  const pod = injectedPod({
    name: `${name}-5d9f-x`,
    namespace: "apps",
    revision: "default",
    proxy,
  });
  await world.cluster.put({
    ...pod,
    metadata: { ...pod.metadata, ownerReferences: owner("ReplicaSet", `${name}-5d9f`) },
  });
}

function template(world: World, name: string): Record<string, string> {
  const live = world.find("Deployment", name, "apps") as
    { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined;
  return live?.spec?.template?.metadata?.annotations ?? {};
}

/** The Deployment controller's word: rolled out, or still rolling. */
function rollout(world: World, name: string, done: boolean): void {
  world.cluster.setStatus(
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "apps" } },
    done
      ? {
          observedGeneration: 99,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
          conditions: [{ type: "Available", status: "True" }],
        }
      : { observedGeneration: 0 },
  );
}

const restarted = (world: World) => APPS.filter((n) => template(world, n)[RESTARTED_AT_ANNOTATION]);

/** The counter lists pods at most every 5 s. */
function later(world: World): void {
  world.now = new Date(world.now.getTime() + 6_000);
}

async function upgraded(strategy: object): Promise<World> {
  const world = new World();
  world.reconciler = podReconciler(world);
  for (const name of APPS) await app(world, name);
  await world.meshConfig({ version: "1.30.5", updateStrategy: strategy });
  await world.converge();
  expect(restarted(world)).toEqual([]);
  await world.meshConfig({ version: "1.31.1", updateStrategy: strategy });
  later(world);
  return world;
}

async function workloadRestart(world: World) {
  return (await world.status()).mc?.status?.workloadRestart;
}

describe("reconcile() with updateWorkloads", () => {
  it("off (the default): an upgrade restarts nothing", async () => {
    const world = await upgraded({});
    await world.converge();
    later(world);
    await world.reconcile();
    expect(restarted(world)).toEqual([]);
    expect(
      world.cluster.writes.filter((w) => w.kind === "Deployment" && APPS.includes(w.name)),
    ).toEqual([]);
    expect(await workloadRestart(world)).toBeUndefined();
  });

  it("on: batches of two, each awaited; never twice for the same target", async () => {
    const world = await upgraded({ updateWorkloads: true, updateWorkloadsBatchSize: 2 });
    const first = await world.reconcile();
    expect(restarted(world)).toEqual(["cart", "shop"]);
    expect(template(world, "cart")[RESTARTED_FOR_ANNOTATION]).toBe("default/1.31.1");
    expect(first.requeueAfterMs).toBeLessThanOrEqual(3_000);
    expect(await workloadRestart(world)).toEqual({
      version: "default/1.31.1",
      waiting: 1,
      rolling: ["Deployment apps/cart", "Deployment apps/shop"],
    });
    expect(world.events.filter((e) => e.reason === "WorkloadsRestarted")).toHaveLength(1);
    // cart still rolls (its controller has not caught up): web waits, even across a restart.
    rollout(world, "shop", true);
    rollout(world, "cart", false);
    world.reconciler = podReconciler(world);
    later(world);
    await world.reconcile();
    expect(restarted(world)).toEqual(["cart", "shop"]);
    expect((await workloadRestart(world))?.rolling).toEqual(["Deployment apps/cart"]);
    // Rolled out: the next batch. The pods keep their old proxies here (no injector), and
    // the restarted workloads are not restarted again.
    rollout(world, "cart", true);
    later(world);
    await world.reconcile();
    expect(restarted(world)).toEqual(APPS);
    const at = template(world, "cart")[RESTARTED_AT_ANNOTATION];
    rollout(world, "web", true);
    later(world);
    await world.reconcile();
    expect(template(world, "cart")[RESTARTED_AT_ANNOTATION]).toBe(at);
    expect(await workloadRestart(world)).toEqual({
      version: "default/1.31.1",
      waiting: 0,
      rolling: [],
    });
  });

  it("on: a refused patch is logged, never the mesh's failure; the next run restarts", async () => {
    const world = await upgraded({ updateWorkloads: true });
    world.cluster.failOn((verb, object) => verb === "patch" && APPS.includes(object.metadata.name));
    const refused = await world.reconcile();
    expect(refused.result).not.toBe("stalled");
    expect(restarted(world)).toEqual([]);
    expect((await world.status()).conditions["Ready"]).toEqual(["True", "MeshReady"]);
    world.cluster.failOn(undefined);
    later(world);
    await world.reconcile();
    expect(restarted(world)).toEqual(["cart"]);
  });

  it("on: nothing while istiod still rolls out", async () => {
    const world = await upgraded({ updateWorkloads: true });
    await world.reconcile();
    expect(restarted(world)).toEqual(["cart"]);
    const istiod = world.find("Deployment", "istiod", "istio-system");
    expect(istiod).toBeDefined();
    world.cluster.setStatus(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "istiod", namespace: "istio-system" },
      },
      { observedGeneration: 0 },
    );
    later(world);
    await world.reconcile();
    expect(restarted(world)).toEqual(["cart"]);
    expect(await workloadRestart(world)).toBeUndefined();
  });
});

/**
 * The data-plane counts through reconcile(), against the in-memory API server: the
 * reconciler lists the injected pods (here: the fake's Pods with the canonical-name label)
 * and status.revisions says, per revision, how many pods use it and how many run an older
 * proxy. A converged mesh with a pod source is re-checked at the data-plane resync; an
 * unchanged count writes nothing; a failed list keeps the last counts (no false zero).
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { INJECTED_POD_SELECTOR } from "../../../operator/reconcile/data-plane.ts";
import { Reconciler } from "../../../operator/reconcile/reconciler.ts";
import { MINIMAL, World } from "./reconcile-world.ts";

const DATA_PLANE_RESYNC_MS = 10_000;

let serial = 0;

function injected(proxy: string, revision = "default"): KubeObject {
  serial += 1;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `app-${serial}`,
      namespace: "apps",
      labels: { [INJECTED_POD_SELECTOR]: "app" },
      annotations: {
        "sidecar.istio.io/status": JSON.stringify({ containers: ["app", "istio-proxy"], revision }),
      },
    },
    spec: {
      containers: [
        { name: "app", image: "example/app:1" },
        { name: "istio-proxy", image: `docker.io/istio/proxyv2:${proxy}` },
      ],
    },
    status: { phase: "Running" },
  };
}

/** A world whose reconciler lists the fake's injected pods, as the manager's PodLister does. */
function worldWithPods(): { world: World; failList: (fail: boolean) => void; lists: () => number } {
  const world = new World();
  let failing = false;
  let lists = 0;
  world.reconciler = new Reconciler({
    cache: world.cluster,
    meshConfigs: world.cluster,
    api: world.cluster,
    log: pino({ level: "silent" }),
    clock: { now: () => world.now },
    dataPlaneResyncMs: DATA_PLANE_RESYNC_MS,
    pods: {
      list: () => {
        lists += 1;
        if (failing) return Promise.reject(new Error("503 the server is busy"));
        return Promise.resolve(
          world.cluster
            .all()
            .filter((o) => o.kind === "Pod" && o.metadata.labels?.[INJECTED_POD_SELECTOR]),
        );
      },
    },
  });
  return {
    world,
    failList: (fail) => {
      failing = fail;
    },
    lists: () => lists,
  };
}

async function defaultEntry(world: World) {
  const { mc } = await world.status();
  return mc?.status?.revisions?.find((r) => r.name === "default");
}

/** The counter lists at most every 5 s: the next run must be later to see new pods. */
function later(world: World, ms = 6_000): void {
  world.now = new Date(world.now.getTime() + ms);
}

describe("reconcile() with the data plane", () => {
  it.each<[string, string[], { pods: number; outdatedProxies: number }]>([
    ["no injected pods", [], { pods: 0, outdatedProxies: 0 }],
    ["pods at the mesh's version", ["1.31.1", "1.31.1"], { pods: 2, outdatedProxies: 0 }],
    ["pods left at older proxies", ["1.30.5", "1.31.1", "1.29.0"], { pods: 3, outdatedProxies: 2 }],
  ])("%s: status.revisions counts them", async (_name, proxies, expected) => {
    const { world } = worldWithPods();
    for (const proxy of proxies) await world.cluster.put(injected(proxy));
    await world.meshConfig(MINIMAL);
    const outcome = await world.converge();
    expect(outcome.result).toBe("success");
    expect(await defaultEntry(world)).toMatchObject({ version: "1.31.1", ...expected });
  });

  it("an in-place upgrade turns every old pod into an outdated proxy, without touching pods", async () => {
    const { world } = worldWithPods();
    for (let i = 0; i < 3; i += 1) await world.cluster.put(injected("1.30.5"));
    await world.meshConfig({ version: "1.30.5" });
    await world.converge();
    expect(await defaultEntry(world)).toMatchObject({ pods: 3, outdatedProxies: 0 });
    await world.meshConfig(MINIMAL);
    await world.converge();
    expect(await defaultEntry(world)).toMatchObject({
      version: "1.31.1",
      pods: 3,
      outdatedProxies: 3,
    });
    expect(world.cluster.writes.filter((w) => w.kind === "Pod")).toEqual([]);
  });

  it("a converged mesh is looked at again at the data-plane resync; unchanged counts write nothing", async () => {
    const { world, lists } = worldWithPods();
    await world.cluster.put(injected("1.30.5"));
    await world.meshConfig(MINIMAL);
    const outcome = await world.converge();
    expect(outcome.requeueAfterMs).toBe(DATA_PLANE_RESYNC_MS);
    const writes = world.cluster.writes.length;
    const listed = lists();
    later(world);
    const again = await world.reconcile();
    expect(again.writes).toBe(0);
    expect(world.cluster.writes.length).toBe(writes);
    expect(lists()).toBe(listed + 1);
    // A new pod with an old proxy: one status write with the new counts.
    await world.cluster.put(injected("1.29.0"));
    later(world);
    const changed = await world.reconcile();
    expect(changed.writes).toBe(1);
    expect(await defaultEntry(world)).toMatchObject({ pods: 2, outdatedProxies: 2 });
  });

  it("lists at most once per interval, however many runs happen", async () => {
    const { world, lists } = worldWithPods();
    await world.meshConfig(MINIMAL);
    await world.converge();
    const listed = lists();
    for (let i = 0; i < 5; i += 1) await world.reconcile();
    expect(lists()).toBe(listed);
  });

  it("a failed pod list keeps the last counts and writes nothing", async () => {
    const { world, failList } = worldWithPods();
    await world.cluster.put(injected("1.30.5"));
    await world.meshConfig(MINIMAL);
    await world.converge();
    expect(await defaultEntry(world)).toMatchObject({ pods: 1, outdatedProxies: 1 });
    failList(true);
    await world.cluster.put(injected("1.30.5"));
    later(world);
    const outcome = await world.reconcile();
    expect(outcome.writes).toBe(0);
    expect(await defaultEntry(world)).toMatchObject({ pods: 1, outdatedProxies: 1 });
    failList(false);
    later(world);
    await world.reconcile();
    expect(await defaultEntry(world)).toMatchObject({ pods: 2, outdatedProxies: 2 });
  });
});

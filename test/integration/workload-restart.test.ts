/**
 * spec.updateStrategy.updateWorkloads on the real API server (Deployment controller,
 * scheduler, KWOK nodes): three Deployments whose pod template looks injected
 * (sidecar.istio.io/status, an istio-proxy container at the old proxy), as if the injector
 * had answered. An in-place upgrade with updateWorkloads off restarts none of them; an
 * upgrade with it on and a batch size of 2 restarts two, waits for both rollouts, then the
 * third, each once (KWOK has no injector: the new pods keep the old proxy, and the
 * restarted-for annotation keeps them from being restarted again). The API server's CEL
 * rule refuses a batch size without updateWorkloads.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTARTED_FOR_ANNOTATION } from "../../operator/api/distribution.ts";
import type { KubeObject } from "../../operator/kube/object.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { KWOK_NODE_LABEL } from "../../operator/local/kwok-stages.ts";
import { rolloutOf } from "../../operator/reconcile/rollout.ts";
import { RESTARTED_AT_ANNOTATION } from "../../operator/reconcile/workload-restart.ts";
import { injectedPod } from "../fixtures/injected-pod.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness, until } from "./operator-harness.ts";

const NAMESPACE = "restart-apps";
const APPS = ["cart", "shop", "web"];
const CA_SECRETS = ["cacerts", "meshkeeper-root-ca"];
/** The apps run only on nodes with this label; taking it off holds their new pods Pending. */
const HOLD_LABEL = "meshkeeper.dev/restart-test";

let harness: OperatorHarness;

const spec = (version: string, updateStrategy: Record<string, unknown> = {}) =>
  mesh({ version, updateStrategy, gateways: [] });

const ref = (name: string): ApplyTarget => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: NAMESPACE },
});

/** A Deployment whose pods come out as Istio's injector leaves them, at proxy 1.30.5. */
function injectedDeployment(app: string) {
  const pod = injectedPod({
    name: app,
    namespace: NAMESPACE,
    revision: "default",
    proxy: "1.30.5",
    app,
  });
  return {
    ...ref(app),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: pod.metadata.labels, annotations: pod.metadata.annotations },
        spec: { ...pod.spec, nodeSelector: { [HOLD_LABEL]: "run" } },
      },
    },
  };
}

type Template = { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
const annotation = (live: KubeObject | undefined, key: string) =>
  (live as Template | undefined)?.spec?.template?.metadata?.annotations?.[key];

const live = (name: string) => harness.get<KubeObject>(ref(name));

async function restarted(): Promise<string[]> {
  const all = await Promise.all(APPS.map(live));
  return APPS.filter((_, i) => annotation(all[i], RESTARTED_AT_ANNOTATION) !== undefined);
}

async function allRolledOut(): Promise<boolean> {
  return (await Promise.all(APPS.map(live))).every((d) => rolloutOf(d).done);
}

/** Puts the label on every KWOK node (value "run") or takes it off (null). */
async function labelNodes(value: "run" | null): Promise<void> {
  const nodes = await harness.client.send<{ items: { metadata: { name: string } }[] }>({
    method: "GET",
    path: "/api/v1/nodes",
    query: { labelSelector: KWOK_NODE_LABEL },
  });
  for (const { metadata } of nodes.items)
    await harness.client.send({
      method: "PATCH",
      path: `/api/v1/nodes/${metadata.name}`,
      body: { metadata: { labels: { [HOLD_LABEL]: value } } },
      contentType: "application/merge-patch+json",
    });
}

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig(), { dataPlaneResyncMs: 500 }).start();
  await harness.deleteMeshConfig();
  await labelNodes("run");
  await harness.applyAsUser({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  for (const app of APPS) await harness.applyAsUser(injectedDeployment(app));
  await until("the apps rolled out", allRolledOut, 60_000);
});

afterAll(async () => {
  await harness.deleteMeshConfig(120_000);
  // The CA Secrets outlive the mesh (deletionPolicy Retain): the next file starts clean.
  const secret = (name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "istio-system" },
  });
  await Promise.all(CA_SECRETS.map((name) => harness.ssa.delete(secret(name))));
  await harness.client.send({ method: "DELETE", path: `/api/v1/namespaces/${NAMESPACE}` });
  await labelNodes(null);
  await harness.stop();
});

describe("updateWorkloads on the local control plane", () => {
  it("refuses a batch size without updateWorkloads (the CEL rule)", async () => {
    await expect(
      harness.applyAsUser(spec("1.30.5", { updateWorkloadsBatchSize: 2 })),
    ).rejects.toThrow(/updateWorkloadsBatchSize applies only with updateWorkloads: true/);
  });

  it("off: an in-place upgrade restarts no workload", async () => {
    await harness.applyAsUser(spec("1.30.5"));
    await harness.waitForCondition("Ready", "True", undefined, 120_000);
    await harness.applyAsUser(spec("1.31.0"));
    await harness.waitForCondition("Ready", "True", undefined, 120_000);
    // Status says the pods are outdated; several data-plane resyncs later nothing restarted.
    await until(
      "3 outdated proxies counted",
      async () => {
        const revisions = (await harness.meshConfig())?.status?.revisions ?? [];
        return revisions.find((r) => r.name === "default")?.outdatedProxies === 3;
      },
      60_000,
    );
    await sleep(7_000);
    expect(await restarted()).toEqual([]);
    expect((await harness.meshConfig())?.status?.workloadRestart).toBeUndefined();
  }, 300_000);

  it("on, batch size 2: an upgrade restarts two Deployments, awaits both, then the third, once", async () => {
    const target = "default/1.31.1";
    // The first batch's new pods cannot schedule: it stays rolling, and web must wait.
    await labelNodes(null);
    try {
      await harness.applyAsUser(
        spec("1.31.1", { updateWorkloads: true, updateWorkloadsBatchSize: 2 }),
      );
      await until(
        "the first batch restarted",
        async () => (await restarted()).length === 2,
        120_000,
      );
      expect(await restarted()).toEqual(["cart", "shop"]);
      const held: string[][] = [];
      const end = Date.now() + 4_000;
      while (Date.now() < end) {
        held.push(await restarted());
        await sleep(200);
      }
      expect(held.filter((r) => r.includes("web"))).toEqual([]);
      expect((await harness.meshConfig())?.status?.workloadRestart).toEqual({
        version: target,
        waiting: 1,
        rolling: ["Deployment restart-apps/cart", "Deployment restart-apps/shop"],
      });
    } finally {
      await labelNodes("run");
    }
    // Sampled all along: the third never starts while one of the first batch still rolls.
    // Read web first: a rollout that is done stays done, so a later read that finds one not
    // done means it was not done when web had already started.
    const early: string[] = [];
    const maxRolling: number[] = [];
    await until(
      "every workload restarted and rolled out",
      async () => {
        const web = await live("web");
        const [cart, shop] = await Promise.all([live("cart"), live("shop")]);
        const webStarted = annotation(web, RESTARTED_FOR_ANNOTATION) === target;
        if (webStarted && !(rolloutOf(cart).done && rolloutOf(shop).done))
          early.push("web started before cart and shop rolled out");
        const all = [cart, shop, web];
        maxRolling.push(
          all.filter(
            (d) => annotation(d, RESTARTED_FOR_ANNOTATION) === target && !rolloutOf(d).done,
          ).length,
        );
        return all.every(
          (d) => annotation(d, RESTARTED_FOR_ANNOTATION) === target && rolloutOf(d).done,
        );
      },
      180_000,
    );
    expect(early).toEqual([]);
    expect(Math.max(...maxRolling)).toBeLessThanOrEqual(2);
    const first = await Promise.all(
      APPS.map(async (a) => annotation(await live(a), RESTARTED_AT_ANNOTATION)),
    );
    // Status says it is done; the Events name the batches.
    await until(
      "status.workloadRestart done",
      async () => {
        const status = (await harness.meshConfig())?.status?.workloadRestart;
        return status?.waiting === 0 && status.rolling.length === 0;
      },
      60_000,
    );
    // Several resyncs later: not restarted again (the new pods still carry the old proxy).
    await sleep(7_000);
    const again = await Promise.all(
      APPS.map(async (a) => annotation(await live(a), RESTARTED_AT_ANNOTATION)),
    );
    expect(again).toEqual(first);
    const events = await harness.client.send<{ items: { reason?: string; note?: string }[] }>({
      method: "GET",
      path: "/apis/events.k8s.io/v1/namespaces/default/events",
    });
    const notes = events.items.filter((e) => e.reason === "WorkloadsRestarted").map((e) => e.note);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Deployment restart-apps/cart, Deployment restart-apps/shop"),
        expect.stringContaining("Deployment restart-apps/web"),
      ]),
    );
  }, 300_000);
});

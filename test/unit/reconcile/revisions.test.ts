/**
 * A RevisionBased upgrade through reconcile() against the in-memory API server
 * (fake-cluster.ts): the second revision beside the first, the default tag held until the
 * new istiod has rolled out, then moved with the gateway, the old revision kept while a
 * pod uses it and for its grace period after, then pruned; zero writes on every no-op run
 * in between, and never Ready while the tag has not moved.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { ConditionType } from "../../../operator/api/conditions.ts";
import type { RevisionStatus } from "../../../operator/api/mesh-config-status.ts";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { Reconciler } from "../../../operator/reconcile/reconciler.ts";
import { IN_USE_POLL_MS } from "../../../operator/reconcile/revision-plan.ts";
import { TAG_PENDING_REASON } from "../../../operator/reconcile/revision-status.ts";
import { VERSION_LABEL } from "../../../operator/render/revisions.ts";
import { World } from "./reconcile-world.ts";

const GATEWAY = { name: "istio-ingressgateway", namespace: "istio-ingress", type: "ingress" };
const at = (version: string, extra: object = {}) => ({
  version,
  updateStrategy: { type: "RevisionBased", ...extra },
  gateways: [GATEWAY],
});

/** A pod as Istio's injector leaves it: the injecting revision in sidecar.istio.io/status. */
function injectedPod(name: string, revision: string, version: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      annotations: { "sidecar.istio.io/status": JSON.stringify({ revision }) },
      labels: { "service.istio.io/canonical-name": name },
    },
    spec: { containers: [{ name: "istio-proxy", image: `docker.io/istio/proxyv2:${version}` }] },
    status: { phase: "Running" },
  };
}

class RevisionWorld extends World {
  /**
   * The pod source is one live array: the data-plane counter may answer from its last list
   * for a few seconds of real time, and it keeps the array it was given.
   */
  readonly pods: KubeObject[] = [];

  constructor() {
    super();
    this.reconciler = new Reconciler({
      cache: this.cluster,
      meshConfigs: this.cluster,
      api: this.cluster,
      log: pino({ level: "silent" }),
      clock: { now: () => this.now },
      pods: { list: () => Promise.resolve(this.pods) },
    });
  }

  later(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  labels(kind: string, name: string, namespace?: string): Record<string, string> {
    return this.find(kind, name, namespace)?.metadata.labels ?? {};
  }

  async revisions(): Promise<RevisionStatus[]> {
    return (await this.status()).mc?.status?.revisions ?? [];
  }

  /** The Deployment controller has not finished: one new pod, not ready. */
  rollingOut(name: string): void {
    const live = this.find("Deployment", name, "istio-system");
    if (!live) throw new Error(`no Deployment ${name}`);
    this.cluster.setStatus(live, {
      observedGeneration: live.metadata.generation,
      replicas: 2,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: "Available", status: "True" }],
    });
  }

  rolledOut(name: string): void {
    const live = this.find("Deployment", name, "istio-system");
    if (!live) throw new Error(`no Deployment ${name}`);
    this.cluster.setStatus(live, {
      observedGeneration: live.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [
        { type: "Available", status: "True" },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
      ],
    });
  }
}

const serviceOf = (webhook: KubeObject | undefined) =>
  (webhook?.webhooks as { clientConfig: { service: { name: string } } }[] | undefined)?.map(
    (w) => w.clientConfig.service.name,
  );
const gatewayRevision = (w: World) =>
  (
    w.find("Deployment", GATEWAY.name, GATEWAY.namespace)?.spec as {
      template: { metadata: { labels: Record<string, string> } };
    }
  ).template.metadata.labels["istio.io/rev"];

describe("RevisionBased upgrade against the fake API server", () => {
  let w: RevisionWorld;

  beforeEach(async () => {
    w = new RevisionWorld();
    await w.meshConfig(at("1.30.0"));
    await w.converge();
  });

  it("cold install: one revision, tagged default, its own webhook and validator", async () => {
    const { conditions } = await w.status();
    expect(conditions[ConditionType.Ready]?.[0]).toBe("True");
    expect(w.labels("Deployment", "istiod-1-30-0", "istio-system")).toMatchObject({
      "istio.io/rev": "1-30-0",
      [VERSION_LABEL]: "1.30.0",
    });
    expect(w.find("Deployment", "istiod", "istio-system")).toBeUndefined();
    expect(w.find("MutatingWebhookConfiguration", "istio-sidecar-injector-1-30-0")).toBeDefined();
    const tag = w.find("MutatingWebhookConfiguration", "istio-revision-tag-default");
    expect(tag?.metadata.labels).toMatchObject({
      "istio.io/tag": "default",
      "istio.io/rev": "1-30-0",
    });
    expect(serviceOf(tag)).toEqual(Array(4).fill("istiod-1-30-0"));
    expect(serviceOf(w.find("ValidatingWebhookConfiguration", "istiod-default-validator"))).toEqual(
      ["istiod-1-30-0"],
    );
    expect(gatewayRevision(w)).toBe("1-30-0");
    expect(await w.revisions()).toEqual([
      {
        name: "1-30-0",
        version: "1.30.0",
        ready: true,
        tags: ["default"],
        pods: 0,
        outdatedProxies: 0,
      },
    ]);
    // Policies carry no revision label, so every revision's istiod applies them.
    expect(
      w.labels("PeerAuthentication", "default", "istio-system")["istio.io/rev"],
    ).toBeUndefined();
  });

  it("upgrade: tag held while the new istiod rolls out, moved after, old revision pruned after its grace", async () => {
    w.pods.push(injectedPod("cart", "1-30-0", "1.30.0"));
    await w.converge();
    await w.meshConfig(at("1.31.1"));

    // First run: the new revision beside the old one; the tag stays (not seen rolled out yet).
    await w.reconcile();
    expect(w.find("Deployment", "istiod-1-31-1", "istio-system")).toBeDefined();
    expect(w.find("Deployment", "istiod-1-30-0", "istio-system")).toBeDefined();
    w.rollingOut("istiod-1-31-1");
    const held = await w.reconcile();
    expect(held.result).toBe("requeue");
    let { conditions } = await w.status();
    expect(conditions[ConditionType.Ready]?.[0]).toBe("False");
    expect(
      w.labels("MutatingWebhookConfiguration", "istio-revision-tag-default")["istio.io/rev"],
    ).toBe("1-30-0");
    expect(gatewayRevision(w)).toBe("1-30-0");

    // Rolled out: the tag, the default validator and the gateway move to the new revision.
    w.rolledOut("istiod-1-31-1");
    const moved = await w.converge();
    ({ conditions } = await w.status());
    expect(conditions[ConditionType.Ready]?.[0]).toBe("True");
    const tag = w.find("MutatingWebhookConfiguration", "istio-revision-tag-default");
    expect(tag?.metadata.labels?.["istio.io/rev"]).toBe("1-31-1");
    expect(serviceOf(tag)).toEqual(Array(4).fill("istiod-1-31-1"));
    expect(serviceOf(w.find("ValidatingWebhookConfiguration", "istiod-default-validator"))).toEqual(
      ["istiod-1-31-1"],
    );
    expect(gatewayRevision(w)).toBe("1-31-1");
    // The old revision stays while the cart pod uses it, and pods are counted again soon.
    expect(moved.requeueAfterMs).toBeLessThanOrEqual(IN_USE_POLL_MS);
    expect((await w.revisions()).map((r) => [r.name, r.tags, r.pods])).toEqual([
      ["1-31-1", ["default"], 0],
      ["1-30-0", [], 1],
    ]);

    // No-op while in use: zero writes.
    w.cluster.writes.length = 0;
    expect((await w.reconcile()).writes).toBe(0);

    // The pod restarts on the new revision: the grace period starts (one status write).
    w.pods.splice(0, 1, injectedPod("cart", "1-31-1", "1.31.1"));
    const unused = await w.reconcile();
    expect(unused.requeueAfterMs).toBe(30_000);
    const since = (await w.revisions()).find((r) => r.name === "1-30-0")?.unusedSince;
    expect(since).toBe(w.now.toISOString().replace(".000Z", "Z"));
    expect(w.cluster.writes.map((x) => x.verb)).toEqual(["status"]);

    // Within the grace period: kept, zero writes, due when it ends.
    w.later(20);
    w.cluster.writes.length = 0;
    const waiting = await w.reconcile();
    expect(waiting).toMatchObject({ writes: 0, requeueAfterMs: 10_000 });
    expect(w.find("Deployment", "istiod-1-30-0", "istio-system")).toBeDefined();

    // Past it: every object of the old revision is pruned, and status lists one revision.
    w.later(10);
    await w.converge();
    const left = w.cluster
      .all()
      .filter((o) => JSON.stringify(o.metadata.labels ?? {}).includes("1-30-0"));
    expect(left.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    expect(w.find("Deployment", "istiod-1-31-1", "istio-system")).toBeDefined();
    expect(await w.revisions()).toEqual([
      {
        name: "1-31-1",
        version: "1.31.1",
        ready: true,
        tags: ["default"],
        pods: 1,
        outdatedProxies: 0,
      },
    ]);
  });

  it("rollback while the old revision exists: the tag goes back at once, the newer one drains", async () => {
    w.pods.push(injectedPod("cart", "1-30-0", "1.30.0"));
    await w.meshConfig(at("1.31.1"));
    await w.converge();
    await w.converge();
    expect(
      w.labels("MutatingWebhookConfiguration", "istio-revision-tag-default")["istio.io/rev"],
    ).toBe("1-31-1");
    await w.meshConfig(at("1.30.0"));
    await w.converge();
    expect(
      w.labels("MutatingWebhookConfiguration", "istio-revision-tag-default")["istio.io/rev"],
    ).toBe("1-30-0");
    expect(gatewayRevision(w)).toBe("1-30-0");
    const listed = await w.revisions();
    expect(listed.map((r) => [r.name, r.tags])).toEqual([
      ["1-30-0", ["default"]],
      ["1-31-1", []],
    ]);
    // Nothing uses the newer revision: its grace period runs, then it goes.
    expect(listed[1]?.unusedSince).toBeDefined();
    w.later(31);
    await w.converge();
    expect(w.find("Deployment", "istiod-1-31-1", "istio-system")).toBeUndefined();
    expect((await w.status()).conditions[ConditionType.Ready]?.[0]).toBe("True");
  });

  it("ControlPlaneReady says why while the tag waits", async () => {
    await w.meshConfig(at("1.31.1"));
    await w.reconcile();
    const mc = (await w.status()).mc;
    const cp = mc?.status?.conditions?.find((c) => c.type === ConditionType.ControlPlaneReady);
    expect(cp).toMatchObject({ status: "False", reason: TAG_PENDING_REASON });
  });

  it("from InPlace: the unrevisioned istiod keeps the tag until the new revision rolls out, then goes when unused", async () => {
    const inPlace = new RevisionWorld();
    await inPlace.meshConfig({ version: "1.30.0", gateways: [GATEWAY] });
    await inPlace.converge();
    expect(inPlace.find("MutatingWebhookConfiguration", "istio-sidecar-injector")).toBeDefined();
    await inPlace.meshConfig(at("1.31.1", { inactiveRevisionDeletionGracePeriodSeconds: 0 }));
    await inPlace.reconcile();
    // The tag now answers for istio-injection=enabled, pointing at the serving istiod; the
    // old injector webhook is gone so the two never both answer.
    const tag = inPlace.find("MutatingWebhookConfiguration", "istio-revision-tag-default");
    expect(tag?.metadata.labels?.["istio.io/rev"]).toBe("default");
    expect(serviceOf(tag)).toEqual(Array(4).fill("istiod"));
    inPlace.rollingOut("istiod-1-31-1");
    await inPlace.reconcile();
    expect(inPlace.find("Deployment", "istiod", "istio-system")).toBeDefined();
    inPlace.rolledOut("istiod-1-31-1");
    await inPlace.converge();
    await inPlace.converge();
    expect(
      inPlace.labels("MutatingWebhookConfiguration", "istio-revision-tag-default")["istio.io/rev"],
    ).toBe("1-31-1");
    expect(inPlace.find("Deployment", "istiod", "istio-system")).toBeUndefined();
    expect((await inPlace.revisions()).map((r) => r.name)).toEqual(["1-31-1"]);
  });
});

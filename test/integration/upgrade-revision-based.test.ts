/**
 * A RevisionBased upgrade end to end on the real API server (scheduler, controller-manager,
 * KWOK), with the operator stopped and started again at random points in the middle:
 *   - the new version's istiod runs beside the old one (two revisions side by side);
 *   - the default tag (webhook and istiod-default-validator) and the gateway move to the new
 *     revision only once its istiod has rolled out;
 *   - at no sample does status say Ready for the new generation while anything still rolls
 *     out or the tag has not moved;
 *   - the old revision stays while an injected pod uses it, then for its grace period (the
 *     operator restarted inside it), then every object of it is pruned.
 * Samples read status first and the objects after, so a Ready seen before an object was
 * read is held against what that object showed later (rollouts only move forward here).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RevisionStatus } from "../../operator/api/mesh-config-status.ts";
import type { KubeObject } from "../../operator/kube/object.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { rolloutOf } from "../../operator/reconcile/rollout.ts";
import { injectedPod } from "../fixtures/injected-pod.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness, until } from "./operator-harness.ts";

const NAMESPACE = "canary-apps";
const OLD = { version: "1.30.5", revision: "1-30-5" };
const NEW = { version: "1.31.1", revision: "1-31-1" };
const GRACE_SECONDS = 10;
const GATEWAY = {
  name: "istio-ingressgateway",
  namespace: "istio-ingress",
  type: "ingress",
  replicas: 1,
  autoscaling: { enabled: false },
};
const CA_SECRETS = ["cacerts", "meshkeeper-root-ca"];

const spec = (version: string) =>
  mesh({
    version,
    updateStrategy: {
      type: "RevisionBased",
      inactiveRevisionDeletionGracePeriodSeconds: GRACE_SECONDS,
    },
    gateways: [GATEWAY],
  });

const deployment = (name: string, namespace = "istio-system"): ApplyTarget => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
});
const TAG: ApplyTarget = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "istio-revision-tag-default" },
};
const DEFAULT_VALIDATOR: ApplyTarget = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: "istiod-default-validator" },
};

let harness: OperatorHarness;
/** The test's own eyes: a harness whose operator never starts, for reads and writes. */
let eyes: OperatorHarness;

/** Ready for the current generation, or a failure that quotes the conditions. */
async function ready(ms: number): Promise<void> {
  try {
    await eyes.waitForCondition("Ready", "True", undefined, ms);
  } catch (error) {
    const conditions = (await eyes.meshConfig())?.status?.conditions ?? [];
    const why = conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join("\n");
    throw new Error(`${(error as Error).message}\n${why}`, { cause: error });
  }
}

async function restartOperator(): Promise<void> {
  await harness.stop();
  harness = await new OperatorHarness(adminConfig(), { dataPlaneResyncMs: 1000 }).start();
}

async function revisions(): Promise<RevisionStatus[]> {
  return (await eyes.meshConfig())?.status?.revisions ?? [];
}

const tagTarget = async () => (await eyes.get<KubeObject>(TAG))?.metadata.labels?.["istio.io/rev"];
const rolledOut = async (name: string, namespace?: string) =>
  rolloutOf(await eyes.get<KubeObject>(deployment(name, namespace))).done;

interface Sample {
  readonly at: number;
  readonly readyForNew: boolean;
  readonly tag: string | undefined;
  readonly newRolledOut: boolean;
  readonly gatewayRolledOut: boolean;
  readonly gatewayRevision: string | undefined;
  readonly both: boolean;
}

const revisionLabel = (gateway: KubeObject | undefined) =>
  (gateway?.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)
    ?.template?.metadata?.labels?.["istio.io/rev"];

/** One sample: status first, then the tag, then the Deployments. */
async function sample(generation: number): Promise<Sample> {
  const mc = await eyes.meshConfig();
  const ready = mc?.status?.conditions?.find((c) => c.type === "Ready");
  const current = mc?.status?.observedGeneration === generation;
  const readyForNew = ready?.status === "True" && current && mc.metadata.generation === generation;
  const tag = await tagTarget();
  const newIstiod = await eyes.get<KubeObject>(deployment(`istiod-${NEW.revision}`));
  const oldIstiod = await eyes.get<KubeObject>(deployment(`istiod-${OLD.revision}`));
  const gateway = await eyes.get<KubeObject>(deployment(GATEWAY.name, GATEWAY.namespace));
  return {
    at: Date.now(),
    readyForNew,
    tag,
    newRolledOut: rolloutOf(newIstiod).done,
    gatewayRolledOut: rolloutOf(gateway).done,
    gatewayRevision: revisionLabel(gateway),
    both: newIstiod !== undefined && oldIstiod !== undefined,
  };
}

/** Samples every 50 ms until stopped. */
function sampler(generation: number) {
  const samples: Sample[] = [];
  const state = { running: true };
  const done = (async () => {
    while (state.running) {
      samples.push(await sample(generation));
      await sleep(50);
    }
  })();
  return {
    samples,
    stop: async () => {
      state.running = false;
      await done;
    },
  };
}

beforeAll(async () => {
  await installMeshConfigCrd();
  eyes = new OperatorHarness(adminConfig());
  harness = await new OperatorHarness(adminConfig(), { dataPlaneResyncMs: 1000 }).start();
  await harness.deleteMeshConfig();
  await eyes.client
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
  await harness.deleteMeshConfig(120_000);
  for (const name of CA_SECRETS)
    await eyes.ssa.delete({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "istio-system" },
    });
  await eyes.client.send({ method: "DELETE", path: `/api/v1/namespaces/${NAMESPACE}` });
  await harness.stop();
  eyes.client.close();
});

describe("RevisionBased upgrade on the local control plane", () => {
  it("installs the first revision, tagged default", async () => {
    await eyes.applyAsUser(spec(OLD.version));
    await ready(120_000);
    expect(await tagTarget()).toBe(OLD.revision);
    expect(await eyes.get(deployment("istiod"))).toBeUndefined();
    const validator = await eyes.get<{
      webhooks: { clientConfig: { service: { name: string } } }[];
    }>(DEFAULT_VALIDATOR);
    expect(validator?.webhooks[0]?.clientConfig.service.name).toBe(`istiod-${OLD.revision}`);
    await eyes.client.send({
      method: "POST",
      path: `/api/v1/namespaces/${NAMESPACE}/pods`,
      body: injectedPod({
        name: "cart",
        namespace: NAMESPACE,
        revision: OLD.revision,
        proxy: OLD.version,
        app: "cart",
      }),
    });
    await until(
      "the cart pod counted on the old revision",
      async () => (await revisions()).find((r) => r.name === OLD.revision)?.pods === 1,
      60_000,
    );
  }, 240_000);

  it("upgrades side by side, the tag moving only once the new istiod has rolled out, through operator restarts", async () => {
    const before = await eyes.meshConfig();
    const target = (before?.metadata.generation ?? 0) + 1;
    const watch = sampler(target);
    try {
      await eyes.applyAsUser(spec(NEW.version));
      // Stop and start the operator at random points while the upgrade runs.
      for (let i = 0; i < 4; i += 1) {
        await sleep(150 + Math.floor(Math.random() * 1200));
        await restartOperator();
      }
      await ready(180_000);
      await until("the tag on the new revision", async () => (await tagTarget()) === NEW.revision);
    } finally {
      await watch.stop();
    }
    const { samples } = watch;
    expect(samples.length).toBeGreaterThan(10);
    // Two istiods side by side, at least once.
    expect(samples.some((s) => s.both)).toBe(true);
    // The tag is read before the istiod: a moved tag with an istiod not rolled out is a flip too early.
    const early = samples.filter((s) => s.tag === NEW.revision && !s.newRolledOut);
    expect(early).toEqual([]);
    // Ready for the new generation only with the tag moved and everything rolled out.
    const falseReady = samples.filter(
      (s) =>
        s.readyForNew &&
        (s.tag !== NEW.revision ||
          !s.newRolledOut ||
          !s.gatewayRolledOut ||
          s.gatewayRevision !== NEW.revision),
    );
    expect(falseReady).toEqual([]);
    // The gateway followed the tag.
    expect(samples.at(-1)?.gatewayRevision).toBe(NEW.revision);
    const validator = await eyes.get<{
      webhooks: { clientConfig: { service: { name: string } } }[];
    }>(DEFAULT_VALIDATOR);
    expect(validator?.webhooks[0]?.clientConfig.service.name).toBe(`istiod-${NEW.revision}`);
    // The old revision stays: the cart pod still uses it.
    expect(await rolledOut(`istiod-${OLD.revision}`)).toBe(true);
    const listed = await revisions();
    expect(listed.map((r) => [r.name, r.version, r.tags])).toEqual([
      [NEW.revision, NEW.version, ["default"]],
      [OLD.revision, OLD.version, []],
    ]);
    expect(listed[1]?.pods).toBe(1);
    expect(listed[1]?.unusedSince).toBeUndefined();
  }, 300_000);

  it("prunes the old revision once unused and its grace period has passed, across a restart", async () => {
    await eyes.client.send({
      method: "DELETE",
      path: `/api/v1/namespaces/${NAMESPACE}/pods/cart`,
      body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 },
    });
    const since = await until(
      "the old revision marked unused",
      async () => (await revisions()).find((r) => r.name === OLD.revision)?.unusedSince,
      60_000,
    ).catch(async (error: unknown) => {
      const pods = await eyes.client.send<{ items: { metadata: { name: string } }[] }>({
        method: "GET",
        path: `/api/v1/namespaces/${NAMESPACE}/pods`,
      });
      throw new Error(
        `${(error as Error).message}: revisions ${JSON.stringify(await revisions())}, pods ${JSON.stringify(pods.items.map((p) => p.metadata))}`,
        { cause: error },
      );
    });
    // The grace period is counted from status, so a restarted operator keeps counting.
    await restartOperator();
    await until(
      "the old istiod pruned",
      async () => !(await eyes.get(deployment(`istiod-${OLD.revision}`))),
      60_000,
    );
    expect(Date.now() - Date.parse(since)).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 1000);
    for (const object of [
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `istiod-${OLD.revision}`, namespace: "istio-system" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `istio-${OLD.revision}`, namespace: "istio-system" },
      },
      {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingWebhookConfiguration",
        metadata: { name: `istio-sidecar-injector-${OLD.revision}` },
      },
      {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name: `istio-validator-${OLD.revision}-istio-system` },
      },
    ])
      // Pruned in the same pass as istiod or the next: wait for each, never for ever.
      await until(
        `${object.kind} ${object.metadata.name} pruned`,
        async () => !(await eyes.get(object)),
        30_000,
      );
    await until(
      "status to list only the new revision",
      async () => (await revisions()).map((r) => r.name).join() === NEW.revision,
      30_000,
    );
    expect(await rolledOut(`istiod-${NEW.revision}`)).toBe(true);
    expect(await tagTarget()).toBe(NEW.revision);
  }, 180_000);
});

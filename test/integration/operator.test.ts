/**
 * The operator end to end against the real API server (controller-manager, scheduler and
 * KWOK make Deployments Available): cold install to Ready, zero-write resyncs, drift repair
 * on every kind, fields istiod owns left alone, pruning, foreign look-alikes untouched,
 * invalid specs, pause, the progress deadline, and teardown that keeps the CA.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { applySetId, PART_OF_LABEL } from "../../operator/reconcile/apply-set.ts";
import { identity } from "../../operator/reconcile/identity.ts";
import { OWNED_KINDS } from "../../operator/reconcile/owned-kinds.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";
import { objectWrites, statusWrites, watchStatusChanges } from "./write-accounting.ts";
import { EGRESS, INGRESS, mesh } from "../fixtures/test-mesh.ts";
import { argoHealthChecker, kstatusChecker } from "../unit/argocd/health-harness.ts";

const ID = applySetId("default");
const CA_SECRETS = ["cacerts", "meshkeeper-root-ca"];
type Live = ApplyTarget & { metadata: { uid: string; resourceVersion: string } };

let harness: OperatorHarness;

/** Every live object that belongs to the mesh's ApplySet, by identity. */
async function members(): Promise<Map<string, Live>> {
  const found = new Map<string, Live>();
  for (const { apiVersion, kind } of OWNED_KINDS) {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const plural = (
      await harness.manager.client.send<{
        resources: { name: string; kind: string }[];
      }>({ method: "GET", path: base })
    ).resources.find((r) => r.kind === kind)?.name;
    if (!plural) continue;
    const list = await harness.client.send<{ items: Live[] }>({
      method: "GET",
      path: `${base}/${plural}`,
      query: { labelSelector: `${PART_OF_LABEL}=${ID}` },
    });
    for (const item of list.items) {
      const object = { ...item, apiVersion, kind };
      found.set(identity(object), object);
    }
  }
  return found;
}

/** resourceVersions by key, but autoscalers': the HPA controller rewrites their status itself. */
function versions(objects: Map<string, Live>): Record<string, string> {
  const ours = [...objects].filter(([, o]) => o.kind !== "HorizontalPodAutoscaler");
  return Object.fromEntries(ours.map(([key, o]) => [key, o.metadata.resourceVersion]));
}

async function exists(object: ApplyTarget): Promise<Live | undefined> {
  return harness.get<Live>(object);
}

const kubectl = (...args: string[]) =>
  promisify(execFile)(locateBinary(BINARIES.kubectl)?.path ?? "kubectl", args, {
    env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
  });

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig()).start();
  await harness.deleteMeshConfig();
});

afterAll(async () => {
  await harness.deleteMeshConfig();
  // The CA outlives the mesh by design; this file's CA must not leak into the next file.
  for (const name of CA_SECRETS)
    await harness.ssa.delete({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "istio-system" },
    });
  await harness.stop();
});

describe("the operator", () => {
  it("installs a mesh from nothing to Ready, writing each object once", async () => {
    const before = harness.writes();
    const statusBefore = statusWrites(await harness.manager.metrics.text());
    const statusChanges = await watchStatusChanges(harness.client, "default");
    await harness.applyAsUser(mesh());
    const mc = await harness.waitForCondition("Ready", "True");
    const { stdout } = await kubectl(
      "wait",
      "--for=condition=Ready",
      "meshconfig/default",
      "--timeout=5s",
    );
    expect(stdout).toContain("condition met");
    const live = await members();
    const objects = mc.status?.managedObjects ?? 0;
    expect(objects).toBeGreaterThan(30);
    for (const object of live.values()) {
      expect(object.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "MeshConfig", uid: mc.metadata.uid, controller: true }),
      ]);
    }
    // Each object once; the rest are the MeshConfig's own metadata and status updates.
    expect(objectWrites(await harness.manager.metrics.text())).toBe(objects);
    // The CA: generated once (root Secret, then cacerts), dates in status, istiod rolls on it.
    expect(harness.condition(mc, "CAReady")).toMatchObject({ status: "True", reason: "Valid" });
    expect(mc.status?.certificateAuthority?.rootNotAfter).toMatch(/^\d{4}-/);
    const istiod = await exists({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "istiod", namespace: "istio-system" },
    });
    const template = (
      istiod as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }
    ).spec?.template;
    expect(template?.metadata?.annotations?.["meshkeeper.dev/ca-bundle-hash"]).toMatch(
      /^[0-9a-f]{64}$/,
    );
    // The status is written only when it changes, so the writes are bounded by the changes
    // a watch of the MeshConfig saw (how many states the operator passes through depends on
    // the machine's load). Not one to one: on a loaded machine the cache can lag more than
    // one of our own status writes behind, and the reconciler (which covers a lag of one)
    // then writes a status that is already stored; the API server makes that a no-op.
    const ofStatus = statusWrites(await harness.manager.metrics.text()) - statusBefore;
    expect(ofStatus).toBeLessThanOrEqual(2 * (await statusChanges.stop(ofStatus)));
    // Besides the objects and the status: the finalizer, the two CA Secrets, little else.
    expect(harness.writes() - before - ofStatus).toBeLessThan(objects + 8);
    expect(mc.status?.components?.istiod).toEqual({
      ready: 1,
      updated: 1,
      available: 1,
      desired: 1,
    });
    // The big transition is an Event on the MeshConfig, where `kubectl describe` shows it.
    await until("a MeshReady event", async () => {
      const events = await harness.client.send<{
        items: { reason: string; regarding: { uid: string } }[];
      }>({
        method: "GET",
        path: "/apis/events.k8s.io/v1/namespaces/default/events",
      });
      return events.items.some(
        (e) => e.reason === "MeshReady" && e.regarding.uid === mc.metadata.uid,
      );
    });
  });

  it("performs zero writes on a resync where nothing changed", async () => {
    await harness.settle();
    const before = harness.writes();
    const runs = harness.outcomes.length;
    for (let i = 0; i < 3; i += 1) {
      await harness.edit(mesh(), { metadata: { annotations: { "example.com/touch": String(i) } } });
      await until("a reconcile", () => harness.outcomes.length > runs + i);
    }
    await harness.settle();
    expect(harness.writes() - before).toBe(0);
    expect(harness.outcomes.slice(runs).every((o) => o.writes === 0)).toBe(true);
  });

  it("restores one object of every kind deleted by hand", async () => {
    const live = await members();
    // One object per kind (namespaces are never deleted: that would take their contents).
    const victims = [...new Map([...live.values()].map((o) => [o.kind, o])).values()];
    // All this spec renders: no PDBs (no component has 2 replicas), no DaemonSets (sidecars).
    const neverDeleted = ["Namespace", "CustomResourceDefinition"];
    const notRendered = new Set([...neverDeleted, "PodDisruptionBudget", "DaemonSet"]);
    expect(victims.map((v) => v.kind).sort()).toEqual(
      OWNED_KINDS.map((k) => k.kind)
        .filter((k) => !notRendered.has(k))
        .sort(),
    );
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "wasmplugins.extensions.istio.io" },
    };
    const crdUid = (await exists(crd))?.metadata.uid;
    for (const victim of [...victims, crd]) await harness.ssa.delete(victim);
    for (const victim of [...victims]) {
      await until(`${identity(victim)} to come back`, async () => {
        const now = await exists(victim);
        return now && now.metadata.uid !== victim.metadata.uid;
      });
    }
    await until("the CRD to come back", async () => {
      const now = await exists(crd);
      return now && now.metadata.uid !== crdUid && !now.metadata.deletionTimestamp;
    });
    await harness.waitForCondition("Ready", "True");
  });

  it("restores hand edits to fields it owns, on every kind", async () => {
    const live = await members();
    const victims = [...new Map([...live.values()].map((o) => [o.kind, o])).values()];
    const label = "app.kubernetes.io/component";
    for (const victim of victims)
      await harness.edit(victim, { metadata: { labels: { [label]: "edited-by-hand" } } });
    for (const victim of victims) {
      await until(`${identity(victim)} to be restored`, async () => {
        const now = await exists(victim);
        const labels = (o: Live | undefined) => o?.metadata.labels;
        return labels(now)?.[label] === labels(victim)?.[label];
      });
    }
  });

  it("leaves fields istiod and the autoscaler own alone, without a reconcile storm", async () => {
    const webhook = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "istio-sidecar-injector" },
    };
    const validator = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "istio-validator-istio-system" },
    };
    const gateway = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: INGRESS.name, namespace: INGRESS.namespace },
    };
    await harness.settle();
    const before = objectWrites(await harness.manager.metrics.text());
    const jsonPatch = async (object: ApplyTarget, patch: unknown[], fieldManager: string) => {
      await harness.client.send({
        method: "PATCH",
        path:
          object.kind === "Deployment"
            ? `/apis/apps/v1/namespaces/${object.metadata.namespace ?? ""}/deployments/${object.metadata.name}`
            : `/apis/admissionregistration.k8s.io/v1/${object.kind === "MutatingWebhookConfiguration" ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations"}/${object.metadata.name}`,
        body: patch,
        contentType: "application/json-patch+json",
        query: { fieldManager },
      });
    };
    const caBundle = Buffer.from("istiod's CA").toString("base64");
    await jsonPatch(
      webhook,
      [{ op: "add", path: "/webhooks/0/clientConfig/caBundle", value: caBundle }],
      "pilot-discovery",
    );
    await jsonPatch(
      validator,
      [{ op: "replace", path: "/webhooks/0/failurePolicy", value: "Fail" }],
      "pilot-discovery",
    );
    await jsonPatch(
      gateway,
      [{ op: "replace", path: "/spec/replicas", value: 3 }],
      "horizontal-pod-autoscaler",
    );
    await sleep(1_500);
    await harness.settle();
    type Webhooks = { webhooks: { clientConfig: { caBundle?: string }; failurePolicy?: string }[] };
    expect((await harness.get<Webhooks>(webhook))?.webhooks[0]?.clientConfig.caBundle).toBe(
      caBundle,
    );
    expect((await harness.get<Webhooks>(validator))?.webhooks[0]?.failurePolicy).toBe("Fail");
    expect((await harness.get<{ spec: { replicas: number } }>(gateway))?.spec.replicas).toBe(3);
    // At most one object write: the validator once more, without the failurePolicy istiod
    // took. (Status may change: the gateway now has 3 replicas coming up.)
    expect(objectWrites(await harness.manager.metrics.text()) - before).toBeLessThanOrEqual(1);
    const quiet = harness.writes();
    await harness.edit(mesh(), {
      metadata: { annotations: { "example.com/touch": "after-istiod" } },
    });
    await sleep(500);
    await harness.settle();
    expect(harness.writes() - quiet).toBe(0);
  });

  it("prunes exactly a removed gateway's objects, and never touches look-alikes", async () => {
    const labels = {
      "app.kubernetes.io/managed-by": "meshkeeper",
      "meshkeeper.dev/mesh": "default",
      "app.kubernetes.io/component": "gateway",
    };
    const foreign = [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "look-alike-with-applyset-label",
          namespace: "istio-egress",
          labels: { ...labels, [PART_OF_LABEL]: ID },
        },
        data: { a: "1" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "look-alike", namespace: "istio-egress", labels },
        data: { a: "1" },
      },
    ];
    for (const object of foreign) await harness.applyAsUser(object);
    const foreignVersions = await Promise.all(
      foreign.map(async (o) => (await exists(o))?.metadata.resourceVersion),
    );
    const before = await members();
    await harness.applyAsUser(mesh({ gateways: [INGRESS] }));
    await until(
      "the egress gateway to be pruned",
      async () =>
        !(await exists({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: EGRESS.name, namespace: EGRESS.namespace },
        })),
    );
    await harness.waitForCondition("Ready", "True");
    const after = await members();
    const removed = [...before.keys()].filter((key) => !after.has(key));
    expect(removed.length).toBeGreaterThanOrEqual(6);
    for (const key of removed) expect(before.get(key)?.metadata.namespace).toBe(EGRESS.namespace);
    expect([...after.keys()].every((key) => before.has(key))).toBe(true);
    expect(
      await exists({ apiVersion: "v1", kind: "Namespace", metadata: { name: EGRESS.namespace } }),
    ).toBeDefined();
    const foreignNow = await Promise.all(
      foreign.map(async (o) => (await exists(o))?.metadata.resourceVersion),
    );
    expect(foreignNow).toEqual(foreignVersions);
    for (const object of foreign) await harness.ssa.delete(object);
  });

  it("reports an unsupported version as Stalled and changes nothing", async () => {
    const before = await members();
    await harness.applyAsUser(mesh({ version: "1.20.0", gateways: [INGRESS] }));
    const mc = await harness.waitForCondition("Stalled", "True", "UnsupportedVersion");
    expect(harness.condition(mc, "Reconciled")).toMatchObject({
      status: "False",
      reason: "UnsupportedVersion",
    });
    expect(harness.condition(mc, "Reconciling")?.status).toBe("False");
    const after = await members();
    expect(versions(after)).toEqual(versions(before));
    await harness.applyAsUser(mesh({ gateways: [INGRESS] }));
    await harness.waitForCondition("Ready", "True");
  });

  it("reports a spec the operator refuses as Stalled/InvalidSpec and changes nothing", async () => {
    // The API server enforces the same schema, so only version skew (an older CRD than the
    // operator) lets such a spec in: install a CRD that accepts any spec, as skew would.
    const crd = await harness.client.send<Record<string, any>>({
      method: "GET",
      path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/meshconfigs.meshkeeper.dev",
    });
    const loose = structuredClone(crd);
    const version = loose.spec.versions[0];
    version.schema.openAPIV3Schema.properties.spec = {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    };
    delete version.schema.openAPIV3Schema["x-kubernetes-validations"];
    await harness.client.send({
      method: "PUT",
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      body: loose,
    });
    try {
      const before = await harness.settle().then(members);
      const bad = { ...INGRESS, name: "Not_A_DNS_Name" };
      await until("the loose CRD to accept a bad spec", async () => {
        try {
          await harness.applyAsUser(mesh({ gateways: [bad] }));
          return true;
        } catch {
          return false;
        }
      });
      const mc = await harness.waitForCondition("Stalled", "True", "InvalidSpec");
      expect(harness.condition(mc, "Stalled")?.message).toContain("spec.gateways[0].name");
      expect(harness.condition(mc, "Reconciled")?.status).toBe("False");
      // Argo CD and kstatus read the status as written: a failure a person must fix.
      const health = (await argoHealthChecker())(mc);
      expect(health).toMatchObject({ status: "Degraded" });
      expect(health.message).toMatch(/^InvalidSpec: /);
      expect((await kstatusChecker())(mc).status).toBe("Failed");
      await sleep(500);
      expect(versions(await members())).toEqual(versions(before));
    } finally {
      await harness.applyAsUser(mesh({ gateways: [INGRESS] }));
      await installMeshConfigCrd();
    }
    await harness.waitForCondition("Ready", "True");
  });

  it("stops changing anything while paused, says so, and catches up when resumed", async () => {
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "istiod", namespace: "istio-system" },
    };
    await harness.edit(mesh(), { metadata: { annotations: { "meshkeeper.dev/paused": "true" } } });
    const mc = await harness.waitForCondition("Reconciled", "False", "Paused");
    expect(harness.condition(mc, "Reconciled")?.message).toContain("meshkeeper.dev/paused");
    await harness.ssa.delete(service);
    await sleep(1_000);
    expect(await exists(service)).toBeUndefined();
    await harness.edit(mesh(), { metadata: { annotations: { "meshkeeper.dev/paused": null } } });
    await until("the Service to be restored", () => exists(service));
    await harness.waitForCondition("Ready", "True");
  });

  it("deletes the mesh in order on delete, keeping namespaces, CRDs, the CA and foreign objects", async () => {
    const secret = (name: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "istio-system" },
    });
    const caUids = await Promise.all(
      CA_SECRETS.map(async (name) => (await exists(secret(name)))?.metadata.uid),
    );
    expect(caUids.every(Boolean)).toBe(true);
    expect((await members()).size).toBeGreaterThan(20);
    await harness.client.send({ method: "DELETE", path: MESH_PATH });
    await until("the MeshConfig to be gone", async () => !(await harness.meshConfig()), 60_000);
    expect((await members()).size).toBe(0);
    // deletionPolicy Retain (the default): the very same CA Secrets are still there.
    const after = await Promise.all(
      CA_SECRETS.map(async (name) => (await exists(secret(name)))?.metadata.uid),
    );
    expect(after).toEqual(caUids);
    for (const kept of [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } },
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "peerauthentications.security.istio.io" },
      },
    ])
      expect(await exists(kept)).toBeDefined();
  });
});

/**
 * The operator under exactly the permissions config/rbac grants, nothing more: its
 * ServiceAccount, ClusterRole and leader-election Role (renamed into a test namespace),
 * a token from the TokenRequest API, and the real operator run in-process with that token
 * through a cold install (Istio's CRDs and the mesh namespaces absent), an edit that
 * rolls istiod and prunes a gateway, and a delete. Any 403 the operator met fails the test.
 */
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findObject, kustomize } from "../../operator/olm/kustomize.ts";
import type { PolicyRule } from "../../operator/olm/csv.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { RestrictedIdentity } from "./restricted-identity.ts";
import { EGRESS, INGRESS, mesh } from "../fixtures/test-mesh.ts";

const identity = new RestrictedIdentity();
const admin = identity.admin;
let harness: OperatorHarness | undefined;

async function send(method: "DELETE" | "GET", path: string) {
  return admin.send<any>({ method, path });
}

async function gone(path: string): Promise<boolean> {
  return send("GET", path).then(
    () => false,
    (error: unknown) => {
      if ((error as { status?: number }).status === 404) return true;
      throw error;
    },
  );
}

async function deleteAndWait(path: string, ms = 90_000): Promise<void> {
  await send("DELETE", path).catch(() => undefined);
  await until(
    `${path} to be gone`,
    () => {
      identity.assertNoRefusal();
      return gone(path);
    },
    ms,
  );
}

/** config/rbac's ClusterRole and leader-election Role, granted to the test's identity. */
async function grantOperatorRbac(): Promise<void> {
  const rbac = await kustomize("config/rbac");
  await identity.grant(
    findObject(rbac, "ClusterRole").rules as PolicyRule[],
    findObject(rbac, "Role").rules as PolicyRule[],
  );
}

/** A cold start: no MeshConfig, no Istio CRDs, no mesh namespaces. */
async function clearMesh(): Promise<void> {
  await deleteAndWait(MESH_PATH);
  for (const file of readdirSync(new URL("../../crds/", import.meta.url))) {
    const [group, plural] = file.replace(/\.yaml$/, "").split("_");
    if (!group?.endsWith(".istio.io")) continue;
    await send(
      "DELETE",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural ?? ""}.${group}`,
    ).catch(() => undefined);
  }
  for (const namespace of ["istio-system", "istio-ingress", "istio-egress"])
    await send("DELETE", `/api/v1/namespaces/${namespace}`).catch(() => undefined);
  for (const namespace of ["istio-system", "istio-ingress", "istio-egress"])
    await until(
      `namespace ${namespace} gone`,
      () => gone(`/api/v1/namespaces/${namespace}`),
      120_000,
    );
}

/** Ready for the current generation; fails at the first 403 instead of timing out. */
async function readyWithoutRefusals(ms: number) {
  const h = harness as OperatorHarness;
  return until(
    "Ready=True without a 403",
    async () => {
      identity.assertNoRefusal();
      const mc = await h.meshConfig();
      const ready = h.condition(mc, "Ready")?.status === "True";
      return ready && mc?.status?.observedGeneration === mc?.metadata.generation ? mc : undefined;
    },
    ms,
  );
}

beforeAll(async () => {
  await installMeshConfigCrd();
  await clearMesh();
  await grantOperatorRbac();
  harness = await new OperatorHarness(await identity.kubeConfig(), {
    log: identity.log,
    identity: "least-privilege-0",
    leaderElection: { namespace: identity.namespace, name: "meshkeeper-leader" },
  }).start();
}, 240_000);

afterAll(async () => {
  try {
    await deleteAndWait(MESH_PATH);
  } finally {
    try {
      await harness?.stop();
    } finally {
      await identity.remove();
    }
  }
}, 120_000);

describe("the operator under config/rbac's least-privilege role", () => {
  it("is refused what the role does not grant", async () => {
    const asOperator = harness?.client;
    const denied = await asOperator
      ?.send({ method: "GET", path: "/api/v1/namespaces/kube-system/secrets" })
      .catch((error: unknown) => error as { status: number });
    expect(denied).toMatchObject({ status: 403 });
    // Pods: listed for the data-plane counts, never read one by one, watched or written.
    await expect(
      asOperator?.send({ method: "GET", path: "/api/v1/pods", query: { limit: "1" } }),
    ).resolves.toMatchObject({ kind: "PodList" });
    for (const [method, path, query] of [
      ["GET", "/api/v1/namespaces/kube-system/pods/any", {}],
      ["GET", "/api/v1/pods", { watch: "true", timeoutSeconds: "1" }],
      ["DELETE", "/api/v1/namespaces/kube-system/pods/any", {}],
    ] as const) {
      const refused = await asOperator
        ?.send({ method, path, query })
        .catch((error: unknown) => error as { status: number });
      expect(refused, `${method} ${path}`).toMatchObject({ status: 403 });
    }
  });

  it("installs a mesh from nothing to Ready: CRDs, namespaces, RBAC, webhooks, policies", async () => {
    const h = harness as OperatorHarness;
    await identity.apply(mesh());
    const mc = await readyWithoutRefusals(120_000);
    expect(mc.status?.managedObjects).toBeGreaterThan(30);
    expect(
      await h.get({ apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-egress" } }),
    ).toBeDefined();
    const lease = await send(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${identity.namespace}/leases/meshkeeper-leader`,
    );
    expect(lease.spec.holderIdentity).toBe("least-privilege-0");
    expect(identity.forbidden()).toEqual([]);
  }, 150_000);

  it("applies an edit: istiod scaled, the egress gateway pruned", async () => {
    const h = harness as OperatorHarness;
    await identity.apply(
      mesh({ controlPlane: { replicas: 2, autoscaling: { enabled: false } }, gateways: [INGRESS] }),
    );
    await readyWithoutRefusals(90_000);
    const egress = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: EGRESS.name, namespace: EGRESS.namespace },
    };
    await until("the egress gateway to be pruned", async () => !(await h.get(egress)), 30_000);
    const istiod = await h.get<any>({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "istiod", namespace: "istio-system" },
    });
    expect(istiod.spec.replicas).toBe(2);
    expect(identity.forbidden()).toEqual([]);
  }, 120_000);

  it("tears the mesh down on delete and releases the finalizer", async () => {
    await deleteAndWait(MESH_PATH, 120_000);
    const ingress = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: INGRESS.name, namespace: INGRESS.namespace },
    };
    expect(await (harness as OperatorHarness).get(ingress)).toBeUndefined();
    expect(identity.forbidden()).toEqual([]);
  }, 150_000);
});

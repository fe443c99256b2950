/**
 * The operator under exactly the permissions config/rbac grants, nothing more: its
 * ServiceAccount, ClusterRole and leader-election Role (renamed into a test namespace),
 * a token from the TokenRequest API, and the real operator run in-process with that token
 * through a cold install (Istio's CRDs and the mesh namespaces absent), an edit that
 * rolls istiod and prunes a gateway, and a delete. Any 403 the operator met fails the test.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { findObject, kustomize, type ManifestObject } from "../../operator/olm/kustomize.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";
import { EGRESS, INGRESS, mesh } from "../fixtures/test-mesh.ts";

const NAMESPACE = uniqueName("least-privilege");
const CLUSTER_ROLE = uniqueName("meshkeeper-least-privilege");
const admin = new RestClient(adminConfig());
const discovery = new Discovery(admin);
const logLines: string[] = [];
let harness: OperatorHarness | undefined;

async function send(method: "POST" | "PATCH" | "DELETE" | "GET", path: string, body?: unknown) {
  return admin.send<any>({
    method,
    path,
    ...(body === undefined ? {} : { body }),
    ...(method === "PATCH"
      ? {
          contentType: "application/apply-patch+yaml",
          query: { fieldManager: "least-privilege-test", force: "true" },
        }
      : {}),
  });
}

/** Server-side apply as the test's administrator (a person with kubectl). */
async function apply(object: ApplyTarget | ManifestObject): Promise<void> {
  await send("PATCH", await discovery.pathOf(object), object);
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
      if (forbidden().length > 0) throw new Error(`the operator was refused: ${firstRefusal()}`);
      return gone(path);
    },
    ms,
  );
}

/** config/rbac, moved into the test namespace under names of its own. */
async function grantOperatorRbac(): Promise<void> {
  const rbac = await kustomize("config/rbac");
  const inNamespace = (o: ManifestObject) => ({
    ...o,
    metadata: { ...o.metadata, namespace: NAMESPACE },
  });
  const subjects = [{ kind: "ServiceAccount", name: "meshkeeper", namespace: NAMESPACE }];
  const role = findObject(rbac, "ClusterRole");
  const binding = findObject(rbac, "ClusterRoleBinding");
  await apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  await apply(inNamespace(findObject(rbac, "ServiceAccount", "meshkeeper")));
  await apply({ ...role, metadata: { ...role.metadata, name: CLUSTER_ROLE } });
  await apply({
    ...binding,
    metadata: { ...binding.metadata, name: CLUSTER_ROLE },
    roleRef: { ...(binding.roleRef as object), name: CLUSTER_ROLE },
    subjects,
  });
  await apply(inNamespace(findObject(rbac, "Role")));
  await apply({ ...inNamespace(findObject(rbac, "RoleBinding")), subjects });
}

async function operatorConfig(): Promise<KubeConfig> {
  const request = await admin.send<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/meshkeeper/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
  });
  const cluster = inject("cluster");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: "local",
        server: cluster.server,
        caData: Buffer.from(cluster.certificateAuthority).toString("base64"),
      },
    ],
    users: [{ name: "meshkeeper", token: request.status.token }],
    contexts: [{ name: "meshkeeper", cluster: "local", user: "meshkeeper" }],
    currentContext: "meshkeeper",
  });
  return config;
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

/** The operator's log lines that report a refusal by authorization. */
function forbidden(): string[] {
  // ApiError fields ("status":403) or its message ("403 Forbidden"), wherever it is logged:
  // reconcile errors, watch restarts, event and lease failures.
  return logLines.filter((line) => /"status":403\b|\b403 Forbidden\b/.test(line));
}

/** What the first refusal was about, short enough to read in a test failure. */
function firstRefusal(): string {
  const line = forbidden()[0] ?? "";
  const parsed = JSON.parse(line) as { msg?: string; reason?: string; err?: { message?: string } };
  return `${parsed.msg ?? ""}: ${(parsed.err?.message ?? parsed.reason ?? line).slice(0, 400)}`;
}

/** Ready for the current generation; fails at the first 403 instead of timing out. */
async function readyWithoutRefusals(ms: number) {
  const h = harness as OperatorHarness;
  return until(
    "Ready=True without a 403",
    async () => {
      if (forbidden().length > 0) throw new Error(`the operator was refused: ${firstRefusal()}`);
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
  const config = await operatorConfig();
  harness = await new OperatorHarness(config, {
    log: createLogger({
      level: "debug",
      destination: {
        write: (line: string) => {
          logLines.push(line);
        },
      },
    }),
    identity: "least-privilege-0",
    leaderElection: { namespace: NAMESPACE, name: "meshkeeper-leader" },
  }).start();
}, 240_000);

afterAll(async () => {
  await deleteAndWait(MESH_PATH);
  await harness?.stop();
  await send("DELETE", `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${CLUSTER_ROLE}`);
  await send("DELETE", `/apis/rbac.authorization.k8s.io/v1/clusterroles/${CLUSTER_ROLE}`);
  await send("DELETE", `/api/v1/namespaces/${NAMESPACE}`);
  admin.close();
  if (forbidden().length > 0)
    console.error(
      `${forbidden().length} refusals in the operator's log; the first: ${firstRefusal()}`,
    );
}, 120_000);

describe("the operator under config/rbac's least-privilege role", () => {
  it("is refused what the role does not grant", async () => {
    const asOperator = harness?.client;
    const denied = await asOperator
      ?.send({ method: "GET", path: "/api/v1/namespaces/kube-system/pods" })
      .catch((error: unknown) => error as { status: number });
    expect(denied).toMatchObject({ status: 403 });
  });

  it("installs a mesh from nothing to Ready: CRDs, namespaces, RBAC, webhooks, policies", async () => {
    const h = harness as OperatorHarness;
    await apply(mesh());
    const mc = await readyWithoutRefusals(120_000);
    expect(mc.status?.managedObjects).toBeGreaterThan(30);
    expect(
      await h.get({ apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-egress" } }),
    ).toBeDefined();
    const lease = await send(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/meshkeeper-leader`,
    );
    expect(lease.spec.holderIdentity).toBe("least-privilege-0");
    expect(forbidden()).toEqual([]);
  }, 150_000);

  it("applies an edit: istiod scaled, the egress gateway pruned", async () => {
    const h = harness as OperatorHarness;
    await apply(
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
    expect(forbidden()).toEqual([]);
  }, 120_000);

  it("tears the mesh down on delete and releases the finalizer", async () => {
    await deleteAndWait(MESH_PATH, 120_000);
    const ingress = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: INGRESS.name, namespace: INGRESS.namespace },
    };
    expect(await (harness as OperatorHarness).get(ingress)).toBeUndefined();
    expect(forbidden()).toEqual([]);
  }, 150_000);
});

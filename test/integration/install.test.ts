/**
 * The kustomize install as a user runs it: `kubectl kustomize config/default`, applied
 * server-side to the shared control plane; the operator Deployment (two replicas, Pod
 * Security "restricted" enforced on its namespace) becomes Available (KWOK marks the pods
 * Ready; no process runs in them). Everything it installed is removed afterwards, so the
 * other test files see the cluster as before.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OPERATOR_ENV } from "../../operator/local/background-operator.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import {
  kubectlPath,
  kustomizeText,
  parseManifests,
  REPO_ROOT,
  type ManifestObject,
} from "../../operator/olm/kustomize.ts";
import { adminConfig } from "./cluster-client.ts";

const NAMESPACE = "meshkeeper-system";
const client = new RestClient(adminConfig());
let rendered = "";
let objects: ManifestObject[] = [];
/** Cluster-scoped objects that existed before the test: left in place afterwards. */
const preexisting = new Set<string>();

function kubectl(args: readonly string[], input?: string) {
  const child = promisify(execFile)(kubectlPath(), [...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  return child;
}

function clusterScoped(object: ManifestObject): boolean {
  return object.metadata.namespace === undefined && object.kind !== "Namespace";
}

function ref(object: ManifestObject): string {
  const group = object.apiVersion.includes("/") ? `.${object.apiVersion.split("/")[0] ?? ""}` : "";
  return `${object.kind.toLowerCase()}${group}/${object.metadata.name}`;
}

async function exists(object: ManifestObject): Promise<boolean> {
  const result = await kubectl(["get", ref(object), "--ignore-not-found", "-o", "name"]);
  return result.stdout.trim() !== "";
}

async function waitGone(path: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await client.send({ method: "GET", path });
    } catch (error) {
      if ((error as { status?: number }).status === 404) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${path} still exists after ${ms} ms`);
    await sleep(200);
  }
}

async function uninstall(): Promise<void> {
  await kubectl(["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false"]);
  for (const object of objects.filter(clusterScoped)) {
    if (preexisting.has(ref(object))) continue;
    await kubectl(["delete", ref(object), "--ignore-not-found", "--wait=false"]);
  }
  await waitGone(`/api/v1/namespaces/${NAMESPACE}`);
  for (const object of objects.filter(clusterScoped)) {
    if (preexisting.has(ref(object)) || object.kind !== "CustomResourceDefinition") continue;
    await waitGone(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${object.metadata.name}`,
    );
  }
}

beforeAll(async () => {
  rendered = await kustomizeText("config/default");
  objects = parseManifests(rendered);
  for (const object of objects.filter(clusterScoped))
    if (await exists(object)) preexisting.add(ref(object));
  // A run that died half-way may have left the namespace behind.
  await kubectl(["delete", "namespace", NAMESPACE, "--ignore-not-found"]);
  await waitGone(`/api/v1/namespaces/${NAMESPACE}`);
}, 120_000);

afterAll(async () => {
  await uninstall();
  client.close();
}, 120_000);

describe("kustomize install (config/default)", () => {
  it("renders the namespace, the CRD, least-privilege RBAC and the operator", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/meshkeeper",
      "ClusterRoleBinding/meshkeeper",
      "CustomResourceDefinition/meshconfigs.meshkeeper.dev",
      "Deployment/meshkeeper",
      "Namespace/meshkeeper-system",
      "Role/meshkeeper-leader-election",
      "RoleBinding/meshkeeper-leader-election",
      "Service/meshkeeper-metrics",
      "ServiceAccount/meshkeeper",
    ]);
    for (const object of objects.filter((o) => !clusterScoped(o) && o.kind !== "Namespace"))
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(NAMESPACE);
  });

  it("applies server-side and the operator Deployment becomes Available", async () => {
    const applied = await kubectl(
      ["apply", "--server-side", "--field-manager=meshkeeper-install", "-f", "-"],
      rendered,
    );
    expect(applied.stdout).toContain("deployment.apps/meshkeeper serverside-applied");
    await kubectl([
      "-n",
      NAMESPACE,
      "wait",
      "--for=condition=Available",
      "deployment/meshkeeper",
      "--timeout=90s",
    ]);
    // Available needs one Ready replica (maxUnavailable 1); both become Ready shortly after.
    await kubectl([
      "-n",
      NAMESPACE,
      "wait",
      "--for=jsonpath={.status.readyReplicas}=2",
      "deployment/meshkeeper",
      "--timeout=60s",
    ]);
  }, 120_000);

  it("runs pods the restricted Pod Security level admits, as the operator's service account", async () => {
    const namespace = await client.send<any>({
      method: "GET",
      path: `/api/v1/namespaces/${NAMESPACE}`,
    });
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const pods = await client.send<{ items: any[] }>({
      method: "GET",
      path: `/api/v1/namespaces/${NAMESPACE}/pods`,
      query: { labelSelector: "app.kubernetes.io/name=meshkeeper" },
    });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec.serviceAccountName).toBe("meshkeeper");
      const [container] = pod.spec.containers;
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      // The pod's identity, and the malloc settings every operator process runs with.
      expect(container.env.map((e: { name: string }) => e.name)).toEqual([
        "POD_NAME",
        "POD_NAMESPACE",
        ...Object.keys(OPERATOR_ENV),
      ]);
      expect(pod.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status).toBe(
        "True",
      );
    }
    // Dry-run proof that the level is enforced here: a root pod is refused.
    const refused = await kubectl([
      "-n",
      NAMESPACE,
      "run",
      "root-pod",
      "--image=busybox",
      "--dry-run=server",
      "--overrides",
      JSON.stringify({ spec: { securityContext: { runAsUser: 0 } } }),
    ]).catch((error: unknown) => error as { stderr: string });
    expect("stderr" in refused ? refused.stderr : "").toContain("violates PodSecurity");
  });

  it("exposes the probes' port as the metrics Service", async () => {
    const service = await client.send<any>({
      method: "GET",
      path: `/api/v1/namespaces/${NAMESPACE}/services/meshkeeper-metrics`,
    });
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ name: "http-metrics", port: 8081, targetPort: "http-metrics" }),
    ]);
  });
});

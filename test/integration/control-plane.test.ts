/**
 * Proves the shared local control plane is a real one: real admission and storage (a CRD
 * becomes Established), real controllers (a Deployment becomes Available through the
 * scheduler, KWOK and the controller-manager) and real authorization (RBAC denies an
 * unprivileged service account).
 */
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  VersionApi,
  type V1Deployment,
} from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KUBERNETES_VERSION } from "../../operator/local/components.ts";
import { adminConfig, tokenConfig, uniqueName } from "./cluster-client.ts";

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

const config = adminConfig();
const core = config.makeApiClient(CoreV1Api);
const namespace = uniqueName("cp-test");

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
});

describe("local control plane", () => {
  it("serves the Kubernetes version it was built from", async () => {
    const version = await config.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(KUBERNETES_VERSION);
  });

  it("has a Ready KWOK node", async () => {
    const nodes = await core.listNode();
    const ready = nodes.items.filter((node) =>
      node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    expect(ready.map((node) => node.metadata?.name)).toContain("kwok-node-0");
  });

  it("establishes a CustomResourceDefinition", async () => {
    const api = config.makeApiClient(ApiextensionsV1Api);
    const plural = `widgets${Date.now().toString(36)}`;
    const name = `${plural}.test.meshkeeper.dev`;
    await api.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group: "test.meshkeeper.dev",
          scope: "Namespaced",
          names: { plural, singular: plural.slice(0, -1), kind: "Widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: { type: "object", properties: { spec: { type: "object" } } },
              },
            },
          ],
        },
      },
    });
    const crd = await eventually(
      () => api.readCustomResourceDefinition({ name }),
      (c) =>
        c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") ?? false,
    );
    expect(crd.status?.acceptedNames?.kind).toBe("Widget");
    await api.deleteCustomResourceDefinition({ name });
  });

  it("rolls a Deployment out to Available through scheduler, KWOK and controller-manager", async () => {
    const apps = config.makeApiClient(AppsV1Api);
    const labels = { app: "echo" };
    const body: V1Deployment = {
      metadata: { name: "echo", namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "echo", image: "registry.invalid/echo:1" }] },
        },
      },
    };
    await apps.createNamespacedDeployment({ namespace, body });
    const deployment = await eventually(
      () => apps.readNamespacedDeployment({ name: "echo", namespace }),
      (d) =>
        d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") ?? false,
    );
    expect(deployment.status?.readyReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=echo" });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe("kwok-node-0");
      expect(pod.status?.phase).toBe("Running");
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
    }
  });

  it("denies an unprivileged service account through RBAC", async () => {
    await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: "nobody" } },
    });
    const request = await core.createNamespacedServiceAccountToken({
      name: "nobody",
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status?.token ?? "";
    expect(token).not.toBe("");

    const unprivileged = tokenConfig("nobody", token);
    const asNobody = unprivileged.makeApiClient(CoreV1Api);
    // Authenticated (the token is valid) but not authorized: 403 Forbidden, not 401.
    const denied: unknown = await asNobody
      .listNamespacedSecret({ namespace })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ApiException);
    const { code, body } = denied as ApiException<string>;
    expect(code).toBe(403);
    const status = JSON.parse(body) as { reason: string; message: string };
    expect(status.reason).toBe("Forbidden");
    expect(status.message).toMatch(
      /system:serviceaccount:.*:nobody" cannot list resource "secrets"/,
    );
  });
});

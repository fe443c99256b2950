/**
 * A revision-based upgrade as Istio sees it: the operator runs the mesh with
 * updateStrategy RevisionBased at OLD, then spec.version moves to NEW; once the new
 * revision has rolled out the `default` tag is moved to it. Two real istiods then run, one
 * per revision, each started with exactly its own Deployment (its REVISION, its injector
 * ConfigMap). A pod in a namespace labelled istio-injection=enabled is sent where the API
 * server would send it: to the service and path of the tag webhook's entry that matches
 * such a namespace. The new revision's istiod must be the one that answers, and the
 * sidecar must say so: the revision in sidecar.istio.io/status and istio.io/rev, the proxy
 * image at NEW, the discovery address of the new revision's istiod. The old revision's
 * istiod, asked directly, still injects OLD (nothing moved it but the tag).
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject as provided, it } from "vitest";
import { startMeshIstiod, type MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { until } from "../integration/operator-harness.ts";
import { inject, type Pod } from "./admission.ts";
import { applyAsAdmin, caSecret, convergeMesh, type RealMesh } from "./real-istio.ts";
import { deleteNamespace } from "./workloads.ts";

const OLD = "1.30.5";
const NEW = "1.31.1";
const NAMESPACE = "tag-flip-apps";
// The old revision stays while this test runs: nothing prunes it under its grace period.
const GRACE_SECONDS = 3_600;

const strategy = {
  type: "RevisionBased",
  inactiveRevisionDeletionGracePeriodSeconds: GRACE_SECONDS,
};

interface Webhook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string } };
  namespaceSelector?: {
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
}

interface WebhookConfiguration {
  metadata: { name: string; labels?: Record<string, string> };
  webhooks?: Webhook[];
}

interface RevisionStatus {
  name: string;
  version: string;
  tags: string[];
}

/** True when a namespace labelled only istio-injection=enabled matches the selector. */
function selectsInjectionEnabled(webhook: Webhook): boolean {
  const labels: Record<string, string> = {
    "istio-injection": "enabled",
    "kubernetes.io/metadata.name": NAMESPACE,
  };
  return (webhook.namespaceSelector?.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
}

function proxyOf(pod: Pod): { image: string; env: unknown[] } {
  const containers = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])];
  const proxy = containers.find((c: { name: string }) => c.name === "istio-proxy");
  if (!proxy) throw new Error(`no istio-proxy in ${JSON.stringify(pod.spec).slice(0, 300)}`);
  return proxy;
}

function appPod(name: string): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NAMESPACE, labels: { app: "shop" } },
    spec: { containers: [{ name: "shop", image: "registry.example/shop:1.0" }] },
  };
}

/** The injected pod's revision, from the annotation injection writes. */
function injectedRevision(pod: Pod): string {
  const status = pod.metadata.annotations?.["sidecar.istio.io/status"] as string | undefined;
  return (JSON.parse(status ?? "{}") as { revision?: string }).revision ?? "";
}

function imageAt(version: string): RegExp {
  return new RegExp(`/proxyv2:${version.replaceAll(".", "\\.")}$`);
}

describe("after the tag flip, istio-injection=enabled pods are injected by the new revision", () => {
  let real: RealMesh;
  let revisions: RevisionStatus[] = [];
  const istiods = new Map<string, MeshIstiod>();
  let rootCert = "";
  const revisionAt = (version: string): RevisionStatus => {
    const found = revisions.find((r) => r.version === version);
    if (!found) throw new Error(`no revision at ${version} in ${JSON.stringify(revisions)}`);
    return found;
  };

  beforeAll(async () => {
    real = await convergeMesh({ version: OLD, updateStrategy: strategy });
    await real.harness.applyAsUser({
      apiVersion: "meshkeeper.dev/v1alpha1",
      kind: "MeshConfig",
      metadata: { name: "default" },
      spec: {
        ...((await real.harness.meshConfig())?.spec as Record<string, unknown>),
        version: NEW,
      },
    });
    revisions = await until(
      "the default tag on the new revision, the old one still there",
      async () => {
        const mc = await real.harness.meshConfig();
        const listed = (mc?.status?.revisions ?? []) as RevisionStatus[];
        const tagged = listed.find((r) => r.tags.includes("default"));
        return listed.length === 2 && tagged?.version === NEW && listed;
      },
      120_000,
    );
    await real.harness.waitForCondition("Ready", "True", undefined, 120_000);
    rootCert = (await caSecret(real.admin))["root-cert.pem"] ?? "";
    const cluster = provided("cluster");
    for (const revision of revisions) {
      const istiod = await startMeshIstiod({
        admin: real.admin,
        server: cluster.server,
        certificateAuthority: cluster.certificateAuthority,
        binary: provided("istio").pilotDiscovery,
        workDir: mkdtempSync(join(real.workDir, `istiod-${revision.name}-`)),
        deployment: `istiod-${revision.name}`,
        podName: `istiod-${revision.name}-0`,
      });
      istiods.set(`istiod-${revision.name}`, istiod);
    }
    await applyAsAdmin(real.admin, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NAMESPACE, labels: { "istio-injection": "enabled" } },
    });
  });

  afterAll(async () => {
    for (const istiod of istiods.values()) await istiod.stop();
    await deleteNamespace(real.admin, NAMESPACE);
    await real.stop();
  });

  it("sends the pod to the new revision's istiod, which injects the new proxy", async () => {
    const oldRevision = revisionAt(OLD);
    const newRevision = revisionAt(NEW);
    const configurations = await real.admin.send<{ items: WebhookConfiguration[] }>({
      method: "GET",
      path: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    });
    // Exactly one webhook answers for istio-injection=enabled: the tag's, not a revision's own.
    const answering = configurations.items.flatMap((c) =>
      (c.webhooks ?? []).filter(selectsInjectionEnabled).map((w) => ({ configuration: c, w })),
    );
    expect(answering.map((a) => a.configuration.metadata.labels?.["istio.io/tag"])).toEqual([
      "default",
    ]);
    const service = answering[0]?.w.clientConfig.service;
    expect(service?.name).toBe(`istiod-${newRevision.name}`);
    const istiod = istiods.get(service?.name ?? "");
    if (!istiod || !service) throw new Error(`no istiod serves ${JSON.stringify(service)}`);

    const url = new URL(service.path ?? "/inject", istiod.istiod.injectUrl).toString();
    const outcome = await inject(url, rootCert, appPod("shop-after-flip"));
    if (outcome.kind !== "patched") throw new Error(`not injected: ${JSON.stringify(outcome)}`);
    const { pod } = outcome;
    expect(injectedRevision(pod)).toBe(newRevision.name);
    expect(pod.metadata.annotations["istio.io/rev"]).toBe(newRevision.name);
    const proxy = proxyOf(pod);
    expect(proxy.image).toMatch(imageAt(NEW));
    const env = JSON.stringify(proxy.env);
    expect(env).toContain(`istiod-${newRevision.name}.istio-system.svc`);
    expect(env).not.toContain(`istiod-${oldRevision.name}.istio-system.svc`);
  });

  it("the old revision's istiod, asked directly, still injects its own version", async () => {
    const oldRevision = revisionAt(OLD);
    const istiod = istiods.get(`istiod-${oldRevision.name}`);
    if (!istiod) throw new Error("the old revision's istiod is not running");
    const outcome = await inject(istiod.istiod.injectUrl, rootCert, appPod("shop-old-revision"));
    if (outcome.kind !== "patched") throw new Error(`not injected: ${JSON.stringify(outcome)}`);
    expect(injectedRevision(outcome.pod)).toBe(oldRevision.name);
    expect(proxyOf(outcome.pod).image).toMatch(imageAt(OLD));
  });
});

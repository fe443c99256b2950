/**
 * Data-plane counting (operator/reconcile/data-plane.ts): the revision of an injected pod
 * (sidecar.istio.io/status first, as Istio's injector writes it), its proxy version (the
 * istio-proxy image's tag, container or native-sidecar init container), and the per
 * revision counts of pods and outdated proxies, as tables.
 */
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { slimPod } from "../../../operator/kube/pod-list.ts";
import {
  compareVersions,
  dataPlaneUsage,
  imageTag,
  podRevision,
  podsUsing,
  proxyVersion,
  versionOfTag,
} from "../../../operator/reconcile/data-plane.ts";

interface PodShape {
  readonly revision?: string | null;
  readonly revAnnotation?: string;
  readonly revLabel?: string;
  readonly image?: string;
  readonly native?: boolean;
  readonly phase?: string;
  readonly deleting?: boolean;
  readonly injected?: boolean;
}

let serial = 0;

/** The annotations injection writes: sidecar.istio.io/status JSON with the revision. */
function injectedAnnotations(shape: PodShape): Record<string, string> {
  if (shape.injected === false) return {};
  const status = {
    initContainers: shape.native ? ["istio-init", "istio-proxy"] : ["istio-init"],
    containers: shape.native ? ["app"] : ["app", "istio-proxy"],
    volumes: ["istio-envoy"],
    imagePullSecrets: null,
    ...(shape.revision === null ? {} : { revision: shape.revision ?? "default" }),
  };
  return {
    "sidecar.istio.io/status": JSON.stringify(status),
    ...(shape.revAnnotation ? { "istio.io/rev": shape.revAnnotation } : {}),
  };
}

/** A pod as Istio's injector leaves it. */
function pod(shape: PodShape = {}): KubeObject {
  serial += 1;
  const proxy = { name: "istio-proxy", image: shape.image ?? "docker.io/istio/proxyv2:1.29.2" };
  const app = { name: "app", image: "registry.example/app:1.29.0" };
  const init = { name: "istio-init", image: "docker.io/istio/proxyv2:1.0.0" };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `p${serial}`,
      namespace: "apps",
      labels: {
        "service.istio.io/canonical-name": "app",
        ...(shape.revLabel ? { "istio.io/rev": shape.revLabel } : {}),
      },
      annotations: injectedAnnotations(shape),
      ...(shape.deleting ? { deletionTimestamp: "2026-12-02T00:00:00Z" } : {}),
    },
    spec: shape.native
      ? { initContainers: [init, proxy], containers: [app] }
      : { initContainers: [init], containers: [app, proxy] },
    status: { phase: shape.phase ?? "Running" },
  };
}

describe("podRevision", () => {
  it.each<[string, PodShape, string | undefined]>([
    ["the status annotation's revision", { revision: "1-30-0" }, "1-30-0"],
    ["default for an unnamed revision", {}, "default"],
    [
      "the status annotation over a tag in the pod's istio.io/rev label",
      { revision: "1-30-0", revLabel: "default" },
      "1-30-0",
    ],
    [
      "the template's annotation when the status has no revision",
      { revision: null, revAnnotation: "canary" },
      "canary",
    ],
    ["default when neither names one", { revision: null }, "default"],
    ["none for a pod never injected", { injected: false, revLabel: "canary" }, undefined],
    ["none for a pod that succeeded", { phase: "Succeeded" }, undefined],
    ["none for a pod that failed", { phase: "Failed" }, undefined],
    ["a pending pod uses its revision", { phase: "Pending", revision: "x" }, "x"],
  ])("%s", (_name, shape, expected) => {
    expect(podRevision(pod(shape))).toBe(expected);
  });

  it("reads a malformed status annotation as no revision field", () => {
    const p = pod();
    const broken = {
      ...p,
      metadata: { ...p.metadata, annotations: { "sidecar.istio.io/status": "{not json" } },
    };
    expect(podRevision(broken)).toBe("default");
  });
});

describe("proxy versions", () => {
  it.each<[string, string | undefined]>([
    ["docker.io/istio/proxyv2:1.29.2", "1.29.2"],
    ["localhost:5000/istio/proxyv2:1.30.0", "1.30.0"],
    ["proxyv2:1.28.1-distroless", "1.28.1-distroless"],
    ["gcr.io/x/proxyv2:1.29.2@sha256:abc", "1.29.2"],
    ["docker.io/istio/proxyv2@sha256:abc", undefined],
    ["localhost:5000/proxyv2", undefined],
  ])("the tag of %s", (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });

  it.each([
    ["1.29.2-distroless", "1.29.2"],
    ["1.29.2-debug", "1.29.2"],
    ["1.11.2-asm.17-distroless", "1.11.2-asm.17"],
    ["1.30.0-beta.1", "1.30.0-beta.1"],
  ])("the version of tag %s", (tag, version) => {
    expect(versionOfTag(tag)).toBe(version);
  });

  it("is the istio-proxy container's, not the init container's, and found as a native sidecar", () => {
    expect(proxyVersion(pod({ image: "hub/proxyv2:1.28.0" }))).toBe("1.28.0");
    expect(proxyVersion(pod({ image: "hub/proxyv2:1.28.0-distroless", native: true }))).toBe(
      "1.28.0",
    );
  });

  it.each<[string, string, -1 | 0 | 1 | undefined]>([
    ["1.28.3", "1.29.0", -1],
    ["1.29.0", "1.29.0", 0],
    ["1.29.10", "1.29.9", 1],
    ["1.29", "1.29.0", 0],
    ["2.0.0", "1.99.99", 1],
    ["1.30.0-beta.1", "1.30.0", -1],
    ["1.30.0", "1.30.0-rc.0", 1],
    ["1.30.0-alpha.1", "1.30.0-beta.1", -1],
    ["latest", "1.29.0", undefined],
    ["1.29.0", "master", undefined],
  ])("compareVersions(%s, %s)", (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe("dataPlaneUsage: pods and outdated proxies per revision", () => {
  const versions = new Map([
    ["default", "1.29.2"],
    ["1-30-0", "1.30.0"],
  ]);

  it.each<[string, PodShape[], Record<string, { pods: number; outdatedProxies: number }>]>([
    ["no pods", [], {}],
    ["a pod at its revision's version", [{}], { default: { pods: 1, outdatedProxies: 0 } }],
    [
      "after an in-place upgrade: pods keep the old proxy",
      [{ image: "h/proxyv2:1.28.3" }, { image: "h/proxyv2:1.28.3" }, {}],
      { default: { pods: 3, outdatedProxies: 2 } },
    ],
    [
      "two revisions side by side",
      [
        { image: "h/proxyv2:1.29.2" },
        { revision: "1-30-0", image: "h/proxyv2:1.30.0" },
        { revision: "1-30-0", image: "h/proxyv2:1.29.2" },
      ],
      { "1-30-0": { pods: 2, outdatedProxies: 1 }, default: { pods: 1, outdatedProxies: 0 } },
    ],
    [
      "a newer proxy is not outdated",
      [{ image: "h/proxyv2:1.30.1" }],
      { default: { pods: 1, outdatedProxies: 0 } },
    ],
    [
      "an unknown tag or a digest counts as a pod, not as outdated",
      [{ image: "h/proxyv2:latest" }, { image: "h/proxyv2@sha256:0123" }],
      { default: { pods: 2, outdatedProxies: 0 } },
    ],
    [
      "a revision the mesh does not run: pods counted, version unknown",
      [{ revision: "other", image: "h/proxyv2:1.20.0" }],
      { other: { pods: 1, outdatedProxies: 0 } },
    ],
    [
      "a pod being deleted uses its revision but is not counted outdated",
      [{ image: "h/proxyv2:1.28.0", deleting: true }],
      { default: { pods: 1, outdatedProxies: 0 } },
    ],
    [
      "terminated and never-injected pods count nowhere",
      [{ phase: "Succeeded", image: "h/proxyv2:1.0.0" }, { injected: false }],
      {},
    ],
    [
      "distroless and native sidecars",
      [{ image: "h/proxyv2:1.29.1-distroless", native: true }],
      { default: { pods: 1, outdatedProxies: 1 } },
    ],
  ])("%s", (_name, shapes, expected) => {
    const usage = dataPlaneUsage(shapes.map(pod), versions);
    expect(Object.fromEntries(usage)).toEqual(expected);
  });

  it("is what pruning reads: podsUsing is 0 for a revision no pod uses", () => {
    const usage = dataPlaneUsage([pod({ revision: "1-30-0" })], versions);
    expect(podsUsing(usage, "1-30-0")).toBe(1);
    expect(podsUsing(usage, "default")).toBe(0);
  });

  it("counts the same from the slim copies the pod list keeps", () => {
    const pods = [pod({ image: "h/proxyv2:1.28.0" }), pod({ revision: "1-30-0", native: true })];
    const slim = pods.map((p) => slimPod({ ...p, metadata: { ...p.metadata, managedFields: [] } }));
    expect(dataPlaneUsage(slim, versions)).toEqual(dataPlaneUsage(pods, versions));
    expect(slim[0]?.metadata).not.toHaveProperty("managedFields");
  });
});

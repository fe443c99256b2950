import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { applySetId, PART_OF_LABEL } from "../../../operator/reconcile/apply-set.ts";
import { asMember, isOurMember, staleObjects } from "../../../operator/reconcile/prune.ts";

const parent = { name: "default", uid: "uid-ours" };
const ID = applySetId("default");

interface Options {
  readonly kind?: string;
  readonly apiVersion?: string;
  /** The part-of label's value; "" for no label. */
  readonly partOf?: string;
  /** The owner reference; null for none. */
  readonly owner?: { uid: string; controller?: boolean } | null;
  readonly deleting?: boolean;
}

function liveObject(name: string, options: Options = {}): KubeObject {
  const { partOf = ID, owner = { uid: parent.uid, controller: true } } = options;
  return {
    apiVersion: options.apiVersion ?? "v1",
    kind: options.kind ?? "ConfigMap",
    metadata: {
      name,
      namespace: "istio-system",
      labels: partOf === "" ? {} : { [PART_OF_LABEL]: partOf },
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: "meshkeeper.dev/v1alpha1",
                kind: "MeshConfig",
                name: "default",
                ...owner,
              },
            ],
          }
        : {}),
      ...(options.deleting ? { deletionTimestamp: "2026-11-22T10:00:00Z" } : {}),
    },
  };
}

const desired = (name: string, kind = "ConfigMap", apiVersion = "v1"): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: "istio-system" },
});

const names = (objects: readonly KubeObject[]) => objects.map((o) => o.metadata.name);

describe("isOurMember", () => {
  it("needs both our ApplySet label and a controller reference to our uid", () => {
    expect(isOurMember(liveObject("a"), parent)).toBe(true);
    expect(isOurMember(liveObject("a", { partOf: "" }), parent)).toBe(false);
    expect(isOurMember(liveObject("a", { partOf: applySetId("other") }), parent)).toBe(false);
    expect(isOurMember(liveObject("a", { owner: null }), parent)).toBe(false);
    expect(
      isOurMember(liveObject("a", { owner: { uid: "uid-other", controller: true } }), parent),
    ).toBe(false);
    expect(isOurMember(liveObject("a", { owner: { uid: parent.uid } }), parent)).toBe(false);
    expect(
      isOurMember(liveObject("a", { owner: { uid: parent.uid, controller: false } }), parent),
    ).toBe(false);
  });
});

describe("staleObjects", () => {
  it("deletes only our members that are no longer desired and not already deleting", () => {
    const live = [
      liveObject("kept"),
      liveObject("stale"),
      liveObject("stale-deleting", { deleting: true }),
      liveObject("unlabelled", { partOf: "" }),
      liveObject("other-applyset", { partOf: applySetId("other") }),
      liveObject("other-owner", { owner: { uid: "uid-other", controller: true } }),
      liveObject("not-controller", { owner: { uid: parent.uid, controller: false } }),
      liveObject("no-owner", { owner: null }),
    ];
    expect(names(staleObjects(live, [desired("kept")], parent))).toEqual(["stale"]);
  });

  it("matches desired objects by group, kind, namespace and name, not by version", () => {
    const live = [
      liveObject("istiod", { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler" }),
      liveObject("istiod", { apiVersion: "v1", kind: "Service" }),
      {
        ...liveObject("istiod"),
        metadata: { ...liveObject("istiod").metadata, namespace: "istio-ingress" },
      },
    ];
    const stale = staleObjects(
      live,
      [
        desired("istiod", "HorizontalPodAutoscaler", "autoscaling/v2"),
        desired("istiod", "ConfigMap"),
      ],
      parent,
    );
    expect(stale.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      "Service istio-system/istiod",
      "ConfigMap istio-ingress/istiod",
    ]);
  });

  it("deletes nothing when everything is desired, or nothing is ours", () => {
    expect(
      staleObjects([liveObject("a"), liveObject("b")], [desired("a"), desired("b")], parent),
    ).toEqual([]);
    expect(staleObjects([liveObject("a")], [], { name: "default", uid: "uid-other" })).toEqual([]);
    expect(staleObjects([liveObject("a")], [], { name: "other", uid: parent.uid })).toEqual([]);
  });
});

describe("asMember", () => {
  it("adds the part-of label, keeping the other labels, without changing the input", () => {
    const object: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod" } },
      spec: { replicas: 2 },
    };
    const member = asMember(object, "default");
    expect(member.metadata.labels).toEqual({ app: "istiod", [PART_OF_LABEL]: ID });
    expect(member.spec).toEqual({ replicas: 2 });
    expect(object.metadata.labels).toEqual({ app: "istiod" });
    expect(asMember({ ...object, metadata: { name: "x" } }, "other").metadata.labels).toEqual({
      [PART_OF_LABEL]: applySetId("other"),
    });
  });

  it("leaves namespaces and CRDs as they are: they are never members", () => {
    const namespace: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "istio-system" },
    };
    const crd: KubeObject = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "telemetries.telemetry.istio.io", labels: { app: "istio" } },
    };
    expect(asMember(namespace, "default")).toBe(namespace);
    expect(asMember(crd, "default")).toBe(crd);
    expect(crd.metadata.labels).toEqual({ app: "istio" });
  });
});

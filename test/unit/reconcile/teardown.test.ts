import { describe as suite, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { COMPONENT_LABEL } from "../../../operator/render/render.ts";
import { applySetId, PART_OF_LABEL } from "../../../operator/reconcile/apply-set.ts";
import { describe, identity } from "../../../operator/reconcile/identity.ts";
import { asMember } from "../../../operator/reconcile/prune.ts";
import { nextTeardownStep } from "../../../operator/reconcile/teardown.ts";
import { OWNER, renderSample } from "./samples.ts";

/** The production mesh as the cache holds it: every object rendered, applied and labelled. */
const cluster: KubeObject[] = renderSample("production.yaml").map((r) =>
  asMember(r.object, OWNER.name),
);
const parent = { name: OWNER.name, uid: OWNER.uid };

const names = (objects: readonly KubeObject[]) => objects.map((o) => describe(o));
const without = (live: readonly KubeObject[], gone: readonly KubeObject[]) => {
  const ids = new Set(gone.map((o) => identity(o)));
  return live.filter((o) => !ids.has(identity(o)));
};
const deleting = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, deletionTimestamp: "2026-11-22T10:00:00Z" },
});

function step(live: readonly KubeObject[]) {
  const next = nextTeardownStep(live, parent);
  if (next.kind !== "delete") throw new Error(`expected a delete step, got ${next.kind}`);
  return next;
}

suite("nextTeardownStep", () => {
  it("walks policies, gateways, webhooks, then istiod and the rest, and is done with only namespaces and CRDs left", () => {
    let live = cluster;
    const policies = step(live);
    expect(names(policies.objects)).toEqual([
      "PeerAuthentication istio-system/default",
      "AuthorizationPolicy istio-system/allow-nothing",
      "AuthorizationPolicy istio-ingress/meshkeeper-allow-istio-ingressgateway",
      "AuthorizationPolicy istio-egress/meshkeeper-allow-istio-egressgateway",
      "Telemetry istio-system/mesh-default",
    ]);
    expect(policies.blockedOn).toBe(
      "waiting for PeerAuthentication istio-system/default, AuthorizationPolicy istio-system/allow-nothing, AuthorizationPolicy istio-ingress/meshkeeper-allow-istio-ingressgateway and 2 more to be deleted",
    );

    live = without(live, policies.objects);
    const gateways = step(live);
    expect(gateways.objects).toHaveLength(13);
    expect(
      gateways.objects.every(
        (o) => (o.metadata.labels as Record<string, string>)[COMPONENT_LABEL] === "gateway",
      ),
    ).toBe(true);
    expect(gateways.blockedOn).toBe(
      "waiting for ServiceAccount istio-ingress/istio-ingressgateway, Role istio-ingress/istio-ingressgateway, RoleBinding istio-ingress/istio-ingressgateway and 10 more to be deleted",
    );

    live = without(live, gateways.objects);
    const webhooks = step(live);
    expect(webhooks.blockedOn).toBe(
      "waiting for MutatingWebhookConfiguration istio-sidecar-injector, ValidatingWebhookConfiguration istio-validator-istio-system, ValidatingWebhookConfiguration istiod-default-validator to be deleted",
    );

    live = without(live, webhooks.objects);
    const rest = step(live);
    expect(names(rest.objects)).toEqual([
      "ServiceAccount istio-system/istio-reader-service-account",
      "ClusterRole istio-reader-clusterrole-istio-system",
      "ClusterRoleBinding istio-reader-clusterrole-istio-system",
      "ServiceAccount istio-system/istiod",
      "ClusterRole istiod-clusterrole-istio-system",
      "ClusterRoleBinding istiod-clusterrole-istio-system",
      "ClusterRole istiod-gateway-controller-istio-system",
      "ClusterRoleBinding istiod-gateway-controller-istio-system",
      "Role istio-system/istiod",
      "RoleBinding istio-system/istiod",
      "ConfigMap istio-system/istio",
      "Deployment istio-system/istiod",
      "Service istio-system/istiod",
      "HorizontalPodAutoscaler istio-system/istiod",
      "PodDisruptionBudget istio-system/istiod",
      "ConfigMap istio-system/istio-sidecar-injector",
    ]);

    live = without(live, rest.objects);
    expect(live.some((o) => o.kind === "Namespace")).toBe(true);
    expect(live.some((o) => o.kind === "CustomResourceDefinition")).toBe(true);
    expect(nextTeardownStep(live, parent)).toEqual({ kind: "done" });
  });

  it("does not delete again what is already deleting, but still waits for it", () => {
    const policy = (o: KubeObject) => o.apiVersion.includes(".istio.io/");
    const some = cluster.map((o) =>
      o.kind === "PeerAuthentication" || o.kind === "Telemetry" ? deleting(o) : o,
    );
    const first = step(some);
    expect(names(first.objects)).toEqual([
      "AuthorizationPolicy istio-system/allow-nothing",
      "AuthorizationPolicy istio-ingress/meshkeeper-allow-istio-ingressgateway",
      "AuthorizationPolicy istio-egress/meshkeeper-allow-istio-egressgateway",
    ]);
    expect(first.blockedOn).toBe(step(cluster).blockedOn);

    // Every policy deleting: nothing to delete, and the gateways still wait their turn.
    const blocked = step(cluster.map((o) => (policy(o) ? deleting(o) : o)));
    expect(blocked.objects).toEqual([]);
    expect(blocked.blockedOn).toBe(step(cluster).blockedOn);
  });

  it("is done when nothing is left", () => {
    expect(nextTeardownStep([], parent)).toEqual({ kind: "done" });
  });

  it("ignores objects that are not ours: another owner, another ApplySet, or no label", () => {
    const telemetry = cluster.find((o) => o.kind === "Telemetry") as KubeObject;
    const labels = telemetry.metadata.labels as Record<string, string>;
    const foreign: KubeObject[] = [
      {
        ...telemetry,
        metadata: {
          ...telemetry.metadata,
          ownerReferences: [{ uid: "uid-other", controller: true }],
        },
      },
      {
        ...telemetry,
        metadata: {
          ...telemetry.metadata,
          labels: { ...labels, [PART_OF_LABEL]: applySetId("other") },
        },
      },
      {
        ...telemetry,
        metadata: { ...telemetry.metadata, labels: { [COMPONENT_LABEL]: "policies" } },
      },
    ];
    expect(nextTeardownStep(foreign, parent)).toEqual({ kind: "done" });
    expect(nextTeardownStep(cluster, { name: OWNER.name, uid: "uid-other" })).toEqual({
      kind: "done",
    });
  });

  it("takes a member without a known component label down with istiod, last", () => {
    const configMap = cluster.find((o) => o.kind === "ConfigMap") as KubeObject;
    const telemetry = cluster.find((o) => o.kind === "Telemetry") as KubeObject;
    const unlabelled: KubeObject = {
      ...configMap,
      metadata: {
        ...configMap.metadata,
        name: "stray",
        labels: { [PART_OF_LABEL]: applySetId(OWNER.name), [COMPONENT_LABEL]: "unknown" },
      },
    };
    expect(names(step([unlabelled, telemetry]).objects)).toEqual([
      "Telemetry istio-system/mesh-default",
    ]);
    expect(names(step([unlabelled]).objects)).toEqual(["ConfigMap istio-system/stray"]);
  });
});

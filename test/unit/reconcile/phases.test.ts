import { describe as suite, expect, it } from "vitest";
import type { RenderedObject } from "../../../operator/render/render.ts";
import { describe } from "../../../operator/reconcile/identity.ts";
import {
  inPhases,
  PHASE_NAMES,
  phaseOf,
  TEARDOWN_ORDER,
} from "../../../operator/reconcile/phases.ts";
import { renderSample } from "./samples.ts";

const rendered = renderSample("production.yaml");
const names = (objects: readonly RenderedObject[]) => objects.map((r) => describe(r.object));
const inPhase = (phase: number) => rendered.filter((r) => phaseOf(r) === phase);

suite("phaseOf, on the production sample", () => {
  it("puts every namespace and every CRD in phase 0, and nothing else", () => {
    const first = inPhase(0);
    expect(names(first.filter((r) => r.object.kind === "Namespace"))).toEqual([
      "Namespace istio-system",
      "Namespace istio-ingress",
      "Namespace istio-egress",
    ]);
    const crds = rendered.filter((r) => r.object.kind === "CustomResourceDefinition");
    expect(crds.length).toBeGreaterThan(0);
    expect(first.filter((r) => r.object.kind === "CustomResourceDefinition")).toEqual(crds);
    expect(first).toHaveLength(3 + crds.length);
  });

  it("has no CA secret to apply yet (phase 1), but would put an istiod Secret there", () => {
    expect(inPhase(1)).toEqual([]);
    const secret: RenderedObject = {
      component: "istiod",
      object: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "cacerts", namespace: "istio-system" },
      },
    };
    expect(phaseOf(secret)).toBe(1);
    expect(phaseOf({ ...secret, component: "gateway" })).toBe(6);
  });

  it("applies istiod's Deployment, HPA and PDB in phase 3", () => {
    expect(names(inPhase(3))).toEqual([
      "Deployment istio-system/istiod",
      "HorizontalPodAutoscaler istio-system/istiod",
      "PodDisruptionBudget istio-system/istiod",
    ]);
  });

  it("applies the webhooks in phase 4", () => {
    expect(names(inPhase(4))).toEqual([
      "MutatingWebhookConfiguration istio-sidecar-injector",
      "ValidatingWebhookConfiguration istio-validator-istio-system",
      "ValidatingWebhookConfiguration istiod-default-validator",
    ]);
  });

  it("applies the mesh-wide policies in phase 5", () => {
    expect(names(inPhase(5))).toEqual([
      "PeerAuthentication istio-system/default",
      "AuthorizationPolicy istio-system/allow-nothing",
      "AuthorizationPolicy istio-ingress/meshkeeper-allow-istio-ingressgateway",
      "AuthorizationPolicy istio-egress/meshkeeper-allow-istio-egressgateway",
      "Telemetry istio-system/mesh-default",
    ]);
  });

  it("applies every gateway object, workloads included, in phase 6", () => {
    const gateways = inPhase(6);
    expect(gateways.every((r) => r.component === "gateway")).toBe(true);
    expect(rendered.filter((r) => r.component === "gateway")).toEqual(gateways);
    expect(names(gateways.filter((r) => r.object.metadata.namespace === "istio-ingress"))).toEqual([
      "ServiceAccount istio-ingress/istio-ingressgateway",
      "Role istio-ingress/istio-ingressgateway",
      "RoleBinding istio-ingress/istio-ingressgateway",
      "Deployment istio-ingress/istio-ingressgateway",
      "Service istio-ingress/istio-ingressgateway",
      "HorizontalPodAutoscaler istio-ingress/istio-ingressgateway",
      "PodDisruptionBudget istio-ingress/istio-ingressgateway",
    ]);
    // The egress gateway has autoscaling off: the same objects but no HPA.
    expect(gateways.filter((r) => r.object.metadata.namespace === "istio-egress")).toHaveLength(6);
    expect(gateways).toHaveLength(13);
  });

  it("applies the rest (RBAC, ConfigMaps, Services) in phase 2", () => {
    expect(names(inPhase(2))).toEqual([
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
      "Service istio-system/istiod",
      "ConfigMap istio-system/istio-sidecar-injector",
    ]);
  });
});

suite("inPhases", () => {
  it("groups into the seven phases, keeping the render order inside each", () => {
    const phases = inPhases(rendered);
    expect(phases).toHaveLength(PHASE_NAMES.length);
    phases.forEach((objects, phase) => {
      expect(objects).toEqual(inPhase(phase));
    });
    expect(phases.flat()).toHaveLength(rendered.length);
  });

  it("returns seven empty phases for nothing", () => {
    expect(inPhases([])).toEqual([[], [], [], [], [], [], []]);
  });
});

suite("TEARDOWN_ORDER", () => {
  it("is policies, then gateways, then webhooks, then istiod and the rest; never namespaces or CRDs", () => {
    expect(TEARDOWN_ORDER.map((step) => step.map((phase) => PHASE_NAMES[phase]))).toEqual([
      ["policies"],
      ["gateways"],
      ["webhooks"],
      ["istiod", "RBAC, config and services", "CA secret"],
    ]);
    expect(TEARDOWN_ORDER.flat()).not.toContain(0);
  });
});

import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import type { RenderedObject } from "../../../operator/render/render.ts";
import { identity } from "../../../operator/reconcile/identity.ts";
import { isAvailable, observe } from "../../../operator/reconcile/observe.ts";
import { renderSample } from "./samples.ts";
import { rolledOut } from "./workloads.ts";

const production = renderSample("production.yaml");
const minimal = renderSample("minimal.yaml");

const up = (replicas: number) => rolledOut(replicas);

function find(
  rendered: readonly RenderedObject[],
  kind: string,
  namespace: string | undefined,
  name: string,
) {
  const found = rendered.find(
    (r) =>
      r.object.kind === kind &&
      r.object.metadata.namespace === namespace &&
      r.object.metadata.name === name,
  );
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return identity(found.object);
}

const ISTIOD = find(production, "Deployment", "istio-system", "istiod");
const INGRESS = find(production, "Deployment", "istio-ingress", "istio-ingressgateway");
const EGRESS = find(production, "Deployment", "istio-egress", "istio-egressgateway");
const INJECTOR = find(
  production,
  "MutatingWebhookConfiguration",
  undefined,
  "istio-sidecar-injector",
);
const injectorLive: KubeObject = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "istio-sidecar-injector" },
};

const byType = (observation: ReturnType<typeof observe>) =>
  Object.fromEntries(observation.conditions.map(({ type, ...rest }) => [type, rest]));

describe("isAvailable", () => {
  it("is kstatus's Current: the current generation rolled out, nothing old left", () => {
    expect(isAvailable(up(2))).toBe(true);
    // Available=True mid-rollout (2 of 4 pods on the new template) is not available.
    expect(isAvailable(rolledOut(4, { updated: 2, progressing: "ReplicaSetUpdated" }))).toBe(false);
    expect(isAvailable(rolledOut(2, { generation: 4 }))).toBe(false);
    expect(isAvailable(rolledOut(2, { availableCondition: "False" }))).toBe(false);
    expect(
      isAvailable({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } }),
    ).toBe(false);
    expect(isAvailable(undefined)).toBe(false);
  });
});

describe("observe", () => {
  it("reports nothing ready when nothing is live yet", () => {
    const observation = observe(production, new Map(), false);
    expect(observation.conditions).toEqual([
      {
        type: "ControlPlaneReady",
        status: "False",
        reason: "IstiodNotAvailable",
        message: "waiting for istiod to become Available",
      },
      {
        type: "InjectorReady",
        status: "False",
        reason: "WebhookNotReady",
        message: "waiting for istiod and the injection webhook",
      },
      {
        type: "GatewaysReady",
        status: "False",
        reason: "GatewaysNotAvailable",
        message:
          "waiting for Deployment istio-ingress/istio-ingressgateway, Deployment istio-egress/istio-egressgateway to become Available",
      },
      {
        type: "PoliciesApplied",
        status: "False",
        reason: "Pending",
        message: "policies are applied once istiod is Available and its webhooks are installed",
      },
    ]);
    const none = { ready: 0, updated: 0, available: 0 };
    expect(observation.istiod).toEqual({ ...none, desired: 1 });
    expect(observation.gateways).toEqual({
      "istio-ingress/istio-ingressgateway": { ...none, desired: 1 },
      "istio-egress/istio-egressgateway": { ...none, desired: 2 },
    });
  });

  it("reports every component ready, with readiness numbers from the live Deployments", () => {
    const live = new Map([
      [ISTIOD, up(2)],
      [INGRESS, up(3)],
      [EGRESS, up(2)],
      [INJECTOR, injectorLive],
    ]);
    const observation = observe(production, live, true);
    expect(byType(observation)).toEqual({
      ControlPlaneReady: { status: "True", reason: "Available", message: "istiod is available" },
      InjectorReady: {
        status: "True",
        reason: "Serving",
        message: "the injection webhook is in place and istiod serves it",
      },
      GatewaysReady: { status: "True", reason: "Available", message: "2 gateway(s) available" },
      PoliciesApplied: {
        status: "True",
        reason: "Applied",
        message: "mesh-wide mTLS, authorization and telemetry are applied",
      },
    });
    const all = (n: number) => ({ ready: n, updated: n, available: n, desired: n });
    expect(observation.istiod).toEqual(all(2));
    expect(observation.gateways).toEqual({
      "istio-ingress/istio-ingressgateway": all(3),
      "istio-egress/istio-egressgateway": all(2),
    });
  });

  it("keeps a gateway not ready while old pods serve, and reports its counts", () => {
    const midRollout = rolledOut(3, {
      pods: 4,
      updated: 2,
      ready: 3,
      available: 3,
      progressing: "ReplicaSetUpdated",
    });
    const live = new Map([
      [ISTIOD, up(2)],
      [INGRESS, midRollout],
      [EGRESS, up(2)],
      [INJECTOR, injectorLive],
    ]);
    const observation = observe(production, live, true);
    expect(byType(observation).GatewaysReady).toMatchObject({
      status: "False",
      reason: "GatewaysNotAvailable",
    });
    expect(observation.gateways["istio-ingress/istio-ingressgateway"]).toEqual({
      ready: 3,
      updated: 2,
      available: 3,
      desired: 3,
    });
  });

  it("keeps the injector not ready while its webhook is not in place, and names only the gateways still down", () => {
    const live = new Map([
      [ISTIOD, up(2)],
      [EGRESS, up(2)],
      [INGRESS, rolledOut(2, { generation: 4 })],
    ]);
    const c = byType(observe(production, live, false));
    expect(c.ControlPlaneReady?.status).toBe("True");
    expect(c.InjectorReady).toMatchObject({ status: "False", reason: "WebhookNotReady" });
    expect(c.GatewaysReady).toEqual({
      status: "False",
      reason: "GatewaysNotAvailable",
      message: "waiting for Deployment istio-ingress/istio-ingressgateway to become Available",
    });
  });

  it("keeps the injector not ready while istiod is down, even with the webhook in place", () => {
    const live = new Map([
      [ISTIOD, rolledOut(2, { availableCondition: "False", ready: 0, available: 0 })],
      [INJECTOR, injectorLive],
    ]);
    const c = byType(observe(production, live, false));
    expect(c.ControlPlaneReady?.reason).toBe("IstiodNotAvailable");
    expect(c.InjectorReady?.status).toBe("False");
  });

  it("says no gateways were requested when the spec has none", () => {
    const istiod = minimal.find((r) => r.object.kind === "Deployment");
    const webhook = minimal.find((r) => r.object.kind === "MutatingWebhookConfiguration");
    if (!istiod || !webhook) throw new Error("minimal renders istiod and its webhook");
    const live = new Map([
      [identity(istiod.object), up(1)],
      [identity(webhook.object), injectorLive],
    ]);
    const observation = observe(minimal, live, true);
    expect(byType(observation).GatewaysReady).toEqual({
      status: "True",
      reason: "Available",
      message: "no gateways requested",
    });
    expect(observation.conditions.every((c) => c.status === "True")).toBe(true);
    expect(observation.gateways).toEqual({});
    expect(observation.istiod).toEqual({ ready: 1, updated: 1, available: 1, desired: 1 });
  });

  it("leaves istiod readiness out when no istiod Deployment is desired", () => {
    const observation = observe([], new Map(), false);
    expect(observation).not.toHaveProperty("istiod");
    // No webhook desired counts as in place, but istiod is still not available.
    expect(byType(observation).InjectorReady?.status).toBe("False");
    expect(byType(observation).GatewaysReady?.message).toBe("no gateways requested");
  });
});

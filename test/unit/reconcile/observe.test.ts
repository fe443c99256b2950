import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import type { RenderedObject } from "../../../operator/render/render.ts";
import { identity } from "../../../operator/reconcile/identity.ts";
import { isAvailable, observe } from "../../../operator/reconcile/observe.ts";
import { renderSample } from "./samples.ts";

const production = renderSample("production.yaml");
const minimal = renderSample("minimal.yaml");

interface Rollout {
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly available?: "True" | "False";
  readonly replicas?: number;
  readonly readyReplicas?: number;
}

function deployment(rollout: Rollout): KubeObject {
  const { generation, observedGeneration, available, replicas, readyReplicas } = rollout;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", ...(generation !== undefined ? { generation } : {}) },
    ...(replicas !== undefined ? { spec: { replicas } } : {}),
    status: {
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      ...(readyReplicas !== undefined ? { readyReplicas } : {}),
      conditions: [
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
        ...(available ? [{ type: "Available", status: available }] : []),
      ],
    },
  };
}

const up = (replicas: number) =>
  deployment({
    generation: 3,
    observedGeneration: 3,
    available: "True",
    replicas,
    readyReplicas: replicas,
  });

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
  it("needs Available=True for the current generation", () => {
    expect(
      isAvailable(deployment({ generation: 2, observedGeneration: 2, available: "True" })),
    ).toBe(true);
    expect(
      isAvailable(deployment({ generation: 2, observedGeneration: 3, available: "True" })),
    ).toBe(true);
    expect(isAvailable(deployment({ available: "True" }))).toBe(true);
  });

  it("is false for an older generation, a False or missing Available, or no status", () => {
    expect(
      isAvailable(deployment({ generation: 3, observedGeneration: 2, available: "True" })),
    ).toBe(false);
    expect(isAvailable(deployment({ generation: 3, available: "True" }))).toBe(false);
    expect(
      isAvailable(deployment({ generation: 2, observedGeneration: 2, available: "False" })),
    ).toBe(false);
    expect(isAvailable(deployment({ generation: 2, observedGeneration: 2 }))).toBe(false);
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
    expect(observation.istiod).toEqual({ ready: 0, desired: 1 });
    expect(observation.gateways).toEqual({
      "istio-ingress/istio-ingressgateway": { ready: 0, desired: 1 },
      "istio-egress/istio-egressgateway": { ready: 0, desired: 1 },
    });
  });

  it("reports every component ready, with readiness numbers from the live Deployments", () => {
    const live = new Map([
      [ISTIOD, up(2)],
      [
        INGRESS,
        deployment({
          generation: 1,
          observedGeneration: 1,
          available: "True",
          replicas: 3,
          readyReplicas: 2,
        }),
      ],
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
    expect(observation.istiod).toEqual({ ready: 2, desired: 2 });
    expect(observation.gateways).toEqual({
      "istio-ingress/istio-ingressgateway": { ready: 2, desired: 3 },
      "istio-egress/istio-egressgateway": { ready: 2, desired: 2 },
    });
  });

  it("keeps the injector not ready while its webhook is not in place, and names only the gateways still down", () => {
    const live = new Map([
      [ISTIOD, up(2)],
      [EGRESS, up(2)],
      [
        INGRESS,
        deployment({
          generation: 4,
          observedGeneration: 3,
          available: "True",
          replicas: 2,
          readyReplicas: 2,
        }),
      ],
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
      [
        ISTIOD,
        deployment({
          generation: 1,
          observedGeneration: 1,
          available: "False",
          replicas: 2,
          readyReplicas: 0,
        }),
      ],
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
    expect(observation.istiod).toEqual({ ready: 1, desired: 1 });
  });

  it("leaves istiod readiness out when no istiod Deployment is desired", () => {
    const observation = observe([], new Map(), false);
    expect(observation).not.toHaveProperty("istiod");
    // No webhook desired counts as in place, but istiod is still not available.
    expect(byType(observation).InjectorReady?.status).toBe("False");
    expect(byType(observation).GatewaysReady?.message).toBe("no gateways requested");
  });
});

/**
 * observe (pure): what the owned objects' status says about each component. Only the
 * Deployment controller's verdict counts: a Deployment is available when its Available
 * condition is True for the generation we applied.
 */
import { ConditionType } from "../api/conditions.ts";
import type { RenderedObject } from "../render/render.ts";
import type { KubeObject } from "../kube/object.ts";
import { describe, identity } from "./identity.ts";
import type { ComponentCondition } from "./summary.ts";

export interface Readiness {
  readonly ready: number;
  readonly desired: number;
}

export interface Observation {
  readonly conditions: ComponentCondition[];
  readonly istiod?: Readiness;
  readonly gateways: Record<string, Readiness>;
}

interface DeploymentView {
  metadata: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export function isAvailable(live: KubeObject | undefined): boolean {
  const deployment = live as DeploymentView | undefined;
  if (!deployment?.status) return false;
  const seen = (deployment.status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const available = deployment.status.conditions?.some(
    (c) => c.type === "Available" && c.status === "True",
  );
  return seen && available === true;
}

function readiness(live: KubeObject | undefined): Readiness {
  const deployment = live as DeploymentView | undefined;
  return {
    ready: deployment?.status?.readyReplicas ?? 0,
    desired: deployment?.spec?.replicas ?? 1,
  };
}

function condition(type: string, ready: boolean, reason: string, message: string) {
  return { type, status: ready ? "True" : "False", reason, message } as const;
}

/** Component conditions and readiness from the desired objects and their live copies. */
export function observe(
  desired: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
  policiesApplied: boolean,
): Observation {
  const deployments = desired.filter((r) => r.object.kind === "Deployment");
  const istiod = deployments.find((r) => r.component === "istiod");
  const gateways = deployments.filter((r) => r.component === "gateway");
  const istiodLive = istiod && live.get(identity(istiod.object));
  const istiodReady = isAvailable(istiodLive);
  const webhook = desired.find((r) => r.object.kind === "MutatingWebhookConfiguration");
  const webhookInPlace = !webhook || live.has(identity(webhook.object));
  const unavailable = gateways.filter((g) => !isAvailable(live.get(identity(g.object))));

  const conditions: ComponentCondition[] = [
    istiodReady
      ? condition(ConditionType.ControlPlaneReady, true, "Available", "istiod is available")
      : condition(
          ConditionType.ControlPlaneReady,
          false,
          "IstiodNotAvailable",
          "waiting for istiod to become Available",
        ),
    istiodReady && webhookInPlace
      ? condition(
          ConditionType.InjectorReady,
          true,
          "Serving",
          "the injection webhook is in place and istiod serves it",
        )
      : condition(
          ConditionType.InjectorReady,
          false,
          "WebhookNotReady",
          "waiting for istiod and the injection webhook",
        ),
    unavailable.length === 0
      ? condition(
          ConditionType.GatewaysReady,
          true,
          "Available",
          gateways.length ? `${gateways.length} gateway(s) available` : "no gateways requested",
        )
      : condition(
          ConditionType.GatewaysReady,
          false,
          "GatewaysNotAvailable",
          `waiting for ${unavailable.map((g) => describe(g.object)).join(", ")} to become Available`,
        ),
    policiesApplied
      ? condition(
          ConditionType.PoliciesApplied,
          true,
          "Applied",
          "mesh-wide mTLS, authorization and telemetry are applied",
        )
      : condition(
          ConditionType.PoliciesApplied,
          false,
          "Pending",
          "policies are applied once istiod is Available and its webhooks are installed",
        ),
  ];
  return {
    conditions,
    ...(istiod ? { istiod: readiness(istiodLive) } : {}),
    gateways: Object.fromEntries(
      gateways.map((g) => [
        `${g.object.metadata.namespace ?? ""}/${g.object.metadata.name}`,
        readiness(live.get(identity(g.object))),
      ]),
    ),
  };
}
